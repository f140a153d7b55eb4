//! The outline of a file (its declarations and their entries, nested) and
//! the ranges an editor may fold.

use std::path::Path;

use guifan_syntax::ast::{Item, RuleBody};
use guifan_syntax::Span;

use super::Analysis;

/// A declaration or policy entry, with those inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    /// Its name (a policy's ID, a rule's name)
    pub name: String,
    /// What it is
    pub kind: SymbolKind,
    /// A word about it: a rule's title, a field's type
    pub detail: Option<String>,
    /// The whole declaration
    pub span: Span,
    /// Its name
    pub name_span: Span,
    /// What it declares inside (fields, parameters, rules)
    pub children: Vec<Symbol>,
}

/// What a symbol declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    /// `kind`
    Kind,
    /// `record`
    Record,
    /// A field
    Field,
    /// `effect`
    Effect,
    /// `platform`
    Platform,
    /// `policy`
    Policy,
    /// `param`
    Param,
    /// `let`
    Let,
    /// `rank`
    Rank,
    /// `rule`
    Rule,
}

impl Analysis {
    /// The declarations of a file, each with what it declares inside.
    pub fn symbols(&self, path: &Path) -> Vec<Symbol> {
        let Some(file) = self.source(path).and_then(|id| self.file(id)) else {
            return Vec::new();
        };
        let text = self.text_of(file.source);
        let written = |span: Span| super::slice(text, span).trim().to_string();
        file.items
            .iter()
            .map(|item| match item {
                Item::Kind(d) | Item::Record(d) => Symbol {
                    name: d.name.name.clone(),
                    kind: if matches!(item, Item::Kind(_)) {
                        SymbolKind::Kind
                    } else {
                        SymbolKind::Record
                    },
                    detail: None,
                    span: d.span,
                    name_span: d.name.span,
                    children: d
                        .fields
                        .iter()
                        .chain(d.variants.iter().flat_map(|v| &v.fields))
                        .map(|f| Symbol {
                            name: f.name.name.clone(),
                            kind: SymbolKind::Field,
                            detail: Some(written(f.ty.span)),
                            span: f.span,
                            name_span: f.name.span,
                            children: Vec::new(),
                        })
                        .collect(),
                },
                Item::Effect(e) => {
                    leaf(&e.name.name, SymbolKind::Effect, None, e.span, e.name.span)
                }
                Item::Platform(p) => leaf(
                    &p.name.name,
                    SymbolKind::Platform,
                    None,
                    p.span,
                    p.name.span,
                ),
                Item::Policy(p) => {
                    let mut children = Vec::new();
                    for x in &p.params {
                        children.push(leaf(
                            &x.name.name,
                            SymbolKind::Param,
                            Some(written(x.ty.span)),
                            x.span,
                            x.name.span,
                        ));
                    }
                    for x in &p.lets {
                        children.push(leaf(
                            &x.name.name,
                            SymbolKind::Let,
                            None,
                            x.span,
                            x.name.span,
                        ));
                    }
                    for x in &p.ranks {
                        children.push(leaf(
                            &x.name.name,
                            SymbolKind::Rank,
                            None,
                            x.span,
                            x.name.span,
                        ));
                    }
                    for r in &p.rules {
                        let title = r.title.as_ref().map(|t| t.node.clone());
                        children.push(leaf(
                            &r.name.name,
                            SymbolKind::Rule,
                            title,
                            r.span,
                            r.name.span,
                        ));
                    }
                    children.sort_by_key(|c| c.span.start);
                    Symbol {
                        name: p.id.node.clone(),
                        kind: SymbolKind::Policy,
                        detail: p.title.as_ref().map(|t| t.node.clone()),
                        span: p.span,
                        name_span: p.id.span,
                        children,
                    }
                }
            })
            .collect()
    }

    /// The symbols of every file whose name contains `query` (case-blind),
    /// with their files: an editor's "go to symbol in workspace".
    pub fn workspace_symbols(&self, query: &str) -> Vec<(std::path::PathBuf, Symbol)> {
        let query = query.to_lowercase();
        let mut out = Vec::new();
        for path in self.paths() {
            let mut stack = self.symbols(path);
            while let Some(mut s) = stack.pop() {
                stack.append(&mut s.children);
                if s.name.to_lowercase().contains(&query) {
                    out.push((path.to_path_buf(), s));
                }
            }
        }
        out.sort_by(|a, b| (&a.0, a.1.span.start).cmp(&(&b.0, b.1.span.start)));
        out
    }

    /// The byte ranges an editor may fold: declarations, policy entries and
    /// rule versions that span more than one line, and runs of comment lines.
    pub fn folding(&self, path: &Path) -> Vec<Span> {
        let Some(file) = self.source(path).and_then(|id| self.file(id)) else {
            return Vec::new();
        };
        let text = self.text_of(file.source);
        let mut spans = Vec::new();
        for item in &file.items {
            match item {
                Item::Kind(d) | Item::Record(d) => {
                    spans.push(d.span);
                    spans.extend(d.variants.iter().map(|v| v.span));
                }
                Item::Effect(e) => spans.push(e.span),
                Item::Platform(p) => spans.push(p.span),
                Item::Policy(p) => {
                    spans.push(p.span);
                    spans.extend(p.params.iter().map(|x| x.span));
                    spans.extend(p.lets.iter().map(|x| x.span));
                    for r in &p.rules {
                        spans.push(r.span);
                        if let RuleBody::Versions(vs) = &r.body {
                            spans.extend(vs.iter().map(|v| v.span));
                        }
                    }
                }
            }
        }
        // Runs of two or more comment lines.
        let mut run: Option<Span> = None;
        for c in file.comments.iter().filter(|c| !c.trailing) {
            run = match run {
                Some(r)
                    if text
                        .get(r.end as usize..c.span.start as usize)
                        .is_some_and(|gap| {
                            gap.trim().is_empty() && gap.matches('\n').count() == 1
                        }) =>
                {
                    Some(Span {
                        start: r.start,
                        end: c.span.end,
                    })
                }
                Some(r) => {
                    spans.push(r);
                    Some(c.span)
                }
                None => Some(c.span),
            };
        }
        spans.extend(run);
        spans.retain(|s| {
            text.get(s.start as usize..s.end as usize)
                .is_some_and(|t| t.contains('\n'))
        });
        spans.sort_by_key(|s| (s.start, s.end));
        spans.dedup();
        spans
    }
}

fn leaf(
    name: &str,
    kind: SymbolKind,
    detail: Option<String>,
    span: Span,
    name_span: Span,
) -> Symbol {
    Symbol {
        name: name.to_string(),
        kind,
        detail,
        span,
        name_span,
        children: Vec::new(),
    }
}
