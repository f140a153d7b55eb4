//! Parquet files and Arrow IPC files and streams, read as JSON Lines: a
//! `Read` that decodes one record batch at a time (memory holds one batch)
//! and writes its rows as the records they stand for. Only the columns the
//! schema's kinds declare are decoded (a Parquet projection; IPC
//! columns are used in place); row numbers are line numbers.

use std::io::{Read, Seek};

use arrow_array::RecordBatch;

use super::lines::BatchLines;
pub(crate) use super::lines::Columns;
use crate::data::InputFormat;

/// Rows per decoded batch.
#[cfg(feature = "parquet")]
const BATCH_ROWS: usize = 8192;

/// Where a columnar file's bytes are.
pub(crate) enum Bytes {
    /// A regular file (read in place, seeking)
    File(std::fs::File),
    /// Bytes in memory
    Memory(Vec<u8>),
}

type Batches = Box<dyn Iterator<Item = Result<RecordBatch, String>> + Send>;

/// JSON Lines of a columnar file's rows.
pub(crate) struct ColumnarLines {
    batches: Batches,
    only: Option<Columns>,
    buf: Vec<u8>,
    pos: usize,
}

fn invalid(message: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message.into())
}

/// The indices of the columns named in `only` (all when `only` is `None`).
#[cfg(feature = "parquet")]
fn projection<'a>(names: impl Iterator<Item = &'a str>, only: Option<&Columns>) -> Vec<usize> {
    names
        .enumerate()
        .filter(|(_, n)| only.is_none_or(|o| o.contains(*n)))
        .map(|(i, _)| i)
        .collect()
}

impl ColumnarLines {
    /// A Parquet file's rows.
    #[cfg(feature = "parquet")]
    pub(crate) fn parquet(bytes: Bytes, only: Option<Columns>) -> std::io::Result<ColumnarLines> {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        use parquet::arrow::ProjectionMask;
        fn open<T: parquet::file::reader::ChunkReader + 'static>(
            input: T,
            only: Option<&Columns>,
        ) -> std::io::Result<Batches> {
            let builder = ParquetRecordBatchReaderBuilder::try_new(input)
                .map_err(|e| invalid(format!("not a Parquet file: {e}")))?;
            let schema = builder.schema().clone();
            let indices = projection(schema.fields().iter().map(|f| f.name().as_str()), only);
            let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
            let reader = builder
                .with_projection(mask)
                .with_batch_size(BATCH_ROWS)
                .build()
                .map_err(|e| invalid(format!("cannot read the Parquet file: {e}")))?;
            Ok(Box::new(reader.map(|b| b.map_err(|e| e.to_string()))))
        }
        let batches = match bytes {
            Bytes::File(file) => open(file, only.as_ref())?,
            Bytes::Memory(bytes) => open(bytes::Bytes::from(bytes), only.as_ref())?,
        };
        Ok(ColumnarLines::of(batches, only))
    }

    /// A Parquet file's rows: not in a build without the `parquet` feature.
    #[cfg(not(feature = "parquet"))]
    pub(crate) fn parquet(_: Bytes, _: Option<Columns>) -> std::io::Result<ColumnarLines> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "this build of guifan reads Parquet only with its `parquet` feature",
        ))
    }

    /// An Arrow IPC file's or stream's rows (a file begins with `ARROW1`).
    pub(crate) fn arrow(bytes: Bytes, only: Option<Columns>) -> std::io::Result<ColumnarLines> {
        use arrow_ipc::reader::{FileReader, StreamReader};
        // IPC columns are read in place (no decoding): the unread ones cost nothing.
        fn file<R: Read + Seek + Send + 'static>(input: R) -> std::io::Result<Batches> {
            let reader = FileReader::try_new(input, None)
                .map_err(|e| invalid(format!("not an Arrow IPC file: {e}")))?;
            Ok(Box::new(reader.map(|b| b.map_err(|e| e.to_string()))))
        }
        fn stream<R: Read + Send + 'static>(input: R) -> std::io::Result<Batches> {
            let reader = StreamReader::try_new(std::io::BufReader::new(input), None)
                .map_err(|e| invalid(format!("not an Arrow IPC stream: {e}")))?;
            Ok(Box::new(reader.map(|b| b.map_err(|e| e.to_string()))))
        }
        let batches = match bytes {
            Bytes::File(mut f) => {
                let mut magic = [0u8; 6];
                let is_file = f.read_exact(&mut magic).is_ok() && &magic == b"ARROW1";
                f.rewind()?;
                if is_file {
                    file(f)?
                } else {
                    stream(f)?
                }
            }
            Bytes::Memory(bytes) => {
                if bytes.starts_with(b"ARROW1") {
                    file(std::io::Cursor::new(bytes))?
                } else {
                    stream(std::io::Cursor::new(bytes))?
                }
            }
        };
        Ok(ColumnarLines::of(batches, only))
    }

    fn of(batches: Batches, only: Option<Columns>) -> ColumnarLines {
        ColumnarLines {
            batches,
            only,
            buf: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for ColumnarLines {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.buf.len() {
            let Some(batch) = self.batches.next() else {
                return Ok(0);
            };
            let batch = batch.map_err(invalid)?;
            let lines = BatchLines::new(&batch, self.only.as_deref())
                .map_err(|e| invalid(e.to_string()))?;
            self.buf.clear();
            self.pos = 0;
            lines.write_all(&mut self.buf);
        }
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos += n;
        Ok(n)
    }
}

/// The JSON Lines of a Parquet or Arrow IPC file's rows (`format`), reading
/// only the columns in `only`.
pub(crate) fn open(
    bytes: Bytes,
    format: InputFormat,
    only: Option<Columns>,
) -> std::io::Result<ColumnarLines> {
    match format {
        InputFormat::Parquet => ColumnarLines::parquet(bytes, only),
        _ => ColumnarLines::arrow(bytes, only),
    }
}
