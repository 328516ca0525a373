//! The resource kinds the emulator knows: ARM type names, path shapes, api-versions,
//! long-running-operation shapes and durations. Adding a kind = a `KindId` variant, a row in
//! [`KINDS`], and its rules (validation + server-filled fields) in the provider module.

/// Which resource kind (one ARM resource type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KindId {
    ResourceGroup,
    VirtualNetwork,
    Subnet,
    ManagedCluster,
    AgentPool,
}

/// How a resource provider family behaves for concurrency conflicts and provisioning-state
/// words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Microsoft.Resources: no LRO on PUT.
    Resources,
    /// Microsoft.Network: PUT shows `Updating` while running; a conflicting write gets 429
    /// `RetryableErrorDueToAnotherOperation`.
    Network,
    /// Microsoft.ContainerService: PUT shows `Creating`/`Updating`; a conflicting write on a
    /// cluster or any of its pools gets 409 `OperationNotAllowed`.
    Aks,
}

/// Static description of a kind.
#[derive(Debug)]
pub struct Kind {
    pub id: KindId,
    /// ARM type, canonical casing (e.g. `Microsoft.Network/virtualNetworks/subnets`).
    pub type_name: &'static str,
    /// The parent kind for child resources (`None` for top-level ones and resource groups).
    pub parent: Option<KindId>,
    pub family: Family,
    /// api-versions accepted; the first is the one the spec copy defines (used in the
    /// operation URLs when the request's version is not at hand).
    pub api_versions: &'static [&'static str],
    /// Whether the resource has a `location` (tracked resource).
    pub tracked: bool,
    /// PUT is long-running (201/200 with a non-terminal provisioningState + a-a-o URL).
    pub lro_put: bool,
    /// Azure-like durations in seconds: (create, update, delete); multiplied by
    /// `Config::time_scale`.
    pub durations: (f64, f64, f64),
}

/// Stable api-versions of Microsoft.Resources (the 2025-04-01 spec copy first; the others are
/// the stable folders of azure-rest-api-specs `specification/resources/.../resources/stable`).
const RESOURCES_VERSIONS: &[&str] = &[
    "2025-04-01",
    "2025-03-01",
    "2025-01-01",
    "2024-11-01",
    "2024-07-01",
    "2024-03-01",
    "2023-07-01",
    "2022-09-01",
    "2021-04-01",
    "2021-01-01",
    "2020-10-01",
    "2020-08-01",
    "2020-06-01",
    "2019-10-01",
    "2019-08-01",
    "2019-07-01",
    "2019-05-10",
    "2019-05-01",
    "2019-03-01",
    "2018-05-01",
    "2018-02-01",
    "2017-05-10",
    "2016-09-01",
];

/// Stable api-versions of Microsoft.Network (2026-01-01 spec copy first; the others are the
/// stable folders of `specification/network/.../Microsoft.Network/stable`).
const NETWORK_VERSIONS: &[&str] = &[
    "2026-01-01",
    "2025-07-01",
    "2025-05-01",
    "2025-03-01",
    "2025-01-01",
    "2024-10-01",
    "2024-07-01",
    "2024-05-01",
    "2024-03-01",
    "2024-01-01",
    "2023-11-01",
    "2023-09-01",
    "2023-06-01",
    "2023-05-01",
    "2023-04-01",
    "2023-02-01",
    "2022-11-01",
    "2022-09-01",
    "2022-07-01",
    "2022-05-01",
    "2022-01-01",
    "2021-08-01",
    "2021-05-01",
    "2021-03-01",
    "2021-02-01",
    "2020-11-01",
    "2020-08-01",
    "2020-07-01",
    "2020-06-01",
    "2020-05-01",
    "2020-04-01",
    "2020-03-01",
    "2019-12-01",
    "2019-11-01",
    "2019-09-01",
    "2019-08-01",
    "2019-07-01",
    "2019-06-01",
    "2019-04-01",
    "2019-02-01",
    "2018-12-01",
    "2018-11-01",
    "2018-10-01",
    "2018-08-01",
    "2018-07-01",
    "2018-06-01",
    "2018-04-01",
    "2018-02-01",
    "2018-01-01",
];

/// Stable api-versions of Microsoft.ContainerService managedClusters (2026-08-01 spec copy
/// first; the others are stable folders of `specification/containerservice/.../aks/stable`).
const AKS_VERSIONS: &[&str] = &[
    "2026-08-01",
    "2026-07-01",
    "2026-06-01",
    "2026-05-01",
    "2026-04-01",
    "2026-03-01",
    "2026-02-01",
    "2026-01-01",
    "2025-10-01",
    "2025-09-01",
    "2025-08-01",
    "2025-07-01",
    "2025-06-01",
    "2025-05-01",
    "2025-04-01",
    "2025-03-01",
    "2025-02-01",
    "2025-01-01",
    "2024-10-01",
    "2024-09-01",
    "2024-08-01",
    "2024-07-01",
    "2024-06-01",
    "2024-05-01",
    "2024-02-01",
    "2024-01-01",
    "2023-11-01",
    "2023-10-01",
    "2023-09-01",
    "2023-08-01",
    "2023-07-01",
    "2023-06-01",
    "2023-05-01",
    "2023-04-01",
    "2023-03-01",
    "2023-02-01",
    "2023-01-01",
    "2022-11-01",
    "2022-09-01",
    "2022-08-01",
    "2022-07-01",
    "2022-06-01",
    "2022-04-01",
    "2022-03-01",
    "2022-02-01",
    "2022-01-01",
];

/// Every kind, in parent-before-child order.
pub static KINDS: &[Kind] = &[
    Kind {
        id: KindId::ResourceGroup,
        type_name: "Microsoft.Resources/resourceGroups",
        parent: None,
        family: Family::Resources,
        api_versions: RESOURCES_VERSIONS,
        tracked: true,
        lro_put: false,
        // Source: resources.json 2025-04-01 (PUT not LRO, DELETE LRO); delete duration is
        // this base plus the longest delete of what the group holds.
        durations: (0.0, 0.0, 30.0),
    },
    Kind {
        id: KindId::VirtualNetwork,
        type_name: "Microsoft.Network/virtualNetworks",
        parent: None,
        family: Family::Network,
        api_versions: NETWORK_VERSIONS,
        tracked: true,
        lro_put: true,
        durations: (10.0, 5.0, 10.0),
    },
    Kind {
        id: KindId::Subnet,
        type_name: "Microsoft.Network/virtualNetworks/subnets",
        parent: Some(KindId::VirtualNetwork),
        family: Family::Network,
        api_versions: NETWORK_VERSIONS,
        tracked: false,
        lro_put: true,
        durations: (5.0, 5.0, 5.0),
    },
    Kind {
        id: KindId::ManagedCluster,
        type_name: "Microsoft.ContainerService/managedClusters",
        parent: None,
        family: Family::Aks,
        api_versions: AKS_VERSIONS,
        tracked: true,
        lro_put: true,
        durations: (240.0, 120.0, 120.0),
    },
    Kind {
        id: KindId::AgentPool,
        type_name: "Microsoft.ContainerService/managedClusters/agentPools",
        parent: Some(KindId::ManagedCluster),
        family: Family::Aks,
        api_versions: AKS_VERSIONS,
        tracked: false,
        lro_put: true,
        durations: (180.0, 90.0, 120.0),
    },
];

/// The kind with this id.
pub fn kind(id: KindId) -> &'static Kind {
    // KINDS has exactly one row per KindId (checked by a unit test).
    KINDS.iter().find(|k| k.id == id).unwrap_or(&KINDS[0])
}

/// The kind whose full ARM type (e.g. `microsoft.network/virtualnetworks/subnets`) matches,
/// case-insensitively.
pub fn by_type(type_name: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .find(|k| k.type_name.eq_ignore_ascii_case(type_name))
}

impl Kind {
    /// Provider namespace, e.g. `Microsoft.Network`.
    pub fn namespace(&self) -> &'static str {
        self.type_name.split('/').next().unwrap_or(self.type_name)
    }
    /// Last type segment, e.g. `subnets`.
    pub fn last_segment(&self) -> &'static str {
        self.type_name.rsplit('/').next().unwrap_or(self.type_name)
    }
    /// Whether `v` is an accepted api-version (exact match, as ARM does).
    pub fn accepts_version(&self, v: &str) -> bool {
        self.api_versions.iter().any(|s| s.eq_ignore_ascii_case(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_kind() {
        for k in KINDS {
            assert_eq!(kind(k.id).type_name, k.type_name);
            assert_eq!(
                by_type(&k.type_name.to_lowercase()).map(|x| x.id),
                Some(k.id)
            );
        }
    }
}
