//! The checked, resolved program: names are slots and ids, types are known,
//! spans are kept so runtime errors point at the rule file.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use guifan_syntax::ast::Quantifier;
use guifan_syntax::{SourceId, Span};
use regex::Regex;

use crate::schema::{KindId, Schema};
use crate::types::Type;
use crate::value::{Currency, Value};

/// A checked rule set: immutable, `Send + Sync`, shared across threads.
#[derive(Debug, Clone)]
pub struct Program {
    /// The data schema
    pub(crate) schema: Schema,
    /// The policies, in load order
    pub(crate) policies: Vec<Policy>,
    /// For each kind, the policies that judge it
    pub(crate) by_kind: Vec<Vec<usize>>,
}

impl Program {
    /// The data schema
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The policies, in load order
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }
}

impl Program {
    /// The policies that judge subjects of `kind`.
    pub fn policies_for(&self, kind: KindId) -> impl Iterator<Item = &Policy> {
        self.by_kind
            .get(kind.0 as usize)
            .into_iter()
            .flatten()
            .filter_map(|i| self.policies.get(*i))
    }

    /// Looks a policy up by ID.
    pub fn policy(&self, id: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| &*p.id == id)
    }
}

/// A checked policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Stable ID (`douyin.zero_deposit_trial`)
    pub(crate) id: Arc<str>,
    /// Human title
    pub(crate) title: Option<String>,
    /// The file it came from
    pub(crate) source_id: SourceId,
    /// The kind of subject judged
    pub(crate) kind: KindId,
    /// Which subjects of that kind it applies to
    pub(crate) filter: Option<Expr>,
    /// Its time zone
    pub(crate) zone: Tz,
    /// Its currency
    pub(crate) currency: Option<Currency>,
    /// Where the currency was declared
    pub(crate) currency_span: Span,
    /// When it is in force (judged at the governing time)
    pub(crate) effective: Window,
    /// The time that picks versions and the effective window; `now` when `None`
    pub(crate) governed_by: Option<Expr>,
    /// Parameters, with their current values
    pub(crate) params: Vec<Param>,
    /// Conditions on the parameters (`require`), checked with the defaults
    /// and with every deployment's overrides
    pub(crate) requires: Vec<Require>,
    /// Definitions, evaluated at most once per subject
    pub(crate) lets: Vec<Let>,
    /// `rank` declarations: each subject's place among all subjects of its
    /// kind in the input, computed before the rules are (see [`crate::rank`])
    pub(crate) rankings: Vec<Ranking>,
    /// Rules, in order
    pub(crate) rules: Vec<Rule>,
    /// The same, compiled for evaluation when the rules load
    pub(crate) compiled: Compiled,
}

/// A policy compiled for evaluation: the closures the evaluator builds from
/// it once, when the rules load. They are held here without naming their
/// type, so that the IR does not depend on the evaluator that reads it.
#[derive(Clone, Default)]
pub(crate) struct Compiled(Option<Arc<dyn std::any::Any + Send + Sync>>);

impl Compiled {
    /// Holds a policy's compiled form.
    pub(crate) fn new(code: Arc<dyn std::any::Any + Send + Sync>) -> Self {
        Compiled(Some(code))
    }

    /// The compiled form, when the policy has one.
    pub(crate) fn get(&self) -> Option<&(dyn std::any::Any + Send + Sync)> {
        self.0.as_deref()
    }
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Compiled"
        } else {
            "NotCompiled"
        })
    }
}

impl Policy {
    /// Stable ID (`douyin.zero_deposit_trial`)
    pub fn id(&self) -> &Arc<str> {
        &self.id
    }

    /// Human title
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// The file it came from
    pub fn source_id(&self) -> SourceId {
        self.source_id
    }

    /// The kind of subject judged
    pub fn kind(&self) -> KindId {
        self.kind
    }

    /// Which subjects of that kind it applies to
    pub fn filter(&self) -> Option<&Expr> {
        self.filter.as_ref()
    }

    /// Its time zone
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Its currency
    pub fn currency(&self) -> Option<Currency> {
        self.currency
    }

    /// Where the currency was declared
    pub fn currency_span(&self) -> Span {
        self.currency_span
    }

    /// When it is in force (judged at the governing time)
    pub fn effective(&self) -> &Window {
        &self.effective
    }

    /// The time that picks versions and the effective window; `now` when `None`
    pub fn governed_by(&self) -> Option<&Expr> {
        self.governed_by.as_ref()
    }

    /// Parameters, with their current values
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// Definitions, evaluated at most once per subject
    pub fn lets(&self) -> &[Let] {
        &self.lets
    }

    /// `rank` declarations: each subject's place among all subjects of its
    /// kind in the input, computed before the rules are (see [`crate::rank`])
    pub fn rankings(&self) -> &[Ranking] {
        &self.rankings
    }

    /// Rules, in order
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

/// A parameter and its value.
#[derive(Debug, Clone)]
pub struct Param {
    /// Its name
    pub(crate) name: String,
    /// Its type
    pub(crate) ty: Type,
    /// Its value: the default, or what a deployment set; `Absent` when neither
    pub(crate) value: Value,
    /// When it is used as the pattern of `matches`: its regular expressions,
    /// compiled when the rules load and again when a deployment sets it
    pub(crate) patterns: Option<Arc<regex::RegexSet>>,
}

impl Param {
    /// Its name
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its type
    pub fn ty(&self) -> &Type {
        &self.ty
    }

    /// Its value: the default, or what a deployment set; `Absent` when neither
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// When it is used as the pattern of `matches`: its regular expressions,
    /// compiled when the rules load and again when a deployment sets it
    pub fn patterns(&self) -> Option<&Arc<regex::RegexSet>> {
        self.patterns.as_ref()
    }
}

/// `rank daily by gmv [per market] [where eligible]`.
#[derive(Debug, Clone)]
pub struct Ranking {
    /// Its name
    pub(crate) name: String,
    /// The score: the highest first
    pub(crate) score: Expr,
    /// Ranked within each value of this
    pub(crate) per: Option<Expr>,
    /// Which subjects are ranked
    pub(crate) filter: Option<Expr>,
}

impl Ranking {
    /// Its name
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The score: the highest first
    pub fn score(&self) -> &Expr {
        &self.score
    }

    /// Ranked within each value of this
    pub fn per(&self) -> Option<&Expr> {
        self.per.as_ref()
    }

    /// Which subjects are ranked
    pub fn filter(&self) -> Option<&Expr> {
        self.filter.as_ref()
    }
}

/// A definition.
#[derive(Debug, Clone)]
pub struct Let {
    /// Its name
    pub(crate) name: String,
    /// Its value
    pub(crate) expr: Expr,
}

impl Let {
    /// Its name
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its value
    pub fn expr(&self) -> &Expr {
        &self.expr
    }
}

/// A half-open window of instants, `[from, until)`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Window {
    /// Inclusive start
    pub(crate) from: Option<DateTime<FixedOffset>>,
    /// Exclusive end
    pub(crate) until: Option<DateTime<FixedOffset>>,
}

impl Window {
    /// Inclusive start
    pub fn from(&self) -> Option<DateTime<FixedOffset>> {
        self.from
    }

    /// Exclusive end
    pub fn until(&self) -> Option<DateTime<FixedOffset>> {
        self.until
    }
}

impl Window {
    /// Whether `t` lies in the window.
    pub fn contains(&self, t: &DateTime<FixedOffset>) -> bool {
        self.from.is_none_or(|f| *t >= f) && self.until.is_none_or(|u| *t < u)
    }
}

/// A checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Full ID (`douyin.zero_deposit_trial.listing_cap`)
    pub(crate) id: Arc<str>,
    /// Name within the policy (`listing_cap`)
    pub(crate) name: String,
    /// Human title
    pub(crate) title: Option<String>,
    /// One version (unlabelled, always in force) or several effective-dated ones
    pub(crate) versions: Vec<Version>,
    /// For a rule on another kind than the policy's subject: that kind and its filter
    pub(crate) on: Option<(KindId, Option<Expr>)>,
    /// For a rule over each item (or group of items) of a collection: which
    pub(crate) each: Option<Each>,
    /// Where it was declared
    pub(crate) span: Span,
}

impl Rule {
    /// Full ID (`douyin.zero_deposit_trial.listing_cap`)
    pub fn id(&self) -> &Arc<str> {
        &self.id
    }

    /// Name within the policy (`listing_cap`)
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Human title
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// One version (unlabelled, always in force) or several effective-dated ones
    pub fn versions(&self) -> &[Version] {
        &self.versions
    }

    /// For a rule on another kind than the policy's subject: that kind and its filter
    pub fn on(&self) -> Option<&(KindId, Option<Expr>)> {
        self.on.as_ref()
    }

    /// For a rule over each item (or group of items) of a collection: which
    pub fn each(&self) -> Option<&Each> {
        self.each.as_ref()
    }

    /// Where it was declared
    pub fn span(&self) -> Span {
        self.span
    }
}

/// What a `for` rule judges: each item of `source` (bound to local 0), or,
/// with `keys`, each group of items whose keys are equal (the keys computed
/// with the item bound to local 0; then bound to locals `0..k`, and the
/// group's items, in input order, to local `k`). Groups come in the order of
/// their first item.
#[derive(Debug, Clone)]
pub struct Each {
    /// The collection (a list; absent means no items)
    pub(crate) source: Expr,
    /// The grouping keys, when the rule judges groups
    pub(crate) keys: Option<Vec<Expr>>,
    /// The grouping keys' names, in order (for explanations)
    pub(crate) names: Vec<Arc<str>>,
}

impl Each {
    /// The collection (a list; absent means no items)
    pub fn source(&self) -> &Expr {
        &self.source
    }

    /// The grouping keys, when the rule judges groups
    pub fn keys(&self) -> Option<&Vec<Expr>> {
        self.keys.as_ref()
    }
}

/// One body of a rule.
#[derive(Debug, Clone)]
pub struct Version {
    /// Its label, for versioned rules
    pub(crate) label: Option<Arc<str>>,
    /// When it is in force
    pub(crate) window: Window,
    /// The rule's own definitions, computed in order (for each item) and bound
    /// to the locals after those of `Each`
    pub(crate) lets: Vec<Expr>,
    /// The condition
    pub(crate) when: Expr,
    /// The effects
    pub(crate) effects: Vec<EffectTemplate>,
    /// The message
    pub(crate) message: Option<Message>,
}

impl Version {
    /// Its label, for versioned rules
    pub fn label(&self) -> Option<&Arc<str>> {
        self.label.as_ref()
    }

    /// When it is in force
    pub fn window(&self) -> &Window {
        &self.window
    }

    /// The rule's own definitions, computed in order (for each item) and bound
    /// to the locals after those of `Each`
    pub fn lets(&self) -> &[Expr] {
        &self.lets
    }

    /// The condition
    pub fn when(&self) -> &Expr {
        &self.when
    }

    /// The effects
    pub fn effects(&self) -> &[EffectTemplate] {
        &self.effects
    }

    /// The message
    pub fn message(&self) -> Option<&Message> {
        self.message.as_ref()
    }
}

/// An effect with argument expressions.
#[derive(Debug, Clone)]
pub struct EffectTemplate {
    /// Its kind
    pub(crate) kind: Arc<str>,
    /// Its arguments, in written order
    pub(crate) args: Vec<(Arc<str>, Expr)>,
    /// The argument values, when every one is a constant: shared by every decision, never recomputed
    pub(crate) constant: Option<EffectArgs>,
    /// `if <condition>`: the effect is yielded only when it holds
    pub(crate) guard: Option<Expr>,
}

impl EffectTemplate {
    /// Its kind
    pub fn kind(&self) -> &Arc<str> {
        &self.kind
    }

    /// Its arguments, in written order
    pub fn args(&self) -> &[(Arc<str>, Expr)] {
        &self.args
    }

    /// The argument values, when every one is a constant: shared by every decision, never recomputed
    pub fn constant(&self) -> Option<&EffectArgs> {
        self.constant.as_ref()
    }

    /// `if <condition>`: the effect is yielded only when it holds
    pub fn guard(&self) -> Option<&Expr> {
        self.guard.as_ref()
    }
}

/// An effect's argument values by name, shared between decisions.
pub type EffectArgs = Arc<[(Arc<str>, Value)]>;

/// A rule's message.
#[derive(Debug, Clone)]
pub enum Message {
    /// Text without interpolations, shared by every decision
    Constant(Arc<str>),
    /// Text with `{expr}` interpolations
    Template(Vec<TemplatePart>),
}

/// A piece of a message.
#[derive(Debug, Clone)]
pub enum TemplatePart {
    /// Plain text
    Text(String),
    /// An interpolated value
    Expr(Expr),
}

/// A checked expression.
#[derive(Debug, Clone)]
pub struct Expr {
    /// What it computes
    pub(crate) kind: ExprKind,
    /// Where it was written
    pub(crate) span: Span,
}

impl Expr {
    /// What it computes
    pub fn kind(&self) -> &ExprKind {
        &self.kind
    }

    /// Where it was written
    pub fn span(&self) -> Span {
        self.span
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

/// One step of an arithmetic chain: `- c` in `a + b - c`.
#[derive(Debug, Clone)]
pub struct ArithStep {
    /// The operator
    pub(crate) op: ArithOp,
    /// Its right operand
    pub(crate) rhs: Expr,
    /// From the chain's first operand to this step's, for errors
    pub(crate) span: Span,
}

impl ArithStep {
    /// The operator
    pub fn op(&self) -> ArithOp {
        self.op
    }

    /// Its right operand
    pub fn rhs(&self) -> &Expr {
        &self.rhs
    }

    /// From the chain's first operand to this step's, for errors
    pub fn span(&self) -> Span {
        self.span
    }
}

/// Aggregates over a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// `any(x in xs where c)`: some item satisfies
    Any,
    /// `all(x in xs where c)`: every item satisfies
    All,
    /// `count(x in xs where c)`
    Count,
    /// `sum(e for x in xs where c)`
    Sum,
    /// `min(e for x in xs)`; absent when empty
    Min,
    /// `max(e for x in xs)`; absent when empty
    Max,
    /// `filter(x in xs where c)`
    Filter,
    /// `map(e for x in xs where c)`
    Map,
    /// `distinct(e for x in xs)`: values without repeats, in first-seen order
    Distinct,
}

/// `require warn_rate < restrict_rate "message"`: a condition on a policy's parameters.
#[derive(Debug, Clone)]
pub struct Require {
    /// The condition (parameters and constants only)
    pub(crate) condition: Expr,
    /// What to say when it does not hold
    pub(crate) message: Option<String>,
    /// Where it is written
    pub(crate) span: Span,
}

impl Require {
    /// What to say when it does not hold, when the policy gave it
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Where it is written, in its policy's file
    pub fn span(&self) -> Span {
        self.span
    }

    /// Where its condition is written
    pub fn condition_span(&self) -> Span {
        self.condition.span
    }
}

/// Built-in functions.
#[derive(Debug, Clone)]
pub enum Builtin {
    /// `date(t)`: local date of a timestamp in the policy's zone
    Date,
    /// `month(t)`: first day of the local calendar month of a timestamp or date
    Month,
    /// `year(t)`: local calendar year
    Year,
    /// `time(t)`: local time of day
    TimeOfDay,
    /// `weekday(t)`: 1 (Monday) to 7 (Sunday)
    Weekday,
    /// `start_of_day(d)`: the instant a local date begins
    StartOfDay,
    /// `starts_with(s, prefix)`
    StartsWith,
    /// `ends_with(s, suffix)`
    EndsWith,
    /// `contains(s, part)` or `contains(list, item)`
    Contains,
    /// `lower(s)`
    Lower,
    /// `upper(s)`
    Upper,
    /// `trim(s)`
    Trim,
    /// `len(s)` (characters) or `len(list)`
    Len,
    /// `words(s)`: the number of words
    Words,
    /// `abs(x)`
    Abs,
    /// `round(x, places)`: to that many decimal places, halves away from zero;
    /// a percent's places are those of its figure (`21.7%` has one)
    Round(u32),
    /// `percent(x)`: a count or decimal as the percent it is (`0.25` is `25%`)
    Percent,
    /// `max(a, b, ...)`
    Max,
    /// `min(a, b, ...)`
    Min,
    /// `matches(s, "regex")`, compiled once at load
    Matches(Arc<Regex>),
    /// `matches(text, p)` with a parameter `p` (a pattern or a list of them): its compiled set
    MatchesParam(u32),
    /// `week(t, "thursday")`: the local date the week holding `t` starts on, weeks starting that weekday
    Week(chrono::Weekday),
    /// `tier(n, tiers)`: the `n`th tier (1-based), the last one for any `n` beyond it
    Tier,
    /// `sort(xs)`: ascending
    Sort,
    /// `nth(xs, i)`: the `i`th item (1-based), absent beyond the list
    Nth,
}

/// The forms of a checked expression.
#[derive(Debug, Clone)]
pub enum ExprKind {
    /// A constant
    Const(Value),
    /// A field of the subject, by slot
    Subject(u32),
    /// A field of a record value, by slot
    Field(Box<Expr>, u32),
    /// A chain of fields from the subject (`deposit.balance`), read without copying the records on the way
    SubjectPath(Box<[u32]>),
    /// A chain of fields from a binding (`w.at`), read without copying the records on the way
    LocalPath(u32, Box<[u32]>),
    /// A binding of an enclosing comprehension, by depth
    Local(u32),
    /// A parameter of the policy, by index
    Param(u32),
    /// A definition of the policy, by index
    Let(u32),
    /// A subject's place in one of its policy's rankings (an optional int)
    Rank(u32),
    /// The evaluation time
    Now,
    /// Labels of the named conditions that held in the rule's `when`
    Held,
    /// `not x`
    Not(Box<Expr>),
    /// `-x`
    Neg(Box<Expr>),
    /// `a and b and ...` (short-circuit, left to right)
    And(Vec<Expr>),
    /// `a or b or ...` (short-circuit, left to right)
    Or(Vec<Expr>),
    /// `a < b`, ...
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    /// `x within (low, high]`: `low < x` (or `<=`) and `x < high` (or `<=`),
    /// with `x` computed once and the whole explained as written
    Within {
        /// The tested value
        x: Box<Expr>,
        /// Lower bound
        low: Box<Expr>,
        /// `Lt` when the lower bound is excluded, `Le` when included
        low_op: CmpOp,
        /// Upper bound
        high: Box<Expr>,
        /// `Lt` when the upper bound is excluded, `Le` when included
        high_op: CmpOp,
    },
    /// `a + b - c`, `a * b / c`: the first operand, then each step in order
    Arith(Box<Expr>, Vec<ArithStep>),
    /// `x in list`
    In(Box<Expr>, Box<Expr>),
    /// `a ?? b ?? ...`: the first present value
    Coalesce(Vec<Expr>),
    /// `x is present` / `x is absent`
    Presence(Box<Expr>, bool),
    /// `if c then a else if d then b else e`: the value of the first branch whose condition holds
    If(Vec<(Expr, Expr)>, Box<Expr>),
    /// `[a, b]`
    List(Vec<Expr>),
    /// A record literal: its fields' values in slot order
    Record(Vec<Expr>),
    /// `m[k]` on a map (absent when missing) or `l[i]` on a list
    Index(Box<Expr>, Box<Expr>),
    /// A built-in call
    Call(Builtin, Vec<Expr>),
    /// An aggregate over a collection
    Aggregate {
        /// Which aggregate
        op: Aggregate,
        /// The binding's depth
        local: u32,
        /// The collection
        source: Box<Expr>,
        /// Which items count
        filter: Option<Box<Expr>>,
        /// The value per item (the item itself when `None`)
        map: Option<Box<Expr>>,
        /// The result for an empty `sum`
        zero: Value,
        /// The slots of the invariants hoisted out of `filter` and `map`
        /// ([`ExprKind::Invariant`]), forgotten when the aggregate starts
        invariants: std::ops::Range<u32>,
    },
    /// A computation inside an aggregate's `where` or mapped expression that
    /// reads none of its bindings: computed at its first use in each run of the
    /// aggregate and kept in its slot for the other items
    Invariant(u32, Box<Expr>),
    /// `any { a: c1, b: c2 }` / `all { ... }`: every item evaluated, labels of those that held recorded
    Conditions(Quantifier, Vec<(Arc<str>, Expr)>),
}
