//! Syntax: the pest grammar (`lang/src/grammar.pest`) and the syntax tree.
//!
//! pest stops at this module's border: [`parse`] returns an [`ast::File`] (spans on every
//! node) and [`Diagnostic`]s. A syntax error stops parsing (pest cannot resume), so at most
//! one syntax error is reported per file; problems inside well-formed tokens (unknown
//! escapes, integers out of range) are reported together.

pub mod ast;
mod parser;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;

pub use parser::{MAX_EXPR_DEPTH, MAX_NESTING};

/// Parse the text of file `file`. Returns the tree when the text is well formed (it may
/// still come with error diagnostics such as an unknown escape; check them), and all
/// diagnostics, in position order. Never panics.
pub fn parse(file: FileId, text: &str) -> (Option<ast::File>, Vec<Diagnostic>) {
    parser::parse_file(file, text)
}

/// Parse a lone expression, e.g. the value of a `--param` of list or record type.
pub fn parse_expr(file: FileId, text: &str) -> Result<ast::Expr, Vec<Diagnostic>> {
    parser::parse_expr(file, text)
}
