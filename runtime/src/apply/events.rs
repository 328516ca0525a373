//! Apply progress: the events the engine emits and the line printer the CLI uses.
//!
//! On a terminal each line is `subject: verb...`; otherwise (CI logs, pipes) each line
//! starts with an RFC 3339 UTC timestamp, `[2026-11-21T07:26:14.123Z] vnet net: creating...` (milliseconds).
//! Durations are in seconds with one decimal.

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
    /// An operation was not started because apply was stopped (Ctrl-C).
    NotStarted {
        /// `vnet mgmt_net`.
        subject: String,
        /// What it would have done.
        action: Action,
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
        Event::NotStarted { subject, action } => {
            format!("{subject}: not started {} (interrupted)", action.verb())
        }
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
            let stamp = now
                .format(time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
                ))
                .unwrap_or_default();
            writeln!(self.out, "[{stamp}] {line}")
        } else {
            writeln!(self.out, "{line}")
        };
        let _ = self.out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_timestamped_only_off_terminal() {
        let e = Event::Finished {
            subject: "vnet net".into(),
            action: Action::Create,
            duration: Duration::from_millis(2340),
            ok: true,
        };
        assert_eq!(event_line(&e), "vnet net: created after 2.3s");
        let mut plain = LinePrinter::new(Vec::new(), false);
        plain.print(&e);
        assert_eq!(
            String::from_utf8(plain.out).unwrap(),
            "vnet net: created after 2.3s\n"
        );
        let mut stamped = LinePrinter::new(Vec::new(), true);
        stamped.print(&Event::Skipped {
            subject: "subnet net.nodes".into(),
            action: Action::Create,
            because: "vnet net".into(),
        });
        let out = String::from_utf8(stamped.out).unwrap();
        assert!(out.starts_with("[20"), "{out}");
        assert!(
            out.ends_with("Z] subnet net.nodes: skipped creating (vnet net failed)\n"),
            "{out}"
        );
    }
}
