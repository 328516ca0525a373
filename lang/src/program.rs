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
use std::collections::{BTreeMap, BTreeSet};

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
#[derive(Clone, Debug, PartialEq)]
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
}

impl Program {
    /// The resource at this address.
    pub fn resource(&self, address: &Address) -> Option<&Resource> {
        self.resources.iter().find(|r| &r.address == address)
    }

    /// Resources of one kind.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.iter().filter(move |r| r.kind == kind)
    }

    /// Direct children of `parent` (subnets of a vnet, pools of a cluster, resources in a group).
    pub fn children<'a>(&'a self, parent: &'a Address) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources
            .iter()
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
