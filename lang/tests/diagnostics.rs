//! One failing program per diagnostic code (matched by code, not wording), several
//! errors reported together, and rendering with file:line:col, source line, label, help.

mod common;
use common::*;

const HEAD: &str = "stack \"s\"\ngroup g { location = \"eastus\" }\n";

fn with_head(body: &str) -> String {
    format!("{HEAD}{body}")
}

/// Compile and return the codes, asserting each diagnostic has a primary span and help.
fn check_codes(src: &str, params: &[(&str, &str)]) -> Vec<&'static str> {
    let c = compile_with(src, params);
    for d in &c.diagnostics {
        assert!(d.help.is_some(), "{} has no help: {}", d.code, d.message);
        if !d.code.starts_with("capz::param::unknown") {
            assert!(d.primary_span().is_some(), "{} has no span", d.code);
        }
        assert!(
            lang::codes::lookup(d.code).is_some() || d.code.starts_with("capz::test::"),
            "{} unregistered",
            d.code
        );
    }
    assert!(c.program.is_none() || c.diagnostics.iter().all(|d| !d.is_error()));
    codes(&c)
}

#[test]
fn each_code_has_a_failing_program() {
    let pool = "pool sys { mode = system vm_size = \"x\" }";
    type Case = (&'static str, String, Vec<(&'static str, &'static str)>);
    let cases: Vec<Case> = vec![
        (
            "capz::syntax::unexpected",
            with_head("vnet v in g { address_space [\"10.0.0.0/16\"] }"),
            vec![],
        ),
        (
            "capz::existing::kind",
            with_head("existing cluster c in g { existing pool p {} }"),
            vec![],
        ),
        (
            "capz::existing::field",
            with_head("existing vnet v in g { address_space = [\"10.0.0.0/16\"] }"),
            vec![],
        ),
        (
            "capz::existing::parent",
            with_head("vnet v in g { address_space = [\"10.0.0.0/16\"] existing subnet s {} }"),
            vec![],
        ),
        (
            "capz::syntax::unexpected-end",
            with_head("let x = [1,"),
            vec![],
        ),
        (
            "capz::syntax::unclosed",
            with_head("vnet v in g {\n  address_space = []\n\noutput o = 1"),
            vec![],
        ),
        (
            "capz::name::too-deep",
            {
                let mut s = String::from("stack \"s\"\noutput x = a0\n");
                for i in 0..1_100 {
                    s.push_str(&format!("let a{i} = a{}\n", i + 1));
                }
                s.push_str("let a1100 = 0\n");
                s
            },
            vec![],
        ),
        (
            "capz::eval::too-large",
            "stack \"s\"\nfor x in 0..1000 {\n for y in 0..1000 {\n }\n}".into(),
            vec![],
        ),
        (
            "capz::syntax::unterminated-string",
            "stack \"s\ngroup g {}".into(),
            vec![],
        ),
        (
            "capz::syntax::invalid-escape",
            "stack \"a\\qb\"".into(),
            vec![],
        ),
        (
            "capz::syntax::int-too-large",
            "stack \"s\"\nlet x = 99999999999999999999".into(),
            vec![],
        ),
        (
            "capz::syntax::chained-operator",
            "stack \"s\"\nlet x = 1 < 2 < 3".into(),
            vec![],
        ),
        (
            "capz::syntax::too-deep",
            format!(
                "stack \"s\"\nlet x = {}1{}",
                "(".repeat(100),
                ")".repeat(100)
            ),
            vec![],
        ),
        (
            "capz::syntax::interpolated-path",
            "stack \"s\"\nuse m = \"${x}\" {}".into(),
            vec![],
        ),
        (
            "capz::module::not-found",
            "stack \"s\"\nuse m = \"./m.capz\" { a = 1 }".into(),
            vec![],
        ),
        (
            "capz::module::cycle",
            "stack \"s\"\nuse m = \"./modules/self.capz\" {}".into(),
            vec![],
        ),
        (
            "capz::module::cycle",
            "stack \"s\"\nuse m = \"./modules/a.capz\" {}".into(),
            vec![],
        ),
        (
            "capz::module::stack",
            "stack \"s\"\nuse m = \"./modules/stacky.capz\" {}".into(),
            vec![],
        ),
        (
            "capz::module::unknown-param",
            "stack \"s\"\nuse m = \"./modules/net.capz\" { index = 1 indx = 2 }".into(),
            vec![],
        ),
        (
            "capz::module::missing-param",
            "stack \"s\"\nuse m = \"./modules/net.capz\" { prefix = \"x\" }".into(),
            vec![],
        ),
        (
            "capz::syntax::missing-equals",
            "stack \"s\"\ngroup g {\n  name \"x\"\n  location = \"eastus\"\n}\n".into(),
            vec![],
        ),
        (
            "capz::stack::missing",
            "group g { location = \"eastus\" }".into(),
            vec![],
        ),
        ("capz::stack::duplicate", with_head("stack \"t\""), vec![]),
        ("capz::stack::invalid", "stack \"\"".into(), vec![]),
        ("capz::param::unknown", HEAD.into(), vec![("nope", "1")]),
        ("capz::param::missing", with_head("param n: int"), vec![]),
        (
            "capz::param::invalid-value",
            with_head("param n: int = 1"),
            vec![("n", "abc")],
        ),
        (
            "capz::param::invalid-value",
            with_head("param r: region = \"eastus\""),
            vec![("r", "east/us")],
        ),
        ("capz::name::duplicate", with_head("let g = 1"), vec![]),
        (
            "capz::name::duplicate-address",
            with_head("for s in [\"a\", \"a\"] { vnet v[0] in g { address_space = [] } }"),
            vec![],
        ),
        (
            "capz::name::duplicate-arm-name",
            with_head(
                "vnet a in g { name = \"x\" address_space = [] }\nvnet b in g { name = \"X\" address_space = [] }",
            ),
            vec![],
        ),
        (
            "capz::name::invalid-arm-name",
            with_head(
                "cluster c in g { kubernetes_version = \"1\" network { plugin = azure } pool sys_pool { mode = system vm_size = \"x\" } }",
            ),
            vec![],
        ),
        (
            "capz::name::undeclared",
            with_head("output x = nothing"),
            vec![],
        ),
        (
            "capz::name::unknown-member",
            with_head("vnet v in g { address_space = [] }\noutput x = v.adress_space"),
            vec![],
        ),
        (
            "capz::name::unset-field",
            with_head(&format!(
                "cluster c in g {{ kubernetes_version = \"1\" network {{ plugin = azure }} {pool} }}\noutput x = c.dns_prefix"
            )),
            vec![],
        ),
        (
            "capz::name::unknown-function",
            with_head("output x = cidrsubnett(\"10.0.0.0/8\", 8, 1)"),
            vec![],
        ),
        (
            "capz::name::missing-index",
            with_head("for i in 0..2 { vnet v in g { address_space = [] } }"),
            vec![],
        ),
        (
            "capz::name::missing-index",
            with_head("for i in 0..2 { vnet v[i] in g { address_space = [] } }\noutput x = v.name"),
            vec![],
        ),
        (
            "capz::name::not-a-group",
            with_head("vnet a in g { address_space = [] }\nvnet b in a { address_space = [] }"),
            vec![],
        ),
        (
            "capz::name::not-in-loop",
            with_head("for i in 0..1 { output o = i }"),
            vec![],
        ),
        (
            "capz::name::cycle",
            with_head(
                "vnet a in g { address_space = b.address_space }\nvnet b in g { address_space = a.address_space }",
            ),
            vec![],
        ),
        (
            "capz::name::cycle",
            with_head("let a = b\nlet b = a"),
            vec![],
        ),
        (
            "capz::kind::unknown",
            with_head("vnett v in g { address_space = [] }"),
            vec![],
        ),
        (
            "capz::kind::missing-group",
            with_head("vnet v { address_space = [] }"),
            vec![],
        ),
        (
            "capz::kind::unexpected-in",
            with_head("group h in g { location = \"eastus\" }"),
            vec![],
        ),
        (
            "capz::kind::link-syntax",
            with_head("peering p { allow_forwarded_traffic = true }"),
            vec![],
        ),
        (
            "capz::kind::wrong-parent",
            with_head("subnet s { address_prefix = \"10.0.0.0/24\" }"),
            vec![],
        ),
        (
            "capz::kind::wrong-parent",
            with_head(&format!(
                "cluster c in g {{ kubernetes_version = \"1\" network {{ plugin = azure }} {pool} subnet s {{ address_prefix = \"10.0.0.0/24\" }} }}"
            )),
            vec![],
        ),
        (
            "capz::field::unknown",
            with_head("vnet v in g { adress_space = [] }"),
            vec![],
        ),
        (
            "capz::field::unknown-block",
            with_head(
                "vnet v in g { address_space = [] subnet { address_prefix = \"10.0.0.0/24\" } }",
            ),
            vec![],
        ),
        ("capz::field::missing", with_head("vnet v in g { }"), vec![]),
        (
            "capz::field::duplicate",
            with_head("vnet v in g { address_space = [] address_space = [] }"),
            vec![],
        ),
        (
            "capz::field::in-loop",
            with_head("vnet v in g { for i in 0..1 { address_space = [] } }"),
            vec![],
        ),
        (
            "capz::field::not-allowed",
            with_head(&format!(
                "cluster c in g {{ kubernetes_version = \"1\" network {{ plugin = azure {pool} }} }}"
            )),
            vec![],
        ),
        (
            "capz::type::mismatch",
            with_head("vnet v in g { address_space = \"10.0.0.0/16\" }"),
            vec![],
        ),
        (
            "capz::type::mismatch",
            with_head("output x = 1 + \"a\""),
            vec![],
        ),
        (
            "capz::type::unknown-enum-word",
            with_head(&format!(
                "cluster c in g {{ kubernetes_version = \"1\" network {{ plugin = azur }} {pool} }}"
            )),
            vec![],
        ),
        (
            "capz::type::unknown-type",
            with_head("param x: integer = 1"),
            vec![],
        ),
        (
            "capz::type::invalid-cidr",
            with_head("vnet v in g { address_space = [\"10.0.0.0/33\"] }"),
            vec![],
        ),
        (
            "capz::type::invalid-cidr",
            with_head("for i in 0..1 { vnet v[i] in g { address_space = [\"10.${i}.0.0/99\"] } }"),
            vec![],
        ),
        (
            "capz::type::invalid-ip",
            with_head(&format!(
                "cluster c in g {{ kubernetes_version = \"1\" network {{ plugin = azure dns_service_ip = \"10.0.0\" }} {pool} }}"
            )),
            vec![],
        ),
        (
            "capz::type::invalid-region",
            "stack \"s\"\ngroup g { location = \"east/us\" }".into(),
            vec![],
        ),
        (
            "capz::type::not-indexable",
            with_head("output x = 1[0]"),
            vec![],
        ),
        (
            "capz::type::not-iterable",
            with_head("for i in 5 { }"),
            vec![],
        ),
        (
            "capz::type::not-interpolable",
            with_head("output x = \"${[1]}\""),
            vec![],
        ),
        (
            "capz::type::bad-arguments",
            with_head("output x = lower(1)"),
            vec![],
        ),
        (
            "capz::eval::division-by-zero",
            with_head("param z: int = 0\noutput x = 1 / z"),
            vec![],
        ),
        (
            "capz::eval::overflow",
            with_head("output x = 9223372036854775807 + 1"),
            vec![],
        ),
        (
            "capz::eval::index-out-of-range",
            with_head("output x = [1, 2][5]"),
            vec![],
        ),
        (
            "capz::eval::no-such-instance",
            with_head(
                "for i in 0..2 { vnet v[i] in g { address_space = [] } }\noutput x = v[7].name",
            ),
            vec![],
        ),
        (
            "capz::eval::function-failed",
            with_head("output x = cidrsubnet(\"10.0.0.0/30\", 8, 1)"),
            vec![],
        ),
        (
            "capz::eval::too-many",
            with_head("for i in 0..100000000 { vnet v[i] in g { address_space = [] } }"),
            vec![],
        ),
        (
            "capz::eval::unknown-loop",
            with_head(&format!(
                "cluster c in g {{ kubernetes_version = \"1\" network {{ plugin = azure }} {pool} }}\nfor x in if c.fqdn == \"\" {{ [1] }} else {{ [2] }} {{ }}"
            )),
            vec![],
        ),
        (
            "capz::eval::unknown-name",
            with_head(&format!(
                "cluster c in g {{ kubernetes_version = \"1\" network {{ plugin = azure }} {pool} }}\nvnet v in g {{ name = c.fqdn address_space = [] }}"
            )),
            vec![],
        ),
    ];
    let mut failures = Vec::new();
    for (code, src, params) in &cases {
        let got = check_codes(src, params);
        if !got.contains(code) {
            failures.push(format!("{code}: got {got:?}\n{src}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Every registered lang code has a case above.
    // (`capz::fmt::` codes belong to the formatter, not to compile.)
    for c in lang::codes::CODES
        .iter()
        .filter(|c| !c.code.starts_with("capz::fmt::"))
    {
        assert!(
            cases.iter().any(|(code, _, _)| code == &c.code),
            "no failing program for {}",
            c.code
        );
    }
}

#[test]
fn several_checker_errors_are_reported_together_in_order() {
    let src = with_head(
        "vnet a { colour = \"blue\" }\n\
         vnet b in nowhere { address_space = [1] }\n\
         cluster c in g { kubernetes_version = 130 network { plugin = azur } }\n",
    );
    let c = compile(&src);
    let got = codes(&c);
    for want in [
        "capz::kind::missing-group",
        "capz::field::unknown",
        "capz::field::missing",
        "capz::name::undeclared",
        "capz::type::mismatch",
        "capz::type::unknown-enum-word",
    ] {
        assert!(got.contains(&want), "missing {want} in {got:?}");
    }
    let starts: Vec<u32> = c
        .diagnostics
        .iter()
        .filter_map(|d| d.primary_span())
        .map(|s| s.start)
        .collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted, "diagnostics are sorted by position");
}

#[test]
fn messages_name_the_thing_and_help_says_the_fix() {
    let c = compile(&with_head(
        "vnet net in g { adress_space = [\"10.0.0.0/16\"] }",
    ));
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == "capz::field::unknown")
        .unwrap();
    assert!(d.message.contains("adress_space"));
    assert_eq!(d.help.as_deref(), Some("did you mean `address_space`?"));
    assert_eq!(c.sources.snippet(d.primary_span().unwrap()), "adress_space");

    let c = compile(&with_head("vnet net { address_space = [] }"));
    let d = &c.diagnostics[0];
    assert_eq!(d.code, "capz::kind::missing-group");
    assert!(
        d.help.as_deref().unwrap().contains("vnet net in g {"),
        "{:?}",
        d.help
    );

    let c = compile(&with_head(
        "vnet net in g { address_space = \"10.0.0.0/16\" }",
    ));
    let d = &c.diagnostics[0];
    assert_eq!(d.message, "expected list<cidr>, found string");
    assert_eq!(
        c.sources.snippet(d.primary_span().unwrap()),
        "\"10.0.0.0/16\""
    );

    let c = compile(&with_head("vnet v in g { address_space [] }"));
    let d = &c.diagnostics[0];
    assert_eq!(d.code, "capz::syntax::unexpected");
    let label = &d.labels[0].message;
    assert!(label.contains("`=`") && label.contains("`{`"), "{label}");
    assert!(
        !label.contains("` `") && !label.contains("`#`"),
        "no whitespace noise: {label}"
    );
}

#[test]
fn rendering_shows_location_source_label_and_help() {
    let c = compile(&with_head(
        "vnet net in g {\n  adress_space = [\"10.0.0.0/16\"]\n}",
    ));
    let out = lang::diagnostic::render(&c.sources, &c.diagnostics);
    assert!(out.contains("capz::field::unknown"), "{out}");
    assert!(out.contains("test.capz:4:3"), "{out}");
    assert!(out.contains("adress_space = [\"10.0.0.0/16\"]"), "{out}");
    assert!(out.contains("unknown field"), "{out}");
    assert!(out.contains("did you mean `address_space`?"), "{out}");

    let c = compile("stack \"s\"\ngroup g {\n  location = \"eastus\"\n");
    let out = lang::diagnostic::render(&c.sources, &c.diagnostics);
    assert!(out.contains("capz::syntax::unexpected-end"), "{out}");
    assert!(out.contains("this `group` block is never closed"), "{out}");
    assert!(out.contains("help:"), "{out}");
}

#[test]
fn spans_exclude_trailing_comments_and_whitespace() {
    let c = compile(&with_head("vnet v in g {\n  address_space = 5   # five\n}"));
    let d = &c.diagnostics[0];
    assert_eq!(c.sources.snippet(d.primary_span().unwrap()), "5");
    let c = compile(
        "stack \"s\"   // the stack\ngroup g { location = \"eastus\" }\ngroup h { location = \"eastus\" name = \"h2\" }\n",
    );
    let p = c.program.expect("valid");
    assert_eq!(c.sources.snippet(p.stack_span), "stack \"s\"");
}

#[test]
fn a_misspelt_required_field_is_reported_once_with_did_you_mean() {
    let c = compile(&with_head(
        "vnet a in g { adress_space = [\"10.0.0.0/16\"] }\n",
    ));
    assert_eq!(
        codes(&c),
        vec!["capz::field::unknown"],
        "{:?}",
        c.diagnostics
    );
    assert_eq!(
        c.diagnostics[0].help.as_deref(),
        Some("did you mean `address_space`?")
    );
    // A field that is not a near miss leaves the missing-field error in place.
    let c = compile(&with_head("vnet a in g { colour = 1 }\n"));
    let got = codes(&c);
    assert!(
        got.contains(&"capz::field::unknown") && got.contains(&"capz::field::missing"),
        "{got:?}"
    );
}

#[test]
fn a_missing_equals_is_named_as_such() {
    for (src, help) in [
        (
            "stack \"s\"\ngroup g {\n  name     \"fixture-rg\"\n  location = \"eastus\"\n}\n",
            "write `name = \"fixture-rg\"`",
        ),
        (
            "stack \"s\"\ngroup g {\n  name \"x\" # comment\n\n  # more\n}\n",
            "write `name = \"x\"`",
        ),
        (
            "stack \"s\"\ngroup g { location = \"eastus\" }\nvnet v in g {\n  address_space [\"10.0.0.0/16\"]\n}\n",
            "write `address_space = [\"10.0.0.0/16\"]`",
        ),
        (
            "stack \"s\"\ngroup g {\n  count 3\n}\n",
            "write `count = 3`",
        ),
        (
            "stack \"s\"\nlet cluster_name = \"x\"\ngroup g {\n  name cluster_name\n  location = \"eastus\"\n}\n",
            "write `name = cluster_name`",
        ),
        (
            "stack \"s\"\nlet n = { x = \"y\" }\ngroup g {\n  name n.x\n  location = \"eastus\"\n}\n",
            "write `name = n.x`",
        ),
    ] {
        let c = compile(src);
        assert_eq!(codes(&c), vec!["capz::syntax::missing-equals"], "{src}");
        let d = &c.diagnostics[0];
        assert_eq!(
            d.message,
            "expected `=` between the field name and its value"
        );
        assert_eq!(d.help.as_deref(), Some(help), "{src}");
    }
    // A child resource that lacks its `{` is not mistaken for a field.
    let c = compile(
        "stack \"s\"\ngroup g { location = \"eastus\" }\nvnet v in g\n  address_space = []\n",
    );
    assert!(
        !codes(&c).contains(&"capz::syntax::missing-equals"),
        "{:?}",
        c.diagnostics
    );
    // Nor one whose body, indented deeper, follows on the next line.
    let c = compile(
        "stack \"s\"\ngroup g { location = \"eastus\" }\nvnet v in g {\n  address_space = []\n  subnet nodes\n    address_prefix = \"10.0.0.0/24\"\n  }\n}\n",
    );
    assert!(
        !codes(&c).contains(&"capz::syntax::missing-equals"),
        "{:?}",
        c.diagnostics
    );
}

#[test]
fn types_take_the_right_article() {
    let c = compile(&with_head("vnet a in g { address_space = 3 }\n"));
    let m = &c.diagnostics[0];
    assert!(
        m.labels.iter().any(|l| l.message == "this is an int"),
        "{m:?}"
    );
}
