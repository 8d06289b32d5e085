-- Machine secrets (docs/secrets.md): projects (vaults whose items are named
-- secrets with versions), service identities, their grants, access requests
-- and stubs. Kept in lockstep with the other backend's 0007. The server
-- stores ciphertext, public keys and blind indexes: never a secret's value
-- or name.
CREATE TABLE projects (
    project_id TEXT NOT NULL PRIMARY KEY REFERENCES vaults (vault_id),
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
    project_id TEXT NOT NULL REFERENCES projects (project_id),
    secret_id TEXT NOT NULL,
    -- HMAC of the name under the project's index key (base64url): lookups
    -- by name without the name.
    blind_index TEXT NOT NULL,
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
    project_id TEXT NOT NULL,
    secret_id TEXT NOT NULL,
    version BIGINT NOT NULL CHECK (version > 0),
    secret_key_version BIGINT NOT NULL CHECK (secret_key_version > 0),
    -- EncryptedSecretVersion JSON.
    blob TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, secret_id, version),
    FOREIGN KEY (project_id, secret_id) REFERENCES secrets (project_id, secret_id) ON DELETE CASCADE
);

CREATE TABLE services (
    service_id TEXT NOT NULL PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (project_id),
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
    decided_by TEXT,
    UNIQUE (service_id, project_id)
);
CREATE INDEX services_by_project ON services (project_id, status);

CREATE TABLE service_grants (
    service_id TEXT NOT NULL,
    project_id TEXT NOT NULL,
    -- 'index', 'project:<key version>' or 'secret:<secret id>:<secret key version>'
    scope TEXT NOT NULL,
    secret_id TEXT,
    -- ServiceGrant JSON (signed by the project's Ed25519 key).
    grant_json TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (service_id, scope),
    FOREIGN KEY (service_id, project_id) REFERENCES services (service_id, project_id) ON DELETE CASCADE
);
CREATE INDEX service_grants_by_secret ON service_grants (project_id, secret_id);

CREATE TABLE access_requests (
    service_id TEXT NOT NULL,
    project_id TEXT NOT NULL,
    secret_id TEXT NOT NULL,
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
    project_id TEXT NOT NULL,
    blind_index TEXT NOT NULL,
    service_id TEXT NOT NULL,
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
    service_id TEXT NOT NULL PRIMARY KEY,
    project_id TEXT NOT NULL,
    uses BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    -- The tenant travels in the key: a counter names its service's own project.
    FOREIGN KEY (service_id, project_id) REFERENCES services (service_id, project_id) ON DELETE CASCADE
);
CREATE TABLE secret_usage (
    project_id TEXT NOT NULL,
    secret_id TEXT NOT NULL,
    uses BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, secret_id),
    FOREIGN KEY (project_id, secret_id) REFERENCES secrets (project_id, secret_id) ON DELETE CASCADE
);
