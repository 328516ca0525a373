//! `rule`: a security rule of an `nsg` (Microsoft.Network/networkSecurityGroups/securityRules,
//! api-version 2026-01-01, `networkSecurityGroup.json`, definition
//! `SecurityRulePropertiesFormat`). Addresses and ports are lists; one element is sent as the
//! singular ARM property (`destinationPortRange`), several as the plural one
//! (`destinationPortRanges`). Unset sides default to `*` (see [`crate::arm::fixed_body`]).

use super::{field, id_attr, list, network_name_rule};
use crate::arm::{get_path, remove_path, set_path};
use lang::schema::{ArmMapping, FieldDef, KindDef, Placement};
use lang::types::{EnumType, EnumWord, Type};
use lang::value::{Address, Value};
use serde_json::Value as Json;

/// The `rule` kind, declared inside an `nsg`.
pub fn def() -> KindDef {
    KindDef {
        keyword: "rule",
        doc: "A security rule of a network security group.",
        arm_type: "Microsoft.Network/networkSecurityGroups/securityRules",
        api_version: "2026-01-01",
        placement: Placement::Child {
            parent: "nsg",
            segment: "securityRules",
        },
        fields: vec![
            super::name_field("The rule name (1-80 characters); defaults to the declared name."),
            FieldDef {
                required: true,
                ..field(
                    "priority",
                    Type::Int,
                    "Priority 100-4096, unique per direction; lower numbers are evaluated first (priority).",
                    ArmMapping::Path("properties.priority"),
                )
            },
            FieldDef {
                required: true,
                ..field(
                    "direction",
                    Type::Enum(&DIRECTION),
                    "inbound or outbound traffic (direction).",
                    ArmMapping::Path("properties.direction"),
                )
            },
            FieldDef {
                required: true,
                ..field(
                    "access",
                    Type::Enum(&ACCESS),
                    "allow or deny matching traffic (access).",
                    ArmMapping::Path("properties.access"),
                )
            },
            FieldDef {
                required: true,
                ..field(
                    "protocol",
                    Type::Enum(&PROTOCOL),
                    "tcp, udp, icmp, esp, ah or any (protocol).",
                    ArmMapping::Path("properties.protocol"),
                )
            },
            FieldDef {
                default: Some("[\"*\"]"),
                ..field(
                    "source_addresses",
                    list(Type::String),
                    "Source CIDRs, IPs or service tags such as \"VirtualNetwork\"; \"*\" for any (sourceAddressPrefix(es)).",
                    ArmMapping::Custom {
                        write: |v, ids, b| {
                            write_list(v, ids, b, "sourceAddressPrefix", "sourceAddressPrefixes")
                        },
                        read: |b| read_list(b, "sourceAddressPrefix", "sourceAddressPrefixes"),
                    },
                )
            },
            FieldDef {
                default: Some("[\"*\"]"),
                ..field(
                    "destination_addresses",
                    list(Type::String),
                    "Destination CIDRs, IPs or service tags; \"*\" for any (destinationAddressPrefix(es)).",
                    ArmMapping::Custom {
                        write: |v, ids, b| {
                            write_list(
                                v,
                                ids,
                                b,
                                "destinationAddressPrefix",
                                "destinationAddressPrefixes",
                            )
                        },
                        read: |b| {
                            read_list(b, "destinationAddressPrefix", "destinationAddressPrefixes")
                        },
                    },
                )
            },
            FieldDef {
                default: Some("[\"*\"]"),
                ..field(
                    "source_ports",
                    list(Type::Any),
                    "Source ports: integers 0-65535, ranges \"from-to\" or \"*\" (sourcePortRange(s)).",
                    ArmMapping::Custom {
                        write: |v, ids, b| {
                            write_list(v, ids, b, "sourcePortRange", "sourcePortRanges")
                        },
                        read: |b| read_list(b, "sourcePortRange", "sourcePortRanges"),
                    },
                )
            },
            FieldDef {
                default: Some("[\"*\"]"),
                ..field(
                    "destination_ports",
                    list(Type::Any),
                    "Destination ports: integers 0-65535, ranges \"from-to\" or \"*\", e.g. [443, 6443] (destinationPortRange(s)).",
                    ArmMapping::Custom {
                        write: |v, ids, b| {
                            write_list(v, ids, b, "destinationPortRange", "destinationPortRanges")
                        },
                        read: |b| read_list(b, "destinationPortRange", "destinationPortRanges"),
                    },
                )
            },
            field(
                "description",
                Type::String,
                "Free text, at most 140 characters (description).",
                ArmMapping::Path("properties.description"),
            ),
        ],
        blocks: vec![],
        children: vec![],
        attributes: vec![id_attr()],
        taggable: false,
        has_location: false,
        name_rule: network_name_rule(1, 80),
        inline_children: None,
    }
}

/// `direction` (SecurityRuleDirection).
pub static DIRECTION: EnumType = EnumType {
    name: "direction",
    words: &[
        EnumWord {
            word: "inbound",
            arm: "Inbound",
            doc: "Traffic entering the subnet or NIC.",
        },
        EnumWord {
            word: "outbound",
            arm: "Outbound",
            doc: "Traffic leaving the subnet or NIC.",
        },
    ],
};

/// `access` (SecurityRuleAccess).
pub static ACCESS: EnumType = EnumType {
    name: "access",
    words: &[
        EnumWord {
            word: "allow",
            arm: "Allow",
            doc: "Let matching traffic through.",
        },
        EnumWord {
            word: "deny",
            arm: "Deny",
            doc: "Drop matching traffic.",
        },
    ],
};

/// `protocol` (SecurityRuleProtocol): Tcp, Udp, Icmp, Esp, *, Ah.
pub static PROTOCOL: EnumType = EnumType {
    name: "protocol",
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
            word: "icmp",
            arm: "Icmp",
            doc: "ICMP.",
        },
        EnumWord {
            word: "esp",
            arm: "Esp",
            doc: "IPsec ESP.",
        },
        EnumWord {
            word: "ah",
            arm: "Ah",
            doc: "IPsec AH.",
        },
        EnumWord {
            word: "any",
            arm: "*",
            doc: "Any protocol.",
        },
    ],
};

/// Text of one list element as ARM wants it (ports and prefixes are strings).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::Int(i) => Some(i.to_string()),
        Value::Str(s) | Value::Enum(s) => Some(s.clone()),
        _ => None,
    }
}

/// One element → the singular property, several → the plural one; the other is removed.
fn write_list(
    v: &Value,
    _ids: &dyn Fn(&Address) -> Option<String>,
    body: &mut Json,
    one: &str,
    many: &str,
) {
    let Some(items) = v.as_list() else { return };
    let texts: Vec<String> = items.iter().filter_map(text).collect();
    let (one, many) = (format!("properties.{one}"), format!("properties.{many}"));
    if let [single] = texts.as_slice() {
        remove_path(body, &many);
        set_path(body, &one, Json::String(single.clone()));
    } else {
        remove_path(body, &one);
        set_path(
            body,
            &many,
            Json::Array(texts.into_iter().map(Json::String).collect()),
        );
    }
}

/// The plural property when non-empty, else the singular one, as a list; numeric entries
/// read back as integers.
fn read_list(body: &Json, one: &str, many: &str) -> Option<Value> {
    let item = |s: &str| {
        s.parse::<i64>()
            .map_or_else(|_| Value::Str(s.to_string()), Value::Int)
    };
    if let Some(items) = get_path(body, &format!("properties.{many}")).and_then(Json::as_array)
        && !items.is_empty()
    {
        return Some(Value::List(
            items.iter().filter_map(Json::as_str).map(item).collect(),
        ));
    }
    let single = get_path(body, &format!("properties.{one}"))?.as_str()?;
    Some(Value::List(vec![item(single)]))
}
