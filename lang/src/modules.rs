//! Modules: loading the files a program `use`s, and checking each of them.
//!
//! `use NAME = "path.capz" { param = expr ... }` names another file. [`load`] reads the
//! root's modules through the caller's [`Loader`] (depth first, each file once, keyed by
//! the display name the loader returns), gives each its [`FileId`] in the [`SourceMap`],
//! and refuses cycles. [`check_all`] checks modules before the files that use them, so
//! that each `use` is checked against its module's [`check::ModuleInterface`] (params and
//! outputs). Evaluation ([`crate::eval::eval_program`]) then instantiates them.

use crate::check::{self, Checked, Unit};
use crate::diagnostic::{self, Diagnostic};
use crate::schema::Catalog;
use crate::source::{FileId, Loader, SourceMap, Span};
use crate::syntax::{self, ast};
use std::collections::HashMap;

/// The parsed files of one compilation, indexed by [`FileId`] (`None`: did not parse),
/// the file each `use` names (keyed by the `use` declaration's span), and the order to
/// check them in (every module before the files that use it; the root last).
#[derive(Debug, Default)]
pub struct Loaded {
    /// Syntax trees by file.
    pub files: Vec<Option<ast::File>>,
    /// `use` declaration span → the module file it names.
    pub targets: HashMap<Span, FileId>,
    /// Modules first, root last.
    pub order: Vec<FileId>,
}

/// Parse the root (file 0 of `sources`) and load, add to `sources` and parse every module
/// it uses, transitively. Problems (syntax errors in any file, unreadable modules,
/// cycles, too many files) go to `diags`. Never panics.
pub fn load(sources: &mut SourceMap, loader: &dyn Loader, diags: &mut Vec<Diagnostic>) -> Loaded {
    let mut l = Loading {
        loader,
        loaded: Loaded::default(),
        by_name: HashMap::new(),
        stack: Vec::new(),
    };
    if let Some(root) = sources.get(0) {
        l.by_name.insert(root.name.clone(), 0);
    }
    l.visit(0, sources, diags);
    l.loaded
}

struct Loading<'l> {
    loader: &'l dyn Loader,
    loaded: Loaded,
    by_name: HashMap<String, FileId>,
    /// Files being visited, outermost first, with the `use` that led to the next one.
    stack: Vec<(FileId, Option<Span>)>,
}

/// Every `use` in a file's items (including inside `for`), in source order.
fn uses_in<'f>(items: &'f [ast::Item], out: &mut Vec<&'f ast::UseDecl>) {
    for i in items {
        match i {
            ast::Item::Use(u) => out.push(u),
            ast::Item::For(f) => uses_in(&f.body, out),
            _ => {}
        }
    }
}

impl Loading<'_> {
    fn visit(&mut self, id: FileId, sources: &mut SourceMap, diags: &mut Vec<Diagnostic>) {
        let Some(text) = sources.get(id).map(|f| f.text.clone()) else {
            return;
        };
        let (file, parse_diags) = syntax::parse(id, &text);
        let ok = !diagnostic::has_errors(&parse_diags);
        diags.extend(parse_diags);
        let idx = id as usize;
        if self.loaded.files.len() <= idx {
            self.loaded.files.resize_with(idx + 1, || None);
        }
        let uses: Vec<(Span, String, Span)> = match &file {
            Some(f) if ok => {
                let mut v = Vec::new();
                uses_in(&f.items, &mut v);
                v.iter()
                    .map(|u| (u.span, u.path.clone(), u.path_span))
                    .collect()
            }
            _ => Vec::new(),
        };
        self.loaded.files[idx] = file.filter(|_| ok);
        self.stack.push((id, None));
        let from = sources.get(id).map(|f| f.name.clone()).unwrap_or_default();
        for (use_span, path, path_span) in uses {
            if path.is_empty() {
                continue; // interpolated path, already reported
            }
            let sf = match self.loader.load(&from, &path) {
                Ok(sf) => sf,
                Err(why) => {
                    diags.push(
                        Diagnostic::error(
                            "capz::module::not-found",
                            format!("cannot read module \"{path}\""),
                        )
                        .with_primary(path_span, why)
                        .with_help("a relative path is resolved from the directory of this file, e.g. \"./modules/cluster.capz\""),
                    );
                    continue;
                }
            };
            if let Some(&existing) = self.by_name.get(&sf.name) {
                if let Some(pos) = self.stack.iter().position(|(f, _)| *f == existing) {
                    let chain: Vec<String> = self.stack[pos..]
                        .iter()
                        .map(|(f, _)| sources.get(*f).map_or_else(String::new, |s| s.name.clone()))
                        .chain(std::iter::once(sf.name.clone()))
                        .collect();
                    let mut d = Diagnostic::error(
                        "capz::module::cycle",
                        format!("module {} uses itself", sf.name),
                    )
                    .with_primary(path_span, "this `use` closes the cycle")
                    .with_help(if chain.len() <= 2 {
                        "a module cannot use itself; to repeat it, write `use name[i] = \"...\"` in a `for` loop of the file that uses it".to_string()
                    } else {
                        format!(
                            "the files use each other: {}; remove one of these `use`s",
                            chain.join(" → ")
                        )
                    });
                    if let Some((_, Some(first))) = self.stack.get(pos) {
                        d = d.with_secondary(*first, "the cycle starts here");
                    }
                    diags.push(d);
                } else {
                    self.loaded.targets.insert(use_span, existing);
                }
                continue;
            }
            if sources.files.len() >= MAX_FILES_GUARD {
                diags.push(
                    Diagnostic::error(
                        "capz::module::cycle",
                        format!("the program reads more than {MAX_FILES_GUARD} files"),
                    )
                    .with_primary(path_span, "one file too many")
                    .with_help("modules probably use each other through paths that name the same files differently"),
                );
                continue;
            }
            let new_id = sources.add(sf.clone());
            self.by_name.insert(sf.name, new_id);
            self.loaded.targets.insert(use_span, new_id);
            if let Some(top) = self.stack.last_mut() {
                top.1 = Some(use_span);
            }
            self.visit(new_id, sources, diags);
        }
        self.stack.pop();
        self.loaded.order.push(id);
    }
}

const MAX_FILES_GUARD: usize = crate::MAX_FILES;

/// Check every loaded file, modules before the files that use them, the root (file 0)
/// with the `--param` overrides. Returns the checked files indexed by [`FileId`] (`None`
/// for files that did not parse) and every diagnostic.
pub fn check_all<'a>(
    loaded: &'a Loaded,
    sources: &SourceMap,
    catalog: &'a Catalog,
    params: &[(String, String)],
) -> (Vec<Option<Checked<'a>>>, Vec<Diagnostic>) {
    check_all_as(loaded, sources, catalog, params, false)
}

/// [`check_all`], with the root (file 0) checked as a module when `root_is_module` (a
/// module file on its own, e.g. open in an editor: no `stack`, params given by `use`).
pub fn check_all_as<'a>(
    loaded: &'a Loaded,
    sources: &SourceMap,
    catalog: &'a Catalog,
    params: &[(String, String)],
    root_is_module: bool,
) -> (Vec<Option<Checked<'a>>>, Vec<Diagnostic>) {
    let mut units: Vec<Option<Checked<'a>>> = Vec::new();
    units.resize_with(loaded.files.len(), || None);
    let mut diags = Vec::new();
    for &id in &loaded.order {
        let Some(Some(file)) = loaded.files.get(id as usize) else {
            continue;
        };
        let mut uses = Vec::new();
        uses_in(&file.items, &mut uses);
        let mut modules = HashMap::new();
        for u in uses {
            let Some(&target) = loaded.targets.get(&u.span) else {
                continue;
            };
            if let Some(Some(c)) = units.get(target as usize) {
                let name = sources
                    .get(target)
                    .map_or_else(|| u.path.clone(), |f| f.name.clone());
                modules.insert(u.span, c.interface(&name));
            }
        }
        let unit = Unit {
            is_module: id != 0 || root_is_module,
            modules,
        };
        let overrides: &[(String, String)] = if id == 0 { params } else { &[] };
        let (c, d) = check::check_unit(file, catalog, overrides, &unit);
        diags.extend(d);
        if let Some(slot) = units.get_mut(id as usize) {
            *slot = Some(c);
        }
    }
    (units, diags)
}
