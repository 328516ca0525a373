//! What the Azure CLI asks beyond resource CRUD: cloud metadata, OpenID and instance
//! discovery, tenants, the Graph slice, role definitions and assignments, template
//! deployments and cluster credentials (tests/conformance/azcli runs the real az on top).

mod common;

use common::*;
use emulator::{AuthClient, ClientCredential};
use serde_json::{Value, json};

const TENANT: &str = emulator::LOCAL_TENANT;
const CLIENT: &str = "5f3c8a52-6b0e-4c8e-9d7a-1e2f3a4b5c6d";
const SECRET: &str = "test-secret";
const AUTHZ: &str = "2022-04-01";
const DEFS: &str = "2022-05-01-preview";
const MSI: &str = "2024-11-30";

async fn json_get(http: &reqwest::Client, url: &str, token: Option<&str>) -> (u16, Value) {
    let mut rq = http.get(url);
    if let Some(t) = token {
        rq = rq.bearer_auth(t);
    }
    let r = rq.send().await.unwrap();
    let s = r.status().as_u16();
    let text = r.text().await.unwrap();
    (s, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn token(env: &Env, scope: &str) -> String {
    let r = env
        .http
        .post(format!(
            "{}/{TENANT}/oauth2/v2.0/token",
            env.server.base_url
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&client_id={CLIENT}&client_secret={SECRET}&scope={}",
            scope.replace(':', "%3A").replace('/', "%2F")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn discovery_is_unauthenticated_and_graph_needs_a_graph_token() {
    let mut cfg = config(0.0);
    cfg.auth.require_auth = true;
    cfg.auth.clients = vec![AuthClient {
        tenant: TENANT.into(),
        client_id: CLIENT.into(),
        credential: ClientCredential::Secret(SECRET.into()),
    }];
    let env = start(cfg).await;
    let base = env.server.base_url.clone();

    // Cloud metadata without a token, also behind a doubled slash.
    for path in ["/metadata/endpoints", "//metadata/endpoints"] {
        let (s, m) = json_get(
            &env.http,
            &format!("{base}{path}?api-version=2022-09-01"),
            None,
        )
        .await;
        assert_eq!(s, 200, "{path}: {m}");
        assert_eq!(m["authentication"]["loginEndpoint"], base.as_str());
        assert_eq!(m["resourceManager"], format!("{base}/"));
        assert_eq!(
            m["authentication"]["audiences"][0],
            "https://management.core.windows.net/"
        );
    }
    let (s, oidc) = json_get(
        &env.http,
        &format!("{base}/{TENANT}/v2.0/.well-known/openid-configuration"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        oidc["token_endpoint"],
        format!("{base}/{TENANT}/oauth2/v2.0/token")
    );
    let (s, inst) = json_get(
        &env.http,
        &format!("{base}/common/discovery/instance?api-version=1.1&authorization_endpoint=https://127.0.0.1/{TENANT}/oauth2/v2.0/authorize"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{inst}");
    assert_eq!(
        inst["tenant_discovery_endpoint"],
        format!("{base}/{TENANT}/v2.0/.well-known/openid-configuration")
    );

    // /tenants is ARM: it needs the ARM token.
    let (s, _) = json_get(
        &env.http,
        &format!("{base}/tenants?api-version=2022-12-01"),
        None,
    )
    .await;
    assert_eq!(s, 401);
    let arm = token(&env, "https://management.core.windows.net//.default").await;
    let (s, t) = json_get(
        &env.http,
        &format!("{base}/tenants?api-version=2022-12-01"),
        Some(&arm),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(t["value"][0]["tenantId"], TENANT);

    // Graph refuses no token and an ARM token; a token for the emulator's Graph works.
    let sp = format!(
        "{base}/v1.0/servicePrincipals?$filter=servicePrincipalNames/any(c:c%20eq%20'{CLIENT}')"
    );
    let (s, e) = json_get(&env.http, &sp, None).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (401, Some("InvalidAuthenticationToken"))
    );
    let (s, _) = json_get(&env.http, &sp, Some(&arm)).await;
    assert_eq!(s, 401);
    let graph = token(&env, &format!("{base}//.default")).await;
    let (s, found) = json_get(&env.http, &sp, Some(&graph)).await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["value"][0]["appId"], CLIENT);
    assert_eq!(found["value"][0]["servicePrincipalType"], "Application");
}

#[tokio::test]
async fn role_assignments_follow_the_spec_and_the_directory() {
    let env = start(config(0.0)).await;
    env.rg("g").await;
    let id = env
        .put(
            &format!("/subscriptions/{SUB}/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aso"),
            MSI,
            json!({"location": "westeurope"}),
        )
        .await;
    assert_eq!(id.status, 201, "{}", id.body);
    let client_id = id.body["properties"]["clientId"]
        .as_str()
        .unwrap()
        .to_string();
    let principal = id.body["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();

    // Graph finds the identity's service principal by its client ID.
    let (s, sp) = json_get(
        &env.http,
        &format!(
            "{}/v1.0/servicePrincipals?$filter=servicePrincipalNames/any(c:c%20eq%20'{client_id}')",
            env.server.base_url
        ),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(sp["value"][0]["id"], principal.as_str());
    assert_eq!(sp["value"][0]["servicePrincipalType"], "ManagedIdentity");

    let scope = format!("/subscriptions/{SUB}/resourceGroups/g");
    let defs = env
        .get(&format!("{scope}/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName%20eq%20'Contributor'"), DEFS)
        .await;
    assert_eq!(defs.status, 200);
    let role = defs.body["value"][0]["id"].as_str().unwrap().to_string();
    assert!(
        role.ends_with("/b24988ac-6180-42a0-ab88-20f7382dd24c"),
        "{role}"
    );

    let ra =
        |name: &str| format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}");
    let name = "3b9b8b6e-4d5e-4c3a-9a1b-2c3d4e5f6a7b";
    let body = json!({"properties": {"roleDefinitionId": role, "principalId": principal}});
    let r = env.put(&ra(name), AUTHZ, body.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["properties"]["scope"], scope.as_str());
    assert_eq!(r.body["properties"]["principalType"], "ServicePrincipal");
    assert_eq!(env.put(&ra(name), AUTHZ, body.clone()).await.status, 200);
    let dup = env
        .put(
            &ra("9c2d1e0f-1111-2222-3333-444455556666"),
            AUTHZ,
            body.clone(),
        )
        .await;
    assert_eq!(
        (dup.status, dup.code()),
        (409, "RoleAssignmentExists".to_string())
    );
    let ghost = json!({"properties": {"roleDefinitionId": role, "principalId": "00000000-1111-2222-3333-444444444444"}});
    let r = env
        .put(&ra("8c2d1e0f-1111-2222-3333-444455556666"), AUTHZ, ghost)
        .await;
    assert_eq!((r.status, r.code()), (400, "PrincipalNotFound".to_string()));
    let other_role = json!({"properties": {"roleDefinitionId": role.replace("b24988ac-6180-42a0-ab88-20f7382dd24c", "acdd72a7-3385-48ef-bd42-f606fba81ae7"), "principalId": principal}});
    let r = env.put(&ra(name), AUTHZ, other_role).await;
    assert_eq!(r.code(), "RoleAssignmentUpdateNotPermitted");
    let r = env.put(&ra("not-a-guid"), AUTHZ, body.clone()).await;
    assert_eq!(r.code(), "InvalidRoleAssignmentId");
    let r = env
        .put(&format!("/subscriptions/{SUB}/resourceGroups/nope/providers/Microsoft.Authorization/roleAssignments/{name}"), AUTHZ, body)
        .await;
    assert_eq!(r.code(), "ResourceGroupNotFound");

    // Listed at the subscription (it applies below) and filtered by principal.
    let l = env
        .get(&format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments?$filter=principalId%20eq%20'{principal}'"), AUTHZ)
        .await;
    assert_eq!(
        l.body["value"].as_array().map(Vec::len),
        Some(1),
        "{}",
        l.body
    );
    let at = env
        .get(&format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()"), AUTHZ)
        .await;
    assert_eq!(at.body["value"].as_array().map(Vec::len), Some(0));
    assert_eq!(env.delete(&ra(name), AUTHZ).await.status, 200);
    assert_eq!(env.delete(&ra(name), AUTHZ).await.status, 204);
}

#[tokio::test]
async fn template_deployments_put_their_resources_and_report_outputs() {
    let env = start(config(0.001)).await;
    env.rg("g").await;
    let dep = |n: &str| {
        format!(
            "/subscriptions/{SUB}/resourcegroups/g/providers/Microsoft.Resources/deployments/{n}"
        )
    };
    let template = json!({
        "$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"prefix": {"type": "string", "defaultValue": "10.20"}},
        "variables": {"cidr": "[concat(parameters('prefix'), '.0.0/16')]"},
        "resources": [
            {"type": "Microsoft.Network/virtualNetworks/subnets", "name": "hub/a", "apiVersion": NET,
             "dependsOn": ["[resourceId('Microsoft.Network/virtualNetworks', 'hub')]"],
             "properties": {"addressPrefix": "[concat(parameters('prefix'), '.1.0/24')]"}},
            {"type": "Microsoft.Network/virtualNetworks", "name": "hub", "apiVersion": NET,
             "location": "[resourceGroup().location]",
             "properties": {"addressSpace": {"addressPrefixes": ["[variables('cidr')]"]}}}
        ],
        "outputs": {"space": {"type": "object", "value": "[reference('hub').addressSpace]"}}
    });
    let r = env
        .put(
            &dep("d1"),
            RES,
            json!({"properties": {"mode": "Incremental", "template": template, "parameters": {}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let done = env.wait_aao(&r).await;
    assert_eq!(done.body["status"], "Succeeded", "{}", done.body);
    let d = env.get(&dep("d1"), RES).await;
    assert_eq!(d.state(), "Succeeded");
    assert_eq!(
        d.body["properties"]["outputs"]["space"]["value"]["addressPrefixes"][0],
        "10.20.0.0/16"
    );
    assert_eq!(
        d.body["properties"]["outputResources"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let subnet = env.get(&subnet_path("g", "hub", "a"), NET).await;
    assert_eq!(subnet.body["properties"]["addressPrefix"], "10.20.1.0/24");
    let list = env
        .get(
            &format!(
                "/subscriptions/{SUB}/resourcegroups/g/providers/Microsoft.Resources/deployments"
            ),
            RES,
        )
        .await;
    assert_eq!(list.body["value"].as_array().map(Vec::len), Some(1));

    // A resource the emulator refuses fails the deployment with ARM's DeploymentFailed.
    let bad = json!({"resources": [{"type": "Microsoft.Network/virtualNetworks/subnets", "name": "hub/b",
        "apiVersion": NET, "properties": {"addressPrefix": "192.168.0.0/24"}}]});
    let r = env
        .put(
            &dep("d2"),
            RES,
            json!({"properties": {"mode": "Incremental", "template": bad}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let done = env.wait_aao(&r).await;
    assert_eq!(done.body["status"], "Failed");
    assert_eq!(done.body["error"]["code"], "DeploymentFailed");
    assert!(
        done.body["error"]["details"][0]["code"].is_string(),
        "{}",
        done.body
    );
    let d = env.get(&dep("d2"), RES).await;
    assert_eq!(d.state(), "Failed");
    assert_eq!(d.body["properties"]["error"]["code"], "DeploymentFailed");

    // What the template engine does not understand is refused up front.
    let odd = json!({"resources": [{"type": "Microsoft.Network/virtualNetworks", "name": "[uniqueString('x')]", "apiVersion": NET}]});
    let r = env
        .put(
            &dep("d3"),
            RES,
            json!({"properties": {"mode": "Incremental", "template": odd}}),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "InvalidTemplate".to_string()));
    let r = env
        .put(
            &dep("d4"),
            RES,
            json!({"properties": {"mode": "Complete", "template": {"resources": []}}}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        env.get(&dep("missing"), RES).await.code(),
        "DeploymentNotFound"
    );

    // Resources_List with the filter `az network lb create` sends.
    let f = env
        .get(&format!("/subscriptions/{SUB}/resources?$filter=resourceGroup%20eq%20'g'%20and%20name%20eq%20'hub'%20and%20resourceType%20eq%20'Microsoft.Network%2FvirtualNetworks'"), RES)
        .await;
    assert_eq!(f.status, 200, "{}", f.body);
    assert_eq!(f.body["value"].as_array().map(Vec::len), Some(1));
    let f = env
        .get(
            &format!("/subscriptions/{SUB}/resources?$filter=tagName%20eq%20'x'"),
            RES,
        )
        .await;
    assert_eq!(f.code(), "InvalidFilterInQueryString");
}

#[tokio::test]
async fn cluster_credentials_are_kubeconfigs() {
    let env = start(config(0.0)).await;
    env.rg("g").await;
    let r = env
        .put(&cluster_path("g", "c1"), AKS, cluster_body(None))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    env.wait_aao(&r).await;
    let list = |which: &str| {
        let url = env.url(&format!("{}/{which}", cluster_path("g", "c1")), AKS);
        let env = &env;
        async move { env.send("POST", &url, None).await }
    };
    let user = list("listClusterUserCredential").await;
    assert_eq!(user.status, 200, "{}", user.body);
    assert_eq!(user.body["kubeconfigs"][0]["name"], "clusterUser");
    let again = list("listClusterUserCredential").await;
    assert_eq!(again.body, user.body, "the same kubeconfig every time");
    let admin = list("listClusterAdminCredential").await;
    assert_eq!(admin.body["kubeconfigs"][0]["name"], "clusterAdmin");
    assert_ne!(
        admin.body["kubeconfigs"][0]["value"],
        user.body["kubeconfigs"][0]["value"]
    );
    let missing = env
        .send(
            "POST",
            &env.url(
                &format!("{}/listClusterUserCredential", cluster_path("g", "nope")),
                AKS,
            ),
            None,
        )
        .await;
    assert_eq!(missing.status, 404);
}
