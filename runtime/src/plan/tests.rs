//! Unit tests of the diff, normalisation, PUT bodies, value resolution, the text
//! renderer and the operation graph, with stdlib's catalog and hand-built resources.

use super::diff::{self, IdMap};
use super::model::*;
use super::render::render_text;
use crate::apply::graph;
use lang::program::{FieldValue, Resource};
use lang::{Address, Span, Value};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

fn res(
    kind: &'static str,
    address: &str,
    parent: Option<&str>,
    fields: Vec<(&str, Value)>,
) -> Resource {
    let a = address_of(address);
    let mut map = BTreeMap::new();
    map.insert(
        "name".to_string(),
        FieldValue::new(Value::Str(a.leaf().into()), Span::default()),
    );
    for (k, v) in fields {
        map.insert(k.to_string(), FieldValue::new(v, Span::default()));
    }
    Resource {
        kind,
        name: a.leaf().to_string(),
        address: a,
        parent: parent.map(address_of),
        fields: map,
        span: Span::default(),
        depends_on: parent.map(address_of).into_iter().collect::<BTreeSet<_>>(),
        existing: false,
    }
}

fn address_of(s: &str) -> Address {
    let mut parts = s.split('.');
    let mut a = Address::top(parts.next().unwrap_or(""));
    for p in parts {
        a = a.child(p, None);
    }
    a
}

fn s(v: &str) -> Value {
    Value::Str(v.into())
}

fn cat() -> &'static lang::Catalog {
    stdlib::catalog()
}

#[test]
fn values_equal_after_arm_normalisation_are_not_changes() {
    let kind = cat().kind("cluster").unwrap();
    let r = res(
        "cluster",
        "aks",
        Some("g"),
        vec![
            ("location", s("East US 2")),
            ("kubernetes_version", s("1.30")),
            ("network.plugin", Value::Enum("azure".into())),
        ],
    );
    let live = json!({
        "name": "aks",
        "location": "eastus2",
        "tags": {"capz-stack": "st"},
        "properties": {"kubernetesVersion": "1.30.7", "networkProfile": {"networkPlugin": "Azure"}}
    });
    let changes = diff::diff_fields(kind, &r, &live, "st", &IdMap::new());
    assert!(changes.is_empty(), "{changes:?}");
}

#[test]
fn unordered_sets_and_case_insensitive_fields() {
    let vnet = cat().kind("vnet").unwrap();
    let r = res(
        "vnet",
        "net",
        Some("g"),
        vec![(
            "address_space",
            Value::List(vec![s("10.1.0.0/16"), s("10.0.0.0/16")]),
        )],
    );
    let live = json!({"tags": {"capz-stack": "st"}, "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16", "10.1.0.0/16"]}}});
    assert!(diff::diff_fields(vnet, &r, &live, "st", &IdMap::new()).is_empty());
    let pool = cat().kind("pool").unwrap();
    let p = res(
        "pool",
        "aks.user",
        Some("aks"),
        vec![("vm_size", s("Standard_D4s_v3"))],
    );
    let live = json!({"properties": {"vmSize": "standard_d4s_V3"}});
    assert!(diff::diff_fields(pool, &p, &live, "st", &IdMap::new()).is_empty());
}

#[test]
fn changed_fields_show_old_and_new_and_forcing() {
    let pool = cat().kind("pool").unwrap();
    let p = res(
        "pool",
        "aks.user",
        Some("aks"),
        vec![("vm_size", s("Standard_D8s_v3")), ("count", Value::Int(3))],
    );
    let live = json!({"properties": {"vmSize": "Standard_D4s_v3", "count": 2}});
    let ch = diff::diff_fields(pool, &p, &live, "st", &IdMap::new());
    let keys: Vec<_> = ch
        .iter()
        .map(|c| (c.key.as_str(), c.forces_replacement))
        .collect();
    assert_eq!(keys, [("count", false), ("vm_size", true)]);
    assert_eq!(ch[0].old, Shown::Value(Value::Int(2)));
    assert_eq!(ch[0].new, Shown::Value(Value::Int(3)));
}

#[test]
fn missing_stack_tag_is_an_update_and_unknown_values_differ() {
    let vnet = cat().kind("vnet").unwrap();
    let r = res(
        "vnet",
        "net",
        Some("g"),
        vec![(
            "dns_servers",
            Value::List(vec![Value::Unknown {
                of: address_of("fw"),
                attr: "private_ip".into(),
            }]),
        )],
    );
    let live = json!({"tags": {"other": "x"}, "properties": {"dhcpOptions": {"dnsServers": ["10.0.0.4"]}}});
    let ch = diff::diff_fields(vnet, &r, &live, "st", &IdMap::new());
    let keys: Vec<_> = ch.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["dns_servers", "tags.capz-stack"]);
    assert_eq!(ch[0].new, Shown::Unknown);
    assert_eq!(ch[0].new.to_string(), "(known after apply)");
    assert_eq!(ch[1].old, Shown::Absent);
    assert_eq!(ch[1].new, Shown::Value(s("st")));
}

#[test]
fn update_body_overlays_declared_fields_on_live_state() {
    let vnet = cat().kind("vnet").unwrap();
    let r = res(
        "vnet",
        "net",
        Some("g"),
        vec![(
            "address_space",
            Value::List(vec![s("10.0.0.0/16"), s("10.1.0.0/16")]),
        )],
    );
    let live = json!({
        "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/net",
        "etag": "W/\"1\"",
        "type": "Microsoft.Network/virtualNetworks",
        "location": "eastus2",
        "tags": {"capz-stack": "st", "owner": "me"},
        "properties": {
            "provisioningState": "Succeeded",
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "nodes", "properties": {"addressPrefix": "10.0.0.0/22"}}]
        }
    });
    let body = diff::put_body(cat(), vnet, &r, &[], Some(&live), "st", &IdMap::new());
    assert_eq!(
        body["properties"]["addressSpace"]["addressPrefixes"],
        json!(["10.0.0.0/16", "10.1.0.0/16"])
    );
    assert_eq!(
        body["properties"]["subnets"][0]["name"], "nodes",
        "live subnets kept"
    );
    assert_eq!(body["tags"]["owner"], "me", "unmanaged tags kept");
    assert_eq!(body["tags"]["capz-stack"], "st");
    assert!(body.get("id").is_none() && body.get("etag").is_none());
    assert!(body["properties"].get("provisioningState").is_none());
}

#[test]
fn create_body_of_a_cluster_carries_its_pools_inline() {
    let cluster = cat().kind("cluster").unwrap();
    let c = res(
        "cluster",
        "aks",
        Some("g"),
        vec![("location", s("eastus2")), ("dns_prefix", s("aks"))],
    );
    let p = res(
        "pool",
        "aks.system",
        Some("aks"),
        vec![
            ("mode", Value::Enum("system".into())),
            ("vm_size", s("Standard_D4s_v3")),
            ("subnet", Value::Ref(address_of("net.nodes"))),
        ],
    );
    let mut ids = IdMap::new();
    ids.insert(address_of("net.nodes"), "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/net/subnets/nodes".into());
    let body = diff::put_body(cat(), cluster, &c, &[&p], None, "st", &ids);
    let pools = body["properties"]["agentPoolProfiles"].as_array().unwrap();
    assert_eq!(pools.len(), 1);
    assert_eq!(pools[0]["name"], "system");
    assert_eq!(pools[0]["mode"], "System");
    assert_eq!(
        pools[0]["vnetSubnetID"],
        json!(ids[&address_of("net.nodes")])
    );
    assert_eq!(body["tags"]["capz-stack"], "st");
}

#[test]
fn unknowns_resolve_only_where_answered() {
    let v = Value::List(vec![
        Value::Unknown {
            of: address_of("a"),
            attr: "fqdn".into(),
        },
        Value::Unknown {
            of: address_of("b"),
            attr: "fqdn".into(),
        },
    ]);
    let out = diff::resolve(&v, &|of: &Address, _attr: &str| {
        (of.leaf() == "a").then(|| s("a.example"))
    });
    assert_eq!(out.as_list().unwrap()[0], s("a.example"));
    assert!(out.as_list().unwrap()[1].is_unknown());
}

fn change(
    kind: &str,
    address: Option<&str>,
    label: &str,
    id: &str,
    action: Action,
    reason: Reason,
) -> Change {
    Change {
        address: address.map(address_of),
        label: label.into(),
        kind: kind.into(),
        id: id.into(),
        api_version: "v".into(),
        action,
        reason,
        fields: Vec::new(),
        carried_by: None,
        desired: None,
        live: None,
        span: None,
        rotate_via: None,
        cascade: Vec::new(),
    }
}

#[test]
fn text_rendering_is_exact() {
    let rg = "/subscriptions/s/resourceGroups/rg";
    let mut upd = change(
        "cluster",
        Some("aks"),
        "aks",
        &format!("{rg}/aks"),
        Action::Update,
        Reason::Changed,
    );
    upd.fields.push(FieldChange {
        key: "kubernetes_version".into(),
        old: Shown::Value(s("1.30")),
        new: Shown::Value(s("1.31")),
        forces_replacement: false,
    });
    let mut rep = change(
        "pool",
        Some("aks.user"),
        "aks.user",
        &format!("{rg}/aks/agentPools/user"),
        Action::Replace,
        Reason::ForcesReplacement(vec!["vm_size".into()]),
    );
    rep.fields.push(FieldChange {
        key: "vm_size".into(),
        old: Shown::Value(s("a")),
        new: Shown::Value(s("b")),
        forces_replacement: true,
    });
    rep.fields.push(FieldChange {
        key: "secret".into(),
        old: Shown::Sensitive,
        new: Shown::Sensitive,
        forces_replacement: false,
    });
    let plan = Plan {
        stack: "dev".into(),
        subscription: "s".into(),
        changes: vec![
            change("group", Some("g"), "g", rg, Action::NoOp, Reason::InSync),
            change(
                "vnet",
                Some("net"),
                "net",
                &format!("{rg}/net"),
                Action::Create,
                Reason::Absent,
            ),
            upd,
            rep,
            change(
                "vnet",
                None,
                "legacy",
                &format!("{rg}/legacy"),
                Action::Delete,
                Reason::NoLongerDeclared {
                    stack: "dev".into(),
                },
            ),
        ],
        outputs: vec![PlannedOutput {
            name: "fqdn".into(),
            value: Shown::Unknown,
        }],
        kept: Vec::new(),
    };
    let want = "   + vnet net
   ~ cluster aks
       ~ kubernetes_version  \"1.30\" -> \"1.31\"
 -/+ pool aks.user  vm_size forces replacement
       ~ vm_size  \"a\" -> \"b\"  (forces replacement)
       ~ secret   (sensitive) -> (sensitive)
   - vnet legacy    no longer declared (stack dev)

Plan: 1 to add, 1 to change, 1 to replace, 1 to destroy.

Outputs:
  fqdn = (known after apply)
";
    assert_eq!(render_text(&plan), want);
    let same = Plan {
        changes: vec![plan.changes[0].clone()],
        outputs: Vec::new(),
        ..plan
    };
    assert_eq!(
        render_text(&same),
        "No changes. Live state matches the program.\n"
    );
}

#[test]
fn graph_orders_creates_by_dependency_and_deletes_in_reverse() {
    let rg = "/subscriptions/s/resourceGroups/rg";
    let vnet_id = format!("{rg}/providers/Microsoft.Network/virtualNetworks/net");
    let mut g = change("group", Some("g"), "g", rg, Action::Create, Reason::Absent);
    g.desired = Some(res("group", "g", None, vec![]));
    let mut net = change(
        "vnet",
        Some("net"),
        "net",
        &vnet_id,
        Action::Create,
        Reason::Absent,
    );
    net.desired = Some(res("vnet", "net", Some("g"), vec![]));
    let mut sub = change(
        "subnet",
        Some("net.nodes"),
        "net.nodes",
        &format!("{vnet_id}/subnets/nodes"),
        Action::Create,
        Reason::Absent,
    );
    sub.desired = Some(res("subnet", "net.nodes", Some("net"), vec![]));
    let mut aks = change(
        "cluster",
        Some("aks"),
        "aks",
        &format!("{rg}/providers/Microsoft.ContainerService/managedClusters/aks"),
        Action::Create,
        Reason::Absent,
    );
    aks.desired = Some(res("cluster", "aks", Some("g"), vec![]));
    let mut pool = change(
        "pool",
        Some("aks.system"),
        "aks.system",
        &format!("{rg}/x/agentPools/system"),
        Action::Create,
        Reason::Absent,
    );
    let mut pr = res("pool", "aks.system", Some("aks"), vec![]);
    pr.depends_on.insert(address_of("net.nodes"));
    pool.desired = Some(pr);
    pool.carried_by = Some(3);
    // Undeclared, tagged, in the same group: an old cluster and an old vnet.
    let old_aks = change(
        "cluster",
        None,
        "old",
        &format!("{rg}/providers/Microsoft.ContainerService/managedClusters/old"),
        Action::Delete,
        Reason::NoLongerDeclared { stack: "st".into() },
    );
    let old_net = change(
        "vnet",
        None,
        "oldnet",
        &format!("{rg}/providers/Microsoft.Network/virtualNetworks/oldnet"),
        Action::Delete,
        Reason::NoLongerDeclared { stack: "st".into() },
    );
    let other_rg = change(
        "group",
        None,
        "other",
        "/subscriptions/s/resourceGroups/other",
        Action::Delete,
        Reason::NoLongerDeclared { stack: "st".into() },
    );
    let plan = Plan {
        stack: "st".into(),
        subscription: "s".into(),
        changes: vec![g, net, sub, aks, pool, old_aks, old_net, other_rg],
        outputs: Vec::new(),
        kept: Vec::new(),
    };
    let og = graph::build(cat(), &plan);
    assert_eq!(og.node.len(), 7, "the inline pool has no node of its own");
    assert_eq!(og.op_of[&4], 3);
    let edge = |a: usize, b: usize| og.graph.find_edge(og.node[&a], og.node[&b]).is_some();
    assert!(edge(0, 1) && edge(1, 2) && edge(0, 3));
    assert!(
        edge(2, 3),
        "the cluster waits for the subnet its inline pool uses"
    );
    assert!(edge(5, 6), "the old cluster is deleted before the old vnet");
    assert!(!edge(6, 5));
    assert!(
        edge(3, 5),
        "deletes in a group wait for the group's declared operations"
    );
    let other = og.node[&7];
    assert_eq!(
        og.graph
            .neighbors_directed(other, petgraph::Direction::Incoming)
            .count(),
        0
    );
    assert!(petgraph::algo::toposort(&og.graph, None).is_ok());
    assert_eq!(
        graph::group_of(&vnet_id).as_deref(),
        Some("/subscriptions/s/resourcegroups/rg")
    );
}

#[test]
fn graph_splits_replacements_that_reference_each_other() {
    // A vnet replaced (its location changed): its subnet is recreated, and the cluster,
    // whose only pool sits in that subnet, is replaced with the pool carried in its PUT.
    // Cluster DELETE, then vnet DELETE, vnet PUT, subnet PUT, cluster PUT.
    let rg = "/subscriptions/s/resourceGroups/rg";
    let vnet_id = format!("{rg}/providers/Microsoft.Network/virtualNetworks/net");
    let mut g = change("group", Some("g"), "g", rg, Action::NoOp, Reason::InSync);
    g.desired = Some(res("group", "g", None, vec![]));
    let mut net = change(
        "vnet",
        Some("net"),
        "net",
        &vnet_id,
        Action::Replace,
        Reason::ForcesReplacement(vec!["location".into()]),
    );
    net.desired = Some(res("vnet", "net", Some("g"), vec![]));
    let mut sub = change(
        "subnet",
        Some("net.nodes"),
        "net.nodes",
        &format!("{vnet_id}/subnets/nodes"),
        Action::Create,
        Reason::ParentRecreated("vnet net".into()),
    );
    sub.desired = Some(res("subnet", "net.nodes", Some("net"), vec![]));
    let mut aks = change(
        "cluster",
        Some("aks"),
        "aks",
        &format!("{rg}/providers/Microsoft.ContainerService/managedClusters/aks"),
        Action::Replace,
        Reason::LastSystemPool {
            pool: "aks.system".into(),
            target: "subnet net.nodes".into(),
        },
    );
    aks.desired = Some(res("cluster", "aks", Some("g"), vec![]));
    let mut pool = change(
        "pool",
        Some("aks.system"),
        "aks.system",
        &format!("{rg}/x/agentPools/system"),
        Action::Create,
        Reason::ParentRecreated("cluster aks".into()),
    );
    let mut pr = res("pool", "aks.system", Some("aks"), vec![]);
    pr.depends_on.insert(address_of("net.nodes"));
    pool.desired = Some(pr);
    pool.carried_by = Some(3);
    // An unrelated replacement stays one operation.
    let mut other = change(
        "identity",
        Some("id"),
        "id",
        &format!("{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id"),
        Action::Replace,
        Reason::ForcesReplacement(vec!["location".into()]),
    );
    other.desired = Some(res("identity", "id", Some("g"), vec![]));
    let plan = Plan {
        stack: "st".into(),
        subscription: "s".into(),
        changes: vec![g, net, sub, aks, pool, other],
        outputs: Vec::new(),
        kept: Vec::new(),
    };
    let og = graph::build(cat(), &plan);
    assert_eq!(og.split, BTreeSet::from([1, 3]));
    assert_eq!(og.change_of(og.delete_half(3)), (3, graph::Half::Delete));
    assert_eq!(og.change_of(3), (3, graph::Half::Put));
    assert_eq!(og.change_of(5), (5, graph::Half::Whole));
    let edge = |a: usize, b: usize| og.graph.find_edge(og.node[&a], og.node[&b]).is_some();
    let del = |i: usize| og.delete_half(i);
    assert!(edge(del(3), del(1)), "the cluster goes before the vnet");
    assert!(edge(del(1), 1) && edge(del(3), 3));
    assert!(edge(1, 2) && edge(2, 3), "vnet, subnet, then the cluster");
    let order = petgraph::algo::toposort(&og.graph, None).expect("no cycle");
    let pos = |op: usize| order.iter().position(|n| og.graph[*n] == op).unwrap();
    assert!(pos(del(3)) < pos(del(1)) && pos(del(1)) < pos(1) && pos(2) < pos(3));
}
