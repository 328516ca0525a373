//! Programs assembled from pieces, for the REPL: evaluate an expression in the scope of a
//! program (its params, lets, resources and their fields, built-in functions).
//!
//! A REPL session is a loaded file plus definitions typed one line at a time. Rather than
//! a second, incremental checker, the session keeps every top-level item as a [`Piece`]
//! (a byte range of the file or of the typed line it came from) and re-compiles the whole
//! program each time, with [`crate::compile`]:
//!
//! ```text
//!  pieces (file items, typed items; a later piece replaces an earlier one with the same Key)
//!    + `stack "repl"` when none is declared
//!    + `output __repl_value = EXPR` for an expression
//!  ── joined into one root text ──▶ compile ──▶ Program, the expression's value and type
//!  ── spans mapped back ──▶ each diagnostic points into the file or typed line it came from
//! ```
//!
//! Every typed line is its own [`SourceFile`] (the REPL names them `<repl:N>`), so a
//! diagnostic renders with the line the user typed, not with the assembled text.
//! Pure, like the rest of lang: files come in as text, modules through a [`Loader`].

use crate::diagnostic::{self, Diagnostic};
use crate::program::Program;
use crate::schema::Catalog;
use crate::source::{FileId, Loader, SourceFile, SourceMap, Span};
use crate::syntax::{self, ast};
use crate::types::Type;
use crate::value::Value;

/// Name of the synthetic output that carries an evaluated expression.
pub const VALUE_OUTPUT: &str = "__repl_value";

/// What a top-level item defines; a later piece with the same key replaces an earlier one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// `stack "..."`.
    Stack,
    /// A param, let, `use` or resource: they share one namespace.
    Name(String),
    /// `output NAME`.
    Output(String),
    /// Items that define no single name (`for` loops, string-named resources): never replaced.
    Unnamed,
}

/// One top-level item: a byte range `start..end` of workspace file `file`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// The workspace file it is taken from.
    pub file: FileId,
    /// First byte, inclusive.
    pub start: usize,
    /// Last byte, exclusive.
    pub end: usize,
    /// What it defines.
    pub key: Key,
    /// `let x`, `param x`, `vnet x`, `stack`, `output x`, `for` (for messages).
    pub describe: String,
    /// Byte range of the defined name in the file (`x` of `let x = ...`), if it has one.
    pub name_at: Option<(usize, usize)>,
}

/// The files of a session: file 0 holds the synthetic text, then loaded files and typed
/// lines in the order they were added. Spans of everything the session compiles point into
/// these files.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// Files by [`FileId`].
    pub sources: SourceMap,
}

/// Text of file 0: the stack a session without one gets.
const SYNTHETIC: &str = "stack \"repl\"\n";

impl Default for Workspace {
    fn default() -> Self {
        Workspace::new()
    }
}

/// The result of [`Workspace::compile`].
#[derive(Debug)]
pub struct Evaluated {
    /// The workspace files, then the modules the program `use`s (spans point here).
    pub sources: SourceMap,
    /// The evaluated program (without the synthetic output), `None` on errors.
    pub program: Option<Program>,
    /// The expression's value and type, when one was given and there were no errors.
    pub value: Option<(Value, Type)>,
    /// Every diagnostic, spans mapped into the workspace files, sorted.
    pub diagnostics: Vec<Diagnostic>,
}

/// The part of a workspace file that holds an expression to evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExprRef {
    /// The file (a typed line).
    pub file: FileId,
    /// First byte of the expression.
    pub start: usize,
    /// Last byte, exclusive.
    pub end: usize,
}

/// One stretch of the assembled text and where it came from.
#[derive(Clone, Copy, Debug)]
struct Segment {
    at: usize,
    len: usize,
    file: FileId,
    origin: usize,
}

impl Workspace {
    /// A workspace holding only the synthetic file 0 (`<repl>`).
    pub fn new() -> Self {
        Workspace {
            sources: SourceMap::new(SourceFile::new("<repl>", SYNTHETIC)),
        }
    }

    /// Add a file (a loaded program or a typed line) and return its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.sources.add(file)
    }

    /// The text of file `id` (`""` when there is none).
    pub fn text(&self, id: FileId) -> &str {
        self.sources.get(id).map_or("", |f| &*f.text)
    }

    /// Parse file `id` as top-level items and return one [`Piece`] per item, or the
    /// syntax diagnostics (spans in that file).
    pub fn pieces(&self, id: FileId) -> Result<Vec<Piece>, Vec<Diagnostic>> {
        let text = self.text(id);
        let (file, diags) = syntax::parse(id, text);
        match file {
            Some(f) if !diagnostic::has_errors(&diags) => {
                Ok(f.items.iter().map(|i| piece_of(id, i)).collect())
            }
            _ => {
                let mut d = diags;
                diagnostic::sort(&mut d);
                Err(d)
            }
        }
    }

    /// The pieces that take effect, in order: a piece is dropped when a later one has the
    /// same key (so a typed redefinition takes the place of the earlier definition).
    pub fn effective(pieces: &[Piece]) -> Vec<&Piece> {
        let mut out: Vec<&Piece> = Vec::new();
        for (i, p) in pieces.iter().enumerate() {
            let replaced = p.key != Key::Unnamed && pieces[i + 1..].iter().any(|q| q.key == p.key);
            if !replaced {
                out.push(p);
            }
        }
        out
    }

    /// Compile `pieces` (a later piece replaces an earlier one with the same [`Key`]) as one
    /// program named `root_name` (modules resolve relative to it), plus `expr` as a
    /// synthetic output whose value and type are returned. A `stack "repl"` is added when
    /// no piece declares a stack. Diagnostics and program spans are mapped back into the
    /// workspace files. Never panics.
    pub fn compile(
        &self,
        pieces: &[Piece],
        expr: Option<ExprRef>,
        root_name: &str,
        loader: &dyn Loader,
        catalog: &Catalog,
        params: &[(String, String)],
    ) -> Evaluated {
        let mut text = String::new();
        let mut segments = Vec::new();
        let mut push = |text: &mut String, file: FileId, start: usize, end: usize| {
            let src = self.text(file);
            let piece = src.get(start..end).unwrap_or("");
            segments.push(Segment {
                at: text.len(),
                len: piece.len(),
                file,
                origin: start,
            });
            text.push_str(piece);
            text.push('\n');
        };
        let effective = Self::effective(pieces);
        if !effective.iter().any(|p| p.key == Key::Stack) {
            push(&mut text, 0, 0, SYNTHETIC.trim_end().len());
        }
        for p in &effective {
            push(&mut text, p.file, p.start, p.end);
        }
        if let Some(e) = expr {
            text.push_str("output ");
            text.push_str(VALUE_OUTPUT);
            text.push_str(" = ");
            push(&mut text, e.file, e.start, e.end);
        }
        let compiled = crate::compile(SourceFile::new(root_name, text), loader, catalog, params);
        let base = self.sources.files.len();
        let map = Mapper {
            segments: &segments,
            base,
        };
        let mut sources = self.sources.clone();
        for f in compiled.sources.files.iter().skip(1) {
            sources.add(f.clone());
        }
        let mut diagnostics: Vec<Diagnostic> = compiled
            .diagnostics
            .into_iter()
            .map(|mut d| {
                for l in &mut d.labels {
                    l.span = map.span(l.span);
                }
                d
            })
            .collect();
        diagnostic::sort(&mut diagnostics);
        let mut value = None;
        let program = compiled.program.map(|mut p| {
            if let Some(i) = p.outputs.iter().position(|o| o.name == VALUE_OUTPUT) {
                let o = p.outputs.remove(i);
                value = Some((o.value, o.ty));
            }
            map.program(&mut p);
            p
        });
        Evaluated {
            sources,
            program,
            value,
            diagnostics,
        }
    }
}

/// A catalog with the same kinds and functions and no rules: for evaluating expressions
/// in a program that some stdlib rule still refuses (the REPL reports rules on
/// definitions, not on every expression).
pub fn without_rules(catalog: &Catalog) -> Catalog {
    Catalog {
        kinds: catalog.kinds.clone(),
        functions: catalog.functions.clone(),
        rules: Vec::new(),
    }
}

/// Maps spans of the assembled root (file 0 of the compilation) back to workspace files,
/// and module files (1..) to `base + id - 1`.
struct Mapper<'a> {
    segments: &'a [Segment],
    base: usize,
}

impl Mapper<'_> {
    fn span(&self, s: Span) -> Span {
        if s.file != 0 {
            let id = self.base + s.file as usize - 1;
            return Span {
                file: u32::try_from(id).unwrap_or(u32::MAX),
                ..s
            };
        }
        let start = s.start as usize;
        // The segment holding `start`, else the next one (text between segments is
        // synthetic: `output __repl_value = `, separators), else the last.
        let seg = self
            .segments
            .iter()
            .find(|g| start < g.at + g.len.max(1))
            .or(self.segments.last());
        let Some(g) = seg else {
            return Span::new(0, 0, 0);
        };
        let rel_start = start.saturating_sub(g.at).min(g.len);
        let rel_end = (s.end as usize)
            .saturating_sub(g.at)
            .clamp(rel_start, g.len);
        Span::new(g.file, g.origin + rel_start, g.origin + rel_end)
    }

    fn program(&self, p: &mut Program) {
        p.stack_span = self.span(p.stack_span);
        for r in &mut p.resources {
            r.span = self.span(r.span);
            for f in r.fields.values_mut() {
                f.span = self.span(f.span);
            }
        }
        for o in &mut p.outputs {
            o.span = self.span(o.span);
        }
        for pv in &mut p.params {
            pv.span = self.span(pv.span);
        }
    }
}

fn piece_of(file: FileId, item: &ast::Item) -> Piece {
    let name_at = |i: &ast::Ident| Some((i.span.start as usize, i.span.end as usize));
    let (span, key, describe, name) = match item {
        ast::Item::Stack(s) => (s.span, Key::Stack, "stack".to_string(), None),
        ast::Item::Param(p) => (
            p.span,
            Key::Name(p.name.name.clone()),
            format!("param {}", p.name.name),
            name_at(&p.name),
        ),
        ast::Item::Let(l) => (
            l.span,
            Key::Name(l.name.name.clone()),
            format!("let {}", l.name.name),
            name_at(&l.name),
        ),
        ast::Item::Output(o) => (
            o.span,
            Key::Output(o.name.name.clone()),
            format!("output {}", o.name.name),
            None,
        ),
        ast::Item::Use(u) => (
            u.span,
            Key::Name(u.name.name.clone()),
            format!("use {}", u.name.name),
            name_at(&u.name),
        ),
        ast::Item::For(f) => (f.span, Key::Unnamed, format!("for {}", f.var.name), None),
        ast::Item::Resource(r) => match &r.name {
            ast::ResName::Ident(i) if r.index.is_none() => (
                r.span,
                Key::Name(i.name.clone()),
                format!("{} {}", r.kind.name, i.name),
                name_at(i),
            ),
            ast::ResName::Ident(i) => (
                r.span,
                Key::Unnamed,
                format!("{} {}", r.kind.name, i.name),
                None,
            ),
            ast::ResName::Str(_) => (r.span, Key::Unnamed, r.kind.name.clone(), None),
        },
    };
    Piece {
        file,
        start: span.start as usize,
        end: span.end as usize,
        key,
        describe,
        name_at: name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::NoLoader;

    fn catalog() -> Catalog {
        Catalog {
            kinds: Vec::new(),
            functions: Vec::new(),
            rules: Vec::new(),
        }
    }

    #[test]
    fn evaluates_an_expression_in_scope_of_typed_lets() {
        let mut w = Workspace::new();
        let a = w.add(SourceFile::new("<repl:1>", "let a = 40"));
        let b = w.add(SourceFile::new("<repl:2>", "a + 2"));
        let pieces = w.pieces(a).unwrap();
        assert_eq!(pieces[0].key, Key::Name("a".into()));
        let e = ExprRef {
            file: b,
            start: 0,
            end: 5,
        };
        let r = w.compile(&pieces, Some(e), "<repl>", &NoLoader, &catalog(), &[]);
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        assert_eq!(r.value, Some((Value::Int(42), Type::Int)));
        assert_eq!(r.program.unwrap().stack, "repl");
    }

    #[test]
    fn a_later_piece_replaces_one_with_the_same_key() {
        let mut w = Workspace::new();
        let one = w.add(SourceFile::new("<repl:1>", "let a = 1"));
        let two = w.add(SourceFile::new("<repl:2>", "let a = \"x\""));
        let q = w.add(SourceFile::new("<repl:3>", "a"));
        let mut pieces = w.pieces(one).unwrap();
        pieces.extend(w.pieces(two).unwrap());
        let e = ExprRef {
            file: q,
            start: 0,
            end: 1,
        };
        let r = w.compile(&pieces, Some(e), "<repl>", &NoLoader, &catalog(), &[]);
        assert_eq!(r.value, Some((Value::Str("x".into()), Type::String)));
    }

    #[test]
    fn diagnostics_point_into_the_typed_line() {
        let mut w = Workspace::new();
        let line = w.add(SourceFile::new("<repl:1>", ":type 1 + nope"));
        let e = ExprRef {
            file: line,
            start: 6,
            end: 14,
        };
        let r = w.compile(&[], Some(e), "<repl>", &NoLoader, &catalog(), &[]);
        assert!(r.value.is_none());
        let span = r.diagnostics[0].primary_span().unwrap();
        assert_eq!(span.file, line);
        assert_eq!(w.sources.snippet(span), "nope");
    }

    #[test]
    fn syntax_errors_of_a_line_carry_its_file() {
        let mut w = Workspace::new();
        let line = w.add(SourceFile::new("<repl:1>", "let a = [1,"));
        let d = w.pieces(line).unwrap_err();
        assert_eq!(d[0].code, "capz::syntax::unexpected-end");
        assert_eq!(d[0].primary_span().unwrap().file, line);
    }
}
