-- The organisation tree, members and their roles, and server-side sessions.
-- Times are Unix seconds (BIGINT), so both backends store the same values.

CREATE TABLE organisations (
    id          TEXT PRIMARY KEY NOT NULL,
    parent_id   TEXT REFERENCES organisations(id),
    kind        TEXT NOT NULL CHECK (kind IN ('committee', 'general_branch', 'branch', 'group')),
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    created_at  BIGINT NOT NULL
);
CREATE INDEX organisations_parent ON organisations(parent_id);
CREATE UNIQUE INDEX organisations_sibling_name ON organisations(COALESCE(parent_id, ''), name);

CREATE TABLE members (
    id             TEXT PRIMARY KEY NOT NULL,
    username       TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('full', 'probationary')),
    org_id         TEXT NOT NULL REFERENCES organisations(id),
    group_id       TEXT REFERENCES organisations(id),
    password_hash  TEXT NOT NULL,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     BIGINT NOT NULL
);
CREATE INDEX members_org ON members(org_id);

CREATE TABLE member_roles (
    member_id  TEXT NOT NULL REFERENCES members(id),
    role       TEXT NOT NULL CHECK (role IN ('member', 'group_leader', 'org_officer', 'secretary', 'committee_admin')),
    PRIMARY KEY (member_id, role)
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    member_id   TEXT NOT NULL REFERENCES members(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_member ON sessions(member_id);
