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
    kind TEXT NOT NULL PRIMARY KEY,
    accounts BIGINT NOT NULL CHECK (accounts >= 0)
);
