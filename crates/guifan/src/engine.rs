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
        let rules = RuleSet::from_dir(dir.as_ref())?;
        let mut engine = Engine::new(rules);
        engine.dir = Some(dir.as_ref().to_path_buf());
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
    /// it loads and checks; otherwise the old set stays, and the problems are returned.
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
        self.swap_checked(RuleSet::from_dir(dir))
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

    /// A fingerprint of the engine's rule directory (each rule file's path,
    /// size and modification time): it changes when a file is edited, added or
    /// removed. `None` for an engine not made from a directory, or one that
    /// cannot be read.
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
        use std::hash::{Hash, Hasher};
        let dir = self.dir.as_ref()?;
        let files = crate::rules::rule_files(dir).ok()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for f in files {
            let meta = std::fs::metadata(&f).ok()?;
            f.hash(&mut h);
            meta.len().hash(&mut h);
            meta.modified().ok().hash(&mut h);
        }
        Some(h.finish())
    }
}

/// A thread that looks at an engine's rule directory every so often and
/// reloads it on a change ([`Engine::reload`]); it stops when dropped.
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
        // What "unchanged" means is settled before `start` returns.
        let mut seen = engine.fingerprint();
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                let now = engine.fingerprint();
                if now != seen {
                    seen = now;
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
