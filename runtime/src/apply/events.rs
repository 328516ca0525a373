//! Apply progress: the events the engine emits and the line printer the CLI uses.
//!
//! On a terminal each line is `subject: verb...`; otherwise (CI logs, pipes) each line
//! starts with a UTC timestamp `[HH:MM:SS]`. Durations are in seconds with one decimal.

use crate::plan::Action;
use std::io::Write;
use std::time::Duration;

/// One thing that happened during apply.
#[derive(Clone, Debug)]
pub enum Event {
    /// An operation started.
    Started {
        /// `vnet mgmt_net`.
        subject: String,
        /// What it does.
        action: Action,
    },
    /// An operation ended.
    Finished {
        /// `vnet mgmt_net`.
        subject: String,
        /// What it did.
        action: Action,
        /// Wall time it took.
        duration: Duration,
        /// Whether it succeeded.
        ok: bool,
    },
    /// An operation was not run because one it depends on failed.
    Skipped {
        /// `subnet mgmt_net.nodes`.
        subject: String,
        /// What it would have done.
        action: Action,
        /// The failed operation's subject.
        because: String,
    },
}

fn done_word(a: Action) -> &'static str {
    match a {
        Action::NoOp => "read",
        Action::Create => "created",
        Action::Update => "updated",
        Action::Replace => "replaced",
        Action::Delete => "deleted",
    }
}

/// The text of one event, without timestamp.
pub fn event_line(e: &Event) -> String {
    match e {
        Event::Started { subject, action } => format!("{subject}: {}...", action.verb()),
        Event::Finished {
            subject,
            action,
            duration,
            ok: true,
        } => format!(
            "{subject}: {} after {:.1}s",
            done_word(*action),
            duration.as_secs_f64()
        ),
        Event::Finished {
            subject,
            action,
            duration,
            ok: false,
        } => format!(
            "{subject}: {} failed after {:.1}s",
            action.verb(),
            duration.as_secs_f64()
        ),
        Event::Skipped {
            subject,
            action,
            because,
        } => format!("{subject}: skipped {} ({because} failed)", action.verb()),
    }
}

/// Prints events as lines to a writer; timestamped unless it is a terminal.
pub struct LinePrinter<W: Write> {
    out: W,
    timestamps: bool,
}

impl<W: Write> LinePrinter<W> {
    /// A printer to `out`; `timestamps` when the output is not a terminal.
    pub fn new(out: W, timestamps: bool) -> Self {
        LinePrinter { out, timestamps }
    }

    /// Print one event (write errors are ignored: progress is best effort).
    pub fn print(&mut self, e: &Event) {
        let line = event_line(e);
        let _ = if self.timestamps {
            let now = time::OffsetDateTime::now_utc();
            writeln!(
                self.out,
                "[{:02}:{:02}:{:02}] {line}",
                now.hour(),
                now.minute(),
                now.second()
            )
        } else {
            writeln!(self.out, "{line}")
        };
        let _ = self.out.flush();
    }
}
