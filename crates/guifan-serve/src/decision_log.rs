//! The decision log: each decided record appended as one JSON line (time,
//! subject, decisions, revision), written by a thread of its own.
//!
//! Requests never wait on the log. They hand their lines to a bounded queue
//! and go on; a dedicated thread writes them. When the queue is full (the
//! disk or the reader of a FIFO cannot keep up) the lines are **dropped and
//! counted** (`guifan_decision_log_dropped_total`), not waited for: the log is
//! an audit aid, and blocking requests on it would turn a slow disk into an
//! outage of every client, `/healthz` included. Lines are written whole or
//! not at all: a write that fails part way (a full disk) is cut back to the
//! last whole line and counted (`guifan_decision_log_errors_total`).

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};

use prometheus_client::metrics::counter::Counter;

/// The lines the queue holds before new ones are dropped.
pub(crate) const QUEUE_LINES: usize = 65_536;

/// Counters of what happened to the log's lines.
#[derive(Clone, Default)]
pub(crate) struct LogCounters {
    /// Lines written whole
    pub(crate) written: Counter,
    /// Lines dropped because the queue was full
    pub(crate) dropped: Counter,
    /// Lines lost to write errors
    pub(crate) errors: Counter,
}

/// The requests' side of the log.
pub(crate) struct DecisionLog {
    queue: SyncSender<Vec<u8>>,
    counters: LogCounters,
}

/// Why the log cannot be opened: said at start, with its path.
pub(crate) fn refuse(path: &Path, why: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("decision log `{}`: {why}", path.display()),
    )
}

impl DecisionLog {
    /// Opens `path` for appending (created when missing) and starts its
    /// writer. Only a regular file (or none yet, in an existing directory)
    /// is accepted: a FIFO nobody reads, a directory, a read-only file or a
    /// missing directory is refused here, never a silent hang later.
    pub(crate) fn open(path: &Path, counters: LogCounters) -> std::io::Result<DecisionLog> {
        match std::fs::metadata(path) {
            Ok(meta) if !meta.is_file() => {
                let what = if meta.is_dir() {
                    "a directory"
                } else {
                    "not a regular file (a FIFO or a device)"
                };
                return Err(refuse(
                    path,
                    format!("is {what}; the log must be a regular file"),
                ));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(refuse(path, e)),
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| refuse(path, e))?;
        let (queue, lines) = sync_channel(QUEUE_LINES);
        let writer_counters = counters.clone();
        std::thread::Builder::new()
            .name("guifan-decision-log".into())
            .spawn(move || write_lines(file, lines, &writer_counters))
            .map_err(|e| refuse(path, e))?;
        Ok(DecisionLog { queue, counters })
    }

    /// Queues one whole line (without its newline); dropped and counted when the queue is full.
    pub(crate) fn push(&self, line: Vec<u8>) {
        match self.queue.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.counters.dropped.inc();
            }
            Err(TrySendError::Disconnected(_)) => {
                self.counters.errors.inc();
            }
        }
    }
}

/// The writer thread: each line written whole, or cut back and counted.
fn write_lines(mut file: File, lines: Receiver<Vec<u8>>, counters: &LogCounters) {
    let mut reported = false;
    for mut line in lines {
        line.push(b'\n');
        let before = file.metadata().map(|m| m.len()).ok();
        match file.write_all(&line) {
            Ok(()) => {
                counters.written.inc();
                reported = false;
            }
            Err(e) => {
                counters.errors.inc();
                // A partial line would tear the log: cut it back to the last whole one.
                if let Some(len) = before {
                    let _ = file.set_len(len);
                }
                if !reported {
                    crate::note(&format!("cannot write the decision log: {e}"));
                    reported = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn paths_that_would_hang_or_fail_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let refused = |p: &Path| {
            DecisionLog::open(p, LogCounters::default())
                .err()
                .map(|e| e.to_string())
        };
        assert!(refused(dir.path()).unwrap().contains("is a directory"));
        let missing = dir.path().join("no/such/dir/log.jsonl");
        assert!(refused(&missing).unwrap().contains("no/such/dir/log.jsonl"));
        let fifo = dir.path().join("log.fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        assert!(refused(&fifo).unwrap().contains("not a regular file"));
        let ok = dir.path().join("log.jsonl");
        assert!(refused(&ok).is_none());
        // An existing regular file is appended to.
        assert!(refused(&ok).is_none());
    }

    #[test]
    fn lines_are_written_whole_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let counters = LogCounters::default();
        let log = DecisionLog::open(&path, counters.clone()).unwrap();
        for i in 0..100 {
            log.push(format!("{{\"n\":{i}}}").into_bytes());
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while counters.written.get() < 100 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 100);
        assert_eq!(counters.dropped.get(), 0);
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_blocking() {
        // A writer that never drains: the queue's receiver is held, not read.
        let (queue, _held) = sync_channel(2);
        let counters = LogCounters::default();
        let log = DecisionLog {
            queue,
            counters: counters.clone(),
        };
        let started = std::time::Instant::now();
        for _ in 0..10 {
            log.push(b"{}".to_vec());
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(counters.dropped.get(), 8);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod full_disk {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn a_full_disk_is_counted_not_hidden() {
        // /dev/full answers every write with ENOSPC, as a full disk does.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let (queue, lines) = sync_channel(8);
        let counters = LogCounters::default();
        for _ in 0..3 {
            queue.send(b"{\"subject\":\"m\"}".to_vec()).unwrap();
        }
        drop(queue);
        write_lines(file, lines, &counters);
        assert_eq!(counters.errors.get(), 3);
        assert_eq!(counters.written.get(), 0);
    }
}
