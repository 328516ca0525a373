//! The emulator's admin endpoint `POST /capz-emulator/aks-auto-upgrade?cluster={armId}`:
//! server-side AKS changes without a client PUT.

mod common;

use common::*;
use serde_json::{Value, json};

async fn auto_upgrade(env: &Env, cluster_id: Option<&str>) -> R {
    let url = match cluster_id {
        Some(id) => format!(
            "{}/capz-emulator/aks-auto-upgrade?cluster={}",
            env.server.base_url,
            id.replace('/', "%2F")
        ),
        None => format!("{}/capz-emulator/aks-auto-upgrade", env.server.base_url),
    };
    env.send("POST", &url, None).await
}

fn pool<'a>(cluster: &'a Value, name: &str) -> &'a Value {
    cluster["properties"]["agentPoolProfiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()
}

#[tokio::test]
async fn auto_upgrade_bumps_server_fields_only() {
    let env = start(config(0.0)).await;
    env.rg("rg").await;
    let cid = cluster_path("rg", "c");
    let r = env.put(&cid, AKS, cluster_body(None)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let r = env
        .put(
            &pool_path("rg", "c", "user"),
            AKS,
            json!({"properties": {"mode": "User", "count": 1, "orchestratorVersion": "1.32"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);

    let before = env.get(&cid, AKS).await.body;
    assert_eq!(before["properties"]["currentKubernetesVersion"], "1.33.5");
    let user_before = env.get(&pool_path("rg", "c", "user"), AKS).await.body;
    assert_eq!(
        user_before["properties"]["currentOrchestratorVersion"],
        "1.32.9"
    );

    let r = auto_upgrade(&env, Some(&cid)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["cluster"], cid);
    let changes = r.body["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 5, "{changes:?}");
    assert!(
        changes.contains(&json!({"id": cid, "field": "currentKubernetesVersion",
                                     "from": "1.33.5", "to": "1.33.6"}))
    );

    let after = env.get(&cid, AKS).await.body;
    let p = &after["properties"];
    assert_eq!(p["kubernetesVersion"], "1.33", "the user's value is kept");
    assert_eq!(p["currentKubernetesVersion"], "1.33.6");
    assert_eq!(p["provisioningState"], "Succeeded");
    assert_ne!(after["eTag"], before["eTag"], "the etag changes");
    for (name, ov, cur) in [("system", "1.33", "1.33.6"), ("user", "1.32", "1.32.10")] {
        let (b, a) = (pool(&before, name), pool(&after, name));
        assert_eq!(a["orchestratorVersion"], ov, "{name}");
        assert_eq!(a["currentOrchestratorVersion"], cur, "{name}");
        assert_ne!(a["nodeImageVersion"], b["nodeImageVersion"], "{name}");
        assert_ne!(a["eTag"], b["eTag"], "{name}");
        assert_eq!(a["provisioningState"], "Succeeded");
    }
    assert_eq!(
        pool(&after, "system")["nodeImageVersion"],
        "AKSUbuntu-2204gen2containerd-202511.07.1"
    );
    // The agentPools resource shows the same as the cluster's agentPoolProfiles.
    let user = env.get(&pool_path("rg", "c", "user"), AKS).await.body;
    assert_eq!(user["properties"]["currentOrchestratorVersion"], "1.32.10");
    assert_eq!(
        user["properties"]["nodeImageVersion"],
        pool(&after, "user")["nodeImageVersion"]
    );
    assert_eq!(user["properties"]["orchestratorVersion"], "1.32");

    // The client PUTs its unchanged body again: the running patch is not lowered.
    let r = env.put(&cid, AKS, cluster_body(None)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let again = env.get(&cid, AKS).await.body;
    assert_eq!(again["properties"]["currentKubernetesVersion"], "1.33.6");
    assert_eq!(
        pool(&again, "system")["currentOrchestratorVersion"],
        "1.33.6"
    );
    let r = env
        .put(
            &pool_path("rg", "c", "user"),
            AKS,
            json!({"properties": {"mode": "User", "count": 1, "orchestratorVersion": "1.32"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.body["properties"]["currentOrchestratorVersion"],
        "1.32.10"
    );
}

#[tokio::test]
async fn auto_upgrade_errors() {
    // AKS create takes 2.4 s here: the cluster is busy right after the PUT.
    let env = start(config(0.01)).await;
    env.rg("rg").await;
    let r = auto_upgrade(&env, None).await;
    assert_eq!((r.status, r.code().as_str()), (400, "MissingParameter"));
    let cid = cluster_path("rg", "c");
    let r = auto_upgrade(&env, Some(&cid)).await;
    assert_eq!((r.status, r.code().as_str()), (404, "ResourceNotFound"));
    // A non-cluster ID is not a cluster.
    let r = auto_upgrade(&env, Some(&rg_path("rg"))).await;
    assert_eq!(r.status, 404);
    let r = env.put(&cid, AKS, cluster_body(None)).await;
    assert_eq!(r.status, 201);
    let r = auto_upgrade(&env, Some(&cid)).await;
    assert_eq!((r.status, r.code().as_str()), (409, "OperationNotAllowed"));
    // Not an ARM path: ARM's GET of it is unknown, and the ARM router does not claim it.
    let r = env
        .send(
            "GET",
            &format!(
                "{}/capz-emulator/aks-auto-upgrade?cluster=x",
                env.server.base_url
            ),
            None,
        )
        .await;
    assert_eq!(r.status, 405);
}
