//! Problems as the page shows them: a code, a severity, a message, where in
//! which file (in UTF-16 units, as the editor counts), and the fixes.

use guifan::analysis::Finding;
use serde::Serialize;

use crate::places::{Lines, Place};

/// The name parameter problems are placed in.
pub const PARAMS_FILE: &str = "params.toml";
/// The name record problems are placed in.
pub const RECORDS_FILE: &str = "records";

/// One problem of a rule file, of the parameters, of the records or of the request.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// Its stable code (`guifan::check::unknown_field`)
    pub code: String,
    /// `error`, `warning` or `note`
    pub severity: &'static str,
    /// What is wrong
    pub message: String,
    /// What to do about it
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where the code is explained: its row of `docs/diagnostics.md`
    pub anchor: String,
    /// The file it is in (`params.toml` for parameters, `records` for
    /// records); `None` for the request as a whole
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Where it starts
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Place>,
    /// Where it ends
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Place>,
    /// Changes that fix it, best first
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
}

/// A change that fixes a problem.
#[derive(Debug, Clone, Serialize)]
pub struct Fix {
    /// What it does (`Replace `listings_onlin` with `listings_online``)
    pub title: String,
    /// Whether it is the one to apply without asking
    pub preferred: bool,
    /// The replacements, applied together
    pub edits: Vec<Edit>,
}

/// One replacement in a file.
#[derive(Debug, Clone, Serialize)]
pub struct Edit {
    /// The file
    pub path: String,
    /// Where the replaced text starts
    pub from: Place,
    /// Where it ends
    pub to: Place,
    /// What it becomes
    pub text: String,
}

/// The anchor of a code's row in `docs/diagnostics.md`.
pub fn anchor(code: &str) -> String {
    code.replace("::", "-")
}

impl Problem {
    /// A problem that is in no file.
    pub fn general(code: &str, message: String) -> Problem {
        Problem {
            code: code.to_string(),
            severity: "error",
            message,
            help: None,
            anchor: anchor(code),
            path: None,
            from: None,
            to: None,
            fixes: Vec::new(),
        }
    }

    /// A problem the analysis found in a rule file, with its fixes; `text`
    /// gives the text of a file by path.
    pub fn of_finding<'a>(f: &Finding, text: impl Fn(&str) -> Option<&'a str>) -> Problem {
        let path = f.path.to_string_lossy().into_owned();
        let place = |path: &str, start: u32, end: u32| {
            let lines = Lines::new(text(path).unwrap_or(""));
            (lines.place(start as usize), lines.place(end as usize))
        };
        let (from, to) = place(&path, f.span.start, f.span.end);
        let fixes = f
            .fixes
            .iter()
            .map(|fix| Fix {
                title: fix.title.clone(),
                preferred: fix.preferred,
                edits: fix
                    .edits
                    .iter()
                    .map(|e| {
                        let path = e.path.to_string_lossy().into_owned();
                        let (from, to) = place(&path, e.span.start, e.span.end);
                        Edit {
                            path,
                            from,
                            to,
                            text: e.text.clone(),
                        }
                    })
                    .collect(),
            })
            .collect();
        Problem {
            code: f.code.to_string(),
            severity: f.severity.word(),
            message: f.message.clone(),
            help: f.help.clone(),
            anchor: anchor(f.code),
            path: Some(path),
            from: Some(from),
            to: Some(to),
            fixes,
        }
    }

    /// Every problem of rule files that did not load.
    pub fn of_load_error(e: &guifan::LoadError) -> Vec<Problem> {
        let (diagnostics, sources) = guifan::report::load_error_diagnostics(e);
        diagnostics
            .iter()
            .map(|d| Problem::of_diagnostic(d, &sources))
            .collect()
    }

    /// Every problem of parameters that cannot be applied.
    pub fn of_settings_error(e: &guifan::SettingsError) -> Vec<Problem> {
        let (diagnostics, sources) = e.diagnostics();
        if diagnostics.is_empty() {
            return vec![Problem::general(e.code(), e.to_string())];
        }
        diagnostics
            .iter()
            .map(|d| Problem::of_diagnostic(d, &sources))
            .collect()
    }

    fn of_diagnostic(d: &guifan::report::Diagnostic, sources: &guifan::SourceMap) -> Problem {
        let mut problem = Problem::general(d.code, d.message.clone());
        problem.severity = d.severity.word();
        problem.help = d.help.clone();
        if let Some((id, span)) = d.source_span() {
            if let (Some(path), Some(text)) = (sources.path(id), sources.text(id)) {
                let lines = Lines::new(text);
                problem.path = Some(path.to_string_lossy().into_owned());
                problem.from = Some(lines.place(span.start as usize));
                problem.to = Some(lines.place(span.end as usize));
            }
        }
        problem
    }

    /// A record that could not be decided, at its line of the records.
    pub fn of_record(e: &guifan::RecordError, records: &Lines<'_>) -> Problem {
        let mut problem = Problem::general("guifan::data::invalid", e.to_string());
        problem.path = Some(RECORDS_FILE.to_string());
        if let Some(start) = e.line().and_then(|l| records.line_start(l)) {
            let place = records.place(start);
            problem.from = Some(place);
            problem.to = Some(place);
        }
        problem
    }
}
