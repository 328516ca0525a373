//! Dropped-connection faults (`Fault::DropConnection`, `Fault::DropConnectionAfterCommit`)
//! over plain HTTP and TLS, and graceful shutdown of the hyper accept loop.

mod common;

use std::time::Duration;

use common::*;
use emulator::{Fault, FaultRule, TlsConfig};
use serde_json::{Value, json};

fn rule(method: &str, path: &str, fault: Fault) -> FaultRule {
    FaultRule {
        method: Some(method.into()),
        path_contains: Some(path.into()),
        skip: 0,
        times: Some(1),
        probability: 1.0,
        fault,
    }
}

/// Sends a PUT and returns the transport error (panics if any HTTP answer came back).
async fn put_expect_drop(http: &reqwest::Client, url: &str, body: &Value) -> reqwest::Error {
    match http.put(url).json(body).send().await {
        Ok(r) => panic!("expected a dropped connection, got HTTP {}", r.status()),
        Err(e) => e,
    }
}

#[tokio::test]
async fn drop_before_handling_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("requests.jsonl");
    let mut cfg = config(0.0);
    cfg.record_requests = Some(rec.clone());
    cfg.faults = vec![rule("PUT", "/resourcegroups/gone", Fault::DropConnection)];
    let env = start(cfg).await;
    let url = env.url(&rg_path("gone"), RES);
    let err = put_expect_drop(&env.http, &url, &json!({"location": "westeurope"})).await;
    assert!(err.status().is_none(), "no HTTP status: {err:?}");
    assert!(!err.is_timeout(), "closed, not timed out: {err:?}");
    // Nothing was applied.
    assert_eq!(env.get(&rg_path("gone"), RES).await.status, 404);
    // The fault fired once: the retry is answered (on a fresh connection).
    let r = env
        .put(&rg_path("gone"), RES, json!({"location": "westeurope"}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    // The recording shows the dropped request without a status.
    let lines: Vec<Value> = std::fs::read_to_string(&rec)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["dropped"], true);
    assert_eq!(lines[0]["status"], Value::Null);
    assert_eq!(lines[1]["status"], 201);
    assert!(lines[1].get("dropped").is_none());
}

#[tokio::test]
async fn drop_after_commit_applies_the_write() {
    let mut cfg = config(0.0);
    cfg.faults = vec![
        rule(
            "PUT",
            "/virtualnetworks/v1",
            Fault::DropConnectionAfterCommit,
        ),
        rule(
            "DELETE",
            "/virtualnetworks/v1",
            Fault::DropConnectionAfterCommit,
        ),
    ];
    let env = start(cfg).await;
    env.rg("rg").await;
    let body = json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}});
    let err = put_expect_drop(&env.http, &env.url(&vnet_path("rg", "v1"), NET), &body).await;
    assert!(err.status().is_none(), "{err:?}");
    // The write was committed although its answer was lost.
    let got = env.get(&vnet_path("rg", "v1"), NET).await;
    assert_eq!(got.status, 200, "{:?}", got.body);
    assert_eq!(
        got.body["properties"]["addressSpace"]["addressPrefixes"][0],
        "10.1.0.0/16"
    );
    // A client retrying the same PUT gets an ordinary answer (update of its own write).
    let r = env.put(&vnet_path("rg", "v1"), NET, body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);

    // DELETE: the operation starts, then the answer is lost; the VNet goes away anyway.
    let err = env
        .http
        .delete(env.url(&vnet_path("rg", "v1"), NET))
        .send()
        .await
        .expect_err("dropped");
    assert!(err.status().is_none());
    env.poll(&env.url(&vnet_path("rg", "v1"), NET), |r| r.status == 404)
        .await;
}

#[tokio::test]
async fn drop_over_tls() {
    let mut cfg = config(0.0);
    cfg.tls = Some(TlsConfig { cert_out: None });
    cfg.faults = vec![rule("GET", "/resourcegroups/t", Fault::DropConnection)];
    let env = start(cfg).await;
    let pem = env.server.ca_pem.clone().unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()])
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let put = http
        .put(env.url(&rg_path("t"), RES))
        .json(&json!({"location": "westeurope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 201);
    let err = http
        .get(env.url(&rg_path("t"), RES))
        .send()
        .await
        .expect_err("dropped over TLS");
    assert!(err.status().is_none(), "{err:?}");
    let again = http.get(env.url(&rg_path("t"), RES)).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 200);
}

/// Faults that do not drop keep the connection usable: the same keep-alive connection
/// answers the next request (one connection in the pool).
#[tokio::test]
async fn keep_alive_connection_survives_answered_faults() {
    let mut cfg = config(0.0);
    cfg.faults = vec![rule("GET", "/resourcegroups/k", Fault::ServerError)];
    let env = start(cfg).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let r = http.get(env.url(&rg_path("k"), RES)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 500);
    let _ = r.bytes().await.unwrap();
    let r = http.get(env.url(&rg_path("k"), RES)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn graceful_shutdown_answers_in_flight_requests() {
    let mut cfg = config(0.0);
    cfg.faults = vec![rule(
        "GET",
        "/resourcegroups/slow",
        Fault::Delay { millis: 400 },
    )];
    let env = start(cfg).await;
    let url = env.url(&rg_path("slow"), RES);
    let http = env.http.clone();
    let in_flight = tokio::spawn(async move { http.get(url).send().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let base = env.server.base_url.clone();
    let t = std::time::Instant::now();
    env.server.shutdown().await;
    assert!(
        t.elapsed() >= Duration::from_millis(200),
        "shutdown waited for the in-flight request"
    );
    let r = in_flight
        .await
        .unwrap()
        .expect("in-flight request answered");
    assert_eq!(r.status().as_u16(), 404);
    // No longer accepting connections.
    let after = reqwest::Client::new()
        .get(format!("{base}/subscriptions?api-version={RES}"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(after.is_err(), "listener closed after shutdown");
}
