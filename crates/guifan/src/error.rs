//! Errors an embedder meets: rule files that do not load, and records that do
//! not fit their kind. Each prints as one readable report per problem.

use std::fmt;
use std::path::PathBuf;

/// One problem in a rule file: where, what, and advice.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Problem {
    pub(crate) code: &'static str,
    pub(crate) warning: bool,
    pub(crate) message: String,
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) help: Option<String>,
    /// The file's text and the problem's bytes in it, for rendering with miette
    pub(crate) source: Option<(std::sync::Arc<str>, usize, usize)>,
}

impl Problem {
    /// Its stable code (`guifan::check::unknown_field`); see `docs/diagnostics.md`.
    ///
    /// ```
    /// let err = guifan::RuleSet::from_sources([("a.schema", "kind k { a: }")]).unwrap_err();
    /// assert_eq!(err.problems()[0].code(), "guifan::parse::syntax");
    /// ```
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// What is wrong, in one sentence.
    ///
    /// ```
    /// let err = guifan::RuleSet::from_sources([("a.schema", "kind k { a: nosuch }")]).unwrap_err();
    /// assert_eq!(err.problems()[0].message(), "unknown type `nosuch`");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The file, as named when the rules were loaded.
    ///
    /// ```
    /// let err = guifan::RuleSet::from_sources([("a.schema", "kind k { a: nosuch }")]).unwrap_err();
    /// assert_eq!(err.problems()[0].file(), "a.schema");
    /// ```
    pub fn file(&self) -> &str {
        &self.file
    }

    /// 1-based line and column.
    ///
    /// ```
    /// let err = guifan::RuleSet::from_sources([("a.schema", "kind k {\n  a: nosuch\n}")]).unwrap_err();
    /// assert_eq!(err.problems()[0].position(), (2, 6));
    /// ```
    pub fn position(&self) -> (usize, usize) {
        (self.line, self.column)
    }

    /// Advice, when there is any ("did you mean `money`?").
    ///
    /// ```
    /// let err = guifan::RuleSet::from_sources([("a.schema", "kind k { a: mony }")]).unwrap_err();
    /// assert_eq!(err.problems()[0].help(), Some("did you mean `money`?"));
    /// ```
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }
}

impl std::error::Error for Problem {}

/// A problem is a miette diagnostic with its file's text attached, so that
/// any miette handler renders it with the source line underlined.
///
/// ```
/// let err = guifan::RuleSet::from_sources([("a.schema", "kind k { n: mony }")]).unwrap_err();
/// let problem = &err.problems()[0];
/// let mut out = String::new();
/// guifan::miette::GraphicalReportHandler::new_themed(guifan::miette::GraphicalTheme::unicode_nocolor())
///     .render_report(&mut out, problem)
///     .unwrap();
/// assert!(out.contains("kind k { n: mony }"));
/// assert!(out.contains("did you mean `money`?"));
/// ```
impl miette::Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(if self.warning {
            miette::Severity::Warning
        } else {
            miette::Severity::Error
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source
            .as_ref()
            .map(|(text, _, _)| text as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let (_, start, end) = self.source.as_ref()?;
        let label = miette::LabeledSpan::new_with_span(None, (*start, end.saturating_sub(*start)));
        Some(Box::new(std::iter::once(label)))
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}[{}]: {}",
            self.file,
            self.line,
            self.column,
            if self.warning { "warning" } else { "error" },
            self.code,
            self.message
        )?;
        if let Some(h) = &self.help {
            write!(f, "\n  help: {}", h.replace('\n', "\n        "))?;
        }
        Ok(())
    }
}

/// Why rule files could not be loaded.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// A file or directory could not be read
    Io {
        /// The path
        path: PathBuf,
        /// What the system said
        source: std::io::Error,
    },
    /// The files do not parse or check: every problem found, in file order
    Invalid(Vec<Problem>),
}

impl LoadError {
    /// The problems in the rule files (none for an I/O error).
    ///
    /// ```
    /// let err = guifan::RuleSet::from_sources([
    ///     ("a.schema", "kind j { a: }"),
    ///     ("b.schema", "kind k { a: nosuch }"),
    /// ]).unwrap_err();
    /// assert_eq!(err.problems().len(), 2);
    /// ```
    pub fn problems(&self) -> &[Problem] {
        match self {
            LoadError::Invalid(p) => p,
            LoadError::Io { .. } => &[],
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, source } => {
                write!(f, "cannot read `{}`: {source}", path.display())
            }
            LoadError::Invalid(problems) => {
                let n = problems.len();
                write!(
                    f,
                    "{n} problem{} in rule files",
                    if n == 1 { "" } else { "s" }
                )?;
                for p in problems {
                    write!(f, "\n{p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Io { source, .. } => Some(source),
            LoadError::Invalid(_) => None,
        }
    }
}

/// A record that does not fit its kind (or is not JSON): where in the record, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordError {
    pub(crate) path: String,
    pub(crate) message: String,
}

impl RecordError {
    /// The field path inside the record (`deposit.balance`); empty for the whole record.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("a.schema", "kind k { n: int }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let err = rules.decide_json(br#"{"kind":"k","id":"a","n":"many"}"#, now).unwrap_err();
    /// assert_eq!(err.path(), "n");
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong, in the language's words.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("a.schema", "kind k { n: int }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let err = rules.decide_json(br#"{"kind":"k","id":"a","n":"many"}"#, now).unwrap_err();
    /// assert_eq!(err.message(), "expected an int, found the string \"many\"");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Its stable code: always `guifan::data::invalid`.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("a.schema", "kind k { n: int }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let err = rules.decide_json(b"not json", now).unwrap_err();
    /// assert_eq!(err.code(), "guifan::data::invalid");
    /// ```
    pub fn code(&self) -> &'static str {
        "guifan::data::invalid"
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "at `{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for RecordError {}

/// A parameter override that does not fit its policy.
///
/// ```
/// let mut rules = guifan::RuleSet::from_sources([(
///     "p.policy",
///     "kind k { n: int } effect e policy a.b { subject k zone UTC param cap: int = 1 rule r { when n > cap then e } }",
/// )]).unwrap();
/// let err = rules.set_param("a.b", "cap", "\"many\"").unwrap_err();
/// assert!(err.to_string().starts_with("parameter `a.b.cap`"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError(pub(crate) String);

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParamError {}
