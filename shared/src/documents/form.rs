//! What a member types into the check-in and leave forms, parsed once into a
//! record, with errors in Chinese that name the field. The same rules as the
//! server's schema, checked before anything is saved on the phone.

use super::edit::NewRecord;
use super::schema::{EventEntry, LEAVE, MAX_HOURS, MAX_TEXT};
use crate::event_code::CodeKey;
use crate::geofence::{distance_label, valid_position};
use crate::ledger::Kind;
use chrono::{DateTime, Datelike, Duration, FixedOffset, TimeZone};
use std::str::FromStr;

/// The free check-ins a member may record without an event.
pub const FREE_KINDS: [Kind; 4] = [Kind::Volunteer, Kind::Visit, Kind::Study, Kind::Talk];

/// The value of the 类型 choice for an event.
pub fn event_choice(event_id: &str) -> String {
    format!("event:{event_id}")
}

/// The form as typed: every field a string, as the inputs hold them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckinForm {
    /// A kind code (`volunteer`) or `event:<id>`.
    pub choice: String,
    /// `YYYY-MM-DDTHH:MM` from a datetime-local input; empty means now.
    pub when: String,
    pub hours: String,
    pub place: String,
    pub note: String,
    pub code: String,
    /// (lat, lon), when the member asked the phone for it.
    pub position: Option<(f64, f64)>,
}

/// The leave form: which event, and why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeaveForm {
    pub event_id: String,
    pub reason: String,
}

/// One field that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FormError {
    /// The field's name in the form: `choice`, `when`, `hours`, `note`, `code`...
    pub field: &'static str,
    pub message: String,
}

fn wrong(field: &'static str, message: impl Into<String>) -> FormError {
    FormError {
        field,
        message: message.into(),
    }
}

fn optional(text: &str, field: &'static str, label: &str) -> Result<Option<String>, FormError> {
    let text = text.trim();
    if text.chars().count() > MAX_TEXT {
        return Err(wrong(field, format!("{label}不能超过 {MAX_TEXT} 字")));
    }
    Ok((!text.is_empty()).then(|| text.to_string()))
}

/// Volunteering hours as the member typed them, checked as the schema
/// checks them (more than 0, at most `MAX_HOURS`): for a new check-in and
/// for a correction alike.
pub fn parse_hours(text: &str) -> Result<f64, FormError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(wrong("hours", "请填写志愿服务时长"));
    }
    let hours =
        crate::decimal::parse(text).ok_or_else(|| wrong("hours", "时长应为数字，如 1.5"))?;
    if !(hours > 0.0 && hours <= MAX_HOURS) {
        return Err(wrong(
            "hours",
            format!(
                "时长应大于 0 且不超过 {} 小时",
                crate::decimal::short(MAX_HOURS, 2)
            ),
        ));
    }
    Ok(hours)
}

/// A check-in may be up to a few minutes ahead of the phone's clock, never
/// days: a date in the future is a typo.
const FUTURE_SLACK_MINUTES: i64 = 10;

fn parse_when(
    when: &str,
    now: DateTime<FixedOffset>,
    year: i32,
) -> Result<DateTime<FixedOffset>, FormError> {
    let at = if when.trim().is_empty() {
        now
    } else {
        let naive = crate::time_text::parse_local_minute(when.trim())
            .ok_or_else(|| wrong("when", "时间格式不对"))?;
        now.timezone()
            .from_local_datetime(&naive)
            .single()
            .ok_or_else(|| wrong("when", "时间格式不对"))?
    };
    // A date ahead is refused as such, whatever its year: "not in 2026"
    // would puzzle someone who typed next year by mistake.
    if at > now + Duration::minutes(FUTURE_SLACK_MINUTES) {
        return Err(wrong("when", "时间不能晚于现在"));
    }
    if at.year() != year {
        return Err(wrong("when", format!("时间须在 {year} 年内")));
    }
    Ok(at)
}

impl CheckinForm {
    /// The record to save, or the first field that is wrong. `now` carries
    /// the member's time zone; `year` is the document's.
    /// `checked_in`: the events the member has a check-in for already (one
    /// check-in an event: a double tap makes no second).
    pub fn parse(
        &self,
        now: DateTime<FixedOffset>,
        year: i32,
        events: &[EventEntry],
        checked_in: &[&str],
    ) -> Result<NewRecord, FormError> {
        let occurred_at = parse_when(&self.when, now, year)?;
        let note = optional(&self.note, "note", "备注")?;
        let place = optional(&self.place, "place", "地点")?;
        let (lat, lon) = match self.position {
            Some((lat, lon)) if valid_position(lat, lon) => (Some(lat), Some(lon)),
            Some(_) => return Err(wrong("place", "位置无效")),
            None => (None, None),
        };
        if let Some(event_id) = self.choice.strip_prefix("event:") {
            let event = events
                .iter()
                .find(|e| e.event_id == event_id)
                .ok_or_else(|| wrong("choice", "活动不存在或已取消"))?;
            if checked_in.contains(&event_id) {
                return Err(wrong("choice", "您已签到过这次活动，无需重复签到"));
            }
            if let (Some(fence), Some((lat, lon))) = (&event.geofence, self.position) {
                let away = fence.distance_m(lat, lon);
                if away > fence.radius_m {
                    return Err(wrong(
                        "place",
                        format!(
                            "当前位置距活动地点约 {}，超出签到范围（{}）。请到活动地点后重新定位，或移除位置后签到，由书记审核",
                            distance_label(away),
                            distance_label(fence.radius_m)
                        ),
                    ));
                }
            }
            let code = self.code.trim();
            let code = match (&event.code_key, code.is_empty()) {
                (_, true) => None,
                (None, false) => return Err(wrong("code", "此活动没有签到码")),
                (Some(key), false) => {
                    let key = CodeKey::parse(key).map_err(|e| wrong("code", e.to_string()))?;
                    key.verify(event_id, code, occurred_at)
                        .map_err(|e| wrong("code", e.to_string()))?;
                    Some(code.to_ascii_uppercase())
                }
            };
            return Ok(NewRecord {
                kind: event.kind.as_str().to_string(),
                occurred_at: Some(occurred_at),
                event_id: Some(event.event_id.clone()),
                place: place.or_else(|| event.place.clone()),
                lat,
                lon,
                note,
                code,
                ..Default::default()
            });
        }
        let kind = Kind::from_str(&self.choice)
            .ok()
            .filter(|k| FREE_KINDS.contains(k))
            .ok_or_else(|| wrong("choice", "请选择类型"))?;
        let hours = if kind == Kind::Volunteer {
            Some(parse_hours(&self.hours)?)
        } else {
            None
        };
        Ok(NewRecord {
            kind: kind.as_str().to_string(),
            occurred_at: Some(occurred_at),
            hours,
            place,
            lat,
            lon,
            note,
            ..Default::default()
        })
    }
}

impl LeaveForm {
    /// A leave request for an event that has not started yet, and that the
    /// member has not checked in to (`checked_in`: the events they have).
    pub fn parse(
        &self,
        now: DateTime<FixedOffset>,
        events: &[EventEntry],
        checked_in: &[&str],
    ) -> Result<NewRecord, FormError> {
        let event = events
            .iter()
            .find(|e| e.event_id == self.event_id)
            .ok_or_else(|| wrong("event", "请选择要请假的活动"))?;
        let attended = checked_in.contains(&event.event_id.as_str());
        if let Some(message) = super::leave::refusal(event, now, attended) {
            return Err(wrong("event", message));
        }
        let reason = optional(&self.reason, "reason", "请假事由")?
            .ok_or_else(|| wrong("reason", "请填写请假事由"))?;
        Ok(NewRecord {
            kind: LEAVE.to_string(),
            occurred_at: Some(now),
            event_id: Some(event.event_id.clone()),
            note: Some(reason),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_code::CodeKey;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("time")
    }

    fn theme_day(code_key: Option<String>) -> EventEntry {
        EventEntry {
            event_id: "ev-1".into(),
            kind: Kind::ThemeDay,
            title: "主题党日".into(),
            start: at("2026-11-23T09:00:00+08:00"),
            end: Some(at("2026-11-23T11:00:00+08:00")),
            place: Some("党员活动室".into()),
            geofence: None,
            code_key,
            group_id: None,
            cancelled: false,
            cancelled_by: None,
            cancelled_at: None,
        }
    }

    #[test]
    fn hours_are_read_and_bounded_in_one_place() {
        let message = |text: &str| parse_hours(text).map_err(|e| e.message);
        assert_eq!(message(" 1.5 "), Ok(1.5));
        assert_eq!(message("24"), Ok(24.0));
        assert_eq!(message("").unwrap_err(), "请填写志愿服务时长");
        assert_eq!(message("abc").unwrap_err(), "时长应为数字，如 1.5");
        assert_eq!(message("1e1").unwrap_err(), "时长应为数字，如 1.5");
        for out in ["0", "24.5"] {
            assert_eq!(message(out).unwrap_err(), "时长应大于 0 且不超过 24 小时");
        }
    }

    #[test]
    fn volunteering_needs_sensible_hours_and_a_time_in_the_year() {
        let now = at("2026-11-23T10:00:00+08:00");
        let form = |hours: &str, when: &str| CheckinForm {
            choice: "volunteer".into(),
            hours: hours.into(),
            when: when.into(),
            ..Default::default()
        };
        let err = |f: CheckinForm| f.parse(now, 2026, &[], &[]).expect_err("refused");
        assert_eq!(err(form("", "")).field, "hours");
        assert_eq!(err(form("abc", "")).field, "hours");
        assert_eq!(err(form("-1", "")).field, "hours");
        assert_eq!(err(form("25", "")).field, "hours");
        assert_eq!(
            err(form("2", "2025-12-31T10:00")).message,
            "时间须在 2026 年内"
        );
        assert_eq!(
            err(form("2", "2026-11-25T10:00")).message,
            "时间不能晚于现在"
        );
        // Next year is in the future first of all.
        assert_eq!(
            err(form("2", "2027-01-05T10:00")).message,
            "时间不能晚于现在"
        );
        // As a Chinese keyboard types it.
        let typed = form("１．５", "").parse(now, 2026, &[], &[]);
        assert_eq!(typed.expect("full-width hours").hours, Some(1.5));
        assert_eq!(err(CheckinForm::default()).field, "choice");
        assert_eq!(
            err(CheckinForm {
                choice: "dues_unpaid".into(),
                ..Default::default()
            })
            .field,
            "choice"
        );
        let ok = form(" 1.5 ", "2026-11-20T08:30")
            .parse(now, 2026, &[], &[])
            .expect("valid");
        assert_eq!(ok.hours, Some(1.5));
        assert_eq!(ok.occurred_at, Some(at("2026-11-20T08:30:00+08:00")));
        assert_eq!(ok.kind, "volunteer");
    }

    #[test]
    fn an_event_check_in_takes_the_events_kind_and_checks_its_code() {
        let now = at("2026-11-23T09:30:00+08:00");
        let seed = 42;
        let key = CodeKey::new(
            "ev-1",
            seed,
            at("2026-11-23T08:30:00+08:00"),
            at("2026-11-23T11:00:00+08:00"),
        );
        let events = [theme_day(Some(key.encode()))];
        let right = key.code_at("ev-1", seed, now).expect("code");
        let form = |code: &str| CheckinForm {
            choice: event_choice("ev-1"),
            code: code.into(),
            ..Default::default()
        };
        let rec = form(&right)
            .parse(now, 2026, &events, &[])
            .expect("verified");
        assert_eq!(rec.kind, "theme_day");
        // A second tap, or a second visit: one check-in an event.
        let again = form(&right)
            .parse(now, 2026, &events, &["ev-1"])
            .expect_err("one check-in an event");
        assert_eq!(
            (again.field, again.message.as_str()),
            ("choice", "您已签到过这次活动，无需重复签到")
        );
        assert_eq!(rec.code.as_deref(), Some(right.as_str()));
        assert_eq!(rec.place.as_deref(), Some("党员活动室"));
        let wrong_code = form("ABCDE-FGHJK")
            .parse(now, 2026, &events, &[])
            .expect_err("refused");
        assert_eq!(
            (wrong_code.field, wrong_code.message.as_str()),
            ("code", "签到码不正确")
        );
        assert_eq!(
            form("")
                .parse(now, 2026, &events, &[])
                .expect("unverified")
                .code,
            None
        );
    }

    #[test]
    fn a_position_outside_the_events_fence_is_refused_and_none_is_fine() {
        let now = at("2026-11-23T09:30:00+08:00");
        let mut event = theme_day(None);
        event.geofence = Some(crate::geofence::Geofence::new(30.0, 120.0, 200.0).expect("fence"));
        let events = [event];
        let form = |position| CheckinForm {
            choice: event_choice("ev-1"),
            position,
            ..Default::default()
        };
        let inside = form(Some((30.001, 120.0001)))
            .parse(now, 2026, &events, &[])
            .expect("inside the fence");
        assert_eq!((inside.lat, inside.lon), (Some(30.001), Some(120.0001)));
        let outside = form(Some((30.02, 120.0)))
            .parse(now, 2026, &events, &[])
            .expect_err("2.2 km away");
        assert_eq!(outside.field, "place");
        assert!(
            outside
                .message
                .starts_with("当前位置距活动地点约 2.2 公里，超出签到范围（200 米）"),
            "{}",
            outside.message
        );
        // The position is never required: without one the record is kept
        // for the secretary to review.
        let unplaced = form(None)
            .parse(now, 2026, &events, &[])
            .expect("no position");
        assert_eq!(unplaced.lat, None);
        assert_eq!(
            form(Some((95.0, 0.0)))
                .parse(now, 2026, &events, &[])
                .expect_err("not on Earth")
                .message,
            "位置无效"
        );
    }

    #[test]
    fn leave_needs_a_reason_and_an_event_not_yet_begun() {
        let events = [theme_day(None)];
        let before = at("2026-11-22T20:00:00+08:00");
        let form = |reason: &str| LeaveForm {
            event_id: "ev-1".into(),
            reason: reason.into(),
        };
        assert_eq!(
            form(" ")
                .parse(before, &events, &[])
                .expect_err("no reason")
                .field,
            "reason"
        );
        let rec = form("出差").parse(before, &events, &[]).expect("leave");
        assert_eq!(
            (rec.kind.as_str(), rec.note.as_deref()),
            ("leave", Some("出差"))
        );
        let after = at("2026-11-23T12:00:00+08:00");
        assert_eq!(
            form("出差")
                .parse(after, &events, &[])
                .expect_err("over")
                .field,
            "event"
        );
        let checked_in = form("出差")
            .parse(before, &events, &["ev-1"])
            .expect_err("checked in");
        assert!(checked_in.message.contains("已签到"));
    }
}
