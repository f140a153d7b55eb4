//! Checking: resolve every name against the schema, type every expression,
//! and lower the AST into the slot-indexed IR. Every error is collected.

mod builtins;
mod expr;
mod facts;
mod hoist;
mod policy;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use guifan_syntax::ast::{self, Item, RuleFile, TimePoint};
use guifan_syntax::{SourceId, Span, Spanned};

use crate::error::{CheckError, CheckErrorKind};
use crate::eval;
use crate::index::{Checked, Target, Use};
use crate::ir::{self, Program};
use crate::schema::{self, KindId, RecordId, Schema};
use crate::suggest::did_you_mean;
use crate::types::Type;
use crate::value::{Currency, Value};

/// Checks every file together (schema declarations may sit in any of them)
/// and returns the compiled program, or every error found.
pub fn check(files: &[RuleFile]) -> Result<Program, Vec<CheckError>> {
    let mut uses = Vec::new();
    let mut errors = Vec::new();
    let schema = schema::build(files, &mut errors);
    check_with(files, schema, errors, &mut uses).map_err(|failed| failed.0)
}

/// Checks every file together, as [`check`] does, and keeps what tools need
/// besides: the schema as declared and every name that resolved, also when
/// checking fails.
pub fn check_indexed(files: &[RuleFile]) -> Checked {
    let mut uses = Vec::new();
    let mut errors = Vec::new();
    let schema = schema::build(files, &mut errors);
    let (result, schema) = match check_with(files, schema, errors, &mut uses) {
        Ok(program) => {
            let schema = program.schema.clone();
            (Ok(program), schema)
        }
        Err(failed) => {
            let (errors, schema) = *failed;
            (Err(errors), schema)
        }
    };
    Checked {
        result,
        schema,
        uses,
    }
}

fn check_with(
    files: &[RuleFile],
    mut schema: Schema,
    mut errors: Vec<CheckError>,
    uses: &mut Vec<Use>,
) -> Result<Program, Box<(Vec<CheckError>, Schema)>> {
    let mut policies = Vec::new();
    let mut seen_ids: std::collections::HashMap<String, (SourceId, Span)> =
        std::collections::HashMap::new();
    for file in files {
        for item in &file.items {
            if let Item::Policy(decl) = item {
                if let Some(&(first_file, first)) = seen_ids.get(&decl.id.node) {
                    errors.push(
                        CheckError::new(
                            file.source,
                            decl.id.span,
                            CheckErrorKind::Duplicate {
                                what: "policy",
                                name: decl.id.node.clone(),
                            },
                        )
                        .with_related(
                            first_file,
                            first,
                            "first declared here",
                        ),
                    );
                    continue;
                }
                seen_ids.insert(decl.id.node.clone(), (file.source, decl.id.span));
                if let Some(mut p) =
                    policy::check_policy(&mut schema, file.source, decl, &mut errors, uses)
                {
                    hoist::hoist_policy(&mut p);
                    policies.push(p);
                }
            }
        }
    }
    hide_cascades(files, &mut errors);
    if !errors.is_empty() {
        return Err(Box::new((errors, schema)));
    }
    // The defaults must meet the policies' own requirements.
    for p in &policies {
        for r in crate::eval::unmet_requirements(p) {
            let because = r
                .message
                .as_ref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            errors.push(
                CheckError::new(
                    p.source_id,
                    r.span,
                    CheckErrorKind::UnmetRequirement { because },
                )
                .with_help("change a default, or the requirement: deployments are held to it too"),
            );
        }
    }
    if !errors.is_empty() {
        return Err(Box::new((errors, schema)));
    }
    let mut by_kind = vec![Vec::new(); schema.kinds.len()];
    for (i, p) in policies.iter().enumerate() {
        // The policy's subject, and the kinds its `on` rules judge.
        let mut kinds: Vec<KindId> = std::iter::once(p.kind)
            .chain(
                p.rules
                    .iter()
                    .filter_map(|r| r.on.as_ref().map(|(k, _)| *k)),
            )
            .collect();
        kinds.sort_unstable_by_key(|k| k.0);
        kinds.dedup();
        for k in kinds {
            if let Some(list) = by_kind.get_mut(k.0 as usize) {
                list.push(i);
            }
        }
    }
    Ok(Program {
        schema,
        policies,
        by_kind,
    })
}

/// Drops the errors that only follow from a declaration or entry that did not
/// parse (its syntax error is reported): a name it would have declared is not
/// "unknown", and a policy whose `subject` did not parse does not lack one.
fn hide_cascades(files: &[RuleFile], errors: &mut Vec<CheckError>) {
    let mut names: HashSet<&str> = HashSet::new();
    let mut missing: HashSet<(&str, &str)> = HashSet::new();
    for file in files {
        names.extend(file.broken.iter().filter_map(|b| b.name.as_deref()));
        for item in &file.items {
            if let Item::Policy(p) = item {
                for b in &p.broken {
                    names.extend(b.name.as_deref());
                    // A misspelt entry word (`subjct`) may be the entry found missing.
                    let known = guifan_syntax::ast::ENTRY_WORDS.contains(&b.keyword.as_str());
                    let entry = if known { b.keyword.as_str() } else { "*" };
                    missing.insert((p.id.node.as_str(), entry));
                }
            }
        }
    }
    if names.is_empty() && missing.is_empty() {
        return;
    }
    errors.retain(|e| match &e.kind {
        CheckErrorKind::UnknownField { name, .. }
        | CheckErrorKind::UnknownKind { name }
        | CheckErrorKind::UnknownType { name }
        | CheckErrorKind::UnknownEffect { name } => !names.contains(name.as_str()),
        CheckErrorKind::MissingEntry { policy, entry } => {
            !missing.contains(&(policy.as_str(), *entry))
                && !missing.contains(&(policy.as_str(), "*"))
        }
        _ => true,
    });
}

/// The longest chain of definitions reading one another (`let b = a + 1`, `let c = b + 1`, ...).
pub const MAX_LET_DEPTH: usize = 64;

/// Name-resolution and typing context for one policy.
pub(crate) struct Cx<'a> {
    pub(crate) schema: &'a Schema,
    pub(crate) source: SourceId,
    pub(crate) root: RecordId,
    pub(crate) currency: Option<Currency>,
    pub(crate) params: Vec<(String, Type)>,
    pub(crate) lets: Vec<(String, Type)>,
    /// For each definition, the longest chain of definitions its value reads through (itself included)
    pub(crate) let_depths: Vec<usize>,
    /// The deepest definition read by the expression being checked
    pub(crate) let_reach: usize,
    /// Parameters used as `matches` patterns, with where: compiled once the policy is checked
    pub(crate) pattern_params: Vec<(u32, Span)>,
    /// The policy's `rank` names, in order
    pub(crate) ranks: Vec<String>,
    pub(crate) locals: Vec<(String, Type)>,
    /// Where each of [`Cx::locals`] is bound
    pub(crate) local_spans: Vec<Span>,
    /// Where each of [`Cx::params`] is declared
    pub(crate) param_spans: Vec<Span>,
    /// Where each of [`Cx::lets`] is declared
    pub(crate) let_spans: Vec<Span>,
    /// The policy's ID, for the uses recorded
    pub(crate) policy: Arc<str>,
    /// Every name resolved so far (for tools)
    pub(crate) uses: &'a mut Vec<Use>,
    /// Paths known to be present here (`trial`, `withdrawal_request`)
    pub(crate) facts: Vec<String>,
    pub(crate) held_allowed: bool,
    /// The record types that record literals (`{id: m.id, text: m.text}`) made,
    /// numbered from [`Cx::made_base`]; added to the schema once the policy is checked
    pub(crate) made: Vec<schema::RecordDef>,
    /// The first [`RecordId`] of [`Cx::made`]: the schema's record count
    pub(crate) made_base: u32,
    pub(crate) errors: &'a mut Vec<CheckError>,
}

impl Cx<'_> {
    pub(crate) fn error(&mut self, span: Span, kind: CheckErrorKind) {
        self.errors.push(CheckError::new(self.source, span, kind));
    }

    pub(crate) fn push(&mut self, err: CheckError) {
        self.errors.push(err);
    }

    /// Records what the name written at `span` resolved to.
    pub(crate) fn resolved(&mut self, span: Span, target: Target, ty: &Type) {
        self.uses.push(Use {
            source: self.source,
            span,
            policy: self.policy.clone(),
            target,
            ty: ty.clone(),
        });
    }

    /// Binds a local name (an item, a group key, a rule's own `let`).
    pub(crate) fn bind(&mut self, name: &ast::Ident, ty: Type) {
        self.resolved(
            name.span,
            Target::Local {
                name: name.name.clone(),
                declared: name.span,
            },
            &ty,
        );
        self.locals.push((name.name.clone(), ty));
        self.local_spans.push(name.span);
    }

    /// Unbinds the locals bound since there were `len`.
    pub(crate) fn unbind_to(&mut self, len: usize) {
        self.locals.truncate(len);
        self.local_spans.truncate(len);
    }

    pub(crate) fn show(&self, ty: &Type) -> String {
        if self.made.is_empty() {
            return ty.display(self.schema).to_string();
        }
        // Only on error paths: a schema that knows the literals' records too.
        let mut schema = self.schema.clone();
        schema.records.extend(self.made.iter().cloned());
        ty.display(&schema).to_string()
    }

    /// A record layout: the schema's, or one a record literal of this policy made.
    pub(crate) fn record_def(&self, id: RecordId) -> Option<&schema::RecordDef> {
        match id.0.checked_sub(self.made_base) {
            Some(k) => self.made.get(k as usize),
            None => self.schema.record(id),
        }
    }
}

/// The most regular expressions one pattern parameter may hold.
pub const MAX_PATTERNS: usize = 1_000;
/// The most text the patterns of one parameter may have together, in bytes.
pub const MAX_PATTERN_BYTES: usize = 64 << 10;
/// The compiled size the patterns of one parameter may take (the regex crate's own limit, lowered).
const PATTERN_SIZE_LIMIT: usize = 32 << 20;

/// The regular expressions a pattern parameter holds (one string, a list, or
/// absent: none). Their number and text are bounded before anything is
/// compiled (compiling grows with both), and so is the compiled size.
pub(crate) fn compile_patterns(value: &Value) -> Result<regex::RegexSet, String> {
    let patterns: Vec<&str> = match value {
        Value::Str(s) => vec![&**s],
        Value::List(items) => items
            .iter()
            .filter_map(|v| match v {
                Value::Str(s) => Some(&**s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if patterns.len() > MAX_PATTERNS {
        return Err(format!(
            "{} patterns; a pattern parameter holds at most {MAX_PATTERNS} (join alternatives with `|`)",
            patterns.len()
        ));
    }
    let bytes: usize = patterns.iter().map(|p| p.len()).sum();
    if bytes > MAX_PATTERN_BYTES {
        return Err(format!(
            "{bytes} bytes of patterns; a pattern parameter holds at most {MAX_PATTERN_BYTES}"
        ));
    }
    regex::RegexSetBuilder::new(patterns)
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

fn check_new_name<'n>(
    cx: &mut Cx<'_>,
    root: &schema::RecordDef,
    names: &mut std::collections::HashMap<&'n str, Span>,
    name: &'n ast::Ident,
    what: &'static str,
) {
    if let Some(&first) = names.get(name.name.as_str()) {
        let err = CheckError::new(
            cx.source,
            name.span,
            CheckErrorKind::Duplicate {
                what,
                name: name.name.clone(),
            },
        )
        .with_related(cx.source, first, "first declared here");
        cx.push(err);
        return;
    }
    names.insert(&name.name, name.span);
    if root.slot(&name.name).is_some() {
        let err = CheckError::new(
            cx.source,
            name.span,
            CheckErrorKind::ShadowsField {
                name: name.name.clone(),
            },
        )
        .with_help("choose another name, so that rules can still read the field");
        cx.push(err);
    }
}

/// Gives schema money (`money`, record's currency) the policy's currency.
pub(crate) fn with_currency(ty: Type, currency: Option<Currency>) -> Type {
    match ty {
        Type::Money(None) => Type::Money(currency),
        Type::List(t) => Type::List(Box::new(with_currency(*t, currency))),
        Type::Optional(t) => Type::Optional(Box::new(with_currency(*t, currency))),
        Type::Map(k, v) => Type::Map(
            Box::new(with_currency(*k, currency)),
            Box::new(with_currency(*v, currency)),
        ),
        other => other,
    }
}

/// What a rule on another kind cannot see of its policy, set aside while it is checked.
struct PolicyScope {
    root: RecordId,
    lets: Vec<(String, Type)>,
    let_depths: Vec<usize>,
    facts: Vec<String>,
    ranks: Vec<String>,
}

/// Puts back what [`PolicyScope`] set aside.
fn restore(cx: &mut Cx<'_>, saved: Option<PolicyScope>) {
    if let Some(s) = saved {
        cx.root = s.root;
        cx.lets = s.lets;
        cx.let_depths = s.let_depths;
        cx.facts = s.facts;
        cx.ranks = s.ranks;
    }
}

/// Points the checker at a rule's own kind (`rule r on pickup_request where ...`),
/// and checks its filter there.
fn rule_on(cx: &mut Cx<'_>, on: &ast::SubjectDecl) -> Option<(KindId, Option<ir::Expr>)> {
    let schema = cx.schema;
    let Some(kind) = schema.kind(&on.kind.name) else {
        let help = did_you_mean(&on.kind.name, schema.kind_names())
            .unwrap_or_else(|| "declare it with `kind <name> { ... }` under rules/".into());
        let err = CheckError::new(
            cx.source,
            on.kind.span,
            CheckErrorKind::UnknownKind {
                name: on.kind.name.clone(),
            },
        )
        .with_help(help);
        cx.push(err);
        return None;
    };
    let root = schema.kind_def(kind)?.record;
    cx.root = root;
    let filter = on.filter.as_ref().map(|f| cx.condition(f));
    if let (Some(f), Some(def)) = (&on.filter, schema.record(root)) {
        let mut facts = facts::when_true(f);
        facts.extend(facts::variant_fields(f, def));
        cx.facts.extend(facts);
    }
    Some((kind, filter))
}

/// Binds a `for` rule's locals: the item, or the group's keys and items.
fn rule_each(cx: &mut Cx<'_>, each: &ast::RuleEach) -> ir::Each {
    let (source, item) = cx.list(&each.source);
    cx.bind(&each.binder, item.clone());
    let Some(group) = &each.group else {
        return ir::Each {
            source,
            keys: None,
            names: Vec::new(),
        };
    };
    let mut keys = Vec::with_capacity(group.keys.len());
    let mut types = Vec::with_capacity(group.keys.len());
    for (_, value) in &group.keys {
        let (k, t) = cx.expr(value);
        keys.push(k);
        types.push(t);
    }
    // In the rule's body, a group is its keys and its items; no single item is bound.
    cx.unbind_to(cx.locals.len().saturating_sub(1));
    let mut names: HashSet<&str> = HashSet::new();
    let named = group.keys.iter().map(|(n, _)| n).chain([&group.items]);
    for (name, ty) in named.zip(types.into_iter().chain([Type::List(Box::new(item))])) {
        if !names.insert(&name.name) {
            cx.error(
                name.span,
                CheckErrorKind::Duplicate {
                    what: "group name",
                    name: name.name.clone(),
                },
            );
        }
        cx.bind(name, ty);
    }
    ir::Each {
        source,
        keys: Some(keys),
        names: group
            .keys
            .iter()
            .map(|(name, _)| Arc::from(name.name.as_str()))
            .collect(),
    }
}

fn version(
    cx: &mut Cx<'_>,
    label: Option<&Spanned<String>>,
    window: ir::Window,
    clauses: &ast::Clauses,
) -> ir::Version {
    // The rule's own definitions are locals, after the `for` rule's.
    let locals = cx.locals.len();
    let mut lets = Vec::with_capacity(clauses.lets.len());
    for l in &clauses.lets {
        let (x, t) = cx.expr(&l.value);
        cx.bind(&l.name, t);
        lets.push(x);
    }
    let when = cx.condition(&clauses.when);
    let facts = facts::when_true(&clauses.when);
    let depth = cx.facts.len();
    cx.facts.extend(facts);
    cx.held_allowed = true;
    let effects = clauses.effects.iter().map(|e| cx.effect(e)).collect();
    let message = clauses.message.as_ref().map(|m| {
        let parts: Vec<ir::TemplatePart> = m
            .parts
            .iter()
            .map(|p| match p {
                ast::TemplatePart::Text(t) => ir::TemplatePart::Text(t.clone()),
                ast::TemplatePart::Expr(e) => ir::TemplatePart::Expr(cx.expr(e).0),
            })
            .collect();
        match parts.as_slice() {
            [] => ir::Message::Constant(Arc::from("")),
            [ir::TemplatePart::Text(t)] => ir::Message::Constant(Arc::from(t.as_str())),
            _ => ir::Message::Template(parts),
        }
    });
    cx.held_allowed = false;
    cx.facts.truncate(depth);
    cx.unbind_to(locals);
    ir::Version {
        label: label.map(|l| Arc::from(l.node.as_str())),
        window,
        lets,
        when,
        effects,
        message,
    }
}

fn window(cx: &mut Cx<'_>, w: &ast::Window, zone: Tz) -> ir::Window {
    let mut point = |p: &Option<Spanned<TimePoint>>| {
        p.as_ref().and_then(|p| match instant(p.node, zone) {
            Some(t) => Some(t),
            None => {
                cx.error(
                    p.span,
                    CheckErrorKind::NotConstant {
                        what: "a window bound",
                    },
                );
                None
            }
        })
    };
    let window = ir::Window {
        from: point(&w.from),
        until: point(&w.until),
    };
    if let (Some(from), Some(until), Some(f), Some(u)) =
        (window.from, window.until, &w.from, &w.until)
    {
        if until <= from {
            cx.error(
                f.span.to(u.span),
                CheckErrorKind::InvertedWindow {
                    from: from.to_rfc3339(),
                    until: until.to_rfc3339(),
                },
            );
        }
    }
    window
}

/// The instant a time point stands for: a date means its local midnight.
pub(crate) fn instant(p: TimePoint, zone: Tz) -> Option<DateTime<FixedOffset>> {
    match p {
        TimePoint::Timestamp(t) => Some(t),
        TimePoint::Date(d) => crate::calendar::start_of_day(zone, d),
    }
}

fn overlaps(a: &ir::Window, b: &ir::Window) -> bool {
    let starts_before_end = |w1: &ir::Window, w2: &ir::Window| match (w1.from, w2.until) {
        (Some(f), Some(u)) => f < u,
        _ => true,
    };
    starts_before_end(a, b) && starts_before_end(b, a)
}

/// Evaluates an expression that must not depend on the subject or the time.
fn constant(cx: &mut Cx<'_>, e: &ir::Expr, what: &'static str) -> Option<Value> {
    if !is_constant(e) {
        cx.error(e.span, CheckErrorKind::NotConstant { what });
        return None;
    }
    match eval::constant(e) {
        Ok(v) => Some(v),
        Err(err) => {
            let error = CheckError::new(cx.source, err.span, CheckErrorKind::NotConstant { what })
                .with_label(err.kind.to_string())
                .with_help("its value cannot be computed when the rules are loaded");
            cx.push(error);
            None
        }
    }
}

fn is_constant(e: &ir::Expr) -> bool {
    use ir::ExprKind::*;
    match &e.kind {
        Const(_) => true,
        Subject(_)
        | SubjectPath(_)
        | LocalPath(..)
        | Local(_)
        | Param(_)
        | Let(_)
        | Rank(_)
        | Now
        | Held
        | Aggregate { .. }
        | Invariant(..)
        | Conditions(..) => false,
        Field(b, _) | Not(b) | Neg(b) | Presence(b, _) => is_constant(b),
        Cmp(_, a, b) | In(a, b) | Index(a, b) => is_constant(a) && is_constant(b),
        Within { x, low, high, .. } => is_constant(x) && is_constant(low) && is_constant(high),
        Arith(first, steps) => is_constant(first) && steps.iter().all(|s| is_constant(&s.rhs)),
        If(branches, otherwise) => {
            branches
                .iter()
                .all(|(c, v)| is_constant(c) && is_constant(v))
                && is_constant(otherwise)
        }
        And(items) | Or(items) | Coalesce(items) | List(items) | Record(items) | Call(_, items) => {
            items.iter().all(is_constant)
        }
    }
}
