//! Completion of capz source by context: the one implementation behind the REPL's Tab and
//! the language server's `textDocument/completion`.
//!
//! It works on text, not on a syntax tree, because the text being completed is half
//! typed and rarely parses. What it needs to know about the program comes in as a
//! [`Scope`] (the catalog, the names defined, the last program that evaluated, the
//! params of `use`d modules); the context comes from the text before the cursor:
//!
//! ```text
//!  top level, start of an item          → resource kinds, names, functions, keywords
//!  inside `vnet x in g {`, field place  → fields of vnet not yet set, blocks, child kinds (subnet)
//!  inside `network {` of a cluster      → the block's fields
//!  after `field =` of an enum field     → the enum's words
//!  after `a.b.`                         → children, fields, blocks and ARM attributes of a.b
//!  inside `use m = "./m.capz" {`        → the module's params not yet given
//!  anywhere else in an expression       → names in scope, functions with signatures
//! ```
//! Pure: no IO. Field, kind and function docs are the catalog's ([`crate::schema`]).

use crate::program::Program;
use crate::schema::{BlockDef, Catalog, FieldDef, KindDef};
use crate::types::Type;
use std::collections::BTreeSet;

/// Keywords offered (when a word has been started) wherever a name could stand.
pub const KEYWORDS: &[&str] = &[
    "stack", "param", "let", "use", "output", "for", "in", "if", "else", "true", "false",
    "existing",
];

/// What a completion stands for (editors show an icon per kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandidateKind {
    /// A resource kind keyword (`vnet`) or child kind inside a body (`subnet`).
    Kind,
    /// A field of a kind or block (`address_space`).
    Field,
    /// A nested block keyword (`network`).
    Block,
    /// An enum word after `field =` (`azure`).
    EnumWord,
    /// A param, let, resource or module name in scope.
    Name,
    /// A member after `.`: a child resource, a field or a read-only attribute.
    Member,
    /// A built-in function (`cidrsubnet(`).
    Function,
    /// A language keyword.
    Keyword,
    /// A module param inside `use m = "..." { }`.
    Param,
    /// A REPL `:command` or its argument.
    Command,
}

/// One completion: replace `text[start..cursor]` with `text`; `display` is what a menu
/// shows (the word with its type, signature or doc line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Byte offset where the replaced word starts.
    pub start: usize,
    /// Replacement text.
    pub text: String,
    /// Menu text, e.g. `address_space  list<cidr>  The address prefixes of the network.`
    pub display: String,
    /// What it is.
    pub kind: CandidateKind,
}

/// A name in scope and its short description (`param int`, `vnet`, `let`, `use`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeName {
    /// The name.
    pub name: String,
    /// Short description shown beside it.
    pub detail: String,
}

/// A param of a module, as offered inside `use NAME = "path" { }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleParam {
    /// Param name.
    pub name: String,
    /// Its type as written.
    pub ty: String,
    /// Whether the module gives it a default (then it may be left out).
    pub has_default: bool,
}

/// What completion knows about the program around the cursor.
pub struct Scope<'a> {
    /// Kinds, fields, enum words and functions.
    pub catalog: &'a Catalog,
    /// Names defined at the top level (params, lets, resources, modules), in order.
    pub names: Vec<ScopeName>,
    /// The last program that evaluated (resources' children and kinds for `a.b.` members).
    pub program: Option<&'a Program>,
    /// Params of each `use`d module, by the `use` name.
    pub modules: Vec<(String, Vec<ModuleParam>)>,
}

/// Byte offset where the word ending at `before`'s end starts (letters, digits, `_`, `.`
/// and, for REPL commands, `:`).
pub fn word_start(before: &str) -> usize {
    before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '.'))
        .map_or(0, |i| i + 1)
}

/// Candidates for the cursor at byte `cursor` of `text` (clamped to a char boundary).
/// The whole text is read: before the cursor for the context, the rest of the enclosing
/// body to leave out the fields already set.
pub fn complete(scope: &Scope<'_>, text: &str, cursor: usize) -> Vec<Candidate> {
    let pos = floor_boundary(text, cursor.min(text.len()));
    let before = &text[..pos];
    let start = word_start(before);
    let word = &before[start..];
    let set = fields_set_in_body(text, pos);
    complete_code(scope, before, start, word, &set)
}

/// Candidates for `word` (which starts at byte `start` of `before`), in the context of
/// `before`; fields in `set` are left out.
pub fn complete_code(
    scope: &Scope<'_>,
    before: &str,
    start: usize,
    word: &str,
    set: &BTreeSet<String>,
) -> Vec<Candidate> {
    // `a.b.pre`: members of what `a.b` names.
    if let Some((path, partial)) = word.rsplit_once('.') {
        let at = start + path.len() + 1;
        return member_candidates(scope, path, partial, at);
    }
    let ctx = body_context(before);
    let line_head = before[..start]
        .rsplit(['\n', '{', '}'])
        .next()
        .unwrap_or("");
    let mut out = Vec::new();
    let push = |out: &mut Vec<Candidate>, text: &str, display: String, kind| {
        out.push(Candidate {
            start,
            text: text.to_string(),
            display,
            kind,
        });
    };
    if let Some(path) = &ctx
        && path.first().is_some_and(|w| w == "use")
    {
        // Inside `use NAME = "path" {`: the module's params not yet given.
        if line_head.trim().is_empty()
            && let Some(name) = path.get(1)
            && let Some((_, params)) = scope.modules.iter().find(|(n, _)| n == name)
        {
            for p in params
                .iter()
                .filter(|p| p.name.starts_with(word) && !set.contains(&p.name))
            {
                let opt = if p.has_default {
                    " (has a default)"
                } else {
                    ""
                };
                push(
                    &mut out,
                    &p.name,
                    format!("{}  {}{opt}", p.name, p.ty),
                    CandidateKind::Param,
                );
            }
            return out;
        }
    } else if let Some(kind_path) = &ctx
        && let Some((kind, block)) = resolve_body(scope.catalog, kind_path)
    {
        if line_head.trim().is_empty() {
            // Field position inside a resource or block body.
            let fields: Vec<&FieldDef> = match block {
                Some(b) => b.fields.iter().collect(),
                None => kind.fields.iter().collect(),
            };
            for f in fields
                .into_iter()
                .filter(|f| f.name.starts_with(word) && !set.contains(f.name))
            {
                push(
                    &mut out,
                    f.name,
                    format!("{}  {}  {}", f.name, f.ty, f.doc),
                    CandidateKind::Field,
                );
            }
            if block.is_none() {
                for b in kind.blocks.iter().filter(|b| b.keyword.starts_with(word)) {
                    push(
                        &mut out,
                        b.keyword,
                        format!("{} {{ }}  {}", b.keyword, b.doc),
                        CandidateKind::Block,
                    );
                }
                for c in kind.children.iter().filter(|c| c.starts_with(word)) {
                    let doc = scope.catalog.kind(c).map_or("", |k| k.doc);
                    push(&mut out, c, format!("{c}  {doc}"), CandidateKind::Kind);
                }
            }
            return out;
        }
        // `field = word`: the words of the field's enum type first.
        if let Some(field) = line_head.trim().strip_suffix('=').map(str::trim) {
            let def = match block {
                Some(b) => b.fields.iter().find(|f| f.name == field),
                None => kind.fields.iter().find(|f| f.name == field),
            };
            if let Some(Type::Enum(e)) = def.map(|d| &d.ty) {
                for w in e.words.iter().filter(|w| w.word.starts_with(word)) {
                    push(
                        &mut out,
                        w.word,
                        format!("{}  {}", w.word, w.doc),
                        CandidateKind::EnumWord,
                    );
                }
                // An enum field takes one of its words.
                if !out.is_empty() {
                    return out;
                }
            }
        }
    } else if ctx.is_none() && line_head.trim().is_empty() {
        // Start of a top-level item: kinds too.
        for k in scope
            .catalog
            .kinds
            .iter()
            .filter(|k| k.keyword.starts_with(word))
        {
            push(
                &mut out,
                k.keyword,
                format!("{}  {}", k.keyword, k.doc),
                CandidateKind::Kind,
            );
        }
    }
    out.extend(name_candidates(scope, start, word));
    out
}

/// Names in scope (params, lets, resources, modules), built-in functions, keywords.
fn name_candidates(scope: &Scope<'_>, start: usize, word: &str) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for n in &scope.names {
        if n.name.starts_with(word) && seen.insert(n.name.clone()) {
            out.push(Candidate {
                start,
                text: n.name.clone(),
                display: format!("{}  {}", n.name, n.detail),
                kind: CandidateKind::Name,
            });
        }
    }
    for f in scope
        .catalog
        .functions
        .iter()
        .filter(|f| f.name.starts_with(word))
    {
        out.push(Candidate {
            start,
            text: format!("{}(", f.name),
            display: f.signature.to_string(),
            kind: CandidateKind::Function,
        });
    }
    for k in KEYWORDS
        .iter()
        .filter(|k| k.starts_with(word) && !word.is_empty())
    {
        out.push(Candidate {
            start,
            text: (*k).to_string(),
            display: format!("{k}  keyword"),
            kind: CandidateKind::Keyword,
        });
    }
    out
}

/// Members after `path.`: children, fields, blocks and attributes of a resource, or fields
/// of a block (`cluster.network.`).
fn member_candidates(scope: &Scope<'_>, path: &str, partial: &str, start: usize) -> Vec<Candidate> {
    let Some(program) = scope.program else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let push = |out: &mut Vec<Candidate>, text: &str, display: String| {
        if text.starts_with(partial) {
            out.push(Candidate {
                start,
                text: text.to_string(),
                display,
                kind: CandidateKind::Member,
            });
        }
    };
    if let Some(r) = program
        .resources
        .iter()
        .find(|r| r.address.to_string() == path)
    {
        for c in program.children(&r.address) {
            let leaf = c.address.leaf().to_string();
            push(&mut out, &leaf, format!("{leaf}  {}", c.kind));
        }
        if let Some(kind) = scope.catalog.kind(r.kind) {
            for f in &kind.fields {
                push(&mut out, f.name, format!("{}  {}  {}", f.name, f.ty, f.doc));
            }
            for b in &kind.blocks {
                push(
                    &mut out,
                    b.keyword,
                    format!("{}  block  {}", b.keyword, b.doc),
                );
            }
            for a in &kind.attributes {
                push(
                    &mut out,
                    a.name,
                    format!("{}  {} (set by ARM)  {}", a.name, a.ty, a.doc),
                );
            }
        }
        return out;
    }
    if let Some((res, block)) = path.rsplit_once('.')
        && let Some(r) = program
            .resources
            .iter()
            .find(|r| r.address.to_string() == res)
        && let Some(b) = scope.catalog.kind(r.kind).and_then(|k| k.block(block))
    {
        for f in &b.fields {
            push(&mut out, f.name, format!("{}  {}  {}", f.name, f.ty, f.doc));
        }
    }
    out
}

/// The kind (and block) a body context names: `["vnet", "subnet"]`, `["cluster", "network"]`.
pub fn resolve_body<'c>(
    catalog: &'c Catalog,
    path: &[String],
) -> Option<(&'c KindDef, Option<&'c BlockDef>)> {
    let mut kind: Option<&'c KindDef> = None;
    let mut block = None;
    for word in path {
        if let Some(k) = catalog.kind_in(kind.map(|k| k.keyword), word) {
            kind = Some(k);
            block = None;
        } else if let Some(b) = kind.and_then(|k| k.block(word)) {
            block = Some(b);
        }
    }
    kind.map(|k| (k, block))
}

/// The words of the headers of the bodies open at the end of `before`: the first word of
/// each (`vnet x in g {` → `vnet`; `network {` → `network`), and for `use NAME = ... {` the
/// pair `use`, `NAME`. `None` at top level. `for` bodies are transparent; a `{` after `=`
/// or `(`/`[`/`,` opens a record, which ends the body context.
pub fn body_context(before: &str) -> Option<Vec<String>> {
    let mut stack: Vec<Vec<String>> = Vec::new();
    let mut in_str = false;
    let mut in_comment = false;
    let mut last_break = 0;
    let bytes = before.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if in_comment {
            if c == b'\n' {
                in_comment = false;
                last_break = i + 1;
            }
        } else if in_str {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_str = false;
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'#' => in_comment = true,
                b'/' if bytes.get(i + 1) == Some(&b'/') => in_comment = true,
                b'\n' => last_break = i + 1,
                b'{' => {
                    let header = before.get(last_break..i).unwrap_or("").trim();
                    let record = header.starts_with("use ") && header.ends_with('=')
                        || !header.starts_with("use ")
                            && (header.is_empty()
                                || header.ends_with(['=', '(', '[', ','])
                                || header.starts_with("if ")
                                || header.starts_with("else"));
                    let mut words = header.split_whitespace();
                    let first = words.next().map(str::to_string);
                    stack.push(match first {
                        _ if record => vec!["{record}".to_string()],
                        Some(f) if f == "for" => Vec::new(),
                        Some(f) if f == "use" => {
                            let name = words.next().unwrap_or("");
                            let name = name.split(['[', '=']).next().unwrap_or("");
                            vec![f, name.to_string()]
                        }
                        Some(f) => vec![f],
                        None => Vec::new(),
                    });
                    last_break = i + 1;
                }
                b'}' => {
                    stack.pop();
                    last_break = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    let path: Vec<String> = stack.into_iter().flatten().collect();
    if path.is_empty() || path.iter().any(|p| p == "{record}") {
        None
    } else {
        Some(path)
    }
}

/// Names set as `name = ...` directly in the body enclosing byte `cursor` of `text` (not
/// in nested bodies), before and after the cursor; empty at top level.
pub fn fields_set_in_body(text: &str, cursor: usize) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    let bytes = text.as_bytes();
    // Find the `{` that opens the enclosing body by scanning back with a depth count.
    let mut depth = 0i32;
    let mut open = None;
    let mut i = cursor.min(bytes.len());
    while i > 0 {
        i -= 1;
        match bytes[i] {
            b'}' => depth += 1,
            b'{' if depth == 0 => {
                open = Some(i);
                break;
            }
            b'{' => depth -= 1,
            _ => {}
        }
    }
    let Some(open) = open else {
        return set;
    };
    let mut depth = 0i32;
    let mut line_start = open + 1;
    let mut j = open + 1;
    let consider = |line: &str, set: &mut BTreeSet<String>| {
        let line = line.trim();
        if let Some((name, _)) = line.split_once('=')
            && !line.starts_with("let ")
        {
            let name = name.trim();
            if !name.is_empty()
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !line[name.len()..].trim_start().starts_with("==")
            {
                set.insert(name.to_string());
            }
        }
    };
    while j < bytes.len() {
        match bytes[j] {
            b'{' | b'[' | b'(' => {
                if depth == 0 {
                    consider(text.get(line_start..j).unwrap_or(""), &mut set);
                    line_start = bytes.len();
                }
                depth += 1;
            }
            b'}' | b']' | b')' => {
                if depth == 0 {
                    consider(text.get(line_start..j).unwrap_or(""), &mut set);
                    break;
                }
                depth -= 1;
            }
            b'\n' => {
                if depth == 0 && line_start < j {
                    consider(text.get(line_start..j).unwrap_or(""), &mut set);
                }
                line_start = j + 1;
            }
            _ => {}
        }
        j += 1;
    }
    // The line the cursor is on is being typed: its word is not "set" yet.
    let cur_line_start = text[..cursor.min(text.len())]
        .rfind('\n')
        .map_or(0, |k| k + 1);
    let cur_line_end = text[cursor.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |k| cursor + k);
    if let Some(line) = text.get(cur_line_start..cur_line_end)
        && let Some((name, _)) = line.split_once('=')
        && !line.contains('{')
    {
        let name = name.trim();
        if cursor <= cur_line_start + line.find('=').unwrap_or(0) {
            set.remove(name);
        }
    } else if let Some(line) = text.get(cur_line_start..cur_line_end) {
        set.remove(line.trim());
    }
    set
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_context_names_the_open_bodies() {
        assert_eq!(body_context("stack \"s\"\n"), None);
        assert_eq!(
            body_context("vnet a in g {\n  subnet b {\n    "),
            Some(vec!["vnet".to_string(), "subnet".to_string()])
        );
        assert_eq!(
            body_context("cluster c in g {\n  network {\n  }\n  "),
            Some(vec!["cluster".to_string()])
        );
        assert_eq!(body_context("let r = {\n  "), None, "a record is no body");
        assert_eq!(
            body_context("for i in 0..2 {\n  use m[i] = \"./m.capz\" {\n    "),
            Some(vec!["use".to_string(), "m".to_string()])
        );
        assert_eq!(
            body_context("vnet a in g { # {\n  name = \"{\"\n  "),
            Some(vec!["vnet".to_string()]),
            "braces in comments and strings do not count"
        );
    }

    #[test]
    fn fields_set_in_the_enclosing_body_only() {
        let text = "vnet a in g {\n  name = \"x\"\n  \n  subnet b {\n    address_prefix = \"10.0.0.0/24\"\n  }\n  dns_servers = [\"10.0.0.4\"]\n}\n";
        let cursor = text.find("  \n").unwrap() + 2;
        let set = fields_set_in_body(text, cursor);
        assert_eq!(
            set.into_iter().collect::<Vec<_>>(),
            ["dns_servers".to_string(), "name".to_string()]
        );
        assert!(fields_set_in_body("stack \"s\"\n", 3).is_empty());
        // The word being typed on the cursor's line is not set yet.
        let t = "vnet a in g {\n  name\n}\n";
        assert!(fields_set_in_body(t, t.find("name").unwrap() + 4).is_empty());
    }
}
