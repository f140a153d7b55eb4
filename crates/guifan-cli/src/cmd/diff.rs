//! `guifan diff`: what a rule change does to data.

use std::io::Read;

use guifan::clip::{one_line, printable};
use guifan::data::{self, InputFormat};
use guifan::report::ReportFormat;
use guifan::{RuleSet, RunProblem};
use guifan_runner::Batch;

use super::{error, evaluation_time, load, start_workers, Input};
use crate::args::{DiffArgs, DiffFormat};
use crate::stdio::is_broken_pipe;
use crate::{errln, outln, Exit};

/// Decides the data with both rule directories and reports the subjects
/// whose decisions differ, by rule and kind of change.
pub(crate) fn diff(args: DiffArgs) -> Exit {
    if let Err(exit) = start_workers(None) {
        return exit;
    }
    let now = match evaluation_time(args.at.as_deref()) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    let base_params = args.base_params.as_deref().or(args.params.file.as_deref());
    let base = match load(&args.base, ReportFormat::Human, base_params) {
        Ok(r) => r,
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
    let input = match Input::open(&args.data, args.input_format.map(Into::into), true) {
        Ok(i) => i,
        Err(exit) => return exit,
    };
    let name = input.name.clone();
    let progress = input.progress.clone();
    let report = if input.format == InputFormat::Jsonl {
        diff_lines(&base, &rules, input, &args, now)
    } else {
        diff_whole(&base, &rules, input, &args, now)
    };
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let report = match report {
        Ok(r) => r,
        Err(e) if is_broken_pipe(&e) => return Exit::BrokenPipe,
        Err(e) => return error(e),
    };
    // Records that do not decode are reported with their lines, as `run` reports them.
    for p in &report.record_problems {
        let by = match p.refused_by {
            "both" => "",
            "base" => " by the base rules",
            _ => " by the new rules",
        };
        errln!(
            "error: {}:{}: not decoded{by}: {} [guifan::data::invalid]",
            printable(&name),
            p.line,
            one_line(&p.error)
        );
    }
    if report.record_errors > report.record_problems.len() {
        errln!(
            "error: {} more records not decoded",
            report.record_errors - report.record_problems.len()
        );
    }
    match args.format {
        DiffFormat::Human => outln!("{}", guifan_runner::diff::human(&report).trim_end()),
        DiffFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ),
    }
    let changed = args.exit_code && report.changed_subjects.count > 0;
    if report.record_errors > 0 || changed {
        Exit::Failures
    } else {
        Exit::Ok
    }
}

/// JSON Lines, streamed. When either rule set ranks, the input is one
/// population (a file read again, any other input spooled once) that each
/// ranking pass reads before the pass that decides with both.
fn diff_lines(
    base: &RuleSet,
    rules: &RuleSet,
    input: Input,
    args: &DiffArgs,
    now: guifan::DateTime<guifan::FixedOffset>,
) -> std::io::Result<guifan_runner::diff::DiffReport> {
    let name = input.name.clone();
    // Problems of single records are left to `guifan run`: here they are counted.
    let mut ignore = |_: RunProblem| {};
    let (base, rules, source): (RuleSet, RuleSet, Box<dyn Read + Send>) =
        if base.needs_ranks() || rules.needs_ranks() {
            let population = input.population()?;
            let mut ranked = |set: &RuleSet| -> std::io::Result<RuleSet> {
                if set.needs_ranks() {
                    Ok(set.ranked(&population, now, &mut ignore)?.0)
                } else {
                    Ok(set.clone())
                }
            };
            let (base, rules) = (ranked(base)?, ranked(rules)?);
            (base, rules, population.open()?)
        } else {
            (base.clone(), rules.clone(), Box::new(input.source))
        };
    let blocks = data::Blocks::new(source, guifan::BLOCK_BYTES).map(|b| {
        b.map(Batch::Block)
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot read {name}: {e}")))
    });
    guifan_runner::diff::diff_batches(&base, &rules, blocks, now, args.examples, args.all_subjects)
}

/// A JSON array or a TOML document: read whole, ranked in memory.
fn diff_whole(
    base: &RuleSet,
    rules: &RuleSet,
    mut input: Input,
    args: &DiffArgs,
    now: guifan::DateTime<guifan::FixedOffset>,
) -> std::io::Result<guifan_runner::diff::DiffReport> {
    let bytes = input.read_whole()?;
    let records = data::records_of(&bytes, input.format, &input.name)?;
    guifan_runner::diff::diff_batches(
        &base.ranked_records(&records, now, &mut |_| {}),
        &rules.ranked_records(&records, now, &mut |_| {}),
        std::iter::once(Ok(Batch::Records(&records))),
        now,
        args.examples,
        args.all_subjects,
    )
}
