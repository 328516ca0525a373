//! `cluster`: an AKS managed cluster (Microsoft.ContainerService/managedClusters,
//! api-version 2026-08-01, `containerservice/.../aks/stable/2026-08-01/managedClusters.json`,
//! definitions `ManagedCluster`, `ManagedClusterProperties`, `ContainerServiceNetworkProfile`,
//! `ManagedClusterAPIServerAccessProfile`, `ManagedClusterSKU`, `ManagedClusterIdentity`).
//!
//! Pools declared inside a cluster go inline into `properties.agentPoolProfiles` on the
//! cluster's first PUT (AKS requires a system pool at creation).

use super::{field, id_attr, list, location_field, name_field, names, tags_field};
use crate::arm::{get_path, set_path};
use lang::schema::{
    ArmMapping, AttrDef, BlockDef, Compare, FieldDef, InlineChildren, KindDef, NameRule, Placement,
};
use lang::types::{EnumType, EnumWord, Type};
use lang::value::{Address, Value};
use serde_json::{Map, Value as Json};

/// The `cluster` kind: fields, blocks `network` and `api_server`, child `pool`.
pub fn def() -> KindDef {
    KindDef {
        keyword: "cluster",
        doc: "An AKS managed cluster with its network profile, API server access and node pools.",
        arm_type: "Microsoft.ContainerService/managedClusters",
        api_version: "2026-08-01",
        placement: Placement::InGroup,
        fields: vec![
            name_field("The cluster name (1-63 characters); defaults to the declared name."),
            location_field(),
            tags_field(),
            FieldDef {
                compare: Compare::VersionPrefix,
                ..field(
                    "kubernetes_version",
                    Type::String,
                    "Kubernetes version, MAJOR.MINOR (AKS picks the latest patch) or MAJOR.MINOR.PATCH (kubernetesVersion).",
                    ArmMapping::Path("properties.kubernetesVersion"),
                )
            },
            FieldDef {
                required: true,
                forces_replacement: true,
                ..field(
                    "dns_prefix",
                    Type::String,
                    "DNS prefix of the API server FQDN; cannot change after creation (dnsPrefix).",
                    ArmMapping::Path("properties.dnsPrefix"),
                )
            },
            FieldDef {
                default: Some("free"),
                ..field(
                    "sku_tier",
                    Type::Enum(&SKU_TIER),
                    "Pricing tier: free, standard (uptime SLA) or premium (sku.tier; sku.name is Base).",
                    ArmMapping::Custom {
                        write: write_sku_tier,
                        read: read_sku_tier,
                    },
                )
            },
            FieldDef {
                default: Some("system_assigned"),
                ..field(
                    "identity",
                    Type::Enum(&IDENTITY_TYPE),
                    "Control-plane identity: system_assigned or user_assigned (identity.type).",
                    ArmMapping::Path("identity.type"),
                )
            },
            FieldDef {
                compare: Compare::CaseInsensitive,
                ..field(
                    "identity_ids",
                    list(Type::Resource("identity")),
                    "User-assigned identities of the control plane (exactly one); sets identity to user_assigned (identity.userAssignedIdentities).",
                    ArmMapping::Custom {
                        write: write_identity_ids,
                        read: read_identity_ids,
                    },
                )
            },
            field(
                "oidc_issuer",
                Type::Bool,
                "Enable the OIDC issuer (needed for workload identity); cannot be disabled once enabled (oidcIssuerProfile.enabled).",
                ArmMapping::Path("properties.oidcIssuerProfile.enabled"),
            ),
            field(
                "workload_identity",
                Type::Bool,
                "Enable Microsoft Entra Workload ID; requires oidc_issuer (securityProfile.workloadIdentity.enabled).",
                ArmMapping::Path("properties.securityProfile.workloadIdentity.enabled"),
            ),
        ],
        blocks: vec![
            network_block(),
            load_balancer_profile_block(),
            api_server_block(),
            aad_block(),
        ],
        children: vec!["pool"],
        attributes: vec![
            id_attr(),
            AttrDef {
                name: "fqdn",
                ty: Type::String,
                doc: "FQDN of the public API server endpoint (properties.fqdn).",
                arm_path: "properties.fqdn",
            },
            AttrDef {
                name: "private_fqdn",
                ty: Type::String,
                doc: "FQDN of the private API server endpoint of a private cluster (properties.privateFQDN).",
                arm_path: "properties.privateFQDN",
            },
            AttrDef {
                name: "node_resource_group",
                ty: Type::String,
                doc: "Resource group AKS creates for the nodes, MC_{rg}_{name}_{location} by default.",
                arm_path: "properties.nodeResourceGroup",
            },
            AttrDef {
                name: "current_kubernetes_version",
                ty: Type::String,
                doc: "The Kubernetes version the cluster runs, with patch (currentKubernetesVersion).",
                arm_path: "properties.currentKubernetesVersion",
            },
            AttrDef {
                name: "oidc_issuer_url",
                ty: Type::String,
                doc: "The OIDC issuer URL, for federated credentials (oidcIssuerProfile.issuerURL).",
                arm_path: "properties.oidcIssuerProfile.issuerURL",
            },
            AttrDef {
                name: "principal_id",
                ty: Type::String,
                doc: "Principal ID of the system-assigned control-plane identity (identity.principalId).",
                arm_path: "identity.principalId",
            },
            AttrDef {
                name: "kubelet_object_id",
                ty: Type::String,
                doc: "Object ID of the kubelet identity, for role assignments (identityProfile.kubeletidentity.objectId).",
                arm_path: "properties.identityProfile.kubeletidentity.objectId",
            },
        ],
        taggable: true,
        has_location: true,
        name_rule: NameRule {
            min: 1,
            max: 63,
            allowed: "letters, digits, hyphens and underscores; start and end with a letter or digit",
            valid: names::cluster,
            explain: None,
        },
        inline_children: Some(InlineChildren {
            child: "pool",
            array_path: "properties.agentPoolProfiles",
            name_key: "name",
        }),
    }
}

fn network_block() -> BlockDef {
    BlockDef {
        keyword: "network",
        doc: "The cluster's network profile (networkProfile): CNI plugin, policy, service and pod ranges, outbound.",
        fields: vec![
            FieldDef {
                forces_replacement: true,
                ..field(
                    "plugin",
                    Type::Enum(&NETWORK_PLUGIN),
                    "Network plugin: azure (Azure CNI), kubenet or none (networkPlugin).",
                    ArmMapping::Path("properties.networkProfile.networkPlugin"),
                )
            },
            field(
                "plugin_mode",
                Type::Enum(&NETWORK_PLUGIN_MODE),
                "Azure CNI mode: overlay gives pods addresses from pod_cidr instead of the subnet (networkPluginMode).",
                ArmMapping::Path("properties.networkProfile.networkPluginMode"),
            ),
            field(
                "policy",
                Type::Enum(&NETWORK_POLICY),
                "Network policy engine: azure, calico, cilium or none (networkPolicy).",
                ArmMapping::Path("properties.networkProfile.networkPolicy"),
            ),
            field(
                "dataplane",
                Type::Enum(&NETWORK_DATAPLANE),
                "Network dataplane: azure or cilium (networkDataplane).",
                ArmMapping::Path("properties.networkProfile.networkDataplane"),
            ),
            FieldDef {
                default: Some("10.0.0.0/16"),
                forces_replacement: true,
                ..field(
                    "service_cidr",
                    Type::Cidr,
                    "Range for Kubernetes service IPs; must not overlap any subnet of the cluster's VNet (serviceCidr).",
                    ArmMapping::Path("properties.networkProfile.serviceCidr"),
                )
            },
            FieldDef {
                default: Some("10.0.0.10"),
                forces_replacement: true,
                ..field(
                    "dns_service_ip",
                    Type::Ip,
                    "IP of the cluster DNS service, inside service_cidr and not its first address (dnsServiceIP).",
                    ArmMapping::Path("properties.networkProfile.dnsServiceIP"),
                )
            },
            FieldDef {
                default: Some("10.244.0.0/16"),
                forces_replacement: true,
                ..field(
                    "pod_cidr",
                    Type::Cidr,
                    "Range for pod IPs with kubenet or Azure CNI overlay (podCidr).",
                    ArmMapping::Path("properties.networkProfile.podCidr"),
                )
            },
            FieldDef {
                default: Some("load_balancer"),
                forces_replacement: true,
                ..field(
                    "outbound_type",
                    Type::Enum(&OUTBOUND_TYPE),
                    "Egress routing method; only set at creation (outboundType).",
                    ArmMapping::Path("properties.networkProfile.outboundType"),
                )
            },
            FieldDef {
                default: Some("standard"),
                forces_replacement: true,
                ..field(
                    "load_balancer_sku",
                    Type::Enum(&LOAD_BALANCER_SKU),
                    "SKU of the cluster's load balancer: standard or basic (loadBalancerSku).",
                    ArmMapping::Path("properties.networkProfile.loadBalancerSku"),
                )
            },
            field(
                "docker_bridge_cidr",
                Type::Cidr,
                "Docker bridge range; dropped from current AKS api-versions and ignored by Azure (not sent).",
                ArmMapping::None,
            ),
        ],
    }
}

fn load_balancer_profile_block() -> BlockDef {
    BlockDef {
        keyword: "load_balancer_profile",
        doc: "Outbound through the cluster's standard load balancer (networkProfile.loadBalancerProfile): at most one of managed_outbound_ips, outbound_ip_prefixes, outbound_ips.",
        fields: vec![
            field(
                "managed_outbound_ips",
                Type::Int,
                "Number of public IPs AKS creates for egress, 1-100 (managedOutboundIPs.count).",
                ArmMapping::Path(
                    "properties.networkProfile.loadBalancerProfile.managedOutboundIPs.count",
                ),
            ),
            FieldDef {
                compare: Compare::CaseInsensitive,
                ..field(
                    "outbound_ip_prefixes",
                    list(Type::String),
                    "Resource IDs of public IP prefixes for egress (outboundIPPrefixes.publicIPPrefixes).",
                    ArmMapping::Custom {
                        write: |v, ids, b| {
                            write_id_list(
                                v,
                                ids,
                                b,
                                "properties.networkProfile.loadBalancerProfile.outboundIPPrefixes.publicIPPrefixes",
                            )
                        },
                        read: |b| {
                            read_id_list(
                                b,
                                "properties.networkProfile.loadBalancerProfile.outboundIPPrefixes.publicIPPrefixes",
                            )
                        },
                    },
                )
            },
            FieldDef {
                compare: Compare::CaseInsensitive,
                ..field(
                    "outbound_ips",
                    list(Type::Resource("public_ip")),
                    "Public IPs for egress, standard SKU and static (outboundIPs.publicIPs).",
                    ArmMapping::Custom {
                        write: |v, ids, b| {
                            write_id_list(
                                v,
                                ids,
                                b,
                                "properties.networkProfile.loadBalancerProfile.outboundIPs.publicIPs",
                            )
                        },
                        read: |b| {
                            read_id_list(
                                b,
                                "properties.networkProfile.loadBalancerProfile.outboundIPs.publicIPs",
                            )
                        },
                    },
                )
            },
            FieldDef {
                default: Some("0"),
                ..field(
                    "allocated_outbound_ports",
                    Type::Int,
                    "SNAT ports per node, 0-64000 in multiples of 8; 0 lets Azure size them (allocatedOutboundPorts).",
                    ArmMapping::Path(
                        "properties.networkProfile.loadBalancerProfile.allocatedOutboundPorts",
                    ),
                )
            },
            FieldDef {
                default: Some("30"),
                ..field(
                    "idle_timeout",
                    Type::Int,
                    "Outbound flow idle timeout in minutes, 4-120 (idleTimeoutInMinutes).",
                    ArmMapping::Path(
                        "properties.networkProfile.loadBalancerProfile.idleTimeoutInMinutes",
                    ),
                )
            },
        ],
    }
}

fn aad_block() -> BlockDef {
    BlockDef {
        keyword: "aad",
        doc: "Microsoft Entra ID (AAD) integration (aadProfile): managed AAD, admin groups, Azure RBAC.",
        fields: vec![
            FieldDef {
                forces_replacement: false,
                ..field(
                    "managed",
                    Type::Bool,
                    "AKS-managed Entra ID integration; cannot be turned off once on (aadProfile.managed).",
                    ArmMapping::Path("properties.aadProfile.managed"),
                )
            },
            FieldDef {
                compare: Compare::UnorderedSet,
                ..field(
                    "admin_group_object_ids",
                    list(Type::String),
                    "Object IDs of Entra groups that get cluster-admin (aadProfile.adminGroupObjectIDs).",
                    ArmMapping::Path("properties.aadProfile.adminGroupObjectIDs"),
                )
            },
            field(
                "azure_rbac",
                Type::Bool,
                "Authorize Kubernetes API calls with Azure RBAC (aadProfile.enableAzureRBAC).",
                ArmMapping::Path("properties.aadProfile.enableAzureRBAC"),
            ),
            field(
                "tenant_id",
                Type::String,
                "Entra tenant of the users; the subscription's tenant when unset (aadProfile.tenantID).",
                ArmMapping::Path("properties.aadProfile.tenantID"),
            ),
        ],
    }
}

/// A list of references or ID strings written as `[{ "id": ... }]` at `path`.
fn write_id_list(v: &Value, ids: &dyn Fn(&Address) -> Option<String>, body: &mut Json, path: &str) {
    let Some(items) = v.as_list() else { return };
    let refs: Vec<Json> = items
        .iter()
        .filter_map(|item| match item {
            Value::Ref(a) => ids(a),
            Value::Str(s) => Some(s.clone()),
            _ => None,
        })
        .map(|id| {
            let mut m = Map::new();
            m.insert("id".into(), Json::String(id));
            Json::Object(m)
        })
        .collect();
    set_path(body, path, Json::Array(refs));
}

/// The IDs of the `[{ "id": ... }]` list at `path`.
fn read_id_list(live: &Json, path: &str) -> Option<Value> {
    let items = get_path(live, path)?.as_array()?;
    Some(Value::List(
        items
            .iter()
            .filter_map(|i| i.get("id").and_then(Json::as_str))
            .map(|s| Value::Str(s.into()))
            .collect(),
    ))
}

fn api_server_block() -> BlockDef {
    BlockDef {
        keyword: "api_server",
        doc: "API server access (apiServerAccessProfile): private cluster, private DNS zone, authorized IP ranges.",
        fields: vec![
            FieldDef {
                default: Some("false"),
                forces_replacement: true,
                ..field(
                    "private_cluster",
                    Type::Bool,
                    "Make the API server reachable only from the VNet (enablePrivateCluster).",
                    ArmMapping::Path("properties.apiServerAccessProfile.enablePrivateCluster"),
                )
            },
            FieldDef {
                default: Some("\"System\""),
                forces_replacement: true,
                compare: Compare::CaseInsensitive,
                ..field(
                    "private_dns_zone",
                    Type::String,
                    "Private DNS zone mode of a private cluster: \"System\", \"None\" or a zone resource ID (privateDNSZone).",
                    ArmMapping::Path("properties.apiServerAccessProfile.privateDNSZone"),
                )
            },
            field(
                "public_fqdn",
                Type::Bool,
                "Also create a public FQDN for a private cluster (enablePrivateClusterPublicFQDN).",
                ArmMapping::Path(
                    "properties.apiServerAccessProfile.enablePrivateClusterPublicFQDN",
                ),
            ),
            FieldDef {
                compare: Compare::UnorderedSet,
                ..field(
                    "authorized_ip_ranges",
                    list(Type::Cidr),
                    "IP ranges allowed to reach a public API server, e.g. [\"137.117.106.88/29\"] (authorizedIPRanges).",
                    ArmMapping::Path("properties.apiServerAccessProfile.authorizedIPRanges"),
                )
            },
        ],
    }
}

/// `sku.tier` (ManagedClusterSKUTier): Free, Standard, Premium.
pub static SKU_TIER: EnumType = EnumType {
    name: "sku_tier",
    words: &[
        EnumWord {
            word: "free",
            arm: "Free",
            doc: "No SLA; for dev/test (the default).",
        },
        EnumWord {
            word: "standard",
            arm: "Standard",
            doc: "Uptime SLA for the API server; for production.",
        },
        EnumWord {
            word: "premium",
            arm: "Premium",
            doc: "Standard plus long-term support.",
        },
    ],
};

/// `identity.type` (ResourceIdentityType): SystemAssigned, UserAssigned, None.
pub static IDENTITY_TYPE: EnumType = EnumType {
    name: "cluster_identity",
    words: &[
        EnumWord {
            word: "system_assigned",
            arm: "SystemAssigned",
            doc: "AKS creates and manages the control-plane identity (the default).",
        },
        EnumWord {
            word: "user_assigned",
            arm: "UserAssigned",
            doc: "Use the identity in identity_ids.",
        },
    ],
};

/// `networkPlugin` (NetworkPlugin): azure, kubenet, none.
pub static NETWORK_PLUGIN: EnumType = EnumType {
    name: "network_plugin",
    words: &[
        EnumWord {
            word: "azure",
            arm: "azure",
            doc: "Azure CNI: pods get VNet addresses (or overlay addresses with plugin_mode = overlay).",
        },
        EnumWord {
            word: "kubenet",
            arm: "kubenet",
            doc: "Kubenet: pods get addresses from pod_cidr behind node NAT.",
        },
        EnumWord {
            word: "none",
            arm: "none",
            doc: "No CNI installed; bring your own.",
        },
    ],
};

/// `networkPluginMode` (NetworkPluginMode): overlay.
pub static NETWORK_PLUGIN_MODE: EnumType = EnumType {
    name: "network_plugin_mode",
    words: &[EnumWord {
        word: "overlay",
        arm: "overlay",
        doc: "Pods get addresses from pod_cidr, not from the subnet.",
    }],
};

/// `networkPolicy` (NetworkPolicy): none, calico, azure, cilium.
pub static NETWORK_POLICY: EnumType = EnumType {
    name: "network_policy",
    words: &[
        EnumWord {
            word: "azure",
            arm: "azure",
            doc: "Azure Network Policy Manager.",
        },
        EnumWord {
            word: "calico",
            arm: "calico",
            doc: "Calico network policies.",
        },
        EnumWord {
            word: "cilium",
            arm: "cilium",
            doc: "Cilium network policies (needs dataplane = cilium).",
        },
        EnumWord {
            word: "none",
            arm: "none",
            doc: "No network policy enforcement.",
        },
    ],
};

/// `networkDataplane` (NetworkDataplane): azure, cilium.
pub static NETWORK_DATAPLANE: EnumType = EnumType {
    name: "network_dataplane",
    words: &[
        EnumWord {
            word: "azure",
            arm: "azure",
            doc: "The Azure dataplane.",
        },
        EnumWord {
            word: "cilium",
            arm: "cilium",
            doc: "The Cilium (eBPF) dataplane.",
        },
    ],
};

/// `outboundType`: loadBalancer, userDefinedRouting, managedNATGateway,
/// userAssignedNATGateway, none.
pub static OUTBOUND_TYPE: EnumType = EnumType {
    name: "outbound_type",
    words: &[
        EnumWord {
            word: "load_balancer",
            arm: "loadBalancer",
            doc: "Egress through the cluster's standard load balancer (the default).",
        },
        EnumWord {
            word: "user_defined_routing",
            arm: "userDefinedRouting",
            doc: "Egress by the subnet's route table (e.g. through a firewall).",
        },
        EnumWord {
            word: "managed_nat_gateway",
            arm: "managedNATGateway",
            doc: "Egress through a NAT gateway AKS creates.",
        },
        EnumWord {
            word: "user_assigned_nat_gateway",
            arm: "userAssignedNATGateway",
            doc: "Egress through a NAT gateway already on the subnet.",
        },
        EnumWord {
            word: "none",
            arm: "none",
            doc: "No egress path is configured by AKS.",
        },
    ],
};

/// `loadBalancerSku` (LoadBalancerSku): standard, basic.
pub static LOAD_BALANCER_SKU: EnumType = EnumType {
    name: "load_balancer_sku",
    words: &[
        EnumWord {
            word: "standard",
            arm: "standard",
            doc: "Standard load balancer (the default).",
        },
        EnumWord {
            word: "basic",
            arm: "basic",
            doc: "Basic load balancer (retired, limited features).",
        },
    ],
};

/// `sku_tier`: writes `sku.tier` in ARM spelling and `sku.name = "Base"`.
fn write_sku_tier(v: &Value, _ids: &dyn Fn(&Address) -> Option<String>, body: &mut Json) {
    let Some(word) = v.as_str() else { return };
    let arm = SKU_TIER.word(word).map_or(word, |w| w.arm);
    set_path(body, "sku.name", Json::String("Base".into()));
    set_path(body, "sku.tier", Json::String(arm.into()));
}

/// Reads `sku.tier` back as a capz word.
fn read_sku_tier(live: &Json) -> Option<Value> {
    let tier = get_path(live, "sku.tier")?.as_str()?;
    Some(Value::Enum(
        SKU_TIER
            .from_arm(tier)
            .map_or_else(|| tier.to_string(), |w| w.word.to_string()),
    ))
}

/// `identity_ids`: `identity.type = "UserAssigned"` and
/// `identity.userAssignedIdentities = { "<id>": {} }` (ManagedClusterIdentity).
fn write_identity_ids(v: &Value, ids: &dyn Fn(&Address) -> Option<String>, body: &mut Json) {
    let Some(items) = v.as_list() else { return };
    let mut map = Map::new();
    for item in items {
        let id = match item {
            Value::Ref(a) => ids(a),
            Value::Str(s) => Some(s.clone()),
            _ => None,
        };
        if let Some(id) = id {
            map.insert(id, Json::Object(Map::new()));
        }
    }
    set_path(body, "identity.type", Json::String("UserAssigned".into()));
    set_path(body, "identity.userAssignedIdentities", Json::Object(map));
}

/// Reads the keys of `identity.userAssignedIdentities` as ID strings.
fn read_identity_ids(live: &Json) -> Option<Value> {
    let map = get_path(live, "identity.userAssignedIdentities")?.as_object()?;
    Some(Value::List(
        map.keys().map(|k| Value::Str(k.clone())).collect(),
    ))
}
