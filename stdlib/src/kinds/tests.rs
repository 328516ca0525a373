use crate::arm::{inline_child, inline_live, live_value, resource_id, same, to_body};
use crate::catalog;
use crate::testutil::{base, s};
use lang::schema::{ArmMapping, Placement};
use lang::value::{Address, Value};
use serde_json::json;

fn ids(a: &Address) -> Option<String> {
    resource_id(catalog(), &base().program, "sub", a)
}

#[test]
fn every_field_has_a_doc_and_well_formed_path() {
    for k in &catalog().kinds {
        assert!(!k.doc.is_empty(), "{} has no doc", k.keyword);
        // A link's two ARM names are derived from its ends (`{a}-to-{b}`).
        assert!(
            k.field("name").is_some() || matches!(k.placement, Placement::Link { .. }),
            "{} has no name field",
            k.keyword
        );
        assert_eq!(
            k.field("location").is_some(),
            k.has_location || k.keyword == "group"
        );
        assert_eq!(
            k.field("tags").is_some(),
            k.taggable,
            "{} tags vs taggable",
            k.keyword
        );
        for b in &k.blocks {
            assert!(!b.doc.is_empty(), "{}.{} has no doc", k.keyword, b.keyword);
        }
        for (key, f) in k.all_fields() {
            assert!(!f.doc.trim().is_empty(), "{}.{key} has no doc", k.keyword);
            assert!(
                f.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}.{key} is not snake case",
                k.keyword
            );
            if let ArmMapping::Path(p) = f.arm {
                assert!(
                    p.split('.').all(|seg| !seg.is_empty()
                        && seg
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')),
                    "{}.{key}: bad path {p:?}",
                    k.keyword
                );
            }
        }
        for a in &k.attributes {
            assert!(!a.doc.is_empty());
            assert!(a.arm_path.split('.').all(|seg| !seg.is_empty()));
        }
        if let Placement::Child { parent, .. } = k.placement {
            let p = catalog().kind(parent).expect("parent kind exists");
            assert!(
                p.children.contains(&k.keyword),
                "{parent} does not list {}",
                k.keyword
            );
        }
        for c in &k.children {
            assert!(catalog().kind(c).is_some(), "child kind {c} missing");
        }
        assert!(k.name_rule.min >= 1 && k.name_rule.min <= k.name_rule.max);
    }
}

#[test]
fn keywords_are_unique() {
    let mut seen = std::collections::BTreeSet::new();
    for k in &catalog().kinds {
        assert!(seen.insert(k.keyword), "duplicate kind {}", k.keyword);
    }
}

#[test]
fn enum_words_are_snake_case_with_arm_spelling() {
    for k in &catalog().kinds {
        for (key, f) in k.all_fields() {
            let ty = match &f.ty {
                lang::Type::List(t) => t.as_ref(),
                t => t,
            };
            if let lang::Type::Enum(e) = ty {
                for w in e.words {
                    assert!(
                        w.word
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                        "{}.{key}: {}",
                        k.keyword,
                        w.word
                    );
                    assert!(!w.arm.is_empty() && !w.doc.is_empty());
                }
                if let Some(d) = f.default {
                    assert!(
                        e.word(d).is_some(),
                        "{}.{key}: default {d} not a word",
                        k.keyword
                    );
                }
            }
        }
    }
}

#[test]
fn name_rules() {
    let c = catalog();
    let pool = c.kind("pool").unwrap().name_rule;
    assert!((pool.valid)("system1"));
    assert!(!(pool.valid)("System"));
    assert!(!(pool.valid)("1abc"));
    let cl = c.kind("cluster").unwrap().name_rule;
    assert!((cl.valid)("a") && (cl.valid)("capz-mgmt_1"));
    assert!(!(cl.valid)("-a") && !(cl.valid)("a-"));
    let rg = c.kind("group").unwrap().name_rule;
    assert!((rg.valid)("capz-mgmt-rg(1)") && !(rg.valid)("rg.") && !(rg.valid)("a b"));
    let net = c.kind("vnet").unwrap().name_rule;
    assert!((net.valid)("net_") && !(net.valid)("net-") && !(net.valid)("_net"));
}

#[test]
fn resource_ids() {
    let p = base().program;
    let c = catalog();
    let id = |a: &str| resource_id(c, &p, "sub", &crate::testutil::addr(a)).unwrap();
    assert_eq!(id("g"), "/subscriptions/sub/resourceGroups/g");
    assert_eq!(
        id("net.nodes"),
        "/subscriptions/sub/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/net/subnets/nodes"
    );
    assert_eq!(
        id("aks.system"),
        "/subscriptions/sub/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/aks/agentPools/system"
    );
}

#[test]
fn vnet_body() {
    let b = base();
    let k = catalog().kind("vnet").unwrap();
    let body = to_body(k, b.res("net"), "dev", &ids);
    assert_eq!(
        body,
        json!({
            "location": "eastus2",
            "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}},
            "tags": {"capz-stack": "dev"}
        })
    );
    let sub = to_body(
        catalog().kind("subnet").unwrap(),
        b.res("net.nodes"),
        "dev",
        &ids,
    );
    assert_eq!(sub, json!({"properties": {"addressPrefix": "10.0.0.0/22"}}));
}

#[test]
fn cluster_body_and_inline_pool() {
    let mut b = base();
    b.program.resources[4].fields.insert(
        "sku_tier".into(),
        lang::program::FieldValue {
            value: Value::Enum("standard".into()),
            span: lang::Span::new(0, 0, 1),
        },
    );
    let c = catalog();
    let k = c.kind("cluster").unwrap();
    let body = to_body(k, b.res("aks"), "dev", &ids);
    assert_eq!(body["identity"], json!({"type": "SystemAssigned"}));
    assert_eq!(body["sku"], json!({"name": "Base", "tier": "Standard"}));
    assert_eq!(
        body["properties"]["networkProfile"],
        json!({"networkPlugin": "azure", "serviceCidr": "172.16.0.0/16", "dnsServiceIP": "172.16.0.10"})
    );
    assert_eq!(body["properties"]["dnsPrefix"], "capz-mgmt");
    assert_eq!(body["properties"]["kubernetesVersion"], "1.30");
    let pk = c.kind("pool").unwrap();
    let elem = inline_child(pk, b.res("aks.system"), "name", "dev", &ids);
    assert_eq!(
        elem,
        json!({
            "mode": "System",
            "vmSize": "Standard_D4s_v3",
            "enableAutoScaling": true,
            "minCount": 1,
            "maxCount": 3,
            "count": 1,
            "vnetSubnetID": "/subscriptions/sub/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/net/subnets/nodes",
            "name": "system"
        })
    );
    // A live agentPoolProfiles element reads back the same values.
    let live = inline_live(&elem, "name");
    for key in ["mode", "vm_size", "autoscale", "subnet"] {
        let f = pk.field(key).unwrap();
        assert!(
            same(f, b.res("aks.system").get(key).unwrap(), &live, &ids),
            "{key}"
        );
    }
    assert_eq!(
        live_value(pk.field("autoscale").unwrap(), &live),
        Some(Value::Range { start: 1, end: 3 })
    );
    // An explicit count wins over autoscale's initial count.
    let user = inline_child(pk, b.res("aks.user"), "name", "dev", &ids);
    assert_eq!(user["count"], 2);
    assert_eq!(user["mode"], "User");
}

#[test]
fn comparisons_follow_arm_normalisation() {
    let c = catalog();
    let k = c.kind("cluster").unwrap();
    let ver = k.field("kubernetes_version").unwrap();
    let live = json!({"properties": {"kubernetesVersion": "1.30.7", "networkProfile": {"networkPlugin": "Azure"}}});
    assert!(same(ver, &s("1.30"), &live, &ids));
    assert!(!same(ver, &s("1.3"), &live, &ids));
    assert!(!same(ver, &s("1.31"), &live, &ids));
    let plugin = k.field("network.plugin").unwrap();
    assert!(same(plugin, &Value::Enum("azure".into()), &live, &ids));
    let sku = k.field("sku_tier").unwrap();
    let live_sku = json!({"sku": {"name": "Base", "tier": "Standard"}});
    assert!(same(sku, &Value::Enum("standard".into()), &live_sku, &ids));
    assert!(!same(sku, &Value::Enum("free".into()), &live_sku, &ids));
    let v = c.kind("vnet").unwrap().field("address_space").unwrap();
    let live_v = json!({"properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16", "10.0.0.0/16"]}}});
    assert!(same(
        v,
        &crate::testutil::strs(&["10.0.0.0/16", "10.1.0.0/16"]),
        &live_v,
        &ids
    ));
    let loc = k.field("location").unwrap();
    assert!(same(
        loc,
        &s("East US 2"),
        &json!({"location": "eastus2"}),
        &ids
    ));
    // identity_ids compare by ID, ignoring case.
    let ii = k.field("identity_ids").unwrap();
    let live_i = json!({"identity": {"type": "UserAssigned", "userAssignedIdentities": {"/SUBSCRIPTIONS/SUB/X": {"principalId": "p"}}}});
    assert!(same(
        ii,
        &Value::List(vec![s("/subscriptions/sub/x")]),
        &live_i,
        &ids
    ));
}

#[test]
fn further_kind_bodies() {
    use crate::testutil::{Builder, e, strs};
    let mut b = Builder::new();
    b.add("group", "g", None, vec![("location", s("eastus2"))]);
    b.add("nsg", "api", Some("g"), vec![("location", s("eastus2"))]);
    b.add(
        "rule",
        "api.https",
        Some("api"),
        vec![
            ("priority", Value::Int(100)),
            ("direction", e("inbound")),
            ("access", e("allow")),
            ("protocol", e("any")),
            (
                "destination_ports",
                Value::List(vec![Value::Int(443), Value::Int(6443)]),
            ),
            ("source_addresses", strs(&["VirtualNetwork"])),
        ],
    );
    b.add(
        "private_dns_zone",
        "zone",
        Some("g"),
        vec![("name", s("eastus2.cloudapp.azure.com"))],
    );
    b.add(
        "a_record",
        "zone.api",
        Some("zone"),
        vec![("ttl", Value::Int(300)), ("ipv4", strs(&["10.0.1.100"]))],
    );
    b.add(
        "identity",
        "flux",
        Some("g"),
        vec![("location", s("eastus2"))],
    );
    b.add(
        "federated_credential",
        "flux.kc",
        Some("flux"),
        vec![
            ("issuer", s("https://issuer")),
            ("subject", s("system:serviceaccount:a:b")),
        ],
    );
    let c = catalog();
    let p = b.program.clone();
    let ids = |a: &Address| resource_id(c, &p, "sub", a);
    let rule = to_body(c.kind("rule").unwrap(), b.res("api.https"), "dev", &ids);
    assert_eq!(
        rule,
        json!({"properties": {
            "sourceAddressPrefix": "VirtualNetwork",
            "sourcePortRange": "*",
            "destinationAddressPrefix": "*",
            "priority": 100,
            "direction": "Inbound",
            "access": "Allow",
            "protocol": "*",
            "destinationPortRanges": ["443", "6443"]
        }})
    );
    let ports = c.kind("rule").unwrap().field("destination_ports").unwrap();
    assert!(same(
        ports,
        &Value::List(vec![Value::Int(443), Value::Int(6443)]),
        &rule,
        &ids
    ));
    assert!(!same(
        ports,
        &Value::List(vec![Value::Int(443)]),
        &rule,
        &ids
    ));
    let zone = to_body(
        c.kind("private_dns_zone").unwrap(),
        b.res("zone"),
        "dev",
        &ids,
    );
    assert_eq!(
        zone,
        json!({"location": "global", "tags": {"capz-stack": "dev"}})
    );
    assert_eq!(
        ids(&crate::testutil::addr("zone.api")).unwrap(),
        "/subscriptions/sub/resourceGroups/g/providers/Microsoft.Network/privateDnsZones/eastus2.cloudapp.azure.com/A/api"
    );
    let rec = to_body(c.kind("a_record").unwrap(), b.res("zone.api"), "dev", &ids);
    assert_eq!(
        rec,
        json!({"properties": {"ttl": 300, "aRecords": [{"ipv4Address": "10.0.1.100"}]}})
    );
    let fic = to_body(
        c.kind("federated_credential").unwrap(),
        b.res("flux.kc"),
        "dev",
        &ids,
    );
    assert_eq!(
        fic,
        json!({"properties": {"audiences": ["api://AzureADTokenExchange"], "issuer": "https://issuer", "subject": "system:serviceaccount:a:b"}})
    );
}

/// The bodies capz writes use the property names of the ARM examples in the spec folder.
#[test]
fn paths_exist_in_arm_examples() {
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vendor/arm-specs/specification"
    );
    let cases = [
        (
            "pool",
            "containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2026-08-01/examples/AgentPoolsGet.json",
        ),
        (
            "cluster",
            "containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2026-08-01/examples/ManagedClustersGet.json",
        ),
    ];
    for (kind, file) in cases {
        let path = format!("{root}/{file}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "vendored ARM spec example missing: {path}: {e} (see vendor/arm-specs/README.md)"
            )
        });
        let ex: serde_json::Value = serde_json::from_str(&text).unwrap();
        let body = &ex["responses"]["200"]["body"];
        let k = catalog().kind(kind).unwrap();
        for key in [
            "vm_size",
            "count",
            "os_type",
            "kubernetes_version",
            "dns_prefix",
            "max_pods",
        ] {
            if let Some(f) = k.field(key)
                && let ArmMapping::Path(p) = f.arm
            {
                assert!(
                    crate::arm::get_path(body, p).is_some(),
                    "{kind}.{key}: {p} not in {file}"
                );
            }
        }
    }
}
