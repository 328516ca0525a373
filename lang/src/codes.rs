//! The registry of diagnostic codes: every code is registered exactly once with an
//! explanation that `capz explain CODE` prints. Codes are stable; tests match codes, not
//! wording. Language codes live here; stdlib's rule codes live on each `RuleDef`; runtime's
//! ARM and apply codes in `runtime::codes`. A test in each crate checks that every code it
//! emits is registered.

/// One registered code.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    /// `capz::area::name`, kebab case.
    pub code: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Several lines: what it means, why, how to fix, and where the rule comes from.
    pub explanation: &'static str,
}

/// Language codes: syntax, names, types, evaluation.
pub static CODES: &[Code] = &[
    Code {
        code: "capz::existing::kind",
        summary: "this kind cannot be declared `existing`",
        explanation: "`existing KIND NAME { name = \"...\" }` declares a resource another stack or team owns:\n\
         capz reads it at plan time and never writes, tags or deletes it. It works for the kinds\n\
         one typically references across teams: group, vnet, subnet (inside an existing vnet),\n\
         nsg, private_dns_zone, identity, public_ip and cluster.\n\
         Fix: declare the resource without `existing` to manage it, or reference its parent.\n\
         Source: Bicep's `existing` keyword (learn.microsoft.com/azure/azure-resource-manager/bicep/existing-resource).",
    },
    Code {
        code: "capz::existing::field",
        summary: "an `existing` resource sets a field",
        explanation: "An existing resource is only read: its body names it (`name = \"...\"`) and may\n\
         declare children, nothing else. Every other field is read from Azure at plan time and can\n\
         be referenced (`hub.address_space`, `hub.id`).\n\
         Fix: remove the field, or drop `existing` if this program should manage the resource.",
    },
    Code {
        code: "capz::existing::parent",
        summary: "an `existing` child inside a resource the program manages",
        explanation: "The children of a resource the program manages are the program's (capz deletes\n\
         the ones it does not declare), so one cannot be someone else's. An `existing` child\n\
         (a subnet) needs an `existing` parent (the vnet).\n\
         Fix: drop `existing` from the child, or declare the parent `existing` too.",
    },
    Code {
        code: "capz::syntax::unexpected",
        summary: "the parser met a token it did not expect",
        explanation: "The text does not follow the capz grammar at this point. The label lists what could\n\
         come here (e.g. `=`, `{` or a name).\n\
         Fix: compare with docs/language.md. Fields are `name = value`, nested blocks\n\
         `name { ... }`, child resources `kind name { ... }`; no `;` is needed.",
    },
    Code {
        code: "capz::syntax::unexpected-end",
        summary: "the file ended in the middle of a declaration",
        explanation: "The file ends before a block, list, call or string is closed.\n\
         Fix: add the missing `}`, `]`, `)` or `\"`; an editor's bracket matching helps find it.",
    },
    Code {
        code: "capz::syntax::unterminated-string",
        summary: "a string is not closed on its line",
        explanation: "Strings are written on one line between double quotes.\n\
         Fix: close the string with `\"`; write `\\n` for a line break inside it.",
    },
    Code {
        code: "capz::syntax::invalid-escape",
        summary: "unknown escape sequence in a string",
        explanation: "Inside strings, `\\` starts an escape: `\\\"`, `\\\\`, `\\n`, `\\t` and `\\$` (a literal `$`).\n\
         Fix: use one of these, or write `\\\\` for a backslash.",
    },
    Code {
        code: "capz::syntax::int-too-large",
        summary: "an integer literal does not fit in 64 bits",
        explanation: "Integers are 64-bit signed (-9223372036854775808 to 9223372036854775807).\n\
         Fix: use a smaller number.",
    },
    Code {
        code: "capz::syntax::interpolated-path",
        summary: "a module path contains `${...}`",
        explanation: "Module paths are resolved before evaluation, so they must be plain strings.\n\
         Fix: write the path literally, e.g. \"./modules/cluster.capz\".",
    },
    Code {
        code: "capz::syntax::chained-operator",
        summary: "comparisons or ranges written as a chain",
        explanation: "`a < b < c` or `0..1..2`: a comparison yields a bool and a range has one start and\n\
         one end, so neither chains (as in Rust and Bicep; Python's chained comparisons do not\n\
         exist in capz).\n\
         Fix: combine comparisons with `&&` (`a < b && b < c`); write a range as `a..b`.",
    },
    Code {
        code: "capz::syntax::too-deep",
        summary: "expressions are nested too deeply",
        explanation: "Brackets or unary operators are nested more than 64 levels, or one expression's tree\n\
         is more than 128 operations deep (`1 + 1 + ...` with more than 128 terms, `x[0][0]...`\n\
         or `a.b.c...` with more than 128 steps), which capz refuses so that no phase can\n\
         exhaust its stack.\n\
         Fix: split the expression into `let` bindings.",
    },
    Code {
        code: "capz::stack::missing",
        summary: "the program declares no `stack`",
        explanation: "Every program belongs to one stack: capz tags each resource it creates with\n\
         capz-stack=NAME and plan deletes tagged resources that are no longer declared.\n\
         Fix: add `stack \"NAME\"` at the top of the file.",
    },
    Code {
        code: "capz::stack::duplicate",
        summary: "`stack` is declared more than once",
        explanation: "A program belongs to exactly one stack.\n\
         Fix: keep one `stack` line.",
    },
    Code {
        code: "capz::stack::invalid",
        summary: "the stack name is not a usable string",
        explanation: "The stack name becomes the value of tag capz-stack, so it must be a string known\n\
         before apply, 1 to 256 characters (ARM's limit for tag values).\n\
         Fix: write `stack \"capz-dev\"`.",
    },
    Code {
        code: "capz::param::unknown",
        summary: "--param names a param the program does not declare",
        explanation: "Each `--param NAME=VALUE` must match a `param NAME: TYPE` in the program.\n\
         Fix: check the spelling, or declare the param.",
    },
    Code {
        code: "capz::param::missing",
        summary: "a param without default was not given a value",
        explanation: "`param NAME: TYPE` without `= DEFAULT` must be given on the command line.\n\
         Fix: pass `--param NAME=VALUE`, or add a default.",
    },
    Code {
        code: "capz::param::invalid-value",
        summary: "a --param value does not parse as the param's type",
        explanation: "Override values are parsed by the declared type: ints, true/false, strings (checked for\n\
         cidr, ip and region), enum words, and lists/records in capz syntax (or comma-separated\n\
         scalars for lists).\n\
         Fix: pass a value of the declared type.",
    },
    Code {
        code: "capz::name::duplicate",
        summary: "a name is declared twice in one scope",
        explanation: "Params, lets and resources share the top-level namespace; children of one resource,\n\
         lets of one body, outputs and record keys must be unique too.\n\
         Fix: rename one of them.",
    },
    Code {
        code: "capz::name::duplicate-address",
        summary: "two resources get the same address",
        explanation: "After loops are unrolled every resource needs a distinct address such as `net[0]`.\n\
         Fix: index the declaration with the loop variable, or make string names distinct.",
    },
    Code {
        code: "capz::name::duplicate-arm-name",
        summary: "two resources of one kind in one parent share an ARM name",
        explanation: "ARM names are unique per resource type within their parent (resource group, VNet,\n\
         cluster), compared case-insensitively; the second PUT would overwrite the first.\n\
         Fix: set a different `name = \"...\"` on one of them.",
    },
    Code {
        code: "capz::name::invalid-arm-name",
        summary: "a resource's ARM name breaks the naming rules of its kind",
        explanation: "Each Azure resource type limits the length and characters of names (see\n\
         https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).\n\
         The name defaults to the declared name (with `-i` for an index), so a declared name like\n\
         `mgmt_pool` may be invalid for a kind that refuses `_`.\n\
         Fix: set `name = \"...\"` in the resource body to a valid name.",
    },
    Code {
        code: "capz::name::undeclared",
        summary: "a name is used but not declared",
        explanation: "A bare word must be a loop variable, a `let`, a `param`, a resource, a field set by an\n\
         enclosing resource, or a word of the enum type expected at that place.\n\
         Fix: check the spelling or declare it.",
    },
    Code {
        code: "capz::name::unknown-member",
        summary: "`.name` does not exist on that value",
        explanation: "`x.name` reads a child, block, field or attribute of a resource, or a key of a record.\n\
         Fix: check the spelling; the help lists what exists.",
    },
    Code {
        code: "capz::name::unset-field",
        summary: "a field is read from a resource that does not set it",
        explanation: "Reading `res.field` yields the value declared in that resource's body; capz does not\n\
         invent values ARM would default. (`name` and `location` always have a value.)\n\
         Fix: set the field in that resource, or write the value directly.",
    },
    Code {
        code: "capz::name::unknown-function",
        summary: "a call names no built-in function",
        explanation: "Functions come from stdlib (cidrsubnet, cidrhost, lower, ...).\n\
         Fix: check the spelling; `capz explain` lists the functions.",
    },
    Code {
        code: "capz::name::missing-index",
        summary: "an indexed resource is used without an index, or a loop declares an unindexed resource",
        explanation: "A resource declared as `name[i]` is a family: pick one with `name[i]`. A resource\n\
         declared inside `for` needs an index so that each iteration gets its own address.\n\
         Fix: add the index.",
    },
    Code {
        code: "capz::name::not-a-group",
        summary: "`in` names something that is not a resource group",
        explanation: "`KIND NAME in GROUP` places a resource in the resource group declared as `group GROUP`.\n\
         Fix: name a declared `group`.",
    },
    Code {
        code: "capz::name::not-in-loop",
        summary: "a param or output is declared inside `for`",
        explanation: "Params and outputs are declared once for the whole program.\n\
         Fix: move it out of the loop (an output may hold a list).",
    },
    Code {
        code: "capz::name::cycle",
        summary: "a value or a resource depends on itself",
        explanation: "Fields, lets and params may refer to each other in any order, but not in a circle\n\
         (`a.x = b.y` and `b.y = a.x`): there is no first value to compute.\n\
         Resources may not wait for each other in a circle either: an identity whose tags read\n\
         `aks.fqdn` (known only once the cluster exists) while the cluster lists that identity in\n\
         `identity_ids` (so the identity must exist first) has no apply order.\n\
         Fix: write one of the values directly, or remove one of the references in the cycle.",
    },
    Code {
        code: "capz::kind::unknown",
        summary: "unknown resource kind",
        explanation: "The first word of a resource declaration is a kind from stdlib (`group`, `vnet`,\n\
         `cluster`, ...); child kinds (`subnet`, `pool`) only inside their parent.\n\
         Fix: check the spelling; the help suggests the closest kind.",
    },
    Code {
        code: "capz::kind::missing-group",
        summary: "a resource that lives in a resource group has no `in GROUP`",
        explanation: "ARM places VNets, clusters and most resources in a resource group; capz needs to know\n\
         which one to build the resource ID.\n\
         Fix: write `KIND NAME in GROUP { ... }` naming a declared `group`.",
    },
    Code {
        code: "capz::kind::link-syntax",
        summary: "a two-way link kind declared without `A <-> B`",
        explanation: "A `peering` is one declaration for two ARM resources (a virtualNetworkPeerings child of\n\
         each VNet, each pointing at the other), so it is written between its two ends:\n\
         `peering hub_net <-> spoke_net { allow_forwarded_traffic = true }`.\n\
         Fix: write the two VNets around `<->` instead of a name.",
    },
    Code {
        code: "capz::kind::unexpected-in",
        summary: "`in GROUP` on a kind that does not take it",
        explanation: "Resource groups are not inside groups, and child resources (subnets, pools) live in\n\
         their parent's group.\n\
         Fix: remove `in ...`.",
    },
    Code {
        code: "capz::kind::wrong-parent",
        summary: "a resource kind is declared in the wrong place",
        explanation: "Child kinds are declared inside their parent kind (`subnet` inside `vnet`, `pool`\n\
         inside `cluster`); top-level kinds at the top level.\n\
         Fix: move the declaration where the help says.",
    },
    Code {
        code: "capz::field::unknown",
        summary: "a resource or block has no such field",
        explanation: "Each kind declares its fields in stdlib; unknown fields would be silently ignored by\n\
         ARM, so capz refuses them.\n\
         Fix: check the spelling; the help suggests the closest field.",
    },
    Code {
        code: "capz::field::unknown-block",
        summary: "a resource has no such nested block",
        explanation: "`name { ... }` in a resource body is a nested block of the kind (e.g. `network` in\n\
         `cluster`). A child resource needs a name: `subnet nodes { ... }`.\n\
         Fix: check the spelling or add the child's name.",
    },
    Code {
        code: "capz::field::missing",
        summary: "a required field is not set",
        explanation: "ARM refuses the resource without this field.\n\
         Fix: add `field = value` as the help shows.",
    },
    Code {
        code: "capz::field::duplicate",
        summary: "a field, block or record key is set twice",
        explanation: "Each field is set once per resource; the second value would silently win.\n\
         Fix: remove one assignment.",
    },
    Code {
        code: "capz::field::in-loop",
        summary: "a field is set inside `for`",
        explanation: "A `for` in a body repeats child resources; a field set in it would be set once per\n\
         iteration.\n\
         Fix: set the field once, building repeated values as a list.",
    },
    Code {
        code: "capz::field::not-allowed",
        summary: "something other than a field inside a nested block",
        explanation: "Nested blocks (`network { ... }`) hold fields only.\n\
         Fix: move blocks and child resources into the resource body.",
    },
    Code {
        code: "capz::type::mismatch",
        summary: "a value has the wrong type",
        explanation: "The field, parameter or operator expects another type (int, bool, string, cidr, ip,\n\
         region, an enum, a list, a record, a resource reference).\n\
         Fix: the help shows a value of the expected type.",
    },
    Code {
        code: "capz::type::unknown-enum-word",
        summary: "a word is not a value of the expected enum",
        explanation: "Where an enum is expected (e.g. network plugin), a bare word must be one of its words.\n\
         Fix: use one of the words listed.",
    },
    Code {
        code: "capz::type::unknown-type",
        summary: "a param declares an unknown type",
        explanation: "Types are int, bool, string, cidr, ip, region, list<T>, `{ key: T }` records and enums\n\
         written as `a | b | c`.\n\
         Fix: use one of these.",
    },
    Code {
        code: "capz::type::invalid-cidr",
        summary: "a string is not a CIDR prefix",
        explanation: "Where a cidr is expected, a string must be an IPv4 or IPv6 prefix in CIDR notation, e.g.\n\
         10.0.0.0/16 (RFC 4632).\n\
         Fix: write an address and a prefix length (at most 32 for IPv4, 128 for IPv6).",
    },
    Code {
        code: "capz::type::invalid-ip",
        summary: "a string is not an IP address",
        explanation: "Where an ip is expected, a string must be an IPv4 or IPv6 address, e.g. 10.0.0.10.\n\
         Fix: write a valid address.",
    },
    Code {
        code: "capz::type::invalid-region",
        summary: "a string is not a region name",
        explanation: "Regions are names like eastus2 or \"East US 2\" (letters, digits, spaces); see\n\
         `az account list-locations`.\n\
         Fix: write a region name.",
    },
    Code {
        code: "capz::type::not-indexable",
        summary: "`[i]` on a value that takes no index",
        explanation: "Lists and resources declared as `name[i]` take an index; records use `.key`.\n\
         Fix: remove the index or use `.key`.",
    },
    Code {
        code: "capz::type::not-iterable",
        summary: "`for` over a value that is not a range or list",
        explanation: "`for x in EXPR` repeats over `a..b` (half-open) or a list.\n\
         Fix: iterate over a range or a list.",
    },
    Code {
        code: "capz::type::not-interpolable",
        summary: "a list, record or range inside `${...}`",
        explanation: "Interpolation turns scalars into text; a list or record has no single spelling.\n\
         Fix: interpolate single items, e.g. `${xs[0]}`.",
    },
    Code {
        code: "capz::type::bad-arguments",
        summary: "a built-in function is called with wrong arguments",
        explanation: "Each function checks the number and types of its arguments.\n\
         Fix: follow the signature in the help.",
    },
    Code {
        code: "capz::eval::division-by-zero",
        summary: "division or remainder by zero",
        explanation: "`a / 0` and `a % 0` have no value.\n\
         Fix: divide by a non-zero int.",
    },
    Code {
        code: "capz::eval::overflow",
        summary: "integer arithmetic overflowed 64 bits",
        explanation: "Results must fit in a 64-bit signed integer.\n\
         Fix: use smaller numbers.",
    },
    Code {
        code: "capz::eval::index-out-of-range",
        summary: "a list index is outside the list",
        explanation: "`xs[i]` needs 0 <= i < length.\n\
         Fix: check the index and the list.",
    },
    Code {
        code: "capz::eval::no-such-instance",
        summary: "an indexed resource has no instance with that index",
        explanation: "`net[i]` refers to the instance declared with that index by a loop; the loop did not\n\
         declare it (or it is read before being declared, in a loop range or index).\n\
         Fix: check the index and the loop range.",
    },
    Code {
        code: "capz::eval::function-failed",
        summary: "a built-in function failed on its arguments",
        explanation: "The arguments have the right types but not valid values (e.g. cidrsubnet beyond /32).\n\
         Fix: follow the message.",
    },
    Code {
        code: "capz::eval::too-large",
        summary: "evaluation ran past its work budget",
        explanation: "Evaluation is bounded so that no program can make capz run for ever or run out of\n\
         memory: all `for` loops together may run at most 100000 iterations (nested loops\n\
         multiply), a computed value may hold at most 1000000 units (list items, record fields,\n\
         scalars and bytes of text) nested at most 128 deep, and at most 5000 evaluations (lets\n\
         and fields read on demand) may be in progress at once. The diagnostic points at the\n\
         loop or expression that went over.\n\
         Fix: iterate over fewer values, build smaller values, or split the program.",
    },
    Code {
        code: "capz::name::too-deep",
        summary: "a chain of lets is too long",
        explanation: "The type of a let is worked out when it is first read, so a let defined by a later\n\
         let defined by a later let ... is followed to its end. More than 1000 such lets in one\n\
         chain are refused.\n\
         Fix: compute the value in fewer steps.",
    },
    Code {
        code: "capz::syntax::unclosed",
        summary: "a block is never closed",
        explanation: "A `{` that opens a block has no matching `}`, and a top-level item (`output`, `param`,\n\
         `use`, `stack`) follows at the block's indentation or further out. capz names the block\n\
         it thinks was left open: the one whose closing `}` is missing judging by indentation (a\n\
         `}` at a shallower indentation closed its parent), or the innermost open block. (At the\n\
         end of the file the same mistake is `capz::syntax::unexpected-end`, naming the block.)\n\
         Fix: add the `}` where the block ends.",
    },
    Code {
        code: "capz::eval::too-many",
        summary: "loops declare too many resources",
        explanation: "A program may declare at most 10000 resources after unrolling loops; larger counts are\n\
         almost always a mistake in a range.\n\
         Fix: reduce the loop counts.",
    },
    Code {
        code: "capz::eval::unknown-loop",
        summary: "`for` over a value known only after apply",
        explanation: "Loops are unrolled before the plan, so their ranges cannot depend on attributes ARM\n\
         sets.\n\
         Fix: iterate over params, lets or declared values.",
    },
    Code {
        code: "capz::eval::unknown-name",
        summary: "a resource name is known only after apply",
        explanation: "ARM names are part of resource IDs and must be known when planning.\n\
         Fix: build names from params, lets and loop variables.",
    },
    Code {
        code: "capz::module::not-found",
        summary: "the file named by `use` could not be read",
        explanation: "`use NAME = \"path.capz\" { ... }` reads another file; a relative path is resolved from\n\
         the directory of the file that says `use`.\n\
         Fix: correct the path (e.g. \"./modules/cluster.capz\") or create the file.",
    },
    Code {
        code: "capz::module::cycle",
        summary: "modules use each other in a cycle",
        explanation: "A module that uses itself, directly or through other modules, would expand forever.\n\
         Fix: remove one `use` of the cycle; share values through params and outputs instead.",
    },
    Code {
        code: "capz::module::stack",
        summary: "a module declares `stack`",
        explanation: "The stack (tag capz-stack on every resource) belongs to the program, not to a module:\n\
         a module's resources join the stack of the program that uses it.\n\
         Fix: remove `stack` from the module file.",
    },
    Code {
        code: "capz::module::unknown-param",
        summary: "`use` gives a param the module does not declare",
        explanation: "The `{ ... }` of a `use` assigns the module's params; every name must be a `param` of\n\
         the module.\n\
         Fix: correct the spelling, or declare the param in the module.",
    },
    Code {
        code: "capz::module::missing-param",
        summary: "`use` does not give a param that has no default",
        explanation: "A module param without a default must be given by every `use` of the module.\n\
         Fix: add `param = value` inside the `{ ... }` of the `use`, or give the param a default.",
    },
    Code {
        code: "capz::syntax::missing-equals",
        summary: "a field name and its value without `=` between them",
        explanation: "Fields are written `name = value`. Without the `=`, `name \"x\"` reads like the start of a\n\
         child resource named \"x\", and the error would show only on the next line.\n\
         Fix: add `=` between the field name and its value.",
    },
    Code {
        code: "capz::fmt::internal",
        summary: "capz fmt would have changed the meaning of the file, so it left it alone",
        explanation: "capz fmt parses its own output and compares the syntax tree with the input's; they\n\
         differ here (or the formatter could not read a character), which is a bug in capz fmt.\n\
         The file was not changed. Fix: report the file; format that part by hand meanwhile.",
    },
];

/// The registered language code `code`, if any.
pub fn lookup(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every `"capz::..."` literal in lang/src is registered, once.
    #[test]
    fn every_emitted_code_is_registered() {
        let mut seen = BTreeSet::new();
        for c in CODES {
            assert!(seen.insert(c.code), "{} registered twice", c.code);
            assert!(
                !c.summary.is_empty() && c.explanation.contains('\n'),
                "{}",
                c.code
            );
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![root];
        let mut found = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") || path.ends_with("codes.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, _) in text.match_indices("\"capz::") {
                    let rest = &text[i + 1..];
                    let end = rest.find('"').unwrap();
                    let code = &rest[..end];
                    found += 1;
                    assert!(
                        lookup(code).is_some(),
                        "{code} in {} is not registered",
                        path.display()
                    );
                }
            }
        }
        assert!(found > 40, "expected many codes, found {found}");
    }
}
