//! Throughput of decoding and deciding Douyin trial merchants, and a mix of
//! every kind of the catalogue (ranking pass included), with the bundled rules;
//! the same merchants through the hand-written reference
//! (`guifan_bench::reference`), and at the end guifan ÷ reference for each
//! phase, timed round by round in one interleaved run.
//!
//! `cargo bench -p guifan-bench` (figures per record; see README "Performance").
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "criterion macros generate undocumented items; benchmarks fail loudly"
)]

use std::path::PathBuf;

use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, Throughput};
use guifan_bench::reference::{self, Merchant, Reference};
use guifan_eval::{decode_subject, evaluate};
use guifan_runner::data::{records, InputFormat};
use guifan_runner::{load_rules, run, OutputFormat};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const N: usize = 20_000;

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = load_rules(&root.join("rules")).expect("bundled rules check");
    let data = guifan_bench::trial_merchants(N, 42);
    let lines = records(data.as_bytes(), InputFormat::Jsonl).expect("records");
    let now = "2023-04-20T12:00:00+08:00".parse().expect("a time");
    let program = rules.program();

    let mut group = c.benchmark_group("trial_merchants");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(10);
    group.bench_function("decode", |b| {
        b.iter(|| {
            for r in &lines {
                let _ = decode_subject(&program.schema, &r.json);
            }
        })
    });
    let subjects: Vec<_> = lines
        .iter()
        .filter_map(|r| decode_subject(&program.schema, &r.json).ok())
        .collect();
    group.bench_function("evaluate", |b| {
        b.iter(|| {
            for s in &subjects {
                let _ = evaluate(program, s, now);
            }
        })
    });
    let merchants: Vec<Merchant<'_>> = lines
        .iter()
        .map(|r| serde_json::from_slice(&r.json).expect("a merchant"))
        .collect();
    let reference = Reference::new(now);
    group.bench_function("reference_decode", |b| {
        b.iter(|| {
            for r in &lines {
                let _ = serde_json::from_slice::<Merchant<'_>>(&r.json);
            }
        })
    });
    group.bench_function("reference_evaluate", |b| {
        b.iter(|| {
            for m in &merchants {
                let _ = reference.decide(m);
            }
        })
    });
    group.bench_function("reference_end_to_end", |b| {
        b.iter(|| {
            reference::run(
                &reference,
                data.as_bytes(),
                &mut std::io::sink(),
                &mut std::io::sink(),
            )
        })
    });
    group.bench_function("end_to_end_one_thread", |b| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        b.iter(|| {
            pool.install(|| {
                run(
                    &rules,
                    &lines,
                    now,
                    OutputFormat::Jsonl,
                    &mut std::io::sink(),
                    &mut |_| {},
                )
            })
        })
    });
    group.bench_function("end_to_end_all_cores", |b| {
        b.iter(|| {
            run(
                &rules,
                &lines,
                now,
                OutputFormat::Jsonl,
                &mut std::io::sink(),
                &mut |_| {},
            )
        })
    });
    group.finish();

    // Every kind of the catalogue: the ranking pass, then the run with the places.
    let mix = guifan_bench::kinds::mix(N, 42);
    let mix_lines = records(mix.as_bytes(), InputFormat::Jsonl).expect("records");
    let mix_now = guifan_bench::kinds::MIX_AT.parse().expect("a time");
    let mut group = c.benchmark_group("catalogue_mix");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(10);
    group.bench_function("rank_then_run_all_cores", |b| {
        b.iter(|| {
            let keys = guifan_runner::rank_keys(&rules, &mix_lines, mix_now, &mut |_| {});
            let ranked = rules.with_ranks(guifan_eval::rank::Ranks::from_keys(keys));
            run(
                &ranked,
                &mix_lines,
                mix_now,
                OutputFormat::Jsonl,
                &mut std::io::sink(),
                &mut |_| {},
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);

/// The least time of `rounds` runs of each of `a` and `b`, taken in turn.
fn interleaved(rounds: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> (Duration, Duration) {
    let (mut best_a, mut best_b) = (Duration::MAX, Duration::MAX);
    for _ in 0..rounds {
        let t = Instant::now();
        a();
        best_a = best_a.min(t.elapsed());
        let t = Instant::now();
        b();
        best_b = best_b.min(t.elapsed());
    }
    (best_a, best_b)
}

/// guifan ÷ reference for decoding, evaluating and both with the output, one
/// thread, on the same 20,000 merchants, timed in turn.
fn ratios() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = load_rules(&root.join("rules")).expect("bundled rules check");
    let data = guifan_bench::trial_merchants(N, 42);
    let lines = records(data.as_bytes(), InputFormat::Jsonl).expect("records");
    let now = "2023-04-20T12:00:00+08:00".parse().expect("a time");
    let program = rules.program();
    let reference = Reference::new(now);
    let subjects: Vec<_> = lines
        .iter()
        .filter_map(|r| decode_subject(&program.schema, &r.json).ok())
        .collect();
    let merchants: Vec<Merchant<'_>> = lines
        .iter()
        .map(|r| serde_json::from_slice(&r.json).expect("a merchant"))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let rounds = 15;
    let phases = [
        (
            "decode",
            interleaved(
                rounds,
                || {
                    for r in &lines {
                        let _ = decode_subject(&program.schema, &r.json);
                    }
                },
                || {
                    for r in &lines {
                        let _ = serde_json::from_slice::<Merchant<'_>>(&r.json);
                    }
                },
            ),
        ),
        (
            "evaluate",
            interleaved(
                rounds,
                || {
                    for s in &subjects {
                        let _ = evaluate(program, s, now);
                    }
                },
                || {
                    for m in &merchants {
                        let _ = reference.decide(m);
                    }
                },
            ),
        ),
        (
            "end to end, one thread",
            interleaved(
                rounds,
                || {
                    let _ = pool.install(|| {
                        run(
                            &rules,
                            &lines,
                            now,
                            OutputFormat::Jsonl,
                            &mut std::io::sink(),
                            &mut |_| {},
                        )
                    });
                },
                || {
                    let _ = reference::run(
                        &reference,
                        data.as_bytes(),
                        &mut std::io::sink(),
                        &mut std::io::sink(),
                    );
                },
            ),
        ),
    ];
    println!("\nguifan ÷ hand-written reference, {N} trial merchants, best of {rounds} interleaved rounds:");
    for (phase, (guifan, native)) in phases {
        println!(
            "  {phase:<24} guifan {:>8.2} ms   reference {:>8.2} ms   guifan takes {:.2}× the reference's time",
            guifan.as_secs_f64() * 1e3,
            native.as_secs_f64() * 1e3,
            guifan.as_secs_f64() / native.as_secs_f64()
        );
    }
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
