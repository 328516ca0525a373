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

/// The registered code closest to `code` (a plausible typo), from every registry.
pub fn closest(code: &str) -> Option<&'static str> {
    let catalog = stdlib::catalog();
    let rules: Vec<&'static str> = catalog.rules.iter().map(|r| r.code).collect();
    let all = lang::codes::CODES
        .iter()
        .map(|c| c.code)
        .chain(rules)
        .chain(codes::CODES.iter().map(|c| c.code));
    lang::suggest::did_you_mean(code, all)
}

/// Run `capz explain`: exit 0 and print, or 1 with a diagnostic for an unknown code.
pub fn run(code: &str) -> u8 {
    match lookup(code.trim()) {
        Some((summary, explanation)) => {
            println!("{}: {summary}\n\n{explanation}", code.trim());
            0
        }
        None => {
            let help = match closest(code.trim()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "codes look like capz::cidr::outside-service-cidr, printed on the line above each diagnostic; docs/diagnostics.md lists them all".to_string(),
            };
            let d = Diagnostic::error(
                codes::CLI_UNKNOWN_CODE,
                format!("no diagnostic code {code:?}"),
            )
            .with_help(help);
            super::eprint_diagnostics(&SourceMap::default(), &[d]);
            1
        }
    }
}
