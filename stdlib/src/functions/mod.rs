//! Built-in functions.

use lang::schema::FunctionDef;

/// Every built-in function.
pub fn all() -> Vec<FunctionDef> {
    Vec::new()
}
