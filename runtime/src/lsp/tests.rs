//! Backend tests without a transport: every feature on the examples and on broken copies.

use super::analysis::{Backend, PIN_ANNOTATION, TOKEN_TYPES};
use super::convert::{LineIndex, path_to_uri};
use lsp_types as lsp;
use std::path::{Path, PathBuf};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
        .canonicalize()
        .unwrap()
}

/// A backend with `text` open as the file at `path` (analysed).
fn open_at(path: &Path, text: &str) -> (Backend, lsp::Uri, Vec<(lsp::Uri, Vec<lsp::Diagnostic>)>) {
    let mut b = Backend::new();
    let uri = path_to_uri(path).unwrap();
    b.open(uri.clone(), text, 1);
    let d = b.analyze(&uri);
    (b, uri, d)
}

fn open_example(name: &str) -> (Backend, lsp::Uri, String) {
    let path = example(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let (b, uri, diags) = open_at(&path, &text);
    assert!(diags[0].1.is_empty(), "{name}: {:?}", diags[0].1);
    (b, uri, text)
}

/// The position of the `nth` occurrence of `needle` in `text`, plus `into` bytes.
fn pos(text: &str, needle: &str, nth: usize, into: usize) -> lsp::Position {
    let at = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} #{nth} not in text"))
        .0;
    LineIndex::new(text.into()).position(u32::try_from(at + into).unwrap())
}

fn hover_text(b: &Backend, uri: &lsp::Uri, p: lsp::Position) -> String {
    match b.hover(uri, p).map(|h| h.contents) {
        Some(lsp::HoverContents::Markup(m)) => m.value,
        other => panic!("no markdown hover: {other:?}"),
    }
}

fn labels(items: &[lsp::CompletionItem]) -> Vec<&str> {
    items.iter().map(|i| i.label.as_str()).collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("capz-lsp-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("main.capz")
}

#[test]
fn examples_have_no_diagnostics_and_a_broken_copy_has_the_checkers() {
    for name in [
        "managed-cluster.capz",
        "management-cluster.capz",
        "hub-and-spoke.capz",
        "private-cluster.capz",
        "capz-aks-aad.capz",
        "fleet.capz",
    ] {
        open_example(name);
    }
    let path = example("managed-cluster.capz");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("plugin         = azure", "plugin         = azur");
    let (_, uri, diags) = open_at(&path, &text);
    assert_eq!(diags[0].0, uri);
    let d = &diags[0].1[0];
    assert_eq!(d.severity, Some(lsp::DiagnosticSeverity::ERROR));
    assert!(
        matches!(&d.code, Some(lsp::NumberOrString::String(c)) if c.starts_with("capz::")),
        "{d:?}"
    );
    assert_eq!(d.range.start, pos(&text, "azur\n", 0, 0));
    assert!(d.message.contains("help:"), "{}", d.message);
}

#[test]
fn a_syntax_error_is_reported_and_the_last_good_analysis_stays() {
    let path = example("managed-cluster.capz");
    let text = std::fs::read_to_string(&path).unwrap();
    let (mut b, uri, _) = open_at(&path, &text);
    let broken = text.replace("subnet nodes {", "subnet nodes {{ (");
    b.change(uri.clone(), &broken, 2);
    let diags = b.analyze(&uri);
    let d = &diags[0].1;
    assert!(!d.is_empty());
    assert!(
        matches!(&d[0].code, Some(lsp::NumberOrString::String(c)) if c.starts_with("capz::syntax::"))
    );
    // Outline and hover still answer from the last good text.
    assert!(!b.document_symbols(&uri).is_empty());
    let h = hover_text(&b, &uri, pos(&text, "address_space", 0, 2));
    assert!(h.contains("list<cidr>"), "{h}");
}

#[test]
fn related_information_carries_secondary_labels() {
    let path = scratch("related");
    let text = "stack \"s\"\ngroup g {\n  location = \"eastus\"\n}\nvnet a in g {\n  address_space = [\"10.0.0.0/16\"]\n}\nvnet b in g {\n  name = \"a\"\n  address_space = [\"10.1.0.0/16\"]\n}\n";
    let (_, _, diags) = open_at(&path, text);
    let with_related: Vec<_> = diags[0]
        .1
        .iter()
        .filter(|d| d.related_information.is_some())
        .collect();
    assert!(!with_related.is_empty(), "{:?}", diags[0].1);
}

#[test]
fn hover_on_a_field_shows_doc_type_default_arm_path_and_replacement() {
    let (b, uri, text) = open_example("managed-cluster.capz");
    let h = hover_text(&b, &uri, pos(&text, "service_cidr", 0, 3));
    assert!(h.contains("service_cidr: cidr"), "{h}");
    assert!(
        h.contains("ARM: `properties.networkProfile.serviceCidr`"),
        "{h}"
    );
    assert!(h.contains("replaces the resource"), "{h}");
    let h = hover_text(&b, &uri, pos(&text, "os_disk_size_gb", 0, 1));
    assert!(h.contains("field of `pool`"), "{h}");
    let h = hover_text(&b, &uri, pos(&text, "vnet cluster_net", 0, 1));
    assert!(h.contains("Microsoft.Network/virtualNetworks"), "{h}");
}

#[test]
fn hover_on_a_reference_shows_its_kind_declaration_and_arm_name() {
    let (b, uri, text) = open_example("managed-cluster.capz");
    let h = hover_text(&b, &uri, pos(&text, "cluster_net.nodes", 0, 13));
    assert!(h.contains("subnet nodes"), "{h}");
    assert!(h.contains("declared on line 26"), "{h}");
    assert!(h.contains("ARM name `capz-managed-aks-subnet`"), "{h}");
}

#[test]
fn hover_shows_a_value_known_before_apply() {
    let path = scratch("value");
    let text = "stack \"s\"\nlet hub = cidrsubnet(\"10.0.0.0/8\", 8, 128)\noutput h = hub\n";
    let (b, uri, diags) = open_at(&path, text);
    assert!(diags[0].1.is_empty(), "{:?}", diags[0].1);
    let h = hover_text(&b, &uri, pos(text, "cidrsubnet", 0, 2));
    assert!(h.contains("cidrsubnet(prefix"), "{h}");
    assert!(h.contains("value: `\"10.128.0.0/16\"`"), "{h}");
    let h = hover_text(&b, &uri, pos(text, "= hub", 0, 3));
    assert!(h.contains("let hub"), "{h}");
}

#[test]
fn completion_by_context() {
    let path = example("managed-cluster.capz");
    let base = std::fs::read_to_string(&path).unwrap();
    let (mut b, uri, _) = open_at(&path, &base);
    let mut at = |text: &str, needle: &str, into: usize| {
        b.change(uri.clone(), text, 2);
        let p = pos(text, needle, 0, into);
        b.completion(&uri, p)
    };
    // Top level: kinds.
    let t = format!("{base}\nvn");
    let c = at(&t, "\nvn", 3);
    assert!(labels(&c).contains(&"vnet"), "{:?}", labels(&c));
    // Children and fields not yet set inside a vnet.
    let t = base.replace("  subnet nodes {", "  \n  subnet nodes {");
    let c = at(&t, "  \n  subnet nodes", 2);
    let l = labels(&c);
    assert!(l.contains(&"subnet") && l.contains(&"dns_servers"), "{l:?}");
    assert!(!l.contains(&"address_space"), "already set: {l:?}");
    // `pool` and `network` in a cluster.
    let t = base.replace(
        "  sku_tier           = free\n",
        "  sku_tier           = free\n  \n",
    );
    let c = at(&t, "free\n  \n", 8);
    let l = labels(&c);
    assert!(l.contains(&"pool") && l.contains(&"network"), "{l:?}");
    // Enum words after `=`.
    let t = base.replace("policy         = calico", "policy         = ");
    let c = at(&t, "policy         = ", 17);
    let l = labels(&c);
    assert!(l.contains(&"calico") && l.contains(&"cilium"), "{l:?}");
    // Members of a reference.
    let t = base.replace(
        "subnet          = cluster_net.nodes\n  }\n\n  pool agentpool1",
        "subnet          = cluster_net.\n  }\n\n  pool agentpool1",
    );
    let c = at(&t, "cluster_net.\n", 12);
    let l = labels(&c);
    assert!(
        l.contains(&"nodes") && l.contains(&"address_space"),
        "{l:?}"
    );
    // Functions with signatures.
    let t = base.replace(
        "dns_prefix         = cluster_name",
        "dns_prefix         = lo",
    );
    let c = at(&t, "= lo", 4);
    let f = c.iter().find(|i| i.label == "lower").expect("lower");
    assert!(
        f.detail.as_deref().unwrap_or("").contains("lower("),
        "{f:?}"
    );
}

#[test]
fn completion_of_module_params_after_use() {
    let path = example("fleet.capz");
    let base = std::fs::read_to_string(&path).unwrap();
    let (mut b, uri, _) = open_at(&path, &base);
    let t = base.replace("    fleet_space        = \"10.0.0.0/8\"\n", "    \n");
    b.change(uri.clone(), &t, 2);
    let c = b.completion(&uri, pos(&t, "kubernetes_version\n    \n", 0, 24));
    assert_eq!(labels(&c), ["fleet_space"], "{c:?}");
}

#[test]
fn definition_references_and_rename() {
    let (b, uri, text) = open_example("managed-cluster.capz");
    // `cluster_net.nodes`: the child subnet.
    let d = b
        .definition(&uri, pos(&text, "cluster_net.nodes", 0, 13))
        .unwrap();
    assert_eq!(d.range.start, pos(&text, "nodes {", 0, 0));
    let refs = b.references(&uri, pos(&text, "subnet nodes", 0, 8), true);
    assert_eq!(refs.len(), 3, "{refs:?}");
    // Renaming `cluster_net` (whose body sets `name`): no pin.
    let e = b
        .rename(&uri, pos(&text, "vnet cluster_net", 0, 6), "net")
        .unwrap()
        .unwrap();
    let Some(lsp::DocumentChanges::Edits(docs)) = e.document_changes else {
        panic!()
    };
    assert_eq!(docs[0].edits.len(), 3);
    assert!(e.change_annotations.is_none());
    // Renaming `nodes` (no `name`): the pin comes as a separate annotated edit.
    let e = b
        .rename(&uri, pos(&text, "subnet nodes", 0, 8), "workers")
        .unwrap()
        .unwrap();
    assert!(
        b.rename(&uri, pos(&text, "subnet nodes", 0, 8), "1x")
            .is_err()
    );
    let Some(lsp::DocumentChanges::Edits(docs)) = e.document_changes else {
        panic!()
    };
    let annotated: Vec<_> = docs[0]
        .edits
        .iter()
        .filter_map(|x| match x {
            lsp::OneOf::Right(a) => Some(a),
            lsp::OneOf::Left(_) => None,
        })
        .collect();
    assert_eq!(docs[0].edits.len(), 3, "{:?}", docs[0].edits);
    assert_eq!(annotated.len(), 0, "nodes sets name: {annotated:?}");
    let _ = PIN_ANNOTATION;
}

#[test]
fn rename_of_a_resource_named_by_its_identifier_offers_to_pin_the_name() {
    let path = scratch("pin");
    let text = "stack \"s\"\ngroup g {\n  location = \"eastus\"\n}\nvnet hub in g {\n  address_space = [\"10.0.0.0/16\"]\n}\noutput id = hub.id\n";
    let (b, uri, _) = open_at(&path, text);
    let e = b
        .rename(&uri, pos(text, "hub in", 0, 1), "core")
        .unwrap()
        .unwrap();
    let Some(lsp::DocumentChanges::Edits(docs)) = e.document_changes else {
        panic!()
    };
    let pin = docs[0]
        .edits
        .iter()
        .find_map(|x| match x {
            lsp::OneOf::Right(a) => Some(a),
            lsp::OneOf::Left(_) => None,
        })
        .expect("a pin edit");
    assert_eq!(pin.annotation_id, PIN_ANNOTATION);
    assert_eq!(pin.text_edit.new_text, "\n  name = \"hub\"");
    let ann = &e.change_annotations.unwrap()[PIN_ANNOTATION];
    assert_eq!(ann.needs_confirmation, Some(true));
    assert!(ann.description.as_deref().unwrap().contains("delete"));
    // The same pin as a code action.
    let r = lsp::Range::new(pos(text, "hub in", 0, 1), pos(text, "hub in", 0, 1));
    let a = b.code_actions(&uri, r);
    assert!(
        a.iter().any(|a| a.title.starts_with("Pin the ARM name")),
        "{a:?}"
    );
}

#[test]
fn definition_into_a_used_module() {
    let (b, uri, text) = open_example("fleet.capz");
    let d = b
        .definition(&uri, pos(&text, "./modules/workload", 0, 4))
        .unwrap();
    assert!(
        d.uri
            .as_str()
            .ends_with("examples/modules/workload-cluster.capz"),
        "{d:?}"
    );
    let d = b
        .definition(&uri, pos(&text, "fleet_space  ", 0, 2))
        .unwrap();
    assert!(d.uri.as_str().ends_with("workload-cluster.capz"));
    assert!(d.range.start.line > 0);
}

#[test]
fn symbols_folding_formatting_tokens_and_hints() {
    let (b, uri, text) = open_example("managed-cluster.capz");
    let s = b.document_symbols(&uri);
    let vnet = s.iter().find(|s| s.name == "cluster_net").unwrap();
    assert_eq!(vnet.children.as_ref().unwrap()[0].name, "nodes");
    let aks = s.iter().find(|s| s.name == "aks").unwrap();
    assert_eq!(aks.children.as_ref().unwrap().len(), 2);
    let w = b.workspace_symbols("agentpool");
    assert_eq!(w.len(), 2);
    assert_eq!(w[0].name, "aks.agentpool0");
    let f = b.folding_ranges(&uri);
    assert!(
        f.iter()
            .any(|r| r.start_line == 0 && r.kind == Some(lsp::FoldingRangeKind::Comment))
    );
    assert!(f.iter().any(|r| r.start_line == 31), "{f:?}"); // cluster aks in rg {
    assert_eq!(
        b.formatting(&uri).unwrap(),
        Vec::new(),
        "examples are formatted"
    );
    // Semantic tokens decode back to the words.
    let toks = b.semantic_tokens(&uri);
    let lines: Vec<&str> = text.lines().collect();
    let (mut line, mut col) = (0u32, 0u32);
    let mut words = Vec::new();
    for t in &toks {
        line += t.delta_line;
        col = if t.delta_line == 0 {
            col + t.delta_start
        } else {
            t.delta_start
        };
        let l = lines[line as usize];
        let w = &l[col as usize..(col + t.length) as usize];
        words.push((w.to_string(), TOKEN_TYPES[t.token_type as usize]));
    }
    for expect in [
        ("vnet", "type"),
        ("address_space", "property"),
        ("calico", "enumMember"),
        ("cluster_net", "class"),
        ("system_nodes", "parameter"),
        ("network", "struct"),
    ] {
        assert!(
            words.iter().any(|(w, t)| w == expect.0 && *t == expect.1),
            "{expect:?} in {words:?}"
        );
    }
    let hints = b.inlay_hints(&uri);
    assert!(
        hints.iter().any(
            |h| matches!(&h.label, lsp::InlayHintLabel::String(s) if s == "name: \"agentpool0\"")
        ),
        "{hints:?}"
    );
    let lens = b.code_lenses(&uri);
    assert_eq!(lens.len(), 1);
    assert_eq!(lens[0].range.start.line, 8);
}

#[test]
fn formatting_rewrites_a_badly_laid_out_file() {
    let path = scratch("fmt");
    let text = "stack \"s\"\nlet   a=1\n";
    let (b, uri, _) = open_at(&path, text);
    let e = b.formatting(&uri).unwrap();
    assert_eq!(e[0].new_text, "stack \"s\"\nlet a = 1\n");
}

#[test]
fn inlay_hints_show_evaluated_cidrs() {
    let path = scratch("cidr");
    let text = "stack \"s\"\ngroup g {\n  location = \"eastus\"\n}\nvnet hub in g {\n  address_space = [cidrsubnet(\"10.0.0.0/8\", 8, 128)]\n  subnet a {\n    address_prefix = cidrsubnet(\"10.128.0.0/16\", 8, 1)\n  }\n}\n";
    let (b, uri, diags) = open_at(&path, text);
    assert!(diags[0].1.is_empty(), "{:?}", diags[0].1);
    let hints = b.inlay_hints(&uri);
    let labels: Vec<String> = hints
        .iter()
        .map(|h| match &h.label {
            lsp::InlayHintLabel::String(s) => s.clone(),
            lsp::InlayHintLabel::LabelParts(_) => String::new(),
        })
        .collect();
    assert!(
        labels.contains(&"= [\"10.128.0.0/16\"]".to_string()),
        "{labels:?}"
    );
    assert!(
        labels.contains(&"= \"10.128.1.0/24\"".to_string()),
        "{labels:?}"
    );
}

#[test]
fn code_actions_from_helps() {
    let path = example("managed-cluster.capz");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "address_prefix = \"10.240.0.0/16\"",
        "adress_prefix = \"10.240.0.0/16\"",
    );
    let (b, uri, diags) = open_at(&path, &text);
    let d = diags[0].1.first().expect("a diagnostic");
    let a = b.code_actions(&uri, d.range);
    let fix = a
        .iter()
        .find(|a| a.title == "Change to `address_prefix`")
        .expect("did-you-mean");
    let edits = &fix.edit.as_ref().unwrap().changes.as_ref().unwrap()[&uri];
    assert_eq!(edits[0].new_text, "address_prefix");
}

#[test]
fn never_panics_on_arbitrary_input() {
    let path = scratch("fuzz");
    let base = std::fs::read_to_string(example("management-cluster.capz")).unwrap();
    let mut b = Backend::new();
    let uri = path_to_uri(&path).unwrap();
    b.open(uri.clone(), "", 0);
    // Every prefix of a real program (what typing it produces), at a few positions each.
    let cuts: Vec<usize> = (0..base.len())
        .step_by(37)
        .filter(|i| base.is_char_boundary(*i))
        .collect();
    for (v, cut) in cuts.into_iter().enumerate() {
        let t = &base[..cut];
        b.change(uri.clone(), t, i32::try_from(v).unwrap());
        b.analyze(&uri);
        let end = LineIndex::new(t.into()).position(u32::try_from(t.len()).unwrap());
        for p in [
            lsp::Position::new(0, 0),
            end,
            lsp::Position::new(end.line, 3),
            lsp::Position::new(999, 999),
        ] {
            b.hover(&uri, p);
            b.completion(&uri, p);
            b.definition(&uri, p);
            b.references(&uri, p, true);
            let _ = b.rename(&uri, p, "x");
            b.code_actions(&uri, lsp::Range::new(p, p));
        }
        b.semantic_tokens(&uri);
        b.folding_ranges(&uri);
        b.inlay_hints(&uri);
        let _ = b.formatting(&uri);
    }
}
