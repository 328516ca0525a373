//! Session tests without a terminal or a target: values and types, definitions,
//! multi-line detection, every offline command, completion candidates, errors.

use super::session::*;
use std::path::PathBuf;

fn session() -> Session {
    Session::new(Options::default())
}

fn example() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/managed-cluster.capz"
    ))
}

fn loaded() -> Session {
    let mut s = session();
    let out = s.load(Some(example()));
    assert!(!out.error, "{}", out.text);
    s
}

/// Candidates with the cursor at the end of `line`.
fn complete(s: &Session, line: &str) -> Vec<Candidate> {
    s.complete(line, line.len())
}

fn texts(c: &[Candidate]) -> Vec<&str> {
    c.iter().map(|c| c.text.as_str()).collect()
}

#[test]
fn an_expression_prints_its_value_and_type() {
    let mut s = session();
    let out = s.eval_line("cidrsubnet(\"10.0.0.0/16\", 8, 2)");
    assert_eq!(out.text, "\"10.0.2.0/24\" : cidr\n");
    assert!(!out.error && !out.quit);
    assert_eq!(s.eval_line(":type 1..3").text, "range\n");
}

#[test]
fn lets_and_params_extend_the_session_and_can_be_redefined() {
    let mut s = session();
    assert_eq!(
        s.eval_line("let base = \"10.0.0.0/8\"").text,
        "base = \"10.0.0.0/8\" : cidr\n"
    );
    assert_eq!(s.eval_line("param n: int = 3").text, "n = 3 : int\n");
    assert_eq!(s.eval_line("n * 2").text, "6 : int\n");
    assert_eq!(s.eval_line("let base = 7").text, "base = 7 : int\n");
    assert_eq!(s.eval_line("base + n").text, "10 : int\n");
    assert_eq!(s.eval_line(":set n=5").text, "n = 5 : int\n");
    assert_eq!(s.eval_line(":params").text, "n : int = 5  (set)\n");
}

#[test]
fn errors_point_into_the_typed_line_and_do_not_end_the_session() {
    let mut s = session();
    s.eval_line("let a = 1");
    let out = s.eval_line("a + missing");
    assert!(out.error);
    assert!(out.text.contains("capz::name::undeclared"), "{}", out.text);
    assert!(out.text.contains("<repl:2>:1:5"), "{}", out.text);
    // A definition that adds an error is refused: the session is unchanged.
    let bad = s.eval_line("let b = a + \"x\"");
    assert!(bad.error, "{}", bad.text);
    assert!(s.eval_line("b").error);
    assert_eq!(s.eval_line("a").text, "1 : int\n");
    // A bad :set is refused too.
    s.eval_line("param p: int = 1");
    assert!(s.eval_line(":set p=abc").error);
    assert_eq!(s.eval_line("p").text, "1 : int\n");
}

#[test]
fn open_brackets_and_blocks_are_incomplete() {
    let s = session();
    assert!(s.is_incomplete("[1,"));
    assert!(s.is_incomplete("cidrsubnet(\"10.0.0.0/16\","));
    assert!(s.is_incomplete("group g {"));
    assert!(s.is_incomplete("vnet net in g {\n  address_space = [\"10.0.0.0/16\"]"));
    assert!(s.is_incomplete("let x ="));
    assert!(!s.is_incomplete("[1, 2]"));
    assert!(!s.is_incomplete("1 +* 2"));
    assert!(!s.is_incomplete("foo bar"));
    assert!(!s.is_incomplete(":show ("));
    assert!(!s.is_incomplete(""));
}

#[test]
fn resource_blocks_are_declared_and_shown() {
    let mut s = session();
    assert_eq!(
        s.eval_line("group g {\n  location = \"eastus2\"\n}").text,
        "declared group g\n"
    );
    let out = s.eval_line(
        "vnet net in g {\n  address_space = [\"10.0.0.0/16\"]\n  subnet a { address_prefix = \"10.0.1.0/24\" }\n}",
    );
    assert_eq!(
        out.text, "declared vnet net\ndeclared subnet net.a\n",
        "{}",
        out.text
    );
    let show = s.eval_line(":show net.a").text;
    assert!(
        show.starts_with("subnet net.a in net  (<repl:2>:3)"),
        "{show}"
    );
    assert!(
        show.contains("address_prefix = \"10.0.1.0/24\"  # <repl:2>:3"),
        "{show}"
    );
    assert_eq!(
        s.eval_line("net.a.address_prefix").text,
        "\"10.0.1.0/24\" : cidr\n"
    );
    assert!(
        s.eval_line("group g {\n  location = \"westeurope\"\n}")
            .text
            .starts_with("redefined group g")
    );
}

#[test]
fn a_loaded_program_is_in_scope() {
    let mut s = loaded();
    assert_eq!(
        s.eval_line("cluster_name").text,
        "\"capz-managed-aks\" : string\n"
    );
    assert_eq!(
        s.eval_line("cluster_net.nodes.address_prefix").text,
        "\"10.240.0.0/16\" : cidr\n"
    );
    let show = s.eval_line(":show cluster_net").text;
    assert!(show.contains("managed-cluster.capz:24"), "{show}");
    assert!(s.eval_line(":reload").text.starts_with("loaded "));
    let missing = s.eval_line(":load /nonexistent/x.capz");
    assert!(missing.error && missing.text.contains("capz::cli::read-failed"));
    // The old program stays loaded.
    assert!(!s.eval_line("cluster_name").error);
}

#[test]
fn commands_without_a_target_or_arguments_say_so() {
    let mut s = loaded();
    for (line, code) in [
        (":live rg", "capz::repl::no-target"),
        (":plan", "capz::repl::no-target"),
        (":diff rg", "capz::repl::no-target"),
        (":show", "capz::repl::usage"),
        (":show nowhere", "capz::repl::no-resource"),
        (":frobnicate", "capz::repl::unknown-command"),
        (":explain capz::nope::nope", "capz::cli::unknown-code"),
    ] {
        let out = s.eval_line(line);
        assert!(out.error, "{line}");
        assert!(out.text.contains(code), "{line}: {}", out.text);
    }
    assert!(s.eval_line(":help").text.contains(":live ADDRESS"));
    assert!(
        s.eval_line(":explain capz::syntax::unexpected-end")
            .text
            .starts_with("capz::syntax::unexpected-end: ")
    );
    assert!(s.eval_line(":quit").quit);
}

#[test]
fn completes_names_functions_commands_addresses_and_fields() {
    let s = loaded();
    assert_eq!(
        texts(&complete(&s, "cluster_n")),
        ["cluster_name", "cluster_net"]
    );
    let f = complete(&s, "x = cidrs");
    assert_eq!(texts(&f), ["cidrsubnet("]);
    assert_eq!(f[0].start, 4);
    assert!(f[0].display.starts_with("cidrsubnet(prefix: cidr"));
    assert_eq!(texts(&complete(&s, ":re")), [":reload"]);
    assert_eq!(
        texts(&complete(&s, ":show aks.")),
        ["aks.agentpool0", "aks.agentpool1"]
    );
    let members = complete(&s, "aks.n");
    assert!(texts(&members).contains(&"network"), "{members:?}");
    assert!(
        texts(&members).contains(&"node_resource_group"),
        "{members:?}"
    );
    assert_eq!(members[0].start, 4);
    let fields = complete(&s, "vnet v in rg {\n  addr");
    assert_eq!(texts(&fields), ["address_space"]);
    assert!(fields[0].display.contains("list<cidr>"));
    let block = complete(&s, "cluster c in rg {\n  network {\n    pl");
    assert_eq!(texts(&block), ["plugin", "plugin_mode"]);
    let words = complete(&s, "cluster c in rg {\n  network {\n    plugin = k");
    assert_eq!(texts(&words), ["kubenet"]);
    assert_eq!(texts(&complete(&s, ":set user")), ["user_nodes="]);
    assert!(texts(&complete(&s, ":explain capz::repl::")).contains(&"capz::repl::usage"));
    assert_eq!(texts(&complete(&s, "vn")), ["vnet"]);
}
