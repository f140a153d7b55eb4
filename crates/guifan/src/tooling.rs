//! What the tools around rule files need from the library: the canonical
//! layout of a file (`guifan fmt`, an editor's format-on-save) and the
//! warnings of the linter (`guifan check`, an editor's squiggles).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use guifan_syntax::diagnostic::Diagnostic;

use crate::error::LoadError;
use crate::rules::RuleSet;
use crate::sources::SourceMap;

/// One rule file's text in the canonical layout, comments kept; a text that
/// does not parse gives its problems (a leading byte-order mark is dropped).
///
/// ```
/// let tidy = guifan::format_source("k.schema", "kind   k {n:int}")?;
/// assert_eq!(tidy, "kind k {\n  n: int\n}\n");
/// assert!(guifan::format_source("k.schema", "kind k {").is_err());
/// # Ok::<(), guifan::LoadError>(())
/// ```
pub fn format_source(name: impl Into<PathBuf>, text: &str) -> Result<String, LoadError> {
    let mut sources = SourceMap::default();
    format_into(&mut sources, name, text)
        .map_err(|diagnostics| crate::load::invalid(sources, diagnostics))
}

/// [`format_source`] for a tool formatting many files: the file's text is
/// added to `sources`, which its problems point into.
pub fn format_into(
    sources: &mut SourceMap,
    name: impl Into<PathBuf>,
    text: &str,
) -> Result<String, Vec<Diagnostic>> {
    let body = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let id = sources.add(name.into(), Arc::from(body));
    match guifan_syntax::parse(id, body) {
        Ok(file) => Ok(guifan_fmt::format_file(&file, body)),
        Err(errors) => Err(errors.iter().map(Diagnostic::from).collect()),
    }
}

impl RuleSet {
    /// The linter's warnings about the files `selected` keeps, knowing which
    /// policies some test file exercises (`None`: tests were not looked for,
    /// and untested policies are not reported). Suppressed warnings are left
    /// out; in file order.
    pub fn lint(
        &self,
        selected: &dyn Fn(&Path) -> bool,
        tested_policies: Option<HashSet<String>>,
    ) -> Vec<Diagnostic> {
        let sources = self.sources();
        let texts: Vec<(&guifan_syntax::ast::RuleFile, &str)> = self
            .files()
            .iter()
            .filter(|f| sources.path(f.source).is_some_and(selected))
            .filter_map(|f| sources.text(f.source).map(|t| (f, &**t)))
            .collect();
        guifan_lint::lint(&texts, &guifan_lint::Context { tested_policies })
    }
}
