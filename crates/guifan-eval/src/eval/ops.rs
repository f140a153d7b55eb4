//! Operators on values: checked arithmetic, exact comparison, currency checks.

use std::cmp::Ordering;

use chrono::TimeDelta;
use guifan_syntax::Span;
use rust_decimal::Decimal;

use crate::error::{EvalError, EvalErrorKind};
use crate::ir::{ArithOp, CmpOp};
use crate::value::{Currency, Duration, Money, Value};

use ethnum::I256;

/// An evaluation error, boxed so that results stay small on the hot path.
pub(crate) type Failure = Box<EvalError>;

/// The error of an operand of another kind than expected.
#[cold]
pub(crate) fn unexpected(expected: &'static str, found: &Value, span: Span) -> EvalError {
    EvalError::new(
        EvalErrorKind::Unexpected {
            expected,
            found: found.kind_name(),
        },
        span,
    )
}

fn err(kind: EvalErrorKind, span: Span) -> EvalError {
    EvalError::new(kind, span)
}

fn overflow(span: Span) -> EvalError {
    err(EvalErrorKind::Overflow, span)
}

fn same_currency(a: Currency, b: Currency, span: Span) -> Result<(), EvalError> {
    if a == b {
        Ok(())
    } else {
        Err(err(
            EvalErrorKind::CurrencyMismatch {
                left: a.to_string(),
                right: b.to_string(),
            },
            span,
        ))
    }
}

/// Orders two values of one kind (counts, decimals and percents mix; money
/// must share a currency).
pub(crate) fn order(a: &Value, b: &Value, span: Span) -> Result<Ordering, EvalError> {
    use Value::*;
    if let (Int(x), Int(y)) = (a, b) {
        return Ok(x.cmp(y));
    }
    if let (Some(x), Some(y)) = (fraction(a), fraction(b)) {
        return Ok(x.cmp(&y));
    }
    Ok(match (a, b) {
        (Money(x), Money(y)) => {
            same_currency(x.currency, y.currency, span)?;
            x.amount.cmp(&y.amount)
        }
        (Str(x), Str(y)) => x.cmp(y),
        (Date(x), Date(y)) => x.cmp(y),
        (Timestamp(x), Timestamp(y)) => x.cmp(y),
        (Time(x), Time(y)) => x.cmp(y),
        (Duration(x), Duration(y)) => x.cmp(y),
        (Bool(x), Bool(y)) => x.cmp(y),
        (x, _) => return Err(unexpected("comparable values", x, span)),
    })
}

/// Equality: exact for numbers (`500` equals `500.00`, `0.5` equals `50%`),
/// structural otherwise.
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        return x == y;
    }
    match (fraction(a), fraction(b)) {
        (Some(x), Some(y)) => x == y,
        _ => {
            std::mem::discriminant(a) == std::mem::discriminant(b)
                && a.total_cmp(b) == Ordering::Equal
        }
    }
}

/// A count, decimal or percent as the exact number it stands for (`50%` is 0.5).
fn fraction(v: &Value) -> Option<rust_decimal::Decimal> {
    match v {
        Value::Int(i) => Some(rust_decimal::Decimal::from(*i)),
        Value::Decimal(d) | Value::Percent(d) => Some(*d),
        _ => None,
    }
}

/// Equality as `==` sees it: money in different currencies is an error, not "unequal".
pub(crate) fn equal_checked(a: &Value, b: &Value, span: Span) -> Result<bool, EvalError> {
    if let (Value::Money(x), Value::Money(y)) = (a, b) {
        same_currency(x.currency, y.currency, span)?;
    }
    Ok(equal(a, b))
}

/// Whether `items` holds `x` (`x in items`, `contains(items, x)`), by [`equal_checked`].
pub(crate) fn contains(items: &[Value], x: &Value, span: Span) -> Result<bool, EvalError> {
    for i in items {
        if equal_checked(x, i, span)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether `order` satisfies `op`.
#[inline]
pub(crate) fn holds(op: CmpOp, order: Ordering) -> bool {
    match op {
        CmpOp::Eq => order.is_eq(),
        CmpOp::Ne => order.is_ne(),
        CmpOp::Lt => order.is_lt(),
        CmpOp::Le => order.is_le(),
        CmpOp::Gt => order.is_gt(),
        CmpOp::Ge => order.is_ge(),
    }
}

/// `a <op> b`: counts, money of one currency, text (equality) and instants
/// compared at once; anything else by [`equal_checked`] or [`order`], which
/// agree with those on them.
pub(crate) fn compare(op: CmpOp, a: &Value, b: &Value, span: Span) -> Result<bool, EvalError> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => return Ok(holds(op, x.cmp(y))),
        (Value::Money(x), Value::Money(y)) if x.currency == y.currency => {
            return Ok(holds(op, x.amount.cmp(&y.amount)))
        }
        (Value::Str(x), Value::Str(y)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => {
            return Ok((x == y) == (op == CmpOp::Eq))
        }
        (Value::Timestamp(x), Value::Timestamp(y)) => return Ok(holds(op, x.cmp(y))),
        _ => {}
    }
    match op {
        CmpOp::Eq | CmpOp::Ne => {
            let eq = equal_checked(a, b, span)?;
            Ok(if op == CmpOp::Eq { eq } else { !eq })
        }
        _ => {
            let o = order(a, b, span)?;
            Ok(match op {
                CmpOp::Lt => o.is_lt(),
                CmpOp::Le => o.is_le(),
                CmpOp::Gt => o.is_gt(),
                _ => o.is_ge(),
            })
        }
    }
}

/// `-x`.
pub(crate) fn negate(v: &Value, span: Span) -> Result<Value, EvalError> {
    Ok(match v {
        Value::Int(i) => Value::Int(i.checked_neg().ok_or_else(|| overflow(span))?),
        Value::Decimal(d) => Value::Decimal(-d),
        Value::Percent(d) => Value::Percent(-d),
        Value::Money(m) => Value::Money(Money {
            amount: -m.amount,
            currency: m.currency,
        }),
        Value::Duration(d) if !d.is_permanent() => {
            Value::Duration(Duration(d.0.checked_neg().ok_or_else(|| overflow(span))?))
        }
        other => return Err(unexpected("a number", other, span)),
    })
}

/// `abs(x)`.
pub(crate) fn abs(v: &Value, span: Span) -> Result<Value, EvalError> {
    Ok(match v {
        Value::Int(i) => Value::Int(i.checked_abs().ok_or_else(|| overflow(span))?),
        Value::Decimal(d) => Value::Decimal(d.abs()),
        Value::Percent(d) => Value::Percent(d.abs()),
        Value::Money(m) => Value::Money(Money {
            amount: m.amount.abs(),
            currency: m.currency,
        }),
        Value::Duration(d) => {
            Value::Duration(Duration(d.0.checked_abs().ok_or_else(|| overflow(span))?))
        }
        other => return Err(unexpected("a number", other, span)),
    })
}

/// `round(x, places)`: halves away from zero, as prices are rounded (四舍五入).
/// A count is already whole; a percent rounds its figure, so `21.666%` to one
/// place is `21.7%`.
pub(crate) fn round(v: &Value, places: u32, span: Span) -> Result<Value, EvalError> {
    let to = |d: Decimal, places: u32| {
        d.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    };
    Ok(match v {
        Value::Int(i) => Value::Int(*i),
        Value::Decimal(d) => Value::Decimal(to(*d, places)),
        Value::Percent(d) => Value::Percent(to(*d, places.saturating_add(2))),
        Value::Money(m) => Value::Money(Money {
            amount: to(m.amount, places),
            currency: m.currency,
        }),
        other => return Err(unexpected("a number", other, span)),
    })
}

/// Decimal arithmetic, exact or an error.
///
/// Sums, differences and products are exact: when the result would need more
/// than the 28 significant digits a decimal holds, rust_decimal would round it
/// (or let a tiny product become 0); here that is [`EvalErrorKind::Inexact`].
/// Quotients are rounded to 28 significant digits (`2 / 3` is
/// `0.6666666666666666666666666667`), the one rounding the language makes;
/// a nonzero quotient too small to hold is `Inexact`, never 0.
fn decimal_op(op: ArithOp, a: Decimal, b: Decimal, span: Span) -> Result<Decimal, EvalError> {
    let result = match op {
        ArithOp::Add => a.checked_add(b),
        ArithOp::Sub => a.checked_sub(b),
        ArithOp::Mul => a.checked_mul(b),
        ArithOp::Div => {
            if b.is_zero() {
                return Err(err(EvalErrorKind::DivisionByZero, span));
            }
            let q = a.checked_div(b).ok_or_else(|| overflow(span))?;
            if q.is_zero() && !a.is_zero() {
                return Err(err(EvalErrorKind::Inexact, span));
            }
            return Ok(q);
        }
    }
    .ok_or_else(|| overflow(span))?;
    if exact(op, a, b, result) {
        Ok(result)
    } else {
        Err(err(EvalErrorKind::Inexact, span))
    }
}

/// Whether `result` is exactly `a op b` (`op` being `+`, `-` or `*`).
fn exact(op: ArithOp, a: Decimal, b: Decimal, result: Decimal) -> bool {
    let exact_scale = match op {
        ArithOp::Mul => a.scale() + b.scale(),
        _ => a.scale().max(b.scale()),
    };
    // rust_decimal lowers the scale only when it rounds: the common case is settled here.
    if result.scale() >= exact_scale {
        return true;
    }
    // Otherwise compare the exact value, in 256-bit integers at `exact_scale`, with the result's.
    let wide = |d: Decimal, scale: u32| -> Option<I256> {
        I256::from(d.mantissa()).checked_mul(pow10(exact_scale.checked_sub(scale)?)?)
    };
    let want = match op {
        ArithOp::Mul => I256::from(a.mantissa()).checked_mul(I256::from(b.mantissa())),
        ArithOp::Add => wide(a, a.scale())
            .zip(wide(b, b.scale()))
            .and_then(|(x, y)| x.checked_add(y)),
        _ => wide(a, a.scale())
            .zip(wide(b, b.scale()))
            .and_then(|(x, y)| x.checked_sub(y)),
    };
    match (want, wide(result, result.scale())) {
        (Some(w), Some(r)) => w == r,
        _ => false,
    }
}

/// `10^n` as a 256-bit integer, if it fits.
fn pow10(n: u32) -> Option<I256> {
    (0..n).try_fold(I256::ONE, |acc, _| acc.checked_mul(I256::from(10)))
}

fn number(v: &Value) -> Option<Decimal> {
    match v {
        Value::Int(i) => Some(Decimal::from(*i)),
        Value::Decimal(d) => Some(*d),
        _ => None,
    }
}

fn seconds(d: Duration, span: Span) -> Result<TimeDelta, EvalError> {
    if d.is_permanent() {
        return Err(overflow(span));
    }
    TimeDelta::try_seconds(d.0).ok_or_else(|| err(EvalErrorKind::TimeOutOfRange, span))
}

/// `a <op> b`, checked: overflow, division by zero and currency mismatch are errors.
pub(crate) fn arith(op: ArithOp, a: &Value, b: &Value, span: Span) -> Result<Value, EvalError> {
    use Value::*;
    let out_of_range = || err(EvalErrorKind::TimeOutOfRange, span);
    Ok(match (op, a, b) {
        (ArithOp::Add, Int(x), Int(y)) => Int(x.checked_add(*y).ok_or_else(|| overflow(span))?),
        (ArithOp::Sub, Int(x), Int(y)) => Int(x.checked_sub(*y).ok_or_else(|| overflow(span))?),
        (ArithOp::Mul, Int(x), Int(y)) => Int(x.checked_mul(*y).ok_or_else(|| overflow(span))?),
        (_, Int(_) | Decimal(_), Int(_) | Decimal(_)) => {
            let (x, y) = (number(a).unwrap_or_default(), number(b).unwrap_or_default());
            Decimal(decimal_op(op, x, y, span)?)
        }
        (ArithOp::Add | ArithOp::Sub, Money(x), Money(y)) => {
            same_currency(x.currency, y.currency, span)?;
            Money(crate::value::Money {
                amount: decimal_op(op, x.amount, y.amount, span)?,
                currency: x.currency,
            })
        }
        (ArithOp::Div, Money(x), Money(y)) => {
            same_currency(x.currency, y.currency, span)?;
            Decimal(decimal_op(op, x.amount, y.amount, span)?)
        }
        (ArithOp::Mul | ArithOp::Div, Money(m), Int(_) | Decimal(_) | Percent(_)) => {
            let factor = match b {
                Percent(p) => *p,
                other => number(other).unwrap_or_default(),
            };
            Money(crate::value::Money {
                amount: decimal_op(op, m.amount, factor, span)?,
                currency: m.currency,
            })
        }
        (ArithOp::Mul, Int(_) | Decimal(_) | Percent(_), Money(_)) => return arith(op, b, a, span),
        (ArithOp::Add | ArithOp::Sub | ArithOp::Mul, Percent(x), Percent(y)) => {
            Percent(decimal_op(op, *x, *y, span)?)
        }
        (ArithOp::Mul, Percent(p), Int(_) | Decimal(_)) => {
            Decimal(decimal_op(op, *p, number(b).unwrap_or_default(), span)?)
        }
        (ArithOp::Mul, Int(_) | Decimal(_), Percent(p)) => {
            Decimal(decimal_op(op, number(a).unwrap_or_default(), *p, span)?)
        }
        (ArithOp::Add, Timestamp(t), Duration(d)) | (ArithOp::Add, Duration(d), Timestamp(t)) => {
            Timestamp(
                t.checked_add_signed(seconds(*d, span)?)
                    .ok_or_else(out_of_range)?,
            )
        }
        (ArithOp::Sub, Timestamp(t), Duration(d)) => Timestamp(
            t.checked_sub_signed(seconds(*d, span)?)
                .ok_or_else(out_of_range)?,
        ),
        (ArithOp::Sub, Timestamp(x), Timestamp(y)) => Duration(crate::value::Duration(
            x.signed_duration_since(*y).num_seconds(),
        )),
        (ArithOp::Add | ArithOp::Sub, Date(day), Duration(d)) => {
            let days = TimeDelta::try_days(d.0.div_euclid(86_400)).ok_or_else(out_of_range)?;
            let moved = if op == ArithOp::Add {
                day.checked_add_signed(days)
            } else {
                day.checked_sub_signed(days)
            };
            Date(moved.ok_or_else(out_of_range)?)
        }
        (ArithOp::Sub, Date(x), Date(y)) => Duration(crate::value::Duration(
            x.signed_duration_since(*y)
                .num_days()
                .checked_mul(86_400)
                .ok_or_else(|| overflow(span))?,
        )),
        (ArithOp::Add | ArithOp::Sub, Duration(x), Duration(y)) => {
            if x.is_permanent() || y.is_permanent() {
                Duration(crate::value::Duration::PERMANENT)
            } else {
                let v = if op == ArithOp::Add {
                    x.0.checked_add(y.0)
                } else {
                    x.0.checked_sub(y.0)
                };
                Duration(crate::value::Duration(v.ok_or_else(|| overflow(span))?))
            }
        }
        // `permanent` has no end: scaled by a positive count it stays permanent;
        // by zero or a negative count it has no meaning.
        (ArithOp::Mul, Duration(d), Int(n)) | (ArithOp::Mul, Int(n), Duration(d))
            if d.is_permanent() =>
        {
            if *n <= 0 {
                return Err(overflow(span));
            }
            Duration(crate::value::Duration::PERMANENT)
        }
        (ArithOp::Mul, Duration(d), Int(n)) | (ArithOp::Mul, Int(n), Duration(d)) => Duration(
            crate::value::Duration(d.0.checked_mul(*n).ok_or_else(|| overflow(span))?),
        ),
        (ArithOp::Div, Duration(d), Int(n)) => {
            if *n == 0 {
                return Err(err(EvalErrorKind::DivisionByZero, span));
            }
            if d.is_permanent() {
                if *n < 0 {
                    return Err(overflow(span));
                }
                Duration(crate::value::Duration::PERMANENT)
            } else {
                Duration(crate::value::Duration(
                    d.0.checked_div(*n).ok_or_else(|| overflow(span))?,
                ))
            }
        }
        (ArithOp::Div, Duration(x), Duration(y)) => {
            if x.is_permanent() || y.is_permanent() {
                return Err(overflow(span));
            }
            Decimal(decimal_op(op, x.0.into(), y.0.into(), span)?)
        }
        (ArithOp::Add, Str(x), Str(y)) => Value::str(&format!("{x}{y}")),
        (ArithOp::Add, List(x), List(y)) => List(x.iter().chain(y.iter()).cloned().collect()),
        _ => return Err(unexpected("operands of matching kinds", a, span)),
    })
}

/// `m[k]` (absent when missing) or `l[i]`.
pub(crate) fn index(base: &Value, key: &Value, span: Span) -> Result<Value, EvalError> {
    match base {
        Value::Map(entries) => Ok(entries
            .binary_search_by(|(k, _)| k.total_cmp(key))
            .ok()
            .and_then(|i| entries.get(i))
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Absent)),
        Value::List(items) => match key {
            Value::Int(i) => Ok(usize::try_from(*i)
                .ok()
                .and_then(|i| items.get(i))
                .cloned()
                .unwrap_or(Value::Absent)),
            other => Err(unexpected("int", other, span)),
        },
        Value::Absent => Ok(Value::Absent),
        other => Err(unexpected("map or list", other, span)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(s: &str) -> Value {
        Value::Money(crate::value::Money {
            amount: s.parse().unwrap(),
            currency: Currency::parse("CNY").unwrap(),
        })
    }

    #[test]
    fn money_is_exact() {
        let sum = arith(
            ArithOp::Add,
            &money("0.10"),
            &money("0.20"),
            Span::default(),
        )
        .unwrap();
        assert!(equal(&sum, &money("0.3")));
        let half = arith(
            ArithOp::Mul,
            &money("8800.00"),
            &Value::Percent("0.5".parse().unwrap()),
            Span::default(),
        )
        .unwrap();
        assert!(equal(&half, &money("4400")));
    }

    #[test]
    fn inexact_sums_and_products_are_errors_and_quotients_round_once() {
        let d = |s: &str| Value::Decimal(s.parse().unwrap());
        let run = |op, a: &Value, b: &Value| arith(op, a, b, Span::default());
        // 1e-20 × 1e-20 would underflow to 0; 28 digits times 28 would be rounded.
        let tiny = d("0.00000000000000000001");
        assert_eq!(
            run(ArithOp::Mul, &tiny, &tiny).unwrap_err().kind,
            EvalErrorKind::Inexact
        );
        let long = d("1.234567890123456789012345678");
        assert_eq!(
            run(ArithOp::Mul, &long, &long).unwrap_err().kind,
            EvalErrorKind::Inexact
        );
        // 79228162514264337593543950335 + 0.5 cannot be held exactly either.
        let max = Value::Decimal(Decimal::MAX);
        assert_eq!(
            run(ArithOp::Sub, &max, &d("0.5")).unwrap_err().kind,
            EvalErrorKind::Inexact
        );
        // Exact results stay exact, even when rust_decimal drops trailing zeros.
        assert_eq!(run(ArithOp::Mul, &d("0.2"), &d("0.5")).unwrap(), d("0.10"));
        assert_eq!(
            run(ArithOp::Mul, &d("10000000000000000000000000.0"), &d("2.0")).unwrap(),
            d("20000000000000000000000000")
        );
        assert_eq!(
            run(
                ArithOp::Mul,
                &money("1500.00"),
                &Value::Percent("0.5".parse().unwrap())
            )
            .unwrap()
            .to_string(),
            "750.00 CNY"
        );
        // The one rounding: a quotient, to 28 significant digits; never to 0.
        assert_eq!(
            run(ArithOp::Div, &d("2"), &d("3")).unwrap(),
            d("0.6666666666666666666666666667")
        );
        assert_eq!(
            run(ArithOp::Div, &tiny, &d("100000000000000000000"))
                .unwrap_err()
                .kind,
            EvalErrorKind::Inexact
        );
    }

    #[test]
    fn permanent_stays_permanent_when_scaled() {
        let p = Value::Duration(crate::value::Duration::PERMANENT);
        let two = Value::Int(2);
        for op in [ArithOp::Mul, ArithOp::Div] {
            assert_eq!(arith(op, &p, &two, Span::default()).unwrap(), p);
        }
        assert!(arith(ArithOp::Mul, &p, &Value::Int(0), Span::default()).is_err());
        assert!(arith(ArithOp::Div, &p, &p, Span::default()).is_err());
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let big = Value::Decimal(Decimal::MAX);
        let e = arith(ArithOp::Add, &big, &big, Span::default()).unwrap_err();
        assert_eq!(e.kind, EvalErrorKind::Overflow);
        let e = arith(
            ArithOp::Mul,
            &Value::Int(i64::MAX),
            &Value::Int(2),
            Span::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind, EvalErrorKind::Overflow);
    }

    #[test]
    fn division_by_zero_is_an_error() {
        let e = arith(
            ArithOp::Div,
            &Value::Int(1),
            &Value::Int(0),
            Span::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind, EvalErrorKind::DivisionByZero);
    }

    #[test]
    fn currencies_do_not_mix() {
        let usd = Value::Money(crate::value::Money {
            amount: Decimal::ONE,
            currency: Currency::parse("USD").unwrap(),
        });
        let e = compare(CmpOp::Lt, &money("1"), &usd, Span::default()).unwrap_err();
        assert!(matches!(e.kind, EvalErrorKind::CurrencyMismatch { .. }));
    }

    #[test]
    fn ints_and_decimals_compare_exactly() {
        assert!(compare(
            CmpOp::Eq,
            &Value::Int(500),
            &Value::Decimal("500.00".parse().unwrap()),
            Span::default()
        )
        .unwrap());
        assert!(compare(
            CmpOp::Gt,
            &money("5000.01"),
            &money("5000.00"),
            Span::default()
        )
        .unwrap());
    }
}
