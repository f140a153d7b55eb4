//! Evaluation alone, for counting instructions: decodes generated trial
//! merchants, then decides them by the compiled closures or the interpreter
//! (or not at all: `none`), and prints how many decisions were made. Run it
//! under callgrind with an engine and with `none`, and take the difference
//! per record:
//!
//! ```sh
//! cargo build --release -p guifan-bench --example evaluate
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!   target/release/examples/evaluate compiled 20000
//! ```
#![allow(clippy::print_stdout, reason = "an example prints its result")]

use std::path::PathBuf;

use guifan::RuleSet;
use guifan_eval::{decode_subject, evaluate, evaluate_interpreted};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let engine = args.next().unwrap_or_else(|| "compiled".into());
    let n: usize = args.next().as_deref().unwrap_or("20000").parse()?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = RuleSet::from_dir(root.join("rules"))?;
    let program = rules.program();
    let data = guifan_bench::trial_merchants(n, 42);
    let subjects = data
        .lines()
        .map(|line| decode_subject(program.schema(), line.as_bytes()))
        .collect::<Result<Vec<_>, _>>()?;
    let now = "2023-04-20T12:00:00+08:00".parse()?;
    let decisions: usize = match engine.as_str() {
        "compiled" => subjects
            .iter()
            .map(|s| evaluate(program, s, now).decisions.len())
            .sum(),
        "interpreted" => subjects
            .iter()
            .map(|s| evaluate_interpreted(program, s, now, None).decisions.len())
            .sum(),
        "none" => 0,
        other => return Err(format!("no engine `{other}`: compiled, interpreted or none").into()),
    };
    println!("{decisions} decisions on {n} merchants ({engine})");
    Ok(())
}
