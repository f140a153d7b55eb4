//! Operators on values: checked arithmetic, exact comparison, currency checks.

use std::cmp::Ordering;

use chrono::TimeDelta;
use guifan_syntax::Span;
use rust_decimal::Decimal;

use super::unexpected;
use crate::error::{EvalError, EvalErrorKind};
use crate::ir::{ArithOp, CmpOp};
use crate::value::{Currency, Duration, Money, Value};

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

/// Orders two values of one kind (numbers mix; money must share a currency).
pub(crate) fn order(a: &Value, b: &Value, span: Span) -> Result<Ordering, EvalError> {
    use Value::*;
    Ok(match (a, b) {
        (Int(x), Int(y)) => x.cmp(y),
        (Int(x), Decimal(y)) => rust_decimal::Decimal::from(*x).cmp(y),
        (Decimal(x), Int(y)) => x.cmp(&rust_decimal::Decimal::from(*y)),
        (Decimal(x), Decimal(y)) | (Percent(x), Percent(y)) => x.cmp(y),
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

/// Equality: exact for numbers (`500` equals `500.00`), structural otherwise.
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    let numbers = matches!(a, Value::Int(_) | Value::Decimal(_))
        && matches!(b, Value::Int(_) | Value::Decimal(_));
    (numbers || std::mem::discriminant(a) == std::mem::discriminant(b))
        && a.total_cmp(b) == Ordering::Equal
}

/// `a <op> b`.
pub(crate) fn compare(op: CmpOp, a: &Value, b: &Value, span: Span) -> Result<bool, EvalError> {
    match op {
        CmpOp::Eq | CmpOp::Ne => {
            if let (Value::Money(x), Value::Money(y)) = (a, b) {
                same_currency(x.currency, y.currency, span)?;
            }
            let eq = equal(a, b);
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

fn decimal_op(op: ArithOp, a: Decimal, b: Decimal, span: Span) -> Result<Decimal, EvalError> {
    match op {
        ArithOp::Add => a.checked_add(b).ok_or_else(|| overflow(span)),
        ArithOp::Sub => a.checked_sub(b).ok_or_else(|| overflow(span)),
        ArithOp::Mul => a.checked_mul(b).ok_or_else(|| overflow(span)),
        ArithOp::Div => {
            if b.is_zero() {
                Err(err(EvalErrorKind::DivisionByZero, span))
            } else {
                a.checked_div(b).ok_or_else(|| overflow(span))
            }
        }
    }
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
        (ArithOp::Mul, Duration(d), Int(n)) | (ArithOp::Mul, Int(n), Duration(d)) => Duration(
            crate::value::Duration(d.0.checked_mul(*n).ok_or_else(|| overflow(span))?),
        ),
        (ArithOp::Div, Duration(d), Int(n)) => {
            if *n == 0 {
                return Err(err(EvalErrorKind::DivisionByZero, span));
            }
            Duration(crate::value::Duration(
                d.0.checked_div(*n).ok_or_else(|| overflow(span))?,
            ))
        }
        (ArithOp::Div, Duration(x), Duration(y)) => {
            Decimal(decimal_op(op, x.0.into(), y.0.into(), span)?)
        }
        (ArithOp::Add, Str(x), Str(y)) => Value::str(&format!("{x}{y}")),
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
