//! `guifan test` catches a wrong test: each trap a new user falls into is an
//! error naming the file's line, never a case that passes without testing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use common::{bundled_rules, guifan, root, stdout};
use guifan_runner::testing::run_test_file;

const HEADER: &str = r#"
policy = "douyin.zero_deposit_trial"
at = "2023-04-20T12:00:00+08:00"

[base]
kind = "merchant"
id = "dy-t1"
platform = "douyin"
currency = "CNY"
store_type = "personal"
trial = { active = true }
deposit = { balance = "0.00", required = "2000.00" }
goods_balance = "3000.00"
listings_online = 40
selling_channels = ["shelf"]
marketing = { platform_campaigns = [], affiliate_alliance = false, platform_subsidy = false }
paid_orders = { count = 20, total = "900.00" }
violations = { general = 0, severe = 0, orders = 0 }
creator_deductions = []
withdrawals = []
"#;

const GOOD_CASE: &str = r#"
[[case]]
name = "good"
record = { listings_online = 101 }
expect = { listing_cap = 1 }
"#;

/// The failures of a test file made of the header and `cases`: (case, message).
fn failures(cases: &str) -> Vec<(String, String)> {
    let report = run_test_file(bundled_rules(), &format!("{HEADER}{cases}"));
    report
        .failures
        .into_iter()
        .map(|f| (f.case, f.message))
        .collect()
}

fn line_of(cases: &str, needle: &str) -> usize {
    let text = format!("{HEADER}{cases}");
    text[..text.find(needle).unwrap()].matches('\n').count() + 1
}

#[test]
fn an_expectation_on_a_rule_that_does_not_exist_is_an_error() {
    let case = "\n[[case]]\nname = \"typo\"\nexpect = { listng_cap = 0 }\n";
    let f = failures(case);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "typo");
    assert!(
        f[0].1
            .contains(&format!("line {}", line_of(case, "listng_cap"))),
        "{f:?}"
    );
    assert!(f[0].1.contains("did you mean `listing_cap`?"), "{f:?}");
    // In `message` and `args` too.
    let case = "\n[[case]]\nname = \"m\"\nexpect = {}\nmessage = { listing_cp = \"x\" }\nargs = [{ rule = \"listing_cap\", effect = \"restrct\", arg = \"target\", equals = \"listing\" }]\n";
    let f = failures(case);
    // One failure for the case, naming both problems.
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].1.contains("listing_cp") && f[0].1.contains("restrct"),
        "{f:?}"
    );
}

#[test]
fn a_test_file_for_a_policy_that_is_not_loaded_is_an_error() {
    let text = HEADER.replace("douyin.zero_deposit_trial", "douyin.zero_deposit_trail") + GOOD_CASE;
    let report = run_test_file(bundled_rules(), &text);
    let messages: Vec<&str> = report.failures.iter().map(|f| f.message.as_str()).collect();
    assert!(
        messages.iter().any(
            |m| m.contains("line 2: no policy `douyin.zero_deposit_trail`")
                && m.contains("did you mean `douyin.zero_deposit_trial`?")
        ),
        "{messages:?}"
    );
}

#[test]
fn a_misspelt_field_in_a_record_is_an_error() {
    let case = "\n[[case]]\nname = \"typo\"\nrecord = { listings_onlne = 101 }\nexpect = { listing_cap = 0 }\n";
    let f = failures(case);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].1.contains("unknown field `listings_onlne`"), "{f:?}");
    assert!(f[0].1.contains("did you mean `listings_online`?"), "{f:?}");
    // Nested fields, list items and `without` paths are checked too.
    let case = "\n[[case]]\nname = \"nested\"\nrecord = { deposit = { balanse = \"1\" }, withdrawals = [{ at = \"2023-04-01T00:00:00+08:00\", amont = \"1\" }] }\nwithout = [\"trail\"]\nexpect = {}\nexact = true\n";
    let f = failures(case);
    let all: String = f.iter().map(|(_, m)| m.as_str()).collect();
    assert!(all.contains("deposit.balanse"), "{all}");
    assert!(all.contains("withdrawals[0].amont"), "{all}");
    assert!(all.contains("no field `trail`"), "{all}");
}

#[test]
fn a_case_without_expect_or_with_an_unknown_key_is_an_error() {
    let f = failures("\n[[case]]\nname = \"nothing\"\nrecord = { listings_online = 101 }\n");
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].1.contains("asserts nothing"), "{f:?}");
    let f = failures(
        "\n[[case]]\nname = \"key\"\nexpcet = { listing_cap = 1 }\nexpect = { listing_cap = 0 }\n",
    );
    assert!(
        f[0].1.contains("unknown key `expcet`") && f[0].1.contains("did you mean `expect`?"),
        "{f:?}"
    );
}

#[test]
fn every_bad_case_is_reported_and_the_good_ones_still_run() {
    let cases = format!(
        "{GOOD_CASE}\n[[case]]\nname = \"a\"\nexpect = {{ nope = 1 }}\n\n[[case]]\nname = \"b\"\nrecord = {{ nope = 1 }}\nexpect = {{}}\n{GOOD_CASE}\n[[case]]\nname = \"c\"\n"
    );
    let report = run_test_file(bundled_rules(), &format!("{HEADER}{cases}"));
    let names: Vec<&str> = report.failures.iter().map(|f| f.case.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(report.passed, 2);
}

#[test]
fn exact_is_scoped_to_the_policy_under_test() {
    // Another policy on merchants that fires on every record must not break this file's tests.
    let mut texts = common::rule_texts(&root().join("rules"));
    texts.push((
        "other.policy".into(),
        "policy other.always { subject merchant zone Asia/Shanghai rule every { when true then violation(code: \"x\") } }".into(),
    ));
    let rules = guifan::RuleSet::from_sources(texts).unwrap();
    let file =
        std::fs::read_to_string(root().join("rules/douyin/zero_deposit_trial.test.toml")).unwrap();
    let report = run_test_file(&rules, &file);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert!(report.passed > 40);
}

#[test]
fn guifan_test_takes_one_file_or_one_directory() {
    let out = guifan(&["test", "rules/douyin/zero_deposit_trial.test.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("zero_deposit_trial.test.toml"), "{text}");
    assert!(!text.contains("authenticity_guarantee"), "{text}");
    let out = guifan(&["test", "rules/douyin"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("authenticity_guarantee.test.toml"));
}
