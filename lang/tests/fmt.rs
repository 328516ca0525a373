//! `lang::fmt::format_source` on real files and on generated programs: the output is a
//! fixed point, parses to the same syntax tree as the input, and has no trailing
//! whitespace; files that do not parse are refused with syntax diagnostics.

use lang::fmt::format_source;
use lang::syntax;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// Check the formatter's promises on `src`; returns the formatted text.
fn check_promises(name: &str, src: &str) -> String {
    let before = match syntax::parse(0, src) {
        (Some(f), d) if !lang::diagnostic::has_errors(&d) => f,
        (_, d) => panic!("{name} does not parse: {d:?}\n{src}"),
    };
    let out = match format_source(src) {
        Ok(o) => o,
        Err(d) => panic!("{name}: format failed: {d:?}\n{src}"),
    };
    let after = syntax::parse(0, &out)
        .0
        .unwrap_or_else(|| panic!("{name}: output does not parse\n{out}"));
    assert!(
        before.same_shape(&after),
        "{name}: tree changed\n--- input\n{src}\n--- output\n{out}"
    );
    let again = format_source(&out).unwrap();
    assert_eq!(
        again, out,
        "{name}: not idempotent\n--- first\n{out}\n--- second\n{again}"
    );
    for line in out.lines() {
        assert_eq!(line, line.trim_end(), "{name}: trailing whitespace");
        assert!(!line.starts_with('\t'), "{name}: tab indentation");
    }
    assert!(
        out.is_empty() || (out.ends_with('\n') && !out.ends_with("\n\n")),
        "{name}: ending"
    );
    assert!(
        !out.contains("\n\n\n"),
        "{name}: more than one blank line in a row"
    );
    out
}

fn capz_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "capz"))
        .collect();
    files.sort();
    files
}

#[test]
fn examples_are_formatted_and_keep_their_tree() {
    let files = capz_files("examples");
    assert!(!files.is_empty());
    for path in files {
        let src = std::fs::read_to_string(&path).unwrap();
        let out = check_promises(&path.display().to_string(), &src);
        assert_eq!(
            out,
            src,
            "{} is not formatted: run capz fmt examples",
            path.display()
        );
    }
}

/// Undo the layout of a formatted file: no indentation, no alignment, extra blank lines.
fn mangle(src: &str) -> String {
    let mut out = String::from("\n\n");
    for line in src.lines() {
        let line = line.trim_start();
        let line = match line.split_once('=') {
            Some((name, rest)) if !line.starts_with('#') && !name.contains('"') => {
                format!("{}={}", name.trim_end(), rest)
            }
            _ => line.to_string(),
        };
        out.push('\t');
        out.push_str(&line);
        out.push_str(if line.is_empty() { "\n\n\n" } else { "   \n" });
    }
    out
}

#[test]
fn mangled_examples_format_back_to_the_examples() {
    for path in capz_files("examples") {
        let src = std::fs::read_to_string(&path).unwrap();
        let mangled = mangle(&src);
        assert_ne!(mangled, src);
        let out = check_promises(&path.display().to_string(), &mangled);
        assert_eq!(out, src, "{}", path.display());
    }
}

#[test]
fn check_fixtures_keep_their_tree() {
    let mut parsed = 0;
    for dir in ["tests/fixtures/check/ok", "tests/fixtures/check/errors"] {
        for path in capz_files(dir) {
            let src = std::fs::read_to_string(&path).unwrap();
            let name = path.display().to_string();
            match syntax::parse(0, &src) {
                (Some(_), d) if !lang::diagnostic::has_errors(&d) => {
                    check_promises(&name, &src);
                    parsed += 1;
                }
                _ => {
                    let err = format_source(&src).expect_err(&name);
                    assert!(
                        err.iter()
                            .all(|d| d.is_error() && d.primary_span().is_some()),
                        "{name}: {err:?}"
                    );
                }
            }
        }
    }
    assert!(parsed >= 3);
}

// ---- generated programs -------------------------------------------------------------------

/// Whitespace and comments between tokens (every separator holds some whitespace).
fn sep() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just(" ".to_string()),
        1 => Just("   ".to_string()),
        1 => Just("\t".to_string()),
        2 => Just("\n".to_string()),
        1 => Just("\n\n\n".to_string()),
        1 => Just("\r\n    ".to_string()),
        1 => Just("  # a comment = { [\n".to_string()),
        1 => Just(" //another \"one\"   \n".to_string()),
        1 => Just("\n      # own line\n".to_string()),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b_2", "azure", "list", "int_x", "x", "location"])
        .prop_map(str::to_string)
}

fn toks(s: &str) -> Vec<String> {
    s.split(' ').map(str::to_string).collect()
}

fn leaf() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        (0u32..1000).prop_map(|n| vec![n.to_string()]),
        name().prop_map(|n| vec![n]),
        prop::sample::select(vec![
            "\"s\"",
            "\"a-${i}\"",
            "\"${ f(1,  2) }x\"",
            "\"q\\\"e \\\\ # not a comment\"",
            "\"${ \"in}ner\" }\"",
            "true",
            "false",
        ])
        .prop_map(|s| vec![s.to_string()]),
    ]
}

fn expr() -> impl Strategy<Value = Vec<String>> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        let paren = |e: Vec<String>| {
            let mut v = vec!["(".to_string()];
            v.extend(e);
            v.push(")".into());
            v
        };
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|items| {
                let mut v = vec!["[".to_string()];
                for (i, e) in items.into_iter().enumerate() {
                    if i > 0 {
                        v.push(",".into());
                    }
                    v.extend(e);
                }
                v.push("]".into());
                v
            }),
            prop::collection::vec((name(), inner.clone()), 0..3).prop_map(|fields| {
                let mut v = vec!["{".to_string()];
                for (i, (k, e)) in fields.into_iter().enumerate() {
                    if i > 0 {
                        v.push(",".into());
                    }
                    v.push(k);
                    v.push("=".into());
                    v.extend(e);
                }
                v.push("}".into());
                v
            }),
            (
                inner.clone(),
                prop::sample::select(vec![
                    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||"
                ]),
                inner.clone()
            )
                .prop_map(move |(a, op, b)| {
                    let mut v = paren(a);
                    v.push(op.to_string());
                    v.extend(paren(b));
                    v
                }),
            (prop::sample::select(vec!["-", "!"]), inner.clone()).prop_map(move |(op, e)| {
                let mut v = vec![op.to_string()];
                v.extend(paren(e));
                v
            }),
            (name(), prop::collection::vec(inner.clone(), 0..3)).prop_map(|(f, args)| {
                let mut v = vec![f, "(".to_string()];
                for (i, e) in args.into_iter().enumerate() {
                    if i > 0 {
                        v.push(",".into());
                    }
                    v.extend(e);
                }
                v.push(")".into());
                v
            }),
            (name(), name(), inner.clone()).prop_map(|(a, b, i)| {
                let mut v = vec![a, ".".into(), b, "[".into()];
                v.extend(i);
                v.push("]".into());
                v
            }),
            (inner.clone(), inner.clone(), inner).prop_map(|(c, a, b)| {
                let mut v = vec!["if".to_string()];
                v.extend(c);
                v.push("{".into());
                v.extend(a);
                v.extend(toks("} else {"));
                v.extend(b);
                v.push("}".into());
                v
            }),
        ]
    })
}

/// A field value: an expression, sometimes a range of leaves.
fn value() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        4 => expr(),
        1 => (0u32..10, name()).prop_map(|(a, b)| vec![a.to_string(), "..".into(), b]),
        1 => (0u32..10).prop_map(|a| vec!["-".into(), a.to_string(), "..".into(), "-".into(), "3".into()]),
    ]
}

fn field() -> impl Strategy<Value = Vec<String>> {
    (name(), value()).prop_map(|(n, e)| {
        let mut v = vec![n, "=".into()];
        v.extend(e);
        v
    })
}

fn body() -> impl Strategy<Value = Vec<String>> {
    let item = prop_oneof![
        4 => field(),
        1 => (name(), prop::collection::vec(field(), 0..4)).prop_map(|(k, fs)| {
            let mut v = vec![k, "{".into()];
            fs.into_iter().for_each(|f| v.extend(f));
            v.push("}".into());
            v
        }),
        1 => (name(), name(), prop::collection::vec(field(), 0..3)).prop_map(|(k, n, fs)| {
            let mut v = vec![k, n, "[".into(), "i".into(), "]".into(), "{".into()];
            fs.into_iter().for_each(|f| v.extend(f));
            v.push("}".into());
            v
        }),
        1 => (name(), expr()).prop_map(|(n, e)| {
            let mut v = vec!["let".to_string(), n, "=".into()];
            v.extend(e);
            v
        }),
        1 => prop::collection::vec(field(), 0..3).prop_map(|fs| {
            let mut v = toks("for j in [ 1 , 2 ] {");
            fs.into_iter().for_each(|f| v.extend(f));
            v.push("}".into());
            v
        }),
    ];
    prop::collection::vec(item, 0..6).prop_map(|items| items.concat())
}

fn type_expr() -> impl Strategy<Value = Vec<String>> {
    prop::sample::select(vec![
        "int",
        "list < string >",
        "list < list < cidr > >",
        "azure | kubenet | none",
        "{ a : int , b : list < int > }",
    ])
    .prop_map(toks)
}

fn top_item() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        1 => Just(toks("stack \"capz-dev\"")),
        2 => (name(), type_expr(), prop::option::of(expr())).prop_map(|(n, t, d)| {
            let mut v = vec!["param".to_string(), n, ":".into()];
            v.extend(t);
            if let Some(d) = d {
                v.push("=".into());
                v.extend(d);
            }
            v
        }),
        2 => (prop::sample::select(vec!["let", "output"]), name(), value()).prop_map(|(k, n, e)| {
            let mut v = vec![k.to_string(), n, "=".into()];
            v.extend(e);
            v
        }),
        1 => (name(), prop::collection::vec(field(), 0..3)).prop_map(|(n, fs)| {
            let mut v = vec!["use".to_string(), n, "=".into(), "\"./m.capz\"".into(), "{".into()];
            fs.into_iter().for_each(|f| v.extend(f));
            v.push("}".into());
            v
        }),
        4 => (name(), name(), prop::option::of(name()), body()).prop_map(|(k, n, g, b)| {
            let mut v = vec![k, n];
            if let Some(g) = g {
                v.push("in".into());
                v.push(g);
            }
            v.push("{".into());
            v.extend(b);
            v.push("}".into());
            v
        }),
        1 => (name(), body()).prop_map(|(n, b)| {
            let mut v = toks("for i in 0 .. 3 {");
            v.extend([n, "\"n-${i}\"".into(), "{".into()]);
            v.extend(b);
            v.extend(toks("} }"));
            v
        }),
    ]
}

fn program() -> impl Strategy<Value = String> {
    prop::collection::vec(top_item(), 0..6)
        .prop_map(|items| items.concat())
        .prop_flat_map(|tokens| {
            let n = tokens.len();
            (Just(tokens), prop::collection::vec(sep(), n + 1))
        })
        .prop_map(|(tokens, seps)| {
            let mut s = seps[0].clone();
            for (t, sep) in tokens.iter().zip(&seps[1..]) {
                s.push_str(t);
                s.push_str(sep);
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn generated_programs_format_idempotently_to_the_same_tree(src in program()) {
        check_promises("generated", &src);
    }
}
