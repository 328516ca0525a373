//! ARM's request-size limit, enforced in front of every route (ARM, token endpoint, admin)
//! so an oversized body gets ARM's JSON error rather than the HTTP layer's plain text.
//!
//! Source: ARM answers 413 `RequestContentTooLarge` "The request content size exceeds the
//! maximum size of 4 MB." (the body quoted by users whose deployments hit the limit, e.g.
//! in Azure Developer CLI telemetry as `service.arm.413 RequestContentTooLarge`, and ARM's
//! documented 4 MB request limit for templates:
//! https://learn.microsoft.com/azure/azure-resource-manager/templates/best-practices#template-limits).

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The largest request body ARM accepts: 4 MB (4 × 1024 × 1024 bytes).
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// Middleware: refuses a body over [`MAX_REQUEST_BYTES`] (by `Content-Length`, or while
/// reading a chunked body, never buffering more than the limit) with 413
/// `RequestContentTooLarge`; otherwise hands the buffered body on. The routes behind it run
/// with axum's own limit disabled.
pub(crate) async fn limit_body(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BYTES as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => too_large(),
    }
}

fn too_large() -> Response {
    let id = crate::util::uuid();
    let mut r = (
        StatusCode::PAYLOAD_TOO_LARGE,
        [("content-type", "application/json; charset=utf-8")],
        json!({"error": {
            "code": "RequestContentTooLarge",
            "message": "The request content size exceeds the maximum size of 4 MB.",
        }})
        .to_string(),
    )
        .into_response();
    for (k, v) in [
        ("x-ms-request-id", id.clone()),
        ("x-ms-correlation-request-id", id.clone()),
        ("x-ms-routing-request-id", format!("LOCAL:{id}")),
        ("x-ms-failure-cause", "gateway".to_string()),
    ] {
        if let Ok(v) = axum::http::HeaderValue::try_from(v) {
            r.headers_mut().append(k, v);
        }
    }
    r
}
