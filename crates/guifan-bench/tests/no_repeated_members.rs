//! No decision record of any output format holds a member name twice: an
//! object such as `{"kind":"reward","kind":"traffic"}` is read by JSON parsers
//! as its last member, silently turning a reward into something else.
//!
//! The checker refuses what would write one (an argument named `kind`, an
//! argument given twice: `crates/guifan-eval/src/tests.rs`); here every
//! record of the generated mix, on which every rule of the catalogue fires,
//! is written as JSON Lines, as a JSON array and through the `guifan` crate
//! (what `guifan serve` answers), and each is read by a parser that refuses
//! repeated members.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::collections::HashSet;
use std::fmt;

use guifan::data::{records, InputFormat};
use guifan::RuleSet;
use guifan_runner::{run, OutputFormat};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value read strictly: a repeated member name is an error.
struct Strict;

impl<'de> de::Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_str<E>(self, _: &str) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        while seq.next_element::<Strict>()?.is_some() {}
        Ok(Strict)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("member `{key}` repeated")));
            }
            map.next_value::<Strict>()?;
        }
        Ok(Strict)
    }
}

fn strict(json: &str) -> Result<(), String> {
    serde_json::from_str::<Strict>(json)
        .map(|_| ())
        .map_err(|e| format!("{e}: {json}"))
}

fn ranked(rules: &RuleSet, lines: &[guifan::data::RecordText<'_>], at: &str) -> RuleSet {
    let now = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    rules.with_ranks(guifan_eval::rank::Ranks::from_keys(rules.rank_keys(
        lines,
        now,
        &mut |_| {},
    )))
}

/// Writes `data` in both of the runner's JSON formats; returns the JSON Lines and the array.
fn written(rules: &RuleSet, data: &str, at: &str) -> (String, String) {
    let lines = records(data.as_bytes(), InputFormat::Jsonl).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    let rules = ranked(rules, &lines, at);
    let mut out = Vec::new();
    for format in [OutputFormat::Jsonl, OutputFormat::Json] {
        let mut bytes = Vec::new();
        run(&rules, &lines, now, format, &mut bytes, &mut |_| {}).unwrap();
        out.push(String::from_utf8(bytes).unwrap());
    }
    let array = out.pop().unwrap();
    (out.pop().unwrap(), array)
}

#[test]
fn the_strict_reader_refuses_a_repeated_member() {
    assert!(strict(r#"{"kind":"reward","type":"traffic"}"#).is_ok());
    assert!(strict(r#"{"kind":"reward","kind":"traffic"}"#).is_err());
    assert!(strict(r#"[{"a":[{"b":1,"b":2}]}]"#).is_err());
}

#[test]
fn no_output_of_the_whole_mix_repeats_a_member() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = RuleSet::from_dir(root.join("rules")).unwrap();
    let mix = guifan_bench::kinds::mix(7_000, 42);
    let (jsonl, array) = written(&rules, &mix, guifan_bench::kinds::MIX_AT);
    assert_eq!(jsonl.lines().count(), 7_000);
    for line in jsonl.lines() {
        strict(line).unwrap();
    }
    strict(&array).unwrap();
    // Rewards, whose argument was once `kind`, are in the output.
    assert!(jsonl.contains(r#"{"kind":"reward","type":"traffic""#));
    assert!(jsonl.contains(r#"{"kind":"reward","type":"ug_traffic""#));

    // The `guifan` crate, whose encoding `guifan serve` answers with.
    let facade = guifan::RuleSet::from_dir(root.join("rules")).unwrap();
    let now = guifan_bench::kinds::MIX_AT.parse().unwrap();
    let mut decided = 0;
    for line in mix.lines() {
        let decisions = facade.decide_json(line.as_bytes(), now).unwrap();
        decided += decisions.decisions().len();
        strict(&serde_json::to_string(&decisions).unwrap()).unwrap();
    }
    assert!(decided > 5_000, "{decided}");
}

#[test]
fn rule_failures_and_extra_arguments_repeat_no_member() {
    let schema = r#"
        platform p { currency CNY }
        kind k { platform: string, n: int }
        effect flag(level: int?)
    "#;
    let policy = r#"
        policy t.p {
          subject k
          zone Asia/Shanghai
          rule divides { when 10 / n > 1 then flag(level: n, subject: "s", rule: "r", effects: 1) }
        }
    "#;
    let rules = RuleSet::from_sources(vec![
        ("schema.schema", schema.to_string()),
        ("t.policy", policy.to_string()),
    ])
    .unwrap();
    let data = r#"{"kind":"k","id":"zero","platform":"p","n":0}
{"kind":"k","id":"one","platform":"p","n":1}"#;
    let (jsonl, array) = written(&rules, data, "2023-02-01T00:00:00+08:00");
    assert!(jsonl.contains(r#""errors""#), "{jsonl}");
    for line in jsonl.lines() {
        strict(line).unwrap();
    }
    strict(&array).unwrap();
}
