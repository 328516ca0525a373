//! Command-line surface tests: argument parsing, parameters, explain lookups.

use super::*;
use clap::Parser;

fn parse(args: &[&str]) -> Cli {
    match Cli::try_parse_from(std::iter::once("capz").chain(args.iter().copied())) {
        Ok(c) => c,
        Err(e) => panic!("{args:?}: {e}"),
    }
}

#[test]
fn plan_flags_and_repeated_params() {
    let cli = parse(&[
        "plan",
        "x.capz",
        "--param",
        "a=1",
        "--param",
        "b=x=y",
        "--detailed-exitcode",
    ]);
    let Command::Plan {
        program,
        detailed_exitcode,
        json,
        out,
    } = cli.command
    else {
        panic!("not plan")
    };
    assert!(detailed_exitcode);
    assert!(!json && out.is_none());
    assert_eq!(program.file, PathBuf::from("x.capz"));
    let params = parse_params(&program.params).unwrap();
    assert_eq!(
        params,
        [("a".into(), "1".into()), ("b".into(), "x=y".into())]
    );
    assert_eq!(cli.global.state_dir, PathBuf::from(".capz"));
}

#[test]
fn global_options_go_anywhere() {
    let cli = parse(&[
        "apply",
        "x.capz",
        "--auto-approve",
        "--target",
        "azure",
        "--state-dir",
        "/tmp/s",
    ]);
    assert_eq!(cli.global.target, TargetKind::Azure);
    assert_eq!(cli.global.state_dir, PathBuf::from("/tmp/s"));
    let Command::Apply {
        auto_approve,
        parallelism,
        ..
    } = cli.command
    else {
        panic!("not apply")
    };
    assert!(auto_approve);
    assert_eq!(parallelism, crate::apply::ARM_WRITE_BURST);
    let cli = parse(&[
        "emulator",
        "serve",
        "--addr",
        "127.0.0.1:9000",
        "--time-scale",
        "0",
    ]);
    let Command::Emulator {
        command:
            EmulatorCommand::Serve {
                addr,
                time_scale,
                state,
                ..
            },
    } = cli.command
    else {
        panic!("not serve")
    };
    assert_eq!(addr.port(), 9000);
    assert_eq!(time_scale, Some(0.0));
    assert!(state.is_none());
}

#[test]
fn malformed_params_are_diagnostics() {
    let d = parse_params(&["novalue".into(), "=x".into()]).unwrap_err();
    assert_eq!(d.len(), 2);
    assert!(d.iter().all(|d| d.code == crate::codes::CLI_BAD_PARAM));
}

#[test]
fn explain_knows_every_registry() {
    assert!(explain::lookup(crate::codes::ARM_REQUEST_FAILED).is_some());
    for c in lang::codes::CODES.iter().take(3) {
        assert!(explain::lookup(c.code).is_some(), "{}", c.code);
    }
    for r in stdlib::catalog().rules.iter().take(3) {
        assert!(explain::lookup(r.code).is_some(), "{}", r.code);
    }
    assert!(explain::lookup("capz::no::such-code").is_none());
}

#[tokio::test]
async fn azure_target_without_subscription_is_a_clear_diagnostic() {
    let mut cli = parse(&["--target", "azure", "plan", "x.capz"]);
    cli.global.subscription = None;
    let Err(d) = target::connect(&cli.global).await else {
        panic!("azure connected")
    };
    assert_eq!(d.code, crate::codes::TARGET_NO_SUBSCRIPTION);
    assert!(d.message.contains("AZURE_SUBSCRIPTION_ID"), "{}", d.message);
}

#[test]
fn terraform_out_flag_is_accepted() {
    for args in [
        &["capz", "plan", "x.capz", "-out", "p.json", "--json"][..],
        &["capz", "plan", "x.capz", "-out=p.json", "--json"][..],
        &["capz", "plan", "x.capz", "--out", "p.json", "--json"][..],
    ] {
        let argv = super::terraform_style_args(args.iter().map(std::ffi::OsString::from));
        let cli = Cli::try_parse_from(argv).unwrap();
        let Command::Plan { out, json, .. } = cli.command else {
            panic!("not plan")
        };
        assert_eq!(out, Some(PathBuf::from("p.json")), "{args:?}");
        assert!(json);
    }
}
