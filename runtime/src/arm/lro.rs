//! Long-running operations: the ARM async protocol.
//!
//! From <https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations>
//! (digest in arm-specs/README.md): a long-running request answers 201 or 202 (some
//! providers also 200 for updates) with `Azure-AsyncOperation` and/or `Location` and
//! usually `Retry-After` (seconds). Clients poll `Azure-AsyncOperation` first: it answers
//! 200 with `status` InProgress (or another non-terminal word) until Succeeded, Failed or
//! Canceled. Otherwise they poll `Location`: 202 while running, then 200/204 when done, or
//! an error status with an error body. Without either header, the resource's own
//! `provisioningState` (PUT) or its disappearance (DELETE) tells when it is done.

use super::client::{ArmClient, Response, provisioning_state};
use super::error::{ArmError, ArmErrorKind, parse_error_body};
use reqwest::Method;
use std::time::Instant;

/// Terminal values of `status` / `provisioningState`: `Some(true)` Succeeded,
/// `Some(false)` Failed or Canceled, `None` still running (Creating, Updating, Deleting,
/// Upgrading, Scaling, Migrating, Accepted, ...). ARM: "ARM expects the terminal status to
/// be one of Succeeded/ Failed/ Canceled. All other values imply that the operation is
/// still running" (the async operations doc above; the SDKs' OperationStatus schema).
pub fn terminal(status: &str) -> Option<bool> {
    match status.to_ascii_lowercase().as_str() {
        "succeeded" => Some(true),
        "failed" | "canceled" | "cancelled" => Some(false),
        _ => None,
    }
}

impl ArmClient {
    /// Wait for the operation `first` (the response to `method id`) started, if any, until
    /// `deadline`. Returns when it succeeded; errors when it failed, was cancelled or did
    /// not end in time.
    pub(crate) async fn wait(
        &self,
        first: &Response,
        method: &str,
        id: &str,
        api_version: &str,
        deadline: Instant,
    ) -> Result<(), ArmError> {
        if let Some(url) = first.header("azure-asyncoperation") {
            return self
                .poll_async_operation(first, &url, method, id, deadline)
                .await;
        }
        if let Some(url) = first.header("location").filter(|_| first.status == 202) {
            return self.poll_location(first, &url, method, id, deadline).await;
        }
        match method {
            "PUT" => {
                let pending = first
                    .body
                    .as_ref()
                    .and_then(provisioning_state)
                    .is_some_and(|s| terminal(s).is_none());
                if pending || first.status == 202 {
                    self.poll_resource(first, method, id, api_version, false, deadline)
                        .await
                } else {
                    Ok(())
                }
            }
            "DELETE" if first.status == 202 => {
                self.poll_resource(first, method, id, api_version, true, deadline)
                    .await
            }
            _ => Ok(()),
        }
    }

    /// Poll an `Azure-AsyncOperation` URL until its `status` is terminal.
    async fn poll_async_operation(
        &self,
        first: &Response,
        url: &str,
        method: &str,
        id: &str,
        deadline: Instant,
    ) -> Result<(), ArmError> {
        let mut wait = self.backoff(0, first.retry_after());
        loop {
            self.check_deadline(deadline, first, method, id, wait)?;
            tokio::time::sleep(wait).await;
            let r = self.poll_get(url, None, deadline).await?;
            if !(200..300).contains(&r.status) {
                return Err(self.request_error("GET", url, &r));
            }
            let status = r
                .body
                .as_ref()
                .and_then(|b| b.get("status"))
                .and_then(|s| s.as_str())
                .map(str::to_string);
            let Some(status) = status else {
                return Err(self.error(
                    ArmErrorKind::BadResponse,
                    method,
                    id,
                    &r,
                    "the Azure-AsyncOperation response has no status".into(),
                ));
            };
            match terminal(&status) {
                Some(true) => return Ok(()),
                Some(false) => {
                    let (code, message) = parse_error_body(r.body.as_ref());
                    return Err(ArmError {
                        arm_code: code.or(Some(status.clone())),
                        ..self.error(
                            ArmErrorKind::Operation,
                            method,
                            id,
                            &r,
                            message.unwrap_or_else(|| format!("operation ended {status}")),
                        )
                    });
                }
                None => wait = self.backoff(0, r.retry_after()),
            }
        }
    }

    /// Poll a `Location` URL: 202 while running, 200/201/204 when done.
    async fn poll_location(
        &self,
        first: &Response,
        url: &str,
        method: &str,
        id: &str,
        deadline: Instant,
    ) -> Result<(), ArmError> {
        let mut wait = self.backoff(0, first.retry_after());
        loop {
            self.check_deadline(deadline, first, method, id, wait)?;
            tokio::time::sleep(wait).await;
            let r = self.poll_get(url, None, deadline).await?;
            match r.status {
                202 => wait = self.backoff(0, r.retry_after()),
                200 | 201 | 204 => return Ok(()),
                _ => {
                    let (code, message) = parse_error_body(r.body.as_ref());
                    return Err(ArmError {
                        arm_code: code,
                        ..self.error(
                            ArmErrorKind::Operation,
                            method,
                            id,
                            &r,
                            message.unwrap_or_default(),
                        )
                    });
                }
            }
        }
    }

    /// Without operation headers: GET the resource until its `provisioningState` is
    /// terminal (PUT) or it is gone (DELETE, `gone = true`).
    async fn poll_resource(
        &self,
        first: &Response,
        method: &str,
        id: &str,
        api_version: &str,
        gone: bool,
        deadline: Instant,
    ) -> Result<(), ArmError> {
        let mut wait = self.backoff(0, first.retry_after());
        loop {
            self.check_deadline(deadline, first, method, id, wait)?;
            tokio::time::sleep(wait).await;
            let r = self.poll_get(id, Some(api_version), deadline).await?;
            match (r.status, gone) {
                (404, true) => return Ok(()),
                (404, false) => {
                    return Err(self.error(
                        ArmErrorKind::Operation,
                        method,
                        id,
                        &r,
                        "the resource disappeared while it was being created".into(),
                    ));
                }
                (200..=299, _) => {
                    let state = r
                        .body
                        .as_ref()
                        .and_then(provisioning_state)
                        .map(str::to_string);
                    match state.as_deref().map(terminal) {
                        // A DELETE is only done when the GET says 404.
                        _ if gone => {}
                        // No provisioningState at all: treat as Succeeded (ARM async doc).
                        None | Some(Some(true)) => return Ok(()),
                        Some(Some(false)) => {
                            return Err(self.error(
                                ArmErrorKind::Operation,
                                method,
                                id,
                                &r,
                                format!("provisioningState is {}", state.unwrap_or_default()),
                            ));
                        }
                        Some(None) => {}
                    }
                }
                _ => return Err(self.request_error("GET", id, &r)),
            }
            wait = self.backoff(0, r.retry_after());
        }
    }

    /// One poll: a GET retried on transient failures until `deadline`.
    async fn poll_get(
        &self,
        url: &str,
        api_version: Option<&str>,
        deadline: Instant,
    ) -> Result<Response, ArmError> {
        self.send_until(Method::GET, url, api_version, None, None, deadline, false)
            .await
            .map(|s| s.response)
    }
}
