//! A rule file through parse, check and diagnostic rendering: nothing may
//! panic, overflow the stack or hang, and every problem renders.
#![no_main]

use guifan_runner::report::{self, ReportFormat};
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
            // Lints run on every file that checks, and render in every format.
            let texts: Vec<_> = rules
                .files()
                .iter()
                .filter_map(|f| rules.sources.text(f.source).map(|t| (f, &**t)))
                .collect();
            let warnings = guifan_lint::lint(&texts, &guifan_lint::Context::default());
            for format in [ReportFormat::Human, ReportFormat::Json, ReportFormat::Sarif, ReportFormat::Github] {
                let _ = report::render(format, &warnings, &rules.sources, false);
            }
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
            let diagnostics = report::diagnostics(&problems);
            for format in [ReportFormat::Json, ReportFormat::Sarif, ReportFormat::Github] {
                let shown = report::render(format, &diagnostics, &sources, false);
                assert!(!shown.is_empty());
            }
        }
        Err(_) => {}
    }
});
