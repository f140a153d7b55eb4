//! A fuzzed policy, checked against the bundled schema and, when it checks,
//! evaluated against the example records at several evaluation times; each
//! record is also decided by the interpreter, which must agree with the
//! compiled closures on every decision and error.
#![no_main]

use guifan::data::{records, InputFormat};
use guifan::RuleSet;
use guifan_runner::{run, OutputFormat};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(rules) = RuleSet::from_sources(common::texts(&[("fuzz.policy", text)])) else {
        return;
    };
    let lines = match records(common::RECORDS.as_bytes(), InputFormat::Jsonl) {
        Ok(l) => l,
        Err(e) => panic!("the example records must split: {e}"),
    };
    for at in common::TIMES {
        let now = match guifan_syntax::literal::timestamp(at) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        let mut out = Vec::new();
        let summary = match run(
            &rules,
            &lines,
            now,
            OutputFormat::Jsonl,
            &mut out,
            &mut |_| {},
        ) {
            Ok(s) => s,
            Err(e) => panic!("writing to memory failed: {e}"),
        };
        assert_eq!(summary.records, summary.decided + summary.record_errors);
        for line in out.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(line) {
                panic!("not JSON: {e}");
            }
        }
        let program = rules.program();
        for line in &lines {
            let Ok(subject) = guifan_eval::decode_subject(program.schema(), &line.json) else {
                continue;
            };
            let compiled = guifan_eval::evaluate(program, &subject, now);
            let interpreted = guifan_eval::evaluate_interpreted(program, &subject, now, None);
            assert_eq!(compiled, interpreted, "line {}", line.line);
        }
    }
});
