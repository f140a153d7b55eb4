//! The typed syntax tree of a rule file, with spans; no pest types appear here.
//!
//! Names are kept as written: resolving them against the schema is the
//! checker's job (`guifan-eval`).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use rust_decimal::Decimal;

use crate::span::{SourceId, Span, Spanned};

/// A parsed rule file.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleFile {
    /// The file it came from
    pub source: SourceId,
    /// Its declarations, in order
    pub items: Vec<Item>,
    /// Its `//` comments, in order
    pub comments: Vec<Comment>,
    /// Declarations that did not parse (reported as syntax errors), so that
    /// the checker does not report their names as unknown
    pub broken: Vec<Broken>,
}

impl RuleFile {
    /// The comments attached to the item or entry starting at `start`: those
    /// on the lines right above it (with nothing but comments between), and
    /// one at the end of its first line.
    pub fn comments_on(&self, start: u32, first_line_end: u32) -> impl Iterator<Item = &Comment> {
        self.comments.iter().filter(move |c| {
            (!c.trailing && c.next_code == start)
                || (c.trailing && c.span.start > start && c.span.start <= first_line_end)
        })
    }
}

/// A `// ...` comment, kept with where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// The text after `//`, as written (without the line break)
    pub text: String,
    /// Where it is, `//` included
    pub span: Span,
    /// Whether code stands before it on its line (`x = 1 // why`)
    pub trailing: bool,
    /// Where the next code after it starts (the item it is attached to, when not trailing)
    pub next_code: u32,
    /// Whether a blank line stands between it and the code or comment above
    pub blank_before: bool,
}

/// A declaration or entry that did not parse: its keyword and, when it could be
/// read, its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// The word it starts with (`rule`, `param`, `kind`, ...)
    pub keyword: String,
    /// The name after the word, when there is one
    pub name: Option<String>,
    /// The whole text it spans
    pub span: Span,
}

/// One top-level declaration.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `kind merchant { ... }`
    Kind(RecordDecl),
    /// `record Withdrawal { ... }`
    Record(RecordDecl),
    /// `effect restrict(target: string)`
    Effect(EffectDecl),
    /// `platform douyin { currency CNY }`
    Platform(PlatformDecl),
    /// `policy douyin.zero_deposit_trial { ... }`
    Policy(Box<PolicyDecl>),
}

/// A name as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name
    pub name: String,
    /// Where it was written
    pub span: Span,
}

/// A subject kind or a named record type.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordDecl {
    /// Its name
    pub name: Ident,
    /// Its fields, in order
    pub fields: Vec<FieldDecl>,
    /// Fields present only for some values of a discriminating field (kinds only)
    pub variants: Vec<VariantDecl>,
    /// The whole declaration
    pub span: Span,
}

/// `when platform == "douyin" { deposit: Deposit ... }`: fields that records
/// with that value must have, and that others may lack.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantDecl {
    /// The discriminating field (`platform`)
    pub field: Ident,
    /// Its value (`"douyin"`)
    pub value: Spanned<String>,
    /// The fields
    pub fields: Vec<FieldDecl>,
    /// The whole block
    pub span: Span,
}

/// `name: type` (a record field, or an effect argument)
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDecl {
    /// The field's name
    pub name: Ident,
    /// Its type
    pub ty: TypeExpr,
    /// The whole declaration
    pub span: Span,
}

/// A type as written, `money` or `[{ at: timestamp }]?`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    /// The type itself
    pub kind: TypeExprKind,
    /// Written with `?`: the value may be absent
    pub optional: bool,
    /// Where it was written
    pub span: Span,
}

/// The forms of a type.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeExprKind {
    /// A built-in type or a declared record (`money`, `Withdrawal`)
    Named(Ident),
    /// `[T]`
    List(Box<TypeExpr>),
    /// `map<K, V>`
    Map(Box<TypeExpr>, Box<TypeExpr>),
    /// `{ field: T, ... }`
    Record(Vec<FieldDecl>),
    /// `"a" | "b"`
    Enum(Vec<Spanned<String>>),
}

/// `effect name(arg: T, ...)`
#[derive(Clone, Debug, PartialEq)]
pub struct EffectDecl {
    /// The effect's kind
    pub name: Ident,
    /// Its arguments
    pub params: Vec<FieldDecl>,
    /// The whole declaration
    pub span: Span,
}

/// `platform douyin { currency CNY zone Asia/Shanghai }`
#[derive(Clone, Debug, PartialEq)]
pub struct PlatformDecl {
    /// The value of records' `platform` field
    pub name: Ident,
    /// The currency of money in records without a `currency` field
    pub currency: Option<Spanned<String>>,
    /// The platform's time zone
    pub zone: Option<Spanned<String>>,
    /// `currency` and `zone` in the order written
    pub currency_first: bool,
    /// The whole declaration
    pub span: Span,
}

/// A policy: header, parameters, definitions and rules.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyDecl {
    /// Stable dotted ID (`douyin.zero_deposit_trial`)
    pub id: Spanned<String>,
    /// `title "..."`
    pub title: Option<Spanned<String>>,
    /// `source "..."`
    pub source_text: Option<Spanned<String>>,
    /// `subject merchant where ...`
    pub subject: Option<SubjectDecl>,
    /// `zone Asia/Shanghai`
    pub zone: Option<Spanned<String>>,
    /// `currency CNY`
    pub currency: Option<Spanned<String>>,
    /// `effective from ... until ...`
    pub effective: Option<Window>,
    /// `governed by order_at`
    pub governed_by: Option<Expr>,
    /// `param name: T = default`
    pub params: Vec<ParamDecl>,
    /// `require condition "message"`: conditions on the parameters
    pub requires: Vec<RequireDecl>,
    /// `let name = expr`
    pub lets: Vec<LetDecl>,
    /// `rank` declarations: places among all subjects of the kind in the input
    pub ranks: Vec<RankDecl>,
    /// `rule name { ... }`
    pub rules: Vec<RuleDecl>,
    /// Every entry, in the order written (each names its place in the lists above)
    pub order: Vec<Entry>,
    /// Entries that did not parse (reported as syntax errors)
    pub broken: Vec<Broken>,
    /// The whole declaration
    pub span: Span,
}

/// One entry of a policy, in the order written: which header field or which
/// element of [`PolicyDecl`]'s lists it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// `title`
    Title(Span),
    /// `source`
    Source(Span),
    /// `subject`
    Subject(Span),
    /// `zone`
    Zone(Span),
    /// `currency`
    Currency(Span),
    /// `effective`
    Effective(Span),
    /// `governed by`
    Governed(Span),
    /// `params[i]`
    Param(usize),
    /// `requires[i]`
    Require(usize),
    /// `lets[i]`
    Let(usize),
    /// `ranks[i]`
    Rank(usize),
    /// `rules[i]`
    Rule(usize),
}

/// `subject merchant where platform == "douyin"`
#[derive(Clone, Debug, PartialEq)]
pub struct SubjectDecl {
    /// The kind of subject judged
    pub kind: Ident,
    /// Which subjects of that kind the policy applies to
    pub filter: Option<Expr>,
    /// The whole declaration
    pub span: Span,
}

/// `from X until Y`: `from` inclusive, `until` exclusive.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Window {
    /// Inclusive start
    pub from: Option<Spanned<TimePoint>>,
    /// Exclusive end
    pub until: Option<Spanned<TimePoint>>,
}

/// A bound of a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimePoint {
    /// A local date, meaning its midnight in the policy's zone (`2023-02-28`)
    Date(NaiveDate),
    /// An instant (`2023-02-24T00:00+08:00`)
    Timestamp(DateTime<FixedOffset>),
}

/// `param personal_listing_cap: int = 100`
#[derive(Clone, Debug, PartialEq)]
pub struct ParamDecl {
    /// Its name
    pub name: Ident,
    /// Its type
    pub ty: TypeExpr,
    /// Its default, if any
    pub default: Option<Expr>,
    /// The whole declaration
    pub span: Span,
}

/// `require warn_rate < restrict_rate "message"`: a condition on the policy's
/// parameters, checked with their defaults and with every deployment's overrides
#[derive(Clone, Debug, PartialEq)]
pub struct RequireDecl {
    /// The condition
    pub condition: Expr,
    /// What to say when it does not hold
    pub message: Option<Spanned<String>>,
    /// The whole declaration
    pub span: Span,
}

/// `rank daily by gmv [per market] [where eligible]`
#[derive(Clone, Debug, PartialEq)]
pub struct RankDecl {
    /// Its name, read in rules as the subject's place (an optional int)
    pub name: Ident,
    /// The score: the highest ranks first
    pub score: Expr,
    /// Ranked separately for each value of this, when given
    pub per: Option<Expr>,
    /// Which subjects are ranked; the others have no place
    pub filter: Option<Expr>,
    /// The whole declaration
    pub span: Span,
}

/// `let cap = expr`
#[derive(Clone, Debug, PartialEq)]
pub struct LetDecl {
    /// Its name
    pub name: Ident,
    /// Its value
    pub value: Expr,
    /// The whole declaration
    pub span: Span,
}

/// `rule name "title" { when ... then ... }` or with versions.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleDecl {
    /// The rule's name within the policy
    pub name: Ident,
    /// Its human title
    pub title: Option<Spanned<String>>,
    /// `on <kind> [where <filter>]`: the rule judges that kind rather than the policy's subject
    pub on: Option<SubjectDecl>,
    /// `for r in reminders [group by ...]`: the rule judges each item or group
    pub each: Option<RuleEach>,
    /// One body, or effective-dated versions
    pub body: RuleBody,
    /// The whole declaration
    pub span: Span,
}

/// `for r in reminders group by user: r.user, day: date(r.at) as sent`
#[derive(Clone, Debug, PartialEq)]
pub struct RuleEach {
    /// The name of each item
    pub binder: Ident,
    /// The collection
    pub source: Expr,
    /// Grouping, when the rule judges groups of items rather than items
    pub group: Option<GroupBy>,
    /// The whole `for ...` clause
    pub span: Span,
}

/// `group by user: r.user, day: date(r.at) as sent`
#[derive(Clone, Debug, PartialEq)]
pub struct GroupBy {
    /// Each key's name and value (computed for each item, with the item's name bound)
    pub keys: Vec<(Ident, Expr)>,
    /// The name of the list of a group's items
    pub items: Ident,
    /// The whole `group by ...`
    pub span: Span,
}

/// The body of a rule.
#[derive(Clone, Debug, PartialEq)]
pub enum RuleBody {
    /// `when ... then ... message ...`
    Single(Clauses),
    /// `version "label" from X { ... } version ...`
    Versions(Vec<VersionDecl>),
}

/// `version "假一赔四" from 2023-02-24T00:00+08:00 { ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct VersionDecl {
    /// Its label
    pub label: Spanned<String>,
    /// When it is in force
    pub window: Window,
    /// What it decides
    pub clauses: Clauses,
    /// The whole declaration
    pub span: Span,
}

/// `when <condition> then <effects> message "<template>"`
#[derive(Clone, Debug, PartialEq)]
pub struct Clauses {
    /// Definitions for this rule, in order (computed for each item of a `for` rule)
    pub lets: Vec<LetDecl>,
    /// The condition
    pub when: Expr,
    /// The effects yielded when it holds
    pub effects: Vec<EffectCall>,
    /// The message, with `{expr}` interpolations
    pub message: Option<Template>,
    /// The whole body
    pub span: Span,
}

/// `restrict(target: "listing")`
#[derive(Clone, Debug, PartialEq)]
pub struct EffectCall {
    /// The effect's kind
    pub name: Ident,
    /// Its arguments
    pub args: Vec<(Ident, Expr)>,
    /// `if <condition>`: yielded only when it holds
    pub guard: Option<Expr>,
    /// The whole call
    pub span: Span,
}

/// A message template, `"在线商品 {listings_online} 件"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// Text and interpolated expressions, in order
    pub parts: Vec<TemplatePart>,
    /// The whole string literal
    pub span: Span,
}

/// A piece of a template.
#[derive(Clone, Debug, PartialEq)]
pub enum TemplatePart {
    /// Plain text, unescaped
    Text(String),
    /// `{expr}`
    Expr(Expr),
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is
    pub kind: ExprKind,
    /// Where it was written
    pub span: Span,
}

/// The forms of an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A literal (`100`, `5000.00 CNY`, `"personal"`): its value, and its text as written (`72h`, not `3d`)
    Literal(Literal, Box<str>),
    /// `(x)`: parentheses as written
    Paren(Box<Expr>),
    /// A name: a field of the subject, a parameter, a definition or a binding (`listings_online`)
    Name(String),
    /// `now`
    Now,
    /// `held`: labels of the named conditions that held in this rule's `when`
    Held,
    /// `base.field`
    Field(Box<Expr>, Ident),
    /// `base[key]`
    Index(Box<Expr>, Box<Expr>),
    /// `not x`, `-x`
    Unary(UnaryOp, Box<Expr>),
    /// A comparison or membership test: `a > b`, `x in xs` (these do not chain)
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// Operators of one precedence level applied left to right: `a + b - c`,
    /// `x and y and z`, `a ?? b ?? c`. Kept flat, so a chain of any length is
    /// checked and evaluated without recursing once per operand.
    Chain {
        /// The first operand
        first: Box<Expr>,
        /// Each further operator with its right operand, in order (one level: see [`BinaryOp::level`])
        rest: Vec<(BinaryOp, Expr)>,
    },
    /// `x is present` (true) or `x is absent` (false)
    Presence {
        /// The tested value
        expr: Box<Expr>,
        /// `is present` rather than `is absent`
        present: bool,
    },
    /// `t within (now - 30d, now]`: `(`/`)` exclude a bound, `[`/`]` include it
    Within {
        /// The tested value
        expr: Box<Expr>,
        /// Lower bound
        low: Box<Expr>,
        /// Whether the lower bound is included (`[`)
        low_included: bool,
        /// Upper bound
        high: Box<Expr>,
        /// Whether the upper bound is included (`]`)
        high_included: bool,
    },
    /// `if c then a else if d then b else e`: the first branch whose condition holds
    If {
        /// Each `(condition, value)`, in order (at least one)
        branches: Vec<(Expr, Expr)>,
        /// Value when no condition holds
        otherwise: Box<Expr>,
    },
    /// `[a, b]`
    List(Vec<Expr>),
    /// `{id: m.id, text: m.text}`: a record of named values, fields in the order written
    Record(Vec<(Ident, Expr)>),
    /// `max(a, b)`
    Call {
        /// Function name
        func: Ident,
        /// Arguments
        args: Vec<Expr>,
    },
    /// `sum(d.points for d in deductions where d.at > now - 30d)`
    Comprehension {
        /// Aggregate name (`any`, `all`, `count`, `sum`, `min`, `max`, `filter`, `map`)
        func: Ident,
        /// The value computed per item, when given (`d.points`)
        map: Option<Box<Expr>>,
        /// The item's name (`d`)
        binder: Ident,
        /// The collection iterated
        source: Box<Expr>,
        /// Which items count, when given
        filter: Option<Box<Expr>>,
    },
    /// `any { label "说明": cond ... }`
    Conditions {
        /// `any` or `all`
        quantifier: Quantifier,
        /// The named conditions
        items: Vec<NamedCondition>,
    },
}

/// `any` or `all` over named conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    /// At least one holds
    Any,
    /// Every one holds
    All,
}

/// `deposit_full "保证金足额": deposit.balance >= deposit.required`
#[derive(Clone, Debug, PartialEq)]
pub struct NamedCondition {
    /// Its label
    pub name: Ident,
    /// Its description, used in messages
    pub description: Option<Spanned<String>>,
    /// The condition
    pub cond: Expr,
    /// The whole named condition
    pub span: Span,
}

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `not`
    Not,
    /// `-`
    Neg,
}

/// Infix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `or`
    Or,
    /// `and`
    And,
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
    /// `in`
    In,
    /// `??`
    Coalesce,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

/// Precedence levels of infix operators, loosest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `or`
    Or,
    /// `and`
    And,
    /// `==`, `!=`, `<`, `<=`, `>`, `>=`, `in` (these do not chain)
    Compare,
    /// `??`
    Coalesce,
    /// `+`, `-`
    Sum,
    /// `*`, `/`
    Product,
}

impl BinaryOp {
    /// The operator's precedence level.
    pub fn level(self) -> Level {
        match self {
            BinaryOp::Or => Level::Or,
            BinaryOp::And => Level::And,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::In => Level::Compare,
            BinaryOp::Coalesce => Level::Coalesce,
            BinaryOp::Add | BinaryOp::Sub => Level::Sum,
            BinaryOp::Mul | BinaryOp::Div => Level::Product,
        }
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Coalesce => "??",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

/// Literal values.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `true`, `false`
    Bool(bool),
    /// `100`
    Int(i64),
    /// `1.5`
    Decimal(Decimal),
    /// `5000.00 CNY`
    Money(Decimal, String),
    /// `50%`, held as the fraction (`0.5`)
    Percent(Decimal),
    /// `"personal"`
    Str(String),
    /// `2023-02-28`
    Date(NaiveDate),
    /// `2023-02-24T00:00+08:00`
    Timestamp(DateTime<FixedOffset>),
    /// `09:00`
    Time(NaiveTime),
    /// `30d`, in seconds
    Duration(i64),
    /// `permanent`: a duration with no end
    Permanent,
    /// `absent`: no value
    Absent,
    /// `1y`, `6mo`: a calendar period, in months
    Period(i64),
}

impl PolicyDecl {
    /// Where an entry of [`PolicyDecl::order`] is written.
    pub fn entry_span(&self, entry: &Entry) -> Option<Span> {
        match *entry {
            Entry::Title(s)
            | Entry::Source(s)
            | Entry::Subject(s)
            | Entry::Zone(s)
            | Entry::Currency(s)
            | Entry::Effective(s)
            | Entry::Governed(s) => Some(s),
            Entry::Param(i) => self.params.get(i).map(|d| d.span),
            Entry::Require(i) => self.requires.get(i).map(|d| d.span),
            Entry::Let(i) => self.lets.get(i).map(|d| d.span),
            Entry::Rank(i) => self.ranks.get(i).map(|d| d.span),
            Entry::Rule(i) => self.rules.get(i).map(|d| d.span),
        }
    }
}

/// The words that start a policy entry (`title`, `param`, `rule`, ...).
pub const ENTRY_WORDS: [&str; 12] = [
    "title",
    "source",
    "subject",
    "zone",
    "currency",
    "effective",
    "governed",
    "param",
    "require",
    "let",
    "rank",
    "rule",
];

/// The reserved words: they cannot name a field at the top level, a
/// parameter, a definition or a binding (the grammar's `keyword`).
pub const KEYWORDS: [&str; 27] = [
    "and",
    "or",
    "not",
    "if",
    "then",
    "else",
    "true",
    "false",
    "now",
    "is",
    "present",
    "absent",
    "in",
    "for",
    "where",
    "when",
    "message",
    "rule",
    "let",
    "param",
    "within",
    "version",
    "from",
    "until",
    "policy",
    "permanent",
    "held",
];

impl Expr {
    /// The expression inside any parentheses around it (`((x))` is `x`).
    pub fn unparen(&self) -> &Expr {
        let mut e = self;
        while let ExprKind::Paren(inner) = &e.kind {
            e = inner;
        }
        e
    }
}
