-- Vault sync store, schema version 1 (Postgres).
--
-- Kept in lockstep with ../sqlite/0001_schema.sql: the same tables, columns,
-- types (TEXT / BIGINT / BOOLEAN) and nullability; `tests/store.rs` compares
-- the two after migrating. Ids are lowercase hyphenated UUID text, times are
-- Unix milliseconds, blobs are the vault-core JSON forms (ciphertext and
-- public keys only). Id columns use the "C" collation: byte order, the same
-- order SQLite uses, and what feed cursors compare. Row-level security is in
-- 0002_row_security.sql. Run as the owner role, never as the app role.

-- The feed clock: one row, ticked (UPDATE ... RETURNING) by every transaction
-- that changes what a user's feed shows. The row lock it takes orders those
-- transactions, so feed sequence numbers grow in commit order.
CREATE TABLE feed_clock (
    id BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO feed_clock (id, seq) VALUES (1, 0);

CREATE TABLE accounts (
    account_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    identifier TEXT COLLATE "C" NOT NULL UNIQUE,
    -- EncryptedAccount JSON: KDF params + salt, wrapped keys, public identity.
    record TEXT NOT NULL,
    auth_protocol TEXT NOT NULL CHECK (auth_protocol IN ('srp', 'opaque')),
    -- SrpRegistration or OPAQUE RegistrationRecord JSON.
    auth_record TEXT NOT NULL,
    -- Bumped by every credential replacement (password change).
    credentials_version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, identifier)
);

-- The public identity directory (X25519 + Ed25519 keys, self-signed).
CREATE TABLE identities (
    account_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    identifier TEXT COLLATE "C" NOT NULL UNIQUE,
    public_identity TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    FOREIGN KEY (account_id, identifier) REFERENCES accounts (account_id, identifier)
        ON UPDATE CASCADE ON DELETE CASCADE
);

CREATE TABLE vaults (
    vault_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    owner_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
    -- Current vault key generation: item writes under another are stale.
    key_version BIGINT NOT NULL CHECK (key_version > 0),
    -- EncryptedVault JSON.
    meta TEXT NOT NULL,
    meta_seq BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (vault_id, owner_id)
);

-- A member's access to a vault. `vault_owner` carries the tenant: the
-- composite foreign key means only a row naming the vault's real owner can
-- exist, and the owner is who may write it. A revoked membership stays as an
-- inactive row so the member's feed can report `vault_removed`.
CREATE TABLE memberships (
    vault_id TEXT COLLATE "C" NOT NULL,
    vault_owner TEXT COLLATE "C" NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
    role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
    -- JSON array of MemberKey (WrappedVaultKey or VaultGrant); [] when revoked.
    keys TEXT NOT NULL,
    -- Newest key generation in `keys`.
    key_version BIGINT NOT NULL,
    active BOOLEAN NOT NULL,
    -- Last change of this row: the feed re-sends the vault entry after it.
    seq BIGINT NOT NULL,
    -- When access (re)started or a new key generation arrived: the feed
    -- re-sends every item of the vault after it.
    access_seq BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (vault_id, account_id),
    FOREIGN KEY (vault_id, vault_owner) REFERENCES vaults (vault_id, owner_id)
);
CREATE INDEX memberships_by_account ON memberships (account_id, seq);

-- Items: the current state only (live blob or tombstone), at its revision.
CREATE TABLE items (
    vault_id TEXT COLLATE "C" NOT NULL REFERENCES vaults (vault_id),
    item_id TEXT COLLATE "C" NOT NULL,
    revision BIGINT NOT NULL CHECK (revision > 0),
    key_version BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL,
    -- EncryptedItem JSON; NULL for a tombstone.
    blob TEXT,
    seq BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (vault_id, item_id),
    CHECK ((deleted AND blob IS NULL) OR (NOT deleted AND blob IS NOT NULL))
);
CREATE INDEX items_by_seq ON items (vault_id, seq);

-- Sessions: refresh tokens are stored only as SHA-256 hashes. The hash of
-- the token a rotation replaced is kept to detect reuse (theft).
CREATE TABLE sessions (
    session_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
    refresh_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    prev_refresh_hash TEXT COLLATE "C" UNIQUE,
    credentials_version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    refreshed_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_by_account ON sessions (account_id);

-- Logins between their two messages (SRP ServerAwaitingClientProof, OPAQUE
-- ServerLogin): secret, so sealed under the server's state key; short-lived;
-- taken out atomically (DELETE ... RETURNING) so each finishes at most once.
-- `account_id` is NULL when the identifier has no account (fake record).
CREATE TABLE login_states (
    login_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" REFERENCES accounts (account_id) ON DELETE CASCADE,
    protocol TEXT NOT NULL CHECK (protocol IN ('srp', 'opaque')),
    sealed_state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX login_states_by_expiry ON login_states (expires_at);

-- Append-only audit log, hash-chained: hash = SHA-256(prev_hash || canonical
-- row), see `vault_sync::store::audit`. No blob, secret or token is recorded.
CREATE TABLE audit_log (
    seq BIGINT NOT NULL PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor TEXT COLLATE "C",
    action TEXT NOT NULL,
    vault_id TEXT COLLATE "C",
    subject TEXT COLLATE "C",
    remote TEXT,
    outcome TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_by_actor ON audit_log (actor, seq);
CREATE INDEX audit_by_subject ON audit_log (subject, seq);

-- The chain head: the last row's seq and hash (detects a truncated tail).
CREATE TABLE audit_head (
    id BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
