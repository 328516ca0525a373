//! `capz emulator serve`: run the local ARM emulator standalone until Ctrl-C.

use super::Global;
use super::target::{STATE_FILE, env_time_scale};
use crate::codes;
use clap::Args;
use emulator::{AuthClient, ClientCredential, UnregisteredProvider};
use lang::{Diagnostic, SourceMap};
use std::net::SocketAddr;
use std::path::PathBuf;

/// HTTPS, sign-in, provider registration and recording options of `capz emulator serve`
/// (the emulator's `Config::{tls, auth, unregistered_providers, record_requests}`).
#[derive(Args, Debug, Clone, Default)]
pub struct ServeOptions {
    /// Serve HTTPS with a generated certificate for 127.0.0.1/localhost; prints
    /// `listening on https://127.0.0.1:PORT`.
    #[arg(long)]
    pub tls: bool,
    /// With --tls: write the PEM of the CA that signed the server certificate here (the
    /// file clients trust).
    #[arg(long, value_name = "PATH", requires = "tls")]
    pub cert_out: Option<PathBuf>,
    /// Every ARM request needs `Authorization: Bearer TOKEN` from the token endpoint
    /// `POST /{tenant}/oauth2/v2.0/token` (needs at least one --client/--federated-client).
    #[arg(long)]
    pub require_auth: bool,
    /// A client the token endpoint knows, with its secret (repeatable).
    #[arg(long = "client", value_name = "TENANT:CLIENT_ID:SECRET", value_parser = parse_secret_client)]
    pub clients: Vec<AuthClient>,
    /// A client that signs in with a federated token (client_assertion; workload
    /// identity), optionally only for this token subject (repeatable).
    #[arg(long = "federated-client", value_name = "TENANT:CLIENT_ID[:SUBJECT]", value_parser = parse_federated_client)]
    pub federated_clients: Vec<AuthClient>,
    /// Lifetime of issued tokens in seconds (default 3599).
    #[arg(long, value_name = "SECS")]
    pub token_lifetime: Option<u64>,
    /// A resource provider namespace that is not registered (on every subscription, or
    /// on SUB): requests under it get 409 MissingSubscriptionRegistration (repeatable).
    #[arg(long = "unregistered-provider", value_name = "[SUB:]NAMESPACE", value_parser = parse_unregistered)]
    pub unregistered_providers: Vec<UnregisteredProvider>,
    /// Append every non-GET ARM request ({method, path, api_version, status, body}) to
    /// this JSON Lines file.
    #[arg(long, value_name = "FILE")]
    pub record_requests: Option<PathBuf>,
    /// Fault injection rules (the emulator's `Config::faults`), a JSON array of
    /// `{"method": "PUT", "path_contains": "/agentpools/", "skip": 0, "times": 1,
    /// "probability": 1.0, "fault": F}` with F one of `"server-error"`, `"drop-connection"`,
    /// `"drop-connection-after-commit"`, `{"throttle": SECS}`, `{"delay-ms": N}`,
    /// `{"fail-operation": {"code": C, "message": M}}`
    /// (every key but `fault` optional; first matching rule wins).
    #[arg(long, value_name = "FILE.json")]
    pub faults: Option<PathBuf>,
    /// Answer every request after this many milliseconds (a last fault rule, so the rules
    /// of --faults come first).
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<u64>,
}

/// Parse the `--faults` JSON (see [`ServeOptions::faults`]).
pub fn parse_faults(text: &str) -> Result<Vec<emulator::FaultRule>, String> {
    use serde_json::Value as J;
    let v: J = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let items = v.as_array().ok_or("expected a JSON array of rules")?;
    let mut out = Vec::new();
    for (i, r) in items.iter().enumerate() {
        let s = |k: &str| r.get(k).and_then(J::as_str).map(str::to_string);
        let fault = match r.get("fault") {
            Some(J::String(w)) if w == "server-error" => emulator::Fault::ServerError,
            Some(J::String(w)) if w == "drop-connection" => emulator::Fault::DropConnection,
            Some(J::String(w)) if w == "drop-connection-after-commit" => {
                emulator::Fault::DropConnectionAfterCommit
            }
            Some(J::Object(m)) if m.contains_key("throttle") => emulator::Fault::Throttle {
                retry_after_secs: m.get("throttle").and_then(J::as_u64).unwrap_or(1),
            },
            Some(J::Object(m)) if m.contains_key("delay-ms") => emulator::Fault::Delay {
                millis: m.get("delay-ms").and_then(J::as_u64).unwrap_or(0),
            },
            Some(J::Object(m)) if m.contains_key("fail-operation") => {
                let f = m.get("fail-operation");
                let g = |k: &str| {
                    f.and_then(|f| f.get(k))
                        .and_then(J::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                emulator::Fault::FailOperation {
                    code: g("code"),
                    message: g("message"),
                }
            }
            other => return Err(format!("rule {i}: unknown fault {other:?}")),
        };
        out.push(emulator::FaultRule {
            method: s("method"),
            path_contains: s("path_contains"),
            skip: r
                .get("skip")
                .and_then(J::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
            times: r
                .get("times")
                .and_then(J::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
            probability: r.get("probability").and_then(J::as_f64).unwrap_or(1.0),
            fault,
        });
    }
    Ok(out)
}

/// `TENANT:CLIENT_ID:SECRET` (the secret may contain `:`).
fn parse_secret_client(s: &str) -> Result<AuthClient, String> {
    let mut parts = s.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(t), Some(c), Some(secret))
            if !t.is_empty() && !c.is_empty() && !secret.is_empty() =>
        {
            Ok(AuthClient {
                tenant: t.to_string(),
                client_id: c.to_string(),
                credential: ClientCredential::Secret(secret.to_string()),
            })
        }
        _ => Err("expected TENANT:CLIENT_ID:SECRET".into()),
    }
}

/// `TENANT:CLIENT_ID[:SUBJECT]` (the subject may contain `:`).
fn parse_federated_client(s: &str) -> Result<AuthClient, String> {
    let mut parts = s.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(t), Some(c), subject) if !t.is_empty() && !c.is_empty() => Ok(AuthClient {
            tenant: t.to_string(),
            client_id: c.to_string(),
            credential: ClientCredential::Federated {
                issuer: None,
                subject: subject.filter(|x| !x.is_empty()).map(str::to_string),
            },
        }),
        _ => Err("expected TENANT:CLIENT_ID or TENANT:CLIENT_ID:SUBJECT".into()),
    }
}

/// `NAMESPACE` or `SUB:NAMESPACE`.
fn parse_unregistered(s: &str) -> Result<UnregisteredProvider, String> {
    let (sub, ns) = match s.split_once(':') {
        Some((sub, ns)) => (Some(sub.to_string()), ns),
        None => (None, s),
    };
    if ns.is_empty() || !ns.contains('.') || sub.as_deref() == Some("") {
        return Err(
            "expected a namespace such as Microsoft.ContainerService, or SUB:NAMESPACE".into(),
        );
    }
    Ok(UnregisteredProvider {
        subscription: sub,
        namespace: ns.to_string(),
    })
}

/// Serve on `addr` with state in `state/local-arm.sqlite` (memory when `None`).
pub async fn serve(
    g: &Global,
    addr: SocketAddr,
    state: Option<PathBuf>,
    time_scale: Option<f64>,
    opts: ServeOptions,
) -> u8 {
    let fail = |msg: String| {
        let d = Diagnostic::error(codes::TARGET_EMULATOR_FAILED, msg)
            .with_help("check the address is free and the state directory writable");
        super::eprint_diagnostics(&SourceMap::default(), &[d]);
        1
    };
    let mut config = emulator::Config::default();
    if let Some(dir) = &state {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return fail(format!(
                "cannot create state directory {}: {e}",
                dir.display()
            ));
        }
        config.state_path = Some(dir.join(STATE_FILE));
    }
    if let Some(ts) = time_scale.or_else(env_time_scale) {
        config.time_scale = ts;
    }
    if let Some(sub) = &g.subscription
        && !config
            .subscriptions
            .iter()
            .any(|s| s.eq_ignore_ascii_case(sub))
    {
        config.subscriptions.push(sub.clone());
    }
    if opts.tls {
        config.tls = Some(emulator::TlsConfig {
            cert_out: opts.cert_out,
        });
    }
    config.auth.require_auth = opts.require_auth;
    config.auth.clients = opts.clients;
    config.auth.clients.extend(opts.federated_clients);
    if let Some(secs) = opts.token_lifetime {
        config.auth.token_lifetime_secs = secs;
    }
    config.unregistered_providers = opts.unregistered_providers;
    config.record_requests = opts.record_requests;
    if let Some(path) = &opts.faults {
        let rules = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| parse_faults(&t));
        match rules {
            Ok(r) => config.faults = r,
            Err(e) => return fail(format!("--faults {}: {e}", path.display())),
        }
    }
    if let Some(ms) = opts.latency_ms {
        config.faults.push(emulator::FaultRule {
            method: None,
            path_contains: None,
            skip: 0,
            times: None,
            probability: 1.0,
            fault: emulator::Fault::Delay { millis: ms },
        });
    }
    match emulator::serve_until_ctrl_c(addr, config).await {
        Ok(()) => 0,
        Err(e) => fail(format!("local ARM emulator: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_flags_parse() {
        let c = parse_secret_client("t:c:s:with:colons").unwrap();
        assert_eq!((c.tenant.as_str(), c.client_id.as_str()), ("t", "c"));
        assert!(matches!(c.credential, ClientCredential::Secret(ref s) if s == "s:with:colons"));
        assert!(parse_secret_client("t:c").is_err());
        assert!(parse_secret_client("t::s").is_err());
        let f = parse_federated_client("t:c:system:serviceaccount:ns:sa").unwrap();
        assert!(
            matches!(f.credential, ClientCredential::Federated { subject: Some(ref s), .. } if s == "system:serviceaccount:ns:sa")
        );
        let f = parse_federated_client("t:c").unwrap();
        assert!(matches!(
            f.credential,
            ClientCredential::Federated { subject: None, .. }
        ));
        assert!(parse_federated_client("t").is_err());
    }

    #[test]
    fn faults_file_parses() {
        let r = parse_faults(
            r#"[{"method": "PUT", "path_contains": "/agentpools/", "times": 1,
                 "fault": {"fail-operation": {"code": "QuotaExceeded", "message": "m"}}},
                {"probability": 0.2, "fault": "server-error"},
                {"fault": {"throttle": 2}}, {"fault": {"delay-ms": 50}},
                {"fault": "drop-connection"}, {"fault": "drop-connection-after-commit"}]"#,
        )
        .unwrap();
        assert_eq!(r.len(), 6);
        assert_eq!(r[4].fault, emulator::Fault::DropConnection);
        assert_eq!(r[5].fault, emulator::Fault::DropConnectionAfterCommit);
        assert_eq!(r[0].times, Some(1));
        assert_eq!(
            r[0].fault,
            emulator::Fault::FailOperation {
                code: "QuotaExceeded".into(),
                message: "m".into()
            }
        );
        assert_eq!(r[1].probability, 0.2);
        assert_eq!(
            r[2].fault,
            emulator::Fault::Throttle {
                retry_after_secs: 2
            }
        );
        assert_eq!(r[3].fault, emulator::Fault::Delay { millis: 50 });
        assert!(parse_faults(r#"[{"fault": "nope"}]"#).is_err());
        assert!(parse_faults("{}").is_err());
    }

    #[test]
    fn unregistered_flag_parses() {
        assert_eq!(
            parse_unregistered("Microsoft.ContainerService").unwrap(),
            UnregisteredProvider {
                subscription: None,
                namespace: "Microsoft.ContainerService".into()
            }
        );
        let u = parse_unregistered("sub1:Microsoft.Network").unwrap();
        assert_eq!(u.subscription.as_deref(), Some("sub1"));
        assert!(parse_unregistered("nodot").is_err());
        assert!(parse_unregistered(":Microsoft.Network").is_err());
    }
}
