//! The organisation tree, its members and their roles, and their password
//! hashes (`organisations`, `members`, `member_roles`).

use super::audit::audit_line;
use super::{classify, on_db, Pool, StoreError};
use std::collections::HashMap;
use vanguard_shared::{MemberStatus, OrgKind, Role};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: String,
    pub parent_id: Option<String>,
    pub kind: OrgKind,
    pub name: String,
    pub time_zone: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub username: String,
    pub name: String,
    pub status: MemberStatus,
    /// The member's home unit: a branch, or a committee for a pure admin.
    pub org_id: String,
    pub group_id: Option<String>,
    pub roles: Vec<Role>,
    pub active: bool,
}

/// A member to create, with the password already hashed.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub member: Member,
    pub password_hash: String,
    pub created_at: i64,
}

/// What the login check needs and nothing more.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub member_id: String,
    pub password_hash: String,
    pub active: bool,
    /// Reset by someone else (or set when the account was made): the
    /// member chooses their own before anything else.
    pub must_change_password: bool,
}

/// The ids of an organisation and everything below it.
const SUBTREE: &str = "WITH RECURSIVE subtree(id) AS ( \
     SELECT id FROM organisations WHERE id = $1 \
     UNION ALL SELECT o.id FROM organisations o JOIN subtree s ON o.parent_id = s.id)";

/// The columns every member query selects, in this order.
const MEMBER_COLUMNS: &str = "m.id, m.username, m.name, m.status, m.org_id, m.group_id, m.active";

const ORG_COLUMNS: &str = "id, parent_id, kind, name, time_zone, created_at";

/// Which members or organisations a query means: one argument each.
#[derive(Clone, Copy)]
enum Filter<'a> {
    Id(&'a str),
    Username(&'a str),
    Subtree(&'a str),
    All,
}

impl Filter<'_> {
    /// The CTE the clause needs, the clause over `members m`, and its argument.
    fn members(self) -> (&'static str, &'static str, Option<String>) {
        match self {
            Filter::Id(id) => ("", "m.id = $1", Some(id.to_string())),
            Filter::Username(u) => ("", "m.username = $1", Some(u.to_string())),
            Filter::Subtree(org) => (
                SUBTREE,
                "(m.org_id IN (SELECT id FROM subtree) OR m.group_id IN (SELECT id FROM subtree))",
                Some(org.to_string()),
            ),
            Filter::All => ("", "1 = 1", None),
        }
    }

    fn organisations(self) -> (&'static str, &'static str, Option<String>) {
        match self {
            Filter::Id(id) => ("", "id = $1", Some(id.to_string())),
            Filter::Subtree(org) => (
                SUBTREE,
                "id IN (SELECT id FROM subtree)",
                Some(org.to_string()),
            ),
            Filter::Username(_) | Filter::All => ("", "1 = 1", None),
        }
    }
}

fn corrupt(what: &str, id: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what} {id}: {e}"))
}

pub struct Accounts<'a> {
    pool: &'a Pool,
}

/// A line of `account_grants`: whom, by whom, what, when.
const GRANT: &str =
    "INSERT INTO account_grants (member_id, granted_by, kind, at) VALUES ($1, $2, $3, $4)";
const GRANT_CREATED: &str = "created";
const GRANT_ROLE: &str = "role";
const GRANT_PASSWORD: &str = "password_reset";

impl<'a> Accounts<'a> {
    pub(super) fn new(pool: &'a Pool) -> Self {
        Accounts { pool }
    }

    /// True when no organisation exists yet (a fresh install).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let (count,): (i64,) = on_db!(self.pool, p => {
            sqlx::query_as("SELECT COUNT(*) FROM organisations").fetch_one(p).await?
        });
        Ok(count == 0)
    }

    /// Creates organisations then members in one transaction: all or nothing.
    pub async fn insert_batch(
        &self,
        orgs: &[Organisation],
        members: &[NewMember],
    ) -> Result<(), StoreError> {
        self.insert_audited(orgs, members, None).await
    }

    /// The same, with the audit line of whoever added them in the same
    /// transaction.
    pub async fn insert_audited(
        &self,
        orgs: &[Organisation],
        members: &[NewMember],
        audit: Option<&super::AuditEvent>,
    ) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            for org in orgs {
                sqlx::query(
                    "INSERT INTO organisations (id, parent_id, kind, name, time_zone, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
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
                // Added by someone (not seeded): the password they gave or
                // made is the member's to replace at the first sign-in.
                sqlx::query(
                    "INSERT INTO members (id, username, name, status, org_id, group_id, password_hash, active, created_at, must_change_password) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
                .bind(audit.is_some())
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
            if let Some(audit) = audit {
                // Whoever added them vouched for these accounts.
                for new in members {
                    sqlx::query(GRANT)
                        .bind(&new.member.id)
                        .bind(&audit.member_id)
                        .bind(GRANT_CREATED)
                        .bind(new.created_at)
                        .execute(&mut *tx)
                        .await?;
                }
                audit_line!(tx, audit);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Changes a member's name, status, unit, group, roles and whether
    /// active, with the audit line, in one transaction.
    pub async fn update_member(
        &self,
        m: &Member,
        audit: &super::AuditEvent,
    ) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE members SET name = $2, status = $3, org_id = $4, group_id = $5, active = $6 \
                 WHERE id = $1",
            )
            .bind(&m.id)
            .bind(&m.name)
            .bind(m.status.as_str())
            .bind(&m.org_id)
            .bind(&m.group_id)
            .bind(m.active)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
            let before: Vec<(String,)> = sqlx::query_as("SELECT role FROM member_roles WHERE member_id = $1")
                .bind(&m.id)
                .fetch_all(&mut *tx)
                .await?;
            let mut before: Vec<&str> = before.iter().map(|(r,)| r.as_str()).collect();
            let mut after: Vec<&str> = m.roles.iter().map(|r| r.as_str()).collect();
            before.sort_unstable();
            after.sort_unstable();
            if before != after {
                sqlx::query(GRANT)
                    .bind(&m.id)
                    .bind(&audit.member_id)
                    .bind(GRANT_ROLE)
                    .bind(audit.at)
                    .execute(&mut *tx)
                    .await?;
            }
            // Deactivated: signed out everywhere, so reactivating revives
            // no old session.
            if !m.active {
                sqlx::query("DELETE FROM sessions WHERE member_id = $1")
                    .bind(&m.id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM member_roles WHERE member_id = $1")
                .bind(&m.id)
                .execute(&mut *tx)
                .await?;
            for role in &m.roles {
                sqlx::query("INSERT INTO member_roles (member_id, role) VALUES ($1, $2)")
                    .bind(&m.id)
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
            }
            audit_line!(tx, audit);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn organisation(&self, id: &str) -> Result<Option<Organisation>, StoreError> {
        Ok(self.load_orgs(Filter::Id(id)).await?.pop())
    }

    /// The organisation and all above it, nearest first.
    pub async fn ancestry(&self, org_id: &str) -> Result<Vec<Organisation>, StoreError> {
        let mut chain = Vec::new();
        let mut next = Some(org_id.to_string());
        while let Some(id) = next {
            // The tree is at most four deep; a cycle would be corrupt data.
            if chain.len() > 8 {
                return Err(StoreError::Corrupt(format!(
                    "organisation {org_id} has a cyclic parent chain"
                )));
            }
            let Some(org) = self.organisation(&id).await? else {
                break;
            };
            next = org.parent_id.clone();
            chain.push(org);
        }
        Ok(chain)
    }

    pub async fn organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        self.load_orgs(Filter::All).await
    }

    /// An organisation and everything below it.
    pub async fn organisations_under(&self, org_id: &str) -> Result<Vec<Organisation>, StoreError> {
        self.load_orgs(Filter::Subtree(org_id)).await
    }

    pub async fn member(&self, id: &str) -> Result<Option<Member>, StoreError> {
        Ok(self.load_members(Filter::Id(id)).await?.pop())
    }

    pub async fn member_by_username(&self, username: &str) -> Result<Option<Member>, StoreError> {
        Ok(self.load_members(Filter::Username(username)).await?.pop())
    }

    /// Members whose home unit or group lies in the subtree rooted at `org_id`.
    pub async fn members_under(&self, org_id: &str) -> Result<Vec<Member>, StoreError> {
        self.load_members(Filter::Subtree(org_id)).await
    }

    pub async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        let row: Option<(String, String, bool, bool)> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT id, password_hash, active, must_change_password FROM members WHERE username = $1",
            )
            .bind(username)
            .fetch_optional(p)
            .await?
        });
        Ok(row.map(
            |(member_id, password_hash, active, must_change_password)| Credentials {
                member_id,
                password_hash,
                active,
                must_change_password,
            },
        ))
    }

    pub async fn password_hash(&self, member_id: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = on_db!(self.pool, p => {
            sqlx::query_as("SELECT password_hash FROM members WHERE id = $1")
                .bind(member_id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(|(h,)| h))
    }

    /// Another's reset: a one-time hash the member must replace at their
    /// next sign-in, every session of theirs ended, and `by` recorded as
    /// having vouched for the account, in one transaction with the line.
    pub async fn reset_password(
        &self,
        member_id: &str,
        hash: &str,
        audit: &super::AuditEvent,
    ) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE members SET password_hash = $1, must_change_password = $2 WHERE id = $3")
                .bind(hash)
                .bind(true)
                .bind(member_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE member_id = $1")
                .bind(member_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(GRANT)
                .bind(member_id)
                .bind(&audit.member_id)
                .bind(GRANT_PASSWORD)
                .bind(audit.at)
                .execute(&mut *tx)
                .await?;
            audit_line!(tx, audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Who vouched for `member_id`'s account (created it, reset its
    /// password, gave it a role) between `from` and `until` (seconds).
    pub async fn vouchers_of(
        &self,
        member_id: &str,
        from: i64,
        until: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = on_db!(self.pool, p => {
            sqlx::query_as(
                "SELECT DISTINCT granted_by FROM account_grants \
                 WHERE member_id = $1 AND at >= $2 AND at < $3",
            )
            .bind(member_id)
            .bind(from)
            .bind(until)
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Sets one's own new hash (no longer one to replace) and ends the
    /// member's sessions, except `keep` (the session that made the change),
    /// in one transaction.
    pub async fn set_password(
        &self,
        member_id: &str,
        hash: &str,
        keep: Option<&str>,
    ) -> Result<(), StoreError> {
        on_db!(self.pool, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE members SET password_hash = $1, must_change_password = $2 WHERE id = $3")
                .bind(hash)
                .bind(false)
                .bind(member_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE member_id = $1 AND token_hash <> $2")
                .bind(member_id)
                .bind(keep.unwrap_or(""))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Members matching `filter`, with their roles, by username.
    async fn load_members(&self, filter: Filter<'_>) -> Result<Vec<Member>, StoreError> {
        let (with, clause, arg) = filter.members();
        let member_sql = format!(
            "{with} SELECT {MEMBER_COLUMNS} FROM members m WHERE {clause} ORDER BY m.username"
        );
        let role_sql = format!(
            "{with} SELECT r.member_id, r.role FROM member_roles r JOIN members m ON m.id = r.member_id WHERE {clause}"
        );
        type MemberRow = (String, String, String, String, String, Option<String>, bool);
        let (role_rows, member_rows): (Vec<(String, String)>, Vec<MemberRow>) = on_db!(self.pool, p => {
            let mut roles = sqlx::query_as(&role_sql);
            let mut members = sqlx::query_as(&member_sql);
            if let Some(arg) = &arg {
                roles = roles.bind(arg.clone());
                members = members.bind(arg.clone());
            }
            (roles.fetch_all(p).await?, members.fetch_all(p).await?)
        });
        let mut roles: HashMap<String, Vec<Role>> = HashMap::new();
        for (member_id, role) in role_rows {
            let role = role
                .parse()
                .map_err(|e| corrupt("role of", &member_id, e))?;
            roles.entry(member_id).or_default().push(role);
        }
        member_rows
            .into_iter()
            .map(|(id, username, name, status, org_id, group_id, active)| {
                let status = status.parse().map_err(|e| corrupt("member", &id, e))?;
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
            })
            .collect()
    }

    async fn load_orgs(&self, filter: Filter<'_>) -> Result<Vec<Organisation>, StoreError> {
        let (with, clause, arg) = filter.organisations();
        let sql = format!(
            "{with} SELECT {ORG_COLUMNS} FROM organisations WHERE {clause} ORDER BY created_at, name"
        );
        type OrgRow = (String, Option<String>, String, String, String, i64);
        let rows: Vec<OrgRow> = on_db!(self.pool, p => {
            let mut query = sqlx::query_as(&sql);
            if let Some(arg) = &arg {
                query = query.bind(arg.clone());
            }
            query.fetch_all(p).await?
        });
        rows.into_iter()
            .map(|(id, parent_id, kind, name, time_zone, created_at)| {
                let kind = kind.parse().map_err(|e| corrupt("organisation", &id, e))?;
                Ok(Organisation {
                    id,
                    parent_id,
                    kind,
                    name,
                    time_zone,
                    created_at,
                })
            })
            .collect()
    }
}
