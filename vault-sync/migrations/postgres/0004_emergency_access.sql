-- Emergency access (Postgres). Kept in lockstep with
-- ../sqlite/0004_emergency_access.sql: the same table, columns, types and
-- nullability; `tests/store.rs` compares the two after migrating.
--
-- An owner names a trusted contact and chooses vaults; the grants (one
-- `vault_core::VaultGrant` per vault, role viewer, sealed to the contact's
-- X25519 key with HPKE and signed by the owner) are stored here opaque. The
-- contact may ask for access (`requested`, `requested_at` stamped); once
-- `wait_ms` has passed without the owner cancelling, the contact claims it
-- (`released`) and the store turns the grants into viewer memberships in
-- the same transaction (as the owner: see `store::emergency`).
CREATE TABLE emergency_access (
    owner_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
    contact_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
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

-- What the contact may change: only its own two steps, nothing else of the
-- row. idle -> requested stamps `requested_at` with the time of asking (not
-- earlier than a minute before the database's clock: the wait cannot be
-- back-dated); requested -> released only once the wait has passed by the
-- database's clock too (a minute's allowance for clock skew between the
-- nodes and the database). Everything else (the grants, the wait, a cancel,
-- removal) is the owner's.
CREATE FUNCTION vault_emergency_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    db_now bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
BEGIN
    IF NEW.owner_id IS DISTINCT FROM nullif(current_setting('vault.account', true), '') THEN
        IF NEW.owner_id IS DISTINCT FROM OLD.owner_id
           OR NEW.contact_id IS DISTINCT FROM OLD.contact_id
           OR NEW.wait_ms IS DISTINCT FROM OLD.wait_ms
           OR NEW.grants IS DISTINCT FROM OLD.grants
           OR NEW.created_at IS DISTINCT FROM OLD.created_at
           OR NOT ((OLD.state = 'idle' AND NEW.state = 'requested'
                    AND NEW.requested_at >= db_now - 60000)
                   OR (OLD.state = 'requested' AND NEW.state = 'released'
                       AND NEW.requested_at IS NOT DISTINCT FROM OLD.requested_at
                       AND OLD.requested_at + OLD.wait_ms <= db_now + 60000)) THEN
            RAISE EXCEPTION 'only the owner changes an emergency contact' USING ERRCODE = '42501';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER emergency_access_guard BEFORE UPDATE ON emergency_access
    FOR EACH ROW EXECUTE FUNCTION vault_emergency_guard();

ALTER TABLE emergency_access ENABLE ROW LEVEL SECURITY;
ALTER TABLE emergency_access FORCE ROW LEVEL SECURITY;
-- Owner and contact both read the row (the grants stay sealed to the contact).
CREATE POLICY emergency_access_read ON emergency_access FOR SELECT
    USING (owner_id = vault_setting('vault.account')
           OR contact_id = vault_setting('vault.account'));
-- Only the owner names a contact, and removes one.
CREATE POLICY emergency_access_insert ON emergency_access FOR INSERT
    WITH CHECK (owner_id = vault_setting('vault.account'));
CREATE POLICY emergency_access_delete ON emergency_access FOR DELETE
    USING (owner_id = vault_setting('vault.account'));
-- Both may update, within what the guard above allows the contact.
CREATE POLICY emergency_access_update ON emergency_access FOR UPDATE
    USING (owner_id = vault_setting('vault.account')
           OR contact_id = vault_setting('vault.account'))
    WITH CHECK (owner_id = vault_setting('vault.account')
                OR contact_id = vault_setting('vault.account'));
