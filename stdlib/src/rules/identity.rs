//! Federated identity credential rules: issuer URL, audiences, subject, the 20-per-identity
//! limit and unique issuer/subject pairs.

use lang::diagnostic::Diagnostic;
use lang::program::{Program, Resource};
use lang::schema::{Catalog, RuleDef, field_span};
use lang::value::Value;

/// Most federated credentials one user-assigned identity can hold.
pub const MAX_CREDENTIALS: usize = 20;

/// The rules of this module.
pub fn rules() -> Vec<RuleDef> {
    vec![
        RuleDef {
            code: "capz::identity::issuer-url",
            summary: "a federated credential's issuer is not an https URL",
            explanation: "The issuer is the URL of the external identity provider (for AKS, the cluster's OIDC \
                issuer URL); Microsoft Entra ID accepts only https URLs.\n\
                Source: ManagedIdentity.json `FederatedIdentityCredentialProperties.issuer` (format uri, \"The \
                URL of the issuer to be trusted\") and \
                https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations \
                (issuer: \"must match the issuer claim ... an https URL\").",
            check: issuer_url,
        },
        RuleDef {
            code: "capz::identity::audiences",
            summary: "a federated credential has no audience, more than one, or one longer than 600 characters",
            explanation: "audiences takes exactly one value of at most 600 characters; for Microsoft Entra ID it \
                is api://AzureADTokenExchange.\n\
                Source: https://learn.microsoft.com/graph/api/resources/federatedidentitycredential \
                (audiences: \"This field can only accept a single value and has a limit of 600 characters\") and \
                https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations.",
            check: audiences,
        },
        RuleDef {
            code: "capz::identity::subject-format",
            summary: "a federated credential's subject is empty or longer than 600 characters",
            explanation: "The subject identifies the external workload (for Kubernetes \
                system:serviceaccount:NAMESPACE:NAME) and is 1 to 600 characters.\n\
                Source: https://learn.microsoft.com/graph/api/resources/federatedidentitycredential (subject: \
                \"It has a limit of 600 characters\") and \
                https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster.",
            check: subject_format,
        },
        RuleDef {
            code: "capz::identity::too-many-credentials",
            summary: "a user-assigned identity has more than 20 federated credentials",
            explanation: "A user-assigned managed identity holds at most 20 federated identity credentials.\n\
                Source: https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations \
                (\"A maximum of 20 federated identity credentials can be added to an application or \
                user-assigned managed identity\").",
            check: too_many,
        },
        RuleDef {
            code: "capz::identity::duplicate-subject",
            summary: "two federated credentials of one identity have the same issuer and subject",
            explanation: "The combination of issuer and subject must be unique among an identity's federated \
                credentials.\n\
                Source: https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations \
                (\"The combination of issuer and subject must be unique on the app\").",
            check: duplicate_subject,
        },
    ]
}

fn str_of<'a>(r: &'a Resource, key: &str) -> Option<&'a str> {
    match r.get(key) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    }
}

fn issuer_url(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("federated_credential")
        .filter_map(|fc| {
            let s = str_of(fc, "issuer")?;
            let host = s.strip_prefix("https://").unwrap_or_default();
            let ok = s.starts_with("https://")
                && !host.is_empty()
                && !host.starts_with('/')
                && !s.contains(char::is_whitespace);
            (!ok).then_some((fc, s))
        })
        .map(|(fc, s)| {
            Diagnostic::error(
                "capz::identity::issuer-url",
                format!("issuer {s:?} of {} is not an https URL", fc.address),
            )
            .with_primary(field_span(fc, "issuer"), "needs https://HOST/...")
            .with_help("use the cluster's issuer, e.g. `issuer = aks.oidc_issuer_url`")
        })
        .collect()
}

fn audiences(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for fc in p.of_kind("federated_credential") {
        let Some(items) = fc.get("audiences").and_then(Value::as_list) else {
            continue;
        };
        let long = items
            .iter()
            .filter_map(Value::as_str)
            .find(|a| a.chars().count() > 600 || a.is_empty());
        let why = match (items.len(), long) {
            (0, _) => "has no audience".to_string(),
            (1, None) => continue,
            (1, Some("")) => "has an empty audience".to_string(),
            (1, Some(_)) => "has an audience longer than 600 characters".to_string(),
            (n, _) => format!("lists {n} audiences; only one is accepted"),
        };
        out.push(
            Diagnostic::error(
                "capz::identity::audiences",
                format!("federated credential {} {why}", fc.address),
            )
            .with_primary(field_span(fc, "audiences"), "exactly one audience")
            .with_help("use `audiences = [\"api://AzureADTokenExchange\"]` (the default)"),
        );
    }
    out
}

fn subject_format(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    p.of_kind("federated_credential")
        .filter_map(|fc| {
            let s = str_of(fc, "subject")?;
            let n = s.chars().count();
            (n == 0 || n > 600).then_some((fc, n))
        })
        .map(|(fc, n)| {
            Diagnostic::error(
                "capz::identity::subject-format",
                format!(
                    "subject of {} is {}",
                    fc.address,
                    if n == 0 {
                        "empty".to_string()
                    } else {
                        format!("{n} characters long (at most 600)")
                    }
                ),
            )
            .with_primary(field_span(fc, "subject"), "1-600 characters")
            .with_help("for a Kubernetes service account: \"system:serviceaccount:NAMESPACE:NAME\"")
        })
        .collect()
}

fn too_many(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for id in p.of_kind("identity") {
        let creds: Vec<&Resource> = p
            .children(&id.address)
            .filter(|r| r.kind == "federated_credential")
            .collect();
        if creds.len() > MAX_CREDENTIALS {
            out.push(
                Diagnostic::error(
                    "capz::identity::too-many-credentials",
                    format!(
                        "identity {} has {} federated credentials; at most {MAX_CREDENTIALS} are allowed",
                        id.address,
                        creds.len()
                    ),
                )
                .with_primary(creds[MAX_CREDENTIALS].span, "the 21st credential")
                .with_secondary(id.span, "the identity")
                .with_help("split the workloads over several identities"),
            );
        }
    }
    out
}

fn duplicate_subject(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for id in p.of_kind("identity") {
        let creds: Vec<&Resource> = p
            .children(&id.address)
            .filter(|r| r.kind == "federated_credential")
            .collect();
        for (i, fc) in creds.iter().enumerate() {
            let (Some(iss), Some(sub)) = (fc.get("issuer"), str_of(fc, "subject")) else {
                continue;
            };
            if let Some(prev) = creds[..i]
                .iter()
                .find(|o| o.get("issuer") == Some(iss) && str_of(o, "subject") == Some(sub))
            {
                out.push(
                    Diagnostic::error(
                        "capz::identity::duplicate-subject",
                        format!(
                            "{} and {} trust the same issuer and subject {sub:?}",
                            prev.address, fc.address
                        ),
                    )
                    .with_primary(field_span(fc, "subject"), "second credential")
                    .with_secondary(field_span(prev, "subject"), "first credential")
                    .with_help("keep one credential per issuer and subject"),
                );
            }
        }
    }
    out
}
