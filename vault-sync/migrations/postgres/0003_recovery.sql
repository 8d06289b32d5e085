-- Recovery kits (Postgres). Kept in lockstep with ../sqlite/0003_recovery.sql.
--
-- One recovery wrap per account: the account key sealed under a key derived
-- from the recovery key, and SHA-256 of the recovery auth token (the token
-- is a one-way function of a 256-bit key, so the hash cannot be guessed
-- back). `generation` is the account key generation the wrap holds; an
-- account key rotation replaces or deletes the row in the same transaction.
CREATE TABLE recovery_wraps (
    account_id TEXT NOT NULL PRIMARY KEY REFERENCES accounts (account_id) ON DELETE CASCADE,
    generation BIGINT NOT NULL CHECK (generation > 0),
    -- vault_core::RecoveryWrap JSON (public: ciphertext and a verifier).
    wrap TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

ALTER TABLE recovery_wraps ENABLE ROW LEVEL SECURITY;
ALTER TABLE recovery_wraps FORCE ROW LEVEL SECURITY;
-- The account manages its own kit.
CREATE POLICY recovery_wraps_self ON recovery_wraps
    USING (account_id = vault_setting('vault.account'))
    WITH CHECK (account_id = vault_setting('vault.account'));
-- Recovery is a login: before it, the store reads the one wrap of the
-- identifier being recovered (as pre-login reads that account's record).
CREATE POLICY recovery_wraps_prelogin ON recovery_wraps FOR SELECT
    USING (account_id IN (SELECT a.account_id FROM accounts a
                          WHERE a.identifier = vault_setting('vault.identifier')));
