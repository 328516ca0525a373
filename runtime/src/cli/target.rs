//! Where plan and apply talk to: the embedded local ARM emulator, a running endpoint
//! (`--arm-endpoint`), or Azure (not supported yet).

use super::{Global, TargetKind};
use crate::arm::{ArmClient, ClientSettings};
use crate::codes;
use lang::Diagnostic;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// Environment variable: time scale of the embedded emulator's operation durations
/// (0 = instant, 1 = Azure-like; default the emulator's own).
pub const ENV_TIME_SCALE: &str = "CAPZ_EMULATOR_TIME_SCALE";

/// File name of the embedded emulator's state in the state directory.
pub const STATE_FILE: &str = "local-arm.sqlite";

/// A connected target. Call [`Target::close`] when done (stops the embedded emulator).
pub struct Target {
    /// Client for it.
    pub client: ArmClient,
    /// `local ARM at .capz/local-arm.sqlite`, `ARM at http://...`.
    pub label: String,
    server: Option<emulator::Server>,
}

impl Target {
    /// Stop the embedded emulator, if any (its state stays in the SQLite file).
    pub async fn close(self) {
        if let Some(s) = self.server {
            s.shutdown().await;
        }
    }
}

/// The emulator time scale from [`ENV_TIME_SCALE`], if set and a number.
pub fn env_time_scale() -> Option<f64> {
    std::env::var(ENV_TIME_SCALE)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
}

/// Connect according to the global options.
pub async fn connect(g: &Global) -> Result<Target, Diagnostic> {
    let endpoint = g.arm_endpoint.as_deref().filter(|e| !e.is_empty());
    match g.target {
        TargetKind::Azure => Err(Diagnostic::error(
            codes::TARGET_UNSUPPORTED,
            "target azure is not supported yet: capz cannot sign in to Azure",
        )
        .with_help("use --target local (the embedded ARM emulator), or --arm-endpoint to reach a running emulator")),
        TargetKind::Local => {
            let subscription = g
                .subscription
                .clone()
                .unwrap_or_else(|| emulator::LOCAL_SUBSCRIPTION.to_string());
            let client_err = |e: crate::arm::ArmError| e.to_diagnostic("connecting", None);
            if let Some(ep) = endpoint {
                let settings = if ep.contains("management.azure.com") {
                    ClientSettings::azure()
                } else {
                    ClientSettings::local()
                };
                let client = ArmClient::new(ep, &subscription, settings).map_err(client_err)?;
                return Ok(Target { client, label: format!("ARM at {ep}"), server: None });
            }
            let state: PathBuf = g.state_dir.join(STATE_FILE);
            let fail = |what: String| {
                Diagnostic::error(codes::TARGET_EMULATOR_FAILED, what).with_help(
                    "check that the state directory (--state-dir) is writable, or use --arm-endpoint",
                )
            };
            std::fs::create_dir_all(&g.state_dir).map_err(|e| {
                fail(format!("cannot create state directory {}: {e}", g.state_dir.display()))
            })?;
            let mut config = emulator::Config {
                state_path: Some(state.clone()),
                ..emulator::Config::default()
            };
            if let Some(ts) = env_time_scale() {
                config.time_scale = ts;
            }
            if !config
                .subscriptions
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&subscription))
            {
                config.subscriptions.push(subscription.clone());
            }
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
            let server = emulator::start(addr, config)
                .await
                .map_err(|e| fail(format!("cannot start the local ARM emulator: {e}")))?;
            let client = ArmClient::new(&server.base_url, &subscription, ClientSettings::local())
                .map_err(client_err)?;
            Ok(Target {
                client,
                label: format!("local ARM at {}", state.display()),
                server: Some(server),
            })
        }
    }
}
