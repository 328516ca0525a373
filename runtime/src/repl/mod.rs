//! `capz repl [FILE] [--param k=v]`: explore a program and the live state interactively.
//!
//! ```text
//!  terminal ──rustyline (frontend.rs: history, multi-line, Tab, hints)──┐
//!  piped stdin ──lines, continued while the parser says "unexpected end"──┤
//!                                                                      ▼
//!                       session.rs: Session::eval_line / complete / is_incomplete
//!                       (lang::session::Workspace re-compiles loaded file + typed items;
//!                        completion is lang::complete, shared with `capz lsp`;
//!                        :live/:diff/:plan through cli::target and the planner)
//! ```
//!
//! The session knows nothing of terminals, so tests drive it directly or through piped
//! stdin. With piped stdin nothing but results is printed (no prompt); `--echo` prints
//! each input after `> ` (continuation lines after `. `), which makes a transcript. The
//! exit code with piped stdin is 1 if any input failed, else 0.

pub mod frontend;
pub mod session;

#[cfg(test)]
mod tests;

use crate::cli::{Global, eprint_diagnostics, parse_params};
use clap::Args;
use lang::SourceMap;
use session::{Options, Session, TargetConfig};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

/// Environment variable: the history file (default `$XDG_DATA_HOME/capz/history`, else
/// `~/.local/share/capz/history`).
pub const ENV_HISTORY: &str = "CAPZ_REPL_HISTORY";

/// Arguments of `capz repl`.
#[derive(Args, Debug, Clone)]
pub struct ReplArgs {
    /// A .capz program to load first.
    pub file: Option<PathBuf>,
    /// Override a parameter: --param name=value (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// With piped input, print each input line after `> ` (a transcript).
    #[arg(long)]
    pub echo: bool,
}

/// Run `capz repl` (from the CLI's async context; the session blocks on the runtime).
pub async fn run(g: &Global, args: ReplArgs) -> u8 {
    let handle = tokio::runtime::Handle::current();
    let g = g.clone();
    tokio::task::block_in_place(move || run_blocking(g, args, handle))
}

fn run_blocking(global: Global, args: ReplArgs, handle: tokio::runtime::Handle) -> u8 {
    let params = match parse_params(&args.params) {
        Ok(p) => p,
        Err(d) => {
            eprint_diagnostics(&SourceMap::default(), &d);
            return 1;
        }
    };
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let color = tty && std::env::var_os("NO_COLOR").is_none();
    let mut session = Session::new(Options {
        color,
        params,
        target: Some(TargetConfig { global, handle }),
    });
    let mut failed = false;
    if let Some(f) = args.file {
        let out = session.load(Some(f));
        failed |= out.error;
        print!("{}", out.text);
    }
    let code = if tty {
        frontend::run(session, &history_path());
        0
    } else {
        let code = piped(&mut session, args.echo, failed);
        session.close();
        code
    };
    let _ = std::io::stdout().flush();
    code
}

/// Read inputs from a non-terminal stdin: lines join while the input is incomplete.
fn piped(session: &mut Session, echo: bool, mut failed: bool) -> u8 {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    let mut buffer = String::new();
    let mut lines = stdin.lock().lines();
    while let Some(Ok(line)) = lines.next() {
        if echo {
            let mark = if buffer.is_empty() { ">" } else { "." };
            let _ = writeln!(out, "{}", format!("{mark} {line}").trim_end());
        }
        if !buffer.is_empty() {
            buffer.push('\n');
        }
        buffer.push_str(&line);
        if session.is_incomplete(&buffer) {
            continue;
        }
        let o = session.eval_line(&std::mem::take(&mut buffer));
        failed |= o.error;
        let _ = write!(out, "{}", o.text);
        let _ = out.flush();
        if o.quit {
            return u8::from(failed);
        }
    }
    if !buffer.trim().is_empty() {
        let o = session.eval_line(&buffer);
        failed |= o.error;
        let _ = write!(out, "{}", o.text);
    }
    u8::from(failed)
}

/// Where history is kept: [`ENV_HISTORY`], else `$XDG_DATA_HOME/capz/history`, else
/// `$HOME/.local/share/capz/history`, else `.capz/history`.
pub fn history_path() -> PathBuf {
    if let Some(p) = std::env::var_os(ENV_HISTORY).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|p| !p.is_empty()) {
        return PathBuf::from(d).join("capz").join("history");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|p| !p.is_empty()) {
        return PathBuf::from(h).join(".local/share/capz/history");
    }
    PathBuf::from(".capz/history")
}
