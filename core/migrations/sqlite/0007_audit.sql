-- The audit log says what each line is: a document's changes ('sync', as
-- before), a sign-in, a password reset, an import, a published rulebook;
-- and nobody changes or removes a line once written.
ALTER TABLE audit_log ADD COLUMN action TEXT NOT NULL DEFAULT 'sync';
ALTER TABLE audit_log ADD COLUMN detail TEXT;
CREATE INDEX audit_log_member ON audit_log(member_id, at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
