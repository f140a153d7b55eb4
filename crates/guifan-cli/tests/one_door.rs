//! One door: the library, the command and the service decide alike. The
//! `guifan` crate's decisions of a population, serialised, are the bytes
//! `guifan run` writes for it, on generated data of every kind the
//! catalogue judges, ranking policies included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

mod common;

use guifan::data::InputFormat;
use guifan::Population;
use guifan_bench::kinds::{mix, MIX_AT, MIX_EDGE_TIMES};

/// The first line where two outputs differ, for a readable failure.
fn first_difference(a: &str, b: &str) -> String {
    let (n, (x, y)) = a
        .lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .unwrap_or((0, ("", "")));
    format!(
        "line {}: library {x}\n           run {y}\n({} and {} lines)",
        n + 1,
        a.lines().count(),
        b.lines().count()
    )
}

#[test]
fn the_library_decides_a_population_as_guifan_run_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mix.jsonl");
    std::fs::write(&data, mix(3_000, 11)).unwrap();
    let rules = common::bundled_rules();
    assert!(
        rules.needs_ranks(),
        "the catalogue ranks: the test covers ranking"
    );
    let population = Population::file(&data, InputFormat::Jsonl);
    for at in std::iter::once(MIX_AT).chain(MIX_EDGE_TIMES.into_iter().take(3)) {
        let run = common::run_bundled(&data, at);
        let written = common::stdout(&run);
        assert!(!written.is_empty(), "{}", common::stderr(&run));
        let now = guifan::parse_time(at).unwrap();
        let mut decided = Vec::new();
        let mut problems = 0;
        let records = rules
            .decide_population(&population, now, &mut |_| {}, &mut |_, d| match d {
                Ok(d) => {
                    serde_json::to_writer(&mut decided, &d).unwrap();
                    decided.push(b'\n');
                }
                Err(_) => problems += 1,
            })
            .unwrap();
        assert_eq!(records, 3_000);
        assert_eq!(problems, 0);
        let decided = String::from_utf8(decided).unwrap();
        assert!(
            decided == written,
            "at {at}: {}",
            first_difference(&decided, &written)
        );
    }
}

#[test]
fn a_population_that_changes_between_its_passes_is_refused() {
    let rules = common::bundled_rules();
    let lines = mix(200, 3);
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let grown = format!("{lines}{}", mix(1, 4));
    let population = Population::reopen("shifting", InputFormat::Jsonl, move || {
        // The second pass reads one record more than the first.
        let second = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0;
        let text = if second { grown.clone() } else { lines.clone() };
        Ok(Box::new(std::io::Cursor::new(text.into_bytes())))
    });
    let now = guifan::parse_time(MIX_AT).unwrap();
    let err = rules
        .decide_population(&population, now, &mut |_| {}, &mut |_, _| {})
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("shifting changed while it was read"),
        "{err}"
    );
}
