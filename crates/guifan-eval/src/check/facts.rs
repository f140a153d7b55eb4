//! Presence facts: which optional paths a condition proves present.
//!
//! `withdrawal_request is present and withdrawal_request.amount > 0` is
//! accepted because the left side, when true, proves the path present for
//! the right side. Paths are written forms (`trial`, `o.paid_at`).

use guifan_syntax::ast::{BinaryOp, Expr, ExprKind, Quantifier, UnaryOp};

/// The written path of a name or field chain (`deposit.balance`), if it is one.
pub(crate) fn path(e: &Expr) -> Option<String> {
    match &e.unparen().kind {
        ExprKind::Name(n) => Some(n.clone()),
        ExprKind::Field(base, field) => path(base).map(|b| format!("{b}.{}", field.name)),
        _ => None,
    }
}

/// Paths present whenever `e` is true.
pub(crate) fn when_true(e: &Expr) -> Vec<String> {
    match &e.unparen().kind {
        ExprKind::Presence {
            expr,
            present: true,
        } => prefixes(expr),
        ExprKind::Chain { first, rest } if chain_of(rest, BinaryOp::And) => {
            let mut f = when_true(first);
            rest.iter().for_each(|(_, x)| f.extend(when_true(x)));
            f
        }
        ExprKind::Unary(UnaryOp::Not, inner) => when_false(inner),
        ExprKind::Conditions {
            quantifier: Quantifier::All,
            items,
        } => items.iter().flat_map(|i| when_true(&i.cond)).collect(),
        _ => Vec::new(),
    }
}

/// Paths present whenever `e` is false.
pub(crate) fn when_false(e: &Expr) -> Vec<String> {
    match &e.unparen().kind {
        ExprKind::Presence {
            expr,
            present: false,
        } => prefixes(expr),
        ExprKind::Chain { first, rest } if chain_of(rest, BinaryOp::Or) => {
            let mut f = when_false(first);
            rest.iter().for_each(|(_, x)| f.extend(when_false(x)));
            f
        }
        ExprKind::Unary(UnaryOp::Not, inner) => when_true(inner),
        _ => Vec::new(),
    }
}

/// Fields of a kind's `when platform == "douyin" { ... }` block, present
/// whenever a condition like the policy's filter (`platform == "douyin" and ...`) holds.
pub(crate) fn variant_fields(e: &Expr, root: &crate::schema::RecordDef) -> Vec<String> {
    let mut equalities = Vec::new();
    collect_equalities(e, &mut equalities);
    root.fields
        .iter()
        .filter(|f| match &f.required_when {
            Some((slot, value)) => equalities
                .iter()
                .any(|(field, v)| root.slot(field) == Some(*slot) && v == value),
            None => false,
        })
        .map(|f| f.name.clone())
        .collect()
}

fn collect_equalities(e: &Expr, out: &mut Vec<(String, String)>) {
    use guifan_syntax::ast::Literal;
    match &e.unparen().kind {
        ExprKind::Chain { first, rest } if chain_of(rest, BinaryOp::And) => {
            collect_equalities(first, out);
            rest.iter().for_each(|(_, x)| collect_equalities(x, out));
        }
        ExprKind::Binary(BinaryOp::Eq, a, b) => match (&a.unparen().kind, &b.unparen().kind) {
            (ExprKind::Name(n), ExprKind::Literal(Literal::Str(v), _))
            | (ExprKind::Literal(Literal::Str(v), _), ExprKind::Name(n)) => {
                out.push((n.clone(), v.clone()));
            }
            _ => {}
        },
        _ => {}
    }
}

/// Whether a chain's operators are all `op` (`and` and `or` never share a chain, but say so).
pub(crate) fn chain_of(rest: &[(BinaryOp, Expr)], op: BinaryOp) -> bool {
    rest.iter().all(|(o, _)| *o == op)
}

/// `a.b.c is present` also proves `a` and `a.b` present.
fn prefixes(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = e;
    loop {
        if let Some(p) = path(cur) {
            out.push(p);
        }
        match &cur.kind {
            ExprKind::Field(base, _) => cur = base,
            _ => break,
        }
    }
    out
}
