//! A branch's events as the console lists and edits them, and the dates of
//! a monthly meeting set up once for the year.

use crate::documents::form::FormError;
use crate::documents::EventEntry;
use crate::geofence::Geofence;
use crate::ledger::Kind;
use chrono::{DateTime, Datelike, FixedOffset, TimeZone};
use serde::{Deserialize, Serialize};

/// An event as a secretary enters it, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    pub kind: Kind,
    pub title: String,
    pub start: DateTime<FixedOffset>,
    pub end: Option<DateTime<FixedOffset>>,
    pub place: Option<String>,
    /// Members check in with a rotating code the host shows.
    pub with_code: bool,
    /// Where a check-in's position must be to count as at the event.
    pub geofence: Option<Geofence>,
    /// For a 党小组会: the group whose meeting it is.
    pub group_id: Option<String>,
}

/// The kinds of event a branch holds (DOMAIN.md), in the order the form
/// offers them.
pub const EVENT_KINDS: [Kind; 10] = [
    Kind::ThemeDay,
    Kind::BranchMeeting,
    Kind::CommitteeMeeting,
    Kind::GroupMeeting,
    Kind::PartyLecture,
    Kind::LifeMeeting,
    Kind::Study,
    Kind::Volunteer,
    Kind::Visit,
    Kind::Talk,
];

/// The event form as typed: every field a string, as the inputs hold it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventForm {
    pub kind: String,
    pub title: String,
    /// `YYYY-MM-DDTHH:MM`, in the branch's time zone.
    pub start: String,
    pub end: String,
    pub place: String,
    pub with_code: bool,
    /// The geofence's centre and radius; all three or none.
    pub lat: String,
    pub lon: String,
    pub radius_m: String,
    pub group_id: String,
    /// A monthly meeting: its day of the month; empty for one event.
    pub monthly_day: String,
    /// The month it runs to, `YYYY-MM`; blank: December.
    #[serde(default)]
    pub monthly_until: String,
}

impl EventForm {
    /// The draft, and the day of a monthly meeting; or the first field that
    /// is wrong. Times are read in `tz`, the branch's zone.
    pub fn parse(&self, tz: chrono_tz::Tz) -> Result<(EventDraft, Option<u32>), FormError> {
        let wrong = |field: &'static str, message: &str| FormError {
            field,
            message: message.into(),
        };
        let kind: Kind = self
            .kind
            .parse()
            .ok()
            .filter(|k| EVENT_KINDS.contains(k))
            .ok_or_else(|| wrong("kind", "请选择活动类型"))?;
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(wrong("title", "活动名称应为 1–200 字"));
        }
        let time = |field: &'static str, text: &str| {
            let naive = crate::time_text::parse_local_minute(text.trim())
                .ok_or_else(|| wrong(field, "时间格式不对"))?;
            tz.from_local_datetime(&naive)
                .earliest()
                .map(|t| t.fixed_offset())
                .ok_or_else(|| wrong(field, "时间格式不对"))
        };
        let start = time("start", &self.start)?;
        let end = match self.end.trim() {
            "" => None,
            text => Some(time("end", text)?),
        };
        if end.is_some_and(|end| end < start) {
            return Err(wrong("end", "结束时间不能早于开始时间"));
        }
        let number = |field: &'static str, text: &str| -> Result<Option<f64>, FormError> {
            match text.trim() {
                "" => Ok(None),
                t => t
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map(Some)
                    .ok_or_else(|| wrong(field, "应为数字")),
            }
        };
        let geofence = match (
            number("lat", &self.lat)?,
            number("lon", &self.lon)?,
            number("radius_m", &self.radius_m)?,
        ) {
            (None, None, None) => None,
            (Some(lat), Some(lon), Some(radius)) => Some(
                Geofence::new(lat, lon, radius).map_err(|e| wrong("geofence", &e.to_string()))?,
            ),
            _ => return Err(wrong("geofence", "签到范围须同时填写纬度、经度和半径")),
        };
        let monthly_day = match self.monthly_day.trim() {
            "" => None,
            t => Some(
                t.parse::<u32>()
                    .ok()
                    .filter(|d| (1..=31).contains(d))
                    .ok_or_else(|| wrong("monthly_day", "每月的日期应为 1–31"))?,
            ),
        };
        let group_id = match self.group_id.trim() {
            "" => None,
            _ if kind != Kind::GroupMeeting => None,
            g => Some(g.to_string()),
        };
        let place = Some(self.place.trim().to_string()).filter(|p| !p.is_empty());
        Ok((
            EventDraft {
                kind,
                title: title.to_string(),
                start,
                end,
                place,
                with_code: self.with_code,
                geofence,
                group_id,
            },
            monthly_day,
        ))
    }
}

/// What an edit of an event changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventPatch {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub start: Option<String>,
    /// `Some(None)`: clear it.
    #[serde(default, deserialize_with = "some_value")]
    pub end: Option<Option<String>>,
    #[serde(default, deserialize_with = "some_value")]
    pub place: Option<Option<String>>,
    #[serde(default, deserialize_with = "some_value")]
    pub geofence: Option<Option<Geofence>>,
    pub cancelled: Option<bool>,
}

/// A field present in the JSON, even as `null`, is `Some`.
fn some_value<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// An event as the console lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListedEvent {
    #[serde(flatten)]
    pub event: EventEntry,
    pub kind_label: String,
    /// The name of who cancelled it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled_by_name: Option<String>,
    /// The group's name, for a group's own meeting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// Started: its attendance may be taken.
    pub started: bool,
}

/// The console's events page: the branch's events of the year, newest
/// first, and its groups (for a 党小组会).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BranchEvents {
    pub events: Vec<ListedEvent>,
    pub groups: Vec<crate::OrgRef>,
    /// The year shown, and the branch.
    #[serde(default)]
    pub year: i32,
    #[serde(default)]
    pub branch_id: String,
    /// For a committee admin, the branches to choose from, `(id, name)`:
    /// read-only, the branch's officers keep its calendar.
    #[serde(default)]
    pub branches: Vec<(String, String)>,
}

impl EventForm {
    /// The form filled with an event, for editing it.
    pub fn of(e: &EventEntry) -> EventForm {
        let minute = |t: &DateTime<FixedOffset>| t.format("%Y-%m-%dT%H:%M").to_string();
        let number = |n: Option<f64>| n.map(|n| n.to_string()).unwrap_or_default();
        EventForm {
            kind: e.kind.as_str().to_string(),
            title: e.title.clone(),
            start: minute(&e.start),
            end: e.end.as_ref().map(minute).unwrap_or_default(),
            place: e.place.clone().unwrap_or_default(),
            with_code: e.code_key.is_some(),
            lat: number(e.geofence.as_ref().map(|g| g.lat)),
            lon: number(e.geofence.as_ref().map(|g| g.lon)),
            radius_m: number(e.geofence.as_ref().map(|g| g.radius_m)),
            group_id: e.group_id.clone().unwrap_or_default(),
            monthly_day: String::new(),
            monthly_until: String::new(),
        }
    }
}

/// The most months one monthly meeting is set up for at once.
pub const MONTHS_AHEAD: u32 = 24;

/// The month a monthly meeting runs to (`YYYY-MM`): December of its first
/// event's year when blank; it may lie in next year (December plans
/// January), no earlier than the first month and at most
/// [`MONTHS_AHEAD`] months on.
pub fn monthly_until(text: &str, start: DateTime<FixedOffset>) -> Result<(i32, u32), &'static str> {
    let text = text.trim();
    let until = if text.is_empty() {
        (start.year(), 12)
    } else {
        let (y, m) = text.split_once('-').ok_or("重复到的月份格式应为 YYYY-MM")?;
        let y: i32 = y.parse().map_err(|_| "重复到的月份格式应为 YYYY-MM")?;
        let m: u32 = m.parse().map_err(|_| "重复到的月份格式应为 YYYY-MM")?;
        if !(1..=12).contains(&m) {
            return Err("重复到的月份格式应为 YYYY-MM");
        }
        (y, m)
    };
    let months = (until.0 - start.year()) * 12 + until.1 as i32 - start.month() as i32;
    if months < 0 {
        return Err("重复到的月份不能早于第一次活动");
    }
    if months >= MONTHS_AHEAD as i32 {
        return Err("每月重复最多一次设置 24 个月");
    }
    Ok(until)
}

/// A monthly meeting's events: on `day` of each month from the first
/// event's month to `until` (year, month), the month's last day when
/// shorter, at the first event's time and length.
pub fn monthly(
    start: DateTime<FixedOffset>,
    end: Option<DateTime<FixedOffset>>,
    day: u32,
    until: (i32, u32),
) -> Vec<(DateTime<FixedOffset>, Option<DateTime<FixedOffset>>)> {
    let length = end.map(|e| e - start);
    let first = start.year() * 12 + start.month0() as i32;
    let last_month = until.0 * 12 + until.1 as i32 - 1;
    (first..=last_month.min(first + MONTHS_AHEAD as i32 - 1))
        .filter_map(|n| {
            let (year, month) = (n.div_euclid(12), n.rem_euclid(12) as u32 + 1);
            let last = (28..=31)
                .rev()
                .find(|d| chrono::NaiveDate::from_ymd_opt(year, month, *d).is_some())?;
            let date = chrono::NaiveDate::from_ymd_opt(year, month, day.min(last))?;
            let at = start
                .timezone()
                .from_local_datetime(&date.and_time(start.time()))
                .single()?;
            Some((at, length.map(|l| at + l)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("time")
    }

    #[test]
    fn december_plans_january_a_monthly_meeting_runs_into_next_year() {
        let start = at("2026-12-08T09:00:00+08:00");
        assert_eq!(monthly_until("", start), Ok((2026, 12)));
        let until = monthly_until("2027-03", start).expect("until");
        let days: Vec<String> = monthly(start, None, 8, until)
            .iter()
            .map(|(s, _)| s.to_rfc3339())
            .collect();
        assert_eq!(
            days,
            [
                "2026-12-08T09:00:00+08:00",
                "2027-01-08T09:00:00+08:00",
                "2027-02-08T09:00:00+08:00",
                "2027-03-08T09:00:00+08:00"
            ]
        );
        assert!(monthly_until("2026-11", start).is_err(), "before the first");
        assert!(monthly_until("2028-12", start).is_err(), "too far");
        assert!(monthly_until("2027-13", start).is_err());
        assert!(monthly_until("三月", start).is_err());
    }

    #[test]
    fn a_monthly_meeting_falls_on_its_day_to_december_and_on_short_months_last_day() {
        let start = at("2026-09-30T14:30:00+08:00");
        let end = Some(at("2026-09-30T16:30:00+08:00"));
        let dates = monthly(start, end, 31, (2026, 12));
        let days: Vec<String> = dates.iter().map(|(s, _)| s.to_rfc3339()).collect();
        assert_eq!(
            days,
            [
                "2026-09-30T14:30:00+08:00",
                "2026-10-31T14:30:00+08:00",
                "2026-11-30T14:30:00+08:00",
                "2026-12-31T14:30:00+08:00"
            ]
        );
        assert!(dates
            .iter()
            .all(|(s, e)| *e == Some(*s + chrono::Duration::hours(2))));
        let february = monthly(at("2026-01-15T09:00:00+08:00"), None, 30, (2026, 12));
        assert_eq!(february.len(), 12);
        assert_eq!(february[1].0.to_rfc3339(), "2026-02-28T09:00:00+08:00");
        assert!(february.iter().all(|(_, e)| e.is_none()));
    }

    #[test]
    fn the_form_reads_times_in_the_branchs_zone_and_names_the_wrong_field() {
        let form = EventForm {
            kind: "theme_day".into(),
            title: " 三月主题党日 ".into(),
            start: "2026-03-15T09:00".into(),
            end: "2026-03-15T11:00".into(),
            monthly_day: "15".into(),
            ..Default::default()
        };
        let (draft, day) = form.parse(chrono_tz::Asia::Shanghai).expect("parsed");
        assert_eq!(draft.start.to_rfc3339(), "2026-03-15T09:00:00+08:00");
        assert_eq!(draft.title, "三月主题党日");
        assert_eq!(day, Some(15));
        let field = |f: EventForm| f.parse(chrono_tz::Asia::Shanghai).expect_err("wrong").field;
        assert_eq!(
            field(EventForm {
                kind: "dues_unpaid".into(),
                ..form.clone()
            }),
            "kind"
        );
        assert_eq!(
            field(EventForm {
                end: "2026-03-15T08:00".into(),
                ..form.clone()
            }),
            "end"
        );
        assert_eq!(
            field(EventForm {
                lat: "39.9".into(),
                ..form.clone()
            }),
            "geofence"
        );
        assert_eq!(
            field(EventForm {
                monthly_day: "32".into(),
                ..form.clone()
            }),
            "monthly_day"
        );
        assert_eq!(
            field(EventForm {
                title: "  ".into(),
                ..form.clone()
            }),
            "title"
        );
        let fenced = EventForm {
            lat: "39.9".into(),
            lon: "116.4".into(),
            radius_m: "300".into(),
            ..form
        };
        let (draft, _) = fenced.parse(chrono_tz::Asia::Shanghai).expect("fenced");
        assert_eq!(draft.geofence.map(|g| g.radius_m), Some(300.0));
    }

    #[test]
    fn a_patch_tells_a_cleared_field_from_one_left_alone() {
        let patch: EventPatch =
            serde_json::from_str(r#"{"title": "新", "end": null}"#).expect("patch");
        assert_eq!(patch.title.as_deref(), Some("新"));
        assert_eq!(patch.end, Some(None));
        assert_eq!(patch.place, None);
        assert_eq!(patch.cancelled, None);
    }
}
