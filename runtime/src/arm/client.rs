//! The ARM HTTP client: one implementation for management.azure.com and the local emulator.
//!
//! Every request carries `api-version`, a fresh `x-ms-client-request-id` (UUID v4), one
//! `x-ms-correlation-request-id` per client (so all requests of one capz run correlate) and
//! `User-Agent: capz/VERSION`. Transient failures are retried with backoff: connection
//! errors, 429 (throttling, honouring `Retry-After`; see
//! <https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling>),
//! 5xx, Network's 429 `RetryableErrorDueToAnotherOperation`, and 409
//! `AnotherOperationInProgress` / AKS `OperationNotAllowed` "operation in progress".
//! Long-running operations follow the ARM async protocol (see [`super::lro`]).

use super::error::{ArmError, ArmErrorKind, parse_error_body};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value as Json;
use std::time::Duration;

/// `User-Agent` value: `capz/<crate version>`.
pub const USER_AGENT: &str = concat!("capz/", env!("CARGO_PKG_VERSION"));

/// Timing of retries and long-running-operation polls.
///
/// A wait is `Retry-After` (seconds) times `retry_after_scale`, clamped to
/// `min_poll..=max_poll`; without `Retry-After`, `min_poll` doubled per attempt, clamped.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    /// Shortest wait between polls or retries.
    pub min_poll: Duration,
    /// Longest wait between polls or retries.
    pub max_poll: Duration,
    /// Multiplier applied to `Retry-After` (1.0 for Azure; small for the local emulator).
    pub retry_after_scale: f64,
    /// Give up polling one operation after this long.
    pub poll_timeout: Duration,
    /// Retries of one request on transient failures before reporting it.
    pub max_retries: u32,
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
}

impl ClientSettings {
    /// Settings for management.azure.com: honour `Retry-After` fully, poll for up to an hour.
    pub fn azure() -> Self {
        ClientSettings {
            min_poll: Duration::from_secs(2),
            max_poll: Duration::from_secs(60),
            retry_after_scale: 1.0,
            poll_timeout: Duration::from_secs(3600),
            max_retries: 10,
            request_timeout: Duration::from_secs(120),
        }
    }

    /// Settings for the local emulator: `Retry-After` scaled down so runs take seconds.
    pub fn local() -> Self {
        ClientSettings {
            min_poll: Duration::from_millis(20),
            max_poll: Duration::from_millis(500),
            retry_after_scale: 0.05,
            poll_timeout: Duration::from_secs(600),
            max_retries: 10,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// One HTTP response as the client keeps it.
#[derive(Clone, Debug)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Parsed JSON body (`None` for an empty body).
    pub body: Option<Json>,
}

impl Response {
    /// A header as a string, if present and ASCII.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// `Retry-After` in seconds (integer form; the HTTP-date form is ignored).
    pub fn retry_after(&self) -> Option<f64> {
        self.header("retry-after")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
    }
}

/// An ARM client bound to one endpoint and subscription. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ArmClient {
    http: reqwest::Client,
    base: String,
    subscription: String,
    correlation_id: String,
    settings: ClientSettings,
    /// Bearer tokens for `Authorization` (None: no header, as the local emulator wants).
    auth: Option<std::sync::Arc<super::auth::TokenSource>>,
    /// ARM's read/write/delete token buckets, mirrored ([`super::budget`]); shared by clones.
    budget: std::sync::Arc<super::budget::Budget>,
}

/// Install ring as rustls' process-wide crypto provider (reqwest is built with
/// `rustls-no-provider`). Idempotent: an already installed provider is kept.
pub fn install_crypto_provider() {
    // Err means a provider is installed already, which is what we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl ArmClient {
    /// A client for `base_url` (e.g. `https://management.azure.com` or the emulator's
    /// `http://127.0.0.1:PORT`) and `subscription`.
    ///
    /// Errors: the HTTP client could not be built (reported as `capz::arm::unreachable`).
    pub fn new(
        base_url: &str,
        subscription: &str,
        settings: ClientSettings,
    ) -> Result<Self, ArmError> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(settings.request_timeout)
            .build()
            .map_err(|e| ArmError {
                kind: ArmErrorKind::Unreachable,
                method: "-".into(),
                resource: base_url.to_string(),
                status: None,
                arm_code: None,
                message: format!("cannot build the HTTP client: {e}"),
                request_id: None,
                correlation_id: None,
            })?;
        Ok(Self::with_http(http, base_url, subscription, settings))
    }

    /// A client over a ready HTTP client (e.g. [`super::credential::http_client`] with
    /// extra trusted CAs; it should send `User-Agent: capz/VERSION`).
    pub fn with_http(
        http: reqwest::Client,
        base_url: &str,
        subscription: &str,
        settings: ClientSettings,
    ) -> Self {
        ArmClient {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            subscription: subscription.to_string(),
            correlation_id: uuid::Uuid::new_v4().to_string(),
            settings,
            auth: None,
            budget: std::sync::Arc::new(super::budget::Budget::new(super::budget::Limits::arm())),
        }
    }

    /// Use these request limits instead of ARM's (a fresh budget; shared by later clones).
    pub fn with_limits(mut self, limits: super::budget::Limits) -> Self {
        self.budget = std::sync::Arc::new(super::budget::Budget::new(limits));
        self
    }

    /// The request budget (ARM's token buckets as this client sees them).
    pub fn budget(&self) -> &super::budget::Budget {
        &self.budget
    }

    /// Send `Authorization: Bearer TOKEN` from `tokens` on every request; a 401 answer
    /// gets one fresh token ([`super::auth::TokenSource::refresh`]) and one retry.
    pub fn with_auth(mut self, tokens: std::sync::Arc<super::auth::TokenSource>) -> Self {
        self.auth = Some(tokens);
        self
    }

    /// The token source, when requests are signed.
    pub fn auth(&self) -> Option<&std::sync::Arc<super::auth::TokenSource>> {
        self.auth.as_ref()
    }

    /// The subscription ID requests are made in.
    pub fn subscription(&self) -> &str {
        &self.subscription
    }

    /// The endpoint base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The timing settings.
    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// GET a resource by ID. `Ok(None)` when ARM says 404 (it does not exist).
    pub async fn get(&self, id: &str, api_version: &str) -> Result<Option<Json>, ArmError> {
        let r = self.send(Method::GET, id, Some(api_version), None).await?;
        match r.status {
            404 => Ok(None),
            200..=299 => Ok(Some(r.body.unwrap_or(Json::Null))),
            _ => Err(self.request_error("GET", id, &r)),
        }
    }

    /// List a collection (`{parent}/subnets`, `/subscriptions/{s}/resourcegroups`), following
    /// `nextLink` pages. A 404 (the parent does not exist) is an empty list.
    pub async fn list(&self, path: &str, api_version: &str) -> Result<Vec<Json>, ArmError> {
        let mut out = Vec::new();
        let mut r = self
            .send(Method::GET, path, Some(api_version), None)
            .await?;
        let mut pages = 0;
        loop {
            match r.status {
                404 => return Ok(out),
                200..=299 => {}
                _ => return Err(self.request_error("GET", path, &r)),
            }
            let body = r.body.unwrap_or(Json::Null);
            if let Some(items) = body.get("value").and_then(Json::as_array) {
                out.extend(items.iter().cloned());
            }
            pages += 1;
            match body.get("nextLink").and_then(Json::as_str) {
                Some(next) if !next.is_empty() && pages < 10_000 => {
                    r = self.send(Method::GET, next, None, None).await?;
                }
                _ => return Ok(out),
            }
        }
    }

    /// PUT a resource and wait for it: follows the long-running operation if ARM starts
    /// one, then GETs the resource and returns its body.
    ///
    /// Errors: request refused (`request-failed`), operation Failed/Canceled or final
    /// `provisioningState` Failed (`operation-failed`), polling too long (`timeout`).
    pub async fn put(&self, id: &str, api_version: &str, body: &Json) -> Result<Json, ArmError> {
        let r = self
            .send(Method::PUT, id, Some(api_version), Some(body))
            .await?;
        if !(200..=202).contains(&r.status) {
            return Err(self.request_error("PUT", id, &r));
        }
        self.wait(&r, "PUT", id, api_version).await?;
        let Some(live) = self.get(id, api_version).await? else {
            return Err(self.error(
                ArmErrorKind::BadResponse,
                "PUT",
                id,
                &r,
                "the operation succeeded but the resource does not exist".into(),
            ));
        };
        if provisioning_state(&live).is_some_and(|s| s.eq_ignore_ascii_case("failed")) {
            let (code, message) =
                parse_error_body(live.pointer("/properties/status/provisioningError"));
            return Err(ArmError {
                kind: ArmErrorKind::Operation,
                arm_code: code.or(Some("ProvisioningFailed".into())),
                message: message.unwrap_or_else(|| "provisioningState is Failed".into()),
                ..self.error(ArmErrorKind::Operation, "PUT", id, &r, String::new())
            });
        }
        Ok(live)
    }

    /// DELETE a resource and wait until it is gone. A 404 or 204 means nothing to delete.
    pub async fn delete(&self, id: &str, api_version: &str) -> Result<(), ArmError> {
        let r = self
            .send(Method::DELETE, id, Some(api_version), None)
            .await?;
        match r.status {
            404 | 204 => Ok(()),
            200..=202 => self.wait(&r, "DELETE", id, api_version).await,
            _ => Err(self.request_error("DELETE", id, &r)),
        }
    }

    /// Send one request with retries on transient failures. `path` is an ARM ID/path
    /// (joined to the base URL, `api-version` added) or an absolute URL (used as is: ARM's
    /// `nextLink`, `Azure-AsyncOperation` and `Location` URLs carry their own query).
    /// Returns the final response whatever its status, unless no response arrived.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        api_version: Option<&str>,
        body: Option<&Json>,
    ) -> Result<Response, ArmError> {
        let mut url = self.url(path);
        if let Some(v) = api_version {
            let sep = if url.contains('?') { '&' } else { '?' };
            url = format!("{url}{sep}api-version={v}");
        }
        let mut attempt: u32 = 0;
        let started = std::time::Instant::now();
        let mut refreshed_after_401 = false;
        // The token goes only to the ARM endpoint itself, not to an absolute URL elsewhere.
        let auth = self
            .auth
            .as_ref()
            .filter(|_| url.starts_with(&format!("{}/", self.base)));
        let mut token = match auth {
            Some(a) => Some(
                a.bearer()
                    .await
                    .map_err(|e| self.auth_error(&method, path, e))?,
            ),
            None => None,
        };
        loop {
            let mut req = self
                .http
                .request(method.clone(), &url)
                .header("x-ms-client-request-id", uuid::Uuid::new_v4().to_string())
                .header("x-ms-correlation-request-id", &self.correlation_id);
            if let Some(a) = auth {
                if attempt > 0 {
                    // Retries can come minutes later: use a token that is still fresh.
                    token = Some(
                        a.bearer()
                            .await
                            .map_err(|e| self.auth_error(&method, path, e))?,
                    );
                }
                if let Some(t) = &token {
                    req = req.bearer_auth(t.secret());
                }
            }
            if let Some(b) = body {
                req = req
                    .header("content-type", "application/json")
                    .body(b.to_string());
            }
            let class = super::budget::Class::of(&method);
            self.budget.acquire(class).await;
            let result = req.send().await;
            if let Ok(resp) = &result {
                self.budget.observe(class, resp.headers());
            }
            let retry_wait = match result {
                Err(e) => {
                    if attempt >= self.settings.max_retries {
                        return Err(ArmError {
                            kind: ArmErrorKind::Unreachable,
                            method: method.to_string(),
                            resource: path.to_string(),
                            status: None,
                            arm_code: None,
                            message: transport_message(&e),
                            request_id: None,
                            correlation_id: Some(self.correlation_id.clone()),
                        });
                    }
                    self.backoff(attempt, None)
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    let bytes = match resp.bytes().await {
                        Ok(b) => b,
                        Err(e) if attempt < self.settings.max_retries => {
                            tracing::debug!("reading body of {method} {path}: {e}");
                            attempt += 1;
                            tokio::time::sleep(self.backoff(attempt, None)).await;
                            continue;
                        }
                        Err(e) => {
                            return Err(ArmError {
                                kind: ArmErrorKind::Unreachable,
                                method: method.to_string(),
                                resource: path.to_string(),
                                status: Some(status),
                                arm_code: None,
                                message: transport_message(&e),
                                request_id: None,
                                correlation_id: Some(self.correlation_id.clone()),
                            });
                        }
                    };
                    let parsed = if bytes.iter().all(u8::is_ascii_whitespace) {
                        None
                    } else {
                        match serde_json::from_slice::<Json>(&bytes) {
                            Ok(j) => Some(j),
                            Err(e) if (200..300).contains(&status) => {
                                let r = Response {
                                    status,
                                    headers,
                                    body: None,
                                };
                                return Err(self.error(
                                    ArmErrorKind::BadResponse,
                                    method.as_str(),
                                    path,
                                    &r,
                                    format!("response body is not JSON: {e}"),
                                ));
                            }
                            // Error bodies that are not JSON still carry the status.
                            Err(_) => None,
                        }
                    };
                    let r = Response {
                        status,
                        headers,
                        body: parsed,
                    };
                    // ARM refused the token (revoked, expired early, clock skew): one fresh
                    // token and one immediate retry.
                    if status == 401
                        && !refreshed_after_401
                        && let (Some(a), Some(used)) = (auth, &token)
                    {
                        refreshed_after_401 = true;
                        tracing::debug!("{method} {path}: HTTP 401, signing in again");
                        token = Some(
                            a.refresh(used)
                                .await
                                .map_err(|e| self.auth_error(&method, path, e))?,
                        );
                        continue;
                    }
                    // Another operation on the same resource (an AKS cluster runs one at a
                    // time) can take as long as any operation: wait for it up to the poll
                    // timeout rather than a fixed number of retries.
                    let waiting_for_other =
                        is_conflict(&r) && started.elapsed() < self.settings.poll_timeout;
                    if is_transient(&r)
                        && (attempt < self.settings.max_retries || waiting_for_other)
                    {
                        tracing::debug!(
                            "{method} {path}: HTTP {status}, retry {} of {}",
                            attempt + 1,
                            self.settings.max_retries
                        );
                        let wait = self.backoff(attempt, r.retry_after());
                        if r.status == 429 && !is_conflict(&r) {
                            // Throttled: the whole client holds back, not only this request.
                            self.budget.pause(wait);
                        }
                        wait
                    } else {
                        return Ok(r);
                    }
                }
            };
            attempt += 1;
            tokio::time::sleep(retry_wait).await;
        }
    }

    /// The wait before retry number `attempt + 1` (see [`ClientSettings`]).
    pub fn backoff(&self, attempt: u32, retry_after: Option<f64>) -> Duration {
        let s = &self.settings;
        let wait = match retry_after {
            Some(secs) => Duration::try_from_secs_f64((secs * s.retry_after_scale).max(0.0))
                .unwrap_or(s.max_poll),
            None => s.min_poll.saturating_mul(1u32 << attempt.min(16)),
        };
        wait.clamp(s.min_poll, s.max_poll.max(s.min_poll))
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else if path.starts_with('/') {
            format!("{}{}", self.base, path)
        } else {
            format!("{}/{}", self.base, path)
        }
    }

    fn auth_error(&self, method: &Method, path: &str, e: super::auth::AuthError) -> ArmError {
        ArmError {
            kind: ArmErrorKind::Auth,
            method: method.to_string(),
            resource: path.to_string(),
            status: None,
            arm_code: None,
            message: e.to_string(),
            request_id: None,
            correlation_id: Some(self.correlation_id.clone()),
        }
    }

    pub(crate) fn request_error(&self, method: &str, path: &str, r: &Response) -> ArmError {
        let (code, message) = parse_error_body(r.body.as_ref());
        ArmError {
            arm_code: code,
            ..self.error(
                ArmErrorKind::Request,
                method,
                path,
                r,
                message.unwrap_or_default(),
            )
        }
    }

    pub(crate) fn error(
        &self,
        kind: ArmErrorKind,
        method: &str,
        path: &str,
        r: &Response,
        message: String,
    ) -> ArmError {
        ArmError {
            kind,
            method: method.to_string(),
            resource: path.to_string(),
            status: Some(r.status),
            arm_code: None,
            message,
            request_id: r.header("x-ms-request-id"),
            correlation_id: r
                .header("x-ms-correlation-request-id")
                .or_else(|| Some(self.correlation_id.clone())),
        }
    }
}

/// `properties.provisioningState` of a resource body, if any.
pub fn provisioning_state(body: &Json) -> Option<&str> {
    body.pointer("/properties/provisioningState")
        .and_then(Json::as_str)
}

/// Whether a response should be retried: throttling, server errors, and conflicts with
/// another operation on the same resource.
pub fn is_transient(r: &Response) -> bool {
    matches!(r.status, 429 | 500 | 502 | 503 | 504) || is_conflict(r)
}

/// Whether a response says another operation on the same resource is in progress:
/// Network's `AnotherOperationInProgress` / `RetryableErrorDueToAnotherOperation` (409 or
/// 429) and AKS's 409 `OperationNotAllowed` "... operation ... in progress".
pub fn is_conflict(r: &Response) -> bool {
    let (code, message) = parse_error_body(r.body.as_ref());
    let code = code.unwrap_or_default();
    match r.status {
        409 | 429 => {
            code.eq_ignore_ascii_case("AnotherOperationInProgress")
                || code.eq_ignore_ascii_case("RetryableErrorDueToAnotherOperation")
                || (code.eq_ignore_ascii_case("OperationNotAllowed")
                    && message
                        .unwrap_or_default()
                        .to_ascii_lowercase()
                        .contains("in progress"))
        }
        _ => false,
    }
}

fn transport_message(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}
