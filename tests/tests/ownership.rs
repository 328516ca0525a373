//! capz never deletes or takes over what the program does not own (issue 12), through the
//! real binary and a real emulator on loopback:
//! - a resource carrying another stack's `capz-stack` tag is refused
//!   (`capz::stack::owned-by-other`), so two stacks declaring one group no longer flip its
//!   tag;
//! - a group delete (prune or destroy) lists the group first and shows what ARM deletes
//!   with it; a group holding a resource the stack does not own (a VNet a colleague PUT by
//!   hand through the Azure SDK for Python) is kept, only the stack's own resources in it are
//!   deleted, and destroy exits 1 unless `--delete-foreign`;
//! - a group with `managedBy` (AKS's `MC_` node resource group) is never touched;
//! - an untagged group the program declares is adopted, not created;
//! - `existing` groups, VNets, subnets and private DNS zones are read, referenced, planned
//!   and applied into, and never written or deleted.
//!
//! Outputs are compared with goldens in tests/golden/ownership/.

use capz_tests::{Emulator, LOCAL_SUBSCRIPTION, assert_golden, repo_root, run_capz};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn golden(name: &str) -> PathBuf {
    repo_root().join("tests/golden/ownership").join(name)
}

/// Stack `team-a`: group `shared-rg` with a VNet and a subnet.
const TEAM_A: &str = r#"stack "team-a"

group shared {
  name     = "shared-rg"
  location = "westeurope"
}

vnet net in shared {
  name          = "a-vnet"
  address_space = ["10.1.0.0/16"]

  subnet nodes {
    address_prefix = "10.1.0.0/24"
  }
}
"#;

/// Stack `team-b` declaring the same group, with an NSG in it.
const TEAM_B: &str = r#"stack "team-b"

group shared {
  name     = "shared-rg"
  location = "westeurope"
}

nsg web in shared {
  name = "b-nsg"
}
"#;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write program");
}

fn group_path(rg: &str) -> String {
    format!("/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/{rg}?api-version=2025-04-01")
}

fn vnet_path(rg: &str, name: &str) -> String {
    format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}?api-version=2026-01-01"
    )
}

/// The Python interpreter of the pinned Azure SDK virtualenv, made (once per test process) by
/// `tests/conformance/setup.sh pinned`, which is idempotent and prints the venv's directory
/// on its last line. Panics with what to do when it cannot be set up: never skips.
fn sdk_python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let setup = repo_root().join("tests/conformance/setup.sh");
        let out = Command::new(&setup)
            .arg("pinned")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", setup.display()));
        assert!(
            out.status.success(),
            "the pinned Azure SDK for Python could not be set up ({} pinned exited {}; it needs \
             python3 with venv and PyPI access):\n{}",
            setup.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let venv = stdout
            .lines()
            .last()
            .unwrap_or_else(|| panic!("{} printed no venv directory", setup.display()));
        let python = Path::new(venv.trim()).join("bin/python");
        assert!(python.is_file(), "no interpreter at {}", python.display());
        python
    })
}

/// Creates a VNet through the Azure SDK for Python (azure-mgmt-network's
/// `virtual_networks.begin_create_or_update`, its LRO poller included), pointed at the
/// emulator as tests/conformance/conftest.py does: plain HTTP, so the bearer-token policy
/// is a no-op. No capz-stack tag: a colleague's script, not a capz stack.
const SDK_CREATE_VNET: &str = r#"
import sys
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import AddressSpace, VirtualNetwork

class NoCredential:
    def get_token(self, *scopes, **kwargs):
        raise AssertionError("no token should be requested against the emulator")

url, subscription, group, name, cidr = sys.argv[1:]
client = NetworkManagementClient(
    credential=NoCredential(), subscription_id=subscription, base_url=url,
    authentication_policy=SansIOHTTPPolicy(), polling_interval=0,
)
vnet = client.virtual_networks.begin_create_or_update(
    group, name,
    VirtualNetwork(location="westeurope", address_space=AddressSpace(address_prefixes=[cidr])),
).result()
assert vnet.provisioning_state == "Succeeded", vnet.provisioning_state
print(vnet.id)
"#;

/// A VNet added from outside capz through the Azure SDK for Python (no capz-stack tag).
fn foreign_vnet(emu: &Emulator, rg: &str, name: &str, cidr: &str) {
    let out = Command::new(sdk_python())
        .args([
            "-c",
            SDK_CREATE_VNET,
            &emu.url,
            LOCAL_SUBSCRIPTION,
            rg,
            name,
            cidr,
        ])
        .output()
        .expect("run the Azure SDK for Python");
    assert!(
        out.status.success(),
        "the SDK's create_or_update of {rg}/{name} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout);
    assert!(
        id.trim().ends_with(&format!("/virtualNetworks/{name}")),
        "the SDK returned {id}"
    );
    let (status, v) = emu.get_json(&vnet_path(rg, name));
    assert_eq!(status, 200, "{v}");
    assert!(v["tags"]["capz-stack"].is_null(), "{v}");
}

#[test]
fn a_resource_of_another_stack_is_refused_with_its_owner() {
    let emu = Emulator::start();
    let work = tempfile::tempdir().expect("scratch folder");
    write(work.path(), "a.capz", TEAM_A);
    write(work.path(), "b.capz", TEAM_B);
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    capz(&["apply", "a.capz", "--auto-approve"]).expect_code(0);
    // Stack b's plan and apply refuse: the group is team-a's.
    let plan = capz(&["plan", "b.capz"]).expect_code(1);
    assert_golden(&golden("owned-by-other.stderr"), &plan.stderr);
    capz(&["apply", "b.capz", "--auto-approve"]).expect_code(1);
    let (_, g) = emu.get_json(&group_path("shared-rg"));
    assert_eq!(g["tags"]["capz-stack"], "team-a", "the tag did not flip");
    // Nothing of team-b's was created; destroying b touches nothing of a's.
    capz(&["destroy", "b.capz", "--auto-approve"]).expect_code(0);
    let (status, _) = emu.get_json(&vnet_path("shared-rg", "a-vnet"));
    assert_eq!(status, 200, "team-a's VNet is still there");
    capz(&["plan", "a.capz", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_group_with_a_foreign_vnet_is_kept_and_destroy_exits_non_zero() {
    let emu = Emulator::start();
    let work = tempfile::tempdir().expect("scratch folder");
    write(work.path(), "a.capz", TEAM_A);
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    capz(&["apply", "a.capz", "--auto-approve"]).expect_code(0);
    foreign_vnet(&emu, "shared-rg", "hand-made-vnet", "10.9.0.0/16");
    // The foreign VNet is not the program's: the replan shows no change.
    capz(&["plan", "a.capz", "--detailed-exitcode"]).expect_code(0);
    let destroy = capz(&["destroy", "a.capz", "--auto-approve"]).expect_code(1);
    assert_golden(&golden("destroy-kept.txt"), &destroy.stdout);
    assert_golden(&golden("destroy-kept.stderr"), &destroy.stderr);
    // Only what team-a owns is gone: its VNet; the group and the foreign VNet stay.
    assert_eq!(emu.get_json(&vnet_path("shared-rg", "a-vnet")).0, 404);
    assert_eq!(
        emu.get_json(&vnet_path("shared-rg", "hand-made-vnet")).0,
        200
    );
    assert_eq!(emu.get_json(&group_path("shared-rg")).0, 200);
    // Again: nothing left to delete, the group is still kept, still exit 1.
    capz(&["destroy", "a.capz", "--auto-approve"]).expect_code(1);
    // --delete-foreign: the plan lists what the cascade deletes, then the group goes.
    let forced = capz(&["destroy", "a.capz", "--auto-approve", "--delete-foreign"]).expect_code(0);
    assert_golden(&golden("destroy-delete-foreign.txt"), &forced.stdout);
    assert_eq!(emu.get_json(&group_path("shared-rg")).0, 404);
}

#[test]
fn a_pruned_group_shows_what_arm_deletes_with_it() {
    let emu = Emulator::start();
    let work = tempfile::tempdir().expect("scratch folder");
    let two = format!(
        "{TEAM_A}\ngroup extra {{\n  name     = \"extra-rg\"\n  location = \"westeurope\"\n}}\n\nvnet extra_net in extra {{\n  name          = \"extra-vnet\"\n  address_space = [\"10.2.0.0/16\"]\n\n  subnet one {{\n    address_prefix = \"10.2.0.0/24\"\n  }}\n}}\n"
    );
    write(work.path(), "a.capz", &two);
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    capz(&["apply", "a.capz", "--auto-approve"]).expect_code(0);
    // The program no longer declares the second group: its delete lists its contents.
    write(work.path(), "a.capz", TEAM_A);
    let plan = capz(&["plan", "a.capz"]).expect_code(0);
    assert_golden(&golden("prune-group-cascade.txt"), &plan.stdout);
    let doc: serde_json::Value =
        serde_json::from_str(&capz(&["plan", "a.capz", "--json"]).expect_code(0).stdout)
            .expect("plan JSON");
    let group = doc["resource_changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["kind"] == "group" && c["action"] == "delete")
        .expect("the group delete")
        .clone();
    let names: Vec<&str> = group["cascade"]
        .as_array()
        .expect("cascade")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, ["extra-vnet", "extra-vnet/one"]);
    // A foreign VNet in it keeps the group on prune as well: apply deletes team-a's VNet.
    foreign_vnet(&emu, "extra-rg", "theirs", "10.8.0.0/16");
    let kept = capz(&["plan", "a.capz"]).expect_code(0);
    assert_golden(&golden("prune-group-kept.txt"), &kept.stdout);
    capz(&["apply", "a.capz", "--auto-approve"]).expect_code(0);
    assert_eq!(emu.get_json(&vnet_path("extra-rg", "extra-vnet")).0, 404);
    assert_eq!(emu.get_json(&vnet_path("extra-rg", "theirs")).0, 200);
    assert_eq!(emu.get_json(&group_path("extra-rg")).0, 200);
    // The replan after that apply shows zero changes (the kept group is not a change).
    capz(&["plan", "a.capz", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn aks_node_resource_group_is_never_touched() {
    let emu = Emulator::start();
    let work = tempfile::tempdir().expect("scratch folder");
    write(work.path(), "a.capz", TEAM_A);
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    capz(&["apply", "a.capz", "--auto-approve"]).expect_code(0);
    // AKS copies the cluster's tags onto its node resource group, and sets managedBy.
    let cluster = format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/shared-rg/providers/Microsoft.ContainerService/managedClusters/aks"
    );
    let (status, body) = emu.send_json(
        "PUT",
        &group_path("MC_shared-rg_aks_westeurope"),
        &json!({"location": "westeurope", "managedBy": cluster, "tags": {"capz-stack": "team-a"}}),
    );
    assert!(status == 200 || status == 201, "{status} {body}");
    let plan = capz(&["plan", "a.capz", "--detailed-exitcode"]).expect_code(0);
    assert!(!plan.stdout.contains("MC_"), "{}", plan.stdout);
    let destroy = capz(&["destroy", "a.capz", "--auto-approve"]).expect_code(0);
    assert!(!destroy.stdout.contains("MC_"), "{}", destroy.stdout);
    assert_eq!(
        emu.get_json(&group_path("MC_shared-rg_aks_westeurope")).0,
        200
    );
    assert_eq!(emu.get_json(&group_path("shared-rg")).0, 404);
}

#[test]
fn an_untagged_declared_group_is_adopted_not_created() {
    let emu = Emulator::start();
    let work = tempfile::tempdir().expect("scratch folder");
    write(work.path(), "a.capz", TEAM_A);
    let (status, body) = emu.send_json(
        "PUT",
        &group_path("shared-rg"),
        &json!({"location": "westeurope", "tags": {"owner": "platform"}}),
    );
    assert!(status == 200 || status == 201, "{status} {body}");
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    let plan = capz(&["plan", "a.capz"]).expect_code(0);
    assert_golden(&golden("adopt-group.txt"), &plan.stdout);
    capz(&["apply", "a.capz", "--auto-approve"]).expect_code(0);
    let (_, g) = emu.get_json(&group_path("shared-rg"));
    assert_eq!(g["tags"]["capz-stack"], "team-a");
    assert_eq!(g["tags"]["owner"], "platform", "other tags are kept");
    capz(&["plan", "a.capz", "--detailed-exitcode"]).expect_code(0);
}

/// Stack `team-b` sharing team-a's group through `existing`, with an NSG of its own.
const TEAM_B_SHARED: &str = r#"stack "team-b"

existing group shared {
  name = "shared-rg"
}

nsg web in shared {
  name = "b-nsg"
}

output group_location = shared.location
"#;

#[test]
fn two_stacks_share_a_group_through_existing() {
    let emu = Emulator::start();
    let work = tempfile::tempdir().expect("scratch folder");
    write(work.path(), "a.capz", TEAM_A);
    write(work.path(), "b.capz", TEAM_B_SHARED);
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    // Before team-a's apply the group does not exist: b's plan names the ID it looked for.
    let missing = capz(&["plan", "b.capz"]).expect_code(1);
    assert_golden(&golden("existing-missing.stderr"), &missing.stderr);
    capz(&["apply", "a.capz", "--auto-approve"]).expect_code(0);
    let plan = capz(&["plan", "b.capz"]).expect_code(0);
    assert_golden(&golden("existing-group-plan.txt"), &plan.stdout);
    capz(&["apply", "b.capz", "--auto-approve"]).expect_code(0);
    // Neither replan shows the other's resources; the group keeps team-a's tag.
    capz(&["plan", "a.capz", "--detailed-exitcode"]).expect_code(0);
    capz(&["plan", "b.capz", "--detailed-exitcode"]).expect_code(0);
    let (_, g) = emu.get_json(&group_path("shared-rg"));
    assert_eq!(g["tags"]["capz-stack"], "team-a");
    let out = capz(&["output", "b.capz"]).expect_code(0);
    assert!(
        out.stdout.contains("group_location = \"westeurope\""),
        "{}",
        out.stdout
    );
    // team-a's destroy keeps the group (team-b's NSG is in it) and deletes only its VNet.
    let destroy_a = capz(&["destroy", "a.capz", "--auto-approve"]).expect_code(1);
    assert_golden(&golden("shared-destroy-a.txt"), &destroy_a.stdout);
    let nsg = format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/shared-rg/providers/Microsoft.Network/networkSecurityGroups/b-nsg?api-version=2026-01-01"
    );
    assert_eq!(emu.get_json(&nsg).0, 200, "team-b's NSG is untouched");
    // team-b's destroy deletes its NSG and never the group it does not own.
    let destroy_b = capz(&["destroy", "b.capz", "--auto-approve"]).expect_code(0);
    assert_golden(&golden("shared-destroy-b.txt"), &destroy_b.stdout);
    assert_eq!(emu.get_json(&nsg).0, 404);
    assert_eq!(emu.get_json(&group_path("shared-rg")).0, 200);
    // Now the group holds nothing foreign: team-a's destroy deletes it.
    capz(&["destroy", "a.capz", "--auto-approve"]).expect_code(0);
    assert_eq!(emu.get_json(&group_path("shared-rg")).0, 404);
}

#[test]
fn a_new_subnet_is_checked_against_an_existing_vnet_at_plan_time() {
    let emu = Emulator::start();
    let work = tempfile::tempdir().expect("scratch folder");
    write(work.path(), "a.capz", TEAM_A);
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    capz(&["apply", "a.capz", "--auto-approve"]).expect_code(0);
    // A VNet made by hand (no stack tag) with one subnet, in team-a's group.
    let (status, body) = emu.send_json(
        "PUT",
        &vnet_path("shared-rg", "hand-vnet"),
        &json!({
            "location": "westeurope",
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.9.0.0/16"]},
                "subnets": [{"name": "legacy", "properties": {"addressPrefix": "10.9.0.0/24"}}]
            }
        }),
    );
    assert!(status == 200 || status == 201, "{status} {body}");
    // Team c adds a subnet of its own to it, overlapping the live subnet.
    let c = r#"stack "team-c"

existing group shared {
  name = "shared-rg"
}

existing vnet net in shared {
  name = "hand-vnet"

  existing subnet legacy {}

  subnet mine {
    address_prefix = "10.9.0.0/25"
  }
}
"#;
    write(work.path(), "c.capz", c);
    capz(&["check", "c.capz"]).expect_code(0);
    let plan = capz(&["plan", "c.capz"]).expect_code(1);
    assert_golden(&golden("existing-subnet-overlap.stderr"), &plan.stderr);
    // A range that is free in the live VNet plans one create and applies.
    write(
        work.path(),
        "c.capz",
        &c.replace("10.9.0.0/25", "10.9.1.0/24"),
    );
    let plan = capz(&["plan", "c.capz"]).expect_code(0);
    assert_golden(&golden("existing-vnet-new-subnet.txt"), &plan.stdout);
    capz(&["apply", "c.capz", "--auto-approve"]).expect_code(0);
    capz(&["plan", "c.capz", "--detailed-exitcode"]).expect_code(0);
    let (_, v) = emu.get_json(&vnet_path("shared-rg", "hand-vnet"));
    assert!(
        v["tags"]["capz-stack"].is_null(),
        "the VNet was not tagged: {v}"
    );
    // A subnet in team-a's VNet is refused: team-a prunes the subnets it does not declare.
    let into_a = c
        .replace("hand-vnet", "a-vnet")
        .replace("existing subnet legacy {}", "existing subnet nodes {}")
        .replace("10.9.0.0/25", "10.1.7.0/24");
    write(work.path(), "c.capz", &into_a);
    let refused = capz(&["plan", "c.capz"]).expect_code(1);
    assert_golden(
        &golden("existing-child-of-other-stack.stderr"),
        &refused.stderr,
    );
}

#[test]
fn the_spoke_team_peers_with_a_hub_owned_elsewhere() {
    let emu = Emulator::start();
    let work = tempfile::tempdir().expect("scratch folder");
    for f in ["hub-and-spoke.capz", "hub-and-spoke-existing.capz"] {
        std::fs::copy(repo_root().join("examples").join(f), work.path().join(f))
            .expect("copy example");
    }
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    capz(&["apply", "hub-and-spoke.capz", "--auto-approve"]).expect_code(0);
    let plan = capz(&["plan", "hub-and-spoke-existing.capz"]).expect_code(0);
    assert_golden(&golden("spoke-team-plan.txt"), &plan.stdout);
    let apply = capz(&["apply", "hub-and-spoke-existing.capz", "--auto-approve"]).expect_code(0);
    assert!(
        apply
            .stdout
            .contains("hub_address_space = [\"10.10.0.0/16\"]"),
        "{}",
        apply.stdout
    );
    capz(&["plan", "hub-and-spoke-existing.capz", "--detailed-exitcode"]).expect_code(0);
    // The hub team's replan shows nothing of the spoke team's (no hub-side peering either).
    capz(&["plan", "hub-and-spoke.capz", "--detailed-exitcode"]).expect_code(0);
    let hub = vnet_path("corp-network-rg", "corp-hub-vnet");
    let (_, v) = emu.get_json(&hub);
    assert_eq!(v["tags"]["capz-stack"], "corp-hub-spoke");
    // The spoke team's destroy leaves the hub and its group alone.
    capz(&["destroy", "hub-and-spoke-existing.capz", "--auto-approve"]).expect_code(0);
    assert_eq!(emu.get_json(&hub).0, 200);
    capz(&["plan", "hub-and-spoke.capz", "--detailed-exitcode"]).expect_code(0);
}

/// A cluster whose system pool autoscales, starting at 2 nodes.
const AUTOSCALED: &str = r#"stack "team-a"

group rg {
  name     = "scale-rg"
  location = "westeurope"
}

vnet net in rg {
  address_space = ["10.1.0.0/16"]

  subnet nodes {
    address_prefix = "10.1.0.0/22"
  }
}

cluster aks in rg {
  kubernetes_version = "1.33"
  dns_prefix         = "scale"

  pool system {
    mode      = system
    vm_size   = "Standard_D4s_v3"
    count     = 2
    autoscale = 1..3
    subnet    = net.nodes
  }
}
"#;

#[test]
fn an_autoscaled_pool_ignores_count_after_an_out_of_band_scale() {
    let emu = Emulator::start();
    let work = tempfile::tempdir().expect("scratch folder");
    write(work.path(), "a.capz", AUTOSCALED);
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    let check = capz(&["check", "a.capz"]).expect_code(0);
    assert!(
        check.stderr.contains("capz::pool::count-with-autoscale"),
        "{}",
        check.stderr
    );
    capz(&["apply", "a.capz", "--auto-approve"]).expect_code(0);
    let pool = format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/scale-rg/providers/Microsoft.ContainerService/managedClusters/aks/agentPools/system?api-version=2026-08-01"
    );
    let (_, live) = emu.get_json(&pool);
    assert_eq!(
        live["properties"]["count"], 2,
        "created with the initial count"
    );
    // The autoscaler scales out (here: a PUT from another client with count 3).
    let mut body = live.clone();
    body["properties"]["count"] = json!(3);
    for k in ["id", "name", "type", "etag"] {
        body.as_object_mut().map(|m| m.remove(k));
    }
    body["properties"]
        .as_object_mut()
        .map(|m| m.remove("provisioningState"));
    let (status, resp) = emu.send_json("PUT", &pool, &body);
    assert!(status == 200 || status == 201, "{status} {resp}");
    for _ in 0..200 {
        let (_, b) = emu.get_json(&pool);
        if b["properties"]["provisioningState"] == "Succeeded" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Not a change: the autoscaler owns count.
    capz(&["plan", "a.capz", "--detailed-exitcode"]).expect_code(0);
    // Changing the bounds updates them and keeps the live count.
    write(work.path(), "a.capz", &AUTOSCALED.replace("1..3", "1..5"));
    let plan = capz(&["plan", "a.capz"]).expect_code(0);
    assert_golden(&golden("autoscale-bounds-update.txt"), &plan.stdout);
    capz(&["apply", "a.capz", "--auto-approve"]).expect_code(0);
    let (_, after) = emu.get_json(&pool);
    assert_eq!(
        after["properties"]["count"], 3,
        "the autoscaler's count is kept"
    );
    assert_eq!(after["properties"]["maxCount"], 5);
    capz(&["plan", "a.capz", "--detailed-exitcode"]).expect_code(0);
}

/// Team a's program with its VNet protected and the group's `owner` tag left to others.
fn protected(flag: bool) -> String {
    TEAM_A
        .replace(
            "  location = \"westeurope\"\n}",
            "  location = \"westeurope\"\n  tags     = { owner = \"platform\" }\n\n  lifecycle {\n    ignore_changes = [\"tags.owner\"]\n  }\n}",
        )
        .replace(
            "  address_space = [\"10.1.0.0/16\"]\n",
            &format!("  address_space = [\"10.1.0.0/16\"]\n\n  lifecycle {{\n    prevent_destroy = {flag}\n  }}\n"),
        )
}

#[test]
fn prevent_destroy_is_recorded_on_the_resource_and_ignore_changes_skips_a_tag() {
    let emu = Emulator::start();
    let work = tempfile::tempdir().expect("scratch folder");
    write(work.path(), "a.capz", &protected(true));
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    capz(&["check", "a.capz"]).expect_code(0);
    capz(&["apply", "a.capz", "--auto-approve"]).expect_code(0);
    let (_, v) = emu.get_json(&vnet_path("shared-rg", "a-vnet"));
    assert_eq!(v["tags"]["capz-prevent-destroy"], "true", "{v}");
    // Someone retags the group's owner: ignored, not a change.
    let (status, body) = emu.send_json(
        "PATCH",
        &group_path("shared-rg"),
        &json!({"tags": {"capz-stack": "team-a", "owner": "network-team"}}),
    );
    assert_eq!(status, 200, "{body}");
    capz(&["plan", "a.capz", "--detailed-exitcode"]).expect_code(0);
    // destroy is refused, pointing at the block; nothing is deleted.
    let destroy = capz(&["destroy", "a.capz", "--auto-approve"]).expect_code(1);
    assert_golden(&golden("prevent-destroy-destroy.stderr"), &destroy.stderr);
    assert_eq!(emu.get_json(&vnet_path("shared-rg", "a-vnet")).0, 200);
    // Removing the VNet from the program is refused too: the tag outlasts the declaration.
    let without = capz_tests::remove_block(&protected(true), "vnet net in shared {");
    write(work.path(), "a.capz", &without);
    let prune = capz(&["plan", "a.capz"]).expect_code(1);
    assert_golden(&golden("prevent-destroy-prune.stderr"), &prune.stderr);
    // Lifting it: the plan removes the tag; after that apply, destroy goes through.
    write(work.path(), "a.capz", &protected(false));
    let lift = capz(&["plan", "a.capz"]).expect_code(0);
    assert_golden(&golden("prevent-destroy-lift.txt"), &lift.stdout);
    capz(&["apply", "a.capz", "--auto-approve"]).expect_code(0);
    let (_, g) = emu.get_json(&group_path("shared-rg"));
    assert_eq!(
        g["tags"]["owner"], "network-team",
        "the ignored tag keeps its live value"
    );
    capz(&["destroy", "a.capz", "--auto-approve"]).expect_code(0);
    assert_eq!(emu.get_json(&group_path("shared-rg")).0, 404);
}

/// Stack `team-dns`: a group holding the private DNS zone other teams resolve from.
const TEAM_DNS: &str = r#"stack "team-dns"

group dns {
  name     = "dns-rg"
  location = "westeurope"
}

private_dns_zone corp in dns {
  name = "corp.internal"
}
"#;

/// Stack `team-app`: links a VNet of its own into team-dns's zone through `existing`.
const TEAM_APP: &str = r#"stack "team-app"

existing group dns {
  name = "dns-rg"
}

existing private_dns_zone corp in dns {
  name = "corp.internal"

  link app_link {
    vnet = app_net
  }
}

group app {
  name     = "app-rg"
  location = "westeurope"
}

vnet app_net in app {
  name          = "app-vnet"
  address_space = ["10.30.0.0/16"]
}

output zone_id = corp.id
"#;

fn zone_path(rg: &str, zone: &str, child: &str) -> String {
    format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/{rg}/providers/Microsoft.Network/privateDnsZones/{zone}{child}?api-version=2024-06-01"
    )
}

#[test]
fn an_existing_private_dns_zone_gets_a_link_and_is_never_written() {
    let emu = Emulator::start();
    let work = tempfile::tempdir().expect("scratch folder");
    write(work.path(), "dns.capz", TEAM_DNS);
    write(work.path(), "app.capz", TEAM_APP);
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    capz(&["apply", "dns.capz", "--auto-approve"]).expect_code(0);
    let zone = zone_path("dns-rg", "corp.internal", "");
    let (_, before) = emu.get_json(&zone);
    assert_eq!(before["tags"]["capz-stack"], "team-dns", "{before}");
    // The app team's plan reads the zone and creates only its group, VNet and link.
    let plan = capz(&["plan", "app.capz"]).expect_code(0);
    assert_golden(&golden("existing-zone-link-plan.txt"), &plan.stdout);
    let apply = capz(&["apply", "app.capz", "--auto-approve"]).expect_code(0);
    let zone_id = format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/dns-rg/providers/Microsoft.Network/privateDnsZones/corp.internal"
    );
    assert!(
        apply
            .stdout
            .to_lowercase()
            .contains(&zone_id.to_lowercase()),
        "{}",
        apply.stdout
    );
    let link = zone_path("dns-rg", "corp.internal", "/virtualNetworkLinks/app_link");
    let (status, l) = emu.get_json(&link);
    assert_eq!(status, 200, "{l}");
    assert_eq!(l["tags"]["capz-stack"], "team-app", "{l}");
    assert!(
        l["properties"]["virtualNetwork"]["id"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/virtualNetworks/app-vnet"),
        "{l}"
    );
    // Both replans are empty: team-dns does not prune team-app's link.
    capz(&["plan", "app.capz", "--detailed-exitcode"]).expect_code(0);
    capz(&["plan", "dns.capz", "--detailed-exitcode"]).expect_code(0);
    // The zone was never written: same tags, same etag.
    let (_, after) = emu.get_json(&zone);
    assert_eq!(after["tags"], before["tags"], "{after}");
    assert_eq!(after["etag"], before["etag"], "{after}");
    // The app team's destroy deletes its link, VNet and group, and leaves the zone.
    let destroy = capz(&["destroy", "app.capz", "--auto-approve"]).expect_code(0);
    // The deletes run concurrently: only the plan part of the output is compared.
    let shown = destroy
        .stdout
        .split_once("\n\n[")
        .map_or(destroy.stdout.as_str(), |(plan, _)| plan);
    assert_golden(&golden("existing-zone-destroy.txt"), &format!("{shown}\n"));
    assert!(
        destroy
            .stdout
            .contains("Destroy complete! Resources: 2 destroyed."),
        "{}",
        destroy.stdout
    );
    assert_eq!(emu.get_json(&link).0, 404);
    assert_eq!(emu.get_json(&zone).0, 200);
    assert_eq!(emu.get_json(&group_path("dns-rg")).0, 200);
    assert_eq!(emu.get_json(&group_path("app-rg")).0, 404);
    capz(&["plan", "dns.capz", "--detailed-exitcode"]).expect_code(0);
}
