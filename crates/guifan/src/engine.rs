//! Hot reload: an engine holds the current rule set and swaps in a new one
//! atomically, only once it has loaded and checked in full.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::{DateTime, FixedOffset};

use crate::{Decisions, LoadError, RecordError, RuleSet};

/// The rule set in force, replaceable while records are being decided.
///
/// Each decision uses the rule set current when it started (a snapshot held
/// by an `Arc`), so evaluations in flight finish on the old set while new
/// ones use the new. A rule set that does not load or check is never swapped
/// in: [`Engine::reload`] returns its problems, and the old set stays.
///
/// ```
/// use guifan::{Engine, RuleSet};
///
/// let v1 = RuleSet::from_sources([("p.policy",
///     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }")])?;
/// let engine = Engine::new(v1);
/// let now = "2024-01-01T00:00:00Z".parse()?;
/// assert_eq!(engine.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now)?.decisions().len(), 1);
///
/// // A broken edit is refused; the old rules keep deciding.
/// let broken = RuleSet::from_sources([("p.policy", "policy a.b { rule r { when } }")]);
/// assert!(engine.swap_checked(broken).is_err());
/// assert_eq!(engine.reload_failures(), 1);
///
/// let v2 = RuleSet::from_sources([("p.policy",
///     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 5 then e } }")])?;
/// let revision = v2.revision().to_string();
/// engine.swap(v2);
/// assert_eq!(engine.rules().revision(), revision);
/// assert!(engine.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now)?.decisions().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Engine {
    current: ArcSwap<RuleSet>,
    dir: Option<PathBuf>,
    /// The directory's fingerprint taken just before the rules in force were
    /// read from it (so a change made while they were read is seen as one).
    loaded_fingerprint: std::sync::Mutex<Option<u64>>,
    reloads: AtomicU64,
    reload_failures: AtomicU64,
}

impl Engine {
    /// An engine deciding with `rules` until they are swapped.
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// let engine = guifan::Engine::new(rules);
    /// assert_eq!(engine.reloads(), 0);
    /// ```
    pub fn new(rules: RuleSet) -> Engine {
        Engine {
            current: ArcSwap::from_pointee(rules),
            dir: None,
            loaded_fingerprint: std::sync::Mutex::new(None),
            reloads: AtomicU64::new(0),
            reload_failures: AtomicU64::new(0),
        }
    }

    /// An engine over a rule directory, which [`Engine::reload`] reads again.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("k.schema"), "kind k { n: int }")?;
    /// let engine = guifan::Engine::from_dir(dir.path())?;
    /// std::fs::write(dir.path().join("k.schema"), "kind k { n: int? }")?;
    /// let before = engine.rules().revision().to_string();
    /// engine.reload()?;
    /// assert_ne!(engine.rules().revision(), before);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Engine, LoadError> {
        Engine::from_dir_with_params(dir, &crate::Params::new())
    }

    /// An engine over a rule directory with a deployment's parameter
    /// overrides, which stay in force when [`Engine::reload`] reads the
    /// directory again (a reload the overrides no longer fit is refused).
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let policy = "kind k { n: int } effect e policy a.b { subject k zone UTC param cap: int = 100 rule r { when n > cap then e } }";
    /// std::fs::write(dir.path().join("a.policy"), policy)?;
    /// let params = guifan::Params::from_toml("deploy.toml", "[\"a.b\"]\ncap = 5")?;
    /// let engine = guifan::Engine::from_dir_with_params(dir.path(), &params)?;
    /// let now = "2024-01-01T00:00:00Z".parse()?;
    /// let six = br#"{"kind":"k","id":"x","n":6}"#;
    /// assert_eq!(engine.decide_json(six, now)?.decisions().len(), 1);
    /// std::fs::write(dir.path().join("a.policy"), policy.replace("n > cap", "n >= cap"))?;
    /// engine.reload()?;
    /// assert_eq!(engine.decide_json(six, now)?.decisions().len(), 1);
    /// std::fs::write(dir.path().join("a.policy"), policy.replace("cap", "limit"))?;
    /// assert_eq!(engine.reload().unwrap_err().problems()[0].code(), "guifan::params::unknown_param");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_dir_with_params(
        dir: impl AsRef<Path>,
        params: &crate::Params,
    ) -> Result<Engine, LoadError> {
        let before = fingerprint(dir.as_ref());
        let rules = RuleSet::from_dir(dir.as_ref())?.with_params(params)?;
        let mut engine = Engine::new(rules);
        engine.dir = Some(dir.as_ref().to_path_buf());
        engine.loaded_fingerprint = std::sync::Mutex::new(before);
        Ok(engine)
    }

    /// The rule set in force now: a snapshot, unaffected by later swaps.
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// let revision = rules.revision().to_string();
    /// let engine = guifan::Engine::new(rules);
    /// assert_eq!(engine.rules().revision(), revision);
    /// ```
    pub fn rules(&self) -> Arc<RuleSet> {
        self.current.load_full()
    }

    /// Puts `rules` in force; returns the rule set it replaces.
    ///
    /// ```
    /// let a = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// let b = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int? }")]).unwrap();
    /// let engine = guifan::Engine::new(a.clone());
    /// assert_eq!(engine.swap(b).revision(), a.revision());
    /// assert_eq!(engine.reloads(), 1);
    /// ```
    pub fn swap(&self, rules: RuleSet) -> Arc<RuleSet> {
        self.reloads.fetch_add(1, Ordering::Relaxed);
        self.current.swap(Arc::new(rules))
    }

    /// Puts a loaded rule set in force, or keeps the old one and counts a
    /// reload failure when it did not load.
    ///
    /// ```
    /// let a = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// let engine = guifan::Engine::new(a);
    /// let err = engine.swap_checked(guifan::RuleSet::from_sources([("k.schema", "kind k { n: nope }")]));
    /// assert_eq!(err.unwrap_err().problems()[0].code(), "guifan::check::unknown_type");
    /// ```
    pub fn swap_checked(
        &self,
        loaded: Result<RuleSet, LoadError>,
    ) -> Result<Arc<RuleSet>, LoadError> {
        match loaded {
            Ok(rules) => {
                self.swap(rules);
                Ok(self.rules())
            }
            Err(e) => {
                self.reload_failures.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// Reads the engine's rule directory again and swaps the result in when
    /// it loads, checks and takes the parameter overrides in force;
    /// otherwise the old set stays, and the problems are returned.
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// // An engine made from sources has no directory to read.
    /// assert!(guifan::Engine::new(rules).reload().is_err());
    /// ```
    pub fn reload(&self) -> Result<Arc<RuleSet>, LoadError> {
        let Some(dir) = &self.dir else {
            return Err(LoadError::Io {
                path: PathBuf::new(),
                source: std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "this engine was not made from a directory",
                ),
            });
        };
        // The deployment's overrides stay in force across reloads.
        let params = self.rules().params().clone();
        let before = fingerprint(dir);
        let loaded = RuleSet::from_dir(dir).and_then(|r| Ok(r.with_params(&params)?));
        let swapped = self.swap_checked(loaded)?;
        if let Ok(mut slot) = self.loaded_fingerprint.lock() {
            *slot = before;
        }
        Ok(swapped)
    }

    /// How many rule sets have been swapped in.
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// assert_eq!(guifan::Engine::new(rules).reloads(), 0);
    /// ```
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    /// How many reloads were refused because the new rules did not load.
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// assert_eq!(guifan::Engine::new(rules).reload_failures(), 0);
    /// ```
    pub fn reload_failures(&self) -> u64 {
        self.reload_failures.load(Ordering::Relaxed)
    }

    /// Decides one record with the rule set in force (see [`RuleSet::decide_json`]).
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// let engine = guifan::Engine::new(rules);
    /// let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// assert!(engine.decide_json(br#"{"kind":"k","id":"x","n":1}"#, now).is_ok());
    /// ```
    pub fn decide_json(
        &self,
        record: &[u8],
        now: DateTime<FixedOffset>,
    ) -> Result<Decisions, RecordError> {
        self.current.load().decide_json(record, now)
    }

    /// Decides one record with the rule set in force and appends its
    /// decision record to `out` as a line of JSON (see [`RuleSet::decide_json_to`]).
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// let engine = guifan::Engine::new(rules);
    /// let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let mut out = Vec::new();
    /// engine.decide_json_to(br#"{"kind":"k","id":"x","n":1}"#, now, &mut out).unwrap();
    /// assert_eq!(out, b"{\"subject\":\"x\",\"kind\":\"k\",\"decisions\":[]}\n");
    /// ```
    pub fn decide_json_to(
        &self,
        record: &[u8],
        now: DateTime<FixedOffset>,
        out: &mut Vec<u8>,
    ) -> Result<crate::Written, RecordError> {
        self.current.load().decide_json_to(record, now, out)
    }

    /// A fingerprint of the engine's rule directory: a hash of each rule
    /// file's path and content (not its size or modification time, so an edit
    /// that keeps both, as `cp -p`, `rsync -a` or `tar x` make, is seen). It
    /// changes when a file is edited, added or removed. `None` for an engine
    /// not made from a directory, or one whose directory cannot be listed.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("k.schema"), "kind k { n: int }")?;
    /// let engine = guifan::Engine::from_dir(dir.path())?;
    /// let before = engine.fingerprint();
    /// std::fs::write(dir.path().join("l.schema"), "kind l { n: int }")?;
    /// assert_ne!(engine.fingerprint(), before);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fingerprint(&self) -> Option<u64> {
        fingerprint(self.dir.as_ref()?)
    }

    /// The directory's [fingerprint](Engine::fingerprint) as it was when
    /// the rules in force were read from it: what a watcher compares with,
    /// so a change made after loading and before watching is not missed.
    /// `None` for an engine not made from a directory.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("k.schema"), "kind k { n: int }")?;
    /// let engine = guifan::Engine::from_dir(dir.path())?;
    /// assert_eq!(engine.loaded_fingerprint(), engine.fingerprint());
    /// std::fs::write(dir.path().join("l.schema"), "kind l { n: int }")?;
    /// assert_ne!(engine.loaded_fingerprint(), engine.fingerprint());
    /// engine.reload()?;
    /// assert_eq!(engine.loaded_fingerprint(), engine.fingerprint());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn loaded_fingerprint(&self) -> Option<u64> {
        self.loaded_fingerprint.lock().map_or(None, |slot| *slot)
    }
}

/// A hash of the rule files under `dir`: their paths and contents (a file
/// that cannot be read counts by its error, so it changes the hash too).
pub(crate) fn fingerprint(dir: &Path) -> Option<u64> {
    use sha2::{Digest, Sha256};
    let files = crate::load::rule_files(dir).ok()?;
    let mut h = Sha256::new();
    for f in files {
        h.update(f.as_os_str().as_encoded_bytes());
        h.update([0]);
        match crate::files::read_rule_file(&f) {
            Ok(read) => {
                h.update((read.text.len() as u64).to_le_bytes());
                h.update(read.text.as_bytes());
            }
            Err(e) => h.update(format!("unreadable: {e}").as_bytes()),
        }
        h.update([0]);
    }
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(digest.get(..8)?);
    Some(u64::from_le_bytes(first))
}

/// When a changed rule directory is loaded: only once its content has stayed
/// the same for a settle interval. An editor that truncates a file and writes
/// it again a moment later, or a copy in progress, is never loaded half done.
///
/// ```
/// use std::time::{Duration, Instant};
/// let start = Instant::now();
/// let mut gate = guifan::ReloadGate::new(Some(1), Duration::from_secs(1));
/// assert!(!gate.observe(Some(1), start)); // unchanged
/// assert!(!gate.observe(Some(2), start)); // changed: wait
/// assert!(!gate.observe(Some(3), start + Duration::from_millis(600))); // changed again: wait anew
/// assert!(!gate.observe(Some(3), start + Duration::from_millis(1500))); // 0.9 s stable: not yet
/// assert!(gate.observe(Some(3), start + Duration::from_millis(1700))); // settled: load it
/// assert!(!gate.observe(Some(3), start + Duration::from_millis(3000))); // loaded
/// ```
#[derive(Clone, Debug)]
pub struct ReloadGate {
    loaded: Option<u64>,
    pending: Option<(Option<u64>, std::time::Instant)>,
    settle: std::time::Duration,
}

impl ReloadGate {
    /// A gate for a directory whose rules, as loaded, have fingerprint `loaded`.
    pub fn new(loaded: Option<u64>, settle: std::time::Duration) -> ReloadGate {
        ReloadGate {
            loaded,
            pending: None,
            settle,
        }
    }

    /// The directory's fingerprint `now`, seen at `at`: whether to load it now
    /// (it differs from what was loaded, and has been the same since at least
    /// `settle` ago). After `true`, it counts as loaded, whether it loaded or not.
    pub fn observe(&mut self, now: Option<u64>, at: std::time::Instant) -> bool {
        if now == self.loaded {
            self.pending = None;
            return false;
        }
        match self.pending {
            Some((seen, since)) if seen == now => {
                if at.saturating_duration_since(since) >= self.settle {
                    self.loaded = now;
                    self.pending = None;
                    true
                } else {
                    false
                }
            }
            _ => {
                self.pending = Some((now, at));
                false
            }
        }
    }
}

/// What a reload changed in the policies: their IDs added and removed, sorted.
///
/// ```
/// let a = guifan::RuleSet::from_sources([("p.policy",
///     "kind k { n: int } policy a.one { subject k zone UTC } policy a.two { subject k zone UTC }")])?;
/// let b = guifan::RuleSet::from_sources([("p.policy",
///     "kind k { n: int } policy a.two { subject k zone UTC } policy a.three { subject k zone UTC }")])?;
/// let change = guifan::PolicyChange::between(&a, &b);
/// assert_eq!(change.added, ["a.three"]);
/// assert_eq!(change.removed, ["a.one"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyChange {
    /// Policies in the new set only
    pub added: Vec<String>,
    /// Policies in the old set only
    pub removed: Vec<String>,
}

impl PolicyChange {
    /// The policies `new` has that `old` has not, and the other way round.
    pub fn between(old: &RuleSet, new: &RuleSet) -> PolicyChange {
        let before: std::collections::BTreeSet<&str> = old.policies().collect();
        let after: std::collections::BTreeSet<&str> = new.policies().collect();
        PolicyChange {
            added: after.difference(&before).map(|p| p.to_string()).collect(),
            removed: before.difference(&after).map(|p| p.to_string()).collect(),
        }
    }
}

impl std::fmt::Display for PolicyChange {
    /// `policies added: a.b; removed: c.d`, or `the same policies`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.added.is_empty(), self.removed.is_empty()) {
            (true, true) => f.write_str("the same policies"),
            (false, true) => write!(f, "policies added: {}", self.added.join(", ")),
            (true, false) => write!(f, "policies removed: {}", self.removed.join(", ")),
            (false, false) => write!(
                f,
                "policies added: {}; removed: {}",
                self.added.join(", "),
                self.removed.join(", ")
            ),
        }
    }
}

/// A thread that looks at an engine's rule directory every so often and
/// reloads it on a change ([`Engine::reload`]) once the change has stayed
/// the same for one interval ([`ReloadGate`]); it stops when dropped.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("k.schema"), "kind k { n: int }")?;
/// let engine = Arc::new(guifan::Engine::from_dir(dir.path())?);
/// let (tx, rx) = std::sync::mpsc::channel();
/// let _watch = guifan::Watch::start(engine.clone(), Duration::from_millis(20), move |result| {
///     let _ = tx.send(result.map(|rules| rules.revision().to_string()).map_err(|e| e.to_string()));
/// });
/// std::fs::write(dir.path().join("k.schema"), "kind k { n: nosuch }")?;
/// let refused = rx.recv_timeout(Duration::from_secs(5))?; // the old set stays
/// assert!(refused.unwrap_err().contains("guifan::check::unknown_type"));
/// std::fs::write(dir.path().join("k.schema"), "kind k { n: int? }")?;
/// let revision = rx.recv_timeout(Duration::from_secs(5))??;
/// assert_eq!(engine.rules().revision(), revision);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug)]
pub struct Watch {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[cfg(not(target_arch = "wasm32"))]
impl Watch {
    /// Starts watching; `report` is called after each reload with the rules
    /// now in force, or with the problems of rules that were refused.
    pub fn start(
        engine: Arc<Engine>,
        every: std::time::Duration,
        report: impl Fn(Result<Arc<RuleSet>, LoadError>) + Send + 'static,
    ) -> Watch {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        // "Unchanged" means as the rules in force were read, so a change
        // made between loading and watching is seen. A change is loaded
        // once it has stayed the same for one interval.
        let mut gate = ReloadGate::new(engine.loaded_fingerprint(), every);
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                if gate.observe(engine.fingerprint(), std::time::Instant::now()) {
                    report(engine.reload());
                }
            }
        });
        Watch {
            stop,
            thread: Some(thread),
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Drop for Watch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn a_policy_change_says_what_was_added_and_removed() {
        let change = |added: &[&str], removed: &[&str]| {
            PolicyChange {
                added: added.iter().map(|s| s.to_string()).collect(),
                removed: removed.iter().map(|s| s.to_string()).collect(),
            }
            .to_string()
        };
        assert_eq!(change(&[], &[]), "the same policies");
        assert_eq!(change(&["a.b", "c.d"], &[]), "policies added: a.b, c.d");
        assert_eq!(change(&[], &["e.f"]), "policies removed: e.f");
        assert_eq!(
            change(&["a.b"], &["e.f"]),
            "policies added: a.b; removed: e.f"
        );
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn a_dropped_watch_stops_watching() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k.schema"), "kind k { n: int }").unwrap();
        let engine = Arc::new(Engine::from_dir(dir.path()).unwrap());
        let every = std::time::Duration::from_millis(10);
        let watch = Watch::start(engine.clone(), every, |_| {});
        drop(watch);
        // Dropping joins the thread: nothing reloads afterwards.
        std::fs::write(dir.path().join("k.schema"), "kind k { n: int? }").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert_eq!(engine.reloads(), 0);
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn a_change_made_before_watching_starts_is_still_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k.schema"), "kind k { n: int }").unwrap();
        let engine = Arc::new(Engine::from_dir(dir.path()).unwrap());
        // Edited after loading, before the watch begins.
        std::fs::write(dir.path().join("k.schema"), "kind k { n: int? }").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let every = std::time::Duration::from_millis(10);
        let _watch = Watch::start(engine.clone(), every, move |r| {
            let _ = tx.send(r.is_ok());
        });
        let reloaded = rx.recv_timeout(std::time::Duration::from_secs(30));
        assert_eq!(reloaded, Ok(true));
        assert_eq!(engine.loaded_fingerprint(), engine.fingerprint());
    }

    #[test]
    fn a_refused_reload_keeps_the_fingerprint_of_the_rules_in_force() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k.schema"), "kind k { n: int }").unwrap();
        let engine = Engine::from_dir(dir.path()).unwrap();
        let loaded = engine.loaded_fingerprint();
        assert!(loaded.is_some());
        std::fs::write(dir.path().join("k.schema"), "kind k { n: nope }").unwrap();
        assert!(engine.reload().is_err());
        assert_eq!(engine.loaded_fingerprint(), loaded);
    }
}
