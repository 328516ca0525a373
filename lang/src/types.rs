//! capz types.
//!
//! Strings with a known format (`cidr`, `ip`, `region`) are distinct types so that the
//! checker can refuse `"10.0.0.0/33"` where a CIDR is expected. Enum types come from stdlib
//! (`azure | kubenet | none`), each word mapped to ARM's spelling. A value only ARM knows
//! (a cluster's FQDN) has type [`Type::KnownAfterApply`].

use std::fmt;

/// One word of an enum type: what the user writes and what ARM receives and returns.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct EnumWord {
    /// The capz word, lower snake case, e.g. `system`.
    pub word: &'static str,
    /// ARM's spelling, e.g. `System` (ARM compares enums case-insensitively).
    pub arm: &'static str,
    /// One line for completion and `capz explain`.
    pub doc: &'static str,
}

/// A named enum type, e.g. `network_plugin = azure | kubenet | none`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct EnumType {
    /// Type name shown in diagnostics, e.g. `network_plugin`.
    pub name: &'static str,
    /// The words, in documentation order.
    pub words: &'static [EnumWord],
}

impl EnumType {
    /// The word with this spelling (exact, lower case), if any.
    pub fn word(&self, word: &str) -> Option<&'static EnumWord> {
        self.words.iter().find(|w| w.word == word)
    }

    /// The word whose ARM spelling matches `arm` case-insensitively (for reading live state).
    pub fn from_arm(&self, arm: &str) -> Option<&'static EnumWord> {
        self.words.iter().find(|w| w.arm.eq_ignore_ascii_case(arm))
    }
}

/// The type of a capz expression, field or parameter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// 64-bit signed integer.
    Int,
    /// `true` / `false`.
    Bool,
    /// Any string.
    String,
    /// An IPv4 or IPv6 prefix in CIDR notation, e.g. `"10.0.0.0/16"` (a string literal that parses as one).
    Cidr,
    /// An IPv4 or IPv6 address, e.g. `"10.0.0.10"`.
    Ip,
    /// An Azure region, e.g. `"eastus2"` or `"East US 2"`.
    Region,
    /// One of a fixed set of words.
    Enum(&'static EnumType),
    /// A homogeneous list.
    List(Box<Type>),
    /// A record with named fields, in declaration order.
    Record(Vec<(String, Type)>),
    /// An integer range `a..b` (autoscale bounds; `for` iterates it half-open).
    Range,
    /// A reference to a declared resource of this kind keyword (e.g. `subnet`).
    Resource(&'static str),
    /// A value ARM assigns on apply (FQDN, dynamic IP); plan prints `(known after apply)`.
    KnownAfterApply(Box<Type>),
    /// Unknown because of an earlier error, or an empty list's element: accepted anywhere.
    Any,
}

impl Type {
    /// Whether a value of type `self` may be used where `expected` is required.
    ///
    /// `string` literals that parse as CIDRs/IPs/regions are given those types by the
    /// checker; beyond that, `cidr`, `ip` and `region` are usable as `string`; `Any`
    /// matches everything; `KnownAfterApply(T)` is usable where `T` is expected (the plan
    /// shows it as unknown).
    pub fn assignable_to(&self, expected: &Type) -> bool {
        use Type::*;
        match (self, expected) {
            (Any, _) | (_, Any) => true,
            (KnownAfterApply(a), b) => a.assignable_to(b),
            (a, KnownAfterApply(b)) => a.assignable_to(b),
            (Cidr | Ip | Region, String) => true,
            (List(a), List(b)) => a.assignable_to(b),
            (Enum(a), Enum(b)) => a.name == b.name,
            (Record(a), Record(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((an, at), (bn, bt))| an == bn && at.assignable_to(bt))
            }
            (Resource(a), Resource(b)) => a == b,
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Int => write!(f, "int"),
            Type::Bool => write!(f, "bool"),
            Type::String => write!(f, "string"),
            Type::Cidr => write!(f, "cidr"),
            Type::Ip => write!(f, "ip"),
            Type::Region => write!(f, "region"),
            Type::Enum(e) => {
                let words: Vec<_> = e.words.iter().map(|w| w.word).collect();
                write!(f, "{}", words.join(" | "))
            }
            Type::List(t) => write!(f, "list<{t}>"),
            Type::Record(fields) => {
                write!(f, "{{")?;
                for (i, (n, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{n}: {t}")?;
                }
                write!(f, "}}")
            }
            Type::Range => write!(f, "range"),
            Type::Resource(k) => write!(f, "{k}"),
            Type::KnownAfterApply(t) => write!(f, "{t} (known after apply)"),
            Type::Any => write!(f, "any"),
        }
    }
}
