//! `capz lsp`: the language server, JSON-RPC over stdin/stdout.
//!
//! ```text
//!  editor ──JSON-RPC (stdio)──▶ server.rs (lsp-server: framing, dispatch, debounce)
//!                                   │ plain calls, no transport
//!                                   ▼
//!                          analysis.rs: Backend (open documents; every feature)
//!                           │ parse (one function) ─▶ index.rs: symbols and their uses
//!                           │ lang::compile, like `capz check` ─▶ diagnostics, Program
//!                           │ lang::complete (shared with the REPL) ─▶ completion
//!                           │ lang::session (shared with the REPL) ─▶ values for hover
//!                           └ lang::fmt (as `capz fmt`) ─▶ formatting
//! ```
//!
//! The backend is tested without a transport (tests.rs); tests/tests/lsp.rs drives the real
//! binary over stdio, and editors/vscode's tests drive it through vscode-languageclient's
//! protocol library. Features and their sources are listed in docs/editors.md.

pub mod analysis;
pub mod convert;
pub mod index;
pub mod server;

#[cfg(test)]
mod tests;

use clap::Args;

/// Arguments of `capz lsp`.
#[derive(Args, Debug, Clone)]
pub struct LspArgs {
    /// Talk LSP over stdin/stdout (the only transport; accepted because clients such as
    /// vscode-languageclient pass it).
    #[arg(long)]
    pub stdio: bool,
}

/// Run the server on stdio until the client says `exit`. Exit code 0 after a clean
/// shutdown, 1 on a protocol error (reported on stderr, which clients show as the log).
pub fn run(_args: &LspArgs) -> u8 {
    let (conn, io) = lsp_server::Connection::stdio();
    let result = server::serve(&conn);
    drop(conn);
    let joined = io.join();
    match (result, joined) {
        (Ok(()), Ok(())) => 0,
        (Err(e), _) => {
            eprintln!("capz lsp: {e}");
            1
        }
        (_, Err(e)) => {
            eprintln!("capz lsp: {e}");
            1
        }
    }
}
