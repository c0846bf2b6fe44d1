//! Background compaction: a document's incremental changes are folded into
//! one compacted save, which is many times smaller (an incremental save of
//! one change is about a kilobyte; a record in a compacted save, tens of bytes).

use super::{hot, SyncService};
use crate::storage::cluster::Job;
use crate::storage::StoreError;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Compacts one document from its hot copy; true if it wrote a snapshot.
pub async fn compact(service: &SyncService, id: &str) -> Result<bool, StoreError> {
    let store = service.store();
    let Some(head) = store.documents().head(id).await? else {
        return Ok(false);
    };
    if head.seq == head.snapshot_seq {
        return Ok(false);
    }
    let slot = service.slot(id);
    let mut guard = slot.lock().await;
    hot::refresh(store, id, &mut guard, head).await?;
    let Some(doc) = guard.as_ref() else {
        return Ok(false);
    };
    let (snapshot, seq) = (doc.doc.save(), doc.seq);
    drop(guard);
    let compacted = store.documents().compact(id, seq, &snapshot).await?;
    if compacted {
        // What the document now takes, for its quota: the snapshot, and
        // any change stored after it meanwhile.
        if let Some(doc) = slot.lock().await.as_mut() {
            if doc.seq == seq {
                doc.bytes = snapshot.len() as u64;
            }
        }
    }
    Ok(compacted)
}

/// Compacts every document with enough changes: at start, and every few
/// minutes for documents other processes wrote. One process at a time
/// sweeps (`storage::cluster`); the others find nothing to do.
pub async fn sweep(service: &SyncService) -> Result<usize, StoreError> {
    let Some(lead) = service
        .store()
        .cluster()
        .try_lead(Job::CompactionSweep)
        .await?
    else {
        return Ok(0);
    };
    let ids = service
        .store()
        .documents()
        .to_compact(service.config().compact_after)
        .await?;
    let mut done = 0;
    for id in ids {
        if compact(service, &id).await? {
            done += 1;
        }
    }
    drop(lead);
    Ok(done)
}

/// Runs until the queue closes: compacts what writers report, and sweeps.
pub async fn run(service: Arc<SyncService>, mut queue: mpsc::UnboundedReceiver<String>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(300));
    loop {
        tokio::select! {
            next = queue.recv() => {
                let Some(id) = next else { return };
                if let Err(e) = compact(&service, &id).await {
                    tracing::warn!(doc = %id, error = %e, "compaction failed; will retry on the next sweep");
                }
            }
            _ = ticker.tick() => {
                match sweep(&service).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(documents = n, "compacted"),
                    Err(e) => tracing::warn!(error = %e, "compaction sweep failed"),
                }
            }
        }
    }
}
