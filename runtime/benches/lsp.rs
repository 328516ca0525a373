//! Language-server latency on the largest example; writes runtime/benches/LSP_RESULTS.md.
//!
//! `cargo bench -p runtime --bench lsp` (a plain binary, `harness = false`). For
//! examples/management-cluster.capz (the largest example) it measures, over many edits,
//! the time from a changed text to its diagnostics (parse, index, and the whole
//! `capz check` pipeline: check, evaluate, stdlib rules), for an edit that keeps the file
//! valid, one the checker refuses and one that breaks the syntax; then hover, completion
//! and semantic tokens on the analysed file. The server adds its debounce
//! (`CAPZ_LSP_DEBOUNCE_MS`, 150 ms) before analysing; the JSON-RPC transport is not timed.

use runtime::lsp::analysis::Backend;
use runtime::lsp::convert::{LineIndex, path_to_uri};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

const ROUNDS: usize = 200;

/// A request to time, by name.
type Timed<'a> = (&'static str, Box<dyn Fn(&Backend) + 'a>);

fn stats(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.95), *v.last().unwrap_or(&Duration::ZERO))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/management-cluster.capz")
        .canonicalize()
        .expect("example");
    let text = std::fs::read_to_string(&path).expect("read example");
    let uri = path_to_uri(&path).expect("uri");
    let mut b = Backend::new();
    b.open(uri.clone(), &text, 0);
    assert!(b.analyze(&uri)[0].1.is_empty(), "the example checks clean");

    let valid = |i: usize| text.replace("ttl  = 300", &format!("ttl  = {}", 300 + i));
    let refused = |i: usize| text.replace("ttl  = 300", &format!("ttl  = \"x{i}\""));
    let broken = |i: usize| text.replace("ttl  = 300", &format!("ttl  = ({i}"));
    let mut out = String::from(
        "# language server benchmark results\n\nMade by `cargo bench -p runtime --bench lsp` \
         (runtime/benches/lsp.rs): the backend of `capz lsp` on examples/management-cluster.capz \
         (the largest example), release build on a 2-core machine shared with other builds, so \
         figures are indicative. *Diagnostics after an edit* is the time from the changed text \
         to its published diagnostics (parse, index, check, evaluate, stdlib rules); the server \
         waits its debounce (150 ms, `CAPZ_LSP_DEBOUNCE_MS`) after the last keystroke first.\n\n\
         | measured | rounds | median | p95 | max |\n|---|---|---|---|---|\n",
    );
    let mut version = 0;
    for (what, edit) in [
        (
            "diagnostics after an edit (file stays valid)",
            &valid as &dyn Fn(usize) -> String,
        ),
        ("diagnostics after an edit the checker refuses", &refused),
        ("diagnostics after a syntax error", &broken),
    ] {
        let mut times = Vec::with_capacity(ROUNDS);
        for i in 0..ROUNDS {
            version += 1;
            let t = edit(i);
            let start = Instant::now();
            b.change(uri.clone(), &t, version);
            let d = b.analyze(&uri);
            times.push(start.elapsed());
            std::hint::black_box(d);
        }
        let (p50, p95, max) = stats(times);
        let _ = writeln!(
            out,
            "| {what} | {ROUNDS} | {} | {} | {} |",
            ms(p50),
            ms(p95),
            ms(max)
        );
    }
    version += 1;
    b.change(uri.clone(), &text, version);
    b.analyze(&uri);
    let lines = LineIndex::new(text.as_str().into());
    let pos = |needle: &str, into: usize| {
        let at = text.find(needle).expect("needle") + into;
        lines.position(u32::try_from(at).unwrap_or(0))
    };
    let hover_at = pos("cidrsubnet(\"10.128", 2);
    let complete_at = pos("    sku = standard", 4);
    let mut requests: Vec<Timed<'_>> = vec![
        (
            "hover on a call (evaluates it in the program)",
            Box::new(|b: &Backend| {
                std::hint::black_box(b.hover(&uri, hover_at));
            }),
        ),
        (
            "completion in a resource body",
            Box::new(|b: &Backend| {
                std::hint::black_box(b.completion(&uri, complete_at));
            }),
        ),
        (
            "semantic tokens of the file",
            Box::new(|b: &Backend| {
                std::hint::black_box(b.semantic_tokens(&uri));
            }),
        ),
    ];
    for (what, f) in requests.drain(..) {
        let mut times = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let start = Instant::now();
            f(&b);
            times.push(start.elapsed());
        }
        let (p50, p95, max) = stats(times);
        let _ = writeln!(
            out,
            "| {what} | {ROUNDS} | {} | {} | {} |",
            ms(p50),
            ms(p95),
            ms(max)
        );
    }
    print!("{out}");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/LSP_RESULTS.md");
    std::fs::write(&path, out).expect("write LSP_RESULTS.md");
    println!("wrote {}", path.display());
}
