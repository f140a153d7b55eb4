//! Deployment parameter overrides from a TOML file:
//!
//! ```toml
//! ["douyin.zero_deposit_trial"]
//! personal_listing_cap = 120
//! min_withdrawal = "200.00"
//! ```

use crate::load::RuleSet;
use crate::toml_json;
use std::path::Path;

/// Applies every override in the file; the first bad one is reported and nothing after it applied.
pub fn apply_params_file(rules: &mut RuleSet, path: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    apply_params(rules, &text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Applies every override in TOML text; returns how many were set.
pub fn apply_params(rules: &mut RuleSet, text: &str) -> Result<usize, String> {
    let doc = toml_edit::ImDocument::parse(text)
        .map_err(|e| format!("not valid TOML: {}", e.message()))?;
    let mut count = 0;
    for (policy, item) in doc.as_table().iter() {
        let Some(table) = item.as_table_like() else {
            return Err(format!(
                "`{policy}` must be a table of parameters: [\"{policy}\"]"
            ));
        };
        for (name, value) in table.iter() {
            let json = toml_json::item_to_json(value, text)?;
            rules.set_param(policy, name, &json)?;
            count += 1;
        }
    }
    Ok(count)
}
