-- The secretary's console: a group's own meetings, who cancelled an event
-- and when, its geofence (the queue shows how far a check-in was), and on
-- the attendance sheet the kind of a leave and when each row was marked.
ALTER TABLE events ADD COLUMN group_id TEXT;
ALTER TABLE events ADD COLUMN cancelled_by TEXT;
ALTER TABLE events ADD COLUMN cancelled_at TEXT;
ALTER TABLE events ADD COLUMN fence_lat REAL;
ALTER TABLE events ADD COLUMN fence_lon REAL;
ALTER TABLE events ADD COLUMN fence_radius_m REAL;
ALTER TABLE attendance ADD COLUMN leave TEXT;
ALTER TABLE attendance ADD COLUMN marked_at TEXT;

-- The review queue reads a branch's records of a year, and the attendance
-- sheet the check-ins of one event.
CREATE INDEX records_event ON records(event_id);
CREATE INDEX attendance_event ON attendance(event_id);

-- A decision that replaced another reviewer's different one names them:
-- the queue asks for a second look.
ALTER TABLE reviews ADD COLUMN conflict_by TEXT;
ALTER TABLE reviews ADD COLUMN conflict_status TEXT;
