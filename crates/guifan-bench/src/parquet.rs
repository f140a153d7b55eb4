//! Generated records written as Parquet: one file per kind, each typed by
//! the schema (`table_of_kind` of `guifan::arrow`), Snappy-compressed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

/// Rows per written batch.
const BATCH_ROWS: usize = 8192;

/// Writes the JSON Lines `data` as `<out>/<kind>.parquet`, one file per kind,
/// in the order the records come; answers each file and its row count.
pub fn write_per_kind(
    rules: &Path,
    data: &str,
    out: &Path,
) -> Result<Vec<(PathBuf, usize)>, Box<dyn std::error::Error>> {
    let rules = guifan::RuleSet::from_dir(rules)?;
    let mut by_kind: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        let record: serde_json::Value = serde_json::from_str(line)?;
        let kind = record
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or_default()
            .to_string();
        by_kind.entry(kind).or_default().push(record);
    }
    std::fs::create_dir_all(out)?;
    let mut written = Vec::new();
    for (kind, records) in by_kind {
        let path = out.join(format!("{kind}.parquet"));
        let file = std::fs::File::create(&path)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        // One table for the kind (one scale per money column, one zone per
        // timestamp column), written in slices.
        let table = guifan::arrow::table_of_kind(&rules, &kind, &records)?;
        let mut writer = ArrowWriter::try_new(file, table.schema(), Some(props))?;
        let mut offset = 0;
        while offset < table.num_rows() {
            let len = BATCH_ROWS.min(table.num_rows() - offset);
            writer.write(&table.slice(offset, len))?;
            offset += len;
        }
        writer.close()?;
        written.push((path, records.len()));
    }
    Ok(written)
}
