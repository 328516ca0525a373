//! Built-in functions, with Terraform's semantics for the functions of the same name
//! (<https://developer.hashicorp.com/terraform/language/functions>). Each
//! [`FunctionDef`] carries its type rule, its evaluation and documented examples; a test
//! evaluates every example and compares it with the documented result.
//!
//! Values known only after apply pass through: a call with an unknown argument evaluates
//! to that unknown value, and its type is `known after apply`.

pub mod cidr;
pub mod collections;
pub mod strings;

use lang::schema::FunctionDef;
use lang::types::Type;
use lang::value::Value;

/// Every built-in function.
pub fn all() -> Vec<FunctionDef> {
    let mut v = cidr::defs();
    v.extend(strings::defs());
    v.extend(collections::defs());
    v
}

/// Check the number of arguments.
pub(crate) fn arity(args: &[Type], min: usize, max: usize) -> Result<(), String> {
    if args.len() < min || args.len() > max {
        let want = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(format!("takes {want} argument(s), got {}", args.len()));
    }
    Ok(())
}

/// Check that argument `i` fits `ty`.
pub(crate) fn expect(args: &[Type], i: usize, ty: &Type, what: &str) -> Result<(), String> {
    match args.get(i) {
        Some(t) if t.assignable_to(ty) => Ok(()),
        // A plain string may hold a CIDR or IP; the evaluator checks its format.
        Some(Type::String) if matches!(ty, Type::Cidr | Type::Ip) => Ok(()),
        Some(t) => Err(format!("{what} (argument {}) must be {ty}, not {t}", i + 1)),
        None => Err(format!("missing argument {what}")),
    }
}

/// `ty`, or `ty (known after apply)` when any argument is known only after apply.
pub(crate) fn wrap_unknown(args: &[Type], ty: Type) -> Type {
    fn unknown(t: &Type) -> bool {
        match t {
            Type::KnownAfterApply(_) => true,
            Type::List(e) => unknown(e),
            Type::Record(fs) => fs.iter().any(|(_, t)| unknown(t)),
            _ => false,
        }
    }
    if args.iter().any(unknown) {
        Type::KnownAfterApply(Box::new(ty))
    } else {
        ty
    }
}

/// The first value known only after apply inside the arguments, if any.
pub(crate) fn unknown_arg(args: &[Value]) -> Option<Value> {
    fn find(v: &Value) -> Option<&Value> {
        match v {
            Value::Unknown { .. } => Some(v),
            Value::List(l) => l.iter().find_map(find),
            Value::Record(r) => r.values().find_map(find),
            _ => None,
        }
    }
    args.iter().find_map(find).cloned()
}

#[cfg(test)]
mod tests;
