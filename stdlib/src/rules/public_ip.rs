//! Public IP address rules: Standard SKU allocation, the DNS label, the idle timeout and
//! zones on the Basic SKU.

use super::word;
use lang::diagnostic::Diagnostic;
use lang::program::Program;
use lang::schema::{Catalog, RuleDef, field_span};
use lang::value::Value;

/// The rules of this module.
pub fn rules() -> Vec<RuleDef> {
    vec![
        RuleDef {
            code: "capz::public-ip::standard-dynamic",
            summary: "a Standard public IP has allocation = dynamic",
            explanation: "Standard SKU public IP addresses are always statically allocated; ARM refuses a \
                Standard address with the Dynamic allocation method.\n\
                Source: https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses#sku \
                (Standard: \"Always static allocation\") and publicIpAddress.json `publicIPAllocationMethod`.",
            check: standard_dynamic,
        },
        RuleDef {
            code: "capz::public-ip::domain-label-format",
            summary: "domain_label is not 3-63 lowercase letters, digits and hyphens, starting with a letter",
            explanation: "The DNS name label becomes <label>.<region>.cloudapp.azure.com. It is 3 to 63 \
                characters of lowercase letters, digits and hyphens, starts with a letter and ends with a \
                letter or digit (^[a-z][a-z0-9-]{1,61}[a-z0-9]$).\n\
                Source: https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses#dns-name-label \
                and https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftnetwork \
                (publicIPAddresses domain name label).",
            check: domain_label_format,
        },
        RuleDef {
            code: "capz::public-ip::idle-timeout-range",
            summary: "a public IP's idle_timeout is outside 4-30 minutes",
            explanation: "The TCP idle timeout of a public IP address is 4 to 30 minutes (default 4).\n\
                Source: https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses#idle-timeout \
                (\"adjustable from 4 to 30 minutes\") and publicIpAddress.json `idleTimeoutInMinutes`.",
            check: idle_timeout,
        },
        RuleDef {
            code: "capz::public-ip::basic-zones",
            summary: "a Basic public IP lists availability zones",
            explanation: "Only Standard SKU public IPs can be zonal or zone-redundant; Basic addresses have no \
                zones.\n\
                Source: https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses#sku \
                (Basic: \"Availability zones: not supported\").",
            check: basic_zones,
        },
    ]
}

fn standard_dynamic(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("public_ip")
        .filter(|ip| {
            word(ip, "sku") == Some("standard") && word(ip, "allocation") == Some("dynamic")
        })
        .map(|ip| {
            Diagnostic::error(
                "capz::public-ip::standard-dynamic",
                format!("Standard public IP {} cannot be dynamic", ip.address),
            )
            .with_primary(
                field_span(ip, "allocation"),
                "Standard addresses are static",
            )
            .with_secondary(field_span(ip, "sku"), "Standard SKU")
            .with_help("set `allocation = static`")
        })
        .collect()
}

/// Why a DNS name label is invalid, or `None`.
pub fn domain_label_problem(s: &str) -> Option<String> {
    let n = s.chars().count();
    if n > 63 {
        return Some(format!(
            "it is {n} characters long; a DNS label is at most 63"
        ));
    }
    if n < 3 {
        return Some(format!("it is {n} characters long; at least 3 are needed"));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some("it may contain only lowercase letters, digits and hyphens".into());
    }
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("it must start with a lowercase letter".into());
    }
    if s.ends_with('-') {
        return Some("it must end with a letter or digit".into());
    }
    None
}

fn domain_label_format(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for ip in p.of_kind("public_ip") {
        let Some(Value::Str(s)) = ip.get("domain_label") else {
            continue;
        };
        let Some(why) = domain_label_problem(s) else {
            continue;
        };
        let fixed: String = s
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .trim_start_matches(|c: char| !c.is_ascii_lowercase())
            .chars()
            .take(63)
            .collect::<String>()
            .trim_end_matches('-')
            .to_string();
        let help = if domain_label_problem(&fixed).is_none() {
            format!("use e.g. {fixed:?}")
        } else {
            "use 3-63 lowercase letters, digits and hyphens, e.g. \"capz-api\"".to_string()
        };
        out.push(
            Diagnostic::error(
                "capz::public-ip::domain-label-format",
                format!("domain_label {s:?} of {} is invalid: {why}", ip.address),
            )
            .with_primary(field_span(ip, "domain_label"), "invalid DNS label")
            .with_help(help),
        );
    }
    out
}

fn idle_timeout(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("public_ip")
        .filter_map(|ip| match ip.get("idle_timeout") {
            Some(Value::Int(n)) if !(4..=30).contains(n) => Some((ip, *n)),
            _ => None,
        })
        .map(|(ip, n)| {
            Diagnostic::error(
                "capz::public-ip::idle-timeout-range",
                format!("idle_timeout {n} of {} is outside 4-30 minutes", ip.address),
            )
            .with_primary(field_span(ip, "idle_timeout"), "must be 4-30")
            .with_help("pick 4 to 30 minutes (the default is 4)")
        })
        .collect()
}

fn basic_zones(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("public_ip")
        .filter(|ip| {
            word(ip, "sku") == Some("basic")
                && ip
                    .get("zones")
                    .and_then(Value::as_list)
                    .is_some_and(|l| !l.is_empty())
        })
        .map(|ip| {
            Diagnostic::error(
                "capz::public-ip::basic-zones",
                format!(
                    "Basic public IP {} cannot have availability zones",
                    ip.address
                ),
            )
            .with_primary(field_span(ip, "zones"), "zones need the Standard SKU")
            .with_secondary(field_span(ip, "sku"), "Basic SKU")
            .with_help("use `sku = standard` (Basic public IPs are retired), or remove zones")
        })
        .collect()
}
