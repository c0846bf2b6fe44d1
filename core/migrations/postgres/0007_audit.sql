-- The audit log says what each line is: a document's changes ('sync', as
-- before), a sign-in, a password reset, an import, a published rulebook;
-- and nobody changes or removes a line once written.
ALTER TABLE audit_log ADD COLUMN action TEXT NOT NULL DEFAULT 'sync';
ALTER TABLE audit_log ADD COLUMN detail TEXT;
CREATE INDEX audit_log_member ON audit_log(member_id, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
