//! The plan model: what each resource's operation is and why.
//!
//! Like Terraform, the action (what apply does) is kept apart from the reason (why the
//! planner chose it, for display only). One model feeds both renderers (text now, JSON
//! later) and the apply engine, so they cannot disagree.

use lang::{Address, Resource, Span, Value};
use serde_json::Value as Json;
use std::fmt;

/// What apply does to one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Live state already matches; nothing to do.
    NoOp,
    /// PUT a new resource.
    Create,
    /// PUT the live body with the declared fields overlaid.
    Update,
    /// DELETE the live resource, then PUT it anew (a changed field forces it).
    Replace,
    /// DELETE a live resource the program does not declare.
    Delete,
    /// An operation is running on it (its `provisioningState` is not terminal: Creating,
    /// Updating, Deleting, ...): apply waits until it ends, then plans it again. Never
    /// "no changes": the work is not done yet.
    Wait,
}

impl Action {
    /// The plan symbol: `+`, `~`, `-/+`, `-`, or a space for no-op.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::Wait => "…",
        }
    }

    /// Progress verb: `creating`, `updating`, `replacing`, `deleting`, `reading`,
    /// `waiting`.
    pub fn verb(self) -> &'static str {
        match self {
            Action::NoOp => "reading",
            Action::Create => "creating",
            Action::Update => "updating",
            Action::Replace => "replacing",
            Action::Delete => "deleting",
            Action::Wait => "waiting for its operation",
        }
    }
}

/// Why the planner chose the action (display only; apply decides by [`Action`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Live state matches the declared fields.
    InSync,
    /// The resource does not exist in ARM.
    Absent,
    /// Its parent (or group) is created or replaced, so it is created too.
    ParentRecreated(String),
    /// Declared fields differ from live state.
    Changed,
    /// The declared fields match, but the resource's `provisioningState` is `Failed` (an
    /// operation on it failed): it is PUT again.
    ProvisioningFailed,
    /// An operation on it is still running: `provisioningState` is `state` (not Succeeded,
    /// Failed or Canceled), since `since` (ARM's `systemData.lastModifiedAt`, when the
    /// resource has it).
    InProgress {
        /// The live provisioningState, `Creating`.
        state: String,
        /// When its last write started, RFC 3339.
        since: Option<String>,
    },
    /// These changed fields force replacement (capz names, e.g. `vm_size`).
    ForcesReplacement(Vec<String>),
    /// These changed fields cannot change while other resources are inside it (an in-use
    /// subnet's `address_prefix`), so it is replaced together with them.
    InUse {
        /// The fields (capz names).
        fields: Vec<String>,
        /// The declared resources inside it, `pool aks.system`.
        users: Vec<String>,
    },
    /// A field that forces replacement references a resource that is deleted and created
    /// again (a pool in a replaced subnet): it goes first and comes back after.
    DependencyReplaced {
        /// The referencing field (capz name, e.g. `subnet`).
        field: String,
        /// The replaced resource, `subnet net.nodes`.
        target: String,
    },
    /// Every System pool of this cluster has to be deleted (its subnet is replaced), and AKS
    /// refuses to delete a cluster's last System pool: the cluster is replaced with them.
    LastSystemPool {
        /// The pool's address, `aks.system`.
        pool: String,
        /// Why the pool goes, `subnet net.nodes`.
        target: String,
    },
    /// It carries the stack tag but the program no longer declares it.
    NoLongerDeclared {
        /// The stack name.
        stack: String,
    },
    /// A child of a declared parent (e.g. a subnet of a declared vnet) not declared in it.
    UndeclaredChild {
        /// The parent's display label, e.g. `vnet mgmt_net`.
        parent: String,
    },
    /// `capz destroy`: everything carrying the stack tag goes.
    Destroy {
        /// The stack name.
        stack: String,
    },
    /// It exists without any `capz-stack` tag and the program declares it: the update
    /// adds the stack tag (and any declared field that differs), so the stack owns it from
    /// now on.
    Adopt {
        /// The stack name.
        stack: String,
    },
}

/// A resource inside a resource group: what ARM's cascade deletes with the group, or what
/// keeps a group from being deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contained {
    /// Kind keyword when capz knows the ARM type (`vnet`), else the ARM type.
    pub kind: String,
    /// ARM name; `parent/child` for children (`net/nodes`).
    pub name: String,
    /// ARM resource ID.
    pub id: String,
    /// Value of its `capz-stack` tag (a child has its parent's); `None` when untagged.
    pub stack: Option<String>,
    /// Whether the planning stack does not own it (untagged, or another stack's).
    pub foreign: bool,
    /// Whether it carries the `capz-prevent-destroy` tag (`lifecycle { prevent_destroy }`).
    pub protected: bool,
}

impl Contained {
    /// `(no capz-stack tag)` or `(stack NAME)`: who owns it, for plans and diagnostics.
    pub fn owner(&self) -> String {
        match &self.stack {
            Some(s) => format!("stack {s}"),
            None => "no capz-stack tag".to_string(),
        }
    }
}

/// A resource group the plan would delete (it carries the stack tag and is no longer
/// declared, or `capz destroy`) but keeps, because it holds resources the stack does not
/// own. Only the stack's own resources in it are deleted, one by one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    /// Group name.
    pub name: String,
    /// Group ID.
    pub id: String,
    /// The resources in it that the stack does not own, by ID.
    pub foreign: Vec<Contained>,
}

/// A value as the plan shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// No value (ARM has none / the field is removed).
    Absent,
    /// A known value (references display as the resource's address).
    Value(Value),
    /// Known only after apply.
    Unknown,
    /// A secret: never printed.
    Sensitive,
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shown::Absent => write!(f, "(none)"),
            Shown::Value(v) => write!(f, "{v}"),
            Shown::Unknown => write!(f, "(known after apply)"),
            Shown::Sensitive => write!(f, "(sensitive)"),
        }
    }
}

/// One field that differs: `key  old -> new`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// capz key, e.g. `vm_size`, `network.plugin`, `tags.capz-stack`.
    pub key: String,
    /// Live value.
    pub old: Shown,
    /// Desired value.
    pub new: Shown,
    /// Whether this change alone forces replacement.
    pub forces_replacement: bool,
}

/// The planned operation of one resource.
#[derive(Clone, Debug)]
pub struct Change {
    /// Program address; `None` for live resources the program does not declare.
    pub address: Option<Address>,
    /// What the plan prints after the kind: the address, or `parent.name` / the ARM name
    /// for undeclared resources.
    pub label: String,
    /// Kind keyword (`vnet`), or the ARM type when no kind matches.
    pub kind: String,
    /// ARM resource ID.
    pub id: String,
    /// api-version for this resource's requests.
    pub api_version: String,
    /// What apply does.
    pub action: Action,
    /// Why (display only).
    pub reason: Reason,
    /// Declared fields that differ (updates and replacements).
    pub fields: Vec<FieldChange>,
    /// For a create carried inline by its parent's PUT (pools of a new cluster): the
    /// index of the parent's change in [`Plan::changes`].
    pub carried_by: Option<usize>,
    /// The desired resource with every value the live state already tells resolved
    /// (declared resources only).
    pub desired: Option<Resource>,
    /// The live GET body (`None` when absent).
    pub live: Option<Json>,
    /// Declaration span, for diagnostics (declared resources only).
    pub span: Option<Span>,
    /// For the replacement of a cluster's last system pool: the name of a temporary
    /// system pool that holds the cluster's system pods meanwhile (AKS refuses to delete
    /// the last System pool). Apply creates it, replaces the pool, then deletes it.
    pub rotate_via: Option<String>,
    /// For a resource group's delete: everything in it, which ARM deletes with it
    /// (top-level resources and their children), by ID.
    pub cascade: Vec<Contained>,
}

impl Change {
    /// `vnet mgmt_net`: kind and label, how progress lines and diagnostics name it.
    pub fn subject(&self) -> String {
        format!("{} {}", self.kind, self.label)
    }
}

/// An output as the plan knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedOutput {
    /// Name.
    pub name: String,
    /// Value with what live state tells resolved; [`Shown::Unknown`] otherwise.
    pub value: Shown,
}

/// The whole plan.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Stack name (value of the `capz-stack` tag).
    pub stack: String,
    /// Subscription the IDs live in.
    pub subscription: String,
    /// Declared resources in program order (parents first), then undeclared deletes
    /// sorted by ID.
    pub changes: Vec<Change>,
    /// Outputs in program order.
    pub outputs: Vec<PlannedOutput>,
    /// Groups kept because they hold resources the stack does not own (by ID).
    pub kept: Vec<Kept>,
}

/// Counts for the summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Creates (including those carried inline by a parent).
    pub add: usize,
    /// Updates.
    pub change: usize,
    /// Replacements.
    pub replace: usize,
    /// Deletes.
    pub destroy: usize,
    /// Resources with an operation still running, waited for.
    pub wait: usize,
}

impl Plan {
    /// How many of each action.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for ch in &self.changes {
            match ch.action {
                Action::Create => c.add += 1,
                Action::Update => c.change += 1,
                Action::Replace => c.replace += 1,
                Action::Delete => c.destroy += 1,
                Action::Wait => c.wait += 1,
                Action::NoOp => {}
            }
        }
        c
    }

    /// True if apply would do anything.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp)
    }
}
