//! The plan document: the versioned JSON form of a [`Plan`] (schema in docs/plan-json.md).
//!
//! `capz plan --json` prints it, `capz plan -out FILE` saves it, and the text renderer
//! ([`super::render::render_text`]) reads it, so the human and machine forms come from one
//! model and cannot disagree (Terraform's renderer reads its JSON plan the same way). Every
//! display string a renderer needs (notes, values in capz syntax) is computed here, once.
//!
//! A document also records, per resource, a fingerprint of the live state it was planned
//! against (the ARM `etag`, else a hash of the live body) and, for saved plans, the program
//! it came from (file, parameters, a hash of every source text), so `capz apply FILE` can
//! refuse a plan whose program or live state changed since it was made.

use super::model::{Action, Change, Contained, Plan, Reason, Shown};
use lang::Value;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// Version of the document schema. Minor versions add fields; a reader accepts any
/// `1.x` and refuses other majors.
pub const FORMAT_VERSION: &str = "1.2";

/// The whole plan as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanDoc {
    /// [`FORMAT_VERSION`].
    pub format_version: String,
    /// Version of capz that made it.
    pub capz_version: String,
    /// Whether this is the plan of `capz destroy`.
    #[serde(default)]
    pub destroy: bool,
    /// Stack name (value of the `capz-stack` tag).
    pub stack: String,
    /// Subscription ID the resource IDs live in.
    pub subscription: String,
    /// Where the program came from (filled in by the CLI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<ProgramRef>,
    /// One entry per declared resource (program order, parents first, no-ops included),
    /// then undeclared resources to delete (by ID).
    pub resource_changes: Vec<ResourceChange>,
    /// Counts of actions.
    pub summary: Summary,
    /// Outputs in program order, as far as the plan knows them.
    pub outputs: Vec<OutputDoc>,
    /// Resource groups the plan would delete but keeps, because they hold resources the
    /// stack does not own (1.2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_groups: Vec<KeptDoc>,
}

/// A resource group kept because it holds resources the stack does not own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptDoc {
    /// Group name.
    pub name: String,
    /// Group ID.
    pub id: String,
    /// The resources in it the stack does not own.
    pub foreign: Vec<ContainedDoc>,
}

/// A resource inside a resource group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainedDoc {
    /// Kind keyword (`vnet`), or the ARM type when capz has no kind for it.
    pub kind: String,
    /// ARM name (`parent/child` for children).
    pub name: String,
    /// ARM resource ID.
    pub id: String,
    /// Its `capz-stack` tag (a child's is its parent's); `null` when untagged.
    pub stack: Option<String>,
    /// Whether the planning stack does not own it.
    pub foreign: bool,
}

impl From<&Contained> for ContainedDoc {
    fn from(c: &Contained) -> Self {
        ContainedDoc {
            kind: c.kind.clone(),
            name: c.name.clone(),
            id: c.id.clone(),
            stack: c.stack.clone(),
            foreign: c.foreign,
        }
    }
}

impl ContainedDoc {
    /// `(no capz-stack tag)` or `(stack NAME)`.
    pub fn owner(&self) -> String {
        match &self.stack {
            Some(s) => format!("stack {s}"),
            None => "no capz-stack tag".to_string(),
        }
    }
}

/// The program a plan was made from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramRef {
    /// Path of the .capz file as given on the command line, made absolute.
    pub file: String,
    /// `--param` overrides, `[name, value]` in command-line order.
    pub params: Vec<(String, String)>,
    /// `fnv1a64:<16 hex>` over every source file (path and text) the program loaded.
    pub source_hash: String,
}

/// One resource's planned operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    /// Program address (`aks.agentpool0`); `null` for undeclared resources.
    pub address: Option<String>,
    /// How the plan names it after the kind: the address; for undeclared children the
    /// parent's address and the ARM name (`aks.agentpool1`); for undeclared top-level
    /// resources the ARM name.
    pub label: String,
    /// Kind keyword (`pool`), or the ARM type when no kind matches.
    pub kind: String,
    /// ARM resource name.
    pub name: String,
    /// ARM resource ID.
    pub id: String,
    /// api-version of its requests.
    pub api_version: String,
    /// What apply does.
    pub action: ActionDoc,
    /// Why (for display; apply decides by `action`).
    pub reason: ReasonDoc,
    /// For creates carried inline by the parent's PUT (pools of a new cluster): the
    /// carrier's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_with: Option<String>,
    /// For the replacement of a cluster's last System pool: the temporary pool's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate_via: Option<String>,
    /// Changed fields (updates and replacements), by key.
    pub fields: Vec<FieldDoc>,
    /// For a resource group's delete: everything ARM deletes with it, by ID (1.2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cascade: Vec<ContainedDoc>,
    /// Fingerprint of the live state planned against (`etag:...` or `fnv1a64:...`);
    /// `null` when the resource did not exist.
    pub live_fingerprint: Option<String>,
}

/// What apply does to one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionDoc {
    /// Nothing.
    NoOp,
    /// PUT a new resource.
    Create,
    /// PUT it with the changed fields.
    Update,
    /// DELETE then PUT (`-/+`).
    Replace,
    /// DELETE.
    Delete,
    /// Wait for the operation running on it, then plan it again (`…`).
    Wait,
}

impl From<Action> for ActionDoc {
    fn from(a: Action) -> Self {
        match a {
            Action::NoOp => ActionDoc::NoOp,
            Action::Create => ActionDoc::Create,
            Action::Update => ActionDoc::Update,
            Action::Replace => ActionDoc::Replace,
            Action::Delete => ActionDoc::Delete,
            Action::Wait => ActionDoc::Wait,
        }
    }
}

impl From<ActionDoc> for Action {
    fn from(a: ActionDoc) -> Self {
        match a {
            ActionDoc::NoOp => Action::NoOp,
            ActionDoc::Create => Action::Create,
            ActionDoc::Update => Action::Update,
            ActionDoc::Replace => Action::Replace,
            ActionDoc::Delete => Action::Delete,
            ActionDoc::Wait => Action::Wait,
        }
    }
}

/// Why: a stable code and the sentence the text plan prints after the resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonDoc {
    /// `in-sync`, `absent`, `parent-recreated`, `changed`, `provisioning-failed`,
    /// `in-progress`,
    /// `forces-replacement`, `in-use`, `dependency-replaced`, `last-system-pool`,
    /// `no-longer-declared`, `undeclared-child`, `destroy` or `adopt`.
    pub code: String,
    /// The note of the text plan (may be empty), e.g. `vm_size forces replacement`.
    pub message: String,
    /// For `forces-replacement` and `in-use`: the fields that force it; for
    /// `dependency-replaced`: the field that references the replaced resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// One changed field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldDoc {
    /// capz key, e.g. `vm_size`, `network.plugin`, `tags.capz-stack`.
    pub key: String,
    /// Live value.
    pub before: ValueDoc,
    /// Desired value.
    pub after: ValueDoc,
    /// Whether changing this field forces replacement.
    pub forces_replacement: bool,
}

/// A value in the plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ValueDoc {
    /// No value (ARM has none).
    Absent,
    /// Known: `value` as JSON (references as `{"ref": "address"}`) and `display` in capz
    /// syntax.
    Known {
        /// JSON form.
        value: Json,
        /// capz syntax, e.g. `"10.0.0.0/16"`, `calico`, `net.nodes`.
        display: String,
    },
    /// Known only after apply.
    Unknown,
    /// Secret: never written.
    Sensitive,
}

impl ValueDoc {
    /// How the text plan shows it.
    pub fn display(&self) -> String {
        match self {
            ValueDoc::Absent => "(none)".into(),
            ValueDoc::Known { display, .. } => display.clone(),
            ValueDoc::Unknown => "(known after apply)".into(),
            ValueDoc::Sensitive => "(sensitive)".into(),
        }
    }
}

impl From<&Shown> for ValueDoc {
    fn from(s: &Shown) -> Self {
        match s {
            Shown::Absent => ValueDoc::Absent,
            Shown::Unknown => ValueDoc::Unknown,
            Shown::Sensitive => ValueDoc::Sensitive,
            Shown::Value(v) => ValueDoc::Known {
                value: value_json(v),
                display: v.to_string(),
            },
        }
    }
}

/// An output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputDoc {
    /// Name.
    pub name: String,
    /// Value.
    pub value: ValueDoc,
}

/// Counts of actions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Creates (inline ones included).
    pub add: usize,
    /// Updates.
    pub change: usize,
    /// Replacements.
    pub replace: usize,
    /// Deletes.
    pub destroy: usize,
    /// Resources with an operation still running (waited for, then planned again);
    /// written only when not zero (format 1.2).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub wait: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl PlanDoc {
    /// Whether apply would do anything.
    pub fn has_changes(&self) -> bool {
        self.resource_changes
            .iter()
            .any(|c| c.action != ActionDoc::NoOp)
    }

    /// The document as pretty JSON (ends with a newline).
    pub fn to_json_string(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }

    /// Parse a document; errors name what is wrong (not JSON, not a plan, another major
    /// version).
    pub fn parse(text: &str) -> Result<PlanDoc, String> {
        let raw: Json = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let version = raw
            .get("format_version")
            .and_then(Json::as_str)
            .ok_or("no format_version: not a capz plan")?;
        if version.split('.').next() != FORMAT_VERSION.split('.').next() {
            return Err(format!(
                "format_version {version} is not supported (this capz reads {FORMAT_VERSION})"
            ));
        }
        serde_json::from_value(raw).map_err(|e| format!("not a capz plan: {e}"))
    }
}

/// Whether `text` looks like a saved plan rather than a .capz program: a JSON object with
/// `format_version` (a program never starts with `{`).
pub fn looks_like_plan(text: &str) -> bool {
    text.trim_start().starts_with('{') && text.contains("\"format_version\"")
}

/// The JSON form of a value: strings, numbers, booleans, lists and records as such, enum
/// words as strings, ranges as `{"start", "end"}`, references as `{"ref": "address"}`,
/// unknowns as `null`.
pub fn value_json(v: &Value) -> Json {
    match v {
        Value::Int(i) => Json::from(*i),
        Value::Bool(b) => Json::Bool(*b),
        Value::Str(s) | Value::Enum(s) => Json::String(s.clone()),
        Value::List(l) => Json::Array(l.iter().map(value_json).collect()),
        Value::Record(r) => {
            Json::Object(r.iter().map(|(k, v)| (k.clone(), value_json(v))).collect())
        }
        Value::Range { start, end } => serde_json::json!({"start": start, "end": end}),
        Value::Ref(a) => serde_json::json!({"ref": a.to_string()}),
        Value::Unknown { .. } => Json::Null,
    }
}

/// FNV-1a, 64 bits: a small stable hash for fingerprints (not for security).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// JSON with object keys sorted, so equal bodies hash equally whatever the key order.
fn canonical(j: &Json) -> String {
    match j {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        Json::String(k.clone()),
                        m.get(k).map_or_else(String::new, canonical)
                    )
                })
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Json::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// Fingerprint of a live body: `etag:<etag>` when ARM returns one (`etag` / `eTag`; ARM
/// changes it on every write), else `fnv1a64:<hex>` of the canonical body.
pub fn fingerprint(live: &Json) -> String {
    match live
        .get("etag")
        .or_else(|| live.get("eTag"))
        .and_then(Json::as_str)
    {
        Some(e) => format!("etag:{e}"),
        None => format!("fnv1a64:{:016x}", fnv1a64(canonical(live).as_bytes())),
    }
}

/// The note the text plan prints after a change line (why it happens).
fn note(plan: &Plan, c: &Change) -> String {
    match (&c.action, &c.reason) {
        (Action::Create, _) if c.carried_by.is_some() => {
            let parent = c
                .carried_by
                .and_then(|i| plan.changes.get(i))
                .map_or_else(String::new, Change::subject);
            format!("created with {parent}")
        }
        (Action::Create, Reason::ParentRecreated(p)) => format!("{p} is recreated"),
        (Action::Create, _) => {
            let arm_name = arm_name(c);
            let leaf = c
                .address
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            if arm_name.is_empty() || arm_name == leaf {
                String::new()
            } else {
                arm_name
            }
        }
        (Action::Replace, Reason::ForcesReplacement(keys)) => {
            let verb = if keys.len() == 1 { "forces" } else { "force" };
            let via = c
                .rotate_via
                .as_ref()
                .map_or_else(String::new, |t| format!(" (via temporary pool {t})"));
            format!("{} {verb} replacement{via}", keys.join(", "))
        }
        (Action::Replace, Reason::ParentRecreated(p)) => format!("{p} is replaced"),
        (Action::Replace, Reason::InUse { fields, users }) => {
            let verb = if fields.len() == 1 { "forces" } else { "force" };
            format!(
                "{} {verb} replacement: in use by {}",
                fields.join(", "),
                users.join(", ")
            )
        }
        (Action::Replace, Reason::DependencyReplaced { field, target }) => {
            format!("{target} is replaced ({field} forces replacement)")
        }
        (Action::Replace, Reason::LastSystemPool { pool, target }) => {
            format!("its last System pool {pool} is in {target}, which is replaced")
        }
        (Action::Wait, Reason::InProgress { state, since }) => match since {
            Some(t) => format!("in progress ({state}, started {t})"),
            None => format!("in progress ({state})"),
        },
        (Action::Update, Reason::ProvisioningFailed) => {
            "provisioningState is Failed: PUT again".to_string()
        }
        (Action::Delete, Reason::NoLongerDeclared { stack }) => {
            format!("no longer declared (stack {stack})")
        }
        (Action::Delete, Reason::UndeclaredChild { parent }) => format!("not declared in {parent}"),
        (Action::Delete, Reason::Destroy { stack }) => format!("stack {stack}"),
        (Action::Update, Reason::Adopt { stack }) => {
            format!("adopt: exists without a capz-stack tag; stack {stack} takes it over")
        }
        _ => String::new(),
    }
}

/// The ARM name of a change: the declared name, else the last ID segment.
fn arm_name(c: &Change) -> String {
    c.desired.as_ref().map_or_else(
        || c.id.rsplit('/').next().unwrap_or_default().to_string(),
        |r| r.name.clone(),
    )
}

fn reason_code(r: &Reason) -> &'static str {
    match r {
        Reason::InSync => "in-sync",
        Reason::Absent => "absent",
        Reason::ParentRecreated(_) => "parent-recreated",
        Reason::Changed => "changed",
        Reason::ProvisioningFailed => "provisioning-failed",
        Reason::InProgress { .. } => "in-progress",
        Reason::ForcesReplacement(_) => "forces-replacement",
        Reason::InUse { .. } => "in-use",
        Reason::DependencyReplaced { .. } => "dependency-replaced",
        Reason::LastSystemPool { .. } => "last-system-pool",
        Reason::NoLongerDeclared { .. } => "no-longer-declared",
        Reason::UndeclaredChild { .. } => "undeclared-child",
        Reason::Destroy { .. } => "destroy",
        Reason::Adopt { .. } => "adopt",
    }
}

/// The document of `plan` (`program` is left `None`; the CLI fills it in).
pub fn to_doc(plan: &Plan, destroy: bool) -> PlanDoc {
    let resource_changes = plan
        .changes
        .iter()
        .map(|c| ResourceChange {
            address: c.address.as_ref().map(ToString::to_string),
            label: c.label.clone(),
            kind: c.kind.clone(),
            name: arm_name(c),
            id: c.id.clone(),
            api_version: c.api_version.clone(),
            action: c.action.into(),
            reason: ReasonDoc {
                code: reason_code(&c.reason).into(),
                message: note(plan, c),
                fields: match &c.reason {
                    Reason::ForcesReplacement(f) | Reason::InUse { fields: f, .. } => f.clone(),
                    Reason::DependencyReplaced { field, .. } => vec![field.clone()],
                    _ => Vec::new(),
                },
            },
            created_with: c
                .carried_by
                .and_then(|i| plan.changes.get(i))
                .map(|p| p.label.clone()),
            rotate_via: c.rotate_via.clone(),
            fields: c
                .fields
                .iter()
                .map(|f| FieldDoc {
                    key: f.key.clone(),
                    before: (&f.old).into(),
                    after: (&f.new).into(),
                    forces_replacement: f.forces_replacement,
                })
                .collect(),
            live_fingerprint: c.live.as_ref().map(fingerprint),
            cascade: c.cascade.iter().map(ContainedDoc::from).collect(),
        })
        .collect();
    let counts = plan.counts();
    PlanDoc {
        format_version: FORMAT_VERSION.into(),
        capz_version: env!("CARGO_PKG_VERSION").into(),
        destroy,
        stack: plan.stack.clone(),
        subscription: plan.subscription.clone(),
        program: None,
        resource_changes,
        summary: Summary {
            add: counts.add,
            change: counts.change,
            replace: counts.replace,
            destroy: counts.destroy,
            wait: counts.wait,
        },
        outputs: plan
            .outputs
            .iter()
            .map(|o| OutputDoc {
                name: o.name.clone(),
                value: (&o.value).into(),
            })
            .collect(),
        kept_groups: plan
            .kept
            .iter()
            .map(|k| KeptDoc {
                name: k.name.clone(),
                id: k.id.clone(),
                foreign: k.foreign.iter().map(ContainedDoc::from).collect(),
            })
            .collect(),
    }
}

/// Why a saved plan cannot be applied as is: one line per resource whose planned
/// operation or live state differs between `saved` and `now` (a fresh plan of the same
/// program), naming it. Empty when they agree.
pub fn staleness(saved: &PlanDoc, now: &PlanDoc) -> Vec<String> {
    let key = |c: &ResourceChange| c.id.to_ascii_lowercase();
    let now_by: std::collections::BTreeMap<String, &ResourceChange> =
        now.resource_changes.iter().map(|c| (key(c), c)).collect();
    let saved_ids: std::collections::BTreeSet<String> =
        saved.resource_changes.iter().map(key).collect();
    let mut out = Vec::new();
    let subject = |c: &ResourceChange| format!("{} {}", c.kind, c.label);
    for s in &saved.resource_changes {
        let Some(n) = now_by.get(&key(s)) else {
            if s.action != ActionDoc::NoOp {
                out.push(format!("{}: no longer part of the plan", subject(s)));
            }
            continue;
        };
        if s.live_fingerprint != n.live_fingerprint {
            let what = match (&s.live_fingerprint, &n.live_fingerprint) {
                (None, Some(_)) => "it was created".to_string(),
                (Some(_), None) => "it was deleted".to_string(),
                _ => "its live state changed".to_string(),
            };
            out.push(format!("{}: {what} since the plan was made", subject(s)));
        } else if s.action != n.action || s.fields != n.fields {
            out.push(format!(
                "{}: planned to {}, now it would {}",
                subject(s),
                action_word(s.action),
                action_word(n.action)
            ));
        }
    }
    for n in &now.resource_changes {
        if !saved_ids.contains(&key(n)) && n.action != ActionDoc::NoOp {
            out.push(format!(
                "{}: not in the saved plan, now it would {}",
                subject(n),
                action_word(n.action)
            ));
        }
    }
    out
}

fn action_word(a: ActionDoc) -> &'static str {
    match a {
        ActionDoc::NoOp => "stay as it is",
        ActionDoc::Create => "be created",
        ActionDoc::Update => "be updated",
        ActionDoc::Replace => "be replaced",
        ActionDoc::Delete => "be deleted",
        ActionDoc::Wait => "be waited for",
    }
}
