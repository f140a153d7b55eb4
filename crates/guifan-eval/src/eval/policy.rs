//! Running one policy on one subject: its filter, currency and governing
//! time, then each rule's version in force, once or for each item or group.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

use super::compiled::{CompiledPolicy, VersionCode};
use super::frame::{Frame, Val};
use super::ops::{unexpected, Failure};
use super::{trace, RuleError, Sink, Watch};
use crate::error::{EvalError, EvalErrorKind};
use crate::ir::Policy;
use crate::value::{Subject, Value};

/// Evaluates one policy on one subject, by its compiled form unless
/// `interpret` (or a tracer, which watches the interpreter) asks otherwise.
pub(super) fn evaluate_policy<'a>(
    policy: &'a Policy,
    subject: &'a Subject,
    now: DateTime<FixedOffset>,
    ranks: Option<&'a crate::rank::Ranks>,
    out: &mut dyn Sink<'a>,
    tracer: Watch<'a>,
    interpret: bool,
) {
    let compiled = CompiledPolicy::of(policy).filter(|_| tracer.is_none() && !interpret);
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
        let held = match compiled.and_then(|c| Some((c.filter.as_ref()?, &c.unit))) {
            Some((code, unit)) => code(&mut frame, unit),
            None => frame.eval_bool(filter),
        };
        match held {
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
    for (r, rule) in policy.rules.iter().enumerate() {
        let rule_code = compiled.and_then(|c| Some((c.rules.get(r)?, &c.unit)));
        match &rule.on {
            None if !main => continue,
            Some((kind, _)) if *kind != subject.kind => continue,
            Some((_, Some(filter))) => match rule_code
                .and_then(|(c, unit)| Some((c.on_filter.as_ref()?, unit)))
                .map(|(code, unit)| code(&mut frame, unit))
                .unwrap_or_else(|| frame.eval_bool(filter))
            {
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
        let Some((v, version)) = rule
            .versions
            .iter()
            .enumerate()
            .find(|(_, v)| v.window.contains(&governing))
        else {
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
            code: rule_code.and_then(|(c, unit)| {
                Some(VersionCode {
                    code: c.versions.get(v)?,
                    unit,
                })
            }),
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
    /// The version compiled, when it is evaluated so
    code: Option<VersionCode<'a>>,
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
        for (i, l) in self.version.lets.iter().enumerate() {
            let v = match self.code.and_then(|c| Some((c.code.lets.get(i)?, c.unit))) {
                Some((code, unit)) => code(frame, unit),
                None => frame.eval(l),
            };
            match v {
                Ok(v) => frame.locals.push(v),
                Err(e) => {
                    frame.locals.truncate(base);
                    return self.error(*e);
                }
            }
        }
        frame.held.clear();
        let when = match self.code {
            Some(c) => (c.code.when)(frame, c.unit),
            None => frame.eval_bool(&self.version.when),
        };
        if let (Some(t), Ok(held)) = (frame.tracer, &when) {
            t.borrow_mut().condition(&self.rule.id, *held);
        }
        match when {
            Ok(true) => {
                if let Err(e) = frame.decide(self.rule, self.version, self.code, &mut *self.out) {
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
            for (i, item) in items.into_iter().enumerate() {
                if let Some(t) = frame.tracer {
                    t.borrow_mut()
                        .item(&self.rule.id, &format!("item {}", i + 1));
                }
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
            if let Some(t) = frame.tracer {
                let label: Vec<String> = each
                    .names
                    .iter()
                    .zip(&key)
                    .map(|(name, value)| format!("{name}: {value}"))
                    .collect();
                t.borrow_mut().item(&self.rule.id, &label.join(", "));
            }
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

/// Orders grouping keys: value by value.
fn compare_keys(a: &[Value], b: &[Value]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.total_cmp(y))
        .find(|o| o.is_ne())
        .unwrap_or(a.len().cmp(&b.len()))
}
