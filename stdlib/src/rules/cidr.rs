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
            summary: "dns_service_ip is the network address or the first address of service_cidr",
            explanation: "The first usable address of the service range (.1 of a /16 such as 10.0.0.1) is the \
                `kubernetes` service (kubernetes.default.svc.cluster.local), and the network address (.0) \
                is never assigned; the DNS service needs another address, conventionally .10.\n\
                Source: https://learn.microsoft.com/azure/aks/configure-azure-cni (\"Don't use the first IP \
                address in your address range, like .1. The first address in your subnet range is used for \
                the kubernetes.default.svc.cluster.local address\").",
            check: dns_service_ip_first,
        },
        RuleDef {
            code: "capz::cidr::service-cidr-overlaps-subnet",
            summary: "service_cidr overlaps a subnet of the cluster's VNet",
            explanation: "Kubernetes service IPs are virtual: the service range must not overlap any subnet of \
                the cluster's virtual network, or traffic to those addresses is captured by kube-proxy. AKS \
                refuses the cluster (ServiceCidrOverlapExistingSubnetsCidr).\n\
                Source: managedClusters.json `ContainerServiceNetworkProfile.serviceCidr` (\"It must not overlap \
                with any Subnet IP ranges\") and https://learn.microsoft.com/azure/aks/configure-azure-cni.",
            check: service_cidr_overlaps_subnet,
        },
        RuleDef {
            code: "capz::cidr::service-cidr-overlaps-vnet",
            summary: "service_cidr overlaps unused address space of the cluster's VNet (warning)",
            explanation: "AKS accepts a service range inside the VNet's address space as long as no subnet uses \
                it, but a subnet added there later is refused or unreachable from pods; Azure's guidance is a \
                range outside the VNet. capz warns.\n\
                Source: https://learn.microsoft.com/azure/aks/configure-azure-cni (service address range: \
                \"Must not be within the virtual network IP address range of your cluster\") and \
                managedClusters.json `serviceCidr` (only subnets are refused).",
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
        let first = super::super::functions::cidr::cidrhost(svc, 1).ok();
        let why = if ip == svc.network() {
            "the network address of the range"
        } else if first.as_ref() == Some(&ip) {
            "used by the kubernetes service"
        } else {
            continue;
        };
        let suggestion = super::super::functions::cidr::cidrhost(svc, 10)
            .map(|a| a.to_string())
            .unwrap_or_default();
        out.push(
            Diagnostic::error(
                "capz::cidr::dns-service-ip-first-address",
                format!(
                    "dns_service_ip {ip} is {} of service_cidr {svc}",
                    if ip == svc.network() {
                        "the network address"
                    } else {
                        "the first address"
                    }
                ),
            )
            .with_primary(span, why)
            .with_help(format!(
                "use another address of the service CIDR, e.g. {suggestion}"
            )),
        );
    }
    out
}

/// A service range that overlaps none of `taken` (VNet address spaces, pod CIDR), for help.
fn free_service_cidr(taken: &[IpNet]) -> &'static str {
    [
        "172.16.0.0/16",
        "10.100.0.0/16",
        "192.168.0.0/16",
        "10.250.0.0/16",
    ]
    .into_iter()
    .find(|c| {
        c.parse::<IpNet>()
            .is_ok_and(|n| !taken.iter().any(|t| overlaps(t, &n)))
    })
    .unwrap_or("172.16.0.0/16")
}

/// The pools of `cluster` whose nodes use subnet `sub`.
fn pools_on<'a>(p: &'a Program, cluster: &'a Resource, sub: &'a Resource) -> Vec<&'a Resource> {
    p.children(&cluster.address)
        .filter(|r| {
            r.kind == "pool"
                && r.get("subnet") == Some(&lang::value::Value::Ref(sub.address.clone()))
        })
        .collect()
}

fn service_cidr_help(p: &Program, cl: &Resource) -> String {
    let mut taken: Vec<IpNet> = cluster_vnets(p, cl)
        .iter()
        .flat_map(|v| nets(v.get("address_space")))
        .collect();
    if let Some((pod, _, _)) = range_of(cl, "network.pod_cidr", DEFAULT_POD_CIDR) {
        taken.push(pod);
    }
    let cidr = free_service_cidr(&taken);
    let dns = cidr
        .parse::<IpNet>()
        .ok()
        .and_then(|n| super::super::functions::cidr::cidrhost(n, 10).ok())
        .map(|a| a.to_string())
        .unwrap_or_default();
    format!(
        "choose a service CIDR outside the VNet's address space, e.g. \"{cidr}\", with dns_service_ip \"{dns}\""
    )
}

fn service_cidr_overlaps_subnet(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        let Some((svc, span, is_default)) =
            range_of(cl, "network.service_cidr", DEFAULT_SERVICE_CIDR)
        else {
            continue;
        };
        for vnet in cluster_vnets(p, cl) {
            let Some((s, n)) = p
                .children(&vnet.address)
                .filter(|r| r.kind == "subnet")
                .find_map(|s| {
                    net(s.get("address_prefix"))
                        .filter(|n| overlaps(n, &svc))
                        .map(|n| (s, n))
                })
            else {
                continue;
            };
            let pools = pools_on(p, cl, s);
            let label = match pools.as_slice() {
                [] => format!("a subnet of {}, the cluster's VNet", vnet.address),
                [one] => format!("the subnet of pool {}", one.address),
                many => format!(
                    "the subnet of pools {}",
                    many.iter()
                        .map(|p| p.address.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            out.push(
                Diagnostic::error(
                    "capz::cidr::service-cidr-overlaps-subnet",
                    format!(
                        "service_cidr {} overlaps subnet {} ({n})",
                        shown(&svc, is_default),
                        s.address
                    ),
                )
                .with_primary(span, format!("overlaps {n}"))
                .with_secondary(field_span(s, "address_prefix"), label)
                .with_help(service_cidr_help(p, cl)),
            );
        }
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
            let hits_subnet = p
                .children(&vnet.address)
                .filter(|r| r.kind == "subnet")
                .any(|s| net(s.get("address_prefix")).is_some_and(|n| overlaps(&n, &svc)));
            if hits_subnet {
                continue; // an error: service-cidr-overlaps-subnet
            }
            let Some(n) = nets(vnet.get("address_space"))
                .into_iter()
                .find(|n| overlaps(n, &svc))
            else {
                continue;
            };
            out.push(
                Diagnostic::warning(
                    "capz::cidr::service-cidr-overlaps-vnet",
                    format!(
                        "service_cidr {} is inside the address space of vnet {} ({n}); no subnet uses it yet",
                        shown(&svc, is_default),
                        vnet.address
                    ),
                )
                .with_primary(span, format!("inside {n}"))
                .with_secondary(field_span(vnet, "address_space"), "the cluster's VNet")
                .with_help(service_cidr_help(p, cl)),
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
