//! What the name under the cursor is, in Markdown: its declaration as
//! written, its type where it is read, the comments above its declaration,
//! and for built-ins their signature and meaning.

use std::path::Path;

use guifan_eval::Target;
use guifan_syntax::ast::{Item, RuleBody};
use guifan_syntax::{SourceId, Span};

use super::navigate::Symbol;
use super::{builtin_doc, slice, Analysis};

/// What to show over a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    /// The name's bytes in the file hovered
    pub span: Span,
    /// What it is, in Markdown
    pub markdown: String,
}

/// The longest declaration quoted whole, in lines.
const MAX_QUOTED_LINES: usize = 24;

impl Analysis {
    /// What the name at `offset` of `path` is.
    pub fn hover(&self, path: &Path, offset: usize) -> Option<Hover> {
        let id = self.source(path)?;
        if let Some(u) = self.use_at(id, offset) {
            let ty = u.ty.display(&self.schema).to_string();
            let markdown = match &u.target {
                Target::Field {
                    record,
                    name,
                    declared,
                    optional,
                } => {
                    let mut md = code(&format!("{name}: {ty}"));
                    md.push_str(&format!(
                        "\n\nfield of `{record}`{}, declared in {}",
                        if *optional { " (may be absent)" } else { "" },
                        self.place(declared.0, declared.1)
                    ));
                    md.push_str(&self.doc_comments(declared.0, declared.1));
                    md
                }
                Target::Param { declared, .. } => {
                    let decl = self.entry_text(u.source, *declared);
                    let mut md = code(&decl);
                    md.push_str(&format!(
                        "\n\nparameter of `{}`: a deployment may set it (`--params`, a test's `params`)",
                        u.policy
                    ));
                    md.push_str(&self.doc_comments(u.source, *declared));
                    md
                }
                Target::Let { declared, .. } => {
                    let mut md = code(&self.entry_text(u.source, *declared));
                    md.push_str(&format!("\n\ndefinition of `{}`, of type `{ty}`", u.policy));
                    md.push_str(&self.doc_comments(u.source, *declared));
                    md
                }
                Target::Local { name, declared } => {
                    let mut md = code(&format!("{name}: {ty}"));
                    md.push_str(&format!(
                        "\n\nbound in the rule at {}",
                        self.place(u.source, *declared)
                    ));
                    md
                }
                Target::Rank { name } => {
                    let decl = self
                        .declaration_text(&Symbol::Rank(u.policy.to_string(), name.clone()))
                        .unwrap_or_default();
                    let mut md = code(&decl);
                    md.push_str("\n\nthe subject's place among the subjects of its kind (1 = the highest score), absent where the ranking's condition does not hold");
                    md
                }
                Target::Builtin { name } => {
                    let doc = builtin_doc(name)?;
                    format!("{}\n\n{}\n\nhere: `{ty}`", code(doc.signature), doc.doc)
                }
                Target::Effect { declared, .. } => {
                    let mut md = code(&self.quote(declared.0, declared.1));
                    md.push_str(&format!(
                        "\n\neffect, declared in {}",
                        self.place(declared.0, declared.1)
                    ));
                    md.push_str(&self.doc_comments(declared.0, declared.1));
                    md
                }
            };
            return Some(Hover {
                span: u.span,
                markdown,
            });
        }
        let (symbol, span) = self.symbol_at(path, offset)?;
        let markdown = match &symbol {
            Symbol::Rule(rule) => self.rule_hover(rule)?,
            Symbol::Condition(id, name) => {
                let text = slice(self.text_of(*id), *name);
                format!(
                    "**named condition** `{text}`\n\nwhen it holds, its description (else its name) is in `held`"
                )
            }
            Symbol::Policy(policy) => self.policy_hover(policy)?,
            _ => {
                let text = self.declaration_text(&symbol)?;
                let (did, dspan) = self.declaration_site(&symbol)?;
                let mut md = code(&text);
                md.push_str(&format!("\n\ndeclared in {}", self.place(did, dspan)));
                md.push_str(&self.doc_comments(did, dspan));
                md
            }
        };
        Some(Hover { span, markdown })
    }

    fn declaration_site(&self, symbol: &Symbol) -> Option<(SourceId, Span)> {
        match symbol {
            Symbol::Type(name) => self.type_declaration(name),
            Symbol::Effect(id, span) => Some((*id, *span)),
            Symbol::Rank(policy, name) => self.policies().find_map(|(id, p)| {
                (p.id.node == *policy)
                    .then(|| p.ranks.iter().find(|r| r.name.name == *name))
                    .flatten()
                    .map(|r| (id, r.span))
            }),
            _ => None,
        }
    }

    /// The whole declaration of a kind, record, effect or ranking, as written.
    fn declaration_text(&self, symbol: &Symbol) -> Option<String> {
        let (id, span) = match symbol {
            Symbol::Type(name) => self.files.iter().find_map(|f| {
                f.items.iter().find_map(|item| match item {
                    Item::Kind(d) | Item::Record(d) if d.name.name == *name => {
                        Some((f.source, d.span))
                    }
                    _ => None,
                })
            })?,
            other => self.declaration_site(other)?,
        };
        Some(self.quote(id, span))
    }

    /// A declaration's text, its first lines when long.
    fn quote(&self, id: SourceId, span: Span) -> String {
        let text = slice(self.text_of(id), span);
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() <= MAX_QUOTED_LINES {
            return dedent(text);
        }
        let mut head = lines.get(..MAX_QUOTED_LINES).unwrap_or(&lines).join("\n");
        head.push_str("\n  …");
        dedent(&head)
    }

    /// The `param` or `let` entry whose name is declared at `name`, as written.
    fn entry_text(&self, id: SourceId, name: Span) -> String {
        let whole = self
            .policies()
            .filter(|(pid, _)| *pid == id)
            .find_map(|(_, p)| {
                p.params
                    .iter()
                    .map(|d| (d.name.span, d.span))
                    .chain(p.lets.iter().map(|d| (d.name.span, d.span)))
                    .find(|(n, _)| *n == name)
                    .map(|(_, whole)| whole)
            });
        match whole {
            Some(span) => self.quote(id, span),
            None => slice(self.text_of(id), name).to_string(),
        }
    }

    fn rule_hover(&self, rule: &str) -> Option<String> {
        let (id, p, r) = self.policies().find_map(|(id, p)| {
            p.rules
                .iter()
                .find(|r| format!("{}.{}", p.id.node, r.name.name) == rule)
                .map(|r| (id, p, r))
        })?;
        let mut md = format!("**rule** `{rule}`");
        if let Some(title) = &r.title {
            md.push_str(&format!("\n\n{}", title.node));
        }
        if let RuleBody::Versions(versions) = &r.body {
            md.push_str("\n\nversions:");
            for v in versions {
                let header = slice(self.text_of(id), v.span)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_end_matches('{')
                    .trim();
                md.push_str(&format!("\n- `{header}`"));
            }
        }
        md.push_str(&format!("\n\nin policy `{}`", p.id.node));
        md.push_str(&self.doc_comments(id, r.span));
        Some(md)
    }

    fn policy_hover(&self, policy: &str) -> Option<String> {
        let (id, p) = self.policies().find(|(_, p)| p.id.node == policy)?;
        let mut md = format!("**policy** `{policy}`");
        if let Some(title) = &p.title {
            md.push_str(&format!("\n\n{}", title.node));
        }
        if let Some(source) = &p.source_text {
            md.push_str(&format!("\n\nsource: {}", source.node));
        }
        md.push_str(&format!(
            "\n\n{} parameter(s), {} rule(s)",
            p.params.len(),
            p.rules.len()
        ));
        md.push_str(&self.doc_comments(id, p.span));
        Some(md)
    }

    /// `file:line` of a place.
    fn place(&self, id: SourceId, span: Span) -> String {
        let (line, _) = self.sources.line_col(id, span.start as usize);
        let path = self.path_of(id);
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        format!("`{name}:{line}`")
    }

    /// The `//` comments attached to the declaration at `span`, as a paragraph.
    fn doc_comments(&self, id: SourceId, span: Span) -> String {
        let Some(file) = self.file(id) else {
            return String::new();
        };
        let text = self.text_of(id);
        // The declaration that starts on the line of `span` (a name points into it).
        let line_start = text
            .get(..span.start as usize)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1);
        let indent = text
            .get(line_start..)
            .map_or(0, |l| l.len() - l.trim_start().len());
        let start = (line_start + indent) as u32;
        let line_end = text
            .get(start as usize..)
            .and_then(|t| t.find('\n'))
            .map_or(text.len(), |i| start as usize + i) as u32;
        let lines: Vec<&str> = file
            .comments_on(start, line_end)
            .map(|c| c.text.trim())
            .filter(|t| !t.starts_with("guifan:"))
            .collect();
        if lines.is_empty() {
            String::new()
        } else {
            format!("\n\n---\n\n{}", lines.join("\n"))
        }
    }
}

fn code(text: &str) -> String {
    format!("```guifan\n{text}\n```")
}

/// Lines without the indentation they share after the first.
fn dedent(text: &str) -> String {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("").to_string();
    let rest: Vec<&str> = lines.collect();
    let indent = rest
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let base = indent.saturating_sub(2);
    let mut out = first;
    for l in rest {
        out.push('\n');
        out.push_str(l.get(base..).unwrap_or(l.trim_start()));
    }
    out
}
