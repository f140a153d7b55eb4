//! What an editor, a playground or any other tool needs to know about rule
//! files as they are being written: every problem (syntax, check, lint) with
//! its fixes, what the name under the cursor is and where it is declared and
//! read, what may be typed next, the outline of a file.
//!
//! An [`Analysis`] is computed from the texts of all the rule files of a rules
//! directory at once (schema files and policies), those open in an editor as
//! they are, unsaved: the files are parsed with recovery and checked together,
//! so a mistake in one declaration hides only that declaration. Offsets are
//! bytes into a file's text; tools convert to lines and UTF-16 columns.
//!
//! ```
//! use guifan::analysis::Analysis;
//!
//! let analysis = Analysis::new(vec![
//!     ("schema/kinds.schema".into(), "kind merchant { platform: string, listings_online: int }\neffect violation(code: string)".into()),
//!     ("demo.policy".into(), r#"policy demo.cap {
//!   subject merchant where platform == "douyin"
//!   zone Asia/Shanghai
//!   param cap: int = 100
//!   rule listing_cap { when listings_onlin > cap then violation(code: "cap") }
//! }"#.into()),
//! ]);
//! let problems = analysis.problems("demo.policy".as_ref());
//! assert_eq!(problems[0].code, "guifan::check::unknown_field");
//! // The "did you mean" becomes a fix that replaces the name.
//! assert_eq!(problems[0].fixes[0].edits[0].text, "listings_online");
//!
//! let text = analysis.text("demo.policy".as_ref()).unwrap();
//! let at = text.find("cap then").unwrap();
//! let hover = analysis.hover("demo.policy".as_ref(), at).unwrap();
//! assert!(hover.markdown.contains("param cap: int"));
//! ```

mod builtin_docs;
mod complete;
mod format;
mod hover;
mod navigate;
mod outline;
mod problems;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use guifan_eval::Target;
use guifan_eval::{Schema, Use};
use guifan_syntax::ast::RuleFile;
use guifan_syntax::SourceId;
pub use guifan_syntax::Span;

pub use builtin_docs::{builtin_doc, BuiltinDoc, BUILTINS};
pub use complete::{Completion, CompletionKind};
pub use format::format_edits;
pub use hover::Hover;
pub use navigate::{param_keys, Location, RenameError};
pub use outline::{Symbol, SymbolKind};
pub use problems::{Finding, Fix};

use crate::sources::SourceMap;

/// One replacement in a file: the bytes `span` of `path` become `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The file
    pub path: PathBuf,
    /// The bytes replaced
    pub span: Span,
    /// What they become
    pub text: String,
}

/// The rule files of one rules directory, parsed, checked and linted together.
#[derive(Debug)]
pub struct Analysis {
    sources: SourceMap,
    /// Each file's id, by path (every request starts from a path)
    ids: std::collections::HashMap<PathBuf, SourceId>,
    /// Each file's syntax tree (recovered around its syntax errors), by `SourceId`
    files: Arc<[RuleFile]>,
    /// Every problem, syntax first, then checking, then lints (lints only when
    /// the files check)
    findings: Vec<Finding>,
    /// The schema the files declare
    schema: Schema,
    /// Every name the checker resolved
    uses: Vec<Use>,
    /// Whether the files check without error
    checks: bool,
    /// The rule set, when the files check
    rules: Option<crate::RuleSet>,
}

impl Analysis {
    /// Parses, checks and lints the rule files given as (path, text): the
    /// `.policy` and `.schema` files of one rules directory, open ones as
    /// edited. A leading byte-order mark is ignored.
    pub fn new(texts: Vec<(PathBuf, String)>) -> Analysis {
        let mut sources = SourceMap::default();
        let mut files = Vec::with_capacity(texts.len());
        let mut diagnostics = Vec::new();
        for (path, text) in texts {
            let body: Arc<str> = Arc::from(text.strip_prefix('\u{FEFF}').unwrap_or(&text));
            let id = sources.add(path, body.clone());
            let (file, errors) = guifan_syntax::parse_recovering(id, &body);
            diagnostics.extend(
                errors
                    .iter()
                    .map(guifan_syntax::diagnostic::Diagnostic::from),
            );
            files.push(file);
        }
        let files: Arc<[RuleFile]> = files.into();
        let checked = guifan_eval::check_indexed(&files);
        let syntax_ok = diagnostics.is_empty();
        let mut rules = None;
        let checks = match checked.result {
            Ok(program) if syntax_ok => {
                // The rule set of what was just checked: nothing parsed twice.
                rules = Some(crate::RuleSet::of_checked(
                    program,
                    sources.clone(),
                    files.clone(),
                ));
                true
            }
            Ok(_) => false,
            Err(errors) => {
                diagnostics.extend(
                    errors
                        .iter()
                        .map(guifan_syntax::diagnostic::Diagnostic::from),
                );
                false
            }
        };
        if checks {
            let texts: Vec<(&RuleFile, &str)> = files
                .iter()
                .filter_map(|f| sources.text(f.source).map(|t| (f, &**t)))
                .collect();
            diagnostics.extend(guifan_lint::lint(&texts, &guifan_lint::Context::default()));
        }
        let mut analysis = Analysis {
            ids: first_ids(&sources),
            sources,
            files,
            findings: Vec::new(),
            schema: checked.schema,
            uses: checked.uses,
            checks,
            rules,
        };
        analysis.findings = diagnostics
            .into_iter()
            .filter_map(|d| problems::finding(&analysis, d))
            .collect();
        analysis
    }

    /// Whether every file parses and checks (lint warnings aside).
    pub fn checks(&self) -> bool {
        self.checks
    }

    /// The files as a rule set, to decide records and run tests with; `None`
    /// unless they check.
    pub fn rules(&self) -> Option<&crate::RuleSet> {
        self.rules.as_ref()
    }

    /// Every name the checker resolved in a file, with what it names, by place.
    pub fn names(&self, path: &Path) -> Vec<(Span, &Target)> {
        let Some(id) = self.source(path) else {
            return Vec::new();
        };
        let mut out: Vec<(Span, &Target)> = self
            .uses
            .iter()
            .filter(|u| u.source == id)
            .map(|u| (u.span, &u.target))
            .collect();
        out.sort_by_key(|(s, _)| (s.start, s.end));
        out.dedup_by_key(|(s, _)| *s);
        out
    }

    /// The files analysed, by path, in the order given.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.sources.iter().map(|(p, _)| p)
    }

    /// The text of a file, as analysed.
    pub fn text(&self, path: &Path) -> Option<&str> {
        let id = self.source(path)?;
        self.sources.text(id).map(|t| &**t)
    }

    /// The loaded files: paths, texts, lines.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// Every problem of every file, in file order.
    pub fn all_problems(&self) -> &[Finding] {
        &self.findings
    }

    /// The problems of one file, by place.
    pub fn problems(&self, path: &Path) -> Vec<&Finding> {
        let mut out: Vec<&Finding> = self.findings.iter().filter(|f| f.path == path).collect();
        out.sort_by_key(|f| f.span.start);
        out
    }

    fn source(&self, path: &Path) -> Option<SourceId> {
        self.ids.get(path).copied()
    }

    fn path_of(&self, id: SourceId) -> PathBuf {
        self.sources
            .path(id)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    fn file(&self, id: SourceId) -> Option<&RuleFile> {
        self.files.get(id.0 as usize)
    }

    fn text_of(&self, id: SourceId) -> &str {
        self.sources.text(id).map_or("", |t| &**t)
    }

    /// The resolved name written at `offset` (its span holds the offset, or
    /// ends right at it), the innermost when spans nest.
    fn use_at(&self, id: SourceId, offset: usize) -> Option<&Use> {
        self.uses
            .iter()
            .filter(|u| u.source == id && contains(u.span, offset))
            .min_by_key(|u| u.span.end - u.span.start)
    }
}

/// Each path's id: the first file of that path, as a scan would find it.
fn first_ids(sources: &SourceMap) -> std::collections::HashMap<PathBuf, SourceId> {
    let mut ids = std::collections::HashMap::with_capacity(sources.len());
    for (i, (path, _)) in sources.iter().enumerate() {
        ids.entry(path.to_path_buf()).or_insert(SourceId(i as u32));
    }
    ids
}

/// Whether `offset` is in `span` or right at its end (a cursor after a name).
fn contains(span: Span, offset: usize) -> bool {
    (span.start as usize) <= offset && offset <= span.end as usize
}

/// The text of `span` in `text`, or "" when it is not on character boundaries.
fn slice(text: &str, span: Span) -> &str {
    text.get(span.start as usize..span.end as usize)
        .unwrap_or("")
}

/// Whether `name` can be written as a name: a letter or `_`, then letters,
/// digits and `_`, and no reserved word.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !guifan_syntax::ast::KEYWORDS.contains(&name)
}

#[cfg(test)]
mod tests;
