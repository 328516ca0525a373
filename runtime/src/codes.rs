//! Runtime diagnostic codes: ARM requests, planning and apply.
//!
//! Same shape as [`lang::codes::Code`] so `capz explain` treats every registry alike.
//! Language codes live in `lang::codes`, checker rule codes on stdlib's `RuleDef`s.
//! A test below checks that every code this crate emits is registered here.

pub use lang::codes::Code;

/// ARM request that ARM answered with an error status.
pub const ARM_REQUEST_FAILED: &str = "capz::arm::request-failed";
/// A long-running ARM operation that ended Failed or Canceled.
pub const ARM_OPERATION_FAILED: &str = "capz::arm::operation-failed";
/// ARM (or the local emulator) could not be reached.
pub const ARM_UNREACHABLE: &str = "capz::arm::unreachable";
/// ARM answered with something that is not the JSON the protocol promises.
pub const ARM_BAD_RESPONSE: &str = "capz::arm::bad-response";
/// A write (retries, waits, its long-running operation) did not end within its deadline.
pub const ARM_TIMEOUT: &str = "capz::arm::timeout";
/// `--target azure` without `--subscription` / `AZURE_SUBSCRIPTION_ID`.
pub const TARGET_NO_SUBSCRIPTION: &str = "capz::target::no-subscription";
/// ARM does not know the subscription, or the principal has no access to it.
pub const TARGET_SUBSCRIPTION_NOT_FOUND: &str = "capz::target::subscription-not-found";
/// A target option is unusable (CA bundle, authority host, endpoint URL).
pub const TARGET_BAD_OPTION: &str = "capz::target::bad-option";
/// No credential of the chain produced a token for ARM.
pub const AUTH_NO_CREDENTIAL: &str = "capz::auth::no-credential";
/// The local ARM emulator could not be started.
pub const TARGET_EMULATOR_FAILED: &str = "capz::target::emulator-failed";
/// The program file could not be read.
pub const CLI_READ_FAILED: &str = "capz::cli::read-failed";
/// `capz fmt` could not write a file back.
pub const CLI_WRITE_FAILED: &str = "capz::cli::write-failed";
/// A `--param` was not written `name=value`.
pub const CLI_BAD_PARAM: &str = "capz::cli::bad-param";
/// `capz explain` got a code nobody registered.
pub const CLI_UNKNOWN_CODE: &str = "capz::cli::unknown-code";
/// `capz apply` without `--auto-approve` and no terminal to ask on.
pub const APPLY_APPROVAL_REQUIRED: &str = "capz::apply::approval-required";
/// The user did not answer `yes`.
pub const APPLY_CANCELLED: &str = "capz::apply::cancelled";
/// A resource changed between the plan and apply's write (ARM 412 to If-Match).
pub const APPLY_CHANGED_SINCE_PLAN: &str = "capz::apply::changed-since-plan";
/// Another capz apply or destroy holds the state directory's lock.
pub const APPLY_LOCKED: &str = "capz::apply::locked";
/// A resource the plan needs has no ARM ID (unknown kind or parent).
pub const PLAN_NO_RESOURCE_ID: &str = "capz::plan::no-resource-id";
/// The plan's operations depend on each other in a cycle.
pub const PLAN_CYCLE: &str = "capz::plan::cycle";
/// A saved plan file cannot be read (not JSON, not a plan, another format version).
pub const PLAN_BAD_FILE: &str = "capz::plan::bad-file";
/// A saved plan no longer matches its program or the live state.
pub const PLAN_STALE: &str = "capz::plan::stale";
/// A declared resource carries another stack's `capz-stack` tag.
pub const STACK_OWNED_BY_OTHER: &str = "capz::stack::owned-by-other";
/// `capz destroy` kept resource groups that hold resources the stack does not own.
pub const DESTROY_KEPT_FOREIGN: &str = "capz::destroy::kept-foreign";
/// A plan would delete or replace a resource with `lifecycle { prevent_destroy = true }`.
pub const LIFECYCLE_PREVENT_DESTROY: &str = "capz::lifecycle::prevent-destroy";
/// An `existing` resource is not in Azure.
pub const PLAN_EXISTING_MISSING: &str = "capz::plan::existing-missing";
/// Preflight: a `location` that is not a region of the subscription.
pub const PREFLIGHT_UNKNOWN_REGION: &str = "capz::preflight::unknown-region";
/// Preflight: a Kubernetes version AKS does not offer in the cluster's region.
pub const PREFLIGHT_KUBERNETES_VERSION_UNAVAILABLE: &str =
    "capz::preflight::kubernetes-version-unavailable";
/// `capz repl`: a command the REPL does not know.
pub const REPL_UNKNOWN_COMMAND: &str = "capz::repl::unknown-command";
/// `capz repl`: a command without its argument, or one that cannot run in this state.
pub const REPL_USAGE: &str = "capz::repl::usage";
/// `capz repl`: `:show`/`:live`/`:diff` of an address the session program does not declare.
pub const REPL_NO_RESOURCE: &str = "capz::repl::no-resource";
/// `capz repl`: a command needs a target and the session has none.
pub const REPL_NO_TARGET: &str = "capz::repl::no-target";

/// Every runtime code with its explanation.
pub static CODES: &[Code] = &[
    Code {
        code: ARM_REQUEST_FAILED,
        summary: "ARM refused a request",
        explanation: "ARM answered a GET, PUT, DELETE or list request with an error status \
(4xx or 5xx after retries). The message names the resource, the HTTP status, ARM's error code \
and message, and the x-ms-request-id and x-ms-correlation-request-id to quote to Azure support.\n\
Throttling (429, honouring Retry-After), server errors (5xx) and dropped connections are \
retried with backoff until the write's deadline (--operation-timeout) before this is \
reported; 'another operation is in progress' answers are waited out by polling the resource.\n\
Fix the value ARM names, or wait for the other operation, then run the command again.\n\
Source: https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations",
    },
    Code {
        code: ARM_OPERATION_FAILED,
        summary: "a long-running ARM operation failed",
        explanation: "ARM accepted the request (201/202) but the operation it started ended with \
status Failed or Canceled, or the resource's provisioningState ended Failed. The message \
carries the error code and message from the operation status.\n\
Source: https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations",
    },
    Code {
        code: ARM_UNREACHABLE,
        summary: "ARM could not be reached",
        explanation: "The HTTP connection to ARM (or the local emulator) failed after retries. \
Check --arm-endpoint / CAPZ_ARM_ENDPOINT, the network, and that the emulator is running.",
    },
    Code {
        code: ARM_BAD_RESPONSE,
        summary: "ARM sent a response capz cannot read",
        explanation: "A response body was not valid JSON, or a long-running operation answered \
without the status the ARM async protocol requires. This is a bug in the endpoint (or capz); \
the message shows what arrived.",
    },
    Code {
        code: ARM_TIMEOUT,
        summary: "a long-running ARM operation took too long",
        explanation: "One write (its retries after throttling and server errors, its waits for \
another operation on the resource, and the long-running operation it started) did not end \
within its deadline: --operation-timeout, default 30 minutes for AKS resources and 10 minutes \
for the rest. The operation may still finish in Azure; run plan again to see the state it \
reached (a resource still in progress is shown as such and waited for by the next apply).",
    },
    Code {
        code: TARGET_NO_SUBSCRIPTION,
        summary: "--target azure needs a subscription ID",
        explanation: "capz plans and applies in one subscription. Pass --subscription ID or set \
AZURE_SUBSCRIPTION_ID (the subscription's ID, e.g. from `az account show --query id -o tsv`, not \
its display name).",
    },
    Code {
        code: TARGET_SUBSCRIPTION_NOT_FOUND,
        summary: "ARM does not know the subscription, or the principal cannot see it",
        explanation: "Before planning, capz reads the subscription (GET /subscriptions/{id}). ARM \
answers 404 SubscriptionNotFound both for an ID that does not exist and for one the signed-in \
principal has no role on. Check the ID and the principal's role assignments (`az account list`).",
    },
    Code {
        code: TARGET_BAD_OPTION,
        summary: "a target option cannot be used",
        explanation: "The message names the option: --ca-cert / CAPZ_CA_CERT must be a readable PEM \
bundle of CA certificates, --authority-host / AZURE_AUTHORITY_HOST an https:// URL (Entra ID \
sign-in is HTTPS only), --arm-endpoint a URL.",
    },
    Code {
        code: AUTH_NO_CREDENTIAL,
        summary: "no Azure credential could sign in",
        explanation: "For --target azure capz tries, in order: a service principal \
(AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET), workload identity \
(AZURE_FEDERATED_TOKEN_FILE with AZURE_TENANT_ID and AZURE_CLIENT_ID), managed identity (only on \
hosts that set IDENTITY_ENDPOINT/MSI_ENDPOINT, or with AZURE_USE_MANAGED_IDENTITY=1 or \
--credential managed-identity), and the Azure CLI's login (`az login`). Unconfigured ones are \
skipped; the first configured one is used, and its failure stops the chain. The help lists what \
each answered. --credential picks one.",
    },
    Code {
        code: TARGET_EMULATOR_FAILED,
        summary: "the local ARM emulator did not start",
        explanation: "capz starts an ARM emulator in-process for `--target local`, storing its \
state in the state directory (--state-dir, default .capz). Check that the directory is \
writable and that its local-arm.sqlite file is not used by another process.",
    },
    Code {
        code: CLI_READ_FAILED,
        summary: "a program file could not be read",
        explanation: "The file given on the command line does not exist or is not readable UTF-8.",
    },
    Code {
        code: CLI_WRITE_FAILED,
        summary: "a formatted file could not be written",
        explanation: "`capz fmt` formatted the file but could not write it back (read-only file or \
folder, full disk). The file was left as it was.",
    },
    Code {
        code: CLI_BAD_PARAM,
        summary: "a --param is not name=value",
        explanation: "Parameters are given as `--param name=value`, e.g. `--param location=westeurope`.",
    },
    Code {
        code: CLI_UNKNOWN_CODE,
        summary: "no such diagnostic code",
        explanation: "`capz explain` knows language codes, checker rule codes and runtime codes; \
the code given is none of them. Codes look like `capz::cidr::outside-service-cidr`.",
    },
    Code {
        code: APPLY_APPROVAL_REQUIRED,
        summary: "apply needs approval",
        explanation: "Without --auto-approve, `capz apply` and `capz destroy` show the plan and \
ask for `yes` on the terminal. Standard input is not a terminal here, so nobody can answer: \
pass --auto-approve to apply without asking.",
    },
    Code {
        code: APPLY_CANCELLED,
        summary: "apply was not approved",
        explanation: "Only the answer `yes` applies the plan; anything else cancels it and \
changes nothing.",
    },
    Code {
        code: APPLY_CHANGED_SINCE_PLAN,
        summary: "a resource changed between plan and apply",
        explanation: "Apply writes updates and deletes with `If-Match: <the ETag capz last read>` wherever ARM returns an ETag. ARM answered 412 PreconditionFailed: someone else (a colleague, the portal, another capz run, an AKS auto-upgrade) changed the resource after capz read it. Nothing was overwritten; the other operations of the apply went on. Run `capz plan` to see the resource as it is now, then apply again.\n\
Sources: https://learn.microsoft.com/azure/aks/use-etags (AKS clusters and agent pools), the `etag` fields of the Microsoft.Network specs (\"A unique read-only string that changes whenever the resource is updated\").",
    },
    Code {
        code: APPLY_LOCKED,
        summary: "another apply holds the state directory's lock",
        explanation: "On the local target, `capz apply` and `capz destroy` hold an exclusive lock on `apply.lock` in the state directory (--state-dir, default .capz) while they run, so two applies of one local ARM never interleave. The message names the holder's PID. Wait for it to finish, or pass `--lock-timeout DURATION` (e.g. `5m`) to wait for the lock; the default 0s refuses at once, as Terraform's -lock-timeout does. A killed apply's lock is released by the operating system with its process.",
    },
    Code {
        code: PLAN_NO_RESOURCE_ID,
        summary: "a resource has no ARM ID",
        explanation: "The planner could not compute the ARM resource ID of a resource (its \
kind or parent is unknown to the catalog). This is a bug in capz.",
    },
    Code {
        code: PLAN_CYCLE,
        summary: "the plan's operations depend on each other in a cycle",
        explanation: "Apply orders operations by their dependencies; these form a cycle, so \
no order exists. Remove one of the references that close the loop.",
    },
    Code {
        code: PLAN_BAD_FILE,
        summary: "a saved plan file cannot be read",
        explanation: "`capz apply FILE` takes a program (.capz) or a plan saved by `capz plan \
-out FILE` (a JSON document with format_version 1.x, docs/plan-json.md). This file is neither, \
or was written by a capz with another major format version. Make the plan again.",
    },
    Code {
        code: PLAN_STALE,
        summary: "the saved plan no longer matches the program or the live state",
        explanation: "A saved plan is applied only as it was shown. Before applying, capz \
checks that the program's sources are unchanged and plans again: every resource must have the \
same live state (its etag, or a hash of its body) and the same planned operation. The message \
names each resource that differs. Run `capz plan -out FILE` again, review it, and apply the new \
file.",
    },
    Code {
        code: STACK_OWNED_BY_OTHER,
        summary: "the resource belongs to another stack",
        explanation: "capz keeps no state file: a resource belongs to the stack named by its \
`capz-stack` tag. The program declares a resource that exists and carries another stack's tag, \
so planning it would update, retag, replace or delete another team's resource (with the group \
itself, ARM's cascade would later delete everything in it). capz refuses the whole plan.\n\
Fix: to use the resource without owning it, declare it `existing KIND NAME { name = \"...\" }` \
(read at plan time, never written); or declare it in only one of the programs. To hand a \
resource over, change its tag out of band first.\n\
Source: Terraform refuses to manage a resource that another state holds only through import; \
capz's tag is its state (README, \"Ownership\").",
    },
    Code {
        code: LIFECYCLE_PREVENT_DESTROY,
        summary: "the plan would delete or replace a protected resource",
        explanation: "A resource declared with `lifecycle { prevent_destroy = true }` is never deleted or \
replaced: any plan that would (a changed field that forces replacement, a prune, `capz destroy`, \
the delete of its group, the replacement of its parent) fails, and nothing is sent. Because capz \
keeps no state, the protection is recorded on the resource as the tag capz-prevent-destroy=true: \
removing the declaration from the program is refused too.\n\
Fix: set `prevent_destroy = false` in its lifecycle block and apply (the tag goes), then make the \
change.\n\
Source: Terraform's lifecycle meta-argument \
(developer.hashicorp.com/terraform/language/meta-arguments/lifecycle), where removing the block \
removes the protection; capz's tag outlasts it.",
    },
    Code {
        code: PLAN_EXISTING_MISSING,
        summary: "an `existing` resource does not exist",
        explanation: "The program declares `existing KIND NAME { name = \"...\" }`: a resource another stack or \
team owns, read at plan time. ARM has nothing at the ID the message names (or its parent is \
missing), so nothing that references it can be planned. capz never creates an existing resource.\n\
Fix: check the name and the group (`in GROUP`), or the subscription; ask its owner to create it; \
or drop `existing` so this program creates and owns it.\n\
Source: Bicep's `existing` fails the deployment the same way \
(learn.microsoft.com/azure/azure-resource-manager/bicep/existing-resource).",
    },
    Code {
        code: DESTROY_KEPT_FOREIGN,
        summary: "destroy kept resource groups that hold resources the stack does not own",
        explanation: "Deleting a resource group deletes every resource in it (ARM's cascade). Before \
deleting one, capz lists it (GET {group}/resources and the child collections of what it knows); \
when anything in it is untagged or another stack's, the group is kept and only the stack's own \
resources in it are deleted. The plan names every such resource, and destroy exits 1 so scripts \
notice that the stack is not entirely gone.\n\
Fix: delete or move the named resources and run destroy again, or pass --delete-foreign to \
let ARM delete them with the group (the plan then lists everything the cascade deletes).\n\
Source: https://learn.microsoft.com/rest/api/resources/resourcegroups/delete (\"all of its \
resources are also deleted\"); Terraform azurerm's prevent_deletion_if_contains_resources \
(default since 3.0, hashicorp/terraform-provider-azurerm#13777).",
    },
    Code {
        code: PREFLIGHT_UNKNOWN_REGION,
        summary: "a location is not a region of the subscription",
        explanation: "Before planning, capz asks ARM for the subscription's regions \
(Subscriptions_ListLocations). A resource in a region that is not listed would be refused \
(LocationNotAvailableForResourceType, or LocationNotAvailableForResourceGroup for a group). \
Use a region name as `az account list-locations` prints it, e.g. eastus2.\n\
Source: subscriptions.json 2022-12-01 `Subscriptions_ListLocations` and \
https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-sku-not-available.",
    },
    Code {
        code: PREFLIGHT_KUBERNETES_VERSION_UNAVAILABLE,
        summary: "AKS does not offer this Kubernetes version in the cluster's region",
        explanation: "Before planning, capz asks AKS which Kubernetes versions the cluster's \
region offers (ManagedClusters_ListKubernetesVersions). A MAJOR.MINOR version must be one of \
the listed minors, a MAJOR.MINOR.PATCH one of their patch versions; AKS refuses others \
(AgentPoolK8sVersionNotSupported). `az aks get-versions --location REGION` lists them.\n\
Source: managedClusters.json 2026-08-01 `ManagedClusters_ListKubernetesVersions` and \
https://learn.microsoft.com/azure/aks/supported-kubernetes-versions.",
    },
    Code {
        code: REPL_UNKNOWN_COMMAND,
        summary: "the REPL does not know this command",
        explanation: "Commands start with `:`. Type :help for the list (:type, :load, :reload, \
:params, :set, :show, :live, :diff, :plan, :explain, :quit); Tab completes them.",
    },
    Code {
        code: REPL_USAGE,
        summary: "a REPL command is missing its argument or cannot run now",
        explanation: "The message names the command and what it needs, e.g. `:show ADDRESS` or \
`:set NAME=VALUE`. Commands that read the session program (:params, :show) need it to compile: \
fix the errors shown and :reload.",
    },
    Code {
        code: REPL_NO_RESOURCE,
        summary: "the session program declares no resource at this address",
        explanation: "`:show`, `:live` and `:diff` take a resource address as the plan prints it: \
`cluster_net`, `cluster_net.nodes`, `wl_net[0]`. Tab completes the addresses of the session \
program.",
    },
    Code {
        code: REPL_NO_TARGET,
        summary: "the REPL session has no target",
        explanation: "`:live`, `:diff` and `:plan` read the live state of the target chosen with \
--target / --arm-endpoint when `capz repl` starts. A session created without one (e.g. in a \
library test) cannot run them.",
    },
];

/// The registered runtime code `code`, if any.
pub fn lookup(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for c in CODES {
            assert!(seen.insert(c.code), "duplicate {}", c.code);
            let parts: Vec<&str> = c.code.split("::").collect();
            assert_eq!(parts.len(), 3, "{}", c.code);
            assert_eq!(parts[0], "capz");
            for p in &parts[1..] {
                assert!(
                    p.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                    "{}",
                    c.code
                );
            }
            assert!(!c.explanation.is_empty());
        }
    }

    #[test]
    fn every_emitted_code_is_registered() {
        // Every code constant is in CODES, and no source writes a code as a bare literal
        // that is not registered.
        let own = include_str!("codes.rs");
        for line in own.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("pub const ")
                && let Some((_, value)) = rest.split_once("= \"")
            {
                let code = value.trim_end_matches("\";");
                assert!(lookup(code).is_some(), "constant {code} not in CODES");
            }
        }
        let src = concat!(
            include_str!("arm/error.rs"),
            include_str!("arm/client.rs"),
            include_str!("arm/lro.rs"),
            include_str!("arm/auth.rs"),
            include_str!("arm/credential.rs"),
            include_str!("plan/mod.rs"),
            include_str!("plan/owner.rs"),
            include_str!("plan/preflight.rs"),
            include_str!("apply/mod.rs"),
            include_str!("cli/mod.rs"),
            include_str!("cli/apply.rs"),
            include_str!("cli/plan.rs"),
            include_str!("cli/output.rs"),
            include_str!("cli/target.rs"),
            include_str!("repl/session.rs"),
        );
        for piece in src.split("\"capz::").skip(1) {
            let code = format!("capz::{}", piece.split('"').next().unwrap_or(""));
            assert!(
                lookup(&code).is_some() || lang::codes::lookup(&code).is_some(),
                "unregistered code literal {code}"
            );
        }
    }
}
