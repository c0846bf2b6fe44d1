//! Charts drawn on the server as plain SVG, each with its text alternative:
//! participation by month and by kind, and the attendance rate per meeting
//! type, for a branch's ledger page and a member's sheet. Plain SVG is a
//! few lines here, where a charting crate would bring fonts and backends.

use chrono::{Datelike, TimeZone};
use std::collections::BTreeMap;
use std::fmt::Write;
use vanguard_shared::documents::view::Attended;
use vanguard_shared::documents::EventEntry;
use vanguard_shared::ledger::{Chart, Kind, Ledger, Outcome};

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 220.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 36.0;
const LEFT: f64 = 8.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A bar chart of `bars` (label, value); `unit` follows each value.
pub fn bars(title: &str, unit: &str, bars: &[(String, f64)]) -> Chart {
    let alt = if bars.is_empty() {
        "暂无数据".to_string()
    } else {
        bars.iter()
            .map(|(label, v)| format!("{label} {}{unit}", number(*v)))
            .collect::<Vec<_>>()
            .join("，")
    };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"{}\"><title>{}</title>",
        escape(title),
        escape(&format!("{title}：{alt}"))
    );
    let top = bars.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let n = bars.len().max(1) as f64;
    let slot = (WIDTH - 2.0 * LEFT) / n;
    let bar = (slot * 0.6).min(48.0);
    let room = HEIGHT - TOP - BOTTOM;
    // Long labels in narrow slots get a smaller type.
    let type_size = if slot < 70.0 { 11 } else { 14 };
    let _ = write!(
        svg,
        "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#ccc\"/>",
        y = HEIGHT - BOTTOM,
        x2 = WIDTH - LEFT
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let h = if top > 0.0 { v / top * room } else { 0.0 };
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let y = HEIGHT - BOTTOM - h;
        let mid = x + bar / 2.0;
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"#b71c1c\" rx=\"2\"/>\
             <text x=\"{mid:.1}\" y=\"{ty:.1}\" font-size=\"{type_size}\" text-anchor=\"middle\" fill=\"#333\">{value}</text>\
             <text x=\"{mid:.1}\" y=\"{ly:.1}\" font-size=\"{type_size}\" text-anchor=\"middle\" fill=\"#555\">{label}</text>",
            ty = y - 6.0,
            ly = HEIGHT - BOTTOM + 18.0,
            value = escape(&format!("{}{unit}", number(*v))),
            label = escape(label),
        );
    }
    svg.push_str("</svg>");
    Chart {
        title: title.to_string(),
        alt,
        svg,
    }
}

/// Whole numbers plainly, others to one decimal.
fn number(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Counted entries of `ledgers` by local month (January to the last one
/// with any) and by kind.
pub fn participation<'a>(
    ledgers: impl IntoIterator<Item = &'a Ledger>,
    tz: chrono_tz::Tz,
) -> [Chart; 2] {
    let mut by_month = [0u32; 12];
    let mut by_kind: BTreeMap<Kind, u32> = BTreeMap::new();
    for ledger in ledgers {
        for e in ledger.entries.iter().filter(|e| e.counted) {
            if let Some(t) = e.occurred_at {
                by_month[tz.from_utc_datetime(&t.naive_utc()).month0() as usize] += 1;
            }
            if let Some(kind) = e.kind {
                *by_kind.entry(kind).or_default() += 1;
            }
        }
    }
    let last = by_month.iter().rposition(|n| *n > 0).map_or(0, |i| i + 1);
    let months: Vec<(String, f64)> = by_month[..last]
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("{}月", i + 1), f64::from(*n)))
        .collect();
    let kinds: Vec<(String, f64)> = by_kind
        .into_iter()
        .map(|(k, n)| (k.label().to_string(), f64::from(n)))
        .collect();
    [
        bars("每月计入台账的记录（条）", "", &months),
        bars("按类型计入台账的记录（条）", "", &kinds),
    ]
}

/// The share of attendance rows of each meeting type that were 出席 or 迟到.
pub fn attendance_rate<'a>(
    rows: impl IntoIterator<Item = &'a Attended>,
    events: &[EventEntry],
) -> Chart {
    let mut by_kind: BTreeMap<Kind, (u32, u32)> = BTreeMap::new();
    for row in rows {
        let Some(event) = events
            .iter()
            .find(|e| e.event_id == row.event_id && !e.cancelled)
        else {
            continue;
        };
        let (came, all) = by_kind.entry(event.kind).or_default();
        *all += 1;
        if matches!(row.outcome, Outcome::Present | Outcome::Late) {
            *came += 1;
        }
    }
    let rates: Vec<(String, f64)> = by_kind
        .into_iter()
        .map(|(k, (came, all))| {
            (
                k.label().to_string(),
                f64::from(came) * 100.0 / f64::from(all.max(1)),
            )
        })
        .collect();
    bars("各类会议出勤率", "%", &rates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_draws_each_bar_and_says_it_in_words() {
        let chart = bars(
            "出勤",
            "%",
            &[("主题党日".into(), 90.0), ("党课<".into(), 75.5)],
        );
        assert_eq!(chart.alt, "主题党日 90%，党课< 75.5%");
        assert_eq!(chart.svg.matches("<rect").count(), 2);
        assert!(chart.svg.contains("党课&lt;") && !chart.svg.contains("党课<"));
        assert!(chart.svg.starts_with("<svg") && chart.svg.ends_with("</svg>"));
        // The tallest bar fills the room; the other is in proportion.
        assert!(chart.svg.contains("height=\"156.0\""), "{}", chart.svg);
        assert_eq!(bars("空", "", &[]).alt, "暂无数据");
    }
}
