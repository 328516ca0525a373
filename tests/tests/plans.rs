//! Plans users can trust, through the real binary and a real emulator on loopback:
//! JSON plans, saved plans (and refusing a stale one), an out-of-band change shown as
//! exactly that change, server-side changes that are not a diff (etags, location casing, an
//! AKS auto-upgrade of the patch version and node images), a forced replacement, a replaced
//! subnet with the pools in it,
//! applies with injected faults that converge, and a `kill -9` mid-apply that converges.
//! Outputs are compared with goldens in tests/golden/plans/.

use capz_tests::{Emulator, LOCAL_SUBSCRIPTION, assert_golden, capz, repo_root, run_capz};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const MANAGED: &str = "managed-cluster.capz";
const RG: &str = "capz-managed-aks-rg";

fn golden(name: &str) -> PathBuf {
    repo_root().join("tests/golden/plans").join(name)
}

/// A scratch folder with a copy of examples/managed-cluster.capz.
fn workdir() -> tempfile::TempDir {
    let work = tempfile::tempdir().expect("scratch working folder");
    std::fs::copy(
        repo_root().join("examples").join(MANAGED),
        work.path().join(MANAGED),
    )
    .expect("copy example");
    work
}

fn pool_path(pool: &str) -> String {
    format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.ContainerService/managedClusters/capz-managed-aks/agentPools/{pool}?api-version=2026-08-01"
    )
}

fn vnet_path() -> String {
    format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/capz-managed-aks-vnet?api-version=2026-01-01"
    )
}

/// Wait until the emulator says the resource's provisioningState is terminal.
fn settle(emu: &Emulator, path: &str) {
    for _ in 0..200 {
        let (_, body) = emu.get_json(path);
        match body["properties"]["provisioningState"].as_str() {
            Some("Succeeded" | "Failed") | None => return,
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Where `needle` first occurs in `out` (to compare the order of progress lines).
fn line_at(out: &str, needle: &str) -> usize {
    out.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} in\n{out}"))
}

fn applied(emu: &Emulator, work: &Path) {
    run_capz(work, Some(&emu.url), &["apply", MANAGED, "--auto-approve"]).expect_code(0);
}

#[test]
fn json_plan_matches_the_text_plan_and_the_documented_schema() {
    let emu = Emulator::start();
    let work = workdir();
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    let text = capz(&["plan", MANAGED]).expect_code(0);
    let json_run = capz(&["plan", MANAGED, "--json", "--detailed-exitcode"]).expect_code(2);
    let doc: Value = serde_json::from_str(&json_run.stdout).expect("plan JSON");
    assert_eq!(doc["format_version"], "1.2");
    let changes = doc["resource_changes"]
        .as_array()
        .expect("resource_changes");
    assert_eq!(changes.len(), 6);
    for c in changes {
        assert_eq!(c["action"], "create", "{c}");
        assert!(c["id"].as_str().unwrap().starts_with("/subscriptions/"));
        assert!(c["live_fingerprint"].is_null());
        // Every changed resource has its text line, with the same note.
        let line = format!(
            "+ {} {}",
            c["kind"].as_str().unwrap(),
            c["label"].as_str().unwrap()
        );
        assert!(
            text.stdout.contains(&line),
            "{line} not in\n{}",
            text.stdout
        );
        assert!(
            text.stdout
                .contains(c["reason"]["message"].as_str().unwrap())
        );
    }
    assert_eq!(
        doc["summary"],
        json!({"add": 6, "change": 0, "replace": 0, "destroy": 0})
    );
    assert_eq!(
        doc["outputs"][0],
        json!({"name": "fqdn", "value": {"state": "unknown"}})
    );
    assert!(
        doc["program"]["source_hash"]
            .as_str()
            .unwrap()
            .starts_with("fnv1a64:")
    );
    let mut shown = doc.clone();
    shown["program"]["file"] = json!("PROGRAM");
    shown["capz_version"] = json!("VERSION");
    assert_golden(
        &golden("managed-create.json"),
        &serde_json::to_string_pretty(&shown).unwrap(),
    );
}

#[test]
fn out_of_band_change_server_side_changes_and_forced_replacement() {
    let emu = Emulator::start();
    let work = workdir();
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    applied(&emu, work.path());

    // Server-side changes that are not a diff: an unchanged PUT by another client bumps
    // etags (and re-resolves the cluster's version), a location written the way people
    // write it ("South Central US") is the same region.
    let (_, mut vnet) = emu.get_json(&vnet_path());
    let etag_before = vnet["etag"].clone();
    vnet["location"] = json!("South Central US");
    let (status, _) = emu.send_json("PUT", &vnet_path(), &vnet);
    assert!(status < 300, "PUT vnet: {status}");
    settle(&emu, &vnet_path());
    let (_, pool) = emu.get_json(&pool_path("agentpool0"));
    let (status, _) = emu.send_json("PUT", &pool_path("agentpool0"), &pool);
    assert!(status < 300, "PUT pool: {status}");
    settle(&emu, &pool_path("agentpool0"));
    let (_, vnet_after) = emu.get_json(&vnet_path());
    assert_ne!(
        vnet_after["etag"], etag_before,
        "the emulator bumps the etag"
    );
    // AKS upgrades the cluster's patch version and the pools' node images by itself (auto
    // upgrade channels): server-set fields change, the program's do not.
    let cluster_id = format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.ContainerService/managedClusters/capz-managed-aks"
    );
    let cluster_path = format!("{cluster_id}?api-version=2026-08-01");
    let (_, before) = emu.get_json(&cluster_path);
    let (_, pool_before) = emu.get_json(&pool_path("agentpool0"));
    let (status, upgrade) = emu.send_json(
        "POST",
        &format!("/capz-emulator/aks-auto-upgrade?cluster={cluster_id}"),
        &json!(null),
    );
    assert_eq!(status, 200, "{upgrade}");
    let (_, after) = emu.get_json(&cluster_path);
    let (_, pool_after) = emu.get_json(&pool_path("agentpool0"));
    let field = |v: &Value, f: &str| v["properties"][f].as_str().unwrap_or_default().to_string();
    assert_ne!(
        field(&before, "currentKubernetesVersion"),
        field(&after, "currentKubernetesVersion")
    );
    assert_eq!(field(&after, "kubernetesVersion"), "1.33");
    assert_ne!(
        field(&pool_before, "nodeImageVersion"),
        field(&pool_after, "nodeImageVersion")
    );
    assert!(
        before["eTag"].is_string(),
        "AKS bodies carry eTag: {before}"
    );
    assert_ne!(before["eTag"], after["eTag"]);
    let noop = capz(&["plan", MANAGED, "--detailed-exitcode"]).expect_code(0);
    assert_golden(&golden("managed-server-side-noop.txt"), &noop.stdout);

    // Another client scales a pool: the plan shows exactly that change.
    let (_, mut pool) = emu.get_json(&pool_path("agentpool1"));
    pool["properties"]["count"] = json!(5);
    let (status, _) = emu.send_json("PUT", &pool_path("agentpool1"), &pool);
    assert!(status < 300, "PUT pool: {status}");
    settle(&emu, &pool_path("agentpool1"));
    let drift = capz(&["plan", MANAGED, "--detailed-exitcode"]).expect_code(2);
    assert_golden(&golden("managed-out-of-band.txt"), &drift.stdout);
    applied(&emu, work.path());
    capz(&["plan", MANAGED, "--detailed-exitcode"]).expect_code(0);

    // A field that forces replacement.
    let program = work.path().join(MANAGED);
    let text = std::fs::read_to_string(&program).unwrap();
    std::fs::write(
        &program,
        text.replacen("\"Standard_D2s_v4\"", "\"Standard_D4s_v4\"", 1),
    )
    .unwrap();
    let replace = capz(&["plan", MANAGED, "--detailed-exitcode"]).expect_code(2);
    assert_golden(&golden("managed-replace-pool.txt"), &replace.stdout);
    applied(&emu, work.path());
    capz(&["plan", MANAGED, "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn saved_plan_applies_exactly_and_a_stale_one_is_refused() {
    let emu = Emulator::start();
    let work = workdir();
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    // Saved, then applied as saved.
    let saved = capz(&["plan", MANAGED, "-out", "create.plan"]).expect_code(0);
    assert!(
        saved.stdout.contains("Saved the plan to create.plan"),
        "{}",
        saved.stdout
    );
    let apply = capz(&["apply", "create.plan"]).expect_code(0);
    assert!(apply.stdout.contains("(saved plan;"), "{}", apply.stdout);
    assert!(
        apply.stdout.contains("Apply complete! Resources: 6 added"),
        "{}",
        apply.stdout
    );
    capz(&["plan", MANAGED, "--detailed-exitcode"]).expect_code(0);

    // A plan to scale a pool, then someone else changes the vnet: refused, naming it.
    let program = work.path().join(MANAGED);
    let text = std::fs::read_to_string(&program).unwrap();
    std::fs::write(
        &program,
        text.replacen("param user_nodes: int = 2", "param user_nodes: int = 3", 1),
    )
    .unwrap();
    capz(&["plan", MANAGED, "-out=scale.plan"]).expect_code(0);
    let (_, mut vnet) = emu.get_json(&vnet_path());
    vnet["tags"]["owner"] = json!("someone-else");
    let (status, _) = emu.send_json("PUT", &vnet_path(), &vnet);
    assert!(status < 300);
    settle(&emu, &vnet_path());
    let stale = capz(&["apply", "scale.plan"]).expect_code(1);
    assert!(
        stale.stderr.contains("capz::plan::stale"),
        "{}",
        stale.stderr
    );
    assert!(
        stale.stderr.contains("vnet cluster_net"),
        "{}",
        stale.stderr
    );
    assert_golden(&golden("stale-plan.stderr"), &stale.stderr);
    // Nothing was applied: the pool still has 2 nodes.
    let (_, pool) = emu.get_json(&pool_path("agentpool1"));
    assert_eq!(pool["properties"]["count"], 2);

    // A changed program makes a saved plan stale too.
    capz(&["plan", MANAGED, "-out", "again.plan"]).expect_code(0);
    std::fs::write(
        &program,
        text.replacen("param user_nodes: int = 2", "param user_nodes: int = 4", 1),
    )
    .unwrap();
    let stale = capz(&["apply", "again.plan"]).expect_code(1);
    assert!(
        stale.stderr.contains("changed since the plan was made"),
        "{}",
        stale.stderr
    );

    // Not a plan at all.
    std::fs::write(
        work.path().join("bad.plan"),
        "{\"format_version\": \"9.0\"}",
    )
    .unwrap();
    let bad = capz(&["apply", "bad.plan"]).expect_code(1);
    assert!(
        bad.stderr.contains("capz::plan::bad-file"),
        "{}",
        bad.stderr
    );

    // capz output prints the outputs from live state.
    let out = capz(&["output", MANAGED]).expect_code(0);
    assert!(
        out.stdout.contains(
            "node_resource_group = \"MC_capz-managed-aks-rg_capz-managed-aks_southcentralus\""
        ),
        "{}",
        out.stdout
    );
    let out = capz(&["output", MANAGED, "--json"]).expect_code(0);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(v["fqdn"].as_str().unwrap().ends_with(".azmk8s.io"));
}

/// Two independent halves: a vnet that fails, and everything else.
const FAULTY: &str = r#"stack "faulty"

group rg {
  name     = "faulty-rg"
  location = "eastus2"
}

vnet left in rg {
  address_space = ["10.1.0.0/16"]
  subnet a {
    address_prefix = "10.1.0.0/24"
  }
  subnet b {
    address_prefix = "10.1.1.0/24"
  }
}

vnet right in rg {
  address_space = ["10.2.0.0/16"]
  subnet c {
    address_prefix = "10.2.0.0/24"
  }
}

vnet broken in rg {
  address_space = ["10.3.0.0/16"]
  subnet d {
    address_prefix = "10.3.0.0/24"
  }
}

cluster aks in rg {
  kubernetes_version = "1.33"
  dns_prefix         = "faulty"
  network {
    plugin         = azure
    service_cidr   = "172.16.0.0/16"
    dns_service_ip = "172.16.0.10"
  }
  pool system {
    mode    = system
    vm_size = "Standard_D2s_v3"
    subnet  = left.a
  }
}
"#;

#[test]
fn apply_with_faults_completes_the_rest_and_converges() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("faulty.capz"), FAULTY).unwrap();
    let faults = work.path().join("faults.json");
    std::fs::write(
        &faults,
        r#"[
          {"method": "PUT", "path_contains": "/virtualnetworks/broken", "times": 1,
           "fault": {"fail-operation": {"code": "InternalOperationError", "message": "injected"}}},
          {"method": "PUT", "times": 3, "fault": {"throttle": 1}},
          {"method": "PUT", "probability": 0.1, "fault": "drop-connection-after-commit"},
          {"method": "GET", "path_contains": "/providers/microsoft.network/", "probability": 0.05, "fault": "drop-connection"},
          {"probability": 0.2, "fault": "server-error"}
        ]"#,
    )
    .unwrap();
    let emu = Emulator::start_with(&["--faults", faults.to_str().unwrap()]);
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    let first = capz(&["apply", "faulty.capz", "--auto-approve"]).expect_code(1);
    assert!(
        first
            .stdout
            .contains("Apply failed: 7 succeeded, 1 failed, 1 skipped."),
        "{}\n{}",
        first.stdout,
        first.stderr
    );
    assert!(
        first
            .stdout
            .contains("subnet broken.d: skipped creating (vnet broken failed)"),
        "{}",
        first.stdout
    );
    assert!(first.stderr.contains("injected"), "{}", first.stderr);
    // Everything that does not depend on the failure exists.
    // (This client meets the injected 500s too: ask until an answer that is not one.)
    let status = (0..50)
        .map(|_| {
            emu.get_json(&format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/faulty-rg/providers/Microsoft.ContainerService/managedClusters/aks?api-version=2026-08-01"
    )).0
        })
        .find(|s| *s != 500);
    assert_eq!(status, Some(200));
    // The failed vnet is PUT again and its subnet created; then nothing is left.
    let plan = capz(&["plan", "faulty.capz"]).expect_code(0);
    assert!(plan.stdout.contains("~ vnet broken"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("provisioningState is Failed"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("+ subnet broken.d"), "{}", plan.stdout);
    capz(&["apply", "faulty.capz", "--auto-approve"]).expect_code(0);
    let last = capz(&["plan", "faulty.capz", "--detailed-exitcode"]).expect_code(0);
    assert!(last.stdout.contains("No changes."), "{}", last.stdout);
}

#[test]
fn kill_9_mid_apply_then_plan_and_apply_converge() {
    let work = workdir();
    // Embedded emulator (state in .capz/), operations slow enough to be killed midway:
    // an AKS create takes 240 s × 0.01 = 2.4 s.
    let mut child = capz()
        .current_dir(work.path())
        .env("CAPZ_EMULATOR_TIME_SCALE", "0.01")
        .args(["apply", MANAGED, "--auto-approve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start capz apply");
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().expect("kill -9 capz"); // SIGKILL on Unix
    let _ = child.wait();
    let capz = |args: &[&str]| {
        let mut cmd = capz();
        cmd.current_dir(work.path())
            .env("CAPZ_EMULATOR_TIME_SCALE", "0.01")
            .args(args);
        capz_tests::Run::from(cmd.output().expect("run capz"))
    };
    let plan = capz(&["plan", MANAGED]).expect_code(0);
    assert!(
        plan.stdout.contains("Plan:") || plan.stdout.contains("No changes."),
        "{}",
        plan.stdout
    );
    capz(&["apply", MANAGED, "--auto-approve"]).expect_code(0);
    let last = capz(&["plan", MANAGED, "--detailed-exitcode"]).expect_code(0);
    assert!(last.stdout.contains("No changes."), "{}", last.stdout);
}

/// A subnet whose range changes while pools are in it cannot be updated (ARM:
/// InUseSubnetCannotBeUpdated); the plan replaces it with the pools in it, and apply
/// deletes the pools before the subnet and puts them back after it. When the subnet holds
/// the cluster's only System pool, the cluster goes with it (AKS cannot delete a cluster's
/// last System pool).
#[test]
fn a_replaced_subnet_brings_its_pools_and_if_needed_its_cluster() {
    let emu = Emulator::start();
    let work = workdir();
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    let program = work.path().join(MANAGED);
    // The user pool in a subnet of its own.
    let text = std::fs::read_to_string(&program).unwrap();
    let text = capz_tests::replace_once(
        &text,
        "    address_prefix = \"10.240.0.0/16\"\n  }\n",
        "    address_prefix = \"10.240.0.0/16\"\n  }\n\n  subnet users {\n    address_prefix = \"10.241.0.0/16\"\n  }\n",
    );
    let text = capz_tests::replace_once(
        &text,
        "    os_disk_size_gb = 1024\n    subnet          = cluster_net.nodes",
        "    os_disk_size_gb = 1024\n    subnet          = cluster_net.users",
    );
    std::fs::write(&program, &text).unwrap();
    applied(&emu, work.path());
    capz(&["plan", MANAGED, "--detailed-exitcode"]).expect_code(0);

    // The user pool's subnet: it and the user pool are replaced, nothing else.
    std::fs::write(
        &program,
        capz_tests::replace_once(&text, "\"10.241.0.0/16\"", "\"10.242.0.0/16\""),
    )
    .unwrap();
    let plan = capz(&["plan", MANAGED, "--detailed-exitcode"]).expect_code(2);
    assert_golden(&golden("managed-replace-subnet.txt"), &plan.stdout);
    let json = capz(&["plan", MANAGED, "--json"]).expect_code(0);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    let reason = |label: &str| {
        doc["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["label"] == label)
            .map(|c| c["reason"].clone())
            .unwrap_or_else(|| panic!("{label} in {json:?}", json = json.stdout))
    };
    assert_eq!(reason("cluster_net.users")["code"], "in-use");
    assert_eq!(reason("aks.agentpool1")["code"], "dependency-replaced");
    assert_eq!(reason("aks.agentpool1")["fields"], json!(["subnet"]));
    let run = capz(&["apply", MANAGED, "--auto-approve"]).expect_code(0);
    let at = |needle: &str| line_at(&run.stdout, needle);
    // Pool out, subnet out, subnet in, pool in.
    assert!(at("pool aks.agentpool1: deleted") < at("subnet cluster_net.users: deleted"));
    assert!(at("subnet cluster_net.users: deleted") < at("subnet cluster_net.users: created"));
    assert!(at("subnet cluster_net.users: created") < at("pool aks.agentpool1: created"));
    assert!(
        run.stdout
            .contains("0 added, 0 changed, 2 replaced, 0 destroyed"),
        "{}",
        run.stdout
    );
    capz(&["plan", MANAGED, "--detailed-exitcode"]).expect_code(0);

    // The System pool's subnet: the cluster is replaced with both its pools.
    let text = std::fs::read_to_string(&program).unwrap();
    std::fs::write(
        &program,
        capz_tests::replace_once(&text, "\"10.240.0.0/16\"", "\"10.240.0.0/15\""),
    )
    .unwrap();
    let plan = capz(&["plan", MANAGED, "--detailed-exitcode"]).expect_code(2);
    assert_golden(&golden("managed-replace-system-subnet.txt"), &plan.stdout);
    capz(&["apply", MANAGED, "--auto-approve"]).expect_code(0);
    capz(&["plan", MANAGED, "--detailed-exitcode"]).expect_code(0);
}

/// An internal load balancer's frontend sits in a subnet: a new range for that subnet
/// replaces the subnet and the load balancer (ARM refuses both the range change and the
/// subnet's deletion while the frontend is in it), and the A record that points at the
/// frontend's IP follows.
#[test]
fn a_replaced_subnet_brings_the_load_balancer_in_it() {
    const MGMT: &str = "management-cluster.capz";
    let emu = Emulator::start();
    let work = tempfile::tempdir().unwrap();
    let program = work.path().join(MGMT);
    std::fs::copy(repo_root().join("examples").join(MGMT), &program).unwrap();
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    capz(&["apply", MGMT, "--auto-approve"]).expect_code(0);
    let text = std::fs::read_to_string(&program).unwrap();
    std::fs::write(
        &program,
        capz_tests::replace_once(
            &text,
            "cidrsubnet(address_space[0], 8, 0)",
            "cidrsubnet(address_space[0], 8, 1)",
        ),
    )
    .unwrap();
    let plan = capz(&["plan", MGMT, "--detailed-exitcode"]).expect_code(2);
    assert_golden(&golden("management-replace-lb-subnet.txt"), &plan.stdout);
    let run = capz(&["apply", MGMT, "--auto-approve"]).expect_code(0);
    let at = |needle: &str| line_at(&run.stdout, needle);
    assert!(
        at("load_balancer apiserver_ilb[0]: deleted")
            < at("subnet wl_net[0].control_plane: deleting")
    );
    assert!(
        at("subnet wl_net[0].control_plane: created")
            < at("load_balancer apiserver_ilb[0]: creating")
    );
    capz(&["plan", MGMT, "--detailed-exitcode"]).expect_code(0);
}
