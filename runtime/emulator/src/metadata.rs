//! What a client reads before it signs in: ARM's cloud metadata (`GET /metadata/endpoints`),
//! the OpenID discovery document of the emulator's token endpoint, Entra's instance
//! discovery, and the tenant list (`GET /tenants`). All unauthenticated except `/tenants`
//! (which, like ARM's, sits behind the bearer check: see [`crate::auth::arm_gate`]).
//!
//! The emulator is one private cloud whose every endpoint is its own address: the login
//! endpoint is the emulator (so MSAL's authority is `{base}/{tenant}` and its token
//! endpoint the existing `POST /{tenant}/oauth2/v2.0/token`), Microsoft Graph is served at
//! `{base}/v1.0/...` (`graph.rs`), and the ARM audiences are ARM's own
//! ([`crate::auth::ARM_AUDIENCES`]), so a client asks for the same token scope it would ask
//! Azure for.
//!
//! Sources:
//! - Cloud metadata: `https://management.azure.com/metadata/endpoints?api-version=2022-09-01`
//!   field names (`portal`, `authentication.{loginEndpoint, audiences, tenant,
//!   identityProvider}`, `media`, `graphAudience`, `graph`, `name`, `suffixes.*`, `batch`,
//!   `resourceManager`, `vmImageAliasDoc`, `activeDirectoryDataLake`, `sqlManagement`,
//!   `microsoftGraphResourceId`, `appInsightsResourceId`, ...) as azure-cli 2.91 reads them
//!   (`azure/cli/core/cloud.py` `_arm_to_cli_mapper`; `az cloud register
//!   --endpoint-resource-manager URL` GETs `URL + "/metadata/endpoints?api-version=2022-09-01"`,
//!   `azure/cli/command_modules/cloud/custom.py` `_populate_from_metadata_endpoint`). For
//!   api-versions from 2020-06-01 the public cloud answers a list of every cloud
//!   (Azure/msrestazure-for-python#165), which `az cloud register` cannot read
//!   (Azure/azure-cli#31547); a single private cloud (Azure Stack Hub) answers one object,
//!   and so does the emulator.
//! - OpenID discovery: `https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration`
//!   (https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc), the keys
//!   MSAL Python reads (`msal/authority.py`: `authorization_endpoint`, `token_endpoint`,
//!   `issuer`, `device_authorization_endpoint`).
//! - Instance discovery: `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=...`
//!   answering `{tenant_discovery_endpoint, api-version, metadata: [{preferred_network,
//!   preferred_cache, aliases}]}` (MSAL Python `_instance_discovery`; an unknown authority
//!   gets `{"error": "invalid_instance"}`).
//! - Tenants: `Tenants_List` in `resources/.../Microsoft.Resources/subscriptions/stable/2022-12-01/subscriptions.json`
//!   (`TenantIdDescription`: `id`, `tenantId`, `tenantCategory`, `country`,
//!   `countryCode`, `displayName`, `domains`, `defaultDomain`, `tenantType`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::LOCAL_TENANT;

/// The name the cloud metadata gives the emulator's cloud (what `az cloud list` shows when
/// the user registers it without `-n`; `az cloud register -n NAME` overrides it).
pub const CLOUD_NAME: &str = "CapzLocal";

/// `GET /metadata/endpoints?api-version=...` for an emulator at `base` (no trailing
/// slash): one cloud object whose login endpoint, Graph and resource manager are `base`.
/// Suffixes are the public cloud's (the emulator serves no data plane).
pub fn cloud_metadata(base: &str) -> Value {
    json!({
        "name": CLOUD_NAME,
        "portal": base,
        "resourceManager": format!("{base}/"),
        "authentication": {
            "loginEndpoint": base,
            "audiences": [
                format!("{}/", crate::auth::ARM_AUDIENCES[1]),
                format!("{}/", crate::auth::ARM_AUDIENCES[0]),
            ],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "graph": format!("{base}/"),
        "graphAudience": format!("{base}/"),
        "microsoftGraphResourceId": format!("{base}/"),
        "media": "https://rest.media.azure.net",
        "batch": "https://batch.core.windows.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json",
        "appInsightsResourceId": "https://api.applicationinsights.io",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
        "suffixes": {
            "acrLoginServer": "azurecr.io",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "keyVaultDns": "vault.azure.net",
            "mhsmDns": "managedhsm.azure.net",
            "mysqlServerEndpoint": "mysql.database.azure.com",
            "postgresqlServerEndpoint": "postgres.database.azure.com",
            "sqlServerHostname": "database.windows.net",
            "storage": "core.windows.net",
            "storageSyncEndpointSuffix": "afs.azure.net",
            "synapseAnalytics": "dev.azuresynapse.net",
            "attestationEndpoint": "attest.azure.net",
        },
    })
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration` for an emulator at `base`
/// (`/{tenant}/.well-known/openid-configuration`, the v1 document, answers the same
/// endpoints). Any tenant answers: the token endpoint decides whether it knows it.
pub fn openid_configuration(base: &str, tenant: &str) -> Value {
    let t = format!("{base}/{tenant}");
    json!({
        "issuer": format!("{t}/v2.0"),
        "authorization_endpoint": format!("{t}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{t}/oauth2/v2.0/token"),
        "device_authorization_endpoint": format!("{t}/oauth2/v2.0/devicecode"),
        "end_session_endpoint": format!("{t}/oauth2/v2.0/logout"),
        "jwks_uri": format!("{t}/discovery/v2.0/keys"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "name"],
        "tenant_region_scope": null,
        "cloud_instance_name": "capz.local",
        "cloud_graph_host_name": host_of(base),
        "msgraph_host": host_of(base),
        "request_uri_parameter_supported": false,
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "kerberos_endpoint": format!("{t}/kerberos"),
    })
}

/// `GET /common/discovery/instance?authorization_endpoint=URL` (any tenant path segment
/// in place of `common`): an authorization endpoint on this emulator's host gets its
/// tenant's discovery document; any other host gets Entra's `invalid_instance` (400).
pub fn instance_discovery(base: &str, query: &[(String, String)]) -> Response {
    let endpoint = query
        .iter()
        .find(|(k, _)| k == "authorization_endpoint")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let host = host_of(base);
    let tenant = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"))
        .and_then(|rest| rest.split_once('/'))
        .filter(|(h, _)| same_host(h, &host) || same_host(h, host_name(&host)))
        .and_then(|(_, path)| path.split('/').next())
        .filter(|t| !t.is_empty());
    match tenant {
        Some(t) => json_ok(&json!({
            "tenant_discovery_endpoint": format!("{base}/{t}/v2.0/.well-known/openid-configuration"),
            "api-version": "1.1",
            "metadata": [{
                "preferred_network": host,
                "preferred_cache": host,
                "aliases": [host],
            }],
        })),
        None => (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/json; charset=utf-8")],
            json!({
                "error": "invalid_instance",
                "error_description": format!(
                    "AADSTS50049: Unknown or invalid instance. The authorization endpoint '{endpoint}' is not on this emulator ({host})."
                ),
                "error_codes": [50049],
            })
            .to_string(),
        )
            .into_response(),
    }
}

/// `GET /tenants`: the one tenant every subscription of the emulator belongs to.
pub fn tenants() -> Value {
    json!({
        "value": [{
            "id": format!("/tenants/{LOCAL_TENANT}"),
            "tenantId": LOCAL_TENANT,
            "tenantCategory": "Home",
            "country": "US",
            "countryCode": "US",
            "displayName": "capz local",
            "domains": ["capz.local"],
            "defaultDomain": "capz.local",
            "tenantType": "AAD",
        }]
    })
}

/// `host:port` of a base URL (`https://127.0.0.1:8443` → `127.0.0.1:8443`).
pub fn host_of(base: &str) -> String {
    base.split_once("://")
        .map(|x| x.1)
        .unwrap_or(base)
        .trim_end_matches('/')
        .to_string()
}

/// The host of a `host:port` (MSAL Python sends the authorization endpoint of an authority
/// without its port: `https://127.0.0.1/{tenant}/oauth2/v2.0/authorize`).
fn host_name(host_port: &str) -> &str {
    match host_port.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|c| c.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => host_port,
    }
}

/// Whether two `host:port` strings name the same loopback listener (`127.0.0.1`, `localhost`
/// and `[::1]` are the names the emulator's certificate carries, so all three reach it).
pub fn same_host(a: &str, b: &str) -> bool {
    fn split(h: &str) -> (String, String) {
        let (host, port) = match h.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(':') && p.bytes().all(|c| c.is_ascii_digit()) => (h, p),
            _ => (h, ""),
        };
        let host = host.to_ascii_lowercase();
        let host = match host.as_str() {
            "localhost" | "[::1]" | "127.0.0.1" => "loopback".to_string(),
            _ => host,
        };
        (host, port.to_string())
    }
    split(a) == split(b)
}

pub(crate) fn json_ok(body: &Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// Collapses runs of `/` in a request path (`//metadata/endpoints` → `/metadata/endpoints`):
/// clients join a registered endpoint that ends in `/` with paths that start with one
/// (`az cloud register --endpoint-resource-manager https://127.0.0.1:PORT/`). The query is
/// kept as sent.
pub fn collapse_slashes(path_and_query: &str) -> Option<String> {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    if !path.contains("//") {
        return None;
    }
    let mut out = String::with_capacity(path_and_query.len());
    let mut last_slash = false;
    for c in path.chars() {
        if c == '/' {
            if last_slash {
                continue;
            }
            last_slash = true;
        } else {
            last_slash = false;
        }
        out.push(c);
    }
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_double_slashes_in_the_path_only() {
        assert_eq!(
            collapse_slashes("//metadata/endpoints?api-version=2022-09-01").as_deref(),
            Some("/metadata/endpoints?api-version=2022-09-01")
        );
        assert_eq!(
            collapse_slashes("/subscriptions//x///y?a=http://b").as_deref(),
            Some("/subscriptions/x/y?a=http://b")
        );
        assert_eq!(collapse_slashes("/subscriptions?a=//b"), None);
    }

    #[test]
    fn loopback_names_are_one_host() {
        assert!(same_host("127.0.0.1:8443", "localhost:8443"));
        assert!(same_host("[::1]:8443", "127.0.0.1:8443"));
        assert!(!same_host("127.0.0.1:8443", "127.0.0.1:8444"));
        assert!(!same_host("login.microsoftonline.com", "127.0.0.1:8443"));
    }

    #[test]
    fn metadata_points_every_endpoint_at_the_emulator() {
        let m = cloud_metadata("https://127.0.0.1:9");
        assert_eq!(m["authentication"]["loginEndpoint"], "https://127.0.0.1:9");
        assert_eq!(m["resourceManager"], "https://127.0.0.1:9/");
        assert_eq!(m["microsoftGraphResourceId"], "https://127.0.0.1:9/");
        assert_eq!(
            m["authentication"]["audiences"][0],
            "https://management.core.windows.net/"
        );
    }

    #[test]
    fn instance_discovery_knows_only_this_host() {
        let base = "https://127.0.0.1:9";
        let q = |e: &str| vec![("authorization_endpoint".to_string(), e.to_string())];
        let ok = instance_discovery(base, &q("https://localhost:9/t1/oauth2/v2.0/authorize"));
        assert_eq!(ok.status(), StatusCode::OK);
        // MSAL Python leaves the port out.
        let ok = instance_discovery(base, &q("https://127.0.0.1/t1/oauth2/v2.0/authorize"));
        assert_eq!(ok.status(), StatusCode::OK);
        let bad = instance_discovery(
            base,
            &q("https://login.microsoftonline.com/t1/oauth2/v2.0/authorize"),
        );
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    }
}
