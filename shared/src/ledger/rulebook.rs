//! The rulebook: a branch's (or its committee's) points scheme for one year,
//! written in TOML by people, versioned, and checked on load. Every field is
//! documented in docs/rulebook.md.

use super::kinds::{Appraisal, Grade, Kind, Outcome, Period, Section, Side};
use super::points::Points;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use toml::Spanned;

/// Why a rulebook failed to load: where, which rule, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} 第 {line} 行：{}{message}", rule.as_ref().map(|r| format!("规则“{r}”：")).unwrap_or_default())]
pub struct RulebookError {
    pub file: String,
    pub line: usize,
    pub rule: Option<String>,
    pub message: String,
}

/// How a rule prices one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pricing {
    /// The same points whatever the outcome (a deduction when negative).
    Flat(Points),
    /// Points by attendance outcome; an outcome not listed earns nothing.
    ByOutcome(BTreeMap<Outcome, Points>),
    /// Points per hour (volunteering); the record carries the hours.
    PerHour(Points),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cap {
    pub period: Period,
    pub max: Points,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: std::sync::Arc<str>,
    pub name: String,
    pub kind: Kind,
    pub section: Section,
    pub side: Side,
    pub pricing: Pricing,
    /// Limits on the positive points this rule grants per period.
    pub caps: Vec<Cap>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionCap {
    pub section: Section,
    pub period: Period,
    pub max: Points,
}

/// What a veto (一票否决) does to the year-end grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VetoEffect {
    /// The member cannot be 优秀.
    NotExcellent,
    /// The member is 不合格.
    Unqualified,
}

crate::codes::deserialize_by_code!(VetoEffect);

impl VetoEffect {
    pub const ALL: [VetoEffect; 2] = [VetoEffect::NotExcellent, VetoEffect::Unqualified];

    pub fn as_str(self) -> &'static str {
        match self {
            VetoEffect::NotExcellent => "not_excellent",
            VetoEffect::Unqualified => "unqualified",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Veto {
    pub id: String,
    pub name: String,
    pub effect: VetoEffect,
}

/// The lowest total for each grade; below `basic` is 不合格.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bands {
    pub excellent: Points,
    pub qualified: Points,
    pub basic: Points,
}

impl Bands {
    /// Bands must be strictly decreasing, or two grades would overlap.
    pub(crate) fn check(&self) -> Result<(), &'static str> {
        if self.excellent > self.qualified && self.qualified > self.basic {
            Ok(())
        } else {
            Err("等次分数线重叠：须 优秀 > 合格 > 基本合格")
        }
    }

    pub fn grade(&self, total: Points) -> Grade {
        if total >= self.excellent {
            Grade::Excellent
        } else if total >= self.qualified {
            Grade::Qualified
        } else if total >= self.basic {
            Grade::Basic
        } else {
            Grade::Unqualified
        }
    }
}

/// A side of the dual standard: the subtotal it needs for 优秀, and below
/// which it fails (capping the grade at the rulebook's `side_fail_cap`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideThresholds {
    pub excellent: Points,
    pub pass: Points,
}

/// What the unit's annual appraisal (业务) is worth: points for each grade,
/// and up to `tasks` more in proportion to the tasks completed of those
/// assigned. Listed under 工作完成情况, on the 业务 side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppraisalPricing {
    pub excellent: Points,
    pub competent: Points,
    pub basic: Points,
    pub incompetent: Points,
    #[serde(default)]
    pub tasks: Points,
    /// Nobody is proposed 优秀 until the appraisal is entered: without it
    /// nobody is known to do the job well (双好).
    #[serde(default)]
    pub required_for_excellent: bool,
}

impl Default for AppraisalPricing {
    /// For rulebooks written before the job side had a table of its own.
    fn default() -> Self {
        AppraisalPricing {
            excellent: Points::whole(20),
            competent: Points::whole(10),
            basic: Points::ZERO,
            incompetent: Points::whole(-10),
            tasks: Points::whole(10),
            required_for_excellent: false,
        }
    }
}

impl AppraisalPricing {
    pub fn of(&self, appraisal: Appraisal) -> Points {
        match appraisal {
            Appraisal::Excellent => self.excellent,
            Appraisal::Competent => self.competent,
            Appraisal::Basic => self.basic,
            Appraisal::Incompetent => self.incompetent,
        }
    }
}

/// What a committee expects of each branch below it, for the committee
/// view: how often each kind of meeting is due, and whether branches are
/// ranked (never, unless the committee turns it on).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitteeRules {
    #[serde(default)]
    pub rank_branches: bool,
    /// Kind code → `month`, `quarter` or `year`.
    #[serde(default = "default_cadence")]
    pub cadence: BTreeMap<String, Period>,
}

impl Default for CommitteeRules {
    fn default() -> Self {
        CommitteeRules {
            rank_branches: false,
            cadence: default_cadence(),
        }
    }
}

/// 主题党日, 支委会 and 党小组会 monthly; 支部党员大会 and 党课 quarterly;
/// 组织生活会 yearly.
fn default_cadence() -> BTreeMap<String, Period> {
    [
        (Kind::ThemeDay, Period::Month),
        (Kind::CommitteeMeeting, Period::Month),
        (Kind::GroupMeeting, Period::Month),
        (Kind::BranchMeeting, Period::Quarter),
        (Kind::PartyLecture, Period::Quarter),
        (Kind::LifeMeeting, Period::Year),
    ]
    .into_iter()
    .map(|(k, p)| (k.as_str().to_string(), p))
    .collect()
}

impl CommitteeRules {
    /// What a rulebook read from JSON holds: nothing is due.
    fn unread() -> Self {
        CommitteeRules {
            rank_branches: false,
            cadence: BTreeMap::new(),
        }
    }

    /// The cadence as kinds, in the vocabulary's order.
    pub fn due(&self) -> Vec<(Kind, Period)> {
        Kind::ALL
            .iter()
            .filter_map(|k| self.cadence.get(k.as_str()).map(|p| (*k, *p)))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rulebook {
    pub id: String,
    pub version: u32,
    pub year: i32,
    pub base: Points,
    pub floor: Points,
    pub bands: Bands,
    pub party: SideThresholds,
    pub job: SideThresholds,
    /// The best grade a member failing either side can get (党务业务双否决).
    pub side_fail_cap: Grade,
    /// The largest magnitude of one manual adjustment.
    pub max_adjustment: Points,
    /// The share of 优秀 a branch may have, e.g. 1/3, as (numerator, denominator).
    pub excellent_quota: (u32, u32),
    /// Ranking is off unless the branch turns it on (the 2026 notice).
    pub ranking: bool,
    pub rules: Vec<Rule>,
    pub section_caps: Vec<SectionCap>,
    pub vetoes: Vec<Veto>,
    #[serde(default)]
    pub appraisal: AppraisalPricing,
    /// Read from the TOML on the server; never sent to phones, so a
    /// rulebook read from JSON (the phone's) has none, and the default
    /// cadence stays out of the phone's bundle.
    #[serde(skip, default = "CommitteeRules::unread")]
    pub committee: CommitteeRules,
}

impl Rulebook {
    /// The rule that prices records of `kind`.
    pub fn rule_for(&self, kind: Kind) -> Option<(usize, &Rule)> {
        self.rules.iter().enumerate().find(|(_, r)| r.kind == kind)
    }

    pub fn side(&self, side: Side) -> &SideThresholds {
        match side {
            Side::Party => &self.party,
            Side::Job => &self.job,
        }
    }

    /// Loads and checks a rulebook; `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Rulebook, RulebookError> {
        let raw: RawBook = parse_toml(file, text)?;
        raw.check(file, text)
    }
}

/// Picks the rulebook in force for an organisation in a year: the nearest
/// organisation up the tree (`ancestry`, nearest first) that has one for the
/// year, at its highest version. A branch without its own inherits its
/// committee's.
pub fn in_force<'a>(
    books: &'a [(String, Rulebook)],
    ancestry: &[&str],
    year: i32,
) -> Option<&'a Rulebook> {
    ancestry.iter().find_map(|org| {
        books
            .iter()
            .filter(|(owner, b)| owner == org && b.year == year)
            .map(|(_, b)| b)
            .max_by_key(|b| b.version)
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl RulebookError {
    /// An error at a byte offset of `text`, which it turns into a line.
    pub(crate) fn at(
        file: &str,
        text: &str,
        offset: usize,
        rule: Option<&str>,
        message: String,
    ) -> Self {
        RulebookError {
            file: file.to_string(),
            line: line_of(text, offset),
            rule: rule.map(str::to_string),
            message,
        }
    }
}

/// Parses TOML into the raw shape of a rulebook or checklist; syntax and
/// shape errors name their line.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, RulebookError> {
    toml::from_str(text).map_err(|e| {
        RulebookError::at(
            file,
            text,
            e.span().map(|s| s.start).unwrap_or(0),
            None,
            format!("TOML 格式错误：{}", e.message().trim()),
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBook {
    id: String,
    version: u32,
    year: i32,
    base: Points,
    #[serde(default)]
    floor: Points,
    #[serde(default)]
    ranking: bool,
    #[serde(default = "default_max_adjustment")]
    max_adjustment: Points,
    #[serde(default = "default_quota")]
    excellent_quota: String,
    #[serde(default = "default_fail_cap")]
    side_fail_cap: Grade,
    grades: Spanned<Bands>,
    sides: RawSides,
    #[serde(default, rename = "rules")]
    rules: Vec<Spanned<RawRule>>,
    #[serde(default)]
    section_caps: Vec<Spanned<SectionCap>>,
    #[serde(default)]
    vetoes: Vec<Spanned<Veto>>,
    #[serde(default)]
    appraisal: AppraisalPricing,
    #[serde(default)]
    committee: CommitteeRules,
}

fn default_max_adjustment() -> Points {
    Points::whole(10)
}

fn default_quota() -> String {
    "1/3".to_string()
}

fn default_fail_cap() -> Grade {
    Grade::Basic
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSides {
    party: SideThresholds,
    job: SideThresholds,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    #[serde(default)]
    name: Option<String>,
    kind: String,
    section: Option<String>,
    side: Option<String>,
    points: Option<RawPoints>,
    per_hour: Option<Points>,
    #[serde(default)]
    caps: Vec<Cap>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPoints {
    Flat(Points),
    ByOutcome(BTreeMap<String, Points>),
}

impl RawBook {
    fn check(self, file: &str, text: &str) -> Result<Rulebook, RulebookError> {
        let err = |offset: usize, rule: Option<&str>, message: String| {
            RulebookError::at(file, text, offset, rule, message)
        };
        let bands_at = self.grades.span().start;
        let bands = self.grades.into_inner();
        bands.check().map_err(|m| err(bands_at, None, m.into()))?;
        if self.floor > self.base {
            return Err(err(0, None, "最低分高于基础分".into()));
        }
        let quota = parse_quota(&self.excellent_quota).ok_or_else(|| {
            err(
                0,
                None,
                format!("优秀比例“{}”不是 1/3 这样的分数", self.excellent_quota),
            )
        })?;

        let mut ids = HashSet::new();
        let mut kinds = HashSet::new();
        let mut rules = Vec::new();
        for spanned in self.rules {
            let at = spanned.span().start;
            let raw = spanned.into_inner();
            let id = raw.id.clone();
            let fail = |m: String| err(at, Some(&id), m);
            if !ids.insert(raw.id.clone()) {
                return Err(fail("已有同一编号的规则".into()));
            }
            let kind: Kind = raw.kind.parse().map_err(|e: crate::org::VocabularyError| {
                fail(format!("未知的类型“{}”", e.value))
            })?;
            if !kinds.insert(kind) {
                return Err(fail(format!("类型“{kind}”已由另一条规则计分")));
            }
            let section: Section = raw
                .section
                .as_deref()
                .ok_or_else(|| fail("规则未指定栏目（section）".into()))?
                .parse()
                .map_err(|e: crate::org::VocabularyError| {
                    fail(format!("未知的栏目“{}”", e.value))
                })?;
            let side: Side = raw
                .side
                .as_deref()
                .ok_or_else(|| fail("规则未指定党建或业务（side）".into()))?
                .parse()
                .map_err(|e: crate::org::VocabularyError| {
                    fail(format!("未知的方面“{}”", e.value))
                })?;
            let pricing = match (raw.points, raw.per_hour) {
                (Some(RawPoints::Flat(p)), None) => Pricing::Flat(p),
                (Some(RawPoints::ByOutcome(map)), None) => {
                    let mut by = BTreeMap::new();
                    for (outcome, p) in map {
                        let o: Outcome =
                            outcome.parse().map_err(|e: crate::org::VocabularyError| {
                                fail(format!("未知的出勤结果“{}”", e.value))
                            })?;
                        by.insert(o, p);
                    }
                    Pricing::ByOutcome(by)
                }
                (None, Some(rate)) => Pricing::PerHour(rate),
                (None, None) => return Err(fail("须给出 points 或 per_hour".into())),
                (Some(_), Some(_)) => return Err(fail("points 与 per_hour 只能给出一个".into())),
            };
            let one = match &pricing {
                Pricing::Flat(p) => *p,
                Pricing::ByOutcome(by) => by.values().copied().max().unwrap_or(Points::ZERO),
                // A cap must allow at least one hour.
                Pricing::PerHour(rate) => *rate,
            };
            for cap in &raw.caps {
                if cap.max < one || !cap.max.is_positive() {
                    return Err(fail(format!(
                        "{}上限 {} 低于一次的分值（{one}）",
                        cap.period.label(),
                        cap.max
                    )));
                }
            }
            rules.push(Rule {
                name: raw.name.unwrap_or_else(|| kind.label().to_string()),
                id: raw.id.into(),
                kind,
                section,
                side,
                pricing,
                caps: raw.caps,
            });
        }

        let mut section_caps = Vec::new();
        for spanned in self.section_caps {
            let at = spanned.span().start;
            let cap = spanned.into_inner();
            if !cap.max.is_positive() {
                return Err(err(
                    at,
                    None,
                    format!("栏目“{}”的上限须为正数", cap.section.label()),
                ));
            }
            section_caps.push(cap);
        }
        for kind in self.committee.cadence.keys() {
            kind.parse::<Kind>()
                .map_err(|e: crate::org::VocabularyError| {
                    err(0, None, format!("会议频次中未知的类型“{}”", e.value))
                })?;
        }
        let mut veto_ids = HashSet::new();
        let mut vetoes = Vec::new();
        for spanned in self.vetoes {
            let at = spanned.span().start;
            let veto = spanned.into_inner();
            if !veto_ids.insert(veto.id.clone()) {
                return Err(err(at, None, format!("否决项“{}”重复列出", veto.id)));
            }
            vetoes.push(veto);
        }
        let book = Rulebook {
            id: self.id,
            version: self.version,
            year: self.year,
            base: self.base,
            floor: self.floor,
            bands,
            party: self.sides.party,
            job: self.sides.job,
            side_fail_cap: self.side_fail_cap,
            max_adjustment: self.max_adjustment,
            excellent_quota: quota,
            ranking: self.ranking,
            rules,
            section_caps,
            vetoes,
            appraisal: self.appraisal,
            committee: self.committee,
        };
        book.bounded()
            .map_err(|(rule, message)| err(0, rule.as_deref(), message))?;
        Ok(book)
    }
}

/// The largest magnitude of any number a rulebook gives (points, caps,
/// bands, thresholds): far above any real scheme, far below where the
/// engine's sums could overflow.
pub const MAX_POINTS: Points = Points::whole(10_000);

impl Rulebook {
    /// Every number the engine adds or multiplies, within `MAX_POINTS`:
    /// the first that is not, with its rule and what it is.
    fn bounded(&self) -> Result<(), (Option<String>, String)> {
        let check = |rule: Option<&str>, what: &str, p: Points| {
            if p.hundredths().abs() > MAX_POINTS.hundredths() {
                Err((
                    rule.map(str::to_string),
                    format!("{what} {p} 超出允许范围：绝对值不能超过 {MAX_POINTS}"),
                ))
            } else {
                Ok(())
            }
        };
        let book = [
            ("基础分（base）", self.base),
            ("最低分（floor）", self.floor),
            ("优秀分数线", self.bands.excellent),
            ("合格分数线", self.bands.qualified),
            ("基本合格分数线", self.bands.basic),
            ("党建优秀线", self.party.excellent),
            ("党建及格线", self.party.pass),
            ("业务优秀线", self.job.excellent),
            ("业务及格线", self.job.pass),
            ("单次调整上限（max_adjustment）", self.max_adjustment),
            ("考核优秀分值", self.appraisal.excellent),
            ("考核称职分值", self.appraisal.competent),
            ("考核基本称职分值", self.appraisal.basic),
            ("考核不称职分值", self.appraisal.incompetent),
            ("任务完成分值（tasks）", self.appraisal.tasks),
        ];
        for (what, p) in book {
            check(None, what, p)?;
        }
        for rule in &self.rules {
            let id = Some(&*rule.id);
            match &rule.pricing {
                Pricing::Flat(p) | Pricing::PerHour(p) => check(id, "分值", *p)?,
                Pricing::ByOutcome(by) => {
                    for p in by.values() {
                        check(id, "分值", *p)?;
                    }
                }
            }
            for cap in &rule.caps {
                check(id, "上限", cap.max)?;
            }
        }
        for cap in &self.section_caps {
            check(
                None,
                &format!("栏目“{}”的上限", cap.section.label()),
                cap.max,
            )?;
        }
        Ok(())
    }
}

fn parse_quota(text: &str) -> Option<(u32, u32)> {
    let (n, d) = text.split_once('/')?;
    let (n, d) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
    (d > 0 && n <= d).then_some((n, d))
}

/// The rulebook that ships, drawn from DOMAIN.md.
pub const DEFAULT_TOML: &str = include_str!("../../rulebooks/default.toml");

pub fn default_rulebook() -> Rulebook {
    // Checked by a unit test; a broken shipped file is a build defect.
    Rulebook::from_toml("default.toml", DEFAULT_TOML)
        .expect("the shipped default rulebook is valid")
}
