//! The demo's year so far, so that a newcomer's ledgers are not empty: for
//! each branch, from January to the month before this one, a 主题党日 every
//! month, each group's monthly 党小组会, a quarterly 支部党员大会 and a few
//! 党课, with the members' check-ins and leave requests, volunteering and
//! visits, the secretary's decisions (most approved, a few returned with a
//! reason, the last few still waiting) and every meeting's attendance sheet.
//!
//! Everything goes through the paths real use takes: the events service,
//! the members' own edits of their documents through the document gate,
//! the review service and the attendance service. The choices come from a
//! fixed seed, so every start of the demo tells the same story on the same
//! date. Early in the year the history is short: it never reaches into the
//! year before, whose ledgers nobody opens first.

use crate::events::{EventDraft, EventError};
use crate::services::Services;
use crate::storage::Organisation;
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use vanguard_shared::attendance::RowInput;
use vanguard_shared::documents::edit::add_record;
use vanguard_shared::documents::schema::LEAVE;
use vanguard_shared::documents::DecisionStatus;
use vanguard_shared::documents::{DocId, EventEntry, NewRecord};
use vanguard_shared::ledger::year_end::JobInput;
use vanguard_shared::ledger::{Appraisal, Kind};
use vanguard_shared::review::DecisionRequest;
use vanguard_shared::{OrgKind, Role};

#[derive(Debug, thiserror::Error)]
#[error("seeding the demo year failed: {0}")]
pub struct DemoYearError(String);

fn failed(e: impl std::fmt::Display) -> DemoYearError {
    DemoYearError(e.to_string())
}

const THEMES: [&str; 12] = [
    "学习新年贺词",
    "重温入党誓词",
    "学雷锋志愿服务",
    "清明祭英烈",
    "劳动创造幸福",
    "党纪学习教育",
    "庆祝建党节",
    "国防教育",
    "廉政警示教育",
    "爱国主义教育",
    "学习党的创新理论",
    "年终总结",
];

const LECTURES: [(u32, &str); 3] = [
    (4, "专题党课：学习党章"),
    (7, "专题党课：弘扬伟大建党精神"),
    (10, "专题党课：全面从严治党"),
];

const LEAVE_REASONS: [&str; 4] = ["外出培训", "出差", "家中有事", "身体不适"];

const VOLUNTEERING: [(&str, &str); 4] = [
    ("社区服务中心", "为独居老人打扫卫生"),
    ("地铁站", "文明引导"),
    ("图书馆", "整理图书"),
    ("防汛值守点", "防汛值守"),
];

const VISITS: [(&str, &str); 3] = [
    ("幸福社区", "走访困难党员家庭"),
    ("老干部活动中心", "看望老党员"),
    ("和平里社区", "走访结对帮扶户"),
];

/// What a member did about one meeting.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Came {
    Present,
    Late,
    Leave(bool),
    Absent,
}

fn at(
    tz: FixedOffset,
    day: NaiveDate,
    h: u32,
    m: u32,
) -> Result<DateTime<FixedOffset>, DemoYearError> {
    day.and_hms_opt(h, m, 0)
        .and_then(|t| tz.from_local_datetime(&t).single())
        .ok_or_else(|| failed("demo time"))
}

fn day_of(year: i32, month: u32, day: u32) -> Result<NaiveDate, DemoYearError> {
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| failed("demo day"))
}

/// Seeds the year so far for every branch.
pub async fn seed_year(services: &Services) -> Result<(), DemoYearError> {
    let tz = FixedOffset::east_opt(8 * 3600).ok_or_else(|| failed("时区"))?;
    let now = Utc::now().with_timezone(&tz);
    let store = &services.store;
    let branches: Vec<Organisation> = store
        .accounts()
        .organisations()
        .await
        .map_err(failed)?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Branch)
        .collect();
    for (n, branch) in branches.iter().enumerate() {
        seed_branch(services, branch, tz, now, n as u64).await?;
    }
    Ok(())
}

async fn seed_branch(
    services: &Services,
    branch: &Organisation,
    tz: FixedOffset,
    now: DateTime<FixedOffset>,
    seed: u64,
) -> Result<(), DemoYearError> {
    let store = &services.store;
    let year = now.year();
    let mut members = store
        .accounts()
        .members_under(&branch.id)
        .await
        .map_err(failed)?;
    members.retain(|m| m.active && m.org_id == branch.id);
    members.sort_by(|a, b| a.username.cmp(&b.username));
    let (Some(secretary), Some(officer)) = (
        members
            .iter()
            .find(|m| m.roles.contains(&Role::Secretary))
            .cloned(),
        members
            .iter()
            .find(|m| m.roles.contains(&Role::OrgOfficer))
            .cloned(),
    ) else {
        return Ok(());
    };
    let groups: Vec<Organisation> = store
        .accounts()
        .organisations_under(&branch.id)
        .await
        .map_err(failed)?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Group)
        .collect();

    // The meetings, January to last month, written by the secretary.
    let mut meetings: Vec<EventEntry> = Vec::new();
    for month in 1..now.month() {
        let mut drafts = vec![EventDraft {
            kind: Kind::ThemeDay,
            title: format!("{month}月主题党日：{}", THEMES[month as usize - 1]),
            start: at(tz, day_of(year, month, 15)?, 9, 0)?,
            end: Some(at(tz, day_of(year, month, 15)?, 11, 30)?),
            place: Some("党员活动室".into()),
            with_code: true,
            geofence: None,
            group_id: None,
        }];
        for group in &groups {
            drafts.push(EventDraft {
                kind: Kind::GroupMeeting,
                title: format!("{}{month}月党小组会", group.name),
                start: at(tz, day_of(year, month, 20)?, 19, 0)?,
                end: Some(at(tz, day_of(year, month, 20)?, 20, 30)?),
                place: Some("小组会议室".into()),
                with_code: false,
                geofence: None,
                group_id: Some(group.id.clone()),
            });
        }
        if month.is_multiple_of(3) {
            drafts.push(EventDraft {
                kind: Kind::BranchMeeting,
                title: format!("第{}季度支部党员大会", month / 3),
                start: at(tz, day_of(year, month, 25)?, 14, 30)?,
                end: Some(at(tz, day_of(year, month, 25)?, 16, 30)?),
                place: Some("党员活动室".into()),
                with_code: true,
                geofence: None,
                group_id: None,
            });
        }
        if let Some((_, title)) = LECTURES.iter().find(|(m, _)| *m == month) {
            drafts.push(EventDraft {
                kind: Kind::PartyLecture,
                title: title.to_string(),
                start: at(tz, day_of(year, month, 8)?, 15, 0)?,
                end: Some(at(tz, day_of(year, month, 8)?, 17, 0)?),
                place: Some("党员活动室".into()),
                with_code: false,
                geofence: None,
                group_id: None,
            });
        }
        for draft in drafts {
            meetings.push(
                services
                    .events
                    .create(&secretary, draft)
                    .await
                    .map_err(|e: EventError| failed(e))?,
            );
        }
    }

    // Who came to what: most present, a few late, some on leave, a few
    // absent without leave. Of the plain members (sorted by username), the
    // last is the one with deductions, the two before are the busiest: one
    // 优秀 on both sides, one just short of 业务's 优秀 line.
    let mut rng = StdRng::seed_from_u64(0x5eed_0000 + seed);
    let plain: Vec<usize> = members
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.roles
                .iter()
                .all(|r| *r == Role::Member || *r == Role::GroupLeader)
        })
        .map(|(i, _)| i)
        .collect();
    let last = plain.last().copied().unwrap_or(usize::MAX);
    let busiest = plain
        .len()
        .checked_sub(3)
        .and_then(|k| plain.get(k))
        .copied();
    let near = plain
        .len()
        .checked_sub(2)
        .and_then(|k| plain.get(k))
        .copied();
    let busy_one = |i: usize| Some(i) == busiest || Some(i) == near;
    let mut came: HashMap<(usize, usize), Came> = HashMap::new();
    for (e, event) in meetings.iter().enumerate() {
        for (i, m) in members.iter().enumerate() {
            if event.group_id.is_some() && m.group_id != event.group_id {
                continue;
            }
            let roll: u32 = rng.gen_range(0..100);
            let outcome = match (i == last, roll) {
                (true, 0..=19) => Came::Absent,
                (_, 0..=2) => Came::Absent,
                (_, 3..=7) => Came::Late,
                (_, 8..=13) => Came::Leave(roll.is_multiple_of(2)),
                _ => Came::Present,
            };
            came.insert((e, i), outcome);
        }
    }

    // The members' own records, one edit of each member's year document.
    let mut written: Vec<(usize, String, NewRecord)> = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let mut records = Vec::new();
        for (e, event) in meetings.iter().enumerate() {
            let record = match came.get(&(e, i)) {
                Some(Came::Present) | Some(Came::Late) => NewRecord {
                    kind: event.kind.as_str().into(),
                    occurred_at: Some(
                        event.start
                            + Duration::minutes(if came.get(&(e, i)) == Some(&Came::Late) {
                                25
                            } else {
                                rng.gen_range(-10..5)
                            }),
                    ),
                    event_id: Some(event.event_id.clone()),
                    place: event.place.clone(),
                    ..Default::default()
                },
                Some(Came::Leave(_)) => NewRecord {
                    kind: LEAVE.into(),
                    occurred_at: Some(event.start - Duration::days(2)),
                    event_id: Some(event.event_id.clone()),
                    note: Some(LEAVE_REASONS[rng.gen_range(0..LEAVE_REASONS.len())].into()),
                    ..Default::default()
                },
                _ => continue,
            };
            records.push(record);
        }
        // On the year's first days there is no "before today" to place them in.
        let busy = match (now.ordinal() > 2, busy_one(i)) {
            (false, _) => 0,
            (true, true) => 8,
            (true, false) => rng.gen_range(1..4),
        };
        for _ in 0..busy {
            let (place, note) = VOLUNTEERING[rng.gen_range(0..VOLUNTEERING.len())];
            records.push(NewRecord {
                kind: Kind::Volunteer.as_str().into(),
                occurred_at: Some(random_day(&mut rng, tz, now, 10)?),
                hours: Some(f64::from(rng.gen_range(3..9_u32)) / 2.0),
                place: Some(place.into()),
                note: Some(note.into()),
                ..Default::default()
            });
        }
        let visits = match (busy, busy_one(i)) {
            (0, _) => 0,
            (_, true) => 5,
            (_, false) => rng.gen_range(0..3),
        };
        for _ in 0..visits {
            let (place, note) = VISITS[rng.gen_range(0..VISITS.len())];
            records.push(NewRecord {
                kind: Kind::Visit.as_str().into(),
                occurred_at: Some(random_day(&mut rng, tz, now, 16)?),
                place: Some(place.into()),
                note: Some(note.into()),
                ..Default::default()
            });
        }
        // Training counts for the job (业务): 优秀 needs 10 of it.
        let trainings = match busy {
            0 => 0,
            _ if Some(i) == busiest => 6,
            _ if Some(i) == near => 4,
            _ => rng.gen_range(0..3),
        };
        for _ in 0..trainings {
            records.push(NewRecord {
                kind: Kind::Training.as_str().into(),
                occurred_at: Some(random_day(&mut rng, tz, now, 14)?),
                place: Some("党校".into()),
                note: Some("业务培训".into()),
                ..Default::default()
            });
        }
        if records.is_empty() {
            continue;
        }
        let ids: Vec<(String, NewRecord)> = records
            .into_iter()
            .enumerate()
            .map(|(k, r)| (format!("demo-{}-{k:03}", m.username), r))
            .collect();
        let doc = DocId::checkins(&m.id, year);
        services
            .sync
            .edit(m, &doc, |d| {
                ids.iter().try_for_each(|(id, r)| add_record(d, id, r))
            })
            .await
            .map_err(failed)?;
        written.extend(ids.into_iter().map(|(id, r)| (i, id, r)));
    }

    // The secretary's decisions (the officer's, on the secretary's own):
    // the last days' records still wait, a few are returned.
    let waiting_after = now - Duration::days(6);
    let mut by_reviewer: HashMap<bool, Vec<DecisionRequest>> = HashMap::new();
    for (n, (i, id, record)) in written.iter().enumerate() {
        let m = &members[*i];
        if record.occurred_at.is_some_and(|t| t > waiting_after) {
            continue;
        }
        let returned = record.kind == Kind::Visit.as_str() && n % 5 == 0
            || record.kind == Kind::Volunteer.as_str() && n % 11 == 0;
        let reason = match record.kind.as_str() {
            "visit" => "请补充走访对象和走访内容",
            _ => "服务时长与活动安排不符，请核实后重新提交",
        };
        by_reviewer
            .entry(m.id == secretary.id)
            .or_default()
            .push(DecisionRequest {
                member_id: m.id.clone(),
                record_id: id.clone(),
                status: if returned {
                    DecisionStatus::Returned
                } else {
                    DecisionStatus::Approved
                },
                reason: returned.then(|| reason.into()),
                version: None,
            });
    }
    for (own, requests) in by_reviewer {
        let reviewer = if own { &officer } else { &secretary };
        services
            .reviews()
            .decide(reviewer, &requests)
            .await
            .map_err(failed)?;
    }

    // Every meeting's attendance sheet, as the secretary took it.
    for (e, event) in meetings.iter().enumerate() {
        let rows: Vec<RowInput> = members
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                let outcome = match came.get(&(e, i))? {
                    Came::Present => "present",
                    Came::Late => "late",
                    Came::Leave(true) => "excused_official",
                    Came::Leave(false) => "excused_personal",
                    Came::Absent => "unexcused",
                };
                Some(RowInput {
                    member_id: m.id.clone(),
                    outcome: outcome.into(),
                    note: None,
                })
            })
            .collect();
        // Nobody marks themselves: the officer marks the secretary's row.
        let (own, others): (Vec<RowInput>, Vec<RowInput>) =
            rows.into_iter().partition(|r| r.member_id == secretary.id);
        for (taker, rows) in [(&secretary, others), (&officer, own)] {
            if rows.is_empty() {
                continue;
            }
            services
                .attendance()
                .save(taker, &event.event_id, &rows)
                .await
                .map_err(failed)?;
        }
    }

    // The first branch's unit has sent its annual appraisals (年度考核) and
    // the secretary entered them; the second's have not come yet, so its
    // table shows why nobody there is proposed 优秀.
    if seed == 0 {
        let jobs: Vec<JobInput> = members
            .iter()
            .enumerate()
            .map(|(i, m)| JobInput {
                member_id: m.id.clone(),
                appraisal: match i % 6 {
                    0 => Appraisal::Excellent,
                    5 => Appraisal::Basic,
                    _ => Appraisal::Competent,
                },
                tasks_assigned: Some(10),
                tasks_completed: Some(10 - (i % 4) as u32),
                note: None,
            })
            .collect();
        // The officer enters the secretary's own.
        let (own, others): (Vec<JobInput>, Vec<JobInput>) =
            jobs.into_iter().partition(|j| j.member_id == secretary.id);
        for (who, jobs) in [(&secretary, others), (&officer, own)] {
            services
                .year_end()
                .save_jobs(who, &branch.id, Some(year), &jobs, "demo")
                .await
                .map_err(failed)?;
        }
    }
    Ok(())
}

/// A daytime moment of the year before today, on a weekday-ish hour.
fn random_day(
    rng: &mut StdRng,
    tz: FixedOffset,
    now: DateTime<FixedOffset>,
    hour: u32,
) -> Result<DateTime<FixedOffset>, DemoYearError> {
    let start = day_of(now.year(), 1, 2)?;
    let days = (now.date_naive() - start).num_days().max(1);
    let day = start + Duration::days(rng.gen_range(0..days));
    at(tz, day, hour, 0)
}
