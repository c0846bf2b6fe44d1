//! A line of the audit trail as the console and the JSON API show it: who
//! did what to what, when and from where, in words.

use serde::{Deserialize, Serialize};

/// The kinds of line, as the trail's filter names them: `(code, label)`.
pub const KINDS: [(&str, &str); 18] = [
    ("checkin", "签到与请假"),
    ("review", "审核与调整"),
    ("attendance", "活动与考勤"),
    ("review_decided", "审核决定"),
    ("attendance_marked", "考勤记录"),
    ("login", "登录"),
    ("login_failed", "登录失败"),
    ("password_reset", "重置密码"),
    ("import", "导入成员"),
    ("rulebook_published", "发布积分细则"),
    ("job_results", "业务考核"),
    ("grade_override", "改评"),
    ("veto_recorded", "否决项"),
    ("evaluation_locked", "锁定评议"),
    ("evaluation_reopened", "重新开启评议"),
    ("notice_published", "发布公示"),
    ("assessment_saved", "六化评定"),
    ("member_changed", "成员变更"),
];

/// The label of a kind's code.
pub fn kind_label(code: &str) -> &str {
    KINDS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, l)| l)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailLine {
    pub id: i64,
    /// Local time, `YYYY-MM-DD HH:MM:SS`.
    pub at: String,
    /// Who, by name where known.
    pub actor: String,
    pub actor_id: String,
    /// Who, by username, where known.
    #[serde(default)]
    pub actor_username: String,
    /// The device (a phone's peer id) or the address it came from.
    pub device: String,
    /// By which door, in words: 网页, 接口, 手机同步, 导入, 命令行, 登录.
    #[serde(default)]
    pub door: String,
    pub kind: String,
    pub kind_label: String,
    /// What it was done to, in words.
    pub subject: String,
    /// What changed.
    pub detail: String,
}
