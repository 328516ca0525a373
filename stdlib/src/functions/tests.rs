//! Every documented example is parsed, type-checked and evaluated, and compared with its
//! documented result (as capz prints values).

use super::all;
use lang::types::Type;
use lang::value::{Address, Value};
use std::collections::BTreeMap;

/// Minimal parser for the literal calls of the examples: `name(arg, ...)` with strings,
/// integers, booleans, lists and records.
struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn ident(&mut self) -> String {
        self.ws();
        let st = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        String::from_utf8(self.s[st..self.i].to_vec()).unwrap()
    }
    fn value(&mut self) -> Value {
        self.ws();
        match self.s[self.i] {
            b'"' => {
                self.i += 1;
                let mut out = String::new();
                loop {
                    let c = self.s[self.i];
                    self.i += 1;
                    match c {
                        b'"' => break,
                        b'\\' => {
                            let e = self.s[self.i];
                            self.i += 1;
                            out.push(match e {
                                b'n' => '\n',
                                b't' => '\t',
                                other => other as char,
                            });
                        }
                        other => out.push(other as char),
                    }
                }
                Value::Str(out)
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                while !self.eat(b']') {
                    items.push(self.value());
                    self.eat(b',');
                }
                Value::List(items)
            }
            b'{' => {
                self.i += 1;
                let mut m = BTreeMap::new();
                while !self.eat(b'}') {
                    let k = self.ident();
                    assert!(self.eat(b'='));
                    let v = self.value();
                    m.insert(k, v);
                    self.eat(b',');
                }
                Value::Record(m)
            }
            b'-' | b'0'..=b'9' => {
                let st = self.i;
                self.i += 1;
                while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                    self.i += 1;
                }
                Value::Int(
                    std::str::from_utf8(&self.s[st..self.i])
                        .unwrap()
                        .parse()
                        .unwrap(),
                )
            }
            _ => match self.ident().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                w => panic!("unexpected word {w}"),
            },
        }
    }
    fn call(src: &str) -> (String, Vec<Value>) {
        let mut p = P {
            s: src.as_bytes(),
            i: 0,
        };
        let name = p.ident();
        assert!(p.eat(b'('), "{src}");
        let mut args = Vec::new();
        while !p.eat(b')') {
            args.push(p.value());
            p.eat(b',');
        }
        p.ws();
        assert_eq!(p.i, src.len(), "trailing input in {src}");
        (name, args)
    }
}

/// The type the checker gives a literal (strings that parse as CIDRs/IPs get those types).
fn type_of(v: &Value) -> Type {
    match v {
        Value::Int(_) => Type::Int,
        Value::Bool(_) => Type::Bool,
        Value::Str(s) if s.parse::<ipnet::IpNet>().is_ok() => Type::Cidr,
        Value::Str(s) if s.parse::<std::net::IpAddr>().is_ok() => Type::Ip,
        Value::Str(_) | Value::Enum(_) => Type::String,
        Value::List(l) => Type::List(Box::new(l.first().map_or(Type::Any, type_of))),
        Value::Record(r) => Type::Record(r.iter().map(|(k, v)| (k.clone(), type_of(v))).collect()),
        _ => Type::Any,
    }
}

#[test]
fn every_example_evaluates_to_its_documented_result() {
    let fns = all();
    let mut count = 0;
    for f in &fns {
        assert!(!f.examples.is_empty(), "{} has no example", f.name);
        assert!(!f.doc.is_empty() && f.signature.starts_with(f.name));
        for (call, want) in f.examples {
            let (name, args) = P::call(call);
            assert_eq!(name, f.name, "example {call} calls another function");
            let types: Vec<Type> = args.iter().map(type_of).collect();
            let ty = (f.check)(&types).unwrap_or_else(|e| panic!("{call}: check failed: {e}"));
            let got = (f.eval)(&args).unwrap_or_else(|e| panic!("{call}: eval failed: {e}"));
            assert_eq!(got.to_string(), *want, "{call}");
            assert!(
                type_of(&got).assignable_to(&ty)
                    || matches!(got, Value::List(ref l) if l.is_empty()),
                "{call}: result {got} does not fit checked type {ty}"
            );
            count += 1;
        }
    }
    assert!(count >= 30);
    let names: Vec<_> = fns.iter().map(|f| f.name).collect();
    for n in [
        "cidrsubnet",
        "cidrhost",
        "cidrnetmask",
        "lower",
        "upper",
        "format",
        "join",
        "split",
        "length",
        "concat",
        "range",
        "min",
        "max",
        "contains",
        "keys",
    ] {
        assert!(names.contains(&n), "missing {n}");
    }
}

fn eval(call: &str) -> Result<Value, String> {
    let (name, args) = P::call(call);
    let f = all().into_iter().find(|f| f.name == name).unwrap();
    (f.eval)(&args)
}

#[test]
fn errors_are_messages_not_panics() {
    for bad in [
        "cidrsubnet(\"10.0.0.0/30\", 4, 0)",
        "cidrsubnet(\"10.0.0.0/16\", 2, 4)",
        "cidrsubnet(\"10.0.0.0/16\", -1, 0)",
        "cidrsubnet(\"10.0.0.0/16\", 8, -1)",
        "cidrsubnet(\"not a cidr\", 8, 1)",
        "cidrhost(\"10.0.0.0/30\", 4)",
        "cidrhost(\"10.0.0.0/30\", -5)",
        "cidrnetmask(\"fd00::/64\")",
        "format(\"%d\", \"x\")",
        "format(\"%s %s\", \"x\")",
        "format(\"%s\", \"x\", \"y\")",
        "format(\"50%\")",
        "split(\"\", \"abc\")",
        "range(1, 2, 0)",
        "range(5, 1, 1)",
        "range(2000)",
        "min()",
        "keys([1])",
    ] {
        assert!(eval(bad).is_err(), "{bad} should fail");
    }
    assert_eq!(
        eval("cidrhost(\"10.0.0.0/30\", -4)").unwrap().to_string(),
        "\"10.0.0.0\""
    );
    assert_eq!(
        eval("cidrhost(\"fd00::/0\", -1)").unwrap().to_string(),
        "\"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\""
    );
    assert_eq!(
        eval("cidrsubnet(\"10.1.2.3/16\", 0, 0)")
            .unwrap()
            .to_string(),
        "\"10.1.0.0/16\""
    );
    assert_eq!(eval("range(1024)").unwrap().as_list().unwrap().len(), 1024);
}

#[test]
fn checks_reject_wrong_types_and_propagate_unknown() {
    let f = |n: &str| all().into_iter().find(|f| f.name == n).unwrap();
    assert!((f("cidrsubnet").check)(&[Type::Int, Type::Int, Type::Int]).is_err());
    assert!((f("cidrsubnet").check)(&[Type::Cidr, Type::Int]).is_err());
    assert!((f("lower").check)(&[Type::Int]).is_err());
    assert!(
        (f("concat").check)(&[
            Type::List(Box::new(Type::Int)),
            Type::List(Box::new(Type::String))
        ])
        .is_err()
    );
    assert!((f("contains").check)(&[Type::List(Box::new(Type::Int)), Type::String]).is_err());
    assert!((f("length").check)(&[Type::Bool]).is_err());
    let kaa = Type::KnownAfterApply(Box::new(Type::Cidr));
    assert_eq!(
        (f("cidrhost").check)(&[kaa, Type::Int]).unwrap(),
        Type::KnownAfterApply(Box::new(Type::Ip))
    );
    let u = Value::Unknown {
        of: Address::top("lb"),
        attr: "private_ip".into(),
    };
    assert_eq!(
        (f("cidrhost").eval)(&[u.clone(), Value::Int(1)]).unwrap(),
        u
    );
    assert_eq!(
        (f("join").eval)(&[Value::Str(",".into()), Value::List(vec![u.clone()])]).unwrap(),
        u
    );
}
