//! The language server's backend: open documents and every LSP feature as a plain method
//! over them, with no transport (the tests call it directly; [`super::server`] wires it to
//! JSON-RPC).
//!
//! ```text
//!  text of an open file ──parse (one function: parse)──▶ syntax tree ──Index::build──▶ symbols, uses
//!                      └──lang::compile (same as `capz check`; modules via the overlay
//!                         loader: open buffers first, then disk)──▶ diagnostics, Program
//! ```
//!
//! A [`Document`] keeps the last *good* analysis (a tree that parsed, and the last program
//! that evaluated) next to the current text, so hover, completion, definition and the
//! outline keep working while the file is half typed; diagnostics always belong to the
//! current text. Nothing here restates Azure knowledge: docs, types, defaults, ARM paths
//! and replacement flags are the catalog's ([`lang::schema`]), diagnostics and helps are
//! the checker's and stdlib's.

use super::convert::{LineIndex, path_to_uri, uri_to_path};
use super::index::{Index, SymbolKind};
use crate::loader::FsLoader;
use lang::complete::{self, CandidateKind, ModuleParam, Scope, ScopeName};
use lang::schema::{ArmMapping, FieldDef, KindDef};
use lang::session::{ExprRef, Workspace};
use lang::source::{Loader, Span};
use lang::syntax::ast;
use lang::{Catalog, Diagnostic, Program, Severity, SourceFile, SourceMap};
use lsp_types as lsp;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

/// Parse a file's text: the tree (when there is one, possibly with errors inside
/// well-formed tokens, or partial from a parser that recovers) and the syntax diagnostics.
///
/// The one place the server calls the parser, so a parser that recovers from errors (and
/// returns a partial tree with several diagnostics) drops in here. The diagnostics users
/// see come from [`lang::compile`], which parses again.
pub fn parse(text: &str) -> (Option<ast::File>, Vec<Diagnostic>) {
    lang::syntax::parse(0, text)
}

/// What the last text that parsed gave.
#[derive(Debug)]
pub struct Good {
    /// That text's lines.
    pub lines: LineIndex,
    /// Its syntax tree.
    pub tree: ast::File,
    /// Its symbols and their uses.
    pub index: Index,
    /// Spans of bare words the checker resolved as enum words.
    pub enum_words: HashSet<Span>,
}

/// One open document.
#[derive(Debug)]
pub struct Document {
    /// Its URI as the client sent it.
    pub uri: lsp::Uri,
    /// Its path (`None` for unsaved `untitled:` buffers: modules then cannot be resolved).
    pub path: Option<PathBuf>,
    /// The client's version of the text.
    pub version: i32,
    /// The current text.
    pub lines: LineIndex,
    /// The last analysis whose text parsed (possibly of an earlier version).
    pub good: Option<Good>,
    /// The last program that evaluated without errors, and its sources.
    pub program: Option<(Program, SourceMap)>,
    /// Diagnostics of the current text by file URI (this file and the modules it uses).
    pub diagnostics: BTreeMap<String, (lsp::Uri, Vec<lsp::Diagnostic>)>,
    /// Whether the text changed since the last analysis.
    pub dirty: bool,
}

impl Document {
    /// The name the compiler gives the file (its path; the URI for unsaved buffers).
    pub fn name(&self) -> String {
        self.path.as_ref().map_or_else(
            || self.uri.as_str().to_string(),
            |p| p.display().to_string(),
        )
    }
}

/// The open documents and the catalog: everything the server knows.
pub struct Backend {
    catalog: &'static Catalog,
    docs: HashMap<String, Document>,
}

impl Default for Backend {
    fn default() -> Self {
        Backend::new()
    }
}

/// Loads modules from open buffers first (their unsaved text), then from disk.
struct Overlay<'a> {
    open: HashMap<PathBuf, Arc<str>>,
    disk: &'a FsLoader,
}

impl Loader for Overlay<'_> {
    fn load(&self, from: &str, path: &str) -> Result<SourceFile, String> {
        let f = self.disk.load(from, path);
        let name = match &f {
            Ok(f) => f.name.clone(),
            Err(_) => {
                let p = std::path::Path::new(from)
                    .parent()
                    .map_or_else(|| PathBuf::from(path), |d| d.join(path));
                p.display().to_string()
            }
        };
        match self.open.get(&PathBuf::from(&name)) {
            Some(text) => Ok(SourceFile::new(name, text.clone())),
            None => f,
        }
    }
}

/// The legend of [`Backend::semantic_tokens`]: token types by index.
pub const TOKEN_TYPES: &[&str] = &[
    "type",       // 0 resource kind keywords
    "property",   // 1 field names
    "enumMember", // 2 enum words
    "variable",   // 3 lets, for variables
    "function",   // 4 built-in functions
    "class",      // 5 resources (declared names and references)
    "parameter",  // 6 params
    "namespace",  // 7 modules
    "struct",     // 8 blocks (`network { }`)
];

/// The legend's token modifiers (bit 0).
pub const TOKEN_MODIFIERS: &[&str] = &["declaration"];

/// The title of the rename annotation that pins a resource's ARM name.
pub const PIN_ANNOTATION: &str = "pin-arm-name";

impl Backend {
    /// No open documents.
    pub fn new() -> Backend {
        Backend {
            catalog: stdlib::catalog(),
            docs: HashMap::new(),
        }
    }

    /// Open (or replace) a document; it is analysed by the next [`Backend::analyze`].
    pub fn open(&mut self, uri: lsp::Uri, text: &str, version: i32) {
        let path = uri_to_path(&uri);
        let key = uri.as_str().to_string();
        let old = self.docs.remove(&key);
        self.docs.insert(
            key,
            Document {
                uri,
                path,
                version,
                lines: LineIndex::new(text.into()),
                good: old.and_then(|d| d.good),
                program: None,
                diagnostics: BTreeMap::new(),
                dirty: true,
            },
        );
    }

    /// Replace the text of an open document (full sync); unknown documents are opened.
    pub fn change(&mut self, uri: lsp::Uri, text: &str, version: i32) {
        match self.docs.get_mut(uri.as_str()) {
            Some(d) => {
                d.lines = LineIndex::new(text.into());
                d.version = version;
                d.dirty = true;
            }
            None => self.open(uri, text, version),
        }
    }

    /// Forget a closed document; returns the URIs whose diagnostics should be cleared.
    pub fn close(&mut self, uri: &lsp::Uri) -> Vec<lsp::Uri> {
        self.docs
            .remove(uri.as_str())
            .map(|d| d.diagnostics.into_values().map(|(u, _)| u).collect())
            .unwrap_or_default()
    }

    /// The open document, if any.
    pub fn document(&self, uri: &lsp::Uri) -> Option<&Document> {
        self.docs.get(uri.as_str())
    }

    /// URIs of the documents changed since they were last analysed.
    pub fn dirty(&self) -> Vec<lsp::Uri> {
        self.docs
            .values()
            .filter(|d| d.dirty)
            .map(|d| d.uri.clone())
            .collect()
    }

    /// Analyse a document's current text (parse, index, compile like `capz check`) and
    /// return its diagnostics by file: this file first, then each module it uses (a file
    /// with no diagnostic gets an empty list, so the client clears old ones).
    pub fn analyze(&mut self, uri: &lsp::Uri) -> Vec<(lsp::Uri, Vec<lsp::Diagnostic>)> {
        let open: HashMap<PathBuf, Arc<str>> = self
            .docs
            .values()
            .filter_map(|d| Some((d.path.clone()?, Arc::from(d.lines.text()))))
            .collect();
        let catalog = self.catalog;
        let Some(doc) = self.docs.get_mut(uri.as_str()) else {
            return Vec::new();
        };
        doc.dirty = false;
        let text: Arc<str> = Arc::from(doc.lines.text());
        let (tree, _) = parse(&text);
        if let Some(tree) = tree {
            let index = Index::build(&tree, catalog);
            let (checked, _) = lang::check::check(&tree, catalog, &[]);
            let enum_words = checked.enum_words.clone();
            drop(checked);
            doc.good = Some(Good {
                lines: LineIndex::new(text.clone()),
                tree,
                index,
                enum_words,
            });
        }
        let loader = Overlay {
            open,
            disk: &FsLoader,
        };
        let name = doc.name();
        let compiled = lang::compile(SourceFile::new(name, text), &loader, catalog, &[]);
        let mut by_file: BTreeMap<String, (lsp::Uri, Vec<lsp::Diagnostic>)> = BTreeMap::new();
        let uri_of = |id: u32| -> Option<lsp::Uri> {
            if id == 0 {
                return Some(doc.uri.clone());
            }
            let f = compiled.sources.get(id)?;
            path_to_uri(std::path::Path::new(&f.name))
        };
        by_file.insert(doc.uri.as_str().to_string(), (doc.uri.clone(), Vec::new()));
        for f in compiled.sources.files.iter().skip(1) {
            if let Some(u) = path_to_uri(std::path::Path::new(&f.name)) {
                by_file.insert(u.as_str().to_string(), (u, Vec::new()));
            }
        }
        for d in &compiled.diagnostics {
            let file = d.primary_span().map_or(0, |s| s.file);
            let Some(u) = uri_of(file) else { continue };
            let ld = to_lsp_diagnostic(d, &compiled.sources, &uri_of);
            by_file
                .entry(u.as_str().to_string())
                .or_insert_with(|| (u.clone(), Vec::new()))
                .1
                .push(ld);
        }
        if let Some(p) = compiled.program {
            doc.program = Some((p, compiled.sources));
        }
        // Files that had diagnostics before and have none now are cleared too.
        for (k, (u, _)) in std::mem::take(&mut doc.diagnostics) {
            by_file.entry(k).or_insert((u, Vec::new()));
        }
        doc.diagnostics = by_file.clone();
        let mut out: Vec<(lsp::Uri, Vec<lsp::Diagnostic>)> = Vec::new();
        if let Some(own) = by_file.remove(uri.as_str()) {
            out.push(own);
        }
        out.extend(by_file.into_values());
        out
    }

    /// The document and its last good analysis, with `pos` as a byte offset of that text.
    fn good_at(&self, uri: &lsp::Uri, pos: lsp::Position) -> Option<(&Document, &Good, u32)> {
        let doc = self.docs.get(uri.as_str())?;
        let good = doc.good.as_ref()?;
        let offset = good.lines.offset(pos);
        Some((doc, good, offset))
    }

    // ---- hover -------------------------------------------------------------------------

    /// Hover at `pos`: a field's doc line, type, default, ARM path and whether changing it
    /// forces replacement; a kind's doc and ARM type; a name's kind and declaration; a
    /// function's signature; and the evaluated value of the expression under the cursor
    /// when it is known before apply.
    pub fn hover(&self, uri: &lsp::Uri, pos: lsp::Position) -> Option<lsp::Hover> {
        let (doc, good, at) = self.good_at(uri, pos)?;
        let within = |s: &Span| s.start <= at && at <= s.end;
        let mut parts: Vec<String> = Vec::new();
        let mut range: Option<Span> = None;
        if let Some((name, site)) = good.index.fields.iter().find(|(_, s)| within(&s.span)) {
            let def = site.kind.and_then(|k| match site.block {
                Some(b) => k
                    .block(b)
                    .and_then(|b| b.fields.iter().find(|f| f.name == name)),
                None => k.fields.iter().find(|f| f.name == name),
            });
            if let Some(f) = def {
                parts.push(field_markdown(site.kind, site.block, f));
                range = Some(site.span);
            }
        } else if let Some((span, Some(kind))) = good.index.kinds.iter().find(|(s, _)| within(s)) {
            parts.push(kind_markdown(kind));
            range = Some(*span);
        } else if let Some(i) = good.index.symbol_at(at) {
            let s = &good.index.symbols[i];
            let line = good.lines.position(s.name_span.start).line + 1;
            let mut md = format!("```capz\n{} {}\n```\n", s.kind.describe(), s.name);
            if let SymbolKind::Resource(k) = &s.kind
                && let Some(kind) = self.catalog.kind(k)
            {
                md.push_str(&format!("\n{}\n", kind.doc));
                if let Some((p, _)) = &doc.program {
                    let addr = good.index.address(i);
                    if let Some(r) = p.resources.iter().find(|r| r.address.to_string() == addr) {
                        md.push_str(&format!("\nARM name `{}` ({})\n", r.name, kind.arm_type));
                    }
                }
            }
            md.push_str(&format!("\ndeclared on line {line}"));
            parts.push(md);
            range = good
                .index
                .refs
                .iter()
                .map(|(s, _)| *s)
                .chain([s.name_span])
                .find(within);
        } else if let Some(span) = good.index.calls.iter().find(|s| within(s)) {
            let name = good
                .lines
                .text()
                .get(span.start as usize..span.end as usize)?;
            if let Some(f) = self.catalog.function(name) {
                parts.push(format!("```capz\n{}\n```\n\n{}", f.signature, f.doc));
                range = Some(*span);
            }
        } else if let Some((span, name, m)) =
            good.index.module_outputs.iter().find(|(s, _, _)| within(s))
        {
            let module = &good.index.symbols[*m];
            parts.push(format!("output `{name}` of module `{}`", module.name));
            range = Some(*span);
        }
        if let Some(e) = good.index.expr_at(at)
            && let Some(value) = self.value_of(doc, good, e)
        {
            parts.push(format!("value: `{value}`"));
            range = range.or(Some(e));
        }
        if parts.is_empty() {
            return None;
        }
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: parts.join("\n\n---\n\n"),
            }),
            range: range.map(|s| good.lines.range(s.start, s.end)),
        })
    }

    /// The value of the expression at `span` of the good text, evaluated in the scope of the
    /// program (like the REPL evaluates a typed expression), when it is known before apply.
    fn value_of(&self, doc: &Document, good: &Good, span: Span) -> Option<String> {
        let text = good.lines.text();
        let snippet = text.get(span.start as usize..span.end as usize)?;
        // A literal says its own value.
        if lang::syntax::parse_expr(0, snippet).is_ok_and(|e| {
            matches!(e.kind, ast::ExprKind::Int(_) | ast::ExprKind::Bool(_))
                || e.plain_str().is_some()
        }) {
            return None;
        }
        let mut ws = Workspace::new();
        let id = ws.add(SourceFile::new(doc.name(), text));
        let pieces = ws.pieces(id).ok()?;
        let e = ExprRef {
            file: id,
            start: span.start as usize,
            end: span.end as usize,
        };
        let rules_free = lang::session::without_rules(self.catalog);
        let r = ws.compile(&pieces, Some(e), &doc.name(), &FsLoader, &rules_free, &[]);
        let (v, _) = r.value?;
        if v.is_unknown() {
            return None;
        }
        Some(v.to_string())
    }

    // ---- completion --------------------------------------------------------------------

    /// Completion at `pos` of the current text (not the last good one: what is typed now),
    /// with the names, program and modules of the last good analysis.
    pub fn completion(&self, uri: &lsp::Uri, pos: lsp::Position) -> Vec<lsp::CompletionItem> {
        let Some(doc) = self.docs.get(uri.as_str()) else {
            return Vec::new();
        };
        let offset = doc.lines.offset(pos) as usize;
        let mut names = Vec::new();
        let mut modules = Vec::new();
        if let Some(good) = &doc.good {
            for s in good.index.symbols.iter().filter(|s| s.global) {
                if matches!(s.kind, SymbolKind::Stack | SymbolKind::Output) {
                    continue;
                }
                names.push(ScopeName {
                    name: s.name.clone(),
                    detail: s.kind.describe(),
                });
                if let SymbolKind::Module(path) = &s.kind {
                    modules.push((s.name.clone(), self.module_params(doc, path)));
                }
            }
        }
        let scope = Scope {
            catalog: self.catalog,
            names,
            program: doc.program.as_ref().map(|(p, _)| p),
            modules,
        };
        let text = doc.lines.text();
        complete::complete(&scope, text, offset)
            .into_iter()
            .map(|c| {
                let label = c.text.trim_end_matches('(').to_string();
                let detail = match c.display.strip_prefix(c.text.as_str()) {
                    Some(rest) if c.kind != CandidateKind::Function => rest.trim().to_string(),
                    _ => c.display.clone(),
                };
                let detail = (!detail.is_empty()).then_some(detail);
                lsp::CompletionItem {
                    label,
                    kind: Some(completion_kind(c.kind)),
                    detail,
                    text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
                        range: doc.lines.range(
                            u32::try_from(c.start).unwrap_or(0),
                            u32::try_from(offset).unwrap_or(0),
                        ),
                        new_text: c.text.clone(),
                    })),
                    ..lsp::CompletionItem::default()
                }
            })
            .collect()
    }

    /// The params of the module at `path` (relative to `doc`), read and parsed.
    fn module_params(&self, doc: &Document, path: &str) -> Vec<ModuleParam> {
        let Ok(f) = self.open_loader().load(&doc.name(), path) else {
            return Vec::new();
        };
        let (Some(tree), _) = parse(&f.text) else {
            return Vec::new();
        };
        tree.items
            .iter()
            .filter_map(|i| match i {
                ast::Item::Param(p) => Some(ModuleParam {
                    name: p.name.name.clone(),
                    ty: f
                        .text
                        .get(p.ty.span.start as usize..p.ty.span.end as usize)
                        .unwrap_or("")
                        .to_string(),
                    has_default: p.default.is_some(),
                }),
                _ => None,
            })
            .collect()
    }

    fn open_loader(&self) -> Overlay<'static> {
        Overlay {
            open: self
                .docs
                .values()
                .filter_map(|d| Some((d.path.clone()?, Arc::from(d.lines.text()))))
                .collect(),
            disk: &FsLoader,
        }
    }

    // ---- definition, references, rename ------------------------------------------------

    /// Where the name at `pos` is declared: a symbol of this file, a `use`d module's file
    /// (on the path), its output (on `m.out`) or its param (on an argument of `use`).
    pub fn definition(&self, uri: &lsp::Uri, pos: lsp::Position) -> Option<lsp::Location> {
        let (doc, good, at) = self.good_at(uri, pos)?;
        let within = |s: &Span| s.start <= at && at <= s.end;
        for u in uses(&good.tree.items) {
            if within(&u.path_span) {
                let f = self.open_loader().load(&doc.name(), &u.path).ok()?;
                return Some(lsp::Location::new(
                    path_to_uri(std::path::Path::new(&f.name))?,
                    lsp::Range::default(),
                ));
            }
        }
        if let Some((_, name, m)) = good.index.module_outputs.iter().find(|(s, _, _)| within(s)) {
            return self.in_module(doc, good, *m, |i| match i {
                ast::Item::Output(o) if &o.name.name == name => Some(o.name.span),
                _ => None,
            });
        }
        if let Some((span, m)) = good.index.module_args.iter().find(|(s, _)| within(s)) {
            let name = good
                .lines
                .text()
                .get(span.start as usize..span.end as usize)?;
            return self.in_module(doc, good, *m, |i| match i {
                ast::Item::Param(p) if p.name.name == name => Some(p.name.span),
                _ => None,
            });
        }
        let i = good.index.symbol_at(at)?;
        let s = &good.index.symbols[i];
        Some(lsp::Location::new(
            doc.uri.clone(),
            good.lines.range(s.name_span.start, s.name_span.end),
        ))
    }

    /// A location in the module of `use` symbol `m`: the first item `pick` accepts.
    fn in_module(
        &self,
        doc: &Document,
        good: &Good,
        m: usize,
        pick: impl Fn(&ast::Item) -> Option<Span>,
    ) -> Option<lsp::Location> {
        let SymbolKind::Module(path) = &good.index.symbols[m].kind else {
            return None;
        };
        let f = self.open_loader().load(&doc.name(), path).ok()?;
        let (tree, _) = parse(&f.text);
        let span = tree?.items.iter().find_map(pick)?;
        let lines = LineIndex::new(f.text.clone());
        Some(lsp::Location::new(
            path_to_uri(std::path::Path::new(&f.name))?,
            lines.range(span.start, span.end),
        ))
    }

    /// Every use of the name at `pos` in the document (and its declaration if asked).
    pub fn references(
        &self,
        uri: &lsp::Uri,
        pos: lsp::Position,
        include_declaration: bool,
    ) -> Vec<lsp::Location> {
        let Some((doc, good, at)) = self.good_at(uri, pos) else {
            return Vec::new();
        };
        let Some(i) = good.index.symbol_at(at) else {
            return Vec::new();
        };
        let s = &good.index.symbols[i];
        let decl = include_declaration.then_some(s.name_span);
        decl.into_iter()
            .chain(good.index.uses_of(i))
            .map(|sp| lsp::Location::new(doc.uri.clone(), good.lines.range(sp.start, sp.end)))
            .collect()
    }

    /// The range of the name that would be renamed at `pos` (`prepareRename`).
    pub fn prepare_rename(&self, uri: &lsp::Uri, pos: lsp::Position) -> Option<lsp::Range> {
        let (_, good, at) = self.good_at(uri, pos)?;
        let i = good.index.symbol_at(at)?;
        let s = &good.index.symbols[i];
        if s.kind == SymbolKind::Stack {
            return None;
        }
        let within = |sp: &Span| sp.start <= at && at <= sp.end;
        let span = std::iter::once(s.name_span)
            .chain(good.index.uses_of(i))
            .find(within)?;
        Some(good.lines.range(span.start, span.end))
    }

    /// Rename the name at `pos` to `new_name` everywhere in the document. Renaming a
    /// resource whose ARM name defaults to its identifier would make plan replace it in
    /// Azure (the ARM name is part of the resource ID), so the edit also pins
    /// `name = "<old>"` in its body, as a separate change annotated [`PIN_ANNOTATION`]
    /// that needs confirmation and says why (the client may leave it out).
    /// `Err` with a message when `new_name` is not an identifier.
    pub fn rename(
        &self,
        uri: &lsp::Uri,
        pos: lsp::Position,
        new_name: &str,
    ) -> Result<Option<lsp::WorkspaceEdit>, String> {
        let valid = new_name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && new_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !complete::KEYWORDS.contains(&new_name);
        if !valid {
            return Err(format!(
                "`{new_name}` is not an identifier: use letters, digits and `_`, starting with a letter"
            ));
        }
        let Some((doc, good, at)) = self.good_at(uri, pos) else {
            return Ok(None);
        };
        let Some(i) = good.index.symbol_at(at) else {
            return Ok(None);
        };
        let s = &good.index.symbols[i];
        if s.kind == SymbolKind::Stack {
            return Ok(None);
        }
        let mut edits: Vec<lsp::OneOf<lsp::TextEdit, lsp::AnnotatedTextEdit>> =
            std::iter::once(s.name_span)
                .chain(good.index.uses_of(i))
                .map(|sp| {
                    lsp::OneOf::Left(lsp::TextEdit::new(
                        good.lines.range(sp.start, sp.end),
                        new_name.to_string(),
                    ))
                })
                .collect();
        let mut annotations = None;
        if let Some(pin) = self.pin_edit(good, i) {
            let why = format!(
                "`{}` has no `name`, so its ARM name is its identifier `{}`; the ARM name is part \
                 of the resource ID, so renaming it alone would make plan delete `{}` in Azure and \
                 create `{new_name}`. Pinning `name = \"{}\"` keeps the resource.",
                s.name, s.name, s.name, s.name
            );
            edits.push(lsp::OneOf::Right(lsp::AnnotatedTextEdit {
                text_edit: pin,
                annotation_id: PIN_ANNOTATION.to_string(),
            }));
            annotations = Some(HashMap::from([(
                PIN_ANNOTATION.to_string(),
                lsp::ChangeAnnotation {
                    label: format!("Pin the ARM name `{}` (keeps the Azure resource)", s.name),
                    needs_confirmation: Some(true),
                    description: Some(why),
                },
            )]));
        }
        Ok(Some(lsp::WorkspaceEdit {
            changes: None,
            document_changes: Some(lsp::DocumentChanges::Edits(vec![lsp::TextDocumentEdit {
                text_document: lsp::OptionalVersionedTextDocumentIdentifier {
                    uri: doc.uri.clone(),
                    version: Some(doc.version),
                },
                edits,
            }])),
            change_annotations: annotations,
        }))
    }

    /// The edit that adds `name = "<identifier>"` to resource symbol `i`, when its ARM name
    /// defaults to the identifier (a non-indexed resource of a kind with a `name` field
    /// whose body does not set it).
    fn pin_edit(&self, good: &Good, i: usize) -> Option<lsp::TextEdit> {
        let s = &good.index.symbols[i];
        let SymbolKind::Resource(k) = &s.kind else {
            return None;
        };
        let kind = self.catalog.kind(k)?;
        if s.sets_name || s.indexed || !kind.fields.iter().any(|f| f.name == "name") {
            return None;
        }
        let text = good.lines.text();
        let header_end = s.header_end? as usize;
        let brace = header_end + text.get(header_end..)?.find('{')?;
        let line_start = text[..s.span.start as usize]
            .rfind('\n')
            .map_or(0, |n| n + 1);
        let indent: String = text[line_start..]
            .chars()
            .take_while(|c| *c == ' ')
            .collect();
        let at = u32::try_from(brace + 1).ok()?;
        let pos = good.lines.position(at);
        Some(lsp::TextEdit::new(
            lsp::Range::new(pos, pos),
            format!("\n{indent}  name = \"{}\"", s.name),
        ))
    }

    // ---- symbols, folding, formatting --------------------------------------------------

    /// The outline: top-level items, resources with their children.
    #[allow(deprecated)] // DocumentSymbol::deprecated is a required field of lsp-types.
    pub fn document_symbols(&self, uri: &lsp::Uri) -> Vec<lsp::DocumentSymbol> {
        let Some(good) = self.docs.get(uri.as_str()).and_then(|d| d.good.as_ref()) else {
            return Vec::new();
        };
        fn build(good: &Good, i: usize) -> lsp::DocumentSymbol {
            let s = &good.index.symbols[i];
            let children: Vec<lsp::DocumentSymbol> =
                s.children.iter().map(|c| build(good, *c)).collect();
            lsp::DocumentSymbol {
                name: s.name.clone(),
                detail: Some(s.kind.describe()),
                kind: symbol_kind(&s.kind),
                tags: None,
                deprecated: None,
                range: good.lines.range(s.span.start, s.span.end),
                selection_range: good.lines.range(s.name_span.start, s.name_span.end),
                children: (!children.is_empty()).then_some(children),
            }
        }
        let mut top: Vec<usize> = (0..good.index.symbols.len())
            .filter(|i| {
                let s = &good.index.symbols[*i];
                s.global && s.parent.is_none()
            })
            .collect();
        top.sort_by_key(|i| good.index.symbols[*i].span.start);
        top.into_iter().map(|i| build(good, i)).collect()
    }

    /// Symbols of every open document whose name contains `query` (case-insensitive).
    pub fn workspace_symbols(&self, query: &str) -> Vec<lsp::WorkspaceSymbol> {
        let q = query.to_lowercase();
        let mut out = Vec::new();
        for d in self.docs.values() {
            let Some(good) = &d.good else { continue };
            for (i, s) in good.index.symbols.iter().enumerate() {
                if matches!(s.kind, SymbolKind::ForVar | SymbolKind::Stack)
                    || !s.name.to_lowercase().contains(&q)
                {
                    continue;
                }
                let container = s.parent.map(|p| good.index.address(p));
                out.push(lsp::WorkspaceSymbol {
                    name: if matches!(s.kind, SymbolKind::Resource(_)) {
                        good.index.address(i)
                    } else {
                        s.name.clone()
                    },
                    kind: symbol_kind(&s.kind),
                    tags: None,
                    container_name: container,
                    location: lsp::OneOf::Left(lsp::Location::new(
                        d.uri.clone(),
                        good.lines.range(s.name_span.start, s.name_span.end),
                    )),
                    data: None,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// Folding ranges: every item, resource body and block that spans lines, and runs of
    /// comment lines.
    pub fn folding_ranges(&self, uri: &lsp::Uri) -> Vec<lsp::FoldingRange> {
        let Some(good) = self.docs.get(uri.as_str()).and_then(|d| d.good.as_ref()) else {
            return Vec::new();
        };
        let mut spans = Vec::new();
        fn body(items: &[ast::BodyItem], spans: &mut Vec<Span>) {
            for b in items {
                match b {
                    ast::BodyItem::Resource(r) => {
                        spans.push(r.span);
                        body(&r.body, spans);
                    }
                    ast::BodyItem::Block(bl) => {
                        spans.push(bl.span);
                        body(&bl.body, spans);
                    }
                    ast::BodyItem::For(f) => {
                        spans.push(f.span);
                        body(&f.body, spans);
                    }
                    ast::BodyItem::Field(f) => spans.push(f.span),
                    ast::BodyItem::Let(l) => spans.push(l.span),
                }
            }
        }
        fn items(its: &[ast::Item], spans: &mut Vec<Span>) {
            for i in its {
                match i {
                    ast::Item::Resource(r) => {
                        spans.push(r.span);
                        body(&r.body, spans);
                    }
                    ast::Item::For(f) => {
                        spans.push(f.span);
                        items(&f.body, spans);
                    }
                    ast::Item::Use(u) => spans.push(u.span),
                    ast::Item::Let(l) => spans.push(l.span),
                    ast::Item::Output(o) => spans.push(o.span),
                    ast::Item::Param(p) => spans.push(p.span),
                    ast::Item::Stack(_) => {}
                }
            }
        }
        items(&good.tree.items, &mut spans);
        let mut out: Vec<lsp::FoldingRange> = spans
            .into_iter()
            .filter_map(|s| {
                let a = good.lines.position(s.start).line;
                let b = good.lines.position(s.end).line;
                (b > a).then_some(lsp::FoldingRange {
                    start_line: a,
                    end_line: b,
                    kind: Some(lsp::FoldingRangeKind::Region),
                    ..lsp::FoldingRange::default()
                })
            })
            .collect();
        // Runs of two or more comment lines.
        let mut run: Option<(u32, u32)> = None;
        let flush = |run: &mut Option<(u32, u32)>, out: &mut Vec<lsp::FoldingRange>| {
            if let Some((a, b)) = run.take()
                && b > a
            {
                out.push(lsp::FoldingRange {
                    start_line: a,
                    end_line: b,
                    kind: Some(lsp::FoldingRangeKind::Comment),
                    ..lsp::FoldingRange::default()
                });
            }
        };
        for (n, line) in good.lines.text().lines().enumerate() {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            let t = line.trim_start();
            if t.starts_with('#') || t.starts_with("//") {
                run = Some(run.map_or((n, n), |(a, _)| (a, n)));
            } else {
                flush(&mut run, &mut out);
            }
        }
        flush(&mut run, &mut out);
        out.sort_by_key(|f| (f.start_line, f.end_line));
        out.dedup_by_key(|f| (f.start_line, f.end_line));
        out
    }

    /// Formatting through `capz fmt`'s formatter: one edit replacing the whole text, none
    /// when it is formatted already; `Err` with the first syntax error when it does not parse.
    pub fn formatting(&self, uri: &lsp::Uri) -> Result<Vec<lsp::TextEdit>, String> {
        let Some(doc) = self.docs.get(uri.as_str()) else {
            return Ok(Vec::new());
        };
        match lang::fmt::format_source(doc.lines.text()) {
            Ok(t) if t == doc.lines.text() => Ok(Vec::new()),
            Ok(t) => Ok(vec![lsp::TextEdit::new(doc.lines.whole(), t)]),
            Err(d) => Err(d.first().map_or_else(
                || "the file does not parse".to_string(),
                |d| format!("not formatted: {} ({})", d.message, d.code),
            )),
        }
    }

    // ---- semantic tokens, inlay hints, code actions, code lenses -----------------------

    /// Semantic tokens of the last good text (legend [`TOKEN_TYPES`], [`TOKEN_MODIFIERS`]):
    /// kinds, fields, enum words, references and declarations, functions, blocks.
    pub fn semantic_tokens(&self, uri: &lsp::Uri) -> Vec<lsp::SemanticToken> {
        let Some(good) = self.docs.get(uri.as_str()).and_then(|d| d.good.as_ref()) else {
            return Vec::new();
        };
        let ix = &good.index;
        let sym_type = |k: &SymbolKind| match k {
            SymbolKind::Param => 6,
            SymbolKind::Let | SymbolKind::ForVar | SymbolKind::Output => 3,
            SymbolKind::Module(_) => 7,
            SymbolKind::Resource(_) => 5,
            SymbolKind::Stack => 3,
        };
        let mut toks: Vec<(Span, u32, u32)> = Vec::new();
        toks.extend(ix.kinds.iter().map(|(s, _)| (*s, 0, 0)));
        toks.extend(ix.fields.iter().map(|(_, f)| (f.span, 1, 0)));
        toks.extend(ix.module_args.iter().map(|(s, _)| (*s, 1, 0)));
        toks.extend(ix.module_outputs.iter().map(|(s, _, _)| (*s, 1, 0)));
        toks.extend(ix.blocks.iter().map(|s| (*s, 8, 0)));
        toks.extend(ix.calls.iter().map(|s| (*s, 4, 0)));
        toks.extend(
            ix.unresolved
                .iter()
                .filter(|s| good.enum_words.contains(s))
                .map(|s| (*s, 2, 0)),
        );
        for s in ix.symbols.iter().filter(|s| s.kind != SymbolKind::Stack) {
            toks.push((s.name_span, sym_type(&s.kind), 1));
        }
        toks.extend(
            ix.refs
                .iter()
                .map(|(s, t)| (*s, sym_type(&ix.symbols[*t].kind), 0)),
        );
        // `a <-> b` links: the `from`/`to` field names the parser invents cover the ends.
        let text = good.lines.text();
        toks.retain(|(s, _, _)| {
            !s.is_empty()
                && text.get(s.start as usize..s.end as usize).is_some_and(|t| {
                    !t.contains('\n') && t.chars().all(|c| c.is_alphanumeric() || c == '_')
                })
        });
        toks.sort_by_key(|(s, _, _)| (s.start, s.end));
        toks.dedup_by_key(|(s, _, _)| s.start);
        let mut out = Vec::with_capacity(toks.len());
        let (mut line, mut col) = (0u32, 0u32);
        for (s, ty, m) in toks {
            let p = good.lines.position(s.start);
            let e = good.lines.position(s.end);
            let delta_line = p.line - line;
            let delta_start = if delta_line == 0 {
                p.character - col
            } else {
                p.character
            };
            out.push(lsp::SemanticToken {
                delta_line,
                delta_start,
                length: e.character.saturating_sub(p.character),
                token_type: ty,
                token_modifiers_bitset: m,
            });
            line = p.line;
            col = p.character;
        }
        out
    }

    /// Inlay hints: the default ARM name after the header of each resource that does not
    /// set `name`, and the evaluated CIDR after each computed CIDR field value
    /// (`cidrsubnet(...)` → `10.128.0.0/16`). From the last program that evaluated.
    pub fn inlay_hints(&self, uri: &lsp::Uri) -> Vec<lsp::InlayHint> {
        let Some(doc) = self.docs.get(uri.as_str()) else {
            return Vec::new();
        };
        let (Some(good), Some((program, _))) = (&doc.good, &doc.program) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let hint = |at: u32, label: String, tooltip: &str| lsp::InlayHint {
            position: good.lines.position(at),
            label: lsp::InlayHintLabel::String(label),
            kind: None,
            text_edits: None,
            tooltip: Some(lsp::InlayHintTooltip::String(tooltip.to_string())),
            padding_left: Some(true),
            padding_right: None,
            data: None,
        };
        for (i, s) in good.index.symbols.iter().enumerate() {
            let SymbolKind::Resource(_) = s.kind else {
                continue;
            };
            if s.sets_name || s.indexed {
                continue;
            }
            let addr = good.index.address(i);
            if let Some(r) = program
                .resources
                .iter()
                .find(|r| r.address.to_string() == addr)
                && let Some(end) = s.header_end
            {
                out.push(hint(
                    end,
                    format!("name: \"{}\"", r.name),
                    "the ARM name (the identifier, as the body sets no `name`)",
                ));
            }
        }
        let text = good.lines.text();
        for r in &program.resources {
            let kind = self.catalog.kind(r.kind);
            for (key, fv) in &r.fields {
                let ty = kind.and_then(|k| k.field(key)).map(|f| &f.ty);
                let cidr = match ty {
                    Some(lang::Type::Cidr) => true,
                    Some(lang::Type::List(t)) => **t == lang::Type::Cidr,
                    _ => false,
                };
                if !cidr {
                    continue;
                }
                let same = program
                    .resources
                    .iter()
                    .flat_map(|x| x.fields.values())
                    .filter(|x| x.span == fv.span)
                    .count();
                let literal = text
                    .get(fv.span.start as usize..fv.span.end as usize)
                    .is_none_or(|t| t.starts_with('"') && !t.contains("${"));
                if same == 1 && fv.span.file == 0 && !literal && fv.span.end > fv.span.start {
                    out.push(hint(
                        fv.span.end,
                        format!("= {}", fv.value),
                        "evaluated before apply",
                    ));
                }
            }
        }
        out.sort_by_key(|h| (h.position.line, h.position.character));
        out
    }

    /// Code actions for the diagnostics in `range`: the checker's did-you-mean (replace
    /// the word), a missing required field (add it with an example value), and on a
    /// resource whose ARM name defaults to its identifier, pinning `name`.
    pub fn code_actions(&self, uri: &lsp::Uri, range: lsp::Range) -> Vec<lsp::CodeAction> {
        let Some(doc) = self.docs.get(uri.as_str()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let own = doc
            .diagnostics
            .get(uri.as_str())
            .map(|(_, d)| d.as_slice())
            .unwrap_or(&[]);
        let overlaps = |r: &lsp::Range| r.start <= range.end && range.start <= r.end;
        let edit = |edits: Vec<lsp::TextEdit>| lsp::WorkspaceEdit {
            changes: Some(HashMap::from([(doc.uri.clone(), edits)])),
            document_changes: None,
            change_annotations: None,
        };
        for d in own.iter().filter(|d| overlaps(&d.range)) {
            let help = d
                .data
                .as_ref()
                .and_then(|v| v.get("help"))
                .and_then(|h| h.as_str())
                .unwrap_or("");
            if let Some(word) = between(help, "did you mean `", "`?") {
                out.push(lsp::CodeAction {
                    title: format!("Change to `{word}`"),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![d.clone()]),
                    edit: Some(edit(vec![lsp::TextEdit::new(d.range, word.to_string())])),
                    is_preferred: Some(true),
                    ..lsp::CodeAction::default()
                });
            }
            let code = match &d.code {
                Some(lsp::NumberOrString::String(c)) => c.as_str(),
                _ => "",
            };
            if code == "capz::field::missing"
                && let Some(field) = between(help, "add `", "` to the body")
            {
                let text = doc.lines.text();
                let at = doc.lines.offset(d.range.end) as usize;
                if let Some(b) = text.get(at..).and_then(|t| t.find('{')) {
                    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
                    let indent: String = text[line_start..]
                        .chars()
                        .take_while(|c| *c == ' ')
                        .collect();
                    let p = doc.lines.position(u32::try_from(at + b + 1).unwrap_or(0));
                    out.push(lsp::CodeAction {
                        title: format!("Add `{field}`"),
                        kind: Some(lsp::CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![d.clone()]),
                        edit: Some(edit(vec![lsp::TextEdit::new(
                            lsp::Range::new(p, p),
                            format!("\n{indent}  {field}"),
                        )])),
                        ..lsp::CodeAction::default()
                    });
                }
            }
        }
        if let Some(good) = &doc.good {
            let at = good.lines.offset(range.start);
            if let Some(i) = good.index.symbol_at(at)
                && let Some(pin) = self.pin_edit(good, i)
            {
                let name = &good.index.symbols[i].name;
                out.push(lsp::CodeAction {
                    title: format!(
                        "Pin the ARM name `{name}` (so a rename keeps the Azure resource)"
                    ),
                    kind: Some(lsp::CodeActionKind::REFACTOR),
                    edit: Some(edit(vec![pin])),
                    ..lsp::CodeAction::default()
                });
            }
        }
        out
    }

    /// A code lens on the `stack` line that runs `capz plan` on the file (the client
    /// implements the command [`PLAN_COMMAND`] with the file's path as argument).
    pub fn code_lenses(&self, uri: &lsp::Uri) -> Vec<lsp::CodeLens> {
        let Some(doc) = self.docs.get(uri.as_str()) else {
            return Vec::new();
        };
        let Some(good) = &doc.good else {
            return Vec::new();
        };
        good.tree
            .items
            .iter()
            .filter_map(|i| match i {
                ast::Item::Stack(s) => Some(s.span),
                _ => None,
            })
            .map(|s| lsp::CodeLens {
                range: good.lines.range(s.start, s.end),
                command: Some(lsp::Command {
                    title: "▶ Plan (capz plan)".to_string(),
                    command: PLAN_COMMAND.to_string(),
                    arguments: Some(vec![serde_json::Value::String(
                        doc.uri.as_str().to_string(),
                    )]),
                }),
                data: None,
            })
            .collect()
    }
}

/// The client command the `stack` code lens runs: plan the file against the configured
/// target and show the result (the VS Code extension runs `capz plan FILE`).
pub const PLAN_COMMAND: &str = "capz.plan";

/// Every `use` declaration of a file, also those inside top-level `for` loops.
fn uses(items: &[ast::Item]) -> Vec<&ast::UseDecl> {
    let mut out = Vec::new();
    for i in items {
        match i {
            ast::Item::Use(u) => out.push(u),
            ast::Item::For(f) => out.extend(uses(&f.body)),
            _ => {}
        }
    }
    out
}

/// The text between `open` and `close` in `s`.
fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let a = s.find(open)? + open.len();
    let b = s[a..].find(close)? + a;
    Some(&s[a..b])
}

/// A capz diagnostic as LSP's: code, severity, primary range, the help line after the
/// message, secondary labels as related information, and the help in `data.help` (for
/// code actions).
fn to_lsp_diagnostic(
    d: &Diagnostic,
    sources: &SourceMap,
    uri_of: &dyn Fn(u32) -> Option<lsp::Uri>,
) -> lsp::Diagnostic {
    let range_of = |s: Span| -> lsp::Range {
        sources
            .get(s.file)
            .map(|f| LineIndex::new(f.text.clone()).range(s.start, s.end))
            .unwrap_or_default()
    };
    let primary = d.labels.iter().find(|l| l.primary).or(d.labels.first());
    let mut message = d.message.clone();
    if let Some(p) = primary
        && !p.message.is_empty()
    {
        message.push_str(&format!(": {}", p.message));
    }
    if let Some(h) = &d.help {
        message.push_str(&format!("\nhelp: {h}"));
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter(|l| !l.primary)
        .filter_map(|l| {
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location::new(uri_of(l.span.file)?, range_of(l.span)),
                message: if l.message.is_empty() {
                    "related".to_string()
                } else {
                    l.message.clone()
                },
            })
        })
        .collect();
    lsp::Diagnostic {
        range: primary.map(|p| range_of(p.span)).unwrap_or_default(),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.code.to_string())),
        code_description: None,
        source: Some("capz".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: d.help.as_ref().map(|h| serde_json::json!({ "help": h })),
    }
}

fn completion_kind(k: CandidateKind) -> lsp::CompletionItemKind {
    match k {
        CandidateKind::Kind => lsp::CompletionItemKind::CLASS,
        CandidateKind::Field | CandidateKind::Param => lsp::CompletionItemKind::FIELD,
        CandidateKind::Block => lsp::CompletionItemKind::STRUCT,
        CandidateKind::EnumWord => lsp::CompletionItemKind::ENUM_MEMBER,
        CandidateKind::Name => lsp::CompletionItemKind::VARIABLE,
        CandidateKind::Member => lsp::CompletionItemKind::PROPERTY,
        CandidateKind::Function => lsp::CompletionItemKind::FUNCTION,
        CandidateKind::Keyword | CandidateKind::Command => lsp::CompletionItemKind::KEYWORD,
    }
}

fn symbol_kind(k: &SymbolKind) -> lsp::SymbolKind {
    match k {
        SymbolKind::Stack => lsp::SymbolKind::PACKAGE,
        SymbolKind::Param => lsp::SymbolKind::CONSTANT,
        SymbolKind::Let | SymbolKind::ForVar => lsp::SymbolKind::VARIABLE,
        SymbolKind::Output => lsp::SymbolKind::PROPERTY,
        SymbolKind::Module(_) => lsp::SymbolKind::MODULE,
        SymbolKind::Resource(_) => lsp::SymbolKind::OBJECT,
    }
}

/// Hover text of a field: type, doc, default, ARM path, replacement.
fn field_markdown(kind: Option<&KindDef>, block: Option<&str>, f: &FieldDef) -> String {
    let owner = match (kind, block) {
        (Some(k), Some(b)) => format!("{}.{b}", k.keyword),
        (Some(k), None) => k.keyword.to_string(),
        _ => String::new(),
    };
    let mut md = format!("```capz\n{}: {}\n```\n\n{}\n", f.name, f.ty, f.doc);
    if !owner.is_empty() {
        md.push_str(&format!(
            "\n- field of `{owner}`{}",
            if f.required { " (required)" } else { "" }
        ));
    }
    if let Some(d) = f.default {
        md.push_str(&format!("\n- default: `{d}`"));
    }
    match f.arm {
        ArmMapping::Path(p) => md.push_str(&format!("\n- ARM: `{p}`")),
        ArmMapping::Name => md.push_str("\n- ARM: the resource name (part of its ID)"),
        ArmMapping::Custom { .. } => md.push_str("\n- ARM: several properties (see docs)"),
        ArmMapping::None => md.push_str("\n- not sent to ARM"),
    }
    if f.forces_replacement || matches!(f.arm, ArmMapping::Name) {
        md.push_str("\n- **changing it replaces the resource** (delete, then create)");
    } else if f.forces_replacement_when_in_use {
        md.push_str("\n- changing it replaces the resource while other resources use it");
    } else {
        md.push_str("\n- changing it updates the resource in place");
    }
    if f.sensitive {
        md.push_str("\n- sensitive: never shown in plans");
    }
    md
}

/// Hover text of a kind keyword.
fn kind_markdown(k: &KindDef) -> String {
    format!(
        "```capz\n{}\n```\n\n{}\n\n- ARM type `{}` (api-version {})",
        k.keyword, k.doc, k.arm_type, k.api_version
    )
}
