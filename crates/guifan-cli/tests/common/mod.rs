//! Helpers shared by the runner's integration tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "test helpers: each test binary uses a subset, and failures are loud"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `guifan run --quiet` of the bundled rules on a data file at `at`.
pub fn run_bundled(data: &Path, at: &str) -> Output {
    guifan(&[
        "run",
        "--rules",
        root().join("rules").to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--at",
        at,
        "--quiet",
    ])
}

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bundled `rules/`, loaded and checked once per test binary.
pub fn bundled_rules() -> &'static guifan::RuleSet {
    static RULES: std::sync::OnceLock<guifan::RuleSet> = std::sync::OnceLock::new();
    RULES.get_or_init(|| {
        guifan::RuleSet::from_dir(root().join("rules"))
            .unwrap_or_else(|e| panic!("rules/ must check: {e:?}"))
    })
}

/// Runs the `guifan` binary from the workspace root.
pub fn guifan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guifan"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("guifan runs")
}

/// Runs the `guifan` binary in `dir`.
pub fn guifan_in(dir: &Path, args: &[&str]) -> Output {
    guifan_in_with(dir, args, "")
}

/// Runs the `guifan` binary in `dir` with `input` on standard input.
pub fn guifan_in_with(dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_guifan"))
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("guifan runs");
    let mut stdin = child.stdin.take().expect("stdin");
    // A command that does not read its input closes the pipe early.
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    child.wait_with_output().expect("guifan runs")
}

/// Runs `guifan` with standard input.
pub fn guifan_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_guifan"))
        .args(args)
        .current_dir(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("guifan starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("written");
    child.wait_with_output().expect("guifan runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A Douyin trial merchant record (one JSON line) with `listings` online.
pub fn merchant(id: &str, listings: u32) -> String {
    format!(
        r#"{{"kind":"merchant","id":"{id}","platform":"douyin","currency":"CNY","store_type":"personal","trial":{{"active":true,"ended_at":null}},"deposit":{{"balance":"0.00","required":"2000.00"}},"goods_balance":"3000.00","listings_online":{listings},"selling_channels":["shelf"],"marketing":{{"platform_campaigns":[],"affiliate_alliance":false,"platform_subsidy":false}},"paid_orders":{{"count":20,"total":"900.00"}},"violations":{{"general":0,"severe":0,"orders":0}},"creator_deductions":[],"withdrawals":[]}}"#
    )
}

/// The rule files under a directory as (path, text) pairs, for `load_texts`.
pub fn rule_texts(dir: &std::path::Path) -> Vec<(PathBuf, String)> {
    guifan::rule_files(dir)
        .unwrap()
        .into_iter()
        .map(|p| {
            let t = std::fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .collect()
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// A validator of the SARIF 2.1.0 schema the repository keeps (`tests/`).
pub fn sarif_validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    jsonschema::options()
        .should_validate_formats(false)
        .build(&schema)
        .unwrap()
}
