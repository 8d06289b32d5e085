-- Row-level security (Postgres). Its SQLite counterpart has only the
-- append-only audit triggers: SQLite has no roles, and the store's own
-- queries filter by the acting account on both backends.
--
-- Model. The app connects as a role that is neither superuser, BYPASSRLS nor
-- the owner of these tables (`vault_sync::store::postgres` refuses to start
-- otherwise). Every table has RLS ENABLEd and FORCEd, so even the owner is
-- subject to the policies. The store sets its scope per transaction with
-- `set_config(name, value, true)`; policies read it with
-- `nullif(current_setting(name, true), '')`, so a session with no scope (or an
-- empty one) matches no row: it can read, change and delete nothing.
--
-- Scopes (transaction-local settings):
--   vault.account            the authenticated account (ordinary requests)
--   vault.identifier         pre-login: read one account by its identifier
--   vault.login              a login in flight, by its random login id
--   vault.refresh            a refresh token's hash: find its session
--   vault.lookup_account     directory: one public identity, by account id
--   vault.lookup_identifier  directory: one public identity, by identifier
--   vault.audit              'anonymous': append an audit event with no actor
--   vault.expired_before     purge: delete login states / sessions expired
--                            before this time (ms)
--
-- The app role's table privileges are granted by
-- `vault_sync::store::postgres::PgAdmin::grant_app_role`, since role names
-- belong to the deployment, not to the schema.

-- The value of a scope setting, NULL when unset or empty. A plain SQL
-- function: the planner inlines it, and its body names pg_catalog explicitly,
-- so no search_path can redirect it.
CREATE FUNCTION vault_setting(name text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(pg_catalog.current_setting(name, true), '') $$;

-- Raised by the membership guard below.
CREATE FUNCTION vault_memberships_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    -- A member may replace its own keys (accepting a grant), but only the
    -- vault's owner may change who is a member, with which role.
    IF NEW.vault_owner IS DISTINCT FROM nullif(current_setting('vault.account', true), '')
       AND (NEW.role IS DISTINCT FROM OLD.role
            OR NEW.active IS DISTINCT FROM OLD.active
            OR NEW.vault_owner IS DISTINCT FROM OLD.vault_owner
            OR NEW.vault_id IS DISTINCT FROM OLD.vault_id
            OR NEW.account_id IS DISTINCT FROM OLD.account_id) THEN
        RAISE EXCEPTION 'only the vault owner changes memberships' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER memberships_guard BEFORE UPDATE ON memberships
    FOR EACH ROW EXECUTE FUNCTION vault_memberships_guard();

-- ---------------------------------------------------------------- feed_clock
ALTER TABLE feed_clock ENABLE ROW LEVEL SECURITY;
ALTER TABLE feed_clock FORCE ROW LEVEL SECURITY;
-- Ticked by account-scoped writes; holds no tenant data.
CREATE POLICY feed_clock_tick ON feed_clock
    USING (vault_setting('vault.account') IS NOT NULL)
    WITH CHECK (vault_setting('vault.account') IS NOT NULL);

-- ---------------------------------------------------------------- accounts
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY accounts_self ON accounts
    USING (account_id = vault_setting('vault.account'))
    WITH CHECK (account_id = vault_setting('vault.account'));
CREATE POLICY accounts_prelogin ON accounts FOR SELECT
    USING (identifier = vault_setting('vault.identifier'));

-- ---------------------------------------------------------------- identities
ALTER TABLE identities ENABLE ROW LEVEL SECURITY;
ALTER TABLE identities FORCE ROW LEVEL SECURITY;
CREATE POLICY identities_self ON identities
    USING (account_id = vault_setting('vault.account'))
    WITH CHECK (account_id = vault_setting('vault.account'));
-- The directory: a signed-in user reads one identity it names exactly
-- (to share with it, or to check a grant's sender). No enumeration.
CREATE POLICY identities_directory ON identities FOR SELECT
    USING (vault_setting('vault.account') IS NOT NULL
           AND (account_id = vault_setting('vault.lookup_account')
                OR identifier = vault_setting('vault.lookup_identifier')));

-- ---------------------------------------------------------------- vaults
ALTER TABLE vaults ENABLE ROW LEVEL SECURITY;
ALTER TABLE vaults FORCE ROW LEVEL SECURITY;
CREATE POLICY vaults_read ON vaults FOR SELECT
    USING (owner_id = vault_setting('vault.account')
           OR vault_id IN (SELECT m.vault_id FROM memberships m
                           WHERE m.account_id = vault_setting('vault.account') AND m.active));
CREATE POLICY vaults_insert ON vaults FOR INSERT
    WITH CHECK (owner_id = vault_setting('vault.account'));
CREATE POLICY vaults_update ON vaults FOR UPDATE
    USING (owner_id = vault_setting('vault.account'))
    WITH CHECK (owner_id = vault_setting('vault.account'));

-- ---------------------------------------------------------------- memberships
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
-- A member sees its own membership; the vault's owner sees all of them.
CREATE POLICY memberships_read ON memberships FOR SELECT
    USING (account_id = vault_setting('vault.account')
           OR vault_owner = vault_setting('vault.account'));
CREATE POLICY memberships_insert ON memberships FOR INSERT
    WITH CHECK (vault_owner = vault_setting('vault.account'));
CREATE POLICY memberships_update ON memberships FOR UPDATE
    USING (account_id = vault_setting('vault.account')
           OR vault_owner = vault_setting('vault.account'))
    WITH CHECK (account_id = vault_setting('vault.account')
                OR vault_owner = vault_setting('vault.account'));

-- ---------------------------------------------------------------- items
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
ALTER TABLE items FORCE ROW LEVEL SECURITY;
-- Uncorrelated subqueries: planned once per statement as a hashed set.
CREATE POLICY items_read ON items FOR SELECT
    USING (vault_id IN (SELECT m.vault_id FROM memberships m
                        WHERE m.account_id = vault_setting('vault.account') AND m.active));
CREATE POLICY items_insert ON items FOR INSERT
    WITH CHECK (vault_id IN (SELECT m.vault_id FROM memberships m
                             WHERE m.account_id = vault_setting('vault.account') AND m.active
                               AND m.role IN ('owner', 'editor')));
CREATE POLICY items_update ON items FOR UPDATE
    USING (vault_id IN (SELECT m.vault_id FROM memberships m
                        WHERE m.account_id = vault_setting('vault.account') AND m.active
                          AND m.role IN ('owner', 'editor')))
    WITH CHECK (vault_id IN (SELECT m.vault_id FROM memberships m
                             WHERE m.account_id = vault_setting('vault.account') AND m.active
                               AND m.role IN ('owner', 'editor')));
-- No DELETE policy: deletions are tombstones (UPDATE).

-- ---------------------------------------------------------------- sessions
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY sessions_self ON sessions
    USING (account_id = vault_setting('vault.account'))
    WITH CHECK (account_id = vault_setting('vault.account'));
-- Refresh: find the session of the presented token (current or rotated-out).
CREATE POLICY sessions_refresh ON sessions FOR SELECT
    USING (refresh_hash = vault_setting('vault.refresh')
           OR prev_refresh_hash = vault_setting('vault.refresh'));
-- Purge: expired sessions (a DELETE must also see the rows it removes).
CREATE POLICY sessions_expired_read ON sessions FOR SELECT
    USING (expires_at < vault_setting('vault.expired_before')::bigint);
CREATE POLICY sessions_expired_delete ON sessions FOR DELETE
    USING (expires_at < vault_setting('vault.expired_before')::bigint);

-- ---------------------------------------------------------------- login_states
ALTER TABLE login_states ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_states FORCE ROW LEVEL SECURITY;
CREATE POLICY login_states_handle ON login_states
    USING (login_id = vault_setting('vault.login'))
    WITH CHECK (login_id = vault_setting('vault.login'));
CREATE POLICY login_states_expired_read ON login_states FOR SELECT
    USING (expires_at < vault_setting('vault.expired_before')::bigint);
CREATE POLICY login_states_expired_delete ON login_states FOR DELETE
    USING (expires_at < vault_setting('vault.expired_before')::bigint);

-- ---------------------------------------------------------------- audit_log
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
-- Users read the events they did or that were done to them.
CREATE POLICY audit_read_own ON audit_log FOR SELECT
    USING (actor = vault_setting('vault.account')
           OR subject = vault_setting('vault.account'));
-- The schema owner (the migration role, used by the verifier) reads all.
-- 'audit_log'::regclass is resolved once, here, so no temporary table can
-- stand in for it later.
CREATE POLICY audit_read_owner ON audit_log FOR SELECT
    USING (pg_catalog.pg_has_role(current_user,
             (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'audit_log'::regclass),
             'MEMBER'));
-- Appends: as the scoped account, or anonymously when asked for explicitly.
CREATE POLICY audit_append ON audit_log FOR INSERT
    WITH CHECK (actor = vault_setting('vault.account')
                OR (actor IS NULL AND vault_setting('vault.audit') = 'anonymous'));
-- No UPDATE or DELETE policy, for anyone: the log is append-only.

-- ---------------------------------------------------------------- audit_head
ALTER TABLE audit_head ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_head FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_head_append ON audit_head
    USING (vault_setting('vault.account') IS NOT NULL
           OR vault_setting('vault.audit') = 'anonymous')
    WITH CHECK (vault_setting('vault.account') IS NOT NULL
                OR vault_setting('vault.audit') = 'anonymous');
CREATE POLICY audit_head_owner ON audit_head FOR SELECT
    USING (pg_catalog.pg_has_role(current_user,
             (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'audit_head'::regclass),
             'MEMBER'));

-- ---------------------------------------------------------------- _sqlx_migrations
-- The migrator's own bookkeeping: the owner only.
ALTER TABLE _sqlx_migrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE _sqlx_migrations FORCE ROW LEVEL SECURITY;
CREATE POLICY migrations_owner ON _sqlx_migrations
    USING (pg_catalog.pg_has_role(current_user,
             (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = '_sqlx_migrations'::regclass),
             'MEMBER'))
    WITH CHECK (pg_catalog.pg_has_role(current_user,
             (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = '_sqlx_migrations'::regclass),
             'MEMBER'));
