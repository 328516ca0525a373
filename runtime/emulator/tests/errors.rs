//! Error answers: api-version, subscription, group/parent missing, malformed bodies,
//! validation, immutables, concurrency, headers.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn api_version_and_subscription_errors() {
    let env = start(config(0.0)).await;
    let r = env.send("GET", &env.url(&rg_path("x"), ""), None).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "MissingApiVersionParameter")
    );
    let r = env.get(&rg_path("x"), "2099-01-01").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidApiVersionParameter")
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2025-04-01")
    );
    env.rg("rg").await;
    let r = env.get(&vnet_path("rg", "vn"), "2099-01-01").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "NoRegisteredProviderFound")
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2026-01-01")
    );
    let r = env.get(&vnet_path("rg", "vn"), "garbage").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidApiVersionParameter")
    );
    let r = env
        .get(
            "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg",
            RES,
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (404, "SubscriptionNotFound"));
    let r = env
        .get(
            &format!("{}/providers/Microsoft.Network/fooBars/x", rg_path("rg")),
            NET,
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (404, "InvalidResourceType"));
}

#[tokio::test]
async fn missing_group_and_parent() {
    let env = start(config(0.0)).await;
    let body = json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}});
    let r = env.put(&vnet_path("nope", "vn"), NET, body).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "ResourceGroupNotFound")
    );
    let r = env.get(&vnet_path("nope", "vn"), NET).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "ResourceGroupNotFound")
    );
    env.rg("rg").await;
    let r = env.get(&vnet_path("rg", "vn"), NET).await;
    assert_eq!((r.status, r.code().as_str()), (404, "ResourceNotFound"));
    let r = env
        .put(
            &subnet_path("rg", "vn", "s"),
            NET,
            json!({"properties": {"addressPrefix": "10.0.0.0/24"}}),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "ParentResourceNotFound")
    );
    let r = env
        .put(&pool_path("rg", "c", "p1"), AKS, json!({"properties": {}}))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "ParentResourceNotFound")
    );
    let r = env.delete(&vnet_path("rg", "vn"), NET).await;
    assert_eq!(r.status, 204);
    let r = env
        .get(&format!("{}/subnets", vnet_path("rg", "vn")), NET)
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn body_validation() {
    let env = start(config(0.0)).await;
    env.rg("rg").await;
    let r = env
        .send(
            "PUT",
            &env.url(&vnet_path("rg", "vn"), NET),
            Some("{not json"),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidRequestContent")
    );
    let r = env
        .put(
            &vnet_path("rg", "vn"),
            NET,
            json!({"properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "LocationRequired"));
    let r = env.put(&vnet_path("rg", "vn"), NET, json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": "10.0.0.0/16"}}})).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidRequestContent")
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("addressPrefixes")
    );
    let r = env.put(&vnet_path("rg", "vn"), NET, json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.1/16"]}}})).await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidCIDRNotation"));
    let r = env.put(&vnet_path("rg", "vn"), NET, json!({"location": "westeurope", "tags": {"a": 1}, "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}})).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidRequestContent")
    );
    env.vnet("rg", "vn", "10.0.0.0/16").await;
    let moved = env.put(&vnet_path("rg", "vn"), NET, json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}})).await;
    assert_eq!(
        (moved.status, moved.code().as_str()),
        (409, "InvalidResourceLocation")
    );

    // Subnets: range outside, overlap, missing prefix.
    let r = env.subnet("rg", "vn", "a", "10.1.0.0/24").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "NetcfgSubnetRangeOutsideVnet")
    );
    assert_eq!(env.subnet("rg", "vn", "a", "10.0.0.0/24").await.status, 201);
    let r = env.subnet("rg", "vn", "b", "10.0.0.128/25").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "NetcfgSubnetRangesOverlap")
    );
    assert!(r.body["error"]["message"].as_str().unwrap().contains("'a'"));
    let r = env
        .put(
            &subnet_path("rg", "vn", "c"),
            NET,
            json!({"properties": {}}),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "NoAddressPrefixOrPoolProvided")
    );
    // Shrinking the VNet below an existing subnet.
    let r = env.put(&vnet_path("rg", "vn"), NET, json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.0.128.0/17"]}}})).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "NetcfgSubnetRangeOutsideVnet")
    );
}

#[tokio::test]
async fn aks_validation() {
    let env = start(config(0.0)).await;
    env.rg("rg").await;
    let mut b = cluster_body(None);
    b["properties"]["agentPoolProfiles"][0]["osType"] = json!("Solaris");
    let r = env.put(&cluster_path("rg", "c"), AKS, b).await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidParameter"));
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("osType")
    );

    let mut b = cluster_body(None);
    b["properties"]["networkProfile"] =
        json!({"serviceCidr": "10.0.0.0/16", "dnsServiceIP": "10.1.0.10"});
    let r = env.put(&cluster_path("rg", "c"), AKS, b).await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidParameter"));
    assert_eq!(
        r.body["error"]["target"],
        "properties.networkProfile.dnsServiceIP"
    );

    let mut b = cluster_body(None);
    b["properties"]["kubernetesVersion"] = json!("1.12");
    let r = env.put(&cluster_path("rg", "c"), AKS, b).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "AgentPoolK8sVersionNotSupported")
    );
    assert_eq!(
        r.body["error"]["message"],
        "Version 1.12 is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region. For more information, please check https://aka.ms/supported-version-list"
    );

    let mut b = cluster_body(None);
    b["properties"]["agentPoolProfiles"][0]["mode"] = json!("User");
    let r = env.put(&cluster_path("rg", "c"), AKS, b).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "MustDefineAtLeastOneSystemPool")
    );

    let mut b = cluster_body(None);
    b["properties"]["agentPoolProfiles"][0]["name"] = json!("Bad_Name");
    let r = env.put(&cluster_path("rg", "c"), AKS, b).await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidParameter"));

    let mut b = cluster_body(None);
    b["properties"]["agentPoolProfiles"][0]["vnetSubnetID"] =
        json!(format!("{}/subnets/none", vnet_path("rg", "nov")));
    let r = env.put(&cluster_path("rg", "c"), AKS, b).await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidParameter"));

    // Immutables on update.
    let r = env
        .put(&cluster_path("rg", "c"), AKS, cluster_body(None))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let mut b = cluster_body(None);
    b["properties"]["dnsPrefix"] = json!("other");
    let r = env.put(&cluster_path("rg", "c"), AKS, b).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "PropertyChangeNotAllowed")
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("dnsPrefix")
    );
    let mut b = cluster_body(None);
    b["properties"]["agentPoolProfiles"][0]["osDiskSizeGB"] = json!(256);
    let r = env.put(&cluster_path("rg", "c"), AKS, b).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "PropertyChangeNotAllowed")
    );
    let mut b = cluster_body(None);
    b["location"] = json!("eastus");
    let r = env.put(&cluster_path("rg", "c"), AKS, b).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "InvalidResourceLocation")
    );
    // An update that changes a mutable field is 200 with Updating... (instant here).
    let mut b = cluster_body(None);
    b["properties"]["agentPoolProfiles"][0]["count"] = json!(3);
    let r = env.put(&cluster_path("rg", "c"), AKS, b).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["properties"]["agentPoolProfiles"][0]["count"], 3);
    let p = env.get(&pool_path("rg", "c", "system"), AKS).await;
    assert_eq!(
        p.body["properties"]["count"], 3,
        "cluster PUT updates the pool resource"
    );
    // Last system pool cannot go.
    let r = env.delete(&pool_path("rg", "c", "system"), AKS).await;
    assert_eq!((r.status, r.code().as_str()), (400, "OperationNotAllowed"));
}

#[tokio::test]
async fn network_conflicts_are_429_and_aks_409() {
    let env = start(config(0.05)).await; // vnet create 0.5 s, subnet 0.25 s
    env.rg("rg").await;
    let body = json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}});
    let r = env.put(&vnet_path("rg", "vn"), NET, body.clone()).await;
    assert_eq!(r.status, 201);
    let again = env.put(&vnet_path("rg", "vn"), NET, body).await;
    assert_eq!(
        (again.status, again.code().as_str()),
        (429, "RetryableErrorDueToAnotherOperation")
    );
    assert!(again.h("retry-after").is_some());
    let s = env
        .put(
            &subnet_path("rg", "vn", "a"),
            NET,
            json!({"properties": {"addressPrefix": "10.0.0.0/24"}}),
        )
        .await;
    assert_eq!(s.status, 429, "subnet writes wait for the VNet operation");
    env.wait_aao(&r).await;
    let s = env
        .put(
            &subnet_path("rg", "vn", "a"),
            NET,
            json!({"properties": {"addressPrefix": "10.0.0.0/24"}}),
        )
        .await;
    assert_eq!(s.status, 201);
    let s2 = env
        .put(
            &subnet_path("rg", "vn", "b"),
            NET,
            json!({"properties": {"addressPrefix": "10.0.1.0/24"}}),
        )
        .await;
    assert_eq!(s2.status, 429, "sibling subnet writes are serialised");
    let d = env.delete(&subnet_path("rg", "vn", "a"), NET).await;
    assert_eq!(d.status, 429);
}

#[tokio::test]
async fn request_headers_and_preconditions() {
    let env = start(config(0.0)).await;
    let r = env
        .http
        .put(env.url(&rg_path("rg"), RES))
        .header("x-ms-correlation-request-id", "corr-123")
        .header("x-ms-client-request-id", "client-9")
        .body(json!({"location": "westeurope"}).to_string())
        .send()
        .await
        .unwrap();
    let h = r.headers();
    assert_eq!(h["x-ms-correlation-request-id"], "corr-123");
    assert_eq!(h["x-ms-client-request-id"], "client-9");
    assert_eq!(h["x-ms-request-id"].to_str().unwrap().len(), 36);
    assert_eq!(h["x-ms-ratelimit-remaining-subscription-writes"], "199");
    let g = env.get(&rg_path("rg"), RES).await;
    assert_eq!(
        g.h("x-ms-ratelimit-remaining-subscription-reads")
            .as_deref(),
        Some("249")
    );
    let d = env.delete(&rg_path("zz"), RES).await;
    assert_eq!(
        d.h("x-ms-ratelimit-remaining-subscription-deletes")
            .as_deref(),
        Some("199")
    );

    env.vnet("rg", "vn", "10.0.0.0/16").await;
    let cur = env.get(&vnet_path("rg", "vn"), NET).await.body["etag"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}).to_string();
    let r = env
        .http
        .put(env.url(&vnet_path("rg", "vn"), NET))
        .header("If-Match", "W/\"stale\"")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 412);
    let r = env
        .http
        .put(env.url(&vnet_path("rg", "vn"), NET))
        .header("If-None-Match", "*")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 412);
    let r = env
        .http
        .put(env.url(&vnet_path("rg", "vn"), NET))
        .header("If-Match", cur)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// Version changes AKS refuses, with its wording: downgrades (patch or minor) and skipped
/// control-plane minors → 400 OperationNotAllowed (rancher/rancher#24071,
/// rancher/dashboard#11884); pool/control-plane skew → NodePoolMcVersionIncompatible
/// (rancher/rancher#33426).
#[tokio::test]
async fn aks_version_changes() {
    let env = start(config(0.0)).await;
    env.rg("rg").await;
    let c = cluster_path("rg", "c");
    let with = |v: &str| {
        let mut b = cluster_body(None);
        b["properties"]["kubernetesVersion"] = json!(v);
        b
    };
    assert_eq!(env.put(&c, AKS, with("1.32.3")).await.status, 201);
    // Patch downgrade.
    let r = env.put(&c, AKS, with("1.32.2")).await;
    assert_eq!((r.status, r.code().as_str()), (400, "OperationNotAllowed"));
    assert_eq!(
        r.body["error"]["message"],
        "Downgrading Kubernetes version 1.32.3 to 1.32.2 is not allowed. Available upgrades: [1.33.5 1.33.4 1.33.3 1.33.2 1.33.1 1.33.0 1.32.9 1.32.8 1.32.7 1.32.6 1.32.5 1.32.4]. Please see https://aka.ms/aks-supported-k8s-ver for version details."
    );
    // Minor downgrade.
    let r = env.put(&c, AKS, with("1.31")).await;
    assert_eq!((r.status, r.code().as_str()), (400, "OperationNotAllowed"));
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Downgrading Kubernetes version 1.32.3 to 1.31.13 is not allowed.")
    );
    // Skipping a minor.
    let r = env.put(&c, AKS, with("1.34")).await;
    assert_eq!((r.status, r.code().as_str()), (400, "OperationNotAllowed"));
    assert!(r.body["error"]["message"].as_str().unwrap().starts_with(
        "Upgrading Kubernetes version 1.32.3 to 1.34.1 is not allowed. Available upgrades: [1.33.5 "
    ));
    // The minor alone: its newest patch (an upgrade).
    let r = env.put(&c, AKS, with("1.32")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["properties"]["currentKubernetesVersion"], "1.32.9");
    // One minor up is fine.
    assert_eq!(env.put(&c, AKS, with("1.33")).await.status, 200);

    // Pools: newer than the control plane, or more than 3 minors older.
    let p = pool_path("rg", "c", "user");
    let pool =
        |v: &str| json!({"properties": {"mode": "User", "count": 1, "orchestratorVersion": v}});
    let r = env.put(&p, AKS, pool("1.34")).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "NodePoolMcVersionIncompatible")
    );
    assert_eq!(
        r.body["error"]["message"],
        "Node pool version 1.34.1 and control plane version 1.33.5 are incompatible. Minor version of node pool version 34 is bigger than control plane version 33. For more information, please check https://aka.ms/version-skew-policy"
    );
    assert_eq!(env.put(&p, AKS, pool("1.30.2")).await.status, 201);
    let r = env.put(&p, AKS, pool("1.30.1")).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "OperationNotAllowed"),
        "pool patch downgrade"
    );
    assert_eq!(env.put(&p, AKS, pool("1.30")).await.status, 200);
}
