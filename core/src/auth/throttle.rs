//! Slows down password guessing: too many failures for one key (a client
//! address, a username) within a window block that key until the oldest
//! failure ages out. Kept in memory per process: with several processes an
//! attacker gets at most that many times the budget, which still stops
//! guessing at any useful rate.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Throttle {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Throttle {
            max_failures: max_failures.max(1),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // A poisoned lock only means a panic elsewhere mid-update; the map is
        // still a usable set of timestamps.
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long `key` must wait, if it is blocked now.
    pub fn blocked_for(&self, key: &str, now: Instant) -> Option<Duration> {
        let mut map = self.lock();
        let times = map.get_mut(key)?;
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() < self.max_failures {
            return None;
        }
        let oldest = *times.front()?;
        Some(
            self.window
                .saturating_sub(now.duration_since(oldest))
                .max(Duration::from_secs(1)),
        )
    }

    pub fn record_failure(&self, key: &str, now: Instant) {
        let mut map = self.lock();
        // Forget keys whose failures have all aged out, so memory stays bounded
        // by recent activity.
        if map.len() > 10_000 {
            let window = self.window;
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let times = map.entry(key.to_string()).or_default();
        times.push_back(now);
        while times.len() > self.max_failures {
            times.pop_front();
        }
    }

    pub fn clear(&self, key: &str) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_and_releases_after_the_window() {
        let t = Throttle::new(3, Duration::from_secs(60));
        let start = Instant::now();
        for i in 0..3 {
            assert_eq!(t.blocked_for("user:a", start), None, "attempt {i}");
            t.record_failure("user:a", start + Duration::from_secs(i));
        }
        let wait = t
            .blocked_for("user:a", start + Duration::from_secs(10))
            .unwrap();
        assert_eq!(wait, Duration::from_secs(50));
        assert_eq!(t.blocked_for("user:b", start), None);
        assert_eq!(
            t.blocked_for("user:a", start + Duration::from_secs(61)),
            None
        );
    }

    #[test]
    fn clear_forgets() {
        let t = Throttle::new(1, Duration::from_secs(60));
        let now = Instant::now();
        t.record_failure("k", now);
        assert!(t.blocked_for("k", now).is_some());
        t.clear("k");
        assert!(t.blocked_for("k", now).is_none());
    }
}
