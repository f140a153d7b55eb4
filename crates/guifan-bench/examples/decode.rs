//! Decoding alone, the way the runner does it (each subject's arrays returned
//! to the thread's pool once it is decided), on generated trial merchants.
//!
//! `time` (the default) times guifan's decoder against the hand-written
//! reference's serde derive, best of interleaved rounds, and prints the ratio;
//! `guifan` or `none` decode once (or not at all), for counting instructions
//! under callgrind and taking the difference per record:
//!
//! ```sh
//! cargo build --release -p guifan-bench --example decode
//! target/release/examples/decode time 20000 15
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!   target/release/examples/decode guifan 20000
//! ```
#![allow(clippy::print_stdout, reason = "an example prints its result")]

use std::path::PathBuf;

use guifan::RuleSet;
use guifan_bench::reference::Merchant;
use guifan_eval::{decode_subject, recycle, Schema};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Decodes every line, returning each subject's arrays to the pool; the number decoded.
fn decode_all(schema: &Schema, lines: &[&str]) -> usize {
    let mut decoded = 0;
    for line in lines {
        if let Ok(subject) = decode_subject(schema, line.as_bytes()) {
            decoded += 1;
            recycle(subject);
        }
    }
    decoded
}

/// The reference's decoding of every line; the number decoded.
fn reference_all(lines: &[&str]) -> usize {
    lines
        .iter()
        .filter(|line| serde_json::from_str::<Merchant<'_>>(line).is_ok())
        .count()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "time".into());
    let n: usize = args.next().as_deref().unwrap_or("20000").parse()?;
    let rounds: usize = args.next().as_deref().unwrap_or("15").parse()?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = RuleSet::from_dir(root.join("rules"))?;
    let schema = rules.program().schema();
    let data = guifan_bench::trial_merchants(n, 42);
    let lines: Vec<&str> = data.lines().collect();
    match what.as_str() {
        "guifan" => println!("{} of {n} decoded", decode_all(schema, &lines)),
        "none" => println!("0 of {n} decoded"),
        "time" => {
            let (mut ours, mut theirs) = (0, 0);
            let best = guifan_bench::interleaved(
                rounds,
                &mut [&mut || ours = decode_all(schema, &lines), &mut || {
                    theirs = reference_all(&lines)
                }],
            );
            let [guifan, reference] = <[_; 2]>::try_from(best)
                .map_err(|_| "two timings")?
                .map(|d| d.as_secs_f64() * 1e3);
            println!(
                "{n} trial merchants, best of {rounds} interleaved rounds: \
                 guifan {guifan:.2} ms ({ours} decoded), reference {reference:.2} ms ({theirs}); \
                 guifan takes {:.2}× the reference's time",
                guifan / reference
            );
        }
        other => return Err(format!("no `{other}`: time, guifan or none").into()),
    }
    Ok(())
}
