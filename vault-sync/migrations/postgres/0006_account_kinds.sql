-- How many accounts of each kind (login protocol, SRP group, KDF params)
-- the deployment has, so that pre-login fakes for unknown identifiers are
-- drawn from the same mix as the real answers (an account of a rarer kind
-- must not stand out as real). Kept in lockstep with the other backend's
-- 0006. Counts only: nothing here names an account. `accounts.kind` is
-- the row's kind, so a credential change moves its count; both are kept
-- in the transaction that creates or changes the account. The data step
-- in vault-sync/src/store/sql/migrate.rs fills them for existing accounts.
ALTER TABLE accounts ADD COLUMN kind TEXT;
CREATE TABLE account_kinds (
    -- "srp/<group>/<m>/<t>/<p>" or "opaque//<m>/<t>/<p>"
    kind TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    accounts BIGINT NOT NULL CHECK (accounts >= 0)
);

ALTER TABLE account_kinds ENABLE ROW LEVEL SECURITY;
ALTER TABLE account_kinds FORCE ROW LEVEL SECURITY;
-- A signed-in account's transaction (registration, credential change)
-- keeps the counts; the pre-login mix is read under the `vault.stats` scope.
CREATE POLICY account_kinds_read ON account_kinds FOR SELECT
    USING (vault_setting('vault.stats') = 'read' OR vault_setting('vault.account') IS NOT NULL);
CREATE POLICY account_kinds_insert ON account_kinds FOR INSERT
    WITH CHECK (vault_setting('vault.account') IS NOT NULL);
CREATE POLICY account_kinds_update ON account_kinds FOR UPDATE
    USING (vault_setting('vault.account') IS NOT NULL)
    WITH CHECK (vault_setting('vault.account') IS NOT NULL);
-- The data step reads every account as the owner (as in 0005): row
-- security relaxed for this transaction, forced again before it commits.
ALTER TABLE accounts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE account_kinds NO FORCE ROW LEVEL SECURITY;
