//! Where a name is declared, where it is read, and renaming it everywhere:
//! in rule files, and in the parameter tables of test and parameter files.

use std::path::{Path, PathBuf};

use guifan_eval::Target;
use guifan_syntax::ast::{Item, PolicyDecl, RuleFile, TypeExpr, TypeExprKind};
use guifan_syntax::{SourceId, Span};

use super::{contains, is_name, slice, Analysis, Edit};

/// A place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file
    pub path: PathBuf,
    /// The bytes
    pub span: Span,
}

/// Why a name cannot be renamed as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenameError {
    /// Nothing renameable is at the place
    #[error("only parameters, definitions and names bound in rules can be renamed")]
    NotRenameable,
    /// The new name is not a name
    #[error("`{0}` is not a name: a letter or `_`, then letters, digits and `_`, and not a reserved word")]
    NotAName(String),
    /// The new name is taken where the renamed one is visible
    #[error("`{new}` is already {what} in policy `{policy}`")]
    Clash {
        /// The name asked for
        new: String,
        /// What holds it (`a field of the subject`, `a parameter`)
        what: &'static str,
        /// The policy
        policy: String,
    },
}

/// What a name at some place stands for, so that its other places can be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Symbol {
    /// A parameter, definition or local, by its declaration in a file
    Declared(SourceId, Span, Kind),
    /// A field, by its declaration
    Field(SourceId, Span),
    /// An effect, by its declaration
    Effect(SourceId, Span),
    /// A kind or record type, by name
    Type(String),
    /// A ranking of a policy
    Rank(String, String),
    /// A built-in function
    Builtin(String),
    /// A rule of a policy (its full ID)
    Rule(String),
    /// A policy
    Policy(String),
    /// A named condition of `any { ... }` or `all { ... }`, by its name's place
    Condition(SourceId, Span),
}

/// The kind of a declared name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Param,
    Let,
    Local,
}

impl Analysis {
    /// What is named at `offset` of `path`, with the span of the name there.
    pub(super) fn symbol_at(&self, path: &Path, offset: usize) -> Option<(Symbol, Span)> {
        let id = self.source(path)?;
        if let Some(u) = self.use_at(id, offset) {
            let symbol = match &u.target {
                Target::Param { declared, .. } => {
                    Symbol::Declared(u.source, *declared, Kind::Param)
                }
                Target::Let { declared, .. } => Symbol::Declared(u.source, *declared, Kind::Let),
                Target::Local { declared, .. } => {
                    Symbol::Declared(u.source, *declared, Kind::Local)
                }
                Target::Field { declared, .. } => Symbol::Field(declared.0, declared.1),
                Target::Effect { declared, .. } => Symbol::Effect(declared.0, declared.1),
                Target::Rank { name } => Symbol::Rank(u.policy.to_string(), name.clone()),
                Target::Builtin { name } => Symbol::Builtin(name.clone()),
            };
            return Some((symbol, u.span));
        }
        let file = self.file(id)?;
        syntax_symbol_at(self, file, offset)
    }

    /// Where the name at `offset` of `path` is declared.
    pub fn definition(&self, path: &Path, offset: usize) -> Option<Location> {
        let (symbol, _) = self.symbol_at(path, offset)?;
        let (id, span) = self.declaration(&symbol)?;
        Some(Location {
            path: self.path_of(id),
            span,
        })
    }

    /// Where a rule (by its full ID, `douyin.zero_deposit_trial.listing_cap`) is declared.
    pub fn rule_location(&self, rule: &str) -> Option<Location> {
        self.location(self.declaration(&Symbol::Rule(rule.to_string()))?)
    }

    /// Where a policy is declared.
    pub fn policy_location(&self, policy: &str) -> Option<Location> {
        self.location(self.declaration(&Symbol::Policy(policy.to_string()))?)
    }

    /// Where a parameter of a policy is declared.
    pub fn param_location(&self, policy: &str, name: &str) -> Option<Location> {
        let (id, p) = self.policies().find(|(_, p)| p.id.node == policy)?;
        let param = p.params.iter().find(|x| x.name.name == name)?;
        self.location((id, param.name.span))
    }

    fn location(&self, (id, span): (SourceId, Span)) -> Option<Location> {
        Some(Location {
            path: self.path_of(id),
            span,
        })
    }

    fn declaration(&self, symbol: &Symbol) -> Option<(SourceId, Span)> {
        match symbol {
            Symbol::Declared(id, span, _) | Symbol::Field(id, span) => Some((*id, *span)),
            Symbol::Effect(id, span) => {
                // The declaration's span covers the whole `effect ...`: point at its name.
                let name = self.effect_name_span(*id, *span);
                Some((*id, name.unwrap_or(*span)))
            }
            Symbol::Type(name) => self.type_declaration(name),
            Symbol::Rank(policy, name) => self.policies().find_map(|(id, p)| {
                (p.id.node == *policy)
                    .then(|| p.ranks.iter().find(|r| r.name.name == *name))
                    .flatten()
                    .map(|r| (id, r.name.span))
            }),
            Symbol::Rule(rule) => self.policies().find_map(|(id, p)| {
                p.rules
                    .iter()
                    .find(|r| format!("{}.{}", p.id.node, r.name.name) == *rule)
                    .map(|r| (id, r.name.span))
            }),
            Symbol::Policy(policy) => self
                .policies()
                .find(|(_, p)| p.id.node == *policy)
                .map(|(id, p)| (id, p.id.span)),
            Symbol::Condition(id, span) => Some((*id, *span)),
            Symbol::Builtin(_) => None,
        }
    }

    fn effect_name_span(&self, id: SourceId, whole: Span) -> Option<Span> {
        self.file(id)?.items.iter().find_map(|item| match item {
            Item::Effect(e) if e.span == whole || e.name.span == whole => Some(e.name.span),
            _ => None,
        })
    }

    /// The declaration of a kind or record type, by name.
    pub(super) fn type_declaration(&self, name: &str) -> Option<(SourceId, Span)> {
        self.files.iter().find_map(|f| {
            f.items.iter().find_map(|item| match item {
                Item::Kind(d) | Item::Record(d) if d.name.name == name => {
                    Some((f.source, d.name.span))
                }
                _ => None,
            })
        })
    }

    /// Every policy, with its file.
    pub(super) fn policies(&self) -> impl Iterator<Item = (SourceId, &PolicyDecl)> {
        self.files.iter().flat_map(|f| {
            f.items.iter().filter_map(move |item| match item {
                Item::Policy(p) => Some((f.source, &**p)),
                _ => None,
            })
        })
    }

    /// Every place the name at `offset` of `path` is written: its
    /// declaration (when `with_declaration`) and every read, in file order.
    pub fn references(&self, path: &Path, offset: usize, with_declaration: bool) -> Vec<Location> {
        let Some((symbol, _)) = self.symbol_at(path, offset) else {
            return Vec::new();
        };
        let declaration = self.declaration(&symbol);
        let mut spans: Vec<(SourceId, Span)> = self
            .uses
            .iter()
            .filter(|u| {
                let here = match &u.target {
                    Target::Param { declared, .. } => {
                        Symbol::Declared(u.source, *declared, Kind::Param)
                    }
                    Target::Let { declared, .. } => {
                        Symbol::Declared(u.source, *declared, Kind::Let)
                    }
                    Target::Local { declared, .. } => {
                        Symbol::Declared(u.source, *declared, Kind::Local)
                    }
                    Target::Field { declared, .. } => Symbol::Field(declared.0, declared.1),
                    Target::Effect { declared, .. } => Symbol::Effect(declared.0, declared.1),
                    Target::Rank { name } => Symbol::Rank(u.policy.to_string(), name.clone()),
                    Target::Builtin { name } => Symbol::Builtin(name.clone()),
                };
                here == symbol
            })
            .map(|u| (u.source, u.span))
            .collect();
        if let Symbol::Type(name) = &symbol {
            spans.extend(self.type_mentions(name));
        }
        if with_declaration {
            spans.extend(declaration);
        } else {
            spans.retain(|s| Some(*s) != declaration);
        }
        spans.sort_by_key(|(id, span)| (id.0, span.start));
        spans.dedup();
        spans
            .into_iter()
            .map(|(id, span)| Location {
                path: self.path_of(id),
                span,
            })
            .collect()
    }

    /// Every place a kind or record type is named: `subject`, `on`, field types.
    fn type_mentions(&self, name: &str) -> Vec<(SourceId, Span)> {
        let mut out = Vec::new();
        for f in self.files.iter() {
            for_each_type_name(f, &mut |ident| {
                if ident.name == name {
                    out.push((f.source, ident.span));
                }
            });
        }
        out
    }

    /// The edits that rename the parameter, definition or bound name at
    /// `offset` of `path` to `new_name` everywhere it is written, refusing a
    /// name that is not one or that is taken where it is visible.
    pub fn rename(
        &self,
        path: &Path,
        offset: usize,
        new_name: &str,
    ) -> Result<Vec<Edit>, RenameError> {
        let (symbol, _) = self
            .symbol_at(path, offset)
            .ok_or(RenameError::NotRenameable)?;
        if !is_name(new_name) {
            return Err(RenameError::NotAName(new_name.to_string()));
        }
        if let Symbol::Condition(id, span) = symbol {
            return self.rename_condition(id, span, new_name);
        }
        let Symbol::Declared(id, declared, kind) = symbol else {
            return Err(RenameError::NotRenameable);
        };
        let (_, policy) = self
            .policies()
            .find(|(pid, p)| *pid == id && contains(p.span, declared.start as usize))
            .ok_or(RenameError::NotRenameable)?;
        if let Some(what) = self.taken(policy, kind, declared, new_name) {
            return Err(RenameError::Clash {
                new: new_name.to_string(),
                what,
                policy: policy.id.node.clone(),
            });
        }
        Ok(self
            .references(path, offset, true)
            .into_iter()
            .map(|l| Edit {
                path: l.path,
                span: l.span,
                text: new_name.to_string(),
            })
            .collect())
    }

    /// Renames a named condition: its one place (its label in `held` changes
    /// with it when it has no description); refused when a condition beside
    /// it has the name.
    fn rename_condition(
        &self,
        id: SourceId,
        span: Span,
        new_name: &str,
    ) -> Result<Vec<Edit>, RenameError> {
        let siblings = self
            .condition_groups(id)
            .into_iter()
            .find(|group| group.iter().any(|n| n.span == span))
            .ok_or(RenameError::NotRenameable)?;
        if siblings
            .iter()
            .any(|n| n.name == new_name && n.span != span)
        {
            let policy = self
                .policies()
                .find(|(pid, p)| *pid == id && contains(p.span, span.start as usize))
                .map(|(_, p)| p.id.node.clone())
                .unwrap_or_default();
            return Err(RenameError::Clash {
                new: new_name.to_string(),
                what: "a condition beside it",
                policy,
            });
        }
        Ok(vec![Edit {
            path: self.path_of(id),
            span,
            text: new_name.to_string(),
        }])
    }

    /// The names of each `any { ... }` and `all { ... }` of a file's policies.
    pub(super) fn condition_groups(&self, id: SourceId) -> Vec<Vec<&guifan_syntax::ast::Ident>> {
        let mut groups = Vec::new();
        for (_, p) in self.policies().filter(|(pid, _)| *pid == id) {
            guifan_syntax::visit::each_expr(p, |e| {
                if let guifan_syntax::ast::ExprKind::Conditions { items, .. } = &e.kind {
                    groups.push(items.iter().map(|i| &i.name).collect());
                }
            });
        }
        groups
    }

    /// What already holds `name` where a renamed name would be visible.
    fn taken(
        &self,
        policy: &PolicyDecl,
        kind: Kind,
        declared: Span,
        name: &str,
    ) -> Option<&'static str> {
        if policy.params.iter().any(|p| p.name.name == name) {
            return Some("a parameter");
        }
        if policy.lets.iter().any(|l| l.name.name == name) {
            return Some("a definition");
        }
        if policy.ranks.iter().any(|r| r.name.name == name) {
            return Some("a ranking");
        }
        let subject_field = policy.subject.as_ref().is_some_and(|s| {
            self.schema
                .kinds
                .iter()
                .find(|k| k.name == s.kind.name)
                .and_then(|k| self.schema.record(k.record))
                .is_some_and(|r| r.fields.iter().any(|f| f.name == name))
        });
        if subject_field {
            return Some("a field of the subject");
        }
        if kind == Kind::Local {
            // A name bound in the same rule.
            let rule = policy
                .rules
                .iter()
                .find(|r| contains(r.span, declared.start as usize))?;
            let bound_here = self.uses.iter().any(|u| {
                matches!(&u.target, Target::Local { name: n, declared: d }
                    if n == name && contains(rule.span, d.start as usize))
            });
            if bound_here {
                return Some("a name bound in the same rule");
            }
        }
        None
    }

    /// The text of the declaration's name (for a rename's placeholder).
    pub fn name_at(&self, path: &Path, offset: usize) -> Option<(Span, String)> {
        let (symbol, span) = self.symbol_at(path, offset)?;
        matches!(symbol, Symbol::Declared(..) | Symbol::Condition(..)).then(|| {
            let id = self.source(path);
            let text = id.map_or("", |id| slice(self.text_of(id), span));
            (span, text.to_string())
        })
    }
}

/// The symbol named by syntax alone at `offset`: a kind after `subject` or
/// `on`, a type in a declaration, a policy ID, a rule's name.
fn syntax_symbol_at(analysis: &Analysis, file: &RuleFile, offset: usize) -> Option<(Symbol, Span)> {
    let mut found = None;
    for_each_type_name(file, &mut |ident| {
        if contains(ident.span, offset) && analysis.type_declaration(&ident.name).is_some() {
            found = Some((Symbol::Type(ident.name.clone()), ident.span));
        }
    });
    if found.is_some() {
        return found;
    }
    let named_condition = analysis
        .condition_groups(file.source)
        .into_iter()
        .flatten()
        .find(|n| contains(n.span, offset))
        .map(|n| (Symbol::Condition(file.source, n.span), n.span));
    if named_condition.is_some() {
        return named_condition;
    }
    for item in &file.items {
        match item {
            Item::Kind(d) | Item::Record(d) if contains(d.name.span, offset) => {
                return Some((Symbol::Type(d.name.name.clone()), d.name.span));
            }
            Item::Effect(e) if contains(e.name.span, offset) => {
                return Some((Symbol::Effect(file.source, e.span), e.name.span));
            }
            Item::Policy(p) => {
                if contains(p.id.span, offset) {
                    return Some((Symbol::Policy(p.id.node.clone()), p.id.span));
                }
                if let Some(r) = p.rules.iter().find(|r| contains(r.name.span, offset)) {
                    let id = format!("{}.{}", p.id.node, r.name.name);
                    return Some((Symbol::Rule(id), r.name.span));
                }
                if let Some(r) = p.ranks.iter().find(|r| contains(r.name.span, offset)) {
                    return Some((
                        Symbol::Rank(p.id.node.clone(), r.name.name.clone()),
                        r.name.span,
                    ));
                }
            }
            _ => {}
        }
    }
    None
}

/// Calls `f` on every name of a kind or record written as a type: after
/// `subject` and `on`, and in field, parameter and effect types.
pub(super) fn for_each_type_name(file: &RuleFile, f: &mut dyn FnMut(&guifan_syntax::ast::Ident)) {
    fn in_type(t: &TypeExpr, f: &mut dyn FnMut(&guifan_syntax::ast::Ident)) {
        match &t.kind {
            TypeExprKind::Named(n) => f(n),
            TypeExprKind::List(inner) => in_type(inner, f),
            TypeExprKind::Map(k, v) => {
                in_type(k, f);
                in_type(v, f);
            }
            TypeExprKind::Record(fields) => fields.iter().for_each(|x| in_type(&x.ty, f)),
            TypeExprKind::Enum(_) => {}
        }
    }
    for item in &file.items {
        match item {
            Item::Kind(d) | Item::Record(d) => {
                d.fields.iter().for_each(|x| in_type(&x.ty, f));
                d.variants
                    .iter()
                    .flat_map(|v| &v.fields)
                    .for_each(|x| in_type(&x.ty, f));
            }
            Item::Effect(e) => e.params.iter().for_each(|x| in_type(&x.ty, f)),
            Item::Platform(_) => {}
            Item::Policy(p) => {
                if let Some(s) = &p.subject {
                    f(&s.kind);
                }
                for r in &p.rules {
                    if let Some(on) = &r.on {
                        f(&on.kind);
                    }
                }
                p.params.iter().for_each(|x| in_type(&x.ty, f));
            }
        }
    }
}

/// The keys naming parameter `name` of `policy` in a TOML text: a parameter
/// file (`["douyin.zero_deposit_trial"]`, or nested tables) or a test file's
/// `params` tables (the file's and each case's). For renaming a parameter.
pub fn param_keys(toml: &str, policy: &str, name: &str) -> Vec<Span> {
    let Ok(doc) = toml_edit::ImDocument::parse(toml.to_string()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let root = doc.as_table();
    // A parameter file names policies at its root; a test file under `params`.
    walk_params(root, &mut Vec::new(), policy, name, &mut out);
    out.sort_by_key(|s| s.start);
    out.dedup();
    out
}

fn walk_params(
    table: &dyn toml_edit::TableLike,
    path: &mut Vec<String>,
    policy: &str,
    name: &str,
    out: &mut Vec<Span>,
) {
    // Only depth a policy ID can have, plus `params`, `case` and one index.
    if path.len() > 16 {
        return;
    }
    let joined = path.join(".");
    let under_params = joined
        .rsplit_once("params.")
        .map_or(joined.as_str(), |(_, after)| after);
    let here = under_params == policy || joined == policy;
    for (key, item) in table.iter() {
        if here && key == name {
            if let Some(span) = table.key(key).and_then(|k| k.span()) {
                out.push(Span::new(span.start, span.end));
            }
            continue;
        }
        if let Some(t) = item.as_table_like() {
            path.push(key.to_string());
            walk_params(t, path, policy, name, out);
            path.pop();
        } else if let Some(cases) = item.as_array_of_tables() {
            for t in cases.iter() {
                // A case's `params` starts a fresh path.
                walk_params(t, &mut Vec::new(), policy, name, out);
            }
        }
    }
}
