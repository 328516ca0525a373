//! The VS Code grammar (`editors/vscode/syntaxes/capz.tmLanguage.json`) knows every word
//! the language and `stdlib::catalog()` define, so a new kind, nested block, enum word or
//! built-in function cannot ship without highlighting.
//!
//! Each word must appear in the regular expressions of one named entry of the grammar's
//! `repository` (e.g. every kind keyword in `resource-kinds`). When a test here fails, add
//! the word it names to that entry's alternation in the grammar, and a line exercising it
//! to `editors/vscode/test/*.capz` (run `npm test` in `editors/vscode`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use lang::types::Type;
use serde_json::Value as Json;

/// The repository root (the parent of this crate).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests crate lives in the workspace")
        .to_path_buf()
}

fn read_json(rel: &str) -> Json {
    let path = root().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn grammar() -> Json {
    read_json("editors/vscode/syntaxes/capz.tmLanguage.json")
}

/// Every regular expression (`match`, `begin`, `end`) inside a grammar rule, recursively.
fn regexes<'a>(rule: &'a Json, out: &mut Vec<&'a str>) {
    match rule {
        Json::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("match" | "begin" | "end", Json::String(re)) => out.push(re),
                    _ => regexes(value, out),
                }
            }
        }
        Json::Array(items) => items.iter().for_each(|item| regexes(item, out)),
        _ => {}
    }
}

/// The literal words spelled in a regular expression: escapes such as `\b`, `\s`, `\w`
/// are dropped, and what remains is split on everything but `[A-Za-z0-9_]`.
fn words_of(re: &str) -> BTreeSet<String> {
    let mut cleaned = String::with_capacity(re.len());
    let mut chars = re.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
            cleaned.push(' ');
        } else {
            cleaned.push(c);
        }
    }
    cleaned
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The words in the regular expressions of the repository entry `entry`.
fn entry_words(grammar: &Json, entry: &str) -> BTreeSet<String> {
    let rule = grammar
        .get("repository")
        .and_then(|r| r.get(entry))
        .unwrap_or_else(|| panic!("grammar has no repository entry `{entry}`"));
    let mut res = Vec::new();
    regexes(rule, &mut res);
    assert!(!res.is_empty(), "repository entry `{entry}` has no regex");
    res.into_iter().flat_map(words_of).collect()
}

/// Asserts every word of `wanted` is in `entry`, listing all the missing ones at once.
fn assert_highlighted(grammar: &Json, entry: &str, what: &str, wanted: &BTreeSet<&str>) {
    assert!(
        !wanted.is_empty(),
        "no {what} to check: the catalog is empty?"
    );
    let have = entry_words(grammar, entry);
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| !have.contains(*w))
        .collect();
    assert!(
        missing.is_empty(),
        "{what} missing from repository entry `{entry}` of \
         editors/vscode/syntaxes/capz.tmLanguage.json: {missing:?}"
    );
}

/// Enum words reachable from a type (through lists, records and known-after-apply).
fn enum_words(ty: &Type, out: &mut BTreeSet<&'static str>) {
    match ty {
        Type::Enum(e) => out.extend(e.words.iter().map(|w| w.word)),
        Type::List(t) | Type::KnownAfterApply(t) => enum_words(t, out),
        Type::Record(fields) => fields.iter().for_each(|(_, t)| enum_words(t, out)),
        _ => {}
    }
}

#[test]
fn grammar_is_source_capz_and_its_includes_resolve() {
    let g = grammar();
    assert_eq!(g["scopeName"], "source.capz");
    let repo = g["repository"].as_object().expect("repository object");
    let mut includes = Vec::new();
    fn collect<'a>(rule: &'a Json, out: &mut Vec<&'a str>) {
        match rule {
            Json::Object(map) => map.iter().for_each(|(k, v)| match (k.as_str(), v) {
                ("include", Json::String(s)) => out.push(s),
                _ => collect(v, out),
            }),
            Json::Array(items) => items.iter().for_each(|i| collect(i, out)),
            _ => {}
        }
    }
    collect(&g, &mut includes);
    assert!(includes.len() > 10, "grammar includes almost nothing");
    for inc in includes {
        if let Some(name) = inc.strip_prefix('#') {
            assert!(
                repo.contains_key(name),
                "include `{inc}` has no repository entry"
            );
        } else {
            assert!(
                inc == "$self" || inc == "source.capz",
                "unexpected include `{inc}`"
            );
        }
    }
}

#[test]
fn extension_contributes_the_grammar_for_capz_files() {
    let pkg = read_json("editors/vscode/package.json");
    let lang = &pkg["contributes"]["languages"][0];
    assert_eq!(lang["id"], "capz");
    assert!(
        lang["extensions"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x == ".capz")),
        "language must claim .capz files"
    );
    let gram = &pkg["contributes"]["grammars"][0];
    assert_eq!(gram["language"], "capz");
    assert_eq!(gram["scopeName"], "source.capz");
    assert_eq!(gram["path"], "./syntaxes/capz.tmLanguage.json");
}

#[test]
fn words_of_drops_escapes_and_splits_alternations() {
    let w = words_of(r"(?:^|(?<=[{}]))\s*\b(vnet|public_ip)\b(?!\s*=)");
    assert!(w.contains("vnet") && w.contains("public_ip"));
    assert!(!w.contains("bvnet") && !w.contains("s"));
}

#[test]
fn every_kind_and_child_kind_is_highlighted() {
    let g = grammar();
    let cat = stdlib::catalog();
    // The word a user writes: an inline part's surface word (`rule` inside a load
    // balancer, whose internal kind is `lb_rule`), otherwise the kind's keyword.
    let written = |k: &lang::schema::KindDef| match k.placement {
        lang::schema::Placement::Inline { word, .. } => word,
        _ => k.keyword,
    };
    let mut kinds: BTreeSet<&str> = cat.kinds.iter().map(written).collect();
    kinds.extend(
        cat.kinds
            .iter()
            .flat_map(|k| k.children.iter().copied())
            .filter(|c| cat.kind(c).is_none_or(|k| written(k) == *c)),
    );
    // At the start of a declaration, and as a param type (`param hub: vnet`).
    assert_highlighted(&g, "resource-kinds", "resource kinds", &kinds);
    assert_highlighted(&g, "type", "resource kinds (as types)", &kinds);
}

#[test]
fn every_nested_block_keyword_is_highlighted() {
    let g = grammar();
    let blocks: BTreeSet<&str> = stdlib::catalog()
        .kinds
        .iter()
        .flat_map(|k| k.blocks.iter().map(|b| b.keyword))
        .collect();
    assert_highlighted(&g, "block-keywords", "nested block keywords", &blocks);
}

#[test]
fn every_language_keyword_is_highlighted() {
    let g = grammar();
    let keywords: BTreeSet<&str> = [
        "stack", "param", "let", "use", "output", "for", "in", "if", "else", "existing",
    ]
    .into();
    assert_highlighted(&g, "keywords", "language keywords", &keywords);
    assert_highlighted(&g, "booleans", "booleans", &["true", "false"].into());
}

#[test]
fn every_enum_word_is_highlighted() {
    let g = grammar();
    let mut words = BTreeSet::new();
    for kind in &stdlib::catalog().kinds {
        for (_, field) in kind.all_fields() {
            enum_words(&field.ty, &mut words);
        }
    }
    assert_highlighted(&g, "enum-words", "enum words", &words);
}

#[test]
fn every_builtin_function_is_highlighted() {
    let g = grammar();
    let functions: BTreeSet<&str> = stdlib::catalog().functions.iter().map(|f| f.name).collect();
    if functions.is_empty() {
        // No built-in functions in the catalog yet: nothing can be missing.
        return;
    }
    assert_highlighted(&g, "call", "built-in functions", &functions);
}
