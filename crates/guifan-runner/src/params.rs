//! Deployment parameter overrides from a TOML file:
//!
//! ```toml
//! ["douyin.zero_deposit_trial"]
//! personal_listing_cap = 120
//! min_withdrawal = "200.00"
//! ```

use guifan::RuleSet;

use std::path::Path;

/// Why a parameter file could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    /// The file could not be read (exit status 2)
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file
        path: std::path::PathBuf,
        /// What the system said
        source: std::io::Error,
    },
    /// An override does not fit its policy (exit status 3)
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file
        path: std::path::PathBuf,
        /// What is wrong
        message: String,
    },
}

/// Applies every override in the file; the first bad one is reported and nothing after it applied.
pub fn apply_params_file(rules: &mut RuleSet, path: &Path) -> Result<usize, ParamsError> {
    let text = std::fs::read_to_string(path).map_err(|source| ParamsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    apply_params(rules, &text).map_err(|message| ParamsError::Invalid {
        path: path.to_path_buf(),
        message,
    })
}

/// Applies every override in TOML text; returns how many were set. A policy's
/// table may be written quoted (`["douyin.zero_deposit_trial"]`) or as TOML's
/// nested tables (`[douyin.zero_deposit_trial]`): both name the same policy.
pub fn apply_params(rules: &mut RuleSet, text: &str) -> Result<usize, String> {
    let doc = toml_edit::ImDocument::parse(text)
        .map_err(|e| format!("not valid TOML: {}", e.message()))?;
    let mut count = 0;
    // (the policy ID so far, its table), walked without recursion.
    let mut pending: Vec<(String, &dyn toml_edit::TableLike)> = Vec::new();
    for (key, item) in doc.as_table().iter() {
        let Some(table) = item.as_table_like() else {
            return Err(format!(
                "`{key}` must be a table of parameters: [\"{key}\"]"
            ));
        };
        pending.push((key.to_string(), table));
    }
    while let Some((policy, table)) = pending.pop() {
        if rules.program().policy(&policy).is_some() {
            for (name, value) in table.iter() {
                let json = guifan::item_to_json(value, text)?;
                rules
                    .set_param(&policy, name, &json)
                    .map_err(|e| e.to_string())?;
                count += 1;
            }
            continue;
        }
        // `[douyin.zero_deposit_trial]` is `douyin` holding `zero_deposit_trial`.
        let mut nested = Vec::new();
        for (key, item) in table.iter() {
            match item.as_table_like() {
                Some(inner) => nested.push((format!("{policy}.{key}"), inner)),
                None => return Err(unknown_policy(rules, &policy)),
            }
        }
        if nested.is_empty() {
            return Err(unknown_policy(rules, &policy));
        }
        pending.extend(nested);
    }
    Ok(count)
}

/// `no policy `x`` with a did-you-mean among the loaded policies.
fn unknown_policy(rules: &RuleSet, policy: &str) -> String {
    let ids = rules.program().policies().iter().map(|p| &**p.id());
    match guifan_eval::did_you_mean(policy, ids) {
        Some(help) => format!("no policy `{policy}`; {help}"),
        None => format!("no policy `{policy}`"),
    }
}
