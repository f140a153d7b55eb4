//! `guifan test` in CI: a failing case at its own line in every format, one
//! failure per case however many problems it has, coverage below the floor
//! in every format, and each test file run once however links loop.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use common::guifan_in;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::{root, stderr, stdout};

/// A copy of `rules/` whose presale test file has one case broken twice
/// (a misspelt rule and a misspelt field) and one that fails its expectation.
fn broken_tests() -> (tempfile::TempDir, PathBuf, usize, usize) {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    common::copy_dir(&root().join("rules"), &rules);
    let file = rules.join("wechat_channels/presale.test.toml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    let twice = text.lines().count() + 2;
    text.push_str(
        "\n[[case]]\nname = \"twice broken\"\nrecord = { pricee = \"1.00\" }\nexpect = { no_such_rule = 1 }\n",
    );
    let wrong = text.lines().count() + 2;
    text.push_str("\n[[case]]\nname = \"expects a decision\"\nexpect = { price_locked = 1 }\n");
    std::fs::write(&file, text).unwrap();
    (dir, file, twice, wrong)
}

#[test]
fn failing_cases_are_placed_at_their_lines_once_each() {
    let (dir, file, twice, wrong) = broken_tests();
    let shown = file.strip_prefix(dir.path()).unwrap().display().to_string();
    let out = guifan_in(dir.path(), &["test", &shown, "--format", "github"]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "one annotation per failing case: {lines:?}");
    // The twice-broken case: at its first problem (its record, the line after its name).
    assert!(
        lines[0].starts_with(&format!("::error file={shown},line={},", twice + 2)),
        "{lines:?}"
    );
    assert!(lines[0].contains("pricee") && lines[0].contains("no_such_rule"));
    assert!(
        lines[1].starts_with(&format!("::error file={shown},line={wrong},")),
        "{lines:?}"
    );
    // Human: one FAILED per case, the counts agree.
    let out = guifan_in(dir.path(), &["test", &shown]);
    let text = stdout(&out);
    assert_eq!(text.matches("FAILED").count(), 2, "{text}");
    assert!(text.contains(", 2 failed"), "{text}");
    // SARIF: the same lines.
    let out = guifan_in(dir.path(), &["test", &shown, "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let starts: Vec<u64> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(starts, [twice as u64 + 2, wrong as u64]);
}

#[test]
fn coverage_below_the_floor_fails_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    common::copy_dir(&root().join("rules"), &rules);
    // Without the one case that makes `negative_deposit` fire, coverage falls short.
    let tests = rules.join("douyin/zero_deposit_trial.test.toml");
    let original = std::fs::read_to_string(&tests).unwrap();
    let name = "name = \"a deposit one fen below zero is deducted from goods funds and blocks withdrawals\"";
    let start = original.find(name).unwrap();
    let case_start = original[..start].rfind("[[case]]").unwrap();
    let case_end = original[start..]
        .find("[[case]]")
        .map_or(original.len(), |i| start + i);
    std::fs::write(
        &tests,
        format!("{}{}", &original[..case_start], &original[case_end..]),
    )
    .unwrap();
    for (format, expect) in [
        ("github", "title=guifan%3A%3Atest%3A%3Acoverage::"),
        ("json", "\"guifan::test::coverage\""),
        ("sarif", "\"ruleId\": \"guifan::test::coverage\""),
        ("junit", "<testcase name=\"coverage\""),
    ] {
        let out = guifan_in(
            dir.path(),
            &["test", "rules", "--min-coverage", "100", "--format", format],
        );
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(stdout(&out).contains(expect), "{format}: {}", stdout(&out));
        assert!(
            stdout(&out).contains("below --min-coverage 100"),
            "{format}"
        );
    }
    // A floor above 100% is refused.
    let out = guifan_in(dir.path(), &["test", "rules", "--min-coverage", "150"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn each_test_file_runs_once_however_links_loop() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    common::copy_dir(&root().join("rules"), &rules);
    std::os::unix::fs::symlink("..", rules.join("douyin/up")).unwrap();
    std::os::unix::fs::symlink("../douyin", rules.join("jd/again")).unwrap();
    let looped = guifan_in(dir.path(), &["test", "rules"]);
    let plain = common::guifan(&["test", "rules"]);
    assert_eq!(looped.status.code(), Some(0), "{}", stdout(&looped));
    let total = |o: &Output| stdout(o).lines().last().unwrap().to_string();
    assert_eq!(total(&looped), total(&plain));
    let check = guifan_in(dir.path(), &["check", "rules"]);
    assert!(stderr(&check).contains("17 file(s)"), "{}", stderr(&check));
}

/// SARIF for code scanning: each rule documented (help, its anchor in
/// docs/diagnostics.md, full description, default level), the tool's home,
/// and columns in UTF-16 code units as GitHub counts them, in SARIF, GitHub
/// and JSON alike; people get characters.
#[test]
fn sarif_describes_its_rules_and_counts_columns_in_utf16() {
    // `😀` is one character and two UTF-16 code units, before the error.
    let draft = std::fs::read_to_string(root().join("rules/douyin/zero_deposit_trial.policy"))
        .unwrap()
        .replace(
            "when trial.active and listings_online > listing_cap",
            "when \"😀\" != \"\" and listing_online > listing_cap",
        );
    assert!(draft.contains("😀"));
    let check = |format: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_guifan"))
            .args(["check", "-", "--format", format])
            .current_dir(root())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), draft.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let line = draft.lines().find(|l| l.contains("😀")).unwrap();
    let chars = line[..line.find("listing_online").unwrap()].chars().count() + 1;
    let utf16 = chars + 1;
    let log: serde_json::Value = serde_json::from_str(&stdout(&check("sarif"))).unwrap();
    let run = &log["runs"][0];
    assert!(run["tool"]["driver"]["informationUri"].is_string());
    let rule = &run["tool"]["driver"]["rules"][0];
    assert_eq!(rule["id"], "guifan::check::unknown_field");
    assert!(rule["helpUri"]
        .as_str()
        .unwrap()
        .ends_with("docs/diagnostics.md#guifan-check-unknown_field"));
    assert!(rule["help"]["text"]
        .as_str()
        .unwrap()
        .contains("a field the subject"));
    assert!(rule["fullDescription"]["text"].is_string());
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    let region = &run["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startColumn"], utf16 as u64, "{region}");
    let validator = common::sarif_validator();
    assert!(validator.is_valid(&log), "{log:#}");
    assert!(stdout(&check("github")).contains(&format!(",col={utf16},")));
    let json: serde_json::Value = serde_json::from_str(&stdout(&check("json"))).unwrap();
    assert_eq!(json[0]["column"], utf16 as u64);
    assert!(stderr(&check("human")).contains(&format!(
        "<stdin>:{}:{chars}]",
        draft.lines().position(|l| l.contains("😀")).unwrap() + 1
    )));
}

/// The human coverage report lists every gap, comparisons seen one way only too.
#[test]
fn human_coverage_lists_comparisons_seen_one_way() {
    let out = common::guifan(&["test", "rules", "--coverage"]);
    let text = stdout(&out);
    assert!(
        text.contains("  not covered: comparison never failed: `platform == \"douyin\"`"),
        "{text}"
    );
    assert!(
        text.contains("  not covered: named condition never held"),
        "{text}"
    );
}
