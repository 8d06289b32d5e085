//! Machine secrets as members see them: list, history, write, delete.
//!
//! Part of the SQL written once for both backends (see `mod.rs`).

use super::projects::ProjectAudit;
use super::*;
use crate::store::machine::{MAX_SECRET_VERSION_JSON, SecretRow, SecretVersionRow};
use vault_core::SecretId;
use vault_core::machine::{EncryptedSecret, EncryptedSecretVersion, MACHINE_FORMAT_VERSION};

pub(super) fn check_secret_shape(
    secret: &EncryptedSecret,
    version: &EncryptedSecretVersion,
) -> Result<String> {
    if secret.v != MACHINE_FORMAT_VERSION || version.v != MACHINE_FORMAT_VERSION {
        return Err(StoreError::Invalid("unsupported secret format version"));
    }
    if version.project != secret.project || version.secret != secret.secret {
        return Err(StoreError::Invalid("the version names another secret"));
    }
    if version.secret_key_version != secret.secret_key_version {
        return Err(StoreError::Invalid(
            "the version is sealed under another key generation than the secret's",
        ));
    }
    if version.version == 0 || secret.key_version == 0 || secret.secret_key_version == 0 {
        return Err(StoreError::Invalid(
            "versions and key generations start at 1",
        ));
    }
    let json = to_json(version)?;
    if json.len() > MAX_SECRET_VERSION_JSON {
        return Err(StoreError::Invalid("secret version larger than 96 KiB"));
    }
    Ok(json)
}

impl Ops {
    pub(crate) async fn secrets(&self, me: AccountId, project: VaultId) -> Result<Vec<SecretRow>> {
        let mut tx = self.tx(&Scope::Account(me), Mode::Snapshot).await?;
        self.project_role(&mut tx, me, project).await?;
        let rows = self
            .q("SELECT s.record, v.blob, s.rotate_pending, s.created_at, s.updated_at, \
                u.uses, u.last_used_at \
                FROM secrets s \
                JOIN secret_versions v ON v.project_id = s.project_id AND v.secret_id = s.secret_id \
                     AND v.version = s.current_version \
                LEFT JOIN secret_usage u ON u.project_id = s.project_id AND u.secret_id = s.secret_id \
                WHERE s.project_id = $1 ORDER BY s.created_at, s.secret_id")
            .bind(project.to_string())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(SecretRow {
                    secret: parse(&r.try_get::<String, _>(0)?, "secret")?,
                    current: parse(&r.try_get::<String, _>(1)?, "secret version")?,
                    rotate_pending: r.try_get(2)?,
                    created_at: r.try_get(3)?,
                    updated_at: r.try_get(4)?,
                    uses: u64::try_from(r.try_get::<Option<i64>, _>(5)?.unwrap_or(0)).unwrap_or(0),
                    last_used_at: r.try_get(6)?,
                })
            })
            .collect()
    }

    pub(crate) async fn secret_versions(
        &self,
        me: AccountId,
        project: VaultId,
        secret: SecretId,
    ) -> Result<Vec<SecretVersionRow>> {
        let mut tx = self.tx(&Scope::Account(me), Mode::Snapshot).await?;
        self.project_role(&mut tx, me, project).await?;
        let rows = self
            .q("SELECT blob, created_at FROM secret_versions WHERE project_id = $1 AND secret_id = $2 \
                ORDER BY version")
            .bind(project.to_string())
            .bind(secret.to_string())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        if rows.is_empty() {
            return Err(StoreError::NotFound("secret"));
        }
        rows.iter()
            .map(|r| {
                Ok(SecretVersionRow {
                    version: parse(&r.try_get::<String, _>(0)?, "secret version")?,
                    created_at: r.try_get(1)?,
                })
            })
            .collect()
    }

    /// Inserts a new secret (version 1) inside `tx`.
    pub(super) async fn insert_secret(
        &self,
        tx: &mut Tx,
        vault_kv: u32,
        secret: &EncryptedSecret,
        version: &EncryptedSecretVersion,
        now: Millis,
    ) -> Result<()> {
        let json = check_secret_shape(secret, version)?;
        if version.version != 1 || secret.secret_key_version != 1 {
            return Err(StoreError::Invalid(
                "a new secret starts at version 1, key generation 1",
            ));
        }
        if secret.key_version != vault_kv {
            return Err(StoreError::Conflict(
                "the secret key must be wrapped under the vault's current key generation",
            ));
        }
        let p = secret.project.to_string();
        let s = secret.secret.to_string();
        self.q(
            "INSERT INTO secrets (project_id, secret_id, blind_index, record, key_version, \
                secret_key_version, current_version, rotate_pending, created_at, updated_at) \
                VALUES ($1, $2, $3, $4, $5, 1, 1, FALSE, $6, $6)",
        )
        .bind(&p)
        .bind(&s)
        .bind(secret.blind_index.to_string())
        .bind(to_json(secret)?)
        .bind(i64::from(vault_kv))
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(|e| on_insert(e, "a secret with this id or name exists", "project"))?;
        self.q("INSERT INTO secret_versions (project_id, secret_id, version, secret_key_version, blob, created_at) \
                VALUES ($1, $2, 1, 1, $3, $4)")
            .bind(&p)
            .bind(&s)
            .bind(json)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub(crate) async fn put_secret(
        &self,
        me: AccountId,
        secret: &EncryptedSecret,
        version: &EncryptedSecretVersion,
        base_version: u32,
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        let json = check_secret_shape(secret, version)?;
        if version.version != base_version.saturating_add(1) {
            return Err(StoreError::Invalid(
                "the new version must be base_version + 1",
            ));
        }
        let project = secret.project;
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let vault_kv = self.project_admin(&mut tx, me, project).await?;
        let p = project.to_string();
        let s = secret.secret.to_string();
        if base_version == 0 {
            self.insert_secret(&mut tx, vault_kv, secret, version, now)
                .await?;
        } else {
            let row = self
                .q(
                    "SELECT current_version, key_version, secret_key_version, record FROM secrets \
                    WHERE project_id = $1 AND secret_id = $2",
                )
                .bind(&p)
                .bind(&s)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("secret"))?;
            if row.try_get::<i64, _>(0)? != i64::from(base_version) {
                return Err(StoreError::Conflict(
                    "the secret changed since base_version",
                ));
            }
            if row.try_get::<i64, _>(1)? != i64::from(secret.key_version)
                || row.try_get::<i64, _>(2)? != i64::from(secret.secret_key_version)
            {
                return Err(StoreError::Conflict(
                    "the secret's keys were rotated: fetch it again",
                ));
            }
            let stored: EncryptedSecret = parse(&row.try_get::<String, _>(3)?, "secret")?;
            if stored.wrapped_key != secret.wrapped_key {
                return Err(StoreError::Invalid(
                    "a new version keeps the secret's wrapped key",
                ));
            }
            self.q("UPDATE secrets SET current_version = $3, blind_index = $4, record = $5, updated_at = $6 \
                    WHERE project_id = $1 AND secret_id = $2")
                .bind(&p)
                .bind(&s)
                .bind(i64::from(version.version))
                .bind(secret.blind_index.to_string())
                .bind(to_json(secret)?)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| on_insert(e, "a secret with this name exists", "project"))?;
            self.q("INSERT INTO secret_versions (project_id, secret_id, version, secret_key_version, blob, created_at) \
                    VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&p)
                .bind(&s)
                .bind(i64::from(version.version))
                .bind(i64::from(version.secret_key_version))
                .bind(json)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| on_insert(e, "the version exists", "secret"))?;
        }
        // A name now present is no longer missing.
        self.q("DELETE FROM stubs WHERE project_id = $1 AND blind_index = $2")
            .bind(&p)
            .bind(secret.blind_index.to_string())
            .execute(&mut *tx)
            .await?;
        self.audit_project(
            &mut tx,
            ProjectAudit {
                me,
                action: AuditAction::SecretWrite,
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

    pub(crate) async fn delete_secret(
        &self,
        me: AccountId,
        project: VaultId,
        secret: SecretId,
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        let now = self.cfg.clock.now_ms();
        let p = project.to_string();
        let s = secret.to_string();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        self.project_admin(&mut tx, me, project).await?;
        for table in [
            "secret_usage",
            "access_requests",
            "service_grants",
            "secret_versions",
        ] {
            let sql = format!("DELETE FROM {table} WHERE project_id = $1 AND secret_id = $2");
            self.q(&sql).bind(&p).bind(&s).execute(&mut *tx).await?;
        }
        let gone = self
            .q("DELETE FROM secrets WHERE project_id = $1 AND secret_id = $2")
            .bind(&p)
            .bind(&s)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Err(StoreError::NotFound("secret"));
        }
        self.audit_project(
            &mut tx,
            ProjectAudit {
                me,
                action: AuditAction::SecretDelete,
                project,
                subject: Some(AuditParty::Secret(secret)),
                remote,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
