//! AKS node pool rules: Windows name length and mode, node counts and autoscale bounds,
//! max pods per node.

use super::word;
use lang::diagnostic::Diagnostic;
use lang::program::{Program, Resource};
use lang::schema::{Catalog, RuleDef, field_span};
use lang::value::Value;

/// AKS node count limits per pool (managedClusters.json `count`: "in the range of 0 to
/// 1000 (inclusive) for user pools and in the range of 1 to 1000 (inclusive) for system pools").
pub const MAX_NODES: i64 = 1000;
/// `maxPods` bounds (https://learn.microsoft.com/azure/aks/concepts-network-ip-address-planning).
pub const MAX_PODS: std::ops::RangeInclusive<i64> = 10..=250;

/// The pool rules.
pub fn rules() -> Vec<RuleDef> {
    vec![
        RuleDef {
            code: "capz::pool::windows-name-too-long",
            summary: "a Windows pool name is longer than 6 characters",
            explanation: "Windows node names are built from the pool name and must fit the 15-character NetBIOS \
                limit, so AKS allows at most 6 characters for a Windows pool's name (12 for Linux).\n\
                Source: https://learn.microsoft.com/azure/aks/learn/quick-windows-container-deploy-cli \
                (\"a Windows node pool name has a limit of six characters\").",
            check: windows_name,
        },
        RuleDef {
            code: "capz::pool::windows-system-pool",
            summary: "a Windows pool has mode = system",
            explanation: "System pools must run Linux: AKS system pods are Linux-only.\n\
                Source: https://learn.microsoft.com/azure/aks/use-system-pools (\"System pools osType must be Linux\").",
            check: windows_system,
        },
        RuleDef {
            code: "capz::pool::autoscale-range",
            summary: "autoscale min..max is empty or outside AKS limits",
            explanation: "The cluster autoscaler needs minCount <= maxCount, both within 0-1000 nodes; a system \
                pool needs at least 1 node.\n\
                Source: managedClusters.json `ManagedClusterAgentPoolProfileProperties.count/minCount/maxCount` and \
                https://learn.microsoft.com/azure/aks/cluster-autoscaler.",
            check: autoscale_range,
        },
        RuleDef {
            code: "capz::pool::count-range",
            summary: "a pool's count is outside 0-1000 (1-1000 for system pools)",
            explanation: "AKS accepts 0 to 1000 nodes in a user pool and 1 to 1000 in a system pool; with autoscale \
                the count must lie within min..max.\n\
                Source: managedClusters.json `ManagedClusterAgentPoolProfileProperties.count`.",
            check: count_range,
        },
        RuleDef {
            code: "capz::pool::count-with-autoscale",
            summary: "a pool sets both count and autoscale",
            explanation: "With `autoscale = min..max` the cluster autoscaler owns the pool's node count: \
                `count` is only the initial count when the pool is created, and plans never diff or \
                write it afterwards (a scale-out by the autoscaler is not a change).\n\
                Fix: nothing, if the initial count is meant; otherwise remove `count` (the pool \
                starts at AKS's default within min..max).\n\
                Source: https://learn.microsoft.com/azure/aks/cluster-autoscaler; Terraform's azurerm \
                provider documents the same as `lifecycle { ignore_changes = [node_count] }`.",
            check: count_with_autoscale,
        },
        RuleDef {
            code: "capz::pool::max-pods-range",
            summary: "max_pods is outside 10-250",
            explanation: "AKS allows 10 to 250 pods per node.\n\
                Source: https://learn.microsoft.com/azure/aks/concepts-network-ip-address-planning \
                (maximum pods per node: 250; minimum 10) and managedClusters.json `maxPods`.",
            check: max_pods_range,
        },
    ]
}

fn is_windows(r: &Resource) -> bool {
    word(r, "os_type") == Some("windows")
}

fn windows_name(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("pool")
        .filter(|r| is_windows(r) && r.name.chars().count() > 6)
        .map(|r| {
            Diagnostic::error(
                "capz::pool::windows-name-too-long",
                format!("Windows pool name {:?} is longer than 6 characters", r.name),
            )
            .with_primary(field_span(r, "name"), "at most 6 characters for Windows")
            .with_secondary(field_span(r, "os_type"), "Windows pool")
            .with_help(format!(
                "use a shorter name, e.g. name = {:?}",
                r.name.chars().take(6).collect::<String>()
            ))
        })
        .collect()
}

fn windows_system(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("pool")
        .filter(|r| is_windows(r) && word(r, "mode") == Some("system"))
        .map(|r| {
            Diagnostic::error(
                "capz::pool::windows-system-pool",
                format!("pool {} is a Windows pool with mode = system", r.address),
            )
            .with_primary(field_span(r, "mode"), "system pools must be Linux")
            .with_secondary(field_span(r, "os_type"), "Windows")
            .with_help("use mode = user for Windows pools and keep a Linux system pool")
        })
        .collect()
}

fn autoscale_range(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in p.of_kind("pool") {
        let Some(Value::Range { start, end }) = r.get("autoscale") else {
            continue;
        };
        let system = word(r, "mode") == Some("system");
        let lo = i64::from(system);
        let problem = if start > end {
            Some(format!("min {start} is greater than max {end}"))
        } else if *start < lo {
            Some(if system {
                format!("min {start} is below 1, the minimum of a system pool")
            } else {
                format!("min {start} is negative")
            })
        } else if *end > MAX_NODES {
            Some(format!(
                "max {end} is above {MAX_NODES}, the AKS limit per pool"
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            out.push(
                Diagnostic::error(
                    "capz::pool::autoscale-range",
                    format!("autoscale {start}..{end} of pool {}: {problem}", r.address),
                )
                .with_primary(field_span(r, "autoscale"), problem)
                .with_help(format!(
                    "write min..max with {lo} <= min <= max <= {MAX_NODES}, e.g. {}..{}",
                    (*start)
                        .clamp(lo, MAX_NODES)
                        .min((*end).clamp(lo, MAX_NODES)),
                    (*end)
                        .clamp(lo, MAX_NODES)
                        .max((*start).clamp(lo, MAX_NODES))
                )),
            );
        }
    }
    out
}

fn count_range(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in p.of_kind("pool") {
        let Some(Value::Int(n)) = r.get("count") else {
            continue;
        };
        let system = word(r, "mode") == Some("system");
        let lo = i64::from(system);
        let (problem, help) = if *n < lo || *n > MAX_NODES {
            (
                format!("count {n} is outside {lo}-{MAX_NODES}"),
                if system && *n == 0 {
                    "a system pool needs at least 1 node".to_string()
                } else {
                    format!("use a count between {lo} and {MAX_NODES}")
                },
            )
        } else if let Some(Value::Range { start, end }) = r.get("autoscale") {
            if n < start || n > end {
                (
                    format!("count {n} is outside autoscale {start}..{end}"),
                    "set count within the autoscale bounds, or leave it out (it starts at min)"
                        .to_string(),
                )
            } else {
                continue;
            }
        } else {
            continue;
        };
        out.push(
            Diagnostic::error(
                "capz::pool::count-range",
                format!("pool {}: {problem}", r.address),
            )
            .with_primary(field_span(r, "count"), problem)
            .with_help(help),
        );
    }
    out
}

fn count_with_autoscale(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("pool")
        .filter(|r| r.get("count").is_some() && r.get("autoscale").is_some())
        .map(|r| {
            Diagnostic::warning(
                "capz::pool::count-with-autoscale",
                format!(
                    "pool {}: `count` is only the initial node count, the cluster autoscaler owns it",
                    r.address
                ),
            )
            .with_primary(field_span(r, "count"), "used only when the pool is created")
            .with_secondary(field_span(r, "autoscale"), "the autoscaler scales within this")
            .with_help("keep it if this initial count is meant; plans never change it after create")
        })
        .collect()
}

fn max_pods_range(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("pool")
        .filter_map(|r| match r.get("max_pods") {
            Some(Value::Int(n)) if !MAX_PODS.contains(n) => Some((r, *n)),
            _ => None,
        })
        .map(|(r, n)| {
            Diagnostic::error(
                "capz::pool::max-pods-range",
                format!("max_pods {n} of pool {} is outside 10-250", r.address),
            )
            .with_primary(field_span(r, "max_pods"), "must be 10-250")
            .with_help("AKS allows 10 to 250 pods per node (110 is the default)")
        })
        .collect()
}
