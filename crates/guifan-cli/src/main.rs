//! The `guifan` command: `check`, `fmt`, `test` and `run` over rule files and data.

use std::io::{BufRead, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use chrono::{DateTime, FixedOffset, Utc};
use clap::{Parser, Subcommand};
use guifan_eval::rank::Ranks;
use guifan_runner::clip::{one_line, printable};
use guifan_runner::data::{self, InputFormat};
use guifan_runner::report::{self, ReportFormat};
use guifan_runner::stdio::is_broken_pipe;
use guifan_runner::{
    apply_params_file, errln, load_paths, load_rules, outln, output, selection_files, testing,
    Batch, Exit, LoadError, OutputFormat, ParamsError, RuleSet, RunProblem, SourceMap, Summary,
};
use guifan_syntax::diagnostic::{At, Diagnostic, Label};

/// Bytes of JSON Lines decided per block while streaming.
const BLOCK_BYTES: usize = 1 << 20;
/// The most worker threads `--jobs` takes.
const MAX_JOBS: usize = 1024;
/// Stack of each worker thread: the deepest expression allowed needs under 2 MiB even in a debug build.
const WORKER_STACK: usize = 16 << 20;

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
    /// Parse, type-check and lint rule files: a whole rules directory, a
    /// directory under it, or single policy files (checked against the schema
    /// of the rules directory they are in)
    Check(CheckArgs),
    /// Evaluate the rules against data and write one decision record per subject
    Run(RunArgs),
    /// Run the `*.test.toml` files beside the policies
    Test {
        /// A rule directory, a directory under it, or one `*.test.toml` file; the
        /// rules are loaded from the nearest directory above it holding `schema/`
        #[arg(default_value = "rules")]
        dir: PathBuf,
        /// How to report: human, json, sarif, github, or JUnit XML for CI dashboards
        #[arg(long, value_enum, default_value = "human")]
        format: TestFormat,
        /// Run only the cases whose name contains this text
        #[arg(long)]
        filter: Option<String>,
        /// Report which rules, versions and comparisons the cases exercise
        #[arg(long)]
        coverage: bool,
        /// Fail (exit 1) when less than this percentage of rules and versions
        /// is covered: a number from 0 to 100
        #[arg(long, value_name = "PERCENT", value_parser = percent_arg)]
        min_coverage: Option<f64>,
    },
    /// Rewrite rule files in the canonical layout (comments kept)
    Fmt(FmtArgs),
    /// Decide records over HTTP (`POST /v1/decide`), reloading the rules as they change
    Serve(ServeArgs),
    /// Why each rule fired or did not for one subject: every policy of its
    /// kind, every rule, each comparison with its values and its distance to flipping
    Explain(ExplainArgs),
    /// What a rule change does to data: the subjects whose decisions differ
    /// between two rule directories, by rule and kind of change
    Diff(DiffArgs),
}

#[derive(clap::Args)]
struct ExplainArgs {
    /// The rule directory
    #[arg(long, default_value = "rules")]
    rules: PathBuf,
    /// The data holding the subject: a .jsonl, .json or .toml file, or `-`
    #[arg(long)]
    data: String,
    /// The subject's `id`
    #[arg(long)]
    subject: String,
    /// Evaluation time, RFC 3339; the wall clock when left out
    #[arg(long)]
    at: Option<String>,
    /// `human` or `json`
    #[arg(long, value_enum, default_value = "human")]
    format: DiffFormat,
}

#[derive(clap::Args)]
struct DiffArgs {
    /// The rules before the change
    #[arg(long)]
    base: PathBuf,
    /// The rules after the change
    #[arg(long, default_value = "rules")]
    rules: PathBuf,
    /// The data: a .jsonl, .json or .toml file, or `-` for standard input
    #[arg(long)]
    data: String,
    /// Evaluation time, RFC 3339; the wall clock when left out
    #[arg(long)]
    at: Option<String>,
    /// `human` or `json`
    #[arg(long, value_enum, default_value = "human")]
    format: DiffFormat,
    /// Example subjects kept per count
    #[arg(long, default_value_t = 5)]
    examples: usize,
    /// List every subject that changes (JSON), not only examples
    #[arg(long)]
    all_subjects: bool,
    /// Data format, when the file's extension does not tell
    #[arg(long, value_enum)]
    input_format: Option<InputFormat>,
}

/// How `test` reports.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TestFormat {
    /// Each file's counts and each failure
    Human,
    /// One JSON array of failures
    Json,
    /// A SARIF 2.1.0 log of failures
    Sarif,
    /// GitHub Actions annotations
    Github,
    /// JUnit XML: one test suite per file, one test case per case
    Junit,
}

/// How `diff` reports.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DiffFormat {
    /// Totals, then each rule's counts with example subjects
    Human,
    /// One JSON object
    Json,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The rule directory, watched for changes
    #[arg(long, default_value = "rules")]
    rules: PathBuf,
    /// The address to listen on (port 0: any free port, printed when ready)
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// Append each decided record to this JSON Lines file (time, subject, decisions, revision)
    #[arg(long)]
    decision_log: Option<PathBuf>,
    /// The largest request body, in bytes
    #[arg(long, default_value_t = 16 << 20)]
    max_body: usize,
    /// The longest a request may take, in milliseconds
    #[arg(long, default_value_t = 30_000)]
    timeout_ms: u64,
    /// How often the rule directory is looked at for changes, in milliseconds
    #[arg(long, default_value_t = 500)]
    watch_ms: u64,
    /// How long a changed rule directory must stay unchanged before it is loaded, in milliseconds
    #[arg(long, default_value_t = 1_000)]
    settle_ms: u64,
    /// How long a client may take to send a request's header (and an idle
    /// connection may stay open), in milliseconds
    #[arg(long, default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// The most connections open at once
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    /// The most request body bytes in flight at once (503 beyond)
    #[arg(long, default_value_t = 256 << 20)]
    max_in_flight: u64,
    /// How long requests in flight may take to finish after SIGTERM, in milliseconds
    #[arg(long, default_value_t = 10_000)]
    shutdown_grace_ms: u64,
    /// Require `Authorization: Bearer <token>` on /v1/*, the token read from
    /// this file (or from the GUIFAN_SERVE_TOKEN environment variable)
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Require the token on /metrics too
    #[arg(long)]
    token_for_metrics: bool,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key)
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Rule files or directories; the schema is the `schema/` directory of the
    /// nearest directory above the first path that has one
    #[arg(default_value = "rules")]
    paths: Vec<PathBuf>,
    /// The schema directory to check against, when it is elsewhere
    #[arg(long)]
    schema: Option<PathBuf>,
    /// How to report problems
    #[arg(long, value_enum, default_value = "human")]
    format: ReportFormat,
    /// Parameter overrides to check too (TOML, one table per policy)
    #[arg(long)]
    params: Option<PathBuf>,
    /// Fail (exit status 3) on warnings too
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(clap::Args)]
struct FmtArgs {
    /// Rule files or directories to format; `-` formats standard input to standard output
    #[arg(default_value = "rules")]
    paths: Vec<PathBuf>,
    /// Change nothing: list the files that are not formatted, and exit 1 if there are any
    #[arg(long)]
    check: bool,
    /// How to report files that are not formatted, and parse errors
    #[arg(long, value_enum, default_value = "human")]
    format: ReportFormat,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let exit = match cli.command {
        Command::Check(args) => check(args),
        Command::Run(args) => run(args),
        Command::Test {
            dir,
            format,
            filter,
            coverage,
            min_coverage,
        } => test(
            &dir,
            format,
            filter.as_deref(),
            coverage || min_coverage.is_some(),
            min_coverage,
        ),
        Command::Serve(args) => serve(args),
        Command::Diff(args) => diff(args),
        Command::Explain(args) => explain(args),
        Command::Fmt(args) => {
            guifan_runner::format_files::run(&args.paths, args.check, args.format)
        }
    };
    ExitCode::from(exit.code())
}

fn error(message: impl std::fmt::Display) -> Exit {
    errln!("error: {}", printable(&message.to_string()));
    Exit::Usage
}

/// Prints diagnostics in `format`: people read them on standard error,
/// machines on standard output.
fn report(format: ReportFormat, diagnostics: &[Diagnostic], sources: &SourceMap) {
    if diagnostics.is_empty() && format == ReportFormat::Human {
        return;
    }
    match format {
        ReportFormat::Human => {
            let color = std::io::stderr().is_terminal();
            errln!(
                "{}",
                report::render(format, diagnostics, sources, color).trim_end()
            );
        }
        _ => {
            let text = report::render(format, diagnostics, sources, false);
            outln!("{}", text.trim_end());
        }
    }
}

/// The exit status of a failed load: unreadable files are usage errors, the rest check failures.
fn load_failure(e: &LoadError, format: ReportFormat, what: &Path) -> Exit {
    let sources = match e {
        LoadError::Invalid { sources, .. } => sources.clone(),
        _ => SourceMap::default(),
    };
    let diagnostics = report::load_error_diagnostics(e);
    report(format, &diagnostics, &sources);
    if let LoadError::Invalid {
        problems, omitted, ..
    } = e
    {
        if format == ReportFormat::Human {
            let total = problems.len() + omitted;
            let more = if *omitted > 0 {
                format!(" ({omitted} more not shown)")
            } else {
                String::new()
            };
            errln!(
                "error: {total} problem{} in rule files under `{}`{more}",
                if total == 1 { "" } else { "s" },
                printable(&what.display().to_string())
            );
        }
        return Exit::CheckFailed;
    }
    Exit::Usage
}

/// A parameter file's problem, as a diagnostic in any format.
fn params_failure(e: &ParamsError, format: ReportFormat) -> Exit {
    let (code, path, exit) = match e {
        ParamsError::Io { path, .. } => ("guifan::io::unreadable", path, Exit::Usage),
        ParamsError::Invalid { path, .. } => ("guifan::params::invalid", path, Exit::CheckFailed),
    };
    let d = Diagnostic::new(
        code,
        e.to_string(),
        Label {
            at: At::File(path.display().to_string()),
            message: None,
        },
    );
    report(format, &[d], &SourceMap::default());
    exit
}

/// Loads a rules directory, reporting problems in `format`; `Err` carries the exit status.
fn load(dir: &Path, format: ReportFormat, params: Option<&Path>) -> Result<RuleSet, Exit> {
    let mut rules = load_rules(dir).map_err(|e| load_failure(&e, format, dir))?;
    if let Some(path) = params {
        apply_params_file(&mut rules, path).map_err(|e| params_failure(&e, format))?;
    }
    Ok(rules)
}

fn check(args: CheckArgs) -> Exit {
    let (all, selected) = match selection_files(&args.paths, args.schema.as_deref()) {
        Ok(x) => x,
        Err(e) => return load_failure(&e, args.format, first_path(&args.paths)),
    };
    let mut rules = match load_paths(all) {
        Ok(r) => r,
        Err(e) => return load_failure(&e, args.format, first_path(&args.paths)),
    };
    if let Some(path) = &args.params {
        if let Err(e) = apply_params_file(&mut rules, path) {
            return params_failure(&e, args.format);
        }
    }
    // Lints on the selected files, knowing which policies the tests exercise.
    let root = guifan_runner::rules_root(first_path(&args.paths));
    let context = guifan_lint::Context {
        tested_policies: Some(testing::tested_policies(&root)),
    };
    let selected: std::collections::HashSet<PathBuf> = selected.into_iter().collect();
    let texts: Vec<(&guifan_syntax::ast::RuleFile, &str)> = rules
        .files()
        .iter()
        .filter(|f| {
            rules
                .sources
                .path(f.source)
                .is_some_and(|p| selected.contains(p))
        })
        .filter_map(|f| rules.sources.text(f.source).map(|t| (f, &**t)))
        .collect();
    let warnings = guifan_lint::lint(&texts, &context);
    report(args.format, &warnings, &rules.sources);
    if args.format == ReportFormat::Human {
        let p = rules.program();
        let rule_count: usize = p.policies.iter().map(|x| x.rules.len()).sum();
        errln!(
            "{}: {} file(s), {} kind(s), {} policies, {} rules, {} warning{}",
            if warnings.is_empty() { "ok" } else { "checked" },
            rules.sources.len(),
            p.schema.kinds.len(),
            p.policies.len(),
            rule_count,
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" }
        );
    }
    if args.deny_warnings && !warnings.is_empty() {
        Exit::CheckFailed
    } else {
        Exit::Ok
    }
}

fn diff(args: DiffArgs) -> Exit {
    if let Err(exit) = start_workers(None) {
        return exit;
    }
    let now = match evaluation_time(args.at.as_deref()) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    let base = match load(&args.base, ReportFormat::Human, None) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let rules = match load(&args.rules, ReportFormat::Human, None) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let Input {
        name,
        mut source,
        progress,
        format,
    } = match open_input(&args.data, args.input_format, true) {
        Ok(i) => i,
        Err(exit) => return exit,
    };
    // Problems of single records are left to `guifan run`: here they are counted.
    let mut ignore = |_: RunProblem| {};
    let report = if format == InputFormat::Jsonl {
        let mut base = base;
        let mut rules = rules;
        for set in [&mut base, &mut rules] {
            if set.needs_ranks() {
                match rank_first_pass(
                    set,
                    source,
                    &args.data,
                    &name,
                    now,
                    &mut ignore,
                    progress.as_ref(),
                ) {
                    Ok((ranked, next, _)) => {
                        *set = ranked;
                        source = next;
                    }
                    Err(e) => return error(e),
                }
            }
        }
        let blocks = data::Blocks::new(source, BLOCK_BYTES).map(|b| {
            b.map(Batch::Block)
                .map_err(|e| std::io::Error::new(e.kind(), format!("cannot read {name}: {e}")))
        });
        guifan_runner::diff::diff_batches(
            &base,
            &rules,
            blocks,
            now,
            args.examples,
            args.all_subjects,
        )
    } else {
        let mut bytes = Vec::new();
        if let Err(e) = source.read_to_end(&mut bytes) {
            return error(format!("cannot read {name}: {e}"));
        }
        let records = match data::records(&bytes, format) {
            Ok(r) => r,
            Err(e) => return error(format!("{name}:{}: {}", e.line, e.message)),
        };
        let ranked = |set: &RuleSet| {
            if set.needs_ranks() {
                let keys = guifan_runner::rank_keys(set, &records, now, &mut |_| {});
                set.with_ranks(Ranks::from_keys(keys))
            } else {
                set.clone()
            }
        };
        let (base, rules) = (ranked(&base), ranked(&rules));
        guifan_runner::diff::diff_batches(
            &base,
            &rules,
            std::iter::once(Ok(Batch::Records(&records))),
            now,
            args.examples,
            args.all_subjects,
        )
    };
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let report = match report {
        Ok(r) => r,
        Err(e) if is_broken_pipe(&e) => return Exit::BrokenPipe,
        Err(e) => return error(e),
    };
    // Records that do not decode are reported with their lines, as `run` reports them.
    for p in &report.record_problems {
        let by = match p.refused_by {
            "both" => "",
            "base" => " by the base rules",
            _ => " by the new rules",
        };
        errln!(
            "error: {}:{}: not decoded{by}: {} [guifan::data::invalid]",
            printable(&name),
            p.line,
            one_line(&p.error)
        );
    }
    if report.record_errors > report.record_problems.len() {
        errln!(
            "error: {} more records not decoded",
            report.record_errors - report.record_problems.len()
        );
    }
    match args.format {
        DiffFormat::Human => outln!("{}", guifan_runner::diff::human(&report).trim_end()),
        DiffFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ),
    }
    if report.record_errors > 0 {
        Exit::Failures
    } else {
        Exit::Ok
    }
}

fn explain(args: ExplainArgs) -> Exit {
    let now = match evaluation_time(args.at.as_deref()) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    let rules = match load(&args.rules, ReportFormat::Human, None) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let Input {
        name,
        mut source,
        format,
        ..
    } = match open_input(&args.data, None, false) {
        Ok(i) => i,
        Err(exit) => return exit,
    };
    // Found in one pass: the subject's first record (and the lines of any
    // other with its ID), and the ranking keys of every record when a policy
    // ranks. JSON Lines are streamed in blocks, so memory holds one block,
    // the record and the keys, never the input.
    let mut found: Option<(usize, Vec<u8>)> = None;
    let mut others: Vec<String> = Vec::new();
    let mut keys = Vec::new();
    let mut look_at = |records: &[data::RecordText<'_>], keys: &mut Vec<_>| {
        for r in records {
            if guifan_runner::record_id(&r.json).as_deref() == Some(args.subject.as_str()) {
                match &found {
                    None => found = Some((r.line, r.json.to_vec())),
                    Some(_) => others.push(r.line.to_string()),
                }
            }
        }
        if rules.needs_ranks() {
            keys.extend(guifan_runner::rank_keys(&rules, records, now, &mut |_| {}));
        }
    };
    if format == InputFormat::Jsonl {
        for block in data::Blocks::new(&mut source, BLOCK_BYTES) {
            match block {
                Ok(block) => look_at(&block.records(), &mut keys),
                Err(e) => return error(format!("cannot read {name}: {e}")),
            }
        }
    } else {
        // JSON arrays and TOML files are read whole, as `run` reads them.
        let mut bytes = Vec::new();
        if let Err(e) = source.read_to_end(&mut bytes) {
            return error(format!("cannot read {name}: {e}"));
        }
        match data::records(&bytes, format) {
            Ok(records) => look_at(&records, &mut keys),
            Err(e) => return error(format!("{}:{}: {}", args.data, e.line, e.message)),
        }
    }
    let Some((line, json)) = found else {
        return error(format!(
            "no record with `id` `{}` in {}",
            one_line(&args.subject),
            args.data
        ));
    };
    if !others.is_empty() {
        errln!(
            "note: {} records have `id` `{}`; this explains the first, line {line} (the others: line {})",
            others.len() + 1,
            one_line(&args.subject),
            others.join(", ")
        );
    }
    // Ranking policies see the places of the whole input.
    let rules = if rules.needs_ranks() {
        rules.with_ranks(Ranks::from_keys(keys))
    } else {
        rules
    };
    match guifan_runner::explain::explain(&rules, &json, now) {
        Ok(e) => {
            match args.format {
                DiffFormat::Human => outln!(
                    "{}",
                    guifan_runner::explain::human(&e, std::io::stdout().is_terminal()).trim_end()
                ),
                DiffFormat::Json => {
                    outln!("{}", serde_json::to_string_pretty(&e).unwrap_or_default())
                }
            }
            Exit::Ok
        }
        Err(e) => {
            errln!("error: {}:{line}: {}", args.data, printable(&e));
            Exit::Failures
        }
    }
}

/// The evaluation time given with `--at` (RFC 3339), or the wall clock's.
fn evaluation_time(at: Option<&str>) -> Result<DateTime<FixedOffset>, Exit> {
    match at {
        Some(at) => guifan_syntax::parse_timestamp(at)
            .map_err(|e| error(format!("--at `{at}` is not an RFC 3339 time: {e}"))),
        None => Ok(Utc::now().fixed_offset()),
    }
}

/// Starts the global worker pool (`jobs` threads, default one per core), with
/// stacks well above what the deepest rule allowed needs (reserved, not committed).
fn start_workers(jobs: Option<usize>) -> Result<(), Exit> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .stack_size(WORKER_STACK)
        .build_global()
        .map_err(|e| error(format!("cannot start the worker threads: {e}")))
}

/// The data named on the command line, opened: its name for messages, the
/// buffered source, its progress bar, and its format (given, from the file's
/// extension, or sniffed from its first bytes).
struct Input {
    name: String,
    source: Source,
    progress: Option<indicatif::ProgressBar>,
    format: InputFormat,
}

fn open_input(data: &str, given: Option<InputFormat>, show_progress: bool) -> Result<Input, Exit> {
    let name = if data == "-" {
        "<stdin>".to_string()
    } else {
        data.to_string()
    };
    let (mut source, progress) = open_data(data, show_progress)?;
    let format = match given.or_else(|| {
        (data != "-")
            .then(|| InputFormat::from_path(Path::new(data)))
            .flatten()
    }) {
        Some(f) => f,
        None => match source.fill_buf() {
            Ok(head) => InputFormat::sniff(head),
            Err(e) => return Err(error(format!("cannot read {name}: {e}"))),
        },
    };
    Ok(Input {
        name,
        source,
        progress,
        format,
    })
}

/// The data named on the command line (`-`: standard input), buffered.
/// With a progress bar on standard error when it is a terminal and the file is
/// big enough to take more than a moment (`show` false: never).
fn open_data(data: &str, show: bool) -> Result<(Source, Option<indicatif::ProgressBar>), Exit> {
    if data == "-" {
        let source: Box<dyn Read + Send> = Box::new(std::io::stdin());
        return Ok((std::io::BufReader::with_capacity(1 << 16, source), None));
    }
    let file = match std::fs::File::open(data) {
        Ok(f) => f,
        Err(e) => return Err(error(format!("cannot read `{data}`: {e}"))),
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = (show && size >= PROGRESS_MIN_BYTES && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(size);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style);
        }
        bar
    });
    let source: Box<dyn Read + Send> = match &bar {
        Some(b) => Box::new(b.wrap_read(file)),
        None => Box::new(file),
    };
    Ok((std::io::BufReader::with_capacity(1 << 16, source), bar))
}

/// The smallest data file `run` and `diff` show a progress bar for (smaller ones take a moment).
const PROGRESS_MIN_BYTES: u64 = 16 << 20;

fn serve(args: ServeArgs) -> Exit {
    let mut config = guifan_serve::Config::new(args.rules, args.listen);
    config.decision_log = args.decision_log;
    config.max_body = args.max_body;
    config.timeout = std::time::Duration::from_millis(args.timeout_ms.max(1));
    config.watch_every = std::time::Duration::from_millis(args.watch_ms.max(10));
    config.settle = std::time::Duration::from_millis(args.settle_ms);
    config.header_timeout = std::time::Duration::from_millis(args.header_timeout_ms.max(1));
    config.max_connections = args.max_connections.max(1);
    config.max_in_flight = args.max_in_flight.max(1);
    config.shutdown_grace = std::time::Duration::from_millis(args.shutdown_grace_ms);
    config.token_for_metrics = args.token_for_metrics;
    config.tls = args.tls_cert.zip(args.tls_key);
    config.token = match (&args.token_file, std::env::var("GUIFAN_SERVE_TOKEN")) {
        (Some(path), _) => match guifan::read_rule_file(path) {
            Ok(read) if read.bad_byte.is_none() => Some(read.text.trim().to_string()),
            Ok(_) => return error(format!("the token file `{}` is not UTF-8", path.display())),
            Err(e) => {
                return error(format!(
                    "cannot read the token file `{}`: {e}",
                    path.display()
                ))
            }
        },
        (None, Ok(token)) => Some(token.trim().to_string()),
        (None, Err(_)) => None,
    };
    if args.token_for_metrics && config.token.is_none() {
        return error("--token-for-metrics needs a token: --token-file or GUIFAN_SERVE_TOKEN");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return error(format!("cannot start the server's threads: {e}")),
    };
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let served = runtime.block_on(guifan_serve::serve(config, |addr| {
        errln!("guifan serve: listening on {scheme}://{addr}");
    }));
    match served {
        Ok(()) => Exit::Ok,
        Err(guifan_serve::ServeError::Rules(e)) => {
            errln!("error: {}", printable(&e.to_string()));
            Exit::CheckFailed
        }
        Err(e) => error(e),
    }
}

fn first_path(paths: &[PathBuf]) -> &Path {
    paths.first().map_or(Path::new("rules"), PathBuf::as_path)
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
    /// How record and rule problems are reported on standard error: human
    /// lines, JSON Lines, GitHub annotations (each as it is found), or one
    /// SARIF log at the end (of the first 1,000)
    #[arg(long, value_enum, default_value = "human")]
    report_format: ReportFormat,
}

fn run(args: RunArgs) -> Exit {
    let started = Instant::now();
    if let Some(jobs) = args.jobs {
        if !(1..=MAX_JOBS).contains(&jobs) {
            return error(format!("--jobs takes 1 to {MAX_JOBS} threads, not {jobs}"));
        }
    }
    if let Err(exit) = start_workers(args.jobs) {
        return exit;
    }
    let now = match evaluation_time(args.at.as_deref()) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    let rules = match load(&args.rules, ReportFormat::Human, args.params.as_deref()) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let Input {
        name,
        mut source,
        progress,
        format,
    } = match open_input(&args.data, args.input_format, !args.quiet) {
        Ok(i) => i,
        Err(exit) => return exit,
    };
    let mut problems = ProblemPrinter {
        name: &name,
        rules: &rules,
        format: args.report_format,
        sarif: Vec::new(),
    };
    // Problems are printed above the progress bar, never through it.
    let bar = progress.clone();
    let mut on_problem = |p: RunProblem| match &bar {
        Some(bar) => bar.suspend(|| problems.print(&p)),
        None => problems.print(&p),
    };
    let decide = |out: &mut (dyn Write + Send)| -> std::io::Result<Summary> {
        if format == InputFormat::Jsonl {
            // A policy that ranks subjects against each other needs the whole input
            // once before anything is decided: a first pass keeps only ranking keys.
            let (ranked, source, first_pass) = if rules.needs_ranks() {
                let (r, s, n) = rank_first_pass(
                    &rules,
                    source,
                    &args.data,
                    &name,
                    now,
                    &mut on_problem,
                    progress.as_ref(),
                )?;
                (Some(r), s, Some(n))
            } else {
                (None, source, None)
            };
            let rules = ranked.as_ref().unwrap_or(&rules);
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
            let summary =
                guifan_runner::run_batches(rules, batches, now, args.format, out, &mut on_problem);
            let _ = reader.join();
            match (summary, first_pass) {
                (Ok(s), Some(n)) if s.records != n => {
                    Err(changed_between_passes(&name, n, s.records))
                }
                (summary, _) => summary,
            }
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
            let ranked;
            let rules = if rules.needs_ranks() {
                let keys = guifan_runner::rank_keys(&rules, &records, now, &mut on_problem);
                ranked = rules.with_ranks(Ranks::from_keys(keys));
                &ranked
            } else {
                &rules
            };
            guifan_runner::run(rules, &records, now, args.format, out, &mut on_problem)
        }
    };
    let summary = match &args.output {
        Some(path) => {
            if let Err(e) = output::install_interrupt_cleanup() {
                return error(format!("cannot watch for interruptions: {e}"));
            }
            output::write_file(path, decide)
        }
        None => {
            let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout());
            decide(&mut out)
        }
    };
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    if args.report_format == ReportFormat::Sarif {
        errln!(
            "{}",
            report::render(ReportFormat::Sarif, &problems.sarif, &rules.sources, false).trim_end()
        );
    }
    let mut summary = match summary {
        Ok(s) => s,
        Err(e) if is_broken_pipe(&e) => return Exit::BrokenPipe,
        Err(e) => return error(e),
    };
    summary.elapsed = started.elapsed();
    if !args.quiet {
        print_summary(&summary);
    }
    if summary.is_clean() {
        Exit::Ok
    } else {
        Exit::Failures
    }
}

/// The input read as it is now: a buffered stream.
type Source = std::io::BufReader<Box<dyn Read + Send>>;

/// Whether `data` names a regular file, which can be opened a second time
/// and read again from its start. Standard input, pipes, FIFOs, process
/// substitutions (`<(...)`, `/dev/fd/63`), `/dev/stdin` and other devices
/// cannot: what was read of them is gone, and a FIFO opened again waits for
/// a second writer.
fn reopenable(data: &str) -> bool {
    data != "-" && std::fs::metadata(data).is_ok_and(|m| m.is_file())
}

/// The first of two passes over JSON Lines, for ranking policies: every record's
/// ranking keys (and nothing else of it) are kept, and the places computed. A
/// regular file is read again for the second pass; any other input (standard
/// input, a pipe, a FIFO, a device) is read once, spooled to a temporary
/// file, which the second pass reads. Returns the ranked rules, the source of
/// the second pass, and how many records the first pass read.
fn rank_first_pass(
    rules: &RuleSet,
    mut source: Source,
    data: &str,
    name: &str,
    now: DateTime<FixedOffset>,
    on_problem: &mut dyn FnMut(RunProblem),
    progress: Option<&indicatif::ProgressBar>,
) -> std::io::Result<(RuleSet, Source, usize)> {
    use std::io::Seek;
    let context =
        |e: std::io::Error| std::io::Error::new(e.kind(), format!("cannot read {name}: {e}"));
    let again = reopenable(data);
    let mut spool = if again {
        std::fs::File::open(data).map_err(context)?
    } else {
        let mut f = tempfile::tempfile()?;
        std::io::copy(&mut source, &mut f).map_err(context)?;
        f.rewind()?;
        f
    };
    let mut keys = Vec::new();
    let mut records = 0;
    for block in data::Blocks::new(&mut spool, BLOCK_BYTES) {
        let block = block.map_err(context)?;
        let texts = block.records();
        records += texts.len();
        keys.extend(guifan_runner::rank_keys(rules, &texts, now, on_problem));
    }
    let ranked = rules.with_ranks(Ranks::from_keys(keys));
    let second: Box<dyn Read + Send> = if again {
        drop(source);
        // The progress bar follows the pass that decides.
        let file = std::fs::File::open(data).map_err(context)?;
        match progress {
            Some(bar) => {
                bar.reset();
                Box::new(bar.wrap_read(file))
            }
            None => Box::new(file),
        }
    } else {
        spool.rewind()?;
        Box::new(spool)
    };
    Ok((
        ranked,
        std::io::BufReader::with_capacity(1 << 16, second),
        records,
    ))
}

/// The error when the pass that decides read other records than the ranking
/// pass: a file changed between them. Nothing it decided can be trusted.
fn changed_between_passes(name: &str, ranked: usize, decided: usize) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "{name} changed while it was read: the ranking pass read {ranked} records, the pass that decides {decided}"
        ),
    )
}

/// Prints each problem of a run as it is found, on standard error (a SARIF
/// log gathers them for the end).
struct ProblemPrinter<'a> {
    name: &'a str,
    rules: &'a RuleSet,
    format: ReportFormat,
    /// The problems kept for a SARIF log
    sarif: Vec<Diagnostic>,
}

impl ProblemPrinter<'_> {
    fn print(&mut self, problem: &RunProblem) {
        match self.format {
            ReportFormat::Human => {}
            ReportFormat::Sarif => {
                if self.sarif.len() < guifan_runner::MAX_PROBLEMS {
                    self.sarif.push(report::run_problem(problem, self.name));
                }
                return;
            }
            ReportFormat::Json | ReportFormat::Github => {
                let d = report::run_problem(problem, self.name);
                // One line per problem: a JSON object (an element of the array
                // `--format json` would print), or a workflow command.
                let line = match self.format {
                    ReportFormat::Json => {
                        serde_json::to_string(&report::json(&d, &self.rules.sources))
                            .unwrap_or_default()
                    }
                    _ => report::render(
                        self.format,
                        std::slice::from_ref(&d),
                        &self.rules.sources,
                        false,
                    )
                    .trim_end()
                    .to_string(),
                };
                errln!("{line}");
                return;
            }
        }
        let name = printable(self.name);
        match problem {
            RunProblem::Record(e) => {
                let id =
                    e.id.as_deref()
                        .map(|i| format!(" (record `{}`)", one_line(i)))
                        .unwrap_or_default();
                errln!(
                    "error: {name}:{}{id}: {} [guifan::data::invalid]",
                    e.line,
                    one_line(&e.error.to_string())
                );
            }
            RunProblem::Rule(f) => {
                let sources = &self.rules.sources;
                let (line, col) =
                    sources.line_col(f.error.source_id, f.error.error.span.start as usize);
                let file = sources
                    .path(f.error.source_id)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                errln!(
                    "error: {name}:{} (record `{}`): rule `{}` failed: {} [{}] at {}:{line}:{col}",
                    f.line,
                    one_line(&f.id),
                    f.error.rule,
                    printable(&f.error.error.kind.to_string()),
                    f.error.error.kind.code(),
                    printable(&file)
                );
            }
        }
    }
}

/// The closing summary line, with rule failures counted by code.
fn print_summary(summary: &Summary) {
    let secs = summary.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        summary.records as f64 / secs
    } else {
        0.0
    };
    let by_code: Vec<String> = summary
        .rule_errors_by_code
        .iter()
        .map(|(code, n)| format!("{code}: {n}"))
        .collect();
    let by_code = if by_code.is_empty() {
        String::new()
    } else {
        format!(" ({})", by_code.join(", "))
    };
    errln!(
        "guifan: {} records, {} decided, {} decisions, {} record errors, {} rule errors{by_code} in {:.3} s ({:.0} records/s)",
        summary.records,
        summary.decided,
        summary.decisions,
        summary.record_errors,
        summary.rule_errors(),
        secs,
        rate
    );
}

fn test(
    path: &Path,
    format: TestFormat,
    filter: Option<&str>,
    with_coverage: bool,
    min_coverage: Option<f64>,
) -> Exit {
    let coverage = with_coverage
        .then(|| std::cell::RefCell::new(guifan_runner::coverage::Coverage::default()));
    let report_format = match format {
        TestFormat::Human | TestFormat::Junit => ReportFormat::Human,
        TestFormat::Json => ReportFormat::Json,
        TestFormat::Sarif => ReportFormat::Sarif,
        TestFormat::Github => ReportFormat::Github,
    };
    let root = testing::rules_root(path);
    let rules = match load(&root, report_format, None) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let files = if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        testing::test_files(path)
    };
    let human = format == TestFormat::Human;
    if files.is_empty() && human {
        errln!(
            "no *.test.toml files under `{}`",
            printable(&path.display().to_string())
        );
    }
    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    let mut diagnostics = Vec::new();
    let mut suites = Vec::new();
    for file in files {
        let shown = printable(&file.display().to_string()).into_owned();
        let at = || Label {
            at: At::File(file.display().to_string()),
            message: None,
        };
        let text = match guifan::read_rule_file(&file) {
            Ok(read) if read.bad_byte.is_none() => read.text,
            Ok(_) => {
                if human {
                    outln!("{shown}: not UTF-8 text");
                }
                diagnostics.push(Diagnostic::new(
                    "guifan::test::invalid",
                    "not UTF-8 text",
                    at(),
                ));
                failed += 1;
                continue;
            }
            Err(e) => {
                let d = Diagnostic::new(
                    "guifan::io::unreadable",
                    format!("cannot read `{shown}`: {e}"),
                    at(),
                );
                report(report_format, &[d], &SourceMap::default());
                return Exit::Usage;
            }
        };
        let result = testing::run_test_file_with(&rules, &text, filter, coverage.as_ref());
        if human {
            let skip = if result.skipped > 0 {
                format!(", {} filtered out", result.skipped)
            } else {
                String::new()
            };
            outln!(
                "{shown}: {} passed, {} failed{skip}",
                result.passed,
                result.failures.len()
            );
        }
        for f in &result.failures {
            if human {
                outln!(
                    "  FAILED {}\n    {}",
                    printable(&f.case),
                    printable(&f.message)
                );
            }
            diagnostics.push(Diagnostic::new(
                "guifan::test::failed",
                format!("{}: {}", f.case, f.message),
                at(),
            ));
        }
        passed += result.passed;
        failed += result.failures.len();
        skipped += result.skipped;
        suites.push((file.display().to_string(), result));
    }
    // Coverage of the policies the test files name.
    let named = testing::tested_policies(path);
    let covered = coverage.map(|c| c.into_inner().report(&rules, Some(&named)));
    match (format, &covered) {
        (TestFormat::Human, _) => {
            let skip = if skipped > 0 {
                format!(", {skipped} filtered out")
            } else {
                String::new()
            };
            outln!("{passed} passed, {failed} failed{skip}");
            if let Some(c) = &covered {
                outln!("{}", guifan_runner::coverage::human(c).trim_end());
            }
        }
        (TestFormat::Junit, _) => outln!("{}", junit(&suites).trim_end()),
        (TestFormat::Json, Some(c)) => {
            let problems = report::render(
                ReportFormat::Json,
                &diagnostics,
                &SourceMap::default(),
                false,
            );
            let problems: serde_json::Value = serde_json::from_str(&problems).unwrap_or_default();
            let both = serde_json::json!({ "problems": problems, "coverage": c });
            outln!(
                "{}",
                serde_json::to_string_pretty(&both).unwrap_or_default()
            );
        }
        _ => report(report_format, &diagnostics, &SourceMap::default()),
    }
    let ran_none = filter.is_some() && passed == 0 && failed == 0;
    if let (true, Some(text)) = (ran_none, filter) {
        errln!("error: --filter `{}` matches no test case", printable(text));
    }
    let below = match (&covered, min_coverage) {
        (Some(c), Some(min)) if c.percent < min => {
            errln!(
                "error: {:.1}% of rules and versions covered, below --min-coverage {min}",
                c.percent
            );
            true
        }
        _ => false,
    };
    if failed == 0 && !below && !ran_none {
        Exit::Ok
    } else {
        Exit::Failures
    }
}

/// `--min-coverage`: a finite number from 0 to 100 (not `nan`, `inf`, `101`).
fn percent_arg(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if value.is_finite() && (0.0..=100.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("`{text}` is not a percentage from 0 to 100"))
    }
}

/// Text for XML 1.0: escaped, and the characters it cannot carry at all
/// (controls other than tab, newline and carriage return; lone surrogates
/// cannot occur in a Rust string) written as `\u{..}`.
fn xml_text(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    for c in text.chars() {
        let allowed =
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}');
        if allowed {
            kept.push(c);
        } else {
            kept.push_str(&format!("\\u{{{:X}}}", c as u32));
        }
    }
    quick_xml::escape::escape(kept.as_str()).into_owned()
}

/// Test results as JUnit XML: a suite per test file, a case per test case
/// (problems of the file itself as failed cases named after it).
fn junit(suites: &[(String, testing::Report)]) -> String {
    let escape = xml_text;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (file, report) in suites {
        let cases = &report.cases;
        let file_problems: Vec<&testing::Failure> = report
            .failures
            .iter()
            .filter(|f| {
                !cases
                    .iter()
                    .any(|c| c.failure.as_deref() == Some(f.message.as_str()) && c.name == f.case)
            })
            .collect();
        let tests = cases.len() + file_problems.len();
        let failures = cases.iter().filter(|c| c.failure.is_some()).count() + file_problems.len();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{}\">\n",
            escape(file.as_str()),
            report.skipped
        ));
        for c in cases {
            out.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"",
                escape(c.name.as_str()),
                escape(file.as_str()),
                escape(file.as_str()),
                c.line
            ));
            match &c.failure {
                None => out.push_str("/>\n"),
                Some(f) => out.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    escape(f.lines().next().unwrap_or("")),
                    escape(f.as_str())
                )),
            }
        }
        for f in file_problems {
            out.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                escape(f.case.as_str()),
                escape(file.as_str()),
                escape(f.message.lines().next().unwrap_or("")),
                escape(f.message.as_str())
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
