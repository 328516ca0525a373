//! Core ARM contract for the five kinds: status codes, LRO headers, body shapes, lists,
//! deletes, cascades, persistence.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn resource_group_crud_and_shape() {
    let env = start(config(0.001)).await;
    let r = env
        .put(
            &rg_path("My-RG"),
            RES,
            json!({"location": "West Europe", "tags": {"env": "dev"}}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.body["id"],
        format!("/subscriptions/{SUB}/resourceGroups/My-RG")
    );
    assert_eq!(r.body["location"], "westeurope");
    assert_eq!(r.state(), "Succeeded");
    assert!(
        r.h("azure-asyncoperation").is_none(),
        "resource group PUT is not an LRO"
    );
    let ex = example("CreateResourceGroup.json");
    let mut miss = Vec::new();
    missing_keys(&ex["responses"]["201"]["body"], &r.body, "", &mut miss);
    assert!(miss.is_empty(), "{miss:?}");

    let again = env
        .put(&rg_path("my-rg"), RES, json!({"location": "westeurope"}))
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["name"], "My-RG", "casing of the create is kept");

    let got = env.get(&rg_path("MY-RG"), RES).await;
    assert_eq!(got.status, 200);
    assert_eq!(
        got.body["tags"],
        json!(null),
        "a PUT without tags clears them"
    );

    let moved = env
        .put(&rg_path("my-rg"), RES, json!({"location": "eastus"}))
        .await;
    assert_eq!(moved.status, 409);
    assert_eq!(moved.code(), "InvalidResourceGroupLocation");

    let noloc = env.put(&rg_path("other"), RES, json!({})).await;
    assert_eq!(
        (noloc.status, noloc.code().as_str()),
        (400, "LocationRequired")
    );

    let list = env
        .get(&format!("/subscriptions/{SUB}/resourcegroups"), RES)
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);

    let head = env
        .send("HEAD", &env.url(&rg_path("my-rg"), RES), None)
        .await;
    assert_eq!(head.status, 204);
    let head = env
        .send("HEAD", &env.url(&rg_path("nope"), RES), None)
        .await;
    assert_eq!(head.status, 404);

    let missing = env.get(&rg_path("nope"), RES).await;
    assert_eq!(
        (missing.status, missing.code().as_str()),
        (404, "ResourceGroupNotFound")
    );

    let del = env.delete(&rg_path("my-rg"), RES).await;
    assert_eq!(del.status, 202);
    assert!(del.h("retry-after").is_some());
    let done = env.wait_location(&del).await;
    assert!(done.status == 200 || done.status == 204, "{}", done.status);
    assert_eq!(env.get(&rg_path("my-rg"), RES).await.status, 404);
}

#[tokio::test]
async fn vnet_and_subnet_lro_shapes_and_lists() {
    let env = start(config(0.005)).await;
    env.rg("rg1").await;
    let r = env
        .put(&vnet_path("rg1", "Vnet1"), NET, json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}, "flowTimeoutInMinutes": 10}}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.state(), "Updating");
    let aao = r.h("azure-asyncoperation").unwrap();
    assert!(
        aao.starts_with(&env.server.base_url)
            && aao.contains("/providers/Microsoft.Network/locations/westeurope/operations/"),
        "{aao}"
    );
    assert!(r.h("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    assert!(r.body["etag"].as_str().unwrap().starts_with("W/\""));
    let st = env.wait_aao(&r).await;
    assert_eq!(st.body["status"], "Succeeded");
    for k in ["id", "name", "status", "startTime", "endTime"] {
        assert!(
            st.body.get(k).is_some(),
            "operation status lacks {k}: {}",
            st.body
        );
    }
    let got = env.get(&vnet_path("rg1", "vnet1"), NET).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.state(), "Succeeded");
    assert_ne!(
        got.body["etag"], r.body["etag"],
        "etag changes when the operation completes"
    );
    assert!(
        got.body["properties"]["resourceGuid"]
            .as_str()
            .unwrap()
            .len()
            == 36
    );
    let ex = example("VirtualNetworkCreate.json");
    let mut miss = Vec::new();
    missing_keys(&ex["responses"]["200"]["body"], &got.body, "", &mut miss);
    assert!(miss.is_empty(), "{miss:?}");

    let s = env
        .put(
            &subnet_path("rg1", "vnet1", "nodes"),
            NET,
            json!({"properties": {"addressPrefix": "10.0.1.0/24"}}),
        )
        .await;
    assert_eq!(s.status, 201, "{:?}", s.body);
    assert_eq!(
        s.body["id"],
        format!("{}/subnets/nodes", vnet_path("rg1", "Vnet1"))
    );
    assert_eq!(s.body["type"], "Microsoft.Network/virtualNetworks/subnets");
    env.wait_aao(&s).await;
    let sg = env.get(&subnet_path("rg1", "vnet1", "nodes"), NET).await;
    let ex = example("SubnetCreate.json");
    let mut miss = Vec::new();
    missing_keys(&ex["responses"]["200"]["body"], &sg.body, "", &mut miss);
    assert!(miss.is_empty(), "{miss:?}");
    assert_eq!(
        sg.body["properties"]["privateEndpointNetworkPolicies"],
        "Disabled"
    );

    let v = env.get(&vnet_path("rg1", "vnet1"), NET).await;
    let subs = v.body["properties"]["subnets"].as_array().unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0]["name"], "nodes");
    let ex = example("VirtualNetworkGet.json");
    let mut miss = Vec::new();
    missing_keys(&ex["responses"]["200"]["body"], &v.body, "", &mut miss);
    miss.retain(|m| !m.contains("ipConfigurations") && !m.contains("defaultPublicNatGateway"));
    assert!(miss.is_empty(), "{miss:?}");

    let list = env
        .get(&format!("{}/subnets", vnet_path("rg1", "vnet1")), NET)
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
    let list = env
        .get(
            &format!(
                "{}/providers/Microsoft.Network/virtualNetworks",
                rg_path("rg1")
            ),
            NET,
        )
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
    let all = env.get(&format!("{}/resources", rg_path("rg1")), RES).await;
    let all = all.body["value"].as_array().unwrap().clone();
    assert_eq!(
        all.len(),
        1,
        "generic list shows top-level resources only: {all:?}"
    );
    assert_eq!(all[0]["type"], "Microsoft.Network/virtualNetworks");

    // Delete the subnet: 202 + Location, Deleting meanwhile, then gone.
    let d = env.delete(&subnet_path("rg1", "vnet1", "nodes"), NET).await;
    assert_eq!(d.status, 202);
    assert!(d.h("location").is_some() && d.h("retry-after").is_some());
    let mid = env.get(&subnet_path("rg1", "vnet1", "nodes"), NET).await;
    if mid.status == 200 {
        assert_eq!(mid.state(), "Deleting");
    }
    let fin = env.wait_location(&d).await;
    assert_eq!(fin.status, 204);
    let gone = env.get(&subnet_path("rg1", "vnet1", "nodes"), NET).await;
    assert_eq!(
        (gone.status, gone.code().as_str()),
        (404, "ResourceNotFound")
    );
    let again = env.delete(&subnet_path("rg1", "vnet1", "nodes"), NET).await;
    assert_eq!(again.status, 204);
}

#[tokio::test]
async fn vnet_inline_subnets_sync() {
    let env = start(config(0.0)).await;
    env.rg("rg").await;
    let body = json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
        "subnets": [{"name": "a", "properties": {"addressPrefix": "10.1.0.0/24"}}, {"name": "b", "properties": {"addressPrefix": "10.1.1.0/24"}}]}});
    let r = env.put(&vnet_path("rg", "v1"), NET, body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.state(), "Succeeded", "time_scale 0 completes immediately");
    assert_eq!(r.body["properties"]["subnets"].as_array().unwrap().len(), 2);
    assert_eq!(
        env.get(&subnet_path("rg", "v1", "b"), NET).await.status,
        200
    );
    // A PUT without `subnets` keeps them.
    let r = env.put(&vnet_path("rg", "v1"), NET, json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["properties"]["subnets"].as_array().unwrap().len(), 2);
    // An explicit list replaces them.
    let r = env
        .put(&vnet_path("rg", "v1"), NET, json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}, "subnets": [{"name": "a", "properties": {"addressPrefix": "10.1.0.0/24"}}]}}))
        .await;
    assert_eq!(r.status, 200);
    let list = env
        .get(&format!("{}/subnets", vnet_path("rg", "v1")), NET)
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn managed_cluster_and_agent_pools() {
    let env = start(config(0.002)).await;
    env.rg("rg").await;
    env.vnet("rg", "vnet", "10.10.0.0/16").await;
    let s = env.subnet("rg", "vnet", "nodes", "10.10.0.0/20").await;
    let subnet_id = s.body["id"].as_str().unwrap().to_string();

    let r = env
        .put(
            &cluster_path("rg", "Demo"),
            AKS,
            cluster_body(Some(&subnet_id)),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.state(), "Creating");
    assert!(
        r.h("azure-asyncoperation")
            .unwrap()
            .contains("/providers/Microsoft.ContainerService/locations/westeurope/operations/")
    );
    assert!(r.h("retry-after").is_some());
    let p = &r.body["properties"];
    assert_eq!(r.body["location"], "westeurope");
    assert_eq!(p["kubernetesVersion"], "1.33");
    assert!(
        p["currentKubernetesVersion"]
            .as_str()
            .unwrap()
            .starts_with("1.33.")
    );
    assert_eq!(p["nodeResourceGroup"], "MC_rg_Demo_westeurope");
    let fqdn = p["fqdn"].as_str().unwrap();
    assert!(
        fqdn.starts_with("demo-") && fqdn.ends_with(".hcp.westeurope.azmk8s.io"),
        "{fqdn}"
    );
    assert_eq!(p["networkProfile"]["serviceCidr"], "10.0.0.0/16");
    assert_eq!(p["networkProfile"]["dnsServiceIP"], "10.0.0.10");
    assert_eq!(p["networkProfile"]["outboundType"], "loadBalancer");
    assert_eq!(p["networkProfile"]["loadBalancerSku"], "standard");
    assert_eq!(r.body["sku"]["tier"], "Free");
    assert!(r.body["identity"]["principalId"].is_string());
    let pools = p["agentPoolProfiles"].as_array().unwrap();
    assert_eq!(pools.len(), 1);
    assert_eq!(pools[0]["provisioningState"], "Creating");
    assert_eq!(pools[0]["osType"], "Linux");
    assert_eq!(pools[0]["osSKU"], "Ubuntu");

    // Another write while creating → 409 OperationNotAllowed.
    let busy = env
        .put(
            &pool_path("rg", "demo", "user1"),
            AKS,
            json!({"properties": {"count": 1}}),
        )
        .await;
    assert_eq!(
        (busy.status, busy.code().as_str()),
        (409, "OperationNotAllowed"),
        "{:?}",
        busy.body
    );

    let st = env.wait_aao(&r).await;
    assert_eq!(st.body["status"], "Succeeded");
    let got = env.get(&cluster_path("rg", "demo"), AKS).await;
    assert_eq!(got.state(), "Succeeded");
    assert_eq!(got.body["properties"]["powerState"]["code"], "Running");
    assert_eq!(
        got.body["properties"]["agentPoolProfiles"][0]["provisioningState"],
        "Succeeded"
    );
    let ex = example("ManagedClustersGet.json");
    let mut miss = Vec::new();
    missing_keys(&ex["responses"]["200"]["body"], &got.body, "", &mut miss);
    // Fields the example sent (or that only exist with those inputs).
    miss.retain(|m| {
        ![
            "diskEncryptionSetID",
            "linuxProfile",
            "servicePrincipalProfile",
            "upgradeSettings",
            "outboundIPs",
            "availabilityZones",
            ".tags",
            "allocatedOutboundPorts",
            "idleTimeoutInMinutes",
            "podCidr",
        ]
        .iter()
        .any(|x| m.contains(x))
    });
    assert!(miss.is_empty(), "{miss:?}");

    // Pools: list, create, shape.
    let list = env
        .get(&format!("{}/agentPools", cluster_path("rg", "demo")), AKS)
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(
        list.body["value"][0]["type"],
        "Microsoft.ContainerService/managedClusters/agentPools"
    );
    let ex = example("AgentPoolsCreate_Update.json");
    let mut req = ex["parameters"]["parameters"].clone();
    req["properties"]["vnetSubnetID"] = json!(subnet_id);
    let pr = env
        .put(&pool_path("rg", "demo", "agentpool1"), AKS, req)
        .await;
    assert_eq!(pr.status, 201, "{:?}", pr.body);
    assert_eq!(pr.state(), "Creating");
    let mut miss = Vec::new();
    missing_keys(&ex["responses"]["201"]["body"], &pr.body, "", &mut miss);
    assert!(miss.is_empty(), "{miss:?}");
    assert_eq!(pr.body["properties"]["orchestratorVersion"], "1.33");
    env.wait_aao(&pr).await;
    let pg = env.get(&pool_path("rg", "demo", "agentpool1"), AKS).await;
    assert_eq!(pg.state(), "Succeeded");
    assert!(pg.body["properties"]["nodeImageVersion"].is_string());
    let c = env.get(&cluster_path("rg", "demo"), AKS).await;
    assert_eq!(
        c.body["properties"]["agentPoolProfiles"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "cluster body lists the new pool"
    );

    // Immutable pool field.
    let mut req = ex["parameters"]["parameters"].clone();
    req["properties"]["vmSize"] = json!("Standard_D8s_v5");
    req["properties"]["vnetSubnetID"] = json!(subnet_id);
    let bad = env
        .put(&pool_path("rg", "demo", "agentpool1"), AKS, req)
        .await;
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (400, "PropertyChangeNotAllowed")
    );
    assert!(
        bad.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("vmSize")
    );

    // Subnet in use.
    let d = env.delete(&subnet_path("rg", "vnet", "nodes"), NET).await;
    assert_eq!(
        (d.status, d.code().as_str()),
        (400, "InUseSubnetCannotBeDeleted")
    );

    // Delete the cluster: pools go with it.
    let d = env.delete(&cluster_path("rg", "demo"), AKS).await;
    assert_eq!(d.status, 202);
    assert!(d.h("location").is_some() && d.h("azure-asyncoperation").is_some());
    let mid = env.get(&cluster_path("rg", "demo"), AKS).await;
    if mid.status == 200 {
        assert_eq!(mid.state(), "Deleting");
    }
    let fin = env.wait_aao(&d).await;
    assert_eq!(fin.body["status"], "Succeeded");
    assert_eq!(env.wait_location(&d).await.status, 204);
    assert_eq!(env.get(&cluster_path("rg", "demo"), AKS).await.status, 404);
    assert_eq!(
        env.get(&pool_path("rg", "demo", "agentpool1"), AKS)
            .await
            .status,
        404
    );
    // Now the subnet can go.
    let d = env.delete(&subnet_path("rg", "vnet", "nodes"), NET).await;
    assert_eq!(d.status, 202, "{:?}", d.body);
}

#[tokio::test]
async fn dual_stack_example_request_is_accepted() {
    let env = start(config(0.0)).await;
    env.rg("rg1").await;
    let ex = example("ManagedClustersCreate_DualStackNetworking.json");
    // The example's placeholder location is no region ARM knows (it would answer
    // LocationNotAvailableForResourceType); everything else is sent verbatim.
    let mut body = ex["parameters"]["parameters"].clone();
    assert_eq!(body["location"], "location1");
    body["location"] = json!("eastus");
    let r = env
        .put(&cluster_path("rg1", "clustername1"), AKS, body)
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let mut miss = Vec::new();
    missing_keys(&ex["responses"]["200"]["body"], &r.body, "", &mut miss);
    miss.retain(|m| {
        !m.contains("allocatedOutboundPorts")
            && !m.contains("idleTimeoutInMinutes")
            && !m.contains("countIPv6")
    });
    assert!(miss.is_empty(), "{miss:?}");
    assert!(
        r.body["properties"]["servicePrincipalProfile"]
            .get("secret")
            .is_none(),
        "secrets are never returned"
    );
    assert!(
        r.body["properties"]["windowsProfile"]
            .get("adminPassword")
            .is_none()
    );
    assert_eq!(
        r.body["identity"]["userAssignedIdentities"]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()["clientId"]
            .as_str()
            .unwrap()
            .len(),
        36
    );
}

#[tokio::test]
async fn group_delete_cascades() {
    let env = start(config(0.001)).await;
    env.rg("rg").await;
    env.vnet("rg", "v1", "10.0.0.0/16").await;
    let s = env.subnet("rg", "v1", "s", "10.0.0.0/24").await;
    // The default serviceCidr 10.0.0.0/16 overlaps that subnet: AKS refuses.
    let r = env
        .put(
            &cluster_path("rg", "c"),
            AKS,
            cluster_body(s.body["id"].as_str()),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "ServiceCidrOverlapExistingSubnetsCidr")
    );
    let mut body = cluster_body(s.body["id"].as_str());
    body["properties"]["networkProfile"] =
        json!({"serviceCidr": "172.16.0.0/16", "dnsServiceIP": "172.16.0.10"});
    let r = env.put(&cluster_path("rg", "c"), AKS, body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    env.wait_aao(&r).await;
    let d = env.delete(&rg_path("rg"), RES).await;
    assert_eq!(d.status, 202);
    let loc = d.h("location").unwrap();
    assert!(
        loc.contains(&format!("/subscriptions/{SUB}/operationresults/")),
        "{loc}"
    );
    let blocked = env.put(&vnet_path("rg", "v2"), NET, json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}}})).await;
    assert_eq!(blocked.status, 409);
    env.wait_location(&d).await;
    for p in [
        rg_path("rg"),
        vnet_path("rg", "v1"),
        subnet_path("rg", "v1", "s"),
        cluster_path("rg", "c"),
        pool_path("rg", "c", "system"),
    ] {
        let api = if p.contains("Network") {
            NET
        } else if p.contains("Container") {
            AKS
        } else {
            RES
        };
        assert_eq!(env.get(&p, api).await.status, 404, "{p}");
    }
}

#[tokio::test]
async fn state_survives_restart_and_pending_ops_complete_lazily() {
    let dir = std::env::temp_dir().join(format!("capz-emu-{}", uuid_like()));
    let path = dir.join("state.sqlite");
    let mut cfg = config(0.004); // cluster create ≈ 0.96 s
    cfg.state_path = Some(path.clone());
    let env = start(cfg.clone()).await;
    env.rg("rg").await;
    let r = env
        .put(&cluster_path("rg", "c"), AKS, cluster_body(None))
        .await;
    assert_eq!(r.state(), "Creating");
    let aao = r.h("azure-asyncoperation").unwrap();
    env.server.shutdown().await;

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let env2 = start(cfg).await;
    let got = env2.get(&cluster_path("rg", "c"), AKS).await;
    assert_eq!(got.status, 200);
    assert_eq!(
        got.state(),
        "Succeeded",
        "the create finished while no process ran"
    );
    // The old operation URL (old port) still resolves by path on the new server.
    let path_only = aao
        .split_once("/subscriptions/")
        .map(|x| format!("/subscriptions/{}", x.1))
        .unwrap();
    let st = env2
        .send(
            "GET",
            &format!("{}{}", env2.server.base_url, path_only),
            None,
        )
        .await;
    assert_eq!(st.body["status"], "Succeeded");
    env2.server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}
