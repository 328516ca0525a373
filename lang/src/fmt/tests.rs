//! One test per formatting rule; every test also checks idempotence and the same tree.

use super::*;

/// Format `input`, check the result is a fixed point and parses to the same tree, return it.
fn fmt(input: &str) -> String {
    let out = match format_source(input) {
        Ok(o) => o,
        Err(d) => panic!("format failed: {d:?}\n--- input\n{input}"),
    };
    let again = format_source(&out).unwrap();
    assert_eq!(
        again, out,
        "not idempotent\n--- first\n{out}\n--- second\n{again}"
    );
    let a = syntax::parse(0, input).0.unwrap();
    let b = syntax::parse(0, &out).0.unwrap();
    assert!(
        a.same_shape(&b),
        "tree changed\n--- input\n{input}\n--- output\n{out}"
    );
    for l in out.lines() {
        assert_eq!(l, l.trim_end(), "trailing whitespace in {l:?}");
    }
    out
}

fn check(input: &str, expected: &str) {
    let out = fmt(input);
    assert_eq!(out, expected, "\n--- got\n{out}\n--- expected\n{expected}");
}

#[test]
fn aligns_equals_in_a_run_of_fields() {
    check(
        "group mgmt {\nname = \"capz-mgmt-rg\"\n    location=location\n}\n",
        "group mgmt {\n  name     = \"capz-mgmt-rg\"\n  location = location\n}\n",
    );
}

#[test]
fn blank_line_and_comment_lines_end_an_alignment_run() {
    check(
        "cluster c in g {\n  a = 1\n  longer_name = 2\n\n  b = 3\n  # note\n  cc = 4\n}\n",
        "cluster c in g {\n  a           = 1\n  longer_name = 2\n\n  b = 3\n  # note\n  cc = 4\n}\n",
    );
}

#[test]
fn nested_blocks_align_separately() {
    check(
        "cluster c in g {\nkubernetes_version = \"1.30\"\nnetwork {\nplugin = azure\nservice_cidr = \"172.16.0.0/16\"\n}\n}\n",
        "cluster c in g {\n  kubernetes_version = \"1.30\"\n  network {\n    plugin       = azure\n    service_cidr = \"172.16.0.0/16\"\n  }\n}\n",
    );
}

#[test]
fn a_multi_line_value_is_aligned_and_ends_the_run() {
    check(
        "vnet n in g {\n  name = \"x\"\n  address_space = [\n\"10.0.0.0/16\",\n  ]\n  b = 1\n  cc = 2\n}\n",
        "vnet n in g {\n  name          = \"x\"\n  address_space = [\n    \"10.0.0.0/16\",\n  ]\n  b  = 1\n  cc = 2\n}\n",
    );
}

#[test]
fn top_level_outputs_and_lets_align() {
    check(
        "let a = 1\nlet bcd = 2\noutput x = a\noutput long_name = bcd\n",
        "let a   = 1\nlet bcd = 2\noutput x         = a\noutput long_name = bcd\n",
    );
}

#[test]
fn params_are_not_aligned() {
    check(
        "param location : region=\"eastus2\"\nparam pools:int = 2\n",
        "param location: region = \"eastus2\"\nparam pools: int = 2\n",
    );
}

#[test]
fn types_list_enum_and_record() {
    check(
        "param a: list < list<string> >= []\nparam b: azure|kubenet | none = azure\nparam c: {x:int,y: list<cidr>}\n",
        "param a: list<list<string>> = []\nparam b: azure | kubenet | none = azure\nparam c: { x: int, y: list<cidr> }\n",
    );
}

#[test]
fn comparison_after_a_type_is_not_an_angle() {
    check(
        "param n: int = 2\nlet big = n>1\nlet list = 3\nlet small = list<n\n",
        "param n: int = 2\nlet big   = n > 1\nlet list  = 3\nlet small = list < n\n",
    );
}

#[test]
fn own_line_and_trailing_comments_are_kept() {
    check(
        "# top comment   \nstack \"s\"   // trailing\n\ngroup g {\n      # inside\nname = \"g\" #  after a field\n// before the end\n}\n",
        "# top comment\nstack \"s\" // trailing\n\ngroup g {\n  # inside\n  name = \"g\" #  after a field\n  // before the end\n}\n",
    );
}

#[test]
fn comment_text_is_verbatim() {
    check(
        "group g {\n  #no space, \"quotes\" { braces [ and = signs\n}\n",
        "group g {\n  #no space, \"quotes\" { braces [ and = signs\n}\n",
    );
}

#[test]
fn blank_lines_collapse_and_are_kept_inside_blocks() {
    check(
        "\n\n\nstack \"s\"\n\n\n\nparam a: int = 1\nparam b: int = 2\ngroup g {\n  name = \"a\"\n\n\n\n  location = \"eastus\"\n}\n\n\n",
        "stack \"s\"\n\nparam a: int = 1\nparam b: int = 2\n\ngroup g {\n  name = \"a\"\n\n  location = \"eastus\"\n}\n",
    );
}

#[test]
fn one_blank_line_between_top_level_blocks() {
    check(
        "group a {\n  name = \"a\"\n}\ngroup b {\n  name = \"b\"\n}\noutput x = a.name\n",
        "group a {\n  name = \"a\"\n}\n\ngroup b {\n  name = \"b\"\n}\n\noutput x = a.name\n",
    );
}

#[test]
fn the_blank_line_goes_above_comments_attached_to_a_block() {
    check(
        "stack \"s\"\n# the group\ngroup a {\n  name = \"a\"\n}\n",
        "stack \"s\"\n\n# the group\ngroup a {\n  name = \"a\"\n}\n",
    );
}

#[test]
fn one_line_items_keep_their_lines() {
    check(
        "group a { name = \"a\" }\ngroup b { name = \"b\" }\n",
        "group a { name = \"a\" }\ngroup b { name = \"b\" }\n",
    );
}

#[test]
fn several_fields_on_one_line_stay_in_order_one_space_apart() {
    check(
        "nsg n in g {\n  rule a {   priority = 100  direction = inbound   }\n  rule b{priority=200 direction=outbound}\n}\n",
        "nsg n in g {\n  rule a { priority = 100 direction = inbound }\n  rule b { priority = 200 direction = outbound }\n}\n",
    );
}

#[test]
fn strings_and_interpolations_are_untouched() {
    check(
        "let a = \"x${ 1+2 }y\"\nlet b = \"${  \"in}ner ${a}\" }  # not a comment\"\nlet c = \"a\\\"b\\\\\"  # c\n",
        "let a = \"x${ 1+2 }y\"\nlet b = \"${  \"in}ner ${a}\" }  # not a comment\"\nlet c = \"a\\\"b\\\\\" # c\n",
    );
}

#[test]
fn lists_and_records_spacing() {
    check(
        "let a = [ 1,2 ,3, ]\nlet b = {team=\"p\" ,env = \"dev\"}\nlet c = []\nlet d = {}\nlet e = [[1],[ 2 ]]\n",
        "let a = [1, 2, 3,]\nlet b = { team = \"p\", env = \"dev\" }\nlet c = []\nlet d = {}\nlet e = [[1], [2]]\n",
    );
}

#[test]
fn multi_line_list_and_record_are_indented() {
    check(
        "let xs = [\n\"a\",\n    \"b\",\n]\nlet r = {\nteam = \"p\",\nenvironment = \"dev\",\n}\n",
        "let xs = [\n  \"a\",\n  \"b\",\n]\n\nlet r = {\n  team        = \"p\",\n  environment = \"dev\",\n}\n",
    );
}

#[test]
fn operators_calls_members_indexes() {
    check(
        "let a = cidrsubnet( \"10.0.0.0/16\" ,8,1 )\nlet b = x . y [ 0 ] .z\nlet c = 1+2*3-4/5%6\nlet d = !a&&b||c==d\nlet h = [e!=f, e<=f, e>=f, e<f, e>f]\nlet e = - 1 - -2\nlet f = (1 + 2) * 3\nlet g = f( - x, !y)\n",
        "let a = cidrsubnet(\"10.0.0.0/16\", 8, 1)\nlet b = x.y[0].z\nlet c = 1 + 2 * 3 - 4 / 5 % 6\nlet d = !a && b || c == d\nlet h = [e != f, e <= f, e >= f, e < f, e > f]\nlet e = -1 - -2\nlet f = (1 + 2) * 3\nlet g = f(-x, !y)\n",
    );
}

#[test]
fn ranges_and_for_loops() {
    check(
        "param n: int = 2\nfor i in 0 .. n {\nvnet wl_net [i] in rg {\naddress_space = [ cidrsubnet(base, 8, i) ]\nfor j in [1,2] { subnet s [j] { address_prefix = \"10.0.${j}.0/24\" } }\n}\n}\n",
        "param n: int = 2\n\nfor i in 0..n {\n  vnet wl_net[i] in rg {\n    address_space = [cidrsubnet(base, 8, i)]\n    for j in [1, 2] { subnet s[j] { address_prefix = \"10.0.${j}.0/24\" } }\n  }\n}\n",
    );
}

#[test]
fn if_expressions_and_negative_ranges() {
    check(
        "let a = if n>1 {\"x\"} else {\"y\"}\nlet b = -1..-3\nlet c = if a { 1 } else if b { 2 } else { 3 }\n",
        "let a = if n > 1 { \"x\" } else { \"y\" }\nlet b = -1..-3\nlet c = if a { 1 } else if b { 2 } else { 3 }\n",
    );
}

#[test]
fn continuation_lines_get_one_more_level() {
    check(
        "group g {\nname = \"a\" +\n\"b\"\nlocation =\nregion\n}\nlet x = a\n+ b\n",
        "group g {\n  name = \"a\" +\n    \"b\"\n  location =\n    region\n}\n\nlet x = a\n  + b\n",
    );
}

#[test]
fn closing_brackets_follow_their_opening_line() {
    check(
        "let a = f([\n1,\n2\n])\nlet b = f({\nx = 1\n}, [\n2\n])\n",
        "let a = f([\n  1,\n  2\n])\n\nlet b = f({\n  x = 1\n}, [\n  2\n])\n",
    );
}

#[test]
fn use_with_args() {
    check(
        "use fleet=\"./m.capz\" {region=location\nsize = 3}\n",
        "use fleet = \"./m.capz\" { region = location\n  size = 3 }\n",
    );
}

#[test]
fn crlf_tabs_and_final_newline() {
    check(
        "stack \"s\"\r\n\r\ngroup g {\r\n\tname\t=\t\"g\"\r\n}",
        "stack \"s\"\n\ngroup g {\n  name = \"g\"\n}\n",
    );
}

#[test]
fn empty_and_comment_only_files() {
    check("", "");
    check("\n\n  \n", "");
    check("  # only a comment", "# only a comment\n");
}

#[test]
fn string_resource_names_and_bool_literals() {
    check(
        "a_record \"wl-0-apiserver\" in zone_rg{ ttl=300 private=true }\n",
        "a_record \"wl-0-apiserver\" in zone_rg { ttl = 300 private = true }\n",
    );
}

#[test]
fn interpolation_spanning_lines_is_kept() {
    check(
        "let a = \"${ f(1,\n   2) }\"\nlet bb = 1\n",
        "let a  = \"${ f(1,\n   2) }\"\nlet bb = 1\n",
    );
}

#[test]
fn a_syntax_error_returns_diagnostics() {
    let err = format_source("group g {\n  name \"x\"\n}\n").unwrap_err();
    assert!(!err.is_empty());
    assert!(err.iter().all(|d| d.code.contains("::syntax::")), "{err:?}");
    assert!(err[0].primary_span().is_some());
}

#[test]
fn lexer_never_panics_on_odd_input() {
    // The lexer runs only on parsed text, but must not panic on anything.
    for s in ["\"abc", "\"${", "\"${ \"", "@", "\"\\", "${}"] {
        let _ = lex(s);
    }
    assert_eq!(lex("@"), Err(0));
    assert_eq!(lex("a<->b").unwrap()[1], Tok::Punct("<->"));
    assert!(lex("\"abc").is_err());
}

#[test]
fn already_formatted_example_from_the_docs_is_a_fixed_point() {
    let doc = r#"stack "capz-dev"

param location: region = "eastus2"

group mgmt {
  name     = "capz-mgmt-rg"
  location = location
}

vnet mgmt_net in mgmt {
  address_space = ["10.0.0.0/16"]
  subnet nodes { address_prefix = "10.0.0.0/22" }
}

cluster mgmt_aks in mgmt {
  kubernetes_version = "1.30"
  dns_prefix         = "capz-mgmt"
  network {
    plugin         = azure
    policy         = calico
    service_cidr   = "172.16.0.0/16"
    dns_service_ip = "172.16.0.10"
  }
  pool system {
    mode      = system
    vm_size   = "Standard_D4s_v3"
    autoscale = 1..3
    subnet    = mgmt_net.nodes
  }
}

output mgmt_fqdn = mgmt_aks.fqdn
"#;
    check(doc, doc);
}
