//! `capz emulator serve`: run the local ARM emulator standalone until Ctrl-C.

use super::Global;
use super::target::{STATE_FILE, env_time_scale};
use crate::codes;
use lang::{Diagnostic, SourceMap};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Serve on `addr` with state in `state/local-arm.sqlite` (memory when `None`).
pub async fn serve(
    g: &Global,
    addr: SocketAddr,
    state: Option<PathBuf>,
    time_scale: Option<f64>,
) -> u8 {
    let fail = |msg: String| {
        let d = Diagnostic::error(codes::TARGET_EMULATOR_FAILED, msg)
            .with_help("check the address is free and the state directory writable");
        super::eprint_diagnostics(&SourceMap::default(), &[d]);
        1
    };
    let mut config = emulator::Config::default();
    if let Some(dir) = &state {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return fail(format!(
                "cannot create state directory {}: {e}",
                dir.display()
            ));
        }
        config.state_path = Some(dir.join(STATE_FILE));
    }
    if let Some(ts) = time_scale.or_else(env_time_scale) {
        config.time_scale = ts;
    }
    if let Some(sub) = &g.subscription
        && !config
            .subscriptions
            .iter()
            .any(|s| s.eq_ignore_ascii_case(sub))
    {
        config.subscriptions.push(sub.clone());
    }
    match emulator::serve_until_ctrl_c(addr, config).await {
        Ok(()) => 0,
        Err(e) => fail(format!("local ARM emulator: {e}")),
    }
}
