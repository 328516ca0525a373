//! Checker rules.

use lang::schema::RuleDef;

/// Every rule.
pub fn all() -> Vec<RuleDef> {
    Vec::new()
}
