-- Machine secrets (docs/secrets.md): projects (vaults whose items are named
-- secrets with versions), service identities, their grants, access requests
-- and stubs. Kept in lockstep with the other backend's 0007. The server
-- stores ciphertext, public keys and blind indexes: never a secret's value
-- or name. Row-level security for every new table is at the end.
CREATE TABLE projects (
    project_id TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES vaults (vault_id),
    -- ProjectPublic JSON (X25519 + Ed25519 public keys, self-signed).
    public_key TEXT NOT NULL,
    -- EncryptedProjectKeys JSON, sealed under the vault key of `key_version`.
    project_keys TEXT NOT NULL,
    key_version BIGINT NOT NULL CHECK (key_version > 0),
    -- JSON array of CIDRs services of this project may connect from; [] = any.
    allowlist TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE secrets (
    project_id TEXT COLLATE "C" NOT NULL REFERENCES projects (project_id),
    secret_id TEXT COLLATE "C" NOT NULL,
    -- HMAC of the name under the project's index key (base64url): lookups
    -- by name without the name.
    blind_index TEXT COLLATE "C" NOT NULL,
    -- EncryptedSecret JSON (the secret key wrapped under the vault key).
    record TEXT NOT NULL,
    key_version BIGINT NOT NULL CHECK (key_version > 0),
    secret_key_version BIGINT NOT NULL CHECK (secret_key_version > 0),
    current_version BIGINT NOT NULL CHECK (current_version > 0),
    -- A service that could read it was revoked; its key awaits rotation.
    rotate_pending BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, secret_id),
    UNIQUE (project_id, blind_index)
);

CREATE TABLE secret_versions (
    project_id TEXT COLLATE "C" NOT NULL,
    secret_id TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL CHECK (version > 0),
    secret_key_version BIGINT NOT NULL CHECK (secret_key_version > 0),
    -- EncryptedSecretVersion JSON.
    blob TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, secret_id, version),
    FOREIGN KEY (project_id, secret_id) REFERENCES secrets (project_id, secret_id) ON DELETE CASCADE
);

CREATE TABLE services (
    service_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    project_id TEXT COLLATE "C" NOT NULL REFERENCES projects (project_id),
    name TEXT NOT NULL,
    software_version TEXT NOT NULL,
    -- ServicePublic JSON (X25519 key, pinned project key, auth fingerprint).
    public_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'revoked')),
    origin TEXT NOT NULL CHECK (origin IN ('registered', 'issued')),
    access TEXT NOT NULL CHECK (access IN ('none', 'project', 'secrets')),
    -- JSON array of CIDRs this service may connect from; [] = any.
    allowlist TEXT NOT NULL,
    expires_at BIGINT,
    registered_from TEXT,
    created_at BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by TEXT COLLATE "C",
    UNIQUE (service_id, project_id)
);
CREATE INDEX services_by_project ON services (project_id, status);

CREATE TABLE service_grants (
    service_id TEXT COLLATE "C" NOT NULL,
    project_id TEXT COLLATE "C" NOT NULL,
    -- 'index', 'project:<key version>' or 'secret:<secret id>:<secret key version>'
    scope TEXT COLLATE "C" NOT NULL,
    secret_id TEXT COLLATE "C",
    -- ServiceGrant JSON (signed by the project's Ed25519 key).
    grant_json TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (service_id, scope),
    FOREIGN KEY (service_id, project_id) REFERENCES services (service_id, project_id) ON DELETE CASCADE
);
CREATE INDEX service_grants_by_secret ON service_grants (project_id, secret_id);

CREATE TABLE access_requests (
    service_id TEXT COLLATE "C" NOT NULL,
    project_id TEXT COLLATE "C" NOT NULL,
    secret_id TEXT COLLATE "C" NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'granted', 'denied')),
    -- SealedToProject JSON: the name and the reason, for members only.
    hint TEXT,
    attempts BIGINT NOT NULL CHECK (attempts > 0),
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    decided_at BIGINT,
    PRIMARY KEY (service_id, secret_id),
    FOREIGN KEY (service_id, project_id) REFERENCES services (service_id, project_id) ON DELETE CASCADE,
    FOREIGN KEY (project_id, secret_id) REFERENCES secrets (project_id, secret_id) ON DELETE CASCADE
);
CREATE INDEX access_requests_by_project ON access_requests (project_id, status);

CREATE TABLE stubs (
    project_id TEXT COLLATE "C" NOT NULL,
    blind_index TEXT COLLATE "C" NOT NULL,
    service_id TEXT COLLATE "C" NOT NULL,
    -- SealedToProject JSON: the name asked for and its description.
    hint TEXT,
    attempts BIGINT NOT NULL CHECK (attempts > 0),
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, blind_index, service_id),
    FOREIGN KEY (service_id, project_id) REFERENCES services (service_id, project_id) ON DELETE CASCADE
);

-- Access counters, flushed in batches (the audit log has every access).
CREATE TABLE service_usage (
    service_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    project_id TEXT COLLATE "C" NOT NULL,
    uses BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    -- The tenant travels in the key: a counter names its service's own project.
    FOREIGN KEY (service_id, project_id) REFERENCES services (service_id, project_id) ON DELETE CASCADE
);
CREATE TABLE secret_usage (
    project_id TEXT COLLATE "C" NOT NULL,
    secret_id TEXT COLLATE "C" NOT NULL,
    uses BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, secret_id),
    FOREIGN KEY (project_id, secret_id) REFERENCES secrets (project_id, secret_id) ON DELETE CASCADE
);

-- ---------------------------------------------------------------- row security
-- New scopes (transaction-local settings, see 0002):
--   vault.service         an authenticated service identity (its id)
--   vault.project         ... and its project: what it may read is decided
--                         by the store (grants), the policies fence it in
--                         to its own rows and project
--   vault.register        self-registration of this one new service id
--   vault.project_public  read one project's public key (registration)
--   vault.usage           'flush': write the access counters
--   vault.audit           'batch': append service audit rows in one batch
--
-- People act on a project as members of its vault: every member reads,
-- owners and editors ("admins") change.

-- Whether the scoped account is an active member of `project` (with a
-- writing role when `admin`). Plain SQL, inlined by the planner.
CREATE FUNCTION vault_project_member(project text, admin boolean) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT EXISTS (SELECT 1 FROM memberships m
                         WHERE m.vault_id = project
                           AND m.account_id = nullif(pg_catalog.current_setting('vault.account', true), '')
                           AND m.active
                           AND (NOT admin OR m.role IN ('owner', 'editor'))) $$;

-- Whether the scope is a service of `project`: `vault.project` is
-- believed only together with the service whose row names that project,
-- so a scope pairing one project's service with another project reads
-- nothing.
CREATE FUNCTION vault_service_project(project text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT project = vault_setting('vault.project')
              AND EXISTS (SELECT 1 FROM services s
                          WHERE s.service_id = vault_setting('vault.service')
                            AND s.project_id = project) $$;

-- A service (no account in scope) may file and re-file its own requests
-- and stubs, never decide them. Re-filing a request marked granted whose
-- grant has gone (a revocation, a rotation) puts it back to pending, so
-- that members see it again: the one status change a service makes.
CREATE FUNCTION vault_service_request_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF nullif(current_setting('vault.account', true), '') IS NULL THEN
        IF TG_OP = 'INSERT' AND NEW.status <> 'pending' THEN
            RAISE EXCEPTION 'a service files requests as pending' USING ERRCODE = '42501';
        END IF;
        IF TG_OP = 'UPDATE' AND (NEW.status IS DISTINCT FROM OLD.status
                                 OR NEW.decided_at IS DISTINCT FROM OLD.decided_at)
           AND NOT (OLD.status = 'granted' AND NEW.status = 'pending'
                    AND NEW.decided_at IS NULL) THEN
            RAISE EXCEPTION 'only project members decide requests' USING ERRCODE = '42501';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER access_requests_guard BEFORE INSERT OR UPDATE ON access_requests
    FOR EACH ROW EXECUTE FUNCTION vault_service_request_guard();

-- projects
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
CREATE POLICY projects_read ON projects FOR SELECT
    USING (vault_project_member(project_id, false)
           OR vault_service_project(project_id)
           OR project_id = vault_setting('vault.project_public'));
CREATE POLICY projects_insert ON projects FOR INSERT
    WITH CHECK (project_id IN (SELECT v.vault_id FROM vaults v
                               WHERE v.owner_id = vault_setting('vault.account')));
CREATE POLICY projects_update ON projects FOR UPDATE
    USING (vault_project_member(project_id, true))
    WITH CHECK (vault_project_member(project_id, true));
CREATE POLICY projects_delete ON projects FOR DELETE
    USING (project_id IN (SELECT v.vault_id FROM vaults v
                          WHERE v.owner_id = vault_setting('vault.account')));

-- secrets, secret_versions: members read, admins write; a service reads
-- its own project's (which ones it gets is the grants' business).
ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE secrets FORCE ROW LEVEL SECURITY;
CREATE POLICY secrets_read ON secrets FOR SELECT
    USING (vault_project_member(project_id, false)
           OR vault_service_project(project_id));
CREATE POLICY secrets_write ON secrets
    USING (vault_project_member(project_id, true))
    WITH CHECK (vault_project_member(project_id, true));

ALTER TABLE secret_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE secret_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY secret_versions_read ON secret_versions FOR SELECT
    USING (vault_project_member(project_id, false)
           OR vault_service_project(project_id));
CREATE POLICY secret_versions_write ON secret_versions
    USING (vault_project_member(project_id, true))
    WITH CHECK (vault_project_member(project_id, true));

-- services: members read their project's; admins issue, decide, revoke; a
-- service reads itself; a registration inserts one pending row and counts
-- the project's pending ones (the cap).
ALTER TABLE services ENABLE ROW LEVEL SECURITY;
ALTER TABLE services FORCE ROW LEVEL SECURITY;
CREATE POLICY services_read ON services FOR SELECT
    USING (vault_project_member(project_id, false)
           OR service_id = vault_setting('vault.service')
           OR (vault_setting('vault.register') IS NOT NULL
               AND project_id = vault_setting('vault.project_public')));
CREATE POLICY services_admin ON services
    USING (vault_project_member(project_id, true))
    WITH CHECK (vault_project_member(project_id, true));
CREATE POLICY services_register ON services FOR INSERT
    WITH CHECK (service_id = vault_setting('vault.register')
                AND project_id = vault_setting('vault.project_public')
                AND status = 'pending' AND origin = 'registered' AND access = 'none');

ALTER TABLE service_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE service_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY service_grants_read ON service_grants FOR SELECT
    USING (vault_project_member(project_id, false)
           OR service_id = vault_setting('vault.service'));
CREATE POLICY service_grants_admin ON service_grants
    USING (vault_project_member(project_id, true))
    WITH CHECK (vault_project_member(project_id, true));

-- access_requests, stubs: filed by the asking service, decided by admins
-- (the guard above keeps a service from deciding its own request).
ALTER TABLE access_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE access_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY access_requests_read ON access_requests FOR SELECT
    USING (vault_project_member(project_id, false)
           OR service_id = vault_setting('vault.service'));
CREATE POLICY access_requests_admin ON access_requests
    USING (vault_project_member(project_id, true))
    WITH CHECK (vault_project_member(project_id, true));
CREATE POLICY access_requests_file ON access_requests FOR INSERT
    WITH CHECK (service_id = vault_setting('vault.service')
                AND project_id = vault_setting('vault.project'));
CREATE POLICY access_requests_refile ON access_requests FOR UPDATE
    USING (service_id = vault_setting('vault.service'))
    WITH CHECK (service_id = vault_setting('vault.service')
                AND project_id = vault_setting('vault.project'));

ALTER TABLE stubs ENABLE ROW LEVEL SECURITY;
ALTER TABLE stubs FORCE ROW LEVEL SECURITY;
CREATE POLICY stubs_read ON stubs FOR SELECT
    USING (vault_project_member(project_id, false)
           OR service_id = vault_setting('vault.service'));
CREATE POLICY stubs_admin ON stubs
    USING (vault_project_member(project_id, true))
    WITH CHECK (vault_project_member(project_id, true));
CREATE POLICY stubs_file ON stubs FOR INSERT
    WITH CHECK (service_id = vault_setting('vault.service')
                AND project_id = vault_setting('vault.project'));
CREATE POLICY stubs_refile ON stubs FOR UPDATE
    USING (service_id = vault_setting('vault.service'))
    WITH CHECK (service_id = vault_setting('vault.service')
                AND project_id = vault_setting('vault.project'));

-- Counters: members read; the flush writes.
ALTER TABLE service_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE service_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY service_usage_read ON service_usage FOR SELECT
    USING (vault_project_member(project_id, false) OR vault_setting('vault.usage') = 'flush');
-- The flush upserts counters: insert and update, never delete.
CREATE POLICY service_usage_flush_insert ON service_usage FOR INSERT
    WITH CHECK (vault_setting('vault.usage') = 'flush');
CREATE POLICY service_usage_flush_update ON service_usage FOR UPDATE
    USING (vault_setting('vault.usage') = 'flush')
    WITH CHECK (vault_setting('vault.usage') = 'flush');
CREATE POLICY service_usage_admin ON service_usage FOR DELETE
    USING (vault_project_member(project_id, true));
ALTER TABLE secret_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE secret_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY secret_usage_read ON secret_usage FOR SELECT
    USING (vault_project_member(project_id, false) OR vault_setting('vault.usage') = 'flush');
-- The flush upserts counters: insert and update, never delete.
CREATE POLICY secret_usage_flush_insert ON secret_usage FOR INSERT
    WITH CHECK (vault_setting('vault.usage') = 'flush');
CREATE POLICY secret_usage_flush_update ON secret_usage FOR UPDATE
    USING (vault_setting('vault.usage') = 'flush')
    WITH CHECK (vault_setting('vault.usage') = 'flush');
CREATE POLICY secret_usage_admin ON secret_usage FOR DELETE
    USING (vault_project_member(project_id, true));

-- The audit chain: a service appends rows with itself as the actor (one
-- request), a registration as the new service, and the batch writer rows
-- of services only (never a person's).
CREATE POLICY audit_append_service ON audit_log FOR INSERT
    WITH CHECK (actor = 'service:' || vault_setting('vault.service')
                OR actor = 'service:' || vault_setting('vault.register')
                OR (vault_setting('vault.audit') = 'batch' AND actor LIKE 'service:%'));
CREATE POLICY audit_read_service ON audit_log FOR SELECT
    USING (actor = 'service:' || vault_setting('vault.service'));
CREATE POLICY audit_head_machine ON audit_head
    USING (vault_setting('vault.service') IS NOT NULL
           OR vault_setting('vault.register') IS NOT NULL
           OR vault_setting('vault.audit') = 'batch')
    WITH CHECK (vault_setting('vault.service') IS NOT NULL
                OR vault_setting('vault.register') IS NOT NULL
                OR vault_setting('vault.audit') = 'batch');
