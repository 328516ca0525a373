//! Regions and what they offer, for `capz plan`'s preflight and for refusing resources in
//! regions that do not exist.
//!
//! - `GET /subscriptions/{s}/locations` (Subscriptions_ListLocations, subscriptions.json
//!   2022-12-01 in Azure/azure-rest-api-specs `resources/.../subscriptions/stable/`): a
//!   `LocationListResult` `{"value": [Location]}`, each `Location` with `id`,
//!   `subscriptionId`, `name`, `type` (`Region`), `displayName` and `regionalDisplayName`.
//! - `GET /subscriptions/{s}/providers/Microsoft.ContainerService/locations/{loc}/kubernetesVersions`
//!   (ManagedClusters_ListKubernetesVersions, vendor/arm-specs managedClusters.json
//!   2026-08-01): a `KubernetesVersionListResult` `{"values": [KubernetesVersion]}`, each
//!   with `version` (MAJOR.MINOR), `isDefault`, `isPreview`, `capabilities.supportPlan` and
//!   `patchVersions` (`{"1.33.5": {"upgrades": [...]}}`), built from the emulator's AKS
//!   version table ([`crate::aks`]).
//!
//! The regions are [`crate::regions::REGIONS`], the list the emulator also refuses unknown
//! locations against (handler.rs `location_not_available`); a kubernetesVersions request for
//! another region is refused the same way (`LocationNotAvailableForResourceType`).

use crate::regions::{REGIONS, is_region};
use crate::util::{ArmError, ArmResult};
use serde_json::{Value, json};

/// The `LocationListResult` of subscription `sub`.
pub fn list(sub: &str) -> Value {
    let value: Vec<Value> = REGIONS
        .iter()
        .map(|(name, display)| {
            json!({
                "id": format!("/subscriptions/{sub}/locations/{name}"),
                "subscriptionId": sub,
                "name": name,
                "type": "Region",
                "displayName": display,
                "regionalDisplayName": format!("({}) {display}", geography(name)),
            })
        })
        .collect();
    json!({ "value": value })
}

/// The geography prefix of a regional display name, e.g. `US` for `(US) East US`.
fn geography(name: &str) -> &'static str {
    const PREFIXES: &[(&str, &str)] = &[
        ("canada", "Canada"),
        ("brazil", "South America"),
        ("mexico", "North America"),
        ("uk", "UK"),
        ("europe", "Europe"),
        ("france", "Europe"),
        ("germany", "Europe"),
        ("italy", "Europe"),
        ("norway", "Europe"),
        ("poland", "Europe"),
        ("spain", "Europe"),
        ("sweden", "Europe"),
        ("switzerland", "Europe"),
        ("uae", "Middle East"),
        ("qatar", "Middle East"),
        ("israel", "Middle East"),
        ("southafrica", "Africa"),
        ("india", "Asia Pacific"),
        ("asia", "Asia Pacific"),
        ("japan", "Asia Pacific"),
        ("korea", "Asia Pacific"),
        ("australia", "Asia Pacific"),
        ("newzealand", "Asia Pacific"),
        ("indonesia", "Asia Pacific"),
        ("malaysia", "Asia Pacific"),
        ("chile", "South America"),
        // Last: `us` is part of other names (australia).
        ("us", "US"),
    ];
    PREFIXES
        .iter()
        .find(|(p, _)| name.contains(p))
        .map_or("Global", |(_, g)| g)
}

/// The `KubernetesVersionListResult` of region `loc` (normalised): every minor of the AKS
/// version table with each of its patches, `upgrades` listing the newer patches of the same
/// minor and the patches of the next minor.
pub fn kubernetes_versions(loc: &str) -> ArmResult<Value> {
    if !is_region(loc) {
        return Err(ArmError::bad(
            "LocationNotAvailableForResourceType",
            format!(
                "The provided location '{loc}' is not available for resource type 'Microsoft.ContainerService/locations/kubernetesVersions'. List of available regions for the resource type is '{}'.",
                crate::regions::names_csv()
            ),
        )
        .with_target("location"));
    }
    let table = crate::aks::versions();
    let values: Vec<Value> = table
        .iter()
        .enumerate()
        .map(|(i, (minor, newest))| {
            let next = table.get(i + 1);
            let mut patches = serde_json::Map::new();
            for p in 0..=*newest {
                let mut upgrades: Vec<String> =
                    (p + 1..=*newest).map(|q| format!("{minor}.{q}")).collect();
                if let Some((nm, nn)) = next {
                    upgrades.extend((0..=*nn).map(|q| format!("{nm}.{q}")));
                }
                patches.insert(format!("{minor}.{p}"), json!({ "upgrades": upgrades }));
            }
            json!({
                "version": minor,
                "isDefault": *minor == crate::aks::default_minor(),
                "isPreview": false,
                "capabilities": { "supportPlan": ["KubernetesOfficial"] },
                "patchVersions": patches,
            })
        })
        .collect();
    Ok(json!({ "values": values }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_have_the_specs_shapes() {
        let l = list("sub1");
        let first = &l["value"][0];
        for key in [
            "id",
            "subscriptionId",
            "name",
            "type",
            "displayName",
            "regionalDisplayName",
        ] {
            assert!(first.get(key).is_some(), "Location.{key}");
        }
        let v = kubernetes_versions("eastus2").unwrap();
        let values = v["values"].as_array().unwrap();
        assert!(!values.is_empty());
        for kv in values {
            assert!(
                kv["version"]
                    .as_str()
                    .is_some_and(|s| s.split('.').count() == 2)
            );
            assert!(
                kv["patchVersions"]
                    .as_object()
                    .is_some_and(|p| !p.is_empty())
            );
        }
        assert_eq!(
            values.iter().filter(|kv| kv["isDefault"] == true).count(),
            1
        );
        assert_eq!(
            kubernetes_versions("marsnorth").unwrap_err().code,
            "LocationNotAvailableForResourceType"
        );
    }
}
