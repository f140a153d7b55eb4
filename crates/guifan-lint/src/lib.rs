//! The linter: warnings about rule files that check but are probably wrong.
//!
//! Each lint has a stable code (`guifan::lint::<name>`, listed with a bad and
//! a good example in `docs/lints.md`). A lint is silenced for one declaration
//! or policy entry by a comment on it — on the lines right above, or at the
//! end of its first line:
//!
//! ```text
//! // guifan: allow(unused_param)
//! param spare: int = 3
//! ```
//!
//! Lints read the syntax tree only; they run once the files check, so names
//! and types are known to be right.

mod conditions;
mod names;
mod versions;

use std::collections::{HashMap, HashSet};

use guifan_syntax::ast::{Item, PolicyDecl, RuleFile};
use guifan_syntax::diagnostic::{Diagnostic, Label};
use guifan_syntax::{SourceId, Span};

/// What the linter knows beyond the rule files.
#[derive(Debug, Default, Clone)]
pub struct Context {
    /// The IDs of the policies some test file exercises; `None` when tests
    /// were not looked for (then `untested_policy` is not reported)
    pub tested_policies: Option<HashSet<String>>,
}

/// Every warning about `files` (each with the text it was parsed from),
/// suppressed ones left out, in file order.
pub fn lint(files: &[(&RuleFile, &str)], context: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut rule_ids: HashMap<String, (SourceId, Span)> = HashMap::new();
    for &(file, text) in files {
        let mut found = Vec::new();
        for item in &file.items {
            let Item::Policy(policy) = item else { continue };
            let mut lint = Lint {
                source: file.source,
                out: &mut found,
            };
            names::unused(&mut lint, policy);
            conditions::check(&mut lint, policy);
            versions::gaps(&mut lint, policy);
            if let Some(tested) = &context.tested_policies {
                if !tested.contains(&policy.id.node) {
                    lint.warn(
                        "guifan::lint::untested_policy",
                        format!("policy `{}` has no tests", policy.id.node),
                        policy.id.span,
                        "no `*.test.toml` file names this policy",
                        format!(
                            "add a test file beside it with `policy = \"{}\"` and a `[[case]]` per rule",
                            policy.id.node
                        ),
                    );
                }
            }
            for rule in &policy.rules {
                let id = format!("{}.{}", policy.id.node, rule.name.name);
                match rule_ids.get(&id) {
                    Some(&(first_source, first)) => {
                        let d = Diagnostic::new(
                            "guifan::lint::duplicate_rule_id",
                            format!("rule ID `{id}` is emitted by two policies"),
                            Label::new(file.source, rule.name.span, Some("emitted again here".to_string())),
                        )
                        .with_secondary(Label::new(first_source, first, Some("first here".to_string())))
                        .with_help("decisions and tests could not tell the two apart: rename one rule or policy");
                        found.push(d);
                    }
                    None => {
                        rule_ids.insert(id, (file.source, rule.name.span));
                    }
                }
            }
        }
        found.retain(|d| !suppressed(file, text, d));
        out.extend(found);
    }
    out
}

/// Collects one policy's warnings.
pub(crate) struct Lint<'o> {
    pub(crate) source: SourceId,
    pub(crate) out: &'o mut Vec<Diagnostic>,
}

impl Lint<'_> {
    /// A warning at `span` with a label and advice.
    pub(crate) fn warn(
        &mut self,
        code: &'static str,
        message: String,
        span: Span,
        label: &str,
        help: String,
    ) {
        self.out.push(
            Diagnostic::new(
                code,
                message,
                Label::new(self.source, span, Some(label.to_string())),
            )
            .with_help(help),
        );
    }
}

/// Whether a `// guifan: allow(<code>)` comment on the declaration or entry
/// holding the warning silences it.
fn suppressed(file: &RuleFile, text: &str, d: &Diagnostic) -> bool {
    let Some((_, span)) = d.source_span() else {
        return false;
    };
    let short = d.code.rsplit("::").next().unwrap_or(d.code);
    holders(file, span).into_iter().any(|holder| {
        let first_line_end = text
            .get(holder.start as usize..)
            .and_then(|rest| rest.find('\n'))
            .map_or(text.len(), |n| holder.start as usize + n);
        let first_line_end = u32::try_from(first_line_end).unwrap_or(u32::MAX);
        file.comments_on(holder.start, first_line_end)
            .any(|c| allows(&c.text, d.code, short))
    })
}

/// `guifan: allow(a, b)` naming the code (in full or by its last part).
fn allows(comment: &str, code: &str, short: &str) -> bool {
    let Some(rest) = comment.trim().strip_prefix("guifan:") else {
        return false;
    };
    let Some(list) = rest
        .trim()
        .strip_prefix("allow(")
        .and_then(|r| r.split_once(')'))
        .map(|(l, _)| l)
    else {
        return false;
    };
    list.split(',')
        .map(str::trim)
        .any(|c| c == code || c == short)
}

/// The spans that hold `span`: its top-level declaration and its policy entry.
fn holders(file: &RuleFile, span: Span) -> Vec<Span> {
    let within = |outer: Span| outer.start <= span.start && span.end <= outer.end;
    let mut out = Vec::new();
    for item in &file.items {
        let (item_span, policy) = match item {
            Item::Kind(r) | Item::Record(r) => (r.span, None),
            Item::Effect(e) => (e.span, None),
            Item::Platform(p) => (p.span, None),
            Item::Policy(p) => (p.span, Some(p)),
        };
        if !within(item_span) {
            continue;
        }
        out.push(item_span);
        if let Some(p) = policy {
            out.extend(entry_spans(p).into_iter().filter(|s| within(*s)));
        }
    }
    out
}

/// The span of each entry of a policy.
fn entry_spans(p: &PolicyDecl) -> Vec<Span> {
    p.order.iter().filter_map(|e| p.entry_span(e)).collect()
}

#[cfg(test)]
mod tests;
