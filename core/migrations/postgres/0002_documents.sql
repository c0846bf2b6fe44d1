-- Automerge documents, their sync states and the actors who wrote them, the
-- audit log, and the relational tables materialized from the documents.

-- One row per document: the compacted save and the sequence number of the
-- last change. A writer locks this row for the whole of its transaction.
CREATE TABLE documents (
    id            TEXT PRIMARY KEY NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('checkins', 'reviews', 'events')),
    owner_id      TEXT NOT NULL,
    year          BIGINT NOT NULL,
    snapshot      BYTEA NOT NULL,
    -- The snapshot holds every change up to this sequence number.
    snapshot_seq  BIGINT NOT NULL DEFAULT 0,
    seq           BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX documents_owner ON documents(owner_id, year);

-- Changes since the snapshot, one row per accepted message, in order.
CREATE TABLE document_changes (
    doc_id  TEXT NOT NULL REFERENCES documents(id),
    seq     BIGINT NOT NULL,
    data    BYTEA NOT NULL,
    PRIMARY KEY (doc_id, seq)
);

-- What the server last knew both sides shared, per document, member and device.
CREATE TABLE sync_states (
    doc_id      TEXT NOT NULL REFERENCES documents(id),
    member_id   TEXT NOT NULL REFERENCES members(id),
    peer_id     TEXT NOT NULL,
    state       BYTEA NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (doc_id, member_id, peer_id)
);

-- Each Automerge actor belongs to the member who first sent a change by it;
-- member_id is NULL for the server's own actor.
CREATE TABLE actors (
    actor_id    TEXT PRIMARY KEY NOT NULL,
    member_id   TEXT REFERENCES members(id),
    first_seen  BIGINT NOT NULL
);

-- Append-only: every accepted change, who sent it, from which device.
CREATE TABLE audit_log (
    id             BIGSERIAL PRIMARY KEY,
    at             BIGINT NOT NULL,
    member_id      TEXT NOT NULL,
    peer_id        TEXT NOT NULL,
    doc_id         TEXT NOT NULL,
    change_hashes  TEXT NOT NULL
);
CREATE INDEX audit_log_doc ON audit_log(doc_id, at);

-- Materialized from checkins documents.
CREATE TABLE records (
    doc_id       TEXT NOT NULL REFERENCES documents(id),
    record_id    TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    year         BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    occurred_at  TEXT NOT NULL,
    occurred_ts  BIGINT NOT NULL,
    event_id     TEXT,
    hours        DOUBLE PRECISION,
    place        TEXT,
    lat          DOUBLE PRECISION,
    lon          DOUBLE PRECISION,
    note         TEXT,
    code         TEXT,
    withdrawn    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (doc_id, record_id)
);
CREATE INDEX records_member ON records(member_id, year);

-- Materialized from reviews documents.
CREATE TABLE reviews (
    doc_id       TEXT NOT NULL REFERENCES documents(id),
    record_id    TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    year         BIGINT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('approved', 'returned')),
    reason       TEXT,
    reviewer     TEXT,
    reviewed_at  TEXT,
    PRIMARY KEY (doc_id, record_id)
);
CREATE INDEX reviews_member ON reviews(member_id, year);

CREATE TABLE adjustments (
    doc_id         TEXT NOT NULL REFERENCES documents(id),
    adjustment_id  TEXT NOT NULL,
    member_id      TEXT NOT NULL,
    year           BIGINT NOT NULL,
    points         DOUBLE PRECISION NOT NULL,
    reason         TEXT NOT NULL,
    section        TEXT NOT NULL,
    side           TEXT NOT NULL,
    reviewer       TEXT,
    PRIMARY KEY (doc_id, adjustment_id)
);

CREATE TABLE grades (
    doc_id          TEXT PRIMARY KEY NOT NULL REFERENCES documents(id),
    member_id       TEXT NOT NULL,
    year            BIGINT NOT NULL,
    proposal        TEXT,
    override_grade  TEXT,
    reason          TEXT,
    reviewer        TEXT
);

-- Materialized from events documents.
CREATE TABLE events (
    doc_id     TEXT NOT NULL REFERENCES documents(id),
    event_id   TEXT NOT NULL,
    branch_id  TEXT NOT NULL,
    year       BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    starts_at  TEXT NOT NULL,
    ends_at    TEXT,
    place      TEXT,
    code_key   TEXT,
    cancelled  BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (doc_id, event_id)
);

CREATE TABLE attendance (
    doc_id     TEXT NOT NULL REFERENCES documents(id),
    event_id   TEXT NOT NULL,
    member_id  TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    reason     TEXT,
    reviewer   TEXT,
    PRIMARY KEY (doc_id, event_id, member_id)
);
