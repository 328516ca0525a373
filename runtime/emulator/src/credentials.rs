//! AKS cluster credentials: `POST .../managedClusters/{name}/listClusterUserCredential` and
//! `.../listClusterAdminCredential` (what `az aks get-credentials [--admin]` calls).
//!
//! Source: `managedClusters.json` 2026-08-01, `ManagedClusters_ListClusterUserCredentials`
//! and `_ListClusterAdminCredentials` (POST, 200 `CredentialResults`: `kubeconfigs`, an
//! array of `CredentialResult {name, value}` whose `value` is the base64-encoded kubeconfig;
//! optional query `server-fqdn`). The kubeconfig's shape is Kubernetes' `Config` (v1:
//! `clusters[].cluster.{server, certificate-authority-data}`, `contexts`, `current-context`,
//! `users[].user.token`; https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/);
//! the names are AKS's (`clusterUser_{group}_{cluster}` / `clusterAdmin_{group}_{cluster}`
//! users, the cluster's name as cluster and context).
//!
//! The emulator runs no Kubernetes API server: `server` is the cluster's `fqdn` on port
//! 443 as AKS reports it, which resolves nowhere locally. The cluster CA (a self-signed
//! certificate made on the first request) and the bearer token of each credential are kept
//! per cluster ID in the state file, so repeated requests answer the same kubeconfig (a
//! cluster deleted and re-created under the same ID keeps them: a known gap, AKS would make
//! a new CA).

use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::{Value, json};

use crate::store::Row;
use crate::util::{self, ArmError, ArmResult, at};

/// Which credential: the cluster user's or the cluster admin's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    User,
    Admin,
}

impl Which {
    /// The action segment (`listClusterUserCredential`), lower-cased, to this.
    pub fn from_action(action_lc: &str) -> Option<Which> {
        match action_lc {
            "listclusterusercredential" => Some(Which::User),
            "listclusteradmincredential" => Some(Which::Admin),
            _ => None,
        }
    }
}

fn ensure_table(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS cluster_credentials (
            cluster_id_lc TEXT PRIMARY KEY,
            ca_pem TEXT NOT NULL,
            user_token TEXT NOT NULL,
            admin_token TEXT NOT NULL
        );",
    )
}

/// The stored (CA PEM, user token, admin token) of a cluster, made on first use.
fn material(tx: &Transaction<'_>, cluster_id_lc: &str) -> ArmResult<(String, String, String)> {
    ensure_table(tx)?;
    let found = tx
        .query_row(
            "SELECT ca_pem, user_token, admin_token FROM cluster_credentials WHERE cluster_id_lc = ?1",
            params![cluster_id_lc],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some(m) = found {
        return Ok(m);
    }
    let ca = cluster_ca().map_err(|e| {
        ArmError::new(
            500,
            "InternalServerError",
            format!("Could not make the cluster CA: {e}"),
        )
    })?;
    let token = || util::uuid().replace('-', "") + &util::uuid().replace('-', "");
    let m = (ca, token(), token());
    tx.execute(
        "INSERT INTO cluster_credentials (cluster_id_lc, ca_pem, user_token, admin_token) VALUES (?1, ?2, ?3, ?4)",
        params![cluster_id_lc, m.0, m.1, m.2],
    )?;
    Ok(m)
}

fn cluster_ca() -> Result<String, rcgen::Error> {
    let mut p = rcgen::CertificateParams::default();
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, "ca");
    p.distinguished_name = dn;
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let now = time::OffsetDateTime::now_utc();
    p.not_before = now - time::Duration::days(1);
    p.not_after = now + time::Duration::days(3650);
    let key = rcgen::KeyPair::generate()?;
    Ok(p.self_signed(&key)?.pem())
}

/// The `CredentialResults` body for `cluster` (a stored managedClusters row). A cluster
/// still being created or being deleted has no API server yet: 409 `OperationNotAllowed`,
/// as AKS refuses operations on a cluster in a non-terminal state.
pub fn list(
    tx: &Transaction<'_>,
    cluster: &Row,
    which: Which,
    server_fqdn: Option<&str>,
) -> ArmResult<Value> {
    let state = at(&cluster.body, &["properties", "provisioningState"])
        .and_then(Value::as_str)
        .unwrap_or("");
    if cluster.op_id.is_some() && matches!(state, "Creating" | "Deleting") {
        return Err(ArmError::new(
            409,
            "OperationNotAllowed",
            format!("Operation is not allowed because the managed cluster is in '{state}' state."),
        ));
    }
    let name = cluster
        .body
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let rg = cluster.id.split('/').nth(4).unwrap_or("").to_string();
    let fqdn = server_fqdn
        .map(str::to_string)
        .or_else(|| {
            at(&cluster.body, &["properties", "fqdn"])
                .or_else(|| at(&cluster.body, &["properties", "privateFQDN"]))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| format!("{name}.hcp.local"));
    let (ca, user_token, admin_token) = material(tx, &cluster.id_lc)?;
    let (cred_name, user, token) = match which {
        Which::User => (
            "clusterUser",
            format!("clusterUser_{rg}_{name}"),
            user_token,
        ),
        Which::Admin => (
            "clusterAdmin",
            format!("clusterAdmin_{rg}_{name}"),
            admin_token,
        ),
    };
    let kubeconfig = format!(
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {ca}\n    server: https://{fqdn}:443\n  name: {name}\ncontexts:\n- context:\n    cluster: {name}\n    user: {user}\n  name: {name}\ncurrent-context: {name}\nkind: Config\npreferences: {{}}\nusers:\n- name: {user}\n  user:\n    token: {token}\n",
        ca = base64(ca.as_bytes()),
    );
    Ok(json!({
        "kubeconfigs": [{ "name": cred_name, "value": base64(kubeconfig.as_bytes()) }]
    }))
}

/// Standard base64 with padding (RFC 4648 §4), as `format: byte` values are.
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn actions_map() {
        assert_eq!(
            Which::from_action("listclusterusercredential"),
            Some(Which::User)
        );
        assert_eq!(
            Which::from_action("listclusteradmincredential"),
            Some(Which::Admin)
        );
        assert_eq!(
            Which::from_action("listclustermonitoringusercredential"),
            None
        );
    }
}
