//! Evaluation of a checked program against one subject: no name lookups, no
//! parsing, exact arithmetic, and one rule's error never stops the others.

mod ops;
#[cfg(test)]
mod ops_tests;
mod sink;
pub mod trace;

pub use sink::{Made, MadeEffect, MadeMessage, Sink};

use std::sync::Arc;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use chrono_tz::Tz;
use guifan_syntax::ast::Quantifier;
use guifan_syntax::{SourceId, Span};

use crate::error::{EvalError, EvalErrorKind};
use crate::ir::{
    Aggregate, Builtin, EffectArgs, Expr, ExprKind, Let, Message, Param, Policy, Program,
    TemplatePart,
};
use crate::value::{Subject, Value};

/// One rule that fired on one subject.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Full rule ID (`douyin.zero_deposit_trial.listing_cap`)
    pub rule: Arc<str>,
    /// The version that decided, for versioned rules
    pub version: Option<Arc<str>>,
    /// The effects, in written order
    pub effects: Vec<Effect>,
    /// The rendered message
    pub message: Option<Arc<str>>,
}

/// An effect with its argument values.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    /// Its kind (`restrict`)
    pub kind: Arc<str>,
    /// Its arguments, in written order
    pub args: EffectArgs,
}

impl Effect {
    /// An argument's value by name.
    pub fn arg(&self, name: &str) -> Option<&Value> {
        self.args.iter().find(|(n, _)| &**n == name).map(|(_, v)| v)
    }
}

/// A rule (or a policy's filter) that could not be evaluated on a subject.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleError {
    /// The rule's full ID, or the policy's ID for filter and governing-time errors
    pub rule: Arc<str>,
    /// The file of the expression that failed
    pub source_id: SourceId,
    /// What failed, and where
    pub error: EvalError,
}

/// Everything decided about one subject.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Rules that fired, in policy and rule order
    pub decisions: Vec<Decision>,
    /// Rules that failed
    pub errors: Vec<RuleError>,
}

/// Evaluates every policy that judges the subject's kind.
///
/// A rule that reads a `rank` needs the places of the whole input: with this
/// function it fails with `guifan::eval::no_ranks`; use
/// [`evaluate_with_ranks`] after [`crate::rank::rank_keys`] over every record.
pub fn evaluate(program: &Program, subject: &Subject, now: DateTime<FixedOffset>) -> Outcome {
    evaluate_inner(program, subject, now, None, None)
}

/// [`evaluate_with_ranks`] (or [`evaluate`], without ranks), telling `tracer`
/// what it does: which policies apply, which rules are judged and fire, each
/// comparison with its values, and what short-circuiting skipped.
pub fn evaluate_traced<'a>(
    program: &'a Program,
    subject: &'a Subject,
    now: DateTime<FixedOffset>,
    ranks: Option<&'a crate::rank::Ranks>,
    tracer: &'a std::cell::RefCell<dyn trace::Tracer + 'a>,
) -> Outcome {
    evaluate_inner(program, subject, now, ranks, Some(tracer))
}

/// Evaluates every policy that judges the subject's kind, reading its places
/// in the policies' rankings from `ranks`.
pub fn evaluate_with_ranks(
    program: &Program,
    subject: &Subject,
    now: DateTime<FixedOffset>,
    ranks: &crate::rank::Ranks,
) -> Outcome {
    evaluate_inner(program, subject, now, Some(ranks), None)
}

/// A tracer, when the evaluation is watched.
type Watch<'a> = Option<&'a std::cell::RefCell<dyn trace::Tracer + 'a>>;

/// Evaluates every policy that judges the subject's kind (with its places in
/// the rankings when `ranks` are given), handing each decision to `sink` as it
/// is made, borrowing the program: nothing shared is cloned.
pub fn evaluate_into<'a>(
    program: &'a Program,
    subject: &'a Subject,
    now: DateTime<FixedOffset>,
    ranks: Option<&'a crate::rank::Ranks>,
    sink: &mut dyn Sink<'a>,
) {
    for policy in program.policies_for(subject.kind) {
        evaluate_policy(policy, subject, now, ranks, sink, None);
    }
}

fn evaluate_inner<'a>(
    program: &'a Program,
    subject: &'a Subject,
    now: DateTime<FixedOffset>,
    ranks: Option<&'a crate::rank::Ranks>,
    tracer: Watch<'a>,
) -> Outcome {
    let mut outcome = Outcome::default();
    for policy in program.policies_for(subject.kind) {
        evaluate_policy(policy, subject, now, ranks, &mut outcome, tracer);
    }
    outcome
}

fn evaluate_policy<'a>(
    policy: &'a Policy,
    subject: &'a Subject,
    now: DateTime<FixedOffset>,
    ranks: Option<&'a crate::rank::Ranks>,
    out: &mut dyn Sink<'a>,
    tracer: Watch<'a>,
) {
    let mut frame = Frame::for_policy(policy, subject, now);
    frame.tracer = tracer;
    let tell = |f: &dyn Fn(&mut dyn trace::Tracer)| {
        if let Some(t) = tracer {
            f(&mut *t.borrow_mut());
        }
    };
    tell(&|t| t.policy_start(&policy.id));
    if !policy.rankings.is_empty() {
        frame.places = ranks.map(|r| {
            (0..policy.rankings.len())
                .map(|j| r.place(&policy.id, j, &subject.id))
                .collect()
        });
    }
    let policy_error = |out: &mut dyn Sink<'a>, error: EvalError| {
        out.error(RuleError {
            rule: policy.id.clone(),
            source_id: policy.source_id,
            error,
        })
    };
    // The policy's own subject kind, or another that some of its rules judge (`on`).
    let main = subject.kind == policy.kind;
    if let (true, Some(filter)) = (main, &policy.filter) {
        match frame.eval_bool(filter) {
            Ok(true) => {}
            Ok(false) => return tell(&|t| t.policy(&policy.id, trace::Applies::FilterFalse)),
            Err(e) => return policy_error(out, *e),
        }
    }
    if let (Some(expected), Some(found)) = (policy.currency, subject.currency) {
        // The policy was checked with its money in its own currency: a record in another cannot be judged.
        if expected != found {
            let kind = EvalErrorKind::CurrencyMismatch {
                left: expected.to_string(),
                right: found.to_string(),
            };
            return policy_error(out, EvalError::new(kind, policy.currency_span));
        }
    }
    let governing = match policy.governed_by.as_ref().filter(|_| main) {
        Some(g) => match frame.eval(g).as_deref() {
            Ok(Value::Timestamp(t)) => *t,
            Ok(other) => return policy_error(out, unexpected("timestamp", other, g.span)),
            Err(e) => return policy_error(out, (**e).clone()),
        },
        None => now,
    };
    if !policy.effective.contains(&governing) {
        return tell(&|t| t.policy(&policy.id, trace::Applies::NotInForce));
    }
    tell(&|t| t.policy(&policy.id, trace::Applies::Yes));
    for rule in &policy.rules {
        match &rule.on {
            None if !main => continue,
            Some((kind, _)) if *kind != subject.kind => continue,
            Some((_, Some(filter))) => match frame.eval_bool(filter) {
                Ok(true) => {}
                Ok(false) => {
                    tell(&|t| t.rule(&rule.id, trace::RuleStatus::OnFilterFalse));
                    continue;
                }
                Err(error) => {
                    out.error(RuleError {
                        rule: rule.id.clone(),
                        source_id: policy.source_id,
                        error: *error,
                    });
                    continue;
                }
            },
            _ => {}
        }
        let Some(version) = rule.versions.iter().find(|v| v.window.contains(&governing)) else {
            tell(&|t| t.rule(&rule.id, trace::RuleStatus::NoVersionInForce));
            continue;
        };
        tell(&|t| {
            t.rule(
                &rule.id,
                trace::RuleStatus::Judged(version.label.as_deref()),
            )
        });
        let mut judge = Judge {
            rule,
            version,
            source_id: policy.source_id,
            out: &mut *out,
        };
        match &rule.each {
            None => judge.once(&mut frame),
            Some(each) => judge.each(&mut frame, each),
        }
    }
}

/// Judges one rule's version of a policy on one record.
struct Judge<'o, 'a> {
    rule: &'a crate::ir::Rule,
    version: &'a crate::ir::Version,
    source_id: guifan_syntax::SourceId,
    out: &'o mut dyn Sink<'a>,
}

impl<'a> Judge<'_, 'a> {
    fn error(&mut self, error: EvalError) {
        self.out.error(RuleError {
            rule: self.rule.id.clone(),
            source_id: self.source_id,
            error,
        });
    }

    /// Evaluates the version once, with the locals bound now: its own
    /// definitions, its condition, and when that holds its decision.
    fn once(&mut self, frame: &mut Frame<'a>) {
        let base = frame.locals.len();
        for l in &self.version.lets {
            match frame.eval(l) {
                Ok(v) => frame.locals.push(v),
                Err(e) => {
                    frame.locals.truncate(base);
                    return self.error(*e);
                }
            }
        }
        frame.held.clear();
        let when = frame.eval_bool(&self.version.when);
        if let (Some(t), Ok(held)) = (frame.tracer, &when) {
            t.borrow_mut().condition(&self.rule.id, *held);
        }
        match when {
            Ok(true) => {
                if let Err(e) = frame.decide(self.rule, self.version, &mut *self.out) {
                    self.error(*e);
                }
            }
            Ok(false) => {}
            Err(e) => self.error(*e),
        }
        frame.locals.truncate(base);
    }

    /// A `for` rule: once per item, or once per group of items with equal keys.
    fn each(&mut self, frame: &mut Frame<'a>, each: &'a crate::ir::Each) {
        let items: Vec<Val<'a>> = match frame.eval(&each.source) {
            Ok(Val::Ref(Value::List(list))) => list.iter().map(Val::Ref).collect(),
            Ok(Val::Own(Value::List(list))) => list.iter().map(|v| Val::Own(v.clone())).collect(),
            Ok(Val::Ref(Value::Absent) | Val::Own(Value::Absent)) => Vec::new(),
            Ok(other) => return self.error(unexpected("list", &other, each.source.span)),
            Err(e) => return self.error(*e),
        };
        let Some(keys) = &each.keys else {
            for item in items {
                frame.locals.push(item);
                self.once(frame);
                frame.locals.pop();
            }
            return;
        };
        // Each item's keys; then items with equal keys side by side (sorted, so
        // grouping is O(n log n)), groups in the order of their first item.
        let mut keyed: Vec<(Vec<Value>, usize)> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            frame.locals.push(item.clone());
            let key: Result<Vec<Value>, Failure> = keys
                .iter()
                .map(|k| frame.eval(k).map(Val::into_owned))
                .collect();
            frame.locals.pop();
            match key {
                Ok(key) => keyed.push((key, i)),
                Err(e) => self.error(*e),
            }
        }
        keyed.sort_by(|a, b| compare_keys(&a.0, &b.0).then(a.1.cmp(&b.1)));
        let mut groups: Vec<(Vec<Value>, Vec<usize>)> = Vec::new();
        for (key, i) in keyed {
            match groups.last_mut() {
                Some((k, members)) if compare_keys(k, &key).is_eq() => members.push(i),
                _ => groups.push((key, vec![i])),
            }
        }
        groups.sort_by_key(|(_, members)| members.first().copied());
        for (key, members) in groups {
            let base = frame.locals.len();
            frame.locals.extend(key.into_iter().map(Val::Own));
            let list: Arc<[Value]> = members
                .iter()
                .filter_map(|i| items.get(*i))
                .map(|v| (**v).clone())
                .collect();
            frame.locals.push(Val::Own(Value::List(list)));
            self.once(frame);
            frame.locals.truncate(base);
        }
    }
}

/// Arithmetic with calendar periods, which needs the policy's zone: `None`
/// when neither operand is a period.
fn calendar_step(
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

/// Orders grouping keys: value by value.
fn compare_keys(a: &[Value], b: &[Value]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.total_cmp(y))
        .find(|o| o.is_ne())
        .unwrap_or(a.len().cmp(&b.len()))
}

/// The keys one subject contributes to its policies' rankings: for each
/// policy of its kind whose filter holds, each ranking whose `where` holds,
/// its partition and score. Failures are reported as errors of the ranking.
pub(crate) fn rank_keys_of<'a>(
    program: &'a Program,
    subject: &'a Subject,
    now: DateTime<FixedOffset>,
    keys: &mut Vec<crate::rank::RankKey>,
    errors: &mut Vec<RuleError>,
    tracer: Watch<'a>,
) {
    for policy in program.policies_for(subject.kind) {
        if policy.rankings.is_empty() || policy.kind != subject.kind {
            continue;
        }
        if let Some(t) = tracer {
            t.borrow_mut().policy_start(&policy.id);
        }
        let mut frame = Frame::for_policy(policy, subject, now);
        frame.tracer = tracer;
        let fail = |errors: &mut Vec<RuleError>, name: &str, error: EvalError| {
            errors.push(RuleError {
                rule: if name.is_empty() {
                    policy.id.clone()
                } else {
                    Arc::from(format!("{}.{name}", policy.id))
                },
                source_id: policy.source_id,
                error,
            })
        };
        if let Some(filter) = &policy.filter {
            match frame.eval_bool(filter) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    fail(errors, "", *e);
                    continue;
                }
            }
        }
        for (j, ranking) in policy.rankings.iter().enumerate() {
            let ranked = match &ranking.filter {
                Some(f) => frame.eval_bool(f),
                None => Ok(true),
            };
            let key = ranked.and_then(|ranked| {
                if !ranked {
                    return Ok(None);
                }
                let score = frame.eval(&ranking.score)?.into_owned();
                let partition = match &ranking.per {
                    Some(p) => frame.eval(p)?.into_owned(),
                    None => Value::Absent,
                };
                Ok(Some((partition, score)))
            });
            match key {
                Ok(Some((partition, score))) => keys.push(crate::rank::RankKey {
                    policy: policy.id.clone(),
                    ranking: j,
                    id: subject.id.clone(),
                    partition,
                    score,
                }),
                Ok(None) => {}
                Err(e) => fail(errors, &ranking.name, *e),
            }
        }
    }
}

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

/// An evaluation error, boxed so that results stay small on the hot path.
type Failure = Box<EvalError>;

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

static ABSENT: Value = Value::Absent;

/// Follows field slots through nested records by reference; absent when any step is.
fn walk<'v>(start: Option<&'v Value>, path: &[u32]) -> &'v Value {
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
}

thread_local! {
    /// Buffers of frames that ended, for the next frames of this thread.
    static SPARE: std::cell::RefCell<Vec<Spare>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Spare {
    /// Frames nested at most this deep keep their buffers (one per policy is the usual case).
    const KEEP: usize = 4;

    fn take() -> Spare {
        SPARE
            .try_with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.pop()))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    fn put(mut self) {
        self.let_values.clear();
        self.held.clear();
        self.made_effects.clear();
        self.made_values.clear();
        self.made_message.clear();
        self.invariants.clear();
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
        }
        .put();
    }
}

/// A value produced by evaluation: borrowed from the subject, the program's
/// constants or a parameter when possible, so that reading a field copies
/// nothing; owned when computed.
#[derive(Clone)]
enum Val<'a> {
    /// Borrowed for the whole evaluation
    Ref(&'a Value),
    /// Computed here
    Own(Value),
}

impl Val<'_> {
    fn into_owned(self) -> Value {
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
struct Frame<'a> {
    params: &'a [Param],
    lets: &'a [Let],
    zone: Tz,
    subject: &'a [Value],
    now: DateTime<FixedOffset>,
    /// Each definition's value once computed, with the labels of the named
    /// conditions that held while computing it (replayed when it is read again,
    /// so that `held` is the same in every rule that reads it)
    let_values: Vec<Option<LetValue>>,
    /// Bindings of enclosing aggregates, by depth
    locals: Vec<Val<'a>>,
    held: Vec<Arc<str>>,
    /// The subject's place in each of the policy's rankings, when they were computed
    places: Option<Vec<Option<i64>>>,
    /// Who watches the evaluation, if anyone
    tracer: Watch<'a>,
    /// A decision's effects as it is made: index, and range of computed arguments in `made_values`
    made_effects: Vec<(u32, u32, u32)>,
    /// A decision's computed effect arguments
    made_values: Vec<Value>,
    /// A decision's rendered message
    made_message: String,
    /// Values of the aggregates' invariants, by slot, once computed in their current run
    invariants: Vec<Option<Value>>,
}

impl<'a> Frame<'a> {
    /// A frame for evaluating one policy on one subject.
    fn for_policy(policy: &'a Policy, subject: &'a Subject, now: DateTime<FixedOffset>) -> Self {
        Frame::new(
            &policy.params,
            &policy.lets,
            policy.zone,
            &subject.fields,
            now,
        )
    }

    fn new(
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
            locals: Vec::new(),
            held: spare.held,
            places: None,
            tracer: None,
            made_effects: spare.made_effects,
            made_values: spare.made_values,
            made_message: spare.made_message,
            invariants: spare.invariants,
        }
    }

    /// Makes the decision of a rule whose condition held and hands it to
    /// `sink`: effects whose guard holds, their computed arguments and the
    /// message, in buffers the frame keeps for the next decision.
    fn decide(
        &mut self,
        rule: &'a crate::ir::Rule,
        version: &'a crate::ir::Version,
        sink: &mut dyn Sink<'a>,
    ) -> Result<(), Failure> {
        let mut yielded = std::mem::take(&mut self.made_effects);
        let mut values = std::mem::take(&mut self.made_values);
        let mut text = std::mem::take(&mut self.made_message);
        yielded.clear();
        values.clear();
        text.clear();
        let result = self.make(version, &mut yielded, &mut values, &mut text);
        if let Ok(rendered) = &result {
            let message = match &version.message {
                Some(Message::Constant(t)) => Some(MadeMessage::Constant(t)),
                Some(Message::Template(_)) if *rendered => Some(MadeMessage::Rendered(&text)),
                _ => None,
            };
            sink.decision(&Made {
                rule,
                version,
                yielded: &yielded,
                values: &values,
                message,
            });
        }
        self.made_effects = yielded;
        self.made_values = values;
        self.made_message = text;
        result.map(|_| ())
    }

    /// The effects and message of a decision into the buffers; true when a
    /// template was rendered into `text`.
    fn make(
        &mut self,
        version: &'a crate::ir::Version,
        yielded: &mut Vec<(u32, u32, u32)>,
        values: &mut Vec<Value>,
        text: &mut String,
    ) -> Result<bool, Failure> {
        for (i, e) in version.effects.iter().enumerate() {
            if let Some(guard) = &e.guard {
                if !self.eval_bool(guard)? {
                    continue;
                }
            }
            let start = values.len();
            if e.constant.is_none() {
                for (_, expr) in &e.args {
                    values.push(self.eval(expr)?.into_owned());
                }
            }
            yielded.push((
                u32::try_from(i).unwrap_or(u32::MAX),
                u32::try_from(start).unwrap_or(u32::MAX),
                u32::try_from(values.len()).unwrap_or(u32::MAX),
            ));
        }
        let Some(Message::Template(parts)) = &version.message else {
            return Ok(false);
        };
        for part in parts {
            match part {
                TemplatePart::Text(t) => text.push_str(t),
                TemplatePart::Expr(e) => {
                    use std::fmt::Write;
                    let v = self.eval(e)?;
                    let _ = write!(text, "{}", &*v);
                }
            }
        }
        Ok(true)
    }

    /// Tells the tracer which operands short-circuiting left out.
    fn skipped(&self, rest: Option<&'a [Expr]>) {
        if let (Some(t), Some(rest)) = (self.tracer, rest) {
            let mut t = t.borrow_mut();
            rest.iter().for_each(|x| t.skipped(x.span));
        }
    }

    /// Evaluates a condition: the boolean operators, comparisons, intervals,
    /// presence tests and named conditions compute their truth directly, with
    /// no value built for it; anything else is evaluated and must be a bool.
    fn eval_bool(&mut self, e: &'a Expr) -> Result<bool, Failure> {
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
                Ok(matches!(&*v, Value::Absent) != *present)
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
    fn local(&self, i: u32, path: &[u32]) -> Val<'a> {
        match self.locals.get(i as usize) {
            Some(Val::Ref(v)) => Val::Ref(walk(Some(v), path)),
            Some(Val::Own(v)) => Val::Own(walk(Some(v), path).clone()),
            None => Val::Ref(&ABSENT),
        }
    }

    fn eval(&mut self, e: &'a Expr) -> Result<Val<'a>, Failure> {
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
            ExprKind::Field(base, slot) => match self.eval(base)? {
                Val::Ref(v) => match v {
                    Value::Record(_) | Value::Absent => Ok(Val::Ref(walk(Some(v), &[*slot]))),
                    other => Err(Box::new(unexpected("record", other, span))),
                },
                Val::Own(v) => match &v {
                    Value::Record(_) | Value::Absent => own(walk(Some(&v), &[*slot]).clone()),
                    other => Err(Box::new(unexpected("record", other, span))),
                },
            },
            ExprKind::LocalPath(i, path) => Ok(self.local(*i, path)),
            ExprKind::Local(i) => Ok(self.local(*i, &[])),
            ExprKind::Param(i) => Ok(Val::Ref(
                self.params
                    .get(*i as usize)
                    .map(|p| &p.value)
                    .unwrap_or(&ABSENT),
            )),
            ExprKind::Let(i) => {
                let i = *i as usize;
                if let Some(Some((v, labels))) = self.let_values.get(i) {
                    self.held.extend(labels.iter().cloned());
                    return own(v.clone());
                }
                let Some(l) = self.lets.get(i) else {
                    return Ok(Val::Ref(&ABSENT));
                };
                let before = self.held.len();
                // A definition reads no binding: it was checked outside every
                // `for`, so it runs on an empty stack of locals, wherever it is read.
                let outer = std::mem::take(&mut self.locals);
                let v = self.eval(&l.expr);
                self.locals = outer;
                let v = v?.into_owned();
                let labels: Box<[Arc<str>]> = self.held.get(before..).unwrap_or_default().into();
                if let Some(slot) = self.let_values.get_mut(i) {
                    *slot = Some((v.clone(), labels));
                }
                own(v)
            }
            ExprKind::Rank(j) => match &self.places {
                Some(places) => own(places
                    .get(*j as usize)
                    .copied()
                    .flatten()
                    .map(Value::Int)
                    .unwrap_or(Value::Absent)),
                None => Err(Box::new(EvalError::new(EvalErrorKind::NoRanks, span))),
            },
            ExprKind::Now => own(Value::Timestamp(self.now)),
            ExprKind::Held => own(Value::List(
                self.held.iter().map(|h| Value::Str(h.clone())).collect(),
            )),
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
            ExprKind::Call(builtin, args) => self.call(builtin, args, span).map(Val::Own),
            ExprKind::Invariant(slot, inner) => {
                let slot = *slot as usize;
                if let Some(Some(v)) = self.invariants.get(slot) {
                    return own(v.clone());
                }
                let v = self.eval(inner)?.into_owned();
                if self.invariants.len() <= slot {
                    self.invariants.resize(slot + 1, None);
                }
                if let Some(kept) = self.invariants.get_mut(slot) {
                    *kept = Some(v.clone());
                }
                own(v)
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
                // Invariants are computed afresh in each run of the aggregate.
                for slot in invariants.clone() {
                    if let Some(kept) = self.invariants.get_mut(slot as usize) {
                        *kept = None;
                    }
                }
                self.aggregate(
                    *op,
                    *local,
                    source,
                    filter.as_deref(),
                    map.as_deref(),
                    zero,
                    span,
                )
                .map(Val::Own)
            }
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "mirrors the fields of ExprKind::Aggregate"
    )]
    fn aggregate(
        &mut self,
        op: Aggregate,
        local: u32,
        source: &'a Expr,
        filter: Option<&'a Expr>,
        map: Option<&'a Expr>,
        zero: &Value,
        span: Span,
    ) -> Result<Value, Failure> {
        self.locals.truncate(local as usize);
        let mut state = AggregateState::default();
        match self.eval(source)? {
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
    fn aggregate_step(
        &mut self,
        op: Aggregate,
        filter: Option<&'a Expr>,
        map: Option<&'a Expr>,
        item: &Value,
        span: Span,
        state: &mut AggregateState,
    ) -> Result<bool, Failure> {
        let selected = match filter {
            Some(f) => self.eval_bool(f)?,
            None => true,
        };
        match op {
            Aggregate::Any | Aggregate::All => {
                // The predicate: `map` over the selected items, else the `where` condition, else the item itself.
                let pred = match (filter, map) {
                    (_, Some(m)) if selected => Some(self.eval_bool(m)?),
                    (_, Some(_)) => None,
                    (Some(_), None) => Some(selected),
                    (None, None) => Some(matches!(item, Value::Bool(true))),
                };
                match (op, pred) {
                    (Aggregate::Any, Some(true)) | (Aggregate::All, Some(false)) => {
                        state.acc = Some(Value::Bool(op == Aggregate::Any));
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
            Aggregate::Filter => {
                state.kept.push(item.clone());
                Ok(true)
            }
            _ => {
                let v = match map {
                    Some(m) => self.eval(m)?,
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
                    _ => state.kept.push(v.clone()),
                }
                Ok(true)
            }
        }
    }

    fn call(&mut self, builtin: &Builtin, args: &'a [Expr], span: Span) -> Result<Value, Failure> {
        let mut values: Vec<Val<'a>> = Vec::with_capacity(args.len());
        for a in args {
            values.push(self.eval(a)?);
        }
        let zone = self.zone;
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
        let first: &Value = values.first().map(|v| &**v).unwrap_or(&ABSENT);
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
            Builtin::Max | Builtin::Min => {
                let mut best: Option<&Value> = None;
                for v in &values {
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
                let set = self
                    .params
                    .get(*i as usize)
                    .and_then(|p| p.patterns.as_ref());
                let text = str_arg(0)?;
                Value::Bool(set.is_some_and(|s| s.is_match(text)))
            }
            Builtin::Week(start) => {
                let d = local_date(first)?;
                let back =
                    (7 + d.weekday().num_days_from_monday() - start.num_days_from_monday()) % 7;
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
                match at.and_then(|i| tiers.get(i)) {
                    Some(v) if n >= 1 => v.clone(),
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
}

/// The running state of an aggregate.
#[derive(Default)]
struct AggregateState {
    count: i64,
    acc: Option<Value>,
    kept: Vec<Value>,
}
