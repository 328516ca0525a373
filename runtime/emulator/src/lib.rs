//! capz local ARM emulator: a local Azure Resource Manager over HTTP (contract, rules and
//! fault injection documented in `runtime/emulator/README.md`).
//!
//! `capz` starts it in-process on loopback (see [`start`]) and talks to it with the same
//! client code that talks to `https://management.azure.com`; `capz emulator serve` runs it
//! standalone (see [`serve_until_ctrl_c`]) for any ARM client.
//!
//! Its rules come from the ARM OpenAPI specs under `vendor/arm-specs` (digest in
//! `arm-specs/README.md`), never from `stdlib`: this crate depends on neither `lang` nor
//! `stdlib`, so a bug shared with the checker cannot pass both.
//!
//! Supported resource kinds (paths, api-versions and long-running-operation shapes in
//! [`kinds`]): resource groups; Microsoft.Network virtual networks (+subnets, peerings),
//! network security groups (+rules), public IPs, load balancers, private DNS zones (+A
//! record sets, virtual network links); AKS managed clusters (+agent pools);
//! user-assigned identities (+federated credentials). Each is served at every stable
//! api-version Azure publishes for it (and the previews current clients send), listed by
//! `GET /subscriptions/{s}/providers/{ns}`.
//!
//! State lives in SQLite (file or memory, [`Config::state_path`]): one transaction per ARM
//! operation; long-running operations are stored with their start time and duration and
//! settled lazily from the wall clock on every request, so a process killed mid-operation
//! leaves a state that the next process (or the next read) completes.

mod aks;
pub mod auth;
mod authorization;
mod credentials;
mod deployments;
mod graph;
mod handler;
pub mod kinds;
mod lb;
mod limits;
mod locations;
pub mod metadata;
mod msi;
mod network;
mod nsg;
mod peering;
mod privatedns;
mod providers;
mod record;
mod regions;
mod serve;
mod store;
mod template;
mod throttle;
pub mod tls;
mod util;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub use auth::{AuthClient, AuthConfig, ClientCredential, UnregisteredProvider};
pub use kinds::KindId;
pub use tls::TlsConfig;

/// The subscription that exists by default (`Config::default().subscriptions`).
pub const LOCAL_SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

/// The tenant reported for every subscription and in generated identities.
pub const LOCAL_TENANT: &str = "00000000-0000-0000-0000-000000000001";

/// Emulator configuration. `Config::default()` is a sane local setup: in-memory state,
/// operation durations scaled so an AKS cluster create takes ~2.4 s and network operations
/// ~0.05-0.1 s, ARM's throttling buckets, no faults.
#[derive(Debug, Clone)]
pub struct Config {
    /// SQLite state file (e.g. `.capz/local-arm.sqlite`), created if missing (WAL mode,
    /// busy timeout 5 s). `None` = in-memory state that dies with the server.
    pub state_path: Option<PathBuf>,
    /// Multiplies the per-type operation durations (seconds shaped like Azure's, see
    /// [`kinds::Kind::durations`]). `0` = every operation completes immediately;
    /// `1` = Azure-like (an AKS create takes 4 minutes). Negative/NaN is treated as 0.
    pub time_scale: f64,
    /// Subscriptions that exist; any other subscription ID in a path is answered with 404
    /// `SubscriptionNotFound`. Compared case-insensitively.
    pub subscriptions: Vec<String>,
    /// Token-bucket request throttling as ARM does it per subscription (reads bucket 250
    /// refilled 25/s, writes 200 refilled 10/s, deletes 200 refilled 10/s; source:
    /// https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/request-limits-and-throttling).
    pub throttle: ThrottleConfig,
    /// Fault injection rules, checked in order for every request (first match wins).
    pub faults: Vec<FaultRule>,
    /// Upper bound of the `Retry-After` seconds the emulator announces on long-running
    /// operations (it announces the remaining scaled duration, rounded up, at least 1 while
    /// running). Default 10.
    pub max_retry_after_secs: u64,
    /// Serve HTTPS with a generated certificate (see [`TlsConfig`]); `None` = plain HTTP.
    pub tls: Option<TlsConfig>,
    /// Token endpoint clients and whether ARM requests need a bearer token (see
    /// [`AuthConfig`]). The token endpoint `POST /{tenant}/oauth2/v2.0/token` is served
    /// on the same address either way.
    pub auth: AuthConfig,
    /// Resource provider namespaces that are not registered: any request under them gets
    /// 409 `MissingSubscriptionRegistration` until `POST .../providers/{ns}/register`.
    pub unregistered_providers: Vec<UnregisteredProvider>,
    /// Append every non-GET ARM request (`{method, path, api_version, status, body}`) to
    /// this JSON Lines file (created if missing, never truncated). `None` = no recording.
    pub record_requests: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            state_path: None,
            time_scale: 0.01,
            subscriptions: vec![LOCAL_SUBSCRIPTION.to_string()],
            throttle: ThrottleConfig::default(),
            faults: Vec::new(),
            max_retry_after_secs: 10,
            tls: None,
            auth: AuthConfig::default(),
            unregistered_providers: Vec::new(),
            record_requests: None,
        }
    }
}

/// Throttling knobs. Bucket sizes and refill rates are ARM's (and the AKS resource
/// provider's own PUT/LIST buckets, see the README) multiplied by `scale`.
#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    /// `false` = never throttle (the remaining-quota headers are still sent, at full size).
    pub enabled: bool,
    /// Multiplies bucket sizes and refill rates (1.0 = ARM's 250/25, 200/10, 200/10 per
    /// second; AKS's PUT 20 + 1/minute per cluster for managedClusters and for agentPools,
    /// LIST 500 + 1/s per subscription).
    pub scale: f64,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            enabled: true,
            scale: 1.0,
        }
    }
}

/// One fault-injection rule. A request matches when its method and path match; of the
/// matching requests, the first `skip` pass untouched, the next `times` (all if `None`)
/// get the fault, each with probability `probability` (1.0 = always).
///
/// Example: fail the second AKS create:
/// `FaultRule { method: Some("PUT".into()), path_contains: Some("/managedclusters/".into()),
///   skip: 1, times: Some(1), probability: 1.0,
///   fault: Fault::FailOperation { code: "QuotaExceeded".into(), message: "...".into() } }`.
#[derive(Debug, Clone)]
pub struct FaultRule {
    /// HTTP method to match (case-insensitive); `None` = any.
    pub method: Option<String>,
    /// Substring of the request path to match (case-insensitive, no query); `None` = any.
    pub path_contains: Option<String>,
    /// Number of matching requests to let through before injecting.
    pub skip: u32,
    /// Number of faults to inject after `skip`; `None` = unlimited.
    pub times: Option<u32>,
    /// Probability in [0, 1] that an eligible request gets the fault.
    pub probability: f64,
    /// What to do.
    pub fault: Fault,
}

/// An injected fault.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer 500 `InternalServerError` without touching state.
    ServerError,
    /// Answer 429 `TooManyRequests` with `Retry-After: retry_after_secs`, no state change.
    Throttle { retry_after_secs: u64 },
    /// Sleep this long before handling the request normally.
    Delay { millis: u64 },
    /// Handle the request normally, but if it starts a long-running operation, that
    /// operation ends `Failed` with this error (the resource's provisioningState becomes
    /// `Failed`; a failed delete leaves the resource in place).
    FailOperation { code: String, message: String },
    /// Close the TCP connection without sending any response, before handling the request
    /// (no state change, no throttling token taken): what a client sees when a load
    /// balancer or ARM front door resets the connection. JSON: `"drop-connection"`.
    DropConnection,
    /// Handle the request normally and commit its effect (a PUT's write is stored and its
    /// operation started, a DELETE's operation started), then close the TCP connection
    /// without sending the response: real ARM can commit a write and lose the answer, so a
    /// client that retries must cope with finding its own write in progress or done.
    /// JSON: `"drop-connection-after-commit"`.
    DropConnectionAfterCommit,
}

/// Errors starting or running the emulator (never per-request: those are ARM error bodies).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Binding the listener or a socket/IO failure.
    #[error("emulator I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// Opening or migrating the SQLite state.
    #[error("emulator state error: {0}")]
    Store(#[from] rusqlite::Error),
    /// An invalid [`Config`] (message says which field).
    #[error("emulator config error: {0}")]
    Config(String),
}

/// A running emulator.
pub struct Server {
    /// The bound address (the real port when started on port 0).
    pub addr: SocketAddr,
    /// `http://{addr}` (`https://{addr}` with TLS) without trailing slash.
    pub base_url: String,
    /// With TLS: PEM of the generated CA that signed the server certificate (what a
    /// client must trust; also written to [`TlsConfig::cert_out`]).
    pub ca_pem: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Stops accepting connections, lets in-flight requests finish, and waits for the
    /// server task. State already committed stays in the SQLite file.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Starts the emulator on `addr` (port 0 picks a free port) and returns once it accepts
/// connections. Errors: bind failure ([`Error::Io`]), state file failure
/// ([`Error::Store`]), invalid config ([`Error::Config`]).
pub async fn start(addr: SocketAddr, config: Config) -> Result<Server, Error> {
    if config.subscriptions.is_empty() {
        return Err(Error::Config(
            "subscriptions must list at least one subscription".into(),
        ));
    }
    if !(config.throttle.scale.is_finite() && config.throttle.scale > 0.0) {
        return Err(Error::Config(
            "throttle.scale must be a positive number".into(),
        ));
    }
    if config.auth.require_auth && config.auth.clients.is_empty() {
        return Err(Error::Config(
            "auth.require_auth needs at least one client in auth.clients".into(),
        ));
    }
    let tls = match &config.tls {
        Some(t) => {
            let generated = tls::generate()?;
            if let Some(path) = &t.cert_out {
                if let Some(dir) = path.parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(path, &generated.ca_pem)?;
            }
            Some(generated)
        }
        None => None,
    };
    let recorder = match &config.record_requests {
        Some(p) => Some(Arc::new(record::Recorder::open(p)?)),
        None => None,
    };
    let gate = Arc::new(auth::Gate::new(
        config.auth.clone(),
        &config.unregistered_providers,
    ));
    let app = Arc::new(handler::App::new(config)?);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://{addr}");
    app.set_base_url(base_url.clone());
    gate.set_base_url(base_url.clone());
    let admin = handler::admin_router(app.clone());
    let graph = axum::Router::new()
        .route("/v1.0/{*path}", axum::routing::any(graph::entry))
        .with_state(graph::GraphState {
            gate: gate.clone(),
            app: app.clone(),
        });
    let mut arm = handler::router(app).layer(axum::middleware::from_fn_with_state(
        gate.clone(),
        auth::arm_gate,
    ));
    if let Some(rec) = recorder {
        arm = arm.layer(axum::middleware::from_fn_with_state(rec, record::record));
    }
    let router = axum::Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/token",
            axum::routing::post(auth::token_endpoint),
        )
        .route(
            "/metadata/endpoints",
            axum::routing::get(auth::cloud_metadata),
        )
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            axum::routing::get(auth::openid_configuration),
        )
        .route(
            "/{tenant}/.well-known/openid-configuration",
            axum::routing::get(auth::openid_configuration),
        )
        .route(
            "/{tenant}/discovery/instance",
            axum::routing::get(auth::instance_discovery),
        )
        .with_state(gate)
        .merge(admin)
        .merge(graph)
        .merge(arm)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(limits::limit_body));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let stop = async {
        let _ = rx.await;
    };
    let ca_pem = tls.as_ref().map(|g| g.ca_pem.clone());
    let acceptor = match &tls {
        Some(g) => Some(tokio_rustls::TlsAcceptor::from(Arc::new(
            tls::server_config(g)?,
        ))),
        None => None,
    };
    let task = tokio::spawn(serve::run(listener, acceptor, router, stop));
    Ok(Server {
        addr,
        base_url,
        ca_pem,
        shutdown: Some(tx),
        task,
    })
}

/// Runs the emulator standalone: prints exactly `listening on http://127.0.0.1:PORT`
/// (`https://` with TLS) as the first stdout line (flushed), then serves until Ctrl-C or SIGTERM, then shuts down
/// gracefully.
pub async fn serve_until_ctrl_c(addr: SocketAddr, config: Config) -> Result<(), Error> {
    use std::io::Write;
    let server = start(addr, config).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", server.base_url)?;
        out.flush()?;
    }
    wait_for_signal().await?;
    server.shutdown().await;
    Ok(())
}

#[cfg(unix)]
async fn wait_for_signal() -> Result<(), Error> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}

#[cfg(not(unix))]
async fn wait_for_signal() -> Result<(), Error> {
    tokio::signal::ctrl_c().await?;
    Ok(())
}
