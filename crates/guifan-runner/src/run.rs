//! Evaluating a data file: records decoded and judged in parallel, written in
//! input order by a writer thread while the next batch is judged; a bad
//! record is reported and the others go on.

use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use guifan_eval::{decode_subject, evaluate, DataError, RuleError};
use rayon::prelude::*;

use crate::data::{Block, RecordText};
use crate::load::RuleSet;
use crate::render::{self, OutputFormat, SubjectRecord};

/// Records decided per parallel task.
const CHUNK: usize = 512;
/// Records judged between hand-overs to the writer.
const BATCH: usize = 16 * CHUNK;

/// A record that could not be decoded.
#[derive(Debug, Clone)]
pub struct RecordError {
    /// Its line in the data file
    pub line: usize,
    /// Its `id`, when it could be read
    pub id: Option<String>,
    /// What is wrong
    pub error: DataError,
}

/// A rule that failed on a record.
#[derive(Debug, Clone)]
pub struct FailedRule {
    /// The record's line
    pub line: usize,
    /// The record's `id`
    pub id: String,
    /// The failure
    pub error: RuleError,
}

/// A problem met during a run, handed to the caller as soon as its batch is
/// judged (in input order), so that nothing accumulates however many there are.
#[derive(Debug, Clone)]
pub enum RunProblem {
    /// A record that could not be decoded
    Record(RecordError),
    /// A rule that failed on a record
    Rule(FailedRule),
}

/// What a run did: counts only, so its size does not grow with the input.
#[derive(Debug, Default)]
pub struct Summary {
    /// Records read
    pub records: usize,
    /// Records decided (decoded and evaluated)
    pub decided: usize,
    /// Decisions made
    pub decisions: usize,
    /// Records that could not be decoded
    pub record_errors: usize,
    /// Rule failures by error code (`guifan::eval::division_by_zero`), in code order
    pub rule_errors_by_code: std::collections::BTreeMap<&'static str, usize>,
    /// Time spent
    pub elapsed: Duration,
}

impl Summary {
    /// Whether every record was decided without error.
    pub fn is_clean(&self) -> bool {
        self.record_errors == 0 && self.rule_errors() == 0
    }

    /// Rule failures on records, all codes together.
    pub fn rule_errors(&self) -> usize {
        self.rule_errors_by_code.values().sum()
    }
}

/// What one chunk of records came to.
#[derive(Default)]
struct Judged {
    /// Rendered decision records (JSON Lines, or JSON elements each led by `,\n`)
    bytes: Vec<u8>,
    /// Table rows
    rows: Vec<[String; 4]>,
    decided: usize,
    decisions: usize,
    bad: Vec<RecordError>,
    failed: Vec<FailedRule>,
}

/// Decides every record and writes the decisions to `out` in input order;
/// problems go to `on_problem` as they are found.
pub fn run(
    rules: &RuleSet,
    records: &[RecordText<'_>],
    now: DateTime<FixedOffset>,
    format: OutputFormat,
    out: &mut (dyn Write + Send),
    on_problem: &mut dyn FnMut(RunProblem),
) -> std::io::Result<Summary> {
    run_batches(
        rules,
        std::iter::once(Ok(Batch::Records(records))),
        now,
        format,
        out,
        on_problem,
    )
}

/// A batch of input: records already split, or a block of JSON Lines.
pub enum Batch<'r, 'a> {
    /// Records split by the caller
    Records(&'r [RecordText<'a>]),
    /// A block read from a stream
    Block(Block),
}

/// Decides the records of every batch, in order, and writes the decisions to `out`.
/// Batches are pulled from `batches` (for example a reader thread) while the
/// previous one is written by a writer thread. Problems go to `on_problem` as
/// each group of records is judged; a table is laid out a group at a time, so
/// memory stays bounded whatever the format.
pub fn run_batches<'r, 'a: 'r>(
    rules: &RuleSet,
    batches: impl Iterator<Item = std::io::Result<Batch<'r, 'a>>>,
    now: DateTime<FixedOffset>,
    format: OutputFormat,
    out: &mut (dyn Write + Send),
    on_problem: &mut dyn FnMut(RunProblem),
) -> std::io::Result<Summary> {
    let started = Instant::now();
    let mut summary = Summary::default();
    std::thread::scope(|scope| -> std::io::Result<()> {
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(4);
        let writer = scope.spawn(move || -> std::io::Result<()> {
            let mut first = true;
            if format == OutputFormat::Json {
                out.write_all(b"[")?;
            }
            for buf in rx {
                // JSON elements each come led by `,\n`; the very first one drops its comma.
                let skip = usize::from(format == OutputFormat::Json && first && !buf.is_empty());
                out.write_all(buf.get(skip..).unwrap_or_default())?;
                first &= buf.is_empty();
            }
            if format == OutputFormat::Json {
                out.write_all(b"\n]\n")?;
            }
            out.flush()
        });
        let judged = judge_batches(
            batches,
            |chunk| judge_chunk(rules, chunk, now, format),
            |group: Vec<Judged>| {
                let mut table_rows = Vec::new();
                for j in group {
                    summary.decided += j.decided;
                    summary.decisions += j.decisions;
                    summary.record_errors += j.bad.len();
                    for f in &j.failed {
                        *summary
                            .rule_errors_by_code
                            .entry(f.error.error.kind.code())
                            .or_default() += 1;
                    }
                    j.bad
                        .into_iter()
                        .for_each(|e| on_problem(RunProblem::Record(e)));
                    j.failed
                        .into_iter()
                        .for_each(|e| on_problem(RunProblem::Rule(e)));
                    table_rows.extend(j.rows);
                    if tx.send(j.bytes).is_err() {
                        return false; // the writer failed; its error is returned below
                    }
                }
                !(format == OutputFormat::Table
                    && !table_rows.is_empty()
                    && tx.send(render::table(table_rows).into_bytes()).is_err())
            },
        );
        drop(tx);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the writer thread stopped")));
        summary.records = judged?;
        written
    })?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The ordered parallel pipeline every pass over records shares (`run`,
/// `diff`): each batch is cut into groups, each group judged in parallel
/// chunks by `judge`, and the chunks' results handed to `consume` a group at
/// a time, in input order (it returns `false` to stop). Returns the number of
/// records read, or the first read error.
pub fn judge_batches<'r, 'a: 'r, T: Send>(
    batches: impl Iterator<Item = std::io::Result<Batch<'r, 'a>>>,
    judge: impl Fn(&[RecordText<'_>]) -> T + Sync,
    mut consume: impl FnMut(Vec<T>) -> bool,
) -> std::io::Result<usize> {
    let mut records_read = 0;
    for batch in batches {
        let batch = batch?;
        let block_records;
        let records: &[RecordText<'_>] = match &batch {
            Batch::Records(r) => r,
            Batch::Block(b) => {
                block_records = b.records();
                &block_records
            }
        };
        records_read += records.len();
        for group in records.chunks(BATCH) {
            let judged: Vec<T> = group.par_chunks(CHUNK).map(&judge).collect();
            if !consume(judged) {
                return Ok(records_read);
            }
        }
    }
    Ok(records_read)
}

fn judge_chunk(
    rules: &RuleSet,
    chunk: &[RecordText<'_>],
    now: DateTime<FixedOffset>,
    format: OutputFormat,
) -> Judged {
    let program = rules.program();
    let mut out = Judged {
        bytes: Vec::with_capacity(if format == OutputFormat::Table {
            0
        } else {
            chunk.len() * 1024
        }),
        ..Judged::default()
    };
    for record in chunk {
        let subject = match decode_subject(&program.schema, &record.json) {
            Ok(s) => s,
            Err(error) => {
                out.bad.push(RecordError {
                    line: record.line + error.line.map(|l| l.saturating_sub(1)).unwrap_or(0),
                    id: record_id(&record.json),
                    error,
                });
                continue;
            }
        };
        let outcome = match rules.ranks() {
            Some(ranks) => guifan_eval::evaluate_with_ranks(program, &subject, now, ranks),
            None => evaluate(program, &subject, now),
        };
        let kind = program
            .schema
            .kind_def(subject.kind)
            .map(|k| k.name.as_str())
            .unwrap_or("?");
        let view = SubjectRecord {
            id: &subject.id,
            kind,
            outcome: &outcome,
            sources: &rules.sources,
            json: rules.json(),
        };
        match format {
            OutputFormat::Jsonl => render::jsonl_line(&view, &mut out.bytes),
            OutputFormat::Json => {
                out.bytes.extend_from_slice(b",\n");
                render::json_element(&view, &mut out.bytes);
            }
            OutputFormat::Table => out.rows.extend(render::table_rows(&view)),
        }
        out.decided += 1;
        out.decisions += outcome.decisions.len();
        out.failed
            .extend(outcome.errors.into_iter().map(|error| FailedRule {
                line: record.line,
                id: subject.id.to_string(),
                error,
            }));
    }
    out
}

/// The ranking keys of records (the first of two passes when a policy ranks
/// subjects against each other): decoded and computed in parallel, only the
/// keys kept. Records that do not decode are left to the second pass, which
/// reports them; failures of the rankings' expressions go to `on_problem`.
pub fn rank_keys(
    rules: &RuleSet,
    records: &[RecordText<'_>],
    now: DateTime<FixedOffset>,
    on_problem: &mut dyn FnMut(RunProblem),
) -> Vec<guifan_eval::rank::RankKey> {
    let program = rules.program();
    // Only records of a kind some policy ranks are decoded; the others are skipped by a glance at their `kind`.
    let ranked: Vec<guifan_eval::KindId> = program
        .policies
        .iter()
        .filter(|p| !p.rankings.is_empty())
        .map(|p| p.kind)
        .collect();
    let per_chunk: Vec<(Vec<guifan_eval::rank::RankKey>, Vec<FailedRule>)> = records
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut keys = Vec::new();
            let mut failed = Vec::new();
            for record in chunk {
                let kind = guifan_eval::peek_kind(&program.schema, &record.json);
                if kind.is_some_and(|k| !ranked.contains(&k)) {
                    continue;
                }
                let Ok(subject) = decode_subject(&program.schema, &record.json) else {
                    continue;
                };
                let (k, errors) = guifan_eval::rank::rank_keys(program, &subject, now);
                keys.extend(k);
                failed.extend(errors.into_iter().map(|error| FailedRule {
                    line: record.line,
                    id: subject.id.to_string(),
                    error,
                }));
            }
            (keys, failed)
        })
        .collect();
    let mut keys = Vec::new();
    for (k, failed) in per_chunk {
        keys.extend(k);
        failed
            .into_iter()
            .for_each(|f| on_problem(RunProblem::Rule(f)));
    }
    keys
}

/// The `id` of a record that failed to decode, if a lenient read finds one.
/// A record's `id`, when it has a readable one (without decoding the rest).
pub fn record_id(json: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<String>,
    }
    serde_json::from_slice::<IdOnly>(json)
        .ok()
        .and_then(|r| r.id)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::data::{records, InputFormat};

    #[test]
    fn problems_are_handed_over_as_each_batch_is_judged_not_at_the_end() {
        let rules = crate::load_rules(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"),
        )
        .unwrap();
        let bad = b"{\"kind\":\"merchant\",\"id\":\"bad\"}\n".to_vec();
        let first = records(&bad, InputFormat::Jsonl).unwrap();
        let second = records(&bad, InputFormat::Jsonl).unwrap();
        let reported = Cell::new(0usize);
        let seen_before_second = Cell::new(None);
        let batches = [&first, &second].into_iter().enumerate().map(|(i, r)| {
            if i == 1 {
                // Pulled only after the first batch was judged: its problem is already out.
                seen_before_second.set(Some(reported.get()));
            }
            Ok(Batch::Records(r.as_slice()))
        });
        let now = "2023-04-20T12:00:00+08:00".parse().unwrap();
        let summary = run_batches(
            &rules,
            batches,
            now,
            OutputFormat::Jsonl,
            &mut std::io::sink(),
            &mut |_| reported.set(reported.get() + 1),
        )
        .unwrap();
        assert_eq!(seen_before_second.get(), Some(1));
        assert_eq!(reported.get(), 2);
        assert_eq!(summary.record_errors, 2);
    }
}
