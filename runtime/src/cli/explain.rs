//! `capz explain CODE`: the explanation of a language code (`lang::codes`), a checker rule
//! code (stdlib's `RuleDef`s) or a runtime code ([`crate::codes`]).

use crate::codes;
use lang::{Diagnostic, SourceMap};

/// `(summary, explanation)` of `code` from any registry.
pub fn lookup(code: &str) -> Option<(&'static str, &'static str)> {
    if let Some(c) = lang::codes::lookup(code) {
        return Some((c.summary, c.explanation));
    }
    if let Some(r) = stdlib::catalog().rules.iter().find(|r| r.code == code) {
        return Some((r.summary, r.explanation));
    }
    codes::lookup(code).map(|c| (c.summary, c.explanation))
}

/// Run `capz explain`: exit 0 and print, or 1 with a diagnostic for an unknown code.
pub fn run(code: &str) -> u8 {
    match lookup(code.trim()) {
        Some((summary, explanation)) => {
            println!("{}: {summary}\n\n{explanation}", code.trim());
            0
        }
        None => {
            let d = Diagnostic::error(codes::CLI_UNKNOWN_CODE, format!("no diagnostic code {code:?}"))
                .with_help("codes look like capz::cidr::outside-service-cidr; they are printed in brackets with each error");
            super::eprint_diagnostics(&SourceMap::default(), &[d]);
            1
        }
    }
}
