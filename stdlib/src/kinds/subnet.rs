//! `subnet`: a subnet of a `vnet` (Microsoft.Network/virtualNetworks/subnets, api-version
//! 2026-01-01, `virtualNetwork.json`, definition `SubnetPropertiesFormat`).

use super::{field, id_attr, network_name_rule};
use lang::schema::{ArmMapping, Compare, FieldDef, KindDef, Placement};
use lang::types::Type;

/// The `subnet` kind, declared inside a `vnet`.
pub fn def() -> KindDef {
    KindDef {
        keyword: "subnet",
        doc: "A subnet of a virtual network.",
        arm_type: "Microsoft.Network/virtualNetworks/subnets",
        api_version: "2026-01-01",
        placement: Placement::Child {
            parent: "vnet",
            segment: "subnets",
        },
        fields: vec![
            super::name_field("The subnet name (1-80 characters); defaults to the declared name."),
            FieldDef {
                required: true,
                // "If any resources exist in the subnet, you must either move the resources
                // to another subnet, or delete them from the subnet first" (azure-docs
                // virtual-network-manage-subnet.md); ARM answers InUseSubnetCannotBeUpdated.
                forces_replacement_when_in_use: true,
                ..field(
                    "address_prefix",
                    Type::Cidr,
                    "The subnet's range in CIDR notation, inside the VNet's address space, e.g. \"10.0.0.0/22\" (addressPrefix).",
                    ArmMapping::Path("properties.addressPrefix"),
                )
            },
            FieldDef {
                compare: Compare::CaseInsensitive,
                ..field(
                    "nsg",
                    Type::Resource("nsg"),
                    "Network security group attached to the subnet (networkSecurityGroup.id).",
                    ArmMapping::Path("properties.networkSecurityGroup.id"),
                )
            },
            FieldDef {
                default: Some("disabled"),
                ..field(
                    "private_endpoint_policies",
                    Type::Enum(&PRIVATE_ENDPOINT_POLICIES),
                    "Network policies applied to private endpoints in the subnet (privateEndpointNetworkPolicies).",
                    ArmMapping::Path("properties.privateEndpointNetworkPolicies"),
                )
            },
            field(
                "default_outbound_access",
                Type::Bool,
                "Set false to disable default outbound connectivity for VMs in the subnet; only while the subnet is empty (defaultOutboundAccess).",
                ArmMapping::Path("properties.defaultOutboundAccess"),
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

/// `privateEndpointNetworkPolicies` (SubnetPropertiesFormat, default Disabled).
pub static PRIVATE_ENDPOINT_POLICIES: lang::types::EnumType = lang::types::EnumType {
    name: "private_endpoint_policies",
    words: &[
        lang::types::EnumWord {
            word: "enabled",
            arm: "Enabled",
            doc: "NSGs and route tables apply to private endpoints.",
        },
        lang::types::EnumWord {
            word: "disabled",
            arm: "Disabled",
            doc: "No network policies on private endpoints (the default).",
        },
        lang::types::EnumWord {
            word: "nsg_enabled",
            arm: "NetworkSecurityGroupEnabled",
            doc: "Only NSGs apply to private endpoints.",
        },
        lang::types::EnumWord {
            word: "route_table_enabled",
            arm: "RouteTableEnabled",
            doc: "Only route tables apply to private endpoints.",
        },
    ],
};
