//! A rule file through parse, check and diagnostic rendering: nothing may
//! panic, overflow the stack or hang, and every problem renders.
#![no_main]

use guifan_runner::{load_texts, render, LoadError};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match load_texts(common::texts(&[("fuzz.policy", text)])) {
        Ok(rules) => {
            let _ = rules.program().policies.len();
        }
        Err(LoadError::Invalid {
            sources, problems, ..
        }) => {
            for p in &problems {
                let shown = render::problem_report(p, &sources, 100, false);
                assert!(!shown.is_empty());
                assert!(
                    !shown.contains('\u{1b}'),
                    "an escape sequence reached the report"
                );
            }
            let json = render::problems_json(&problems, &sources);
            assert_eq!(json.len(), problems.len());
        }
        Err(_) => {}
    }
});
