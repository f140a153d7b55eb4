//! `guifan check`: parse, type-check and lint rule files.

use std::path::PathBuf;

use guifan::report::ReportFormat;
use guifan::RuleSet;
use guifan_runner::testing;

use super::{first_path, load_failure, report, with_params};
use crate::args::CheckArgs;
use crate::{errln, Exit};

/// Checks the selected files against their schema, with any parameter
/// overrides, and lints them; `--deny-warnings` makes warnings fail.
pub(crate) fn check(args: CheckArgs) -> Exit {
    let format = ReportFormat::from(args.format);
    let what = first_path(&args.paths);
    let (all, selected) = match guifan::selection_files(&args.paths, args.schema.as_deref()) {
        Ok(x) => x,
        Err(e) => return load_failure(&e, format, what),
    };
    let rules = match RuleSet::from_paths(all) {
        Ok(r) => r,
        Err(e) => return load_failure(&e, format, what),
    };
    let rules = match with_params(rules, args.params.file.as_deref(), format) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    // Lints on the selected files, knowing which policies the tests exercise.
    let root = guifan::rules_root(what);
    let selected: std::collections::HashSet<PathBuf> = selected.into_iter().collect();
    let warnings = rules.lint(
        &|path| selected.contains(path),
        Some(testing::tested_policies(&root)),
    );
    report(format, &warnings, rules.sources());
    if format == ReportFormat::Human {
        let p = rules.program();
        let rule_count: usize = p.policies().iter().map(|x| x.rules().len()).sum();
        errln!(
            "{}: {} file(s), {} kind(s), {} policies, {} rules, {} warning{}",
            if warnings.is_empty() { "ok" } else { "checked" },
            rules.sources().len(),
            p.schema().kinds.len(),
            p.policies().len(),
            rule_count,
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" }
        );
    }
    if args.deny_warnings && !warnings.is_empty() {
        Exit::CheckFailed
    } else {
        Exit::Ok
    }
}
