//! Client-side request budget: ARM's token buckets, mirrored so capz stays under them.
//!
//! ARM throttles per principal and subscription with token buckets (throttling section of
//! arm-specs/README.md, from
//! <https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling>):
//! reads 250 then 25/s, writes 200 then 10/s, deletes 200 then 10/s. Every request takes a
//! token of its class first (waiting for the refill when the bucket is empty), so a plan
//! reads as fast as ARM allows and an apply starts as many writes as ARM accepts, without
//! a fixed concurrency number. ARM's answers correct the mirror: each
//! `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}` header lowers the bucket
//! to what ARM says is left (other clients of the same principal spend it too), and a 429
//! pauses every request of the client for its `Retry-After`.

use reqwest::Method;
use reqwest::header::HeaderMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Which bucket a request draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// GET, HEAD (including long-running-operation polls).
    Read,
    /// PUT, PATCH, POST.
    Write,
    /// DELETE.
    Delete,
}

impl Class {
    /// The class of an HTTP method.
    pub fn of(method: &Method) -> Class {
        if method == Method::GET || method == Method::HEAD {
            Class::Read
        } else if method == Method::DELETE {
            Class::Delete
        } else {
            Class::Write
        }
    }

    /// The remaining-quota header ARM sends for this class.
    pub fn header(self) -> &'static str {
        match self {
            Class::Read => "x-ms-ratelimit-remaining-subscription-reads",
            Class::Write => "x-ms-ratelimit-remaining-subscription-writes",
            Class::Delete => "x-ms-ratelimit-remaining-subscription-deletes",
        }
    }
}

/// Size and refill of one bucket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limit {
    /// Tokens when full (the burst).
    pub capacity: f64,
    /// Tokens added per second.
    pub refill_per_sec: f64,
}

/// The three limits of a client.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Reads.
    pub reads: Limit,
    /// Writes.
    pub writes: Limit,
    /// Deletes.
    pub deletes: Limit,
}

impl Limits {
    /// ARM's per-principal, per-subscription buckets: reads 250 + 25/s, writes 200 + 10/s,
    /// deletes 200 + 10/s.
    pub fn arm() -> Limits {
        Limits {
            reads: Limit {
                capacity: 250.0,
                refill_per_sec: 25.0,
            },
            writes: Limit {
                capacity: 200.0,
                refill_per_sec: 10.0,
            },
            deletes: Limit {
                capacity: 200.0,
                refill_per_sec: 10.0,
            },
        }
    }
}

#[derive(Debug)]
struct Bucket {
    limit: Limit,
    tokens: f64,
}

impl Bucket {
    fn new(limit: Limit) -> Self {
        Bucket {
            limit,
            tokens: limit.capacity,
        }
    }

    fn refill(&mut self, secs: f64) {
        self.tokens = (self.tokens + secs * self.limit.refill_per_sec).min(self.limit.capacity);
    }
}

#[derive(Debug)]
struct State {
    reads: Bucket,
    writes: Bucket,
    deletes: Bucket,
    last: Instant,
    paused_until: Option<Instant>,
}

impl State {
    fn bucket(&mut self, c: Class) -> &mut Bucket {
        match c {
            Class::Read => &mut self.reads,
            Class::Write => &mut self.writes,
            Class::Delete => &mut self.deletes,
        }
    }

    fn refill(&mut self, now: Instant) {
        let secs = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        for b in [&mut self.reads, &mut self.writes, &mut self.deletes] {
            b.refill(secs);
        }
    }
}

/// The budget shared by all clones of one client.
#[derive(Debug)]
pub struct Budget {
    state: Mutex<State>,
}

impl Budget {
    /// A full budget with these limits.
    pub fn new(limits: Limits) -> Budget {
        Budget {
            state: Mutex::new(State {
                reads: Bucket::new(limits.reads),
                writes: Bucket::new(limits.writes),
                deletes: Bucket::new(limits.deletes),
                last: Instant::now(),
                paused_until: None,
            }),
        }
    }

    /// Take one token of class `c`, waiting for the refill (or the end of a 429 pause)
    /// when none is left.
    pub async fn acquire(&self, c: Class) {
        loop {
            let wait = {
                let Ok(mut s) = self.state.lock() else {
                    return;
                };
                let now = Instant::now();
                s.refill(now);
                match s.paused_until {
                    Some(t) if t > now => Some(t - now),
                    _ => {
                        s.paused_until = None;
                        let b = s.bucket(c);
                        if b.tokens >= 1.0 {
                            b.tokens -= 1.0;
                            None
                        } else {
                            let rate = b.limit.refill_per_sec.max(0.001);
                            Some(Duration::from_secs_f64(((1.0 - b.tokens) / rate).min(60.0)))
                        }
                    }
                }
            };
            match wait {
                None => return,
                Some(d) => tokio::time::sleep(d.max(Duration::from_millis(1))).await,
            }
        }
    }

    /// Learn from an answer to a request of class `c`: lower the bucket to ARM's
    /// remaining count when the header says less than the mirror holds.
    pub fn observe(&self, c: Class, headers: &HeaderMap) {
        let remaining = headers
            .get(c.header())
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0);
        if let (Some(r), Ok(mut s)) = (remaining, self.state.lock()) {
            s.refill(Instant::now());
            let b = s.bucket(c);
            if r < b.tokens {
                b.tokens = r;
            }
        }
    }

    /// A 429 arrived: no request of this client starts for `wait`.
    pub fn pause(&self, wait: Duration) {
        if let Ok(mut s) = self.state.lock() {
            let until = Instant::now() + wait;
            if s.paused_until.is_none_or(|t| t < until) {
                s.paused_until = Some(until);
            }
        }
    }

    /// Tokens left now in the bucket of `c` (for tests and progress).
    pub fn available(&self, c: Class) -> f64 {
        match self.state.lock() {
            Ok(mut s) => {
                s.refill(Instant::now());
                s.bucket(c).tokens
            }
            Err(_) => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Limits {
        let l = Limit {
            capacity: 2.0,
            refill_per_sec: 20.0,
        };
        Limits {
            reads: l,
            writes: l,
            deletes: l,
        }
    }

    #[tokio::test]
    async fn burst_then_refill_rate() {
        let b = Budget::new(tiny());
        let t = Instant::now();
        for _ in 0..6 {
            b.acquire(Class::Write).await;
        }
        // 2 from the burst, 4 refilled at 20/s: about 200 ms.
        let e = t.elapsed();
        assert!(e >= Duration::from_millis(150), "{e:?}");
        assert!(e < Duration::from_millis(1000), "{e:?}");
        // Reads have their own bucket, still full.
        assert!(b.available(Class::Read) >= 1.9);
    }

    #[tokio::test]
    async fn headers_lower_the_bucket_and_429_pauses() {
        let b = Budget::new(Limits::arm());
        let mut h = HeaderMap::new();
        h.insert(Class::Write.header(), "3".parse().unwrap());
        b.observe(Class::Write, &h);
        assert!(b.available(Class::Write) < 4.0);
        // A header saying more than the mirror holds does not raise it.
        h.insert(Class::Write.header(), "199".parse().unwrap());
        b.observe(Class::Write, &h);
        assert!(b.available(Class::Write) < 5.0);
        b.pause(Duration::from_millis(120));
        let t = Instant::now();
        b.acquire(Class::Read).await;
        assert!(t.elapsed() >= Duration::from_millis(100));
        assert_eq!(Class::of(&Method::DELETE), Class::Delete);
        assert_eq!(Class::of(&Method::PATCH), Class::Write);
    }
}
