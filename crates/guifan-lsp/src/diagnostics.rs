//! Problems as the editor shows them: every rule file's (syntax, check,
//! lint) with its code linking to docs/diagnostics.md, and every test file's
//! (what `guifan test` reports: unknown rules, fields, missing `expect`,
//! and the failures of its last run).

use std::path::{Path, PathBuf};

use guifan::analysis::{Analysis, Finding};
use guifan::report::Severity;
use tower_lsp_server::ls_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Position, Range, Uri,
};

use crate::convert::{uri_of, Lines};
use crate::workspace::{tested_policy, Workspace};

/// The problems of every file of a rules directory, by path (files without
/// problems get an empty list, which clears what was shown).
pub(crate) fn for_root(
    analysis: &Analysis,
    tests: &[(PathBuf, String)],
    state: &Workspace,
) -> Vec<(PathBuf, Vec<Diagnostic>)> {
    let mut out = Vec::new();
    for path in analysis.paths() {
        let Some(text) = analysis.text(path) else {
            continue;
        };
        let lines = Lines::new(text);
        let diags = analysis
            .problems(path)
            .into_iter()
            .map(|f| with_related(analysis, of_finding(&lines, f), f))
            .collect();
        out.push((path.to_path_buf(), diags));
    }
    for (path, text) in tests {
        out.push((path.clone(), for_test_file(analysis, path, text, state)));
    }
    out
}

/// One finding as a protocol diagnostic.
pub(crate) fn of_finding(lines: &Lines, f: &Finding) -> Diagnostic {
    let mut message = f.message.clone();
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    Diagnostic {
        range: lines.range(f.span.start as usize, f.span.end as usize),
        severity: Some(severity(f.severity)),
        code: Some(NumberOrString::String(f.code.to_string())),
        code_description: code_link(f.code),
        source: Some("guifan".into()),
        message,
        ..Default::default()
    }
}

fn with_related(analysis: &Analysis, mut d: Diagnostic, f: &Finding) -> Diagnostic {
    let related: Vec<DiagnosticRelatedInformation> = f
        .related
        .iter()
        .filter_map(|(path, span, message)| {
            let text = analysis.text(path)?;
            let lines = Lines::new(text);
            Some(DiagnosticRelatedInformation {
                location: Location {
                    uri: uri_of(path)?,
                    range: lines.range(span.start as usize, span.end as usize),
                },
                message: message.clone(),
            })
        })
        .collect();
    if !related.is_empty() {
        d.related_information = Some(related);
    }
    d
}

fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        _ => DiagnosticSeverity::INFORMATION,
    }
}

/// The link to a code's row of docs/diagnostics.md (the one SARIF gives too).
fn code_link(code: &str) -> Option<CodeDescription> {
    let href: Uri = guifan::report::help_uri(code).parse().ok()?;
    Some(CodeDescription { href })
}

/// A test file's problems: those reading it against the rules finds, and
/// the failures of its last run; nothing while the rules do not check.
fn for_test_file(
    analysis: &Analysis,
    path: &Path,
    text: &str,
    state: &Workspace,
) -> Vec<Diagnostic> {
    let Some(rules) = analysis.rules() else {
        return Vec::new();
    };
    let spec = guifan::testing::file::read(rules.program(), text);
    let mut out: Vec<Diagnostic> = spec
        .problems
        .iter()
        .map(|p| line_diagnostic(text, p.line, "guifan::test::invalid", &p.message))
        .collect();
    if let Some(run) = state.test_runs.get(path) {
        let policy = tested_policy(text).unwrap_or_default();
        for (line, why) in &run.failures {
            let message = format!("test of `{policy}` failed: {why}");
            out.push(line_diagnostic(
                text,
                *line,
                "guifan::test::failed",
                &message,
            ));
        }
    }
    out
}

/// A diagnostic over a whole 1-based line.
fn line_diagnostic(text: &str, line: usize, code: &str, message: &str) -> Diagnostic {
    let row = u32::try_from(line.saturating_sub(1)).unwrap_or(u32::MAX);
    let width = text
        .lines()
        .nth(row as usize)
        .map_or(0, |l| l.encode_utf16().count());
    Diagnostic {
        range: Range::new(
            Position::new(row, 0),
            Position::new(row, u32::try_from(width).unwrap_or(u32::MAX)),
        ),
        severity: Some(DiagnosticSeverity::ERROR),
        code: Some(NumberOrString::String(code.to_string())),
        code_description: code_link(code),
        source: Some("guifan".into()),
        message: message.to_string(),
        ..Default::default()
    }
}
