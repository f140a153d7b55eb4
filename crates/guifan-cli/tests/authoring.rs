//! The authoring tools end to end: `check` on single policies and broken
//! copies of `rules/` in every report format (SARIF validated against the
//! published 2.1.0 schema), lints with `--deny-warnings`, and `fmt`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests and benchmarks fail loudly"
)]

mod common;

use common::guifan_in;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{guifan, guifan_stdin, root, stderr, stdout};

/// A copy of `rules/` in a temporary directory.
fn rules_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("rules");
    common::copy_dir(&root().join("rules"), &target);
    (dir, target)
}

/// Breaks a copy of `rules/`: a syntax error in one rule of one file, and a
/// misspelt field in another rule of the same file and in another file.
fn broken_rules() -> (tempfile::TempDir, PathBuf) {
    let (dir, rules) = rules_copy();
    let trial = rules.join("douyin/zero_deposit_trial.policy");
    let text = std::fs::read_to_string(&trial).unwrap();
    let text = text
        .replacen(
            "when trial.active and listings_online > listing_cap",
            "when trial.active and listings_online >",
            1,
        )
        .replacen("deposit.balance < 0 CNY", "deposit.balanse < 0 CNY", 1);
    std::fs::write(&trial, text).unwrap();
    let presale = rules.join("wechat_channels/presale.policy");
    let text = std::fs::read_to_string(&presale).unwrap();
    let text = text.replacen("subject ", "subject  ", 1);
    let text = text.replacen("[min_ship_days", "[min_ship_dayz", 1);
    std::fs::write(&presale, text).unwrap();
    (dir, rules)
}

#[test]
fn one_policy_checks_against_the_shared_schema() {
    for path in ["rules/douyin/zero_deposit_trial.policy", "rules/douyin"] {
        let out = guifan(&["check", "--deny-warnings", path]);
        assert_eq!(out.status.code(), Some(0), "{path}: {}", stderr(&out));
        assert!(stderr(&out).contains("ok:"), "{}", stderr(&out));
    }
    // From inside the rules directory, and with the schema named.
    let out = guifan_in(
        &root().join("rules/douyin"),
        &["check", "zero_deposit_trial.policy"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = guifan(&[
        "check",
        "--schema",
        "rules/schema",
        "rules/kuaishou/report_escalation.policy",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A path that does not exist is a usage error, in every format.
    let out = guifan(&["check", "--format", "json", "rules/nowhere.policy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains("guifan::io::unreadable"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_broken_copy_reports_every_problem_in_one_run() {
    let (dir, _) = broken_rules();
    let out = guifan_in(dir.path(), &["check", "rules"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    for expected in [
        "guifan::parse::syntax",
        "unknown field `balanse` on `merchant.deposit`",
        "unknown field `min_ship_dayz`",
        "3 problems in rule files",
    ] {
        assert!(err.contains(expected), "{expected}:\n{err}");
    }
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let validator = common::sarif_validator();
    let (dir, _) = broken_rules();
    let out = guifan_in(dir.path(), &["check", "--format", "sarif", "rules"]);
    assert_eq!(out.status.code(), Some(3));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{log:#}");
    assert!(results.iter().all(|r| r["level"] == "error"));
    let first = &results[0]["locations"][0]["physicalLocation"];
    assert!(first["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .ends_with(".policy"));
    assert!(first["region"]["startLine"].as_i64().unwrap() > 1);
    // Warnings too, and a file that cannot be read: still valid SARIF.
    let out = guifan(&["check", "--format", "sarif", "rules/nowhere"]);
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(validator.is_valid(&log), "{log:#}");
    // A schema violation is caught: the test can fail.
    let mut bad = log.clone();
    bad["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(!validator.is_valid(&bad));
}

#[test]
fn github_output_is_one_workflow_command_per_problem() {
    let (dir, _) = broken_rules();
    let out = guifan_in(dir.path(), &["check", "--format", "github", "rules"]);
    assert_eq!(out.status.code(), Some(3));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for line in &lines {
        assert!(line.starts_with("::error file=rules/"), "{line}");
        assert!(line.contains(",line=") && line.contains(",col="), "{line}");
        assert!(line.contains("title=guifan%3A%3A"), "{line}");
    }
}

#[test]
fn warnings_fail_only_with_deny_warnings_and_speak_every_format() {
    let (dir, rules) = rules_copy();
    let path = rules.join("jd/scheduled_delivery.policy");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replacen("  rule ", "  param spare: int = 1\n\n  rule ", 1);
    std::fs::write(&path, text).unwrap();
    let out = guifan_in(dir.path(), &["check", "rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("guifan::lint::unused_param"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("1 warning"), "{}", stderr(&out));
    let out = guifan_in(dir.path(), &["check", "--deny-warnings", "rules"]);
    assert_eq!(out.status.code(), Some(3));
    let out = guifan_in(dir.path(), &["check", "--format", "json", "rules"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["severity"], "warning");
    assert_eq!(json[0]["code"], "guifan::lint::unused_param");
    let out = guifan_in(dir.path(), &["check", "--format", "github", "rules"]);
    assert!(
        stdout(&out).starts_with("::warning file="),
        "{}",
        stdout(&out)
    );
}

#[test]
fn fmt_check_lists_unformatted_files_and_fmt_restores_the_layout() {
    let (dir, rules) = rules_copy();
    let out = guifan_in(dir.path(), &["fmt", "--check", "rules"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "rules/ is formatted: {}",
        stdout(&out)
    );
    // Destroy the layout of one policy: indentation, spacing, line breaks.
    let path = rules.join("kuaishou/report_escalation.policy");
    let original = std::fs::read_to_string(&path).unwrap();
    let destroyed: String = original
        .lines()
        .map(|l| {
            let l = l.trim_start();
            if l.starts_with("param") {
                format!(
                    "{}\n",
                    l.replace(": ", ":").replace(" = ", "=").replace("  ", " ")
                )
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_ne!(destroyed, original);
    std::fs::write(&path, &destroyed).unwrap();
    let out = guifan_in(dir.path(), &["fmt", "--check", "rules"]);
    assert_eq!(out.status.code(), Some(1));
    let listed = stdout(&out);
    assert!(
        listed.contains("Diff in rules/kuaishou/report_escalation.policy"),
        "{listed}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        destroyed,
        "--check changes nothing"
    );
    let out = guifan_in(dir.path(), &["fmt", "rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    // Standard input to standard output.
    let out = guifan_stdin(&["fmt", "-"], &destroyed);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), original);
    // A file that does not parse is reported and left alone.
    let out = guifan_stdin(&["fmt", "-"], "policy a.b { rule }");
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("guifan::parse::syntax"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn run_reports_record_problems_in_every_format() {
    let bad = common::merchant("m-2", 40)
        .replace(r#""listings_online":40"#, r#""listings_online":"many""#);
    let input = format!("{}\n{bad}\n", common::merchant("m-1", 40));
    let at = "2023-04-20T12:00:00+08:00";
    let out = guifan_stdin(
        &[
            "run",
            "--data",
            "-",
            "--at",
            at,
            "--report-format",
            "github",
        ],
        &input,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.lines()
            .any(|l| l.starts_with("::error file=<stdin>,line=2,")
                && l.contains("at `listings_online`: expected an int")),
        "{err}"
    );
    assert_eq!(
        stdout(&out).lines().count(),
        1,
        "the good record is decided"
    );
    let out = guifan_stdin(
        &["run", "--data", "-", "--at", at, "--report-format", "json"],
        &input,
    );
    let first: serde_json::Value =
        serde_json::from_str(stderr(&out).lines().next().unwrap()).unwrap();
    assert_eq!(first["code"], "guifan::data::invalid");
    assert_eq!(first["field"], "listings_online");
    assert_eq!(first["line"], 2);
    let out = guifan_stdin(
        &[
            "run",
            "--data",
            "-",
            "--at",
            at,
            "--report-format",
            "sarif",
            "--quiet",
        ],
        &input,
    );
    let log: serde_json::Value = serde_json::from_str(&stderr(&out)).unwrap();
    let validator = common::sarif_validator();
    assert!(validator.is_valid(&log), "{log:#}");
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 1);
}

#[test]
fn test_filters_cases_and_speaks_junit() {
    let out = guifan(&[
        "test",
        "rules/douyin/zero_deposit_trial.test.toml",
        "--filter",
        "100 listings",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("1 passed, 0 failed, 43 filtered out"),
        "{text}"
    );

    let (dir, rules) = rules_copy();
    let tests = rules.join("douyin/zero_deposit_trial.test.toml");
    let original = std::fs::read_to_string(&tests).unwrap();
    // Break one expectation: that case fails, the others pass.
    let broken = original.replacen("expect = {}", "expect = { listing_cap = true }", 1);
    assert_ne!(broken, original);
    std::fs::write(&tests, broken).unwrap();
    let out = guifan_in(
        dir.path(),
        &[
            "test",
            "rules/douyin/zero_deposit_trial.test.toml",
            "--format",
            "junit",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let xml = stdout(&out);
    // Well-formed XML, one test case per case, one failure.
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures) = (0, 0);
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    "testcase" => cases += 1,
                    "failure" => failures += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let written = original.matches("[[case]]").count();
    assert_eq!((cases, failures), (written, 1), "{xml}");
    assert!(
        xml.contains(&format!("tests=\"{written}\" failures=\"1\"")),
        "{xml}"
    );
}

#[test]
fn a_progress_bar_only_on_a_terminal() {
    // One record padded past the size that shows a bar (16 MiB).
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("big.jsonl");
    let record = common::merchant("m-1", 40);
    std::fs::write(&data, format!("{record}{}\n", " ".repeat(17 << 20))).unwrap();
    let args = [
        "run",
        "--data",
        data.to_str().unwrap(),
        "--at",
        "2023-04-20T12:00:00+08:00",
        "--output",
    ];
    let out_file = dir.path().join("out.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_guifan"))
        .args(args)
        .arg(&out_file)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        !err.contains("eta") && !err.contains('\u{1b}'),
        "a bar in a pipe: {err:?}"
    );
    // On a terminal (a pseudo-terminal from `script`, where it exists), the bar shows.
    if Path::new("/usr/bin/script").exists() {
        let typescript = dir.path().join("typescript");
        let command = format!(
            "stty cols 120 rows 40; '{}' {} '{}'",
            env!("CARGO_BIN_EXE_guifan"),
            args.map(|a| format!("'{a}'")).join(" "),
            out_file.display()
        );
        let status = Command::new("/usr/bin/script")
            .args(["-qec", &command])
            .arg(&typescript)
            .current_dir(root())
            .output()
            .unwrap();
        assert!(status.status.success());
        let shown = String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned();
        assert!(shown.contains("eta"), "no bar on a terminal: {shown:?}");
    }
}

#[test]
fn coverage_of_the_catalogue_and_a_missing_case() {
    let out = guifan(&["test", "rules", "--coverage", "--min-coverage", "100"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("rules and versions covered: 100.0%"),
        "{text}"
    );
    assert!(
        text.contains("douyin.zero_deposit_trial") && text.contains("rules 11/11"),
        "{text}"
    );
    let out = guifan(&["test", "rules", "--coverage", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["coverage"]["percent"], 100.0);
    assert_eq!(json["problems"].as_array().unwrap().len(), 0);

    // Without the one case that makes `negative_deposit` fire, coverage falls short.
    let (dir, rules) = rules_copy();
    let tests = rules.join("douyin/zero_deposit_trial.test.toml");
    let original = std::fs::read_to_string(&tests).unwrap();
    let name = "name = \"a deposit one fen below zero is deducted from goods funds and blocks withdrawals\"";
    let start = original.find(name).unwrap();
    let case_start = original[..start].rfind("[[case]]").unwrap();
    let case_end = original[start..]
        .find("[[case]]")
        .map_or(original.len(), |i| start + i);
    let without = format!("{}{}", &original[..case_start], &original[case_end..]);
    std::fs::write(&tests, without).unwrap();
    let out = guifan_in(dir.path(), &["test", "rules", "--min-coverage", "100"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out)
            .contains("not covered: rule never fired: douyin.zero_deposit_trial.negative_deposit"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("below --min-coverage 100"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_coverage_report() {
    let out = guifan(&["test", "rules", "--coverage"]);
    let text = stdout(&out);
    let report = &text[text.find("coverage\n").unwrap()..];
    insta::assert_snapshot!(report);
}
