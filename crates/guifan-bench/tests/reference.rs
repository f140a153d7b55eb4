//! Differential test: Guifan's decisions on generated Douyin trial merchants
//! are byte for byte the hand-written reference's, at several times (before the
//! policy is in force, and at two points of the trial), so any speed-up that
//! changes one decision fails here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use guifan::data::{records, InputFormat};
use guifan::RuleSet;
use guifan_bench::reference::{self, Reference};
use guifan_runner::{run, OutputFormat};

fn compare(merchants: usize, seed: u64, at: &str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = RuleSet::from_dir(root.join("rules")).unwrap();
    let data = guifan_bench::trial_merchants(merchants, seed);
    let now = reference::parse_time(at).unwrap();

    let mut expected = Vec::new();
    let mut errors = Vec::new();
    let decided = reference::run(
        &Reference::new(now),
        data.as_bytes(),
        &mut expected,
        &mut errors,
    )
    .unwrap();
    assert_eq!(decided, merchants, "{}", String::from_utf8_lossy(&errors));

    let lines = records(data.as_bytes(), InputFormat::Jsonl).unwrap();
    let mut problems = Vec::new();
    let mut found = Vec::new();
    run(
        &rules,
        &lines,
        now,
        OutputFormat::Jsonl,
        &mut found,
        &mut |p| problems.push(format!("{p:?}")),
    )
    .unwrap();
    assert!(problems.is_empty(), "{:?}", problems.first());

    let expected = String::from_utf8(expected).unwrap();
    let found = String::from_utf8(found).unwrap();
    let mut fired = 0;
    for (line, (e, f)) in expected.lines().zip(found.lines()).enumerate() {
        assert_eq!(f, e, "record {} at {at}", line + 1);
        fired += usize::from(e.contains("\"rule\""));
    }
    assert_eq!(found.lines().count(), expected.lines().count());
    assert!(
        at.starts_with("2023-02") || fired > merchants / 2,
        "too few records decide anything ({fired}): the comparison would prove little"
    );
}

#[test]
fn guifan_decides_100_000_merchants_exactly_as_the_hand_written_reference() {
    compare(100_000, 7, "2023-04-20T12:00:00+08:00");
}

#[test]
fn the_reference_and_guifan_agree_at_other_times() {
    // Before the policy is in force (it starts 2023-02-28 in Shanghai), at its
    // first instant, and mid-March, when other windows and months hold.
    compare(2_000, 1, "2023-02-27T15:59:59Z");
    compare(2_000, 2, "2023-02-27T16:00:00Z");
    compare(5_000, 3, "2023-03-15T08:30:00+08:00");
}
