//! Expressions compiled into closures: a value closure and a condition
//! closure for each form, built once; each mirrors the interpreter's arm for
//! that form (`Frame::eval`, `Frame::eval_bool`), without the tracer.

use guifan_syntax::ast::Quantifier;
use guifan_syntax::Span;

use super::{TestCode, Unit, ValueCode};
use crate::eval::builtins::{self, calendar_step};
use crate::eval::frame::{field, walk, Frame, Part, Val, ABSENT};
use crate::eval::ops::{self, holds, unexpected, Failure};
use crate::ir::{CmpOp, Expr, ExprKind};
use crate::value::{Money, Value};

/// Boxes a value closure, fixing its signature (the borrow it returns lives
/// as long as the frame's and the unit's).
fn value<F>(f: F) -> ValueCode
where
    F: for<'a> Fn(&mut Frame<'a>, &'a Unit) -> Result<Val<'a>, Failure> + Send + Sync + 'static,
{
    Box::new(f)
}

/// Boxes a condition closure.
fn test<F>(f: F) -> TestCode
where
    F: for<'a> Fn(&mut Frame<'a>, &'a Unit) -> Result<bool, Failure> + Send + Sync + 'static,
{
    Box::new(f)
}

/// `a <op> b`, by the interpreter's [`ops::compare`] (which compares counts,
/// money, text and instants at once), its error boxed.
#[inline]
fn compare(op: CmpOp, a: &Value, b: &Value, span: Span) -> Result<bool, Failure> {
    ops::compare(op, a, b, span).map_err(Box::new)
}

/// A value that must be a bool, as a condition.
#[inline]
fn truth(v: &Value, span: Span) -> Result<bool, Failure> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(Box::new(unexpected("bool", other, span))),
    }
}

/// A field of a record field of the subject (`deposit.balance`); absent when either is.
#[inline]
fn nested(subject: &[Value], first: usize, second: usize) -> &Value {
    match subject.get(first) {
        Some(Value::Record(fields)) => fields.get(second).unwrap_or(&ABSENT),
        _ => &ABSENT,
    }
}

/// Builds the closures of one policy, collecting its constants.
#[derive(Default)]
pub(in crate::eval) struct Builder {
    consts: Vec<Value>,
}

impl Builder {
    /// The constants collected, for the policy's [`Unit`].
    pub(in crate::eval) fn into_consts(self) -> Vec<Value> {
        self.consts
    }

    /// Keeps a constant in the unit: its index there.
    fn constant(&mut self, v: &Value) -> usize {
        self.consts.push(v.clone());
        self.consts.len() - 1
    }

    /// Compiles an expression for its value.
    pub(in crate::eval) fn value(&mut self, e: &Expr) -> ValueCode {
        let span = e.span;
        match &e.kind {
            ExprKind::Const(v) => {
                let i = self.constant(v);
                value(move |_, u| Ok(Val::Ref(u.consts.get(i).unwrap_or(&ABSENT))))
            }
            ExprKind::Subject(slot) => {
                let slot = *slot as usize;
                value(move |f, _| Ok(Val::Ref(f.subject.get(slot).unwrap_or(&ABSENT))))
            }
            ExprKind::SubjectPath(path) => match **path {
                [first, second] => {
                    let (first, second) = (first as usize, second as usize);
                    value(move |f, _| Ok(Val::Ref(nested(f.subject, first, second))))
                }
                _ => {
                    let (first, rest) = path
                        .split_first()
                        .map(|(f, r)| (*f as usize, Box::<[u32]>::from(r)))
                        .unwrap_or((usize::MAX, Box::default()));
                    value(move |f, _| Ok(Val::Ref(walk(f.subject.get(first), &rest))))
                }
            },
            ExprKind::Field(base, slot) => {
                let (base, slot) = (self.value(base), *slot);
                value(move |f, u| field(base(f, u)?, slot, span))
            }
            ExprKind::LocalPath(i, path) => {
                let (i, path) = (*i, path.clone());
                value(move |f, _| Ok(f.local(i, &path)))
            }
            ExprKind::Local(i) => {
                let i = *i;
                value(move |f, _| Ok(f.local(i, &[])))
            }
            ExprKind::Param(i) => {
                let i = *i as usize;
                value(move |f, _| {
                    Ok(Val::Ref(
                        f.params.get(i).map(|p| &p.value).unwrap_or(&ABSENT),
                    ))
                })
            }
            ExprKind::Let(i) => {
                let i = *i;
                value(move |f, u| f.definition(i, |f| u.lets.get(i as usize).map(|l| l(f, u))))
            }
            ExprKind::Rank(j) => {
                let j = *j;
                value(move |f, _| f.rank(j, span))
            }
            ExprKind::Now => value(|f, _| Ok(Val::Own(Value::Timestamp(f.now)))),
            ExprKind::Held => value(|f, _| Ok(Val::Own(f.held_list()))),
            ExprKind::Not(_)
            | ExprKind::And(_)
            | ExprKind::Or(_)
            | ExprKind::Cmp(..)
            | ExprKind::Within { .. }
            | ExprKind::Presence(..)
            | ExprKind::Conditions(..) => {
                let t = self.test(e);
                value(move |f, u| Ok(Val::Own(Value::Bool(t(f, u)?))))
            }
            ExprKind::Neg(x) => {
                let x = self.value(x);
                value(move |f, u| Ok(Val::Own(ops::negate(&*x(f, u)?, span)?)))
            }
            ExprKind::Arith(first, steps) => self.arith(first, steps),
            ExprKind::In(a, b) => {
                let (a, b) = (self.value(a), self.value(b));
                value(move |f, u| {
                    let needle = a(f, u)?;
                    match &*b(f, u)? {
                        Value::List(items) => {
                            Ok(Val::Own(Value::Bool(ops::contains(items, &needle, span)?)))
                        }
                        Value::Absent => Ok(Val::Own(Value::Bool(false))),
                        other => Err(Box::new(unexpected("list", other, span))),
                    }
                })
            }
            ExprKind::Coalesce(items) => {
                let items: Vec<ValueCode> = items.iter().map(|x| self.value(x)).collect();
                value(move |f, u| {
                    let mut last = Val::Ref(&ABSENT);
                    for x in &items {
                        last = x(f, u)?;
                        if !matches!(&*last, Value::Absent) {
                            break;
                        }
                    }
                    Ok(last)
                })
            }
            ExprKind::If(branches, otherwise) => {
                let branches: Vec<(TestCode, ValueCode)> = branches
                    .iter()
                    .map(|(c, v)| (self.test(c), self.value(v)))
                    .collect();
                let otherwise = self.value(otherwise);
                value(move |f, u| {
                    for (cond, then) in &branches {
                        if cond(f, u)? {
                            return then(f, u);
                        }
                    }
                    otherwise(f, u)
                })
            }
            ExprKind::List(items) | ExprKind::Record(items) => {
                let record = matches!(e.kind, ExprKind::Record(_));
                let items: Vec<ValueCode> = items.iter().map(|x| self.value(x)).collect();
                value(move |f, u| {
                    let mut out = Vec::with_capacity(items.len());
                    for x in &items {
                        out.push(x(f, u)?.into_owned());
                    }
                    Ok(Val::Own(if record {
                        Value::Record(out.into())
                    } else {
                        Value::List(out.into())
                    }))
                })
            }
            ExprKind::Index(base, key) => {
                let (base, key) = (self.value(base), self.value(key));
                value(move |f, u| {
                    let b = base(f, u)?;
                    let k = key(f, u)?;
                    Ok(Val::Own(ops::index(&b, &k, span)?))
                })
            }
            ExprKind::Call(builtin, args) => {
                let builtin = builtin.clone();
                let args: Vec<ValueCode> = args.iter().map(|a| self.value(a)).collect();
                value(move |f, u| {
                    // Built-ins take at most three arguments: they stay on the stack.
                    let mut values: smallvec::SmallVec<[Val<'_>; 3]> = smallvec::SmallVec::new();
                    for a in &args {
                        values.push(a(f, u)?);
                    }
                    builtins::call(f.zone, f.params, &builtin, &values, span).map(Val::Own)
                })
            }
            ExprKind::Invariant(slot, inner) => {
                let (slot, inner) = (*slot, self.value(inner));
                value(move |f, u| f.invariant(slot, |f| inner(f, u)))
            }
            ExprKind::Aggregate {
                op,
                local,
                source,
                filter,
                map,
                zero,
                invariants,
            } => {
                let (op, local, zero, invariants) = (*op, *local, zero.clone(), invariants.clone());
                let source = CompiledPart::Value(self.value(source));
                let filter = filter.as_ref().map(|x| CompiledPart::Test(self.test(x)));
                // `any` and `all` read their mapped expression as a condition.
                let map = map.as_ref().map(|x| match op {
                    crate::ir::Aggregate::Any | crate::ir::Aggregate::All => {
                        CompiledPart::Test(self.test(x))
                    }
                    _ => CompiledPart::Value(self.value(x)),
                });
                value(move |f, u| {
                    f.forget_invariants(invariants.clone());
                    let source = PartIn::new(&source, u, span);
                    let filter = filter.as_ref().map(|p| PartIn::new(p, u, span));
                    let map = map.as_ref().map(|p| PartIn::new(p, u, span));
                    f.aggregate(
                        op,
                        local,
                        &source,
                        filter.as_ref(),
                        map.as_ref(),
                        &zero,
                        span,
                    )
                    .map(Val::Own)
                })
            }
        }
    }

    /// `a + b - c`, `a * b / c`: calendar steps in the policy's zone, the rest by [`ops::arith`].
    fn arith(&mut self, first: &Expr, steps: &[crate::ir::ArithStep]) -> ValueCode {
        let first = self.value(first);
        let steps: Vec<(crate::ir::ArithOp, ValueCode, Span)> = steps
            .iter()
            .map(|s| (s.op, self.value(&s.rhs), s.span))
            .collect();
        value(move |f, u| {
            let mut acc = first(f, u)?;
            for (op, rhs, span) in &steps {
                let r = rhs(f, u)?;
                acc = Val::Own(match calendar_step(f.zone, *op, &acc, &r, *span) {
                    Some(v) => v?,
                    None => ops::arith(*op, &acc, &r, *span)?,
                });
            }
            Ok(acc)
        })
    }

    /// Compiles an expression as a condition.
    pub(in crate::eval) fn test(&mut self, e: &Expr) -> TestCode {
        let span = e.span;
        match &e.kind {
            ExprKind::Not(x) => {
                let x = self.test(x);
                test(move |f, u| Ok(!x(f, u)?))
            }
            ExprKind::And(items) => {
                let items: Vec<TestCode> = items.iter().map(|x| self.test(x)).collect();
                test(move |f, u| {
                    for x in &items {
                        if !x(f, u)? {
                            return Ok(false);
                        }
                    }
                    Ok(true)
                })
            }
            ExprKind::Or(items) => {
                let items: Vec<TestCode> = items.iter().map(|x| self.test(x)).collect();
                test(move |f, u| {
                    for x in &items {
                        if x(f, u)? {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                })
            }
            ExprKind::Cmp(op, a, b) => self.comparison(*op, a, b, span),
            ExprKind::Within {
                x,
                low,
                low_op,
                high,
                high_op,
            } => {
                let (x, low, high) = (self.value(x), self.value(low), self.value(high));
                let (low_op, high_op) = (*low_op, *high_op);
                test(move |f, u| {
                    let v = x(f, u)?;
                    let lo = low(f, u)?;
                    Ok(compare(low_op, &lo, &v, span)? && {
                        let h = high(f, u)?;
                        compare(high_op, &v, &h, span)?
                    })
                })
            }
            ExprKind::Presence(x, present) => {
                let (x, present) = (self.value(x), *present);
                test(move |f, u| Ok(matches!(&*x(f, u)?, Value::Absent) != present))
            }
            ExprKind::Conditions(q, items) => {
                let all = matches!(q, Quantifier::All);
                let items: Vec<(std::sync::Arc<str>, TestCode)> = items
                    .iter()
                    .map(|(label, c)| (label.clone(), self.test(c)))
                    .collect();
                test(move |f, u| {
                    let (mut any, mut every) = (false, true);
                    for (label, cond) in &items {
                        if cond(f, u)? {
                            any = true;
                            f.held.push(label.clone());
                        } else {
                            every = false;
                        }
                    }
                    Ok(if all { every } else { any })
                })
            }
            ExprKind::SubjectPath(path) => match **path {
                [first, second] => {
                    let (first, second) = (first as usize, second as usize);
                    test(move |f, _| truth(nested(f.subject, first, second), span))
                }
                _ => self.truth_of(e),
            },
            _ => self.truth_of(e),
        }
    }

    /// Any other expression as a condition: its value, which must be a bool.
    fn truth_of(&mut self, e: &Expr) -> TestCode {
        let (v, span) = (self.value(e), e.span);
        test(move |f, u| truth(&*v(f, u)?, span))
    }

    /// `a <op> b`, with the constant side (when there is one) unboxed now.
    fn comparison(&mut self, op: CmpOp, a: &Expr, b: &Expr, span: Span) -> TestCode {
        let a = self.value(a);
        match &b.kind {
            ExprKind::Const(Value::Int(k)) => {
                let k = *k;
                test(move |f, u| match &*a(f, u)? {
                    Value::Int(x) => Ok(holds(op, x.cmp(&k))),
                    other => compare(op, other, &Value::Int(k), span),
                })
            }
            ExprKind::Const(Value::Money(k)) => {
                let k: Money = *k;
                test(move |f, u| match &*a(f, u)? {
                    Value::Money(x) if x.currency == k.currency => {
                        Ok(holds(op, x.amount.cmp(&k.amount)))
                    }
                    other => compare(op, other, &Value::Money(k), span),
                })
            }
            _ => {
                let b = self.value(b);
                test(move |f, u| {
                    let l = a(f, u)?;
                    let r = b(f, u)?;
                    compare(op, &l, &r, span)
                })
            }
        }
    }
}

/// A compiled part of an aggregate: as a condition or as a value.
enum CompiledPart {
    Test(TestCode),
    Value(ValueCode),
}

/// A compiled part with what it needs to run. A part is compiled the way
/// the aggregate reads it (its `where` condition and the mapped expression of
/// `any` and `all` as conditions, the rest as values), so the other reading,
/// and `span`, the aggregate's, for its error, are there for completeness.
struct PartIn<'c, 'a> {
    part: &'c CompiledPart,
    unit: &'a Unit,
    span: Span,
}

impl<'c, 'a> PartIn<'c, 'a> {
    fn new(part: &'c CompiledPart, unit: &'a Unit, span: Span) -> Self {
        PartIn { part, unit, span }
    }
}

impl<'a> Part<'a> for PartIn<'_, 'a> {
    fn test(&self, frame: &mut Frame<'a>) -> Result<bool, Failure> {
        match self.part {
            CompiledPart::Test(t) => t(frame, self.unit),
            CompiledPart::Value(v) => truth(&*v(frame, self.unit)?, self.span),
        }
    }

    fn value(&self, frame: &mut Frame<'a>) -> Result<Val<'a>, Failure> {
        match self.part {
            CompiledPart::Test(t) => Ok(Val::Own(Value::Bool(t(frame, self.unit)?))),
            CompiledPart::Value(v) => v(frame, self.unit),
        }
    }
}
