//! The server layer: HTTPS with the generated certificate, the Entra-shaped token
//! endpoint, ARM's bearer-token check, provider registration and request recording.

use std::time::Duration;

use emulator::{AuthClient, ClientCredential, Config, TlsConfig, UnregisteredProvider};
use serde_json::{Value, json};

const SUB: &str = emulator::LOCAL_SUBSCRIPTION;
const TENANT: &str = "72f988bf-0000-0000-0000-000000000001";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const SECRET: &str = "s3cret~value";
const RG_API: &str = "2025-04-01";

fn provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn base() -> Config {
    Config {
        time_scale: 0.0,
        ..Config::default()
    }
}

fn auth_config(lifetime: u64) -> Config {
    let mut c = base();
    c.auth.require_auth = true;
    c.auth.token_lifetime_secs = lifetime;
    c.auth.clients = vec![
        AuthClient {
            tenant: TENANT.into(),
            client_id: CLIENT.into(),
            credential: ClientCredential::Secret(SECRET.into()),
        },
        AuthClient {
            tenant: TENANT.into(),
            client_id: CLIENT.into(),
            credential: ClientCredential::Federated {
                issuer: Some("https://oidc.example/issuer".into()),
                subject: Some("system:serviceaccount:capz:deployer".into()),
            },
        },
    ];
    c
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn json_of(r: reqwest::Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

async fn token_request(base: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let body: String = form
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let r = http()
        .post(format!("{base}/{TENANT}/oauth2/v2.0/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let (s, _, v) = json_of(r).await;
    (s, v)
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn b64url(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..=c.len() {
            out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn assertion(claims: Value) -> String {
    format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"RS256","typ":"JWT"}"#),
        b64url(claims.to_string().as_bytes()),
        b64url(b"not-a-real-signature")
    )
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn secret_token(base: &str) -> String {
    let (s, v) = token_request(
        base,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", SECRET),
            ("scope", "https://management.azure.com/.default"),
        ],
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["access_token"].as_str().unwrap().to_string()
}

async fn get_rg(base: &str, token: Option<&str>) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut r = http().get(format!(
        "{base}/subscriptions/{SUB}/resourcegroups?api-version={RG_API}"
    ));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    json_of(r.send().await.unwrap()).await
}

#[tokio::test]
async fn https_with_generated_certificate() {
    provider();
    let dir = tempfile::tempdir().unwrap();
    let pem_path = dir.path().join("certs/ca.pem");
    let cfg = Config {
        tls: Some(TlsConfig {
            cert_out: Some(pem_path.clone()),
        }),
        ..base()
    };
    let server = emulator::start("127.0.0.1:0".parse().unwrap(), cfg)
        .await
        .unwrap();
    assert!(server.base_url.starts_with("https://127.0.0.1:"));
    let pem = std::fs::read(&pem_path).unwrap();
    assert_eq!(Some(String::from_utf8(pem.clone()).unwrap()), server.ca_pem);

    // A client that trusts only the written CA reaches it by IP and by name.
    let trusting = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .build()
        .unwrap();
    for host in ["127.0.0.1", "localhost"] {
        let url = format!(
            "https://{host}:{}/subscriptions/{SUB}?api-version={RG_API}",
            server.addr.port()
        );
        let r = trusting.get(&url).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{host}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["subscriptionId"], SUB);
    }
    // PUT works over TLS too.
    let r = trusting
        .put(format!(
            "{}/subscriptions/{SUB}/resourcegroups/tls?api-version={RG_API}",
            server.base_url
        ))
        .json(&json!({"location": "westeurope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);

    // A client with only the system roots refuses the certificate.
    let plain = reqwest::Client::builder()
        .tls_certs_only(Vec::<reqwest::Certificate>::new())
        .build()
        .unwrap();
    let err = plain
        .get(format!(
            "{}/subscriptions?api-version={RG_API}",
            server.base_url
        ))
        .send()
        .await;
    assert!(err.is_err(), "an untrusted certificate must be refused");

    // Plain HTTP against the TLS port does not get an ARM answer.
    let r = http()
        .get(format!(
            "http://127.0.0.1:{}/subscriptions?api-version={RG_API}",
            server.addr.port()
        ))
        .send()
        .await;
    assert!(r.is_err() || !r.unwrap().status().is_success());
    server.shutdown().await;
}

#[tokio::test]
async fn token_endpoint_issues_and_arm_requires_bearer() {
    provider();
    let server = emulator::start("127.0.0.1:0".parse().unwrap(), auth_config(3599))
        .await
        .unwrap();
    let b = server.base_url.clone();

    // Missing header: AuthenticationFailed with a Bearer challenge.
    let (s, h, v) = get_rg(&b, None).await;
    assert_eq!(s, 401);
    assert_eq!(v["error"]["code"], "AuthenticationFailed");
    let challenge = h["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer authorization_uri="),
        "{challenge}"
    );
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");

    // A made-up token: InvalidAuthenticationToken.
    let (s, h, v) = get_rg(&b, Some("eyJhbGciOi.forged.token")).await;
    assert_eq!(s, 401);
    assert_eq!(v["error"]["code"], "InvalidAuthenticationToken");
    assert!(h.contains_key("www-authenticate"));

    // Client credentials with the secret.
    let (s, v) = token_request(
        &b,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", SECRET),
            ("scope", "https://management.azure.com/.default"),
        ],
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3599);
    assert_eq!(v["ext_expires_in"], 3599);
    let token = v["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "JWT-shaped");
    let (s, _, v) = get_rg(&b, Some(token)).await;
    assert_eq!(s, 200, "{v}");

    // A token for another resource is refused by ARM.
    let (_, v) = token_request(
        &b,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", SECRET),
            ("scope", "https://vault.azure.net/.default"),
        ],
    )
    .await;
    let (s, _, v) = get_rg(&b, v["access_token"].as_str()).await;
    assert_eq!(s, 401);
    assert_eq!(v["error"]["code"], "InvalidAuthenticationToken");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("wrong audience")
    );

    // Workload identity: a federated assertion with the right issuer/subject/audience.
    let good = assertion(json!({
        "iss": "https://oidc.example/issuer",
        "sub": "system:serviceaccount:capz:deployer",
        "aud": ["api://AzureADTokenExchange"],
        "exp": now_s() + 600,
        "nbf": now_s() - 10,
    }));
    let form = |a: &str| {
        vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", CLIENT.to_string()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_string(),
            ),
            ("client_assertion", a.to_string()),
            ("scope", "https://management.azure.com/.default".to_string()),
        ]
    };
    let send = |f: Vec<(&'static str, String)>| {
        let b = b.clone();
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            token_request(&b, &f).await
        }
    };
    let (s, v) = send(form(&good)).await;
    assert_eq!(s, 200, "{v}");
    let (s, _, _) = get_rg(&b, v["access_token"].as_str()).await;
    assert_eq!(s, 200);

    // Assertion errors, AADSTS-shaped.
    let cases = [
        (
            assertion(
                json!({"iss": "https://oidc.example/issuer", "sub": "system:serviceaccount:capz:deployer",
                "aud": "api://AzureADTokenExchange", "exp": now_s() - 5}),
            ),
            700024,
        ),
        (
            assertion(
                json!({"iss": "https://oidc.example/issuer", "sub": "system:serviceaccount:capz:other",
                "aud": "api://AzureADTokenExchange", "exp": now_s() + 600}),
            ),
            70021,
        ),
        (
            assertion(
                json!({"iss": "https://oidc.example/issuer", "sub": "system:serviceaccount:capz:deployer",
                "aud": "api://something-else", "exp": now_s() + 600}),
            ),
            700212,
        ),
        ("not-a-jwt".to_string(), 50027),
    ];
    for (a, code) in cases {
        let (s, v) = send(form(&a)).await;
        assert_eq!(s, 400, "{v}");
        assert_eq!(v["error_codes"], json!([code]), "{v}");
        assert!(
            v["error_description"]
                .as_str()
                .unwrap()
                .starts_with(&format!("AADSTS{code}: ")),
            "{v}"
        );
        assert!(v["error"].is_string());
    }

    // Secret and client errors.
    type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str, u32);
    let cases: [Case; 5] = [
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("client_secret", "wrong"),
                ("scope", "https://management.azure.com/.default"),
            ],
            401,
            "invalid_client",
            7000215,
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "unknown-app"),
                ("client_secret", SECRET),
                ("scope", "https://management.azure.com/.default"),
            ],
            400,
            "unauthorized_client",
            700016,
        ),
        (
            &[
                ("grant_type", "password"),
                ("client_id", CLIENT),
                ("client_secret", SECRET),
                ("scope", "https://management.azure.com/.default"),
            ],
            400,
            "unsupported_grant_type",
            70003,
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("client_secret", SECRET),
                ("scope", "https://management.azure.com/user_impersonation"),
            ],
            400,
            "invalid_scope",
            1002012,
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("scope", "https://management.azure.com/.default"),
            ],
            401,
            "invalid_client",
            7000218,
        ),
    ];
    for (f, status, error, code) in cases {
        let (s, v) = token_request(&b, f).await;
        assert_eq!((s, v["error"].as_str().unwrap()), (status, error), "{v}");
        assert_eq!(v["error_codes"], json!([code]));
        assert!(!v.to_string().contains(SECRET), "secret echoed: {v}");
    }

    // Unknown tenant.
    let r = http()
        .post(format!("{b}/not-a-tenant/oauth2/v2.0/token"))
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    let (s, _, v) = json_of(r).await;
    assert_eq!(s, 400);
    assert_eq!(v["error_codes"], json!([90002]));
    server.shutdown().await;
}

#[tokio::test]
async fn tokens_expire() {
    provider();
    let server = emulator::start("127.0.0.1:0".parse().unwrap(), auth_config(1))
        .await
        .unwrap();
    let token = secret_token(&server.base_url).await;
    let (s, _, _) = get_rg(&server.base_url, Some(&token)).await;
    assert_eq!(s, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (s, h, v) = get_rg(&server.base_url, Some(&token)).await;
    assert_eq!(s, 401, "{v}");
    assert_eq!(v["error"]["code"], "ExpiredAuthenticationToken");
    assert!(
        h["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    // A fresh token works again.
    let token = secret_token(&server.base_url).await;
    assert_eq!(get_rg(&server.base_url, Some(&token)).await.0, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn require_auth_without_clients_is_a_config_error() {
    let mut c = base();
    c.auth.require_auth = true;
    let r = emulator::start("127.0.0.1:0".parse().unwrap(), c).await;
    assert!(matches!(r, Err(emulator::Error::Config(_))));
}

#[tokio::test]
async fn unregistered_provider_until_registered() {
    provider();
    let cfg = Config {
        unregistered_providers: vec![UnregisteredProvider {
            subscription: Some(SUB.into()),
            namespace: "Microsoft.ContainerService".into(),
        }],
        ..base()
    };
    let server = emulator::start("127.0.0.1:0".parse().unwrap(), cfg)
        .await
        .unwrap();
    let b = &server.base_url;
    let c = http();
    let rg = c
        .put(format!(
            "{b}/subscriptions/{SUB}/resourcegroups/g?api-version={RG_API}"
        ))
        .json(&json!({"location": "westeurope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rg.status().as_u16(), 201);
    let cluster = format!(
        "{b}/subscriptions/{SUB}/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c?api-version=2026-08-01"
    );
    let (s, _, v) = json_of(c.get(&cluster).send().await.unwrap()).await;
    assert_eq!(s, 409);
    assert_eq!(v["error"]["code"], "MissingSubscriptionRegistration");
    assert_eq!(
        v["error"]["message"],
        "The subscription is not registered to use namespace 'Microsoft.ContainerService'. See https://aka.ms/rps-not-found for how to register subscriptions."
    );
    // Other namespaces are fine.
    let vnets = format!(
        "{b}/subscriptions/{SUB}/resourceGroups/g/providers/Microsoft.Network/virtualNetworks?api-version=2026-01-01"
    );
    assert_eq!(c.get(&vnets).send().await.unwrap().status().as_u16(), 200);
    // Provider state, then registration.
    let prov = format!(
        "{b}/subscriptions/{SUB}/providers/Microsoft.ContainerService?api-version={RG_API}"
    );
    let (_, _, v) = json_of(c.get(&prov).send().await.unwrap()).await;
    assert_eq!(v["registrationState"], "NotRegistered");
    let reg = format!(
        "{b}/subscriptions/{SUB}/providers/Microsoft.ContainerService/register?api-version={RG_API}"
    );
    let (s, _, v) = json_of(c.post(&reg).send().await.unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(v["registrationState"], "Registered");
    let (s, _, v) = json_of(c.get(&cluster).send().await.unwrap()).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (404, Some("ResourceNotFound"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn records_request_bodies_without_headers() {
    provider();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rec/requests.jsonl");
    let mut cfg = auth_config(3599);
    cfg.record_requests = Some(file.clone());
    let server = emulator::start("127.0.0.1:0".parse().unwrap(), cfg)
        .await
        .unwrap();
    let b = &server.base_url;
    let token = secret_token(b).await;
    let c = http();
    let url = format!("{b}/subscriptions/{SUB}/resourcegroups/rec?api-version={RG_API}");
    let r = c
        .put(&url)
        .bearer_auth(&token)
        .json(&json!({"location": "westeurope", "tags": {"a": "b"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(
        c.get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let r = c.put(&url).body("{not json").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    server.shutdown().await;

    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(&token), "tokens are never recorded");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "GETs are not recorded: {text}");
    assert_eq!(
        lines[0],
        json!({"method": "PUT", "path": format!("/subscriptions/{SUB}/resourcegroups/rec"),
               "api_version": RG_API, "status": 201,
               "body": {"location": "westeurope", "tags": {"a": "b"}}})
    );
    assert_eq!(lines[1]["body"], "{not json");
    assert_eq!(lines[1]["status"], 401);
}
