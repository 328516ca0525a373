//! The `capz` command line (clap derive), one module per subcommand.
//!
//! ```text
//! capz [--target local|azure] [--subscription ID] [--state-dir DIR] [--arm-endpoint URL]
//!      [--operation-timeout DURATION] COMMAND
//!   check FILE [--param k=v]...                 type-check; exit 0 clean, 1 errors
//!   plan FILE [--param k=v]... [--detailed-exitcode] [--json] [-out PLANFILE]
//!                                               exit 0 ok (no changes), 1 error, 2 changes (with the flag)
//!   apply FILE|PLANFILE [--param k=v]... [--auto-approve] [--parallelism N] [--lock-timeout D]
//!   output FILE [--param k=v]... [--json]       the outputs, from live state
//!   destroy FILE [--param k=v]... [--auto-approve] [--parallelism N] [--lock-timeout D] [--delete-foreign]
//!   explain CODE                                print a diagnostic code's explanation
//!   fmt [--check] [PATH|-]...                   rewrite .capz files in the canonical style
//!   repl [FILE]                                 explore a program interactively
//!   lsp [--stdio]                               the language server (JSON-RPC on stdin/stdout)
//!   emulator serve [--addr 127.0.0.1:PORT] [--state DIR] [--time-scale F]
//!                  [--tls [--cert-out PEM]] [--require-auth] [--client TENANT:ID:SECRET]...
//!                  [--federated-client TENANT:ID[:SUBJECT]]... [--token-lifetime SECS]
//!                  [--unregistered-provider [SUB:]NS]... [--record-requests FILE]
//! ```
//! Azure (`--target azure`): `[--cloud AzureCloud|AzureUSGovernment|AzureChinaCloud]
//! [--authority-host URL] [--credential auto|service-principal|workload-identity|
//! managed-identity|azure-cli] [--ca-cert PEM]` (see [`target`]).
//! Environment: `CAPZ_TARGET`, `AZURE_SUBSCRIPTION_ID`, `CAPZ_ARM_ENDPOINT`,
//! `CAPZ_EMULATOR_TIME_SCALE`, `AZURE_CLOUD`, `AZURE_AUTHORITY_HOST`, `CAPZ_CREDENTIAL`,
//! `CAPZ_CA_CERT`, and the credentials' `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
//! `AZURE_CLIENT_SECRET`, `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_USE_MANAGED_IDENTITY`. Diagnostics go to stderr; plans and progress to stdout.

pub mod apply;
pub mod check;
pub mod emulator_cmd;
pub mod explain;
pub mod fmt;
pub mod lock;
pub mod output;
pub mod plan;
pub mod target;

use crate::codes;
use crate::loader::FsLoader;
use clap::{Args, Parser, Subcommand, ValueEnum};
use lang::{Compiled, Diagnostic, Program, SourceFile, SourceMap};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// capz: infrastructure as code for Azure Kubernetes, checked before any cloud call.
#[derive(Parser, Debug)]
#[command(name = "capz", version, about)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Where to plan and apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TargetKind {
    /// The local ARM emulator (embedded, or at --arm-endpoint).
    Local,
    /// Azure Resource Manager (signs in; see README "Using real Azure").
    Azure,
}

/// Global options.
#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Target: the local ARM emulator or Azure.
    #[arg(
        long,
        global = true,
        env = "CAPZ_TARGET",
        value_enum,
        default_value = "local"
    )]
    pub target: TargetKind,
    /// Subscription ID (local default: the emulator's subscription).
    #[arg(long, global = true, env = "AZURE_SUBSCRIPTION_ID")]
    pub subscription: Option<String>,
    /// Directory for capz state; the embedded emulator keeps local-arm.sqlite there.
    #[arg(long, global = true, default_value = ".capz")]
    pub state_dir: PathBuf,
    /// Talk to this ARM endpoint (e.g. a running `capz emulator serve`) instead of
    /// starting the embedded emulator.
    #[arg(long, global = true, env = "CAPZ_ARM_ENDPOINT")]
    pub arm_endpoint: Option<String>,
    /// Deadline of one write (retries, waits for other operations, its long-running
    /// operation), e.g. `45m`, `90s` (default 30m for AKS resources, 10m for the rest).
    #[arg(long, global = true, env = "CAPZ_OPERATION_TIMEOUT", value_name = "DURATION", value_parser = parse_duration)]
    pub operation_timeout: Option<std::time::Duration>,
    /// Cloud, sign-in and TLS options for --target azure.
    #[command(flatten)]
    pub azure: target::AzureOptions,
}

/// A duration written as Terraform writes timeouts: one or more `<number><unit>` with
/// unit `ms`, `s`, `m` or `h` (`90s`, `30m`, `1h30m`); a bare number is seconds.
///
/// Errors: an empty value, a missing number or an unknown unit.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration: write e.g. 30s, 10m or 1h".into());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    let mut total = std::time::Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("{text:?} is not a duration: write e.g. 30s, 10m or 1h"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let d = match unit {
            "ms" => std::time::Duration::from_millis(n),
            "s" => std::time::Duration::from_secs(n),
            "m" => std::time::Duration::from_secs(n.saturating_mul(60)),
            "h" => std::time::Duration::from_secs(n.saturating_mul(3600)),
            _ => {
                return Err(format!(
                    "{text:?}: unknown unit {unit:?} (use ms, s, m or h)"
                ));
            }
        };
        total = total.saturating_add(d);
    }
    Ok(total)
}

/// Program file and parameters.
#[derive(Args, Debug, Clone)]
pub struct ProgramArgs {
    /// The .capz program.
    pub file: PathBuf,
    /// Override a parameter: --param name=value (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse and type-check a program (no cloud calls).
    Check(ProgramArgs),
    /// Show what apply would change in the target.
    Plan {
        /// Program.
        #[command(flatten)]
        program: ProgramArgs,
        /// Exit 0 when there are no changes, 2 when there are, 1 on errors.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Print the plan as JSON (docs/plan-json.md) instead of text.
        #[arg(long)]
        json: bool,
        /// Save the plan to this file (`-out FILE` works too); `capz apply FILE` applies
        /// exactly it, or refuses if the program or live state changed since.
        #[arg(long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Plan, ask, then make the target match the program.
    Apply {
        /// Program.
        #[command(flatten)]
        program: ProgramArgs,
        /// Apply without asking.
        #[arg(long)]
        auto_approve: bool,
        /// Operations in flight at most (default ARM's write burst, 200; requests are
        /// paced by ARM's write/delete budget either way).
        #[arg(long, default_value_t = crate::apply::ARM_WRITE_BURST)]
        parallelism: usize,
        /// Local target: how long to wait for another apply's lock on the state
        /// directory (`0s`: refuse at once, naming its PID).
        #[arg(long, default_value = "0s", value_parser = parse_duration, value_name = "DURATION")]
        lock_timeout: std::time::Duration,
    },
    /// Delete every resource carrying the program's stack tag (a resource group only when
    /// everything in it is the stack's; exit 1 when one is kept).
    Destroy {
        /// Program.
        #[command(flatten)]
        program: ProgramArgs,
        /// Destroy without asking.
        #[arg(long)]
        auto_approve: bool,
        /// Delete the stack's resource groups even when they hold resources the stack does
        /// not own (ARM deletes those with the group; the plan lists them).
        #[arg(long)]
        delete_foreign: bool,
        /// Operations in flight at most (default ARM's write burst, 200; requests are
        /// paced by ARM's write/delete budget either way).
        #[arg(long, default_value_t = crate::apply::ARM_WRITE_BURST)]
        parallelism: usize,
        /// Local target: how long to wait for another apply's lock on the state
        /// directory (`0s`: refuse at once, naming its PID).
        #[arg(long, default_value = "0s", value_parser = parse_duration, value_name = "DURATION")]
        lock_timeout: std::time::Duration,
    },
    /// Print the program's outputs from the live state.
    Output {
        /// Program.
        #[command(flatten)]
        program: ProgramArgs,
        /// Print them as a JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Explain a diagnostic code, e.g. capz::cidr::outside-service-cidr.
    Explain {
        /// The code.
        code: String,
    },
    /// Rewrite .capz files (directories are searched) in the canonical style; `-` is stdin.
    Fmt {
        /// Files or directories (default: the current directory); `-` reads stdin and
        /// writes stdout.
        paths: Vec<PathBuf>,
        /// Write nothing; list the files that would change and exit 1 if there are any.
        #[arg(long)]
        check: bool,
    },
    /// Explore a program and the live state interactively (:help inside).
    Repl(crate::repl::ReplArgs),
    /// The language server for editors (LSP over stdio; see docs/editors.md).
    Lsp(crate::lsp::LspArgs),
    /// The local ARM emulator.
    Emulator {
        /// What to do.
        #[command(subcommand)]
        command: EmulatorCommand,
    },
}

/// `capz emulator ...`.
#[derive(Subcommand, Debug)]
pub enum EmulatorCommand {
    /// Serve the emulator until Ctrl-C; prints `listening on http://ADDR` first.
    Serve {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
        /// Directory for the state file local-arm.sqlite (in memory when absent).
        #[arg(long)]
        state: Option<PathBuf>,
        /// Operation duration scale (0 instant, 1 Azure-like); env CAPZ_EMULATOR_TIME_SCALE.
        #[arg(long)]
        time_scale: Option<f64>,
        /// HTTPS, sign-in, provider registration and request recording.
        #[command(flatten)]
        options: emulator_cmd::ServeOptions,
    },
}

/// Entry point of the `capz` binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(terraform_style_args(std::env::args_os())) {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => 1,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    crate::arm::client::install_crypto_provider();
    ExitCode::from(rt.block_on(run(cli)))
}

/// Run a parsed command; returns the process exit code.
pub async fn run(cli: Cli) -> u8 {
    let g = &cli.global;
    match cli.command {
        Command::Check(p) => check::run(&p),
        Command::Plan {
            program,
            detailed_exitcode,
            json,
            out,
        } => {
            let opts = plan::PlanFlags {
                detailed_exitcode,
                json,
                out,
            };
            plan::run(g, &program, &opts).await
        }
        Command::Output { program, json } => output::run(g, &program, json).await,
        Command::Apply {
            program,
            auto_approve,
            parallelism,
            lock_timeout,
        } => {
            let flags = apply::ApplyFlags {
                auto_approve,
                parallelism,
                lock_timeout,
            };
            apply::run(g, &program, &flags, None).await
        }
        Command::Destroy {
            program,
            auto_approve,
            parallelism,
            lock_timeout,
            delete_foreign,
        } => {
            let flags = apply::ApplyFlags {
                auto_approve,
                parallelism,
                lock_timeout,
            };
            let d = apply::DestroyFlags { delete_foreign };
            apply::run(g, &program, &flags, Some(d)).await
        }
        Command::Explain { code } => explain::run(&code),
        Command::Fmt { paths, check } => fmt::run(&paths, check),
        Command::Repl(args) => crate::repl::run(g, args).await,
        Command::Lsp(args) => crate::lsp::run(&args),
        Command::Emulator {
            command:
                EmulatorCommand::Serve {
                    addr,
                    state,
                    time_scale,
                    options,
                },
        } => emulator_cmd::serve(g, addr, state, time_scale, options).await,
    }
}

/// Terraform spells single-dash long flags (`-out=FILE`, `-out FILE`); clap does not, so
/// `-out` becomes `--out` before parsing.
pub fn terraform_style_args(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    args.into_iter()
        .map(|a| match a.to_str() {
            Some("-out") => "--out".into(),
            Some(s) if s.starts_with("-out=") => format!("-{s}").into(),
            _ => a,
        })
        .collect()
}

/// Print diagnostics to stderr (colour on a terminal unless `NO_COLOR` is set).
pub fn eprint_diagnostics(sources: &SourceMap, diags: &[Diagnostic]) {
    if diags.is_empty() {
        return;
    }
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    eprint!("{}", lang::diagnostic::render_with(sources, diags, color));
}

/// Print the closing count of a run with errors (`error: 3 problems (2 errors, 1
/// warning)`, [`lang::diagnostic::summary`]) to stderr; nothing without errors.
pub fn eprint_summary(diags: &[Diagnostic]) {
    if let Some(line) = lang::diagnostic::summary(diags) {
        eprintln!("{line}");
    }
}

/// Split `--param name=value` arguments. Errors name the malformed ones.
pub fn parse_params(raw: &[String]) -> Result<Vec<(String, String)>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for p in raw {
        match p.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => out.push((k.trim().to_string(), v.to_string())),
            _ => diags.push(
                Diagnostic::error(
                    codes::CLI_BAD_PARAM,
                    format!("--param {p:?} is not name=value"),
                )
                .with_help("write it as --param name=value, e.g. --param location=westeurope"),
            ),
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// The error of a step that already printed its diagnostics to stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reported;

/// Read, parse, check and evaluate the program; print its diagnostics (warnings too).
/// `Err(Reported)` after printing when there is no program.
pub fn compile(p: &ProgramArgs) -> Result<(SourceMap, Program), Reported> {
    let name = p.file.display().to_string();
    let empty = SourceMap::default();
    let params = parse_params(&p.params).map_err(|d| {
        eprint_diagnostics(&empty, &d);
        eprint_summary(&d);
        Reported
    })?;
    let text = std::fs::read_to_string(&p.file).map_err(|e| {
        let d = Diagnostic::error(codes::CLI_READ_FAILED, format!("cannot read {name}: {e}"))
            .with_help("check the path of the program file");
        eprint_diagnostics(&empty, std::slice::from_ref(&d));
        eprint_summary(&[d]);
        Reported
    })?;
    let Compiled {
        sources,
        program,
        diagnostics,
    } = lang::compile(
        SourceFile::new(name, text),
        &FsLoader,
        stdlib::catalog(),
        &params,
    );
    eprint_diagnostics(&sources, &diagnostics);
    eprint_summary(&diagnostics);
    match program {
        Some(prog) if !lang::diagnostic::has_errors(&diagnostics) => Ok((sources, prog)),
        _ => Err(Reported),
    }
}

#[cfg(test)]
mod tests;
