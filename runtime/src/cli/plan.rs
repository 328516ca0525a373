//! `capz plan FILE`: compile, ask ARM's preflight questions ([`crate::plan::preflight`]:
//! regions, Kubernetes versions), read live state, print the plan.
//!
//! Output (stdout): `capz plan FILE (target: LABEL)`, a blank line, then the plan text
//! ([`crate::plan::render::render_doc`]); with `--json` only the plan document
//! (docs/plan-json.md). `-out PLANFILE` also writes the document, with the program's file,
//! parameters and source hash, for `capz apply PLANFILE`. Exit 0 (1 on errors; with
//! `--detailed-exitcode` 2 when there are changes, as Terraform).

use super::target::{self, Target};
use super::{Global, ProgramArgs, Reported};
use crate::codes;
use crate::plan::json::{self, PlanDoc, ProgramRef};
use crate::plan::{self, Plan, PlanOptions};
use lang::{Diagnostic, Program, SourceMap};
use std::path::PathBuf;

/// Flags of `capz plan` besides the program.
#[derive(Clone, Debug, Default)]
pub struct PlanFlags {
    /// Exit 2 when there are changes.
    pub detailed_exitcode: bool,
    /// Print the JSON document instead of text.
    pub json: bool,
    /// Save the document here.
    pub out: Option<PathBuf>,
}

/// Compile, connect and plan (or plan the destroy). Prints diagnostics; `Err(Reported)` after that.
pub async fn prepare(
    g: &Global,
    p: &ProgramArgs,
    destroy: bool,
) -> Result<(SourceMap, Program, Target, Plan), Reported> {
    prepare_with(g, p, destroy, &PlanOptions::default()).await
}

/// [`prepare`] with planner options (`capz destroy --delete-foreign`).
pub async fn prepare_with(
    g: &Global,
    p: &ProgramArgs,
    destroy: bool,
    opts: &PlanOptions,
) -> Result<(SourceMap, Program, Target, Plan), Reported> {
    let (sources, program) = super::compile(p)?;
    let target = match target::connect(g).await {
        Ok(t) => t,
        Err(d) => {
            super::eprint_diagnostics(&sources, &[d]);
            return Err(Reported);
        }
    };
    if !destroy {
        let mut pre = plan::preflight::check(&program, &target.client).await;
        if pre.iter().any(Diagnostic::is_error) {
            lang::diagnostic::sort(&mut pre);
            super::eprint_diagnostics(&sources, &pre);
            target.close().await;
            return Err(Reported);
        }
    }
    let catalog = stdlib::catalog();
    let result = if destroy {
        plan::plan_destroy(catalog, &program, &target.client, opts).await
    } else {
        plan::plan(catalog, &program, &target.client, opts).await
    };
    match result {
        Ok(plan) => Ok((sources, program, target, plan)),
        Err(mut diags) => {
            lang::diagnostic::sort(&mut diags);
            super::eprint_diagnostics(&sources, &diags);
            target.close().await;
            Err(Reported)
        }
    }
}

/// `fnv1a64:<hex>` over the text of every source file, in load order.
pub fn source_hash(sources: &SourceMap) -> String {
    let mut all = Vec::new();
    for f in &sources.files {
        all.extend_from_slice(f.text.as_bytes());
        all.push(0);
    }
    format!("fnv1a64:{:016x}", json::fnv1a64(&all))
}

/// The [`ProgramRef`] of a compiled program: absolute path, params, source hash.
pub fn program_ref(p: &ProgramArgs, sources: &SourceMap) -> ProgramRef {
    let file = std::path::absolute(&p.file).unwrap_or_else(|_| p.file.clone());
    ProgramRef {
        file: file.display().to_string(),
        params: super::parse_params(&p.params).unwrap_or_default(),
        source_hash: source_hash(sources),
    }
}

/// Run `capz plan`.
pub async fn run(g: &Global, p: &ProgramArgs, flags: &PlanFlags) -> u8 {
    let Ok((sources, _, target, plan)) = prepare(g, p, false).await else {
        return 1;
    };
    let mut doc: PlanDoc = json::to_doc(&plan, false);
    doc.program = Some(program_ref(p, &sources));
    if flags.json {
        print!("{}", doc.to_json_string());
    } else {
        println!(
            "capz plan {} (target: {})\n",
            p.file.display(),
            target.label
        );
        print!("{}", plan::render::render_doc(&doc));
    }
    target.close().await;
    if let Some(out) = &flags.out {
        if let Err(e) = std::fs::write(out, doc.to_json_string()) {
            let d = Diagnostic::error(
                codes::CLI_WRITE_FAILED,
                format!("cannot write the plan to {}: {e}", out.display()),
            )
            .with_help("check that the folder exists and is writable");
            super::eprint_diagnostics(&sources, &[d]);
            return 1;
        }
        if !flags.json {
            println!(
                "\nSaved the plan to {}. To apply exactly this plan: capz apply {}",
                out.display(),
                out.display()
            );
        }
    }
    if flags.detailed_exitcode && plan.has_changes() {
        2
    } else {
        0
    }
}
