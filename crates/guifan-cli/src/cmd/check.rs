//! `guifan check`: parse, type-check and lint rule files.

use std::path::PathBuf;

use guifan::report::ReportFormat;
use guifan::RuleSet;
use guifan_runner::testing;

use super::{first_path, load_failure, report, with_params};
use crate::args::CheckArgs;
use crate::term::Verbosity;
use crate::{errln, Exit};

/// Checks the selected files against their schema, with any parameter
/// overrides, and lints them; `--deny-warnings` makes warnings fail.
pub(crate) fn check(args: CheckArgs) -> Exit {
    let format = ReportFormat::from(args.format);
    let what = first_path(&args.paths);
    let from_stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    let loaded = if from_stdin {
        stdin_rules(&args.paths, args.schema.as_deref())
    } else {
        guifan::selection_files(&args.paths, args.schema.as_deref())
            .and_then(|(all, selected)| Ok((RuleSet::from_paths(all)?, selected)))
    };
    let (rules, selected) = match loaded {
        Ok(x) => x,
        Err(e) => return load_failure(&e, format, what),
    };
    let rules = match with_params(rules, args.params.file.as_deref(), format) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    // Lints on the selected files, knowing which policies the tests exercise.
    let root = match (&args.schema, from_stdin) {
        (Some(schema), true) => schema.parent().map_or_else(|| ".".into(), PathBuf::from),
        (None, true) => PathBuf::from("rules"),
        (_, false) => guifan::rules_root(what),
    };
    let selected: std::collections::HashSet<PathBuf> = selected.into_iter().collect();
    // The project's lint levels: allowed lints dropped, denied ones errors.
    let project = crate::project::project();
    let warnings = project.apply_lint_levels(rules.lint(
        &|path| selected.contains(path),
        Some(testing::tested_policies(&root)),
    ));
    let denied = warnings
        .iter()
        .any(|d| d.severity == guifan::report::Severity::Error);
    report(format, &warnings, rules.sources());
    if format == ReportFormat::Human && crate::term::verbosity() == Verbosity::Verbose {
        for (path, _) in rules.sources().iter() {
            errln!(
                "checked {}",
                guifan::clip::printable(&path.display().to_string())
            );
        }
    }
    if format == ReportFormat::Human && !crate::term::quiet() {
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
    if denied || (args.deny_warnings && !warnings.is_empty()) {
        Exit::CheckFailed
    } else {
        Exit::Ok
    }
}

/// The name a policy read from standard input is reported under.
const STDIN_NAME: &str = "<stdin>";

/// `guifan check -`: one rule file on standard input, checked against the
/// schema (`--schema`, else `rules/schema`), with any other paths given.
fn stdin_rules(
    paths: &[PathBuf],
    schema: Option<&std::path::Path>,
) -> Result<(RuleSet, Vec<PathBuf>), guifan::LoadError> {
    let io = |source| guifan::LoadError::Io {
        path: PathBuf::from(STDIN_NAME),
        source,
    };
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text).map_err(io)?;
    let others: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    let schema = schema.map_or_else(|| PathBuf::from("rules/schema"), PathBuf::from);
    let (all, mut selected) = if others.is_empty() {
        (guifan::rule_files(&schema)?, Vec::new())
    } else {
        guifan::selection_files(&others, Some(&schema))?
    };
    let mut sources = Vec::with_capacity(all.len() + 1);
    for path in all {
        let read = guifan::read_rule_file(&path).map_err(|e| guifan::LoadError::Io {
            path: path.clone(),
            source: e.into_io(),
        })?;
        sources.push((path, read.text));
    }
    sources.push((PathBuf::from(STDIN_NAME), text));
    selected.push(PathBuf::from(STDIN_NAME));
    Ok((RuleSet::from_sources(sources)?, selected))
}
