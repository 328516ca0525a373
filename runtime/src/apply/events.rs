//! Apply progress: the events the engine emits and the line printer the CLI uses.
//!
//! On a terminal ([`LiveProgress`]) each running operation has a live line at the bottom,
//! `⠋ vnet net: creating... [12s]` (a spinner, its label, time since it started), and
//! finished, skipped and not-started lines are printed above the live ones. Otherwise (CI
//! logs, pipes: [`LinePrinter`]) every event is one line starting with an RFC 3339 UTC
//! timestamp, `[2026-11-21T07:26:14.123Z] vnet net: creating...` (milliseconds).
//! Durations are in seconds with one decimal.

use crate::plan::Action;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
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
    /// A running operation was abandoned (second Ctrl-C): capz stopped waiting for it, but
    /// ARM carries it on.
    Abandoned {
        /// `cluster aks`.
        subject: String,
        /// What it was doing.
        action: Action,
    },
    /// A running operation waits for something other than its own progress: a `429`'s
    /// `Retry-After`, a server error's backoff, a dropped connection, another operation on
    /// the resource. The live line shows it until the next wait or the end.
    Waiting {
        /// `cluster aks`.
        subject: String,
        /// What it does.
        action: Action,
        /// `throttled (HTTP 429 Throttled): retrying in 12s`.
        what: String,
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
        Action::Wait => "settled",
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
        Event::Waiting {
            subject,
            action,
            what,
        } => format!("{subject}: {}... {what}", action.verb()),
        Event::Abandoned { subject, action } => format!(
            "{subject}: abandoned while {} (ARM may still be running it)",
            action.verb()
        ),
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

/// What the live terminal display does for one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveUpdate {
    /// Add a live line for the operation on `subject`, showing `label` and elapsed time.
    Start {
        /// `vnet mgmt_net`: the key of the live line.
        subject: String,
        /// `vnet mgmt_net: creating...`.
        label: String,
    },
    /// Remove `subject`'s live line and print `line` above the live ones.
    Finish {
        /// `vnet mgmt_net`.
        subject: String,
        /// `vnet mgmt_net: created after 2.3s`.
        line: String,
    },
    /// Print `line` above the live ones (skipped, not started).
    Line(String),
    /// Change the label of `subject`'s live line (what it waits for now).
    Relabel {
        /// `cluster aks`.
        subject: String,
        /// `cluster aks: creating... throttled (HTTP 429): retrying in 12s`.
        label: String,
    },
}

/// The live display's reaction to `e`; the texts are [`event_line`]'s.
pub fn live_update(e: &Event) -> LiveUpdate {
    let line = event_line(e);
    match e {
        Event::Started { subject, .. } => LiveUpdate::Start {
            subject: subject.clone(),
            label: line,
        },
        Event::Finished { subject, .. } => LiveUpdate::Finish {
            subject: subject.clone(),
            line,
        },
        Event::Abandoned { subject, .. } => LiveUpdate::Finish {
            subject: subject.clone(),
            line,
        },
        Event::Skipped { .. } | Event::NotStarted { .. } => LiveUpdate::Line(line),
        Event::Waiting { subject, .. } => LiveUpdate::Relabel {
            subject: subject.clone(),
            label: line,
        },
    }
}

/// Live progress on a terminal: one spinner line per running operation with its label and
/// elapsed time (indicatif `MultiProgress`), finished lines printed above them.
pub struct LiveProgress {
    multi: MultiProgress,
    running: BTreeMap<String, ProgressBar>,
    style: ProgressStyle,
}

impl LiveProgress {
    /// A display drawn on stdout (use only when stdout is a terminal).
    pub fn stdout() -> Self {
        Self::with_target(ProgressDrawTarget::stdout())
    }

    /// A display drawn to `target` (`ProgressDrawTarget::hidden()` in tests).
    pub fn with_target(target: ProgressDrawTarget) -> Self {
        let style = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        LiveProgress {
            multi: MultiProgress::with_draw_target(target),
            running: BTreeMap::new(),
            style,
        }
    }

    /// Subjects with a live line now, in name order.
    pub fn running(&self) -> Vec<&str> {
        self.running.keys().map(String::as_str).collect()
    }

    /// Show one event (draw errors are ignored: progress is best effort).
    pub fn print(&mut self, e: &Event) {
        match live_update(e) {
            LiveUpdate::Start { subject, label } => {
                let bar = self.multi.add(ProgressBar::new_spinner());
                bar.set_style(self.style.clone());
                bar.set_message(label);
                bar.enable_steady_tick(Duration::from_millis(120));
                if let Some(old) = self.running.insert(subject, bar) {
                    old.finish_and_clear();
                    self.multi.remove(&old);
                }
            }
            LiveUpdate::Finish { subject, line } => {
                if let Some(bar) = self.running.remove(&subject) {
                    bar.finish_and_clear();
                    self.multi.remove(&bar);
                }
                let _ = self.multi.println(line);
            }
            LiveUpdate::Line(line) => {
                let _ = self.multi.println(line);
            }
            LiveUpdate::Relabel { subject, label } => {
                if let Some(bar) = self.running.get(&subject) {
                    bar.set_message(label);
                }
            }
        }
    }

    /// Remove every live line left (apply returned).
    pub fn finish(&mut self) {
        for (_, bar) in std::mem::take(&mut self.running) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        let _ = self.multi.clear();
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

    #[test]
    fn live_display_keeps_one_line_per_running_operation() {
        let start = |s: &str| Event::Started {
            subject: s.into(),
            action: Action::Create,
        };
        assert_eq!(
            live_update(&start("vnet net")),
            LiveUpdate::Start {
                subject: "vnet net".into(),
                label: "vnet net: creating...".into()
            }
        );
        let done = Event::Finished {
            subject: "vnet net".into(),
            action: Action::Create,
            duration: Duration::from_millis(1300),
            ok: false,
        };
        assert_eq!(
            live_update(&done),
            LiveUpdate::Finish {
                subject: "vnet net".into(),
                line: "vnet net: creating failed after 1.3s".into()
            }
        );
        let not = Event::NotStarted {
            subject: "aks c".into(),
            action: Action::Delete,
        };
        assert_eq!(
            live_update(&not),
            LiveUpdate::Line("aks c: not started deleting (interrupted)".into())
        );
        let mut live = LiveProgress::with_target(ProgressDrawTarget::hidden());
        live.print(&start("vnet net"));
        live.print(&start("group g"));
        assert_eq!(live.running(), vec!["group g", "vnet net"]);
        live.print(&done);
        assert_eq!(live.running(), vec!["group g"]);
        live.print(&not);
        assert_eq!(live.running(), vec!["group g"]);
        live.finish();
        assert!(live.running().is_empty());
    }
}
