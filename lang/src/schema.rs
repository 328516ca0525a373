//! The catalog: what the language knows about resource kinds and built-in functions.
//!
//! lang defines the *shape* of this knowledge; stdlib supplies the *data*
//! (`stdlib::catalog()`), one definition per resource kind. The checker, evaluator,
//! planner, REPL completion and editor grammar tests all read the same [`Catalog`], so a
//! field is declared exactly once: its type, doc line, default, ARM JSON path and whether
//! changing it forces replacement.

use crate::diagnostic::Diagnostic;
use crate::program::Program;
use crate::source::Span;
use crate::types::Type;
use crate::value::{Address, Value};

/// Everything stdlib knows, handed to the checker and the runtime.
#[derive(Debug)]
pub struct Catalog {
    /// Resource kinds (`group`, `vnet`, `subnet`, `cluster`, `pool`, ...).
    pub kinds: Vec<KindDef>,
    /// Built-in functions (`cidrsubnet`, `lower`, ...).
    pub functions: Vec<FunctionDef>,
    /// Cross-field and cross-resource rules run on the evaluated [`Program`].
    pub rules: Vec<RuleDef>,
}

impl Catalog {
    /// The kind with this keyword, e.g. `"vnet"`.
    pub fn kind(&self, keyword: &str) -> Option<&KindDef> {
        self.kinds.iter().find(|k| k.keyword == keyword)
    }

    /// The kind that `word` names inside a body of kind `parent` (`None` at the top level).
    /// A word can name different kinds under different parents: `rule` is a security rule
    /// inside an `nsg` and a load-balancing rule (`lb_rule`) inside a `load_balancer`, so an
    /// [`Placement::Inline`] kind whose `word` matches under this parent wins; otherwise
    /// the kind with keyword `word`.
    pub fn kind_in(&self, parent: Option<&str>, word: &str) -> Option<&KindDef> {
        if let Some(p) = parent
            && let Some(k) = self.kinds.iter().find(|k| {
                matches!(k.placement, Placement::Inline { parent: kp, word: w, .. } if kp == p && w == word)
            })
        {
            return Some(k);
        }
        self.kind(word)
    }

    /// The built-in function with this name.
    pub fn function(&self, name: &str) -> Option<&FunctionDef> {
        self.functions.iter().find(|f| f.name == name)
    }
}

/// Where a kind lives in ARM's hierarchy; decides its resource ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A resource group itself: `/subscriptions/{sub}/resourceGroups/{name}`.
    ResourceGroup,
    /// A top-level resource in a group (`vnet x in g`):
    /// `/subscriptions/{sub}/resourceGroups/{rg}/providers/{arm_type}/{name}`.
    InGroup,
    /// A child declared inside a parent block: `{parent_id}/{segment}/{name}`,
    /// e.g. parent `vnet`, segment `subnets`.
    Child {
        /// Parent kind keyword.
        parent: &'static str,
        /// The ID path segment, e.g. `subnets`, `agentPools`.
        segment: &'static str,
    },
    /// A part of its parent's body, not an ARM resource of its own: declared inside the
    /// parent like a child (`frontend api { ... }` inside a `load_balancer`), addressed and
    /// referenced like one (ID `{parent_id}/{segment}/{name}`), but written as an element
    /// `{"name": .., "properties": {..}}` of the parent's array at `array_path` and
    /// created, changed and removed by the parent's PUT.
    Inline {
        /// Parent kind keyword.
        parent: &'static str,
        /// The keyword written inside the parent (`rule` for the kind `lb_rule`).
        word: &'static str,
        /// The ID path segment, e.g. `frontendIPConfigurations`.
        segment: &'static str,
        /// Dotted JSON path of the array in the parent's body, e.g.
        /// `properties.frontendIPConfigurations`.
        array_path: &'static str,
    },
    /// A two-way link declared at the top level as `KIND a <-> b { ... }` (VNet peering):
    /// one declaration, two ARM resources, a child of `a` (segment `segment`, name
    /// `{a}-to-{b}`) pointing at `b` and a child of `b` pointing at `a`. The parser turns
    /// the ends into the fields `from` and `to`.
    Link {
        /// Kind keyword of both ends (and parent of each ARM resource), e.g. `vnet`.
        parent: &'static str,
        /// The ID path segment under each end, e.g. `virtualNetworkPeerings`.
        segment: &'static str,
    },
}

impl Placement {
    /// The parent kind of the ARM resource: `Child`, `Inline` and `Link` kinds have one.
    pub fn parent_kind(&self) -> Option<&'static str> {
        match self {
            Placement::Child { parent, .. }
            | Placement::Inline { parent, .. }
            | Placement::Link { parent, .. } => Some(parent),
            Placement::ResourceGroup | Placement::InGroup => None,
        }
    }

    /// The ID path segment under the parent (`subnets`, `frontendIPConfigurations`).
    pub fn segment(&self) -> Option<&'static str> {
        match self {
            Placement::Child { segment, .. }
            | Placement::Inline { segment, .. }
            | Placement::Link { segment, .. } => Some(segment),
            Placement::ResourceGroup | Placement::InGroup => None,
        }
    }
}

/// Writes a desired value into an ARM body; the closure resolves a referenced address to
/// its ARM resource ID (see [`ArmMapping::Custom`]).
pub type ArmWriteFn = fn(&Value, &dyn Fn(&Address) -> Option<String>, &mut serde_json::Value);

/// How a field maps to and from the ARM JSON body.
#[derive(Clone, Copy)]
pub enum ArmMapping {
    /// A dotted JSON path in the resource body, e.g. `properties.networkProfile.networkPlugin`.
    /// The value converts by the field's type: enums to their ARM spelling, references to
    /// resource IDs, ranges are not allowed here.
    Path(&'static str),
    /// Custom conversion for fields that are not one JSON value (autoscale `1..3` →
    /// `enableAutoScaling`, `minCount`, `maxCount`).
    Custom {
        /// Write the desired value into the body. `ids` resolves a referenced address to its ARM ID.
        write: ArmWriteFn,
        /// Read the live value from a GET body (`None` when absent).
        read: fn(&serde_json::Value) -> Option<Value>,
    },
    /// The resource's ARM name (top-level `name`): part of the ID, not of the body.
    Name,
    /// Not sent to ARM (capz-only settings).
    None,
}

impl std::fmt::Debug for ArmMapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArmMapping::Path(p) => write!(f, "Path({p})"),
            ArmMapping::Custom { .. } => write!(f, "Custom"),
            ArmMapping::Name => write!(f, "Name"),
            ArmMapping::None => write!(f, "None"),
        }
    }
}

/// How a desired value is compared with the live one (after both are normalised).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// Equal as values (enums and regions are already compared case-insensitively by type).
    Exact,
    /// Strings equal ignoring ASCII case (resource IDs, SKUs).
    CaseInsensitive,
    /// Lists equal as sets (address prefixes, zones, authorized IP ranges).
    UnorderedSet,
    /// Desired `1.30` matches live `1.30.7`: ARM resolves a minor version to a patch.
    VersionPrefix,
}

/// One settable field of a kind or nested block.
#[derive(Clone, Debug)]
pub struct FieldDef {
    /// capz name, lower snake case, e.g. `dns_service_ip`.
    pub name: &'static str,
    /// Its type.
    pub ty: Type,
    /// One line shown by completion, hover and `:show`.
    pub doc: &'static str,
    /// Whether the program must set it.
    pub required: bool,
    /// The value ARM assumes when the field is left out (documentation, e.g. `"10.0.0.0/16"`);
    /// a field the program does not set is never diffed.
    pub default: Option<&'static str>,
    /// Where it lives in the ARM body.
    pub arm: ArmMapping,
    /// Changing it requires deleting and recreating the resource.
    pub forces_replacement: bool,
    /// Changing it is refused while other resources sit inside this one, so it forces
    /// replacement only then: the planner replaces the resource together with the declared
    /// resources that reference it through a field that forces replacement (an in-use
    /// subnet's address range: the pools in it go first and come back after). Source:
    /// azure-docs virtual-network-manage-subnet.md, "Change subnet settings".
    pub forces_replacement_when_in_use: bool,
    /// How plan compares desired and live.
    pub compare: Compare,
    /// Secret: never printed, shown as `(sensitive)`.
    pub sensitive: bool,
}

/// A nested, non-resource block of a kind (e.g. `network { ... }` in `cluster`).
/// Its fields are addressed as `block.field` in [`crate::program::Resource::fields`].
#[derive(Clone, Debug)]
pub struct BlockDef {
    /// Block keyword, e.g. `network`.
    pub keyword: &'static str,
    /// One line of documentation.
    pub doc: &'static str,
    /// Fields (their `arm` paths are full paths in the resource body).
    pub fields: Vec<FieldDef>,
}

/// A read-only attribute ARM sets, referenceable as `resource.attr` (e.g. `aks.fqdn`).
#[derive(Clone, Debug)]
pub struct AttrDef {
    /// capz name, e.g. `fqdn`.
    pub name: &'static str,
    /// Its type (wrapped in `KnownAfterApply` by the checker when the resource is not yet applied).
    pub ty: Type,
    /// One line of documentation.
    pub doc: &'static str,
    /// Dotted JSON path in the GET body, e.g. `properties.fqdn`.
    pub arm_path: &'static str,
}

/// Rules for a kind's ARM name.
#[derive(Clone, Copy, Debug)]
pub struct NameRule {
    /// Minimum length in characters.
    pub min: usize,
    /// Maximum length in characters.
    pub max: usize,
    /// Human description of the allowed characters, for the diagnostic.
    pub allowed: &'static str,
    /// The check itself (length is checked separately).
    pub valid: fn(&str) -> bool,
    /// Why a name that fails [`NameRule::valid`] is wrong, when the kind can say more than
    /// `allowed` (e.g. "label `x…` is 64 characters; each label is at most 63"); `None` falls
    /// back to the allowed characters.
    pub explain: Option<fn(&str) -> Option<String>>,
}

/// Pools of a new cluster go inline in the cluster's PUT (`agentPoolProfiles`) instead of
/// one agentPools PUT each: AKS requires a system pool at creation, and it saves one
/// AKS operation per pool.
#[derive(Clone, Copy, Debug)]
pub struct InlineChildren {
    /// Child kind keyword, e.g. `pool`.
    pub child: &'static str,
    /// Dotted JSON path of the array, e.g. `properties.agentPoolProfiles`.
    pub array_path: &'static str,
    /// Key under which each inline element carries the child's name (`name`).
    pub name_key: &'static str,
}

/// One resource kind: its syntax, its fields and its ARM mapping.
#[derive(Clone, Debug)]
pub struct KindDef {
    /// Keyword in programs, e.g. `vnet`.
    pub keyword: &'static str,
    /// One line of documentation.
    pub doc: &'static str,
    /// ARM resource type, e.g. `Microsoft.Network/virtualNetworks`.
    pub arm_type: &'static str,
    /// api-version the runtime sends.
    pub api_version: &'static str,
    /// Where it sits (decides the ID and whether it takes `in GROUP`).
    pub placement: Placement,
    /// Settable fields (including `name`, and `location`/`tags` where ARM has them).
    pub fields: Vec<FieldDef>,
    /// Nested non-resource blocks.
    pub blocks: Vec<BlockDef>,
    /// Child resource kinds declared inside this one (`vnet` → `subnet`).
    pub children: Vec<&'static str>,
    /// Read-only attributes ARM sets.
    pub attributes: Vec<AttrDef>,
    /// Whether ARM keeps `tags` on it (the stack tag `capz-stack` goes there).
    pub taggable: bool,
    /// Whether it has a `location` (defaulting to its group's).
    pub has_location: bool,
    /// ARM name rules.
    pub name_rule: NameRule,
    /// Children created inline on the parent's first PUT.
    pub inline_children: Option<InlineChildren>,
}

impl KindDef {
    /// The field with this name, including block fields addressed as `block.field`.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        if let Some((block, field)) = name.split_once('.') {
            return self
                .blocks
                .iter()
                .find(|b| b.keyword == block)
                .and_then(|b| b.fields.iter().find(|f| f.name == field));
        }
        self.fields.iter().find(|f| f.name == name)
    }

    /// The nested block with this keyword.
    pub fn block(&self, keyword: &str) -> Option<&BlockDef> {
        self.blocks.iter().find(|b| b.keyword == keyword)
    }

    /// The attribute with this name.
    pub fn attribute(&self, name: &str) -> Option<&AttrDef> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Every field as `(key, def)`, block fields keyed `block.field`.
    pub fn all_fields(&self) -> Vec<(String, &FieldDef)> {
        let mut out: Vec<(String, &FieldDef)> = self
            .fields
            .iter()
            .map(|f| (f.name.to_string(), f))
            .collect();
        for b in &self.blocks {
            for f in &b.fields {
                out.push((format!("{}.{}", b.keyword, f.name), f));
            }
        }
        out
    }
}

/// A built-in function.
#[derive(Clone)]
pub struct FunctionDef {
    /// Name as called, e.g. `cidrsubnet`.
    pub name: &'static str,
    /// Signature for docs and completion, e.g. `cidrsubnet(prefix: cidr, newbits: int, netnum: int) -> cidr`.
    pub signature: &'static str,
    /// One paragraph of documentation.
    pub doc: &'static str,
    /// `(call, result)` examples, each run as a test.
    pub examples: &'static [(&'static str, &'static str)],
    /// Type rule: the result type for these argument types, or why they do not fit.
    pub check: fn(&[Type]) -> Result<Type, String>,
    /// Evaluation: the result, or a message for a diagnostic at the call.
    pub eval: fn(&[Value]) -> Result<Value, String>,
}

impl std::fmt::Debug for FunctionDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.signature)
    }
}

/// A checker rule over the evaluated program (CIDR overlaps, system pool required, ...).
#[derive(Clone)]
pub struct RuleDef {
    /// The diagnostic code it reports, e.g. `capz::cidr::outside-service-cidr`.
    pub code: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// The explanation `capz explain CODE` prints, including the Azure source of the rule.
    pub explanation: &'static str,
    /// The check. Spans come from the program's field spans.
    pub check: fn(&Program, &Catalog) -> Vec<Diagnostic>,
}

impl std::fmt::Debug for RuleDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code)
    }
}

/// Span helper used by rules: where a field was set, else the resource header.
pub fn field_span(res: &crate::program::Resource, key: &str) -> Span {
    res.fields.get(key).map_or(res.span, |f| f.span)
}

/// The span of item `i` of the list in field `key` when it is written as a list literal
/// (`destination_ports = [443, 70000]` → `70000` for `i = 1`), else [`field_span`].
pub fn item_span(res: &crate::program::Resource, key: &str, i: usize) -> Span {
    res.fields.get(key).map_or(res.span, |f| f.item_span(i))
}
