//! The apply engine: run a plan's operations against ARM in dependency order.
//!
//! [`graph`] orders the operations; the engine starts every operation whose
//! dependencies all succeeded, on tokio. How many run at once is bounded by ARM's write
//! budget, not a small fixed number: the client takes a token per request from its mirror
//! of ARM's buckets (200 writes/deletes at once, then 10/s; see [`crate::arm::budget`]),
//! lowered by ARM's remaining-quota headers and paused by 429s, and the engine caps
//! operations in flight at [`ApplyOptions::write_budget`] (default 200, ARM's burst).
//! Operations ARM refuses to run at the same time are serialised by [`lock_key`]: a
//! cluster and its agent pools (AKS answers 409 OperationNotAllowed to a second operation
//! on a cluster), the federated credentials of one identity (409
//! ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity), and the subnets
//! of one virtual network (429 RetryableErrorDueToAnotherOperation). A failed
//! operation skips everything that depends on it (transitively) but not its independent
//! siblings. A replacement that references another replaced resource (a pool in a replaced
//! subnet) runs as two operations, DELETE and PUT, ordered around the other's
//! ([`graph`]); progress shows them as `deleting` and `creating`. PUT bodies are built when an operation starts, so values ARM assigned to
//! resources applied earlier in the run (`aks.fqdn`) are filled in. Each start, end and
//! skip is reported as an [`events::Event`], and so is what a running operation waits for
//! (throttling, another operation on the resource: [`events::Event::Waiting`], from the
//! client's [`crate::arm::client::Notice`]s).
//!
//! Faults: a resource planned as [`Action::Wait`] (an operation still running on it) is
//! polled until its `provisioningState` is terminal, and what depends on it waits; the CLI
//! then plans again. Updates and deletes carry `If-Match` with the ETag last read
//! (plan-time GET, or the body an earlier operation of this run returned), so a change
//! someone else made since fails that resource with `capz::apply::changed-since-plan`
//! (ARM answers 412 PreconditionFailed) instead of being overwritten.

pub mod events;
pub mod graph;

use crate::arm::{ArmClient, ArmError};
use crate::codes;
use crate::plan::diff::{self, IdMap};
use crate::plan::{Action, Change, Counts, Plan, PlannedOutput, Shown};
use events::Event;
use lang::schema::Catalog;
use lang::{Address, Diagnostic, Program, Resource, Value};
use petgraph::Direction;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Engine settings.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// Operations in flight at most. ARM allows 200 writes in a burst per principal and
    /// subscription (throttling section of arm-specs/README.md); long-running operations
    /// hold a slot while they poll.
    pub write_budget: usize,
    /// When set (e.g. on Ctrl-C), no further operation starts; running ones finish and
    /// the rest are reported as not started.
    pub stop: Option<Arc<AtomicBool>>,
    /// When notified (a second Ctrl-C), apply stops waiting for running operations too:
    /// each is reported as abandoned (ARM carries it on; the next plan shows where it got).
    pub abandon: Option<Arc<tokio::sync::Notify>>,
}

/// ARM's write burst per principal and subscription (throttling section of
/// arm-specs/README.md): the default cap of operations in flight.
pub const ARM_WRITE_BURST: usize = 200;

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            write_budget: ARM_WRITE_BURST,
            stop: None,
            abandon: None,
        }
    }
}

/// Operations with the same key must not run at the same time, because ARM refuses the
/// second one: every operation on a managed cluster or one of its agent pools (AKS runs
/// one operation per cluster), and writes of the federated identity credentials of one
/// user-assigned identity (MSI refuses concurrent credential writes on one identity), and
/// writes of the subnets of one virtual network (Microsoft.Network answers 429
/// RetryableErrorDueToAnotherOperation to a second subnet write while one is in progress).
/// `None` for everything else. Keys are lower-case ARM ID prefixes.
pub fn lock_key(id: &str) -> Option<String> {
    let lower = id.to_ascii_lowercase();
    const AKS: &str = "/providers/microsoft.containerservice/managedclusters/";
    const MSI: &str = "/providers/microsoft.managedidentity/userassignedidentities/";
    const VNET: &str = "/providers/microsoft.network/virtualnetworks/";
    if let Some(at) = lower.find(VNET) {
        let rest = &lower[at + VNET.len()..];
        let mut parts = rest.split('/');
        let name = parts.next().unwrap_or_default();
        if parts.next().is_some_and(|s| s == "subnets") {
            return Some(format!("{}{name}/subnets", &lower[..at + VNET.len()]));
        }
    }
    if let Some(at) = lower.find(AKS) {
        let rest = &lower[at + AKS.len()..];
        let name = rest.split('/').next().unwrap_or_default();
        return Some(format!("{}{name}", &lower[..at + AKS.len()]));
    }
    if let Some(at) = lower.find(MSI) {
        let rest = &lower[at + MSI.len()..];
        let mut parts = rest.split('/');
        let name = parts.next().unwrap_or_default();
        if parts
            .next()
            .is_some_and(|s| s == "federatedidentitycredentials")
        {
            return Some(format!(
                "{}{name}/federatedidentitycredentials",
                &lower[..at + MSI.len()]
            ));
        }
    }
    None
}

/// What apply did.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Operations that succeeded.
    pub succeeded: usize,
    /// Operations that failed.
    pub failed: usize,
    /// Operations not run because a dependency failed or apply was stopped.
    pub skipped: usize,
    /// Whether apply was stopped before every operation ran.
    pub interrupted: bool,
    /// Operations still running when apply stopped waiting for them (second Ctrl-C).
    pub abandoned: usize,
    /// Resources changed, by action (inline creates counted with their carrier's result).
    pub done: Counts,
    /// One diagnostic per failed operation (or a cycle).
    pub diagnostics: Vec<Diagnostic>,
    /// Outputs, read from live state after apply.
    pub outputs: Vec<PlannedOutput>,
}

impl Outcome {
    /// True when nothing failed and nothing was left undone.
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.diagnostics.is_empty() && !self.interrupted
    }

    /// `Apply complete! Resources: 2 added, 1 changed, 0 replaced, 1 destroyed.` or
    /// `Apply failed: 3 succeeded, 1 failed, 2 skipped.` (no durations: stable for goldens).
    pub fn summary_line(&self) -> String {
        if self.ok() {
            format!(
                "Apply complete! Resources: {} added, {} changed, {} replaced, {} destroyed.",
                self.done.add, self.done.change, self.done.replace, self.done.destroy
            )
        } else if self.interrupted && self.abandoned > 0 {
            format!(
                "Apply interrupted: {} succeeded, {} failed, {} abandoned while running, {} not started.",
                self.succeeded, self.failed, self.abandoned, self.skipped
            )
        } else if self.interrupted {
            format!(
                "Apply interrupted: {} succeeded, {} failed, {} not started.",
                self.succeeded, self.failed, self.skipped
            )
        } else {
            format!(
                "Apply failed: {} succeeded, {} failed, {} skipped.",
                self.succeeded, self.failed, self.skipped
            )
        }
    }
}

/// What one operation sends. `Option<String>`s are the `If-Match` ETags.
enum Exec {
    Put(Json, Option<String>),
    Delete(Option<String>),
    Replace(Json, Option<String>),
    /// Poll until the running operation ends.
    Wait,
    /// Replace through a temporary sibling: PUT `temp_id` with the new body, DELETE the
    /// resource, PUT it with the new body, DELETE `temp_id`.
    Rotate {
        body: Json,
        temp_id: String,
    },
}

async fn execute(
    client: ArmClient,
    id: String,
    api: String,
    exec: Exec,
) -> Result<Option<Json>, ArmError> {
    match exec {
        Exec::Put(body, tag) => client
            .put_if_match(&id, &api, &body, tag.as_deref())
            .await
            .map(Some),
        Exec::Delete(tag) => client
            .delete_if_match(&id, &api, tag.as_deref())
            .await
            .map(|()| None),
        Exec::Replace(body, tag) => {
            client.delete_if_match(&id, &api, tag.as_deref()).await?;
            client.put(&id, &api, &body).await.map(Some)
        }
        Exec::Wait => client.wait_until_settled(&id, &api).await,
        Exec::Rotate { body, temp_id } => {
            client.put(&temp_id, &api, &body).await?;
            client.delete(&id, &api).await?;
            let live = client.put(&id, &api, &body).await?;
            client.delete(&temp_id, &api).await?;
            Ok(Some(live))
        }
    }
}

/// The ETag of a live body: `etag` (Network, private DNS), `eTag` (AKS clusters) or
/// `properties.eTag` (AKS agent pools), as ARM returns it.
pub fn etag_of(live: &Json) -> Option<String> {
    live.get("etag")
        .or_else(|| live.get("eTag"))
        .or_else(|| live.pointer("/properties/eTag"))
        .and_then(Json::as_str)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
}

/// The diagnostic of a failed operation: `capz::apply::changed-since-plan` for ARM's 412
/// PreconditionFailed to an `If-Match` write, the ARM error's own otherwise.
fn failure(e: &ArmError, c: &Change) -> Diagnostic {
    if e.status == Some(412) {
        let mut d = Diagnostic::error(
            codes::APPLY_CHANGED_SINCE_PLAN,
            format!(
                "{} changed since the plan was made: ARM refused the {} (HTTP 412 {})",
                c.subject(),
                e.method,
                e.arm_code.as_deref().unwrap_or("PreconditionFailed")
            ),
        );
        if let Some(span) = c.span {
            d = d.with_primary(span, "declared here");
        }
        return d.with_help(
            "nothing was overwritten; run `capz plan` to see the other change, then apply again",
        );
    }
    e.to_diagnostic(&c.subject(), c.span)
}

/// Run `plan` (made from `program`) against `client`, reporting progress to `report`.
pub async fn apply(
    catalog: &Catalog,
    program: &Program,
    plan: &Plan,
    client: &ArmClient,
    opts: &ApplyOptions,
    report: &mut dyn FnMut(&Event),
) -> Outcome {
    let mut outcome = Outcome::default();
    // What running requests wait for, as progress events.
    let (notice_tx, mut notices) = tokio::sync::mpsc::unbounded_channel();
    let client = &client.clone().with_notices(move |n| {
        let _ = notice_tx.send(n);
    });
    // Lower-case IDs of resources written (or deleted) by operations of this run so far.
    let mut written: BTreeSet<String> = BTreeSet::new();
    // Lower-case ID of each running operation's resource -> its subject and action.
    let mut running_ids: BTreeMap<String, (String, Action)> = BTreeMap::new();
    let ids: IdMap = plan
        .changes
        .iter()
        .filter_map(|c| Some((c.address.clone()?, c.id.clone())))
        .collect();
    let g = graph::build(catalog, plan);
    if petgraph::algo::toposort(&g.graph, None).is_err() {
        outcome.diagnostics.push(
            Diagnostic::error(
                codes::PLAN_CYCLE,
                "the plan's operations depend on each other in a cycle",
            )
            .with_help("remove one of the references that close the loop"),
        );
        outcome.failed = g.node.len();
        return outcome;
    }
    // Live bodies known so far: plan-time GETs, replaced by results as operations finish.
    let mut known: BTreeMap<Address, Json> = plan
        .changes
        .iter()
        .filter(|c| !matches!(c.action, Action::Create | Action::Replace))
        .filter_map(|c| Some((c.address.clone()?, c.live.clone()?)))
        .collect();
    let mut remaining: BTreeMap<usize, usize> = g
        .node
        .iter()
        .map(|(&i, &n)| {
            (
                i,
                g.graph.neighbors_directed(n, Direction::Incoming).count(),
            )
        })
        .collect();
    let mut ready: BTreeSet<usize> = remaining
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(i, _)| *i)
        .collect();
    let mut skipped: BTreeSet<usize> = BTreeSet::new();
    let mut set = tokio::task::JoinSet::new();
    let mut started: BTreeMap<usize, Instant> = BTreeMap::new();
    let mut task_op: std::collections::HashMap<tokio::task::Id, usize> =
        std::collections::HashMap::new();
    let budget = opts.write_budget.max(1);
    let stopped = || opts.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst));
    // Lock keys held by running operations (see [`lock_key`]).
    let mut held: BTreeMap<usize, String> = BTreeMap::new();
    // Operations started and not yet finished.
    let mut running: BTreeSet<usize> = BTreeSet::new();
    loop {
        while set.len() < budget && !stopped() {
            let busy: BTreeSet<&String> = held.values().collect();
            let Some(i) = ready.iter().copied().find(|&i| {
                plan.changes
                    .get(g.change_of(i).0)
                    .and_then(|c| lock_key(&c.id))
                    .is_none_or(|k| !busy.contains(&k))
            }) else {
                break;
            };
            ready.remove(&i);
            let (ci, half) = g.change_of(i);
            let Some(c) = plan.changes.get(ci) else {
                continue;
            };
            let exec = match half {
                graph::Half::Delete => Exec::Delete(live_etag(c, &known, &written)),
                graph::Half::Put | graph::Half::Whole => {
                    match exec_for(catalog, program, plan, ci, &ids, &known, &written, half) {
                        Some(e) => e,
                        None => continue,
                    }
                }
            };
            if let Some(k) = lock_key(&c.id) {
                held.insert(i, k);
            }
            report(&Event::Started {
                subject: c.subject(),
                action: half_action(c.action, half),
            });
            started.insert(i, Instant::now());
            running.insert(i);
            running_ids.insert(
                c.id.to_ascii_lowercase(),
                (c.subject(), half_action(c.action, half)),
            );
            let fut = execute(client.clone(), c.id.clone(), c.api_version.clone(), exec);
            let handle = set.spawn(async move { (i, fut.await) });
            task_op.insert(handle.id(), i);
        }
        let joined = loop {
            let abandoned = async {
                match &opts.abandon {
                    Some(a) => a.notified().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                Some(n) = notices.recv() => {
                    if let Some((subject, action)) =
                        running_ids.get(&n.resource.to_ascii_lowercase())
                    {
                        report(&Event::Waiting {
                            subject: subject.clone(),
                            action: *action,
                            what: n.what,
                        });
                    }
                }
                j = set.join_next_with_id() => break Some(j),
                () = abandoned, if !set.is_empty() => break None,
            }
        };
        let Some(joined) = joined else {
            // Stop waiting: report every running operation as abandoned.
            for &i in &running {
                let (ci, half) = g.change_of(i);
                if let Some(c) = plan.changes.get(ci) {
                    report(&Event::Abandoned {
                        subject: c.subject(),
                        action: half_action(c.action, half),
                    });
                }
                outcome.abandoned += 1;
            }
            outcome.interrupted = true;
            set.abort_all();
            break;
        };
        let Some(joined) = joined else {
            break;
        };
        let (i, result) = match joined {
            Ok((_, (i, r))) => (i, r.map_err(|e| (e, None))),
            Err(e) => {
                let Some(&i) = task_op.get(&e.id()) else {
                    continue;
                };
                let d = Diagnostic::error(
                    codes::ARM_UNREACHABLE,
                    format!("the operation's task stopped unexpectedly: {e}"),
                )
                .with_help("run apply again; the plan will show what is left to do");
                (i, Err((ArmError::internal(), Some(d))))
            }
        };
        held.remove(&i);
        running.remove(&i);
        let (ci, half) = g.change_of(i);
        let Some(c) = plan.changes.get(ci) else {
            continue;
        };
        running_ids.remove(&c.id.to_ascii_lowercase());
        let duration = started.get(&i).map_or(Duration::ZERO, Instant::elapsed);
        let ok = result.is_ok();
        report(&Event::Finished {
            subject: c.subject(),
            action: half_action(c.action, half),
            duration,
            ok,
        });
        match result {
            Ok(body) => {
                outcome.succeeded += 1;
                if c.action != Action::Wait {
                    written.insert(c.id.to_ascii_lowercase());
                }
                if half == graph::Half::Delete {
                    // The PUT half records the replacement; until then it is gone.
                    if let Some(a) = &c.address {
                        known.remove(a);
                    }
                } else {
                    record(
                        catalog,
                        plan,
                        &g,
                        ci,
                        body.as_ref(),
                        &mut known,
                        &mut outcome.done,
                    );
                }
                if let Some(&n) = g.node.get(&i) {
                    for next in g.graph.neighbors_directed(n, Direction::Outgoing) {
                        let j = g.graph[next];
                        if let Some(r) = remaining.get_mut(&j) {
                            *r = r.saturating_sub(1);
                            if *r == 0 && !skipped.contains(&j) {
                                ready.insert(j);
                            }
                        }
                    }
                }
            }
            Err((e, diag)) => {
                outcome.failed += 1;
                outcome
                    .diagnostics
                    .push(diag.unwrap_or_else(|| failure(&e, c)));
                // Skip everything downstream, in plan order.
                let mut stack: Vec<usize> = vec![i];
                let mut down = BTreeSet::new();
                while let Some(k) = stack.pop() {
                    let Some(&n) = g.node.get(&k) else { continue };
                    for next in g.graph.neighbors_directed(n, Direction::Outgoing) {
                        let j = g.graph[next];
                        if !skipped.contains(&j) && down.insert(j) {
                            stack.push(j);
                        }
                    }
                }
                for j in down {
                    skipped.insert(j);
                    ready.remove(&j);
                    outcome.skipped += 1;
                    let (sj, shalf) = g.change_of(j);
                    if let Some(s) = plan.changes.get(sj) {
                        report(&Event::Skipped {
                            subject: s.subject(),
                            action: half_action(s.action, shalf),
                            because: c.subject(),
                        });
                    }
                }
            }
        }
    }
    // Stopped: everything not started, not skipped, and not done is reported once.
    let done: BTreeSet<usize> = started.keys().copied().collect();
    for &i in g.node.keys() {
        if !done.contains(&i) && !skipped.contains(&i) {
            outcome.interrupted = true;
            outcome.skipped += 1;
            let (ci, half) = g.change_of(i);
            if let Some(c) = plan.changes.get(ci) {
                report(&Event::NotStarted {
                    subject: c.subject(),
                    action: half_action(c.action, half),
                });
            }
        }
    }
    outcome.outputs = outputs(catalog, program, &ids, &known);
    outcome
}

/// Book-keeping after operation `i` succeeded: its live body (and its inline children's,
/// read from the carrier's array), and the done counts.
fn record(
    catalog: &Catalog,
    plan: &Plan,
    g: &graph::OpGraph,
    i: usize,
    body: Option<&Json>,
    known: &mut BTreeMap<Address, Json>,
    done: &mut Counts,
) {
    for (&ci, &op) in &g.op_of {
        if op != i {
            continue;
        }
        let Some(c) = plan.changes.get(ci) else {
            continue;
        };
        match c.action {
            Action::Create => done.add += 1,
            Action::Update => done.change += 1,
            Action::Replace => done.replace += 1,
            Action::Delete => done.destroy += 1,
            Action::Wait | Action::NoOp => {}
        }
        let Some(addr) = &c.address else { continue };
        if ci == i {
            match body {
                Some(b) => {
                    known.insert(addr.clone(), b.clone());
                }
                None => {
                    known.remove(addr);
                }
            }
        } else if let (Some(b), Some(res)) = (body, &c.desired) {
            // An inline child: its element of the carrier's array, agentPools-shaped.
            let spec = plan
                .changes
                .get(i)
                .and_then(|p| catalog.kind(&p.kind))
                .and_then(|k| k.inline_children);
            if let Some(elem) = spec.and_then(|s| inline_elem(b, res, s)) {
                known.insert(addr.clone(), elem);
            }
        }
    }
}

fn inline_elem(
    parent_body: &Json,
    child: &Resource,
    spec: lang::schema::InlineChildren,
) -> Option<Json> {
    let arr = stdlib::arm::get_path(parent_body, spec.array_path).and_then(Json::as_array)?;
    let elem = arr.iter().find(|e| {
        e.get(spec.name_key)
            .and_then(Json::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(&child.name))
    })?;
    Some(stdlib::arm::inline_live(elem, spec.name_key))
}

/// What an operation does, for progress lines: the two halves of a split replacement
/// read as a delete and a create.
fn half_action(action: Action, half: graph::Half) -> Action {
    match half {
        graph::Half::Whole => action,
        graph::Half::Delete => Action::Delete,
        graph::Half::Put => Action::Create,
    }
}

/// The request of change `i` (the PUT half only, for a split replacement), with unknown
/// values resolved from what is known now.
#[allow(clippy::too_many_arguments)]
fn exec_for(
    catalog: &Catalog,
    program: &Program,
    plan: &Plan,
    i: usize,
    ids: &IdMap,
    known: &BTreeMap<Address, Json>,
    written: &BTreeSet<String>,
    half: graph::Half,
) -> Option<Exec> {
    let c = plan.changes.get(i)?;
    match c.action {
        Action::Delete => return Some(Exec::Delete(live_etag(c, known, written))),
        Action::Wait => return Some(Exec::Wait),
        _ => {}
    }
    let res = resolved(catalog, program, c, ids, known)?;
    let kind = catalog.kind(&c.kind)?;
    let inline: Vec<Resource> = plan
        .changes
        .iter()
        .filter(|x| x.carried_by == Some(i))
        .filter_map(|x| resolved(catalog, program, x, ids, known))
        .collect();
    let inline_refs: Vec<&Resource> = inline.iter().collect();
    let live = match c.action {
        Action::Update => c.live.as_ref(),
        _ => None,
    };
    let body = diff::put_body(catalog, kind, &res, &inline_refs, live, &plan.stack, ids);
    let tag = match c.action {
        Action::Update | Action::Replace => live_etag(c, known, written),
        _ => None,
    };
    Some(match (c.action, &c.rotate_via) {
        (Action::Replace, _) if half == graph::Half::Put => Exec::Put(body, None),
        (Action::Replace, Some(temp)) => {
            let temp_id = match c.id.rsplit_once('/') {
                Some((parent, _)) => format!("{parent}/{temp}"),
                None => return Some(Exec::Replace(body, tag)),
            };
            Exec::Rotate { body, temp_id }
        }
        (Action::Replace, None) => Exec::Replace(body, tag),
        (Action::Update, _) => Exec::Put(body, tag),
        _ => Exec::Put(body, None),
    })
}

/// The ETag capz last read for change `c`: the body an earlier operation of this run
/// returned, else the plan-time GET. `None` when ARM returned none (resource groups,
/// identities) or the resource did not exist, and when an ancestor of it was written
/// earlier in this run (`written`: lower-case IDs): a parent's PUT can give its children
/// new ETags (an AKS cluster PUT updates its agent pools), so capz's own write would read
/// as someone else's change.
fn live_etag(
    c: &Change,
    known: &BTreeMap<Address, Json>,
    written: &BTreeSet<String>,
) -> Option<String> {
    let id = c.id.to_ascii_lowercase();
    if written
        .iter()
        .any(|w| id.len() > w.len() && id.starts_with(w.as_str()) && id[w.len()..].starts_with('/'))
    {
        return None;
    }
    c.address
        .as_ref()
        .and_then(|a| known.get(a))
        .or(c.live.as_ref())
        .and_then(etag_of)
}

fn resolved(
    catalog: &Catalog,
    program: &Program,
    c: &Change,
    ids: &IdMap,
    known: &BTreeMap<Address, Json>,
) -> Option<Resource> {
    let res = c.desired.as_ref()?;
    let lookup = |of: &Address, attr: &str| attr_now(catalog, program, ids, known, of, attr);
    Some(diff::resolve_resource(res, &lookup))
}

fn attr_now(
    catalog: &Catalog,
    program: &Program,
    ids: &IdMap,
    known: &BTreeMap<Address, Json>,
    of: &Address,
    attr: &str,
) -> Option<Value> {
    if attr == "id" {
        return ids.get(of).map(|s| Value::Str(s.clone()));
    }
    let r = program.resource(of)?;
    let kind = catalog.kind(r.kind)?;
    if matches!(kind.placement, lang::schema::Placement::Inline { .. }) {
        // A load balancer part: its element of the parent's latest body.
        let parent = known.get(r.parent.as_ref()?)?;
        let elem = stdlib::arm::inline_part_live(kind, parent, &r.name)?;
        return diff::read_attribute(kind, attr, &elem);
    }
    diff::read_attribute(kind, attr, known.get(of)?)
}

fn outputs(
    catalog: &Catalog,
    program: &Program,
    ids: &IdMap,
    known: &BTreeMap<Address, Json>,
) -> Vec<PlannedOutput> {
    program
        .outputs
        .iter()
        .map(|o| {
            let v = diff::resolve(&o.value, &|of: &Address, attr: &str| {
                attr_now(catalog, program, ids, known, of, attr)
            });
            PlannedOutput {
                name: o.name.clone(),
                value: if v.is_unknown() {
                    Shown::Unknown
                } else {
                    Shown::Value(v)
                },
            }
        })
        .collect()
}
