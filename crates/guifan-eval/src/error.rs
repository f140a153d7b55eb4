//! Check errors (rule files against the schema) and evaluation errors (one
//! rule on one record), each with a stable code and a span.

use std::fmt;

use guifan_syntax::{SourceId, Span};
use miette::{Diagnostic, LabeledSpan, Severity};
use thiserror::Error;

/// What is wrong with a rule file, found before any data is seen.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum CheckErrorKind {
    /// `listing_onlin > 1` where the subject has no such field
    #[error("unknown field `{name}` on {on}")]
    UnknownField {
        /// The field as written
        name: String,
        /// The record type searched
        on: String,
    },
    /// `subject shopper` where no `kind shopper` is declared
    #[error("unknown subject kind `{name}`")]
    UnknownKind {
        /// The kind as written
        name: String,
    },
    /// A type name that is neither built in nor a declared record
    #[error("unknown type `{name}`")]
    UnknownType {
        /// The type as written
        name: String,
    },
    /// `then restrictt(...)` where no such effect is declared
    #[error("unknown effect `{name}`")]
    UnknownEffect {
        /// The effect as written
        name: String,
    },
    /// A call to a function the language does not have
    #[error("unknown function `{name}`")]
    UnknownFunction {
        /// The function as written
        name: String,
    },
    /// An effect used without one of its required arguments
    #[error("effect `{effect}` needs the argument `{argument}`")]
    MissingArgument {
        /// The effect
        effect: String,
        /// The missing argument
        argument: String,
    },
    /// A value of the wrong type (`when listings_online` where a condition is wanted)
    #[error("expected {expected}, found {found}")]
    TypeMismatch {
        /// The type wanted
        expected: String,
        /// The type given
        found: String,
    },
    /// An operator applied to types it does not take (`listings_online + "a"`)
    #[error("`{op}` cannot combine {left} and {right}")]
    InvalidOperands {
        /// The operator
        op: String,
        /// Left type
        left: String,
        /// Right type
        right: String,
    },
    /// Money of two currencies in one expression (`price + 3 USD` in a CNY policy)
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch {
        /// Left currency
        left: String,
        /// Right currency
        right: String,
    },
    /// An optional value used as if it were always there
    #[error("`{what}` may be absent")]
    MaybeAbsent {
        /// The expression as written
        what: String,
    },
    /// A `require` reading something other than the parameters and constants
    #[error("a requirement reads `{name}`, which is not a parameter of the policy")]
    NotAParameter {
        /// What it reads
        name: String,
    },
    /// A `require` that the parameters' defaults do not meet
    #[error("the parameters' defaults do not meet this requirement{because}")]
    UnmetRequirement {
        /// `: <message>` when the policy gave one
        because: String,
    },
    /// `store_type == "personl"` where the field takes a fixed set of strings
    #[error("`{value}` is not one of the values of {what}")]
    UnknownEnumValue {
        /// The string as written
        value: String,
        /// What it is compared with
        what: String,
    },
    /// A function called with the wrong number of arguments
    #[error("`{func}` takes {expected}, found {found}")]
    WrongArity {
        /// The function
        func: String,
        /// What it takes, in words
        expected: String,
        /// How many were given
        found: usize,
    },
    /// A time zone name that is not in the IANA database
    #[error("unknown time zone `{name}`")]
    UnknownZone {
        /// The zone as written
        name: String,
    },
    /// A currency that is not three capitals
    #[error("invalid currency `{code}`")]
    InvalidCurrency {
        /// The code as written
        code: String,
    },
    /// A name declared twice (two rules `listing_cap`, two kinds `merchant`)
    #[error("{what} `{name}` is declared more than once")]
    Duplicate {
        /// Rule, kind, parameter...
        what: &'static str,
        /// The name
        name: String,
    },
    /// A policy without one of its required header entries
    #[error("policy `{policy}` has no `{entry}`")]
    MissingEntry {
        /// The policy
        policy: String,
        /// The entry
        entry: &'static str,
    },
    /// Two versions of one rule in force at the same time
    #[error("versions `{first}` and `{second}` of rule `{rule}` overlap")]
    VersionOverlap {
        /// The rule
        rule: String,
        /// One version
        first: String,
        /// The other
        second: String,
    },
    /// A value that must be known when the file is loaded (a parameter default, a pattern) is not a constant
    #[error("{what} must be a constant")]
    NotConstant {
        /// What must be constant
        what: &'static str,
    },
    /// An invalid regular expression
    #[error("invalid regular expression: {reason}")]
    InvalidRegex {
        /// What the regex crate said
        reason: String,
    },
    /// `held` outside a rule's effects or message
    #[error("`held` is only available in a rule's effects and message")]
    HeldOutsideRule,
    /// Definitions that depend on one another more deeply than evaluation allows
    #[error("definitions depend on one another more than {limit} deep")]
    TooDeep {
        /// The deepest chain of definitions allowed
        limit: usize,
    },
    /// An effective window whose end is not after its start
    #[error("this window ends at {until}, not after it starts at {from}")]
    InvertedWindow {
        /// The start, as written
        from: String,
        /// The end, as written
        until: String,
    },
    /// A parameter or definition named like a field of the subject
    #[error("`{name}` hides the subject's field of the same name")]
    ShadowsField {
        /// The name
        name: String,
    },
    /// An effect argument named like a member the decision output writes
    /// itself (`kind`): the effect's object would carry that member twice
    #[error("an effect argument cannot be named `{name}`")]
    ReservedArgument {
        /// The name
        name: String,
    },
}

impl CheckErrorKind {
    /// The stable diagnostic code.
    pub fn code(&self) -> &'static str {
        match self {
            CheckErrorKind::UnknownField { .. } => "guifan::check::unknown_field",
            CheckErrorKind::UnknownKind { .. } => "guifan::check::unknown_kind",
            CheckErrorKind::UnknownType { .. } => "guifan::check::unknown_type",
            CheckErrorKind::UnknownEffect { .. } => "guifan::check::unknown_effect",
            CheckErrorKind::UnknownFunction { .. } => "guifan::check::unknown_function",
            CheckErrorKind::MissingArgument { .. } => "guifan::check::missing_argument",
            CheckErrorKind::TypeMismatch { .. } => "guifan::check::type_mismatch",
            CheckErrorKind::InvalidOperands { .. } => "guifan::check::invalid_operands",
            CheckErrorKind::CurrencyMismatch { .. } => "guifan::check::currency_mismatch",
            CheckErrorKind::MaybeAbsent { .. } => "guifan::check::maybe_absent",
            CheckErrorKind::UnknownEnumValue { .. } => "guifan::check::unknown_enum_value",
            CheckErrorKind::NotAParameter { .. } => "guifan::check::not_a_parameter",
            CheckErrorKind::UnmetRequirement { .. } => "guifan::check::unmet_requirement",
            CheckErrorKind::WrongArity { .. } => "guifan::check::wrong_arity",
            CheckErrorKind::UnknownZone { .. } => "guifan::check::unknown_zone",
            CheckErrorKind::InvalidCurrency { .. } => "guifan::check::invalid_currency",
            CheckErrorKind::Duplicate { .. } => "guifan::check::duplicate",
            CheckErrorKind::MissingEntry { .. } => "guifan::check::missing_entry",
            CheckErrorKind::VersionOverlap { .. } => "guifan::check::version_overlap",
            CheckErrorKind::NotConstant { .. } => "guifan::check::not_constant",
            CheckErrorKind::InvalidRegex { .. } => "guifan::check::invalid_regex",
            CheckErrorKind::HeldOutsideRule => "guifan::check::held_outside_rule",
            CheckErrorKind::ShadowsField { .. } => "guifan::check::shadows_field",
            CheckErrorKind::TooDeep { .. } => "guifan::check::too_deep",
            CheckErrorKind::InvertedWindow { .. } => "guifan::check::inverted_window",
            CheckErrorKind::ReservedArgument { .. } => "guifan::check::reserved_argument",
        }
    }
}

/// A check error: what, where, and advice.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckError {
    /// The file
    pub source_id: SourceId,
    /// The place
    pub span: Span,
    /// What is wrong
    pub kind: CheckErrorKind,
    /// Advice ("did you mean `listings_online`?")
    pub help: Option<String>,
    /// Text of the label under the span
    pub label: Option<String>,
    /// Other places that explain the error (the first declaration of a duplicate)
    pub related: Vec<(SourceId, Span, String)>,
}

impl CheckError {
    pub(crate) fn new(source_id: SourceId, span: Span, kind: CheckErrorKind) -> Self {
        CheckError {
            source_id,
            span,
            kind,
            help: None,
            label: None,
            related: Vec::new(),
        }
    }

    pub(crate) fn with_related(mut self, source: SourceId, span: Span, label: &str) -> Self {
        self.related.push((source, span, label.to_string()));
        self
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for CheckError {}

impl From<&CheckError> for guifan_syntax::diagnostic::Diagnostic {
    fn from(e: &CheckError) -> Self {
        use guifan_syntax::diagnostic::{Diagnostic, Label};
        let mut d = Diagnostic::new(
            e.kind.code(),
            e.kind.to_string(),
            Label::new(e.source_id, e.span, e.label.clone()),
        );
        d.help = e.help.clone();
        for (source, span, label) in &e.related {
            d = d.with_secondary(Label::new(*source, *span, Some(label.clone())));
        }
        d
    }
}

impl Diagnostic for CheckError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.kind.code()))
    }

    fn severity(&self) -> Option<Severity> {
        Some(Severity::Error)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = LabeledSpan::new_with_span(
            self.label.clone().or_else(|| Some("here".into())),
            self.span,
        );
        // Related places in the same file are shown beside the error.
        let related = self
            .related
            .iter()
            .filter(|(source, _, _)| *source == self.source_id)
            .map(|(_, span, text)| LabeledSpan::new_with_span(Some(text.clone()), *span));
        Some(Box::new(std::iter::once(label).chain(related)))
    }
}

/// Why one rule could not be evaluated on one record.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum EvalErrorKind {
    /// A sum or product too large for exact arithmetic
    #[error("arithmetic overflow")]
    Overflow,
    /// `x / 0`
    #[error("division by zero")]
    DivisionByZero,
    /// A rule read a `rank` with no places computed (evaluated record by record)
    #[error("this rule reads a rank, which needs the whole input: evaluate with the ranks of every record")]
    NoRanks,
    /// `tier(n, tiers)` with `n` below 1, or no tiers
    #[error("no tier {index}: tiers count from 1, and there must be at least one")]
    NoTier {
        /// The index asked for
        index: i64,
    },
    /// A sum or product whose exact value needs more than 28 decimal digits
    #[error("the exact result needs more than 28 significant digits; it would be rounded")]
    Inexact,
    /// Money of two currencies met at run time (a record in USD under a CNY policy)
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch {
        /// Left currency
        left: String,
        /// Right currency
        right: String,
    },
    /// A value of an unexpected kind: a bug in the checker, or data that slipped past the schema
    #[error("expected {expected}, found {found}")]
    Unexpected {
        /// What was wanted
        expected: &'static str,
        /// What was there
        found: &'static str,
    },
    /// A timestamp or date outside what the calendar can represent
    #[error("time out of range")]
    TimeOutOfRange,
}

impl EvalErrorKind {
    /// The stable diagnostic code.
    pub fn code(&self) -> &'static str {
        match self {
            EvalErrorKind::Overflow => "guifan::eval::overflow",
            EvalErrorKind::DivisionByZero => "guifan::eval::division_by_zero",
            EvalErrorKind::Inexact => "guifan::eval::inexact",
            EvalErrorKind::NoTier { .. } => "guifan::eval::no_tier",
            EvalErrorKind::NoRanks => "guifan::eval::no_ranks",
            EvalErrorKind::CurrencyMismatch { .. } => "guifan::eval::currency_mismatch",
            EvalErrorKind::Unexpected { .. } => "guifan::eval::unexpected_value",
            EvalErrorKind::TimeOutOfRange => "guifan::eval::time_out_of_range",
        }
    }
}

/// An evaluation error with the place in the rule file that raised it.
#[derive(Clone, Debug, Error, PartialEq)]
#[error("{kind}")]
pub struct EvalError {
    /// What went wrong
    pub kind: EvalErrorKind,
    /// The expression that raised it
    pub span: Span,
}

impl EvalError {
    #[cold]
    pub(crate) fn new(kind: EvalErrorKind, span: Span) -> Self {
        EvalError { kind, span }
    }
}

/// Why a parameter override was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamError {
    /// No loaded policy has this ID
    UnknownPolicy {
        /// The policy asked for
        policy: String,
    },
    /// The policy has no parameter of this name
    UnknownParam {
        /// The policy
        policy: String,
        /// The parameter asked for
        name: String,
        /// The parameters it has
        known: Vec<String>,
    },
    /// The value is not of the parameter's type (or not a valid pattern)
    Invalid {
        /// The policy
        policy: String,
        /// The parameter
        name: String,
        /// What is wrong with the value
        message: String,
    },
    /// The rule set is already shared with other threads: parameters are set
    /// before it is cloned or handed out
    Shared,
}

impl ParamError {
    /// The stable code of the problem (`guifan::params::unknown_param`).
    pub fn code(&self) -> &'static str {
        match self {
            ParamError::UnknownPolicy { .. } => "guifan::params::unknown_policy",
            ParamError::UnknownParam { .. } => "guifan::params::unknown_param",
            ParamError::Invalid { .. } => "guifan::params::invalid",
            ParamError::Shared => "guifan::params::shared",
        }
    }
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamError::UnknownPolicy { policy } => write!(f, "no policy `{policy}`"),
            ParamError::UnknownParam {
                policy,
                name,
                known,
            } => write!(
                f,
                "policy `{policy}` has no parameter `{name}` (its parameters: {})",
                known.join(", ")
            ),
            ParamError::Invalid {
                policy,
                name,
                message,
            } => write!(f, "parameter `{policy}.{name}`: {message}"),
            ParamError::Shared => {
                f.write_str("the rule set is shared: set parameters before cloning it")
            }
        }
    }
}

impl std::error::Error for ParamError {}
