//! The signed-in ARM client through the library API: the credential chain against the
//! emulator's Entra-shaped token endpoint over HTTPS (its generated CA trusted through
//! `credential::http_client`), token refresh after ARM's 401, and the headers every
//! request carries (checked on a recording mock).

use azure_core::credentials::AccessToken;
use runtime::arm::auth::{AuthError, BoxFuture, TokenProvider, TokenSource};
use runtime::arm::client::USER_AGENT;
use runtime::arm::credential::{self, ChainConfig, CredentialChain, CredentialChoice, EnvVars};
use runtime::arm::{ArmClient, ArmErrorKind, ClientSettings};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TENANT: &str = "11111111-2222-3333-4444-555555555555";
const CLIENT: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const SECRET: &str = "s3cr3t-Value~for.tests";
const SCOPE: &str = "https://management.core.windows.net/.default";

/// An emulator over HTTPS that requires sign-in, with tokens living `lifetime` seconds.
async fn emulator(lifetime: u64) -> (emulator::Server, reqwest::Client) {
    runtime::arm::client::install_crypto_provider();
    let mut config = emulator::Config {
        time_scale: 0.0,
        tls: Some(emulator::TlsConfig::default()),
        ..emulator::Config::default()
    };
    config.auth.require_auth = true;
    config.auth.token_lifetime_secs = lifetime;
    config.auth.clients.push(emulator::AuthClient {
        tenant: TENANT.into(),
        client_id: CLIENT.into(),
        credential: emulator::ClientCredential::Secret(SECRET.into()),
    });
    let server = emulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), config)
        .await
        .unwrap();
    let pem = server.ca_pem.clone().unwrap();
    let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).unwrap();
    let http = credential::http_client(Duration::from_secs(10), certs).unwrap();
    (server, http)
}

fn chain(
    server: &emulator::Server,
    http: &reqwest::Client,
    env: &[(&str, &str)],
) -> CredentialChain {
    CredentialChain::new(&ChainConfig {
        authority_host: server.base_url.clone(),
        choice: CredentialChoice::Auto,
        subscription: None,
        env: EnvVars::from_pairs(env.iter().copied()),
        http: http.clone(),
    })
    .unwrap()
}

fn sp_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT),
        ("AZURE_CLIENT_SECRET", SECRET),
        // No `az` anywhere: the CLI credential must not be reached anyway.
        ("PATH", "/nonexistent"),
    ]
}

/// Claims every token lives an hour longer than the token endpoint said: the client then
/// keeps using a token ARM already considers expired (as with clock skew or revocation).
#[derive(Debug)]
struct Overconfident {
    inner: CredentialChain,
    fetches: Mutex<Vec<bool>>,
}

impl TokenProvider for Overconfident {
    fn token<'a>(
        &'a self,
        scope: &'a str,
        fresh: bool,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        Box::pin(async move {
            self.fetches.lock().unwrap().push(fresh);
            let mut t = self.inner.token(scope, fresh).await?;
            t.expires_on += time::Duration::hours(1);
            Ok(t)
        })
    }
}

fn subscription_path() -> String {
    format!("/subscriptions/{}", emulator::LOCAL_SUBSCRIPTION)
}

#[tokio::test]
async fn service_principal_signs_in_and_arm_accepts_the_token() {
    let (server, http) = emulator(3599).await;
    let chain = Arc::new(chain(&server, &http, &sp_env()));
    let tokens = Arc::new(TokenSource::new(chain.clone(), SCOPE));
    let client = ArmClient::with_http(
        http,
        &server.base_url,
        emulator::LOCAL_SUBSCRIPTION,
        ClientSettings::local(),
    )
    .with_auth(tokens.clone());
    for _ in 0..3 {
        let r = client
            .send(
                reqwest::Method::GET,
                &subscription_path(),
                Some("2022-12-01"),
                None,
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    // One sign-in for three requests: the token is cached.
    assert_eq!(tokens.fetch_count(), 1);
    assert_eq!(chain.signed_in_with(), Some(credential::SERVICE_PRINCIPAL));
    server.shutdown().await;
}

#[tokio::test]
async fn expired_token_is_refreshed_after_a_401_and_the_request_retried_once() {
    let (server, http) = emulator(1).await;
    let provider = Arc::new(Overconfident {
        inner: chain(&server, &http, &sp_env()),
        fetches: Mutex::new(Vec::new()),
    });
    let tokens = Arc::new(TokenSource::new(provider.clone(), SCOPE));
    let client = ArmClient::with_http(
        http,
        &server.base_url,
        emulator::LOCAL_SUBSCRIPTION,
        ClientSettings::local(),
    )
    .with_auth(tokens.clone());
    let r = client
        .send(
            reqwest::Method::GET,
            &subscription_path(),
            Some("2022-12-01"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    // The emulator expires the token after 1 s; the client still believes in it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let r = client
        .send(
            reqwest::Method::GET,
            &subscription_path(),
            Some("2022-12-01"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(*provider.fetches.lock().unwrap(), vec![false, true]);
    server.shutdown().await;
}

/// Always hands out a token the emulator never issued.
#[derive(Debug, Default)]
struct Forged {
    calls: Mutex<u32>,
}

impl TokenProvider for Forged {
    fn token<'a>(
        &'a self,
        _scope: &'a str,
        _fresh: bool,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        Box::pin(async move {
            *self.calls.lock().unwrap() += 1;
            Ok(AccessToken::new(
                "forged.token.value",
                time::OffsetDateTime::now_utc() + time::Duration::hours(1),
            ))
        })
    }
}

#[tokio::test]
async fn a_token_refused_twice_is_reported_with_advice_not_retried_forever() {
    let (server, http) = emulator(3599).await;
    let forged = Arc::new(Forged::default());
    let client = ArmClient::with_http(
        http,
        &server.base_url,
        emulator::LOCAL_SUBSCRIPTION,
        ClientSettings::local(),
    )
    .with_auth(Arc::new(TokenSource::new(forged.clone(), SCOPE)));
    let path = format!("{}/resourceGroups/rg1", subscription_path());
    let err = client.get(&path, "2025-04-01").await.unwrap_err();
    assert_eq!(err.status, Some(401));
    assert_eq!(err.arm_code.as_deref(), Some("InvalidAuthenticationToken"));
    assert_eq!(
        *forged.calls.lock().unwrap(),
        2,
        "one sign-in plus one refresh"
    );
    let d = err.to_diagnostic("group rg1", None);
    let help = d.help.unwrap_or_default();
    assert!(help.contains("refused the access token"), "{help}");
    assert!(help.contains("x-ms-request-id: "), "{help}");
    assert!(!help.contains("forged.token.value"));
    assert!(!d.message.contains("forged.token.value"));
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_secret_is_entras_answer_without_the_secret() {
    let (server, http) = emulator(3599).await;
    let chain = chain(
        &server,
        &http,
        &[
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", CLIENT),
            ("AZURE_CLIENT_SECRET", "wrong-secret-value"),
            ("PATH", "/nonexistent"),
        ],
    );
    let err = chain.token(SCOPE, false).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("7000215"), "{text}");
    assert!(!text.contains("wrong-secret-value"), "{text}");
    let first = &err.answers[0];
    assert!(first.tried);
    assert_eq!(first.credential, credential::SERVICE_PRINCIPAL);
    // The chain stops at the configured credential that failed.
    assert!(
        err.answers[1..]
            .iter()
            .all(|a| !a.tried && a.answer.contains("not tried"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn untrusted_certificate_fails_sign_in_with_the_tls_reason() {
    let (server, _) = emulator(3599).await;
    let http = credential::http_client(Duration::from_secs(10), Vec::new()).unwrap();
    let err = chain(&server, &http, &sp_env())
        .token(SCOPE, false)
        .await
        .unwrap_err();
    let text = err.to_string().to_ascii_lowercase();
    assert!(
        text.contains("certificate") || text.contains("issuer"),
        "{text}"
    );
    server.shutdown().await;
}

#[test]
fn chain_without_configuration_lists_each_credential() {
    runtime::arm::client::install_crypto_provider();
    let http = credential::http_client(Duration::from_secs(5), Vec::new()).unwrap();
    let chain = CredentialChain::new(&ChainConfig {
        authority_host: "https://login.microsoftonline.com".into(),
        choice: CredentialChoice::Auto,
        subscription: None,
        env: EnvVars::from_pairs([("AZURE_TENANT_ID", TENANT)]),
        http,
    })
    .unwrap();
    assert_eq!(
        chain.names(),
        [
            credential::SERVICE_PRINCIPAL,
            credential::WORKLOAD_IDENTITY,
            credential::MANAGED_IDENTITY,
            credential::AZURE_CLI
        ]
    );
    let http = credential::http_client(Duration::from_secs(5), Vec::new()).unwrap();
    let err = CredentialChain::new(&ChainConfig {
        authority_host: "http://127.0.0.1:1".into(),
        choice: CredentialChoice::Auto,
        subscription: None,
        env: EnvVars::default(),
        http,
    })
    .unwrap_err();
    assert!(err.contains("https"), "{err}");
}

#[test]
fn clouds_have_their_endpoints_authorities_and_scopes() {
    use credential::Cloud;
    let c = Cloud::AzureUSGovernment;
    assert_eq!(c.arm_endpoint(), "https://management.usgovcloudapi.net");
    assert_eq!(c.authority_host(), "https://login.microsoftonline.us");
    assert_eq!(
        c.arm_scope(),
        "https://management.core.usgovcloudapi.net/.default"
    );
    let c = Cloud::AzureChinaCloud;
    assert_eq!(c.arm_endpoint(), "https://management.chinacloudapi.cn");
    assert_eq!(c.authority_host(), "https://login.chinacloudapi.cn");
    assert_eq!(
        c.arm_scope(),
        "https://management.core.chinacloudapi.cn/.default"
    );
    let c = Cloud::AzureCloud;
    assert_eq!(c.arm_endpoint(), "https://management.azure.com");
    assert_eq!(c.authority_host(), "https://login.microsoftonline.com");
    assert_eq!(c.arm_scope(), SCOPE);
}

/// A mock ARM recording each request's headers: 401 for the first request, 200 after,
/// and a 409 with request IDs for `/fail`.
mod recording {
    use super::*;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode, Uri};
    use axum::response::IntoResponse;

    #[derive(Default)]
    pub struct Seen {
        pub headers: Mutex<Vec<HeaderMap>>,
    }

    async fn handle(
        State(seen): State<Arc<Seen>>,
        uri: Uri,
        headers: HeaderMap,
    ) -> axum::response::Response {
        let n = {
            let mut h = seen.headers.lock().unwrap();
            h.push(headers);
            h.len()
        };
        if n == 1 {
            return (
                StatusCode::UNAUTHORIZED,
                [("x-ms-request-id", "req-401")],
                r#"{"error":{"code":"ExpiredAuthenticationToken","message":"expired"}}"#,
            )
                .into_response();
        }
        if uri.path().ends_with("/fail") {
            return (
                StatusCode::CONFLICT,
                [
                    ("x-ms-request-id", "req-409"),
                    ("x-ms-correlation-request-id", "corr-409"),
                ],
                r#"{"error":{"code":"MissingSubscriptionRegistration","message":"The subscription is not registered to use namespace 'Microsoft.ContainerService'."}}"#,
            )
                .into_response();
        }
        (StatusCode::OK, r#"{"id":"x"}"#).into_response()
    }

    pub async fn start() -> (Arc<Seen>, String) {
        let seen = Arc::new(Seen::default());
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (seen, url)
    }
}

#[derive(Debug, Default)]
struct Counter {
    n: Mutex<u32>,
}

impl TokenProvider for Counter {
    fn token<'a>(
        &'a self,
        _scope: &'a str,
        _fresh: bool,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        Box::pin(async move {
            let mut n = self.n.lock().unwrap();
            *n += 1;
            Ok(AccessToken::new(
                format!("token-{n}"),
                time::OffsetDateTime::now_utc() + time::Duration::hours(1),
            ))
        })
    }
}

#[tokio::test]
async fn every_request_carries_authorization_request_id_and_user_agent() {
    let (seen, url) = recording::start().await;
    let client = ArmClient::new(&url, "sub", ClientSettings::local())
        .unwrap()
        .with_auth(Arc::new(TokenSource::new(
            Arc::new(Counter::default()),
            SCOPE,
        )));
    let body = client
        .get("/subscriptions/sub/resourceGroups/rg", "2025-04-01")
        .await
        .unwrap();
    assert!(body.is_some());
    let err = client
        .get("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/fail", "2026-08-01")
        .await
        .unwrap_err();
    let headers = seen.headers.lock().unwrap().clone();
    assert_eq!(headers.len(), 3);
    let auth: Vec<&str> = headers
        .iter()
        .map(|h| h["authorization"].to_str().unwrap())
        .collect();
    // The 401 answer got one fresh token and one retry.
    assert_eq!(auth, ["Bearer token-1", "Bearer token-2", "Bearer token-2"]);
    let mut ids = std::collections::BTreeSet::new();
    for h in &headers {
        assert_eq!(h["user-agent"], USER_AGENT);
        assert!(USER_AGENT.starts_with("capz/"));
        ids.insert(h["x-ms-client-request-id"].to_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 3, "a fresh x-ms-client-request-id per request");
    // The failed request's diagnostic names both IDs and the registration command.
    assert_eq!(err.kind, ArmErrorKind::Request);
    let d = err.to_diagnostic("cluster aks", None);
    let help = d.help.unwrap_or_default();
    assert!(help.contains("x-ms-request-id: req-409"), "{help}");
    assert!(
        help.contains("x-ms-correlation-request-id: corr-409"),
        "{help}"
    );
    assert!(
        help.contains(
            "az provider register --namespace Microsoft.ContainerService --subscription sub"
        ),
        "{help}"
    );
}

fn parse(args: &[&str]) -> runtime::cli::Cli {
    use clap::Parser;
    runtime::cli::Cli::try_parse_from(std::iter::once("capz").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

#[test]
fn azure_options_parse_anywhere_with_cloud_aliases() {
    let cli = parse(&[
        "plan",
        "x.capz",
        "--target",
        "azure",
        "--cloud",
        "azureusgovernment",
        "--credential",
        "workload-identity",
        "--ca-cert",
        "/tmp/ca.pem",
        "--authority-host",
        "https://login.example",
    ]);
    let a = &cli.global.azure;
    assert_eq!(a.cloud, Some(credential::Cloud::AzureUSGovernment));
    assert_eq!(a.credential, CredentialChoice::WorkloadIdentity);
    assert_eq!(
        a.ca_cert.as_deref(),
        Some(std::path::Path::new("/tmp/ca.pem"))
    );
    assert_eq!(a.authority_host.as_deref(), Some("https://login.example"));
    let cli = parse(&["--cloud", "china", "plan", "x.capz"]);
    assert_eq!(
        cli.global.azure.cloud,
        Some(credential::Cloud::AzureChinaCloud)
    );
    assert_eq!(cli.global.azure.credential, CredentialChoice::Auto);
}

#[tokio::test]
async fn connect_reports_options_and_credentials_before_any_request() {
    use runtime::cli::target::connect_azure;
    let no_az = EnvVars::from_pairs([("PATH", "/nonexistent")]);
    // Sovereign cloud, nothing configured: the diagnostic names its authority and scope.
    let cli = parse(&[
        "--subscription",
        "sub-1",
        "--cloud",
        "AzureChinaCloud",
        "plan",
        "x.capz",
    ]);
    let Err(d) = connect_azure(&cli.global, &no_az).await else {
        panic!("connected without credentials")
    };
    assert_eq!(d.code, "capz::auth::no-credential");
    assert!(
        d.message.contains("https://login.chinacloudapi.cn"),
        "{}",
        d.message
    );
    let help = d.help.unwrap_or_default();
    assert!(
        help.contains("https://management.core.chinacloudapi.cn/.default"),
        "{help}"
    );
    assert!(help.contains("az not found on PATH"), "{help}");

    // Only the chosen credential is in the chain.
    let cli = parse(&[
        "--subscription",
        "s",
        "--credential",
        "azure-cli",
        "plan",
        "x.capz",
    ]);
    let d = connect_azure(&cli.global, &no_az).await.err().unwrap();
    let help = d.help.unwrap_or_default();
    assert!(!help.contains("- service principal"), "{help}");
    assert!(help.contains("Azure CLI"), "{help}");

    // Plain-HTTP authority, missing CA file: bad options, named.
    let cli = parse(&[
        "--subscription",
        "s",
        "--authority-host",
        "http://127.0.0.1:9",
        "plan",
        "x.capz",
    ]);
    let d = connect_azure(&cli.global, &no_az).await.err().unwrap();
    assert_eq!(d.code, "capz::target::bad-option");
    assert!(d.message.contains("--authority-host"), "{}", d.message);
    let cli = parse(&[
        "--subscription",
        "s",
        "--ca-cert",
        "/nonexistent/ca.pem",
        "plan",
        "x.capz",
    ]);
    let d = connect_azure(&cli.global, &no_az).await.err().unwrap();
    assert_eq!(d.code, "capz::target::bad-option");
    assert!(d.message.contains("/nonexistent/ca.pem"), "{}", d.message);
}

#[tokio::test]
async fn tokens_go_only_to_the_arm_endpoint() {
    let (seen, url) = recording::start().await;
    let client = ArmClient::new(&url, "sub", ClientSettings::local())
        .unwrap()
        .with_auth(Arc::new(TokenSource::new(
            Arc::new(Counter::default()),
            SCOPE,
        )));
    // Same server, another origin (as a nextLink or operation URL on another host would be).
    let elsewhere = url.replace("127.0.0.1", "localhost");
    let r = client
        .send(
            reqwest::Method::GET,
            &format!("{elsewhere}/subscriptions/sub/operations/1"),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 401, "answered as is, no sign-in retry");
    client
        .get("/subscriptions/sub/resourceGroups/rg", "2025-04-01")
        .await
        .unwrap();
    let headers = seen.headers.lock().unwrap().clone();
    assert_eq!(headers.len(), 2);
    assert!(headers[0].get("authorization").is_none());
    assert_eq!(headers[1]["authorization"], "Bearer token-1");
}
