//! `guifan run`: decide every record of a data file and write the decisions.

use std::io::{BufWriter, IsTerminal, Write};
use std::time::Instant;

use guifan::data::{self, InputFormat};
use guifan::report::{self, Diagnostic, ReportFormat};
use guifan::{RuleSet, RunProblem};
use guifan_runner::{output, OutputFormat, Summary};

use super::{error, evaluation_time, load, start_workers, Input, MAX_JOBS};
use crate::args::RunArgs;
use crate::stdio::is_broken_pipe;
use crate::{errln, Exit};

/// Decides the data with the rules (and any parameter overrides) and writes
/// the decisions to standard output or `--output`; problems are reported as
/// they are found, a summary at the end.
pub(crate) fn run(args: RunArgs) -> Exit {
    let started = Instant::now();
    if let Some(jobs) = args.jobs {
        if !(1..=MAX_JOBS).contains(&jobs) {
            return error(format!("--jobs takes 1 to {MAX_JOBS} threads, not {jobs}"));
        }
    }
    if let Err(exit) = start_workers(args.jobs) {
        return exit;
    }
    let now = match evaluation_time(args.at.as_deref()) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    let rules = match load(
        &args.rules,
        ReportFormat::Human,
        args.params.file.as_deref(),
    ) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let input = match Input::open(
        &args.data,
        args.input_format.map(Into::into),
        !crate::term::quiet(),
    ) {
        Ok(i) => i,
        Err(exit) => return exit,
    };
    let name = input.name.clone();
    let progress = input.progress.clone();
    let report_format = ReportFormat::from(args.report_format);
    let output_format = OutputFormat::from(args.format);
    if output_format.is_table_file() && args.output.is_none() && std::io::stdout().is_terminal() {
        return error(format!(
            "--format {} writes a binary file: name it with --output FILE (or redirect standard output)",
            if output_format == OutputFormat::Parquet { "parquet" } else { "arrow" }
        ));
    }
    let mut problems = ProblemPrinter {
        name: &name,
        rules: &rules,
        format: report_format,
        sarif: Vec::new(),
    };
    // Problems are printed above the progress bar, never through it.
    let bar = progress.clone();
    let mut on_problem = |p: RunProblem| match &bar {
        Some(bar) => bar.suspend(|| problems.print(&p)),
        None => problems.print(&p),
    };
    let decide = |out: &mut (dyn Write + Send)| -> std::io::Result<Summary> {
        if matches!(input.format, InputFormat::Parquet | InputFormat::Arrow) {
            decide_columnar(&rules, input, now, output_format, out, &mut on_problem)
        } else if input.format == InputFormat::Jsonl {
            decide_lines(&rules, input, now, output_format, out, &mut on_problem)
        } else {
            decide_whole(&rules, input, now, output_format, out, &mut on_problem)
        }
    };
    let summary = match &args.output {
        Some(path) => {
            if let Err(e) = crate::interrupt::install_cleanup() {
                return error(format!("cannot watch for interruptions: {e}"));
            }
            output::write_file(path, decide)
        }
        None => {
            let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout());
            decide(&mut out)
        }
    };
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    if report_format == ReportFormat::Sarif {
        errln!(
            "{}",
            report::render(ReportFormat::Sarif, &problems.sarif, rules.sources(), false).trim_end()
        );
    }
    let mut summary = match summary {
        Ok(s) => s,
        Err(e) if is_broken_pipe(&e) => return Exit::BrokenPipe,
        Err(e) => return error(e),
    };
    summary.elapsed = started.elapsed();
    if !crate::term::quiet() {
        print_summary(&summary);
    }
    if summary.is_clean() {
        Exit::Ok
    } else {
        Exit::Failures
    }
}

/// JSON Lines, streamed. A policy that ranks subjects against each other
/// needs the whole input once before anything is decided: then the input is
/// a population (a file read again, any other input spooled once), and the
/// progress bar follows the pass that decides.
fn decide_lines(
    rules: &RuleSet,
    input: Input,
    now: guifan::DateTime<guifan::FixedOffset>,
    format: OutputFormat,
    out: &mut (dyn Write + Send),
    on_problem: &mut dyn FnMut(RunProblem),
) -> std::io::Result<Summary> {
    if !rules.needs_ranks() {
        let name = input.name.clone();
        return guifan_runner::run_lines(rules, input.source, &name, now, format, out, on_problem);
    }
    let progress = input.progress.clone();
    let population = input.population()?;
    guifan_runner::run_population(rules, &population, now, format, out, on_problem, |second| {
        match &progress {
            Some(bar) => {
                bar.reset();
                Box::new(bar.wrap_read(second))
            }
            None => second,
        }
    })
}

/// A Parquet or Arrow file: its rows read a batch at a time as records
/// (only the columns some kind declares), ranked in a first pass when a
/// policy ranks; standard input is spooled once.
fn decide_columnar(
    rules: &RuleSet,
    input: Input,
    now: guifan::DateTime<guifan::FixedOffset>,
    format: OutputFormat,
    out: &mut (dyn Write + Send),
    on_problem: &mut dyn FnMut(RunProblem),
) -> std::io::Result<Summary> {
    let population = input.population()?.fields_of(rules);
    guifan_runner::run_population(rules, &population, now, format, out, on_problem, |second| {
        second
    })
}

/// A JSON array or a TOML document: read whole, ranked in memory when a policy ranks.
fn decide_whole(
    rules: &RuleSet,
    mut input: Input,
    now: guifan::DateTime<guifan::FixedOffset>,
    format: OutputFormat,
    out: &mut (dyn Write + Send),
    on_problem: &mut dyn FnMut(RunProblem),
) -> std::io::Result<Summary> {
    let bytes = input.read_whole()?;
    let records = data::records_of(&bytes, input.format, &input.name)?;
    let rules = rules.ranked_records(&records, now, on_problem);
    guifan_runner::run(&rules, &records, now, format, out, on_problem)
}

/// Prints each problem of a run as it is found, on standard error (a SARIF
/// log gathers them for the end).
struct ProblemPrinter<'a> {
    name: &'a str,
    rules: &'a RuleSet,
    format: ReportFormat,
    /// The problems kept for a SARIF log
    sarif: Vec<Diagnostic>,
}

impl ProblemPrinter<'_> {
    fn print(&mut self, problem: &RunProblem) {
        let line = match self.format {
            ReportFormat::Human => report::run_problem_line(problem, self.name),
            ReportFormat::Sarif => {
                if self.sarif.len() < guifan::MAX_PROBLEMS {
                    self.sarif.push(report::run_problem(problem, self.name));
                }
                return;
            }
            // One line per problem: a JSON object (an element of the array
            // `--format json` would print), or a workflow command.
            ReportFormat::Json => {
                let d = report::run_problem(problem, self.name);
                serde_json::to_string(&report::json(&d, self.rules.sources())).unwrap_or_default()
            }
            ReportFormat::Github => {
                let d = report::run_problem(problem, self.name);
                report::render(
                    self.format,
                    std::slice::from_ref(&d),
                    self.rules.sources(),
                    false,
                )
                .trim_end()
                .to_string()
            }
        };
        errln!("{line}");
    }
}

/// The closing summary line, with rule failures counted by code.
fn print_summary(summary: &Summary) {
    let secs = summary.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        summary.records as f64 / secs
    } else {
        0.0
    };
    let by_code: Vec<String> = summary
        .rule_errors_by_code
        .iter()
        .map(|(code, n)| format!("{code}: {n}"))
        .collect();
    let by_code = if by_code.is_empty() {
        String::new()
    } else {
        format!(" ({})", by_code.join(", "))
    };
    errln!(
        "guifan: {} records, {} decided, {} decisions, {} record errors, {} rule errors{by_code} in {:.3} s ({:.0} records/s)",
        summary.records,
        summary.decided,
        summary.decisions,
        summary.record_errors,
        summary.rule_errors(),
        secs,
        rate
    );
}
