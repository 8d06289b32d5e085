//! Service identities: registration, issue, approval, denial, revocation,
//! allowlists; access requests and stubs as members see them.
//!
//! Part of the SQL written once for both backends (see `mod.rs`).

use super::projects::{ProjectAudit, check_service_labels, parse_allowlist, unique_services};
use super::*;
use crate::store::machine::{
    AccessRequestRow, Approval, IssuedService, MAX_PENDING_SERVICES, RequestStatus, ServiceAccess,
    ServiceAuth, ServiceOrigin, ServiceRecord, ServiceStatus, StubRow, normalize_allowlist,
};
use vault_core::machine::{
    EncryptedSecret, EncryptedSecretVersion, GrantScope, ProjectPublic, ServiceGrant, ServicePublic,
};
use vault_core::{SecretId, ServiceId};

const SERVICE_COLUMNS: &str = "x.public_key, x.name, x.software_version, x.status, x.origin, x.access, \
     x.allowlist, x.expires_at, x.registered_from, x.created_at, x.decided_at, x.decided_by, \
     u.uses, u.last_used_at";

fn service_from_row(r: &<Db as sqlx::Database>::Row) -> Result<ServiceRecord> {
    let decided_by: Option<String> = r.try_get(11)?;
    Ok(ServiceRecord {
        public: parse(&r.try_get::<String, _>(0)?, "service public key")?,
        name: r.try_get(1)?,
        software_version: r.try_get(2)?,
        status: ServiceStatus::parse(&r.try_get::<String, _>(3)?)
            .ok_or(StoreError::Corrupt("service status"))?,
        origin: ServiceOrigin::parse(&r.try_get::<String, _>(4)?)
            .ok_or(StoreError::Corrupt("service origin"))?,
        access: ServiceAccess::parse(&r.try_get::<String, _>(5)?)
            .ok_or(StoreError::Corrupt("service access"))?,
        allowlist: parse_allowlist(&r.try_get::<String, _>(6)?)?,
        expires_at: r.try_get(7)?,
        registered_from: r.try_get(8)?,
        created_at: r.try_get(9)?,
        decided_at: r.try_get(10)?,
        decided_by: decided_by.map(|a| parse_id(&a, "decided_by")).transpose()?,
        uses: u64::try_from(r.try_get::<Option<i64>, _>(12)?.unwrap_or(0)).unwrap_or(0),
        last_used_at: r.try_get(13)?,
    })
}

/// Checks an approval's shape: the index grant, then either one project
/// grant (whole project) or secret grants only.
fn check_approval(a: &Approval) -> Result<()> {
    let has_index = a.grants.iter().any(|g| g.scope == GrantScope::Index);
    let projects = a
        .grants
        .iter()
        .filter(|g| matches!(g.scope, GrantScope::Project { .. }))
        .count();
    let secrets = a
        .grants
        .iter()
        .filter(|g| matches!(g.scope, GrantScope::Secret { .. }))
        .count();
    if a.grants.len() > 10_000 {
        return Err(StoreError::Invalid("too many grants"));
    }
    match a.access {
        ServiceAccess::None => Err(StoreError::Invalid(
            "an approval grants project or secrets access",
        )),
        ServiceAccess::Project if has_index && projects == 1 && secrets == 0 => Ok(()),
        ServiceAccess::Secrets if has_index && projects == 0 => Ok(()),
        _ => Err(StoreError::Invalid(
            "an approval holds the index grant and one project grant, or secret grants only",
        )),
    }
}

impl Ops {
    async fn service_status(
        &self,
        tx: &mut Tx,
        project: VaultId,
        service: ServiceId,
    ) -> Result<(ServiceStatus, ServiceAccess)> {
        let row = self
            .q("SELECT status, access FROM services WHERE project_id = $1 AND service_id = $2")
            .bind(project.to_string())
            .bind(service.to_string())
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound("service"))?;
        Ok((
            ServiceStatus::parse(&row.try_get::<String, _>(0)?)
                .ok_or(StoreError::Corrupt("service status"))?,
            ServiceAccess::parse(&row.try_get::<String, _>(1)?)
                .ok_or(StoreError::Corrupt("service access"))?,
        ))
    }

    pub(crate) async fn services(
        &self,
        me: AccountId,
        project: VaultId,
    ) -> Result<Vec<ServiceRecord>> {
        let mut tx = self.tx(&Scope::Account(me), Mode::Snapshot).await?;
        self.project_role(&mut tx, me, project).await?;
        let sql = format!(
            "SELECT {SERVICE_COLUMNS} FROM services x \
             LEFT JOIN service_usage u ON u.service_id = x.service_id \
             WHERE x.project_id = $1 ORDER BY x.created_at, x.service_id"
        );
        let rows = self
            .q(&sql)
            .bind(project.to_string())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter().map(service_from_row).collect()
    }

    /// A service's grants: for a member (`Some(me)`) or for the service
    /// itself (`None`: its own scope).
    pub(crate) async fn grants_for(
        &self,
        me: Option<AccountId>,
        project: VaultId,
        service: ServiceId,
    ) -> Result<Vec<ServiceGrant>> {
        let scope = match me {
            Some(a) => Scope::Account(a),
            None => Scope::Service { service, project },
        };
        let mut tx = self.tx(&scope, Mode::Read).await?;
        if let Some(a) = me {
            self.project_role(&mut tx, a, project).await?;
        }
        let rows = self
            .q(
                "SELECT grant_json FROM service_grants WHERE project_id = $1 AND service_id = $2 \
                ORDER BY scope",
            )
            .bind(project.to_string())
            .bind(service.to_string())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| parse(&r.try_get::<String, _>(0)?, "service grant"))
            .collect()
    }

    pub(crate) async fn issue_service(
        &self,
        me: AccountId,
        issued: &IssuedService,
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        check_service_labels(&issued.name, "issued")?;
        check_approval(&issued.approval)?;
        let public = &issued.public;
        public
            .verify()
            .map_err(|_| StoreError::Invalid("service public key"))?;
        let project = public.project;
        let now = self.cfg.clock.now_ms();
        if issued.expires_at.is_some_and(|t| t <= now) {
            return Err(StoreError::Invalid(
                "the token would expire before it is issued",
            ));
        }
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let vault_kv = self.project_admin(&mut tx, me, project).await?;
        let stored = self.stored_project_public(&mut tx, project).await?;
        if public.project_signing_key != stored.ed25519 {
            return Err(StoreError::Invalid("the token pins another project key"));
        }
        self.q("INSERT INTO services (service_id, project_id, name, software_version, public_key, \
                status, origin, access, allowlist, expires_at, registered_from, created_at, \
                decided_at, decided_by) \
                VALUES ($1, $2, $3, 'issued', $4, 'approved', 'issued', $5, '[]', $6, $7, $8, $8, $9)")
            .bind(public.service.to_string())
            .bind(project.to_string())
            .bind(&issued.name)
            .bind(to_json(public)?)
            .bind(issued.approval.access.as_str())
            .bind(issued.expires_at)
            .bind(remote)
            .bind(now)
            .bind(me.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| on_insert(e, "a service with this id exists", "project"))?;
        let checked = self
            .check_grants(
                &mut tx,
                project,
                vault_kv,
                public.service,
                &issued.approval.grants,
                &[],
            )
            .await?;
        self.file_grants(&mut tx, project, public.service, &checked, now)
            .await?;
        self.audit_project(
            &mut tx,
            ProjectAudit {
                me,
                action: AuditAction::ServiceIssue,
                project,
                subject: Some(AuditParty::Service(public.service)),
                remote,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn approve_service(
        &self,
        me: AccountId,
        project: VaultId,
        service: ServiceId,
        approval: &Approval,
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let vault_kv = self.project_admin(&mut tx, me, project).await?;
        let (status, access) = self.service_status(&mut tx, project, service).await?;
        match status {
            ServiceStatus::Pending => check_approval(approval)?,
            // Widening: more secret grants, or moving to whole-project access.
            ServiceStatus::Approved => {
                if approval.access == ServiceAccess::None
                    || (access == ServiceAccess::Project
                        && approval.access == ServiceAccess::Secrets)
                {
                    return Err(StoreError::Invalid(
                        "approval would narrow access: revoke instead",
                    ));
                }
            }
            ServiceStatus::Denied | ServiceStatus::Revoked => {
                return Err(StoreError::Conflict(
                    "the service was denied or revoked: it must register again",
                ));
            }
        }
        let checked = self
            .check_grants(&mut tx, project, vault_kv, service, &approval.grants, &[])
            .await?;
        self.file_grants(&mut tx, project, service, &checked, now)
            .await?;
        self.q("UPDATE services SET status = 'approved', access = $3, decided_at = $4, decided_by = $5 \
                WHERE project_id = $1 AND service_id = $2")
            .bind(project.to_string())
            .bind(service.to_string())
            .bind(approval.access.as_str())
            .bind(now)
            .bind(me.to_string())
            .execute(&mut *tx)
            .await?;
        self.audit_project(
            &mut tx,
            ProjectAudit::about_service(me, AuditAction::ServiceApprove, project, service, remote),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn deny_service(
        &self,
        me: AccountId,
        project: VaultId,
        service: ServiceId,
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        self.project_admin(&mut tx, me, project).await?;
        let (status, _) = self.service_status(&mut tx, project, service).await?;
        if status != ServiceStatus::Pending {
            return Err(StoreError::Conflict(
                "only a pending service can be denied: revoke it",
            ));
        }
        self.q(
            "UPDATE services SET status = 'denied', decided_at = $3, decided_by = $4 \
                WHERE project_id = $1 AND service_id = $2",
        )
        .bind(project.to_string())
        .bind(service.to_string())
        .bind(now)
        .bind(me.to_string())
        .execute(&mut *tx)
        .await?;
        self.audit_project(
            &mut tx,
            ProjectAudit::about_service(me, AuditAction::ServiceDeny, project, service, remote),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn revoke_service(
        &self,
        me: AccountId,
        project: VaultId,
        service: ServiceId,
        remote: Option<&str>,
    ) -> Result<Vec<SecretId>> {
        check_remote(remote)?;
        let now = self.cfg.clock.now_ms();
        let p = project.to_string();
        let sid = service.to_string();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        self.project_admin(&mut tx, me, project).await?;
        let (status, access) = self.service_status(&mut tx, project, service).await?;
        if status != ServiceStatus::Approved {
            return Err(StoreError::Conflict(
                "only an approved service can be revoked",
            ));
        }
        // What it could read must be rotated.
        let readable: Vec<String> = match access {
            ServiceAccess::Project => self
                .q("SELECT secret_id FROM secrets WHERE project_id = $1 ORDER BY secret_id")
                .bind(&p)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<core::result::Result<_, _>>()?,
            ServiceAccess::Secrets | ServiceAccess::None => self
                .q("SELECT secret_id FROM service_grants WHERE project_id = $1 AND service_id = $2 \
                    AND secret_id IS NOT NULL ORDER BY secret_id")
                .bind(&p)
                .bind(&sid)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<core::result::Result<_, _>>()?,
        };
        for s in &readable {
            self.q(
                "UPDATE secrets SET rotate_pending = TRUE WHERE project_id = $1 AND secret_id = $2",
            )
            .bind(&p)
            .bind(s)
            .execute(&mut *tx)
            .await?;
        }
        self.q("DELETE FROM service_grants WHERE project_id = $1 AND service_id = $2")
            .bind(&p)
            .bind(&sid)
            .execute(&mut *tx)
            .await?;
        self.q("UPDATE services SET status = 'revoked', access = 'none', decided_at = $3, decided_by = $4 \
                WHERE project_id = $1 AND service_id = $2")
            .bind(&p)
            .bind(&sid)
            .bind(now)
            .bind(me.to_string())
            .execute(&mut *tx)
            .await?;
        self.audit_project(
            &mut tx,
            ProjectAudit::about_service(me, AuditAction::ServiceRevoke, project, service, remote),
            now,
        )
        .await?;
        tx.commit().await?;
        readable.iter().map(|s| parse_id(s, "secret id")).collect()
    }

    pub(crate) async fn set_service_allowlist(
        &self,
        me: AccountId,
        project: VaultId,
        service: ServiceId,
        allowlist: &[String],
        remote: Option<&str>,
    ) -> Result<Vec<String>> {
        check_remote(remote)?;
        let list = normalize_allowlist(allowlist)?;
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        self.project_admin(&mut tx, me, project).await?;
        let n = self
            .q("UPDATE services SET allowlist = $3 WHERE project_id = $1 AND service_id = $2")
            .bind(project.to_string())
            .bind(service.to_string())
            .bind(to_json(&list)?)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("service"));
        }
        self.audit_project(
            &mut tx,
            ProjectAudit::about_service(me, AuditAction::AllowlistSet, project, service, remote),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(list)
    }

    pub(crate) async fn access_requests(
        &self,
        me: AccountId,
        project: VaultId,
    ) -> Result<Vec<AccessRequestRow>> {
        let mut tx = self.tx(&Scope::Account(me), Mode::Snapshot).await?;
        self.project_role(&mut tx, me, project).await?;
        let rows = self
            .q("SELECT service_id, secret_id, status, hint, attempts, first_at, last_at, decided_at \
                FROM access_requests WHERE project_id = $1 ORDER BY last_at DESC, service_id, secret_id")
            .bind(project.to_string())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let hint: Option<String> = r.try_get(3)?;
                Ok(AccessRequestRow {
                    service: parse_id(&r.try_get::<String, _>(0)?, "service id")?,
                    secret: parse_id(&r.try_get::<String, _>(1)?, "secret id")?,
                    status: RequestStatus::parse(&r.try_get::<String, _>(2)?)
                        .ok_or(StoreError::Corrupt("request status"))?,
                    hint: hint.map(|h| parse(&h, "sealed hint")).transpose()?,
                    attempts: u64::try_from(r.try_get::<i64, _>(4)?).unwrap_or(0),
                    first_at: r.try_get(5)?,
                    last_at: r.try_get(6)?,
                    decided_at: r.try_get(7)?,
                })
            })
            .collect()
    }

    pub(crate) async fn decide_request(
        &self,
        me: AccountId,
        project: VaultId,
        service: ServiceId,
        secret: SecretId,
        grants: Option<&[ServiceGrant]>,
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let vault_kv = self.project_admin(&mut tx, me, project).await?;
        let exists = self
            .q("SELECT status FROM access_requests WHERE project_id = $1 AND service_id = $2 AND secret_id = $3")
            .bind(project.to_string())
            .bind(service.to_string())
            .bind(secret.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(request_status) = exists else {
            return Err(StoreError::NotFound("access request"));
        };
        // A granted request is undone by revoking (which rotates what the
        // service could read), not by relabelling it "denied" while the
        // grant stays.
        if grants.is_none() && request_status.get::<String, _>(0) == "granted" {
            return Err(StoreError::Conflict(
                "the request was granted: revoke the service to take access back",
            ));
        }
        let (status, _) = self.service_status(&mut tx, project, service).await?;
        let (new_status, action) =
            match grants {
                Some(grants) => {
                    if status != ServiceStatus::Approved {
                        return Err(StoreError::Conflict("grants go to approved services only"));
                    }
                    if grants.is_empty()
                    || !grants.iter().all(|g| {
                        matches!(g.scope, GrantScope::Secret { secret: s, .. } if s == secret)
                    })
                {
                    return Err(StoreError::Invalid("grant the requested secret, and only it"));
                }
                    let checked = self
                        .check_grants(&mut tx, project, vault_kv, service, grants, &[])
                        .await?;
                    self.file_grants(&mut tx, project, service, &checked, now)
                        .await?;
                    ("granted", AuditAction::AccessGrant)
                }
                None => ("denied", AuditAction::AccessDeny),
            };
        self.q("UPDATE access_requests SET status = $4, decided_at = $5 \
                WHERE project_id = $1 AND service_id = $2 AND secret_id = $3")
            .bind(project.to_string())
            .bind(service.to_string())
            .bind(secret.to_string())
            .bind(new_status)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        self.audit_project(
            &mut tx,
            ProjectAudit {
                me,
                action,
                project,
                subject: Some(AuditParty::Service(service)),
                remote,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn stubs(&self, me: AccountId, project: VaultId) -> Result<Vec<StubRow>> {
        let mut tx = self.tx(&Scope::Account(me), Mode::Snapshot).await?;
        self.project_role(&mut tx, me, project).await?;
        let rows = self
            .q(
                "SELECT blind_index, service_id, hint, attempts, first_at, last_at FROM stubs \
                WHERE project_id = $1 ORDER BY blind_index, first_at, service_id",
            )
            .bind(project.to_string())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let hint: Option<String> = r.try_get(2)?;
                Ok(StubRow {
                    blind_index: parse_id(&r.try_get::<String, _>(0)?, "blind index")?,
                    service: parse_id(&r.try_get::<String, _>(1)?, "service id")?,
                    hint: hint.map(|h| parse(&h, "sealed hint")).transpose()?,
                    attempts: u64::try_from(r.try_get::<i64, _>(3)?).unwrap_or(0),
                    first_at: r.try_get(4)?,
                    last_at: r.try_get(5)?,
                })
            })
            .collect()
    }

    pub(crate) async fn fill_stub(
        &self,
        me: AccountId,
        secret: &EncryptedSecret,
        version: &EncryptedSecretVersion,
        grants: &[ServiceGrant],
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        let project = secret.project;
        let p = project.to_string();
        let bidx = secret.blind_index.to_string();
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let vault_kv = self.project_admin(&mut tx, me, project).await?;
        let askers: Vec<String> = self
            .q("SELECT service_id FROM stubs WHERE project_id = $1 AND blind_index = $2")
            .bind(&p)
            .bind(&bidx)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<core::result::Result<_, _>>()?;
        if askers.is_empty() {
            return Err(StoreError::NotFound("stub"));
        }
        self.insert_secret(&mut tx, vault_kv, secret, version, now)
            .await?;
        for service in unique_services(grants) {
            if !askers.contains(&service.to_string()) {
                return Err(StoreError::Invalid(
                    "a fill grants only the services that asked",
                ));
            }
            let (status, _) = self.service_status(&mut tx, project, service).await?;
            if status != ServiceStatus::Approved {
                return Err(StoreError::Conflict("grants go to approved services only"));
            }
            let mine: Vec<ServiceGrant> = grants
                .iter()
                .filter(|g| g.service == service)
                .cloned()
                .collect();
            if !mine.iter().all(
                |g| matches!(g.scope, GrantScope::Secret { secret: s, .. } if s == secret.secret),
            ) {
                return Err(StoreError::Invalid("a fill grants the new secret only"));
            }
            let checked = self
                .check_grants(&mut tx, project, vault_kv, service, &mine, &[])
                .await?;
            self.file_grants(&mut tx, project, service, &checked, now)
                .await?;
        }
        self.q("DELETE FROM stubs WHERE project_id = $1 AND blind_index = $2")
            .bind(&p)
            .bind(&bidx)
            .execute(&mut *tx)
            .await?;
        self.audit_project(
            &mut tx,
            ProjectAudit {
                me,
                action: AuditAction::StubFill,
                project,
                subject: Some(AuditParty::Secret(secret.secret)),
                remote,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn register_service(
        &self,
        public: &ServicePublic,
        name: &str,
        software_version: &str,
        remote: Option<&str>,
    ) -> Result<ProjectPublic> {
        check_remote(remote)?;
        check_service_labels(name, software_version)?;
        public
            .verify()
            .map_err(|_| StoreError::Invalid("service public key"))?;
        let project = public.project;
        let now = self.cfg.clock.now_ms();
        let scope = Scope::Register {
            service: public.service,
            project,
        };
        let mut tx = self.tx(&scope, Mode::Write).await?;
        let project_public = self.stored_project_public(&mut tx, project).await?;
        let pending: i64 = self
            .q("SELECT COUNT(*) FROM services WHERE project_id = $1 AND status = 'pending'")
            .bind(project.to_string())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if pending >= MAX_PENDING_SERVICES {
            return Err(StoreError::Forbidden(
                "too many services wait for approval in this project",
            ));
        }
        self.q("INSERT INTO services (service_id, project_id, name, software_version, public_key, \
                status, origin, access, allowlist, expires_at, registered_from, created_at, \
                decided_at, decided_by) \
                VALUES ($1, $2, $3, $4, $5, 'pending', 'registered', 'none', '[]', NULL, $6, $7, NULL, NULL)")
            .bind(public.service.to_string())
            .bind(project.to_string())
            .bind(name)
            .bind(software_version)
            .bind(to_json(public)?)
            .bind(remote)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| on_insert(e, "this service is registered already", "project"))?;
        let mut ev = AuditEvent::by(
            Some(AuditParty::Service(public.service)),
            AuditAction::ServiceRegister,
        );
        ev.vault = Some(project);
        ev.remote = remote.map(str::to_owned);
        self.audit_in(&mut tx, &ev, now).await?;
        tx.commit().await?;
        Ok(project_public)
    }

    pub(crate) async fn service_auth(&self, service: ServiceId) -> Result<Option<ServiceAuth>> {
        let mut tx = self.tx(&Scope::ServiceLookup(service), Mode::Read).await?;
        let Some(row) = self
            .q("SELECT public_key, status, access, expires_at, allowlist, project_id FROM services \
                WHERE service_id = $1")
            .bind(service.to_string())
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.commit().await?;
            return Ok(None);
        };
        let project: VaultId = parse_id(&row.try_get::<String, _>(5)?, "project id")?;
        set_scope(&mut tx, &Scope::Service { service, project }).await?;
        let project_allowlist = self
            .q("SELECT allowlist FROM projects WHERE project_id = $1")
            .bind(project.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<String, _>(0))
            .transpose()?;
        tx.commit().await?;
        Ok(Some(ServiceAuth {
            public: parse(&row.try_get::<String, _>(0)?, "service public key")?,
            status: ServiceStatus::parse(&row.try_get::<String, _>(1)?)
                .ok_or(StoreError::Corrupt("service status"))?,
            access: ServiceAccess::parse(&row.try_get::<String, _>(2)?)
                .ok_or(StoreError::Corrupt("service access"))?,
            expires_at: row.try_get(3)?,
            allowlist: parse_allowlist(&row.try_get::<String, _>(4)?)?,
            // A project removed under it: nothing is allowed.
            project_allowlist: match project_allowlist {
                Some(a) => parse_allowlist(&a)?,
                None => return Ok(None),
            },
        }))
    }
}
