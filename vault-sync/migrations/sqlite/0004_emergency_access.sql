-- Emergency access (SQLite). Kept in lockstep with
-- ../postgres/0004_emergency_access.sql: the same table, columns, types and
-- nullability; `tests/store.rs` compares the two after migrating.
--
-- An owner names a trusted contact and chooses vaults; the grants (one
-- `vault_core::VaultGrant` per vault, role viewer, sealed to the contact's
-- X25519 key with HPKE and signed by the owner) are stored here opaque. The
-- contact may ask for access (`requested`, `requested_at` stamped); once
-- `wait_ms` has passed without the owner cancelling, the contact claims it
-- (`released`) and the store turns the grants into viewer memberships in
-- the same transaction. SQLite has no row-level security: the store's
-- queries filter by the acting account and allow the contact only the two
-- transitions idle -> requested and requested -> released (Postgres also
-- enforces both with its policies and a guard trigger).
CREATE TABLE emergency_access (
    owner_id TEXT NOT NULL REFERENCES accounts (account_id),
    contact_id TEXT NOT NULL REFERENCES accounts (account_id),
    -- The waiting period, in milliseconds.
    wait_ms BIGINT NOT NULL CHECK (wait_ms > 0),
    state TEXT NOT NULL CHECK (state IN ('idle', 'requested', 'released')),
    -- When the contact asked (NULL while idle).
    requested_at BIGINT,
    -- JSON array of VaultGrant (ciphertext and public ids only).
    grants TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (owner_id, contact_id),
    CHECK (owner_id <> contact_id),
    CHECK ((state = 'idle') = (requested_at IS NULL))
);
CREATE INDEX emergency_access_by_contact ON emergency_access (contact_id);
