//! More AKS node pool rules: availability zones, taint and label syntax, OS disk size, OS
//! SKU against OS type, Windows with kubenet, max surge, one VNet per cluster, the node
//! version skew against the control plane, and subnet capacity for nodes and pods.

use super::{net, word};
use lang::diagnostic::Diagnostic;
use lang::program::{Program, Resource};
use lang::schema::{Catalog, RuleDef, field_span};
use lang::value::Value;

/// The rules of this module.
pub fn rules() -> Vec<RuleDef> {
    vec![
        RuleDef {
            code: "capz::zone::invalid",
            summary: "an availability zone is not \"1\", \"2\" or \"3\", or is listed twice",
            explanation: "Azure regions with availability zones have three, named \"1\", \"2\" and \"3\"; node \
                pools, public IPs and load balancer frontends list a subset of them, each once.\n\
                Source: https://learn.microsoft.com/azure/reliability/availability-zones-overview (\"a minimum \
                of three ... zones\") and https://learn.microsoft.com/azure/aks/availability-zones \
                (\"--zones 1 2 3\"); managedClusters.json `availabilityZones`, publicIpAddress.json `zones`.",
            check: zones,
        },
        RuleDef {
            code: "capz::pool::taint-format",
            summary: "a node taint is not key=value:Effect (NoSchedule, PreferNoSchedule, NoExecute)",
            explanation: "A taint is `key=value:Effect` or `key:Effect`: the key a Kubernetes qualified name (an \
                optional DNS subdomain prefix and `/`, then 1-63 letters, digits, `-`, `_`, `.` starting and \
                ending alphanumeric), the value up to 63 such characters, the effect NoSchedule, \
                PreferNoSchedule or NoExecute.\n\
                Source: managedClusters.json `nodeTaints` (\"For example, key=value:NoSchedule\"), \
                https://learn.microsoft.com/azure/aks/use-node-taints and \
                https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/.",
            check: taint_format,
        },
        RuleDef {
            code: "capz::pool::label-format",
            summary: "a node label key or value is not valid Kubernetes label syntax, or uses an AKS prefix",
            explanation: "Label keys are qualified names (optional DNS subdomain prefix up to 253 characters and \
                `/`, then a 1-63 character name of letters, digits, `-`, `_`, `.`, alphanumeric at both \
                ends); values are empty or such a 63-character name. The kubernetes.azure.com prefix is \
                reserved for AKS.\n\
                Source: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set \
                and https://learn.microsoft.com/azure/aks/use-labels (reserved prefixes).",
            check: label_format,
        },
        RuleDef {
            code: "capz::pool::os-disk-size-range",
            summary: "os_disk_size_gb is outside 0-2048",
            explanation: "The OS disk of a node is at most 2048 GB; 0 means the VM size's default.\n\
                Source: managedClusters.json `ManagedClusterAgentPoolProfileProperties.osDiskSizeGB` \
                (minimum 0, maximum 2048).",
            check: os_disk_size,
        },
        RuleDef {
            code: "capz::pool::os-sku-mismatch",
            summary: "os_sku is a Windows SKU on a Linux pool, or a Linux SKU on a Windows pool",
            explanation: "The OS SKU must belong to the pool's OS type: Ubuntu, Azure Linux and CBL-Mariner for \
                Linux; Windows2019, Windows2022 and Windows2025 for Windows (osType defaults to Linux).\n\
                Source: managedClusters.json `OSSKU` and `osSKU` (\"The default is Ubuntu if OSType is Linux. \
                The default is Windows2019 ... if OSType is Windows\").",
            check: os_sku_mismatch,
        },
        RuleDef {
            code: "capz::pool::windows-kubenet",
            summary: "a Windows pool in a cluster that uses kubenet",
            explanation: "Windows Server node pools need Azure CNI; kubenet (basic networking) does not support \
                them.\n\
                Source: https://learn.microsoft.com/azure/aks/windows-faq (\"What kind of network plugin does \
                Windows support? ... must use the Azure CNI\").",
            check: windows_kubenet,
        },
        RuleDef {
            code: "capz::pool::max-surge-format",
            summary: "max_surge is not a positive node count or a percentage 1%-100%",
            explanation: "upgradeSettings.maxSurge is an integer such as \"5\" or a percentage such as \"33%\" of \
                the pool; with no maxUnavailable it must be at least 1 node or 1%, at most 100%.\n\
                Source: managedClusters.json `AgentPoolUpgradeSettings.maxSurge` (\"This can either be set to an \
                integer (e.g. '5') or a percentage (e.g. '50%')\") and \
                https://learn.microsoft.com/azure/aks/upgrade-aks-node-pools-rolling.",
            check: max_surge_format,
        },
        RuleDef {
            code: "capz::pool::subnets-in-different-vnets",
            summary: "the pools of one cluster use subnets of different VNets",
            explanation: "All node pools of a cluster join one virtual network: each pool may have its own \
                subnet, but every subnet must belong to the same VNet.\n\
                Source: https://learn.microsoft.com/azure/aks/create-node-pools#add-a-node-pool-with-a-unique-subnet \
                (\"All subnets assigned to node pools must belong to the same virtual network\").",
            check: subnets_in_different_vnets,
        },
        RuleDef {
            code: "capz::pool::version-skew",
            summary: "a pool's Kubernetes version is newer than the control plane's or more than 3 minors older",
            explanation: "Node pools run at most the control plane's version, and no more than three minor \
                versions older (the Kubernetes kubelet skew policy AKS follows).\n\
                Source: https://learn.microsoft.com/azure/aks/supported-kubernetes-versions (\"node pool \
                version ... can't be greater than the control plane version\") and \
                https://kubernetes.io/releases/version-skew-policy/#kubelet (\"kubelet may be up to three \
                minor versions older than kube-apiserver\").",
            check: version_skew,
        },
        RuleDef {
            code: "capz::pool::subnet-too-small",
            summary: "a subnet has fewer usable addresses than its pools' nodes (and pods, under Azure CNI) need",
            explanation: "Azure keeps 5 addresses of every subnet. Under Azure CNI without overlay every node takes \
                its own address plus one per pod (max_pods, 30 when unset), for the pool's largest size plus the upgrade \
                surge node: (nodes + 1) + (nodes + 1) * max_pods. With kubenet or overlay only the nodes \
                (+1) take subnet addresses. AKS refuses a pool whose subnet cannot hold it \
                (InsufficientSubnetSize).\n\
                Source: https://learn.microsoft.com/azure/aks/concepts-network-ip-address-planning \
                (\"(number of nodes + 1) + ((number of nodes + 1) * maximum pods per node)\") and \
                https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq (5 reserved addresses).",
            check: subnet_capacity,
        },
    ]
}

fn zones(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in &p.resources {
        if !matches!(r.kind, "pool" | "public_ip" | "frontend") {
            continue;
        }
        let Some(items) = r.get("zones").and_then(Value::as_list) else {
            continue;
        };
        let mut seen: Vec<&str> = Vec::new();
        for it in items {
            let Some(z) = it.as_str() else { continue };
            let msg = if !matches!(z, "1" | "2" | "3") {
                format!("availability zone {z:?} of {} does not exist", r.address)
            } else if seen.contains(&z) {
                format!("availability zone {z:?} is listed twice in {}", r.address)
            } else {
                seen.push(z);
                continue;
            };
            out.push(
                Diagnostic::error("capz::zone::invalid", msg)
                    .with_primary(field_span(r, "zones"), "zones are \"1\", \"2\" and \"3\"")
                    .with_help("list each zone once, from [\"1\", \"2\", \"3\"]"),
            );
            break;
        }
    }
    out
}

/// A Kubernetes name segment: 1-63 of `[A-Za-z0-9-_.]`, alphanumeric at both ends.
fn k8s_name(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// A DNS subdomain (RFC 1123): at most 253 characters, lowercase labels.
fn dns_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// A qualified name `[prefix/]name`.
fn qualified_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => dns_subdomain(prefix) && k8s_name(name),
        None => k8s_name(s),
    }
}

/// Why a taint string is malformed, or `None`.
pub fn taint_problem(t: &str) -> Option<String> {
    let Some((kv, effect)) = t.rsplit_once(':') else {
        return Some("it has no `:Effect`".into());
    };
    if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
        return Some(format!(
            "effect `{effect}` is not NoSchedule, PreferNoSchedule or NoExecute"
        ));
    }
    let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
    if !qualified_name(key) {
        return Some(format!("key `{key}` is not a valid Kubernetes key"));
    }
    if !value.is_empty() && !k8s_name(value) {
        return Some(format!(
            "value `{value}` is not 1-63 letters, digits, `-`, `_` or `.` starting and ending alphanumeric"
        ));
    }
    None
}

fn taint_format(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in p.of_kind("pool") {
        let Some(items) = r.get("node_taints").and_then(Value::as_list) else {
            continue;
        };
        for t in items.iter().filter_map(Value::as_str) {
            if let Some(why) = taint_problem(t) {
                out.push(
                    Diagnostic::error(
                        "capz::pool::taint-format",
                        format!("taint {t:?} of pool {}: {why}", r.address),
                    )
                    .with_primary(field_span(r, "node_taints"), "invalid taint")
                    .with_help("write key=value:Effect, e.g. \"sku=gpu:NoSchedule\""),
                );
            }
        }
    }
    out
}

fn label_format(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in p.of_kind("pool") {
        let Some(Value::Record(labels)) = r.get("node_labels") else {
            continue;
        };
        for (k, v) in labels {
            let why = if !qualified_name(k) {
                format!("key `{k}` is not a valid Kubernetes label key")
            } else if k.starts_with("kubernetes.azure.com/") {
                format!("key `{k}` uses the kubernetes.azure.com prefix that AKS reserves")
            } else if let Some(s) = v.as_str()
                && !s.is_empty()
                && !k8s_name(s)
            {
                format!("value {s:?} of `{k}` is not a valid label value")
            } else {
                continue;
            };
            out.push(
                Diagnostic::error(
                    "capz::pool::label-format",
                    format!("node label of pool {}: {why}", r.address),
                )
                .with_primary(field_span(r, "node_labels"), "invalid label")
                .with_help("keys are [prefix/]name and values 0-63 letters, digits, `-`, `_`, `.` starting and ending alphanumeric, e.g. { \"workload\" = \"gpu\" }"),
            );
        }
    }
    out
}

fn os_disk_size(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("pool")
        .filter_map(|r| match r.get("os_disk_size_gb") {
            Some(Value::Int(n)) if !(0..=2048).contains(n) => Some((r, *n)),
            _ => None,
        })
        .map(|(r, n)| {
            Diagnostic::error(
                "capz::pool::os-disk-size-range",
                format!(
                    "os_disk_size_gb {n} of pool {} is outside 0-2048",
                    r.address
                ),
            )
            .with_primary(field_span(r, "os_disk_size_gb"), "must be 0-2048")
            .with_help("use up to 2048 GB, or 0 for the VM size's default")
        })
        .collect()
}

fn os_sku_mismatch(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in p.of_kind("pool") {
        let Some(sku) = word(r, "os_sku") else {
            continue;
        };
        let windows_sku = sku.starts_with("windows");
        let windows = word(r, "os_type") == Some("windows");
        if windows_sku == windows {
            continue;
        }
        let mut d = Diagnostic::error(
            "capz::pool::os-sku-mismatch",
            format!(
                "os_sku {sku} of pool {} is for {}, but the pool's os_type is {}",
                r.address,
                if windows_sku { "Windows" } else { "Linux" },
                if windows { "windows" } else { "linux" }
            ),
        )
        .with_primary(field_span(r, "os_sku"), "wrong OS");
        if r.get("os_type").is_some() {
            d = d.with_secondary(field_span(r, "os_type"), "the pool's OS");
        }
        out.push(d.with_help(if windows_sku {
            "set os_type = windows, or a Linux os_sku such as ubuntu or azure_linux"
        } else {
            "choose a Windows os_sku such as windows2022, or os_type = linux"
        }));
    }
    out
}

fn windows_kubenet(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        if word(cl, "network.plugin") != Some("kubenet") {
            continue;
        }
        for pool in p.children(&cl.address) {
            if pool.kind == "pool" && word(pool, "os_type") == Some("windows") {
                out.push(
                    Diagnostic::error(
                        "capz::pool::windows-kubenet",
                        format!("Windows pool {} needs Azure CNI; the cluster uses kubenet", pool.address),
                    )
                    .with_primary(field_span(pool, "os_type"), "Windows pool")
                    .with_secondary(field_span(cl, "network.plugin"), "kubenet")
                    .with_help("use plugin = azure (with plugin_mode = overlay for pod addresses outside the VNet)"),
                );
            }
        }
    }
    out
}

/// The surge as (number, is_percent), or `None` when malformed.
fn parse_surge(s: &str) -> Option<(i64, bool)> {
    match s.strip_suffix('%') {
        Some(n) => n.parse().ok().map(|n| (n, true)),
        None => s.parse().ok().map(|n| (n, false)),
    }
}

fn max_surge_format(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in p.of_kind("pool") {
        let Some(Value::Str(s)) = r.get("max_surge") else {
            continue;
        };
        let ok = match parse_surge(s) {
            Some((n, true)) => (1..=100).contains(&n),
            Some((n, false)) => n >= 1,
            None => false,
        };
        if !ok {
            out.push(
                Diagnostic::error(
                    "capz::pool::max-surge-format",
                    format!("max_surge {s:?} of pool {} is not a node count of at least 1 or a percentage 1%-100%", r.address),
                )
                .with_primary(field_span(r, "max_surge"), "invalid max surge")
                .with_help("write a node count such as \"1\" or a percentage such as \"33%\""),
            );
        }
    }
    out
}

/// The VNet a pool's subnet belongs to.
fn pool_vnet<'a>(p: &'a Program, pool: &Resource) -> Option<&'a Resource> {
    let Some(Value::Ref(sub)) = pool.get("subnet") else {
        return None;
    };
    p.resource(sub)
        .and_then(|s| s.parent.as_ref())
        .and_then(|v| p.resource(v))
}

fn subnets_in_different_vnets(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        let mut first: Option<(&Resource, &Resource)> = None;
        for pool in p.children(&cl.address).filter(|r| r.kind == "pool") {
            let Some(vnet) = pool_vnet(p, pool) else {
                continue;
            };
            match first {
                None => first = Some((pool, vnet)),
                Some((fp, fv)) if fv.address != vnet.address => {
                    out.push(
                        Diagnostic::error(
                            "capz::pool::subnets-in-different-vnets",
                            format!(
                                "pool {} uses a subnet of vnet {}, pool {} one of vnet {}",
                                pool.address, vnet.address, fp.address, fv.address
                            ),
                        )
                        .with_primary(field_span(pool, "subnet"), format!("in {}", vnet.address))
                        .with_secondary(field_span(fp, "subnet"), format!("in {}", fv.address))
                        .with_help(format!(
                            "give every pool of the cluster a subnet of {}",
                            fv.address
                        )),
                    );
                    break;
                }
                Some(_) => {}
            }
        }
    }
    out
}

/// `(major, minor)` of a MAJOR.MINOR[.PATCH] version.
fn minor(s: &str) -> Option<(u32, u32)> {
    let mut it = s.split('.');
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

fn version_skew(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        let Some((cmaj, cmin)) = word(cl, "kubernetes_version").and_then(minor) else {
            continue;
        };
        for pool in p.children(&cl.address).filter(|r| r.kind == "pool") {
            let Some(v) = word(pool, "orchestrator_version") else {
                continue;
            };
            let Some((pmaj, pmin)) = minor(v) else {
                continue;
            };
            let (msg, help) = if (pmaj, pmin) > (cmaj, cmin) {
                (
                    format!(
                        "pool {} runs {v}, newer than the control plane's {cmaj}.{cmin}",
                        pool.address
                    ),
                    format!(
                        "upgrade the control plane first, or set orchestrator_version = \"{cmaj}.{cmin}\""
                    ),
                )
            } else if pmaj == cmaj && cmin - pmin > 3 {
                (
                    format!(
                        "pool {} runs {v}, {} minor versions behind the control plane's {cmaj}.{cmin}",
                        pool.address,
                        cmin - pmin
                    ),
                    format!(
                        "keep pools within three minor versions: at least \"{cmaj}.{}\"",
                        cmin - 3
                    ),
                )
            } else {
                continue;
            };
            out.push(
                Diagnostic::error("capz::pool::version-skew", msg)
                    .with_primary(
                        field_span(pool, "orchestrator_version"),
                        "outside the supported skew",
                    )
                    .with_secondary(
                        field_span(cl, "kubernetes_version"),
                        "control plane version",
                    )
                    .with_help(help),
            );
        }
    }
    out
}

/// The most nodes a pool can have: autoscale max, else count (default 1).
fn max_nodes(pool: &Resource) -> i64 {
    match (pool.get("autoscale"), pool.get("count")) {
        (Some(Value::Range { end, .. }), _) => *end,
        (_, Some(Value::Int(n))) => *n,
        _ => 1,
    }
}

/// Surge nodes during an upgrade: a count, or a percentage of `nodes` rounded up; 1 by
/// default (capz's default is 10%, at least one node).
fn surge_nodes(pool: &Resource, nodes: i64) -> i64 {
    match pool
        .get("max_surge")
        .and_then(Value::as_str)
        .and_then(parse_surge)
    {
        Some((n, false)) => n.max(1),
        // Saturating: counts come from source and may be absurd; the count rules refuse them.
        Some((pct, true)) => (nodes.saturating_mul(pct).saturating_add(99) / 100).max(1),
        None => (nodes.saturating_mul(10).saturating_add(99) / 100).max(1),
    }
}

fn subnet_capacity(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        let pods_in_subnet = word(cl, "network.plugin").is_none_or(|pl| pl == "azure")
            && word(cl, "network.plugin_mode") != Some("overlay");
        // subnet address -> (subnet, addresses needed, the largest pool)
        let mut need: Vec<(&Resource, i64, &Resource)> = Vec::new();
        for pool in p.children(&cl.address).filter(|r| r.kind == "pool") {
            let Some(Value::Ref(sub)) = pool.get("subnet") else {
                continue;
            };
            let Some(subnet) = p.resource(sub) else {
                continue;
            };
            let nodes = max_nodes(pool);
            let with_surge = nodes.saturating_add(surge_nodes(pool, nodes));
            // Unset, AKS gives an Azure CNI (node subnet) pool 30 pods per node; only then do
            // pods take subnet addresses (https://learn.microsoft.com/azure/aks/node-auto-provisioning-aksnodeclass:
            // "Azure CNI with standard networking: 30 pods").
            let max_pods = match pool.get("max_pods") {
                Some(Value::Int(n)) => *n,
                _ => 30,
            };
            let ips = if pods_in_subnet {
                with_surge.saturating_add(with_surge.saturating_mul(max_pods))
            } else {
                with_surge
            };
            match need
                .iter_mut()
                .find(|(s, _, _)| s.address == subnet.address)
            {
                Some(entry) => entry.1 = entry.1.saturating_add(ips),
                None => need.push((subnet, ips, pool)),
            }
        }
        for (subnet, ips, pool) in need {
            let Some(ipnet::IpNet::V4(prefix)) = net(subnet.get("address_prefix")) else {
                continue;
            };
            let size = 1i64 << (32 - i64::from(prefix.prefix_len()));
            let usable = size - 5;
            if ips <= usable {
                continue;
            }
            let mut bits = 32;
            while bits > 0 && (1i64 << (32 - bits)) - 5 < ips {
                bits -= 1;
            }
            out.push(
                Diagnostic::error(
                    "capz::pool::subnet-too-small",
                    format!(
                        "subnet {} ({prefix}) has {usable} usable addresses; the pools of cluster {} need {ips}{}",
                        subnet.address,
                        cl.address,
                        if pods_in_subnet { " for nodes and Azure CNI pods" } else { " for nodes" }
                    ),
                )
                .with_primary(field_span(subnet, "address_prefix"), format!("{usable} usable addresses"))
                .with_secondary(field_span(pool, "subnet"), "pool placed here")
                .with_help(format!(
                    "use at least a /{bits} subnet, lower max_pods or the pools' sizes{}",
                    if pods_in_subnet { ", or use plugin_mode = overlay" } else { "" }
                )),
            );
        }
    }
    out
}
