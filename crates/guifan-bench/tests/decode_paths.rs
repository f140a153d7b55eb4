//! The decoder's fast path against the detailed one: on every generated
//! record of the catalogue the fast path decides and gives the very same
//! subject (scales of decimals and offsets of timestamps included, compared
//! through `Debug`); on damaged records it either declines or agrees.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use std::sync::OnceLock;

use guifan::RuleSet;
use guifan_eval::{decode_subject, decode_subject_detailed, decode_subject_fast, Schema};
use proptest::prelude::*;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| {
        RuleSet::from_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"))
            .unwrap()
    })
}

fn schema() -> &'static Schema {
    rules().program().schema()
}

fn generated() -> &'static Vec<String> {
    static LINES: OnceLock<Vec<String>> = OnceLock::new();
    LINES.get_or_init(|| {
        let mix = guifan_bench::kinds::mix(7_000, 42);
        let trial = guifan_bench::trial_merchants(3_000, 42);
        mix.lines()
            .chain(trial.lines())
            .map(str::to_string)
            .collect()
    })
}

/// Both paths agree on `json`; returns whether the fast path took it.
fn agree(json: &[u8]) -> bool {
    let detailed = decode_subject_detailed(schema(), json);
    let fast = decode_subject_fast(schema(), json);
    if let Some(fast) = &fast {
        let detailed = detailed.as_ref().unwrap_or_else(|e| {
            panic!(
                "the fast path took what the detailed one refuses ({e}): {}",
                String::from_utf8_lossy(json)
            )
        });
        assert_eq!(
            format!("{fast:?}"),
            format!("{detailed:?}"),
            "{}",
            String::from_utf8_lossy(json)
        );
    }
    // What everyone calls is the detailed decoder's answer, whichever path gave it.
    assert_eq!(
        format!("{:?}", decode_subject(schema(), json)),
        format!("{detailed:?}")
    );
    fast.is_some()
}

#[test]
fn the_fast_path_takes_every_generated_record_and_agrees() {
    for line in generated() {
        assert!(agree(line.as_bytes()), "the fast path declined: {line}");
    }
}

#[test]
fn the_fast_path_agrees_on_the_edges_it_reads_itself() {
    let base = r#"{"kind":"merchant","id":"m","platform":"douyin","currency":"CNY","store_type":"personal","trial":{"active":true,"ended_at":@TS@},"deposit":{"balance":@BAL@,"required":"2000.00"},"goods_balance":"1.00","listings_online":@N@,"selling_channels":["shelf"],"marketing":{"platform_campaigns":[],"affiliate_alliance":false,"platform_subsidy":false},"paid_orders":{"count":1,"total":"1.00"},"violations":{"general":0,"severe":0,"orders":0},"creator_deductions":[],"withdrawals":[]}"#;
    let cases = [
        ("TS", "\"2023-03-01T00:00:00+08:00\""),
        ("TS", "\"2023-03-01T00:00:00Z\""),
        ("TS", "\"2023-03-01T00:00:00-00:00\""),
        ("TS", "\"2023-03-01T00:00:00.5+08:00\""),
        ("TS", "\"2023-03-01T00:00+08:00\""),
        ("TS", "\"2023-03-01t00:00:00+08:00\""),
        ("TS", "\"2023-02-29T00:00:00+08:00\""),
        ("TS", "\"2023-03-01T23:59:60+08:00\""),
        ("TS", "\"2023-03-01T24:00:00+08:00\""),
        ("TS", "\"2023-03-01T00:00:00+24:00\""),
        ("TS", "\"2023-03-01T00:00:00-23:59\""),
        ("TS", "null"),
        ("BAL", "\"-0.00\""),
        ("BAL", "-0.00"),
        ("BAL", "\"01.50\""),
        ("BAL", "01.50"),
        ("BAL", "1.50"),
        ("BAL", "1.5e2"),
        ("BAL", "\"1.\""),
        ("BAL", "\".5\""),
        ("BAL", "\"+1\""),
        ("BAL", "\"123456789012345678\""),
        ("BAL", "\"1234567890123456789\""),
        ("BAL", "\"99999999999999999999999999999\""),
        ("BAL", "\"1.000000000000000000000000000001\""),
        ("BAL", "-12"),
        ("BAL", "true"),
        ("N", "9223372036854775807"),
        ("N", "9223372036854775808"),
        ("N", "-9223372036854775808"),
        ("N", "-0"),
        ("N", "007"),
        ("N", "7.0"),
        ("N", "7e0"),
        ("N", "\"7\""),
        ("N", "7x"),
    ];
    let mut taken = 0;
    for (hole, text) in cases {
        let fill = |name: &str, default: &str| {
            if hole == name {
                text.to_string()
            } else {
                default.to_string()
            }
        };
        let json = base
            .replace("@TS@", &fill("TS", "null"))
            .replace("@BAL@", &fill("BAL", "\"5.00\""))
            .replace("@N@", &fill("N", "1"));
        taken += usize::from(agree(json.as_bytes()));
    }
    // Most of these are read by the fast path itself, not all declined.
    assert!(
        taken >= 15,
        "the fast path took only {taken} of {}",
        cases.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn damaged_records_are_declined_or_decoded_alike(
        pick in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        cut in 0usize..8,
        insert in prop::sample::select(vec!["", "\"", "\\", ",", "}", "]", "{", "[", "0", "-", ".", "e", " ", "null", "\"x\"", "\u{1}", "é", "\"kind\":\"merchant\","]),
    ) {
        let line = pick.get(generated()).as_bytes();
        let at = at.index(line.len() + 1);
        let mut damaged = line[..at].to_vec();
        damaged.extend_from_slice(insert.as_bytes());
        damaged.extend_from_slice(&line[(at + cut).min(line.len())..]);
        agree(&damaged);
    }
}
