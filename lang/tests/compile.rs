//! End-to-end tests of `lang::compile` against the test catalog: every construct of
//! docs/language.md evaluates as documented.

mod common;
use common::*;
use lang::value::{Address, Value};

fn addr(s: &str) -> Address {
    let mut a = Address::default();
    for part in s.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, ix)) => (n, Some(ix.trim_end_matches(']').parse().unwrap())),
            None => (part, None),
        };
        a = if a.segments.is_empty() {
            let mut t = Address::top(name);
            t.segments[0].index = index;
            t
        } else {
            a.child(name, index)
        };
    }
    a
}

fn field<'p>(p: &'p lang::Program, a: &str, key: &str) -> &'p Value {
    p.resource(&addr(a))
        .unwrap_or_else(|| panic!("no resource {a}"))
        .get(key)
        .unwrap_or_else(|| panic!("{a} has no {key}"))
}

fn s(v: &str) -> Value {
    Value::Str(v.into())
}

#[test]
fn documented_example_compiles() {
    let p = ok(EXAMPLE);
    assert_eq!(p.stack, "capz-dev");
    let order: Vec<String> = p.resources.iter().map(|r| r.address.to_string()).collect();
    assert_eq!(
        order,
        [
            "mgmt",
            "mgmt_net",
            "mgmt_net.nodes",
            "mgmt_aks",
            "mgmt_aks.system"
        ]
    );
    assert_eq!(field(&p, "mgmt", "name"), &s("capz-mgmt-rg"));
    assert_eq!(
        field(&p, "mgmt_net", "location"),
        &s("eastus2"),
        "location defaults to the group's"
    );
    assert_eq!(
        field(&p, "mgmt_net", "name"),
        &s("mgmt_net"),
        "name defaults to the declared name"
    );
    assert_eq!(
        field(&p, "mgmt_aks", "network.plugin"),
        &Value::Enum("azure".into())
    );
    assert_eq!(
        field(&p, "mgmt_aks.system", "autoscale"),
        &Value::Range { start: 1, end: 3 }
    );
    assert_eq!(
        field(&p, "mgmt_aks.system", "subnet"),
        &Value::Ref(addr("mgmt_net.nodes"))
    );
    let pool = p.resource(&addr("mgmt_aks.system")).unwrap();
    assert!(pool.depends_on.contains(&addr("mgmt_net.nodes")));
    assert!(pool.depends_on.contains(&addr("mgmt_aks")));
    assert_eq!(pool.parent, Some(addr("mgmt_aks")));
    assert_eq!(
        p.resource(&addr("mgmt_net")).unwrap().parent,
        Some(addr("mgmt"))
    );
    assert_eq!(
        p.outputs[0].value,
        Value::Unknown {
            of: addr("mgmt_aks"),
            attr: "fqdn".into()
        }
    );
    assert_eq!(p.params[0].value, s("eastus2"));
    assert!(!p.params[0].overridden);
}

#[test]
fn param_overrides_are_parsed_by_type() {
    let src = r#"stack "s"
param location: region = "eastus2"
param n: int = 1
param private: bool = false
param plugin: azure | kubenet = azure
param spaces: list<cidr> = ["10.0.0.0/16"]
param tags: { team: string } = { team = "a" }
group g { location = location  tags = tags }
for i in 0..n { vnet net[i] in g { address_space = spaces } }
"#;
    let p = ok_with(
        src,
        &[
            ("location", "westeurope"),
            ("n", "3"),
            ("private", "true"),
            ("plugin", "kubenet"),
            ("spaces", "10.1.0.0/16,10.2.0.0/16"),
            ("tags", "{ team = \"platform\" }"),
        ],
    );
    assert_eq!(p.of_kind("vnet").count(), 3);
    assert_eq!(field(&p, "net[2]", "name"), &s("net-2"));
    assert_eq!(field(&p, "net[1]", "location"), &s("westeurope"));
    assert_eq!(
        field(&p, "net[0]", "address_space"),
        &Value::List(vec![s("10.1.0.0/16"), s("10.2.0.0/16")])
    );
    let plugin = p.params.iter().find(|x| x.name == "plugin").unwrap();
    assert_eq!(plugin.value, Value::Enum("kubenet".into()));
    assert!(plugin.overridden);
    let tags = field(&p, "g", "tags");
    assert_eq!(tags.to_string(), "{ team = \"platform\" }");
}

#[test]
fn enum_param_flows_into_enum_field() {
    let src = r#"stack "s"
param plugin: azure | kubenet = kubenet
group g { location = "eastus" }
cluster c in g {
  kubernetes_version = "1.30"
  network { plugin = plugin }
  pool sys { mode = system  vm_size = "x" }
}"#;
    let p = ok(src);
    assert_eq!(
        field(&p, "c", "network.plugin"),
        &Value::Enum("kubenet".into())
    );
}

#[test]
fn loops_nested_and_in_bodies() {
    let src = r#"stack "s"
let regions = ["eastus", "westus"]
for r in regions {
  group g[0] { location = r }
}
"#;
    let c = compile(src);
    assert!(
        codes(&c).contains(&"capz::name::duplicate-address"),
        "{:?}",
        codes(&c)
    );

    let src = r#"stack "s"
group g { location = "eastus" }
for i in 0..2 {
  for j in 0..2 {
    vnet net[i * 2 + j] in g {
      address_space = [cidrsubnet("10.0.0.0/8", 8, i * 2 + j)]
      for k in 0..3 {
        subnet s[k] { address_prefix = cidrsubnet(address_space[0], 8, k) }
      }
    }
  }
}
output third = net[3].s[2].address_prefix
"#;
    let p = ok(src);
    assert_eq!(p.of_kind("vnet").count(), 4);
    assert_eq!(p.of_kind("subnet").count(), 12);
    assert_eq!(
        field(&p, "net[3]", "address_space"),
        &Value::List(vec![s("10.3.0.0/16")])
    );
    assert_eq!(
        field(&p, "net[3].s[2]", "address_prefix"),
        &s("10.3.2.0/24")
    );
    assert_eq!(field(&p, "net[3].s[2]", "name"), &s("s-2"));
    assert_eq!(p.outputs[0].value, s("10.3.2.0/24"));
}

#[test]
fn references_to_declared_fields_in_any_order() {
    let src = r#"stack "s"
for i in 0..2 {
  cluster aks[i] in g {
    kubernetes_version = "1.30"
    network { plugin = azure  service_cidr = "172.16.0.0/16" }
    pool sys { mode = system  vm_size = "x"  subnet = wl_net[i].cp }
  }
}
for i in 0..2 {
  vnet wl_net[i] in g {
    address_space = [cidrsubnet("10.128.0.0/9", 7, i)]
    subnet cp { address_prefix = cidrsubnet(address_space[0], 8, 0) }
  }
}
group g { location = "eastus" }
output cp1 = wl_net[1].cp.address_prefix
output svc = aks[0].network.service_cidr
output nets = wl_net
"#;
    let p = ok(src);
    // The group is declared last but comes first (parents before children).
    assert_eq!(p.resources[0].address, addr("g"));
    assert_eq!(
        field(&p, "aks[1].sys", "subnet"),
        &Value::Ref(addr("wl_net[1].cp"))
    );
    assert_eq!(p.outputs[0].value, s("10.129.0.0/24"));
    assert_eq!(p.outputs[1].value, s("172.16.0.0/16"));
    assert_eq!(
        p.outputs[2].value,
        Value::List(vec![
            Value::Ref(addr("wl_net[0]")),
            Value::Ref(addr("wl_net[1]"))
        ])
    );
}

#[test]
fn expressions() {
    let src = r#"stack "capz-${env}"
param n: int = 3
let env = "dev"
let xs = [1, 2, 3,]
let rec = { team = "platform", size = n * 2 }
output arith = (n + 4) * 2 - 10 / 3 % 2
output neg = -n
output cmp = n > 2 && !(n == 4) || false
output cond = if n > 5 { "big" } else if n > 2 { "mid" } else { "small" }
output joined = "a" + "b" + "${n}"
output lists = xs + [4]
output idx = xs[1]
output key = rec.size
output range = 1..n
output escaped = "q\"\\\t\$${env}"
output lowered = lower("ABC")
"#;
    let p = ok(src);
    assert_eq!(p.stack, "capz-dev");
    let out = |n: &str| {
        p.outputs
            .iter()
            .find(|o| o.name == n)
            .unwrap()
            .value
            .clone()
    };
    assert_eq!(out("arith"), Value::Int((3 + 4) * 2 - 10 / 3 % 2));
    assert_eq!(out("neg"), Value::Int(-3));
    assert_eq!(out("cmp"), Value::Bool(true));
    assert_eq!(out("cond"), s("mid"));
    assert_eq!(out("joined"), s("ab3"));
    assert_eq!(
        out("lists"),
        Value::List(vec![
            Value::Int(1),
            Value::Int(2),
            Value::Int(3),
            Value::Int(4)
        ])
    );
    assert_eq!(out("idx"), Value::Int(2));
    assert_eq!(out("key"), Value::Int(6));
    assert_eq!(out("range"), Value::Range { start: 1, end: 3 });
    assert_eq!(out("escaped"), s("q\"\\\t$dev"));
    assert_eq!(out("lowered"), s("abc"));
}

#[test]
fn body_lets_and_string_names_and_comments() {
    let src = r#"# a comment
stack "s" // another
group g { location = "eastus" }
vnet v in g {
  let base = "10.0.0.0/16"
  address_space = [base]  name = "vnet-${lower("A")}"
  for i in 0..2 { subnet "sub-${i}" { address_prefix = cidrsubnet(base, 8, i) } }
}
"#;
    let p = ok(src);
    assert_eq!(field(&p, "v", "name"), &s("vnet-a"));
    assert_eq!(field(&p, "v.sub-1", "address_prefix"), &s("10.0.1.0/24"));
    assert_eq!(field(&p, "v.sub-1", "name"), &s("sub-1"));
}

#[test]
fn unknown_values_propagate() {
    let src = r#"stack "s"
group g { location = "eastus" }
cluster c in g {
  kubernetes_version = "1.30"
  dns_prefix = "x"
  network { plugin = azure }
  pool sys { mode = system  vm_size = "x" }
}
output url = "https://${c.fqdn}:443"
output len = if c.fqdn == "x" { 1 } else { 2 }
"#;
    let p = ok(src);
    for o in &p.outputs {
        assert!(o.value.is_unknown(), "{} = {:?}", o.name, o.value);
        assert!(
            matches!(o.ty, lang::Type::KnownAfterApply(_)),
            "{}: {}",
            o.name,
            o.ty
        );
    }
}

#[test]
fn stdlib_rules_run_on_the_program() {
    let src = r#"stack "s"
group g { location = "eastus" }
cluster c in g { kubernetes_version = "1.30" network { plugin = azure } pool u { mode = user vm_size = "x" } }
"#;
    let c = compile(src);
    assert_eq!(codes(&c), ["capz::test::system-pool"]);
    assert!(c.program.is_none());
}
