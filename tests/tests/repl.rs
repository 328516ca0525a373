//! REPL transcripts: every `tests/fixtures/repl/*.repl` is replayed through the real
//! binary (`capz repl --echo` with piped stdin) from the repository root, against a fresh
//! emulator, and its output compared with the fixture itself. `CAPZ_BLESS=1` rewrites the
//! fixtures from the actual output. Format (see tests/README.md):
//!
//! ```text
//! # args: examples/managed-cluster.capz --param user_nodes=3   (arguments after `capz repl`)
//! # before: apply examples/managed-cluster.capz --auto-approve (a capz command run first)
//! > an input line
//! . a continuation line of the same input
//! the expected output
//! [exit 0]
//! ```

use capz_tests::{Emulator, assert_golden, capz, repo_root, run_capz};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

fn fixtures() -> Vec<PathBuf> {
    let dir = repo_root().join("tests/fixtures/repl");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "repl"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The `# args:` words, the `# before:` commands, and the input lines without their marks.
fn parse(text: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut args = Vec::new();
    let mut before = Vec::new();
    let mut inputs = Vec::new();
    let mut in_header = true;
    for line in text.lines() {
        if in_header && line.starts_with("# ") {
            if let Some(a) = line.strip_prefix("# args:") {
                args.extend(a.split_whitespace().map(str::to_string));
            } else if let Some(b) = line.strip_prefix("# before:") {
                before.push(b.trim().to_string());
            }
            continue;
        }
        in_header = false;
        if line == ">" || line == "." {
            inputs.push(String::new());
        } else if let Some(i) = line.strip_prefix("> ").or_else(|| line.strip_prefix(". ")) {
            inputs.push(i.to_string());
        }
    }
    (args, before, inputs)
}

fn replay(file: &Path) -> String {
    let text = std::fs::read_to_string(file).expect("read fixture");
    let header: String = text
        .lines()
        .take_while(|l| l.starts_with("# "))
        .map(|l| format!("{l}\n"))
        .collect();
    let (args, before, inputs) = parse(&text);
    let emulator = Emulator::start();
    for cmd in &before {
        let argv: Vec<&str> = cmd.split_whitespace().collect();
        run_capz(&repo_root(), Some(&emulator.url), &argv).expect_code(0);
    }
    let mut child = capz()
        .current_dir(repo_root())
        .env("CAPZ_ARM_ENDPOINT", &emulator.url)
        .arg("repl")
        .arg("--echo")
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start capz repl");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for i in &inputs {
            writeln!(stdin, "{i}").expect("write input");
        }
    }
    let out = child.wait_with_output().expect("capz repl output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "{}: stderr:\n{stderr}", file.display());
    format!(
        "{header}{}[exit {}]\n",
        String::from_utf8_lossy(&out.stdout),
        out.status.code().unwrap_or(-1)
    )
}

#[test]
fn transcripts_replay() {
    let files = fixtures();
    assert!(!files.is_empty(), "no fixtures in tests/fixtures/repl");
    let mut failures = Vec::new();
    for file in files {
        let actual = replay(&file);
        let result = std::panic::catch_unwind(|| assert_golden(&file, &actual));
        if let Err(e) = result {
            failures.push(
                e.downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| format!("{}: golden mismatch", file.display())),
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
