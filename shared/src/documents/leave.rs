//! When a member may ask leave for an event: the one rule the phone's form
//! and the server's gate both apply, so a request the phone saves is one
//! the server takes.

use super::schema::EventEntry;
use chrono::{DateTime, FixedOffset};

/// Why a leave request for `event`, asked at `asked_at`, is refused; `None`
/// when it stands. `checked_in`: the member has checked in to the event.
pub fn refusal(
    event: &EventEntry,
    asked_at: DateTime<FixedOffset>,
    checked_in: bool,
) -> Option<&'static str> {
    if event.cancelled {
        Some("活动已取消，无需请假")
    } else if checked_in {
        Some("您已签到此活动，不能再请假")
    } else if asked_at >= event.start {
        Some("活动已开始，不能再请假，请向书记或组织委员说明")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Kind;

    fn event(start: &str) -> EventEntry {
        EventEntry {
            event_id: "e1".into(),
            kind: Kind::ThemeDay,
            title: "主题党日".into(),
            start: DateTime::parse_from_rfc3339(start).expect("time"),
            end: None,
            place: None,
            geofence: None,
            code_key: None,
            group_id: None,
            cancelled: false,
            cancelled_by: None,
            cancelled_at: None,
        }
    }

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("time")
    }

    #[test]
    fn leave_is_asked_before_the_start_and_never_after_a_check_in() {
        let e = event("2026-03-15T09:00:00+08:00");
        assert_eq!(refusal(&e, at("2026-03-14T20:00:00+08:00"), false), None);
        assert!(refusal(&e, at("2026-03-15T09:00:00+08:00"), false)
            .is_some_and(|m| m.contains("已开始")));
        assert!(refusal(&e, at("2026-03-14T20:00:00+08:00"), true)
            .is_some_and(|m| m.contains("已签到")));
        let cancelled = EventEntry {
            cancelled: true,
            ..e
        };
        assert!(refusal(&cancelled, at("2026-03-14T20:00:00+08:00"), false)
            .is_some_and(|m| m.contains("取消")));
    }
}
