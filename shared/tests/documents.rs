//! Documents and the sync exchange, natively: roots, validation, and the
//! steady-state cost of one new record.
// The server's side runs here, on the server's Automerge; with the
// phone's (feature phone-automerge) see phone_automerge.rs instead.
#![cfg(not(feature = "phone-automerge"))]

use automerge::sync::State;
use automerge::transaction::Transactable;
use automerge::{Automerge, ReadDoc, ROOT};
use chrono::DateTime;
use vanguard_shared::documents::edit::{add_record, withdraw};
use vanguard_shared::documents::{create_root, DocId, Entry, NewRecord};
use vanguard_shared::sync::{exchange, exchange::decode, Replica};

const MEMBER: &str = "m-1";

fn record(kind: &str, at: &str) -> NewRecord {
    NewRecord {
        kind: kind.into(),
        occurred_at: Some(DateTime::parse_from_rfc3339(at).expect("time")),
        ..Default::default()
    }
}

/// A server replica: the document and one peer's state, as the server keeps them.
struct Server {
    id: DocId,
    doc: Automerge,
    state: State,
}

impl Server {
    fn new(id: &DocId) -> Self {
        Server {
            id: id.clone(),
            doc: create_root(id),
            state: State::new(),
        }
    }

    /// One request: answers the reply (None = 204) or the refusal.
    fn handle(&mut self, msg: Option<&[u8]>) -> Result<(Option<Vec<u8>>, Vec<Entry>), String> {
        let message = msg
            .map(|m| decode(m).map_err(|e| e.to_string()))
            .transpose()?;
        // The server keeps only the persisted part of the state between requests.
        let state = State::decode(&self.state.encode()).expect("state");
        let (ex, forked) =
            exchange(&mut self.doc, &self.id, state, message).map_err(|e| e.to_string())?;
        self.state = ex.state;
        let mut entries = Vec::new();
        if let (Some(applied), Some(forked)) = (ex.applied, forked) {
            self.doc = forked;
            entries = applied.entries;
        }
        Ok((ex.reply, entries))
    }
}

/// Runs requests until the server has nothing more to say; answers the
/// bytes sent both ways and the entries the server accepted.
fn sync(client: &mut Replica, server: &mut Server) -> Result<(usize, Vec<Entry>), String> {
    let mut bytes = 0;
    let mut entries = Vec::new();
    for _ in 0..10 {
        let Some(out) = client.outgoing() else {
            return Ok((bytes, entries));
        };
        bytes += out.len();
        let (reply, accepted) = server.handle(Some(&out))?;
        entries.extend(accepted);
        match reply {
            Some(reply) => {
                bytes += reply.len();
                client.incoming(&reply).map_err(|e| e.to_string())?;
            }
            None => client.settled(),
        }
    }
    Err("sync did not settle".into())
}

fn joined(id: &DocId) -> (Replica, Server) {
    let mut server = Server::new(id);
    let mut client = Replica::empty(id.clone());
    sync(&mut client, &mut server).expect("first sync");
    assert!(client.has_root());
    (client, server)
}

#[test]
fn roots_are_identical_wherever_they_are_made() {
    let id = DocId::checkins(MEMBER, 2026);
    let (a, b) = (create_root(&id), create_root(&id));
    assert_eq!(a.get_heads(), b.get_heads());
    assert_ne!(
        a.get_heads(),
        create_root(&DocId::checkins("m-2", 2026)).get_heads()
    );
}

#[test]
fn a_new_record_reaches_the_server_in_one_small_request() {
    let id = DocId::checkins(MEMBER, 2026);
    let (mut client, mut server) = joined(&id);
    let mut per_record = Vec::new();
    for i in 0..40 {
        let rid = format!("0000000{i:02}-aaaa-bbbb-cccc-000000000000");
        let mut rec = record("volunteer", "2026-05-12T09:30:00+08:00");
        rec.hours = Some(2.5);
        rec.note = Some("社区清扫".into());
        add_record(&mut client.doc, &rid, &rec).expect("add");
        let (bytes, entries) = sync(&mut client, &mut server).expect("sync");
        assert!(
            matches!(&entries[..], [Entry::Record(r)] if r.record_id == rid && r.hours == Some(2.5)),
            "{entries:?}"
        );
        per_record.push(bytes);
    }
    assert_eq!(client.doc.get_heads(), server.doc.get_heads());
    let steady = per_record[20..].iter().sum::<usize>() / 20;
    println!("steady-state sync bytes per record: {steady}");
    // The record as JSON is ~150 bytes; the sync must stay within 2× of that.
    assert!(steady < 400, "{per_record:?}");
}

fn refused(edit: impl FnOnce(&mut Automerge)) -> String {
    let id = DocId::checkins(MEMBER, 2026);
    let (mut client, mut server) = joined(&id);
    let before = server.doc.get_heads();
    edit(&mut client.doc);
    let err = sync(&mut client, &mut server).expect_err("must be refused");
    assert_eq!(server.doc.get_heads(), before, "nothing stored");
    err
}

#[test]
fn schema_breaks_are_refused_naming_entry_and_field() {
    let rid = "11111111-2222-3333-4444-555555555555";
    let err = refused(|d| {
        add_record(d, rid, &record("karaoke", "2026-01-01T10:00:00+08:00")).expect("add")
    });
    assert!(err.contains(rid) && err.contains("kind"), "{err}");
    let err = refused(|d| {
        let mut r = record("volunteer", "2026-01-01T10:00:00+08:00");
        r.hours = Some(-3.0);
        add_record(d, rid, &r).expect("add")
    });
    assert!(err.contains("hours"), "{err}");
    let err = refused(|d| {
        add_record(d, rid, &record("study", "2025-12-31T10:00:00+08:00")).expect("add")
    });
    assert!(err.contains("occurred_at"), "{err}");
    let err = refused(|d| {
        d.transact::<_, _, automerge::AutomergeError>(|tx| {
            tx.put(ROOT, "member_id", "someone-else")
        })
        .map_err(|f| f.error)
        .expect("put");
    });
    assert!(err.contains("member_id"), "{err}");
    let err = refused(|d| {
        d.transact::<_, _, automerge::AutomergeError>(|tx| {
            let records = tx.get(ROOT, "records")?.expect("records").1;
            let r = tx.put_object(&records, rid, automerge::ObjType::Map)?;
            tx.put(&r, "kind", "study")?;
            tx.put(&r, "occurred_at", 20260101i64)
        })
        .map_err(|f| f.error)
        .expect("put");
    });
    assert!(err.contains("occurred_at"), "{err}");
}

#[test]
fn the_roots_own_keys_cannot_be_rewritten_but_extra_keys_are_kept() {
    let rid = "11111111-2222-3333-4444-555555555555";
    // A fresh, empty records map would hide every record the member has.
    let err = refused(|d| {
        d.transact::<_, _, automerge::AutomergeError>(|tx| {
            let fresh = tx.put_object(ROOT, "records", automerge::ObjType::Map)?;
            let r = tx.put_object(&fresh, rid, automerge::ObjType::Map)?;
            tx.put(&r, "kind", "study")?;
            tx.put(&r, "occurred_at", "2026-03-01T10:00:00+08:00")
        })
        .map_err(|f| f.error)
        .expect("put");
    });
    assert!(
        err.contains("records") && err.contains("不可替换或删除"),
        "{err}"
    );
    let err = refused(|d| {
        d.transact::<_, _, automerge::AutomergeError>(|tx| tx.delete(ROOT, "records"))
            .map_err(|f| f.error)
            .expect("delete");
    });
    assert!(err.contains("records"), "{err}");
    let err = refused(|d| {
        d.transact::<_, _, automerge::AutomergeError>(|tx| tx.put(ROOT, "year", 2027i64))
            .map_err(|f| f.error)
            .expect("put");
    });
    assert!(err.contains("year") && err.contains("不可修改"), "{err}");
    let err = refused(|d| {
        d.transact::<_, _, automerge::AutomergeError>(|tx| tx.put(ROOT, "schema", 2i64))
            .map_err(|f| f.error)
            .expect("put");
    });
    assert!(err.contains("schema"), "{err}");

    // A key the schema does not know is kept as sent, with the record beside it.
    let id = DocId::checkins(MEMBER, 2026);
    let (mut client, mut server) = joined(&id);
    client
        .doc
        .transact::<_, _, automerge::AutomergeError>(|tx| tx.put(ROOT, "device_note", "备用手机"))
        .map_err(|f| f.error)
        .expect("put");
    add_record(
        &mut client.doc,
        rid,
        &record("study", "2026-03-01T10:00:00+08:00"),
    )
    .expect("add");
    let (_, entries) = sync(&mut client, &mut server).expect("accepted");
    assert!(
        matches!(&entries[..], [Entry::Record(r)] if r.record_id == rid),
        "{entries:?}"
    );
    assert_eq!(server.doc.get_heads(), client.doc.get_heads());
    let kept = server
        .doc
        .get(ROOT, "device_note")
        .expect("read")
        .map(|(v, _)| v.to_string());
    assert_eq!(kept.as_deref(), Some("\"备用手机\""));
}

#[test]
fn deleting_a_record_is_refused_and_withdrawing_is_accepted() {
    let id = DocId::checkins(MEMBER, 2026);
    let (mut client, mut server) = joined(&id);
    let rid = "11111111-2222-3333-4444-555555555555";
    add_record(
        &mut client.doc,
        rid,
        &record("study", "2026-03-01T10:00:00+08:00"),
    )
    .expect("add");
    sync(&mut client, &mut server).expect("sync");
    withdraw(&mut client.doc, rid).expect("withdraw");
    let (_, entries) = sync(&mut client, &mut server).expect("sync");
    assert!(matches!(&entries[..], [Entry::Record(r)] if r.withdrawn));
    client
        .doc
        .transact::<_, _, automerge::AutomergeError>(|tx| {
            let records = tx.get(ROOT, "records")?.expect("records").1;
            tx.delete(&records, rid)
        })
        .map_err(|f| f.error)
        .expect("delete");
    let err = sync(&mut client, &mut server).expect_err("refused");
    assert!(err.contains(rid), "{err}");
}

#[test]
fn a_refused_client_recovers_keeping_its_valid_records() {
    let id = DocId::checkins(MEMBER, 2026);
    let (mut client, mut server) = joined(&id);
    let good_before = "aaaaaaaa-0000-0000-0000-000000000001";
    let bad = "bbbbbbbb-0000-0000-0000-000000000002";
    let good_after = "aaaaaaaa-0000-0000-0000-000000000003";
    add_record(
        &mut client.doc,
        good_before,
        &record("study", "2026-03-01T10:00:00+08:00"),
    )
    .expect("add");
    add_record(
        &mut client.doc,
        bad,
        &record("nonsense", "2026-03-01T10:00:00+08:00"),
    )
    .expect("add");
    add_record(
        &mut client.doc,
        good_after,
        &record("talk", "2026-03-02T10:00:00+08:00"),
    )
    .expect("add");
    sync(&mut client, &mut server).expect_err("refused as a whole");
    let dropped = client.recover().expect("recover");
    assert_eq!(dropped, vec![bad.to_string()]);
    let (_, entries) = sync(&mut client, &mut server).expect("sync after recovery");
    let mut ids: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Record(r) => Some(r.record_id.as_str()),
            _ => None,
        })
        .collect();
    ids.sort();
    assert_eq!(ids, vec![good_before, good_after]);
    assert_eq!(client.doc.get_heads(), server.doc.get_heads());
}

/// The phone's view of a year: states in words, leave priced as excused
/// absence from its event, withdrawn records out of the provisional score.
#[test]
fn the_members_view_reads_states_and_prices_leave() {
    use std::collections::BTreeSet;
    use vanguard_shared::documents::edit::{decide, put_event, set_fields, Verdict};
    use vanguard_shared::documents::view::{facts, records, RecordState};
    use vanguard_shared::documents::{DecisionStatus, EventEntry, Layout};
    use vanguard_shared::ledger::{Kind, Outcome, Review};

    let year = 2026;
    let (cid, rid, eid) = (
        DocId::checkins(MEMBER, year),
        DocId::reviews(MEMBER, year),
        DocId::events("b-1", year),
    );
    let (mut checkins, mut reviews, mut events) =
        (create_root(&cid), create_root(&rid), create_root(&eid));
    let event = EventEntry {
        event_id: "ev-1".into(),
        kind: Kind::ThemeDay,
        title: "十一月主题党日".into(),
        start: DateTime::parse_from_rfc3339("2026-11-20T09:00:00+08:00").expect("time"),
        end: None,
        place: None,
        geofence: None,
        code_key: None,
        group_id: None,
        cancelled: false,
        cancelled_by: None,
        cancelled_at: None,
    };
    put_event(&mut events, &event).expect("event");
    let evs = vanguard_shared::documents::view::events(&events, &eid);
    assert_eq!(evs, vec![event]);

    add_record(
        &mut checkins,
        "r-vol",
        &NewRecord {
            hours: Some(2.0),
            ..record("volunteer", "2026-03-01T10:00:00+08:00")
        },
    )
    .expect("add");
    add_record(
        &mut checkins,
        "r-study",
        &record("study", "2026-04-01T10:00:00+08:00"),
    )
    .expect("add");
    add_record(
        &mut checkins,
        "r-leave",
        &NewRecord {
            event_id: Some("ev-1".into()),
            note: Some("出差".into()),
            ..record("leave", "2026-11-19T10:00:00+08:00")
        },
    )
    .expect("add");
    add_record(
        &mut checkins,
        "r-talk",
        &record("talk", "2026-05-01T10:00:00+08:00"),
    )
    .expect("add");
    add_record(
        &mut checkins,
        "r-new",
        &record("visit", "2026-06-01T10:00:00+08:00"),
    )
    .expect("add");
    withdraw(&mut checkins, "r-talk").expect("withdraw");
    let at = DateTime::parse_from_rfc3339("2026-11-21T10:00:00+08:00").expect("time");
    fn version(checkins: &Automerge, cid: &DocId, id: &str) -> String {
        match Layout::find(checkins, cid).and_then(|l| l.read(checkins, "records", id).ok()) {
            Some(Entry::Record(r)) => r.version(),
            other => panic!("{id}: {other:?}"),
        }
    }
    let (v_vol, v_study) = (
        version(&checkins, &cid, "r-vol"),
        version(&checkins, &cid, "r-study"),
    );
    let verdict = |status, reason, version| Verdict {
        status,
        reason,
        version,
        seen: None,
    };
    decide(
        &mut reviews,
        "r-vol",
        verdict(DecisionStatus::Approved, None, &v_vol),
        "sec",
        at,
    )
    .expect("decide");
    decide(
        &mut reviews,
        "r-study",
        verdict(DecisionStatus::Returned, Some("缺少学习笔记"), &v_study),
        "sec",
        at,
    )
    .expect("decide");

    let unconfirmed = BTreeSet::from(["r-new".to_string()]);
    let views = records(
        (&checkins, &cid),
        Some((&reviews, &rid)),
        &evs,
        &unconfirmed,
    );
    let state = |id: &str| {
        views
            .iter()
            .find(|v| v.record.record_id == id)
            .map(|v| v.state.clone())
    };
    assert_eq!(state("r-vol"), Some(RecordState::Approved));
    assert_eq!(
        state("r-study"),
        Some(RecordState::Returned {
            reason: "缺少学习笔记".into()
        })
    );
    assert_eq!(state("r-leave"), Some(RecordState::Submitted));
    assert_eq!(state("r-talk"), Some(RecordState::Withdrawn));
    assert_eq!(state("r-new"), Some(RecordState::Local));
    assert_eq!(views[0].record.record_id, "r-leave", "newest first");
    assert_eq!(views[0].title, "请假：十一月主题党日");

    let priced = facts(&views, &evs, &[]);
    let leave = priced
        .iter()
        .find(|f| &*f.record_id == "r-leave")
        .expect("leave priced");
    assert_eq!(
        (leave.kind, leave.outcome),
        (Kind::ThemeDay, Some(Outcome::Excused))
    );
    let talk = priced
        .iter()
        .find(|f| &*f.record_id == "r-talk")
        .expect("talk");
    assert_eq!(talk.review, Review::Withdrawn);
    let new = priced
        .iter()
        .find(|f| &*f.record_id == "r-new")
        .expect("local");
    assert_eq!(new.review, Review::Pending);

    // Changed after its approval, a record awaits review again; a
    // withdrawal alone changes no version.
    set_fields(&mut checkins, "records", "r-vol", &[("hours", 5.0.into())]).expect("correct");
    withdraw(&mut checkins, "r-study").expect("withdraw");
    assert_eq!(version(&checkins, &cid, "r-study"), v_study);
    let views = records(
        (&checkins, &cid),
        Some((&reviews, &rid)),
        &evs,
        &unconfirmed,
    );
    let state = |id: &str| {
        views
            .iter()
            .find(|v| v.record.record_id == id)
            .map(|v| v.state.clone())
    };
    assert_eq!(state("r-vol"), Some(RecordState::Submitted));
    assert_eq!(state("r-study"), Some(RecordState::Withdrawn));
}
