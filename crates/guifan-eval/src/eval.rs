//! Evaluation of a checked program against one subject: no name lookups, no
//! parsing, exact arithmetic, and one rule's error never stops the others.

mod builtins;
mod compiled;
mod decide;
mod frame;
mod ops;
#[cfg(test)]
mod ops_tests;
mod outcome;
mod policy;
pub mod rank;
mod sink;
pub mod trace;

pub(crate) use compiled::compile;
pub(crate) use frame::constant;
pub use outcome::{Decision, Effect, Outcome, RuleError};
pub use sink::{Made, MadeEffect, MadeMessage, Sink};

use chrono::{DateTime, FixedOffset};

use crate::ir::Program;
use crate::value::Subject;

/// Evaluates every policy that judges the subject's kind.
///
/// A rule that reads a `rank` needs the places of the whole input: with this
/// function it fails with `guifan::eval::no_ranks`; use
/// [`evaluate_with_ranks`] after [`rank::rank_keys`] over every record.
pub fn evaluate(program: &Program, subject: &Subject, now: DateTime<FixedOffset>) -> Outcome {
    evaluate_inner(program, subject, now, None, None, false)
}

/// [`evaluate_with_ranks`] (or [`evaluate`], without ranks), telling `tracer`
/// what it does: which policies apply, which rules are judged and fire, each
/// comparison with its values, and what short-circuiting skipped.
pub fn evaluate_traced<'a>(
    program: &'a Program,
    subject: &'a Subject,
    now: DateTime<FixedOffset>,
    ranks: Option<&'a rank::Ranks>,
    tracer: &'a std::cell::RefCell<dyn trace::Tracer + 'a>,
) -> Outcome {
    evaluate_inner(program, subject, now, ranks, Some(tracer), false)
}

/// Evaluates every policy that judges the subject's kind, reading its places
/// in the policies' rankings from `ranks`.
pub fn evaluate_with_ranks(
    program: &Program,
    subject: &Subject,
    now: DateTime<FixedOffset>,
    ranks: &rank::Ranks,
) -> Outcome {
    evaluate_inner(program, subject, now, Some(ranks), None, false)
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
    ranks: Option<&'a rank::Ranks>,
    sink: &mut dyn Sink<'a>,
) {
    for policy in program.policies_for(subject.kind) {
        policy::evaluate_policy(policy, subject, now, ranks, sink, None, false);
    }
}

/// Evaluates every policy that judges the subject's kind into an
/// [`Outcome`]: by the compiled closures, unless `interpret` or a tracer asks
/// for the interpreter.
fn evaluate_inner<'a>(
    program: &'a Program,
    subject: &'a Subject,
    now: DateTime<FixedOffset>,
    ranks: Option<&'a rank::Ranks>,
    tracer: Watch<'a>,
    interpret: bool,
) -> Outcome {
    let mut outcome = Outcome::default();
    for policy in program.policies_for(subject.kind) {
        policy::evaluate_policy(policy, subject, now, ranks, &mut outcome, tracer, interpret);
    }
    outcome
}

/// [`evaluate_with_ranks`] (or [`evaluate`], without ranks) by the
/// interpreter, which walks the checked program, instead of the closures it
/// is compiled into when the rules load. Both give the same decisions and
/// errors (the tracer of [`evaluate_traced`] watches the interpreter); this is
/// the other side of the differential tests that check it.
pub fn evaluate_interpreted(
    program: &Program,
    subject: &Subject,
    now: DateTime<FixedOffset>,
    ranks: Option<&rank::Ranks>,
) -> Outcome {
    evaluate_inner(program, subject, now, ranks, None, true)
}

/// The requirements of a policy (`require`) that its parameters, as they are
/// now, do not meet (a requirement that fails to evaluate is not met).
pub fn unmet_requirements(policy: &crate::ir::Policy) -> Vec<&crate::ir::Require> {
    let epoch = chrono::DateTime::<chrono::FixedOffset>::default();
    policy
        .requires
        .iter()
        .filter(|r| {
            let mut frame = frame::Frame::new(&policy.params, &[], policy.zone, &[], epoch);
            !matches!(frame.eval_bool(&r.condition), Ok(true))
        })
        .collect()
}
