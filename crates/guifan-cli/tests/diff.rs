//! `guifan diff`: a threshold changed in a copy of `rules/` names exactly the
//! subjects whose decisions change, checked against evaluating both rule sets
//! directly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use std::collections::BTreeSet;

use common::{guifan, root, stdout};

const AT: &str = "2023-04-20T12:00:00+08:00";

/// A copy of `rules/` in `dir` with the personal listing cap lowered from 100 to 90.
fn rules_with_personal_cap_90(dir: &std::path::Path) -> std::path::PathBuf {
    let changed_rules = dir.join("rules");
    common::copy_dir(&root().join("rules"), &changed_rules);
    let policy = changed_rules.join("douyin/zero_deposit_trial.policy");
    let text = std::fs::read_to_string(&policy).unwrap();
    let edited = text.replace(
        "param personal_listing_cap: int = 100",
        "param personal_listing_cap: int = 90",
    );
    assert_ne!(edited, text);
    std::fs::write(&policy, edited).unwrap();
    changed_rules
}

#[test]
fn a_lower_listing_cap_changes_exactly_the_subjects_it_should() {
    let dir = tempfile::tempdir().unwrap();
    let changed_rules = rules_with_personal_cap_90(dir.path());
    let data = dir.path().join("merchants.jsonl");
    std::fs::write(&data, guifan_bench::trial_merchants(3000, 7)).unwrap();

    // Expected: evaluate both rule sets directly, record by record.
    let old = guifan::RuleSet::from_dir(root().join("rules")).unwrap();
    let new = guifan::RuleSet::from_dir(&changed_rules).unwrap();
    let now = AT.parse().unwrap();
    let mut expected = BTreeSet::new();
    for line in std::fs::read_to_string(&data).unwrap().lines() {
        let a = old.decide_json(line.as_bytes(), now).unwrap();
        let b = new.decide_json(line.as_bytes(), now).unwrap();
        if serde_json::to_value(&a).unwrap() != serde_json::to_value(&b).unwrap() {
            expected.insert(a.subject().to_string());
        }
    }
    assert!(
        expected.len() > 10,
        "the change must matter: {}",
        expected.len()
    );

    let out = guifan(&[
        "diff",
        "--base",
        "rules",
        "--rules",
        changed_rules.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--at",
        AT,
        "--format",
        "json",
        "--all-subjects",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let named: BTreeSet<String> = report["changed_subjects"]["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    assert_eq!(named, expected);
    assert_eq!(report["changed_subjects"]["count"], expected.len());
    assert_eq!(report["records"], 3000);
    let rules: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["douyin.zero_deposit_trial.listing_cap"]);

    // The same rules on both sides change nothing.
    let out = guifan(&[
        "diff",
        "--base",
        "rules",
        "--rules",
        "rules",
        "--data",
        data.to_str().unwrap(),
        "--at",
        AT,
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["changed_subjects"]["count"], 0);
}

#[test]
fn the_human_report() {
    let dir = tempfile::tempdir().unwrap();
    let changed_rules = rules_with_personal_cap_90(dir.path());
    let data = dir.path().join("merchants.jsonl");
    std::fs::write(&data, guifan_bench::trial_merchants(200, 3)).unwrap();
    let out = guifan(&[
        "diff",
        "--base",
        "rules",
        "--rules",
        changed_rules.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--at",
        AT,
        "--examples",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&out));
}
