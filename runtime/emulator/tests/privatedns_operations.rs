//! Private DNS long-running operations use the URL shape of the privatedns.json 2024-06-01
//! examples (PrivateZonePut/PrivateZoneDelete/VirtualNetworkLinkPut/VirtualNetworkLinkDelete):
//! `.../resourceGroups/{rg}/providers/Microsoft.Network/privateDnsOperationStatuses/{id}`
//! (Azure-AsyncOperation) and `.../privateDnsOperationResults/{id}` (Location).

mod common;

use common::*;
use serde_json::json;

const DNS: &str = "2024-06-01";

/// Checks both operation headers of `r` have the example's shape for group `rg`, and
/// returns the operation ID.
fn check_shape(env: &Env, r: &R, rg: &str) -> String {
    let aao = r.h("azure-asyncoperation").expect("Azure-AsyncOperation");
    let loc = r.h("location").expect("Location");
    let prefix = format!(
        "{}/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/",
        env.server.base_url
    );
    let id = aao
        .strip_prefix(&format!("{prefix}privateDnsOperationStatuses/"))
        .and_then(|x| x.strip_suffix(&format!("?api-version={DNS}")))
        .unwrap_or_else(|| panic!("Azure-AsyncOperation shape: {aao}"))
        .to_string();
    assert_eq!(
        loc,
        format!("{prefix}privateDnsOperationResults/{id}?api-version={DNS}")
    );
    id
}

#[tokio::test]
async fn zone_and_link_operations_use_private_dns_urls() {
    // Zone create 0.3 s, link create 0.3 s.
    let env = start(config(0.01)).await;
    env.rg("Rg1").await;
    env.rg("other").await;
    let v = env.vnet("Rg1", "vn", "10.0.0.0/16").await;
    let zp = format!(
        "{}/providers/Microsoft.Network/privateDnsZones/z.internal",
        rg_path("Rg1")
    );
    let r = env.put(&zp, DNS, json!({"location": "global"})).await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    let id = check_shape(&env, &r, "Rg1");

    // While running: the Location URL answers 202 with itself and Retry-After.
    let loc = r.h("location").unwrap();
    let first = env.send("GET", &loc, None).await;
    assert_eq!(first.status, 202);
    assert_eq!(first.h("location").as_deref(), Some(loc.as_str()));
    assert!(first.h("retry-after").is_some());

    // The status resource: id is its own path.
    let st = env.wait_aao(&r).await;
    assert_eq!(st.body["status"], "Succeeded");
    assert_eq!(
        st.body["id"],
        format!(
            "/subscriptions/{SUB}/resourceGroups/Rg1/providers/Microsoft.Network/privateDnsOperationStatuses/{id}"
        )
    );
    // Done: the result URL answers with the zone.
    let done = env.send("GET", &loc, None).await;
    assert_eq!(done.status, 200);
    assert_eq!(done.body["name"], "z.internal");

    // The operation is not found under another group, nor by an unknown ID.
    let other = format!(
        "{}/subscriptions/{SUB}/resourceGroups/other/providers/Microsoft.Network/privateDnsOperationStatuses/{id}?api-version={DNS}",
        env.server.base_url
    );
    let r404 = env.send("GET", &other, None).await;
    assert_eq!(
        (r404.status, r404.code().as_str()),
        (404, "OperationNotFound")
    );
    let unknown = loc.replace(&id, "00000000-0000-0000-0000-00000000beef");
    assert_eq!(env.send("GET", &unknown, None).await.status, 404);

    // A virtual network link: same shapes, for PUT and DELETE.
    let vnet_id = v.body["id"].as_str().unwrap().to_string();
    let lp = format!("{zp}/virtualNetworkLinks/l1");
    let r = env
        .put(
            &lp,
            DNS,
            json!({"location": "global", "properties": {"virtualNetwork": {"id": vnet_id}, "registrationEnabled": false}}),
        )
        .await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    check_shape(&env, &r, "Rg1");
    assert_eq!(env.wait_aao(&r).await.body["status"], "Succeeded");
    let r = env.delete(&lp, DNS).await;
    assert_eq!(r.status, 202);
    check_shape(&env, &r, "Rg1");
    assert_eq!(env.wait_location(&r).await.status, 204);

    // Zone delete: Location ends 204.
    let r = env.delete(&zp, DNS).await;
    assert_eq!(r.status, 202);
    check_shape(&env, &r, "Rg1");
    assert_eq!(env.wait_location(&r).await.status, 204);
    assert_eq!(env.get(&zp, DNS).await.status, 404);

    // Other Network kinds keep the location-scoped shape.
    let r = env
        .put(
            &vnet_path("Rg1", "vn2"),
            NET,
            json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.2.0.0/16"]}}}),
        )
        .await;
    assert!(
        r.h("azure-asyncoperation")
            .unwrap()
            .contains("/providers/Microsoft.Network/locations/westeurope/operations/"),
        "{:?}",
        r.h("azure-asyncoperation")
    );
}
