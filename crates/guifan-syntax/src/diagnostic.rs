//! One model for every problem Guifan reports — parse, check, lint, data,
//! parameter and test problems alike — and the registry of their codes.
//!
//! Each crate turns its own errors into a [`Diagnostic`]; the runner renders
//! diagnostics for people (miette), for machines (JSON, SARIF) and for GitHub.
//! Codes are stable: `docs/diagnostics.md` lists [`CODES`], and a test keeps
//! the two equal.

use crate::span::{SourceId, Span};

/// How serious a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; never fails a command
    Note,
    /// Probably a mistake; fails `check --deny-warnings`
    Warning,
    /// The file cannot be used as it is
    Error,
}

impl Severity {
    /// `error`, `warning` or `note`.
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// Where a label points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum At {
    /// Bytes of a loaded source file (a rule file, a test file, a parameter file)
    Source(SourceId, Span),
    /// A line of a file that is not kept in memory (streamed data), with the
    /// field path inside the record when known (`deposit.balance`)
    Line {
        /// The file, as named to the user
        file: String,
        /// 1-based line
        line: usize,
        /// The field path inside the record
        field: Option<String>,
    },
    /// A whole file
    File(String),
}

/// A place in a file and what to say there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where
    pub at: At,
    /// What to say under it
    pub message: Option<String>,
}

impl Label {
    /// A label over `span` of `source`.
    pub fn new(source: SourceId, span: Span, message: impl Into<Option<String>>) -> Self {
        Label {
            at: At::Source(source, span),
            message: message.into(),
        }
    }
}

/// A problem: its code, severity and message, where it is (a primary label
/// and any secondary ones, such as the first declaration of a duplicate), and advice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code from [`CODES`] (`guifan::check::unknown_field`)
    pub code: &'static str,
    /// How serious it is
    pub severity: Severity,
    /// What is wrong, in one sentence
    pub message: String,
    /// Where it is
    pub primary: Label,
    /// Other places that explain it
    pub secondary: Vec<Label>,
    /// What to do about it
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the registry's severity for `code`.
    pub fn new(code: &'static str, message: impl Into<String>, primary: Label) -> Self {
        Diagnostic {
            code,
            severity: severity_of(code),
            message: message.into(),
            primary,
            secondary: Vec::new(),
            help: None,
        }
    }

    /// With advice.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// With another place that explains the problem.
    pub fn with_secondary(mut self, label: Label) -> Self {
        self.secondary.push(label);
        self
    }

    /// The source file and span of the primary label, when it is in a loaded source.
    pub fn source_span(&self) -> Option<(SourceId, Span)> {
        match self.primary.at {
            At::Source(id, span) => Some((id, span)),
            _ => None,
        }
    }
}

/// A code of the registry: the code, its severity, and what it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code {
    /// `guifan::<area>::<name>`
    pub code: &'static str,
    /// Its severity
    pub severity: Severity,
    /// What it means, in one line
    pub summary: &'static str,
}

/// The severity the registry gives `code` (an error for a code it does not know).
pub fn severity_of(code: &str) -> Severity {
    CODES
        .iter()
        .find(|c| c.code == code)
        .map_or(Severity::Error, |c| c.severity)
}

const fn error(code: &'static str, summary: &'static str) -> Code {
    Code {
        code,
        severity: Severity::Error,
        summary,
    }
}

const fn warning(code: &'static str, summary: &'static str) -> Code {
    Code {
        code,
        severity: Severity::Warning,
        summary,
    }
}

/// Every code Guifan reports, by area, in the order of `docs/diagnostics.md`.
pub const CODES: &[Code] = &[
    // parse
    error(
        "guifan::parse::syntax",
        "text that does not fit the grammar",
    ),
    error(
        "guifan::parse::invalid_literal",
        "a well-formed literal that is not a value (`2023-02-30`)",
    ),
    error(
        "guifan::parse::duplicate_entry",
        "a header entry (`zone`, `title`, ...) given twice",
    ),
    error(
        "guifan::parse::unclosed_interpolation",
        "a `{` in a message without its `}`",
    ),
    error(
        "guifan::parse::too_deep",
        "nesting deeper than the language allows",
    ),
    error(
        "guifan::parse::chained_comparison",
        "`a < b < c`: comparisons do not chain",
    ),
    error("guifan::parse::encoding", "a rule file that is not UTF-8"),
    error(
        "guifan::parse::internal",
        "a bug in the parser, not in the file",
    ),
    // check
    error(
        "guifan::check::unknown_field",
        "a field the subject or record does not have",
    ),
    error(
        "guifan::check::unknown_kind",
        "a subject kind that is not declared",
    ),
    error(
        "guifan::check::unknown_type",
        "a type that is neither built in nor declared",
    ),
    error(
        "guifan::check::unknown_effect",
        "an effect that is not declared",
    ),
    error(
        "guifan::check::unknown_function",
        "a function the language does not have",
    ),
    error(
        "guifan::check::missing_argument",
        "an effect without a required argument",
    ),
    error("guifan::check::type_mismatch", "a value of the wrong type"),
    error(
        "guifan::check::invalid_operands",
        "an operator applied to types it does not take",
    ),
    error(
        "guifan::check::currency_mismatch",
        "money of two currencies in one expression",
    ),
    error(
        "guifan::check::maybe_absent",
        "an optional value used as if always present",
    ),
    error(
        "guifan::check::unknown_enum_value",
        "a string outside a field's fixed set",
    ),
    error(
        "guifan::check::not_a_parameter",
        "a `require` that reads something other than the policy's parameters",
    ),
    error(
        "guifan::check::unmet_requirement",
        "parameter defaults that do not meet the policy's own `require`",
    ),
    error(
        "guifan::check::wrong_arity",
        "a function called with the wrong number of arguments",
    ),
    error(
        "guifan::check::unknown_zone",
        "a time zone not in the IANA database",
    ),
    error(
        "guifan::check::invalid_currency",
        "a currency that is not three capitals",
    ),
    error("guifan::check::duplicate", "a name declared twice"),
    error(
        "guifan::check::reserved_argument",
        "an effect argument named `kind`, which the decision output writes itself",
    ),
    error(
        "guifan::check::missing_entry",
        "a policy without a required header entry",
    ),
    error(
        "guifan::check::version_overlap",
        "two versions of a rule in force at once",
    ),
    error(
        "guifan::check::not_constant",
        "a value that must be constant is not",
    ),
    error(
        "guifan::check::invalid_regex",
        "an invalid regular expression",
    ),
    error(
        "guifan::check::held_outside_rule",
        "`held` outside a rule's effects and message",
    ),
    error(
        "guifan::check::shadows_field",
        "a parameter or definition named like a field",
    ),
    error(
        "guifan::check::too_deep",
        "definitions reading one another too deeply",
    ),
    error(
        "guifan::check::inverted_window",
        "a window that ends before it starts",
    ),
    // lint
    warning("guifan::lint::unused_param", "a parameter no rule reads"),
    warning("guifan::lint::unused_let", "a definition nothing reads"),
    warning(
        "guifan::lint::never_holds",
        "a condition that can never hold",
    ),
    warning(
        "guifan::lint::always_holds",
        "a condition that always holds",
    ),
    warning(
        "guifan::lint::unreachable_tier",
        "a branch of a ladder no value can reach",
    ),
    warning(
        "guifan::lint::version_gap",
        "a time between two versions of a rule when none is in force",
    ),
    warning(
        "guifan::lint::duplicate_rule_id",
        "two policies emitting decisions under the same rule ID",
    ),
    warning(
        "guifan::lint::untested_policy",
        "a policy no test file exercises",
    ),
    // fmt
    warning(
        "guifan::fmt::unformatted",
        "a file not in the canonical layout",
    ),
    // io
    error(
        "guifan::io::unreadable",
        "a file or directory that cannot be read",
    ),
    error(
        "guifan::io::too_large",
        "a rule file larger than rule files may be",
    ),
    error("guifan::io::no_rule_files", "a path holding no rule files"),
    // project
    error(
        "guifan::project::invalid",
        "a guifan.toml setting that is not one, or does not fit",
    ),
    // params
    error(
        "guifan::params::invalid",
        "a parameter override that does not fit its parameter, or a parameter file that is not TOML",
    ),
    error(
        "guifan::params::unknown_policy",
        "parameters for a policy that is not loaded",
    ),
    error(
        "guifan::params::unknown_param",
        "an override of a parameter the policy does not declare",
    ),
    error(
        "guifan::params::shared",
        "parameters set on a rule set already shared with other threads",
    ),
    error(
        "guifan::params::unmet_requirement",
        "parameter overrides that do not meet a policy's `require`",
    ),
    // test
    error(
        "guifan::test::invalid",
        "a test file that does not fit the rules",
    ),
    error(
        "guifan::test::failed",
        "a test case whose decisions differ from its expectation",
    ),
    error(
        "guifan::test::coverage",
        "test cases covering less of the rules than --min-coverage asks",
    ),
    // serve
    error(
        "guifan::serve::bad_request",
        "a request that is not a record, a JSON array or JSON Lines, or a bad `at`",
    ),
    error(
        "guifan::serve::too_large",
        "a request body over the server's limit",
    ),
    error(
        "guifan::serve::timeout",
        "a request not decided within the server's time limit",
    ),
    error(
        "guifan::serve::busy",
        "a request refused because the bodies in flight are at the server's limit",
    ),
    error(
        "guifan::serve::unauthorized",
        "a request without the bearer token the server requires",
    ),
    error(
        "guifan::serve::not_found",
        "a request for a path the server does not serve",
    ),
    error(
        "guifan::serve::method_not_allowed",
        "a request with a method its path does not take",
    ),
    // playground
    error(
        "guifan::playground::request",
        "a playground request that is not a workspace (rule files, parameters, records, time)",
    ),
    error(
        "guifan::playground::invalid_time",
        "a playground evaluation time that is not RFC 3339 with its offset",
    ),
    // python
    error(
        "guifan::python::invalid_time",
        "an evaluation time given to the Python package that is not RFC 3339 with its offset",
    ),
    error(
        "guifan::python::invalid_rank_keys",
        "ranking keys handed to `with_rank_keys` that `rank_keys` did not write",
    ),
    // data
    error(
        "guifan::data::invalid",
        "a data record that does not fit its kind",
    ),
    error(
        "guifan::data::unreadable_column",
        "a column of Arrow or Parquet data that cannot hold Guifan values (floating point, binary, unions, intervals)",
    ),
    // eval
    error(
        "guifan::eval::overflow",
        "a result too large for exact arithmetic",
    ),
    error("guifan::eval::division_by_zero", "a division by zero"),
    error("guifan::eval::inexact", "a result that would need rounding"),
    error(
        "guifan::eval::no_tier",
        "`tier` asked for a tier that does not exist",
    ),
    error(
        "guifan::eval::no_ranks",
        "a rank read without the whole input",
    ),
    error(
        "guifan::eval::currency_mismatch",
        "money of two currencies met at run time",
    ),
    error(
        "guifan::eval::unexpected_value",
        "a value of an unexpected kind",
    ),
    error(
        "guifan::eval::time_out_of_range",
        "a time the calendar cannot represent",
    ),
];

impl From<&crate::ParseError> for Diagnostic {
    fn from(e: &crate::ParseError) -> Self {
        use miette::Diagnostic as _;
        let code = e
            .code()
            .map(|c| c.to_string())
            .and_then(|c| CODES.iter().find(|k| k.code == c).map(|k| k.code))
            .unwrap_or("guifan::parse::internal");
        let label = e
            .labels()
            .and_then(|mut l| l.next())
            .and_then(|l| l.label().map(str::to_string));
        Diagnostic {
            code,
            severity: Severity::Error,
            message: e.to_string(),
            primary: Label::new(e.source_id(), e.span(), label),
            secondary: Vec::new(),
            help: e.help().map(|h| h.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for c in CODES {
            assert!(seen.insert(c.code), "{} twice", c.code);
            let parts: Vec<&str> = c.code.split("::").collect();
            assert_eq!(parts.len(), 3, "{}", c.code);
            assert_eq!(parts[0], "guifan");
        }
    }

    /// Each code has the severity the registry gives it, said in a word.
    #[test]
    fn a_codes_severity_comes_from_the_registry() {
        assert_eq!(severity_of("guifan::lint::unused_param"), Severity::Warning);
        assert_eq!(severity_of("guifan::parse::syntax"), Severity::Error);
        assert_eq!(severity_of("guifan::nosuch::code"), Severity::Error);
        let words: Vec<&str> = [Severity::Error, Severity::Warning, Severity::Note]
            .iter()
            .map(|s| s.word())
            .collect();
        assert_eq!(words, ["error", "warning", "note"]);
    }

    /// A parse error becomes a diagnostic placed where the error is, in its file.
    #[test]
    fn a_parse_error_is_placed_in_its_file() {
        let errors = crate::parse(SourceId(3), "kind k { a: = }")
            .err()
            .unwrap_or_default();
        let d = Diagnostic::from(errors.first().expect("an error"));
        assert_eq!(d.code, "guifan::parse::syntax");
        assert_eq!(d.source_span(), Some((SourceId(3), Span::new(12, 13))));
    }
}
