//! `capz fmt`: rewrite a `.capz` file in the one canonical layout.
//!
//! The formatter works on tokens, not on the syntax tree: pest drops comments, and a token
//! formatter keeps them exactly and cannot reorder anything. It changes only whitespace:
//!
//! - **Indentation**: 2 spaces per open `{`, `[` or `(`. A line is indented one level more
//!   than the line that opened its innermost open bracket; a line that starts with closing
//!   brackets is indented like the line that opened the outermost of them. A line that
//!   continues an expression (the previous code line ends with an operator, `=`, `:`, `.`,
//!   `..` or a keyword such as `in`, or this line starts with a binary operator, `.` or
//!   `..`) gets one extra level.
//! - **Alignment**: in a run of consecutive lines of one block that each start with
//!   `name =` (or all with `let name =`, or `output name =`, or `use name =`), the first `=`
//!   of every line is aligned one space after the longest name (like `terraform fmt`). A
//!   blank line, a comment line or any other line ends the run; so does a line whose value opens or
//!   closes brackets (it is aligned with the lines above it, and ends the run).
//! - **Spaces**: one space around binary operators (`+ - * / % == != < <= > >= && || |`)
//!   and `=`, after `,` and `:`, inside `{ ... }` and between words; none inside `( )` and
//!   `[ ]`, around `.` and `..` (`0..n`, `a.b`), after unary `!` and `-`, before `(` of a
//!   call or `[` of an index, and around the angles of `list<T>`. Several items on one line
//!   (`rule a { priority = 100  direction = inbound }`) stay on that line, one space apart.
//! - **Lines**: the line structure of the input is kept (every token stays on its line).
//!   Runs of blank lines collapse to one; blank lines at the start and end of the file go;
//!   a top-level item that spans several lines is separated from its neighbours by one
//!   blank line (inserted before the comments directly above it, if any). Trailing
//!   whitespace goes and the file ends with one newline (an empty file stays empty).
//! - **Kept verbatim**: comments (`#`, `//`; only trailing whitespace is removed; a comment
//!   after code is put one space after it) and string literals including their `${...}`
//!   interpolations.
//!
//! [`format_source`] parses the input first (a file that does not parse is not formatted)
//! and parses its own output again: the result is returned only if it has the same syntax
//! tree as the input ([`crate::syntax::ast::File::same_shape`]). Formatting is idempotent.

use crate::diagnostic::{self, Diagnostic};
use crate::source::Span;
use crate::syntax;

/// Diagnostic code for a formatter bug caught by the same-tree check (the file is left
/// unchanged). Not expected in practice; reported instead of silently changing a program.
pub const FMT_INTERNAL: &str = "capz::fmt::internal";

/// Format `text`, the source of a `.capz` file (file id 0 in the diagnostics' spans).
///
/// Returns the formatted text (see the module docs for the rules), or the syntax
/// diagnostics (errors, sorted by position) when `text` does not parse; then nothing is
/// formatted. Returns a [`FMT_INTERNAL`] error if the formatted text would not parse to the
/// same syntax tree as `text` (a formatter bug: the caller must keep the file as it is).
/// Pure and total: never panics.
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    let (before, mut diags) = syntax::parse(0, text);
    diags.retain(Diagnostic::is_error);
    let before = match before {
        Some(f) if diags.is_empty() => f,
        _ => {
            diagnostic::sort(&mut diags);
            return Err(diags);
        }
    };
    let whole = Span::new(0, 0, text.len());
    // A byte order mark stays where it is; the code after it is formatted.
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(body) => ("\u{feff}", body),
        None => ("", text),
    };
    let out = format_tokens(body).map_err(|offset| {
        let offset = offset + bom.len();
        vec![
            internal(format!(
                "the formatter cannot read the character at byte {offset}"
            ))
            .with_primary(Span::new(0, offset, offset + 1), "here"),
        ]
    })?;
    let out = format!("{bom}{out}");
    let (after, after_diags) = syntax::parse(0, &out);
    match after {
        Some(after) if !diagnostic::has_errors(&after_diags) && after.same_shape(&before) => {
            Ok(out)
        }
        _ => Err(vec![
            internal("formatting would change the meaning of this file, so it was left as it is")
                .with_primary(whole, "this file"),
        ]),
    }
}

fn internal(message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(FMT_INTERNAL, message)
        .with_help("this is a bug in capz fmt; please report it with the file attached")
}

// ---- tokens -----------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    /// Identifier or keyword.
    Word(String),
    /// Digits.
    Int(String),
    /// A whole string literal, interpolations included, as written.
    Str(String),
    /// `# ...` or `// ...`, trailing whitespace removed.
    Comment(String),
    /// Punctuation and operators.
    Punct(&'static str),
    /// End of a line.
    Newline,
}

/// A token with what the layout needs to know about its role.
#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    /// `-` or `!` used as a prefix operator.
    unary: bool,
    /// `<` or `>` of `list<T>`.
    angle: bool,
}

/// Longest first. `<->` (a peering between two networks in the VS Code grammar's tests) is
/// not in the grammar yet; lexing it as one token keeps it whole when it is.
const PUNCTS: &[&str] = &[
    "<->", "..", "==", "!=", "<=", ">=", "&&", "||", "{", "}", "[", "]", "(", ")", ",", "=", ":",
    ".", "+", "-", "*", "/", "%", "<", ">", "!", "|",
];

const KEYWORDS: &[&str] = &[
    "stack", "param", "let", "use", "output", "for", "in", "if", "else", "true", "false",
    "existing",
];

fn is_keyword(w: &str) -> bool {
    KEYWORDS.contains(&w)
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Split `text` into tokens. `Err(offset)` at a byte no token can start with or a string
/// that does not end (never for text the parser accepted).
fn lex(text: &str) -> Result<Vec<Tok>, usize> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                out.push(Tok::Newline);
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'#' => i = lex_comment(text, i, &mut out),
            b'/' if b.get(i + 1) == Some(&b'/') => i = lex_comment(text, i, &mut out),
            b'"' => {
                let end = scan_string(b, i)?;
                out.push(Tok::Str(text[i..end].to_string()));
                i = end;
            }
            _ if c.is_ascii_digit() => {
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                out.push(Tok::Int(text[start..i].to_string()));
            }
            _ if is_ident_start(c) => {
                let start = i;
                while i < b.len() && is_ident_char(b[i]) {
                    i += 1;
                }
                out.push(Tok::Word(text[start..i].to_string()));
            }
            _ => {
                let p = PUNCTS
                    .iter()
                    .find(|p| b[i..].starts_with(p.as_bytes()))
                    .ok_or(i)?;
                out.push(Tok::Punct(p));
                i += p.len();
            }
        }
    }
    Ok(out)
}

fn lex_comment(text: &str, start: usize, out: &mut Vec<Tok>) -> usize {
    let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
    out.push(Tok::Comment(text[start..end].trim_end().to_string()));
    end
}

/// `b[start]` is `"`; the index just after the closing quote.
fn scan_string(b: &[u8], start: usize) -> Result<usize, usize> {
    let mut i = start + 1;
    loop {
        match b.get(i) {
            None | Some(b'\n') => return Err(start),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => i += 2,
            Some(b'$') if b.get(i + 1) == Some(&b'{') => i = scan_interp(b, i + 2)?,
            Some(_) => i += 1,
        }
    }
}

/// `i` is just after `${`; the index just after the matching `}` (strings and comments
/// inside are skipped as units).
fn scan_interp(b: &[u8], mut i: usize) -> Result<usize, usize> {
    let start = i;
    let mut depth = 1usize;
    loop {
        match b.get(i) {
            None => return Err(start),
            Some(b'"') => i = scan_string(b, i)?,
            Some(b'#') => i = skip_line(b, i),
            Some(b'/') if b.get(i + 1) == Some(&b'/') => i = skip_line(b, i),
            Some(b'{') => {
                depth += 1;
                i += 1;
            }
            Some(b'}') => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            Some(_) => i += 1,
        }
    }
}

fn skip_line(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |n| i + n)
}

fn is_punct(t: &Tok, p: &str) -> bool {
    matches!(t, Tok::Punct(q) if *q == p)
}

/// Mark unary operators and the angles of `list<T>`. Types follow a `:` (in `param` and
/// in record types) and end at `=` or where a word follows a complete type.
fn classify(toks: Vec<Tok>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(toks.len());
    let mut in_type = false;
    let mut depth = 0usize; // `<` and `{` open inside the type
    let mut complete = false; // the type so far could end here
    let mut prev_operand = false; // the previous significant token ends an operand
    let mut queue: std::collections::VecDeque<Tok> = toks.into();
    while let Some(tok) = queue.pop_front() {
        let mut t = Token {
            tok,
            unary: false,
            angle: false,
        };
        if matches!(t.tok, Tok::Comment(_) | Tok::Newline) {
            out.push(t);
            continue;
        }
        if in_type {
            let ends = depth == 0
                && (is_punct(&t.tok, "=")
                    || (complete && !is_punct(&t.tok, "|") && !is_punct(&t.tok, "<")));
            if ends {
                in_type = false;
            } else {
                match &t.tok {
                    Tok::Punct("<") => {
                        t.angle = true;
                        depth += 1;
                        complete = false;
                    }
                    Tok::Punct(">") | Tok::Punct(">=") if depth > 0 => {
                        if is_punct(&t.tok, ">=") {
                            // `list<int>= x`: the angle, then `=`.
                            queue.push_front(Tok::Punct("="));
                            t.tok = Tok::Punct(">");
                        }
                        t.angle = true;
                        depth -= 1;
                        complete = true;
                    }
                    Tok::Punct("{") => {
                        depth += 1;
                        complete = false;
                    }
                    Tok::Punct("}") if depth > 0 => {
                        depth -= 1;
                        complete = true;
                    }
                    Tok::Punct(":") | Tok::Punct("|") | Tok::Punct(",") => complete = false,
                    Tok::Word(_) => complete = true,
                    _ => in_type = false,
                }
                if in_type {
                    prev_operand = t.angle && is_punct(&t.tok, ">");
                    out.push(t);
                    continue;
                }
            }
        }
        if is_punct(&t.tok, ":") {
            in_type = true;
            depth = 0;
            complete = false;
        }
        if is_punct(&t.tok, "!") || (is_punct(&t.tok, "-") && !prev_operand) {
            t.unary = true;
        }
        prev_operand = match &t.tok {
            Tok::Word(w) => !is_keyword(w) || w == "true" || w == "false",
            Tok::Int(_) | Tok::Str(_) => true,
            Tok::Punct(p) => matches!(*p, ")" | "]" | "}"),
            Tok::Comment(_) | Tok::Newline => prev_operand,
        };
        out.push(t);
    }
    out
}

// ---- layout -------------------------------------------------------------------------------

fn is_open(t: &Tok) -> bool {
    matches!(t, Tok::Punct("{" | "[" | "("))
}

fn is_close(t: &Tok) -> bool {
    matches!(t, Tok::Punct("}" | "]" | ")"))
}

/// Binary operators (not `=`), for spacing and continuation lines.
fn is_binary(t: &Token) -> bool {
    match &t.tok {
        Tok::Punct(p) => {
            !t.unary
                && !t.angle
                && matches!(
                    *p,
                    "+" | "-"
                        | "*"
                        | "/"
                        | "%"
                        | "=="
                        | "!="
                        | "<"
                        | "<="
                        | ">"
                        | ">="
                        | "&&"
                        | "||"
                        | "|"
                        | "<->"
                )
        }
        _ => false,
    }
}

/// Does a line ending with `t` leave its expression unfinished?
fn ends_unfinished(t: &Token) -> bool {
    is_binary(t)
        || t.unary
        || matches!(&t.tok, Tok::Punct("=" | ":" | "." | ".."))
        || matches!(&t.tok, Tok::Word(w) if is_keyword(w) && w != "true" && w != "false")
}

/// Does a line starting with `t` continue the previous line's expression?
fn starts_continuation(t: &Token) -> bool {
    is_binary(t) || matches!(&t.tok, Tok::Punct("=" | "." | ".."))
}

/// One space between `prev` and `cur` on a line?
fn space_between(prev: &Token, cur: &Token) -> bool {
    let (p, c) = (&prev.tok, &cur.tok);
    if matches!(c, Tok::Comment(_)) {
        return true;
    }
    if matches!(p, Tok::Punct("(" | "[")) || matches!(c, Tok::Punct(")" | "]" | "," | ":")) {
        return false;
    }
    if matches!(p, Tok::Punct("." | "..")) || matches!(c, Tok::Punct("." | "..")) {
        return false;
    }
    if prev.unary || cur.angle || (prev.angle && is_punct(p, "<")) {
        return false;
    }
    let plain_word = matches!(p, Tok::Word(w) if !is_keyword(w));
    if is_punct(c, "(") {
        return !plain_word;
    }
    if is_punct(c, "[") {
        return !(plain_word || matches!(p, Tok::Int(_) | Tok::Str(_) | Tok::Punct(")" | "]")));
    }
    !(is_punct(p, "{") && is_punct(c, "}"))
}

/// The tokens of one source line.
struct Line {
    toks: Vec<Token>,
    /// Blank lines before it in the output.
    blanks: usize,
    indent: usize,
    depth_start: usize,
    depth_end: usize,
    continuation: bool,
    /// Width to pad the name before the first `=` to, for aligned lines.
    align: Option<usize>,
}

impl Line {
    fn is_code(&self) -> bool {
        self.toks.iter().any(|t| !matches!(t.tok, Tok::Comment(_)))
    }

    /// The keyword of an assignment line (`""` for a field): runs hold one kind.
    fn assignment_kind(&self) -> &str {
        match self.toks.first().map(|t| &t.tok) {
            Some(Tok::Word(w)) if is_keyword(w) => w,
            _ => "",
        }
    }

    /// Number of tokens before the `=` of `name =` / `let name =` (and `output`, `use`).
    fn assignment_prefix(&self) -> Option<usize> {
        let t = &self.toks;
        let word = |i: usize| match t.get(i).map(|t| &t.tok) {
            Some(Tok::Word(w)) => Some(w.as_str()),
            _ => None,
        };
        let eq = |i: usize| t.get(i).is_some_and(|t| is_punct(&t.tok, "="));
        match word(0)? {
            "let" | "output" | "use" if word(1).is_some_and(|w| !is_keyword(w)) && eq(2) => Some(2),
            w if !is_keyword(w) && eq(1) => Some(1),
            _ => None,
        }
    }
}

fn render_tokens(toks: &[Token], out: &mut String) {
    for (i, t) in toks.iter().enumerate() {
        if i > 0 && space_between(&toks[i - 1], t) {
            out.push(' ');
        }
        match &t.tok {
            Tok::Word(s) | Tok::Int(s) | Tok::Str(s) | Tok::Comment(s) => out.push_str(s),
            Tok::Punct(p) => out.push_str(p),
            Tok::Newline => {}
        }
    }
}

/// Format already-parsed text; `Err(offset)` when the lexer meets something unexpected.
fn format_tokens(text: &str) -> Result<String, usize> {
    let toks = classify(lex(text)?);

    // Lines, with the number of blank lines before each.
    let mut lines: Vec<Line> = Vec::new();
    let mut cur: Vec<Token> = Vec::new();
    let mut blanks = 0usize;
    for t in toks.into_iter().chain(std::iter::once(Token {
        tok: Tok::Newline,
        unary: false,
        angle: false,
    })) {
        if t.tok != Tok::Newline {
            cur.push(t);
        } else if cur.is_empty() {
            blanks += 1;
        } else {
            lines.push(Line {
                toks: std::mem::take(&mut cur),
                blanks: if lines.is_empty() { 0 } else { blanks.min(1) },
                indent: 0,
                depth_start: 0,
                depth_end: 0,
                continuation: false,
                align: None,
            });
            blanks = 0;
        }
    }

    indent_lines(&mut lines);
    separate_top_level(&mut lines);
    align_lines(&mut lines);

    let mut out = String::new();
    for line in &lines {
        for _ in 0..line.blanks {
            out.push('\n');
        }
        for _ in 0..line.indent {
            out.push_str("  ");
        }
        match (line.align, line.assignment_prefix()) {
            (Some(width), Some(n)) => {
                let mut name = String::new();
                render_tokens(&line.toks[..n], &mut name);
                let pad = width.saturating_sub(name.len());
                out.push_str(&name);
                out.push_str(&" ".repeat(pad + 1));
                render_tokens(&line.toks[n..], &mut out);
            }
            _ => render_tokens(&line.toks, &mut out),
        }
        out.push('\n');
    }
    Ok(out)
}

/// Indentation, bracket depths and continuation flags.
fn indent_lines(lines: &mut [Line]) {
    // Indentation of the line that opened each open bracket.
    let mut stack: Vec<usize> = Vec::new();
    let mut prev_code_last: Option<Token> = None;
    for line in lines.iter_mut() {
        line.depth_start = stack.len();
        let leading_closers = line.toks.iter().take_while(|t| is_close(&t.tok)).count();
        let mut indent = stack.last().map_or(0, |i| i + 1);
        if leading_closers > 0 {
            for _ in 0..leading_closers {
                if let Some(i) = stack.pop() {
                    indent = i;
                }
            }
        } else {
            let first_code = line.toks.iter().find(|t| !matches!(t.tok, Tok::Comment(_)));
            line.continuation = prev_code_last.as_ref().is_some_and(ends_unfinished)
                || first_code.is_some_and(starts_continuation);
            if line.continuation {
                indent += 1;
            }
        }
        line.indent = indent;
        for t in &line.toks[leading_closers..] {
            if is_open(&t.tok) {
                stack.push(indent);
            } else if is_close(&t.tok) {
                stack.pop();
            }
        }
        line.depth_end = stack.len();
        if let Some(last) = line
            .toks
            .iter()
            .rev()
            .find(|t| !matches!(t.tok, Tok::Comment(_)))
        {
            prev_code_last = Some(last.clone());
        }
    }
}

/// One blank line between a top-level item that spans several lines and its neighbours.
fn separate_top_level(lines: &mut [Line]) {
    // (first line, last code line) of each top-level item.
    let mut items: Vec<(usize, usize)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.is_code() {
            continue;
        }
        if line.depth_start == 0 && !line.continuation {
            items.push((i, i));
        } else if let Some(last) = items.last_mut() {
            last.1 = i;
        }
    }
    for pair in items.windows(2) {
        let ((a_start, a_end), (b_start, b_end)) = (pair[0], pair[1]);
        let multi = a_end > a_start || b_end > b_start;
        if multi && lines[a_end + 1..=b_start].iter().all(|l| l.blanks == 0) {
            lines[a_end + 1].blanks = 1;
        }
    }
}

/// Align the first `=` of runs of assignment lines.
fn align_lines(lines: &mut [Line]) {
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        let eligible = |l: &Line| !l.continuation && l.assignment_prefix().is_some();
        if eligible(&lines[i]) {
            j = i + 1;
            while j < lines.len()
                && lines[j - 1].depth_end == lines[j - 1].depth_start
                && eligible(&lines[j])
                && lines[j].blanks == 0
                && lines[j].assignment_kind() == lines[i].assignment_kind()
                && lines[j].indent == lines[i].indent
                && lines[j].depth_start == lines[i].depth_start
            {
                j += 1;
            }
            let width = lines[i..j]
                .iter()
                .filter_map(|l| {
                    let n = l.assignment_prefix()?;
                    let mut s = String::new();
                    render_tokens(&l.toks[..n], &mut s);
                    Some(s.len())
                })
                .max()
                .unwrap_or(0);
            for l in &mut lines[i..j] {
                l.align = Some(width);
            }
        }
        i = j.max(i + 1);
    }
}

#[cfg(test)]
mod tests;
