//! `peering`: two-way VNet peering (Microsoft.Network/virtualNetworks/virtualNetworkPeerings,
//! api-version 2026-01-01, `virtualNetwork.json`, definitions `VirtualNetworkPeering`,
//! `VirtualNetworkPeeringPropertiesFormat`).
//!
//! `peering a <-> b { ... }` is one declaration and two ARM resources: `a-to-b` under `a`
//! with `remoteVirtualNetwork.id = b`, and `b-to-a` under `b` (see
//! [`lang::schema::Placement::Link`]). A peering is `Connected` only when both exist, which
//! is why capz always declares both directions. Settings apply to both directions except
//! `allow_gateway_transit` (only on `a`, the hub offering its gateway) and
//! `use_remote_gateways` (only on `b`, the spoke using the hub's gateway).

use super::{field, id_attr};
use lang::schema::{ArmMapping, AttrDef, Compare, FieldDef, KindDef, NameRule, Placement};
use lang::types::Type;

/// The `peering` kind.
pub fn def() -> KindDef {
    KindDef {
        keyword: "peering",
        doc: "Two-way VNet peering, written `peering a <-> b { ... }`: one declaration, a peering on each VNet.",
        arm_type: "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
        api_version: "2026-01-01",
        placement: Placement::Link {
            parent: "vnet",
            segment: "virtualNetworkPeerings",
        },
        fields: vec![
            FieldDef {
                required: true,
                ..field(
                    "from",
                    Type::Resource("vnet"),
                    "The left VNet of `a <-> b` (set by the `<->` syntax); each ARM peering lives in its own end.",
                    ArmMapping::None,
                )
            },
            FieldDef {
                required: true,
                forces_replacement: true,
                compare: Compare::CaseInsensitive,
                ..field(
                    "to",
                    Type::Resource("vnet"),
                    "The right VNet of `a <-> b` (set by the `<->` syntax); the remote VNet of each ARM peering (remoteVirtualNetwork.id).",
                    ArmMapping::Path("properties.remoteVirtualNetwork.id"),
                )
            },
            FieldDef {
                default: Some("true"),
                ..field(
                    "allow_virtual_network_access",
                    Type::Bool,
                    "Let the two VNets reach each other (allowVirtualNetworkAccess).",
                    ArmMapping::Path("properties.allowVirtualNetworkAccess"),
                )
            },
            FieldDef {
                default: Some("false"),
                ..field(
                    "allow_forwarded_traffic",
                    Type::Bool,
                    "Accept traffic forwarded by an appliance in the other VNet, e.g. a hub firewall (allowForwardedTraffic).",
                    ArmMapping::Path("properties.allowForwardedTraffic"),
                )
            },
            FieldDef {
                default: Some("false"),
                ..field(
                    "allow_gateway_transit",
                    Type::Bool,
                    "Let the right VNet use the left VNet's VPN/ExpressRoute gateway; set on the left side only (allowGatewayTransit).",
                    ArmMapping::Path("properties.allowGatewayTransit"),
                )
            },
            FieldDef {
                default: Some("false"),
                ..field(
                    "use_remote_gateways",
                    Type::Bool,
                    "Route the right VNet through the left VNet's gateway; needs a gateway in the left VNet; set on the right side only (useRemoteGateways).",
                    ArmMapping::Path("properties.useRemoteGateways"),
                )
            },
        ],
        blocks: vec![],
        children: vec![],
        attributes: vec![
            id_attr(),
            AttrDef {
                name: "state",
                ty: Type::String,
                doc: "Initiated until the other direction exists, then Connected (peeringState).",
                arm_path: "properties.peeringState",
            },
        ],
        taggable: false,
        has_location: false,
        name_rule: NameRule {
            min: 1,
            max: 80,
            allowed: "letters, digits, underscores, periods and hyphens (the name is `{a}-to-{b}` from the VNet names)",
            valid: super::names::network,
            explain: None,
        },
        inline_children: None,
    }
}
