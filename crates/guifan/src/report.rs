//! Reporting problems: every problem becomes one [`Diagnostic`], rendered for
//! people (miette, with source lines), for machines (JSON, SARIF 2.1.0) or as
//! GitHub Actions annotations.

use std::fmt;

use guifan_syntax::diagnostic::CODES;
pub use guifan_syntax::diagnostic::{At, Diagnostic, Label, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use serde::Serialize;
use serde_sarif::sarif;

use crate::sources::SourceMap;

/// How problems are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// Source lines with the problem underlined, and advice
    Human,
    /// One JSON array of problems
    Json,
    /// SARIF 2.1.0, for code-scanning tools
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...::message`)
    Github,
}

/// A load that failed, as diagnostics (file errors included, so that every
/// format reports them), with the files they point into.
pub fn load_error_diagnostics(e: &crate::LoadError) -> (Vec<Diagnostic>, SourceMap) {
    e.diagnostics()
}

/// A problem of deciding records as a diagnostic: a record that does not fit
/// its kind (at its line and field path in the data), or a rule that failed
/// on a record (at the rule's expression, naming the record).
pub fn run_problem(problem: &crate::RunProblem, data_name: &str) -> Diagnostic {
    match problem {
        crate::RunProblem::Record(e) => {
            let id = e
                .id()
                .map(|i| format!("record `{i}`: "))
                .unwrap_or_default();
            Diagnostic::new(
                "guifan::data::invalid",
                format!("{id}{e}"),
                Label {
                    at: At::Line {
                        file: data_name.to_string(),
                        line: e.line().unwrap_or(0),
                        field: (!e.path().is_empty()).then(|| e.path().to_string()),
                    },
                    message: None,
                },
            )
        }
        crate::RunProblem::Rule(f) => {
            let rule = &f.failure;
            let message = format!(
                "rule `{}` failed on record `{}` ({data_name}:{}): {}",
                rule.rule(),
                f.id,
                f.line,
                rule.message()
            );
            let at = match rule.at {
                Some((id, span)) => At::Source(id, span),
                None => At::File(rule.file.clone()),
            };
            Diagnostic::new(
                rule.code(),
                message,
                Label {
                    at,
                    message: Some("while evaluating this".to_string()),
                },
            )
        }
    }
}

/// A problem on one line, and its advice on the next, as compilers print
/// them: `file:line:col: error[code]: message` (the `Display` of
/// [`crate::Problem`]).
pub fn short(d: &Diagnostic, sources: &SourceMap) -> String {
    let p = place(&d.primary.at, sources);
    short_at(d, &p.file, p.line, p.column)
}

/// [`short`] of a diagnostic already placed at `file:line:column`.
pub(crate) fn short_at(d: &Diagnostic, file: &str, line: usize, column: usize) -> String {
    let mut out = format!(
        "{}:{}:{}: {}[{}]: {}",
        file,
        line,
        column,
        if d.severity == Severity::Error {
            "error"
        } else {
            "warning"
        },
        d.code,
        d.message
    );
    if let Some(h) = &d.help {
        out.push_str(&format!("\n  help: {}", h.replace('\n', "\n        ")));
    }
    out
}

/// Renders diagnostics for people, laid out for a terminal `width` columns
/// wide (at least 40).
pub fn render_human(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    color: bool,
    width: usize,
) -> String {
    diagnostics
        .iter()
        .map(|d| human_in(d, sources, width.max(40), color))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders diagnostics in `format`; `color` only for human output to a terminal.
pub fn render(
    format: ReportFormat,
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    color: bool,
) -> String {
    match format {
        ReportFormat::Human => render_human(diagnostics, sources, color, HUMAN_WIDTH),
        ReportFormat::Json => {
            let all: Vec<JsonDiagnostic> = diagnostics.iter().map(|d| json(d, sources)).collect();
            let mut out = serde_json::to_string_pretty(&all).unwrap_or_else(|_| "[]".into());
            out.push('\n');
            out
        }
        ReportFormat::Sarif => {
            let mut out =
                serde_json::to_string_pretty(&sarif_log(diagnostics, sources)).unwrap_or_default();
            out.push('\n');
            out
        }
        ReportFormat::Github => diagnostics.iter().map(|d| github(d, sources)).collect(),
    }
}

/// A place as a file name, line and column (1-based) and end line and column.
struct Place {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    field: Option<String>,
}

/// A place for people: columns in characters.
fn place(at: &At, sources: &SourceMap) -> Place {
    place_in(at, sources, SourceMap::line_col)
}

/// A place for machines (JSON, SARIF, GitHub): columns in UTF-16 code
/// units, as GitHub and editors count them.
fn machine_place(at: &At, sources: &SourceMap) -> Place {
    place_in(at, sources, SourceMap::line_col_utf16)
}

fn place_in(
    at: &At,
    sources: &SourceMap,
    line_col: fn(&SourceMap, guifan_syntax::SourceId, usize) -> (usize, usize),
) -> Place {
    match at {
        At::Source(id, span) => {
            let (line, column) = line_col(sources, *id, span.start as usize);
            let (end_line, end_column) = line_col(sources, *id, span.end as usize);
            Place {
                file: sources
                    .path(*id)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                line,
                column,
                end_line,
                end_column,
                field: None,
            }
        }
        At::Line { file, line, field } => Place {
            file: file.clone(),
            line: *line,
            column: 1,
            end_line: *line,
            end_column: 1,
            field: field.clone(),
        },
        At::File(file) => Place {
            file: file.clone(),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            field: None,
        },
    }
}

// ------------------------------------------------------------------ human

/// A diagnostic as miette sees it: labels in its primary file.
struct View<'a> {
    d: &'a Diagnostic,
    id: guifan_syntax::SourceId,
    /// Advice, with the places in other files that the labels cannot show
    help: Option<String>,
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.d.message)
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.d.message)
    }
}

impl std::error::Error for View<'_> {}

impl miette::Diagnostic for View<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.d.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let labels = std::iter::once(&self.d.primary)
            .chain(&self.d.secondary)
            .filter_map(|l| match l.at {
                At::Source(id, span) if id == self.id => Some(LabeledSpan::new_with_span(
                    Some(l.message.clone().unwrap_or_else(|| "here".into())),
                    span,
                )),
                _ => None,
            });
        Some(Box::new(labels))
    }
}

/// One diagnostic for people: the source line underlined (when it is in a
/// loaded file), advice, and where related places in other files are.
pub fn human(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    human_in(d, sources, HUMAN_WIDTH, color)
}

/// The width diagnostics for people are laid out in.
pub const HUMAN_WIDTH: usize = 100;

/// [`human`], laid out in `width` columns.
pub fn human_in(d: &Diagnostic, sources: &SourceMap, width: usize, color: bool) -> String {
    let elsewhere: Vec<String> = d
        .secondary
        .iter()
        .filter(|l| match (&l.at, &d.primary.at) {
            (At::Source(a, _), At::Source(b, _)) => a != b,
            _ => true,
        })
        .map(|l| {
            let p = place(&l.at, sources);
            format!(
                "{}: {}:{}:{}",
                l.message.as_deref().unwrap_or("see"),
                p.file,
                p.line,
                p.column
            )
        })
        .collect();
    let help = match (&d.help, elsewhere.is_empty()) {
        (h, true) => h.clone(),
        (Some(h), false) => Some(format!("{h}\n{}", elsewhere.join("\n"))),
        (None, false) => Some(elsewhere.join("\n")),
    };
    let Some((id, _)) = d.source_span() else {
        let p = place(&d.primary.at, sources);
        let field = p
            .field
            .map(|f| format!(" (field `{f}`)"))
            .unwrap_or_default();
        let mut out = format!(
            "{}[{}]: {}\n  --> {}:{}{field}\n",
            d.severity.word(),
            d.code,
            crate::clip::printable(&d.message),
            crate::clip::printable(&p.file),
            p.line
        );
        if let Some(h) = &help {
            out.push_str(&format!("  help: {}\n", crate::clip::printable(h)));
        }
        out.push('\n');
        return out;
    };
    let view = View { d, id, help };
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(width);
    let name = sources
        .path(id)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "<unknown>".into());
    let text = sources.text(id).map(|t| &**t).unwrap_or("");
    let shown = crate::clip::Shown::new(&view, &name, text);
    let mut out = String::new();
    if handler.render_report(&mut out, &shown).is_err() {
        out = format!("{shown}\n");
    }
    out
}

// ------------------------------------------------------------------ JSON

/// A diagnostic as a JSON object.
#[derive(Serialize)]
pub struct JsonDiagnostic {
    /// The file
    pub file: String,
    /// 1-based line
    pub line: usize,
    /// 1-based column
    pub column: usize,
    /// Line where the problem ends
    pub end_line: usize,
    /// Column where the problem ends
    pub end_column: usize,
    /// The field path inside a data record, when the problem is in data
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Stable code (`guifan::check::unknown_field`)
    pub code: &'static str,
    /// `error`, `warning` or `note`
    pub severity: &'static str,
    /// What is wrong
    pub message: String,
    /// What to do about it
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Other places that explain it
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<JsonRelated>,
}

/// A related place in JSON output.
#[derive(Serialize)]
pub struct JsonRelated {
    /// The file
    pub file: String,
    /// 1-based line
    pub line: usize,
    /// 1-based column
    pub column: usize,
    /// What is there
    pub message: String,
}

/// One diagnostic as a JSON object.
pub fn json(d: &Diagnostic, sources: &SourceMap) -> JsonDiagnostic {
    let p = machine_place(&d.primary.at, sources);
    JsonDiagnostic {
        file: p.file,
        line: p.line,
        column: p.column,
        end_line: p.end_line,
        end_column: p.end_column,
        field: p.field,
        code: d.code,
        severity: d.severity.word(),
        message: d.message.clone(),
        help: d.help.clone(),
        related: d
            .secondary
            .iter()
            .map(|l| {
                let r = machine_place(&l.at, sources);
                JsonRelated {
                    file: r.file,
                    line: r.line,
                    column: r.column,
                    message: l.message.clone().unwrap_or_default(),
                }
            })
            .collect(),
    }
}

// ------------------------------------------------------------------ SARIF

fn sarif_location(l: &Label, sources: &SourceMap) -> sarif::Location {
    let p = machine_place(&l.at, sources);
    let region = sarif::Region::builder()
        .start_line(p.line as i64)
        .start_column(p.column as i64)
        .end_line(p.end_line as i64)
        .end_column(p.end_column as i64)
        .build();
    let physical = sarif::PhysicalLocation::builder()
        .artifact_location(sarif::ArtifactLocation::builder().uri(uri(&p.file)).build())
        .region(region)
        .build();
    match &l.message {
        Some(m) => sarif::Location::builder()
            .physical_location(physical)
            .message(sarif::Message::builder().text(m.clone()).build())
            .build(),
        None => sarif::Location::builder()
            .physical_location(physical)
            .build(),
    }
}

/// A relative file path as a URI reference (forward slashes).
fn uri(path: &str) -> String {
    path.replace('\\', "/")
}

/// A SARIF 2.1.0 log of one run of Guifan.
pub fn sarif_log(diagnostics: &[Diagnostic], sources: &SourceMap) -> sarif::Sarif {
    // The rules are the registry's codes this run reports, in registry order.
    let used: Vec<&guifan_syntax::diagnostic::Code> = CODES
        .iter()
        .filter(|c| diagnostics.iter().any(|d| d.code == c.code))
        .collect();
    let rules: Vec<sarif::ReportingDescriptor> = used
        .iter()
        .map(|c| {
            let level = match c.severity {
                Severity::Error => sarif::ResultLevel::Error,
                Severity::Warning => sarif::ResultLevel::Warning,
                Severity::Note => sarif::ResultLevel::Note,
            };
            let uri = help_uri(c.code);
            let full = format!("{} ({}: `{}`)", c.summary, c.severity.word(), c.code);
            sarif::ReportingDescriptor::builder()
                .id(c.code)
                .name(c.code.rsplit("::").next().unwrap_or(c.code))
                .short_description(
                    sarif::MultiformatMessageString::builder()
                        .text(c.summary)
                        .build(),
                )
                .full_description(
                    sarif::MultiformatMessageString::builder()
                        .text(&full)
                        .build(),
                )
                .help(
                    sarif::MultiformatMessageString::builder()
                        .text(format!("{full}. See {uri}"))
                        .markdown(format!("{full}. See [the diagnostics reference]({uri})."))
                        .build(),
                )
                .help_uri(uri)
                .default_configuration(
                    sarif::ReportingConfiguration::builder()
                        .level(serde_json::json!(level))
                        .build(),
                )
                .build()
        })
        .collect();
    let results: Vec<sarif::Result> = diagnostics
        .iter()
        .map(|d| {
            let level = match d.severity {
                Severity::Error => sarif::ResultLevel::Error,
                Severity::Warning => sarif::ResultLevel::Warning,
                Severity::Note => sarif::ResultLevel::Note,
            };
            let text = match &d.help {
                Some(h) => format!("{}\n{h}", d.message),
                None => d.message.clone(),
            };
            let index = used.iter().position(|c| c.code == d.code).unwrap_or(0);
            let related: Vec<sarif::Location> = d
                .secondary
                .iter()
                .map(|l| sarif_location(l, sources))
                .collect();
            let builder = sarif::Result::builder()
                .rule_id(d.code)
                .rule_index(index as i64)
                .level(level)
                .message(sarif::Message::builder().text(text).build())
                .locations(vec![sarif_location(&d.primary, sources)]);
            if related.is_empty() {
                builder.build()
            } else {
                builder.related_locations(related).build()
            }
        })
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("guifan")
        .version(env!("CARGO_PKG_VERSION"))
        .information_uri(env!("CARGO_PKG_REPOSITORY"))
        .rules(rules)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .build();
    sarif::Sarif::builder()
        .version(sarif::Version::V2_1_0.to_string())
        .schema(sarif::SCHEMA_URL)
        .runs(vec![run])
        .build()
}

/// Where a code is documented: its row of `docs/diagnostics.md`, whose
/// anchor is the code with `-` for `::` (`#guifan-check-unknown_field`).
///
/// ```
/// use guifan::report::help_uri;
/// let uri = help_uri("guifan::check::unknown_field");
/// assert!(uri.starts_with("https://"), "an absolute address: {uri}");
/// assert!(uri.ends_with("/docs/diagnostics.md#guifan-check-unknown_field"));
/// ```
pub fn help_uri(code: &str) -> String {
    format!(
        "{}/blob/main/docs/diagnostics.md#{}",
        env!("CARGO_PKG_REPOSITORY"),
        code.replace("::", "-")
    )
}

// ------------------------------------------------------------------ GitHub

/// A GitHub Actions workflow command, one line: `::error file=...,line=...::message`.
fn github(d: &Diagnostic, sources: &SourceMap) -> String {
    let p = machine_place(&d.primary.at, sources);
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let mut message = d.message.clone();
    if let Some(h) = &d.help {
        message.push('\n');
        message.push_str(h);
    }
    format!(
        "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
        escape_property(&p.file),
        p.line,
        p.column,
        p.end_line,
        p.end_column,
        escape_property(d.code),
        escape_data(&message)
    )
}

/// Escapes a workflow command's message (`%`, CR, LF).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_what_github_reads_as_syntax() {
        assert_eq!(escape_data("50%\na"), "50%25%0Aa");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}

// ------------------------------------------------------------------ run problems

/// A problem of deciding records as one line for people on a terminal:
/// `error: data.jsonl:3 (record `m-1`): ...`, with every character from the
/// data or the rule files that could move the cursor made visible.
pub fn run_problem_line(problem: &crate::RunProblem, data_name: &str) -> String {
    use crate::clip::{one_line, printable};
    let name = printable(data_name);
    match problem {
        crate::RunProblem::Record(e) => {
            let id = e
                .id()
                .map(|i| format!(" (record `{}`)", one_line(i)))
                .unwrap_or_default();
            format!(
                "error: {name}:{}{id}: {} [guifan::data::invalid]",
                e.line().unwrap_or(0),
                one_line(&e.to_string())
            )
        }
        crate::RunProblem::Rule(f) => {
            let rule = &f.failure;
            format!(
                "error: {name}:{} (record `{}`): rule `{}` failed: {} [{}] at {}:{}:{}",
                f.line,
                one_line(&f.id),
                rule.rule(),
                printable(rule.message()),
                rule.code(),
                printable(&rule.file),
                rule.line,
                rule.column
            )
        }
    }
}

// ------------------------------------------------------------------ JUnit

/// One test case of a JUnit report.
#[derive(Clone, Debug, Default)]
pub struct JunitCase {
    /// Its name
    pub name: String,
    /// The line of the file where it is written (0: the file itself)
    pub line: usize,
    /// Why it failed, if it did
    pub failure: Option<String>,
}

/// One test suite (a test file) of a JUnit report.
#[derive(Clone, Debug, Default)]
pub struct JunitSuite {
    /// The file
    pub file: String,
    /// Its cases (problems of the file itself as failed cases named after them)
    pub cases: Vec<JunitCase>,
    /// Cases filtered out
    pub skipped: usize,
}

/// Text for XML 1.0: escaped, and the characters it cannot carry at all
/// (controls other than tab, newline and carriage return) written as `\u{..}`.
fn xml_text(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    for c in text.chars() {
        let allowed =
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}');
        if allowed {
            kept.push(c);
        } else {
            kept.push_str(&format!("\\u{{{:X}}}", c as u32));
        }
    }
    quick_xml::escape::escape(kept.as_str()).into_owned()
}

/// Test results as JUnit XML, for CI dashboards: a suite per test file, a
/// case per test case.
pub fn junit(suites: &[JunitSuite]) -> String {
    let escape = xml_text;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for suite in suites {
        let file = escape(&suite.file);
        let failures = suite.cases.iter().filter(|c| c.failure.is_some()).count();
        out.push_str(&format!(
            "  <testsuite name=\"{file}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{}\">\n",
            suite.cases.len(),
            suite.skipped
        ));
        for c in &suite.cases {
            let name = escape(&c.name);
            if c.line > 0 {
                out.push_str(&format!(
                    "    <testcase name=\"{name}\" classname=\"{file}\" file=\"{file}\" line=\"{}\"",
                    c.line
                ));
            } else {
                out.push_str(&format!(
                    "    <testcase name=\"{name}\" classname=\"{file}\""
                ));
            }
            match &c.failure {
                None => out.push_str("/>\n"),
                Some(f) => out.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    escape(f.lines().next().unwrap_or("")),
                    escape(f)
                )),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
