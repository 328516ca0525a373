//! SQLite state: resources (one row per ARM resource, keyed by lower-cased ID) and
//! long-running operations (start + due time; settled lazily from the clock).

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::Value;

use crate::util::at;

/// One stored ARM resource.
#[derive(Debug, Clone)]
pub struct Row {
    /// Lower-cased resource ID (primary key).
    pub id_lc: String,
    /// Resource ID with the casing of the create.
    pub id: String,
    /// Lower-cased ARM type (`microsoft.network/virtualnetworks/subnets`).
    pub type_lc: String,
    /// Lower-cased subscription ID.
    pub sub: String,
    /// Lower-cased resource group name.
    pub rg: String,
    /// Lower-cased parent ID (the group for top-level resources, the subscription for groups).
    pub parent_lc: String,
    /// Stored body: what GET returns minus composed parts (inline children).
    pub body: Value,
    /// The unsettled operation acting on this row, if any.
    pub op_id: Option<String>,
}

/// One long-running operation.
#[derive(Debug, Clone)]
pub struct Op {
    pub id: String,
    pub sub: String,
    /// Provider namespace for the URLs (`Microsoft.Network`), or `Microsoft.Resources`.
    pub ns: String,
    /// Normalised location for the URLs.
    pub location: String,
    pub api_version: String,
    /// `put` or `delete`.
    pub verb: String,
    /// Cased ID of the resource the client acted on.
    pub resource_id: String,
    pub start_ms: i64,
    pub due_ms: i64,
    /// `Succeeded` or `Failed` (the outcome once due).
    pub outcome: String,
    /// ARM error object when `outcome` is `Failed`.
    pub error: Option<Value>,
    pub settled: bool,
}

pub fn open(path: Option<&std::path::Path>) -> rusqlite::Result<Connection> {
    let conn = match path {
        Some(p) => {
            if let Some(dir) = p.parent()
                && !dir.as_os_str().is_empty()
            {
                let _ = std::fs::create_dir_all(dir);
            }
            let c = Connection::open(p)?;
            c.pragma_update(None, "journal_mode", "WAL")?;
            c
        }
        None => Connection::open_in_memory()?,
    };
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS resources (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id_lc TEXT NOT NULL UNIQUE,
            id TEXT NOT NULL,
            type_lc TEXT NOT NULL,
            sub TEXT NOT NULL,
            rg TEXT NOT NULL,
            parent_lc TEXT NOT NULL,
            body TEXT NOT NULL,
            op_id TEXT
        );
        CREATE INDEX IF NOT EXISTS resources_parent ON resources(parent_lc);
        CREATE INDEX IF NOT EXISTS resources_rg ON resources(sub, rg);
        -- Every lookup a write makes is an index search, so a write costs the same with
        -- ten resources or thousands (runtime/emulator/benches/results.md).
        CREATE INDEX IF NOT EXISTS resources_parent_type ON resources(parent_lc, type_lc, seq);
        CREATE INDEX IF NOT EXISTS resources_sub_type ON resources(sub, type_lc, seq);
        CREATE INDEX IF NOT EXISTS resources_op ON resources(op_id) WHERE op_id IS NOT NULL;
        CREATE TABLE IF NOT EXISTS operations (
            id TEXT PRIMARY KEY,
            sub TEXT NOT NULL,
            ns TEXT NOT NULL,
            location TEXT NOT NULL,
            api_version TEXT NOT NULL,
            verb TEXT NOT NULL,
            resource_id TEXT NOT NULL,
            start_ms INTEGER NOT NULL,
            due_ms INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            error TEXT,
            settled INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS operations_due ON operations(settled, due_ms);
        CREATE TABLE IF NOT EXISTS write_windows (
            key TEXT PRIMARY KEY,
            until_ms INTEGER NOT NULL
        );",
    )?;
    Ok(conn)
}

const ROW_COLS: &str = "id_lc, id, type_lc, sub, rg, parent_lc, body, op_id";

fn row_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let body: String = r.get(6)?;
    Ok(Row {
        id_lc: r.get(0)?,
        id: r.get(1)?,
        type_lc: r.get(2)?,
        sub: r.get(3)?,
        rg: r.get(4)?,
        parent_lc: r.get(5)?,
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
        op_id: r.get(7)?,
    })
}

pub fn get(tx: &Transaction<'_>, id_lc: &str) -> rusqlite::Result<Option<Row>> {
    tx.query_row(
        &format!("SELECT {ROW_COLS} FROM resources WHERE id_lc = ?1"),
        params![id_lc],
        row_from,
    )
    .optional()
}

/// Insert or update (keeps the original insertion order for lists).
pub fn put(tx: &Transaction<'_>, row: &Row) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO resources (id_lc, id, type_lc, sub, rg, parent_lc, body, op_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(id_lc) DO UPDATE SET body = excluded.body, op_id = excluded.op_id",
        params![
            row.id_lc,
            row.id,
            row.type_lc,
            row.sub,
            row.rg,
            row.parent_lc,
            row.body.to_string(),
            row.op_id
        ],
    )?;
    Ok(())
}

pub fn remove(tx: &Transaction<'_>, id_lc: &str) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM resources WHERE id_lc = ?1", params![id_lc])?;
    Ok(())
}

/// Direct children of `parent_lc` of one type (insertion order).
pub fn children(
    tx: &Transaction<'_>,
    parent_lc: &str,
    type_lc: &str,
) -> rusqlite::Result<Vec<Row>> {
    let mut st = tx.prepare(&format!(
        "SELECT {ROW_COLS} FROM resources WHERE parent_lc = ?1 AND type_lc = ?2 ORDER BY seq"
    ))?;
    let rows = st.query_map(params![parent_lc, type_lc], row_from)?;
    rows.collect()
}

/// The resource and everything below it (ID prefix `id_lc/`), parents first. A range
/// search on the `id_lc` index (`'0'` is the character after `'/'`), not a scan.
pub fn subtree(tx: &Transaction<'_>, id_lc: &str) -> rusqlite::Result<Vec<Row>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {ROW_COLS} FROM resources
         WHERE id_lc = ?1 OR (id_lc > ?2 AND id_lc < ?3) ORDER BY seq"
    ))?;
    let rows = st.query_map(
        params![id_lc, format!("{id_lc}/"), format!("{id_lc}0")],
        row_from,
    )?;
    rows.collect()
}

/// Rows of a subscription, optionally limited to a group and/or a type (insertion order).
pub fn list(
    tx: &Transaction<'_>,
    sub: &str,
    rg: Option<&str>,
    type_lc: Option<&str>,
) -> rusqlite::Result<Vec<Row>> {
    // One statement per filter combination, so SQLite can use the matching index
    // (`(?2 IS NULL OR rg = ?2)` would make it scan the whole subscription).
    let sql = match (rg.is_some(), type_lc.is_some()) {
        (false, false) => format!("SELECT {ROW_COLS} FROM resources WHERE sub = ?1 ORDER BY seq"),
        (true, false) => {
            format!("SELECT {ROW_COLS} FROM resources WHERE sub = ?1 AND rg = ?2 ORDER BY seq")
        }
        (false, true) => {
            format!("SELECT {ROW_COLS} FROM resources WHERE sub = ?1 AND type_lc = ?2 ORDER BY seq")
        }
        (true, true) => format!(
            "SELECT {ROW_COLS} FROM resources WHERE sub = ?1 AND rg = ?2 AND type_lc = ?3 ORDER BY seq"
        ),
    };
    let mut st = tx.prepare_cached(&sql)?;
    match (rg, type_lc) {
        (None, None) => st.query_map(params![sub], row_from)?.collect(),
        (Some(g), None) => st.query_map(params![sub, g], row_from)?.collect(),
        (None, Some(t)) => st.query_map(params![sub, t], row_from)?.collect(),
        (Some(g), Some(t)) => st.query_map(params![sub, g, t], row_from)?.collect(),
    }
}

/// Rows currently acted on by operation `op_id`.
pub fn rows_of_op(tx: &Transaction<'_>, op_id: &str) -> rusqlite::Result<Vec<Row>> {
    let mut st = tx.prepare(&format!(
        "SELECT {ROW_COLS} FROM resources WHERE op_id = ?1 ORDER BY seq"
    ))?;
    let rows = st.query_map(params![op_id], row_from)?;
    rows.collect()
}

pub fn insert_op(tx: &Transaction<'_>, op: &Op) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO operations (id, sub, ns, location, api_version, verb, resource_id, start_ms,
            due_ms, outcome, error, settled) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
        params![
            op.id,
            op.sub,
            op.ns,
            op.location,
            op.api_version,
            op.verb,
            op.resource_id,
            op.start_ms,
            op.due_ms,
            op.outcome,
            op.error.as_ref().map(|e| e.to_string()),
            op.settled as i64
        ],
    )?;
    Ok(())
}

fn op_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Op> {
    let err: Option<String> = r.get(10)?;
    Ok(Op {
        id: r.get(0)?,
        sub: r.get(1)?,
        ns: r.get(2)?,
        location: r.get(3)?,
        api_version: r.get(4)?,
        verb: r.get(5)?,
        resource_id: r.get(6)?,
        start_ms: r.get(7)?,
        due_ms: r.get(8)?,
        outcome: r.get(9)?,
        error: err.and_then(|e| serde_json::from_str(&e).ok()),
        settled: r.get::<_, i64>(11)? != 0,
    })
}

const OP_COLS: &str = "id, sub, ns, location, api_version, verb, resource_id, start_ms, due_ms, outcome, error, settled";

pub fn get_op(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<Option<Op>> {
    tx.query_row(
        &format!("SELECT {OP_COLS} FROM operations WHERE id = ?1"),
        params![id],
        op_from,
    )
    .optional()
}

/// Settles every operation due at `now_ms` (in due order): a finished PUT sets the
/// provisioningState of its rows to the outcome; a finished DELETE (or a row a PUT marked
/// `Deleting`, e.g. a subnet left out of a VNet PUT) removes its rows, or, if it failed,
/// leaves them for `on_row` to mark Failed. `on_row(row, outcome)` updates each kept row.
pub fn settle(
    tx: &Transaction<'_>,
    now_ms: i64,
    mut on_row: impl FnMut(&mut Row, &str),
) -> rusqlite::Result<()> {
    let due: Vec<Op> = {
        let mut st = tx.prepare(&format!(
            "SELECT {OP_COLS} FROM operations WHERE settled = 0 AND due_ms <= ?1 ORDER BY due_ms"
        ))?;
        let rows = st.query_map(params![now_ms], op_from)?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for op in due {
        for mut row in rows_of_op(tx, &op.id)? {
            let deleting = op.verb == "delete"
                || at(&row.body, &["properties", "provisioningState"]).and_then(Value::as_str)
                    == Some("Deleting");
            if deleting && op.outcome == "Succeeded" {
                remove(tx, &row.id_lc)?;
            } else {
                row.op_id = None;
                on_row(&mut row, &op.outcome);
                put(tx, &row)?;
            }
        }
        tx.execute(
            "UPDATE operations SET settled = 1 WHERE id = ?1",
            params![op.id],
        )?;
    }
    Ok(())
}

/// End (ms since the epoch) of the write window recorded under `key`, if any.
pub fn window_until(tx: &Transaction<'_>, key: &str) -> rusqlite::Result<Option<i64>> {
    tx.query_row(
        "SELECT until_ms FROM write_windows WHERE key = ?1",
        params![key],
        |r| r.get(0),
    )
    .optional()
}

/// Records a write window under `key` lasting until `until_ms`.
pub fn set_window(tx: &Transaction<'_>, key: &str, until_ms: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO write_windows (key, until_ms) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET until_ms = excluded.until_ms",
        params![key, until_ms],
    )?;
    Ok(())
}
