//! The audit log (`audit_log`): one line per accepted message, who sent it
//! from which device, and the hashes of its changes.

use super::{documents::PendingCommit, on_db, Conn, Pool, StoreError};

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub at: i64,
    pub member_id: String,
    pub peer_id: String,
    pub change_hashes: Vec<String>,
}

/// The lines of accepted commits, in the committer's transaction.
pub(super) async fn append_changes(
    conn: Conn<'_>,
    commits: &[&PendingCommit],
) -> Result<(), StoreError> {
    on_db!(conn, c, DB => {
        let mut q = sqlx::QueryBuilder::<DB>::new(
            "INSERT INTO audit_log (at, member_id, peer_id, doc_id, change_hashes) ",
        );
        q.push_values(commits, |mut row, c| {
            row.push_bind(c.at)
                .push_bind(c.member_id.as_str())
                .push_bind(c.peer_id.as_str())
                .push_bind(c.id.to_string())
                .push_bind(c.change_hashes.join(","));
        });
        q.build().execute(c).await?;
    });
    Ok(())
}

pub struct Audit<'a> {
    pool: &'a Pool,
}

impl<'a> Audit<'a> {
    pub(super) fn new(pool: &'a Pool) -> Self {
        Audit { pool }
    }

    /// The lines of one document, oldest first.
    pub async fn of_document(&self, doc_id: &str) -> Result<Vec<AuditRow>, StoreError> {
        let rows: Vec<(i64, String, String, String)> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT at, member_id, peer_id, change_hashes FROM audit_log WHERE doc_id = $1 ORDER BY id",
            )
            .bind(doc_id)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(at, member_id, peer_id, hashes)| AuditRow {
                at,
                member_id,
                peer_id,
                change_hashes: hashes.split(',').map(str::to_string).collect(),
            })
            .collect())
    }
}
