//! `lifecycle` block rules: `ignore_changes` names fields the kind has.

use lang::diagnostic::Diagnostic;
use lang::program::Program;
use lang::schema::{Catalog, KindDef, RuleDef, field_span};

/// The lifecycle rules.
pub fn rules() -> Vec<RuleDef> {
    vec![RuleDef {
        code: "capz::lifecycle::unknown-field",
        summary: "ignore_changes names a field the kind does not have",
        explanation: "`lifecycle { ignore_changes = [...] }` lists the fields (capz keys, as the plan prints \
            them) that are never diffed or written after create: a field (`count`), a block or a field of \
            one (`network`, `network.policy`), or a tag (`tags.owner`). A key the kind does not have \
            would silently ignore nothing.\n\
            Fix: use the key as `capz plan` prints it, e.g. `~ tags.owner  \"a\" -> \"b\"`.\n\
            Source: Terraform's lifecycle meta-argument \
            (developer.hashicorp.com/terraform/language/meta-arguments/lifecycle) refuses unknown \
            attributes the same way; the keys are capz fields, each mapped to its ARM property in \
            the kind's spec (managedClusters.json, virtualNetwork.json, ...).",
        check: unknown_field,
    }]
}

/// Whether `key` is something `ignore_changes` can name in `kind`.
fn known(kind: &KindDef, key: &str) -> bool {
    if key.starts_with("lifecycle") {
        return false;
    }
    if let Some(tag) = key.strip_prefix("tags.") {
        return kind.field("tags").is_some() && !tag.is_empty();
    }
    kind.field(key).is_some() || kind.block(key).is_some()
}

fn unknown_field(p: &Program, c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in &p.resources {
        let Some(kind) = c.kind(r.kind) else { continue };
        for key in crate::arm::ignore_changes(r) {
            if known(kind, &key) {
                continue;
            }
            let mut names: Vec<&str> = kind
                .fields
                .iter()
                .map(|f| f.name)
                .filter(|n| *n != "name")
                .collect();
            names.extend(
                kind.blocks
                    .iter()
                    .map(|b| b.keyword)
                    .filter(|b| *b != "lifecycle"),
            );
            out.push(
                Diagnostic::error(
                    "capz::lifecycle::unknown-field",
                    format!("{} {} has no field {key:?} to ignore", r.kind, r.address),
                )
                .with_primary(
                    field_span(r, "lifecycle.ignore_changes"),
                    "not a field of it",
                )
                .with_help(format!(
                    "name one of: {}, or a tag as \"tags.KEY\"",
                    names.join(", ")
                )),
            );
        }
    }
    out
}
