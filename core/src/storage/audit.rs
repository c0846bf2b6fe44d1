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

/// A line of the audit log that is not a document's changes: who did what
/// to what, from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: i64,
    /// Who did it (for a failed sign-in: the username tried).
    pub member_id: String,
    /// From where: the device or address.
    pub peer_id: String,
    /// `login`, `login_failed`, `password_reset`, `import`, `rulebook_published`.
    pub action: &'static str,
    /// What it was done to: a member, a rulebook, a file.
    pub subject: String,
    pub detail: Option<String>,
}

pub struct Audit<'a> {
    pool: &'a Pool,
}

impl<'a> Audit<'a> {
    pub(super) fn new(pool: &'a Pool) -> Self {
        Audit { pool }
    }

    /// Appends one line.
    pub async fn record(&self, event: &AuditEvent) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            sqlx::query(
                "INSERT INTO audit_log (at, member_id, peer_id, doc_id, change_hashes, action, detail) \
                 VALUES ($1, $2, $3, $4, '', $5, $6)",
            )
            .bind(event.at)
            .bind(&event.member_id)
            .bind(&event.peer_id)
            .bind(&event.subject)
            .bind(event.action)
            .bind(&event.detail)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The lines of one action, oldest first: `(at, member_id, subject, detail)`.
    pub async fn of_action(
        &self,
        action: &str,
    ) -> Result<Vec<(i64, String, String, Option<String>)>, StoreError> {
        Ok(on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT at, member_id, doc_id, detail FROM audit_log WHERE action = $1 ORDER BY id",
            )
            .bind(action)
            .fetch_all(p)
            .await?
        }))
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
