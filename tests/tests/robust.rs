//! The real binary (main thread, 8 MiB stack) on every input that once crashed or hung
//! the front end (issue 14, `tests/fuzz/corpus/crash-*.capz`): `capz check` and
//! `capz fmt --check` exit 0 or 1 with diagnostics, never by a signal (stack overflow
//! abort) or a panic (exit 101), and each error run ends with its count line.

use capz_tests::{repo_root, run_capz};

fn crashers() -> Vec<String> {
    let dir = repo_root().join("tests/fuzz/corpus");
    let mut out: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/fuzz/corpus")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("crash-") && n.ends_with(".capz"))
        .collect();
    out.sort();
    assert!(out.len() >= 10, "the crashers are missing: {out:?}");
    out
}

#[test]
fn check_and_fmt_survive_every_crasher() {
    let mut failures = Vec::new();
    for name in crashers() {
        let rel = format!("tests/fuzz/corpus/{name}");
        for args in [
            vec!["check", rel.as_str()],
            vec!["fmt", "--check", rel.as_str()],
        ] {
            let run = run_capz(&repo_root(), None, &args);
            let ok = match run.code {
                0 => true,
                1 => {
                    args[0] != "check"
                        || run
                            .stderr
                            .lines()
                            .last()
                            .is_some_and(|l| l.starts_with("error: ") && l.contains("problem"))
                }
                _ => false,
            };
            if !ok {
                let tail: String = run
                    .stderr
                    .chars()
                    .rev()
                    .take(600)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                failures.push(format!(
                    "capz {}: exit {}\n{tail}",
                    args.join(" "),
                    run.code
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
