//! The "Run tests" lens over each policy that has a test file, and running
//! a test file for it: the lens then shows how the last run went, and the
//! test file's diagnostics its failures, at their cases.

use std::path::Path;

use guifan::analysis::{Analysis, SymbolKind};
use tower_lsp_server::ls_types::{CodeLens, Command};

use crate::convert::Lines;
use crate::workspace::{tested_policy, Explained, TestRun, Workspace};

/// The command that runs a policy's tests (`arguments`: the test file's path).
pub const RUN_TESTS: &str = "guifan.runTests";

/// The command that explains a rule on each case of its policy's test file
/// (`arguments`: the test file's path, the rule's ID).
pub const EXPLAIN: &str = "guifan.explain";

/// Why a test file could not be run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    /// The rules have errors
    #[error("the rules have errors: fix them first")]
    RulesDoNotCheck,
}

/// The lenses of a rule file: one "Run tests" per policy some test file tests.
pub(crate) fn for_file(analysis: &Analysis, path: &Path, state: &Workspace) -> Vec<CodeLens> {
    let Some(text) = analysis.text(path) else {
        return Vec::new();
    };
    let lines = Lines::new(text);
    let root = state.root_of(path);
    let tests = state.test_texts(&root);
    let mut out = Vec::new();
    for symbol in analysis.symbols(path) {
        if symbol.kind != SymbolKind::Policy {
            continue;
        }
        for (test_path, test_text) in &tests {
            if tested_policy(test_text).as_deref() != Some(symbol.name.as_str()) {
                continue;
            }
            for rule in symbol
                .children
                .iter()
                .filter(|c| c.kind == SymbolKind::Rule)
            {
                let id = format!("{}.{}", symbol.name, rule.name);
                let title = match state.explained.get(&id) {
                    None => "Explain on the test cases".to_string(),
                    Some(e) => format!(
                        "Explained: fired on {} of {} cases (hover the name)",
                        e.fired, e.cases
                    ),
                };
                out.push(CodeLens {
                    range: lines.range(rule.name_span.start as usize, rule.name_span.end as usize),
                    command: Some(Command {
                        title,
                        command: EXPLAIN.into(),
                        arguments: Some(vec![
                            serde_json::Value::String(test_path.display().to_string()),
                            serde_json::Value::String(id),
                        ]),
                    }),
                    data: None,
                });
            }
            let name = test_path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let title = match state.test_runs.get(test_path) {
                None => format!("▶ Run tests ({name})"),
                Some(run) if run.failures.is_empty() => {
                    format!("✓ {} passed — run again ({name})", run.passed)
                }
                Some(run) => format!(
                    "✗ {} of {} failed — run again ({name})",
                    run.failures.len(),
                    run.passed + run.failures.len()
                ),
            };
            out.push(CodeLens {
                range: lines.range(
                    symbol.name_span.start as usize,
                    symbol.name_span.end as usize,
                ),
                command: Some(Command {
                    title,
                    command: RUN_TESTS.into(),
                    arguments: Some(vec![serde_json::Value::String(
                        test_path.display().to_string(),
                    )]),
                }),
                data: None,
            });
        }
    }
    out
}

/// Explains one rule on each single-record case of a test file: how the
/// rule went, with each comparison's values and its distance to flipping.
pub(crate) fn explain(analysis: &Analysis, text: &str, rule: &str) -> Result<Explained, RunError> {
    let rules = analysis.rules().ok_or(RunError::RulesDoNotCheck)?;
    let policy = rule.rsplit_once('.').map_or(rule, |(p, _)| p);
    let mut out = Explained {
        fired: 0,
        cases: 0,
        markdown: String::new(),
    };
    for case in guifan::testing::case_inputs(rules, text) {
        let section = match (&case.records, guifan::parse_time(&case.at)) {
            (Ok(records), Ok(at)) if records.len() == 1 => {
                let json = records.first().map_or("", String::as_str);
                match rules.explain(json.as_bytes(), at) {
                    Ok(mut e) => {
                        e.policies.retain(|p| p.policy == policy);
                        for p in &mut e.policies {
                            p.rules.retain(|r| r.rule == rule);
                        }
                        let status = e
                            .policies
                            .iter()
                            .flat_map(|p| &p.rules)
                            .map(|r| r.status)
                            .next()
                            .unwrap_or("not applicable");
                        out.cases += 1;
                        if status == "fired" {
                            out.fired += 1;
                        }
                        let shown = guifan::explain::human(&e, false);
                        format!(
                            "**{}** (line {}): {status}\n```text\n{}```\n",
                            case.name, case.line, shown
                        )
                    }
                    Err(e) => format!("**{}** (line {}): {e}\n", case.name, case.line),
                }
            }
            (Ok(_), Ok(_)) => continue,
            (Err(e), _) => format!("**{}** (line {}): {e}\n", case.name, case.line),
            (_, Err(e)) => format!("**{}** (line {}): {e}\n", case.name, case.line),
        };
        out.markdown.push_str(&section);
        out.markdown.push('\n');
    }
    Ok(out)
}

/// Runs a test file against the analysed rules.
pub(crate) fn run_tests(analysis: &Analysis, text: &str) -> Result<TestRun, RunError> {
    let rules = analysis.rules().ok_or(RunError::RulesDoNotCheck)?;
    let report = guifan::testing::run_test_file(rules, text);
    Ok(TestRun {
        passed: report.passed,
        failures: report
            .failures
            .iter()
            .map(|f| (f.line.max(1), format!("{}: {}", f.case, f.message)))
            .collect(),
    })
}
