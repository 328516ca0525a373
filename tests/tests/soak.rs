//! Soak: `kill -9` at random moments of `capz apply` on the embedded local ARM, over the
//! management-cluster, fleet and hub-and-spoke examples (at least 10 kills each that land
//! while apply runs, 30 in all), then one apply that must converge. Asserted for each
//! example: that apply exits 0; the replan is zero-change; every resource in the local
//! ARM (groups, their resources and child collections) is `Succeeded`; and the set of
//! resource IDs equals a clean (never killed) apply's. `CAPZ_SOAK_SEED=N` replays a run
//! (the seed is printed). Bounded: at most 40 starts per example, each killed within
//! 1.6 s; operations run at time scale 0.01 (an AKS create takes 2.4 s).

use capz_tests::{LOCAL_SUBSCRIPTION, capz, repo_root};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

const SCALE: &str = "0.01";
const KILLS_PER_EXAMPLE: usize = 10;
const MAX_STARTS: usize = 40;

/// xorshift64: reproducible random delays from a printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for e in std::fs::read_dir(from).expect("read examples") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("file type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).expect("copy example");
        }
    }
}

fn capz_in(dir: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = capz();
    cmd.current_dir(dir)
        .env("CAPZ_EMULATOR_TIME_SCALE", SCALE)
        .args(args);
    cmd
}

fn run(dir: &Path, args: &[&str]) -> capz_tests::Run {
    capz_in(dir, args).output().expect("run capz").into()
}

/// Every resource of the local ARM kept in `state` (groups, their resources, and the
/// child collections capz writes), ID (lower case) -> provisioningState.
fn inventory(state: &Path) -> BTreeMap<String, Option<String>> {
    let mut child = capz()
        .args(["emulator", "serve", "--addr", "127.0.0.1:0", "--state"])
        .arg(state)
        .args(["--time-scale", SCALE])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start capz emulator serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::blocking::Client::new();
    let get = |path: &str, api: &str| -> Value {
        let sep = if path.contains('?') { '&' } else { '?' };
        let r = http
            .get(format!("{base}{path}{sep}api-version={api}"))
            .send()
            .expect("GET from the emulator");
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().expect("JSON")
    };
    let items = |v: &Value| -> Vec<Value> { v["value"].as_array().cloned().unwrap_or_default() };
    let state_of = |v: &Value| {
        v["properties"]["provisioningState"]
            .as_str()
            .map(str::to_string)
    };
    let mut out = BTreeMap::new();
    let groups = get(
        &format!("/subscriptions/{LOCAL_SUBSCRIPTION}/resourcegroups"),
        "2025-04-01",
    );
    for g in items(&groups) {
        let gid = g["id"].as_str().expect("group id").to_string();
        out.insert(gid.to_ascii_lowercase(), state_of(&g));
        for r in items(&get(&format!("{gid}/resources"), "2025-04-01")) {
            let id = r["id"].as_str().expect("resource id").to_string();
            let ty = r["type"].as_str().unwrap_or_default().to_ascii_lowercase();
            let (api, children): (&str, &[&str]) = match ty.as_str() {
                "microsoft.network/virtualnetworks" => {
                    ("2026-01-01", &["subnets", "virtualNetworkPeerings"])
                }
                "microsoft.network/networksecuritygroups" => ("2026-01-01", &["securityRules"]),
                "microsoft.network/loadbalancers" => ("2026-01-01", &["backendAddressPools"]),
                "microsoft.containerservice/managedclusters" => ("2026-08-01", &["agentPools"]),
                "microsoft.network/privatednszones" => ("2024-06-01", &["virtualNetworkLinks"]),
                "microsoft.managedidentity/userassignedidentities" => {
                    ("2024-11-30", &["federatedIdentityCredentials"])
                }
                t if t.starts_with("microsoft.network/") => ("2026-01-01", &[]),
                _ => ("2025-04-01", &[]),
            };
            let body = get(&id, api);
            out.insert(id.to_ascii_lowercase(), state_of(&body));
            for c in children {
                for item in items(&get(&format!("{id}/{c}"), api)) {
                    let cid = item["id"].as_str().expect("child id").to_ascii_lowercase();
                    out.insert(cid, state_of(&item));
                }
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    out
}

#[test]
fn random_kill_9s_across_three_examples_converge_to_a_clean_applys_state() {
    let seed = std::env::var("CAPZ_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    println!("CAPZ_SOAK_SEED={seed}");
    let mut rng = Rng(seed);
    let mut total_kills = 0;
    for program in [
        "management-cluster.capz",
        "fleet.capz",
        "hub-and-spoke.capz",
    ] {
        // The clean reference: one apply, never interrupted.
        let clean = tempfile::tempdir().expect("scratch folder");
        copy_dir(&repo_root().join("examples"), clean.path());
        run(clean.path(), &["apply", program, "--auto-approve"]).expect_code(0);
        let want = inventory(&clean.path().join(".capz"));

        let work = tempfile::tempdir().expect("scratch folder");
        copy_dir(&repo_root().join("examples"), work.path());
        let mut kills = 0;
        let mut starts = 0;
        let mut log = Vec::new();
        while kills < KILLS_PER_EXAMPLE && starts < MAX_STARTS {
            starts += 1;
            let mut child = capz_in(work.path(), &["apply", program, "--auto-approve"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start capz apply");
            let after = rng.between(150, 1600);
            std::thread::sleep(Duration::from_millis(after));
            match child.try_wait().expect("poll capz") {
                Some(status) => {
                    // It finished first; a converged state gives the next kills nothing
                    // to land on, so start over from an empty local ARM.
                    log.push(format!("finished ({status}) before {after} ms"));
                    if status.success() {
                        let _ = std::fs::remove_dir_all(work.path().join(".capz"));
                    }
                }
                None => {
                    child.kill().expect("kill -9 capz");
                    let _ = child.wait();
                    kills += 1;
                    log.push(format!("killed at {after} ms"));
                }
            }
        }
        assert_eq!(
            kills, KILLS_PER_EXAMPLE,
            "{program}: only {kills} kills landed in {starts} starts: {log:?}"
        );
        total_kills += kills;
        let last = run(work.path(), &["apply", program, "--auto-approve"]);
        assert_eq!(
            last.code, 0,
            "{program} (seed {seed}, {log:?}) did not converge:\n{}\n{}",
            last.stdout, last.stderr
        );
        let replan = run(work.path(), &["plan", program, "--detailed-exitcode"]);
        assert_eq!(
            replan.code, 0,
            "{program} (seed {seed}): replan not zero-change:\n{}\n{}",
            replan.stdout, replan.stderr
        );
        let got = inventory(&work.path().join(".capz"));
        let not_done: Vec<_> = got
            .iter()
            .filter(|(_, s)| s.as_deref().is_some_and(|s| s != "Succeeded"))
            .collect();
        assert!(
            not_done.is_empty(),
            "{program} (seed {seed}): not Succeeded: {not_done:?}"
        );
        let want_ids: Vec<&String> = want.keys().collect();
        let got_ids: Vec<&String> = got.keys().collect();
        assert_eq!(
            got_ids, want_ids,
            "{program} (seed {seed}): resource IDs differ from a clean apply's"
        );
    }
    assert!(total_kills >= 30, "{total_kills}");
}
