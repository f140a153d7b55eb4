//! Guifan (规范): declarative e-commerce platform policies, from Rust.
//!
//! Load rule files (from a directory, or from text you hold), and decide
//! records — JSON text, a `serde_json::Value`, or any `Serialize` value of
//! your own — at an evaluation time you pass in. Money is exact, calendar
//! words are computed in each policy's zone, and every decision serialises
//! to the catalogue's decision format. A [`RuleSet`] is immutable and
//! `Send + Sync`; an [`Engine`] swaps in a new one atomically (hot reload).
//!
//! ```
//! use guifan::{Engine, RuleSet};
//!
//! let rules = RuleSet::from_sources([(
//!     "trial.policy",
//!     r#"
//!     kind merchant { store_type: "personal" | "enterprise", listings_online: int }
//!     effect restrict(target: string)
//!     policy shop.trial {
//!       subject merchant
//!       zone    Asia/Shanghai
//!       param personal_cap: int = 100
//!       rule listing_cap "在线商品总量超过上限" {
//!         when store_type == "personal" and listings_online > personal_cap
//!         then restrict(target: "listing")
//!         message "在线商品 {listings_online} 件, 上限 {personal_cap} 件"
//!       }
//!     }
//!     "#,
//! )])?;
//! let engine = Engine::new(rules);
//! let now: guifan::DateTime<guifan::FixedOffset> = "2024-03-01T12:00:00+08:00".parse()?;
//! let record = serde_json::json!({
//!     "kind": "merchant", "id": "m-1", "store_type": "personal", "listings_online": 140
//! });
//! let decided = engine.rules().decide_value(&record, now)?;
//! assert_eq!(
//!     serde_json::to_string(&decided)?,
//!     r#"{"subject":"m-1","kind":"merchant","decisions":[{"rule":"shop.trial.listing_cap","effects":[{"kind":"restrict","target":"listing"}],"message":"在线商品 140 件, 上限 100 件"}]}"#
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Errors print as one readable report per problem:
//!
//! ```
//! let err = guifan::RuleSet::from_sources([("bad.schema", "kind k { n: mony }")]).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "1 problem in rule files\nbad.schema:1:13: error[guifan::check::unknown_type]: unknown type `mony`\n  help: did you mean `money`?"
//! );
//! ```
//!
//! The crates behind this one (`guifan-syntax`, `guifan-eval`) are internal:
//! this crate is the promised surface.

pub mod analysis;
#[cfg(feature = "arrow")]
pub mod arrow;
pub mod clip;
pub mod data;
mod decision_json;
mod decisions;
mod engine;
mod error;
pub mod explain;
mod files;
mod json_fragments;
mod load;
mod params;
mod population;
mod project;
mod rank_keys;
pub mod report;
mod rules;
mod settings;
mod sources;
pub mod testing;
mod toml_json;
mod tooling;

pub use chrono::{DateTime, FixedOffset, Utc};
pub use decision_json::Written;
pub use decisions::{Decision, Decisions, Effect, RuleFailure, Value};
#[cfg(not(target_arch = "wasm32"))]
pub use engine::Watch;
pub use engine::{Engine, PolicyChange, ReloadGate};
pub use error::{FailedRule, LoadError, ParamError, Problem, RecordError, Related, RunProblem};
pub use files::{read_rule_file, FileText, ReadError, MAX_RULE_FILE_BYTES};
pub use load::{
    files_under, rule_files, rules_root, selection_files, MAX_PROBLEMS, RULE_EXTENSIONS,
};
/// The diagnostics library problems are rendered with ([`Problem`] is a `miette::Diagnostic`).
pub use miette;
pub use params::{Params, ParamsError, Step};
pub use population::{changed_between_passes, Population, BLOCK_BYTES};
pub use project::{Project, ProjectError, PROJECT_FILE};
pub use rank_keys::RankKeyError;
pub use rules::RuleSet;
pub use rust_decimal::Decimal;
pub use serde_json;
pub use settings::SettingsError;
pub use sources::SourceMap;
pub use toml_json::{item_to_json, table_to_json};
pub use tooling::{format_into, format_source};

/// An evaluation time as the language writes a timestamp: RFC 3339
/// (`2023-04-20T12:00:00+08:00`, `2023-04-20T04:00:00Z`) or without seconds
/// (`2023-04-20T12:00+08:00`), every digit written and the offset given. The
/// one parser of `guifan run --at`, the service's `?at=`, test files and
/// timestamps in rule files and data.
///
/// ```
/// let t = guifan::parse_time("2023-04-20T12:00+08:00")?;
/// assert_eq!(t, guifan::parse_time("2023-04-20T04:00:00Z")?);
/// assert!(guifan::parse_time("2023-04-20 12:00").is_err());
/// # Ok::<(), guifan::TimeError>(())
/// ```
pub fn parse_time(text: &str) -> Result<DateTime<FixedOffset>, TimeError> {
    guifan_syntax::literal::timestamp(text).map_err(TimeError)
}

/// Text that is not an evaluation time ([`parse_time`]): what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeError(pub(crate) String);

impl std::fmt::Display for TimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TimeError {}

/// A record's `id` read from its JSON, without decoding the rest (`None`
/// when it is not JSON or has no string `id`).
///
/// ```
/// assert_eq!(guifan::record_id(br#"{"kind":"k","id":"m-1","n":"?"}"#).as_deref(), Some("m-1"));
/// assert_eq!(guifan::record_id(b"not json"), None);
/// ```
pub fn record_id(json: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<String>,
    }
    serde_json::from_slice::<IdOnly>(json)
        .ok()
        .and_then(|r| r.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_on_a_huge_line_renders_without_its_snippet() {
        let text = format!("kind k {{ {} n: nosuch }}", "a: int ".repeat(20_000));
        let err = RuleSet::from_sources([("wide.schema", text)]).unwrap_err();
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .render_report(&mut out, &err.problems()[0])
            .unwrap();
        assert!(out.contains("guifan::check"), "{out}");
        assert!(
            out.len() < 2000,
            "the line was not left out: {} bytes",
            out.len()
        );
    }

    #[test]
    fn the_public_types_can_be_shared_across_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<RuleSet>();
        shared::<Engine>();
        shared::<Decisions>();
        shared::<LoadError>();
        shared::<RecordError>();
    }
}

/// The README's examples, compiled and run as doctests (its Rust blocks).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;
