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

use criterion::{criterion_group, Criterion, Throughput};
use guifan::data::RecordText;
use guifan::data::{records, InputFormat};
use guifan::RuleSet;
use guifan_bench::reference::{self, Merchant, Reference};
use guifan_eval::{decode_subject, evaluate, evaluate_interpreted};
use guifan_runner::{run, OutputFormat};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const N: usize = 20_000;

/// The trial merchants, decoded both ways, and every way of deciding them
/// that the benchmarks time.
struct Trial<'d> {
    rules: RuleSet,
    data: &'d str,
    lines: Vec<RecordText<'d>>,
    now: chrono::DateTime<chrono::FixedOffset>,
    subjects: Vec<guifan_eval::Subject>,
    merchants: Vec<Merchant<'d>>,
    reference: Reference,
    one_thread: rayon::ThreadPool,
}

impl<'d> Trial<'d> {
    fn new(rules: RuleSet, data: &'d str) -> Self {
        let lines = records(data.as_bytes(), InputFormat::Jsonl).expect("records");
        let now = "2023-04-20T12:00:00+08:00".parse().expect("a time");
        let subjects = lines
            .iter()
            .filter_map(|r| decode_subject(rules.program().schema(), &r.json).ok())
            .collect();
        let merchants = data
            .lines()
            .map(|line| serde_json::from_str(line).expect("a merchant"))
            .collect();
        Trial {
            rules,
            data,
            lines,
            now,
            subjects,
            merchants,
            reference: Reference::new(now),
            one_thread: rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .expect("pool"),
        }
    }

    fn decode(&self) {
        for r in &self.lines {
            let _ = decode_subject(self.rules.program().schema(), &r.json);
        }
    }

    fn reference_decode(&self) {
        for r in &self.lines {
            let _ = serde_json::from_slice::<Merchant<'_>>(&r.json);
        }
    }

    fn evaluate(&self) {
        for s in &self.subjects {
            let _ = evaluate(self.rules.program(), s, self.now);
        }
    }

    fn evaluate_interpreted(&self) {
        for s in &self.subjects {
            let _ = evaluate_interpreted(self.rules.program(), s, self.now, None);
        }
    }

    fn reference_evaluate(&self) {
        for m in &self.merchants {
            let _ = self.reference.decide(m);
        }
    }

    fn end_to_end(&self) {
        let _ = run(
            &self.rules,
            &self.lines,
            self.now,
            OutputFormat::Jsonl,
            &mut std::io::sink(),
            &mut |_| {},
        );
    }

    fn end_to_end_one_thread(&self) {
        self.one_thread.install(|| self.end_to_end());
    }

    fn reference_end_to_end(&self) {
        let _ = reference::run(
            &self.reference,
            self.data.as_bytes(),
            &mut std::io::sink(),
            &mut std::io::sink(),
        );
    }
}

fn rules() -> RuleSet {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    RuleSet::from_dir(root.join("rules")).expect("bundled rules check")
}

fn bench(c: &mut Criterion) {
    let data = guifan_bench::trial_merchants(N, 42);
    let trial = Trial::new(rules(), &data);
    let mut group = c.benchmark_group("trial_merchants");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(10);
    type Phase<'t, 'd> = fn(&'t Trial<'d>);
    let phases: [(&str, Phase<'_, '_>); 8] = [
        ("decode", Trial::decode),
        ("evaluate", Trial::evaluate),
        ("evaluate_interpreted", Trial::evaluate_interpreted),
        ("reference_decode", Trial::reference_decode),
        ("reference_evaluate", Trial::reference_evaluate),
        ("reference_end_to_end", Trial::reference_end_to_end),
        ("end_to_end_one_thread", Trial::end_to_end_one_thread),
        ("end_to_end_all_cores", Trial::end_to_end),
    ];
    for (name, phase) in phases {
        group.bench_function(name, |b| b.iter(|| phase(&trial)));
    }
    group.finish();

    // Every kind of the catalogue: the ranking pass, then the run with the places.
    let rules = &trial.rules;
    let mix = guifan_bench::kinds::mix(N, 42);
    let mix_lines = records(mix.as_bytes(), InputFormat::Jsonl).expect("records");
    let mix_now = guifan_bench::kinds::MIX_AT.parse().expect("a time");
    let mut group = c.benchmark_group("catalogue_mix");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(10);
    group.bench_function("rank_then_run_all_cores", |b| {
        b.iter(|| {
            let keys = rules.rank_keys(&mix_lines, mix_now, &mut |_| {});
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

/// guifan ÷ reference for decoding, evaluating (compiled, and by the
/// interpreter) and both with the output, one thread, on the same 20,000
/// merchants, timed in turn.
fn ratios() {
    let data = guifan_bench::trial_merchants(N, 42);
    let trial = Trial::new(rules(), &data);
    let rounds = 15;
    type Phase<'t, 'd> = fn(&'t Trial<'d>);
    let phases: [(&str, Phase<'_, '_>, &str, Phase<'_, '_>, &str); 4] = [
        (
            "decode",
            Trial::decode,
            "guifan",
            Trial::reference_decode,
            "reference",
        ),
        (
            "evaluate",
            Trial::evaluate,
            "guifan",
            Trial::reference_evaluate,
            "reference",
        ),
        (
            "evaluate",
            Trial::evaluate,
            "compiled",
            Trial::evaluate_interpreted,
            "interpreter",
        ),
        (
            "end to end, one thread",
            Trial::end_to_end_one_thread,
            "guifan",
            Trial::reference_end_to_end,
            "reference",
        ),
    ];
    println!("\n{N} trial merchants, best of {rounds} interleaved rounds:");
    for (phase, first, first_name, second, second_name) in phases {
        let best =
            guifan_bench::interleaved(rounds, &mut [&mut || first(&trial), &mut || second(&trial)]);
        let (a, b) = (best[0], best[1]);
        println!(
            "  {phase:<24} {first_name} {:>8.2} ms   {second_name} {:>8.2} ms   {first_name} takes {:.2}× the {second_name}'s time",
            a.as_secs_f64() * 1e3,
            b.as_secs_f64() * 1e3,
            a.as_secs_f64() / b.as_secs_f64()
        );
    }
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
