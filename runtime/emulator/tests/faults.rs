//! Throttling and fault injection.

mod common;

use common::*;
use emulator::{Fault, FaultRule, ThrottleConfig};
use serde_json::json;

#[tokio::test]
async fn throttling_returns_429_with_retry_after() {
    let mut cfg = config(0.0);
    cfg.throttle = ThrottleConfig {
        enabled: true,
        scale: 0.02,
    }; // reads bucket 5, refill 0.5/s
    let env = start(cfg).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let r = env
            .get(&format!("/subscriptions/{SUB}/resourcegroups"), RES)
            .await;
        statuses.push(r.status);
        if r.status == 429 {
            assert_eq!(r.code(), "SubscriptionRequestsThrottled");
            assert!(r.h("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
        }
    }
    assert_eq!(&statuses[..5], &[200; 5]);
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    // Writes have their own bucket.
    let r = env
        .put(&rg_path("rg"), RES, json!({"location": "westeurope"}))
        .await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn scripted_faults() {
    let mut cfg = config(0.0);
    cfg.faults = vec![
        FaultRule {
            method: Some("GET".into()),
            path_contains: Some("/resourcegroups/flaky".into()),
            skip: 1,
            times: Some(2),
            probability: 1.0,
            fault: Fault::ServerError,
        },
        FaultRule {
            method: Some("PUT".into()),
            path_contains: Some("/resourcegroups/busy".into()),
            skip: 0,
            times: Some(1),
            probability: 1.0,
            fault: Fault::Throttle {
                retry_after_secs: 3,
            },
        },
        FaultRule {
            method: Some("PUT".into()),
            path_contains: Some("/managedclusters/".into()),
            skip: 0,
            times: Some(1),
            probability: 1.0,
            fault: Fault::FailOperation {
                code: "QuotaExceeded".into(),
                message: "Insufficient regional vcpu quota left".into(),
            },
        },
        FaultRule {
            method: Some("GET".into()),
            path_contains: Some("/resourcegroups/slow".into()),
            skip: 0,
            times: None,
            probability: 1.0,
            fault: Fault::Delay { millis: 300 },
        },
    ];
    let env = start(cfg).await;
    env.rg("flaky").await;
    let codes: Vec<u16> = futures_seq(&env, &rg_path("flaky"), 4).await;
    assert_eq!(codes, vec![200, 500, 500, 200]);

    let r = env
        .put(&rg_path("busy"), RES, json!({"location": "westeurope"}))
        .await;
    assert_eq!(
        (r.status, r.code().as_str(), r.h("retry-after").as_deref()),
        (429, "TooManyRequests", Some("3"))
    );
    assert_eq!(
        env.get(&rg_path("busy"), RES).await.status,
        404,
        "a throttled request changes nothing"
    );
    assert_eq!(
        env.put(&rg_path("busy"), RES, json!({"location": "westeurope"}))
            .await
            .status,
        201
    );

    let r = env
        .put(&cluster_path("busy", "c"), AKS, cluster_body(None))
        .await;
    assert_eq!(r.status, 201);
    let st = env.wait_aao(&r).await;
    assert_eq!(st.body["status"], "Failed");
    assert_eq!(st.body["error"]["code"], "QuotaExceeded");
    let got = env.get(&cluster_path("busy", "c"), AKS).await;
    assert_eq!(got.state(), "Failed");
    // A retried PUT (the fault fired once) succeeds.
    let r = env
        .put(&cluster_path("busy", "c"), AKS, cluster_body(None))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(env.wait_aao(&r).await.body["status"], "Succeeded");

    env.rg("slow").await;
    let t = std::time::Instant::now();
    assert_eq!(env.get(&rg_path("slow"), RES).await.status, 200);
    assert!(t.elapsed() >= std::time::Duration::from_millis(300));
}

async fn futures_seq(env: &Env, path: &str, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(env.get(path, RES).await.status);
    }
    out
}

/// AKS's own PUT buckets (quotas-skus-regions: 20 + 1/minute for ManagedClusters and,
/// separately, AgentPools of one cluster), here × 0.1 = 2 PUTs each.
#[tokio::test]
async fn aks_put_throttling_per_cluster() {
    let mut cfg = config(0.0);
    cfg.throttle = ThrottleConfig {
        enabled: true,
        scale: 0.1,
    };
    let env = start(cfg).await;
    env.rg("rg").await;
    let c = cluster_path("rg", "c");
    for expect in [201, 200] {
        let r = env.put(&c, AKS, cluster_body(None)).await;
        assert_eq!(r.status, expect, "{:?}", r.body);
    }
    let mut changed = cluster_body(None);
    changed["tags"] = json!({"try": "3"});
    let r = env.put(&c, AKS, changed).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (429, "Throttled"),
        "{:?}",
        r.body
    );
    let wait: u64 = r.h("retry-after").unwrap().parse().unwrap();
    assert!(wait >= 1);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PutManagedClusterHandler.PUT request limit has been exceeded"),
        "{:?}",
        r.body
    );
    assert_eq!(r.h("x-ms-failure-cause").as_deref(), Some("service"));
    // ARM's gateway let it through (its write bucket was drawn from).
    assert!(
        r.h("x-ms-ratelimit-remaining-subscription-writes")
            .is_some()
    );
    // The throttled PUT changed nothing.
    assert!(env.get(&c, AKS).await.body.get("tags").is_none());

    // Agent pools of the same cluster have their own bucket.
    let p = pool_path("rg", "c", "user");
    let body = json!({"properties": {"mode": "User", "count": 1}});
    for expect in [201, 200] {
        assert_eq!(env.put(&p, AKS, body.clone()).await.status, expect);
    }
    let r = env.put(&p, AKS, body).await;
    assert_eq!((r.status, r.code().as_str()), (429, "Throttled"));
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PutAgentPoolHandler.PUT")
    );

    // Another cluster is not affected; reads and deletes are not AKS-throttled.
    let r = env
        .put(&cluster_path("rg", "other"), AKS, cluster_body(None))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(env.get(&c, AKS).await.status, 200);
    assert_eq!(env.delete(&p, AKS).await.status, 202);
}
