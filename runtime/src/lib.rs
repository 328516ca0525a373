//! # capz runtime
//!
//! Everything with side effects: files, network, clock, terminal.
//!
//! ```text
//!  capz FILE ──cli──▶ lang::compile (FsLoader for `use`) ──▶ Program
//!                                                              │
//!    live ARM state (arm::ArmClient: GET, list) ──plan::build──▶ Plan ──plan::render──▶ text
//!                                                              │
//!                         apply::run (petgraph DAG, tokio, PUT/DELETE + LRO) ──▶ events, outputs
//! ```
//!
//! The same [`arm::ArmClient`] talks to management.azure.com and to the local ARM
//! emulator (crate `emulator`), which `--target local` starts in-process. `capz repl`
//! ([`repl`]) and `capz lsp` ([`lsp`]) are front ends over the same lang/stdlib.

pub mod apply;
pub mod arm;
pub mod cli;
pub mod codes;
pub mod loader;
pub mod lsp;
pub mod plan;
pub mod repl;
