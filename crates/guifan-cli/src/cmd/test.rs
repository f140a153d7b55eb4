//! `guifan test`: the `*.test.toml` files beside the policies.

use guifan::clip::printable;
use guifan::report::{self, At, Diagnostic, JunitCase, JunitSuite, Label, ReportFormat};
use guifan::SourceMap;
use guifan_runner::testing;

use super::load;
use crate::args::{TestArgs, TestFormat};
use crate::{errln, outln, Exit};

/// Runs the test files under a path (or one test file) against the rules
/// of its rules directory; with coverage, reports what the cases exercise.
pub(crate) fn test(args: TestArgs) -> Exit {
    let path = args.dir.as_path();
    let format = args.format;
    let filter = args.filter.as_deref();
    let with_coverage = args.coverage || args.min_coverage.is_some();
    let min_coverage = args.min_coverage;
    let coverage = with_coverage
        .then(|| std::cell::RefCell::new(guifan::testing::coverage::Coverage::default()));
    let report_format = match format {
        TestFormat::Human | TestFormat::Junit => ReportFormat::Human,
        TestFormat::Json => ReportFormat::Json,
        TestFormat::Sarif => ReportFormat::Sarif,
        TestFormat::Github => ReportFormat::Github,
    };
    let root = testing::rules_root(path);
    let rules = match load(&root, report_format, args.params.file.as_deref()) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let files = if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        match testing::test_files(path) {
            Ok(files) => files,
            Err((dir, e)) => {
                let d = Diagnostic::new(
                    "guifan::io::unreadable",
                    format!(
                        "cannot read `{}`: {e}",
                        printable(&dir.display().to_string())
                    ),
                    Label {
                        at: At::File(dir.display().to_string()),
                        message: None,
                    },
                );
                super::report(report_format, &[d], &SourceMap::default());
                return Exit::Usage;
            }
        }
    };
    let human = format == TestFormat::Human;
    let quiet = crate::term::quiet();
    let verbose = crate::term::verbosity() == crate::term::Verbosity::Verbose;
    if files.is_empty() && human {
        errln!(
            "no *.test.toml files under `{}`",
            printable(&path.display().to_string())
        );
    }
    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    let mut diagnostics = Vec::new();
    let mut suites = Vec::new();
    for file in files {
        let shown = printable(&file.display().to_string()).into_owned();
        let at = || Label {
            at: At::File(file.display().to_string()),
            message: None,
        };
        let text = match guifan::read_rule_file(&file) {
            Ok(read) if read.bad_byte.is_none() => read.text,
            Ok(_) => {
                if human {
                    outln!("{shown}: not UTF-8 text");
                }
                diagnostics.push(Diagnostic::new(
                    "guifan::test::invalid",
                    "not UTF-8 text",
                    at(),
                ));
                failed += 1;
                continue;
            }
            Err(e) => {
                let d = Diagnostic::new(
                    "guifan::io::unreadable",
                    format!("cannot read `{shown}`: {e}"),
                    at(),
                );
                super::report(report_format, &[d], &SourceMap::default());
                return Exit::Usage;
            }
        };
        let result = testing::run_test_file_with(&rules, &text, filter, coverage.as_ref());
        if human && !quiet {
            let skip = if result.skipped > 0 {
                format!(", {} filtered out", result.skipped)
            } else {
                String::new()
            };
            outln!(
                "{shown}: {} passed, {} failed{skip}",
                result.passed,
                result.failures.len()
            );
        }
        if human && verbose {
            for case in result.cases.iter().filter(|c| c.failure.is_none()) {
                outln!("  ok {}", printable(&case.name));
            }
        }
        for f in &result.failures {
            if human {
                outln!(
                    "  FAILED {}\n    {}",
                    printable(&f.case),
                    printable(&f.message)
                );
            }
            let place = if f.line > 0 {
                Label {
                    at: At::Line {
                        file: file.display().to_string(),
                        line: f.line,
                        field: None,
                    },
                    message: None,
                }
            } else {
                at()
            };
            diagnostics.push(Diagnostic::new(
                "guifan::test::failed",
                format!("{}: {}", f.case, f.message),
                place,
            ));
        }
        passed += result.passed;
        failed += result.failures.len();
        skipped += result.skipped;
        suites.push((file.display().to_string(), result));
    }
    // Coverage of the policies the test files name.
    let named = testing::tested_policies(path);
    let covered = coverage.map(|c| c.into_inner().report(&rules, Some(&named)));
    // Coverage below --min-coverage fails the run, as a problem of its own in
    // every format (a failed case named `coverage` in JUnit).
    let below = match (&covered, min_coverage) {
        (Some(c), Some(min)) if c.percent < min => Some(format!(
            "{:.1}% of rules and versions covered, below --min-coverage {min}",
            c.percent
        )),
        _ => None,
    };
    if let Some(message) = &below {
        diagnostics.push(Diagnostic::new(
            "guifan::test::coverage",
            message.clone(),
            Label {
                at: At::File(path.display().to_string()),
                message: None,
            },
        ));
        suites_junit_coverage(&mut suites, message);
    }
    match (format, &covered) {
        (TestFormat::Human, _) => {
            let skip = if skipped > 0 {
                format!(", {skipped} filtered out")
            } else {
                String::new()
            };
            outln!("{passed} passed, {failed} failed{skip}");
            if let Some(c) = &covered {
                outln!("{}", guifan::testing::coverage::human(c).trim_end());
            }
        }
        (TestFormat::Junit, _) => outln!("{}", report::junit(&junit_suites(&suites)).trim_end()),
        (TestFormat::Json, Some(c)) => {
            let problems = report::render(
                ReportFormat::Json,
                &diagnostics,
                &SourceMap::default(),
                false,
            );
            let problems: serde_json::Value = serde_json::from_str(&problems).unwrap_or_default();
            let both = serde_json::json!({ "problems": problems, "coverage": c });
            outln!(
                "{}",
                serde_json::to_string_pretty(&both).unwrap_or_default()
            );
        }
        _ => super::report(report_format, &diagnostics, &SourceMap::default()),
    }
    let ran_none = filter.is_some() && passed == 0 && failed == 0;
    if let (true, Some(text)) = (ran_none, filter) {
        errln!("error: --filter `{}` matches no test case", printable(text));
    }
    if let (Some(message), TestFormat::Human | TestFormat::Junit) = (&below, format) {
        errln!("error: {message}");
    }
    if failed == 0 && below.is_none() && !ran_none {
        Exit::Ok
    } else {
        Exit::Failures
    }
}

/// A coverage below `--min-coverage` as a JUnit suite of one failed case.
fn suites_junit_coverage(suites: &mut Vec<(String, testing::Report)>, message: &str) {
    let report = testing::Report {
        failures: vec![testing::Failure {
            case: "coverage".into(),
            line: 0,
            message: message.to_string(),
        }],
        ..testing::Report::default()
    };
    suites.push(("coverage".into(), report));
}

/// Test results as JUnit suites: a suite per test file, a case per test
/// case, and problems of the file itself as failed cases named after them.
fn junit_suites(suites: &[(String, testing::Report)]) -> Vec<JunitSuite> {
    suites
        .iter()
        .map(|(file, report)| {
            let cases = &report.cases;
            let file_problems = report.failures.iter().filter(|f| {
                !cases
                    .iter()
                    .any(|c| c.failure.as_deref() == Some(f.message.as_str()) && c.name == f.case)
            });
            let mut out: Vec<JunitCase> = cases
                .iter()
                .map(|c| JunitCase {
                    name: c.name.clone(),
                    line: c.line,
                    failure: c.failure.clone(),
                })
                .collect();
            out.extend(file_problems.map(|f| JunitCase {
                name: f.case.clone(),
                line: f.line,
                failure: Some(f.message.clone()),
            }));
            JunitSuite {
                file: file.clone(),
                cases: out,
                skipped: report.skipped,
            }
        })
        .collect()
}
