//! AKS cluster rules: system pool, DNS prefix and version formats, private-cluster options,
//! and the dropped docker bridge CIDR.

use super::{flag, word};
use lang::diagnostic::Diagnostic;
use lang::program::Program;
use lang::schema::{Catalog, RuleDef, field_span};
use lang::value::Value;

/// The cluster rules.
pub fn rules() -> Vec<RuleDef> {
    vec![
        RuleDef {
            code: "capz::cluster::no-system-pool",
            summary: "a cluster has no pool with mode = system",
            explanation: "AKS needs at least one System agent pool at all times, and at creation: system pods \
                (CoreDNS, metrics-server) run there.\n\
                Source: managedClusters.json `AgentPoolMode` (\"A cluster must have at least one 'System' Agent \
                Pool at all times\") and https://learn.microsoft.com/azure/aks/use-system-pools.",
            check: no_system_pool,
        },
        RuleDef {
            code: "capz::cluster::dns-prefix-format",
            summary: "dns_prefix is not 1-54 alphanumerics and hyphens starting and ending alphanumeric",
            explanation: "The DNS prefix becomes the first label of the API server FQDN. AKS accepts 1 to 54 \
                characters, letters, digits and hyphens, starting and ending with a letter or digit \
                (error InvalidDNSPrefix otherwise).\n\
                Source: https://learn.microsoft.com/azure/aks/faq (DNS name prefix) and managedClusters.json \
                `ManagedClusterProperties.dnsPrefix`.",
            check: dns_prefix_format,
        },
        RuleDef {
            code: "capz::cluster::kubernetes-version-format",
            summary: "kubernetes_version / orchestrator_version is not MAJOR.MINOR or MAJOR.MINOR.PATCH",
            explanation: "AKS accepts a Kubernetes version as <major.minor> (the latest supported patch is chosen) \
                or <major.minor.patch>, without a leading `v`.\n\
                Source: managedClusters.json `ManagedClusterProperties.kubernetesVersion` and \
                `orchestratorVersion` (\"Both patch version <major.minor.patch> (e.g. 1.20.13) and \
                <major.minor> (e.g. 1.20) are supported\").",
            check: version_format,
        },
        RuleDef {
            code: "capz::cluster::private-option-without-private-cluster",
            summary: "private_dns_zone or public_fqdn set on a cluster that is not private",
            explanation: "`privateDNSZone` and `enablePrivateClusterPublicFQDN` only apply to private clusters \
                (enablePrivateCluster = true); AKS rejects or ignores them otherwise.\n\
                Source: managedClusters.json `ManagedClusterAPIServerAccessProfile` and \
                https://learn.microsoft.com/azure/aks/private-clusters.",
            check: private_option_without_private,
        },
        RuleDef {
            code: "capz::cluster::authorized-ranges-private-cluster",
            summary: "authorized_ip_ranges set on a private cluster",
            explanation: "API server authorized IP ranges restrict the public endpoint; a private cluster has none, \
                and AKS refuses the combination.\n\
                Source: managedClusters.json `authorizedIPRanges` (\"This feature is not compatible with clusters \
                that use Public IP Per Node, or clusters that are using a Basic Load Balancer\") and \
                https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges (\"can't be used with \
                private API server\").",
            check: authorized_ranges_private,
        },
        RuleDef {
            code: "capz::cluster::docker-bridge-cidr-ignored",
            summary: "docker_bridge_cidr is ignored by current AKS api-versions",
            explanation: "`dockerBridgeCidr` was removed from the AKS API (it is not in managedClusters.json \
                2026-08-01; nodes use containerd, which has no docker bridge). capz accepts the field for old \
                programs but does not send it.\n\
                Source: managedClusters.json 2026-08-01 `ContainerServiceNetworkProfile` (no dockerBridgeCidr) \
                and https://learn.microsoft.com/azure/aks/configure-kubenet.",
            check: docker_bridge_ignored,
        },
    ]
}

fn no_system_pool(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("cluster")
        // An `existing` cluster's pools are its owner's, not declared here.
        .filter(|cl| !cl.existing)
        .filter(|cl| {
            !p.children(&cl.address)
                .any(|r| r.kind == "pool" && word(r, "mode") == Some("system"))
        })
        .map(|cl| {
            Diagnostic::error(
                "capz::cluster::no-system-pool",
                format!("cluster {} has no pool with mode = system", cl.address),
            )
            .with_primary(cl.span, "needs a system pool")
            .with_help(
                "add `pool system { mode = system  vm_size = \"Standard_D4s_v3\"  count = 1 }`",
            )
        })
        .collect()
}

/// 1-54 characters, alphanumerics and hyphens, alphanumeric at both ends.
pub fn valid_dns_prefix(s: &str) -> bool {
    let n = s.chars().count();
    (1..=54).contains(&n)
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars().last().is_some_and(|c| c.is_ascii_alphanumeric())
}

fn dns_prefix_format(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        let Some(Value::Str(s)) = cl.get("dns_prefix") else {
            continue;
        };
        if valid_dns_prefix(s) {
            continue;
        }
        let fixed: String = s
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .trim_matches('-')
            .chars()
            .take(54)
            .collect();
        out.push(
            Diagnostic::error(
                "capz::cluster::dns-prefix-format",
                format!("dns_prefix {s:?} is not 1-54 letters, digits and hyphens starting and ending with a letter or digit"),
            )
            .with_primary(field_span(cl, "dns_prefix"), "invalid DNS prefix")
            .with_help(if fixed.is_empty() {
                "use e.g. \"capz-mgmt\"".to_string()
            } else {
                format!("use e.g. {fixed:?}")
            }),
        );
    }
    out
}

/// `MAJOR.MINOR` or `MAJOR.MINOR.PATCH`, decimal numbers.
pub fn valid_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()))
}

fn version_format(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for res in &p.resources {
        let key = match res.kind {
            "cluster" => "kubernetes_version",
            "pool" => "orchestrator_version",
            _ => continue,
        };
        let Some(Value::Str(s)) = res.get(key) else {
            continue;
        };
        if valid_version(s) {
            continue;
        }
        let help = match s.strip_prefix(['v', 'V']) {
            Some(rest) if valid_version(rest) => format!("drop the leading v: {rest:?}"),
            _ => "write MAJOR.MINOR such as \"1.30\" (AKS picks the latest patch) or MAJOR.MINOR.PATCH such as \"1.30.7\"".to_string(),
        };
        out.push(
            Diagnostic::error(
                "capz::cluster::kubernetes-version-format",
                format!("{key} {s:?} is not MAJOR.MINOR or MAJOR.MINOR.PATCH"),
            )
            .with_primary(field_span(res, key), "invalid version")
            .with_help(help),
        );
    }
    out
}

fn private_option_without_private(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        if flag(cl, "api_server.private_cluster") == Some(true) {
            continue;
        }
        for key in ["api_server.private_dns_zone", "api_server.public_fqdn"] {
            if cl.get(key).is_none() {
                continue;
            }
            let mut d = Diagnostic::error(
                "capz::cluster::private-option-without-private-cluster",
                format!("{key} applies only to a private cluster"),
            )
            .with_primary(field_span(cl, key), "needs private_cluster = true");
            if cl.get("api_server.private_cluster").is_some() {
                d = d.with_secondary(
                    field_span(cl, "api_server.private_cluster"),
                    "the cluster is not private",
                );
            }
            out.push(
                d.with_help("set `private_cluster = true` in api_server, or remove this field"),
            );
        }
    }
    out
}

fn authorized_ranges_private(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("cluster")
        .filter(|cl| {
            flag(cl, "api_server.private_cluster") == Some(true)
                && cl
                    .get("api_server.authorized_ip_ranges")
                    .and_then(Value::as_list)
                    .is_some_and(|l| !l.is_empty())
        })
        .map(|cl| {
            Diagnostic::error(
                "capz::cluster::authorized-ranges-private-cluster",
                "authorized_ip_ranges restrict the public API server; this cluster is private",
            )
            .with_primary(
                field_span(cl, "api_server.authorized_ip_ranges"),
                "only for a public API server",
            )
            .with_secondary(
                field_span(cl, "api_server.private_cluster"),
                "private cluster",
            )
            .with_help("remove authorized_ip_ranges, or make the API server public")
        })
        .collect()
}

fn docker_bridge_ignored(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("cluster")
        .filter(|cl| cl.get("network.docker_bridge_cidr").is_some())
        .map(|cl| {
            Diagnostic::warning(
                "capz::cluster::docker-bridge-cidr-ignored",
                "docker_bridge_cidr is not part of current AKS api-versions; Azure ignores it and capz does not send it",
            )
            .with_primary(field_span(cl, "network.docker_bridge_cidr"), "ignored")
            .with_help("remove docker_bridge_cidr")
        })
        .collect()
}
