//! The `guifan` runner: decides data files end to end over a
//! [`guifan::RuleSet`]: records decoded and evaluated in parallel, decisions
//! written in input order (JSON Lines, JSON, a table, Parquet, Arrow), output files replaced
//! whole; test files, coverage, explanations and the impact of a rule change.
//! It prints nothing and never exits the process: the `guifan` command does.
//!
//! ```no_run
//! use guifan::data;
//! use guifan_runner::{run, OutputFormat};
//!
//! let rules = guifan::RuleSet::from_dir("rules").expect("rules check");
//! let bytes = std::fs::read("examples/douyin_zero_deposit_trial.jsonl").expect("readable");
//! let records = data::records(&bytes, data::InputFormat::Jsonl).expect("records");
//! let now = "2023-04-20T12:00:00+08:00".parse().expect("a time");
//! let summary = run(&rules, &records, now, OutputFormat::Jsonl, &mut std::io::stdout(), &mut |p| eprintln!("{p:?}"))
//!     .expect("written");
//! eprintln!("{} decisions", summary.decisions);
//! ```
//!
//! Data flow: rule dir ─[`guifan::RuleSet::from_dir`]→ rule set; data file
//! ─[`records`][records]→ records ─[`run`]→ decision records (in input
//! order) + [`Summary`].
//!
//! [records]: guifan::data::records

mod columnar;
pub mod diff;
pub mod output;
mod pipeline;
pub mod render;
mod run;
mod stream;
pub mod testing;

pub use render::OutputFormat;
pub use run::{judge_batches, run, run_batches, Batch, Summary};
pub use stream::{run_lines, run_population};
