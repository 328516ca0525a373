//! Preflight: what only ARM knows, asked before `capz plan` (and `capz apply`) plans, and
//! reported like the checker's diagnostics, with the span of the field at fault.
//!
//! Read-only and within the read budget: one `GET /subscriptions/{s}/locations` when the
//! program sets any `location`, and one `GET .../providers/Microsoft.ContainerService/
//! locations/{loc}/kubernetesVersions` per region that has a cluster with a version.
//!
//! - `capz::preflight::unknown-region`: a `location` that the subscription's location list
//!   (Subscriptions_ListLocations, subscriptions.json 2022-12-01, `LocationListResult`) does
//!   not contain; ARM would refuse the resource with `LocationNotAvailableForResourceType`.
//! - `capz::preflight::kubernetes-version-unavailable`: a cluster's `kubernetes_version` or a
//!   pool's `orchestrator_version` that AKS does not offer in the cluster's region
//!   (ManagedClusters_ListKubernetesVersions, managedClusters.json 2026-08-01,
//!   `KubernetesVersionListResult.values[].version` for MAJOR.MINOR and its `patchVersions`
//!   keys for MAJOR.MINOR.PATCH); AKS would answer `AgentPoolK8sVersionNotSupported`.
//!
//! A failed read is reported as the ARM error it is (`capz::arm::...`).

use crate::arm::{ArmClient, ArmError};
use crate::codes;
use lang::schema::field_span;
use lang::{Diagnostic, Program, Resource, Value};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// api-version of Subscriptions_ListLocations.
pub const LOCATIONS_API: &str = "2022-12-01";
/// api-version of ManagedClusters_ListKubernetesVersions (the AKS api-version capz uses).
pub const AKS_API: &str = "2026-08-01";

/// The region a resource is in: its own `location`, else its group's.
fn region_of<'a>(p: &'a Program, r: &'a Resource) -> Option<&'a str> {
    if let Some(Value::Str(l)) = r.get("location") {
        return Some(l);
    }
    let parent = r.parent.as_ref().and_then(|a| p.resource(a))?;
    region_of(p, parent)
}

/// ARM's normal form of a region name: lower case, no spaces (`East US 2` → `eastus2`).
fn normalize(l: &str) -> String {
    l.to_ascii_lowercase().replace(' ', "")
}

/// The region names (`Location.name`) of a `LocationListResult`.
fn region_names(body: &Json) -> Vec<String> {
    body.get("value")
        .and_then(Json::as_array)
        .map(|v| {
            v.iter()
                .filter_map(|l| l.get("name").and_then(Json::as_str))
                .map(normalize)
                .collect()
        })
        .unwrap_or_default()
}

/// The versions of a `KubernetesVersionListResult`: each minor with its patches.
fn offered_versions(body: &Json) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for v in body
        .get("values")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let Some(minor) = v.get("version").and_then(Json::as_str) else {
            continue;
        };
        let patches = v
            .get("patchVersions")
            .and_then(Json::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        out.insert(minor.to_string(), patches);
    }
    out
}

/// Run the preflight checks of `program` against ARM. Errors are the program's mistakes or
/// the reads that failed; an empty list means everything ARM was asked about is offered.
pub async fn check(program: &Program, client: &ArmClient) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let located: Vec<(&Resource, &str)> = program
        .resources
        .iter()
        .filter_map(|r| match r.fields.get("location") {
            // A location inherited from the group (its span is the resource's) is reported
            // once, on the group that sets it.
            Some(f) if f.span != r.span => f.value.as_str().map(|l| (r, l)),
            _ => None,
        })
        .collect();
    if !located.is_empty() {
        let path = format!("/subscriptions/{}/locations", client.subscription());
        match client.get(&path, LOCATIONS_API).await {
            Ok(Some(body)) => {
                let names = region_names(&body);
                for (r, l) in &located {
                    if names.contains(&normalize(l)) {
                        continue;
                    }
                    let wanted = normalize(l);
                    let help = names
                        .iter()
                        .map(|n| (lang::suggest::edit_distance(&wanted, n), n))
                        .filter(|(d, _)| *d <= 2)
                        .min()
                        .map_or_else(
                            || "run `az account list-locations -o table` for the regions of this subscription".to_string(),
                            |(_, n)| format!("did you mean `{n}`?"),
                        );
                    out.push(
                        Diagnostic::error(
                            codes::PREFLIGHT_UNKNOWN_REGION,
                            format!(
                                "region {l:?} of {} is not a region of this subscription",
                                r.address
                            ),
                        )
                        .with_primary(field_span(r, "location"), "no such region")
                        .with_help(help),
                    );
                }
            }
            Ok(None) => {}
            Err(e) => {
                out.push(e.to_diagnostic("preflight: listing the subscription's regions", None));
                return out;
            }
        }
    }
    if out.iter().any(Diagnostic::is_error) {
        return out;
    }
    out.extend(kubernetes_versions(program, client).await);
    out
}

/// The version checks, one kubernetesVersions read per region.
async fn kubernetes_versions(program: &Program, client: &ArmClient) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut by_region: BTreeMap<String, Result<BTreeMap<String, Vec<String>>, ArmError>> =
        BTreeMap::new();
    for cl in program.of_kind("cluster") {
        let Some(region) = region_of(program, cl).map(normalize) else {
            continue;
        };
        let mut asks: Vec<(&Resource, &str, &str)> = Vec::new();
        if let Some(Value::Str(v)) = cl.get("kubernetes_version") {
            asks.push((cl, "kubernetes_version", v));
        }
        for pool in program.children(&cl.address).filter(|r| r.kind == "pool") {
            if let Some(Value::Str(v)) = pool.get("orchestrator_version") {
                asks.push((pool, "orchestrator_version", v));
            }
        }
        if asks.is_empty() {
            continue;
        }
        if !by_region.contains_key(&region) {
            let path = format!(
                "/subscriptions/{}/providers/Microsoft.ContainerService/locations/{region}/kubernetesVersions",
                client.subscription()
            );
            let got = client
                .get(&path, AKS_API)
                .await
                .map(|b| b.map(|b| offered_versions(&b)).unwrap_or_default());
            by_region.insert(region.clone(), got);
        }
        let offered = match by_region.get(&region) {
            Some(Ok(o)) => o,
            Some(Err(e)) => {
                out.push(e.to_diagnostic(
                    &format!("preflight: listing the Kubernetes versions of {region}"),
                    None,
                ));
                continue;
            }
            None => continue,
        };
        for (r, key, v) in asks {
            let minor: String = v.split('.').take(2).collect::<Vec<_>>().join(".");
            let ok = match offered.get(&minor) {
                Some(patches) => v.split('.').count() == 2 || patches.iter().any(|p| p == v),
                None => false,
            };
            if ok {
                continue;
            }
            let listed: Vec<&str> = offered.keys().map(String::as_str).collect();
            let help = match offered.get(&minor) {
                Some(patches) => format!(
                    "AKS offers these {minor} patches in {region}: {}; or write \"{minor}\" for the newest",
                    patches.join(", ")
                ),
                None => format!(
                    "AKS offers {} in {region}",
                    if listed.is_empty() {
                        "no versions".to_string()
                    } else {
                        listed.join(", ")
                    }
                ),
            };
            out.push(
                Diagnostic::error(
                    codes::PREFLIGHT_KUBERNETES_VERSION_UNAVAILABLE,
                    format!(
                        "Kubernetes {v} of {} is not offered by AKS in {region}",
                        r.address
                    ),
                )
                .with_primary(field_span(r, key), "not offered in this region")
                .with_help(help),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_specs_shapes() {
        let l = json!({"value": [{"name": "eastus2", "displayName": "East US 2"}, {"name": "westeurope"}]});
        assert_eq!(region_names(&l), ["eastus2", "westeurope"]);
        let k = json!({"values": [
            {"version": "1.33", "patchVersions": {"1.33.4": {"upgrades": []}, "1.33.5": {"upgrades": []}}},
            {"version": "1.34", "patchVersions": {}}
        ]});
        let o = offered_versions(&k);
        assert_eq!(o["1.33"], ["1.33.4", "1.33.5"]);
        assert!(o["1.34"].is_empty());
        assert!(region_names(&json!({})).is_empty());
        assert!(offered_versions(&json!({"values": "nope"})).is_empty());
        assert_eq!(normalize("East US 2"), "eastus2");
    }
}
