//! `examples/ci/guifan.yml` works when copied: every `guifan` command in it
//! runs on this repository (its rules, the bundled sample data, the pinned
//! time) with the arguments as written, and it has what the workflow needs
//! (a cached install, SARIF with a category per file, JUnit, a job summary,
//! a guard for forks, a pinned `--at`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use common::root;

fn workflow() -> String {
    std::fs::read_to_string(root().join("examples/ci/guifan.yml")).unwrap()
}

/// The `guifan ...` commands of the workflow's `run:` scripts, continuation
/// lines joined, redirections and fallbacks cut.
fn commands(text: &str) -> Vec<String> {
    let joined = text.replace("\\\n", " ");
    joined
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("run: ").or(Some(l)))
        .filter(|l| l.starts_with("guifan "))
        .map(|l| {
            let l = l.split(" > ").next().unwrap();
            let l = l.split(" || ").next().unwrap();
            l.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

#[test]
fn every_command_of_the_workflow_runs_here() {
    let text = workflow();
    let at = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("GUIFAN_AT: "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    let found = commands(&text);
    assert!(found.len() >= 7, "{found:?}");
    for command in &found {
        let line = command
            .replace("\"$GUIFAN_AT\"", &at)
            .replace("/tmp/base/rules", "rules")
            .replace(
                "data/sample.jsonl",
                "examples/douyin_zero_deposit_trial.jsonl",
            );
        let args: Vec<&str> = line.split_whitespace().skip(1).collect();
        let out = common::guifan(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "`{line}` fails here:\n{}\n{}",
            common::stdout(&out),
            common::stderr(&out)
        );
    }
}

#[test]
fn the_workflow_has_what_ci_needs() {
    let text = workflow();
    for needed in [
        "security-events: write",
        "checks: write",
        "uses: actions/cache@v4",
        "--rev \"$GUIFAN_REV\"",
        "category: guifan-check",
        "category: guifan-test",
        "report_paths: junit.xml",
        "GITHUB_STEP_SUMMARY",
        "github.event.pull_request.head.repo.full_name == github.repository",
        "--at \"$GUIFAN_AT\"",
    ] {
        assert!(text.contains(needed), "the workflow lacks `{needed}`");
    }
    assert!(
        !text.contains("date -u"),
        "the impact is decided at a pinned time"
    );
    // Every step that writes to the repository's pull request or code
    // scanning is guarded against forks.
    for step in text.split("- name: ").skip(1) {
        if step.contains("upload-sarif")
            || step.contains("gh pr comment")
            || step.contains("action-junit-report")
        {
            assert!(step.contains("SAME_REPO == 'true'"), "unguarded: {step}");
        }
    }
}
