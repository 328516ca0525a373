//! `capz fmt` end to end with the real binary: rewriting files and directories, `--check`
//! exit codes, stdin/stdout with `-`, and files that do not parse.

use capz_tests::{Run, capz, repo_root, run_capz};
use std::io::Write;
use std::process::Stdio;

const MESSY: &str = "stack \"fmt-test\"\ngroup rg {\nname=\"rg\"\n    location   = \"eastus2\"   # where\n}\n\n\n\noutput n = rg.name\n";
const TIDY: &str = "stack \"fmt-test\"\n\ngroup rg {\n  name     = \"rg\"\n  location = \"eastus2\" # where\n}\n\noutput n = rg.name\n";
const BROKEN: &str = "group rg {\n  name \"rg\"\n}\n";

fn fmt_stdin(args: &[&str], input: &str) -> Run {
    let mut child = capz()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn capz");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for capz").into()
}

#[test]
fn rewrites_a_file_and_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.capz");
    std::fs::write(&file, MESSY).unwrap();
    let run = run_capz(dir.path(), None, &["fmt", "main.capz"]).expect_code(0);
    assert_eq!(run.stdout.trim(), "main.capz");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), TIDY);
    // A second run changes nothing and lists nothing.
    let run = run_capz(dir.path(), None, &["fmt", "main.capz"]).expect_code(0);
    assert_eq!(run.stdout, "");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), TIDY);
}

#[test]
fn check_exit_codes_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tidy.capz"), TIDY).unwrap();
    run_capz(dir.path(), None, &["fmt", "--check", "tidy.capz"]).expect_code(0);
    std::fs::write(dir.path().join("messy.capz"), MESSY).unwrap();
    let run = run_capz(dir.path(), None, &["fmt", "--check", "."]).expect_code(1);
    let listed: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(listed.len(), 1, "{}", run.stdout);
    assert!(listed[0].ends_with("messy.capz"), "{}", run.stdout);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("messy.capz")).unwrap(),
        MESSY
    );
}

#[test]
fn walks_directories_for_capz_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("envs/dev");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::create_dir_all(dir.path().join(".capz")).unwrap();
    std::fs::write(sub.join("a.capz"), MESSY).unwrap();
    std::fs::write(dir.path().join("b.capz"), MESSY).unwrap();
    std::fs::write(dir.path().join("notes.txt"), MESSY).unwrap();
    std::fs::write(dir.path().join(".capz/hidden.capz"), MESSY).unwrap();
    // No path: the current directory.
    let run = run_capz(dir.path(), None, &["fmt"]).expect_code(0);
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(sub.join("a.capz")).unwrap(), TIDY);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("b.capz")).unwrap(),
        TIDY
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        MESSY
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".capz/hidden.capz")).unwrap(),
        MESSY
    );
}

#[test]
fn stdin_to_stdout() {
    let run = fmt_stdin(&["fmt", "-"], MESSY).expect_code(0);
    assert_eq!(run.stdout, TIDY);
    let run = fmt_stdin(&["fmt", "--check", "-"], MESSY).expect_code(1);
    assert_eq!(run.stdout.trim(), "-");
    let run = fmt_stdin(&["fmt", "--check", "-"], TIDY).expect_code(0);
    assert_eq!(run.stdout, "");
}

#[test]
fn a_file_that_does_not_parse_is_left_alone_with_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.capz"), BROKEN).unwrap();
    std::fs::write(dir.path().join("messy.capz"), MESSY).unwrap();
    let run = run_capz(dir.path(), None, &["fmt", "broken.capz", "messy.capz"]).expect_code(1);
    assert!(run.stderr.contains("capz::syntax::"), "{}", run.stderr);
    assert!(run.stderr.contains("broken.capz"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.capz")).unwrap(),
        BROKEN
    );
    // The other file is still formatted.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("messy.capz")).unwrap(),
        TIDY
    );
    let run = fmt_stdin(&["fmt", "-"], BROKEN).expect_code(1);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("capz::syntax::"), "{}", run.stderr);
}

#[test]
fn a_missing_path_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_capz(dir.path(), None, &["fmt", "nope.capz"]).expect_code(1);
    assert!(
        run.stderr.contains("capz::cli::read-failed"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_examples_are_formatted() {
    run_capz(&repo_root(), None, &["fmt", "--check", "examples"]).expect_code(0);
}
