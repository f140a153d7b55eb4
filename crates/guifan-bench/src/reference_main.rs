//! `guifan-ref`: the hand-written reference for `douyin.zero_deposit_trial`
//! ([`guifan_bench::reference`]), one thread, JSON Lines in, decision JSON
//! Lines out, for measuring Guifan against in the same run
//! (`scripts/ratio.sh`).

use std::io::Write;

use clap::Parser;

/// Decides Douyin trial merchants with hard-coded rules.
#[derive(Parser)]
#[command(name = "guifan-ref", version)]
struct Args {
    /// JSON Lines of merchants
    #[arg(long)]
    data: std::path::PathBuf,
    /// Evaluation time, RFC 3339
    #[arg(long)]
    at: String,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let Some(now) = guifan_bench::reference::parse_time(&args.at) else {
        eprintln!("error: `{}` is not an RFC 3339 time", args.at);
        return std::process::ExitCode::from(2);
    };
    let input = match std::fs::read(&args.data) {
        Ok(input) => input,
        Err(e) => {
            eprintln!("error: {}: {e}", args.data.display());
            return std::process::ExitCode::from(2);
        }
    };
    let reference = guifan_bench::reference::Reference::new(now);
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let result = guifan_bench::reference::run(&reference, &input, &mut out, &mut std::io::stderr())
        .and_then(|_| out.flush());
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
