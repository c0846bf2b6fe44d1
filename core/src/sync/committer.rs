//! Group commit: accepted messages from many requests are written in one
//! transaction. A transaction's fixed cost (begin, commit, on SQLite the
//! database's one write lock) is then paid once per group instead of once
//! per message, which is what lets sync keep up with a plain insert. The
//! committer writes through a connection of its own, so a group never waits
//! for a pooled connection behind the requests' reads.

use crate::storage::{CommitWriter, PendingCommit, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// The most messages one transaction carries.
const MAX_GROUP: usize = 256;

type Reply = oneshot::Sender<Result<bool, StoreError>>;

pub struct Committer {
    queue: mpsc::UnboundedSender<(PendingCommit, Reply)>,
}

impl Committer {
    /// Starts the writer task; it ends when the committer is dropped.
    pub fn start(store: Store) -> Self {
        let (queue, jobs) = mpsc::unbounded_channel();
        tokio::spawn(run(store, jobs));
        Committer { queue }
    }

    /// Stores `commit` if its document is still where it was: true once
    /// stored, false if another writer moved the document on first.
    pub async fn commit(&self, commit: PendingCommit) -> Result<bool, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((commit, reply))
            .map_err(|_| StoreError::Unavailable("提交队列已关闭".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("提交任务已停止".into()))?
    }
}

/// The committer's connection, opened when first needed and again after
/// any failure, since a failed connection may be a broken one.
struct Writer {
    store: Store,
    open: Option<CommitWriter>,
}

impl Writer {
    async fn commit_many(&mut self, commits: &[PendingCommit]) -> Result<Vec<bool>, StoreError> {
        let mut writer = match self.open.take() {
            Some(writer) => writer,
            None => self.store.documents().commit_writer().await?,
        };
        let stored = writer.commit_many(commits).await?;
        self.open = Some(writer);
        Ok(stored)
    }
}

async fn run(store: Store, mut jobs: mpsc::UnboundedReceiver<(PendingCommit, Reply)>) {
    let mut writer = Writer { store, open: None };
    while let Some(first) = jobs.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let (commits, replies): (Vec<PendingCommit>, Vec<Reply>) = group.into_iter().unzip();
        match writer.commit_many(&commits).await {
            Ok(stored) => {
                for (reply, ok) in replies.into_iter().zip(stored) {
                    let _ = reply.send(Ok(ok));
                }
            }
            // One bad message must not fail the others: retry each alone.
            Err(_) if commits.len() > 1 => {
                for (commit, reply) in commits.into_iter().zip(replies) {
                    let result = writer
                        .commit_many(std::slice::from_ref(&commit))
                        .await
                        .map(|stored| stored.first().copied().unwrap_or(false));
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(e));
                }
            }
        }
    }
}
