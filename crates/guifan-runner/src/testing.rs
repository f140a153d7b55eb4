//! Policy test files on disk: finding `*.test.toml` files, the rule
//! directory a test path belongs to, and the policies a directory's tests
//! name. Reading and running a test file is the facade's
//! ([`guifan::testing`], re-exported here).

use std::path::{Path, PathBuf};

pub use guifan::testing::*;

/// The rule directory a test path belongs to (see [`guifan::rules_root`]).
pub fn rules_root(path: &Path) -> PathBuf {
    guifan::rules_root(path)
}

/// The IDs of the policies the `*.test.toml` files under `dir` name
/// (`policy = "..."`); files that cannot be read or parsed name none.
pub fn tested_policies(dir: &Path) -> std::collections::HashSet<String> {
    use rayon::prelude::*;
    let files = if dir.is_file() {
        vec![dir.to_path_buf()]
    } else {
        // Unreadable directories name no policy; `guifan test` reports them.
        test_files(dir).unwrap_or_default()
    };
    files
        .into_par_iter()
        .filter_map(|f| guifan::read_rule_file(&f).ok().map(|read| read.text))
        .filter_map(|t| {
            // Only the top-level keys, before the first table, are read.
            let head_end = t
                .match_indices('\n')
                .map(|(i, _)| i + 1)
                .find(|&i| {
                    t.get(i..)
                        .is_some_and(|rest| rest.trim_start().starts_with('['))
                })
                .unwrap_or(t.len());
            t.get(..head_end)?.parse::<toml::Table>().ok()
        })
        .filter_map(|t| t.get("policy").and_then(|p| p.as_str()).map(str::to_string))
        .collect()
}
