//! Every parser a client's bytes reach answers any input, hostile or
//! random, with a value or an error: never a panic, and within bounds.
//! The batch framing, a sync message, and a document's schema.
// The server's Automerge parses a client's bytes; the phone's build
// (feature phone-automerge) never sees a stranger's.
#![cfg(not(feature = "phone-automerge"))]

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ScalarValue, ROOT};
use proptest::prelude::*;
use vanguard_shared::documents::schema::create_root;
use vanguard_shared::documents::{DocId, Layout};
use vanguard_shared::ledger::rulebook::DEFAULT_TOML;
use vanguard_shared::ledger::Rulebook;
use vanguard_shared::sync::batch;
use vanguard_shared::sync::exchange;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any bytes: framed or refused, and counting stops at the limit.
    #[test]
    fn batch_framing_reads_or_refuses_any_bytes(body in prop::collection::vec(any::<u8>(), 0..2048), limit in 0usize..16) {
        let counted = batch::count_request(&body, limit);
        if let Ok(n) = counted {
            prop_assert!(n <= limit + 1);
        }
        if let Ok(frames) = batch::decode_request(&body) {
            // What decodes re-encodes to the same bytes.
            prop_assert_eq!(batch::encode_request(&frames), body.clone());
            if frames.len() <= limit {
                prop_assert_eq!(counted, Ok(frames.len()));
            }
        }
        let _ = batch::decode_response(&body);
    }

    /// Frames made by the encoder read back as they were.
    #[test]
    fn batch_framing_round_trips(messages in prop::collection::vec(("[a-z:0-9]{0,40}", prop::collection::vec(any::<u8>(), 0..300)), 0..8)) {
        let body = batch::encode_request(&messages);
        prop_assert_eq!(batch::decode_request(&body), Ok(messages.clone()));
        prop_assert_eq!(batch::count_request(&body, 100), Ok(messages.len()));
    }

    /// Any bytes as a sync message: a message or a refusal.
    #[test]
    fn a_sync_message_decodes_or_is_refused(body in prop::collection::vec(any::<u8>(), 0..4096)) {
        let _ = exchange::decode(&body);
    }

    /// A sync message with its bytes flipped: still a message or a refusal.
    #[test]
    fn a_damaged_sync_message_is_refused_or_read(at in 0usize..4096, with in any::<u8>()) {
        let mut phone = create_root(&DocId::checkins("m1", 2026));
        phone.transact::<_, _, automerge::AutomergeError>(|tx| {
            let records = tx.get(ROOT, "records")?.expect("records").1;
            let r = tx.put_object(&records, "r1", ObjType::Map)?;
            tx.put(&r, "kind", "visit")?;
            Ok(())
        }).expect("change");
        let mut state = automerge::sync::State::new();
        let message = automerge::sync::SyncDoc::generate_sync_message(&phone, &mut state)
            .expect("a message");
        let mut bytes = message.encode();
        let at = at % bytes.len();
        bytes[at] = with;
        let _ = exchange::decode(&bytes);
    }

    /// Whatever a change writes into a records document, the schema reads
    /// it or names the entry and field that break it.
    #[test]
    fn the_schema_reads_or_refuses_any_entry(
        key in "[a-zA-Z0-9_-]{0,70}",
        fields in prop::collection::vec(("[a-z_]{1,12}", scalar()), 0..10),
        nested in any::<bool>(),
    ) {
        let id = DocId::checkins("m1", 2026);
        let mut doc = create_root(&id);
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            let records = tx.get(ROOT, "records")?.expect("records").1;
            let entry = tx.put_object(&records, key.as_str(), ObjType::Map)?;
            for (name, value) in &fields {
                tx.put(&entry, name.as_str(), value.clone())?;
            }
            if nested {
                let inner = tx.put_object(&entry, "geofence", ObjType::List)?;
                tx.insert(&inner, 0, "x")?;
            }
            Ok(())
        }).expect("change");
        let layout = Layout::located(&doc, &id);
        prop_assert!(layout.is_ok());
        if let Ok(layout) = layout {
            if let Err(e) = layout.read_all(&doc) {
                prop_assert!(!e.field.is_empty());
            }
        }
    }
}

fn scalar() -> impl Strategy<Value = ScalarValue> {
    prop_oneof![
        any::<i64>().prop_map(ScalarValue::Int),
        any::<f64>().prop_map(ScalarValue::F64),
        any::<bool>().prop_map(ScalarValue::Boolean),
        ".{0,40}".prop_map(ScalarValue::from),
        Just(ScalarValue::Null),
        prop::collection::vec(any::<u8>(), 0..16).prop_map(ScalarValue::Bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any text as a rulebook: read or refused with a message, never a
    /// panic.
    #[test]
    fn any_text_is_a_rulebook_or_refused(text in "\\PC{0,400}") {
        if let Err(e) = Rulebook::from_toml("upload.toml", &text) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    /// The shipped rulebook, damaged: a line dropped, a number changed to
    /// any other, the text cut short. Read or refused, never a panic, and
    /// a refusal says why.
    #[test]
    fn a_damaged_rulebook_is_read_or_refused(
        line in 0usize..400,
        number in any::<i64>(),
        cut in 0usize..20_000,
    ) {
        let lines: Vec<&str> = DEFAULT_TOML.lines().collect();
        let dropped: String = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != line % lines.len())
            .map(|(_, l)| *l)
            .collect::<Vec<_>>()
            .join("\n");
        let renumbered = DEFAULT_TOML.replacen("= 2", &format!("= {number}"), 1);
        let end = (0..=cut.min(DEFAULT_TOML.len()))
            .rev()
            .find(|&i| DEFAULT_TOML.is_char_boundary(i))
            .unwrap_or(0);
        for text in [dropped.as_str(), renumbered.as_str(), &DEFAULT_TOML[..end]] {
            if let Err(e) = Rulebook::from_toml("upload.toml", text) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}
