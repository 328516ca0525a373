//! Microsoft.Network networkSecurityGroups and securityRules (networkSecurityGroup.json
//! 2026-01-01; examples NetworkSecurityGroupCreateWithRule, NetworkSecurityGroupRuleCreate).

use rusqlite::Transaction;
use serde_json::{Map, Value, json};

use crate::handler::{ChildWrite, PutCtx, PutOut, delete_unlisted};
use crate::store::{self, Row};
use crate::util::{self, ArmError, ArmResult, Check, at};

const RULE_TYPE: &str = "Microsoft.Network/networkSecurityGroups/securityRules";
const RULE_TYPE_LC: &str = "microsoft.network/networksecuritygroups/securityrules";
const SUBNET_TYPE_LC: &str = "microsoft.network/virtualnetworks/subnets";

/// SecurityRulePropertiesFormat.protocol enum.
const PROTOCOLS: &[&str] = &["Tcp", "Udp", "Icmp", "Esp", "*", "Ah"];

/// The six built-in rules every NSG returns in `defaultSecurityRules` (name, description,
/// source prefix, destination prefix, access, priority, direction), copied from the
/// NetworkSecurityGroupCreateWithRule example.
const DEFAULT_RULES: &[(&str, &str, &str, &str, &str, i64, &str)] = &[
    (
        "AllowVnetInBound",
        "Allow inbound traffic from all VMs in VNET",
        "VirtualNetwork",
        "VirtualNetwork",
        "Allow",
        65000,
        "Inbound",
    ),
    (
        "AllowAzureLoadBalancerInBound",
        "Allow inbound traffic from azure load balancer",
        "AzureLoadBalancer",
        "*",
        "Allow",
        65001,
        "Inbound",
    ),
    (
        "DenyAllInBound",
        "Deny all inbound traffic",
        "*",
        "*",
        "Deny",
        65500,
        "Inbound",
    ),
    (
        "AllowVnetOutBound",
        "Allow outbound traffic from all VMs to all VMs in VNET",
        "VirtualNetwork",
        "VirtualNetwork",
        "Allow",
        65000,
        "Outbound",
    ),
    (
        "AllowInternetOutBound",
        "Allow outbound traffic from all VMs to Internet",
        "*",
        "Internet",
        "Allow",
        65001,
        "Outbound",
    ),
    (
        "DenyAllOutBound",
        "Deny all outbound traffic",
        "*",
        "*",
        "Deny",
        65500,
        "Outbound",
    ),
];

/// A validated rule: its stored properties plus (direction, priority) for conflict checks.
struct RuleProps {
    props: Map<String, Value>,
    direction: String,
    priority: i64,
}

fn missing(field: &str) -> ArmError {
    ArmError::bad(
        "InvalidRequestFormat",
        format!("Cannot parse the request. Required parameter '{field}' is missing (null)."),
    )
    .with_target(field)
}

/// Validates SecurityRulePropertiesFormat: `protocol`, `access`, `priority`, `direction` are
/// required (spec `required`; missing → 400 `InvalidRequestFormat`); enums checked (400
/// `InvalidParameter`); priority 100-4096 (digest; 400 `InvalidParameter`).
fn rule_props(props: Option<&Map<String, Value>>, field: &str) -> ArmResult<RuleProps> {
    let pv = props
        .map(|m| Value::Object(m.clone()))
        .unwrap_or(Value::Null);
    let f = |k: &str| format!("{field}.{k}");
    let protocol = Check::opt_enum(&pv, &["protocol"], PROTOCOLS)
        .map_err(|e| e.with_target(f("protocol")))?
        .ok_or_else(|| missing(&f("protocol")))?;
    let access = Check::opt_enum(&pv, &["access"], &["Allow", "Deny"])
        .map_err(|e| e.with_target(f("access")))?
        .ok_or_else(|| missing(&f("access")))?;
    let direction = Check::opt_enum(&pv, &["direction"], &["Inbound", "Outbound"])
        .map_err(|e| e.with_target(f("direction")))?
        .ok_or_else(|| missing(&f("direction")))?;
    let priority = Check::opt_int(&pv, &["priority"])?.ok_or_else(|| missing(&f("priority")))?;
    if !(100..=4096).contains(&priority) {
        return Err(ArmError::bad(
            "InvalidParameter",
            format!(
                "Security rule has invalid Priority. Value provided: {priority}. Allowed range 100-4096."
            ),
        )
        .with_target(f("priority")));
    }
    for k in [
        "sourcePortRange",
        "destinationPortRange",
        "sourceAddressPrefix",
        "destinationAddressPrefix",
        "description",
    ] {
        Check::opt_str(&pv, &[k])?;
    }
    for k in [
        "sourcePortRanges",
        "destinationPortRanges",
        "sourceAddressPrefixes",
        "destinationAddressPrefixes",
    ] {
        Check::opt_strs(&pv, &[k])?;
    }
    let mut out = props.cloned().unwrap_or_default();
    out.remove("provisioningState");
    out.insert("protocol".into(), json!(protocol));
    out.insert("access".into(), json!(access));
    out.insert("direction".into(), json!(direction));
    out.insert("priority".into(), json!(priority));
    Ok(RuleProps {
        props: out,
        direction,
        priority,
    })
}

/// 400 `SecurityRuleConflict` ("Security rule {a} conflicts with rule {b}. Rules cannot have
/// the same Priority and Direction.", as ARM answers, see Azure/aks-engine#2106).
fn conflict(a: &str, b: &str) -> ArmError {
    ArmError::bad(
        "SecurityRuleConflict",
        format!(
            "Security rule {a} conflicts with rule {b}. Rules cannot have the same Priority and Direction."
        ),
    )
}

fn rule_key(r: &Row) -> (String, i64) {
    (
        at(&r.body, &["properties", "direction"])
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        at(&r.body, &["properties", "priority"])
            .and_then(Value::as_i64)
            .unwrap_or(0),
    )
}

fn rule_body(id: &str, name: &str, props: Map<String, Value>, old: Option<&Row>) -> Value {
    let mut b =
        json!({ "id": id, "name": name, "type": RULE_TYPE, "properties": Value::Object(props) });
    if let Some(et) = old.and_then(|o| o.body.get("etag")) {
        b["etag"] = et.clone();
    }
    b
}

fn default_rules(nsg_id: &str) -> Value {
    Value::Array(
        DEFAULT_RULES
            .iter()
            .map(|(name, desc, src, dst, access, prio, dir)| {
                json!({
                    "name": name,
                    "id": format!("{nsg_id}/defaultSecurityRules/{name}"),
                    "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "description": desc,
                        "protocol": "*",
                        "sourcePortRange": "*",
                        "destinationPortRange": "*",
                        "sourceAddressPrefix": src,
                        "destinationAddressPrefix": dst,
                        "access": access,
                        "priority": prio,
                        "direction": dir,
                    }
                })
            })
            .collect(),
    )
}

/// PUT networkSecurityGroups/{name}. `properties.securityRules`, when present, is the full
/// rule list (rules left out are deleted; each validated, (direction, priority) unique →
/// `SecurityRuleConflict`); when absent the existing rules are kept (the spec does not say;
/// this mirrors the VNet/subnets behaviour so child-managed rules survive a tags update).
/// Server fields: `defaultSecurityRules` (the six built-ins), `resourceGuid`.
pub fn put_nsg(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    let req = &ctx.request;
    Check::opt_obj(req, &["properties"])?;
    Check::opt_bool(req, &["properties", "flushConnection"])?;
    let existing_rules = match &ctx.existing {
        Some(e) => store::children(ctx.tx, &e.id_lc, RULE_TYPE_LC)?,
        None => Vec::new(),
    };
    let mut children = Vec::new();
    if let Some(list) = Check::opt_arr(req, &["properties", "securityRules"])? {
        let mut seen: Vec<(String, String, i64)> = Vec::new();
        for (i, r) in list.iter().enumerate() {
            let field = format!("properties.securityRules[{i}]");
            let Some(name) = Check::opt_str(r, &["name"])? else {
                return Err(missing(&format!("{field}.name")));
            };
            if seen.iter().any(|(n, _, _)| n.eq_ignore_ascii_case(name)) {
                return Err(ArmError::bad(
                    "InvalidRequestFormat",
                    format!(
                        "Security rule '{name}' appears more than once in properties.securityRules."
                    ),
                ));
            }
            let rp = rule_props(
                Check::opt_obj(r, &["properties"])?,
                &format!("{field}.properties"),
            )?;
            if let Some((other, _, _)) = seen
                .iter()
                .find(|(_, d, p)| *d == rp.direction && *p == rp.priority)
            {
                return Err(conflict(name, other));
            }
            seen.push((name.to_string(), rp.direction.clone(), rp.priority));
            let id_lc = format!("{}/securityrules/{}", ctx.id_lc, name.to_ascii_lowercase());
            let old = existing_rules.iter().find(|r| r.id_lc == id_lc);
            let id = old
                .map(|o| o.id.clone())
                .unwrap_or_else(|| format!("{}/securityRules/{name}", ctx.id));
            let nm = old
                .and_then(|o| o.body.get("name").and_then(Value::as_str))
                .unwrap_or(name)
                .to_string();
            children.push(ChildWrite {
                row: Row {
                    id_lc,
                    id: id.clone(),
                    type_lc: RULE_TYPE_LC.into(),
                    sub: ctx.sub.to_ascii_lowercase(),
                    rg: ctx.rg.to_ascii_lowercase(),
                    parent_lc: ctx.id_lc.clone(),
                    body: rule_body(&id, &nm, rp.props, old),
                    op_id: None,
                },
                created: old.is_none(),
                delete: false,
            });
        }
        delete_unlisted(&mut children, &existing_rules, |_| Ok(()))?;
    }
    let mut props = Map::new();
    if let Some(fc) = Check::opt_bool(req, &["properties", "flushConnection"])? {
        props.insert("flushConnection".into(), json!(fc));
    }
    let guid = ctx
        .existing
        .as_ref()
        .and_then(|e| at(&e.body, &["properties", "resourceGuid"]).cloned())
        .unwrap_or_else(|| json!(util::uuid()));
    props.insert("resourceGuid".into(), guid);
    props.insert("defaultSecurityRules".into(), default_rules(&ctx.id));
    Ok(PutOut {
        body: json!({ "properties": Value::Object(props) }),
        children,
    })
}

/// PUT networkSecurityGroups/{nsg}/securityRules/{name}: validated as in [`put_nsg`]; a
/// sibling with the same direction and priority → 400 `SecurityRuleConflict`.
pub fn put_rule(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    let rp = rule_props(Check::opt_obj(&ctx.request, &["properties"])?, "properties")?;
    if let Some(nsg) = &ctx.parent {
        for sib in store::children(ctx.tx, &nsg.id_lc, RULE_TYPE_LC)? {
            if sib.id_lc == ctx.id_lc
                || at(&sib.body, &["properties", "provisioningState"]).and_then(Value::as_str)
                    == Some("Deleting")
            {
                continue;
            }
            if rule_key(&sib) == (rp.direction.clone(), rp.priority) {
                let other = sib.body.get("name").and_then(Value::as_str).unwrap_or("");
                return Err(conflict(&ctx.name, other));
            }
        }
    }
    Ok(PutOut {
        body: json!({ "properties": Value::Object(rp.props) }),
        children: Vec::new(),
    })
}

/// Subnets whose `networkSecurityGroup.id` is this NSG.
fn subnets_using(tx: &Transaction<'_>, nsg: &Row) -> ArmResult<Vec<Row>> {
    Ok(store::list(tx, &nsg.sub, None, Some(SUBNET_TYPE_LC))?
        .into_iter()
        .filter(|s| {
            at(&s.body, &["properties", "networkSecurityGroup", "id"])
                .and_then(Value::as_str)
                .is_some_and(|id| id.trim_end_matches('/').eq_ignore_ascii_case(&nsg.id))
        })
        .collect())
}

/// GET body: `securityRules` composed from the child rows, `subnets` back-references
/// (RO `subnets` of NetworkSecurityGroupPropertiesFormat).
pub fn render_nsg(tx: &Transaction<'_>, row: &Row, body: &mut Value) -> ArmResult<()> {
    let rules: Vec<Value> = store::children(tx, &row.id_lc, RULE_TYPE_LC)?
        .into_iter()
        .map(|r| r.body)
        .collect();
    let subnets: Vec<Value> = subnets_using(tx, row)?
        .into_iter()
        .map(|s| json!({ "id": s.id }))
        .collect();
    let props = util::obj_mut(body, &["properties"]);
    props.insert("securityRules".into(), Value::Array(rules));
    if !subnets.is_empty() {
        props.insert("subnets".into(), Value::Array(subnets));
    }
    Ok(())
}

/// 400 `InUseNetworkSecurityGroupCannotBeDeleted` while a subnet references the NSG
/// (message as ARM's, see pulumi/pulumi-azure-native#3051).
pub fn check_nsg_delete(tx: &Transaction<'_>, nsg: &Row) -> ArmResult<()> {
    let users = subnets_using(tx, nsg)?;
    if users.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = users.iter().map(|s| s.id.as_str()).collect();
    Err(ArmError::bad(
        "InUseNetworkSecurityGroupCannotBeDeleted",
        format!(
            "Network security group {} cannot be deleted because it is in use by the following resources: {}. In order to delete the Network security group, remove the association with the resource(s). To learn how to do this, see aka.ms/deletensg.",
            nsg.id,
            ids.join(", ")
        ),
    ))
}
