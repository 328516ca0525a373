//! The slice of Microsoft Graph v1.0 that ARM clients ask before a role assignment: finding
//! a service principal by one of its names, and looking directory objects up by ID. Served
//! at `{base}/v1.0/...` (the cloud metadata names the emulator as Microsoft Graph, see
//! `metadata.rs`).
//!
//! The directory holds the emulator's service principals: one per application the token
//! endpoint knows (`--client`; object ID = the `oid` of its tokens) and one per
//! user-assigned managed identity (object ID = the identity's `principalId`, app ID = its
//! `clientId`, as Entra creates them).
//!
//! Sources (https://learn.microsoft.com/en-us/graph/api/):
//! - `serviceprincipal-list`: `GET /v1.0/servicePrincipals?$filter=...` →
//!   `{"@odata.context", "value": [servicePrincipal]}`; the filters `azure-cli` 2.91 sends
//!   (`azure/cli/command_modules/role/custom.py` `_resolve_object_id_and_type`:
//!   `servicePrincipalNames/any(c:c eq 'X')`) and `appId eq 'X'`, `id eq 'X'`,
//!   `displayName eq 'X'`; any other filter → 400 `Request_UnsupportedQuery`.
//! - `directoryobject-getbyids`: `POST /v1.0/directoryObjects/getByIds` with `{ids, types}`
//!   → `{"value": [object with "@odata.type"]}`; unknown IDs are left out.
//! - `resources/serviceprincipal`: `id`, `appId`, `displayName`, `servicePrincipalNames`,
//!   `servicePrincipalType` (`Application`, `ManagedIdentity`), `accountEnabled`,
//!   `appOwnerOrganizationId`, `alternativeNames` (a managed identity's: `isExplicit=True`
//!   and its ARM ID).
//! - Errors: `{"error": {"code", "message", "innerError": {"date", "request-id",
//!   "client-request-id"}}}` (https://learn.microsoft.com/en-us/graph/errors); 401
//!   `InvalidAuthenticationToken` without a valid Graph token when the emulator requires
//!   sign-in.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::auth::{AuthClient, ClientCredential, Gate};
use crate::handler::App;
use crate::util::{self, ArmResult, at, now_ms, rfc3339};

/// State of the Graph routes: the sign-in gate (tokens, known applications) and the store.
#[derive(Clone)]
pub(crate) struct GraphState {
    pub gate: Arc<Gate>,
    pub app: Arc<App>,
}

/// `ANY /v1.0/{*path}`: checks the Graph token (when sign-in is required), builds the
/// directory and answers with [`answer`].
pub(crate) async fn entry(
    State(st): State<GraphState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let client_request_id = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(util::uuid);
    let (status, value) = match st.gate.graph_token_problem(&headers) {
        Some(msg) => error(401, "InvalidAuthenticationToken", msg, &client_request_id),
        None => {
            let segs: Vec<String> = uri
                .path()
                .split('/')
                .filter(|s| !s.is_empty())
                .skip(1)
                .map(|s| util::percent_decode(s).to_ascii_lowercase())
                .collect();
            let query = util::parse_query(uri.query());
            let app = st.app.clone();
            let gate = st.gate.clone();
            let dir = tokio::task::spawn_blocking(move || {
                let mut all = client_principals(gate.clients());
                all.extend(app.in_transaction(identity_principals)?);
                Ok::<_, util::ArmError>(all)
            })
            .await;
            match dir {
                Ok(Ok(all)) => answer(
                    method.as_str(),
                    &segs,
                    &query,
                    &body,
                    &all,
                    &client_request_id,
                ),
                Ok(Err(e)) => error(500, "InternalServerError", &e.message, &client_request_id),
                Err(e) => error(
                    500,
                    "InternalServerError",
                    &e.to_string(),
                    &client_request_id,
                ),
            }
        }
    };
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [
            (
                "content-type",
                "application/json; charset=utf-8".to_string(),
            ),
            ("client-request-id", client_request_id),
        ],
        value.to_string(),
    )
        .into_response()
}

/// One service principal per application the token endpoint knows (object ID = the `oid`
/// its tokens carry).
pub(crate) fn client_principals(clients: &[AuthClient]) -> Vec<Principal> {
    let mut out: Vec<Principal> = Vec::new();
    for c in clients {
        let id = crate::auth::object_id(&c.tenant, &c.client_id);
        if out.iter().any(|p| p.id == id) {
            continue;
        }
        out.push(Principal {
            id,
            app_id: c.client_id.clone(),
            display_name: match c.credential {
                ClientCredential::Secret(_) => format!("capz-local-{}", c.client_id),
                ClientCredential::Federated { .. } => {
                    format!("capz-local-federated-{}", c.client_id)
                }
            },
            kind: "Application",
            resource_id: None,
            tenant: c.tenant.clone(),
        });
    }
    out
}

/// One service principal of the emulator's directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// Object ID.
    pub id: String,
    /// Application (client) ID.
    pub app_id: String,
    pub display_name: String,
    /// `Application` or `ManagedIdentity`.
    pub kind: &'static str,
    /// For a managed identity, its ARM ID.
    pub resource_id: Option<String>,
    pub tenant: String,
}

impl Principal {
    /// The `servicePrincipal` resource's JSON.
    pub fn to_json(&self) -> Value {
        let mut names = vec![json!(self.app_id)];
        let mut alternative = Vec::new();
        if let Some(r) = &self.resource_id {
            names.push(json!(r));
            alternative.push(json!("isExplicit=True"));
            alternative.push(json!(r));
        }
        json!({
            "@odata.type": "#microsoft.graph.servicePrincipal",
            "id": self.id,
            "appId": self.app_id,
            "displayName": self.display_name,
            "servicePrincipalNames": names,
            "servicePrincipalType": self.kind,
            "accountEnabled": true,
            "appOwnerOrganizationId": self.tenant,
            "alternativeNames": alternative,
            "tags": [],
        })
    }
}

/// The service principals of every user-assigned identity in `tx`'s store.
pub(crate) fn identity_principals(tx: &rusqlite::Transaction<'_>) -> ArmResult<Vec<Principal>> {
    let mut out = Vec::new();
    let mut stmt = tx.prepare(
        "SELECT id, body FROM resources WHERE type_lc = 'microsoft.managedidentity/userassignedidentities' AND op_id IS NULL ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (id, body) = row?;
        let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let s = |k: &str| {
            at(&body, &["properties", k])
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        out.push(Principal {
            id: s("principalId"),
            app_id: s("clientId"),
            display_name: body
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            kind: "ManagedIdentity",
            resource_id: Some(id),
            tenant: s("tenantId"),
        });
    }
    Ok(out)
}

/// A Graph error response: (status, body).
pub(crate) fn error(
    status: u16,
    code: &str,
    message: &str,
    client_request_id: &str,
) -> (u16, Value) {
    (
        status,
        json!({"error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": rfc3339(now_ms()),
                "request-id": util::uuid(),
                "client-request-id": client_request_id,
            }
        }}),
    )
}

/// Which principals an OData `$filter` selects, or `None` when the filter is not one of
/// the supported forms (see the module docs).
pub fn filter(all: &[Principal], expr: &str) -> Option<Vec<Principal>> {
    let expr = expr.trim();
    let quoted = |s: &str| -> Option<String> {
        let s = s.trim();
        let inner = s.strip_prefix('\'')?.strip_suffix('\'')?;
        Some(inner.replace("''", "'"))
    };
    if let Some(rest) = expr.strip_prefix("servicePrincipalNames/any(") {
        let body = rest.strip_suffix(')')?;
        let (var, cond) = body.split_once(':')?;
        let value = quoted(
            cond.trim()
                .strip_prefix(var.trim())?
                .trim()
                .strip_prefix("eq")?,
        )?;
        return Some(
            all.iter()
                .filter(|p| {
                    p.app_id.eq_ignore_ascii_case(&value)
                        || p.resource_id
                            .as_deref()
                            .is_some_and(|r| r.eq_ignore_ascii_case(&value))
                })
                .cloned()
                .collect(),
        );
    }
    let (field, value) = expr.split_once(" eq ")?;
    let value = quoted(value)?;
    let pick: fn(&Principal) -> &str = match field.trim() {
        "appId" => |p| &p.app_id,
        "id" => |p| &p.id,
        "displayName" => |p| &p.display_name,
        _ => return None,
    };
    Some(
        all.iter()
            .filter(|p| pick(p).eq_ignore_ascii_case(&value))
            .cloned()
            .collect(),
    )
}

/// Answers one Graph request (`segs` after `v1.0`, lower-cased; `query` decoded; `body`
/// the request body) from the directory `all`: (status, JSON body).
pub fn answer(
    method: &str,
    segs: &[String],
    query: &[(String, String)],
    body: &[u8],
    all: &[Principal],
    client_request_id: &str,
) -> (u16, Value) {
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (method, segs.as_slice()) {
        ("GET", ["serviceprincipals"]) => {
            let picked = match query.iter().find(|(k, _)| k == "$filter") {
                None => Some(all.to_vec()),
                Some((_, f)) => filter(all, f),
            };
            match picked {
                Some(p) => (
                    200,
                    json!({
                        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals",
                        "value": p.iter().map(Principal::to_json).collect::<Vec<_>>(),
                    }),
                ),
                None => error(
                    400,
                    "Request_UnsupportedQuery",
                    "Unsupported query. The emulator's Graph supports $filter=servicePrincipalNames/any(c:c eq '...'), appId eq '...', id eq '...' and displayName eq '...'.",
                    client_request_id,
                ),
            }
        }
        ("GET", ["serviceprincipals", id]) => {
            match all.iter().find(|p| p.id.eq_ignore_ascii_case(id)) {
                Some(p) => (200, p.to_json()),
                None => error(
                    404,
                    "Request_ResourceNotFound",
                    &format!(
                        "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
                    ),
                    client_request_id,
                ),
            }
        }
        ("POST", ["directoryobjects", "getbyids"]) => {
            let Ok(req) = serde_json::from_slice::<Value>(body) else {
                return error(
                    400,
                    "BadRequest",
                    "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
                    client_request_id,
                );
            };
            let Some(ids) = req.get("ids").and_then(Value::as_array) else {
                return error(
                    400,
                    "Request_BadRequest",
                    "Invalid request: the property 'ids' (an array of object IDs) is required.",
                    client_request_id,
                );
            };
            let value: Vec<Value> = ids
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|id| all.iter().find(|p| p.id.eq_ignore_ascii_case(id)))
                .map(Principal::to_json)
                .collect();
            (
                200,
                json!({
                    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects",
                    "value": value,
                }),
            )
        }
        _ => error(
            400,
            "BadRequest",
            &format!(
                "Resource not found for the segment '{}'. The emulator's Graph serves GET /v1.0/servicePrincipals and POST /v1.0/directoryObjects/getByIds.",
                segs.first().copied().unwrap_or("")
            ),
            client_request_id,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> Vec<Principal> {
        vec![
            Principal {
                id: "oid-1".into(),
                app_id: "app-1".into(),
                display_name: "ci".into(),
                kind: "Application",
                resource_id: None,
                tenant: "t".into(),
            },
            Principal {
                id: "oid-2".into(),
                app_id: "app-2".into(),
                display_name: "aso".into(),
                kind: "ManagedIdentity",
                resource_id: Some("/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aso".into()),
                tenant: "t".into(),
            },
        ]
    }

    #[test]
    fn filters_by_service_principal_name() {
        let d = dir();
        let got = filter(&d, "servicePrincipalNames/any(c:c eq 'APP-2')").unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].id, "oid-2");
        assert!(
            filter(&d, "servicePrincipalNames/any(c:c eq 'nope')")
                .unwrap()
                .is_empty()
        );
        assert_eq!(filter(&d, "appId eq 'app-1'").unwrap()[0].id, "oid-1");
        assert!(filter(&d, "startswith(displayName,'a')").is_none());
    }

    #[test]
    fn get_by_ids_leaves_unknown_ids_out() {
        let d = dir();
        let (status, body) = answer(
            "POST",
            &["directoryobjects".into(), "getbyids".into()],
            &[],
            br#"{"ids":["oid-2","missing"],"types":["servicePrincipal"]}"#,
            &d,
            "c",
        );
        assert_eq!(status, 200);
        assert_eq!(body["value"].as_array().map(Vec::len), Some(1));
        assert_eq!(
            body["value"][0]["@odata.type"],
            "#microsoft.graph.servicePrincipal"
        );
        let (status, body) = answer(
            "GET",
            &["serviceprincipals".into()],
            &[("$filter".into(), "bogus".into())],
            b"",
            &d,
            "c",
        );
        assert_eq!(status, 400);
        assert_eq!(body["error"]["code"], "Request_UnsupportedQuery");
    }
}
