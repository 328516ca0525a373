//! The ARM client completes writes through connections the emulator drops without an
//! answer (emulator `Fault::DropConnection` / `Fault::DropConnectionAfterCommit`): it
//! retries the transport error, and a retried PUT that finds its own committed write in
//! progress (Network 429 RetryableErrorDueToAnotherOperation, AKS 409 OperationNotAllowed)
//! polls the resource until that write ends and takes its result, instead of failing or
//! PUTting again.

use runtime::arm::{ArmClient, ClientSettings};
use serde_json::{Value, json};
use std::net::SocketAddr;

const SUB: &str = emulator::LOCAL_SUBSCRIPTION;

fn rule(method: &str, path: &str, fault: emulator::Fault) -> emulator::FaultRule {
    emulator::FaultRule {
        method: Some(method.into()),
        path_contains: Some(path.into()),
        skip: 0,
        times: Some(1),
        probability: 1.0,
        fault,
    }
}

async fn start(
    time_scale: f64,
    faults: Vec<emulator::FaultRule>,
    record: &std::path::Path,
) -> (emulator::Server, ArmClient) {
    let config = emulator::Config {
        time_scale,
        faults,
        record_requests: Some(record.to_path_buf()),
        ..emulator::Config::default()
    };
    let server = emulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), config)
        .await
        .unwrap();
    let client = ArmClient::new(
        &server.base_url,
        emulator::LOCAL_SUBSCRIPTION,
        ClientSettings::local(),
    )
    .unwrap();
    (server, client)
}

/// Recorded (status, dropped) of the requests whose path contains `path`, in order.
fn recorded(file: &std::path::Path, path: &str) -> Vec<(Value, bool)> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| {
            v["path"]
                .as_str()
                .unwrap()
                .to_ascii_lowercase()
                .ends_with(path)
        })
        .map(|v| (v["status"].clone(), v["dropped"] == true))
        .collect()
}

#[tokio::test]
async fn put_completes_through_a_drop_before_handling() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("requests.jsonl");
    let (server, client) = start(
        0.0,
        vec![rule(
            "PUT",
            "/resourcegroups/rg1",
            emulator::Fault::DropConnection,
        )],
        &rec,
    )
    .await;
    let id = format!("/subscriptions/{SUB}/resourceGroups/rg1");
    let live = client
        .put(&id, "2025-04-01", &json!({"location": "westeurope"}))
        .await
        .unwrap();
    assert_eq!(live["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        recorded(&rec, "/resourcegroups/rg1"),
        vec![(Value::Null, true), (json!(201), false)],
        "one dropped PUT, then the retry"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn put_completes_through_a_drop_after_commit() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("requests.jsonl");
    let (server, client) = start(
        // VNet create 0.1 s, AKS create 2.4 s: the retried PUT finds the write in progress.
        0.01,
        vec![
            rule(
                "PUT",
                "/virtualnetworks/v1",
                emulator::Fault::DropConnectionAfterCommit,
            ),
            rule(
                "PUT",
                "/managedclusters/c1",
                emulator::Fault::DropConnectionAfterCommit,
            ),
            // A dropped poll of the operation status.
            rule("GET", "/operations/", emulator::Fault::DropConnection),
        ],
        &rec,
    )
    .await;
    let rg = format!("/subscriptions/{SUB}/resourceGroups/rg2");
    client
        .put(&rg, "2025-04-01", &json!({"location": "westeurope"}))
        .await
        .unwrap();

    let vnet = format!("{rg}/providers/Microsoft.Network/virtualNetworks/v1");
    let live = client
        .put(
            &vnet,
            "2026-01-01",
            &json!({"location": "westeurope",
                    "properties": {"addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}}}),
        )
        .await
        .unwrap();
    assert_eq!(live["properties"]["provisioningState"], "Succeeded");
    let seen = recorded(&rec, "/virtualnetworks/v1");
    assert_eq!(seen[0], (json!(201), true), "{seen:?}");
    assert!(seen.len() >= 2 && !seen.last().unwrap().1, "{seen:?}");

    let cluster = format!("{rg}/providers/Microsoft.ContainerService/managedClusters/c1");
    let live = client
        .put(
            &cluster,
            "2026-08-01",
            &json!({"location": "westeurope", "identity": {"type": "SystemAssigned"},
                    "properties": {"kubernetesVersion": "1.33", "dnsPrefix": "c1",
                      "agentPoolProfiles": [{"name": "sys", "mode": "System", "count": 1,
                                             "vmSize": "Standard_D4s_v5"}]}}),
        )
        .await
        .unwrap();
    assert_eq!(live["properties"]["provisioningState"], "Succeeded");
    let seen = recorded(&rec, "/managedclusters/c1");
    assert_eq!(seen[0], (json!(201), true), "{seen:?}");
    // The retry finds the cluster's own create in progress (409 OperationNotAllowed) and
    // polls the cluster with GETs until it ends: no further PUT spends AKS's per-cluster
    // PUT bucket.
    assert_eq!(
        seen,
        vec![(json!(201), true), (json!(409), false)],
        "one dropped PUT, one retry that met the create in progress, then only GETs"
    );
    server.shutdown().await;
}
