//! Private DNS rules: privateDnsZones, their A record sets and virtualNetworkLinks
//! (privatedns.json 2024-06-01; examples PrivateZonePut, RecordSetAPut, VirtualNetworkLinkPut).

use std::net::Ipv4Addr;

use rusqlite::Transaction;
use serde_json::{Map, Value, json};

use crate::handler::{PutCtx, PutOut};
use crate::store::{self, Row};
use crate::util::{self, ArmError, ArmResult, Check, at};

const A_TYPE_LC: &str = "microsoft.network/privatednszones/a";
const LINK_TYPE_LC: &str = "microsoft.network/privatednszones/virtualnetworklinks";

/// Limits the PrivateZonePut example returns (maxNumberOfRecordSets,
/// maxNumberOfVirtualNetworkLinks, maxNumberOfVirtualNetworkLinksWithRegistration).
const MAX_RECORD_SETS: i64 = 5000;
const MAX_LINKS: i64 = 100;
const MAX_LINKS_WITH_REGISTRATION: i64 = 50;

/// Zones and links are TrackedResources whose location is "global" (digest; the examples
/// send "Global" and get "global"). Any other location → 400
/// `LocationNotAvailableForResourceType`, ARM's answer for a region a type is not offered in.
fn check_global(ctx: &PutCtx<'_, '_>, type_name: &str) -> ArmResult<()> {
    match ctx.location.as_deref() {
        Some("global") | None => Ok(()),
        Some(l) => Err(ArmError::bad(
            "LocationNotAvailableForResourceType",
            format!(
                "The provided location '{l}' is not available for resource type '{type_name}'. List of available regions for the resource type is 'global'."
            ),
        )
        .with_target("location")),
    }
}

/// PUT privateDnsZones/{zone}: no writable properties besides tags; the counters are
/// composed at read time ([`render_zone`]).
pub fn put_zone(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    check_global(ctx, "Microsoft.Network/privateDnsZones")?;
    Check::opt_obj(&ctx.request, &["properties"])?;
    let internal = ctx
        .existing
        .as_ref()
        .and_then(|e| at(&e.body, &["properties", "internalId"]).cloned())
        .unwrap_or_else(|| json!(util::uuid()));
    Ok(PutOut {
        body: json!({ "properties": { "internalId": internal } }),
        children: Vec::new(),
    })
}

/// Zone counters: `numberOfRecordSets` counts the SOA record set every zone has (the
/// PrivateZonePut example answers 1 for a new zone) plus the A record sets;
/// `numberOfVirtualNetworkLinks(WithRegistration)` count the links.
pub fn render_zone(tx: &Transaction<'_>, row: &Row, body: &mut Value) -> ArmResult<()> {
    let records = store::children(tx, &row.id_lc, A_TYPE_LC)?.len() as i64;
    let links = store::children(tx, &row.id_lc, LINK_TYPE_LC)?;
    let with_reg = links
        .iter()
        .filter(|l| {
            at(&l.body, &["properties", "registrationEnabled"]).and_then(Value::as_bool)
                == Some(true)
        })
        .count();
    let props = util::obj_mut(body, &["properties"]);
    props.insert("maxNumberOfRecordSets".into(), json!(MAX_RECORD_SETS));
    props.insert("numberOfRecordSets".into(), json!(1 + records));
    props.insert("maxNumberOfVirtualNetworkLinks".into(), json!(MAX_LINKS));
    props.insert("numberOfVirtualNetworkLinks".into(), json!(links.len()));
    props.insert(
        "maxNumberOfVirtualNetworkLinksWithRegistration".into(),
        json!(MAX_LINKS_WITH_REGISTRATION),
    );
    props.insert(
        "numberOfVirtualNetworkLinksWithRegistration".into(),
        json!(with_reg),
    );
    Ok(())
}

/// PUT privateDnsZones/{zone}/A/{name}: `ttl` (integer ≥ 0), `metadata` (string map),
/// `aRecords[].ipv4Address` (dotted IPv4, else 400 `InvalidParameter`). Server fields:
/// `fqdn` = `{name}.{zone}.` (`{zone}.` for the apex `@`), `isAutoRegistered` false.
pub fn put_a_record_set(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    let req = &ctx.request;
    Check::opt_obj(req, &["properties"])?;
    let ttl = Check::opt_int(req, &["properties", "ttl"])?;
    if ttl.is_some_and(|t| !(0..=2_147_483_647).contains(&t)) {
        return Err(ArmError::bad(
            "InvalidParameter",
            "The value of 'properties.ttl' must be between 0 and 2147483647.",
        )
        .with_target("properties.ttl"));
    }
    if let Some(m) = Check::opt_obj(req, &["properties", "metadata"])? {
        for (k, v) in m {
            if !v.is_string() {
                return Err(ArmError::bad(
                    "InvalidRequestContent",
                    format!("The request content was invalid and could not be deserialized: 'metadata value '{k}' must be a string'."),
                )
                .with_target(format!("properties.metadata.{k}")));
            }
        }
    }
    let mut records = Vec::new();
    for (i, r) in Check::opt_arr(req, &["properties", "aRecords"])?
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let field = format!("properties.aRecords[{i}].ipv4Address");
        let ip = Check::opt_str(r, &["ipv4Address"])?.unwrap_or("");
        if ip.parse::<Ipv4Addr>().is_err() {
            return Err(ArmError::bad(
                "InvalidParameter",
                format!("The value '{ip}' of '{field}' is not a valid IPv4 address."),
            )
            .with_target(field));
        }
        records.push(json!({ "ipv4Address": ip }));
    }
    let zone = ctx
        .parent
        .as_ref()
        .and_then(|p| p.body.get("name").and_then(Value::as_str))
        .unwrap_or("")
        .trim_end_matches('.')
        .to_string();
    let fqdn = if ctx.name == "@" {
        format!("{zone}.")
    } else {
        format!("{}.{zone}.", ctx.name)
    };
    let mut props = Map::new();
    if let Some(m) = Check::opt_obj(req, &["properties", "metadata"])? {
        props.insert("metadata".into(), Value::Object(m.clone()));
    }
    props.insert("ttl".into(), json!(ttl.unwrap_or(3600)));
    props.insert("fqdn".into(), json!(fqdn));
    props.insert("isAutoRegistered".into(), json!(false));
    props.insert("aRecords".into(), Value::Array(records));
    Ok(PutOut {
        body: json!({ "properties": Value::Object(props) }),
        children: Vec::new(),
    })
}

/// PUT privateDnsZones/{zone}/virtualNetworkLinks/{name}: `virtualNetwork.id` is required
/// and must name an existing virtual network (400 `BadRequest` otherwise);
/// `registrationEnabled` defaults to false; a virtual network may be linked to a zone once
/// (a second link to it → 409 `Conflict`). `virtualNetworkLinkState` is InProgress while
/// the operation runs, Completed after.
pub fn put_link(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    check_global(ctx, "Microsoft.Network/privateDnsZones/virtualNetworkLinks")?;
    let req = &ctx.request;
    Check::opt_obj(req, &["properties"])?;
    let Some(vnet_id) = Check::opt_str(req, &["properties", "virtualNetwork", "id"])? else {
        return Err(ArmError::bad(
            "BadRequest",
            "The property 'properties.virtualNetwork.id' is required for a virtual network link.",
        )
        .with_target("properties.virtualNetwork.id"));
    };
    let vnet_lc = vnet_id.trim_end_matches('/').to_ascii_lowercase();
    let Some(vnet) =
        store::get(ctx.tx, &vnet_lc)?.filter(|r| r.type_lc == "microsoft.network/virtualnetworks")
    else {
        return Err(ArmError::bad(
            "BadRequest",
            format!("Virtual network resource '{vnet_id}' was not found."),
        )
        .with_target("properties.virtualNetwork.id"));
    };
    if let Some(zone) = &ctx.parent {
        for other in store::children(ctx.tx, &zone.id_lc, LINK_TYPE_LC)? {
            if other.id_lc == ctx.id_lc {
                continue;
            }
            let linked = at(&other.body, &["properties", "virtualNetwork", "id"])
                .and_then(Value::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case(vnet_id));
            if linked {
                return Err(ArmError::new(
                    409,
                    "Conflict",
                    format!(
                        "A virtual network link to '{vnet_id}' already exists in this zone: '{}'.",
                        other.id
                    ),
                ));
            }
        }
    }
    let reg = Check::opt_bool(req, &["properties", "registrationEnabled"])?.unwrap_or(false);
    Ok(PutOut {
        body: json!({ "properties": {
            "virtualNetwork": { "id": vnet.id },
            "registrationEnabled": reg,
        }}),
        children: Vec::new(),
    })
}

/// A zone with virtual network links cannot be deleted (digest: "A zone can't be deleted
/// while any virtual network link remains"): 409 `Conflict` (Azure answers 409 here, see
/// Azure/azure-cli#15010; the private DNS provider uses the code `Conflict`).
pub fn check_zone_delete(tx: &Transaction<'_>, zone: &Row) -> ArmResult<()> {
    let links = store::children(tx, &zone.id_lc, LINK_TYPE_LC)?;
    if let Some(l) = links.first() {
        return Err(ArmError::new(
            409,
            "Conflict",
            format!(
                "The private DNS zone '{}' cannot be deleted because it has {} virtual network link(s) (e.g. '{}'). Delete the virtual network links first.",
                zone.body.get("name").and_then(Value::as_str).unwrap_or(""),
                links.len(),
                l.id
            ),
        ));
    }
    Ok(())
}
