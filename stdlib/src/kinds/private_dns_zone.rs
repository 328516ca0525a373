//! `private_dns_zone`: a private DNS zone (Microsoft.Network/privateDnsZones, api-version
//! 2024-06-01, `privatedns.json`, definition `PrivateZone`). Its location is always
//! `global` (written by [`crate::arm::fixed_body`]), so it has no `location` field.
//! Children: VNet `link`s and `a_record` sets.

use super::{id_attr, name_field, names, tags_field};
use lang::schema::{KindDef, NameRule, Placement};

/// The `private_dns_zone` kind.
pub fn def() -> KindDef {
    KindDef {
        keyword: "private_dns_zone",
        doc: "A private DNS zone resolvable from linked VNets, e.g. privatelink.eastus2.azmk8s.io.",
        arm_type: "Microsoft.Network/privateDnsZones",
        api_version: "2024-06-01",
        placement: Placement::InGroup,
        fields: vec![
            name_field(
                "The zone's domain name, e.g. \"eastus2.cloudapp.azure.com\" (at least two labels).",
            ),
            tags_field(),
        ],
        blocks: vec![],
        children: vec!["link", "a_record"],
        attributes: vec![id_attr()],
        taggable: true,
        has_location: false,
        name_rule: NameRule {
            min: 1,
            max: 253,
            allowed: "a domain name: at least two dot-separated labels of letters, digits, hyphens and underscores, each 1-63 characters",
            valid: names::dns_zone,
            explain: Some(names::explain_labels),
        },
        inline_children: None,
    }
}
