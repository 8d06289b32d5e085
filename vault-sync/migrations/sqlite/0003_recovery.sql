-- Recovery kits (SQLite). Kept in lockstep with ../postgres/0003_recovery.sql.
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
