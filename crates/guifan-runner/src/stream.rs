//! Inputs decided as streams: JSON Lines cut into blocks by a reader thread
//! while earlier blocks are decided, and populations read twice when a
//! policy ranks subjects against each other.

use std::io::{Read, Write};

use chrono::{DateTime, FixedOffset};
use guifan::data::Blocks;
use guifan::{Population, RuleSet, RunProblem, BLOCK_BYTES};

use crate::{run_batches, Batch, OutputFormat, Summary};

/// Decides JSON Lines read from `input`, in input order: a reader thread cuts
/// blocks of whole lines while earlier ones are decided, so memory holds a
/// few blocks, never the input. `name` names the input in errors.
pub fn run_lines(
    rules: &RuleSet,
    input: impl Read + Send + 'static,
    name: &str,
    now: DateTime<FixedOffset>,
    format: OutputFormat,
    out: &mut (dyn Write + Send),
    on_problem: &mut dyn FnMut(RunProblem),
) -> std::io::Result<Summary> {
    let (tx, rx) = std::sync::mpsc::sync_channel(2);
    let reader = std::thread::spawn(move || {
        for block in Blocks::new(input, BLOCK_BYTES) {
            if tx.send(block).is_err() {
                break;
            }
        }
    });
    let batches = rx.into_iter().map(|b| {
        b.map(Batch::Block)
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot read {name}: {e}")))
    });
    let summary = run_batches(rules, batches, now, format, out, on_problem);
    let _ = reader.join();
    summary
}

/// Decides the JSON Lines of a population in two passes when a policy ranks
/// subjects against each other (the ranking keys, then the decisions; see
/// [`RuleSet::ranked`]), in one otherwise. `second_pass` may wrap the reader
/// of the pass that decides (a progress bar). An input that changed between
/// the passes is an error: nothing decided from it can be trusted.
pub fn run_population(
    rules: &RuleSet,
    population: &Population,
    now: DateTime<FixedOffset>,
    format: OutputFormat,
    out: &mut (dyn Write + Send),
    on_problem: &mut dyn FnMut(RunProblem),
    second_pass: impl FnOnce(Box<dyn Read + Send>) -> Box<dyn Read + Send>,
) -> std::io::Result<Summary> {
    let (ranked, first_pass) = if rules.needs_ranks() {
        let (ranked, n) = rules.ranked(population, now, on_problem)?;
        (Some(ranked), Some(n))
    } else {
        (None, None)
    };
    let rules = ranked.as_ref().unwrap_or(rules);
    let input = second_pass(population.open()?);
    let summary = run_lines(
        rules,
        input,
        population.name(),
        now,
        format,
        out,
        on_problem,
    )?;
    match first_pass {
        Some(n) if n != summary.records => Err(guifan::changed_between_passes(
            population.name(),
            n,
            summary.records,
        )),
        _ => Ok(summary),
    }
}
