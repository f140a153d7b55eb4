//! The runner on one thread with the system's allocator, for heap profiles:
//! generated trial merchants decided to JSON Lines in memory. Run it under
//! dhat at two sizes and take the difference per record, so that the load of
//! the rules and the buffers' growth do not count:
//!
//! ```sh
//! cargo build --release -p guifan-bench --example run_jsonl
//! valgrind --tool=dhat target/release/examples/run_jsonl 2000
//! valgrind --tool=dhat target/release/examples/run_jsonl 4000
//! ```
#![allow(clippy::print_stdout, reason = "an example prints its result")]

use std::path::PathBuf;

use guifan::data::{records, InputFormat};
use guifan::RuleSet;
use guifan_runner::{run, OutputFormat};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("2000")
        .parse()?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = RuleSet::from_dir(root.join("rules"))?;
    let data = guifan_bench::trial_merchants(n, 42);
    let lines = records(data.as_bytes(), InputFormat::Jsonl)?;
    let now = "2023-04-20T12:00:00+08:00".parse()?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let mut out = Vec::with_capacity(n * 1024);
    let summary = pool.install(|| {
        run(
            &rules,
            &lines,
            now,
            OutputFormat::Jsonl,
            &mut out,
            &mut |_| {},
        )
    })?;
    println!("{} decided, {} bytes written", summary.decided, out.len());
    Ok(())
}
