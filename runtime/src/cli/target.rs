//! Where plan and apply talk to: the embedded local ARM emulator, a running endpoint
//! (`--arm-endpoint`), or Azure Resource Manager (`--target azure`).
//!
//! `--target azure` needs a subscription (`--subscription` / `AZURE_SUBSCRIPTION_ID`),
//! signs in through the credential chain of [`crate::arm::credential`] for the cloud's
//! ARM scope, and reads the subscription (`GET /subscriptions/{id}`, api-version
//! 2022-12-01, <https://learn.microsoft.com/rest/api/resources/subscriptions/get>) before
//! anything else, so a wrong ID or a missing role is reported up front instead of as a
//! plan that creates everything. The ARM endpoint and authority are the cloud's
//! (`--cloud`) unless `--arm-endpoint` / `--authority-host` say otherwise (tests, Azure
//! Stack); both must be `https://` since a bearer token goes with every request.

use super::{Global, TargetKind};
use crate::arm::auth::TokenSource;
use crate::arm::credential::{
    self, ChainConfig, Cloud, CredentialChain, CredentialChoice, EnvVars,
};
use crate::arm::{ArmClient, ClientSettings};
use crate::codes;
use clap::Args;
use lang::Diagnostic;
use reqwest::Method;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

/// api-version of `Subscriptions - Get` used to check the subscription.
pub const SUBSCRIPTIONS_API_VERSION: &str = "2022-12-01";

/// Options for `--target azure` (and `--ca-cert` for any HTTPS endpoint).
#[derive(Args, Debug, Clone)]
pub struct AzureOptions {
    /// Azure cloud: its ARM endpoint, sign-in authority and token scope
    /// (AzureCloud, AzureUSGovernment, AzureChinaCloud).
    #[arg(
        long,
        global = true,
        env = "AZURE_CLOUD",
        value_enum,
        ignore_case = true
    )]
    pub cloud: Option<Cloud>,
    /// Microsoft Entra ID authority host (https://...; default: the cloud's, e.g.
    /// https://login.microsoftonline.com).
    #[arg(long, global = true, env = "AZURE_AUTHORITY_HOST", value_name = "URL")]
    pub authority_host: Option<String>,
    /// Credential for --target azure: the chain (auto) or one of its members.
    #[arg(
        long,
        global = true,
        env = "CAPZ_CREDENTIAL",
        value_enum,
        default_value = "auto"
    )]
    pub credential: CredentialChoice,
    /// Also trust the CA certificates in this PEM file (merged with the system's roots):
    /// a corporate TLS proxy, or a test endpoint's CA.
    #[arg(long, global = true, env = "CAPZ_CA_CERT", value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
}

/// Environment variable: time scale of the embedded emulator's operation durations
/// (0 = instant, 1 = Azure-like; default the emulator's own).
pub const ENV_TIME_SCALE: &str = "CAPZ_EMULATOR_TIME_SCALE";

/// File name of the embedded emulator's state in the state directory.
pub const STATE_FILE: &str = "local-arm.sqlite";

/// A connected target. Call [`Target::close`] when done (stops the embedded emulator).
pub struct Target {
    /// Client for it.
    pub client: ArmClient,
    /// `local ARM at .capz/local-arm.sqlite`, `ARM at http://...`.
    pub label: String,
    server: Option<emulator::Server>,
}

impl Target {
    /// Stop the embedded emulator, if any (its state stays in the SQLite file).
    pub async fn close(self) {
        if let Some(s) = self.server {
            s.shutdown().await;
        }
    }
}

/// The emulator time scale from [`ENV_TIME_SCALE`], if set and a number.
pub fn env_time_scale() -> Option<f64> {
    std::env::var(ENV_TIME_SCALE)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
}

/// Connect according to the global options.
pub async fn connect(g: &Global) -> Result<Target, Diagnostic> {
    let endpoint = g.arm_endpoint.as_deref().filter(|e| !e.is_empty());
    match g.target {
        TargetKind::Azure => connect_azure(g, &EnvVars::from_process()).await,
        TargetKind::Local => {
            let subscription = g
                .subscription
                .clone()
                .unwrap_or_else(|| emulator::LOCAL_SUBSCRIPTION.to_string());
            let client_err = |e: crate::arm::ArmError| e.to_diagnostic("connecting", None);
            if let Some(ep) = endpoint {
                let settings = timeouts(
                    g,
                    if ep.contains("management.azure.com") {
                        ClientSettings::azure()
                    } else {
                        ClientSettings::local()
                    },
                );
                let client = match g
                    .azure
                    .ca_cert
                    .as_ref()
                    .filter(|p| !p.as_os_str().is_empty())
                {
                    Some(_) => ArmClient::with_http(
                        http_with_ca(g, settings.request_timeout)?,
                        ep,
                        &subscription,
                        settings,
                    ),
                    None => ArmClient::new(ep, &subscription, settings).map_err(client_err)?,
                };
                return Ok(Target {
                    client,
                    label: format!("ARM at {ep}"),
                    server: None,
                });
            }
            let state: PathBuf = g.state_dir.join(STATE_FILE);
            let fail = |what: String| {
                Diagnostic::error(codes::TARGET_EMULATOR_FAILED, what).with_help(
                    "check that the state directory (--state-dir) is writable, or use --arm-endpoint",
                )
            };
            std::fs::create_dir_all(&g.state_dir).map_err(|e| {
                fail(format!(
                    "cannot create state directory {}: {e}",
                    g.state_dir.display()
                ))
            })?;
            let mut config = emulator::Config {
                state_path: Some(state.clone()),
                ..emulator::Config::default()
            };
            if let Some(ts) = env_time_scale() {
                config.time_scale = ts;
            }
            if !config
                .subscriptions
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&subscription))
            {
                config.subscriptions.push(subscription.clone());
            }
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
            let server = emulator::start(addr, config)
                .await
                .map_err(|e| fail(format!("cannot start the local ARM emulator: {e}")))?;
            let client = ArmClient::new(
                &server.base_url,
                &subscription,
                timeouts(g, ClientSettings::local()),
            )
            .map_err(client_err)?;
            Ok(Target {
                client,
                label: format!("local ARM at {}", state.display()),
                server: Some(server),
            })
        }
    }
}

/// `settings` with `--operation-timeout` applied.
fn timeouts(g: &Global, settings: ClientSettings) -> ClientSettings {
    match g.operation_timeout {
        Some(d) => settings.with_operation_timeout(d),
        None => settings,
    }
}

fn bad_option(message: String, help: &str) -> Diagnostic {
    Diagnostic::error(codes::TARGET_BAD_OPTION, message).with_help(help)
}

/// capz's HTTP client with `--ca-cert` merged into the trusted roots.
fn http_with_ca(g: &Global, timeout: std::time::Duration) -> Result<reqwest::Client, Diagnostic> {
    let certs = match g
        .azure
        .ca_cert
        .as_ref()
        .filter(|p| !p.as_os_str().is_empty())
    {
        Some(path) => credential::read_ca_bundle(path).map_err(|e| {
            bad_option(
                e,
                "--ca-cert / CAPZ_CA_CERT must name a PEM file of CA certificates",
            )
        })?,
        None => Vec::new(),
    };
    credential::http_client(timeout, certs)
        .map_err(|e| bad_option(e, "check --ca-cert / CAPZ_CA_CERT"))
}

/// Whether `url`'s host is this machine (then the emulator's timings apply).
fn is_loopback(url: &reqwest::Url) -> bool {
    url.host_str().is_some_and(|h| {
        let h = h.trim_start_matches('[').trim_end_matches(']');
        h.eq_ignore_ascii_case("localhost")
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

/// An `https://` URL from an option, or a `capz::target::bad-option` diagnostic.
fn https_url(value: &str, option: &str) -> Result<reqwest::Url, Diagnostic> {
    let url = reqwest::Url::parse(value).map_err(|e| {
        bad_option(
            format!("{option} {value:?} is not a URL: {e}"),
            "write it as https://HOST[:PORT]",
        )
    })?;
    if url.scheme() != "https" {
        return Err(bad_option(
            format!("{option} {value} is not https://: capz sends access tokens only over HTTPS"),
            "use the https:// URL (for a local test endpoint: `capz emulator serve --tls --cert-out CA.pem` and --ca-cert CA.pem)",
        ));
    }
    Ok(url)
}

/// Connect to ARM in the cloud of `g` with credentials from `env` (see the module docs).
///
/// Errors (diagnostics): `capz::target::no-subscription`, `capz::target::bad-option`,
/// `capz::auth::no-credential` (listing each credential's answer),
/// `capz::target::subscription-not-found`, or the ARM error of the subscription read.
pub async fn connect_azure(g: &Global, env: &EnvVars) -> Result<Target, Diagnostic> {
    let Some(subscription) = g
        .subscription
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
    else {
        return Err(Diagnostic::error(
            codes::TARGET_NO_SUBSCRIPTION,
            "--target azure needs a subscription: neither --subscription nor AZURE_SUBSCRIPTION_ID is set",
        )
        .with_help("pass --subscription ID or set AZURE_SUBSCRIPTION_ID (`az account show --query id -o tsv` prints the current one)"));
    };
    let cloud = g.azure.cloud.unwrap_or(Cloud::AzureCloud);
    let endpoint = g
        .arm_endpoint
        .as_deref()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or(cloud.arm_endpoint());
    let endpoint_url = https_url(endpoint, "--arm-endpoint")?;
    let authority = g
        .azure
        .authority_host
        .as_deref()
        .filter(|a| !a.trim().is_empty())
        .unwrap_or(cloud.authority_host());
    https_url(authority, "--authority-host")?;
    let settings = timeouts(
        g,
        if is_loopback(&endpoint_url) {
            ClientSettings::local()
        } else {
            ClientSettings::azure()
        },
    );
    let http = http_with_ca(g, settings.request_timeout)?;
    let chain = CredentialChain::new(&ChainConfig {
        authority_host: authority.to_string(),
        choice: g.azure.credential,
        subscription: Some(subscription.clone()),
        env: env.clone(),
        http: http.clone(),
    })
    .map_err(|e| bad_option(e, "check --authority-host / AZURE_AUTHORITY_HOST"))?;
    let chain = Arc::new(chain);
    let tokens = Arc::new(TokenSource::new(chain.clone(), cloud.arm_scope()));
    tokens.bearer().await.map_err(|e| e.to_diagnostic())?;
    let client = ArmClient::with_http(http, endpoint, &subscription, settings).with_auth(tokens);
    let path = format!("/subscriptions/{subscription}");
    let r = client
        .send(Method::GET, &path, Some(SUBSCRIPTIONS_API_VERSION), None)
        .await
        .map_err(|e| e.to_diagnostic(&format!("subscription {subscription}"), None))?;
    if r.status == 404 {
        let e = client.request_error("GET", &path, &r);
        return Err(Diagnostic::error(
            codes::TARGET_SUBSCRIPTION_NOT_FOUND,
            format!(
                "subscription {subscription} not found at {endpoint}: it does not exist, or the signed-in principal has no role on it ({})",
                e.arm_code.as_deref().unwrap_or("HTTP 404")
            ),
        )
        .with_help(format!(
            "check --subscription / AZURE_SUBSCRIPTION_ID and the principal's role assignments (`az account list`)\nx-ms-request-id: {}, x-ms-correlation-request-id: {}",
            e.request_id.as_deref().unwrap_or("-"),
            e.correlation_id.as_deref().unwrap_or("-")
        )));
    }
    if !(200..300).contains(&r.status) {
        return Err(client
            .request_error("GET", &path, &r)
            .to_diagnostic(&format!("subscription {subscription}"), None));
    }
    let name = r
        .body
        .as_ref()
        .and_then(|b| b.get("displayName"))
        .and_then(|n| n.as_str())
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let who = chain
        .signed_in_with()
        .map(|n| n.split(" (").next().unwrap_or(n))
        .unwrap_or("credential");
    Ok(Target {
        client,
        label: format!(
            "Azure {} subscription {subscription}{name} at {endpoint}, signed in with {who}",
            cloud.name()
        ),
        server: None,
    })
}
