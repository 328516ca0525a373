//! ARM's per-subscription token buckets (reads 250 + 25/s, writes 200 + 10/s, deletes
//! 200 + 10/s; source: learn.microsoft.com .../request-limits-and-throttling).

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

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets per (subscription, class).
pub struct Throttle {
    enabled: bool,
    scale: f64,
    buckets: HashMap<(String, OpClass), Bucket>,
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

    pub fn take(&mut self, sub: &str, class: OpClass) -> Take {
        let (size, refill) = class.sizes();
        let (size, refill) = (size * self.scale, refill * self.scale);
        let now = Instant::now();
        let b = self
            .buckets
            .entry((sub.to_string(), class))
            .or_insert(Bucket {
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
