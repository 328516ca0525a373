//! The resource kinds the emulator knows: ARM type names, path shapes, api-versions,
//! long-running-operation shapes and durations. Adding a kind = a `KindId` variant, a row in
//! [`KINDS`], and its rules (validation + server-filled fields) in the provider module.

/// Which resource kind (one ARM resource type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KindId {
    ResourceGroup,
    VirtualNetwork,
    Subnet,
    VirtualNetworkPeering,
    NetworkSecurityGroup,
    SecurityRule,
    PublicIpAddress,
    LoadBalancer,
    LbBackendAddressPool,
    LbFrontendIpConfiguration,
    LbLoadBalancingRule,
    LbProbe,
    LbOutboundRule,
    LbInboundNatRule,
    ManagedCluster,
    AgentPool,
    PrivateDnsZone,
    PrivateDnsARecordSet,
    PrivateDnsVirtualNetworkLink,
    UserAssignedIdentity,
    FederatedIdentityCredential,
}

/// How a resource provider family behaves for concurrency conflicts, etags and
/// provisioning-state words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Microsoft.Resources: no LRO on PUT.
    Resources,
    /// Microsoft.Network: PUT shows `Updating` while running; a conflicting write gets 429
    /// `RetryableErrorDueToAnotherOperation`; weak etags `W/"guid"`.
    Network,
    /// Microsoft.ContainerService: PUT shows `Creating`/`Updating`; a conflicting write on a
    /// cluster or any of its pools gets 409 `OperationNotAllowed`.
    Aks,
    /// Microsoft.Network private DNS (privatedns.json 2024-06-01): provisioningState
    /// `Creating`/`Updating`/`Deleting`, plain GUID etags (`"etag": "00000000-..."` in the
    /// examples).
    PrivateDns,
    /// Microsoft.ManagedIdentity (ManagedIdentity.json 2024-11-30): no LROs, no
    /// provisioningState, no etag.
    Msi,
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
    /// api-versions accepted, newest first: every stable version Azure publishes for the type
    /// and the previews current clients default to (sources at each list's definition). The
    /// rules follow the newest spec copy in `vendor/arm-specs`; where an older version does
    /// not know a property, [`Kind::since`] says so.
    pub api_versions: &'static [&'static str],
    /// Request-body properties that api-versions older than their `version` do not know
    /// (refused as a deserialization error, see [`Since`]).
    pub since: &'static [Since],
    /// Whether the resource has a `location` (tracked resource).
    pub tracked: bool,
    /// PUT is long-running (the spec's `x-ms-long-running-operation`).
    pub lro_put: bool,
    /// A running PUT answers `202 Accepted` without a body (with Location,
    /// Azure-AsyncOperation and Retry-After), as the private DNS examples do; otherwise
    /// 201/200 with the body in a non-terminal provisioningState and Azure-AsyncOperation.
    pub put_accepted: bool,
    /// DELETE is long-running (202 + Location); otherwise it answers 200 (deleted) / 204
    /// (absent) synchronously.
    pub lro_delete: bool,
    /// The body carries `properties.provisioningState`.
    pub provisioning_state: bool,
    /// GET-only sub-resource stored inline in its parent's body under the last type
    /// segment (load balancer frontends, rules, probes, outbound and NAT rules: the spec
    /// gives them only GET/list operations; they are written in the parent's PUT body).
    pub inline: bool,
    /// Azure-like durations in seconds: (create, update, delete); multiplied by
    /// `Config::time_scale`. For federated identity credentials, the create/update value is
    /// the "in flight" window of the concurrent-write rule (see `msi.rs`).
    pub durations: (f64, f64, f64),
}

// api-versions served, newest first (the first is the one used in operation URLs when the
// request's is not at hand). Every list is every **stable** version Azure publishes for the
// type, plus the previews current clients default to; sources per list. A request with any
// other version is refused as ARM refuses it ([`crate::handler`] `check_version`).

/// Microsoft.Resources/resourceGroups. Sources: the `### Tag: package-resources-*` sections
/// of `specification/resources/resource-manager/Microsoft.Resources/resources/readme.md`
/// (stable 2015-11-01 … 2025-04-01), plus the older versions ARM itself lists for the type
/// in its `InvalidApiVersionParameter` answer (quoted in Azure/azure-cli#28038: "The
/// supported versions are '2023-07-01, 2023-07-01-preview, …, 2014-04'"). The Azure CLI
/// 2.91 sends 2024-11-01.
const RESOURCES_VERSIONS: &[&str] = &[
    "2025-04-01",
    "2025-03-01",
    "2024-11-01",
    "2024-07-01",
    "2024-03-01",
    "2023-07-01",
    "2023-07-01-preview",
    "2023-03-01-preview",
    "2022-12-01",
    "2022-11-01-preview",
    "2022-09-01",
    "2022-06-01",
    "2022-05-01",
    "2022-03-01-preview",
    "2022-01-01",
    "2021-04-01",
    "2021-01-01",
    "2020-10-01",
    "2020-09-01",
    "2020-08-01",
    "2020-07-01",
    "2020-06-01",
    "2020-05-01",
    "2020-01-01",
    "2019-11-01",
    "2019-10-01",
    "2019-09-01",
    "2019-08-01",
    "2019-07-01",
    "2019-06-01",
    "2019-05-10",
    "2019-05-01",
    "2019-03-01",
    "2018-11-01",
    "2018-09-01",
    "2018-08-01",
    "2018-07-01",
    "2018-06-01",
    "2018-05-01",
    "2018-02-01",
    "2018-01-01",
    "2017-12-01",
    "2017-08-01",
    "2017-06-01",
    "2017-05-10",
    "2017-05-01",
    "2017-03-01",
    "2016-09-01",
    "2016-07-01",
    "2016-06-01",
    "2016-02-01",
    "2015-11-01",
    "2015-01-01",
    "2014-04-01-preview",
    "2014-04-01",
    "2014-01-01",
    "2013-03-01",
    "2014-02-26",
    "2014-04",
];

/// Microsoft.Network (virtualNetworks, subnets, networkSecurityGroups, securityRules,
/// publicIPAddresses, loadBalancers and their children). Source: the stable folders of
/// `specification/network/resource-manager/Microsoft.Network/stable/` (2015-06-15 …
/// 2023-11-01) and `.../Microsoft.Network/Network/stable/` (2024-01-01 … 2026-03-01), as
/// listed by the `### Tag: package-*` sections of their readme.md. azure-mgmt-network 33.1.0
/// defaults to 2026-03-01; the Azure CLI 2.91 sends 2025-07-01, 2024-07-01, 2023-11-01 and
/// 2022-01-01 depending on the command.
const NETWORK_VERSIONS: &[&str] = &[
    "2026-03-01",
    "2026-01-01",
    "2025-07-01",
    "2025-05-01",
    "2025-03-01",
    "2025-01-01",
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
    "2017-11-01",
    "2017-10-01",
    "2017-09-01",
    "2017-08-01",
    "2017-06-01",
    "2017-03-01",
    "2016-12-01",
    "2016-11-01",
    "2016-10-01",
    "2016-09-01",
    "2016-06-01",
    "2016-03-30",
    "2015-06-15",
];

/// Microsoft.Network/virtualNetworks/virtualNetworkPeerings: the Network list from
/// 2016-06-01 on (the first spec with `VirtualNetworkPeering`).
const PEERING_VERSIONS: &[&str] = NETWORK_VERSIONS.split_at(NETWORK_VERSIONS.len() - 2).0;

/// Microsoft.ContainerService/managedClusters. Source: the `### Tag: package-20*` sections of
/// `specification/containerservice/resource-manager/Microsoft.ContainerService/aks/readme.md`
/// (stable 2017-08-31 … 2024-07-01) and the `aks/stable/{version}/managedClusters.json` files
/// of the newer ones (2024-08-01 … 2026-08-01; there is no 2024-06, 2024-11/12, 2025-11/12).
/// The Azure CLI 2.91 sends 2026-06-01.
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
    "2022-07-01",
    "2022-06-01",
    "2022-04-01",
    "2022-03-01",
    "2022-02-01",
    "2022-01-01",
    "2021-10-01",
    "2021-09-01",
    "2021-08-01",
    "2021-07-01",
    "2021-05-01",
    "2021-03-01",
    "2021-02-01",
    "2020-12-01",
    "2020-11-01",
    "2020-09-01",
    "2020-07-01",
    "2020-06-01",
    "2020-04-01",
    "2020-03-01",
    "2020-02-01",
    "2020-01-01",
    "2019-11-01",
    "2019-10-01",
    "2019-08-01",
    "2019-06-01",
    "2019-04-01",
    "2019-02-01",
    "2018-03-31",
    "2017-08-31",
];

/// Microsoft.ContainerService/managedClusters/agentPools: the AKS list from 2019-02-01 on
/// (the first managedClusters.json with the `AgentPools_*` operations).
const AGENT_POOL_VERSIONS: &[&str] = AKS_VERSIONS.split_at(AKS_VERSIONS.len() - 2).0;

/// Microsoft.Network private DNS. Source: the tags of
/// `specification/privatedns/resource-manager/Microsoft.Network/PrivateDns/readme.md`
/// (stable 2018-09-01, 2020-01-01, 2020-06-01, 2024-06-01). The Azure CLI 2.91 sends
/// 2018-09-01.
const PRIVATEDNS_VERSIONS: &[&str] = &["2024-06-01", "2020-06-01", "2020-01-01", "2018-09-01"];

/// Microsoft.ManagedIdentity/userAssignedIdentities. Source: the tags of
/// `specification/msi/resource-manager/Microsoft.ManagedIdentity/ManagedIdentity/readme.md`
/// (stable 2018-11-30, 2023-01-31, 2024-11-30, 2026-05-31; previews 2015-08-31 … 2025-05-31,
/// of which the Azure CLI 2.91 sends 2025-01-31-preview and 2025-05-31-preview).
const MSI_VERSIONS: &[&str] = &[
    "2026-05-31",
    "2025-05-31-preview",
    "2025-01-31-preview",
    "2024-11-30",
    "2023-07-31-preview",
    "2023-01-31",
    "2022-01-31-preview",
    "2021-09-30-preview",
    "2018-11-30",
    "2015-08-31-preview",
];

/// .../userAssignedIdentities/federatedIdentityCredentials: the MSI list from
/// 2022-01-31-preview on (the first ManagedIdentity.json with `FederatedIdentityCredentials_*`).
const FIC_VERSIONS: &[&str] = MSI_VERSIONS.split_at(MSI_VERSIONS.len() - 3).0;

/// A request-body property that api-versions older than `version` do not know: the spec of
/// every older version lacks it from `definition`. A PUT that sends it with an older version
/// is refused with 400 `InvalidRequestContent` in the shape of ARM's deserializer error
/// ("Could not find member 'X' on object of type 'D'. Path 'p', line L, position P.", the
/// answer ARM gives for an unknown member of the resource envelope, `ResourceDefinition`).
#[derive(Debug)]
pub struct Since {
    /// Path in the request body, e.g. `["properties", "privateEndpointVNetPolicies"]`.
    pub path: &'static [&'static str],
    /// The spec definition the property belongs to (the type the error names).
    pub definition: &'static str,
    /// The first api-version whose spec has it.
    pub version: &'static str,
}

/// virtualNetworks: `privateEndpointVNetPolicies` is in `VirtualNetworkPropertiesFormat`
/// from 2024-03-01 on; the 2024-01-01 spec has no such member (the two versions' template
/// references, https://learn.microsoft.com/azure/templates/microsoft.network/2024-01-01/virtualnetworks
/// and .../2024-03-01/virtualnetworks, generated from those specs).
const VNET_SINCE: &[Since] = &[Since {
    path: &["properties", "privateEndpointVNetPolicies"],
    definition: "VirtualNetworkPropertiesFormat",
    version: "2024-03-01",
}];

const fn network(
    id: KindId,
    type_name: &'static str,
    parent: Option<KindId>,
    tracked: bool,
    durations: (f64, f64, f64),
) -> Kind {
    // Network specs: PUT 200/201 LRO a-a-o, DELETE 200/202/204 LRO (loc).
    Kind {
        id,
        type_name,
        parent,
        family: Family::Network,
        api_versions: NETWORK_VERSIONS,
        since: &[],
        tracked,
        lro_put: true,
        put_accepted: false,
        lro_delete: true,
        provisioning_state: true,
        inline: false,
        durations,
    }
}

const fn lb_inline(id: KindId, type_name: &'static str) -> Kind {
    Kind {
        inline: true,
        ..network(
            id,
            type_name,
            Some(KindId::LoadBalancer),
            false,
            (0.0, 0.0, 0.0),
        )
    }
}

/// userAssignedIdentities: `isolationScope` is in `UserAssignedIdentityProperties` from
/// 2024-11-30 on; the 2023-01-31 and 2023-07-31-preview ManagedIdentity.json (read in
/// Azure/azure-rest-api-specs) list only tenantId, principalId and clientId there.
const IDENTITY_SINCE: &[Since] = &[Since {
    path: &["properties", "isolationScope"],
    definition: "UserAssignedIdentityProperties",
    version: "2024-11-30",
}];

/// Every kind, in parent-before-child order.
pub static KINDS: &[Kind] = &[
    Kind {
        id: KindId::ResourceGroup,
        type_name: "Microsoft.Resources/resourceGroups",
        parent: None,
        family: Family::Resources,
        api_versions: RESOURCES_VERSIONS,
        since: &[],
        tracked: true,
        lro_put: false,
        put_accepted: false,
        lro_delete: true,
        provisioning_state: true,
        inline: false,
        // Source: resources.json 2025-04-01 (PUT not LRO, DELETE LRO); delete duration is
        // this base plus the longest delete of what the group holds.
        durations: (0.0, 0.0, 30.0),
    },
    Kind {
        since: VNET_SINCE,
        ..network(
            KindId::VirtualNetwork,
            "Microsoft.Network/virtualNetworks",
            None,
            true,
            (10.0, 5.0, 10.0),
        )
    },
    network(
        KindId::Subnet,
        "Microsoft.Network/virtualNetworks/subnets",
        Some(KindId::VirtualNetwork),
        false,
        (5.0, 5.0, 5.0),
    ),
    Kind {
        api_versions: PEERING_VERSIONS,
        ..network(
            KindId::VirtualNetworkPeering,
            "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
            Some(KindId::VirtualNetwork),
            false,
            (10.0, 5.0, 5.0),
        )
    },
    network(
        KindId::NetworkSecurityGroup,
        "Microsoft.Network/networkSecurityGroups",
        None,
        true,
        (5.0, 3.0, 5.0),
    ),
    network(
        KindId::SecurityRule,
        "Microsoft.Network/networkSecurityGroups/securityRules",
        Some(KindId::NetworkSecurityGroup),
        false,
        (3.0, 3.0, 3.0),
    ),
    network(
        KindId::PublicIpAddress,
        "Microsoft.Network/publicIPAddresses",
        None,
        true,
        (5.0, 3.0, 5.0),
    ),
    network(
        KindId::LoadBalancer,
        "Microsoft.Network/loadBalancers",
        None,
        true,
        (10.0, 5.0, 10.0),
    ),
    network(
        KindId::LbBackendAddressPool,
        "Microsoft.Network/loadBalancers/backendAddressPools",
        Some(KindId::LoadBalancer),
        false,
        (5.0, 5.0, 5.0),
    ),
    lb_inline(
        KindId::LbFrontendIpConfiguration,
        "Microsoft.Network/loadBalancers/frontendIPConfigurations",
    ),
    lb_inline(
        KindId::LbLoadBalancingRule,
        "Microsoft.Network/loadBalancers/loadBalancingRules",
    ),
    lb_inline(KindId::LbProbe, "Microsoft.Network/loadBalancers/probes"),
    lb_inline(
        KindId::LbOutboundRule,
        "Microsoft.Network/loadBalancers/outboundRules",
    ),
    lb_inline(
        KindId::LbInboundNatRule,
        "Microsoft.Network/loadBalancers/inboundNatRules",
    ),
    Kind {
        id: KindId::ManagedCluster,
        type_name: "Microsoft.ContainerService/managedClusters",
        parent: None,
        family: Family::Aks,
        api_versions: AKS_VERSIONS,
        since: &[],
        tracked: true,
        lro_put: true,
        put_accepted: false,
        lro_delete: true,
        provisioning_state: true,
        inline: false,
        durations: (240.0, 120.0, 120.0),
    },
    Kind {
        id: KindId::AgentPool,
        type_name: "Microsoft.ContainerService/managedClusters/agentPools",
        parent: Some(KindId::ManagedCluster),
        family: Family::Aks,
        api_versions: AGENT_POOL_VERSIONS,
        since: &[],
        tracked: false,
        lro_put: true,
        put_accepted: false,
        lro_delete: true,
        provisioning_state: true,
        inline: false,
        durations: (180.0, 90.0, 120.0),
    },
    // privatedns.json 2024-06-01: zone and link PUT 200/201/202, DELETE 200/202/204, LROs
    // without final-state-via; the 202 examples carry Location + Azure-AsyncOperation +
    // Retry-After. Both are TrackedResources with location "global".
    Kind {
        id: KindId::PrivateDnsZone,
        type_name: "Microsoft.Network/privateDnsZones",
        parent: None,
        family: Family::PrivateDns,
        api_versions: PRIVATEDNS_VERSIONS,
        since: &[],
        tracked: true,
        lro_put: true,
        put_accepted: true,
        lro_delete: true,
        provisioning_state: true,
        inline: false,
        durations: (30.0, 10.0, 30.0),
    },
    // Record sets: PUT 200/201, DELETE 200/204, not LROs; no provisioningState in
    // RecordSetProperties.
    Kind {
        id: KindId::PrivateDnsARecordSet,
        type_name: "Microsoft.Network/privateDnsZones/A",
        parent: Some(KindId::PrivateDnsZone),
        family: Family::PrivateDns,
        api_versions: PRIVATEDNS_VERSIONS,
        since: &[],
        tracked: false,
        lro_put: false,
        put_accepted: false,
        lro_delete: false,
        provisioning_state: false,
        inline: false,
        durations: (0.0, 0.0, 0.0),
    },
    Kind {
        id: KindId::PrivateDnsVirtualNetworkLink,
        type_name: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        parent: Some(KindId::PrivateDnsZone),
        family: Family::PrivateDns,
        api_versions: PRIVATEDNS_VERSIONS,
        since: &[],
        tracked: true,
        lro_put: true,
        put_accepted: true,
        lro_delete: true,
        provisioning_state: true,
        inline: false,
        durations: (30.0, 10.0, 30.0),
    },
    // ManagedIdentity.json 2024-11-30: no LROs (PUT 200/201, DELETE 200/204).
    Kind {
        id: KindId::UserAssignedIdentity,
        type_name: "Microsoft.ManagedIdentity/userAssignedIdentities",
        parent: None,
        family: Family::Msi,
        api_versions: MSI_VERSIONS,
        since: IDENTITY_SINCE,
        tracked: true,
        lro_put: false,
        put_accepted: false,
        lro_delete: false,
        provisioning_state: false,
        inline: false,
        durations: (0.0, 0.0, 0.0),
    },
    Kind {
        id: KindId::FederatedIdentityCredential,
        type_name: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
        parent: Some(KindId::UserAssignedIdentity),
        family: Family::Msi,
        api_versions: FIC_VERSIONS,
        since: &[],
        tracked: false,
        lro_put: false,
        put_accepted: false,
        lro_delete: false,
        provisioning_state: false,
        inline: false,
        // (2 s in flight per write, see msi.rs).
        durations: (2.0, 2.0, 2.0),
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
    /// The first property of `body` that api-version `v` does not know (see [`Since`]).
    /// Versions compare by their date (`2024-03-01-preview` counts as 2024-03-01).
    pub fn unknown_in(&self, v: &str, body: &serde_json::Value) -> Option<&'static Since> {
        let date = |x: &str| x.get(..10).unwrap_or(x).to_string();
        self.since.iter().find(|s| {
            date(v) < date(s.version)
                && s.path
                    .iter()
                    .try_fold(body, |b, k| b.get(*k))
                    .is_some_and(|x| !x.is_null())
        })
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
