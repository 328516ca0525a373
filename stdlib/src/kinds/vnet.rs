//! `vnet`: a virtual network (Microsoft.Network/virtualNetworks, api-version 2026-01-01,
//! `network/.../stable/2026-01-01/virtualNetwork.json`, definitions `VirtualNetwork`,
//! `VirtualNetworkPropertiesFormat`, `AddressSpace`, `DhcpOptions`).

use super::{field, id_attr, list, location_field, name_field, network_name_rule, tags_field};
use lang::schema::{ArmMapping, AttrDef, Compare, FieldDef, KindDef, Placement};
use lang::types::Type;

/// The `vnet` kind, with child `subnet`s.
pub fn def() -> KindDef {
    KindDef {
        keyword: "vnet",
        doc: "A virtual network: address space and subnets.",
        arm_type: "Microsoft.Network/virtualNetworks",
        api_version: "2026-01-01",
        placement: Placement::InGroup,
        fields: vec![
            name_field(
                "The virtual network name (2-64 characters); defaults to the declared name.",
            ),
            location_field(),
            tags_field(),
            FieldDef {
                required: true,
                compare: Compare::UnorderedSet,
                ..field(
                    "address_space",
                    list(Type::Cidr),
                    "Address blocks of the network in CIDR notation, e.g. [\"10.0.0.0/16\"] (addressSpace.addressPrefixes).",
                    ArmMapping::Path("properties.addressSpace.addressPrefixes"),
                )
            },
            field(
                "dns_servers",
                list(Type::Ip),
                "DNS server IPs for VMs in the network; Azure-provided DNS when unset (dhcpOptions.dnsServers).",
                ArmMapping::Path("properties.dhcpOptions.dnsServers"),
            ),
            FieldDef {
                default: Some("false"),
                ..field(
                    "ddos_protection",
                    Type::Bool,
                    "Enable DDoS protection for the network's resources (enableDdosProtection; needs a DDoS plan).",
                    ArmMapping::Path("properties.enableDdosProtection"),
                )
            },
        ],
        blocks: vec![],
        children: vec!["subnet"],
        attributes: vec![
            id_attr(),
            AttrDef {
                name: "resource_guid",
                ty: Type::String,
                doc: "The network's resource GUID.",
                arm_path: "properties.resourceGuid",
            },
        ],
        taggable: true,
        has_location: true,
        name_rule: network_name_rule(2, 64),
        inline_children: None,
    }
}
