//! `capz plan FILE`: compile, read live state, print the plan.
//!
//! Output (stdout): `capz plan FILE (target: LABEL)`, a blank line, then the plan text
//! ([`crate::plan::render::render_text`]). Exit 0 (1 on errors; with
//! `--detailed-exitcode` 2 when there are changes, as Terraform).

use super::target::{self, Target};
use super::{Global, ProgramArgs, Reported};
use crate::plan::{self, Plan, PlanOptions};
use lang::{Program, SourceMap};

/// Compile, connect and plan (or plan the destroy). Prints diagnostics; `Err(Reported)` after that.
pub async fn prepare(
    g: &Global,
    p: &ProgramArgs,
    destroy: bool,
) -> Result<(SourceMap, Program, Target, Plan), Reported> {
    let (sources, program) = super::compile(p)?;
    let target = match target::connect(g).await {
        Ok(t) => t,
        Err(d) => {
            super::eprint_diagnostics(&sources, &[d]);
            return Err(Reported);
        }
    };
    let catalog = stdlib::catalog();
    let opts = PlanOptions::default();
    let result = if destroy {
        plan::plan_destroy(catalog, &program, &target.client, &opts).await
    } else {
        plan::plan(catalog, &program, &target.client, &opts).await
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

/// Run `capz plan`.
pub async fn run(g: &Global, p: &ProgramArgs, detailed_exitcode: bool) -> u8 {
    let Ok((_, _, target, plan)) = prepare(g, p, false).await else {
        return 1;
    };
    println!(
        "capz plan {} (target: {})\n",
        p.file.display(),
        target.label
    );
    print!("{}", plan::render::render_text(&plan));
    target.close().await;
    if detailed_exitcode && plan.has_changes() {
        2
    } else {
        0
    }
}
