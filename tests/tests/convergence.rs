//! Applies converge under faults, kills and concurrency, and never call unfinished work
//! done (issue #13), through the real binary and the local ARM:
//! - a `kill -9` mid-create leaves the cluster `Creating`: the plan shows it in progress
//!   and exits 2 with `--detailed-exitcode`; apply waits for it and plans again;
//! - a write whose answer is lost after ARM committed it meets its own operation in
//!   progress: capz polls (GETs) instead of PUTting again, and the apply succeeds;
//! - a request throttled more than ten times in a row still succeeds (retries are bounded
//!   by time, `Retry-After` honoured) and the progress says what it waits for;
//! - a change made by someone else between plan and write fails that resource with
//!   `capz::apply::changed-since-plan` (If-Match), never a silent overwrite;
//! - a second apply on the same local state directory is refused with the holder's PID,
//!   or waits for it with `--lock-timeout`;
//! - under a 429 storm, 20% transient faults and 20% Failed operations every example
//!   converges (reruns for the Failed ones), and the replan is zero-change.

use capz_tests::{Emulator, LOCAL_SUBSCRIPTION, capz, repo_root, run_capz};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

const MANAGED: &str = "managed-cluster.capz";

/// A scratch folder with a copy of examples/ (programs and their modules).
fn examples_copy() -> tempfile::TempDir {
    let work = tempfile::tempdir().expect("scratch working folder");
    copy_dir(&repo_root().join("examples"), work.path());
    work
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

/// `capz ARGS` in `dir` on the embedded local ARM (state in `dir/.capz`) at `scale`.
fn local(dir: &Path, scale: &str, args: &[&str]) -> capz_tests::Run {
    let mut cmd = capz();
    cmd.current_dir(dir)
        .env("CAPZ_EMULATOR_TIME_SCALE", scale)
        .args(args);
    cmd.output().expect("run capz").into()
}

/// Spawn `capz ARGS` with piped stdout; return the child and the first stdout line that
/// contains `needle` (reading stops there; the rest goes to a drain thread).
fn spawn_until(mut cmd: std::process::Command, needle: &str) -> (Child, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start capz");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = String::new();
    let mut found = None;
    for line in lines.by_ref() {
        let line = line.expect("read stdout");
        seen.push_str(&line);
        seen.push('\n');
        if line.contains(needle) {
            found = Some(line);
            break;
        }
    }
    let found = found.unwrap_or_else(|| panic!("never saw {needle:?} in\n{seen}"));
    std::thread::spawn(move || for _ in lines {});
    (child, found)
}

#[test]
fn a_killed_create_is_in_progress_not_done_and_apply_waits_for_it() {
    let work = examples_copy();
    // A cluster create takes 240 s × 0.05 = 12 s: the kill lands mid-create and the plan
    // after it runs well before the create would end.
    let scale = "0.05";
    let mut cmd = capz();
    cmd.current_dir(work.path())
        .env("CAPZ_EMULATOR_TIME_SCALE", scale)
        .args(["apply", MANAGED, "--auto-approve"]);
    let (mut child, _) = spawn_until(cmd, "cluster aks: creating...");
    std::thread::sleep(Duration::from_millis(500));
    child.kill().expect("kill -9 capz");
    let _ = child.wait();

    let plan = local(
        work.path(),
        scale,
        &["plan", MANAGED, "--detailed-exitcode"],
    )
    .expect_code(2);
    assert!(
        plan.stdout.contains("…")
            && plan.stdout.contains("cluster aks")
            && plan.stdout.contains("in progress (Creating)"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("in progress."), "{}", plan.stdout);
    assert!(!plan.stdout.contains("No changes."), "{}", plan.stdout);
    let json = local(work.path(), scale, &["plan", MANAGED, "--json"]).expect_code(0);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan JSON");
    let cluster = doc["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "aks")
        .expect("cluster in plan")
        .clone();
    assert_eq!(cluster["action"], "wait", "{cluster}");
    assert_eq!(cluster["reason"]["code"], "in-progress", "{cluster}");
    assert!(doc["summary"]["wait"].as_u64().unwrap() >= 1, "{doc}");

    // Apply waits for the create (polling the cluster), plans again, and finishes.
    let apply = local(work.path(), scale, &["apply", MANAGED, "--auto-approve"]).expect_code(0);
    assert!(
        apply
            .stdout
            .contains("cluster aks: waiting for its operation..."),
        "{}",
        apply.stdout
    );
    assert!(
        apply.stdout.contains("Planning again after waiting for"),
        "{}",
        apply.stdout
    );
    assert!(apply.stdout.contains("Apply complete!"), "{}", apply.stdout);
    assert!(
        apply.stdout.contains("fqdn = \"capz-managed-aks-"),
        "{}",
        apply.stdout
    );
    let last = local(
        work.path(),
        scale,
        &["plan", MANAGED, "--detailed-exitcode"],
    )
    .expect_code(0);
    assert!(last.stdout.contains("No changes."), "{}", last.stdout);
}

/// Recorded non-GET requests whose path ends with `path`: (status, dropped).
fn recorded(file: &Path, path: &str) -> Vec<(serde_json::Value, bool)> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| {
            v["path"]
                .as_str()
                .is_some_and(|p| p.to_ascii_lowercase().ends_with(path))
        })
        .map(|v| (v["status"].clone(), v["dropped"] == true))
        .collect()
}

#[test]
fn a_lost_answer_and_a_long_throttle_do_not_fail_the_apply() {
    let work = examples_copy();
    let faults = work.path().join("faults.json");
    let record = work.path().join("requests.jsonl");
    std::fs::write(
        &faults,
        r#"[
          {"method": "PUT", "path_contains": "/managedclusters/capz-managed-aks", "times": 1,
           "fault": "drop-connection-after-commit"},
          {"method": "PUT", "path_contains": "/resourcegroups/capz-managed-aks-rg", "times": 14,
           "fault": {"throttle": 1}}
        ]"#,
    )
    .unwrap();
    let emu = Emulator::start_with(&[
        "--faults",
        faults.to_str().unwrap(),
        "--record-requests",
        record.to_str().unwrap(),
        "--time-scale",
        "0.01",
    ]);
    let out = run_capz(
        work.path(),
        Some(&emu.url),
        &["apply", MANAGED, "--auto-approve"],
    )
    .expect_code(0);
    // The resource group's PUT was throttled 14 times in a row (more than the ten tries
    // capz used to count) and went through; the live lines said why it waited.
    let rg = recorded(&record, "/resourcegroups/capz-managed-aks-rg");
    assert_eq!(rg.len(), 15, "{rg:?}");
    assert!(
        rg[..14].iter().all(|(s, _)| *s == serde_json::json!(429)),
        "{rg:?}"
    );
    assert!(
        out.stdout
            .contains("group rg: creating... throttled (HTTP 429 TooManyRequests): retrying in"),
        "{}",
        out.stdout
    );
    // The cluster PUT's answer was lost after ARM committed it; the retry met the create
    // in progress (409 OperationNotAllowed) and capz polled it instead of PUTting again.
    let cluster = recorded(&record, "/managedclusters/capz-managed-aks");
    assert_eq!(
        cluster,
        vec![
            (serde_json::json!(201), true),
            (serde_json::json!(409), false)
        ],
        "{cluster:?}"
    );
    assert!(
        out.stdout
            .contains("another operation is in progress on it (OperationNotAllowed"),
        "{}",
        out.stdout
    );
    let last = run_capz(
        work.path(),
        Some(&emu.url),
        &["plan", MANAGED, "--detailed-exitcode"],
    )
    .expect_code(0);
    assert!(last.stdout.contains("No changes."), "{}", last.stdout);
}

const SMALL: &str = r#"stack "etag-test"

group rg {
  name     = "etag-rg"
  location = "westeurope"
}

vnet net in rg {
  name          = "etag-vnet"
  address_space = ["10.1.0.0/16"]
}
"#;

#[test]
fn a_change_between_plan_and_write_is_refused_not_overwritten() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("small.capz"), SMALL).unwrap();
    let faults = work.path().join("faults.json");
    // The vnet's second PUT (the update below) is held 4 s before ARM handles it.
    std::fs::write(
        &faults,
        r#"[{"method": "PUT", "path_contains": "/virtualnetworks/etag-vnet", "skip": 1,
             "times": 1, "fault": {"delay-ms": 4000}}]"#,
    )
    .unwrap();
    let emu = Emulator::start_with(&["--faults", faults.to_str().unwrap()]);
    run_capz(
        work.path(),
        Some(&emu.url),
        &["apply", "small.capz", "--auto-approve"],
    )
    .expect_code(0);
    std::fs::write(
        work.path().join("small.capz"),
        SMALL.replace("10.1.0.0/16\"]", "10.1.0.0/16\", \"10.2.0.0/16\"]"),
    )
    .unwrap();
    let mut cmd = capz();
    cmd.current_dir(work.path())
        .env("CAPZ_ARM_ENDPOINT", &emu.url)
        .args(["apply", "small.capz", "--auto-approve"]);
    let (child, _) = spawn_until(cmd, "vnet net: updating...");
    // While capz's PUT is held, a colleague changes the vnet (tags, through PATCH).
    std::thread::sleep(Duration::from_millis(700));
    let path = format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/etag-rg/providers/Microsoft.Network/virtualNetworks/etag-vnet?api-version=2026-01-01"
    );
    let (status, _) = emu.send_json(
        "PATCH",
        &path,
        &serde_json::json!({"tags": {"capz-stack": "etag-test", "owner": "colleague"}}),
    );
    assert_eq!(status, 200);
    let out = child.wait_with_output().expect("wait for capz");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("capz::apply::changed-since-plan")
            && stderr.contains("vnet net changed since the plan was made"),
        "{stderr}"
    );
    // Nothing was overwritten: the colleague's tag is there, the address space is not.
    let (_, body) = emu.get_json(&path);
    assert_eq!(body["tags"]["owner"], "colleague", "{body}");
    assert_eq!(
        body["properties"]["addressSpace"]["addressPrefixes"],
        serde_json::json!(["10.1.0.0/16"]),
        "{body}"
    );
    // The replan shows the change still to make; applying it then works.
    let plan = run_capz(
        work.path(),
        Some(&emu.url),
        &["plan", "small.capz", "--detailed-exitcode"],
    )
    .expect_code(2);
    assert!(plan.stdout.contains("~ vnet net"), "{}", plan.stdout);
    run_capz(
        work.path(),
        Some(&emu.url),
        &["apply", "small.capz", "--auto-approve"],
    )
    .expect_code(0);
}

#[test]
fn a_second_apply_on_the_same_state_is_refused_with_the_holders_pid_or_waits() {
    let work = examples_copy();
    let scale = "0.02";
    let mut cmd = capz();
    cmd.current_dir(work.path())
        .env("CAPZ_EMULATOR_TIME_SCALE", scale)
        .args(["apply", MANAGED, "--auto-approve"]);
    let (first, _) = spawn_until(cmd, "creating...");
    let second = local(work.path(), scale, &["apply", MANAGED, "--auto-approve"]).expect_code(1);
    assert!(
        second.stderr.contains("capz::apply::locked")
            && second
                .stderr
                .contains(&format!("another capz apply (PID {})", first.id())),
        "{}",
        second.stderr
    );
    // With --lock-timeout it waits for the first to finish, then finds nothing to do.
    let waited = local(
        work.path(),
        scale,
        &["apply", MANAGED, "--auto-approve", "--lock-timeout", "2m"],
    )
    .expect_code(0);
    assert!(
        waited.stderr.contains(&format!(
            "Waiting for the apply lock held by PID {}",
            first.id()
        )),
        "{}",
        waited.stderr
    );
    let out = first.wait_with_output().expect("wait for the first apply");
    assert_eq!(out.status.code(), Some(0));
    assert!(waited.stdout.contains("No changes."), "{}", waited.stdout);
}

/// Apply `program` until it succeeds (at most `tries` runs), returning how many it took.
fn apply_until_ok(work: &Path, url: &str, program: &str, tries: usize) -> usize {
    let mut last = String::new();
    for n in 1..=tries {
        let r = run_capz(work, Some(url), &["apply", program, "--auto-approve"]);
        if r.code == 0 {
            return n;
        }
        assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
        last = format!("{}\n{}", r.stdout, r.stderr);
    }
    panic!("{program} did not converge in {tries} applies; last:\n{last}");
}

#[test]
fn every_example_converges_under_throttling_transient_faults_and_failed_operations() {
    let work = examples_copy();
    let faults = work.path().join("faults.json");
    std::fs::write(
        &faults,
        r#"[
          {"times": 60, "fault": {"throttle": 2}},
          {"method": "PUT", "path_contains": "/managedclusters/", "times": 2,
           "fault": "drop-connection-after-commit"},
          {"method": "PUT", "probability": 0.2,
           "fault": {"fail-operation": {"code": "InternalOperationError", "message": "injected failure"}}},
          {"method": "PUT", "probability": 0.1, "fault": "drop-connection-after-commit"},
          {"probability": 0.05, "fault": "drop-connection"},
          {"probability": 0.2, "fault": "server-error"}
        ]"#,
    )
    .unwrap();
    let emu = Emulator::start_with(&["--faults", faults.to_str().unwrap()]);
    for program in [
        "management-cluster.capz",
        "fleet.capz",
        "hub-and-spoke.capz",
        MANAGED,
    ] {
        apply_until_ok(work.path(), &emu.url, program, 15);
        // Plans read through the same faults; they retry rather than fail.
        let last = run_capz(
            work.path(),
            Some(&emu.url),
            &["plan", program, "--detailed-exitcode"],
        );
        assert_eq!(last.code, 0, "{program}:\n{}\n{}", last.stdout, last.stderr);
        assert!(last.stdout.contains("No changes."), "{}", last.stdout);
    }
}

const SUBNETS: &str = r#"stack "ranges-test"

group rg {
  name     = "ranges-rg"
  location = "westeurope"
}

vnet net in rg {
  name          = "ranges-vnet"
  address_space = ["10.0.0.0/16"]

  subnet a {
    address_prefix = "10.0.0.0/24"
  }

  subnet b {
    address_prefix = "10.0.1.0/24"
  }

  for i in 0..3 {
    subnet s[i] {
      address_prefix = cidrsubnet("10.0.0.0/16", 8, i + 10)
    }
  }
}
"#;

#[test]
fn deletes_and_moves_free_a_range_before_a_sibling_takes_it() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("ranges.capz");
    std::fs::write(&file, SUBNETS).unwrap();
    let emu = Emulator::start();
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    capz(&["apply", "ranges.capz", "--auto-approve"]).expect_code(0);
    // Remove subnet a and move b into its range; drop the first range of the loop's list
    // (10, 11, 12 -> 11, 12): s[0] takes s[1]'s range, s[1] takes s[2]'s, s[2] goes.
    let next = capz_tests::remove_block(SUBNETS, "subnet a {")
        .replace("\"10.0.1.0/24\"", "\"10.0.0.0/24\"")
        .replace("0..3", "0..2")
        .replace("i + 10", "i + 11");
    std::fs::write(&file, next).unwrap();
    let apply = capz(&["apply", "ranges.capz", "--auto-approve"]).expect_code(0);
    let at = |needle: &str| {
        apply
            .stdout
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} in\n{}", apply.stdout))
    };
    assert!(at("subnet net.a: deleted") < at("subnet net.b: updating..."));
    assert!(at("subnet net.s-2: deleted") < at("subnet net.s[1]: updating..."));
    assert!(at("subnet net.s[1]: updated") < at("subnet net.s[0]: updating..."));
    let last = capz(&["plan", "ranges.capz", "--detailed-exitcode"]).expect_code(0);
    assert!(last.stdout.contains("No changes."), "{}", last.stdout);
}
