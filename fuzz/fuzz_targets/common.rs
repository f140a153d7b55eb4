//! What the targets share: the bundled rules, compiled into the binary so a
#![allow(dead_code, reason = "each target uses part of it")]
//! target runs from any directory.

use std::path::PathBuf;

/// The bundled schema files.
pub const SCHEMA: [(&str, &str); 3] = [
    (
        "rules/schema/kinds.schema",
        include_str!("../../rules/schema/kinds.schema"),
    ),
    (
        "rules/schema/effects.schema",
        include_str!("../../rules/schema/effects.schema"),
    ),
    (
        "rules/schema/platforms.schema",
        include_str!("../../rules/schema/platforms.schema"),
    ),
];

/// The bundled policies.
pub const POLICIES: [(&str, &str); 2] = [
    (
        "rules/douyin/zero_deposit_trial.policy",
        include_str!("../../rules/douyin/zero_deposit_trial.policy"),
    ),
    (
        "rules/douyin/authenticity_guarantee.policy",
        include_str!("../../rules/douyin/authenticity_guarantee.policy"),
    ),
];

/// The example records.
pub const RECORDS: &str = concat!(
    include_str!("../../examples/douyin_zero_deposit_trial.jsonl"),
    include_str!("../../examples/douyin_authenticity_guarantee.jsonl"),
);

/// Evaluation times that cross the policies' boundaries (month ends, version changes, DST).
pub const TIMES: [&str; 4] = [
    "2023-04-20T12:00:00+08:00",
    "2023-02-24T00:00:00+08:00",
    "2023-03-31T16:00:00Z",
    "2018-11-04T03:00:00Z",
];

/// The schema files plus `extra`, as (path, text) pairs.
pub fn texts(extra: &[(&str, &str)]) -> Vec<(PathBuf, String)> {
    SCHEMA
        .iter()
        .chain(extra.iter())
        .map(|(p, t)| (PathBuf::from(p), t.to_string()))
        .collect()
}
