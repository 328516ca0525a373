//! Microsoft.ContainerService rules: managedClusters and agentPools (managedClusters.json
//! 2026-08-01 and its examples).

use std::net::IpAddr;

use ipnet::IpNet;
use rusqlite::Transaction;
use serde_json::{Map, Value, json};

use crate::LOCAL_TENANT;
use crate::handler::{ChildWrite, PutCtx, PutOut};
use crate::store::{self, Row};
use crate::util::{self, ArmError, ArmResult, Check, at};

const POOL_TYPE: &str = "Microsoft.ContainerService/managedClusters/agentPools";
const POOL_TYPE_LC: &str = "microsoft.containerservice/managedclusters/agentpools";

/// Supported Kubernetes minors and their newest patch; a minor (`1.33`) resolves to its
/// newest patch, `""` to [`DEFAULT_MINOR`]. Versions outside → 400
/// `AgentPoolK8sVersionNotSupported`, the code and message AKS answers a cluster or pool PUT
/// with (quoted in microsoft/MCW-Cloud-native-applications#218 and
/// dspace-group/simphera-reference-architecture-azure#29, both cluster creates).
const K8S: &[(&str, u32)] = &[
    ("1.30", 14),
    ("1.31", 13),
    ("1.32", 9),
    ("1.33", 5),
    ("1.34", 1),
];
const DEFAULT_MINOR: &str = "1.33";

/// The supported minors and their newest patch (for the kubernetesVersions list).
pub(crate) fn versions() -> &'static [(&'static str, u32)] {
    K8S
}

/// The minor a cluster without kubernetesVersion gets.
pub(crate) fn default_minor() -> &'static str {
    DEFAULT_MINOR
}

/// Resolves `1.x`/`1.x.y`/`""` to a full patch version.
fn resolve_version(v: &str, field: &str) -> ArmResult<String> {
    let v = v.trim();
    if v.is_empty() {
        let p = K8S
            .iter()
            .find(|(m, _)| *m == DEFAULT_MINOR)
            .map(|x| x.1)
            .unwrap_or(0);
        return Ok(format!("{DEFAULT_MINOR}.{p}"));
    }
    let parts: Vec<&str> = v.split('.').collect();
    let bad = || {
        ArmError::bad(
            "AgentPoolK8sVersionNotSupported",
            format!("Version {v} is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region. For more information, please check https://aka.ms/supported-version-list"),
        )
        .with_target(field)
    };
    if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.parse::<u32>().is_err()) {
        return Err(bad());
    }
    let minor = format!("{}.{}", parts[0], parts[1]);
    let Some((_, newest)) = K8S.iter().find(|(m, _)| *m == minor) else {
        return Err(bad());
    };
    match parts.get(2) {
        None => Ok(format!("{minor}.{newest}")),
        Some(p) => {
            let p: u32 = p.parse().map_err(|_| bad())?;
            if p <= *newest {
                Ok(format!("{minor}.{p}"))
            } else {
                Err(bad())
            }
        }
    }
}

fn minor_of(v: &str) -> (u32, u32) {
    let mut it = v.split('.').map(|x| x.parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

fn immutable(field: &str) -> ArmError {
    ArmError::bad(
        "PropertyChangeNotAllowed",
        format!("Changing property '{field}' is not allowed."),
    )
    .with_target(field)
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x
            .trim_end_matches('/')
            .eq_ignore_ascii_case(y.trim_end_matches('/')),
        _ => a == b,
    }
}

fn parse_cidr(s: &str, field: &str) -> ArmResult<IpNet> {
    let n: IpNet = s.parse().map_err(|_| {
        ArmError::bad(
            "InvalidParameter",
            format!("The value '{s}' of parameter '{field}' is not a valid CIDR."),
        )
        .with_target(field)
    })?;
    if n.trunc() != n {
        return Err(ArmError::bad(
            "InvalidParameter",
            format!(
                "The value '{s}' of parameter '{field}' has host bits set; use {}.",
                n.trunc()
            ),
        )
        .with_target(field));
    }
    Ok(n)
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// The inline `agentPoolProfiles[]` entry of a stored pool: `{name, ...properties}`.
pub fn profile_of_pool(pool: &Value) -> Value {
    let mut m = Map::new();
    m.insert(
        "name".into(),
        pool.get("name").cloned().unwrap_or(Value::Null),
    );
    if let Some(Value::Object(p)) = pool.get("properties") {
        for (k, v) in p {
            m.insert(k.clone(), v.clone());
        }
    }
    Value::Object(m)
}

/// The network facts a pool is checked against.
struct ClusterNet {
    plugin: String,
    overlay: bool,
    service_cidr: Option<IpNet>,
    pod_cidr: Option<IpNet>,
}

/// Builds the stored pool properties from request properties + the existing pool.
/// Immutable once created (AKS rejects changes with `PropertyChangeNotAllowed`): vmSize,
/// osDiskSizeGB, osDiskType, osType, vnetSubnetID, podSubnetID, maxPods, availabilityZones,
/// enableNodePublicIP.
#[allow(clippy::too_many_arguments)]
fn build_pool(
    tx: &Transaction<'_>,
    sub: &str,
    field: &str,
    req: &Map<String, Value>,
    existing: Option<&Value>,
    cluster_version: &str,
    cluster_current: &str,
    net: &ClusterNet,
    default_mode: &str,
) -> ArmResult<Map<String, Value>> {
    let rv = Value::Object(req.clone());
    let f = |k: &str| format!("{field}.{k}");
    // Types and enums (managedClusters.json definitions).
    let en = |k: &str, allowed: &[&str]| -> ArmResult<Option<String>> {
        Check::opt_enum(&rv, &[k], allowed).map_err(|mut e| {
            e.target = Some(f(k));
            e.message = e.message.replace(&format!("'{k}'"), &format!("'{}'", f(k)));
            e
        })
    };
    let mode = en("mode", &["System", "User", "Gateway"])?;
    let os_type = en("osType", &["Linux", "Windows"])?;
    let os_sku = en(
        "osSKU",
        &[
            "Ubuntu",
            "AzureLinux",
            "AzureLinux3",
            "CBLMariner",
            "Windows2019",
            "Windows2022",
            "Ubuntu2204",
            "Windows2025",
            "Ubuntu2404",
            "AzureContainerLinux",
        ],
    )?;
    let pool_type = en(
        "type",
        &[
            "VirtualMachineScaleSets",
            "AvailabilitySet",
            "VirtualMachines",
        ],
    )?;
    let disk_type = en("osDiskType", &["Managed", "Ephemeral"])?;
    let priority = en("scaleSetPriority", &["Spot", "Regular"])?;
    let eviction = en("scaleSetEvictionPolicy", &["Delete", "Deallocate"])?;
    let scale_down = en("scaleDownMode", &["Delete", "Deallocate"])?;
    en("kubeletDiskType", &["OS", "Temporary"])?;
    en(
        "workloadRuntime",
        &["OCIContainer", "WasmWasi", "KataVmIsolation"],
    )?;
    let count = Check::opt_int(&rv, &["count"])?;
    let min = Check::opt_int(&rv, &["minCount"])?;
    let max = Check::opt_int(&rv, &["maxCount"])?;
    let auto = Check::opt_bool(&rv, &["enableAutoScaling"])?.unwrap_or(false);
    let max_pods = Check::opt_int(&rv, &["maxPods"])?;
    let disk = Check::opt_int(&rv, &["osDiskSizeGB"])?;
    Check::opt_str(&rv, &["vmSize"])?;
    Check::opt_strs(&rv, &["availabilityZones"])?;
    Check::opt_bool(&rv, &["enableNodePublicIP"])?;
    Check::opt_obj(&rv, &["nodeLabels"])?;
    Check::opt_strs(&rv, &["nodeTaints"])?;
    let version = Check::opt_str(&rv, &["orchestratorVersion"])?;

    if let Some(old) = existing {
        for k in [
            "vmSize",
            "osDiskSizeGB",
            "osDiskType",
            "osType",
            "vnetSubnetID",
            "podSubnetID",
            "maxPods",
            "availabilityZones",
            "enableNodePublicIP",
        ] {
            if let (Some(new), Some(prev)) = (req.get(k), old.get(k))
                && !new.is_null()
                && !same(new, prev)
                && !(k == "osDiskSizeGB" && new == &json!(0))
            {
                return Err(immutable(&f(k)));
            }
        }
    }

    let mut p: Map<String, Value> = match existing {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    for (k, v) in req {
        if matches!(
            k.as_str(),
            "provisioningState"
                | "currentOrchestratorVersion"
                | "eTag"
                | "powerState"
                | "name"
                | "status"
        ) {
            continue;
        }
        if !v.is_null() {
            p.insert(k.clone(), v.clone());
        }
    }
    let mode = mode
        .or_else(|| p.get("mode").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| default_mode.to_string());
    p.insert("mode".into(), json!(mode));
    let os_type = os_type
        .or_else(|| p.get("osType").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "Linux".into());
    if mode == "System" && os_type == "Windows" {
        return Err(ArmError::bad(
            "InvalidParameter",
            format!("System pools must run Linux: '{}' is Windows.", f("osType")),
        )
        .with_target(f("mode")));
    }
    p.insert("osType".into(), json!(os_type));
    for (k, v) in [
        ("type", pool_type),
        ("osDiskType", disk_type),
        ("scaleSetPriority", priority),
        ("scaleDownMode", scale_down),
        ("osSKU", os_sku),
    ] {
        if let Some(v) = v {
            p.insert(k.into(), json!(v));
        }
    }
    let c = count
        .or_else(|| p.get("count").and_then(Value::as_i64))
        .unwrap_or(1);
    if !(0..=1000).contains(&c) || (mode == "System" && c < 1) {
        return Err(ArmError::bad(
            "InvalidParameter",
            format!(
                "The value {c} of '{}' is out of range: 0-1000 (System pools need at least 1).",
                f("count")
            ),
        )
        .with_target(f("count")));
    }
    if auto {
        match (min, max) {
            (Some(lo), Some(hi)) if lo <= hi && lo <= c && c <= hi => {}
            _ => {
                return Err(ArmError::bad(
                    "InvalidParameter",
                    format!("When enableAutoScaling is true, '{}' and '{}' are required and must satisfy minCount <= count <= maxCount.", f("minCount"), f("maxCount")),
                )
                .with_target(f("minCount")));
            }
        }
    }
    p.insert("count".into(), json!(c));
    if let Some(mp) = max_pods
        && !(10..=250).contains(&mp)
    {
        return Err(ArmError::bad(
            "InvalidParameter",
            format!(
                "The value {mp} of '{}' is out of range 10-250.",
                f("maxPods")
            ),
        )
        .with_target(f("maxPods")));
    }
    if let Some(d) = disk
        && !(0..=2048).contains(&d)
    {
        return Err(ArmError::bad(
            "InvalidParameter",
            format!(
                "The value {d} of '{}' is out of range 0-2048.",
                f("osDiskSizeGB")
            ),
        )
        .with_target(f("osDiskSizeGB")));
    }

    // Version: "" or absent = the cluster's; must be within 3 minors below the control plane.
    let (ov, cur) = match version {
        Some(v) if !v.trim().is_empty() => (
            v.to_string(),
            keep_running_patch(
                v,
                resolve_version(v, &f("orchestratorVersion"))?,
                existing
                    .and_then(|o| o.get("currentOrchestratorVersion"))
                    .and_then(Value::as_str),
            ),
        ),
        _ => match existing
            .and_then(|o| o.get("orchestratorVersion"))
            .and_then(Value::as_str)
        {
            Some(v) if !v.is_empty() => {
                let cur = existing
                    .and_then(|o| o.get("currentOrchestratorVersion"))
                    .and_then(Value::as_str)
                    .unwrap_or(cluster_current);
                (v.to_string(), cur.to_string())
            }
            _ => (cluster_version.to_string(), cluster_current.to_string()),
        },
    };
    if let Some(prev) = existing
        .and_then(|o| o.get("currentOrchestratorVersion"))
        .and_then(Value::as_str)
    {
        check_version_change(prev, &cur, false, &f("orchestratorVersion"))?;
    }
    // Messages as AKS words them (rancher/rancher#33426, MicrosoftDocs/azure-dev-docs#1034);
    // the allowed skew is 3 minors (AKS's version support policy since 1.28; the 2023
    // message quoted 2).
    let (pm, cm) = (minor_of(&cur), minor_of(cluster_current));
    if pm > cm {
        return Err(ArmError::bad(
            "NodePoolMcVersionIncompatible",
            format!("Node pool version {cur} and control plane version {cluster_current} are incompatible. Minor version of node pool version {} is bigger than control plane version {}. For more information, please check https://aka.ms/version-skew-policy", pm.1, cm.1),
        )
        .with_target(f("orchestratorVersion")));
    }
    if pm.0 == cm.0 && cm.1 > pm.1 + 3 {
        return Err(ArmError::bad(
            "NodePoolMcVersionIncompatible",
            format!("Node pool version {cur} and control plane version {cluster_current} are incompatible. Minor version of node pool cannot be more than 3 versions less than control plane's version. Minor version of node pool is {} and control plane is {}.", pm.1, cm.1),
        )
        .with_target(f("orchestratorVersion")));
    }
    p.insert("orchestratorVersion".into(), json!(ov));
    p.insert("currentOrchestratorVersion".into(), json!(cur));

    // Subnet references must exist (when in a subscription this emulator serves).
    let mut pool_subnet = None;
    for k in ["vnetSubnetID", "podSubnetID"] {
        if let Some(id) = p.get(k).and_then(Value::as_str) {
            let id_lc = id.trim_end_matches('/').to_ascii_lowercase();
            let segs: Vec<&str> = id_lc.split('/').collect();
            let shaped = segs.len() == 11
                && segs[1] == "subscriptions"
                && segs[3] == "resourcegroups"
                && segs[7] == "virtualnetworks"
                && segs[9] == "subnets";
            if !shaped {
                return Err(ArmError::bad(
                    "InvalidParameter",
                    format!("'{}' must be a subnet resource ID, got '{id}'.", f(k)),
                )
                .with_target(f(k)));
            }
            if segs[2] == sub.to_ascii_lowercase() {
                match store::get(tx, &id_lc)? {
                    Some(s)
                        if at(&s.body, &["properties", "provisioningState"])
                            .and_then(Value::as_str)
                            != Some("Deleting") =>
                    {
                        if k == "vnetSubnetID" {
                            pool_subnet = Some(s);
                        }
                    }
                    _ => {
                        return Err(ArmError::bad(
                            "InvalidParameter",
                            format!("The subnet '{id}' referenced by '{}' was not found.", f(k)),
                        )
                        .with_target(f(k)));
                    }
                }
            }
        }
    }
    if let Some(s) = &pool_subnet {
        for (what, cidr) in [
            ("serviceCidr", net.service_cidr),
            (
                "podCidr",
                net.pod_cidr
                    .filter(|_| net.plugin == "kubenet" || net.overlay),
            ),
        ] {
            if let Some(c) = cidr
                && let Some(sp) = crate::network::stored_subnet_prefixes(s)
                    .into_iter()
                    .find(|sp| overlaps(sp, &c))
            {
                let code = if what == "serviceCidr" {
                    "ServiceCidrOverlapExistingSubnetsCidr"
                } else {
                    "PodCidrOverlapExistingSubnetsCidr"
                };
                return Err(ArmError::bad(
                    code,
                    format!(
                        "The specified {what} {c} is invalid as it overlaps with subnet {} ({sp}) of '{}'.",
                        s.id,
                        f("vnetSubnetID")
                    ),
                ));
            }
        }
    }

    // Defaults (spec defaults; maxPods per network plugin as AKS documents: kubenet 110,
    // Azure CNI 30, overlay 250).
    let windows = os_type == "Windows";
    util::default(&mut p, "type", json!("VirtualMachineScaleSets"));
    util::default(&mut p, "vmSize", json!("Standard_D2s_v3"));
    util::default(&mut p, "osDiskSizeGB", json!(128));
    if p.get("osDiskSizeGB") == Some(&json!(0)) {
        p.insert("osDiskSizeGB".into(), json!(128));
    }
    util::default(&mut p, "osDiskType", json!("Managed"));
    util::default(&mut p, "kubeletDiskType", json!("OS"));
    util::default(
        &mut p,
        "osSKU",
        json!(if windows { "Windows2022" } else { "Ubuntu" }),
    );
    let max_pods_default = if net.plugin == "azure" && !net.overlay {
        30
    } else if net.overlay {
        250
    } else {
        110
    };
    util::default(&mut p, "maxPods", json!(max_pods_default));
    util::default(&mut p, "enableAutoScaling", json!(auto));
    util::default(&mut p, "enableNodePublicIP", json!(false));
    util::default(&mut p, "enableFIPS", json!(false));
    util::default(&mut p, "enableEncryptionAtHost", json!(false));
    util::default(&mut p, "enableUltraSSD", json!(false));
    util::default(&mut p, "scaleSetPriority", json!("Regular"));
    if p.get("scaleSetPriority").and_then(Value::as_str) == Some("Spot") {
        util::default(
            &mut p,
            "scaleSetEvictionPolicy",
            json!(eviction.unwrap_or_else(|| "Delete".into())),
        );
        util::default(&mut p, "spotMaxPrice", json!(-1));
    }
    util::default(&mut p, "scaleDownMode", json!("Delete"));
    util::default(&mut p, "upgradeSettings", json!({"maxSurge": "10%"}));
    let sku = p
        .get("osSKU")
        .and_then(Value::as_str)
        .unwrap_or("Ubuntu")
        .to_string();
    let image = match sku.as_str() {
        s if s.starts_with("Windows") => "AKSWindows-2022-containerd-20348.4405.251112".to_string(),
        "AzureLinux" | "AzureLinux3" | "CBLMariner" => {
            "AKSAzureLinux-V3gen2-202511.07.0".to_string()
        }
        _ => "AKSUbuntu-2204gen2containerd-202511.07.0".to_string(),
    };
    util::default(&mut p, "nodeImageVersion", json!(image));
    Ok(p)
}

fn pool_row(
    cluster_id: &str,
    cluster_id_lc: &str,
    sub: &str,
    rg: &str,
    name: &str,
    props: Map<String, Value>,
) -> Row {
    let id = format!("{cluster_id}/agentPools/{name}");
    Row {
        id_lc: id.to_ascii_lowercase(),
        id: id.clone(),
        type_lc: POOL_TYPE_LC.into(),
        sub: sub.to_ascii_lowercase(),
        rg: rg.to_ascii_lowercase(),
        parent_lc: cluster_id_lc.to_string(),
        body: json!({ "id": id, "name": name, "type": POOL_TYPE, "properties": Value::Object(props) }),
        op_id: None,
    }
}

fn cluster_net(props: &Value) -> ClusterNet {
    let np = props.get("networkProfile").cloned().unwrap_or(Value::Null);
    let s = |k: &str| np.get(k).and_then(Value::as_str).map(str::to_string);
    ClusterNet {
        plugin: s("networkPlugin").unwrap_or_else(|| "azure".into()),
        overlay: s("networkPluginMode").as_deref() == Some("overlay"),
        service_cidr: s("serviceCidr").and_then(|c| c.parse().ok()),
        pod_cidr: s("podCidr").and_then(|c| c.parse().ok()),
    }
}

/// PUT managedClusters/{name}. Validates the spec's enums and types, CIDRs
/// (dnsServiceIP inside serviceCidr, no service/pod overlap), immutable fields
/// (`PropertyChangeNotAllowed`: dnsPrefix, fqdnSubdomain, networkProfile.{networkPlugin,
/// networkPluginMode, podCidr, serviceCidr, dnsServiceIP, outboundType},
/// apiServerAccessProfile.enablePrivateCluster, nodeResourceGroup), requires a System pool
/// on create (`MustDefineAtLeastOneSystemPool`), and syncs `agentPoolProfiles` into
/// agentPools child resources (listed pools are created/updated; unlisted ones are kept).
pub fn put_cluster(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    let req = &ctx.request;
    let created = ctx.existing.is_none();
    Check::opt_obj(req, &["properties"])?;
    // "Basic" is the pre-2023 name the spec's own examples still send; AKS accepts it.
    let sku_name = Check::opt_enum(req, &["sku", "name"], &["Base", "Automatic", "Basic"])?;
    let sku_tier = Check::opt_enum(req, &["sku", "tier"], &["Premium", "Standard", "Free"])?;
    let id_type = Check::opt_enum(
        req,
        &["identity", "type"],
        &["SystemAssigned", "UserAssigned", "None"],
    )?;
    let rp = req.get("properties").cloned().unwrap_or_else(|| json!({}));
    let old = ctx.existing.as_ref().map(|e| e.body.clone());
    let old_props = old
        .as_ref()
        .and_then(|o| o.get("properties").cloned())
        .unwrap_or_else(|| json!({}));

    // Immutable top-level properties.
    for k in ["dnsPrefix", "fqdnSubdomain", "nodeResourceGroup"] {
        if let (Some(n), Some(o)) = (rp.get(k), old_props.get(k))
            && !n.is_null()
            && !same(n, o)
        {
            return Err(immutable(&format!("properties.{k}")));
        }
    }
    if let (Some(n), Some(o)) = (
        at(&rp, &["apiServerAccessProfile", "enablePrivateCluster"]),
        at(
            &old_props,
            &["apiServerAccessProfile", "enablePrivateCluster"],
        ),
    ) && !n.is_null()
        && n != o
    {
        return Err(immutable(
            "properties.apiServerAccessProfile.enablePrivateCluster",
        ));
    }

    // Properties = existing (minus read-only) overlaid with the request.
    let mut p: Map<String, Value> = match &old_props {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    if let Value::Object(m) = &rp {
        for (k, v) in m {
            if v.is_null() || k == "networkProfile" || k == "agentPoolProfiles" {
                continue;
            }
            p.insert(k.clone(), v.clone());
        }
    }
    for ro in [
        "provisioningState",
        "powerState",
        "maxAgentPools",
        "currentKubernetesVersion",
        "fqdn",
        "privateFQDN",
        "azurePortalFQDN",
        "resourceUID",
        "agentPoolProfiles",
        "status",
    ] {
        p.remove(ro);
    }
    // Secrets are write-only (x-ms-secret) and never stored or returned.
    for path in [
        ["servicePrincipalProfile", "secret"],
        ["windowsProfile", "adminPassword"],
        ["aadProfile", "serverAppSecret"],
    ] {
        if let Some(Value::Object(m)) = p.get_mut(path[0]) {
            m.remove(path[1]);
        }
    }
    Check::opt_bool(&Value::Object(p.clone()), &["enableRBAC"])?;
    Check::opt_enum(
        &Value::Object(p.clone()),
        &["supportPlan"],
        &["KubernetesOfficial", "AKSLongTermSupport"],
    )?;
    Check::opt_enum(
        &Value::Object(p.clone()),
        &["autoUpgradeProfile", "upgradeChannel"],
        &["rapid", "stable", "patch", "node-image", "none"],
    )?;
    Check::opt_enum(
        &Value::Object(p.clone()),
        &["autoUpgradeProfile", "nodeOSUpgradeChannel"],
        &["None", "Unmanaged", "NodeImage", "SecurityPatch"],
    )?;
    Check::opt_enum(
        &Value::Object(p.clone()),
        &["publicNetworkAccess"],
        &["Enabled", "Disabled"],
    )?;

    // dnsPrefix / fqdnSubdomain: exactly one (AKS requires one of them).
    let dns_prefix = Check::opt_str(&Value::Object(p.clone()), &["dnsPrefix"])?.map(str::to_string);
    let fqdn_sub =
        Check::opt_str(&Value::Object(p.clone()), &["fqdnSubdomain"])?.map(str::to_string);
    match (&dns_prefix, &fqdn_sub) {
        (None, None) => {
            return Err(ArmError::bad(
                "InvalidParameter",
                "Either properties.dnsPrefix or properties.fqdnSubdomain must be specified.",
            )
            .with_target("properties.dnsPrefix"));
        }
        (Some(_), Some(_)) => {
            return Err(ArmError::bad(
                "InvalidParameter",
                "properties.dnsPrefix and properties.fqdnSubdomain cannot both be specified.",
            )
            .with_target("properties.fqdnSubdomain"));
        }
        _ => {}
    }
    if let Some(d) = &dns_prefix {
        let cs: Vec<char> = d.chars().collect();
        let ok = !cs.is_empty()
            && cs.len() <= 54
            && cs[0].is_ascii_alphanumeric()
            && cs[cs.len() - 1].is_ascii_alphanumeric()
            && cs.iter().all(|c| c.is_ascii_alphanumeric() || *c == '-');
        if !ok {
            return Err(ArmError::bad("InvalidParameter", format!("DNS prefix '{d}' is invalid: 1-54 letters, digits or hyphens, starting and ending with a letter or digit.")).with_target("properties.dnsPrefix"));
        }
    }

    // Kubernetes version.
    let kv_req = Check::opt_str(&rp, &["kubernetesVersion"])?;
    let kv = match kv_req {
        Some(v) if !v.trim().is_empty() => v.to_string(),
        _ => old_props
            .get("kubernetesVersion")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_default(),
    };
    let prev_current = old_props
        .get("currentKubernetesVersion")
        .and_then(Value::as_str);
    let current = keep_running_patch(
        &kv,
        resolve_version(&kv, "properties.kubernetesVersion")?,
        prev_current,
    );
    if let Some(prev) = prev_current {
        check_version_change(prev, &current, true, "properties.kubernetesVersion")?;
    }
    let kv = if kv.is_empty() { current.clone() } else { kv };
    p.insert("kubernetesVersion".into(), json!(kv));
    p.insert("currentKubernetesVersion".into(), json!(current));

    // Network profile: existing, overlaid with the request, checked for immutables, defaulted.
    let old_np = old_props.get("networkProfile").cloned();
    let mut np: Map<String, Value> = match &old_np {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    if let Some(req_np) = Check::opt_obj(&rp, &["networkProfile"])? {
        let rnp = Value::Object(req_np.clone());
        Check::opt_enum(&rnp, &["networkPlugin"], &["azure", "kubenet", "none"])?;
        Check::opt_enum(&rnp, &["networkPluginMode"], &["overlay"])?;
        Check::opt_enum(
            &rnp,
            &["networkPolicy"],
            &["none", "calico", "azure", "cilium"],
        )?;
        Check::opt_enum(&rnp, &["networkDataplane"], &["azure", "cilium"])?;
        Check::opt_enum(
            &rnp,
            &["outboundType"],
            &[
                "loadBalancer",
                "userDefinedRouting",
                "managedNATGateway",
                "userAssignedNATGateway",
                "none",
            ],
        )?;
        Check::opt_enum(&rnp, &["loadBalancerSku"], &["standard", "basic"])?;
        for k in ["podCidr", "serviceCidr", "dnsServiceIP"] {
            Check::opt_str(&rnp, &[k])?;
        }
        if let Some(old) = &old_np {
            for k in [
                "networkPlugin",
                "networkPluginMode",
                "podCidr",
                "serviceCidr",
                "dnsServiceIP",
                "outboundType",
            ] {
                if let (Some(n), Some(o)) = (req_np.get(k), old.get(k))
                    && !n.is_null()
                    && !same(n, o)
                {
                    return Err(immutable(&format!("properties.networkProfile.{k}")));
                }
            }
        }
        for (k, v) in req_np {
            if !v.is_null() {
                np.insert(k.clone(), v.clone());
            }
        }
    }
    if created {
        // No plugin given: Azure CNI Overlay (the AKS default in current API versions).
        if !np.contains_key("networkPlugin") {
            np.insert("networkPlugin".into(), json!("azure"));
            util::default(&mut np, "networkPluginMode", json!("overlay"));
        }
        let plugin = np
            .get("networkPlugin")
            .and_then(Value::as_str)
            .unwrap_or("azure")
            .to_string();
        let overlay = np.get("networkPluginMode").and_then(Value::as_str) == Some("overlay");
        if plugin == "kubenet" || overlay {
            util::default(&mut np, "podCidr", json!("10.244.0.0/16"));
        }
        util::default(&mut np, "serviceCidr", json!("10.0.0.0/16"));
        util::default(&mut np, "dnsServiceIP", json!("10.0.0.10"));
        util::default(&mut np, "outboundType", json!("loadBalancer"));
        util::default(&mut np, "loadBalancerSku", json!("standard"));
        util::default(&mut np, "ipFamilies", json!(["IPv4"]));
        if let Some(pc) = np.get("podCidr").cloned() {
            util::default(&mut np, "podCidrs", json!([pc]));
        }
        let sc = np.get("serviceCidr").cloned().unwrap_or(Value::Null);
        util::default(&mut np, "serviceCidrs", json!([sc]));
    }
    let npv = Value::Object(np.clone());
    let service = match Check::opt_str(&npv, &["serviceCidr"])? {
        Some(s) => Some(parse_cidr(s, "properties.networkProfile.serviceCidr")?),
        None => None,
    };
    let pod = match Check::opt_str(&npv, &["podCidr"])? {
        Some(s) => Some(parse_cidr(s, "properties.networkProfile.podCidr")?),
        None => None,
    };
    if let (Some(s), Some(pc)) = (service, pod)
        && overlaps(&s, &pc)
    {
        return Err(ArmError::bad(
            "InvalidParameter",
            format!("The serviceCidr {s} overlaps with the podCidr {pc}."),
        )
        .with_target("properties.networkProfile.serviceCidr"));
    }
    if let Some(dns) = Check::opt_str(&npv, &["dnsServiceIP"])? {
        let ip: IpAddr = dns.parse().map_err(|_| {
            ArmError::bad(
                "InvalidParameter",
                format!("dnsServiceIP '{dns}' is not a valid IP address."),
            )
            .with_target("properties.networkProfile.dnsServiceIP")
        })?;
        if let Some(s) = service
            && (!s.contains(&ip)
                || ip == s.network()
                || ip == s.broadcast()
                || Some(ip) == s.hosts().next())
        {
            return Err(ArmError::bad(
                "InvalidParameter",
                format!("The dnsServiceIP {ip} must be within the serviceCidr {s} and must not be its network address, its first address (used by the kubernetes service) or its broadcast address."),
            )
            .with_target("properties.networkProfile.dnsServiceIP"));
        }
    }
    let outbound = np
        .get("outboundType")
        .and_then(Value::as_str)
        .unwrap_or("loadBalancer")
        .to_string();
    let location = ctx.location.clone().unwrap_or_default();
    let node_rg = p
        .get("nodeResourceGroup")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("MC_{}_{}_{}", ctx.rg, ctx.name, location));
    if outbound == "loadBalancer" {
        let lbp = util::obj_mut(&mut Value::Object(Map::new()), &[]).clone();
        let mut lbp = np
            .get("loadBalancerProfile")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or(lbp);
        let has_own = lbp.contains_key("outboundIPs") || lbp.contains_key("outboundIPPrefixes");
        if !has_own {
            util::default(&mut lbp, "managedOutboundIPs", json!({"count": 1}));
        }
        let n = at(
            &Value::Object(lbp.clone()),
            &["managedOutboundIPs", "count"],
        )
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .max(0);
        let eff: Vec<Value> = if has_own {
            Vec::new()
        } else {
            (0..n)
                .map(|i| json!({"id": format!("/subscriptions/{}/resourceGroups/{node_rg}/providers/Microsoft.Network/publicIPAddresses/{}", ctx.sub, util::guid_from(&format!("{}#ip{i}", ctx.id_lc)))}))
                .collect()
        };
        lbp.insert("effectiveOutboundIPs".into(), Value::Array(eff));
        util::default(&mut lbp, "backendPoolType", json!("nodeIPConfiguration"));
        np.insert("loadBalancerProfile".into(), Value::Object(lbp));
    }
    p.insert("networkProfile".into(), Value::Object(np.clone()));
    let net = ClusterNet {
        plugin: np
            .get("networkPlugin")
            .and_then(Value::as_str)
            .unwrap_or("azure")
            .to_string(),
        overlay: np.get("networkPluginMode").and_then(Value::as_str) == Some("overlay"),
        service_cidr: service,
        pod_cidr: pod,
    };

    // Server-set fields.
    p.insert("nodeResourceGroup".into(), json!(node_rg));
    util::default(&mut p, "enableRBAC", json!(true));
    util::default(&mut p, "supportPlan", json!("KubernetesOfficial"));
    util::default(&mut p, "maxAgentPools", json!(100));
    p.insert("maxAgentPools".into(), json!(100));
    util::default(
        &mut p,
        "autoUpgradeProfile",
        json!({"upgradeChannel": "none", "nodeOSUpgradeChannel": "NodeImage"}),
    );
    let hash = format!("{:08x}", util::fnv(&ctx.id_lc) as u32);
    let private = at(
        &Value::Object(p.clone()),
        &["apiServerAccessProfile", "enablePrivateCluster"],
    )
    .and_then(Value::as_bool)
        == Some(true);
    let label = dns_prefix
        .clone()
        .unwrap_or_else(|| fqdn_sub.clone().unwrap_or_default());
    if private {
        let ap = util::obj_mut(p.entry("apiServerAccessProfile").or_insert(json!({})), &[]);
        util::default(ap, "privateDNSZone", json!("system"));
        util::default(ap, "enablePrivateClusterPublicFQDN", json!(true));
        let zone = ap
            .get("privateDNSZone")
            .and_then(Value::as_str)
            .unwrap_or("system")
            .to_string();
        let public_fqdn = ap
            .get("enablePrivateClusterPublicFQDN")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let private_fqdn = if zone.starts_with('/') {
            let zone_name = zone.rsplit('/').next().unwrap_or("");
            format!("{label}.{zone_name}")
        } else {
            format!(
                "{label}-{hash}.{}.privatelink.{location}.azmk8s.io",
                util::guid_from(&ctx.id_lc)
            )
        };
        p.insert("privateFQDN".into(), json!(private_fqdn));
        if public_fqdn && dns_prefix.is_some() {
            p.insert(
                "fqdn".into(),
                json!(format!("{label}-{hash}.hcp.{location}.azmk8s.io")),
            );
        }
    } else {
        p.insert(
            "fqdn".into(),
            json!(format!("{label}-{hash}.hcp.{location}.azmk8s.io")),
        );
    }
    p.insert(
        "azurePortalFQDN".into(),
        json!(format!("{label}-{hash}.portal.hcp.{location}.azmk8s.io")),
    );
    let uid = old_props.get("resourceUID").cloned().unwrap_or_else(|| {
        json!(format!(
            "{:024x}",
            util::fnv(&format!("{}{}", ctx.id_lc, ctx.now_ms)) as u128 * 0x1_0000_0001
        ))
    });
    p.insert("resourceUID".into(), uid);
    if at(&Value::Object(p.clone()), &["oidcIssuerProfile", "enabled"]).and_then(Value::as_bool)
        == Some(true)
    {
        let url = format!(
            "https://{location}.oic.prod-aks.azure.com/{LOCAL_TENANT}/{}/",
            util::guid_from(&format!("{}#oidc", ctx.id_lc))
        );
        util::obj_mut(p.entry("oidcIssuerProfile").or_insert(json!({})), &[])
            .insert("issuerURL".into(), json!(url));
    }
    if id_type.as_deref().is_some_and(|t| t != "None")
        || (id_type.is_none() && p.get("servicePrincipalProfile").is_none())
    {
        let kubelet = format!(
            "/subscriptions/{}/resourcegroups/{node_rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}-agentpool",
            ctx.sub, ctx.name
        );
        util::default(
            &mut p,
            "identityProfile",
            json!({"kubeletidentity": {"resourceId": kubelet, "clientId": util::guid_from(&format!("{kubelet}#client")), "objectId": util::guid_from(&format!("{kubelet}#object"))}}),
        );
    }

    // Agent pool profiles ↔ agentPools children.
    let profiles = Check::opt_arr(&rp, &["agentPoolProfiles"])?
        .cloned()
        .unwrap_or_default();
    let existing_pools = match &ctx.existing {
        Some(e) => store::children(ctx.tx, &e.id_lc, POOL_TYPE_LC)?,
        None => Vec::new(),
    };
    if created && profiles.is_empty() {
        return Err(ArmError::bad(
            "MustDefineAtLeastOneSystemPool",
            "Must define at least one system pool.",
        )
        .with_target("properties.agentPoolProfiles"));
    }
    let any_mode = profiles
        .iter()
        .any(|pr| pr.get("mode").is_some_and(|m| !m.is_null()));
    let mut children = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (i, pr) in profiles.iter().enumerate() {
        let field = format!("properties.agentPoolProfiles[{i}]");
        let Some(m) = pr.as_object() else {
            return Err(ArmError::bad(
                "InvalidRequestContent",
                format!("'{field}' must be an object."),
            )
            .with_target(field));
        };
        let Some(name) = Check::opt_str(pr, &["name"])? else {
            return Err(
                ArmError::bad("InvalidParameter", format!("'{field}.name' is required."))
                    .with_target(format!("{field}.name")),
            );
        };
        let valid = {
            let cs: Vec<char> = name.chars().collect();
            !cs.is_empty()
                && cs.len() <= 12
                && cs[0].is_ascii_lowercase()
                && cs
                    .iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        };
        if !valid {
            return Err(ArmError::bad(
                "InvalidParameter",
                format!("Agent pool name '{name}' is invalid: ^[a-z][a-z0-9]{{0,11}}$."),
            )
            .with_target(format!("{field}.name")));
        }
        if names.iter().any(|n| n == name) {
            return Err(ArmError::bad(
                "InvalidParameter",
                format!("Agent pool name '{name}' appears more than once."),
            )
            .with_target(format!("{field}.name")));
        }
        names.push(name.to_string());
        let id_lc = format!("{}/agentpools/{}", ctx.id_lc, name);
        let old = existing_pools.iter().find(|r| r.id_lc == id_lc);
        let default_mode = if !any_mode && i == 0 && created {
            "System"
        } else {
            "User"
        };
        let props = build_pool(
            ctx.tx,
            &ctx.sub,
            &field,
            m,
            old.and_then(|o| o.body.get("properties")),
            &kv,
            &current,
            &net,
            default_mode,
        )?;
        let mut row = pool_row(&ctx.id, &ctx.id_lc, &ctx.sub, &ctx.rg, name, props);
        if let Some(o) = old {
            row.id = o.id.clone();
            row.body["id"] = json!(o.id);
        }
        children.push(ChildWrite {
            row,
            created: old.is_none(),
            delete: false,
        });
    }
    let pools_after = existing_pools
        .iter()
        .filter(|r| !children.iter().any(|c| c.row.id_lc == r.id_lc))
        .count()
        + children.len();
    check_pool_limit(pools_after, &ctx.name)?;
    let system_after = existing_pools
        .iter()
        .filter(|r| !children.iter().any(|c| c.row.id_lc == r.id_lc))
        .chain(children.iter().map(|c| &c.row))
        .any(|r| at(&r.body, &["properties", "mode"]).and_then(Value::as_str) == Some("System"));
    if !system_after {
        return Err(ArmError::bad(
            "MustDefineAtLeastOneSystemPool",
            "Must define at least one system pool.",
        )
        .with_target("properties.agentPoolProfiles"));
    }

    // Identity (read-only principal IDs filled in).
    let mut body = json!({ "properties": Value::Object(p) });
    let mut sku = old
        .as_ref()
        .and_then(|o| o.get("sku").cloned())
        .unwrap_or_else(|| json!({}));
    if let Some(n) = sku_name {
        sku["name"] = json!(n);
    }
    if let Some(t) = sku_tier {
        sku["tier"] = json!(t);
    }
    if let Value::Object(m) = &mut sku {
        util::default(m, "name", json!("Base"));
        util::default(m, "tier", json!("Free"));
    }
    body["sku"] = sku;
    if let Some(kind) = Check::opt_str(req, &["kind"])? {
        body["kind"] = json!(kind);
    }
    match id_type.as_deref() {
        Some("SystemAssigned") => {
            body["identity"] = json!({"type": "SystemAssigned", "principalId": util::guid_from(&format!("{}#principal", ctx.id_lc)), "tenantId": LOCAL_TENANT});
        }
        Some("UserAssigned") => {
            let Some(uai) = Check::opt_obj(req, &["identity", "userAssignedIdentities"])? else {
                return Err(ArmError::bad("InvalidParameter", "identity.userAssignedIdentities is required when identity.type is UserAssigned.").with_target("identity.userAssignedIdentities"));
            };
            let mut out = Map::new();
            for k in uai.keys() {
                out.insert(k.clone(), json!({"principalId": util::guid_from(&format!("{}#p", k.to_ascii_lowercase())), "clientId": util::guid_from(&format!("{}#c", k.to_ascii_lowercase()))}));
            }
            body["identity"] =
                json!({"type": "UserAssigned", "userAssignedIdentities": Value::Object(out)});
        }
        Some(_) => body["identity"] = json!({"type": "None"}),
        None => {
            if let Some(i) = old.as_ref().and_then(|o| o.get("identity")) {
                body["identity"] = i.clone();
            }
        }
    }
    Ok(PutOut { body, children })
}

/// PUT managedClusters/{c}/agentPools/{name}: the pool rules of [`put_cluster`] (mode
/// defaults to User).
/// The most agent pools a cluster may have: 100 ("Maximum node pools per cluster: 100",
/// https://learn.microsoft.com/azure/aks/quotas-skus-regions#service-quotas-and-limits; the
/// spec's read-only `maxAgentPools`, which the emulator reports as 100).
pub const MAX_AGENT_POOLS: usize = 100;

/// 400 `OperationNotAllowed` when a write would leave `cluster` with more than
/// [`MAX_AGENT_POOLS`] pools. The limit is documented; the code is AKS's usual refusal of a
/// disallowed write, and the wording is the emulator's (AKS's own message was not found).
fn check_pool_limit(pools_after: usize, cluster: &str) -> ArmResult<()> {
    if pools_after > MAX_AGENT_POOLS {
        return Err(ArmError::bad(
            "OperationNotAllowed",
            format!(
                "The managed cluster '{cluster}' would have {pools_after} agent pools; the maximum is {MAX_AGENT_POOLS} (maxAgentPools). See https://learn.microsoft.com/azure/aks/quotas-skus-regions."
            ),
        )
        .with_target("properties.agentPoolProfiles"));
    }
    Ok(())
}

pub fn put_pool(ctx: &PutCtx<'_, '_>) -> ArmResult<PutOut> {
    let Some(cluster) = &ctx.parent else {
        return Err(ArmError::new(
            404,
            "ParentResourceNotFound",
            "The managed cluster could not be found.",
        ));
    };
    if ctx.existing.is_none() {
        let n = store::children(ctx.tx, &cluster.id_lc, POOL_TYPE_LC)?.len();
        let name = cluster
            .body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("");
        check_pool_limit(n + 1, name)?;
    }
    let req = Check::opt_obj(&ctx.request, &["properties"])?
        .cloned()
        .unwrap_or_default();
    let cp = cluster
        .body
        .get("properties")
        .cloned()
        .unwrap_or(Value::Null);
    let kv = cp
        .get("kubernetesVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let cur = cp
        .get("currentKubernetesVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let net = cluster_net(&cp);
    let old = ctx.existing.as_ref().and_then(|e| e.body.get("properties"));
    if let (Some(o), Some(n)) = (old, req.get("mode").and_then(Value::as_str))
        && o.get("mode").and_then(Value::as_str) == Some("System")
        && n != "System"
    {
        let other_system = store::children(ctx.tx, &cluster.id_lc, POOL_TYPE_LC)?
            .iter()
            .any(|r| {
                r.id_lc != ctx.id_lc
                    && at(&r.body, &["properties", "mode"]).and_then(Value::as_str)
                        == Some("System")
            });
        if !other_system {
            return Err(ArmError::bad(
                "MustDefineAtLeastOneSystemPool",
                "Must define at least one system pool: this is the cluster's last System pool.",
            )
            .with_target("properties.mode"));
        }
    }
    let props = build_pool(
        ctx.tx,
        &ctx.sub,
        "properties",
        &req,
        old,
        &kv,
        &cur,
        &net,
        "User",
    )?;
    let row = pool_row(
        &cluster.id,
        &cluster.id_lc,
        &ctx.sub,
        &ctx.rg,
        &ctx.name,
        props,
    );
    let mut body = row.body;
    body["id"] = json!(ctx.id);
    Ok(PutOut {
        body,
        children: Vec::new(),
    })
}

/// Deleting the last System pool of a cluster → 400 `OperationNotAllowed`.
pub fn check_pool_delete(tx: &Transaction<'_>, pool: &Row) -> ArmResult<()> {
    if at(&pool.body, &["properties", "mode"]).and_then(Value::as_str) != Some("System") {
        return Ok(());
    }
    let others = store::children(tx, &pool.parent_lc, POOL_TYPE_LC)?;
    let another = others.iter().any(|r| {
        r.id_lc != pool.id_lc
            && at(&r.body, &["properties", "mode"]).and_then(Value::as_str) == Some("System")
            && at(&r.body, &["properties", "provisioningState"]).and_then(Value::as_str)
                != Some("Deleting")
    });
    if another {
        Ok(())
    } else {
        Err(ArmError::bad(
            "OperationNotAllowed",
            "Cannot delete the last system node pool of a managed cluster: a cluster needs at least one System pool.",
        ))
    }
}

/// `1.33.5` → `1.33.6`: the next patch of the same minor (AKS publishes patches within a
/// minor; auto-upgrade channel `patch` moves clusters to them). `None` if not `x.y.z`.
fn next_patch(v: &str) -> Option<String> {
    let parts: Vec<u32> = v
        .split('.')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    match parts.as_slice() {
        [major, minor, patch] => Some(format!("{major}.{minor}.{}", patch + 1)),
        _ => None,
    }
}

/// A newer node image of the same family: the last numeric `.`-component plus one
/// (`AKSUbuntu-2204gen2containerd-202511.07.0` → `...-202511.07.1`,
/// `AKSWindows-2022-containerd-20348.4405.251112` → `...251113`); an image without one
/// gets `.1` appended.
fn next_node_image(v: &str) -> String {
    match v.rsplit_once('.') {
        Some((head, last)) if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) => {
            match last.parse::<u64>() {
                Ok(n) => format!("{head}.{}", n + 1),
                Err(_) => format!("{v}.1"),
            }
        }
        _ => format!("{v}.1"),
    }
}

/// A request that names only a minor (`requested` = `1.33`, resolved to its newest known
/// patch `1.33.5`) keeps the running patch of that minor when it is newer (the cluster was
/// auto-upgraded to `1.33.6`): AKS runs the latest patch of the minor asked for. A full
/// version (`1.33.2`) is taken as asked (and refused if it is a downgrade, see
/// [`check_version_change`]).
fn keep_running_patch(requested: &str, resolved: String, running: Option<&str>) -> String {
    let Some(run) = running else {
        return resolved;
    };
    if requested.trim().split('.').count() != 2 {
        return resolved;
    }
    let patch = |v: &str| v.split('.').nth(2).and_then(|p| p.parse::<u32>().ok());
    match (patch(&resolved), patch(run)) {
        (Some(a), Some(b)) if minor_of(&resolved) == minor_of(run) && b > a => run.to_string(),
        _ => resolved,
    }
}

/// A running version `prev` becoming `next` (both `x.y.z`). A downgrade (patch or minor)
/// → 400 `OperationNotAllowed` "Downgrading Kubernetes version {prev} to {next} is not
/// allowed. Available upgrades: [...]. Please see https://aka.ms/aks-supported-k8s-ver for
/// version details." (AKS's answer, quoted in rancher/rancher#24071); for the control plane
/// (`control_plane`), skipping a minor → 400 `OperationNotAllowed` "Upgrading Kubernetes
/// version {prev} to {next} is not allowed. Available upgrades: [...]. ..." (quoted in
/// rancher/dashboard#11884). Pools are only checked for downgrades (the same wording, by
/// analogy: unconfirmed for pools).
fn check_version_change(prev: &str, next: &str, control_plane: bool, field: &str) -> ArmResult<()> {
    let patch = |v: &str| {
        v.split('.')
            .nth(2)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let (pm, nm) = (minor_of(prev), minor_of(next));
    let down = nm < pm || (nm == pm && patch(next) < patch(prev));
    let skip = control_plane && nm.0 == pm.0 && nm.1 > pm.1 + 1;
    if !down && !skip {
        return Ok(());
    }
    // Available upgrades: newer patches of the running minor and patches of the next minor,
    // newest first.
    let mut avail = Vec::new();
    for (m, newest) in K8S {
        let mm = minor_of(m);
        if mm == pm || (mm.0 == pm.0 && mm.1 == pm.1 + 1) {
            for p in (0..=*newest).rev() {
                if mm != pm || p > patch(prev) {
                    avail.push(format!("{m}.{p}"));
                }
            }
        }
    }
    avail.sort_by_key(|v| std::cmp::Reverse((minor_of(v), patch(v))));
    let verb = if down { "Downgrading" } else { "Upgrading" };
    Err(ArmError::bad(
        "OperationNotAllowed",
        format!(
            "{verb} Kubernetes version {prev} to {next} is not allowed. Available upgrades: [{}]. Please see https://aka.ms/aks-supported-k8s-ver for version details.",
            avail.join(" ")
        ),
    )
    .with_target(field))
}

/// What [`auto_upgrade`] changed on one resource: `(field, from, to)`.
type Change = (String, String, String);

/// Server-side AKS auto-upgrade (the emulator's admin endpoint
/// `POST /capz-emulator/aks-auto-upgrade?cluster={armId}`, not an ARM API): without any
/// client PUT, moves the cluster's `currentKubernetesVersion` and every agent pool's
/// `currentOrchestratorVersion` to the next patch of their own minor and every pool's
/// `nodeImageVersion` to a newer image, as AKS's auto-upgrade channels `patch` and
/// `node-image` do (https://learn.microsoft.com/en-us/azure/aks/auto-upgrade-cluster).
/// `kubernetesVersion`/`orchestratorVersion` keep what the user set; each changed resource
/// gets a new `eTag` and stays `provisioningState: Succeeded` (the upgrade is applied at
/// once). Returns `{cluster, changes: [{id, field, from, to}]}`.
///
/// Errors: 404 `ResourceNotFound` (no such cluster), 409 `OperationNotAllowed` (the cluster
/// or a pool has an operation in progress, or is not `Succeeded`: AKS does not auto-upgrade
/// a cluster mid-operation or in a failed state), 400 `InvalidParameter` (a stored version
/// is not `x.y.z`).
pub fn auto_upgrade(tx: &Transaction<'_>, cluster_id: &str) -> ArmResult<Value> {
    let id_lc = cluster_id.trim_end_matches('/').to_ascii_lowercase();
    let Some(mut cluster) = store::get(tx, &id_lc)?
        .filter(|r| r.type_lc == "microsoft.containerservice/managedclusters")
    else {
        return Err(ArmError::new(
            404,
            "ResourceNotFound",
            format!("The managed cluster '{cluster_id}' was not found."),
        ));
    };
    let mut pools = store::children(tx, &cluster.id_lc, POOL_TYPE_LC)?;
    let busy = |r: &Row| {
        r.op_id.is_some()
            || at(&r.body, &["properties", "provisioningState"]).and_then(Value::as_str)
                != Some("Succeeded")
    };
    if let Some(r) = std::iter::once(&cluster)
        .chain(pools.iter())
        .find(|r| busy(r))
    {
        return Err(ArmError::new(
            409,
            "OperationNotAllowed",
            format!(
                "Auto-upgrade skipped: '{}' has an operation in progress or is not Succeeded.",
                r.id
            ),
        ));
    }
    let mut changes: Vec<(String, Change)> = Vec::new();
    let bump = |body: &mut Value, field: &str, next: &dyn Fn(&str) -> Option<String>| {
        let props = util::obj_mut(body, &["properties"]);
        let from = props.get(field).and_then(Value::as_str).unwrap_or("");
        let to = next(from).ok_or_else(|| {
            ArmError::bad(
                "InvalidParameter",
                format!("The stored {field} '{from}' is not a version this emulator can upgrade."),
            )
        })?;
        let change = (field.to_string(), from.to_string(), to.clone());
        props.insert(field.into(), json!(to));
        Ok::<Change, ArmError>(change)
    };
    let c = bump(&mut cluster.body, "currentKubernetesVersion", &next_patch)?;
    cluster.body["eTag"] = json!(util::uuid());
    changes.push((cluster.id.clone(), c));
    for pool in &mut pools {
        let v = bump(&mut pool.body, "currentOrchestratorVersion", &next_patch)?;
        let img = bump(&mut pool.body, "nodeImageVersion", &|s| {
            Some(next_node_image(s))
        })?;
        util::obj_mut(&mut pool.body, &["properties"]).insert("eTag".into(), json!(util::uuid()));
        changes.push((pool.id.clone(), v));
        changes.push((pool.id.clone(), img));
    }
    store::put(tx, &cluster)?;
    for pool in &pools {
        store::put(tx, pool)?;
    }
    Ok(json!({
        "cluster": cluster.id,
        "changes": changes
            .into_iter()
            .map(|(id, (field, from, to))| json!({"id": id, "field": field, "from": from, "to": to}))
            .collect::<Vec<_>>(),
    }))
}
