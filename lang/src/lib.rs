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
/// together; a phase runs only if the ones before it found no errors, except that a root
/// file with syntax errors is still checked as far as it parsed ([`check_partial`]). A module that
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
    } else if diags
        .iter()
        .all(|d| d.primary_span().is_none_or(|s| s.file == 0))
        && let Some(root) = sources.get(0)
        && let (Some(file), _) = syntax::parse(0, &root.text)
    {
        diags.extend(check_partial(&file, catalog, params));
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

/// Codes the checker reports about something missing, which on a partial tree may only
/// mean that the declaration was in a statement with a syntax error.
const MAYBE_MISSING: &[&str] = &[
    "capz::stack::missing",
    "capz::name::undeclared",
    "capz::name::unknown-member",
    "capz::name::unset-field",
    "capz::name::missing-index",
    "capz::name::not-a-group",
    "capz::field::missing",
    "capz::kind::missing-group",
    "capz::param::missing",
    "capz::param::unknown",
];

/// Check a partial syntax tree (the statements of a file with syntax errors that did
/// parse, see [`syntax::parse`]) and return the checker's diagnostics, less those that a
/// statement lost to a syntax error could explain (an undeclared name, a missing field:
/// [`MAYBE_MISSING`]). A file that `use`s modules is not checked (its modules are not
/// loaded when the root has syntax errors): returns nothing. Never panics.
pub fn check_partial(
    file: &syntax::ast::File,
    catalog: &Catalog,
    params: &[(String, String)],
) -> Vec<Diagnostic> {
    fn has_use(items: &[syntax::ast::Item]) -> bool {
        items.iter().any(|i| match i {
            syntax::ast::Item::Use(_) => true,
            syntax::ast::Item::For(f) => has_use(&f.body),
            _ => false,
        })
    }
    if has_use(&file.items) {
        return Vec::new();
    }
    let (_, mut d) = check::check(file, catalog, params);
    d.retain(|d| !MAYBE_MISSING.contains(&d.code));
    d
}

/// Parse only (for formatters and editors): the syntax tree of what parsed (partial when
/// a diagnostic is an error: the statements with syntax errors are left out, see
/// [`syntax::parse`]) and every syntax diagnostic, sorted.
pub fn parse_only(root: &SourceFile) -> (Option<syntax::ast::File>, Vec<Diagnostic>) {
    let (f, mut d) = syntax::parse(0, &root.text);
    diagnostic::sort(&mut d);
    (f, d)
}

/// Parse and check without evaluating (for editors and the REPL's `:check`): every
/// syntax and checker diagnostic, sorted. With syntax errors, what parsed is checked by
/// [`check_partial`].
pub fn check_only(
    root: &SourceFile,
    catalog: &Catalog,
    params: &[(String, String)],
) -> Vec<Diagnostic> {
    let (file, mut diags) = syntax::parse(0, &root.text);
    if let Some(file) = file {
        if diagnostic::has_errors(&diags) {
            diags.extend(check_partial(&file, catalog, params));
        } else {
            let (_, d) = check::check(&file, catalog, params);
            diags.extend(d);
        }
    }
    diagnostic::sort(&mut diags);
    diags
}
