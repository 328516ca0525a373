//! NSG security rule checks: priority range and uniqueness per direction, port syntax.

use super::word;
use lang::diagnostic::Diagnostic;
use lang::program::{Program, Resource};
use lang::schema::{Catalog, RuleDef, field_span, item_span};
use lang::value::Value;

/// Security rule priorities (networkSecurityGroup.json `SecurityRulePropertiesFormat.priority`).
pub const PRIORITIES: std::ops::RangeInclusive<i64> = 100..=4096;

/// The NSG rules.
pub fn rules() -> Vec<RuleDef> {
    vec![
        RuleDef {
            code: "capz::nsg::priority-range",
            summary: "a security rule priority is outside 100-4096",
            explanation: "NSG security rule priorities go from 100 (evaluated first) to 4096.\n\
                Source: networkSecurityGroup.json `SecurityRulePropertiesFormat.priority` (\"The value can be \
                between 100 and 4096\").",
            check: priority_range,
        },
        RuleDef {
            code: "capz::nsg::duplicate-priority",
            summary: "two security rules of an NSG share a priority and direction",
            explanation: "Within one network security group, each rule's priority must be unique among the rules \
                of the same direction; ARM rejects the second (SecurityRuleConflict).\n\
                Source: networkSecurityGroup.json `SecurityRulePropertiesFormat.priority` (\"The priority number \
                must be unique for each rule in the collection\") and \
                https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview.",
            check: duplicate_priority,
        },
        RuleDef {
            code: "capz::nsg::port-range",
            summary: "a security rule port is not 0-65535, \"from-to\" or \"*\"",
            explanation: "Security rule ports are an integer or range between 0 and 65535 (\"80\", \"1024-65535\"), \
                or `*` for any port.\n\
                Source: networkSecurityGroup.json `SecurityRulePropertiesFormat.sourcePortRange` / \
                `destinationPortRange` (\"Integer or range between 0 and 65535. Asterisk '*' can also be used to \
                match all ports\").",
            check: port_range,
        },
    ]
}

fn priority_range(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("rule")
        .filter_map(|r| match r.get("priority") {
            Some(Value::Int(n)) if !PRIORITIES.contains(n) => Some((r, *n)),
            _ => None,
        })
        .map(|(r, n)| {
            Diagnostic::error(
                "capz::nsg::priority-range",
                format!(
                    "priority {n} of security rule {} is outside 100-4096",
                    r.address
                ),
            )
            .with_primary(field_span(r, "priority"), "must be 100-4096")
            .with_help("NSG rule priorities go from 100 (first) to 4096 (last)")
        })
        .collect()
}

fn duplicate_priority(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for nsg in p.of_kind("nsg") {
        let rules: Vec<(&Resource, i64, &str)> = p
            .children(&nsg.address)
            .filter(|r| r.kind == "rule")
            .filter_map(|r| match (r.get("priority"), word(r, "direction")) {
                (Some(Value::Int(n)), Some(d)) => Some((r, *n, d)),
                _ => None,
            })
            .collect();
        for (i, (b, bn, bd)) in rules.iter().enumerate() {
            if let Some((a, _, _)) = rules[..i].iter().find(|(_, an, ad)| an == bn && ad == bd) {
                out.push(
                    Diagnostic::error(
                        "capz::nsg::duplicate-priority",
                        format!(
                            "security rules {} and {} are both {bd} with priority {bn}",
                            a.address, b.address
                        ),
                    )
                    .with_primary(
                        field_span(b, "priority"),
                        format!("priority {bn} already used"),
                    )
                    .with_secondary(field_span(a, "priority"), format!("{} uses it", a.address))
                    .with_help("give each rule of one direction its own priority"),
                );
            }
        }
    }
    out
}

/// Whether one port entry is valid: 0-65535, "a-b" with a <= b, "*" or a decimal string.
pub fn valid_port(v: &Value) -> bool {
    let ok = |s: &str| s.parse::<u32>().is_ok_and(|n| n <= 65535);
    match v {
        Value::Int(n) => (0..=65535).contains(n),
        Value::Str(s) if s == "*" => true,
        Value::Str(s) => match s.split_once('-') {
            Some((a, b)) => ok(a) && ok(b) && a.parse::<u32>().ok() <= b.parse::<u32>().ok(),
            None => ok(s),
        },
        Value::Unknown { .. } => true,
        _ => false,
    }
}

fn port_range(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in p.of_kind("rule") {
        for key in ["source_ports", "destination_ports"] {
            let Some(items) = r.get(key).and_then(Value::as_list) else {
                continue;
            };
            for (i, bad) in items.iter().enumerate().filter(|(_, v)| !valid_port(v)) {
                out.push(
                    Diagnostic::error(
                        "capz::nsg::port-range",
                        format!(
                            "{key} of security rule {} has invalid port {bad}",
                            r.address
                        ),
                    )
                    .with_primary(item_span(r, key, i), format!("{bad} is not a port"))
                    .with_help("use ports 0-65535, ranges \"from-to\" with from <= to such as \"1024-65535\", or \"*\""),
                );
            }
        }
    }
    out
}
