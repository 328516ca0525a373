//! `capz --target azure` end to end, without an Azure account: the real binary against
//! `capz emulator serve --tls --require-auth`, which serves ARM and an Entra-shaped token
//! endpoint over HTTPS with a generated CA. capz trusts that CA through `CAPZ_CA_CERT` and
//! signs in at `AZURE_AUTHORITY_HOST` = the emulator's URL, exactly as it would at
//! login.microsoftonline.com. `PATH` holds no `az`, and nothing but loopback is contacted.

use capz_tests::{LOCAL_SUBSCRIPTION, Run, capz, repo_root};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const SP_CLIENT: &str = "3b9b1c0e-5f6a-4c47-9d8e-0a1b2c3d4e5f";
const SP_SECRET: &str = "Zx8Q~unguessable.SECRET-value_42";
const WI_CLIENT: &str = "8d0e7a61-1c2b-4e3f-a4b5-c6d7e8f90a1b";
const WI_SUBJECT: &str = "system:serviceaccount:capz:deployer";

/// `capz emulator serve` over HTTPS with sign-in required. Killed on drop.
struct AzureEmulator {
    child: Child,
    url: String,
    ca: PathBuf,
    _dir: tempfile::TempDir,
}

impl AzureEmulator {
    fn start(extra: &[&str]) -> AzureEmulator {
        Self::start_scaled("0.0005", extra)
    }

    /// As [`AzureEmulator::start`] with operation durations scaled by `time_scale`.
    fn start_scaled(time_scale: &str, extra: &[&str]) -> AzureEmulator {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        let mut child = capz()
            .args(["emulator", "serve", "--addr", "127.0.0.1:0", "--state"])
            .arg(dir.path().join("state"))
            .args(["--time-scale", time_scale, "--tls", "--cert-out"])
            .arg(&ca)
            .args(["--require-auth", "--client"])
            .arg(format!("{TENANT}:{SP_CLIENT}:{SP_SECRET}"))
            .arg("--federated-client")
            .arg(format!("{TENANT}:{WI_CLIENT}:{WI_SUBJECT}"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        assert!(url.starts_with("https://"), "{url}");
        assert!(ca.exists(), "CA written before listening");
        AzureEmulator {
            child,
            url,
            ca,
            _dir: dir,
        }
    }

    /// A token from the emulator's token endpoint for the service principal (what `az
    /// account get-access-token` would print), via a client trusting the CA.
    fn token(&self) -> String {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let pem = std::fs::read(&self.ca).unwrap();
        let http = reqwest::blocking::Client::builder()
            .tls_certs_merge(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
            .build()
            .unwrap();
        let body: serde_json::Value = http
            .post(format!("{}/{TENANT}/oauth2/v2.0/token", self.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=client_credentials&client_id={SP_CLIENT}&client_secret={}&scope={}",
                SP_SECRET.replace('~', "%7E"),
                "https%3A%2F%2Fmanagement.core.windows.net%2F.default"
            ))
            .send()
            .unwrap()
            .json()
            .unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }
}

impl Drop for AzureEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scratch folder with the managed-cluster example and an empty `bin/` for `PATH`.
fn workdir() -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_root().join("examples/managed-cluster.capz"),
        work.path().join("main.capz"),
    )
    .unwrap();
    std::fs::create_dir(work.path().join("bin")).unwrap();
    work
}

/// Run `capz ARGS` with `--target azure` at the emulator, with exactly the environment
/// `env` for the credentials (everything else that could sign in is removed).
fn capz_azure(emu: &AzureEmulator, work: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = capz();
    for var in [
        "AZURE_CLOUD",
        "AZURE_AUTHORITY_HOST",
        "CAPZ_CA_CERT",
        "CAPZ_CREDENTIAL",
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
        "MSI_ENDPOINT",
        "AZURE_USE_MANAGED_IDENTITY",
    ] {
        cmd.env_remove(var);
    }
    cmd.current_dir(work)
        .env("PATH", work.join("bin"))
        .env("RUST_LOG", "trace")
        .env("CAPZ_TARGET", "azure")
        .env("AZURE_SUBSCRIPTION_ID", LOCAL_SUBSCRIPTION)
        .env("CAPZ_ARM_ENDPOINT", &emu.url)
        .env("AZURE_AUTHORITY_HOST", &emu.url)
        .env("CAPZ_CA_CERT", &emu.ca)
        .args(args);
    for (k, v) in env {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    cmd.output().unwrap().into()
}

fn sp() -> Vec<(&'static str, &'static str)> {
    vec![
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", SP_CLIENT),
        ("AZURE_CLIENT_SECRET", SP_SECRET),
    ]
}

fn b64url(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A JWT-shaped federated token as a Kubernetes service account token looks (the
/// emulator checks audience, subject and expiry, not the signature).
fn federated_token(subject: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = serde_json::json!({"alg": "RS256", "kid": "k8s"});
    let claims = serde_json::json!({
        "iss": "https://oidc.prod-aks.azure.com/capz-tests/",
        "sub": subject,
        "aud": ["api://AzureADTokenExchange"],
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
    });
    format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes()),
        b64url(b"signature")
    )
}

/// Every file under `dir`, recursively, as bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.push((p, bytes));
            }
        }
    }
    out
}

/// A rendered diagnostic as one line: the renderer wraps lines at 100 columns (at spaces,
/// and after `/` or `-`) and draws gutters.
fn flat(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = line.trim().trim_start_matches(['│', '×']).trim();
        if line.is_empty() {
            continue;
        }
        if !out.is_empty() && !out.ends_with('/') && !out.ends_with('-') {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// Text without any whitespace (a wrapped secret is still found).
fn squeezed(text: &str) -> String {
    text.split_whitespace().collect()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn service_principal_plan_apply_plan() {
    let emu = AzureEmulator::start(&[]);
    let work = workdir();
    let run = |args: &[&str]| capz_azure(&emu, work.path(), &sp(), args);
    let plan = run(&["plan", "main.capz", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout.contains(&format!(
            "target: Azure AzureCloud subscription {LOCAL_SUBSCRIPTION}"
        )),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("signed in with service principal"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("+ "), "{}", plan.stdout);
    run(&["apply", "main.capz", "--auto-approve"]).expect_code(0);
    run(&["plan", "main.capz", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn workload_identity_signs_in_from_a_token_file() {
    let emu = AzureEmulator::start(&[]);
    let work = workdir();
    let file = work.path().join("sa-token");
    std::fs::write(&file, federated_token(WI_SUBJECT)).unwrap();
    let file = file.to_string_lossy().into_owned();
    let env = [
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", WI_CLIENT),
        ("AZURE_FEDERATED_TOKEN_FILE", file.as_str()),
    ];
    let plan = capz_azure(&emu, work.path(), &env, &["plan", "main.capz"]).expect_code(0);
    assert!(
        plan.stdout.contains("signed in with workload identity"),
        "{}",
        plan.stdout
    );

    // A token for another service account is refused by Entra, and capz says so.
    std::fs::write(&file, federated_token("system:serviceaccount:other:sa")).unwrap();
    let bad = capz_azure(&emu, work.path(), &env, &["plan", "main.capz"]).expect_code(1);
    assert!(
        flat(&bad.stderr).contains("capz::auth::no-credential"),
        "{}",
        bad.stderr
    );
    assert!(
        flat(&bad.stderr).contains("workload identity"),
        "{}",
        bad.stderr
    );
    assert!(
        flat(&bad.stderr).contains("No matching federated identity record"),
        "{}",
        bad.stderr
    );
}

#[test]
fn azure_cli_login_is_used_when_nothing_else_is_configured() {
    let emu = AzureEmulator::start(&[]);
    let work = workdir();
    // A stand-in `az` that prints what `az account get-access-token -o json` prints.
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3000;
    let script = format!(
        "#!/bin/sh\n# Shell builtins only: PATH holds nothing else.\necho \"$@\" > \"{}\"\nprintf '%s\\n' '{{\"accessToken\": \"{}\", \"expires_on\": {expires}, \"subscription\": \"{LOCAL_SUBSCRIPTION}\", \"tenant\": \"{TENANT}\", \"tokenType\": \"Bearer\"}}'\n",
        work.path().join("az-args").display(),
        emu.token()
    );
    let az = work.path().join("bin/az");
    std::fs::write(&az, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let plan = capz_azure(&emu, work.path(), &[], &["plan", "main.capz"]).expect_code(0);
    assert!(
        plan.stdout.contains("signed in with Azure CLI"),
        "{}",
        plan.stdout
    );
    let args = std::fs::read_to_string(work.path().join("az-args")).unwrap();
    assert!(
        args.contains("account get-access-token")
            && args.contains("--scope https://management.core.windows.net/.default")
            && args.contains(LOCAL_SUBSCRIPTION),
        "{args}"
    );
}

#[test]
fn expired_tokens_are_refreshed_during_a_long_apply() {
    // Tokens live 1 s; the cluster and its pools take several seconds to create.
    let emu = AzureEmulator::start_scaled("0.02", &["--token-lifetime", "1"]);
    let work = workdir();
    let started = Instant::now();
    let apply = capz_azure(
        &emu,
        work.path(),
        &sp(),
        &["apply", "main.capz", "--auto-approve"],
    )
    .expect_code(0);
    assert!(
        started.elapsed() > Duration::from_secs(3),
        "the apply must outlive several tokens to test refresh ({:?})\n{}",
        started.elapsed(),
        apply.stdout
    );
    capz_azure(
        &emu,
        work.path(),
        &sp(),
        &["plan", "main.capz", "--detailed-exitcode"],
    )
    .expect_code(0);
}

#[test]
fn missing_credential_lists_what_each_credential_answered() {
    let emu = AzureEmulator::start(&[]);
    let work = workdir();
    let run = capz_azure(&emu, work.path(), &[], &["plan", "main.capz"]).expect_code(1);
    let err = &flat(&run.stderr);
    assert!(err.contains("capz::auth::no-credential"), "{err}");
    assert!(err.contains("service principal (AZURE_TENANT_ID"), "{err}");
    assert!(err.contains("none of its variables is set"), "{err}");
    assert!(
        err.contains("workload identity (AZURE_FEDERATED_TOKEN_FILE"),
        "{err}"
    );
    assert!(err.contains("managed identity: not tried"), "{err}");
    assert!(err.contains("AZURE_USE_MANAGED_IDENTITY=1"), "{err}");
    assert!(err.contains("Azure CLI (az login): "), "{err}");
    assert!(err.contains("az not found on PATH"), "{err}");
    assert!(err.contains("az login"), "{err}");

    // Half a service principal: the missing variable is named.
    let run = capz_azure(
        &emu,
        work.path(),
        &[("AZURE_TENANT_ID", TENANT), ("AZURE_CLIENT_ID", SP_CLIENT)],
        &["plan", "main.capz"],
    )
    .expect_code(1);
    assert!(
        flat(&run.stderr).contains("AZURE_CLIENT_SECRET not set"),
        "{}",
        run.stderr
    );
}

#[test]
fn wrong_secret_is_entras_error_and_never_echoed() {
    let emu = AzureEmulator::start(&[]);
    let work = workdir();
    let wrong = "Wr0ng~secret.value-do-not-print";
    let run = capz_azure(
        &emu,
        work.path(),
        &[
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", SP_CLIENT),
            ("AZURE_CLIENT_SECRET", wrong),
        ],
        &["plan", "main.capz"],
    )
    .expect_code(1);
    assert!(
        flat(&run.stderr).contains("capz::auth::no-credential"),
        "{}",
        run.stderr
    );
    assert!(flat(&run.stderr).contains("7000215"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("not tried: the credential above is configured and failed")
    );
    assert!(!run.stderr.contains(wrong) && !run.stdout.contains(wrong));
    assert!(!squeezed(&run.stderr).contains(wrong));
}

#[test]
fn wrong_subscription_is_a_clear_error() {
    let emu = AzureEmulator::start(&[]);
    let work = workdir();
    let mut env = sp();
    env.push((
        "AZURE_SUBSCRIPTION_ID",
        "9b8a7c6d-0000-4000-8000-000000000042",
    ));
    let run = capz_azure(&emu, work.path(), &env, &["plan", "main.capz"]).expect_code(1);
    assert!(
        flat(&run.stderr).contains("capz::target::subscription-not-found"),
        "{}",
        run.stderr
    );
    assert!(
        flat(&run.stderr).contains("9b8a7c6d-0000-4000-8000-000000000042"),
        "{}",
        run.stderr
    );
    assert!(
        flat(&run.stderr).contains("SubscriptionNotFound"),
        "{}",
        run.stderr
    );
    assert!(
        flat(&run.stderr).contains("x-ms-request-id: "),
        "{}",
        run.stderr
    );
}

#[test]
fn no_subscription_is_a_clear_error() {
    let emu = AzureEmulator::start(&[]);
    let work = workdir();
    let mut cmd = capz();
    let run: Run = cmd
        .current_dir(work.path())
        .env("PATH", work.path().join("bin"))
        .args([
            "--target",
            "azure",
            "--arm-endpoint",
            &emu.url,
            "plan",
            "main.capz",
        ])
        .output()
        .unwrap()
        .into();
    let run = run.expect_code(1);
    assert!(
        flat(&run.stderr).contains("capz::target::no-subscription"),
        "{}",
        run.stderr
    );
    assert!(
        flat(&run.stderr).contains("AZURE_SUBSCRIPTION_ID"),
        "{}",
        run.stderr
    );
}

#[test]
fn missing_subscription_registration_names_the_az_command() {
    let emu = AzureEmulator::start(&["--unregistered-provider", "Microsoft.ContainerService"]);
    let work = workdir();
    // The plan reads nothing under the provider yet (the group does not exist); the apply
    // creates the group and network, then ARM refuses the cluster.
    let run = capz_azure(
        &emu,
        work.path(),
        &sp(),
        &["apply", "main.capz", "--auto-approve"],
    )
    .expect_code(1);
    let err = &flat(&run.stderr);
    assert!(err.contains("MissingSubscriptionRegistration"), "{err}");
    assert!(
        err.contains("az provider register --namespace Microsoft.ContainerService"),
        "{err}"
    );
    assert!(err.contains("x-ms-correlation-request-id: "), "{err}");
}

#[test]
fn the_emulators_certificate_is_refused_without_the_ca_flag() {
    let emu = AzureEmulator::start(&[]);
    let work = workdir();
    let mut env = sp();
    env.push(("CAPZ_CA_CERT", ""));
    let run = capz_azure(&emu, work.path(), &env, &["plan", "main.capz"]).expect_code(1);
    let err = flat(&run.stderr).to_ascii_lowercase();
    assert!(err.contains("capz::auth::no-credential"), "{err}");
    assert!(
        err.contains("certificate") || err.contains("issuer"),
        "{err}"
    );

    // The flag works as well as the variable; a file that is not PEM is named.
    let ok = capz_azure(
        &emu,
        work.path(),
        &env,
        &["--ca-cert", emu.ca.to_str().unwrap(), "plan", "main.capz"],
    );
    ok.expect_code(0);
    let bad = capz_azure(
        &emu,
        work.path(),
        &env,
        &["--ca-cert", "main.capz", "plan", "main.capz"],
    )
    .expect_code(1);
    assert!(
        flat(&bad.stderr).contains("capz::target::bad-option"),
        "{}",
        bad.stderr
    );
    assert!(flat(&bad.stderr).contains("main.capz"), "{}", bad.stderr);
}

#[test]
fn plain_http_endpoints_are_refused_for_azure() {
    let emu = AzureEmulator::start(&[]);
    let work = workdir();
    let http = emu.url.replacen("https://", "http://", 1);
    let run = capz_azure(
        &emu,
        work.path(),
        &sp(),
        &["--arm-endpoint", &http, "plan", "main.capz"],
    )
    .expect_code(1);
    assert!(
        flat(&run.stderr).contains("capz::target::bad-option"),
        "{}",
        run.stderr
    );
    assert!(
        flat(&run.stderr).contains("only over HTTPS"),
        "{}",
        run.stderr
    );
}

#[test]
fn sovereign_cloud_selects_its_authority_and_scope() {
    // Nothing configured, so nothing is contacted: the diagnostic shows where capz would
    // have signed in and for which scope.
    let emu = AzureEmulator::start(&[]);
    let work = workdir();
    let mut cmd = capz();
    let run: Run = cmd
        .current_dir(work.path())
        .env("PATH", work.path().join("bin"))
        .env_remove("AZURE_AUTHORITY_HOST")
        .env_remove("AZURE_CLOUD")
        .args([
            "--target",
            "azure",
            "--subscription",
            LOCAL_SUBSCRIPTION,
            "--arm-endpoint",
            &emu.url,
            "--cloud",
            "AzureChinaCloud",
            "plan",
            "main.capz",
        ])
        .output()
        .unwrap()
        .into();
    let run = run.expect_code(1);
    assert!(
        flat(&run.stderr).contains("https://login.chinacloudapi.cn"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("https://management.core.chinacloudapi.cn/.default"),
        "{}",
        run.stderr
    );
}

#[test]
fn secrets_and_tokens_never_reach_output_or_files() {
    let emu = AzureEmulator::start(&[]);
    let work = workdir();
    // Every token the emulator issues starts with the same JWT header segment.
    let token = emu.token();
    let header = token.split('.').next().unwrap().to_string();
    assert!(header.len() > 10);
    let file = work.path().join("sa-token");
    let federated = federated_token(WI_SUBJECT);
    std::fs::write(&file, &federated).unwrap();
    let fed_claims = federated.split('.').nth(1).unwrap().to_string();

    let mut runs = Vec::new();
    runs.push(capz_azure(&emu, work.path(), &sp(), &["plan", "main.capz"]).expect_code(0));
    runs.push(
        capz_azure(
            &emu,
            work.path(),
            &sp(),
            &["apply", "main.capz", "--auto-approve"],
        )
        .expect_code(0),
    );
    // A failing sign-in and a failing request print errors: still nothing secret.
    let mut wrong = sp();
    wrong.push((
        "AZURE_SUBSCRIPTION_ID",
        "9b8a7c6d-0000-4000-8000-000000000042",
    ));
    runs.push(capz_azure(&emu, work.path(), &wrong, &["plan", "main.capz"]).expect_code(1));
    let file_s = file.to_string_lossy().into_owned();
    let wi = [
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", WI_CLIENT),
        ("AZURE_FEDERATED_TOKEN_FILE", file_s.as_str()),
    ];
    runs.push(
        capz_azure(
            &emu,
            work.path(),
            &wi,
            &["destroy", "main.capz", "--auto-approve"],
        )
        .expect_code(0),
    );
    for r in &runs {
        for (name, text) in [
            ("stdout", r.stdout.clone()),
            ("stderr", r.stderr.clone()),
            ("stderr (unwrapped)", squeezed(&r.stderr)),
        ] {
            assert!(!text.contains(SP_SECRET), "secret in {name}:\n{text}");
            assert!(!text.contains(&header), "token in {name}:\n{text}");
            assert!(
                !text.contains(&fed_claims),
                "federated token in {name}:\n{text}"
            );
        }
    }
    for (path, bytes) in files(work.path()) {
        if path == file {
            continue;
        }
        assert!(!contains(&bytes, SP_SECRET), "secret in {}", path.display());
        assert!(!contains(&bytes, &header), "token in {}", path.display());
        assert!(
            !contains(&bytes, &fed_claims),
            "federated token in {}",
            path.display()
        );
    }
}

/// A managed identity endpoint as App Service runs one for its apps (`IDENTITY_ENDPOINT`
/// and `IDENTITY_HEADER`), on loopback: answers up to `max` requests with `token`, and
/// keeps each request's head. Source of the protocol:
/// <https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference>.
fn app_service_identity_endpoint(
    token: String,
    max: usize,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/msi/token", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            let authorized = head
                .lines()
                .any(|l| l.eq_ignore_ascii_case("x-identity-header: app-service-header-value"));
            log.lock().unwrap().push(head);
            let expires = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                + 3000;
            let (status, body) = if authorized {
                (
                    "200 OK",
                    format!(
                        r#"{{"access_token":"{token}","expires_on":"{expires}","resource":"https://management.core.windows.net","token_type":"Bearer","client_id":"{SP_CLIENT}"}}"#
                    ),
                )
            } else {
                (
                    "401 Unauthorized",
                    r#"{"error":"missing header"}"#.to_string(),
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, seen)
}

#[test]
fn managed_identity_on_an_app_service_host() {
    let emu = AzureEmulator::start(&[]);
    let work = workdir();
    let (endpoint, seen) = app_service_identity_endpoint(emu.token(), 8);
    let env = [
        ("IDENTITY_ENDPOINT", endpoint.as_str()),
        ("IDENTITY_HEADER", "app-service-header-value"),
    ];
    let plan = capz_azure(&emu, work.path(), &env, &["plan", "main.capz"]).expect_code(0);
    assert!(
        plan.stdout.contains("signed in with managed identity"),
        "{}",
        plan.stdout
    );
    let heads = seen.lock().unwrap().clone();
    assert_eq!(heads.len(), 1, "one token for the whole run: {heads:?}");
    assert!(heads[0].starts_with("GET /msi/token?"), "{}", heads[0]);
    assert!(heads[0].contains("api-version=2019-08-01"), "{}", heads[0]);
    assert!(heads[0].contains("resource=https"), "{}", heads[0]);
    // The header value is a secret of the host: never printed.
    assert!(!plan.stdout.contains("app-service-header-value"));
    assert!(!plan.stderr.contains("app-service-header-value"));
}
