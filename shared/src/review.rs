//! The review queue: its items with their evidence, decisions as asked and
//! as made, and what asks a reviewer for a second look at a record, the
//! flags, each in words. One function, so the server's queue and a
//! console's offline copy flag the same records alike.

use crate::documents::schema::{EventEntry, LEAVE};
use crate::documents::DecisionStatus;
use crate::event_code::CodeVerdict;
use crate::geofence::distance_label;
use chrono::{DateTime, Duration, FixedOffset};
use serde::{Deserialize, Serialize};

/// More hours than this in one record is worth a look (the schema allows 24).
pub const LONG_HOURS: f64 = 12.0;
/// Two records of one kind this close together are likely one occurrence.
pub const SAME_KIND_MINUTES: i64 = 30;
/// A phone's clock may run this far ahead before a time counts as future.
const FUTURE_SLACK_MINUTES: i64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// The same member checked in to the same event twice.
    Duplicate,
    /// The same kind twice within half an hour.
    SameKindSoon,
    /// A time later than now.
    Future,
    /// A check-in outside its event's check-in window.
    OutsideWindow,
    /// More than twelve hours.
    LongHours,
    /// The event code does not verify.
    WrongCode,
    /// The event it names is unknown, or cancelled.
    NoEvent,
    /// Two reviewers decided it differently: decided, but asks for a
    /// second look (`QueueItem::conflict` names both).
    Conflict,
    /// Changed after someone decided it: a new question, never approved in
    /// a batch unseen (`QueueItem::previous` says what it was).
    ChangedAfterDecision,
}

impl Flag {
    pub fn code(self) -> &'static str {
        match self {
            Flag::Duplicate => "duplicate",
            Flag::SameKindSoon => "same_kind_soon",
            Flag::Future => "future",
            Flag::OutsideWindow => "outside_window",
            Flag::LongHours => "long_hours",
            Flag::WrongCode => "wrong_code",
            Flag::NoEvent => "no_event",
            Flag::Conflict => "conflict",
            Flag::ChangedAfterDecision => "changed_after_decision",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Flag::Duplicate => "疑似重复：同一活动签到两次",
            Flag::SameKindSoon => "疑似重复：30 分钟内同类记录",
            Flag::Future => "时间晚于现在",
            Flag::OutsideWindow => "不在活动签到时段内",
            Flag::LongHours => "时长超过 12 小时",
            Flag::WrongCode => "签到码不正确",
            Flag::NoEvent => "活动不存在或已取消",
            Flag::Conflict => "两位审核人意见不一，请复核",
            Flag::ChangedAfterDecision => "审核后有更改，请重新审核",
        }
    }
}

/// A record as the queue weighs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence<'a> {
    pub record_id: &'a str,
    pub kind: &'a str,
    pub occurred_at: DateTime<FixedOffset>,
    pub event_id: Option<&'a str>,
    pub hours: Option<f64>,
    pub code: CodeVerdict,
}

/// The flags of `record`, among `siblings` (the same member's records that
/// are not withdrawn; `record` may be among them), with `event` the event it
/// names when the branch has it. For many records of one member, index the
/// siblings once with [`Siblings::new`] and ask [`flags_among`].
pub fn flags(
    record: &Evidence<'_>,
    siblings: &[Evidence<'_>],
    event: Option<&EventEntry>,
    now: DateTime<FixedOffset>,
) -> Vec<Flag> {
    flags_among(record, &Siblings::new(siblings), event, now)
}

/// One member's records, indexed once for the duplicate flags: flagging
/// each of n records then costs log n, so a queue of n records is
/// n log n, never n² (a member with 20,000 records cannot stall it).
#[derive(Debug, Default)]
pub struct Siblings<'a> {
    ids: std::collections::BTreeSet<&'a str>,
    /// Records that are not leave, by the event they name.
    at_event: std::collections::BTreeMap<&'a str, usize>,
    /// Each kind's times (Unix milliseconds), sorted.
    times: std::collections::BTreeMap<&'a str, Vec<i64>>,
}

impl<'a> Siblings<'a> {
    pub fn new(siblings: &[Evidence<'a>]) -> Self {
        let mut index = Siblings::default();
        for s in siblings {
            index.ids.insert(s.record_id);
            if s.kind == LEAVE {
                continue;
            }
            if let Some(event) = s.event_id {
                *index.at_event.entry(event).or_default() += 1;
            }
            index
                .times
                .entry(s.kind)
                .or_default()
                .push(s.occurred_at.timestamp_millis());
        }
        for times in index.times.values_mut() {
            times.sort_unstable();
        }
        index
    }

    /// 1 when `record` itself is among the siblings (it is not its own twin).
    fn itself(&self, record: &Evidence<'_>) -> usize {
        usize::from(self.ids.contains(record.record_id))
    }

    /// Another record (not leave) names the same event.
    fn duplicate(&self, record: &Evidence<'_>) -> bool {
        record.event_id.is_some_and(|event| {
            self.at_event.get(event).copied().unwrap_or(0) > self.itself(record)
        })
    }

    /// Another record of the same kind within [`SAME_KIND_MINUTES`].
    fn same_kind_soon(&self, record: &Evidence<'_>) -> bool {
        let Some(times) = self.times.get(record.kind) else {
            return false;
        };
        let t = record.occurred_at.timestamp_millis();
        let span = SAME_KIND_MINUTES * 60_000;
        let from = times.partition_point(|&x| x < t.saturating_sub(span));
        let to = times.partition_point(|&x| x <= t.saturating_add(span));
        to - from > self.itself(record)
    }
}

/// [`flags`] against siblings indexed once.
pub fn flags_among(
    record: &Evidence<'_>,
    siblings: &Siblings<'_>,
    event: Option<&EventEntry>,
    now: DateTime<FixedOffset>,
) -> Vec<Flag> {
    let mut out = Vec::new();
    let leave = record.kind == LEAVE;
    if !leave && siblings.duplicate(record) {
        out.push(Flag::Duplicate);
    } else if !leave && siblings.same_kind_soon(record) {
        out.push(Flag::SameKindSoon);
    }
    if record.occurred_at > now + Duration::minutes(FUTURE_SLACK_MINUTES) {
        out.push(Flag::Future);
    }
    match (record.event_id, event) {
        (Some(_), None) => out.push(Flag::NoEvent),
        (Some(_), Some(e)) if e.cancelled => out.push(Flag::NoEvent),
        (Some(_), Some(e)) if !leave => {
            let (opens, closes) = e.checkin_window();
            if record.occurred_at < opens || record.occurred_at > closes {
                out.push(Flag::OutsideWindow);
            }
        }
        _ => {}
    }
    if record.hours.is_some_and(|h| h > LONG_HOURS) {
        out.push(Flag::LongHours);
    }
    if record.code == CodeVerdict::Wrong {
        out.push(Flag::WrongCode);
    }
    out
}

/// One record waiting for review, with its evidence (`GET /api/review/queue`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueItem {
    pub member_id: String,
    pub member_name: String,
    pub record_id: String,
    /// What a decision names (`CheckinRecord::version`).
    pub version: String,
    pub kind: String,
    pub kind_label: String,
    pub occurred_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Metres from the event's place, when both have a position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// The server's verdict on the event code: verified | wrong | none.
    pub code: CodeVerdict,
    pub flags: Vec<Flag>,
    /// Two reviewers decided it differently; the later decision stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict: Option<Conflict>,
    /// Changed after a decision: the fields that changed, as they were when
    /// decided (`{"hours": 3}`; `null` for one that was empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<serde_json::Map<String, serde_json::Value>>,
    /// The decision that no longer stands: who made it, when, and what.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_decision: Option<PreviousDecision>,
}

/// A decision made on an earlier version of a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviousDecision {
    pub status: DecisionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// What a reviewer judges of a record and a member may change: kept with a
/// decision, so a record changed afterwards shows what was decided.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Judged {
    pub kind: String,
    pub occurred_at: String,
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(default)]
    pub hours: Option<f64>,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

impl Judged {
    /// The fields of `earlier` that differ from `self`, as they were then.
    pub fn earlier_fields(&self, earlier: &Judged) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::{json, Value};
        let mut out = serde_json::Map::new();
        let mut field = |name: &str, now: Value, then: Value| {
            if now != then {
                out.insert(name.to_string(), then);
            }
        };
        field("kind", json!(self.kind), json!(earlier.kind));
        // Times compare as instants: the same minute in another offset is
        // no change.
        let instant = |t: &str| DateTime::parse_from_rfc3339(t).map(|t| t.timestamp()).ok();
        if instant(&self.occurred_at) != instant(&earlier.occurred_at) {
            field("occurred_at", Value::Null, json!(earlier.occurred_at));
        }
        field("event_id", json!(self.event_id), json!(earlier.event_id));
        field("hours", json!(self.hours), json!(earlier.hours));
        field("place", json!(self.place), json!(earlier.place));
        field("note", json!(self.note), json!(earlier.note));
        out
    }

    /// What changed, in words: `时长：3 小时 → 8 小时`.
    pub fn changes_text(
        &self,
        earlier: &serde_json::Map<String, serde_json::Value>,
    ) -> Vec<String> {
        let text = |v: Option<&serde_json::Value>| match v {
            None | Some(serde_json::Value::Null) => "（空）".to_string(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let hours = |h: Option<f64>| {
            h.map(|h| format!("{} 小时", crate::decimal::short(h, 2)))
                .unwrap_or_else(|| "（空）".into())
        };
        let minute = |t: &str| {
            DateTime::parse_from_rfc3339(t)
                .map(|t| crate::time_text::ymd_hm(&t))
                .unwrap_or_else(|_| t.to_string())
        };
        let mut out = Vec::new();
        for (name, then) in earlier {
            let line = match name.as_str() {
                "hours" => format!("时长：{} → {}", hours(then.as_f64()), hours(self.hours)),
                "occurred_at" => format!(
                    "时间：{} → {}",
                    minute(&text(Some(then))),
                    minute(&self.occurred_at)
                ),
                "place" => format!(
                    "地点：{} → {}",
                    text(Some(then)),
                    self.place.clone().unwrap_or_else(|| "（空）".into())
                ),
                "note" => format!(
                    "备注：{} → {}",
                    text(Some(then)),
                    self.note.clone().unwrap_or_else(|| "（空）".into())
                ),
                "event_id" => "所签活动有更改".to_string(),
                "kind" => format!(
                    "类型：{} → {}",
                    crate::documents::view::kind_label(&text(Some(then))),
                    crate::documents::view::kind_label(&self.kind)
                ),
                _ => continue,
            };
            out.push(line);
        }
        out
    }
}

impl PreviousDecision {
    /// `曾通过（王书记，2026-03-02）`.
    pub fn text(&self) -> String {
        let what = match self.status {
            DecisionStatus::Approved => "曾通过",
            DecisionStatus::Returned => "曾退回",
        };
        let who = self
            .by_name
            .clone()
            .or_else(|| self.by.clone())
            .unwrap_or_default();
        let day = self
            .at
            .as_deref()
            .and_then(|t| t.get(..10))
            .unwrap_or_default();
        match (who.is_empty(), day.is_empty()) {
            (true, true) => what.to_string(),
            (false, true) => format!("{what}（{who}）"),
            (true, false) => format!("{what}（{day}）"),
            (false, false) => format!("{what}（{who}，{day}）"),
        }
    }
}

/// Two reviewers' different decisions on one record, both kept in the
/// document's history; the later stands until someone looks again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    pub earlier_by: String,
    pub earlier_by_name: String,
    pub earlier_status: DecisionStatus,
    pub by: String,
    pub by_name: String,
    /// The decision that stands.
    pub status: DecisionStatus,
}

impl Conflict {
    /// Both reviewers and what each decided, in words.
    pub fn text(&self) -> String {
        let word = |s: DecisionStatus| match s {
            DecisionStatus::Approved => "通过",
            DecisionStatus::Returned => "退回",
        };
        format!(
            "{}：{}，{}：{}（现为{}）",
            self.earlier_by_name,
            word(self.earlier_status),
            self.by_name,
            word(self.status),
            word(self.status)
        )
    }
}

impl QueueItem {
    /// What a reviewer judges of it as it now is.
    pub fn judged(&self) -> Judged {
        Judged {
            kind: self.kind.clone(),
            occurred_at: self.occurred_at.clone(),
            event_id: self.event_id.clone(),
            hours: self.hours,
            place: self.place.clone(),
            note: self.note.clone(),
        }
    }

    /// `曾通过（王芳，2026-03-03）：时长：3 小时 → 8 小时`, for a record
    /// changed after its decision.
    pub fn previous_text(&self) -> Option<String> {
        let decided = self.previous_decision.as_ref()?;
        let changes = self
            .previous
            .as_ref()
            .map(|p| self.judged().changes_text(p))
            .unwrap_or_default();
        Some(if changes.is_empty() {
            decided.text()
        } else {
            format!("{}：{}", decided.text(), changes.join("；"))
        })
    }

    /// The distance in words, as the queue shows it.
    pub fn distance_text(&self) -> Option<String> {
        self.distance_m.map(distance_label)
    }
}

/// A reviewer's decision as asked (`POST /api/reviews`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRequest {
    pub member_id: String,
    pub record_id: String,
    pub status: DecisionStatus,
    #[serde(default)]
    pub reason: Option<String>,
    /// The version of the record the reviewer saw (from the queue): a
    /// decision made offline on a record changed since is refused (422).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A decision as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionMade {
    pub member_id: String,
    pub record_id: String,
    pub status: DecisionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub version: String,
    pub by: String,
    pub at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Kind;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("time")
    }

    #[test]
    fn a_changed_record_shows_what_was_decided() {
        let then = Judged {
            kind: "volunteer".into(),
            occurred_at: "2026-03-02T09:00:00+08:00".into(),
            hours: Some(3.0),
            place: Some("社区".into()),
            ..Judged::default()
        };
        let now = Judged {
            occurred_at: "2026-03-02T01:00:00+00:00".into(),
            hours: Some(8.0),
            place: None,
            ..then.clone()
        };
        let earlier = now.earlier_fields(&then);
        assert_eq!(
            serde_json::Value::Object(earlier.clone()),
            serde_json::json!({"hours": 3.0, "place": "社区"}),
            "the same instant in another offset is no change"
        );
        assert_eq!(
            now.changes_text(&earlier),
            vec!["时长：3 小时 → 8 小时", "地点：社区 → （空）"]
        );
        assert!(then.earlier_fields(&then).is_empty());
        let decided = PreviousDecision {
            status: DecisionStatus::Approved,
            by: Some("m-1".into()),
            by_name: Some("王芳".into()),
            at: Some("2026-03-03T10:00:00+08:00".into()),
        };
        assert_eq!(decided.text(), "曾通过（王芳，2026-03-03）");
    }

    fn evidence<'a>(
        id: &'a str,
        kind: &'a str,
        when: &str,
        event: Option<&'a str>,
    ) -> Evidence<'a> {
        Evidence {
            record_id: id,
            kind,
            occurred_at: at(when),
            event_id: event,
            hours: None,
            code: CodeVerdict::None,
        }
    }

    fn theme_day() -> EventEntry {
        EventEntry {
            event_id: "e1".into(),
            kind: Kind::ThemeDay,
            title: "主题党日".into(),
            start: at("2026-03-15T09:00:00+08:00"),
            end: Some(at("2026-03-15T11:00:00+08:00")),
            place: None,
            geofence: None,
            code_key: None,
            group_id: None,
            cancelled: false,
            cancelled_by: None,
            cancelled_at: None,
        }
    }

    const NOW: &str = "2026-06-01T12:00:00+08:00";

    #[test]
    fn a_clean_check_in_has_no_flags() {
        let r = evidence("r1", "theme_day", "2026-03-15T09:05:00+08:00", Some("e1"));
        assert!(flags(&r, std::slice::from_ref(&r), Some(&theme_day()), at(NOW)).is_empty());
    }

    #[test]
    fn two_check_ins_to_one_event_are_a_likely_duplicate() {
        let a = evidence("r1", "theme_day", "2026-03-15T09:05:00+08:00", Some("e1"));
        let b = evidence("r2", "theme_day", "2026-03-15T10:30:00+08:00", Some("e1"));
        let both = [a.clone(), b.clone()];
        assert_eq!(
            flags(&a, &both, Some(&theme_day()), at(NOW)),
            vec![Flag::Duplicate]
        );
        assert_eq!(
            flags(&b, &both, Some(&theme_day()), at(NOW)),
            vec![Flag::Duplicate]
        );
        // A leave request for the event is not a second check-in.
        let leave = evidence("r3", LEAVE, "2026-03-14T09:00:00+08:00", Some("e1"));
        assert!(flags(&a, &[a.clone(), leave], Some(&theme_day()), at(NOW)).is_empty());
    }

    #[test]
    fn the_same_kind_within_half_an_hour_is_flagged_and_an_hour_apart_is_not() {
        let a = evidence("r1", "visit", "2026-04-01T09:00:00+08:00", None);
        let near = evidence("r2", "visit", "2026-04-01T09:30:00+08:00", None);
        let far = evidence("r3", "visit", "2026-04-01T10:01:00+08:00", None);
        assert_eq!(
            flags(&a, &[a.clone(), near], None, at(NOW)),
            vec![Flag::SameKindSoon]
        );
        assert!(flags(&a, &[a.clone(), far], None, at(NOW)).is_empty());
    }

    #[test]
    fn future_times_windows_hours_codes_and_missing_events_are_each_named() {
        let future = evidence("r1", "visit", "2026-06-02T12:00:00+08:00", None);
        assert_eq!(flags(&future, &[], None, at(NOW)), vec![Flag::Future]);
        let late = evidence("r2", "theme_day", "2026-03-15T15:00:00+08:00", Some("e1"));
        assert_eq!(
            flags(&late, &[], Some(&theme_day()), at(NOW)),
            vec![Flag::OutsideWindow]
        );
        let early = evidence("r3", "theme_day", "2026-03-15T08:31:00+08:00", Some("e1"));
        assert!(flags(&early, &[], Some(&theme_day()), at(NOW)).is_empty());
        let long = Evidence {
            hours: Some(12.5),
            ..evidence("r4", "volunteer", "2026-04-01T09:00:00+08:00", None)
        };
        assert_eq!(flags(&long, &[], None, at(NOW)), vec![Flag::LongHours]);
        let twelve = Evidence {
            hours: Some(12.0),
            ..long.clone()
        };
        assert!(flags(&twelve, &[], None, at(NOW)).is_empty());
        let wrong = Evidence {
            code: CodeVerdict::Wrong,
            ..evidence("r5", "theme_day", "2026-03-15T09:05:00+08:00", Some("e1"))
        };
        assert_eq!(
            flags(&wrong, &[], Some(&theme_day()), at(NOW)),
            vec![Flag::WrongCode]
        );
        let orphan = evidence("r6", "theme_day", "2026-03-15T09:05:00+08:00", Some("gone"));
        assert_eq!(flags(&orphan, &[], None, at(NOW)), vec![Flag::NoEvent]);
        let cancelled = EventEntry {
            cancelled: true,
            ..theme_day()
        };
        assert_eq!(
            flags(&orphan, &[], Some(&cancelled), at(NOW)),
            vec![Flag::NoEvent]
        );
    }
}
