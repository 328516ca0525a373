//! `Microsoft.Resources/deployments` at resource-group scope: an ARM template deployment
//! (what `az network lb create` and other template-building commands send).
//!
//! A PUT evaluates the template (`template.rs`), then PUTs each resource, in `dependsOn`
//! order, through the emulator's own resource handling (so every rule of every kind
//! applies), in the request's transaction. A resource starts when the last of its
//! dependencies' operations is due, as ARM's engine waits for them; to do that in one
//! transaction the emulator settles the operations due by then at that moment (a known
//! approximation: anything else due within that window reads as finished up to that much
//! early). The deployment is a long-running operation that
//! ends when the last of its resources' operations does: `Succeeded`, or `Failed` with
//! `DeploymentFailed` and the first resource error in `details` (resources written before
//! the failure stay, as in ARM's incremental mode).
//!
//! Sources: `resources/.../Microsoft.Resources/deployments/.../deployments.json` (read
//! upstream in Azure/azure-rest-api-specs, not vendored; the api-version az 2.91 sends is
//! 2024-11-01): `Deployments_CreateOrUpdate` (PUT
//! `/subscriptions/{s}/resourcegroups/{g}/providers/Microsoft.Resources/deployments/{name}`,
//! 200/201, LRO via Azure-AsyncOperation), `Deployments_Get`, `Deployments_ListByResourceGroup`;
//! `DeploymentProperties` (`template` or `templateLink`, `parameters`, `mode`
//! `Incremental|Complete`), `DeploymentPropertiesExtended` (`provisioningState`,
//! `correlationId`, `timestamp`, `duration`, `outputs`, `outputResources`, `mode`,
//! `parameters`, `error`); the deployment error shape `DeploymentFailed` with `details`
//! (https://learn.microsoft.com/en-us/azure/azure-resource-manager/troubleshooting/common-deployment-errors).
//! Refused rather than half-served: `templateLink` (the emulator fetches nothing),
//! `Complete` mode, `copy` loops, functions `template.rs` does not evaluate.

use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::{Value, json};

use crate::util::{ArmResult, at};

/// One stored deployment.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: String,
    /// What GET returns, without `outputs` (evaluated on read once succeeded).
    pub body: Value,
    /// The template (for `outputs`) and the parameters it was deployed with.
    pub template: Value,
    pub parameters: Value,
    /// IDs of the resources the template deployed, in order.
    pub resources: Vec<String>,
    pub op_id: String,
}

fn ensure_table(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS deployments (
            id_lc TEXT PRIMARY KEY,
            id TEXT NOT NULL,
            rg_id_lc TEXT NOT NULL,
            body TEXT NOT NULL,
            template TEXT NOT NULL,
            parameters TEXT NOT NULL,
            resources TEXT NOT NULL,
            op_id TEXT NOT NULL
        );",
    )
}

/// Stores (or replaces) a deployment.
pub fn put(tx: &Transaction<'_>, rg_id_lc: &str, d: &Stored) -> ArmResult<()> {
    ensure_table(tx)?;
    tx.execute(
        "INSERT OR REPLACE INTO deployments (id_lc, id, rg_id_lc, body, template, parameters, resources, op_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            d.id.to_ascii_lowercase(),
            d.id,
            rg_id_lc,
            d.body.to_string(),
            d.template.to_string(),
            d.parameters.to_string(),
            Value::from(d.resources.clone()).to_string(),
            d.op_id,
        ],
    )?;
    Ok(())
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    let parse = |s: String| serde_json::from_str::<Value>(&s).unwrap_or(Value::Null);
    Ok(Stored {
        id: r.get(0)?,
        body: parse(r.get(1)?),
        template: parse(r.get(2)?),
        parameters: parse(r.get(3)?),
        resources: parse(r.get(4)?)
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        op_id: r.get(5)?,
    })
}

/// The deployment with this ID, if any.
pub fn get(tx: &Transaction<'_>, id_lc: &str) -> ArmResult<Option<Stored>> {
    ensure_table(tx)?;
    Ok(tx
        .query_row(
            "SELECT id, body, template, parameters, resources, op_id FROM deployments WHERE id_lc = ?1",
            params![id_lc],
            from_row,
        )
        .optional()?)
}

/// The deployments of a resource group, oldest first.
pub fn list(tx: &Transaction<'_>, rg_id_lc: &str) -> ArmResult<Vec<Stored>> {
    ensure_table(tx)?;
    let mut st = tx.prepare(
        "SELECT id, body, template, parameters, resources, op_id FROM deployments WHERE rg_id_lc = ?1 ORDER BY rowid",
    )?;
    let rows = st.query_map(params![rg_id_lc], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Forgets the deployments of a deleted resource group.
pub fn remove_group(tx: &Transaction<'_>, rg_id_lc: &str) -> ArmResult<()> {
    ensure_table(tx)?;
    tx.execute(
        "DELETE FROM deployments WHERE rg_id_lc = ?1",
        params![rg_id_lc],
    )?;
    Ok(())
}

/// The deployment body before its operation ends (`provisioningState` `Accepted`).
pub fn initial_body(
    id: &str,
    name: &str,
    mode: &str,
    parameters: &Value,
    correlation: &str,
    now: &str,
) -> Value {
    json!({
        "id": id,
        "name": name,
        "type": "Microsoft.Resources/deployments",
        "properties": {
            "templateHash": crate::util::fnv(id).to_string(),
            "parameters": parameters,
            "mode": mode,
            "provisioningState": "Accepted",
            "timestamp": now,
            "duration": "PT0S",
            "correlationId": correlation,
            "providers": [],
            "dependencies": [],
        }
    })
}

/// `Stored.body` as GET shows it given the operation's state: `status` is `Running`,
/// `Succeeded` or `Failed`; `outputs` (already evaluated) when succeeded; `error` when
/// failed; `duration` from the operation's start and end (ISO 8601).
pub fn render(
    d: &Stored,
    status: &str,
    duration_ms: i64,
    outputs: Option<Value>,
    error: Option<&Value>,
) -> Value {
    let mut b = d.body.clone();
    let props = crate::util::obj_mut(&mut b, &["properties"]);
    props.insert("provisioningState".into(), json!(status));
    props.insert(
        "duration".into(),
        json!(format!(
            "PT{}.{:03}S",
            duration_ms / 1000,
            duration_ms % 1000
        )),
    );
    if status == "Succeeded" {
        props.insert("outputs".into(), outputs.unwrap_or_else(|| json!({})));
        props.insert(
            "outputResources".into(),
            Value::Array(d.resources.iter().map(|id| json!({ "id": id })).collect()),
        );
    }
    if let Some(e) = error {
        props.insert("error".into(), e.clone());
    }
    b
}

/// The deployment error ARM reports when a resource of the template fails.
pub fn failed(detail: Value) -> Value {
    json!({
        "code": "DeploymentFailed",
        "message": "At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.",
        "details": [detail],
    })
}

/// `mode` of a deployment request: `Incremental` (default) is served; `Complete` is
/// refused (it would delete what the template does not list).
pub fn mode(req: &Value) -> Result<&'static str, String> {
    match at(req, &["properties", "mode"]).and_then(Value::as_str) {
        None => Ok("Incremental"),
        Some(m) if m.eq_ignore_ascii_case("incremental") => Ok("Incremental"),
        Some(m) if m.eq_ignore_ascii_case("complete") => Err(
            "Deployment mode 'Complete' is not served by the emulator; use 'Incremental'.".into(),
        ),
        Some(m) => Err(format!(
            "The deployment mode '{m}' is not valid. Allowed values are 'Incremental' and 'Complete'."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(mode(&json!({"properties": {}})), Ok("Incremental"));
        assert_eq!(
            mode(&json!({"properties": {"mode": "incremental"}})),
            Ok("Incremental")
        );
        assert!(mode(&json!({"properties": {"mode": "Complete"}})).is_err());
        assert!(mode(&json!({"properties": {"mode": "Sometimes"}})).is_err());
    }

    #[test]
    fn render_shows_outputs_only_once_succeeded() {
        let d = Stored {
            id: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Resources/deployments/d"
                .into(),
            body: initial_body("x", "d", "Incremental", &json!({}), "c", "t"),
            template: json!({}),
            parameters: json!({}),
            resources: vec!["/r1".into()],
            op_id: "o".into(),
        };
        let running = render(&d, "Running", 1500, None, None);
        assert_eq!(running["properties"]["duration"], "PT1.500S");
        assert!(running["properties"].get("outputs").is_none());
        let done = render(
            &d,
            "Succeeded",
            2000,
            Some(json!({"a": {"type": "String", "value": "v"}})),
            None,
        );
        assert_eq!(done["properties"]["outputs"]["a"]["value"], "v");
        assert_eq!(done["properties"]["outputResources"][0]["id"], "/r1");
    }
}
