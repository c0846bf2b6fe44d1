//! Request rates: a token bucket per key (a member, an address). A key may
//! spend its burst at once and then earns tokens back at a steady rate;
//! past that it is told how long to wait. In memory per process.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Requests a key may make at once.
    pub burst: f64,
    /// Requests a key earns back per second.
    pub per_second: f64,
}

impl Rate {
    /// No limit worth the name: for benchmarks that measure throughput.
    pub const UNLIMITED: Rate = Rate {
        burst: 1e12,
        per_second: 1e12,
    };
}

/// How often one member, and one address, may ask for the heavy answers:
/// ledgers, sheets, the review queue, rulebook previews, evaluations and
/// exports (docs/api.md, "Rate limits"). A secretary going through a
/// branch's sheets one by one never waits; a script asking again and again
/// is told how long to wait (429) instead of pricing ledgers without end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeavyRates {
    pub per_member: Rate,
    pub per_address: Rate,
}

impl Default for HeavyRates {
    fn default() -> Self {
        HeavyRates {
            // 120 at once, then two a second: a secretary clicking through
            // every sheet of a branch never waits.
            per_member: Rate {
                burst: 120.0,
                per_second: 2.0,
            },
            // A county office behind one address: many secretaries.
            per_address: Rate {
                burst: 600.0,
                per_second: 10.0,
            },
        }
    }
}

impl HeavyRates {
    pub const UNLIMITED: HeavyRates = HeavyRates {
        per_member: Rate::UNLIMITED,
        per_address: Rate::UNLIMITED,
    };
}

/// The heavy answers' limiters, one per member and one per address.
pub struct Heavy {
    by_member: Limiter<String>,
    by_address: Limiter<std::net::IpAddr>,
}

impl Heavy {
    pub fn new(rates: HeavyRates) -> Self {
        Heavy {
            by_member: Limiter::new(rates.per_member),
            by_address: Limiter::new(rates.per_address),
        }
    }

    /// Lets one heavy request in, or says how long to wait. The address is
    /// counted first: a member's many sessions share their address's budget.
    pub fn admit(&self, member_id: &str, address: std::net::IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        self.by_address.take(&address, now)?;
        self.by_member.take(&member_id.to_string(), now)
    }
}

pub struct Limiter<K> {
    rate: Rate,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    pub fn new(rate: Rate) -> Self {
        Limiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`, or answers how long until one is there.
    pub fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        // A poisoned lock only means a panic elsewhere mid-update.
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 100_000 {
            // Full buckets are the same as absent ones.
            let rate = self.rate;
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate.per_second < rate.burst
            });
        }
        let (tokens, at) = buckets.entry(key.clone()).or_insert((self.rate.burst, now));
        let earned = now.duration_since(*at).as_secs_f64() * self.rate.per_second;
        *tokens = (*tokens + earned).min(self.rate.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - *tokens) / self.rate.per_second;
            Err(Duration::from_secs_f64(wait).max(Duration::from_secs(1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_steady_rate() {
        let l = Limiter::new(Rate {
            burst: 3.0,
            per_second: 0.5,
        });
        let t = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.take(&"a", t), Ok(()));
        }
        let wait = l.take(&"a", t).unwrap_err();
        assert_eq!(wait, Duration::from_secs(2));
        assert_eq!(l.take(&"b", t), Ok(()), "keys are apart");
        assert_eq!(l.take(&"a", t + Duration::from_secs(2)), Ok(()));
        assert!(l.take(&"a", t + Duration::from_secs(2)).is_err());
    }

    #[test]
    fn a_phone_polling_every_minute_and_after_each_check_in_never_waits() {
        let l = Limiter::new(crate::sync::SyncConfig::default().rate_per_member);
        let start = Instant::now();
        // A day: a poll a minute, and twenty check-ins in one busy minute.
        for minute in 0..24 * 60u64 {
            let at = start + Duration::from_secs(minute * 60);
            assert_eq!(l.take(&"phone", at), Ok(()));
            if minute == 600 {
                for _ in 0..20 {
                    assert_eq!(l.take(&"phone", at), Ok(()));
                }
            }
        }
    }
}
