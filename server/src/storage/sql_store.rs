//! The SQL both backends share. Written once as a macro and expanded per
//! database, because sqlx's per-database types make a generic impl far
//! noisier than the queries themselves; `$n` placeholders work on both.

use super::{Member, Organisation, StoreError};
use std::collections::HashMap;
use vanguard_shared::Role;

/// The columns every member query selects, in this order.
pub(crate) const MEMBER_COLUMNS: &str =
    "m.id, m.username, m.name, m.status, m.org_id, m.group_id, m.active";

/// The ids of an organisation and everything below it.
pub(crate) const SUBTREE: &str = "WITH RECURSIVE subtree(id) AS ( \
     SELECT id FROM organisations WHERE id = $1 \
     UNION ALL SELECT o.id FROM organisations o JOIN subtree s ON o.parent_id = s.id)";

pub(crate) fn parse_org(
    id: String,
    parent_id: Option<String>,
    kind: String,
    name: String,
    time_zone: String,
    created_at: i64,
) -> Result<Organisation, StoreError> {
    let kind = kind
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("organisation {id}: {e}")))?;
    Ok(Organisation {
        id,
        parent_id,
        kind,
        name,
        time_zone,
        created_at,
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn parse_member(
    id: String,
    username: String,
    name: String,
    status: String,
    org_id: String,
    group_id: Option<String>,
    active: bool,
    roles: &mut HashMap<String, Vec<Role>>,
) -> Result<Member, StoreError> {
    let status = status
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("member {id}: {e}")))?;
    let mut member_roles = roles.remove(&id).unwrap_or_default();
    member_roles.sort();
    Ok(Member {
        id,
        username,
        name,
        status,
        org_id,
        group_id,
        roles: member_roles,
        active,
    })
}

pub(crate) fn parse_role(member_id: &str, role: &str) -> Result<Role, StoreError> {
    role.parse()
        .map_err(|e| StoreError::Corrupt(format!("role of {member_id}: {e}")))
}

macro_rules! sql_store {
    ($store:ty, $db:ty, $backend:literal, $migrations:literal) => {
        impl $store {
            /// Members matching `where_clause` (over `members m`, one
            /// argument), with their roles; `with` is a CTE the clause uses,
            /// or empty.
            async fn load_members(
                &self,
                with: &str,
                where_clause: &str,
                arg: &str,
            ) -> Result<Vec<$crate::storage::Member>, $crate::storage::StoreError> {
                use sqlx::Row;
                use $crate::storage::sql_store::{parse_member, parse_role, MEMBER_COLUMNS};
                let member_sql =
                    format!("{with} SELECT {MEMBER_COLUMNS} FROM members m WHERE {where_clause} ORDER BY m.username");
                let role_sql = format!(
                    "{with} SELECT r.member_id, r.role FROM member_roles r JOIN members m ON m.id = r.member_id WHERE {where_clause}"
                );
                let mut roles = std::collections::HashMap::<String, Vec<vanguard_shared::Role>>::new();
                for row in sqlx::query(&role_sql).bind(arg).fetch_all(&self.pool).await? {
                    let member_id: String = row.try_get(0)?;
                    let role: String = row.try_get(1)?;
                    let role = parse_role(&member_id, &role)?;
                    roles.entry(member_id).or_default().push(role);
                }
                let rows = sqlx::query(&member_sql).bind(arg).fetch_all(&self.pool).await?;
                rows.into_iter()
                    .map(|row| {
                        parse_member(
                            row.try_get(0)?,
                            row.try_get(1)?,
                            row.try_get(2)?,
                            row.try_get(3)?,
                            row.try_get(4)?,
                            row.try_get(5)?,
                            row.try_get(6)?,
                            &mut roles,
                        )
                    })
                    .collect()
            }

            async fn load_orgs(
                &self,
                with: &str,
                where_clause: &str,
                arg: Option<&str>,
            ) -> Result<Vec<$crate::storage::Organisation>, $crate::storage::StoreError> {
                use sqlx::Row;
                let sql = format!(
                    "{with} SELECT id, parent_id, kind, name, time_zone, created_at FROM organisations WHERE {where_clause} ORDER BY created_at, name"
                );
                let mut query = sqlx::query(&sql);
                if let Some(arg) = arg {
                    query = query.bind(arg);
                }
                query
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(|row| {
                        $crate::storage::sql_store::parse_org(
                            row.try_get(0)?,
                            row.try_get(1)?,
                            row.try_get(2)?,
                            row.try_get(3)?,
                            row.try_get(4)?,
                            row.try_get(5)?,
                        )
                    })
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn migrate(&self) -> Result<(), $crate::storage::StoreError> {
                sqlx::migrate!($migrations).run(&self.pool).await?;
                Ok(())
            }

            async fn is_empty(&self) -> Result<bool, $crate::storage::StoreError> {
                let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM organisations")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(count == 0)
            }

            async fn insert_batch(
                &self,
                orgs: &[$crate::storage::Organisation],
                members: &[$crate::storage::NewMember],
            ) -> Result<(), $crate::storage::StoreError> {
                use $crate::storage::classify;
                let mut tx = self.pool.begin().await?;
                for org in orgs {
                    sqlx::query(
                        "INSERT INTO organisations (id, parent_id, kind, name, time_zone, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&org.id)
                    .bind(&org.parent_id)
                    .bind(org.kind.as_str())
                    .bind(&org.name)
                    .bind(&org.time_zone)
                    .bind(org.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
                }
                for new in members {
                    let m = &new.member;
                    sqlx::query(
                        "INSERT INTO members (id, username, name, status, org_id, group_id, password_hash, active, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&m.id)
                    .bind(&m.username)
                    .bind(&m.name)
                    .bind(m.status.as_str())
                    .bind(&m.org_id)
                    .bind(&m.group_id)
                    .bind(&new.password_hash)
                    .bind(m.active)
                    .bind(new.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
                    for role in &m.roles {
                        sqlx::query("INSERT INTO member_roles (member_id, role) VALUES ($1, $2)")
                            .bind(&m.id)
                            .bind(role.as_str())
                            .execute(&mut *tx)
                            .await
                            .map_err(classify)?;
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn organisation(
                &self,
                id: &str,
            ) -> Result<Option<$crate::storage::Organisation>, $crate::storage::StoreError> {
                Ok(self.load_orgs("", "id = $1", Some(id)).await?.pop())
            }

            async fn organisations(&self) -> Result<Vec<$crate::storage::Organisation>, $crate::storage::StoreError> {
                self.load_orgs("", "1 = 1", None).await
            }

            async fn organisations_under(
                &self,
                org_id: &str,
            ) -> Result<Vec<$crate::storage::Organisation>, $crate::storage::StoreError> {
                self.load_orgs($crate::storage::sql_store::SUBTREE, "id IN (SELECT id FROM subtree)", Some(org_id))
                    .await
            }

            async fn member(&self, id: &str) -> Result<Option<$crate::storage::Member>, $crate::storage::StoreError> {
                Ok(self.load_members("", "m.id = $1", id).await?.pop())
            }

            async fn member_by_username(
                &self,
                username: &str,
            ) -> Result<Option<$crate::storage::Member>, $crate::storage::StoreError> {
                Ok(self.load_members("", "m.username = $1", username).await?.pop())
            }

            async fn credentials(
                &self,
                username: &str,
            ) -> Result<Option<$crate::storage::Credentials>, $crate::storage::StoreError> {
                let row: Option<(String, String, bool)> =
                    sqlx::query_as("SELECT id, password_hash, active FROM members WHERE username = $1")
                        .bind(username)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|(member_id, password_hash, active)| $crate::storage::Credentials {
                    member_id,
                    password_hash,
                    active,
                }))
            }

            async fn password_hash(&self, member_id: &str) -> Result<Option<String>, $crate::storage::StoreError> {
                let row: Option<(String,)> = sqlx::query_as("SELECT password_hash FROM members WHERE id = $1")
                    .bind(member_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(h,)| h))
            }

            async fn members_under(
                &self,
                org_id: &str,
            ) -> Result<Vec<$crate::storage::Member>, $crate::storage::StoreError> {
                self.load_members(
                    $crate::storage::sql_store::SUBTREE,
                    "(m.org_id IN (SELECT id FROM subtree) OR m.group_id IN (SELECT id FROM subtree))",
                    org_id,
                )
                .await
            }

            async fn set_password(
                &self,
                member_id: &str,
                hash: &str,
                keep: Option<&str>,
            ) -> Result<(), $crate::storage::StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("UPDATE members SET password_hash = $1 WHERE id = $2")
                    .bind(hash)
                    .bind(member_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE member_id = $1 AND token_hash <> $2")
                    .bind(member_id)
                    .bind(keep.unwrap_or(""))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn insert_session(&self, s: &$crate::storage::SessionRow) -> Result<(), $crate::storage::StoreError> {
                sqlx::query("INSERT INTO sessions (token_hash, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                    .bind(&s.token_hash)
                    .bind(&s.member_id)
                    .bind(s.created_at)
                    .bind(s.expires_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn purge_expired_sessions(&self, now: i64) -> Result<u64, $crate::storage::StoreError> {
                let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn session_member(
                &self,
                token_hash: &str,
                now: i64,
            ) -> Result<Option<String>, $crate::storage::StoreError> {
                let row: Option<(String,)> = sqlx::query_as(
                    "SELECT s.member_id FROM sessions s JOIN members m ON m.id = s.member_id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND m.active = $3",
                )
                .bind(token_hash)
                .bind(now)
                .bind(true)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(id,)| id))
            }

            async fn delete_session(&self, token_hash: &str) -> Result<(), $crate::storage::StoreError> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn put_event_seed(
                &self,
                seed: &$crate::storage::EventSeed,
            ) -> Result<(), $crate::storage::StoreError> {
                // Seeds are 50-bit, so they fit a signed BIGINT on both backends.
                sqlx::query(
                    "INSERT INTO event_code_seeds (event_id, branch_id, seed, code_key, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&seed.event_id)
                .bind(&seed.branch_id)
                .bind(seed.seed as i64)
                .bind(&seed.code_key)
                .bind(seed.created_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn event_seed(
                &self,
                event_id: &str,
            ) -> Result<Option<$crate::storage::EventSeed>, $crate::storage::StoreError> {
                let row: Option<(String, String, i64, String, i64)> = sqlx::query_as(
                    "SELECT event_id, branch_id, seed, code_key, created_at \
                     FROM event_code_seeds WHERE event_id = $1",
                )
                .bind(event_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(event_id, branch_id, seed, code_key, created_at)| {
                    $crate::storage::EventSeed {
                        event_id,
                        branch_id,
                        seed: seed as u64,
                        code_key,
                        created_at,
                    }
                }))
            }

            async fn code_events(
                &self,
                branch_id: &str,
            ) -> Result<Vec<$crate::storage::CodeEventRow>, $crate::storage::StoreError> {
                let rows: Vec<(String, String, String, Option<String>, Option<String>)> =
                    sqlx::query_as(
                        "SELECT e.event_id, e.title, e.starts_at, e.ends_at, e.place \
                         FROM events e JOIN event_code_seeds s ON s.event_id = e.event_id \
                         WHERE s.branch_id = $1 AND e.cancelled = $2",
                    )
                    .bind(branch_id)
                    .bind(false)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(event_id, title, starts_at, ends_at, place)| {
                        $crate::storage::CodeEventRow {
                            event_id,
                            title,
                            starts_at,
                            ends_at,
                            place,
                        }
                    })
                    .collect())
            }
        }
    };
}

pub(crate) use sql_store;
