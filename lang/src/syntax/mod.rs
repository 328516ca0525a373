//! Syntax: the pest grammar (`lang/src/grammar.pest`) and the syntax tree.
//!
//! pest stops at this module's border: [`parse`] returns an [`ast::File`] (spans on every
//! node) and [`Diagnostic`]s. pest cannot resume after a syntax error, so [`parse`]
//! recovers by blanking the statement with the error and parsing again: every syntax
//! error of a file is reported in one run (up to [`MAX_SYNTAX_ERRORS`]), with the tree of
//! what did parse. Problems inside well-formed tokens (unknown escapes, integers out of
//! range) are reported together with them. Expression trees are at most
//! [`MAX_EXPR_DEPTH`] deep and brackets nest at most [`MAX_NESTING`] deep, so no later
//! recursive walk can exhaust the stack.

pub mod ast;
mod parser;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;

pub use parser::{MAX_EXPR_DEPTH, MAX_NESTING, MAX_SYNTAX_ERRORS};

/// Parse the text of file `file`: the tree of every statement that parsed, and all
/// diagnostics, in position order. When a diagnostic is an error the tree is partial
/// (statements with syntax errors are left out; an unknown escape or a too large integer
/// stands in as a placeholder value): editors may read it, compilation must not go on.
/// `None` only when nothing could be parsed (nesting past [`MAX_NESTING`]). Never panics.
pub fn parse(file: FileId, text: &str) -> (Option<ast::File>, Vec<Diagnostic>) {
    let (f, mut d) = parser::parse_file(file, text);
    crate::diagnostic::sort(&mut d);
    (f, d)
}

/// Parse a lone expression, e.g. the value of a `--param` of list or record type.
pub fn parse_expr(file: FileId, text: &str) -> Result<ast::Expr, Vec<Diagnostic>> {
    parser::parse_expr(file, text)
}
