//! Resource kinds, one file each. Every field's ARM JSON path, default and mutability
//! come from the ARM OpenAPI specs in `vendor/arm-specs` (file named in each
//! kind's module docs); name rules from the spec's `pattern` or from
//! <https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules>.

pub mod a_record;
pub mod cluster;
pub mod federated_credential;
pub mod group;
pub mod identity;
pub mod link;
pub mod load_balancer;
pub mod nsg;
pub mod peering;
pub mod pool;
pub mod private_dns_zone;
pub mod public_ip;
pub mod rule;
pub mod subnet;
pub mod vnet;

use lang::schema::{ArmMapping, AttrDef, BlockDef, Compare, FieldDef, KindDef, NameRule};
use lang::types::Type;

/// Every kind, parents before their children, each with the [`lifecycle`] block.
pub fn all() -> Vec<KindDef> {
    let mut kinds = kinds();
    for k in &mut kinds {
        k.blocks.push(lifecycle());
    }
    kinds
}

/// The `lifecycle` block every kind has, with Terraform's meanings
/// (developer.hashicorp.com/terraform/language/meta-arguments/lifecycle). Its fields are
/// capz's, not ARM's (`ArmMapping::None`): `prevent_destroy` is recorded as the tag
/// `capz-prevent-destroy` (stdlib::arm::PROTECT_TAG) on taggable resources.
pub fn lifecycle() -> BlockDef {
    BlockDef {
        keyword: "lifecycle",
        doc: "How capz treats this resource over time: prevent_destroy, ignore_changes.",
        fields: vec![
            field(
                "prevent_destroy",
                Type::Bool,
                "Refuse any plan that deletes or replaces it, destroy included; recorded as the tag capz-prevent-destroy, so removing the declaration is refused too until it is set to false and applied.",
                ArmMapping::None,
            ),
            field(
                "ignore_changes",
                list(Type::String),
                "Fields never diffed or written after create, e.g. [\"count\", \"tags.owner\"] (a block field is \"network.policy\", a tag \"tags.KEY\").",
                ArmMapping::None,
            ),
        ],
    }
}

fn kinds() -> Vec<KindDef> {
    vec![
        group::def(),
        vnet::def(),
        subnet::def(),
        cluster::def(),
        pool::def(),
        nsg::def(),
        rule::def(),
        public_ip::def(),
        load_balancer::def(),
        load_balancer::frontend(),
        load_balancer::backend_pool(),
        load_balancer::probe(),
        load_balancer::lb_rule(),
        load_balancer::outbound_rule(),
        peering::def(),
        identity::def(),
        federated_credential::def(),
        private_dns_zone::def(),
        link::def(),
        a_record::def(),
    ]
}

/// A plain optional field: not required, no default, updatable in place, compared exactly.
pub(crate) fn field(name: &'static str, ty: Type, doc: &'static str, arm: ArmMapping) -> FieldDef {
    FieldDef {
        name,
        ty,
        doc,
        required: false,
        default: None,
        arm,
        forces_replacement: false,
        forces_replacement_when_in_use: false,
        compare: Compare::Exact,
        sensitive: false,
    }
}

/// The `name` field every kind has: its ARM name, part of the resource ID. Changing it
/// means a different resource, so it forces replacement.
pub(crate) fn name_field(doc: &'static str) -> FieldDef {
    FieldDef {
        forces_replacement: true,
        compare: Compare::CaseInsensitive,
        ..field("name", Type::String, doc, ArmMapping::Name)
    }
}

/// `location`: the Azure region, create-only in ARM (`x-ms-mutability: read, create`).
pub(crate) fn location_field() -> FieldDef {
    FieldDef {
        forces_replacement: true,
        ..field(
            "location",
            Type::Region,
            "Azure region, e.g. \"eastus2\"; defaults to the group's location.",
            ArmMapping::Path("location"),
        )
    }
}

/// `tags`: ARM resource tags (string values). capz adds `capz-stack` itself.
pub(crate) fn tags_field() -> FieldDef {
    field(
        "tags",
        tags_type(),
        "Resource tags as a record of strings, e.g. { team = \"platform\" }; capz adds capz-stack.",
        ArmMapping::Path("tags"),
    )
}

/// The type of `tags` and `node_labels`: a record with any string fields. The type system
/// has no open map type yet, so any record is accepted (`Type::Any`).
pub(crate) fn tags_type() -> Type {
    Type::Any
}

/// `list<T>`.
pub(crate) fn list(t: Type) -> Type {
    Type::List(Box::new(t))
}

/// The `id` attribute every kind has.
pub(crate) fn id_attr() -> AttrDef {
    AttrDef {
        name: "id",
        ty: Type::String,
        doc: "The ARM resource ID.",
        arm_path: "id",
    }
}

/// Name validators for [`NameRule::valid`] (length is checked separately).
pub mod names {
    /// Resource group: `^[-\w\._\(\)]+$` (resources.json), and not ending in a period
    /// (resource-name-rules page).
    pub fn resource_group(s: &str) -> bool {
        !s.ends_with('.')
            && s.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')'))
    }

    /// Network resources (virtual networks, subnets, NSGs, security rules, public IPs,
    /// virtual network links): alphanumerics, underscores, periods and hyphens; starts with an
    /// alphanumeric, ends with an alphanumeric or underscore (resource-name-rules page).
    pub fn network(s: &str) -> bool {
        let first_ok = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        let last_ok = s
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        first_ok
            && last_ok
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    }

    /// Managed cluster: `^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$`
    /// (managedClusters.json, parameter `ResourceNameParameter`).
    pub fn cluster(s: &str) -> bool {
        let first_ok = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        let last_ok = s.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
        first_ok
            && last_ok
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    }

    /// Agent pool: `^[a-z][a-z0-9]{0,11}$` (managedClusters.json, `AgentPoolNameParameter`).
    pub fn pool(s: &str) -> bool {
        s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    }

    /// User-assigned identity: alphanumerics, hyphens and underscores, starting with a
    /// letter or number (resource-name-rules page, Microsoft.ManagedIdentity).
    pub fn identity(s: &str) -> bool {
        s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    }

    /// Federated identity credential: `^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$`
    /// (ManagedIdentity.json); the same characters as [`identity`].
    pub fn federated_credential(s: &str) -> bool {
        identity(s)
    }

    /// Private DNS zone: a domain name of at least two labels, each 1-63 characters of
    /// letters, digits, hyphens and underscores, not starting or ending with a hyphen
    /// (RFC 1035 lengths; underscores as in `_msdcs.corp.internal`, which Azure accepts:
    /// https://learn.microsoft.com/azure/dns/private-dns-privatednszone#restrictions).
    pub fn dns_zone(s: &str) -> bool {
        let labels: Vec<&str> = s.trim_end_matches('.').split('.').collect();
        labels.len() >= 2 && labels.iter().all(|l| dns_label(l))
    }

    /// A record set's relative name: `@` for the apex, or dot-separated labels of letters,
    /// digits, hyphens and underscores, the first label may be `*` (wildcard).
    pub fn record_set(s: &str) -> bool {
        if s == "@" {
            return true;
        }
        s.split('.').enumerate().all(|(i, l)| {
            (i == 0 && l == "*")
                || (!l.is_empty()
                    && l.len() <= 63
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        })
    }

    /// A zone label: 1-63 characters of letters, digits, hyphens and underscores (service
    /// labels such as `_msdcs` are valid zone names), not starting or ending with a hyphen.
    fn dns_label(l: &str) -> bool {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    }

    /// [`lang::schema::NameRule::explain`] for dotted DNS names: the first label that is
    /// empty or longer than 63 characters (RFC 1035 section 2.3.4; Private DNS zone and
    /// record set names follow it), so the diagnostic says "too long" rather than listing
    /// characters. `None` when every label has a valid length.
    pub fn explain_labels(s: &str) -> Option<String> {
        let labels: Vec<&str> = s.trim_end_matches('.').split('.').collect();
        for l in &labels {
            let n = l.chars().count();
            if n > 63 {
                let head: String = l.chars().take(16).collect();
                return Some(format!(
                    "its label `{head}…` is {n} characters long; a DNS label is at most 63"
                ));
            }
            if n == 0 {
                return Some("it has an empty label (two dots in a row)".to_string());
            }
        }
        None
    }
}

/// Name rule for Microsoft.Network resources of up to `max` characters.
pub(crate) fn network_name_rule(min: usize, max: usize) -> NameRule {
    NameRule {
        min,
        max,
        allowed: "letters, digits, underscores, periods and hyphens; start with a letter or digit, end with a letter, digit or underscore",
        valid: names::network,
        explain: None,
    }
}

#[cfg(test)]
mod tests;
