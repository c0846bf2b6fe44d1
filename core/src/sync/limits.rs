//! Limits every sync message keeps, checked on the message's own bytes
//! before it is applied to anything: how many changes and operations it
//! carries, how long any string in it is, and how deep the objects it makes
//! are nested. The schema has nothing deeper than a few levels and no field
//! longer than 2,000 characters, and the largest real message (a phone's
//! year of 1,000 check-ins made offline) stays far inside every limit.
//! Unknown keys are kept, but within the same bounds.

use automerge::legacy::{ObjectId, OpType};
use automerge::{Automerge, Change, ChangeHash, ReadDoc, ScalarValue};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageLimits {
    /// Changes in one message.
    pub max_changes: usize,
    /// Operations in one message, over all its changes. A JavaScript
    /// client writes a string as text, one operation per character.
    pub max_ops: usize,
    /// How deep an object may sit below the root: a collection is 1, an
    /// entry 2, a geofence or an attendance row 3, text in a row 4.
    pub max_depth: usize,
    /// Bytes of one string value, and of the characters one message puts
    /// into one text object. 2,000 characters of Chinese are 6,000 bytes.
    pub max_string_bytes: usize,
}

impl Default for MessageLimits {
    fn default() -> Self {
        MessageLimits {
            max_changes: 5_000,
            max_ops: 250_000,
            max_depth: 6,
            max_string_bytes: 8 * 1024,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("同步消息不是有效的修改")]
    Malformed,
    #[error("一条同步消息最多 {0} 个修改")]
    TooManyChanges(usize),
    #[error("一条同步消息最多 {0} 个操作")]
    TooManyOps(usize),
    #[error("对象嵌套不能超过 {0} 层")]
    TooDeep(usize),
    #[error("文本不能超过 {0} 字节")]
    StringTooLong(usize),
}

/// What the check of a message leaves for the document to settle: the
/// objects already in the document that the message nests new objects
/// under, each with the depth the message adds below it, and the bytes
/// the message would add to the document's storage.
#[derive(Debug, Default)]
pub struct Checked {
    anchors: HashMap<String, usize>,
    pub bytes: u64,
    /// Changes and operations sent one by one: all of them new.
    changes: usize,
    ops: usize,
    /// The changes of whole documents sent (a client may send everything
    /// it has), with their operations: only those the server does not hold
    /// yet count, which the document says (`check_new`).
    bundled: Vec<(ChangeHash, usize)>,
}

/// One change of a message: sent on its own, or inside a whole document.
struct Sent {
    change: Change,
    bundled: bool,
}

/// The start of every Automerge chunk (a change, a document, ...).
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Chunk types: a document, a change, a compressed change.
const DOCUMENT: u8 = 0;
const CHANGE: u8 = 1;
const COMPRESSED: u8 = 2;

/// Splits the bytes a message carries into Automerge chunks by their
/// headers (magic, checksum, type, LEB128 length): a newer client sends
/// several changes glued into one.
fn split_chunks(mut bytes: &[u8]) -> Result<Vec<(u8, &[u8])>, LimitError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < 10 || bytes[..4] != MAGIC {
            return Err(LimitError::Malformed);
        }
        let chunk_type = bytes[8];
        let (mut len, mut shift, mut at) = (0u64, 0u32, 9usize);
        loop {
            let byte = *bytes.get(at).ok_or(LimitError::Malformed)?;
            len |= u64::from(byte & 0x7f)
                .checked_shl(shift)
                .ok_or(LimitError::Malformed)?;
            at += 1;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 63 {
                return Err(LimitError::Malformed);
            }
        }
        let end = usize::try_from(len)
            .ok()
            .and_then(|len| at.checked_add(len))
            .filter(|end| *end <= bytes.len())
            .ok_or(LimitError::Malformed)?;
        out.push((chunk_type, &bytes[..end]));
        bytes = &bytes[end..];
    }
    Ok(out)
}

/// The changes of a message. A chunk is one change (maybe compressed), or
/// (from a client that sends everything it has) a whole document, whose
/// changes are read by loading it on its own. Anything else is refused: its
/// changes could not be checked before they are applied.
fn changes_of<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Result<Vec<Sent>, LimitError> {
    let mut out = Vec::new();
    for bytes in chunks {
        for (chunk_type, chunk) in split_chunks(bytes)? {
            match chunk_type {
                CHANGE | COMPRESSED => out.push(Sent {
                    change: Change::try_from(chunk).map_err(|_| LimitError::Malformed)?,
                    bundled: false,
                }),
                DOCUMENT => {
                    let doc = Automerge::load(chunk).map_err(|_| LimitError::Malformed)?;
                    out.extend(doc.get_changes(&[]).into_iter().map(|change| Sent {
                        change,
                        bundled: true,
                    }));
                }
                _ => return Err(LimitError::Malformed),
            }
        }
    }
    Ok(out)
}

/// The counts of changes and operations, against the limits.
fn within(changes: usize, ops: usize, limits: &MessageLimits) -> Result<(), LimitError> {
    if changes > limits.max_changes {
        return Err(LimitError::TooManyChanges(limits.max_changes));
    }
    if ops > limits.max_ops {
        return Err(LimitError::TooManyOps(limits.max_ops));
    }
    Ok(())
}

/// Checks a message's changes against `limits`, before anything applies
/// them; answers what `check_depth` needs from the document.
pub fn check<'a>(
    chunks: impl Iterator<Item = &'a [u8]>,
    limits: &MessageLimits,
) -> Result<Checked, LimitError> {
    let mut bytes = 0u64;
    let sent = changes_of(chunks.inspect(|c| bytes += c.len() as u64))?;
    let mut checked = Checked {
        bytes,
        ..Checked::default()
    };
    // Objects this message makes: (anchor in the document, depth below it).
    let mut made: HashMap<String, (String, usize)> = HashMap::new();
    let mut text_bytes: HashMap<String, usize> = HashMap::new();
    for Sent { change, bundled } in &sent {
        // Decoding trusts the change's columns; a crafted one must not take
        // the server down with it.
        let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| change.decode()))
            .map_err(|_| LimitError::Malformed)?;
        if *bundled {
            checked
                .bundled
                .push((change.hash(), decoded.operations.len()));
        } else {
            checked.changes += 1;
            checked.ops += decoded.operations.len();
            within(checked.changes, checked.ops, limits)?;
        }
        let actor = decoded.actor_id.to_hex_string();
        let start = decoded.start_op.get();
        for (i, op) in decoded.operations.iter().enumerate() {
            let obj = match &op.obj {
                ObjectId::Root => "_root".to_string(),
                ObjectId::Id(id) => id.to_string(),
            };
            match &op.action {
                OpType::Put(value) => {
                    let len = match value {
                        ScalarValue::Str(s) => s.len(),
                        ScalarValue::Bytes(b) | ScalarValue::Unknown { bytes: b, .. } => b.len(),
                        _ => 0,
                    };
                    // Characters put into a sequence add up, per object.
                    let len = if op.insert {
                        let total = text_bytes.entry(obj.clone()).or_default();
                        *total += len;
                        *total
                    } else {
                        len
                    };
                    if len > limits.max_string_bytes {
                        return Err(LimitError::StringTooLong(limits.max_string_bytes));
                    }
                }
                OpType::Make(_) => {
                    let (anchor, depth) = match made.get(&obj) {
                        Some((anchor, depth)) => (anchor.clone(), depth + 1),
                        None => (obj.clone(), 1),
                    };
                    if depth > limits.max_depth {
                        return Err(LimitError::TooDeep(limits.max_depth));
                    }
                    let deepest = checked.anchors.entry(anchor.clone()).or_default();
                    *deepest = (*deepest).max(depth);
                    made.insert(format!("{}@{actor}", start + i as u64), (anchor, depth));
                }
                _ => {}
            }
        }
    }
    Ok(checked)
}

/// Finishes the count of changes and operations on the document the
/// message will apply to: the changes of a whole document that it holds
/// already are not new.
pub fn check_new(
    doc: &Automerge,
    checked: &Checked,
    limits: &MessageLimits,
) -> Result<(), LimitError> {
    let (mut changes, mut ops) = (checked.changes, checked.ops);
    if !checked.bundled.is_empty() {
        let hashes: Vec<ChangeHash> = checked.bundled.iter().map(|(h, _)| *h).collect();
        // The ones the document does not have.
        let new: std::collections::HashSet<ChangeHash> =
            doc.get_missing_deps(&hashes).into_iter().collect();
        for (hash, n) in &checked.bundled {
            if new.contains(hash) {
                changes += 1;
                ops += n;
            }
        }
    }
    within(changes, ops, limits)
}

/// Finishes the depth check on the document the message will apply to: an
/// anchor's own depth plus what the message nests below it. An anchor the
/// document does not hold yet is left for when it arrives (the change
/// waits for its dependencies and stores nothing meanwhile).
pub fn check_depth(
    doc: &Automerge,
    checked: &Checked,
    limits: &MessageLimits,
) -> Result<(), LimitError> {
    for (anchor, below) in &checked.anchors {
        let depth = if anchor == "_root" {
            0
        } else {
            let Ok(id) = doc.import_obj(anchor) else {
                continue;
            };
            match doc.parents(&id) {
                Ok(parents) => parents.count(),
                Err(_) => continue,
            }
        };
        if depth + below > limits.max_depth {
            return Err(LimitError::TooDeep(limits.max_depth));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ObjType, ROOT};

    proptest::proptest! {
        /// A sync body's changes, any bytes: counted and bounded or
        /// refused, never a panic, before anything is applied.
        #[test]
        fn any_change_bytes_are_checked_or_refused(
            raw in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512), 0..6)
        ) {
            let limits = MessageLimits::default();
            if let Ok(checked) = check(raw.iter().map(Vec::as_slice), &limits) {
                proptest::prop_assert_eq!(checked.bytes, raw.iter().map(|c| c.len() as u64).sum::<u64>());
            }
        }
    }

    fn chunks(doc: &Automerge, since: &[automerge::ChangeHash]) -> Vec<Vec<u8>> {
        doc.get_changes(since)
            .into_iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect()
    }

    fn run(chunks: &[Vec<u8>]) -> Result<Checked, LimitError> {
        check(chunks.iter().map(Vec::as_slice), &MessageLimits::default())
    }

    #[test]
    fn a_record_like_change_passes() {
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            let records = tx.put_object(ROOT, "records", ObjType::Map)?;
            let r = tx.put_object(&records, "r1", ObjType::Map)?;
            tx.put(&r, "kind", "study")?;
            let note = tx.put_object(&r, "note", ObjType::Text)?;
            tx.splice_text(&note, 0, 0, &"学".repeat(2000))?;
            Ok(())
        })
        .unwrap();
        let anchors = run(&chunks(&doc, &[])).unwrap();
        check_depth(&doc, &anchors, &MessageLimits::default()).unwrap();
    }

    #[test]
    fn deep_nesting_and_long_strings_are_refused_before_applying() {
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            let mut obj = ROOT;
            for _ in 0..50 {
                obj = tx.put_object(&obj, "x", ObjType::Map)?;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(run(&chunks(&doc, &[])).unwrap_err(), LimitError::TooDeep(6));

        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            tx.put(ROOT, "junk", "x".repeat(9000))
        })
        .unwrap();
        assert_eq!(
            run(&chunks(&doc, &[])).unwrap_err(),
            LimitError::StringTooLong(8192)
        );
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            let t = tx.put_object(ROOT, "junk", ObjType::Text)?;
            tx.splice_text(&t, 0, 0, &"x".repeat(9000))
        })
        .unwrap();
        assert_eq!(
            run(&chunks(&doc, &[])).unwrap_err(),
            LimitError::StringTooLong(8192)
        );
        assert_eq!(
            run(&[b"not a change".to_vec()]).unwrap_err(),
            LimitError::Malformed
        );
    }

    #[test]
    fn glued_changes_are_split_and_each_checked() {
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| tx.put(ROOT, "a", 1))
            .unwrap();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| tx.put(ROOT, "b", 2))
            .unwrap();
        let glued: Vec<u8> = chunks(&doc, &[]).concat();
        let checked = run(std::slice::from_ref(&glued)).unwrap();
        assert_eq!((checked.changes, checked.ops), (2, 2));
        let mut truncated = glued;
        truncated.pop();
        assert_eq!(run(&[truncated]).unwrap_err(), LimitError::Malformed);
    }

    #[test]
    fn a_whole_document_is_checked_and_changes_hidden_behind_others_are_refused() {
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| tx.put(ROOT, "a", 1))
            .unwrap();
        let first = doc.get_heads();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            tx.put(ROOT, "junk", "x".repeat(9000))
        })
        .unwrap();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| tx.put(ROOT, "b", 2))
            .unwrap();
        // The whole document, as a client sending everything does.
        assert_eq!(
            run(&[doc.save()]).unwrap_err(),
            LimitError::StringTooLong(8192)
        );
        // Changes glued together are each checked.
        let glued: Vec<u8> = chunks(&doc, &first).concat();
        assert_eq!(run(&[glued]).unwrap_err(), LimitError::StringTooLong(8192));
    }

    #[test]
    fn depth_adds_up_across_messages() {
        let limits = MessageLimits::default();
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            let mut obj = ROOT;
            for _ in 0..5 {
                obj = tx.put_object(&obj, "x", ObjType::Map)?;
            }
            Ok(())
        })
        .unwrap();
        let before = doc.get_heads();
        let deepest = (0..5).fold(ROOT, |obj, _| doc.get(&obj, "x").unwrap().unwrap().1);
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            let a = tx.put_object(&deepest, "y", ObjType::Map)?;
            tx.put_object(&a, "z", ObjType::Map)?;
            Ok(())
        })
        .unwrap();
        // The new message alone nests two levels; under a fifth it is seven.
        let anchors = run(&chunks(&doc, &before)).unwrap();
        assert_eq!(
            check_depth(&doc, &anchors, &limits).unwrap_err(),
            LimitError::TooDeep(6)
        );
    }
}
