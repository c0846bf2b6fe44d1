-- Devices members signed in from: such a device is not held back by the
-- sign-in delays a stranger at its address earned (core/src/auth/throttle.rs).
CREATE TABLE known_devices (
    device_hash  TEXT PRIMARY KEY NOT NULL,
    member_id    TEXT NOT NULL REFERENCES members(id),
    first_seen   INTEGER NOT NULL
);
CREATE INDEX known_devices_member ON known_devices(member_id);

-- A record's version (a fingerprint of the fields a reviewer judges), and
-- the server's verdict on its check-in code, computed when materialized.
ALTER TABLE records ADD COLUMN version TEXT;
ALTER TABLE records ADD COLUMN code_verdict TEXT;

-- The version of the record a decision was made on: a record changed since
-- awaits review again.
ALTER TABLE reviews ADD COLUMN record_version TEXT;

-- Event ids are unique across branches; the check looks them up by id.
CREATE INDEX events_event_id ON events(event_id);
