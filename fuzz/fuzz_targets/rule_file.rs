//! A rule file through parse, check and diagnostic rendering: nothing may
//! panic, overflow the stack or hang, and every problem renders.
#![no_main]

use guifan::report::{self, ReportFormat};
use guifan::{LoadError, RuleSet};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match RuleSet::from_sources(common::texts(&[("fuzz.policy", text)])) {
        Ok(rules) => {
            // Lints run on every file that checks, and render in every format.
            let warnings = rules.lint(&|_| true, None);
            for format in [ReportFormat::Human, ReportFormat::Json, ReportFormat::Sarif, ReportFormat::Github] {
                let _ = report::render(format, &warnings, rules.sources(), false);
            }
        }
        Err(e @ LoadError::Invalid { .. }) => {
            let (diagnostics, sources) = e.diagnostics();
            for d in &diagnostics {
                let shown = report::human_in(d, &sources, 100, false);
                assert!(!shown.is_empty());
                assert!(
                    !shown.contains('\u{1b}'),
                    "an escape sequence reached the report"
                );
            }
            for format in [ReportFormat::Json, ReportFormat::Sarif, ReportFormat::Github] {
                let shown = report::render(format, &diagnostics, &sources, false);
                assert!(!shown.is_empty());
            }
        }
        Err(_) => {}
    }
});
