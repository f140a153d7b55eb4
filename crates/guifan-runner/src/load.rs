//! Loading a rule directory: find the files, parse them, check them together.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use guifan_eval::{CheckError, Program};
use guifan_syntax::{ParseError, SourceId, Span};
use thiserror::Error;

use crate::json_cache::JsonCache;
use crate::sources::SourceMap;

/// File extensions read from a rule directory.
pub const RULE_EXTENSIONS: [&str; 2] = ["policy", "schema"];

/// A problem in a rule file: a parse or a check error.
#[derive(Debug, Clone)]
pub enum Problem {
    /// The file does not parse
    Parse(ParseError),
    /// The file parses but does not check
    Check(CheckError),
}

impl Problem {
    /// The file the problem is in.
    pub fn source_id(&self) -> SourceId {
        match self {
            Problem::Parse(e) => e.source_id(),
            Problem::Check(e) => e.source_id,
        }
    }

    /// Where in the file.
    pub fn span(&self) -> Span {
        match self {
            Problem::Parse(e) => e.span(),
            Problem::Check(e) => e.span,
        }
    }

    /// The problem as a miette diagnostic, without source text.
    pub fn diagnostic(&self) -> &(dyn miette::Diagnostic + Send + Sync + 'static) {
        match self {
            Problem::Parse(e) => e,
            Problem::Check(e) => e,
        }
    }
}

/// Why a rule directory could not be loaded.
#[derive(Debug, Error)]
pub enum LoadError {
    /// A file or directory could not be read
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The path
        path: PathBuf,
        /// What the system said
        source: std::io::Error,
    },
    /// A rule file larger than [`MAX_RULE_FILE_BYTES`]
    #[error("`{}` is {size} bytes; rule files are at most {} bytes", path.display(), MAX_RULE_FILE_BYTES)]
    TooLarge {
        /// The file
        path: PathBuf,
        /// Its size
        size: u64,
    },
    /// The directory holds no rule files
    #[error("no rule files (*.policy, *.schema) under `{path}`")]
    Empty {
        /// The directory
        path: PathBuf,
    },
    /// Rule files that do not parse or check
    #[error("{} problem{} in rule files", problems.len() + omitted, if problems.len() + omitted == 1 { "" } else { "s" })]
    Invalid {
        /// The files, to show the problems' lines
        sources: SourceMap,
        /// The problems found, the first [`MAX_PROBLEMS`] of them
        problems: Vec<Problem>,
        /// How many more were found and left out
        omitted: usize,
    },
}

/// The largest rule file read (positions in a file are 32-bit; real policies are kilobytes).
pub const MAX_RULE_FILE_BYTES: u64 = guifan::MAX_RULE_FILE_BYTES;

/// The most problems a load reports (a generated file can have one per line);
/// the rest are counted.
pub const MAX_PROBLEMS: usize = 1000;

/// The problems to report, and how many were left out.
fn invalid(sources: SourceMap, mut problems: Vec<Problem>) -> LoadError {
    let omitted = problems.len().saturating_sub(MAX_PROBLEMS);
    problems.truncate(MAX_PROBLEMS);
    LoadError::Invalid {
        sources,
        problems,
        omitted,
    }
}

/// A checked rule set with its sources, ready to evaluate from many threads.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// The compiled program
    program: Arc<Program>,
    /// The files it came from
    pub sources: SourceMap,
    /// Pre-escaped JSON of the program's strings, for writing decisions;
    /// valid only for this very program (it is keyed by string addresses)
    json: Arc<JsonCache>,
    /// The places of the input's subjects in the policies' rankings, once computed
    ranks: Option<Arc<guifan_eval::rank::Ranks>>,
    /// The syntax trees the program was checked from (for linting and tools)
    files: Arc<Vec<guifan_syntax::ast::RuleFile>>,
}

impl RuleSet {
    fn new(program: Program, sources: SourceMap, files: Vec<guifan_syntax::ast::RuleFile>) -> Self {
        let json = Arc::new(JsonCache::new(&program));
        RuleSet {
            program: Arc::new(program),
            sources,
            json,
            ranks: None,
            files: Arc::new(files),
        }
    }

    /// The syntax trees of the rule files, by source (comments and spans included).
    pub fn files(&self) -> &[guifan_syntax::ast::RuleFile] {
        &self.files
    }

    /// Whether some policy ranks subjects against each other (`rank`): then the
    /// whole input is read once for the ranks before it is decided.
    pub fn needs_ranks(&self) -> bool {
        self.program.policies.iter().any(|p| !p.rankings.is_empty())
    }

    /// This rule set with the places of an input's subjects in its rankings.
    pub fn with_ranks(&self, ranks: guifan_eval::rank::Ranks) -> RuleSet {
        RuleSet {
            ranks: Some(Arc::new(ranks)),
            ..self.clone()
        }
    }

    /// The places in rankings, when computed.
    pub fn ranks(&self) -> Option<&guifan_eval::rank::Ranks> {
        self.ranks.as_deref()
    }

    /// The compiled program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The compiled program, to share with other threads or services.
    pub fn shared_program(&self) -> Arc<Program> {
        self.program.clone()
    }

    /// Pre-escaped JSON of the program's strings.
    pub(crate) fn json(&self) -> &JsonCache {
        &self.json
    }

    /// Gives the program new parameter values (see `Program::set_param`).
    pub fn set_param(&mut self, policy: &str, name: &str, json: &str) -> Result<(), String> {
        let program = Arc::get_mut(&mut self.program)
            .ok_or("the rule set is already shared; set parameters before use")?;
        // Parameters are never folded into constants, so the JSON cache stays valid.
        program.set_param(policy, name, json)
    }
}

/// Finds every rule file under `dir` (or `dir` itself, if it is a file), sorted by path.
pub fn rule_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    guifan::rule_files(dir).map_err(|e| match e {
        guifan::LoadError::Io { path, source } => LoadError::Io { path, source },
        other => LoadError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::other(other.to_string()),
        },
    })
}

/// Loads, parses and checks every rule file under `dir`.
pub fn load_rules(dir: &Path) -> Result<RuleSet, LoadError> {
    let paths = rule_files(dir)?;
    if paths.is_empty() {
        return Err(LoadError::Empty {
            path: dir.to_path_buf(),
        });
    }
    load_paths(paths)
}

/// The rules directory a path belongs to: the nearest directory, from the
/// path up, that holds a `schema/` directory (the shared schema); else the
/// path's own directory.
pub fn rules_root(path: &Path) -> PathBuf {
    let start = if path.is_file() {
        path.parent().unwrap_or(Path::new("."))
    } else {
        path
    };
    let start = if start.as_os_str().is_empty() {
        Path::new(".")
    } else {
        start
    };
    // Relative paths stay relative when the root is among their own ancestors.
    if let Some(root) = start.ancestors().find(|d| d.join("schema").is_dir()) {
        return root.to_path_buf();
    }
    std::fs::canonicalize(start)
        .ok()
        .and_then(|abs| {
            abs.ancestors()
                .find(|d| d.join("schema").is_dir())
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| start.to_path_buf())
}

/// The rule files of a selection: the files under each path (a file, or a
/// directory), with the schema they are checked against: `schema` when given,
/// else the `schema/` directory of the rules root above the first path. Each
/// file once, sorted; returns the files and which of them were selected.
pub fn selection_files(
    paths: &[PathBuf],
    schema: Option<&Path>,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), LoadError> {
    let mut selected = Vec::new();
    for p in paths {
        if !p.exists() {
            return Err(LoadError::Io {
                path: p.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such file or directory",
                ),
            });
        }
        selected.extend(rule_files(p)?);
    }
    let schema_dir = match schema {
        Some(dir) => Some(dir.to_path_buf()),
        None => paths
            .first()
            .map(|p| rules_root(p).join("schema"))
            .filter(|d| d.is_dir()),
    };
    // One file reached two ways (a path and the schema) is loaded once, by the path given.
    let real = |p: &PathBuf| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
    let mut seen: std::collections::HashSet<PathBuf> = selected.iter().map(real).collect();
    let mut all = selected.clone();
    if let Some(dir) = schema_dir {
        all.extend(
            rule_files(&dir)?
                .into_iter()
                .filter(|p| seen.insert(real(p))),
        );
    }
    all.sort();
    all.dedup();
    selected.sort();
    selected.dedup();
    if all.is_empty() {
        return Err(LoadError::Empty {
            path: paths.first().cloned().unwrap_or_default(),
        });
    }
    Ok((all, selected))
}

/// Loads, parses and checks the given rule files.
pub fn load_paths(paths: Vec<PathBuf>) -> Result<RuleSet, LoadError> {
    let mut texts = Vec::with_capacity(paths.len());
    let mut bad_encoding = Vec::new();
    for path in paths {
        let io = |source| LoadError::Io {
            path: path.clone(),
            source,
        };
        let read = match guifan::read_rule_file(&path) {
            Ok(read) => read,
            Err(guifan::ReadError::TooLarge(size)) => {
                return Err(LoadError::TooLarge { path, size })
            }
            Err(e) => return Err(io(e.into_io())),
        };
        match read.bad_byte {
            None => texts.push((path, read.text)),
            Some(at) => bad_encoding.push((path, read.text, at)),
        }
    }
    if !bad_encoding.is_empty() {
        let mut sources = SourceMap::default();
        let mut problems = Vec::new();
        for (path, text, at) in bad_encoding {
            let id = sources.add(path, Arc::from(text));
            problems.push(Problem::Parse(guifan_syntax::ParseError::Encoding {
                source_id: id,
                span: guifan_syntax::Span::new(at, at + 1),
            }));
        }
        return Err(invalid(sources, problems));
    }
    load_texts(texts)
}

/// Parses and checks rule files given as (path, text) pairs. Every file is
/// parsed as far as it goes and every declaration that parses is checked, so
/// one load reports every problem: a syntax error hides only its own
/// declaration or policy entry.
pub fn load_texts(texts: Vec<(PathBuf, String)>) -> Result<RuleSet, LoadError> {
    use rayon::prelude::*;
    let mut sources = SourceMap::default();
    let mut problems = Vec::new();
    let texts: Vec<(SourceId, Arc<str>)> = texts
        .into_iter()
        .map(|(path, text)| {
            let text: Arc<str> = Arc::from(text.strip_prefix('\u{FEFF}').unwrap_or(&text));
            (sources.add(path, text.clone()), text)
        })
        .collect();
    // Files parse independently: in parallel, in file order.
    let parsed: Vec<_> = texts
        .par_iter()
        .map(|(id, text)| guifan_syntax::parse_recovering(*id, text))
        .collect();
    let mut files = Vec::with_capacity(parsed.len());
    for (file, errors) in parsed {
        problems.extend(errors.into_iter().map(Problem::Parse));
        files.push(file);
    }
    match guifan_eval::check(&files) {
        Ok(program) if problems.is_empty() => Ok(RuleSet::new(program, sources, files)),
        Ok(_) => Err(invalid(sources, sorted(problems))),
        Err(errors) => {
            problems.extend(errors.into_iter().map(Problem::Check));
            Err(invalid(sources, sorted(problems)))
        }
    }
}

/// Problems in file order, then by place (a stable sort: one place's problems keep their order).
fn sorted(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by_key(|p| (p.source_id(), p.span().start));
    problems
}
