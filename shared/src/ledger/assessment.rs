//! Branch assessment (seed 001): a committee scores its branches against a
//! weighted checklist, such as the 19-item, 100-point "六化" sheet. The
//! checklist is a rulebook of its own, with the same points, bands, load-time
//! checks and explanations as the member ledger: each item's weight is its
//! cap, each finding is priced by its level, and every point traces to its
//! item, finding, stage and assessor.

use super::kinds::Grade;
use super::points::Points;
use super::rulebook::{parse_toml, Bands, RulebookError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use toml::Spanned;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub heading: String,
    pub name: String,
    pub max: Points,
}

/// The share of an item's weight each level of finding earns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Levels {
    pub met: f64,
    pub partly: f64,
    pub not_met: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checklist {
    pub id: String,
    pub version: u32,
    pub year: i32,
    pub bands: Bands,
    pub levels: Levels,
    pub items: Vec<Item>,
}

impl Checklist {
    pub fn total(&self) -> Points {
        self.items.iter().map(|i| i.max).sum()
    }

    pub fn from_toml(file: &str, text: &str) -> Result<Checklist, RulebookError> {
        let err = |offset: usize, rule: Option<&str>, message: String| {
            RulebookError::at(file, text, offset, rule, message)
        };
        let raw: RawChecklist = parse_toml(file, text)?;
        let bands_at = raw.grades.span().start;
        let bands = raw.grades.into_inner();
        bands.check().map_err(|m| err(bands_at, None, m.into()))?;
        let l = &raw.levels;
        let fractions = [l.met, l.partly, l.not_met];
        if fractions.iter().any(|f| !(0.0..=1.0).contains(f))
            || !(l.met >= l.partly && l.partly >= l.not_met)
        {
            return Err(err(
                0,
                None,
                "levels must be shares between 0 and 1 with met ≥ partly ≥ not_met".into(),
            ));
        }
        let mut ids = HashSet::new();
        let mut items = Vec::new();
        for spanned in raw.items {
            let at = spanned.span().start;
            let item = spanned.into_inner();
            if !ids.insert(item.id.clone()) {
                return Err(err(
                    at,
                    Some(&item.id),
                    "an item with this id already exists".into(),
                ));
            }
            if !item.max.is_positive() {
                return Err(err(
                    at,
                    Some(&item.id),
                    "an item's weight must be positive".into(),
                ));
            }
            if item.heading.trim().is_empty() {
                return Err(err(
                    at,
                    Some(&item.id),
                    "the item is under no heading".into(),
                ));
            }
            items.push(item);
        }
        Ok(Checklist {
            id: raw.id,
            version: raw.version,
            year: raw.year,
            bands,
            levels: raw.levels,
            items,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChecklist {
    id: String,
    version: u32,
    year: i32,
    grades: Spanned<Bands>,
    levels: Levels,
    items: Vec<Spanned<Item>>,
}

/// The five stages of seed 001; self-check and spot-check produce findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 自查: the branch's own check.
    SelfCheck,
    /// 抽查: the committee's spot-check, which prevails.
    SpotCheck,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "value")]
pub enum Score {
    Met,
    Partly,
    NotMet,
    /// Points given directly (a deduction sheet); cut to the item's weight.
    Points(Points),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub item_id: String,
    pub stage: Stage,
    pub score: Score,
    pub note: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessmentError {
    #[error("no item “{0}” on the checklist")]
    UnknownItem(String),
    #[error("item “{0}” has two findings at one stage")]
    DuplicateFinding(String),
    #[error("item “{0}”: points must not be negative")]
    NegativePoints(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub item_id: String,
    pub heading: String,
    pub name: String,
    pub max: Points,
    pub granted: Points,
    /// The finding that decided, if any; an item with none earns 0.
    pub decided_by: Option<Finding>,
    /// The self-check's figure when a spot-check overruled it.
    pub self_check: Option<Points>,
    pub capped: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub checklist_id: String,
    pub checklist_version: u32,
    pub items: Vec<ItemResult>,
    pub headings: BTreeMap<String, Points>,
    pub total: Points,
    pub out_of: Points,
    pub standing: Grade,
}

impl Levels {
    fn price(&self, score: Score, max: Points) -> Points {
        let share = match score {
            Score::Met => self.met,
            Score::Partly => self.partly,
            Score::NotMet => self.not_met,
            Score::Points(p) => return p,
        };
        Points::from_f64(max.as_f64() * share).unwrap_or(Points::ZERO)
    }
}

/// Prices one branch's findings. The same findings in any order give the same result.
pub fn assess(list: &Checklist, findings: &[Finding]) -> Result<Assessment, AssessmentError> {
    let mut seen = HashSet::new();
    for f in findings {
        if !list.items.iter().any(|i| i.id == f.item_id) {
            return Err(AssessmentError::UnknownItem(f.item_id.clone()));
        }
        if !seen.insert((f.item_id.as_str(), f.stage)) {
            return Err(AssessmentError::DuplicateFinding(f.item_id.clone()));
        }
        if matches!(f.score, Score::Points(p) if p.is_negative()) {
            return Err(AssessmentError::NegativePoints(f.item_id.clone()));
        }
    }
    let mut headings = BTreeMap::new();
    let items: Vec<ItemResult> = list
        .items
        .iter()
        .map(|item| {
            let at = |stage| {
                findings
                    .iter()
                    .find(|f| f.item_id == item.id && f.stage == stage)
            };
            let spot = at(Stage::SpotCheck);
            let own = at(Stage::SelfCheck);
            let decided_by = spot.or(own).cloned();
            let nominal = decided_by
                .as_ref()
                .map(|f| list.levels.price(f.score, item.max))
                .unwrap_or_default();
            let granted = nominal.min(item.max);
            *headings.entry(item.heading.clone()).or_insert(Points::ZERO) += granted;
            ItemResult {
                item_id: item.id.clone(),
                heading: item.heading.clone(),
                name: item.name.clone(),
                max: item.max,
                granted,
                self_check: spot
                    .and(own)
                    .map(|f| list.levels.price(f.score, item.max).min(item.max)),
                decided_by,
                capped: nominal > item.max,
            }
        })
        .collect();
    let total = items.iter().map(|i| i.granted).sum();
    Ok(Assessment {
        checklist_id: list.id.clone(),
        checklist_version: list.version,
        standing: list.bands.grade(total),
        out_of: list.total(),
        items,
        headings,
        total,
    })
}

/// The shipped "六化" sheet.
pub const LIUHUA_TOML: &str = include_str!("../../rulebooks/liuhua_checklist.toml");

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> Checklist {
        Checklist::from_toml("liuhua_checklist.toml", LIUHUA_TOML).unwrap()
    }

    fn finding(item: &str, stage: Stage, score: Score) -> Finding {
        Finding {
            item_id: item.into(),
            stage,
            score,
            note: String::new(),
            by: "工委评估组".into(),
        }
    }

    #[test]
    fn the_liuhua_sheet_has_19_items_worth_100() {
        let s = sheet();
        assert_eq!((s.items.len(), s.total()), (19, Points::whole(100)));
        let headings: HashSet<_> = s.items.iter().map(|i| i.heading.as_str()).collect();
        assert_eq!(headings.len(), 6);
    }

    #[test]
    fn spot_checks_prevail_and_weights_cap() {
        let s = sheet();
        let mut findings: Vec<Finding> = s
            .items
            .iter()
            .map(|i| finding(&i.id, Stage::SelfCheck, Score::Met))
            .collect();
        findings.push(finding("19", Stage::SpotCheck, Score::Partly));
        findings.push(finding(
            "11",
            Stage::SpotCheck,
            Score::Points(Points::whole(9)),
        ));
        let a = assess(&s, &findings).unwrap();
        let item = |id: &str| a.items.iter().find(|i| i.item_id == id).unwrap();
        assert_eq!(
            (item("19").granted, item("19").self_check),
            (Points::whole(5), Some(Points::whole(10)))
        );
        assert_eq!(
            (item("11").granted, item("11").capped),
            (Points::whole(6), true)
        );
        assert_eq!(a.total, Points::whole(95));
        assert_eq!(a.headings["保障机制精准化"], Points::whole(5));
        assert_eq!(a.standing, Grade::Excellent);

        findings.reverse();
        assert_eq!(assess(&s, &findings).unwrap(), a, "order does not matter");
        let none = assess(&s, &[]).unwrap();
        assert_eq!(
            (none.total, none.standing),
            (Points::ZERO, Grade::Unqualified)
        );
    }

    #[test]
    fn bad_findings_and_sheets_are_refused() {
        let s = sheet();
        assert_eq!(
            assess(&s, &[finding("20", Stage::SelfCheck, Score::Met)]),
            Err(AssessmentError::UnknownItem("20".into()))
        );
        let twice = [
            finding("1", Stage::SelfCheck, Score::Met),
            finding("1", Stage::SelfCheck, Score::NotMet),
        ];
        assert!(matches!(
            assess(&s, &twice),
            Err(AssessmentError::DuplicateFinding(_))
        ));
        let negative = [finding(
            "1",
            Stage::SpotCheck,
            Score::Points(Points::whole(-1)),
        )];
        assert!(matches!(
            assess(&s, &negative),
            Err(AssessmentError::NegativePoints(_))
        ));

        let zero = LIUHUA_TOML.replace(
            "name = \"检查评比\"\nmax = 4",
            "name = \"检查评比\"\nmax = 0",
        );
        let e = Checklist::from_toml("sheet.toml", &zero).unwrap_err();
        assert_eq!(e.rule.as_deref(), Some("10"));
        assert_eq!(
            e.line,
            LIUHUA_TOML
                .lines()
                .position(|l| l == "id = \"10\"")
                .unwrap()
        );
    }
}
