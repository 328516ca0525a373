//! Diagnostic codes end to end: `capz explain CODE` prints the explanation of every code
//! registered in `lang::codes::CODES`, stdlib's rules and `runtime::codes::CODES`; an
//! unknown code exits 1 with a did-you-mean; every code a golden shows is registered; and
//! docs/diagnostics.md lists every code with its summary (`CAPZ_BLESS=1` regenerates it).

use capz_tests::{repo_root, run_capz};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which registry a code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Registry {
    Lang,
    Stdlib,
    Runtime,
}

/// One registered code: `(registry, summary, explanation)`.
type Entry = (Registry, &'static str, &'static str);

/// Every registered code, keyed by code. Panics if a code is registered twice (in one
/// registry or across registries): `capz explain` could then print only one of them.
fn registry() -> BTreeMap<&'static str, Entry> {
    let mut all = BTreeMap::new();
    let mut add = |code: &'static str, entry: Entry| {
        if let Some(prev) = all.insert(code, entry) {
            panic!(
                "{code} is registered twice ({:?} and {:?})",
                prev.0, entry.0
            );
        }
    };
    for c in lang::codes::CODES {
        add(c.code, (Registry::Lang, c.summary, c.explanation));
    }
    for r in &stdlib::catalog().rules {
        add(r.code, (Registry::Stdlib, r.summary, r.explanation));
    }
    for c in runtime::codes::CODES {
        add(c.code, (Registry::Runtime, c.summary, c.explanation));
    }
    all
}

#[test]
fn codes_are_well_formed() {
    let shape = regex::Regex::new(r"^capz::[a-z]+(-[a-z]+)*::[a-z0-9]+(-[a-z0-9]+)*$").unwrap();
    let all = registry();
    assert!(all.len() > 80, "expected many codes, found {}", all.len());
    for (code, (reg, summary, explanation)) in &all {
        assert!(
            shape.is_match(code),
            "{code} ({reg:?}) is not capz::area::kebab-name"
        );
        assert!(!summary.trim().is_empty(), "{code} has no summary");
        assert!(!summary.contains('\n'), "{code}: the summary is one line");
        assert!(
            explanation.trim().len() > summary.trim().len(),
            "{code}: the explanation says more than the summary"
        );
    }
}

#[test]
fn explain_prints_every_registered_code() {
    let root = repo_root();
    let mut failures = Vec::new();
    for (code, (reg, summary, explanation)) in registry() {
        let run = run_capz(&root, None, &["explain", code]);
        let first = explanation.lines().next().unwrap_or_default().trim();
        if run.code != 0
            || !run.stdout.starts_with(&format!("{code}: {summary}"))
            || !run.stdout.contains(first)
        {
            failures.push(format!(
                "capz explain {code} ({reg:?}): exit {}\n--- stdout\n{}--- stderr\n{}",
                run.code, run.stdout, run.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn explain_tolerates_surrounding_whitespace() {
    let run = run_capz(
        &repo_root(),
        None,
        &["explain", " capz::cidr::subnet-overlap "],
    );
    let run = run.expect_code(0);
    assert!(
        run.stdout.starts_with("capz::cidr::subnet-overlap: "),
        "{}",
        run.stdout
    );
}

#[test]
fn explain_unknown_code_exits_1_with_a_suggestion() {
    let root = repo_root();
    // A typo of a stdlib rule, of a language code and of a runtime code.
    for (typo, meant) in [
        ("capz::cidr::subnet-overlaps", "capz::cidr::subnet-overlap"),
        ("capz::name::undeclard", "capz::name::undeclared"),
        ("capz::arm::request-fail", "capz::arm::request-failed"),
    ] {
        assert!(
            registry().contains_key(meant),
            "{meant} is no longer registered"
        );
        let run = run_capz(&root, None, &["explain", typo]).expect_code(1);
        assert!(
            run.stdout.is_empty(),
            "{typo}: nothing on stdout\n{}",
            run.stdout
        );
        assert!(
            run.stderr.contains("capz::cli::unknown-code"),
            "{typo}: the diagnostic has its code\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("did you mean `{meant}`?")),
            "{typo}: suggests {meant}\n{}",
            run.stderr
        );
    }
    // Nothing close: still exit 1 and a hint of what codes look like, no suggestion.
    let run = run_capz(&root, None, &["explain", "E0308"]).expect_code(1);
    assert!(
        run.stderr.contains("capz::cli::unknown-code"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("did you mean"), "{}", run.stderr);
}

/// Every file under `dir`, recursively, in sorted order.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_code_in_a_golden_is_registered() {
    let all = registry();
    let code_re = regex::Regex::new(r"capz::[a-z0-9-]+::[a-z0-9-]+").unwrap();
    let root = repo_root();
    let mut seen = 0;
    let mut failures = Vec::new();
    for dir in ["tests/fixtures", "tests/golden"] {
        for path in files_under(&root.join(dir)) {
            // Goldens: everything that is not a program (`.capz`) or a module of one.
            if path.extension().is_some_and(|e| e == "capz") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            // REPL transcripts echo typed input after `> `, and messages quote what the user
            // typed ("no diagnostic code \"capz::nope::nope\""): neither is a code capz emits.
            let emitted = text
                .lines()
                .filter(|l| !l.trim_start().starts_with('>'))
                .flat_map(|l| {
                    code_re
                        .find_iter(l)
                        .filter(move |m| !l[..m.start()].ends_with('"'))
                });
            for m in emitted {
                seen += 1;
                if !all.contains_key(m.as_str()) {
                    failures.push(format!(
                        "{}: {}",
                        path.strip_prefix(&root).unwrap_or(&path).display(),
                        m.as_str()
                    ));
                }
            }
        }
    }
    assert!(seen > 20, "expected many codes in goldens, found {seen}");
    assert!(
        failures.is_empty(),
        "unregistered codes in goldens:\n{}",
        failures.join("\n")
    );
}

/// Codes a `.capz` program cannot trigger through `capz check`: the formatter's own guard.
const NOT_FROM_CHECK: &[&str] = &["capz::fmt::internal"];

#[test]
fn every_rule_and_language_code_has_a_failing_fixture_with_a_twin() {
    let root = repo_root().join("tests/fixtures/check");
    // The codes each golden reports: the line a rendered diagnostic starts with.
    let mut reported: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for sub in ["errors", "ok"] {
        for path in files_under(&root.join(sub)) {
            if path.extension().is_none_or(|e| e != "stderr") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let name = format!("{sub}/{}", path.file_stem().unwrap().to_string_lossy());
            for line in text.lines().filter(|l| l.starts_with("capz::")) {
                reported
                    .entry(line.trim().to_string())
                    .or_default()
                    .push(name.clone());
            }
        }
    }
    let mut failures = Vec::new();
    for (code, (reg, _, _)) in registry() {
        if reg == Registry::Runtime || NOT_FROM_CHECK.contains(&code) {
            continue;
        }
        if !reported.contains_key(code) {
            failures.push(format!(
                "{code}: no golden under tests/fixtures/check reports it"
            ));
        }
        // A fixture named after its code (`capz::cidr::misaligned` -> cidr-misaligned) has a
        // valid twin of the same name under ok/.
        let file = code.trim_start_matches("capz::").replace("::", "-");
        if root.join("errors").join(format!("{file}.capz")).exists()
            && !root.join("ok").join(format!("{file}.capz")).exists()
        {
            failures.push(format!(
                "{code}: errors/{file}.capz has no valid twin ok/{file}.capz"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The Azure source an explanation names after `Source:`, on one line; `None` for codes
/// that encode no Azure rule (syntax, CLI, ...).
fn source_of(explanation: &str) -> Option<String> {
    let (_, src) = explanation.split_once("Source:")?;
    Some(src.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Every checker rule names its Azure source, and every ARM spec file it cites
/// (`something.json`) is one of the specs vendored under vendor/arm-specs.
#[test]
fn every_rule_cites_a_source_that_exists() {
    let vendored: Vec<String> = files_under(&repo_root().join("vendor/arm-specs"))
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    assert!(vendored.len() > 5, "vendor/arm-specs is missing");
    let spec = regex::Regex::new(r"([A-Za-z]+)\.json").unwrap();
    let mut failures = Vec::new();
    let mut rules = 0;
    for r in &stdlib::catalog().rules {
        rules += 1;
        let Some(src) = source_of(r.explanation) else {
            failures.push(format!("{}: no `Source:` in its explanation", r.code));
            continue;
        };
        if !src.contains("https://") && !spec.is_match(&src) {
            failures.push(format!(
                "{}: the source names no URL or spec file: {src}",
                r.code
            ));
        }
        for m in spec.captures_iter(&src) {
            let file = format!("{}.json", &m[1]);
            if !vendored.contains(&file) {
                failures.push(format!(
                    "{}: cites {file}, which is not in vendor/arm-specs",
                    r.code
                ));
            }
        }
    }
    assert!(
        rules >= 60,
        "expected at least 60 checker rules, found {rules}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// docs/diagnostics.md as generated from the registries.
fn diagnostics_index() -> String {
    let all = registry();
    let mut out = String::from(
        "# Diagnostic codes\n\n\
         Every problem capz reports is a diagnostic with a stable code `capz::area::name`.\n\
         `capz explain CODE` prints what a code means, why, how to fix it and the Azure source of\n\
         the rule (the source column: an Azure doc page or an ARM spec file under vendor/arm-specs;\n\
         `capz` marks codes of capz's own, such as syntax and CLI errors). This index is generated\n\
         from the three registries by tests/tests/explain.rs\n\
         (`CAPZ_BLESS=1 cargo test -p capz-tests --test explain` regenerates it):\n\n\
         - language codes (syntax, names, types, evaluation, modules): `lang/src/codes.rs`;\n\
         - checker rules (Azure's constraints on the evaluated program): `stdlib/src/rules/`;\n\
         - runtime codes (CLI, targets, ARM requests, plan, apply, REPL): `runtime/src/codes.rs`.\n\n\
         Failing example programs and their diagnostics are under `tests/fixtures/check/errors/`,\n\
         each with a valid twin under `tests/fixtures/check/ok/`.\n",
    );
    let mut areas: BTreeMap<&str, Vec<(&str, Entry)>> = BTreeMap::new();
    for (code, entry) in all {
        let area = code.split("::").nth(1).unwrap_or_default();
        areas.entry(area).or_default().push((code, entry));
    }
    for (area, codes) in areas {
        let mut from: Vec<&str> = Vec::new();
        for (_, (reg, _, _)) in &codes {
            let name = match reg {
                Registry::Lang => "lang",
                Registry::Stdlib => "stdlib rules",
                Registry::Runtime => "runtime",
            };
            if !from.contains(&name) {
                from.push(name);
            }
        }
        let from = from.join(", ");
        out.push_str(&format!(
            "\n## {area} ({from})\n\n| code | summary | source |\n|---|---|---|\n"
        ));
        for (code, (_, summary, explanation)) in codes {
            out.push_str(&format!(
                "| `{code}` | {} | {} |\n",
                summary.trim().replace('|', "\\|"),
                source_of(explanation)
                    .map_or_else(|| "capz".to_string(), |s| s.replace('|', "\\|"))
            ));
        }
    }
    out
}

#[test]
fn diagnostics_index_is_up_to_date() {
    let path = repo_root().join("docs/diagnostics.md");
    let want = diagnostics_index();
    if std::env::var_os("CAPZ_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        let diff = similar::TextDiff::from_lines(&have, &want)
            .unified_diff()
            .header("docs/diagnostics.md", "registries")
            .to_string();
        panic!(
            "docs/diagnostics.md is out of date: run CAPZ_BLESS=1 cargo test -p capz-tests --test explain\n{diff}"
        );
    }
}
