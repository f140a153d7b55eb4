//! The generated mix straddles every boundary: each rule of `rules/` fires on
//! some of its records, and every record decodes and decides without error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::collections::BTreeSet;

use guifan_runner::data::{records, InputFormat};
use guifan_runner::{load_rules, rank_keys, run, OutputFormat};

#[test]
fn every_rule_fires_on_the_generated_mix() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = load_rules(&root.join("rules")).unwrap();
    let data = guifan_bench::kinds::mix(7_000, 42);
    let lines = records(data.as_bytes(), InputFormat::Jsonl).unwrap();
    let now = guifan_syntax_timestamp(guifan_bench::kinds::MIX_AT);
    let mut problems = Vec::new();
    let keys = rank_keys(&rules, &lines, now, &mut |p| {
        problems.push(format!("{p:?}"))
    });
    let rules = rules.with_ranks(guifan_eval::rank::Ranks::from_keys(keys));
    let mut out = Vec::new();
    let summary = run(
        &rules,
        &lines,
        now,
        OutputFormat::Jsonl,
        &mut out,
        &mut |p| problems.push(format!("{p:?}")),
    )
    .unwrap();
    assert!(
        problems.is_empty(),
        "{:#?}",
        &problems[..problems.len().min(5)]
    );
    assert_eq!(summary.decided, 7_000);
    let fired: BTreeSet<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .flat_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["decisions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["rule"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let all: BTreeSet<String> = rules
        .program()
        .policies
        .iter()
        .flat_map(|p| p.rules.iter().map(|r| r.id.to_string()))
        .collect();
    let missing: Vec<&String> = all.difference(&fired).collect();
    assert!(missing.is_empty(), "rules the mix never fires: {missing:?}");
}

fn guifan_syntax_timestamp(text: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(text).unwrap()
}
