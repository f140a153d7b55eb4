//! Generated records of every kind round-trip: JSON Lines → one Parquet
//! file per kind (typed by the schema) → the same decisions as JSON Lines.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use guifan::data::InputFormat;
use guifan::{Population, RuleSet};

fn rules() -> RuleSet {
    RuleSet::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules")).unwrap()
}

/// Every decision record of a population, as JSON lines, sorted; and how
/// many records could not be read.
fn decided(rules: &RuleSet, population: &Population) -> (Vec<String>, usize) {
    let now = "2023-03-16T12:00:00+08:00".parse().unwrap();
    let mut out = Vec::new();
    let mut bad = 0;
    rules
        .decide_population(population, now, &mut |_| {}, &mut |_, d| match d {
            Ok(d) => out.push(serde_json::to_string(&d).unwrap()),
            Err(_) => bad += 1,
        })
        .unwrap();
    out.sort();
    (out, bad)
}

#[test]
fn every_kind_decides_the_same_from_parquet_as_from_json_lines() {
    let rules = rules();
    let jsonl = guifan_bench::kinds::mix(6_000, 7);
    let dir = tempfile::tempdir().unwrap();
    let files = guifan_bench::parquet::write_per_kind(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules")),
        &jsonl,
        dir.path(),
    )
    .unwrap();
    let kinds = rules.program().schema().kinds.len();
    assert_eq!(files.len(), kinds, "a file per kind of the schema");
    let (expected, bad) = decided(
        &rules,
        &Population::bytes(jsonl.into_bytes(), InputFormat::Jsonl),
    );
    assert_eq!(bad, 0);
    let mut from_parquet = Vec::new();
    for (path, rows) in &files {
        let (d, bad) = decided(&rules, &Population::file(path, InputFormat::Parquet));
        assert_eq!((d.len(), bad), (*rows, 0), "{}", path.display());
        from_parquet.extend(d);
    }
    from_parquet.sort();
    assert_eq!(from_parquet.len(), expected.len());
    assert_eq!(from_parquet, expected);
    // The ranking policy is among them, ranked over its whole file.
    assert!(expected
        .iter()
        .any(|d| d.contains("tiktok_shop.ramadan_2023.daily_top10")));
}
