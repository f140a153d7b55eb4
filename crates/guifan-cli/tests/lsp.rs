//! `guifan lsp` over stdio, the real binary: what an editor sees.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

#[path = "../../guifan-lsp/tests/common/client.rs"]
mod client;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use client::{uri, Client};
use serde_json::json;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

#[tokio::test]
async fn over_stdio_a_misspelt_field_is_diagnosed_fixed_and_cleared() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_guifan"))
        .args(["lsp", "--stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut client = Client::new(child.stdout.take().unwrap(), child.stdin.take().unwrap());
    let init = client.initialize(&uri(&repo())).await;
    assert_eq!(init["serverInfo"]["name"], "guifan");

    let path = repo().join("rules/douyin/zero_deposit_trial.policy");
    let good = std::fs::read_to_string(&path).unwrap();
    let bad = good.replacen("listings_online >", "listings_onlin >", 1);
    let u = uri(&path);
    client
        .notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": u, "languageId": "guifan", "version": 1, "text": bad}}),
        )
        .await;
    let diags = client.diagnostics(&u, |d| !d.is_empty()).await;
    let d = diags
        .iter()
        .find(|d| d["code"] == "guifan::check::unknown_field")
        .unwrap();
    assert!(d["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `listings_online`"));
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": u}, "range": d["range"], "context": {"diagnostics": [d]}}),
        )
        .await;
    let edit = &actions[0]["edit"]["changes"][&u][0];
    assert_eq!(edit["newText"], "listings_online");
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"range": edit["range"], "text": "listings_online"}]}),
        )
        .await;
    let after = client.diagnostics(&u, |d| d.is_empty()).await;
    assert!(after.is_empty(), "{after:?}");

    // Hover, over the same pipe.
    let text = good;
    let at = text.find("deposit.balance >=").unwrap() + "deposit.".len();
    let line = text[..at].matches('\n').count();
    let col = text[text[..at].rfind('\n').unwrap() + 1..at]
        .encode_utf16()
        .count();
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": u}, "position": {"line": line, "character": col}}),
        )
        .await;
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("balance: money"));

    client.stop().await;
    let status = tokio::time::timeout(client::WAIT, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}
