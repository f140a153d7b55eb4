//! `guifan-gen`: writes generated benchmark records as JSON Lines to standard output.

use std::io::Write;

use clap::Parser;

/// Generates catalogue records for benchmarks: Douyin trial merchants (the
/// default), a mix of every kind, or Ramadan videos.
#[derive(Parser)]
#[command(name = "guifan-gen", version)]
struct Args {
    /// How many trial merchants
    #[arg(long, default_value_t = 100_000)]
    merchants: usize,
    /// Instead: this many records of every kind in turn (run them `--at 2023-03-16T12:00:00+08:00`)
    #[arg(long)]
    mix: Option<usize>,
    /// Instead: this many TikTok Shop videos (the ranking policy)
    #[arg(long)]
    videos: Option<usize>,
    /// Random seed (the same seed gives the same records)
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let data = match (args.mix, args.videos) {
        (Some(n), _) => guifan_bench::kinds::mix(n, args.seed),
        (None, Some(n)) => guifan_bench::kinds::videos(n, args.seed),
        (None, None) => guifan_bench::trial_merchants(args.merchants, args.seed),
    };
    match std::io::stdout().lock().write_all(data.as_bytes()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
