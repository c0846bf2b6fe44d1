-- The secret half of each event's check-in codes (shared/src/event_code.rs).
-- Only the host's code endpoint reads it; the events document carries the
-- public anchor (code_key), which is all a member's phone needs.
CREATE TABLE event_code_seeds (
    event_id    TEXT PRIMARY KEY,
    branch_id   TEXT NOT NULL,
    seed        BIGINT NOT NULL,
    code_key    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
