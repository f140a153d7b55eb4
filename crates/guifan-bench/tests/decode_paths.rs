//! The decoder's fast path against the detailed one: on every generated
//! record of the catalogue the fast path decides and gives the very same
//! subject (scales of decimals and offsets of timestamps included, compared
//! through `Debug`); on damaged records it either declines or agrees.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
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

/// `line` with `"key": value` put last in the record, and first in every
/// nested object in it when `nested_too` (most records hold some).
fn with_undeclared(line: &str, key: &str, value: &str, nested_too: bool) -> String {
    let pair = format!("\"{key}\":{value}");
    let body = line.strip_suffix('}').expect("a record");
    let mut out = String::with_capacity(line.len() * 2);
    for (i, c) in body.char_indices() {
        out.push(c);
        // A nested object's opening brace followed by a key (generated
        // records hold no braces inside strings).
        if c == '{'
            && i > 0
            && nested_too
            && body.get(i + 1..).is_some_and(|rest| rest.starts_with('"'))
        {
            out.push_str(&pair);
            out.push(',');
        }
    }
    out.push(',');
    out.push_str(&pair);
    out.push('}');
    out
}

/// Real records carry more than any policy declares: the fast path skips
/// what the schema does not name, so such a record is not decoded twice.
#[test]
fn undeclared_keys_are_skipped_by_the_fast_path_and_it_agrees() {
    let values = [
        r#""小店""#,
        "4.8",
        "-12",
        "0",
        "true",
        "null",
        "[]",
        "{}",
        r#"["new","cn"]"#,
        r#"{"province":"浙江","city":"杭州","zip":310000,"geo":[30.2,120.1]}"#,
        r#"[{"a":[{"b":{}}]},[[]]]"#,
    ];
    for (i, line) in generated().iter().enumerate() {
        let value = values[i % values.len()];
        let json = with_undeclared(line, "undeclared_extra", value, i % 2 == 0);
        assert!(agree(json.as_bytes()), "the fast path declined: {json}");
        // The subject is the record's own: the extra key changes nothing.
        assert_eq!(
            format!("{:?}", decode_subject_fast(schema(), json.as_bytes())),
            format!("{:?}", decode_subject_fast(schema(), line.as_bytes())),
        );
    }
}

/// What the detailed decoder must judge (or refuses) the fast path leaves to it.
#[test]
fn undeclared_values_it_is_not_sure_of_are_declined() {
    let line = &generated()[0];
    let deep = format!("{}{}", "[".repeat(70), "]".repeat(70));
    let too_deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    for (value, detailed_accepts) in [
        (r#""a\"b""#, true),
        ("1e5", true),
        ("1e400", false),
        ("12345678901234567890123", true),
        (deep.as_str(), true),
        (too_deep.as_str(), false),
        ("[1,]", false),
        ("{\"a\" 1}", false),
        ("01", false),
        ("tru", false),
    ] {
        let json = with_undeclared(line, "undeclared_extra", value, false);
        assert!(!agree(json.as_bytes()), "the fast path took {value}");
        assert_eq!(
            decode_subject_detailed(schema(), json.as_bytes()).is_ok(),
            detailed_accepts,
            "{value}"
        );
    }
    // A repeated undeclared key is an error, in a nested object too.
    for nested in [false, true] {
        let once = with_undeclared(line, "x", "1", nested);
        let twice = with_undeclared(&once, "x", "2", nested);
        assert!(!agree(twice.as_bytes()));
        let error = decode_subject(schema(), twice.as_bytes()).unwrap_err();
        assert!(error.to_string().contains("duplicate key `x`"), "{error}");
        // Two different undeclared keys are fine.
        let two = with_undeclared(&once, "y", "2", nested);
        assert!(agree(two.as_bytes()));
    }
    // An undeclared key with an escape in it is left to the detailed decoder.
    let escaped = with_undeclared(line, "a\\u0062", "1", false);
    assert!(!agree(escaped.as_bytes()));
    assert!(decode_subject(schema(), escaped.as_bytes()).is_ok());
}

/// Any JSON value, written compactly: the forms the skip reads and the ones it declines.
fn any_json() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| serde_json::to_string(&x).unwrap()),
        "[a-z\"\\\\é \u{1}]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("1e400".to_string()),
        Just("-0".to_string()),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-c]{1,2}", inner), 0..6).prop_map(|v| {
                let entries: Vec<String> = v.iter().map(|(k, x)| format!("\"{k}\":{x}")).collect();
                format!("{{{}}}", entries.join(","))
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn records_with_any_undeclared_value_are_declined_or_decoded_alike(
        pick in any::<prop::sample::Index>(),
        value in any_json(),
        nested in any::<bool>(),
    ) {
        let line = pick.get(generated());
        agree(with_undeclared(line, "undeclared_extra", &value, nested).as_bytes());
    }
}

/// `line` with its leading `"kind"` moved last (as a store that sorts keys,
/// or appends them, would write it).
fn kind_last(line: &str) -> String {
    let rest = line.strip_prefix(r#"{"kind":""#).expect("kind first");
    let end = rest.find('"').expect("the kind's end");
    let (name, fields) = (&rest[..end], &rest[end + 2..]);
    let fields = fields.strip_suffix('}').expect("a record");
    format!(r#"{{{fields},"kind":"{name}"}}"#)
}

/// Wherever a record names its kind, the fast path reads it itself.
#[test]
fn records_naming_their_kind_anywhere_are_read_by_the_fast_path_alike() {
    for (i, line) in generated().iter().enumerate() {
        let moved = kind_last(line);
        assert!(agree(moved.as_bytes()), "the fast path declined: {moved}");
        assert_eq!(
            format!("{:?}", decode_subject_fast(schema(), moved.as_bytes())),
            format!("{:?}", decode_subject_fast(schema(), line.as_bytes())),
        );
        // Undeclared keys before the kind are skipped while looking for it.
        if i % 7 == 0 {
            let both = format!(r#"{{"zz":[1,{{"kind":"nope"}}],{}"#, &moved[1..]);
            assert!(agree(both.as_bytes()), "the fast path declined: {both}");
            // A nested object naming another kind first: a wrong guess,
            // caught (the record is read as its own kind, by either path).
            let decoy = if line.contains(r#""kind":"video""#) {
                "buyer"
            } else {
                "video"
            };
            let misled = format!(r#"{{"zz":{{"kind":"{decoy}"}},{}"#, &moved[1..]);
            agree(misled.as_bytes());
            assert_eq!(
                decode_subject(schema(), misled.as_bytes())
                    .map(|s| s.kind)
                    .ok(),
                decode_subject(schema(), line.as_bytes())
                    .map(|s| s.kind)
                    .ok(),
            );
        }
    }
    let line = &generated()[0];
    let moved = kind_last(line);
    for (damaged, why) in [
        (
            moved.replacen(r#""kind":"merchant""#, r#""kind":"nosuchkind""#, 1),
            "an unknown kind",
        ),
        (
            format!(r#"{},"kind":"merchant"}}"#, &moved[..moved.len() - 1]),
            "the kind twice",
        ),
        (
            format!(r#"{{"kind":"merchant",{}"#, &moved[1..]),
            "the kind twice, first and last",
        ),
        (
            moved.replacen(r#""kind":"merchant""#, r#""kind":7"#, 1),
            "a kind that is no string",
        ),
        (moved.replacen(r#","kind":"merchant""#, "", 1), "no kind"),
    ] {
        assert!(!agree(damaged.as_bytes()), "{why}: {damaged}");
        assert!(
            decode_subject(schema(), damaged.as_bytes()).is_err(),
            "{why}"
        );
    }
}
