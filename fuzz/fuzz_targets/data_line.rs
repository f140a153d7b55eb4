//! Data through decoding, evaluation and rendering against the bundled rules:
//! every record read is decided or reported, and the output is valid JSON; the
//! decoder's fast path, whenever it takes a record, gives the very subject the
//! detailed decoder gives.
#![no_main]

use std::sync::OnceLock;

use guifan::data::{records, InputFormat};
use guifan_runner::{run, OutputFormat};
use guifan::{RuleSet, RunProblem};
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
    let rules = rules();
    let Ok(lines) = records(data, InputFormat::Jsonl) else {
        return;
    };
    let schema = rules.program().schema();
    for line in &lines {
        if let Some(fast) = guifan_eval::decode_subject_fast(schema, &line.json) {
            match guifan_eval::decode_subject_detailed(schema, &line.json) {
                Ok(detailed) => assert_eq!(format!("{fast:?}"), format!("{detailed:?}")),
                Err(e) => panic!("the fast path took what the detailed decoder refuses: {e}"),
            }
        }
    }
    for (i, at) in common::TIMES.iter().enumerate().take(2) {
        let now = match guifan_syntax::literal::timestamp(at) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        let format = if i == 0 {
            OutputFormat::Jsonl
        } else {
            OutputFormat::Json
        };
        let mut out = Vec::new();
        let mut bad = 0usize;
        let summary = match run(rules, &lines, now, format, &mut out, &mut |p| {
            if let RunProblem::Record(_) = p {
                bad += 1;
            }
        }) {
            Ok(s) => s,
            Err(e) => panic!("writing to memory failed: {e}"),
        };
        assert_eq!(summary.records, lines.len());
        assert_eq!(summary.records, summary.decided + summary.record_errors);
        assert_eq!(bad, summary.record_errors);
        let text = match std::str::from_utf8(&out) {
            Ok(t) => t,
            Err(e) => panic!("output is not UTF-8: {e}"),
        };
        match format {
            OutputFormat::Jsonl => {
                let decided = text.lines().count();
                assert_eq!(decided, summary.decided);
                for line in text.lines() {
                    if let Err(e) = serde_json::from_str::<serde_json::Value>(line) {
                        panic!("not JSON: {e}: {line}");
                    }
                }
            }
            _ => {
                let all: serde_json::Value = match serde_json::from_str(text) {
                    Ok(v) => v,
                    Err(e) => panic!("not JSON: {e}: {text}"),
                };
                assert_eq!(all.as_array().map(Vec::len), Some(summary.decided));
            }
        }
    }
});
