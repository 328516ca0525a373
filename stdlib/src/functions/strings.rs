//! String functions with Terraform's semantics (`lower`, `upper`, `format`, `join`, `split`).

use super::{arity, expect, unknown_arg, wrap_unknown};
use lang::schema::FunctionDef;
use lang::types::Type;
use lang::value::Value;

/// `lower`, `upper`, `format`, `join`, `split`.
pub fn defs() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "lower",
            signature: "lower(s: string) -> string",
            doc: "`s` with every letter in lower case.",
            examples: &[("lower(\"CapZ-Dev\")", "\"capz-dev\"")],
            check: |args| {
                arity(args, 1, 1)?;
                expect(args, 0, &Type::String, "s")?;
                Ok(wrap_unknown(args, Type::String))
            },
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                Ok(Value::Str(str_arg(args, 0)?.to_lowercase()))
            },
        },
        FunctionDef {
            name: "upper",
            signature: "upper(s: string) -> string",
            doc: "`s` with every letter in upper case.",
            examples: &[("upper(\"eastus2\")", "\"EASTUS2\"")],
            check: |args| {
                arity(args, 1, 1)?;
                expect(args, 0, &Type::String, "s")?;
                Ok(wrap_unknown(args, Type::String))
            },
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                Ok(Value::Str(str_arg(args, 0)?.to_uppercase()))
            },
        },
        FunctionDef {
            name: "format",
            signature: "format(spec: string, values...) -> string",
            doc: "`spec` with each verb replaced by the next value, as Terraform's format: `%s` a string (or number), \
                  `%d` an integer, `%t` a boolean, `%q` a quoted string, `%v` any value, `%%` a percent sign. \
                  Fails when there are too few or too many values.",
            examples: &[
                ("format(\"Hello, %s!\", \"Ander\")", "\"Hello, Ander!\""),
                (
                    "format(\"There are %d lights\", 4)",
                    "\"There are 4 lights\"",
                ),
                (
                    "format(\"wl-%d-%s\", 2, \"apiserver\")",
                    "\"wl-2-apiserver\"",
                ),
                ("format(\"%q is 100%%\", \"x\")", "\"\\\"x\\\" is 100%\""),
            ],
            check: |args| {
                arity(args, 1, usize::MAX)?;
                expect(args, 0, &Type::String, "spec")?;
                Ok(wrap_unknown(args, Type::String))
            },
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                format(str_arg(args, 0)?, &args[1..]).map(Value::Str)
            },
        },
        FunctionDef {
            name: "join",
            signature: "join(separator: string, list: list<string>, ...) -> string",
            doc: "The elements of the lists joined with `separator` between them.",
            examples: &[
                (
                    "join(\", \", [\"foo\", \"bar\", \"baz\"])",
                    "\"foo, bar, baz\"",
                ),
                ("join(\"-\", [\"a\"], [\"b\", \"c\"])", "\"a-b-c\""),
            ],
            check: |args| {
                arity(args, 2, usize::MAX)?;
                expect(args, 0, &Type::String, "separator")?;
                for i in 1..args.len() {
                    expect(args, i, &Type::List(Box::new(Type::String)), "list")?;
                }
                Ok(wrap_unknown(args, Type::String))
            },
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                let sep = str_arg(args, 0)?;
                let mut parts = Vec::new();
                for a in &args[1..] {
                    let items = a.as_list().ok_or("join takes lists of strings")?;
                    for item in items {
                        parts.push(plain(item)?);
                    }
                }
                Ok(Value::Str(parts.join(sep)))
            },
        },
        FunctionDef {
            name: "split",
            signature: "split(separator: string, s: string) -> list<string>",
            doc: "`s` cut at every occurrence of `separator`.",
            examples: &[
                (
                    "split(\",\", \"foo,bar,baz\")",
                    "[\"foo\", \"bar\", \"baz\"]",
                ),
                ("split(\"/\", \"10.0.0.0/16\")", "[\"10.0.0.0\", \"16\"]"),
            ],
            check: |args| {
                arity(args, 2, 2)?;
                expect(args, 0, &Type::String, "separator")?;
                expect(args, 1, &Type::String, "s")?;
                Ok(wrap_unknown(args, Type::List(Box::new(Type::String))))
            },
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                let sep = str_arg(args, 0)?;
                let s = str_arg(args, 1)?;
                if sep.is_empty() {
                    return Err("split needs a non-empty separator".into());
                }
                Ok(Value::List(
                    s.split(sep).map(|p| Value::Str(p.to_string())).collect(),
                ))
            },
        },
    ]
}

fn str_arg(args: &[Value], i: usize) -> Result<&str, String> {
    args.get(i)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("argument {} must be a string", i + 1))
}

/// A value as text without quotes: strings and enum words as is, numbers and booleans
/// in decimal / true|false.
fn plain(v: &Value) -> Result<String, String> {
    match v {
        Value::Str(s) | Value::Enum(s) => Ok(s.clone()),
        Value::Int(i) => Ok(i.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("{other} is not a string")),
    }
}

/// Terraform's format verbs `%s %d %t %q %v %%`.
pub fn format(spec: &str, values: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut next = values.iter();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let verb = chars.next().ok_or("format spec ends with a lone %")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let v = next
            .next()
            .ok_or_else(|| format!("not enough values for %{verb} in format spec"))?;
        match (verb, v) {
            ('s', v) => out.push_str(&plain(v)?),
            ('d', Value::Int(i)) => out.push_str(&i.to_string()),
            ('d', other) => return Err(format!("%d needs an integer, got {other}")),
            ('t', Value::Bool(b)) => out.push_str(&b.to_string()),
            ('t', other) => return Err(format!("%t needs a boolean, got {other}")),
            ('q', v) => out.push_str(&format!("{:?}", plain(v)?)),
            ('v', Value::Str(s) | Value::Enum(s)) => out.push_str(s),
            ('v', other) => out.push_str(&other.to_string()),
            (other, _) => return Err(format!("unsupported format verb %{other}")),
        }
    }
    if next.next().is_some() {
        return Err("too many values for the format spec".into());
    }
    Ok(out)
}
