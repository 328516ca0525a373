//! CIDR functions with Terraform's semantics (`cidrsubnet`, `cidrhost`, `cidrnetmask`:
//! <https://developer.hashicorp.com/terraform/language/functions/cidrsubnet>).

use super::{arity, expect, unknown_arg, wrap_unknown};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use lang::schema::FunctionDef;
use lang::types::Type;
use lang::value::Value;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `cidrsubnet`, `cidrhost`, `cidrnetmask`.
pub fn defs() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "cidrsubnet",
            signature: "cidrsubnet(prefix: cidr, newbits: int, netnum: int) -> cidr",
            doc: "The subnet number `netnum` of `prefix` when its mask is extended by `newbits` bits (as Terraform's cidrsubnet). \
                  Fails when the prefix length would exceed 32 (IPv4) or 128 (IPv6) or when netnum is not below 2^newbits.",
            examples: &[
                ("cidrsubnet(\"10.0.0.0/16\", 8, 1)", "\"10.0.1.0/24\""),
                ("cidrsubnet(\"172.16.0.0/12\", 4, 2)", "\"172.18.0.0/16\""),
                ("cidrsubnet(\"10.1.2.0/24\", 4, 15)", "\"10.1.2.240/28\""),
                ("cidrsubnet(\"10.128.0.0/9\", 7, 3)", "\"10.131.0.0/16\""),
                (
                    "cidrsubnet(\"fd00:fd12:3456:7890::/56\", 16, 162)",
                    "\"fd00:fd12:3456:7800:a200::/72\"",
                ),
            ],
            check: |args| {
                arity(args, 3, 3)?;
                expect(args, 0, &Type::Cidr, "prefix")?;
                expect(args, 1, &Type::Int, "newbits")?;
                expect(args, 2, &Type::Int, "netnum")?;
                Ok(wrap_unknown(args, Type::Cidr))
            },
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                let net = cidr_arg(args, 0)?;
                let newbits = int_arg(args, 1, "newbits")?;
                let netnum = int_arg(args, 2, "netnum")?;
                cidrsubnet(net, newbits, netnum).map(|n| Value::Str(n.to_string()))
            },
        },
        FunctionDef {
            name: "cidrhost",
            signature: "cidrhost(prefix: cidr, hostnum: int) -> ip",
            doc: "The address number `hostnum` inside `prefix` (as Terraform's cidrhost); a negative hostnum counts back from \
                  the last address (-1 is the last). Fails when the prefix has no host with that number.",
            examples: &[
                ("cidrhost(\"10.12.112.0/20\", 16)", "\"10.12.112.16\""),
                ("cidrhost(\"10.12.112.0/20\", 268)", "\"10.12.113.12\""),
                ("cidrhost(\"172.16.0.0/16\", 10)", "\"172.16.0.10\""),
                ("cidrhost(\"10.0.0.0/24\", -1)", "\"10.0.0.255\""),
                (
                    "cidrhost(\"fd00:fd12:3456:7890:00a2::/72\", 34)",
                    "\"fd00:fd12:3456:7890::22\"",
                ),
            ],
            check: |args| {
                arity(args, 2, 2)?;
                expect(args, 0, &Type::Cidr, "prefix")?;
                expect(args, 1, &Type::Int, "hostnum")?;
                Ok(wrap_unknown(args, Type::Ip))
            },
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                let net = cidr_arg(args, 0)?;
                let hostnum = int_arg(args, 1, "hostnum")?;
                cidrhost(net, hostnum).map(|ip| Value::Str(ip.to_string()))
            },
        },
        FunctionDef {
            name: "cidrnetmask",
            signature: "cidrnetmask(prefix: cidr) -> ip",
            doc: "The IPv4 netmask of `prefix` in dotted-decimal form (as Terraform's cidrnetmask). Fails for IPv6 prefixes.",
            examples: &[
                ("cidrnetmask(\"172.16.0.0/12\")", "\"255.240.0.0\""),
                ("cidrnetmask(\"10.0.0.0/22\")", "\"255.255.252.0\""),
            ],
            check: |args| {
                arity(args, 1, 1)?;
                expect(args, 0, &Type::Cidr, "prefix")?;
                Ok(wrap_unknown(args, Type::Ip))
            },
            eval: |args| {
                if let Some(u) = unknown_arg(args) {
                    return Ok(u);
                }
                match cidr_arg(args, 0)? {
                    IpNet::V4(n) => Ok(Value::Str(n.netmask().to_string())),
                    IpNet::V6(_) => Err("cidrnetmask supports only IPv4 prefixes".into()),
                }
            },
        },
    ]
}

fn cidr_arg(args: &[Value], i: usize) -> Result<IpNet, String> {
    let s = args
        .get(i)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("argument {} must be a CIDR prefix", i + 1))?;
    s.parse::<IpNet>()
        .map_err(|_| format!("{s:?} is not a CIDR prefix such as \"10.0.0.0/16\""))
}

fn int_arg(args: &[Value], i: usize, what: &str) -> Result<i64, String> {
    args.get(i)
        .and_then(Value::as_int)
        .ok_or_else(|| format!("{what} must be an integer"))
}

/// Terraform's cidrsubnet: the base network (host bits cleared), its length extended by
/// `newbits`, with `netnum` in the new bits.
pub fn cidrsubnet(net: IpNet, newbits: i64, netnum: i64) -> Result<IpNet, String> {
    let len = i64::from(net.prefix_len());
    let max = i64::from(net.max_prefix_len());
    if newbits < 0 {
        return Err(format!("newbits must not be negative, got {newbits}"));
    }
    if newbits > max - len {
        return Err(format!(
            "insufficient address space to extend prefix of {len} by {newbits}"
        ));
    }
    if netnum < 0 || (newbits < 64 && netnum >= (1i64 << newbits)) {
        return Err(format!(
            "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
        ));
    }
    let new_len = (len + newbits) as u8;
    let shift = (max - len - newbits) as u32;
    let add = (netnum as u128).checked_shl(shift).unwrap_or(0);
    match net.trunc() {
        IpNet::V4(n) => {
            let base = u32::from(n.network()) as u128;
            let ip = Ipv4Addr::from((base + add) as u32);
            Ipv4Net::new(ip, new_len)
                .map(IpNet::V4)
                .map_err(|e| e.to_string())
        }
        IpNet::V6(n) => {
            let base = u128::from(n.network());
            let ip = Ipv6Addr::from(base.wrapping_add(add));
            Ipv6Net::new(ip, new_len)
                .map(IpNet::V6)
                .map_err(|e| e.to_string())
        }
    }
}

/// Terraform's cidrhost: address `hostnum` of the network, counting back from the last
/// address when negative.
pub fn cidrhost(net: IpNet, hostnum: i64) -> Result<IpAddr, String> {
    let hostbits = u32::from(net.max_prefix_len() - net.prefix_len());
    let size: Option<u128> = 1u128.checked_shl(hostbits);
    let offset: u128 = if hostnum >= 0 {
        let h = hostnum as u128;
        if size.is_some_and(|s| h >= s) {
            return Err(format!(
                "prefix of {} does not accommodate a host numbered {hostnum}",
                net.prefix_len()
            ));
        }
        h
    } else {
        let back = hostnum.unsigned_abs() as u128;
        match size {
            Some(s) if back > s => {
                return Err(format!(
                    "prefix of {} does not accommodate a host numbered {hostnum}",
                    net.prefix_len()
                ));
            }
            Some(s) => s - back,
            None => u128::MAX - back + 1,
        }
    };
    Ok(match net.trunc() {
        IpNet::V4(n) => IpAddr::V4(Ipv4Addr::from(
            (u32::from(n.network()) as u128 + offset) as u32,
        )),
        IpNet::V6(n) => IpAddr::V6(Ipv6Addr::from(u128::from(n.network()).wrapping_add(offset))),
    })
}
