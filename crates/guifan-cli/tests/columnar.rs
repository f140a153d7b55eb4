//! `guifan run` on Parquet and Arrow data, and decisions written as tables.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{bundled_rules, guifan, root};
use guifan::arrow::arrow_array::{Array, ArrayRef, Float64Array, RecordBatch, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;

const AT: &str = "2023-04-20T12:00:00+08:00";

fn trial_jsonl() -> PathBuf {
    root().join("examples/douyin_zero_deposit_trial.jsonl")
}

/// The bundled trial example as one batch typed by the schema.
fn trial_batch() -> RecordBatch {
    let records: Vec<serde_json::Value> = std::fs::read_to_string(trial_jsonl())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    guifan::arrow::table_of_kind(bundled_rules(), "merchant", &records).unwrap()
}

fn write_parquet(path: &Path, batch: &RecordBatch) {
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

fn run(data: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        "--rules",
        "rules",
        "--data",
        data.to_str().unwrap(),
        "--at",
        AT,
        "--quiet",
    ];
    args.extend_from_slice(extra);
    guifan(&args)
}

fn strings(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let column = batch.column_by_name(name).unwrap();
    let column = column.as_any().downcast_ref::<StringArray>().unwrap();
    column.iter().map(|v| v.map(str::to_string)).collect()
}

#[test]
fn parquet_and_arrow_data_decide_as_their_json_lines_do() {
    let dir = tempfile::tempdir().unwrap();
    let expected = run(&trial_jsonl(), &[]);
    assert!(expected.status.success());
    let pq = dir.path().join("trial.parquet");
    write_parquet(&pq, &trial_batch());
    let got = run(&pq, &[]);
    assert_eq!(String::from_utf8_lossy(&got.stderr), "");
    assert_eq!(got.stdout, expected.stdout);
    // An Arrow IPC stream.
    let mut ipc = Vec::new();
    let batch = trial_batch();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut ipc, &batch.schema()).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    drop(w);
    let stream = dir.path().join("trial.stream");
    std::fs::write(&stream, &ipc).unwrap();
    let got = run(&stream, &["--input-format", "arrow"]);
    assert_eq!(
        got.stdout,
        expected.stdout,
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
}

#[test]
fn decisions_are_written_as_a_parquet_or_arrow_table_a_row_per_decision() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = run(&trial_jsonl(), &[]);
    let records: Vec<serde_json::Value> = String::from_utf8(jsonl.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut want_subjects = Vec::new();
    let mut want_rules = Vec::new();
    for r in &records {
        for d in r["decisions"].as_array().unwrap() {
            want_subjects.push(Some(r["subject"].as_str().unwrap().to_string()));
            want_rules.push(Some(d["rule"].as_str().unwrap().to_string()));
        }
    }
    let out = dir.path().join("decisions.parquet");
    let done = run(
        &trial_jsonl(),
        &["--format", "parquet", "--output", out.to_str().unwrap()],
    );
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    let table = arrow_select_concat(&batches);
    assert_eq!(
        table.schema().fields().len(),
        guifan::arrow::decisions_schema().fields().len()
    );
    assert_eq!(strings(&table, "subject"), want_subjects);
    assert_eq!(strings(&table, "rule"), want_rules);
    assert!(want_rules.len() >= 5);

    let out = dir.path().join("decisions.arrow");
    let done = run(
        &trial_jsonl(),
        &["--format", "arrow", "--output", out.to_str().unwrap()],
    );
    assert!(done.status.success());
    let reader =
        arrow_ipc::reader::FileReader::try_new(std::fs::File::open(&out).unwrap(), None).unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    let table = arrow_select_concat(&batches);
    assert_eq!(table.schema(), guifan::arrow::decisions_schema());
    assert_eq!(strings(&table, "rule"), want_rules);
}

/// The batches' rows as one batch (the tables here are small).
fn arrow_select_concat(batches: &[RecordBatch]) -> RecordBatch {
    assert_eq!(batches.len(), 1, "one batch per 8,192 rows");
    batches[0].clone()
}

#[test]
fn a_float_column_is_refused_by_name_and_nothing_is_decided() {
    let dir = tempfile::tempdir().unwrap();
    let batch = RecordBatch::try_from_iter([
        (
            "kind",
            Arc::new(StringArray::from(vec!["claim"])) as ArrayRef,
        ),
        ("id", Arc::new(StringArray::from(vec!["c-1"]))),
        ("price", Arc::new(Float64Array::from(vec![19.99]))),
    ])
    .unwrap();
    let pq = dir.path().join("claims.parquet");
    write_parquet(&pq, &batch);
    let got = run(&pq, &[]);
    assert!(!got.status.success());
    let err = String::from_utf8_lossy(&got.stderr);
    assert!(err.contains("column `price` (Float64)"), "{err}");
    assert!(err.contains("not exact"), "{err}");
    assert!(got.stdout.is_empty());
}

#[test]
fn a_row_that_does_not_fit_is_reported_at_its_row_while_the_others_are_decided() {
    let dir = tempfile::tempdir().unwrap();
    let mut records: Vec<serde_json::Value> = std::fs::read_to_string(trial_jsonl())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    records[1]["store_type"] = serde_json::json!("corporate");
    let batch = guifan::arrow::table_of_kind(bundled_rules(), "merchant", &records).unwrap();
    let pq = dir.path().join("trial.parquet");
    write_parquet(&pq, &batch);
    let got = run(&pq, &[]);
    let err = String::from_utf8_lossy(&got.stderr);
    // Rows are numbered from 1, as lines are.
    assert!(
        err.contains(
            "trial.parquet:2 (record `dy-e2`): at `store_type`: unknown value \"corporate\""
        ),
        "{err}"
    );
    assert_eq!(
        String::from_utf8_lossy(&got.stdout).lines().count(),
        records.len() - 1
    );
}
