//! Microsoft.Network rules: virtualNetworks and subnets (virtualNetwork.json 2026-01-01).

use ipnet::IpNet;
use rusqlite::Transaction;
use serde_json::{Map, Value, json};

use crate::handler::{ChildWrite, PutCtx, PutOut, delete_unlisted};
use crate::store::{self, Row};
use crate::util::{self, ArmError, ArmResult, Check, at};

const SUBNET_TYPE: &str = "Microsoft.Network/virtualNetworks/subnets";
const SUBNET_TYPE_LC: &str = "microsoft.network/virtualnetworks/subnets";

/// Parses one address prefix. Unparsable → 400 `InvalidAddressPrefixFormat` (code and wording
/// as ARM answers them, quoted in hashicorp/terraform-provider-azurerm issues: "Address prefix
/// 10.0.0.0/160 of resource ... is not formatted correctly. It should follow CIDR notation, for
/// example 10.0.0.0/24."); host bits set →
/// 400 `InvalidCIDRNotation` (ARM's message gives the canonical prefix).
pub fn parse_prefix(p: &str, field: &str) -> ArmResult<IpNet> {
    let net: IpNet = p.trim().parse().map_err(|_| {
        ArmError::bad(
            "InvalidAddressPrefixFormat",
            format!(
                "Address prefix {p} of resource {field} is not formatted correctly. It should follow CIDR notation, for example 10.0.0.0/24."
            ),
        )
        .with_target(field)
    })?;
    if net.trunc() != net {
        return Err(ArmError::bad(
            "InvalidCIDRNotation",
            format!(
                "The address prefix {p} in resource '{field}' has an invalid CIDR notation. For the given prefix length, the address prefix should be {}.",
                net.trunc()
            ),
        )
        .with_target(field));
    }
    Ok(net)
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// A subnet's prefixes from `addressPrefix`/`addressPrefixes` of its properties.
fn subnet_prefixes(props: &Value, field: &str) -> ArmResult<Vec<IpNet>> {
    let mut out = Vec::new();
    if let Some(p) = Check::opt_str(props, &["addressPrefix"])? {
        out.push(parse_prefix(p, &format!("{field}.addressPrefix"))?);
    }
    if let Some(ps) = Check::opt_strs(props, &["addressPrefixes"])? {
        for p in ps {
            let n = parse_prefix(&p, &format!("{field}.addressPrefixes"))?;
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    Ok(out)
}

/// Validates a subnet against its VNet's space and its siblings.
fn check_subnet_space(
    name: &str,
    vnet_name: &str,
    prefixes: &[IpNet],
    space: &[IpNet],
    siblings: &[(String, Vec<IpNet>)],
) -> ArmResult<()> {
    for p in prefixes {
        if !space.iter().any(|s| s.contains(p)) {
            return Err(ArmError::bad(
                "NetcfgSubnetRangeOutsideVnet",
                format!(
                    "Subnet '{name}' is not valid because its IP address range {p} is outside the IP address range of virtual network '{vnet_name}'."
                ),
            ));
        }
        for (other, ops) in siblings {
            if other.eq_ignore_ascii_case(name) {
                continue;
            }
            if let Some(o) = ops.iter().find(|o| overlaps(p, o)) {
                return Err(ArmError::bad(
                    "NetcfgSubnetRangesOverlap",
                    format!(
                        "Subnet '{name}' is not valid in virtual network '{vnet_name}' because its IP address range {p} overlaps with that of an existing subnet '{other}' ({o})."
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Builds a stored subnet body from request properties (defaults from the spec:
/// privateEndpointNetworkPolicies Disabled, privateLinkServiceNetworkPolicies Enabled).
fn subnet_body(
    id: &str,
    name: &str,
    req_props: Option<&Map<String, Value>>,
    existing: Option<&Row>,
) -> Value {
    let mut props = req_props.cloned().unwrap_or_default();
    for ro in [
        "provisioningState",
        "ipConfigurations",
        "ipConfigurationProfiles",
        "privateEndpoints",
        "resourceNavigationLinks",
        "serviceAssociationLinks",
        "purpose",
        "etag",
    ] {
        props.remove(ro);
    }
    util::default(
        &mut props,
        "privateEndpointNetworkPolicies",
        json!("Disabled"),
    );
    util::default(
        &mut props,
        "privateLinkServiceNetworkPolicies",
        json!("Enabled"),
    );
    let mut b =
        json!({ "id": id, "name": name, "type": SUBNET_TYPE, "properties": Value::Object(props) });
    if let Some(e) = existing
        && let Some(et) = e.body.get("etag")
    {
        b["etag"] = et.clone();
    }
    b
}

/// PUT virtualNetworks/{name}. `properties.addressSpace.addressPrefixes` is required;
/// `properties.subnets`, when present, is the full list (others are deleted; in-use ones
/// fail with `InUseSubnetCannotBeDeleted`); when absent, existing subnets are kept
/// (the 2024 "updates without subnet property" behaviour).
pub fn put_vnet(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    let req = &ctx.request;
    Check::opt_obj(req, &["properties"])?;
    let prefixes = Check::opt_strs(req, &["properties", "addressSpace", "addressPrefixes"])?
        .unwrap_or_default();
    if prefixes.is_empty() {
        return Err(ArmError::bad(
            "InvalidParameter",
            "The virtual network must have at least one address prefix in properties.addressSpace.addressPrefixes.",
        )
        .with_target("properties.addressSpace.addressPrefixes"));
    }
    let mut space = Vec::new();
    for p in &prefixes {
        let n = parse_prefix(p, "properties.addressSpace.addressPrefixes")?;
        if let Some(o) = space.iter().find(|o| overlaps(&n, o)) {
            return Err(ArmError::bad(
                "VnetAddressSpacesOverlap",
                format!(
                    "Address space {n} of virtual network '{}' overlaps with address space {o} of the same virtual network.",
                    ctx.name
                ),
            ));
        }
        space.push(n);
    }
    for f in ["enableDdosProtection", "enableVmProtection"] {
        Check::opt_bool(req, &["properties", f])?;
    }
    Check::opt_int(req, &["properties", "flowTimeoutInMinutes"])?;

    let existing_subnets = match &ctx.existing {
        Some(e) => store::children(ctx.tx, &e.id_lc, SUBNET_TYPE_LC)?,
        None => Vec::new(),
    };
    let mut children = Vec::new();
    match Check::opt_arr(req, &["properties", "subnets"])? {
        Some(list) => {
            let mut seen: Vec<(String, Vec<IpNet>)> = Vec::new();
            for (i, s) in list.iter().enumerate() {
                let field = format!("properties.subnets[{i}]");
                let Some(name) = Check::opt_str(s, &["name"])? else {
                    return Err(ArmError::bad(
                        "InvalidRequestFormat",
                        format!("Subnet at {field} has no name."),
                    )
                    .with_target(format!("{field}.name")));
                };
                if seen.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    return Err(ArmError::bad(
                        "InvalidRequestFormat",
                        format!("Subnet '{name}' appears more than once in {field}."),
                    ));
                }
                let props = Check::opt_obj(s, &["properties"])?;
                let pv = props
                    .map(|m| Value::Object(m.clone()))
                    .unwrap_or(Value::Null);
                let ps = subnet_prefixes(&pv, &format!("{field}.properties"))?;
                if ps.is_empty() {
                    return Err(no_prefix(name));
                }
                check_subnet_space(name, &ctx.name, &ps, &space, &seen)?;
                seen.push((name.to_string(), ps));
                let id_lc = format!("{}/subnets/{}", ctx.id_lc, name.to_ascii_lowercase());
                let old = existing_subnets.iter().find(|r| r.id_lc == id_lc);
                let id = old
                    .map(|o| o.id.clone())
                    .unwrap_or_else(|| format!("{}/subnets/{name}", ctx.id));
                let nm = old
                    .and_then(|o| o.body.get("name").and_then(Value::as_str))
                    .unwrap_or(name)
                    .to_string();
                children.push(ChildWrite {
                    row: Row {
                        id_lc,
                        id: id.clone(),
                        type_lc: SUBNET_TYPE_LC.into(),
                        sub: ctx.sub.to_ascii_lowercase(),
                        rg: ctx.rg.to_ascii_lowercase(),
                        parent_lc: ctx.id_lc.clone(),
                        body: with_nsg(
                            subnet_body(&id, &nm, props, old),
                            check_nsg_ref(ctx.tx, props, &id)?,
                        ),
                        op_id: None,
                    },
                    created: old.is_none(),
                    delete: false,
                });
            }
            delete_unlisted(&mut children, &existing_subnets, |old| {
                check_subnet_delete(ctx.tx, old)
            })?;
        }
        None => {
            // Kept subnets must still fit the (possibly changed) address space.
            for old in &existing_subnets {
                let name = old.body.get("name").and_then(Value::as_str).unwrap_or("");
                let ps =
                    subnet_prefixes(old.body.get("properties").unwrap_or(&Value::Null), "subnet")?;
                check_subnet_space(name, &ctx.name, &ps, &space, &[])?;
            }
        }
    }

    let mut props = Check::opt_obj(req, &["properties"])?
        .cloned()
        .unwrap_or_default();
    for ro in [
        "provisioningState",
        "resourceGuid",
        "subnets",
        "flowLogs",
        "defaultPublicNatGateway",
        "etag",
    ] {
        props.remove(ro);
    }
    let guid = ctx
        .existing
        .as_ref()
        .and_then(|e| at(&e.body, &["properties", "resourceGuid"]).cloned())
        .unwrap_or_else(|| json!(util::uuid()));
    props.insert("resourceGuid".into(), guid);
    util::default(&mut props, "virtualNetworkPeerings", json!([]));
    util::default(&mut props, "enableDdosProtection", json!(false));
    let mut addr = Map::new();
    addr.insert("addressPrefixes".into(), json!(prefixes));
    props.insert("addressSpace".into(), Value::Object(addr));
    Ok(PutOut {
        body: json!({ "properties": Value::Object(props) }),
        children,
    })
}

fn no_prefix(name: &str) -> ArmError {
    ArmError::bad(
        "NoAddressPrefixOrPoolProvided",
        format!("No address prefix or IPAM pool is provided for subnet '{name}': set properties.addressPrefix or properties.addressPrefixes."),
    )
    .with_target("properties.addressPrefix")
}

/// PUT virtualNetworks/{vnet}/subnets/{name}: needs addressPrefix(es) inside the VNet's
/// address space (`NetcfgSubnetRangeOutsideVnet`) not overlapping a sibling
/// (`NetcfgSubnetRangesOverlap`); changing the range of a subnet in use by an AKS agent pool
/// fails with `InUseSubnetCannotBeUpdated`.
pub fn put_subnet(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    let req = &ctx.request;
    let props = Check::opt_obj(req, &["properties"])?;
    let pv = props
        .map(|m| Value::Object(m.clone()))
        .unwrap_or(Value::Null);
    let ps = subnet_prefixes(&pv, "properties")?;
    if ps.is_empty() {
        return Err(no_prefix(&ctx.name));
    }
    let Some(vnet) = &ctx.parent else {
        return Err(ArmError::new(
            404,
            "ParentResourceNotFound",
            "The virtual network could not be found.",
        ));
    };
    let vnet_name = vnet.body.get("name").and_then(Value::as_str).unwrap_or("");
    let space: Vec<IpNet> = Check::opt_strs(
        &vnet.body,
        &["properties", "addressSpace", "addressPrefixes"],
    )?
    .unwrap_or_default()
    .iter()
    .filter_map(|p| p.parse().ok())
    .collect();
    let mut siblings = Vec::new();
    for r in store::children(ctx.tx, &vnet.id_lc, SUBNET_TYPE_LC)? {
        if r.id_lc == ctx.id_lc || is_deleting(&r) {
            continue;
        }
        let n = r
            .body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        siblings.push((
            n,
            subnet_prefixes(r.body.get("properties").unwrap_or(&Value::Null), "subnet")?,
        ));
    }
    check_subnet_space(&ctx.name, vnet_name, &ps, &space, &siblings)?;
    if let Some(old) = &ctx.existing {
        let old_ps = subnet_prefixes(old.body.get("properties").unwrap_or(&Value::Null), "subnet")?;
        if old_ps != ps
            && let Some(user) = subnet_user(ctx.tx, old)?
        {
            return Err(ArmError::bad(
                "InUseSubnetCannotBeUpdated",
                format!(
                    "Subnet '{}' is in use by '{user}' and its address prefix cannot be updated.",
                    ctx.name
                ),
            ));
        }
    }
    let nsg = check_nsg_ref(ctx.tx, props, &ctx.id)?;
    let body = with_nsg(
        subnet_body(&ctx.id, &ctx.name, props, ctx.existing.as_ref()),
        nsg,
    );
    Ok(PutOut {
        body,
        children: Vec::new(),
    })
}

fn is_deleting(r: &Row) -> bool {
    at(&r.body, &["properties", "provisioningState"]).and_then(Value::as_str) == Some("Deleting")
}

/// The ID of a live AKS agent pool whose `vnetSubnetID`/`podSubnetID` is this subnet, or of
/// a load balancer frontend placed in it.
fn subnet_user(tx: &Transaction<'_>, subnet: &Row) -> ArmResult<Option<String>> {
    if let Some(fe) = crate::lb::frontends_in_subnet(tx, subnet)?
        .into_iter()
        .next()
    {
        return Ok(Some(fe));
    }
    for pool in store::list(
        tx,
        &subnet.sub,
        None,
        Some("microsoft.containerservice/managedclusters/agentpools"),
    )? {
        if is_deleting(&pool) {
            continue;
        }
        for f in ["vnetSubnetID", "podSubnetID"] {
            if at(&pool.body, &["properties", f])
                .and_then(Value::as_str)
                .is_some_and(|s| s.trim_end_matches('/').eq_ignore_ascii_case(&subnet.id))
            {
                return Ok(Some(pool.id.clone()));
            }
        }
    }
    Ok(None)
}

/// 400 `InUseSubnetCannotBeDeleted` when an agent pool or a load balancer frontend uses the
/// subnet (message as ARM's, see kubernetes-sigs/cluster-api-provider-azure#172).
pub fn check_subnet_delete(tx: &Transaction<'_>, subnet: &Row) -> ArmResult<()> {
    if let Some(user) = subnet_user(tx, subnet)? {
        let name = subnet
            .body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("");
        return Err(ArmError::bad(
            "InUseSubnetCannotBeDeleted",
            format!(
                "Subnet {name} is in use by {user} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet."
            ),
        ));
    }
    Ok(())
}

/// Address prefixes of a stored subnet (used by the AKS rules for CIDR overlap checks).
pub fn stored_subnet_prefixes(subnet: &Row) -> Vec<IpNet> {
    subnet_prefixes(
        subnet.body.get("properties").unwrap_or(&Value::Null),
        "subnet",
    )
    .unwrap_or_default()
}

/// A subnet's `networkSecurityGroup.id` must name an existing NSG: 400
/// `InvalidResourceReference` otherwise (the Network provider's answer, see
/// Azure/azure-cli#9354). The stored reference takes the NSG's canonical casing.
fn check_nsg_ref(
    tx: &Transaction<'_>,
    props: Option<&Map<String, Value>>,
    subnet_id: &str,
) -> ArmResult<Option<String>> {
    let Some(p) = props else { return Ok(None) };
    let pv = Value::Object(p.clone());
    let Some(id) = Check::opt_str(&pv, &["networkSecurityGroup", "id"])? else {
        return Ok(None);
    };
    match store::get(tx, &id.trim_end_matches('/').to_ascii_lowercase())? {
        Some(r) if r.type_lc == "microsoft.network/networksecuritygroups" => Ok(Some(r.id)),
        _ => Err(crate::lb::bad_reference(id, subnet_id)),
    }
}

fn with_nsg(mut body: Value, nsg: Option<String>) -> Value {
    if let Some(id) = nsg {
        util::obj_mut(&mut body, &["properties"])
            .insert("networkSecurityGroup".into(), json!({ "id": id }));
    }
    body
}
