//! Azure's public regions: the locations the emulator accepts for tracked resources and
//! lists in `GET /subscriptions/{s}/providers/{ns}` (`resourceTypes[].locations`).
//!
//! Source: the physical regions of the Azure public cloud as `az account list-locations`
//! (ARM `GET /subscriptions/{s}/locations`, `Subscriptions_ListLocations`) lists them, with
//! the display names of https://learn.microsoft.com/azure/reliability/regions-list; plus the
//! two early-access (EUAP) regions. Logical locations (`global`) are per type (private DNS).

/// (name, display name), sorted by name. `name` is ARM's normalised form (lower case, no
/// spaces), what [`crate::util::normalize_location`] produces from either column.
pub const REGIONS: &[(&str, &str)] = &[
    ("australiacentral", "Australia Central"),
    ("australiacentral2", "Australia Central 2"),
    ("australiaeast", "Australia East"),
    ("australiasoutheast", "Australia Southeast"),
    ("brazilsouth", "Brazil South"),
    ("brazilsoutheast", "Brazil Southeast"),
    ("canadacentral", "Canada Central"),
    ("canadaeast", "Canada East"),
    ("centralindia", "Central India"),
    ("centralus", "Central US"),
    ("centraluseuap", "Central US EUAP"),
    ("chilecentral", "Chile Central"),
    ("eastasia", "East Asia"),
    ("eastus", "East US"),
    ("eastus2", "East US 2"),
    ("eastus2euap", "East US 2 EUAP"),
    ("francecentral", "France Central"),
    ("francesouth", "France South"),
    ("germanynorth", "Germany North"),
    ("germanywestcentral", "Germany West Central"),
    ("indonesiacentral", "Indonesia Central"),
    ("israelcentral", "Israel Central"),
    ("italynorth", "Italy North"),
    ("japaneast", "Japan East"),
    ("japanwest", "Japan West"),
    ("jioindiacentral", "Jio India Central"),
    ("jioindiawest", "Jio India West"),
    ("koreacentral", "Korea Central"),
    ("koreasouth", "Korea South"),
    ("malaysiawest", "Malaysia West"),
    ("mexicocentral", "Mexico Central"),
    ("newzealandnorth", "New Zealand North"),
    ("northcentralus", "North Central US"),
    ("northeurope", "North Europe"),
    ("norwayeast", "Norway East"),
    ("norwaywest", "Norway West"),
    ("polandcentral", "Poland Central"),
    ("qatarcentral", "Qatar Central"),
    ("southafricanorth", "South Africa North"),
    ("southafricawest", "South Africa West"),
    ("southcentralus", "South Central US"),
    ("southeastasia", "Southeast Asia"),
    ("southindia", "South India"),
    ("spaincentral", "Spain Central"),
    ("swedencentral", "Sweden Central"),
    ("switzerlandnorth", "Switzerland North"),
    ("switzerlandwest", "Switzerland West"),
    ("uaecentral", "UAE Central"),
    ("uaenorth", "UAE North"),
    ("uksouth", "UK South"),
    ("ukwest", "UK West"),
    ("westcentralus", "West Central US"),
    ("westeurope", "West Europe"),
    ("westindia", "West India"),
    ("westus", "West US"),
    ("westus2", "West US 2"),
    ("westus3", "West US 3"),
];

/// Whether `normalized` (lower case, no spaces) is a public region.
pub fn is_region(normalized: &str) -> bool {
    REGIONS.iter().any(|(n, _)| *n == normalized)
}

/// The region names joined by `,` (no spaces), as ARM lists them in
/// `LocationNotAvailableForResourceGroup` / `LocationNotAvailableForResourceType`.
pub fn names_csv() -> String {
    REGIONS
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_normalised() {
        for w in REGIONS.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
        for (n, d) in REGIONS {
            assert_eq!(crate::util::normalize_location(d), *n);
        }
        assert!(is_region("westeurope") && !is_region("") && !is_region("mars"));
    }
}
