//! `load_balancer` and its parts (Microsoft.Network/loadBalancers, api-version 2026-01-01,
//! `loadBalancer.json`, definitions `LoadBalancer`, `LoadBalancerPropertiesFormat`,
//! `FrontendIPConfigurationPropertiesFormat`, `BackendAddressPoolPropertiesFormat`,
//! `ProbePropertiesFormat`, `LoadBalancingRulePropertiesFormat`,
//! `OutboundRulePropertiesFormat`).
//!
//! The parts (`frontend`, `backend_pool`, `probe`, `rule`, `outbound_rule`) are not ARM
//! calls of their own: frontendIPConfigurations, loadBalancingRules, probes and outboundRules
//! are GET-only child types, written as elements `{name, properties}` of the load balancer's
//! PUT body (arm-specs/README.md, "LB children"). They are [`Placement::Inline`] kinds: they
//! have IDs `{lb_id}/{segment}/{name}` that rules reference (`frontend = api` inside the
//! same load balancer), and a change to one is an update of the load balancer.

use super::{field, id_attr, list, location_field, name_field, network_name_rule, tags_field};
use crate::arm::{get_path, set_path};
use lang::schema::{ArmMapping, AttrDef, Compare, FieldDef, KindDef, Placement};
use lang::types::{EnumType, EnumWord, Type};
use lang::value::{Address, Value};
use serde_json::{Value as Json, json};

/// The `load_balancer` kind.
pub fn def() -> KindDef {
    KindDef {
        keyword: "load_balancer",
        doc: "A load balancer, public or internal (private frontend IP in a subnet), with frontends, backend pools, probes and rules.",
        arm_type: "Microsoft.Network/loadBalancers",
        api_version: "2026-01-01",
        placement: Placement::InGroup,
        fields: vec![
            name_field("The load balancer name (1-80 characters); defaults to the declared name."),
            location_field(),
            tags_field(),
            FieldDef {
                default: Some("standard"),
                forces_replacement: true,
                ..field(
                    "sku",
                    Type::Enum(&SKU),
                    "standard, basic (retired) or gateway (sku.name); capz sends standard when unset.",
                    ArmMapping::Path("sku.name"),
                )
            },
        ],
        blocks: vec![],
        children: vec!["frontend", "backend_pool", "probe", "rule", "outbound_rule"],
        attributes: vec![id_attr()],
        taggable: true,
        has_location: true,
        name_rule: network_name_rule(1, 80),
        inline_children: None,
    }
}

/// A part's name rule: like other network resources, 1-80 characters.
fn part(
    keyword: &'static str,
    word: &'static str,
    segment: &'static str,
    doc: &'static str,
    fields: Vec<FieldDef>,
    attributes: Vec<AttrDef>,
) -> KindDef {
    KindDef {
        keyword,
        doc,
        arm_type: "Microsoft.Network/loadBalancers",
        api_version: "2026-01-01",
        placement: Placement::Inline {
            parent: "load_balancer",
            word,
            segment,
            array_path: match segment {
                "frontendIPConfigurations" => "properties.frontendIPConfigurations",
                "backendAddressPools" => "properties.backendAddressPools",
                "probes" => "properties.probes",
                "loadBalancingRules" => "properties.loadBalancingRules",
                _ => "properties.outboundRules",
            },
        },
        fields: std::iter::once(name_field(
            "The part's name within the load balancer (1-80 characters); defaults to the declared name.",
        ))
        .chain(fields)
        .collect(),
        blocks: vec![],
        children: vec![],
        attributes: std::iter::once(id_attr()).chain(attributes).collect(),
        taggable: false,
        has_location: false,
        name_rule: network_name_rule(1, 80),
        inline_children: None,
    }
}

/// A reference field written as `{ "id": ... }` at `path` (e.g. `properties.subnet.id`).
fn reference(
    name: &'static str,
    kind: &'static str,
    doc: &'static str,
    path: &'static str,
) -> FieldDef {
    FieldDef {
        compare: Compare::CaseInsensitive,
        ..field(name, Type::Resource(kind), doc, ArmMapping::Path(path))
    }
}

/// `frontend NAME { subnet = ...  private_ip = ... }` or `{ public_ip = ... }`.
pub fn frontend() -> KindDef {
    part(
        "frontend",
        "frontend",
        "frontendIPConfigurations",
        "A frontend IP configuration: a private IP in a subnet (internal) or a public IP.",
        vec![
            reference(
                "subnet",
                "subnet",
                "Subnet of an internal frontend (subnet.id).",
                "properties.subnet.id",
            ),
            field(
                "private_ip",
                Type::Ip,
                "Static private IP inside the subnet, not one of Azure's five reserved addresses; dynamic when unset (privateIPAddress, privateIPAllocationMethod).",
                ArmMapping::Custom {
                    write: write_private_ip,
                    read: read_private_ip,
                },
            ),
            reference(
                "public_ip",
                "public_ip",
                "Public IP of a public frontend (publicIPAddress.id).",
                "properties.publicIPAddress.id",
            ),
            FieldDef {
                forces_replacement: false,
                compare: Compare::UnorderedSet,
                ..field(
                    "zones",
                    list(Type::String),
                    "Availability zones of an internal frontend, e.g. [\"1\", \"2\", \"3\"] (zones).",
                    ArmMapping::Path("zones"),
                )
            },
        ],
        vec![AttrDef {
            name: "private_ip",
            ty: Type::Ip,
            doc: "The private IP of the frontend, assigned by Azure when dynamic (privateIPAddress).",
            arm_path: "properties.privateIPAddress",
        }],
    )
}

/// `backend_pool NAME {}`.
pub fn backend_pool() -> KindDef {
    part(
        "backend_pool",
        "backend_pool",
        "backendAddressPools",
        "A backend address pool: the NICs or addresses traffic is balanced to.",
        vec![],
        vec![],
    )
}

/// `probe NAME { protocol = tcp  port = 6443 }`.
pub fn probe() -> KindDef {
    part(
        "probe",
        "probe",
        "probes",
        "A health probe of the backends.",
        vec![
            FieldDef {
                required: true,
                ..field(
                    "protocol",
                    Type::Enum(&PROBE_PROTOCOL),
                    "tcp, http or https (protocol).",
                    ArmMapping::Path("properties.protocol"),
                )
            },
            FieldDef {
                required: true,
                ..field(
                    "port",
                    Type::Int,
                    "Port probed, 1-65535 (port).",
                    ArmMapping::Path("properties.port"),
                )
            },
            field(
                "request_path",
                Type::String,
                "URI probed with http/https, e.g. \"/healthz\" (requestPath).",
                ArmMapping::Path("properties.requestPath"),
            ),
            FieldDef {
                default: Some("15"),
                ..field(
                    "interval",
                    Type::Int,
                    "Seconds between probes, at least 5 (intervalInSeconds).",
                    ArmMapping::Path("properties.intervalInSeconds"),
                )
            },
        ],
        vec![],
    )
}

/// `rule NAME { frontend = api  backend_pool = cp  probe = apiserver ... }` (kind `lb_rule`).
pub fn lb_rule() -> KindDef {
    part(
        "lb_rule",
        "rule",
        "loadBalancingRules",
        "A load-balancing rule: traffic to a frontend port goes to a backend pool port.",
        vec![
            reference(
                "frontend",
                "frontend",
                "A frontend of the same load balancer (frontendIPConfiguration.id).",
                "properties.frontendIPConfiguration.id",
            ),
            reference(
                "backend_pool",
                "backend_pool",
                "A backend pool of the same load balancer (backendAddressPool.id).",
                "properties.backendAddressPool.id",
            ),
            reference(
                "probe",
                "probe",
                "A probe of the same load balancer (probe.id).",
                "properties.probe.id",
            ),
            FieldDef {
                required: true,
                ..field(
                    "protocol",
                    Type::Enum(&RULE_PROTOCOL),
                    "tcp, udp or all (protocol).",
                    ArmMapping::Path("properties.protocol"),
                )
            },
            FieldDef {
                required: true,
                ..field(
                    "frontend_port",
                    Type::Int,
                    "Frontend port, 0-65534; 0 with protocol all is an HA ports rule (frontendPort).",
                    ArmMapping::Path("properties.frontendPort"),
                )
            },
            field(
                "backend_port",
                Type::Int,
                "Backend port, 0-65535; 0 with protocol all is an HA ports rule (backendPort).",
                ArmMapping::Path("properties.backendPort"),
            ),
            FieldDef {
                default: Some("4"),
                ..field(
                    "idle_timeout",
                    Type::Int,
                    "TCP idle timeout in minutes, 4-30 (idleTimeoutInMinutes).",
                    ArmMapping::Path("properties.idleTimeoutInMinutes"),
                )
            },
            FieldDef {
                default: Some("false"),
                forces_replacement: true,
                ..field(
                    "floating_ip",
                    Type::Bool,
                    "Direct server return; cannot change after creation (enableFloatingIP).",
                    ArmMapping::Path("properties.enableFloatingIP"),
                )
            },
            FieldDef {
                default: Some("false"),
                ..field(
                    "disable_outbound_snat",
                    Type::Bool,
                    "Do not use this rule's frontend for backend outbound traffic (disableOutboundSnat).",
                    ArmMapping::Path("properties.disableOutboundSnat"),
                )
            },
        ],
        vec![],
    )
}

/// `outbound_rule NAME { frontends = [egress]  backend_pool = nodes  protocol = all }`.
pub fn outbound_rule() -> KindDef {
    part(
        "outbound_rule",
        "outbound_rule",
        "outboundRules",
        "An outbound rule: SNAT of a backend pool's outbound traffic through public frontends.",
        vec![
            FieldDef {
                required: true,
                compare: Compare::CaseInsensitive,
                ..field(
                    "frontends",
                    list(Type::Resource("frontend")),
                    "Public frontends of the same load balancer (frontendIPConfigurations).",
                    ArmMapping::Custom {
                        write: write_frontends,
                        read: read_frontends,
                    },
                )
            },
            FieldDef {
                required: true,
                ..reference(
                    "backend_pool",
                    "backend_pool",
                    "A backend pool of the same load balancer (backendAddressPool.id).",
                    "properties.backendAddressPool.id",
                )
            },
            FieldDef {
                required: true,
                ..field(
                    "protocol",
                    Type::Enum(&RULE_PROTOCOL),
                    "tcp, udp or all (protocol).",
                    ArmMapping::Path("properties.protocol"),
                )
            },
            field(
                "allocated_outbound_ports",
                Type::Int,
                "SNAT ports per backend instance, a multiple of 8 (allocatedOutboundPorts).",
                ArmMapping::Path("properties.allocatedOutboundPorts"),
            ),
            FieldDef {
                default: Some("4"),
                ..field(
                    "idle_timeout",
                    Type::Int,
                    "Outbound flow idle timeout in minutes, 4-120 (idleTimeoutInMinutes).",
                    ArmMapping::Path("properties.idleTimeoutInMinutes"),
                )
            },
        ],
        vec![],
    )
}

/// `sku.name` (LoadBalancerSkuName): Basic, Standard, Gateway.
pub static SKU: EnumType = EnumType {
    name: "load_balancer_sku_name",
    words: &[
        EnumWord {
            word: "standard",
            arm: "Standard",
            doc: "Standard load balancer: zone-redundant, secure by default.",
        },
        EnumWord {
            word: "basic",
            arm: "Basic",
            doc: "Basic load balancer (retired).",
        },
        EnumWord {
            word: "gateway",
            arm: "Gateway",
            doc: "Gateway load balancer for network virtual appliances.",
        },
    ],
};

/// Probe `protocol` (ProbeProtocol): Http, Tcp, Https.
pub static PROBE_PROTOCOL: EnumType = EnumType {
    name: "probe_protocol",
    words: &[
        EnumWord {
            word: "tcp",
            arm: "Tcp",
            doc: "A TCP connect to the port.",
        },
        EnumWord {
            word: "http",
            arm: "Http",
            doc: "An HTTP GET of request_path expecting 200.",
        },
        EnumWord {
            word: "https",
            arm: "Https",
            doc: "An HTTPS GET of request_path expecting 200.",
        },
    ],
};

/// Rule `protocol` (TransportProtocol): Udp, Tcp, All.
pub static RULE_PROTOCOL: EnumType = EnumType {
    name: "lb_protocol",
    words: &[
        EnumWord {
            word: "tcp",
            arm: "Tcp",
            doc: "TCP.",
        },
        EnumWord {
            word: "udp",
            arm: "Udp",
            doc: "UDP.",
        },
        EnumWord {
            word: "all",
            arm: "All",
            doc: "TCP and UDP.",
        },
    ],
};

/// `private_ip`: `privateIPAddress` and `privateIPAllocationMethod = Static`.
fn write_private_ip(v: &Value, _ids: &dyn Fn(&Address) -> Option<String>, body: &mut Json) {
    let Some(ip) = v.as_str() else { return };
    set_path(body, "properties.privateIPAddress", Json::String(ip.into()));
    set_path(
        body,
        "properties.privateIPAllocationMethod",
        Json::String("Static".into()),
    );
}

/// The private IP of a Static frontend (`None` for a dynamic one: Azure chose it).
fn read_private_ip(live: &Json) -> Option<Value> {
    let method = get_path(live, "properties.privateIPAllocationMethod")?.as_str()?;
    if !method.eq_ignore_ascii_case("static") {
        return None;
    }
    let ip = get_path(live, "properties.privateIPAddress")?.as_str()?;
    Some(Value::Str(ip.into()))
}

/// `frontends`: `properties.frontendIPConfigurations = [{ "id": ... }, ...]`.
fn write_frontends(v: &Value, ids: &dyn Fn(&Address) -> Option<String>, body: &mut Json) {
    let Some(items) = v.as_list() else { return };
    let refs: Vec<Json> = items
        .iter()
        .filter_map(|item| match item {
            Value::Ref(a) => ids(a),
            Value::Str(s) => Some(s.clone()),
            _ => None,
        })
        .map(|id| json!({ "id": id }))
        .collect();
    set_path(
        body,
        "properties.frontendIPConfigurations",
        Json::Array(refs),
    );
}

/// The IDs of `properties.frontendIPConfigurations`.
fn read_frontends(live: &Json) -> Option<Value> {
    let items = get_path(live, "properties.frontendIPConfigurations")?.as_array()?;
    Some(Value::List(
        items
            .iter()
            .filter_map(|i| i.get("id").and_then(Json::as_str))
            .map(|s| Value::Str(s.into()))
            .collect(),
    ))
}
