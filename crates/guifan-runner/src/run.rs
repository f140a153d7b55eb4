//! Evaluating a data file: records decoded and judged in parallel chunks
//! (`pipeline.rs`), written in input order by a writer thread while later
//! chunks are judged; a bad record is reported and the others go on.

use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use guifan::data::RecordText;
use guifan::{FailedRule, RecordError, RuleSet, RunProblem};
use guifan_eval::decode_subject;

pub use crate::pipeline::{judge_batches, Batch};
use crate::render::{self, OutputFormat, TableRows};
/// Rows of a table laid out together (a table is printed a group of rows at a time).
const TABLE_ROWS: usize = 8192;

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
    if !format.is_table_file() {
        return run_batches_as_text(rules, batches, now, format, out, on_problem);
    }
    let mut table = crate::columnar::ColumnarWriter::new(format, out)?;
    let summary = run_batches_as_text(
        rules,
        batches,
        now,
        OutputFormat::Jsonl,
        &mut table,
        on_problem,
    )?;
    table.finish()?;
    Ok(summary)
}

/// [`run_batches`] in a text format (JSON Lines, JSON, a table for people).
fn run_batches_as_text<'r, 'a: 'r>(
    rules: &RuleSet,
    batches: impl Iterator<Item = std::io::Result<Batch<'r, 'a>>>,
    now: DateTime<FixedOffset>,
    format: OutputFormat,
    out: &mut (dyn Write + Send),
    on_problem: &mut dyn FnMut(RunProblem),
) -> std::io::Result<Summary> {
    let started = Instant::now();
    let mut summary = Summary::default();
    // Output buffers go round: taken by a worker, filled, written, cleared and put back.
    let buffers = BufferPool::default();
    std::thread::scope(|scope| -> std::io::Result<()> {
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(2);
        let buffers = &buffers;
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
                buffers.put(buf);
            }
            if format == OutputFormat::Json {
                out.write_all(b"\n]\n")?;
            }
            out.flush()
        });
        let mut table_rows = Vec::new();
        let judged = judge_batches(
            batches,
            |chunk| judge_chunk(rules, chunk, now, format, buffers.take()),
            |j: &Judged| j.bytes.len() + j.rows.len() * 64,
            |j: Judged| {
                summary.decided += j.decided;
                summary.decisions += j.decisions;
                summary.record_errors += j.bad.len();
                for f in &j.failed {
                    *summary
                        .rule_errors_by_code
                        .entry(f.failure.code())
                        .or_default() += 1;
                }
                j.bad
                    .into_iter()
                    .for_each(|e| on_problem(RunProblem::Record(e)));
                j.failed
                    .into_iter()
                    .for_each(|e| on_problem(RunProblem::Rule(e)));
                table_rows.extend(j.rows);
                if table_rows.len() >= TABLE_ROWS
                    && tx
                        .send(render::table(std::mem::take(&mut table_rows)).into_bytes())
                        .is_err()
                {
                    return false;
                }
                // A failed send means the writer failed; its error is returned below.
                j.bytes.is_empty() || tx.send(j.bytes).is_ok()
            },
        );
        if !table_rows.is_empty() {
            let _ = tx.send(render::table(table_rows).into_bytes());
        }
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

/// Output buffers kept for reuse, so that no chunk allocates (and the system
/// does not zero) fresh pages for its output.
#[derive(Default)]
struct BufferPool(std::sync::Mutex<Vec<Vec<u8>>>);

impl BufferPool {
    /// Buffers kept at most; more are freed.
    const KEEP: usize = 32;
    /// A buffer larger than this is freed rather than kept.
    const MAX_KEPT_BYTES: usize = 8 << 20;

    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .ok()
            .and_then(|mut pool| pool.pop())
            .unwrap_or_default()
    }

    fn put(&self, mut buf: Vec<u8>) {
        if buf.capacity() > Self::MAX_KEPT_BYTES {
            return;
        }
        buf.clear();
        if let Ok(mut pool) = self.0.lock() {
            if pool.len() < Self::KEEP {
                pool.push(buf);
            }
        }
    }
}

fn judge_chunk(
    rules: &RuleSet,
    chunk: &[RecordText<'_>],
    now: DateTime<FixedOffset>,
    format: OutputFormat,
    bytes: Vec<u8>,
) -> Judged {
    let mut out = Judged {
        bytes,
        ..Judged::default()
    };
    if format == OutputFormat::Table {
        judge_chunk_as_table(rules, chunk, now, &mut out);
        return out;
    }
    // A JSON element is its JSON line, laid out.
    let mut line = Vec::new();
    for record in chunk {
        let into = if format == OutputFormat::Jsonl {
            &mut out.bytes
        } else {
            line.clear();
            &mut line
        };
        let written = match rules.decide_json_to(&record.json, now, into) {
            Ok(written) => written,
            Err(error) => {
                out.bad.push(error.at(record.line));
                continue;
            }
        };
        if format == OutputFormat::Json {
            out.bytes.extend_from_slice(b",\n");
            render::pretty_element(line.strip_suffix(b"\n").unwrap_or(&line), &mut out.bytes);
        }
        out.decided += 1;
        out.decisions += written.decisions();
        out.failed.extend(written.into_failed(record.line));
    }
    out
}

/// The rows of a table for people, from each subject's outcome.
fn judge_chunk_as_table(
    rules: &RuleSet,
    chunk: &[RecordText<'_>],
    now: DateTime<FixedOffset>,
    out: &mut Judged,
) {
    let program = rules.program();
    for record in chunk {
        let subject = match decode_subject(program.schema(), &record.json) {
            Ok(s) => s,
            Err(error) => {
                out.bad
                    .push(RecordError::of_data(&record.json, &error).at(record.line));
                continue;
            }
        };
        let mut rows = TableRows::new(&subject.id, &mut out.rows);
        guifan_eval::evaluate_into(program, &subject, now, rules.ranks(), &mut rows);
        let decisions = rows.decisions();
        let errors = rows.finish();
        out.decided += 1;
        out.decisions += decisions;
        out.failed.extend(
            rules
                .rule_failures(&errors)
                .into_iter()
                .map(|failure| FailedRule {
                    line: record.line,
                    id: subject.id.to_string(),
                    failure,
                }),
        );
        // Its arrays go to this thread's pool, for the next records it decodes.
        guifan_eval::recycle(subject);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use guifan::data::{records, InputFormat};

    #[test]
    fn problems_are_handed_over_while_later_batches_are_still_unread() {
        let rules = guifan::RuleSet::from_dir(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"),
        )
        .unwrap();
        let bad = b"{\"kind\":\"merchant\",\"id\":\"bad\"}\n".to_vec();
        let one = records(&bad, InputFormat::Jsonl).unwrap();
        let batches_count: usize = 100;
        // At most this many chunks are in flight, so a batch's problem is out
        // before the batch this far after it is pulled.
        let lag = 4 * rayon::current_num_threads() + 1;
        let reported = Cell::new(0usize);
        let behind = Cell::new(0usize);
        let batches = (0..batches_count).map(|i| {
            behind.set(behind.get().max(i.saturating_sub(reported.get())));
            Ok(Batch::Records(one.as_slice()))
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
        assert!(behind.get() <= lag, "{} batches pulled ahead", behind.get());
        assert_eq!(reported.get(), batches_count);
        assert_eq!(summary.record_errors, batches_count);
    }

    #[test]
    fn a_run_inside_a_pool_of_one_thread_finishes() {
        let rules = guifan::RuleSet::from_dir(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"),
        )
        .unwrap();
        let data = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../examples/douyin_zero_deposit_trial.jsonl"),
        )
        .unwrap()
        .repeat(50);
        let lines = records(&data, InputFormat::Jsonl).unwrap();
        let now = "2023-04-20T12:00:00+08:00".parse().unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let summary = pool
            .install(|| {
                run(
                    &rules,
                    &lines,
                    now,
                    OutputFormat::Jsonl,
                    &mut std::io::sink(),
                    &mut |_| {},
                )
            })
            .unwrap();
        assert_eq!(summary.decided, lines.len());
    }

    #[test]
    fn a_judge_that_panics_stops_the_pipeline_instead_of_hanging_it() {
        // Many chunks after the one that panics, so that the window fills behind it.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let records: Vec<RecordText<'_>> = (0..50_000)
                .map(|line| RecordText {
                    line,
                    json: std::borrow::Cow::Borrowed(b"{}"),
                })
                .collect();
            let outcome = std::panic::catch_unwind(|| {
                judge_batches(
                    std::iter::once(Ok(Batch::Records(&records))),
                    |chunk| {
                        if chunk.iter().any(|r| r.line == 2_500) {
                            panic!("a bug in judging");
                        }
                        chunk.len()
                    },
                    |_| 0,
                    |_| true,
                )
            });
            let _ = tx.send(outcome.is_err());
        });
        let raised = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the pipeline hung waiting for the chunk that panicked");
        assert!(raised, "the panic is raised again, not swallowed");
    }

    #[test]
    fn output_comes_in_input_order_in_bounded_pieces() {
        let rules = guifan::RuleSet::from_dir(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"),
        )
        .unwrap();
        struct Pieces(Vec<usize>, Vec<u8>);
        impl Write for Pieces {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.push(buf.len());
                self.1.extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let data = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../examples/douyin_zero_deposit_trial.jsonl"),
        )
        .unwrap();
        let many = data.repeat(2_000);
        let lines = records(&many, InputFormat::Jsonl).unwrap();
        let now = "2023-04-20T12:00:00+08:00".parse().unwrap();
        let mut pieces = Pieces(Vec::new(), Vec::new());
        run(
            &rules,
            &lines,
            now,
            OutputFormat::Jsonl,
            &mut pieces,
            &mut |_| {},
        )
        .unwrap();
        let largest = pieces.0.iter().max().copied().unwrap_or(0);
        assert!(largest <= 4 << 20, "a piece of {largest} bytes");
        assert!(pieces.0.len() > 1);
        let ids: Vec<String> = String::from_utf8(pieces.1)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["subject"].to_string())
            .collect();
        let expected: Vec<String> = lines
            .iter()
            .map(|r| {
                serde_json::from_slice::<serde_json::Value>(&r.json).unwrap()["id"].to_string()
            })
            .collect();
        assert_eq!(ids, expected);
    }
}
