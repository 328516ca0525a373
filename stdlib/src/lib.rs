//! # capz stdlib: Azure knowledge as data
//!
//! One definition per resource kind (fields, types, docs, defaults, ARM type and
//! api-version, JSON path of each field, which changes force replacement), the checker
//! rules that encode Azure's constraints, and the built-in functions. [`catalog`] hands
//! all of it to the checker, the planner, the REPL and the editor tests.
//!
//! - [`kinds`]: one [`lang::schema::KindDef`] per resource kind (`group`, `vnet`, `subnet`,
//!   `cluster`, `pool`, `nsg`, `rule`, `public_ip`, `identity`, `federated_credential`,
//!   `private_dns_zone`, `link`, `a_record`).
//! - [`functions`]: built-in functions (`cidrsubnet`, `cidrhost`, `lower`, ...).
//! - [`rules`]: checker rules over the evaluated program (CIDR overlaps, system pool, ...).
//! - [`arm`]: the generic mapping between resources and ARM JSON.

pub mod arm;
pub mod functions;
pub mod kinds;
pub mod rules;

use std::sync::OnceLock;

/// The catalog of everything stdlib knows: all kinds, functions and rules. Built once on
/// first use and shared for the life of the process.
pub fn catalog() -> &'static lang::Catalog {
    static CATALOG: OnceLock<lang::Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| lang::Catalog {
        kinds: kinds::all(),
        functions: functions::all(),
        rules: rules::all(),
    })
}

#[cfg(test)]
mod testutil;
