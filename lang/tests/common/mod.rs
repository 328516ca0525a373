//! A small catalog for lang's tests (lang cannot depend on stdlib). Shapes follow
//! stdlib's kinds closely enough to exercise every checker path: a group, a vnet with
//! child subnets, a cluster with a nested `network` block, `pool` children and an
//! attribute, two functions and one rule.
#![allow(dead_code)]

use lang::diagnostic::Diagnostic;
use lang::schema::*;
use lang::types::{EnumType, EnumWord, Type};
use lang::value::Value;
use lang::{Compiled, Program, SourceFile};

pub static PLUGIN: EnumType = EnumType {
    name: "network_plugin",
    words: &[
        EnumWord {
            word: "azure",
            arm: "azure",
            doc: "Azure CNI",
        },
        EnumWord {
            word: "kubenet",
            arm: "kubenet",
            doc: "kubenet",
        },
        EnumWord {
            word: "none",
            arm: "none",
            doc: "bring your own",
        },
    ],
};
pub static POLICY: EnumType = EnumType {
    name: "network_policy",
    words: &[
        EnumWord {
            word: "calico",
            arm: "calico",
            doc: "Calico",
        },
        EnumWord {
            word: "azure",
            arm: "azure",
            doc: "Azure NPM",
        },
        EnumWord {
            word: "cilium",
            arm: "cilium",
            doc: "Cilium",
        },
    ],
};
pub static MODE: EnumType = EnumType {
    name: "pool_mode",
    words: &[
        EnumWord {
            word: "system",
            arm: "System",
            doc: "system pool",
        },
        EnumWord {
            word: "user",
            arm: "User",
            doc: "user pool",
        },
    ],
};

fn field(name: &'static str, ty: Type, required: bool) -> FieldDef {
    FieldDef {
        name,
        ty,
        doc: "test field",
        required,
        default: None,
        arm: ArmMapping::Path("properties.x"),
        forces_replacement: false,
        forces_replacement_when_in_use: false,
        compare: Compare::Exact,
        sensitive: false,
    }
}

fn rule(min: usize, max: usize, allowed: &'static str, valid: fn(&str) -> bool) -> NameRule {
    NameRule {
        min,
        max,
        allowed,
        valid,
        explain: None,
    }
}

fn kind(keyword: &'static str, placement: Placement, fields: Vec<FieldDef>) -> KindDef {
    KindDef {
        keyword,
        doc: "test kind",
        arm_type: "Microsoft.Test/things",
        api_version: "2024-01-01",
        placement,
        fields,
        blocks: vec![],
        children: vec![],
        attributes: vec![],
        taggable: true,
        has_location: true,
        name_rule: rule(1, 80, "letters, digits, `-`, `_` and `.`", |s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        }),
        inline_children: None,
    }
}

fn cidrsubnet_check(args: &[Type]) -> Result<Type, String> {
    match args {
        [p, Type::Int, Type::Int] if p.assignable_to(&Type::Cidr) || p == &Type::String => {
            Ok(Type::Cidr)
        }
        _ => Err("expects (cidr, int, int)".into()),
    }
}

/// Simplified IPv4 cidrsubnet, good enough for tests.
fn cidrsubnet_eval(args: &[Value]) -> Result<Value, String> {
    let [Value::Str(p), Value::Int(newbits), Value::Int(num)] = args else {
        return Err("expects (cidr, int, int)".into());
    };
    let net: ipnet::Ipv4Net = p.parse().map_err(|_| format!("{p} is not an IPv4 CIDR"))?;
    let len = net.prefix_len() as i64 + newbits;
    if len > 32 {
        return Err(format!("prefix /{len} is longer than 32"));
    }
    if *num >= (1i64 << newbits) {
        return Err(format!("netnum {num} does not fit in {newbits} bits"));
    }
    let base = u32::from(net.network()) as u64 + ((*num as u64) << (32 - len));
    Ok(Value::Str(format!(
        "{}/{len}",
        std::net::Ipv4Addr::from(base as u32)
    )))
}

fn no_system_pool(p: &Program, _c: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for c in p.of_kind("cluster") {
        let has = p
            .children(&c.address)
            .any(|pool| pool.get("mode") == Some(&Value::Enum("system".into())));
        if !has {
            out.push(
                Diagnostic::error("capz::test::system-pool", "no system pool")
                    .with_primary(c.span, "here")
                    .with_help("add a pool with mode = system"),
            );
        }
    }
    out
}

pub fn catalog() -> Catalog {
    let group = KindDef {
        has_location: true,
        name_rule: rule(1, 90, "letters, digits, `-`, `_`, `.` and `()`", |s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.()".contains(c))
        }),
        ..kind(
            "group",
            Placement::ResourceGroup,
            vec![
                FieldDef {
                    arm: ArmMapping::Name,
                    ..field("name", Type::String, false)
                },
                field("location", Type::Region, true),
                field("tags", Type::Any, false),
            ],
        )
    };
    let mut vnet = kind(
        "vnet",
        Placement::InGroup,
        vec![
            FieldDef {
                arm: ArmMapping::Name,
                ..field("name", Type::String, false)
            },
            field("location", Type::Region, false),
            field("address_space", Type::List(Box::new(Type::Cidr)), true),
        ],
    );
    vnet.children = vec!["subnet"];
    let mut subnet = kind(
        "subnet",
        Placement::Child {
            parent: "vnet",
            segment: "subnets",
        },
        vec![
            FieldDef {
                arm: ArmMapping::Name,
                ..field("name", Type::String, false)
            },
            field("address_prefix", Type::Cidr, true),
        ],
    );
    subnet.has_location = false;
    let mut cluster = kind(
        "cluster",
        Placement::InGroup,
        vec![
            FieldDef {
                arm: ArmMapping::Name,
                ..field("name", Type::String, false)
            },
            field("location", Type::Region, false),
            field("kubernetes_version", Type::String, true),
            field("dns_prefix", Type::String, false),
            field("private", Type::Bool, false),
        ],
    );
    cluster.name_rule = rule(1, 63, "letters, digits, `-` and `_`", |s| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
    });
    cluster.blocks = vec![BlockDef {
        keyword: "network",
        doc: "network profile",
        fields: vec![
            field("plugin", Type::Enum(&PLUGIN), true),
            field("policy", Type::Enum(&POLICY), false),
            field("service_cidr", Type::Cidr, false),
            field("dns_service_ip", Type::Ip, false),
        ],
    }];
    cluster.children = vec!["pool"];
    cluster.attributes = vec![AttrDef {
        name: "fqdn",
        ty: Type::String,
        doc: "API server FQDN",
        arm_path: "properties.fqdn",
    }];
    let mut pool = kind(
        "pool",
        Placement::Child {
            parent: "cluster",
            segment: "agentPools",
        },
        vec![
            FieldDef {
                arm: ArmMapping::Name,
                ..field("name", Type::String, false)
            },
            field("mode", Type::Enum(&MODE), true),
            field("vm_size", Type::String, true),
            field("autoscale", Type::Range, false),
            field("count", Type::Int, false),
            field("subnet", Type::Resource("subnet"), false),
            field("zones", Type::List(Box::new(Type::String)), false),
        ],
    );
    pool.has_location = false;
    pool.name_rule = rule(
        1,
        12,
        "lowercase letters and digits, starting with a letter",
        |s| {
            s.starts_with(|c: char| c.is_ascii_lowercase())
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        },
    );
    let mut peering = kind(
        "peering",
        Placement::Link {
            parent: "vnet",
            segment: "virtualNetworkPeerings",
        },
        vec![
            FieldDef {
                arm: ArmMapping::None,
                ..field("from", Type::Resource("vnet"), true)
            },
            field("to", Type::Resource("vnet"), true),
            field("allow_forwarded_traffic", Type::Bool, false),
        ],
    );
    peering.has_location = false;
    Catalog {
        kinds: vec![group, vnet, subnet, cluster, pool, peering],
        functions: vec![
            FunctionDef {
                name: "cidrsubnet",
                signature: "cidrsubnet(prefix: cidr, newbits: int, netnum: int) -> cidr",
                doc: "subnet of a prefix",
                examples: &[],
                check: cidrsubnet_check,
                eval: cidrsubnet_eval,
            },
            FunctionDef {
                name: "lower",
                signature: "lower(s: string) -> string",
                doc: "lowercase",
                examples: &[],
                check: |a| match a {
                    [t] if t.assignable_to(&Type::String) => Ok(Type::String),
                    _ => Err("expects one string".into()),
                },
                eval: |a| match a {
                    [Value::Str(s)] => Ok(Value::Str(s.to_lowercase())),
                    _ => Err("expects one string".into()),
                },
            },
        ],
        rules: vec![RuleDef {
            code: "capz::test::system-pool",
            summary: "a cluster needs a system pool",
            explanation: "test rule",
            check: no_system_pool,
        }],
    }
}

pub fn compile(src: &str) -> Compiled {
    compile_with(src, &[])
}

pub fn compile_with(src: &str, params: &[(&str, &str)]) -> Compiled {
    compile_files(src, MODULES, params)
}

/// Modules every test program can `use` (through [`MapLoader`]).
pub const MODULES: &[(&str, &str)] = &[
    (
        "modules/net.capz",
        "param index: int\nparam prefix: string = \"net\"\n\
         group rg { name = \"${prefix}-${index}-rg\" location = \"eastus\" }\n\
         vnet v in rg { address_space = [\"10.${index}.0.0/16\"] subnet s { address_prefix = \"10.${index}.0.0/24\" } }\n\
         output subnet = v.s\noutput rg_name = rg.name\noutput space = v.address_space\n",
    ),
    ("modules/stacky.capz", "stack \"inner\"\nparam x: int = 1\n"),
    ("modules/self.capz", "use again = \"./self.capz\" {}\n"),
    ("modules/a.capz", "use b = \"./b.capz\" {}\n"),
    ("modules/b.capz", "use a = \"./a.capz\" {}\n"),
];

/// A loader over a fixed map of files: a path is resolved against the using file's
/// directory, with `.` and `..` segments removed (like the runtime's FsLoader).
pub struct MapLoader<'m>(pub &'m [(&'m str, &'m str)]);

impl lang::source::Loader for MapLoader<'_> {
    fn load(&self, from: &str, path: &str) -> Result<SourceFile, String> {
        let dir: Vec<&str> = from.split('/').collect();
        let mut parts: Vec<&str> = dir[..dir.len().saturating_sub(1)].to_vec();
        for seg in path.split('/') {
            match seg {
                "." | "" => {}
                ".." => {
                    parts.pop();
                }
                s => parts.push(s),
            }
        }
        let name = parts.join("/");
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, t)| SourceFile::new(*n, *t))
            .ok_or_else(|| format!("no file {name}"))
    }
}

/// Compile `src` (as test.capz) with `files` available to `use`.
pub fn compile_files(src: &str, files: &[(&str, &str)], params: &[(&str, &str)]) -> Compiled {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    lang::compile(
        SourceFile::new("test.capz", src),
        &MapLoader(files),
        &catalog(),
        &params,
    )
}

pub fn codes(c: &Compiled) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.code).collect()
}

/// Compile and require success; on failure print the rendered diagnostics.
pub fn ok(src: &str) -> Program {
    ok_with(src, &[])
}

pub fn ok_with(src: &str, params: &[(&str, &str)]) -> Program {
    let c = compile_with(src, params);
    match c.program {
        Some(p) => p,
        None => panic!("{}", lang::diagnostic::render(&c.sources, &c.diagnostics)),
    }
}

pub const EXAMPLE: &str = r#"stack "capz-dev"

param location: region = "eastus2"

group mgmt {
  name     = "capz-mgmt-rg"
  location = location
}

vnet mgmt_net in mgmt {
  address_space = ["10.0.0.0/16"]
  subnet nodes { address_prefix = "10.0.0.0/22" }
}

cluster mgmt_aks in mgmt {
  kubernetes_version = "1.30"
  dns_prefix         = "capz-mgmt"
  network {
    plugin         = azure
    policy         = calico
    service_cidr   = "172.16.0.0/16"
    dns_service_ip = "172.16.0.10"
  }
  pool system {
    mode      = system
    vm_size   = "Standard_D4s_v3"
    autoscale = 1..3
    subnet    = mgmt_net.nodes
  }
}

output mgmt_fqdn = mgmt_aks.fqdn
"#;
