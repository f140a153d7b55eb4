//! The `guifan` runner: loads rule directories and data files, evaluates
//! policies over every record in parallel, and renders decisions and
//! diagnostics. The binary (`src/main.rs`) is a thin layer over this library.
//!
//! ```no_run
//! use guifan_runner::{data, load_rules, run, OutputFormat};
//!
//! let rules = load_rules("rules".as_ref()).expect("rules check");
//! let bytes = std::fs::read("examples/douyin_zero_deposit_trial.jsonl").expect("readable");
//! let records = data::records(&bytes, data::InputFormat::Jsonl).expect("records");
//! let now = "2023-04-20T12:00:00+08:00".parse().expect("a time");
//! let summary = run(&rules, &records, now, OutputFormat::Jsonl, &mut std::io::stdout(), &mut |p| eprintln!("{p:?}"))
//!     .expect("written");
//! eprintln!("{} decisions", summary.decisions);
//! ```
//!
//! Data flow: rule dir ─[`load_rules`]→ [`RuleSet`]; data file ─[`data::records`]→
//! records ─[`run`]→ decision records (in input order) + [`Summary`].

pub mod clip;
pub mod coverage;
pub mod data;
pub mod diff;
pub mod explain;
pub mod format_files;
mod json_cache;
mod jsonl;
mod load;
pub mod output;
mod params;
mod pipeline;
pub mod render;
pub mod report;
mod run;
mod sources;
pub mod stdio;
pub mod testing;
mod toml_json;

pub use json_cache::JsonCache;
pub use load::{
    load_paths, load_rules, load_texts, rule_files, rules_root, selection_files, LoadError,
    Problem, RuleSet, MAX_PROBLEMS, RULE_EXTENSIONS,
};
pub use params::{apply_params, apply_params_file, ParamsError};
pub use render::OutputFormat;
pub use run::{
    judge_batches, rank_keys, record_id, run, run_batches, Batch, FailedRule, RecordError,
    RunProblem, Summary,
};
pub use sources::SourceMap;

/// Exit statuses of the `guifan` command, stable for CI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything succeeded
    Ok = 0,
    /// Some records or rules failed (the rest were decided), or some tests failed
    Failures = 1,
    /// Bad usage, or a file that cannot be read or written
    Usage = 2,
    /// Rule files do not parse or check
    CheckFailed = 3,
    /// Standard output was closed by its reader (128 + SIGPIPE, as a shell reports it)
    BrokenPipe = 141,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        self as u8
    }
}
