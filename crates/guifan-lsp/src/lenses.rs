//! The "Run tests" lens over each policy that has a test file, and running
//! a test file for it: the lens then shows how the last run went, and the
//! test file's diagnostics its failures, at their cases.

use std::path::Path;

use guifan::analysis::{Analysis, SymbolKind};
use tower_lsp_server::ls_types::{CodeLens, Command};

use crate::convert::Lines;
use crate::workspace::{tested_policy, TestRun, Workspace};

/// The command that runs a policy's tests (`arguments`: the test file's path).
pub const RUN_TESTS: &str = "guifan.runTests";

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

/// Runs a test file against the analysed rules.
pub(crate) fn run_tests(analysis: &Analysis, text: &str) -> Result<TestRun, RunError> {
    let rules = analysis.rules().ok_or(RunError::RulesDoNotCheck)?;
    let report = guifan_runner::testing::run_test_file(rules, text);
    Ok(TestRun {
        passed: report.passed,
        failures: report
            .failures
            .iter()
            .map(|f| (f.line.max(1), format!("{}: {}", f.case, f.message)))
            .collect(),
    })
}
