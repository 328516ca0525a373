//! `capz apply FILE` and `capz destroy FILE`: plan, ask (unless `--auto-approve`), run.
//!
//! Without `--auto-approve` the plan is shown and the answer read from a terminal; when
//! stdin is not a terminal nobody can answer, so that is an error
//! (`capz::apply::approval-required`). Progress lines go to stdout (timestamped when it is
//! not a terminal), failures to stderr as diagnostics, then one summary line and the
//! outputs. Exit 0 when every operation succeeded, 1 otherwise. Ctrl-C stops starting new
//! operations and waits for the running ones; a second Ctrl-C exits at once (130).

use super::{Global, ProgramArgs};
use crate::apply::events::LinePrinter;
use crate::apply::{self, ApplyOptions};
use crate::codes;
use crate::plan::{self, Shown};
use lang::Diagnostic;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Run `capz apply` (`destroy = false`) or `capz destroy`.
pub async fn run(
    g: &Global,
    p: &ProgramArgs,
    auto_approve: bool,
    parallelism: usize,
    destroy: bool,
) -> u8 {
    let Ok((sources, program, target, plan)) = super::plan::prepare(g, p, destroy).await else {
        return 1;
    };
    let verb = if destroy { "destroy" } else { "apply" };
    println!(
        "capz {verb} {} (target: {})\n",
        p.file.display(),
        target.label
    );
    print!("{}", plan::render::render_text(&plan));
    if !plan.has_changes() {
        target.close().await;
        return 0;
    }
    if !auto_approve {
        let question = if destroy {
            format!(
                "Do you really want to destroy all resources of stack {}? Only 'yes' will be accepted:",
                plan.stack
            )
        } else {
            "Do you want to perform these actions? Only 'yes' will be accepted:".to_string()
        };
        if let Err(d) = ask(&question) {
            target.close().await;
            super::eprint_diagnostics(&sources, &[d]);
            return 1;
        }
    }
    println!();
    let stdout = std::io::stdout();
    let timestamps = !stdout.is_terminal();
    let mut printer = LinePrinter::new(stdout, timestamps);
    // First Ctrl-C: start nothing new, let running operations finish (stopping an ARM
    // operation midway leaves it running in Azure anyway). Second: exit at once.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::SeqCst);
                eprintln!(
                    "\nInterrupt received: waiting for running operations to finish (Ctrl-C again to quit now)."
                );
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        })
    };
    let opts = ApplyOptions {
        write_budget: parallelism.max(1),
        stop: Some(stop),
    };
    let outcome = apply::apply(
        stdlib::catalog(),
        &program,
        &plan,
        &target.client,
        &opts,
        &mut |e| printer.print(e),
    )
    .await;
    watcher.abort();
    target.close().await;
    let mut diags = outcome.diagnostics.clone();
    lang::diagnostic::sort(&mut diags);
    super::eprint_diagnostics(&sources, &diags);
    println!();
    if destroy && outcome.ok() {
        println!(
            "Destroy complete! Resources: {} destroyed.",
            outcome.done.destroy
        );
    } else {
        println!("{}", outcome.summary_line());
    }
    if !destroy && !outcome.outputs.is_empty() {
        println!("\nOutputs:");
        for o in &outcome.outputs {
            let v = match &o.value {
                Shown::Unknown => "(unknown: apply did not finish)".to_string(),
                other => other.to_string(),
            };
            println!("  {} = {v}", o.name);
        }
    }
    if outcome.ok() { 0 } else { 1 }
}

/// Ask `question` on the terminal; `Ok` only for `yes`.
fn ask(question: &str) -> Result<(), Diagnostic> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Diagnostic::error(
            codes::APPLY_APPROVAL_REQUIRED,
            "cannot ask for approval: standard input is not a terminal",
        )
        .with_help("pass --auto-approve to apply without asking"));
    }
    print!("\n{question} ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = stdin.lock().read_line(&mut answer);
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Diagnostic::error(
            codes::APPLY_CANCELLED,
            "apply cancelled: the answer was not 'yes'",
        )
        .with_help("nothing was changed; run the command again and answer yes to apply"))
    }
}
