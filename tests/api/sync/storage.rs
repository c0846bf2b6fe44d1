//! What the server keeps of documents: compaction and rebuild keep the same
//! tables, reads during a compaction are never torn, sync states are stored.

use super::*;
use crate::helpers::{spawn_app, Db};
use crate::on_both;
use crate::sync_client::Device;
use vanguard_core::sync::compaction;
use vanguard_shared::documents::edit::add_record;
use vanguard_shared::documents::{DecisionStatus, DocId};

async fn rebuild_and_compaction_keep_the_same_tables(db: Db) {
    let app = spawn_app(db).await;
    let (token, id, _) = member(&app, "member01").await;
    let (sec_token, sec_id, _) = member(&app, "secretary01").await;
    let checkins = DocId::checkins(&id, YEAR);
    let phone = Device::new(app.url(""), &token, "phone");
    let mut mine = phone.fetch(&checkins).await;
    for n in 1..=40 {
        add_record(&mut mine.doc, &rid(n), &volunteer(n)).expect("add");
        phone.sync(&mut mine).await.expect("accepted");
    }
    let desk = Device::new(app.url(""), &sec_token, "desk");
    let mut review = desk.fetch(&DocId::reviews(&id, YEAR)).await;
    decide_on(
        &mut review,
        &mine,
        &rid(3),
        (DecisionStatus::Returned, Some("缺少照片")),
        &sec_id,
        at("2026-05-13T10:00:00+08:00"),
    );
    desk.sync(&mut review).await.expect("accepted");

    let store = &app.state.services.store;
    // The background compactor may have run already; compact what is left.
    compaction::compact(&app.state.services.sync, &checkins.to_string())
        .await
        .expect("compact");
    let head = store
        .documents()
        .head(&checkins.to_string())
        .await
        .expect("head")
        .expect("doc");
    assert_eq!(head.snapshot_seq, head.seq, "compacted: {head:?}");
    let stored = store
        .documents()
        .load(&checkins.to_string())
        .await
        .expect("load")
        .expect("doc");
    assert!(stored.changes.is_empty());
    let reloaded = automerge::Automerge::load(&stored.snapshot).expect("snapshot loads");
    assert_eq!(reloaded.get_heads(), mine.doc.get_heads());

    let before = store.materialized().dump().await.expect("dump");
    assert_eq!(
        before
            .iter()
            .filter(|l| l.starts_with(&format!("records: {checkins}|")))
            .count(),
        40
    );
    // Lose one document's rows, then rebuild everything from the documents.
    store
        .materialized()
        .rebuild(&checkins, &[], &Default::default())
        .await
        .expect("wipe");
    assert_ne!(store.materialized().dump().await.expect("dump"), before);
    let count = vanguard_core::sync::rebuild::rebuild(store)
        .await
        .expect("rebuild");
    assert!(count >= 3);
    assert_eq!(store.materialized().dump().await.expect("dump"), before);
    // The phone syncs on after compaction with nothing to exchange.
    assert_eq!(phone.sync(&mut mine).await.expect("in sync"), 0);
    add_record(&mut mine.doc, &rid(41), &volunteer(41)).expect("add");
    phone.sync(&mut mine).await.expect("accepted");
    assert_eq!(records(&app, &token, &id).await.len(), 41);
}
on_both!(rebuild_and_compaction_keep_the_same_tables);

/// A document loaded without a lock while it is compacted: the head and the
/// changes come from two reads, and a compaction between them must never
/// leave a copy that claims changes it lacks.
async fn a_document_read_during_compaction_is_never_torn(db: Db) {
    let (app, _, phone, mut mine) = member_phone(db).await;
    let name = mine.id.to_string();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = tokio::spawn({
        let (store, name, done) = (app.state.services.store.clone(), name.clone(), done.clone());
        async move {
            let mut reads = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let stored = store
                    .documents()
                    .load(&name)
                    .await
                    .expect("load")
                    .expect("doc");
                let mut doc = automerge::Automerge::load(&stored.snapshot).expect("snapshot");
                for (_, change) in &stored.changes {
                    doc.load_incremental(change).expect("change");
                }
                let phone_changes = doc
                    .get_changes(&[])
                    .iter()
                    .filter(|c| *c.actor_id() != vanguard_shared::documents::root_actor())
                    .count();
                // One stored change per accepted message, one record each.
                assert_eq!(phone_changes as i64, stored.head.seq, "{:?}", stored.head);
                reads += 1;
            }
            reads
        }
    });
    for n in 1..=40 {
        add_record(&mut mine.doc, &rid(n), &volunteer(n)).expect("add");
        phone.sync(&mut mine).await.expect("accepted");
        compaction::compact(&app.state.services.sync, &name)
            .await
            .expect("compact");
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads = reader.await.expect("reads agree with their heads");
    assert!(reads > 0);
}
on_both!(a_document_read_during_compaction_is_never_torn);

/// Sync states are written behind the exchanges: a device's state reaches
/// the store within a few seconds, and is the state after its last sync.
async fn a_devices_sync_state_is_stored_soon_after_it_syncs(db: Db) {
    let (app, id, phone, mut mine) = member_phone(db).await;
    let name = mine.id.to_string();
    add_record(&mut mine.doc, &rid(1), &volunteer(1)).expect("add");
    phone.sync(&mut mine).await.expect("accepted");
    let mut stored = None;
    for _ in 0..50 {
        stored = app
            .state
            .services
            .store
            .documents()
            .sync_state(&name, &id, "phone")
            .await
            .expect("read state");
        let shared = stored
            .as_deref()
            .and_then(|s| automerge::sync::State::decode(s).ok())
            .map(|s| s.shared_heads);
        if shared.as_deref() == Some(mine.doc.get_heads().as_slice()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the state after the last sync was not stored within 5 s: {stored:?}");
}
on_both!(a_devices_sync_state_is_stored_soon_after_it_syncs);
