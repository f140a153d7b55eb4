//! Errors an embedder meets: rule files that do not load, and records that do
//! not fit their kind. Each prints as one readable report per problem.

use std::fmt;
use std::path::PathBuf;

use guifan_syntax::diagnostic::{At, Diagnostic, Severity};

use crate::sources::SourceMap;

/// One problem in a rule file: where, what, and advice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub(crate) code: &'static str,
    pub(crate) warning: bool,
    pub(crate) message: String,
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// Where the problem's text ends (1-based line and column, exclusive)
    pub(crate) end: (usize, usize),
    /// Other places that explain it, each with its note
    pub(crate) related: Vec<Related>,
    pub(crate) help: Option<String>,
    /// The file's text and the problem's bytes in it, for rendering with miette
    pub(crate) source: Option<(std::sync::Arc<str>, usize, usize)>,
    /// The problem as every report renders it (see [`crate::report`])
    pub(crate) diagnostic: Diagnostic,
}

/// Another place a problem points at (the first declaration of a duplicate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    /// The file, as named when the rules were loaded
    pub file: String,
    /// 1-based line and column
    pub position: (usize, usize),
    /// What it says there
    pub message: Option<String>,
}

/// The longest source line a problem shows as a snippet (longer ones are left
/// out of the rendering: miette cannot lay out lines past 65,535 columns).
const MAX_SNIPPET_LINE: usize = 4096;

impl Problem {
    /// A diagnostic placed in its file.
    pub(crate) fn new(d: Diagnostic, sources: &SourceMap) -> Problem {
        let end = match &d.primary.at {
            At::Source(id, span) => sources.line_col(*id, span.end as usize),
            At::Line { line, .. } => (*line, 1),
            At::File(_) => (1, 1),
        };
        let related = d
            .secondary
            .iter()
            .map(|l| {
                let (file, position) = match &l.at {
                    At::Source(id, span) => (
                        sources
                            .path(*id)
                            .map(|p| p.display().to_string())
                            .unwrap_or_default(),
                        sources.line_col(*id, span.start as usize),
                    ),
                    At::Line { file, line, .. } => (file.clone(), (*line, 1)),
                    At::File(file) => (file.clone(), (1, 1)),
                };
                Related {
                    file,
                    position,
                    message: l.message.clone(),
                }
            })
            .collect();
        let (file, line, column, source) = match &d.primary.at {
            At::Source(id, span) => {
                let (l, c) = sources.line_col(*id, span.start as usize);
                let name = sources
                    .path(*id)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                // A snippet only where miette lays lines out safely (short lines).
                let snippet = sources.text(*id).and_then(|text| {
                    let (from, to) = (span.start as usize, span.end as usize);
                    let line_start = text
                        .get(..from)
                        .and_then(|t| t.rfind('\n'))
                        .map_or(0, |i| i + 1);
                    let line_end = text
                        .get(to..)
                        .and_then(|t| t.find('\n'))
                        .map_or(text.len(), |i| to + i);
                    (line_end.saturating_sub(line_start) <= MAX_SNIPPET_LINE)
                        .then(|| (text.clone(), from, to))
                });
                (name, l, c, snippet)
            }
            At::Line { file, line, .. } => (file.clone(), *line, 1, None),
            At::File(file) => (file.clone(), 1, 1, None),
        };
        Problem {
            code: d.code,
            warning: d.severity != Severity::Error,
            message: d.message.clone(),
            file,
            line,
            column,
            end,
            related,
            help: d.help.clone(),
            source,
            diagnostic: d,
        }
    }

    /// The problem as a diagnostic, for [`crate::report`].
    pub fn diagnostic(&self) -> &Diagnostic {
        &self.diagnostic
    }

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

    /// Where the problem's text ends: 1-based line and column, exclusive.
    ///
    /// ```
    /// let err = guifan::RuleSet::from_sources([("a.schema", "kind k {\n  a: nosuch\n}")]).unwrap_err();
    /// assert_eq!(err.problems()[0].end(), (2, 12));
    /// ```
    pub fn end(&self) -> (usize, usize) {
        self.end
    }

    /// An error, or a warning (a lint, an unformatted file).
    ///
    /// ```
    /// let err = guifan::RuleSet::from_sources([("a.schema", "kind k { a: nosuch }")]).unwrap_err();
    /// assert_eq!(err.problems()[0].severity(), guifan::report::Severity::Error);
    /// ```
    pub fn severity(&self) -> Severity {
        self.diagnostic.severity
    }

    /// Other places that explain it (the first declaration of a duplicate).
    ///
    /// ```
    /// let policy = "kind k { n: int } effect e\npolicy a.b { subject k zone UTC\n  rule r { when n > 1 then e }\n  rule r { when n > 2 then e }\n}";
    /// let err = guifan::RuleSet::from_sources([("a.policy", policy)]).unwrap_err();
    /// let first = &err.problems()[0].related()[0];
    /// assert_eq!((first.file.as_str(), first.position), ("a.policy", (3, 8)));
    /// assert_eq!(first.message.as_deref(), Some("first declared here"));
    /// ```
    pub fn related(&self) -> &[Related] {
        &self.related
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
    /// `file:line:col: error[code]: message`, and its advice: [`crate::report::short`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::report::short_at(
            &self.diagnostic,
            &self.file,
            self.line,
            self.column,
        ))
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
    /// A rule file larger than [`crate::MAX_RULE_FILE_BYTES`]
    TooLarge {
        /// The file
        path: PathBuf,
        /// Its size
        size: u64,
    },
    /// The directory holds no rule files
    Empty {
        /// The directory
        path: PathBuf,
    },
    /// The files do not parse or check
    Invalid {
        /// The files, to show the problems' lines
        sources: SourceMap,
        /// The problems found, in file order, the first [`crate::MAX_PROBLEMS`] of them
        problems: Vec<Problem>,
        /// How many more were found and left out
        omitted: usize,
    },
}

impl LoadError {
    /// Its stable code: the I/O codes, or that of the first problem.
    ///
    /// ```
    /// let err = guifan::RuleSet::from_dir("no/such/dir").unwrap_err();
    /// assert_eq!(err.code(), "guifan::io::unreadable");
    /// let err = guifan::RuleSet::from_sources([("a.schema", "kind k { a: nosuch }")]).unwrap_err();
    /// assert_eq!(err.code(), "guifan::check::unknown_type");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            LoadError::Io { .. } => "guifan::io::unreadable",
            LoadError::TooLarge { .. } => "guifan::io::too_large",
            LoadError::Empty { .. } => "guifan::io::no_rule_files",
            LoadError::Invalid { problems, .. } => problems
                .first()
                .map_or("guifan::parse::internal", Problem::code),
        }
    }

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
            LoadError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }

    /// Every problem as a diagnostic, with the files they point into: file
    /// errors too (`guifan::io::*`), so that every report format shows them.
    pub fn diagnostics(&self) -> (Vec<Diagnostic>, SourceMap) {
        let at_file = |code: &'static str, path: &std::path::Path| {
            let d = Diagnostic::new(
                code,
                self.to_string(),
                guifan_syntax::diagnostic::Label {
                    at: At::File(path.display().to_string()),
                    message: None,
                },
            );
            (vec![d], SourceMap::default())
        };
        match self {
            LoadError::Invalid {
                sources, problems, ..
            } => (
                problems.iter().map(|p| p.diagnostic.clone()).collect(),
                sources.clone(),
            ),
            LoadError::Io { path, .. } => at_file("guifan::io::unreadable", path),
            LoadError::TooLarge { path, .. } => at_file("guifan::io::too_large", path),
            LoadError::Empty { path } => at_file("guifan::io::no_rule_files", path),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, source } => {
                write!(f, "cannot read `{}`: {source}", path.display())
            }
            LoadError::TooLarge { path, size } => write!(
                f,
                "`{}` is {size} bytes; rule files are at most {} bytes",
                path.display(),
                crate::MAX_RULE_FILE_BYTES
            ),
            LoadError::Empty { path } => write!(
                f,
                "no rule files (*.policy, *.schema) under `{}`",
                path.display()
            ),
            LoadError::Invalid {
                problems, omitted, ..
            } => {
                let n = problems.len() + omitted;
                write!(
                    f,
                    "{n} problem{} in rule files",
                    if n == 1 { "" } else { "s" }
                )?;
                for p in problems {
                    write!(f, "\n{p}")?;
                }
                if *omitted > 0 {
                    write!(f, "\n({omitted} more not shown)")?;
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
            _ => None,
        }
    }
}

/// A record that does not fit its kind (or is not JSON): where in the record, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordError {
    pub(crate) line: Option<usize>,
    /// Lines from the record's first to the problem's
    pub(crate) lines_in: usize,
    pub(crate) id: Option<String>,
    pub(crate) path: String,
    pub(crate) message: String,
    /// The record's other bad fields: (path, message)
    pub(crate) also: Vec<(String, String)>,
}

impl RecordError {
    /// A record that does not decode, as the decoder said: its `id` when
    /// that much can be read, and the line inside the record (of a record
    /// spread over lines) where the problem is.
    pub fn of_data(record: &[u8], error: &guifan_eval::DataError) -> RecordError {
        RecordError {
            line: None,
            lines_in: error.line.map_or(0, |l| l.saturating_sub(1)),
            id: crate::record_id(record),
            path: error.path.clone(),
            message: error.message.clone(),
            also: error
                .also
                .iter()
                .map(|e| (e.path.clone(), e.message.clone()))
                .collect(),
        }
    }

    /// The record's other fields that do not decode either: each one's path
    /// and what is wrong with it (one run names every bad field).
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int, d: date, m: money }")])?;
    /// let now = "2024-01-01T00:00:00Z".parse()?;
    /// let err = rules.decide_json(br#"{"kind":"k","id":"x","n":"one","d":"2023-02-30","m":"5"}"#, now).unwrap_err();
    /// assert_eq!(err.path(), "n");
    /// let others: Vec<&str> = err.also().iter().map(|(path, _)| path.as_str()).collect();
    /// assert_eq!(others, ["d"]);
    /// assert!(err.to_string().contains("at `d`:"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn also(&self) -> &[(String, String)] {
        &self.also
    }

    /// The error of the record that starts at `line` of its input.
    pub fn at(mut self, line: usize) -> RecordError {
        self.line = Some(line + self.lines_in);
        self
    }

    /// The record's line in its input, when it was read from one (a population).
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The record's `id`, when it could be read.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("a.schema", "kind k { n: int }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let err = rules.decide_json(br#"{"kind":"k","id":"a","n":"many"}"#, now).unwrap_err();
    /// assert_eq!(err.id(), Some("a"));
    /// ```
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

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
            write!(f, "{}", self.message)?;
        } else {
            write!(f, "at `{}`: {}", self.path, self.message)?;
        }
        for (path, message) in &self.also {
            write!(f, "; at `{path}`: {message}")?;
        }
        Ok(())
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
/// assert!(matches!(err, guifan::ParamError::Invalid { .. }));
/// assert!(err.to_string().starts_with("parameter `a.b.cap`"));
/// ```
pub use guifan_eval::ParamError;

/// A rule that failed on a record of a population: the record's line and
/// `id`, and the failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedRule {
    /// The record's line
    pub line: usize,
    /// The record's `id`
    pub id: String,
    /// The failure
    pub failure: crate::RuleFailure,
}

/// A problem met deciding a population: a record that could not be decoded,
/// or a rule that failed on a record (the others go on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunProblem {
    /// A record that could not be decoded
    Record(RecordError),
    /// A rule that failed on a record
    Rule(FailedRule),
}

impl RunProblem {
    /// A rule failure on the record at `line` with `id`.
    pub(crate) fn rule(line: usize, id: &str, failure: crate::RuleFailure) -> RunProblem {
        RunProblem::Rule(FailedRule {
            line,
            id: id.to_string(),
            failure,
        })
    }
}
