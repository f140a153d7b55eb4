//! One parameter file format on every command: `--params` of check, run,
//! test, explain, diff and serve, each problem reported at its line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use common::{guifan, guifan_stdin, merchant, stderr, stdout};

const AT: &str = "2023-04-20T12:00:00+08:00";

/// Raises the personal listing cap from 100 to 120.
const RAISE: &str = "[douyin.zero_deposit_trial]\npersonal_listing_cap = 120\n";

fn params_file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// How many `listing_cap` decisions `guifan run` makes on 110 listings.
fn listing_caps(out: &std::process::Output) -> usize {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    stdout(out)
        .matches("zero_deposit_trial.listing_cap")
        .count()
}

#[test]
fn every_problem_of_a_parameter_file_is_reported_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = params_file(
        &dir,
        "bad.toml",
        "[\"douyin.zero_deposit_trail\"]\npersonal_listing_cap = 1\n\n[douyin.zero_deposit_trial]\npersonal_listing_cp = 1\nmin_withdrawal = \"x\"\n",
    );
    let out = guifan(&["check", "rules", "--params", &bad, "--format", "github"]);
    assert_eq!(out.status.code(), Some(3));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].contains("line=1,") && lines[0].contains("unknown_policy"));
    assert!(lines[0].ends_with("did you mean `douyin.zero_deposit_trial`?"));
    assert!(lines[1].contains("line=5,") && lines[1].contains("unknown_param"));
    assert!(lines[1].ends_with("did you mean `personal_listing_cap`?"));
    assert!(lines[2].contains("line=6,col=18") && lines[2].contains("params%3A%3Ainvalid"));
    // Not TOML: one problem at its line.
    let broken = params_file(&dir, "broken.toml", "[a.b]\ncap = = 1\n");
    let out = guifan(&["check", "rules", "--params", &broken, "--format", "github"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stdout(&out).contains("line=2,"), "{}", stdout(&out));
    // Unreadable: a usage error.
    let out = guifan(&["check", "rules", "--params", "no/such.toml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn run_explain_and_test_take_the_same_parameter_file() {
    let dir = tempfile::tempdir().unwrap();
    let raise = params_file(&dir, "raise.toml", RAISE);
    let record = merchant("m-110", 110);
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--data", "-", "--at", AT, "--quiet"];
        args.extend_from_slice(extra);
        guifan_stdin(&args, &record)
    };
    assert_eq!(listing_caps(&run(&[])), 1);
    assert_eq!(listing_caps(&run(&["--params", &raise])), 0);

    let explain = |extra: &[&str]| {
        let mut args = vec!["explain", "--data", "-", "--subject", "m-110", "--at", AT];
        args.extend_from_slice(extra);
        let out = guifan_stdin(&args, &record);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    assert!(explain(&[]).contains("(110 vs 100; 10 less to flip)"));
    assert!(explain(&["--params", &raise]).contains("(110 vs 120; 11 more to flip)"));

    // `guifan test --params`: overrides under every file's own; the bundled
    // case that expects the cap of 100 now fails.
    let out = guifan(&["test", "rules/douyin", "--params", &raise]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("FAILED 101 listings is not"));
}

#[test]
fn diff_shows_the_impact_of_a_parameter_change_alone() {
    let dir = tempfile::tempdir().unwrap();
    let raise = params_file(&dir, "raise.toml", RAISE);
    let none = params_file(&dir, "none.toml", "");
    let data = params_file(
        &dir,
        "m.jsonl",
        &format!("{}\n{}\n", merchant("m-110", 110), merchant("m-130", 130)),
    );
    // The same rules before and after; the overrides differ (or not).
    let diff = |extra: &[&str]| {
        let mut args = vec![
            "diff", "--base", "rules", "--rules", "rules", "--data", &data, "--at", AT, "--params",
            &raise,
        ];
        args.extend_from_slice(extra);
        guifan(&args)
    };
    let out = diff(&["--base-params", &none, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rule = &report["rules"][0];
    assert_eq!(rule["rule"], "douyin.zero_deposit_trial.listing_cap");
    // 110 listings are under the raised cap; 130 still over it, with the new cap in the message.
    assert_eq!(
        rule["no_longer_fired"]["subjects"],
        serde_json::json!(["m-110"])
    );
    assert_eq!(rule["changed"]["subjects"], serde_json::json!(["m-130"]));
    // Which part changed, with the first subject's before and after.
    let message = &rule["changed_parts"]["message"];
    assert_eq!(message["count"], 1, "{rule}");
    assert_eq!(message["before"], "在线商品 130 件, 上限 100 件");
    assert_eq!(message["after"], "在线商品 130 件, 上限 120 件");
    assert!(rule["changed_parts"].get("effects").is_none(), "{rule}");
    let human = diff(&["--base-params", &none]);
    assert!(
        stdout(&human)
            .contains("m-130: 在线商品 130 件, 上限 100 件 → 在线商品 130 件, 上限 120 件"),
        "{}",
        stdout(&human)
    );
    assert_eq!(
        human.status.code(),
        Some(0),
        "changes are not failures by default"
    );
    let gated = diff(&["--base-params", &none, "--exit-code"]);
    assert_eq!(gated.status.code(), Some(1), "--exit-code: a change fails");
    // The same overrides on both sides: nothing changes.
    let out = diff(&["--format", "json", "--exit-code"]);
    assert!(!stdout(&out).contains("m-110"), "{}", stdout(&out));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_test_file_sets_parameters_for_itself_and_for_a_case() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&common::root().join("rules"), &dir.path().join("rules"));
    let test = dir.path().join("rules/douyin/params.test.toml");
    let base =
        std::fs::read_to_string(common::root().join("rules/douyin/zero_deposit_trial.test.toml"))
            .unwrap();
    let header_end = base.find("[[case]]").unwrap();
    let text = format!(
        "{}params = {{ \"douyin.zero_deposit_trial\" = {{ personal_listing_cap = 110 }} }}\n\n{}",
        &base[..base.find("[base]").unwrap()],
        &base[base.find("[base]").unwrap()..header_end]
    ) + r#"
[[case]]
name = "the file's cap"
record = { listings_online = 111 }
expect = { listing_cap = 1 }
message = { listing_cap = "上限 110 件" }

[[case]]
name = "a case's cap over the file's"
params = { "douyin.zero_deposit_trial" = { personal_listing_cap = 150 } }
record = { listings_online = 111 }
expect = { listing_cap = 0 }

[[case]]
name = "a misspelt parameter"
params = { "douyin.zero_deposit_trial" = { personal_listing_cp = 150 } }
record = { listings_online = 111 }
expect = { listing_cap = 0 }
"#;
    std::fs::write(&test, &text).unwrap();
    let out = guifan(&["test", test.to_str().unwrap()]);
    let report = stdout(&out);
    assert!(report.contains("2 passed, 1 failed"), "{report}");
    let line = text
        .lines()
        .position(|l| l.contains("personal_listing_cp"))
        .unwrap()
        + 1;
    assert!(
        report.contains(&format!(
            "line {line}: policy `douyin.zero_deposit_trial` has no parameter `personal_listing_cp`; did you mean `personal_listing_cap`?"
        )),
        "{report}"
    );
}
