//! Arrow record batches in and out (feature `arrow`): the bridge to
//! Parquet, Python (pyarrow) and Spark.
//!
//! - [`BatchLines`] reads a batch's rows as the records they stand for, with
//!   the checks and errors of JSON input (row number and field path);
//! - [`RuleSet::decide_arrow`] decides a batch and answers a decision table
//!   ([`decisions_schema`]);
//! - [`table_of_kind`] puts JSON records of one kind into a batch typed by
//!   the schema (Parquet written by `guifan-gen`, round trips in tests).

mod decisions;
pub(crate) mod files;
mod lines;
mod table;

use chrono::{DateTime, FixedOffset};

pub use decisions::{decisions_schema, DecisionTable};
pub use lines::{BatchLines, ColumnError};
pub use table::{table_of_kind, TableError};

pub use arrow_array::{self, RecordBatch};
pub use arrow_buffer;
pub use arrow_schema;

use crate::data::RecordText;
use crate::RuleSet;

impl RuleSet {
    /// The records of a batch as JSON text, numbered by row from
    /// `first_row` (1-based): what [`RuleSet::decide_json`] reads. Only the
    /// columns some kind declares are read.
    pub fn batch_records(
        &self,
        batch: &RecordBatch,
        first_row: usize,
    ) -> Result<Vec<RecordText<'static>>, ColumnError> {
        let only = self.declared_fields();
        let lines = BatchLines::new(batch, Some(&only))?;
        let mut records = Vec::with_capacity(lines.rows());
        for row in 0..lines.rows() {
            let mut json = Vec::new();
            lines.write_row(row, &mut json);
            records.push(RecordText {
                line: first_row + row,
                json: json.into(),
            });
        }
        Ok(records)
    }

    /// Decides every row of a batch at `now` and answers the decision table:
    /// a row per rule that fired or failed, and per row that could not be
    /// read (with its row number, from 1, and field path) while the others
    /// go on. When a policy ranks and no places were given
    /// ([`RuleSet::with_rank_keys`]), the batch is ranked as one population.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use guifan::arrow::{arrow_array, RecordBatch};
    /// let rules = guifan::RuleSet::from_sources([(
    ///     "p.policy",
    ///     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }",
    /// )])?;
    /// let batch = RecordBatch::try_from_iter([
    ///     ("kind", Arc::new(arrow_array::StringArray::from(vec!["k", "k"])) as arrow_array::ArrayRef),
    ///     ("id", Arc::new(arrow_array::StringArray::from(vec!["x", "y"])) as _),
    ///     ("n", Arc::new(arrow_array::Int64Array::from(vec![2, 1])) as _),
    /// ])?;
    /// let decided = rules.decide_arrow(&batch, "2024-01-01T00:00:00Z".parse()?)?;
    /// assert_eq!(decided.num_rows(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide_arrow(
        &self,
        batch: &RecordBatch,
        now: DateTime<FixedOffset>,
    ) -> Result<RecordBatch, ColumnError> {
        let records = self.batch_records(batch, 1)?;
        let rules = &self.ranked_records(&records, now, &mut |_| {});
        let decide = |record: &RecordText<'_>| {
            rules
                .decide_json(&record.json, now)
                .map_err(|e| e.at(record.line))
        };
        #[cfg(not(target_arch = "wasm32"))]
        let answers: Vec<_> = {
            use rayon::prelude::*;
            records.par_iter().map(decide).collect()
        };
        #[cfg(target_arch = "wasm32")]
        let answers: Vec<_> = records.iter().map(decide).collect();
        let mut table = DecisionTable::default();
        for answer in &answers {
            match answer {
                Ok(decided) => table.push(decided),
                Err(e) => table.push_record_error(e),
            }
        }
        Ok(table.finish())
    }
}
