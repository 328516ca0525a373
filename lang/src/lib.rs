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

pub mod check;
pub mod codes;
pub mod diagnostic;
pub mod eval;
pub mod fmt;
pub mod program;
pub mod schema;
pub mod session;
pub mod source;
pub mod suggest;
pub mod syntax;
pub mod types;
pub mod value;

pub use diagnostic::{Diagnostic, Severity};
pub use program::{Compiled, Program, Resource};
pub use schema::Catalog;
pub use source::{SourceFile, SourceMap, Span};
pub use types::Type;
pub use value::{Address, Value};

use source::Loader;

/// Compile a program: parse → check → evaluate → run every stdlib rule
/// ([`schema::RuleDef`]) on the evaluated program → sort diagnostics by position.
///
/// `params` are the `--param name=value` overrides, each parsed by the param's declared
/// type. `loader` supplies `use`d modules (not yet supported: `use` is reported as
/// `capz::module::unsupported`). All problems of a phase are reported together; a phase
/// runs only if the ones before it found no errors. [`Compiled::program`] is `Some` only
/// when no diagnostic is an error. Never panics.
pub fn compile(
    root: SourceFile,
    loader: &dyn Loader,
    catalog: &Catalog,
    params: &[(String, String)],
) -> Compiled {
    let _ = loader;
    let sources = SourceMap::new(root);
    let text = sources
        .files
        .first()
        .map(|f| f.text.clone())
        .unwrap_or_else(|| "".into());
    let mut diags = Vec::new();
    let mut program = None;
    let (file, parse_diags) = syntax::parse(0, &text);
    diags.extend(parse_diags);
    if let Some(file) = file.filter(|_| !diagnostic::has_errors(&diags)) {
        let (checked, check_diags) = check::check(&file, catalog, params);
        diags.extend(check_diags);
        if !diagnostic::has_errors(&diags) {
            let (p, eval_diags) = eval::eval(&checked);
            diags.extend(eval_diags);
            if let Some(p) = p {
                for rule in &catalog.rules {
                    diags.extend((rule.check)(&p, catalog));
                }
                program = Some(p);
            }
        }
    }
    diagnostic::sort(&mut diags);
    if diagnostic::has_errors(&diags) {
        program = None;
    }
    Compiled {
        sources,
        program,
        diagnostics: diags,
    }
}

/// Parse only (for formatters and editors): the syntax tree if the text is well formed,
/// and the syntax diagnostics, sorted.
pub fn parse_only(root: &SourceFile) -> (Option<syntax::ast::File>, Vec<Diagnostic>) {
    let (f, mut d) = syntax::parse(0, &root.text);
    diagnostic::sort(&mut d);
    (f, d)
}

/// Parse and check without evaluating (for editors and the REPL's `:check`): every
/// syntax and checker diagnostic, sorted.
pub fn check_only(
    root: &SourceFile,
    catalog: &Catalog,
    params: &[(String, String)],
) -> Vec<Diagnostic> {
    let (file, mut diags) = syntax::parse(0, &root.text);
    if let Some(file) = file.filter(|_| !diagnostic::has_errors(&diags)) {
        let (_, d) = check::check(&file, catalog, params);
        diags.extend(d);
    }
    diagnostic::sort(&mut diags);
    diags
}
