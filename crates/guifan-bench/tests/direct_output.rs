//! JSON Lines are written straight into bytes as decisions are made
//! (`guifan-runner/src/jsonl.rs`); `--format json` still serialises each
//! subject's `Outcome` with serde. On every record of the generated mix (every
//! rule of the catalogue fires on some, ranks included) and on records whose
//! rules fail, each line must be byte for byte the serde element with its
//! layout's white space taken out.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use guifan::data::{records, InputFormat};
use guifan::RuleSet;
use guifan_runner::{run, OutputFormat};
use serde_json::value::RawValue;

/// JSON text without the white space between its tokens.
fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

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
    let mut pretty = Vec::new();
    run(
        rules,
        &lines,
        now,
        OutputFormat::Json,
        &mut pretty,
        &mut |_| {},
    )
    .unwrap();
    let elements: Vec<Box<RawValue>> = serde_json::from_slice(&pretty).unwrap();
    let direct = String::from_utf8(direct).unwrap();
    assert_eq!(direct.lines().count(), elements.len());
    for (line, element) in direct.lines().zip(&elements) {
        assert_eq!(line, minify(element.get()));
    }
    elements.len()
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

#[test]
fn direct_json_lines_carry_rule_failures_and_versions_like_serde() {
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
    ]
    .join("\n");
    assert_eq!(both_ways(&rules, &data, "2023-02-01T00:00:00+08:00"), 3);
    assert_eq!(both_ways(&rules, &data, "2023-04-01T00:00:00+08:00"), 3);
}
