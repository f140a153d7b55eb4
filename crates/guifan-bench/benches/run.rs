//! Throughput of decoding and deciding Douyin trial merchants, and a mix of
//! every kind of the catalogue (ranking pass included), with the bundled rules.
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

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
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
criterion_main!(benches);
