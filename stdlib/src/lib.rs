//! # capz stdlib: Azure knowledge as data
//!
//! One definition per resource kind (fields, types, docs, defaults, ARM type and
//! api-version, JSON path of each field, which changes force replacement), the checker
//! rules that encode Azure's constraints, and the built-in functions. [`catalog`] hands
//! all of it to the checker, the planner, the REPL and the editor tests.

pub mod arm;
