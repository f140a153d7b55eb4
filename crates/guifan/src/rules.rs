//! A checked rule set: loaded from files or text, identified by a revision,
//! deciding records.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use guifan_eval::Program;
use guifan_syntax::SourceId;
use sha2::{Digest, Sha256};

use crate::decisions::{Decision, Decisions, RuleFailure};
use crate::error::{LoadError, ParamError, Problem, RecordError};

/// One loaded rule file: its name, its text, and where its lines start.
#[derive(Debug)]
struct Source {
    name: String,
    text: Arc<str>,
    line_starts: Vec<usize>,
}

impl Source {
    fn new(name: String, text: Arc<str>) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source {
            name,
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |t| t.chars().count() + 1);
        (line, column)
    }
}

/// A checked, immutable rule set: every policy of some rule files, ready to
/// decide records from any number of threads (`Send + Sync`, cheap to clone).
///
/// ```
/// use guifan::RuleSet;
///
/// let rules = RuleSet::from_sources([(
///     "shop.policy",
///     r#"
///     kind merchant { listings_online: int }
///     effect violation(code: string)
///     policy shop.listings {
///       subject merchant
///       zone Asia/Shanghai
///       param cap: int = 100
///       rule listing_cap "在线商品总量超过上限" {
///         when listings_online > cap
///         then violation(code: "listing_cap_exceeded")
///         message "在线商品 {listings_online} 件, 上限 {cap} 件"
///       }
///     }
///     "#,
/// )])?;
/// let now = "2024-03-01T12:00:00+08:00".parse()?;
/// let decided = rules.decide_json(br#"{"kind":"merchant","id":"m-1","listings_online":101}"#, now)?;
/// assert_eq!(decided.decisions()[0].rule(), "shop.listings.listing_cap");
/// assert_eq!(decided.decisions()[0].message(), Some("在线商品 101 件, 上限 100 件"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RuleSet {
    program: Arc<Program>,
    sources: Arc<[Source]>,
    revision: Arc<str>,
}

/// The longest source line a problem shows as a snippet (longer ones are left
/// out of the rendering: miette cannot lay out lines past 65,535 columns).
const MAX_SNIPPET_LINE: usize = 4096;

/// File extensions read from a rule directory.
const RULE_EXTENSIONS: [&str; 2] = ["policy", "schema"];

impl RuleSet {
    /// Parses and checks rule files given as (name, text) pairs; every problem
    /// of every file is reported at once.
    ///
    /// ```
    /// let err = guifan::RuleSet::from_sources([("a.policy", "policy a.b { subject nobody }")])
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("a.policy:1:22: error[guifan::check::unknown_kind]"));
    /// ```
    pub fn from_sources<N, T>(
        sources: impl IntoIterator<Item = (N, T)>,
    ) -> Result<RuleSet, LoadError>
    where
        N: Into<String>,
        T: Into<String>,
    {
        let sources: Vec<Source> = sources
            .into_iter()
            .map(|(n, t)| {
                let text: String = t.into();
                let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
                Source::new(n.into(), Arc::from(text))
            })
            .collect();
        let mut files = Vec::with_capacity(sources.len());
        let mut problems = Vec::new();
        for (i, s) in sources.iter().enumerate() {
            let id = SourceId(u32::try_from(i).unwrap_or(u32::MAX));
            let (file, errors) = guifan_syntax::parse_recovering(id, &s.text);
            problems.extend(
                errors
                    .iter()
                    .map(guifan_syntax::diagnostic::Diagnostic::from),
            );
            files.push(file);
        }
        let checked = guifan_eval::check(&files);
        let program = match checked {
            Ok(program) if problems.is_empty() => program,
            Ok(_) => return Err(invalid(&sources, problems)),
            Err(errors) => {
                problems.extend(
                    errors
                        .iter()
                        .map(guifan_syntax::diagnostic::Diagnostic::from),
                );
                return Err(invalid(&sources, problems));
            }
        };
        let revision = revision(&sources);
        Ok(RuleSet {
            program: Arc::new(program),
            sources: sources.into(),
            revision,
        })
    }

    /// Loads every `*.policy` and `*.schema` file under a directory (or one
    /// file), named by their paths.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("k.schema"), "kind k { n: int }")?;
    /// let rules = guifan::RuleSet::from_dir(dir.path())?;
    /// assert_eq!(rules.policies().count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<RuleSet, LoadError> {
        let mut texts = Vec::new();
        let mut bad_bytes = Vec::new();
        for path in rule_files(dir.as_ref())? {
            let read = crate::files::read_rule_file(&path).map_err(|e| LoadError::Io {
                path: path.clone(),
                source: e.into_io(),
            })?;
            if let Some(at) = read.bad_byte {
                bad_bytes.push((texts.len(), at));
            }
            texts.push((path.display().to_string(), read.text));
        }
        if !bad_bytes.is_empty() {
            // Text that is not UTF-8: one located diagnostic per file, as `guifan check` gives.
            let sources: Vec<Source> = texts
                .into_iter()
                .map(|(n, t)| Source::new(n, Arc::from(t)))
                .collect();
            let problems = bad_bytes
                .into_iter()
                .map(|(i, at)| {
                    let error = guifan_syntax::ParseError::Encoding {
                        source_id: SourceId(u32::try_from(i).unwrap_or(u32::MAX)),
                        span: guifan_syntax::Span::new(at, at + 1),
                    };
                    guifan_syntax::diagnostic::Diagnostic::from(&error)
                })
                .collect();
            return Err(invalid(&sources, problems));
        }
        RuleSet::from_sources(texts)
    }

    /// A content hash of the rule files (their names and texts): equal rule
    /// files, equal revisions. Decisions can carry it to say which rules made them.
    ///
    /// ```
    /// let a = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// let b = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// let c = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int? }")]).unwrap();
    /// assert_eq!(a.revision(), b.revision());
    /// assert_ne!(a.revision(), c.revision());
    /// assert_eq!(a.revision().len(), 16);
    /// ```
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// The IDs of its policies, in load order.
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([(
    ///     "p.policy",
    ///     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }",
    /// )]).unwrap();
    /// assert_eq!(rules.policies().collect::<Vec<_>>(), ["a.b"]);
    /// ```
    pub fn policies(&self) -> impl Iterator<Item = &str> {
        self.program.policies.iter().map(|p| &*p.id)
    }

    /// Gives a policy's parameter a new value, JSON text of its type (`120`,
    /// `"300.00 CNY"`, `["telegram"]`), as a deployment's settings do.
    ///
    /// ```
    /// let mut rules = guifan::RuleSet::from_sources([(
    ///     "p.policy",
    ///     "kind k { n: int } effect e policy a.b { subject k zone UTC param cap: int = 100 rule r { when n > cap then e } }",
    /// )]).unwrap();
    /// rules.set_param("a.b", "cap", "5")?;
    /// let now = "2024-01-01T00:00:00Z".parse()?;
    /// assert_eq!(rules.decide_json(br#"{"kind":"k","id":"x","n":6}"#, now)?.decisions().len(), 1);
    /// assert!(rules.set_param("a.b", "cap", "\"many\"").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_param(&mut self, policy: &str, name: &str, json: &str) -> Result<(), ParamError> {
        let program = match Arc::get_mut(&mut self.program) {
            Some(p) => p,
            None => {
                return Err(ParamError(
                    "the rule set is shared: set parameters before cloning it".into(),
                ))
            }
        };
        program.set_param(policy, name, json).map_err(ParamError)
    }

    /// Decides one record, JSON text with at least `"kind"` and `"id"`, at `now`.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([(
    /// #     "p.policy",
    /// #     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }",
    /// # )]).unwrap();
    /// let now = "2024-01-01T00:00:00Z".parse()?;
    /// let decided = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now)?;
    /// assert_eq!(decided.subject(), "x");
    /// assert_eq!(serde_json::to_string(&decided)?,
    ///     r#"{"subject":"x","kind":"k","decisions":[{"rule":"a.b.r","effects":[{"kind":"e"}]}]}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide_json(
        &self,
        record: &[u8],
        now: DateTime<FixedOffset>,
    ) -> Result<Decisions, RecordError> {
        let subject =
            guifan_eval::decode_subject(&self.program.schema, record).map_err(|e| RecordError {
                path: e.path.clone(),
                message: e.message.clone(),
            })?;
        let outcome = guifan_eval::evaluate(&self.program, &subject, now);
        let kind = self
            .program
            .schema
            .kinds
            .get(subject.kind.0 as usize)
            .map(|k| k.name.clone())
            .unwrap_or_default();
        let errors = outcome
            .errors
            .iter()
            .map(|e| {
                let source = self.sources.get(e.source_id.0 as usize);
                let (line, column) =
                    source.map_or((0, 0), |s| s.line_col(e.error.span.start as usize));
                RuleFailure {
                    rule: e.rule.to_string(),
                    code: e.error.kind.code(),
                    message: e.error.kind.to_string(),
                    file: source.map(|s| s.name.clone()).unwrap_or_default(),
                    line,
                    column,
                }
            })
            .collect();
        Ok(Decisions {
            subject: subject.id.to_string(),
            kind,
            decisions: outcome
                .decisions
                .into_iter()
                .map(Decision::from_eval)
                .collect(),
            errors,
            revision: self.revision.clone(),
        })
    }

    /// Decides one record given as a JSON value.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([(
    /// #     "p.policy",
    /// #     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }",
    /// # )]).unwrap();
    /// let now = "2024-01-01T00:00:00Z".parse()?;
    /// let record = serde_json::json!({"kind": "k", "id": "x", "n": 2});
    /// assert_eq!(rules.decide_value(&record, now)?.decisions().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide_value(
        &self,
        record: &serde_json::Value,
        now: DateTime<FixedOffset>,
    ) -> Result<Decisions, RecordError> {
        self.decide(record, now)
    }

    /// Decides one record given as any serializable value (a struct of the
    /// embedder's own, with `"kind"` and `"id"` fields).
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([(
    /// #     "p.policy",
    /// #     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }",
    /// # )]).unwrap();
    /// #[derive(serde::Serialize)]
    /// struct Shop { kind: &'static str, id: String, n: i64 }
    /// let now = "2024-01-01T00:00:00Z".parse()?;
    /// let decided = rules.decide(&Shop { kind: "k", id: "s-1".into(), n: 3 }, now)?;
    /// assert_eq!(decided.decisions()[0].rule(), "a.b.r");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide<T: serde::Serialize + ?Sized>(
        &self,
        record: &T,
        now: DateTime<FixedOffset>,
    ) -> Result<Decisions, RecordError> {
        let json = serde_json::to_vec(record).map_err(|e| RecordError {
            path: String::new(),
            message: format!("cannot be written as JSON: {e}"),
        })?;
        self.decide_json(&json, now)
    }
}

/// The problems of a load, placed in their files.
fn invalid(
    sources: &[Source],
    diagnostics: Vec<guifan_syntax::diagnostic::Diagnostic>,
) -> LoadError {
    use guifan_syntax::diagnostic::{At, Severity};
    let mut problems: Vec<Problem> = diagnostics
        .into_iter()
        .map(|d| {
            let (file, line, column, source) = match &d.primary.at {
                At::Source(id, span) => match sources.get(id.0 as usize) {
                    Some(s) => {
                        let (l, c) = s.line_col(span.start as usize);
                        // A snippet only where miette lays lines out safely (short lines).
                        let (from, to) = (span.start as usize, span.end as usize);
                        let line_start = s
                            .text
                            .get(..from)
                            .and_then(|t| t.rfind('\n'))
                            .map_or(0, |i| i + 1);
                        let line_end = s
                            .text
                            .get(to..)
                            .and_then(|t| t.find('\n'))
                            .map_or(s.text.len(), |i| to + i);
                        let bytes = (line_end - line_start <= MAX_SNIPPET_LINE)
                            .then(|| (s.text.clone(), from, to));
                        (s.name.clone(), l, c, bytes)
                    }
                    None => (String::new(), 0, 0, None),
                },
                At::Line { file, line, .. } => (file.clone(), *line, 1, None),
                At::File(file) => (file.clone(), 1, 1, None),
            };
            Problem {
                code: d.code,
                warning: d.severity != Severity::Error,
                message: d.message,
                file,
                line,
                column,
                help: d.help,
                source,
            }
        })
        .collect();
    problems.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    LoadError::Invalid(problems)
}

/// The first 16 hex digits of SHA-256 over the files' names and texts.
fn revision(sources: &[Source]) -> Arc<str> {
    let mut hash = Sha256::new();
    for s in sources {
        hash.update((s.name.len() as u64).to_le_bytes());
        hash.update(s.name.as_bytes());
        hash.update((s.text.len() as u64).to_le_bytes());
        hash.update(s.text.as_bytes());
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Arc::from(hex)
}

/// Every rule file (`*.policy`, `*.schema`) under `dir`, or `dir` itself when
/// it is a file, sorted by path. A directory linked back up the tree is
/// walked once, never round a loop.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("shop"))?;
/// std::fs::write(dir.path().join("shop/a.policy"), "")?;
/// std::fs::write(dir.path().join("notes.md"), "")?;
/// let files = guifan::rule_files(dir.path())?;
/// assert_eq!(files, [dir.path().join("shop/a.policy")]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rule_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LoadError::Io { path, source }
    };
    if dir.is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut visited = std::collections::HashSet::new();
    while let Some(d) = stack.pop() {
        let real = std::fs::canonicalize(&d).map_err(io(&d))?;
        if !visited.insert(real) {
            continue;
        }
        for entry in std::fs::read_dir(&d).map_err(io(&d))? {
            let path = entry.map_err(io(&d))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| RULE_EXTENSIONS.contains(&e))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}
