//! The symbol index of one file: every declared name and every use of it, resolved by the
//! language's scoping rules, plus the places editors colour or explain (kind keywords,
//! field names, function names).
//!
//! Built from the syntax tree alone, so it also exists for a tree that the checker
//! refuses. Scoping follows the checker ([`lang::check`]): a name in an expression is looked
//! up in the enclosing `for` variables and body `let`s (innermost first), then among the
//! top-level params, lets, resources and `use`s. `a.b` names the child `b` of resource `a`;
//! `m.out` the output `out` of module `m`.

use lang::Catalog;
use lang::schema::KindDef;
use lang::source::Span;
use lang::syntax::ast::*;
use std::collections::HashMap;

/// What a symbol is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// `stack "..."` (named by the stack name).
    Stack,
    /// `param NAME: T`.
    Param,
    /// `let NAME = ...` (top level or in a body).
    Let,
    /// `output NAME = ...`.
    Output,
    /// `use NAME = "path"` (a module instance); the path as written.
    Module(String),
    /// A `for` loop variable.
    ForVar,
    /// A resource declaration of this kind keyword (`vnet`, `subnet`).
    Resource(String),
}

impl SymbolKind {
    /// A word for the symbol kind, as hover and completion print it.
    pub fn describe(&self) -> String {
        match self {
            SymbolKind::Stack => "stack".into(),
            SymbolKind::Param => "param".into(),
            SymbolKind::Let => "let".into(),
            SymbolKind::Output => "output".into(),
            SymbolKind::Module(_) => "module".into(),
            SymbolKind::ForVar => "loop variable".into(),
            SymbolKind::Resource(k) => k.clone(),
        }
    }
}

/// One declared name.
#[derive(Clone, Debug)]
pub struct Symbol {
    /// The name (`mgmt_net`); the stack name for [`SymbolKind::Stack`].
    pub name: String,
    /// What it is.
    pub kind: SymbolKind,
    /// Span of the name in the declaration.
    pub name_span: Span,
    /// Span of the whole declaration.
    pub span: Span,
    /// The enclosing resource symbol (children of a vnet, pools of a cluster).
    pub parent: Option<usize>,
    /// Children by name (resources declared in this resource's body).
    pub children: Vec<usize>,
    /// Declared at the top level (in scope everywhere in the file).
    pub global: bool,
    /// For resources: the body sets `name = ...` (the ARM name is pinned).
    pub sets_name: bool,
    /// For resources: declared `NAME[index]` (the ARM name defaults to `NAME-i`).
    pub indexed: bool,
    /// For resources with a body: the byte where the header ends (the body's `{` is the
    /// first one after it), where a field such as a pinned `name` can be added.
    pub header_end: Option<u32>,
}

/// What a field name belongs to: the kind, and the block inside it (`network`), if any.
#[derive(Clone, Copy, Debug)]
pub struct FieldSite {
    /// Span of the field name.
    pub span: Span,
    /// The resource kind whose body sets it (`None` when the kind is unknown or the field
    /// is a module argument).
    pub kind: Option<&'static KindDef>,
    /// The block keyword when set in a block.
    pub block: Option<&'static str>,
}

/// The symbol index of one file. See the module docs.
#[derive(Clone, Debug, Default)]
pub struct Index {
    /// Every declaration, in source order.
    pub symbols: Vec<Symbol>,
    /// Every resolved use: (span of the name, symbol).
    pub refs: Vec<(Span, usize)>,
    /// Resource kind keywords (and block keywords) with the kind they name.
    pub kinds: Vec<(Span, Option<&'static KindDef>)>,
    /// Block keywords (`network`).
    pub blocks: Vec<Span>,
    /// Field names set in bodies.
    pub fields: Vec<(String, FieldSite)>,
    /// Module argument names in `use m = "..." { arg = ... }`: (span, module symbol).
    pub module_args: Vec<(Span, usize)>,
    /// Member names that name a module output (`m.out`): (span, output name, module symbol).
    pub module_outputs: Vec<(Span, String, usize)>,
    /// Built-in function names at calls.
    pub calls: Vec<Span>,
    /// Every expression, innermost last among those that overlap (for hover's value).
    pub exprs: Vec<Span>,
    /// Names that resolve to no declaration (enum words, or unknown names the checker reports).
    pub unresolved: Vec<Span>,
}

impl Index {
    /// Build the index of `file` against `catalog`.
    pub fn build(file: &File, catalog: &'static Catalog) -> Index {
        let mut b = Builder {
            ix: Index::default(),
            catalog,
            globals: HashMap::new(),
            scopes: Vec::new(),
        };
        b.collect_globals(&file.items);
        for item in &file.items {
            b.item(item, None);
        }
        b.ix.exprs
            .sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
        b.ix
    }

    /// The symbol whose declaration name or a use covers byte `offset`.
    pub fn symbol_at(&self, offset: u32) -> Option<usize> {
        let within = |s: &Span| s.start <= offset && offset <= s.end;
        self.symbols
            .iter()
            .position(|s| s.kind != SymbolKind::Stack && within(&s.name_span))
            .or_else(|| self.refs.iter().find(|(s, _)| within(s)).map(|(_, i)| *i))
    }

    /// Spans of every use of symbol `i` (not its declaration).
    pub fn uses_of(&self, i: usize) -> impl Iterator<Item = Span> + '_ {
        self.refs
            .iter()
            .filter(move |(_, t)| *t == i)
            .map(|(s, _)| *s)
    }

    /// The innermost expression covering byte `offset`.
    pub fn expr_at(&self, offset: u32) -> Option<Span> {
        self.exprs
            .iter()
            .filter(|s| s.start <= offset && offset < s.end)
            .min_by_key(|s| s.len())
            .copied()
    }

    /// The dotted address of resource symbol `i` (`mgmt_net.nodes`).
    pub fn address(&self, i: usize) -> String {
        let mut parts = vec![self.symbols[i].name.clone()];
        let mut at = self.symbols[i].parent;
        while let Some(p) = at {
            parts.push(self.symbols[p].name.clone());
            at = self.symbols[p].parent;
        }
        parts.reverse();
        parts.join(".")
    }
}

struct Builder {
    ix: Index,
    catalog: &'static Catalog,
    globals: HashMap<String, usize>,
    scopes: Vec<HashMap<String, usize>>,
}

impl Builder {
    fn add(&mut self, s: Symbol) -> usize {
        self.ix.symbols.push(s);
        self.ix.symbols.len() - 1
    }

    fn symbol(name: &Ident, kind: SymbolKind, span: Span, global: bool) -> Symbol {
        Symbol {
            name: name.name.clone(),
            kind,
            name_span: name.span,
            span,
            parent: None,
            children: Vec::new(),
            global,
            sets_name: false,
            indexed: false,
            header_end: None,
        }
    }

    /// Top-level names first (they are in scope before their declaration).
    fn collect_globals(&mut self, items: &[Item]) {
        for item in items {
            let id = match item {
                Item::Param(p) => {
                    Some(self.add(Self::symbol(&p.name, SymbolKind::Param, p.span, true)))
                }
                Item::Let(l) => {
                    Some(self.add(Self::symbol(&l.name, SymbolKind::Let, l.span, true)))
                }
                Item::Use(u) => Some(self.add(Self::symbol(
                    &u.name,
                    SymbolKind::Module(u.path.clone()),
                    u.span,
                    true,
                ))),
                Item::Resource(r) => self.resource_symbol(r, None, true),
                Item::For(f) => {
                    self.collect_for(f);
                    None
                }
                Item::Stack(_) | Item::Output(_) => None,
            };
            if let Some(id) = id {
                let name = self.ix.symbols[id].name.clone();
                self.globals.entry(name).or_insert(id);
            }
        }
    }

    fn collect_for(&mut self, f: &ForLoop<Item>) {
        for item in &f.body {
            match item {
                Item::Resource(r) => {
                    if let Some(id) = self.resource_symbol(r, None, true) {
                        let name = self.ix.symbols[id].name.clone();
                        self.globals.entry(name).or_insert(id);
                    }
                }
                Item::For(inner) => self.collect_for(inner),
                Item::Use(u) => {
                    let id = self.add(Self::symbol(
                        &u.name,
                        SymbolKind::Module(u.path.clone()),
                        u.span,
                        true,
                    ));
                    self.globals.entry(u.name.name.clone()).or_insert(id);
                }
                _ => {}
            }
        }
    }

    /// The symbol of a resource declaration and, recursively, of its child resources.
    fn resource_symbol(
        &mut self,
        r: &ResourceDecl,
        parent: Option<usize>,
        global: bool,
    ) -> Option<usize> {
        let ResName::Ident(name) = &r.name else {
            return None;
        };
        let mut s = Self::symbol(
            name,
            SymbolKind::Resource(r.kind.name.clone()),
            r.span,
            global,
        );
        s.parent = parent;
        s.indexed = r.index.is_some();
        s.sets_name = r
            .body
            .iter()
            .any(|b| matches!(b, BodyItem::Field(f) if f.name.name == "name"));
        s.header_end = header_end(r);
        let id = self.add(s);
        let mut children = Vec::new();
        collect_children(&r.body, &mut |c| children.push(c.clone()));
        for c in &children {
            if let Some(cid) = self.resource_symbol(c, Some(id), false) {
                self.ix.symbols[id].children.push(cid);
            }
        }
        Some(id)
    }

    fn lookup(&self, name: &str) -> Option<usize> {
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.get(name).copied())
            .or_else(|| self.globals.get(name).copied())
    }

    /// The resource symbol declared by `r` (found by its declaration span).
    fn decl_symbol(&self, r: &ResourceDecl) -> Option<usize> {
        self.ix
            .symbols
            .iter()
            .position(|s| s.span == r.span && matches!(s.kind, SymbolKind::Resource(_)))
    }

    fn item(&mut self, item: &Item, _parent: Option<usize>) {
        match item {
            Item::Stack(s) => {
                let name = s.name.plain_str().unwrap_or_default();
                self.add(Symbol {
                    name,
                    kind: SymbolKind::Stack,
                    name_span: s.name.span,
                    span: s.span,
                    parent: None,
                    children: Vec::new(),
                    global: true,
                    sets_name: false,
                    indexed: false,
                    header_end: None,
                });
                self.expr(&s.name);
            }
            Item::Param(p) => {
                if let Some(d) = &p.default {
                    self.expr(d);
                }
            }
            Item::Let(l) => {
                self.expr(&l.value);
            }
            Item::Output(o) => {
                self.add(Self::symbol(&o.name, SymbolKind::Output, o.span, true));
                self.expr(&o.value);
            }
            Item::Use(u) => {
                if let Some(i) = &u.index {
                    self.expr(i);
                }
                let me = self.globals.get(&u.name.name).copied();
                for a in &u.args {
                    if let Some(m) = me {
                        self.ix.module_args.push((a.name.span, m));
                    }
                    self.expr(&a.value);
                }
            }
            Item::For(f) => {
                self.expr(&f.iter);
                let var = self.add(Self::symbol(&f.var, SymbolKind::ForVar, f.span, false));
                self.scopes.push(HashMap::from([(f.var.name.clone(), var)]));
                for i in &f.body {
                    self.item(i, None);
                }
                self.scopes.pop();
            }
            Item::Resource(r) => self.resource(r, None),
        }
    }

    fn resource(&mut self, r: &ResourceDecl, parent_kind: Option<&'static KindDef>) {
        let kind = self
            .catalog
            .kind_in(parent_kind.map(|k| k.keyword), &r.kind.name);
        self.ix.kinds.push((r.kind.span, kind));
        if let ResName::Str(e) = &r.name {
            // `a <-> b` links parse to a string name plus `from`/`to` fields (walked below).
            if e.plain_str().is_none() {
                self.expr(e);
            }
        }
        if let Some(i) = &r.index {
            self.expr(i);
        }
        if let Some(g) = &r.group {
            if let Some(t) = self.lookup(&g.name.name) {
                self.ix.refs.push((g.name.span, t));
            } else {
                self.ix.unresolved.push(g.name.span);
            }
            if let Some(i) = &g.index {
                self.expr(i);
            }
        }
        let _ = self.decl_symbol(r);
        self.scopes.push(HashMap::new());
        self.body(&r.body, kind, None);
        self.scopes.pop();
    }

    fn body(
        &mut self,
        items: &[BodyItem],
        kind: Option<&'static KindDef>,
        block: Option<&'static str>,
    ) {
        // Body lets are in scope in the whole body.
        for b in items {
            if let BodyItem::Let(l) = b {
                let id = self.add(Self::symbol(&l.name, SymbolKind::Let, l.span, false));
                if let Some(s) = self.scopes.last_mut() {
                    s.insert(l.name.name.clone(), id);
                }
            }
        }
        for b in items {
            match b {
                BodyItem::Field(f) => {
                    self.ix.fields.push((
                        f.name.name.clone(),
                        FieldSite {
                            span: f.name.span,
                            kind,
                            block,
                        },
                    ));
                    self.expr(&f.value);
                }
                BodyItem::Block(bl) => {
                    self.ix.blocks.push(bl.keyword.span);
                    let def = kind.and_then(|k| k.block(&bl.keyword.name));
                    self.body(&bl.body, kind, def.map(|d| d.keyword));
                }
                BodyItem::Resource(r) => self.resource(r, kind),
                BodyItem::For(f) => {
                    self.expr(&f.iter);
                    let var = self.add(Self::symbol(&f.var, SymbolKind::ForVar, f.span, false));
                    self.scopes.push(HashMap::from([(f.var.name.clone(), var)]));
                    self.body(&f.body, kind, block);
                    self.scopes.pop();
                }
                BodyItem::Let(l) => {
                    self.expr(&l.value);
                }
            }
        }
    }

    /// Walk an expression, recording uses; returns the symbol it names, if it names one.
    fn expr(&mut self, e: &Expr) -> Option<usize> {
        self.ix.exprs.push(e.span);
        match &e.kind {
            ExprKind::Int(_) | ExprKind::Bool(_) => None,
            ExprKind::Str(parts) => {
                for p in parts {
                    if let StrPart::Interp(x) = p {
                        self.expr(x);
                    }
                }
                None
            }
            ExprKind::Name(i) => match self.lookup(&i.name) {
                Some(t) => {
                    self.ix.refs.push((i.span, t));
                    Some(t)
                }
                None => {
                    self.ix.unresolved.push(i.span);
                    None
                }
            },
            ExprKind::List(xs) => {
                for x in xs {
                    self.expr(x);
                }
                None
            }
            ExprKind::Record(fs) => {
                for (_, x) in fs {
                    self.expr(x);
                }
                None
            }
            ExprKind::Range(a, b) | ExprKind::Binary(_, a, b) => {
                self.expr(a);
                self.expr(b);
                None
            }
            ExprKind::Unary(_, a) => {
                self.expr(a);
                None
            }
            ExprKind::If(c, a, b) => {
                self.expr(c);
                self.expr(a);
                self.expr(b);
                None
            }
            ExprKind::Call(f, args) => {
                self.ix.calls.push(f.span);
                for a in args {
                    self.expr(a);
                }
                None
            }
            ExprKind::Member(base, name) => {
                let b = self.expr(base)?;
                let sym = &self.ix.symbols[b];
                if let SymbolKind::Module(_) = sym.kind {
                    self.ix
                        .module_outputs
                        .push((name.span, name.name.clone(), b));
                    return None;
                }
                let child = sym
                    .children
                    .iter()
                    .copied()
                    .find(|c| self.ix.symbols[*c].name == name.name)?;
                self.ix.refs.push((name.span, child));
                Some(child)
            }
            ExprKind::Index(base, ix) => {
                self.expr(ix);
                self.expr(base)
            }
        }
    }
}

/// Child resource declarations of a body (also inside `for` loops of the body).
fn collect_children(items: &[BodyItem], f: &mut dyn FnMut(&ResourceDecl)) {
    for b in items {
        match b {
            BodyItem::Resource(r) => f(r),
            BodyItem::For(l) => collect_children(&l.body, f),
            BodyItem::Field(_) | BodyItem::Block(_) | BodyItem::Let(_) => {}
        }
    }
}

/// The end of a resource's header when a body follows it (the body starts at the first `{`
/// after it); `None` for a resource without a body.
fn header_end(r: &ResourceDecl) -> Option<u32> {
    if r.span.end > r.header_span.end {
        Some(r.header_span.end)
    } else {
        None
    }
}
