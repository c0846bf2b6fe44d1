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

fn read_xlsx(bytes: &[u8]) -> Result<SheetFile, SheetFileError> {
    use calamine::{Reader, Xlsx};
    let parse_err = |e: &dyn std::fmt::Display| SheetFileError::Parse(e.to_string());
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| parse_err(&e))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(SheetFileError::Empty)?
        .map_err(|e| parse_err(&e))?;
    let mut cells = range.rows().enumerate().map(|(i, row)| {
        (
            i + 1,
            row.iter().map(|c| c.to_string()).collect::<Vec<String>>(),
        )
    });
    let (_, header) = cells.next().ok_or(SheetFileError::Empty)?;
    Ok(SheetFile {
        header: header.into_iter().map(|h| h.trim().to_string()).collect(),
        rows: cells.collect(),
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
