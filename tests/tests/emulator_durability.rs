//! Durability of `capz emulator serve`'s SQLite state under `kill -9`: many concurrent
//! PUTs, a SIGKILL at a random moment, a restart on the same state folder. The store must
//! open, every acknowledged write must be there with its body, every resource must read
//! back whole (tags checksum, a VNet's inline subnets all or none), and nothing half-written
//! may exist. Repeated for several rounds on the same folder.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use capz_tests::{LOCAL_SUBSCRIPTION as SUB, capz};
use serde_json::{Value, json};

const NET: &str = "2026-01-01";
const RES: &str = "2025-04-01";
const WORKERS: usize = 6;
const VNETS_PER_WORKER: usize = 12;
const ROUNDS: usize = 5;

/// The emulator process, SIGKILLed when dropped (also when an assertion fails).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(state: &Path) -> (Killed, String) {
    let mut child = capz()
        .args(["emulator", "serve", "--addr", "127.0.0.1:0", "--state"])
        .arg(state)
        .args(["--time-scale", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start capz emulator serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (Killed(child), url)
}

fn fnv(s: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// A random-enough number below `max` from the clock (no rand crate in the tree).
fn jitter(max: u64) -> u64 {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(7);
    (n ^ (n >> 7)).wrapping_mul(2654435761) % max.max(1)
}

fn vnet_path(w: usize, i: usize) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/dur{w}/providers/Microsoft.Network/virtualNetworks/v{i}"
    )
}

/// Body of version `ver` of VNet `i` of worker `w`: the subnet count and prefixes change
/// with the version, and the tags carry a checksum of everything else.
fn vnet_body(w: usize, i: usize, ver: u64) -> Value {
    let n_sub = 1 + (ver % 3) as usize;
    let subnets: Vec<Value> = (0..n_sub)
        .map(|k| json!({"name": format!("s{k}"), "properties": {"addressPrefix": format!("10.{i}.{k}.0/24")}}))
        .collect();
    let payload = format!("w{w}-v{i}-ver{ver}-{}", "x".repeat((ver % 50) as usize));
    json!({
        "location": "westeurope",
        "tags": {"ver": ver.to_string(), "subnets": n_sub.to_string(), "payload": payload, "sum": fnv(&payload)},
        "properties": {"addressSpace": {"addressPrefixes": [format!("10.{i}.0.0/16")]}, "subnets": subnets},
    })
}

fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn get(c: &reqwest::blocking::Client, url: &str) -> (u16, Value) {
    let r = c.get(url).send().expect("GET after restart");
    let s = r.status().as_u16();
    (
        s,
        serde_json::from_str(&r.text().unwrap_or_default()).unwrap_or(Value::Null),
    )
}

/// Every acknowledged version is there (or a later one), and every resource is whole.
fn verify(url: &str, acked: &HashMap<(usize, usize), u64>, round: usize) -> usize {
    let c = client();
    let mut seen = 0;
    for w in 0..WORKERS {
        let (s, v) = get(
            &c,
            &format!(
                "{url}/subscriptions/{SUB}/resourceGroups/dur{w}/providers/Microsoft.Network/virtualNetworks?api-version={NET}"
            ),
        );
        assert_eq!(s, 200, "round {round}: list vnets of dur{w}: {v}");
        let listed = v["value"].as_array().cloned().unwrap_or_default();
        for vnet in &listed {
            let name = vnet["name"].as_str().expect("name");
            let i: usize = name.trim_start_matches('v').parse().expect("vN");
            let tags = &vnet["tags"];
            let payload = tags["payload"].as_str().expect("payload tag");
            assert_eq!(
                tags["sum"].as_str(),
                Some(fnv(payload).as_str()),
                "round {round}: torn tags on {name}: {vnet}"
            );
            let ver: u64 = tags["ver"]
                .as_str()
                .expect("ver")
                .parse()
                .expect("ver number");
            assert_eq!(
                vnet_body(w, i, ver)["tags"],
                *tags,
                "round {round}: tags of {name}"
            );
            assert_eq!(
                vnet["properties"]["addressSpace"]["addressPrefixes"],
                json!([format!("10.{i}.0.0/16")]),
                "round {round}: {name}"
            );
            let state = vnet["properties"]["provisioningState"]
                .as_str()
                .unwrap_or("");
            assert_eq!(
                state, "Succeeded",
                "round {round}: {name} settles after restart: {vnet}"
            );
            // The inline subnets are the version's, all of them and nothing else: a VNet
            // PUT writes the VNet row and its subnet rows in one transaction.
            let want: usize = tags["subnets"]
                .as_str()
                .expect("subnets tag")
                .parse()
                .expect("n");
            let (s, subs) = get(
                &c,
                &format!("{url}{}/subnets?api-version={NET}", vnet_path(w, i)),
            );
            assert_eq!(s, 200);
            let mut names: Vec<String> = subs["value"]
                .as_array()
                .expect("subnets")
                .iter()
                .map(|s| {
                    let n = s["name"].as_str().expect("subnet name").to_string();
                    let k: usize = n.trim_start_matches('s').parse().expect("sN");
                    assert_eq!(
                        s["properties"]["addressPrefix"],
                        json!(format!("10.{i}.{k}.0/24"))
                    );
                    n
                })
                .collect();
            names.sort();
            let expected: Vec<String> = (0..want).map(|k| format!("s{k}")).collect();
            assert_eq!(
                names, expected,
                "round {round}: subnets of {name} (version {ver})"
            );
            if let Some(a) = acked.get(&(w, i)) {
                assert!(
                    ver >= *a,
                    "round {round}: {name} lost acknowledged version {a} (has {ver})"
                );
            }
            seen += 1;
        }
        for ((aw, ai), ver) in acked {
            if *aw == w {
                assert!(
                    listed.iter().any(|v| v["name"] == format!("v{ai}")),
                    "round {round}: acknowledged v{ai} (version {ver}) of dur{w} is missing"
                );
            }
        }
    }
    seen
}

#[test]
fn kill_9_during_concurrent_puts_leaves_a_consistent_store() {
    capz_tests::capz_bin();
    let state = tempfile::tempdir().expect("state folder");
    let acked: Arc<Mutex<HashMap<(usize, usize), u64>>> = Arc::default();
    let mut total_acks = 0usize;
    for round in 0..ROUNDS {
        let (mut child, url) = spawn(state.path());
        // After a restart the previous round's data must be intact before writing more.
        if round > 0 {
            let seen = verify(&url, &acked.lock().unwrap(), round);
            assert!(seen > 0, "round {round}: nothing survived");
        }
        let c = client();
        for w in 0..WORKERS {
            let r = c
                .put(format!(
                    "{url}/subscriptions/{SUB}/resourcegroups/dur{w}?api-version={RES}"
                ))
                .json(&json!({"location": "westeurope"}))
                .send()
                .expect("create group");
            assert!(r.status().is_success());
        }
        // Kill after a random number of acknowledged writes (the write bucket of ARM's
        // throttling, 200, caps how many one process takes quickly), so the SIGKILL lands
        // while writes are in flight.
        let kill_after = 20 + jitter(160) as usize;
        let round_acks: Arc<AtomicUsize> = Arc::default();
        let handles: Vec<_> = (0..WORKERS)
            .map(|w| {
                let url = url.clone();
                let acked = acked.clone();
                let round_acks = round_acks.clone();
                std::thread::spawn(move || {
                    let c = client();
                    let mut acks = 0usize;
                    for n in 0u64.. {
                        let i = (n as usize) % VNETS_PER_WORKER;
                        let ver = (round as u64) * 1_000_000 + n + 1;
                        let body = vnet_body(w, i, ver);
                        let r = c
                            .put(format!("{url}{}?api-version={NET}", vnet_path(w, i)))
                            .json(&body)
                            .send();
                        match r {
                            Ok(r) if r.status().is_success() => {
                                acked.lock().unwrap().insert((w, i), ver);
                                round_acks.fetch_add(1, Ordering::SeqCst);
                                acks += 1;
                            }
                            // Conflicts with the previous operation on the same VNet, or
                            // throttling: not acknowledged, try the next one.
                            Ok(r) if matches!(r.status().as_u16(), 409 | 429) => {
                                std::thread::sleep(Duration::from_millis(20));
                            }
                            Ok(r) => panic!(
                                "unexpected {}: {}",
                                r.status(),
                                r.text().unwrap_or_default()
                            ),
                            Err(_) => break, // the server was killed
                        }
                        if n > 100_000 {
                            break;
                        }
                    }
                    acks
                })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(20);
        while round_acks.load(Ordering::SeqCst) < kill_after && Instant::now() < deadline {
            std::thread::sleep(Duration::from_micros(200 + jitter(800)));
        }
        // Child::kill is SIGKILL on Unix: no shutdown, no flush, mid-transaction.
        child.0.kill().expect("SIGKILL the emulator");
        let _ = child.0.wait();
        for h in handles {
            total_acks += h.join().expect("worker");
        }
    }
    assert!(
        total_acks > WORKERS * 5,
        "too few writes before the kills: {total_acks}"
    );
    let (_child, url) = spawn(state.path());
    let seen = verify(&url, &acked.lock().unwrap(), ROUNDS);
    assert!(seen >= WORKERS, "only {seen} VNets after the last restart");
}
