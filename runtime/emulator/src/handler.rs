//! HTTP entry, routing and the generic ARM resource protocol (GET/PUT/PATCH/DELETE/list,
//! long-running operations, conflicts, preconditions). Kind-specific rules live in
//! `network.rs` and `aks.rs`.

use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use serde_json::{Map, Value, json};

use crate::kinds::{self, Family, Kind, KindId};
use crate::serve::DropMarker;
use crate::store::{self, Op, Row};
use crate::throttle::{AksClass, OpClass, Take, Throttle};
use crate::util::{self, ArmError, ArmResult, Check, at, normalize_location, now_ms, rfc3339};
use crate::{Config, Fault, LOCAL_TENANT};

/// Shared server state.
pub struct App {
    conn: Mutex<Connection>,
    config: Config,
    base_url: OnceLock<String>,
    throttle: Mutex<Throttle>,
    faults: Mutex<FaultState>,
}

struct FaultState {
    seen: Vec<u32>,
    injected: Vec<u32>,
    rng: u64,
}

/// A parsed request.
pub struct Req {
    pub method: String,
    pub segs: Vec<String>,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    fn api_version(&self) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == "api-version")
            .map(|(_, v)| v.as_str())
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A response before it becomes HTTP.
pub struct Resp {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(String, String)>,
    /// Milliseconds to hold the answer after the transaction committed (a synchronous write
    /// that takes time, e.g. a federated identity credential write; see `msi.rs`).
    pub hold_ms: u64,
}

impl Resp {
    fn json(status: u16, body: Value) -> Self {
        Resp {
            status,
            body: Some(body),
            headers: Vec::new(),
            hold_ms: 0,
        }
    }
    fn empty(status: u16) -> Self {
        Resp {
            status,
            body: None,
            headers: Vec::new(),
            hold_ms: 0,
        }
    }
    fn error(e: &ArmError) -> Self {
        let mut r = Resp::json(e.status, e.body());
        if let Some(s) = e.retry_after {
            r.headers.push(("Retry-After".into(), s.to_string()));
        }
        r.headers
            .push(("x-ms-failure-cause".into(), "gateway".into()));
        r
    }
    fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.to_string(), v.into()));
        self
    }
}

/// The emulator's own admin endpoints, outside ARM's namespace (no ARM auth gate, not
/// recorded, not throttled, no faults): `POST /capz-emulator/aks-auto-upgrade?cluster={armId}`
/// runs a server-side AKS auto-upgrade of that cluster (see [`crate::aks::auto_upgrade`];
/// 200 with `{cluster, changes: [{id, field, from, to}]}`, or an ARM-shaped error: 400
/// `MissingParameter` without `cluster`, 404 `ResourceNotFound`, 409 `OperationNotAllowed`).
pub fn admin_router(app: Arc<App>) -> Router {
    Router::new()
        .route(
            "/capz-emulator/aks-auto-upgrade",
            axum::routing::post(aks_auto_upgrade),
        )
        .with_state(app)
}

async fn aks_auto_upgrade(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let cluster = util::parse_query(uri.query())
        .into_iter()
        .find(|(k, _)| k == "cluster")
        .map(|(_, v)| v)
        .filter(|v| !v.trim().is_empty());
    let Some(cluster) = cluster else {
        return to_http(Resp::error(&ArmError::bad(
            "MissingParameter",
            "The query parameter 'cluster' (the managed cluster's ARM ID) is required.",
        )));
    };
    let r = tokio::task::spawn_blocking(move || {
        app.in_transaction(|tx| crate::aks::auto_upgrade(tx, &cluster))
    })
    .await;
    to_http(match r {
        Ok(Ok(v)) => Resp::json(200, v),
        Ok(Err(e)) => Resp::error(&e),
        Err(e) => Resp::error(&ArmError::new(500, "InternalServerError", format!("{e}"))),
    })
}

pub fn router(app: Arc<App>) -> Router {
    Router::new().fallback(entry).with_state(app)
}

async fn entry(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = util::uuid();
    let correlation = headers
        .get("x-ms-correlation-request-id")
        .or_else(|| headers.get("x-ms-client-request-id"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| request_id.clone());
    let client_request_id = headers
        .get("x-ms-client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let segs: Vec<String> = uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(util::percent_decode)
        .collect();
    let req = Req {
        method: method.as_str().to_ascii_uppercase(),
        segs,
        query: util::parse_query(uri.query()),
        headers,
        body,
    };
    let class = match req.method.as_str() {
        "GET" | "HEAD" | "OPTIONS" => OpClass::Read,
        "DELETE" => OpClass::Delete,
        _ => OpClass::Write,
    };
    let sub = if req
        .segs
        .first()
        .is_some_and(|s| s.eq_ignore_ascii_case("subscriptions"))
    {
        req.segs.get(1).map(|s| s.to_ascii_lowercase())
    } else {
        None
    };

    let fault = app.pick_fault(&req.method, uri.path());
    if fault == Some(Fault::DropConnection) {
        return dropped(None);
    }
    let drop_after_commit = fault == Some(Fault::DropConnectionAfterCommit);
    let mut fail_op = None;
    let mut resp = match fault {
        Some(Fault::ServerError) => Resp::error(&ArmError::new(
            500,
            "InternalServerError",
            "Encountered internal server error (injected fault).",
        )),
        Some(Fault::Throttle { retry_after_secs }) => {
            let mut e = ArmError::new(
                429,
                "TooManyRequests",
                "The request is being throttled (injected fault).",
            );
            e.retry_after = Some(retry_after_secs);
            Resp::error(&e)
        }
        other => {
            if let Some(Fault::Delay { millis }) = other {
                tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
            }
            if let Some(Fault::FailOperation { code, message }) = other {
                fail_op = Some(ArmError::new(400, &code, message));
            }
            let take = match &sub {
                Some(s) => app.throttle.lock().map(|mut t| t.take(s, class)).ok(),
                None => None,
            };
            match take {
                Some(Take::Throttled(wait)) => {
                    let mut e = ArmError::new(
                        429,
                        "SubscriptionRequestsThrottled",
                        format!(
                            "Number of '{}' requests for subscription '{}' exceeded the limit. Please try again after '{wait}' seconds.",
                            match class {
                                OpClass::Read => "read",
                                OpClass::Write => "write",
                                OpClass::Delete => "delete",
                            },
                            sub.as_deref().unwrap_or("")
                        ),
                    );
                    e.retry_after = Some(wait);
                    Resp::error(&e).header(class.header(), "0")
                }
                other => {
                    // Behind ARM's buckets, the AKS resource provider's own (throttle.rs).
                    let aks = aks_bucket(&req).and_then(|(key, c)| {
                        let t = app.throttle.lock().ok()?.take_aks(&key, c);
                        Some((t, c))
                    });
                    let r = match aks {
                        Some((Take::Throttled(wait), c)) => {
                            aks_throttled(c, sub.as_deref().unwrap_or(""), wait)
                        }
                        _ => {
                            let app2 = app.clone();
                            tokio::task::spawn_blocking(move || app2.handle(&req, fail_op))
                                .await
                                .unwrap_or_else(|e| {
                                    Resp::error(&ArmError::new(
                                        500,
                                        "InternalServerError",
                                        format!("{e}"),
                                    ))
                                })
                        }
                    };
                    match other {
                        Some(Take::Ok(left)) => r.header(class.header(), left.to_string()),
                        _ => r,
                    }
                }
            }
        }
    };
    resp.headers
        .push(("x-ms-request-id".into(), request_id.clone()));
    resp.headers
        .push(("x-ms-correlation-request-id".into(), correlation));
    resp.headers.push((
        "x-ms-routing-request-id".into(),
        format!("LOCAL:{request_id}"),
    ));
    if let Some(c) = client_request_id {
        resp.headers.push(("x-ms-client-request-id".into(), c));
    }
    if drop_after_commit {
        return dropped(Some(resp.status));
    }
    to_http(resp)
}

/// The AKS bucket a request draws from, if any: PUT `.../managedClusters/{c}` (key: the
/// cluster's lower-cased ID), PUT `.../managedClusters/{c}/agentPools/{p}` (key: the
/// cluster's ID; a separate bucket), GET of a managedClusters list (subscription or group)
/// or an agentPools list (key: the subscription).
fn aks_bucket(req: &Req) -> Option<(String, AksClass)> {
    let s: Vec<String> = req.segs.iter().map(|x| x.to_ascii_lowercase()).collect();
    let s: Vec<&str> = s.iter().map(String::as_str).collect();
    let cs = "microsoft.containerservice";
    let cluster = |n: usize| s[..n].join("/");
    match (req.method.as_str(), s.as_slice()) {
        (
            "PUT",
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                ns,
                "managedclusters",
                _,
            ],
        ) if *ns == cs => Some((cluster(8), AksClass::PutCluster)),
        (
            "PUT",
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                ns,
                "managedclusters",
                _,
                "agentpools",
                _,
            ],
        ) if *ns == cs => Some((cluster(8), AksClass::PutAgentPool)),
        ("GET", ["subscriptions", sub, "providers", ns, "managedclusters"])
        | (
            "GET",
            [
                "subscriptions",
                sub,
                "resourcegroups",
                _,
                "providers",
                ns,
                "managedclusters",
            ],
        )
        | (
            "GET",
            [
                "subscriptions",
                sub,
                "resourcegroups",
                _,
                "providers",
                ns,
                "managedclusters",
                _,
                "agentpools",
            ],
        ) if *ns == cs => Some((sub.to_string(), AksClass::List)),
        _ => None,
    }
}

/// 429 `Throttled` as the AKS resource provider answers it (code, status and Retry-After:
/// quotas-skus-regions; message shape: the AKS "Throttled error code (429)" troubleshooting
/// article, `The PutManagedClusterHandler.PUT request limit has been exceeded for
/// SubID='...', please retry again in X seconds. ...`).
fn aks_throttled(c: AksClass, sub: &str, wait: u64) -> Resp {
    let mut e = ArmError::new(
        429,
        "Throttled",
        format!(
            "The {} request limit has been exceeded for SubID='{sub}', please retry again in {wait} seconds. For more information, please visit aka.ms/aks/throttling",
            c.handler()
        ),
    );
    e.retry_after = Some(wait);
    let mut r = Resp::error(&e);
    // The resource provider refused it, not ARM's gateway.
    for (k, v) in &mut r.headers {
        if k == "x-ms-failure-cause" {
            *v = "service".into();
        }
    }
    r
}

/// A response the accept loop turns into a closed connection (`serve.rs`). `handled` is
/// the status the request got before its answer was lost (drop after commit), shown only
/// in the request recording.
fn dropped(handled: Option<u16>) -> Response {
    let mut out = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    out.extensions_mut().insert(DropMarker);
    out.extensions_mut().insert(DroppedStatus(handled));
    out
}

/// The status a dropped request was handled with (`None` = dropped before handling).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DroppedStatus(pub Option<u16>);

fn to_http(r: Resp) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = match r.body {
        Some(b) => (
            status,
            [("content-type", "application/json; charset=utf-8")],
            b.to_string(),
        )
            .into_response(),
        None => status.into_response(),
    };
    for (k, v) in r.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            out.headers_mut().append(k, v);
        }
    }
    out
}

/// What the target of a provider path is.
struct Target {
    kind: &'static Kind,
    sub: String,
    /// Resource group name as sent.
    rg: String,
    /// Names along the type chain, as sent (e.g. [vnet, subnet]).
    names: Vec<String>,
}

impl Target {
    fn rg_id_lc(&self) -> String {
        format!("/subscriptions/{}/resourcegroups/{}", self.sub, self.rg).to_ascii_lowercase()
    }
    /// Canonical ID with the request's casing of names.
    fn id(&self) -> String {
        let mut id = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{}",
            self.sub,
            self.rg,
            self.kind.namespace()
        );
        let types: Vec<&str> = self.kind.type_name.split('/').skip(1).collect();
        for (t, n) in types.iter().zip(&self.names) {
            id.push('/');
            id.push_str(t);
            id.push('/');
            id.push_str(n);
        }
        id
    }
    fn id_lc(&self) -> String {
        self.id().to_ascii_lowercase()
    }
    fn parent_id_lc(&self) -> String {
        let id = self.id_lc();
        match self.kind.parent {
            Some(_) => {
                let mut parts: Vec<&str> = id.split('/').collect();
                parts.truncate(parts.len().saturating_sub(2));
                parts.join("/")
            }
            None => self.rg_id_lc(),
        }
    }
    fn name(&self) -> &str {
        self.names.last().map(String::as_str).unwrap_or("")
    }
}

/// What a kind's PUT rules produce.
pub struct PutOut {
    /// The stored body of the main resource (without provisioningState/etag/id/name/type:
    /// the generic code sets those).
    pub body: Value,
    /// Child rows created/updated/deleted by the same request (VNet inline subnets, cluster
    /// agentPoolProfiles). Their bodies are complete except provisioningState/etag.
    pub children: Vec<ChildWrite>,
}

pub struct ChildWrite {
    pub row: Row,
    pub created: bool,
    pub delete: bool,
}

/// A parent PUT that lists its children (a VNet's `subnets`, an NSG's `securityRules`, a load
/// balancer's `backendAddressPools`) replaces the whole set: each row of `existing` that
/// `children` does not write is deleted, after `check` allows it (a subnet in use refuses).
pub fn delete_unlisted(
    children: &mut Vec<ChildWrite>,
    existing: &[Row],
    mut check: impl FnMut(&Row) -> ArmResult<()>,
) -> ArmResult<()> {
    for old in existing {
        if !children.iter().any(|c| c.row.id_lc == old.id_lc) {
            check(old)?;
            children.push(ChildWrite {
                row: old.clone(),
                created: false,
                delete: true,
            });
        }
    }
    Ok(())
}

/// Context handed to a kind's PUT rules.
pub struct PutCtx<'a, 'c> {
    pub tx: &'a Transaction<'c>,
    /// Cased ID the resource will have.
    pub id: String,
    pub id_lc: String,
    pub name: String,
    pub sub: String,
    pub rg: String,
    pub parent: Option<Row>,
    pub existing: Option<Row>,
    pub request: Value,
    /// Normalised location (tracked kinds).
    pub location: Option<String>,
    pub now_ms: i64,
}

impl App {
    pub fn new(config: Config) -> Result<Self, crate::Error> {
        let conn = store::open(config.state_path.as_deref())?;
        let n = config.faults.len();
        let seed = util::fnv(&util::uuid()) | 1;
        Ok(App {
            conn: Mutex::new(conn),
            throttle: Mutex::new(Throttle::new(
                config.throttle.enabled,
                config.throttle.scale,
            )),
            faults: Mutex::new(FaultState {
                seen: vec![0; n],
                injected: vec![0; n],
                rng: seed,
            }),
            config,
            base_url: OnceLock::new(),
        })
    }

    pub fn set_base_url(&self, url: String) {
        let _ = self.base_url.set(url);
    }

    fn base(&self) -> &str {
        self.base_url.get().map(String::as_str).unwrap_or("")
    }

    fn pick_fault(&self, method: &str, path: &str) -> Option<Fault> {
        let mut st = self.faults.lock().ok()?;
        let path_lc = path.to_ascii_lowercase();
        for (i, rule) in self.config.faults.iter().enumerate() {
            if rule
                .method
                .as_ref()
                .is_some_and(|m| !m.eq_ignore_ascii_case(method))
            {
                continue;
            }
            if rule
                .path_contains
                .as_ref()
                .is_some_and(|p| !path_lc.contains(&p.to_ascii_lowercase()))
            {
                continue;
            }
            st.seen[i] += 1;
            if st.seen[i] <= rule.skip {
                continue;
            }
            if rule.times.is_some_and(|t| st.injected[i] >= t) {
                continue;
            }
            // xorshift64
            let mut x = st.rng;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            st.rng = x;
            let draw = (x >> 11) as f64 / (1u64 << 53) as f64;
            if draw < rule.probability {
                st.injected[i] += 1;
                return Some(rule.fault.clone());
            }
        }
        None
    }

    fn scale(&self) -> f64 {
        let s = self.config.time_scale;
        if s.is_finite() && s > 0.0 { s } else { 0.0 }
    }

    fn retry_after(&self, remaining_ms: i64) -> u64 {
        if remaining_ms <= 0 {
            return 0;
        }
        let secs = (remaining_ms as u64).div_ceil(1000).max(1);
        secs.min(self.config.max_retry_after_secs.max(1))
    }

    /// Handles one request in one SQLite transaction.
    pub fn handle(&self, req: &Req, fail_op: Option<ArmError>) -> Resp {
        let mut guard = match self.conn.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let tx = match guard.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => return Resp::error(&ArmError::from(e)),
        };
        let now = now_ms();
        let result = store::settle(&tx, now, settle_row)
            .map_err(ArmError::from)
            .and_then(|_| self.route(&tx, req, fail_op, now));
        match result {
            Ok(resp) => match tx.commit() {
                Ok(()) => {
                    drop(guard);
                    if resp.hold_ms > 0 {
                        std::thread::sleep(std::time::Duration::from_millis(resp.hold_ms));
                    }
                    resp
                }
                Err(e) => Resp::error(&ArmError::from(e)),
            },
            Err(e) => {
                // Commit the settlement work even when the request itself failed.
                match tx.commit() {
                    Ok(()) => Resp::error(&e),
                    Err(c) => Resp::error(&ArmError::from(c)),
                }
            }
        }
    }

    /// Runs `f` in one IMMEDIATE transaction after settling due operations; commits when
    /// `f` succeeds (the settlement is committed either way).
    pub(crate) fn in_transaction<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> ArmResult<T>,
    ) -> ArmResult<T> {
        let mut guard = match self.conn.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let tx = guard.transaction_with_behavior(TransactionBehavior::Immediate)?;
        store::settle(&tx, now_ms(), settle_row)?;
        let out = f(&tx);
        tx.commit()?;
        out
    }

    fn route(
        &self,
        tx: &Transaction<'_>,
        req: &Req,
        fail_op: Option<ArmError>,
        now: i64,
    ) -> ArmResult<Resp> {
        let segs: Vec<String> = req.segs.iter().map(|s| s.to_ascii_lowercase()).collect();
        let s: Vec<&str> = segs.iter().map(String::as_str).collect();
        if s == ["tenants"] {
            self.only(req, &["GET"])?;
            if req.api_version().is_none() {
                return Err(ArmError::bad(
                    "MissingApiVersionParameter",
                    "The api-version query parameter (?api-version=) is required for all requests.",
                ));
            }
            return Ok(Resp::json(200, crate::metadata::tenants()));
        }
        if s.first() != Some(&"subscriptions") {
            return Err(ArmError::new(
                404,
                "NotFound",
                "The requested path is not an ARM path this emulator serves.",
            ));
        }
        let Some(api) = req.api_version() else {
            return Err(ArmError::bad(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            ));
        };
        if s.len() == 1 {
            return self.only(req, &["GET"]).map(|_| Resp::json(200, json!({"value": self.config.subscriptions.iter().map(|x| sub_body(x)).collect::<Vec<_>>()})));
        }
        let sub = s[1].to_string();
        if !self
            .config
            .subscriptions
            .iter()
            .any(|x| x.eq_ignore_ascii_case(&sub))
        {
            return Err(ArmError::new(
                404,
                "SubscriptionNotFound",
                format!("The subscription '{}' could not be found.", req.segs[1]),
            ));
        }
        let sub_cased = self
            .config
            .subscriptions
            .iter()
            .find(|x| x.eq_ignore_ascii_case(&sub))
            .cloned()
            .unwrap_or(sub.clone());
        if let Some(i) = (2..s.len().saturating_sub(1))
            .find(|&i| s[i] == "providers" && s[i + 1] == "microsoft.authorization")
        {
            let mut scope = format!("/subscriptions/{sub_cased}");
            for seg in &req.segs[2..i] {
                scope.push('/');
                scope.push_str(seg);
            }
            let mut principals = crate::graph::client_principals(&self.config.auth.clients);
            principals.extend(crate::graph::identity_principals(tx)?);
            let (status, body) = crate::authorization::handle(
                tx,
                &req.method,
                &sub_cased,
                &scope,
                &req.segs[i + 2..],
                &req.query,
                api,
                &req.body,
                &principals,
            )?;
            return Ok(match body {
                Some(b) => Resp::json(status, b),
                None => Resp::empty(status),
            });
        }
        match &s[2..] {
            [] => {
                self.only(req, &["GET"])?;
                Ok(Resp::json(200, sub_body(&sub_cased)))
            }
            ["resourcegroups"] => {
                self.only(req, &["GET"])?;
                check_version(kinds::kind(KindId::ResourceGroup), api, true)?;
                let rows = store::list(tx, &sub, None, Some("microsoft.resources/resourcegroups"))?;
                let value: Vec<Value> = rows
                    .iter()
                    .map(|r| self.render(tx, r))
                    .collect::<ArmResult<_>>()?;
                Ok(Resp::json(200, json!({ "value": value })))
            }
            ["resourcegroups", _] => {
                check_version(kinds::kind(KindId::ResourceGroup), api, true)?;
                self.resource_group(tx, req, &sub_cased, &req.segs[3], api, now)
            }
            ["resourcegroups", _, "resources"] => {
                self.only(req, &["GET"])?;
                check_version(kinds::kind(KindId::ResourceGroup), api, true)?;
                let rg_lc = s[3];
                let rg_id = format!("/subscriptions/{sub}/resourcegroups/{rg_lc}");
                if store::get(tx, &rg_id)?.is_none() {
                    return Err(rg_not_found(&req.segs[3]));
                }
                let mut value = Vec::new();
                for r in store::list(tx, &sub, Some(rg_lc), None)? {
                    if let Some(entry) = generic_entry(&r) {
                        value.push(entry);
                    }
                }
                Ok(Resp::json(200, json!({ "value": value })))
            }
            // Regions and AKS versions (crate::locations).
            ["locations"] => {
                self.only(req, &["GET"])?;
                Ok(Resp::json(200, crate::locations::list(&sub_cased)))
            }
            [
                "providers",
                "microsoft.containerservice",
                "locations",
                loc,
                "kubernetesversions",
            ] => {
                self.only(req, &["GET"])?;
                crate::locations::kubernetes_versions(loc).map(|v| Resp::json(200, v))
            }
            ["operationresults", _] => {
                self.only(req, &["GET"])?;
                self.op_result(tx, &req.segs[3], now)
            }
            ["providers", _, "locations", _, kind, _]
                if matches!(
                    *kind,
                    "operations"
                        | "operationresults"
                        | "azureasyncoperations"
                        | "operationstatuses"
                ) =>
            {
                self.only(req, &["GET"])?;
                if *kind == "operationresults" {
                    self.op_result(tx, &req.segs[7], now)
                } else {
                    self.op_status(tx, &req.segs[7], now)
                }
            }
            ["providers", ns, t] => {
                self.only(req, &["GET"])?;
                let k = find_kind(ns, &[t])?;
                check_version(k, api, false)?;
                let rows = store::list(tx, &sub, None, Some(&k.type_name.to_ascii_lowercase()))?;
                let value: Vec<Value> = rows
                    .iter()
                    .map(|r| self.render(tx, r))
                    .collect::<ArmResult<_>>()?;
                Ok(Resp::json(200, json!({ "value": value })))
            }
            [
                "resourcegroups",
                rg,
                "providers",
                "microsoft.network",
                kind @ ("privatednsoperationstatuses" | "privatednsoperationresults"),
                _,
            ] => {
                self.only(req, &["GET"])?;
                let op_id = &req.segs[7];
                // Only the operations of this group's private DNS resources live here.
                let here = self.load_op(tx, op_id).is_ok_and(|op| {
                    op.sub.eq_ignore_ascii_case(&sub)
                        && private_dns_rg(&op.resource_id)
                            .is_some_and(|g| g.eq_ignore_ascii_case(rg))
                });
                if !here {
                    return Err(ArmError::new(
                        404,
                        "OperationNotFound",
                        format!("The operation '{op_id}' could not be found."),
                    ));
                }
                if *kind == "privatednsoperationresults" {
                    self.op_result(tx, op_id, now)
                } else {
                    self.op_status(tx, op_id, now)
                }
            }
            [
                "resourcegroups",
                _,
                "providers",
                "microsoft.resources",
                "deployments",
                rest @ ..,
            ] if rest.len() <= 3 && rest.len() != 2 => {
                check_version(kinds::kind(KindId::ResourceGroup), api, false)?;
                self.deployment(tx, req, &sub_cased, api, now)
            }
            ["resources"] => {
                self.only(req, &["GET"])?;
                check_version(kinds::kind(KindId::ResourceGroup), api, true)?;
                let filter = req
                    .query
                    .iter()
                    .find(|(k, _)| k == "$filter")
                    .map(|(_, v)| v.as_str());
                let clauses = generic_filter(filter)?;
                let mut value = Vec::new();
                for r in store::list(tx, &sub, None, None)? {
                    let Some(entry) = generic_entry(&r) else {
                        continue;
                    };
                    let keep = clauses.iter().all(|(field, want)| {
                        let have = match field.as_str() {
                            "resourcegroup" => r.id.split('/').nth(4).unwrap_or("").to_string(),
                            "name" => entry["name"].as_str().unwrap_or("").to_string(),
                            _ => entry["type"].as_str().unwrap_or("").to_string(),
                        };
                        have.eq_ignore_ascii_case(want)
                    });
                    if keep {
                        value.push(entry);
                    }
                }
                Ok(Resp::json(200, json!({ "value": value })))
            }
            [
                "resourcegroups",
                _,
                "providers",
                "microsoft.containerservice",
                "managedclusters",
                _,
                action,
            ] if crate::credentials::Which::from_action(action).is_some() => {
                self.only(req, &["POST"])?;
                let k = kinds::kind(KindId::ManagedCluster);
                check_version(k, api, false)?;
                let t = Target {
                    kind: k,
                    sub: sub_cased,
                    rg: req.segs[3].clone(),
                    names: vec![req.segs[7].clone()],
                };
                // 404s as a GET of the cluster would.
                self.get_item(tx, &t)?;
                let row = store::get(tx, &t.id_lc())?.ok_or_else(|| {
                    ArmError::new(
                        404,
                        "ResourceNotFound",
                        format!("Resource {} not found.", t.id()),
                    )
                })?;
                let which = crate::credentials::Which::from_action(action)
                    .unwrap_or(crate::credentials::Which::User);
                let fqdn = req
                    .query
                    .iter()
                    .find(|(k, _)| k == "server-fqdn")
                    .map(|(_, v)| v.as_str());
                crate::credentials::list(tx, &row, which, fqdn).map(|b| Resp::json(200, b))
            }
            ["resourcegroups", _, "providers", ns, rest @ ..] if !rest.is_empty() => {
                let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
                let k = find_kind(ns, &types)?;
                check_version(k, api, false)?;
                let names: Vec<String> = req.segs[6..].iter().skip(1).step_by(2).cloned().collect();
                let rg = req.segs[3].clone();
                if k.inline {
                    self.only(req, &["GET"])?;
                    let t = Target {
                        kind: k,
                        sub: sub_cased,
                        rg,
                        names,
                    };
                    return self.inline_get(tx, &t, rest.len() % 2 == 1);
                }
                if rest.len() % 2 == 1 {
                    self.only(req, &["GET"])?;
                    let t = Target {
                        kind: k,
                        sub: sub_cased,
                        rg,
                        names,
                    };
                    return self.list_collection(tx, &t, &req.segs[3]);
                }
                let t = Target {
                    kind: k,
                    sub: sub_cased,
                    rg,
                    names,
                };
                match req.method.as_str() {
                    "GET" => self.get_item(tx, &t).map(|b| Resp::json(200, b)),
                    "HEAD" => Ok(match store::get(tx, &t.id_lc())? {
                        Some(_) => Resp::empty(204),
                        None => Resp::empty(404),
                    }),
                    "PUT" => self.put_item(tx, req, &t, api, fail_op, now),
                    "PATCH" => self.patch_item(tx, req, &t),
                    "DELETE" => self.delete_item(tx, req, &t, api, fail_op, now),
                    m => Err(method_not_allowed(m)),
                }
            }
            _ => Err(ArmError::new(
                404,
                "NotFound",
                "The requested path is not an ARM path this emulator serves.",
            )),
        }
    }

    /// `.../providers/Microsoft.Resources/deployments[/{name}[/operationStatuses/{op}]]`
    /// (see `deployments.rs`).
    fn deployment(
        &self,
        tx: &Transaction<'_>,
        req: &Req,
        sub: &str,
        api: &str,
        now: i64,
    ) -> ArmResult<Resp> {
        let rg = req.segs[3].clone();
        let rg_id_lc = format!("/subscriptions/{sub}/resourcegroups/{rg}").to_ascii_lowercase();
        let Some(rg_row) = store::get(tx, &rg_id_lc)? else {
            return Err(rg_not_found(&rg));
        };
        let rest = &req.segs[7..];
        if rest.is_empty() {
            self.only(req, &["GET"])?;
            let mut value = Vec::new();
            for d in crate::deployments::list(tx, &rg_id_lc)? {
                value.push(self.render_deployment(tx, &d, now)?);
            }
            return Ok(Resp::json(200, json!({ "value": value })));
        }
        let name = rest[0].clone();
        let id = format!(
            "/subscriptions/{sub}/resourceGroups/{}/providers/Microsoft.Resources/deployments/{name}",
            rg_row
                .body
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&rg)
        );
        if rest.len() == 3 {
            self.only(req, &["GET"])?;
            if !rest[1].eq_ignore_ascii_case("operationstatuses") {
                return Err(ArmError::new(
                    404,
                    "NotFound",
                    "The requested path is not an ARM path this emulator serves.",
                ));
            }
            return self.op_status(tx, &rest[2], now);
        }
        let not_found = || {
            ArmError::new(
                404,
                "DeploymentNotFound",
                format!("Deployment '{name}' could not be found."),
            )
        };
        match req.method.as_str() {
            "GET" => {
                let d =
                    crate::deployments::get(tx, &id.to_ascii_lowercase())?.ok_or_else(not_found)?;
                Ok(Resp::json(200, self.render_deployment(tx, &d, now)?))
            }
            "HEAD" => Ok(Resp::empty(
                if crate::deployments::get(tx, &id.to_ascii_lowercase())?.is_some() {
                    204
                } else {
                    404
                },
            )),
            "PUT" => self.put_deployment(tx, req, sub, &rg_row, &id, &name, api, now),
            m => Err(method_not_allowed(m)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn put_deployment(
        &self,
        tx: &Transaction<'_>,
        req: &Req,
        sub: &str,
        rg_row: &Row,
        id: &str,
        name: &str,
        api: &str,
        now: i64,
    ) -> ArmResult<Resp> {
        let body = parse_body(req)?;
        let mode = crate::deployments::mode(&body)
            .map_err(|m| ArmError::bad("InvalidDeploymentMode", m))?;
        if at(&body, &["properties", "templateLink"]).is_some() {
            return Err(ArmError::bad(
                "InvalidTemplate",
                "The emulator does not fetch linked templates (properties.templateLink); send the template inline in properties.template.",
            ));
        }
        let Some(template) = at(&body, &["properties", "template"]).cloned() else {
            return Err(ArmError::bad(
                "InvalidRequestContent",
                "The request content is missing the required property 'properties.template'.",
            ));
        };
        let parameters = at(&body, &["properties", "parameters"])
            .cloned()
            .unwrap_or_else(|| json!({}));
        let rg_name = rg_row
            .body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let location = at(&rg_row.body, &["location"])
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let nothing = |_: &str| None;
        let ctx = crate::template::Context {
            subscription: sub,
            resource_group: &rg_name,
            location: &location,
            tenant: LOCAL_TENANT,
            lookup: &nothing,
        };
        let ev = crate::template::evaluate(&template, &parameters, &ctx)
            .map_err(|e| ArmError::bad("InvalidTemplate", e.0))?;
        let existing = crate::deployments::get(tx, &id.to_ascii_lowercase())?;
        if let Some(d) = &existing
            && let Some(op) = store::get_op(tx, &d.op_id)?
            && !op.settled
        {
            return Err(ArmError::new(
                409,
                "DeploymentActive",
                format!(
                    "The deployment '{name}' cannot be saved, because this would overwrite an existing deployment which is still active."
                ),
            ));
        }
        // PUT each resource through the emulator's own handling, in dependsOn order.
        let mut due = now;
        let mut failure: Option<Value> = None;
        let mut deployed = Vec::new();
        let mut finished: Vec<(String, i64)> = Vec::new();
        for r in &ev.resources {
            // ARM starts a resource once what it dependsOn has finished: the emulator
            // settles the operations due by then and starts this one at that instant.
            let start = r
                .depends_on
                .iter()
                .filter_map(|d| finished.iter().find(|(id, _)| id == d).map(|x| x.1))
                .fold(now, i64::max);
            if start > now {
                store::settle(tx, start, settle_row)?;
            }
            let inner = Req {
                method: "PUT".into(),
                segs: r
                    .id
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                query: vec![("api-version".into(), r.api_version.clone())],
                headers: HeaderMap::new(),
                body: Bytes::from(r.body.to_string()),
            };
            match self.route(tx, &inner, None, start) {
                Ok(resp) if resp.status < 300 => {
                    deployed.push(r.id.clone());
                    let mut end = start;
                    if let Some(row) = store::get(tx, &r.id.to_ascii_lowercase())?
                        && let Some(op_id) = &row.op_id
                        && let Some(op) = store::get_op(tx, op_id)?
                    {
                        end = end.max(op.due_ms);
                        if let Some(e) = op.error {
                            failure = Some(e);
                            due = due.max(end);
                            break;
                        }
                    }
                    due = due.max(end);
                    finished.push((r.id.clone(), end));
                }
                Ok(resp) => {
                    failure = Some(resp.body.and_then(|b| b.get("error").cloned()).unwrap_or_else(|| {
                        json!({"code": "ResourceDeploymentFailure", "message": format!("The resource '{}' answered {}.", r.id, resp.status)})
                    }));
                    break;
                }
                Err(e) => {
                    failure = Some(e.object());
                    break;
                }
            }
        }
        let mut op = self.new_op(
            sub,
            "Microsoft.Resources",
            &location,
            api,
            "put",
            id,
            now,
            ((due - now) as f64 / 1000.0).max(0.0),
            None,
        );
        if let Some(detail) = failure {
            op.outcome = "Failed".into();
            op.error = Some(crate::deployments::failed(detail));
        }
        store::insert_op(tx, &op)?;
        let correlation = req
            .header("x-ms-correlation-request-id")
            .or_else(|| req.header("x-ms-client-request-id"))
            .map(str::to_string)
            .unwrap_or_else(util::uuid);
        let stored = crate::deployments::Stored {
            id: id.to_string(),
            body: crate::deployments::initial_body(
                id,
                name,
                mode,
                &parameters,
                &correlation,
                &rfc3339(now),
            ),
            template,
            parameters,
            resources: deployed,
            op_id: op.id.clone(),
        };
        crate::deployments::put(tx, &rg_row.id_lc, &stored)?;
        let status_url = format!(
            "{}{id}/operationStatuses/{}?api-version={api}",
            self.base(),
            op.id
        );
        Ok(Resp::json(
            if existing.is_some() { 200 } else { 201 },
            stored.body.clone(),
        )
        .header("Azure-AsyncOperation", status_url)
        .header(
            "Retry-After",
            self.retry_after(op.due_ms - now).max(1).to_string(),
        ))
    }

    /// A deployment's GET body: its operation's state, and once succeeded its outputs
    /// (`reference(name)` resolves among the resources it deployed).
    fn render_deployment(
        &self,
        tx: &Transaction<'_>,
        d: &crate::deployments::Stored,
        now: i64,
    ) -> ArmResult<Value> {
        let op = store::get_op(tx, &d.op_id)?;
        let (status, end, error) = match &op {
            Some(o) if o.settled => (o.outcome.clone(), o.due_ms, o.error.clone()),
            Some(_) => ("Running".to_string(), now, None),
            None => ("Succeeded".to_string(), now, None),
        };
        let start = op.as_ref().map(|o| o.start_ms).unwrap_or(now);
        let error = error.map(|e| {
            if e.get("code").and_then(Value::as_str) == Some("DeploymentFailed") {
                e
            } else {
                crate::deployments::failed(e)
            }
        });
        let outputs = if status == "Succeeded" {
            let segs: Vec<&str> = d.id.split('/').collect();
            let sub = segs.get(2).copied().unwrap_or("");
            let rg = segs.get(4).copied().unwrap_or("");
            let lookup = |target: &str| -> Option<Value> {
                let id = d.resources.iter().find(|id| {
                    id.eq_ignore_ascii_case(target)
                        || id
                            .rsplit('/')
                            .next()
                            .is_some_and(|n| n.eq_ignore_ascii_case(target))
                })?;
                let row = store::get(tx, &id.to_ascii_lowercase()).ok()??;
                self.render(tx, &row).ok()
            };
            let nothing = |_: &str| None;
            let ev_ctx = crate::template::Context {
                subscription: sub,
                resource_group: rg,
                location: "",
                tenant: LOCAL_TENANT,
                lookup: &nothing,
            };
            let ctx = crate::template::Context {
                subscription: sub,
                resource_group: rg,
                location: "",
                tenant: LOCAL_TENANT,
                lookup: &lookup,
            };
            let ev = crate::template::evaluate(&d.template, &d.parameters, &ev_ctx)
                .map_err(|e| ArmError::bad("InvalidTemplate", e.0))?;
            Some(
                crate::template::outputs(&d.template, &ev, &ctx)
                    .map_err(|e| ArmError::bad("InvalidTemplate", e.0))?,
            )
        } else {
            None
        };
        Ok(crate::deployments::render(
            d,
            &status,
            end - start,
            outputs,
            error.as_ref(),
        ))
    }

    fn only(&self, req: &Req, methods: &[&str]) -> ArmResult<()> {
        if methods.contains(&req.method.as_str()) {
            Ok(())
        } else {
            Err(method_not_allowed(&req.method))
        }
    }

    // ---------------------------------------------------------------- rendering

    /// The body GET returns for a stored row (composing inline children).
    fn render(&self, tx: &Transaction<'_>, row: &Row) -> ArmResult<Value> {
        let mut body = row.body.clone();
        let Some(k) = kinds::by_type(&row.type_lc) else {
            return Ok(body);
        };
        match k.id {
            KindId::VirtualNetwork => {
                let subnets =
                    store::children(tx, &row.id_lc, "microsoft.network/virtualnetworks/subnets")?;
                let list: Vec<Value> = subnets
                    .iter()
                    .map(|r| self.render(tx, r))
                    .collect::<ArmResult<_>>()?;
                util::obj_mut(&mut body, &["properties"])
                    .insert("subnets".into(), Value::Array(list));
                let peerings = store::children(
                    tx,
                    &row.id_lc,
                    "microsoft.network/virtualnetworks/virtualnetworkpeerings",
                )?;
                let list: Vec<Value> = peerings
                    .iter()
                    .map(|r| self.render(tx, r))
                    .collect::<ArmResult<_>>()?;
                util::obj_mut(&mut body, &["properties"])
                    .insert("virtualNetworkPeerings".into(), Value::Array(list));
            }
            KindId::VirtualNetworkPeering => crate::peering::render(tx, row, &mut body)?,
            KindId::NetworkSecurityGroup => crate::nsg::render_nsg(tx, row, &mut body)?,
            KindId::LoadBalancer => crate::lb::render_lb(tx, row, &mut body)?,
            KindId::LbBackendAddressPool => crate::lb::render_pool(tx, row, &mut body)?,
            KindId::Subnet => crate::lb::render_subnet(tx, row, &mut body)?,
            KindId::PublicIpAddress => crate::lb::render_public_ip(tx, row, &mut body)?,
            KindId::PrivateDnsZone => crate::privatedns::render_zone(tx, row, &mut body)?,
            KindId::ManagedCluster => {
                let pools = store::children(
                    tx,
                    &row.id_lc,
                    "microsoft.containerservice/managedclusters/agentpools",
                )?;
                let list: Vec<Value> = pools
                    .into_iter()
                    .map(|r| crate::aks::profile_of_pool(&r.body))
                    .collect();
                util::obj_mut(&mut body, &["properties"])
                    .insert("agentPoolProfiles".into(), Value::Array(list));
            }
            _ => {}
        }
        Ok(body)
    }

    /// GET of a load balancer's inline sub-resource (or its collection when `list`): served
    /// from the parent's rendered body (loadBalancer.json: GET-only operations).
    fn inline_get(&self, tx: &Transaction<'_>, t: &Target, list: bool) -> ArmResult<Resp> {
        let parent = Target {
            kind: kinds::kind(t.kind.parent.unwrap_or(KindId::ResourceGroup)),
            sub: t.sub.clone(),
            rg: t.rg.clone(),
            names: t.names[..if list {
                t.names.len()
            } else {
                t.names.len().saturating_sub(1)
            }]
                .to_vec(),
        };
        let body = self.get_item(tx, &parent)?;
        let items = at(&body, &["properties", t.kind.last_segment()])
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if list {
            return Ok(Resp::json(200, json!({ "value": items })));
        }
        items
            .into_iter()
            .find(|x| {
                x.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(t.name()))
            })
            .map(|x| Resp::json(200, x))
            .ok_or_else(|| {
                ArmError::new(404, "NotFound", format!("Resource {} not found.", t.id()))
            })
    }

    // ---------------------------------------------------------------- resource groups

    fn resource_group(
        &self,
        tx: &Transaction<'_>,
        req: &Req,
        sub: &str,
        rg: &str,
        api: &str,
        now: i64,
    ) -> ArmResult<Resp> {
        let id = format!("/subscriptions/{sub}/resourceGroups/{rg}");
        let id_lc = id.to_ascii_lowercase();
        let existing = store::get(tx, &id_lc)?;
        match req.method.as_str() {
            "GET" => match existing {
                Some(r) => Ok(Resp::json(200, r.body)),
                None => Err(rg_not_found(rg)),
            },
            "HEAD" => Ok(Resp::empty(if existing.is_some() { 204 } else { 404 })),
            "PUT" => {
                validate_rg_name(rg)?;
                let body = parse_body(req)?;
                if let Some(r) = &existing
                    && r.op_id.is_some()
                {
                    return Err(ArmError::new(
                        409,
                        "ResourceGroupBeingDeleted",
                        format!(
                            "The resource group '{rg}' is in deprovisioning state and cannot perform this operation."
                        ),
                    ));
                }
                let Some(loc) = Check::opt_str(&body, &["location"])? else {
                    return Err(ArmError::bad(
                        "LocationRequired",
                        "The location property is required for this definition.",
                    )
                    .with_target("location"));
                };
                if !crate::regions::is_region(&normalize_location(loc)) {
                    return Err(location_not_available(loc, None));
                }
                let loc = normalize_location(loc);
                let tags = Check::tags(&body)?;
                let managed_by = Check::opt_str(&body, &["managedBy"])?;
                let (cased_id, cased_name) = match &existing {
                    Some(r) => {
                        let old = at(&r.body, &["location"])
                            .and_then(Value::as_str)
                            .unwrap_or("");
                        if old != loc {
                            return Err(ArmError::new(
                                409,
                                "InvalidResourceGroupLocation",
                                format!(
                                    "Invalid resource group location '{loc}'. The Resource group already exists in location '{old}'."
                                ),
                            ));
                        }
                        (
                            r.id.clone(),
                            r.body.get("name").cloned().unwrap_or(json!(rg)),
                        )
                    }
                    None => (id.clone(), json!(rg)),
                };
                let mut b = json!({
                    "id": cased_id,
                    "name": cased_name,
                    "type": "Microsoft.Resources/resourceGroups",
                    "location": loc,
                });
                if let Some(t) = tags {
                    b["tags"] = Value::Object(t);
                }
                if let Some(m) = managed_by {
                    b["managedBy"] = json!(m);
                }
                b["properties"] = json!({"provisioningState": "Succeeded"});
                let row = Row {
                    id_lc: id_lc.clone(),
                    id: cased_id,
                    type_lc: "microsoft.resources/resourcegroups".into(),
                    sub: sub.to_ascii_lowercase(),
                    rg: rg.to_ascii_lowercase(),
                    parent_lc: format!("/subscriptions/{}", sub.to_ascii_lowercase()),
                    body: b.clone(),
                    op_id: None,
                };
                store::put(tx, &row)?;
                Ok(Resp::json(if existing.is_some() { 200 } else { 201 }, b))
            }
            "PATCH" => {
                let Some(mut r) = existing else {
                    return Err(rg_not_found(rg));
                };
                let body = parse_body(req)?;
                if let Some(t) = Check::tags(&body)? {
                    r.body["tags"] = Value::Object(t);
                }
                if let Some(m) = Check::opt_str(&body, &["managedBy"])? {
                    r.body["managedBy"] = json!(m);
                }
                store::put(tx, &r)?;
                Ok(Resp::json(200, r.body))
            }
            "DELETE" => {
                let Some(r) = existing else {
                    return Err(rg_not_found(rg));
                };
                if let Some(op) = &r.op_id {
                    let op = store::get_op(tx, op)?;
                    if let Some(op) = op {
                        return Ok(self.delete_accepted(&op, false, now));
                    }
                }
                let rows = store::list(
                    tx,
                    &sub.to_ascii_lowercase(),
                    Some(&rg.to_ascii_lowercase()),
                    None,
                )?;
                let longest = rows
                    .iter()
                    .filter_map(|r| kinds::by_type(&r.type_lc))
                    .filter(|k| k.id != KindId::ResourceGroup)
                    .map(|k| k.durations.2)
                    .fold(0.0, f64::max);
                let dur = (kinds::kind(KindId::ResourceGroup).durations.2 + longest) * self.scale();
                let loc = at(&r.body, &["location"])
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let op = self.new_op(
                    sub,
                    "Microsoft.Resources",
                    &loc,
                    api,
                    "delete",
                    &r.id,
                    now,
                    dur,
                    None,
                );
                store::insert_op(tx, &op)?;
                // The group's deployment history goes with it.
                crate::deployments::remove_group(tx, &id_lc)?;
                for mut row in rows {
                    mark_deleting(&mut row, &op.id);
                    store::put(tx, &row)?;
                }
                store::settle(tx, now, settle_row)?;
                Ok(self.delete_accepted(&op, false, now))
            }
            m => Err(method_not_allowed(m)),
        }
    }

    // ---------------------------------------------------------------- generic resources

    fn get_item(&self, tx: &Transaction<'_>, t: &Target) -> ArmResult<Value> {
        match store::get(tx, &t.id_lc())? {
            Some(r) => self.render(tx, &r),
            None => Err(self.not_found(tx, t)?),
        }
    }

    fn not_found(&self, tx: &Transaction<'_>, t: &Target) -> ArmResult<ArmError> {
        if store::get(tx, &t.rg_id_lc())?.is_none() {
            return Ok(rg_not_found(&t.rg));
        }
        let short: Vec<String> = t
            .kind
            .type_name
            .split('/')
            .skip(1)
            .map(str::to_string)
            .collect();
        Ok(ArmError::new(
            404,
            "ResourceNotFound",
            format!(
                "The Resource '{}/{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
                t.kind.namespace().to_owned() + "/" + &short.join("/"),
                t.names.join("/"),
                t.rg
            ),
        ))
    }

    fn list_collection(&self, tx: &Transaction<'_>, t: &Target, rg: &str) -> ArmResult<Resp> {
        let rg_id = t.rg_id_lc();
        if store::get(tx, &rg_id)?.is_none() {
            return Err(rg_not_found(rg));
        }
        let type_lc = t.kind.type_name.to_ascii_lowercase();
        let rows = if t.kind.parent.is_some() {
            // Collection under a parent: names holds the parent chain.
            let parent = Target {
                kind: kinds::kind(t.kind.parent.unwrap_or(KindId::ResourceGroup)),
                sub: t.sub.clone(),
                rg: t.rg.clone(),
                names: t.names.clone(),
            };
            let parent_lc = parent.id_lc();
            if store::get(tx, &parent_lc)?.is_none() {
                return Err(self.not_found(tx, &parent)?);
            }
            store::children(tx, &parent_lc, &type_lc)?
        } else {
            store::list(
                tx,
                &t.sub.to_ascii_lowercase(),
                Some(&t.rg.to_ascii_lowercase()),
                Some(&type_lc),
            )?
        };
        let value: Vec<Value> = rows
            .iter()
            .map(|r| self.render(tx, r))
            .collect::<ArmResult<_>>()?;
        Ok(Resp::json(200, json!({ "value": value })))
    }

    fn put_item(
        &self,
        tx: &Transaction<'_>,
        req: &Req,
        t: &Target,
        api: &str,
        fail_op: Option<ArmError>,
        now: i64,
    ) -> ArmResult<Resp> {
        let k = t.kind;
        // Group, then parent.
        let rg_row = store::get(tx, &t.rg_id_lc())?.ok_or_else(|| rg_not_found(&t.rg))?;
        if rg_row.op_id.is_some() {
            return Err(ArmError::new(
                409,
                "ResourceGroupBeingDeleted",
                format!(
                    "The resource group '{}' is in deprovisioning state and cannot perform this operation.",
                    t.rg
                ),
            ));
        }
        let parent = match k.parent {
            Some(_) => {
                let p = store::get(tx, &t.parent_id_lc())?;
                match p {
                    Some(p) => Some(p),
                    None => {
                        let names = &t.names[..t.names.len().saturating_sub(1)];
                        return Err(ArmError::new(
                            404,
                            "ParentResourceNotFound",
                            format!(
                                "Failed to perform 'write' on resource(s) of type '{}', because the parent resource '{}' could not be found.",
                                k.type_name,
                                names.join("/")
                            ),
                        ));
                    }
                }
            }
            None => None,
        };
        validate_name(k.id, t.name())?;
        let body = parse_body(req)?;
        if let Some(s) = k.unknown_in(api, &body) {
            return Err(unknown_member(&req.body, s.path, s.definition));
        }
        let existing = store::get(tx, &t.id_lc())?;
        check_preconditions(req, existing.as_ref())?;
        self.check_conflict(
            tx,
            k,
            &t.id_lc(),
            existing.as_ref(),
            parent.as_ref(),
            "write",
        )?;

        let location = if k.tracked {
            let sent_raw = Check::opt_str(&body, &["location"])?;
            let sent = sent_raw.map(normalize_location);
            if let (Some(raw), Some(l)) = (sent_raw, &sent)
                && k.family != Family::PrivateDns
                && !crate::regions::is_region(l)
            {
                return Err(location_not_available(raw, Some(k.type_name)));
            }
            match (&existing, sent) {
                (_, None) => {
                    return Err(ArmError::bad(
                        "LocationRequired",
                        "The location property is required for this definition.",
                    )
                    .with_target("location"));
                }
                (Some(e), Some(l)) => {
                    let old = at(&e.body, &["location"])
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    if old != l {
                        return Err(ArmError::new(
                            409,
                            "InvalidResourceLocation",
                            format!(
                                "The resource '{}' already exists in location '{old}' in resource group '{}'. A resource with the same name cannot be created in location '{l}'. Please select a new resource name.",
                                t.name(),
                                t.rg
                            ),
                        ));
                    }
                    Some(l)
                }
                (None, Some(l)) => Some(l),
            }
        } else {
            None
        };
        let tags = Check::tags(&body)?;

        // Cased ID: parent's stored casing + the name as first created.
        let cased_id = match (&existing, &parent) {
            (Some(e), _) => e.id.clone(),
            (None, Some(p)) => format!("{}/{}/{}", p.id, k.last_segment(), t.name()),
            (None, None) => {
                format!(
                    "{}/providers/{}/{}",
                    rg_row.id,
                    k.type_name.split('/').next().unwrap_or(""),
                    k.type_name.split('/').skip(1).collect::<Vec<_>>().join("/")
                ) + "/"
                    + t.name()
            }
        };
        let ctx = PutCtx {
            tx,
            id: cased_id.clone(),
            id_lc: t.id_lc(),
            name: existing
                .as_ref()
                .and_then(|e| {
                    e.body
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_else(|| t.name().to_string()),
            sub: t.sub.clone(),
            rg: t.rg.clone(),
            parent: parent.clone(),
            existing: existing.clone(),
            request: body.clone(),
            location: location.clone(),
            now_ms: now,
        };
        let out = match k.id {
            KindId::VirtualNetwork => crate::network::put_vnet(&ctx)?,
            KindId::Subnet => crate::network::put_subnet(&ctx)?,
            KindId::VirtualNetworkPeering => crate::peering::put_peering(&ctx)?,
            KindId::NetworkSecurityGroup => crate::nsg::put_nsg(&ctx)?,
            KindId::SecurityRule => crate::nsg::put_rule(&ctx)?,
            KindId::PublicIpAddress => crate::lb::put_public_ip(&ctx)?,
            KindId::LoadBalancer => crate::lb::put_lb(&ctx)?,
            KindId::LbBackendAddressPool => crate::lb::put_pool(&ctx)?,
            KindId::ManagedCluster => crate::aks::put_cluster(&ctx)?,
            KindId::AgentPool => crate::aks::put_pool(&ctx)?,
            KindId::PrivateDnsZone => crate::privatedns::put_zone(&ctx)?,
            KindId::PrivateDnsARecordSet => crate::privatedns::put_a_record_set(&ctx)?,
            KindId::PrivateDnsVirtualNetworkLink => crate::privatedns::put_link(&ctx)?,
            KindId::UserAssignedIdentity => crate::msi::put_identity(&ctx)?,
            KindId::FederatedIdentityCredential => crate::msi::put_fic(&ctx)?,
            KindId::LbFrontendIpConfiguration
            | KindId::LbLoadBalancingRule
            | KindId::LbProbe
            | KindId::LbOutboundRule
            | KindId::LbInboundNatRule => return Err(method_not_allowed("PUT")),
            KindId::ResourceGroup => {
                return Err(ArmError::new(
                    500,
                    "InternalServerError",
                    "resource group routed as a provider resource",
                ));
            }
        };

        let created = existing.is_none();
        let dur_s = if created {
            k.durations.0
        } else {
            k.durations.1
        };
        let dur_ms = (dur_s * self.scale() * 1000.0).round() as i64;
        let op_loc = location
            .clone()
            .or_else(|| {
                parent.as_ref().and_then(|p| {
                    at(&p.body, &["location"])
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
            })
            .unwrap_or_else(|| "local".into());
        let op = if k.lro_put {
            Some(self.new_op(
                &t.sub,
                k.namespace(),
                &op_loc,
                api,
                "put",
                &cased_id,
                now,
                dur_ms as f64 / 1000.0,
                fail_op,
            ))
        } else {
            None
        };
        if let Some(op) = &op {
            store::insert_op(tx, op)?;
        }
        let op_id = op.as_ref().map(|o| o.id.clone());

        // Main row.
        let mut b = out.body;
        let mut top = Map::new();
        top.insert("id".into(), json!(cased_id));
        top.insert("name".into(), json!(ctx.name));
        top.insert("type".into(), json!(k.type_name));
        if let Some(l) = &location {
            top.insert("location".into(), json!(l));
        }
        if let Some(tg) = tags {
            top.insert("tags".into(), Value::Object(tg));
        }
        if let Value::Object(m) = &mut b {
            for (key, v) in std::mem::take(m) {
                if !top.contains_key(&key) {
                    top.insert(key, v);
                }
            }
        }
        let mut b = Value::Object(top);
        let state = if op.is_some() {
            running_state(k.family, created)
        } else {
            "Succeeded"
        };
        set_state(&mut b, k, state);
        let row = Row {
            id_lc: t.id_lc(),
            id: cased_id.clone(),
            type_lc: k.type_name.to_ascii_lowercase(),
            sub: t.sub.to_ascii_lowercase(),
            rg: t.rg.to_ascii_lowercase(),
            parent_lc: t.parent_id_lc(),
            body: b,
            op_id: op_id.clone(),
        };
        store::put(tx, &row)?;
        for mut c in out.children {
            let ck = kinds::by_type(&c.row.type_lc).unwrap_or(k);
            let st = if c.delete {
                "Deleting"
            } else if op.is_some() {
                running_state(ck.family, c.created)
            } else {
                "Succeeded"
            };
            set_state(&mut c.row.body, ck, st);
            c.row.op_id = op_id.clone();
            if c.delete && op.is_none() {
                store::remove(tx, &c.row.id_lc)?;
            } else {
                store::put(tx, &c.row)?;
            }
        }
        // Zero-duration operations complete inside this transaction.
        store::settle(tx, now, settle_row)?;
        let row = store::get(tx, &t.id_lc())?.unwrap_or(row);
        let hold_ms = match k.id {
            KindId::FederatedIdentityCredential => {
                crate::msi::set_fic_window(tx, t.parent_id_lc().as_str(), now, dur_ms)?
            }
            _ => 0,
        };
        if let Some(op) = &op
            && k.put_accepted
            && row.op_id.is_some()
        {
            // privatedns.json examples: 202 with Location + Azure-AsyncOperation + Retry-After.
            return Ok(Resp::empty(202)
                .header("Location", self.op_url(op, "operationresults"))
                .header("Azure-AsyncOperation", self.op_url(op, "operations"))
                .header("Retry-After", self.retry_after(op.due_ms - now).to_string()));
        }
        let body = self.render(tx, &row)?;
        let mut resp = Resp::json(if created { 201 } else { 200 }, body);
        resp.hold_ms = hold_ms;
        if let Some(op) = &op {
            resp = resp
                .header("Azure-AsyncOperation", self.op_url(op, "operations"))
                .header("Retry-After", self.retry_after(op.due_ms - now).to_string());
        }
        Ok(resp)
    }

    fn patch_item(&self, tx: &Transaction<'_>, req: &Req, t: &Target) -> ArmResult<Resp> {
        let Some(mut row) = store::get(tx, &t.id_lc())? else {
            return Err(self.not_found(tx, t)?);
        };
        let body = parse_body(req)?;
        check_preconditions(req, Some(&row))?;
        self.check_conflict(tx, t.kind, &row.id_lc, Some(&row), None, "write")?;
        if let Some(tags) = Check::tags(&body)? {
            row.body["tags"] = Value::Object(tags);
        }
        if t.kind.id == KindId::PrivateDnsARecordSet {
            // RecordSets_Update (privatedns.json 2024-06-01) takes a whole `RecordSet`: the
            // properties sent replace the stored ones (ttl, metadata, aRecords), the rest
            // keep their values, with the same rules as the PUT.
            if let Some(sent) = Check::opt_obj(&body, &["properties"])? {
                let mut merged = row.body.get("properties").cloned().unwrap_or(json!({}));
                for (k, v) in sent {
                    merged[k.as_str()] = v.clone();
                }
                let parent = store::get(tx, &t.parent_id_lc())?;
                let ctx = PutCtx {
                    tx,
                    id: row.id.clone(),
                    id_lc: row.id_lc.clone(),
                    name: row
                        .body
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or(t.name())
                        .to_string(),
                    sub: t.sub.clone(),
                    rg: t.rg.clone(),
                    parent,
                    existing: Some(row.clone()),
                    request: json!({ "properties": merged }),
                    location: None,
                    now_ms: now_ms(),
                };
                let out = crate::privatedns::put_a_record_set(&ctx)?;
                if let Some(p) = out.body.get("properties") {
                    row.body["properties"] = p.clone();
                }
            }
        }
        refresh_etag(&mut row.body, t.kind.family);
        store::put(tx, &row)?;
        let b = self.render(tx, &row)?;
        Ok(Resp::json(200, b))
    }

    fn delete_item(
        &self,
        tx: &Transaction<'_>,
        req: &Req,
        t: &Target,
        api: &str,
        fail_op: Option<ArmError>,
        now: i64,
    ) -> ArmResult<Resp> {
        let k = t.kind;
        if store::get(tx, &t.rg_id_lc())?.is_none() {
            return Err(rg_not_found(&t.rg));
        }
        let Some(row) = store::get(tx, &t.id_lc())? else {
            return Ok(Resp::empty(204));
        };
        check_preconditions(req, Some(&row))?;
        if let Some(op_id) = &row.op_id
            && let Some(op) = store::get_op(tx, op_id)?
            && (op.verb == "delete"
                || at(&row.body, &["properties", "provisioningState"]).and_then(Value::as_str)
                    == Some("Deleting"))
        {
            return Ok(self.delete_accepted(&op, k.family != Family::Resources, now));
        }
        let parent = match k.parent {
            Some(_) => store::get(tx, &t.parent_id_lc())?,
            None => None,
        };
        self.check_conflict(tx, k, &row.id_lc, Some(&row), parent.as_ref(), "delete")?;
        match k.id {
            KindId::Subnet => crate::network::check_subnet_delete(tx, &row)?,
            KindId::VirtualNetwork => {
                for s in
                    store::children(tx, &row.id_lc, "microsoft.network/virtualnetworks/subnets")?
                {
                    crate::network::check_subnet_delete(tx, &s)?;
                }
            }
            KindId::AgentPool => crate::aks::check_pool_delete(tx, &row)?,
            KindId::NetworkSecurityGroup => crate::nsg::check_nsg_delete(tx, &row)?,
            KindId::PrivateDnsZone => crate::privatedns::check_zone_delete(tx, &row)?,
            KindId::VirtualNetworkPeering => crate::peering::on_peering_delete(tx, &row)?,
            KindId::LbFrontendIpConfiguration
            | KindId::LbLoadBalancingRule
            | KindId::LbProbe
            | KindId::LbOutboundRule
            | KindId::LbInboundNatRule => return Err(method_not_allowed("DELETE")),
            _ => {}
        }
        if !k.lro_delete {
            // Synchronous delete (MSI, record sets): 200 once deleted.
            let dur_ms = (k.durations.2 * self.scale() * 1000.0).round() as i64;
            let hold_ms = match k.id {
                KindId::FederatedIdentityCredential => {
                    crate::msi::check_fic_window(tx, &row.parent_lc, now)?;
                    crate::msi::set_fic_window(tx, &row.parent_lc, now, dur_ms)?
                }
                _ => 0,
            };
            for r in store::subtree(tx, &row.id_lc)? {
                store::remove(tx, &r.id_lc)?;
            }
            let mut resp = Resp::empty(200);
            resp.hold_ms = hold_ms;
            return Ok(resp);
        }
        let dur = k.durations.2 * self.scale();
        let loc = at(&row.body, &["location"])
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                parent.as_ref().and_then(|p| {
                    at(&p.body, &["location"])
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
            })
            .unwrap_or_else(|| "local".into());
        let op = self.new_op(
            &t.sub,
            k.namespace(),
            &loc,
            api,
            "delete",
            &row.id,
            now,
            dur,
            fail_op,
        );
        store::insert_op(tx, &op)?;
        for mut r in store::subtree(tx, &row.id_lc)? {
            mark_deleting(&mut r, &op.id);
            store::put(tx, &r)?;
        }
        store::settle(tx, now, settle_row)?;
        Ok(self.delete_accepted(&op, true, now))
    }

    /// 409/429 when another operation is running on the resource (or, for AKS, on the
    /// cluster or any of its pools; for subnets, on the VNet or a sibling subnet).
    fn check_conflict(
        &self,
        tx: &Transaction<'_>,
        k: &Kind,
        id_lc: &str,
        existing: Option<&Row>,
        parent: Option<&Row>,
        what: &str,
    ) -> ArmResult<()> {
        let mut busy: Vec<Row> = Vec::new();
        if let Some(e) = existing
            && e.op_id.is_some()
        {
            busy.push(e.clone());
        }
        match k.id {
            KindId::ManagedCluster | KindId::AgentPool => {
                let cluster_lc = if k.id == KindId::AgentPool {
                    parent.map(|p| p.id_lc.clone()).unwrap_or_default()
                } else {
                    id_lc.to_string()
                };
                if !cluster_lc.is_empty() {
                    for r in store::subtree(tx, &cluster_lc)? {
                        if r.op_id.is_some() {
                            busy.push(r);
                        }
                    }
                }
            }
            KindId::Subnet
            | KindId::SecurityRule
            | KindId::LbBackendAddressPool
            | KindId::VirtualNetworkPeering => {
                if let Some(p) = parent {
                    for r in store::subtree(tx, &p.id_lc)? {
                        if r.op_id.is_some() && r.id_lc != id_lc {
                            busy.push(r);
                        }
                    }
                }
            }
            _ => {}
        }
        let Some(b) = busy.first() else { return Ok(()) };
        let state = at(&b.body, &["properties", "provisioningState"])
            .and_then(Value::as_str)
            .unwrap_or("InProgress");
        match k.family {
            Family::Aks => Err(ArmError::new(
                409,
                "OperationNotAllowed",
                format!(
                    "Operation is not allowed because there's an in progress {} operation ({}) on resource '{}'. Please wait for it to finish before starting a new operation.",
                    state.to_lowercase(),
                    b.op_id.clone().unwrap_or_default(),
                    b.id
                ),
            )),
            _ => {
                let mut e = ArmError::new(
                    429,
                    "RetryableErrorDueToAnotherOperation",
                    format!(
                        "Operation {what} on resource {} was not started because another operation ({}, state {state}) on resource {} is in progress. Retry the operation after it completes.",
                        id_lc,
                        b.op_id.clone().unwrap_or_default(),
                        b.id
                    ),
                );
                e.retry_after = Some(self.retry_after(1000));
                Err(e)
            }
        }
    }

    // ---------------------------------------------------------------- operations

    #[allow(clippy::too_many_arguments)]
    fn new_op(
        &self,
        sub: &str,
        ns: &str,
        location: &str,
        api: &str,
        verb: &str,
        resource_id: &str,
        now: i64,
        dur_s: f64,
        fail: Option<ArmError>,
    ) -> Op {
        let due = now + (dur_s * 1000.0).round().max(0.0) as i64;
        Op {
            id: util::uuid(),
            sub: sub.to_string(),
            ns: ns.to_string(),
            location: location.to_string(),
            api_version: api.to_string(),
            verb: verb.to_string(),
            resource_id: resource_id.to_string(),
            start_ms: now,
            due_ms: due,
            outcome: if fail.is_some() {
                "Failed".into()
            } else {
                "Succeeded".into()
            },
            error: fail.map(|e| e.object()),
            settled: false,
        }
    }

    /// URL of an operation's status (`which` = `operations`, the Azure-AsyncOperation
    /// header) or result (`operationresults`, the Location header). Shapes: resource groups
    /// `/subscriptions/{s}/operationresults/{id}`; private DNS zones and links (their
    /// privatedns.json 2024-06-01 examples PrivateZonePut/PrivateZoneDelete/
    /// VirtualNetworkLink*) `/subscriptions/{s}/resourceGroups/{rg}/providers/
    /// Microsoft.Network/privateDnsOperationStatuses/{id}` and `.../privateDnsOperationResults/{id}`;
    /// everything else `/subscriptions/{s}/providers/{ns}/locations/{loc}/{which}/{id}`.
    fn op_url(&self, op: &Op, which: &str) -> String {
        if let Some(rg) = private_dns_rg(&op.resource_id) {
            let kind = if which == "operationresults" {
                "privateDnsOperationResults"
            } else {
                "privateDnsOperationStatuses"
            };
            return format!(
                "{}/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.Network/{kind}/{}?api-version={}",
                self.base(),
                op.sub,
                op.id,
                op.api_version
            );
        }
        if op.ns == "Microsoft.Resources" {
            return format!(
                "{}/subscriptions/{}/operationresults/{}?api-version={}",
                self.base(),
                op.sub,
                op.id,
                op.api_version
            );
        }
        format!(
            "{}/subscriptions/{}/providers/{}/locations/{}/{which}/{}?api-version={}",
            self.base(),
            op.sub,
            op.ns,
            op.location,
            op.id,
            op.api_version
        )
    }

    fn delete_accepted(&self, op: &Op, with_aao: bool, now: i64) -> Resp {
        let mut r = Resp::empty(202)
            .header("Location", self.op_url(op, "operationresults"))
            .header("Retry-After", self.retry_after(op.due_ms - now).to_string());
        if with_aao {
            r = r.header("Azure-AsyncOperation", self.op_url(op, "operations"));
        }
        r
    }

    fn load_op(&self, tx: &Transaction<'_>, id: &str) -> ArmResult<Op> {
        store::get_op(tx, id)?.ok_or_else(|| {
            ArmError::new(
                404,
                "OperationNotFound",
                format!("The operation '{id}' could not be found."),
            )
        })
    }

    /// Azure-AsyncOperation status body.
    fn op_status(&self, tx: &Transaction<'_>, id: &str, now: i64) -> ArmResult<Resp> {
        let op = self.load_op(tx, id)?;
        let status = if op.settled {
            op.outcome.as_str()
        } else {
            "InProgress"
        };
        let url = self.op_url(&op, "operations");
        let path = url.strip_prefix(self.base()).unwrap_or(&url);
        let path = path.split('?').next().unwrap_or(path);
        let mut b = json!({
            "id": path,
            "name": op.id,
            "status": status,
            "startTime": rfc3339(op.start_ms),
        });
        if op.settled {
            b["endTime"] = json!(rfc3339(op.due_ms));
            b["percentComplete"] = json!(100);
            if let Some(e) = &op.error {
                b["error"] = e.clone();
            }
        } else {
            let total = (op.due_ms - op.start_ms).max(1) as f64;
            b["percentComplete"] = json!(
                (((now - op.start_ms) as f64 / total) * 100.0)
                    .clamp(0.0, 99.0)
                    .floor()
            );
        }
        let mut r = Resp::json(200, b);
        if !op.settled {
            r = r.header("Retry-After", self.retry_after(op.due_ms - now).to_string());
        }
        Ok(r)
    }

    /// Location polling: 202 while running; then 204 (delete), 200 + resource (put), or the
    /// operation's error.
    fn op_result(&self, tx: &Transaction<'_>, id: &str, now: i64) -> ArmResult<Resp> {
        let op = self.load_op(tx, id)?;
        if !op.settled {
            return Ok(Resp::empty(202)
                .header("Location", self.op_url(&op, "operationresults"))
                .header("Retry-After", self.retry_after(op.due_ms - now).to_string()));
        }
        if let Some(e) = &op.error {
            let code = e
                .get("code")
                .and_then(Value::as_str)
                .unwrap_or("OperationFailed");
            let msg = e.get("message").and_then(Value::as_str).unwrap_or("");
            return Err(ArmError::bad(code, msg));
        }
        if op.verb == "delete" {
            return Ok(Resp::empty(204));
        }
        match store::get(tx, &op.resource_id.to_ascii_lowercase())? {
            Some(r) => Ok(Resp::json(200, self.render(tx, &r)?)),
            None => Ok(Resp::empty(204)),
        }
    }
}

// -------------------------------------------------------------------- helpers

/// A top-level resource as `Resources_List`/`Resources_ListByResourceGroup` show it
/// (`GenericResourceExpanded`'s `id`, `name`, `type`, `kind`, `location`, `managedBy`,
/// `sku`, `tags`); `None` for groups, child resources and types the emulator has no kind for.
fn generic_entry(r: &Row) -> Option<Value> {
    let k = kinds::by_type(&r.type_lc)?;
    if k.parent.is_some() || k.id == KindId::ResourceGroup {
        return None;
    }
    let mut m = Map::new();
    for key in [
        "id",
        "name",
        "type",
        "kind",
        "location",
        "managedBy",
        "sku",
        "tags",
    ] {
        if let Some(v) = r.body.get(key) {
            m.insert(key.into(), v.clone());
        }
    }
    Some(Value::Object(m))
}

/// The `$filter` of `Resources_List` (resources.json 2025-04-01: "you can filter by
/// resourceGroup, name, resourceType ..."): `and`-joined `field eq 'value'` clauses over
/// `resourceGroup`, `name` and `resourceType`, as (lower-cased field, value). Anything else
/// → 400 `InvalidFilterInQueryString`.
fn generic_filter(filter: Option<&str>) -> ArmResult<Vec<(String, String)>> {
    let Some(f) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok(Vec::new());
    };
    let bad = || {
        ArmError::bad(
            "InvalidFilterInQueryString",
            format!(
                "Invalid $filter '{f}' specified in the query string. The emulator serves \"field eq 'value'\" clauses joined by 'and' over resourceGroup, name and resourceType."
            ),
        )
    };
    let mut out = Vec::new();
    for clause in f.split(" and ") {
        let (field, value) = clause.trim().split_once(" eq ").ok_or_else(bad)?;
        let field = field.trim().to_ascii_lowercase();
        if !matches!(field.as_str(), "resourcegroup" | "name" | "resourcetype") {
            return Err(bad());
        }
        let value = value
            .trim()
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .ok_or_else(bad)?
            .replace("''", "'");
        out.push((field, value));
    }
    Ok(out)
}

/// The resource group (as cased in the ID) of a private DNS zone or anything below one
/// (`/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/privateDnsZones/...`),
/// `None` for any other resource.
fn private_dns_rg(resource_id: &str) -> Option<&str> {
    let segs: Vec<&str> = resource_id.split('/').collect();
    let is_pd = segs.len() >= 9
        && segs[1].eq_ignore_ascii_case("subscriptions")
        && segs[3].eq_ignore_ascii_case("resourcegroups")
        && segs[5].eq_ignore_ascii_case("providers")
        && segs[6].eq_ignore_ascii_case("microsoft.network")
        && segs[7].eq_ignore_ascii_case("privatednszones");
    if is_pd { Some(segs[4]) } else { None }
}

fn sub_body(s: &str) -> Value {
    json!({
        "id": format!("/subscriptions/{s}"),
        "subscriptionId": s,
        "tenantId": LOCAL_TENANT,
        "displayName": format!("capz local {s}"),
        "state": "Enabled",
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
        "authorizationSource": "RoleBased"
    })
}

fn method_not_allowed(m: &str) -> ArmError {
    ArmError::new(
        405,
        "MethodNotAllowed",
        format!("The HTTP method '{m}' is not supported for this resource path."),
    )
}

fn rg_not_found(rg: &str) -> ArmError {
    ArmError::new(
        404,
        "ResourceGroupNotFound",
        format!("Resource group '{rg}' could not be found."),
    )
}

/// 400 for a location that is not a public region (empty included): for a resource group
/// `LocationNotAvailableForResourceGroup` "The provided location 'x' is not available for
/// resource group. List of available regions is 'australiacentral,...'." (ARM's answer to
/// `az group create -l x`, whose wording Microsoft's own Dynamics ERP setup scripts repeat);
/// for a resource type `LocationNotAvailableForResourceType` "The provided location 'x' is
/// not available for resource type 'T'. List of available regions for the resource type is
/// '...'." (ARM's answer when a type is not offered in a region; the same shape as the
/// private DNS `global` rule in `privatedns.rs`). Unconfirmed: the exact answer to an empty
/// string (here the same error naming ''). Regions: [`crate::regions::REGIONS`].
fn location_not_available(sent: &str, type_name: Option<&str>) -> ArmError {
    let list = crate::regions::names_csv();
    let e = match type_name {
        None => ArmError::bad(
            "LocationNotAvailableForResourceGroup",
            format!(
                "The provided location '{sent}' is not available for resource group. List of available regions is '{list}'."
            ),
        ),
        Some(t) => ArmError::bad(
            "LocationNotAvailableForResourceType",
            format!(
                "The provided location '{sent}' is not available for resource type '{t}'. List of available regions for the resource type is '{list}'."
            ),
        ),
    };
    e.with_target("location")
}

fn find_kind(ns: &str, types: &[&str]) -> ArmResult<&'static Kind> {
    let full = format!("{ns}/{}", types.join("/"));
    kinds::by_type(&full).ok_or_else(|| {
        ArmError::new(
            404,
            "InvalidResourceType",
            format!(
                "The resource type '{}' could not be found in the namespace '{ns}'.",
                types.join("/")
            ),
        )
    })
}

/// api-version check. Source: ARM answers 400 `InvalidApiVersionParameter` for a version
/// that is not well formed (and, for Microsoft.Resources types, not supported), and
/// 400 `NoRegisteredProviderFound` listing the supported versions for a resource provider
/// type that does not have that version.
fn check_version(k: &Kind, v: &str, arm_level: bool) -> ArmResult<()> {
    if k.accepts_version(v) {
        return Ok(());
    }
    let well_formed = {
        let base = v.strip_suffix("-preview").unwrap_or(v);
        let b = base.as_bytes();
        b.len() == 10
            && b.iter().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    *c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            })
    };
    let list = k.api_versions.join(", ");
    if arm_level || !well_formed {
        return Err(ArmError::bad(
            "InvalidApiVersionParameter",
            format!("The api-version '{v}' is invalid. The supported versions are '{list}'."),
        ));
    }
    Err(ArmError::bad(
        "NoRegisteredProviderFound",
        format!(
            "No registered resource provider found for location and API version '{v}' for type '{}'. The supported api-versions are '{list}'.",
            k.type_name
                .split_once('/')
                .map(|x| x.1)
                .unwrap_or(k.type_name)
        ),
    ))
}

/// 400 `InvalidRequestContent` for a member the request's api-version does not know, in the
/// shape of ARM's deserializer error: "The request content was invalid and could not be
/// deserialized: 'Could not find member 'X' on object of type 'T'. Path 'p', line L,
/// position P.'." (ARM's answer for an unknown member of the resource envelope, type
/// `ResourceDefinition`, as quoted in Azure/terraform-provider-azapi issue reports and SDK
/// bug reports; L and P point just past the member's name and colon, as Json.NET counts).
fn unknown_member(raw: &[u8], path: &[&str], definition: &str) -> ArmError {
    let name = path.last().copied().unwrap_or("");
    let text = String::from_utf8_lossy(raw);
    let needle = format!("\"{name}\"");
    let (line, pos) = match text.find(&needle) {
        Some(i) => {
            let before = &text[..i];
            let line = before.matches('\n').count() + 1;
            let col = i - before.rfind('\n').map(|n| n + 1).unwrap_or(0);
            let rest = &text[i + needle.len()..];
            let colon = rest.find(':').map(|c| c + 1).unwrap_or(0);
            (line, col + needle.len() + colon + 1)
        }
        None => (1, 1),
    };
    ArmError::bad(
        "InvalidRequestContent",
        format!(
            "The request content was invalid and could not be deserialized: 'Could not find member '{name}' on object of type '{definition}'. Path '{}', line {line}, position {pos}.'.",
            path.join(".")
        ),
    )
}

fn parse_body(req: &Req) -> ArmResult<Value> {
    if req.body.is_empty() {
        return Err(ArmError::bad(
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: 'the request body is empty'.",
        ));
    }
    let v: Value = serde_json::from_slice(&req.body).map_err(|e| {
        ArmError::bad(
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{e}'."),
        )
    })?;
    if !v.is_object() {
        return Err(ArmError::bad(
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: 'expected a JSON object'.",
        ));
    }
    Ok(v)
}

fn etag_of(body: &Value) -> Option<&str> {
    body.get("etag")
        .or_else(|| body.get("eTag"))
        .or_else(|| at(body, &["properties", "eTag"]))
        .and_then(Value::as_str)
}

/// If-Match / If-None-Match (412 `PreconditionFailed`).
fn check_preconditions(req: &Req, existing: Option<&Row>) -> ArmResult<()> {
    let cur = existing.and_then(|r| etag_of(&r.body));
    if let Some(m) = req.header("if-match") {
        let ok = match existing {
            None => false,
            Some(_) => m.trim() == "*" || cur.is_some_and(|c| m.split(',').any(|x| x.trim() == c)),
        };
        if !ok {
            return Err(ArmError::new(
                412,
                "PreconditionFailed",
                format!("The condition '{m}' in the If-Match header was not satisfied."),
            ));
        }
    }
    if let Some(m) = req.header("if-none-match")
        && existing.is_some()
        && (m.trim() == "*" || cur.is_some_and(|c| m.split(',').any(|x| x.trim() == c)))
    {
        return Err(ArmError::new(
            412,
            "PreconditionFailed",
            format!("The condition '{m}' in the If-None-Match header was not satisfied."),
        ));
    }
    Ok(())
}

fn running_state(f: Family, created: bool) -> &'static str {
    match (f, created) {
        (Family::Network, _) => "Updating",
        (Family::Msi | Family::Resources, _) => "Succeeded",
        (_, true) => "Creating",
        (_, false) => "Updating",
    }
}

fn refresh_etag(body: &mut Value, f: Family) {
    match f {
        Family::Network => body["etag"] = json!(util::weak_etag()),
        Family::Aks => {
            // Agent pools carry eTag inside properties (ManagedClusterAgentPoolProfileProperties).
            let pool = body
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with("/agentPools"));
            if pool {
                util::obj_mut(body, &["properties"]).insert("eTag".into(), json!(util::uuid()));
            } else {
                body["eTag"] = json!(util::uuid());
            }
        }
        // privatedns.json examples: `"etag": "00000000-0000-0000-0000-000000000000"`.
        Family::PrivateDns => body["etag"] = json!(util::uuid()),
        Family::Resources | Family::Msi => {}
    }
}

fn set_state(body: &mut Value, k: &Kind, state: &str) {
    let f = k.family;
    if k.provisioning_state {
        util::obj_mut(body, &["properties"]).insert("provisioningState".into(), json!(state));
    }
    refresh_etag(body, f);
    if k.id == KindId::PrivateDnsVirtualNetworkLink {
        // virtualNetworkLinkState (InProgress|Completed) follows the link's operation.
        let done = !matches!(state, "Creating" | "Updating");
        util::obj_mut(body, &["properties"]).insert(
            "virtualNetworkLinkState".into(),
            json!(if done { "Completed" } else { "InProgress" }),
        );
    }
    if f == Family::Aks {
        // powerState follows the operation: Running once provisioned (spec PowerState).
        let props = util::obj_mut(body, &["properties"]);
        props.insert("powerState".into(), json!({"code": "Running"}));
    }
}

fn kind_of(row: &Row) -> &'static Kind {
    kinds::by_type(&row.type_lc).unwrap_or_else(|| kinds::kind(KindId::ResourceGroup))
}

fn settle_row(row: &mut Row, outcome: &str) {
    let k = kind_of(row);
    set_state(&mut row.body, k, outcome);
}

fn mark_deleting(row: &mut Row, op_id: &str) {
    let k = kind_of(row);
    if k.provisioning_state {
        util::obj_mut(&mut row.body, &["properties"])
            .insert("provisioningState".into(), json!("Deleting"));
    }
    refresh_etag(&mut row.body, k.family);
    row.op_id = Some(op_id.to_string());
}

/// Resource group names: `^[-\w\._\(\)]+$`, 1-90 characters, not ending in a period
/// (resources.json 2025-04-01).
fn validate_rg_name(n: &str) -> ArmResult<()> {
    let ok = !n.is_empty()
        && n.chars().count() <= 90
        && !n.ends_with('.')
        && n.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')'));
    if ok {
        Ok(())
    } else {
        Err(ArmError::bad(
            "InvalidResourceGroupName",
            format!(
                "Resource group name '{n}' is invalid. It must be 1-90 characters of letters, digits, '-', '_', '.', '(' or ')' and must not end with a period."
            ),
        ))
    }
}

/// Name rules per kind (patterns from the specs; Network names per
/// https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
fn validate_name(k: KindId, n: &str) -> ArmResult<()> {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    let ok = match k {
        // managedClusters.json: ^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$
        KindId::ManagedCluster => {
            let cs: Vec<char> = n.chars().collect();
            !cs.is_empty()
                && cs.len() <= 63
                && alnum(cs[0])
                && alnum(cs[cs.len() - 1])
                && cs.iter().all(|c| alnum(*c) || *c == '-' || *c == '_')
        }
        // managedClusters.json: ^[a-z][a-z0-9]{0,11}$
        KindId::AgentPool => {
            let cs: Vec<char> = n.chars().collect();
            !cs.is_empty()
                && cs.len() <= 12
                && cs[0].is_ascii_lowercase()
                && cs
                    .iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        }
        // ManagedIdentity.json: FIC name ^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$.
        KindId::FederatedIdentityCredential => {
            let cs: Vec<char> = n.chars().collect();
            cs.len() >= 3
                && cs.len() <= 120
                && alnum(cs[0])
                && cs.iter().all(|c| alnum(*c) || *c == '-' || *c == '_')
        }
        // Identity names: 3-128 characters of letters, digits, '-' and '_', starting with a
        // letter or digit (resource-name-rules, Microsoft.ManagedIdentity).
        KindId::UserAssignedIdentity => {
            let cs: Vec<char> = n.chars().collect();
            cs.len() >= 3
                && cs.len() <= 128
                && alnum(cs[0])
                && cs.iter().all(|c| alnum(*c) || *c == '-' || *c == '_')
        }
        // Private DNS zone: a DNS name of 2-34 labels, each 1-63 letters, digits, '-' or '_',
        // at most 253 characters (resource-name-rules, privateDnsZones).
        KindId::PrivateDnsZone => {
            let labels: Vec<&str> = n.trim_end_matches('.').split('.').collect();
            n.len() <= 253
                && (2..=34).contains(&labels.len())
                && labels.iter().all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.chars().all(|c| alnum(c) || c == '-' || c == '_')
                })
        }
        // Record set names: `@` (apex) or relative DNS labels ('*' wildcard allowed).
        KindId::PrivateDnsARecordSet => {
            n == "@"
                || (n.len() <= 253
                    && n.split('.').all(|l| {
                        !l.is_empty()
                            && l.len() <= 63
                            && l.chars().all(|c| alnum(c) || matches!(c, '-' | '_' | '*'))
                    }))
        }
        // vnet 2-64, other network names 1-80: alphanumerics, '_', '.', '-'; start alnum; end
        // alnum or '_' (publicIpAddress.json name pattern ^[A-Za-z0-9][A-Za-z0-9_\.-]*[A-Za-z0-9_]$).
        KindId::VirtualNetwork
        | KindId::Subnet
        | KindId::VirtualNetworkPeering
        | KindId::NetworkSecurityGroup
        | KindId::SecurityRule
        | KindId::PublicIpAddress
        | KindId::LoadBalancer
        | KindId::LbBackendAddressPool
        | KindId::LbFrontendIpConfiguration
        | KindId::LbLoadBalancingRule
        | KindId::LbProbe
        | KindId::LbOutboundRule
        | KindId::LbInboundNatRule
        | KindId::PrivateDnsVirtualNetworkLink => {
            let max = if k == KindId::VirtualNetwork { 64 } else { 80 };
            let min = if k == KindId::VirtualNetwork { 2 } else { 1 };
            let cs: Vec<char> = n.chars().collect();
            cs.len() >= min
                && cs.len() <= max
                && alnum(cs[0])
                && (alnum(cs[cs.len() - 1]) || cs[cs.len() - 1] == '_')
                && cs.iter().all(|c| alnum(*c) || matches!(c, '_' | '.' | '-'))
        }
        KindId::ResourceGroup => return validate_rg_name(n),
    };
    if ok {
        Ok(())
    } else {
        let (code, hint) = match k {
            KindId::AgentPool => (
                "InvalidParameter",
                "Agent pool names must start with a lowercase letter and have max length of 12 for Linux, only lowercase letters and numbers (^[a-z][a-z0-9]{0,11}$).",
            ),
            KindId::FederatedIdentityCredential | KindId::UserAssignedIdentity => (
                "InvalidResourceName",
                "Names must be 3-120 (credentials) or 3-128 (identities) characters of letters, digits, '-' or '_', starting with a letter or digit (^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$).",
            ),
            KindId::PrivateDnsZone | KindId::PrivateDnsARecordSet => (
                "InvalidResourceName",
                "Private DNS names must be DNS names: labels of 1-63 letters, digits, '-' or '_' separated by periods (2-34 labels for a zone, at most 253 characters); '@' names the zone apex.",
            ),
            KindId::ManagedCluster => (
                "InvalidResourceName",
                "Managed cluster names must be 1-63 characters of letters, digits, '-' or '_', starting and ending with a letter or digit.",
            ),
            _ => (
                "InvalidResourceName",
                "Names must start with a letter or digit, end with a letter, digit or underscore, and contain only letters, digits, underscores, periods or hyphens.",
            ),
        };
        Err(
            ArmError::bad(code, format!("Resource name '{n}' is invalid. {hint}"))
                .with_target("name"),
        )
    }
}
