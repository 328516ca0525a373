//! The one diagnostic shape every phase reports, and its rendering.
//!
//! Parser, checker, evaluator, stdlib rules, planner and apply all produce
//! [`Diagnostic`]s: a stable code from [`crate::codes`], a severity, a message, labelled
//! spans (one primary, any number of secondary) and a help line. Problems are collected,
//! not thrown, then sorted by position ([`sort`]) and rendered together ([`render`]).
//! This module is the only user of miette.

use crate::source::{SourceMap, Span};
use std::fmt;

/// How bad a diagnostic is. Errors stop the pipeline after the phase that found them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Refuses the program (exit code 1).
    Error,
    /// Worth reading, does not stop anything (e.g. a field Azure ignores).
    Warning,
}

/// A span with a short message, e.g. "not inside 172.16.0.0/16".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there (may be empty).
    pub message: String,
    /// The primary label is where the problem is; secondary labels show other places involved.
    pub primary: bool,
}

/// One problem found in a program or while talking to ARM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code registered in [`crate::codes::CODES`], e.g. `capz::cidr::outside-service-cidr`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// One sentence saying what is wrong.
    pub message: String,
    /// Primary label first by convention; empty when there is no source (e.g. an ARM error
    /// for a resource that is not declared any more).
    pub labels: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with `code` and `message`, no labels yet.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// A warning with `code` and `message`, no labels yet.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Add the primary label.
    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// Add a secondary label (another place involved).
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    /// Set the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The primary span, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }
}

/// Sort diagnostics by (file, start, end, code) of their primary span; those without a span last.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| {
        let s = d.primary_span();
        (
            s.is_none(),
            s.map(|s| (s.file, s.start, s.end)),
            d.code,
            d.message.clone(),
        )
    });
}

/// True if any diagnostic is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}

/// Render diagnostics the way the CLI prints them: miette's graphical report with unicode
/// box drawing and no colour (stable for golden files), each followed by a blank line.
pub fn render(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    render_with(sources, diags, false)
}

/// Like [`render`], with ANSI colours when `color` is true (for terminals).
pub fn render_with(sources: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&render_one(sources, d, color));
    }
    out
}

fn render_one(sources: &SourceMap, d: &Diagnostic, color: bool) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
    // miette shows one source file per report: take the primary label's file and keep
    // labels in other files as notes in the help text.
    let file_id = d.primary_span().map(|s| s.file).unwrap_or(0);
    let file = sources.get(file_id);
    let mut labels = Vec::new();
    let mut notes = Vec::new();
    for l in &d.labels {
        if l.span.file == file_id && file.is_some() {
            let msg = if l.message.is_empty() {
                None
            } else {
                Some(l.message.clone())
            };
            let span = (l.span.start as usize, l.span.len());
            labels.push(if l.primary {
                LabeledSpan::new_primary_with_span(msg, span)
            } else {
                LabeledSpan::new_with_span(msg, span)
            });
        } else if let Some(f) = sources.get(l.span.file) {
            let (line, col) = f.line_col(l.span.start);
            notes.push(format!("{}:{}:{}: {}", f.name, line, col, l.message));
        }
    }
    let mut help = d.help.clone();
    if !notes.is_empty() {
        let n = notes.join("\n");
        help = Some(match help {
            Some(h) => format!("{h}\n{n}"),
            None => n,
        });
    }
    let report = Report {
        code: d.code,
        severity: d.severity,
        message: d.message.clone(),
        labels,
        help,
        source: file.map(|f| NamedSource::new(f.name.clone(), f.text.to_string())),
    };
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}[{}]: {}\n", severity_word(d.severity), d.code, d.message);
    }
    out.push('\n');
    out
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Adapter from [`Diagnostic`] to miette's trait, used only for rendering.
struct Report {
    code: &'static str,
    severity: Severity,
    message: String,
    labels: Vec<miette::LabeledSpan>,
    help: Option<String>,
    source: Option<miette::NamedSource<String>>,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h.clone()) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}
