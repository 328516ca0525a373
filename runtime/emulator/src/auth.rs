//! Sign-in for the emulator: an OAuth2 token endpoint shaped like Microsoft Entra ID's v2
//! endpoint, the bearer-token check ARM makes on every request, and resource provider
//! registration (`MissingSubscriptionRegistration`).
//!
//! Sources:
//! - Token endpoint, client credentials with a secret or a client assertion (workload
//!   identity federation), response and error shapes:
//!   https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
//!   and https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
//!   (AADSTS codes).
//! - ARM's 401s (`AuthenticationFailed` without a header, `InvalidAuthenticationToken`,
//!   `ExpiredAuthenticationToken`) with `WWW-Authenticate: Bearer authorization_uri=...,
//!   error="invalid_token", error_description=...`: the bodies ARM returns
//!   (https://learn.microsoft.com/en-us/azure/azure-resource-manager/troubleshooting/common-deployment-errors).
//! - Provider registration: 409 `MissingSubscriptionRegistration`
//!   (https://learn.microsoft.com/en-us/azure/azure-resource-manager/troubleshooting/error-register-resource-provider),
//!   `POST /subscriptions/{s}/providers/{ns}/register`, `GET .../providers/{ns}` and
//!   `GET /subscriptions/{s}/providers` (`Providers_Register`/`Providers_Get`/
//!   `Providers_List` in resources.json 2025-04-01; bodies in `providers.rs`).
//!
//! Tokens are JWT-shaped (`aud`, `iss`, `tid`, `appid`, `oid`, `iat`, `nbf`, `exp`) but
//! the emulator only accepts the exact strings it issued (kept in memory: a restarted
//! emulator forgets them, as a new signing key would). Tokens and secrets are never logged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::util::{self, now_ms, rfc3339};

/// The audience ARM accepts (scope `https://management.azure.com/.default`), with the
/// older `https://management.core.windows.net/` one; compared without trailing slash,
/// case-insensitively.
pub const ARM_AUDIENCES: [&str; 2] = [
    "https://management.azure.com",
    "https://management.core.windows.net",
];

/// `client_assertion_type` of a federated (JWT bearer) client assertion.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Audience a workload identity's federated token carries (AKS and GitHub default).
pub const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// Sign-in settings of [`crate::Config::auth`].
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// When true, every ARM request needs `Authorization: Bearer <token>` with an
    /// unexpired token issued by this emulator's token endpoint for ARM's audience.
    /// The token endpoint is served either way.
    pub require_auth: bool,
    /// The applications the token endpoint knows.
    pub clients: Vec<AuthClient>,
    /// Lifetime of issued tokens in seconds (`expires_in`); default 3599 as Entra ID.
    /// Tests set it to a second or two to see tokens expire.
    pub token_lifetime_secs: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            require_auth: false,
            clients: Vec::new(),
            token_lifetime_secs: 3599,
        }
    }
}

/// One application registration: a tenant, a client (application) ID and one way to
/// prove it. Register the same client twice to accept both a secret and an assertion.
#[derive(Debug, Clone)]
pub struct AuthClient {
    /// Directory (tenant) ID, compared case-insensitively.
    pub tenant: String,
    /// Application (client) ID, compared case-insensitively.
    pub client_id: String,
    /// How the client proves itself.
    pub credential: ClientCredential,
}

/// A client's credential. `Debug` never shows the secret.
#[derive(Clone)]
pub enum ClientCredential {
    /// `client_secret` must equal this.
    Secret(String),
    /// A federated identity credential: `client_assertion` must be a JWT whose `aud`
    /// contains `api://AzureADTokenExchange`, unexpired (`exp`, `nbf`), whose `iss` and
    /// `sub` equal these when given. The JWT signature is not verified (the emulator has
    /// no access to the issuer's keys); everything else Entra checks is.
    Federated {
        /// Required `iss`, if any.
        issuer: Option<String>,
        /// Required `sub`, if any (e.g. `system:serviceaccount:NS:NAME`).
        subject: Option<String>,
    },
}

impl std::fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientCredential::Secret(_) => f.write_str("Secret(<redacted>)"),
            ClientCredential::Federated { issuer, subject } => f
                .debug_struct("Federated")
                .field("issuer", issuer)
                .field("subject", subject)
                .finish(),
        }
    }
}

/// A resource provider namespace that is not registered, on one subscription or on all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnregisteredProvider {
    /// Subscription ID; `None` = every subscription.
    pub subscription: Option<String>,
    /// Namespace, e.g. `Microsoft.ContainerService` (case-insensitive).
    pub namespace: String,
}

struct Issued {
    expires_ms: i64,
    audience: String,
}

/// Shared state of the gate (auth + provider registration) and the token endpoint.
pub(crate) struct Gate {
    config: AuthConfig,
    base_url: std::sync::OnceLock<String>,
    tokens: Mutex<HashMap<String, Issued>>,
    /// (subscription or "*", namespace), lower-cased.
    unregistered: Mutex<Vec<(String, String)>>,
}

impl Gate {
    pub(crate) fn new(config: AuthConfig, unregistered: &[UnregisteredProvider]) -> Self {
        Gate {
            config,
            base_url: std::sync::OnceLock::new(),
            tokens: Mutex::new(HashMap::new()),
            unregistered: Mutex::new(
                unregistered
                    .iter()
                    .map(|u| {
                        (
                            u.subscription
                                .as_deref()
                                .unwrap_or("*")
                                .to_ascii_lowercase(),
                            u.namespace.to_ascii_lowercase(),
                        )
                    })
                    .collect(),
            ),
        }
    }

    pub(crate) fn set_base_url(&self, url: String) {
        let _ = self.base_url.set(url);
    }

    /// `https://127.0.0.1:PORT` (no trailing slash); empty before the listener is bound.
    pub(crate) fn base(&self) -> &str {
        self.base_url.get().map(String::as_str).unwrap_or("")
    }

    /// The applications the token endpoint knows.
    pub(crate) fn clients(&self) -> &[AuthClient] {
        &self.config.clients
    }

    /// Why a Microsoft Graph request may not go on (`None` = it may): with sign-in required,
    /// it needs a bearer token issued here for Graph's audience (this emulator's address,
    /// any loopback name, or `https://graph.microsoft.com`), unexpired.
    pub(crate) fn graph_token_problem(&self, headers: &HeaderMap) -> Option<&'static str> {
        if !self.config.require_auth {
            return None;
        }
        let Some(token) = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().to_string())
        else {
            return Some("Access token is empty.");
        };
        let found = self
            .tokens
            .lock()
            .ok()
            .and_then(|t| t.get(&token).map(|i| (i.expires_ms, i.audience.clone())));
        match found {
            None => Some("Invalid JWT token. The token was not issued by this emulator."),
            Some((exp, _)) if exp <= now_ms() => {
                Some("Lifetime validation failed, the token is expired.")
            }
            Some((_, aud)) => {
                let host = crate::metadata::host_of(&aud);
                let ours =
                    crate::metadata::same_host(&host, &crate::metadata::host_of(self.base()));
                if ours || host.eq_ignore_ascii_case("graph.microsoft.com") {
                    None
                } else {
                    Some(
                        "Invalid audience. The token was issued for another resource than Microsoft Graph.",
                    )
                }
            }
        }
    }

    fn authority(&self) -> String {
        format!(
            "{}/{}",
            self.base_url.get().map(String::as_str).unwrap_or(""),
            crate::LOCAL_TENANT
        )
    }

    fn is_unregistered(&self, sub_lc: &str, ns_lc: &str) -> bool {
        self.unregistered
            .lock()
            .map(|u| {
                u.iter()
                    .any(|(s, n)| n == ns_lc && (s == "*" || s == sub_lc))
            })
            .unwrap_or(false)
    }

    /// Registers `ns_lc` on `sub_lc`. A namespace configured as unregistered on every
    /// subscription (`subscription: None`) becomes registered on all of them.
    fn register(&self, sub_lc: &str, ns_lc: &str) {
        if let Ok(mut u) = self.unregistered.lock() {
            u.retain(|(s, n)| !(n == ns_lc && (s == sub_lc || s == "*")));
        }
    }
}

/// An Entra ID error (HTTP status, `error`, AADSTS number, description).
struct AadError {
    status: StatusCode,
    error: &'static str,
    code: u32,
    description: String,
}

impl AadError {
    fn new(status: u16, error: &'static str, code: u32, description: impl Into<String>) -> Self {
        AadError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            error,
            code,
            description: description.into(),
        }
    }

    fn into_response(self, correlation: &str) -> Response {
        let trace = util::uuid();
        let now = rfc3339(now_ms());
        let body = json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {now}",
                self.code, self.description
            ),
            "error_codes": [self.code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        });
        json_response(self.status, &body, &[])
    }
}

fn json_response(status: StatusCode, body: &Value, headers: &[(&str, String)]) -> Response {
    let mut r = (
        status,
        [("content-type", "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response();
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::try_from(*k),
            axum::http::HeaderValue::try_from(v.as_str()),
        ) {
            r.headers_mut().append(k, v);
        }
    }
    r
}

/// `POST /{tenant}/oauth2/v2.0/token` (form body). Grant `client_credentials` with
/// `client_secret`, or with `client_assertion_type` = [`JWT_BEARER`] and
/// `client_assertion`. `scope` must be one resource's `/.default`. Success: 200
/// `{token_type: "Bearer", expires_in, ext_expires_in, access_token}`.
pub(crate) async fn token_endpoint(
    State(gate): State<Arc<Gate>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let correlation = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(util::uuid);
    match issue(&gate, &tenant, &body) {
        Ok(body) => json_response(
            StatusCode::OK,
            &body,
            &[
                ("client-request-id", correlation.clone()),
                ("cache-control", "no-store".into()),
            ],
        ),
        Err(e) => e.into_response(&correlation),
    }
}

/// `GET /metadata/endpoints?api-version=...` (unauthenticated, as ARM serves it):
/// [`crate::metadata::cloud_metadata`].
pub(crate) async fn cloud_metadata(State(gate): State<Arc<Gate>>) -> Response {
    crate::metadata::json_ok(&crate::metadata::cloud_metadata(gate.base()))
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`:
/// [`crate::metadata::openid_configuration`].
pub(crate) async fn openid_configuration(
    State(gate): State<Arc<Gate>>,
    Path(tenant): Path<String>,
) -> Response {
    crate::metadata::json_ok(&crate::metadata::openid_configuration(gate.base(), &tenant))
}

/// `GET /{tenant}/discovery/instance?authorization_endpoint=...`:
/// [`crate::metadata::instance_discovery`].
pub(crate) async fn instance_discovery(
    State(gate): State<Arc<Gate>>,
    uri: axum::http::Uri,
) -> Response {
    crate::metadata::instance_discovery(gate.base(), &util::parse_query(uri.query()))
}

fn issue(gate: &Gate, tenant: &str, body: &[u8]) -> Result<Value, AadError> {
    let form_text = String::from_utf8_lossy(body);
    let form: HashMap<String, String> = util::parse_query(Some(&form_text)).into_iter().collect();
    let param = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let missing = |k: &str| {
        AadError::new(
            400,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{k}'."),
        )
    };
    let known_tenant = gate
        .config
        .clients
        .iter()
        .any(|c| c.tenant.eq_ignore_ascii_case(tenant));
    if !known_tenant {
        return Err(AadError::new(
            400,
            "invalid_request",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        ));
    }
    let grant = param("grant_type").ok_or_else(|| missing("grant_type"))?;
    if grant != "client_credentials" {
        return Err(AadError::new(
            400,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant}'."),
        ));
    }
    let client_id = param("client_id").ok_or_else(|| missing("client_id"))?;
    let scope = param("scope").ok_or_else(|| missing("scope"))?;
    let audience = match scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()[..]
    {
        [one] if one.ends_with("/.default") => one.trim_end_matches("/.default").to_string(),
        _ => {
            return Err(AadError::new(
                400,
                "invalid_scope",
                1002012,
                format!(
                    "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                ),
            ));
        }
    };
    let registrations: Vec<&AuthClient> = gate
        .config
        .clients
        .iter()
        .filter(|c| {
            c.tenant.eq_ignore_ascii_case(tenant) && c.client_id.eq_ignore_ascii_case(client_id)
        })
        .collect();
    if registrations.is_empty() {
        return Err(AadError::new(
            400,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        ));
    }
    let now = now_ms();
    if let Some(secret) = param("client_secret") {
        let ok = registrations.iter().any(|c| {
            matches!(&c.credential, ClientCredential::Secret(s) if constant_time_eq(s.as_bytes(), secret.as_bytes()))
        });
        if !ok {
            return Err(AadError::new(
                401,
                "invalid_client",
                7000215,
                format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                ),
            ));
        }
    } else if let Some(assertion) = param("client_assertion") {
        let kind =
            param("client_assertion_type").ok_or_else(|| missing("client_assertion_type"))?;
        if kind != JWT_BEARER {
            return Err(AadError::new(
                400,
                "invalid_request",
                50027,
                format!("Invalid client_assertion_type '{kind}': expected '{JWT_BEARER}'."),
            ));
        }
        check_assertion(&registrations, assertion, now)?;
    } else {
        return Err(AadError::new(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    }
    let lifetime = gate.config.token_lifetime_secs;
    let exp_ms = now + (lifetime as i64).saturating_mul(1000);
    let claims = json!({
        "aud": audience,
        "iss": format!("https://sts.windows.net/{tenant}/"),
        "tid": tenant,
        "appid": client_id,
        "oid": object_id(tenant, client_id),
        "iat": now / 1000,
        "nbf": now / 1000,
        "exp": exp_ms / 1000,
    });
    let header = json!({"typ": "JWT", "alg": "none", "kid": "capz-emulator"});
    let token = format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes()),
        b64url(format!("{}{}", util::uuid(), util::uuid()).as_bytes())
    );
    if let Ok(mut t) = gate.tokens.lock() {
        t.retain(|_, i| i.expires_ms > now - 3_600_000);
        t.insert(
            token.clone(),
            Issued {
                expires_ms: exp_ms,
                audience,
            },
        );
    }
    Ok(json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }))
}

/// The object ID of an application's service principal: the `oid` of its tokens and its
/// `id` in the emulator's Graph (a GUID derived from tenant and client ID, stable across
/// restarts).
pub(crate) fn object_id(tenant: &str, client_id: &str) -> String {
    util::guid_from(&format!("{tenant}/{client_id}").to_ascii_lowercase())
}

fn check_assertion(regs: &[&AuthClient], assertion: &str, now: i64) -> Result<(), AadError> {
    let malformed = || {
        AadError::new(
            400,
            "invalid_request",
            50027,
            "JWT token is invalid or malformed.",
        )
    };
    let parts: Vec<&str> = assertion.split('.').collect();
    if parts.len() != 3 {
        return Err(malformed());
    }
    let claims: Value = b64url_decode(parts[1])
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(malformed)?;
    if b64url_decode(parts[0])
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .is_none()
    {
        return Err(malformed());
    }
    let now_s = now / 1000;
    let exp = claims.get("exp").and_then(Value::as_i64);
    let nbf = claims.get("nbf").and_then(Value::as_i64);
    if exp.is_none_or(|e| e <= now_s) || nbf.is_some_and(|n| n > now_s + 300) {
        return Err(AadError::new(
            400,
            "invalid_client",
            700024,
            "Client assertion is not within its valid time range.",
        ));
    }
    let auds: Vec<&str> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !auds.contains(&TOKEN_EXCHANGE_AUDIENCE) {
        return Err(AadError::new(
            400,
            "invalid_client",
            700212,
            format!(
                "No matching federated identity record found for presented assertion audience '{}'.",
                auds.join(",")
            ),
        ));
    }
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
    let matched = regs.iter().any(|c| match &c.credential {
        ClientCredential::Federated { issuer, subject } => {
            issuer.as_deref().is_none_or(|i| i == iss)
                && subject.as_deref().is_none_or(|s| s == sub)
        }
        ClientCredential::Secret(_) => false,
    });
    if !matched {
        return Err(AadError::new(
            400,
            "invalid_client",
            70021,
            format!(
                "No matching federated identity record found for presented assertion. Assertion Issuer: '{iss}'. Assertion Subject: '{sub}'. Assertion Audience: '{}'.",
                auds.join(",")
            ),
        ));
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64url without padding (RFC 4648 §5), as JWTs use.
pub(crate) fn b64url(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes base64url with or without padding; `None` on a bad character.
pub(crate) fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Lower-cased (subscription, namespace) of an ARM path `/subscriptions/{s}/.../providers/{ns}/...`.
fn provider_of(path: &str) -> Option<(String, String)> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if !segs.first()?.eq_ignore_ascii_case("subscriptions") {
        return None;
    }
    let sub = segs.get(1)?.to_ascii_lowercase();
    let i = segs
        .iter()
        .position(|s| s.eq_ignore_ascii_case("providers"))?;
    let ns = util::percent_decode(segs.get(i + 1)?).to_ascii_lowercase();
    Some((sub, ns))
}

fn arm_error(
    status: StatusCode,
    code: &str,
    message: String,
    headers: &[(&str, String)],
) -> Response {
    let mut hs: Vec<(&str, String)> = headers.to_vec();
    let id = util::uuid();
    hs.push(("x-ms-request-id", id.clone()));
    hs.push(("x-ms-correlation-request-id", id.clone()));
    hs.push(("x-ms-routing-request-id", format!("LOCAL:{id}")));
    hs.push(("x-ms-failure-cause", "gateway".into()));
    json_response(
        status,
        &json!({"error": {"code": code, "message": message}}),
        &hs,
    )
}

/// Middleware in front of every ARM request: the bearer token (when required), then
/// provider registration (`POST .../providers/{ns}/register` and `GET .../providers/{ns}`
/// are answered here; any other path under an unregistered namespace gets 409
/// `MissingSubscriptionRegistration`). Everything else goes on to the ARM handler.
pub(crate) async fn arm_gate(State(gate): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    if gate.config.require_auth
        && let Err(r) = check_bearer(&gate, req.headers())
    {
        return *r;
    }
    let path = req.uri().path().to_string();
    {
        // GET /subscriptions/{s}/providers (Providers_List): every namespace served.
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if segs.len() == 3
            && segs[0].eq_ignore_ascii_case("subscriptions")
            && segs[2].eq_ignore_ascii_case("providers")
            && req.method() == axum::http::Method::GET
        {
            let sub = segs[1].to_ascii_lowercase();
            let value: Vec<Value> = crate::providers::namespaces()
                .into_iter()
                .map(|ns| {
                    let state = if gate.is_unregistered(&sub, &ns.to_ascii_lowercase()) {
                        "NotRegistered"
                    } else {
                        "Registered"
                    };
                    crate::providers::provider(segs[1], ns, state)
                })
                .collect();
            return json_response(
                StatusCode::OK,
                &json!({ "value": value }),
                &[("x-ms-request-id", util::uuid())],
            );
        }
    }
    if let Some((sub, ns)) = provider_of(&path) {
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let method = req.method().as_str().to_ascii_uppercase();
        // /subscriptions/{s}/providers/{ns}[/register]
        let provider_api = segs.len() >= 4 && segs[2].eq_ignore_ascii_case("providers");
        let ns_cased = segs
            .iter()
            .position(|s| s.eq_ignore_ascii_case("providers"))
            .and_then(|i| segs.get(i + 1))
            .map(|s| util::percent_decode(s))
            .unwrap_or_default();
        if provider_api
            && segs.len() == 5
            && segs[4].eq_ignore_ascii_case("register")
            && method == "POST"
        {
            gate.register(&sub, &ns);
            return provider_body(&segs[1..2].concat(), &ns_cased, "Registered");
        }
        if provider_api && segs.len() == 4 && method == "GET" {
            let state = if gate.is_unregistered(&sub, &ns) {
                "NotRegistered"
            } else {
                "Registered"
            };
            return provider_body(&segs[1..2].concat(), &ns_cased, state);
        }
        if gate.is_unregistered(&sub, &ns) {
            return arm_error(
                StatusCode::CONFLICT,
                "MissingSubscriptionRegistration",
                format!(
                    "The subscription is not registered to use namespace '{ns_cased}'. See https://aka.ms/rps-not-found for how to register subscriptions."
                ),
                &[],
            );
        }
    }
    next.run(req).await
}

/// A `Provider` body (resource types, api-versions and locations from
/// [`crate::providers`]).
fn provider_body(sub: &str, ns: &str, state: &str) -> Response {
    json_response(
        StatusCode::OK,
        &crate::providers::provider(sub, ns, state),
        &[("x-ms-request-id", util::uuid())],
    )
}

fn check_bearer(gate: &Gate, headers: &HeaderMap) -> Result<(), Box<Response>> {
    let challenge = |desc: &str| {
        format!(
            "Bearer authorization_uri=\"{}\", error=\"invalid_token\", error_description=\"{desc}\"",
            gate.authority()
        )
    };
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err(Box::new(arm_error(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.".into(),
            &[(
                "www-authenticate",
                challenge("The authentication failed because of missing 'Authorization' header."),
            )],
        )));
    };
    let token = match value.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
        _ => {
            return Err(Box::new(arm_error(
                StatusCode::UNAUTHORIZED,
                "AuthenticationFailedInvalidHeader",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.".into(),
                &[("www-authenticate", challenge("The 'Authorization' header is not a Bearer token."))],
            )));
        }
    };
    let now = now_ms();
    let found = gate
        .tokens
        .lock()
        .ok()
        .and_then(|t| t.get(token).map(|i| (i.expires_ms, i.audience.clone())));
    match found {
        None => Err(Box::new(arm_error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "The access token is invalid.".into(),
            &[(
                "www-authenticate",
                challenge("The access token is invalid."),
            )],
        ))),
        Some((exp, _)) if exp <= now => Err(Box::new(arm_error(
            StatusCode::UNAUTHORIZED,
            "ExpiredAuthenticationToken",
            format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                rfc3339(exp),
                rfc3339(now)
            ),
            &[(
                "www-authenticate",
                challenge("The access token has expired."),
            )],
        ))),
        Some((_, aud)) => {
            let a = aud.trim_end_matches('/');
            if ARM_AUDIENCES.iter().any(|x| x.eq_ignore_ascii_case(a)) {
                Ok(())
            } else {
                Err(Box::new(arm_error(
                    StatusCode::UNAUTHORIZED,
                    "InvalidAuthenticationToken",
                    format!(
                        "The access token has been obtained for wrong audience or resource '{aud}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.azure.com/'."
                    ),
                    &[(
                        "www-authenticate",
                        challenge("The access token is invalid."),
                    )],
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips() {
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar", "{\"a\":1}"] {
            let e = b64url(s.as_bytes());
            assert!(!e.contains('='));
            assert_eq!(b64url_decode(&e).unwrap(), s.as_bytes());
        }
        assert_eq!(b64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(b64url(b"fo"), "Zm8");
        assert!(b64url_decode("a*b").is_none());
    }

    #[test]
    fn provider_of_paths() {
        assert_eq!(
            provider_of(
                "/subscriptions/S/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v"
            ),
            Some(("s".into(), "microsoft.network".into()))
        );
        assert_eq!(provider_of("/subscriptions/S/resourceGroups/g"), None);
        assert_eq!(provider_of("/tenant/oauth2/v2.0/token"), None);
    }

    #[test]
    fn secret_is_redacted_in_debug() {
        let c = ClientCredential::Secret("hunter2".into());
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
