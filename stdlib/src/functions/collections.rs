//! Collection and number functions with Terraform's semantics (`length`, `concat`,
//! `range`, `min`, `max`, `contains`, `keys`).

use super::{arity, expect, unknown_arg, wrap_unknown};
use lang::schema::FunctionDef;
use lang::types::Type;
use lang::value::Value;

/// Terraform's limit on the number of values `range` generates.
pub const RANGE_LIMIT: usize = 1024;

fn list_of(t: Type) -> Type {
    Type::List(Box::new(t))
}

/// `length`, `concat`, `range`, `min`, `max`, `contains`, `keys`.
pub fn defs() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "length",
            signature: "length(x: list | string | record) -> int",
            doc: "The number of elements of a list, characters of a string or fields of a record.",
            examples: &[
                ("length([\"a\", \"b\"])", "2"),
                ("length(\"capz\")", "4"),
                ("length({ a = 1, b = 2, c = 3 })", "3"),
                ("length([])", "0"),
            ],
            check: |args| {
                arity(args, 1, 1)?;
                match &args[0] {
                    Type::List(_) | Type::Record(_) | Type::Any => Ok(Type::Int),
                    Type::KnownAfterApply(_) => Ok(wrap_unknown(args, Type::Int)),
                    t if t.assignable_to(&Type::String) => Ok(Type::Int),
                    t => Err(format!("length takes a list, string or record, not {t}")),
                }
            },
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                let n = match args.first() {
                    Some(Value::List(l)) => l.len(),
                    Some(Value::Record(r)) => r.len(),
                    Some(Value::Str(s)) => s.chars().count(),
                    _ => return Err("length takes a list, string or record".into()),
                };
                Ok(Value::Int(n as i64))
            },
        },
        FunctionDef {
            name: "concat",
            signature: "concat(lists: list<T>...) -> list<T>",
            doc: "One list with the elements of all the given lists, in order.",
            examples: &[
                (
                    "concat([\"a\", \"\"], [\"b\", \"c\"])",
                    "[\"a\", \"\", \"b\", \"c\"]",
                ),
                ("concat([1], [], [2, 3])", "[1, 2, 3]"),
            ],
            check: |args| {
                arity(args, 1, usize::MAX)?;
                let mut elem = Type::Any;
                for (i, t) in args.iter().enumerate() {
                    let inner = match t {
                        Type::KnownAfterApply(b) => b.as_ref(),
                        t => t,
                    };
                    match inner {
                        Type::List(e) => {
                            if elem == Type::Any {
                                elem = e.as_ref().clone();
                            } else if !e.assignable_to(&elem) {
                                return Err(format!(
                                    "argument {} is a list<{e}>, expected list<{elem}>",
                                    i + 1
                                ));
                            }
                        }
                        Type::Any => {}
                        other => {
                            return Err(format!("argument {} must be a list, not {other}", i + 1));
                        }
                    }
                }
                Ok(wrap_unknown(args, list_of(elem)))
            },
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                let mut out = Vec::new();
                for a in args {
                    out.extend_from_slice(a.as_list().ok_or("concat takes lists")?);
                }
                Ok(Value::List(out))
            },
        },
        FunctionDef {
            name: "range",
            signature: "range(limit: int) | range(start: int, limit: int[, step: int]) -> list<int>",
            doc: "Integers from `start` (default 0) up to but not including `limit`, `step` apart (default 1, or -1 when \
                  limit < start), as Terraform's range. At most 1024 values; step 0 is an error.",
            examples: &[
                ("range(3)", "[0, 1, 2]"),
                ("range(1, 4)", "[1, 2, 3]"),
                ("range(1, 8, 2)", "[1, 3, 5, 7]"),
                ("range(4, 1)", "[4, 3, 2]"),
                ("range(0)", "[]"),
            ],
            check: |args| {
                arity(args, 1, 3)?;
                for i in 0..args.len() {
                    expect(args, i, &Type::Int, "bound")?;
                }
                Ok(wrap_unknown(args, list_of(Type::Int)))
            },
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                let ints: Option<Vec<i64>> = args.iter().map(Value::as_int).collect();
                let ints = ints.ok_or("range takes integers")?;
                let (start, limit, step) = match ints.as_slice() {
                    [l] => (0, *l, 1),
                    [s, l] => (*s, *l, if l < s { -1 } else { 1 }),
                    [s, l, st] => (*s, *l, *st),
                    _ => return Err("range takes 1 to 3 integers".into()),
                };
                if step == 0 {
                    return Err("range step must not be zero".into());
                }
                if (step > 0 && start > limit) || (step < 0 && start < limit) {
                    return Err(format!(
                        "range from {start} to {limit} needs a {} step",
                        if step > 0 { "negative" } else { "positive" }
                    ));
                }
                let mut out = Vec::new();
                let mut i = start;
                while (step > 0 && i < limit) || (step < 0 && i > limit) {
                    if out.len() == RANGE_LIMIT {
                        return Err(format!(
                            "range would produce more than {RANGE_LIMIT} values"
                        ));
                    }
                    out.push(Value::Int(i));
                    i = i.checked_add(step).ok_or("range overflows")?;
                }
                Ok(Value::List(out))
            },
        },
        FunctionDef {
            name: "min",
            signature: "min(numbers: int... | list<int>) -> int",
            doc: "The smallest of the given integers (or of one list of integers). At least one value is needed.",
            examples: &[("min(12, 54, 3)", "3"), ("min([4, 2])", "2")],
            check: check_numbers,
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                numbers(args).map(|v| Value::Int(v.into_iter().min().unwrap_or_default()))
            },
        },
        FunctionDef {
            name: "max",
            signature: "max(numbers: int... | list<int>) -> int",
            doc: "The largest of the given integers (or of one list of integers). At least one value is needed.",
            examples: &[("max(12, 54, 3)", "54"), ("max([4, 2])", "4")],
            check: check_numbers,
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                numbers(args).map(|v| Value::Int(v.into_iter().max().unwrap_or_default()))
            },
        },
        FunctionDef {
            name: "contains",
            signature: "contains(list: list<T>, value: T) -> bool",
            doc: "Whether `list` has an element equal to `value`.",
            examples: &[
                ("contains([\"a\", \"b\", \"c\"], \"a\")", "true"),
                ("contains([1, 2], 3)", "false"),
            ],
            check: |args| {
                arity(args, 2, 2)?;
                let elem = match &args[0] {
                    Type::List(e) => e.as_ref().clone(),
                    Type::KnownAfterApply(b) => match b.as_ref() {
                        Type::List(e) => e.as_ref().clone(),
                        _ => Type::Any,
                    },
                    Type::Any => Type::Any,
                    other => return Err(format!("argument 1 must be a list, not {other}")),
                };
                if !args[1].assignable_to(&elem) && !elem.assignable_to(&args[1]) {
                    return Err(format!("value is {}, the list holds {elem}", args[1]));
                }
                Ok(wrap_unknown(args, Type::Bool))
            },
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                let list = args
                    .first()
                    .and_then(Value::as_list)
                    .ok_or("contains takes a list")?;
                let v = args.get(1).ok_or("contains takes a value")?;
                Ok(Value::Bool(list.contains(v)))
            },
        },
        FunctionDef {
            name: "keys",
            signature: "keys(record) -> list<string>",
            doc: "The field names of a record, in lexicographic order.",
            examples: &[(
                "keys({ team = \"platform\", env = \"dev\" })",
                "[\"env\", \"team\"]",
            )],
            check: |args| {
                arity(args, 1, 1)?;
                match &args[0] {
                    Type::Record(_) | Type::Any => Ok(list_of(Type::String)),
                    Type::KnownAfterApply(_) => Ok(wrap_unknown(args, list_of(Type::String))),
                    other => Err(format!("keys takes a record, not {other}")),
                }
            },
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                match args.first() {
                    Some(Value::Record(r)) => Ok(Value::List(
                        r.keys().map(|k| Value::Str(k.clone())).collect(),
                    )),
                    _ => Err("keys takes a record".into()),
                }
            },
        },
    ]
}

fn check_numbers(args: &[Type]) -> Result<Type, String> {
    arity(args, 1, usize::MAX)?;
    if args.len() == 1 && matches!(&args[0], Type::List(_)) {
        expect(args, 0, &list_of(Type::Int), "numbers")?;
    } else {
        for i in 0..args.len() {
            expect(args, i, &Type::Int, "number")?;
        }
    }
    Ok(wrap_unknown(args, Type::Int))
}

fn numbers(args: &[Value]) -> Result<Vec<i64>, String> {
    let items: &[Value] = match args {
        [Value::List(l)] => l,
        other => other,
    };
    if items.is_empty() {
        return Err("needs at least one number".into());
    }
    items
        .iter()
        .map(|v| v.as_int().ok_or_else(|| format!("{v} is not an integer")))
        .collect()
}
