//! Generic mapping between capz resources and ARM JSON, driven by the kind definitions.
//!
//! The planner never names an ARM property itself: it asks this module for a resource's
//! ID, its PUT body, and whether a declared field equals the live one. All of it reads
//! the [`KindDef`]/[`FieldDef`] data, so a field is described once.
//!
//! Normalisation follows how ARM returns values (ARM resource IDs and enum values are
//! case-insensitive, see
//! <https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules>;
//! locations come back as `eastus2` for `East US 2`).

use lang::program::{Program, Resource};
use lang::schema::{ArmMapping, Catalog, Compare, FieldDef, KindDef, Placement};
use lang::types::Type;
use lang::value::{Address, Value};
use serde_json::{Map, Value as Json};

/// The tag every resource a program creates carries, with the stack name as value.
pub const STACK_TAG: &str = "capz-stack";

/// The tag that records `lifecycle { prevent_destroy = true }` on a resource (value
/// `"true"`): capz keeps no state, so the protection lives on the resource and outlasts its
/// declaration.
pub const PROTECT_TAG: &str = "capz-prevent-destroy";

/// Whether `res` declares `lifecycle { prevent_destroy = true }`.
pub fn prevent_destroy(res: &Resource) -> bool {
    matches!(
        res.get("lifecycle.prevent_destroy"),
        Some(Value::Bool(true))
    )
}

/// Whether a live body carries [`PROTECT_TAG`] = `"true"`.
pub fn protected_live(live: &Json) -> bool {
    live.get("tags")
        .and_then(|t| t.get(PROTECT_TAG))
        .and_then(Json::as_str)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The keys of `lifecycle { ignore_changes = [...] }` of `res`.
pub fn ignore_changes(res: &Resource) -> Vec<String> {
    match res.get("lifecycle.ignore_changes") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Fields that Azure owns after create while another field is set: `(kind, field, when)`.
/// With `autoscale`, AKS's cluster autoscaler sets a pool's node count, so `count` is only
/// the initial count (learn.microsoft.com/azure/aks/cluster-autoscaler: "the cluster
/// autoscaler ... adjusts the number of nodes"; `count` of an autoscaled pool is its current
/// size), as Terraform's azurerm asks users to `ignore_changes = [node_count]`.
pub const OWNED_AFTER_CREATE: &[(&str, &str, &str)] = &[("pool", "count", "autoscale")];

/// The fields of `res` (kind `kind`) that are never diffed or written after create,
/// because Azure owns them ([`OWNED_AFTER_CREATE`]).
pub fn ignored_after_create(kind: &str, res: &Resource) -> Vec<&'static str> {
    OWNED_AFTER_CREATE
        .iter()
        .filter(|(k, _, when)| *k == kind && res.fields.contains_key(*when))
        .map(|(_, f, _)| *f)
        .collect()
}

/// ARM resource ID of the resource at `address` in `program`, e.g.
/// `/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/net/subnets/nodes`.
/// `None` if the address or its kind is unknown.
pub fn resource_id(
    catalog: &Catalog,
    program: &Program,
    subscription: &str,
    address: &Address,
) -> Option<String> {
    let res = program.resource(address)?;
    let kind = catalog.kind(res.kind)?;
    match kind.placement {
        Placement::ResourceGroup => Some(format!(
            "/subscriptions/{subscription}/resourceGroups/{}",
            res.name
        )),
        Placement::InGroup => {
            let parent = resource_id(catalog, program, subscription, res.parent.as_ref()?)?;
            Some(format!("{parent}/providers/{}/{}", kind.arm_type, res.name))
        }
        Placement::Child { segment, .. }
        | Placement::Inline { segment, .. }
        | Placement::Link { segment, .. } => {
            let parent = resource_id(catalog, program, subscription, res.parent.as_ref()?)?;
            Some(format!("{parent}/{segment}/{}", res.name))
        }
    }
}

/// The JSON value at a dotted path (`properties.networkProfile.networkPlugin`).
pub fn get_path<'a>(body: &'a Json, path: &str) -> Option<&'a Json> {
    let mut cur = body;
    for part in path.split('.') {
        cur = cur.as_object()?.get(part)?;
    }
    if cur.is_null() { None } else { Some(cur) }
}

/// Set the JSON value at a dotted path, creating objects on the way (replacing non-objects).
pub fn set_path(body: &mut Json, path: &str, value: Json) {
    let mut cur = body;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !cur.is_object() {
            *cur = Json::Object(Map::new());
        }
        let Json::Object(map) = cur else { return };
        if i + 1 == parts.len() {
            map.insert((*part).to_string(), value);
            return;
        }
        cur = map
            .entry((*part).to_string())
            .or_insert_with(|| Json::Object(Map::new()));
    }
}

/// Convert a capz value of type `ty` to ARM JSON: enum words to ARM spelling, references
/// to resource IDs (via `ids`), records to objects. Unknown values become `null`.
pub fn to_json(value: &Value, ty: &Type, ids: &dyn Fn(&Address) -> Option<String>) -> Json {
    match (value, ty) {
        (Value::Enum(w), Type::Enum(e)) => {
            Json::String(e.word(w).map_or_else(|| w.clone(), |x| x.arm.to_string()))
        }
        (Value::Enum(w), _) => Json::String(w.clone()),
        (Value::Int(i), _) => Json::from(*i),
        (Value::Bool(b), _) => Json::Bool(*b),
        (Value::Str(s), _) => Json::String(s.clone()),
        (Value::List(items), t) => {
            let elem = match t {
                Type::List(e) => e.as_ref().clone(),
                _ => Type::Any,
            };
            Json::Array(items.iter().map(|v| to_json(v, &elem, ids)).collect())
        }
        (Value::Record(r), t) => {
            let mut m = Map::new();
            for (k, v) in r {
                let ft = match t {
                    Type::Record(fs) => fs
                        .iter()
                        .find(|(n, _)| n == k)
                        .map_or(Type::Any, |(_, t)| t.clone()),
                    _ => Type::Any,
                };
                m.insert(k.clone(), to_json(v, &ft, ids));
            }
            Json::Object(m)
        }
        (Value::Ref(a), _) => ids(a).map_or(Json::Null, Json::String),
        (Value::Range { start, end }, _) => Json::Array(vec![Json::from(*start), Json::from(*end)]),
        (Value::Unknown { .. }, _) => Json::Null,
    }
}

/// Convert live ARM JSON back to a capz value of type `ty` (for display and comparison).
/// Enum values map back to capz words; a resource reference reads as its ID string.
pub fn from_json(json: &Json, ty: &Type) -> Value {
    match (json, ty) {
        (Json::String(s), Type::Enum(e)) => Value::Enum(
            e.from_arm(s)
                .map_or_else(|| s.clone(), |w| w.word.to_string()),
        ),
        (Json::String(s), _) => Value::Str(s.clone()),
        (Json::Bool(b), _) => Value::Bool(*b),
        (Json::Number(n), _) => Value::Int(n.as_i64().unwrap_or_default()),
        (Json::Array(items), t) => {
            let elem = match t {
                Type::List(e) => e.as_ref().clone(),
                _ => Type::Any,
            };
            Value::List(items.iter().map(|j| from_json(j, &elem)).collect())
        }
        (Json::Object(m), t) => Value::Record(
            m.iter()
                .map(|(k, v)| {
                    let ft = match t {
                        Type::Record(fs) => fs
                            .iter()
                            .find(|(n, _)| n == k)
                            .map_or(Type::Any, |(_, t)| t.clone()),
                        _ => Type::Any,
                    };
                    (k.clone(), from_json(v, &ft))
                })
                .collect(),
        ),
        (Json::Null, _) => Value::Str(String::new()),
    }
}

/// The PUT body for `res` of kind `kind`: every declared field at its ARM path, the
/// location, and the stack tag on taggable kinds. Inline children are not included (see
/// [`inline_child`]).
pub fn to_body(
    kind: &KindDef,
    res: &Resource,
    stack: &str,
    ids: &dyn Fn(&Address) -> Option<String>,
) -> Json {
    let mut body = Json::Object(Map::new());
    // Fixed values belong to whole resources: an inline part (a load balancer's pool or
    // frontend) shares its parent's arm_type but is one element of the parent's body, and
    // ARM's schema for those elements has no `sku` (loadBalancer.json, BackendAddressPool).
    if !matches!(kind.placement, Placement::Inline { .. }) {
        for (path, value) in fixed_body(kind.arm_type) {
            set_path(&mut body, path, value);
        }
    }
    for (key, fv) in &res.fields {
        let Some(field) = kind.field(key) else {
            continue;
        };
        write_field(field, &fv.value, ids, &mut body);
    }
    if kind.taggable {
        set_path(
            &mut body,
            &format!("tags.{STACK_TAG}"),
            Json::String(stack.to_string()),
        );
        if prevent_destroy(res) {
            set_path(
                &mut body,
                &format!("tags.{PROTECT_TAG}"),
                Json::String("true".into()),
            );
        }
    }
    body
}

/// Values ARM requires in a kind's body that no capz field sets, written before the
/// fields (a field that maps to the same path overrides them):
/// - managedClusters: `identity.type = "SystemAssigned"`: AKS needs an identity or a
///   service principal (managedClusters.json, `ManagedClusterIdentity`); the `identity`
///   and `identity_ids` fields override it.
/// - privateDnsZones and their virtualNetworkLinks: `location = "global"` (privatedns.json:
///   both are TrackedResources whose location is always global).
/// - securityRules: `*` for the source/destination address prefix and port range when the
///   rule leaves them out (networkSecurityGroup.json, `SecurityRulePropertiesFormat`: a rule
///   needs a prefix and a port range on both sides).
/// - loadBalancers: `sku.name = "Standard"`: ARM's default is Basic (the
///   LoadBalancerCreate example answers Basic), which is retired; the `sku` field overrides it.
/// - federatedIdentityCredentials: `audiences = ["api://AzureADTokenExchange"]`, the
///   audience Entra ID expects (ManagedIdentity.json; required by the spec).
pub fn fixed_body(arm_type: &str) -> Vec<(&'static str, Json)> {
    let s = |v: &str| Json::String(v.to_string());
    match arm_type {
        "Microsoft.ContainerService/managedClusters" => {
            vec![("identity.type", s("SystemAssigned"))]
        }
        "Microsoft.Network/privateDnsZones"
        | "Microsoft.Network/privateDnsZones/virtualNetworkLinks" => {
            vec![("location", s("global"))]
        }
        "Microsoft.Network/networkSecurityGroups/securityRules" => vec![
            ("properties.sourceAddressPrefix", s("*")),
            ("properties.sourcePortRange", s("*")),
            ("properties.destinationAddressPrefix", s("*")),
            ("properties.destinationPortRange", s("*")),
        ],
        "Microsoft.Network/loadBalancers" => vec![("sku.name", s("Standard"))],
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials" => vec![(
            "properties.audiences",
            Json::Array(vec![s("api://AzureADTokenExchange")]),
        )],
        _ => Vec::new(),
    }
}

/// Remove the value at a dotted path, if present (custom writers use it to drop a singular
/// key when they write its plural, e.g. `destinationPortRange` vs `destinationPortRanges`).
pub fn remove_path(body: &mut Json, path: &str) {
    let (parent, last) = match path.rsplit_once('.') {
        Some((p, l)) => (Some(p), l),
        None => (None, path),
    };
    let target = match parent {
        Some(p) => {
            let mut cur = &mut *body;
            for part in p.split('.') {
                match cur.as_object_mut().and_then(|m| m.get_mut(part)) {
                    Some(next) => cur = next,
                    None => return,
                }
            }
            cur
        }
        None => body,
    };
    if let Some(m) = target.as_object_mut() {
        m.remove(last);
    }
}

/// The agentPools-shaped body (`{"name": .., "properties": {..}}`) of one element of a
/// parent's inline child array (an `agentPoolProfiles` entry of a cluster GET), so that
/// [`live_value`] and [`same`] can read a pool's fields from its cluster's body.
pub fn inline_live(elem: &Json, name_key: &str) -> Json {
    let mut props = elem.as_object().cloned().unwrap_or_default();
    let name = props.remove(name_key).unwrap_or(Json::Null);
    let mut out = Map::new();
    out.insert("name".into(), name);
    out.insert("properties".into(), Json::Object(props));
    Json::Object(out)
}

/// Write one field's value into `body` according to its mapping.
pub fn write_field(
    field: &FieldDef,
    value: &Value,
    ids: &dyn Fn(&Address) -> Option<String>,
    body: &mut Json,
) {
    match field.arm {
        ArmMapping::Path(p) => {
            let j = to_json(value, &field.ty, ids);
            if !j.is_null() {
                set_path(body, p, j);
            }
        }
        ArmMapping::Custom { write, .. } => write(value, ids, body),
        ArmMapping::Name | ArmMapping::None => {}
    }
}

/// One element of the parent's inline child array (e.g. an `agentPoolProfiles` entry):
/// the child's `properties` flattened, plus its name under `name_key`.
pub fn inline_child(
    child_kind: &KindDef,
    child: &Resource,
    name_key: &str,
    stack: &str,
    ids: &dyn Fn(&Address) -> Option<String>,
) -> Json {
    let body = to_body(child_kind, child, stack, ids);
    let mut elem = match body.get("properties") {
        Some(Json::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    elem.insert(name_key.to_string(), Json::String(child.name.clone()));
    Json::Object(elem)
}

/// The live value of `field` in a GET body, as a capz value (`None` when ARM has none).
pub fn live_value(field: &FieldDef, live: &Json) -> Option<Value> {
    match field.arm {
        ArmMapping::Path(p) => get_path(live, p).map(|j| from_json(j, &field.ty)),
        ArmMapping::Custom { read, .. } => read(live),
        ArmMapping::Name => live
            .get("name")
            .and_then(Json::as_str)
            .map(|s| Value::Str(s.into())),
        ArmMapping::None => None,
    }
}

/// Whether the declared `desired` value of `field` equals what ARM returned in `live`,
/// after normalising both the way ARM does (case, order of sets, resolved versions).
pub fn same(
    field: &FieldDef,
    desired: &Value,
    live: &Json,
    ids: &dyn Fn(&Address) -> Option<String>,
) -> bool {
    match field.arm {
        ArmMapping::None => true,
        ArmMapping::Name => live_value(field, live)
            .and_then(|v| v.as_str().map(str::to_ascii_lowercase))
            .is_some_and(|n| desired.as_str().is_some_and(|d| d.eq_ignore_ascii_case(&n))),
        ArmMapping::Custom { write, read } => {
            // Both sides go through the same writer, then compare ignoring ASCII case (IDs
            // and enum spellings are case-insensitive in ARM).
            let Some(have) = read(live) else { return false };
            let mut want_body = Json::Object(Map::new());
            write(desired, ids, &mut want_body);
            let mut have_body = Json::Object(Map::new());
            write(&have, ids, &mut have_body);
            let set = if field.compare == Compare::UnorderedSet || matches!(field.ty, Type::List(_))
            {
                Compare::UnorderedSet
            } else {
                Compare::Exact
            };
            normalize(&fold_case(&want_body), &Type::Any, set)
                == normalize(&fold_case(&have_body), &Type::Any, set)
        }
        ArmMapping::Path(p) => {
            let want = normalize(&to_json(desired, &field.ty, ids), &field.ty, field.compare);
            let have = get_path(live, p)
                .map(|j| normalize(j, &field.ty, field.compare))
                .unwrap_or(Json::Null);
            match field.compare {
                Compare::VersionPrefix => match (want.as_str(), have.as_str()) {
                    (Some(w), Some(h)) => h == w || h.starts_with(&format!("{w}.")),
                    _ => want == have,
                },
                _ => want == have,
            }
        }
    }
}

/// Canonical form for comparison: regions lower case without spaces; enums, IDs and
/// case-insensitive fields lower case; sets sorted.
pub fn normalize(json: &Json, ty: &Type, compare: Compare) -> Json {
    let elem = match ty {
        Type::List(e) => e.as_ref(),
        other => other,
    };
    match json {
        Json::String(s) => Json::String(normalize_str(s, ty, compare)),
        Json::Array(items) => {
            let mut v: Vec<Json> = items
                .iter()
                .map(|j| {
                    normalize(
                        j,
                        elem,
                        if compare == Compare::UnorderedSet {
                            Compare::Exact
                        } else {
                            compare
                        },
                    )
                })
                .collect();
            if compare == Compare::UnorderedSet {
                v.sort_by_key(|j| j.to_string());
            }
            Json::Array(v)
        }
        Json::Object(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), normalize(v, &Type::Any, compare)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn normalize_str(s: &str, ty: &Type, compare: Compare) -> String {
    match ty {
        Type::Region => s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase(),
        Type::Enum(_) | Type::Resource(_) => s.to_ascii_lowercase(),
        _ if compare == Compare::CaseInsensitive => s.to_ascii_lowercase(),
        _ => s.to_string(),
    }
}

/// Lower-case every string and object key (for case-insensitive comparison of bodies).
fn fold_case(json: &Json) -> Json {
    match json {
        Json::String(s) => Json::String(s.to_ascii_lowercase()),
        Json::Array(items) => Json::Array(items.iter().map(fold_case).collect()),
        Json::Object(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), fold_case(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The [`Placement::Inline`] kinds whose parent is `parent` (a load balancer's frontends,
/// pools, probes, rules and outbound rules), in catalog order.
pub fn inline_kinds<'a>(catalog: &'a Catalog, parent: &str) -> Vec<&'a KindDef> {
    catalog
        .kinds
        .iter()
        .filter(|k| matches!(k.placement, Placement::Inline { parent: p, .. } if p == parent))
        .collect()
}

/// One element of a parent's array for an inline part: `{"name": .., "properties": {..}}`
/// (the part's [`to_body`] plus its name).
pub fn inline_element(
    kind: &KindDef,
    part: &Resource,
    stack: &str,
    ids: &dyn Fn(&Address) -> Option<String>,
) -> Json {
    let mut body = to_body(kind, part, stack, ids);
    if let Json::Object(m) = &mut body {
        m.insert("name".into(), Json::String(part.name.clone()));
    }
    body
}

/// Write every inline part array of `parent_kind` into `body`: each array holds exactly the
/// declared `parts` of its kind (an empty array when none is declared, so that parts
/// removed from the program are removed from ARM). `parts` may include resources of other
/// kinds; they are ignored.
pub fn write_inline_parts(
    catalog: &Catalog,
    parent_kind: &KindDef,
    parts: &[&Resource],
    stack: &str,
    ids: &dyn Fn(&Address) -> Option<String>,
    body: &mut Json,
) {
    for k in inline_kinds(catalog, parent_kind.keyword) {
        let Placement::Inline { array_path, .. } = k.placement else {
            continue;
        };
        let items: Vec<Json> = parts
            .iter()
            .filter(|p| p.kind == k.keyword)
            .map(|p| inline_element(k, p, stack, ids))
            .collect();
        set_path(body, array_path, Json::Array(items));
    }
}

/// The live element named `name` (ASCII case-insensitive) of an inline part array of kind
/// `kind` in the parent's GET body; `None` when absent.
pub fn inline_part_live(kind: &KindDef, parent_live: &Json, name: &str) -> Option<Json> {
    let Placement::Inline { array_path, .. } = kind.placement else {
        return None;
    };
    get_path(parent_live, array_path)?
        .as_array()?
        .iter()
        .find(|e| {
            e.get("name")
                .and_then(Json::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .cloned()
}

/// Names of the live elements of an inline part array (for parts ARM has and the program
/// no longer declares).
pub fn inline_part_names(kind: &KindDef, parent_live: &Json) -> Vec<String> {
    let Placement::Inline { array_path, .. } = kind.placement else {
        return Vec::new();
    };
    get_path(parent_live, array_path)
        .and_then(Json::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|e| e.get("name").and_then(Json::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
