//! Reading the audit log (`/console/audit`, `GET /api/audit`): every
//! decision with its actor, device or address, time and what changed,
//! filtered by actor, member, kind and date. A branch's secretary and
//! officers read the lines of their branch, a committee admin those of
//! everything below them; members read none.

use crate::exports::{Cell, Table};
use crate::policy;
use crate::storage::{AuditFilter, AuditLine, Member, Store, StoreError};
use chrono::{NaiveDate, TimeZone};
use std::collections::HashMap;
use vanguard_shared::audit::{kind_label, TrailLine, KINDS};

#[derive(Debug, thiserror::Error)]
pub enum AuditTrailError {
    #[error("只有书记、组织委员或上级党委管理员可以查看审计日志")]
    Forbidden,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The trail's filters as a request gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct TrailQuery {
    /// A member id or username.
    pub actor: Option<String>,
    /// A member id or username.
    pub member: Option<String>,
    /// A code of `vanguard_shared::audit::KINDS`.
    pub kind: Option<String>,
    /// `YYYY-MM-DD`, Beijing time, both days included.
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The most lines one answer holds.
pub const SHOWN: usize = 500;
/// Lines read per round while looking for those in scope.
const ROUND: i64 = 2000;
const ROUNDS: usize = 25;

/// Who and what is in a viewer's scope, with the names lines are shown by.
struct Scope {
    members: HashMap<String, String>,
    usernames: HashMap<String, String>,
    /// Each member's username, by id.
    username_of: HashMap<String, String>,
    orgs: HashMap<String, String>,
}

impl Scope {
    async fn of(store: &Store, viewer: &Member) -> Result<Scope, AuditTrailError> {
        if !policy::reads_audit(viewer) {
            return Err(AuditTrailError::Forbidden);
        }
        let root = &viewer.org_id;
        let members = store.accounts().members_under(root).await?;
        let orgs = store.accounts().organisations_under(root).await?;
        let mut scope = Scope {
            members: HashMap::new(),
            usernames: HashMap::new(),
            username_of: HashMap::new(),
            orgs: orgs.into_iter().map(|o| (o.id, o.name)).collect(),
        };
        if let Some(top) = store.accounts().ancestry(root).await?.first() {
            scope.orgs.insert(top.id.clone(), top.name.clone());
        }
        for m in members {
            scope.usernames.insert(m.username.clone(), m.id.clone());
            scope.username_of.insert(m.id.clone(), m.username);
            scope.members.insert(m.id, m.name);
        }
        Ok(scope)
    }

    fn holds(&self, line: &AuditLine) -> bool {
        self.members.contains_key(&line.member_id)
            || self.usernames.contains_key(&line.member_id)
            || line
                .subject
                .split(':')
                .any(|part| self.members.contains_key(part) || self.orgs.contains_key(part))
    }

    /// A member id for an id, username or (unambiguous) name in scope.
    fn member(&self, who: &str) -> Result<Option<String>, AuditTrailError> {
        let who = who.trim();
        if self.members.contains_key(who) {
            return Ok(Some(who.to_string()));
        }
        if let Some(id) = self.usernames.get(who) {
            return Ok(Some(id.clone()));
        }
        let named: Vec<&String> = self
            .members
            .iter()
            .filter(|(_, name)| name.as_str() == who)
            .map(|(id, _)| id)
            .collect();
        match named.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some((*one).clone())),
            _ => Err(AuditTrailError::Invalid(format!(
                "有 {} 名成员叫“{who}”，请用用户名查找",
                named.len()
            ))),
        }
    }

    fn name(&self, id: &str) -> String {
        self.members
            .get(id)
            .or_else(|| self.usernames.get(id).and_then(|m| self.members.get(m)))
            .or_else(|| self.orgs.get(id))
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// What a line was done to, in words.
    fn subject(&self, subject: &str) -> String {
        let parts: Vec<&str> = subject.split(':').collect();
        match parts.as_slice() {
            ["checkins", m, y] => format!("{} 的签到与请假（{y}）", self.name(m)),
            ["reviews", m, y] => format!("{} 的审核记录（{y}）", self.name(m)),
            ["events", b, y] => format!("{} 的活动与考勤（{y}）", self.name(b)),
            ["member", m] => self.name(m),
            ["evaluation", b, y] => format!("{} {y} 年度评议", self.name(b)),
            ["job", b, y] => format!("{} {y} 年度业务考核", self.name(b)),
            ["assessment", b, y] => format!("{} {y} 年度六化评定", self.name(b)),
            ["rulebook", o, y] => format!("{} {y} 年度积分细则", self.name(o)),
            [one] => self.name(one),
            _ => subject.to_string(),
        }
    }
}

/// By which door a line came, in words.
fn door_of(line: &AuditLine) -> &'static str {
    match (line.action.as_str(), line.peer_id.as_str()) {
        ("import", _) => "导入",
        (_, crate::door::WEB) => "网页",
        (_, crate::door::API) => "接口",
        (_, crate::storage::EDIT_DEVICE) => "网页或接口",
        (_, "cli") => "命令行",
        ("sync", _) => "手机同步",
        ("login" | "login_failed" | "logout", _) => "登录",
        _ => "",
    }
}

/// A synced change's line, in words by what it changed.
fn changes_in_words(kind: &str, changes: usize) -> String {
    let what = match kind {
        "checkin" => "签到与请假",
        "review" => "审核与调整",
        "attendance" => "活动与考勤",
        _ => "文档",
    };
    format!("{what}：同步 {changes} 处更改")
}

/// A line's kind code: its action, and for document changes the document.
fn kind_of(line: &AuditLine) -> &str {
    if line.action != "sync" {
        return &line.action;
    }
    match line.subject.split(':').next() {
        Some("checkins") => "checkin",
        Some("reviews") => "review",
        Some("events") => "attendance",
        _ => "sync",
    }
}

/// The stored action (and documents) a kind code reads.
fn action_of(kind: &str) -> Result<(String, Option<String>), AuditTrailError> {
    let docs = match kind {
        "checkin" => Some("checkins"),
        "review" => Some("reviews"),
        "attendance" => Some("events"),
        other if KINDS.iter().any(|(c, _)| *c == other) => None,
        other => return Err(AuditTrailError::Invalid(format!("未知的类别“{other}”"))),
    };
    Ok(match docs {
        Some(d) => ("sync".to_string(), Some(d.to_string())),
        None => (kind.to_string(), None),
    })
}

fn day_start(text: &str, what: &str) -> Result<i64, AuditTrailError> {
    let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        AuditTrailError::Invalid(format!("{what}“{text}”不是 YYYY-MM-DD 格式的日期"))
    })?;
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    Ok(chrono_tz::Asia::Shanghai
        .from_local_datetime(&midnight)
        .earliest()
        .map_or(0, |t| t.timestamp()))
}

fn local(at: i64) -> String {
    chrono_tz::Asia::Shanghai
        .timestamp_opt(at, 0)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// A filter's value, unless blank.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The newest lines in the viewer's scope matching the query, newest first.
/// The audit log as its readers may see it.
pub struct AuditTrail<'a> {
    store: &'a Store,
}

impl<'a> AuditTrail<'a> {
    pub fn new(store: &'a Store) -> Self {
        AuditTrail { store }
    }
}

impl AuditTrail<'_> {
    #[tracing::instrument(skip_all, fields(caller = %viewer.id))]
    pub async fn trail(
        &self,
        viewer: &Member,
        query: &TrailQuery,
    ) -> Result<Vec<TrailLine>, AuditTrailError> {
        let store = self.store;
        let scope = Scope::of(store, viewer).await?;
        let mut filter = AuditFilter::default();
        if let Some(actor) = given(&query.actor) {
            // A failed sign-in's actor is the username tried.
            filter.actor = Some(scope.member(actor)?.unwrap_or_else(|| actor.to_string()));
        }
        if let Some(member) = given(&query.member) {
            filter.member = Some(
                scope
                    .member(member)?
                    .ok_or_else(|| AuditTrailError::Invalid(format!("找不到成员“{member}”")))?,
            );
        }
        // Actors above the viewer's scope (a committee admin), by name.
        let mut outside: HashMap<String, Option<(String, String)>> = HashMap::new();
        if let Some(kind) = given(&query.kind) {
            filter.action = Some(action_of(kind)?);
        }
        if let Some(from) = given(&query.from) {
            filter.from = Some(day_start(from, "开始日期")?);
        }
        if let Some(to) = given(&query.to) {
            filter.to = Some(day_start(to, "结束日期")? + 24 * 3600);
        }
        let mut out = Vec::new();
        let mut before = None;
        for _ in 0..ROUNDS {
            let lines = store.audit().search(&filter, before, ROUND).await?;
            let done = (lines.len() as i64) < ROUND;
            before = lines.last().map(|l| l.id);
            for line in lines.iter().filter(|l| scope.holds(l)) {
                let kind = kind_of(line).to_string();
                let detail = match (&line.detail, line.action.as_str()) {
                    (Some(d), _) => d.clone(),
                    (None, "sync") => changes_in_words(&kind, line.changes),
                    (None, _) => String::new(),
                };
                let (actor, actor_username) = match line.member_id.as_str() {
                    "cli" => ("命令行".to_string(), String::new()),
                    id if scope.members.contains_key(id) => (
                        scope.name(id),
                        scope.username_of.get(id).cloned().unwrap_or_default(),
                    ),
                    // A failed sign-in's actor is the username tried.
                    id if scope.usernames.contains_key(id) => (scope.name(id), id.to_string()),
                    id => {
                        if !outside.contains_key(id) {
                            let found = store.accounts().member(id).await?;
                            outside.insert(id.to_string(), found.map(|m| (m.name, m.username)));
                        }
                        match outside.get(id).cloned().flatten() {
                            Some((name, username)) => (name, username),
                            None => (id.to_string(), String::new()),
                        }
                    }
                };
                out.push(TrailLine {
                    id: line.id,
                    at: local(line.at),
                    actor,
                    actor_id: line.member_id.clone(),
                    actor_username,
                    door: door_of(line).to_string(),
                    device: line.peer_id.clone(),
                    kind_label: kind_label(&kind).to_string(),
                    kind,
                    subject: scope.subject(&line.subject),
                    detail,
                });
                if out.len() == SHOWN {
                    return Ok(out);
                }
            }
            if done {
                break;
            }
        }
        Ok(out)
    }
}

/// The trail as an export table.
pub fn table(lines: &[TrailLine], title: String) -> Table {
    Table {
        title,
        header: [
            "时间",
            "操作人",
            "用户名",
            "途径",
            "设备或地址",
            "类别",
            "对象",
            "内容",
        ]
        .map(String::from)
        .to_vec(),
        rows: lines
            .iter()
            .map(|l| {
                vec![
                    Cell::from(l.at.as_str()),
                    l.actor.as_str().into(),
                    l.actor_username.as_str().into(),
                    l.door.as_str().into(),
                    l.device.as_str().into(),
                    l.kind_label.as_str().into(),
                    l.subject.as_str().into(),
                    l.detail.as_str().into(),
                ]
            })
            .collect(),
    }
}
