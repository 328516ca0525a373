//! Resource provider metadata: the bodies of `GET /subscriptions/{s}/providers/{ns}`
//! (`Providers_Get`) and `GET /subscriptions/{s}/providers` (`Providers_List`), shaped as
//! the `Provider` / `ProviderResourceType` definitions of resources.json 2025-04-01:
//! `{id, namespace, registrationState, registrationPolicy, resourceTypes: [{resourceType,
//! locations, apiVersions, defaultApiVersion, capabilities}]}`. The types and api-versions
//! come from [`crate::kinds::KINDS`] (so the listing and what the emulator accepts cannot
//! drift apart); locations are display names as ARM lists them (`East US`), `global` for
//! private DNS.

use serde_json::{Value, json};

use crate::kinds::{Family, KINDS};
use crate::regions::REGIONS;

/// The namespaces the emulator serves, canonical casing, in [`KINDS`] order.
pub fn namespaces() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for k in KINDS {
        if !out.contains(&k.namespace()) {
            out.push(k.namespace());
        }
    }
    out
}

/// The canonical casing of a namespace the emulator serves (`microsoft.network` →
/// `Microsoft.Network`), or `ns` unchanged for one it does not.
pub fn canonical(ns: &str) -> String {
    namespaces()
        .into_iter()
        .find(|n| n.eq_ignore_ascii_case(ns))
        .map(str::to_string)
        .unwrap_or_else(|| ns.to_string())
}

/// The `resourceTypes` of namespace `ns` (case-insensitive): one entry per kind with its own
/// REST endpoint (GET-only load balancer children are part of their parent's type), with
/// every api-version the emulator accepts for it, newest first; `defaultApiVersion` is the
/// newest stable one. Empty for a namespace the emulator does not serve.
pub fn resource_types(ns: &str) -> Vec<Value> {
    let regions: Vec<&str> = REGIONS.iter().map(|(_, d)| *d).collect();
    KINDS
        .iter()
        .filter(|k| k.namespace().eq_ignore_ascii_case(ns) && !k.inline)
        .map(|k| {
            let locations: Vec<&str> = if k.family == Family::PrivateDns {
                vec!["global"]
            } else {
                regions.clone()
            };
            let default = k
                .api_versions
                .iter()
                .find(|v| !v.ends_with("-preview"))
                .copied()
                .unwrap_or("");
            let resource_type = k.type_name.split_once('/').map(|x| x.1).unwrap_or("");
            json!({
                "resourceType": resource_type,
                "locations": locations,
                "apiVersions": k.api_versions,
                "defaultApiVersion": default,
                "capabilities": if k.tracked { "SupportsTags, SupportsLocation" } else { "None" },
            })
        })
        .collect()
}

/// One `Provider` body.
pub fn provider(sub: &str, ns: &str, registration_state: &str) -> Value {
    let ns = canonical(ns);
    json!({
        "id": format!("/subscriptions/{sub}/providers/{ns}"),
        "namespace": ns,
        "registrationState": registration_state,
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": resource_types(&ns),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_type_is_listed_with_its_versions() {
        let net = resource_types("microsoft.network");
        let vnet = net
            .iter()
            .find(|t| t["resourceType"] == "virtualNetworks")
            .expect("virtualNetworks");
        let versions: Vec<&str> = vnet["apiVersions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for v in [
            "2026-03-01",
            "2025-07-01",
            "2024-07-01",
            "2023-11-01",
            "2022-01-01",
        ] {
            assert!(versions.contains(&v), "{v}");
        }
        assert_eq!(vnet["defaultApiVersion"], "2026-03-01");
        assert!(
            vnet["locations"]
                .as_array()
                .unwrap()
                .contains(&json!("West Europe"))
        );
        let zone = net
            .iter()
            .find(|t| t["resourceType"] == "privateDnsZones")
            .expect("privateDnsZones");
        assert_eq!(zone["locations"], json!(["global"]));
        assert!(
            !net.iter()
                .any(|t| t["resourceType"] == "loadBalancers/probes")
        );
        let msi = resource_types("Microsoft.ManagedIdentity");
        assert_eq!(msi[0]["defaultApiVersion"], "2026-05-31");
        assert!(resource_types("Microsoft.Compute").is_empty());
        assert_eq!(
            namespaces(),
            [
                "Microsoft.Resources",
                "Microsoft.Network",
                "Microsoft.ContainerService",
                "Microsoft.ManagedIdentity"
            ]
        );
    }
}
