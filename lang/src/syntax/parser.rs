//! pest pairs → [`ast`] nodes, and pest errors → [`Diagnostic`]s.
//!
//! pest stops here: nothing outside `syntax/` sees a `Pair` or a `Rule`. A syntax error is
//! reported at the furthest position the parser reached, naming in human words what could
//! have come there (from pest's parse attempts: literal tokens such as `=` and rule names
//! such as "a name"), what was found, and a help line chosen from what was expected.
//! Problems the grammar accepts but the tree cannot hold (an unknown escape, an integer
//! too large) are reported while building the tree.

use super::ast::*;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use pest::Parser;
use pest::iterators::Pair;

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct CapzParser;

/// Deepest bracket nesting accepted; deeper input is refused before parsing so that no
/// recursive phase can exhaust the stack.
pub const MAX_NESTING: usize = 64;

/// Deepest expression tree accepted (a leaf is 1; each operator, index, member, call or
/// literal list around it adds 1): `1 + 1 + ...` with more than this many terms, or
/// `x[0][0]...` / `a.b.c...` with more than this many steps, is refused with
/// `capz::syntax::too-deep`. Chains are folded without recursion in the parser; the
/// bound keeps the checker, evaluator and formatter (which walk the tree recursively)
/// within a thread's default stack.
pub const MAX_EXPR_DEPTH: usize = 128;

/// Most syntax errors reported for one file; parsing stops after them.
pub const MAX_SYNTAX_ERRORS: usize = 50;

/// Parse a file, recovering from syntax errors at line, item and block boundaries.
///
/// pest cannot resume after an error, so recovery works on a copy of the text: the
/// statement the error is in is blanked (replaced by spaces, so every byte offset and
/// span stays that of the original text) and the copy is parsed again, until it parses
/// or [`MAX_SYNTAX_ERRORS`] are reported. What is blanked: the line of the error (the
/// previous code line instead when the error is the first token of its line and a value
/// was expected there, i.e. that line is incomplete), extended to the end of any block or
/// bracket the blanked line opens; for a block never closed, everything from the
/// outermost open block's line to the end of the file.
///
/// Returns the tree of what could be parsed (`None` only when nothing could, e.g. nesting
/// past [`MAX_NESTING`]) and every diagnostic: each syntax error once, plus problems
/// inside well-formed tokens (escapes, integers). When any diagnostic is an error the tree
/// is partial: editors may use it, the checker's later phases must not trust it.
pub fn parse_file(file: FileId, text: &str) -> (Option<File>, Vec<Diagnostic>) {
    if let Some(d) = nesting_check(file, text) {
        return (None, vec![d]);
    }
    let mut diags = Vec::new();
    let mut work: Option<String> = None;
    loop {
        let cur = work.as_deref().unwrap_or(text);
        match parse_detailed(Rule::file, cur) {
            Ok(mut pairs) => {
                let mut b = Builder {
                    file,
                    text: cur,
                    diags: Vec::new(),
                };
                let Some(top) = pairs.next() else {
                    diags.push(internal(file, text));
                    return (None, diags);
                };
                let f = b.file(top);
                diags.extend(b.diags);
                return (Some(f), diags);
            }
            Err(e) => {
                let d = syntax_error(file, cur, &e);
                let region = recovery_region(cur, &d);
                diags.push(d);
                let Some((start, end)) = region else {
                    return (None, diags);
                };
                if diags.len() >= MAX_SYNTAX_ERRORS {
                    return (None, diags);
                }
                let mut w = cur.to_string();
                blank(&mut w, start, end);
                if w == cur {
                    return (None, diags);
                }
                work = Some(w);
            }
        }
    }
}

/// Replace the bytes `start..end` of `text` by spaces, keeping newlines (and so every
/// offset and line number). `start..end` is widened to char boundaries.
fn blank(text: &mut String, start: usize, end: usize) {
    let mut start = start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = end.min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let replaced: String = text[start..end]
        .chars()
        .flat_map(|c| {
            let n = if c == '\n' { 0 } else { c.len_utf8() };
            std::iter::repeat_n(' ', n).chain((c == '\n').then_some('\n'))
        })
        .collect();
    text.replace_range(start..end, &replaced);
}

/// The byte range to blank after syntax error `d` in `text` (see [`parse_file`]).
fn recovery_region(text: &str, d: &Diagnostic) -> Option<(usize, usize)> {
    let span = d.primary_span()?;
    let line_start = |p: usize| text[..p].rfind('\n').map_or(0, |i| i + 1);
    let line_end = |p: usize| text[p..].find('\n').map_or(text.len(), |i| p + i);
    if matches!(
        d.code,
        "capz::syntax::unclosed" | "capz::syntax::unexpected-end"
    ) || span.start as usize >= text.len()
    {
        // A block never closed: drop the outermost open block, to the end of the file or
        // to the line where the parser noticed.
        let noticed = d
            .labels
            .iter()
            .find(|l| {
                !l.primary
                    && d.code == "capz::syntax::unclosed"
                    && !l.message.starts_with("the file ends")
            })
            .map_or(text.len(), |l| l.span.start as usize)
            .min(text.len());
        let end = if noticed < text.len() {
            line_start(noticed)
        } else {
            text.len()
        };
        // Without an open bracket (`let a =` at the end), the last code line.
        let from = open_brackets(&text[..end])
            .and_then(|(stack, _)| stack.first().map(|o| line_start(o.at)))
            .unwrap_or_else(|| line_start(text[..end].trim_end().len()));
        return Some((from, end));
    }
    let pos = (span.start as usize).min(text.len());
    let mut start = line_start(pos);
    let first_token = text[start..pos].trim().is_empty();
    let said = |w: &str| d.labels.iter().any(|l| l.primary && l.message.contains(w));
    // Where a new statement could start, the error is this line's; otherwise the
    // statement began on an earlier line and is incomplete (`let a = 1 +`, a resource
    // header without its `{`).
    let statement_start = said("a declaration")
        || said("a field, block or resource")
        || said("`}`")
        || said("`for`")
        || said("`let`");
    let continues =
        d.code == "capz::syntax::unexpected" && (said("an expression") || !statement_start);
    if first_token && continues && start > 0 {
        // The previous code line is incomplete: blank it instead.
        let mut end = start - 1;
        loop {
            let s = line_start(end);
            let t = text[s..end].trim();
            if !(t.is_empty() || t.starts_with('#') || t.starts_with("//")) {
                start = s;
                break;
            }
            if s == 0 {
                break;
            }
            end = s - 1;
        }
    }
    let mut end = line_end(start);
    // A block header without its `{` (`group rg` and then the body lines): the body's `}`
    // is unmatched once the header is gone, so blank the body through it too.
    if first_token && continues && said("`{`") {
        let mut depth: isize = 0;
        let mut at = line_start(pos);
        while at < text.len() {
            let e = line_end(at);
            let seg = &text[at..e];
            let code = &seg[..comment_start(seg).unwrap_or(seg.len())];
            let mut strings = StringState::default();
            for c in code.chars() {
                if strings.is_code(c) {
                    match c {
                        '{' | '[' | '(' => depth += 1,
                        '}' | ']' | ')' => depth -= 1,
                        _ => {}
                    }
                }
            }
            if depth < 0 {
                end = e;
                break;
            }
            at = e + 1;
        }
    }
    // If the blanked lines leave brackets open, blank to where they close.
    let mut depth: isize = 0;
    let mut at = start;
    loop {
        let seg = &text[at..end];
        let code = &seg[..comment_start(seg).unwrap_or(seg.len())];
        let mut strings = StringState::default();
        for c in code.chars() {
            if strings.is_code(c) {
                match c {
                    '{' | '[' | '(' => depth += 1,
                    '}' | ']' | ')' => depth -= 1,
                    _ => {}
                }
            }
        }
        if depth <= 0 || end >= text.len() {
            break;
        }
        at = end + 1;
        end = line_end(at);
    }
    Some((start, end))
}

/// Parse `text` from `rule`, collecting pest's error details only when it fails.
///
/// pest's detailed error tracking (what was expected at the failure, used for the
/// "expected ..." wording of syntax errors) costs a good part of the parse time of a
/// well-formed file (stdlib/benches/RESULTS.md). A well-formed text is parsed once without
/// it; a text that fails is parsed again with it, so the diagnostic is the same as if the
/// details had been collected from the start.
///
/// pest keeps the switch in one process-wide flag, read when a parse starts
/// (`pest::set_error_detail`). [`DETAIL`] keeps parses on other threads (the language
/// server, parallel tests) from seeing it flipped: plain parses share it, a detailed
/// reparse holds it alone while the flag is on.
fn parse_detailed(
    rule: Rule,
    text: &str,
) -> Result<pest::iterators::Pairs<'_, Rule>, pest::error::Error<Rule>> {
    let plain = {
        let _shared = DETAIL.read().unwrap_or_else(|p| p.into_inner());
        CapzParser::parse(rule, text)
    };
    match plain {
        Ok(pairs) => Ok(pairs),
        Err(_) => {
            let _alone = DETAIL.write().unwrap_or_else(|p| p.into_inner());
            pest::set_error_detail(true);
            let again = CapzParser::parse(rule, text);
            pest::set_error_detail(false);
            again
        }
    }
}

/// Guards pest's process-wide error-detail flag; see [`parse_detailed`].
static DETAIL: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Parse a lone expression (used for `--param` overrides of list and record types).
pub fn parse_expr(file: FileId, text: &str) -> Result<Expr, Vec<Diagnostic>> {
    if let Some(d) = nesting_check(file, text) {
        return Err(vec![d]);
    }
    match parse_detailed(Rule::expr_only, text) {
        Ok(mut pairs) => {
            let mut b = Builder {
                file,
                text,
                diags: Vec::new(),
            };
            let expr = pairs
                .next()
                .and_then(|p| p.into_inner().find(|p| p.as_rule() == Rule::expr))
                .map(|p| b.expr(p));
            match expr {
                Some(e) if b.diags.is_empty() => Ok(e),
                Some(_) => Err(b.diags),
                None => Err(vec![internal(file, text)]),
            }
        }
        Err(e) => Err(vec![syntax_error(file, text, &e)]),
    }
}

fn internal(file: FileId, text: &str) -> Diagnostic {
    Diagnostic::error(
        "capz::syntax::unexpected",
        "the parser produced no syntax tree",
    )
    .with_primary(Span::new(file, 0, text.len().min(1)), "here")
    .with_help("this is a bug in capz; please report it with this file")
}

/// Refuse absurdly deep nesting of brackets and unary operators before pest sees it.
fn nesting_check(file: FileId, text: &str) -> Option<Diagnostic> {
    let mut depth: usize = 0;
    let mut angles: usize = 0;
    let mut run: usize = 0;
    let mut in_str = false;
    let mut in_comment = false;
    let mut prev = '\0';
    for (i, c) in text.char_indices() {
        if in_comment {
            if c == '\n' {
                in_comment = false;
            }
            prev = c;
            continue;
        }
        if in_str {
            if c == '"' && prev != '\\' {
                in_str = false;
            }
            if c == '{' && prev == '$' {
                depth += 1;
            }
            prev = if prev == '\\' && c == '\\' { '\0' } else { c };
            continue;
        }
        match c {
            '#' => in_comment = true,
            '/' if prev == '/' => in_comment = true,
            '"' => in_str = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            // `list<list<...>>` nests types the same way.
            '<' if after_list_word(&text[..i]) => angles += 1,
            '>' => angles = angles.saturating_sub(1),
            _ => {}
        }
        if c == '!' || c == '-' {
            run += 1;
        } else if !c.is_whitespace() {
            run = 0;
        }
        if depth + angles > MAX_NESTING || run > MAX_NESTING {
            return Some(
                Diagnostic::error(
                    "capz::syntax::too-deep",
                    format!("expressions are nested more than {MAX_NESTING} levels deep"),
                )
                .with_primary(Span::new(file, i, i + c.len_utf8()), "too deep here")
                .with_help("split the expression with `let` bindings"),
            );
        }
        prev = c;
    }
    None
}

/// Whether `before` ends with the word `list` (whitespace allowed after it).
fn after_list_word(before: &str) -> bool {
    let t = before.trim_end();
    t.strip_suffix("list")
        .is_some_and(|rest| !rest.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
}

// ---- syntax errors ------------------------------------------------------------------

fn rule_words(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::ident | Rule::name | Rule::res_name => "a name",
        Rule::keyword => return None,
        Rule::int => "a number",
        Rule::string => "a string",
        Rule::boolean => "`true` or `false`",
        Rule::expr
        | Rule::unary
        | Rule::postfix
        | Rule::list
        | Rule::record
        | Rule::if_expr
        | Rule::call
        | Rule::paren => "an expression",
        Rule::type_expr
        | Rule::enum_type
        | Rule::list_type
        | Rule::record_type
        | Rule::type_name => "a type",
        Rule::stack_decl
        | Rule::param_decl
        | Rule::let_decl
        | Rule::output_decl
        | Rule::use_decl
        | Rule::top_for
        | Rule::link_decl
        | Rule::resource => "a declaration",
        Rule::link_op => "`<->`",
        Rule::link_body => "a body",
        Rule::field => "a field",
        Rule::block | Rule::body_for => "a field, block or resource",
        Rule::bin_op => "an operator",
        Rule::unary_op => "`!` or `-`",
        Rule::member => "`.`",
        Rule::index | Rule::res_index => "`[`",
        Rule::in_clause => "`in`",
        Rule::escape | Rule::str_text | Rule::interp => "string text",
        Rule::EOI => "the end of the file",
        _ => return None,
    })
}

/// The order in which expected things are listed (punctuation first, then words).
fn expected_rank(s: &str) -> u8 {
    if s.starts_with('`') { 0 } else { 1 }
}

/// Operator tokens: listed by pest after any complete expression, noise in a message.
const OPERATORS: &[&str] = &[
    "!=", "%", "&&", "*", "+", "-", ".", "..", "/", "<", "<=", "==", ">", ">=", "[", "||",
];

fn syntax_error(file: FileId, text: &str, e: &pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let pos = pos.min(text.len());
    let mut expected: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !expected.contains(&s) {
            expected.push(s);
        }
    };
    let mut dropped_operator = false;
    let mut in_string = false;
    let mut pos = pos;
    if let ErrorVariant::CustomError { message } = &e.variant {
        // pest's call or stack limit.
        return Diagnostic::error("capz::syntax::too-deep", message.clone())
            .with_primary(Span::new(file, pos, pos), "here")
            .with_help("split the expression with `let` bindings");
    }
    if let Some(attempts) = e.parse_attempts() {
        pos = attempts.max_position.min(text.len());
        for t in attempts.expected_tokens() {
            // ParsingToken is not exported by pest; its Display is the token text.
            let token = t.to_string();
            match token.as_str() {
                " " | "\t" | "\n" | "\r" | "#" | "//" | "_" | "\\" | "${" | "BUILTIN_RULE" => {}
                // The prefix of `existing KIND NAME`: the rule words already name the declaration.
                "existing" => {}
                "\"" => push("`\"`".into()),
                tok if tok.contains("..") && tok.chars().count() == 4 => {}
                tok if OPERATORS.contains(&tok) => dropped_operator = true,
                tok => push(format!("`{tok}`")),
            }
        }
        for cs in attempts.call_stacks() {
            if let Some(r) = cs.deepest.get_rule() {
                if matches!(r, Rule::str_text | Rule::escape | Rule::interp) {
                    in_string = true;
                }
                if let Some(w) = rule_words(*r) {
                    push(w.into());
                }
            }
        }
    } else if let ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            if let Some(w) = rule_words(*r) {
                push(w.into());
            }
        }
    }
    // pest's furthest attempt can end just past a reserved word it tried as a name
    // (`let a = 10 +` and then `let b = 2`: `let` is refused as a name after its last
    // letter). The word is what was found; after `=`, an operator, `(`, `[` or `,` a value
    // was expected there.
    if let Some(start) = reserved_word_before(text, pos) {
        pos = start;
        let before = text[..start].trim_end();
        if before.ends_with([
            '=', '+', '-', '*', '/', '%', '<', '>', '&', '|', '!', '(', '[', ',',
        ]) {
            expected = vec!["an expression".into()];
        }
    }
    if let Some(d) = missing_equals(file, text, pos, &expected) {
        return d;
    }
    let found = found_token(text, pos);
    if let Some(d) = top_item_inside_block(file, text, pos) {
        return d;
    }
    if in_string && (found == "end of line" || found == "end of file") {
        return Diagnostic::error(
            "capz::syntax::unterminated-string",
            "this string is not closed",
        )
        .with_primary(
            Span::new(file, pos, pos),
            "expected `\"` before the end of the line",
        )
        .with_help(
            "strings cannot span lines: close the string with `\"` (write \\n for a line break)",
        );
    }
    // Words describing the same thing twice read badly: an expression covers names etc.
    if expected.iter().any(|s| s == "an expression") {
        expected.retain(|s| {
            !matches!(
                s.as_str(),
                "a name"
                    | "a number"
                    | "a string"
                    | "`true` or `false`"
                    | "`!` or `-`"
                    | "`[`"
                    | "`{`"
                    | "`(`"
                    | "`if`"
                    | "`-`"
                    | "`!`"
                    | "`true`"
                    | "`false`"
                    | "`\"`"
            )
        });
    }
    // pest names the enclosing item rule at item boundaries; say what can start there.
    if expected.iter().any(|s| s == "a declaration") {
        let closes = expected.iter().any(|s| s == "`}`");
        let punct = expected
            .iter()
            .any(|s| s.starts_with('`') && !matches!(s.as_str(), "`}`" | "`for`" | "`let`"));
        if punct {
            expected.retain(|s| s != "a declaration");
        } else if closes {
            for s in expected.iter_mut().filter(|s| *s == "a declaration") {
                *s = "a field, block or resource".into();
            }
        }
    }
    if expected.iter().any(|s| s == "a field, block or resource") {
        expected.retain(|s| s != "a name" && s != "a field" && s != "`let`" && s != "`for`");
    }
    if expected.iter().any(|s| s == "a string") {
        expected.retain(|s| s != "`\"`");
    } else if let Some(q) = expected.iter_mut().find(|s| *s == "`\"`") {
        *q = "a string".into();
    }
    if expected.iter().any(|s| s == "a string") && !expected.iter().any(|s| s == "a name") {
        expected.push("a name".into());
    }
    if expected.is_empty() && dropped_operator {
        expected.push("an operator".into());
    }
    expected.sort_by_key(|s| expected_rank(s));
    let (code, message) = if pos >= text.len() {
        (
            "capz::syntax::unexpected-end",
            "the file ended in the middle of a declaration".to_string(),
        )
    } else {
        ("capz::syntax::unexpected", format!("unexpected {found}"))
    };
    let label = if expected.is_empty() {
        "not expected here".to_string()
    } else {
        format!("expected {}", join_or(&expected))
    };
    let end = if pos >= text.len() {
        pos
    } else {
        pos + text[pos..].chars().next().map_or(0, char::len_utf8)
    };
    let d = Diagnostic::error(code, message).with_primary(Span::new(file, pos, end), label);
    let open = open_brackets(text)
        .filter(|_| pos >= text.len())
        .and_then(|(stack, suspect)| suspect.or(stack.last().copied()));
    if let Some(o) = open.filter(|o| o.bracket == '{')
        && let Some(u) = unclosed_block(file, text, o, pos)
    {
        return u;
    }
    match open.map(|o| (o.at, o.bracket)) {
        Some((at, open)) => {
            let close = match open {
                '{' => '}',
                '[' => ']',
                _ => ')',
            };
            d.with_secondary(
                Span::new(file, at, at + 1),
                format!("this `{open}` is never closed"),
            )
            .with_help(format!("add the `{close}` that closes it"))
        }
        None => match header_without_brace(text, pos, &expected) {
            Some((s, e)) => d
                .with_secondary(Span::new(file, s, e), "this header has no `{`")
                .with_help("open the block with `{` at the end of its header line"),
            None => d.with_help(help_for(&expected, &found, pos >= text.len())),
        },
    }
}

/// When the error at `pos` is the first token of its line and `{` was expected there,
/// the previous code line is a block header missing its `{`: that line's code, trimmed.
fn header_without_brace(text: &str, pos: usize, expected: &[String]) -> Option<(usize, usize)> {
    if !expected.iter().any(|s| s == "`{`") {
        return None;
    }
    let ls = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    if !text[ls..pos].trim().is_empty() || ls == 0 {
        return None;
    }
    let mut end = ls - 1;
    loop {
        let s = text[..end].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[s..end];
        let code = line[..comment_start(line).unwrap_or(line.len())].trim_end();
        let lead = code.len() - code.trim_start().len();
        if !code.trim().is_empty() {
            return Some((s + lead, s + code.len()));
        }
        if s == 0 {
            return None;
        }
        end = s - 1;
    }
}

/// A top-level-only item (`output`, `param`, `use`, `stack`) starting a line inside a
/// block whose header is indented at least as far out: that block lacks its `}`.
/// (pest may report the error at the keyword or just after it.)
fn top_item_inside_block(file: FileId, text: &str, pos: usize) -> Option<Diagnostic> {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    let word = ["output", "param", "use", "stack"]
        .into_iter()
        .find(|w| found_token(text, line_start + indent) == format!("`{w}`"))?;
    if pos > line_start + indent + word.len() + 1 {
        return None;
    }
    let (stack, suspect) = open_brackets(&text[..line_start])?;
    let last = *stack.last()?;
    if last.bracket != '{' || last.indent < indent {
        return None;
    }
    let open = suspect.filter(|s| s.at > last.at).unwrap_or(last);
    unclosed_block(file, text, open, line_start + indent)
}

/// An open bracket met while scanning: where, which, and the indentation of its line.
#[derive(Clone, Copy, Debug)]
struct Open {
    at: usize,
    bracket: char,
    indent: usize,
}

/// The brackets of `text` still open at its end (outermost first), and the first `{`
/// that was most likely left unclosed earlier: one closed by a `}` that starts a line
/// indented less than the block's header (the `}` closes the enclosing block). Strings
/// (one line each, escapes respected) and comments are skipped. `None` when the brackets
/// do not nest (then no guess is made).
fn open_brackets(text: &str) -> Option<(Vec<Open>, Option<Open>)> {
    let mut stack: Vec<Open> = Vec::new();
    let mut suspect = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let code = &line[..comment_start(line).unwrap_or(line.len())];
        let indent = code.len() - code.trim_start().len();
        let mut strings = StringState::default();
        for (i, c) in code.char_indices() {
            if !strings.is_code(c) {
                continue;
            }
            match c {
                '{' | '[' | '(' => stack.push(Open {
                    at: offset + i,
                    bracket: c,
                    indent,
                }),
                '}' | ']' | ')' => {
                    let want = match c {
                        '}' => '{',
                        ']' => '[',
                        _ => '(',
                    };
                    let open = stack.pop()?;
                    if open.bracket != want {
                        return None;
                    }
                    if c == '}' && i == indent && open.indent > indent && suspect.is_none() {
                        suspect = Some(open);
                    }
                }
                _ => {}
            }
        }
        offset += line.len();
    }
    Some((stack, suspect))
}

/// The header of the block opened by the `{` at `at`: its span (first word of the line
/// to the last code before the `{`) and its first word (`pool`, `vnet`, `for`).
fn block_header(text: &str, at: usize) -> Option<(usize, usize, &str)> {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..at];
    let start = line_start + (before.len() - before.trim_start().len());
    let end = line_start + before.trim_end().len();
    let head = text.get(start..end)?;
    let word_len = head
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(head.len());
    (word_len > 0).then(|| (start, end, &head[..word_len]))
}

/// A block that is never closed: the header span of the block, and where the parser
/// noticed (`at`, the end of the file: `capz::syntax::unexpected-end`, or a top-level item
/// after the block: `capz::syntax::unclosed`).
fn unclosed_block(file: FileId, text: &str, open: Open, at: usize) -> Option<Diagnostic> {
    let (start, end, word) = block_header(text, open.at)?;
    // At the end of the file it stays `unexpected-end` (the REPL reads that code as
    // "input continues on the next line").
    let code = if at >= text.len() {
        "capz::syntax::unexpected-end"
    } else {
        "capz::syntax::unclosed"
    };
    let noticed = if at >= text.len() {
        "the file ends here, before it is closed"
    } else {
        "this line is outside the block, so a `}` is missing before it"
    };
    // At the end of the file, point at its last character (a label past it is not shown).
    let at = if at >= text.len() {
        text.trim_end().char_indices().last().map_or(0, |(i, _)| i)
    } else {
        at
    };
    let at_end = (at
        + text[at.min(text.len())..]
            .chars()
            .next()
            .map_or(0, char::len_utf8))
    .min(text.len());
    Some(
        Diagnostic::error(code, format!("the `{word}` block is never closed"))
            .with_primary(
                Span::new(file, start, end),
                format!("this `{word}` block is never closed"),
            )
            .with_secondary(Span::new(file, at.min(text.len()), at_end), noticed)
            .with_help("add the `}` that closes it where the block ends"),
    )
}

const KEYWORDS: &[&str] = &[
    "stack", "param", "let", "use", "output", "for", "in", "if", "else", "true", "false",
    "existing",
];

/// `name "fixture-rg"` without `=`: pest reads it as the header of a child resource named
/// "fixture-rg" and fails on the next line (or, for `count 3`, at the value). Recognise a
/// line `IDENT VALUE` (VALUE a string, number, list, bool, or a name as in
/// `dns_prefix cluster_name`) that either contains the error position at VALUE, or is the
/// code line just before the line the error is on.
fn missing_equals(file: FileId, text: &str, pos: usize, expected: &[String]) -> Option<Diagnostic> {
    let has = |s: &str| expected.iter().any(|e| e == s);
    let line_start = |p: usize| text[..p].rfind('\n').map_or(0, |i| i + 1);
    let pos = pos.min(text.len());
    if !text.is_char_boundary(pos) {
        return None;
    }
    let here = line_start(pos);
    // Candidate line: pos's own line (error at the value) or the previous code line.
    let (start, same_line) = if text[here..pos].trim().is_empty() && has("`{`") {
        // Walk back over blank and comment-only lines.
        let mut end = here.checked_sub(1)?;
        loop {
            let s = line_start(end);
            let t = text[s..end].trim();
            if t.is_empty() || t.starts_with('#') || t.starts_with("//") {
                end = s.checked_sub(1)?;
                continue;
            }
            break (s, false);
        }
    } else if has("`=`") || has("`{`") {
        (here, true)
    } else {
        return None;
    };
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[start..line_end];
    let indent = line.len() - line.trim_start().len();
    let rest = &line[indent..];
    let ident_len = rest
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_alphanumeric() || *c == '_') || (*i == 0 && c.is_ascii_digit()))
        .map_or(rest.len(), |(i, _)| i);
    if ident_len == 0 {
        return None;
    }
    let ident = &rest[..ident_len];
    if KEYWORDS.contains(&ident) {
        return None;
    }
    let after = &rest[ident_len..];
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    if gap == 0 {
        return None;
    }
    let value = after[gap..].trim_end();
    let value_start = start + indent + ident_len + gap;
    let first = value.chars().next()?;
    let second = value.chars().nth(1);
    let is_literal = first == '"'
        || first == '['
        || first.is_ascii_digit()
        || (first == '-' && second.is_some_and(|c| c.is_ascii_digit()))
        || ["true", "false"].iter().any(|w| {
            value.starts_with(w)
                && !value[w.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        });
    // `dns_prefix cluster_name` reads as the header of a child resource `KIND NAME` that
    // lacks its `{`. Take it for a field when the value is a name (or a path or call on
    // one) with no `in` clause or `{`, and the next line is not indented deeper (which
    // would be the body of a child resource missing its `{`).
    let is_name_value = (first.is_ascii_alphabetic() || first == '_')
        && !strip_comment(value)
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|w| KEYWORDS.contains(&w))
        && !value.contains('{')
        && if same_line && !strip_comment(&text[pos..line_end]).is_empty() {
            pos > value_start && has("`{`")
        } else {
            next_indent(text, line_end) <= indent
        };
    if !(is_literal || is_name_value) || (same_line && is_literal && pos != value_start) {
        return None;
    }
    // Without a comment; a `{` or `=` after the value means something else went wrong.
    let value = strip_comment(value);
    if !same_line && (value.ends_with('{') || value.contains(" = ")) {
        return None;
    }
    let shown: String = if value.chars().count() > 40 {
        format!("{}...", value.chars().take(40).collect::<String>())
    } else {
        value.to_string()
    };
    let gap_start = start + indent + ident_len;
    Some(
        Diagnostic::error(
            "capz::syntax::missing-equals",
            "expected `=` between the field name and its value",
        )
        .with_primary(Span::new(file, gap_start, value_start), "`=` missing here")
        .with_help(format!("write `{ident} = {shown}`")),
    )
}

/// The indentation of the first code line after offset `from` (0 at the end of the file).
fn next_indent(text: &str, from: usize) -> usize {
    text.get(from..)
        .unwrap_or("")
        .split('\n')
        .skip(1)
        .find(|l| !strip_comment(l).trim().is_empty())
        .map_or(0, |l| l.len() - l.trim_start().len())
}

/// The text before a `#` or `//` comment that is outside strings, trimmed.
fn strip_comment(s: &str) -> &str {
    s[..comment_start(s).unwrap_or(s.len())].trim_end()
}

/// Byte offset of the first `#` or `//` comment in `line` that is outside a string
/// literal (escapes inside strings respected), or `None` if the line has none.
fn comment_start(line: &str) -> Option<usize> {
    let mut strings = StringState::default();
    let mut prev = '\0';
    for (i, c) in line.char_indices() {
        if strings.is_code(c) {
            if c == '#' {
                return Some(i);
            } else if c == '/' && prev == '/' {
                return Some(i - 1);
            }
        }
        prev = c;
    }
    None
}

/// Whether a left-to-right scan of one line is inside a string literal (`"..."`, `\`
/// escapes respected; strings do not span lines).
#[derive(Default)]
struct StringState {
    in_str: bool,
    escaped: bool,
}

impl StringState {
    /// Feed the next char: true when it is code, i.e. outside every string literal and not
    /// one of the quotes.
    fn is_code(&mut self, c: char) -> bool {
        if self.in_str {
            if self.escaped {
                self.escaped = false;
            } else if c == '\\' {
                self.escaped = true;
            } else if c == '"' {
                self.in_str = false;
            }
            false
        } else if c == '"' {
            self.in_str = true;
            false
        } else {
            true
        }
    }
}

/// The start of the reserved word (`grammar.pest`'s `keyword`) that ends exactly at `pos`,
/// as a whole word; `None` otherwise.
fn reserved_word_before(text: &str, pos: usize) -> Option<usize> {
    const RESERVED: &[&str] = &[
        "stack", "param", "let", "use", "output", "for", "in", "if", "else", "true", "false",
        "existing",
    ];
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let head = text.get(..pos)?;
    if text[pos..].starts_with(is_word) {
        return None;
    }
    let word_start = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map(|(i, _)| i)?;
    RESERVED
        .contains(&&head[word_start..])
        .then_some(word_start)
}

fn found_token(text: &str, pos: usize) -> String {
    let rest = text.get(pos..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return "end of file".into();
    };
    if c == '\n' || c == '\r' {
        return "end of line".into();
    }
    if c.is_alphanumeric() || c == '_' {
        let w: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .take(32)
            .collect();
        return format!("`{w}`");
    }
    format!("`{c}`")
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn help_for(expected: &[String], found: &str, at_end: bool) -> String {
    let has = |s: &str| expected.iter().any(|e| e == s);
    if found == "`;`" {
        return "capz needs no `;`: separate fields with spaces or new lines".into();
    }
    if at_end {
        return "a `}`, `]`, `)` or `\"` may be missing; check that every block is closed".into();
    }
    if has("`=`") && has("`{`") {
        return "write a field as `name = value`, a nested block as `name { ... }`, or a child resource as `kind name { ... }`".into();
    }
    if has("`=`") {
        return "write a field as `name = value`".into();
    }
    if found == "end of line" {
        return "strings cannot span lines: close the string with `\"` on the same line".into();
    }
    if has("an expression") {
        return "a value goes here: a number, a string, a list `[...]`, a record `{ ... }` or a name".into();
    }
    if has("a declaration") || has("a field, block or resource") {
        return "each item starts with a keyword (`param`, `let`, `output`, `for`) or a resource kind, e.g. `vnet net in grp { ... }`".into();
    }
    if has("a name") {
        return "names are letters, digits and `_`, starting with a letter, and may not be reserved words (`in`, `for`, `if`, ...)".into();
    }
    "see docs/language.md for the syntax".into()
}

// ---- tree building -------------------------------------------------------------------

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    diags: Vec<Diagnostic>,
}

/// pest spans of non-atomic rules include trailing whitespace and comments (the implicit
/// `WHITESPACE`/`COMMENT` before an optional part that did not match); cut them off so a
/// label underlines only the code.
fn trim_trivia(text: &str, start: usize, mut end: usize) -> usize {
    loop {
        let Some(s) = text.get(start..end) else {
            return end;
        };
        let trimmed = s.trim_end();
        end = start + trimmed.len();
        let line_start = trimmed.rfind('\n').map_or(0, |i| i + 1);
        let cut = comment_start(&trimmed[line_start..]);
        match cut {
            Some(i) => end = start + line_start + i,
            None => return end,
        }
    }
}

impl Builder<'_> {
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        Span::new(
            self.file,
            s.start(),
            trim_trivia(self.text, s.start(), s.end()),
        )
    }

    fn ident(&self, p: Pair<'_, Rule>) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn file(&mut self, p: Pair<'_, Rule>) -> File {
        let span = self.span(&p);
        let items = p
            .into_inner()
            .filter(|p| p.as_rule() != Rule::EOI)
            .filter_map(|p| self.item(p))
            .collect();
        File { items, span }
    }

    fn item(&mut self, p: Pair<'_, Rule>) -> Option<Item> {
        let span = self.span(&p);
        Some(match p.as_rule() {
            Rule::stack_decl => {
                let e = p.into_inner().next()?;
                Item::Stack(StackDecl {
                    name: self.expr(e),
                    span,
                })
            }
            Rule::param_decl => {
                let mut it = p.into_inner();
                let name = self.ident(it.next()?);
                let ty = self.type_expr(it.next()?)?;
                let default = it.next().map(|e| self.expr(e));
                Item::Param(ParamDecl {
                    name,
                    ty,
                    default,
                    span,
                })
            }
            Rule::let_decl => Item::Let(self.let_decl(p)?),
            Rule::output_decl => {
                let mut it = p.into_inner();
                let name = self.ident(it.next()?);
                let value = self.expr(it.next()?);
                Item::Output(OutputDecl { name, value, span })
            }
            Rule::use_decl => {
                let mut it = p.into_inner();
                let name = self.ident(it.next()?);
                let mut path_pair = it.next()?;
                let mut index = None;
                if path_pair.as_rule() == Rule::res_index {
                    index = Some(self.expr(path_pair.into_inner().next()?));
                    path_pair = it.next()?;
                }
                let path_span = self.span(&path_pair);
                let path_expr = self.string(path_pair);
                let path = match path_expr.plain_str() {
                    Some(s) => s,
                    None => {
                        self.diags.push(
                            Diagnostic::error(
                                "capz::syntax::interpolated-path",
                                "a module path cannot contain `${...}`",
                            )
                            .with_primary(path_span, "interpolation not allowed here")
                            .with_help(
                                "write the path as a plain string, e.g. \"./modules/cluster.capz\"",
                            ),
                        );
                        String::new()
                    }
                };
                let mut args = Vec::new();
                if let Some(a) = it.next() {
                    for f in a.into_inner() {
                        if let Some(f) = self.field(f) {
                            args.push(f);
                        }
                    }
                }
                Item::Use(UseDecl {
                    name,
                    index,
                    path,
                    path_span,
                    args,
                    span,
                })
            }
            Rule::top_for => {
                let mut it = p.into_inner();
                let var = self.ident(it.next()?);
                let iter = self.expr(it.next()?);
                let body = it.filter_map(|p| self.item(p)).collect();
                Item::For(ForLoop {
                    var,
                    iter,
                    body,
                    span,
                })
            }
            Rule::resource => Item::Resource(self.resource(p)?),
            Rule::link_decl => Item::Resource(self.link(p)?),
            _ => return None,
        })
    }

    fn let_decl(&mut self, p: Pair<'_, Rule>) -> Option<LetDecl> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let name = self.ident(it.next()?);
        let value = self.expr(it.next()?);
        Some(LetDecl { name, value, span })
    }

    fn field(&mut self, p: Pair<'_, Rule>) -> Option<FieldAssign> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let name = self.ident(it.next()?);
        let value = self.expr(it.next()?);
        Some(FieldAssign { name, value, span })
    }

    /// `KIND A <-> B { body }` becomes a resource named by the string `"A <-> B"` (the
    /// source text) whose body starts with the fields `from = A` and `to = B`; the checker
    /// and evaluator treat kinds placed as [`crate::schema::Placement::Link`] accordingly.
    fn link(&mut self, p: Pair<'_, Rule>) -> Option<ResourceDecl> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let kind = self.ident(it.next()?);
        let from_pair = it.next()?;
        let from_span = self.span(&from_pair);
        let from_text: String = from_pair.as_str().split_whitespace().collect();
        let from = self.expr(from_pair);
        let _op = it.next()?;
        let to_pair = it.next()?;
        let to_span = self.span(&to_pair);
        let to_text: String = to_pair.as_str().split_whitespace().collect();
        let to = self.expr(to_pair);
        let header = from_span.to(to_span);
        let text = format!("{from_text} <-> {to_text}");
        let mut body = vec![
            BodyItem::Field(FieldAssign {
                name: Ident {
                    name: "from".into(),
                    span: from_span,
                },
                value: from,
                span: from_span,
            }),
            BodyItem::Field(FieldAssign {
                name: Ident {
                    name: "to".into(),
                    span: to_span,
                },
                value: to,
                span: to_span,
            }),
        ];
        if let Some(b) = it.next() {
            body.extend(b.into_inner().filter_map(|p| self.body_item(p)));
        }
        let mut header_span = span;
        header_span.end = header.end;
        Some(ResourceDecl {
            existing: None,
            kind,
            name: ResName::Str(Expr {
                kind: ExprKind::Str(vec![StrPart::Text(text)]),
                span: header,
            }),
            index: None,
            group: None,
            body,
            header_span,
            span,
        })
    }

    fn resource(&mut self, p: Pair<'_, Rule>) -> Option<ResourceDecl> {
        let span = self.span(&p);
        let mut header_end = span.start;
        let mut kind = None;
        let mut name = None;
        let mut index = None;
        let mut group = None;
        // `existing` is a reserved word, so a resource whose text starts with it (then a
        // non-identifier character) is declared `existing`.
        let existing = p
            .as_str()
            .strip_prefix("existing")
            .filter(|rest| {
                !rest
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            })
            .map(|_| {
                let mut s = span;
                s.end = s.start + 8;
                s
            });
        let mut body = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => {
                    header_end = self.span(&c).end;
                    kind = Some(self.ident(c));
                }
                Rule::res_name => {
                    header_end = self.span(&c).end;
                    let inner = c.into_inner().next()?;
                    name = Some(match inner.as_rule() {
                        Rule::ident => ResName::Ident(self.ident(inner)),
                        _ => ResName::Str(self.string(inner)),
                    });
                }
                Rule::res_index => {
                    header_end = self.span(&c).end;
                    index = Some(self.expr(c.into_inner().next()?));
                }
                Rule::in_clause => {
                    let gspan = self.span(&c);
                    header_end = gspan.end;
                    let mut it = c.into_inner();
                    let gname = self.ident(it.next()?);
                    let gindex = match it.next() {
                        Some(ix) => Some(self.expr(ix.into_inner().next()?)),
                        None => None,
                    };
                    let start = gname.span;
                    group = Some(GroupRef {
                        name: gname,
                        index: gindex,
                        span: start.to(gspan),
                    });
                }
                _ => {
                    if let Some(b) = self.body_item(c) {
                        body.push(b);
                    }
                }
            }
        }
        let mut header_span = span;
        header_span.end = header_end;
        Some(ResourceDecl {
            existing,
            kind: kind?,
            name: name?,
            index,
            group,
            body,
            header_span,
            span,
        })
    }

    fn body_item(&mut self, p: Pair<'_, Rule>) -> Option<BodyItem> {
        let span = self.span(&p);
        Some(match p.as_rule() {
            Rule::field => BodyItem::Field(self.field(p)?),
            Rule::block => {
                let mut it = p.into_inner();
                let keyword = self.ident(it.next()?);
                let body = it.filter_map(|p| self.body_item(p)).collect();
                BodyItem::Block(BlockDecl {
                    keyword,
                    body,
                    span,
                })
            }
            Rule::resource => BodyItem::Resource(self.resource(p)?),
            Rule::body_for => {
                let mut it = p.into_inner();
                let var = self.ident(it.next()?);
                let iter = self.expr(it.next()?);
                let body = it.filter_map(|p| self.body_item(p)).collect();
                BodyItem::For(ForLoop {
                    var,
                    iter,
                    body,
                    span,
                })
            }
            Rule::let_decl => BodyItem::Let(self.let_decl(p)?),
            _ => return None,
        })
    }

    fn type_expr(&mut self, p: Pair<'_, Rule>) -> Option<TypeExpr> {
        let span = self.span(&p);
        let inner = p.into_inner().next()?;
        let kind = match inner.as_rule() {
            Rule::type_name => TypeExprKind::Named(self.ident(inner.into_inner().next()?)),
            Rule::enum_type => {
                TypeExprKind::Enum(inner.into_inner().map(|w| self.ident(w)).collect())
            }
            Rule::list_type => {
                TypeExprKind::List(Box::new(self.type_expr(inner.into_inner().next()?)?))
            }
            Rule::record_type => {
                let mut fields = Vec::new();
                for f in inner.into_inner() {
                    let mut it = f.into_inner();
                    let name = self.ident(it.next()?);
                    let ty = self.type_expr(it.next()?)?;
                    fields.push((name, ty));
                }
                TypeExprKind::Record(fields)
            }
            _ => return None,
        };
        Some(TypeExpr { kind, span })
    }

    fn error_expr(&self, span: Span) -> Expr {
        Expr {
            kind: ExprKind::Bool(false),
            span,
        }
    }

    /// Any expression-level pair, as a tree no deeper than [`MAX_EXPR_DEPTH`].
    fn expr(&mut self, p: Pair<'_, Rule>) -> Expr {
        self.expr_d(p).0
    }

    /// Refuse a chain whose tree would be deeper than [`MAX_EXPR_DEPTH`]: report
    /// `capz::syntax::too-deep` at the part built so far and stand in a leaf for it.
    fn too_deep(&mut self, at: Span) -> (Expr, usize) {
        self.diags.push(
            Diagnostic::error(
                "capz::syntax::too-deep",
                format!("this expression is more than {MAX_EXPR_DEPTH} operations deep"),
            )
            .with_primary(at, "too deep from here")
            .with_help("split the expression with `let` bindings"),
        );
        (self.error_expr(at), 1)
    }

    /// Fold an `expr` pair (operands alternating with `bin_op`s) by precedence, with an
    /// operator stack instead of recursion. Precedence, loosest first: `..` (0), `||` (1),
    /// `&&` (2), comparisons (3), `+ -` (4), `* / %` (5); all left-associative. `..` and
    /// comparisons do not chain: `a < b < c` and `0..1..2` are
    /// `capz::syntax::chained-operator`.
    fn binary_chain(&mut self, p: Pair<'_, Rule>, span: Span) -> (Expr, usize) {
        /// A binary operator, or `None` for the range `..`.
        type Op = Option<BinOp>;
        fn prec(op: Op) -> u8 {
            match op {
                None => 0,
                Some(BinOp::Or) => 1,
                Some(BinOp::And) => 2,
                Some(BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge) => 3,
                Some(BinOp::Add | BinOp::Sub) => 4,
                Some(BinOp::Mul | BinOp::Div | BinOp::Rem) => 5,
            }
        }
        let mut operands: Vec<(Expr, usize)> = Vec::new();
        let mut ops: Vec<(Op, Span)> = Vec::new();
        // Pop the top operator and its two operands into one node; false when too deep.
        let reduce = |me: &mut Self, operands: &mut Vec<(Expr, usize)>, op: Op| -> bool {
            let (Some((rhs, dr)), Some((lhs, dl))) = (operands.pop(), operands.pop()) else {
                return true;
            };
            let depth = dl.max(dr) + 1;
            let s = lhs.span.to(rhs.span);
            if depth > MAX_EXPR_DEPTH {
                operands.push(me.too_deep(s));
                return false;
            }
            let kind = match op {
                None => ExprKind::Range(Box::new(lhs), Box::new(rhs)),
                Some(op) => ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            };
            operands.push((Expr { kind, span: s }, depth));
            true
        };
        for part in p.into_inner() {
            if part.as_rule() != Rule::bin_op {
                operands.push(self.expr_d(part));
                continue;
            }
            let op: Op = match part.as_str() {
                ".." => None,
                "||" => Some(BinOp::Or),
                "&&" => Some(BinOp::And),
                "==" => Some(BinOp::Eq),
                "!=" => Some(BinOp::Ne),
                "<" => Some(BinOp::Lt),
                "<=" => Some(BinOp::Le),
                ">" => Some(BinOp::Gt),
                ">=" => Some(BinOp::Ge),
                "+" => Some(BinOp::Add),
                "-" => Some(BinOp::Sub),
                "*" => Some(BinOp::Mul),
                "/" => Some(BinOp::Div),
                _ => Some(BinOp::Rem),
            };
            let here = self.span(&part);
            while let Some(&(top, top_span)) = ops.last() {
                if prec(top) < prec(op) {
                    break;
                }
                if prec(top) == prec(op) && matches!(prec(op), 0 | 3) {
                    let what = if prec(op) == 0 {
                        "ranges"
                    } else {
                        "comparisons"
                    };
                    self.diags.push(
                        Diagnostic::error(
                            "capz::syntax::chained-operator",
                            format!("{what} do not chain"),
                        )
                        .with_primary(here, "second operator")
                        .with_secondary(top_span, "first operator")
                        .with_help(if prec(op) == 0 {
                            "a range has one start and one end: `a..b`"
                        } else {
                            "combine the comparisons with `&&`, e.g. `a < b && b < c`"
                        }),
                    );
                    return (self.error_expr(span), 1);
                }
                ops.pop();
                if !reduce(self, &mut operands, top) {
                    return operands.pop().unwrap_or_else(|| (self.error_expr(span), 1));
                }
            }
            ops.push((op, here));
        }
        while let Some((top, _)) = ops.pop() {
            if !reduce(self, &mut operands, top) {
                break;
            }
        }
        operands.pop().unwrap_or_else(|| (self.error_expr(span), 1))
    }

    /// The expression of pair `p` and the depth of its tree (a leaf is 1). Chains
    /// (`a + b + ...`, `x[0][1]...`, `a.b.c...`) are folded iteratively; a tree that would
    /// be deeper than [`MAX_EXPR_DEPTH`] is refused with a diagnostic, so every recursive
    /// walker after the parser (checker, evaluator, formatter, drop) is bounded.
    fn expr_d(&mut self, p: Pair<'_, Rule>) -> (Expr, usize) {
        let span = self.span(&p);
        let leaf = |kind| (Expr { kind, span }, 1);
        match p.as_rule() {
            Rule::expr => self.binary_chain(p, span),
            Rule::unary => {
                let parts: Vec<_> = p.into_inner().collect();
                let mut ops = Vec::new();
                let mut operand = None;
                for part in parts {
                    if part.as_rule() == Rule::unary_op {
                        ops.push((part.as_str() == "!", self.span(&part)));
                    } else {
                        operand = Some(self.expr_d(part));
                    }
                }
                let Some((mut acc, mut depth)) = operand else {
                    return (self.error_expr(span), 1);
                };
                for (not, opspan) in ops.into_iter().rev() {
                    let s = opspan.to(acc.span);
                    // Fold `-42` into a literal so that `-9223372036854775808` is representable.
                    acc = match (&acc.kind, not) {
                        (ExprKind::Int(i), false) => Expr {
                            kind: ExprKind::Int(i.wrapping_neg()),
                            span: s,
                        },
                        _ => {
                            depth += 1;
                            Expr {
                                kind: ExprKind::Unary(
                                    if not { UnOp::Not } else { UnOp::Neg },
                                    Box::new(acc),
                                ),
                                span: s,
                            }
                        }
                    };
                    if depth > MAX_EXPR_DEPTH {
                        return self.too_deep(s);
                    }
                }
                (acc, depth)
            }
            Rule::postfix => {
                let mut it = p.into_inner();
                let Some(first) = it.next() else {
                    return (self.error_expr(span), 1);
                };
                let (mut acc, mut depth) = self.expr_d(first);
                for op in it {
                    let opspan = self.span(&op);
                    let s = acc.span.to(opspan);
                    if depth + 1 > MAX_EXPR_DEPTH {
                        return self.too_deep(s);
                    }
                    match op.as_rule() {
                        Rule::member => {
                            let Some(id) = op.into_inner().next() else {
                                continue;
                            };
                            let id = self.ident(id);
                            depth += 1;
                            acc = Expr {
                                kind: ExprKind::Member(Box::new(acc), id),
                                span: s,
                            };
                        }
                        _ => {
                            let Some(ix) = op.into_inner().next() else {
                                continue;
                            };
                            let (ix, di) = self.expr_d(ix);
                            depth = depth.max(di) + 1;
                            if depth > MAX_EXPR_DEPTH {
                                return self.too_deep(s);
                            }
                            acc = Expr {
                                kind: ExprKind::Index(Box::new(acc), Box::new(ix)),
                                span: s,
                            };
                        }
                    }
                }
                (acc, depth)
            }
            Rule::int => {
                let text = p.as_str();
                // Parse as u64 so that `-9223372036854775808` folds correctly.
                match text.parse::<u64>() {
                    Ok(v) if v <= i64::MAX as u64 + 1 => leaf(ExprKind::Int(v as i64)),
                    _ => {
                        self.diags.push(
                            Diagnostic::error(
                                "capz::syntax::int-too-large",
                                format!("the number {text} does not fit in a 64-bit integer"),
                            )
                            .with_primary(span, "too large")
                            .with_help(format!(
                                "integers range from {} to {}",
                                i64::MIN,
                                i64::MAX
                            )),
                        );
                        leaf(ExprKind::Int(0))
                    }
                }
            }
            Rule::boolean => leaf(ExprKind::Bool(p.as_str() == "true")),
            Rule::string => self.string_d(p),
            Rule::name => match p.into_inner().next() {
                Some(id) => leaf(ExprKind::Name(self.ident(id))),
                None => (self.error_expr(span), 1),
            },
            Rule::list => {
                let mut depth = 0;
                let mut items = Vec::new();
                for e in p.into_inner() {
                    let (e, d) = self.expr_d(e);
                    depth = depth.max(d);
                    items.push(e);
                }
                self.nest(ExprKind::List(items), span, depth)
            }
            Rule::record => {
                let mut depth = 0;
                let mut fields = Vec::new();
                for f in p.into_inner() {
                    let mut it = f.into_inner();
                    if let (Some(n), Some(v)) = (it.next(), it.next()) {
                        let n = self.ident(n);
                        let (v, d) = self.expr_d(v);
                        depth = depth.max(d);
                        fields.push((n, v));
                    }
                }
                self.nest(ExprKind::Record(fields), span, depth)
            }
            Rule::if_expr => {
                let mut it = p.into_inner();
                match (it.next(), it.next(), it.next()) {
                    (Some(c), Some(a), Some(b)) => {
                        let (c, dc) = self.expr_d(c);
                        let (a, da) = self.expr_d(a);
                        let (b, db) = self.expr_d(b);
                        let kind = ExprKind::If(Box::new(c), Box::new(a), Box::new(b));
                        self.nest(kind, span, dc.max(da).max(db))
                    }
                    _ => (self.error_expr(span), 1),
                }
            }
            Rule::call => {
                let mut it = p.into_inner();
                let Some(f) = it.next() else {
                    return (self.error_expr(span), 1);
                };
                let f = self.ident(f);
                let mut depth = 0;
                let mut args = Vec::new();
                for e in it {
                    let (e, d) = self.expr_d(e);
                    depth = depth.max(d);
                    args.push(e);
                }
                self.nest(ExprKind::Call(f, args), span, depth)
            }
            Rule::paren => match p.into_inner().next() {
                Some(e) => {
                    let (mut e, d) = self.expr_d(e);
                    e.span = span;
                    (e, d)
                }
                None => (self.error_expr(span), 1),
            },
            _ => (self.error_expr(span), 1),
        }
    }

    /// A node over children at most `depth` deep, refused past [`MAX_EXPR_DEPTH`].
    fn nest(&mut self, kind: ExprKind, span: Span, depth: usize) -> (Expr, usize) {
        if depth + 1 > MAX_EXPR_DEPTH {
            return self.too_deep(span);
        }
        (Expr { kind, span }, depth + 1)
    }

    fn string(&mut self, p: Pair<'_, Rule>) -> Expr {
        self.string_d(p).0
    }

    fn string_d(&mut self, p: Pair<'_, Rule>) -> (Expr, usize) {
        let span = self.span(&p);
        let mut depth = 0;
        let mut parts: Vec<StrPart> = Vec::new();
        let push_text = |parts: &mut Vec<StrPart>, t: &str| {
            if let Some(StrPart::Text(s)) = parts.last_mut() {
                s.push_str(t);
            } else {
                parts.push(StrPart::Text(t.to_string()));
            }
        };
        for part in p.into_inner() {
            match part.as_rule() {
                Rule::str_text => push_text(&mut parts, part.as_str()),
                Rule::escape => {
                    let esc = part.as_str();
                    let decoded = match esc {
                        "\\\"" => "\"",
                        "\\\\" => "\\",
                        "\\n" => "\n",
                        "\\t" => "\t",
                        "\\$" => "$",
                        _ => {
                            let s = self.span(&part);
                            self.diags.push(
                                Diagnostic::error(
                                    "capz::syntax::invalid-escape",
                                    format!("unknown escape `{esc}` in a string"),
                                )
                                .with_primary(s, "not an escape")
                                .with_help("the escapes are \\\" \\\\ \\n \\t and \\$; write \\\\ for a backslash"),
                            );
                            ""
                        }
                    };
                    push_text(&mut parts, decoded);
                }
                Rule::interp => {
                    if let Some(e) = part.into_inner().next() {
                        let (e, d) = self.expr_d(e);
                        depth = depth.max(d);
                        parts.push(StrPart::Interp(e));
                    }
                }
                _ => {}
            }
        }
        self.nest(ExprKind::Str(parts), span, depth)
    }
}
