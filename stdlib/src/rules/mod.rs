//! Checker rules over the evaluated [`Program`]: Azure's constraints that a program can
//! break before any cloud call (CIDR layout, AKS pool and network rules, NSG priorities).
//! ARM names are checked by lang's evaluator against each kind's
//! [`lang::schema::NameRule`] (`capz::name::invalid-arm-name`), not here. Each [`RuleDef`] reports exactly one code, names its Azure source in its
//! explanation, and labels the field that is wrong (plus the other place involved).

pub mod cidr;
pub mod cluster;
pub mod features;
pub mod identity;
pub mod lb;
pub mod lifecycle;
pub mod network;
pub mod nodes;
pub mod nsg;
pub mod pool;
pub mod public_ip;
pub mod vnet;

use ipnet::IpNet;
use lang::program::{Program, Resource};
use lang::schema::RuleDef;
use lang::value::Value;

/// Every rule.
pub fn all() -> Vec<RuleDef> {
    let mut v = cidr::rules();
    v.extend(cluster::rules());
    v.extend(features::rules());
    v.extend(pool::rules());
    v.extend(nsg::rules());
    v.extend(network::rules());
    v.extend(lifecycle::rules());
    v.extend(lb::rules());
    v.extend(nodes::rules());
    v.extend(public_ip::rules());
    v.extend(vnet::rules());
    v.extend(identity::rules());
    v
}

/// Parse a CIDR string value (`None` for unknown or malformed values: the checker reports those).
pub(crate) fn net(v: Option<&Value>) -> Option<IpNet> {
    v?.as_str()?.parse().ok()
}

/// Whether two prefixes share any address.
pub(crate) fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// The CIDRs of a list-valued field, with their position in the list.
pub(crate) fn nets(v: Option<&Value>) -> Vec<IpNet> {
    v.and_then(Value::as_list)
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().and_then(|s| s.parse().ok()))
                .collect()
        })
        .unwrap_or_default()
}

/// The enum word or string of a field.
pub(crate) fn word<'a>(res: &'a Resource, key: &str) -> Option<&'a str> {
    res.get(key).and_then(Value::as_str)
}

/// The boolean of a field.
pub(crate) fn flag(res: &Resource, key: &str) -> Option<bool> {
    match res.get(key) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

/// The VNets a cluster's pools put their nodes in, via each pool's `subnet` reference,
/// each with the subnets the pools use (deduplicated, in program order).
pub(crate) fn cluster_vnets<'a>(program: &'a Program, cluster: &'a Resource) -> Vec<&'a Resource> {
    let mut out: Vec<&Resource> = Vec::new();
    for pool in program.children(&cluster.address) {
        let Some(Value::Ref(sub)) = pool.get("subnet") else {
            continue;
        };
        let Some(vnet) = program
            .resource(sub)
            .and_then(|s| s.parent.as_ref())
            .and_then(|p| program.resource(p))
        else {
            continue;
        };
        if !out.iter().any(|v| v.address == vnet.address) {
            out.push(vnet);
        }
    }
    out
}

#[cfg(test)]
mod tests;
