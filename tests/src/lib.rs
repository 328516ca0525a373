//! Harness for capz's end-to-end tests: run the real `capz` binary, start a real local
//! ARM emulator on loopback (`capz emulator serve`), and compare outputs with golden files.
//!
//! Goldens live beside their fixtures. `CAPZ_BLESS=1 cargo test -p capz-tests` rewrites
//! them; review the result with `git diff`. Outputs are normalised first (loopback ports,
//! scratch paths, durations), so a golden holds only what a change can really alter.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

/// The repository root (the workspace folder).
pub fn repo_root() -> PathBuf {
    // Prefer the folder cargo names when it runs the test: a compiled-in path is stale
    // when a target folder is copied from another checkout (and would bless goldens there).
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Path of the `capz` binary in the target folder this test was built into. `cargo test
/// --workspace` builds it; when a single package is tested it is built here once.
pub fn capz_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        // target/<profile>/deps/<test> -> target/<profile>/capz
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target profile folder")
            .to_path_buf();
        let bin = profile_dir.join(format!("capz{}", std::env::consts::EXE_SUFFIX));
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-q", "-p", "runtime", "--bin", "capz"])
            .current_dir(repo_root());
        if release {
            cmd.arg("--release");
        }
        // Cheap when up to date; guarantees the binary matches the sources under test.
        let status = cmd.status().expect("run cargo build for capz");
        assert!(status.success(), "building capz failed");
        bin
    })
    .clone()
}

/// A `capz` command with a quiet, deterministic environment: no colours, no inherited
/// target settings, and emulator operations scaled to milliseconds.
pub fn capz() -> Command {
    let mut cmd = Command::new(capz_bin());
    for var in [
        "CAPZ_TARGET",
        "CAPZ_ARM_ENDPOINT",
        "AZURE_SUBSCRIPTION_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1")
        .env("CAPZ_EMULATOR_TIME_SCALE", "0.0005")
        .stdin(Stdio::null());
    cmd
}

/// Result of one capz run, with stdout and stderr as text.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Panic with both streams unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "expected exit code {code}, got {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

/// Run `capz ARGS` in `dir` against the emulator at `endpoint` (if any).
pub fn run_capz(dir: &Path, endpoint: Option<&str>, args: &[&str]) -> Run {
    let mut cmd = capz();
    cmd.current_dir(dir).args(args);
    if let Some(e) = endpoint {
        cmd.env("CAPZ_ARM_ENDPOINT", e);
    }
    cmd.output().expect("run capz").into()
}

/// A `capz emulator serve` child process on 127.0.0.1 with its state in a scratch folder.
/// Killed when dropped.
pub struct Emulator {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The emulator's state folder.
    pub state: tempfile::TempDir,
}

impl Emulator {
    /// Start one and wait for its `listening on URL` line.
    pub fn start() -> Emulator {
        Emulator::start_with(&[])
    }

    /// Start one with extra `capz emulator serve` flags (e.g. `--faults FILE`,
    /// `--latency-ms 50`; a `--time-scale` here replaces the default 0.0005).
    pub fn start_with(extra: &[&str]) -> Emulator {
        let state = tempfile::tempdir().expect("scratch state folder");
        let mut child = capz()
            .args(["emulator", "serve", "--addr", "127.0.0.1:0", "--state"])
            .arg(state.path())
            .args(if extra.contains(&"--time-scale") {
                &[][..]
            } else {
                &["--time-scale", "0.0005"][..]
            })
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start capz emulator serve");
        let stdout = child.stdout.take().expect("emulator stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read emulator's first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from emulator: {line:?}"))
            .to_string();
        Emulator { child, url, state }
    }

    /// GET `path` (starting with `/subscriptions/...`, query included) as JSON, with a raw client.
    pub fn get_json(&self, path_and_query: &str) -> (u16, serde_json::Value) {
        // reqwest is built without a default crypto provider (see Cargo.toml); an Err
        // only means another test installed it first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let resp = reqwest::blocking::get(format!("{}{}", self.url, path_and_query))
            .expect("GET from emulator");
        let status = resp.status().as_u16();
        let body = resp.text().unwrap_or_default();
        (
            status,
            serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
        )
    }
}

impl Emulator {
    /// Send `method path` with a JSON body from another client (raw HTTP, as a colleague's
    /// script or the portal would), returning the status and body.
    pub fn send_json(
        &self,
        method: &str,
        path_and_query: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("HTTP method");
        let resp = reqwest::blocking::Client::new()
            .request(m, format!("{}{}", self.url, path_and_query))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .expect("request to emulator");
        let status = resp.status().as_u16();
        let text = resp.text().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The subscription the local emulator has by default.
pub const LOCAL_SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

/// Replace what differs between runs: loopback ports, scratch folders, durations and
/// timestamps.
pub fn normalize(text: &str) -> String {
    static RULES: OnceLock<Vec<(regex::Regex, &'static str)>> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        [
            (r"https?://127\.0\.0\.1:\d+", "http://127.0.0.1:PORT"),
            (r"/tmp/\.tmp[A-Za-z0-9]+", "/tmp/SCRATCH"),
            (r"\b\d+(\.\d+)?(ms|s)\b", "Ns"),
            (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?", "TIMESTAMP"),
        ]
        .into_iter()
        .map(|(re, to)| (regex::Regex::new(re).expect("valid regex"), to))
        .collect()
    });
    let mut out = text.replace("\r\n", "\n");
    for (re, to) in rules {
        out = re.replace_all(&out, *to).into_owned();
    }
    out
}

/// Compare `actual` (normalised) with the golden file at `path`; with `CAPZ_BLESS=1`,
/// write it instead. Panics with a line diff on mismatch.
#[track_caller]
pub fn assert_golden(path: &Path, actual: &str) {
    let actual = normalize(actual);
    if std::env::var_os("CAPZ_BLESS").is_some_and(|v| v == "1") {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create golden folder");
        }
        std::fs::write(path, &actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|_| {
        panic!(
            "missing golden {}; run with CAPZ_BLESS=1 to create it\n--- actual\n{actual}",
            path.display()
        )
    });
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, &actual)
            .unified_diff()
            .header("golden", "actual")
            .to_string();
        panic!(
            "output differs from {} (CAPZ_BLESS=1 to accept):\n{diff}",
            path.display()
        );
    }
}

/// Remove the block that starts at the line containing `header` (e.g. `pool agentpool1 {`)
/// through its matching closing brace. Panics if `header` is absent.
pub fn remove_block(text: &str, header: &str) -> String {
    let start = text
        .find(header)
        .unwrap_or_else(|| panic!("no {header:?} in program"));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let mut depth = 0i32;
    let mut end = text.len();
    for (i, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = start + i + 1;
                    break;
                }
            }
            _ => {}
        }
    }
    let after = text[end..].strip_prefix('\n').unwrap_or(&text[end..]);
    format!("{}{}", &text[..line_start], after)
}

/// Replace exactly one occurrence of `from` with `to`. Panics unless `from` occurs once.
pub fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "{from:?} must occur exactly once in the program"
    );
    text.replacen(from, to, 1)
}
