//! What the store keeps of each Automerge document (`documents`,
//! `document_changes`), the peers' sync states (`sync_states`), the actors
//! bound to members (`actors`), and the two ways a writer stores accepted
//! changes: the locked transaction ([`DocTx`]) and the group committer's
//! connection ([`CommitWriter`]). Either way the change, its audit line and
//! its materialized rows commit together.

use super::commit::PendingCommit;
use super::{
    audit, classify, marks, materialize, on_db, postgres, sqlite, Conn, Db, Pool, StoreError,
};
use std::collections::{HashMap, HashSet};
use vanguard_shared::documents::DocId;

/// A document to create: its id and its root, saved.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub id: DocId,
    pub snapshot: Vec<u8>,
    pub at: i64,
}

/// Where a document's stored history stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocHead {
    /// The sequence number of the last stored change (0: only the snapshot).
    pub seq: i64,
    /// The snapshot includes every change up to here.
    pub snapshot_seq: i64,
}

/// A document as stored: the compacted save plus the changes after it.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    pub head: DocHead,
    pub snapshot: Vec<u8>,
    /// `(seq, incremental save)`, in order.
    pub changes: Vec<(i64, Vec<u8>)>,
}

/// One peer's sync state for one document (`sync::states`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStateRow {
    pub doc_id: String,
    pub member_id: String,
    pub peer_id: String,
    pub state: Vec<u8>,
    pub at: i64,
}

pub struct Documents<'a> {
    pool: &'a Pool,
    writers: &'a WriterQueue,
}

/// SQLite has one write lock for the whole file. A document's transaction
/// holds it while the gate reads what it checks through other connections
/// of the pool; writers that each took a pooled connection to wait in
/// `BEGIN IMMEDIATE` could take them all and leave the holder none, until
/// their busy timeouts failed them ("database is locked"). So SQLite's
/// writers wait here first, in turn, holding no connection; PostgreSQL
/// locks rows and needs no queue.
#[derive(Clone, Default)]
pub struct WriterQueue(Option<std::sync::Arc<tokio::sync::Mutex<()>>>);

/// A writer's turn, held until its transaction ends.
type WriterTurn = Option<tokio::sync::OwnedMutexGuard<()>>;

impl WriterQueue {
    pub(super) fn for_pool(pool: &Pool) -> Self {
        match pool {
            Db::Sqlite(_) => WriterQueue(Some(std::sync::Arc::default())),
            Db::Postgres(_) => WriterQueue(None),
        }
    }

    async fn turn(&self) -> WriterTurn {
        match &self.0 {
            Some(queue) => Some(queue.clone().lock_owned().await),
            None => None,
        }
    }
}

/// The statement that opens a writer's transaction, per backend.
fn begin_write(pool: &Pool) -> &'static str {
    match pool {
        Db::Sqlite(_) => sqlite::BEGIN_WRITE,
        Db::Postgres(_) => postgres::BEGIN_WRITE,
    }
}

/// Reads a document's head and, on PostgreSQL, locks its row until the
/// transaction ends (on SQLite, `BEGIN IMMEDIATE` already holds the
/// database's one write lock).
fn lock_head(pool: &Pool) -> &'static str {
    match pool {
        Db::Sqlite(_) => "SELECT seq, snapshot_seq FROM documents WHERE id = $1",
        Db::Postgres(_) => "SELECT seq, snapshot_seq FROM documents WHERE id = $1 FOR UPDATE",
    }
}

impl<'a> Documents<'a> {
    pub(super) fn new(pool: &'a Pool, writers: &'a WriterQueue) -> Self {
        Documents { pool, writers }
    }

    /// Creates the documents that do not exist yet; existing ones are left as they are.
    pub async fn create(&self, docs: &[NewDocument]) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            for d in docs {
                sqlx::query(
                    "INSERT INTO documents (id, kind, owner_id, year, snapshot, snapshot_seq, seq, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $6) ON CONFLICT (id) DO NOTHING",
                )
                .bind(d.id.to_string())
                .bind(d.id.kind.as_str())
                .bind(&d.id.owner)
                .bind(i64::from(d.id.year))
                .bind(&d.snapshot)
                .bind(d.at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Which of `ids` exist.
    pub async fn existing(&self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        let mut found = Vec::new();
        // A member's list is a handful; a committee admin's, chunks of a few hundred.
        for chunk in ids.chunks(500) {
            let marks = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("SELECT id FROM documents WHERE id IN ({marks})");
            let rows: Vec<(String,)> = on_db!(self.pool, p => {
                let mut query = sqlx::query_as(&sql);
                for id in chunk {
                    query = query.bind(id);
                }
                query.fetch_all(p).await?
            });
            found.extend(rows.into_iter().map(|(id,)| id));
        }
        Ok(found)
    }

    /// Each owner's count of documents of `year` and the sum of their
    /// sequence numbers: every accepted change raises the sum, so an
    /// unchanged pair means nothing materialized from them has changed.
    pub async fn freshness(
        &self,
        owners: &[&str],
        year: i32,
    ) -> Result<HashMap<String, (i64, i64)>, StoreError> {
        let mut out = HashMap::new();
        for chunk in owners.chunks(500) {
            let sql = format!(
                "SELECT owner_id, COUNT(*), CAST(COALESCE(SUM(seq), 0) AS BIGINT) FROM documents \
                 WHERE year = $1 AND owner_id IN ({}) GROUP BY owner_id",
                marks(2, chunk.len())
            );
            let rows: Vec<(String, i64, i64)> = on_db!(self.pool, p => {
                let mut query = sqlx::query_as(&sql).bind(i64::from(year));
                for owner in chunk {
                    query = query.bind(*owner);
                }
                query.fetch_all(p).await?
            });
            out.extend(rows.into_iter().map(|(owner, n, sum)| (owner, (n, sum))));
        }
        Ok(out)
    }

    pub async fn head(&self, id: &str) -> Result<Option<DocHead>, StoreError> {
        let row: Option<(i64, i64)> = on_db!(self.pool, p => {
            sqlx::query_as("SELECT seq, snapshot_seq FROM documents WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(|(seq, snapshot_seq)| DocHead { seq, snapshot_seq }))
    }

    pub async fn changes_after(
        &self,
        id: &str,
        seq: i64,
    ) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        on_db!(self.pool, p => {
            let mut conn = p.acquire().await?;
            fetch_changes(Db::from(&mut *conn), id, seq).await
        })
    }

    pub async fn load(&self, id: &str) -> Result<Option<StoredDoc>, StoreError> {
        on_db!(self.pool, p => {
            let mut conn = p.acquire().await?;
            fetch_document(Db::from(&mut *conn), id).await
        })
    }

    /// Begins a transaction holding the document's write lock; `None` if
    /// there is no such document.
    pub async fn begin(&self, id: &str) -> Result<Option<DocTx>, StoreError> {
        let lock = lock_head(self.pool);
        let begin = begin_write(self.pool);
        let turn = self.writers.turn().await;
        let (tx, row): (LockedTx, Option<(i64, i64)>) = on_db!(self.pool, p => {
            let mut tx = p.begin_with(begin).await?;
            let row = sqlx::query_as(lock).bind(id).fetch_optional(&mut *tx).await?;
            (tx.into(), row)
        });
        Ok(row.map(|(seq, snapshot_seq)| DocTx {
            tx,
            _turn: turn,
            id: id.to_string(),
            head: DocHead { seq, snapshot_seq },
        }))
    }

    /// A connection of its own for the group committer, outside the pool:
    /// its transactions then never wait in line behind the requests' reads
    /// for a pooled connection, which on SQLite cost more than the writes.
    pub async fn commit_writer(&self) -> Result<CommitWriter, StoreError> {
        let begin = begin_write(self.pool);
        let conn = match self.pool {
            Db::Sqlite(p) => {
                // Detached: the pool opens another for the readers.
                let mut conn = p.acquire().await?.detach();
                for statement in sqlite::WRITER_SETUP {
                    sqlx::query(statement).execute(&mut conn).await?;
                }
                Db::Sqlite(conn)
            }
            Db::Postgres(p) => {
                let mut conn = p.acquire().await?.detach();
                for statement in postgres::WRITER_SETUP {
                    sqlx::query(statement).execute(&mut conn).await?;
                }
                Db::Postgres(conn)
            }
        };
        Ok(CommitWriter {
            conn,
            begin,
            writers: self.writers.clone(),
        })
    }

    pub async fn sync_state(
        &self,
        doc_id: &str,
        member_id: &str,
        peer_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Vec<u8>,)> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT state FROM sync_states WHERE doc_id = $1 AND member_id = $2 AND peer_id = $3",
            )
            .bind(doc_id)
            .bind(member_id)
            .bind(peer_id)
            .fetch_optional(p)
            .await?
        });
        Ok(row.map(|(s,)| s))
    }

    /// Stores sync states, replacing older ones, in one transaction.
    pub async fn put_sync_states(&self, rows: &[SyncStateRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        on_db!(self.pool, p, DB => {
            let mut tx = p.begin().await?;
            for chunk in rows.chunks(super::ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<DB>::new(
                    "INSERT INTO sync_states (doc_id, member_id, peer_id, state, updated_at) ",
                );
                q.push_values(chunk, |mut row, r| {
                    row.push_bind(r.doc_id.as_str())
                        .push_bind(r.member_id.as_str())
                        .push_bind(r.peer_id.as_str())
                        .push_bind(r.state.as_slice())
                        .push_bind(r.at);
                });
                q.push(
                    " ON CONFLICT (doc_id, member_id, peer_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                );
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Forgets sync states no device used since `idle_before`, and each
    /// member's devices past their `per_member` most recently used: a new
    /// `X-Peer-Id` on every request then costs a bounded number of rows.
    /// A forgotten state only makes that device's next exchange longer.
    /// Answers how many rows went.
    pub async fn prune_sync_states(
        &self,
        idle_before: i64,
        per_member: i64,
    ) -> Result<u64, StoreError> {
        let done = on_db!(self.pool, p => {
            let idle = sqlx::query("DELETE FROM sync_states WHERE updated_at < $1")
                .bind(idle_before)
                .execute(p)
                .await?
                .rows_affected();
            let crowded = sqlx::query(
                "DELETE FROM sync_states WHERE (member_id, peer_id) IN ( \
                   SELECT member_id, peer_id FROM ( \
                     SELECT member_id, peer_id, ROW_NUMBER() OVER ( \
                       PARTITION BY member_id ORDER BY MAX(updated_at) DESC, peer_id) AS newest \
                     FROM sync_states GROUP BY member_id, peer_id) ranked \
                   WHERE newest > $1)",
            )
            .bind(per_member)
            .execute(p)
            .await?
            .rows_affected();
            idle + crowded
        });
        Ok(done)
    }

    /// Replaces the snapshot with one holding every change up to
    /// `through_seq`, and drops those changes. False when another process
    /// compacted first.
    pub async fn compact(
        &self,
        id: &str,
        through_seq: i64,
        snapshot: &[u8],
    ) -> Result<bool, StoreError> {
        let lock = lock_head(self.pool);
        let begin = begin_write(self.pool);
        let _turn = self.writers.turn().await;
        on_db!(self.pool, p => {
            let mut tx = p.begin_with(begin).await?;
            let locked: Option<(i64, i64)> = sqlx::query_as(lock).bind(id).fetch_optional(&mut *tx).await?;
            match locked {
                Some((seq, snapshot_seq)) if snapshot_seq < through_seq && seq >= through_seq => {}
                _ => return Ok(false),
            }
            sqlx::query("UPDATE documents SET snapshot = $1, snapshot_seq = $2 WHERE id = $3")
                .bind(snapshot)
                .bind(through_seq)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM document_changes WHERE doc_id = $1 AND seq <= $2")
                .bind(id)
                .bind(through_seq)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(true)
    }

    /// Documents with at least `min_changes` stored after their snapshot.
    pub async fn to_compact(&self, min_changes: i64) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = on_db!(self.pool, p => {
            sqlx::query_as("SELECT id FROM documents WHERE seq - snapshot_seq >= $1 ORDER BY id")
                .bind(min_changes)
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    pub async fn ids(&self) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = on_db!(self.pool, p => {
            sqlx::query_as("SELECT id FROM documents ORDER BY id").fetch_all(p).await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

impl<'c> From<&'c mut sqlx::SqliteConnection> for Conn<'c> {
    fn from(c: &'c mut sqlx::SqliteConnection) -> Self {
        Db::Sqlite(c)
    }
}

impl<'c> From<&'c mut sqlx::PgConnection> for Conn<'c> {
    fn from(c: &'c mut sqlx::PgConnection) -> Self {
        Db::Postgres(c)
    }
}

async fn fetch_changes(
    conn: Conn<'_>,
    id: &str,
    after: i64,
) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
    Ok(on_db!(conn, c => {
        sqlx::query_as("SELECT seq, data FROM document_changes WHERE doc_id = $1 AND seq > $2 ORDER BY seq")
            .bind(id)
            .bind(after)
            .fetch_all(c)
            .await?
    }))
}

/// The snapshot and the changes after it. Outside a transaction the two
/// reads are separate snapshots (PostgreSQL's read committed; SQLite between
/// statements), and a compaction may fall between them and delete changes
/// the first read's snapshot lacks: the changes must run on from the
/// snapshot without a gap, or the document is read again.
async fn fetch_document(mut conn: Conn<'_>, id: &str) -> Result<Option<StoredDoc>, StoreError> {
    for _ in 0..8 {
        let row: Option<(Vec<u8>, i64, i64)> = on_db!(&mut conn, c => {
            sqlx::query_as("SELECT snapshot, snapshot_seq, seq FROM documents WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **c)
                .await?
        });
        let Some((snapshot, snapshot_seq, seq)) = row else {
            return Ok(None);
        };
        let mut changes = fetch_changes(conn.reborrow(), id, snapshot_seq).await?;
        // Later changes than the row's head may have arrived meanwhile.
        changes.retain(|(s, _)| *s <= seq);
        let whole = changes.len() as i64 == seq - snapshot_seq
            && changes
                .iter()
                .zip(snapshot_seq + 1..)
                .all(|((s, _), want)| *s == want);
        if whole {
            return Ok(Some(StoredDoc {
                head: DocHead { seq, snapshot_seq },
                snapshot,
                changes,
            }));
        }
    }
    Err(StoreError::Unavailable(format!(
        "document {id} kept being compacted while it was read"
    )))
}

impl Conn<'_> {
    /// The same connection, borrowed again for one more call.
    pub(super) fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Db::Sqlite(c) => Db::Sqlite(&mut **c),
            Db::Postgres(c) => Db::Postgres(&mut **c),
        }
    }
}

/// Stores accepted messages, each only if its document is still at the
/// expected sequence number: claims the next numbers (one statement for
/// all), then multi-row inserts of the changes, the audit lines and the
/// materialized rows. Answers, per commit, whether it was stored. The
/// caller's transaction makes it all or nothing.
async fn write_commits(
    mut conn: Conn<'_>,
    commits: &[PendingCommit],
) -> Result<Vec<bool>, StoreError> {
    let claimed: Vec<(String,)> = on_db!(&mut conn, c, DB => {
        let mut claim = sqlx::QueryBuilder::<DB>::new(
            "UPDATE documents SET seq = v.column3, updated_at = v.column4 FROM (",
        );
        claim.push_values(commits, |mut row, c| {
            row.push_bind(c.id.to_string())
                .push_bind(c.expected_seq)
                .push_bind(c.expected_seq + 1)
                .push_bind(c.at);
        });
        claim.push(") AS v WHERE documents.id = v.column1 AND documents.seq = v.column2 RETURNING documents.id");
        claim.build_query_as().fetch_all(&mut **c).await?
    });
    let claimed: HashSet<String> = claimed.into_iter().map(|(id,)| id).collect();
    let stored: Vec<bool> = commits
        .iter()
        .map(|c| claimed.contains(&c.id.to_string()))
        .collect();
    let ours: Vec<&PendingCommit> = commits
        .iter()
        .zip(&stored)
        .filter_map(|(c, ok)| ok.then_some(c))
        .collect();
    if ours.is_empty() {
        return Ok(stored);
    }
    on_db!(&mut conn, c, DB => {
        let mut changes = sqlx::QueryBuilder::<DB>::new("INSERT INTO document_changes (doc_id, seq, data) ");
        changes.push_values(&ours, |mut row, c| {
            row.push_bind(c.id.to_string())
                .push_bind(c.expected_seq + 1)
                .push_bind(c.change.as_slice());
        });
        changes.build().execute(&mut **c).await?;
    });
    audit::append_changes(conn.reborrow(), &ours).await?;
    for note in ours.iter().filter_map(|c| c.note.as_ref()) {
        audit::record_in(conn.reborrow(), note).await?;
    }
    materialize::commits(conn.reborrow(), &ours).await?;
    Ok(stored)
}

type LockedTx =
    Db<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Transaction<'static, sqlx::Postgres>>;

impl From<sqlx::Transaction<'static, sqlx::Sqlite>> for LockedTx {
    fn from(tx: sqlx::Transaction<'static, sqlx::Sqlite>) -> Self {
        Db::Sqlite(tx)
    }
}

impl From<sqlx::Transaction<'static, sqlx::Postgres>> for LockedTx {
    fn from(tx: sqlx::Transaction<'static, sqlx::Postgres>) -> Self {
        Db::Postgres(tx)
    }
}

/// A transaction holding the write lock of one document (a row lock on
/// PostgreSQL, the database's write lock on SQLite). Dropping it rolls back.
pub struct DocTx {
    tx: LockedTx,
    /// Dropped after `tx`: the next writer goes once this one has ended.
    _turn: WriterTurn,
    id: String,
    head: DocHead,
}

impl DocTx {
    fn conn(&mut self) -> Conn<'_> {
        match &mut self.tx {
            Db::Sqlite(t) => Db::Sqlite(&mut **t),
            Db::Postgres(t) => Db::Postgres(&mut **t),
        }
    }

    pub fn head(&self) -> DocHead {
        self.head
    }

    /// Changes stored after `seq`, in order.
    pub async fn changes_after(&mut self, seq: i64) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        let id = self.id.clone();
        fetch_changes(self.conn(), &id, seq).await
    }

    pub async fn load(&mut self) -> Result<StoredDoc, StoreError> {
        let id = self.id.clone();
        fetch_document(self.conn(), &id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("document {id} vanished under its lock")))
    }

    /// The member each actor is bound to (`None` inside: the server);
    /// actors never seen are absent.
    pub async fn actor_owners(
        &mut self,
        actors: &[String],
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let mut found = Vec::new();
        for actor in actors {
            let row: Option<(Option<String>,)> = on_db!(self.conn(), c => {
                sqlx::query_as("SELECT member_id FROM actors WHERE actor_id = $1")
                    .bind(actor)
                    .fetch_optional(c)
                    .await?
            });
            if let Some((member,)) = row {
                found.push((actor.clone(), member));
            }
        }
        Ok(found)
    }

    /// Stores `commit` with the actors it binds for the first time.
    pub async fn commit(
        mut self,
        commit: &PendingCommit,
        new_actors: &[String],
    ) -> Result<(), StoreError> {
        for actor in new_actors {
            // Two first edits by one member on two documents bind the same
            // actor at once: the second finds the first's row, which is
            // fine when it is the same member's and refused otherwise.
            let owner: (String,) = on_db!(self.conn(), c => {
                sqlx::query(
                    "INSERT INTO actors (actor_id, member_id, first_seen) VALUES ($1, $2, $3) \
                     ON CONFLICT (actor_id) DO NOTHING",
                )
                .bind(actor)
                .bind(&commit.member_id)
                .bind(commit.at)
                .execute(&mut *c)
                .await
                .map_err(classify)?;
                sqlx::query_as("SELECT member_id FROM actors WHERE actor_id = $1")
                    .bind(actor)
                    .fetch_one(&mut *c)
                    .await?
            });
            if owner.0 != commit.member_id {
                return Err(StoreError::Conflict(format!(
                    "actor {actor} belongs to another member"
                )));
            }
        }
        let stored = write_commits(self.conn(), std::slice::from_ref(commit)).await?;
        if stored != [true] {
            return Err(StoreError::Corrupt(format!(
                "document {} moved on under its lock",
                self.id
            )));
        }
        on_db!(self.tx, t => t.commit().await?);
        Ok(())
    }
}

/// The group committer's connection (`Documents::commit_writer`).
pub struct CommitWriter {
    conn: Db<sqlx::SqliteConnection, sqlx::PgConnection>,
    begin: &'static str,
    writers: WriterQueue,
}

impl CommitWriter {
    /// Commits several accepted messages in one transaction, each only if
    /// its document is still at the expected sequence number. Answers, per
    /// commit, whether it was stored; one that was not left no trace.
    pub async fn commit_many(
        &mut self,
        commits: &[PendingCommit],
    ) -> Result<Vec<bool>, StoreError> {
        if commits.is_empty() {
            return Ok(Vec::new());
        }
        let begin = self.begin;
        let _turn = self.writers.turn().await;
        on_db!(&mut self.conn, conn => {
            let mut tx = sqlx::Connection::begin_with(conn, begin).await?;
            let stored = write_commits(Db::from(&mut *tx), commits).await?;
            // Ended here either way: a dropped transaction on a connection
            // that never returns to a pool would stay open, holding the row
            // locks its claim took, until the next group.
            if stored.contains(&true) {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            Ok(stored)
        })
    }
}
