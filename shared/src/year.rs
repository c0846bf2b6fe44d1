//! Which year a request means. Documents and ledgers are kept per year, and
//! the day a record falls on is decided in China time, where every branch is.

use chrono::{DateTime, Datelike, Duration, Utc};

pub use crate::documents::id::YEARS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("年份无效：应在 {} 至 {} 之间", YEARS.start(), YEARS.end())]
pub struct YearError;

/// The year at `now` in China (UTC+8 all year round).
pub fn current(now: DateTime<Utc>) -> i32 {
    (now + Duration::hours(8)).year()
}

/// The year a request asked for, checked, or the current one.
pub fn requested(year: Option<i32>, now: DateTime<Utc>) -> Result<i32, YearError> {
    match year {
        Some(y) if YEARS.contains(&y) => Ok(y),
        Some(_) => Err(YearError),
        None => Ok(current(now)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_year_turns_at_midnight_in_china() {
        let before = Utc.with_ymd_and_hms(2026, 12, 31, 15, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap();
        assert_eq!(current(before), 2026);
        assert_eq!(current(after), 2027);
    }

    #[test]
    fn a_requested_year_is_checked() {
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        assert_eq!(requested(None, now), Ok(2026));
        assert_eq!(requested(Some(2025), now), Ok(2025));
        assert_eq!(requested(Some(1999), now), Err(YearError));
        assert_eq!(requested(Some(2101), now), Err(YearError));
    }
}
