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
pub mod complete;
pub mod cycles;
pub mod diagnostic;
pub mod eval;
pub mod fmt;
pub mod modules;
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

/// Most files (root and modules) one compilation may read.
pub const MAX_FILES: usize = 256;

/// Compile a program: parse the root file and every module it `use`s (read through
/// `loader`, relative to the using file) → check each file → evaluate (module instances
/// unrolled where their `use` stands) → run every stdlib rule ([`schema::RuleDef`]) on
/// the evaluated program → sort diagnostics by position.
///
/// `params` are the `--param name=value` overrides of the root file, each parsed by the
/// param's declared type. Diagnostics in a module point into the module's file (its
/// [`source::FileId`] in [`Compiled::sources`]). All problems of a phase are reported
/// together; a phase runs only if the ones before it found no errors. A module that
/// cannot be read is `capz::module::not-found`, a `use` cycle `capz::module::cycle`.
/// [`Compiled::program`] is `Some` only when no diagnostic is an error. Never panics.
pub fn compile(
    root: SourceFile,
    loader: &dyn Loader,
    catalog: &Catalog,
    params: &[(String, String)],
) -> Compiled {
    let mut sources = SourceMap::new(root);
    let mut diags = Vec::new();
    let mut program = None;
    let loaded = modules::load(&mut sources, loader, &mut diags);
    if !diagnostic::has_errors(&diags) {
        let (units, check_diags) = modules::check_all(&loaded, &sources, catalog, params);
        diags.extend(check_diags);
        if !diagnostic::has_errors(&diags)
            && let Some(Some(root)) = units.first()
        {
            let mods: std::collections::HashMap<source::FileId, &check::Checked<'_>> = units
                .iter()
                .enumerate()
                .skip(1)
                .filter_map(|(i, c)| Some((u32::try_from(i).ok()?, c.as_ref()?)))
                .collect();
            let (p, eval_diags) = eval::eval_program(root, &mods);
            diags.extend(eval_diags);
            if let Some(p) = p {
                diags.extend(cycles::check(&p));
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

/// Check a module file on its own, as the files that `use` it see it (for editors): parse
/// it and the modules it uses, check each, the root as a module (it may not declare
/// `stack`; its params without default are given by each `use`, so none is missing).
/// Nothing is evaluated (param values come from a `use`), so [`Compiled::program`] is
/// always `None`. Never panics.
pub fn check_module(root: SourceFile, loader: &dyn Loader, catalog: &Catalog) -> Compiled {
    let mut sources = SourceMap::new(root);
    let mut diags = Vec::new();
    let loaded = modules::load(&mut sources, loader, &mut diags);
    if !diagnostic::has_errors(&diags) {
        let (_, check_diags) = modules::check_all_as(&loaded, &sources, catalog, &[], true);
        diags.extend(check_diags);
    }
    diagnostic::sort(&mut diags);
    Compiled {
        sources,
        program: None,
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
