//! Microsoft.Network virtualNetworks/virtualNetworkPeerings (virtualNetwork.json 2026-01-01;
//! examples VirtualNetworkPeeringCreate/Get/Delete).
//!
//! `peeringState` (Initiated|Connected|Disconnected) is set by the service: a peering is
//! `Initiated` until the remote VNet has a peering back to the local one, then both sides
//! read `Connected`; deleting one side leaves the other `Disconnected`. The state is composed
//! at read time from the live peerings, so both sides always agree.

use ipnet::IpNet;
use rusqlite::Transaction;
use serde_json::{Map, Value, json};

use crate::handler::{PutCtx, PutOut};
use crate::store::{self, Row};
use crate::util::{self, ArmError, ArmResult, Check, at};

const VNET_TYPE_LC: &str = "microsoft.network/virtualnetworks";
const PEERING_TYPE_LC: &str = "microsoft.network/virtualnetworks/virtualnetworkpeerings";

fn prefixes(vnet: &Row) -> Vec<String> {
    Check::opt_strs(
        &vnet.body,
        &["properties", "addressSpace", "addressPrefixes"],
    )
    .ok()
    .flatten()
    .unwrap_or_default()
}

fn nets(vnet: &Row) -> Vec<IpNet> {
    prefixes(vnet)
        .iter()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn first_overlap(a: &[IpNet], b: &[IpNet]) -> Option<IpNet> {
    for x in a {
        for y in b {
            if x.contains(&y.network()) || y.contains(&x.network()) {
                return Some(if x.prefix_len() >= y.prefix_len() {
                    *x
                } else {
                    *y
                });
            }
        }
    }
    None
}

fn is_deleting(r: &Row) -> bool {
    at(&r.body, &["properties", "provisioningState"]).and_then(Value::as_str) == Some("Deleting")
}

fn remote_of(p: &Row) -> String {
    at(&p.body, &["properties", "remoteVirtualNetwork", "id"])
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim_end_matches('/')
        .to_ascii_lowercase()
}

/// PUT virtualNetworks/{vnet}/virtualNetworkPeerings/{name}. `remoteVirtualNetwork.id` is
/// required and must name an existing VNet (400 `InvalidResourceReference`, the Network
/// provider's answer for a missing referenced resource); the two address spaces must not
/// overlap (400 `VnetAddressSpacesOverlap`), nor may the local space overlap a VNet already
/// peered with the remote one (400 `VnetAddressSpaceOverlapsWithAlreadyPeeredVnet`, message
/// as reported in Azure/ResourceModules#731). Server fields: remote/local address spaces,
/// `peeringState`, `peeringSyncLevel` FullyInSync, `resourceGuid`.
pub fn put_peering(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    let req = &ctx.request;
    Check::opt_obj(req, &["properties"])?;
    for f in [
        "allowVirtualNetworkAccess",
        "allowForwardedTraffic",
        "allowGatewayTransit",
        "useRemoteGateways",
        "doNotVerifyRemoteGateways",
        "peerCompleteVnets",
        "enableOnlyIPv6Peering",
    ] {
        Check::opt_bool(req, &["properties", f])?;
    }
    let Some(local) = &ctx.parent else {
        return Err(ArmError::new(
            404,
            "ParentResourceNotFound",
            "The virtual network could not be found.",
        ));
    };
    let Some(remote_id) = Check::opt_str(req, &["properties", "remoteVirtualNetwork", "id"])?
    else {
        return Err(ArmError::bad(
            "InvalidRequestFormat",
            "Cannot parse the request. Required parameter 'properties.remoteVirtualNetwork.id' is missing (null).",
        )
        .with_target("properties.remoteVirtualNetwork.id"));
    };
    let remote_lc = remote_id.trim_end_matches('/').to_ascii_lowercase();
    let Some(remote) =
        store::get(ctx.tx, &remote_lc)?.filter(|r| r.type_lc == VNET_TYPE_LC && !is_deleting(r))
    else {
        return Err(ArmError::bad(
            "InvalidResourceReference",
            format!(
                "Resource {remote_id} referenced by resource {} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
                ctx.id
            ),
        ));
    };
    let local_nets = nets(local);
    if let Some(o) = first_overlap(&local_nets, &nets(&remote)) {
        return Err(ArmError::bad(
            "VnetAddressSpacesOverlap",
            format!(
                "Cannot create or update peering {}. Virtual networks {} and {} cannot be peered because their address spaces overlap. Overlapping address prefixes: {o}.",
                ctx.id, local.id, remote.id
            ),
        ));
    }
    // VNets already peered with the remote one (other than the local VNet).
    for p in store::children(ctx.tx, &remote.id_lc, PEERING_TYPE_LC)? {
        let third_lc = remote_of(&p);
        if third_lc == local.id_lc || is_deleting(&p) {
            continue;
        }
        if let Some(third) = store::get(ctx.tx, &third_lc)?
            && let Some(o) = first_overlap(&local_nets, &nets(&third))
        {
            return Err(ArmError::bad(
                "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet",
                format!(
                    "Cannot create or update peering {}. Virtual networks {} and {} cannot be peered because address space of the first virtual network overlaps with address space of virtual network {} already peered with the second virtual network. Overlapping address prefixes: {o}.",
                    ctx.id, local.id, remote.id, third.id
                ),
            ));
        }
    }
    let mut props: Map<String, Value> = Check::opt_obj(req, &["properties"])?
        .cloned()
        .unwrap_or_default();
    for ro in [
        "provisioningState",
        "resourceGuid",
        "remoteVirtualNetworkEncryption",
        "peeringState",
        "peeringSyncLevel",
        "remoteAddressSpace",
        "remoteVirtualNetworkAddressSpace",
        "localAddressSpace",
        "localVirtualNetworkAddressSpace",
        "remoteBgpCommunities",
    ] {
        props.remove(ro);
    }
    props.insert("remoteVirtualNetwork".into(), json!({ "id": remote.id }));
    let state = ctx
        .existing
        .as_ref()
        .and_then(|e| at(&e.body, &["properties", "peeringState"]).cloned())
        .unwrap_or_else(|| json!("Initiated"));
    props.insert("peeringState".into(), state);
    props.insert("peeringSyncLevel".into(), json!("FullyInSync"));
    let guid = ctx
        .existing
        .as_ref()
        .and_then(|e| at(&e.body, &["properties", "resourceGuid"]).cloned())
        .unwrap_or_else(|| json!(util::uuid()));
    props.insert("resourceGuid".into(), guid);
    Ok(PutOut {
        body: json!({ "properties": Value::Object(props) }),
        children: Vec::new(),
    })
}

/// Read-time fields: `peeringState` (Connected when the remote VNet peers back), and the
/// current local/remote address spaces.
pub fn render(tx: &Transaction<'_>, row: &Row, body: &mut Value) -> ArmResult<()> {
    let remote_lc = remote_of(row);
    let local = store::get(tx, &row.parent_lc)?;
    let remote = store::get(tx, &remote_lc)?;
    let back = store::children(tx, &remote_lc, PEERING_TYPE_LC)?
        .into_iter()
        .any(|p| remote_of(&p) == row.parent_lc && !is_deleting(&p));
    let props = util::obj_mut(body, &["properties"]);
    if back && !is_deleting(row) {
        props.insert("peeringState".into(), json!("Connected"));
    } else if props.get("peeringState").and_then(Value::as_str) == Some("Connected") {
        props.insert("peeringState".into(), json!("Initiated"));
    }
    if let Some(r) = &remote {
        let space = json!({ "addressPrefixes": prefixes(r) });
        props.insert("remoteAddressSpace".into(), space.clone());
        props.insert("remoteVirtualNetworkAddressSpace".into(), space);
    }
    if let Some(l) = &local {
        let space = json!({ "addressPrefixes": prefixes(l) });
        props.insert("localAddressSpace".into(), space.clone());
        props.insert("localVirtualNetworkAddressSpace".into(), space);
    }
    Ok(())
}

/// Deleting a peering leaves the remote side's peering(s) back to this VNet `Disconnected`.
pub fn on_peering_delete(tx: &Transaction<'_>, row: &Row) -> ArmResult<()> {
    let remote_lc = remote_of(row);
    for mut p in store::children(tx, &remote_lc, PEERING_TYPE_LC)? {
        if remote_of(&p) == row.parent_lc {
            util::obj_mut(&mut p.body, &["properties"])
                .insert("peeringState".into(), json!("Disconnected"));
            store::put(tx, &p)?;
        }
    }
    Ok(())
}
