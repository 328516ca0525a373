//! `nsg`: a network security group (Microsoft.Network/networkSecurityGroups, api-version
//! 2026-01-01, `networkSecurityGroup.json`, definition `NetworkSecurityGroup`), with child
//! security `rule`s. Attach it to a subnet with the subnet's `nsg` field.

use super::{id_attr, location_field, name_field, network_name_rule, tags_field};
use lang::schema::{KindDef, Placement};

/// The `nsg` kind.
pub fn def() -> KindDef {
    KindDef {
        keyword: "nsg",
        doc: "A network security group: inbound and outbound security rules, attachable to subnets.",
        arm_type: "Microsoft.Network/networkSecurityGroups",
        api_version: "2026-01-01",
        placement: Placement::InGroup,
        fields: vec![
            name_field("The NSG name (1-80 characters); defaults to the declared name."),
            location_field(),
            tags_field(),
        ],
        blocks: vec![],
        children: vec!["rule"],
        attributes: vec![id_attr()],
        taggable: true,
        has_location: true,
        name_rule: network_name_rule(1, 80),
        inline_children: None,
    }
}
