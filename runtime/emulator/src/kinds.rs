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
    /// api-versions accepted: exactly those of the spec copies in `vendor/arm-specs`
    /// (the first is the one used in operation URLs when the request's is not at hand).
    pub api_versions: &'static [&'static str],
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

/// Microsoft.Resources: `resources.json` 2025-04-01 and the 2024-03-01 copy that holds the
/// `CreateResourceGroup` example.
const RESOURCES_VERSIONS: &[&str] = &["2025-04-01", "2024-03-01"];

/// Microsoft.Network: the 2026-01-01 spec copies (virtualNetwork, loadBalancer,
/// networkSecurityGroup, publicIpAddress, network).
const NETWORK_VERSIONS: &[&str] = &["2026-01-01"];

/// Microsoft.ContainerService: `managedClusters.json` 2026-08-01 and the 2026-07-01 copy of
/// the `ManagedClustersCreate_PrivateClusterFQDNSubdomain` example.
const AKS_VERSIONS: &[&str] = &["2026-08-01", "2026-07-01"];

/// Microsoft.Network private DNS: `privatedns.json` 2024-06-01.
const PRIVATEDNS_VERSIONS: &[&str] = &["2024-06-01"];

/// Microsoft.ManagedIdentity: `ManagedIdentity.json` 2024-11-30.
const MSI_VERSIONS: &[&str] = &["2024-11-30"];

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
        put_accepted: false,
        lro_delete: true,
        provisioning_state: true,
        inline: false,
        // Source: resources.json 2025-04-01 (PUT not LRO, DELETE LRO); delete duration is
        // this base plus the longest delete of what the group holds.
        durations: (0.0, 0.0, 30.0),
    },
    network(
        KindId::VirtualNetwork,
        "Microsoft.Network/virtualNetworks",
        None,
        true,
        (10.0, 5.0, 10.0),
    ),
    network(
        KindId::Subnet,
        "Microsoft.Network/virtualNetworks/subnets",
        Some(KindId::VirtualNetwork),
        false,
        (5.0, 5.0, 5.0),
    ),
    network(
        KindId::VirtualNetworkPeering,
        "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
        Some(KindId::VirtualNetwork),
        false,
        (10.0, 5.0, 5.0),
    ),
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
        api_versions: AKS_VERSIONS,
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
        api_versions: MSI_VERSIONS,
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
