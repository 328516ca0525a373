//! plan → apply → plan again against an in-process local ARM emulator, through the
//! runtime library API, with hand-built programs (the same shapes lang::compile produces).

use lang::program::{FieldValue, Output, Program, Resource};
use lang::{Address, Span, Type, Value};
use runtime::apply::{self, ApplyOptions};
use runtime::arm::{ArmClient, ClientSettings};
use runtime::plan::{self, Action, PlanOptions, Reason, render};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

fn addr(s: &str) -> Address {
    let mut parts = s.split('.');
    let mut a = Address::top(parts.next().unwrap());
    for p in parts {
        a = a.child(p, None);
    }
    a
}

fn s(v: &str) -> Value {
    Value::Str(v.into())
}

fn e(v: &str) -> Value {
    Value::Enum(v.into())
}

struct B {
    p: Program,
}

impl B {
    fn new(stack: &str) -> Self {
        B {
            p: Program::new(
                stack.into(),
                Span::default(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
            ),
        }
    }

    fn add(
        &mut self,
        kind: &'static str,
        address: &str,
        parent: Option<&str>,
        deps: &[&str],
        fields: Vec<(&str, Value)>,
    ) {
        let a = addr(address);
        let name = fields
            .iter()
            .find(|(k, _)| *k == "name")
            .and_then(|(_, v)| v.as_str().map(str::to_string))
            .unwrap_or_else(|| a.leaf().to_string());
        let mut map = BTreeMap::new();
        map.insert(
            "name".to_string(),
            FieldValue::new(s(&name), Span::default()),
        );
        for (k, v) in fields {
            map.insert(k.to_string(), FieldValue::new(v, Span::default()));
        }
        let mut depends_on: BTreeSet<Address> = deps.iter().map(|d| addr(d)).collect();
        if let Some(p) = parent {
            depends_on.insert(addr(p));
        }
        self.p.resources.push(Resource {
            kind,
            address: a,
            name,
            parent: parent.map(addr),
            fields: map,
            span: Span::default(),
            depends_on,
            existing: false,
        });
    }

    fn remove(&mut self, address: &str) {
        let a = addr(address);
        self.p.resources.retain(|r| r.address != a);
    }

    fn set(&mut self, address: &str, key: &str, v: Value) {
        let a = addr(address);
        let r = self
            .p
            .resources
            .iter_mut()
            .find(|r| r.address == a)
            .unwrap();
        r.fields
            .insert(key.to_string(), FieldValue::new(v, Span::default()));
    }
}

/// A group, a vnet with one subnet, a cluster with one system pool in that subnet.
fn program(stack: &str, rg: &str) -> B {
    let mut b = B::new(stack);
    b.add(
        "group",
        "g",
        None,
        &[],
        vec![("name", s(rg)), ("location", s("eastus2"))],
    );
    b.add(
        "vnet",
        "net",
        Some("g"),
        &[],
        vec![
            ("location", s("eastus2")),
            ("address_space", Value::List(vec![s("10.0.0.0/16")])),
        ],
    );
    b.add(
        "subnet",
        "net.nodes",
        Some("net"),
        &[],
        vec![("address_prefix", s("10.0.0.0/22"))],
    );
    b.add(
        "cluster",
        "aks",
        Some("g"),
        &[],
        vec![
            ("location", s("eastus2")),
            ("kubernetes_version", s("1.30")),
            ("dns_prefix", s("capzaks")),
            ("network.plugin", e("azure")),
            ("network.service_cidr", s("172.16.0.0/16")),
            ("network.dns_service_ip", s("172.16.0.10")),
        ],
    );
    b.add(
        "pool",
        "aks.system",
        Some("aks"),
        &["net.nodes"],
        vec![
            ("mode", e("system")),
            ("vm_size", s("Standard_D4s_v3")),
            ("count", Value::Int(1)),
            ("subnet", Value::Ref(addr("net.nodes"))),
        ],
    );
    b.p.outputs.push(Output {
        name: "fqdn".into(),
        value: Value::Unknown {
            of: addr("aks"),
            attr: "fqdn".into(),
        },
        ty: Type::String,
        span: Span::default(),
    });
    b
}

async fn emulator() -> (emulator::Server, ArmClient) {
    let config = emulator::Config {
        time_scale: 0.0,
        ..emulator::Config::default()
    };
    let server = emulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), config)
        .await
        .unwrap();
    let client = ArmClient::new(
        &server.base_url,
        emulator::LOCAL_SUBSCRIPTION,
        ClientSettings::local(),
    )
    .unwrap();
    (server, client)
}

async fn plan_of(b: &B, client: &ArmClient) -> plan::Plan {
    match plan::plan(stdlib::catalog(), &b.p, client, &PlanOptions::default()).await {
        Ok(p) => p,
        Err(d) => panic!("plan failed: {d:#?}"),
    }
}

async fn apply_ok(b: &B, p: &plan::Plan, client: &ArmClient) -> apply::Outcome {
    let mut events = Vec::new();
    let out = apply::apply(
        stdlib::catalog(),
        &b.p,
        p,
        client,
        &ApplyOptions::default(),
        &mut |e| events.push(apply::events::event_line(e)),
    )
    .await;
    assert!(
        out.ok(),
        "apply failed: {:#?}\nevents: {events:#?}",
        out.diagnostics
    );
    out
}

#[tokio::test]
async fn create_then_no_changes() {
    let (server, client) = emulator().await;
    let b = program("t1", "t1-rg");
    let p = plan_of(&b, &client).await;
    let text = render::render_text(&p);
    assert!(text.contains("   + group g"), "{text}");
    assert!(text.contains("   + pool aks.system"), "{text}");
    assert!(text.contains("created with cluster aks"), "{text}");
    assert!(
        text.contains("Plan: 5 to add, 0 to change, 0 to replace, 0 to destroy."),
        "{text}"
    );
    assert!(text.contains("fqdn = (known after apply)"), "{text}");
    let pool = p.changes.iter().find(|c| c.label == "aks.system").unwrap();
    assert_eq!(pool.action, Action::Create);
    assert!(pool.carried_by.is_some());

    let out = apply_ok(&b, &p, &client).await;
    assert_eq!(out.done.add, 5);
    assert_eq!(out.succeeded, 4, "the pool rides in the cluster PUT");
    assert!(
        out.summary_line()
            .starts_with("Apply complete! Resources: 5 added")
    );
    let fqdn = &out.outputs[0];
    assert!(
        matches!(fqdn.value, plan::Shown::Value(Value::Str(_))),
        "{fqdn:?}"
    );

    let again = plan_of(&b, &client).await;
    let text = render::render_text(&again);
    assert!(!again.has_changes(), "{text}");
    assert!(
        text.starts_with("No changes. Live state matches the program."),
        "{text}"
    );
    assert!(matches!(again.outputs[0].value, plan::Shown::Value(_)));
    server.shutdown().await;
}

#[tokio::test]
async fn update_replace_and_prune() {
    let (server, client) = emulator().await;
    let mut b = program("t2", "t2-rg");
    b.add(
        "subnet",
        "net.extra",
        Some("net"),
        &[],
        vec![("address_prefix", s("10.0.8.0/24"))],
    );
    b.add(
        "pool",
        "aks.user",
        Some("aks"),
        &["net.nodes"],
        vec![
            ("mode", e("user")),
            ("vm_size", s("Standard_D4s_v3")),
            ("count", Value::Int(1)),
            ("subnet", Value::Ref(addr("net.nodes"))),
        ],
    );
    b.add(
        "vnet",
        "legacy",
        Some("g"),
        &[],
        vec![
            ("location", s("eastus2")),
            ("address_space", Value::List(vec![s("10.9.0.0/16")])),
        ],
    );
    let p = plan_of(&b, &client).await;
    apply_ok(&b, &p, &client).await;

    // Update the vnet, replace the pool, drop a subnet and a vnet.
    b.set(
        "net",
        "address_space",
        Value::List(vec![s("10.0.0.0/16"), s("10.1.0.0/16")]),
    );
    // (AKS refuses to delete the last system pool, so the user pool is the one replaced.)
    b.set("aks.user", "vm_size", s("Standard_D8s_v3"));
    b.remove("net.extra");
    b.remove("legacy");
    let p = plan_of(&b, &client).await;
    let text = render::render_text(&p);
    println!("{text}");
    let by_label = |l: &str| {
        p.changes
            .iter()
            .find(|c| c.label == l)
            .unwrap_or_else(|| panic!("{l} in {text}"))
    };
    assert_eq!(by_label("net").action, Action::Update, "{text}");
    assert_eq!(by_label("aks.user").action, Action::Replace, "{text}");
    assert_eq!(
        by_label("aks.user").reason,
        Reason::ForcesReplacement(vec!["vm_size".into()])
    );
    assert_eq!(by_label("net.extra").action, Action::Delete, "{text}");
    assert_eq!(by_label("legacy").action, Action::Delete, "{text}");
    assert!(matches!(
        by_label("legacy").reason,
        Reason::NoLongerDeclared { .. }
    ));
    assert!(text.contains("vm_size forces replacement"), "{text}");
    assert!(text.contains("no longer declared (stack t2)"), "{text}");
    assert!(
        text.contains("Plan: 0 to add, 1 to change, 1 to replace, 2 to destroy."),
        "{text}"
    );
    apply_ok(&b, &p, &client).await;

    let again = plan_of(&b, &client).await;
    assert!(!again.has_changes(), "{}", render::render_text(&again));
    // The vnet update kept the live subnet `nodes` (a vnet PUT without it would drop it).
    let nodes = client
        .get(&format!("/subscriptions/{}/resourceGroups/t2-rg/providers/Microsoft.Network/virtualNetworks/net/subnets/nodes", emulator::LOCAL_SUBSCRIPTION), "2026-01-01")
        .await
        .unwrap();
    assert!(nodes.is_some());
    server.shutdown().await;
}

#[tokio::test]
async fn undeclared_group_and_destroy() {
    let (server, client) = emulator().await;
    let b = program("t3", "t3-rg");
    let mut two = program("t3", "t3-rg");
    two.add(
        "group",
        "other",
        None,
        &[],
        vec![("name", s("t3-other-rg")), ("location", s("eastus2"))],
    );
    let p = plan_of(&two, &client).await;
    apply_ok(&two, &p, &client).await;

    // Dropping the group: one delete for the whole group.
    let p = plan_of(&b, &client).await;
    let deletes: Vec<_> = p
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .collect();
    assert_eq!(deletes.len(), 1, "{}", render::render_text(&p));
    assert_eq!(deletes[0].kind, "group");
    assert_eq!(deletes[0].label, "t3-other-rg");
    apply_ok(&b, &p, &client).await;

    let d = plan::plan_destroy(stdlib::catalog(), &b.p, &client, &PlanOptions::default())
        .await
        .unwrap();
    let text = render::render_text(&d);
    assert!(text.contains("   - group t3-rg"), "{text}");
    assert!(
        text.contains("Plan: 0 to add, 0 to change, 0 to replace, 1 to destroy."),
        "{text}"
    );
    apply_ok(&b, &d, &client).await;
    let after = plan_of(&b, &client).await;
    assert_eq!(after.counts().add, 5);
    server.shutdown().await;
}

#[tokio::test]
async fn failure_skips_dependents_not_siblings() {
    let config = emulator::Config {
        time_scale: 0.0,
        faults: vec![emulator::FaultRule {
            method: Some("PUT".into()),
            path_contains: Some("/virtualnetworks/net".into()),
            skip: 0,
            times: None,
            probability: 1.0,
            fault: emulator::Fault::FailOperation {
                code: "InjectedFailure".into(),
                message: "no vnet today".into(),
            },
        }],
        ..emulator::Config::default()
    };
    let server = emulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), config)
        .await
        .unwrap();
    let client = ArmClient::new(
        &server.base_url,
        emulator::LOCAL_SUBSCRIPTION,
        ClientSettings::local(),
    )
    .unwrap();
    let b = program("t4", "t4-rg");
    let p = plan_of(&b, &client).await;
    let mut lines = Vec::new();
    let out = apply::apply(
        stdlib::catalog(),
        &b.p,
        &p,
        &client,
        &ApplyOptions::default(),
        &mut |e| lines.push(apply::events::event_line(e)),
    )
    .await;
    assert!(!out.ok());
    assert_eq!(out.failed, 1, "{lines:#?}");
    // subnet, and the cluster (its pool needs the subnet) are skipped; the group succeeded.
    assert_eq!(out.skipped, 2, "{lines:#?}");
    assert_eq!(out.succeeded, 1, "{lines:#?}");
    assert_eq!(
        out.summary_line(),
        "Apply failed: 1 succeeded, 1 failed, 2 skipped."
    );
    let d = &out.diagnostics[0];
    assert_eq!(d.code, "capz::arm::operation-failed");
    assert!(d.message.contains("vnet net"), "{}", d.message);
    assert!(d.message.contains("InjectedFailure"), "{}", d.message);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("subnet net.nodes: skipped creating (vnet net failed)")),
        "{lines:#?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn last_system_pool_is_replaced_through_a_temporary_pool() {
    let (server, client) = emulator().await;
    let mut b = program("t5", "t5-rg");
    let p = plan_of(&b, &client).await;
    apply_ok(&b, &p, &client).await;

    b.set("aks.system", "vm_size", s("Standard_D8s_v3"));
    let p = plan_of(&b, &client).await;
    let text = render::render_text(&p);
    let pool = p.changes.iter().find(|c| c.label == "aks.system").unwrap();
    assert_eq!(pool.action, Action::Replace, "{text}");
    assert_eq!(pool.rotate_via.as_deref(), Some("systemtmp"));
    assert!(
        text.contains("vm_size forces replacement (via temporary pool systemtmp)"),
        "{text}"
    );
    apply_ok(&b, &p, &client).await;

    let pools = client
        .list(
            &format!(
                "/subscriptions/{}/resourceGroups/t5-rg/providers/Microsoft.ContainerService/managedClusters/aks/agentPools",
                emulator::LOCAL_SUBSCRIPTION
            ),
            "2026-08-01",
        )
        .await
        .unwrap();
    let names: Vec<&str> = pools.iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["system"], "the temporary pool is gone");
    assert_eq!(pools[0]["properties"]["vmSize"], "Standard_D8s_v3");
    assert!(!plan_of(&b, &client).await.has_changes());
    server.shutdown().await;
}

#[tokio::test]
async fn concurrent_pool_updates_wait_for_each_other() {
    // Durations on: AKS runs one operation per cluster at a time and answers 409
    // OperationNotAllowed to the second; the client waits for it.
    let config = emulator::Config {
        time_scale: 0.005,
        ..emulator::Config::default()
    };
    let server = emulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), config)
        .await
        .unwrap();
    let client = ArmClient::new(
        &server.base_url,
        emulator::LOCAL_SUBSCRIPTION,
        ClientSettings::local(),
    )
    .unwrap();
    let mut b = program("t6", "t6-rg");
    for name in ["usera", "userb"] {
        b.add(
            "pool",
            &format!("aks.{name}"),
            Some("aks"),
            &["net.nodes"],
            vec![
                ("mode", e("user")),
                ("vm_size", s("Standard_D4s_v3")),
                ("count", Value::Int(1)),
                ("subnet", Value::Ref(addr("net.nodes"))),
            ],
        );
    }
    let p = plan_of(&b, &client).await;
    apply_ok(&b, &p, &client).await;
    b.set("aks.usera", "count", Value::Int(2));
    b.set("aks.userb", "count", Value::Int(3));
    let p = plan_of(&b, &client).await;
    assert_eq!(p.counts().change, 2, "{}", render::render_text(&p));
    let out = apply_ok(&b, &p, &client).await;
    assert_eq!(out.done.change, 2);
    assert!(!plan_of(&b, &client).await.has_changes());
    server.shutdown().await;
}

#[tokio::test]
async fn stopped_apply_starts_nothing_new() {
    let (server, client) = emulator().await;
    let b = program("t7", "t7-rg");
    let p = plan_of(&b, &client).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let opts = ApplyOptions {
        stop: Some(stop),
        ..ApplyOptions::default()
    };
    let mut lines = Vec::new();
    let out = apply::apply(stdlib::catalog(), &b.p, &p, &client, &opts, &mut |e| {
        lines.push(apply::events::event_line(e))
    })
    .await;
    assert!(out.interrupted && !out.ok());
    assert_eq!((out.succeeded, out.failed, out.skipped), (0, 0, 4));
    assert_eq!(
        out.summary_line(),
        "Apply interrupted: 0 succeeded, 0 failed, 4 not started."
    );
    assert!(
        lines.contains(&"group g: not started creating (interrupted)".to_string()),
        "{lines:#?}"
    );
    assert_eq!(
        plan_of(&b, &client).await.counts().add,
        5,
        "nothing was created"
    );
    server.shutdown().await;
}

#[test]
fn operations_arm_refuses_at_once_share_a_lock() {
    use runtime::apply::lock_key;
    let rg = "/subscriptions/s/resourceGroups/RG";
    let cluster = format!("{rg}/providers/Microsoft.ContainerService/managedClusters/AKS");
    let pool = format!("{cluster}/agentPools/user");
    assert_eq!(lock_key(&cluster), lock_key(&pool));
    assert!(lock_key(&cluster).is_some());
    let other = format!("{rg}/providers/Microsoft.ContainerService/managedClusters/aks2");
    assert_ne!(lock_key(&other), lock_key(&cluster));
    let id = format!("{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/wi");
    let f1 = format!("{id}/federatedIdentityCredentials/a");
    let f2 = format!("{id}/federatedIdentityCredentials/b");
    assert_eq!(lock_key(&f1), lock_key(&f2));
    assert!(lock_key(&f1).is_some());
    assert_eq!(lock_key(&id), None);
    assert_eq!(
        lock_key(&format!(
            "{rg}/providers/Microsoft.Network/virtualNetworks/v"
        )),
        None
    );
}
