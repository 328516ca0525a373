//! ARM failures and how they become diagnostics.
//!
//! ARM reports errors as `{"error": {"code": "...", "message": "..."}}` (the common-types
//! `ErrorResponse`, `resources/.../v1/types.json`), with `x-ms-request-id` and
//! `x-ms-correlation-request-id` headers that Azure support asks for. Every failure keeps
//! all of them, and [`ArmError::to_diagnostic`] turns it into one [`lang::Diagnostic`]
//! naming the resource, the HTTP status, ARM's code and message, and both request IDs.

use crate::codes;
use lang::{Diagnostic, Span};
use std::fmt;

/// What went wrong, deciding the diagnostic code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArmErrorKind {
    /// ARM answered the request itself with an error status (`capz::arm::request-failed`).
    Request,
    /// A long-running operation ended Failed/Canceled (`capz::arm::operation-failed`).
    Operation,
    /// No HTTP response at all after retries (`capz::arm::unreachable`).
    Unreachable,
    /// A response that breaks the protocol, e.g. invalid JSON (`capz::arm::bad-response`).
    BadResponse,
    /// A write did not end within its deadline (`capz::arm::timeout`).
    Timeout,
    /// No access token could be had for the request (`capz::auth::no-credential`).
    Auth,
}

/// One failed ARM interaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArmError {
    /// What went wrong.
    pub kind: ArmErrorKind,
    /// HTTP method of the request that failed (`PUT`, `GET`, ...).
    pub method: String,
    /// The ARM resource ID (or URL) the request was about.
    pub resource: String,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// ARM's `error.code`, e.g. `InvalidAddressPrefix`.
    pub arm_code: Option<String>,
    /// ARM's `error.message`, or a description of the transport failure.
    pub message: String,
    /// `x-ms-request-id` of the failing response.
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id` of the failing response.
    pub correlation_id: Option<String>,
}

impl ArmError {
    /// A placeholder for a request that never produced an answer because its task died
    /// (the caller reports its own diagnostic).
    pub fn internal() -> Self {
        ArmError {
            kind: ArmErrorKind::Unreachable,
            method: String::new(),
            resource: String::new(),
            status: None,
            arm_code: None,
            message: "the request task stopped".into(),
            request_id: None,
            correlation_id: None,
        }
    }

    /// The registered diagnostic code for this failure.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ArmErrorKind::Request => codes::ARM_REQUEST_FAILED,
            ArmErrorKind::Operation => codes::ARM_OPERATION_FAILED,
            ArmErrorKind::Unreachable => codes::ARM_UNREACHABLE,
            ArmErrorKind::BadResponse => codes::ARM_BAD_RESPONSE,
            ArmErrorKind::Timeout => codes::ARM_TIMEOUT,
            ArmErrorKind::Auth => codes::AUTH_NO_CREDENTIAL,
        }
    }

    /// A diagnostic about `subject` (e.g. `vnet mgmt_net`), labelled at `span` when the
    /// resource is declared in the program (no label for undeclared resources).
    pub fn to_diagnostic(&self, subject: &str, span: Option<Span>) -> Diagnostic {
        let mut d = Diagnostic::error(self.code(), format!("{subject}: {self}"));
        if let Some(span) = span {
            d = d.with_primary(span, "declared here");
        }
        let advice = match self.kind {
            ArmErrorKind::Request | ArmErrorKind::Operation => {
                "fix what ARM refused (see its code and message), then run the command again"
            }
            ArmErrorKind::Unreachable => {
                "check --arm-endpoint / CAPZ_ARM_ENDPOINT and that ARM or the emulator is reachable"
            }
            ArmErrorKind::BadResponse => {
                "the endpoint broke the ARM protocol; report it with the request IDs"
            }
            ArmErrorKind::Timeout => {
                "the operation may still finish; run `capz plan` to see where it got"
            }
            ArmErrorKind::Auth => {
                "sign-in failed during the run: check the credential (see README.md \"Using real Azure\")"
            }
        };
        let access = super::auth::access_advice(
            self.status,
            self.arm_code.as_deref(),
            &self.message,
            &self.resource,
        );
        let advice = access.as_deref().unwrap_or(advice);
        let ids = match (&self.request_id, &self.correlation_id) {
            (None, None) => String::new(),
            (r, c) => format!(
                "\nx-ms-request-id: {}, x-ms-correlation-request-id: {}",
                r.as_deref().unwrap_or("-"),
                c.as_deref().unwrap_or("-")
            ),
        };
        d.with_help(format!("{advice}{ids}"))
    }
}

impl fmt::Display for ArmError {
    /// `PUT /subscriptions/.../vnets/x failed: HTTP 400 InvalidAddressPrefix: message`, or
    /// `PUT ... operation failed: QuotaExceeded: message` for a failed long-running operation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ArmErrorKind::Operation => "operation failed",
            ArmErrorKind::Timeout => "timed out",
            _ => "failed",
        };
        write!(f, "{} {} {what}", self.method, self.resource)?;
        // The HTTP status of a failed operation is the poll's (often 200): not worth showing.
        let status = self.status.filter(|_| self.kind != ArmErrorKind::Operation);
        match (status, &self.arm_code) {
            (Some(s), Some(c)) => write!(f, ": HTTP {s} {c}")?,
            (Some(s), None) => write!(f, ": HTTP {s}")?,
            (None, Some(c)) => write!(f, ": {c}")?,
            (None, None) => {}
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ArmError {}

/// Read ARM's `{"error": {"code", "message"}}` (or a bare `{"code", "message"}`, which
/// some providers send) from a body.
pub fn parse_error_body(body: Option<&serde_json::Value>) -> (Option<String>, Option<String>) {
    let Some(body) = body else {
        return (None, None);
    };
    let err = body.get("error").unwrap_or(body);
    let code = err.get("code").and_then(|c| c.as_str()).map(str::to_string);
    let message = err
        .get("message")
        .and_then(|c| c.as_str())
        .map(str::to_string);
    (code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostic_names_status_code_and_ids() {
        let e = ArmError {
            kind: ArmErrorKind::Request,
            method: "PUT".into(),
            resource: "/subscriptions/s/resourceGroups/rg".into(),
            status: Some(400),
            arm_code: Some("LocationRequired".into()),
            message: "The location property is required.".into(),
            request_id: Some("req-1".into()),
            correlation_id: Some("corr-1".into()),
        };
        let d = e.to_diagnostic("group mgmt", None);
        assert_eq!(d.code, "capz::arm::request-failed");
        assert!(d.message.contains("group mgmt"));
        assert!(d.message.contains("HTTP 400 LocationRequired"));
        let help = d.help.unwrap_or_default();
        assert!(help.contains("x-ms-request-id: req-1"));
        assert!(help.contains("x-ms-correlation-request-id: corr-1"));
    }

    #[test]
    fn error_body_shapes() {
        let j = serde_json::json!({"error": {"code": "A", "message": "m"}});
        assert_eq!(
            parse_error_body(Some(&j)),
            (Some("A".into()), Some("m".into()))
        );
        let j = serde_json::json!({"code": "B", "message": "n"});
        assert_eq!(
            parse_error_body(Some(&j)),
            (Some("B".into()), Some("n".into()))
        );
        assert_eq!(parse_error_body(None), (None, None));
    }
}
