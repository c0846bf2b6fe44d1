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
    /// An .xlsx that unpacks far past anything a roll or an appraisal sheet
    /// holds (a zip bomb, or a workbook with much else in it).
    #[error("文件解压后超过 {0} MiB，请只保留名单所在的工作表后另存再上传")]
    Unpacked(u64),
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

/// Reads a sheet off the async threads (parsing is CPU work), at most as
/// many at once as the machine has cores; see [`read`].
pub async fn read_off_thread(name: &str, bytes: &[u8]) -> Result<SheetFile, SheetFileError> {
    let (name, bytes) = (name.to_string(), bytes.to_vec());
    crate::cpu::run(move || read(&name, &bytes)).await
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
        if rows.len() >= MAX_ROWS as usize || record.len() > MAX_COLUMNS as usize {
            return Err(SheetFileError::TooLarge);
        }
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

/// What an .xlsx may unpack to, part by part and in all: a roll of 20,000
/// members with ten columns is about 10 MiB of sheet and 1 MiB of strings.
/// The shared strings are held in memory whole, so their cap is lower.
const MAX_PART_BYTES: u64 = 32 << 20;
const MAX_STRINGS_BYTES: u64 = 8 << 20;
const MAX_UNPACKED_BYTES: u64 = 48 << 20;
const MAX_PARTS: usize = 1000;
/// The text of every cell together.
const MAX_TEXT_BYTES: usize = 16 << 20;

/// Refuses a workbook that would unpack past the caps, before anything is
/// parsed: each part's declared size first, then what it really inflates
/// to (a declared size can lie), counted into a sink and stopped one byte
/// past the cap, so the check costs at most the caps in CPU and nothing in
/// memory.
fn check_unpacked(bytes: &[u8]) -> Result<(), SheetFileError> {
    use std::io::Read;
    let parse_err = |e: &dyn std::fmt::Display| SheetFileError::Parse(e.to_string());
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| parse_err(&e))?;
    if archive.len() > MAX_PARTS {
        return Err(SheetFileError::Unpacked(MAX_UNPACKED_BYTES >> 20));
    }
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).map_err(|e| parse_err(&e))?;
        let strings = part
            .name()
            .map(|n| n.ends_with("sharedStrings.xml"))
            .unwrap_or(false);
        let cap = if strings {
            MAX_STRINGS_BYTES
        } else {
            MAX_PART_BYTES
        };
        let refused = SheetFileError::Unpacked(cap.min(MAX_UNPACKED_BYTES) >> 20);
        if part.size() > cap || total + part.size() > MAX_UNPACKED_BYTES {
            return Err(refused);
        }
        let inflated = std::io::copy(&mut (&mut part).take(cap + 1), &mut std::io::sink())
            .map_err(|e| parse_err(&e))?;
        total += inflated;
        if inflated > cap || total > MAX_UNPACKED_BYTES {
            return Err(refused);
        }
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8]) -> Result<SheetFile, SheetFileError> {
    use calamine::{Data, Reader, Xlsx};
    let parse_err = |e: &dyn std::fmt::Display| SheetFileError::Parse(e.to_string());
    check_unpacked(bytes)?;
    let mut text_bytes = 0usize;
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
        text_bytes += text.len();
        if text_bytes > MAX_TEXT_BYTES {
            return Err(SheetFileError::TooLarge);
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

    /// A workbook whose one part unpacks to `size` bytes of zeros.
    fn bomb(part: &str, size: usize) -> Vec<u8> {
        use std::io::Write;
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut out);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .large_file(size as u64 > u32::MAX as u64);
            zip.start_file(part, options).unwrap();
            let chunk = vec![b'0'; 1 << 20];
            for _ in 0..size / chunk.len() {
                zip.write_all(&chunk).unwrap();
            }
            zip.finish().unwrap();
        }
        out.into_inner()
    }

    #[test]
    fn refuses_a_zip_bomb_before_reading_it() {
        // 256 MiB of shared strings in well under a megabyte.
        let strings = bomb("xl/sharedStrings.xml", 256 << 20);
        assert!(strings.len() < 1 << 20, "{} bytes", strings.len());
        let started = std::time::Instant::now();
        assert_eq!(
            read("a.xlsx", &strings),
            Err(SheetFileError::Unpacked(MAX_STRINGS_BYTES >> 20))
        );
        // A figure, not a limit: the refusal reads the central directory only.
        println!("figure: 256 MiB bomb refused in {:?}", started.elapsed());
        let sheet = bomb("xl/worksheets/sheet1.xml", 64 << 20);
        assert_eq!(
            read("a.xlsx", &sheet),
            Err(SheetFileError::Unpacked(MAX_PART_BYTES >> 20))
        );
        // A real workbook is well inside the caps.
        let fine = workbook(&[(0, 0, "用户名"), (1, 0, "m01")]);
        assert!(check_unpacked(&fine).is_ok());
    }

    #[test]
    fn refuses_a_csv_past_the_row_cap() {
        let mut text = String::from("用户名\n");
        for i in 0..=MAX_ROWS {
            text.push_str(&format!("m{i}\n"));
        }
        assert_eq!(
            read("a.csv", text.as_bytes()),
            Err(SheetFileError::TooLarge)
        );
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Whatever bytes arrive as a sheet, they are read or refused with
        /// one of the named errors; never a panic, never unbounded work.
        #[test]
        fn any_upload_is_read_or_refused(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4096),
            xlsx in proptest::prelude::any::<bool>(),
        ) {
            let name = if xlsx { "a.xlsx" } else { "a.csv" };
            if let Ok(sheet) = read(name, &bytes) {
                proptest::prop_assert!(sheet.rows.len() <= MAX_ROWS as usize);
            }
        }

    }

    proptest::proptest! {
        // Each case writes tens of MiB: a few dozen cases cover the edges.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        /// A zip of a few parts of any size is refused past the caps, by
        /// what it holds, before calamine reads it.
        #[test]
        fn a_zip_past_the_caps_is_refused(sizes in proptest::collection::vec(0usize..(40 << 20), 1..3)) {
            use std::io::Write;
            let mut out = std::io::Cursor::new(Vec::new());
            {
                let mut zip = zip::ZipWriter::new(&mut out);
                // Stored, not deflated: the caps count what a part holds.
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored);
                for (i, size) in sizes.iter().enumerate() {
                    zip.start_file(format!("xl/part{i}.xml"), options).unwrap();
                    zip.write_all(&vec![b'x'; *size]).unwrap();
                }
                zip.finish().unwrap();
            }
            let bytes = out.into_inner();
            let total: usize = sizes.iter().sum();
            let over = sizes.iter().any(|s| *s as u64 > MAX_PART_BYTES)
                || total as u64 > MAX_UNPACKED_BYTES;
            proptest::prop_assert_eq!(
                matches!(check_unpacked(&bytes), Err(SheetFileError::Unpacked(_))),
                over
            );
        }
    }
}
