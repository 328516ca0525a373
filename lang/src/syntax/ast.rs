//! The syntax tree: what the programmer wrote, with a [`Span`] on every node.
//!
//! Nothing here is resolved: a [`ExprKind::Name`] may be a parameter, a resource or an enum
//! word, and a [`ResourceDecl::kind`] may not exist. The checker ([`crate::check`]) decides.
//! Two trees that differ only in spans compare equal with [`File::same_shape`] (the
//! formatter's "formatted program parses to the same tree" test).

use crate::source::Span;

/// An identifier with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The text, `[A-Za-z_][A-Za-z0-9_]*`.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// A whole `.capz` file.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    /// Top-level items in source order.
    pub items: Vec<Item>,
    /// The whole text.
    pub span: Span,
}

/// A top-level item.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `stack "name"`.
    Stack(StackDecl),
    /// `param name: type = default`.
    Param(ParamDecl),
    /// `let name = expr`.
    Let(LetDecl),
    /// `output name = expr`.
    Output(OutputDecl),
    /// `use name = "path" { args }`.
    Use(UseDecl),
    /// `for x in expr { items }`.
    For(ForLoop<Item>),
    /// `KIND NAME ... { body }`.
    Resource(ResourceDecl),
}

/// `stack "name"`.
#[derive(Clone, Debug, PartialEq)]
pub struct StackDecl {
    /// The stack name expression (a string).
    pub name: Expr,
    /// The whole declaration.
    pub span: Span,
}

/// `param name: type = default`.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamDecl {
    /// Parameter name.
    pub name: Ident,
    /// Declared type.
    pub ty: TypeExpr,
    /// Default value, if any.
    pub default: Option<Expr>,
    /// The whole declaration.
    pub span: Span,
}

/// `let name = expr` (top level, inside a `for`, or inside a resource body).
#[derive(Clone, Debug, PartialEq)]
pub struct LetDecl {
    /// Bound name.
    pub name: Ident,
    /// Value.
    pub value: Expr,
    /// The whole declaration.
    pub span: Span,
}

/// `output name = expr`.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputDecl {
    /// Output name.
    pub name: Ident,
    /// Value.
    pub value: Expr,
    /// The whole declaration.
    pub span: Span,
}

/// `use name[index] = "path" { param = expr ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct UseDecl {
    /// Instance name (addresses of its resources start with it).
    pub name: Ident,
    /// `[expr]` after the name (one instance per iteration of an enclosing `for`).
    pub index: Option<Expr>,
    /// Module path as written.
    pub path: String,
    /// Span of the path string.
    pub path_span: Span,
    /// Parameter assignments.
    pub args: Vec<FieldAssign>,
    /// The whole declaration.
    pub span: Span,
}

/// `for var in iter { body }`; `T` is [`Item`] at top level and [`BodyItem`] in bodies.
#[derive(Clone, Debug, PartialEq)]
pub struct ForLoop<T> {
    /// Loop variable.
    pub var: Ident,
    /// A range or a list.
    pub iter: Expr,
    /// Repeated items.
    pub body: Vec<T>,
    /// The whole loop.
    pub span: Span,
}

/// How a resource is named in the program.
#[derive(Clone, Debug, PartialEq)]
pub enum ResName {
    /// `vnet mgmt_net`.
    Ident(Ident),
    /// `a_record "wl-0-apiserver"` (for ARM names that are not identifiers).
    Str(Expr),
}

/// `[existing] KIND NAME [index] [in GROUP[index]] { body }`.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceDecl {
    /// Span of the `existing` keyword: a resource another stack or team owns, read at plan
    /// time and never written, tagged or deleted (Bicep's `existing`, Terraform's data
    /// sources).
    pub existing: Option<Span>,
    /// Kind keyword as written (validated against the Catalog by the checker).
    pub kind: Ident,
    /// Declared name.
    pub name: ResName,
    /// `[expr]` after the name (inside a `for`).
    pub index: Option<Expr>,
    /// `in GROUP` / `in GROUP[expr]`.
    pub group: Option<GroupRef>,
    /// Fields, blocks, children, loops and lets.
    pub body: Vec<BodyItem>,
    /// `KIND NAME ... in GROUP` (up to the `{`).
    pub header_span: Span,
    /// The whole declaration.
    pub span: Span,
}

/// The `in GROUP[index]` clause.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupRef {
    /// The group's declared name.
    pub name: Ident,
    /// Index for an indexed group.
    pub index: Option<Expr>,
    /// Span of `GROUP[index]`.
    pub span: Span,
}

/// One item of a resource or block body.
// Syntax trees are built once and walked; boxing the large variants would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum BodyItem {
    /// `field = expr`.
    Field(FieldAssign),
    /// `network { ... }`.
    Block(BlockDecl),
    /// A child resource.
    Resource(ResourceDecl),
    /// `for x in expr { ... }`.
    For(ForLoop<BodyItem>),
    /// `let x = expr`.
    Let(LetDecl),
}

/// `field = expr`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldAssign {
    /// Field name.
    pub name: Ident,
    /// Value.
    pub value: Expr,
    /// The whole assignment.
    pub span: Span,
}

/// `keyword { body }`: a nested block of a kind.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockDecl {
    /// Block keyword.
    pub keyword: Ident,
    /// Its items (fields; anything else is a checker error).
    pub body: Vec<BodyItem>,
    /// The whole block.
    pub span: Span,
}

/// A type as written after `param name:`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    /// The form.
    pub kind: TypeExprKind,
    /// Where.
    pub span: Span,
}

/// Forms of [`TypeExpr`].
#[derive(Clone, Debug, PartialEq)]
pub enum TypeExprKind {
    /// `int`, `bool`, `string`, `cidr`, `ip`, `region`.
    Named(Ident),
    /// `azure | kubenet | none`.
    Enum(Vec<Ident>),
    /// `list<T>`.
    List(Box<TypeExpr>),
    /// `{ name: T, ... }`.
    Record(Vec<(Ident, TypeExpr)>),
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// The form.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+` (ints, strings, lists).
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/` (integer division).
    Div,
    /// `%`.
    Rem,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `&&`.
    And,
    /// `||`.
    Or,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "&&",
            BinOp::Or => "||",
        }
    }
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `!`.
    Not,
    /// `-`.
    Neg,
}

/// One piece of a string literal.
#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    /// Literal text, escapes already decoded.
    Text(String),
    /// `${expr}`.
    Interp(Expr),
}

/// Forms of [`Expr`].
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `42` (negative numbers are `Unary(Neg, Int)`).
    Int(i64),
    /// `true`, `false`.
    Bool(bool),
    /// `"text ${expr}"`.
    Str(Vec<StrPart>),
    /// A bare word: variable, resource or enum word (the checker decides).
    Name(Ident),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `{ k = v, ... }`.
    Record(Vec<(Ident, Expr)>),
    /// `a..b`.
    Range(Box<Expr>, Box<Expr>),
    /// `a op b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `op a`.
    Unary(UnOp, Box<Expr>),
    /// `if c { a } else { b }`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `f(args)`.
    Call(Ident, Vec<Expr>),
    /// `base.name`.
    Member(Box<Expr>, Ident),
    /// `base[index]`.
    Index(Box<Expr>, Box<Expr>),
}

impl Expr {
    /// The string literal's text if it is a plain literal without interpolation.
    pub fn plain_str(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Str(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        StrPart::Text(t) => s.push_str(t),
                        StrPart::Interp(_) => return None,
                    }
                }
                Some(s)
            }
            _ => None,
        }
    }
}

// ---- span-insensitive comparison ------------------------------------------------------

/// Reset every span in a tree to `Span::default()`, so that trees can be compared by shape.
pub trait ClearSpans {
    /// Set all spans inside `self` to the default span.
    fn clear_spans(&mut self);
}

impl File {
    /// True when both files have the same items, ignoring spans (and so layout and comments).
    pub fn same_shape(&self, other: &File) -> bool {
        let mut a = self.clone();
        let mut b = other.clone();
        a.clear_spans();
        b.clear_spans();
        a == b
    }
}

impl<T: ClearSpans> ClearSpans for Vec<T> {
    fn clear_spans(&mut self) {
        for x in self {
            x.clear_spans();
        }
    }
}

impl<T: ClearSpans> ClearSpans for Option<T> {
    fn clear_spans(&mut self) {
        if let Some(x) = self {
            x.clear_spans();
        }
    }
}

impl<T: ClearSpans> ClearSpans for Box<T> {
    fn clear_spans(&mut self) {
        (**self).clear_spans();
    }
}

impl<A: ClearSpans, B: ClearSpans> ClearSpans for (A, B) {
    fn clear_spans(&mut self) {
        self.0.clear_spans();
        self.1.clear_spans();
    }
}

impl ClearSpans for Ident {
    fn clear_spans(&mut self) {
        self.span = Span::default();
    }
}

impl ClearSpans for File {
    fn clear_spans(&mut self) {
        self.span = Span::default();
        self.items.clear_spans();
    }
}

impl ClearSpans for Item {
    fn clear_spans(&mut self) {
        match self {
            Item::Stack(s) => {
                s.span = Span::default();
                s.name.clear_spans();
            }
            Item::Param(p) => {
                p.span = Span::default();
                p.name.clear_spans();
                p.ty.clear_spans();
                p.default.clear_spans();
            }
            Item::Let(l) => l.clear_spans(),
            Item::Output(o) => {
                o.span = Span::default();
                o.name.clear_spans();
                o.value.clear_spans();
            }
            Item::Use(u) => {
                u.span = Span::default();
                u.path_span = Span::default();
                u.name.clear_spans();
                u.index.clear_spans();
                u.args.clear_spans();
            }
            Item::For(f) => f.clear_spans(),
            Item::Resource(r) => r.clear_spans(),
        }
    }
}

impl ClearSpans for LetDecl {
    fn clear_spans(&mut self) {
        self.span = Span::default();
        self.name.clear_spans();
        self.value.clear_spans();
    }
}

impl<T: ClearSpans> ClearSpans for ForLoop<T> {
    fn clear_spans(&mut self) {
        self.span = Span::default();
        self.var.clear_spans();
        self.iter.clear_spans();
        self.body.clear_spans();
    }
}

impl ClearSpans for ResourceDecl {
    fn clear_spans(&mut self) {
        self.span = Span::default();
        self.header_span = Span::default();
        if self.existing.is_some() {
            self.existing = Some(Span::default());
        }
        self.kind.clear_spans();
        match &mut self.name {
            ResName::Ident(i) => i.clear_spans(),
            ResName::Str(e) => e.clear_spans(),
        }
        self.index.clear_spans();
        if let Some(g) = &mut self.group {
            g.span = Span::default();
            g.name.clear_spans();
            g.index.clear_spans();
        }
        self.body.clear_spans();
    }
}

impl ClearSpans for BodyItem {
    fn clear_spans(&mut self) {
        match self {
            BodyItem::Field(f) => f.clear_spans(),
            BodyItem::Block(b) => {
                b.span = Span::default();
                b.keyword.clear_spans();
                b.body.clear_spans();
            }
            BodyItem::Resource(r) => r.clear_spans(),
            BodyItem::For(f) => f.clear_spans(),
            BodyItem::Let(l) => l.clear_spans(),
        }
    }
}

impl ClearSpans for FieldAssign {
    fn clear_spans(&mut self) {
        self.span = Span::default();
        self.name.clear_spans();
        self.value.clear_spans();
    }
}

impl ClearSpans for TypeExpr {
    fn clear_spans(&mut self) {
        self.span = Span::default();
        match &mut self.kind {
            TypeExprKind::Named(i) => i.clear_spans(),
            TypeExprKind::Enum(words) => words.clear_spans(),
            TypeExprKind::List(t) => t.clear_spans(),
            TypeExprKind::Record(fields) => fields.clear_spans(),
        }
    }
}

impl ClearSpans for Expr {
    fn clear_spans(&mut self) {
        self.span = Span::default();
        match &mut self.kind {
            ExprKind::Int(_) | ExprKind::Bool(_) => {}
            ExprKind::Str(parts) => {
                for p in parts {
                    if let StrPart::Interp(e) = p {
                        e.clear_spans();
                    }
                }
            }
            ExprKind::Name(i) => i.clear_spans(),
            ExprKind::List(items) => items.clear_spans(),
            ExprKind::Record(fields) => fields.clear_spans(),
            ExprKind::Range(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
                a.clear_spans();
                b.clear_spans();
            }
            ExprKind::Unary(_, a) => a.clear_spans(),
            ExprKind::If(c, a, b) => {
                c.clear_spans();
                a.clear_spans();
                b.clear_spans();
            }
            ExprKind::Call(f, args) => {
                f.clear_spans();
                args.clear_spans();
            }
            ExprKind::Member(base, name) => {
                base.clear_spans();
                name.clear_spans();
            }
        }
    }
}
