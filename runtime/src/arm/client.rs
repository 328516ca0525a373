//! The ARM HTTP client: one implementation for management.azure.com and the local emulator.
//!
//! Every request carries `api-version`, a fresh `x-ms-client-request-id` (UUID v4), one
//! `x-ms-correlation-request-id` per client (so all requests of one capz run correlate) and
//! `User-Agent: capz/VERSION`. Transient failures are retried with backoff until a
//! deadline (time, not a count of tries): connection errors, 429 (throttling, honouring
//! `Retry-After`; see
//! <https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling>)
//! and 5xx. One write (PUT or DELETE with everything it waits for) has a deadline of
//! [`ClientSettings::aks_operation_timeout`] on Microsoft.ContainerService resources and
//! [`ClientSettings::operation_timeout`] on the rest; a read has
//! [`ClientSettings::read_timeout`].
//!
//! "Another operation is in progress" answers ([`is_conflict`]: Network's 409/429
//! `AnotherOperationInProgress` / `RetryableErrorDueToAnotherOperation`, ARM's 409
//! `Conflict` "Another operation on this or dependent resource is in progress", AKS's 409
//! `OperationNotAllowed` "... in progress ...") are not re-sent blindly: the resource is
//! polled (GET, which draws from the larger read budget and not from AKS's per-cluster PUT
//! bucket) until its `provisioningState` is terminal. When an earlier attempt of the same
//! write got no answer (a dropped connection after ARM committed it), that operation is
//! the write itself: its end is the write's result. Otherwise the write is sent again once
//! the other operation ended.
//!
//! Writes can carry `If-Match` with the ETag last read ([`ArmClient::put_if_match`]): ARM
//! answers 412 `PreconditionFailed` when the resource changed since (optimistic
//! concurrency; AKS: <https://learn.microsoft.com/azure/aks/use-etags>). A 412 on a retry
//! after a lost answer is the write's own change of the ETag and is treated like the
//! conflict above.
//! Long-running operations follow the ARM async protocol (see [`super::lro`]).

use super::error::{ArmError, ArmErrorKind, parse_error_body};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value as Json;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    /// Deadline of one write (its retries, waits for other operations and the polling of
    /// the long-running operation it starts) on a Microsoft.ContainerService resource.
    pub aks_operation_timeout: Duration,
    /// Deadline of one write on any other resource.
    pub operation_timeout: Duration,
    /// How long one read (a GET or list page outside a write) is retried on transient
    /// failures before it is reported.
    pub read_timeout: Duration,
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
}

/// Default deadline of one AKS write: 30 minutes (a cluster create takes 5-15).
pub const AKS_OPERATION_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Default deadline of one write of any other kind: 10 minutes.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(10 * 60);

impl ClientSettings {
    /// The same settings with every write deadline set to `timeout` (`--operation-timeout`).
    pub fn with_operation_timeout(mut self, timeout: Duration) -> Self {
        self.aks_operation_timeout = timeout;
        self.operation_timeout = timeout;
        self
    }

    /// The deadline of one write of the resource `id`: AKS's for
    /// Microsoft.ContainerService IDs, the general one otherwise.
    pub fn operation_timeout_for(&self, id: &str) -> Duration {
        if id
            .to_ascii_lowercase()
            .contains("/providers/microsoft.containerservice/")
        {
            self.aks_operation_timeout
        } else {
            self.operation_timeout
        }
    }

    /// Settings for management.azure.com: honour `Retry-After` fully, poll for up to an hour.
    pub fn azure() -> Self {
        ClientSettings {
            min_poll: Duration::from_secs(2),
            max_poll: Duration::from_secs(60),
            retry_after_scale: 1.0,
            aks_operation_timeout: AKS_OPERATION_TIMEOUT,
            operation_timeout: OPERATION_TIMEOUT,
            read_timeout: Duration::from_secs(5 * 60),
            request_timeout: Duration::from_secs(120),
        }
    }

    /// Settings for the local emulator: `Retry-After` scaled down so runs take seconds.
    pub fn local() -> Self {
        ClientSettings {
            min_poll: Duration::from_millis(20),
            max_poll: Duration::from_millis(500),
            retry_after_scale: 0.05,
            aks_operation_timeout: AKS_OPERATION_TIMEOUT,
            operation_timeout: OPERATION_TIMEOUT,
            read_timeout: Duration::from_secs(30),
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

/// What a request is waiting for, for progress lines: `throttled (HTTP 429 Throttled):
/// retrying in 12s`, `another operation is in progress on it (OperationNotAllowed):
/// waiting for it to end`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The ARM ID or URL the request is about.
    pub resource: String,
    /// What it waits for.
    pub what: String,
}

/// Receives [`Notice`]s (see [`ArmClient::with_notices`]).
#[derive(Clone)]
pub struct NoticeSink(Arc<dyn Fn(Notice) + Send + Sync>);

impl std::fmt::Debug for NoticeSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NoticeSink")
    }
}

/// A request's final answer, and whether an earlier attempt of it got none.
pub(crate) struct Sent {
    pub(crate) response: Response,
    /// An attempt before the last one was sent and never answered (connection dropped or
    /// timed out): ARM may have carried it out.
    pub(crate) lost: bool,
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
    /// Where waits are reported (progress lines), if anywhere.
    notices: Option<NoticeSink>,
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
            notices: None,
        }
    }

    /// Report what requests wait for (throttling, server errors, another operation) to
    /// `sink`, e.g. the apply engine's live lines. Clones made after share it.
    pub fn with_notices(mut self, sink: impl Fn(Notice) + Send + Sync + 'static) -> Self {
        self.notices = Some(NoticeSink(Arc::new(sink)));
        self
    }

    fn notice(&self, resource: &str, what: String) {
        if let Some(n) = &self.notices {
            (n.0)(Notice {
                resource: resource.to_string(),
                what,
            });
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
        let deadline = Instant::now() + self.settings.read_timeout;
        self.get_until(id, api_version, deadline).await
    }

    /// [`Self::get`] with retries until `deadline`.
    pub(crate) async fn get_until(
        &self,
        id: &str,
        api_version: &str,
        deadline: Instant,
    ) -> Result<Option<Json>, ArmError> {
        let r = self
            .send_until(
                Method::GET,
                id,
                Some(api_version),
                None,
                None,
                deadline,
                false,
            )
            .await?
            .response;
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
    /// one, then GETs the resource and returns its body. See [`Self::put_if_match`].
    pub async fn put(&self, id: &str, api_version: &str, body: &Json) -> Result<Json, ArmError> {
        self.put_if_match(id, api_version, body, None).await
    }

    /// PUT a resource, with `If-Match: ETAG` when `if_match` is given, and wait for it
    /// (module docs: another operation in progress is waited out; a lost answer whose
    /// write landed ends with that write's result).
    ///
    /// Errors: request refused (`request-failed`; a 412 `PreconditionFailed` means the
    /// resource changed since `if_match` was read), operation Failed/Canceled or final
    /// `provisioningState` Failed (`operation-failed`), past the write's deadline
    /// (`timeout`).
    pub async fn put_if_match(
        &self,
        id: &str,
        api_version: &str,
        body: &Json,
        if_match: Option<&str>,
    ) -> Result<Json, ArmError> {
        let deadline = Instant::now() + self.settings.operation_timeout_for(id);
        let mut lost = false;
        let mut idle_waits: u32 = 0;
        loop {
            let sent = self
                .send_until(
                    Method::PUT,
                    id,
                    Some(api_version),
                    Some(body),
                    if_match,
                    deadline,
                    true,
                )
                .await?;
            lost |= sent.lost;
            let r = sent.response;
            if is_conflict(&r) || (lost && r.status == 412) {
                let (live, was_busy) = self.settle(id, api_version, &r, deadline).await?;
                if lost && (was_busy || r.status == 412) {
                    // The write whose answer was lost is the operation that was running.
                    if let Some(live) = live {
                        return self.put_result(id, &r, live);
                    }
                }
                if !was_busy {
                    // Busy elsewhere (a parent or a sibling): back off before asking again.
                    let wait = self.backoff(idle_waits, r.retry_after());
                    idle_waits += 1;
                    self.check_deadline(deadline, &r, "PUT", id, wait)?;
                    tokio::time::sleep(wait).await;
                }
                continue;
            }
            if !(200..=202).contains(&r.status) {
                return Err(self.request_error("PUT", id, &r));
            }
            self.wait(&r, "PUT", id, api_version, deadline).await?;
            let Some(live) = self.get_until(id, api_version, deadline).await? else {
                return Err(self.error(
                    ArmErrorKind::BadResponse,
                    "PUT",
                    id,
                    &r,
                    "the operation succeeded but the resource does not exist".into(),
                ));
            };
            return self.put_result(id, &r, live);
        }
    }

    /// The result of a PUT whose operation ended: the live body, or the provisioning
    /// error when its `provisioningState` is Failed.
    fn put_result(&self, id: &str, r: &Response, live: Json) -> Result<Json, ArmError> {
        if provisioning_state(&live).is_some_and(|s| s.eq_ignore_ascii_case("failed")) {
            let (code, message) =
                parse_error_body(live.pointer("/properties/status/provisioningError"));
            return Err(ArmError {
                kind: ArmErrorKind::Operation,
                arm_code: code.or(Some("ProvisioningFailed".into())),
                message: message.unwrap_or_else(|| "provisioningState is Failed".into()),
                ..self.error(ArmErrorKind::Operation, "PUT", id, r, String::new())
            });
        }
        Ok(live)
    }

    /// DELETE a resource and wait until it is gone. A 404 or 204 means nothing to delete.
    pub async fn delete(&self, id: &str, api_version: &str) -> Result<(), ArmError> {
        self.delete_if_match(id, api_version, None).await
    }

    /// [`Self::delete`] with `If-Match: ETAG` when `if_match` is given (412
    /// `PreconditionFailed` when the resource changed since).
    pub async fn delete_if_match(
        &self,
        id: &str,
        api_version: &str,
        if_match: Option<&str>,
    ) -> Result<(), ArmError> {
        let deadline = Instant::now() + self.settings.operation_timeout_for(id);
        let mut lost = false;
        let mut idle_waits: u32 = 0;
        loop {
            let sent = self
                .send_until(
                    Method::DELETE,
                    id,
                    Some(api_version),
                    None,
                    if_match,
                    deadline,
                    true,
                )
                .await?;
            lost |= sent.lost;
            let r = sent.response;
            if is_conflict(&r) || (lost && r.status == 412) {
                let (live, was_busy) = self.settle(id, api_version, &r, deadline).await?;
                if live.is_none() {
                    return Ok(());
                }
                if !was_busy {
                    let wait = self.backoff(idle_waits, r.retry_after());
                    idle_waits += 1;
                    self.check_deadline(deadline, &r, "DELETE", id, wait)?;
                    tokio::time::sleep(wait).await;
                }
                continue;
            }
            return match r.status {
                404 | 204 => Ok(()),
                200..=202 => self.wait(&r, "DELETE", id, api_version, deadline).await,
                _ => Err(self.request_error("DELETE", id, &r)),
            };
        }
    }

    /// After a conflict answer `r`: GET `id` until its `provisioningState` is terminal (or
    /// it is gone). Returns the last body (`None`: 404) and whether an operation was
    /// running on the resource itself when first read.
    async fn settle(
        &self,
        id: &str,
        api_version: &str,
        r: &Response,
        deadline: Instant,
    ) -> Result<(Option<Json>, bool), ArmError> {
        let (code, _) = parse_error_body(r.body.as_ref());
        let mut busy = false;
        let mut polls: u32 = 0;
        loop {
            let live = self.get_until(id, api_version, deadline).await?;
            let state = live
                .as_ref()
                .and_then(provisioning_state)
                .map(str::to_string);
            let running = state
                .as_deref()
                .is_some_and(|s| super::lro::terminal(s).is_none());
            if !running {
                return Ok((live, busy));
            }
            if !busy {
                busy = true;
                self.notice(
                    id,
                    format!(
                        "another operation is in progress on it ({}, {}): waiting for it to end",
                        code.as_deref().unwrap_or("HTTP 409"),
                        state.as_deref().unwrap_or_default()
                    ),
                );
            }
            let wait = self.backoff(polls.min(4), r.retry_after());
            polls += 1;
            self.check_deadline(deadline, r, "GET", id, wait)?;
            tokio::time::sleep(wait).await;
        }
    }

    /// Wait for an operation already running on `id` (started by someone else, or by an
    /// earlier capz run that was interrupted): GET it until its `provisioningState` is
    /// terminal ([`super::lro::terminal`]) or it is gone, within the write deadline of
    /// `id`. Returns the last body (`None`: it no longer exists). A Failed end is not an
    /// error here: the caller plans again and sees it.
    ///
    /// Errors: GETs failing past their retries, or still running at the deadline
    /// (`capz::arm::timeout`).
    pub async fn wait_until_settled(
        &self,
        id: &str,
        api_version: &str,
    ) -> Result<Option<Json>, ArmError> {
        let timeout = self.settings.operation_timeout_for(id);
        let deadline = Instant::now() + timeout;
        let mut polls: u32 = 0;
        loop {
            let live = self.get_until(id, api_version, deadline).await?;
            let state = live.as_ref().and_then(provisioning_state);
            if state.is_none_or(|s| super::lro::terminal(s).is_some()) {
                return Ok(live);
            }
            let wait = self.backoff(polls.min(5), None);
            polls += 1;
            if Instant::now() + wait > deadline {
                return Err(ArmError {
                    kind: ArmErrorKind::Timeout,
                    method: "GET".into(),
                    resource: id.to_string(),
                    status: None,
                    arm_code: None,
                    message: format!(
                        "still {} after the operation timeout ({}s; --operation-timeout sets it)",
                        state.unwrap_or_default(),
                        timeout.as_secs()
                    ),
                    request_id: None,
                    correlation_id: Some(self.correlation_id.clone()),
                });
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// A timeout error when waiting `wait` more would pass `deadline`.
    pub(crate) fn check_deadline(
        &self,
        deadline: Instant,
        r: &Response,
        method: &str,
        id: &str,
        wait: Duration,
    ) -> Result<(), ArmError> {
        if Instant::now() + wait > deadline {
            return Err(self.error(
                ArmErrorKind::Timeout,
                method,
                id,
                r,
                format!(
                    "not done within the operation timeout ({}s; --operation-timeout sets it)",
                    self.settings.operation_timeout_for(id).as_secs()
                ),
            ));
        }
        Ok(())
    }

    /// Send one request with retries on transient failures for up to the read timeout
    /// (GET) or the operation timeout of `path` (other methods). `path` is an ARM ID/path
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
        let timeout = if method == Method::GET || method == Method::HEAD {
            self.settings.read_timeout
        } else {
            self.settings.operation_timeout_for(path)
        };
        self.send_until(
            method,
            path,
            api_version,
            body,
            None,
            Instant::now() + timeout,
            false,
        )
        .await
        .map(|s| s.response)
    }

    /// [`Self::send`] retrying until `deadline` (a retry whose wait would pass it is not
    /// made: the last answer, or the transport error, is returned), with `If-Match` when
    /// given. With `return_conflicts`, "another operation in progress" answers are
    /// returned at once for the caller to wait out; otherwise they are retried too.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn send_until(
        &self,
        method: Method,
        path: &str,
        api_version: Option<&str>,
        body: Option<&Json>,
        if_match: Option<&str>,
        deadline: Instant,
        return_conflicts: bool,
    ) -> Result<Sent, ArmError> {
        let mut url = self.url(path);
        if let Some(v) = api_version {
            let sep = if url.contains('?') { '&' } else { '?' };
            url = format!("{url}{sep}api-version={v}");
        }
        let mut attempt: u32 = 0;
        let mut lost = false;
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
        let in_time = |wait: Duration| Instant::now() + wait <= deadline;
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
            if let Some(tag) = if_match {
                req = req.header("if-match", tag);
            }
            let class = super::budget::Class::of(&method);
            self.budget.acquire(class).await;
            let result = req.send().await;
            if let Ok(resp) = &result {
                self.budget.observe(class, resp.headers());
            }
            let retry_wait = match result {
                Err(e) => {
                    let wait = self.backoff(attempt, None);
                    if !in_time(wait) {
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
                    // Sent but unanswered: ARM may have carried it out.
                    lost |= !e.is_connect();
                    self.notice(path, format!("no answer ({e}): retrying in {wait:.1?}"));
                    wait
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    let bytes = match resp.bytes().await {
                        Ok(b) => b,
                        Err(e) if in_time(self.backoff(attempt, None)) => {
                            tracing::debug!("reading body of {method} {path}: {e}");
                            lost = true;
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
                    let conflict = is_conflict(&r);
                    if conflict && return_conflicts {
                        return Ok(Sent { response: r, lost });
                    }
                    let wait = self.backoff(attempt, r.retry_after());
                    if is_transient(&r) && in_time(wait) {
                        let (code, _) = parse_error_body(r.body.as_ref());
                        let code = code.map(|c| format!(" {c}")).unwrap_or_default();
                        tracing::debug!(
                            "{method} {path}: HTTP {status}{code}, retry {}",
                            attempt + 1
                        );
                        let why = if status == 429 && !conflict {
                            "throttled"
                        } else if conflict {
                            "another operation is in progress"
                        } else {
                            "server error"
                        };
                        self.notice(
                            path,
                            format!("{why} (HTTP {status}{code}): retrying in {wait:.1?}"),
                        );
                        if r.status == 429 && !conflict {
                            // Throttled: the whole client holds back, not only this request.
                            self.budget.pause(wait);
                        }
                        wait
                    } else {
                        return Ok(Sent { response: r, lost });
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
/// 429), ARM's 409 `Conflict` "Another operation on this or dependent resource is in
/// progress" (the wording Azure CLI and Terraform users report for Network resources),
/// and AKS's 409 `OperationNotAllowed` "... operation ... in progress" (the same code for
/// another reason, e.g. a property change, is not a conflict).
pub fn is_conflict(r: &Response) -> bool {
    let (code, message) = parse_error_body(r.body.as_ref());
    let code = code.unwrap_or_default();
    match r.status {
        409 | 429 => {
            code.eq_ignore_ascii_case("AnotherOperationInProgress")
                || code.eq_ignore_ascii_case("RetryableErrorDueToAnotherOperation")
                || ((code.eq_ignore_ascii_case("OperationNotAllowed")
                    || code.eq_ignore_ascii_case("Conflict"))
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
