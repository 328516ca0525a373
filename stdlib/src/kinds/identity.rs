//! `identity`: a user-assigned managed identity
//! (Microsoft.ManagedIdentity/userAssignedIdentities, api-version 2024-11-30,
//! `ManagedIdentity.json`, definitions `Identity`, `UserAssignedIdentityProperties`), with
//! child `federated_credential`s for workload identity.

use super::{id_attr, location_field, name_field, names, tags_field};
use lang::schema::{AttrDef, KindDef, NameRule, Placement};
use lang::types::Type;

/// The `identity` kind.
pub fn def() -> KindDef {
    KindDef {
        keyword: "identity",
        doc: "A user-assigned managed identity (e.g. for workload identity or a cluster's control plane).",
        arm_type: "Microsoft.ManagedIdentity/userAssignedIdentities",
        api_version: "2024-11-30",
        placement: Placement::InGroup,
        fields: vec![
            name_field("The identity name (3-128 characters); defaults to the declared name."),
            location_field(),
            tags_field(),
        ],
        blocks: vec![],
        children: vec!["federated_credential"],
        attributes: vec![
            id_attr(),
            AttrDef {
                name: "principal_id",
                ty: Type::String,
                doc: "Object ID of the identity's service principal, for role assignments (principalId).",
                arm_path: "properties.principalId",
            },
            AttrDef {
                name: "client_id",
                ty: Type::String,
                doc: "Application (client) ID, e.g. for the azure.workload.identity/client-id annotation (clientId).",
                arm_path: "properties.clientId",
            },
            AttrDef {
                name: "tenant_id",
                ty: Type::String,
                doc: "Tenant of the identity (tenantId).",
                arm_path: "properties.tenantId",
            },
        ],
        taggable: true,
        has_location: true,
        name_rule: NameRule {
            min: 3,
            max: 128,
            allowed: "letters, digits, hyphens and underscores, starting with a letter or digit",
            valid: names::identity,
            explain: None,
        },
        inline_children: None,
    }
}
