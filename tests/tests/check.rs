//! Golden diagnostics: every `tests/fixtures/check/**/NAME.capz` is checked with the real
//! binary from the repository root, and its stderr compared with `NAME.stderr` beside it.
//! Fixtures under `errors/` must exit 1, fixtures under `ok/` must exit 0.
//! `CAPZ_BLESS=1` rewrites the goldens. See tests/README.md for adding a case.

use capz_tests::{assert_golden, repo_root, run_capz};
use std::path::PathBuf;

fn fixtures(sub: &str) -> Vec<PathBuf> {
    let dir = repo_root().join("tests/fixtures/check").join(sub);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "capz"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn run_fixtures(sub: &str, expected_code: i32) {
    let files = fixtures(sub);
    assert!(
        !files.is_empty(),
        "no fixtures in tests/fixtures/check/{sub}"
    );
    let mut failures = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(repo_root())
            .expect("inside repo")
            .to_path_buf();
        // Optional params for the run: first line `# params: a=b c=d`.
        let text = std::fs::read_to_string(&file).expect("read fixture");
        let mut args = vec!["check".to_string(), rel.to_string_lossy().into_owned()];
        if let Some(p) = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# params:"))
        {
            for kv in p.split_whitespace() {
                args.push("--param".into());
                args.push(kv.into());
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = run_capz(&repo_root(), None, &args);
        if run.code != expected_code {
            failures.push(format!(
                "{}: exit {} (expected {expected_code})\n{}",
                rel.display(),
                run.code,
                run.stderr
            ));
            continue;
        }
        let result = std::panic::catch_unwind(|| {
            assert_golden(&file.with_extension("stderr"), &run.stderr);
        });
        if let Err(e) = result {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "golden mismatch".into());
            failures.push(msg);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn programs_with_errors_report_golden_diagnostics() {
    run_fixtures("errors", 1);
}

#[test]
fn valid_twins_check_clean() {
    run_fixtures("ok", 0);
}
