//! Request recording ([`crate::Config::record_requests`]): every ARM request that can carry
//! a body (any method but GET, HEAD and OPTIONS) is appended to a JSON Lines file as
//! `{"method","path","api_version","status","body"}`, one line per request, written after
//! the response is known (a request whose connection a fault dropped also has
//! `"dropped": true`, and `status` is what it was handled with, or null when dropped before
//! handling). `path` is the URL path as sent (no query); `api_version` is the
//! `api-version` query value or null; `body` is the parsed JSON body, the raw text if it is
//! not JSON, or null when empty. Headers are never recorded (they carry tokens).
//!
//! The file lets a test check every body a client sent against the ARM JSON schemas
//! (tests/conformance/validate_bodies.py).

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Largest request body recorded (and accepted by the emulator): 32 MiB.
const MAX_BODY: usize = 32 << 20;

/// An open recording file (appended to, never truncated).
pub(crate) struct Recorder {
    file: Mutex<std::fs::File>,
}

impl Recorder {
    /// Opens `path` for appending, creating it and its parent folders.
    pub(crate) fn open(path: &Path) -> std::io::Result<Recorder> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Recorder {
            file: Mutex::new(file),
        })
    }

    fn append(&self, line: &Value) {
        let mut text = line.to_string();
        text.push('\n');
        match self.file.lock() {
            Ok(mut f) => {
                if let Err(e) = f.write_all(text.as_bytes()).and_then(|_| f.flush()) {
                    tracing::warn!("cannot append to the request recording: {e}");
                }
            }
            Err(_) => tracing::warn!("request recording lock poisoned"),
        }
    }
}

/// Middleware: buffer the body, run the request, append its line.
pub(crate) async fn record(State(rec): State<Arc<Recorder>>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_ascii_uppercase();
    if matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        return next.run(req).await;
    }
    let path = req.uri().path().to_string();
    let api_version = crate::util::parse_query(req.uri().query())
        .into_iter()
        .find(|(k, _)| k == "api-version")
        .map(|(_, v)| v);
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return (
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body unreadable: {e}"),
            )
                .into_response();
        }
    };
    let body_value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let mut line = json!({
        "method": method,
        "path": path,
        "api_version": api_version,
        "status": resp.status().as_u16(),
        "body": body_value,
    });
    if let Some(crate::handler::DroppedStatus(handled)) = resp.extensions().get() {
        // No answer left the emulator: the status it would have sent, or null.
        line["status"] = json!(handled);
        line["dropped"] = json!(true);
    }
    rec.append(&line);
    resp
}
