//! Property tests: the parser never panics, whatever the input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests and benchmarks fail loudly"
)]

use guifan_syntax::{parse, parse_expr, SourceId};
use proptest::prelude::*;

const POLICY: &str = include_str!("../../../rules/douyin/zero_deposit_trial.policy");
const SCHEMA: &str = include_str!("../../../rules/schema/kinds.schema");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse(SourceId(0), &text);
        let _ = parse_expr(SourceId(0), &text);
    }

    #[test]
    fn language_like_text_never_panics(
        text in "(policy|rule|when|then|kind|\\{|\\}|\\(|\\)|\\[|\\]|:|,|\\.|\"|-|%|[a-z_]{1,8}|[0-9]{1,4}|2023-02-28|09:00|30d|CNY| |\n|==|>=|\\?\\?|is present|and|or|not|any|sum|for|in|where){0,60}"
    ) {
        let _ = parse(SourceId(0), &text);
    }

    #[test]
    fn damaged_real_files_never_panic(
        which in any::<bool>(),
        cut in any::<prop::sample::Index>(),
        len in 0usize..40,
        insert in "\\PC{0,8}",
    ) {
        let src = if which { POLICY } else { SCHEMA };
        let mut at = cut.index(src.len());
        while !src.is_char_boundary(at) { at -= 1; }
        let mut end = (at + len).min(src.len());
        while !src.is_char_boundary(end) { end -= 1; }
        let damaged = format!("{}{}{}", &src[..at], insert, &src[end.max(at)..]);
        if let Err(errors) = parse(SourceId(0), &damaged) {
            for e in errors {
                // Every error points inside the text.
                prop_assert!(e.span().start as usize <= damaged.len());
            }
        }
    }
}

#[test]
fn the_bundled_files_parse() {
    assert!(parse(SourceId(0), POLICY).is_ok());
    assert!(parse(SourceId(0), SCHEMA).is_ok());
}
