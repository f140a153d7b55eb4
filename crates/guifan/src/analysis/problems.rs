//! Problems as a tool shows them: placed in a file, with the fixes that can
//! be applied for the author (a "did you mean" replaces the name; an unused
//! parameter or definition is removed).

use std::path::PathBuf;

use guifan_syntax::ast::{Item, PolicyDecl};
use guifan_syntax::diagnostic::{Diagnostic, Severity};
use guifan_syntax::{SourceId, Span};

use super::{slice, Analysis, Edit};

/// One problem of a rule file, where it is and what would fix it.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The file
    pub path: PathBuf,
    /// Where, in bytes of the file
    pub span: Span,
    /// Its stable code (`guifan::check::unknown_field`)
    pub code: &'static str,
    /// Error or warning
    pub severity: Severity,
    /// What is wrong
    pub message: String,
    /// The label under the place, when there is one
    pub label: Option<String>,
    /// What to do about it
    pub help: Option<String>,
    /// Other places that explain it: file, bytes, what they say
    pub related: Vec<(PathBuf, Span, String)>,
    /// Changes that fix it, best first
    pub fixes: Vec<Fix>,
}

/// A change that fixes a problem, named for a menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What it does (`Replace with `listings_online``)
    pub title: String,
    /// The replacements, applied together
    pub edits: Vec<Edit>,
    /// Whether it is the fix to apply without asking (the one closest name)
    pub preferred: bool,
}

/// The finding of a diagnostic placed in a file, with its fixes; `None` for
/// one that is not in any file.
pub(super) fn finding(analysis: &Analysis, d: Diagnostic) -> Option<Finding> {
    let (id, span) = d.source_span()?;
    let path = analysis.path_of(id);
    let related = d
        .secondary
        .iter()
        .filter_map(|l| match l.at {
            guifan_syntax::diagnostic::At::Source(rid, rspan) => Some((
                analysis.path_of(rid),
                rspan,
                l.message.clone().unwrap_or_default(),
            )),
            _ => None,
        })
        .collect();
    let mut fixes = Vec::new();
    if let Some(name) = d.help.as_deref().and_then(suggested_name) {
        let written = slice(analysis.text_of(id), span);
        if !written.is_empty() && written != name && !written.contains('\n') {
            fixes.push(Fix {
                title: format!("Replace `{written}` with `{name}`"),
                edits: vec![Edit {
                    path: path.clone(),
                    span,
                    text: name.to_string(),
                }],
                preferred: true,
            });
        }
    }
    if matches!(
        d.code,
        "guifan::lint::unused_param" | "guifan::lint::unused_let"
    ) {
        if let Some(entry) = declaration_of(analysis, id, span) {
            let whole = whole_lines(analysis.text_of(id), entry);
            fixes.push(Fix {
                title: format!("Remove `{}`", slice(analysis.text_of(id), span)),
                edits: vec![Edit {
                    path: path.clone(),
                    span: whole,
                    text: String::new(),
                }],
                preferred: false,
            });
        }
    }
    Some(Finding {
        path,
        span,
        code: d.code,
        severity: d.severity,
        message: d.message,
        label: d.primary.message,
        help: d.help,
        related,
        fixes,
    })
}

/// The name a "did you mean `x`?" help suggests.
fn suggested_name(help: &str) -> Option<&str> {
    let rest = help.split("did you mean `").nth(1)?;
    let name = rest.split('`').next()?;
    (!name.is_empty()).then_some(name)
}

/// The span of the `param` or `let` entry (of a policy, or of a rule's clauses)
/// whose name is at `name`.
fn declaration_of(analysis: &Analysis, id: SourceId, name: Span) -> Option<Span> {
    let file = analysis.file(id)?;
    file.items.iter().find_map(|item| match item {
        Item::Policy(p) => entry_named(p, name),
        _ => None,
    })
}

fn entry_named(p: &PolicyDecl, name: Span) -> Option<Span> {
    let params = p.params.iter().map(|d| (d.name.span, d.span));
    let lets = p.lets.iter().map(|d| (d.name.span, d.span));
    let rule_lets = p.rules.iter().flat_map(|r| {
        let clauses: Vec<&guifan_syntax::ast::Clauses> = match &r.body {
            guifan_syntax::ast::RuleBody::Single(c) => vec![c],
            guifan_syntax::ast::RuleBody::Versions(vs) => vs.iter().map(|v| &v.clauses).collect(),
        };
        clauses
            .into_iter()
            .flat_map(|c| c.lets.iter().map(|d| (d.name.span, d.span)))
            .collect::<Vec<_>>()
    });
    params
        .chain(lets)
        .chain(rule_lets)
        .find(|(n, _)| *n == name)
        .map(|(_, whole)| whole)
}

/// `span` widened to whole lines when nothing else stands on them (a removed
/// entry leaves no blank line).
fn whole_lines(text: &str, span: Span) -> Span {
    let start = span.start as usize;
    let end = span.end as usize;
    let line_start = text
        .get(..start)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line_end = text
        .get(end..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| end + i + 1);
    let before = text.get(line_start..start).unwrap_or("x");
    let after = text.get(end..line_end).unwrap_or("x");
    if before.trim().is_empty() && after.trim().is_empty() {
        Span::new(line_start, line_end)
    } else {
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suggested_name_is_read_from_the_help() {
        assert_eq!(
            suggested_name("did you mean `listings_online`?"),
            Some("listings_online")
        );
        assert_eq!(suggested_name("did you mean ``?"), None);
        assert_eq!(suggested_name("declare it"), None);
    }

    #[test]
    fn a_removed_entry_takes_its_whole_lines() {
        let text = "a\n  param x: int = 1\nb";
        let span = Span::new(4, 20);
        assert_eq!(whole_lines(text, span), Span::new(2, 21));
        let shared = "a; param x: int = 1\nb";
        assert_eq!(whole_lines(shared, Span::new(3, 19)), Span::new(3, 19));
    }
}
