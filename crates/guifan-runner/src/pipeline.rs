//! The ordered parallel pipeline every pass over records shares (`run`,
//! `diff`): records are cut into chunks that the worker pool judges while the
//! calling thread hands finished chunks on in input order.
//!
//! There is no barrier: a worker that finishes takes the next chunk at once,
//! and a slow chunk holds back only the hand-over, never the other workers,
//! within a window of chunks in flight that bounds memory. Chunks are sized
//! from the output they make, so that each piece handed on stays a few MB
//! whatever the number of policies.

use std::collections::BTreeMap;
use std::sync::{mpsc, Arc};

use guifan::data::{Block, RecordSpan, RecordText};

/// A batch of input: records already split, or a block of JSON Lines.
pub enum Batch<'r, 'a> {
    /// Records split by the caller
    Records(&'r [RecordText<'a>]),
    /// A block read from a stream
    Block(Block),
}

/// Records judged per chunk at most.
const MAX_CHUNK: usize = 512;
/// Records in the first chunks, before the size of their output is known.
const FIRST_CHUNK: usize = 16;
/// The output a chunk aims at, in bytes (the size of a piece handed to the writer).
const PIECE_BYTES: usize = 2 << 20;
/// Chunks in flight per worker thread.
const WINDOW_PER_THREAD: usize = 4;

/// Where a chunk's records are: a slice the caller holds, or a shared block.
enum Source<'r, 'a> {
    Slice(&'r [RecordText<'a>]),
    Block(Arc<(Block, Vec<RecordSpan>)>),
}

/// How big the next chunk should be, from the output chunks made so far.
struct ChunkSizer {
    records: usize,
    bytes: usize,
}

impl ChunkSizer {
    fn next(&self) -> usize {
        if self.records == 0 {
            return FIRST_CHUNK;
        }
        let per_record = (self.bytes / self.records).max(1);
        (PIECE_BYTES / per_record).clamp(1, MAX_CHUNK)
    }
}

/// Judges every record of `batches` with `judge`, a chunk at a time on the
/// current rayon pool, and hands each chunk's result to `consume` in input
/// order (it returns `false` to stop). `weight` tells how many bytes of
/// output a result holds, to size the chunks. Returns the number of records
/// read, or the first read error.
pub fn judge_batches<'r, 'a: 'r, T: Send>(
    batches: impl Iterator<Item = std::io::Result<Batch<'r, 'a>>>,
    judge: impl Fn(&[RecordText<'_>]) -> T + Sync,
    weight: impl Fn(&T) -> usize,
    mut consume: impl FnMut(T) -> bool,
) -> std::io::Result<usize> {
    let window = WINDOW_PER_THREAD * rayon::current_num_threads().max(1);
    let judge = &judge;
    let (tx, rx) = mpsc::channel::<Finished<T>>();
    let mut sizer = ChunkSizer {
        records: 0,
        bytes: 0,
    };
    let mut pending: BTreeMap<usize, (usize, Option<T>)> = BTreeMap::new();
    let mut spawned = 0;
    let mut handed = 0;
    let mut records_read = 0;
    rayon::in_place_scope(|scope| -> std::io::Result<()> {
        // Receives finished chunks and hands on those next in order; `false`
        // once the consumer stopped or a chunk's judge did not finish. Blocks
        // for one result when `wait`.
        let mut drain = |wait: bool,
                         pending: &mut BTreeMap<usize, (usize, Option<T>)>,
                         handed: &mut usize,
                         sizer: &mut ChunkSizer|
         -> bool {
            if wait {
                match next_result(&rx) {
                    Some((seq, n, t)) => {
                        pending.insert(seq, (n, t));
                    }
                    // Every sender is gone with results missing: a worker stopped.
                    None => return false,
                }
            }
            while let Ok((seq, n, t)) = rx.try_recv() {
                pending.insert(seq, (n, t));
            }
            while let Some((n, t)) = pending.remove(handed) {
                // A judge that did not finish (it panicked): stop; the scope re-raises the panic.
                let Some(t) = t else { return false };
                *handed += 1;
                sizer.records += n;
                sizer.bytes += weight(&t);
                if !consume(t) {
                    return false;
                }
            }
            true
        };
        for batch in batches {
            let batch = batch?;
            let source = match batch {
                Batch::Records(r) => Source::Slice(r),
                Batch::Block(block) => {
                    let spans = block.spans();
                    Source::Block(Arc::new((block, spans)))
                }
            };
            let len = match &source {
                Source::Slice(r) => r.len(),
                Source::Block(b) => b.1.len(),
            };
            records_read += len;
            let mut start = 0;
            while start < len {
                while spawned - handed >= window {
                    if !drain(true, &mut pending, &mut handed, &mut sizer) {
                        return Ok(());
                    }
                }
                let end = (start + sizer.next()).min(len);
                let seq = spawned;
                spawned += 1;
                let done = Finish {
                    tx: tx.clone(),
                    seq,
                    sent: false,
                };
                match &source {
                    Source::Slice(records) => {
                        let chunk = records.get(start..end).unwrap_or_default();
                        scope.spawn(move |_| done.send(chunk.len(), judge(chunk)));
                    }
                    Source::Block(block) => {
                        let block = Arc::clone(block);
                        scope.spawn(move |_| {
                            let (block, spans) = &*block;
                            let chunk: Vec<RecordText<'_>> = spans
                                .get(start..end)
                                .unwrap_or_default()
                                .iter()
                                .map(|span| span.clone().text(&block.bytes))
                                .collect();
                            done.send(chunk.len(), judge(&chunk));
                        });
                    }
                }
                start = end;
                if !drain(false, &mut pending, &mut handed, &mut sizer) {
                    return Ok(());
                }
            }
        }
        drop(tx);
        while handed < spawned {
            if !drain(true, &mut pending, &mut handed, &mut sizer) {
                break;
            }
        }
        Ok(())
    })?;
    Ok(records_read)
}

/// A chunk's result: its sequence number, its number of records, and what it
/// came to (`None` when its judge did not finish).
type Finished<T> = (usize, usize, Option<T>);

/// Sends a chunk's result; dropped unsent (its judge panicked), it sends
/// `None`, so that the hand-over stops instead of waiting for it for ever.
struct Finish<T> {
    tx: mpsc::Sender<Finished<T>>,
    seq: usize,
    sent: bool,
}

impl<T> Finish<T> {
    fn send(mut self, records: usize, result: T) {
        let _ = self.tx.send((self.seq, records, Some(result)));
        self.sent = true;
    }
}

impl<T> Drop for Finish<T> {
    fn drop(&mut self) {
        if !self.sent {
            let _ = self.tx.send((self.seq, 0, None));
        }
    }
}

/// The next finished chunk. Called from a thread of the pool itself (a caller
/// inside `ThreadPool::install`), it runs queued chunks while it waits, so
/// that even a pool of one thread makes progress; elsewhere it blocks.
fn next_result<T>(rx: &mpsc::Receiver<T>) -> Option<T> {
    loop {
        match rx.try_recv() {
            Ok(t) => return Some(t),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) => {}
        }
        match rayon::yield_now() {
            Some(rayon::Yield::Executed) => {}
            // On a pool thread with nothing queued: the chunks run on other threads.
            Some(rayon::Yield::Idle) => {
                match rx.recv_timeout(std::time::Duration::from_millis(1)) {
                    Ok(t) => return Some(t),
                    Err(mpsc::RecvTimeoutError::Disconnected) => return None,
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                }
            }
            None => return rx.recv().ok(),
        }
    }
}
