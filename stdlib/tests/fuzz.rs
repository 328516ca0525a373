//! A corpus-driven fuzz harness on stable Rust (issue 14): every program of the corpus,
//! and bounded numbers of mutations of them, go through parse, check, evaluate (with the
//! real catalog and every stdlib rule), render and fmt, each in a thread with the default
//! 2 MiB stack. The front end must never panic, abort or overflow, and what it says must
//! be coherent:
//! - every diagnostic has a code from the registry and spans inside the text;
//! - a program that compiles formats, and formatting is idempotent;
//! - a file without a syntax tree has an error saying why.
//!
//! Corpus: `examples/*.capz` (and their modules) and `tests/fuzz/corpus/*.capz`, which
//! holds every input that once crashed or hung the front end (`crash-*.capz`, a
//! regression fixture each). The number of mutation cases is bounded (`CAPZ_FUZZ_CASES`,
//! default 200), so CI runs it in bounded time; run longer locally with e.g.
//! `CAPZ_FUZZ_CASES=20000 cargo test -p stdlib --test fuzz --release`. A failing case is
//! printed by proptest (and kept in `proptest-regressions/`); add its minimised source to
//! the corpus as `crash-NAME.capz`.

use lang::source::Loader;
use lang::{Catalog, SourceFile};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn repo() -> PathBuf {
    // The folder cargo names at run time first (a compiled-in path is stale in a target
    // folder copied from another checkout).
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest
        .parent()
        .map_or_else(|| Path::new(".").to_path_buf(), Path::to_path_buf)
}

/// Every corpus file, sorted: (path relative to the repository, text).
fn corpus() -> &'static [(String, String)] {
    static CORPUS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut out = Vec::new();
        for dir in ["examples", "examples/modules", "tests/fuzz/corpus"] {
            let Ok(rd) = std::fs::read_dir(repo().join(dir)) else {
                panic!("{dir} is missing: the fuzz corpus needs it");
            };
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "capz"))
                .collect();
            files.sort();
            for f in files {
                let text = std::fs::read_to_string(&f).expect("read a corpus file");
                let rel = f.strip_prefix(repo()).expect("inside the repo");
                out.push((rel.to_string_lossy().into_owned(), text));
            }
        }
        out
    })
}

/// Modules resolved from the examples' folder, so `use "./modules/..."` works.
struct ExamplesLoader;

impl Loader for ExamplesLoader {
    fn load(&self, _from: &str, path: &str) -> Result<SourceFile, String> {
        let p = repo().join("examples").join(path);
        std::fs::read_to_string(&p)
            .map(|t| SourceFile::new(path, t))
            .map_err(|e| e.to_string())
    }
}

/// Run the whole front end on `src` in a 2 MiB thread; `Err` says what is wrong.
fn front_end(src: String) -> Result<(), String> {
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || check_one(&src))
        .map_err(|e| e.to_string())?;
    match handle.join() {
        Ok(r) => r,
        Err(p) => Err(format!(
            "panicked: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    }
}

fn check_one(src: &str) -> Result<(), String> {
    let catalog: &Catalog = stdlib::catalog();
    let registered = |code: &str| {
        lang::codes::CODES.iter().any(|c| c.code == code)
            || catalog.rules.iter().any(|r| r.code == code)
    };
    // Parse alone.
    let (tree, diags) = lang::syntax::parse(0, src);
    if tree.is_none() && !lang::diagnostic::has_errors(&diags) {
        return Err("no tree and no error".into());
    }
    // Check, evaluate, rules.
    let c = lang::compile(
        SourceFile::new("fuzz.capz", src),
        &ExamplesLoader,
        catalog,
        &[],
    );
    for d in diags.iter().chain(&c.diagnostics) {
        if !registered(d.code) {
            return Err(format!("unregistered code {}", d.code));
        }
        for l in &d.labels {
            let len = c.sources.get(l.span.file).map_or(0, |f| f.text.len());
            if l.span.start > l.span.end || l.span.end as usize > len {
                return Err(format!(
                    "{}: span {:?} outside the text ({len})",
                    d.code, l.span
                ));
            }
        }
    }
    let rendered = lang::diagnostic::render(&c.sources, &c.diagnostics);
    if !c.diagnostics.is_empty() && rendered.is_empty() {
        return Err("diagnostics rendered as nothing".into());
    }
    let _ = lang::check_only(&SourceFile::new("fuzz.capz", src), catalog, &[]);
    // Format: a program without syntax errors formats, and formatting again changes nothing.
    match lang::fmt::format_source(src) {
        Ok(once) => match lang::fmt::format_source(&once) {
            Ok(twice) if twice == once => {}
            Ok(_) => return Err("formatting is not idempotent".into()),
            Err(d) => return Err(format!("formatted text does not parse: {d:?}")),
        },
        Err(d) => {
            if d.iter().any(|d| d.code == "capz::fmt::internal") {
                return Err(format!("the formatter failed: {d:?}"));
            }
            if !lang::diagnostic::has_errors(&diags) {
                return Err(format!("fmt refused a file that parses: {d:?}"));
            }
        }
    }
    Ok(())
}

#[test]
fn the_corpus_goes_through_the_front_end() {
    let mut failures = Vec::new();
    for (name, text) in corpus() {
        if let Err(e) = front_end(text.clone()) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(corpus().len() >= 10, "the corpus is too small");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Tokens that mutations insert: the grammar's punctuation and keywords, and pieces of
/// the known crashers.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "=",
    "==",
    "..",
    ".",
    ",",
    "+",
    "&&",
    "||",
    "!",
    "-",
    "<->",
    "${",
    "\\",
    "#",
    "//",
    "\n",
    " ",
    "in",
    "for",
    "let",
    "if",
    "else",
    "output",
    "param",
    "use",
    "stack",
    "true",
    "0",
    "65536",
    "99999999999999999999",
    "x",
    "\u{feff}",
    "é",
    "list<",
    ">",
    ":",
    "|",
];

/// One mutation of `base` chosen by `(op, at, len, token, times)`.
fn mutate(base: &str, op: u8, at: usize, len: usize, token: usize, times: usize) -> String {
    let floor = |s: &str, mut i: usize| {
        i = i.min(s.len());
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let at = floor(base, at % (base.len() + 1));
    let end = floor(base, at + len);
    let tok = TOKENS[token % TOKENS.len()];
    let mut s = base.to_string();
    match op % 5 {
        // Insert a token (sometimes many times: long chains).
        0 => s.insert_str(at, &tok.repeat(times)),
        // Delete a range.
        1 => s.replace_range(at..end, ""),
        // Duplicate a range many times.
        2 => {
            let piece = base[at..end].repeat(times.min(200));
            s.insert_str(end, &piece);
        }
        // Replace a range by a token.
        3 => s.replace_range(at..end, tok),
        // Cut the file short.
        _ => s.truncate(at),
    }
    s
}

fn cases() -> u32 {
    std::env::var("CAPZ_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_corpus_programs_go_through_the_front_end(
        file in any::<usize>(),
        ops in proptest::collection::vec(
            (any::<u8>(), any::<usize>(), 0usize..64, any::<usize>(), 1usize..2_000),
            1..4,
        ),
    ) {
        let files = corpus();
        // Mutate the small programs (the examples); the crashers are run as they are.
        let small: Vec<&(String, String)> =
            files.iter().filter(|(_, t)| t.len() < 20_000).collect();
        let (name, text) = small[file % small.len()];
        let mut src = text.clone();
        for (op, at, len, token, times) in ops {
            // Long repetitions only for one-token inserts; others stay small.
            let times = if op % 5 == 0 && times > 20 { times * 5 } else { times.min(20) };
            src = mutate(&src, op, at, len, token, times);
        }
        if let Err(e) = front_end(src.clone()) {
            let shown: String = src.chars().take(2_000).collect();
            prop_assert!(false, "{name} mutated: {e}\n--- source ---\n{shown}");
        }
    }
}
