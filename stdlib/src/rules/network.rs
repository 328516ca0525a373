//! Load balancer, peering, private DNS link and cluster outbound checks.

use super::{flag, net, nets, overlaps, word};
use lang::diagnostic::Diagnostic;
use lang::program::{Program, Resource};
use lang::schema::{Catalog, RuleDef, field_span, item_span};
use lang::value::{Address, Value};
use std::net::IpAddr;

/// The rules of this module.
pub fn rules() -> Vec<RuleDef> {
    vec![
        RuleDef {
            code: "capz::lb::frontend-ip-outside-subnet",
            summary: "a static frontend IP is not inside the frontend's subnet",
            explanation: "A load balancer frontend with a static private IP takes that address from its subnet; an \
                address outside the subnet is refused (PrivateIPAddressNotInSubnet).\n\
                Source: loadBalancer.json `FrontendIPConfigurationPropertiesFormat.privateIPAddress` and \
                https://learn.microsoft.com/azure/load-balancer/components#frontend-ip-configuration-.",
            check: frontend_ip_outside_subnet,
        },
        RuleDef {
            code: "capz::lb::frontend-ip-reserved",
            summary: "a static frontend IP is one of the five addresses Azure reserves in a subnet",
            explanation: "Azure reserves five addresses of every subnet: the network address, the next three \
                (default gateway and Azure DNS) and the broadcast address; a frontend cannot use them \
                (PrivateIPAddressInReservedRange).\n\
                Source: https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq#are-there-any-restrictions-on-using-ip-addresses-within-these-subnets.",
            check: frontend_ip_reserved,
        },
        RuleDef {
            code: "capz::lb::foreign-part",
            summary: "a load balancer rule references a frontend, pool or probe of another load balancer",
            explanation: "A load-balancing or outbound rule may only use the frontends, backend pools and probes of \
                its own load balancer; ARM answers InvalidResourceReference otherwise.\n\
                Source: loadBalancer.json `LoadBalancingRulePropertiesFormat` (frontendIPConfiguration, \
                backendAddressPool, probe are sub-resources of the same load balancer).",
            check: foreign_part,
        },
        RuleDef {
            code: "capz::lb::mixed-frontends",
            summary: "a load balancer has both public and internal frontends",
            explanation: "A load balancer is either public (frontends with public IPs) or internal (frontends with a \
                private IP in a subnet), never both.\n\
                Source: https://learn.microsoft.com/azure/load-balancer/components#frontend-ip-configuration- \
                (\"A load balancer can be public or internal\").",
            check: mixed_frontends,
        },
        RuleDef {
            code: "capz::lb::public-ip-sku",
            summary: "a standard load balancer uses a public IP that is not standard and static",
            explanation: "The SKU of a load balancer and of its public IPs must match, and standard public IPs are \
                static.\n\
                Source: https://learn.microsoft.com/azure/load-balancer/skus and publicIpAddress.json \
                (Standard SKU requires publicIPAllocationMethod Static).",
            check: public_ip_sku,
        },
        RuleDef {
            code: "capz::lb::port-range",
            summary: "a load balancer rule or probe port is out of range",
            explanation: "A load-balancing rule's frontend port is 0-65534 and its backend port 0-65535, where 0 \
                means any port (an HA ports rule); a probe port is 1-65535.\n\
                Source: loadBalancer.json 2026-01-01 `LoadBalancingRulePropertiesFormat.frontendPort` \
                (\"Acceptable values are between 0 and 65534\"), `backendPort` (\"between 0 and 65535\") and \
                `ProbePropertiesFormat.port` (\"from 1 to 65535, inclusive\").",
            check: port_range,
        },
        RuleDef {
            code: "capz::lb::ha-ports",
            summary: "an HA ports rule (protocol all, ports 0) is malformed or not on an internal standard load balancer",
            explanation: "An HA ports load-balancing rule balances every port: protocol All with frontend and \
                backend port 0. Port 0 needs protocol All and protocol All needs port 0, and HA ports are \
                available only on an internal Standard load balancer.\n\
                Source: https://learn.microsoft.com/azure/load-balancer/load-balancer-ha-ports-overview \
                (\"HA ports load-balancing rules ... front-end and back-end ports set to 0 and protocol set to \
                All\"; \"available only for an internal Standard Load Balancer\") and loadBalancer.json \
                `frontendPort` (\"value 0 enables Any Port\").",
            check: ha_ports,
        },
        RuleDef {
            code: "capz::lb::frontend-subnet-and-public-ip",
            summary: "a load balancer frontend sets both a subnet and a public IP",
            explanation: "A frontend IP configuration is either public (a public IP address) or internal (a \
                subnet and private IP); ARM refuses one that references both.\n\
                Source: loadBalancer.json `FrontendIPConfigurationPropertiesFormat` (subnet: \"The reference \
                to the subnet resource\", publicIPAddress: \"The reference to the Public IP resource\") and \
                https://learn.microsoft.com/azure/load-balancer/components#frontend-ip-configuration-.",
            check: frontend_subnet_and_public_ip,
        },
        RuleDef {
            code: "capz::peering::overlap",
            summary: "two peered VNets have overlapping address spaces",
            explanation: "VNet peering needs disjoint address spaces; ARM refuses the peering \
                (VnetAddressSpacesOverlap).\n\
                Source: https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#requirements-and-constraints.",
            check: peering_overlap,
        },
        RuleDef {
            code: "capz::dns::duplicate-link",
            summary: "a VNet is linked twice to one private DNS zone, or has two registration links",
            explanation: "A virtual network can be linked to a private DNS zone only once, and at most one of its \
                links may have auto-registration enabled.\n\
                Source: https://learn.microsoft.com/azure/dns/private-dns-virtual-network-links \
                (\"A virtual network can be linked to only one private DNS zone with autoregistration\") and \
                https://learn.microsoft.com/azure/dns/private-dns-limits.",
            check: duplicate_link,
        },
        RuleDef {
            code: "capz::cluster::outbound-exclusive",
            summary: "a load balancer profile sets more than one of managed IPs, IP prefixes, IPs",
            explanation: "The cluster's outbound addresses come from exactly one source: AKS-managed IPs, your IP \
                prefixes or your IPs.\n\
                Source: managedClusters.json `ManagedClusterLoadBalancerProfile` and CAPZ's \
                AzureManagedControlPlane validation (seed 003: \"only one of ManagedOutboundIPs, \
                OutboundIPPrefixes, OutboundIPs\").",
            check: outbound_exclusive,
        },
        RuleDef {
            code: "capz::cluster::outbound-range",
            summary: "a load balancer profile value is out of range",
            explanation: "managed_outbound_ips is 1-100, allocated_outbound_ports 0-64000 in multiples of 8, \
                idle_timeout 4-120 minutes.\n\
                Source: managedClusters.json `ManagedClusterLoadBalancerProfile` (minimum/maximum) and CAPZ's \
                AzureManagedControlPlane LoadBalancerProfile markers (seed 003).",
            check: outbound_range,
        },
    ]
}

fn subnet_prefix<'a>(p: &'a Program, fe: &Resource) -> Option<(&'a Resource, ipnet::IpNet)> {
    let Some(Value::Ref(a)) = fe.get("subnet") else {
        return None;
    };
    let s = p.resource(a)?;
    Some((s, net(s.get("address_prefix"))?))
}

fn static_ip(fe: &Resource) -> Option<IpAddr> {
    fe.get("private_ip")?.as_str()?.parse().ok()
}

fn frontend_ip_outside_subnet(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for fe in p.of_kind("frontend") {
        let (Some(ip), Some((s, prefix))) = (static_ip(fe), subnet_prefix(p, fe)) else {
            continue;
        };
        if !prefix.contains(&ip) {
            out.push(
                Diagnostic::error(
                    "capz::lb::frontend-ip-outside-subnet",
                    format!(
                        "frontend IP {ip} of {} is not inside its subnet {prefix}",
                        fe.address
                    ),
                )
                .with_primary(field_span(fe, "private_ip"), format!("not inside {prefix}"))
                .with_secondary(field_span(s, "address_prefix"), "the subnet")
                .with_help(format!(
                    "pick an address of the subnet, e.g. cidrhost(\"{prefix}\", 100)"
                )),
            );
        }
    }
    out
}

fn frontend_ip_reserved(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for fe in p.of_kind("frontend") {
        let (Some(IpAddr::V4(ip)), Some((s, ipnet::IpNet::V4(prefix)))) =
            (static_ip(fe), subnet_prefix(p, fe))
        else {
            continue;
        };
        if !prefix.contains(&ip) {
            continue;
        }
        let first = u32::from(prefix.network());
        let last = u32::from(prefix.broadcast());
        let n = u32::from(ip);
        let why = if n == first {
            Some("the network address")
        } else if n > first && n <= first.saturating_add(3) {
            Some("reserved for the default gateway and Azure DNS")
        } else if n == last {
            Some("the broadcast address")
        } else {
            None
        };
        if let Some(why) = why {
            let first_free = std::net::Ipv4Addr::from(first.saturating_add(4));
            out.push(
                Diagnostic::error(
                    "capz::lb::frontend-ip-reserved",
                    format!("frontend IP {ip} of {} is reserved by Azure in {prefix}", fe.address),
                )
                .with_primary(field_span(fe, "private_ip"), why)
                .with_secondary(field_span(s, "address_prefix"), "the subnet")
                .with_help(format!(
                    "Azure keeps the first four and the last address of every subnet; the first usable one is {first_free}"
                )),
            );
        }
    }
    out
}

fn foreign_part(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in p.of_kind("lb_rule").chain(p.of_kind("outbound_rule")) {
        for key in ["frontend", "backend_pool", "probe", "frontends"] {
            // Each reference with the span to label: the list item when written as one.
            let refs: Vec<(&Address, lang::Span)> = match r.get(key) {
                Some(Value::Ref(a)) => vec![(a, field_span(r, key))],
                Some(Value::List(items)) => items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| match v {
                        Value::Ref(a) => Some((a, item_span(r, key, i))),
                        _ => None,
                    })
                    .collect(),
                _ => continue,
            };
            for (a, at) in refs {
                if a.parent().as_ref() != r.parent.as_ref() {
                    let lb = r
                        .parent
                        .as_ref()
                        .map_or_else(String::new, Address::to_string);
                    out.push(
                        Diagnostic::error(
                            "capz::lb::foreign-part",
                            format!(
                                "{} uses `{a}`, which is not part of load balancer {lb}",
                                r.address
                            ),
                        )
                        .with_primary(at, "another load balancer's part")
                        .with_help(format!(
                            "declare the {key} inside `{lb}` and refer to it by its name"
                        )),
                    );
                }
            }
        }
    }
    out
}

fn mixed_frontends(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for lb in p.of_kind("load_balancer") {
        let fes: Vec<&Resource> = p
            .children(&lb.address)
            .filter(|c| c.kind == "frontend")
            .collect();
        // A frontend that sets both is its own mistake (frontend-subnet-and-public-ip).
        let both = |f: &&&Resource| f.get("public_ip").is_some() && f.get("subnet").is_some();
        let public = fes
            .iter()
            .find(|f| f.get("public_ip").is_some() && !both(f));
        let internal = fes.iter().find(|f| f.get("subnet").is_some() && !both(f));
        if let (Some(pu), Some(int)) = (public, internal) {
            out.push(
                Diagnostic::error(
                    "capz::lb::mixed-frontends",
                    format!(
                        "load balancer {} has public and internal frontends",
                        lb.address
                    ),
                )
                .with_primary(field_span(pu, "public_ip"), "public frontend")
                .with_secondary(field_span(int, "subnet"), "internal frontend")
                .with_help("use two load balancers: one public, one internal"),
            );
        }
    }
    out
}

fn public_ip_sku(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for fe in p.of_kind("frontend") {
        let Some(Value::Ref(a)) = fe.get("public_ip") else {
            continue;
        };
        let Some(lb) = fe.parent.as_ref().and_then(|l| p.resource(l)) else {
            continue;
        };
        if word(lb, "sku").is_some_and(|s| s != "standard") {
            continue;
        }
        let Some(ip) = p.resource(a) else { continue };
        let basic = word(ip, "sku") == Some("basic");
        let dynamic = word(ip, "allocation") == Some("dynamic");
        if basic || dynamic {
            let (key, what) = if basic {
                ("sku", "a basic public IP")
            } else {
                ("allocation", "a dynamic public IP")
            };
            out.push(
                Diagnostic::error(
                    "capz::lb::public-ip-sku",
                    format!(
                        "standard load balancer {} uses {what} `{}`",
                        lb.address, ip.address
                    ),
                )
                .with_primary(field_span(fe, "public_ip"), "used here")
                .with_secondary(field_span(ip, key), what)
                .with_help(format!(
                    "set `sku = standard` and `allocation = static` on `{}`",
                    ip.address
                )),
            );
        }
    }
    out
}

fn port_range(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // (kind, field, lowest, highest): loadBalancer.json allows 0 ("any port", HA ports)
    // for rule ports, 65534 as the highest frontend port, and 1-65535 for probes.
    let checks = [
        ("lb_rule", "frontend_port", 0, 65534),
        ("lb_rule", "backend_port", 0, 65535),
        ("probe", "port", 1, 65535),
    ];
    for (kind, key, lo, hi) in checks {
        for r in p.of_kind(kind) {
            if let Some(Value::Int(n)) = r.get(key)
                && !(lo..=hi).contains(n)
            {
                out.push(
                    Diagnostic::error(
                        "capz::lb::port-range",
                        format!("{key} {n} of {} is outside {lo}-{hi}", r.address),
                    )
                    .with_primary(field_span(r, key), format!("must be {lo}-{hi}"))
                    .with_help(if lo == 0 {
                        format!("use a port number up to {hi}, e.g. 6443, or 0 with protocol = all for an HA ports rule")
                    } else {
                        "use a TCP port number, e.g. 6443".to_string()
                    }),
                );
            }
        }
    }
    out
}

/// Whether a load balancer is internal: it has frontends and all of them take a private
/// IP from a subnet.
fn is_internal(p: &Program, lb: &Resource) -> bool {
    let mut fes = p
        .children(&lb.address)
        .filter(|c| c.kind == "frontend")
        .peekable();
    fes.peek().is_some() && fes.all(|f| f.get("subnet").is_some() && f.get("public_ip").is_none())
}

fn ha_ports(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in p.of_kind("lb_rule") {
        let port = |k: &str| match r.get(k) {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        };
        let (fp, bp) = (port("frontend_port"), port("backend_port"));
        let all = word(r, "protocol") == Some("all");
        let zero = fp == Some(0) || bp == Some(0);
        if !all && !zero {
            continue;
        }
        let d = if all && (fp != Some(0) || bp != Some(0)) {
            let key = if fp != Some(0) {
                "frontend_port"
            } else {
                "backend_port"
            };
            Some(
                Diagnostic::error(
                    "capz::lb::ha-ports",
                    format!("{} uses protocol all, which is only for an HA ports rule (ports 0)", r.address),
                )
                .with_primary(field_span(r, key), "must be 0 with protocol = all")
                .with_secondary(field_span(r, "protocol"), "protocol all")
                .with_help("set frontend_port = 0 and backend_port = 0 for HA ports, or use protocol tcp or udp"),
            )
        } else if !all {
            let key = if fp == Some(0) {
                "frontend_port"
            } else {
                "backend_port"
            };
            Some(
                Diagnostic::error(
                    "capz::lb::ha-ports",
                    format!("{} uses port 0 (any port) without protocol all", r.address),
                )
                .with_primary(field_span(r, key), "port 0 is an HA ports rule")
                .with_secondary(field_span(r, "protocol"), "needs protocol = all")
                .with_help(
                    "set protocol = all with both ports 0 for HA ports, or give a port number",
                ),
            )
        } else {
            let Some(lb) = r.parent.as_ref().and_then(|a| p.resource(a)) else {
                continue;
            };
            let standard = word(lb, "sku").is_none_or(|s| s == "standard");
            if standard && is_internal(p, lb) {
                None
            } else {
                Some(
                    Diagnostic::error(
                        "capz::lb::ha-ports",
                        format!(
                            "HA ports rule {} needs an internal standard load balancer; {} is {}",
                            r.address,
                            lb.address,
                            if standard { "public" } else { "not standard" }
                        ),
                    )
                    .with_primary(field_span(r, "protocol"), "HA ports rule")
                    .with_secondary(
                        if standard { lb.span } else { field_span(lb, "sku") },
                        if standard { "has a public frontend" } else { "not a standard load balancer" },
                    )
                    .with_help("put HA ports rules on an internal standard load balancer, or use explicit ports"),
                )
            }
        };
        out.extend(d);
    }
    out
}

fn frontend_subnet_and_public_ip(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("frontend")
        .filter(|f| f.get("subnet").is_some() && f.get("public_ip").is_some())
        .map(|f| {
            Diagnostic::error(
                "capz::lb::frontend-subnet-and-public-ip",
                format!("frontend {} sets both a subnet and a public IP", f.address),
            )
            .with_primary(field_span(f, "public_ip"), "public frontend")
            .with_secondary(field_span(f, "subnet"), "internal frontend")
            .with_help("a frontend is public (public_ip) or internal (subnet and private_ip): remove one of the two")
        })
        .collect()
}

fn peering_overlap(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for pe in p.of_kind("peering") {
        // Each `a <-> b` is two resources; report once, on the `a->b` side.
        let (Some(from), Some(to)) = (pe.fields.get("from"), pe.fields.get("to")) else {
            continue;
        };
        if from.span.start > to.span.start {
            continue;
        }
        let (Value::Ref(a), Value::Ref(b)) = (&from.value, &to.value) else {
            continue;
        };
        let (Some(va), Some(vb)) = (p.resource(a), p.resource(b)) else {
            continue;
        };
        for na in nets(va.get("address_space")) {
            if let Some(nb) = nets(vb.get("address_space"))
                .into_iter()
                .find(|nb| overlaps(&na, nb))
            {
                out.push(
                    Diagnostic::error(
                        "capz::peering::overlap",
                        format!("peered VNets {a} ({na}) and {b} ({nb}) overlap"),
                    )
                    .with_primary(to.span, format!("{nb} overlaps {na}"))
                    .with_secondary(field_span(va, "address_space"), format!("{a} has {na}"))
                    .with_help(
                        "give each VNet its own range, e.g. with cidrsubnet of a common base",
                    ),
                );
                break;
            }
        }
    }
    out
}

fn duplicate_link(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let links: Vec<&Resource> = p.of_kind("link").collect();
    for (i, l) in links.iter().enumerate() {
        let Some(Value::Ref(v)) = l.get("vnet") else {
            continue;
        };
        for prev in &links[..i] {
            if prev.get("vnet") != l.get("vnet") {
                continue;
            }
            let same_zone = prev.parent == l.parent;
            let both_register = flag(prev, "registration_enabled") == Some(true)
                && flag(l, "registration_enabled") == Some(true);
            if same_zone || both_register {
                let (msg, help) = if same_zone {
                    (
                        format!("VNet {v} is linked twice to the same private DNS zone"),
                        "keep one link per zone and VNet".to_string(),
                    )
                } else {
                    (
                        format!("VNet {v} has two links with auto-registration"),
                        "set `registration_enabled = true` on one link only".to_string(),
                    )
                };
                out.push(
                    Diagnostic::error("capz::dns::duplicate-link", msg)
                        .with_primary(field_span(l, "vnet"), "second link")
                        .with_secondary(field_span(prev, "vnet"), "first link")
                        .with_help(help),
                );
                break;
            }
        }
    }
    out
}

const PROFILE: &str = "load_balancer_profile";

fn outbound_exclusive(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for c in p.of_kind("cluster") {
        let set: Vec<String> = [
            "managed_outbound_ips",
            "outbound_ip_prefixes",
            "outbound_ips",
        ]
        .iter()
        .map(|k| format!("{PROFILE}.{k}"))
        .filter(|k| c.fields.contains_key(k))
        .collect();
        if let [first, second, ..] = set.as_slice() {
            out.push(
                Diagnostic::error(
                    "capz::cluster::outbound-exclusive",
                    format!(
                        "cluster {} sets more than one outbound IP source",
                        c.address
                    ),
                )
                .with_primary(field_span(c, second), "second source")
                .with_secondary(field_span(c, first), "first source")
                .with_help("keep one of managed_outbound_ips, outbound_ip_prefixes, outbound_ips"),
            );
        }
    }
    out
}

fn outbound_range(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for c in p.of_kind("cluster") {
        let mut check = |key: &str, ok: &dyn Fn(i64) -> bool, want: &str, help: &str| {
            let k = format!("{PROFILE}.{key}");
            if let Some(Value::Int(n)) = c.get(&k)
                && !ok(*n)
            {
                out.push(
                    Diagnostic::error(
                        "capz::cluster::outbound-range",
                        format!(
                            "{key} {n} of cluster {} is out of range ({want})",
                            c.address
                        ),
                    )
                    .with_primary(field_span(c, &k), format!("must be {want}"))
                    .with_help(help.to_string()),
                );
            }
        };
        check(
            "managed_outbound_ips",
            &|n| (1..=100).contains(&n),
            "1-100",
            "AKS creates 1 to 100 outbound public IPs",
        );
        check(
            "allocated_outbound_ports",
            &|n| (0..=64000).contains(&n) && n % 8 == 0,
            "0-64000, a multiple of 8",
            "use a multiple of 8 up to 64000, or 0 to let Azure size the ports",
        );
        check(
            "idle_timeout",
            &|n| (4..=120).contains(&n),
            "4-120 minutes",
            "pick a timeout between 4 and 120 minutes",
        );
    }
    out
}
