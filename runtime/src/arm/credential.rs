//! Signing in to Microsoft Entra ID for `--target azure`: clouds, the credential chain, and
//! the HTTP client (with an optional extra CA bundle) shared by ARM calls and sign-in.
//!
//! azure_identity 1.0 has no `DefaultAzureCredential`, so capz builds the chain Azure users
//! know from it (<https://learn.microsoft.com/azure/developer/intro/azure-developer-default-azure-credential>),
//! in this order:
//!
//! 1. service principal with a secret: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
//!    `AZURE_CLIENT_SECRET` (`ClientSecretCredential`);
//! 2. workload identity: `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`
//!    (`WorkloadIdentityCredential`, as AKS workload identity and GitHub OIDC set them);
//! 3. managed identity (`ManagedIdentityCredential`), only when a hosting service set its
//!    endpoint (`IDENTITY_ENDPOINT` with `IDENTITY_HEADER` or `IMDS_ENDPOINT`, or
//!    `MSI_ENDPOINT`: App Service, Functions, Arc) or the user opts in with
//!    `AZURE_USE_MANAGED_IDENTITY=1` / `--credential managed-identity`: on a VM the token
//!    comes from IMDS at 169.254.169.254, which capz never probes uninvited;
//!    `AZURE_CLIENT_ID` selects a user-assigned identity;
//! 4. the Azure CLI's login (`AzureCliCredential`: `az account get-access-token`) when
//!    `az` is on `PATH`; without it, reported at once as "az not found on PATH".
//!
//! A credential that is not configured is skipped; the first configured one is used, and
//! if it fails the chain stops there (a wrong secret must not silently sign in as someone
//! else through `az`). The error lists what each credential answered. Secrets are held in
//! [`azure_core::credentials::Secret`] (redacted by `Debug`) and never printed.

use super::auth::{AuthError, BoxFuture, CredentialAnswer, TokenProvider};
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{AccessToken, Secret, TokenCredential};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertionCredentialOptions,
    ClientSecretCredential, ClientSecretCredentialOptions, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `AZURE_TENANT_ID`: directory (tenant) ID of the service principal / workload identity.
pub const ENV_TENANT_ID: &str = "AZURE_TENANT_ID";
/// `AZURE_CLIENT_ID`: application (client) ID; for managed identity, a user-assigned one.
pub const ENV_CLIENT_ID: &str = "AZURE_CLIENT_ID";
/// `AZURE_CLIENT_SECRET`: the service principal's secret (never printed).
pub const ENV_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
/// `AZURE_FEDERATED_TOKEN_FILE`: file holding a federated token (workload identity).
pub const ENV_FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";
/// `AZURE_USE_MANAGED_IDENTITY=1`: try managed identity even without `IDENTITY_ENDPOINT`
/// / `MSI_ENDPOINT` (i.e. ask IMDS on an Azure VM).
pub const ENV_USE_MANAGED_IDENTITY: &str = "AZURE_USE_MANAGED_IDENTITY";
/// Set by App Service / Functions / Arc for their managed identity endpoint.
pub const ENV_IDENTITY_ENDPOINT: &str = "IDENTITY_ENDPOINT";
/// Set with `IDENTITY_ENDPOINT` by App Service / Functions.
pub const ENV_IDENTITY_HEADER: &str = "IDENTITY_HEADER";
/// Set with `IDENTITY_ENDPOINT` by Azure Arc.
pub const ENV_IMDS_ENDPOINT: &str = "IMDS_ENDPOINT";
/// Older App Service / Cloud Shell managed identity endpoint.
pub const ENV_MSI_ENDPOINT: &str = "MSI_ENDPOINT";

/// How long one credential may take to answer before the chain gives up on it.
pub const CREDENTIAL_TIMEOUT: Duration = Duration::from_secs(60);

/// An Azure cloud: its ARM endpoint, Entra ID authority and ARM token scope.
///
/// Source: the clouds of `az cloud list` and
/// <https://learn.microsoft.com/azure/azure-government/compare-azure-government-global-azure>,
/// <https://learn.microsoft.com/azure/china/resources-developer-guide>.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Cloud {
    /// Azure public cloud: management.azure.com, login.microsoftonline.com.
    #[value(name = "AzureCloud", alias = "public", alias = "azurepubliccloud")]
    AzureCloud,
    /// Azure Government: management.usgovcloudapi.net, login.microsoftonline.us.
    #[value(name = "AzureUSGovernment", alias = "usgovernment", alias = "usgov")]
    AzureUSGovernment,
    /// Azure operated by 21Vianet: management.chinacloudapi.cn, login.chinacloudapi.cn.
    #[value(name = "AzureChinaCloud", alias = "china")]
    AzureChinaCloud,
}

impl Cloud {
    /// The cloud's name as `az cloud list` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "AzureCloud",
            Cloud::AzureUSGovernment => "AzureUSGovernment",
            Cloud::AzureChinaCloud => "AzureChinaCloud",
        }
    }

    /// ARM endpoint (no trailing slash).
    pub fn arm_endpoint(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "https://management.azure.com",
            Cloud::AzureUSGovernment => "https://management.usgovcloudapi.net",
            Cloud::AzureChinaCloud => "https://management.chinacloudapi.cn",
        }
    }

    /// Entra ID authority host (no trailing slash).
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "https://login.microsoftonline.com",
            Cloud::AzureUSGovernment => "https://login.microsoftonline.us",
            Cloud::AzureChinaCloud => "https://login.chinacloudapi.cn",
        }
    }

    /// The scope of ARM tokens: the cloud's ARM audience (`activeDirectoryResourceId` of
    /// `az cloud show`) followed by `/.default`.
    pub fn arm_scope(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "https://management.core.windows.net/.default",
            Cloud::AzureUSGovernment => "https://management.core.usgovcloudapi.net/.default",
            Cloud::AzureChinaCloud => "https://management.core.chinacloudapi.cn/.default",
        }
    }
}

/// Which credential to use (`--credential`, env `CAPZ_CREDENTIAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CredentialChoice {
    /// The chain: service principal, workload identity, managed identity (when on an
    /// Azure host or opted in), Azure CLI.
    Auto,
    /// `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET` only.
    ServicePrincipal,
    /// `AZURE_FEDERATED_TOKEN_FILE` + `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` only.
    WorkloadIdentity,
    /// Managed identity only (asks IMDS when no `IDENTITY_ENDPOINT` is set).
    ManagedIdentity,
    /// `az account get-access-token` only.
    AzureCli,
}

/// A snapshot of the environment variables the credentials read (tests build their own
/// instead of changing the process environment). Empty values count as unset.
#[derive(Clone, Default)]
pub struct EnvVars(BTreeMap<String, String>);

impl fmt::Debug for EnvVars {
    /// Names only: values may be secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl EnvVars {
    /// The process environment (non-Unicode values are dropped).
    pub fn from_process() -> Self {
        EnvVars(std::env::vars().collect())
    }

    /// An environment of these pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        EnvVars(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// A variable's value, unless unset or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
    }
}

/// Everything the chain needs: where to sign in, the HTTP client to do it with, which
/// credential(s), and the environment.
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// Entra ID authority host, `https://...` (e.g. `https://login.microsoftonline.com`).
    pub authority_host: String,
    /// Which credentials to try.
    pub choice: CredentialChoice,
    /// The subscription (passed to `az account get-access-token --subscription`, which
    /// picks that subscription's tenant).
    pub subscription: Option<String>,
    /// The environment the credentials read.
    pub env: EnvVars,
    /// The HTTP client token requests go through (capz's own: same CAs as ARM calls).
    pub http: reqwest::Client,
}

/// One link of the chain: how to build the credential, or why it is not configured.
struct Link {
    name: &'static str,
    build: Result<Builder, String>,
}

type Builder = Box<dyn Fn() -> azure_core::Result<Arc<dyn TokenCredential>> + Send + Sync>;

/// The credential chain (see the module docs). After the first success, the same
/// credential is used for the rest of the run.
pub struct CredentialChain {
    links: Vec<Link>,
    authority_host: String,
    /// Index of the link that signed in, and its credential instance.
    winner: Mutex<Option<(usize, Arc<dyn TokenCredential>)>>,
    /// Values that must never appear in messages (the client secret).
    secrets: Vec<String>,
}

impl fmt::Debug for CredentialChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialChain")
            .field("authority_host", &self.authority_host)
            .field(
                "links",
                &self.links.iter().map(|l| l.name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Display names of the credentials, in chain order.
pub const SERVICE_PRINCIPAL: &str =
    "service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)";
/// See [`SERVICE_PRINCIPAL`].
pub const WORKLOAD_IDENTITY: &str =
    "workload identity (AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID, AZURE_CLIENT_ID)";
/// See [`SERVICE_PRINCIPAL`].
pub const MANAGED_IDENTITY: &str = "managed identity";
/// See [`SERVICE_PRINCIPAL`].
pub const AZURE_CLI: &str = "Azure CLI (az login)";

impl CredentialChain {
    /// Build the chain for `config`. Nothing is contacted yet.
    ///
    /// Errors: the authority host is not an `https://` URL (azure_identity refuses others).
    pub fn new(config: &ChainConfig) -> Result<Self, String> {
        let authority = config.authority_host.trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&authority)
            .map_err(|e| format!("authority host {authority:?} is not a URL: {e}"))?;
        if parsed.scheme() != "https" {
            return Err(format!(
                "authority host {authority} must be an https:// URL (Entra ID sign-in is only done over HTTPS)"
            ));
        }
        let options = {
            let mut custom = CustomConfiguration::default();
            custom.authority_host = authority.clone();
            ClientOptions {
                transport: Some(Transport::new(Arc::new(config.http.clone()))),
                cloud: Some(Arc::new(CloudConfiguration::Custom(custom))),
                // Transient token endpoint failures get a few quick retries; a certificate
                // or DNS error must not take azure_core's default minute to surface.
                retry: RetryOptions::exponential(ExponentialRetryOptions {
                    initial_delay: azure_core::time::Duration::milliseconds(500),
                    max_retries: 3,
                    max_total_elapsed: azure_core::time::Duration::seconds(15),
                    max_delay: azure_core::time::Duration::seconds(4),
                }),
                ..ClientOptions::default()
            }
        };
        let env = &config.env;
        let wanted =
            |c: CredentialChoice| config.choice == CredentialChoice::Auto || config.choice == c;
        let mut links = Vec::new();
        let mut secrets = Vec::new();
        if wanted(CredentialChoice::ServicePrincipal) {
            let build = match (
                env.get(ENV_TENANT_ID),
                env.get(ENV_CLIENT_ID),
                env.get(ENV_CLIENT_SECRET),
            ) {
                (Some(t), Some(c), Some(s)) => {
                    secrets.push(s.to_string());
                    let (t, c, s, o) =
                        (t.to_string(), c.to_string(), s.to_string(), options.clone());
                    Ok(Box::new(move || {
                        let cred: Arc<dyn TokenCredential> = ClientSecretCredential::new(
                            &t,
                            c.clone(),
                            Secret::new(s.clone()),
                            Some(ClientSecretCredentialOptions {
                                client_options: o.clone(),
                            }),
                        )?;
                        Ok(cred)
                    }) as Builder)
                }
                (t, c, s) => Err(not_set(&[
                    (ENV_TENANT_ID, t.is_some()),
                    (ENV_CLIENT_ID, c.is_some()),
                    (ENV_CLIENT_SECRET, s.is_some()),
                ])),
            };
            links.push(Link {
                name: SERVICE_PRINCIPAL,
                build,
            });
        }
        if wanted(CredentialChoice::WorkloadIdentity) {
            let build = match (
                env.get(ENV_FEDERATED_TOKEN_FILE),
                env.get(ENV_TENANT_ID),
                env.get(ENV_CLIENT_ID),
            ) {
                (Some(f), Some(t), Some(c)) => {
                    let (f, t, c, o) = (
                        PathBuf::from(f),
                        t.to_string(),
                        c.to_string(),
                        options.clone(),
                    );
                    Ok(Box::new(move || {
                        let cred: Arc<dyn TokenCredential> = WorkloadIdentityCredential::new(
                            Some(WorkloadIdentityCredentialOptions {
                                credential_options: ClientAssertionCredentialOptions {
                                    client_options: o.clone(),
                                },
                                client_id: Some(c.clone()),
                                tenant_id: Some(t.clone()),
                                token_file_path: Some(f.clone()),
                            }),
                        )?;
                        Ok(cred)
                    }) as Builder)
                }
                (f, t, c) => Err(not_set(&[
                    (ENV_FEDERATED_TOKEN_FILE, f.is_some()),
                    (ENV_TENANT_ID, t.is_some()),
                    (ENV_CLIENT_ID, c.is_some()),
                ])),
            };
            links.push(Link {
                name: WORKLOAD_IDENTITY,
                build,
            });
        }
        if wanted(CredentialChoice::ManagedIdentity) {
            // azure_identity reads IDENTITY_ENDPOINT alone as "ask IMDS": only the pairs a
            // hosting service sets count as being on such a host.
            let on_host = (env.get(ENV_IDENTITY_ENDPOINT).is_some()
                && (env.get(ENV_IDENTITY_HEADER).is_some()
                    || env.get(ENV_IMDS_ENDPOINT).is_some()))
                || env.get(ENV_MSI_ENDPOINT).is_some();
            let opted_in = config.choice == CredentialChoice::ManagedIdentity
                || env.flag(ENV_USE_MANAGED_IDENTITY);
            let build = if on_host || opted_in {
                let user = env.get(ENV_CLIENT_ID).map(str::to_string);
                let o = options.clone();
                Ok(Box::new(move || {
                    let cred: Arc<dyn TokenCredential> =
                        ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                            user_assigned_id: user.clone().map(UserAssignedId::ClientId),
                            client_options: o.clone(),
                        }))?;
                    Ok(cred)
                }) as Builder)
            } else {
                Err(format!(
                    "not tried: {ENV_IDENTITY_ENDPOINT} and {ENV_MSI_ENDPOINT} are not set (not an Azure App Service/Functions/Arc host); on an Azure VM set {ENV_USE_MANAGED_IDENTITY}=1 or pass --credential managed-identity to ask IMDS"
                ))
            };
            links.push(Link {
                name: MANAGED_IDENTITY,
                build,
            });
        }
        if wanted(CredentialChoice::AzureCli) {
            let sub = config
                .subscription
                .clone()
                .filter(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            let build: Result<Builder, String> = if on_path(env, "az") {
                Ok(Box::new(move || {
                    let cred: Arc<dyn TokenCredential> =
                        AzureCliCredential::new(Some(AzureCliCredentialOptions {
                            subscription: sub.clone(),
                            ..Default::default()
                        }))?;
                    Ok(cred)
                }))
            } else {
                Err("not configured: az not found on PATH (install the Azure CLI and run `az login`)".into())
            };
            links.push(Link {
                name: AZURE_CLI,
                build,
            });
        }
        Ok(CredentialChain {
            links,
            authority_host: authority,
            winner: Mutex::new(None),
            secrets,
        })
    }

    /// The authority host tokens come from.
    pub fn authority_host(&self) -> &str {
        &self.authority_host
    }

    /// Names of the credentials in the chain, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.links.iter().map(|l| l.name).collect()
    }

    /// The name of the credential that signed in, once one has.
    pub fn signed_in_with(&self) -> Option<&'static str> {
        let w = self.winner.lock().ok()?;
        w.as_ref()
            .and_then(|(i, _)| self.links.get(*i))
            .map(|l| l.name)
    }

    fn redact(&self, text: String) -> String {
        self.secrets
            .iter()
            .filter(|s| s.len() >= 4)
            .fold(text, |t, s| t.replace(s.as_str(), "<redacted>"))
    }

    async fn fetch(&self, scope: &str, fresh: bool) -> Result<AccessToken, AuthError> {
        let known = self.winner.lock().ok().and_then(|w| w.clone());
        if let Some((i, cred)) = known {
            let name = self.links.get(i).map_or("credential", |l| l.name);
            // A fresh instance has an empty token cache: ARM refused the cached token.
            let cred = if fresh {
                match self.links.get(i).map(|l| &l.build) {
                    Some(Ok(build)) => match build() {
                        Ok(c) => {
                            if let Ok(mut w) = self.winner.lock() {
                                *w = Some((i, c.clone()));
                            }
                            c
                        }
                        Err(e) => return Err(self.single_failure(scope, name, e)),
                    },
                    _ => cred,
                }
            } else {
                cred
            };
            return match ask(cred.as_ref(), scope).await {
                Ok(t) => Ok(t),
                Err(e) => {
                    Err(self.failure(scope, vec![CredentialAnswer::failed(name, self.redact(e))]))
                }
            };
        }
        let mut answers = Vec::new();
        for (i, link) in self.links.iter().enumerate() {
            let build = match &link.build {
                Ok(b) => b,
                Err(why) => {
                    answers.push(CredentialAnswer::skipped(link.name, why.clone()));
                    continue;
                }
            };
            let cred = match build() {
                Ok(c) => c,
                Err(e) => {
                    answers.push(CredentialAnswer::failed(
                        link.name,
                        self.redact(error_text(&e)),
                    ));
                    break;
                }
            };
            match ask(cred.as_ref(), scope).await {
                Ok(t) => {
                    if let Ok(mut w) = self.winner.lock() {
                        *w = Some((i, cred));
                    }
                    tracing::debug!("signed in with {}", link.name);
                    return Ok(t);
                }
                Err(e) => {
                    answers.push(CredentialAnswer::failed(link.name, self.redact(e)));
                    // A configured credential failed: report it rather than sign in as
                    // whoever a later credential is.
                    for rest in &self.links[i + 1..] {
                        answers.push(CredentialAnswer::skipped(
                            rest.name,
                            "not tried: the credential above is configured and failed".into(),
                        ));
                    }
                    break;
                }
            }
        }
        Err(self.failure(scope, answers))
    }

    fn single_failure(&self, scope: &str, name: &'static str, e: azure_core::Error) -> AuthError {
        self.failure(
            scope,
            vec![CredentialAnswer::failed(name, self.redact(error_text(&e)))],
        )
    }

    fn failure(&self, scope: &str, answers: Vec<CredentialAnswer>) -> AuthError {
        AuthError {
            summary: format!("no credential could sign in at {}", self.authority_host),
            scope: scope.to_string(),
            answers,
        }
    }
}

impl TokenProvider for CredentialChain {
    fn token<'a>(
        &'a self,
        scope: &'a str,
        fresh: bool,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        Box::pin(self.fetch(scope, fresh))
    }
}

/// Ask one credential, within [`CREDENTIAL_TIMEOUT`]; the error as one line of text.
async fn ask(cred: &dyn TokenCredential, scope: &str) -> Result<AccessToken, String> {
    match tokio::time::timeout(CREDENTIAL_TIMEOUT, cred.get_token(&[scope], None)).await {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(error_text(&e)),
        Err(_) => Err(format!(
            "no answer within {} s",
            CREDENTIAL_TIMEOUT.as_secs()
        )),
    }
}

/// An azure_core error with its sources, on one line, without the troubleshooting link
/// boilerplate repeated.
fn error_text(e: &azure_core::Error) -> String {
    use std::error::Error as _;
    // Each message on one line, without the troubleshooting-link line azure_identity adds.
    let clean = |m: String| {
        m.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("To troubleshoot"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut parts: Vec<String> = vec![clean(e.to_string())];
    let mut src = e.source();
    while let Some(s) = src {
        let t = clean(s.to_string());
        if !t.is_empty() && !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        src = s.source();
    }
    let text = parts.join(": ");
    // The chain names the credential already; the retry policy's note says nothing useful.
    let text = match text.find("Credential authentication failed.") {
        Some(i) if !text[..i].contains(' ') => text
            [i + "Credential authentication failed.".len()..]
            .trim_start()
            .to_string(),
        _ => text,
    };
    text.replace(
        "retry policy expired and the request will no longer be retried: ",
        "",
    )
}

/// Whether an executable `program` is in one of `PATH`'s folders (`program.cmd` /
/// `.exe` on Windows, where az is a batch file).
fn on_path(env: &EnvVars, program: &str) -> bool {
    let Some(path) = env.get("PATH") else {
        return false;
    };
    let names: Vec<String> = if cfg!(windows) {
        vec![format!("{program}.cmd"), format!("{program}.exe")]
    } else {
        vec![program.to_string()]
    };
    std::env::split_paths(path).any(|dir| {
        names.iter().any(|n| {
            let p = dir.join(n);
            match std::fs::metadata(&p) {
                #[cfg(unix)]
                Ok(m) => {
                    use std::os::unix::fs::PermissionsExt;
                    m.is_file() && m.permissions().mode() & 0o111 != 0
                }
                #[cfg(not(unix))]
                Ok(m) => m.is_file(),
                Err(_) => false,
            }
        })
    })
}

fn not_set(vars: &[(&str, bool)]) -> String {
    let missing: Vec<&str> = vars
        .iter()
        .filter(|(_, set)| !set)
        .map(|(n, _)| *n)
        .collect();
    if missing.len() == vars.len() {
        "not configured: none of its variables is set".into()
    } else {
        format!("not configured: {} not set", missing.join(", "))
    }
}

/// Read a PEM bundle of extra CA certificates (`--ca-cert`, `CAPZ_CA_CERT`).
///
/// Errors: the file cannot be read, or holds no PEM certificate (message names the file).
pub fn read_ca_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read CA bundle {}: {e}", path.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&bytes)
        .map_err(|e| format!("CA bundle {} is not PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "CA bundle {} holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)",
            path.display()
        ));
    }
    Ok(certs)
}

/// capz's HTTP client: `User-Agent: capz/VERSION`, the request timeout, and the system's
/// trusted roots plus `extra_roots` (reqwest `tls_certs_merge`). Used for ARM and for
/// sign-in alike, so both trust the same CAs.
///
/// Errors: reqwest could not build the client (message says why).
pub fn http_client(
    timeout: Duration,
    extra_roots: Vec<reqwest::Certificate>,
) -> Result<reqwest::Client, String> {
    super::client::install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(super::client::USER_AGENT)
        .timeout(timeout)
        .tls_certs_merge(extra_roots)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}
