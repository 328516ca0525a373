//! The planner: desired program + live ARM state → [`Plan`].
//!
//! 1. Every declared resource gets its ARM ID (`stdlib::arm::resource_id`).
//! 2. Live state is read with GETs, parents before children (a child of a missing parent is
//!    missing without asking), each level concurrently within a read budget.
//! 3. Values only ARM knows (`Value::Unknown`, e.g. `aks.fqdn`) are read from the live
//!    state of resources that exist and are not recreated; the rest stay unknown.
//! 4. Each declared resource is compared on its declared fields only ([`diff`]): Create,
//!    Update, Replace (a changed field forces it) or NoOp. Children of a created or replaced
//!    parent are created; a new cluster's pools ride inline in its PUT (`carried_by`).
//!    Replacement spreads to what sits inside a replaced resource: a field that cannot
//!    change while the resource is in use (a subnet's range with pools in it) forces
//!    replacement then; a resource whose field that forces replacement references a
//!    replaced one (a pool in that subnet) is replaced too; and a cluster whose every System
//!    pool is so replaced is replaced with its pools (AKS keeps one System pool).
//! 5. Deletes: children of declared parents that exist live but are not declared (subnets
//!    of a vnet, agentPools of a cluster), and resources carrying tag `capz-stack=<stack>`
//!    that the program no longer declares: whole resource groups (one DELETE removes their
//!    contents, listed under it) and, inside declared groups, resources of the kinds capz
//!    knows. A group holding anything the stack does not own is kept and only the stack's
//!    own resources in it are deleted; a group another resource manages (`managedBy`, AKS's
//!    `MC_` group) is never deleted; a declared resource carrying another stack's tag fails
//!    the plan ([`owner`]).

pub mod diff;
pub mod json;
pub mod model;
pub mod owner;
pub mod preflight;
pub mod read;
pub mod render;

pub use model::{
    Action, Change, Contained, Counts, FieldChange, Kept, Plan, PlannedOutput, Reason, Shown,
};

use crate::arm::{ArmClient, ArmError};
use crate::codes;
use diff::IdMap;
use lang::schema::{Catalog, KindDef, Placement};
use lang::{Address, Diagnostic, Program, Resource, Value};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use stdlib::arm::STACK_TAG;

/// Planner settings.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    /// Concurrent GET/list requests at most (ARM allows 250 reads in a burst per
    /// principal; see the throttling section of arm-specs/README.md).
    pub read_budget: usize,
    /// Delete a resource group even when it holds resources the stack does not own (ARM's
    /// cascade deletes them; the plan lists them). Off: such a group is kept
    /// ([`owner::guard_group_deletes`]).
    pub delete_foreign: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            read_budget: read::READ_CONCURRENCY,
            delete_foreign: false,
        }
    }
}

/// Plan `program` against the live state `client` sees.
///
/// Errors: ARM failures while reading (one diagnostic each), resources without an ID.
pub async fn plan(
    catalog: &Catalog,
    program: &Program,
    client: &ArmClient,
    opts: &PlanOptions,
) -> Result<Plan, Vec<Diagnostic>> {
    let ids = resource_ids(catalog, program, client.subscription())?;
    let lister = read::Lister::new(client.clone());
    let live = read_live(catalog, program, &lister, &ids, opts).await?;
    let mut refused = owner::existing_missing(program, &ids, &live);
    refused.extend(owner::owned_by_other(catalog, program, &ids, &live));
    if refused.is_empty() {
        let none = BTreeSet::new();
        let resolve = |r: &Resource| {
            diff::resolve_resource(r, &|of: &Address, attr: &str| {
                lookup_attr(catalog, program, &ids, &live, &none, of, attr)
            })
        };
        refused.extend(owner::live_rules(catalog, program, &live, &resolve));
    }
    if !refused.is_empty() {
        return Err(refused);
    }
    let mut changes = decide(catalog, program, &ids, &live);
    let recreated: BTreeSet<Address> = changes
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Replace))
        .filter_map(|c| c.address.clone())
        .collect();
    let mut deletes =
        undeclared_children(catalog, program, &lister, &ids, &live, &recreated, opts).await?;
    let declared: BTreeSet<String> = ids.values().map(|id| id.to_ascii_lowercase()).collect();
    let search: Vec<String> = program
        .resources
        .iter()
        .filter(|r| is_group(catalog, r.kind) && !recreated.contains(&r.address))
        .filter(|r| live.get(&r.address).is_some_and(Option::is_some))
        .filter_map(|r| ids.get(&r.address).cloned())
        .collect();
    let reason = Reason::NoLongerDeclared {
        stack: program.stack.clone(),
    };
    let (more, kept) = undeclared_tagged(
        catalog,
        &program.stack,
        &lister,
        &declared,
        &search,
        opts,
        &reason,
    )
    .await?;
    deletes.extend(more);
    deletes.sort_by_key(|c| c.id.to_ascii_lowercase());
    deletes.dedup_by(|a, b| a.id.eq_ignore_ascii_case(&b.id));
    changes.extend(deletes);
    let protected = owner::prevent_destroy(program, &changes);
    if !protected.is_empty() {
        return Err(protected);
    }
    plan_rotations(catalog, &mut changes);
    let outputs = plan_outputs(catalog, program, &ids, &live, &recreated);
    Ok(Plan {
        stack: program.stack.clone(),
        subscription: client.subscription().to_string(),
        changes,
        outputs,
        kept,
    })
}

/// The plan of `capz destroy`: delete every resource group tagged with the program's
/// stack, and tagged resources inside declared groups that are not tagged themselves.
pub async fn plan_destroy(
    catalog: &Catalog,
    program: &Program,
    client: &ArmClient,
    opts: &PlanOptions,
) -> Result<Plan, Vec<Diagnostic>> {
    let ids = resource_ids(catalog, program, client.subscription())?;
    // Only groups matter: read them.
    let mut live = BTreeMap::new();
    for r in program
        .resources
        .iter()
        .filter(|r| is_group(catalog, r.kind))
    {
        let (Some(kind), Some(id)) = (catalog.kind(r.kind), ids.get(&r.address)) else {
            continue;
        };
        let body = client.get(id, kind.api_version).await.map_err(|e| {
            vec![e.to_diagnostic(&format!("{} {}", r.kind, r.address), Some(r.span))]
        })?;
        live.insert(r.address.clone(), body);
    }
    // Tagged groups go whole; declared groups that are not tagged (adopted) are searched.
    let search: Vec<String> = live
        .iter()
        .filter_map(|(a, body)| {
            let body = body.as_ref()?;
            (!tagged(body, &program.stack)).then(|| ids.get(a).cloned())?
        })
        .collect();
    let reason = Reason::Destroy {
        stack: program.stack.clone(),
    };
    let lister = read::Lister::new(client.clone());
    let (mut changes, kept) = undeclared_tagged(
        catalog,
        &program.stack,
        &lister,
        &BTreeSet::new(),
        &search,
        opts,
        &reason,
    )
    .await?;
    changes.extend(own_children_of_existing(catalog, program, &lister, &ids, &reason).await?);
    changes.sort_by_key(|c| c.id.to_ascii_lowercase());
    changes.dedup_by(|a, b| a.id.eq_ignore_ascii_case(&b.id));
    let protected = owner::prevent_destroy(program, &changes);
    if !protected.is_empty() {
        return Err(protected);
    }
    Ok(Plan {
        stack: program.stack.clone(),
        subscription: client.subscription().to_string(),
        changes,
        outputs: Vec::new(),
        kept,
    })
}

/// Address → ARM ID for every declared resource.
pub fn resource_ids(
    catalog: &Catalog,
    program: &Program,
    subscription: &str,
) -> Result<IdMap, Vec<Diagnostic>> {
    let mut ids = IdMap::new();
    let mut diags = Vec::new();
    for r in &program.resources {
        match stdlib::arm::resource_id(catalog, program, subscription, &r.address) {
            Some(id) => {
                ids.insert(r.address.clone(), id);
            }
            None => diags.push(
                Diagnostic::error(
                    codes::PLAN_NO_RESOURCE_ID,
                    format!("cannot compute the ARM ID of {} {}", r.kind, r.address),
                )
                .with_primary(r.span, "this resource")
                .with_help("its kind or parent is unknown to the catalog; this is a bug in capz"),
            ),
        }
    }
    if diags.is_empty() {
        Ok(ids)
    } else {
        Err(diags)
    }
}

/// Run futures concurrently, at most `budget` at a time; results by input position
/// (`None` if a task died).
pub async fn run_bounded<T, F>(jobs: Vec<F>, budget: usize) -> Vec<Option<T>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let n = jobs.len();
    let sem = Arc::new(tokio::sync::Semaphore::new(budget.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, job) in jobs.into_iter().enumerate() {
        let sem = sem.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await.ok();
            (i, job.await)
        });
    }
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    while let Some(r) = set.join_next().await {
        match r {
            Ok((i, v)) => {
                if let Some(slot) = out.get_mut(i) {
                    *slot = Some(v);
                }
            }
            Err(e) => tracing::error!("planner task failed: {e}"),
        }
    }
    out
}

fn task_died(what: &str) -> Diagnostic {
    Diagnostic::error(
        codes::ARM_UNREACHABLE,
        format!("{what}: the request task stopped unexpectedly"),
    )
    .with_help("run the command again")
}

/// GET every declared resource, parents first. Value: `None` when it does not exist.
async fn read_live(
    catalog: &Catalog,
    program: &Program,
    lister: &Arc<read::Lister>,
    ids: &IdMap,
    opts: &PlanOptions,
) -> Result<BTreeMap<Address, Option<Json>>, Vec<Diagnostic>> {
    let sub = lister.client().subscription().to_string();
    let mut depth: BTreeMap<&Address, usize> = BTreeMap::new();
    for r in &program.resources {
        let d = r
            .parent
            .as_ref()
            .and_then(|p| depth.get(p))
            .map_or(0, |d| d + 1);
        depth.insert(&r.address, d);
    }
    let max = depth.values().copied().max().unwrap_or(0);
    let mut live: BTreeMap<Address, Option<Json>> = BTreeMap::new();
    for level in 0..=max {
        let mut jobs = Vec::new();
        let mut who = Vec::new();
        for r in program
            .resources
            .iter()
            .filter(|r| depth.get(&r.address) == Some(&level))
        {
            let parent_exists = r
                .parent
                .as_ref()
                .is_none_or(|p| live.get(p).is_some_and(Option::is_some));
            let (Some(kind), Some(id)) = (catalog.kind(r.kind), ids.get(&r.address)) else {
                continue;
            };
            if !parent_exists {
                live.insert(r.address.clone(), None);
                continue;
            }
            // A load balancer's frontend, pool, probe or rule: its element of the parent's
            // body (GET-only child types; the parent's GET has them all).
            if matches!(kind.placement, Placement::Inline { .. }) {
                let elem = r
                    .parent
                    .as_ref()
                    .and_then(|p| live.get(p).cloned().flatten())
                    .and_then(|pl| stdlib::arm::inline_part_live(kind, &pl, &r.name));
                live.insert(r.address.clone(), elem);
                continue;
            }
            let collection = read::collection_of(catalog, program, ids, &sub, &r.address);
            let (l, id, api) = (lister.clone(), id.clone(), kind.api_version);
            jobs.push(async move { l.read(&id, api, collection).await });
            who.push(r);
        }
        let results = run_bounded(jobs, opts.read_budget).await;
        let mut diags = Vec::new();
        for (r, res) in who.into_iter().zip(results) {
            let subject = format!("{} {}", r.kind, r.address);
            match res {
                Some(Ok(body)) => {
                    live.insert(r.address.clone(), body);
                }
                Some(Err(e)) => diags.push(e.to_diagnostic(&subject, Some(r.span))),
                None => diags.push(task_died(&subject)),
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
    }
    Ok(live)
}

/// Decide each declared resource's action (program order). Iterates until the set of
/// created/replaced resources is stable, since unknown values of forward references
/// depend on it.
fn decide(
    catalog: &Catalog,
    program: &Program,
    ids: &IdMap,
    live: &BTreeMap<Address, Option<Json>>,
) -> Vec<Change> {
    let uses = forcing_references(catalog, program);
    let mut prev: BTreeSet<Address> = BTreeSet::new();
    let mut gone: BTreeSet<Address> = BTreeSet::new();
    let mut changes = Vec::new();
    for _ in 0..8 {
        let ctx = Previous {
            recreated: &prev,
            gone: &gone,
            uses: &uses,
        };
        changes = decide_once(catalog, program, ids, live, &ctx);
        let now: BTreeSet<Address> = changes
            .iter()
            .filter(|c| matches!(c.action, Action::Create | Action::Replace))
            .filter_map(|c| c.address.clone())
            .collect();
        let now_gone: BTreeSet<Address> = changes
            .iter()
            .filter(|c| {
                c.action == Action::Replace
                    || (c.action == Action::Create
                        && matches!(c.reason, Reason::ParentRecreated(_)))
            })
            .filter_map(|c| c.address.clone())
            .collect();
        if now == prev && now_gone == gone {
            break;
        }
        prev = now;
        gone = now_gone;
    }
    changes
}

/// What the previous round of [`decide_once`] found, and the program's references.
struct Previous<'a> {
    /// Addresses created or replaced.
    recreated: &'a BTreeSet<Address>,
    /// Addresses that exist live and are deleted and created again (replaced, or
    /// recreated with a replaced parent).
    gone: &'a BTreeSet<Address>,
    /// [`forcing_references`].
    uses: &'a BTreeMap<Address, Vec<(Address, String)>>,
}

/// For each declared resource, the declared resources that reference it through a field
/// that forces replacement, with that field's key (`subnet` → `[(aks.system, "subnet")]`):
/// they sit inside it (a pool in a subnet) and cannot stay when it goes. A load balancer
/// part's references count for its load balancer (`[(api_lb, "api.subnet")]`).
fn forcing_references(
    catalog: &Catalog,
    program: &Program,
) -> BTreeMap<Address, Vec<(Address, String)>> {
    let mut out: BTreeMap<Address, Vec<(Address, String)>> = BTreeMap::new();
    for r in &program.resources {
        let Some(kind) = catalog.kind(r.kind) else {
            continue;
        };
        // A part written inside its parent's body (a load balancer frontend in a subnet)
        // cannot leave what it references on its own: its parent is the user, through any
        // reference (ARM refuses to delete a subnet or public IP a frontend uses).
        let inline = matches!(kind.placement, Placement::Inline { .. });
        let (user, prefix) = match (&r.parent, inline) {
            (Some(p), true) => (p.clone(), format!("{}.", r.address.leaf())),
            _ => (r.address.clone(), String::new()),
        };
        for (key, def) in kind.all_fields() {
            if !def.forces_replacement && !inline {
                continue;
            }
            let Some(v) = r.get(&key) else { continue };
            for t in v.resources(false) {
                let within = t.segments.starts_with(&user.segments);
                if *t != r.address && !within {
                    out.entry(t.clone())
                        .or_default()
                        .push((user.clone(), format!("{prefix}{key}")));
                }
            }
        }
    }
    out
}

/// The first field of `r` that forces replacement and references a resource in `gone`:
/// `(field, target address)`.
fn references_gone(
    r: &Resource,
    uses: &BTreeMap<Address, Vec<(Address, String)>>,
    gone: &BTreeSet<Address>,
) -> Option<(String, Address)> {
    gone.iter().find_map(|t| {
        uses.get(t)?
            .iter()
            .find(|(user, _)| *user == r.address)
            .map(|(_, key)| (key.clone(), t.clone()))
    })
}

fn decide_once(
    catalog: &Catalog,
    program: &Program,
    ids: &IdMap,
    live: &BTreeMap<Address, Option<Json>>,
    prev: &Previous<'_>,
) -> Vec<Change> {
    let mut recreated: BTreeSet<Address> = prev.recreated.clone();
    let mut index: BTreeMap<Address, usize> = BTreeMap::new();
    let mut changes: Vec<Change> = Vec::new();
    for r in &program.resources {
        let Some(kind) = catalog.kind(r.kind) else {
            continue;
        };
        let id = ids.get(&r.address).cloned().unwrap_or_default();
        let parent_recreated = r.parent.as_ref().filter(|p| recreated.contains(*p));
        let live_body = if parent_recreated.is_some() {
            None
        } else {
            live.get(&r.address).cloned().flatten()
        };
        let lookup = |of: &Address, attr: &str| -> Option<Value> {
            lookup_attr(catalog, program, ids, live, &recreated, of, attr)
        };
        let mut desired = diff::resolve_resource(r, &lookup);
        // Parts written inside this resource's body (a load balancer's frontends, ...):
        // their references are this resource's dependencies.
        let parts: Vec<Resource> = program
            .children(&r.address)
            .filter(|c| {
                catalog
                    .kind(c.kind)
                    .is_some_and(|k| matches!(k.placement, Placement::Inline { .. }))
            })
            .map(|c| diff::resolve_resource(c, &lookup))
            .collect();
        for p in &parts {
            desired.depends_on.extend(
                p.depends_on
                    .iter()
                    .filter(|a| !a.segments.starts_with(&r.address.segments))
                    .cloned(),
            );
        }
        if matches!(kind.placement, Placement::Inline { .. }) || r.existing {
            // Created, changed and removed by its parent's PUT, or someone else's
            // (`existing`, only read): never an operation itself.
            let carried_by = r
                .parent
                .as_ref()
                .filter(|_| !r.existing)
                .and_then(|p| index.get(p))
                .copied();
            index.insert(r.address.clone(), changes.len());
            changes.push(Change {
                address: Some(r.address.clone()),
                label: r.address.to_string(),
                kind: r.kind.to_string(),
                id,
                api_version: kind.api_version.to_string(),
                action: Action::NoOp,
                reason: Reason::InSync,
                fields: Vec::new(),
                carried_by,
                desired: Some(desired),
                live: live_body,
                span: Some(r.span),
                rotate_via: None,
                cascade: Vec::new(),
            });
            continue;
        }
        let (action, reason, fields, carried_by) = match &live_body {
            None => {
                // Only a parent that exists and is replaced takes its children with it; a
                // parent that is new simply has no children yet.
                let parent_replaced = parent_recreated.filter(|p| {
                    index
                        .get(*p)
                        .and_then(|&i| changes.get(i))
                        .is_none_or(|c: &Change| {
                            c.action == Action::Replace || c.reason != Reason::Absent
                        })
                });
                let reason = match parent_replaced {
                    Some(p) => Reason::ParentRecreated(label_of(program, p)),
                    None => Reason::Absent,
                };
                let carried_by = r.parent.as_ref().and_then(|p| {
                    let pr = program.resource(p)?;
                    let pk = catalog.kind(pr.kind)?;
                    let spec = pk.inline_children?;
                    let pi = *index.get(p)?;
                    let parent_new =
                        matches!(changes.get(pi)?.action, Action::Create | Action::Replace);
                    (spec.child == r.kind && parent_new).then_some(pi)
                });
                (Action::Create, reason, Vec::new(), carried_by)
            }
            Some(l) => {
                let mut fields = diff::diff_fields(kind, &desired, l, &program.stack, ids);
                fields.extend(diff::diff_inline_parts(
                    catalog,
                    kind,
                    &parts,
                    l,
                    &program.stack,
                    ids,
                ));
                // Fields that cannot change while declared resources that exist are inside.
                let users = in_use_by(program, live, prev.uses, &r.address);
                let mut in_use = Vec::new();
                if !users.is_empty() {
                    let when_in_use: BTreeSet<String> = kind
                        .all_fields()
                        .into_iter()
                        .filter(|(_, d)| d.forces_replacement_when_in_use)
                        .map(|(k, _)| k)
                        .collect();
                    for f in fields.iter_mut() {
                        if when_in_use.contains(&f.key) && !f.forces_replacement {
                            f.forces_replacement = true;
                            in_use.push(f.key.clone());
                        }
                    }
                }
                let forcing: Vec<String> = fields
                    .iter()
                    .filter(|f| f.forces_replacement)
                    .map(|f| f.key.clone())
                    .collect();
                if let Some(state) = in_progress(l) {
                    // Whatever differs, writing now would meet the running operation:
                    // wait for it, then plan again from where it got.
                    let since = l
                        .pointer("/systemData/lastModifiedAt")
                        .and_then(Json::as_str)
                        .map(str::to_string);
                    (
                        Action::Wait,
                        Reason::InProgress {
                            state: state.to_string(),
                            since,
                        },
                        fields,
                        None,
                    )
                } else if !forcing.is_empty() && forcing == in_use {
                    (
                        Action::Replace,
                        Reason::InUse {
                            fields: forcing,
                            users,
                        },
                        fields,
                        None,
                    )
                } else if !forcing.is_empty() {
                    (
                        Action::Replace,
                        Reason::ForcesReplacement(forcing),
                        fields,
                        None,
                    )
                } else if let Some((field, target)) = references_gone(r, prev.uses, prev.gone) {
                    (
                        Action::Replace,
                        Reason::DependencyReplaced {
                            field,
                            target: label_of(program, &target),
                        },
                        fields,
                        None,
                    )
                } else if let Some((pool, target)) =
                    last_system_pool(catalog, program, live, prev, kind, &r.address)
                {
                    (
                        Action::Replace,
                        Reason::LastSystemPool {
                            pool: pool.to_string(),
                            target: label_of(program, &target),
                        },
                        fields,
                        None,
                    )
                } else if !fields.is_empty() && kind.taggable && owner::stack_of(l).is_none() {
                    let reason = Reason::Adopt {
                        stack: program.stack.clone(),
                    };
                    (Action::Update, reason, fields, None)
                } else if !fields.is_empty() {
                    (Action::Update, Reason::Changed, fields, None)
                } else if crate::arm::client::provisioning_state(l)
                    .is_some_and(|s| s.eq_ignore_ascii_case("failed"))
                {
                    // A failed operation left it Failed: PUT it again (ARM retries the
                    // provisioning), as Terraform re-creates a tainted resource.
                    (Action::Update, Reason::ProvisioningFailed, fields, None)
                } else {
                    (Action::NoOp, Reason::InSync, fields, None)
                }
            }
        };
        if matches!(action, Action::Create | Action::Replace) {
            recreated.insert(r.address.clone());
        }
        index.insert(r.address.clone(), changes.len());
        changes.push(Change {
            address: Some(r.address.clone()),
            label: r.address.to_string(),
            kind: r.kind.to_string(),
            id,
            api_version: kind.api_version.to_string(),
            action,
            reason,
            fields,
            carried_by,
            desired: Some(desired),
            live: live_body,
            span: Some(r.span),
            rotate_via: None,
            cascade: Vec::new(),
        });
    }
    changes
}

/// The live `provisioningState` when it is not terminal (an operation is running: Creating,
/// Updating, Deleting, Upgrading, Scaling, Migrating, Accepted, ...). ARM: "the terminal
/// status [is] one of Succeeded/ Failed/ Canceled. All other values imply that the
/// operation is still running"
/// (<https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations>).
pub fn in_progress(live: &Json) -> Option<&str> {
    crate::arm::client::provisioning_state(live).filter(|s| crate::arm::lro::terminal(s).is_none())
}

/// ARM type of AKS agent pools, whose last System pool cannot be deleted.
const AGENT_POOLS: &str = "Microsoft.ContainerService/managedClusters/agentPools";

/// Whether a live agent pool body is a System pool.
fn is_system_pool(live: Option<&Json>) -> bool {
    live.and_then(|l| l.pointer("/properties/mode"))
        .and_then(Json::as_str)
        .is_some_and(|m| m.eq_ignore_ascii_case("system"))
}

/// Give each replaced agent pool that is its cluster's only live System pool a temporary
/// pool to rotate through (AKS answers 400 OperationNotAllowed to deleting the last System
/// pool; Terraform's azurerm provider solves it the same way, `temporary_name_for_rotation`).
/// Siblings deleted by this plan still count: undeclared deletes run after the group's
/// declared operations.
fn plan_rotations(catalog: &Catalog, changes: &mut [Change]) {
    let pools: Vec<(usize, String, String, bool, Action)> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            catalog
                .kind(&c.kind)
                .is_some_and(|k| k.arm_type == AGENT_POOLS)
        })
        .filter_map(|(i, c)| {
            let (parent, name) = c.id.rsplit_once('/')?;
            let parent = parent.rsplit_once('/')?.0.to_ascii_lowercase();
            let sys = is_system_pool(c.live.as_ref());
            Some((i, parent, name.to_ascii_lowercase(), sys, c.action))
        })
        .collect();
    for (i, parent, name, system, action) in &pools {
        if *action != Action::Replace || !system {
            continue;
        }
        let others = pools.iter().any(|(j, p, _, sys, a)| {
            j != i && p == parent && *sys && !matches!(a, Action::Replace | Action::Create)
        });
        if others {
            continue;
        }
        let taken: BTreeSet<&str> = pools
            .iter()
            .filter(|(_, p, ..)| p == parent)
            .map(|(_, _, n, ..)| n.as_str())
            .collect();
        let stem: String = name.chars().take(9).collect();
        let temp = std::iter::once(format!("{stem}tmp"))
            .chain((1..100).map(|n| format!("capztmp{n}")))
            .find(|t| !taken.contains(t.as_str()));
        if let Some(c) = changes.get_mut(*i) {
            c.rotate_via = temp;
        }
    }
}

/// Declared resources that exist live and reference `target` through a field that forces
/// replacement (`pool aks.system`), in program order.
fn in_use_by(
    program: &Program,
    live: &BTreeMap<Address, Option<Json>>,
    uses: &BTreeMap<Address, Vec<(Address, String)>>,
    target: &Address,
) -> Vec<String> {
    let mut users: Vec<&Address> = uses
        .get(target)
        .into_iter()
        .flatten()
        .map(|(u, _)| u)
        .filter(|u| live.get(*u).is_some_and(Option::is_some))
        .collect();
    users.dedup();
    users.into_iter().map(|u| label_of(program, u)).collect()
}

/// For a cluster (`kind` has agent pools as children; `None` for other kinds): `(pool,
/// target)` when every declared agent pool of it that is a live
/// System pool references, through a field that forces replacement, a resource that is
/// deleted and created again (`target`). AKS answers OperationNotAllowed to deleting a
/// cluster's last System pool, so such a cluster is replaced with its pools (source:
/// learn.microsoft.com/azure/aks/use-system-pools, "Remove a system node pool": a cluster
/// must have at least one system node pool).
fn last_system_pool(
    catalog: &Catalog,
    program: &Program,
    live: &BTreeMap<Address, Option<Json>>,
    prev: &Previous<'_>,
    kind: &KindDef,
    cluster: &Address,
) -> Option<(Address, Address)> {
    let has_pools = kind
        .children
        .iter()
        .any(|c| catalog.kind(c).is_some_and(|k| k.arm_type == AGENT_POOLS));
    if !has_pools {
        return None;
    }
    let mut first = None;
    let mut any = false;
    for p in program.children(cluster) {
        let is_pool = catalog
            .kind(p.kind)
            .is_some_and(|k| k.arm_type == AGENT_POOLS);
        let body = live.get(&p.address).and_then(Option::as_ref);
        if !is_pool || !is_system_pool(body) {
            continue;
        }
        any = true;
        match references_gone(p, prev.uses, prev.gone) {
            Some((_, target)) => {
                first.get_or_insert((p.address.clone(), target));
            }
            None => return None,
        }
    }
    if any { first } else { None }
}

/// `kind address` of a declared resource.
fn label_of(program: &Program, a: &Address) -> String {
    program
        .resource(a)
        .map_or_else(|| a.to_string(), |r| format!("{} {}", r.kind, r.address))
}

/// Attribute `attr` of the declared resource `of` from live state, unless it does not
/// exist or will be recreated. `id` is always known (computed from names).
fn lookup_attr(
    catalog: &Catalog,
    program: &Program,
    ids: &IdMap,
    live: &BTreeMap<Address, Option<Json>>,
    recreated: &BTreeSet<Address>,
    of: &Address,
    attr: &str,
) -> Option<Value> {
    if attr == "id" {
        return ids.get(of).map(|s| Value::Str(s.clone()));
    }
    if recreated.contains(of) {
        return None;
    }
    let r = program.resource(of)?;
    if r.parent.as_ref().is_some_and(|p| recreated.contains(p))
        && catalog
            .kind(r.kind)
            .is_some_and(|k| matches!(k.placement, Placement::Inline { .. }))
    {
        return None;
    }
    let kind = catalog.kind(r.kind)?;
    let body = live.get(of)?.as_ref()?;
    // An `existing` resource's fields are read from live state too (`hub.address_space`).
    if r.existing
        && let Some(def) = kind.field(attr)
    {
        return stdlib::arm::live_value(def, body);
    }
    diff::read_attribute(kind, attr, body)
}

fn plan_outputs(
    catalog: &Catalog,
    program: &Program,
    ids: &IdMap,
    live: &BTreeMap<Address, Option<Json>>,
    recreated: &BTreeSet<Address>,
) -> Vec<PlannedOutput> {
    program
        .outputs
        .iter()
        .map(|o| {
            let v = diff::resolve(&o.value, &|of: &Address, attr: &str| {
                lookup_attr(catalog, program, ids, live, recreated, of, attr)
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

/// The `name` of a listed ARM resource.
fn item_name(item: &Json) -> Option<&str> {
    item.get("name").and_then(Json::as_str)
}

/// Whether a listed resource carries `capz-stack = stack`.
fn tagged(item: &Json, stack: &str) -> bool {
    item.get("tags")
        .and_then(|t| t.get(STACK_TAG))
        .and_then(Json::as_str)
        == Some(stack)
}

/// Whether a listed resource carries a `capz-stack` tag naming a stack other than `stack`.
fn tagged_by_other(item: &Json, stack: &str) -> bool {
    item.get("tags")
        .and_then(|t| t.get(STACK_TAG))
        .and_then(Json::as_str)
        .is_some_and(|s| s != stack)
}

/// Children of the program's `existing` resources that carry this stack's tag (a link the
/// program made in another team's DNS zone): `capz destroy` deletes them, as the group
/// deletes never reach them. A parent that is gone (404) has no children left.
async fn own_children_of_existing(
    catalog: &Catalog,
    program: &Program,
    lister: &Arc<read::Lister>,
    ids: &IdMap,
    reason: &Reason,
) -> Result<Vec<Change>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for r in program.resources.iter().filter(|r| r.existing) {
        let (Some(kind), Some(id)) = (catalog.kind(r.kind), ids.get(&r.address)) else {
            continue;
        };
        for child in &kind.children {
            let Some(ck) = catalog.kind(child) else {
                continue;
            };
            let Placement::Child { segment, .. } = ck.placement else {
                continue;
            };
            let items = match lister
                .list(&format!("{id}/{segment}"), ck.api_version)
                .await
            {
                Ok(items) => items.to_vec(),
                Err(e) if e.status == Some(404) || type_not_offered(&e) => Vec::new(),
                Err(e) => {
                    diags.push(e.to_diagnostic(&format!("{} {}", r.kind, r.address), Some(r.span)));
                    continue;
                }
            };
            for item in items.into_iter().filter(|i| tagged(i, &program.stack)) {
                let Some(name) = item_name(&item).map(str::to_string) else {
                    continue;
                };
                let child_id = item
                    .get("id")
                    .and_then(Json::as_str)
                    .map_or_else(|| format!("{id}/{segment}/{name}"), str::to_string);
                out.push(delete_change(
                    ck,
                    format!("{}.{name}", r.address),
                    child_id,
                    reason.clone(),
                    item,
                ));
            }
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

fn delete_change(kind: &KindDef, label: String, id: String, reason: Reason, live: Json) -> Change {
    Change {
        address: None,
        label,
        kind: kind.keyword.to_string(),
        id,
        api_version: kind.api_version.to_string(),
        action: Action::Delete,
        reason,
        fields: Vec::new(),
        carried_by: None,
        desired: None,
        live: Some(live),
        span: None,
        rotate_via: None,
        cascade: Vec::new(),
    }
}

/// ARM answers these when a resource type is not offered at all (the provider or type is
/// unknown to the endpoint, e.g. a kind the local emulator does not serve): the list is
/// empty, not an error.
fn type_not_offered(e: &ArmError) -> bool {
    const CODES: &[&str] = &[
        "InvalidResourceType",
        "NoRegisteredProviderFound",
        "InvalidResourceNamespace",
        "MissingSubscriptionRegistration",
        "ResourceTypeNotSupported",
    ];
    matches!(e.status, Some(400 | 404))
        && e.arm_code
            .as_deref()
            .is_some_and(|c| CODES.iter().any(|x| x.eq_ignore_ascii_case(c)))
}

/// (a) Children of declared, kept parents that exist live but are not declared.
async fn undeclared_children(
    catalog: &Catalog,
    program: &Program,
    lister: &Arc<read::Lister>,
    ids: &IdMap,
    live: &BTreeMap<Address, Option<Json>>,
    recreated: &BTreeSet<Address>,
    opts: &PlanOptions,
) -> Result<Vec<Change>, Vec<Diagnostic>> {
    let mut jobs = Vec::new();
    let mut meta = Vec::new();
    for r in &program.resources {
        if recreated.contains(&r.address) || !live.get(&r.address).is_some_and(Option::is_some) {
            continue;
        }
        let (Some(kind), Some(id)) = (catalog.kind(r.kind), ids.get(&r.address)) else {
            continue;
        };
        for child in &kind.children {
            let Some(ck) = catalog.kind(child) else {
                continue;
            };
            let Placement::Child { segment, .. } = ck.placement else {
                continue;
            };
            let (l, path, api) = (lister.clone(), format!("{id}/{segment}"), ck.api_version);
            jobs.push(async move { l.list(&path, api).await });
            meta.push((r, ck, id.clone(), segment));
        }
    }
    let results = run_bounded(jobs, opts.read_budget).await;
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for ((r, ck, parent_id, segment), res) in meta.into_iter().zip(results) {
        let subject = format!("{} {}", r.kind, r.address);
        let items = match res {
            Some(Ok(items)) => items.to_vec(),
            Some(Err(e)) if type_not_offered(&e) => Vec::new(),
            Some(Err(e)) => {
                diags.push(e.to_diagnostic(&subject, Some(r.span)));
                continue;
            }
            None => {
                diags.push(task_died(&subject));
                continue;
            }
        };
        for item in items {
            let Some(name) = item_name(&item).map(str::to_string) else {
                continue;
            };
            let declared = program
                .children(&r.address)
                .any(|c| c.kind == ck.keyword && c.name.eq_ignore_ascii_case(&name));
            // An `existing` parent's children are its owner's, except those carrying this
            // stack's tag (a DNS zone link the program made in another team's zone); a child
            // carrying another stack's tag is that stack's (its link in this stack's zone).
            if declared
                || (r.existing && !tagged(&item, &program.stack))
                || tagged_by_other(&item, &program.stack)
            {
                continue;
            }
            let id = item
                .get("id")
                .and_then(Json::as_str)
                .map_or_else(|| format!("{parent_id}/{segment}/{name}"), str::to_string);
            out.push(delete_change(
                ck,
                format!("{}.{name}", r.address),
                id,
                Reason::UndeclaredChild {
                    parent: subject.clone(),
                },
                item,
            ));
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// (b) Tagged resource groups whose IDs are not in `declared` (never one another resource
/// manages, [`owner::managed_by_other`]), each with what ARM deletes with it, and (c)
/// tagged resources of known kinds, not in `declared`, inside the groups `search` and
/// inside the groups (b) keeps because they hold resources the stack does not own
/// ([`owner::guard_group_deletes`]). Deletes carry `reason`.
async fn undeclared_tagged(
    catalog: &Catalog,
    stack: &str,
    lister: &Arc<read::Lister>,
    declared: &BTreeSet<String>,
    search: &[String],
    opts: &PlanOptions,
    reason: &Reason,
) -> Result<(Vec<Change>, Vec<Kept>), Vec<Diagnostic>> {
    let Some(group_kind) = catalog
        .kinds
        .iter()
        .find(|k| k.placement == Placement::ResourceGroup)
    else {
        return Ok((Vec::new(), Vec::new()));
    };
    let groups_path = format!(
        "/subscriptions/{}/resourcegroups",
        lister.client().subscription()
    );
    let groups = lister
        .list(&groups_path, group_kind.api_version)
        .await
        .map_err(|e| vec![e.to_diagnostic("listing resource groups", None)])?;
    let mut out = Vec::new();
    for g in groups.iter().cloned() {
        if !tagged(&g, stack) || owner::managed_by_other(&g) {
            continue;
        }
        let Some(name) = item_name(&g).map(str::to_string) else {
            continue;
        };
        let id = g
            .get("id")
            .and_then(Json::as_str)
            .map_or_else(|| format!("{groups_path}/{name}"), str::to_string);
        if declared.contains(&id.to_ascii_lowercase()) {
            continue;
        }
        out.push(delete_change(group_kind, name, id, reason.clone(), g));
    }
    let kept =
        owner::guard_group_deletes(catalog, stack, lister, &mut out, opts.delete_foreign, opts)
            .await?;
    let mut search = search.to_vec();
    search.extend(kept.iter().map(|k| k.id.clone()));
    out.extend(tagged_in_groups(catalog, stack, lister, declared, &search, opts, reason).await?);
    Ok((out, kept))
}

/// (c) of [`undeclared_tagged`]: resources of known kinds carrying the stack tag, not in
/// `declared`, inside the groups `search`.
async fn tagged_in_groups(
    catalog: &Catalog,
    stack: &str,
    lister: &Arc<read::Lister>,
    declared: &BTreeSet<String>,
    search: &[String],
    opts: &PlanOptions,
    reason: &Reason,
) -> Result<Vec<Change>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let in_group: Vec<&KindDef> = catalog
        .kinds
        .iter()
        .filter(|k| k.placement == Placement::InGroup)
        .collect();
    let mut jobs = Vec::new();
    let mut meta = Vec::new();
    for gid in search {
        for k in &in_group {
            let (l, path, api) = (
                lister.clone(),
                format!("{gid}/providers/{}", k.arm_type),
                k.api_version,
            );
            jobs.push(async move { l.list(&path, api).await });
            meta.push((*k, path_for(gid, k)));
        }
    }
    let results = run_bounded(jobs, opts.read_budget).await;
    let mut diags = Vec::new();
    for ((k, path), res) in meta.into_iter().zip(results) {
        let items = match res {
            Some(Ok(items)) => items.to_vec(),
            Some(Err(e)) if type_not_offered(&e) => Vec::new(),
            Some(Err(e)) => {
                diags.push(e.to_diagnostic(&format!("listing {path}"), None));
                continue;
            }
            None => {
                diags.push(task_died(&format!("listing {path}")));
                continue;
            }
        };
        for item in items {
            if !tagged(&item, stack) {
                continue;
            }
            let Some(name) = item_name(&item).map(str::to_string) else {
                continue;
            };
            let id = item
                .get("id")
                .and_then(Json::as_str)
                .map_or_else(|| format!("{path}/{name}"), str::to_string);
            if declared.contains(&id.to_ascii_lowercase()) {
                continue;
            }
            out.push(delete_change(k, name, id, reason.clone(), item));
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

fn path_for(gid: &str, k: &KindDef) -> String {
    format!("{gid}/providers/{}", k.arm_type)
}

/// Whether `kind` is the resource-group kind.
fn is_group(catalog: &Catalog, kind: &str) -> bool {
    catalog
        .kind(kind)
        .is_some_and(|k| k.placement == Placement::ResourceGroup)
}

#[cfg(test)]
mod tests;
