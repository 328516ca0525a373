//! More load balancer rules: probe request paths and intervals, idle timeouts, outbound
//! rule ports and frontends, and rules that claim the same frontend port.

use super::word;
use lang::diagnostic::Diagnostic;
use lang::program::{Program, Resource};
use lang::schema::{Catalog, RuleDef, field_span};
use lang::value::{Address, Value};

/// SNAT ports one frontend IP address offers to an outbound rule.
pub const PORTS_PER_FRONTEND: i64 = 64000;

/// The rules of this module.
pub fn rules() -> Vec<RuleDef> {
    vec![
        RuleDef {
            code: "capz::lb::probe-request-path",
            summary: "an http(s) probe has no request_path, or a tcp probe has one",
            explanation: "An HTTP or HTTPS health probe requests a path and needs a 200 answer; a TCP probe only \
                opens a connection and must not have a path.\n\
                Source: loadBalancer.json `ProbePropertiesFormat.requestPath` (\"Path is required if a protocol is \
                set to http. Otherwise, it is not allowed\") and \
                https://learn.microsoft.com/azure/load-balancer/load-balancer-custom-probe-overview.",
            check: probe_request_path,
        },
        RuleDef {
            code: "capz::lb::probe-interval",
            summary: "a probe interval is shorter than 5 seconds",
            explanation: "Health probes run at most every 5 seconds (the default is 15).\n\
                Source: loadBalancer.json `ProbePropertiesFormat.intervalInSeconds` (\"The default value is 15, the \
                minimum value is 5\").",
            check: probe_interval,
        },
        RuleDef {
            code: "capz::lb::idle-timeout-range",
            summary: "a load-balancing or outbound rule's idle_timeout is outside 4-100 minutes",
            explanation: "The TCP idle timeout of load-balancing rules, inbound NAT rules and outbound rules is 4 to \
                100 minutes (default 4).\n\
                Source: https://learn.microsoft.com/azure/load-balancer/load-balancer-tcp-idle-timeout (\"a default \
                timeout range of 4 minutes to 100 minutes for Load Balancer rules, Outbound Rules, and Inbound NAT \
                rules\").",
            check: idle_timeout,
        },
        RuleDef {
            code: "capz::lb::outbound-ports",
            summary: "an outbound rule's allocated_outbound_ports is not a multiple of 8 or exceeds its frontends' ports",
            explanation: "Outbound rules allocate SNAT ports per backend instance in multiples of 8, and each \
                frontend IP address offers 64,000 ports: allocated_outbound_ports is at most 64,000 times the \
                number of the rule's frontends (0 lets Azure choose).\n\
                Source: https://learn.microsoft.com/azure/load-balancer/outbound-rules#snatports (\"ports are \
                allocated in multiples of 8\"; \"Each public IP address contributes up to 64,000 ephemeral \
                ports\") and loadBalancer.json `OutboundRulePropertiesFormat.allocatedOutboundPorts`.",
            check: outbound_ports,
        },
        RuleDef {
            code: "capz::lb::outbound-rule-internal",
            summary: "an outbound rule uses a frontend without a public IP",
            explanation: "Outbound rules translate backend traffic to public addresses: they exist only on a public \
                Standard load balancer, and every frontend they use must have a public IP or prefix.\n\
                Source: https://learn.microsoft.com/azure/load-balancer/outbound-rules (\"Outbound rules are \
                only available with public Standard load balancer\").",
            check: outbound_rule_internal,
        },
        RuleDef {
            code: "capz::lb::duplicate-frontend-port",
            summary: "two load-balancing rules use the same frontend, protocol and frontend port",
            explanation: "A frontend port is unique per frontend IP configuration and protocol within a load \
                balancer; ARM refuses a second rule on the same one.\n\
                Source: loadBalancer.json `LoadBalancingRulePropertiesFormat.frontendPort` (\"Port numbers for \
                each rule must be unique within the Load Balancer\") and \
                https://learn.microsoft.com/azure/load-balancer/manage-rules-how-to.",
            check: duplicate_frontend_port,
        },
    ]
}

fn probe_request_path(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for pr in p.of_kind("probe") {
        let proto = word(pr, "protocol");
        let path = pr.get("request_path");
        let d = match (proto, path) {
            (Some("http" | "https"), None) => Diagnostic::error(
                "capz::lb::probe-request-path",
                format!(
                    "{} probe {} has no request_path",
                    proto.unwrap_or_default(),
                    pr.address
                ),
            )
            .with_primary(field_span(pr, "protocol"), "needs request_path")
            .with_help("add e.g. `request_path = \"/healthz\"`"),
            (Some("tcp"), Some(_)) => Diagnostic::error(
                "capz::lb::probe-request-path",
                format!("tcp probe {} cannot have a request_path", pr.address),
            )
            .with_primary(
                field_span(pr, "request_path"),
                "only for http and https probes",
            )
            .with_secondary(field_span(pr, "protocol"), "tcp probe")
            .with_help("remove request_path, or use protocol = http or https"),
            _ => continue,
        };
        out.push(d);
    }
    out
}

fn probe_interval(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("probe")
        .filter_map(|pr| match pr.get("interval") {
            Some(Value::Int(n)) if *n < 5 => Some((pr, *n)),
            _ => None,
        })
        .map(|(pr, n)| {
            Diagnostic::error(
                "capz::lb::probe-interval",
                format!(
                    "interval {n} of probe {} is shorter than 5 seconds",
                    pr.address
                ),
            )
            .with_primary(field_span(pr, "interval"), "at least 5")
            .with_help("use 5 seconds or more (the default is 15)")
        })
        .collect()
}

fn idle_timeout(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("lb_rule")
        .chain(p.of_kind("outbound_rule"))
        .filter_map(|r| match r.get("idle_timeout") {
            Some(Value::Int(n)) if !(4..=100).contains(n) => Some((r, *n)),
            _ => None,
        })
        .map(|(r, n)| {
            Diagnostic::error(
                "capz::lb::idle-timeout-range",
                format!("idle_timeout {n} of {} is outside 4-100 minutes", r.address),
            )
            .with_primary(field_span(r, "idle_timeout"), "must be 4-100")
            .with_help("pick 4 to 100 minutes (the default is 4)")
        })
        .collect()
}

fn refs(v: Option<&Value>) -> Vec<&Address> {
    match v {
        Some(Value::Ref(a)) => vec![a],
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::Ref(a) => Some(a),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn outbound_ports(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in p.of_kind("outbound_rule") {
        let Some(Value::Int(n)) = r.get("allocated_outbound_ports") else {
            continue;
        };
        let frontends = refs(r.get("frontends")).len().max(1) as i64;
        let budget = PORTS_PER_FRONTEND * frontends;
        let why = if *n < 0 {
            format!("{n} is negative")
        } else if n % 8 != 0 {
            format!("{n} is not a multiple of 8")
        } else if *n > budget {
            format!("{n} exceeds the {budget} ports of its {frontends} frontend IP(s)")
        } else {
            continue;
        };
        out.push(
            Diagnostic::error(
                "capz::lb::outbound-ports",
                format!("allocated_outbound_ports of {}: {why}", r.address),
            )
            .with_primary(
                field_span(r, "allocated_outbound_ports"),
                "invalid port allocation",
            )
            .with_help(format!(
                "use a multiple of 8 up to {budget} (e.g. {}), or add frontends",
                (n.clamp(&0, &budget) / 8) * 8
            )),
        );
    }
    out
}

fn outbound_rule_internal(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in p.of_kind("outbound_rule") {
        for a in refs(r.get("frontends")) {
            let Some(fe) = p.resource(a) else { continue };
            if fe.get("public_ip").is_none() {
                out.push(
                    Diagnostic::error(
                        "capz::lb::outbound-rule-internal",
                        format!("outbound rule {} uses frontend {}, which has no public IP", r.address, fe.address),
                    )
                    .with_primary(field_span(r, "frontends"), "needs public frontends")
                    .with_secondary(fe.span, "internal frontend")
                    .with_help("give the outbound rule a frontend with a public IP, on a public load balancer"),
                );
                break;
            }
        }
    }
    out
}

fn duplicate_frontend_port(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let rules: Vec<&Resource> = p.of_kind("lb_rule").collect();
    for (i, r) in rules.iter().enumerate() {
        let key = |x: &Resource| {
            (
                x.parent.clone(),
                x.get("frontend").cloned(),
                word(x, "protocol").map(str::to_string),
                x.get("frontend_port").cloned(),
            )
        };
        let k = key(r);
        if k.1.is_none() || k.3.is_none() {
            continue;
        }
        if let Some(prev) = rules[..i].iter().find(|o| key(o) == k) {
            out.push(
                Diagnostic::error(
                    "capz::lb::duplicate-frontend-port",
                    format!(
                        "{} and {} both use frontend port {} with the same frontend and protocol",
                        prev.address,
                        r.address,
                        r.get("frontend_port")
                            .and_then(|v| match v {
                                Value::Int(n) => Some(*n),
                                _ => None,
                            })
                            .unwrap_or_default()
                    ),
                )
                .with_primary(field_span(r, "frontend_port"), "second rule")
                .with_secondary(field_span(prev, "frontend_port"), "first rule")
                .with_help("give each rule its own frontend port, or merge the rules"),
            );
        }
    }
    out
}
