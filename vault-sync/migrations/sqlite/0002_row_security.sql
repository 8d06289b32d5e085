-- Row security (SQLite). Kept in lockstep with ../postgres/0002_row_security.sql
-- by version; SQLite has no roles or row-level security, so access control is
-- the store's own queries, which filter every read and write by the acting
-- account (they do so on Postgres too, with RLS underneath). What SQLite can
-- enforce itself is that the audit log is append-only.

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
