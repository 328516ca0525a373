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

/// The closing line of a run with errors, counting what was reported:
/// `error: 3 problems (2 errors, 1 warning)`. `None` when no diagnostic is an error.
pub fn summary(diags: &[Diagnostic]) -> Option<String> {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors == 0 {
        return None;
    }
    let warnings = diags.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut counts = plural(errors, "error");
    if warnings > 0 {
        counts.push_str(&format!(", {}", plural(warnings, "warning")));
    }
    Some(format!(
        "error: {} ({counts})",
        plural(diags.len(), "problem")
    ))
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
    let here: Vec<(usize, usize)> = d
        .labels
        .iter()
        .filter(|l| l.span.file == file_id)
        .map(|l| (l.span.start as usize, l.span.end as usize))
        .collect();
    let shown = file.map(|f| Shown::new(&f.text, &here));
    let mut labels = Vec::new();
    let mut notes = Vec::new();
    if let Some(c) = shown.as_ref().and_then(|s| s.cropped) {
        notes.push(format!(
            "line {} is {} characters long: shown from column {} on",
            c.line, c.chars, c.first_col
        ));
    }
    for l in &d.labels {
        if l.span.file == file_id
            && let Some(shown) = &shown
        {
            let msg = if l.message.is_empty() {
                None
            } else {
                Some(l.message.clone())
            };
            let start = shown.map(l.span.start as usize);
            let end = shown.map(l.span.end as usize).max(start);
            let span = (start, end - start);
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
        source: file
            .zip(shown)
            .map(|(f, s)| NamedSource::new(f.name.clone(), s.text)),
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

/// Longest line (in bytes) handed to miette as is; longer lines are cropped around their
/// labels. miette pads with `{:width$}`, and std refuses widths past 65,535, so a label
/// far out on a long line would otherwise panic.
const MAX_SHOWN_LINE: usize = 400;

/// The source text as rendered: lines longer than [`MAX_SHOWN_LINE`] cropped (with `…`
/// at the cut ends), line numbers unchanged, and the offset map for labels.
struct Shown {
    text: String,
    /// The cropped lines, in order.
    crops: Vec<CropMap>,
    cropped: Option<Crop>,
}

/// The first cropped line that holds a label, for a note under the report.
#[derive(Clone, Copy)]
struct Crop {
    line: usize,
    chars: usize,
    first_col: usize,
}

impl Shown {
    fn new(text: &str, labels: &[(usize, usize)]) -> Shown {
        if text.split('\n').all(|l| l.len() <= MAX_SHOWN_LINE) {
            return Shown {
                text: text.to_string(),
                crops: Vec::new(),
                cropped: None,
            };
        }
        let mut out = String::with_capacity(text.len().min(1 << 20));
        let mut crops = Vec::new();
        let mut cropped = None;
        let mut start = 0;
        for (n, line) in text.split_inclusive('\n').enumerate() {
            let body = line.strip_suffix('\n').unwrap_or(line);
            if body.len() <= MAX_SHOWN_LINE {
                out.push_str(line);
                start += line.len();
                continue;
            }
            let end = start + body.len();
            let first = labels
                .iter()
                .filter(|(s, e)| *s <= end && *e >= start)
                .map(|(s, _)| (*s).max(start) - start)
                .min();
            let floor = |mut i: usize| {
                while i > 0 && !body.is_char_boundary(i) {
                    i -= 1;
                }
                i
            };
            let lo = floor(first.map_or(0, |f| f.saturating_sub(60)));
            let hi = floor((lo + MAX_SHOWN_LINE).min(body.len()));
            if lo > 0 {
                out.push('…');
            }
            let new_lo = out.len();
            out.push_str(&body[lo..hi]);
            if hi < body.len() {
                out.push('…');
            }
            crops.push(CropMap {
                line_start: start,
                line_end: end,
                lo: start + lo,
                hi: start + hi,
                new_lo,
                new_line_end: out.len(),
            });
            if line.len() > body.len() {
                out.push('\n');
            }
            if cropped.is_none() && first.is_some() {
                cropped = Some(Crop {
                    line: n + 1,
                    chars: body.chars().count(),
                    first_col: body[..lo].chars().count() + 1,
                });
            }
            start += line.len();
        }
        Shown {
            text: out,
            crops,
            cropped,
        }
    }

    /// Where original offset `o` is in the shown text.
    fn map(&self, o: usize) -> usize {
        let mut shift: isize = 0;
        for c in &self.crops {
            if o < c.line_start {
                break;
            }
            if o <= c.line_end {
                return c.new_lo + (o.clamp(c.lo, c.hi) - c.lo);
            }
            shift = c.new_line_end as isize - c.line_end as isize;
        }
        o.saturating_add_signed(shift)
    }
}

/// One cropped line: original offsets and where its kept part went.
struct CropMap {
    line_start: usize,
    /// End of the line's text (before its newline).
    line_end: usize,
    lo: usize,
    hi: usize,
    new_lo: usize,
    new_line_end: usize,
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
