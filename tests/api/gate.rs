//! The document gate's server-side edit (`SyncService::edit`): what the
//! console writes on a secretary's behalf passes the same checks as a
//! synced change, and lands in the same tables and audit log.

use crate::fixtures::Branch;
use crate::helpers::{spawn_app, stored_doc, Db, TestApp};
use crate::on_both;
use chrono::{DateTime, Duration, FixedOffset};
use vanguard_core::storage::Member;
use vanguard_core::sync::{SyncError, EDIT_DEVICE};
use vanguard_shared::automerge::transaction::Transactable;
use vanguard_shared::automerge::{ObjType, ReadDoc, ROOT};
use vanguard_shared::documents::edit::put_event;
use vanguard_shared::documents::view::events;
use vanguard_shared::documents::{DocId, EventEntry};
use vanguard_shared::ledger::Kind;

const YEAR: i32 = 2026;

fn start() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-06-15T09:00:00+08:00").expect("time")
}

fn event(id: &str) -> EventEntry {
    EventEntry {
        event_id: id.to_string(),
        kind: Kind::ThemeDay,
        title: "六月主题党日".into(),
        start: start(),
        end: Some(start() + Duration::hours(2)),
        place: Some("党员活动室".into()),
        geofence: None,
        code_key: None,
        group_id: None,
        cancelled: false,
        cancelled_by: None,
        cancelled_at: None,
    }
}

async fn member(app: &TestApp, id: &str) -> Member {
    app.state
        .services
        .store
        .accounts()
        .member(id)
        .await
        .expect("member")
        .expect("exists")
}

/// The stored head, the audit lines and every materialized row.
async fn stored(app: &TestApp, doc: &DocId) -> (i64, usize, Vec<String>) {
    let store = &app.state.services.store;
    let head = store
        .documents()
        .head(&doc.to_string())
        .await
        .expect("head")
        .expect("doc");
    let audit = store
        .audit()
        .of_document(&doc.to_string())
        .await
        .expect("audit");
    (
        head.seq,
        audit.len(),
        store.materialized().dump().await.expect("dump"),
    )
}

async fn an_edit_that_breaks_the_schema_stores_nothing(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    let secretary = member(&app, &branch.secretary.id).await;
    let doc = DocId::events(&branch.id, YEAR);
    let sync = &app.state.services.sync;
    sync.ensure_documents(std::slice::from_ref(&doc))
        .await
        .expect("root");
    let before = stored(&app, &doc).await;

    // An event without its title, and with a kind no rulebook knows.
    let refused = sync
        .edit(&secretary, &doc, |d| {
            let events = d
                .get(ROOT, "events")
                .ok()
                .flatten()
                .map(|(_, o)| o)
                .expect("events map");
            d.transact::<_, _, vanguard_shared::automerge::AutomergeError>(|tx| {
                let e = tx.put_object(&events, "bad-event", ObjType::Map)?;
                tx.put(&e, "kind", "picnic")?;
                tx.put(&e, "start", start().to_rfc3339())?;
                Ok(())
            })
            .map(|_| ())
            .map_err(|f| f.error.into())
        })
        .await;
    assert!(matches!(refused, Err(SyncError::Schema(_))), "{refused:?}");
    assert_eq!(
        stored(&app, &doc).await,
        before,
        "nothing of a refused edit is stored"
    );
    let doc_now = stored_doc(&app, &doc.to_string()).await;
    assert!(events(&doc_now, &doc).is_empty());

    // A member who may only read the events document cannot edit it.
    let plain = member(&app, &branch.members[0].id).await;
    let forbidden = sync
        .edit(&plain, &doc, |d| put_event(d, &event("e-1")))
        .await;
    assert!(
        matches!(forbidden, Err(SyncError::Forbidden(_))),
        "{forbidden:?}"
    );
    assert_eq!(stored(&app, &doc).await, before);
}
on_both!(an_edit_that_breaks_the_schema_stores_nothing);

async fn an_accepted_edit_lands_like_a_synced_change(db: Db) {
    let app = spawn_app(db).await;
    let branch = Branch::create(&app, 2).await;
    let secretary = member(&app, &branch.secretary.id).await;
    let doc = DocId::events(&branch.id, YEAR);
    let sync = &app.state.services.sync;
    let (seq, audit, rows) = {
        sync.ensure_documents(std::slice::from_ref(&doc))
            .await
            .expect("root");
        stored(&app, &doc).await
    };

    let changed = sync
        .edit(&secretary, &doc, |d| put_event(d, &event("e-1")))
        .await;
    assert!(matches!(changed, Ok(true)), "{changed:?}");

    // One more change, one more audit line naming the author and the edit,
    // and the event's row.
    let store = &app.state.services.store;
    let (seq_after, audit_after, rows_after) = stored(&app, &doc).await;
    assert_eq!(seq_after, seq + 1);
    assert_eq!(audit_after, audit + 1);
    let line = store
        .audit()
        .of_document(&doc.to_string())
        .await
        .expect("audit")
        .pop()
        .expect("line");
    assert_eq!(
        (line.member_id.as_str(), line.peer_id.as_str()),
        (secretary.id.as_str(), EDIT_DEVICE)
    );
    let new_rows: Vec<&String> = rows_after.iter().filter(|r| !rows.contains(r)).collect();
    assert_eq!(new_rows.len(), 1, "{new_rows:?}");
    assert!(
        new_rows[0].starts_with("events: ") && new_rows[0].contains("六月主题党日"),
        "{new_rows:?}"
    );

    // The stored document holds the event, and a rebuild from the stored
    // documents gives exactly the rows the edit wrote.
    let doc_now = stored_doc(&app, &doc.to_string()).await;
    assert_eq!(events(&doc_now, &doc), vec![event("e-1")]);
    vanguard_core::sync::rebuild::rebuild(store)
        .await
        .expect("rebuild");
    assert_eq!(store.materialized().dump().await.expect("dump"), rows_after);

    // The same edit again changes nothing and stores nothing.
    let again = sync.edit(&secretary, &doc, |_| Ok(())).await;
    assert!(matches!(again, Ok(false)), "{again:?}");
    assert_eq!(stored(&app, &doc).await.0, seq + 1);
}
on_both!(an_accepted_edit_lands_like_a_synced_change);
