//! Evaluated values and resource addresses.

use std::collections::BTreeMap;
use std::fmt;

/// One step of a resource address: a declared name and, inside `for`, an index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Segment {
    /// The name as declared, e.g. `wl_net`.
    pub name: String,
    /// `Some(i)` for `wl_net[i]` declared inside a `for`.
    pub index: Option<i64>,
}

/// Where a resource sits in the program: top-level name, then nested child names.
/// Displays as `mgmt_net`, `wl_net[0].control_plane`, `aks.system`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Address {
    /// Outermost first.
    pub segments: Vec<Segment>,
}

impl Address {
    /// A top-level address `name` (no index).
    pub fn top(name: impl Into<String>) -> Self {
        Address {
            segments: vec![Segment {
                name: name.into(),
                index: None,
            }],
        }
    }

    /// This address with one more segment.
    pub fn child(&self, name: impl Into<String>, index: Option<i64>) -> Self {
        let mut a = self.clone();
        a.segments.push(Segment {
            name: name.into(),
            index,
        });
        a
    }

    /// The enclosing address, if nested.
    pub fn parent(&self) -> Option<Address> {
        if self.segments.len() < 2 {
            return None;
        }
        let mut a = self.clone();
        a.segments.pop();
        Some(a)
    }

    /// The last segment's name.
    pub fn leaf(&self) -> &str {
        self.segments.last().map_or("", |s| s.name.as_str())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                write!(f, ".")?;
            }
            write!(f, "{}", s.name)?;
            if let Some(ix) = s.index {
                write!(f, "[{ix}]")?;
            }
        }
        Ok(())
    }
}

/// An evaluated capz value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Integer.
    Int(i64),
    /// Boolean.
    Bool(bool),
    /// String (also CIDRs, IPs and regions: their type lives in the checked program).
    Str(String),
    /// An enum word as the user wrote it, e.g. `calico` (ARM spelling comes from the field's type).
    Enum(String),
    /// List.
    List(Vec<Value>),
    /// Record, fields sorted by name.
    Record(BTreeMap<String, Value>),
    /// `start..end` as written (a `for` iterates it half-open; autoscale reads it as min..max).
    Range {
        /// Left end.
        start: i64,
        /// Right end.
        end: i64,
    },
    /// A reference to a declared resource; the planner turns it into the ARM resource ID.
    Ref(Address),
    /// A value ARM assigns when `of` is applied: attribute `attr` (e.g. `fqdn`).
    Unknown {
        /// The resource that will have it.
        of: Address,
        /// The attribute name, e.g. `fqdn`, `private_ip`.
        attr: String,
    },
}

impl Value {
    /// The string inside `Str` or `Enum`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) | Value::Enum(s) => Some(s),
            _ => None,
        }
    }

    /// The integer inside `Int`.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The items of a `List`.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The resources this value refers to, in order, repeats kept: each `Ref`'s address
    /// and, when `unknowns`, the resource each `Unknown` waits for (`aks` of `aks.fqdn`).
    pub fn resources(&self, unknowns: bool) -> Vec<&Address> {
        fn walk<'v>(v: &'v Value, unknowns: bool, out: &mut Vec<&'v Address>) {
            match v {
                Value::Ref(a) => out.push(a),
                Value::Unknown { of, .. } if unknowns => out.push(of),
                Value::List(l) => l.iter().for_each(|x| walk(x, unknowns, out)),
                Value::Record(r) => r.values().for_each(|x| walk(x, unknowns, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(self, unknowns, &mut out);
        out
    }

    /// True if this value or anything inside it is known only after apply.
    pub fn is_unknown(&self) -> bool {
        match self {
            Value::Unknown { .. } => true,
            Value::List(l) => l.iter().any(Value::is_unknown),
            Value::Record(r) => r.values().any(Value::is_unknown),
            _ => false,
        }
    }
}

impl fmt::Display for Value {
    /// capz surface syntax: `"text"`, `42`, `true`, `calico`, `[a, b]`, `{ k = v }`, `1..3`,
    /// a reference as its address, an unknown as `(known after apply)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Enum(s) => write!(f, "{s}"),
            Value::List(l) => {
                write!(f, "[")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{v}")?;
                }
                write!(f, "]")
            }
            Value::Record(r) => {
                write!(f, "{{")?;
                for (i, (k, v)) in r.iter().enumerate() {
                    if i > 0 {
                        write!(f, ",")?;
                    }
                    write!(f, " {k} = {v}")?;
                }
                write!(f, " }}")
            }
            Value::Range { start, end } => write!(f, "{start}..{end}"),
            Value::Ref(a) => write!(f, "{a}"),
            Value::Unknown { .. } => write!(f, "(known after apply)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_walks_lists_and_records_and_unknowns_on_request() {
        let net = Address::top("net").child("nodes", None);
        let aks = Address::top("aks");
        let v = Value::List(vec![
            Value::Ref(net.clone()),
            Value::Record(BTreeMap::from([(
                "ip".to_string(),
                Value::Unknown {
                    of: aks.clone(),
                    attr: "fqdn".into(),
                },
            )])),
            Value::Str("x".into()),
        ]);
        assert_eq!(v.resources(false), vec![&net]);
        assert_eq!(v.resources(true), vec![&net, &aks]);
    }
}
