//! The operation graph of a plan: which operation waits for which.
//!
//! Nodes are the plan's operations (changes that do something and are not carried inline
//! by a parent's PUT). An edge `a → b` means `b` starts only after `a` succeeded:
//! - a resource after everything it references or lives in (a subnet after its vnet, a
//!   pool after its subnet and cluster, everything after its group); a create carried
//!   inline lends its dependencies to its carrier (a new cluster waits for its pools'
//!   subnets);
//! - deletes of undeclared resources in a group after every declared operation in that
//!   group (a pool moves off a subnet before the subnet goes), and after the update of
//!   their declared parent (a vnet PUT would otherwise bring back a deleted subnet);
//! - among those deletes, reverse dependency order: a resource of kind A is deleted before
//!   one of kind B when A (or a child kind of A) has a field referencing B or B's children
//!   (a cluster, whose pools use subnets, goes before its vnet);
//! - a replacement whose resource references another replaced resource (a pool in a
//!   replaced subnet, a cluster whose pools are in it, a peering to a replaced vnet) runs as
//!   two operations, DELETE and PUT, and so does the one it references: the dependent is
//!   deleted before what it references is deleted (ARM refuses to delete a subnet that is
//!   in use: InUseSubnetCannotBeDeleted), and put back after it is put back;
//! - a write that takes an address range a sibling holds now (a subnet moved into the
//!   range of a subnet that is deleted, or that moves elsewhere: dropping the first item of
//!   a `for` list of subnets) waits for that sibling's delete or update, which frees it
//!   (ARM refuses overlapping sibling subnets: NetcfgSubnetRangesOverlap), unless that
//!   order would close a cycle.

use crate::plan::{Action, Change, Plan, Reason};
use lang::schema::Catalog;
use lang::{Address, Type};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeMap, BTreeSet};

/// The DAG. Node weights are operation numbers: a change's index in [`Plan::changes`]
/// for its operation (for a split replacement, the PUT half), and
/// [`OpGraph::delete_half`] of it for the DELETE half of a split replacement.
pub struct OpGraph {
    /// The graph.
    pub graph: DiGraph<usize, ()>,
    /// Node of each operation, by operation number.
    pub node: BTreeMap<usize, NodeIndex>,
    /// For each change index, the change index of the operation that performs it
    /// (itself, or the carrier for inline creates). Absent for no-ops.
    pub op_of: BTreeMap<usize, usize>,
    /// Change indices of replacements run as two operations (DELETE, then PUT).
    pub split: BTreeSet<usize>,
    /// Number of changes in the plan (delete halves are numbered after them).
    pub changes: usize,
}

/// Which part of a change an operation performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Half {
    /// The whole change (a replacement that is not split does DELETE then PUT).
    Whole,
    /// The DELETE of a split replacement.
    Delete,
    /// The PUT of a split replacement.
    Put,
}

impl OpGraph {
    /// Operation number of the DELETE half of split change `i`.
    pub fn delete_half(&self, i: usize) -> usize {
        self.changes + i
    }

    /// The change an operation number belongs to, and which part of it the operation is.
    pub fn change_of(&self, op: usize) -> (usize, Half) {
        if op >= self.changes {
            (op - self.changes, Half::Delete)
        } else if self.split.contains(&op) {
            (op, Half::Put)
        } else {
            (op, Half::Whole)
        }
    }
}

/// `/subscriptions/{s}/resourcegroups/{g}` of an ID, lower case.
pub fn group_of(id: &str) -> Option<String> {
    let lower = id.to_ascii_lowercase();
    let parts: Vec<&str> = lower.trim_start_matches('/').split('/').collect();
    if parts.len() >= 4 && parts[0] == "subscriptions" && parts[2] == "resourcegroups" {
        Some(format!("/{}", parts[..4].join("/")))
    } else {
        None
    }
}

/// Kinds a kind's fields (and its child kinds' fields) reference.
fn referenced_kinds(catalog: &Catalog, kind: &str, depth: usize) -> BTreeSet<&'static str> {
    fn walk(t: &Type, out: &mut BTreeSet<&'static str>) {
        match t {
            Type::Resource(k) => {
                out.insert(k);
            }
            Type::List(e) | Type::KnownAfterApply(e) => walk(e, out),
            Type::Record(fs) => fs.iter().for_each(|(_, t)| walk(t, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    let Some(k) = catalog.kind(kind) else {
        return out;
    };
    for (_, f) in k.all_fields() {
        walk(&f.ty, &mut out);
    }
    if depth < 4 {
        for c in &k.children {
            out.extend(referenced_kinds(catalog, c, depth + 1));
        }
    }
    out
}

/// The kind and its ancestors' kinds (`subnet` → `subnet`, `vnet`).
fn family(catalog: &Catalog, kind: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut cur = Some(kind.to_string());
    while let Some(k) = cur {
        if !out.insert(k.clone()) {
            break;
        }
        cur = catalog
            .kind(&k)
            .and_then(|d| d.placement.parent_kind().map(str::to_string));
    }
    out
}

/// Whether deleting a `a`-kind resource must come before deleting a `b`-kind one.
fn delete_before(catalog: &Catalog, a: &str, b: &str) -> bool {
    a != b
        && referenced_kinds(catalog, a, 0)
            .iter()
            .any(|k| family(catalog, k).contains(b))
}

/// Build the graph of `plan`.
pub fn build(catalog: &Catalog, plan: &Plan) -> OpGraph {
    let mut graph = DiGraph::new();
    let mut node = BTreeMap::new();
    let mut op_of = BTreeMap::new();
    let by_addr: BTreeMap<&Address, usize> = plan
        .changes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.address.as_ref().map(|a| (a, i)))
        .collect();
    for (i, c) in plan.changes.iter().enumerate() {
        if c.action == Action::NoOp {
            continue;
        }
        match c.carried_by {
            Some(p) => {
                op_of.insert(i, p);
            }
            None => {
                op_of.insert(i, i);
                node.insert(i, graph.add_node(i));
            }
        }
    }
    let mut edges: BTreeSet<(usize, usize)> = BTreeSet::new();
    // Declared resources: after what they reference or live in.
    for (i, c) in plan.changes.iter().enumerate() {
        let (Some(&me), Some(r)) = (op_of.get(&i), c.desired.as_ref()) else {
            continue;
        };
        for dep in r.depends_on.iter().chain(r.parent.iter()) {
            let Some(&di) = by_addr.get(dep) else {
                continue;
            };
            if let Some(&dop) = op_of.get(&di)
                && dop != me
            {
                edges.insert((dop, me));
            }
        }
    }
    let n = plan.changes.len();
    let pairs = replacement_pairs(plan, &by_addr);
    let split: BTreeSet<usize> = pairs.iter().flat_map(|&(d, x)| [d, x]).collect();
    let frees = range_frees(catalog, plan, &op_of, &split);
    // Undeclared deletes that free a range a sibling takes: they need not wait for their
    // siblings' writes (only for what moves off them, of other kinds).
    let freeing: BTreeSet<usize> = frees.iter().map(|&(f, _)| f).collect();
    // Undeclared deletes.
    let deletes: Vec<(usize, &Change)> = plan
        .changes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.action == Action::Delete && c.address.is_none())
        .collect();
    for &(i, d) in &deletes {
        let g = group_of(&d.id);
        let is_group = g.as_deref() == Some(d.id.to_ascii_lowercase().as_str());
        if !is_group {
            for (j, c) in plan.changes.iter().enumerate() {
                if c.address.is_none() || !op_of.contains_key(&j) {
                    continue;
                }
                let same_group = group_of(&c.id) == g;
                let parent = matches!(&d.reason, Reason::UndeclaredChild { .. })
                    && d.id
                        .to_ascii_lowercase()
                        .starts_with(&format!("{}/", c.id.to_ascii_lowercase()));
                let sibling = c.kind == d.kind && parent_id(&c.id) == parent_id(&d.id);
                if freeing.contains(&i) && sibling {
                    continue;
                }
                if (same_group || parent)
                    && let Some(&op) = op_of.get(&j)
                {
                    edges.insert((op, i));
                }
            }
        }
        for &(j, e) in &deletes {
            if i != j && group_of(&e.id) == g && delete_before(catalog, &d.kind, &e.kind) {
                edges.insert((i, j));
            }
        }
    }
    // Replacements that reference each other: split both and delete the dependent first.
    for (d, x) in pairs {
        edges.insert((n + d, n + x));
    }
    for &i in &split {
        node.insert(n + i, graph.add_node(n + i));
        edges.insert((n + i, i));
    }
    // Writes that take a range a sibling frees: the freeing operation first.
    for &(free, take) in &frees {
        edges.remove(&(take, free));
    }
    for (a, b) in edges {
        if let (Some(&na), Some(&nb)) = (node.get(&a), node.get(&b)) {
            graph.add_edge(na, nb, ());
        }
    }
    for (free, take) in frees {
        if let (Some(&nf), Some(&nt)) = (node.get(&free), node.get(&take)) {
            if petgraph::algo::has_path_connecting(&graph, nt, nf, None) {
                // Freeing first would close a cycle: keep the write first, as before.
                graph.add_edge(nt, nf, ());
            } else {
                graph.add_edge(nf, nt, ());
            }
        }
    }
    OpGraph {
        graph,
        node,
        op_of,
        split,
        changes: n,
    }
}

/// Pairs `(d, x)` of declared replacements (change indices) where `d`, or a create it
/// carries inline, references `x` or a resource inside `x`: `d` must be gone before `x`
/// is deleted. Replacements through a temporary pool are left whole.
fn replacement_pairs(plan: &Plan, by_addr: &BTreeMap<&Address, usize>) -> BTreeSet<(usize, usize)> {
    let replaced = |i: usize| {
        plan.changes
            .get(i)
            .is_some_and(|c| c.action == Action::Replace && c.rotate_via.is_none())
    };
    // The replaced resource `a` is, or the nearest replaced ancestor of `a`.
    let replaced_around = |a: &Address| -> Option<usize> {
        let mut cur = Some(a.clone());
        let mut hops = 0;
        while let Some(addr) = cur {
            let i = *by_addr.get(&addr)?;
            if replaced(i) {
                return Some(i);
            }
            hops += 1;
            if hops > 16 {
                return None;
            }
            cur = plan.changes.get(i)?.desired.as_ref()?.parent.clone();
        }
        None
    };
    let mut out = BTreeSet::new();
    for (d, c) in plan.changes.iter().enumerate() {
        if !replaced(d) {
            continue;
        }
        let Some(me) = c.desired.as_ref() else {
            continue;
        };
        let carried = plan
            .changes
            .iter()
            .filter(|x| x.carried_by == Some(d))
            .filter_map(|x| x.desired.as_ref());
        let deps: BTreeSet<&Address> = me
            .depends_on
            .iter()
            .chain(carried.flat_map(|x| x.depends_on.iter()))
            .filter(|a| !a.segments.starts_with(&me.address.segments))
            .filter(|a| Some(*a) != me.parent.as_ref())
            .collect();
        for dep in deps {
            if let Some(x) = replaced_around(dep)
                && x != d
            {
                out.insert((d, x));
            }
        }
    }
    out
}

/// The CIDR ranges of `c` by its kind's `cidr`-typed fields: desired (from the program)
/// or live (from the GET body, at the field's ARM path). Only for child kinds, whose
/// siblings may not overlap (subnets of one VNet: NetcfgSubnetRangesOverlap).
fn ranges(catalog: &Catalog, c: &Change, live: bool) -> Vec<ipnet::IpNet> {
    let Some(kind) = catalog.kind(&c.kind) else {
        return Vec::new();
    };
    if !matches!(kind.placement, lang::schema::Placement::Child { .. }) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (key, f) in kind.all_fields() {
        if f.ty != Type::Cidr {
            continue;
        }
        let text: Option<String> = if live {
            match (&f.arm, c.live.as_ref()) {
                (lang::schema::ArmMapping::Path(p), Some(body)) => stdlib::arm::get_path(body, p)
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string),
                _ => None,
            }
        } else {
            match c.desired.as_ref().and_then(|r| r.get(&key)) {
                Some(lang::Value::Str(s)) => Some(s.clone()),
                _ => None,
            }
        };
        if let Some(net) = text.and_then(|t| t.parse::<ipnet::IpNet>().ok()) {
            out.push(net);
        }
    }
    out
}

/// The parent's ID of a child resource ID (`.../virtualnetworks/v/subnets/s` →
/// `.../virtualnetworks/v`), lower case.
fn parent_id(id: &str) -> Option<String> {
    let lower = id.to_ascii_lowercase();
    let (rest, _) = lower.rsplit_once('/')?;
    Some(rest.rsplit_once('/')?.0.to_string())
}

fn overlap(a: &[ipnet::IpNet], b: &[ipnet::IpNet]) -> bool {
    a.iter().any(|x| {
        b.iter()
            .any(|y| x.contains(&y.network()) || y.contains(&x.network()))
    })
}

/// Pairs `(free, take)` of operation numbers: `take` writes a range that its sibling's
/// operation `free` (a delete, or an update or replacement that moves it elsewhere) stops
/// holding.
fn range_frees(
    catalog: &Catalog,
    plan: &Plan,
    op_of: &BTreeMap<usize, usize>,
    split: &BTreeSet<usize>,
) -> Vec<(usize, usize)> {
    let n = plan.changes.len();
    let parent_of = parent_id;
    let mut out = Vec::new();
    for (w, wc) in plan.changes.iter().enumerate() {
        if !matches!(wc.action, Action::Create | Action::Update | Action::Replace)
            || wc.carried_by.is_some()
        {
            continue;
        }
        let wanted = ranges(catalog, wc, false);
        if wanted.is_empty() {
            continue;
        }
        let (Some(parent), Some(&take)) = (parent_of(&wc.id), op_of.get(&w)) else {
            continue;
        };
        for (s, sc) in plan.changes.iter().enumerate() {
            if s == w
                || !matches!(sc.action, Action::Delete | Action::Update | Action::Replace)
                || parent_of(&sc.id).as_deref() != Some(parent.as_str())
                || sc.kind != wc.kind
            {
                continue;
            }
            let held = ranges(catalog, sc, true);
            let keeps = if sc.action == Action::Delete {
                Vec::new()
            } else {
                ranges(catalog, sc, false)
            };
            if overlap(&wanted, &held) && !overlap(&wanted, &keeps) {
                let free = if split.contains(&s) {
                    n + s
                } else {
                    match op_of.get(&s) {
                        Some(&op) => op,
                        None => continue,
                    }
                };
                if free != take {
                    out.push((free, take));
                }
            }
        }
    }
    out
}
