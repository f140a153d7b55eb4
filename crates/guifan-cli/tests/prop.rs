//! Property tests over the whole pipeline: damaged rule files never panic the
//! checker; arbitrary and damaged records never panic decoding or evaluation,
//! and evaluation is deterministic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests and benchmarks fail loudly"
)]

mod common;

use std::path::PathBuf;

use guifan::RuleSet;
use proptest::prelude::*;

fn rule_texts() -> Vec<(PathBuf, String)> {
    guifan::rule_files(&common::root().join("rules"))
        .expect("rule files")
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable");
            (p, text)
        })
        .collect()
}

const MERCHANT: &str = r#"{"kind":"merchant","id":"dy-1001","platform":"douyin","currency":"CNY","store_type":"personal","trial":{"active":true,"ended_at":null},"deposit":{"balance":"0.00","required":"2000.00"},"goods_balance":"8800.00","listings_online":87,"selling_channels":["shelf"],"marketing":{"platform_campaigns":[],"affiliate_alliance":false,"platform_subsidy":false},"paid_orders":{"count":64,"total":"3120.00"},"violations":{"general":0,"severe":0,"orders":0},"creator_deductions":[{"at":"2023-03-01T10:00:00+08:00","points":2}],"withdrawals":[{"at":"2023-03-02T10:00:00+08:00","amount":"300.00"}],"withdrawal_request":{"at":"2023-03-15T09:00:00+08:00","amount":"500.00"},"received_orders":[{"id":"o-1","received_at":"2023-03-10T12:00:00+08:00","amount":"120.00"}]}"#;

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        any::<u64>().prop_map(|i| format!("\"{i}.{}\"", i % 100)),
        "-?[0-9]{1,30}(\\.[0-9]{0,30})?",
        Just("79228162514264337593543950335".to_string()),
        Just("\"-79228162514264337593543950335\"".to_string()),
        Just("1e400".to_string()),
        Just("null".to_string()),
        Just("\"\"".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn damaged_rule_files_never_panic_the_checker(
        file in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        len in 0usize..30,
        insert in "(\\PC{0,6}|listings_online|withdrawal_request|\\?\\?|is absent| and | or |5 USD|\"x\"|permanent|now|held)",
    ) {
        let mut texts = rule_texts();
        let i = file.index(texts.len());
        let src = texts[i].1.clone();
        let mut at = cut.index(src.len());
        while !src.is_char_boundary(at) { at -= 1; }
        let mut end = (at + len).min(src.len());
        while !src.is_char_boundary(end) { end -= 1; }
        texts[i].1 = format!("{}{}{}", &src[..at], insert, &src[end.max(at)..]);
        let _ = RuleSet::from_sources(texts);
    }

    #[test]
    fn extreme_numbers_never_panic_evaluation(
        balance in number(),
        goods in number(),
        listings in number(),
        points in number(),
        amount in number(),
    ) {
        let rules = common::bundled_rules();
        let record = MERCHANT
            .replace(r#""balance":"0.00""#, &format!(r#""balance":{balance}"#))
            .replace(r#""goods_balance":"8800.00""#, &format!(r#""goods_balance":{goods}"#))
            .replace(r#""listings_online":87"#, &format!(r#""listings_online":{listings}"#))
            .replace(r#""points":2"#, &format!(r#""points":{points}"#))
            .replace(r#""amount":"500.00""#, &format!(r#""amount":{amount}"#));
        let now = "2023-04-20T12:00:00+08:00".parse().unwrap();
        if let Ok(a) = rules.decide_json(record.as_bytes(), now) {
            let b = rules.decide_json(record.as_bytes(), now).unwrap();
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn damaged_records_never_panic(cut in any::<prop::sample::Index>(), len in 0usize..20, insert in "\\PC{0,6}") {
        let rules = common::bundled_rules();
        let mut at = cut.index(MERCHANT.len());
        while !MERCHANT.is_char_boundary(at) { at -= 1; }
        let end = (at + len).min(MERCHANT.len());
        let damaged = format!("{}{}{}", &MERCHANT[..at], insert, &MERCHANT[end..]);
        let _ = rules.decide_json(damaged.as_bytes(), "2023-04-20T12:00:00+08:00".parse().unwrap());
    }
}
