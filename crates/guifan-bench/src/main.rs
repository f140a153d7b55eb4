//! `guifan-gen`: writes generated benchmark records as JSON Lines to standard output.

use std::io::Write;

use clap::Parser;

/// Generates Douyin zero-deposit-trial merchants for benchmarks.
#[derive(Parser)]
#[command(name = "guifan-gen", version)]
struct Args {
    /// How many merchants
    #[arg(long, default_value_t = 100_000)]
    merchants: usize,
    /// Random seed (the same seed gives the same records)
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let data = guifan_bench::trial_merchants(args.merchants, args.seed);
    match std::io::stdout().lock().write_all(data.as_bytes()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
