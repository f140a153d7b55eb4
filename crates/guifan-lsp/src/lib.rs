//! `guifan lsp`: the language server for Guifan rule files, over stdio.
//!
//! It works on rules directories (a workspace folder's `rules/`, the nearest
//! directory holding `schema/`, or what `guifan.toml` names) through
//! [`guifan::analysis`]: problems of every rule and test file as the author
//! types (with "did you mean" and lint fixes as quick fixes), hover,
//! definition, references, rename, symbols, folding, semantic tokens,
//! completion, formatting, a parameter's value as an inlay hint, and a "Run
//! tests" lens on each tested policy. Positions are UTF-16, as the protocol
//! wants.
//!
//! ```no_run
//! # async fn run() {
//! guifan_lsp::serve(tokio::io::stdin(), tokio::io::stdout()).await;
//! # }
//! ```

mod convert;
mod diagnostics;
mod lenses;
mod server;
mod testfile;
mod tokens;
mod workspace;

pub use lenses::{EXPLAIN, RUN_TESTS};
pub use server::{Backend, DEBOUNCE};

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::{LspService, Server};

/// Serves the protocol on a pair of streams until the client exits.
pub async fn serve<I, O>(input: I, output: O)
where
    I: AsyncRead + Unpin,
    O: AsyncWrite,
{
    let (service, socket) = LspService::new(Backend::new);
    Server::new(input, output, socket).serve(service).await;
}

/// Serves the protocol on standard input and output (`guifan lsp`).
pub fn run_stdio() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    Ok(())
}
