//! `public_ip`: a public IP address (Microsoft.Network/publicIPAddresses, api-version
//! 2026-01-01, `publicIpAddress.json`, definitions `PublicIPAddress`,
//! `PublicIPAddressPropertiesFormat`, `PublicIPAddressSku`).

use super::{field, id_attr, list, location_field, name_field, network_name_rule, tags_field};
use lang::schema::{ArmMapping, AttrDef, Compare, FieldDef, KindDef, Placement};
use lang::types::{EnumType, EnumWord, Type};

/// The `public_ip` kind.
pub fn def() -> KindDef {
    KindDef {
        keyword: "public_ip",
        doc: "A public IP address, e.g. for cluster outbound traffic or a public load balancer frontend.",
        arm_type: "Microsoft.Network/publicIPAddresses",
        api_version: "2026-01-01",
        placement: Placement::InGroup,
        fields: vec![
            name_field("The public IP name (1-80 characters); defaults to the declared name."),
            location_field(),
            tags_field(),
            FieldDef {
                forces_replacement: true,
                ..field(
                    "sku",
                    Type::Enum(&SKU),
                    "standard (zone-redundant, static) or basic (retired) (sku.name).",
                    ArmMapping::Path("sku.name"),
                )
            },
            field(
                "allocation",
                Type::Enum(&ALLOCATION),
                "static or dynamic address allocation; standard SKU needs static (publicIPAllocationMethod).",
                ArmMapping::Path("properties.publicIPAllocationMethod"),
            ),
            FieldDef {
                default: Some("ipv4"),
                forces_replacement: true,
                ..field(
                    "version",
                    Type::Enum(&IP_VERSION),
                    "ipv4 or ipv6 (publicIPAddressVersion).",
                    ArmMapping::Path("properties.publicIPAddressVersion"),
                )
            },
            FieldDef {
                forces_replacement: true,
                compare: Compare::UnorderedSet,
                ..field(
                    "zones",
                    list(Type::String),
                    "Availability zones of the address, e.g. [\"1\", \"2\", \"3\"] (zones).",
                    ArmMapping::Path("zones"),
                )
            },
            field(
                "domain_label",
                Type::String,
                "DNS label: the address gets <label>.<region>.cloudapp.azure.com (dnsSettings.domainNameLabel).",
                ArmMapping::Path("properties.dnsSettings.domainNameLabel"),
            ),
            FieldDef {
                default: Some("4"),
                ..field(
                    "idle_timeout",
                    Type::Int,
                    "TCP idle timeout in minutes (idleTimeoutInMinutes).",
                    ArmMapping::Path("properties.idleTimeoutInMinutes"),
                )
            },
        ],
        blocks: vec![],
        children: vec![],
        attributes: vec![
            id_attr(),
            AttrDef {
                name: "ip_address",
                ty: Type::Ip,
                doc: "The address Azure assigned (ipAddress).",
                arm_path: "properties.ipAddress",
            },
            AttrDef {
                name: "fqdn",
                ty: Type::String,
                doc: "The FQDN of domain_label (dnsSettings.fqdn).",
                arm_path: "properties.dnsSettings.fqdn",
            },
        ],
        taggable: true,
        has_location: true,
        name_rule: network_name_rule(1, 80),
        inline_children: None,
    }
}

/// `sku.name` (PublicIPAddressSku).
pub static SKU: EnumType = EnumType {
    name: "public_ip_sku",
    words: &[
        EnumWord {
            word: "standard",
            arm: "Standard",
            doc: "Standard SKU: static, secure by default, zone-aware.",
        },
        EnumWord {
            word: "basic",
            arm: "Basic",
            doc: "Basic SKU (retired).",
        },
    ],
};

/// `publicIPAllocationMethod` (IPAllocationMethod, network.json).
pub static ALLOCATION: EnumType = EnumType {
    name: "ip_allocation",
    words: &[
        EnumWord {
            word: "static",
            arm: "Static",
            doc: "The address is assigned at creation and kept.",
        },
        EnumWord {
            word: "dynamic",
            arm: "Dynamic",
            doc: "The address is assigned when attached (basic SKU only).",
        },
    ],
};

/// `publicIPAddressVersion` (IPVersion, network.json).
pub static IP_VERSION: EnumType = EnumType {
    name: "ip_version",
    words: &[
        EnumWord {
            word: "ipv4",
            arm: "IPv4",
            doc: "An IPv4 address (the default).",
        },
        EnumWord {
            word: "ipv6",
            arm: "IPv6",
            doc: "An IPv6 address.",
        },
    ],
};
