//! AKS cluster settings that only work together: the network plugin, its mode, policy
//! engine and dataplane; workload identity and the OIDC issuer; Azure RBAC, admin groups and
//! managed Entra ID; the control-plane identity; the outbound profile and outbound type; and
//! ARM's reserved words in a cluster's name.

use super::{flag, word};
use lang::diagnostic::Diagnostic;
use lang::program::{Program, Resource};
use lang::schema::{Catalog, RuleDef, field_span};
use lang::value::Value;

/// The rules of this module.
pub fn rules() -> Vec<RuleDef> {
    vec![
        RuleDef {
            code: "capz::cluster::reserved-name",
            summary: "a cluster name is, contains or starts with a word ARM reserves",
            explanation: "Resources with a public endpoint (an AKS cluster has an API server FQDN) cannot use \
                trademarked or reserved words: a name may not be one of them (AZURE, OFFICE, XBOX, ...), \
                may not contain MICROSOFT or WINDOWS anywhere, and may not start with LOGIN. ARM answers \
                ReservedResourceName. Case does not matter.\n\
                Source: https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-reserved-resource-name.",
            check: reserved_name,
        },
        RuleDef {
            code: "capz::cluster::network-policy-plugin",
            summary: "network policy azure with the kubenet plugin, or a policy engine with no CNI plugin",
            explanation: "Azure Network Policy Manager works only with Azure CNI; with kubenet use calico. A \
                cluster without a CNI plugin (plugin none, bring your own CNI) cannot have AKS install a \
                policy engine.\n\
                Source: https://learn.microsoft.com/azure/aks/use-network-policies (Azure Network Policy \
                Manager: \"Supported networking options: Azure CNI\"; Calico: \"Azure CNI ... and kubenet\") \
                and https://learn.microsoft.com/azure/aks/use-byo-cni.",
            check: network_policy_plugin,
        },
        RuleDef {
            code: "capz::cluster::overlay-requires-azure-cni",
            summary: "plugin_mode = overlay without plugin = azure",
            explanation: "Azure CNI Overlay is a mode of the Azure CNI plugin: networkPluginMode overlay needs \
                networkPlugin azure.\n\
                Source: managedClusters.json `NetworkPluginMode` (overlay: \"Used with networkPlugin=azure\") \
                and https://learn.microsoft.com/azure/aks/azure-cni-overlay.",
            check: overlay_requires_azure,
        },
        RuleDef {
            code: "capz::cluster::cilium-dataplane",
            summary: "the cilium dataplane or policy is combined with a plugin or policy it does not support",
            explanation: "Azure CNI Powered by Cilium needs networkPlugin azure, and its network policy engine \
                is Cilium: networkPolicy cilium requires networkDataplane cilium, and the azure or calico \
                policy engines cannot run on the cilium dataplane.\n\
                Source: managedClusters.json `NetworkPolicy` (cilium: \"This requires networkDataplane to be \
                'cilium'\") and https://learn.microsoft.com/azure/aks/azure-cni-powered-by-cilium.",
            check: cilium_dataplane,
        },
        RuleDef {
            code: "capz::cluster::workload-identity-without-oidc",
            summary: "workload_identity is enabled without oidc_issuer",
            explanation: "Microsoft Entra Workload ID exchanges service account tokens signed by the cluster's \
                OIDC issuer; AKS refuses to enable it unless the OIDC issuer is enabled too.\n\
                Source: https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster (\"az aks \
                create ... --enable-oidc-issuer --enable-workload-identity\") and managedClusters.json \
                `ManagedClusterSecurityProfileWorkloadIdentity`.",
            check: workload_identity_without_oidc,
        },
        RuleDef {
            code: "capz::cluster::aad-without-managed",
            summary: "azure_rbac or admin_group_object_ids without managed Entra ID integration",
            explanation: "Azure RBAC for Kubernetes authorization and admin groups are features of AKS-managed \
                Microsoft Entra integration; without aadProfile.managed = true AKS refuses them.\n\
                Source: https://learn.microsoft.com/azure/aks/manage-azure-rbac (\"requires Microsoft Entra \
                integration enabled\") and https://learn.microsoft.com/azure/aks/enable-authentication-microsoft-entra-id; \
                managedClusters.json `ManagedClusterAADProfile`.",
            check: aad_without_managed,
        },
        RuleDef {
            code: "capz::cluster::aad-id-format",
            summary: "an Entra tenant or group object ID is not a GUID",
            explanation: "aadProfile.tenantID and adminGroupObjectIDs are Microsoft Entra object IDs: GUIDs \
                such as 00000000-0000-0000-0000-000000000000. A group name or a domain is refused.\n\
                Source: managedClusters.json `ManagedClusterAADProfile` (adminGroupObjectIDs: \"The list of AAD \
                group object IDs\") and https://learn.microsoft.com/azure/aks/enable-authentication-microsoft-entra-id.",
            check: aad_id_format,
        },
        RuleDef {
            code: "capz::cluster::user-assigned-identity",
            summary: "identity = user_assigned without exactly one identity, or identities with system_assigned",
            explanation: "An AKS control plane with a user-assigned identity names exactly one identity in \
                identity.userAssignedIdentities; a system-assigned identity names none.\n\
                Source: managedClusters.json `ManagedClusterIdentity.userAssignedIdentities` (\"Only one user \
                assigned identity is allowed\") and \
                https://learn.microsoft.com/azure/aks/use-managed-identity.",
            check: user_assigned_identity,
        },
        RuleDef {
            code: "capz::cluster::outbound-profile-type",
            summary: "a load_balancer_profile on a cluster whose outbound_type is not load_balancer",
            explanation: "The load balancer profile configures egress through the cluster's standard load \
                balancer; with another outbound type (user-defined routing, NAT gateway, none) AKS refuses \
                managed outbound IPs, prefixes or IPs. A basic load balancer has no outbound profile either.\n\
                Source: https://learn.microsoft.com/azure/aks/egress-outboundtype and managedClusters.json \
                `ContainerServiceNetworkProfile.loadBalancerProfile` (\"Profile of the cluster load balancer\").",
            check: outbound_profile_type,
        },
    ]
}

/// ARM's reserved whole words, from the ReservedResourceName troubleshooting page.
const RESERVED_WORDS: &[&str] = &[
    "access",
    "app_code",
    "app_themes",
    "app_data",
    "app_globalresources",
    "app_localresources",
    "app_webreferences",
    "app_browsers",
    "azure",
    "bing",
    "bizspark",
    "biztalk",
    "cortana",
    "directx",
    "dotnet",
    "dynamics",
    "excel",
    "exchange",
    "forefront",
    "groove",
    "hololens",
    "hyperv",
    "kinect",
    "lync",
    "msdn",
    "o365",
    "office",
    "office365",
    "onedrive",
    "onenote",
    "outlook",
    "powerpoint",
    "sharepoint",
    "skype",
    "visio",
    "visualstudio",
    "web.config",
    "xbox",
];

/// Why `name` is refused with ReservedResourceName, or `None`.
pub fn reserved_word(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if RESERVED_WORDS.contains(&lower.as_str()) {
        return Some(format!("`{name}` is a reserved word"));
    }
    for w in ["microsoft", "windows"] {
        if lower.contains(w) {
            return Some(format!("`{name}` contains the reserved word `{w}`"));
        }
    }
    if lower.starts_with("login") {
        return Some(format!("`{name}` starts with the reserved word `login`"));
    }
    None
}

fn reserved_name(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("cluster")
        .filter_map(|cl| {
            let why = reserved_word(&cl.name)?;
            let span = cl.fields.get("name").map_or(cl.span, |f| f.span);
            Some(
                Diagnostic::error(
                    "capz::cluster::reserved-name",
                    format!("cluster name {why}; ARM refuses it (ReservedResourceName)"),
                )
                .with_primary(span, "reserved word")
                .with_help("choose a name without Microsoft, Windows or another reserved word, e.g. \"capz-mgmt\""),
            )
        })
        .collect()
}

fn network_policy_plugin(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        let plugin = word(cl, "network.plugin");
        let policy = word(cl, "network.policy");
        let (msg, help) = match (plugin, policy) {
            (Some("kubenet"), Some("azure")) => (
                "network policy azure needs the Azure CNI plugin; this cluster uses kubenet",
                "use policy = calico with kubenet, or plugin = azure",
            ),
            (Some("none"), Some(p)) if p != "none" => (
                "a cluster without a CNI plugin (plugin = none) cannot have AKS install a network policy engine",
                "remove policy (install the policy engine with your CNI), or choose plugin = azure",
            ),
            _ => continue,
        };
        out.push(
            Diagnostic::error("capz::cluster::network-policy-plugin", msg)
                .with_primary(
                    field_span(cl, "network.policy"),
                    "not supported with this plugin",
                )
                .with_secondary(field_span(cl, "network.plugin"), "the network plugin")
                .with_help(help),
        );
    }
    out
}

fn overlay_requires_azure(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("cluster")
        .filter(|cl| {
            word(cl, "network.plugin_mode") == Some("overlay")
                && word(cl, "network.plugin").is_none_or(|pl| pl != "azure")
        })
        .map(|cl| {
            let mut d = Diagnostic::error(
                "capz::cluster::overlay-requires-azure-cni",
                "plugin_mode = overlay is a mode of Azure CNI and needs plugin = azure",
            )
            .with_primary(
                field_span(cl, "network.plugin_mode"),
                "needs plugin = azure",
            );
            if cl.get("network.plugin").is_some() {
                d = d.with_secondary(field_span(cl, "network.plugin"), "not azure");
            }
            d.with_help("set plugin = azure, or remove plugin_mode")
        })
        .collect()
}

fn cilium_dataplane(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        let plugin = word(cl, "network.plugin");
        let policy = word(cl, "network.policy");
        let dataplane = word(cl, "network.dataplane");
        let cilium = dataplane == Some("cilium");
        let d = if cilium && plugin.is_some_and(|pl| pl != "azure") {
            Diagnostic::error(
                "capz::cluster::cilium-dataplane",
                "the cilium dataplane (Azure CNI Powered by Cilium) needs plugin = azure",
            )
            .with_primary(field_span(cl, "network.plugin"), "not azure")
            .with_secondary(field_span(cl, "network.dataplane"), "cilium dataplane")
            .with_help("set plugin = azure (with plugin_mode = overlay or a pod subnet)")
        } else if cilium && matches!(policy, Some("azure" | "calico")) {
            Diagnostic::error(
                "capz::cluster::cilium-dataplane",
                format!(
                    "network policy {} cannot run on the cilium dataplane",
                    policy.unwrap_or_default()
                ),
            )
            .with_primary(
                field_span(cl, "network.policy"),
                "not supported with cilium",
            )
            .with_secondary(field_span(cl, "network.dataplane"), "cilium dataplane")
            .with_help("set policy = cilium (Cilium enforces network policies on its dataplane)")
        } else if policy == Some("cilium") && !cilium {
            let mut d = Diagnostic::error(
                "capz::cluster::cilium-dataplane",
                "network policy cilium requires dataplane = cilium",
            )
            .with_primary(field_span(cl, "network.policy"), "needs dataplane = cilium");
            if cl.get("network.dataplane").is_some() {
                d = d.with_secondary(field_span(cl, "network.dataplane"), "not cilium");
            }
            d.with_help("set dataplane = cilium, or choose policy azure or calico")
        } else {
            continue;
        };
        out.push(d);
    }
    out
}

fn workload_identity_without_oidc(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("cluster")
        .filter(|cl| {
            flag(cl, "workload_identity") == Some(true) && flag(cl, "oidc_issuer") != Some(true)
        })
        .map(|cl| {
            let mut d = Diagnostic::error(
                "capz::cluster::workload-identity-without-oidc",
                format!(
                    "cluster {} enables workload identity without the OIDC issuer",
                    cl.address
                ),
            )
            .with_primary(
                field_span(cl, "workload_identity"),
                "needs oidc_issuer = true",
            );
            if cl.get("oidc_issuer").is_some() {
                d = d.with_secondary(field_span(cl, "oidc_issuer"), "OIDC issuer off");
            }
            d.with_help("set `oidc_issuer = true`")
        })
        .collect()
}

fn aad_without_managed(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        if flag(cl, "aad.managed") == Some(true) {
            continue;
        }
        let rbac = flag(cl, "aad.azure_rbac") == Some(true);
        let groups = cl
            .get("aad.admin_group_object_ids")
            .and_then(Value::as_list)
            .is_some_and(|l| !l.is_empty());
        let key = if rbac {
            "aad.azure_rbac"
        } else if groups {
            "aad.admin_group_object_ids"
        } else {
            continue;
        };
        let mut d = Diagnostic::error(
            "capz::cluster::aad-without-managed",
            format!(
                "{} needs AKS-managed Entra ID integration (aad.managed = true)",
                key.trim_start_matches("aad.")
            ),
        )
        .with_primary(field_span(cl, key), "needs managed = true");
        if cl.get("aad.managed").is_some() {
            d = d.with_secondary(field_span(cl, "aad.managed"), "managed Entra ID off");
        }
        out.push(d.with_help("set `managed = true` in the aad block"));
    }
    out
}

/// A GUID in its 8-4-4-4-12 hexadecimal form.
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn aad_id_format(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        let mut bad: Vec<(&str, String)> = Vec::new();
        if let Some(Value::Str(t)) = cl.get("aad.tenant_id")
            && !is_guid(t)
        {
            bad.push(("aad.tenant_id", t.clone()));
        }
        if let Some(items) = cl
            .get("aad.admin_group_object_ids")
            .and_then(Value::as_list)
        {
            for it in items {
                if let Value::Str(g) = it
                    && !is_guid(g)
                {
                    bad.push(("aad.admin_group_object_ids", g.clone()));
                }
            }
        }
        for (key, v) in bad {
            out.push(
                Diagnostic::error(
                    "capz::cluster::aad-id-format",
                    format!("{} {v:?} is not a GUID", key.trim_start_matches("aad.")),
                )
                .with_primary(field_span(cl, key), "not an object ID")
                .with_help(
                    "use the object ID, e.g. from `az ad group show --group NAME --query id`",
                ),
            );
        }
    }
    out
}

fn user_assigned_identity(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        let ids = cl.get("identity_ids").and_then(Value::as_list);
        let n = ids.map_or(0, <[Value]>::len);
        let kind = word(cl, "identity");
        let d = if kind == Some("system_assigned") && n > 0 {
            Diagnostic::error(
                "capz::cluster::user-assigned-identity",
                "identity_ids are for a user-assigned control-plane identity; identity is system_assigned",
            )
            .with_primary(field_span(cl, "identity_ids"), "user-assigned identities")
            .with_secondary(field_span(cl, "identity"), "system_assigned")
            .with_help("remove `identity = system_assigned` (identity_ids implies user_assigned), or remove identity_ids")
        } else if n > 1 {
            Diagnostic::error(
                "capz::cluster::user-assigned-identity",
                format!(
                    "the control plane takes exactly one user-assigned identity; {n} are listed"
                ),
            )
            .with_primary(field_span(cl, "identity_ids"), "more than one")
            .with_help(
                "keep one identity in identity_ids (give the kubelet its own identity separately)",
            )
        } else if kind == Some("user_assigned") && n == 0 {
            Diagnostic::error(
                "capz::cluster::user-assigned-identity",
                "identity = user_assigned names no identity",
            )
            .with_primary(field_span(cl, "identity"), "needs identity_ids")
            .with_help("add `identity_ids = [my_identity]`, or use identity = system_assigned")
        } else {
            continue;
        };
        out.push(d);
    }
    out
}

fn profile_set(cl: &Resource) -> Option<&str> {
    [
        "load_balancer_profile.managed_outbound_ips",
        "load_balancer_profile.outbound_ip_prefixes",
        "load_balancer_profile.outbound_ips",
    ]
    .into_iter()
    .find(|k| cl.fields.contains_key(*k))
}

fn outbound_profile_type(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for cl in p.of_kind("cluster") {
        let Some(key) = profile_set(cl) else {
            continue;
        };
        let (other, what) = match (
            word(cl, "network.outbound_type"),
            word(cl, "network.load_balancer_sku"),
        ) {
            (Some(t), _) if t != "load_balancer" => {
                ("network.outbound_type", format!("outbound_type {t}"))
            }
            (_, Some("basic")) => (
                "network.load_balancer_sku",
                "a basic load balancer".to_string(),
            ),
            _ => continue,
        };
        out.push(
            Diagnostic::error(
                "capz::cluster::outbound-profile-type",
                format!(
                    "{} configures load balancer egress, but the cluster uses {what}",
                    key.trim_start_matches("load_balancer_profile.")
                ),
            )
            .with_primary(field_span(cl, key), "load balancer egress")
            .with_secondary(field_span(cl, other), what)
            .with_help("remove the load_balancer_profile outbound IPs, or use outbound_type = load_balancer with a standard load balancer"),
        );
    }
    out
}
