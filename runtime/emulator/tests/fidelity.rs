//! Smaller fidelity gaps of issue #18: private DNS record-set PATCH applies its properties,
//! an oversized body gets ARM's JSON 413, AKS refuses a 101st agent pool. Raw HTTP.

mod common;

use common::*;
use emulator::ThrottleConfig;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DNS: &str = "2024-06-01";

fn record_path(rg: &str, zone: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/privateDnsZones/{zone}/A/{name}",
        rg_path(rg)
    )
}

#[tokio::test]
async fn record_set_patch_applies_its_properties() {
    let env = start(config(0.0)).await;
    env.rg("rg").await;
    let zone = format!(
        "{}/providers/Microsoft.Network/privateDnsZones/corp.internal",
        rg_path("rg")
    );
    let z = env.put(&zone, DNS, json!({"location": "global"})).await;
    assert!(z.status == 201 || z.status == 200, "{:?}", z.body);
    let path = record_path("rg", "corp.internal", "api");
    let r = env
        .put(
            &path,
            DNS,
            json!({"properties": {"ttl": 60, "metadata": {"team": "a"}, "aRecords": [{"ipv4Address": "10.0.0.4"}]}}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let etag = r.body["etag"].clone();
    // PATCH with new records: they replace the old ones; ttl and metadata keep their values.
    let p = env
        .send(
            "PATCH",
            &env.url(&path, DNS),
            Some(&json!({"properties": {"aRecords": [{"ipv4Address": "10.0.0.5"}, {"ipv4Address": "10.0.0.6"}]}}).to_string()),
        )
        .await;
    assert_eq!(p.status, 200, "{:?}", p.body);
    assert_ne!(p.body["etag"], etag);
    let g = env.get(&path, DNS).await;
    let props = &g.body["properties"];
    assert_eq!(
        props["aRecords"],
        json!([{"ipv4Address": "10.0.0.5"}, {"ipv4Address": "10.0.0.6"}])
    );
    assert_eq!(props["ttl"], 60);
    assert_eq!(props["metadata"], json!({"team": "a"}));
    assert_eq!(props["fqdn"], "api.corp.internal.");
    // ttl alone; the PUT's rules apply (a bad address is refused and changes nothing).
    let p = env
        .send(
            "PATCH",
            &env.url(&path, DNS),
            Some(&json!({"properties": {"ttl": 300}}).to_string()),
        )
        .await;
    assert_eq!(p.body["properties"]["ttl"], 300, "{:?}", p.body);
    assert_eq!(
        p.body["properties"]["aRecords"].as_array().unwrap().len(),
        2
    );
    let bad = env
        .send(
            "PATCH",
            &env.url(&path, DNS),
            Some(&json!({"properties": {"aRecords": [{"ipv4Address": "10.0.0"}]}}).to_string()),
        )
        .await;
    assert_eq!((bad.status, bad.code().as_str()), (400, "InvalidParameter"));
    assert_eq!(
        env.get(&path, DNS).await.body["properties"]["aRecords"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Tags only still works.
    let p = env
        .send(
            "PATCH",
            &env.url(&path, DNS),
            Some(&json!({"tags": {"k": "v"}}).to_string()),
        )
        .await;
    assert_eq!(p.body["tags"], json!({"k": "v"}));
    assert_eq!(p.body["properties"]["ttl"], 300);
}

fn assert_too_large(status: u16, body: &Value) {
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "RequestContentTooLarge");
    assert_eq!(
        body["error"]["message"],
        "The request content size exceeds the maximum size of 4 MB."
    );
}

#[tokio::test]
async fn oversized_bodies_get_arms_json_413() {
    let env = start(config(0.0)).await;
    let filler = "a".repeat(5 * 1024 * 1024);
    let body = json!({"location": "westeurope", "tags": {"big": filler}});
    let r = env.put(&rg_path("rg"), RES, body).await;
    assert_too_large(r.status, &r.body);
    assert!(r.h("x-ms-request-id").is_some());
    assert_eq!(env.get(&rg_path("rg"), RES).await.status, 404);
    // Under the limit (3 MB) the body reaches the resource rules, whatever they answer: not 413.
    let r = env
        .put(
            &rg_path("rg"),
            RES,
            json!({"location": "westeurope", "tags": {"big": "a".repeat(3 * 1024 * 1024)}}),
        )
        .await;
    assert_ne!(r.status, 413, "{:?}", r.body);
    // A chunked body (no Content-Length) over the limit: the same answer, read no further.
    let addr = env.server.addr;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let path = format!("{}?api-version={RES}", rg_path("rg"));
    s.write_all(
        format!(
            "PUT {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..5 {
        if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .is_err()
            || s.write_all(&chunk).await.is_err()
            || s.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    let json_start = text.find("{\"error\"").expect("JSON error body");
    let body: Value = serde_json::from_str(text[json_start..].trim()).unwrap();
    assert_too_large(413, &body);
}

#[tokio::test]
async fn a_cluster_has_at_most_100_agent_pools() {
    let mut cfg = config(0.0);
    cfg.throttle = ThrottleConfig {
        enabled: false,
        scale: 1.0,
    };
    let env = start(cfg).await;
    env.rg("rg").await;
    let pools = |n: usize| -> Value {
        let mut v = vec![
            json!({"name": "system", "mode": "System", "count": 1, "vmSize": "Standard_D4s_v5"}),
        ];
        for i in 1..n {
            v.push(json!({"name": format!("user{i}"), "mode": "User", "count": 1, "vmSize": "Standard_D4s_v5"}));
        }
        Value::Array(v)
    };
    let body = |n: usize| {
        let mut b = cluster_body(None);
        b["properties"]["agentPoolProfiles"] = pools(n);
        b
    };
    // 101 in one create: refused, nothing created.
    let r = env.put(&cluster_path("rg", "big"), AKS, body(101)).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "OperationNotAllowed"),
        "{:?}",
        r.body
    );
    assert!(r.body["error"]["message"].as_str().unwrap().contains("100"));
    assert_eq!(env.get(&cluster_path("rg", "big"), AKS).await.status, 404);
    // 100: fine.
    let r = env.put(&cluster_path("rg", "big"), AKS, body(100)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    env.wait_aao(&r).await;
    let list = env
        .get(&format!("{}/agentPools", cluster_path("rg", "big")), AKS)
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 100);
    // A 101st pool on its own: refused; updating one of the 100 is not.
    let r = env
        .put(
            &pool_path("rg", "big", "extra"),
            AKS,
            json!({"properties": {"count": 1, "vmSize": "Standard_D4s_v5", "mode": "User"}}),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "OperationNotAllowed"),
        "{:?}",
        r.body
    );
    let r = env
        .put(
            &pool_path("rg", "big", "user7"),
            AKS,
            json!({"properties": {"count": 2, "vmSize": "Standard_D4s_v5", "mode": "User"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}
