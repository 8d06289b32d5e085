-- The machine-secret policies of 0007, rewritten so that Postgres
-- evaluates their membership and service checks once per statement, and
-- plans them with the statement, instead of once per row.
--
-- 0007 called `vault_project_member(project_id, …)` and
-- `vault_service_project(project_id)` in every policy: SQL functions of the
-- row that Postgres cannot inline (their bodies have a FROM), so it planned
-- and ran their subqueries for each row it looked at. A GetSecrets of 30
-- names joined 30 secrets with their versions and ran the checks ~1,000
-- times: 35 of the statement's 35 ms (EXPLAIN ANALYZE in
-- docs/benchmarks.md, "Machine secrets"). The same rules written inline as
-- uncorrelated subqueries become one InitPlan / hashed SubPlan per
-- statement, planned once with it (the store asks for a generic plan on
-- this path). A service's check comes first in the read policies: a
-- service's read stops there.
--
-- Same rules, same answers: the subqueries read the same rows under the
-- same row security as the functions they replace (the raw-SQL RLS proofs
-- in vault-sync's store tests run against this schema).

DROP POLICY projects_read ON projects;
CREATE POLICY projects_read ON projects FOR SELECT
    USING (project_id = (SELECT s.project_id FROM services s
                      WHERE s.service_id = vault_setting('vault.service')
                        AND s.project_id = vault_setting('vault.project'))
           OR project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active)
           OR project_id = vault_setting('vault.project_public'));

DROP POLICY projects_update ON projects;
CREATE POLICY projects_update ON projects FOR UPDATE
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')))
    WITH CHECK (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')));

DROP POLICY secrets_read ON secrets;
CREATE POLICY secrets_read ON secrets FOR SELECT
    USING (project_id = (SELECT s.project_id FROM services s
                      WHERE s.service_id = vault_setting('vault.service')
                        AND s.project_id = vault_setting('vault.project'))
           OR project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active));

DROP POLICY secrets_write ON secrets;
CREATE POLICY secrets_write ON secrets
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')))
    WITH CHECK (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')));

DROP POLICY secret_versions_read ON secret_versions;
CREATE POLICY secret_versions_read ON secret_versions FOR SELECT
    USING (project_id = (SELECT s.project_id FROM services s
                      WHERE s.service_id = vault_setting('vault.service')
                        AND s.project_id = vault_setting('vault.project'))
           OR project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active));

DROP POLICY secret_versions_write ON secret_versions;
CREATE POLICY secret_versions_write ON secret_versions
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')))
    WITH CHECK (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')));

DROP POLICY services_read ON services;
CREATE POLICY services_read ON services FOR SELECT
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active)
           OR service_id = vault_setting('vault.service')
           OR (vault_setting('vault.register') IS NOT NULL
               AND project_id = vault_setting('vault.project_public')));

DROP POLICY services_admin ON services;
CREATE POLICY services_admin ON services
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')))
    WITH CHECK (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')));

DROP POLICY service_grants_read ON service_grants;
CREATE POLICY service_grants_read ON service_grants FOR SELECT
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active)
           OR service_id = vault_setting('vault.service'));

DROP POLICY service_grants_admin ON service_grants;
CREATE POLICY service_grants_admin ON service_grants
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')))
    WITH CHECK (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')));

DROP POLICY access_requests_read ON access_requests;
CREATE POLICY access_requests_read ON access_requests FOR SELECT
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active)
           OR service_id = vault_setting('vault.service'));

DROP POLICY access_requests_admin ON access_requests;
CREATE POLICY access_requests_admin ON access_requests
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')))
    WITH CHECK (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')));

DROP POLICY stubs_read ON stubs;
CREATE POLICY stubs_read ON stubs FOR SELECT
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active)
           OR service_id = vault_setting('vault.service'));

DROP POLICY stubs_admin ON stubs;
CREATE POLICY stubs_admin ON stubs
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')))
    WITH CHECK (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')));

DROP POLICY service_usage_read ON service_usage;
CREATE POLICY service_usage_read ON service_usage FOR SELECT
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active) OR vault_setting('vault.usage') = 'flush');

DROP POLICY service_usage_admin ON service_usage;
CREATE POLICY service_usage_admin ON service_usage FOR DELETE
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')));

DROP POLICY secret_usage_read ON secret_usage;
CREATE POLICY secret_usage_read ON secret_usage FOR SELECT
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active) OR vault_setting('vault.usage') = 'flush');

DROP POLICY secret_usage_admin ON secret_usage;
CREATE POLICY secret_usage_admin ON secret_usage FOR DELETE
    USING (project_id IN (SELECT m.vault_id FROM memberships m
                          WHERE m.account_id = vault_setting('vault.account') AND m.active
                            AND m.role IN ('owner', 'editor')));

-- Nothing calls these any more.
DROP FUNCTION vault_project_member(text, boolean);
DROP FUNCTION vault_service_project(text);
