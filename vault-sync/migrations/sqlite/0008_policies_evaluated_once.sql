-- Postgres rewrites its machine-secret row-security policies in 0008 (see
-- migrations/postgres/0008_policies_evaluated_once.sql). SQLite has no row
-- security (the store scopes every statement itself): nothing to change,
-- but the numbering stays the same on both backends.
SELECT 1;
