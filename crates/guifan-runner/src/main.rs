//! The `guifan` command: `check`, `run` and `test` over a rule directory.

use std::io::{BufRead, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, FixedOffset, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use guifan_runner::data::{self, InputFormat};
use guifan_runner::{
    apply_params_file, load_rules, render, testing, Batch, Exit, LoadError, OutputFormat, RuleSet,
    Summary,
};

/// Bytes of JSON Lines decided per block while streaming.
const BLOCK_BYTES: usize = 2 << 20;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Guifan (规范): declarative e-commerce platform policies, checked and run.
#[derive(Parser)]
#[command(name = "guifan", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check every rule file under DIR against the schema declared there
    Check {
        /// The rule directory (or one file)
        #[arg(default_value = "rules")]
        dir: PathBuf,
        /// How to report problems
        #[arg(long, value_enum, default_value = "human")]
        format: ReportFormat,
        /// Parameter overrides to check too (TOML, one table per policy)
        #[arg(long)]
        params: Option<PathBuf>,
    },
    /// Evaluate the rules against data and write one decision record per subject
    Run(RunArgs),
    /// Run the `*.test.toml` files beside the policies
    Test {
        /// The rule directory holding policies and their tests
        #[arg(default_value = "rules")]
        dir: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    /// Source lines with a caret under each problem
    Human,
    /// One JSON array of problems, for CI
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let exit = match cli.command {
        Command::Check {
            dir,
            format,
            params,
        } => check(&dir, format, params.as_deref()),
        Command::Run(args) => run(args),
        Command::Test { dir } => test(&dir),
    };
    ExitCode::from(exit as u8)
}

fn error(message: impl std::fmt::Display) -> Exit {
    eprintln!("error: {message}");
    Exit::Usage
}

/// Loads rules, printing problems; `None` carries the exit status.
fn load(dir: &Path, format: ReportFormat, params: Option<&Path>) -> Result<RuleSet, Exit> {
    let mut rules = match load_rules(dir) {
        Ok(r) => r,
        Err(LoadError::Invalid { sources, problems }) => {
            match format {
                ReportFormat::Human => {
                    for p in &problems {
                        eprintln!("{:?}", render::report(p, &sources));
                    }
                    eprintln!(
                        "error: {} problem(s) in rule files under `{}`",
                        problems.len(),
                        dir.display()
                    );
                }
                ReportFormat::Json => {
                    let json =
                        serde_json::to_string_pretty(&render::problems_json(&problems, &sources))
                            .unwrap_or_default();
                    println!("{json}");
                }
            }
            return Err(Exit::CheckFailed);
        }
        Err(e) => return Err(error(e)),
    };
    if let Some(path) = params {
        if let Err(e) = apply_params_file(&mut rules, path) {
            eprintln!("error: {e}");
            return Err(Exit::CheckFailed);
        }
    }
    Ok(rules)
}

fn check(dir: &Path, format: ReportFormat, params: Option<&Path>) -> Exit {
    match load(dir, format, params) {
        Ok(rules) => {
            let p = rules.program();
            let rule_count: usize = p.policies.iter().map(|x| x.rules.len()).sum();
            match format {
                ReportFormat::Human => eprintln!(
                    "ok: {} file(s), {} kind(s), {} policies, {} rules",
                    rules.sources.len(),
                    p.schema.kinds.len(),
                    p.policies.len(),
                    rule_count
                ),
                ReportFormat::Json => println!("[]"),
            }
            Exit::Ok
        }
        Err(exit) => exit,
    }
}

#[derive(clap::Args)]
struct RunArgs {
    /// The rule directory
    #[arg(long, default_value = "rules")]
    rules: PathBuf,
    /// The data: a .jsonl, .json or .toml file, or `-` for standard input
    #[arg(long)]
    data: String,
    /// Evaluation time, RFC 3339 (`2023-04-20T12:00:00+08:00`); the wall clock when left out
    #[arg(long)]
    at: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "jsonl")]
    format: OutputFormat,
    /// Write decisions to this file (whole or not at all) instead of standard output
    #[arg(long)]
    output: Option<PathBuf>,
    /// Data format, when the file's extension does not tell
    #[arg(long, value_enum)]
    input_format: Option<InputFormat>,
    /// Parameter overrides (TOML, one table per policy)
    #[arg(long)]
    params: Option<PathBuf>,
    /// Worker threads (default: one per core)
    #[arg(long)]
    jobs: Option<usize>,
    /// No summary on standard error
    #[arg(long, short)]
    quiet: bool,
}

fn run(args: RunArgs) -> Exit {
    if let Some(jobs) = args.jobs {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build_global()
        {
            return error(format!("cannot start {jobs} worker threads: {e}"));
        }
    }
    let now: DateTime<FixedOffset> = match &args.at {
        Some(at) => match guifan_syntax::parse_timestamp(at) {
            Ok(t) => t,
            Err(e) => return error(format!("--at `{at}` is not an RFC 3339 time: {e}")),
        },
        None => Utc::now().fixed_offset(),
    };
    let rules = match load(&args.rules, ReportFormat::Human, args.params.as_deref()) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let name = if args.data == "-" {
        "<stdin>".to_string()
    } else {
        args.data.clone()
    };
    let source: Box<dyn Read + Send> = if args.data == "-" {
        Box::new(std::io::stdin())
    } else {
        match std::fs::File::open(&args.data) {
            Ok(f) => Box::new(f),
            Err(e) => return error(format!("cannot read `{}`: {e}", args.data)),
        }
    };
    let mut source = std::io::BufReader::with_capacity(1 << 16, source);
    let format = match args.input_format.or_else(|| {
        (args.data != "-")
            .then(|| InputFormat::from_path(Path::new(&args.data)))
            .flatten()
    }) {
        Some(f) => f,
        None => match source.fill_buf() {
            Ok(head) => InputFormat::sniff(head),
            Err(e) => return error(format!("cannot read {name}: {e}")),
        },
    };
    let decide = |out: &mut (dyn Write + Send)| -> std::io::Result<Summary> {
        if format == InputFormat::Jsonl {
            // Streamed: a reader thread cuts blocks of whole lines while earlier ones are decided.
            let (tx, rx) = std::sync::mpsc::sync_channel(2);
            let reader = std::thread::spawn(move || {
                for block in data::Blocks::new(source, BLOCK_BYTES) {
                    if tx.send(block).is_err() {
                        break;
                    }
                }
            });
            let batches = rx.into_iter().map(|b| {
                b.map(Batch::Block)
                    .map_err(|e| std::io::Error::new(e.kind(), format!("cannot read {name}: {e}")))
            });
            let summary = guifan_runner::run_batches(&rules, batches, now, args.format, out);
            let _ = reader.join();
            summary
        } else {
            let mut bytes = Vec::new();
            source
                .read_to_end(&mut bytes)
                .map_err(|e| std::io::Error::new(e.kind(), format!("cannot read {name}: {e}")))?;
            let records = data::records(&bytes, format).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{name}:{}: {}", e.line, e.message),
                )
            })?;
            guifan_runner::run(&rules, &records, now, args.format, out)
        }
    };
    let summary = match &args.output {
        Some(path) => write_atomically(path, decide),
        None => {
            let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout());
            decide(&mut out)
        }
    };
    let summary = match summary {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    report_problems(&summary, &name, &rules);
    if !args.quiet {
        let secs = summary.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            summary.records as f64 / secs
        } else {
            0.0
        };
        eprintln!(
            "guifan: {} records, {} decided, {} decisions, {} record errors, {} rule errors in {:.3} s ({:.0} records/s)",
            summary.records,
            summary.decided,
            summary.decisions,
            summary.record_errors.len(),
            summary.rule_errors.len(),
            secs,
            rate
        );
    }
    if summary.is_clean() {
        Exit::Ok
    } else {
        Exit::Failures
    }
}

fn report_problems(summary: &Summary, name: &str, rules: &RuleSet) {
    for e in &summary.record_errors {
        let id =
            e.id.as_deref()
                .map(|i| format!(" (record `{i}`)"))
                .unwrap_or_default();
        eprintln!("error: {name}:{}{id}: {}", e.line, e.error);
    }
    for f in &summary.rule_errors {
        let (line, col) = rules
            .sources
            .line_col(f.error.source_id, f.error.error.span.start as usize);
        let file = rules
            .sources
            .path(f.error.source_id)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        eprintln!(
            "error: {name}:{} (record `{}`): rule `{}` failed: {} [{}] at {file}:{line}:{col}",
            f.line,
            f.id,
            f.error.rule,
            f.error.error.kind,
            f.error.error.kind.code()
        );
    }
}

/// Writes through a temporary file in the same directory, renamed into place only when complete.
fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".guifan-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The published file gets ordinary permissions, not the temporary file's private ones.
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    let result = {
        let mut out = BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        let r = write(&mut out)?;
        out.flush()?;
        r
    };
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(result)
}

fn test(dir: &Path) -> Exit {
    let rules = match load(dir, ReportFormat::Human, None) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let files = testing::test_files(dir);
    if files.is_empty() {
        eprintln!("no *.test.toml files under `{}`", dir.display());
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in files {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => return error(format!("cannot read `{}`: {e}", path.display())),
        };
        match testing::run_test_file(&rules, &text) {
            Ok(report) => {
                println!(
                    "{}: {} passed, {} failed",
                    path.display(),
                    report.passed,
                    report.failures.len()
                );
                for f in &report.failures {
                    println!("  FAILED {}\n    {}", f.case, f.message);
                }
                passed += report.passed;
                failed += report.failures.len();
            }
            Err(e) => {
                println!("{}: invalid test file: {e}", path.display());
                failed += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        Exit::Ok
    } else {
        Exit::Failures
    }
}
