//! What a ledger entry can be about: the kinds of record a member checks in
//! to (DOMAIN.md), the facts a secretary records, and attendance outcomes.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident = $code:literal / $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        crate::codes::deserialize_by_code!($name);

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl FromStr for $name {
            type Err = crate::org::VocabularyError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    other => Err(crate::org::VocabularyError {
                        what: $what,
                        value: other.to_string(),
                        expected: concat!($($code, " "),+),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// The kind of a record: what happened. The first ten are what members
    /// check in to; the rest are facts a secretary or officer records.
    Kind, "record kind" {
        ThemeDay = "theme_day" / "主题党日",
        BranchMeeting = "branch_meeting" / "支部党员大会",
        CommitteeMeeting = "committee_meeting" / "支委会",
        GroupMeeting = "group_meeting" / "党小组会",
        PartyLecture = "party_lecture" / "党课",
        LifeMeeting = "life_meeting" / "组织生活会",
        Study = "study" / "集中学习",
        Volunteer = "volunteer" / "志愿服务",
        Visit = "visit" / "走访",
        Talk = "talk" / "谈心谈话",
        Training = "training" / "培训",
        Contribution = "contribution" / "重要贡献",
        DuesUnpaid = "dues_unpaid" / "未按时交纳党费",
        TaskShirked = "task_shirked" / "推诿任务",
        Misconduct = "misconduct" / "不当言行",
        JobPerformance = "job_performance" / "岗位业绩",
    }
}

vocabulary! {
    /// How a member took part in a scheduled event.
    Outcome, "attendance outcome" {
        Present = "present" / "出席",
        Late = "late" / "迟到",
        Excused = "excused" / "请假",
        Unexcused = "unexcused" / "无故缺席",
        MadeUp = "made_up" / "补学",
    }
}

vocabulary! {
    /// What an approved leave was for.
    LeaveKind, "leave kind" {
        Official = "official" / "因公",
        Personal = "personal" / "因私",
    }
}

vocabulary! {
    /// What an officer marks on the attendance sheet: an [`Outcome`], with
    /// leave split by what it was for.
    AttendanceMark, "attendance outcome" {
        Present = "present" / "出席",
        Late = "late" / "迟到",
        ExcusedOfficial = "excused_official" / "请假（因公）",
        ExcusedPersonal = "excused_personal" / "请假（因私）",
        Unexcused = "unexcused" / "无故缺席",
        MadeUp = "made_up" / "补学",
    }
}

impl AttendanceMark {
    /// The outcome the ledger prices, and the leave's kind.
    pub fn outcome(self) -> (Outcome, Option<LeaveKind>) {
        match self {
            AttendanceMark::Present => (Outcome::Present, None),
            AttendanceMark::Late => (Outcome::Late, None),
            AttendanceMark::ExcusedOfficial => (Outcome::Excused, Some(LeaveKind::Official)),
            AttendanceMark::ExcusedPersonal => (Outcome::Excused, Some(LeaveKind::Personal)),
            AttendanceMark::Unexcused => (Outcome::Unexcused, None),
            AttendanceMark::MadeUp => (Outcome::MadeUp, None),
        }
    }

    /// The mark a stored row shows as; a leave of no stated kind reads as personal.
    pub fn of(outcome: Outcome, leave: Option<LeaveKind>) -> AttendanceMark {
        match (outcome, leave) {
            (Outcome::Present, _) => AttendanceMark::Present,
            (Outcome::Late, _) => AttendanceMark::Late,
            (Outcome::Excused, Some(LeaveKind::Official)) => AttendanceMark::ExcusedOfficial,
            (Outcome::Excused, _) => AttendanceMark::ExcusedPersonal,
            (Outcome::Unexcused, _) => AttendanceMark::Unexcused,
            (Outcome::MadeUp, _) => AttendanceMark::MadeUp,
        }
    }
}

vocabulary! {
    /// The four sections of a member's sheet (seed 004).
    Section, "ledger section" {
        WorkCompletion = "work_completion" / "工作完成情况",
        OrganisationalLife = "organisational_life" / "组织生活情况",
        LeaveAndTrips = "leave_and_trips" / "请假出差情况",
        ActualConduct = "actual_conduct" / "现实表现情况",
    }
}

vocabulary! {
    /// The two sides of the dual standard (双好).
    Side, "side of the dual standard" {
        Party = "party" / "党建",
        Job = "job" / "业务",
    }
}

vocabulary! {
    /// A cap's period.
    Period, "period" {
        Year = "year" / "全年",
        Quarter = "quarter" / "每季度",
        Month = "month" / "每月",
    }
}

vocabulary! {
    /// Year-end grades, best first.
    Grade, "grade" {
        Excellent = "excellent" / "优秀",
        Qualified = "qualified" / "合格",
        Basic = "basic" / "基本合格",
        Unqualified = "unqualified" / "不合格",
    }
}

vocabulary! {
    /// The unit's annual appraisal of a member's work (年度考核), the 业务
    /// side of the dual standard.
    Appraisal, "appraisal" {
        Excellent = "excellent" / "优秀",
        Competent = "competent" / "称职",
        Basic = "basic" / "基本称职",
        Incompetent = "incompetent" / "不称职",
    }
}

impl Appraisal {
    /// The appraisal a unit's own word names: the four grades, and the
    /// words units commonly use for them.
    pub fn from_words(word: &str) -> Option<Appraisal> {
        let w = word.trim();
        if let Ok(a) = w.parse() {
            return Some(a);
        }
        Some(match w {
            "优秀" | "优" | "A" | "a" => Appraisal::Excellent,
            "称职" | "合格" | "良好" | "良" | "B" | "b" => Appraisal::Competent,
            "基本称职" | "基本合格" | "C" | "c" => Appraisal::Basic,
            "不称职" | "不合格" | "D" | "d" => Appraisal::Incompetent,
            _ => return None,
        })
    }
}

impl Grade {
    /// The lower of two grades.
    pub fn worst(self, other: Grade) -> Grade {
        // Declared best first, so the larger discriminant is the worse grade.
        self.max(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), *k);
        }
        let err = "party".parse::<Kind>().unwrap_err();
        assert!(err.expected.contains("theme_day"));
        assert_eq!(Grade::Excellent.worst(Grade::Basic), Grade::Basic);
        assert_eq!(
            Grade::Unqualified.worst(Grade::Qualified),
            Grade::Unqualified
        );
    }
}
