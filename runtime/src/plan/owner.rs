//! Ownership: what a stack may change, and what a resource-group delete takes with it.
//!
//! capz keeps no state file: a resource belongs to the stack its `capz-stack` tag names
//! (children, which ARM does not tag, belong with their parent). So:
//! - a declared resource that carries another stack's tag is refused
//!   ([`owned_by_other`]): updating it would flip the tag and hand it over silently;
//! - a resource group is only deleted when everything in it is the stack's own: ARM's
//!   DELETE of a group deletes every resource in it ("When you delete a resource group, all
//!   of its resources are also deleted", learn.microsoft.com/rest/api/resources/resourcegroups/delete),
//!   so the planner first lists it (`GET {group}/resources`, operation
//!   `Resources_ListByResourceGroup` of resources.json 2025-04-01, which lists top-level
//!   resources only, and each known resource's child collections such as `{vnet}/subnets`),
//!   keeps a group that holds foreign resources and deletes only the stack's own ones in it
//!   ([`guard_group_deletes`]). Terraform's azurerm provider refuses such a delete the same
//!   way (`features { resource_group { prevent_deletion_if_contains_resources = true } }`,
//!   the default since 3.0: hashicorp/terraform-provider-azurerm#13777), but only at apply
//!   time; capz shows it in the plan;
//! - a group with `managedBy` set (AKS's node resource group `MC_...`, whose `managedBy` is
//!   the cluster's ID) belongs to the resource that manages it and is never deleted
//!   ([`managed_by_other`]; learn.microsoft.com/azure/aks/concepts-clusters-workloads,
//!   "Node resource group": AKS creates and deletes it with the cluster).

use super::model::{Change, Contained, Kept};
use super::read::Lister;
use super::{IdMap, PlanOptions, run_bounded, task_died, type_not_offered};
use crate::codes;
use lang::schema::{Catalog, KindDef, Placement};
use lang::{Address, Diagnostic, Program};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::Arc;
use stdlib::arm::STACK_TAG;

/// The `capz-stack` tag of a live body, if any.
pub fn stack_of(body: &Json) -> Option<&str> {
    body.get("tags")
        .and_then(|t| t.get(STACK_TAG))
        .and_then(Json::as_str)
}

/// Whether a live group body names a managing resource (`managedBy`, resources.json
/// `ResourceGroup.managedBy`: "The ID of the resource that manages this resource group"),
/// as AKS's node resource group does.
pub fn managed_by_other(group: &Json) -> bool {
    group
        .get("managedBy")
        .and_then(Json::as_str)
        .is_some_and(|m| !m.trim().is_empty())
}

/// One `capz::stack::owned-by-other` error per declared resource whose live body carries
/// another stack's `capz-stack` tag: this stack must not update, retag, replace or delete
/// it. Also per untaggable child (a subnet) declared inside an `existing` parent that
/// another stack owns: that stack deletes the children it does not declare, so the child
/// could not stay. `live` holds the live bodies by address (`None`: absent).
pub fn owned_by_other(
    catalog: &Catalog,
    program: &Program,
    ids: &IdMap,
    live: &BTreeMap<Address, Option<Json>>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in &program.resources {
        let Some(kind) = catalog.kind(r.kind) else {
            continue;
        };
        let parent = r
            .parent
            .as_ref()
            .and_then(|p| program.resource(p))
            .filter(|p| p.existing && !r.existing && !kind.taggable);
        if let Some(p) = parent
            && let Some(Some(body)) = live.get(&p.address)
            && let Some(other) = stack_of(body).filter(|s| *s != program.stack)
        {
            out.push(
                Diagnostic::error(
                    codes::STACK_OWNED_BY_OTHER,
                    format!(
                        "{} {} would be a child of {} {}, which belongs to stack {other}",
                        r.kind, r.address, p.kind, p.address
                    ),
                )
                .with_primary(r.span, format!("inside stack {other}'s {}", p.kind))
                .with_help(format!(
                    "stack {other} deletes the children of its {} that it does not declare: ask its owners to declare this {}, or put it in a {} of your own",
                    p.kind, r.kind, p.kind
                )),
            );
            continue;
        }
        if !kind.taggable || r.existing {
            continue;
        }
        let Some(Some(body)) = live.get(&r.address) else {
            continue;
        };
        let Some(other) = stack_of(body).filter(|s| *s != program.stack) else {
            continue;
        };
        let id = ids.get(&r.address).cloned().unwrap_or_default();
        out.push(
            Diagnostic::error(
                codes::STACK_OWNED_BY_OTHER,
                format!(
                    "{} {} ({id}) belongs to stack {other}, not to stack {}",
                    r.kind, r.address, program.stack
                ),
            )
            .with_primary(r.span, format!("stack {other} owns this {}", r.kind))
            .with_help(format!(
                "capz never updates, retags, replaces or deletes another stack's resources: \
                 reference it with `existing {} {} {{ name = \"{}\" }}`, or declare it in only one of the two programs",
                r.kind, r.address, r.name
            )),
        );
    }
    out
}

/// One `capz::plan::existing-missing` error per `existing` resource that is not live.
pub fn existing_missing(
    program: &Program,
    ids: &IdMap,
    live: &BTreeMap<Address, Option<Json>>,
) -> Vec<Diagnostic> {
    program
        .resources
        .iter()
        .filter(|r| r.existing && !live.get(&r.address).is_some_and(Option::is_some))
        .map(|r| {
            let id = ids.get(&r.address).cloned().unwrap_or_default();
            Diagnostic::error(
                codes::PLAN_EXISTING_MISSING,
                format!("existing {} {} does not exist: nothing at {id}", r.kind, r.address),
            )
            .with_primary(r.span, "read at plan time, never created")
            .with_help(
                "check its name and group against Azure, or drop `existing` to let this program create and own it",
            )
        })
        .collect()
}

/// The checker's cross-resource rules (`Catalog::rules`) over `program` with what is only
/// known at plan time filled in: each `existing` resource's fields from its live body, and
/// references to them resolved (`resolve`). A new subnet overlapping a live subnet of an
/// existing VNet is caught here. Only errors are returned: the program already passed the
/// checker, so an error here comes from live values.
pub fn live_rules(
    catalog: &Catalog,
    program: &Program,
    live: &BTreeMap<Address, Option<Json>>,
    resolve: &dyn Fn(&lang::Resource) -> lang::Resource,
) -> Vec<Diagnostic> {
    if !program.resources.iter().any(|r| r.existing) {
        return Vec::new();
    }
    let mut p = program.clone();
    for r in p.resources.iter_mut() {
        if r.existing {
            let (Some(kind), Some(Some(body))) = (catalog.kind(r.kind), live.get(&r.address))
            else {
                continue;
            };
            for (key, def) in kind.all_fields() {
                if r.fields.contains_key(&key) {
                    continue;
                }
                if let Some(v) = stdlib::arm::live_value(def, body) {
                    r.fields
                        .insert(key, lang::program::FieldValue::new(v, r.span));
                }
            }
        } else {
            *r = resolve(r);
        }
    }
    catalog
        .rules
        .iter()
        .flat_map(|rule| (rule.check)(&p, catalog))
        .filter(|d| d.severity == lang::diagnostic::Severity::Error)
        .collect()
}

/// The group kind of the catalog.
fn group_kind(catalog: &Catalog) -> Option<&KindDef> {
    catalog
        .kinds
        .iter()
        .find(|k| k.placement == Placement::ResourceGroup)
}

/// The catalog kind of a top-level ARM type (`Microsoft.Network/virtualNetworks` → `vnet`).
fn kind_of_type<'a>(catalog: &'a Catalog, arm_type: &str) -> Option<&'a KindDef> {
    catalog
        .kinds
        .iter()
        .find(|k| k.placement == Placement::InGroup && k.arm_type.eq_ignore_ascii_case(arm_type))
}

/// Everything in group `gid` (an ARM ID), sorted by ID: the group's top-level resources
/// (`GET {gid}/resources`) and the children of those capz knows (`{id}/subnets`,
/// `{id}/agentPools`, ...), which that list leaves out. `foreign` marks what `stack` does
/// not own.
///
/// Errors: list failures other than "type not offered" (one diagnostic each).
pub async fn group_contents(
    catalog: &Catalog,
    lister: &Arc<Lister>,
    gid: &str,
    stack: &str,
    opts: &PlanOptions,
) -> Result<Vec<Contained>, Vec<Diagnostic>> {
    let Some(gk) = group_kind(catalog) else {
        return Ok(Vec::new());
    };
    let path = format!("{gid}/resources");
    let items = lister
        .list(&path, gk.api_version)
        .await
        .map_err(|e| vec![e.to_diagnostic(&format!("listing {path}"), None)])?;
    let mut out = Vec::new();
    let mut jobs = Vec::new();
    let mut meta = Vec::new();
    for item in items.iter() {
        let (Some(id), Some(name)) = (
            item.get("id").and_then(Json::as_str),
            item.get("name").and_then(Json::as_str),
        ) else {
            continue;
        };
        let arm_type = item.get("type").and_then(Json::as_str).unwrap_or_default();
        let owner = stack_of(item).map(str::to_string);
        let foreign = owner.as_deref() != Some(stack);
        let kind = kind_of_type(catalog, arm_type);
        out.push(Contained {
            kind: kind.map_or_else(|| arm_type.to_string(), |k| k.keyword.to_string()),
            name: name.to_string(),
            id: id.to_string(),
            stack: owner.clone(),
            foreign,
            protected: stdlib::arm::protected_live(item),
        });
        for child in kind.map(|k| k.children.clone()).unwrap_or_default() {
            let Some(ck) = catalog.kind(child) else {
                continue;
            };
            let Placement::Child { segment, .. } = ck.placement else {
                continue;
            };
            let (l, p, api) = (lister.clone(), format!("{id}/{segment}"), ck.api_version);
            jobs.push(async move { l.list(&p, api).await });
            meta.push((ck.keyword, name.to_string(), owner.clone(), foreign, id));
        }
    }
    let results = run_bounded(jobs, opts.read_budget).await;
    let mut diags = Vec::new();
    for ((keyword, parent, owner, foreign, parent_id), res) in meta.into_iter().zip(results) {
        let what = format!("listing the children of {parent_id}");
        let children = match res {
            Some(Ok(items)) => items,
            Some(Err(e)) if type_not_offered(&e) => continue,
            Some(Err(e)) => {
                diags.push(e.to_diagnostic(&what, None));
                continue;
            }
            None => {
                diags.push(task_died(&what));
                continue;
            }
        };
        for c in children.iter() {
            let (Some(id), Some(name)) = (
                c.get("id").and_then(Json::as_str),
                c.get("name").and_then(Json::as_str),
            ) else {
                continue;
            };
            out.push(Contained {
                kind: keyword.to_string(),
                name: format!("{parent}/{name}"),
                id: id.to_string(),
                stack: owner.clone(),
                foreign,
                protected: stdlib::arm::protected_live(c),
            });
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    out.sort_by_key(|c| c.id.to_ascii_lowercase());
    out.dedup_by(|a, b| a.id.eq_ignore_ascii_case(&b.id));
    Ok(out)
}

/// List what each resource-group delete in `changes` takes with it ([`group_contents`],
/// into [`Change::cascade`]). A group that holds resources `stack` does not own is taken
/// out of `changes` and returned as [`Kept`] (unless `delete_foreign`, when ARM's cascade
/// deletes them too and the cascade lists them); the caller deletes the stack's own
/// resources in kept groups one by one.
///
/// Errors: list failures.
pub async fn guard_group_deletes(
    catalog: &Catalog,
    stack: &str,
    lister: &Arc<Lister>,
    changes: &mut Vec<Change>,
    delete_foreign: bool,
    opts: &PlanOptions,
) -> Result<Vec<Kept>, Vec<Diagnostic>> {
    let Some(gk) = group_kind(catalog) else {
        return Ok(Vec::new());
    };
    let mut kept = Vec::new();
    let mut keep_idx = Vec::new();
    for (i, c) in changes.iter_mut().enumerate() {
        if c.action != super::Action::Delete || c.kind != gk.keyword {
            continue;
        }
        let contents = group_contents(catalog, lister, &c.id, stack, opts).await?;
        let foreign: Vec<Contained> = contents.iter().filter(|x| x.foreign).cloned().collect();
        if foreign.is_empty() || delete_foreign {
            c.cascade = contents;
        } else {
            kept.push(Kept {
                name: c.label.clone(),
                id: c.id.clone(),
                foreign,
            });
            keep_idx.push(i);
        }
    }
    for i in keep_idx.into_iter().rev() {
        changes.remove(i);
    }
    Ok(kept)
}

/// One `capz::lifecycle::prevent-destroy` error per change that deletes or replaces a
/// protected resource: declared with `lifecycle { prevent_destroy = true }` (the error
/// points at it), or carrying the `capz-prevent-destroy` tag live (its declaration may be
/// gone), or inside a group whose delete would take it (ARM's cascade), or a child created
/// again because its parent is replaced. Terraform refuses such plans the same way
/// (developer.hashicorp.com/terraform/language/meta-arguments/lifecycle, `prevent_destroy`).
pub fn prevent_destroy(program: &Program, changes: &[Change]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let help = "set `prevent_destroy = false` in its lifecycle block and apply, then plan again";
    for c in changes {
        let declared = c.address.as_ref().and_then(|a| program.resource(a));
        let flag = declared.filter(|r| stdlib::arm::prevent_destroy(r));
        let goes = match c.action {
            super::Action::Delete | super::Action::Replace => true,
            super::Action::Create => matches!(c.reason, super::Reason::ParentRecreated(_)),
            _ => false,
        };
        if !goes {
            continue;
        }
        let verb = if c.action == super::Action::Delete {
            "delete"
        } else {
            "replace"
        };
        if let Some(r) = flag {
            let span = r
                .fields
                .get("lifecycle.prevent_destroy")
                .map_or(r.span, |f| f.span);
            out.push(
                Diagnostic::error(
                    codes::LIFECYCLE_PREVENT_DESTROY,
                    format!(
                        "the plan would {verb} {}, which has lifecycle {{ prevent_destroy = true }}",
                        c.subject()
                    ),
                )
                .with_primary(span, "protected here")
                .with_help(help),
            );
        } else if c.live.as_ref().is_some_and(stdlib::arm::protected_live) {
            let mut d = Diagnostic::error(
                codes::LIFECYCLE_PREVENT_DESTROY,
                format!(
                    "the plan would {verb} {} ({}), which carries the tag {}=true",
                    c.subject(),
                    c.id,
                    stdlib::arm::PROTECT_TAG
                ),
            )
            .with_help(
                "its protection outlasts its declaration: declare it again with `lifecycle { prevent_destroy = false }` and apply, then remove it",
            );
            if let Some(s) = c.span {
                d = d.with_primary(s, "protected");
            }
            out.push(d);
        }
        let inside: Vec<String> = c
            .cascade
            .iter()
            .filter(|x| x.protected)
            .map(|x| format!("{} {}", x.kind, x.name))
            .collect();
        if !inside.is_empty() {
            out.push(
                Diagnostic::error(
                    codes::LIFECYCLE_PREVENT_DESTROY,
                    format!(
                        "the plan would delete {}, and with it the protected {}",
                        c.subject(),
                        inside.join(", ")
                    ),
                )
                .with_help(
                    "lift their protection first (`prevent_destroy = false`, apply), or keep declaring the group",
                ),
            );
        }
    }
    out
}

/// `capz::destroy::kept-foreign`: `destroy` left groups standing because they hold
/// resources the stack does not own; names each group and each such resource.
pub fn kept_diagnostic(stack: &str, kept: &[Kept]) -> Diagnostic {
    let mut lines = Vec::new();
    for k in kept {
        lines.push(format!("group {} is kept; it holds:", k.name));
        for f in &k.foreign {
            lines.push(format!("  {} {} ({})", f.kind, f.name, f.owner()));
        }
    }
    Diagnostic::error(
        codes::DESTROY_KEPT_FOREIGN,
        format!(
            "destroy deleted only what stack {stack} owns: {} resource group{} still stand{} because {} resources stack {stack} does not own\n  {}",
            kept.len(),
            if kept.len() == 1 { "" } else { "s" },
            if kept.len() == 1 { "s" } else { "" },
            if kept.len() == 1 { "it holds" } else { "they hold" },
            lines.join("\n  ")
        ),
    )
    .with_help(
        "delete or move those resources and run destroy again, or run `capz destroy --delete-foreign` to let ARM delete them with the group",
    )
}
