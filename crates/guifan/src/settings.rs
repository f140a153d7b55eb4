//! The error of a settings file (a parameter file, a `guifan.toml`): it
//! cannot be read, or every problem in it, each at its line.

use std::path::PathBuf;

use guifan_syntax::diagnostic::{At, Diagnostic, Label};

use crate::error::Problem;
use crate::sources::SourceMap;

/// A settings file that cannot be read, or its problems: every one, each at
/// its line, none of the settings used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file
        path: PathBuf,
        /// What the system said
        source: std::io::Error,
    },
    /// Settings that are not TOML, name nothing known, or do not fit
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The files, to show the lines
        sources: SourceMap,
        /// Each problem, in file order
        problems: Vec<Problem>,
    },
}

impl SettingsError {
    /// The problems, each with its code and line (none for `Io`).
    pub fn problems(&self) -> &[Problem] {
        match self {
            SettingsError::Invalid { problems, .. } => problems,
            SettingsError::Io { .. } => &[],
        }
    }

    /// The stable code: `guifan::io::unreadable`, or that of the first problem.
    pub fn code(&self) -> &'static str {
        match self {
            SettingsError::Io { .. } => "guifan::io::unreadable",
            SettingsError::Invalid { problems, .. } => problems
                .first()
                .map_or("guifan::parse::internal", Problem::code),
        }
    }

    /// The problems as diagnostics, with the files they point into.
    pub fn diagnostics(&self) -> (Vec<Diagnostic>, SourceMap) {
        match self {
            SettingsError::Io { path, .. } => {
                let d = Diagnostic::new(
                    "guifan::io::unreadable",
                    self.to_string(),
                    Label {
                        at: At::File(path.display().to_string()),
                        message: None,
                    },
                );
                (vec![d], SourceMap::default())
            }
            SettingsError::Invalid { sources, problems } => (
                problems.iter().map(|p| p.diagnostic().clone()).collect(),
                sources.clone(),
            ),
        }
    }

    /// The problems found in `sources`.
    pub(crate) fn invalid(sources: SourceMap, diagnostics: Vec<Diagnostic>) -> SettingsError {
        let problems = diagnostics
            .into_iter()
            .map(|d| Problem::new(d, &sources))
            .collect();
        SettingsError::Invalid { sources, problems }
    }
}

/// The text of a settings file: a regular file of at most
/// [`crate::MAX_RULE_FILE_BYTES`], in UTF-8, or why it cannot be used.
pub(crate) fn read(path: &std::path::Path) -> Result<String, SettingsError> {
    let io = |source| SettingsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let read = crate::read_rule_file(path).map_err(|e| io(e.into_io()))?;
    if let Some(at) = read.bad_byte {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 (byte {at})"),
        )));
    }
    Ok(read.text)
}

/// A problem at bytes `span` of the settings file `id`.
pub(crate) fn problem(
    code: &'static str,
    message: String,
    id: guifan_syntax::SourceId,
    span: std::ops::Range<usize>,
) -> Diagnostic {
    Diagnostic::new(
        code,
        message,
        Label {
            at: At::Source(id, guifan_syntax::Span::new(span.start, span.end)),
            message: None,
        },
    )
}

/// A reload whose new rules the overrides in force no longer fit fails as a load.
impl From<SettingsError> for crate::LoadError {
    fn from(e: SettingsError) -> crate::LoadError {
        match e {
            SettingsError::Io { path, source } => crate::LoadError::Io { path, source },
            SettingsError::Invalid { sources, problems } => crate::LoadError::Invalid {
                sources,
                problems,
                omitted: 0,
            },
        }
    }
}
