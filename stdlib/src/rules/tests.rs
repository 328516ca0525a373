//! One failing case and one valid twin per rule, on hand-built programs.

use crate::catalog;
use crate::testutil::{Builder, base, e, r, s, strs};
use lang::diagnostic::{Diagnostic, Severity};
use lang::program::FieldValue;
use lang::value::Value;

fn run(code: &str, b: &Builder) -> Vec<Diagnostic> {
    let rule = catalog()
        .rules
        .iter()
        .find(|r| r.code == code)
        .unwrap_or_else(|| panic!("no rule {code}"));
    let ds = (rule.check)(&b.program, catalog());
    for d in &ds {
        assert_eq!(d.code, code, "rule {code} emitted {}", d.code);
        assert!(
            d.labels.first().is_some_and(|l| l.primary),
            "{code}: primary label first"
        );
        assert!(d.help.is_some(), "{code}: no help");
    }
    ds
}

/// Set (or replace) a field of the resource at `address`.
fn set(b: &mut Builder, address: &str, key: &str, v: Value) {
    let a = crate::testutil::addr(address);
    let span = lang::Span::new(0, 900 + key.len(), 905 + key.len());
    let res = b
        .program
        .resources
        .iter_mut()
        .find(|x| x.address == a)
        .unwrap();
    res.fields.insert(key.into(), FieldValue::new(v, span));
}

fn unset(b: &mut Builder, address: &str, key: &str) {
    let a = crate::testutil::addr(address);
    let res = b
        .program
        .resources
        .iter_mut()
        .find(|x| x.address == a)
        .unwrap();
    res.fields.remove(key);
}

/// The base program passes every rule.
#[test]
fn base_program_is_clean() {
    let b = base();
    for rule in &catalog().rules {
        let ds = (rule.check)(&b.program, catalog());
        assert!(ds.is_empty(), "{}: {:?}", rule.code, ds);
    }
}

#[test]
fn rule_metadata() {
    let mut seen = std::collections::BTreeSet::new();
    for rule in &catalog().rules {
        assert!(seen.insert(rule.code), "duplicate code {}", rule.code);
        let parts: Vec<&str> = rule.code.split("::").collect();
        assert_eq!(parts.len(), 3, "{}", rule.code);
        assert_eq!(parts[0], "capz");
        for p in &parts[1..] {
            assert!(
                !p.is_empty()
                    && !p.starts_with('-')
                    && !p.ends_with('-')
                    && p.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab case",
                rule.code
            );
        }
        assert!(!rule.summary.is_empty());
        assert!(
            rule.explanation.contains("Source:")
                && (rule.explanation.contains("learn.microsoft.com")
                    || rule.explanation.contains(".json")),
            "{} explanation names no Azure source",
            rule.code
        );
        assert!(
            lang::codes::lookup(rule.code).is_none(),
            "{} clashes with a language code",
            rule.code
        );
    }
}

#[test]
fn misaligned() {
    let c = "capz::cidr::misaligned";
    let mut b = base();
    set(&mut b, "net.nodes", "address_prefix", s("10.0.1.0/22"));
    let ds = run(c, &b);
    assert_eq!(ds.len(), 1);
    assert_eq!(
        ds[0].primary_span(),
        Some(b.span_of("net.nodes", "address_prefix"))
    );
    assert!(ds[0].help.as_deref().unwrap().contains("10.0.0.0/22"));
    set(&mut b, "net.nodes", "address_prefix", s("10.0.0.0/22"));
    set(
        &mut b,
        "net",
        "address_space",
        strs(&["10.0.0.0/16", "10.1.0.1/16"]),
    );
    assert_eq!(run(c, &b).len(), 1);
    assert!(run(c, &base()).is_empty());
}

#[test]
fn subnet_outside_vnet() {
    let c = "capz::cidr::subnet-outside-vnet";
    let mut b = base();
    set(&mut b, "net.other", "address_prefix", s("10.1.0.0/24"));
    let ds = run(c, &b);
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].labels.len(), 2);
    assert_eq!(ds[0].labels[1].span, b.span_of("net", "address_space"));
    set(
        &mut b,
        "net",
        "address_space",
        strs(&["10.0.0.0/16", "10.1.0.0/16"]),
    );
    assert!(run(c, &b).is_empty());
}

#[test]
fn subnet_overlap() {
    let c = "capz::cidr::subnet-overlap";
    let mut b = base();
    set(&mut b, "net.other", "address_prefix", s("10.0.2.0/24"));
    let ds = run(c, &b);
    assert_eq!(ds.len(), 1);
    assert_eq!(
        ds[0].primary_span(),
        Some(b.span_of("net.other", "address_prefix"))
    );
    assert_eq!(
        ds[0].labels[1].span,
        b.span_of("net.nodes", "address_prefix")
    );
    assert!(run(c, &base()).is_empty());
}

#[test]
fn outside_service_cidr() {
    let c = "capz::cidr::outside-service-cidr";
    let mut b = base();
    set(&mut b, "aks", "network.dns_service_ip", s("10.0.0.10"));
    let ds = run(c, &b);
    assert_eq!(ds.len(), 1);
    assert_eq!(
        ds[0].message,
        "dns_service_ip 10.0.0.10 is not inside service_cidr 172.16.0.0/16"
    );
    assert_eq!(
        ds[0].help.as_deref(),
        Some("AKS gives kube-dns an address from the service CIDR, e.g. 172.16.0.10")
    );
    // Both defaults: fine. Only the service CIDR set: the default DNS IP is outside it.
    unset(&mut b, "aks", "network.dns_service_ip");
    unset(&mut b, "aks", "network.service_cidr");
    assert!(run(c, &b).is_empty());
    set(&mut b, "aks", "network.service_cidr", s("172.16.0.0/16"));
    assert_eq!(run(c, &b).len(), 1);
    assert!(run(c, &base()).is_empty());
}

#[test]
fn dns_service_ip_first_address() {
    let c = "capz::cidr::dns-service-ip-first-address";
    let mut b = base();
    set(&mut b, "aks", "network.dns_service_ip", s("172.16.0.0"));
    let ds = run(c, &b);
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].labels[0].message, "the network address of the range");
    // .1 is the kubernetes service itself.
    set(&mut b, "aks", "network.dns_service_ip", s("172.16.0.1"));
    let ds = run(c, &b);
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].labels[0].message, "used by the kubernetes service");
    set(&mut b, "aks", "network.dns_service_ip", s("172.16.0.2"));
    assert!(run(c, &b).is_empty());
    assert!(run(c, &base()).is_empty());
}

#[test]
fn service_cidr_overlaps_subnet_or_vnet() {
    let sub = "capz::cidr::service-cidr-overlaps-subnet";
    let space = "capz::cidr::service-cidr-overlaps-vnet";
    let mut b = base();
    set(&mut b, "aks", "network.service_cidr", s("10.0.4.0/24"));
    set(&mut b, "aks", "network.dns_service_ip", s("10.0.4.10"));
    let ds = run(sub, &b);
    assert_eq!(ds.len(), 1);
    // The overlapping subnet is the secondary label; no pool uses it.
    assert_eq!(
        ds[0].labels[1].span,
        b.span_of("net.other", "address_prefix")
    );
    assert!(ds[0].labels[1].message.contains("a subnet of net"));
    // A subnet overlap is an error only, not also the warning.
    assert!(run(space, &b).is_empty());
    // Inside the address space but no subnet: a warning, not an error (AKS accepts it).
    set(&mut b, "aks", "network.service_cidr", s("10.0.128.0/24"));
    assert!(run(sub, &b).is_empty());
    let ds = run(space, &b);
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].severity, Severity::Warning);
    assert_eq!(ds[0].labels[1].span, b.span_of("net", "address_space"));
    // The AKS default 10.0.0.0/16 collides with the nodes subnet, which the pools use.
    unset(&mut b, "aks", "network.service_cidr");
    unset(&mut b, "aks", "network.dns_service_ip");
    let ds = run(sub, &b);
    assert_eq!(ds.len(), 1);
    assert!(ds[0].message.contains("(the AKS default)"));
    assert!(
        ds[0].labels[1]
            .message
            .contains("pools aks.system, aks.user"),
        "{}",
        ds[0].labels[1].message
    );
    assert!(run(sub, &base()).is_empty());
    assert!(run(space, &base()).is_empty());
}

#[test]
fn pod_cidr_overlaps_vnet() {
    let c = "capz::cidr::pod-cidr-overlaps-vnet";
    let mut b = base();
    set(&mut b, "aks", "network.plugin_mode", e("overlay"));
    set(&mut b, "aks", "network.pod_cidr", s("10.0.128.0/17"));
    assert_eq!(run(c, &b).len(), 1);
    set(&mut b, "aks", "network.pod_cidr", s("192.168.0.0/16"));
    assert!(run(c, &b).is_empty());
    // Plain Azure CNI: pods use the subnet, no pod CIDR.
    assert!(run(c, &base()).is_empty());
}

#[test]
fn service_pod_overlap() {
    let c = "capz::cidr::service-pod-overlap";
    let mut b = base();
    set(&mut b, "aks", "network.plugin", e("kubenet"));
    set(&mut b, "aks", "network.pod_cidr", s("172.16.128.0/17"));
    let ds = run(c, &b);
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].labels.len(), 2);
    set(&mut b, "aks", "network.pod_cidr", s("192.168.0.0/16"));
    assert!(run(c, &b).is_empty());
}

#[test]
fn no_system_pool() {
    let c = "capz::cluster::no-system-pool";
    let mut b = base();
    set(&mut b, "aks.system", "mode", e("user"));
    let ds = run(c, &b);
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].primary_span(), Some(b.res("aks").span));
    assert!(run(c, &base()).is_empty());
}

#[test]
fn dns_prefix_format() {
    let c = "capz::cluster::dns-prefix-format";
    for bad in ["-capz", "capz-", "capz_mgmt", "", &"a".repeat(55)] {
        let mut b = base();
        set(&mut b, "aks", "dns_prefix", s(bad));
        assert_eq!(run(c, &b).len(), 1, "{bad:?}");
    }
    let mut b = base();
    set(&mut b, "aks", "dns_prefix", s(&"a".repeat(54)));
    assert!(run(c, &b).is_empty());
    assert!(run(c, &base()).is_empty());
}

#[test]
fn kubernetes_version_format() {
    let c = "capz::cluster::kubernetes-version-format";
    let mut b = base();
    set(&mut b, "aks", "kubernetes_version", s("v1.30"));
    set(&mut b, "aks.user", "orchestrator_version", s("1"));
    let ds = run(c, &b);
    assert_eq!(ds.len(), 2);
    assert!(ds[0].help.as_deref().unwrap().contains("\"1.30\""));
    set(&mut b, "aks", "kubernetes_version", s("1.30.7"));
    set(&mut b, "aks.user", "orchestrator_version", s("1.30"));
    assert!(run(c, &b).is_empty());
}

#[test]
fn private_option_without_private_cluster() {
    let c = "capz::cluster::private-option-without-private-cluster";
    let mut b = base();
    set(&mut b, "aks", "api_server.private_dns_zone", s("None"));
    set(&mut b, "aks", "api_server.public_fqdn", Value::Bool(true));
    assert_eq!(run(c, &b).len(), 2);
    set(
        &mut b,
        "aks",
        "api_server.private_cluster",
        Value::Bool(true),
    );
    assert!(run(c, &b).is_empty());
}

#[test]
fn authorized_ranges_private_cluster() {
    let c = "capz::cluster::authorized-ranges-private-cluster";
    let mut b = base();
    set(
        &mut b,
        "aks",
        "api_server.authorized_ip_ranges",
        strs(&["137.117.106.88/29"]),
    );
    assert!(run(c, &b).is_empty());
    set(
        &mut b,
        "aks",
        "api_server.private_cluster",
        Value::Bool(true),
    );
    let ds = run(c, &b);
    assert_eq!(ds.len(), 1);
    assert_eq!(
        ds[0].labels[1].span,
        b.span_of("aks", "api_server.private_cluster")
    );
}

#[test]
fn docker_bridge_cidr_warning() {
    let c = "capz::cluster::docker-bridge-cidr-ignored";
    let mut b = base();
    set(
        &mut b,
        "aks",
        "network.docker_bridge_cidr",
        s("172.17.0.1/16"),
    );
    let ds = run(c, &b);
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].severity, Severity::Warning);
    assert!(run(c, &base()).is_empty());
}

#[test]
fn windows_pools() {
    let c = "capz::pool::windows-name-too-long";
    let mut b = base();
    b.add(
        "pool",
        "aks.winpool1",
        Some("aks"),
        vec![("mode", e("user")), ("os_type", e("windows"))],
    );
    assert_eq!(run(c, &b).len(), 1);
    let mut b = base();
    b.add(
        "pool",
        "aks.win1",
        Some("aks"),
        vec![("mode", e("user")), ("os_type", e("windows"))],
    );
    assert!(run(c, &b).is_empty());
    assert!(run("capz::pool::windows-system-pool", &b).is_empty());
    set(&mut b, "aks.win1", "mode", e("system"));
    assert_eq!(run("capz::pool::windows-system-pool", &b).len(), 1);
}

#[test]
fn autoscale_range() {
    let c = "capz::pool::autoscale-range";
    for (start, end) in [(3, 1), (0, 3), (1, 1001)] {
        let mut b = base();
        set(
            &mut b,
            "aks.system",
            "autoscale",
            Value::Range { start, end },
        );
        assert_eq!(run(c, &b).len(), 1, "{start}..{end}");
    }
    let mut b = base();
    set(
        &mut b,
        "aks.user",
        "autoscale",
        Value::Range {
            start: 0,
            end: 1000,
        },
    );
    set(&mut b, "aks.user", "count", Value::Int(0));
    assert!(run(c, &b).is_empty());
    assert!(run(c, &base()).is_empty());
}

#[test]
fn count_range() {
    let c = "capz::pool::count-range";
    let mut b = base();
    set(&mut b, "aks.system", "count", Value::Int(0));
    set(&mut b, "aks.user", "count", Value::Int(1001));
    assert_eq!(run(c, &b).len(), 2);
    set(&mut b, "aks.system", "count", Value::Int(5)); // outside autoscale 1..3
    set(&mut b, "aks.user", "count", Value::Int(0));
    let ds = run(c, &b);
    assert_eq!(ds.len(), 1);
    assert!(ds[0].message.contains("autoscale"));
    set(&mut b, "aks.system", "count", Value::Int(2));
    assert!(run(c, &b).is_empty());
}

#[test]
fn max_pods_range() {
    let c = "capz::pool::max-pods-range";
    let mut b = base();
    set(&mut b, "aks.user", "max_pods", Value::Int(251));
    assert_eq!(run(c, &b).len(), 1);
    set(&mut b, "aks.user", "max_pods", Value::Int(250));
    assert!(run(c, &b).is_empty());
}

fn with_nsg() -> Builder {
    let mut b = base();
    b.add("nsg", "api", Some("g"), vec![]);
    b.add(
        "rule",
        "api.https",
        Some("api"),
        vec![
            ("priority", Value::Int(100)),
            ("direction", e("inbound")),
            ("access", e("allow")),
            ("protocol", e("tcp")),
            (
                "destination_ports",
                Value::List(vec![Value::Int(443), Value::Int(6443)]),
            ),
        ],
    );
    b.add(
        "rule",
        "api.dns",
        Some("api"),
        vec![
            ("priority", Value::Int(100)),
            ("direction", e("outbound")),
            ("access", e("allow")),
            ("protocol", e("udp")),
            (
                "destination_ports",
                Value::List(vec![s("53"), s("1024-65535"), s("*")]),
            ),
        ],
    );
    b
}

#[test]
fn nsg_rules() {
    let b = with_nsg();
    for code in [
        "capz::nsg::priority-range",
        "capz::nsg::duplicate-priority",
        "capz::nsg::port-range",
    ] {
        assert!(run(code, &b).is_empty(), "{code}");
    }
    let mut b = with_nsg();
    set(&mut b, "api.dns", "direction", e("inbound"));
    let ds = run("capz::nsg::duplicate-priority", &b);
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].labels[1].span, b.span_of("api.https", "priority"));
    set(&mut b, "api.dns", "priority", Value::Int(4097));
    assert_eq!(run("capz::nsg::priority-range", &b).len(), 1);
    set(
        &mut b,
        "api.dns",
        "destination_ports",
        Value::List(vec![Value::Int(70000), s("90-80"), s("x")]),
    );
    assert_eq!(run("capz::nsg::port-range", &b).len(), 3);
    let _ = r("api");
}

#[test]
fn syntax_helpers_of_the_new_rules() {
    use super::features::{is_guid, reserved_word};
    use super::nodes::taint_problem;
    use super::public_ip::domain_label_problem;
    // ReservedResourceName: whole words, substrings microsoft/windows, prefix login.
    assert!(reserved_word("azure").is_some() && reserved_word("AZURE").is_some());
    assert!(reserved_word("azure-aks").is_none());
    assert!(reserved_word("my-windows-pool").is_some());
    assert!(reserved_word("loginportal").is_some() && reserved_word("mylogin").is_none());
    // Taints.
    assert!(taint_problem("sku=gpu:NoSchedule").is_none());
    assert!(taint_problem("CriticalAddonsOnly=true:NoSchedule").is_none());
    assert!(taint_problem("example.com/dedicated:NoExecute").is_none());
    assert!(taint_problem("sku=gpu").is_some());
    assert!(taint_problem("sku=gpu:Never").is_some());
    assert!(taint_problem("-bad=x:NoSchedule").is_some());
    assert!(taint_problem("k=bad value:NoSchedule").is_some());
    // Public IP DNS labels.
    assert!(domain_label_problem("capz-api").is_none());
    assert!(domain_label_problem("ab").is_some());
    assert!(domain_label_problem("1abc").is_some());
    assert!(domain_label_problem("abc-").is_some());
    assert!(domain_label_problem("Abc").is_some());
    let long = "a".repeat(64);
    assert!(domain_label_problem(&long).is_some_and(|w| w.contains("64 characters")));
    // GUIDs.
    assert!(is_guid("00000000-0000-0000-0000-00000000000a"));
    assert!(!is_guid("aks-admins") && !is_guid("00000000-0000-0000-0000-0000000000"));
    // Dotted DNS names say which label is too long.
    let name = format!("{}.corp.internal", "a".repeat(64));
    assert!(
        crate::kinds::names::explain_labels(&name).is_some_and(|w| w.contains("64 characters"))
    );
    assert!(crate::kinds::names::explain_labels("_msdcs.corp.internal").is_none());
    assert!(crate::kinds::names::dns_zone("_msdcs.corp.internal"));
}

#[test]
fn ha_ports_and_port_ranges() {
    let ports = "capz::lb::port-range";
    let ha = "capz::lb::ha-ports";
    let mut b = base();
    b.add(
        "load_balancer",
        "ilb",
        Some("g"),
        vec![("location", s("eastus2"))],
    );
    b.add(
        "frontend",
        "ilb.api",
        Some("ilb"),
        vec![("subnet", r("net.nodes")), ("private_ip", s("10.0.0.10"))],
    );
    b.add(
        "lb_rule",
        "ilb.all",
        Some("ilb"),
        vec![
            ("frontend", r("ilb.api")),
            ("protocol", e("all")),
            ("frontend_port", Value::Int(0)),
            ("backend_port", Value::Int(0)),
        ],
    );
    // An HA ports rule on an internal standard load balancer is valid.
    assert!(run(ports, &b).is_empty());
    assert!(run(ha, &b).is_empty());
    // 65535 is a valid backend port but not a frontend port.
    set(&mut b, "ilb.all", "protocol", e("tcp"));
    set(&mut b, "ilb.all", "frontend_port", Value::Int(65535));
    set(&mut b, "ilb.all", "backend_port", Value::Int(65535));
    let ds = run(ports, &b);
    assert_eq!(ds.len(), 1);
    assert!(ds[0].message.contains("frontend_port 65535"));
    // Port 0 without protocol all.
    set(&mut b, "ilb.all", "frontend_port", Value::Int(0));
    assert_eq!(run(ha, &b).len(), 1);
    // HA ports on a public load balancer.
    set(&mut b, "ilb.all", "protocol", e("all"));
    set(&mut b, "ilb.all", "backend_port", Value::Int(0));
    b.add("public_ip", "pip", Some("g"), vec![("sku", e("standard"))]);
    b.add(
        "frontend",
        "ilb.pub",
        Some("ilb"),
        vec![("public_ip", r("pip"))],
    );
    let ds = run(ha, &b);
    assert_eq!(ds.len(), 1);
    assert!(ds[0].message.contains("public"));
}
