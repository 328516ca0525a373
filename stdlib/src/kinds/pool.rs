//! `pool`: an AKS node pool (Microsoft.ContainerService/managedClusters/agentPools,
//! api-version 2026-08-01, `managedClusters.json`, definitions `AgentPool`,
//! `ManagedClusterAgentPoolProfileProperties`). Paths are relative to the agentPools
//! resource body (`properties.X`); [`crate::arm::inline_child`] flattens `properties` into
//! a `agentPoolProfiles` element when the pool is created inline with its cluster.

use super::{field, id_attr, list, tags_type};
use crate::arm::{get_path, set_path};
use lang::schema::{ArmMapping, AttrDef, Compare, FieldDef, KindDef, NameRule, Placement};
use lang::types::{EnumType, EnumWord, Type};
use lang::value::{Address, Value};
use serde_json::Value as Json;

/// The `pool` kind, declared inside a `cluster`.
pub fn def() -> KindDef {
    KindDef {
        keyword: "pool",
        doc: "An AKS node pool: a scale set of nodes of one VM size.",
        arm_type: "Microsoft.ContainerService/managedClusters/agentPools",
        api_version: "2026-08-01",
        placement: Placement::Child {
            parent: "cluster",
            segment: "agentPools",
        },
        fields: vec![
            super::name_field(
                "The pool name: lowercase letters and digits, starting with a letter, at most 12 characters (6 for Windows).",
            ),
            FieldDef {
                required: true,
                ..field(
                    "mode",
                    Type::Enum(&POOL_MODE),
                    "system pools run critical system pods (every cluster needs one); user pools run workloads (mode).",
                    ArmMapping::Path("properties.mode"),
                )
            },
            FieldDef {
                required: true,
                forces_replacement: true,
                compare: Compare::CaseInsensitive,
                ..field(
                    "vm_size",
                    Type::String,
                    "VM size of the nodes, e.g. \"Standard_D4s_v3\" (vmSize).",
                    ArmMapping::Path("properties.vmSize"),
                )
            },
            FieldDef {
                default: Some("1"),
                ..field(
                    "count",
                    Type::Int,
                    "Number of nodes, 0-1000 (count); with autoscale, the initial count.",
                    ArmMapping::Path("properties.count"),
                )
            },
            field(
                "autoscale",
                Type::Range,
                "Cluster autoscaler bounds min..max, e.g. 1..3 (enableAutoScaling, minCount, maxCount).",
                ArmMapping::Custom {
                    write: write_autoscale,
                    read: read_autoscale,
                },
            ),
            FieldDef {
                default: Some("linux"),
                forces_replacement: true,
                ..field(
                    "os_type",
                    Type::Enum(&OS_TYPE),
                    "Node operating system: linux or windows (osType).",
                    ArmMapping::Path("properties.osType"),
                )
            },
            FieldDef {
                forces_replacement: true,
                ..field(
                    "os_sku",
                    Type::Enum(&OS_SKU),
                    "Node OS image, e.g. ubuntu or azure_linux; Ubuntu by default for Linux (osSKU).",
                    ArmMapping::Path("properties.osSKU"),
                )
            },
            FieldDef {
                default: Some("0"),
                forces_replacement: true,
                ..field(
                    "os_disk_size_gb",
                    Type::Int,
                    "OS disk size in GB, 0 = the VM size's default (osDiskSizeGB).",
                    ArmMapping::Path("properties.osDiskSizeGB"),
                )
            },
            FieldDef {
                forces_replacement: true,
                ..field(
                    "os_disk_type",
                    Type::Enum(&OS_DISK_TYPE),
                    "managed or ephemeral OS disk; ephemeral by default when the VM size supports it (osDiskType).",
                    ArmMapping::Path("properties.osDiskType"),
                )
            },
            FieldDef {
                default: Some("110"),
                forces_replacement: true,
                ..field(
                    "max_pods",
                    Type::Int,
                    "Maximum pods per node, 10-250 (maxPods).",
                    ArmMapping::Path("properties.maxPods"),
                )
            },
            FieldDef {
                forces_replacement: true,
                compare: Compare::CaseInsensitive,
                ..field(
                    "subnet",
                    Type::Resource("subnet"),
                    "Subnet the nodes (and with Azure CNI the pods) join (vnetSubnetID).",
                    ArmMapping::Path("properties.vnetSubnetID"),
                )
            },
            FieldDef {
                forces_replacement: true,
                compare: Compare::UnorderedSet,
                ..field(
                    "zones",
                    list(Type::String),
                    "Availability zones of the nodes, e.g. [\"1\", \"2\", \"3\"] (availabilityZones).",
                    ArmMapping::Path("properties.availabilityZones"),
                )
            },
            field(
                "node_labels",
                tags_type(),
                "Kubernetes labels on every node, as a record of strings (nodeLabels).",
                ArmMapping::Path("properties.nodeLabels"),
            ),
            field(
                "node_taints",
                list(Type::String),
                "Taints on new nodes, e.g. [\"sku=gpu:NoSchedule\"] (nodeTaints).",
                ArmMapping::Path("properties.nodeTaints"),
            ),
            FieldDef {
                compare: Compare::VersionPrefix,
                ..field(
                    "orchestrator_version",
                    Type::String,
                    "Kubernetes version of the nodes, MAJOR.MINOR or MAJOR.MINOR.PATCH; the cluster's when unset (orchestratorVersion).",
                    ArmMapping::Path("properties.orchestratorVersion"),
                )
            },
            FieldDef {
                default: Some("\"10%\""),
                ..field(
                    "max_surge",
                    Type::String,
                    "Extra nodes during upgrade, a number or a percentage such as \"33%\" (upgradeSettings.maxSurge).",
                    ArmMapping::Path("properties.upgradeSettings.maxSurge"),
                )
            },
        ],
        blocks: vec![],
        children: vec![],
        attributes: vec![
            id_attr(),
            AttrDef {
                name: "current_orchestrator_version",
                ty: Type::String,
                doc: "The Kubernetes version the nodes run (currentOrchestratorVersion).",
                arm_path: "properties.currentOrchestratorVersion",
            },
            AttrDef {
                name: "node_image_version",
                ty: Type::String,
                doc: "The node image version (nodeImageVersion).",
                arm_path: "properties.nodeImageVersion",
            },
        ],
        taggable: false,
        has_location: false,
        name_rule: NameRule {
            min: 1,
            max: 12,
            allowed: "lowercase letters and digits, starting with a letter",
            valid: super::names::pool,
            explain: None,
        },
        inline_children: None,
    }
}

/// `mode` (AgentPoolMode): System, User.
pub static POOL_MODE: EnumType = EnumType {
    name: "pool_mode",
    words: &[
        EnumWord {
            word: "system",
            arm: "System",
            doc: "Runs critical system pods; a cluster needs at least one.",
        },
        EnumWord {
            word: "user",
            arm: "User",
            doc: "Runs application pods.",
        },
    ],
};

/// `osType` (OSType): Linux, Windows.
pub static OS_TYPE: EnumType = EnumType {
    name: "os_type",
    words: &[
        EnumWord {
            word: "linux",
            arm: "Linux",
            doc: "Linux nodes (the default).",
        },
        EnumWord {
            word: "windows",
            arm: "Windows",
            doc: "Windows Server nodes (user pools only; pool name at most 6 characters).",
        },
    ],
};

/// `osSKU` (OSSKU).
pub static OS_SKU: EnumType = EnumType {
    name: "os_sku",
    words: &[
        EnumWord {
            word: "ubuntu",
            arm: "Ubuntu",
            doc: "Ubuntu, the default Linux image.",
        },
        EnumWord {
            word: "ubuntu2204",
            arm: "Ubuntu2204",
            doc: "Ubuntu 22.04.",
        },
        EnumWord {
            word: "ubuntu2404",
            arm: "Ubuntu2404",
            doc: "Ubuntu 24.04.",
        },
        EnumWord {
            word: "azure_linux",
            arm: "AzureLinux",
            doc: "Azure Linux, the default version for the Kubernetes version.",
        },
        EnumWord {
            word: "azure_linux3",
            arm: "AzureLinux3",
            doc: "Azure Linux 3.",
        },
        EnumWord {
            word: "azure_container_linux",
            arm: "AzureContainerLinux",
            doc: "Azure Container Linux.",
        },
        EnumWord {
            word: "cbl_mariner",
            arm: "CBLMariner",
            doc: "CBL-Mariner (deprecated, use azure_linux).",
        },
        EnumWord {
            word: "windows2019",
            arm: "Windows2019",
            doc: "Windows Server 2019.",
        },
        EnumWord {
            word: "windows2022",
            arm: "Windows2022",
            doc: "Windows Server 2022.",
        },
        EnumWord {
            word: "windows2025",
            arm: "Windows2025",
            doc: "Windows Server 2025.",
        },
    ],
};

/// `osDiskType` (OSDiskType): Managed, Ephemeral.
pub static OS_DISK_TYPE: EnumType = EnumType {
    name: "os_disk_type",
    words: &[
        EnumWord {
            word: "managed",
            arm: "Managed",
            doc: "Azure managed disk.",
        },
        EnumWord {
            word: "ephemeral",
            arm: "Ephemeral",
            doc: "Local ephemeral disk (faster, no persistence).",
        },
    ],
};

/// `autoscale = min..max`: `enableAutoScaling = true`, `minCount`, `maxCount`, and
/// `count = min` when the body has no `count` yet (AKS needs an initial count).
fn write_autoscale(v: &Value, _ids: &dyn Fn(&Address) -> Option<String>, body: &mut Json) {
    let Value::Range { start, end } = v else {
        return;
    };
    set_path(body, "properties.enableAutoScaling", Json::Bool(true));
    set_path(body, "properties.minCount", Json::from(*start));
    set_path(body, "properties.maxCount", Json::from(*end));
    if get_path(body, "properties.count").is_none() {
        set_path(body, "properties.count", Json::from(*start));
    }
}

/// Reads `minCount..maxCount` when `enableAutoScaling` is true, else `None`.
fn read_autoscale(live: &Json) -> Option<Value> {
    if get_path(live, "properties.enableAutoScaling").and_then(Json::as_bool) != Some(true) {
        return None;
    }
    let start = get_path(live, "properties.minCount")?.as_i64()?;
    let end = get_path(live, "properties.maxCount")?.as_i64()?;
    Some(Value::Range { start, end })
}
