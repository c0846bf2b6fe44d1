//! A sheet people fill in Excel, read from its bytes: CSV (UTF-8, with or
//! without the byte order mark Excel writes) or .xlsx (its first sheet).
//! The first row names the columns; every other row keeps the row number a
//! spreadsheet program shows, so an error can name it.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SheetFileError {
    #[error("不支持的文件类型，请上传 .csv 或 .xlsx 文件")]
    Format,
    #[error("文件不是 UTF-8 文本，请在 Excel 中另存为“CSV UTF-8”")]
    NotUtf8,
    #[error("无法读取文件：{0}")]
    Parse(String),
    #[error("文件没有表头")]
    Empty,
    #[error("文件超过 20000 行或 100 列，请只保留名单所在的工作表")]
    TooLarge,
}

/// A sheet's header and its rows, each with its row number (the header is 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetFile {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

impl SheetFile {
    /// Where a column is, by any of its names (English ones in any case).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.header
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    }

    /// The sheet re-read from its header row: the first of the first rows
    /// naming one of `names`, so a file with a title row above its header
    /// (as this app's own exports have) reads the same.
    pub fn from_header(self, names: &[&str]) -> SheetFile {
        if self.column(names).is_some() {
            return self;
        }
        let found = self.rows.iter().take(5).position(|(_, cells)| {
            cells
                .iter()
                .any(|c| names.iter().any(|n| c.trim().eq_ignore_ascii_case(n)))
        });
        match found {
            Some(i) => {
                let mut rows = self.rows;
                let (_, header) = rows.remove(i);
                rows.drain(..i);
                SheetFile {
                    header: header.into_iter().map(|h| h.trim().to_string()).collect(),
                    rows,
                }
            }
            None => self,
        }
    }

    /// The rows that hold anything: blank lines Excel leaves are skipped.
    pub fn filled_rows(&self) -> impl Iterator<Item = &(usize, Vec<String>)> {
        self.rows
            .iter()
            .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
    }
}

/// Reads a sheet; `name` (a file name) says which kind by its extension.
pub fn read(name: &str, bytes: &[u8]) -> Result<SheetFile, SheetFileError> {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_lowercase());
    match ext.as_deref() {
        Some("csv") => read_csv(bytes),
        Some("xlsx") => read_xlsx(bytes),
        _ => Err(SheetFileError::Format),
    }
}

fn read_csv(bytes: &[u8]) -> Result<SheetFile, SheetFileError> {
    let text = std::str::from_utf8(bytes).map_err(|_| SheetFileError::NotUtf8)?;
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let parse_err = |e: csv::Error| SheetFileError::Parse(e.to_string());
    let header: Vec<String> = reader
        .headers()
        .map_err(parse_err)?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.iter().all(|h| h.is_empty()) {
        return Err(SheetFileError::Empty);
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(parse_err)?;
        let line = record
            .position()
            .map(|p| p.line() as usize)
            .unwrap_or(rows.len() + 2);
        rows.push((line, record.iter().map(str::to_string).collect()));
    }
    Ok(SheetFile { header, rows })
}

/// The most rows and columns a sheet may span: a roll of members is far
/// smaller, and a file claiming more is refused before anything is built.
const MAX_ROWS: u32 = 20_000;
const MAX_COLUMNS: u32 = 100;

fn read_xlsx(bytes: &[u8]) -> Result<SheetFile, SheetFileError> {
    use calamine::{Data, Reader, Xlsx};
    let parse_err = |e: &dyn std::fmt::Display| SheetFileError::Parse(e.to_string());
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| parse_err(&e))?;
    let first = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(SheetFileError::Empty)?;
    // Cell by cell, as the file lists them: a range would be allocated for
    // every cell between the first and the last, however few are filled.
    let mut reader = book
        .worksheet_cells_reader(&first)
        .map_err(|e| parse_err(&e))?;
    let mut rows: std::collections::BTreeMap<u32, Vec<String>> = Default::default();
    while let Some(cell) = reader.next_cell().map_err(|e| parse_err(&e))? {
        let (r, c) = cell.get_position();
        if r >= MAX_ROWS || c >= MAX_COLUMNS {
            return Err(SheetFileError::TooLarge);
        }
        let text = Data::from(cell.get_value().clone()).to_string();
        if text.is_empty() {
            continue;
        }
        let row = rows.entry(r).or_default();
        if row.len() <= c as usize {
            row.resize(c as usize + 1, String::new());
        }
        row[c as usize] = text;
    }
    // Row numbers as Excel shows them (the first row is 1).
    let mut numbered = rows.into_iter().map(|(r, cells)| (r as usize + 1, cells));
    let (_, header) = numbered.next().ok_or(SheetFileError::Empty)?;
    Ok(SheetFile {
        header: header.into_iter().map(|h| h.trim().to_string()).collect(),
        rows: numbered.collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_csv_with_a_byte_order_mark_and_names_rows() {
        let f = read(
            "a.CSV",
            "\u{feff}用户名,年度考核\nm01,称职\n,\nm02,优秀\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(f.header, ["用户名", "年度考核"]);
        assert_eq!(f.column(&["username", "用户名"]), Some(0));
        let rows: Vec<_> = f.filled_rows().map(|(n, c)| (*n, c[0].clone())).collect();
        assert_eq!(rows, [(2, "m01".to_string()), (4, "m02".to_string())]);
    }

    #[test]
    fn finds_the_header_under_a_title_row() {
        let f = read(
            "a.csv",
            "某支部 2026 年度业务考核\n用户名,年度考核\nm01,称职\n".as_bytes(),
        )
        .unwrap()
        .from_header(&["用户名"]);
        assert_eq!(f.header, ["用户名", "年度考核"]);
        assert_eq!(f.rows, [(3, vec!["m01".to_string(), "称职".to_string()])]);
    }

    fn workbook(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (r, c, text) in cells {
            sheet.write_string(*r, *c, *text).unwrap();
        }
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn reads_xlsx_rows_as_excel_numbers_them() {
        // Two blank rows above the header, a blank row inside.
        let bytes = workbook(&[
            (2, 0, "用户名"),
            (2, 1, "年度考核"),
            (3, 0, "m01"),
            (3, 1, "称职"),
            (5, 0, "m02"),
        ]);
        let f = read("a.xlsx", &bytes).unwrap();
        assert_eq!(f.header, ["用户名", "年度考核"]);
        let rows: Vec<_> = f.filled_rows().map(|(n, c)| (*n, c[0].clone())).collect();
        assert_eq!(rows, [(4, "m01".to_string()), (6, "m02".to_string())]);
    }

    #[test]
    fn refuses_a_sheet_that_claims_a_million_rows() {
        let bytes = workbook(&[(0, 0, "用户名"), (1_048_575, 16_383, "x")]);
        assert_eq!(read("a.xlsx", &bytes), Err(SheetFileError::TooLarge));
    }

    #[test]
    fn refuses_other_files_and_other_encodings() {
        assert_eq!(read("a.txt", b"x"), Err(SheetFileError::Format));
        assert_eq!(
            read("a.csv", &[0xff, 0xfe, 0x00]),
            Err(SheetFileError::NotUtf8)
        );
        assert!(matches!(
            read("a.xlsx", b"not a zip"),
            Err(SheetFileError::Parse(_))
        ));
    }
}
