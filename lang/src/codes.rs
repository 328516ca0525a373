//! The registry of diagnostic codes: every code is registered exactly once with an
//! explanation that `capz explain CODE` prints. Codes are stable; tests match codes, not
//! wording. Language codes live here; stdlib's rule codes live on each `RuleDef`; runtime's
//! ARM and apply codes in `runtime::codes`. A test in each crate checks that every code it
//! emits is registered.

/// One registered code.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    /// `capz::area::name`, kebab case.
    pub code: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Several lines: what it means, why, how to fix, and where the rule comes from.
    pub explanation: &'static str,
}

/// Language codes: syntax, names, types, evaluation.
pub static CODES: &[Code] = &[];

/// The registered language code `code`, if any.
pub fn lookup(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.code == code)
}
