//! `guifan lsp`: the language server, on standard input and output, until
//! the editor says `exit`.

use super::error;
use crate::Exit;

/// Serves the language server protocol on standard input and output.
pub(crate) fn lsp() -> Exit {
    match guifan_lsp::run_stdio() {
        Ok(()) => Exit::Ok,
        Err(e) => error(format!("cannot start the language server: {e}")),
    }
}
