//! How fast the language server answers, over the in-memory protocol (what
//! an editor waits for, JSON-RPC included): problems after an edit (the
//! 40 ms pause included), hover and completion, on the bundled catalogue and
//! on a rules directory of 1,000 policies, all of them open.
//!
//!     cargo bench -p guifan-lsp --bench editor [-- POLICIES]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "a benchmark fails loudly"
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::client::{in_memory, uri, InMemory as Duplex};
use common::scenarios::{position, repo};
use serde_json::{json, Value};

fn summary(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{what:<58} median {:>7.2} ms   p95 {:>7.2} ms   max {:>7.2} ms   ({} runs)",
        ms(p(0.5)),
        ms(p(0.95)),
        ms(*times.last().unwrap()),
        times.len()
    );
}

/// Edits that toggle a misspelling, each timed until its problems arrive.
async fn edits(client: &mut Duplex, u: &str, text: &str, runs: usize) -> Vec<Duration> {
    let bad = text.replacen("listings_online >", "listings_onlin >", 1);
    let mut times = Vec::new();
    for i in 0..runs {
        let broken = i % 2 == 0;
        let now = if broken { &bad } else { text };
        let started = Instant::now();
        client
            .notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": u, "version": i + 2}, "contentChanges": [{"text": now}]}),
            )
            .await;
        client.diagnostics(u, |d| d.is_empty() != broken).await;
        times.push(started.elapsed());
    }
    times
}

async fn requests(client: &mut Duplex, method: &str, params: Value, runs: usize) -> Vec<Duration> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let answer = client.request(method, params.clone()).await;
        assert!(!answer.is_null(), "{method}: {answer}");
        times.push(started.elapsed());
    }
    times
}

async fn measure(label: &str, folder: &Path, policy: &Path, open_too: &[PathBuf]) {
    let mut client = in_memory(folder).await;
    let rss_before = rss_kib();
    for path in open_too {
        let text = std::fs::read_to_string(path).unwrap();
        client
            .notify(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": uri(path), "languageId": "guifan", "version": 1, "text": text}}),
            )
            .await;
    }
    let text = std::fs::read_to_string(policy).unwrap();
    let u = uri(policy);
    client
        .notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": u, "languageId": "guifan", "version": 1, "text": text}}),
        )
        .await;
    client.diagnostics(&u, |_| true).await;
    summary(
        &format!("{label}: edit → problems (40 ms pause included)"),
        edits(&mut client, &u, &text, 20).await,
    );
    let hover =
        json!({"textDocument": {"uri": u}, "position": position(&text, "deposit.balance >=", 9)});
    summary(
        &format!("{label}: hover"),
        requests(&mut client, "textDocument/hover", hover, 100).await,
    );
    let edited = text.replacen("and deposit.balance >=", "and deposit. >=", 1);
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": 1000}, "contentChanges": [{"text": edited}]}),
        )
        .await;
    let complete =
        json!({"textDocument": {"uri": u}, "position": position(&edited, "and deposit. >=", 12)});
    summary(
        &format!("{label}: completion after `deposit.`"),
        requests(&mut client, "textDocument/completion", complete, 100).await,
    );
    if let (Some(before), Some(after)) = (rss_before, rss_kib()) {
        println!(
            "{label}: resident memory {:.1} MiB, {:+.1} MiB since the server started",
            after as f64 / 1024.0,
            (after as f64 - before as f64) / 1024.0
        );
    }
    client.stop().await;
}

/// The resident memory of this process, in KiB (Linux).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A rules directory of `n` policies: the bundled schema and copies of the
/// bundled policies under new IDs (as scripts/many_policies.sh writes).
fn many_policies(n: usize) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("rules");
    std::fs::create_dir_all(root.join("schema")).unwrap();
    for entry in std::fs::read_dir(repo().join("rules/schema")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, root.join("schema").join(p.file_name().unwrap())).unwrap();
    }
    let bundled: Vec<PathBuf> = guifan::rule_files(&repo().join("rules"))
        .unwrap()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "policy"))
        .collect();
    let mut out = Vec::new();
    for i in 0..n {
        let source = &bundled[i % bundled.len()];
        let text = std::fs::read_to_string(source).unwrap();
        let id_line = text.lines().find(|l| l.starts_with("policy ")).unwrap();
        let id = id_line.split_whitespace().nth(1).unwrap();
        let renamed = text.replacen(id_line, &format!("policy {id}_{i} {{"), 1);
        let sub = root.join(format!("p{}", i / 100));
        std::fs::create_dir_all(&sub).unwrap();
        let stem = source.file_stem().unwrap().to_string_lossy();
        let path = sub.join(format!("{stem}_{i}.policy"));
        std::fs::write(&path, renamed).unwrap();
        out.push(path);
    }
    (dir, out)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let policy = repo().join("rules/douyin/zero_deposit_trial.policy");
        measure("catalogue (14 policies)", &repo(), &policy, &[]).await;
        let (dir, paths) = many_policies(n);
        let policy = paths
            .iter()
            .find(|p| p.to_string_lossy().contains("zero_deposit_trial"))
            .unwrap()
            .clone();
        let others: Vec<PathBuf> = paths.iter().filter(|p| **p != policy).cloned().collect();
        measure(
            &format!("{n} policies, all open"),
            dir.path(),
            &policy,
            &others,
        )
        .await;
    });
}
