//! Evaluating a data file: records decoded and judged in parallel, written in
//! input order; a bad record is reported and the others go on.

use std::io::Write;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use guifan_eval::{decode_subject, evaluate, DataError, Outcome, RuleError};
use rayon::prelude::*;

use crate::data::RecordText;
use crate::load::RuleSet;
use crate::render::{self, OutputFormat, SubjectRecord};

/// Records decided per parallel task.
const CHUNK: usize = 512;
/// Records held in memory between writes.
const BATCH: usize = 8 * CHUNK;

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

/// What a run did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Records read
    pub records: usize,
    /// Records decided (decoded and evaluated)
    pub decided: usize,
    /// Decisions made
    pub decisions: usize,
    /// Records that could not be decoded
    pub record_errors: Vec<RecordError>,
    /// Rules that failed on some record
    pub rule_errors: Vec<FailedRule>,
    /// Time spent
    pub elapsed: Duration,
}

impl Summary {
    /// Whether every record was decided without error.
    pub fn is_clean(&self) -> bool {
        self.record_errors.is_empty() && self.rule_errors.is_empty()
    }
}

/// The result of one record.
enum Judged {
    Done { bytes: Vec<u8>, rows: Vec<[String; 4]>, decisions: usize, failed: Vec<FailedRule> },
    Bad(RecordError),
}

/// Decides every record and writes the decisions to `out` in input order.
pub fn run(
    rules: &RuleSet,
    records: &[RecordText<'_>],
    now: DateTime<FixedOffset>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> std::io::Result<Summary> {
    let started = Instant::now();
    let mut summary = Summary {
        records: records.len(),
        ..Summary::default()
    };
    let mut table_rows = Vec::new();
    let mut first = true;
    if format == OutputFormat::Json {
        out.write_all(b"[")?;
    }
    for batch in records.chunks(BATCH) {
        let judged: Vec<Vec<Judged>> = batch
            .par_chunks(CHUNK)
            .map(|chunk| chunk.iter().map(|r| judge(rules, r, now, format)).collect())
            .collect();
        for j in judged.into_iter().flatten() {
            match j {
                Judged::Done {
                    bytes,
                    rows,
                    decisions,
                    failed,
                } => {
                    summary.decided += 1;
                    summary.decisions += decisions;
                    summary.rule_errors.extend(failed);
                    match format {
                        OutputFormat::Jsonl => out.write_all(&bytes)?,
                        OutputFormat::Json => {
                            out.write_all(if first { b"\n" } else { b",\n" })?;
                            out.write_all(&bytes)?;
                        }
                        OutputFormat::Table => table_rows.extend(rows),
                    }
                    first = false;
                }
                Judged::Bad(e) => summary.record_errors.push(e),
            }
        }
    }
    match format {
        OutputFormat::Json => out.write_all(b"\n]\n")?,
        OutputFormat::Table => out.write_all(render::table(table_rows).as_bytes())?,
        OutputFormat::Jsonl => {}
    }
    out.flush()?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn judge(rules: &RuleSet, record: &RecordText<'_>, now: DateTime<FixedOffset>, format: OutputFormat) -> Judged {
    let program = &rules.program;
    let subject = match decode_subject(&program.schema, &record.json) {
        Ok(s) => s,
        Err(error) => {
            return Judged::Bad(RecordError {
                line: record.line + error.line.map(|l| l.saturating_sub(1)).unwrap_or(0),
                id: record_id(&record.json),
                error,
            })
        }
    };
    let outcome: Outcome = evaluate(program, &subject, now);
    let kind = program.schema.kind_def(subject.kind).map(|k| k.name.as_str()).unwrap_or("?");
    let view = SubjectRecord {
        id: &subject.id,
        kind,
        outcome: &outcome,
        sources: &rules.sources,
    };
    let mut bytes = Vec::new();
    let mut rows = Vec::new();
    match format {
        OutputFormat::Jsonl => render::jsonl_line(&view, &mut bytes),
        OutputFormat::Json => render::json_element(&view, &mut bytes),
        OutputFormat::Table => rows = render::table_rows(&view),
    }
    let failed = outcome
        .errors
        .iter()
        .map(|e| FailedRule {
            line: record.line,
            id: subject.id.to_string(),
            error: e.clone(),
        })
        .collect();
    Judged::Done {
        bytes,
        rows,
        decisions: outcome.decisions.len(),
        failed,
    }
}

/// The `id` of a record that failed to decode, if a lenient read finds one.
fn record_id(json: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<String>,
    }
    serde_json::from_slice::<IdOnly>(json).ok().and_then(|r| r.id)
}
