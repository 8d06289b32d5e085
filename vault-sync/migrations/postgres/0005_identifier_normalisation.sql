-- Identifiers in canonical form (vault_core::identifier::normalize_identifier:
-- PRECIS UsernameCaseMapped + one script). Kept in lockstep with
-- ../sqlite/0005_identifier_normalisation.sql. The data step that rewrites
-- existing rows runs in Rust right after this file, in the same transaction
-- (vault-sync/src/store/sql/migrate.rs): `identifier` becomes the canonical
-- form where that is possible without a collision, and the spelling the
-- account's login record was made with moves to `pake_identifier`, which
-- pre-login hands to the client for the PAKE.
ALTER TABLE accounts ADD COLUMN pake_identifier TEXT;
-- The data step reads and rewrites every account as the owner: row security
-- is relaxed for the owner for this transaction only; the step forces it
-- again before the transaction commits.
ALTER TABLE accounts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE identities NO FORCE ROW LEVEL SECURITY;
