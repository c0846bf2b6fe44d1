//! Slowing down password guessing without locking anyone out. Failed
//! sign-ins earn a growing delay, never a ban:
//!
//! - per username and address pair: the first few failures are free, then
//!   each costs twice the wait of the one before, up to a minute;
//! - per address, over every username: the same, after many more failures
//!   (a branch office may share one address). A device the member signed in
//!   from before (its device cookie) is not held back by this one, so a
//!   stranger behind the same address cannot keep the member out.
//!
//! A member who types the right password therefore waits at most a minute,
//! however many wrong guesses came before, and a stranger's guesses from
//! elsewhere cost the member nothing. An attacker gets a few guesses a
//! minute per address. Counters live in memory per process and are
//! forgotten a quarter of an hour after the last failure; where several
//! processes serve one PostgreSQL, each attempt is also counted there
//! (`storage::Logins`), so N processes give no more guesses than one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How failures turn into waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelayRule {
    /// Failures that cost nothing.
    pub free: u32,
    /// The longest wait.
    pub cap: Duration,
}

impl DelayRule {
    /// The wait after `failures` failures: none for the free ones, then
    /// 1 s, 2 s, 4 s, … up to the cap.
    pub fn wait(&self, failures: u32) -> Duration {
        if failures <= self.free {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free - 1).min(16);
        Duration::from_secs(1u64 << doublings).min(self.cap)
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Failures per key, forgotten `window` after the last one.
struct Counter<K> {
    rule: DelayRule,
    window: Duration,
    map: Mutex<HashMap<K, Failures>>,
}

impl<K: std::hash::Hash + Eq + Clone> Counter<K> {
    fn new(rule: DelayRule, window: Duration) -> Self {
        Counter {
            rule,
            window,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<K, Failures>> {
        // A poisoned lock only means a panic elsewhere mid-update; the map
        // is still a usable set of counts.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How much longer `key` must wait before its next attempt.
    fn remaining(&self, key: &K, now: Instant) -> Duration {
        self.remaining_in(&self.map(), key, now)
    }

    fn remaining_in(&self, map: &HashMap<K, Failures>, key: &K, now: Instant) -> Duration {
        let Some(f) = map.get(key) else {
            return Duration::ZERO;
        };
        if now.duration_since(f.last) >= self.window {
            return Duration::ZERO;
        }
        self.rule
            .wait(f.count)
            .saturating_sub(now.duration_since(f.last))
    }

    fn failed(&self, key: &K, now: Instant) {
        self.failed_in(&mut self.map(), key, now);
    }

    fn failed_in(&self, map: &mut HashMap<K, Failures>, key: &K, now: Instant) {
        // Memory stays bounded by recent activity.
        if map.len() > 10_000 {
            let window = self.window;
            map.retain(|_, f| now.duration_since(f.last) < window);
        }
        let entry = map.entry(key.clone()).or_insert(Failures {
            count: 0,
            last: now,
        });
        if now.duration_since(entry.last) >= self.window {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
    }

    fn clear(&self, key: &K) {
        self.map().remove(key);
    }

    /// Takes back one counted attempt (it turned out right).
    fn uncount(&self, key: &K) {
        if let Some(f) = self.map().get_mut(key) {
            f.count = f.count.saturating_sub(1);
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_pair: DelayRule,
    pub per_address: DelayRule,
    /// Failures older than this are forgotten.
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            per_pair: DelayRule {
                free: 3,
                cap: Duration::from_secs(60),
            },
            // One address may be a whole office behind one NAT.
            per_address: DelayRule {
                free: 30,
                cap: Duration::from_secs(60),
            },
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// The sign-in delays of one process.
pub struct LoginDelays {
    pairs: Counter<(String, IpAddr)>,
    addresses: Counter<IpAddr>,
}

impl LoginDelays {
    pub fn new(limits: LoginLimits) -> Self {
        LoginDelays {
            pairs: Counter::new(limits.per_pair, limits.window),
            addresses: Counter::new(limits.per_address, limits.window),
        }
    }

    /// How long a sign-in as `username` from `address` must still wait;
    /// `known_device`: the request comes from a device the member signed in
    /// from before.
    pub fn wait(
        &self,
        username: &str,
        address: IpAddr,
        known_device: bool,
        now: Instant,
    ) -> Duration {
        let pair = self.pairs.remaining(&(username.to_string(), address), now);
        let by_address = if known_device {
            Duration::ZERO
        } else {
            self.addresses.remaining(&address, now)
        };
        pair.max(by_address)
    }

    pub fn failed(&self, username: &str, address: IpAddr, now: Instant) {
        self.pairs.failed(&(username.to_string(), address), now);
        self.addresses.failed(&address, now);
    }

    /// Lets an attempt through, counted as a failure before its password is
    /// checked, or answers how long it must still wait. The check and the
    /// count are one step under both counters' locks, so N concurrent
    /// guesses are N counted attempts and only the free ones get a
    /// password check; [`succeeded`](Self::succeeded) takes a right one back.
    pub fn begin(
        &self,
        username: &str,
        address: IpAddr,
        known_device: bool,
        now: Instant,
    ) -> Result<(), Duration> {
        let pair = (username.to_string(), address);
        // Always pairs, then addresses: one order, no deadlock.
        let mut pairs = self.pairs.map();
        let mut addresses = self.addresses.map();
        let by_pair = self.pairs.remaining_in(&pairs, &pair, now);
        let by_address = if known_device {
            Duration::ZERO
        } else {
            self.addresses.remaining_in(&addresses, &address, now)
        };
        let wait = by_pair.max(by_address);
        if !wait.is_zero() {
            return Err(wait);
        }
        self.pairs.failed_in(&mut pairs, &pair, now);
        self.addresses.failed_in(&mut addresses, &address, now);
        Ok(())
    }

    /// The keys this attempt counts on in a shared store
    /// (`storage::Logins`): the pair's, then the address's.
    pub fn shared_keys(username: &str, address: IpAddr) -> [String; 2] {
        [
            format!("pair:{username}|{address}"),
            format!("addr:{address}"),
        ]
    }

    /// The wait the shared counts still ask of this attempt, as `begin`
    /// asks of its own: the longer of the pair's and (unless from a known
    /// device) the address's, counting from each key's last attempt. Times
    /// in Unix milliseconds.
    pub fn shared_wait(
        &self,
        seen: &crate::storage::Attempts,
        keys: &[String; 2],
        known_device: bool,
        now: i64,
    ) -> Duration {
        let remaining = |counter_rule: DelayRule, window: Duration, key: &String| {
            let Some(&(count, last)) = seen.get(key) else {
                return Duration::ZERO;
            };
            let since = Duration::from_millis(u64::try_from(now - last).unwrap_or(0));
            if since >= window {
                return Duration::ZERO;
            }
            counter_rule.wait(count).saturating_sub(since)
        };
        let pair = remaining(self.pairs.rule, self.pairs.window, &keys[0]);
        let by_address = match known_device {
            true => Duration::ZERO,
            false => remaining(self.addresses.rule, self.addresses.window, &keys[1]),
        };
        pair.max(by_address)
    }

    /// How long counts are kept.
    pub fn window(&self) -> Duration {
        self.pairs.window
    }

    /// A right password clears its pair and takes back the address's count
    /// of this attempt; the address keeps its earlier failures, so an
    /// attacker cannot reset it by signing in to an account of their own.
    pub fn succeeded(&self, username: &str, address: IpAddr) {
        self.pairs.clear(&(username.to_string(), address));
        self.addresses.uncount(&address);
    }
}

/// Failed checks of one's current password (changing it), per member: the
/// same growing delay, so a stolen session cannot test passwords quickly.
pub struct PasswordChecks {
    members: Counter<String>,
}

impl PasswordChecks {
    pub fn new(rule: DelayRule, window: Duration) -> Self {
        PasswordChecks {
            members: Counter::new(rule, window),
        }
    }

    pub fn wait(&self, member_id: &str, now: Instant) -> Duration {
        self.members.remaining(&member_id.to_string(), now)
    }

    pub fn failed(&self, member_id: &str, now: Instant) {
        self.members.failed(&member_id.to_string(), now);
    }

    pub fn succeeded(&self, member_id: &str) {
        self.members.clear(&member_id.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(n: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, n])
    }

    #[test]
    fn waits_grow_from_one_second_and_stop_at_the_cap() {
        let rule = DelayRule {
            free: 3,
            cap: Duration::from_secs(60),
        };
        let waits: Vec<u64> = (0..=12).map(|n| rule.wait(n).as_secs()).collect();
        assert_eq!(waits, [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(rule.wait(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn a_stranger_elsewhere_costs_the_member_nothing() {
        let d = LoginDelays::new(LoginLimits::default());
        let now = Instant::now();
        for _ in 0..1000 {
            d.failed("member02", addr(9), now);
        }
        assert_eq!(
            d.wait("member02", addr(9), false, now),
            Duration::from_secs(60)
        );
        assert_eq!(d.wait("member02", addr(1), false, now), Duration::ZERO);
    }

    #[test]
    fn the_right_password_waits_at_most_a_minute() {
        let d = LoginDelays::new(LoginLimits::default());
        let start = Instant::now();
        for _ in 0..500 {
            d.failed("member02", addr(1), start);
        }
        assert!(d.wait("member02", addr(1), false, start) <= Duration::from_secs(60));
        let later = start + Duration::from_secs(60);
        assert_eq!(d.wait("member02", addr(1), false, later), Duration::ZERO);
    }

    #[test]
    fn concurrent_guesses_are_counted_before_any_is_checked() {
        let d = LoginDelays::new(LoginLimits::default());
        let now = Instant::now();
        // Forty guesses at once, none of them checked yet: only the free
        // ones and the first past them get through.
        let through = (0..40)
            .filter(|_| d.begin("member02", addr(1), false, now).is_ok())
            .count();
        assert_eq!(through, 4);
        assert!(d.begin("member02", addr(1), false, now).unwrap_err() >= Duration::from_secs(1));
        // A right password after a wrong one: the address's count of it is
        // taken back, the earlier one stays.
        let e = LoginDelays::new(LoginLimits::default());
        e.begin("a", addr(2), false, now).unwrap();
        e.begin("b", addr(2), false, now).unwrap();
        e.succeeded("b", addr(2));
        assert_eq!(e.addresses.map()[&addr(2)].count, 1);
    }

    #[test]
    fn a_known_device_is_not_held_back_by_its_address() {
        let d = LoginDelays::new(LoginLimits::default());
        let now = Instant::now();
        // A stranger behind the office's address tries many accounts.
        for n in 0..100 {
            d.failed(&format!("user{n}"), addr(5), now);
        }
        assert!(d.wait("member02", addr(5), false, now) > Duration::ZERO);
        assert_eq!(d.wait("member02", addr(5), true, now), Duration::ZERO);
    }

    #[test]
    fn failures_are_forgotten_after_the_window_and_success_clears_the_pair() {
        let d = LoginDelays::new(LoginLimits::default());
        let now = Instant::now();
        for _ in 0..8 {
            d.failed("a", addr(1), now);
        }
        assert!(d.wait("a", addr(1), false, now) > Duration::ZERO);
        d.succeeded("a", addr(1));
        assert_eq!(d.wait("a", addr(1), false, now), Duration::ZERO);
        for _ in 0..8 {
            d.failed("b", addr(1), now);
        }
        let after = now + Duration::from_secs(15 * 60);
        assert_eq!(d.wait("b", addr(1), false, after), Duration::ZERO);
    }
}
