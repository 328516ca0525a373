//! ARM client tests against a scripted mock server (each path plays one protocol case).

use super::client::USER_AGENT;
use super::*;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response as AxResponse};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

#[derive(Default)]
struct Mock {
    base: OnceLock<String>,
    counts: Mutex<BTreeMap<String, usize>>,
    seen: Mutex<Vec<(String, String, HeaderMap)>>,
}

impl Mock {
    fn hit(&self, key: &str) -> usize {
        let mut c = self.counts.lock().unwrap();
        let n = c.entry(key.to_string()).or_insert(0);
        *n += 1;
        *n
    }
    fn count(&self, key: &str) -> usize {
        self.counts.lock().unwrap().get(key).copied().unwrap_or(0)
    }
}

fn reply(status: u16, headers: &[(&str, String)], body: Option<serde_json::Value>) -> AxResponse {
    let mut r = match body {
        Some(b) => (StatusCode::from_u16(status).unwrap(), b.to_string()).into_response(),
        None => StatusCode::from_u16(status).unwrap().into_response(),
    };
    for (k, v) in headers {
        r.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    r
}

async fn handle(
    State(m): State<Arc<Mock>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> AxResponse {
    let path = uri.path().to_string();
    m.seen
        .lock()
        .unwrap()
        .push((method.to_string(), uri.to_string(), headers.clone()));
    let base = m.base.get().cloned().unwrap_or_default();
    let key = format!("{method} {path}");
    let n = m.hit(&key);
    let ok =
        |name: &str, state: &str| json!({"name": name, "properties": {"provisioningState": state}});
    match (method.as_str(), path.as_str()) {
        ("PUT", "/r/a") => reply(
            201,
            &[
                (
                    "azure-asyncoperation",
                    format!("{base}/ops/a?api-version=1"),
                ),
                ("retry-after", "1".into()),
            ],
            Some(ok("a", "Creating")),
        ),
        ("GET", "/ops/a") if n < 3 => reply(200, &[], Some(json!({"status": "InProgress"}))),
        ("GET", "/ops/a") => reply(200, &[], Some(json!({"status": "Succeeded"}))),
        ("GET", "/r/a") => reply(200, &[], Some(ok("a", "Succeeded"))),
        ("PUT", "/r/b") => reply(
            201,
            &[("azure-asyncoperation", format!("{base}/ops/b"))],
            Some(ok("b", "Creating")),
        ),
        ("GET", "/ops/b") => reply(
            200,
            &[("x-ms-request-id", "req-b".into())],
            Some(
                json!({"status": "Failed", "error": {"code": "QuotaExceeded", "message": "no cores left"}}),
            ),
        ),
        ("DELETE", "/r/c") => reply(202, &[("location", format!("{base}/loc/c"))], None),
        ("GET", "/loc/c") if n < 3 => reply(202, &[("retry-after", "0".into())], None),
        ("GET", "/loc/c") => reply(204, &[], None),
        ("GET", "/r/d") if n < 3 => reply(
            429,
            &[("retry-after", "0".into())],
            Some(json!({"error": {"code": "TooManyRequests", "message": "slow down"}})),
        ),
        ("GET", "/r/d") => reply(200, &[], Some(ok("d", "Succeeded"))),
        ("PUT", "/r/e") if n < 2 => reply(
            409,
            &[],
            Some(json!({"error": {"code": "AnotherOperationInProgress", "message": "busy"}})),
        ),
        ("PUT", "/r/e") => reply(200, &[], Some(ok("e", "Succeeded"))),
        ("GET", "/r/e") => reply(200, &[], Some(ok("e", "Succeeded"))),
        ("GET", "/r/f") => reply(
            400,
            &[
                ("x-ms-request-id", "req-f".into()),
                ("x-ms-correlation-request-id", "corr-f".into()),
            ],
            Some(json!({"error": {"code": "InvalidParameter", "message": "bad name"}})),
        ),
        ("GET", "/r/g") => reply(
            200,
            &[],
            Some(
                json!({"value": [{"name": "1"}, {"name": "2"}], "nextLink": format!("{base}/r/g2?page=2")}),
            ),
        ),
        ("GET", "/r/g2") => reply(200, &[], Some(json!({"value": [{"name": "3"}]}))),
        ("PUT", "/r/h") => reply(200, &[], Some(ok("h", "Updating"))),
        ("GET", "/r/h") if n < 2 => reply(200, &[], Some(ok("h", "Updating"))),
        ("GET", "/r/h") => reply(200, &[], Some(ok("h", "Succeeded"))),
        ("PUT", "/r/k") if n < 6 => reply(
            409,
            &[],
            Some(
                json!({"error": {"code": "OperationNotAllowed", "message": "Operation is not allowed because there's an in progress update operation on resource 'k'."}}),
            ),
        ),
        ("PUT", "/r/k") => reply(200, &[], Some(ok("k", "Succeeded"))),
        ("GET", "/r/k") => reply(200, &[], Some(ok("k", "Succeeded"))),
        ("PUT", "/r/l") => reply(
            409,
            &[],
            Some(
                json!({"error": {"code": "OperationNotAllowed", "message": "Changing property 'x' is not allowed."}}),
            ),
        ),
        // Busy with another operation: two conflicts' worth of Updating, then Succeeded.
        ("PUT", "/r/n") if n == 1 => reply(
            409,
            &[],
            Some(
                json!({"error": {"code": "Conflict", "message": "Another operation on this or dependent resource is in progress."}}),
            ),
        ),
        ("PUT", "/r/n") => reply(200, &[], Some(ok("n", "Succeeded"))),
        ("GET", "/r/n") if n < 4 => reply(200, &[], Some(ok("n", "Updating"))),
        ("GET", "/r/n") => reply(200, &[], Some(ok("n", "Succeeded"))),
        ("GET", "/r/o") if n < 3 => reply(200, &[], Some(ok("o", "Creating"))),
        ("GET", "/r/o") => reply(200, &[], Some(ok("o", "Failed"))),
        // Always busy: only the deadline ends it.
        ("PUT", "/r/p") => reply(
            409,
            &[],
            Some(json!({"error": {"code": "AnotherOperationInProgress", "message": "busy"}})),
        ),
        ("GET", "/r/p") => reply(200, &[], Some(ok("p", "Updating"))),
        ("PUT" | "DELETE", "/r/q")
            if headers.get("if-match").and_then(|v| v.to_str().ok()) != Some("W/\"cur\"") =>
        {
            reply(
                412,
                &[],
                Some(
                    json!({"error": {"code": "PreconditionFailed", "message": "The condition in the If-Match header was not satisfied."}}),
                ),
            )
        }
        ("PUT", "/r/q") => reply(200, &[], Some(ok("q", "Succeeded"))),
        ("GET", "/r/q") => reply(200, &[], Some(ok("q", "Succeeded"))),
        ("DELETE", "/r/q") => reply(204, &[], None),
        ("GET", "/r/i") => reply(
            500,
            &[],
            Some(json!({"error": {"code": "InternalServerError", "message": "oops"}})),
        ),
        _ => reply(
            404,
            &[],
            Some(json!({"error": {"code": "ResourceNotFound", "message": path}})),
        ),
    }
}

async fn mock() -> (Arc<Mock>, ArmClient) {
    let m = Arc::new(Mock::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    m.base.set(base.clone()).unwrap();
    let app = Router::new().fallback(handle).with_state(m.clone());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    let settings = ClientSettings {
        min_poll: Duration::from_millis(1),
        max_poll: Duration::from_millis(20),
        retry_after_scale: 0.001,
        aks_operation_timeout: Duration::from_secs(10),
        operation_timeout: Duration::from_secs(10),
        read_timeout: Duration::from_millis(300),
        request_timeout: Duration::from_secs(5),
    };
    let client = ArmClient::new(&base, "sub", settings).unwrap();
    (m, client)
}

#[tokio::test]
async fn put_polls_azure_async_operation_then_gets_the_resource() {
    let (m, c) = mock().await;
    let body = c
        .put("/r/a", "2026-01-01", &json!({"location": "x"}))
        .await
        .unwrap();
    assert_eq!(body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(m.count("GET /ops/a"), 3, "InProgress twice, then Succeeded");
    assert_eq!(m.count("GET /r/a"), 1);
}

#[tokio::test]
async fn failed_operation_is_an_operation_error_with_arm_code() {
    let (_m, c) = mock().await;
    let e = c.put("/r/b", "v", &json!({})).await.unwrap_err();
    assert_eq!(e.kind, ArmErrorKind::Operation);
    assert_eq!(e.arm_code.as_deref(), Some("QuotaExceeded"));
    assert_eq!(e.request_id.as_deref(), Some("req-b"));
    assert_eq!(e.code(), "capz::arm::operation-failed");
    assert!(e.to_string().contains("no cores left"));
}

#[tokio::test]
async fn delete_polls_location_until_done() {
    let (m, c) = mock().await;
    c.delete("/r/c", "v").await.unwrap();
    assert_eq!(m.count("GET /loc/c"), 3);
}

#[tokio::test]
async fn throttling_and_conflicts_are_retried() {
    let (m, c) = mock().await;
    assert!(c.get("/r/d", "v").await.unwrap().is_some());
    assert_eq!(m.count("GET /r/d"), 3);
    c.put("/r/e", "v", &json!({})).await.unwrap();
    assert_eq!(m.count("PUT /r/e"), 2);
}

#[tokio::test]
async fn another_operation_in_progress_is_waited_out() {
    let (m, c) = mock().await;
    c.put("/r/k", "v", &json!({})).await.unwrap();
    assert_eq!(m.count("PUT /r/k"), 6, "five conflicts, then success");
    // Each conflict read the resource first (not itself busy here: a sibling's
    // operation), then backed off and asked again.
    assert!(m.count("GET /r/k") >= 6, "{}", m.count("GET /r/k"));
    // The same code for a different reason is not retried.
    let e = c.put("/r/l", "v", &json!({})).await.unwrap_err();
    assert_eq!(e.status, Some(409));
    assert_eq!(m.count("PUT /r/l"), 1);
}

#[tokio::test]
async fn server_errors_give_up_at_the_read_deadline_not_after_a_count() {
    let (m, c) = mock().await;
    let t = std::time::Instant::now();
    let e = c.get("/r/i", "v").await.unwrap_err();
    assert_eq!(e.status, Some(500));
    // Backoff 1, 2, 4, 8, 16, then 20 ms (the maximum) within the 300 ms read deadline.
    let n = m.count("GET /r/i");
    assert!(n > 10, "retried until the deadline, not a fixed count: {n}");
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn a_busy_resource_is_polled_until_it_settles_then_written() {
    let (m, c) = mock().await;
    let live = c.put("/r/n", "v", &json!({})).await.unwrap();
    assert_eq!(live["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        m.count("PUT /r/n"),
        2,
        "one PUT that met the other operation, one after it ended"
    );
    assert!(m.count("GET /r/n") >= 4, "polled while Updating");
    // An operation on a resource capz did not start (e.g. after a killed run) is waited
    // for without writing.
    let body = c.wait_until_settled("/r/o", "v").await.unwrap().unwrap();
    assert_eq!(body["properties"]["provisioningState"], "Failed");
    assert_eq!(m.count("GET /r/o"), 3);
    assert!(
        c.wait_until_settled("/r/nothing", "v")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn every_write_has_a_time_budget() {
    let (_m, c) = mock().await;
    let c = ArmClient::new(
        c.base_url(),
        "sub",
        ClientSettings {
            min_poll: Duration::from_millis(1),
            max_poll: Duration::from_millis(5),
            ..c.settings()
                .clone()
                .with_operation_timeout(Duration::from_millis(200))
        },
    )
    .unwrap();
    let t = std::time::Instant::now();
    let e = c.put("/r/p", "v", &json!({})).await.unwrap_err();
    assert_eq!(e.kind, ArmErrorKind::Timeout, "{e}");
    assert_eq!(e.code(), "capz::arm::timeout");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[tokio::test]
async fn writes_carry_if_match_when_given() {
    let (m, c) = mock().await;
    let e = c
        .put_if_match("/r/q", "v", &json!({}), Some("W/\"old\""))
        .await
        .unwrap_err();
    assert_eq!(e.status, Some(412));
    assert_eq!(e.arm_code.as_deref(), Some("PreconditionFailed"));
    c.put_if_match("/r/q", "v", &json!({}), Some("W/\"cur\""))
        .await
        .unwrap();
    c.delete_if_match("/r/q", "v", Some("W/\"cur\""))
        .await
        .unwrap();
    let seen = m.seen.lock().unwrap();
    let tags: Vec<&str> = seen
        .iter()
        .filter(|(meth, uri, _)| meth != "GET" && uri.starts_with("/r/q"))
        .filter_map(|(_, _, h)| h.get("if-match").and_then(|v| v.to_str().ok()))
        .collect();
    assert_eq!(tags, ["W/\"old\"", "W/\"cur\"", "W/\"cur\""]);
}

#[tokio::test]
async fn client_errors_are_not_retried_and_keep_request_ids() {
    let (m, c) = mock().await;
    let e = c.get("/r/f", "v").await.unwrap_err();
    assert_eq!(m.count("GET /r/f"), 1);
    assert_eq!(e.kind, ArmErrorKind::Request);
    assert_eq!(e.status, Some(400));
    assert_eq!(e.arm_code.as_deref(), Some("InvalidParameter"));
    assert_eq!(e.request_id.as_deref(), Some("req-f"));
    assert_eq!(e.correlation_id.as_deref(), Some("corr-f"));
}

#[tokio::test]
async fn missing_is_none_and_lists_follow_next_link() {
    let (_m, c) = mock().await;
    assert!(c.get("/r/nothing", "v").await.unwrap().is_none());
    let items = c.list("/r/g", "v").await.unwrap();
    let names: Vec<&str> = items.iter().filter_map(|i| i["name"].as_str()).collect();
    assert_eq!(names, ["1", "2", "3"]);
    assert!(c.list("/r/nothing", "v").await.unwrap().is_empty());
}

#[tokio::test]
async fn put_without_headers_polls_provisioning_state() {
    let (m, c) = mock().await;
    let body = c.put("/r/h", "v", &json!({})).await.unwrap();
    assert_eq!(body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(m.count("GET /r/h"), 3, "two polls, then the final GET");
}

#[tokio::test]
async fn every_request_carries_api_version_ids_and_user_agent() {
    let (m, c) = mock().await;
    c.get("/r/d", "2026-01-01").await.unwrap();
    let seen = m.seen.lock().unwrap();
    let mut client_ids = std::collections::BTreeSet::new();
    for (_, uri, h) in seen.iter() {
        assert!(uri.contains("api-version=2026-01-01"), "{uri}");
        assert_eq!(h["user-agent"], USER_AGENT);
        assert!(h.contains_key("x-ms-correlation-request-id"));
        client_ids.insert(h["x-ms-client-request-id"].to_str().unwrap().to_string());
    }
    assert_eq!(
        client_ids.len(),
        seen.len(),
        "a fresh client request id per request"
    );
}

#[tokio::test]
async fn unreachable_endpoint_is_reported_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let settings = ClientSettings {
        read_timeout: Duration::from_millis(50),
        min_poll: Duration::from_millis(1),
        ..ClientSettings::local()
    };
    let c = ArmClient::new(&format!("http://{addr}"), "sub", settings).unwrap();
    let e = c.get("/r/a", "v").await.unwrap_err();
    assert_eq!(e.kind, ArmErrorKind::Unreachable);
    assert_eq!(e.code(), "capz::arm::unreachable");
}

#[test]
fn backoff_scales_and_clamps_retry_after() {
    let c = ArmClient::new("http://x", "s", ClientSettings::local()).unwrap();
    // Retry-After 60 s scaled by 0.05 = 3 s, clamped to the 500 ms maximum.
    assert_eq!(c.backoff(0, Some(60.0)), Duration::from_millis(500));
    assert_eq!(c.backoff(0, Some(0.0)), Duration::from_millis(20));
    assert_eq!(c.backoff(2, None), Duration::from_millis(80));
    let azure = ArmClient::new("http://x", "s", ClientSettings::azure()).unwrap();
    assert_eq!(azure.backoff(0, Some(30.0)), Duration::from_secs(30));
}
