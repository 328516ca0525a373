//! Parsing every construct of docs/language.md, span-insensitive tree equality, and a
//! property test that no input makes `compile` panic.

mod common;
use lang::syntax::{ast::*, parse};

fn tree(src: &str) -> File {
    let (f, d) = parse(0, src);
    assert!(d.is_empty(), "{d:?}");
    f.expect("parses")
}

#[test]
fn every_construct_parses() {
    let src = r#"
# comment
// comment
stack "capz-dev"
param location: region = "eastus2"
param pools: int
param plugin: azure | kubenet | none = azure
param cidrs: list<cidr> = ["10.0.0.0/16", "10.1.0.0/16",]
param tags: { team: string, env: string } = { team = "platform", env = "dev" }
let base = "10.0.0.0/8"
output fqdn = aks.fqdn
use fleet = "./modules/cluster.capz" { region = location }
group g { name = "rg"  location = location }
vnet wl_net[i] in g[0] {
  address_space = [cidrsubnet(base, 8, -1)]
  network { plugin = azure }
  subnet nodes { address_prefix = "10.0.0.0/22" }
  for j in 0..n { subnet s[j] { address_prefix = x } }
  let l = 1
}
a_record "wl-${i}-apiserver" in g { ttl = 300 }
for i in 0..n { let y = i  vnet v[i] in g { } }
output e = if a > 1 { "x" } else if !b { "y" } else { "z" }
output f = a || b && c == d && e != f || g < h && i <= j && k > l && m >= n + o - p * q / r % s
output g = xs[0].key[1]
output h = 1..3
output k = "a\"b\\c\n\t\$ ${1 + 2}"
"#;
    let f = tree(src);
    assert_eq!(f.items.len(), 18);
    let Item::Resource(r) = &f.items[10] else {
        panic!()
    };
    assert_eq!(r.kind.name, "vnet");
    assert!(r.index.is_some());
    assert!(r.group.as_ref().is_some_and(|g| g.index.is_some()));
    assert!(matches!(r.body[1], BodyItem::Block(_)));
    assert!(matches!(r.body[2], BodyItem::Resource(_)));
    assert!(matches!(r.body[3], BodyItem::For(_)));
    assert!(matches!(r.body[4], BodyItem::Let(_)));
    let Item::Output(o) = &f.items[14] else {
        panic!()
    };
    // `||` is loosest: the tree's root is Or.
    assert!(matches!(o.value.kind, ExprKind::Binary(BinOp::Or, _, _)));
    let Item::Output(o) = &f.items[16] else {
        panic!()
    };
    assert!(matches!(o.value.kind, ExprKind::Range(_, _)));
    let Item::Output(o) = &f.items[17] else {
        panic!()
    };
    let ExprKind::Str(parts) = &o.value.kind else {
        panic!()
    };
    assert_eq!(parts[0], StrPart::Text("a\"b\\c\n\t$ ".into()));
    assert!(matches!(parts[1], StrPart::Interp(_)));
}

#[test]
fn precedence() {
    let f = tree("output x = 1 + 2 * 3 - -4");
    let Item::Output(o) = &f.items[0] else {
        panic!()
    };
    // (1 + (2 * 3)) - (-4)
    let ExprKind::Binary(BinOp::Sub, l, r) = &o.value.kind else {
        panic!("{:?}", o.value)
    };
    assert!(matches!(r.kind, ExprKind::Int(-4)));
    let ExprKind::Binary(BinOp::Add, _, m) = &l.kind else {
        panic!()
    };
    assert!(matches!(m.kind, ExprKind::Binary(BinOp::Mul, _, _)));
}

#[test]
fn layout_and_comments_do_not_change_the_tree() {
    let a = tree("vnet v in g { a = 1  b = [1, 2] network { p = x } }");
    let b = tree(
        "vnet v in g {\n  a = 1 # one\n  b = [\n    1,\n    2,\n  ]\n  network {\n    p = x // x\n  }\n}\n",
    );
    assert!(a.same_shape(&b));
    assert_ne!(a, b, "spans differ");
    let c = tree("vnet v in g { a = 2  b = [1, 2] network { p = x } }");
    assert!(!a.same_shape(&c));
}

#[test]
fn reserved_words_are_not_names() {
    let (_, d) = parse(0, "let in = 1");
    assert!(lang::diagnostic::has_errors(&d));
    assert_eq!(d[0].code, "capz::syntax::unexpected");
    // ...but a word that starts with one is.
    tree("let input = 1\nlet format = iffy");
}

/// A keyword is a whole word wherever the grammar expects one: `if iffy` is a condition
/// on the name `iffy` (not `if fy`), `in inner` names the group `inner`, `for format in
/// input` loops over `input`, and `else elsewhere` is not `else ewhere`.
#[test]
fn keywords_match_whole_words_only() {
    let same = |a: &str, b: &str| assert!(tree(a).same_shape(&tree(b)), "{a:?} vs {b:?}");
    same(
        "let a = if iffy { 1 } else { elsewhere }",
        "let a = if (iffy) { 1 } else { (elsewhere) }",
    );
    same(
        "for format in input { vnet v[format] in inner { x = 1 } }",
        "for format in (input) { vnet v[format] in inner { x = 1 } }",
    );
    let (_, d) = parse(0, "let a = iffy { 1 } else { 2 }");
    assert!(
        lang::diagnostic::has_errors(&d),
        "a name that starts with `if` is not `if`"
    );
    let (_, d) = parse(0, "vnet v inside { x = 1 }");
    assert!(
        lang::diagnostic::has_errors(&d),
        "`inside` must not read as `in side`"
    );
}

#[test]
fn span_of_nodes() {
    let src = "vnet v in g {\n  address_space = [\"10.0.0.0/16\"]   # c\n}\n";
    let f = tree(src);
    let Item::Resource(r) = &f.items[0] else {
        panic!()
    };
    assert_eq!(
        &src[r.header_span.start as usize..r.header_span.end as usize],
        "vnet v in g"
    );
    let BodyItem::Field(fa) = &r.body[0] else {
        panic!()
    };
    assert_eq!(
        &src[fa.span.start as usize..fa.span.end as usize],
        "address_space = [\"10.0.0.0/16\"]"
    );
}

mod no_panic {
    use super::common;
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "stack",
        "\"s\"",
        "param",
        "let",
        "output",
        "for",
        "in",
        "if",
        "else",
        "group",
        "vnet",
        "subnet",
        "cluster",
        "pool",
        "network",
        "g",
        "x",
        "i",
        "=",
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        ",",
        ".",
        "..",
        "+",
        "-",
        "*",
        "/",
        "%",
        "!",
        "&&",
        "||",
        "==",
        "<",
        ":",
        "|",
        "0",
        "1",
        "9999999999999999999999",
        "\"${",
        "\\",
        "#",
        "\n",
        " ",
        "azure",
        "system",
        "\"10.0.0.0/16\"",
        "location",
        "address_space",
        "name",
        "cidrsubnet",
        "lower",
        "int",
        "list<",
        ">",
        "use",
    ];

    fn garble(base: &str, cut: usize, insert: &str) -> String {
        let mut cut = cut.min(base.len());
        while !base.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}{}{}", &base[..cut], insert, &base[cut..])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn token_soup_never_panics(tokens in proptest::collection::vec(0..PIECES.len(), 0..60)) {
            let src: Vec<&str> = tokens.iter().map(|i| PIECES[*i]).collect();
            let c = common::compile(&src.join(" "));
            let _ = lang::diagnostic::render(&c.sources, &c.diagnostics);
        }

        #[test]
        fn garbled_example_never_panics(cut in 0usize..800, insert in "\\PC{0,6}", del in 0usize..20) {
            let mut src = garble(common::EXAMPLE, cut, &insert);
            let mut end = (cut + insert.len() + del).min(src.len());
            while !src.is_char_boundary(end) { end -= 1; }
            let mut start = (cut + insert.len()).min(end);
            while !src.is_char_boundary(start) { start -= 1; }
            src.replace_range(start..end, "");
            let c = common::compile(&src);
            let _ = lang::diagnostic::render(&c.sources, &c.diagnostics);
        }

        #[test]
        fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
            let c = common::compile(&src);
            let _ = lang::diagnostic::render(&c.sources, &c.diagnostics);
        }

        #[test]
        fn arbitrary_param_values_never_panic(v in "\\PC{0,30}") {
            let src = "stack \"s\"\nparam a: int = 1\nparam b: list<cidr> = []\nparam c: { k: int } = { k = 1 }\nparam d: azure | kubenet = azure\nparam e: region = \"eastus\"\n";
            for name in ["a", "b", "c", "d", "e"] {
                let _ = common::compile_with(src, &[(name, &v)]);
            }
        }
    }
}

/// An incomplete line is one error, and what follows it still parses: a value missing at
/// the end of a line whose next line starts with a reserved word, and a block header
/// without its `{` (its body and `}` are set aside with it).
#[test]
fn an_incomplete_line_is_one_error_and_the_rest_parses() {
    let (f, d) = parse(
        0,
        "stack \"s\"\nlet a = 10 +\nlet b = 2\ngroup rg {\n  location = \"eastus2\"\n}\n",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "capz::syntax::unexpected");
    assert_eq!(d[0].message, "unexpected `let`");
    assert!(
        d[0].labels
            .iter()
            .any(|l| l.primary && l.message == "expected an expression"),
        "{d:?}"
    );
    let f = f.expect("partial tree");
    assert_eq!(
        f.items.len(),
        3,
        "stack, let b and the group: {:?}",
        f.items
    );

    let src = "stack \"s\"\ngroup rg\n  location = \"eastus2\"\n}\nlet b = 2\n";
    let (f, d) = parse(0, src);
    assert_eq!(d.len(), 1, "{d:?}");
    let header = d[0]
        .labels
        .iter()
        .find(|l| !l.primary)
        .expect("a label on the header");
    assert_eq!(header.message, "this header has no `{`");
    assert_eq!(
        &src[header.span.start as usize..header.span.end as usize],
        "group rg"
    );
    assert_eq!(f.expect("partial tree").items.len(), 2, "stack and let b");
}
