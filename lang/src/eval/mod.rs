//! Evaluation: a [`Checked`] program → the desired resources ([`Program`]).
//!
//! Two steps:
//! 1. *unroll*: walk the declarations in source order, evaluate `for` iterables and
//!    indexes, and create one instance per resource with an [`Address`]
//!    (`wl_net[0].control_plane`) and, per field, the expression and its environment.
//! 2. *evaluate*: each field on demand, memoised, so a field may read another resource's
//!    declared field (`wl_net[i].control_plane.address_prefix`) in any order. A field that
//!    is being evaluated when it is read again is a dependency cycle (`capz::name::cycle`).
//!
//! Then defaults are applied (ARM `name` = declared name, `-i` for an index; `location` =
//! the group's or parent's), resources ordered parents first, names checked against each
//! kind's [`crate::schema::NameRule`] and for duplicates. References to resources become
//! [`Value::Ref`]; attributes ARM sets become [`Value::Unknown`], and anything computed from
//! an unknown is unknown. `depends_on` holds the parent and every resource a field value
//! refers to (`Ref` or `Unknown`); reading another resource's declared value does not
//! create an apply-time dependency.

use crate::check::{Checked, DeclId, Global, name_text};
use crate::diagnostic::Diagnostic;
use crate::program::{FieldValue, Output, ParamValue, Program, Resource};
use crate::schema::{Catalog, KindDef, NameRule, Placement};
use crate::source::{FileId, Span};
use crate::syntax::ast::*;
use crate::types::Type;
use crate::value::{Address, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

/// Most resource instances one program may declare after unrolling loops.
pub const MAX_INSTANCES: usize = 10_000;

/// Most loop iterations one evaluation may run, all `for` loops of the program and its
/// modules together (nested loops multiply: three nested `for x in 0..1000` would be 10^9).
/// Past it evaluation stops with `capz::eval::too-large` at the loop that went over.
pub const MAX_ITERATIONS: usize = 100_000;

/// Largest value an expression may compute, in units of one per list item, record field
/// or scalar plus one per byte of string text (so about 1 MB of text). Past it,
/// `capz::eval::too-large` at the expression (e.g. lets that double a list or a string).
pub const MAX_VALUE_SIZE: usize = 1_000_000;

/// Deepest nesting of a computed value (lists in lists, records in records); deeper is
/// `capz::eval::too-large`, so that no later recursive walk of a value exhausts the stack.
pub const MAX_VALUE_DEPTH: usize = 128;

/// Deepest chain of evaluations in progress: expression nodes plus the `let`s, params and
/// fields they read on demand (`let a0 = a1 + 1`, `let a1 = a2 + 1`, ...). The stack grows
/// on the heap as needed (stacker); deeper than this is `capz::eval::too-large`, which
/// bounds that memory.
pub const MAX_EVAL_DEPTH: usize = 5_000;

/// Most levels of `use` inside `use` (cycles are refused when modules are loaded; this
/// bounds the work regardless).
pub const MAX_MODULE_DEPTH: usize = 32;

/// Evaluate a checked program without modules (which must have no checker errors).
/// Returns the program when evaluation found no errors, and every diagnostic.
pub fn eval(c: &Checked<'_>) -> (Option<Program>, Vec<Diagnostic>) {
    eval_program(c, &HashMap::new())
}

/// Evaluate a checked root program and the checked module files it `use`s (keyed by
/// their [`FileId`]). Module instances are evaluated where their `use` stands: their
/// resources get addresses under the instance's address (`fleet[0].aks`), their params
/// take the `use`'s arguments (evaluated in the using file's scope) or their defaults,
/// and `instance.output` reads an output evaluated inside the instance.
pub fn eval_program<'a>(
    root: &'a Checked<'a>,
    modules: &HashMap<FileId, &'a Checked<'a>>,
) -> (Option<Program>, Vec<Diagnostic>) {
    let root_frame = Rc::new(Frame::new(root, None, Vec::new()));
    let ev = Evaluator {
        catalog: root.catalog,
        root: root_frame.clone(),
        modules: modules.clone(),
        insts: RefCell::new(Vec::new()),
        by_addr: RefCell::new(HashMap::new()),
        instances: RefCell::new(HashMap::new()),
        frames: RefCell::new(vec![root_frame.clone()]),
        diags: RefCell::new(Vec::new()),
        path: RefCell::new(Vec::new()),
        too_many: RefCell::new(false),
        iterations: std::cell::Cell::new(0),
        stopped: std::cell::Cell::new(false),
        depth: std::cell::Cell::new(0),
    };
    let env = Env::root(&root_frame);
    ev.unroll_items(&root.file.items, &env, true);
    let program = ev.build();
    let diags = ev.diags.into_inner();
    let program = if crate::diagnostic::has_errors(&diags) {
        None
    } else {
        program
    };
    (program, diags)
}

#[derive(Clone, Debug)]
enum Slot {
    Todo,
    Busy,
    /// `None`: evaluation failed (already reported).
    Done(Option<Value>),
}

/// Evaluated expression: a value, or a resource family / block / module not yet narrowed.
#[derive(Clone)]
enum Ev<'a> {
    V(Value),
    /// An indexed declaration of a file (top level of the instance at the address, or
    /// children of the resource at the address).
    Family(&'a Checked<'a>, DeclId, Option<Address>),
    /// A nested block of an instance.
    Block(usize, &'static str),
    /// A module instance.
    Module(Rc<Frame<'a>>),
    /// An indexed `use` (the declaration, and the address prefix its instances live under).
    ModuleFamily(&'a UseDecl, Option<Address>),
}

/// Marker: an error was already reported.
struct Failed;

type R<T> = Result<T, Failed>;

enum Bind<'a> {
    Val(Value),
    Let(&'a LetDecl, RefCell<Slot>),
}

struct Env<'a> {
    vars: Vec<(String, Bind<'a>)>,
    parent: Option<Rc<Env<'a>>>,
    enclosing: Option<usize>,
    /// The file instance (root program or module instance) this scope belongs to.
    frame: Rc<Frame<'a>>,
}

impl<'a> Env<'a> {
    fn child(parent: &Rc<Env<'a>>) -> Env<'a> {
        Env {
            vars: Vec::new(),
            parent: Some(parent.clone()),
            enclosing: parent.enclosing,
            frame: parent.frame.clone(),
        }
    }

    /// The top-level scope of a file instance.
    fn root(frame: &Rc<Frame<'a>>) -> Rc<Env<'a>> {
        Rc::new(Env {
            vars: Vec::new(),
            parent: None,
            enclosing: None,
            frame: frame.clone(),
        })
    }
}

/// One instance of a file: the root program, or one module instance (`use`).
struct Frame<'a> {
    /// The checked file.
    unit: &'a Checked<'a>,
    /// Address of the module instance (`fleet[0]`); `None` for the root program.
    prefix: Option<Address>,
    /// Per param of `unit`: the `use` argument and the using scope, if given.
    args: Vec<Option<(&'a Expr, Rc<Env<'a>>)>>,
    param_slots: Vec<RefCell<Slot>>,
    let_slots: RefCell<HashMap<Span, RefCell<Slot>>>,
    output_slots: RefCell<HashMap<String, Slot>>,
}

impl<'a> Frame<'a> {
    fn new(
        unit: &'a Checked<'a>,
        prefix: Option<Address>,
        args: Vec<Option<(&'a Expr, Rc<Env<'a>>)>>,
    ) -> Frame<'a> {
        Frame {
            unit,
            prefix,
            args,
            param_slots: unit
                .params
                .iter()
                .map(|_| RefCell::new(Slot::Todo))
                .collect(),
            let_slots: RefCell::new(HashMap::new()),
            output_slots: RefCell::new(HashMap::new()),
        }
    }

    /// The address of a top-level name of this file instance.
    fn top(&self, name: &str, index: Option<i64>) -> Address {
        match &self.prefix {
            Some(p) => p.child(name, index),
            None => {
                let mut a = Address::top(name);
                if let Some(s) = a.segments.first_mut() {
                    s.index = index;
                }
                a
            }
        }
    }
}

struct FieldSlot<'a> {
    key: String,
    expr: &'a Expr,
    env: Rc<Env<'a>>,
    state: RefCell<Slot>,
}

struct Inst<'a> {
    /// The file instance that declares it.
    frame: Rc<Frame<'a>>,
    decl: DeclId,
    kind: &'a KindDef,
    address: Address,
    /// Enclosing instance for child kinds.
    parent: Option<usize>,
    /// Group address for `InGroup` kinds.
    group: Option<Address>,
    /// Evaluated name of a string-named resource.
    str_name: Option<String>,
    span: Span,
    fields: Vec<FieldSlot<'a>>,
}

struct Evaluator<'a> {
    catalog: &'a Catalog,
    root: Rc<Frame<'a>>,
    /// Checked module files by file.
    modules: HashMap<FileId, &'a Checked<'a>>,
    insts: RefCell<Vec<Rc<Inst<'a>>>>,
    by_addr: RefCell<HashMap<Address, usize>>,
    /// Module instances by address.
    instances: RefCell<HashMap<Address, Rc<Frame<'a>>>>,
    /// Every file instance, root first.
    frames: RefCell<Vec<Rc<Frame<'a>>>>,
    diags: RefCell<Vec<Diagnostic>>,
    /// What is being evaluated, outermost first (for cycle messages).
    path: RefCell<Vec<String>>,
    too_many: RefCell<bool>,
    /// Loop iterations run so far (bounded by [`MAX_ITERATIONS`]).
    iterations: std::cell::Cell<usize>,
    /// Set when a work budget ran out: unrolling stops.
    stopped: std::cell::Cell<bool>,
    /// Evaluations in progress (bounded by [`MAX_EVAL_DEPTH`]).
    depth: std::cell::Cell<usize>,
}

fn is_string_format(t: &Type) -> bool {
    matches!(t, Type::Cidr | Type::Ip | Type::Region)
}

impl<'a> Evaluator<'a> {
    fn err(&self, d: Diagnostic) {
        self.diags.borrow_mut().push(d);
    }

    fn inst(&self, i: usize) -> Option<Rc<Inst<'a>>> {
        self.insts.borrow().get(i).cloned()
    }

    /// Whether instance `i` is declared `existing`.
    fn is_existing(&self, i: usize) -> bool {
        self.inst(i)
            .is_some_and(|i| i.frame.unit.decls[i.decl].ast.existing.is_some())
    }

    // ---- work budget -------------------------------------------------------------------

    /// Count one iteration of loop `f`: false (after reporting `capz::eval::too-large` at
    /// the loop header, once per evaluation) when [`MAX_ITERATIONS`] is used up.
    fn tick<T>(&self, f: &ForLoop<T>) -> bool {
        if self.stopped.get() {
            return false;
        }
        let n = self.iterations.get() + 1;
        self.iterations.set(n);
        if n <= MAX_ITERATIONS {
            return true;
        }
        self.stopped.set(true);
        let header = Span {
            end: f.iter.span.end,
            ..f.span
        };
        self.err(
            Diagnostic::error(
                "capz::eval::too-large",
                format!("the program's loops run more than {MAX_ITERATIONS} times in all"),
            )
            .with_primary(header, "the budget runs out in this loop")
            .with_help("nested loops multiply: iterate over fewer values, or split the program into several stacks"),
        );
        false
    }

    /// `v` if it is within [`MAX_VALUE_SIZE`] and [`MAX_VALUE_DEPTH`]; otherwise
    /// `capz::eval::too-large` at `at`. Walks at most [`MAX_VALUE_SIZE`] nodes, without
    /// recursion.
    fn bounded(&self, v: Value, at: Span) -> R<Value> {
        let mut size = 0usize;
        let mut stack: Vec<(&Value, usize)> = vec![(&v, 1)];
        let mut over = None;
        while let Some((x, d)) = stack.pop() {
            size += 1;
            if d > MAX_VALUE_DEPTH {
                over = Some(format!(
                    "a value nested more than {MAX_VALUE_DEPTH} levels deep"
                ));
                break;
            }
            match x {
                Value::Str(t) | Value::Enum(t) => size += t.len(),
                Value::List(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
                Value::Record(fields) => stack.extend(fields.values().map(|i| (i, d + 1))),
                _ => {}
            }
            if size > MAX_VALUE_SIZE {
                over = Some(format!("a value larger than {MAX_VALUE_SIZE} units"));
                break;
            }
        }
        match over {
            None => Ok(v),
            Some(what) => Err(self.fail(
                "capz::eval::too-large",
                at,
                format!("this expression computes {what}"),
                "too large",
                "a unit is a list item, a record field, a scalar or a byte of text; build smaller values",
            )),
        }
    }

    // ---- unrolling --------------------------------------------------------------------

    fn iterate(&self, iter: &'a Expr, env: &Rc<Env<'a>>) -> R<Vec<Value>> {
        match self.value(iter, env)? {
            Value::Range { start, end } => {
                let n = end.saturating_sub(start).max(0);
                if n as u128 > MAX_INSTANCES as u128 {
                    self.err(
                        Diagnostic::error(
                            "capz::eval::too-many",
                            format!("`for` would repeat {n} times"),
                        )
                        .with_primary(iter.span, format!("{start}..{end}"))
                        .with_help(format!(
                            "a program may declare at most {MAX_INSTANCES} resources"
                        )),
                    );
                    return Err(Failed);
                }
                Ok((start..end).map(Value::Int).collect())
            }
            Value::List(items) => Ok(items),
            Value::Unknown { .. } => {
                self.err(
                    Diagnostic::error("capz::eval::unknown-loop", "`for` iterates over a value known only after apply")
                        .with_primary(iter.span, "known after apply")
                        .with_help("loops are unrolled before the plan: iterate over params, lets or declared values"),
                );
                Err(Failed)
            }
            other => {
                self.err(
                    Diagnostic::error(
                        "capz::type::not-iterable",
                        format!("`for` cannot iterate over {other}"),
                    )
                    .with_primary(iter.span, "not a range or list")
                    .with_help("iterate over a range `0..n` or a list"),
                );
                Err(Failed)
            }
        }
    }

    fn scope_with_lets<T>(
        &self,
        env: &Rc<Env<'a>>,
        items: &'a [T],
        get: impl Fn(&'a T) -> Option<&'a LetDecl>,
    ) -> Rc<Env<'a>> {
        let mut e = Env::child(env);
        for it in items {
            if let Some(l) = get(it) {
                e.vars
                    .push((l.name.name.clone(), Bind::Let(l, RefCell::new(Slot::Todo))));
            }
        }
        Rc::new(e)
    }

    fn unroll_items(&self, items: &'a [Item], env: &Rc<Env<'a>>, top: bool) {
        let env = if top {
            env.clone()
        } else {
            self.scope_with_lets(env, items, |i| match i {
                Item::Let(l) => Some(l),
                _ => None,
            })
        };
        for item in items {
            match item {
                Item::For(f) => {
                    let Ok(values) = self.iterate(&f.iter, &env) else {
                        continue;
                    };
                    for v in values {
                        if *self.too_many.borrow() || !self.tick(f) {
                            return;
                        }
                        let mut e = Env::child(&env);
                        e.vars.push((f.var.name.clone(), Bind::Val(v)));
                        self.unroll_items(&f.body, &Rc::new(e), false);
                    }
                }
                Item::Resource(r) => {
                    self.unroll_resource(r, &env, None);
                }
                Item::Use(u) => self.instantiate(u, &env),
                _ => {}
            }
        }
    }

    /// Evaluate an index expression to an int (reported otherwise).
    fn index_value(&self, ix: &'a Expr, env: &Rc<Env<'a>>, what: &str) -> R<i64> {
        match self.value(ix, env)? {
            Value::Int(i) => Ok(i),
            _ => Err(self.fail(
                "capz::type::mismatch",
                ix.span,
                format!("{what} index must be an int"),
                "not an int",
                "index with a loop variable over a range, e.g. `net[i]`",
            )),
        }
    }

    /// `use NAME[index] = "path" { args }`: one module instance, unrolled here.
    fn instantiate(&self, u: &'a UseDecl, env: &Rc<Env<'a>>) {
        let frame = &env.frame;
        let Some(target) = frame
            .unit
            .uses
            .iter()
            .find(|x| std::ptr::eq(x.decl, u))
            .and_then(|x| x.module.as_ref())
            .and_then(|m| self.modules.get(&m.file).copied())
        else {
            return;
        };
        let index = match &u.index {
            Some(ix) => match self.index_value(ix, env, "a module instance") {
                Ok(i) => Some(i),
                Err(Failed) => return,
            },
            None => None,
        };
        let address = frame.top(&u.name.name, index);
        if address.segments.len() > MAX_MODULE_DEPTH {
            self.err(
                Diagnostic::error(
                    "capz::module::cycle",
                    format!("modules are nested more than {MAX_MODULE_DEPTH} levels deep"),
                )
                .with_primary(u.span, "too deep")
                .with_help("a module cannot use itself, directly or through other modules"),
            );
            return;
        }
        if self.instances.borrow().contains_key(&address)
            || self.by_addr.borrow().contains_key(&address)
        {
            self.err(
                Diagnostic::error(
                    "capz::name::duplicate-address",
                    format!("`{address}` is declared more than once"),
                )
                .with_primary(u.name.span, format!("declares `{address}` again"))
                .with_help("give each module instance a distinct name or index"),
            );
            return;
        }
        let args = target
            .params
            .iter()
            .map(|p| {
                u.args
                    .iter()
                    .find(|a| a.name.name == p.decl.name.name)
                    .map(|a| (&a.value, env.clone()))
            })
            .collect();
        let inst = Rc::new(Frame::new(target, Some(address.clone()), args));
        self.instances.borrow_mut().insert(address, inst.clone());
        self.frames.borrow_mut().push(inst.clone());
        let root = Env::root(&inst);
        self.unroll_items(&target.file.items, &root, true);
    }

    fn unroll_resource(&self, r: &'a ResourceDecl, env: &Rc<Env<'a>>, parent: Option<usize>) {
        let unit = env.frame.unit;
        let Some(decl) = unit.decl_of(r) else { return };
        let Some(kind) = unit.decls[decl].kind else {
            return;
        };
        if self.insts.borrow().len() >= MAX_INSTANCES {
            if !self.too_many.replace(true) {
                self.err(
                    Diagnostic::error(
                        "capz::eval::too-many",
                        format!("the program declares more than {MAX_INSTANCES} resources"),
                    )
                    .with_primary(r.header_span, "the limit is reached here")
                    .with_help("reduce the loop counts"),
                );
            }
            return;
        }
        let index = match &r.index {
            Some(ix) => match self.value(ix, env) {
                Ok(Value::Int(i)) => Some(i),
                Ok(_) => {
                    self.err(
                        Diagnostic::error(
                            "capz::type::mismatch",
                            "a resource index must be an int",
                        )
                        .with_primary(ix.span, "not an int")
                        .with_help("index with a loop variable over a range, e.g. `net[i]`"),
                    );
                    return;
                }
                Err(Failed) => return,
            },
            None => None,
        };
        let (seg, str_name) = match &r.name {
            // `peering a <-> b`: addressed `a<->b` by the ends' addresses.
            ResName::Str(_) if matches!(kind.placement, Placement::Link { .. }) => {
                let mut ends = Vec::new();
                for item in &r.body {
                    if let BodyItem::Field(f) = item
                        && (f.name.name == "from" || f.name.name == "to")
                    {
                        match self.value(&f.value, env) {
                            Ok(Value::Ref(a)) => ends.push(a.to_string()),
                            Ok(_) => {
                                self.err(
                                    Diagnostic::error(
                                        "capz::type::mismatch",
                                        format!("both ends of a `{}` must be resources", kind.keyword),
                                    )
                                    .with_primary(f.value.span, "not a resource")
                                    .with_help("name two declared resources, e.g. `peering hub_net <-> spoke_net`"),
                                );
                                return;
                            }
                            Err(Failed) => return,
                        }
                    }
                }
                (ends.join("<->"), None)
            }
            ResName::Ident(i) => (i.name.clone(), None),
            ResName::Str(e) => match self.value(e, env) {
                Ok(Value::Str(s)) => (s.clone(), Some(s)),
                Ok(_) => {
                    self.err(
                        Diagnostic::error(
                            "capz::eval::unknown-name",
                            "a resource name must be known before apply",
                        )
                        .with_primary(e.span, "not a plain string")
                        .with_help("build the name from params, lets and loop variables"),
                    );
                    return;
                }
                Err(Failed) => return,
            },
        };
        let parent_addr = parent.and_then(|p| self.inst(p)).map(|p| p.address.clone());
        let address = match &parent_addr {
            Some(pa) => pa.child(seg, index),
            None => env.frame.top(&seg, index),
        };
        let group = match (&r.group, kind.placement) {
            (Some(g), Placement::InGroup) => {
                let ix = match &g.index {
                    Some(e) => match self.value(e, env) {
                        Ok(Value::Int(i)) => Some(i),
                        _ => return,
                    },
                    None => None,
                };
                Some(env.frame.top(&g.name.name, ix))
            }
            _ => None,
        };
        if self.instances.borrow().contains_key(&address) {
            self.err(
                Diagnostic::error(
                    "capz::name::duplicate-address",
                    format!("`{address}` is declared more than once"),
                )
                .with_primary(r.header_span, format!("declares `{address}` again"))
                .with_help("give each resource a distinct name or index"),
            );
            return;
        }
        if let Some(prev) = self.by_addr.borrow().get(&address).copied() {
            let first = self.inst(prev).map_or(r.header_span, |i| i.span);
            self.err(
                Diagnostic::error(
                    "capz::name::duplicate-address",
                    format!("`{address}` is declared more than once"),
                )
                .with_primary(r.header_span, format!("declares `{address}` again"))
                .with_secondary(first, "first declared here")
                .with_help("give each resource a distinct name or index"),
            );
            return;
        }
        let idx = self.insts.borrow().len();
        // Body: fields now, children after this instance exists.
        let mut fields = Vec::new();
        let mut children = Vec::new();
        let mut benv = Env::child(env);
        benv.enclosing = Some(idx);
        let benv = Rc::new(benv);
        self.walk_body(&r.body, &benv, "", &mut fields, &mut children);
        let inst = Inst {
            frame: env.frame.clone(),
            decl,
            kind,
            address: address.clone(),
            parent,
            group,
            str_name,
            span: r.header_span,
            fields,
        };
        self.insts.borrow_mut().push(Rc::new(inst));
        self.by_addr.borrow_mut().insert(address, idx);
        for (child, cenv) in children {
            self.unroll_resource(child, &cenv, Some(idx));
        }
    }

    #[allow(clippy::type_complexity)]
    fn walk_body(
        &self,
        items: &'a [BodyItem],
        env: &Rc<Env<'a>>,
        prefix: &str,
        fields: &mut Vec<FieldSlot<'a>>,
        children: &mut Vec<(&'a ResourceDecl, Rc<Env<'a>>)>,
    ) {
        let env = self.scope_with_lets(env, items, |i| match i {
            BodyItem::Let(l) => Some(l),
            _ => None,
        });
        for item in items {
            match item {
                BodyItem::Field(f) => fields.push(FieldSlot {
                    key: format!("{prefix}{}", f.name.name),
                    expr: &f.value,
                    env: env.clone(),
                    state: RefCell::new(Slot::Todo),
                }),
                BodyItem::Block(b) => {
                    let p = format!("{prefix}{}.", b.keyword.name);
                    self.walk_body(&b.body, &env, &p, fields, children);
                }
                BodyItem::Resource(r) => children.push((r, env.clone())),
                BodyItem::For(f) => {
                    let Ok(values) = self.iterate(&f.iter, &env) else {
                        continue;
                    };
                    for v in values {
                        if !self.tick(f) {
                            return;
                        }
                        let mut e = Env::child(&env);
                        e.vars.push((f.var.name.clone(), Bind::Val(v)));
                        self.walk_body(&f.body, &Rc::new(e), prefix, fields, children);
                    }
                }
                BodyItem::Let(_) => {}
            }
        }
    }

    // ---- fields, params, lets --------------------------------------------------------------

    fn field(&self, inst: usize, key: &str, at: Span) -> R<Option<Value>> {
        let Some(i) = self.inst(inst) else {
            return Err(Failed);
        };
        let Some(slot) = i.fields.iter().find(|f| f.key == key) else {
            return Ok(None);
        };
        let desc = format!("{}.{}", i.address, key);
        let state = slot.state.borrow().clone();
        match state {
            Slot::Done(v) => v.map(Some).ok_or(Failed),
            Slot::Busy => {
                self.cycle(&desc, at);
                Err(Failed)
            }
            Slot::Todo => {
                *slot.state.borrow_mut() = Slot::Busy;
                self.path.borrow_mut().push(desc);
                let v = self.value(slot.expr, &slot.env).ok();
                let v = v.and_then(|v| self.validate_field(&i, key, slot.expr, v));
                self.path.borrow_mut().pop();
                *slot.state.borrow_mut() = Slot::Done(v.clone());
                v.map(Some).ok_or(Failed)
            }
        }
    }

    /// Check interpolated strings assigned to `cidr`, `ip` and `region` fields.
    fn validate_field(&self, i: &Inst<'a>, key: &str, e: &Expr, v: Value) -> Option<Value> {
        let Some(def) = i.kind.field(key) else {
            return Some(v);
        };
        let (ty, items): (&Type, Vec<&Value>) = match (&def.ty, &v) {
            (Type::List(t), Value::List(items)) => (t, items.iter().collect()),
            (t, v) => (t, vec![v]),
        };
        if !is_string_format(ty) {
            return Some(v);
        }
        for item in items {
            if let Value::Str(s) = item
                && let Err(why) = crate::check::validate_format(s, ty)
            {
                self.err(
                    Diagnostic::error(
                        crate::check::format_code(ty),
                        format!("\"{s}\" is not a valid {ty}: {why}"),
                    )
                    .with_primary(e.span, format!("evaluates to \"{s}\""))
                    .with_help(crate::check::format_help(ty)),
                );
                return None;
            }
        }
        Some(v)
    }

    fn cycle(&self, desc: &str, at: Span) {
        let path = self.path.borrow();
        let start = path.iter().position(|p| p == desc).unwrap_or(0);
        let mut chain: Vec<&str> = path[start..].iter().map(String::as_str).collect();
        chain.push(desc);
        self.err(
            Diagnostic::error("capz::name::cycle", format!("`{desc}` depends on itself"))
                .with_primary(at, "this reference closes the cycle")
                .with_help(format!(
                    "break the cycle {}: write one of the values directly",
                    chain.join(" → ")
                )),
        );
    }

    fn param(&self, frame: &Rc<Frame<'a>>, i: usize, at: Span) -> R<Value> {
        let Some(p) = frame.unit.params.get(i) else {
            return Err(Failed);
        };
        if let Some(v) = &p.value_override {
            return Ok(v.clone());
        }
        let Some(slot) = frame.param_slots.get(i) else {
            return Err(Failed);
        };
        let state = slot.borrow().clone();
        match state {
            Slot::Done(v) => v.ok_or(Failed),
            Slot::Busy => {
                self.cycle(&p.decl.name.name, at);
                Err(Failed)
            }
            Slot::Todo => {
                let (expr, env) =
                    match (frame.args.get(i).and_then(Option::as_ref), &p.decl.default) {
                        (Some((e, env)), _) => (*e, env.clone()),
                        (None, Some(d)) => (d, Env::root(frame)),
                        (None, None) => return Err(Failed),
                    };
                *slot.borrow_mut() = Slot::Busy;
                self.path.borrow_mut().push(p.decl.name.name.clone());
                let v = self.value(expr, &env).ok();
                let v = v.map(|v| enumify(v, &p.ty));
                self.path.borrow_mut().pop();
                *slot.borrow_mut() = Slot::Done(v.clone());
                v.ok_or(Failed)
            }
        }
    }

    fn global_let(&self, frame: &Rc<Frame<'a>>, l: &'a LetDecl, at: Span) -> R<Value> {
        let state = frame
            .let_slots
            .borrow()
            .get(&l.span)
            .map(|s| s.borrow().clone());
        match state {
            Some(Slot::Done(v)) => v.ok_or(Failed),
            Some(Slot::Busy) => {
                self.cycle(&l.name.name, at);
                Err(Failed)
            }
            _ => {
                frame
                    .let_slots
                    .borrow_mut()
                    .insert(l.span, RefCell::new(Slot::Busy));
                self.path.borrow_mut().push(l.name.name.clone());
                let v = self.value(&l.value, &Env::root(frame)).ok();
                self.path.borrow_mut().pop();
                frame
                    .let_slots
                    .borrow_mut()
                    .insert(l.span, RefCell::new(Slot::Done(v.clone())));
                v.ok_or(Failed)
            }
        }
    }

    fn local_let(
        &self,
        l: &'a LetDecl,
        slot: &RefCell<Slot>,
        holder: &Rc<Env<'a>>,
        at: Span,
    ) -> R<Value> {
        let state = slot.borrow().clone();
        match state {
            Slot::Done(v) => v.ok_or(Failed),
            Slot::Busy => {
                self.cycle(&l.name.name, at);
                Err(Failed)
            }
            Slot::Todo => {
                *slot.borrow_mut() = Slot::Busy;
                self.path.borrow_mut().push(l.name.name.clone());
                let v = self.value(&l.value, holder).ok();
                self.path.borrow_mut().pop();
                *slot.borrow_mut() = Slot::Done(v.clone());
                v.ok_or(Failed)
            }
        }
    }

    /// The name a resource gets in ARM unless `name = ...` is set.
    fn default_name(&self, i: &Inst<'a>) -> String {
        if let Some(s) = &i.str_name {
            return s.clone();
        }
        match i.address.segments.last() {
            Some(seg) => match seg.index {
                Some(ix) => format!("{}-{ix}", seg.name),
                None => seg.name.clone(),
            },
            None => String::new(),
        }
    }

    fn name_of(&self, idx: usize, at: Span) -> R<Value> {
        let Some(i) = self.inst(idx) else {
            return Err(Failed);
        };
        match self.field(idx, "name", at)? {
            Some(v) => Ok(v),
            None => Ok(Value::Str(self.default_name(&i))),
        }
    }

    /// `location`: set, else the group's (in-group kinds) or the parent's (children).
    fn location_of(&self, idx: usize, at: Span) -> R<Option<Value>> {
        let Some(i) = self.inst(idx) else {
            return Err(Failed);
        };
        if let Some(v) = self.field(idx, "location", at)? {
            return Ok(Some(v));
        }
        // An `existing` resource's location is its live one, read at plan time.
        if self.is_existing(idx) && i.kind.has_location {
            return Ok(Some(Value::Unknown {
                of: i.address.clone(),
                attr: "location".into(),
            }));
        }
        if let Some(g) = &i.group {
            let gi = self.by_addr.borrow().get(g).copied();
            return match gi {
                Some(gi) => self.location_of(gi, at),
                None => Ok(None),
            };
        }
        match i.parent {
            Some(p) => self.location_of(p, at),
            None => Ok(None),
        }
    }

    // ---- expressions ------------------------------------------------------------------------

    fn value(&self, e: &'a Expr, env: &Rc<Env<'a>>) -> R<Value> {
        let v = self.expr(e, env)?;
        self.to_value(v)
    }

    fn to_value(&self, v: Ev<'a>) -> R<Value> {
        match v {
            Ev::V(v) => Ok(v),
            Ev::Module(frame) => self.module_record(&frame),
            Ev::ModuleFamily(u, prefix) => {
                let mut items: Vec<(i64, Rc<Frame<'a>>)> = self
                    .instances
                    .borrow()
                    .iter()
                    .filter(|(a, _)| {
                        a.parent() == prefix
                            && a.leaf() == u.name.name
                            && a.segments.last().is_some_and(|s| s.index.is_some())
                    })
                    .map(|(a, f)| {
                        (
                            a.segments.last().and_then(|s| s.index).unwrap_or(0),
                            f.clone(),
                        )
                    })
                    .collect();
                items.sort_by_key(|(i, _)| *i);
                let mut out = Vec::new();
                for (_, f) in items {
                    out.push(self.module_record(&f)?);
                }
                Ok(Value::List(out))
            }
            Ev::Family(unit, d, prefix) => {
                let mut items: Vec<(i64, Address)> = Vec::new();
                for inst in self.insts.borrow().iter() {
                    if inst.decl == d
                        && std::ptr::eq(inst.frame.unit, unit)
                        && inst.address.parent() == prefix
                    {
                        let ix = inst
                            .address
                            .segments
                            .last()
                            .and_then(|s| s.index)
                            .unwrap_or(0);
                        items.push((ix, inst.address.clone()));
                    }
                }
                items.sort();
                Ok(Value::List(
                    items.into_iter().map(|(_, a)| Value::Ref(a)).collect(),
                ))
            }
            Ev::Block(idx, kw) => {
                let Some(i) = self.inst(idx) else {
                    return Err(Failed);
                };
                let mut rec = BTreeMap::new();
                let prefix = format!("{kw}.");
                for f in &i.fields {
                    if let Some(k) = f.key.strip_prefix(&prefix)
                        && let Some(v) = self.field(idx, &f.key, f.expr.span)?
                    {
                        rec.insert(k.to_string(), v);
                    }
                }
                Ok(Value::Record(rec))
            }
        }
    }

    fn lookup_var(&self, env: &Rc<Env<'a>>, name: &str, at: Span) -> Option<R<Value>> {
        let mut cur = Some(env.clone());
        while let Some(s) = cur {
            if let Some((_, b)) = s.vars.iter().rev().find(|(n, _)| n == name) {
                return Some(match b {
                    Bind::Val(v) => Ok(v.clone()),
                    Bind::Let(l, slot) => self.local_let(l, slot, &s, at),
                });
            }
            cur = s.parent.clone();
        }
        None
    }

    fn fail(&self, code: &'static str, span: Span, msg: String, label: &str, help: &str) -> Failed {
        self.err(
            Diagnostic::error(code, msg)
                .with_primary(span, label)
                .with_help(help),
        );
        Failed
    }

    /// Evaluate `e`, within [`MAX_EVAL_DEPTH`] evaluations in progress.
    fn expr(&self, e: &'a Expr, env: &Rc<Env<'a>>) -> R<Ev<'a>> {
        let d = self.depth.get();
        if d >= MAX_EVAL_DEPTH {
            return Err(self.fail(
                "capz::eval::too-large",
                e.span,
                format!("evaluating this needs more than {MAX_EVAL_DEPTH} nested steps"),
                "too deep",
                "a chain of lets or fields, each reading the next, is too long: compute the value in fewer steps",
            ));
        }
        self.depth.set(d + 1);
        // Grow the stack on the heap when less than 128 KiB is left (1 MiB at a time).
        let r = stacker::maybe_grow(128 << 10, 1 << 20, || self.expr_at(e, env));
        self.depth.set(d);
        // Only expressions that build a value can grow one; a name's value was bounded
        // where it was built.
        let builds = matches!(
            e.kind,
            ExprKind::List(_)
                | ExprKind::Record(_)
                | ExprKind::Str(_)
                | ExprKind::Binary(BinOp::Add, _, _)
                | ExprKind::Call(..)
        );
        match r? {
            Ev::V(v) if builds => self.bounded(v, e.span).map(Ev::V),
            other => Ok(other),
        }
    }

    fn expr_at(&self, e: &'a Expr, env: &Rc<Env<'a>>) -> R<Ev<'a>> {
        Ok(Ev::V(match &e.kind {
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Str(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        StrPart::Text(t) => s.push_str(t),
                        StrPart::Interp(x) => match self.value(x, env)? {
                            u @ Value::Unknown { .. } => return Ok(Ev::V(u)),
                            Value::Str(t) | Value::Enum(t) => s.push_str(&t),
                            Value::Int(i) => s.push_str(&i.to_string()),
                            Value::Bool(b) => s.push_str(&b.to_string()),
                            Value::Ref(a) => s.push_str(&a.to_string()),
                            other => {
                                return Err(self.fail(
                                    "capz::type::not-interpolable",
                                    x.span,
                                    format!("{other} cannot be put in a string"),
                                    "not a scalar",
                                    "interpolate numbers, strings, booleans or enum words",
                                ));
                            }
                        },
                    }
                }
                Value::Str(s)
            }
            ExprKind::Name(id) => return self.name(e, id, env),
            ExprKind::List(items) => {
                let mut out = Vec::new();
                for i in items {
                    out.push(self.value(i, env)?);
                }
                Value::List(out)
            }
            ExprKind::Record(fields) => {
                let mut out = BTreeMap::new();
                for (n, v) in fields {
                    out.insert(n.name.clone(), self.value(v, env)?);
                }
                Value::Record(out)
            }
            ExprKind::Range(a, b) => {
                let (a, b) = (self.value(a, env)?, self.value(b, env)?);
                match (a, b) {
                    (Value::Int(start), Value::Int(end)) => Value::Range { start, end },
                    (u @ Value::Unknown { .. }, _) | (_, u @ Value::Unknown { .. }) => u,
                    _ => {
                        return Err(self.fail(
                            "capz::type::mismatch",
                            e.span,
                            "a range needs two ints".into(),
                            "not ints",
                            "write `1..3`",
                        ));
                    }
                }
            }
            ExprKind::Unary(op, a) => match (op, self.value(a, env)?) {
                (_, u @ Value::Unknown { .. }) => u,
                (UnOp::Not, Value::Bool(b)) => Value::Bool(!b),
                (UnOp::Neg, Value::Int(i)) => match i.checked_neg() {
                    Some(v) => Value::Int(v),
                    None => return Err(self.overflow(e.span)),
                },
                (_, v) => {
                    return Err(self.fail(
                        "capz::type::mismatch",
                        e.span,
                        format!(
                            "cannot apply `{}` to {v}",
                            if *op == UnOp::Not { "!" } else { "-" }
                        ),
                        "wrong type",
                        "`!` takes a bool, `-` an int",
                    ));
                }
            },
            ExprKind::Binary(op, a, b) => return self.binary(e, *op, a, b, env).map(Ev::V),
            ExprKind::If(c, a, b) => match self.value(c, env)? {
                Value::Bool(true) => return self.expr(a, env),
                Value::Bool(false) => return self.expr(b, env),
                u @ Value::Unknown { .. } => u,
                v => {
                    return Err(self.fail(
                        "capz::type::mismatch",
                        c.span,
                        format!("`if` needs a bool, found {v}"),
                        "not a bool",
                        "compare values to get a bool, e.g. `n > 1`",
                    ));
                }
            },
            ExprKind::Call(f, args) => {
                let mut vals = Vec::new();
                for a in args {
                    vals.push(self.value(a, env)?);
                }
                if let Some(u) = vals.iter().find(|v| v.is_unknown()) {
                    return Ok(Ev::V(first_unknown(u)));
                }
                let Some(def) = self.catalog.function(&f.name) else {
                    return Err(Failed);
                };
                match (def.eval)(&vals) {
                    Ok(v) => v,
                    Err(why) => {
                        return Err(self.fail(
                            "capz::eval::function-failed",
                            e.span,
                            format!("`{}` failed: {why}", f.name),
                            "this call",
                            &format!("check the arguments against `{}`", def.signature),
                        ));
                    }
                }
            }
            ExprKind::Member(base, name) => {
                let b = self.expr(base, env)?;
                return self.member(b, name, e.span);
            }
            ExprKind::Index(base, ix) => {
                let b = self.expr(base, env)?;
                let i = self.value(ix, env)?;
                if let Value::Unknown { .. } = i {
                    return Ok(Ev::V(i));
                }
                let Value::Int(i) = i else {
                    return Err(self.fail(
                        "capz::type::mismatch",
                        ix.span,
                        "an index must be an int".into(),
                        "not an int",
                        "index with an int, e.g. `xs[0]`",
                    ));
                };
                match b {
                    Ev::ModuleFamily(u, prefix) => {
                        let addr = match &prefix {
                            Some(p) => p.child(u.name.name.clone(), Some(i)),
                            None => env.frame.top(&u.name.name, Some(i)),
                        };
                        let Some(f) = self.instances.borrow().get(&addr).cloned() else {
                            return Err(self.fail(
                                "capz::eval::no-such-instance",
                                e.span,
                                format!("`{addr}` is not declared (yet)"),
                                "no module instance with this index",
                                &format!("check the loop that declares `use {}[...]` (it must come before this) and the index used here", u.name.name),
                            ));
                        };
                        return Ok(Ev::Module(f));
                    }
                    Ev::Family(unit, d, prefix) => {
                        let name = unit.decls[d].name.clone().unwrap_or_default();
                        let addr = match &prefix {
                            Some(p) => p.child(name.clone(), Some(i)),
                            None => {
                                let mut a = Address::top(name.clone());
                                if let Some(s) = a.segments.first_mut() {
                                    s.index = Some(i);
                                }
                                a
                            }
                        };
                        if !self.by_addr.borrow().contains_key(&addr) {
                            return Err(self.fail(
                                "capz::eval::no-such-instance",
                                e.span,
                                format!("`{addr}` is not declared"),
                                "no resource with this index",
                                &format!("check the loop that declares `{name}[...]` and the index used here"),
                            ));
                        }
                        Value::Ref(addr)
                    }
                    other => match self.to_value(other)? {
                        Value::List(items) => {
                            let len = items.len();
                            match usize::try_from(i)
                                .ok()
                                .and_then(|u| items.into_iter().nth(u))
                            {
                                Some(v) => v,
                                None => {
                                    return Err(self.fail(
                                        "capz::eval::index-out-of-range",
                                        ix.span,
                                        format!("index {i} is out of range for a list of {len}"),
                                        "out of range",
                                        &format!(
                                            "valid indexes are 0 to {}",
                                            len.saturating_sub(1)
                                        ),
                                    ));
                                }
                            }
                        }
                        u @ Value::Unknown { .. } => u,
                        v => {
                            return Err(self.fail(
                                "capz::type::not-indexable",
                                base.span,
                                format!("{v} cannot be indexed"),
                                "not a list",
                                "only lists and indexed resources take `[i]`",
                            ));
                        }
                    },
                }
            }
        }))
    }

    fn overflow(&self, span: Span) -> Failed {
        self.fail(
            "capz::eval::overflow",
            span,
            "integer overflow".into(),
            "result does not fit in 64 bits",
            "use smaller numbers",
        )
    }

    fn name(&self, e: &'a Expr, id: &'a Ident, env: &Rc<Env<'a>>) -> R<Ev<'a>> {
        let frame = &env.frame;
        let unit = frame.unit;
        if unit.enum_words.contains(&e.span) {
            return Ok(Ev::V(Value::Enum(id.name.clone())));
        }
        if let Some(v) = self.lookup_var(env, &id.name, id.span) {
            return v.map(Ev::V);
        }
        if let Some(g) = unit.globals.get(&id.name).copied() {
            return match g {
                Global::Param(i) => self.param(frame, i, id.span).map(Ev::V),
                Global::Let(l) => self.global_let(frame, l, id.span).map(Ev::V),
                Global::Resource(d) => {
                    if unit.decls[d].indexed {
                        Ok(Ev::Family(unit, d, frame.prefix.clone()))
                    } else {
                        Ok(Ev::V(Value::Ref(frame.top(&id.name, None))))
                    }
                }
                Global::Module(u) => {
                    let Some(cu) = unit.uses.get(u) else {
                        return Err(Failed);
                    };
                    if cu.decl.index.is_some() {
                        Ok(Ev::ModuleFamily(cu.decl, frame.prefix.clone()))
                    } else {
                        let addr = frame.top(&id.name, None);
                        match self.instances.borrow().get(&addr).cloned() {
                            Some(f) => Ok(Ev::Module(f)),
                            None => Err(self.fail(
                                "capz::eval::no-such-instance",
                                id.span,
                                format!("module instance `{addr}` is not available here"),
                                "not instantiated yet",
                                "a `for` iterable, a resource index or a module argument cannot read a module instance declared after it",
                            )),
                        }
                    }
                }
            };
        }
        let mut enclosing = env.enclosing;
        while let Some(idx) = enclosing {
            let Some(i) = self.inst(idx) else { break };
            if let Some(v) = self.field(idx, &id.name, id.span)? {
                return Ok(Ev::V(v));
            }
            // Parts of the same resource by name (`frontend = api` in a load balancer rule).
            let iu = i.frame.unit;
            if let Some(c) = iu.decls[i.decl].children.get(&id.name).copied()
                && iu.decls[c]
                    .kind
                    .is_some_and(|k| matches!(k.placement, Placement::Inline { .. }))
            {
                return Ok(if iu.decls[c].indexed {
                    Ev::Family(iu, c, Some(i.address.clone()))
                } else {
                    Ev::V(Value::Ref(i.address.child(id.name.clone(), None)))
                });
            }
            enclosing = i.parent;
        }
        Err(self.fail(
            "capz::name::undeclared",
            id.span,
            format!("`{}` is not declared", id.name),
            "not found",
            "declare it with `let`, `param` or as a resource",
        ))
    }

    fn member(&self, base: Ev<'a>, name: &Ident, span: Span) -> R<Ev<'a>> {
        match base {
            Ev::Module(frame) => self.output(&frame, name.span, Some(name)).map(Ev::V),
            Ev::ModuleFamily(u, _) => Err(self.fail(
                "capz::name::missing-index",
                span,
                format!(
                    "`{}` is used with an index: pick one instance first",
                    u.name.name
                ),
                "indexed",
                "write `name[i].output`",
            )),
            Ev::V(Value::Ref(addr)) => {
                let Some(idx) = self.by_addr.borrow().get(&addr).copied() else {
                    return Err(self.fail(
                        "capz::eval::no-such-instance",
                        span,
                        format!("`{addr}` is not declared (yet)"),
                        "not available here",
                        "a `for` iterable and resource indexes cannot read resources declared after them",
                    ));
                };
                let Some(inst) = self.inst(idx) else {
                    return Err(Failed);
                };
                let unit = inst.frame.unit;
                let decl = &unit.decls[inst.decl];
                if let Some(child) = decl.children.get(&name.name).copied() {
                    return Ok(if unit.decls[child].indexed {
                        Ev::Family(unit, child, Some(addr))
                    } else {
                        Ev::V(Value::Ref(addr.child(name.name.clone(), None)))
                    });
                }
                if let Some(b) = inst.kind.block(&name.name) {
                    return Ok(Ev::Block(idx, b.keyword));
                }
                if name.name == "name" {
                    return self.name_of(idx, name.span).map(Ev::V);
                }
                // An `existing` resource's fields are its live values, read at plan time.
                if self.is_existing(idx)
                    && name.name != "name"
                    && inst.kind.field(&name.name).is_some()
                    && !inst.fields.iter().any(|f| f.key == name.name)
                {
                    return Ok(Ev::V(Value::Unknown {
                        of: addr,
                        attr: name.name.clone(),
                    }));
                }
                if name.name == "location" && inst.kind.has_location {
                    return match self.location_of(idx, name.span)? {
                        Some(v) => Ok(Ev::V(v)),
                        None => Err(self.fail(
                            "capz::name::unset-field",
                            name.span,
                            format!("`{addr}` has no location"),
                            "no location",
                            "set `location` on its group",
                        )),
                    };
                }
                if let Some(v) = self.field(idx, &name.name, name.span)? {
                    return Ok(Ev::V(v));
                }
                if inst.kind.attribute(&name.name).is_some() {
                    return Ok(Ev::V(Value::Unknown {
                        of: addr,
                        attr: name.name.clone(),
                    }));
                }
                Err(self.fail(
                    "capz::name::unset-field",
                    name.span,
                    format!("`{addr}` does not set `{}`", name.name),
                    "not set",
                    &format!(
                        "set `{} = ...` in the body of `{}`",
                        name.name,
                        name_text(decl.ast)
                    ),
                ))
            }
            Ev::Block(idx, kw) => {
                let key = format!("{kw}.{}", name.name);
                match self.field(idx, &key, name.span)? {
                    Some(v) => Ok(Ev::V(v)),
                    None if self.is_existing(idx) => match self.inst(idx) {
                        Some(i) if i.kind.field(&key).is_some() => Ok(Ev::V(Value::Unknown {
                            of: i.address.clone(),
                            attr: key,
                        })),
                        _ => Err(Failed),
                    },
                    None => Err(self.fail(
                        "capz::name::unset-field",
                        name.span,
                        format!("`{kw}.{}` is not set", name.name),
                        "not set",
                        &format!("set `{} = ...` inside `{kw} {{ ... }}`", name.name),
                    )),
                }
            }
            Ev::V(Value::Record(mut r)) => match r.remove(&name.name) {
                Some(v) => Ok(Ev::V(v)),
                None => Err(self.fail(
                    "capz::name::unknown-member",
                    name.span,
                    format!("the record has no key `{}`", name.name),
                    "no such key",
                    "check the key names",
                )),
            },
            Ev::V(u @ Value::Unknown { .. }) => Ok(Ev::V(u)),
            Ev::V(v) => Err(self.fail(
                "capz::name::unknown-member",
                name.span,
                format!("{v} has no `.{}`", name.name),
                "not a record or resource",
                "`.name` reads resources and records",
            )),
            Ev::Family(..) => Err(self.fail(
                "capz::name::missing-index",
                span,
                "pick one resource with an index first".into(),
                "indexed",
                "write `name[i].field`",
            )),
        }
    }

    fn binary(
        &self,
        e: &'a Expr,
        op: BinOp,
        a: &'a Expr,
        b: &'a Expr,
        env: &Rc<Env<'a>>,
    ) -> R<Value> {
        use BinOp::*;
        let va = self.value(a, env)?;
        // Short-circuit booleans.
        match (op, &va) {
            (And, Value::Bool(false)) => return Ok(Value::Bool(false)),
            (Or, Value::Bool(true)) => return Ok(Value::Bool(true)),
            _ => {}
        }
        let vb = self.value(b, env)?;
        if va.is_unknown() {
            return Ok(first_unknown(&va));
        }
        if vb.is_unknown() {
            return Ok(first_unknown(&vb));
        }
        let int = |r: Option<i64>| r.map(Value::Int).ok_or_else(|| self.overflow(e.span));
        Ok(match (op, va, vb) {
            (Add, Value::Int(x), Value::Int(y)) => int(x.checked_add(y))?,
            (Sub, Value::Int(x), Value::Int(y)) => int(x.checked_sub(y))?,
            (Mul, Value::Int(x), Value::Int(y)) => int(x.checked_mul(y))?,
            (Div | Rem, Value::Int(_), Value::Int(0)) => {
                return Err(self.fail(
                    "capz::eval::division-by-zero",
                    b.span,
                    "division by zero".into(),
                    "this is 0",
                    "divide by a non-zero int",
                ));
            }
            (Div, Value::Int(x), Value::Int(y)) => int(x.checked_div(y))?,
            (Rem, Value::Int(x), Value::Int(y)) => int(x.checked_rem(y))?,
            (Add, Value::Str(x), Value::Str(y)) => Value::Str(x + &y),
            (Add, Value::List(mut x), Value::List(y)) => {
                x.extend(y);
                Value::List(x)
            }
            (Eq, x, y) => Value::Bool(x == y),
            (Ne, x, y) => Value::Bool(x != y),
            (Lt, Value::Int(x), Value::Int(y)) => Value::Bool(x < y),
            (Le, Value::Int(x), Value::Int(y)) => Value::Bool(x <= y),
            (Gt, Value::Int(x), Value::Int(y)) => Value::Bool(x > y),
            (Ge, Value::Int(x), Value::Int(y)) => Value::Bool(x >= y),
            (Lt, Value::Str(x), Value::Str(y)) => Value::Bool(x < y),
            (Le, Value::Str(x), Value::Str(y)) => Value::Bool(x <= y),
            (Gt, Value::Str(x), Value::Str(y)) => Value::Bool(x > y),
            (Ge, Value::Str(x), Value::Str(y)) => Value::Bool(x >= y),
            (And, Value::Bool(x), Value::Bool(y)) => Value::Bool(x && y),
            (Or, Value::Bool(x), Value::Bool(y)) => Value::Bool(x || y),
            (op, x, y) => {
                return Err(self.fail(
                    "capz::type::mismatch",
                    e.span,
                    format!("`{}` cannot combine {x} and {y}", op.symbol()),
                    "wrong operand types",
                    "see the operator table in docs/language.md",
                ));
            }
        })
    }

    // ---- the program --------------------------------------------------------------------------

    /// A module instance's output `name` (memoised per instance). With `wanted`, an
    /// output the module does not declare is reported there.
    fn output(&self, frame: &Rc<Frame<'a>>, at: Span, wanted: Option<&Ident>) -> R<Value> {
        let key = wanted.map(|w| w.name.clone()).unwrap_or_default();
        let Some(o) = frame.unit.outputs.iter().find(|o| o.decl.name.name == key) else {
            return Err(self.fail(
                "capz::name::unknown-member",
                at,
                format!("the module has no output `{key}`"),
                "not an output",
                "read one of the module's `output`s",
            ));
        };
        self.output_of(frame, o.decl, at)
    }

    fn output_of(&self, frame: &Rc<Frame<'a>>, o: &'a OutputDecl, at: Span) -> R<Value> {
        let key = o.name.name.clone();
        let state = frame.output_slots.borrow().get(&key).cloned();
        let desc = match &frame.prefix {
            Some(p) => format!("{p}.{key}"),
            None => key.clone(),
        };
        match state {
            Some(Slot::Done(v)) => v.ok_or(Failed),
            Some(Slot::Busy) => {
                self.cycle(&desc, at);
                Err(Failed)
            }
            _ => {
                frame
                    .output_slots
                    .borrow_mut()
                    .insert(key.clone(), Slot::Busy);
                self.path.borrow_mut().push(desc);
                let v = self.value(&o.value, &Env::root(frame)).ok();
                self.path.borrow_mut().pop();
                frame
                    .output_slots
                    .borrow_mut()
                    .insert(key, Slot::Done(v.clone()));
                v.ok_or(Failed)
            }
        }
    }

    /// A module instance as a value: the record of its outputs.
    fn module_record(&self, frame: &Rc<Frame<'a>>) -> R<Value> {
        let mut rec = BTreeMap::new();
        for o in &frame.unit.outputs {
            let v = self.output_of(frame, o.decl, o.decl.span)?;
            rec.insert(o.decl.name.name.clone(), v);
        }
        Ok(Value::Record(rec))
    }

    fn build(&self) -> Option<Program> {
        let c = self.root.unit;
        let root = Env::root(&self.root);
        let stack = match c.stack {
            Some(s) => match self.value(&s.name, &root) {
                Ok(Value::Str(n)) => Some((n, s.span)),
                Ok(_) => {
                    self.err(
                        Diagnostic::error(
                            "capz::stack::invalid",
                            "the stack name must be known before apply",
                        )
                        .with_primary(s.name.span, "not a plain string")
                        .with_help("write `stack \"my-stack\"`"),
                    );
                    None
                }
                Err(Failed) => None,
            },
            None => None,
        };
        if let Some((name, span)) = &stack
            && (name.is_empty() || name.len() > 256)
        {
            self.err(
                Diagnostic::error(
                    "capz::stack::invalid",
                    "the stack name must be 1 to 256 characters",
                )
                .with_primary(*span, "invalid stack name")
                .with_help(
                    "it becomes the value of tag capz-stack; write e.g. `stack \"capz-dev\"`",
                ),
            );
        }
        let mut params = Vec::new();
        for (i, p) in c.params.iter().enumerate() {
            if let Ok(v) = self.param(&self.root, i, p.decl.span) {
                params.push(ParamValue {
                    name: p.decl.name.name.clone(),
                    ty: p.ty.clone(),
                    value: v,
                    overridden: p.value_override.is_some(),
                    span: p.decl.span,
                });
            }
        }
        // Resources.
        let n = self.insts.borrow().len();
        let mut resources: Vec<Option<Resource>> = Vec::with_capacity(n);
        for idx in 0..n {
            resources.push(self.resource(idx));
        }
        // Top-level lets, and the params and outputs of module instances, are evaluated
        // even if unused, so their errors show.
        let frames = self.frames.borrow().clone();
        for f in &frames {
            for item in &f.unit.file.items {
                if let Item::Let(l) = item {
                    let _ = self.global_let(f, l, l.span);
                }
            }
            if f.prefix.is_some() {
                for (i, p) in f.unit.params.iter().enumerate() {
                    let _ = self.param(f, i, p.decl.span);
                }
                for o in &f.unit.outputs {
                    let _ = self.output_of(f, o.decl, o.decl.span);
                }
            }
        }
        let mut outputs = Vec::new();
        for o in &c.outputs {
            if let Ok(v) = self.value(&o.decl.value, &root) {
                outputs.push(Output {
                    name: o.decl.name.name.clone(),
                    value: v,
                    ty: o.ty.clone(),
                    span: o.decl.span,
                });
            }
        }
        let resources = order(expand_links(resources.into_iter().flatten().collect()));
        self.check_names(&resources);
        let (stack, stack_span) = stack?;
        Some(Program::new(stack, stack_span, resources, outputs, params))
    }

    fn resource(&self, idx: usize) -> Option<Resource> {
        let i = self.inst(idx)?;
        let mut fields = BTreeMap::new();
        let mut ok = true;
        for f in &i.fields {
            match self.field(idx, &f.key, f.expr.span) {
                Ok(Some(v)) => {
                    let v = match i.kind.field(&f.key) {
                        Some(def) => enumify(v, &def.ty),
                        None => v,
                    };
                    let items = match (&f.expr.kind, &v) {
                        (ExprKind::List(xs), Value::List(vs)) if xs.len() == vs.len() => {
                            xs.iter().map(|x| x.span).collect()
                        }
                        _ => Vec::new(),
                    };
                    fields.insert(
                        f.key.clone(),
                        FieldValue {
                            value: v,
                            span: f.expr.span,
                            items,
                        },
                    );
                }
                _ => ok = false,
            }
        }
        let name = match self.name_of(idx, i.span) {
            Ok(Value::Str(s)) => s,
            Ok(Value::Unknown { .. }) => {
                self.err(
                    Diagnostic::error(
                        "capz::eval::unknown-name",
                        format!("the name of `{}` is known only after apply", i.address),
                    )
                    .with_primary(
                        fields.get("name").map_or(i.span, |f| f.span),
                        "known after apply",
                    )
                    .with_help(
                        "build ARM names from params, lets and loop variables, not from attributes",
                    ),
                );
                return None;
            }
            _ => return None,
        };
        fields
            .entry("name".to_string())
            .or_insert(FieldValue::new(Value::Str(name.clone()), i.span));
        if i.kind.has_location && !fields.contains_key("location") {
            match self.location_of(idx, i.span) {
                Ok(Some(v)) => {
                    fields.insert("location".into(), FieldValue::new(v, i.span));
                }
                Ok(None) => {}
                Err(Failed) => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let parent = match i.kind.placement {
            Placement::ResourceGroup => None,
            Placement::InGroup => i.group.clone(),
            Placement::Child { .. } | Placement::Inline { .. } => i
                .parent
                .and_then(|p| self.inst(p))
                .map(|p| p.address.clone()),
            // Split into one resource per end by `expand_links`.
            Placement::Link { .. } => None,
        };
        let mut depends_on = BTreeSet::new();
        for f in fields.values() {
            depends_on.extend(f.value.resources(true).into_iter().cloned());
        }
        if let Some(p) = &parent {
            depends_on.insert(p.clone());
        }
        depends_on.remove(&i.address);
        // References to parts of the same resource (a pool's own cluster) stay; children of
        // this resource as dependencies would be cycles: drop them.
        depends_on.retain(|a| !a.segments.starts_with(&i.address.segments) || a == &i.address);
        Some(Resource {
            kind: i.kind.keyword,
            address: i.address.clone(),
            name,
            parent,
            fields,
            span: i.span,
            depends_on,
            existing: self.is_existing(idx),
        })
    }

    fn check_names(&self, resources: &[Resource]) {
        let mut seen: HashMap<(&str, Option<&Address>, String), &Resource> = HashMap::new();
        for r in resources {
            let Some(kind) = self.catalog.kind(r.kind) else {
                continue;
            };
            let rule = kind.name_rule;
            let len = r.name.chars().count();
            let set = r.fields.get("name").is_some_and(|f| f.span != r.span);
            if len < rule.min || len > rule.max || !(rule.valid)(&r.name) {
                let span = r.fields.get("name").map_or(r.span, |f| f.span);
                let why = if len < rule.min || len > rule.max {
                    format!(
                        "it must be {} to {} characters long (it has {len})",
                        rule.min, rule.max
                    )
                } else {
                    rule.explain
                        .and_then(|why| why(&r.name))
                        .unwrap_or_else(|| format!("allowed: {}", rule.allowed))
                };
                let help = if set {
                    format!(
                        "change `name` to a valid {} name ({})",
                        kind.keyword, rule.allowed
                    )
                } else {
                    match suggest_name(&r.name, &rule) {
                        Some(valid) => format!(
                            "the ARM name defaults to the declared name; set `name = \"{valid}\"` in the body of `{}` ({})",
                            r.address, rule.allowed
                        ),
                        None => format!(
                            "the ARM name defaults to the declared name; set `name = \"...\"` in the body of `{}` to a valid name ({})",
                            r.address, rule.allowed
                        ),
                    }
                };
                self.err(
                    Diagnostic::error(
                        "capz::name::invalid-arm-name",
                        format!(
                            "`{}` is not a valid ARM name for {}: {why}",
                            r.name,
                            if kind.keyword.starts_with(['a', 'e', 'i', 'o', 'u']) {
                                format!("an {}", kind.keyword)
                            } else {
                                format!("a {}", kind.keyword)
                            }
                        ),
                    )
                    .with_primary(
                        span,
                        if set {
                            "set here"
                        } else {
                            "name taken from the declaration"
                        },
                    )
                    .with_help(help),
                );
            }
            let key = (r.kind, r.parent.as_ref(), r.name.to_ascii_lowercase());
            if let Some(first) = seen.get(&key) {
                self.err(
                    Diagnostic::error(
                        "capz::name::duplicate-arm-name",
                        if first.name == r.name {
                            format!("two {}s are both named `{}` in ARM", r.kind, r.name)
                        } else {
                            format!(
                                "two {}s have the same ARM name: `{}` and `{}` differ only in case, which ARM ignores",
                                r.kind, first.name, r.name
                            )
                        },
                    )
                    .with_primary(r.fields.get("name").map_or(r.span, |f| f.span), format!("`{}` is named `{}`", r.address, r.name))
                    .with_secondary(
                        first.fields.get("name").map_or(first.span, |f| f.span),
                        format!("`{}` is named `{}` too", first.address, first.name),
                    )
                    .with_help("ARM names are unique per kind and parent (case-insensitive): set a different `name`"),
                );
            } else {
                seen.insert(key, r);
            }
        }
    }
}

/// A name that follows common ARM rules: lowercase, `-` for `_`, cut to `max`.
/// A valid ARM name close to `name` for the help line, or `None` if no simple respelling
/// passes the kind's own rule: lower case with `-` for `_`, then letters and digits only
/// (pool names allow nothing else), each cut to the maximum length and checked with
/// `rule.valid`, so the help never suggests a name that would be refused in turn.
fn suggest_name(name: &str, rule: &NameRule) -> Option<String> {
    let lower: String = name
        .chars()
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let alnum: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    // Dotted names (DNS zones, record sets) keep their dots and characters; only labels
    // longer than 63 characters (RFC 1035) are cut, without a trailing hyphen.
    let labels: String = name
        .split('.')
        .map(|l| {
            let cut: String = l.chars().take(63).collect();
            cut.trim_end_matches('-').to_string()
        })
        .collect::<Vec<_>>()
        .join(".");
    [labels, lower, alnum]
        .into_iter()
        .map(|c| c.chars().take(rule.max.max(1)).collect::<String>())
        .find(|c| c.len() >= rule.min && (rule.valid)(c))
}

/// A `Str` assigned to an enum-typed field or param (e.g. from an `if`) becomes `Enum`.
fn enumify(v: Value, ty: &Type) -> Value {
    match (v, ty) {
        (Value::Str(s), Type::Enum(_)) => Value::Enum(s),
        (Value::List(items), Type::List(t)) => {
            Value::List(items.into_iter().map(|v| enumify(v, t)).collect())
        }
        (v, _) => v,
    }
}

fn first_unknown(v: &Value) -> Value {
    match v {
        Value::Unknown { .. } => v.clone(),
        Value::List(l) => l
            .iter()
            .find(|x| x.is_unknown())
            .map_or_else(|| v.clone(), first_unknown),
        Value::Record(r) => r
            .values()
            .find(|x| x.is_unknown())
            .map_or_else(|| v.clone(), first_unknown),
        _ => v.clone(),
    }
}

/// Source order, except that a parent (group or enclosing resource) comes before its children.
fn order(resources: Vec<Resource>) -> Vec<Resource> {
    let pos: HashMap<Address, usize> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.address.clone(), i))
        .collect();
    let mut done = vec![false; resources.len()];
    let mut out_idx = Vec::with_capacity(resources.len());
    fn emit(
        i: usize,
        rs: &[Resource],
        pos: &HashMap<Address, usize>,
        done: &mut [bool],
        out: &mut Vec<usize>,
        depth: usize,
    ) {
        if done[i] || depth > rs.len() {
            return;
        }
        done[i] = true;
        if let Some(p) = rs[i].parent.as_ref().and_then(|p| pos.get(p))
            && !done[*p]
        {
            done[i] = false;
            emit(*p, rs, pos, done, out, depth + 1);
            done[i] = true;
        }
        out.push(i);
    }
    for i in 0..resources.len() {
        emit(i, &resources, &pos, &mut done, &mut out_idx, 0);
    }
    let mut slots: Vec<Option<Resource>> = resources.into_iter().map(Some).collect();
    out_idx
        .into_iter()
        .filter_map(|i| slots[i].take())
        .collect()
}

/// Split each resource of a [`Placement::Link`] kind (`peering a <-> b`, fields `from` and
/// `to` referencing the ends) into its two ARM resources: `a->b`, a child of `a` named
/// `{a.name}-to-{b.name}` whose `to` is `b`, and `b->a` the other way. `from` stays as the
/// end the resource lives in. Settings that only make sense on one side are kept on that
/// side: `allow_gateway_transit` on `a` (the hub offers its gateway) and
/// `use_remote_gateways` on `b` (the spoke uses it).
fn expand_links(resources: Vec<Resource>) -> Vec<Resource> {
    let names: HashMap<Address, String> = resources
        .iter()
        .map(|r| (r.address.clone(), r.name.clone()))
        .collect();
    // An `existing` end is another team's: its side of the link is theirs to create.
    let existing: BTreeSet<Address> = resources
        .iter()
        .filter(|r| r.existing)
        .map(|r| r.address.clone())
        .collect();
    let mut out = Vec::with_capacity(resources.len());
    for r in resources {
        let ends = match (r.get("from"), r.get("to")) {
            (Some(Value::Ref(a)), Some(Value::Ref(b))) if r.parent.is_none() => {
                Some((a.clone(), b.clone()))
            }
            _ => None,
        };
        let Some((a, b)) = ends else {
            out.push(r);
            continue;
        };
        let from_span = r.fields.get("from").map_or(r.span, |f| f.span);
        let to_span = r.fields.get("to").map_or(r.span, |f| f.span);
        for (here, there, here_span, there_span, drop) in [
            (&a, &b, from_span, to_span, "use_remote_gateways"),
            (&b, &a, to_span, from_span, "allow_gateway_transit"),
        ] {
            if existing.contains(here) {
                continue;
            }
            let mut side = r.clone();
            let here_name = names.get(here).cloned().unwrap_or_else(|| here.to_string());
            let there_name = names
                .get(there)
                .cloned()
                .unwrap_or_else(|| there.to_string());
            side.address = Address::top(format!("{here}->{there}"));
            side.name = format!("{here_name}-to-{there_name}");
            side.parent = Some(here.clone());
            side.fields.remove(drop);
            side.fields.insert(
                "name".into(),
                FieldValue::new(Value::Str(side.name.clone()), r.span),
            );
            side.fields.insert(
                "from".into(),
                FieldValue::new(Value::Ref(here.clone()), here_span),
            );
            side.fields.insert(
                "to".into(),
                FieldValue::new(Value::Ref(there.clone()), there_span),
            );
            out.push(side);
        }
    }
    out
}
