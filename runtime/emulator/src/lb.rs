//! Microsoft.Network loadBalancers (+ backendAddressPools children, inline frontends, rules,
//! probes, outbound and inbound NAT rules) and publicIPAddresses (loadBalancer.json and
//! publicIpAddress.json 2026-01-01; examples LoadBalancerCreate/Get,
//! PublicIpAddressCreateDefaults/Get).

use std::net::IpAddr;

use ipnet::IpNet;
use rusqlite::Transaction;
use serde_json::{Map, Value, json};

use crate::handler::{ChildWrite, PutCtx, PutOut, delete_unlisted};
use crate::store::{self, Row};
use crate::util::{self, ArmError, ArmResult, Check, at};

const LB_TYPE_LC: &str = "microsoft.network/loadbalancers";
const POOL_TYPE: &str = "Microsoft.Network/loadBalancers/backendAddressPools";
const POOL_TYPE_LC: &str = "microsoft.network/loadbalancers/backendaddresspools";
const SUBNET_TYPE_LC: &str = "microsoft.network/virtualnetworks/subnets";
const PIP_TYPE_LC: &str = "microsoft.network/publicipaddresses";

/// Inline LB collections (GET-only sub-resources) and their ARM types.
const INLINE: &[(&str, &str)] = &[
    (
        "frontendIPConfigurations",
        "Microsoft.Network/loadBalancers/frontendIPConfigurations",
    ),
    (
        "loadBalancingRules",
        "Microsoft.Network/loadBalancers/loadBalancingRules",
    ),
    ("probes", "Microsoft.Network/loadBalancers/probes"),
    (
        "inboundNatRules",
        "Microsoft.Network/loadBalancers/inboundNatRules",
    ),
    (
        "outboundRules",
        "Microsoft.Network/loadBalancers/outboundRules",
    ),
];

fn missing(field: &str) -> ArmError {
    ArmError::bad(
        "InvalidRequestFormat",
        format!("Cannot parse the request. Required parameter '{field}' is missing (null)."),
    )
    .with_target(field)
}

/// 400 `InvalidResourceReference`, the Network provider's answer for a reference to a
/// resource that does not exist ("Resource {ref} referenced by resource {id} was not found.
/// Please make sure that the referenced resource exists, and that both resources are in the
/// same region.").
pub fn bad_reference(reference: &str, by: &str) -> ArmError {
    ArmError::bad(
        "InvalidResourceReference",
        format!(
            "Resource {reference} referenced by resource {by} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."
        ),
    )
}

fn int_range(v: &Value, path: &[&str], lo: i64, hi: i64, field: &str) -> ArmResult<Option<i64>> {
    let x = Check::opt_int(v, path)?;
    if let Some(n) = x
        && !(lo..=hi).contains(&n)
    {
        return Err(ArmError::bad(
            "InvalidParameter",
            format!("The value {n} of '{field}' is out of range; allowed values are {lo}-{hi}."),
        )
        .with_target(field));
    }
    Ok(x)
}

// ------------------------------------------------------------------------ public IPs

/// Public IPs the emulator hands out come from 20.60.0.0/16 (any public range would do).
const PIP_POOL: &str = "20.60.0.0/16";

fn allocate_public_ip(tx: &Transaction<'_>, sub: &str) -> ArmResult<String> {
    let used: Vec<String> = store::list(tx, sub, None, Some(PIP_TYPE_LC))?
        .iter()
        .filter_map(|r| {
            at(&r.body, &["properties", "ipAddress"])
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    let pool: IpNet = PIP_POOL
        .parse()
        .map_err(|_| ArmError::new(500, "InternalServerError", "bad public IP pool"))?;
    pool.hosts()
        .map(|h| h.to_string())
        .find(|h| !used.contains(h))
        .ok_or_else(|| {
            ArmError::bad(
                "PublicIPCountLimitReached",
                "The emulator's public IP pool is exhausted.",
            )
        })
}

/// PUT publicIPAddresses/{name}. `sku.name` Basic|Standard|StandardV2 (default Basic, as the
/// PublicIpAddressCreateDefaults example answers), `sku.tier` Regional|Global;
/// `publicIPAllocationMethod` Static|Dynamic (default Dynamic for Basic as in that example,
/// Static for Standard/StandardV2); `publicIPAddressVersion` IPv4|IPv6 (default IPv4);
/// `idleTimeoutInMinutes` 4-30 (default 4). `ipAddress` is assigned by the service for Static
/// allocation (kept across updates); `dnsSettings.fqdn` = `{domainNameLabel}.{location}.cloudapp.azure.com`.
pub fn put_public_ip(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    let req = &ctx.request;
    Check::opt_obj(req, &["properties"])?;
    let sku = Check::opt_enum(req, &["sku", "name"], &["Basic", "Standard", "StandardV2"])?
        .unwrap_or_else(|| "Basic".into());
    let tier = Check::opt_enum(req, &["sku", "tier"], &["Regional", "Global"])?;
    let method = Check::opt_enum(
        req,
        &["properties", "publicIPAllocationMethod"],
        &["Static", "Dynamic"],
    )?
    .unwrap_or_else(|| if sku == "Basic" { "Dynamic" } else { "Static" }.into());
    let version = Check::opt_enum(
        req,
        &["properties", "publicIPAddressVersion"],
        &["IPv4", "IPv6"],
    )?
    .unwrap_or_else(|| "IPv4".into());
    let idle = int_range(
        req,
        &["properties", "idleTimeoutInMinutes"],
        4,
        30,
        "properties.idleTimeoutInMinutes",
    )?
    .unwrap_or(4);
    let mut props = Check::opt_obj(req, &["properties"])?
        .cloned()
        .unwrap_or_default();
    for ro in [
        "provisioningState",
        "resourceGuid",
        "ipConfiguration",
        "ipAddress",
    ] {
        props.remove(ro);
    }
    props.insert("publicIPAllocationMethod".into(), json!(method));
    props.insert("publicIPAddressVersion".into(), json!(version));
    props.insert("idleTimeoutInMinutes".into(), json!(idle));
    let old = |k: &str| {
        ctx.existing
            .as_ref()
            .and_then(|e| at(&e.body, &["properties", k]).cloned())
    };
    props.insert(
        "resourceGuid".into(),
        old("resourceGuid").unwrap_or_else(|| json!(util::uuid())),
    );
    if method == "Static" {
        let ip = match old("ipAddress") {
            Some(ip) => ip,
            None => json!(allocate_public_ip(ctx.tx, &ctx.sub.to_ascii_lowercase())?),
        };
        props.insert("ipAddress".into(), ip);
    }
    if let Some(label) = Check::opt_str(req, &["properties", "dnsSettings", "domainNameLabel"])? {
        let loc = ctx.location.clone().unwrap_or_default();
        let mut dns = props
            .get("dnsSettings")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        dns.insert(
            "fqdn".into(),
            json!(format!("{label}.{loc}.cloudapp.azure.com")),
        );
        props.insert("dnsSettings".into(), Value::Object(dns));
    }
    let mut sku_obj = Map::new();
    sku_obj.insert("name".into(), json!(sku));
    sku_obj.insert(
        "tier".into(),
        json!(tier.unwrap_or_else(|| "Regional".into())),
    );
    let mut body = json!({ "sku": Value::Object(sku_obj), "properties": Value::Object(props) });
    if let Some(z) = Check::opt_strs(req, &["zones"])? {
        body["zones"] = json!(z);
    }
    Ok(PutOut {
        body,
        children: Vec::new(),
    })
}

// ------------------------------------------------------------------------ load balancers

/// What a PUT body references: this LB's child IDs.
struct Names {
    lb_id_lc: String,
    frontends: Vec<String>,
    pools: Vec<String>,
    probes: Vec<String>,
}

impl Names {
    /// Checks a SubResource reference `{id}` at `path` in `v` points at this LB's `seg`
    /// child named in `names`.
    fn check(&self, v: &Value, path: &[&str], seg: &str, by: &str) -> ArmResult<()> {
        let Some(id) = Check::opt_str(v, &[path, &["id"]].concat())? else {
            return Ok(());
        };
        let list = match seg {
            "frontendIPConfigurations" => &self.frontends,
            "backendAddressPools" => &self.pools,
            _ => &self.probes,
        };
        let id_lc = id.trim_end_matches('/').to_ascii_lowercase();
        let ok = id_lc
            .strip_prefix(&format!("{}/{}/", self.lb_id_lc, seg.to_ascii_lowercase()))
            .is_some_and(|n| list.iter().any(|x| x.eq_ignore_ascii_case(n)));
        if ok {
            Ok(())
        } else {
            Err(bad_reference(id, by))
        }
    }
}

fn item_name<'a>(v: &'a Value, field: &str) -> ArmResult<&'a str> {
    Check::opt_str(v, &["name"])?.ok_or_else(|| missing(&format!("{field}.name")))
}

/// The stored private IPs of other LB frontends in `subnet_lc` (excluding `self_lb_lc`).
fn used_private_ips(
    tx: &Transaction<'_>,
    sub: &str,
    subnet_lc: &str,
    self_lb_lc: &str,
) -> ArmResult<Vec<IpAddr>> {
    let mut out = Vec::new();
    for lb in store::list(tx, sub, None, Some(LB_TYPE_LC))? {
        if lb.id_lc == self_lb_lc {
            continue;
        }
        for fe in arr(&lb.body, "frontendIPConfigurations") {
            let same = at(fe, &["properties", "subnet", "id"])
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case(subnet_lc));
            if same
                && let Some(ip) = at(fe, &["properties", "privateIPAddress"])
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse().ok())
            {
                out.push(ip);
            }
        }
    }
    Ok(out)
}

fn arr<'a>(body: &'a Value, seg: &str) -> Vec<&'a Value> {
    at(body, &["properties", seg])
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// Azure reserves the network address, the first three host addresses and the broadcast
/// address of every subnet (https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq).
fn reserved(net: &IpNet, ip: &IpAddr) -> bool {
    let n = match (net.network(), ip) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(*b) - u32::from(a)) as u128,
        (IpAddr::V6(a), IpAddr::V6(b)) => u128::from(*b) - u128::from(a),
        _ => return true,
    };
    n < 4 || *ip == net.broadcast()
}

/// Validates/assigns one frontend's private IP in its subnet.
#[allow(clippy::too_many_arguments)]
fn frontend_ip(
    tx: &Transaction<'_>,
    sub: &str,
    lb_id_lc: &str,
    subnet: &Row,
    method: &str,
    version: &str,
    requested: Option<&str>,
    kept: Option<&str>,
    taken: &[IpAddr],
    field: &str,
) -> ArmResult<String> {
    let prefixes = crate::network::stored_subnet_prefixes(subnet);
    let want_v6 = version == "IPv6";
    let nets: Vec<IpNet> = prefixes
        .into_iter()
        .filter(|n| matches!(n, IpNet::V6(_)) == want_v6)
        .collect();
    let subnet_lc = subnet.id_lc.clone();
    let mut used = used_private_ips(tx, sub, &subnet_lc, lb_id_lc)?;
    used.extend_from_slice(taken);
    if method == "Static" {
        let Some(req) = requested else {
            return Err(missing(&format!("{field}.privateIPAddress")));
        };
        let ip: IpAddr = req.parse().map_err(|_| {
            ArmError::bad(
                "InvalidParameter",
                format!(
                    "The value '{req}' of '{field}.privateIPAddress' is not a valid IP address."
                ),
            )
            .with_target(format!("{field}.privateIPAddress"))
        })?;
        let Some(net) = nets.iter().find(|n| n.contains(&ip)) else {
            return Err(ArmError::bad(
                "PrivateIPAddressNotInSubnet",
                format!(
                    "Private static IP address {ip} does not belong to the range of subnet prefix {} of subnet {}.",
                    nets.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", "),
                    subnet.id
                ),
            )
            .with_target(format!("{field}.privateIPAddress")));
        };
        if reserved(net, &ip) {
            return Err(ArmError::bad(
                "PrivateIPAddressInReservedRange",
                format!(
                    "Private static IP address {ip} falls within reserved IP range of subnet prefix {net}: the network address, the first three host addresses and the broadcast address are reserved."
                ),
            )
            .with_target(format!("{field}.privateIPAddress")));
        }
        if used.contains(&ip) {
            // Code and wording as Azure answers a static IP another configuration holds
            // (MicrosoftDocs azure-databases-docs, PostgreSQL flexible server private endpoint
            // errors: "Code: PrivateIPAddressIsAllocated").
            return Err(ArmError::bad(
                "PrivateIPAddressIsAllocated",
                format!(
                    "IP configuration {field} is using the private IP address {ip} which is already allocated to another resource in subnet {}.",
                    subnet.id
                ),
            ));
        }
        return Ok(ip.to_string());
    }
    if let Some(k) = kept.and_then(|k| k.parse::<IpAddr>().ok())
        && nets.iter().any(|n| n.contains(&k))
        && !used.contains(&k)
    {
        return Ok(k.to_string());
    }
    for net in &nets {
        for h in net.hosts() {
            if !reserved(net, &h) && !used.contains(&h) {
                return Ok(h.to_string());
            }
        }
    }
    Err(ArmError::bad(
        "SubnetIsFull",
        format!(
            "Subnet {} has no available private IP address for {field}.",
            subnet.id
        ),
    ))
}

fn inline_item(
    lb_id: &str,
    seg: &str,
    type_name: &str,
    name: &str,
    props: Map<String, Value>,
) -> Value {
    json!({
        "name": name,
        "id": format!("{lb_id}/{seg}/{name}"),
        "type": type_name,
        "properties": Value::Object(props),
    })
}

fn props_of(v: &Value) -> ArmResult<Map<String, Value>> {
    let mut m = Check::opt_obj(v, &["properties"])?
        .cloned()
        .unwrap_or_default();
    m.remove("provisioningState");
    Ok(m)
}

/// PUT loadBalancers/{name}. `sku.name` Basic|Standard|Gateway (default Basic, as the
/// LoadBalancerCreate example answers). Inline collections:
/// - `frontendIPConfigurations`: `subnet.id` must be an existing subnet and
///   `publicIPAddress.id` an existing public IP (400 `InvalidResourceReference`);
///   `privateIPAllocationMethod` Static|Dynamic (default Dynamic), `privateIPAddressVersion`
///   (default IPv4). Dynamic: the first free address of the subnet, skipping Azure's five
///   reserved ones (kept across updates); Static: must lie in the subnet
///   (`PrivateIPAddressNotInSubnet`), not be reserved (`PrivateIPAddressInReservedRange`) nor
///   taken (`PrivateIPAddressIsAllocated`).
/// - `backendAddressPools`: child rows (also PUT/DELETE-able on their own); when the list is
///   absent the existing pools are kept.
/// - `probes`: `protocol` Http|Tcp|Https and `port` required, `requestPath` required for
///   Http/Https; `intervalInSeconds` ≥ 5 (default 15).
/// - `loadBalancingRules`: `protocol` Udp|Tcp|All|Quic and `frontendPort` required;
///   `idleTimeoutInMinutes` 4-30 (default 4); `loadDistribution` default Default;
///   `disableOutboundSnat`/`enableConnectionTracking` default false (as the example answers);
///   `frontendIPConfiguration`/`backendAddressPool(s)`/`probe` must reference this LB's
///   children (400 `InvalidResourceReference`).
/// - `outboundRules`: `backendAddressPool`, `frontendIPConfigurations` and `protocol`
///   (Tcp|Udp|All) required, references checked; `inboundNatRules`: frontend checked.
pub fn put_lb(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    let req = &ctx.request;
    Check::opt_obj(req, &["properties"])?;
    let sku = Check::opt_enum(req, &["sku", "name"], &["Basic", "Standard", "Gateway"])?
        .unwrap_or_else(|| "Basic".into());
    let tier = Check::opt_enum(req, &["sku", "tier"], &["Regional", "Global"])?;
    let list = |seg: &str| -> ArmResult<Vec<Value>> {
        Ok(Check::opt_arr(req, &["properties", seg])?
            .cloned()
            .unwrap_or_default())
    };
    let existing_pools = match &ctx.existing {
        Some(e) => store::children(ctx.tx, &e.id_lc, POOL_TYPE_LC)?,
        None => Vec::new(),
    };
    let pools_sent = Check::opt_arr(req, &["properties", "backendAddressPools"])?.is_some();
    let mut names = Names {
        lb_id_lc: ctx.id_lc.clone(),
        frontends: Vec::new(),
        pools: Vec::new(),
        probes: Vec::new(),
    };
    for (seg, dst) in [
        ("frontendIPConfigurations", 0),
        ("backendAddressPools", 1),
        ("probes", 2),
    ] {
        for (i, v) in list(seg)?.iter().enumerate() {
            let n = item_name(v, &format!("properties.{seg}[{i}]"))?.to_string();
            let target = match dst {
                0 => &mut names.frontends,
                1 => &mut names.pools,
                _ => &mut names.probes,
            };
            if target.iter().any(|x| x.eq_ignore_ascii_case(&n)) {
                return Err(ArmError::bad(
                    "InvalidRequestFormat",
                    format!("'{n}' appears more than once in properties.{seg}."),
                ));
            }
            target.push(n);
        }
    }
    if !pools_sent {
        for p in &existing_pools {
            if let Some(n) = p.body.get("name").and_then(Value::as_str) {
                names.pools.push(n.to_string());
            }
        }
    }
    let sub_lc = ctx.sub.to_ascii_lowercase();
    let old_frontends: Vec<Value> = ctx
        .existing
        .as_ref()
        .map(|e| {
            arr(&e.body, "frontendIPConfigurations")
                .into_iter()
                .cloned()
                .collect()
        })
        .unwrap_or_default();

    // Frontends.
    let mut frontends = Vec::new();
    let mut taken: Vec<IpAddr> = Vec::new();
    for (i, v) in list("frontendIPConfigurations")?.iter().enumerate() {
        let field = format!("properties.frontendIPConfigurations[{i}].properties");
        let name = item_name(v, &format!("properties.frontendIPConfigurations[{i}]"))?;
        let fe_id = format!("{}/frontendIPConfigurations/{name}", ctx.id);
        let mut props = props_of(v)?;
        for ro in [
            "loadBalancingRules",
            "inboundNatRules",
            "inboundNatPools",
            "outboundRules",
        ] {
            props.remove(ro);
        }
        let method = Check::opt_enum(
            v,
            &["properties", "privateIPAllocationMethod"],
            &["Static", "Dynamic"],
        )?
        .unwrap_or_else(|| "Dynamic".into());
        let version = Check::opt_enum(
            v,
            &["properties", "privateIPAddressVersion"],
            &["IPv4", "IPv6"],
        )?
        .unwrap_or_else(|| "IPv4".into());
        if let Some(pip_id) = Check::opt_str(v, &["properties", "publicIPAddress", "id"])? {
            let pip = store::get(ctx.tx, &pip_id.trim_end_matches('/').to_ascii_lowercase())?
                .filter(|r| r.type_lc == PIP_TYPE_LC);
            match pip {
                Some(p) => {
                    props.insert("publicIPAddress".into(), json!({ "id": p.id }));
                }
                None => return Err(bad_reference(pip_id, &fe_id)),
            }
        }
        if let Some(subnet_id) = Check::opt_str(v, &["properties", "subnet", "id"])? {
            let subnet = store::get(
                ctx.tx,
                &subnet_id.trim_end_matches('/').to_ascii_lowercase(),
            )?
            .filter(|r| r.type_lc == SUBNET_TYPE_LC);
            let Some(subnet) = subnet else {
                return Err(bad_reference(subnet_id, &fe_id));
            };
            let kept = old_frontends
                .iter()
                .find(|f| {
                    f.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                })
                .and_then(|f| at(f, &["properties", "privateIPAddress"]))
                .and_then(Value::as_str);
            let requested = Check::opt_str(v, &["properties", "privateIPAddress"])?;
            let ip = frontend_ip(
                ctx.tx,
                &sub_lc,
                &ctx.id_lc,
                &subnet,
                &method,
                &version,
                requested,
                kept.or(requested),
                &taken,
                &field,
            )?;
            if let Ok(a) = ip.parse() {
                taken.push(a);
            }
            props.insert("subnet".into(), json!({ "id": subnet.id }));
            props.insert("privateIPAddress".into(), json!(ip));
            props.insert("privateIPAllocationMethod".into(), json!(method));
            props.insert("privateIPAddressVersion".into(), json!(version));
        }
        let mut item = inline_item(
            &ctx.id,
            "frontendIPConfigurations",
            INLINE[0].1,
            name,
            props,
        );
        if let Some(z) = Check::opt_strs(v, &["zones"])? {
            item["zones"] = json!(z);
        }
        frontends.push(item);
    }

    // Probes.
    let mut probes = Vec::new();
    for (i, v) in list("probes")?.iter().enumerate() {
        let f = format!("properties.probes[{i}].properties");
        let name = item_name(v, &format!("properties.probes[{i}]"))?;
        let protocol = Check::opt_enum(v, &["properties", "protocol"], &["Http", "Tcp", "Https"])?
            .ok_or_else(|| missing(&format!("{f}.protocol")))?;
        let port = int_range(v, &["properties", "port"], 1, 65535, &format!("{f}.port"))?
            .ok_or_else(|| missing(&format!("{f}.port")))?;
        if protocol != "Tcp" && Check::opt_str(v, &["properties", "requestPath"])?.is_none() {
            return Err(missing(&format!("{f}.requestPath")));
        }
        let interval = int_range(
            v,
            &["properties", "intervalInSeconds"],
            5,
            i64::MAX,
            &format!("{f}.intervalInSeconds"),
        )?
        .unwrap_or(15);
        let mut props = props_of(v)?;
        props.remove("loadBalancingRules");
        props.insert("protocol".into(), json!(protocol));
        props.insert("port".into(), json!(port));
        props.insert("intervalInSeconds".into(), json!(interval));
        probes.push(inline_item(&ctx.id, "probes", INLINE[2].1, name, props));
    }

    // Load-balancing rules.
    let mut rules = Vec::new();
    for (i, v) in list("loadBalancingRules")?.iter().enumerate() {
        let f = format!("properties.loadBalancingRules[{i}].properties");
        let name = item_name(v, &format!("properties.loadBalancingRules[{i}]"))?;
        let rule_id = format!("{}/loadBalancingRules/{name}", ctx.id);
        let protocol = Check::opt_enum(
            v,
            &["properties", "protocol"],
            &["Udp", "Tcp", "All", "Quic"],
        )?
        .ok_or_else(|| missing(&format!("{f}.protocol")))?;
        let port = int_range(
            v,
            &["properties", "frontendPort"],
            0,
            65534,
            &format!("{f}.frontendPort"),
        )?
        .ok_or_else(|| missing(&format!("{f}.frontendPort")))?;
        int_range(
            v,
            &["properties", "backendPort"],
            0,
            65535,
            &format!("{f}.backendPort"),
        )?;
        let idle = int_range(
            v,
            &["properties", "idleTimeoutInMinutes"],
            4,
            30,
            &format!("{f}.idleTimeoutInMinutes"),
        )?
        .unwrap_or(4);
        let dist = Check::opt_enum(
            v,
            &["properties", "loadDistribution"],
            &["Default", "SourceIP", "SourceIPProtocol"],
        )?
        .unwrap_or_else(|| "Default".into());
        let p = v.get("properties").unwrap_or(&Value::Null);
        names.check(
            p,
            &["frontendIPConfiguration"],
            "frontendIPConfigurations",
            &rule_id,
        )?;
        names.check(p, &["backendAddressPool"], "backendAddressPools", &rule_id)?;
        names.check(p, &["probe"], "probes", &rule_id)?;
        for (j, _) in Check::opt_arr(p, &["backendAddressPools"])?
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let item = &p["backendAddressPools"][j];
            names.check(item, &[], "backendAddressPools", &rule_id)?;
        }
        let mut props = props_of(v)?;
        props.insert("protocol".into(), json!(protocol));
        props.insert("frontendPort".into(), json!(port));
        props.insert("idleTimeoutInMinutes".into(), json!(idle));
        props.insert("loadDistribution".into(), json!(dist));
        util::default(&mut props, "disableOutboundSnat", json!(false));
        util::default(&mut props, "enableConnectionTracking", json!(false));
        rules.push(inline_item(
            &ctx.id,
            "loadBalancingRules",
            INLINE[1].1,
            name,
            props,
        ));
    }

    // Inbound NAT rules.
    let mut nats = Vec::new();
    for (i, v) in list("inboundNatRules")?.iter().enumerate() {
        let f = format!("properties.inboundNatRules[{i}].properties");
        let name = item_name(v, &format!("properties.inboundNatRules[{i}]"))?;
        let id = format!("{}/inboundNatRules/{name}", ctx.id);
        let p = v.get("properties").unwrap_or(&Value::Null);
        names.check(
            p,
            &["frontendIPConfiguration"],
            "frontendIPConfigurations",
            &id,
        )?;
        let idle = int_range(
            v,
            &["properties", "idleTimeoutInMinutes"],
            4,
            30,
            &format!("{f}.idleTimeoutInMinutes"),
        )?
        .unwrap_or(4);
        let mut props = props_of(v)?;
        props.remove("backendIPConfiguration");
        props.insert("idleTimeoutInMinutes".into(), json!(idle));
        nats.push(inline_item(
            &ctx.id,
            "inboundNatRules",
            INLINE[3].1,
            name,
            props,
        ));
    }

    // Outbound rules.
    let mut outs = Vec::new();
    for (i, v) in list("outboundRules")?.iter().enumerate() {
        let f = format!("properties.outboundRules[{i}].properties");
        let name = item_name(v, &format!("properties.outboundRules[{i}]"))?;
        let id = format!("{}/outboundRules/{name}", ctx.id);
        let p = v.get("properties").unwrap_or(&Value::Null);
        let protocol = Check::opt_enum(v, &["properties", "protocol"], &["Tcp", "Udp", "All"])?
            .ok_or_else(|| missing(&format!("{f}.protocol")))?;
        if Check::opt_str(p, &["backendAddressPool", "id"])?.is_none() {
            return Err(missing(&format!("{f}.backendAddressPool")));
        }
        names.check(p, &["backendAddressPool"], "backendAddressPools", &id)?;
        let fes = Check::opt_arr(p, &["frontendIPConfigurations"])?
            .cloned()
            .unwrap_or_default();
        if fes.is_empty() {
            return Err(missing(&format!("{f}.frontendIPConfigurations")));
        }
        for fe in &fes {
            names.check(fe, &[], "frontendIPConfigurations", &id)?;
        }
        let idle = int_range(
            v,
            &["properties", "idleTimeoutInMinutes"],
            4,
            120,
            &format!("{f}.idleTimeoutInMinutes"),
        )?
        .unwrap_or(4);
        let mut props = props_of(v)?;
        props.insert("protocol".into(), json!(protocol));
        props.insert("idleTimeoutInMinutes".into(), json!(idle));
        outs.push(inline_item(
            &ctx.id,
            "outboundRules",
            INLINE[4].1,
            name,
            props,
        ));
    }

    // Pools as child rows.
    let mut children = Vec::new();
    if pools_sent {
        for (i, v) in list("backendAddressPools")?.iter().enumerate() {
            let name = item_name(v, &format!("properties.backendAddressPools[{i}]"))?;
            let id_lc = format!(
                "{}/backendaddresspools/{}",
                ctx.id_lc,
                name.to_ascii_lowercase()
            );
            let old = existing_pools.iter().find(|r| r.id_lc == id_lc);
            let id = old
                .map(|o| o.id.clone())
                .unwrap_or_else(|| format!("{}/backendAddressPools/{name}", ctx.id));
            let nm = old
                .and_then(|o| o.body.get("name").and_then(Value::as_str))
                .unwrap_or(name)
                .to_string();
            children.push(ChildWrite {
                row: Row {
                    id_lc,
                    id: id.clone(),
                    type_lc: POOL_TYPE_LC.into(),
                    sub: sub_lc.clone(),
                    rg: ctx.rg.to_ascii_lowercase(),
                    parent_lc: ctx.id_lc.clone(),
                    body: pool_body(&id, &nm, pool_props(v)?),
                    op_id: None,
                },
                created: old.is_none(),
                delete: false,
            });
        }
        delete_unlisted(&mut children, &existing_pools, |_| Ok(()))?;
    }

    let mut props = Map::new();
    if let Some(scope) = Check::opt_enum(req, &["properties", "scope"], &["Public", "Private"])? {
        props.insert("scope".into(), json!(scope));
    }
    let guid = ctx
        .existing
        .as_ref()
        .and_then(|e| at(&e.body, &["properties", "resourceGuid"]).cloned())
        .unwrap_or_else(|| json!(util::uuid()));
    props.insert("resourceGuid".into(), guid);
    props.insert("frontendIPConfigurations".into(), Value::Array(frontends));
    props.insert("loadBalancingRules".into(), Value::Array(rules));
    props.insert("probes".into(), Value::Array(probes));
    props.insert("inboundNatRules".into(), Value::Array(nats));
    props.insert("outboundRules".into(), Value::Array(outs));
    // Inbound NAT pools (VM scale sets) are kept as sent.
    props.insert(
        "inboundNatPools".into(),
        Value::Array(list("inboundNatPools")?),
    );
    let mut sku_obj = Map::new();
    sku_obj.insert("name".into(), json!(sku));
    sku_obj.insert(
        "tier".into(),
        json!(tier.unwrap_or_else(|| "Regional".into())),
    );
    Ok(PutOut {
        body: json!({ "sku": Value::Object(sku_obj), "properties": Value::Object(props) }),
        children,
    })
}

fn pool_props(v: &Value) -> ArmResult<Map<String, Value>> {
    let mut props = props_of(v)?;
    for ro in [
        "backendIPConfigurations",
        "loadBalancingRules",
        "outboundRule",
        "outboundRules",
        "inboundNatRules",
    ] {
        props.remove(ro);
    }
    Check::opt_arr(v, &["properties", "loadBalancerBackendAddresses"])?;
    Check::opt_int(v, &["properties", "drainPeriodInSeconds"])?;
    if let Some(m) = Check::opt_enum(v, &["properties", "syncMode"], &["Automatic", "Manual"])? {
        props.insert("syncMode".into(), json!(m));
    }
    Ok(props)
}

fn pool_body(id: &str, name: &str, props: Map<String, Value>) -> Value {
    json!({ "id": id, "name": name, "type": POOL_TYPE, "properties": Value::Object(props) })
}

/// PUT loadBalancers/{lb}/backendAddressPools/{name} (own PUT, a-a-o).
pub fn put_pool(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    let props = pool_props(&ctx.request)?;
    Ok(PutOut {
        body: json!({ "properties": Value::Object(props) }),
        children: Vec::new(),
    })
}

/// IDs of the LB's inline items (in `seg`) whose `field` (a SubResource, or an array of
/// them when `many`) references `target_id`.
fn refs_to(lb: &Value, seg: &str, field: &str, many: bool, target_id: &str) -> Vec<Value> {
    arr(lb, seg)
        .into_iter()
        .filter(|item| {
            let p = item.get("properties").unwrap_or(&Value::Null);
            let hit = |v: &Value| {
                v.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|id| id.eq_ignore_ascii_case(target_id))
            };
            match p.get(field) {
                Some(Value::Array(a)) if many => a.iter().any(hit),
                Some(v) if !many => hit(v),
                _ => false,
            }
        })
        .filter_map(|item| item.get("id").cloned())
        .map(|id| json!({ "id": id }))
        .collect()
}

fn set_refs(props: &mut Map<String, Value>, key: &str, refs: Vec<Value>) {
    if refs.is_empty() {
        props.remove(key);
    } else {
        props.insert(key.into(), Value::Array(refs));
    }
}

fn pool_refs(lb: &Value, pool_id: &str, props: &mut Map<String, Value>) {
    let mut rules = refs_to(
        lb,
        "loadBalancingRules",
        "backendAddressPool",
        false,
        pool_id,
    );
    for r in refs_to(
        lb,
        "loadBalancingRules",
        "backendAddressPools",
        true,
        pool_id,
    ) {
        if !rules.contains(&r) {
            rules.push(r);
        }
    }
    set_refs(props, "loadBalancingRules", rules);
    let outs = refs_to(lb, "outboundRules", "backendAddressPool", false, pool_id);
    if let Some(first) = outs.first() {
        props.insert("outboundRule".into(), first.clone());
    } else {
        props.remove("outboundRule");
    }
    set_refs(props, "outboundRules", outs);
}

/// GET body of a load balancer: pools from the child rows; RO back-references (frontend
/// `loadBalancingRules`/`inboundNatRules`/`outboundRules`, pool `loadBalancingRules`/
/// `outboundRule(s)`, probe `loadBalancingRules`); inline items carry the LB's
/// provisioningState and etag (as in the LoadBalancerCreate example).
pub fn render_lb(tx: &Transaction<'_>, row: &Row, body: &mut Value) -> ArmResult<()> {
    let lb = row.body.clone();
    let state = at(&lb, &["properties", "provisioningState"])
        .cloned()
        .unwrap_or(json!("Succeeded"));
    let etag = lb.get("etag").cloned();
    let mut pools = Vec::new();
    for p in store::children(tx, &row.id_lc, POOL_TYPE_LC)? {
        let mut b = p.body.clone();
        pool_refs(&lb, &p.id, util::obj_mut(&mut b, &["properties"]));
        pools.push(b);
    }
    let props = util::obj_mut(body, &["properties"]);
    props.insert("backendAddressPools".into(), Value::Array(pools));
    for (seg, _) in INLINE {
        let Some(Value::Array(items)) = props.get_mut(*seg) else {
            continue;
        };
        for item in items.iter_mut() {
            let id = item
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if let Some(e) = &etag {
                item["etag"] = e.clone();
            }
            let ip = util::obj_mut(item, &["properties"]);
            ip.insert("provisioningState".into(), state.clone());
            match *seg {
                "frontendIPConfigurations" => {
                    set_refs(
                        ip,
                        "loadBalancingRules",
                        refs_to(
                            &lb,
                            "loadBalancingRules",
                            "frontendIPConfiguration",
                            false,
                            &id,
                        ),
                    );
                    set_refs(
                        ip,
                        "inboundNatRules",
                        refs_to(
                            &lb,
                            "inboundNatRules",
                            "frontendIPConfiguration",
                            false,
                            &id,
                        ),
                    );
                    set_refs(
                        ip,
                        "outboundRules",
                        refs_to(&lb, "outboundRules", "frontendIPConfigurations", true, &id),
                    );
                }
                "probes" => {
                    set_refs(
                        ip,
                        "loadBalancingRules",
                        refs_to(&lb, "loadBalancingRules", "probe", false, &id),
                    );
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// GET body of a backend pool: back-references from its load balancer's rules.
pub fn render_pool(tx: &Transaction<'_>, row: &Row, body: &mut Value) -> ArmResult<()> {
    if let Some(lb) = store::get(tx, &row.parent_lc)? {
        pool_refs(&lb.body, &row.id, util::obj_mut(body, &["properties"]));
    }
    Ok(())
}

/// LB frontend IDs that sit in `subnet` (rows of the same subscription).
pub fn frontends_in_subnet(tx: &Transaction<'_>, subnet: &Row) -> ArmResult<Vec<String>> {
    let mut out = Vec::new();
    for lb in store::list(tx, &subnet.sub, None, Some(LB_TYPE_LC))? {
        if at(&lb.body, &["properties", "provisioningState"]).and_then(Value::as_str)
            == Some("Deleting")
        {
            continue;
        }
        for fe in arr(&lb.body, "frontendIPConfigurations") {
            let hit = at(fe, &["properties", "subnet", "id"])
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case(&subnet.id));
            if hit && let Some(id) = fe.get("id").and_then(Value::as_str) {
                out.push(id.to_string());
            }
        }
    }
    Ok(out)
}

/// GET body of a subnet: RO `ipConfigurations` lists the LB frontends placed in it.
pub fn render_subnet(tx: &Transaction<'_>, row: &Row, body: &mut Value) -> ArmResult<()> {
    let fes = frontends_in_subnet(tx, row)?;
    if !fes.is_empty() {
        let refs: Vec<Value> = fes.into_iter().map(|id| json!({ "id": id })).collect();
        util::obj_mut(body, &["properties"]).insert("ipConfigurations".into(), Value::Array(refs));
    }
    Ok(())
}

/// GET body of a public IP: RO `ipConfiguration` = the LB frontend using it.
pub fn render_public_ip(tx: &Transaction<'_>, row: &Row, body: &mut Value) -> ArmResult<()> {
    for lb in store::list(tx, &row.sub, None, Some(LB_TYPE_LC))? {
        for fe in arr(&lb.body, "frontendIPConfigurations") {
            let hit = at(fe, &["properties", "publicIPAddress", "id"])
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case(&row.id));
            if hit && let Some(id) = fe.get("id") {
                util::obj_mut(body, &["properties"])
                    .insert("ipConfiguration".into(), json!({ "id": id }));
                return Ok(());
            }
        }
    }
    Ok(())
}
