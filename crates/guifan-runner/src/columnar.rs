//! Decisions written as a table (`--format parquet`, `--format arrow`): the
//! decision records the pipeline renders as JSON Lines are gathered into
//! [`guifan::arrow::DecisionTable`] batches of [`BATCH_ROWS`] rows and
//! written as a Parquet file (Snappy) or an Arrow IPC file.

use std::io::Write;

use guifan::arrow::{decisions_schema, DecisionTable};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::OutputFormat;

/// Decision rows per written batch.
pub const BATCH_ROWS: usize = 8192;

/// Where the batches go.
enum Sink<'o> {
    Parquet(ArrowWriter<&'o mut (dyn Write + Send)>),
    Arrow(arrow_ipc::writer::FileWriter<&'o mut (dyn Write + Send)>),
}

/// A `Write` taking decision records as JSON Lines and writing them as a table.
pub(crate) struct ColumnarWriter<'o> {
    sink: Sink<'o>,
    table: DecisionTable,
    /// Bytes of a line not yet complete
    pending: Vec<u8>,
}

fn failed(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("cannot write the decision table: {e}"))
}

impl<'o> ColumnarWriter<'o> {
    /// A table writer of `format` (Parquet or Arrow) over `out`.
    pub(crate) fn new(
        format: OutputFormat,
        out: &'o mut (dyn Write + Send),
    ) -> std::io::Result<ColumnarWriter<'o>> {
        let schema = decisions_schema();
        let sink = if format == OutputFormat::Parquet {
            let props = WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .build();
            Sink::Parquet(ArrowWriter::try_new(out, schema, Some(props)).map_err(failed)?)
        } else {
            Sink::Arrow(arrow_ipc::writer::FileWriter::try_new(out, &schema).map_err(failed)?)
        };
        Ok(ColumnarWriter {
            sink,
            table: DecisionTable::default(),
            pending: Vec::new(),
        })
    }

    fn flush_batch(&mut self) -> std::io::Result<()> {
        if self.table.is_empty() {
            return Ok(());
        }
        let batch = self.table.finish();
        match &mut self.sink {
            Sink::Parquet(w) => w.write(&batch).map_err(failed),
            Sink::Arrow(w) => w.write(&batch).map_err(failed),
        }
    }

    fn take_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        self.table.push_json(line).map_err(failed)?;
        if self.table.len() >= BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    /// Writes what is left and the file's footer.
    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        let rest = std::mem::take(&mut self.pending);
        self.take_line(&rest)?;
        self.flush_batch()?;
        match self.sink {
            Sink::Parquet(w) => w.close().map(|_| ()).map_err(failed),
            Sink::Arrow(mut w) => w.finish().map_err(failed),
        }
    }
}

impl Write for ColumnarWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut rest = bytes;
        while let Some(end) = rest.iter().position(|b| *b == b'\n') {
            let (line, after) = rest.split_at(end);
            if self.pending.is_empty() {
                self.take_line(line)?;
            } else {
                let mut whole = std::mem::take(&mut self.pending);
                whole.extend_from_slice(line);
                self.take_line(&whole)?;
            }
            rest = after.get(1..).unwrap_or_default();
        }
        self.pending.extend_from_slice(rest);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
