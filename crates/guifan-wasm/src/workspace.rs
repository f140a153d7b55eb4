//! What the page sends: the rule files as they are in its editors, the
//! deployment parameters, the records and the evaluation time.

use std::path::PathBuf;

use guifan::{DateTime, FixedOffset, Params, RuleSet};
use serde::Deserialize;

use crate::problems::{Problem, PARAMS_FILE};

/// One rule file: a schema or a policy, by its path in the rules directory.
#[derive(Debug, Clone, Deserialize)]
pub struct SourceFile {
    /// Its path (`douyin/zero_deposit_trial.policy`, `schema/kinds.schema`)
    pub path: String,
    /// Its text, as the editor has it
    pub text: String,
}

/// Everything a run needs, held in memory.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Workspace {
    /// The rule files, schema files included
    pub files: Vec<SourceFile>,
    /// Deployment parameters, in the format of `guifan run --params` (TOML)
    pub params: String,
    /// Records: JSON Lines, a JSON array of records, or TOML `[[records]]`
    pub records: String,
    /// The evaluation time (RFC 3339, the offset written)
    pub at: String,
}

impl Workspace {
    /// Reads the page's JSON.
    pub fn from_json(json: &str) -> Result<Workspace, String> {
        guifan::serde_json::from_str(json).map_err(|e| format!("the playground sent {e}"))
    }

    /// The rule files as the analysis takes them.
    pub fn texts(&self) -> Vec<(PathBuf, String)> {
        self.files
            .iter()
            .map(|f| (PathBuf::from(&f.path), f.text.clone()))
            .collect()
    }

    /// The rule set with the parameters applied, or every problem that keeps
    /// it from loading (rule files first, then parameters).
    pub fn rules(&self) -> Result<RuleSet, Vec<Problem>> {
        let sources = self
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.text.as_str()));
        let rules = RuleSet::from_sources(sources).map_err(|e| Problem::of_load_error(&e))?;
        if self.params.trim().is_empty() {
            return Ok(rules);
        }
        let params = Params::from_toml(PARAMS_FILE, &self.params)
            .map_err(|e| Problem::of_settings_error(&e))?;
        rules
            .with_params(&params)
            .map_err(|e| Problem::of_settings_error(&e))
    }

    /// The evaluation time, or the one problem with it.
    pub fn now(&self) -> Result<DateTime<FixedOffset>, Vec<Problem>> {
        guifan::parse_time(self.at.trim()).map_err(|e| {
            vec![Problem::general(
                "guifan::playground::invalid_time",
                format!("`at`: {e}"),
            )]
        })
    }

    /// The records' format, from their first character.
    pub fn records_format(&self) -> guifan::data::InputFormat {
        guifan::data::InputFormat::sniff(self.records.as_bytes())
    }
}
