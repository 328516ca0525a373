//! The checker: names and types of a syntax tree against the [`Catalog`].
//!
//! It runs in two passes over the tree, never unrolling loops:
//! 1. *collect*: every resource declaration becomes a [`Decl`] (its kind, parent, children,
//!    the fields its body sets); top-level params, lets and resources become [`Global`]s.
//! 2. *check*: every expression is typed in its scope (loop variables and body lets, then
//!    globals, then the fields set by enclosing resources), every field against its
//!    [`crate::schema::FieldDef`], every kind against its placement.
//!
//! Bare words are resolved here: a word that is a value of the expected enum type is an
//! enum word (recorded in [`Checked::enum_words`] for the evaluator), otherwise a name.
//! The result, [`Checked`], is the only input of [`crate::eval`]. Every problem is
//! collected; checking never stops at the first error.

mod params;

use crate::diagnostic::Diagnostic;
use crate::schema::{BlockDef, Catalog, FieldDef, KindDef, Placement};
use crate::source::{FileId, Span};
use crate::suggest::{did_you_mean, did_you_mean_or};
use crate::syntax::ast::*;
use crate::types::Type;
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

pub use params::{
    example_of, format_code, format_help, parse_override, resolve_type, validate_format,
};

/// Index of a [`Decl`] in [`Checked::decls`].
pub type DeclId = usize;

/// Kinds that can be declared `existing` (read at plan time, never written): what another
/// team typically owns and a program references.
pub const EXISTING_KINDS: &[&str] = &[
    "group",
    "vnet",
    "subnet",
    "nsg",
    "private_dns_zone",
    "identity",
    "public_ip",
    "cluster",
];

/// One resource declaration (one per source declaration, before loops are unrolled).
#[derive(Debug)]
pub struct Decl<'a> {
    /// Its kind, `None` when the kind keyword is unknown (already reported).
    pub kind: Option<&'a KindDef>,
    /// Declared identifier; `None` for string-named resources (`a_record "x" { }`).
    pub name: Option<String>,
    /// The declaration.
    pub ast: &'a ResourceDecl,
    /// Declared with `NAME[index]`.
    pub indexed: bool,
    /// Enclosing resource declaration for children.
    pub parent: Option<DeclId>,
    /// Identifier-named children by name.
    pub children: BTreeMap<String, DeclId>,
    /// Field keys its body sets (`address_space`, `network.plugin`).
    pub fields_set: BTreeSet<String>,
}

/// What a top-level name refers to.
#[derive(Clone, Copy, Debug)]
pub enum Global<'a> {
    /// Index into [`Checked::params`].
    Param(usize),
    /// A top-level `let` (not inside a `for`).
    Let(&'a LetDecl),
    /// A top-level resource (possibly declared inside a top-level `for`).
    Resource(DeclId),
    /// A module instance `use NAME = ...`: index into [`Checked::uses`].
    Module(usize),
}

/// What a module file offers to the files that `use` it: its params and outputs, with
/// their types. Built from the module's [`Checked`] by [`Checked::interface`].
#[derive(Clone, Debug, Default)]
pub struct ModuleInterface {
    /// The module's file.
    pub file: FileId,
    /// Its display name (for messages).
    pub name: String,
    /// Params in source order: name, type, and whether it has a default.
    pub params: Vec<(String, Type, bool)>,
    /// Outputs in source order: name and type.
    pub outputs: Vec<(String, Type)>,
}

/// How a file is checked: as the root program, or as a module instantiated by `use`.
#[derive(Clone, Debug, Default)]
pub struct Unit {
    /// True for a module: it may not declare `stack`, and its params without default are
    /// given by each `use` rather than by `--param`.
    pub is_module: bool,
    /// The interface of the module each `use` of this file names, keyed by the span of the
    /// `use` declaration. A `use` missing here could not be loaded (already reported).
    pub modules: HashMap<Span, ModuleInterface>,
}

/// A checked `use` declaration.
#[derive(Debug)]
pub struct CheckedUse<'a> {
    /// The declaration.
    pub decl: &'a UseDecl,
    /// The module it instantiates (`None` when it could not be loaded).
    pub module: Option<ModuleInterface>,
}

/// A checked parameter.
#[derive(Debug)]
pub struct CheckedParam<'a> {
    /// The declaration.
    pub decl: &'a ParamDecl,
    /// Its resolved type.
    pub ty: Type,
    /// The `--param` value, parsed by type.
    pub value_override: Option<Value>,
}

/// A checked output.
#[derive(Debug)]
pub struct CheckedOutput<'a> {
    /// The declaration.
    pub decl: &'a OutputDecl,
    /// Its type.
    pub ty: Type,
}

/// A syntax tree that passed the checker, with what evaluation needs to know.
#[derive(Debug)]
pub struct Checked<'a> {
    /// The catalog checked against.
    pub catalog: &'a Catalog,
    /// The root file.
    pub file: &'a File,
    /// All resource declarations.
    pub decls: Vec<Decl<'a>>,
    /// Top-level names.
    pub globals: HashMap<String, Global<'a>>,
    /// Parameters in source order.
    pub params: Vec<CheckedParam<'a>>,
    /// Outputs in source order.
    pub outputs: Vec<CheckedOutput<'a>>,
    /// The `stack` declaration.
    pub stack: Option<&'a StackDecl>,
    /// Spans of bare words resolved as enum words.
    pub enum_words: HashSet<Span>,
    /// `use` declarations (module instances) in source order.
    pub uses: Vec<CheckedUse<'a>>,
    /// Each resource declaration's [`DeclId`], keyed by the declaration's span.
    pub decl_by_span: HashMap<Span, DeclId>,
    /// Checked as a module (see [`Unit::is_module`]).
    pub is_module: bool,
}

impl Checked<'_> {
    /// The params and outputs this file offers when it is used as a module.
    pub fn interface(&self, name: &str) -> ModuleInterface {
        ModuleInterface {
            file: self.file.span.file,
            name: name.to_string(),
            params: self
                .params
                .iter()
                .map(|p| {
                    (
                        p.decl.name.name.clone(),
                        p.ty.clone(),
                        p.decl.default.is_some(),
                    )
                })
                .collect(),
            outputs: self
                .outputs
                .iter()
                .map(|o| (o.decl.name.name.clone(), o.ty.clone()))
                .collect(),
        }
    }

    /// The declaration id of a resource declaration of this file.
    pub fn decl_of(&self, r: &ResourceDecl) -> Option<DeclId> {
        self.decl_by_span.get(&r.span).copied()
    }
}

/// Longest chain of lets whose types are being worked out at once (`let a0 = a1 + 1`,
/// `let a1 = a2 + 1`, ... each read before it is defined); longer is `capz::name::too-deep`.
pub const MAX_LET_CHAIN: usize = 1_000;

/// Check a parsed file. Returns the checked program (also when there are errors, for
/// tools that want partial results; [`crate::compile`] evaluates only error-free ones)
/// and every diagnostic found.
pub fn check<'a>(
    file: &'a File,
    catalog: &'a Catalog,
    overrides: &[(String, String)],
) -> (Checked<'a>, Vec<Diagnostic>) {
    check_unit(file, catalog, overrides, &Unit::default())
}

/// Check one file of a program: the root (with `--param` overrides) or a module (see
/// [`Unit`]). `unit.modules` gives the interface of every module the file `use`s.
pub fn check_unit<'a>(
    file: &'a File,
    catalog: &'a Catalog,
    overrides: &[(String, String)],
    unit: &Unit,
) -> (Checked<'a>, Vec<Diagnostic>) {
    let mut c = Checker {
        out: Checked {
            catalog,
            file,
            decls: Vec::new(),
            globals: HashMap::new(),
            params: Vec::new(),
            outputs: Vec::new(),
            stack: None,
            enum_words: HashSet::new(),
            uses: Vec::new(),
            decl_by_span: HashMap::new(),
            is_module: unit.is_module,
        },
        modules: unit.modules.clone(),
        near_misses: HashSet::new(),
        diags: Vec::new(),
        global_spans: HashMap::new(),
        let_types: HashMap::new(),
        let_busy: HashSet::new(),
        enums: params::catalog_enums(catalog),
    };
    c.collect_top(&file.items, false);
    if unit.is_module {
        c.check_no_stack();
    } else {
        c.check_stack_count();
    }
    c.apply_overrides(overrides);
    let root = Rc::new(Scope::default());
    c.check_items(&file.items, &root);
    (c.out, c.diags)
}

// ---- types and scopes -------------------------------------------------------------------

/// The checker's view of an expression's type: a [`Type`], or a reference to a
/// declaration (so that `.child` and `.field` can be resolved per declaration).
#[derive(Clone, Debug)]
enum Ty {
    T(Type),
    /// One resource of this declaration.
    Res(DeclId),
    /// An indexed declaration, before `[i]`.
    Family(DeclId),
    /// A nested block of a resource, before `.field`.
    Block(DeclId, &'static str),
    /// One instance of a module (index into [`Checked::uses`]), before `.output`.
    Module(usize),
    /// An indexed module instance, before `[i]`.
    ModuleFamily(usize),
}

fn any() -> Ty {
    Ty::T(Type::Any)
}

#[derive(Clone, Debug)]
enum Binding<'a> {
    /// A loop variable of this type.
    Var(Type),
    /// A `let` inside a loop or body, typed on first use in the scope that holds it (so
    /// lets of one body see each other).
    Let(&'a LetDecl),
}

/// Lexical scope: loop variables and lets, innermost first, and the enclosing resource.
#[derive(Debug, Default)]
struct Scope<'a> {
    vars: Vec<(String, Binding<'a>)>,
    parent: Option<Rc<Scope<'a>>>,
    /// The resource whose body this is (its set fields are visible by bare name).
    enclosing: Option<DeclId>,
}

/// The binding of `name` and the scope that holds it.
fn lookup<'a>(scope: &Rc<Scope<'a>>, name: &str) -> Option<(Binding<'a>, Rc<Scope<'a>>)> {
    let mut cur = Some(scope.clone());
    while let Some(s) = cur {
        if let Some((_, b)) = s.vars.iter().rev().find(|(n, _)| n == name) {
            return Some((b.clone(), s.clone()));
        }
        cur = s.parent.clone();
    }
    None
}

impl<'a> Scope<'a> {
    fn child(parent: &Rc<Scope<'a>>) -> Scope<'a> {
        Scope {
            vars: Vec::new(),
            parent: Some(parent.clone()),
            enclosing: parent.enclosing,
        }
    }

    fn names(&self, out: &mut Vec<String>) {
        out.extend(self.vars.iter().map(|(n, _)| n.clone()));
        if let Some(p) = &self.parent {
            p.names(out);
        }
    }
}

struct Checker<'a> {
    out: Checked<'a>,
    diags: Vec<Diagnostic>,
    /// First declaration span of each global (for "first declared here").
    global_spans: HashMap<String, Span>,
    let_types: HashMap<Span, Type>,
    let_busy: HashSet<Span>,
    enums: Vec<&'static crate::types::EnumType>,
    modules: HashMap<Span, ModuleInterface>,
    /// `(decl, field key)` of required fields that an unknown field nearly spells: the
    /// unknown field's did-you-mean says it all, so the missing field is not reported.
    near_misses: HashSet<(DeclId, String)>,
}

fn decl_name_span(r: &ResourceDecl) -> Span {
    match &r.name {
        ResName::Ident(i) => i.span,
        ResName::Str(e) => e.span,
    }
}

fn words_list(e: &crate::types::EnumType) -> String {
    e.words
        .iter()
        .map(|w| format!("`{}`", w.word))
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'a> Checker<'a> {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    // ---- pass 1: collect ----------------------------------------------------------------

    fn declare_global(&mut self, name: &Ident, g: Global<'a>, what: &str) {
        if let Some(first) = self.global_spans.get(&name.name) {
            let first = *first;
            self.err(
                Diagnostic::error(
                    "capz::name::duplicate",
                    format!("`{}` is declared more than once", name.name),
                )
                .with_primary(name.span, format!("second {what} named `{}`", name.name))
                .with_secondary(first, "first declared here")
                .with_help("params, lets and resources share one namespace: rename one of them"),
            );
            return;
        }
        self.global_spans.insert(name.name.clone(), name.span);
        self.out.globals.insert(name.name.clone(), g);
    }

    fn collect_top(&mut self, items: &'a [Item], in_loop: bool) {
        for item in items {
            match item {
                Item::Stack(s) => {
                    if self.out.stack.is_none() {
                        self.out.stack = Some(s);
                    }
                }
                Item::Param(p) => {
                    let ty = resolve_type(&p.ty, &self.enums, &mut self.diags);
                    let idx = self.out.params.len();
                    self.out.params.push(CheckedParam {
                        decl: p,
                        ty,
                        value_override: None,
                    });
                    if in_loop {
                        self.err(
                            Diagnostic::error(
                                "capz::name::not-in-loop",
                                "a `param` cannot be declared inside `for`",
                            )
                            .with_primary(p.name.span, "inside a loop")
                            .with_help("move the `param` to the top level of the file"),
                        );
                    }
                    self.declare_global(&p.name, Global::Param(idx), "param");
                }
                Item::Let(l) => {
                    if !in_loop {
                        self.declare_global(&l.name, Global::Let(l), "let");
                    }
                }
                Item::Output(o) => {
                    if in_loop {
                        self.err(
                            Diagnostic::error("capz::name::not-in-loop", "an `output` cannot be declared inside `for`")
                                .with_primary(o.name.span, "inside a loop")
                                .with_help("move the `output` out of the loop; an output may hold a list, e.g. `output names = [net[0].name, net[1].name]`"),
                        );
                    }
                    if let Some(prev) = self
                        .out
                        .outputs
                        .iter()
                        .find(|x| x.decl.name.name == o.name.name)
                    {
                        let first = prev.decl.name.span;
                        self.err(
                            Diagnostic::error(
                                "capz::name::duplicate",
                                format!("output `{}` is declared more than once", o.name.name),
                            )
                            .with_primary(o.name.span, "second output with this name")
                            .with_secondary(first, "first declared here")
                            .with_help("rename one of the outputs"),
                        );
                    }
                    self.out.outputs.push(CheckedOutput {
                        decl: o,
                        ty: Type::Any,
                    });
                }
                Item::Use(u) => {
                    if in_loop && u.index.is_none() {
                        self.err(
                            Diagnostic::error(
                                "capz::name::missing-index",
                                format!("`{}` is used inside `for` without an index", u.name.name),
                            )
                            .with_primary(u.name.span, "instantiated once per iteration under the same name")
                            .with_help(format!(
                                "give each instance its own name with an index, e.g. `use {}[i] = ...`",
                                u.name.name
                            )),
                        );
                    }
                    let idx = self.out.uses.len();
                    self.out.uses.push(CheckedUse {
                        decl: u,
                        module: self.modules.get(&u.span).cloned(),
                    });
                    self.declare_global(&u.name, Global::Module(idx), "module instance");
                }
                Item::For(f) => self.collect_top(&f.body, true),
                Item::Resource(r) => {
                    let id = self.collect_resource(r, None, in_loop);
                    if let ResName::Ident(n) = &r.name {
                        self.declare_global(n, Global::Resource(id), "resource");
                    }
                }
            }
        }
    }

    fn collect_resource(
        &mut self,
        r: &'a ResourceDecl,
        parent: Option<DeclId>,
        in_loop: bool,
    ) -> DeclId {
        let parent_kw = parent
            .and_then(|p| self.out.decls[p].kind)
            .map(|k| k.keyword);
        let kind = self.out.catalog.kind_in(parent_kw, &r.kind.name);
        let id = self.out.decls.len();
        let name = match &r.name {
            ResName::Ident(i) => Some(i.name.clone()),
            ResName::Str(_) => None,
        };
        if in_loop
            && r.index.is_none()
            && let ResName::Ident(i) = &r.name
        {
            self.err(
                Diagnostic::error(
                    "capz::name::missing-index",
                    format!("`{}` is declared inside `for` without an index", i.name),
                )
                .with_primary(i.span, "declared once per iteration under the same name")
                .with_help(format!(
                    "give each instance its own name with an index, e.g. `{}[i]`",
                    i.name
                )),
            );
        }
        self.out.decl_by_span.insert(r.span, id);
        self.out.decls.push(Decl {
            kind,
            name,
            ast: r,
            indexed: r.index.is_some(),
            parent,
            children: BTreeMap::new(),
            fields_set: BTreeSet::new(),
        });
        let mut fields = BTreeSet::new();
        self.collect_body(id, &r.body, "", &mut fields, false);
        self.out.decls[id].fields_set = fields;
        id
    }

    fn collect_body(
        &mut self,
        id: DeclId,
        items: &'a [BodyItem],
        prefix: &str,
        fields: &mut BTreeSet<String>,
        in_loop: bool,
    ) {
        for item in items {
            match item {
                BodyItem::Field(f) => {
                    fields.insert(format!("{prefix}{}", f.name.name));
                }
                BodyItem::Block(b) => {
                    let p = format!("{prefix}{}.", b.keyword.name);
                    self.collect_body(id, &b.body, &p, fields, in_loop);
                }
                BodyItem::Resource(r) => {
                    let child = self.collect_resource(r, Some(id), in_loop);
                    if let ResName::Ident(n) = &r.name {
                        if let Some(prev) = self.out.decls[id].children.get(&n.name).copied() {
                            let first = decl_name_span(self.out.decls[prev].ast);
                            self.err(
                                Diagnostic::error(
                                    "capz::name::duplicate",
                                    format!("`{}` is declared more than once here", n.name),
                                )
                                .with_primary(n.span, "second child with this name")
                                .with_secondary(first, "first declared here")
                                .with_help("give each child resource its own name"),
                            );
                        } else {
                            self.out.decls[id].children.insert(n.name.clone(), child);
                        }
                    }
                }
                BodyItem::For(f) => self.collect_body(id, &f.body, prefix, fields, true),
                BodyItem::Let(_) => {}
            }
        }
    }

    fn check_stack_count(&mut self) {
        let stacks: Vec<&StackDecl> = stacks_in(&self.out.file.items);
        match stacks.as_slice() {
            [] => {
                let span = Span::new(self.out.file.span.file, 0, 0);
                self.err(
                    Diagnostic::error("capz::stack::missing", "the program declares no `stack`")
                        .with_primary(span, "expected `stack \"NAME\"` in this file")
                        .with_help("add `stack \"my-stack\"` at the top: every resource is tagged capz-stack=my-stack so that plan can find what it owns"),
                );
            }
            [_] => {}
            [first, rest @ ..] => {
                let first = first.span;
                for s in rest {
                    self.err(
                        Diagnostic::error(
                            "capz::stack::duplicate",
                            "`stack` is declared more than once",
                        )
                        .with_primary(s.span, "second `stack`")
                        .with_secondary(first, "first declared here")
                        .with_help("a program belongs to exactly one stack: keep one `stack` line"),
                    );
                }
            }
        }
    }

    fn check_no_stack(&mut self) {
        for s in stacks_in(&self.out.file.items) {
            self.err(
                Diagnostic::error("capz::module::stack", "a module cannot declare `stack`")
                    .with_primary(s.span, "`stack` in a module")
                    .with_help("the stack is set once, by the program that uses the module: remove this line"),
            );
        }
    }

    fn apply_overrides(&mut self, overrides: &[(String, String)]) {
        for (name, text) in overrides {
            let Some(idx) = self
                .out
                .params
                .iter()
                .position(|p| &p.decl.name.name == name)
            else {
                let names: Vec<&str> = self
                    .out
                    .params
                    .iter()
                    .map(|p| p.decl.name.name.as_str())
                    .collect();
                let help = if names.is_empty() {
                    "this program declares no params".to_string()
                } else {
                    did_you_mean_or(name, &names, |l| format!("the declared params are: {l}"))
                };
                self.err(
                    Diagnostic::error(
                        "capz::param::unknown",
                        format!("--param {name}: no param `{name}` is declared"),
                    )
                    .with_help(help),
                );
                continue;
            };
            let p = &self.out.params[idx];
            match parse_override(text, &p.ty) {
                Ok(v) => self.out.params[idx].value_override = Some(v),
                Err(why) => {
                    let span = p.decl.name.span;
                    let ty = p.ty.clone();
                    self.err(
                        Diagnostic::error(
                            "capz::param::invalid-value",
                            format!("--param {name}={text}: {why}"),
                        )
                        .with_primary(span, format!("declared as {ty}"))
                        .with_help(format!(
                            "pass a value of type {ty}, e.g. {}",
                            params::example_of(&ty)
                        )),
                    );
                }
            }
        }
        for i in 0..self.out.params.len() {
            let p = &self.out.params[i];
            if p.decl.default.is_none() && p.value_override.is_none() && !self.out.is_module {
                let name = p.decl.name.name.clone();
                let span = p.decl.name.span;
                let ex = params::example_of(&p.ty);
                self.err(
                    Diagnostic::error("capz::param::missing", format!("param `{name}` has no value"))
                        .with_primary(span, "declared without a default")
                        .with_help(format!("pass `--param {name}=VALUE` (e.g. {ex}), or give it a default: `param {name}: ... = VALUE`")),
                );
            }
        }
    }

    // ---- pass 2: check -------------------------------------------------------------------

    fn check_items(&mut self, items: &'a [Item], scope: &Rc<Scope<'a>>) {
        // Lets inside a loop body are visible throughout that body.
        let scope = if scope.parent.is_some() {
            let mut s = Scope::child(scope);
            for item in items {
                if let Item::Let(l) = item {
                    if s.vars.iter().any(|(n, _)| *n == l.name.name) {
                        self.err(
                            Diagnostic::error(
                                "capz::name::duplicate",
                                format!("`{}` is declared more than once", l.name.name),
                            )
                            .with_primary(l.name.span, "second `let` with this name")
                            .with_help("rename one of them"),
                        );
                    }
                    s.vars.push((l.name.name.clone(), Binding::Let(l)));
                }
            }
            Rc::new(s)
        } else {
            scope.clone()
        };
        for item in items {
            match item {
                Item::Stack(s) => {
                    self.expect(&s.name, &scope, &Type::String);
                }
                Item::Param(p) => {
                    if let Some(d) = &p.default {
                        let ty = self
                            .out
                            .params
                            .iter()
                            .find(|x| std::ptr::eq(x.decl, p))
                            .map(|x| x.ty.clone())
                            .unwrap_or(Type::Any);
                        self.expect(d, &scope, &ty);
                    }
                }
                Item::Let(l) => {
                    self.let_type(l, &scope);
                }
                Item::Output(o) => {
                    let t = self.expr(&o.value, &scope, None);
                    let ty = self.to_type(&t);
                    if let Some(slot) = self
                        .out
                        .outputs
                        .iter_mut()
                        .find(|x| std::ptr::eq(x.decl, o))
                    {
                        slot.ty = ty;
                    }
                }
                Item::Use(u) => self.check_use(u, &scope),
                Item::For(f) => {
                    let var_ty = self.iter_type(&f.iter, &scope);
                    let mut s = Scope::child(&scope);
                    s.vars.push((f.var.name.clone(), Binding::Var(var_ty)));
                    self.check_items(&f.body, &Rc::new(s));
                }
                Item::Resource(r) => {
                    if let Some(id) = self.decl_of(r) {
                        self.check_top_resource(id, &scope);
                    }
                }
            }
        }
    }

    fn decl_of(&self, r: &ResourceDecl) -> Option<DeclId> {
        self.out.decl_of(r)
    }

    /// A `use`: its index, and its arguments against the module's params.
    fn check_use(&mut self, u: &'a UseDecl, scope: &Rc<Scope<'a>>) {
        if let Some(ix) = &u.index {
            self.expect(ix, scope, &Type::Int);
        }
        let Some(m) = self.modules.get(&u.span).cloned() else {
            // Not loaded (reported with the load); still check the argument expressions.
            for a in &u.args {
                self.expr(&a.value, scope, None);
            }
            return;
        };
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for a in &u.args {
            let Some((_, ty, _)) = m.params.iter().find(|(n, _, _)| *n == a.name.name) else {
                let params: Vec<&str> = m.params.iter().map(|(n, _, _)| n.as_str()).collect();
                let help = if params.is_empty() {
                    format!("{} declares no params", m.name)
                } else {
                    did_you_mean_or(&a.name.name, &params, |l| {
                        format!("the params of {} are: {l}", m.name)
                    })
                };
                self.err(
                    Diagnostic::error(
                        "capz::module::unknown-param",
                        format!("module {} has no param `{}`", m.name, a.name.name),
                    )
                    .with_primary(a.name.span, "unknown param")
                    .with_help(help),
                );
                self.expr(&a.value, scope, None);
                continue;
            };
            if let Some(first) = seen.get(a.name.name.as_str()) {
                let first = *first;
                self.err(
                    Diagnostic::error(
                        "capz::field::duplicate",
                        format!("param `{}` is given more than once", a.name.name),
                    )
                    .with_primary(a.name.span, "given again here")
                    .with_secondary(first, "first given here")
                    .with_help("remove one of them"),
                );
            } else {
                seen.insert(&a.name.name, a.name.span);
            }
            self.expect(&a.value, scope, ty);
        }
        let missing: Vec<&(String, Type, bool)> = m
            .params
            .iter()
            .filter(|(n, _, has_default)| !has_default && !seen.contains_key(n.as_str()))
            .collect();
        for (n, ty, _) in missing {
            self.err(
                Diagnostic::error(
                    "capz::module::missing-param",
                    format!("module {} needs param `{n}`", m.name),
                )
                .with_primary(u.name.span, format!("`{n}` not given"))
                .with_help(format!(
                    "add `{n} = {}` inside the `{{ ... }}` of this `use`",
                    params::example_of(ty)
                )),
            );
        }
    }

    /// The element type of a `for` iterable.
    fn iter_type(&mut self, e: &'a Expr, scope: &Rc<Scope<'a>>) -> Type {
        let t = self.expr(e, scope, None);
        match self.to_type(&t) {
            Type::KnownAfterApply(_) => {
                self.err(
                    Diagnostic::error("capz::eval::unknown-loop", "`for` iterates over a value known only after apply")
                        .with_primary(e.span, "known after apply")
                        .with_help("loops are unrolled before the plan: iterate over params, lets or declared values"),
                );
                Type::Any
            }
            Type::Range => Type::Int,
            Type::List(t) => *t,
            Type::Any => Type::Any,
            other => {
                self.err(
                    Diagnostic::error(
                        "capz::type::not-iterable",
                        format!("`for` cannot iterate over {}", an(&other)),
                    )
                    .with_primary(e.span, format!("this is {}", an(&other)))
                    .with_help("iterate over a range `0..n` or a list `[a, b]`"),
                );
                Type::Any
            }
        }
    }

    fn check_top_resource(&mut self, id: DeclId, scope: &Rc<Scope<'a>>) {
        let r = self.out.decls[id].ast;
        let Some(kind) = self.out.decls[id].kind else {
            let candidates: Vec<&str> = self
                .out
                .catalog
                .kinds
                .iter()
                .filter(|k| {
                    k.placement.parent_kind().is_none()
                        || matches!(k.placement, Placement::Link { .. })
                })
                .map(|k| k.keyword)
                .collect();
            let help = did_you_mean_or(&r.kind.name, &candidates, |l| {
                format!("the resource kinds are: {l}")
            });
            self.err(
                Diagnostic::error(
                    "capz::kind::unknown",
                    format!("unknown resource kind `{}`", r.kind.name),
                )
                .with_primary(r.kind.span, "not a resource kind")
                .with_help(help),
            );
            return;
        };
        match kind.placement {
            Placement::Link { parent, .. } => {
                if !is_link_decl(r) {
                    self.err(
                        Diagnostic::error(
                            "capz::kind::link-syntax",
                            format!(
                                "a `{}` joins two `{parent}`s: write `{} A <-> B {{ ... }}`",
                                kind.keyword, kind.keyword
                            ),
                        )
                        .with_primary(r.header_span, "not written as `A <-> B`")
                        .with_help(format!(
                            "e.g. `{} hub_net <-> spoke_net {{ allow_forwarded_traffic = true }}`",
                            kind.keyword
                        )),
                    );
                }
                if let Some(g) = &r.group {
                    self.err(
                        Diagnostic::error(
                            "capz::kind::unexpected-in",
                            format!(
                                "a `{}` lives in its `{parent}`s, not in a resource group",
                                kind.keyword
                            ),
                        )
                        .with_primary(g.span, "remove this")
                        .with_help(format!(
                            "write `{} A <-> B {{ ... }}` without `in`",
                            kind.keyword
                        )),
                    );
                }
            }
            Placement::Child { parent, .. } | Placement::Inline { parent, .. } => {
                self.err(
                    Diagnostic::error(
                        "capz::kind::wrong-parent",
                        format!("a `{}` must be declared inside a `{parent}`", kind.keyword),
                    )
                    .with_primary(r.kind.span, "declared at the top level")
                    .with_help(format!("move it into the body of a `{parent}`: `{parent} NAME in GROUP {{ {} ... }}`", kind.keyword)),
                );
            }
            Placement::ResourceGroup => {
                if let Some(g) = &r.group {
                    self.err(
                        Diagnostic::error(
                            "capz::kind::unexpected-in",
                            format!("a `{}` is not inside a resource group", kind.keyword),
                        )
                        .with_primary(g.span, "remove this")
                        .with_help(format!(
                            "write `{} {} {{ ... }}` without `in`",
                            kind.keyword,
                            name_text(r)
                        )),
                    );
                }
            }
            Placement::InGroup => match &r.group {
                None => {
                    let groups = self.group_names();
                    let example = groups.first().cloned().unwrap_or_else(|| "GROUP".into());
                    let mut help = format!(
                        "write `{} {} in {example} {{ ... }}`",
                        kind.keyword,
                        name_text(r)
                    );
                    if groups.is_empty() {
                        help.push_str(" after declaring `group NAME { location = \"...\" }`");
                    }
                    self.err(
                        Diagnostic::error(
                            "capz::kind::missing-group",
                            format!("`{} {}` needs a resource group", kind.keyword, name_text(r)),
                        )
                        .with_primary(r.header_span, "no `in GROUP`")
                        .with_help(help),
                    );
                }
                Some(g) => self.check_group_ref(g, scope),
            },
        }
        self.check_resource(id, scope);
    }

    fn group_names(&self) -> Vec<String> {
        self.out
            .decls
            .iter()
            .filter(|d| {
                d.parent.is_none()
                    && d.kind
                        .is_some_and(|k| k.placement == Placement::ResourceGroup)
            })
            .filter_map(|d| d.name.clone())
            .collect()
    }

    fn check_group_ref(&mut self, g: &'a GroupRef, scope: &Rc<Scope<'a>>) {
        let target = self.out.globals.get(&g.name.name).copied();
        match target {
            Some(Global::Resource(gid)) => {
                let d = &self.out.decls[gid];
                let is_group = d
                    .kind
                    .is_none_or(|k| k.placement == Placement::ResourceGroup);
                let indexed = d.indexed;
                let kw = d.kind.map_or("?", |k| k.keyword);
                if !is_group {
                    self.err(
                        Diagnostic::error(
                            "capz::name::not-a-group",
                            format!("`{}` is a `{kw}`, not a `group`", g.name.name),
                        )
                        .with_primary(g.name.span, "not a resource group")
                        .with_help(format!(
                            "`in` names a declared `group`; the groups are: {}",
                            self.group_names().join(", ")
                        )),
                    );
                }
                match (&g.index, indexed) {
                    (Some(ix), true) => {
                        self.expect(ix, scope, &Type::Int);
                    }
                    (None, true) => self.err(
                        Diagnostic::error(
                            "capz::name::missing-index",
                            format!("`{}` is declared with an index", g.name.name),
                        )
                        .with_primary(g.name.span, "which one?")
                        .with_help(format!("write `in {}[i]`", g.name.name)),
                    ),
                    (Some(ix), false) => self.err(
                        Diagnostic::error(
                            "capz::type::not-indexable",
                            format!("`{}` is declared without an index", g.name.name),
                        )
                        .with_primary(ix.span, "remove this index")
                        .with_help(format!("write `in {}`", g.name.name)),
                    ),
                    (None, false) => {}
                }
            }
            Some(_) => self.err(
                Diagnostic::error(
                    "capz::name::not-a-group",
                    format!("`{}` is not a resource group", g.name.name),
                )
                .with_primary(g.name.span, "not a `group`")
                .with_help("`in` names a declared `group`"),
            ),
            None => {
                let groups = self.group_names();
                let help = match did_you_mean(&g.name.name, groups.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "declare it: `group NAME { location = \"eastus2\" }`".to_string(),
                };
                self.err(
                    Diagnostic::error(
                        "capz::name::undeclared",
                        format!("no group named `{}` is declared", g.name.name),
                    )
                    .with_primary(g.name.span, "not declared")
                    .with_help(help),
                );
            }
        }
    }

    /// Check a resource's index, body and required fields (kind known or not).
    fn check_resource(&mut self, id: DeclId, scope: &Rc<Scope<'a>>) {
        let r = self.out.decls[id].ast;
        if let Some(ix) = &r.index {
            self.expect(ix, scope, &Type::Int);
        }
        if let ResName::Str(e) = &r.name {
            self.expect(e, scope, &Type::String);
        }
        let Some(kind) = self.out.decls[id].kind else {
            return;
        };
        let mut body_scope = Scope::child(scope);
        body_scope.enclosing = Some(id);
        let body_scope = Rc::new(body_scope);
        let mut seen = HashMap::new();
        self.check_body(id, kind, None, &r.body, &body_scope, &mut seen, false);
        if let Some(at) = r.existing {
            self.check_existing(id, kind, at);
            return;
        }
        // Required fields.
        // A link written without `<->` is reported once (capz::kind::link-syntax), not
        // as missing `from`/`to`.
        let bad_link = matches!(kind.placement, Placement::Link { .. }) && !is_link_decl(r);
        for f in &kind.fields {
            if !f.required || f.name == "name" || bad_link {
                continue;
            }
            if f.name == "location" && kind.placement != Placement::ResourceGroup {
                continue;
            }
            if !self.out.decls[id].fields_set.contains(f.name)
                && !self.near_misses.contains(&(id, f.name.to_string()))
            {
                self.err(missing_field(r, kind, f, None));
            }
        }
        for b in &kind.blocks {
            let present = self.out.decls[id]
                .fields_set
                .iter()
                .any(|k| k.starts_with(&format!("{}.", b.keyword)));
            let any_required = b.fields.iter().any(|f| f.required);
            if any_required && present {
                for f in b.fields.iter().filter(|f| f.required) {
                    let key = format!("{}.{}", b.keyword, f.name);
                    if !self.out.decls[id].fields_set.contains(&key)
                        && !self.near_misses.contains(&(id, key))
                    {
                        self.err(missing_field(r, kind, f, Some(b)));
                    }
                }
            }
        }
    }

    /// An `existing` declaration: a kind that can be read ([`EXISTING_KINDS`]), nothing set
    /// but `name` (the body only names it; children may be declared), and an `existing`
    /// child only inside an `existing` parent. Bicep's `existing` keyword has the same shape
    /// (learn.microsoft.com/azure/azure-resource-manager/bicep/existing-resource: "the
    /// resource isn't deployed", only `name`, `scope` and `parent` are set).
    fn check_existing(&mut self, id: DeclId, kind: &'a KindDef, at: Span) {
        let r = self.out.decls[id].ast;
        if !EXISTING_KINDS.contains(&kind.keyword) {
            self.err(
                Diagnostic::error(
                    "capz::existing::kind",
                    format!("a `{}` cannot be declared `existing`", kind.keyword),
                )
                .with_primary(at.to(r.kind.span), "not a kind capz reads")
                .with_help(format!(
                    "`existing` works for {}; declare the `{}` without `existing` to manage it",
                    EXISTING_KINDS.join(", "),
                    kind.keyword
                )),
            );
        }
        for item in &r.body {
            let (what, span) = match item {
                BodyItem::Field(f) if f.name.name == "name" => continue,
                BodyItem::Field(f) => (format!("field `{}`", f.name.name), f.name.span),
                BodyItem::Block(b) => (format!("block `{}`", b.keyword.name), b.keyword.span),
                _ => continue,
            };
            self.err(
                Diagnostic::error(
                    "capz::existing::field",
                    format!("`existing {}` sets {what}", name_text(r)),
                )
                .with_primary(span, "an existing resource is only read")
                .with_help(
                    "an existing resource's body only names it (`name = \"...\"`); its other fields are read from Azure at plan time and can be referenced",
                ),
            );
        }
        let parent = self.out.decls[id].parent;
        if let Some(p) = parent
            && self.out.decls[p].ast.existing.is_none()
        {
            let pn = name_text(self.out.decls[p].ast);
            self.err(
                Diagnostic::error(
                    "capz::existing::parent",
                    format!(
                        "`existing {}` is inside `{pn}`, which this program manages",
                        name_text(r)
                    ),
                )
                .with_primary(at.to(r.kind.span), "existing child of a managed parent")
                .with_help(format!(
                    "the children of `{pn}` are this program's: drop `existing`, or declare `{pn}` `existing` too"
                )),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_body(
        &mut self,
        id: DeclId,
        kind: &'a KindDef,
        block: Option<&'a BlockDef>,
        items: &'a [BodyItem],
        scope: &Rc<Scope<'a>>,
        seen: &mut HashMap<String, Span>,
        in_loop: bool,
    ) {
        // Body lets are visible throughout the body.
        let mut s = Scope::child(scope);
        for item in items {
            if let BodyItem::Let(l) = item {
                s.vars.push((l.name.name.clone(), Binding::Let(l)));
            }
        }
        let scope = Rc::new(s);
        let prefix = block.map(|b| format!("{}.", b.keyword)).unwrap_or_default();
        for item in items {
            match item {
                BodyItem::Let(l) => {
                    self.let_type(l, &scope);
                }
                BodyItem::Field(f) => {
                    let key = format!("{prefix}{}", f.name.name);
                    let def = match block {
                        Some(b) => b.fields.iter().find(|x| x.name == f.name.name),
                        None => kind.fields.iter().find(|x| x.name == f.name.name),
                    };
                    let Some(def) = def else {
                        if let Some(near) = self.unknown_field(kind, block, &f.name) {
                            self.near_misses.insert((id, format!("{prefix}{near}")));
                        }
                        self.expr(&f.value, &scope, None);
                        continue;
                    };
                    if in_loop {
                        self.err(
                            Diagnostic::error("capz::field::in-loop", format!("field `{}` is set inside `for`", f.name.name))
                                .with_primary(f.name.span, "would be set once per iteration")
                                .with_help("set each field once; use a list expression to build repeated values"),
                        );
                    } else if let Some(first) = seen.get(&key) {
                        let first = *first;
                        self.err(
                            Diagnostic::error(
                                "capz::field::duplicate",
                                format!("field `{}` is set more than once", f.name.name),
                            )
                            .with_primary(f.name.span, "set again here")
                            .with_secondary(first, "first set here")
                            .with_help("remove one of the assignments"),
                        );
                    } else {
                        seen.insert(key, f.name.span);
                    }
                    self.expect(&f.value, &scope, &def.ty);
                }
                BodyItem::Block(b) => {
                    if block.is_some() {
                        self.err(
                            Diagnostic::error(
                                "capz::field::not-allowed",
                                format!(
                                    "`{} {{ ... }}` cannot be nested in a block",
                                    b.keyword.name
                                ),
                            )
                            .with_primary(b.keyword.span, "not allowed inside a block")
                            .with_help("blocks hold only fields (`name = value`)"),
                        );
                        continue;
                    }
                    match kind.block(&b.keyword.name) {
                        Some(bd) => {
                            if let Some(first) = seen.get(&format!("{{{}}}", bd.keyword)) {
                                let first = *first;
                                self.err(
                                    Diagnostic::error(
                                        "capz::field::duplicate",
                                        format!("block `{}` appears more than once", bd.keyword),
                                    )
                                    .with_primary(b.keyword.span, "again here")
                                    .with_secondary(first, "first here")
                                    .with_help("put all its fields in one block"),
                                );
                            } else {
                                seen.insert(format!("{{{}}}", bd.keyword), b.keyword.span);
                            }
                            self.check_body(id, kind, Some(bd), &b.body, &scope, seen, in_loop);
                        }
                        None => self.unknown_block(kind, &b.keyword),
                    }
                }
                BodyItem::Resource(r) => {
                    if block.is_some() {
                        self.err(
                            Diagnostic::error(
                                "capz::field::not-allowed",
                                "a resource cannot be declared in a block",
                            )
                            .with_primary(r.header_span, "not allowed inside a block")
                            .with_help("declare child resources directly in the resource body"),
                        );
                        continue;
                    }
                    let Some(child) = self.decl_of(r) else {
                        continue;
                    };
                    self.check_child(id, kind, child, &scope);
                }
                BodyItem::For(f) => {
                    let var_ty = self.iter_type(&f.iter, &scope);
                    let mut s = Scope::child(&scope);
                    s.vars.push((f.var.name.clone(), Binding::Var(var_ty)));
                    self.check_body(id, kind, block, &f.body, &Rc::new(s), seen, true);
                }
            }
        }
    }

    fn check_child(
        &mut self,
        parent: DeclId,
        pkind: &'a KindDef,
        child: DeclId,
        scope: &Rc<Scope<'a>>,
    ) {
        let r = self.out.decls[child].ast;
        match self.out.decls[child].kind {
            None => {
                let help = if pkind.children.is_empty() {
                    format!("a `{}` has no child resources", pkind.keyword)
                } else {
                    did_you_mean_or(&r.kind.name, &pkind.children, |l| {
                        format!("a `{}` can contain: {l}", pkind.keyword)
                    })
                };
                let fields: Vec<&str> = pkind.fields.iter().map(|f| f.name).collect();
                let help = match did_you_mean(&r.kind.name, fields.iter().copied()) {
                    Some(f) => format!("`{f}` is a field: write `{f} = value`"),
                    None => help,
                };
                self.err(
                    Diagnostic::error(
                        "capz::kind::unknown",
                        format!("unknown resource kind `{}`", r.kind.name),
                    )
                    .with_primary(r.kind.span, "not a resource kind")
                    .with_help(help),
                );
                return;
            }
            Some(ck) => {
                let ok = (ck.placement.parent_kind() == Some(pkind.keyword)
                    && !matches!(ck.placement, Placement::Link { .. }))
                    || pkind.children.contains(&ck.keyword);
                if !ok {
                    let help = match ck.placement {
                        Placement::Child { parent: p, .. }
                        | Placement::Inline { parent: p, .. } => {
                            format!("declare it inside a `{p}`")
                        }
                        Placement::Link { .. } => format!(
                            "declare it at the top level: `{} A <-> B {{ ... }}`",
                            ck.keyword
                        ),
                        _ => format!(
                            "declare it at the top level: `{} {} in GROUP {{ ... }}`",
                            ck.keyword,
                            name_text(r)
                        ),
                    };
                    self.err(
                        Diagnostic::error(
                            "capz::kind::wrong-parent",
                            format!(
                                "a `{}` cannot be declared inside a `{}`",
                                ck.keyword, pkind.keyword
                            ),
                        )
                        .with_primary(r.kind.span, format!("not a child of `{}`", pkind.keyword))
                        .with_help(help),
                    );
                }
                if let Some(g) = &r.group {
                    self.err(
                        Diagnostic::error(
                            "capz::kind::unexpected-in",
                            format!("a child `{}` takes no `in GROUP`", ck.keyword),
                        )
                        .with_primary(g.span, "remove this")
                        .with_help(format!(
                            "a child lives in its parent `{}`'s group",
                            pkind.keyword
                        )),
                    );
                }
            }
        }
        let _ = parent;
        self.check_resource(child, scope);
    }

    /// Report an unknown field; returns the field it nearly spells, if any.
    fn unknown_field(
        &mut self,
        kind: &KindDef,
        block: Option<&BlockDef>,
        name: &Ident,
    ) -> Option<&'static str> {
        let (owner, names): (String, Vec<&str>) = match block {
            Some(b) => (
                format!("block `{}` of `{}`", b.keyword, kind.keyword),
                b.fields.iter().map(|f| f.name).collect(),
            ),
            None => (
                format!("`{}`", kind.keyword),
                kind.fields.iter().map(|f| f.name).collect(),
            ),
        };
        let near = did_you_mean(&name.name, names.iter().copied());
        let help = match near {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                if block.is_none() && kind.block(&name.name).is_some() {
                    format!(
                        "`{}` is a block: write `{} {{ ... }}`",
                        name.name, name.name
                    )
                } else if block.is_none() && kind.children.contains(&name.name.as_str()) {
                    format!(
                        "`{}` is a child resource: write `{} NAME {{ ... }}`",
                        name.name, name.name
                    )
                } else {
                    format!("the fields of {owner} are: {}", names.join(", "))
                }
            }
        };
        self.err(
            Diagnostic::error(
                "capz::field::unknown",
                format!("{owner} has no field `{}`", name.name),
            )
            .with_primary(name.span, "unknown field")
            .with_help(help),
        );
        near.and_then(|n| names.iter().copied().find(|x| *x == n))
    }

    fn unknown_block(&mut self, kind: &KindDef, name: &Ident) {
        let blocks: Vec<&str> = kind.blocks.iter().map(|b| b.keyword).collect();
        let help = if let Some(s) = did_you_mean(&name.name, blocks.iter().copied()) {
            format!("did you mean `{s}`?")
        } else if kind.children.contains(&name.name.as_str())
            || self.out.catalog.kind(&name.name).is_some()
        {
            format!(
                "a child resource needs a name: `{} NAME {{ ... }}`",
                name.name
            )
        } else if kind.fields.iter().any(|f| f.name == name.name) {
            format!("`{}` is a field: write `{} = value`", name.name, name.name)
        } else if blocks.is_empty() {
            format!("`{}` has no nested blocks", kind.keyword)
        } else {
            format!(
                "the blocks of `{}` are: {}",
                kind.keyword,
                blocks.join(", ")
            )
        };
        self.err(
            Diagnostic::error(
                "capz::field::unknown-block",
                format!("`{}` has no block `{}`", kind.keyword, name.name),
            )
            .with_primary(name.span, "unknown block")
            .with_help(help),
        );
    }

    // ---- expressions -----------------------------------------------------------------------

    /// Longest chain of lets whose types are being found at once (`let a0 = a1`,
    /// `let a1 = a2`, ...); longer is `capz::name::too-deep`.
    fn let_type(&mut self, l: &'a LetDecl, scope: &Rc<Scope<'a>>) -> Type {
        if let Some(t) = self.let_types.get(&l.span) {
            return t.clone();
        }
        if !self.let_busy.insert(l.span) {
            // A cycle: reported once by evaluation's cycle check would never run, so here.
            self.err(
                Diagnostic::error(
                    "capz::name::cycle",
                    format!("`{}` is defined in terms of itself", l.name.name),
                )
                .with_primary(l.value.span, "refers back to itself")
                .with_help("break the cycle: a value cannot depend on itself"),
            );
            self.let_types.insert(l.span, Type::Any);
            return Type::Any;
        }
        if self.let_busy.len() > MAX_LET_CHAIN {
            self.err(
                Diagnostic::error(
                    "capz::name::too-deep",
                    format!("`{}` is at the end of a chain of more than {MAX_LET_CHAIN} lets, each defined by the next", l.name.name),
                )
                .with_primary(l.value.span, "the chain is too long here")
                .with_help("compute the value in fewer steps"),
            );
            self.let_types.insert(l.span, Type::Any);
            return Type::Any;
        }
        // A let's type is found on demand, so a chain of lets recurses: grow the stack on
        // the heap when less than 128 KiB is left (1 MiB at a time).
        let t = stacker::maybe_grow(128 << 10, 1 << 20, || self.expr(&l.value, scope, None));
        let t = self.to_type(&t);
        self.let_busy.remove(&l.span);
        self.let_types.entry(l.span).or_insert(t).clone()
    }

    fn to_type(&self, t: &Ty) -> Type {
        match t {
            Ty::T(t) => t.clone(),
            Ty::Res(d) => Type::Resource(self.out.decls[*d].kind.map_or("?", |k| k.keyword)),
            Ty::Family(d) => Type::List(Box::new(Type::Resource(
                self.out.decls[*d].kind.map_or("?", |k| k.keyword),
            ))),
            Ty::Block(d, kw) => {
                let decl = &self.out.decls[*d];
                let mut fields = Vec::new();
                if let Some(b) = decl.kind.and_then(|k| k.block(kw)) {
                    for f in &b.fields {
                        if decl.fields_set.contains(&format!("{kw}.{}", f.name)) {
                            fields.push((f.name.to_string(), f.ty.clone()));
                        }
                    }
                }
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                Type::Record(fields)
            }
            Ty::Module(u) => self.module_record(*u),
            Ty::ModuleFamily(u) => Type::List(Box::new(self.module_record(*u))),
        }
    }

    /// A module instance as a value: the record of its outputs.
    fn module_record(&self, u: usize) -> Type {
        match self.out.uses.get(u).and_then(|x| x.module.as_ref()) {
            Some(m) => {
                let mut fields = m.outputs.clone();
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                Type::Record(fields)
            }
            None => Type::Any,
        }
    }

    /// Check `e` where a value of type `expected` is required.
    fn expect(&mut self, e: &'a Expr, scope: &Rc<Scope<'a>>, expected: &Type) -> Ty {
        let before = self.diags.len();
        let t = self.expr(e, scope, Some(expected));
        let ty = self.to_type(&t);
        if self.diags.len() == before && !compatible(&ty, expected) {
            self.err(mismatch(e, expected, &ty));
        }
        t
    }

    fn expr(&mut self, e: &'a Expr, scope: &Rc<Scope<'a>>, expected: Option<&Type>) -> Ty {
        let expected_inner = expected.map(|t| match t {
            Type::KnownAfterApply(t) => &**t,
            t => t,
        });
        match &e.kind {
            ExprKind::Int(_) => Ty::T(Type::Int),
            ExprKind::Bool(_) => Ty::T(Type::Bool),
            ExprKind::Str(parts) => self.string(e, parts, scope, expected_inner),
            ExprKind::Name(id) => self.name(e, id, scope, expected_inner),
            ExprKind::List(items) => {
                let elem_expected = match expected_inner {
                    Some(Type::List(t)) => Some((**t).clone()),
                    _ => None,
                };
                if let Some(et) = &elem_expected {
                    for it in items {
                        self.expect(it, scope, et);
                    }
                    return Ty::T(Type::List(Box::new(et.clone())));
                }
                let mut elem: Option<Type> = None;
                for it in items {
                    let t = self.expr(it, scope, None);
                    let t = self.to_type(&t);
                    elem = Some(match elem {
                        None => t,
                        Some(prev) => {
                            match unify(&prev, &t) {
                                Some(u) => u,
                                None => {
                                    self.err(
                                    Diagnostic::error("capz::type::mismatch", format!("list items have different types: {prev} and {t}"))
                                        .with_primary(it.span, format!("this is {}", an(&t)))
                                        .with_help(format!("every item of a list must have the same type ({prev})")),
                                );
                                    prev
                                }
                            }
                        }
                    });
                }
                Ty::T(Type::List(Box::new(elem.unwrap_or(Type::Any))))
            }
            ExprKind::Record(fields) => {
                let expected_fields = match expected_inner {
                    Some(Type::Record(f)) => Some(f.clone()),
                    _ => None,
                };
                let mut out: Vec<(String, Type)> = Vec::new();
                for (name, value) in fields {
                    if out.iter().any(|(n, _)| *n == name.name) {
                        self.err(
                            Diagnostic::error(
                                "capz::field::duplicate",
                                format!("record key `{}` appears twice", name.name),
                            )
                            .with_primary(name.span, "again here")
                            .with_help("remove one of them"),
                        );
                        continue;
                    }
                    let want = expected_fields
                        .as_ref()
                        .and_then(|f| f.iter().find(|(n, _)| *n == name.name))
                        .map(|(_, t)| t.clone());
                    let t = match &want {
                        Some(w) => self.expect(value, scope, w),
                        None => self.expr(value, scope, None),
                    };
                    out.push((name.name.clone(), self.to_type(&t)));
                }
                out.sort_by(|a, b| a.0.cmp(&b.0));
                Ty::T(Type::Record(out))
            }
            ExprKind::Range(a, b) => {
                self.expect(a, scope, &Type::Int);
                self.expect(b, scope, &Type::Int);
                Ty::T(Type::Range)
            }
            ExprKind::Unary(op, a) => {
                let want = match op {
                    UnOp::Not => Type::Bool,
                    UnOp::Neg => Type::Int,
                };
                let t = self.expect(a, scope, &want);
                Ty::T(wrap_unknown(&self.to_type(&t), want))
            }
            ExprKind::Binary(op, a, b) => self.binary(e, *op, a, b, scope, expected_inner),
            ExprKind::If(c, a, b) => {
                let tc = self.expect(c, scope, &Type::Bool);
                let cond_unknown = matches!(self.to_type(&tc), Type::KnownAfterApply(_));
                let ta = self.expr(a, scope, expected);
                let tb = self.expr(b, scope, expected);
                let (ta, tb) = (self.to_type(&ta), self.to_type(&tb));
                match unify(&ta, &tb) {
                    Some(t) if cond_unknown && !matches!(t, Type::KnownAfterApply(_)) => {
                        Ty::T(Type::KnownAfterApply(Box::new(t)))
                    }
                    Some(t) => Ty::T(t),
                    None => {
                        self.err(
                            Diagnostic::error(
                                "capz::type::mismatch",
                                format!("the branches of `if` have different types: {ta} and {tb}"),
                            )
                            .with_primary(b.span, format!("this is {}", an(&tb)))
                            .with_secondary(a.span, format!("this is {}", an(&ta)))
                            .with_help("both branches must produce the same type"),
                        );
                        any()
                    }
                }
            }
            ExprKind::Call(f, args) => self.call(e, f, args, scope),
            ExprKind::Member(base, name) => self.member(e, base, name, scope),
            ExprKind::Index(base, ix) => {
                let bt = self.expr(base, scope, None);
                match bt {
                    Ty::Family(d) => {
                        self.expect(ix, scope, &Type::Int);
                        Ty::Res(d)
                    }
                    Ty::ModuleFamily(u) => {
                        self.expect(ix, scope, &Type::Int);
                        Ty::Module(u)
                    }
                    Ty::Module(u) => {
                        let name = self.out.uses[u].decl.name.name.clone();
                        self.err(
                            Diagnostic::error(
                                "capz::type::not-indexable",
                                format!("`{name}` is used without an index"),
                            )
                            .with_primary(ix.span, "remove this index")
                            .with_help(format!("refer to it as `{name}`")),
                        );
                        any()
                    }
                    Ty::Res(d) => {
                        let name = self.out.decls[d].name.clone().unwrap_or_default();
                        self.err(
                            Diagnostic::error(
                                "capz::type::not-indexable",
                                format!("`{name}` is declared without an index"),
                            )
                            .with_primary(ix.span, "remove this index")
                            .with_help(format!("refer to it as `{name}`")),
                        );
                        any()
                    }
                    other => {
                        let t = self.to_type(&other);
                        let t = match t {
                            Type::KnownAfterApply(t) => *t,
                            t => t,
                        };
                        match t {
                            Type::List(el) => {
                                self.expect(ix, scope, &Type::Int);
                                Ty::T(*el)
                            }
                            Type::Any => {
                                self.expr(ix, scope, None);
                                any()
                            }
                            t => {
                                self.expr(ix, scope, None);
                                self.err(
                                    Diagnostic::error("capz::type::not-indexable", format!("{} cannot be indexed", an(&t)))
                                        .with_primary(base.span, format!("this is {}", an(&t)))
                                        .with_help("only lists and indexed resources take `[i]`; read a record key with `.key`"),
                                );
                                any()
                            }
                        }
                    }
                }
            }
        }
    }

    fn string(
        &mut self,
        e: &'a Expr,
        parts: &'a [StrPart],
        scope: &Rc<Scope<'a>>,
        expected: Option<&Type>,
    ) -> Ty {
        let mut unknown = false;
        for p in parts {
            if let StrPart::Interp(x) = p {
                let t = self.expr(x, scope, None);
                let t = self.to_type(&t);
                let base = match &t {
                    Type::KnownAfterApply(b) => {
                        unknown = true;
                        &**b
                    }
                    t => t,
                };
                if matches!(base, Type::List(_) | Type::Record(_) | Type::Range) {
                    self.err(
                        Diagnostic::error("capz::type::not-interpolable", format!("{} cannot be put in a string", an(&t)))
                            .with_primary(x.span, format!("this is {}", an(&t)))
                            .with_help("interpolate numbers, strings, booleans, enum words or single list items (`xs[0]`)"),
                    );
                }
            }
        }
        let wrap = |t: Type| {
            if unknown {
                Type::KnownAfterApply(Box::new(t))
            } else {
                t
            }
        };
        let Some(want @ (Type::Cidr | Type::Ip | Type::Region)) = expected else {
            // With no expectation, a literal that is a CIDR or an IP gets that type, so that
            // `let base = "10.0.0.0/8"` can be passed to `cidrsubnet`.
            if expected.is_none_or(|t| matches!(t, Type::Any))
                && let Some(text) = e.plain_str()
            {
                if text.parse::<ipnet::IpNet>().is_ok() {
                    return Ty::T(Type::Cidr);
                }
                if text.parse::<std::net::IpAddr>().is_ok() {
                    return Ty::T(Type::Ip);
                }
            }
            return Ty::T(wrap(Type::String));
        };
        match e.plain_str() {
            Some(text) => match params::validate_format(&text, want) {
                Ok(()) => Ty::T(want.clone()),
                Err(why) => {
                    self.err(
                        Diagnostic::error(
                            params::format_code(want),
                            format!("\"{text}\" is not a valid {want}: {why}"),
                        )
                        .with_primary(e.span, format!("not {}", an(&want)))
                        .with_help(params::format_help(want)),
                    );
                    any()
                }
            },
            // Interpolated: validated after evaluation.
            None => Ty::T(wrap(want.clone())),
        }
    }

    fn name(
        &mut self,
        e: &'a Expr,
        id: &'a Ident,
        scope: &Rc<Scope<'a>>,
        expected: Option<&Type>,
    ) -> Ty {
        // 1. A word of the expected enum type.
        if let Some(Type::Enum(en)) = expected
            && en.word(&id.name).is_some()
        {
            self.out.enum_words.insert(e.span);
            return Ty::T(Type::Enum(en));
        }
        // 2. Loop variables and lets.
        if let Some((b, holder)) = lookup(scope, &id.name) {
            return match b {
                Binding::Var(t) => Ty::T(t),
                Binding::Let(l) => Ty::T(self.let_type(l, &holder)),
            };
        }
        // 3. Top-level names.
        if let Some(g) = self.out.globals.get(&id.name).copied() {
            return match g {
                Global::Param(i) => Ty::T(self.out.params[i].ty.clone()),
                Global::Let(l) => {
                    let root = Rc::new(Scope::default());
                    Ty::T(self.let_type(l, &root))
                }
                Global::Resource(d) => {
                    if self.out.decls[d].indexed {
                        Ty::Family(d)
                    } else {
                        Ty::Res(d)
                    }
                }
                Global::Module(u) => {
                    if self.out.uses[u].decl.index.is_some() {
                        Ty::ModuleFamily(u)
                    } else {
                        Ty::Module(u)
                    }
                }
            };
        }
        // 4. Fields set by enclosing resources.
        let mut enclosing = scope.enclosing;
        while let Some(d) = enclosing {
            let decl = &self.out.decls[d];
            if decl.fields_set.contains(&id.name)
                && let Some(f) = decl.kind.and_then(|k| k.field(&id.name))
            {
                return Ty::T(f.ty.clone());
            }
            // Parts of the same resource by name (`frontend = api` in a load balancer rule).
            if let Some(c) = decl.children.get(&id.name).copied()
                && self.out.decls[c]
                    .kind
                    .is_some_and(|k| matches!(k.placement, Placement::Inline { .. }))
            {
                return if self.out.decls[c].indexed {
                    Ty::Family(c)
                } else {
                    Ty::Res(c)
                };
            }
            enclosing = decl.parent;
        }
        // Not found.
        let mut names = Vec::new();
        scope.names(&mut names);
        names.extend(self.out.globals.keys().cloned());
        let help = if let Some(Type::Enum(en)) = expected {
            match did_you_mean(&id.name, en.words.iter().map(|w| w.word)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("expected one of {}", words_list(en)),
            }
        } else {
            let mut cands: Vec<&str> = names.iter().map(String::as_str).collect();
            for en in &self.enums {
                cands.extend(en.words.iter().map(|w| w.word));
            }
            match did_you_mean(&id.name, cands) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "declare it with `let`, `param` or as a resource, or check the spelling"
                    .to_string(),
            }
        };
        let msg = match expected {
            Some(Type::Enum(en)) => format!("`{}` is not one of {}", id.name, words_list(en)),
            _ => format!("`{}` is not declared", id.name),
        };
        let code = match expected {
            Some(Type::Enum(_)) => "capz::type::unknown-enum-word",
            _ => "capz::name::undeclared",
        };
        self.err(
            Diagnostic::error(code, msg)
                .with_primary(id.span, "not found")
                .with_help(help),
        );
        any()
    }

    fn binary(
        &mut self,
        e: &'a Expr,
        op: BinOp,
        a: &'a Expr,
        b: &'a Expr,
        scope: &Rc<Scope<'a>>,
        expected: Option<&Type>,
    ) -> Ty {
        use BinOp::*;
        let hint = match (op, expected) {
            (Add, Some(t @ Type::List(_))) => Some(t.clone()),
            (Eq | Ne, _) => None,
            _ => None,
        };
        let ta = self.expr(a, scope, hint.as_ref());
        let ta = self.to_type(&ta);
        // For `x == word`, the left side's enum type makes the right side's word an enum word.
        let hint_b = match (op, &ta) {
            (Eq | Ne, Type::Enum(_)) => Some(ta.clone()),
            _ => hint.clone(),
        };
        let tb = self.expr(b, scope, hint_b.as_ref());
        let tb = self.to_type(&tb);
        let unknown =
            matches!(ta, Type::KnownAfterApply(_)) || matches!(tb, Type::KnownAfterApply(_));
        let strip = |t: &Type| match t {
            Type::KnownAfterApply(t) => (**t).clone(),
            t => t.clone(),
        };
        let (sa, sb) = (strip(&ta), strip(&tb));
        let is_str = |t: &Type| {
            matches!(
                t,
                Type::String | Type::Cidr | Type::Ip | Type::Region | Type::Any
            )
        };
        let result = match op {
            Add => match (&sa, &sb) {
                (Type::Any, t) | (t, Type::Any) => Some(t.clone()),
                (Type::Int, Type::Int) => Some(Type::Int),
                (x, y) if is_str(x) && is_str(y) => Some(Type::String),
                (Type::List(_), Type::List(_)) => unify(&sa, &sb),
                _ => None,
            },
            Sub | Mul | Div | Rem => match (&sa, &sb) {
                (Type::Int | Type::Any, Type::Int | Type::Any) => Some(Type::Int),
                _ => None,
            },
            Lt | Le | Gt | Ge => match (&sa, &sb) {
                (Type::Int | Type::Any, Type::Int | Type::Any) => Some(Type::Bool),
                (x, y) if is_str(x) && is_str(y) => Some(Type::Bool),
                _ => None,
            },
            Eq | Ne => unify(&sa, &sb).map(|_| Type::Bool),
            And | Or => match (&sa, &sb) {
                (Type::Bool | Type::Any, Type::Bool | Type::Any) => Some(Type::Bool),
                _ => None,
            },
        };
        match result {
            Some(t) if unknown => Ty::T(Type::KnownAfterApply(Box::new(t))),
            Some(t) => Ty::T(t),
            None => {
                let needs = match op {
                    Add => "two ints, two strings or two lists",
                    Sub | Mul | Div | Rem => "two ints",
                    Lt | Le | Gt | Ge => "two ints or two strings",
                    Eq | Ne => "two values of the same type",
                    And | Or => "two bools",
                };
                self.err(
                    Diagnostic::error(
                        "capz::type::mismatch",
                        format!("`{}` needs {needs}, found {sa} and {sb}", op.symbol()),
                    )
                    .with_primary(e.span, format!("{sa} {} {sb}", op.symbol()))
                    .with_help(match op {
                        Add => "to build a string from values, interpolate them: \"${a}-${b}\""
                            .to_string(),
                        _ => format!("make both sides {needs}"),
                    }),
                );
                any()
            }
        }
    }

    fn call(&mut self, e: &'a Expr, f: &'a Ident, args: &'a [Expr], scope: &Rc<Scope<'a>>) -> Ty {
        let mut types = Vec::new();
        for a in args {
            let t = self.expr(a, scope, None);
            types.push(self.to_type(&t));
        }
        let catalog = self.out.catalog;
        let Some(def) = catalog.function(&f.name) else {
            let help = match did_you_mean(&f.name, catalog.functions.iter().map(|f| f.name)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "the built-in functions are: {}",
                    catalog
                        .functions
                        .iter()
                        .map(|f| f.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            self.err(
                Diagnostic::error(
                    "capz::name::unknown-function",
                    format!("no function named `{}`", f.name),
                )
                .with_primary(f.span, "unknown function")
                .with_help(help),
            );
            return any();
        };
        // Functions see through "known after apply": the result is then unknown too.
        let unknown = types.iter().any(|t| matches!(t, Type::KnownAfterApply(_)));
        let plain: Vec<Type> = types
            .iter()
            .map(|t| match t {
                Type::KnownAfterApply(t) => (**t).clone(),
                t => t.clone(),
            })
            .collect();
        match (def.check)(&plain) {
            Ok(t) if unknown => Ty::T(Type::KnownAfterApply(Box::new(t))),
            Ok(t) => Ty::T(t),
            Err(why) => {
                self.err(
                    Diagnostic::error("capz::type::bad-arguments", format!("`{}`: {why}", f.name))
                        .with_primary(e.span, "wrong arguments")
                        .with_help(format!("the signature is `{}`", def.signature)),
                );
                any()
            }
        }
    }

    fn member(
        &mut self,
        e: &'a Expr,
        base: &'a Expr,
        name: &'a Ident,
        scope: &Rc<Scope<'a>>,
    ) -> Ty {
        let bt = self.expr(base, scope, None);
        let _ = e;
        match bt {
            Ty::Res(d) => self.resource_member(d, base, name),
            Ty::Module(u) => self.module_member(u, name),
            Ty::ModuleFamily(u) => {
                let n = self.out.uses[u].decl.name.name.clone();
                self.err(
                    Diagnostic::error(
                        "capz::name::missing-index",
                        format!("`{n}` is used with an index"),
                    )
                    .with_primary(base.span, "which one?")
                    .with_help(format!("pick one with an index: `{n}[i].{}`", name.name)),
                );
                any()
            }
            Ty::Family(d) => {
                let n = self.out.decls[d].name.clone().unwrap_or_default();
                self.err(
                    Diagnostic::error(
                        "capz::name::missing-index",
                        format!("`{n}` is declared with an index"),
                    )
                    .with_primary(base.span, "which one?")
                    .with_help(format!("pick one with an index: `{n}[i].{}`", name.name)),
                );
                any()
            }
            Ty::Block(d, kw) => {
                let decl = &self.out.decls[d];
                let key = format!("{kw}.{}", name.name);
                let def = decl.kind.and_then(|k| k.field(&key));
                match def {
                    Some(f) if decl.fields_set.contains(&key) => Ty::T(f.ty.clone()),
                    Some(f) if decl.ast.existing.is_some() => {
                        Ty::T(Type::KnownAfterApply(Box::new(f.ty.clone())))
                    }
                    Some(_) => {
                        let rn = decl.name.clone().unwrap_or_default();
                        self.err(unset_field(name, &rn, &key));
                        any()
                    }
                    None => {
                        let names: Vec<&str> = decl
                            .kind
                            .and_then(|k| k.block(kw))
                            .map(|b| b.fields.iter().map(|f| f.name).collect())
                            .unwrap_or_default();
                        let help = match did_you_mean(&name.name, names.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("the fields of `{kw}` are: {}", names.join(", ")),
                        };
                        self.err(
                            Diagnostic::error(
                                "capz::name::unknown-member",
                                format!("block `{kw}` has no field `{}`", name.name),
                            )
                            .with_primary(name.span, "unknown field")
                            .with_help(help),
                        );
                        any()
                    }
                }
            }
            Ty::T(t) => {
                let (inner, unknown) = match t {
                    Type::KnownAfterApply(t) => (*t, true),
                    t => (t, false),
                };
                match inner {
                    Type::Any => any(),
                    Type::Record(fields) => match fields.iter().find(|(n, _)| *n == name.name) {
                        Some((_, t)) if unknown => {
                            Ty::T(Type::KnownAfterApply(Box::new(t.clone())))
                        }
                        Some((_, t)) => Ty::T(t.clone()),
                        None => {
                            let keys: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                            let help = did_you_mean_or(&name.name, &keys, |l| {
                                format!("its keys are: {l}")
                            });
                            self.err(
                                Diagnostic::error(
                                    "capz::name::unknown-member",
                                    format!("the record has no key `{}`", name.name),
                                )
                                .with_primary(name.span, "no such key")
                                .with_help(help),
                            );
                            any()
                        }
                    },
                    other => {
                        self.err(
                            Diagnostic::error("capz::name::unknown-member", format!("{} has no `.{}`", an(&other), name.name))
                                .with_primary(name.span, format!("`{}` read from {}", name.name, an(&other)))
                                .with_help("`.name` reads a field, child or attribute of a resource, or a key of a record"),
                        );
                        any()
                    }
                }
            }
        }
    }

    /// `instance.output` of a module instance.
    fn module_member(&mut self, u: usize, name: &Ident) -> Ty {
        let Some(m) = self.out.uses.get(u).and_then(|x| x.module.clone()) else {
            return any();
        };
        if let Some((_, t)) = m.outputs.iter().find(|(n, _)| *n == name.name) {
            return Ty::T(t.clone());
        }
        let inst = self.out.uses[u].decl.name.name.clone();
        let outputs: Vec<&str> = m.outputs.iter().map(|(n, _)| n.as_str()).collect();
        let help = if outputs.is_empty() {
            format!(
                "{} declares no outputs; add `output {} = ...` to it",
                m.name, name.name
            )
        } else {
            did_you_mean_or(&name.name, &outputs, |l| {
                format!("the outputs of {} are: {l}", m.name)
            })
        };
        self.err(
            Diagnostic::error(
                "capz::name::unknown-member",
                format!("module instance `{inst}` has no output `{}`", name.name),
            )
            .with_primary(name.span, "not an output of the module")
            .with_help(help),
        );
        any()
    }

    fn resource_member(&mut self, d: DeclId, base: &Expr, name: &Ident) -> Ty {
        let decl = &self.out.decls[d];
        let Some(kind) = decl.kind else { return any() };
        let rn = decl.name.clone().unwrap_or_else(|| name_text(decl.ast));
        if let Some(child) = decl.children.get(&name.name).copied() {
            return if self.out.decls[child].indexed {
                Ty::Family(child)
            } else {
                Ty::Res(child)
            };
        }
        if kind.block(&name.name).is_some() {
            return Ty::Block(
                d,
                kind.blocks
                    .iter()
                    .find(|b| b.keyword == name.name)
                    .map_or("", |b| b.keyword),
            );
        }
        if let Some(f) = kind.fields.iter().find(|f| f.name == name.name) {
            let defaulted = f.name == "name" || (f.name == "location" && kind.has_location);
            if decl.fields_set.contains(f.name) || (defaulted && decl.ast.existing.is_none()) {
                return Ty::T(f.ty.clone());
            }
            // An `existing` resource's fields are its live values, read at plan time.
            if decl.ast.existing.is_some() {
                return Ty::T(Type::KnownAfterApply(Box::new(f.ty.clone())));
            }
            let key = f.name.to_string();
            self.err(unset_field(name, &rn, &key));
            return any();
        }
        if let Some(a) = kind.attribute(&name.name) {
            return Ty::T(Type::KnownAfterApply(Box::new(a.ty.clone())));
        }
        let mut cands: Vec<&str> = decl.children.keys().map(String::as_str).collect();
        cands.extend(kind.fields.iter().map(|f| f.name));
        cands.extend(kind.attributes.iter().map(|a| a.name));
        cands.extend(kind.blocks.iter().map(|b| b.keyword));
        let help = match did_you_mean(&name.name, cands.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("`{rn}` has: {}", cands.join(", ")),
        };
        let _ = base;
        self.err(
            Diagnostic::error(
                "capz::name::unknown-member",
                format!(
                    "`{} {rn}` has no field, attribute or child `{}`",
                    kind.keyword, name.name
                ),
            )
            .with_primary(name.span, "not found")
            .with_help(help),
        );
        any()
    }
}

fn stacks_in(items: &[Item]) -> Vec<&StackDecl> {
    let mut out = Vec::new();
    for i in items {
        match i {
            Item::Stack(s) => out.push(s),
            Item::For(f) => out.extend(stacks_in(&f.body)),
            _ => {}
        }
    }
    out
}

/// The declared name as written, for messages (`wl_net[i]` shows as `wl_net`).
pub fn name_text(r: &ResourceDecl) -> String {
    match &r.name {
        ResName::Ident(i) => i.name.clone(),
        ResName::Str(e) => e
            .plain_str()
            .map_or_else(|| "\"...\"".into(), |s| format!("\"{s}\"")),
    }
}

/// A type or kind with its indefinite article: "an int", "a string", "an identity".
fn an(t: &impl std::fmt::Display) -> String {
    let s = t.to_string();
    let article = if s.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {s}")
}

fn unset_field(name: &Ident, resource: &str, key: &str) -> Diagnostic {
    Diagnostic::error(
        "capz::name::unset-field",
        format!("`{resource}` does not set `{key}`"),
    )
    .with_primary(name.span, "not set on that resource")
    .with_help(format!(
        "set `{key} = ...` in the body of `{resource}`, or write the value here directly"
    ))
}

fn missing_field(
    r: &ResourceDecl,
    kind: &KindDef,
    f: &FieldDef,
    block: Option<&BlockDef>,
) -> Diagnostic {
    let key = match block {
        Some(b) => format!("{}.{}", b.keyword, f.name),
        None => f.name.to_string(),
    };
    let example = params::example_of(&f.ty);
    let how = match block {
        Some(b) => format!(
            "add `{} = {example}` inside `{} {{ ... }}`",
            f.name, b.keyword
        ),
        None => format!("add `{} = {example}` to the body", f.name),
    };
    Diagnostic::error(
        "capz::field::missing",
        format!(
            "`{} {}` is missing the required field `{key}`",
            kind.keyword,
            name_text(r)
        ),
    )
    .with_primary(r.header_span, format!("`{key}` not set"))
    .with_help(format!("{how} ({})", f.doc))
}

fn mismatch(e: &Expr, expected: &Type, found: &Type) -> Diagnostic {
    let help = match expected {
        Type::Enum(en) => format!("write one of {}", words_list(en)),
        Type::Resource(k) => format!("refer to a declared `{k}` by name, e.g. `mgmt_net.nodes`"),
        Type::Cidr => "write a CIDR string such as \"10.0.0.0/16\"".to_string(),
        Type::Ip => "write an IP address string such as \"10.0.0.10\"".to_string(),
        Type::Region => "write a region string such as \"eastus2\"".to_string(),
        Type::Range => "write a range such as `1..3`".to_string(),
        Type::List(t) => format!("write a list such as [{}]", params::example_of(t)),
        Type::String if matches!(found, Type::Int | Type::Bool) => {
            "quote it, or interpolate it: \"${...}\"".to_string()
        }
        t => format!("use a value of type {t}, e.g. {}", params::example_of(t)),
    };
    Diagnostic::error(
        "capz::type::mismatch",
        format!("expected {expected}, found {found}"),
    )
    .with_primary(e.span, format!("this is {}", an(&found)))
    .with_help(help)
}

/// `assignable_to`, plus: a `string` is accepted where a `cidr`, `ip` or `region` is
/// expected (a let or loop variable holding a string); its value is checked after
/// evaluation (`eval::validate_field`), while string literals are checked here.
fn compatible(actual: &Type, expected: &Type) -> bool {
    if actual.assignable_to(expected) {
        return true;
    }
    match (actual, expected) {
        (Type::String, Type::Cidr | Type::Ip | Type::Region) => true,
        (Type::KnownAfterApply(a), e) => compatible(a, e),
        (a, Type::KnownAfterApply(e)) => compatible(a, e),
        (Type::List(a), Type::List(e)) => compatible(a, e),
        _ => false,
    }
}

/// The common type of two branch or list-item types, if they are compatible.
fn unify(a: &Type, b: &Type) -> Option<Type> {
    if a.assignable_to(b) {
        Some(if matches!(b, Type::Any) {
            a.clone()
        } else {
            b.clone()
        })
    } else if b.assignable_to(a) {
        Some(a.clone())
    } else {
        match (a, b) {
            (
                Type::String | Type::Cidr | Type::Ip | Type::Region,
                Type::String | Type::Cidr | Type::Ip | Type::Region,
            ) => Some(Type::String),
            _ => None,
        }
    }
}

fn wrap_unknown(t: &Type, result: Type) -> Type {
    if matches!(t, Type::KnownAfterApply(_)) {
        Type::KnownAfterApply(Box::new(result))
    } else {
        result
    }
}

/// Whether `r` was written `KIND A <-> B` (the parser turns the ends into the fields
/// `from` and `to` and names the declaration with a string holding `<->`).
fn is_link_decl(r: &ResourceDecl) -> bool {
    matches!(&r.name, ResName::Str(e) if e.plain_str().is_some_and(|t| t.contains("<->")))
}
