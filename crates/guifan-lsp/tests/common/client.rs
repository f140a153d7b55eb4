//! A scripted LSP client for tests: `Content-Length` framing over any pair
//! of streams (an in-memory duplex, or a child process's pipes), requests
//! awaited by ID, notifications kept, requests from the server answered.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test helper: each test file uses part of it, and it fails loudly"
)]

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// How long a test waits for one message from the server.
pub const WAIT: Duration = Duration::from_secs(20);

/// A client talking to a server.
pub struct Client<R, W> {
    read: BufReader<R>,
    write: W,
    next_id: i64,
    /// Notifications received and not yet looked at
    pub notifications: VecDeque<Value>,
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> Client<R, W> {
    /// A client on the server's output `read` and input `write`.
    pub fn new(read: R, write: W) -> Self {
        Client {
            read: BufReader::new(read),
            write,
            next_id: 1,
            notifications: VecDeque::new(),
        }
    }

    async fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).unwrap();
        let head = format!("Content-Length: {}\r\n\r\n", body.len());
        self.write.write_all(head.as_bytes()).await.unwrap();
        self.write.write_all(&body).await.unwrap();
        self.write.flush().await.unwrap();
    }

    async fn receive(&mut self) -> Value {
        tokio::time::timeout(WAIT, async {
            let mut length = None;
            loop {
                let mut line = String::new();
                let n = self.read.read_line(&mut line).await.unwrap();
                assert!(n > 0, "the server closed its output");
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("Content-Length: ") {
                    length = Some(v.parse::<usize>().unwrap());
                }
            }
            let mut body = vec![0; length.expect("a Content-Length header")];
            self.read.read_exact(&mut body).await.unwrap();
            serde_json::from_slice(&body).unwrap()
        })
        .await
        .expect("a message from the server in time")
    }

    /// Sends a notification.
    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await;
    }

    /// Sends a request and returns its response (`result`, or the whole
    /// message when it is an error), keeping the notifications that come first.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        loop {
            let message = self.receive().await;
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return match message.get("error") {
                    Some(_) => message,
                    None => message["result"].clone(),
                };
            }
            self.keep(message).await;
        }
    }

    /// Keeps a notification; answers a request from the server with `null`.
    async fn keep(&mut self, message: Value) {
        match (message.get("id"), message.get("method")) {
            (Some(id), Some(_)) => {
                let id = id.clone();
                self.send(&json!({"jsonrpc": "2.0", "id": id, "result": null}))
                    .await;
            }
            (None, Some(_)) => self.notifications.push_back(message),
            _ => {}
        }
    }

    /// The first `publishDiagnostics` for `uri` that `accept` takes (those
    /// before it are skipped; waiting past [`WAIT`] fails the test).
    pub async fn diagnostics(
        &mut self,
        uri: &str,
        accept: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        loop {
            while let Some(n) = self.notifications.pop_front() {
                if n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri {
                    let diags = n["params"]["diagnostics"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    if accept(&diags) {
                        return diags;
                    }
                }
            }
            let message = self.receive().await;
            self.keep(message).await;
        }
    }

    /// `initialize` with a workspace folder, then `initialized`.
    pub async fn initialize(&mut self, folder: &str) -> Value {
        let result = self
            .request(
                "initialize",
                json!({
                    "capabilities": {},
                    "workspaceFolders": [{"uri": folder, "name": "guifan"}],
                }),
            )
            .await;
        self.notify("initialized", json!({})).await;
        result
    }

    /// `shutdown`, then `exit`.
    pub async fn stop(&mut self) {
        self.request("shutdown", Value::Null).await;
        self.notify("exit", Value::Null).await;
    }
}

/// A client over an in-memory duplex to a language server running in this
/// process.
pub type InMemory = Client<
    tokio::io::ReadHalf<tokio::io::DuplexStream>,
    tokio::io::WriteHalf<tokio::io::DuplexStream>,
>;

/// A server on one end of an in-memory duplex and a client on the other,
/// initialized on a workspace folder.
pub async fn in_memory(folder: &std::path::Path) -> InMemory {
    let (client_end, server_end) = tokio::io::duplex(1 << 22);
    let (server_read, server_write) = tokio::io::split(server_end);
    tokio::spawn(guifan_lsp::serve(server_read, server_write));
    let (read, write) = tokio::io::split(client_end);
    let mut client = Client::new(read, write);
    let init = client.initialize(&uri(folder)).await;
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    client
}

/// A `file:` URI for a path.
pub fn uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}
