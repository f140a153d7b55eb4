//! The builtin functions and calendar arithmetic.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use guifan_syntax::Span;

use super::ops::{self, unexpected, Failure};
use crate::error::{EvalError, EvalErrorKind};
use crate::ir::{Builtin, Param};
use crate::value::Value;

/// Arithmetic with calendar periods, which needs the policy's zone: `None`
/// when neither operand is a period.
pub(super) fn calendar_step(
    zone: Tz,
    op: crate::ir::ArithOp,
    a: &Value,
    b: &Value,
    span: Span,
) -> Option<Result<Value, EvalError>> {
    use crate::ir::ArithOp::{Add, Mul, Sub};
    let out_of_range = || EvalError::new(EvalErrorKind::TimeOutOfRange, span);
    let signed = |m: i64| if op == Sub { m.checked_neg() } else { Some(m) };
    Some(match (op, a, b) {
        (Add | Sub, Value::Timestamp(t), Value::Period(m))
        | (Add, Value::Period(m), Value::Timestamp(t)) => signed(*m)
            .and_then(|m| crate::calendar::add_months_at(zone, *t, m))
            .map(Value::Timestamp)
            .ok_or_else(out_of_range),
        (Add | Sub, Value::Date(d), Value::Period(m)) | (Add, Value::Period(m), Value::Date(d)) => {
            signed(*m)
                .and_then(|m| crate::calendar::add_months(*d, m))
                .map(Value::Date)
                .ok_or_else(out_of_range)
        }
        (Add | Sub, Value::Period(x), Value::Period(y)) => signed(*y)
            .and_then(|y| x.checked_add(y))
            .map(Value::Period)
            .ok_or_else(|| EvalError::new(EvalErrorKind::Overflow, span)),
        (Mul, Value::Period(m), Value::Int(n)) | (Mul, Value::Int(n), Value::Period(m)) => m
            .checked_mul(*n)
            .map(Value::Period)
            .ok_or_else(|| EvalError::new(EvalErrorKind::Overflow, span)),
        _ => return None,
    })
}

/// Words in a text: runs of letters and digits, joined by `-` or `'` inside a
/// word (`кто-то`, `don't`); spaces and punctuation around them do not count,
/// so `"— Да."` is one word and `"Да, конечно!"` two.
fn word_count(text: &str) -> usize {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// A builtin applied to its evaluated arguments, in the policy's zone, with
/// its parameters at hand (for their compiled patterns).
pub(super) fn call<V: std::ops::Deref<Target = Value>>(
    zone: Tz,
    params: &[Param],
    builtin: &Builtin,
    values: &[V],
    span: Span,
) -> Result<Value, Failure> {
    let local_date = |v: &Value| -> Result<NaiveDate, EvalError> {
        match v {
            Value::Timestamp(t) => Ok(t.with_timezone(&zone).date_naive()),
            Value::Date(d) => Ok(*d),
            other => Err(unexpected("timestamp or date", other, span)),
        }
    };
    let str_arg = |i: usize| -> Result<&str, EvalError> {
        match values.get(i).map(|v| &**v) {
            Some(Value::Str(s)) => Ok(s),
            Some(other) => Err(unexpected("string", other, span)),
            None => Err(EvalError::new(
                EvalErrorKind::Unexpected {
                    expected: "string",
                    found: "nothing",
                },
                span,
            )),
        }
    };
    let first: &Value = values.first().map(|v| &**v).unwrap_or(&Value::Absent);
    Ok(match builtin {
        Builtin::Date => Value::Date(local_date(first)?),
        Builtin::Month => {
            let d = local_date(first)?;
            Value::Date(
                d.with_day(1)
                    .ok_or(EvalError::new(EvalErrorKind::TimeOutOfRange, span))?,
            )
        }
        Builtin::Year => Value::Int(i64::from(local_date(first)?.year())),
        Builtin::Weekday => {
            Value::Int(i64::from(local_date(first)?.weekday().number_from_monday()))
        }
        Builtin::TimeOfDay => match first {
            Value::Timestamp(t) => Value::Time(t.with_timezone(&zone).time()),
            other => return Err(Box::new(unexpected("timestamp", other, span))),
        },
        Builtin::StartOfDay => {
            let d = local_date(first)?;
            let t = crate::calendar::start_of_day(zone, d)
                .ok_or(EvalError::new(EvalErrorKind::TimeOutOfRange, span))?;
            Value::Timestamp(t)
        }
        Builtin::StartsWith => Value::Bool(str_arg(0)?.starts_with(str_arg(1)?)),
        Builtin::EndsWith => Value::Bool(str_arg(0)?.ends_with(str_arg(1)?)),
        Builtin::Contains => match (first, values.get(1)) {
            (Value::List(items), Some(x)) => Value::Bool(ops::contains(items, x, span)?),
            _ => Value::Bool(str_arg(0)?.contains(str_arg(1)?)),
        },
        Builtin::Lower => Value::str(&str_arg(0)?.to_lowercase()),
        Builtin::Upper => Value::str(&str_arg(0)?.to_uppercase()),
        Builtin::Trim => Value::str(str_arg(0)?.trim()),
        Builtin::Words => Value::Int(word_count(str_arg(0)?) as i64),
        Builtin::Len => match first {
            Value::List(items) => Value::Int(items.len() as i64),
            Value::Map(entries) => Value::Int(entries.len() as i64),
            Value::Str(s) => Value::Int(s.chars().count() as i64),
            other => return Err(Box::new(unexpected("string or list", other, span))),
        },
        Builtin::Abs => ops::abs(first, span)?,
        Builtin::Round(places) => ops::round(first, *places, span)?,
        Builtin::Percent => match first {
            Value::Int(i) => Value::Percent(rust_decimal::Decimal::from(*i)),
            Value::Decimal(d) => Value::Percent(*d),
            other => return Err(Box::new(unexpected("a number", other, span))),
        },
        Builtin::Max | Builtin::Min => {
            let mut best: Option<&Value> = None;
            for v in values {
                let v: &Value = v;
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let o = ops::order(v, b, span)?;
                        let take = if matches!(builtin, Builtin::Max) {
                            o.is_gt()
                        } else {
                            o.is_lt()
                        };
                        if take {
                            v
                        } else {
                            b
                        }
                    }
                });
            }
            best.cloned().unwrap_or(Value::Absent)
        }
        Builtin::Matches(re) => Value::Bool(re.is_match(str_arg(0)?)),
        Builtin::MatchesParam(i) => {
            let set = params.get(*i as usize).and_then(|p| p.patterns.as_ref());
            let text = str_arg(0)?;
            Value::Bool(set.is_some_and(|s| s.is_match(text)))
        }
        Builtin::Week(start) => {
            let d = local_date(first)?;
            let back = (7 + d.weekday().num_days_from_monday() - start.num_days_from_monday()) % 7;
            Value::Date(
                d.checked_sub_days(chrono::Days::new(u64::from(back)))
                    .ok_or(EvalError::new(EvalErrorKind::TimeOutOfRange, span))?,
            )
        }
        Builtin::Tier => {
            let n = match first {
                Value::Int(n) => *n,
                other => return Err(Box::new(unexpected("int", other, span))),
            };
            let tiers = match values.get(1).map(|v| &**v) {
                Some(Value::List(t)) => t.clone(),
                Some(other) => return Err(Box::new(unexpected("list", other, span))),
                None => Arc::from([]),
            };
            let last = tiers.len().checked_sub(1);
            let at = n
                .checked_sub(1)
                .and_then(|i| usize::try_from(i).ok())
                .zip(last)
                .map(|(i, l)| i.min(l));
            // A count below 1 has no position: `at` is None.
            match at.and_then(|i| tiers.get(i)) {
                Some(v) => v.clone(),
                _ => {
                    return Err(Box::new(EvalError::new(
                        EvalErrorKind::NoTier { index: n },
                        span,
                    )))
                }
            }
        }
        Builtin::Sort => match first {
            Value::List(items) => {
                let mut sorted = items.to_vec();
                sorted.sort_by(|a, b| a.total_cmp(b));
                Value::List(sorted.into())
            }
            Value::Absent => Value::Absent,
            other => return Err(Box::new(unexpected("list", other, span))),
        },
        Builtin::Nth => {
            let i = match values.get(1).map(|v| &**v) {
                Some(Value::Int(i)) => *i,
                Some(other) => return Err(Box::new(unexpected("int", other, span))),
                None => 0,
            };
            match first {
                Value::List(items) => i
                    .checked_sub(1)
                    .and_then(|i| usize::try_from(i).ok())
                    .and_then(|i| items.get(i))
                    .cloned()
                    .unwrap_or(Value::Absent),
                Value::Absent => Value::Absent,
                other => return Err(Box::new(unexpected("list", other, span))),
            }
        }
    })
}
