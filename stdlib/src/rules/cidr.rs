//! CIDR layout rules: prefixes aligned to their mask, subnets inside their VNet and
//! disjoint, and the AKS service/pod ranges clear of the cluster's VNet and of each other.

use super::{cluster_vnets, net, nets, overlaps, word};
use ipnet::IpNet;
use lang::diagnostic::Diagnostic;
use lang::program::{Program, Resource};
use lang::schema::{Catalog, RuleDef, field_span};
use lang::source::Span;
use std::net::IpAddr;

/// AKS defaults when the network block leaves a range out (managedClusters.json,
/// `ContainerServiceNetworkProfile`: serviceCidr, dnsServiceIP, podCidr).
pub const DEFAULT_SERVICE_CIDR: &str = "10.0.0.0/16";
/// Default `dnsServiceIP`.
pub const DEFAULT_DNS_SERVICE_IP: &str = "10.0.0.10";
/// Default `podCidr`.
pub const DEFAULT_POD_CIDR: &str = "10.244.0.0/16";

/// The CIDR rules.
pub fn rules() -> Vec<RuleDef> {
    vec![
        RuleDef {
            code: "capz::cidr::misaligned",
            summary: "a CIDR prefix has host bits set",
            explanation: "A prefix such as 10.0.1.0/16 has bits set below its mask: the network it names is \
                10.0.0.0/16. Azure rejects such VNet address spaces and subnet prefixes (\"... is not a valid \
                CIDR\" / InvalidAddressPrefixFormat) and AKS rejects such service and pod CIDRs. Write the \
                network address of the prefix.\n\
                Source: https://learn.microsoft.com/azure/virtual-network/manage-subnet (subnet address range) and \
                virtualNetwork.json `AddressSpace.addressPrefixes` / `SubnetPropertiesFormat.addressPrefix` \
                (\"in CIDR notation\").",
            check: misaligned,
        },
        RuleDef {
            code: "capz::cidr::subnet-outside-vnet",
            summary: "a subnet's prefix is not inside its VNet's address space",
            explanation: "Every subnet's address range must lie inside one of the address prefixes of its \
                virtual network; ARM rejects the subnet with NetcfgSubnetRangeOutsideVnet.\n\
                Source: https://learn.microsoft.com/azure/virtual-network/manage-subnet (\"the range must be \
                within the address space of the virtual network\").",
            check: subnet_outside_vnet,
        },
        RuleDef {
            code: "capz::cidr::subnet-overlap",
            summary: "two subnets of one VNet overlap",
            explanation: "Subnets of a virtual network must not share addresses; ARM rejects the second with \
                NetcfgSubnetRangesOverlap.\n\
                Source: https://learn.microsoft.com/azure/virtual-network/virtual-network-vnet-plan-design-arm \
                (\"each subnet must have a unique address range ... can't overlap with other subnets\").",
            check: subnet_overlap,
        },
        RuleDef {
            code: "capz::cidr::outside-service-cidr",
            summary: "dns_service_ip is not inside service_cidr",
            explanation: "AKS gives the cluster DNS service (kube-dns/CoreDNS) the address dnsServiceIP, which must \
                be inside the Kubernetes service range serviceCidr (defaults 10.0.0.10 and 10.0.0.0/16). AKS \
                refuses the cluster otherwise.\n\
                Source: managedClusters.json `ContainerServiceNetworkProfile.dnsServiceIP` (\"It must be within \
                the Kubernetes service address range specified in serviceCidr\") and \
                https://learn.microsoft.com/azure/aks/configure-azure-cni.",
            check: outside_service_cidr,
        },
        RuleDef {
            code: "capz::cidr::dns-service-ip-first-address",
            summary: "dns_service_ip is the first address of service_cidr",
            explanation: "The first address of the service range is the `kubernetes` service \
                (kubernetes.default.svc.cluster.local); the DNS service needs another address, e.g. .10.\n\
                Source: https://learn.microsoft.com/azure/aks/configure-azure-cni (\"Don't use the first IP \
                address in your address range\").",
            check: dns_service_ip_first,
        },
        RuleDef {
            code: "capz::cidr::service-cidr-overlaps-vnet",
            summary: "service_cidr overlaps the VNet the cluster's nodes use",
            explanation: "Kubernetes service IPs are virtual: the service range must not overlap the address \
                range of the cluster's virtual network or any of its subnets, or traffic to those addresses is \
                captured by kube-proxy. AKS rejects it (ServiceCidrOverlapExistingSubnetsCidr).\n\
                Source: managedClusters.json `ContainerServiceNetworkProfile.serviceCidr` (\"It must not overlap \
                with any Subnet IP ranges\") and https://learn.microsoft.com/azure/aks/configure-azure-cni \
                (\"Must not be within the virtual network IP address range of your cluster\").",
            check: service_cidr_overlaps_vnet,
        },
        RuleDef {
            code: "capz::cidr::pod-cidr-overlaps-vnet",
            summary: "pod_cidr overlaps the cluster's VNet (kubenet or Azure CNI overlay)",
            explanation: "With kubenet or Azure CNI overlay, pods get addresses from podCidr (default \
                10.244.0.0/16), which is routed outside the VNet's own ranges and must not overlap the address \
                space of the cluster's virtual network.\n\
                Source: https://learn.microsoft.com/azure/aks/azure-cni-overlay (\"The pod CIDR space must not \
                overlap with the cluster subnet range\") and https://learn.microsoft.com/azure/aks/configure-kubenet.",
            check: pod_cidr_overlaps_vnet,
        },
        RuleDef {
            code: "capz::cidr::service-pod-overlap",
            summary: "service_cidr and pod_cidr overlap",
            explanation: "Service IPs and pod IPs must come from disjoint ranges.\n\
                Source: https://learn.microsoft.com/azure/aks/azure-cni-overlay (pod CIDR \"must not overlap with \
                ... the service CIDR\").",
            check: service_pod_overlap,
        },
    ]
}

fn misaligned(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut check = |res: &Resource, key: &str, n: IpNet| {
        if n.addr() != n.network() {
            out.push(
                Diagnostic::error(
                    "capz::cidr::misaligned",
                    format!("{key} {n} has host bits set: its network is {}", n.trunc()),
                )
                .with_primary(
                    field_span(res, key),
                    format!("not aligned to /{}", n.prefix_len()),
                )
                .with_help(format!("write {}", n.trunc())),
            );
        }
    };
    for res in &p.resources {
        match res.kind {
            "vnet" => {
                for n in nets(res.get("address_space")) {
                    check(res, "address_space", n);
                }
            }
            "subnet" => {
                if let Some(n) = net(res.get("address_prefix")) {
                    check(res, "address_prefix", n);
                }
            }
            "cluster" => {
                // Not docker_bridge_cidr: it is the bridge's address with its prefix
                // (AKS's old default was 172.17.0.1/16), and capz does not send it.
                for key in ["network.service_cidr", "network.pod_cidr"] {
                    if let Some(n) = net(res.get(key)) {
                        check(res, key, n);
                    }
                }
                for n in nets(res.get("api_server.authorized_ip_ranges")) {
                    check(res, "api_server.authorized_ip_ranges", n);
                }
            }
            _ => {}
        }
    }
    out
}

fn subnet_outside_vnet(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for sub in p.of_kind("subnet") {
        let Some(n) = net(sub.get("address_prefix")) else {
            continue;
        };
        let Some(vnet) = sub.parent.as_ref().and_then(|a| p.resource(a)) else {
            continue;
        };
        let space = nets(vnet.get("address_space"));
        if space.is_empty() || space.iter().any(|s| s.contains(&n)) {
            continue;
        }
        let list: Vec<String> = space.iter().map(ToString::to_string).collect();
        out.push(
            Diagnostic::error(
                "capz::cidr::subnet-outside-vnet",
                format!(
                    "subnet {} address_prefix {n} is not inside the address space of vnet {} ({})",
                    sub.address,
                    vnet.address,
                    list.join(", ")
                ),
            )
            .with_primary(
                field_span(sub, "address_prefix"),
                format!("not inside {}", list.join(", ")),
            )
            .with_secondary(
                field_span(vnet, "address_space"),
                "the VNet's address space",
            )
            .with_help(match free_prefix(p, sub, &space, n.prefix_len()) {
                Some((s, bits, i, free)) => format!(
                    "choose a prefix inside {}, e.g. cidrsubnet(\"{s}\", {bits}, {i}) = {free}, which no other subnet of vnet {} uses",
                    list.join(" or "),
                    vnet.address
                ),
                None => format!(
                    "choose a prefix inside {}, or add a range that holds {n} to the VNet's address_space",
                    list.join(" or ")
                ),
            }),
        );
    }
    out
}

/// The first range of `len` bits (the subnet's own size) inside one of the VNet's address
/// prefixes that none of `sub`'s sibling subnets overlaps: `(prefix, newbits, netnum,
/// range)`, as arguments of `cidrsubnet`. Looks at the first 4,096 candidates of each prefix.
fn free_prefix(
    p: &Program,
    sub: &Resource,
    space: &[IpNet],
    len: u8,
) -> Option<(IpNet, u8, usize, IpNet)> {
    let taken: Vec<IpNet> = sub
        .parent
        .as_ref()
        .map(|v| {
            p.children(v)
                .filter(|r| r.kind == "subnet" && r.address != sub.address)
                .filter_map(|r| net(r.get("address_prefix")))
                .collect()
        })
        .unwrap_or_default();
    space.iter().find_map(|s| {
        let bits = len.checked_sub(s.prefix_len())?;
        s.subnets(len)
            .ok()?
            .take(4096)
            .enumerate()
            .find(|(_, c)| !taken.iter().any(|t| t.contains(c) || c.contains(t)))
            .map(|(i, c)| (*s, bits, i, c))
    })
}

fn subnet_overlap(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for vnet in p.of_kind("vnet") {
        let subs: Vec<(&Resource, IpNet)> = p
            .children(&vnet.address)
            .filter(|r| r.kind == "subnet")
            .filter_map(|r| net(r.get("address_prefix")).map(|n| (r, n)))
            .collect();
        for (i, (b, bn)) in subs.iter().enumerate() {
            if let Some((a, an)) = subs[..i].iter().find(|(_, an)| overlaps(an, bn)) {
                out.push(
                    Diagnostic::error(
                        "capz::cidr::subnet-overlap",
                        format!(
                            "subnet {} ({bn}) overlaps subnet {} ({an}) in vnet {}",
                            b.address, a.address, vnet.address
                        ),
                    )
                    .with_primary(field_span(b, "address_prefix"), format!("overlaps {an}"))
                    .with_secondary(field_span(a, "address_prefix"), format!("{} is here", a.address))
                    .with_help("give each subnet its own range, e.g. with cidrsubnet(address_space[0], 8, i)"),
                );
            }
        }
    }
    out
}

/// A cluster network range: the field's value and span, or the AKS default at the
/// resource header. `None` when the value is unknown or malformed.
fn range_of(res: &Resource, key: &str, default: &str) -> Option<(IpNet, Span, bool)> {
    match res.get(key) {
        Some(v) => net(Some(v)).map(|n| (n, field_span(res, key), false)),
        None => default.parse().ok().map(|n| (n, res.span, true)),
    }
}

fn shown(n: &IpNet, is_default: bool) -> String {
    if is_default {
        format!("{n} (the AKS default)")
    } else {
        n.to_string()
    }
}

fn dns_ip(res: &Resource) -> Option<(IpAddr, Span, bool)> {
    match res.get("network.dns_service_ip") {
        Some(v) => v
            .as_str()?
            .parse()
            .ok()
            .map(|ip| (ip, field_span(res, "network.dns_service_ip"), false)),
        None => DEFAULT_DNS_SERVICE_IP
            .parse()
            .ok()
            .map(|ip| (ip, res.span, true)),
    }
}

fn outside_service_cidr(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        let Some((svc, svc_span, svc_default)) =
            range_of(cl, "network.service_cidr", DEFAULT_SERVICE_CIDR)
        else {
            continue;
        };
        let Some((ip, ip_span, ip_default)) = dns_ip(cl) else {
            continue;
        };
        if ip_default && svc_default || svc.contains(&ip) {
            continue;
        }
        let suggestion = super::super::functions::cidr::cidrhost(svc, 10)
            .map(|a| a.to_string())
            .unwrap_or_default();
        let mut d = Diagnostic::error(
            "capz::cidr::outside-service-cidr",
            format!(
                "dns_service_ip {ip}{} is not inside service_cidr {}",
                if ip_default { " (the AKS default)" } else { "" },
                shown(&svc, svc_default)
            ),
        )
        .with_primary(ip_span, format!("not inside {svc}"));
        if !svc_default {
            d = d.with_secondary(svc_span, "the service CIDR");
        }
        out.push(d.with_help(format!(
            "AKS gives kube-dns an address from the service CIDR, e.g. {suggestion}"
        )));
    }
    out
}

fn dns_service_ip_first(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        let Some((svc, _, _)) = range_of(cl, "network.service_cidr", DEFAULT_SERVICE_CIDR) else {
            continue;
        };
        let Some((ip, span, _)) = dns_ip(cl) else {
            continue;
        };
        if ip != svc.network() {
            continue;
        }
        let suggestion = super::super::functions::cidr::cidrhost(svc, 10)
            .map(|a| a.to_string())
            .unwrap_or_default();
        out.push(
            Diagnostic::error(
                "capz::cidr::dns-service-ip-first-address",
                format!("dns_service_ip {ip} is the first address of service_cidr {svc}"),
            )
            .with_primary(span, "used by the kubernetes service")
            .with_help(format!(
                "use another address of the service CIDR, e.g. {suggestion}"
            )),
        );
    }
    out
}

fn service_cidr_overlaps_vnet(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        let Some((svc, span, is_default)) =
            range_of(cl, "network.service_cidr", DEFAULT_SERVICE_CIDR)
        else {
            continue;
        };
        for vnet in cluster_vnets(p, cl) {
            let hit_subnet = p
                .children(&vnet.address)
                .filter(|r| r.kind == "subnet")
                .find_map(|s| {
                    net(s.get("address_prefix"))
                        .filter(|n| overlaps(n, &svc))
                        .map(|n| (s, n))
                });
            let (other_span, what) = match hit_subnet {
                Some((s, n)) => (
                    field_span(s, "address_prefix"),
                    format!("subnet {} ({n})", s.address),
                ),
                None => match nets(vnet.get("address_space"))
                    .into_iter()
                    .find(|n| overlaps(n, &svc))
                {
                    Some(n) => (
                        field_span(vnet, "address_space"),
                        format!("the address space of vnet {} ({n})", vnet.address),
                    ),
                    None => continue,
                },
            };
            out.push(
                Diagnostic::error(
                    "capz::cidr::service-cidr-overlaps-vnet",
                    format!("service_cidr {} overlaps {what}", shown(&svc, is_default)),
                )
                .with_primary(span, format!("overlaps {what}"))
                .with_secondary(other_span, "used by the cluster's nodes")
                .with_help("choose a service CIDR outside the VNet, e.g. \"172.16.0.0/16\", with dns_service_ip \"172.16.0.10\""),
            );
        }
    }
    out
}

/// Whether pods take addresses from pod_cidr: kubenet, or Azure CNI overlay.
fn uses_pod_cidr(cl: &Resource) -> bool {
    cl.get("network.pod_cidr").is_some()
        || word(cl, "network.plugin") == Some("kubenet")
        || word(cl, "network.plugin_mode") == Some("overlay")
}

fn pod_cidr_overlaps_vnet(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        if !uses_pod_cidr(cl) {
            continue;
        }
        let Some((pod, span, is_default)) = range_of(cl, "network.pod_cidr", DEFAULT_POD_CIDR)
        else {
            continue;
        };
        for vnet in cluster_vnets(p, cl) {
            let Some(n) = nets(vnet.get("address_space"))
                .into_iter()
                .find(|n| overlaps(n, &pod))
            else {
                continue;
            };
            out.push(
                Diagnostic::error(
                    "capz::cidr::pod-cidr-overlaps-vnet",
                    format!(
                        "pod_cidr {} overlaps the address space of vnet {} ({n})",
                        shown(&pod, is_default),
                        vnet.address
                    ),
                )
                .with_primary(span, format!("overlaps {n}"))
                .with_secondary(field_span(vnet, "address_space"), "the cluster's VNet")
                .with_help(
                    "choose a pod CIDR outside the VNet's address space, e.g. \"192.168.0.0/16\"",
                ),
            );
        }
    }
    out
}

fn service_pod_overlap(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        if !uses_pod_cidr(cl) {
            continue;
        }
        let (Some((svc, svc_span, svc_d)), Some((pod, pod_span, pod_d))) = (
            range_of(cl, "network.service_cidr", DEFAULT_SERVICE_CIDR),
            range_of(cl, "network.pod_cidr", DEFAULT_POD_CIDR),
        ) else {
            continue;
        };
        if !overlaps(&svc, &pod) {
            continue;
        }
        let mut d = Diagnostic::error(
            "capz::cidr::service-pod-overlap",
            format!(
                "service_cidr {} overlaps pod_cidr {}",
                shown(&svc, svc_d),
                shown(&pod, pod_d)
            ),
        )
        .with_primary(
            if pod_d { svc_span } else { pod_span },
            "overlapping ranges",
        );
        if !pod_d && !svc_d {
            d = d.with_secondary(svc_span, "the service CIDR");
        }
        out.push(d.with_help("use disjoint ranges, e.g. service_cidr \"172.16.0.0/16\" and pod_cidr \"192.168.0.0/16\""));
    }
    out
}
