//! A file to save: its type, and its name in Chinese (RFC 6266's
//! `filename*`, with an ASCII `filename` for older clients).

use super::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

/// `%XX` for every byte outside the unreserved set of RFC 3986.
fn percent(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn attachment(bytes: Vec<u8>, name: &str, fallback: &str, content_type: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
                    percent(name)
                ),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The two forms an exported table takes.
#[derive(Debug, Clone, Copy)]
pub enum Format {
    Xlsx,
    Csv,
}

/// The format a download's path names by its extension (`….xlsx`,
/// `….csv`), so one handler serves both routes of an export.
impl<S: Send + Sync> FromRequestParts<S> for Format {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let path = parts.uri.path();
        if path.ends_with(".xlsx") {
            Ok(Format::Xlsx)
        } else if path.ends_with(".csv") {
            Ok(Format::Csv)
        } else {
            Err(ApiError::not_found("没有这种文件格式"))
        }
    }
}

/// An exported table as a file to save: `name` plus the format's extension,
/// `fallback` the ASCII name without it.
pub fn table(
    table: &vanguard_core::exports::Table,
    name: &str,
    fallback: &str,
    format: Format,
) -> Result<Response, ApiError> {
    let (bytes, extension, content_type) = match format {
        Format::Xlsx => (
            vanguard_core::exports::xlsx(table)?,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        Format::Csv => (
            vanguard_core::exports::csv(table),
            "csv",
            "text/csv; charset=utf-8",
        ),
    };
    Ok(attachment(
        bytes,
        &format!("{name}.{extension}"),
        &format!("{fallback}.{extension}"),
        content_type,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_percent_encoded() {
        assert_eq!(super::percent("台账 a.xlsx"), "%E5%8F%B0%E8%B4%A6%20a.xlsx");
    }
}
