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
//! - A PUT of a tracked resource or resource group in a region that is not listed is
//!   refused: 400 `LocationNotAvailableForResourceType` ("The provided location 'X' is not
//!   available for resource type 'T'. List of available regions for the resource type is
//!   '...'."), and `LocationNotAvailableForResourceGroup` for groups, the codes ARM answers
//!   (https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-sku-not-available
//!   and https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors,
//!   "LocationNotAvailableForResourceType").

use crate::util::{ArmError, ArmResult};
use serde_json::{Value, json};

/// Azure public-cloud regions: `(name, displayName)`, from the region list at
/// https://learn.microsoft.com/azure/reliability/regions-list (the names `az account
/// list-locations` prints).
pub const REGIONS: &[(&str, &str)] = &[
    ("eastus", "East US"),
    ("eastus2", "East US 2"),
    ("westus", "West US"),
    ("westus2", "West US 2"),
    ("westus3", "West US 3"),
    ("centralus", "Central US"),
    ("northcentralus", "North Central US"),
    ("southcentralus", "South Central US"),
    ("westcentralus", "West Central US"),
    ("canadacentral", "Canada Central"),
    ("canadaeast", "Canada East"),
    ("brazilsouth", "Brazil South"),
    ("mexicocentral", "Mexico Central"),
    ("northeurope", "North Europe"),
    ("westeurope", "West Europe"),
    ("uksouth", "UK South"),
    ("ukwest", "UK West"),
    ("francecentral", "France Central"),
    ("germanywestcentral", "Germany West Central"),
    ("italynorth", "Italy North"),
    ("norwayeast", "Norway East"),
    ("polandcentral", "Poland Central"),
    ("spaincentral", "Spain Central"),
    ("swedencentral", "Sweden Central"),
    ("switzerlandnorth", "Switzerland North"),
    ("uaenorth", "UAE North"),
    ("qatarcentral", "Qatar Central"),
    ("israelcentral", "Israel Central"),
    ("southafricanorth", "South Africa North"),
    ("centralindia", "Central India"),
    ("southindia", "South India"),
    ("eastasia", "East Asia"),
    ("southeastasia", "Southeast Asia"),
    ("japaneast", "Japan East"),
    ("japanwest", "Japan West"),
    ("koreacentral", "Korea Central"),
    ("australiaeast", "Australia East"),
    ("australiasoutheast", "Australia Southeast"),
    ("newzealandnorth", "New Zealand North"),
];

/// Whether `loc` (already normalised: lower case, no spaces) is a region.
pub fn exists(loc: &str) -> bool {
    REGIONS.iter().any(|(n, _)| *n == loc)
}

fn available() -> String {
    REGIONS
        .iter()
        .map(|(_, d)| *d)
        .collect::<Vec<_>>()
        .join(",")
}

/// Refuse a resource of `arm_type` in an unknown region (`loc` normalised); `global` is
/// the location of global resources such as private DNS zones.
pub fn check(loc: &str, arm_type: &str) -> ArmResult<()> {
    // Global resources (private DNS zones and their links) live in `global`.
    if exists(loc) || loc == "global" {
        return Ok(());
    }
    Err(ArmError::bad(
        "LocationNotAvailableForResourceType",
        format!(
            "The provided location '{loc}' is not available for resource type '{arm_type}'. List of available regions for the resource type is '{}'.",
            available()
        ),
    )
    .with_target("location"))
}

/// Refuse a resource group in an unknown region (`loc` normalised).
pub fn check_group(loc: &str) -> ArmResult<()> {
    if exists(loc) {
        return Ok(());
    }
    Err(ArmError::bad(
        "LocationNotAvailableForResourceGroup",
        format!(
            "The provided location '{loc}' is not available for resource group. List of available regions is '{}'.",
            available()
        ),
    )
    .with_target("location"))
}

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
        ("us", "US"),
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
    ];
    PREFIXES
        .iter()
        .find(|(p, _)| name.starts_with(p) || name.ends_with(p))
        .map_or("Global", |(_, g)| g)
}

/// The `KubernetesVersionListResult` of region `loc` (normalised): every minor of the AKS
/// version table with each of its patches, `upgrades` listing the newer patches of the same
/// minor and the patches of the next minor.
pub fn kubernetes_versions(loc: &str) -> ArmResult<Value> {
    check(loc, "Microsoft.ContainerService/locations/kubernetesVersions")?;
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
    fn unknown_regions_are_refused_with_arms_code() {
        assert!(check("eastus2", "Microsoft.Network/virtualNetworks").is_ok());
        let e = check("marsnorth", "Microsoft.Network/virtualNetworks").unwrap_err();
        assert_eq!(e.status, 400);
        assert_eq!(e.code, "LocationNotAvailableForResourceType");
        assert!(e.message.contains("'marsnorth'"), "{}", e.message);
        assert_eq!(
            check_group("marsnorth").unwrap_err().code,
            "LocationNotAvailableForResourceGroup"
        );
    }

    #[test]
    fn lists_have_the_specs_shapes() {
        let l = list("sub1");
        let first = &l["value"][0];
        for key in ["id", "subscriptionId", "name", "type", "displayName", "regionalDisplayName"] {
            assert!(first.get(key).is_some(), "Location.{key}");
        }
        let v = kubernetes_versions("eastus2").unwrap();
        let values = v["values"].as_array().unwrap();
        assert!(!values.is_empty());
        for kv in values {
            assert!(kv["version"].as_str().is_some_and(|s| s.split('.').count() == 2));
            assert!(kv["patchVersions"].as_object().is_some_and(|p| !p.is_empty()));
        }
        assert_eq!(values.iter().filter(|kv| kv["isDefault"] == true).count(), 1);
        assert!(kubernetes_versions("marsnorth").is_err());
    }
}
