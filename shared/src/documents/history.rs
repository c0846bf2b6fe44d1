//! What a record held before each correction, read from its document's own
//! history: a correction sets the record's fields in place
//! (`edit::set_fields`), and Automerge keeps what they held before. The
//! server shows it on the member's sheet.

use super::fields::child_map;
use super::schema::Layout;
use super::DocId;
use crate::automerge_versions;
use automerge::{Automerge, ChangeHash, ObjId, ReadDoc, Value};
use std::borrow::Borrow;
use std::collections::HashMap;

/// One field a correction changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub record_id: String,
    /// The field's name in the document: `hours`, `note`, …
    pub field: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Correction {
    /// In words, e.g. "更正：时长 2 → 3".
    pub fn label(&self) -> String {
        let name = match self.field {
            "kind" => "类型",
            "occurred_at" => "时间",
            "hours" => "时长",
            "place" => "地点",
            "note" => "备注",
            _ => "活动",
        };
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "（空）".into());
        format!(
            "更正：{name} {} → {}",
            shown(&self.before),
            shown(&self.after)
        )
    }
}

/// The fields a member may correct.
const FIELDS: [&str; 6] = ["kind", "occurred_at", "hours", "place", "note", "event_id"];

fn text(value: Option<(Value<'_>, ObjId)>) -> Option<String> {
    match value? {
        (Value::Scalar(s), _) => match s.as_ref() {
            automerge::ScalarValue::Str(t) => Some(t.to_string()),
            automerge::ScalarValue::F64(f) => Some(crate::decimal::short(*f, 2)),
            automerge::ScalarValue::Int(i) => Some(i.to_string()),
            automerge::ScalarValue::Uint(u) => Some(u.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// Every correction of the records of a checkins document, oldest first.
pub fn corrections(doc: &Automerge, id: &DocId) -> Vec<Correction> {
    let changes = doc.get_changes(&[]);
    corrections_in(doc, id, &changes)
}

fn corrections_in<C: Borrow<automerge::Change>>(
    doc: &Automerge,
    id: &DocId,
    changes: &[C],
) -> Vec<Correction> {
    let Some(records) = Layout::find(doc, id).and_then(|l| l.collection_obj("records").cloned())
    else {
        return Vec::new();
    };
    // Each record's object, by its id as the operations name it.
    let objects: HashMap<String, (String, ObjId)> = doc
        .keys(&records)
        .filter_map(|key| {
            let obj = child_map(doc, &records, &key)?;
            Some((obj.to_string(), (key, obj)))
        })
        .collect();
    let mut out = Vec::new();
    for change in changes {
        let change = change.borrow();
        let deps: Vec<ChangeHash> = change.deps().to_vec();
        let after = [change.hash()];
        let mut seen: Vec<(&str, &'static str)> = Vec::new();
        for op in automerge_versions::operations(change) {
            let Some((record_id, obj)) = objects.get(&op.obj) else {
                continue;
            };
            let Some(field) = op
                .map_key
                .as_deref()
                .and_then(|k| FIELDS.iter().find(|f| **f == k))
            else {
                continue;
            };
            if seen.contains(&(record_id.as_str(), *field)) {
                continue;
            }
            seen.push((record_id.as_str(), *field));
            // The change that made the record is its first version, not a
            // correction of it.
            if doc
                .get_at(&records, record_id.as_str(), &deps)
                .ok()
                .flatten()
                .is_none()
            {
                continue;
            }
            let before = text(doc.get_at(obj, *field, &deps).ok().flatten());
            let now = text(doc.get_at(obj, *field, &after).ok().flatten());
            if before != now {
                out.push(Correction {
                    record_id: record_id.clone(),
                    field,
                    before,
                    after: now,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::edit::{add_record, set_fields, withdraw};
    use crate::documents::NewRecord;

    #[test]
    fn a_correction_keeps_what_the_record_held_before() {
        let id = DocId::checkins("m1", 2026);
        let mut doc = crate::documents::schema::create_root(&id);
        let record = NewRecord {
            kind: "volunteer".into(),
            occurred_at: chrono::DateTime::parse_from_rfc3339("2026-05-01T09:00:00+08:00").ok(),
            hours: Some(2.0),
            note: Some("打扫".into()),
            ..Default::default()
        };
        add_record(&mut doc, "r1", &record).expect("add");
        add_record(&mut doc, "r2", &record).expect("add");
        assert_eq!(corrections(&doc, &id), vec![], "adding is not correcting");
        set_fields(
            &mut doc,
            "records",
            "r1",
            &[
                ("hours", automerge::ScalarValue::F64(3.5)),
                ("note", automerge::ScalarValue::Str("打扫楼道".into())),
            ],
        )
        .expect("correct");
        withdraw(&mut doc, "r2").expect("withdraw");
        let found = corrections(&doc, &id);
        assert_eq!(
            found.iter().map(Correction::label).collect::<Vec<_>>(),
            ["更正：时长 2 → 3.5", "更正：备注 打扫 → 打扫楼道"]
        );
        assert!(found.iter().all(|c| c.record_id == "r1"));
    }
}
