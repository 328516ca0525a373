//! # capz language
//!
//! ```text
//!  source text ──parse──▶ syntax tree ──check──▶ checked program ──eval──▶ Program
//!   (SourceFile)          (syntax::ast,          (check: names,            (program.rs: desired
//!                          spans everywhere)      types vs Catalog)         resources, outputs)
//!                                                                              │
//!                                      stdlib rules (Catalog::rules) ◀─────────┘
//! ```
//!
//! lang is pure: no files, network, clock or environment. Modules come in through a
//! [`source::Loader`]; Azure knowledge through a [`schema::Catalog`] built by stdlib.
//! Every phase reports [`diagnostic::Diagnostic`]s, collected and sorted, never thrown.

pub mod codes;
pub mod diagnostic;
pub mod program;
pub mod schema;
pub mod source;
pub mod types;
pub mod value;

pub use diagnostic::{Diagnostic, Severity};
pub use program::{Compiled, Program, Resource};
pub use schema::Catalog;
pub use source::{SourceFile, SourceMap, Span};
pub use types::Type;
pub use value::{Address, Value};
