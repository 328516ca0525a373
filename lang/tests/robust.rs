//! The front end never falls over: inputs that used to overflow the stack, panic or run
//! unbounded (issue 14) each get a diagnostic. Every test runs its work in a thread with
//! the default 2 MiB test stack, so a recursion tied to input length fails it.

mod common;
use lang::syntax;

/// Run `f` in a thread with a 2 MiB stack (the default for spawned threads) and return
/// its result; a stack overflow aborts the test binary, a panic fails the test.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic")
}

/// Parse, check, evaluate, render and format `src`; the codes of its diagnostics.
fn everything(src: String) -> Vec<&'static str> {
    small_stack(move || {
        let c = common::compile(&src);
        let _ = lang::diagnostic::render(&c.sources, &c.diagnostics);
        let _ = lang::fmt::format_source(&src);
        c.diagnostics.iter().map(|d| d.code).collect()
    })
}

fn chain(head: &str, piece: &str, n: usize) -> String {
    let mut s = String::with_capacity(head.len() + piece.len() * n);
    s.push_str(head);
    for _ in 0..n {
        s.push_str(piece);
    }
    s
}

/// Well past the sizes that used to overflow (5,500 terms, 6,100 indexes, 9,700
/// members); the `1 + 1` case runs at 100,000 (the others cost debug-build parse time).
const N: usize = 20_000;

#[test]
fn long_chains_are_refused_not_overflowed() {
    let cases = [
        chain("stack \"s\"\noutput x = 1", "+1", 100_000),
        chain("stack \"s\"\nlet a = true\noutput x = a", "&&a", N),
        chain("stack \"s\"\noutput x = [1]", "[0]", N),
        chain("stack \"s\"\nlet b = { c = 1 }\noutput x = b", ".c", N),
        chain("stack \"s\"\noutput x = 1", " - 1", N),
        chain("stack \"s\"\noutput x = \"a\"", " + \"a\"", N),
    ];
    for src in cases {
        let codes = everything(src);
        assert!(codes.contains(&"capz::syntax::too-deep"), "{codes:?}");
    }
}

#[test]
fn chains_up_to_the_limit_compile() {
    // The deepest accepted tree: a leaf and MAX_EXPR_DEPTH - 1 additions.
    let n = syntax::MAX_EXPR_DEPTH - 1;
    let src = chain("stack \"s\"\noutput x = 1", "+1", n);
    let codes = everything(src.clone());
    assert!(codes.is_empty(), "{codes:?}");
    let p = small_stack(move || common::ok(&src).outputs.len());
    assert_eq!(p, 1);
    let over = chain("stack \"s\"\noutput x = 1", "+1", n + 1);
    assert_eq!(everything(over), ["capz::syntax::too-deep"]);
}

#[test]
fn long_let_chains_stop_evaluating() {
    // Each let is read before it is defined, so types and values are found by following
    // the chain: 900 lets work (the stack grows on the heap), 3,000 are refused.
    let rev = |n: usize| {
        let mut src = String::from("stack \"s\"\noutput x = a0\n");
        for i in 0..n - 1 {
            src.push_str(&format!("let a{i} = a{} + 1\n", i + 1));
        }
        src.push_str(&format!("let a{} = 0\n", n - 1));
        src
    };
    let codes = everything(rev(900));
    assert!(codes.is_empty(), "{codes:?}");
    let codes = everything(rev(3_000));
    assert!(codes.contains(&"capz::name::too-deep"), "{codes:?}");
}

#[test]
fn nested_lists_through_lets_stop_growing() {
    let mut src = String::from("stack \"s\"\nlet a0 = [1]\n");
    for i in 1..400 {
        src.push_str(&format!("let a{i} = [a{}]\n", i - 1));
    }
    src.push_str("output x = a399\n");
    let codes = everything(src);
    assert!(codes.contains(&"capz::eval::too-large"), "{codes:?}");
}

#[test]
fn doubling_values_stop_growing() {
    for (zero, step) in [("\"ab\"", "a{p} + a{p}"), ("[1, 2]", "[a{p}, a{p}]")] {
        let mut src = format!("stack \"s\"\nlet a0 = {zero}\n");
        for i in 1..64 {
            src.push_str(&format!(
                "let a{i} = {}\n",
                step.replace("{p}", &(i - 1).to_string())
            ));
        }
        src.push_str("output x = a63\n");
        let codes = everything(src);
        assert!(codes.contains(&"capz::eval::too-large"), "{codes:?}");
    }
}

#[test]
fn nested_loops_run_out_of_budget_at_a_loop() {
    let mut deep = String::from("stack \"s\"\n");
    for _ in 0..30 {
        deep.push_str("for i in 0..2 {\n");
    }
    for _ in 0..30 {
        deep.push_str("}\n");
    }
    let wide =
        "stack \"s\"\nfor x in 0..1000 {\n for y in 0..1000 {\n  for z in 0..1000 {\n  }\n }\n}\n"
            .to_string();
    for src in [deep, wide] {
        let text = src.clone();
        let c = small_stack(move || common::compile(&text));
        let d = c
            .diagnostics
            .iter()
            .find(|d| d.code == "capz::eval::too-large")
            .unwrap_or_else(|| panic!("{:?}", c.diagnostics));
        let span = d.primary_span().expect("span");
        assert!(
            src[span.start as usize..span.end as usize].starts_with("for "),
            "{}",
            &src[span.start as usize..span.end as usize]
        );
    }
}

#[test]
fn deep_list_types_are_refused() {
    let src = format!(
        "stack \"s\"\nparam p: {}int{} = []\n",
        "list<".repeat(10_000),
        ">".repeat(10_000)
    );
    let codes = everything(src);
    assert_eq!(codes, ["capz::syntax::too-deep"]);
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let src = format!("\u{feff}{}", common::EXAMPLE);
    let c = common::compile(&src);
    assert!(c.program.is_some(), "{:?}", c.diagnostics);
    // The formatter keeps the mark and formats what follows it.
    let out = lang::fmt::format_source("\u{feff}stack \"s\"\nlet  a = 1\n").expect("formats");
    assert_eq!(out, "\u{feff}stack \"s\"\nlet a = 1\n");
}

/// Five independent syntax errors, each in its own statement.
const FIVE: &str = r#"stack "five"

group rg {
  location = "eastus2"
  name "capz-rg"
}

let base = 10 * * 2

vnet net in rg {
  address_space = ["10.0.0.0/16"]
  subnet nodes {
    address_prefix = "10.0.0.0/24";
  }
}

cluster aks in rg {
  kubernetes_version = "1.30"
  dns_prefix cluster_name
  network { plugin = azure }
  pool system {
    mode = system
    count = = 3
  }
}
"#;

#[test]
fn every_syntax_error_of_a_file_is_reported() {
    let (tree, d) = syntax::parse(0, FIVE);
    let codes: Vec<_> = d.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [
            "capz::syntax::missing-equals",
            "capz::syntax::unexpected",
            "capz::syntax::unexpected",
            "capz::syntax::missing-equals",
            "capz::syntax::unexpected",
        ]
    );
    let lines: Vec<usize> = d
        .iter()
        .map(|d| {
            FIVE[..d.primary_span().expect("span").start as usize]
                .lines()
                .count()
        })
        .collect();
    assert_eq!(lines, [5, 8, 13, 19, 23]);
    // The partial tree holds what parsed: the stack, the group, the vnet, the cluster
    // (each without the statement that failed), not the broken `let`.
    let tree = tree.expect("partial tree");
    assert_eq!(tree.items.len(), 4, "{:?}", tree.items);
}

#[test]
fn what_parsed_is_still_checked() {
    // A syntax error in one resource, a type error in another: both are reported, but
    // not the missing field the broken line would have set.
    let src = "stack \"s\"\ngroup g {\n  location = \"eastus\"\n}\nvnet v in g {\n  address_space \"x\" \"y\"\n}\nvnet w in g {\n  address_space = 3\n}\n";
    let c = common::compile(src);
    assert_eq!(
        common::codes(&c),
        ["capz::syntax::unexpected", "capz::type::mismatch"],
        "{:?}",
        c.diagnostics
    );
    let d = lang::check_only(&lang::SourceFile::new("t", src), &common::catalog(), &[]);
    let codes: Vec<_> = d.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["capz::syntax::unexpected", "capz::type::mismatch"]);
}

#[test]
fn an_unclosed_block_is_named_by_its_header() {
    // The `}` of `pool a` is missing; the `}` at the cluster's indentation closes it.
    let src = "stack \"s\"\ngroup g { location = \"eastus\" }\ncluster c in g {\n  pool a {\n    count = 1\n\n  pool b {\n    count = 2\n  }\n}\n";
    let (_, d) = syntax::parse(0, src);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "capz::syntax::unexpected-end");
    assert_eq!(d[0].message, "the `pool` block is never closed");
    let s = d[0].primary_span().expect("span");
    assert_eq!(&src[s.start as usize..s.end as usize], "pool a");
    // ... also when the next top-level item shows it, and the rest is still read.
    let src = "stack \"s\"\ngroup g {\n  location = \"eastus\"\n\noutput o = 1 +\n";
    let (_, d) = syntax::parse(0, src);
    let codes: Vec<_> = d.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        ["capz::syntax::unclosed", "capz::syntax::unexpected-end"]
    );
    let s = d[0].primary_span().expect("span");
    assert_eq!(&src[s.start as usize..s.end as usize], "group g");
}

#[test]
fn the_summary_counts_problems() {
    use lang::diagnostic::summary;
    let c = common::compile(FIVE);
    assert_eq!(
        summary(&c.diagnostics).as_deref(),
        Some("error: 5 problems (5 errors)")
    );
    let w = lang::Diagnostic::warning("capz::field::unknown", "w");
    let e = lang::Diagnostic::error("capz::field::unknown", "e");
    assert_eq!(summary(std::slice::from_ref(&w)), None);
    assert_eq!(
        summary(&[e.clone(), e, w]).as_deref(),
        Some("error: 3 problems (2 errors, 1 warning)")
    );
}

#[test]
fn errors_past_column_65535_render() {
    let src = format!("stack \"x\"\nlet a = \"{}\" ]\n", "a".repeat(70_000));
    let out = small_stack(move || {
        let c = common::compile(&src);
        assert_eq!(common::codes(&c), ["capz::syntax::unexpected"]);
        lang::diagnostic::render(&c.sources, &c.diagnostics)
    });
    assert!(out.contains("unexpected `]`"), "{out}");
    assert!(out.contains("shown from column"), "{out}");
    assert!(out.len() < 5_000, "{}", out.len());
}

/// The flat expression rule folds by precedence exactly as the layered grammar did:
/// `*` binds tighter than `+`, `+` than comparisons, comparisons than `&&`, `&&` than `||`,
/// and `..` loosest; comparisons and ranges do not chain.
#[test]
fn operators_fold_by_precedence_and_comparisons_do_not_chain() {
    use lang::syntax::ast::{BinOp, ExprKind};
    let file = lang::source::FileId::default();
    let e = lang::syntax::parse_expr(file, "1 + 2 * 3 == 7 && true || false").expect("parses");
    // ((1 + (2 * 3)) == 7 && true) || false
    let ExprKind::Binary(BinOp::Or, l, _) = &e.kind else {
        panic!("top is ||: {e:?}")
    };
    let ExprKind::Binary(BinOp::And, l, _) = &l.kind else {
        panic!("then &&: {l:?}")
    };
    let ExprKind::Binary(BinOp::Eq, l, _) = &l.kind else {
        panic!("then ==: {l:?}")
    };
    let ExprKind::Binary(BinOp::Add, _, r) = &l.kind else {
        panic!("then +: {l:?}")
    };
    assert!(
        matches!(r.kind, ExprKind::Binary(BinOp::Mul, _, _)),
        "{r:?}"
    );
    let e = lang::syntax::parse_expr(file, "10 - 3 - 2").expect("parses");
    let ExprKind::Binary(BinOp::Sub, l, _) = &e.kind else {
        panic!("{e:?}")
    };
    assert!(
        matches!(l.kind, ExprKind::Binary(BinOp::Sub, _, _)),
        "left-associative: {l:?}"
    );
    let e = lang::syntax::parse_expr(file, "0 .. 1 + 2").expect("parses");
    assert!(matches!(e.kind, ExprKind::Range(_, _)), "{e:?}");
    for chained in ["1 < 2 < 3", "1 == 2 != true", "0..1..2"] {
        let errs = lang::syntax::parse_expr(file, chained).expect_err(chained);
        assert!(
            errs.iter()
                .any(|d| d.code == "capz::syntax::chained-operator"),
            "{chained}: {errs:?}"
        );
    }
}
