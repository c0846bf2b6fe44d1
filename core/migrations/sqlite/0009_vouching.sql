-- Who vouched for an account: created it, reset its password, or gave it a
-- role. Nobody decides the items of someone who vouched for their account
-- that year (no puppet officers). And a reset password is one-time: the
-- member must choose their own at the next sign-in.
CREATE TABLE account_grants (
    member_id TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX account_grants_member ON account_grants(member_id, at);

ALTER TABLE members ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

-- Sign-in attempts counted where several processes serve one database:
-- `pair:{username}|{address}` and `addr:{address}`, each with its count and
-- the time of the last attempt (core/src/auth/throttle.rs).
CREATE TABLE login_attempts (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    last_at BIGINT NOT NULL
);
