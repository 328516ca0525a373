//! `link`: a virtual network link of a `private_dns_zone`
//! (Microsoft.Network/privateDnsZones/virtualNetworkLinks, api-version 2024-06-01,
//! `privatedns.json`, definition `VirtualNetworkLinkProperties`). Location `global`.

use super::{field, id_attr, name_field, network_name_rule, tags_field};
use lang::schema::{ArmMapping, Compare, FieldDef, KindDef, Placement};
use lang::types::Type;

/// The `link` kind, declared inside a `private_dns_zone`.
pub fn def() -> KindDef {
    KindDef {
        keyword: "link",
        doc: "Links a VNet to a private DNS zone so that its resources resolve the zone's records.",
        arm_type: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        api_version: "2024-06-01",
        placement: Placement::Child {
            parent: "private_dns_zone",
            segment: "virtualNetworkLinks",
        },
        fields: vec![
            name_field("The link name (1-80 characters); defaults to the declared name."),
            tags_field(),
            FieldDef {
                required: true,
                compare: Compare::CaseInsensitive,
                ..field(
                    "vnet",
                    Type::Resource("vnet"),
                    "The linked virtual network (virtualNetwork.id).",
                    ArmMapping::Path("properties.virtualNetwork.id"),
                )
            },
            FieldDef {
                default: Some("false"),
                ..field(
                    "registration_enabled",
                    Type::Bool,
                    "Auto-register VM records of the linked VNet in the zone (registrationEnabled).",
                    ArmMapping::Path("properties.registrationEnabled"),
                )
            },
        ],
        blocks: vec![],
        children: vec![],
        attributes: vec![id_attr()],
        taggable: true,
        has_location: false,
        name_rule: network_name_rule(1, 80),
        inline_children: None,
    }
}
