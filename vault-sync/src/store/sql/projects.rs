//! Projects (vaults with machine secrets): creation, listing, removal,
//! allowlists, and the checks every machine-side write shares.
//!
//! Part of the SQL written once for both backends (see `mod.rs`).

use super::*;
use crate::store::machine::{ProjectRecord, SecretsRotation, check_label, normalize_allowlist};
use vault_core::machine::{
    EncryptedProjectKeys, GrantScope, MACHINE_FORMAT_VERSION, ProjectPublic, ServiceGrant,
};
use vault_core::{SecretId, ServiceId};

/// What a member may do in a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ProjectRole {
    /// Owner or editor: writes secrets, decides services and requests.
    Admin,
    /// Viewer: reads.
    Reader,
}

pub(super) const NOT_ADMIN: &str = "only the project's owners and editors may do this";

/// The stored text of a grant's scope (its primary key with the service).
pub(super) fn scope_key(scope: &GrantScope) -> String {
    match scope {
        GrantScope::Index => "index".to_owned(),
        GrantScope::Project { key_version } => format!("project:{key_version}"),
        GrantScope::Secret {
            secret,
            secret_key_version,
        } => format!("secret:{secret}:{secret_key_version}"),
    }
}

pub(super) fn parse_allowlist(text: &str) -> Result<Vec<String>> {
    parse(text, "allowlist")
}

impl Ops {
    /// `me`'s role in `project` (which must be a project): the one refusal
    /// for non-members, whatever exists.
    pub(super) async fn project_role(
        &self,
        tx: &mut Tx,
        me: AccountId,
        project: VaultId,
    ) -> Result<(ProjectRole, u32)> {
        let row = self
            .q("SELECT m.role, v.key_version FROM memberships m \
                JOIN projects p ON p.project_id = m.vault_id \
                JOIN vaults v ON v.vault_id = m.vault_id \
                WHERE m.vault_id = $1 AND m.account_id = $2 AND m.active")
            .bind(project.to_string())
            .bind(me.to_string())
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::Forbidden(NOT_A_MEMBER))?;
        let role = match parse_role(&row.try_get::<String, _>(0)?)? {
            Role::Owner | Role::Editor => ProjectRole::Admin,
            Role::Viewer => ProjectRole::Reader,
        };
        Ok((role, kv_from_db(row.try_get(1)?)?))
    }

    /// As `project_role`, refusing readers. Returns the vault's current key
    /// generation.
    pub(super) async fn project_admin(
        &self,
        tx: &mut Tx,
        me: AccountId,
        project: VaultId,
    ) -> Result<u32> {
        match self.project_role(tx, me, project).await? {
            (ProjectRole::Admin, kv) => Ok(kv),
            (ProjectRole::Reader, _) => Err(StoreError::Forbidden(NOT_ADMIN)),
        }
    }

    /// The stored public key of a project (inside the caller's transaction).
    pub(super) async fn stored_project_public(
        &self,
        tx: &mut Tx,
        project: VaultId,
    ) -> Result<ProjectPublic> {
        let row = self
            .q("SELECT public_key FROM projects WHERE project_id = $1")
            .bind(project.to_string())
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound("project"))?;
        parse(&row.try_get::<String, _>(0)?, "project public key")
    }

    /// Checks grants for `service` in `project` against what is stored:
    /// signed by the project key, addressed right, project grants of the
    /// current vault key generation, secret grants of existing secrets at
    /// their current key generation. Returns `(scope key, secret, JSON)`.
    pub(super) async fn check_grants(
        &self,
        tx: &mut Tx,
        project: VaultId,
        vault_kv: u32,
        service: ServiceId,
        grants: &[ServiceGrant],
        pending_secrets: &[(SecretId, u32)],
    ) -> Result<Vec<(String, Option<SecretId>, String)>> {
        let public = self.stored_project_public(tx, project).await?;
        let mut out = Vec::with_capacity(grants.len());
        for g in grants {
            if g.project != project || g.service != service {
                return Err(StoreError::Invalid(
                    "a grant names another project or service",
                ));
            }
            g.verify(&public.ed25519)
                .map_err(|_| StoreError::Invalid("a grant is not signed by the project's key"))?;
            let secret = match g.scope {
                GrantScope::Index => None,
                GrantScope::Project { key_version } => {
                    if key_version != vault_kv {
                        return Err(StoreError::Conflict(
                            "a project grant is not of the vault's current key generation",
                        ));
                    }
                    None
                }
                GrantScope::Secret {
                    secret,
                    secret_key_version,
                } => {
                    let current = match pending_secrets.iter().find(|(s, _)| *s == secret) {
                        Some((_, skv)) => Some(*skv),
                        None => self
                            .q("SELECT secret_key_version FROM secrets \
                                WHERE project_id = $1 AND secret_id = $2")
                            .bind(project.to_string())
                            .bind(secret.to_string())
                            .fetch_optional(&mut **tx)
                            .await?
                            .map(|r| r.try_get::<i64, _>(0))
                            .transpose()?
                            .map(kv_from_db)
                            .transpose()?,
                    };
                    match current {
                        None => return Err(StoreError::NotFound("secret")),
                        Some(skv) if skv != secret_key_version => {
                            return Err(StoreError::Conflict(
                                "a secret grant is not of the secret's current key generation",
                            ));
                        }
                        Some(_) => Some(secret),
                    }
                }
            };
            out.push((scope_key(&g.scope), secret, to_json(g)?));
        }
        Ok(out)
    }

    /// Files checked grants (replacing grants of the same scope).
    pub(super) async fn file_grants(
        &self,
        tx: &mut Tx,
        project: VaultId,
        service: ServiceId,
        checked: &[(String, Option<SecretId>, String)],
        now: Millis,
    ) -> Result<()> {
        for (scope, secret, json) in checked {
            self.q("INSERT INTO service_grants (service_id, project_id, scope, secret_id, grant_json, created_at) \
                    VALUES ($1, $2, $3, $4, $5, $6) \
                    ON CONFLICT (service_id, scope) DO UPDATE SET grant_json = $5, created_at = $6")
                .bind(service.to_string())
                .bind(project.to_string())
                .bind(scope)
                .bind(secret.map(|s| s.to_string()))
                .bind(json)
                .bind(now)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Appends an audit event by a member about a project.
    pub(super) async fn audit_project(
        &self,
        tx: &mut Tx,
        what: ProjectAudit<'_>,
        now: Millis,
    ) -> Result<()> {
        let mut ev = AuditEvent::new(Some(what.me), what.action);
        ev.vault = Some(what.project);
        ev.subject = what.subject;
        ev.remote = what.remote.map(str::to_owned);
        self.audit_in(tx, &ev, now).await?;
        Ok(())
    }

    pub(crate) async fn create_project(
        &self,
        me: AccountId,
        public: &ProjectPublic,
        keys: &EncryptedProjectKeys,
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        if public.project != keys.project {
            return Err(StoreError::Invalid(
                "public and sealed keys name different projects",
            ));
        }
        public
            .verify(None)
            .map_err(|_| StoreError::Invalid("project public key does not verify"))?;
        if keys.v != MACHINE_FORMAT_VERSION {
            return Err(StoreError::Invalid("unsupported project keys version"));
        }
        let project = public.project;
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let kv = self
            .owned_vault(&mut tx, &me.to_string(), &project.to_string())
            .await?;
        if keys.key_version != kv {
            return Err(StoreError::Conflict(
                "project keys must be sealed under the vault's current key generation",
            ));
        }
        self.q(
            "INSERT INTO projects (project_id, public_key, project_keys, key_version, allowlist, \
                created_at, updated_at) VALUES ($1, $2, $3, $4, '[]', $5, $5)",
        )
        .bind(project.to_string())
        .bind(to_json(public)?)
        .bind(to_json(keys)?)
        .bind(i64::from(kv))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_insert(e, "the vault is a project already", "vault"))?;
        self.audit_project(
            &mut tx,
            ProjectAudit {
                me,
                action: AuditAction::ProjectCreate,
                project,
                subject: None,
                remote,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn projects(
        &self,
        me: AccountId,
        only: Option<VaultId>,
    ) -> Result<Vec<ProjectRecord>> {
        let mut tx = self.tx(&Scope::Account(me), Mode::Snapshot).await?;
        let rows = self
            .q("SELECT p.project_id, p.public_key, p.project_keys, v.key_version, p.allowlist, p.created_at, \
                (SELECT COUNT(*) FROM secrets s WHERE s.project_id = p.project_id), \
                (SELECT COUNT(*) FROM services x WHERE x.project_id = p.project_id AND x.status = 'pending'), \
                (SELECT COUNT(*) FROM access_requests r WHERE r.project_id = p.project_id AND r.status = 'pending'), \
                (SELECT COUNT(DISTINCT t.blind_index) FROM stubs t WHERE t.project_id = p.project_id) \
                FROM projects p \
                JOIN memberships m ON m.vault_id = p.project_id AND m.account_id = $1 AND m.active \
                JOIN vaults v ON v.vault_id = p.project_id \
                WHERE ($2 IS NULL OR p.project_id = $2) \
                ORDER BY p.created_at, p.project_id")
            .bind(me.to_string())
            .bind(only.map(|p| p.to_string()))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let count = |r: &<Db as sqlx::Database>::Row, i: usize| -> Result<u64> {
            Ok(u64::try_from(r.try_get::<i64, _>(i)?).unwrap_or(0))
        };
        rows.iter()
            .map(|r| {
                Ok(ProjectRecord {
                    public: parse(&r.try_get::<String, _>(1)?, "project public key")?,
                    keys: parse(&r.try_get::<String, _>(2)?, "project keys")?,
                    vault_key_version: kv_from_db(r.try_get(3)?)?,
                    allowlist: parse_allowlist(&r.try_get::<String, _>(4)?)?,
                    created_at: r.try_get(5)?,
                    secrets: count(r, 6)?,
                    pending_services: count(r, 7)?,
                    pending_requests: count(r, 8)?,
                    open_stubs: count(r, 9)?,
                })
            })
            .collect()
    }

    pub(crate) async fn remove_project(
        &self,
        me: AccountId,
        project: VaultId,
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        let now = self.cfg.clock.now_ms();
        let p = project.to_string();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        self.project_role(&mut tx, me, project).await?;
        self.owned_vault(&mut tx, &me.to_string(), &p).await?;
        // Children first: the foreign keys hold on both backends.
        for table in [
            "secret_usage",
            "service_usage",
            "stubs",
            "access_requests",
            "service_grants",
            "services",
            "secret_versions",
            "secrets",
            "projects",
        ] {
            let sql = format!("DELETE FROM {table} WHERE project_id = $1");
            self.q(&sql).bind(&p).execute(&mut *tx).await?;
        }
        self.audit_project(
            &mut tx,
            ProjectAudit {
                me,
                action: AuditAction::ProjectRemove,
                project,
                subject: None,
                remote,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn set_project_allowlist(
        &self,
        me: AccountId,
        project: VaultId,
        allowlist: &[String],
        remote: Option<&str>,
    ) -> Result<Vec<String>> {
        check_remote(remote)?;
        let list = normalize_allowlist(allowlist)?;
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        self.project_admin(&mut tx, me, project).await?;
        self.q("UPDATE projects SET allowlist = $2, updated_at = $3 WHERE project_id = $1")
            .bind(project.to_string())
            .bind(to_json(&list)?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        self.audit_project(
            &mut tx,
            ProjectAudit {
                me,
                action: AuditAction::AllowlistSet,
                project,
                subject: None,
                remote,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(list)
    }

    pub(crate) async fn project_public(&self, project: VaultId) -> Result<Option<ProjectPublic>> {
        let mut tx = self.tx(&Scope::ProjectPublic(project), Mode::Read).await?;
        let row = self
            .q("SELECT public_key FROM projects WHERE project_id = $1")
            .bind(project.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.map(|r| parse(&r.try_get::<String, _>(0)?, "project public key"))
            .transpose()
    }

    /// Rotation after a revocation (see `Store::rotate_secrets`).
    pub(crate) async fn rotate_secrets(
        &self,
        me: AccountId,
        project: VaultId,
        rot: &SecretsRotation,
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        let now = self.cfg.clock.now_ms();
        let p = project.to_string();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let vault_kv = self.project_admin(&mut tx, me, project).await?;
        if let Some(keys) = &rot.project_keys {
            if keys.project != project
                || keys.key_version != vault_kv
                || keys.v != MACHINE_FORMAT_VERSION
            {
                return Err(StoreError::Invalid(
                    "project keys must be sealed under the vault's current key generation",
                ));
            }
            self.q(
                "UPDATE projects SET project_keys = $2, key_version = $3, updated_at = $4 \
                    WHERE project_id = $1",
            )
            .bind(&p)
            .bind(to_json(keys)?)
            .bind(i64::from(vault_kv))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let mut rotated: Vec<(SecretId, u32)> = Vec::with_capacity(rot.secrets.len());
        for s in &rot.secrets {
            if s.project != project || s.v != MACHINE_FORMAT_VERSION {
                return Err(StoreError::Invalid(
                    "a rotated secret names another project",
                ));
            }
            if s.key_version != vault_kv {
                return Err(StoreError::Conflict(
                    "rotated secrets must be wrapped under the vault's current key generation",
                ));
            }
            let row = self
                .q("SELECT secret_key_version, blind_index FROM secrets \
                    WHERE project_id = $1 AND secret_id = $2")
                .bind(&p)
                .bind(s.secret.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("secret"))?;
            let skv = kv_from_db(row.try_get(0)?)?;
            if s.secret_key_version != skv.saturating_add(1) {
                return Err(StoreError::Conflict(
                    "a rotation moves a secret to its next key generation",
                ));
            }
            if row.try_get::<String, _>(1)? != s.blind_index.to_string() {
                return Err(StoreError::Invalid("a rotation keeps the blind index"));
            }
            // Every stored version, re-sealed under the new key, exactly once.
            let stored: Vec<i64> = self
                .q(
                    "SELECT version FROM secret_versions WHERE project_id = $1 AND secret_id = $2 \
                    ORDER BY version",
                )
                .bind(&p)
                .bind(s.secret.to_string())
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get::<i64, _>(0))
                .collect::<core::result::Result<_, _>>()?;
            let mut given: Vec<i64> = rot
                .versions
                .iter()
                .filter(|v| v.secret == s.secret)
                .map(|v| i64::from(v.version))
                .collect();
            given.sort_unstable();
            if given != stored {
                return Err(StoreError::Conflict(
                    "a rotation must re-seal every stored version of the secret",
                ));
            }
            for v in rot.versions.iter().filter(|v| v.secret == s.secret) {
                if v.project != project || v.secret_key_version != s.secret_key_version {
                    return Err(StoreError::Invalid(
                        "a re-sealed version has the wrong key generation",
                    ));
                }
                let json = to_json(v)?;
                if json.len() > crate::store::machine::MAX_SECRET_VERSION_JSON {
                    return Err(StoreError::Invalid("secret version too large"));
                }
                self.q(
                    "UPDATE secret_versions SET blob = $4, secret_key_version = $5 \
                        WHERE project_id = $1 AND secret_id = $2 AND version = $3",
                )
                .bind(&p)
                .bind(v.secret.to_string())
                .bind(i64::from(v.version))
                .bind(json)
                .bind(i64::from(v.secret_key_version))
                .execute(&mut *tx)
                .await?;
            }
            self.q("UPDATE secrets SET record = $3, key_version = $4, secret_key_version = $5, \
                    rotate_pending = FALSE, updated_at = $6 WHERE project_id = $1 AND secret_id = $2")
                .bind(&p)
                .bind(s.secret.to_string())
                .bind(to_json(s)?)
                .bind(i64::from(s.key_version))
                .bind(i64::from(s.secret_key_version))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            // Grants of the old key generation are useless now.
            self.q("DELETE FROM service_grants WHERE project_id = $1 AND secret_id = $2")
                .bind(&p)
                .bind(s.secret.to_string())
                .execute(&mut *tx)
                .await?;
            rotated.push((s.secret, s.secret_key_version));
        }
        if rot
            .versions
            .iter()
            .any(|v| !rotated.iter().any(|(s, _)| *s == v.secret))
        {
            return Err(StoreError::Invalid(
                "a re-sealed version belongs to no rotated secret",
            ));
        }
        // Project grants of older vault key generations go.
        self.q(
            "DELETE FROM service_grants WHERE project_id = $1 AND scope LIKE 'project:%' \
                AND scope <> $2",
        )
        .bind(&p)
        .bind(format!("project:{vault_kv}"))
        .execute(&mut *tx)
        .await?;
        // Secrets wrapped under an older generation stay readable to members
        // (who keep the old keys) but not by whole-project services: leave
        // them marked until rotated too.
        self.q(
            "UPDATE secrets SET rotate_pending = TRUE WHERE project_id = $1 AND key_version <> $2",
        )
        .bind(&p)
        .bind(i64::from(vault_kv))
        .execute(&mut *tx)
        .await?;
        for service in unique_services(&rot.grants) {
            let status = self
                .q("SELECT status, access FROM services WHERE project_id = $1 AND service_id = $2")
                .bind(&p)
                .bind(service.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("service"))?;
            if status.try_get::<String, _>(0)? != "approved" {
                return Err(StoreError::Conflict("grants go to approved services only"));
            }
            let mine: Vec<ServiceGrant> = rot
                .grants
                .iter()
                .filter(|g| g.service == service)
                .cloned()
                .collect();
            let checked = self
                .check_grants(&mut tx, project, vault_kv, service, &mine, &rotated)
                .await?;
            self.file_grants(&mut tx, project, service, &checked, now)
                .await?;
        }
        self.audit_project(
            &mut tx,
            ProjectAudit {
                me,
                action: AuditAction::SecretRotate,
                project,
                subject: None,
                remote,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The distinct services a list of grants goes to, in first-seen order.
pub(super) fn unique_services(grants: &[ServiceGrant]) -> Vec<ServiceId> {
    let mut out: Vec<ServiceId> = Vec::new();
    for g in grants {
        if !out.contains(&g.service) {
            out.push(g.service);
        }
    }
    out
}

pub(super) fn check_service_labels(name: &str, version: &str) -> Result<()> {
    check_label(
        name,
        "service name must be 1 to 128 bytes without control or bidi characters",
    )?;
    check_label(
        version,
        "software version must be 1 to 128 bytes without control or bidi characters",
    )
}

/// What a member did to a project, for its audit event.
pub(super) struct ProjectAudit<'a> {
    pub me: AccountId,
    pub action: AuditAction,
    pub project: VaultId,
    pub subject: Option<AuditParty>,
    pub remote: Option<&'a str>,
}

impl<'a> ProjectAudit<'a> {
    /// An event whose subject is one of the project's services.
    pub(super) fn about_service(
        me: AccountId,
        action: AuditAction,
        project: VaultId,
        service: ServiceId,
        remote: Option<&'a str>,
    ) -> Self {
        ProjectAudit {
            me,
            action,
            project,
            subject: Some(AuditParty::Service(service)),
            remote,
        }
    }
}
