//! `a_record`: an A record set of a `private_dns_zone`
//! (Microsoft.Network/privateDnsZones/A, api-version 2024-06-01, `privatedns.json`,
//! definitions `RecordSetProperties`, `ARecord`). The name is relative to the zone
//! (`@` for the apex), so declare it with a string: `a_record "wl-0-apiserver" { ... }`.

use super::{field, id_attr, list};
use crate::arm::{get_path, set_path};
use lang::schema::{ArmMapping, AttrDef, FieldDef, KindDef, NameRule, Placement};
use lang::types::Type;
use lang::value::{Address, Value};
use serde_json::{Map, Value as Json};

/// The `a_record` kind, declared inside a `private_dns_zone`.
pub fn def() -> KindDef {
    KindDef {
        keyword: "a_record",
        doc: "An A record set in a private DNS zone: a name resolving to IPv4 addresses.",
        arm_type: "Microsoft.Network/privateDnsZones/A",
        api_version: "2024-06-01",
        placement: Placement::Child {
            parent: "private_dns_zone",
            segment: "A",
        },
        fields: vec![
            super::name_field(
                "The record name relative to the zone, e.g. \"wl-0-apiserver\", or \"@\" for the apex.",
            ),
            FieldDef {
                required: true,
                ..field(
                    "ttl",
                    Type::Int,
                    "Time to live of the records in seconds (ttl).",
                    ArmMapping::Path("properties.ttl"),
                )
            },
            FieldDef {
                required: true,
                ..field(
                    "ipv4",
                    list(Type::Ip),
                    "The IPv4 addresses the name resolves to (aRecords[].ipv4Address).",
                    ArmMapping::Custom {
                        write: write_ipv4,
                        read: read_ipv4,
                    },
                )
            },
        ],
        blocks: vec![],
        children: vec![],
        attributes: vec![
            id_attr(),
            AttrDef {
                name: "fqdn",
                ty: Type::String,
                doc: "The record's fully qualified name (fqdn).",
                arm_path: "properties.fqdn",
            },
        ],
        taggable: false,
        has_location: false,
        name_rule: NameRule {
            min: 1,
            max: 253,
            allowed: "\"@\" or dot-separated labels of letters, digits, hyphens and underscores (first label may be \"*\")",
            valid: super::names::record_set,
            explain: Some(super::names::explain_labels),
        },
        inline_children: None,
    }
}

/// `ipv4 = [a, b]` → `properties.aRecords = [{"ipv4Address": a}, {"ipv4Address": b}]`.
/// Addresses known only after apply are left out (the planner shows them as unknown).
fn write_ipv4(v: &Value, _ids: &dyn Fn(&Address) -> Option<String>, body: &mut Json) {
    let Some(items) = v.as_list() else { return };
    let recs = items
        .iter()
        .filter_map(Value::as_str)
        .map(|ip| {
            let mut m = Map::new();
            m.insert("ipv4Address".into(), Json::String(ip.to_string()));
            Json::Object(m)
        })
        .collect();
    set_path(body, "properties.aRecords", Json::Array(recs));
}

/// `properties.aRecords[].ipv4Address` as a list of strings.
fn read_ipv4(live: &Json) -> Option<Value> {
    let recs = get_path(live, "properties.aRecords")?.as_array()?;
    Some(Value::List(
        recs.iter()
            .filter_map(|r| r.get("ipv4Address").and_then(Json::as_str))
            .map(|s| Value::Str(s.to_string()))
            .collect(),
    ))
}
