//! The audit log (`audit_log`): one line per accepted message, who sent it
//! from which device, and the hashes of its changes.

use super::commit::PendingCommit;
use super::{on_db, Conn, Pool, StoreError};

/// The device the audit log names for an edit the server made on a
/// member's behalf (a console page, an import).
pub const EDIT_DEVICE: &str = "server-edit";

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub at: i64,
    pub member_id: String,
    pub peer_id: String,
    pub change_hashes: Vec<String>,
}

/// The lines of accepted commits, in the committer's transaction.
pub(super) const INSERT_EVENT: &str =
    "INSERT INTO audit_log (at, member_id, peer_id, doc_id, change_hashes, action, detail) \
     VALUES ($1, $2, $3, $4, '', $5, $6)";

/// Appends one line inside a writer's transaction.
pub(super) async fn record_in(conn: Conn<'_>, event: &AuditEvent) -> Result<(), StoreError> {
    on_db!(conn, c => {
        sqlx::query(INSERT_EVENT)
            .bind(event.at)
            .bind(&event.member_id)
            .bind(&event.peer_id)
            .bind(&event.subject)
            .bind(event.action)
            .bind(&event.detail)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

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

/// Appends an [`AuditEvent`] in the writer's own transaction, so a change
/// and its line are stored together or not at all.
macro_rules! audit_line {
    ($tx:expr, $e:expr) => {
        sqlx::query(super::audit::INSERT_EVENT)
            .bind($e.at)
            .bind(&$e.member_id)
            .bind(&$e.peer_id)
            .bind(&$e.subject)
            .bind($e.action)
            .bind(&$e.detail)
            .execute(&mut *$tx)
            .await?
    };
}
pub(super) use audit_line;

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
        // One statement: no transaction of its own on the sign-in path.
        on_db!(self.pool, p => {
            sqlx::query(INSERT_EVENT)
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

/// What the audit trail asks for: each part narrows, `None` does not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Who did it (a member id, or the username a failed sign-in tried).
    pub actor: Option<String>,
    /// Lines about this member: their documents, or naming them.
    pub member: Option<String>,
    /// The line's action, and for document changes the documents' kind
    /// (`checkins`, `reviews`, `events`).
    pub action: Option<(String, Option<String>)>,
    /// Unix seconds, from inclusive, to exclusive.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// One line as the audit trail reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLine {
    pub id: i64,
    pub at: i64,
    pub member_id: String,
    pub peer_id: String,
    pub subject: String,
    pub action: String,
    pub detail: Option<String>,
    /// For a document's changes: how many changes the message carried.
    pub changes: usize,
}

type LineTuple = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
);

impl Audit<'_> {
    /// The newest lines matching `filter`, at most `limit`, newest first;
    /// `before` (a line's id) pages further back.
    pub async fn search(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditLine>, StoreError> {
        let mut sql = String::from(
            "SELECT id, at, member_id, peer_id, doc_id, action, detail, change_hashes FROM audit_log WHERE 1 = 1",
        );
        let mut binds: Vec<BindValue> = Vec::new();
        let mut next = |sql: &mut String, clause: &str, value: BindValue| {
            binds.push(value);
            sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
        };
        if let Some(actor) = &filter.actor {
            next(
                &mut sql,
                " AND member_id = ?",
                BindValue::Text(actor.clone()),
            );
        }
        if let Some(member) = &filter.member {
            next(
                &mut sql,
                " AND (doc_id LIKE ?",
                BindValue::Text(format!("%:{member}:%")),
            );
            next(
                &mut sql,
                " OR doc_id = ?",
                BindValue::Text(format!("member:{member}")),
            );
            // Sign-ins and resets name the member alone.
            next(&mut sql, " OR doc_id = ?)", BindValue::Text(member.clone()));
        }
        if let Some((action, docs)) = &filter.action {
            next(&mut sql, " AND action = ?", BindValue::Text(action.clone()));
            if let Some(kind) = docs {
                next(
                    &mut sql,
                    " AND doc_id LIKE ?",
                    BindValue::Text(format!("{kind}:%")),
                );
            }
        }
        if let Some(from) = filter.from {
            next(&mut sql, " AND at >= ?", BindValue::Int(from));
        }
        if let Some(to) = filter.to {
            next(&mut sql, " AND at < ?", BindValue::Int(to));
        }
        if let Some(before) = before {
            next(&mut sql, " AND id < ?", BindValue::Int(before));
        }
        next(&mut sql, " ORDER BY id DESC LIMIT ?", BindValue::Int(limit));
        let rows: Vec<LineTuple> = on_db!(self.pool, p => {
            let mut q = sqlx::query_as(&sql);
            for b in &binds {
                q = match b {
                    BindValue::Text(t) => q.bind(t.clone()),
                    BindValue::Int(n) => q.bind(*n),
                };
            }
            q.fetch_all(p).await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, at, member_id, peer_id, subject, action, detail, hashes)| AuditLine {
                    id,
                    at,
                    member_id,
                    peer_id,
                    subject,
                    action,
                    detail,
                    changes: hashes.split(',').filter(|h| !h.is_empty()).count(),
                },
            )
            .collect())
    }
}

/// A value bound to a statement built at run time.
enum BindValue {
    Text(String),
    Int(i64),
}
