//! The branch assessment (六化): the 19-item, 100-point checklist as a form.
//! The branch checks itself, noting its evidence; the committee above
//! spot-checks, and its finding prevails; the shared engine (`assess`)
//! prices both. The result feeds the committee view.

use super::{audit, local_time, now, YearEnd, YearEndError};
use crate::accounts::Names;
use crate::policy::{self, Refusal};
use crate::storage::{FindingRow, Member, Store};
use std::collections::{BTreeMap, HashMap};
use vanguard_shared::ledger::assessment::{
    assess, Assessment, Checklist, Finding, Score, Stage, LIUHUA_TOML,
};
use vanguard_shared::ledger::year_end::{
    standing_label, AssessmentItemView, BranchAssessmentView, FindingInput,
};
use vanguard_shared::ledger::Points;

/// The checklist in use: the shipped 六化 sheet.
pub fn checklist() -> Result<Checklist, YearEndError> {
    Checklist::from_toml("liuhua_checklist.toml", LIUHUA_TOML)
        .map_err(|e| YearEndError::Invalid(e.to_string()))
}

fn stage_code(s: Stage) -> &'static str {
    match s {
        Stage::SelfCheck => "self_check",
        Stage::SpotCheck => "spot_check",
    }
}

fn score_of(code: &str) -> Option<Score> {
    match code {
        "met" => Some(Score::Met),
        "partly" => Some(Score::Partly),
        "not_met" => Some(Score::NotMet),
        _ => None,
    }
}

fn finding(r: &FindingRow) -> Option<Finding> {
    Some(Finding {
        item_id: r.item_id.clone(),
        stage: match r.stage.as_str() {
            "self_check" => Stage::SelfCheck,
            "spot_check" => Stage::SpotCheck,
            _ => return None,
        },
        score: score_of(&r.score)?,
        note: r.note.clone(),
        by: r.found_by.clone(),
    })
}

/// Scores of some branches' year, by branch, from their stored findings:
/// `None` for a branch with none.
pub async fn scores(
    store: &Store,
    branch_ids: &[&str],
    year: i32,
) -> Result<HashMap<String, Assessment>, YearEndError> {
    let list = checklist()?;
    let mut by_branch: HashMap<String, Vec<Finding>> = HashMap::new();
    for r in store.year_end().findings_of(branch_ids, year).await? {
        if let Some(f) = finding(&r) {
            by_branch.entry(r.branch_id.clone()).or_default().push(f);
        }
    }
    let mut out = HashMap::new();
    for (branch, findings) in by_branch {
        let a = assess(&list, &findings).map_err(|e| YearEndError::Invalid(e.to_string()))?;
        out.insert(branch, a);
    }
    Ok(out)
}

impl YearEnd<'_> {
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch = %branch_id))]
    pub async fn assessment(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
    ) -> Result<BranchAssessmentView, YearEndError> {
        let store = self.store;
        let scope = self.readable(viewer, branch_id, year).await?;
        let (branch, year) = (&scope.branch, scope.year);
        let list = checklist()?;
        let rows = store.year_end().findings_of(&[&branch.id], year).await?;
        let findings: Vec<Finding> = rows.iter().filter_map(finding).collect();
        let result = assess(&list, &findings).map_err(|e| YearEndError::Invalid(e.to_string()))?;
        let at =
            |item: &str, stage: &str| rows.iter().find(|r| r.item_id == item && r.stage == stage);
        let mut names = Names::new(store, &[]);
        let mut items = Vec::with_capacity(result.items.len());
        for i in &result.items {
            let own = at(&i.item_id, "self_check");
            let spot = at(&i.item_id, "spot_check");
            let spot_by = match spot {
                Some(r) => names
                    .of(&r.found_by)
                    .await?
                    .map(|n| format!("{n} {}", local_time(r.found_at))),
                None => None,
            };
            items.push(AssessmentItemView {
                item_id: i.item_id.clone(),
                heading: i.heading.clone(),
                name: i.name.clone(),
                max: i.max,
                self_score: own.map(|r| r.score.clone()),
                self_note: own.map(|r| r.note.clone()).unwrap_or_default(),
                spot_score: spot.map(|r| r.score.clone()),
                spot_note: spot.map(|r| r.note.clone()).unwrap_or_default(),
                spot_by,
                granted: i.granted,
            });
        }
        let mut possible: BTreeMap<&str, Points> = BTreeMap::new();
        for i in &list.items {
            *possible.entry(i.heading.as_str()).or_default() += i.max;
        }
        // In the checklist's own order of headings.
        let mut headings: Vec<(String, Points, Points)> = Vec::new();
        for i in &list.items {
            if !headings.iter().any(|(h, ..)| *h == i.heading) {
                headings.push((
                    i.heading.clone(),
                    result.headings.get(&i.heading).copied().unwrap_or_default(),
                    possible
                        .get(i.heading.as_str())
                        .copied()
                        .unwrap_or_default(),
                ));
            }
        }
        Ok(BranchAssessmentView {
            branch_id: branch.id.clone(),
            branch_name: branch.name.clone(),
            year,
            self_checked: items.iter().filter(|i| i.self_score.is_some()).count(),
            spot_checked: items.iter().filter(|i| i.spot_score.is_some()).count(),
            items,
            headings,
            total: result.total,
            out_of: result.out_of,
            standing: result.standing,
            standing_label: standing_label(result.standing).to_string(),
            can_self_check: policy::decides_year_end(viewer, &scope.chain),
            can_spot_check: policy::spot_checks(viewer, &scope.chain),
        })
    }

    /// Stores one stage's findings: the self-check by the branch's deciders
    /// (or the committee above), the spot-check by a committee admin above.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch = %branch_id))]
    pub async fn save_assessment(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
        spot_check: bool,
        inputs: &[FindingInput],
    ) -> Result<BranchAssessmentView, YearEndError> {
        let scope = self.readable(viewer, branch_id, year).await?;
        let (branch, year) = (&scope.branch, scope.year);
        let allowed = if spot_check {
            policy::spot_checks(viewer, &scope.chain)
        } else {
            policy::decides_year_end(viewer, &scope.chain)
        };
        if !allowed {
            return Err(Refusal::Forbidden(if spot_check {
                "只有上级党委管理员可以抽查"
            } else {
                "只有本支部书记、组织委员或上级党委管理员可以填写自查"
            })
            .into());
        }
        let list = checklist()?;
        let stage = if spot_check {
            Stage::SpotCheck
        } else {
            Stage::SelfCheck
        };
        let mut errors = Vec::new();
        let mut rows = Vec::new();
        let at = now();
        for input in inputs {
            let Some(item) = list.items.iter().find(|i| i.id == input.item_id) else {
                errors.push(format!("没有第 {} 项", input.item_id));
                continue;
            };
            if score_of(&input.score).is_none() {
                errors.push(format!(
                    "第 {} 项“{}”：请选择 达到、部分达到 或 未达到",
                    item.id, item.name
                ));
                continue;
            }
            if input.note.chars().count() > 300 {
                errors.push(format!(
                    "第 {} 项“{}”：说明不能超过 300 字",
                    item.id, item.name
                ));
                continue;
            }
            if rows.iter().any(|r: &FindingRow| r.item_id == item.id) {
                errors.push(format!("第 {} 项重复填写", item.id));
                continue;
            }
            rows.push(FindingRow {
                branch_id: branch.id.clone(),
                year,
                item_id: item.id.clone(),
                stage: stage_code(stage).to_string(),
                score: input.score.clone(),
                note: input.note.trim().to_string(),
                found_by: viewer.id.clone(),
                found_at: at,
            });
        }
        if !errors.is_empty() {
            return Err(YearEndError::Invalid(format!(
                "未保存：{}",
                errors.join("；")
            )));
        }
        if rows.is_empty() {
            return Err(YearEndError::Invalid("请至少评定一项".into()));
        }
        let what = if spot_check { "抽查" } else { "自查" };
        let line = audit(
            viewer,
            "assessment_saved",
            format!("assessment:{}:{year}", branch.id),
            format!("{} 六化{what} {} 项", branch.name, rows.len()),
        );
        self.store.year_end().put_findings(&rows, &line).await?;
        self.assessment(viewer, &branch.id, Some(year)).await
    }
}
