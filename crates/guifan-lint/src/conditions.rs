//! `never_holds`, `always_holds` and `unreachable_tier`: comparisons of one
//! value with constants that contradict or cover one another.
//!
//! Values are compared as real numbers (an `int` field compared as a
//! decimal), so a warning is never wrong: `x > 1 and x < 2` is not reported,
//! though no integer lies between.

use std::cmp::Ordering;

use guifan_syntax::ast::*;
use rust_decimal::Decimal;

use crate::names::each_expr;
use crate::Lint;

/// `path op constant`, the constant with its unit (`CNY`, `%`, seconds, or none).
#[derive(Clone, Debug)]
struct Atom<'e> {
    path: String,
    unit: &'static str,
    currency: String,
    op: BinaryOp,
    value: Decimal,
    expr: &'e Expr,
}

/// The written path of a name or field chain (`deposit.balance`).
fn path(e: &Expr) -> Option<String> {
    match &e.unparen().kind {
        ExprKind::Name(n) => Some(n.clone()),
        ExprKind::Field(base, f) => path(base).map(|b| format!("{b}.{}", f.name)),
        _ => None,
    }
}

/// A numeric literal with its unit.
fn constant(e: &Expr) -> Option<(Decimal, &'static str, String)> {
    let ExprKind::Literal(lit, _) = &e.unparen().kind else {
        return None;
    };
    match lit {
        Literal::Int(i) => Some((Decimal::from(*i), "", String::new())),
        Literal::Decimal(d) => Some((*d, "", String::new())),
        Literal::Money(d, c) => Some((*d, "money", c.clone())),
        Literal::Percent(d) => Some((*d, "%", String::new())),
        Literal::Duration(s) => Some((Decimal::from(*s), "s", String::new())),
        _ => None,
    }
}

fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::Le => BinaryOp::Ge,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::Ge => BinaryOp::Le,
        other => other,
    }
}

fn atom(e: &Expr) -> Option<Atom<'_>> {
    let ExprKind::Binary(op, a, b) = &e.unparen().kind else {
        return None;
    };
    if !matches!(
        op,
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq
    ) {
        return None;
    }
    let (p, (value, unit, currency), op) = match (path(a), constant(b)) {
        (Some(p), Some(c)) => (p, c, *op),
        _ => (path(b)?, constant(a)?, flip(*op)),
    };
    Some(Atom {
        path: p,
        unit,
        currency,
        op,
        value,
        expr: e,
    })
}

/// A bound: its value, and whether it is included.
type Bound = Option<(Decimal, bool)>;

/// The values an atom admits: (lower, upper).
fn interval(a: &Atom<'_>) -> (Bound, Bound) {
    let v = a.value;
    match a.op {
        BinaryOp::Lt => (None, Some((v, false))),
        BinaryOp::Le => (None, Some((v, true))),
        BinaryOp::Gt => (Some((v, false)), None),
        BinaryOp::Ge => (Some((v, true)), None),
        _ => (Some((v, true)), Some((v, true))),
    }
}

/// Whether no value lies between `lo` and `hi`.
fn empty(lo: Bound, hi: Bound) -> bool {
    match (lo, hi) {
        (Some((l, li)), Some((h, hi))) => match l.cmp(&h) {
            Ordering::Greater => true,
            Ordering::Equal => !(li && hi),
            Ordering::Less => false,
        },
        _ => false,
    }
}

/// Whether lower bound `a` admits no less than `b` (`a` is looser or equal).
fn lower_looser(a: Bound, b: Bound) -> bool {
    match (a, b) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((x, xi)), Some((y, yi))) => x < y || (x == y && (xi || !yi)),
    }
}

/// Whether upper bound `a` admits no less than `b`.
fn upper_looser(a: Bound, b: Bound) -> bool {
    match (a, b) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((x, xi)), Some((y, yi))) => x > y || (x == y && (xi || !yi)),
    }
}

fn same_value(a: &Atom<'_>, b: &Atom<'_>) -> bool {
    a.path == b.path && a.unit == b.unit && a.currency == b.currency
}

fn is_bool(e: &Expr, value: bool) -> bool {
    matches!(&e.unparen().kind, ExprKind::Literal(Literal::Bool(b), _) if *b == value)
}

/// The operands of an `and` (`all`) or `or` (`any`) at the top of `e`.
fn operands(e: &Expr, and: bool) -> Option<Vec<&Expr>> {
    let want = if and { BinaryOp::And } else { BinaryOp::Or };
    match &e.kind {
        ExprKind::Chain { first, rest } if rest.iter().all(|(op, _)| *op == want) => Some(
            std::iter::once(&**first)
                .chain(rest.iter().map(|(_, x)| x))
                .collect(),
        ),
        ExprKind::Conditions { quantifier, items } if (*quantifier == Quantifier::All) == and => {
            Some(items.iter().map(|i| &i.cond).collect())
        }
        _ => None,
    }
}

/// Reports contradictions, tautologies and unreachable ladder branches in a policy.
pub(crate) fn check(lint: &mut Lint<'_>, policy: &PolicyDecl) {
    let mut found = Vec::new();
    each_expr(policy, |e| found.push(e));
    for e in found {
        if let Some(parts) = operands(e, true) {
            never(lint, e, &parts);
        }
        if let Some(parts) = operands(e, false) {
            always(lint, e, &parts);
        }
        if let ExprKind::If { branches, .. } = &e.kind {
            ladder(lint, branches);
        }
    }
}

fn never(lint: &mut Lint<'_>, whole: &Expr, parts: &[&Expr]) {
    if parts.iter().any(|p| is_bool(p, false)) {
        lint.warn(
            "guifan::lint::never_holds",
            "this condition can never hold".into(),
            whole.span,
            "`false` makes the whole `and` false",
            "remove the `false`, or the whole condition".into(),
        );
        return;
    }
    let atoms: Vec<Atom<'_>> = parts.iter().filter_map(|p| atom(p)).collect();
    let contradict = |a: &Atom<'_>, b: &Atom<'_>| {
        let (alo, ahi) = interval(a);
        let (blo, bhi) = interval(b);
        let lo = if lower_looser(alo, blo) { blo } else { alo };
        let hi = if upper_looser(ahi, bhi) { bhi } else { ahi };
        empty(lo, hi)
    };
    if let Some((a, b)) = first_pair(&atoms, contradict) {
        lint.warn(
            "guifan::lint::never_holds",
            "this condition can never hold".into(),
            whole.span,
            &format!(
                "no value of `{}` is both {} and {}",
                a.path,
                words(a),
                words(b)
            ),
            "check the bounds: one comparison is probably the wrong way round".into(),
        );
    }
}

/// The first two comparisons of one value (in order) that `holds` says of.
fn first_pair<'a, 'e>(
    atoms: &'a [Atom<'e>],
    holds: impl Fn(&Atom<'e>, &Atom<'e>) -> bool,
) -> Option<(&'a Atom<'e>, &'a Atom<'e>)> {
    atoms.iter().enumerate().find_map(|(i, a)| {
        atoms
            .iter()
            .skip(i + 1)
            .find(|b| same_value(a, b) && holds(a, b))
            .map(|b| (a, b))
    })
}

fn always(lint: &mut Lint<'_>, whole: &Expr, parts: &[&Expr]) {
    if parts.iter().any(|p| is_bool(p, true)) {
        lint.warn(
            "guifan::lint::always_holds",
            "this condition always holds".into(),
            whole.span,
            "`true` makes the whole `or` true",
            "remove the `true`, or the condition".into(),
        );
        return;
    }
    let atoms: Vec<Atom<'_>> = parts.iter().filter_map(|p| atom(p)).collect();
    // One admits everything below a point, the other everything above one.
    let cover = |a: &Atom<'_>, b: &Atom<'_>| {
        let (below, above) = match (interval(a), interval(b)) {
            ((None, hi), (lo, None)) => (hi, lo),
            ((lo, None), (None, hi)) => (hi, lo),
            _ => return false,
        };
        match (below, above) {
            (Some((h, hi)), Some((l, li))) => l < h || (l == h && (hi || li)),
            _ => false,
        }
    };
    if let Some((a, b)) = first_pair(&atoms, cover) {
        lint.warn(
            "guifan::lint::always_holds",
            "this condition always holds".into(),
            whole.span,
            &format!(
                "every value of `{}` is {} or {}",
                a.path,
                words(a),
                words(b)
            ),
            "check the bounds: the two comparisons leave no value out".into(),
        );
    }
}

/// `if x >= 10 then a else if x >= 20 then b ...`: a branch whose condition
/// admits only values an earlier branch already took.
fn ladder(lint: &mut Lint<'_>, branches: &[(Expr, Expr)]) {
    let atoms: Vec<Option<Atom<'_>>> = branches.iter().map(|(c, _)| atom(c)).collect();
    for (k, later) in atoms.iter().enumerate() {
        let Some(later) = later else { continue };
        let (llo, lhi) = interval(later);
        let taken = atoms.iter().take(k).flatten().find(|earlier| {
            let (elo, ehi) = interval(earlier);
            same_value(earlier, later) && lower_looser(elo, llo) && upper_looser(ehi, lhi)
        });
        if let Some(earlier) = taken {
            lint.warn(
                "guifan::lint::unreachable_tier",
                "this branch can never be taken".into(),
                later.expr.span,
                &format!(
                    "every `{}` {} is also {}, which a branch above takes",
                    later.path,
                    words(later),
                    words(earlier)
                ),
                "order the branches from the strictest to the loosest (`>= 20` before `>= 10`)"
                    .into(),
            );
        }
    }
}

/// `above 200`, `at most 100 CNY`.
fn words(a: &Atom<'_>) -> String {
    let value = match a.unit {
        "money" => format!("{} {}", a.value, a.currency),
        "%" => format!("{}%", a.value * Decimal::from(100)),
        "s" => format!("{} s", a.value),
        _ => a.value.to_string(),
    };
    let op = match a.op {
        BinaryOp::Lt => "below",
        BinaryOp::Le => "at most",
        BinaryOp::Gt => "above",
        BinaryOp::Ge => "at least",
        _ => "equal to",
    };
    format!("{op} {value}")
}
