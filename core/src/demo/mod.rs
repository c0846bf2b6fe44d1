//! The demo organisation `make run` starts with: one committee, two branches
//! of two groups each, twenty members, two secretaries, two officers and an
//! admin. Every password is [`DEMO_PASSWORD`].

pub mod year;

use crate::accounts::{new_id, AccountsError};
use crate::auth::{now_secs, password};
use crate::storage::{Member, NewMember, Organisation, Store};
use vanguard_shared::geofence::Geofence;
use vanguard_shared::{MemberStatus, OrgKind, Role, TimeZone};

pub const DEMO_PASSWORD: &str = "demo-password";
/// Where the demo branches meet (latitude, longitude): today's 主题党日 is
/// fenced 300 m around it. The browser tests stand a phone here.
pub const DEMO_ROOM: (f64, f64) = (30.2741, 120.1551);

const NAMES: [&str; 20] = [
    "王建国",
    "李秀英",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "黄丽",
    "周明",
    "吴敏",
    "徐强",
    "孙婷",
    "胡军",
    "朱琳",
    "高峰",
    "林芳",
    "何涛",
    "郭燕",
    "马超",
    "罗佳",
];

fn org(parent: Option<&Organisation>, kind: OrgKind, name: &str, at: i64) -> Organisation {
    Organisation {
        id: new_id(),
        parent_id: parent.map(|p| p.id.clone()),
        kind,
        name: name.to_string(),
        time_zone: TimeZone::DEFAULT.to_string(),
        created_at: at,
    }
}

/// Seeds the demo organisation if the database is empty; answers whether it did.
pub async fn seed_if_empty(store: &Store) -> Result<bool, AccountsError> {
    if !store.accounts().is_empty().await? {
        return Ok(false);
    }
    let at = now_secs();
    let committee = org(None, OrgKind::Committee, "机关党委", at);
    let mut orgs = vec![committee.clone()];
    let mut members = Vec::new();
    // One hash for every demo account: they share the password anyway, and
    // twenty-five Argon2 runs would slow every first start.
    let hash = password::hash(DEMO_PASSWORD)
        .await
        .map_err(crate::auth::AuthError::from)?;
    let mut add = |username: String,
                   name: &str,
                   home: &Organisation,
                   group: Option<&Organisation>,
                   status,
                   roles: &[Role]| {
        let mut roles = roles.to_vec();
        roles.push(Role::Member);
        roles.sort();
        roles.dedup();
        members.push(NewMember {
            member: Member {
                id: new_id(),
                username,
                name: name.to_string(),
                status,
                org_id: home.id.clone(),
                group_id: group.map(|g| g.id.clone()),
                roles,
                active: true,
            },
            password_hash: hash.clone(),
            created_at: at,
        });
    };

    for (b, branch_name) in ["第一党支部", "第二党支部"].into_iter().enumerate() {
        let branch = org(Some(&committee), OrgKind::Branch, branch_name, at);
        let groups = [
            org(Some(&branch), OrgKind::Group, "第一党小组", at),
            org(Some(&branch), OrgKind::Group, "第二党小组", at),
        ];
        for i in 0..10 {
            let n = b * 10 + i + 1;
            let group = &groups[i / 5];
            // The first of each group leads it; one in each branch is probationary.
            let roles: &[Role] = if i % 5 == 0 {
                &[Role::GroupLeader]
            } else {
                &[]
            };
            let status = if i == 9 {
                MemberStatus::Probationary
            } else {
                MemberStatus::Full
            };
            add(
                format!("member{n:02}"),
                NAMES[n - 1],
                &branch,
                Some(group),
                status,
                roles,
            );
        }
        let (secretary, officer) = if b == 0 {
            ("赵书记", "钱委员")
        } else {
            ("孙书记", "李委员")
        };
        add(
            format!("secretary{:02}", b + 1),
            secretary,
            &branch,
            Some(&groups[0]),
            MemberStatus::Full,
            &[Role::Secretary],
        );
        add(
            format!("officer{:02}", b + 1),
            officer,
            &branch,
            Some(&groups[1]),
            MemberStatus::Full,
            &[Role::OrgOfficer],
        );
        orgs.push(branch);
        orgs.extend(groups);
    }
    add(
        "admin".to_string(),
        "周管理",
        &committee,
        None,
        MemberStatus::Full,
        &[Role::CommitteeAdmin],
    );
    store.accounts().insert_batch(&orgs, &members).await?;
    Ok(true)
}

/// The demo's branch events for this month and the next, each written by
/// the branch secretary through the events document, as their phone would:
/// today's 主题党日 with a rotating check-in code, a 党课 next week, and next
/// month's 主题党日 and 支部党员大会.
pub async fn seed_events(
    store: &Store,
    host: &crate::events::EventHost,
) -> Result<(), crate::events::EventError> {
    use chrono::{Datelike, Duration, FixedOffset, NaiveDate, TimeZone as _, Timelike, Utc};
    use vanguard_shared::ledger::Kind;
    // Asia/Shanghai keeps no daylight saving time: a fixed +08:00 is exact.
    let tz =
        FixedOffset::east_opt(8 * 3600).ok_or(crate::events::EventError::Invalid("时区".into()))?;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let next_month = NaiveDate::from_ymd_opt(
        if today.month() == 12 {
            today.year() + 1
        } else {
            today.year()
        },
        today.month() % 12 + 1,
        1,
    )
    .unwrap_or(today);
    let at = |day: NaiveDate, h: u32, m: u32| {
        day.and_hms_opt(h, m, 0)
            .and_then(|t| tz.from_local_datetime(&t).single())
            .ok_or_else(|| crate::events::EventError::Invalid("demo time".into()))
    };
    for branch in store
        .accounts()
        .organisations()
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Branch)
    {
        let Some(secretary) = store
            .accounts()
            .members_under(&branch.id)
            .await?
            .into_iter()
            .find(|m| m.org_id == branch.id && m.roles.contains(&Role::Secretary))
        else {
            continue;
        };
        // Today's 主题党日 spans the hour the demo starts in, whatever the
        // clock says, so its code can be tried at once.
        let opening = Utc::now().with_timezone(&tz) - Duration::hours(1);
        let opening = at(opening.date_naive(), opening.hour(), 0)?;
        let lecture = today + Duration::days(7);
        let theme = next_month + Duration::days(9);
        let meeting = next_month + Duration::days(19);
        let events = [
            (
                Kind::ThemeDay,
                format!("{}月主题党日：重温入党誓词", today.month()),
                opening,
                Some(opening + Duration::hours(8)),
                true,
                // The branch's activity room, 300 m around it.
                Geofence::new(DEMO_ROOM.0, DEMO_ROOM.1, 300.0).ok(),
            ),
            (
                Kind::PartyLecture,
                "专题党课：学习党章".to_string(),
                at(lecture, 15, 0)?,
                Some(at(lecture, 17, 0)?),
                false,
                None,
            ),
            (
                Kind::ThemeDay,
                format!("{}月主题党日：志愿服务进社区", next_month.month()),
                at(theme, 9, 0)?,
                Some(at(theme, 11, 30)?),
                true,
                None,
            ),
            (
                Kind::BranchMeeting,
                "支部党员大会".to_string(),
                at(meeting, 14, 30)?,
                None,
                false,
                None,
            ),
        ];
        for (kind, title, start, end, with_code, geofence) in events {
            let draft = crate::events::EventDraft {
                kind,
                title,
                start,
                end,
                place: Some("党员活动室".into()),
                with_code,
                geofence,
                group_id: None,
            };
            host.create(&secretary, draft).await?;
        }
    }
    Ok(())
}

/// A few of the first branch's members' check-ins, waiting for review, so
/// a newcomer's `/console/review` shows what the queue is for: a check-in
/// at today's 主题党日 with its right code and one with a wrong one,
/// volunteering (once for more hours than a day holds), a visit, and a
/// leave request for next week's 党课. Written as the members' own phones
/// would, through the document gate. The members are ones the tests leave
/// alone (member08–10).
pub async fn seed_records(
    store: &Store,
    sync: &crate::sync::SyncService,
) -> Result<(), crate::sync::SyncError> {
    use chrono::{Datelike, Duration, Utc};
    use vanguard_shared::documents::edit::add_record;
    use vanguard_shared::documents::schema::LEAVE;
    use vanguard_shared::documents::{DocId, NewRecord};
    use vanguard_shared::event_code::CodeKey;
    use vanguard_shared::ledger::Kind;
    let china = chrono::FixedOffset::east_opt(8 * 3600)
        .ok_or_else(|| crate::sync::SyncError::Malformed("时区".into()))?;
    let now = Utc::now().with_timezone(&china);
    let year = now.year();
    let accounts = store.accounts();
    let (Some(m08), Some(m09), Some(m10)) = (
        accounts.member_by_username("member08").await?,
        accounts.member_by_username("member09").await?,
        accounts.member_by_username("member10").await?,
    ) else {
        return Ok(());
    };
    let events = store.events().of_branch(&m08.org_id, year).await?;
    let today = events
        .iter()
        .find(|e| e.event.kind == Kind::ThemeDay && e.event.start <= now && !e.event.cancelled);
    let lecture = events
        .iter()
        .find(|e| e.event.kind == Kind::PartyLecture && e.event.start > now);
    let mut records: Vec<(&Member, NewRecord)> = Vec::new();
    if let Some(today) = today {
        let seed = store.events().seed(&today.event.event_id).await?;
        let right = seed.and_then(|s| {
            let key = CodeKey::parse(&s.code_key).ok()?;
            key.code_at(&today.event.event_id, s.seed, now.fixed_offset())
        });
        let at_event = |code: Option<String>| NewRecord {
            kind: Kind::ThemeDay.as_str().into(),
            occurred_at: Some(now.fixed_offset() - Duration::minutes(2)),
            event_id: Some(today.event.event_id.clone()),
            place: today.event.place.clone(),
            code,
            ..Default::default()
        };
        records.push((&m08, at_event(right)));
        records.push((&m09, at_event(Some("ABCDE-FGHJK".into()))));
    }
    let earlier = |hours: i64| {
        let t = now.fixed_offset() - Duration::hours(hours);
        // Early in January, keep it inside the year.
        Some(if t.year() == year {
            t
        } else {
            now.fixed_offset()
        })
    };
    records.push((
        &m10,
        NewRecord {
            kind: Kind::Volunteer.as_str().into(),
            occurred_at: earlier(26),
            hours: Some(2.5),
            place: Some("社区服务中心".into()),
            note: Some("为独居老人打扫卫生".into()),
            ..Default::default()
        },
    ));
    records.push((
        &m10,
        NewRecord {
            kind: Kind::Volunteer.as_str().into(),
            occurred_at: earlier(5),
            hours: Some(14.0),
            place: Some("防汛值守点".into()),
            ..Default::default()
        },
    ));
    records.push((
        &m09,
        NewRecord {
            kind: Kind::Visit.as_str().into(),
            occurred_at: earlier(3),
            place: Some("幸福社区".into()),
            note: Some("走访困难党员家庭".into()),
            ..Default::default()
        },
    ));
    if let Some(lecture) = lecture {
        records.push((
            &m10,
            NewRecord {
                kind: LEAVE.into(),
                occurred_at: Some(now.fixed_offset()),
                event_id: Some(lecture.event.event_id.clone()),
                note: Some("外出培训".into()),
                ..Default::default()
            },
        ));
    }
    for (member, record) in records {
        let doc = DocId::checkins(&member.id, year);
        let id = uuid::Uuid::new_v4().to_string();
        sync.edit(member, &doc, |d| add_record(d, &id, &record))
            .await?;
    }
    Ok(())
}
