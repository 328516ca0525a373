//! ARM's per-subscription token buckets (reads 250 + 25/s, writes 200 + 10/s, deletes
//! 200 + 10/s; source: learn.microsoft.com .../request-limits-and-throttling), and the AKS
//! resource provider's own buckets behind them ([`AksClass`]).

use std::collections::HashMap;
use std::time::Instant;

/// Which bucket a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpClass {
    Read,
    Write,
    Delete,
}

impl OpClass {
    pub fn header(self) -> &'static str {
        match self {
            OpClass::Read => "x-ms-ratelimit-remaining-subscription-reads",
            OpClass::Write => "x-ms-ratelimit-remaining-subscription-writes",
            OpClass::Delete => "x-ms-ratelimit-remaining-subscription-deletes",
        }
    }
    fn sizes(self) -> (f64, f64) {
        match self {
            OpClass::Read => (250.0, 25.0),
            OpClass::Write => (200.0, 10.0),
            OpClass::Delete => (200.0, 10.0),
        }
    }
}

/// The AKS resource provider's own token buckets, separate from ARM's and checked after
/// them (source: "Throttling limits on AKS resource provider APIs",
/// https://learn.microsoft.com/en-us/azure/aks/quotas-skus-regions#throttling-limits-on-aks-resource-provider-apis):
/// LIST 500 requests refilled 1/s per subscription; PUT 20 requests refilled 1/minute for
/// ManagedClusters and, counted separately for the same managed cluster, for AgentPools.
/// A throttled request gets 429 `Throttled` with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AksClass {
    /// PUT of a managedCluster (bucket per cluster).
    PutCluster,
    /// PUT of an agentPool (bucket per cluster, shared by its pools).
    PutAgentPool,
    /// GET of a managedClusters or agentPools list (bucket per subscription).
    List,
}

impl AksClass {
    /// (bucket size, refill per second) at scale 1.
    fn sizes(self) -> (f64, f64) {
        match self {
            AksClass::PutCluster | AksClass::PutAgentPool => (20.0, 1.0 / 60.0),
            AksClass::List => (500.0, 1.0),
        }
    }

    /// The request handler AKS names in its throttling message. `PutManagedClusterHandler.PUT`
    /// is the message of the AKS troubleshooting article (learn.microsoft.com
    /// .../azure-kubernetes/error-codes/throttled-error); the other two are by analogy
    /// (unconfirmed).
    pub fn handler(self) -> &'static str {
        match self {
            AksClass::PutCluster => "PutManagedClusterHandler.PUT",
            AksClass::PutAgentPool => "PutAgentPoolHandler.PUT",
            AksClass::List => "ListManagedClustersHandler.GET",
        }
    }
}

/// Which bucket family a key belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Arm(String, OpClass),
    Aks(String, AksClass),
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// ARM buckets per (subscription, class) and AKS buckets per (cluster or subscription,
/// class).
pub struct Throttle {
    enabled: bool,
    scale: f64,
    buckets: HashMap<Key, Bucket>,
}

/// Result of taking a token.
pub enum Take {
    /// Allowed; tokens remaining (floored).
    Ok(u64),
    /// Throttled; seconds until a token is available (at least 1).
    Throttled(u64),
}

impl Throttle {
    pub fn new(enabled: bool, scale: f64) -> Self {
        Throttle {
            enabled,
            scale,
            buckets: HashMap::new(),
        }
    }

    /// Takes a token from ARM's `class` bucket of subscription `sub`.
    pub fn take(&mut self, sub: &str, class: OpClass) -> Take {
        self.take_from(Key::Arm(sub.to_string(), class), class.sizes())
    }

    /// Takes a token from the AKS `class` bucket of `key` (lower-cased cluster ID for PUTs,
    /// subscription for lists). Sizes and refill rates are multiplied by the same scale as
    /// ARM's.
    pub fn take_aks(&mut self, key: &str, class: AksClass) -> Take {
        self.take_from(Key::Aks(key.to_string(), class), class.sizes())
    }

    fn take_from(&mut self, key: Key, (size, refill): (f64, f64)) -> Take {
        let (size, refill) = (size * self.scale, refill * self.scale);
        let now = Instant::now();
        let b = self.buckets.entry(key).or_insert(Bucket {
            tokens: size,
            at: now,
        });
        let elapsed = now.duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * refill).min(size);
        b.at = now;
        if !self.enabled {
            return Take::Ok(b.tokens.floor() as u64);
        }
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Take::Ok(b.tokens.floor() as u64)
        } else {
            let wait = if refill > 0.0 {
                ((1.0 - b.tokens) / refill).ceil()
            } else {
                60.0
            };
            Take::Throttled((wait as u64).max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(t: &mut Throttle, key: &str, c: AksClass) -> (usize, u64) {
        let mut ok = 0;
        loop {
            match t.take_aks(key, c) {
                Take::Ok(_) => ok += 1,
                Take::Throttled(wait) => return (ok, wait),
            }
        }
    }

    #[test]
    fn aks_buckets_have_the_documented_sizes_and_are_separate() {
        let mut t = Throttle::new(true, 1.0);
        // PUT: 20 per cluster, refill 1/minute → the 21st waits up to a minute.
        let (ok, wait) = drain(&mut t, "/c1", AksClass::PutCluster);
        assert_eq!(ok, 20);
        assert!((59..=60).contains(&wait), "{wait}");
        // Pools of the same cluster: their own bucket; another cluster: its own.
        assert_eq!(drain(&mut t, "/c1", AksClass::PutAgentPool).0, 20);
        assert_eq!(drain(&mut t, "/c2", AksClass::PutCluster).0, 20);
        // LIST: 500 per subscription, refill 1/s.
        let (ok, wait) = drain(&mut t, "sub", AksClass::List);
        assert_eq!((ok, wait), (500, 1));
        // ARM's buckets are not touched by AKS's.
        assert!(matches!(t.take("sub", OpClass::Write), Take::Ok(199)));
    }

    #[test]
    fn aks_buckets_scale_like_arms() {
        let mut t = Throttle::new(true, 0.1);
        let (ok, wait) = drain(&mut t, "/c", AksClass::PutCluster);
        assert_eq!(ok, 2);
        assert!((599..=600).contains(&wait), "{wait}");
        let mut off = Throttle::new(false, 0.1);
        for _ in 0..10 {
            assert!(matches!(
                off.take_aks("/c", AksClass::PutCluster),
                Take::Ok(_)
            ));
        }
    }
}
