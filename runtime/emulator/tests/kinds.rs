//! Raw-HTTP contract of the network, private DNS and identity kinds: status codes, LRO
//! headers, body keys against the spec examples, server-assigned fields and the ARM error
//! codes of their rules.

mod common;

use common::*;
use serde_json::{Value, json};

const DNS: &str = "2024-06-01";
const MSI: &str = "2024-11-30";

fn nsg_path(rg: &str, n: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/{n}",
        rg_path(rg)
    )
}
fn pip_path(rg: &str, n: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/publicIPAddresses/{n}",
        rg_path(rg)
    )
}
fn lb_path(rg: &str, n: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/loadBalancers/{n}",
        rg_path(rg)
    )
}
fn zone_path(rg: &str, z: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/privateDnsZones/{z}",
        rg_path(rg)
    )
}
fn id_path(rg: &str, n: &str) -> String {
    format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{n}",
        rg_path(rg)
    )
}

/// Example keys missing from our answer, minus the ones listed in `except` (documented
/// per test).
fn missing(example: &Value, ours: &Value, except: &[&str]) -> Vec<String> {
    let mut miss = Vec::new();
    missing_keys(example, ours, "", &mut miss);
    miss.retain(|m| !except.iter().any(|e| m.contains(e)));
    miss
}

fn rule(prio: i64, dir: &str) -> Value {
    json!({"properties": {"protocol": "Tcp", "access": "Allow", "priority": prio,
        "direction": dir, "sourcePortRange": "*", "destinationPortRange": "443",
        "sourceAddressPrefix": "*", "destinationAddressPrefix": "*"}})
}

#[tokio::test]
async fn nsg_rules_defaults_conflicts_and_subnet_links() {
    let env = start(config(0.001)).await;
    env.rg("rg").await;
    let ex = example("NetworkSecurityGroupCreateWithRule.json");
    let mut body = ex["parameters"]["parameters"].clone();
    body["location"] = json!("westeurope");
    let r = env.put(&nsg_path("rg", "testnsg"), NET, body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.state(), "Updating");
    assert!(r.h("azure-asyncoperation").is_some());
    env.wait_aao(&r).await;
    let got = env.get(&nsg_path("rg", "testnsg"), NET).await;
    assert_eq!(got.state(), "Succeeded");
    let miss = missing(&ex["responses"]["201"]["body"], &got.body, &[]);
    assert!(miss.is_empty(), "{miss:?}");
    let defaults = got.body["properties"]["defaultSecurityRules"]
        .as_array()
        .unwrap();
    assert_eq!(defaults.len(), 6);
    assert_eq!(got.body["properties"]["securityRules"][0]["name"], "rule1");

    // Child rule: example body, 201 then 200; keys as in the example.
    let rex = example("NetworkSecurityGroupRuleCreate.json");
    let rp = format!("{}/securityRules/rule2", nsg_path("rg", "testnsg"));
    let r = env
        .put(
            &rp,
            NET,
            rex["parameters"]["securityRuleParameters"].clone(),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    env.wait_aao(&r).await;
    let got = env.get(&rp, NET).await;
    let miss = missing(&rex["responses"]["201"]["body"], &got.body, &[]);
    assert!(miss.is_empty(), "{miss:?}");
    let list = env
        .get(&format!("{}/securityRules", nsg_path("rg", "testnsg")), NET)
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 2);

    // Same priority and direction as rule1 (130 Inbound).
    let r = env
        .put(
            &format!("{}/securityRules/dup", nsg_path("rg", "testnsg")),
            NET,
            rule(130, "Inbound"),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "SecurityRuleConflict"));
    // Same priority, other direction: fine.
    let r = env
        .put(
            &format!("{}/securityRules/out", nsg_path("rg", "testnsg")),
            NET,
            rule(130, "Outbound"),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    env.wait_aao(&r).await;
    let r = env
        .put(
            &format!("{}/securityRules/low", nsg_path("rg", "testnsg")),
            NET,
            rule(99, "Inbound"),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidParameter"));
    let r = env
        .put(
            &format!("{}/securityRules/high", nsg_path("rg", "testnsg")),
            NET,
            rule(4097, "Inbound"),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidParameter"));
    let r = env
        .put(
            &format!("{}/securityRules/noproto", nsg_path("rg", "testnsg")),
            NET,
            json!({"properties": {"access": "Allow", "priority": 300, "direction": "Inbound"}}),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidRequestFormat"));
    let r = env
        .put(
            &nsg_path("rg", "inline"),
            NET,
            json!({"location": "westeurope",
        "properties": {"securityRules": [
            {"name": "a", "properties": rule(200, "Inbound")["properties"]},
            {"name": "b", "properties": rule(200, "Inbound")["properties"]}]}}),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "SecurityRuleConflict"));

    // A tags-only PUT (no securityRules) keeps the rules.
    let r = env
        .put(
            &nsg_path("rg", "testnsg"),
            NET,
            json!({"location": "westeurope", "tags": {"a": "b"}}),
        )
        .await;
    assert_eq!(r.status, 200);
    env.wait_aao(&r).await;
    let got = env.get(&nsg_path("rg", "testnsg"), NET).await;
    assert_eq!(
        got.body["properties"]["securityRules"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Subnet → NSG reference: must exist; the NSG lists the subnet; in-use NSG can't go.
    env.vnet("rg", "vn", "10.0.0.0/16").await;
    let r = env.put(&subnet_path("rg", "vn", "s1"), NET, json!({"properties": {"addressPrefix": "10.0.1.0/24",
        "networkSecurityGroup": {"id": format!("{}/providers/Microsoft.Network/networkSecurityGroups/ghost", rg_path("rg"))}}})).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidResourceReference")
    );
    let nsg_id = got.body["id"].as_str().unwrap().to_string();
    let r = env
        .put(
            &subnet_path("rg", "vn", "s1"),
            NET,
            json!({"properties": {"addressPrefix": "10.0.1.0/24",
        "networkSecurityGroup": {"id": nsg_id.to_lowercase()}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(
        r.body["properties"]["networkSecurityGroup"]["id"],
        nsg_id.as_str()
    );
    env.wait_aao(&r).await;
    let got = env.get(&nsg_path("rg", "testnsg"), NET).await;
    assert_eq!(got.body["properties"]["subnets"][0]["id"], r.body["id"]);
    let d = env.delete(&nsg_path("rg", "testnsg"), NET).await;
    assert_eq!(
        (d.status, d.code().as_str()),
        (400, "InUseNetworkSecurityGroupCannotBeDeleted")
    );

    // Delete a rule (LRO), then the subnet, then the NSG.
    let d = env.delete(&rp, NET).await;
    assert_eq!(d.status, 202);
    assert_eq!(env.wait_location(&d).await.status, 204);
    assert_eq!(env.get(&rp, NET).await.status, 404);
    let d = env.delete(&subnet_path("rg", "vn", "s1"), NET).await;
    env.wait_location(&d).await;
    let d = env.delete(&nsg_path("rg", "testnsg"), NET).await;
    assert_eq!(d.status, 202);
    assert!(d.h("azure-asyncoperation").is_some() && d.h("location").is_some());
    env.wait_location(&d).await;
    assert_eq!(
        env.get(&nsg_path("rg", "testnsg"), NET).await.code(),
        "ResourceNotFound"
    );
}

#[tokio::test]
async fn public_ip_defaults_and_static_address() {
    let env = start(config(0.0)).await;
    env.rg("rg").await;
    let ex = example("PublicIpAddressCreateDefaults.json");
    let r = env
        .put(
            &pip_path("rg", "test-ip"),
            NET,
            json!({"location": "westeurope"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let miss = missing(
        &ex["responses"]["201"]["body"],
        &r.body,
        &["ipConfiguration"],
    );
    assert!(miss.is_empty(), "{miss:?}");
    assert_eq!(r.body["sku"]["name"], "Basic");
    assert_eq!(r.body["properties"]["publicIPAllocationMethod"], "Dynamic");
    assert_eq!(r.body["properties"]["idleTimeoutInMinutes"], 4);
    assert!(
        r.body["properties"].get("ipAddress").is_none(),
        "Dynamic: no address until used"
    );

    let r = env
        .put(
            &pip_path("rg", "std"),
            NET,
            json!({"location": "westeurope", "sku": {"name": "Standard"},
        "properties": {"dnsSettings": {"domainNameLabel": "capz"}}}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["properties"]["publicIPAllocationMethod"], "Static");
    let ip = r.body["properties"]["ipAddress"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(ip.parse::<std::net::Ipv4Addr>().is_ok());
    assert_eq!(
        r.body["properties"]["dnsSettings"]["fqdn"],
        "capz.westeurope.cloudapp.azure.com"
    );
    let r2 = env
        .put(
            &pip_path("rg", "std"),
            NET,
            json!({"location": "westeurope", "sku": {"name": "Standard"}, "tags": {"x": "y"}}),
        )
        .await;
    assert_eq!(r2.status, 200);
    assert_eq!(
        r2.body["properties"]["ipAddress"],
        ip.as_str(),
        "address kept on update"
    );
    let other = env
        .put(
            &pip_path("rg", "std2"),
            NET,
            json!({"location": "westeurope", "sku": {"name": "Standard"}}),
        )
        .await;
    assert_ne!(other.body["properties"]["ipAddress"], ip.as_str());
    let bad = env
        .put(
            &pip_path("rg", "bad"),
            NET,
            json!({"location": "westeurope", "sku": {"name": "Premium"}}),
        )
        .await;
    assert_eq!((bad.status, bad.code().as_str()), (400, "InvalidParameter"));
    let bad = env
        .put(
            &pip_path("rg", "bad"),
            NET,
            json!({"location": "westeurope", "properties": {"idleTimeoutInMinutes": 31}}),
        )
        .await;
    assert_eq!((bad.status, bad.code().as_str()), (400, "InvalidParameter"));
}

fn lb_body(rg: &str, lb: &str, subnet_id: &str, static_ip: Option<&str>) -> Value {
    let lbid = format!(
        "/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/loadBalancers/{lb}"
    );
    let mut fe = json!({"subnet": {"id": subnet_id}});
    if let Some(ip) = static_ip {
        fe["privateIPAllocationMethod"] = json!("Static");
        fe["privateIPAddress"] = json!(ip);
    }
    json!({"location": "westeurope", "sku": {"name": "Standard"}, "properties": {
        "frontendIPConfigurations": [{"name": "fe", "properties": fe}],
        "backendAddressPools": [{"name": "be", "properties": {}}],
        "probes": [{"name": "hp", "properties": {"protocol": "Tcp", "port": 6443}}],
        "loadBalancingRules": [{"name": "api", "properties": {
            "frontendIPConfiguration": {"id": format!("{lbid}/frontendIPConfigurations/fe")},
            "backendAddressPool": {"id": format!("{lbid}/backendAddressPools/be")},
            "probe": {"id": format!("{lbid}/probes/hp")},
            "protocol": "Tcp", "frontendPort": 6443, "backendPort": 6443}}]}})
}

#[tokio::test]
async fn load_balancer_inline_children_ip_allocation_and_references() {
    let env = start(config(0.001)).await;
    env.rg("rg").await;
    env.vnet("rg", "vnetlb", "10.0.0.0/16").await;
    let s = env.subnet("rg", "vnetlb", "subnetlb", "10.0.1.0/24").await;
    let subnet_id = s.body["id"].as_str().unwrap().to_string();

    // The spec example, re-addressed to our subscription.
    let ex = example("LoadBalancerCreate.json");
    let text = ex["parameters"]["parameters"]
        .to_string()
        .replace("/subscriptions/subid/resourceGroups/rg1", &rg_path("rg"));
    let r = env
        .put(
            &lb_path("rg", "lb"),
            NET,
            serde_json::from_str(&text).unwrap(),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    env.wait_aao(&r).await;
    let got = env.get(&lb_path("rg", "lb"), NET).await;
    assert_eq!(got.state(), "Succeeded");
    let fe = &got.body["properties"]["frontendIPConfigurations"][0];
    assert_eq!(
        fe["properties"]["privateIPAddress"], "10.0.1.4",
        "first address after the reserved ones"
    );
    assert_eq!(fe["properties"]["privateIPAllocationMethod"], "Dynamic");
    let miss = missing(
        &ex["responses"]["201"]["body"],
        &got.body,
        &["inboundNatRules[0].properties.backendIPConfiguration"],
    );
    assert!(miss.is_empty(), "{miss:?}");
    assert_eq!(got.body["sku"]["name"], "Basic");

    // GET-only children.
    let p = env
        .get(&format!("{}/probes/probe-lb", lb_path("rg", "lb")), NET)
        .await;
    assert_eq!(p.status, 200);
    assert_eq!(
        p.body["properties"]["loadBalancingRules"][0]["id"],
        got.body["properties"]["loadBalancingRules"][0]["id"]
    );
    let l = env
        .get(
            &format!("{}/frontendIPConfigurations", lb_path("rg", "lb")),
            NET,
        )
        .await;
    assert_eq!(l.body["value"].as_array().unwrap().len(), 1);
    let x = env
        .put(
            &format!("{}/probes/p2", lb_path("rg", "lb")),
            NET,
            json!({}),
        )
        .await;
    assert_eq!(x.status, 405);
    // The subnet lists the frontend, and can't be deleted while it is there.
    let sg = env.get(&subnet_path("rg", "vnetlb", "subnetlb"), NET).await;
    assert_eq!(sg.body["properties"]["ipConfigurations"][0]["id"], fe["id"]);
    let d = env
        .delete(&subnet_path("rg", "vnetlb", "subnetlb"), NET)
        .await;
    assert_eq!(
        (d.status, d.code().as_str()),
        (400, "InUseSubnetCannotBeDeleted")
    );

    // Second LB in the same subnet gets the next address; a static one must fit.
    let r = env
        .put(
            &lb_path("rg", "lb2"),
            NET,
            lb_body("rg", "lb2", &subnet_id, None),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(
        r.body["properties"]["frontendIPConfigurations"][0]["properties"]["privateIPAddress"],
        "10.0.1.5"
    );
    env.wait_aao(&r).await;
    let bad = env
        .put(
            &lb_path("rg", "lb3"),
            NET,
            lb_body("rg", "lb3", &subnet_id, Some("10.0.9.9")),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (400, "PrivateIPAddressNotInSubnet")
    );
    let bad = env
        .put(
            &lb_path("rg", "lb3"),
            NET,
            lb_body("rg", "lb3", &subnet_id, Some("10.0.1.2")),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (400, "PrivateIPAddressInReservedRange")
    );
    let bad = env
        .put(
            &lb_path("rg", "lb3"),
            NET,
            lb_body("rg", "lb3", &subnet_id, Some("10.0.1.5")),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (400, "PrivateIPAddressIsAllocated")
    );
    let ok = env
        .put(
            &lb_path("rg", "lb3"),
            NET,
            lb_body("rg", "lb3", &subnet_id, Some("10.0.1.100")),
        )
        .await;
    assert_eq!(ok.status, 201, "{:?}", ok.body);
    env.wait_aao(&ok).await;

    // Rules must reference the same LB's children.
    let mut b = lb_body("rg", "lb4", &subnet_id, None);
    b["properties"]["loadBalancingRules"][0]["properties"]["probe"]["id"] =
        json!(format!("{}/probes/hp", lb_path("rg", "lb2")));
    let bad = env.put(&lb_path("rg", "lb4"), NET, b).await;
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (400, "InvalidResourceReference")
    );
    let mut b = lb_body("rg", "lb4", &subnet_id, None);
    b["properties"]["probes"][0]["properties"] = json!({"protocol": "Http", "port": 80});
    let bad = env.put(&lb_path("rg", "lb4"), NET, b).await;
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (400, "InvalidRequestFormat"),
        "Http probe needs requestPath"
    );
    let mut b = lb_body("rg", "lb4", &subnet_id, None);
    b["properties"]["frontendIPConfigurations"][0]["properties"]["subnet"]["id"] =
        json!(format!("{subnet_id}x"));
    let bad = env.put(&lb_path("rg", "lb4"), NET, b).await;
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (400, "InvalidResourceReference")
    );

    // Backend pools as children: PUT one more, list, delete it.
    let pp = format!("{}/backendAddressPools/extra", lb_path("rg", "lb2"));
    let r = env.put(&pp, NET, json!({"properties": {}})).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    env.wait_aao(&r).await;
    let pools = env
        .get(
            &format!("{}/backendAddressPools", lb_path("rg", "lb2")),
            NET,
        )
        .await;
    assert_eq!(pools.body["value"].as_array().unwrap().len(), 2);
    let lb2 = env.get(&lb_path("rg", "lb2"), NET).await;
    assert_eq!(
        lb2.body["properties"]["backendAddressPools"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let d = env.delete(&pp, NET).await;
    assert_eq!(d.status, 202);
    env.wait_location(&d).await;
    assert_eq!(env.get(&pp, NET).await.status, 404);

    // LB with a public frontend: the public IP shows it in ipConfiguration.
    let pip = env
        .put(
            &pip_path("rg", "pip"),
            NET,
            json!({"location": "westeurope", "sku": {"name": "Standard"}}),
        )
        .await;
    env.wait_aao(&pip).await;
    let r = env.put(&lb_path("rg", "pub"), NET, json!({"location": "westeurope", "sku": {"name": "Standard"},
        "properties": {"frontendIPConfigurations": [{"name": "fe", "properties": {"publicIPAddress": {"id": pip.body["id"]}}}]}})).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let pg = env.get(&pip_path("rg", "pip"), NET).await;
    assert!(
        pg.body["properties"]["ipConfiguration"]["id"]
            .as_str()
            .unwrap()
            .ends_with("/frontendIPConfigurations/fe")
    );

    // Deleting the LBs frees the subnet.
    for n in ["lb", "lb2", "lb3", "pub"] {
        let d = env.delete(&lb_path("rg", n), NET).await;
        assert_eq!(d.status, 202);
        env.wait_location(&d).await;
    }
    let d = env
        .delete(&subnet_path("rg", "vnetlb", "subnetlb"), NET)
        .await;
    assert_eq!(d.status, 202, "{:?}", d.body);
}

#[tokio::test]
async fn peering_states_overlap_and_missing_remote() {
    let env = start(config(0.001)).await;
    env.rg("rg").await;
    let v1 = env.vnet("rg", "vnet1", "10.1.0.0/16").await;
    let v2 = env.vnet("rg", "vnet2", "10.2.0.0/16").await;
    env.vnet("rg", "vnet3", "10.1.128.0/17").await;
    let ex = example("VirtualNetworkPeeringCreate.json");
    let mut body = ex["parameters"]["VirtualNetworkPeeringParameters"].clone();
    body["properties"]["remoteVirtualNetwork"]["id"] = v2.body["id"].clone();
    let p1 = format!("{}/virtualNetworkPeerings/to2", vnet_path("rg", "vnet1"));
    let r = env.put(&p1, NET, body.clone()).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    env.wait_aao(&r).await;
    let got = env.get(&p1, NET).await;
    assert_eq!(got.body["properties"]["peeringState"], "Initiated");
    assert_eq!(
        got.body["properties"]["remoteAddressSpace"]["addressPrefixes"],
        json!(["10.2.0.0/16"])
    );
    let miss = missing(
        &ex["responses"]["200"]["body"],
        &got.body,
        &["remoteBgpCommunities"],
    );
    assert!(miss.is_empty(), "{miss:?}");

    let mut back = body.clone();
    back["properties"]["remoteVirtualNetwork"]["id"] = v1.body["id"].clone();
    let p2 = format!("{}/virtualNetworkPeerings/to1", vnet_path("rg", "vnet2"));
    let r = env.put(&p2, NET, back).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    env.wait_aao(&r).await;
    assert_eq!(
        env.get(&p1, NET).await.body["properties"]["peeringState"],
        "Connected"
    );
    assert_eq!(
        env.get(&p2, NET).await.body["properties"]["peeringState"],
        "Connected"
    );
    let vn = env.get(&vnet_path("rg", "vnet1"), NET).await;
    assert_eq!(
        vn.body["properties"]["virtualNetworkPeerings"][0]["properties"]["peeringState"],
        "Connected"
    );
    let list = env
        .get(
            &format!("{}/virtualNetworkPeerings", vnet_path("rg", "vnet1")),
            NET,
        )
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);

    // Overlap: vnet1 (10.1/16) with vnet3 (10.1.128/17).
    let mut ov = body.clone();
    ov["properties"]["remoteVirtualNetwork"]["id"] = json!(format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet3"
    ));
    let r = env
        .put(
            &format!("{}/virtualNetworkPeerings/to3", vnet_path("rg", "vnet1")),
            NET,
            ov,
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "VnetAddressSpacesOverlap")
    );
    // vnet3 overlaps vnet1, which is already peered with vnet2.
    let mut ov = body.clone();
    ov["properties"]["remoteVirtualNetwork"]["id"] = v2.body["id"].clone();
    let r = env
        .put(
            &format!("{}/virtualNetworkPeerings/to2", vnet_path("rg", "vnet3")),
            NET,
            ov,
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet")
    );
    let mut gone = body.clone();
    gone["properties"]["remoteVirtualNetwork"]["id"] = json!(format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/ghost"
    ));
    let r = env
        .put(
            &format!("{}/virtualNetworkPeerings/ghost", vnet_path("rg", "vnet1")),
            NET,
            gone,
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidResourceReference")
    );

    let d = env.delete(&p2, NET).await;
    assert_eq!(d.status, 202);
    env.wait_location(&d).await;
    assert_eq!(
        env.get(&p1, NET).await.body["properties"]["peeringState"],
        "Disconnected"
    );
}

#[tokio::test]
async fn private_dns_zone_records_links() {
    let env = start(config(0.001)).await;
    env.rg("rg").await;
    let v = env.vnet("rg", "vn", "10.0.0.0/16").await;
    let zp = zone_path("rg", "privatezone1.com");
    let ex = example("PrivateZonePut.json");
    let r = env
        .put(&zp, DNS, ex["parameters"]["parameters"].clone())
        .await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    assert!(
        r.h("location").is_some()
            && r.h("azure-asyncoperation").is_some()
            && r.h("retry-after").is_some()
    );
    env.wait_aao(&r).await;
    let got = env.get(&zp, DNS).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["location"], "global");
    assert_eq!(got.state(), "Succeeded");
    let miss = missing(&ex["responses"]["201"]["body"], &got.body, &[]);
    assert!(miss.is_empty(), "{miss:?}");
    assert_eq!(got.body["properties"]["numberOfRecordSets"], 1);
    let bad = env
        .put(
            &zone_path("rg", "other.com"),
            DNS,
            json!({"location": "westeurope"}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (400, "LocationNotAvailableForResourceType")
    );
    let bad = env.put(&zp, NET, json!({"location": "global"})).await;
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (400, "NoRegisteredProviderFound")
    );

    // A record set: not an LRO.
    let rex = example("RecordSetAPut.json");
    let ap = format!("{zp}/A/recordA");
    let r = env
        .put(&ap, DNS, rex["parameters"]["parameters"].clone())
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert!(r.h("azure-asyncoperation").is_none());
    let miss = missing(&rex["responses"]["201"]["body"], &r.body, &[]);
    assert!(miss.is_empty(), "{miss:?}");
    assert_eq!(r.body["properties"]["fqdn"], "recordA.privatezone1.com.");
    assert_eq!(r.body["properties"]["isAutoRegistered"], false);
    let apex = env
        .put(
            &format!("{zp}/A/@"),
            DNS,
            json!({"properties": {"ttl": 60, "aRecords": [{"ipv4Address": "10.0.0.4"}]}}),
        )
        .await;
    assert_eq!(apex.body["properties"]["fqdn"], "privatezone1.com.");
    let bad = env
        .put(
            &format!("{zp}/A/x"),
            DNS,
            json!({"properties": {"aRecords": [{"ipv4Address": "10.0.0"}]}}),
        )
        .await;
    assert_eq!((bad.status, bad.code().as_str()), (400, "InvalidParameter"));
    assert_eq!(
        env.get(&zp, DNS).await.body["properties"]["numberOfRecordSets"],
        3
    );
    assert_eq!(
        env.get(&format!("{zp}/A"), DNS).await.body["value"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Link: LRO, state InProgress → Completed, counters.
    let lex = example("VirtualNetworkLinkPut.json");
    let mut lb = lex["parameters"]["parameters"].clone();
    lb["properties"]["virtualNetwork"]["id"] = v.body["id"].clone();
    lb["properties"]["registrationEnabled"] = json!(true);
    let lp = format!("{zp}/virtualNetworkLinks/link1");
    let r = env.put(&lp, DNS, lb.clone()).await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    env.wait_aao(&r).await;
    let got = env.get(&lp, DNS).await;
    assert_eq!(
        got.body["properties"]["virtualNetworkLinkState"],
        "Completed"
    );
    let miss = missing(&lex["responses"]["201"]["body"], &got.body, &[]);
    assert!(miss.is_empty(), "{miss:?}");
    let z = env.get(&zp, DNS).await;
    assert_eq!(z.body["properties"]["numberOfVirtualNetworkLinks"], 1);
    assert_eq!(
        z.body["properties"]["numberOfVirtualNetworkLinksWithRegistration"],
        1
    );
    let dup = env
        .put(&format!("{zp}/virtualNetworkLinks/link2"), DNS, lb.clone())
        .await;
    assert_eq!((dup.status, dup.code().as_str()), (409, "Conflict"));
    let mut nolink = lb.clone();
    nolink["properties"]["virtualNetwork"]["id"] =
        json!(format!("{}x", v.body["id"].as_str().unwrap()));
    let bad = env
        .put(&format!("{zp}/virtualNetworkLinks/link3"), DNS, nolink)
        .await;
    assert_eq!((bad.status, bad.code().as_str()), (400, "BadRequest"));

    // Zone can't go while linked; record delete is synchronous.
    let d = env.delete(&zp, DNS).await;
    assert_eq!((d.status, d.code().as_str()), (409, "Conflict"));
    let d = env.delete(&ap, DNS).await;
    assert_eq!(d.status, 200);
    assert_eq!(env.delete(&ap, DNS).await.status, 204);
    let d = env.delete(&lp, DNS).await;
    assert_eq!(d.status, 202);
    env.wait_location(&d).await;
    let d = env.delete(&zp, DNS).await;
    assert_eq!(d.status, 202);
    env.wait_location(&d).await;
    assert_eq!(
        env.get(&format!("{zp}/A/@"), DNS).await.status,
        404,
        "records go with the zone"
    );
}

#[tokio::test]
async fn identities_and_federated_credentials() {
    let env = start(config(0.0)).await;
    env.rg("rg").await;
    let ex = example("IdentityCreate.json");
    let ip = id_path("rg", "ident");
    let r = env
        .put(&ip, MSI, ex["parameters"]["parameters"].clone())
        .await;
    assert_eq!(r.status, 201);
    assert!(r.h("azure-asyncoperation").is_none());
    let miss = missing(&ex["responses"]["201"]["body"], &r.body, &[]);
    assert!(miss.is_empty(), "{miss:?}");
    assert!(r.body["properties"].get("provisioningState").is_none());
    let principal = r.body["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(uuid_like(&principal) && uuid_like(r.body["properties"]["clientId"].as_str().unwrap()));
    let again = env.put(&ip, MSI, json!({"location": "eastus"})).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["properties"]["principalId"], principal.as_str());
    let moved = env.put(&ip, MSI, json!({"location": "westus"})).await;
    assert_eq!(
        (moved.status, moved.code().as_str()),
        (409, "InvalidResourceLocation")
    );

    let fex = example("FederatedIdentityCredentialCreate.json");
    let fp = format!("{ip}/federatedIdentityCredentials/ficResourceName");
    let r = env
        .put(&fp, MSI, fex["parameters"]["parameters"].clone())
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let miss = missing(&fex["responses"]["201"]["body"], &r.body, &[]);
    assert!(miss.is_empty(), "{miss:?}");
    assert!(r.body.get("location").is_none());
    let dup = env
        .put(
            &format!("{ip}/federatedIdentityCredentials/other"),
            MSI,
            fex["parameters"]["parameters"].clone(),
        )
        .await;
    assert_eq!((dup.status, dup.code().as_str()), (400, "BadRequest"));
    let nosub = env.put(&format!("{ip}/federatedIdentityCredentials/nosub"), MSI,
        json!({"properties": {"issuer": "https://x", "audiences": ["api://AzureADTokenExchange"]}})).await;
    assert_eq!((nosub.status, nosub.code().as_str()), (400, "BadRequest"));
    let badname = env
        .put(
            &format!("{ip}/federatedIdentityCredentials/-x"),
            MSI,
            fex["parameters"]["parameters"].clone(),
        )
        .await;
    assert_eq!(badname.status, 400);
    assert_eq!(
        env.get(&format!("{ip}/federatedIdentityCredentials"), MSI)
            .await
            .body["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let list = env
        .get(
            &format!(
                "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
                rg_path("rg")
            ),
            MSI,
        )
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);

    let d = env.delete(&fp, MSI).await;
    assert_eq!(d.status, 200);
    assert_eq!(env.delete(&fp, MSI).await.status, 204);
    let d = env.delete(&ip, MSI).await;
    assert_eq!(d.status, 200);
    assert_eq!(env.get(&ip, MSI).await.code(), "ResourceNotFound");
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn concurrent_federated_credential_writes_conflict() {
    // time_scale 1: each credential write is in flight for 2 s.
    let env = start(config(1.0)).await;
    env.rg("rg").await;
    let ip = id_path("rg", "ident");
    assert_eq!(
        env.put(&ip, MSI, json!({"location": "eastus"}))
            .await
            .status,
        201
    );
    let body = |s: &str| json!({"properties": {"issuer": "https://issuer", "subject": s, "audiences": ["api://AzureADTokenExchange"]}});
    let pa = format!("{ip}/federatedIdentityCredentials/fica");
    let a = env.put(&pa, MSI, body("a"));
    let b = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        env.put(
            &format!("{ip}/federatedIdentityCredentials/ficb"),
            MSI,
            body("b"),
        )
        .await
    };
    let (ra, rb) = tokio::join!(a, b);
    assert_eq!(ra.status, 201, "{:?}", ra.body);
    assert_eq!(
        (rb.status, rb.code().as_str()),
        (
            409,
            "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity"
        )
    );
    // Sequential writes are fine.
    let rb = env
        .put(
            &format!("{ip}/federatedIdentityCredentials/ficb"),
            MSI,
            body("b"),
        )
        .await;
    assert_eq!(rb.status, 201, "{:?}", rb.body);
}

#[tokio::test]
async fn group_delete_cascades_and_generic_list() {
    let env = start(config(0.0)).await;
    env.rg("rg").await;
    let v = env.vnet("rg", "vn", "10.0.0.0/16").await;
    let s = env.subnet("rg", "vn", "s", "10.0.0.0/24").await;
    env.put(&nsg_path("rg", "nsg"), NET, json!({"location": "westeurope", "properties": {"securityRules": [{"name": "r", "properties": rule(100, "Inbound")["properties"]}]}})).await;
    env.put(
        &pip_path("rg", "pip"),
        NET,
        json!({"location": "westeurope"}),
    )
    .await;
    let r = env
        .put(
            &lb_path("rg", "lb"),
            NET,
            lb_body("rg", "lb", s.body["id"].as_str().unwrap(), None),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    env.put(
        &zone_path("rg", "z.local"),
        DNS,
        json!({"location": "global"}),
    )
    .await;
    env.put(
        &format!("{}/virtualNetworkLinks/l", zone_path("rg", "z.local")),
        DNS,
        json!({"location": "global", "properties": {"virtualNetwork": {"id": v.body["id"]}}}),
    )
    .await;
    env.put(
        &format!("{}/A/www", zone_path("rg", "z.local")),
        DNS,
        json!({"properties": {"ttl": 5}}),
    )
    .await;
    env.put(&id_path("rg", "ident"), MSI, json!({"location": "eastus"}))
        .await;
    let all = env.get(&format!("{}/resources", rg_path("rg")), RES).await;
    let mut types: Vec<String> = all.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["type"].as_str().unwrap().to_string())
        .collect();
    types.sort();
    assert_eq!(
        types,
        vec![
            "Microsoft.ManagedIdentity/userAssignedIdentities",
            "Microsoft.Network/loadBalancers",
            "Microsoft.Network/networkSecurityGroups",
            "Microsoft.Network/privateDnsZones",
            "Microsoft.Network/publicIPAddresses",
            "Microsoft.Network/virtualNetworks",
        ]
    );
    let sub_list = env
        .get(
            &format!("/subscriptions/{SUB}/providers/Microsoft.Network/loadBalancers"),
            NET,
        )
        .await;
    assert_eq!(sub_list.body["value"].as_array().unwrap().len(), 1);
    let d = env.delete(&rg_path("rg"), RES).await;
    assert_eq!(d.status, 202);
    env.wait_location(&d).await;
    assert_eq!(
        env.get(
            &format!("/subscriptions/{SUB}/providers/Microsoft.Network/loadBalancers"),
            NET
        )
        .await
        .body["value"],
        json!([])
    );
    assert_eq!(
        env.get(
            &format!(
                "/subscriptions/{SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
            ),
            MSI
        )
        .await
        .body["value"],
        json!([])
    );
}

#[tokio::test]
async fn only_published_api_versions_are_accepted() {
    // Well-formed versions Azure never published for these types (none in the specs' folders).
    let env = start(config(0.0)).await;
    env.rg("rg").await;
    for (path, good, unpublished) in [
        (vnet_path("rg", "v"), NET, "2024-10-01"),
        (nsg_path("rg", "n"), NET, "2016-07-01"),
        (zone_path("rg", "z.com"), DNS, "2019-01-01"),
        (id_path("rg", "i"), MSI, "2024-01-31"),
        (cluster_path("rg", "c"), AKS, "2024-06-01"),
    ] {
        let r = env.get(&path, unpublished).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "NoRegisteredProviderFound"),
            "{path} {unpublished}"
        );
        assert!(r.body["error"]["message"].as_str().unwrap().contains(good));
        assert_eq!(env.get(&path, good).await.status, 404);
    }
    assert_eq!(env.get(&rg_path("rg"), "2024-03-01").await.status, 200);
    assert_eq!(env.get(&rg_path("rg"), "2021-04-01").await.status, 200);
    assert_eq!(
        env.get(&cluster_path("rg", "c"), "2026-07-01").await.status,
        404
    );
    let r = env.get(&rg_path("rg"), "2021-04-02").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidApiVersionParameter")
    );
}
