//! Reading live state for a plan: one list call per collection, not one GET per resource.
//!
//! ARM lists return full resource bodies (the same as a GET of each item), so the planner
//! lists each collection a declared resource lives in once, concurrently, and finds every
//! resource in its list by ID: the resource groups of the subscription, each declared
//! group's resources of one type (`{group}/providers/{type}`), each declared parent's
//! children (`{parent}/subnets`, `{parent}/agentPools`). A plan of 1,000 resources in a few
//! groups takes tens of reads instead of 1,000, well inside ARM's read budget (250 at once,
//! then 25/s per principal; the client's [`crate::arm::budget`] keeps to it). Lists are
//! cached for the rest of the plan: pruning reads the same collections. Resources whose
//! collection cannot be listed (a kind placed inside its parent's body, or a type the
//! endpoint does not list) are read with a GET.

use crate::arm::{ArmClient, ArmError};
use lang::schema::{Catalog, Placement};
use lang::{Address, Program};
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Concurrent reads at most: ARM's read burst per principal (250); the client's budget
/// paces them beyond that.
pub const READ_CONCURRENCY: usize = 250;

/// One collection's items, listed at most once (concurrent askers wait for the first).
type ListCell = Arc<tokio::sync::OnceCell<Arc<Vec<Json>>>>;

/// A list cache over a client: each collection path is listed once per plan, however
/// many readers ask at the same time.
pub struct Lister {
    client: ArmClient,
    cache: Mutex<HashMap<String, ListCell>>,
}

impl Lister {
    /// A cache over `client`.
    pub fn new(client: ArmClient) -> Arc<Lister> {
        Arc::new(Lister {
            client,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The client.
    pub fn client(&self) -> &ArmClient {
        &self.client
    }

    /// The items of collection `path` (cached; key case-insensitive).
    ///
    /// Errors: the client's list errors (not cached, so a later call asks again).
    pub async fn list(&self, path: &str, api_version: &str) -> Result<Arc<Vec<Json>>, ArmError> {
        let key = path.to_ascii_lowercase();
        let cell = match self.cache.lock() {
            Ok(mut c) => c.entry(key).or_default().clone(),
            Err(_) => Arc::new(tokio::sync::OnceCell::new()),
        };
        cell.get_or_try_init(|| async { self.client.list(path, api_version).await.map(Arc::new) })
            .await
            .cloned()
    }

    /// The live body of resource `id`: its item in `collection` when given (falling back
    /// to a GET when ARM does not list that type), else a GET. `None` when it does not exist.
    pub async fn read(
        &self,
        id: &str,
        api_version: &str,
        collection: Option<(String, &'static str)>,
    ) -> Result<Option<Json>, ArmError> {
        if let Some((path, api)) = collection {
            match self.list(&path, api).await {
                Ok(items) => return Ok(find_by_id(&items, id).cloned()),
                Err(e) if super::type_not_offered(&e) => {}
                Err(e) => return Err(e),
            }
        }
        self.client.get(id, api_version).await
    }
}

/// The collection a declared resource is listed in: `(path, api-version)`, or `None` when
/// it must be read with a GET. `ids` holds the IDs of declared resources.
pub fn collection_of(
    catalog: &Catalog,
    program: &Program,
    ids: &BTreeMap<Address, String>,
    subscription: &str,
    address: &Address,
) -> Option<(String, &'static str)> {
    let r = program.resource(address)?;
    let kind = catalog.kind(r.kind)?;
    let parent_id = || r.parent.as_ref().and_then(|p| ids.get(p));
    match kind.placement {
        Placement::ResourceGroup => Some((
            format!("/subscriptions/{subscription}/resourcegroups"),
            kind.api_version,
        )),
        Placement::InGroup => Some((
            format!("{}/providers/{}", parent_id()?, kind.arm_type),
            kind.api_version,
        )),
        Placement::Child { segment, .. } => {
            Some((format!("{}/{segment}", parent_id()?), kind.api_version))
        }
        _ => None,
    }
}

/// The item of `items` whose `id` is `id` (case-insensitive).
pub fn find_by_id<'a>(items: &'a [Json], id: &str) -> Option<&'a Json> {
    items.iter().find(|i| {
        i.get("id")
            .and_then(Json::as_str)
            .is_some_and(|x| x.eq_ignore_ascii_case(id))
    })
}
