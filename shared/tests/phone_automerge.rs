//! The phone's side of sync on the phone's Automerge (0.6) against a peer on
//! the server's (0.12): documents, changes and sync messages cross between
//! the two versions both ways, and the phone reads what the server wrote.
//! Runs with `cargo test -p vanguard-shared --features phone-automerge
//! --test phone_automerge` (in `make test`); without the feature both sides
//! would be one version, so the file is empty then.
#![cfg(feature = "phone-automerge")]

use automerge::sync::{Message, State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ScalarValue, Value, ROOT};
use chrono::DateTime;
use std::collections::BTreeSet;
use vanguard_shared::automerge as phone_automerge;
use vanguard_shared::documents::edit::{add_record, withdraw, NewRecord};
use vanguard_shared::documents::schema::Layout;
use vanguard_shared::documents::view::{records, RecordState};
use vanguard_shared::documents::{create_root, DocId};
use vanguard_shared::sync::Replica;

const MEMBER: &str = "m-1";
const RID: &str = "11111111-2222-3333-4444-555555555555";

/// The server's copy of one document, on the server's Automerge.
struct Server {
    doc: automerge::Automerge,
    state: State,
}

impl Server {
    /// A root as the server has it: made by the shared code, stored, and
    /// loaded by the server's Automerge.
    fn with_root(id: &DocId) -> Self {
        let doc = automerge::Automerge::load(&create_root(id).save()).expect("0.12 loads 0.6");
        Server {
            doc,
            state: State::new(),
        }
    }

    fn handle(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        let message = Message::decode(bytes).expect("0.12 decodes 0.6's message");
        // The server keeps only the persisted part of a state between requests.
        self.state = State::decode(&self.state.encode()).expect("state");
        self.doc
            .receive_sync_message(&mut self.state, message)
            .expect("0.12 applies 0.6's changes");
        self.doc
            .generate_sync_message(&mut self.state)
            .map(Message::encode)
    }
}

/// Exchanges messages until neither side has anything to say.
fn sync(phone: &mut Replica, server: &mut Server) {
    for _ in 0..10 {
        let Some(out) = phone.outgoing() else {
            return;
        };
        match server.handle(&out) {
            Some(reply) => phone.incoming(&reply).expect("0.6 reads 0.12's reply"),
            None => phone.settled(),
        }
    }
    panic!("sync did not settle");
}

/// A poll, as the phone's sync client starts one: the phone describes what
/// it has, so the server sends what others wrote meanwhile.
fn poll(phone: &mut Replica, server: &mut Server) {
    phone.reconnect();
    sync(phone, server);
}

fn server_records(server: &Server) -> automerge::ObjId {
    match server.doc.get(ROOT, "records").expect("read") {
        Some((Value::Object(ObjType::Map), id)) => id,
        other => panic!("records: {other:?}"),
    }
}

#[test]
fn a_record_written_on_the_phone_reaches_the_server_and_its_review_comes_back() {
    let checkins = DocId::checkins(MEMBER, 2026);
    let reviews = DocId::reviews(MEMBER, 2026);
    let mut server = Server::with_root(&checkins);
    let mut review_server = Server::with_root(&reviews);
    let mut phone = Replica::empty(checkins.clone());
    let mut phone_reviews = Replica::empty(reviews.clone());
    sync(&mut phone, &mut server);
    sync(&mut phone_reviews, &mut review_server);
    assert!(phone.has_root() && phone_reviews.has_root());

    let record = NewRecord {
        kind: "volunteer".into(),
        occurred_at: Some(DateTime::parse_from_rfc3339("2026-05-12T09:30:00+08:00").expect("t")),
        hours: Some(2.5),
        note: Some("社区清扫".into()),
        ..Default::default()
    };
    add_record(&mut phone.doc, RID, &record).expect("add");
    // Read from the change's own operations on 0.6 (automerge_versions).
    assert_eq!(phone.unconfirmed("records"), vec![RID.to_string()]);

    sync(&mut phone, &mut server);
    assert_eq!(phone.doc.get_heads(), {
        let heads = server.doc.get_heads();
        heads
            .iter()
            .map(|h| phone_automerge::ChangeHash(h.0))
            .collect::<Vec<_>>()
    });
    assert!(phone.unconfirmed("records").is_empty());
    let (value, record_obj) = server
        .doc
        .get(server_records(&server), RID)
        .expect("read")
        .expect("the server holds the record");
    assert!(matches!(value, Value::Object(ObjType::Map)));
    let hours = server.doc.get(&record_obj, "hours").expect("read");
    assert!(
        matches!(hours, Some((Value::Scalar(ref s), _)) if s.as_ref() == &ScalarValue::F64(2.5)),
        "{hours:?}"
    );

    // The secretary's decision, written on the server's Automerge.
    let decisions = match review_server.doc.get(ROOT, "decisions").expect("read") {
        Some((Value::Object(ObjType::Map), id)) => id,
        other => panic!("decisions: {other:?}"),
    };
    review_server
        .doc
        .transact::<_, _, automerge::AutomergeError>(|tx| {
            let d = tx.put_object(&decisions, RID, ObjType::Map)?;
            tx.put(&d, "status", "returned")?;
            tx.put(&d, "reason", "请补充照片")?;
            tx.put(&d, "by", "secretary")?;
            tx.put(&d, "at", "2026-05-13T10:00:00+08:00")?;
            Ok(())
        })
        .map_err(|f| f.error)
        .expect("decide");
    poll(&mut phone_reviews, &mut review_server);

    let seen = records(
        (&phone.doc, &checkins),
        Some((&phone_reviews.doc, &reviews)),
        &[],
        &BTreeSet::new(),
    );
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].state,
        RecordState::Returned {
            reason: "请补充照片".into()
        }
    );
    assert_eq!(seen[0].record.hours, Some(2.5));

    // A withdrawal travels too, and the server's whole document still
    // loads on the phone's Automerge.
    withdraw(&mut phone.doc, RID).expect("withdraw");
    sync(&mut phone, &mut server);
    let reloaded =
        Replica::restore(checkins.clone(), &server.doc.save(), None).expect("0.6 loads 0.12");
    let seen = records((&reloaded.doc, &checkins), None, &[], &BTreeSet::new());
    assert_eq!(seen[0].state, RecordState::Withdrawn);

    // The phone's own storage: a full save with an increment appended
    // loads on 0.6 as one document.
    let mut phone = reloaded;
    let full = phone.save_doc();
    phone.mark_saved();
    add_record(
        &mut phone.doc,
        "22222222-2222-3333-4444-555555555555",
        &record,
    )
    .expect("add");
    let mut tail = phone.unsaved().expect("increment");
    let stored = [full.as_slice(), &tail].concat();
    let back = Replica::restore(checkins.clone(), &stored, None).expect("full save + increment");
    assert_eq!(back.doc.get_heads(), phone.doc.get_heads());
    assert_eq!(
        records((&back.doc, &checkins), None, &[], &BTreeSet::new()).len(),
        2
    );

    // Should the appended part end in bytes 0.6 cannot read, the full save
    // loads alone, the readable increment is salvaged from the rest, and
    // the next save is whole.
    tail.extend([0x85, 0x6f, 0x4a, 0x83, 0xde, 0xad, 0xbe, 0xef]);
    let broken = [full.as_slice(), &tail].concat();
    assert!(Replica::restore(checkins.clone(), &broken, None).is_err());
    let mut back = Replica::restore(checkins.clone(), &full, None).expect("the full save alone");
    back.salvage(&tail);
    assert_eq!(back.doc.get_heads(), phone.doc.get_heads());
    assert!(back.unsaved().is_none());
}

#[test]
fn the_phone_reads_deletions_and_keys_from_its_own_changes() {
    let id = DocId::checkins(MEMBER, 2026);
    let mut server = Server::with_root(&id);
    let mut phone = Replica::empty(id.clone());
    sync(&mut phone, &mut server);
    let before = phone.doc.get_heads();
    add_record(
        &mut phone.doc,
        RID,
        &NewRecord {
            kind: "study".into(),
            occurred_at: Some(
                DateTime::parse_from_rfc3339("2026-03-01T10:00:00+08:00").expect("t"),
            ),
            ..Default::default()
        },
    )
    .expect("add");
    phone
        .doc
        .transact::<_, _, phone_automerge::AutomergeError>(|tx| {
            use phone_automerge::transaction::Transactable;
            use phone_automerge::ReadDoc;
            let records = tx
                .get(phone_automerge::ROOT, "records")?
                .expect("records")
                .1;
            tx.delete(&records, RID)
        })
        .map_err(|f| f.error)
        .expect("delete");
    let changes = phone.doc.get_changes(&before);
    let layout = Layout::find(&phone.doc, &id).expect("layout");
    let touched = layout.touched(&phone.doc, &changes);
    assert!(
        touched.contains(&("records", RID.to_string(), false)),
        "{touched:?}"
    );
    assert!(
        touched.contains(&("records", RID.to_string(), true)),
        "{touched:?}"
    );
}

#[test]
fn sync_states_read_across_the_versions() {
    let id = DocId::checkins(MEMBER, 2026);
    let mut server = Server::with_root(&id);
    let mut phone = Replica::empty(id.clone());
    sync(&mut phone, &mut server);
    let on_server = State::decode(&phone.save_state()).expect("0.12 reads 0.6's state");
    assert_eq!(
        on_server.shared_heads,
        server.doc.get_heads(),
        "the state names the heads both sides share"
    );
    let back = Replica::restore(id, &phone.save_doc(), Some(&on_server.encode())).expect("restore");
    assert_eq!(back.state.shared_heads, phone.state.shared_heads);
}
