//! Parse errors, as miette diagnostics with spans (the source text is attached by the caller).

use miette::Diagnostic;
use thiserror::Error;

use crate::span::{SourceId, Span};

/// An error found while parsing one rule file.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq)]
pub enum ParseError {
    /// Text that does not fit the grammar (`rule x { when }`)
    #[error("syntax error: expected {expected}")]
    #[diagnostic(code(guifan::parse::syntax))]
    Syntax {
        /// The file
        source_id: SourceId,
        /// Where parsing stopped
        #[label("{found}")]
        span: Span,
        /// What the grammar would have accepted, in words
        expected: String,
        /// What stands there instead
        found: String,
        /// Advice, when a common mistake is recognised
        #[help]
        help: Option<String>,
    },
    /// A literal that is well-formed but not a value (`2023-02-30`, an integer too large)
    #[error("invalid {what} `{text}`")]
    #[diagnostic(code(guifan::parse::invalid_literal))]
    InvalidLiteral {
        /// The file
        source_id: SourceId,
        /// The literal
        #[label("{reason}")]
        span: Span,
        /// Which kind of literal
        what: &'static str,
        /// The text as written
        text: String,
        /// Why it is not a value
        reason: String,
    },
    /// A header entry given twice in one policy (`zone` twice)
    #[error("`{entry}` is given more than once")]
    #[diagnostic(code(guifan::parse::duplicate_entry), help("keep one `{entry}` line"))]
    DuplicateEntry {
        /// The file
        source_id: SourceId,
        /// The second occurrence
        #[label("given again here")]
        span: Span,
        /// Which entry
        entry: String,
    },
    /// A `{` in a message template without its `}`
    #[error("unclosed `{{` in message template")]
    #[diagnostic(
        code(guifan::parse::unclosed_interpolation),
        help("close it with `}}`, or write `{{{{` for a literal brace")
    )]
    UnclosedInterpolation {
        /// The file
        source_id: SourceId,
        /// The opening brace
        #[label("opened here")]
        span: Span,
    },
    /// Brackets, `if`s, operators or field accesses nested deeper than the language allows
    #[error("nested more than {limit} levels deep")]
    #[diagnostic(
        code(guifan::parse::too_deep),
        help("split the expression with `let` definitions; see docs/limits.md")
    )]
    TooDeep {
        /// The file
        source_id: SourceId,
        /// Where the limit is passed
        #[label("level {limit} + 1 starts here")]
        span: Span,
        /// The deepest nesting allowed
        limit: usize,
    },
    /// `a < b < c`: comparisons do not chain
    #[error("comparisons do not chain")]
    #[diagnostic(
        code(guifan::parse::chained_comparison),
        help("compare twice and join with `and`: `a < b and b < c`, or use `b within (a, c)`")
    )]
    ChainedComparison {
        /// The file
        source_id: SourceId,
        /// The second comparison operator
        #[label("a second comparison")]
        span: Span,
    },
    /// A rule file that is not UTF-8 text
    #[error("not UTF-8 text")]
    #[diagnostic(code(guifan::parse::encoding), help("save the file as UTF-8"))]
    Encoding {
        /// The file
        source_id: SourceId,
        /// The first byte that is not part of a UTF-8 character
        #[label("this byte")]
        span: Span,
    },
    /// The parser met a shape its lowering did not expect: a bug in Guifan, not in the file
    #[error("internal parser error: {detail}")]
    #[diagnostic(
        code(guifan::parse::internal),
        help("please report this with the rule file")
    )]
    Internal {
        /// The file
        source_id: SourceId,
        /// Where
        #[label("here")]
        span: Span,
        /// What was unexpected
        detail: String,
    },
}

impl ParseError {
    /// The file the error is in.
    pub fn source_id(&self) -> SourceId {
        match self {
            ParseError::Syntax { source_id, .. }
            | ParseError::InvalidLiteral { source_id, .. }
            | ParseError::DuplicateEntry { source_id, .. }
            | ParseError::UnclosedInterpolation { source_id, .. }
            | ParseError::TooDeep { source_id, .. }
            | ParseError::ChainedComparison { source_id, .. }
            | ParseError::Encoding { source_id, .. }
            | ParseError::Internal { source_id, .. } => *source_id,
        }
    }

    /// Where the error is.
    pub fn span(&self) -> Span {
        match self {
            ParseError::Syntax { span, .. }
            | ParseError::InvalidLiteral { span, .. }
            | ParseError::DuplicateEntry { span, .. }
            | ParseError::UnclosedInterpolation { span, .. }
            | ParseError::TooDeep { span, .. }
            | ParseError::ChainedComparison { span, .. }
            | ParseError::Encoding { span, .. }
            | ParseError::Internal { span, .. } => *span,
        }
    }
}
