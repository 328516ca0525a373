//! `federated_credential`: a federated identity credential of an `identity`
//! (Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials,
//! api-version 2024-11-30, `ManagedIdentity.json`, definition
//! `FederatedIdentityCredentialProperties`). A proxy resource: no location, no tags.

use super::{field, id_attr, list, names};
use lang::schema::{ArmMapping, Compare, FieldDef, KindDef, NameRule, Placement};
use lang::types::Type;

/// The `federated_credential` kind, declared inside an `identity`.
pub fn def() -> KindDef {
    KindDef {
        keyword: "federated_credential",
        doc: "Trust tokens from an external issuer (e.g. a cluster's OIDC issuer) for this identity.",
        arm_type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
        api_version: "2024-11-30",
        placement: Placement::Child {
            parent: "identity",
            segment: "federatedIdentityCredentials",
        },
        fields: vec![
            super::name_field(
                "The credential name (3-120 characters); defaults to the declared name.",
            ),
            FieldDef {
                required: true,
                ..field(
                    "issuer",
                    Type::String,
                    "URL of the trusted token issuer, e.g. a cluster's oidc_issuer_url (issuer).",
                    ArmMapping::Path("properties.issuer"),
                )
            },
            FieldDef {
                required: true,
                ..field(
                    "subject",
                    Type::String,
                    "The external identity, e.g. \"system:serviceaccount:flux-system:kustomize-controller\" (subject).",
                    ArmMapping::Path("properties.subject"),
                )
            },
            FieldDef {
                default: Some("[\"api://AzureADTokenExchange\"]"),
                compare: Compare::UnorderedSet,
                ..field(
                    "audiences",
                    list(Type::String),
                    "Audiences accepted in the token; Entra ID expects [\"api://AzureADTokenExchange\"] (audiences).",
                    ArmMapping::Path("properties.audiences"),
                )
            },
        ],
        blocks: vec![],
        children: vec![],
        attributes: vec![id_attr()],
        taggable: false,
        has_location: false,
        name_rule: NameRule {
            min: 3,
            max: 120,
            allowed: "letters, digits, hyphens and underscores, starting with a letter or digit",
            valid: names::federated_credential,
            explain: None,
        },
        inline_children: None,
    }
}
