//! Populations: the records of one input, decided together. A policy that
//! ranks subjects against each other (`rank daily by gmv`) reads the whole
//! population before it decides any record, so deciding takes two passes
//! over a source that can be read twice: the first keeps only each record's
//! ranking keys, the second decides every record with its places.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use guifan_eval::rank::{RankKey, Ranks};

use crate::data::{self, Blocks, Columns, InputFormat, RecordText};
use crate::decisions::Decisions;
use crate::error::{RecordError, RunProblem};
use crate::rules::RuleSet;

/// Bytes of JSON Lines read per block: memory holds about one block, never the input.
pub const BLOCK_BYTES: usize = 1 << 20;

/// Records read one time per call of a function (for instance a database query).
type Reopen = dyn Fn() -> std::io::Result<Box<dyn Read + Send>> + Send + Sync;

/// Where a population's records are read from, as often as needed.
#[derive(Clone)]
enum Source {
    /// A regular file, opened again for each pass
    File(PathBuf),
    /// Bytes held in memory
    Bytes(Arc<[u8]>),
    /// A function that opens the records anew
    Reopen(Arc<Reopen>),
}

/// The records of one input (JSON Lines, a JSON array, or TOML), readable
/// once per pass: a regular file, bytes, a function that opens them anew, or
/// a stream spooled to a temporary file ([`Population::spool`]).
///
/// ```
/// use guifan::{data::InputFormat, Population, RuleSet};
///
/// let rules = RuleSet::from_sources([("p.policy", r#"
///     kind shop { gmv: int }
///     effect top
///     policy a.b {
///       subject shop zone UTC
///       rank by_gmv by gmv
///       rule first { when (by_gmv ?? 0) == 1 then top }
///     }"#)])?;
/// let lines = br#"{"kind":"shop","id":"s-1","gmv":10}
/// {"kind":"shop","id":"s-2","gmv":30}
/// "#;
/// let population = Population::bytes(&lines[..], InputFormat::Jsonl);
/// let now = "2024-01-01T00:00:00Z".parse()?;
/// let mut top = Vec::new();
/// rules.decide_population(&population, now, &mut |_| {}, &mut |_, decided| {
///     if let Ok(d) = decided {
///         if !d.decisions().is_empty() {
///             top.push(d.subject().to_string());
///         }
///     }
/// })?;
/// assert_eq!(top, ["s-2"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Population {
    source: Source,
    format: InputFormat,
    name: String,
    /// For columnar files: the only columns read (all when `None`)
    fields: Option<Columns>,
}

impl std::fmt::Debug for Population {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Population")
            .field("name", &self.name)
            .field("format", &self.format)
            .finish()
    }
}

impl Population {
    /// The records of a regular file, opened again for each pass (its name
    /// in messages is its path).
    pub fn file(path: impl Into<PathBuf>, format: InputFormat) -> Population {
        let path = path.into();
        Population {
            name: path.display().to_string(),
            source: Source::File(path),
            format,
            fields: None,
        }
    }

    /// Records held in memory.
    pub fn bytes(bytes: impl Into<Arc<[u8]>>, format: InputFormat) -> Population {
        Population {
            source: Source::Bytes(bytes.into()),
            format,
            name: "<bytes>".into(),
            fields: None,
        }
    }

    /// Records that `open` reads anew each time it is called, named `name` in messages.
    pub fn reopen(
        name: impl Into<String>,
        format: InputFormat,
        open: impl Fn() -> std::io::Result<Box<dyn Read + Send>> + Send + Sync + 'static,
    ) -> Population {
        Population {
            source: Source::Reopen(Arc::new(open)),
            format,
            name: name.into(),
            fields: None,
        }
    }

    /// Records of a stream that can be read only once (standard input, a
    /// pipe, a socket): copied to a temporary file, which each pass reads.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn spool(
        name: impl Into<String>,
        format: InputFormat,
        mut stream: impl Read,
    ) -> std::io::Result<Population> {
        use std::io::Seek;
        let name = name.into();
        let mut file = tempfile::tempfile()?;
        std::io::copy(&mut stream, &mut file)
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot read {name}: {e}")))?;
        file.rewind()?;
        let file = Arc::new(file);
        Ok(Population::reopen(name, format, move || {
            let mut f = file.try_clone()?;
            f.rewind()?;
            Ok(Box::new(f))
        }))
    }

    /// Its name in messages (a path, `<stdin>`, `<bytes>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// This population named `name` in messages.
    pub fn named(mut self, name: impl Into<String>) -> Population {
        self.name = name.into();
        self
    }

    /// The format of its records.
    pub fn format(&self) -> InputFormat {
        self.format
    }

    /// This population reading, of a columnar file (Parquet, Arrow), only
    /// the columns that some kind of `rules` declares.
    pub fn fields_of(mut self, rules: &RuleSet) -> Population {
        self.fields = Some(Arc::new(rules.declared_fields()));
        self
    }

    /// Opens the records for one pass, from their start: JSON Lines, a
    /// JSON array or TOML as they are; the rows of a Parquet or Arrow file
    /// as JSON Lines, one line per row.
    pub fn open(&self) -> std::io::Result<Box<dyn Read + Send>> {
        let context = |e: std::io::Error| {
            std::io::Error::new(e.kind(), format!("cannot read {}: {e}", self.name))
        };
        if self.is_columnar() {
            return self.open_columnar().map_err(context);
        }
        match &self.source {
            Source::File(path) => Ok(Box::new(std::fs::File::open(path).map_err(context)?)),
            Source::Bytes(bytes) => Ok(Box::new(std::io::Cursor::new(bytes.clone()))),
            Source::Reopen(open) => open().map_err(context),
        }
    }

    fn is_columnar(&self) -> bool {
        matches!(self.format, InputFormat::Parquet | InputFormat::Arrow)
    }

    /// The rows of a columnar file as JSON Lines.
    #[cfg(feature = "arrow")]
    fn open_columnar(&self) -> std::io::Result<Box<dyn Read + Send>> {
        use crate::arrow::files::{self, Bytes};
        let bytes = match &self.source {
            Source::File(path) => Bytes::File(std::fs::File::open(path)?),
            Source::Bytes(bytes) => Bytes::Memory(bytes.to_vec()),
            Source::Reopen(open) => {
                let mut all = Vec::new();
                open()?.read_to_end(&mut all)?;
                Bytes::Memory(all)
            }
        };
        Ok(Box::new(files::open(
            bytes,
            self.format,
            self.fields.clone(),
        )?))
    }

    /// Without the `arrow` feature, columnar files cannot be read.
    #[cfg(not(feature = "arrow"))]
    fn open_columnar(&self) -> std::io::Result<Box<dyn Read + Send>> {
        Err(without_columnar(self.format))
    }

    /// One pass: hands each batch of records (a block of JSON Lines, or the
    /// whole of another format) to `each`, and returns how many records it read.
    pub fn for_each_batch(
        &self,
        each: &mut dyn FnMut(&[RecordText<'_>]) -> std::io::Result<()>,
    ) -> std::io::Result<usize> {
        let context = |e: std::io::Error| {
            std::io::Error::new(e.kind(), format!("cannot read {}: {e}", self.name))
        };
        let mut reader = self.open()?;
        let mut count = 0;
        if self.format == InputFormat::Jsonl || self.is_columnar() {
            for block in Blocks::new(reader, BLOCK_BYTES) {
                let block = block.map_err(context)?;
                let records = block.records();
                count += records.len();
                each(&records)?;
            }
            return Ok(count);
        }
        // JSON arrays and TOML documents are read whole.
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map_err(context)?;
        let records = data::records_of(&bytes, self.format, &self.name)?;
        each(&records)?;
        Ok(records.len())
    }
}

/// Records per work item of the ranking pass.
#[cfg(not(target_arch = "wasm32"))]
const CHUNK: usize = 512;

impl RuleSet {
    /// The ranking keys of records (the first of two passes when a policy
    /// ranks subjects against each other): only the keys are kept. Records
    /// that do not decode are left to the pass that decides, which reports
    /// them; failures of the rankings' expressions go to `on_problem`.
    pub fn rank_keys(
        &self,
        records: &[RecordText<'_>],
        now: DateTime<FixedOffset>,
        on_problem: &mut dyn FnMut(RunProblem),
    ) -> Vec<RankKey> {
        // Only records of a kind some policy ranks are decoded; the others are skipped by a glance at their `kind`.
        let ranked: Vec<guifan_eval::KindId> = self
            .program()
            .policies()
            .iter()
            .filter(|p| !p.rankings().is_empty())
            .map(|p| p.kind())
            .collect();
        let keys_of = |chunk: &[RecordText<'_>]| self.chunk_rank_keys(chunk, &ranked, now);
        #[cfg(not(target_arch = "wasm32"))]
        let per_chunk: Vec<(Vec<RankKey>, Vec<RunProblem>)> = {
            use rayon::prelude::*;
            records.par_chunks(CHUNK).map(keys_of).collect()
        };
        #[cfg(target_arch = "wasm32")]
        let per_chunk = vec![keys_of(records)];
        let mut keys = Vec::new();
        for (k, problems) in per_chunk {
            keys.extend(k);
            problems.into_iter().for_each(&mut *on_problem);
        }
        keys
    }

    /// The ranking keys of one chunk of records, those of the `ranked` kinds.
    fn chunk_rank_keys(
        &self,
        chunk: &[RecordText<'_>],
        ranked: &[guifan_eval::KindId],
        now: DateTime<FixedOffset>,
    ) -> (Vec<RankKey>, Vec<RunProblem>) {
        let program = self.program();
        let mut keys = Vec::new();
        let mut problems = Vec::new();
        for record in chunk {
            let kind = guifan_eval::peek_kind(program.schema(), &record.json);
            if kind.is_some_and(|k| !ranked.contains(&k)) {
                continue;
            }
            let Ok(subject) = guifan_eval::decode_subject(program.schema(), &record.json) else {
                continue;
            };
            let (k, errors) = guifan_eval::rank::rank_keys(program, &subject, now);
            keys.extend(k);
            problems.extend(
                self.rule_failures(&errors)
                    .into_iter()
                    .map(|failure| RunProblem::rule(record.line, &subject.id, failure)),
            );
            guifan_eval::recycle(subject);
        }
        (keys, problems)
    }

    /// This rule set ranked over records held in memory (the whole of a
    /// population): itself when no policy ranks, or when it was given its
    /// places already ([`RuleSet::with_rank_keys`]: the records are then one
    /// part of a population ranked elsewhere). Failures of the rankings go
    /// to `on_problem`.
    pub fn ranked_records(
        &self,
        records: &[RecordText<'_>],
        now: DateTime<FixedOffset>,
        on_problem: &mut dyn FnMut(RunProblem),
    ) -> RuleSet {
        if self.needs_ranks() && self.ranks().is_none() {
            self.with_rank_keys(self.rank_keys(records, now, on_problem))
        } else {
            self.clone()
        }
    }

    /// Decides a batch held in memory: JSON Lines, a JSON array of records
    /// or TOML `[[records]]` (`format`), ranked together as one population
    /// when a policy ranks; one answer per record, in order: its decisions,
    /// or the error of that record (with its line) while the others go on.
    /// `Err` when the text cannot be split into records at all.
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([(
    ///     "p.policy",
    ///     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }",
    /// )])?;
    /// let now = "2024-01-01T00:00:00Z".parse()?;
    /// let lines = b"{\"kind\":\"k\",\"id\":\"x\",\"n\":2}\n{\"kind\":\"k\",\"id\":\"y\",\"n\":\"two\"}\n";
    /// let answers = rules.decide_batch(lines, guifan::data::InputFormat::Jsonl, now)?;
    /// assert_eq!(answers[0].as_ref().unwrap().decisions().len(), 1);
    /// let bad = answers[1].as_ref().unwrap_err();
    /// assert_eq!((bad.line(), bad.path()), (Some(2), "n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide_batch(
        &self,
        bytes: &[u8],
        format: crate::data::InputFormat,
        now: DateTime<FixedOffset>,
    ) -> Result<Vec<Result<crate::Decisions, crate::RecordError>>, crate::data::InputError> {
        let records = crate::data::records(bytes, format)?;
        let ranked = self.ranked_records(&records, now, &mut |_| {});
        Ok(records
            .iter()
            .map(|r| ranked.decide_json(&r.json, now).map_err(|e| e.at(r.line)))
            .collect())
    }

    /// This rule set with the places that ranking keys give (gathered by
    /// [`RuleSet::rank_keys`] over every record of a population).
    pub fn with_rank_keys(&self, keys: Vec<RankKey>) -> RuleSet {
        self.with_ranks(Ranks::from_keys(keys))
    }

    /// The first pass over a population: this rule set with every subject's
    /// places in its rankings, and how many records the pass read (the pass
    /// that decides must read as many, or the input changed between them).
    pub fn ranked(
        &self,
        population: &Population,
        now: DateTime<FixedOffset>,
        on_problem: &mut dyn FnMut(RunProblem),
    ) -> std::io::Result<(RuleSet, usize)> {
        let mut keys = Vec::new();
        let population = population.clone().fields_of(self);
        let records = population.for_each_batch(&mut |records| {
            keys.extend(self.rank_keys(records, now, on_problem));
            Ok(())
        })?;
        Ok((self.with_rank_keys(keys), records))
    }

    /// Decides every record of a population at `now`, in input order: each
    /// record's decisions, or why it could not be decided, go to `each` with
    /// its line. When a policy ranks, the population is read twice (see
    /// [`RuleSet::ranked`]); failures of the rankings go to `on_problem`.
    /// Returns how many records were read; an input that changed between the
    /// two passes is an error, and nothing decided from it can be trusted.
    pub fn decide_population(
        &self,
        population: &Population,
        now: DateTime<FixedOffset>,
        on_problem: &mut dyn FnMut(RunProblem),
        each: &mut dyn FnMut(usize, Result<Decisions, RecordError>),
    ) -> std::io::Result<usize> {
        let (rules, first_pass) = if self.needs_ranks() {
            let (ranked, n) = self.ranked(population, now, on_problem)?;
            (ranked, Some(n))
        } else {
            (self.clone(), None)
        };
        let population = population.clone().fields_of(self);
        let decided = population.for_each_batch(&mut |records| {
            for r in records {
                let result = rules.decide_json(&r.json, now).map_err(|e| e.at(r.line));
                each(r.line, result);
            }
            Ok(())
        })?;
        match first_pass {
            Some(n) if n != decided => Err(changed_between_passes(population.name(), n, decided)),
            _ => Ok(decided),
        }
    }
}

/// The error of a build that cannot read a columnar format.
#[cfg(not(feature = "arrow"))]
pub(crate) fn without_columnar(format: InputFormat) -> std::io::Error {
    let feature = if format == InputFormat::Parquet {
        "parquet"
    } else {
        "arrow"
    };
    std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        format!("this build of guifan reads {format:?} files only with its `{feature}` feature"),
    )
}

impl RuleSet {
    /// The top-level fields some kind declares, with `kind` and `id`: the
    /// only columns of a columnar file worth reading.
    pub fn declared_fields(&self) -> std::collections::HashSet<String> {
        let schema = self.program().schema();
        let mut names: std::collections::HashSet<String> =
            ["kind", "id"].iter().map(|s| s.to_string()).collect();
        for kind in &schema.kinds {
            if let Some(record) = schema.record(kind.record) {
                names.extend(record.fields.iter().map(|f| f.name.clone()));
            }
        }
        names
    }
}

/// The error when the pass that decides read other records than the ranking
/// pass: the input changed between them.
pub fn changed_between_passes(name: &str, ranked: usize, decided: usize) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "{name} changed while it was read: the ranking pass read {ranked} records, the pass that decides {decided}"
        ),
    )
}
