//! The evaluated program: the desired resources, outputs and parameter values.
//!
//! This is what evaluation hands to stdlib's rules and to the planner. Loops are unrolled,
//! expressions evaluated, defaults applied (a resource's `location` defaults to its
//! group's; its `name` to its declared name with `-i` for an index). References to other
//! resources stay as [`Value::Ref`] (the planner knows their IDs) and values only ARM
//! knows as [`Value::Unknown`].

use crate::source::{SourceMap, Span};
use crate::types::Type;
use crate::value::{Address, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

/// A field's evaluated value and where it was set.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldValue {
    /// The value.
    pub value: Value,
    /// Span of the expression that produced it (the resource header for defaults).
    pub span: Span,
    /// When the expression is a list literal (`[443, 70000]`), the span of each item, in
    /// order; otherwise empty. A diagnostic about one item labels it ([`Self::item_span`]).
    pub items: Vec<Span>,
}

impl FieldValue {
    /// A value set at `span`, with no item spans.
    pub fn new(value: Value, span: Span) -> Self {
        FieldValue {
            value,
            span,
            items: Vec::new(),
        }
    }

    /// The span of item `i` of a list value written as a literal, else the whole field's.
    pub fn item_span(&self, i: usize) -> Span {
        self.items.get(i).copied().unwrap_or(self.span)
    }
}

/// One desired ARM resource.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    /// Kind keyword (`group`, `vnet`, `subnet`, `cluster`, `pool`, ...).
    pub kind: &'static str,
    /// Program address, unique, e.g. `wl_net[0].control_plane`.
    pub address: Address,
    /// ARM name.
    pub name: String,
    /// For `InGroup` kinds the group's address; for `Child` kinds the parent's; `None` for groups.
    pub parent: Option<Address>,
    /// Field values by key (`address_space`, `network.plugin` for block fields). Only what
    /// the program set, plus `location` and `name` which always have a value.
    pub fields: BTreeMap<String, FieldValue>,
    /// Span of the declaration header (`vnet mgmt_net in mgmt`).
    pub span: Span,
    /// Resources this one references or lives in (apply orders after them).
    pub depends_on: BTreeSet<Address>,
    /// Declared `existing`: another stack or team owns it. The planner reads it (a missing
    /// one is a plan error) and resolves references to its fields from live state; it is
    /// never written, tagged or deleted, nor are its undeclared children.
    pub existing: bool,
}

impl Resource {
    /// The value of field `key`, if set.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key).map(|f| &f.value)
    }
}

/// `output name = expr`.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// Output name.
    pub name: String,
    /// Its value (may be or contain `Unknown`).
    pub value: Value,
    /// Its type.
    pub ty: Type,
    /// Span of the declaration.
    pub span: Span,
}

/// A parameter's final value (default or override).
#[derive(Clone, Debug, PartialEq)]
pub struct ParamValue {
    /// Name.
    pub name: String,
    /// Declared type.
    pub ty: Type,
    /// Value used.
    pub value: Value,
    /// Whether it came from `--param` rather than the default.
    pub overridden: bool,
    /// Span of the declaration.
    pub span: Span,
}

/// The whole evaluated program.
///
/// Build one with [`Program::new`]. Lookups by address ([`Program::resource`]) and by parent
/// ([`Program::children`]) go through an index built on first use, so the rules, which look
/// up references of every resource, stay linear in the program's size
/// (stdlib/benches/RESULTS.md). The index assumes that resources' `address` and `parent`
/// are not changed after the first lookup (other fields may be); resources added or
/// removed later are still found, by a scan.
#[derive(Clone, Debug)]
pub struct Program {
    /// The stack name (the value of tag `capz-stack` on everything it creates).
    pub stack: String,
    /// Span of `stack "..."`.
    pub stack_span: Span,
    /// Resources, each parent before its children, otherwise in source order.
    pub resources: Vec<Resource>,
    /// Outputs in source order.
    pub outputs: Vec<Output>,
    /// Parameters in source order.
    pub params: Vec<ParamValue>,
    /// Positions in `resources` by address and by parent; see the type's docs.
    index: OnceLock<Index>,
}

/// Where each resource sits in [`Program::resources`].
#[derive(Clone, Debug, Default)]
struct Index {
    /// Number of resources when the index was built.
    len: usize,
    by_address: HashMap<Address, usize>,
    children: HashMap<Address, Vec<usize>>,
}

impl PartialEq for Program {
    /// Programs are equal when their contents are; the lookup index is not compared.
    fn eq(&self, other: &Self) -> bool {
        self.stack == other.stack
            && self.stack_span == other.stack_span
            && self.resources == other.resources
            && self.outputs == other.outputs
            && self.params == other.params
    }
}

impl Program {
    /// A program of these parts (resources parent before children).
    pub fn new(
        stack: String,
        stack_span: Span,
        resources: Vec<Resource>,
        outputs: Vec<Output>,
        params: Vec<ParamValue>,
    ) -> Program {
        Program {
            stack,
            stack_span,
            resources,
            outputs,
            params,
            index: OnceLock::new(),
        }
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let mut ix = Index {
                len: self.resources.len(),
                ..Index::default()
            };
            for (i, r) in self.resources.iter().enumerate() {
                ix.by_address.entry(r.address.clone()).or_insert(i);
                if let Some(p) = &r.parent {
                    ix.children.entry(p.clone()).or_default().push(i);
                }
            }
            ix
        })
    }

    /// The resource at this address.
    pub fn resource(&self, address: &Address) -> Option<&Resource> {
        let hit = self
            .index()
            .by_address
            .get(address)
            .and_then(|&i| self.resources.get(i))
            .filter(|r| &r.address == address);
        hit.or_else(|| self.resources.iter().find(|r| &r.address == address))
    }

    /// Resources of one kind.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.iter().filter(move |r| r.kind == kind)
    }

    /// Direct children of `parent` (subnets of a vnet, pools of a cluster, resources in a group).
    pub fn children<'a>(&'a self, parent: &'a Address) -> impl Iterator<Item = &'a Resource> + 'a {
        let ix = self.index();
        let indexed = (ix.len == self.resources.len()).then(|| {
            ix.children
                .get(parent)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .filter_map(|&i| self.resources.get(i))
        });
        let scan = indexed.is_none().then(|| self.resources.iter());
        indexed
            .into_iter()
            .flatten()
            .chain(scan.into_iter().flatten())
            .filter(move |r| r.parent.as_ref() == Some(parent))
    }
}

/// The result of [`crate::compile`]: the sources read, the program if there were no
/// errors, and every diagnostic (errors and warnings) sorted by position.
#[derive(Debug)]
pub struct Compiled {
    /// Root file (id 0) and modules.
    pub sources: SourceMap,
    /// `Some` when no diagnostic is an error.
    pub program: Option<Program>,
    /// All diagnostics, sorted.
    pub diagnostics: Vec<Diagnostic>,
}

use crate::diagnostic::Diagnostic;
