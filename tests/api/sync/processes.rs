//! Several server processes on one database.

use super::*;
use crate::helpers::{spawn_app, stored_doc, Db};
use crate::on_both;
use crate::sync_client::Device;
use vanguard_shared::documents::edit::add_record;
use vanguard_shared::documents::DocId;
use vanguard_shared::sync::Replica;

async fn two_processes_on_one_database_lose_nothing(db: Db) {
    let app = spawn_app(db).await;
    let sibling = app.sibling().await;
    let (token, id, _) = member(&app, "member01").await;
    let checkins = DocId::checkins(&id, YEAR);
    let a = Device::new(app.url(""), &token, "phone-a");
    let b = Device::new(sibling.url(""), &token, "phone-b");
    let mut ra = a.fetch(&checkins).await;
    let mut rb = b.fetch(&checkins).await;
    let run = |device: Device, mut replica: Replica, offset: usize| async move {
        for n in 0..15 {
            add_record(&mut replica.doc, &rid(offset + n), &volunteer(offset + n)).expect("add");
            device.sync(&mut replica).await.expect("accepted");
        }
        replica
    };
    let (ra2, rb2) = tokio::join!(run(a, ra, 100), run(b, rb, 200));
    ra = ra2;
    rb = rb2;
    let a = Device::new(app.url(""), &token, "phone-a");
    let b = Device::new(sibling.url(""), &token, "phone-b");
    // A poll starts afresh, so the server tells what the other process stored.
    for replica in [&mut ra, &mut rb] {
        replica.reconnect();
    }
    a.sync(&mut ra).await.expect("sync");
    b.sync(&mut rb).await.expect("sync");
    ra.reconnect();
    a.sync(&mut ra).await.expect("sync");
    assert_eq!(ra.doc.get_heads(), rb.doc.get_heads());
    assert_eq!(records(&app, &token, &id).await.len(), 30);
    let doc = stored_doc(&app, &checkins.to_string()).await;
    assert_eq!(doc.get_heads(), ra.doc.get_heads());
}
on_both!(two_processes_on_one_database_lose_nothing);
