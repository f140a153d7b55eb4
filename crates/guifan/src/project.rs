//! `guifan.toml`: a project's settings, read by every command, the service
//! and the editor tools, as Regal reads `.regal/config.yaml`.
//!
//! ```toml
//! [rules]
//! dir = "rules"                    # the rules directory (commands' default)
//! schema = "rules/schema"          # the schema, when not `<dir>/schema`
//! params = "deploy/params.toml"    # the deployment's parameter overrides
//!
//! [lint]
//! allow = ["guifan::lint::untested_policy"]   # never reported
//! deny = ["guifan::lint::unused_let"]  # fail `check` as errors do
//!
//! [time]
//! zone = "Asia/Shanghai"           # of an `--at` written without an offset
//! ```
//!
//! Paths are relative to the file's directory. The file is found in the
//! working directory or the nearest directory above it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use guifan_syntax::diagnostic::Diagnostic;
use toml_edit::{ImDocument, Item};

use crate::sources::SourceMap;

/// The file's name.
pub const PROJECT_FILE: &str = "guifan.toml";

/// A project's settings: every one optional, paths resolved against the
/// directory of its `guifan.toml`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Project {
    /// The `guifan.toml` they were read from
    pub file: Option<PathBuf>,
    /// The rules directory
    pub rules: Option<PathBuf>,
    /// The schema directory, when it is not the rules directory's `schema/`
    pub schema: Option<PathBuf>,
    /// The deployment's parameter overrides
    pub params: Option<PathBuf>,
    /// Lint codes never reported
    pub allow: Vec<String>,
    /// Lint codes that fail `check` as errors do
    pub deny: Vec<String>,
    /// The zone of an evaluation time written without an offset
    pub zone: Option<Tz>,
}

/// A `guifan.toml` that cannot be read or used: every problem at its line.
pub type ProjectError = crate::settings::SettingsError;

const SECTIONS: [(&str, &[&str]); 3] = [
    ("rules", &["dir", "schema", "params"]),
    ("lint", &["allow", "deny"]),
    ("time", &["zone"]),
];

impl Project {
    /// The settings of the nearest `guifan.toml` at or above `start`; none
    /// (every setting unset) when there is no such file.
    pub fn discover(start: &Path) -> Result<Project, ProjectError> {
        let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
        match start
            .ancestors()
            .map(|d| d.join(PROJECT_FILE))
            .find(|f| f.is_file())
        {
            Some(file) => Project::from_file(&file),
            None => Ok(Project::default()),
        }
    }

    /// The settings of one `guifan.toml`.
    pub fn from_file(path: &Path) -> Result<Project, ProjectError> {
        let text = crate::settings::read(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut project = Project::from_toml(path, &text, base)?;
        project.file = Some(path.to_path_buf());
        Ok(project)
    }

    /// The settings in TOML text named `name`, paths relative to `base`.
    ///
    /// ```
    /// use std::path::Path;
    /// let text = "[rules]\ndir = \"policies\"\n[lint]\nallow = [\"guifan::lint::untested_policy\"]\n[time]\nzone = \"Asia/Shanghai\"\n";
    /// let p = guifan::Project::from_toml(Path::new("guifan.toml"), text, Path::new("/repo"))?;
    /// assert_eq!(p.rules.as_deref(), Some(Path::new("/repo/policies")));
    /// assert_eq!(p.allow, ["guifan::lint::untested_policy"]);
    /// let bad = guifan::Project::from_toml(Path::new("guifan.toml"), "[rules]\ndirs = \"x\"\n", Path::new("."));
    /// assert!(bad.unwrap_err().to_string().contains("did you mean `dir`?"));
    /// # Ok::<(), guifan::ProjectError>(())
    /// ```
    pub fn from_toml(name: &Path, text: &str, base: &Path) -> Result<Project, ProjectError> {
        let mut sources = SourceMap::default();
        let id = sources.add(name.to_path_buf(), Arc::from(text));
        let mut found = Vec::new();
        let mut problem =
            |span: Option<std::ops::Range<usize>>, message: String, help: Option<String>| {
                let span = span.unwrap_or(0..0);
                let mut d = crate::settings::problem("guifan::project::invalid", message, id, span);
                if let Some(h) = help {
                    d = d.with_help(h);
                }
                found.push(d);
            };
        let doc = match ImDocument::parse(text) {
            Ok(doc) => doc,
            Err(e) => {
                problem(
                    e.span(),
                    format!("not valid TOML: {}", e.message().trim()),
                    None,
                );
                return Err(ProjectError::invalid(sources, found));
            }
        };
        let mut project = Project::default();
        let root = doc.as_table();
        for (key, item) in root.iter() {
            let key_span = root.key(key).and_then(|k| k.span());
            let Some((_, keys)) = SECTIONS.iter().find(|(s, _)| *s == key) else {
                let help = guifan_eval::did_you_mean(key, SECTIONS.iter().map(|(s, _)| *s))
                    .unwrap_or_else(|| "the sections are [rules], [lint] and [time]".into());
                problem(key_span, format!("unknown section `{key}`"), Some(help));
                continue;
            };
            let Some(table) = item.as_table_like() else {
                problem(key_span, format!("`{key}` must be a table: [{key}]"), None);
                continue;
            };
            for (name, value) in table.iter() {
                let at = table.key(name).and_then(|k| k.span());
                if !keys.contains(&name) {
                    let help = guifan_eval::did_you_mean(name, keys.iter().copied())
                        .unwrap_or_else(|| format!("[{key}] takes {}", keys.join(", ")));
                    problem(at, format!("unknown setting `{key}.{name}`"), Some(help));
                    continue;
                }
                let span = value.span().or(at);
                match (key, name) {
                    ("rules", _) => match value.as_str() {
                        Some(p) => {
                            let path = Some(base.join(p));
                            match name {
                                "dir" => project.rules = path,
                                "schema" => project.schema = path,
                                _ => project.params = path,
                            }
                        }
                        None => problem(span, format!("`rules.{name}` must be a path in quotes"), None),
                    },
                    ("lint", _) => match codes(value) {
                        Some(list) => {
                            for code in &list {
                                if !code.starts_with("guifan::lint::")
                                    || !guifan_syntax::diagnostic::CODES.iter().any(|c| c.code == code)
                                {
                                    let lints = guifan_syntax::diagnostic::CODES
                                        .iter()
                                        .filter(|c| c.code.starts_with("guifan::lint::"))
                                        .map(|c| c.code);
                                    let help = guifan_eval::did_you_mean(code, lints);
                                    problem(span.clone(), format!("`{code}` is not a lint"), help);
                                }
                            }
                            if name == "allow" {
                                project.allow = list;
                            } else {
                                project.deny = list;
                            }
                        }
                        None => problem(
                            span,
                            format!("`lint.{name}` must be a list of lint codes: [\"guifan::lint::...\"]"),
                            None,
                        ),
                    },
                    _ => match value.as_str().map(|z| (z, z.parse::<Tz>())) {
                        Some((_, Ok(tz))) => project.zone = Some(tz),
                        Some((z, Err(_))) => {
                            let help = guifan_eval::zone_did_you_mean(z);
                            problem(span, format!("unknown time zone `{z}`"), help);
                        }
                        None => problem(span, "`time.zone` must be a zone name in quotes".into(), None),
                    },
                }
            }
        }
        if found.is_empty() {
            Ok(project)
        } else {
            Err(ProjectError::invalid(sources, found))
        }
    }

    /// The evaluation time of `text`: [`crate::parse_time`]'s forms, and, with
    /// a project zone, a local date and time without an offset
    /// (`2023-04-20T12:00`, `2023-04-20T12:00:00`) or a date (its midnight).
    ///
    /// ```
    /// use std::path::Path;
    /// let p = guifan::Project::from_toml(Path::new("g.toml"), "[time]\nzone = \"Asia/Shanghai\"", Path::new("."))?;
    /// assert_eq!(p.parse_time("2023-04-20T12:00")?, guifan::parse_time("2023-04-20T12:00+08:00")?);
    /// assert_eq!(p.parse_time("2023-04-20")?, guifan::parse_time("2023-04-20T00:00+08:00")?);
    /// assert!(guifan::Project::default().parse_time("2023-04-20T12:00").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse_time(&self, text: &str) -> Result<DateTime<FixedOffset>, crate::TimeError> {
        let offset_error = match crate::parse_time(text) {
            Ok(t) => return Ok(t),
            Err(e) => e,
        };
        let Some(zone) = self.zone else {
            return Err(offset_error);
        };
        let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map(|d| d.and_time(chrono::NaiveTime::MIN))
            })
            .map_err(|_| offset_error.clone())?;
        use chrono::TimeZone;
        zone.from_local_datetime(&local)
            .earliest()
            .map(|t| t.fixed_offset())
            .ok_or(offset_error)
    }

    /// Drops the lints the project allows, and makes the ones it denies errors.
    pub fn apply_lint_levels(&self, warnings: Vec<Diagnostic>) -> Vec<Diagnostic> {
        warnings
            .into_iter()
            .filter(|d| !self.allow.iter().any(|c| c == d.code))
            .map(|mut d| {
                if self.deny.iter().any(|c| c == d.code) {
                    d.severity = guifan_syntax::diagnostic::Severity::Error;
                }
                d
            })
            .collect()
    }
}

/// A list of strings.
fn codes(item: &Item) -> Option<Vec<String>> {
    item.as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}
