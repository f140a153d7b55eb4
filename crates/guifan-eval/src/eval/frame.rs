//! The interpreter: the state of evaluating one policy on one subject, and
//! expressions evaluated in it (conditions and values; decisions are made in
//! `decide.rs`).

mod aggregates;

pub(super) use aggregates::Part;

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use guifan_syntax::ast::Quantifier;

use super::builtins::{self, calendar_step};
use super::ops::{self, unexpected, Failure};
use super::Watch;
use crate::error::{EvalError, EvalErrorKind};
use crate::ir::{Expr, ExprKind, Let, Param, Policy};
use crate::value::{Subject, Value};

/// Evaluates an expression that reads nothing but constants (parameter defaults).
pub(crate) fn constant(e: &Expr) -> Result<Value, EvalError> {
    let epoch = DateTime::from_timestamp(0, 0)
        .map(|t| t.fixed_offset())
        .unwrap_or_default();
    Frame::new(&[], &[], Tz::UTC, &[], epoch)
        .eval(e)
        .map(Val::into_owned)
        .map_err(|e| *e)
}

pub(super) static ABSENT: Value = Value::Absent;

/// Follows field slots through nested records by reference; absent when any step is.
pub(super) fn walk<'v>(start: Option<&'v Value>, path: &[u32]) -> &'v Value {
    let mut cur = match start {
        Some(v) => v,
        None => return &ABSENT,
    };
    for slot in path {
        cur = match cur {
            Value::Record(fields) => match fields.get(*slot as usize) {
                Some(v) => v,
                None => return &ABSENT,
            },
            _ => return &ABSENT,
        };
    }
    cur
}

/// A definition's value and the labels of the named conditions that held computing it.
type LetValue = (Value, Box<[Arc<str>]>);

/// A frame's buffers, kept (cleared) by each thread for its next frame, so
/// that evaluating a record allocates none of them once they have grown.
#[derive(Default)]
struct Spare {
    let_values: Vec<Option<LetValue>>,
    held: Vec<Arc<str>>,
    made_effects: Vec<(u32, u32, u32)>,
    made_values: Vec<Value>,
    made_message: String,
    invariants: Vec<Option<Value>>,
    /// Aggregates' bindings, empty: kept for their allocation only
    locals: Vec<Val<'static>>,
}

/// An empty vector of bindings of another lifetime in the same allocation:
/// collecting a vector's own iterator into a vector of a type of the same
/// size and alignment reuses its buffer, so no `unsafe` is needed to keep it.
#[allow(
    clippy::unnecessary_filter_map,
    reason = "the map changes the item's lifetime, which `filter` cannot"
)]
fn recycle<'x, 'y>(mut v: Vec<Val<'x>>) -> Vec<Val<'y>> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

thread_local! {
    /// Buffers of frames that ended, for the next frames of this thread.
    static SPARE: std::cell::RefCell<Vec<Spare>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Spare {
    /// Frames nested at most this deep keep their buffers (one per policy is the usual case).
    const KEEP: usize = 4;

    pub(super) fn take() -> Spare {
        SPARE
            .try_with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.pop()))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    pub(super) fn put(mut self) {
        self.let_values.clear();
        self.held.clear();
        self.made_effects.clear();
        self.made_values.clear();
        self.made_message.clear();
        self.invariants.clear();
        self.locals.clear();
        let _ = SPARE.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                if s.len() < Self::KEEP {
                    s.push(self);
                }
            }
        });
    }
}

impl Drop for Frame<'_> {
    fn drop(&mut self) {
        Spare {
            let_values: std::mem::take(&mut self.let_values),
            held: std::mem::take(&mut self.held),
            made_effects: std::mem::take(&mut self.made_effects),
            made_values: std::mem::take(&mut self.made_values),
            made_message: std::mem::take(&mut self.made_message),
            invariants: std::mem::take(&mut self.invariants),
            locals: recycle(std::mem::take(&mut self.locals)),
        }
        .put();
    }
}

/// A value produced by evaluation: borrowed from the subject, the program's
/// constants or a parameter when possible, so that reading a field copies
/// nothing; owned when computed.
#[derive(Clone)]
pub(super) enum Val<'a> {
    /// Borrowed for the whole evaluation
    Ref(&'a Value),
    /// Computed here
    Own(Value),
}

impl Val<'_> {
    pub(super) fn into_owned(self) -> Value {
        match self {
            Val::Ref(v) => v.clone(),
            Val::Own(v) => v,
        }
    }
}

impl std::ops::Deref for Val<'_> {
    type Target = Value;
    fn deref(&self) -> &Value {
        match self {
            Val::Ref(v) => v,
            Val::Own(v) => v,
        }
    }
}

/// The state of evaluating one policy on one subject.
pub(super) struct Frame<'a> {
    pub(super) params: &'a [Param],
    pub(super) lets: &'a [Let],
    pub(super) zone: Tz,
    pub(super) subject: &'a [Value],
    pub(super) now: DateTime<FixedOffset>,
    /// Each definition's value once computed, with the labels of the named
    /// conditions that held while computing it (replayed when it is read again,
    /// so that `held` is the same in every rule that reads it)
    pub(super) let_values: Vec<Option<LetValue>>,
    /// Bindings of enclosing aggregates, by depth
    pub(super) locals: Vec<Val<'a>>,
    /// Where the bindings of what is being evaluated start in `locals`: a
    /// definition is computed on the same stack above the bindings of
    /// whatever read it, and sees none of them
    pub(super) base: usize,
    pub(super) held: Vec<Arc<str>>,
    /// The subject's place in each of the policy's rankings, when they were computed
    pub(super) places: Option<Vec<Option<i64>>>,
    /// Who watches the evaluation, if anyone
    pub(super) tracer: Watch<'a>,
    /// A decision's effects as it is made: index, and range of computed arguments in `made_values`
    pub(super) made_effects: Vec<(u32, u32, u32)>,
    /// A decision's computed effect arguments
    pub(super) made_values: Vec<Value>,
    /// A decision's rendered message
    pub(super) made_message: String,
    /// Values of the aggregates' invariants, by slot, once computed in their current run
    pub(super) invariants: Vec<Option<Value>>,
}

impl<'a> Frame<'a> {
    /// A frame for evaluating one policy on one subject.
    pub(super) fn for_policy(
        policy: &'a Policy,
        subject: &'a Subject,
        now: DateTime<FixedOffset>,
    ) -> Self {
        Frame::new(
            &policy.params,
            &policy.lets,
            policy.zone,
            &subject.fields,
            now,
        )
    }

    pub(super) fn new(
        params: &'a [Param],
        lets: &'a [Let],
        zone: Tz,
        subject: &'a [Value],
        now: DateTime<FixedOffset>,
    ) -> Self {
        let spare = Spare::take();
        let mut let_values = spare.let_values;
        let_values.resize(lets.len(), None);
        Frame {
            params,
            lets,
            zone,
            subject,
            now,
            let_values,
            locals: recycle(spare.locals),
            base: 0,
            held: spare.held,
            places: None,
            tracer: None,
            made_effects: spare.made_effects,
            made_values: spare.made_values,
            made_message: spare.made_message,
            invariants: spare.invariants,
        }
    }

    /// Tells the tracer which operands short-circuiting left out.
    pub(super) fn skipped(&self, rest: Option<&'a [Expr]>) {
        if let (Some(t), Some(rest)) = (self.tracer, rest) {
            let mut t = t.borrow_mut();
            rest.iter().for_each(|x| t.skipped(x.span));
        }
    }

    /// Evaluates a condition: the boolean operators, comparisons, intervals,
    /// presence tests and named conditions compute their truth directly, with
    /// no value built for it; anything else is evaluated and must be a bool.
    pub(super) fn eval_bool(&mut self, e: &'a Expr) -> Result<bool, Failure> {
        let span = e.span;
        match &e.kind {
            ExprKind::Not(x) => Ok(!self.eval_bool(x)?),
            ExprKind::And(items) => {
                for (i, x) in items.iter().enumerate() {
                    if !self.eval_bool(x)? {
                        self.skipped(items.get(i + 1..));
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            ExprKind::Or(items) => {
                for (i, x) in items.iter().enumerate() {
                    if self.eval_bool(x)? {
                        self.skipped(items.get(i + 1..));
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            ExprKind::Cmp(op, a, b) => {
                let l = self.eval(a)?;
                let r = self.eval(b)?;
                let held = ops::compare(*op, &l, &r, span)?;
                if let Some(t) = self.tracer {
                    t.borrow_mut().compare(span, *op, &l, &r, held);
                }
                Ok(held)
            }
            ExprKind::Within {
                x,
                low,
                low_op,
                high,
                high_op,
            } => {
                let v = self.eval(x)?;
                let lo = self.eval(low)?;
                let mut held = ops::compare(*low_op, &lo, &v, span)?;
                let mut hi = None;
                if held {
                    let h = self.eval(high)?;
                    held = ops::compare(*high_op, &v, &h, span)?;
                    hi = Some(h);
                }
                if let Some(t) = self.tracer {
                    let absent = Value::Absent;
                    let high_value = hi.as_deref().unwrap_or(&absent);
                    t.borrow_mut()
                        .within(span, &v, &lo, high_value, *low_op, *high_op, held);
                }
                Ok(held)
            }
            ExprKind::Presence(x, present) => {
                let v = self.eval(x)?;
                let held = matches!(&*v, Value::Absent) != *present;
                if let Some(t) = self.tracer {
                    t.borrow_mut().presence(span, &v, held);
                }
                Ok(held)
            }
            ExprKind::Conditions(q, items) => {
                let mut any = false;
                let mut all = true;
                for (label, cond) in items {
                    let held = self.eval_bool(cond)?;
                    if let Some(t) = self.tracer {
                        t.borrow_mut().named(label, cond.span, held);
                    }
                    if held {
                        any = true;
                        self.held.push(label.clone());
                    } else {
                        all = false;
                    }
                }
                Ok(match q {
                    Quantifier::Any => any,
                    Quantifier::All => all,
                })
            }
            _ => match &*self.eval(e)? {
                Value::Bool(b) => Ok(*b),
                other => Err(Box::new(unexpected("bool", other, span))),
            },
        }
    }

    /// Reads a local binding, following `path` through its records.
    pub(super) fn local(&self, i: u32, path: &[u32]) -> Val<'a> {
        match self.locals.get(self.base + i as usize) {
            Some(Val::Ref(v)) => Val::Ref(walk(Some(v), path)),
            Some(Val::Own(v)) => Val::Own(walk(Some(v), path).clone()),
            None => Val::Ref(&ABSENT),
        }
    }

    pub(super) fn eval(&mut self, e: &'a Expr) -> Result<Val<'a>, Failure> {
        let span = e.span;
        let own = |v: Value| Ok(Val::Own(v));
        match &e.kind {
            ExprKind::Const(v) => Ok(Val::Ref(v)),
            ExprKind::Subject(slot) => Ok(Val::Ref(walk(self.subject.get(*slot as usize), &[]))),
            ExprKind::SubjectPath(path) => {
                let (first, rest) = path
                    .split_first()
                    .map(|(f, r)| (*f, r))
                    .unwrap_or((u32::MAX, &[]));
                Ok(Val::Ref(walk(self.subject.get(first as usize), rest)))
            }
            ExprKind::Field(base, slot) => field(self.eval(base)?, *slot, span),
            ExprKind::LocalPath(i, path) => Ok(self.local(*i, path)),
            ExprKind::Local(i) => Ok(self.local(*i, &[])),
            ExprKind::Param(i) => Ok(Val::Ref(
                self.params
                    .get(*i as usize)
                    .map(|p| &p.value)
                    .unwrap_or(&ABSENT),
            )),
            ExprKind::Let(i) => {
                let lets = self.lets;
                self.definition(*i, |f| lets.get(*i as usize).map(|l| f.eval(&l.expr)))
            }
            ExprKind::Rank(j) => self.rank(*j, span),
            ExprKind::Now => own(Value::Timestamp(self.now)),
            ExprKind::Held => own(self.held_list()),
            ExprKind::Not(_)
            | ExprKind::And(_)
            | ExprKind::Or(_)
            | ExprKind::Cmp(..)
            | ExprKind::Within { .. }
            | ExprKind::Presence(..)
            | ExprKind::Conditions(..) => self.eval_bool(e).map(|b| Val::Own(Value::Bool(b))),
            ExprKind::Neg(x) => {
                let v = self.eval(x)?;
                Ok(Val::Own(ops::negate(&v, span)?))
            }
            ExprKind::Arith(first, steps) => {
                let mut acc = self.eval(first)?;
                for step in steps {
                    let r = self.eval(&step.rhs)?;
                    acc = Val::Own(
                        match calendar_step(self.zone, step.op, &acc, &r, step.span) {
                            Some(v) => v?,
                            None => ops::arith(step.op, &acc, &r, step.span)?,
                        },
                    );
                }
                Ok(acc)
            }
            ExprKind::In(a, b) => {
                let needle = self.eval(a)?;
                match &*self.eval(b)? {
                    Value::List(items) => own(Value::Bool(ops::contains(items, &needle, span)?)),
                    Value::Absent => own(Value::Bool(false)),
                    other => Err(Box::new(unexpected("list", other, span))),
                }
            }
            ExprKind::Coalesce(items) => {
                let mut last = Val::Ref(&ABSENT);
                for x in items {
                    last = self.eval(x)?;
                    if !matches!(&*last, Value::Absent) {
                        break;
                    }
                }
                Ok(last)
            }
            ExprKind::If(branches, otherwise) => {
                for (i, (cond, value)) in branches.iter().enumerate() {
                    if self.eval_bool(cond)? {
                        if let Some(t) = self.tracer {
                            t.borrow_mut().branch(span, i, branches.len() + 1);
                        }
                        return self.eval(value);
                    }
                }
                if let Some(t) = self.tracer {
                    t.borrow_mut()
                        .branch(span, branches.len(), branches.len() + 1);
                }
                self.eval(otherwise)
            }
            ExprKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(i)?.into_owned());
                }
                own(Value::List(out.into()))
            }
            ExprKind::Record(fields) => {
                let mut out = Vec::with_capacity(fields.len());
                for f in fields {
                    out.push(self.eval(f)?.into_owned());
                }
                own(Value::Record(out.into()))
            }
            ExprKind::Index(base, key) => {
                let b = self.eval(base)?;
                let k = self.eval(key)?;
                Ok(Val::Own(ops::index(&b, &k, span)?))
            }
            ExprKind::Call(builtin, args) => {
                // Built-ins take at most three arguments: they stay on the stack.
                let mut values: smallvec::SmallVec<[Val<'a>; 3]> = smallvec::SmallVec::new();
                for a in args {
                    values.push(self.eval(a)?);
                }
                builtins::call(self.zone, self.params, builtin, &values, span).map(Val::Own)
            }
            ExprKind::Invariant(slot, inner) => self.invariant(*slot, |f| f.eval(inner)),
            ExprKind::Aggregate {
                op,
                local,
                source,
                filter,
                map,
                zero,
                invariants,
            } => {
                self.forget_invariants(invariants.clone());
                let (filter, map) = (filter.as_deref(), map.as_deref());
                self.aggregate(
                    *op,
                    *local,
                    &&**source,
                    filter.as_ref(),
                    map.as_ref(),
                    zero,
                    span,
                )
                .map(Val::Own)
            }
        }
    }
}

impl<'a> Frame<'a> {
    /// A definition's value: computed by `compute` (`None` when there is no
    /// such definition) the first time it is read in this frame, on an empty
    /// stack of locals, and kept with the labels of the named conditions that
    /// held while computing it, which are replayed each time it is read again.
    pub(super) fn definition(
        &mut self,
        i: u32,
        compute: impl FnOnce(&mut Self) -> Option<Result<Val<'a>, Failure>>,
    ) -> Result<Val<'a>, Failure> {
        let i = i as usize;
        if let Some(Some((v, labels))) = self.let_values.get(i) {
            self.held.extend(labels.iter().cloned());
            return Ok(Val::Own(v.clone()));
        }
        let before = self.held.len();
        // A definition reads no binding: it was checked outside every
        // `for`, so it runs on an empty stack of locals (its own, above the
        // reader's), wherever it is read.
        let outer = std::mem::replace(&mut self.base, self.locals.len());
        let v = compute(self);
        self.locals.truncate(self.base);
        self.base = outer;
        let Some(v) = v else {
            return Ok(Val::Ref(&ABSENT));
        };
        let v = v?.into_owned();
        let labels: Box<[Arc<str>]> = self.held.get(before..).unwrap_or_default().into();
        if let Some(slot) = self.let_values.get_mut(i) {
            *slot = Some((v.clone(), labels));
        }
        Ok(Val::Own(v))
    }

    /// The subject's place in the policy's ranking `j`.
    pub(super) fn rank(&self, j: u32, span: guifan_syntax::Span) -> Result<Val<'a>, Failure> {
        match &self.places {
            Some(places) => Ok(Val::Own(
                places
                    .get(j as usize)
                    .copied()
                    .flatten()
                    .map(Value::Int)
                    .unwrap_or(Value::Absent),
            )),
            None => Err(Box::new(EvalError::new(EvalErrorKind::NoRanks, span))),
        }
    }

    /// `held`: the labels of the named conditions that held so far.
    pub(super) fn held_list(&self) -> Value {
        Value::List(
            self.held
                .iter()
                .map(|h| Value::Str(crate::value::Text::from(Arc::clone(h))))
                .collect(),
        )
    }

    /// An invariant of an aggregate: computed by `compute` at its first use
    /// in the aggregate's run, then kept in its slot.
    pub(super) fn invariant(
        &mut self,
        slot: u32,
        compute: impl FnOnce(&mut Self) -> Result<Val<'a>, Failure>,
    ) -> Result<Val<'a>, Failure> {
        let slot = slot as usize;
        if let Some(Some(v)) = self.invariants.get(slot) {
            return Ok(Val::Own(v.clone()));
        }
        let v = compute(self)?.into_owned();
        if self.invariants.len() <= slot {
            self.invariants.resize(slot + 1, None);
        }
        if let Some(kept) = self.invariants.get_mut(slot) {
            *kept = Some(v.clone());
        }
        Ok(Val::Own(v))
    }

    /// Forgets the invariants in `slots`: they are computed afresh in each run of their aggregate.
    pub(super) fn forget_invariants(&mut self, slots: std::ops::Range<u32>) {
        for slot in slots {
            if let Some(kept) = self.invariants.get_mut(slot as usize) {
                *kept = None;
            }
        }
    }
}

/// A field of a record value (absent from an absent record).
pub(super) fn field<'a>(
    base: Val<'a>,
    slot: u32,
    span: guifan_syntax::Span,
) -> Result<Val<'a>, Failure> {
    match base {
        Val::Ref(v) => match v {
            Value::Record(_) | Value::Absent => Ok(Val::Ref(walk(Some(v), &[slot]))),
            other => Err(Box::new(unexpected("record", other, span))),
        },
        Val::Own(v) => match &v {
            Value::Record(_) | Value::Absent => Ok(Val::Own(walk(Some(&v), &[slot]).clone())),
            other => Err(Box::new(unexpected("record", other, span))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{recycle, Val};
    use crate::value::Value;

    #[test]
    fn recycled_bindings_keep_their_allocation() {
        let one = Value::Int(1);
        let mut v: Vec<Val<'_>> = Vec::with_capacity(16);
        v.push(Val::Ref(&one));
        let capacity = v.capacity();
        let pointer = v.as_ptr() as usize;
        let kept: Vec<Val<'static>> = recycle(v);
        assert!(kept.is_empty());
        assert_eq!(kept.capacity(), capacity);
        assert_eq!(kept.as_ptr() as usize, pointer, "the same buffer");
    }

    #[test]
    fn empty_lists_share_one_allocation() {
        let (Value::List(a), Value::List(b)) = (Value::empty_list(), Value::empty_list()) else {
            panic!("lists");
        };
        assert!(std::sync::Arc::ptr_eq(&a, &b));
        assert!(a.is_empty());
    }
}
