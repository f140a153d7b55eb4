//! One policy checked, entry by entry: its header (subject, zone, currency),
//! parameters, filter and governing time, definitions, rankings, window and
//! rules, into an [`ir::Policy`].

use std::collections::HashMap;
use std::sync::Arc;

use chrono_tz::Tz;
use guifan_syntax::ast::{self, RuleBody};
use guifan_syntax::{SourceId, Span};

use super::{
    check_new_name, compile_patterns, constant, facts, overlaps, restore, rule_each, rule_on,
    version, window, with_currency, Cx, PolicyScope, MAX_LET_DEPTH,
};
use crate::error::{CheckError, CheckErrorKind};
use crate::index::Target;
use crate::ir;
use crate::schema::{self, KindId, RecordDef, RecordId, Schema};
use crate::suggest::did_you_mean;
use crate::types::Type;
use crate::value::{Currency, Value};

/// What a policy's header settles: the subject's kind and its record, the zone, the currency.
struct Header<'d> {
    subject: &'d ast::SubjectDecl,
    kind: KindId,
    root: RecordId,
    zone: Tz,
    currency: Option<Currency>,
}

/// The names a policy declares (parameters, definitions, rankings), each once.
type Names<'d> = HashMap<&'d str, Span>;

/// Checks one policy; `None` when its header is too broken to check the rest
/// (every problem is in `errors`). The record types its record literals make
/// are added to the schema.
pub(super) fn check_policy(
    schema_mut: &mut Schema,
    source: SourceId,
    decl: &ast::PolicyDecl,
    errors: &mut Vec<CheckError>,
    uses: &mut Vec<crate::index::Use>,
) -> Option<ir::Policy> {
    let header = header(schema_mut, source, decl, errors)?;
    // Parameters' types need the schema mutably (inline records), so they are resolved first.
    let param_types = param_types(schema_mut, source, decl, header.currency, errors);
    // Record literals add record types: numbered after the schema's, added to it at the end.
    let made_base = u32::try_from(schema_mut.records.len()).ok()?;
    let schema: &Schema = schema_mut;
    let mut cx = Cx {
        schema,
        source,
        root: header.root,
        currency: header.currency,
        params: Vec::new(),
        lets: Vec::new(),
        let_depths: Vec::new(),
        let_reach: 0,
        pattern_params: Vec::new(),
        ranks: Vec::new(),
        locals: Vec::new(),
        local_spans: Vec::new(),
        param_spans: Vec::new(),
        let_spans: Vec::new(),
        policy: Arc::from(decl.id.node.as_str()),
        uses,
        facts: Vec::new(),
        held_allowed: false,
        made: Vec::new(),
        made_base,
        errors,
    };
    let root_def = schema.record(header.root)?;
    let mut names = Names::new();
    let mut params = params(&mut cx, decl, root_def, &mut names, param_types);
    let requires = requirements(&mut cx, decl, &params);
    let filter = header.subject.filter.as_ref().map(|f| cx.condition(f));
    if let Some(f) = &header.subject.filter {
        let mut facts = facts::when_true(f);
        facts.extend(facts::variant_fields(f, root_def));
        cx.facts.extend(facts);
    }
    let governed_by = decl.governed_by.as_ref().map(|g| {
        let (e, t) = cx.expr(g);
        cx.expect_fits(&t, &Type::Timestamp, g.span);
        e
    });
    let lets = definitions(&mut cx, decl, root_def, &mut names);
    let rankings = rankings(&mut cx, decl, root_def, &mut names);
    let effective = decl
        .effective
        .as_ref()
        .map(|w| window(&mut cx, w, header.zone))
        .unwrap_or_default();
    let rules = rules(&mut cx, decl, header.zone);
    compile_pattern_params(&mut cx, &mut params);
    let made = std::mem::take(&mut cx.made);
    schema_mut.records.extend(made);
    let mut policy = ir::Policy {
        id: Arc::from(decl.id.node.as_str()),
        title: decl.title.as_ref().map(|t| t.node.clone()),
        source_id: source,
        kind: header.kind,
        filter,
        zone: header.zone,
        currency: header.currency,
        currency_span: decl
            .currency
            .as_ref()
            .map(|c| c.span)
            .unwrap_or(decl.id.span),
        effective,
        governed_by,
        params,
        requires,
        lets,
        rankings,
        rules,
        compiled: ir::Compiled::default(),
    };
    policy.compiled = ir::Compiled::new(crate::eval::compile(&policy));
    Some(policy)
}

/// `require` conditions: booleans over the parameters and constants only
/// (no field of a subject, no definition, no `now`: they hold for a
/// deployment, not for a record).
fn requirements(cx: &mut Cx<'_>, decl: &ast::PolicyDecl, params: &[ir::Param]) -> Vec<ir::Require> {
    let mut out = Vec::new();
    for r in &decl.requires {
        // Names bound inside the condition (`any(t > 0 for t in tiers)`) are its own.
        let mut bound: Vec<&str> = Vec::new();
        guifan_syntax::visit::each_under(vec![&r.condition], &mut |e| {
            if let ast::ExprKind::Comprehension { binder, .. } = &e.kind {
                bound.push(&binder.name);
            }
        });
        let mut reads: Option<(Span, String)> = None;
        guifan_syntax::visit::each_under(vec![&r.condition], &mut |e| {
            let name = match &e.kind {
                ast::ExprKind::Name(n)
                    if !params.iter().any(|p| p.name == *n) && !bound.contains(&n.as_str()) =>
                {
                    Some(n.clone())
                }
                ast::ExprKind::Now => Some("now".to_string()),
                _ => None,
            };
            if let (Some(name), None) = (name, &reads) {
                reads = Some((e.span, name));
            }
        });
        if let Some((span, name)) = reads {
            let known: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
            let help = did_you_mean(&name, known.iter().copied()).unwrap_or_else(|| {
                "a requirement holds for a deployment, whatever the record: it reads the policy's parameters and constants".into()
            });
            cx.push(
                CheckError::new(cx.source, span, CheckErrorKind::NotAParameter { name })
                    .with_help(help),
            );
            continue;
        }
        let condition = cx.condition(&r.condition);
        out.push(ir::Require {
            condition,
            message: r.message.as_ref().map(|m| m.node.clone()),
            span: r.span,
        });
    }
    out
}

/// The header: `subject` (a known kind), `zone` (a known zone), and the
/// `currency` when there is one. `None` when the subject or zone is missing
/// or unknown: nothing else can be checked without them.
fn header<'d>(
    schema: &Schema,
    source: SourceId,
    decl: &'d ast::PolicyDecl,
    errors: &mut Vec<CheckError>,
) -> Option<Header<'d>> {
    let missing = |entry: &'static str| {
        CheckError::new(
            source,
            decl.id.span,
            CheckErrorKind::MissingEntry {
                policy: decl.id.node.clone(),
                entry,
            },
        )
    };
    let Some(subject) = &decl.subject else {
        errors.push(
            missing("subject").with_help("add `subject <kind>`, for example `subject merchant`"),
        );
        return None;
    };
    let Some(kind) = schema.kind(&subject.kind.name) else {
        let err = CheckError::new(
            source,
            subject.kind.span,
            CheckErrorKind::UnknownKind {
                name: subject.kind.name.clone(),
            },
        );
        let help = did_you_mean(&subject.kind.name, schema.kind_names())
            .unwrap_or_else(|| "declare it with `kind <name> { ... }` under rules/".into());
        errors.push(err.with_help(help));
        return None;
    };
    let zone = match &decl.zone {
        Some(z) => match schema::parse_zone(&z.node) {
            Some(tz) => tz,
            None => {
                let help = crate::suggest::zone_did_you_mean(&z.node).unwrap_or_else(|| {
                    "use an IANA name such as `Asia/Shanghai` or `Europe/Moscow`".into()
                });
                errors.push(
                    CheckError::new(
                        source,
                        z.span,
                        CheckErrorKind::UnknownZone {
                            name: z.node.clone(),
                        },
                    )
                    .with_help(help),
                );
                // The rest of the policy is still checked, so that one run
                // reports every mistake; the zone stands in for the unknown one.
                chrono_tz::UTC
            }
        },
        None => {
            errors.push(
                missing("zone")
                    .with_help("add `zone Asia/Shanghai` (calendar words are computed in it)"),
            );
            chrono_tz::UTC
        }
    };
    let currency = match &decl.currency {
        Some(c) => match Currency::parse(&c.node) {
            Some(cur) => Some(cur),
            None => {
                errors.push(CheckError::new(
                    source,
                    c.span,
                    CheckErrorKind::InvalidCurrency {
                        code: c.node.clone(),
                    },
                ));
                None
            }
        },
        None => None,
    };
    let root = schema.kind_def(kind).map(|k| k.record)?;
    Some(Header {
        subject,
        kind,
        root,
        zone,
        currency,
    })
}

/// The parameters' types, in the policy's currency, optional when they may be absent.
fn param_types(
    schema: &mut Schema,
    source: SourceId,
    decl: &ast::PolicyDecl,
    currency: Option<Currency>,
    errors: &mut Vec<CheckError>,
) -> Vec<Type> {
    let mut param_types = Vec::new();
    for p in &decl.params {
        let path = format!("{}.{}", decl.id.node, p.name.name);
        let ty = schema::resolve_param_type(schema, source, &p.ty, &path, errors);
        let ty = with_currency(ty, currency);
        let ty = if p.ty.optional || p.default.is_none() {
            ty.optional()
        } else {
            ty
        };
        param_types.push(ty);
    }
    param_types
}

/// The parameters with their defaults (constants of their types).
fn params<'d>(
    cx: &mut Cx<'_>,
    decl: &'d ast::PolicyDecl,
    root_def: &RecordDef,
    names: &mut Names<'d>,
    types: Vec<Type>,
) -> Vec<ir::Param> {
    let mut params = Vec::new();
    for (p, ty) in decl.params.iter().zip(types) {
        check_new_name(cx, root_def, names, &p.name, "parameter");
        let value = match &p.default {
            Some(default) => {
                let (e, t) = cx.expr(default);
                cx.expect_fits(&t, &ty, default.span);
                cx.check_enum_literal(ty.strip_optional(), default);
                constant(cx, &e, "a parameter's default").unwrap_or(Value::Absent)
            }
            None => Value::Absent,
        };
        cx.resolved(
            p.name.span,
            Target::Param {
                name: p.name.name.clone(),
                declared: p.name.span,
            },
            &ty,
        );
        cx.params.push((p.name.name.clone(), ty.clone()));
        cx.param_spans.push(p.name.span);
        params.push(ir::Param {
            name: p.name.name.clone(),
            ty,
            value,
            patterns: None,
        });
    }
    params
}

/// The definitions (`let`), each checked once, their chains bounded.
fn definitions<'d>(
    cx: &mut Cx<'_>,
    decl: &'d ast::PolicyDecl,
    root_def: &RecordDef,
    names: &mut Names<'d>,
) -> Vec<ir::Let> {
    let mut lets = Vec::new();
    for l in &decl.lets {
        check_new_name(cx, root_def, names, &l.name, "definition");
        cx.let_reach = 0;
        let (e, t) = cx.expr(&l.value);
        // Definitions are evaluated on demand, one inside another: bound the chain.
        let depth = cx.let_reach + 1;
        if depth > MAX_LET_DEPTH {
            cx.error(
                l.value.span,
                CheckErrorKind::TooDeep {
                    limit: MAX_LET_DEPTH,
                },
            );
        }
        cx.let_depths.push(depth);
        cx.resolved(
            l.name.span,
            Target::Let {
                name: l.name.name.clone(),
                declared: l.name.span,
            },
            &t,
        );
        cx.lets.push((l.name.name.clone(), t));
        cx.let_spans.push(l.name.span);
        lets.push(ir::Let {
            name: l.name.name.clone(),
            expr: e,
        });
    }
    lets
}

/// The rankings (`rank`): what they rank by must be ordered.
fn rankings<'d>(
    cx: &mut Cx<'_>,
    decl: &'d ast::PolicyDecl,
    root_def: &RecordDef,
    names: &mut Names<'d>,
) -> Vec<ir::Ranking> {
    let mut rankings = Vec::with_capacity(decl.ranks.len());
    for r in &decl.ranks {
        check_new_name(cx, root_def, names, &r.name, "ranking");
        let depth = cx.facts.len();
        let filter = r.filter.as_ref().map(|f| {
            let x = cx.condition(f);
            cx.facts.extend(facts::when_true(f));
            x
        });
        let (score, t) = cx.expr(&r.score);
        let orderable = matches!(
            t,
            Type::Int
                | Type::Decimal
                | Type::Money(_)
                | Type::Percent
                | Type::Duration
                | Type::Date
                | Type::Timestamp
                | Type::Error
        );
        if !orderable {
            let found = cx.show(&t);
            cx.error(
                r.score.span,
                CheckErrorKind::TypeMismatch {
                    expected: "a number, money, percent, duration, date or timestamp to rank by"
                        .into(),
                    found,
                },
            );
        }
        let per = r.per.as_ref().map(|p| cx.expr(p).0);
        cx.facts.truncate(depth);
        cx.ranks.push(r.name.name.clone());
        rankings.push(ir::Ranking {
            name: r.name.name.clone(),
            score,
            per,
            filter,
        });
    }
    rankings
}

/// The rules, each name once; a rule on another kind sees that kind alone.
fn rules(cx: &mut Cx<'_>, decl: &ast::PolicyDecl, zone: Tz) -> Vec<ir::Rule> {
    let mut rules = Vec::new();
    let mut rule_names: std::collections::HashMap<&str, Span> = std::collections::HashMap::new();
    for r in &decl.rules {
        if let Some(&first) = rule_names.get(r.name.name.as_str()) {
            let err = CheckError::new(
                cx.source,
                r.name.span,
                CheckErrorKind::Duplicate {
                    what: "rule",
                    name: r.name.name.clone(),
                },
            )
            .with_related(cx.source, first, "first declared here");
            cx.push(err);
            continue;
        }
        rule_names.insert(&r.name.name, r.name.span);
        let id: Arc<str> = Arc::from(format!("{}.{}", decl.id.node, r.name.name));
        // A rule on another kind reads that kind's fields: the policy's
        // definitions and the facts its filter proved are not in scope.
        let saved = r.on.as_ref().map(|_| PolicyScope {
            root: cx.root,
            lets: std::mem::take(&mut cx.lets),
            let_depths: std::mem::take(&mut cx.let_depths),
            facts: std::mem::take(&mut cx.facts),
            ranks: std::mem::take(&mut cx.ranks),
        });
        let on = r.on.as_ref().and_then(|on| rule_on(cx, on));
        if r.on.is_some() && on.is_none() {
            // An unknown kind is reported; its body would only add errors against the wrong kind.
            restore(cx, saved);
            continue;
        }
        let each = r.each.as_ref().map(|e| rule_each(cx, e));
        let versions = match &r.body {
            RuleBody::Single(clauses) => {
                vec![version(cx, None, ir::Window::default(), clauses)]
            }
            RuleBody::Versions(vs) => {
                let mut out: Vec<ir::Version> = Vec::new();
                let mut spans: Vec<(Span, String)> = Vec::new();
                for v in vs {
                    let w = window(cx, &v.window, zone);
                    for (prev, (_, prev_label)) in out.iter().zip(spans.iter()) {
                        if overlaps(&prev.window, &w) {
                            cx.push(
                                CheckError::new(
                                    cx.source,
                                    v.label.span,
                                    CheckErrorKind::VersionOverlap {
                                        rule: r.name.name.clone(),
                                        first: prev_label.clone(),
                                        second: v.label.node.clone(),
                                    },
                                )
                                .with_help("give each version a `from`/`until` window that ends where the next begins"),
                            );
                        }
                    }
                    spans.push((v.label.span, v.label.node.clone()));
                    out.push(version(cx, Some(&v.label), w, &v.clauses));
                }
                out
            }
        };
        cx.unbind_to(0);
        restore(cx, saved);
        rules.push(ir::Rule {
            id,
            name: r.name.name.clone(),
            title: r.title.as_ref().map(|t| t.node.clone()),
            versions,
            on,
            each,
            span: r.span,
        });
    }
    rules
}

/// The parameters used as `matches` patterns, compiled once (or reported).
fn compile_pattern_params(cx: &mut Cx<'_>, params: &mut [ir::Param]) {
    for (i, at) in std::mem::take(&mut cx.pattern_params) {
        if let Some(p) = params.get_mut(i as usize) {
            match compile_patterns(&p.value) {
                Ok(set) => p.patterns = Some(Arc::new(set)),
                Err(reason) => cx.error(at, CheckErrorKind::InvalidRegex { reason }),
            }
        }
    }
}
