//! Parameter types, `--param` overrides, and the formats of `cidr`, `ip` and `region`.

use crate::diagnostic::Diagnostic;
use crate::schema::Catalog;
use crate::suggest::did_you_mean;
use crate::syntax::ast::{Expr, ExprKind, StrPart, TypeExpr, TypeExprKind};
use crate::types::{EnumType, EnumWord, Type};
use crate::value::Value;
use std::collections::BTreeMap;

/// Every enum type the catalog uses (fields, block fields, attributes), without repeats.
pub(crate) fn catalog_enums(catalog: &Catalog) -> Vec<&'static EnumType> {
    fn walk(t: &Type, out: &mut Vec<&'static EnumType>) {
        match t {
            Type::Enum(e) if !out.iter().any(|x| x.name == e.name) => {
                out.push(e);
            }
            Type::List(t) | Type::KnownAfterApply(t) => walk(t, out),
            Type::Record(fields) => fields.iter().for_each(|(_, t)| walk(t, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for k in &catalog.kinds {
        for f in &k.fields {
            walk(&f.ty, &mut out);
        }
        for b in &k.blocks {
            for f in &b.fields {
                walk(&f.ty, &mut out);
            }
        }
        for a in &k.attributes {
            walk(&a.ty, &mut out);
        }
    }
    out
}

const TYPE_NAMES: &[&str] = &["int", "bool", "string", "cidr", "ip", "region"];

/// The [`Type`] a `param` declares. Enum types written as words (`azure | kubenet`) take
/// the name of the catalog enum that has all those words, so such a param can be assigned
/// to that enum's fields; its words stay restricted to the ones written. (The restricted
/// type is leaked: a few bytes per enum-typed param per compilation.) Unknown type names
/// are reported and give [`Type::Any`].
pub fn resolve_type(
    t: &TypeExpr,
    enums: &[&'static EnumType],
    diags: &mut Vec<Diagnostic>,
) -> Type {
    match &t.kind {
        TypeExprKind::Named(id) => match id.name.as_str() {
            "int" => Type::Int,
            "bool" => Type::Bool,
            "string" => Type::String,
            "cidr" => Type::Cidr,
            "ip" => Type::Ip,
            "region" => Type::Region,
            other => {
                let help = match did_you_mean(other, TYPE_NAMES.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "the types are int, bool, string, cidr, ip, region, list<T>, `{ key: T }` and enums written as `a | b | c`".to_string(),
                };
                diags.push(
                    Diagnostic::error(
                        "capz::type::unknown-type",
                        format!("unknown type `{other}`"),
                    )
                    .with_primary(id.span, "not a type")
                    .with_help(help),
                );
                Type::Any
            }
        },
        TypeExprKind::List(inner) => Type::List(Box::new(resolve_type(inner, enums, diags))),
        TypeExprKind::Record(fields) => {
            let mut out: Vec<(String, Type)> = fields
                .iter()
                .map(|(n, t)| (n.name.clone(), resolve_type(t, enums, diags)))
                .collect();
            out.sort_by(|a, b| a.0.cmp(&b.0));
            Type::Record(out)
        }
        TypeExprKind::Enum(words) => {
            let base = enums
                .iter()
                .find(|e| words.iter().all(|w| e.word(&w.name).is_some()));
            let mut list: Vec<EnumWord> = Vec::new();
            for w in words {
                if list.iter().any(|x| x.word == w.name) {
                    continue;
                }
                let (word, arm, doc) = match base.and_then(|e| e.word(&w.name)) {
                    Some(ew) => (ew.word, ew.arm, ew.doc),
                    None => {
                        let leaked: &'static str = Box::leak(w.name.clone().into_boxed_str());
                        (leaked, leaked, "")
                    }
                };
                list.push(EnumWord { word, arm, doc });
            }
            let name: &'static str = match base {
                Some(e) => e.name,
                None => Box::leak(
                    words
                        .iter()
                        .map(|w| w.name.as_str())
                        .collect::<Vec<_>>()
                        .join("|")
                        .into_boxed_str(),
                ),
            };
            let ty: &'static EnumType = Box::leak(Box::new(EnumType {
                name,
                words: Box::leak(list.into_boxed_slice()),
            }));
            Type::Enum(ty)
        }
    }
}

/// A short example value of a type, for help lines.
pub fn example_of(t: &Type) -> String {
    match t {
        Type::Int => "3".into(),
        Type::Bool => "true".into(),
        Type::String => "\"text\"".into(),
        Type::Cidr => "\"10.0.0.0/16\"".into(),
        Type::Ip => "\"10.0.0.10\"".into(),
        Type::Region => "\"eastus2\"".into(),
        Type::Enum(e) => e.words.first().map_or("word", |w| w.word).to_string(),
        Type::List(t) => format!("[{}]", example_of(t)),
        Type::Record(f) => {
            let parts: Vec<String> = f
                .iter()
                .map(|(n, t)| format!("{n} = {}", example_of(t)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        Type::Range => "1..3".into(),
        Type::Resource(k) => format!("a `{k}` reference"),
        Type::KnownAfterApply(t) => example_of(t),
        Type::Any => "a value".into(),
    }
}

/// Check that `text` is a valid `cidr`, `ip` or `region` (other types always pass).
/// CIDRs and IPs are parsed with `ipnet`/`std::net` (IPv4 and IPv6); a region is letters,
/// digits and spaces (`eastus2`, `East US 2`), as ARM's `location` accepts both spellings.
pub fn validate_format(text: &str, t: &Type) -> Result<(), String> {
    match t {
        Type::Cidr => text
            .parse::<ipnet::IpNet>()
            .map(|_| ())
            .map_err(|_| "expected an address and a prefix length, e.g. 10.0.0.0/16".to_string()),
        Type::Ip => text
            .parse::<std::net::IpAddr>()
            .map(|_| ())
            .map_err(|_| "expected an IPv4 or IPv6 address, e.g. 10.0.0.10".to_string()),
        Type::Region => {
            if !text.is_empty()
                && text.len() <= 64
                && text.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
                && text.starts_with(|c: char| c.is_ascii_alphabetic())
            {
                Ok(())
            } else {
                Err("a region is letters, digits and spaces, e.g. eastus2".to_string())
            }
        }
        _ => Ok(()),
    }
}

/// The diagnostic code for an invalid value of a string format type.
pub fn format_code(t: &Type) -> &'static str {
    match t {
        Type::Cidr => "capz::type::invalid-cidr",
        Type::Ip => "capz::type::invalid-ip",
        _ => "capz::type::invalid-region",
    }
}

/// The help line for an invalid value of a string format type.
pub fn format_help(t: &Type) -> String {
    match t {
        Type::Cidr => "write an address and prefix length, e.g. \"10.0.0.0/16\" (the prefix length is at most 32 for IPv4)".into(),
        Type::Ip => "write an address such as \"10.0.0.10\"".into(),
        _ => "write a region name such as \"eastus2\" or \"westeurope\" (`az account list-locations -o table`)".into(),
    }
}

/// Parse a `--param NAME=VALUE` value by the declared type: ints, `true`/`false`, strings
/// as given (checked for `cidr`, `ip`, `region`), enum words; lists and records in capz
/// syntax (`["10.0.0.0/16", "10.1.0.0/16"]`, `{ team = "x" }`), or for lists of scalars
/// also comma-separated (`10.0.0.0/16,10.1.0.0/16`). Errors say what was expected.
pub fn parse_override(text: &str, ty: &Type) -> Result<Value, String> {
    match ty {
        Type::Int => text
            .trim()
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("`{text}` is not an int")),
        Type::Bool => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("`{text}` is not `true` or `false`")),
        },
        Type::String | Type::Any => Ok(Value::Str(text.to_string())),
        Type::Cidr | Type::Ip | Type::Region => {
            validate_format(text, ty)
                .map_err(|why| format!("`{text}` is not a valid {ty}: {why}"))?;
            Ok(Value::Str(text.to_string()))
        }
        Type::Enum(e) => match e.word(text.trim()) {
            Some(w) => Ok(Value::Enum(w.word.to_string())),
            None => Err(format!(
                "`{text}` is not one of {}",
                e.words
                    .iter()
                    .map(|w| w.word)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        },
        Type::List(_) | Type::Record(_) | Type::Range => {
            let trimmed = text.trim();
            let expr_text = match ty {
                Type::List(el) if !trimmed.starts_with('[') => {
                    // Comma-separated scalars.
                    let mut items = Vec::new();
                    for part in trimmed.split(',').filter(|p| !p.trim().is_empty()) {
                        items.push(parse_override(part.trim(), el)?);
                    }
                    return Ok(Value::List(items));
                }
                _ => trimmed,
            };
            let expr = crate::syntax::parse_expr(0, expr_text).map_err(|d| {
                d.first()
                    .map_or_else(|| "not a value".to_string(), |d| d.message.clone())
            })?;
            literal_value(&expr, ty)
        }
        Type::Resource(k) => Err(format!("a `{k}` cannot be given on the command line")),
        Type::KnownAfterApply(t) => parse_override(text, t),
    }
}

/// The value of a literal expression of type `ty` (no names except enum words).
fn literal_value(e: &Expr, ty: &Type) -> Result<Value, String> {
    let text_of = |e: &Expr| -> Option<String> {
        match &e.kind {
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
    };
    match (ty, &e.kind) {
        (Type::Int, ExprKind::Int(i)) => Ok(Value::Int(*i)),
        (Type::Bool, ExprKind::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::String | Type::Cidr | Type::Ip | Type::Region | Type::Any, ExprKind::Str(_)) => {
            let s = text_of(e).ok_or("interpolation is not allowed in --param values")?;
            validate_format(&s, ty).map_err(|why| format!("\"{s}\" is not a valid {ty}: {why}"))?;
            Ok(Value::Str(s))
        }
        (Type::Enum(en), ExprKind::Name(id)) => en
            .word(&id.name)
            .map(|w| Value::Enum(w.word.to_string()))
            .ok_or_else(|| format!("`{}` is not one of the words of {ty}", id.name)),
        (Type::List(el), ExprKind::List(items)) => items
            .iter()
            .map(|i| literal_value(i, el))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::List),
        (Type::Record(fields), ExprKind::Record(given)) => {
            let mut out = BTreeMap::new();
            for (n, v) in given {
                let Some((_, t)) = fields.iter().find(|(f, _)| *f == n.name) else {
                    return Err(format!("the record type has no key `{}`", n.name));
                };
                out.insert(n.name.clone(), literal_value(v, t)?);
            }
            for (f, _) in fields {
                if !out.contains_key(f) {
                    return Err(format!("key `{f}` is missing"));
                }
            }
            Ok(Value::Record(out))
        }
        (Type::Range, ExprKind::Range(a, b)) => match (&a.kind, &b.kind) {
            (ExprKind::Int(s), ExprKind::Int(e)) => Ok(Value::Range { start: *s, end: *e }),
            _ => Err("a range is written `1..3`".into()),
        },
        _ => {
            let t = ty.to_string();
            let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            Err(format!("expected {article} {t}"))
        }
    }
}
