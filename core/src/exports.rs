//! Exports people open in Excel: the branch ledger and a member's sheet as
//! .xlsx (real numbers, a title row naming the organisation, year and
//! rulebook, a frozen header row, columns wide enough for Chinese) and as
//! CSV (UTF-8 with a byte order mark, without which Excel misreads Chinese).

use crate::ledger::{FactsCache, LedgerError, Ledgers};
use crate::storage::{Member, Store};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use vanguard_shared::ledger::{subtotal, BranchLedger, Mode, Points, Section, Sheet, Side};

#[derive(Debug, thiserror::Error)]
#[error("导出失败：{0}")]
pub struct ExportError(#[from] XlsxError);

/// One cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
}

impl From<Points> for Cell {
    fn from(p: Points) -> Self {
        Cell::Number(p.hundredths() as f64 / 100.0)
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<usize> for Cell {
    fn from(n: usize) -> Self {
        Cell::Number(n as f64)
    }
}

/// What an export holds: a title, the column names, the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The branch table: one row per member.
pub fn branch_table(l: &BranchLedger) -> Table {
    let mut header: Vec<String> = ["姓名", "党小组", "身份"].map(String::from).to_vec();
    header.extend(Section::ALL.iter().map(|s| s.label().to_string()));
    header.extend(Side::ALL.iter().map(|s| s.label().to_string()));
    header.extend(["总分", "预估等次", "最终等次", "待审核", "已退回"].map(String::from));
    if l.ranking {
        header.push("排名".into());
    }
    let rows = l
        .rows
        .iter()
        .map(|r| {
            let mut row: Vec<Cell> = vec![
                r.name.as_str().into(),
                r.group_name.clone().unwrap_or_default().into(),
                r.status_label.as_str().into(),
            ];
            row.extend(
                Section::ALL
                    .iter()
                    .map(|s| Cell::from(subtotal(&r.sections, *s))),
            );
            row.extend(Side::ALL.iter().map(|s| Cell::from(subtotal(&r.sides, *s))));
            row.push(r.total.into());
            row.push(r.proposed_label.as_str().into());
            // The locked grade, or blank while the year is open.
            row.push(r.final_label.clone().unwrap_or_default().into());
            row.push(r.pending.into());
            row.push(r.returned.into());
            if l.ranking {
                row.push(r.rank.unwrap_or_default().into());
            }
            row
        })
        .collect();
    Table {
        title: format!(
            "{} {} 年党员量化积分台账（{}）",
            l.branch_name, l.year, l.rulebook_label
        ),
        header,
        rows,
    }
}

/// A member's sheet: one row per entry, then the totals.
pub fn sheet_table(s: &Sheet, organisation: &str) -> Table {
    let header = [
        "日期",
        "事项",
        "计分规则",
        "栏目",
        "方面",
        "分值",
        "计入",
        "说明",
        "审核人",
        "审核日期",
        "经过",
    ]
    .map(String::from)
    .to_vec();
    let mut rows: Vec<Vec<Cell>> = s
        .entries
        .iter()
        .map(|e| {
            vec![
                e.date.clone().unwrap_or_default().into(),
                e.what.as_str().into(),
                e.rule_name.clone().unwrap_or_default().into(),
                e.section.map(|x| x.label()).unwrap_or_default().into(),
                e.side.map(|x| x.label()).unwrap_or_default().into(),
                e.nominal.into(),
                e.granted.into(),
                e.note_label.clone().unwrap_or_default().into(),
                e.reviewer_name.clone().unwrap_or_default().into(),
                e.reviewed_at
                    .as_deref()
                    .map(|t| t.get(..10).unwrap_or(t).to_string())
                    .unwrap_or_default()
                    .into(),
                e.history.join("；").into(),
            ]
        })
        .collect();
    let total_row = |label: &str, value: Cell| {
        let mut row: Vec<Cell> = vec!["".into(), label.into()];
        row.extend((0..4).map(|_| Cell::from("")));
        row.push(value);
        row
    };
    rows.push(total_row("基础分", s.base.into()));
    rows.push(total_row("总分", s.total.into()));
    rows.push(total_row("预估等次", s.proposed_label.as_str().into()));
    Table {
        title: format!(
            "{organisation} {} {} 年积分清单（{}）",
            s.member_name, s.year, s.rulebook_label
        ),
        header,
        rows,
    }
}

/// The ledgers as files: each export a table and a file name for it
/// (without extension), to whoever may read what it holds.
pub struct Exports<'a> {
    store: &'a Store,
    cache: &'a FactsCache,
}

impl<'a> Exports<'a> {
    pub fn new(store: &'a Store, cache: &'a FactsCache) -> Self {
        Exports { store, cache }
    }
}

impl Exports<'_> {
    /// The branch table of `branch_id` to export, with a file name for it
    /// (without extension); to whoever may read the table.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, branch_id = %branch_id, year = ?year))]
    pub async fn branch_ledger(
        &self,
        viewer: &Member,
        branch_id: &str,
        year: Option<i32>,
    ) -> Result<(Table, String), LedgerError> {
        let table = Ledgers::new(self.store, self.cache)
            .branch_ledger(viewer, branch_id, year)
            .await?;
        let name = format!("{}{}年台账", table.branch_name, table.year);
        Ok((branch_table(&table), name))
    }

    /// A member's sheet to export, titled with their organisation, and a file
    /// name for it; to whoever may read the member's records.
    #[tracing::instrument(skip_all, fields(caller = %viewer.id, member_id = %member_id, year = ?year))]
    pub async fn member_sheet(
        &self,
        viewer: &Member,
        member_id: &str,
        year: Option<i32>,
        mode: Mode,
    ) -> Result<(Table, String), LedgerError> {
        let store = self.store;
        let sheet = Ledgers::new(store, self.cache)
            .member_sheet(viewer, member_id, year, mode)
            .await?;
        let organisation = match store.accounts().member(member_id).await? {
            Some(m) => store
                .accounts()
                .organisation(&m.org_id)
                .await?
                .map(|o| o.name),
            None => None,
        };
        let name = format!("{}{}年积分清单", sheet.member_name, sheet.year);
        Ok((
            sheet_table(&sheet, organisation.as_deref().unwrap_or_default()),
            name,
        ))
    }
}

/// How wide a text shows: a Chinese character takes two columns.
fn display_width(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// The table as an .xlsx workbook.
pub fn xlsx(t: &Table) -> Result<Vec<u8>, ExportError> {
    let mut w = XlsxWriter::new(&t.title, &t.header)?;
    for row in &t.rows {
        w.push(row)?;
    }
    w.finish()
}

/// A workbook written a row at a time: the worksheet keeps its rows in a
/// temporary file (rust_xlsxwriter's constant memory mode), so a
/// committee's thousands of rows take the memory of one.
pub struct XlsxWriter {
    book: Workbook,
    widths: Vec<usize>,
    next: u32,
}

impl XlsxWriter {
    /// The title over the table's width, the header under it, frozen.
    pub fn new(title: &str, header: &[String]) -> Result<Self, ExportError> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name("台账")?;
        let title_format = Format::new().set_bold().set_font_size(14);
        let head = Format::new().set_bold().set_background_color("#F3E5E5");
        let columns = header.len().max(1);
        if columns > 1 {
            sheet.merge_range(0, 0, 0, (columns - 1) as u16, title, &title_format)?;
        } else {
            sheet.write_string_with_format(0, 0, title, &title_format)?;
        }
        for (c, h) in header.iter().enumerate() {
            sheet.write_string_with_format(1, c as u16, h, &head)?;
        }
        sheet.set_freeze_panes(2, 0)?;
        Ok(XlsxWriter {
            book,
            widths: header.iter().map(|h| display_width(h)).collect(),
            next: 2,
        })
    }

    pub fn push(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        let r = self.next;
        self.next += 1;
        let sheet = self.book.worksheet_from_index(0)?;
        for (c, cell) in row.iter().enumerate() {
            match cell {
                Cell::Text(text) if text.is_empty() => {}
                Cell::Text(text) => {
                    sheet.write_string(r, c as u16, text)?;
                    if let Some(w) = self.widths.get_mut(c) {
                        *w = (*w).max(display_width(text));
                    }
                }
                Cell::Number(n) => {
                    sheet.write_number(r, c as u16, *n)?;
                }
            }
        }
        Ok(())
    }

    /// Column widths that fit what was written, then the file's bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, ExportError> {
        let sheet = self.book.worksheet_from_index(0)?;
        for (c, w) in self.widths.iter().enumerate() {
            sheet.set_column_width(c as u16, (*w).clamp(6, 60) as f64 + 2.0)?;
        }
        Ok(self.book.save_to_buffer()?)
    }
}

/// A text cell a spreadsheet will show as text: one that begins like a
/// formula (`=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading
/// `'` (OWASP's rule for CSV injection), so a member's name or a reason
/// typed as `=HYPERLINK(…)` never runs when the secretary opens the file.
/// The .xlsx cells need no such mark: they are written as strings, which
/// a spreadsheet never evaluates.
pub fn inert(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// The table as CSV: UTF-8 with a byte order mark, the title first, every
/// text cell [`inert`].
pub fn csv(t: &Table) -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        let _ = w.write_record([inert(&t.title).as_bytes()]);
        let _ = w.write_record(t.header.iter().map(|h| inert(h).into_owned()));
        for row in &t.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|c| match c {
                    Cell::Text(s) => inert(s).into_owned(),
                    Cell::Number(n) => vanguard_shared::decimal::short(*n, 2),
                })
                .collect();
            let _ = w.write_record(&cells);
        }
        let _ = w.flush();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            title: "第一党支部 2026 年台账".into(),
            header: vec!["姓名".into(), "总分".into()],
            rows: vec![
                vec!["王建国".into(), Cell::Number(118.5)],
                vec!["李, \"秀英\"".into(), Cell::Number(100.0)],
            ],
        }
    }

    #[test]
    fn csv_opens_in_excel_with_its_chinese_intact() {
        let bytes = csv(&table());
        assert!(
            bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
            "a byte order mark first"
        );
        let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.expect("row").iter().map(str::to_string).collect())
            .collect();
        assert_eq!(rows[0], ["第一党支部 2026 年台账"]);
        assert_eq!(rows[1], ["姓名", "总分"]);
        assert_eq!(rows[2], ["王建国", "118.5"]);
        assert_eq!(rows[3], ["李, \"秀英\"", "100"]);
    }

    #[test]
    fn no_cell_of_a_csv_or_xlsx_runs_as_a_formula() {
        use calamine::{Data, Reader, Xlsx};
        let hostile = [
            "=HYPERLINK(\"http://x\",\"点我\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ];
        let t = Table {
            title: "=标题".into(),
            header: vec!["@姓名".into(), "总分".into()],
            rows: hostile
                .iter()
                .map(|h| vec![Cell::from(*h), Cell::Number(-2.0)])
                .collect(),
        };
        let bytes = csv(&t);
        let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
        let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.expect("row").iter().map(str::to_string).collect())
            .collect();
        assert_eq!(rows[0], ["'=标题"]);
        assert_eq!(rows[1], ["'@姓名", "总分"]);
        for (row, h) in rows[2..].iter().zip(hostile) {
            assert_eq!(row[0], format!("'{h}"));
            // A number stays a number, minus sign and all.
            assert_eq!(row[1], "-2");
        }
        // Plain text is left alone.
        assert_eq!(inert("王建国"), "王建国");
        assert_eq!(inert(""), "");

        // The workbook holds the same text as strings, never as formulas.
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx(&t).expect("xlsx")))
                .expect("opens");
        let formulas = book.worksheet_formula("台账").expect("formulas");
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
        let range = book.worksheet_range("台账").expect("sheet");
        assert_eq!(
            range.get_value((2, 0)),
            Some(&Data::String(hostile[0].into()))
        );
    }

    #[test]
    fn xlsx_holds_real_numbers_under_a_title_and_a_header() {
        use calamine::{Data, Reader, Xlsx};
        let bytes = xlsx(&table()).expect("xlsx");
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("opens");
        let range = book.worksheet_range("台账").expect("sheet");
        assert_eq!(
            range.get_value((0, 0)),
            Some(&Data::String("第一党支部 2026 年台账".into()))
        );
        assert_eq!(range.get_value((1, 1)), Some(&Data::String("总分".into())));
        assert_eq!(
            range.get_value((2, 0)),
            Some(&Data::String("王建国".into()))
        );
        assert_eq!(range.get_value((2, 1)), Some(&Data::Float(118.5)));
        assert_eq!(display_width("王建国ab"), 8);
    }
}
