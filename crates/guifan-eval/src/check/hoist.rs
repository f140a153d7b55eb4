//! Run-invariant sub-expressions of aggregates: inside the `where` or the
//! mapped expression of `count(w in withdrawals where month(w.at) ==
//! month(withdrawal_request.at))`, `month(withdrawal_request.at)` reads none of
//! the aggregate's bindings, so it is the same for every item. Such
//! computations (arithmetic and calls over constants, parameters, `now`, the
//! subject and enclosing bindings) are wrapped in
//! [`ExprKind::Invariant`]: computed at their first use in each run of the
//! aggregate, then read back. Computed lazily, not before the loop, so an
//! empty list or a short-circuited `where` evaluates (and fails) exactly what
//! it did before.

use crate::ir::{Each, Expr, ExprKind, Message, Policy, TemplatePart};

/// Hoists the invariants of every aggregate of a policy, numbering their slots.
pub(crate) fn hoist_policy(policy: &mut Policy) {
    let mut slots = 0u32;
    let mut visit = |e: &mut Expr| walk(e, &mut slots);
    policy.filter.iter_mut().for_each(&mut visit);
    policy.governed_by.iter_mut().for_each(&mut visit);
    for l in &mut policy.lets {
        visit(&mut l.expr);
    }
    for r in &mut policy.rankings {
        visit(&mut r.score);
        r.per.iter_mut().for_each(&mut visit);
        r.filter.iter_mut().for_each(&mut visit);
    }
    for rule in &mut policy.rules {
        if let Some((_, Some(filter))) = &mut rule.on {
            visit(filter);
        }
        if let Some(Each { source, keys, .. }) = &mut rule.each {
            visit(source);
            keys.iter_mut().flatten().for_each(&mut visit);
        }
        for v in &mut rule.versions {
            v.lets.iter_mut().for_each(&mut visit);
            visit(&mut v.when);
            for effect in &mut v.effects {
                effect.guard.iter_mut().for_each(&mut visit);
                effect.args.iter_mut().for_each(|(_, e)| visit(e));
            }
            if let Some(Message::Template(parts)) = &mut v.message {
                for part in parts {
                    if let TemplatePart::Expr(e) = part {
                        visit(e);
                    }
                }
            }
        }
    }
}

/// Visits `e`'s aggregates, innermost first, hoisting in each. Recursion is
/// bounded by the checker's limit on nesting (long `and`/`+` chains are flat).
fn walk(e: &mut Expr, slots: &mut u32) {
    let mut kids = Vec::new();
    children(&mut e.kind, &mut kids);
    for kid in kids {
        walk(kid, slots);
    }
    if let ExprKind::Aggregate {
        local,
        filter,
        map,
        invariants,
        ..
    } = &mut e.kind
    {
        let start = *slots;
        for part in filter.iter_mut().chain(map.iter_mut()) {
            hoist(part, *local, slots);
        }
        *invariants = start..*slots;
    }
}

/// Wraps the largest computations of `e` that read no binding from `local` on.
fn hoist(e: &mut Expr, local: u32, slots: &mut u32) {
    if matches!(e.kind, ExprKind::Arith(..) | ExprKind::Call(..)) && invariant(e, local) {
        let span = e.span;
        let inner = std::mem::replace(
            e,
            Expr {
                kind: ExprKind::Now,
                span,
            },
        );
        *e = Expr {
            kind: ExprKind::Invariant(*slots, Box::new(inner)),
            span,
        };
        *slots += 1;
        return;
    }
    // A nested aggregate hoisted its own; what is already hoisted stays as it is.
    if matches!(e.kind, ExprKind::Aggregate { .. } | ExprKind::Invariant(..)) {
        return;
    }
    let mut kids = Vec::new();
    children(&mut e.kind, &mut kids);
    for kid in kids {
        hoist(kid, local, slots);
    }
}

/// Whether `e` is the same for every item of an aggregate binding `local`:
/// it reads only constants, parameters, `now`, the subject and enclosing
/// bindings, through field access, arithmetic and built-in functions (which
/// are pure). Definitions are left out: reading one replays its labels.
fn invariant(e: &Expr, local: u32) -> bool {
    match &e.kind {
        ExprKind::Const(_)
        | ExprKind::Param(_)
        | ExprKind::Now
        | ExprKind::Subject(_)
        | ExprKind::SubjectPath(_) => true,
        ExprKind::Local(i) | ExprKind::LocalPath(i, _) => *i < local,
        ExprKind::Field(x, _) | ExprKind::Neg(x) => invariant(x, local),
        ExprKind::Arith(first, steps) => {
            invariant(first, local) && steps.iter().all(|s| invariant(&s.rhs, local))
        }
        ExprKind::Call(_, args) => args.iter().all(|a| invariant(a, local)),
        _ => false,
    }
}

/// The sub-expressions of `kind`.
fn children<'e>(kind: &'e mut ExprKind, out: &mut Vec<&'e mut Expr>) {
    match kind {
        ExprKind::Const(_)
        | ExprKind::Subject(_)
        | ExprKind::SubjectPath(_)
        | ExprKind::LocalPath(..)
        | ExprKind::Local(_)
        | ExprKind::Param(_)
        | ExprKind::Let(_)
        | ExprKind::Rank(_)
        | ExprKind::Now
        | ExprKind::Held => {}
        ExprKind::Field(x, _)
        | ExprKind::Not(x)
        | ExprKind::Neg(x)
        | ExprKind::Presence(x, _)
        | ExprKind::Invariant(_, x) => out.push(x),
        ExprKind::And(items)
        | ExprKind::Or(items)
        | ExprKind::Coalesce(items)
        | ExprKind::List(items)
        | ExprKind::Record(items)
        | ExprKind::Call(_, items) => out.extend(items.iter_mut()),
        ExprKind::Cmp(_, a, b) | ExprKind::In(a, b) | ExprKind::Index(a, b) => {
            out.push(a);
            out.push(b);
        }
        ExprKind::Within { x, low, high, .. } => {
            out.push(x);
            out.push(low);
            out.push(high);
        }
        ExprKind::Arith(first, steps) => {
            out.push(first);
            out.extend(steps.iter_mut().map(|s| &mut s.rhs));
        }
        ExprKind::If(branches, otherwise) => {
            for (c, v) in branches {
                out.push(c);
                out.push(v);
            }
            out.push(otherwise);
        }
        ExprKind::Aggregate {
            source,
            filter,
            map,
            ..
        } => {
            out.push(source);
            out.extend(filter.iter_mut().map(|b| &mut **b));
            out.extend(map.iter_mut().map(|b| &mut **b));
        }
        ExprKind::Conditions(_, items) => out.extend(items.iter_mut().map(|(_, e)| e)),
    }
}
