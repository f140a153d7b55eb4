//! Watching an evaluation: which policies apply, which rules are judged and
//! fire, every comparison with the values it saw, and what short-circuiting
//! skipped. `guifan explain` and test coverage are built on it.
//!
//! Evaluation without a tracer pays one predictable branch per comparison
//! and per short-circuit (the `Option` is `None`); see the criterion
//! benchmark `catalogue_mix`.

use guifan_syntax::Span;

use crate::ir::CmpOp;
use crate::value::Value;

/// Whether a policy applies to the subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    /// Its filter holds and it is in force
    Yes,
    /// Its `subject ... where` filter is false
    FilterFalse,
    /// Its effective dates do not include the governing time
    NotInForce,
}

/// How a rule was judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleStatus<'a> {
    /// Its condition is evaluated now, with this version (label, for versioned rules)
    Judged(Option<&'a str>),
    /// Its `on ... where` filter is false
    OnFilterFalse,
    /// None of its versions is in force
    NoVersionInForce,
}

/// Receives what an evaluation does; every method does nothing by default.
pub trait Tracer {
    /// A policy of the subject's kind is about to be evaluated (its filter first).
    fn policy_start(&mut self, _policy: &str) {}
    /// A policy of the subject's kind, and whether it applies.
    fn policy(&mut self, _policy: &str, _applies: Applies) {}
    /// A rule of an applying policy, about to be judged or passed over.
    fn rule(&mut self, _rule: &str, _status: RuleStatus<'_>) {}
    /// The rule's condition, as it came out (once per item for rules over items).
    fn condition(&mut self, _rule: &str, _held: bool) {}
    /// A comparison: its operator, its operands' values, and whether it held.
    fn compare(&mut self, _span: Span, _op: CmpOp, _left: &Value, _right: &Value, _held: bool) {}
    /// `x within (low, high]`: the value, its bounds (the upper one absent when
    /// the lower already failed), how each bound counts, and whether it held.
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per part of the interval as written"
    )]
    fn within(
        &mut self,
        _span: Span,
        _value: &Value,
        _low: &Value,
        _high: &Value,
        _low_op: CmpOp,
        _high_op: CmpOp,
        _held: bool,
    ) {
    }
    /// `x is present` or `x is absent`: the value (absent or not) and whether it held.
    fn presence(&mut self, _span: Span, _value: &Value, _held: bool) {}
    /// A rule over items starts judging one item (`item 2`) or group
    /// (`user: u-1, day: 2023-03-02`): what follows, up to the next, is about it.
    fn item(&mut self, _rule: &str, _label: &str) {}
    /// An operand of `and` or `or` not evaluated because the result was already known.
    fn skipped(&mut self, _span: Span) {}
    /// A branch of an `if ... else if ... else` ladder taken: its index, of how many (the `else` last).
    fn branch(&mut self, _ladder: Span, _taken: usize, _of: usize) {}
    /// A named condition of `any { }` or `all { }`, and whether it held.
    fn named(&mut self, _label: &str, _span: Span, _held: bool) {}
}
