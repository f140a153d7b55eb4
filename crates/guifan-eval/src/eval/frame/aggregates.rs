//! Aggregates over lists: `count`, `sum`, `any`, `all`, `min`, `max` and friends.

use guifan_syntax::Span;

use super::{Frame, Val, ABSENT};
use crate::error::{EvalError, EvalErrorKind};
use crate::eval::ops::{self, unexpected, Failure};
use crate::ir::{Aggregate, Expr};
use crate::value::Value;

/// A part of an aggregate (its collection, `where` condition or mapped
/// expression), however it is evaluated: interpreted from its expression, or
/// compiled.
pub(in crate::eval) trait Part<'a> {
    /// Its truth, as a condition.
    fn test(&self, frame: &mut Frame<'a>) -> Result<bool, Failure>;
    /// Its value.
    fn value(&self, frame: &mut Frame<'a>) -> Result<Val<'a>, Failure>;
}

impl<'a> Part<'a> for &'a Expr {
    fn test(&self, frame: &mut Frame<'a>) -> Result<bool, Failure> {
        frame.eval_bool(self)
    }

    fn value(&self, frame: &mut Frame<'a>) -> Result<Val<'a>, Failure> {
        frame.eval(self)
    }
}

impl<'a> Frame<'a> {
    /// An aggregate: `source`'s items bound in turn to local `local`, those
    /// `filter` selects combined by `op` (through `map` when it is given).
    #[allow(
        clippy::too_many_arguments,
        reason = "mirrors the fields of ExprKind::Aggregate"
    )]
    pub(in crate::eval) fn aggregate<P: Part<'a>>(
        &mut self,
        op: Aggregate,
        local: u32,
        source: &P,
        filter: Option<&P>,
        map: Option<&P>,
        zero: &Value,
        span: Span,
    ) -> Result<Value, Failure> {
        self.locals.truncate(self.base + local as usize);
        let mut state = AggregateState::default();
        match source.value(self)? {
            // Items of data the evaluation borrows are bound by reference: nothing is copied.
            Val::Ref(Value::List(items)) => {
                for item in items.iter() {
                    self.locals.push(Val::Ref(item));
                    let step = self.aggregate_step(op, filter, map, item, span, &mut state);
                    self.locals.pop();
                    if !step? {
                        break;
                    }
                }
            }
            Val::Own(Value::List(items)) => {
                for item in items.iter() {
                    self.locals.push(Val::Own(item.clone()));
                    let step = self.aggregate_step(op, filter, map, item, span, &mut state);
                    self.locals.pop();
                    if !step? {
                        break;
                    }
                }
            }
            Val::Ref(Value::Absent) | Val::Own(Value::Absent) => {}
            other => return Err(Box::new(unexpected("list", &other, span))),
        }
        let AggregateState { count, acc, kept } = state;
        Ok(match op {
            Aggregate::Any => Value::Bool(acc.is_some()),
            Aggregate::All => Value::Bool(acc.is_none()),
            Aggregate::Count => Value::Int(count),
            Aggregate::Sum => acc.unwrap_or_else(|| zero.clone()),
            Aggregate::Min | Aggregate::Max => acc.unwrap_or(Value::Absent),
            Aggregate::Filter | Aggregate::Map | Aggregate::Distinct => Value::List(kept.into()),
        })
    }

    /// One item of an aggregate; `Ok(false)` stops early (`any` found one, `all` found a counterexample).
    fn aggregate_step<P: Part<'a>>(
        &mut self,
        op: Aggregate,
        filter: Option<&P>,
        map: Option<&P>,
        item: &Value,
        span: Span,
        state: &mut AggregateState,
    ) -> Result<bool, Failure> {
        let selected = match filter {
            Some(f) => f.test(self)?,
            None => true,
        };
        match op {
            Aggregate::Any | Aggregate::All => {
                // The predicate: `map` over the selected items, else the `where` condition, else the item itself.
                let pred = match (filter, map) {
                    (_, Some(m)) if selected => Some(m.test(self)?),
                    (_, Some(_)) => None,
                    (Some(_), None) => Some(selected),
                    (None, None) => Some(matches!(item, Value::Bool(true))),
                };
                match (op, pred) {
                    (Aggregate::Any, Some(true)) | (Aggregate::All, Some(false)) => {
                        // Decided: `any` found an item, `all` a counterexample
                        // (the result is read from whether `acc` is set).
                        state.acc = Some(Value::Bool(true));
                        Ok(false)
                    }
                    _ => Ok(true),
                }
            }
            _ if !selected => Ok(true),
            Aggregate::Count => {
                state.count = state
                    .count
                    .checked_add(1)
                    .ok_or(EvalError::new(EvalErrorKind::Overflow, span))?;
                Ok(true)
            }
            _ => {
                let v = match map {
                    Some(m) => m.value(self)?,
                    None => Val::Ref(&ABSENT),
                };
                let v: &Value = if map.is_some() { &v } else { item };
                match op {
                    Aggregate::Sum => {
                        state.acc = Some(match state.acc.take() {
                            Some(a) => ops::arith(crate::ir::ArithOp::Add, &a, v, span)?,
                            None => v.clone(),
                        });
                    }
                    Aggregate::Min | Aggregate::Max => {
                        let replace = match &state.acc {
                            Some(a) => {
                                let o = ops::order(v, a, span)?;
                                (op == Aggregate::Min && o.is_lt())
                                    || (op == Aggregate::Max && o.is_gt())
                            }
                            None => true,
                        };
                        if replace {
                            state.acc = Some(v.clone());
                        }
                    }
                    Aggregate::Distinct => {
                        if !ops::contains(&state.kept, v, span)? {
                            state.kept.push(v.clone());
                        }
                    }
                    // `filter` and `map`: the mapped value, else the item itself.
                    _ => state.kept.push(v.clone()),
                }
                Ok(true)
            }
        }
    }
}

/// The running state of an aggregate.
#[derive(Default)]
struct AggregateState {
    count: i64,
    acc: Option<Value>,
    kept: Vec<Value>,
}
