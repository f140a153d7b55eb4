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
    /// What to write: JSON Lines on standard output, or Parquet (one file
    /// per kind, typed by the schema of --rules, into the directory --out)
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// With --format parquet: the directory the files go to (`<kind>.parquet`)
    #[arg(long, required_if_eq("format", "parquet"))]
    out: Option<std::path::PathBuf>,
    /// With --format parquet: the rules directory whose schema types the columns
    #[arg(long, default_value = "rules")]
    rules: std::path::PathBuf,
}

/// What `guifan-gen` writes.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// JSON Lines on standard output
    Jsonl,
    /// A Parquet file per kind
    Parquet,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let data = match (args.mix, args.videos) {
        (Some(n), _) => guifan_bench::kinds::mix(n, args.seed),
        (None, Some(n)) => guifan_bench::kinds::videos(n, args.seed),
        (None, None) => guifan_bench::trial_merchants(args.merchants, args.seed),
    };
    if args.format == Format::Parquet {
        let out = args.out.unwrap_or_default();
        return match guifan_bench::parquet::write_per_kind(&args.rules, &data, &out) {
            Ok(files) => {
                for (path, rows) in files {
                    eprintln!("{}: {rows} rows", path.display());
                }
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                std::process::ExitCode::from(2)
            }
        };
    }
    match std::io::stdout().lock().write_all(data.as_bytes()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
