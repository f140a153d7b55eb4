//! Parquet and Arrow IPC bytes through the columnar reader, decoding and
//! evaluation against the bundled rules: whatever the bytes, every row read
//! is decided or reported, or the file is refused with an error; nothing
//! panics. The first byte picks the format; seeds come from `guifan-gen`.
#![no_main]

use std::sync::OnceLock;

use guifan::data::InputFormat;
use guifan::{Population, RuleSet};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| match RuleSet::from_sources(common::texts(&common::POLICIES)) {
        Ok(r) => r,
        Err(e) => panic!("the bundled rules must check: {e}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    let format = if which % 2 == 0 { InputFormat::Parquet } else { InputFormat::Arrow };
    let rules = rules();
    let population = Population::bytes(bytes.to_vec(), format);
    let now = "2023-04-20T12:00:00+08:00".parse().unwrap_or_default();
    let mut seen = 0usize;
    let read = rules.decide_population(&population, now, &mut |_| {}, &mut |_, _| seen += 1);
    if let Ok(n) = read {
        assert_eq!(n, seen, "every row read is decided or reported");
    }
});
