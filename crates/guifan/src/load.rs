//! Loading rule files: find them, read them, parse them, check them together.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use guifan_syntax::diagnostic::Diagnostic;
use guifan_syntax::{ParseError, SourceId, Span};

use crate::error::{LoadError, Problem};
use crate::files::{read_rule_file, ReadError};
use crate::sources::SourceMap;

/// File extensions read from a rule directory.
pub const RULE_EXTENSIONS: [&str; 2] = ["policy", "schema"];

/// The most problems a load reports (a generated file can have one per line);
/// the rest are counted.
pub const MAX_PROBLEMS: usize = 1000;

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
    if dir.is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    files_under(dir, |path| {
        path.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| RULE_EXTENSIONS.contains(&e))
    })
    .map_err(|(path, source)| LoadError::Io { path, source })
}

/// Every file under `dir` that `wanted` accepts, sorted: the one directory
/// walk of rule files, test files and the service's fingerprint. Symbolic
/// links are followed, each directory read once, so a link back up (a loop)
/// or a second link to a directory adds nothing. Anything that is not a
/// directory counts as a file: reading it says what is wrong with it.
pub fn files_under(
    dir: &Path,
    wanted: impl Fn(&Path) -> bool,
) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
    let seen = std::cell::RefCell::new(std::collections::HashSet::new());
    let walk = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| {
            !e.file_type().is_dir()
                || std::fs::canonicalize(e.path())
                    .map_or(true, |real| seen.borrow_mut().insert(real))
        });
    let mut out = Vec::new();
    for entry in walk {
        match entry {
            Ok(e) if !e.file_type().is_dir() && wanted(e.path()) => out.push(e.into_path()),
            Ok(_) => {}
            // A link to a directory above it: already being walked.
            Err(e) if e.loop_ancestor().is_some() => {}
            Err(e) => {
                let path = e.path().unwrap_or(dir).to_path_buf();
                let source = e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("cannot walk the directory"));
                return Err((path, source));
            }
        }
    }
    out.sort();
    Ok(out)
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

/// What a load gives: a checked program, the files it came from, and their syntax trees.
pub(crate) struct Loaded {
    pub(crate) program: guifan_eval::Program,
    pub(crate) sources: SourceMap,
    pub(crate) files: Vec<guifan_syntax::ast::RuleFile>,
}

/// Loads every rule file under `dir` (one error when there are none).
pub(crate) fn from_dir(dir: &Path) -> Result<Loaded, LoadError> {
    let paths = rule_files(dir)?;
    if paths.is_empty() {
        return Err(LoadError::Empty {
            path: dir.to_path_buf(),
        });
    }
    from_paths(paths)
}

/// Reads, parses and checks the given rule files. Text that is not UTF-8 is
/// reported with one located problem per file.
pub(crate) fn from_paths(paths: Vec<PathBuf>) -> Result<Loaded, LoadError> {
    let mut texts = Vec::with_capacity(paths.len());
    let mut bad_encoding = Vec::new();
    for path in paths {
        let read = match read_rule_file(&path) {
            Ok(read) => read,
            Err(ReadError::TooLarge(size)) => return Err(LoadError::TooLarge { path, size }),
            Err(e) => {
                return Err(LoadError::Io {
                    path,
                    source: e.into_io(),
                })
            }
        };
        match read.bad_byte {
            None => texts.push((path, read.text)),
            Some(at) => bad_encoding.push((path, read.text, at)),
        }
    }
    if bad_encoding.is_empty() {
        return from_texts(texts);
    }
    let mut sources = SourceMap::default();
    let mut problems = Vec::new();
    for (path, text, at) in bad_encoding {
        let id = sources.add(path, Arc::from(text));
        problems.push(Diagnostic::from(&ParseError::Encoding {
            source_id: id,
            span: Span::new(at, at + 1),
        }));
    }
    Err(invalid(sources, problems))
}

/// Parses and checks rule files given as (path, text) pairs. Every file is
/// parsed as far as it goes and every declaration that parses is checked, so
/// one load reports every problem: a syntax error hides only its own
/// declaration or policy entry.
pub(crate) fn from_texts(texts: Vec<(PathBuf, String)>) -> Result<Loaded, LoadError> {
    let mut sources = SourceMap::default();
    let texts: Vec<(SourceId, Arc<str>)> = texts
        .into_iter()
        .map(|(path, text)| {
            let text: Arc<str> = Arc::from(text.strip_prefix('\u{FEFF}').unwrap_or(&text));
            (sources.add(path, text.clone()), text)
        })
        .collect();
    let parsed = parse_all(&texts);
    let mut problems = Vec::new();
    let mut files = Vec::with_capacity(parsed.len());
    for (file, errors) in parsed {
        problems.extend(errors.iter().map(Diagnostic::from));
        files.push(file);
    }
    match guifan_eval::check(&files) {
        Ok(program) if problems.is_empty() => Ok(Loaded {
            program,
            sources,
            files,
        }),
        Ok(_) => Err(invalid(sources, problems)),
        Err(errors) => {
            problems.extend(errors.iter().map(Diagnostic::from));
            Err(invalid(sources, problems))
        }
    }
}

type Parsed = (guifan_syntax::ast::RuleFile, Vec<ParseError>);

/// Files parse independently: in parallel where there are threads, in file order.
#[cfg(not(target_arch = "wasm32"))]
fn parse_all(texts: &[(SourceId, Arc<str>)]) -> Vec<Parsed> {
    use rayon::prelude::*;
    texts
        .par_iter()
        .map(|(id, text)| guifan_syntax::parse_recovering(*id, text))
        .collect()
}

/// Files parse one after the other (no threads in a browser).
#[cfg(target_arch = "wasm32")]
fn parse_all(texts: &[(SourceId, Arc<str>)]) -> Vec<Parsed> {
    texts
        .iter()
        .map(|(id, text)| guifan_syntax::parse_recovering(*id, text))
        .collect()
}

/// The problems of a load, in file order then by place (a stable sort: one
/// place's problems keep their order), the first [`MAX_PROBLEMS`] of them.
pub(crate) fn invalid(sources: SourceMap, mut diagnostics: Vec<Diagnostic>) -> LoadError {
    diagnostics.sort_by_key(|d| d.source_span().map(|(id, span)| (id, span.start)));
    let omitted = diagnostics.len().saturating_sub(MAX_PROBLEMS);
    diagnostics.truncate(MAX_PROBLEMS);
    let problems = diagnostics
        .into_iter()
        .map(|d| Problem::new(d, &sources))
        .collect();
    LoadError::Invalid {
        sources,
        problems,
        omitted,
    }
}
