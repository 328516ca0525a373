//! Microsoft.ManagedIdentity rules: userAssignedIdentities and their
//! federatedIdentityCredentials (ManagedIdentity.json 2024-11-30; examples IdentityCreate,
//! FederatedIdentityCredentialCreate).
//!
//! Concurrent federated-credential writes: Azure refuses a federated identity credential
//! write (PUT or DELETE) while another one on the same identity is in flight, with 409
//! `ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity` ("Too many Federated
//! Identity Credentials are written concurrently for the managed identity '{id}'. Concurrent
//! Federated Identity Credentials writes under the same managed identity are not supported.",
//! as reported in Azure/bicep-registry-modules#1447 and
//! kubernetes-sigs/cluster-api-provider-azure#5397). The spec has no LRO here, so the emulator
//! models "in flight" as: each accepted write holds its HTTP answer for the kind's write
//! duration (`KINDS` durations × `Config::time_scale`) and records a window on the identity
//! until then; any other write to the same identity's credentials arriving inside that window
//! gets the 409. A client that waits for each answer before the next write never sees it.

use rusqlite::Transaction;
use serde_json::{Map, Value, json};

use crate::handler::{PutCtx, PutOut};
use crate::store;
use crate::util::{self, ArmError, ArmResult, Check, at};

const FIC_TYPE_LC: &str =
    "microsoft.managedidentity/userassignedidentities/federatedidentitycredentials";

/// PUT userAssignedIdentities/{name}: server-assigned `tenantId`, `principalId`, `clientId`
/// (GUIDs, kept across updates); `isolationScope` None|Regional (default None as in the
/// IdentityCreate example).
pub fn put_identity(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    let req = &ctx.request;
    Check::opt_obj(req, &["properties"])?;
    let scope = Check::opt_enum(
        req,
        &["properties", "isolationScope"],
        &["None", "Regional"],
    )?;
    let old = |k: &str| {
        ctx.existing
            .as_ref()
            .and_then(|e| at(&e.body, &["properties", k]).cloned())
    };
    let mut props = Map::new();
    props.insert(
        "tenantId".into(),
        old("tenantId").unwrap_or_else(|| json!(crate::LOCAL_TENANT)),
    );
    props.insert(
        "principalId".into(),
        old("principalId").unwrap_or_else(|| json!(util::uuid())),
    );
    props.insert(
        "clientId".into(),
        old("clientId").unwrap_or_else(|| json!(util::uuid())),
    );
    props.insert(
        "isolationScope".into(),
        scope
            .map(Value::from)
            .or_else(|| old("isolationScope"))
            .unwrap_or_else(|| json!("None")),
    );
    Ok(PutOut {
        body: json!({ "properties": Value::Object(props) }),
        children: Vec::new(),
    })
}

/// PUT .../federatedIdentityCredentials/{name}: `issuer`, `subject` and `audiences` are
/// required (FederatedIdentityCredentialProperties.required) → 400 `BadRequest` naming the
/// property; an issuer+subject pair already used by another credential of the identity → 400
/// `BadRequest` ("Issuer and subject combination already exists for this Managed Identity.",
/// Azure/bicep-types-az#2029); a write while another is in flight → 409 (module docs).
pub fn put_fic(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    let req = &ctx.request;
    Check::opt_obj(req, &["properties"])?;
    let issuer = Check::opt_str(req, &["properties", "issuer"])?;
    let subject = Check::opt_str(req, &["properties", "subject"])?;
    let audiences = Check::opt_strs(req, &["properties", "audiences"])?;
    for (name, missing) in [
        ("issuer", issuer.is_none_or(str::is_empty)),
        ("subject", subject.is_none_or(str::is_empty)),
        ("audiences", audiences.as_ref().is_none_or(|a| a.is_empty())),
    ] {
        if missing {
            return Err(ArmError::bad(
                "BadRequest",
                format!("The property 'properties.{name}' is required for a federated identity credential."),
            )
            .with_target(format!("properties.{name}")));
        }
    }
    let (issuer, subject) = (issuer.unwrap_or(""), subject.unwrap_or(""));
    if let Some(parent) = &ctx.parent {
        for other in store::children(ctx.tx, &parent.id_lc, FIC_TYPE_LC)? {
            if other.id_lc == ctx.id_lc {
                continue;
            }
            let same = |k: &str, v: &str| {
                at(&other.body, &["properties", k]).and_then(Value::as_str) == Some(v)
            };
            if same("issuer", issuer) && same("subject", subject) {
                return Err(ArmError::bad(
                    "BadRequest",
                    "Issuer and subject combination already exists for this Managed Identity.",
                ));
            }
        }
        check_fic_window(ctx.tx, &parent.id_lc, ctx.now_ms)?;
    }
    Ok(PutOut {
        body: json!({ "properties": {
            "issuer": issuer,
            "subject": subject,
            "audiences": audiences.unwrap_or_default(),
        }}),
        children: Vec::new(),
    })
}

fn window_key(identity_lc: &str) -> String {
    format!("fic-writes:{identity_lc}")
}

/// 409 `ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity` when another
/// credential write on the identity `identity_lc` is still in flight at `now_ms`.
pub fn check_fic_window(tx: &Transaction<'_>, identity_lc: &str, now_ms: i64) -> ArmResult<()> {
    if store::window_until(tx, &window_key(identity_lc))?.is_some_and(|until| until > now_ms) {
        return Err(ArmError::new(
            409,
            "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity",
            format!(
                "Too many Federated Identity Credentials are written concurrently for the managed identity '{identity_lc}'. Concurrent Federated Identity Credentials writes under the same managed identity are not supported."
            ),
        ));
    }
    Ok(())
}

/// Records an accepted credential write on `identity_lc` lasting `dur_ms`; returns how long
/// the HTTP answer must be held (the write's duration).
pub fn set_fic_window(
    tx: &Transaction<'_>,
    identity_lc: &str,
    now_ms: i64,
    dur_ms: i64,
) -> ArmResult<u64> {
    let dur = dur_ms.max(0);
    store::set_window(tx, &window_key(identity_lc), now_ms + dur)?;
    Ok(dur as u64)
}
