//! Real `.capz` programs through `lang::compile` with the stdlib catalog: the language
//! reference's example compiles cleanly, and a broken twin reports the rules' codes at the
//! right places.

use lang::source::{NoLoader, SourceFile};

fn compile(src: &str) -> lang::Compiled {
    lang::compile(
        SourceFile::new("test.capz", src),
        &NoLoader,
        stdlib::catalog(),
        &[],
    )
}

fn codes(c: &lang::Compiled) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.code).collect()
}

const GOOD: &str = r#"
stack "capz-dev"

param location: region = "eastus2"

group mgmt {
  name     = "capz-mgmt-rg"
  location = location
}

vnet mgmt_net in mgmt {
  address_space = ["10.0.0.0/16"]
  subnet nodes { address_prefix = "10.0.0.0/22" }
  subnet other { address_prefix = cidrsubnet("10.0.0.0/16", 8, 4) }
}

cluster mgmt_aks in mgmt {
  kubernetes_version = "1.30"
  dns_prefix         = "capz-mgmt"
  sku_tier           = standard
  network {
    plugin         = azure
    policy         = calico
    service_cidr   = "172.16.0.0/16"
    dns_service_ip = cidrhost("172.16.0.0/16", 10)
  }
  pool system {
    mode      = system
    vm_size   = "Standard_D4s_v3"
    autoscale = 1..3
    subnet    = mgmt_net.nodes
  }
}

output mgmt_fqdn = mgmt_aks.fqdn
"#;

#[test]
fn reference_example_compiles_clean() {
    let c = compile(GOOD);
    assert!(
        c.diagnostics.is_empty(),
        "{}",
        lang::diagnostic::render(&c.sources, &c.diagnostics)
    );
    let p = c.program.expect("program");
    let other = p
        .resources
        .iter()
        .find(|r| r.address.to_string() == "mgmt_net.other")
        .expect("subnet other");
    assert_eq!(
        other.get("address_prefix").and_then(|v| v.as_str()),
        Some("10.0.4.0/24")
    );
}

#[test]
fn broken_twin_reports_rule_codes_at_fields() {
    let src = GOOD
        .replace("cidrhost(\"172.16.0.0/16\", 10)", "\"10.0.0.10\"")
        .replace("cidrsubnet(\"10.0.0.0/16\", 8, 4)", "\"10.0.2.0/24\"")
        .replace("mode      = system", "mode      = user");
    let c = compile(&src);
    let got = codes(&c);
    for want in [
        "capz::cidr::outside-service-cidr",
        "capz::cidr::subnet-overlap",
        "capz::cluster::no-system-pool",
    ] {
        assert!(got.contains(&want), "missing {want} in {got:?}");
    }
    assert!(c.program.is_none());
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == "capz::cidr::outside-service-cidr")
        .expect("dns diagnostic");
    let span = d.primary_span().expect("span");
    assert_eq!(c.sources.snippet(span), "\"10.0.0.10\"");
    let rendered = lang::diagnostic::render(&c.sources, &c.diagnostics);
    assert!(rendered.contains("not inside 172.16.0.0/16"), "{rendered}");
    let overlap = c
        .diagnostics
        .iter()
        .find(|d| d.code == "capz::cidr::subnet-overlap")
        .expect("overlap");
    assert_eq!(overlap.labels.len(), 2);
    assert_eq!(c.sources.snippet(overlap.labels[1].span), "\"10.0.0.0/22\"");
}

#[test]
fn further_kinds_compile() {
    let src = r#"
stack "capz-dev"

group g { location = "eastus2" }

vnet net in g {
  address_space = ["10.0.0.0/16"]
  subnet nodes {
    address_prefix = "10.0.0.0/22"
    nsg = api
  }
}

nsg api in g {
  rule apiserver { priority = 100  direction = inbound  access = allow  protocol = tcp  destination_ports = [443, 6443] }
  rule dns       { priority = 110  direction = outbound access = allow  protocol = udp  destination_ports = [53] }
}

public_ip egress in g {
  sku        = standard
  allocation = static
}

identity flux in g {
  federated_credential kustomize {
    issuer  = "https://oidc.example/issuer"
    subject = "system:serviceaccount:flux-system:kustomize-controller"
  }
}

private_dns_zone zone in g {
  name = "eastus2.cloudapp.azure.com"
  link net_link { vnet = net }
  a_record "wl-0-apiserver" { ttl = 300  ipv4 = ["10.0.1.100"] }
}
"#;
    let c = compile(src);
    assert!(
        !lang::diagnostic::has_errors(&c.diagnostics),
        "{}",
        lang::diagnostic::render(&c.sources, &c.diagnostics)
    );
    let p = c.program.expect("program");
    assert_eq!(p.resources.len(), 12);
}

/// Inline parts of a load balancer are elements of its body: each element carries only
/// `name` and `properties` (loadBalancer.json: BackendAddressPool, FrontendIPConfiguration,
/// Probe, LoadBalancingRule have no `sku`), while the load balancer itself gets
/// `sku.name = Standard` when the program leaves it out.
#[test]
fn load_balancer_parts_carry_no_fixed_body_of_their_parent() {
    let c = compile(
        r#"
stack "lb"
group rg { location = "eastus2" }
vnet net in rg {
  address_space = ["10.0.0.0/16"]
  subnet cp { address_prefix = "10.0.1.0/24" }
}
load_balancer ilb in rg {
  frontend api { subnet = net.cp  private_ip = "10.0.1.100" }
  backend_pool cp {}
  probe healthz { protocol = tcp  port = 6443 }
  rule apiserver { frontend = api  backend_pool = cp  probe = healthz  protocol = tcp  frontend_port = 6443  backend_port = 6443 }
}
"#,
    );
    let program = c.program.unwrap_or_else(|| panic!("{:?}", c.diagnostics));
    let cat = stdlib::catalog();
    let ids = |a: &lang::Address| stdlib::arm::resource_id(cat, &program, "sub", a);
    let lb = program
        .resources
        .iter()
        .find(|r| r.kind == "load_balancer")
        .expect("the load balancer");
    let lb_kind = cat.kind("load_balancer").expect("kind");
    let mut body = stdlib::arm::to_body(lb_kind, lb, "lb", &ids);
    assert_eq!(body["sku"]["name"], "Standard");
    let parts: Vec<&lang::Resource> = program
        .resources
        .iter()
        .filter(|r| r.parent.as_ref() == Some(&lb.address))
        .collect();
    assert_eq!(parts.len(), 4);
    stdlib::arm::write_inline_parts(cat, lb_kind, &parts, "lb", &ids, &mut body);
    for array in [
        "frontendIPConfigurations",
        "backendAddressPools",
        "probes",
        "loadBalancingRules",
    ] {
        let items = body["properties"][array].as_array().expect(array);
        assert_eq!(items.len(), 1, "{array}");
        let keys: Vec<&String> = items[0].as_object().expect("object").keys().collect();
        assert!(
            keys.iter().all(|k| *k == "name" || *k == "properties"),
            "{array} element has {keys:?}"
        );
    }
}
