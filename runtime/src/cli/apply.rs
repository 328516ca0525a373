//! `capz apply FILE` and `capz destroy FILE`: plan, ask (unless `--auto-approve`), run.
//!
//! Without `--auto-approve` the plan is shown and the answer read from a terminal; when
//! stdin is not a terminal nobody can answer, so that is an error
//! (`capz::apply::approval-required`). Progress lines go to stdout (timestamped when it is
//! not a terminal), failures to stderr as diagnostics, then one summary line and the
//! outputs. Exit 0 when every operation succeeded, 1 otherwise. Ctrl-C stops starting new
//! operations and waits for the running ones; a second Ctrl-C stops waiting, reports the
//! running operations as abandoned (ARM carries them on) and what never started, and exits
//! 130.
//!
//! A plan with resources in progress (`…`, an operation still running on them, e.g. after
//! an apply was killed) waits for them, then plans again and shows the new plan; its
//! changes are applied with the same approval (`--auto-approve`, or asked again). A saved
//! plan is not extended that way: when the new plan has changes, apply stops and asks for a
//! new saved plan. On the embedded local target the state directory's lock ([`super::lock`])
//! is held for the whole run.

use super::target::Target;
use super::{Global, ProgramArgs};
use crate::apply::events::{Event, LinePrinter, LiveProgress};
use crate::apply::{self, ApplyOptions};
use crate::codes;
use crate::plan::json::{self, PlanDoc};
use crate::plan::{self, Plan, Shown};
use lang::{Diagnostic, Program, SourceMap};
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How many times apply plans again after waiting for operations in progress.
const MAX_ROUNDS: usize = 5;

/// Flags of `capz apply` and `capz destroy`.
#[derive(Clone, Debug)]
pub struct ApplyFlags {
    /// Apply without asking.
    pub auto_approve: bool,
    /// Operations in flight at most.
    pub parallelism: usize,
    /// How long to wait for another apply's lock of the local state directory.
    pub lock_timeout: Duration,
}

/// Who approves a plan made after waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Approval {
    /// `--auto-approve`.
    Auto,
    /// Ask on the terminal.
    Ask,
    /// A saved plan: only what it holds was reviewed.
    Saved,
}

/// Take the state directory's lock when the target is the embedded local ARM.
fn lock(g: &Global, timeout: Duration) -> Result<Option<super::lock::StateLock>, u8> {
    let embedded =
        g.target == super::TargetKind::Local && g.arm_endpoint.as_deref().is_none_or(str::is_empty);
    if !embedded {
        return Ok(None);
    }
    super::lock::acquire(&g.state_dir, timeout, &mut |pid| {
        eprintln!("Waiting for the apply lock held by PID {pid} (--lock-timeout)...");
    })
    .map(Some)
    .map_err(|d| {
        super::eprint_diagnostics(&SourceMap::default(), &[d]);
        1
    })
}

/// Flags of `capz destroy`.
#[derive(Clone, Copy, Debug, Default)]
pub struct DestroyFlags {
    /// Delete groups that hold resources the stack does not own.
    pub delete_foreign: bool,
}

/// Run `capz apply` (`destroy = None`) or `capz destroy`. A destroy that keeps resource
/// groups because they hold resources the stack does not own deletes the stack's own
/// resources, then reports `capz::destroy::kept-foreign` and exits 1.
pub async fn run(
    g: &Global,
    p: &ProgramArgs,
    flags: &ApplyFlags,
    destroy: Option<DestroyFlags>,
) -> u8 {
    let _lock = match lock(g, flags.lock_timeout) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let parallelism = flags.parallelism;
    let auto_approve = flags.auto_approve;
    let destroy_flags = destroy;
    let destroy = destroy_flags.is_some();
    if let Ok(text) = std::fs::read_to_string(&p.file)
        && json::looks_like_plan(&text)
    {
        return run_saved(g, p, &text, parallelism, destroy).await;
    }
    let opts = plan::PlanOptions {
        delete_foreign: destroy_flags.is_some_and(|f| f.delete_foreign),
        ..plan::PlanOptions::default()
    };
    let Ok((sources, program, target, plan)) =
        super::plan::prepare_with(g, p, destroy, &opts).await
    else {
        return 1;
    };
    let kept = |code: u8| {
        if destroy && !plan.kept.is_empty() {
            let d = plan::owner::kept_diagnostic(&plan.stack, &plan.kept);
            super::eprint_diagnostics(&sources, &[d]);
            if code == 0 { 1 } else { code }
        } else {
            code
        }
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
        return kept(0);
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
    let approval = if auto_approve {
        Approval::Auto
    } else {
        Approval::Ask
    };
    let code = execute(
        &sources,
        &program,
        target,
        &plan,
        How {
            parallelism,
            destroy,
            popts: &opts,
            approval,
        },
    )
    .await;
    kept(code)
}

/// Apply a plan saved by `capz plan -out FILE`: recompile its program (same file and
/// parameters), refuse if the sources changed, plan again and refuse unless every
/// resource has the same live fingerprint and planned operation; then apply without
/// asking (the saved plan is what was reviewed).
async fn run_saved(
    g: &Global,
    p: &ProgramArgs,
    text: &str,
    parallelism: usize,
    destroy: bool,
) -> u8 {
    let empty = SourceMap::default();
    let file = p.file.display().to_string();
    let fail = |sources: &SourceMap, code: &'static str, msg: String, help: &str| {
        let d = Diagnostic::error(code, msg).with_help(help.to_string());
        super::eprint_diagnostics(sources, &[d]);
        1
    };
    let remake = format!("make the plan again: capz plan PROGRAM -out {file}");
    let doc = match PlanDoc::parse(text) {
        Ok(d) => d,
        Err(e) => {
            return fail(
                &empty,
                codes::PLAN_BAD_FILE,
                format!("{file}: {e}"),
                &remake,
            );
        }
    };
    if destroy || !p.params.is_empty() {
        return fail(
            &empty,
            codes::PLAN_BAD_FILE,
            format!("{file} is a saved plan: it is applied with `capz apply {file}` alone"),
            "a saved plan records its program and parameters; pass a .capz file to destroy or to set --param",
        );
    }
    let Some(pref) = doc.program.clone() else {
        return fail(
            &empty,
            codes::PLAN_BAD_FILE,
            format!("{file} does not say which program it was made from"),
            &remake,
        );
    };
    let args = ProgramArgs {
        file: pref.file.clone().into(),
        params: pref
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
    };
    let Ok((sources, program, target, plan)) = super::plan::prepare(g, &args, doc.destroy).await
    else {
        return 1;
    };
    let mut stale = Vec::new();
    if super::plan::source_hash(&sources) != pref.source_hash {
        stale.push(format!(
            "the program {} changed since the plan was made",
            pref.file
        ));
    }
    if !doc.subscription.eq_ignore_ascii_case(&plan.subscription) || doc.stack != plan.stack {
        stale.push(format!(
            "the plan is for stack {} in subscription {}, the target is stack {} in subscription {}",
            doc.stack, doc.subscription, plan.stack, plan.subscription
        ));
    }
    stale.extend(json::staleness(&doc, &json::to_doc(&plan, doc.destroy)));
    if !stale.is_empty() {
        target.close().await;
        return fail(
            &sources,
            codes::PLAN_STALE,
            format!("the saved plan {file} is stale:\n  {}", stale.join("\n  ")),
            &format!("nothing was changed; {remake}, review it, and apply the new file"),
        );
    }
    println!("capz apply {file} (saved plan; target: {})\n", target.label);
    print!("{}", plan::render::render_doc(&doc));
    if !plan.has_changes() {
        target.close().await;
        return 0;
    }
    println!();
    execute(
        &sources,
        &program,
        target,
        &plan,
        How {
            parallelism,
            destroy: doc.destroy,
            popts: &plan::PlanOptions::default(),
            approval: Approval::Saved,
        },
    )
    .await
}

/// Where apply progress goes: live lines on a terminal, timestamped lines otherwise.
enum Progress {
    Live(LiveProgress),
    Lines(LinePrinter<std::io::Stdout>),
}

impl Progress {
    fn print(&mut self, e: &Event) {
        match self {
            Progress::Live(p) => p.print(e),
            Progress::Lines(p) => p.print(e),
        }
    }

    fn finish(&mut self) {
        if let Progress::Live(p) = self {
            p.finish();
        }
    }
}

/// How [`execute`] runs a plan: its concurrency, whether it is a destroy, the options its
/// replans use after waiting for operations in progress, and who approves those replans.
#[derive(Clone, Copy)]
struct How<'a> {
    parallelism: usize,
    destroy: bool,
    popts: &'a crate::plan::PlanOptions,
    approval: Approval,
}

/// Run an approved plan with progress (and, after waiting for operations in progress, the
/// plans made again), then print diagnostics, the summary and outputs.
async fn execute(
    sources: &SourceMap,
    program: &Program,
    target: Target,
    plan: &Plan,
    how: How<'_>,
) -> u8 {
    let How {
        parallelism,
        destroy,
        popts,
        approval,
    } = how;
    // A terminal gets live lines (indicatif); logs and pipes get timestamped lines.
    let stdout = std::io::stdout();
    let mut printer = if stdout.is_terminal() {
        Progress::Live(LiveProgress::stdout())
    } else {
        Progress::Lines(LinePrinter::new(stdout, true))
    };
    // First Ctrl-C: start nothing new, let running operations finish (stopping an ARM
    // operation midway leaves it running in Azure anyway).
    // Second: stop waiting for the running ones (ARM carries them on), report what was
    // running and what never started, and exit 130.
    let stop = Arc::new(AtomicBool::new(false));
    let abandon = Arc::new(tokio::sync::Notify::new());
    let abandoned = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (stop, abandon, abandoned) = (stop.clone(), abandon.clone(), abandoned.clone());
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::SeqCst);
                eprintln!(
                    "\nInterrupt received: waiting for running operations to finish (Ctrl-C again to stop waiting)."
                );
                if tokio::signal::ctrl_c().await.is_ok() {
                    abandoned.store(true, Ordering::SeqCst);
                    eprintln!(
                        "\nSecond interrupt: no longer waiting for running operations; ARM carries them on."
                    );
                    abandon.notify_one();
                }
            }
        })
    };
    let opts = ApplyOptions {
        write_budget: parallelism.max(1),
        stop: Some(stop),
        abandon: Some(abandon),
    };
    let catalog = stdlib::catalog();
    let mut current = plan.clone();
    let mut done = crate::plan::Counts::default();
    let mut stopped_code: Option<u8> = None;
    let mut round = 0;
    let mut outcome = loop {
        let mut outcome = apply::apply(
            catalog,
            program,
            &current,
            &target.client,
            &opts,
            &mut |e| printer.print(e),
        )
        .await;
        done.add += outcome.done.add;
        done.change += outcome.done.change;
        done.replace += outcome.done.replace;
        done.destroy += outcome.done.destroy;
        let waited = current.counts().wait;
        round += 1;
        if waited == 0 || !outcome.ok() || round > MAX_ROUNDS {
            break outcome;
        }
        // What was in progress has ended: plan again from where it got.
        printer.finish();
        let next = if destroy {
            plan::plan_destroy(catalog, program, &target.client, popts).await
        } else {
            plan::plan(catalog, program, &target.client, popts).await
        };
        let next = match next {
            Ok(p) => p,
            Err(diags) => {
                outcome.diagnostics.extend(diags);
                outcome.failed += 1;
                break outcome;
            }
        };
        let n = if waited == 1 {
            "1 operation".to_string()
        } else {
            format!("{waited} operations")
        };
        println!("\nPlanning again after waiting for {n} in progress:\n");
        print!("{}", plan::render::render_text(&next));
        if !next.has_changes() {
            break outcome;
        }
        match approval {
            Approval::Auto => {}
            Approval::Ask => {
                if let Err(d) =
                    ask("Do you want to perform these actions? Only 'yes' will be accepted:")
                {
                    outcome.diagnostics.push(d);
                    stopped_code = Some(1);
                    break outcome;
                }
            }
            Approval::Saved => {
                outcome.diagnostics.push(
                    Diagnostic::error(
                        codes::PLAN_STALE,
                        "the saved plan waited for operations in progress; the plan made after them has changes the saved plan does not hold",
                    )
                    .with_help("review them: capz plan PROGRAM -out FILE, then capz apply FILE"),
                );
                stopped_code = Some(1);
                break outcome;
            }
        }
        println!();
        current = next;
    };
    outcome.done = done;
    printer.finish();
    watcher.abort();
    target.close().await;
    let mut diags = outcome.diagnostics.clone();
    lang::diagnostic::sort(&mut diags);
    super::eprint_diagnostics(sources, &diags);
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
    if abandoned.load(Ordering::SeqCst) {
        130
    } else if let Some(code) = stopped_code {
        code
    } else if outcome.ok() {
        0
    } else {
        1
    }
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
