//! The terminal frontend of `capz repl`: rustyline with a [`ReplHelper`] that asks the
//! [`Session`] for completions (Tab), hints (a function's signature after `name(`, the
//! rest of a unique `:command`) and whether the input is complete (Enter inside an open
//! block or bracket starts a new line). History is kept in a file across sessions.
//! Ctrl-C cancels the line being edited, Ctrl-D ends the session.

use super::session::{Candidate, Session};
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::{Hint, Hinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper};
use std::borrow::Cow;
use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

/// The prompt of a new input.
pub const PROMPT: &str = "capz> ";

/// The rustyline helper: every question goes to the session.
pub struct ReplHelper {
    session: Rc<RefCell<Session>>,
    color: bool,
}

/// A completion as rustyline shows it.
pub struct Shown(Candidate);

impl rustyline::completion::Candidate for Shown {
    fn display(&self) -> &str {
        &self.0.display
    }
    fn replacement(&self) -> &str {
        &self.0.text
    }
}

/// A hint: shown dimmed after the cursor; `insert` is what → accepts (none for docs).
pub struct ReplHint {
    display: String,
    insert: Option<String>,
}

impl Hint for ReplHint {
    fn display(&self) -> &str {
        &self.display
    }
    fn completion(&self) -> Option<&str> {
        self.insert.as_deref()
    }
}

impl Completer for ReplHelper {
    type Candidate = Shown;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Shown>)> {
        let cands = self.session.borrow().complete(line, pos);
        let start = cands.first().map_or(pos, |c| c.start);
        Ok((start, cands.into_iter().map(Shown).collect()))
    }
}

impl Hinter for ReplHelper {
    type Hint = ReplHint;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<ReplHint> {
        if pos < line.len() || line.is_empty() {
            return None;
        }
        let session = self.session.borrow();
        let cands = session.complete(line, pos);
        // A unique `:command`: offer the rest of it.
        if line.starts_with(':') && !line.contains(char::is_whitespace) {
            if let [c] = cands.as_slice() {
                let rest = c.text.get(pos - c.start..).unwrap_or("").to_string();
                if !rest.is_empty() {
                    return Some(ReplHint {
                        display: rest.clone(),
                        insert: Some(rest),
                    });
                }
            }
            return None;
        }
        // After `name(`: the function's signature.
        let head = line.strip_suffix('(')?;
        let name_start = head
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let name = &head[name_start..];
        session
            .complete(head, head.len())
            .into_iter()
            .find(|c| c.text == format!("{name}("))
            .map(|c| ReplHint {
                display: format!("  {}", c.display),
                insert: None,
            })
    }
}

impl Highlighter for ReplHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        if self.session.borrow().is_incomplete(ctx.input()) {
            Ok(ValidationResult::Incomplete)
        } else {
            Ok(ValidationResult::Valid(None))
        }
    }
}

impl Helper for ReplHelper {}

/// Read inputs on the terminal until Ctrl-D or `:quit`; history in `history`.
pub fn run(session: Session, history: &Path) {
    let color = std::env::var_os("NO_COLOR").is_none();
    let session = Rc::new(RefCell::new(session));
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .build();
    let mut rl: Editor<ReplHelper, rustyline::history::DefaultHistory> =
        match Editor::with_config(config) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: cannot start the line editor: {e}");
                return;
            }
        };
    rl.set_helper(Some(ReplHelper {
        session: session.clone(),
        color,
    }));
    if let Some(dir) = history.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = rl.load_history(history);
    println!("capz repl: :help lists the commands, Ctrl-D exits");
    loop {
        match rl.readline(PROMPT) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = rl.add_history_entry(line.as_str());
                    let _ = rl.save_history(history);
                }
                let out = session.borrow_mut().eval_line(&line);
                print!("{}", out.text);
                let _ = std::io::stdout().flush();
                if out.quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
    drop(rl);
    if let Ok(cell) = Rc::try_unwrap(session) {
        cell.into_inner().close();
    }
}
