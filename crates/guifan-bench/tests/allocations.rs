//! Allocations per record on the hot path: Douyin trial merchants decided
//! through the runner (JSON Lines in, decision JSON Lines out, one thread),
//! counted by a global allocator. The figure that matters is the marginal
//! count, what 10,000 more records cost, so that the rule set's load and the
//! buffers' growth do not hide in it: on the steady state it is none per record.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "tests fail loudly and print their figure"
)]

use guifan::data::{records, InputFormat};
use guifan::RuleSet;
use guifan_runner::{run, OutputFormat};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Allocations made deciding the first `n` lines of `data` on one thread.
/// The allocator's counts are the process's: each test holds this for its
/// whole run, so that another test's allocations never fall into its measure
/// when the harness runs tests side by side.
fn alone() -> std::sync::MutexGuard<'static, ()> {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn allocations(rules: &RuleSet, data: &str, n: usize) -> u64 {
    let lines = records(data.as_bytes(), InputFormat::Jsonl).unwrap();
    let lines = lines.get(..n).unwrap();
    let now = "2023-04-20T12:00:00+08:00".parse().unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut out = Vec::with_capacity(64 << 20);
    pool.install(|| {
        let region = Region::new(ALLOCATOR);
        let summary = run(
            rules,
            lines,
            now,
            OutputFormat::Jsonl,
            &mut out,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(summary.decided, n, "every merchant decided");
        let made = region.change();
        (made.allocations + made.reallocations) as u64
    })
}

/// What 10,000 more merchants may cost, at most: none per record (decoded
/// records' arrays come back through `guifan_eval::recycle`, short text is
/// held inline, frames keep their buffers), only a few per chunk of records
/// the pipeline hands out.
const BOUND_PER_10_000: u64 = 100;

/// What the first 10,000 cost at most, the pools' and buffers' growth included.
const BOUND_FIRST_10_000: u64 = 2_000;

#[test]
fn decoding_and_deciding_trial_merchants_allocates_nothing_per_record_on_the_steady_state() {
    let _alone = alone();
    let rules = RuleSet::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules")).unwrap();
    let data = guifan_bench::trial_merchants(20_000, 42);
    let ten = allocations(&rules, &data, 10_000);
    let twenty = allocations(&rules, &data, 20_000);
    let more = twenty.saturating_sub(ten);
    println!(
        "{ten} allocations for 10,000 merchants, {twenty} for 20,000: {more} for the 10,000 more ({:.4} per record)",
        more as f64 / 10_000.0
    );
    assert!(
        more <= BOUND_PER_10_000,
        "10,000 more merchants made {more} allocations, more than {BOUND_PER_10_000}"
    );
    assert!(
        ten <= BOUND_FIRST_10_000,
        "the first 10,000 merchants made {ten} allocations, more than {BOUND_FIRST_10_000}"
    );
}

/// Records carrying keys the schema does not declare (a string, a number, a
/// list and an object in the record, one more in a nested record): skipping
/// them allocates nothing either.
#[test]
fn skipping_undeclared_keys_allocates_nothing_per_record_on_the_steady_state() {
    let _alone = alone();
    let rules = RuleSet::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules")).unwrap();
    let data: String = guifan_bench::trial_merchants(20_000, 42)
        .lines()
        .map(|line| {
            let line = line
                .replacen(
                    r#""trial":{"#,
                    r#""trial":{"source":"crm","#,
                    1,
                )
                .replacen(
                    r#"{"kind":"merchant","#,
                    r#"{"kind":"merchant","shop_name":"小店","rating":4.8,"tags":["new","cn"],"address":{"city":"杭州","zip":310000},"#,
                    1,
                );
            format!("{line}\n")
        })
        .collect();
    assert!(data.contains(r#""trial":{"source":"crm","#));
    let ten = allocations(&rules, &data, 10_000);
    let twenty = allocations(&rules, &data, 20_000);
    let more = twenty.saturating_sub(ten);
    println!(
        "with undeclared keys: {ten} allocations for 10,000 merchants, {more} for the 10,000 more"
    );
    assert!(
        more <= BOUND_PER_10_000,
        "10,000 more merchants made {more} allocations, more than {BOUND_PER_10_000}"
    );
}
