//! Reading typed fields out of an Automerge map, with errors that name the
//! field. Strings may be plain scalars (what the Rust client writes) or text
//! objects (what JavaScript Automerge writes for a plain string).

use super::error::SchemaError;
use crate::automerge_versions;
use automerge::iter::MapRangeItem;
use automerge::{Automerge, ObjId, ObjType, ReadDoc, ScalarValue, Value};
use chrono::{DateTime, FixedOffset};

/// One map (a record, a decision, an event) and the name errors give it.
pub struct Fields<'a> {
    pub doc: &'a Automerge,
    /// The entry's id, quoted in every error.
    pub entry: String,
    /// The map's current values, read in one pass: one walk of the map
    /// instead of a search for each of a record's dozen fields, which the
    /// server does on every sync and the phone for every record it lists.
    values: Vec<MapRangeItem<'a>>,
}

impl<'a> Fields<'a> {
    pub fn new(doc: &'a Automerge, obj: ObjId, entry: impl Into<String>) -> Self {
        let values = doc.map_range(&obj, ..).collect();
        Fields {
            doc,
            entry: entry.into(),
            values,
        }
    }

    pub fn error(&self, field: &str, message: impl Into<String>) -> SchemaError {
        SchemaError::new(Some(self.entry.clone()), field, message)
    }

    fn item(&self, field: &str) -> Option<&MapRangeItem<'a>> {
        self.values.iter().find(|item| item.key == field)
    }

    fn value(&self, field: &str) -> Option<Value<'static>> {
        self.item(field).map(automerge_versions::item_value)
    }

    pub fn opt_str(&self, field: &str, max_chars: usize) -> Result<Option<String>, SchemaError> {
        let text = match self.value(field) {
            None => return Ok(None),
            Some(Value::Scalar(s)) => match s.as_ref() {
                ScalarValue::Str(s) => s.to_string(),
                ScalarValue::Null => return Ok(None),
                _ => return Err(self.error(field, "应为文本")),
            },
            Some(Value::Object(ObjType::Text)) => {
                let id = self
                    .item(field)
                    .map(automerge_versions::item_id)
                    .ok_or_else(|| self.error(field, "无法读取"))?;
                self.doc
                    .text(&id)
                    .map_err(|_| self.error(field, "无法读取"))?
            }
            Some(Value::Object(_)) => return Err(self.error(field, "应为文本")),
        };
        if text.chars().count() > max_chars {
            return Err(self.error(field, format!("不能超过 {max_chars} 个字符")));
        }
        Ok(Some(text))
    }

    pub fn req_str(&self, field: &str, max_chars: usize) -> Result<String, SchemaError> {
        match self.opt_str(field, max_chars)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(self.error(field, "必填")),
        }
    }

    pub fn opt_f64(&self, field: &str) -> Result<Option<f64>, SchemaError> {
        let n = match self.value(field) {
            None => return Ok(None),
            Some(Value::Scalar(s)) => match s.as_ref() {
                ScalarValue::Int(n) => *n as f64,
                ScalarValue::Uint(n) => *n as f64,
                ScalarValue::F64(n) => *n,
                ScalarValue::Null => return Ok(None),
                _ => return Err(self.error(field, "应为数字")),
            },
            Some(Value::Object(_)) => return Err(self.error(field, "应为数字")),
        };
        if !n.is_finite() {
            return Err(self.error(field, "应为有限的数字"));
        }
        Ok(Some(n))
    }

    pub fn opt_range(
        &self,
        field: &str,
        range: std::ops::RangeInclusive<f64>,
    ) -> Result<Option<f64>, SchemaError> {
        match self.opt_f64(field)? {
            Some(n) if !range.contains(&n) => Err(self.error(
                field,
                format!("应在 {} 到 {} 之间", range.start(), range.end()),
            )),
            other => Ok(other),
        }
    }

    pub fn opt_bool(&self, field: &str) -> Result<Option<bool>, SchemaError> {
        match self.value(field) {
            None => Ok(None),
            Some(Value::Scalar(s)) => match s.as_ref() {
                ScalarValue::Boolean(b) => Ok(Some(*b)),
                ScalarValue::Null => Ok(None),
                _ => Err(self.error(field, "应为 true 或 false")),
            },
            Some(Value::Object(_)) => Err(self.error(field, "应为 true 或 false")),
        }
    }

    /// An RFC 3339 time with its offset, e.g. `2026-05-12T09:30:00+08:00`.
    pub fn opt_time(&self, field: &str) -> Result<Option<DateTime<FixedOffset>>, SchemaError> {
        match self.opt_str(field, 64)? {
            None => Ok(None),
            Some(s) => DateTime::parse_from_rfc3339(&s)
                .map(Some)
                .map_err(|_| self.error(field, "应为带时区的时间，如 2026-05-12T09:30:00+08:00")),
        }
    }

    pub fn req_time(&self, field: &str) -> Result<DateTime<FixedOffset>, SchemaError> {
        self.opt_time(field)?
            .ok_or_else(|| self.error(field, "必填"))
    }

    /// A code from a fixed vocabulary, parsed by `parse`.
    pub fn req_code<T>(
        &self,
        field: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T, SchemaError> {
        let code = self.req_str(field, 64)?;
        parse(&code).ok_or_else(|| self.error(field, format!("未知的取值“{code}”")))
    }

    pub fn opt_code<T>(
        &self,
        field: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, SchemaError> {
        match self.opt_str(field, 64)? {
            None => Ok(None),
            Some(code) => parse(&code)
                .map(Some)
                .ok_or_else(|| self.error(field, format!("未知的取值“{code}”"))),
        }
    }
}

/// The child map at `key` of `obj`, if it is a map.
pub fn child_map(doc: &Automerge, obj: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(obj, key).ok().flatten() {
        Some((Value::Object(ObjType::Map), id)) => Some(id),
        _ => None,
    }
}
