//! `capz plan`'s preflight against the local ARM (a real `capz emulator serve` on
//! loopback): a region that does not exist and a Kubernetes version AKS does not offer in
//! the region are reported with the checker's layout (code, span, help) before any plan,
//! exit 1; the same program with a real region and an offered version plans. The emulator
//! serves Subscriptions_ListLocations and ManagedClusters_ListKubernetesVersions and
//! refuses a PUT in an unknown region with ARM's LocationNotAvailableForResourceType.
//! Goldens in tests/golden/preflight/.

use capz_tests::{Emulator, LOCAL_SUBSCRIPTION, assert_golden, repo_root, run_capz};
use serde_json::json;

const PROGRAM: &str = r#"stack "preflight"

param location: region = "eastus2"
param version: string = "1.33"
param pool_version: string = "1.33"

group rg {
  location = location
}

vnet net in rg {
  address_space = ["10.1.0.0/16"]
  subnet nodes { address_prefix = "10.1.0.0/22" }
}

cluster aks in rg {
  dns_prefix         = "preflight"
  kubernetes_version = version
  network {
    plugin         = azure
    service_cidr   = "172.16.0.0/16"
    dns_service_ip = "172.16.0.10"
  }
  pool system {
    mode                 = system
    vm_size              = "Standard_D2s_v3"
    orchestrator_version = pool_version
    subnet               = net.nodes
  }
}
"#;

fn plan(emu: &Emulator, params: &[&str]) -> capz_tests::Run {
    let work = tempfile::tempdir().expect("scratch folder");
    std::fs::write(work.path().join("preflight.capz"), PROGRAM).expect("write program");
    let mut args = vec!["plan", "preflight.capz"];
    for p in params {
        args.push("--param");
        args.push(p);
    }
    run_capz(work.path(), Some(&emu.url), &args)
}

fn golden(name: &str) -> std::path::PathBuf {
    repo_root().join("tests/golden/preflight").join(name)
}

#[test]
fn an_unknown_region_is_reported_before_planning() {
    let emu = Emulator::start();
    let run = plan(&emu, &["location=marsnorth"]).expect_code(1);
    assert!(run.stdout.is_empty(), "no plan is printed\n{}", run.stdout);
    assert_golden(&golden("unknown-region.stderr"), &run.stderr);
    // Reported once, on the group that sets it (the VNet and cluster inherit it).
    assert_eq!(
        run.stderr
            .matches("capz::preflight::unknown-region")
            .count(),
        1,
        "{}",
        run.stderr
    );
    // A typo gets a did-you-mean.
    let run = plan(&emu, &["location=eastus22"]).expect_code(1);
    assert!(
        run.stderr.contains("capz::preflight::unknown-region")
            && run.stderr.contains("did you mean `eastus2`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_kubernetes_version_not_offered_in_the_region_is_reported() {
    let emu = Emulator::start();
    let run = plan(&emu, &["version=1.19", "pool_version=1.19"]).expect_code(1);
    assert_golden(&golden("version-unavailable.stderr"), &run.stderr);
    // A patch the minor does not have, on a pool.
    let run = plan(&emu, &["pool_version=1.33.99"]).expect_code(1);
    assert!(
        run.stderr
            .contains("capz::preflight::kubernetes-version-unavailable"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("aks.system"), "{}", run.stderr);
    assert!(
        run.stderr.contains("1.33.5"),
        "lists the offered patches\n{}",
        run.stderr
    );
}

#[test]
fn offered_region_and_versions_plan() {
    let emu = Emulator::start();
    let run = plan(&emu, &["pool_version=1.33.5"]).expect_code(0);
    assert!(run.stdout.contains("to add"), "{}", run.stdout);
}

#[test]
fn the_local_arm_serves_the_lists_and_refuses_unknown_regions() {
    let emu = Emulator::start();
    let (status, body) = emu.get_json(&format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/locations?api-version=2022-12-01"
    ));
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["value"]
        .as_array()
        .expect("LocationListResult.value")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert!(names.contains(&"eastus2") && !names.contains(&"marsnorth"));
    let (status, body) = emu.get_json(&format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/providers/Microsoft.ContainerService/locations/eastus2/kubernetesVersions?api-version=2026-08-01"
    ));
    assert_eq!(status, 200, "{body}");
    assert!(body["values"][0]["patchVersions"].is_object(), "{body}");
    let (status, body) = emu.send_json(
        "PUT",
        &format!("/subscriptions/{LOCAL_SUBSCRIPTION}/resourcegroups/mars?api-version=2025-04-01"),
        &json!({"location": "marsnorth"}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["code"],
        "LocationNotAvailableForResourceGroup"
    );
    let (status, _) = emu.send_json(
        "PUT",
        &format!("/subscriptions/{LOCAL_SUBSCRIPTION}/resourcegroups/earth?api-version=2025-04-01"),
        &json!({"location": "eastus2"}),
    );
    assert!(status == 200 || status == 201, "{status}");
    let (status, body) = emu.send_json(
        "PUT",
        &format!(
            "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/earth/providers/Microsoft.Network/virtualNetworks/vnet1?api-version=2026-01-01"
        ),
        &json!({"location": "marsnorth", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "LocationNotAvailableForResourceType");
}
