//! Field-level comparison of a declared resource with its live ARM body, resolution of
//! values only ARM knows, and PUT bodies.
//!
//! Only the fields the program declares are compared (a field left out is ARM's to
//! decide), each normalised the way ARM returns it (`stdlib::arm::same`: case of IDs and
//! enums, order of sets, `1.30` matching `1.30.7`). An update body is the live GET body
//! with the declared fields written over it, so fields capz does not manage keep their
//! live values (and a vnet PUT keeps its live subnets: ARM deletes subnets left out of a
//! virtualNetworks PUT).

use super::model::{FieldChange, Shown};
use lang::schema::{ArmMapping, Catalog, KindDef};
use lang::{Address, Resource, Type, Value};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use stdlib::arm::{self, PROTECT_TAG, STACK_TAG};

/// Address → ARM ID of every declared resource (what `Value::Ref` becomes in a body).
pub type IdMap = BTreeMap<Address, String>;

/// Compare `res` (declared, values resolved) with its live body; the differing fields in
/// key order. `ids` resolves references; `names` maps lower-case IDs back to addresses
/// for display.
pub fn diff_fields(
    kind: &KindDef,
    res: &Resource,
    live: &Json,
    stack: &str,
    ids: &IdMap,
) -> Vec<FieldChange> {
    let lookup = |a: &Address| ids.get(a).cloned();
    let mut out = Vec::new();
    let mut tags_declared = false;
    let ignored = arm::ignored_after_create(kind.keyword, res);
    let ignore = arm::ignore_changes(res);
    for (key, fv) in &res.fields {
        let Some(def) = kind.field(key) else { continue };
        if ignored.contains(&key.as_str()) || is_ignored(&ignore, key) {
            continue;
        }
        if matches!(def.arm, ArmMapping::Name | ArmMapping::None) {
            continue;
        }
        let is_tags = matches!(def.arm, ArmMapping::Path("tags"));
        tags_declared |= is_tags;
        let desired = if is_tags && kind.taggable {
            managed_tags(&fv.value, res, stack, &ignore, Some(live))
        } else {
            fv.value.clone()
        };
        let differs = if desired.is_unknown() {
            true
        } else {
            !arm::same(def, &desired, live, &lookup)
        };
        if !differs {
            continue;
        }
        let (old, new) = if def.sensitive {
            (Shown::Sensitive, Shown::Sensitive)
        } else {
            let old = arm::live_value(def, live).map_or(Shown::Absent, |v| {
                Shown::Value(display_refs(v, &def.ty, ids))
            });
            let new = if desired.is_unknown() {
                Shown::Unknown
            } else {
                Shown::Value(fv.value.clone())
            };
            (old, new)
        };
        out.push(FieldChange {
            key: key.clone(),
            old,
            new,
            forces_replacement: def.forces_replacement,
        });
    }
    if kind.taggable && !tags_declared {
        let have = arm::get_path(live, "tags")
            .and_then(|t| t.get(STACK_TAG))
            .and_then(Json::as_str);
        if have != Some(stack) {
            out.push(FieldChange {
                key: format!("tags.{STACK_TAG}"),
                old: have.map_or(Shown::Absent, |s| Shown::Value(Value::Str(s.into()))),
                new: Shown::Value(Value::Str(stack.into())),
                forces_replacement: false,
            });
        }
        let protected = arm::prevent_destroy(res);
        if protected != arm::protected_live(live) {
            let (old, new) = if protected {
                (Shown::Absent, Shown::Value(Value::Str("true".into())))
            } else {
                (Shown::Value(Value::Str("true".into())), Shown::Absent)
            };
            out.push(FieldChange {
                key: format!("tags.{PROTECT_TAG}"),
                old,
                new,
                forces_replacement: false,
            });
        }
    }
    out
}

/// Whether `key` is covered by `lifecycle { ignore_changes = [...] }`: named itself, or
/// its block (`network` covers `network.policy`).
pub fn is_ignored(ignore: &[String], key: &str) -> bool {
    ignore.iter().any(|i| {
        i == key
            || key
                .strip_prefix(i.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// The tags record ARM will hold for `res`: the declared `tags`, `capz-stack = stack`,
/// `capz-prevent-destroy = "true"` when `lifecycle { prevent_destroy = true }`, and for each
/// ignored `tags.KEY` (`ignore_changes`) the live value of that key (`live`), or none.
fn managed_tags(
    v: &Value,
    res: &Resource,
    stack: &str,
    ignore: &[String],
    live: Option<&Json>,
) -> Value {
    let mut v = with_stack_tag(v, stack);
    if let Value::Record(r) = &mut v {
        if arm::prevent_destroy(res) {
            r.insert(PROTECT_TAG.to_string(), Value::Str("true".into()));
        }
        for key in ignore.iter().filter_map(|i| i.strip_prefix("tags.")) {
            let have = live
                .and_then(|l| arm::get_path(l, "tags"))
                .and_then(|t| t.get(key))
                .and_then(Json::as_str);
            match have {
                Some(h) => {
                    r.insert(key.to_string(), Value::Str(h.to_string()));
                }
                None => {
                    r.remove(key);
                }
            }
        }
    }
    v
}

/// Differences of the parts written inside a resource's body (a load balancer's frontends,
/// pools, probes and rules, [`lang::schema::Placement::Inline`]) with the elements of its
/// live body: `frontend.api.private_ip  old -> new` for a changed field, `frontend.api`
/// `(none) -> address` for a part ARM lacks, `frontend.old  "old" -> (none)` for a live
/// part the program no longer declares. `parts` are the resource's declared parts, values
/// resolved. Keys use the word written in programs (`rule`, not `lb_rule`).
pub fn diff_inline_parts(
    catalog: &Catalog,
    kind: &KindDef,
    parts: &[Resource],
    live: &Json,
    stack: &str,
    ids: &IdMap,
) -> Vec<FieldChange> {
    let mut out = Vec::new();
    for pk in arm::inline_kinds(catalog, kind.keyword) {
        let word = match pk.placement {
            lang::schema::Placement::Inline { word, .. } => word,
            _ => pk.keyword,
        };
        let declared: Vec<&Resource> = parts.iter().filter(|p| p.kind == pk.keyword).collect();
        for p in &declared {
            let leaf = p
                .address
                .segments
                .last()
                .map_or_else(String::new, |s| match s.index {
                    Some(i) => format!("{}[{i}]", s.name),
                    None => s.name.clone(),
                });
            let label = format!("{word}.{leaf}");
            match arm::inline_part_live(pk, live, &p.name) {
                None => out.push(FieldChange {
                    key: label,
                    old: Shown::Absent,
                    new: Shown::Value(Value::Ref(p.address.clone())),
                    forces_replacement: false,
                }),
                Some(el) => {
                    for mut f in diff_fields(pk, p, &el, stack, ids) {
                        f.key = format!("{label}.{}", f.key);
                        f.forces_replacement = false;
                        out.push(f);
                    }
                }
            }
        }
        for name in arm::inline_part_names(pk, live) {
            if !declared.iter().any(|p| p.name.eq_ignore_ascii_case(&name)) {
                out.push(FieldChange {
                    key: format!("{word}.{name}"),
                    old: Shown::Value(Value::Str(name)),
                    new: Shown::Absent,
                    forces_replacement: false,
                });
            }
        }
    }
    out
}

/// The declared tags record with `capz-stack = stack` added (what ARM will hold).
fn with_stack_tag(v: &Value, stack: &str) -> Value {
    match v {
        Value::Record(r) => {
            let mut r = r.clone();
            r.insert(STACK_TAG.to_string(), Value::Str(stack.to_string()));
            Value::Record(r)
        }
        other => other.clone(),
    }
}

/// A live value for display: resource IDs of declared resources become their addresses.
fn display_refs(v: Value, ty: &Type, ids: &IdMap) -> Value {
    match (v, ty) {
        (Value::Str(s), Type::Resource(_)) => ids
            .iter()
            .find(|(_, id)| id.eq_ignore_ascii_case(&s))
            .map_or(Value::Str(s), |(a, _)| Value::Ref(a.clone())),
        (Value::List(items), Type::List(elem)) => Value::List(
            items
                .into_iter()
                .map(|i| display_refs(i, elem, ids))
                .collect(),
        ),
        (v, _) => v,
    }
}

/// Replace every `Value::Unknown { of, attr }` that `lookup(of, attr)` can answer.
pub fn resolve(value: &Value, lookup: &dyn Fn(&Address, &str) -> Option<Value>) -> Value {
    match value {
        Value::Unknown { of, attr } => lookup(of, attr).unwrap_or_else(|| value.clone()),
        Value::List(items) => Value::List(items.iter().map(|v| resolve(v, lookup)).collect()),
        Value::Record(r) => Value::Record(
            r.iter()
                .map(|(k, v)| (k.clone(), resolve(v, lookup)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `res` with [`resolve`] applied to every field.
pub fn resolve_resource(
    res: &Resource,
    lookup: &dyn Fn(&Address, &str) -> Option<Value>,
) -> Resource {
    let mut r = res.clone();
    for fv in r.fields.values_mut() {
        if fv.value.is_unknown() {
            fv.value = resolve(&fv.value, lookup);
        }
    }
    r
}

/// Read attribute `attr` of a resource of kind `kind` from its live body (the attribute's
/// `arm_path`, converted by its type).
pub fn read_attribute(kind: &KindDef, attr: &str, live: &Json) -> Option<Value> {
    let def = kind.attribute(attr)?;
    arm::get_path(live, def.arm_path).map(|j| arm::from_json(j, &def.ty))
}

/// Keys a PUT body must not carry back to ARM (read-only, set by ARM).
const READ_ONLY: &[&str] = &["id", "type", "etag", "eTag", "systemData"];

/// The PUT body of a declared resource.
///
/// - `live = None` (create, replace): the declared fields (`stdlib::arm::to_body`) and the
///   stack tag, plus `inline` children in the kind's inline array (a new cluster's pools
///   in `properties.agentPoolProfiles`).
/// - `live = Some(body)` (update): the live body without read-only keys, with the declared
///   fields and the stack tag written over it.
pub fn put_body(
    catalog: &Catalog,
    kind: &KindDef,
    res: &Resource,
    inline: &[&Resource],
    live: Option<&Json>,
    stack: &str,
    ids: &IdMap,
) -> Json {
    let lookup = |a: &Address| ids.get(a).cloned();
    match live {
        None => {
            let mut body = arm::to_body(kind, res, stack, &lookup);
            if let Some(spec) = kind.inline_children
                && !inline.is_empty()
            {
                let items: Vec<Json> = inline
                    .iter()
                    .filter_map(|child| {
                        let ck = catalog.kind(child.kind)?;
                        Some(arm::inline_child(ck, child, spec.name_key, stack, &lookup))
                    })
                    .collect();
                arm::set_path(&mut body, spec.array_path, Json::Array(items));
            }
            arm::write_inline_parts(catalog, kind, inline, stack, &lookup, &mut body);
            body
        }
        Some(live) => {
            let mut body = live.clone();
            if let Json::Object(m) = &mut body {
                for k in READ_ONLY {
                    m.remove(*k);
                }
                if let Some(Json::Object(p)) = m.get_mut("properties") {
                    p.remove("provisioningState");
                }
            }
            let ignored = arm::ignored_after_create(kind.keyword, res);
            let ignore = arm::ignore_changes(res);
            for (key, fv) in &res.fields {
                let Some(def) = kind.field(key) else { continue };
                if ignored.contains(&key.as_str()) || is_ignored(&ignore, key) {
                    continue;
                }
                let value = if matches!(def.arm, ArmMapping::Path("tags")) {
                    managed_tags(&fv.value, res, stack, &ignore, Some(live))
                } else {
                    fv.value.clone()
                };
                arm::write_field(def, &value, &lookup, &mut body);
            }
            if kind.taggable {
                arm::set_path(
                    &mut body,
                    &format!("tags.{STACK_TAG}"),
                    Json::String(stack.into()),
                );
                if arm::prevent_destroy(res) {
                    arm::set_path(
                        &mut body,
                        &format!("tags.{PROTECT_TAG}"),
                        Json::String("true".into()),
                    );
                } else if let Some(Json::Object(t)) = body.get_mut("tags") {
                    t.remove(PROTECT_TAG);
                }
            }
            arm::write_inline_parts(catalog, kind, inline, stack, &lookup, &mut body);
            body
        }
    }
}
