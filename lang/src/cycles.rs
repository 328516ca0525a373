//! Dependency cycles between resources.
//!
//! Evaluation refuses values that depend on themselves, but a program can still make two
//! resources wait for each other without any value being circular: `identity x` whose
//! tags read `aks.fqdn` (known only after the cluster exists) while `cluster aks` lists
//! `x` in `identity_ids` (so the identity must exist first). No apply order exists, so
//! the checker refuses it here, with the references that close the loop, instead of the
//! planner refusing it later without a source line.

use crate::diagnostic::Diagnostic;
use crate::program::{Program, Resource};
use crate::source::Span;
use crate::value::Address;
use std::collections::{BTreeMap, BTreeSet};

/// One diagnostic (`capz::name::cycle`) per cycle in the resources' `depends_on` graph:
/// primary label on the first resource of the cycle, a secondary label on the field of
/// each resource that references the next one. Cycles through a parent (a child cannot
/// be its parent's dependency) are reported the same way.
pub fn check(program: &Program) -> Vec<Diagnostic> {
    let index: BTreeMap<&Address, &Resource> =
        program.resources.iter().map(|r| (&r.address, r)).collect();
    let mut state: BTreeMap<&Address, Mark> = BTreeMap::new();
    let mut reported: BTreeSet<Vec<Address>> = BTreeSet::new();
    let mut diags = Vec::new();
    for r in &program.resources {
        let mut stack = Vec::new();
        visit(&r.address, &index, &mut state, &mut stack, &mut |cycle| {
            let mut key = cycle.to_vec();
            key.sort();
            if reported.insert(key) {
                diags.push(diagnostic(cycle, &index));
            }
        });
    }
    diags
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Open,
    Done,
}

/// Iterative-enough DFS: recursion depth is bounded by the longest dependency chain,
/// which evaluation already bounds (at most `eval::MAX_INSTANCES` resources).
fn visit<'a>(
    at: &'a Address,
    index: &BTreeMap<&'a Address, &'a Resource>,
    state: &mut BTreeMap<&'a Address, Mark>,
    stack: &mut Vec<&'a Address>,
    found: &mut dyn FnMut(&[Address]),
) {
    match state.get(at) {
        Some(Mark::Done) => return,
        Some(Mark::Open) => {
            if let Some(pos) = stack.iter().position(|a| *a == at) {
                let cycle: Vec<Address> = stack[pos..].iter().map(|a| (*a).clone()).collect();
                found(&cycle);
            }
            return;
        }
        None => {}
    }
    let Some(res) = index.get(at) else { return };
    state.insert(at, Mark::Open);
    stack.push(at);
    for dep in &res.depends_on {
        if let Some((key, _)) = index.get_key_value(dep) {
            visit(key, index, state, stack, found);
        }
    }
    stack.pop();
    state.insert(at, Mark::Done);
}

fn diagnostic(cycle: &[Address], index: &BTreeMap<&Address, &Resource>) -> Diagnostic {
    let mut path: Vec<String> = cycle.iter().map(ToString::to_string).collect();
    if let Some(first) = path.first().cloned() {
        path.push(first);
    }
    let mut d = Diagnostic::error(
        "capz::name::cycle",
        format!(
            "resources wait for each other in a cycle: {}",
            path.join(" -> ")
        ),
    );
    for (i, addr) in cycle.iter().enumerate() {
        let next = &cycle[(i + 1) % cycle.len()];
        let Some(res) = index.get(addr) else { continue };
        let (span, what) = referencing_field(res, next);
        let label = format!("{what} needs `{next}` first");
        d = if i == 0 {
            d.with_primary(span, label)
        } else {
            d.with_secondary(span, label)
        };
    }
    d.with_help(
        "no apply order exists: remove one of these references (e.g. a value known only after \
         the other resource is applied)",
    )
}

/// The span of the field of `res` whose value refers to `target` (or the header when the
/// dependency is the parent), with a short description.
fn referencing_field(res: &Resource, target: &Address) -> (Span, String) {
    for (key, fv) in &res.fields {
        if fv.value.resources(true).contains(&target) {
            return (fv.span, format!("`{}.{key}`", res.address));
        }
    }
    (res.span, format!("`{}`", res.address))
}
