//! Test helpers: an in-process emulator and a raw reqwest client.
#![allow(dead_code)]

use std::time::Duration;

use emulator::{Config, Server};
use serde_json::{Value, json};

pub const SUB: &str = emulator::LOCAL_SUBSCRIPTION;
pub const NET: &str = "2026-01-01";
pub const AKS: &str = "2026-08-01";
pub const RES: &str = "2025-04-01";

pub struct Env {
    pub server: Server,
    pub http: reqwest::Client,
}

pub struct R {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl R {
    pub fn h(&self, k: &str) -> Option<String> {
        self.headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    pub fn code(&self) -> String {
        self.body["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
    pub fn state(&self) -> String {
        self.body["properties"]["provisioningState"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

pub fn config(time_scale: f64) -> Config {
    Config {
        time_scale,
        ..Config::default()
    }
}

pub async fn start(cfg: Config) -> Env {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = emulator::start("127.0.0.1:0".parse().unwrap(), cfg)
        .await
        .unwrap();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    Env { server, http }
}

impl Env {
    pub fn url(&self, path: &str, api: &str) -> String {
        if api.is_empty() {
            format!("{}{}", self.server.base_url, path)
        } else if path.contains('?') {
            format!("{}{}&api-version={api}", self.server.base_url, path)
        } else {
            format!("{}{}?api-version={api}", self.server.base_url, path)
        }
    }
    pub async fn send(&self, method: &str, url: &str, body: Option<&str>) -> R {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rq = self.http.request(m, url);
        if let Some(b) = body {
            rq = rq
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = rq.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        R {
            status,
            headers,
            body,
        }
    }
    pub async fn get(&self, path: &str, api: &str) -> R {
        self.send("GET", &self.url(path, api), None).await
    }
    pub async fn put(&self, path: &str, api: &str, body: Value) -> R {
        self.send("PUT", &self.url(path, api), Some(&body.to_string()))
            .await
    }
    pub async fn delete(&self, path: &str, api: &str) -> R {
        self.send("DELETE", &self.url(path, api), None).await
    }
    /// Polls an absolute URL until `done(r)` or timeout.
    pub async fn poll(&self, url: &str, done: impl Fn(&R) -> bool) -> R {
        for _ in 0..400 {
            let r = self.send("GET", url, None).await;
            if done(&r) {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("timed out polling {url}");
    }
    /// Waits for an Azure-AsyncOperation URL to reach a terminal status.
    pub async fn wait_aao(&self, r: &R) -> R {
        let url = r
            .h("azure-asyncoperation")
            .expect("Azure-AsyncOperation header");
        self.poll(&url, |x| x.body["status"] != "InProgress").await
    }
    /// Waits for a Location URL to stop answering 202.
    pub async fn wait_location(&self, r: &R) -> R {
        let url = r.h("location").expect("Location header");
        self.poll(&url, |x| x.status != 202).await
    }
    pub async fn rg(&self, name: &str) {
        let r = self
            .put(&rg_path(name), RES, json!({"location": "westeurope"}))
            .await;
        assert!(r.status == 201 || r.status == 200, "{:?}", r.body);
    }
    pub async fn vnet(&self, rg: &str, name: &str, prefix: &str) -> R {
        let r = self.put(&vnet_path(rg, name), NET, json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": [prefix]}}})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        self.wait_aao(&r).await;
        r
    }
    pub async fn subnet(&self, rg: &str, vnet: &str, name: &str, prefix: &str) -> R {
        let r = self
            .put(
                &subnet_path(rg, vnet, name),
                NET,
                json!({"properties": {"addressPrefix": prefix}}),
            )
            .await;
        if r.status == 201 {
            self.wait_aao(&r).await;
        }
        r
    }
}

pub fn rg_path(rg: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}")
}
pub fn vnet_path(rg: &str, v: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/virtualNetworks/{v}",
        rg_path(rg)
    )
}
pub fn subnet_path(rg: &str, v: &str, s: &str) -> String {
    format!("{}/subnets/{s}", vnet_path(rg, v))
}
pub fn cluster_path(rg: &str, c: &str) -> String {
    format!(
        "{}/providers/Microsoft.ContainerService/managedClusters/{c}",
        rg_path(rg)
    )
}
pub fn pool_path(rg: &str, c: &str, p: &str) -> String {
    format!("{}/agentPools/{p}", cluster_path(rg, c))
}

pub fn cluster_body(subnet_id: Option<&str>) -> Value {
    let mut pool =
        json!({"name": "system", "mode": "System", "count": 2, "vmSize": "Standard_D4s_v5"});
    if let Some(s) = subnet_id {
        pool["vnetSubnetID"] = json!(s);
    }
    json!({
        "location": "West Europe",
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "kubernetesVersion": "1.33",
            "dnsPrefix": "demo",
            "agentPoolProfiles": [pool],
        }
    })
}

/// Key paths present in `example` but missing from `ours` (objects recursively; arrays by
/// their first element).
pub fn missing_keys(example: &Value, ours: &Value, path: &str, out: &mut Vec<String>) {
    match (example, ours) {
        (Value::Object(e), Value::Object(o)) => {
            for (k, v) in e {
                let p = format!("{path}.{k}");
                match o.get(k) {
                    None => out.push(p),
                    Some(ov) => missing_keys(v, ov, &p, out),
                }
            }
        }
        (Value::Array(e), Value::Array(o)) => {
            if let (Some(a), Some(b)) = (e.first(), o.first()) {
                missing_keys(a, b, &format!("{path}[0]"), out);
            }
        }
        _ => {}
    }
}

pub fn example(rel: &str) -> Value {
    let p = format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}")))
        .unwrap()
}
