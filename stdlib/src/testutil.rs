//! Hand-built programs for unit tests (lang::compile is written in parallel).

use lang::program::{FieldValue, Program, Resource};
use lang::source::Span;
use lang::value::{Address, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A program under construction; each field gets a distinct span so tests can check labels.
pub struct Builder {
    pub program: Program,
    next: usize,
}

impl Builder {
    pub fn new() -> Self {
        Builder {
            program: Program::new(
                "test".into(),
                Span::new(0, 0, 1),
                Vec::new(),
                Vec::new(),
                Vec::new(),
            ),
            next: 10,
        }
    }

    fn span(&mut self) -> Span {
        let s = Span::new(0, self.next, self.next + 5);
        self.next += 10;
        s
    }

    /// Add a resource at `address` (dotted, e.g. `net.nodes`) with `fields`.
    pub fn add(
        &mut self,
        kind: &'static str,
        address: &str,
        parent: Option<&str>,
        fields: Vec<(&str, Value)>,
    ) -> &mut Self {
        let addr = addr(address);
        let span = self.span();
        let mut map = BTreeMap::new();
        let name = fields
            .iter()
            .find(|(k, _)| *k == "name")
            .and_then(|(_, v)| v.as_str().map(str::to_string))
            .unwrap_or_else(|| addr.leaf().to_string());
        map.insert(
            "name".to_string(),
            FieldValue::new(Value::Str(name.clone()), span),
        );
        for (k, v) in fields {
            let s = self.span();
            map.insert(k.to_string(), FieldValue::new(v, s));
        }
        self.program.resources.push(Resource {
            kind,
            address: addr,
            name,
            parent: parent.map(self::addr),
            fields: map,
            span,
            depends_on: BTreeSet::new(),
            existing: false,
        });
        self
    }

    /// The resource at `address`.
    pub fn res(&self, address: &str) -> &Resource {
        self.program.resource(&addr(address)).unwrap()
    }

    /// The span of field `key` of resource `address`.
    pub fn span_of(&self, address: &str, key: &str) -> Span {
        lang::schema::field_span(self.res(address), key)
    }
}

/// Parse `a.b[1].c` into an address.
pub fn addr(s: &str) -> Address {
    let mut a = Address::default();
    for part in s.split('.') {
        match part.split_once('[') {
            Some((n, ix)) => a = a.child(n, ix.trim_end_matches(']').parse().ok()),
            None => a = a.child(part, None),
        }
    }
    a
}

pub fn s(v: &str) -> Value {
    Value::Str(v.into())
}

pub fn e(v: &str) -> Value {
    Value::Enum(v.into())
}

pub fn strs(v: &[&str]) -> Value {
    Value::List(v.iter().map(|x| s(x)).collect())
}

pub fn r(v: &str) -> Value {
    Value::Ref(addr(v))
}

/// A valid program: group, vnet with two subnets, cluster with a system and a user pool.
pub fn base() -> Builder {
    let mut b = Builder::new();
    b.add("group", "g", None, vec![("location", s("eastus2"))]);
    b.add(
        "vnet",
        "net",
        Some("g"),
        vec![
            ("location", s("eastus2")),
            ("address_space", strs(&["10.0.0.0/16"])),
        ],
    );
    b.add(
        "subnet",
        "net.nodes",
        Some("net"),
        vec![("address_prefix", s("10.0.0.0/22"))],
    );
    b.add(
        "subnet",
        "net.other",
        Some("net"),
        vec![("address_prefix", s("10.0.4.0/24"))],
    );
    b.add(
        "cluster",
        "aks",
        Some("g"),
        vec![
            ("location", s("eastus2")),
            ("kubernetes_version", s("1.30")),
            ("dns_prefix", s("capz-mgmt")),
            ("network.plugin", e("azure")),
            ("network.service_cidr", s("172.16.0.0/16")),
            ("network.dns_service_ip", s("172.16.0.10")),
        ],
    );
    b.add(
        "pool",
        "aks.system",
        Some("aks"),
        vec![
            ("mode", e("system")),
            ("vm_size", s("Standard_D4s_v3")),
            ("autoscale", Value::Range { start: 1, end: 3 }),
            ("subnet", r("net.nodes")),
        ],
    );
    b.add(
        "pool",
        "aks.user",
        Some("aks"),
        vec![
            ("mode", e("user")),
            ("vm_size", s("Standard_D4s_v3")),
            ("count", Value::Int(2)),
            ("subnet", r("net.nodes")),
        ],
    );
    b
}
