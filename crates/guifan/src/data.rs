//! Reading data files: JSON Lines, JSON (an array or one object) and TOML
//! (`[[records]]`), split into records that remember their line.

use std::borrow::Cow;
use std::path::Path;

use serde_json::value::RawValue;
use thiserror::Error;

use crate::toml_json;

/// The format of a data file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// One JSON object per line
    Jsonl,
    /// A JSON array of objects, or one object
    Json,
    /// A TOML document with `[[records]]` tables
    Toml,
    /// A Parquet file (feature `parquet`): each row a record, read by column
    Parquet,
    /// An Arrow IPC file or stream (feature `arrow`): each row a record
    Arrow,
}

impl InputFormat {
    /// The format a path's extension names, if any.
    pub fn from_path(path: &Path) -> Option<InputFormat> {
        match path.extension()?.to_str()? {
            "jsonl" | "ndjson" => Some(InputFormat::Jsonl),
            "json" => Some(InputFormat::Json),
            "toml" => Some(InputFormat::Toml),
            "parquet" | "pq" => Some(InputFormat::Parquet),
            "arrow" | "arrows" | "feather" | "ipc" => Some(InputFormat::Arrow),
            _ => None,
        }
    }

    /// Guesses from the content: a leading `[` is a JSON array, otherwise JSON Lines.
    /// Parquet and Arrow IPC are told by their magic bytes (`PAR1`, `ARROW1`,
    /// or a stream's `0xFFFFFFFF` continuation marker).
    pub fn sniff(bytes: &[u8]) -> InputFormat {
        if bytes.starts_with(b"PAR1") {
            return InputFormat::Parquet;
        }
        if bytes.starts_with(b"ARROW1") || bytes.starts_with(&[0xFF, 0xFF, 0xFF, 0xFF]) {
            return InputFormat::Arrow;
        }
        match strip_bom(bytes).iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') => InputFormat::Json,
            _ => InputFormat::Jsonl,
        }
    }
}

/// The names of the columns worth reading in a columnar file (the fields
/// some kind declares), shared.
pub(crate) type Columns = std::sync::Arc<std::collections::HashSet<String>>;

/// The UTF-8 byte-order mark some editors put at the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `bytes` without a leading byte-order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// A block of whole JSON Lines read from a stream, and the line it starts at.
#[derive(Debug, Clone)]
pub struct Block {
    /// 1-based line number of the block's first line in the stream
    pub first_line: usize,
    /// Whole lines (the last one may lack its newline at the end of the stream)
    pub bytes: Vec<u8>,
}

impl Block {
    /// The block's records, numbered by their line in the whole stream.
    pub fn records(&self) -> Vec<RecordText<'_>> {
        self.spans()
            .into_iter()
            .map(|span| span.text(&self.bytes))
            .collect()
    }

    /// Where the block's records are, numbered by their line in the whole stream.
    pub fn spans(&self) -> Vec<RecordSpan> {
        let mut spans = jsonl_spans(&self.bytes);
        for s in &mut spans {
            s.line += self.first_line - 1;
        }
        spans
    }
}

/// Reads a JSON Lines stream in blocks of about `size` bytes, each ending at a line end,
/// so that a file of any size is decided in bounded memory.
pub struct Blocks<R> {
    reader: R,
    size: usize,
    carry: Vec<u8>,
    next_line: usize,
    done: bool,
}

impl<R: std::io::Read> Blocks<R> {
    /// Blocks of about `size` bytes from `reader`.
    pub fn new(reader: R, size: usize) -> Self {
        Blocks {
            reader,
            size: size.max(1),
            carry: Vec::new(),
            next_line: 1,
            done: false,
        }
    }
}

impl<R: std::io::Read> Iterator for Blocks<R> {
    type Item = std::io::Result<Block>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut buf = std::mem::take(&mut self.carry);
        let mut has_newline = memchr::memchr(b'\n', &buf).is_some();
        // Fill up to `size` bytes and at least one whole line, then cut after the last newline.
        while !self.done && (buf.len() < self.size || !has_newline) {
            let start = buf.len();
            // Read into spare capacity: nothing is zeroed first.
            let want = self.size.saturating_sub(start).max(1 << 16);
            buf.reserve(want);
            let limit = u64::try_from(want).unwrap_or(u64::MAX);
            let mut limited = std::io::Read::take(&mut self.reader, limit);
            match std::io::Read::read_to_end(&mut limited, &mut buf) {
                Ok(0) => self.done = true,
                Ok(_) => {
                    has_newline |=
                        memchr::memchr(b'\n', buf.get(start..).unwrap_or_default()).is_some();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        if !self.done {
            if let Some(cut) = memchr::memrchr(b'\n', &buf) {
                self.carry = buf.split_off(cut + 1);
            }
        }
        if self.next_line == 1 && buf.starts_with(BOM) {
            buf.drain(..BOM.len());
        }
        if buf.is_empty() {
            return None;
        }
        let first_line = self.next_line;
        self.next_line += memchr::memchr_iter(b'\n', &buf).count();
        Some(Ok(Block {
            first_line,
            bytes: buf,
        }))
    }
}

/// One record's JSON text and where it starts in the file.
#[derive(Debug, Clone)]
pub struct RecordText<'a> {
    /// 1-based line of the record's first character
    pub line: usize,
    /// The record as JSON
    pub json: Cow<'a, [u8]>,
}

/// A data file that cannot be split into records at all.
#[derive(Debug, Error)]
#[error("line {line}: {message}")]
pub struct InputError {
    /// Where the file stops making sense
    pub line: usize,
    /// What is wrong
    pub message: String,
}

/// Splits a data file into records.
pub fn records(bytes: &[u8], format: InputFormat) -> Result<Vec<RecordText<'_>>, InputError> {
    let bytes = strip_bom(bytes);
    match format {
        InputFormat::Jsonl => Ok(jsonl(bytes)),
        InputFormat::Json => json(bytes),
        InputFormat::Toml => toml(bytes),
        InputFormat::Parquet | InputFormat::Arrow => columnar(bytes, format),
    }
}

/// Parquet and Arrow files are not split here: their rows are read a batch
/// at a time through a [`crate::Population`] (`Population::file`, `bytes`).
fn columnar(_: &[u8], format: InputFormat) -> Result<Vec<RecordText<'static>>, InputError> {
    Err(InputError {
        line: 1,
        message: format!(
            "{format:?} data is read as a population (guifan::Population), not split in memory"
        ),
    })
}

/// [`records`] of an input named `name`, its error an I/O error of kind
/// `InvalidData` that says where: `name:line: message`.
pub fn records_of<'b>(
    bytes: &'b [u8],
    format: InputFormat,
    name: &str,
) -> std::io::Result<Vec<RecordText<'b>>> {
    records(bytes, format).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{name}:{}: {}", e.line, e.message),
        )
    })
}

fn jsonl(bytes: &[u8]) -> Vec<RecordText<'_>> {
    jsonl_spans(bytes)
        .into_iter()
        .map(|span| span.text(bytes))
        .collect()
}

/// Where a record is in a block of JSON Lines: its line and its bytes' range.
#[derive(Debug, Clone)]
pub struct RecordSpan {
    /// 1-based line within the block
    pub line: usize,
    /// Its bytes in the block
    pub range: std::ops::Range<usize>,
}

impl RecordSpan {
    /// The record's text in `bytes` (empty when the range is not in them).
    pub fn text(self, bytes: &[u8]) -> RecordText<'_> {
        RecordText {
            line: self.line,
            json: Cow::Borrowed(bytes.get(self.range).unwrap_or_default()),
        }
    }
}

/// The records of JSON Lines: one per line that is not blank, without its `\r\n`.
pub fn jsonl_spans(bytes: &[u8]) -> Vec<RecordSpan> {
    let mut out = Vec::with_capacity(bytes.len() / 512);
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
    for (i, end) in ends.enumerate() {
        let line = bytes.get(start..end).unwrap_or_default();
        let range = start..end - usize::from(line.ends_with(b"\r"));
        start = end + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        out.push(RecordSpan { line: i + 1, range });
    }
    out
}

/// Line numbers of byte offsets, from the newlines found once (not counted
/// again from the start for each record, which made large files quadratic).
struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    fn new(bytes: &[u8]) -> Self {
        LineIndex {
            newlines: memchr::memchr_iter(b'\n', bytes).collect(),
        }
    }

    /// The 1-based line of a byte offset.
    fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|n| *n < offset) + 1
    }
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    LineIndex::new(bytes).line(offset)
}

fn json(bytes: &[u8]) -> Result<Vec<RecordText<'_>>, InputError> {
    let whole_error = |e: serde_json::Error| InputError {
        line: e.line(),
        message: format!("not valid JSON: {e}"),
    };
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_slice(bytes).map_err(whole_error)?;
            let base = bytes.as_ptr() as usize;
            let lines = LineIndex::new(bytes);
            Ok(items
                .into_iter()
                .map(|raw| {
                    let text = raw.get();
                    let offset = (text.as_ptr() as usize).saturating_sub(base);
                    RecordText {
                        line: lines.line(offset),
                        json: Cow::Borrowed(text.as_bytes()),
                    }
                })
                .collect())
        }
        _ => {
            let raw: &RawValue = serde_json::from_slice(bytes).map_err(whole_error)?;
            let text = raw.get();
            let offset = (text.as_ptr() as usize).saturating_sub(bytes.as_ptr() as usize);
            Ok(vec![RecordText {
                line: line_of(bytes, offset),
                json: Cow::Borrowed(text.as_bytes()),
            }])
        }
    }
}

fn toml(bytes: &[u8]) -> Result<Vec<RecordText<'_>>, InputError> {
    let src = std::str::from_utf8(bytes).map_err(|e| InputError {
        line: line_of(bytes, e.valid_up_to()),
        message: "not UTF-8".into(),
    })?;
    let doc = toml_edit::ImDocument::parse(src).map_err(|e| InputError {
        line: e.span().map(|s| line_of(bytes, s.start)).unwrap_or(1),
        message: format!("not valid TOML: {}", e.message()),
    })?;
    let Some(records) = doc.as_table().get("records") else {
        return Err(InputError {
            line: 1,
            message: "a TOML data file holds its records as `[[records]]` tables".into(),
        });
    };
    let tables: Vec<&toml_edit::Table> = match records {
        toml_edit::Item::ArrayOfTables(a) => a.iter().collect(),
        _ => {
            return Err(InputError {
                line: 1,
                message: "`records` must be an array of tables (`[[records]]`)".into(),
            })
        }
    };
    let mut out = Vec::with_capacity(tables.len());
    let lines = LineIndex::new(bytes);
    for t in tables {
        let line = t.span().map(|s| lines.line(s.start)).unwrap_or(1);
        let json =
            toml_json::table_to_json(t, src).map_err(|message| InputError { line, message })?;
        out.push(RecordText {
            line,
            json: Cow::Owned(json.into_bytes()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_keeps_line_numbers_and_skips_blank_lines() {
        let recs = records(b"{\"a\":1}\n\n{\"b\":2}\r\n", InputFormat::Jsonl).unwrap();
        assert_eq!(recs.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(&*recs[1].json, b"{\"b\":2}");
    }

    #[test]
    fn blocks_cut_at_line_ends_and_keep_line_numbers() {
        let text: String = (1..=100).map(|i| format!("{{\"n\":{i}}}\n")).collect();
        // A reader that hands out a few bytes at a time, as pipes do.
        struct Trickle<'a>(&'a [u8]);
        impl std::io::Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(3).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let trickled: Vec<Block> = Blocks::new(Trickle(text.as_bytes()), 10)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            trickled.iter().map(|b| b.records().len()).sum::<usize>(),
            100
        );
        for size in [1, 7, 64, 10_000] {
            let blocks: Vec<Block> = Blocks::new(text.as_bytes(), size)
                .collect::<Result<_, _>>()
                .unwrap();
            let mut lines = Vec::new();
            for b in &blocks {
                assert!(b.bytes.ends_with(b"\n"));
                for r in b.records() {
                    assert_eq!(
                        std::str::from_utf8(&r.json).unwrap(),
                        format!("{{\"n\":{}}}", r.line)
                    );
                    lines.push(r.line);
                }
            }
            assert_eq!(lines, (1..=100).collect::<Vec<_>>(), "block size {size}");
        }
        let no_final_newline: Vec<Block> = Blocks::new(&b"{}\n{}"[..], 2)
            .collect::<Result<_, _>>()
            .unwrap();
        let lines: Vec<usize> = no_final_newline
            .iter()
            .flat_map(|b| b.records())
            .map(|r| r.line)
            .collect();
        assert_eq!(lines, [1, 2]);
    }

    #[test]
    fn json_arrays_give_each_element_its_line() {
        let recs = records(b"[\n {\"a\":1},\n {\"b\":2}\n]", InputFormat::Json).unwrap();
        assert_eq!(recs.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);
        assert!(records(b"[{\"a\":1},", InputFormat::Json).is_err());
    }

    #[test]
    fn line_numbers_of_large_arrays_and_toml_are_counted_once() {
        // 200,000 records: counted from the start for each, this took minutes.
        let n = 200_000;
        let json: String = std::iter::once("[\n".to_string())
            .chain((0..n).map(|i| format!("{{\"n\":{i}}}{}\n", if i + 1 < n { "," } else { "" })))
            .chain(std::iter::once("]".to_string()))
            .collect();
        let started = std::time::Instant::now();
        let recs = records(json.as_bytes(), InputFormat::Json).unwrap();
        assert_eq!(recs.len(), n);
        assert_eq!(recs[n - 1].line, n + 1);
        let toml: String = (0..20_000)
            .map(|i| format!("[[records]]\nn = {i}\n"))
            .collect();
        let recs = records(toml.as_bytes(), InputFormat::Toml).unwrap();
        assert_eq!(recs[19_999].line, 2 * 19_999 + 1);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn toml_records_become_exact_json() {
        let src =
            b"[[records]]\nkind = \"claim\"\nprice = 120.50\n\n[[records]]\nkind = \"claim\"\n";
        let recs = records(src, InputFormat::Toml).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(
            std::str::from_utf8(&recs[0].json).unwrap(),
            r#"{"kind":"claim","price":120.50}"#
        );
        assert_eq!(recs[1].line, 5);
    }
}
