//! A checked rule set: loaded from files or text, identified by a revision,
//! deciding records.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, FixedOffset};
use guifan_eval::rank::Ranks;
use guifan_eval::Program;
use guifan_syntax::ast::RuleFile;
use sha2::{Digest, Sha256};

use crate::decisions::{Decision, Decisions, RuleFailure};
use crate::error::{LoadError, ParamError, RecordError};
use crate::json_fragments::JsonCache;
use crate::load::Loaded;
use crate::params::{Params, ParamsError};
use crate::sources::SourceMap;

/// A checked, immutable rule set: every policy of some rule files, ready to
/// decide records from any number of threads (`Send + Sync`, cheap to clone).
///
/// ```
/// use guifan::RuleSet;
///
/// let rules = RuleSet::from_sources([(
///     "shop.policy",
///     r#"
///     kind merchant { listings_online: int }
///     effect violation(code: string)
///     policy shop.listings {
///       subject merchant
///       zone Asia/Shanghai
///       param cap: int = 100
///       rule listing_cap "在线商品总量超过上限" {
///         when listings_online > cap
///         then violation(code: "listing_cap_exceeded")
///         message "在线商品 {listings_online} 件, 上限 {cap} 件"
///       }
///     }
///     "#,
/// )])?;
/// let now = "2024-03-01T12:00:00+08:00".parse()?;
/// let decided = rules.decide_json(br#"{"kind":"merchant","id":"m-1","listings_online":101}"#, now)?;
/// assert_eq!(decided.decisions()[0].rule(), "shop.listings.listing_cap");
/// assert_eq!(decided.decisions()[0].message(), Some("在线商品 101 件, 上限 100 件"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RuleSet {
    program: Arc<Compiled>,
    sources: Arc<SourceMap>,
    /// The syntax trees the program was checked from (for linting and tools)
    files: Arc<[RuleFile]>,
    revision: Arc<str>,
    /// The places of a population's subjects in the policies' rankings, once computed
    ranks: Option<Arc<Ranks>>,
    /// The deployment's parameter overrides in force, applied again on reload
    params: Arc<Params>,
}

/// A checked program, and its decision fragments as JSON, made from it the
/// first time a record is written. They are kept together so that fragments
/// (found by the address of the program's parts) are never looked up in
/// another program: a program changed in place through
/// [`Compiled::program_mut`] drops them.
#[derive(Debug)]
struct Compiled {
    program: Program,
    json: OnceLock<JsonCache>,
}

impl Compiled {
    fn new(program: Program) -> Arc<Compiled> {
        Arc::new(Compiled {
            program,
            json: OnceLock::new(),
        })
    }

    /// The program, to change in place: its fragments are made again when next needed.
    fn program_mut(&mut self) -> &mut Program {
        self.json = OnceLock::new();
        &mut self.program
    }
}

impl std::ops::Deref for Compiled {
    type Target = Program;

    fn deref(&self) -> &Program {
        &self.program
    }
}

impl RuleSet {
    /// A rule set of a checked program and the files it came from.
    fn new(loaded: Loaded) -> RuleSet {
        RuleSet::of_checked(loaded.program, loaded.sources, loaded.files.into())
    }

    /// A rule set of a program checked from `files` (the analysis of an
    /// editor's files shares its syntax trees with it).
    pub(crate) fn of_checked(
        program: Program,
        sources: SourceMap,
        files: Arc<[RuleFile]>,
    ) -> RuleSet {
        let revision = revision(&sources, &Params::new());
        RuleSet {
            program: Compiled::new(program),
            sources: Arc::new(sources),
            files,
            revision,
            ranks: None,
            params: Arc::new(Params::new()),
        }
    }

    /// Parses and checks rule files given as (name, text) pairs; every problem
    /// of every file is reported at once.
    ///
    /// ```
    /// let err = guifan::RuleSet::from_sources([("a.policy", "policy a.b { subject nobody }")])
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("a.policy:1:22: error[guifan::check::unknown_kind]"));
    /// ```
    pub fn from_sources<N, T>(
        sources: impl IntoIterator<Item = (N, T)>,
    ) -> Result<RuleSet, LoadError>
    where
        N: Into<PathBuf>,
        T: Into<String>,
    {
        crate::load::from_texts(
            sources
                .into_iter()
                .map(|(n, t)| (n.into(), t.into()))
                .collect(),
        )
        .map(RuleSet::new)
    }

    /// Loads every `*.policy` and `*.schema` file under a directory (or one
    /// file), named by their paths.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("k.schema"), "kind k { n: int }")?;
    /// let rules = guifan::RuleSet::from_dir(dir.path())?;
    /// assert_eq!(rules.policies().count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<RuleSet, LoadError> {
        crate::load::from_dir(dir.as_ref()).map(RuleSet::new)
    }

    /// Loads the given rule files (`guifan check` of a selection: see
    /// [`crate::selection_files`]), named by their paths.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("k.schema"), "kind k { n: int }")?;
    /// let rules = guifan::RuleSet::from_paths(vec![dir.path().join("k.schema")])?;
    /// assert_eq!(rules.sources().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_paths(paths: Vec<PathBuf>) -> Result<RuleSet, LoadError> {
        crate::load::from_paths(paths).map(RuleSet::new)
    }

    /// A content hash of the rule files (their names and texts) and of the
    /// parameter overrides in force: equal rules and overrides, equal
    /// revisions. Decisions can carry it to say which rules made them.
    ///
    /// ```
    /// let a = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// let b = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// let c = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int? }")]).unwrap();
    /// assert_eq!(a.revision(), b.revision());
    /// assert_ne!(a.revision(), c.revision());
    /// assert_eq!(a.revision().len(), 16);
    /// ```
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// This rule set with a deployment's parameter overrides over the ones in
    /// force: every problem of every override is reported (its code, file and
    /// line, with the policy or parameter name it is closest to), and then
    /// none is applied.
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([(
    ///     "p.policy",
    ///     "kind k { n: int } effect e policy a.b { subject k zone UTC param cap: int = 100 rule r { when n > cap then e } }",
    /// )])?;
    /// let bad = guifan::Params::from_toml("deploy.toml", "[\"a.c\"]\ncap = 5\n[\"a.b\"]\ncaps = 5\n")?;
    /// let err = rules.with_params(&bad).unwrap_err();
    /// let codes: Vec<_> = err.problems().iter().map(|p| (p.code(), p.position().0)).collect();
    /// assert_eq!(codes, [("guifan::params::unknown_policy", 1), ("guifan::params::unknown_param", 4)]);
    /// assert!(err.problems()[1].message().ends_with("did you mean `cap`?"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_params(&self, params: &Params) -> Result<RuleSet, ParamsError> {
        let mut program = self.program.program.clone();
        params.apply(&mut program, &self.sources)?;
        let all = self.params.then(params);
        Ok(RuleSet {
            program: Compiled::new(program),
            revision: revision(&self.sources, &all),
            params: Arc::new(all),
            ..self.clone()
        })
    }

    /// Applies parameter overrides in place (see [`RuleSet::with_params`]);
    /// on error, the rule set is unchanged.
    pub fn set_params(&mut self, params: &Params) -> Result<(), ParamsError> {
        *self = self.with_params(params)?;
        Ok(())
    }

    /// The parameter overrides in force, in the order they were applied.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The files it was loaded from, by source: names, texts and lines.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// The compiled program, for Guifan's own tools (lint, coverage,
    /// explanations): `guifan-eval`'s types, which are not a stable API.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The program's decision fragments as JSON (made on first use).
    pub(crate) fn json_cache(&self) -> &JsonCache {
        self.program
            .json
            .get_or_init(|| JsonCache::new(&self.program.program))
    }

    /// The syntax trees of the rule files, by source (comments and spans
    /// included), for Guifan's own tools: `guifan-syntax`'s types.
    pub fn files(&self) -> &[RuleFile] {
        &self.files
    }

    /// Whether some policy ranks subjects against each other (`rank`): then
    /// a rule set decides a whole population ([`crate::Population`]), or
    /// records with places computed elsewhere ([`RuleSet::with_ranks`]).
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// assert!(!rules.needs_ranks());
    /// ```
    pub fn needs_ranks(&self) -> bool {
        self.program
            .policies()
            .iter()
            .any(|p| !p.rankings().is_empty())
    }

    /// This rule set with the places of a population's subjects in its rankings.
    pub fn with_ranks(&self, ranks: Ranks) -> RuleSet {
        RuleSet {
            ranks: Some(Arc::new(ranks)),
            ..self.clone()
        }
    }

    /// The places in rankings, when computed.
    pub fn ranks(&self) -> Option<&Ranks> {
        self.ranks.as_deref()
    }

    /// Evaluates a decoded subject at `now`, with its places when ranks are known.
    pub(crate) fn evaluate(
        &self,
        subject: &guifan_eval::Subject,
        now: DateTime<FixedOffset>,
    ) -> guifan_eval::Outcome {
        match &self.ranks {
            Some(ranks) => guifan_eval::evaluate_with_ranks(&self.program, subject, now, ranks),
            None => guifan_eval::evaluate(&self.program, subject, now),
        }
    }

    /// The name of a kind.
    pub(crate) fn kind_name(&self, kind: guifan_eval::KindId) -> &str {
        self.program
            .schema()
            .kinds
            .get(kind.0 as usize)
            .map_or("", |k| k.name.as_str())
    }

    /// Rule failures of an evaluation as decisions report them: the rule, its
    /// code and message, and the place in the rule files.
    pub fn rule_failures(&self, errors: &[guifan_eval::RuleError]) -> Vec<RuleFailure> {
        errors
            .iter()
            .map(|e| {
                let (line, column) = self
                    .sources
                    .line_col(e.source_id, e.error.span.start as usize);
                RuleFailure {
                    rule: e.rule.to_string(),
                    code: e.error.kind.code(),
                    message: e.error.kind.to_string(),
                    file: self
                        .sources
                        .path(e.source_id)
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    line,
                    column,
                    at: Some((e.source_id, e.error.span)),
                }
            })
            .collect()
    }

    /// The IDs of its policies, in load order.
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([(
    ///     "p.policy",
    ///     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }",
    /// )]).unwrap();
    /// assert_eq!(rules.policies().collect::<Vec<_>>(), ["a.b"]);
    /// ```
    pub fn policies(&self) -> impl Iterator<Item = &str> {
        self.program.policies().iter().map(|p| &**p.id())
    }

    /// Gives a policy's parameter a new value, JSON text of its type (`120`,
    /// `"300.00 CNY"`, `["telegram"]`), as a deployment's settings do.
    ///
    /// ```
    /// let mut rules = guifan::RuleSet::from_sources([(
    ///     "p.policy",
    ///     "kind k { n: int } effect e policy a.b { subject k zone UTC param cap: int = 100 rule r { when n > cap then e } }",
    /// )]).unwrap();
    /// rules.set_param("a.b", "cap", "5")?;
    /// let now = "2024-01-01T00:00:00Z".parse()?;
    /// assert_eq!(rules.decide_json(br#"{"kind":"k","id":"x","n":6}"#, now)?.decisions().len(), 1);
    /// assert!(rules.set_param("a.b", "cap", "\"many\"").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_param(&mut self, policy: &str, name: &str, json: &str) -> Result<(), ParamError> {
        Arc::get_mut(&mut self.program)
            .ok_or(ParamError::Shared)?
            .program_mut()
            .set_param(policy, name, json)?;
        // Recorded with the other overrides, so that a reload keeps it.
        let mut one = Params::new();
        one.set(policy, name, json);
        let all = self.params.then(&one);
        self.revision = revision(&self.sources, &all);
        self.params = Arc::new(all);
        Ok(())
    }

    /// Decides one record, JSON text with at least `"kind"` and `"id"`, at `now`.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([(
    /// #     "p.policy",
    /// #     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }",
    /// # )]).unwrap();
    /// let now = "2024-01-01T00:00:00Z".parse()?;
    /// let decided = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now)?;
    /// assert_eq!(decided.subject(), "x");
    /// assert_eq!(serde_json::to_string(&decided)?,
    ///     r#"{"subject":"x","kind":"k","decisions":[{"rule":"a.b.r","effects":[{"kind":"e"}]}]}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide_json(
        &self,
        record: &[u8],
        now: DateTime<FixedOffset>,
    ) -> Result<Decisions, RecordError> {
        let subject = guifan_eval::decode_subject(self.program.schema(), record)
            .map_err(|e| RecordError::of_data(record, &e))?;
        let outcome = self.evaluate(&subject, now);
        let kind = self.kind_name(subject.kind).to_string();
        let errors = self.rule_failures(&outcome.errors);
        let decided = Decisions {
            subject: subject.id.to_string(),
            kind,
            decisions: outcome
                .decisions
                .into_iter()
                .map(Decision::from_eval)
                .collect(),
            errors,
            revision: self.revision.clone(),
        };
        // Its arrays go to this thread's pool, for the next record it decodes.
        guifan_eval::recycle(subject);
        Ok(decided)
    }

    /// Decides one record given as a JSON value.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([(
    /// #     "p.policy",
    /// #     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }",
    /// # )]).unwrap();
    /// let now = "2024-01-01T00:00:00Z".parse()?;
    /// let record = serde_json::json!({"kind": "k", "id": "x", "n": 2});
    /// assert_eq!(rules.decide_value(&record, now)?.decisions().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide_value(
        &self,
        record: &serde_json::Value,
        now: DateTime<FixedOffset>,
    ) -> Result<Decisions, RecordError> {
        self.decide(record, now)
    }

    /// Decides one record given as any serializable value (a struct of the
    /// embedder's own, with `"kind"` and `"id"` fields).
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([(
    /// #     "p.policy",
    /// #     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }",
    /// # )]).unwrap();
    /// #[derive(serde::Serialize)]
    /// struct Shop { kind: &'static str, id: String, n: i64 }
    /// let now = "2024-01-01T00:00:00Z".parse()?;
    /// let decided = rules.decide(&Shop { kind: "k", id: "s-1".into(), n: 3 }, now)?;
    /// assert_eq!(decided.decisions()[0].rule(), "a.b.r");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide<T: serde::Serialize + ?Sized>(
        &self,
        record: &T,
        now: DateTime<FixedOffset>,
    ) -> Result<Decisions, RecordError> {
        let json = serde_json::to_vec(record).map_err(|e| RecordError {
            line: None,
            lines_in: 0,
            id: None,
            path: String::new(),
            message: format!("cannot be written as JSON: {e}"),
            also: Vec::new(),
        })?;
        self.decide_json(&json, now)
    }
}

/// The first 16 hex digits of SHA-256 over the files' names and texts and
/// the parameter overrides (none adds nothing).
fn revision(sources: &SourceMap, params: &Params) -> Arc<str> {
    let mut hash = Sha256::new();
    for (path, text) in sources.iter() {
        let name = path.display().to_string();
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name.as_bytes());
        hash.update((text.len() as u64).to_le_bytes());
        hash.update(text.as_bytes());
    }
    params.digest_into(&mut hash);
    let digest = hash.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Arc::from(hex)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn a_program_changed_in_place_drops_its_json_fragments() {
        let mut rules = RuleSet::from_sources([(
            "p.policy",
            "kind k { n: int } effect e policy a.b { subject k zone UTC param cap: int = 1 rule r { when n > cap then e } }",
        )])
        .unwrap();
        assert!(rules.program.json.get().is_none());
        rules.json_cache();
        assert!(rules.program.json.get().is_some());
        rules.set_param("a.b", "cap", "5").unwrap();
        assert!(rules.program.json.get().is_none());
        // A rule set with other parameters has a program of its own, made afresh.
        rules.json_cache();
        let other = rules.with_params(&Params::new()).unwrap();
        assert!(other.program.json.get().is_none());
        assert!(rules.program.json.get().is_some());
    }
}
