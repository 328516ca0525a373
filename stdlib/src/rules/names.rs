//! Resource names against each kind's [`lang::schema::NameRule`].

use lang::diagnostic::Diagnostic;
use lang::program::Program;
use lang::schema::{Catalog, RuleDef, field_span};

/// The naming rule.
pub fn rules() -> Vec<RuleDef> {
    vec![RuleDef {
        code: "capz::name::invalid",
        summary: "a resource's ARM name breaks Azure's naming rules for its type",
        explanation: "Each Azure resource type limits the length and characters of names (e.g. AKS pool names: \
            lowercase letters and digits, starting with a letter, at most 12 characters; VNets: 2-64 letters, \
            digits, underscores, periods and hyphens). ARM rejects a bad name at PUT time; capz checks it first \
            with the rule of the kind.\n\
            Source: https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules and \
            the name patterns of the ARM specs (e.g. managedClusters.json `AgentPoolNameParameter` \
            ^[a-z][a-z0-9]{0,11}$).",
        check: invalid_names,
    }]
}

fn invalid_names(p: &Program, c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in &p.resources {
        let Some(kind) = c.kind(r.kind) else { continue };
        let rule = kind.name_rule;
        let len = r.name.chars().count();
        let problem = if len < rule.min || len > rule.max {
            Some(format!(
                "is {len} characters long; {} names have {}-{} characters",
                r.kind, rule.min, rule.max
            ))
        } else if !(rule.valid)(&r.name) {
            Some(format!(
                "is not valid: {} names allow {}",
                r.kind, rule.allowed
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            out.push(
                Diagnostic::error(
                    "capz::name::invalid",
                    format!("{} name {:?} {problem}", r.kind, r.name),
                )
                .with_primary(field_span(r, "name"), "invalid name")
                .with_help(format!(
                    "set name = \"...\" using {}, {}-{} characters",
                    rule.allowed, rule.min, rule.max
                )),
            );
        }
    }
    out
}
