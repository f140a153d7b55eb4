//! JSON Lines and `--format json` are written straight into bytes as
//! decisions are made (`guifan/src/decision_json.rs`, the JSON element laid
//! out by `guifan_runner::render::pretty_element`). On every record of the
//! generated mix (every rule of the catalogue fires on some, ranks included)
//! and on records whose rules fail, both must be byte for byte what serde
//! writes of the typed `guifan::Decisions` of `RuleSet::decide_json`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use guifan::data::{records, InputFormat};
use guifan::RuleSet;
use guifan_runner::{run, OutputFormat};

/// Runs the records both ways: `guifan run`'s JSON Lines and `--format json`
/// (written straight into bytes), against each record decided into the typed
/// `Decisions` and serialised by serde (compact, and pretty); the two must be
/// the same bytes.
fn both_ways(rules: &RuleSet, data: &str, at: &str) -> usize {
    let lines = records(data.as_bytes(), InputFormat::Jsonl).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    let ranked;
    let rules = if rules.needs_ranks() {
        ranked = rules.with_ranks(guifan_eval::rank::Ranks::from_keys(rules.rank_keys(
            &lines,
            now,
            &mut |_| {},
        )));
        &ranked
    } else {
        rules
    };
    let typed: Vec<guifan::Decisions> = lines
        .iter()
        .map(|line| rules.decide_json(&line.json, now).unwrap())
        .collect();
    let mut direct = Vec::new();
    run(
        rules,
        &lines,
        now,
        OutputFormat::Jsonl,
        &mut direct,
        &mut |_| {},
    )
    .unwrap();
    let compact: String = typed
        .iter()
        .map(|d| serde_json::to_string(d).unwrap() + "\n")
        .collect();
    assert_eq!(String::from_utf8(direct).unwrap(), compact);
    let mut laid_out = Vec::new();
    run(
        rules,
        &lines,
        now,
        OutputFormat::Json,
        &mut laid_out,
        &mut |_| {},
    )
    .unwrap();
    let pretty: Vec<String> = typed
        .iter()
        .map(|d| serde_json::to_string_pretty(d).unwrap())
        .collect();
    assert_eq!(
        String::from_utf8(laid_out).unwrap(),
        format!("[\n{}\n]\n", pretty.join(",\n"))
    );
    typed.len()
}

#[test]
fn direct_json_lines_are_the_serde_records_of_the_whole_mix() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = RuleSet::from_dir(root.join("rules")).unwrap();
    let mix = guifan_bench::kinds::mix(7_000, 42);
    assert_eq!(both_ways(&rules, &mix, guifan_bench::kinds::MIX_AT), 7_000);
    let trial = guifan_bench::trial_merchants(2_000, 42);
    assert_eq!(
        both_ways(&rules, &trial, "2023-04-20T12:00:00+08:00"),
        2_000
    );
}

/// Rules whose decisions have every part: failures, versions, computed and
/// constant arguments, both kinds of message, text that must be escaped; and
/// four records of them (the last decided with no rule firing).
fn failing_rules() -> (RuleSet, String) {
    let schema = r#"
        platform p { currency CNY }
        kind k { platform: string, n: int, amount: money?, name: string }
        effect flag(level: int?, note: string?, amount: money?)
    "#;
    let policy = r#"
        policy t.p {
          subject k
          zone Asia/Shanghai
          currency CNY
          rule divides "除" { when 10 / n > 1 then flag(note: "除") message "n = {n}" }
          rule quoted { when name != "" then flag(note: name, amount: amount) message "名字 \"{name}\"" }
          rule versioned {
            version "v1" until 2023-03-01T00:00+08:00 { when n >= 0 then flag(level: 1) }
            version "v2" from 2023-03-01T00:00+08:00 { when n >= 0 then flag(level: 2) message "第二版" }
          }
        }
    "#;
    let rules = RuleSet::from_sources(vec![
        ("schema.schema", schema.to_string()),
        ("t.policy", policy.to_string()),
    ])
    .unwrap();
    let data = [
        r#"{"kind":"k","id":"zero","platform":"p","n":0,"name":"a\"b\\c\n\u0001é"}"#,
        r#"{"kind":"k","id":"one","platform":"p","n":1,"amount":"-0.50","name":"x"}"#,
        r#"{"kind":"k","id":"two","platform":"p","n":2,"amount":12,"name":""}"#,
        r#"{"kind":"k","id":"none","platform":"p","n":-1,"name":""}"#,
    ]
    .join("\n");
    (rules, data)
}

#[test]
fn direct_json_lines_carry_rule_failures_and_versions_like_serde() {
    let (rules, data) = failing_rules();
    assert_eq!(both_ways(&rules, &data, "2023-02-01T00:00:00+08:00"), 4);
    assert_eq!(both_ways(&rules, &data, "2023-04-01T00:00:00+08:00"), 4);
}

/// `--format table` of some records.
fn table(rules: &RuleSet, data: &str, at: &str) -> String {
    let lines = records(data.as_bytes(), InputFormat::Jsonl).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    let mut out = Vec::new();
    let summary = run(
        rules,
        &lines,
        now,
        OutputFormat::Table,
        &mut out,
        &mut |_| {},
    )
    .unwrap();
    // Its counts of decisions and failures are JSON Lines' too.
    let jsonl = run(
        rules,
        &lines,
        now,
        OutputFormat::Jsonl,
        &mut Vec::new(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        (summary.decided, summary.decisions, summary.rule_errors()),
        (jsonl.decided, jsonl.decisions, jsonl.rule_errors())
    );
    assert!(summary.decisions > 0);
    String::from_utf8(out).unwrap()
}

#[test]
fn the_table_shows_each_decision_its_effects_message_and_failures() {
    let (rules, data) = failing_rules();
    insta::assert_snapshot!(
        "table_of_failures_and_versions",
        table(&rules, &data, "2023-04-01T00:00:00+08:00")
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let catalogue = RuleSet::from_dir(root.join("rules")).unwrap();
    let trial = guifan_bench::trial_merchants(12, 7);
    insta::assert_snapshot!(
        "table_of_trial_merchants",
        table(&catalogue, &trial, "2023-04-20T12:00:00+08:00")
    );
}
