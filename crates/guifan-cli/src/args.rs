//! The command line: every command, its arguments and their help.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use guifan::data::InputFormat;
use guifan::report::ReportFormat;
use guifan_runner::OutputFormat;

use crate::term::ColorChoice;

/// Guifan (规范): e-commerce platform policies as rule files: check, format,
/// test and explain them, run them on data, compare two versions, serve them.
#[derive(Parser)]
#[command(
    name = "guifan",
    version = env!("GUIFAN_LONG_VERSION"),
    about,
    long_about = None,
    after_help = EXAMPLES_TOP
)]
pub(crate) struct Cli {
    /// When to colour reports: `auto` (a terminal, unless NO_COLOR,
    /// CLICOLOR=0 or TERM=dumb; CLICOLOR_FORCE or FORCE_COLOR force it)
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub(crate) color: ColorChoice,
    /// Print only results and problems: no summaries, no progress bars
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
    /// Say more: the files checked, each passing case, what was loaded
    #[arg(long, short, global = true, conflicts_with = "quiet")]
    pub(crate) verbose: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

const EXAMPLES_TOP: &str = "Examples:
  guifan check rules                      check every policy under rules/
  guifan test rules --coverage            run the tests beside the policies
  guifan run --data merchants.jsonl --at 2023-04-20T12:00:00+08:00
  guifan explain --data merchants.jsonl --subject dy-e1
  guifan diff --base main-rules --rules rules --data merchants.jsonl
  guifan serve --rules rules --listen 127.0.0.1:8080
  guifan completions bash > /etc/bash_completion.d/guifan";

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Parse, type-check and lint rule files: a whole rules directory, a
    /// directory under it, or single policy files (checked against the schema
    /// of the rules directory they are in)
    #[command(after_help = "Examples:
  guifan check                                   the rules/ directory
  guifan check rules/douyin/zero_deposit_trial.policy --deny-warnings
  guifan check --format github rules             annotations for GitHub Actions
  cat draft.policy | guifan check -              a policy on standard input
  guifan check rules --params deploy.toml        with a deployment's parameters")]
    Check(CheckArgs),
    /// Evaluate the rules against data and write one decision record per subject
    #[command(after_help = "Examples:
  guifan run --data merchants.jsonl --at 2023-04-20T12:00:00+08:00
  guifan run --data - --format table < merchants.jsonl
  guifan run --data merchants.jsonl --output decisions.jsonl --params deploy.toml")]
    Run(RunArgs),
    /// Run the `*.test.toml` files beside the policies
    #[command(after_help = "Examples:
  guifan test                                    every test file under rules/
  guifan test rules/douyin --filter listings     some cases of some files
  guifan test --coverage --min-coverage 90       fail below 90% of rules covered
  guifan test --format junit > junit.xml         for CI dashboards")]
    Test(TestArgs),
    /// Rewrite rule files in the canonical layout (comments kept)
    #[command(after_help = "Examples:
  guifan fmt                                     rewrite the files under rules/
  guifan fmt --check rules                       exit 1 if a file would change
  guifan fmt - < draft.policy                    format standard input")]
    Fmt(FmtArgs),
    /// Decide records over HTTP (`POST /v1/decide`), reloading the rules as they change
    #[command(after_help = "Examples:
  guifan serve --rules rules --listen 127.0.0.1:8080
  curl -d @merchant.json 'http://127.0.0.1:8080/v1/decide?at=2023-04-20T12:00:00Z'")]
    Serve(ServeArgs),
    /// Why each rule fired or did not for one subject: every policy of its
    /// kind, every rule, each comparison with its values and its distance to flipping
    #[command(after_help = "Examples:
  guifan explain --data merchants.jsonl --subject dy-e1 --at 2023-04-20T12:00:00+08:00
  guifan explain --data - --subject dy-e1 --format json < merchant.json")]
    Explain(ExplainArgs),
    /// What a rule change does to data: the subjects whose decisions differ
    /// between two rule directories, by rule and kind of change
    #[command(after_help = "Examples:
  guifan diff --base old-rules --rules rules --data merchants.jsonl
  guifan diff --base rules --rules rules --base-params now.toml --params next.toml --data merchants.jsonl")]
    Diff(DiffArgs),
    /// The language server for editors: problems as you type, hover,
    /// definition, completion, rename, formatting, tests (LSP over stdio)
    #[command(after_help = "Examples:
  guifan lsp                                     what an editor starts (VS Code: editors/vscode)
  guifan lsp --stdio                             the same; the flag editors pass is accepted")]
    Lsp(LspArgs),
    /// Print a completion script for a shell (bash, zsh, fish, elvish, powershell)
    #[command(after_help = "Examples:
  guifan completions bash > ~/.local/share/bash-completion/completions/guifan
  guifan completions zsh > ~/.zfunc/_guifan")]
    Completions(CompletionsArgs),
    /// Write man pages: guifan(1) and one per command
    #[command(after_help = "Examples:
  guifan man --dir /usr/local/share/man/man1
  guifan man | man -l -                           read guifan(1) now")]
    Man(ManArgs),
}

#[derive(clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(clap::Args)]
pub(crate) struct LspArgs {
    /// Talk over standard input and output (the only transport; accepted
    /// because editors' clients pass it)
    #[arg(long)]
    pub(crate) stdio: bool,
}

#[derive(clap::Args)]
pub(crate) struct ManArgs {
    /// Write `guifan.1` and `guifan-<command>.1` into this directory;
    /// without it, `guifan.1` goes to standard output
    #[arg(long)]
    pub(crate) dir: Option<PathBuf>,
}

/// `--params`, the same on every command that loads rules.
#[derive(clap::Args)]
pub(crate) struct ParamsArg {
    /// Parameter overrides: a TOML file with one table per policy
    /// (`["douyin.zero_deposit_trial"]` then `min_withdrawal = "200.00 CNY"`)
    #[arg(long = "params", value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
}

#[derive(clap::Args)]
pub(crate) struct TestArgs {
    /// A rule directory, a directory under it, or one `*.test.toml` file; the
    /// rules are loaded from the nearest directory above it holding `schema/`
    #[arg(default_value = "rules")]
    pub(crate) dir: PathBuf,
    /// How to report: human, json, sarif, github, or JUnit XML for CI dashboards
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: TestFormat,
    /// Run only the cases whose name contains this text
    #[arg(long)]
    pub(crate) filter: Option<String>,
    /// Report which rules, versions and comparisons the cases exercise
    #[arg(long)]
    pub(crate) coverage: bool,
    /// Fail (exit 1) when less than this percentage of rules and versions
    /// is covered: a number from 0 to 100
    #[arg(long, value_name = "PERCENT", value_parser = percent_arg)]
    pub(crate) min_coverage: Option<f64>,
    /// Overrides applied under every test file's own `params`
    #[command(flatten)]
    pub(crate) params: ParamsArg,
}

#[derive(clap::Args)]
pub(crate) struct ExplainArgs {
    /// The rule directory
    #[arg(long, default_value = "rules")]
    pub(crate) rules: PathBuf,
    /// The data holding the subject: a .jsonl, .json or .toml file, or `-`
    #[arg(long)]
    pub(crate) data: String,
    /// The subject's `id`
    #[arg(long)]
    pub(crate) subject: String,
    /// Evaluation time, RFC 3339; the wall clock when left out
    #[arg(long)]
    pub(crate) at: Option<String>,
    /// How to explain
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: ExplainFormat,
    #[command(flatten)]
    pub(crate) params: ParamsArg,
}

#[derive(clap::Args)]
pub(crate) struct DiffArgs {
    /// The rules before the change
    #[arg(long)]
    pub(crate) base: PathBuf,
    /// The rules after the change
    #[arg(long, default_value = "rules")]
    pub(crate) rules: PathBuf,
    /// The data: a .jsonl, .json or .toml file, or `-` for standard input
    #[arg(long)]
    pub(crate) data: String,
    /// Evaluation time, RFC 3339; the wall clock when left out
    #[arg(long)]
    pub(crate) at: Option<String>,
    /// `human` or `json`
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: DiffFormat,
    /// Example subjects kept per count
    #[arg(long, default_value_t = 5)]
    pub(crate) examples: usize,
    /// List every subject that changes (JSON), not only examples
    #[arg(long)]
    pub(crate) all_subjects: bool,
    /// Data format, when the file's extension does not tell
    #[arg(long, value_enum)]
    pub(crate) input_format: Option<InputArg>,
    #[command(flatten)]
    pub(crate) params: ParamsArg,
    /// Overrides for the rules before the change, when they differ from
    /// `--params` (to see the impact of a parameter change alone)
    #[arg(long, value_name = "FILE")]
    pub(crate) base_params: Option<PathBuf>,
    /// Exit with status 1 when some subject's decisions change (as `git diff
    /// --exit-code`), to gate a change that must not move any decision
    #[arg(long)]
    pub(crate) exit_code: bool,
}

/// How `test` reports.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TestFormat {
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

/// How `explain` reports.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExplainFormat {
    /// Each policy and rule, each comparison with its values and distance to flipping
    Human,
    /// One JSON object
    Json,
}

/// How `diff` reports.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DiffFormat {
    /// Totals, then each rule's counts with example subjects
    Human,
    /// One JSON object
    Json,
}

#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// The rule directory, watched for changes
    #[arg(long, default_value = "rules")]
    pub(crate) rules: PathBuf,
    /// Also serve the browser playground at `/playground/`, from this
    /// directory (built by `playground/build.sh`; without a value, `playground/dist`)
    #[arg(long, num_args = 0..=1, default_missing_value = "playground/dist", value_name = "DIR")]
    pub(crate) playground: Option<PathBuf>,
    /// The address to listen on: `127.0.0.1:8080`, `localhost:8080`, `[::1]:8080`,
    /// or `:8080` for every interface (port 0: any free port, printed when ready)
    #[arg(long, default_value = "127.0.0.1:8080", value_parser = listen_addr)]
    pub(crate) listen: std::net::SocketAddr,
    /// Append each decided record to this JSON Lines file (time, subject, decisions, revision)
    #[arg(long)]
    pub(crate) decision_log: Option<PathBuf>,
    /// The largest request body, in bytes
    #[arg(long, default_value_t = 16 << 20)]
    pub(crate) max_body: usize,
    /// The longest a request may take, in milliseconds
    #[arg(long, default_value_t = 30_000)]
    pub(crate) timeout_ms: u64,
    /// How often the rule directory is looked at for changes, in milliseconds
    #[arg(long, default_value_t = 500)]
    pub(crate) watch_ms: u64,
    /// How long a changed rule directory must stay unchanged before it is loaded, in milliseconds
    #[arg(long, default_value_t = 1_000)]
    pub(crate) settle_ms: u64,
    /// How long a client may take to send a request's header (and an idle
    /// connection may stay open), in milliseconds
    #[arg(long, default_value_t = 10_000)]
    pub(crate) header_timeout_ms: u64,
    /// The most connections open at once
    #[arg(long, default_value_t = 512)]
    pub(crate) max_connections: usize,
    /// The most request body bytes in flight at once (503 beyond)
    #[arg(long, default_value_t = 256 << 20)]
    pub(crate) max_in_flight: u64,
    /// How long requests in flight may take to finish after SIGTERM, in milliseconds
    #[arg(long, default_value_t = 10_000)]
    pub(crate) shutdown_grace_ms: u64,
    /// Require `Authorization: Bearer <token>` on /v1/*, the token read from
    /// this file (or from the GUIFAN_SERVE_TOKEN environment variable)
    #[arg(long)]
    pub(crate) token_file: Option<PathBuf>,
    /// Require the token on /metrics too
    #[arg(long)]
    pub(crate) token_for_metrics: bool,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key)
    #[arg(long, requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert
    #[arg(long, requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) params: ParamsArg,
}

#[derive(clap::Args)]
pub(crate) struct CheckArgs {
    /// Rule files or directories; the schema is the `schema/` directory of the
    /// nearest directory above the first path that has one
    #[arg(default_value = "rules")]
    pub(crate) paths: Vec<PathBuf>,
    /// The schema directory to check against, when it is elsewhere
    #[arg(long)]
    pub(crate) schema: Option<PathBuf>,
    /// How to report problems
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: ReportArg,
    #[command(flatten)]
    pub(crate) params: ParamsArg,
    /// Fail (exit status 3) on warnings too
    #[arg(long)]
    pub(crate) deny_warnings: bool,
}

#[derive(clap::Args)]
pub(crate) struct FmtArgs {
    /// Rule files or directories to format; `-` formats standard input to standard output
    #[arg(default_value = "rules")]
    pub(crate) paths: Vec<PathBuf>,
    /// Change nothing: list the files that are not formatted, and exit 1 if there are any
    #[arg(long)]
    pub(crate) check: bool,
    /// How to report files that are not formatted, and parse errors
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: ReportArg,
}

#[derive(clap::Args)]
pub(crate) struct RunArgs {
    /// The rule directory
    #[arg(long, default_value = "rules")]
    pub(crate) rules: PathBuf,
    /// The data: a .jsonl, .json or .toml file, or `-` for standard input
    #[arg(long)]
    pub(crate) data: String,
    /// Evaluation time, RFC 3339 (`2023-04-20T12:00:00+08:00`); the wall clock when left out
    #[arg(long)]
    pub(crate) at: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "jsonl")]
    pub(crate) format: OutputArg,
    /// Write decisions to this file (whole or not at all) instead of standard output
    #[arg(long)]
    pub(crate) output: Option<PathBuf>,
    /// Data format, when the file's extension does not tell
    #[arg(long, value_enum)]
    pub(crate) input_format: Option<InputArg>,
    #[command(flatten)]
    pub(crate) params: ParamsArg,
    /// Worker threads (default: one per core)
    #[arg(long)]
    pub(crate) jobs: Option<usize>,
    /// How record and rule problems are reported on standard error: human
    /// lines, JSON Lines, GitHub annotations (each as it is found), or one
    /// SARIF log at the end (of the first 1,000)
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) report_format: ReportArg,
}

/// How problems are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ReportArg {
    /// Source lines with the problem underlined, and advice
    Human,
    /// One JSON array of problems
    Json,
    /// SARIF 2.1.0, for code-scanning tools
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...::message`)
    Github,
}

impl From<ReportArg> for ReportFormat {
    fn from(a: ReportArg) -> ReportFormat {
        match a {
            ReportArg::Human => ReportFormat::Human,
            ReportArg::Json => ReportFormat::Json,
            ReportArg::Sarif => ReportFormat::Sarif,
            ReportArg::Github => ReportFormat::Github,
        }
    }
}

/// How decisions are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputArg {
    /// One decision record per line
    Jsonl,
    /// One JSON array of decision records
    Json,
    /// A table for people
    Table,
    /// A Parquet file, a row per decision (with --output)
    Parquet,
    /// An Arrow IPC file, a row per decision (with --output)
    Arrow,
}

impl From<OutputArg> for OutputFormat {
    fn from(a: OutputArg) -> OutputFormat {
        match a {
            OutputArg::Jsonl => OutputFormat::Jsonl,
            OutputArg::Json => OutputFormat::Json,
            OutputArg::Table => OutputFormat::Table,
            OutputArg::Parquet => OutputFormat::Parquet,
            OutputArg::Arrow => OutputFormat::Arrow,
        }
    }
}

/// The format of a data file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum InputArg {
    /// One JSON object per line
    Jsonl,
    /// A JSON array of objects, or one object
    Json,
    /// A TOML document with `[[records]]` tables
    Toml,
    /// A Parquet file: a row per record, struct columns as records
    Parquet,
    /// An Arrow IPC file or stream: a row per record
    Arrow,
}

impl From<InputArg> for InputFormat {
    fn from(a: InputArg) -> InputFormat {
        match a {
            InputArg::Jsonl => InputFormat::Jsonl,
            InputArg::Json => InputFormat::Json,
            InputArg::Toml => InputFormat::Toml,
            InputArg::Parquet => InputFormat::Parquet,
            InputArg::Arrow => InputFormat::Arrow,
        }
    }
}

/// `--min-coverage`: a finite number from 0 to 100 (not `nan`, `inf`, `101`).
/// `--listen`: an address and port, a host name and port (its first
/// address), or `:port` for every interface.
pub(crate) fn listen_addr(text: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs;
    let text = text.trim();
    let whole = match text.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => text.to_string(),
    };
    if let Ok(addr) = whole.parse() {
        return Ok(addr);
    }
    let mut found = whole.to_socket_addrs().map_err(|e| {
        format!("`{text}` is not an address to listen on (`127.0.0.1:8080`, `localhost:8080`, `:8080`): {e}")
    })?;
    found
        .next()
        .ok_or_else(|| format!("`{text}` names no address"))
}

pub(crate) fn percent_arg(text: &str) -> Result<f64, String> {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::listen_addr;

    #[test]
    fn listen_takes_addresses_host_names_and_a_bare_port() {
        assert_eq!(
            listen_addr("127.0.0.1:8080").unwrap().to_string(),
            "127.0.0.1:8080"
        );
        assert_eq!(listen_addr(":8080").unwrap().to_string(), "0.0.0.0:8080");
        assert_eq!(listen_addr("[::1]:0").unwrap().to_string(), "[::1]:0");
        assert!(listen_addr("localhost:8080").unwrap().ip().is_loopback());
        assert!(listen_addr("localhost").is_err(), "a port is needed");
        assert!(listen_addr(":http").is_err());
    }
}
