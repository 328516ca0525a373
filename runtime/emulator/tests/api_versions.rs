//! Every api-version the emulator serves, the provider listing that publishes them, the
//! per-version request shape (a property an older version does not know), and the location
//! rules for resource groups and tracked resources. Raw HTTP against an in-process emulator.

mod common;

use common::*;
use serde_json::{Value, json};

fn id_path(rg: &str, n: &str) -> String {
    format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{n}",
        rg_path(rg)
    )
}
fn zone_path(rg: &str, z: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/privateDnsZones/{z}",
        rg_path(rg)
    )
}

/// The versions the Azure CLI 2.91 and azure-mgmt-network 33.1.0 send (issue #18): each
/// answers as the resource would (404 for a missing one), not `NoRegisteredProviderFound`.
#[tokio::test]
async fn the_versions_current_clients_send_are_served() {
    let env = start(config(0.0)).await;
    let rg = env
        .put(
            &rg_path("rg"),
            "2024-11-01",
            json!({"location": "westeurope"}),
        )
        .await;
    assert_eq!(rg.status, 201, "{:?}", rg.body);
    let cases: Vec<(String, &[&str])> = vec![
        (
            vnet_path("rg", "vnet1"),
            &[
                "2026-03-01",
                "2025-07-01",
                "2024-07-01",
                "2023-11-01",
                "2022-01-01",
                "2015-06-15",
            ],
        ),
        (
            subnet_path("rg", "vnet1", "sub1"),
            &["2026-03-01", "2022-01-01"],
        ),
        (
            cluster_path("rg", "c"),
            &["2026-06-01", "2026-08-01", "2017-08-31"],
        ),
        (pool_path("rg", "c", "p"), &["2026-06-01", "2019-02-01"]),
        (
            id_path("rg", "id1"),
            &[
                "2025-01-31-preview",
                "2025-05-31-preview",
                "2026-05-31",
                "2018-11-30",
            ],
        ),
        (
            format!("{}/federatedIdentityCredentials/f", id_path("rg", "id1")),
            &["2025-01-31-preview", "2023-01-31", "2022-01-31-preview"],
        ),
        (zone_path("rg", "z.com"), &["2018-09-01", "2020-06-01"]),
    ];
    for (path, versions) in &cases {
        for v in *versions {
            let r = env.get(path, v).await;
            assert!(
                r.status == 404 && r.code() != "NoRegisteredProviderFound",
                "{path} {v}: {} {:?}",
                r.status,
                r.body
            );
        }
    }
    // A version a child type does not have though its parent does: agentPools came with
    // 2019-02-01, federated credentials with 2022-01-31-preview, peerings with 2016-06-01.
    for (path, v) in [
        (pool_path("rg", "c", "p"), "2018-03-31"),
        (
            format!("{}/federatedIdentityCredentials/f", id_path("rg", "id1")),
            "2018-11-30",
        ),
        (
            format!("{}/virtualNetworkPeerings/p", vnet_path("rg", "vnet1")),
            "2015-06-15",
        ),
    ] {
        let r = env.get(&path, v).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "NoRegisteredProviderFound"),
            "{path} {v}"
        );
    }
    // A whole create/read cycle with the newest SDK's version.
    let r = env
        .put(
            &vnet_path("rg", "vnet1"),
            "2026-03-01",
            json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let op = env.wait_aao(&r).await;
    assert_eq!(op.body["status"], "Succeeded");
    assert!(
        r.h("azure-asyncoperation")
            .unwrap()
            .contains("api-version=2026-03-01")
    );
    assert_eq!(
        env.get(&vnet_path("rg", "vnet1"), "2022-01-01")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn unknown_versions_are_refused_as_arm_does() {
    let env = start(config(0.0)).await;
    env.rg("rg").await;
    let r = env.get(&vnet_path("rg", "vnet1"), "2030-01-01").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "NoRegisteredProviderFound")
    );
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("'2030-01-01'") && msg.contains("virtualNetworks"),
        "{msg}"
    );
    assert!(
        msg.contains("2026-03-01") && msg.contains("2015-06-15"),
        "{msg}"
    );
    let r = env.get(&vnet_path("rg", "vnet1"), "latest").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidApiVersionParameter")
    );
    let r = env.get(&rg_path("rg"), "2030-01-01").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidApiVersionParameter")
    );
    let r = env.get(&rg_path("rg"), "").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "MissingApiVersionParameter")
    );
}

fn versions_of(provider: &Value, ty: &str) -> Vec<String> {
    provider["resourceTypes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["resourceType"].as_str().unwrap().eq_ignore_ascii_case(ty))
        .unwrap_or_else(|| panic!("{ty} not listed in {provider}"))["apiVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn providers_list_their_types_versions_and_locations() {
    let env = start(config(0.0)).await;
    let base = format!("/subscriptions/{SUB}/providers");
    let net = env.get(&format!("{base}/Microsoft.Network"), RES).await;
    assert_eq!(net.status, 200);
    assert_eq!(net.body["namespace"], "Microsoft.Network");
    assert_eq!(net.body["registrationState"], "Registered");
    let v = versions_of(&net.body, "virtualNetworks");
    assert_eq!(v[0], "2026-03-01");
    for want in ["2025-07-01", "2024-07-01", "2023-11-01", "2022-01-01"] {
        assert!(v.iter().any(|x| x == want), "{want}");
    }
    assert!(versions_of(&net.body, "privateDnsZones").contains(&"2018-09-01".to_string()));
    let vnet = net.body["resourceTypes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["resourceType"] == "virtualNetworks")
        .unwrap()
        .clone();
    assert!(
        vnet["locations"]
            .as_array()
            .unwrap()
            .contains(&json!("East US 2"))
    );
    // Lower-case namespace in the path: canonical casing in the body.
    let aks = env
        .get(&format!("{base}/microsoft.containerservice"), RES)
        .await;
    assert_eq!(aks.body["namespace"], "Microsoft.ContainerService");
    assert!(versions_of(&aks.body, "managedClusters").contains(&"2026-06-01".to_string()));
    assert!(
        versions_of(&aks.body, "managedClusters/agentPools").contains(&"2026-06-01".to_string())
    );
    let msi = env
        .get(&format!("{base}/Microsoft.ManagedIdentity"), RES)
        .await;
    let v = versions_of(&msi.body, "userAssignedIdentities");
    assert!(v.contains(&"2025-01-31-preview".to_string()));
    assert!(v.contains(&"2025-05-31-preview".to_string()));
    let res = env.get(&format!("{base}/Microsoft.Resources"), RES).await;
    assert!(versions_of(&res.body, "resourceGroups").contains(&"2024-11-01".to_string()));

    // Every accepted version is listed and every listed version is accepted.
    for (ty, path) in [
        ("virtualNetworks", vnet_path("rg", "vnet1")),
        (
            "virtualNetworks/subnets",
            subnet_path("rg", "vnet1", "sub1"),
        ),
    ] {
        env.rg("rg").await;
        for v in versions_of(&net.body, ty) {
            assert_eq!(env.get(&path, &v).await.status, 404, "{ty} {v}");
        }
    }

    let all = env.get(&base, RES).await;
    assert_eq!(all.status, 200);
    let names: Vec<&str> = all.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["namespace"].as_str().unwrap())
        .collect();
    for ns in [
        "Microsoft.Resources",
        "Microsoft.Network",
        "Microsoft.ContainerService",
        "Microsoft.ManagedIdentity",
    ] {
        assert!(names.contains(&ns), "{ns} in {names:?}");
    }
}

/// virtualNetworks `privateEndpointVNetPolicies` exists from 2024-03-01 on: an older version
/// refuses it as a member it cannot deserialize; a newer one stores it.
#[tokio::test]
async fn a_property_an_older_version_does_not_know_is_refused() {
    let env = start(config(0.0)).await;
    env.rg("rg").await;
    let body = json!({"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
        "privateEndpointVNetPolicies": "Basic"}});
    let r = env
        .put(&vnet_path("rg", "vnet1"), "2024-01-01", body.clone())
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidRequestContent"),
        "{:?}",
        r.body
    );
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("Could not find member 'privateEndpointVNetPolicies' on object of type 'VirtualNetworkPropertiesFormat'")
            && msg.contains("Path 'properties.privateEndpointVNetPolicies'"),
        "{msg}"
    );
    assert_eq!(env.get(&vnet_path("rg", "vnet1"), NET).await.status, 404);
    let r = env.put(&vnet_path("rg", "vnet1"), "2024-03-01", body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    env.wait_aao(&r).await;
    let g = env.get(&vnet_path("rg", "vnet1"), NET).await;
    assert_eq!(g.body["properties"]["privateEndpointVNetPolicies"], "Basic");
    // Without the property the old version is fine.
    let r = env
        .put(
            &vnet_path("rg", "vnet2"),
            "2024-01-01",
            json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

/// userAssignedIdentities `isolationScope` exists from 2024-11-30 on (not in 2023-01-31 nor
/// 2023-07-31-preview).
#[tokio::test]
async fn isolation_scope_needs_2024_11_30() {
    let env = start(config(0.0)).await;
    env.rg("rg").await;
    let body = json!({"location": "westeurope", "properties": {"isolationScope": "Regional"}});
    for old in ["2023-01-31", "2023-07-31-preview", "2018-11-30"] {
        let r = env.put(&id_path("rg", "id1"), old, body.clone()).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "InvalidRequestContent"),
            "{old}"
        );
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("'isolationScope' on object of type 'UserAssignedIdentityProperties'")
        );
    }
    for new in ["2024-11-30", "2025-01-31-preview"] {
        let r = env.put(&id_path("rg", "id1"), new, body.clone()).await;
        assert!(r.status == 201 || r.status == 200, "{new}: {:?}", r.body);
        assert_eq!(r.body["properties"]["isolationScope"], "Regional");
    }
    let r = env
        .put(
            &id_path("rg", "id2"),
            "2023-01-31",
            json!({"location": "westeurope"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

#[tokio::test]
async fn unknown_or_empty_locations_are_refused() {
    let env = start(config(0.0)).await;
    for loc in ["mars", "", "west europe 9"] {
        let r = env.put(&rg_path("rg"), RES, json!({"location": loc})).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "LocationNotAvailableForResourceGroup"),
            "{loc:?}"
        );
        let msg = r.body["error"]["message"].as_str().unwrap();
        assert!(
            msg.starts_with(&format!("The provided location '{loc}' is not available for resource group. List of available regions is '"))
                && msg.contains("westeurope"),
            "{msg}"
        );
        assert_eq!(env.get(&rg_path("rg"), RES).await.status, 404);
    }
    // Display names and odd casing are locations too.
    let r = env
        .put(&rg_path("rg"), RES, json!({"location": "West Europe"}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["location"], "westeurope");
    for loc in ["mars", ""] {
        let r = env
            .put(
                &id_path("rg", "id1"),
                "2024-11-30",
                json!({"location": loc}),
            )
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "LocationNotAvailableForResourceType"),
            "{loc:?}"
        );
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("resource type 'Microsoft.ManagedIdentity/userAssignedIdentities'")
        );
        let r = env
            .put(&vnet_path("rg", "vnet1"), NET, json!({"location": loc, "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}))
            .await;
        assert_eq!(r.code(), "LocationNotAvailableForResourceType", "{loc:?}");
    }
    let r = env
        .put(
            &id_path("rg", "id1"),
            "2024-11-30",
            json!({"location": "eastus2"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}
