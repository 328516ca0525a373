//! Microsoft.Authorization: built-in role definitions (read-only) and role assignments at any
//! scope (subscription, resource group, resource), as `az role assignment create --role R
//! --assignee A --scope S` uses them.
//!
//! Sources (the first copied into `vendor/arm-specs/specification/authorization`, the
//! second read upstream, Azure/azure-rest-api-specs):
//! - `stable/2022-04-01/authorization-RoleAssignmentsCalls.json`: `RoleAssignments_Create`
//!   (PUT `/{scope}/providers/Microsoft.Authorization/roleAssignments/{name}` → 201/200
//!   `RoleAssignment`), `_Get`, `_Delete` (200 with the deleted assignment, 204 when absent),
//!   `_ListForScope`/`_ListForSubscription`/`_ListForResourceGroup` (`$filter`
//!   `atScope()`, `principalId eq '{id}'`); `RoleAssignmentProperties` (`roleDefinitionId`
//!   and `principalId` required; `principalType` `User|Group|ServicePrincipal|ForeignGroup`;
//!   read-only `scope`, `createdOn`, `updatedOn`, `createdBy`, `updatedBy`) and the
//!   `RoleAssignments_CreateForResourceGroup` example.
//! - `preview/2022-05-01-preview/authorization-RoleDefinitionsCalls.json` (the version
//!   azure-cli 2.91 lists definitions with): `RoleDefinitions_List` with `$filter=roleName eq
//!   '{name}'` or `type eq 'BuiltInRole'`, `RoleDefinitions_Get`.
//! - Role IDs and permissions of the built-in roles:
//!   https://learn.microsoft.com/en-us/azure/role-based-access-control/built-in-roles.
//! - Error codes (https://learn.microsoft.com/en-us/azure/role-based-access-control/troubleshooting):
//!   409 `RoleAssignmentExists` ("The role assignment already exists."), 400
//!   `PrincipalNotFound` (a principal the directory does not hold, unless `principalType`
//!   is given: Azure then skips the lookup to bear with replication delay), 400
//!   `RoleDefinitionDoesNotExist`, 400 `RoleAssignmentUpdateNotPermitted` (a PUT that
//!   changes principal, role or scope of an existing assignment), 400
//!   `InvalidRoleAssignmentId` (a name that is not a GUID).
//!
//! Assignments are stored as resources of type `microsoft.authorization/roleassignments`
//! whose parent is their scope, so deleting a resource group removes the assignments made
//! on it.

use rusqlite::Transaction;
use serde_json::{Value, json};

use crate::graph::Principal;
use crate::store::{self, Row};
use crate::util::{ArmError, ArmResult, at, now_ms, rfc3339};

/// api-versions served for role assignments (the vendored stable spec) and role
/// definitions (the vendored preview spec azure-cli lists definitions with, and the stable one).
pub const ASSIGNMENT_VERSIONS: &[&str] = &["2022-04-01"];
/// See [`ASSIGNMENT_VERSIONS`].
pub const DEFINITION_VERSIONS: &[&str] = &["2022-05-01-preview", "2022-04-01"];

const ASSIGNMENT_TYPE: &str = "Microsoft.Authorization/roleAssignments";
const ASSIGNMENT_TYPE_LC: &str = "microsoft.authorization/roleassignments";

/// One built-in role: (name, GUID, description, actions, notActions, dataActions).
type Builtin = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

/// The built-in roles the AKS and networking workflows assign (built-in-roles page).
const BUILTIN: &[Builtin] = &[
    (
        "Owner",
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
        &["*"],
        &[],
        &[],
    ),
    (
        "Contributor",
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
        &["*"],
        &[
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
            "Microsoft.Compute/galleries/share/action",
            "Microsoft.Purview/consents/write",
            "Microsoft.Purview/consents/delete",
            "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
            "Microsoft.Subscription/cancel/action",
            "Microsoft.Subscription/enable/action",
        ],
        &[],
    ),
    (
        "Reader",
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        "View all resources, but does not allow you to make any changes.",
        &["*/read"],
        &[],
        &[],
    ),
    (
        "User Access Administrator",
        "18d7d88d-d35e-4fb5-a5c3-7773c6a72009",
        "Lets you manage user access to Azure resources.",
        &["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
        &[],
        &[],
    ),
    (
        "Network Contributor",
        "4d97b98b-1d4f-4787-a291-c67834d212e7",
        "Lets you manage networks, but not access to them.",
        &[
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Network/*",
            "Microsoft.ResourceHealth/availabilityStatuses/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Support/*",
        ],
        &[],
        &[],
    ),
    (
        "Managed Identity Operator",
        "f1a07417-d97a-45cb-824c-7a7467783830",
        "Read and Assign User Assigned Identity",
        &[
            "Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
            "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Support/*",
        ],
        &[],
        &[],
    ),
    (
        "Private DNS Zone Contributor",
        "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
        "Lets you manage private DNS zone resources, but not the virtual networks they are linked to.",
        &[
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Support/*",
            "Microsoft.Network/privateDnsZones/*",
            "Microsoft.Network/privateDnsOperationResults/*",
            "Microsoft.Network/privateDnsOperationStatuses/*",
            "Microsoft.Network/virtualNetworks/read",
            "Microsoft.Network/virtualNetworks/join/action",
        ],
        &[],
        &[],
    ),
    (
        "Azure Kubernetes Service Cluster Admin Role",
        "0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8",
        "List cluster admin credential action.",
        &[
            "Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",
            "Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action",
            "Microsoft.ContainerService/managedClusters/read",
            "Microsoft.ContainerService/managedClusters/runcommand/action",
        ],
        &[],
        &[],
    ),
    (
        "Azure Kubernetes Service Cluster User Role",
        "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
        "List cluster user credential action.",
        &[
            "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
            "Microsoft.ContainerService/managedClusters/read",
        ],
        &[],
        &[],
    ),
];

/// A built-in role definition's body, with its ID under `scope_id` (`/subscriptions/{s}`,
/// or `""` for the tenant-level ID `/providers/...`).
fn definition(scope_id: &str, b: &Builtin) -> Value {
    let (name, guid, description, actions, not_actions, data_actions) = *b;
    json!({
        "id": format!("{scope_id}/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
        "name": guid,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "BuiltInRole",
            "description": description,
            "assignableScopes": ["/"],
            "permissions": [{
                "actions": actions,
                "notActions": not_actions,
                "dataActions": data_actions,
                "notDataActions": [],
            }],
            "createdOn": "2015-02-02T21:55:09.8806423Z",
            "updatedOn": "2024-01-01T00:00:00.0000000Z",
            "createdBy": null,
            "updatedBy": null,
        },
    })
}

fn builtin_by_guid(guid: &str) -> Option<&'static Builtin> {
    BUILTIN.iter().find(|b| b.1.eq_ignore_ascii_case(guid))
}

fn check_version(v: &str, served: &[&str], what: &str) -> ArmResult<()> {
    if served.iter().any(|s| s.eq_ignore_ascii_case(v)) {
        return Ok(());
    }
    Err(ArmError::bad(
        "NoRegisteredProviderFound",
        format!(
            "No registered resource provider found for location 'global' and API version '{v}' for type '{what}'. The supported api-versions are '{}'.",
            served.join(", ")
        ),
    ))
}

/// One Microsoft.Authorization request, already split: `scope` is the cased scope ID
/// (`/subscriptions/{s}[/resourceGroups/{g}[/providers/{ns}/{type}/{name}...]]`), `rest`
/// the segments after `providers/Microsoft.Authorization` as sent. `principals` is the
/// directory (for `PrincipalNotFound`). Returns (status, body or none).
#[allow(clippy::too_many_arguments)]
pub fn handle(
    tx: &Transaction<'_>,
    method: &str,
    sub: &str,
    scope: &str,
    rest: &[String],
    query: &[(String, String)],
    api: &str,
    body: &[u8],
    principals: &[Principal],
) -> ArmResult<(u16, Option<Value>)> {
    let rest_lc: Vec<String> = rest.iter().map(|s| s.to_ascii_lowercase()).collect();
    let rest_lc: Vec<&str> = rest_lc.iter().map(String::as_str).collect();
    let filter = query
        .iter()
        .find(|(k, _)| k == "$filter")
        .map(|(_, v)| v.as_str());
    match (method, rest_lc.as_slice()) {
        ("GET", ["roledefinitions"]) => {
            check_version(api, DEFINITION_VERSIONS, "roleDefinitions")?;
            check_scope(tx, scope)?;
            let wanted = parse_eq(filter, "roleName")?;
            let want_type = parse_eq(filter, "type")?;
            let value: Vec<Value> = BUILTIN
                .iter()
                .filter(|b| {
                    wanted
                        .as_deref()
                        .is_none_or(|w| b.0.eq_ignore_ascii_case(w))
                })
                .filter(|_| {
                    want_type
                        .as_deref()
                        .is_none_or(|t| t.eq_ignore_ascii_case("BuiltInRole"))
                })
                .map(|b| definition(&format!("/subscriptions/{sub}"), b))
                .collect();
            Ok((200, Some(json!({ "value": value }))))
        }
        ("GET", ["roledefinitions", guid]) => {
            check_version(api, DEFINITION_VERSIONS, "roleDefinitions")?;
            check_scope(tx, scope)?;
            builtin_by_guid(guid)
                .map(|b| (200, Some(definition(&format!("/subscriptions/{sub}"), b))))
                .ok_or_else(|| {
                    ArmError::new(
                        404,
                        "RoleDefinitionDoesNotExist",
                        format!("The specified role definition with ID '{guid}' does not exist."),
                    )
                })
        }
        ("GET", ["roleassignments"]) => {
            check_version(api, ASSIGNMENT_VERSIONS, "roleAssignments")?;
            check_scope(tx, scope)?;
            list(tx, sub, scope, filter).map(|v| (200, Some(json!({ "value": v }))))
        }
        (m, ["roleassignments", _]) => {
            check_version(api, ASSIGNMENT_VERSIONS, "roleAssignments")?;
            let name = &rest[1];
            let id = format!("{scope}/providers/{ASSIGNMENT_TYPE}/{name}");
            let existing = store::get(tx, &id.to_ascii_lowercase())?;
            match m {
                "GET" => existing.map(|r| (200, Some(r.body))).ok_or_else(|| {
                    ArmError::new(
                        404,
                        "RoleAssignmentNotFound",
                        format!("The role assignment '{name}' is not found."),
                    )
                }),
                "DELETE" => match existing {
                    Some(r) => {
                        store::remove(tx, &r.id_lc)?;
                        Ok((200, Some(r.body)))
                    }
                    None => Ok((204, None)),
                },
                "PUT" => {
                    check_scope(tx, scope)?;
                    put(tx, sub, scope, name, &id, existing, body, principals)
                }
                other => Err(ArmError::new(
                    405,
                    "MethodNotAllowed",
                    format!("The HTTP method '{other}' is not supported for this resource path."),
                )),
            }
        }
        _ => Err(ArmError::new(
            404,
            "NotFound",
            "The requested Microsoft.Authorization path is not one this emulator serves (roleDefinitions, roleAssignments).",
        )),
    }
}

/// `field eq 'value'` out of a `$filter` (`None` when the filter does not name `field`).
fn parse_eq(filter: Option<&str>, field: &str) -> ArmResult<Option<String>> {
    let Some(f) = filter else { return Ok(None) };
    for clause in f.split(" and ") {
        let clause = clause.trim();
        if let Some((k, v)) = clause.split_once(" eq ")
            && k.trim().eq_ignore_ascii_case(field)
        {
            let v = v.trim();
            let inner = v
                .strip_prefix('\'')
                .and_then(|x| x.strip_suffix('\''))
                .ok_or_else(|| {
                    ArmError::bad(
                        "InvalidFilter",
                        format!(
                            "The $filter '{f}' is invalid: the value of '{field}' must be quoted."
                        ),
                    )
                })?;
            return Ok(Some(inner.replace("''", "'")));
        }
    }
    Ok(None)
}

/// The scope must exist: its resource group, and its resource when it names one.
fn check_scope(tx: &Transaction<'_>, scope: &str) -> ArmResult<()> {
    let segs: Vec<&str> = scope.split('/').filter(|s| !s.is_empty()).collect();
    if segs.len() >= 4 && segs[2].eq_ignore_ascii_case("resourcegroups") {
        let rg_id = segs[..4].join("/").to_ascii_lowercase();
        if store::get(tx, &format!("/{rg_id}"))?.is_none() {
            return Err(ArmError::new(
                404,
                "ResourceGroupNotFound",
                format!("Resource group '{}' could not be found.", segs[3]),
            ));
        }
        if segs.len() > 4 && store::get(tx, &scope.to_ascii_lowercase())?.is_none() {
            return Err(ArmError::new(
                404,
                "ResourceNotFound",
                format!("The Resource '{scope}' was not found."),
            ));
        }
    }
    Ok(())
}

/// Whether scope `a` is `b` or an ancestor of it (case-insensitive, segment-wise).
fn covers(a: &str, b: &str) -> bool {
    let a = a.trim_end_matches('/').to_ascii_lowercase();
    let b = b.trim_end_matches('/').to_ascii_lowercase();
    b == a || b.starts_with(&format!("{a}/"))
}

fn list(
    tx: &Transaction<'_>,
    sub: &str,
    scope: &str,
    filter: Option<&str>,
) -> ArmResult<Vec<Value>> {
    let at_scope = filter.is_some_and(|f| f.contains("atScope()"));
    let principal = parse_eq(filter, "principalId")?;
    let rows = store::list(
        tx,
        &sub.to_ascii_lowercase(),
        None,
        Some(ASSIGNMENT_TYPE_LC),
    )?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            let s = at(&r.body, &["properties", "scope"])
                .and_then(Value::as_str)
                .unwrap_or("");
            // "apply to" the scope: at or above it, or (without atScope()) below it.
            covers(s, scope) || (!at_scope && covers(scope, s))
        })
        .filter(|r| {
            principal.as_deref().is_none_or(|p| {
                at(&r.body, &["properties", "principalId"])
                    .and_then(Value::as_str)
                    .is_some_and(|x| x.eq_ignore_ascii_case(p))
            })
        })
        .map(|r| r.body)
        .collect())
}

#[allow(clippy::too_many_arguments)]
fn put(
    tx: &Transaction<'_>,
    sub: &str,
    scope: &str,
    name: &str,
    id: &str,
    existing: Option<Row>,
    body: &[u8],
    principals: &[Principal],
) -> ArmResult<(u16, Option<Value>)> {
    if uuid::Uuid::parse_str(name).is_err() {
        return Err(ArmError::bad(
            "InvalidRoleAssignmentId",
            format!(
                "The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID."
            ),
        ));
    }
    let req: Value = serde_json::from_slice(body).map_err(|e| {
        ArmError::bad(
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{e}'."),
        )
    })?;
    let prop = |k: &str| at(&req, &["properties", k]).and_then(Value::as_str);
    let missing = |k: &str| {
        ArmError::bad(
            "InvalidRoleAssignmentRequest",
            format!("The request body is missing the required property 'properties.{k}'."),
        )
    };
    let role_id = prop("roleDefinitionId").ok_or_else(|| missing("roleDefinitionId"))?;
    let principal_id = prop("principalId").ok_or_else(|| missing("principalId"))?;
    let guid = role_id.rsplit('/').next().unwrap_or("");
    let role_ok = role_id
        .to_ascii_lowercase()
        .contains("/providers/microsoft.authorization/roledefinitions/")
        && builtin_by_guid(guid).is_some();
    if !role_ok {
        return Err(ArmError::bad(
            "RoleDefinitionDoesNotExist",
            format!("The specified role definition with ID '{guid}' does not exist."),
        ));
    }
    let principal = principals
        .iter()
        .find(|p| p.id.eq_ignore_ascii_case(principal_id));
    let principal_type = match (prop("principalType"), principal) {
        (Some(t), _) => {
            const TYPES: &[&str] = &["User", "Group", "ServicePrincipal", "ForeignGroup"];
            if !TYPES.contains(&t) {
                return Err(ArmError::bad(
                    "InvalidPrincipalType",
                    format!(
                        "The principal type '{t}' is invalid. Valid values are {}.",
                        TYPES.join(", ")
                    ),
                ));
            }
            t.to_string()
        }
        (None, Some(_)) => "ServicePrincipal".to_string(),
        (None, None) => {
            return Err(ArmError::bad(
                "PrincipalNotFound",
                format!(
                    "Principal {principal_id} does not exist in the directory {}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group. See https://aka.ms/docs-principaltype",
                    crate::LOCAL_TENANT
                ),
            ));
        }
    };
    let same_role = |r: &Row| {
        let g = |k: &str| {
            at(&r.body, &["properties", k])
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_lowercase()
        };
        g("principalId") == principal_id.to_ascii_lowercase()
            && g("roleDefinitionId").rsplit('/').next() == Some(&guid.to_ascii_lowercase())
    };
    if let Some(old) = &existing {
        if !same_role(old) {
            return Err(ArmError::bad(
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            ));
        }
        return Ok((200, Some(old.body.clone())));
    }
    let duplicate = store::children(tx, &scope.to_ascii_lowercase(), ASSIGNMENT_TYPE_LC)?
        .into_iter()
        .any(|r| same_role(&r));
    if duplicate {
        return Err(ArmError::new(
            409,
            "RoleAssignmentExists",
            "The role assignment already exists.",
        ));
    }
    let now = rfc3339(now_ms());
    let mut props = json!({
        "roleDefinitionId": role_id,
        "principalId": principal_id,
        "principalType": principal_type,
        "scope": scope,
        "condition": null,
        "conditionVersion": null,
        "createdOn": now,
        "updatedOn": now,
        "createdBy": null,
        "updatedBy": null,
        "delegatedManagedIdentityResourceId": null,
        "description": null,
    });
    for k in [
        "description",
        "condition",
        "conditionVersion",
        "delegatedManagedIdentityResourceId",
    ] {
        if let Some(v) = prop(k) {
            props[k] = json!(v);
        }
    }
    let out = json!({
        "id": id,
        "name": name,
        "type": ASSIGNMENT_TYPE,
        "properties": props,
    });
    let segs: Vec<&str> = scope.split('/').filter(|s| !s.is_empty()).collect();
    let rg = if segs.len() >= 4 {
        segs[3].to_ascii_lowercase()
    } else {
        String::new()
    };
    store::put(
        tx,
        &Row {
            id_lc: id.to_ascii_lowercase(),
            id: id.to_string(),
            type_lc: ASSIGNMENT_TYPE_LC.into(),
            sub: sub.to_ascii_lowercase(),
            rg,
            parent_lc: scope.to_ascii_lowercase(),
            body: out.clone(),
            op_id: None,
        },
    )?;
    Ok((201, Some(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_cover_their_descendants() {
        assert!(covers(
            "/subscriptions/S",
            "/subscriptions/s/resourceGroups/g"
        ));
        assert!(covers(
            "/subscriptions/s/resourceGroups/g",
            "/subscriptions/s/resourceGroups/g"
        ));
        assert!(!covers(
            "/subscriptions/s/resourceGroups/g",
            "/subscriptions/s/resourceGroups/g2"
        ));
    }

    #[test]
    fn filters_quote_their_values() {
        assert_eq!(
            parse_eq(Some("roleName eq 'Contributor'"), "roleName")
                .unwrap()
                .as_deref(),
            Some("Contributor")
        );
        assert_eq!(parse_eq(Some("atScope()"), "principalId").unwrap(), None);
        assert!(parse_eq(Some("roleName eq Contributor"), "roleName").is_err());
    }

    #[test]
    fn builtin_ids_are_guids_and_unique() {
        for (i, b) in BUILTIN.iter().enumerate() {
            assert!(uuid::Uuid::parse_str(b.1).is_ok(), "{}", b.0);
            assert!(BUILTIN[i + 1..].iter().all(|o| o.1 != b.1 && o.0 != b.0));
        }
    }
}
