//! Talking to Azure Resource Manager (or the local emulator, which speaks the same HTTP).
//!
//! - [`client`]: [`ArmClient`]: GET/PUT/DELETE/list with retries, request IDs, user agent.
//! - [`lro`]: the async-operation protocol (Azure-AsyncOperation, Location, Retry-After).
//! - [`error`]: [`ArmError`] and its conversion to a [`lang::Diagnostic`].
//! - [`auth`]: bearer tokens (cache, refresh after a 401) and access-error advice.
//! - [`credential`]: clouds, the Entra ID credential chain, the HTTP client and extra CAs.

// ArmError keeps every ID Azure support asks for; it is returned once per failed request,
// far from any hot path, so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod budget;
pub mod client;
pub mod credential;
pub mod error;
pub mod lro;

pub use client::{ArmClient, ClientSettings, Response};
pub use error::{ArmError, ArmErrorKind};

#[cfg(test)]
mod tests;
