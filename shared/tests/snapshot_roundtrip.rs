//! A server keeps one document in memory and applies each sync message to
//! it in place, and compaction stores `save()` of that copy. The stored
//! snapshot must load back to the very same changes (the same hashes), or
//! a phone's next changes no longer fit the server's history.
// The server's side runs here, on the server's Automerge; with the
// phone's (feature phone-automerge) see phone_automerge.rs instead.
#![cfg(not(feature = "phone-automerge"))]

use automerge::sync::State;
use automerge::Automerge;
use vanguard_shared::documents::edit::add_record;
use vanguard_shared::documents::{create_root, DocId, NewRecord};
use vanguard_shared::sync::exchange::{decode, exchange, receive};
use vanguard_shared::sync::Replica;

fn record(n: usize) -> NewRecord {
    NewRecord {
        kind: "volunteer".into(),
        occurred_at: chrono::DateTime::parse_from_rfc3339("2026-03-01T09:00:00+08:00").ok(),
        hours: Some(2.0),
        place: Some(format!("社区{n}")),
        note: Some(format!("第{n}次")),
        ..Default::default()
    }
}

fn run(in_place: bool, saves_every: usize, records: usize) -> Result<(), String> {
    let id = DocId::checkins("m-1", 2026);
    let mut server = Automerge::load(&create_root(&id).save()).map_err(|e| e.to_string())?;
    let mut phone = Replica::empty(id.clone());
    let mut state = State::new();
    let step =
        |phone: &mut Replica, server: &mut Automerge, state: &mut State| -> Result<(), String> {
            for _ in 0..10 {
                let msg = phone.outgoing().map(|m| decode(&m).expect("decode"));
                let persisted = State::decode(&state.encode()).expect("state");
                let reply = if in_place {
                    let ex = receive(server, &id, persisted, msg).map_err(|e| e.to_string())?;
                    *state = ex.state;
                    ex.reply
                } else {
                    let (ex, forked) =
                        exchange(server, &id, persisted, msg).map_err(|e| e.to_string())?;
                    if let Some(f) = forked {
                        *server = f;
                    }
                    *state = ex.state;
                    ex.reply
                };
                match reply {
                    Some(r) => phone.incoming(&r).map_err(|e| e.to_string())?,
                    None => {
                        phone.settled();
                        return Ok(());
                    }
                }
            }
            Err("did not settle".into())
        };
    step(&mut phone, &mut server, &mut state)?;
    for n in 0..records {
        add_record(
            &mut phone.doc,
            &format!("00000000-0000-4000-8000-{n:012}"),
            &record(n),
        )
        .map_err(|e| e.to_string())?;
        step(&mut phone, &mut server, &mut state)?;
        if (n + 1) % saves_every == 0 {
            let snapshot = server.save();
            let loaded = Automerge::load(&snapshot).map_err(|e| e.to_string())?;
            if loaded.get_heads() != server.get_heads() {
                return Err(format!(
                    "after record {n}: the snapshot loads with other heads"
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn a_snapshot_of_a_copy_changed_in_place_loads_to_the_same_history() {
    for every in [1, 3, 32] {
        assert_eq!(
            run(false, every, 120),
            Ok(()),
            "on a fork, saved every {every}"
        );
        assert_eq!(
            run(true, every, 120),
            Ok(()),
            "in place, saved every {every}"
        );
    }
}
