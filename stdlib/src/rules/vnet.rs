//! Virtual network rules: ranges Azure and AKS reserve, subnet sizes and overlapping
//! prefixes within one VNet. (A VNet peered with itself is already refused as two
//! peerings with one ARM name, `capz::name::duplicate-arm-name`.)

use super::{cluster_vnets, net, nets, overlaps};
use ipnet::IpNet;
use lang::diagnostic::Diagnostic;
use lang::program::Program;
use lang::schema::{Catalog, RuleDef, field_span};

/// Ranges a VNet's address space cannot use, with what they are (VNet FAQ).
pub const VNET_RESERVED: &[(&str, &str)] = &[
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    (
        "168.63.129.16/32",
        "Azure's internal DNS and health probe address",
    ),
];

/// Ranges AKS clusters cannot use for the service, pod or VNet ranges.
pub const AKS_RESERVED: &[&str] = &[
    "169.254.0.0/16",
    "172.30.0.0/16",
    "172.31.0.0/16",
    "192.0.2.0/24",
];

/// The rules of this module.
pub fn rules() -> Vec<RuleDef> {
    vec![
        RuleDef {
            code: "capz::vnet::reserved-range",
            summary: "a VNet's address space overlaps a range Azure reserves",
            explanation: "A virtual network cannot use 224.0.0.0/4 (multicast), 255.255.255.255/32 (broadcast), \
                127.0.0.0/8 (loopback), 169.254.0.0/16 (link-local) or 168.63.129.16/32 (internal DNS).\n\
                Source: https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq#what-address-ranges-can-i-use-in-my-virtual-networks.",
            check: vnet_reserved,
        },
        RuleDef {
            code: "capz::cidr::aks-reserved-range",
            summary: "a cluster's service, pod or VNet range overlaps a range AKS reserves",
            explanation: "AKS clusters cannot use 169.254.0.0/16, 172.30.0.0/16, 172.31.0.0/16 or 192.0.2.0/24 \
                for the Kubernetes service address range, the pod address range or the cluster's virtual \
                network address range.\n\
                Source: https://learn.microsoft.com/azure/aks/concepts-network-legacy-cni#prerequisites and \
                https://learn.microsoft.com/azure/aks/azure-cni-overlay (\"can't use 169.254.0.0/16, \
                172.30.0.0/16, 172.31.0.0/16, or 192.0.2.0/24\").",
            check: aks_reserved,
        },
        RuleDef {
            code: "capz::subnet::size",
            summary: "an IPv4 subnet is smaller than /29 or larger than /2",
            explanation: "The smallest IPv4 subnet Azure supports is /29 (8 addresses, 3 usable after the five \
                Azure keeps) and the largest /2.\n\
                Source: https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq#how-small-and-how-large-can-virtual-networks-and-subnets-be \
                (\"The smallest supported IPv4 subnet is /29, and the largest is /2\").",
            check: subnet_size,
        },
        RuleDef {
            code: "capz::vnet::address-space-overlap",
            summary: "two prefixes of one VNet's address space overlap",
            explanation: "The address prefixes of a virtual network must be disjoint; ARM refuses overlapping \
                prefixes in one address space (NetcfgInvalidAddressSpace / VnetAddressSpacesOverlap).\n\
                Source: https://learn.microsoft.com/azure/virtual-network/manage-virtual-network#add-or-remove-an-address-range \
                (\"can't overlap with another address range within the same virtual network\").",
            check: address_space_overlap,
        },
    ]
}

fn vnet_reserved(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for v in p.of_kind("vnet") {
        for n in nets(v.get("address_space")) {
            let hit = VNET_RESERVED.iter().find_map(|(r, what)| {
                r.parse::<IpNet>()
                    .ok()
                    .filter(|r| overlaps(r, &n))
                    .map(|r| (r, *what))
            });
            if let Some((r, what)) = hit {
                out.push(
                    Diagnostic::error(
                        "capz::vnet::reserved-range",
                        format!(
                            "address space {n} of vnet {} overlaps {r} ({what})",
                            v.address
                        ),
                    )
                    .with_primary(field_span(v, "address_space"), format!("overlaps {r}"))
                    .with_help(
                        "use a private range (RFC 1918: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
                    ),
                );
            }
        }
    }
    out
}

fn aks_reserved(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let reserved: Vec<IpNet> = AKS_RESERVED.iter().filter_map(|r| r.parse().ok()).collect();
    let hit = |n: &IpNet| reserved.iter().find(|r| overlaps(r, n)).copied();
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        for key in ["network.service_cidr", "network.pod_cidr"] {
            let Some(n) = net(cl.get(key)) else { continue };
            if let Some(r) = hit(&n) {
                out.push(
                    Diagnostic::error(
                        "capz::cidr::aks-reserved-range",
                        format!("{} {n} of cluster {} overlaps {r}, which AKS reserves", key.trim_start_matches("network."), cl.address),
                    )
                    .with_primary(field_span(cl, key), format!("overlaps {r}"))
                    .with_help(if key.ends_with("service_cidr") {
                        "use another private range, e.g. service_cidr \"172.16.0.0/16\" with dns_service_ip \"172.16.0.10\""
                    } else {
                        "use another private range, e.g. pod_cidr \"192.168.0.0/16\""
                    }),
                );
            }
        }
        for v in cluster_vnets(p, cl) {
            if let Some((n, r)) = nets(v.get("address_space"))
                .into_iter()
                .find_map(|n| hit(&n).map(|r| (n, r)))
            {
                out.push(
                    Diagnostic::error(
                        "capz::cidr::aks-reserved-range",
                        format!(
                            "vnet {} of cluster {} uses {n}, which overlaps {r} (reserved by AKS)",
                            v.address, cl.address
                        ),
                    )
                    .with_primary(field_span(v, "address_space"), format!("overlaps {r}"))
                    .with_help("give the cluster's VNet another private range, e.g. 10.1.0.0/16"),
                );
            }
        }
    }
    out
}

fn subnet_size(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("subnet")
        .filter_map(|s| match net(s.get("address_prefix")) {
            Some(IpNet::V4(n)) if n.prefix_len() > 29 || n.prefix_len() < 2 => Some((s, n)),
            _ => None,
        })
        .map(|(s, n)| {
            let small = n.prefix_len() > 29;
            Diagnostic::error(
                "capz::subnet::size",
                format!(
                    "subnet {} ({n}) is {} than Azure allows",
                    s.address,
                    if small { "smaller" } else { "larger" }
                ),
            )
            .with_primary(
                field_span(s, "address_prefix"),
                if small {
                    "smaller than /29"
                } else {
                    "larger than /2"
                },
            )
            .with_help(if small {
                "use a /29 or larger prefix (Azure keeps 5 addresses of every subnet)"
            } else {
                "split the range into subnets of /2 or smaller"
            })
        })
        .collect()
}

fn address_space_overlap(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for v in p.of_kind("vnet") {
        let ns = nets(v.get("address_space"));
        'outer: for (i, a) in ns.iter().enumerate() {
            for b in &ns[..i] {
                if overlaps(a, b) {
                    out.push(
                        Diagnostic::error(
                            "capz::vnet::address-space-overlap",
                            format!(
                                "address space of vnet {} lists overlapping prefixes {b} and {a}",
                                v.address
                            ),
                        )
                        .with_primary(field_span(v, "address_space"), format!("{a} overlaps {b}"))
                        .with_help("keep the larger prefix, or use disjoint prefixes"),
                    );
                    break 'outer;
                }
            }
        }
    }
    out
}
