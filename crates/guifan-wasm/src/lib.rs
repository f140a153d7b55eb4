//! Guifan in the browser: the playground's engine, compiled to WebAssembly.
//!
//! Every operation takes the page's state as JSON (a [`Workspace`]: rule
//! files, parameters, records, an evaluation time) and answers JSON that
//! always carries a `problems` list: rule-file problems with their places in
//! UTF-16 units (as JavaScript and CodeMirror count them) and their fixes,
//! record problems at their lines. Nothing panics across the boundary; a
//! request the page got wrong is a problem too.
//!
//! ```
//! let ws = r#"{
//!   "files": [{"path": "p.policy", "text": "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 10 then e } }"}],
//!   "records": "{\"kind\":\"k\",\"id\":\"x\",\"n\":11}\n{\"kind\":\"k\",\"id\":\"y\",\"n\":7}",
//!   "at": "2024-01-01T00:00:00Z"
//! }"#;
//! let run: guifan::serde_json::Value = guifan::serde_json::from_str(&guifan_wasm::run(ws)).unwrap();
//! assert_eq!(run["records"], 2);
//! assert_eq!(run["decisions"], 1);
//! assert_eq!(run["decided"][0]["output"]["decisions"][0]["rule"], "a.b.r");
//! ```
//!
//! Built for the page by `playground/build.sh` (wasm-bindgen); the same
//! functions are plain Rust on every other target, and tested there.

pub mod answers;
pub mod places;
pub mod problems;
pub mod workspace;

use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;

pub use workspace::Workspace;

use problems::Problem;

/// The answer's JSON (serialising the answers cannot fail; if it did, the
/// page would still get a problem, not an exception).
fn answer(value: &impl Serialize) -> String {
    guifan::serde_json::to_string(value).unwrap_or_else(|e| {
        format!(
            r#"{{"problems":[{{"code":"guifan::internal","severity":"error","message":{},"anchor":"guifan-internal"}}]}}"#,
            guifan::serde_json::Value::String(e.to_string())
        )
    })
}

/// The answer to a request the page got wrong.
fn bad_request(message: String) -> String {
    #[derive(Serialize)]
    struct Refused {
        problems: Vec<Problem>,
    }
    answer(&Refused {
        problems: vec![Problem::general("guifan::playground::request", message)],
    })
}

/// Applies `op` to the workspace in `json`, or answers why it cannot be read.
fn with_workspace<T: Serialize>(json: &str, op: impl FnOnce(&Workspace) -> T) -> String {
    match Workspace::from_json(json) {
        Ok(ws) => answer(&op(&ws)),
        Err(message) => bad_request(message),
    }
}

/// Every problem of a workspace's rule files (syntax, checks, lints, with
/// fixes), parameters and time; and the policies it declares
/// ([`answers::check`]).
#[wasm_bindgen]
pub fn check(workspace: &str) -> String {
    with_workspace(workspace, answers::check)
}

/// One rule file in its canonical layout ([`answers::format`]).
#[wasm_bindgen]
pub fn format(path: &str, text: &str) -> String {
    answer(&answers::format(path, text))
}

/// Every record decided ([`answers::run`]).
#[wasm_bindgen]
pub fn run(workspace: &str) -> String {
    with_workspace(workspace, answers::run)
}

/// How the record with ID `subject` is decided ([`answers::explain`]).
#[wasm_bindgen]
pub fn explain(workspace: &str, subject: &str) -> String {
    with_workspace(workspace, |ws| answers::explain(ws, subject))
}

/// A `*.test.toml` text run against the workspace ([`answers::test`]).
#[wasm_bindgen]
pub fn test(workspace: &str, test_file: &str) -> String {
    with_workspace(workspace, |ws| answers::test(ws, test_file))
}

/// Records made from a test file's cases ([`answers::examples`]).
#[wasm_bindgen]
pub fn examples(workspace: &str, test_file: &str) -> String {
    with_workspace(workspace, |ws| answers::examples(ws, test_file))
}

/// This engine's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
