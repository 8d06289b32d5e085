//! The service-facing hot path: reading granted secrets by blind index
//! (filing stubs and access requests for the rest), the access counters,
//! and the group-committed audit rows of service accesses.
//!
//! Part of the SQL written once for both backends (see `mod.rs`).

use super::*;
use crate::store::machine::{
    FetchOutcome, GrantedSecret, MAX_BATCH, RequestStatus, ServiceAccess, UsageBatch,
};
use vault_core::machine::{BlindIndex, SealedToProject};
use vault_core::{SecretId, ServiceId};

/// Largest sealed hint accepted (its JSON).
const MAX_HINT_JSON: usize = 4096;
/// Most audit rows appended in one transaction.
pub(crate) const MAX_AUDIT_BATCH: usize = 500;

fn hint_json(hint: Option<&SealedToProject>, project: VaultId) -> Result<Option<String>> {
    hint.map(|h| {
        h.check_shape()
            .map_err(|_| StoreError::Invalid("sealed hint: bad version or size"))?;
        if h.project != project {
            return Err(StoreError::Invalid("sealed hint names another project"));
        }
        let j = to_json(h)?;
        if j.len() > MAX_HINT_JSON {
            return Err(StoreError::Invalid("sealed hint too large"));
        }
        Ok(j)
    })
    .transpose()
}

impl Ops {
    pub(crate) async fn fetch_secrets(
        &self,
        service: ServiceId,
        project: VaultId,
        access: ServiceAccess,
        wanted: &[(BlindIndex, Option<SealedToProject>)],
    ) -> Result<Vec<FetchOutcome>> {
        if wanted.is_empty() || wanted.len() > MAX_BATCH {
            return Err(StoreError::Invalid("ask for 1 to 200 secrets at once"));
        }
        if access == ServiceAccess::None {
            return Err(StoreError::Forbidden("the service has no access"));
        }
        // Check the hints before any work: bad input changes nothing.
        let hints = wanted
            .iter()
            .map(|(_, h)| hint_json(h.as_ref(), project))
            .collect::<Result<Vec<_>>>()?;
        let sid = service.to_string();
        let p = project.to_string();
        let scope = Scope::Service { service, project };
        let placeholders: Vec<String> = (0..wanted.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT s.blind_index, s.secret_id, s.record, v.blob, \
             EXISTS (SELECT 1 FROM service_grants g WHERE g.service_id = $2 \
                     AND (g.secret_id = s.secret_id \
                          OR g.scope = 'project:' || CAST(s.key_version AS TEXT))), \
             r.status \
             FROM secrets s \
             JOIN secret_versions v ON v.project_id = s.project_id AND v.secret_id = s.secret_id \
                  AND v.version = s.current_version \
             LEFT JOIN access_requests r ON r.service_id = $2 AND r.secret_id = s.secret_id \
             WHERE s.project_id = $1 AND s.blind_index IN ({})",
            placeholders.join(", ")
        );
        // The hot path of every GetSecret(s): plan once per connection.
        let mut tx = self.tx(&scope, Mode::HotRead).await?;
        let mut q = self.q(&sql).bind(&p).bind(&sid);
        for (b, _) in wanted {
            q = q.bind(b.to_string());
        }
        let rows = q.fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let mut found: HashMap<String, (String, String, String, bool, Option<String>)> =
            HashMap::with_capacity(rows.len());
        for r in &rows {
            found.insert(
                r.try_get(0)?,
                (
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                    r.try_get(5)?,
                ),
            );
        }
        let mut out = Vec::with_capacity(wanted.len());
        let mut writes: Vec<(usize, Option<String>)> = Vec::new();
        for (i, (b, _)) in wanted.iter().enumerate() {
            match found.get(&b.to_string()) {
                Some((secret, record, blob, true, _)) => out.push(FetchOutcome::Found {
                    secret: parse_id(secret, "secret id")?,
                    secret_json: record.clone(),
                    version_json: blob.clone(),
                }),
                Some((secret, _, _, false, _)) => {
                    writes.push((i, Some(secret.clone())));
                    out.push(FetchOutcome::NotFound);
                }
                None => {
                    writes.push((i, None));
                    out.push(FetchOutcome::NotFound);
                }
            }
        }
        if writes.is_empty() {
            return Ok(out);
        }
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&scope, Mode::Write).await?;
        for (i, secret) in writes {
            let Some((bidx, _)) = wanted.get(i) else {
                continue;
            };
            let hint = hints.get(i).cloned().flatten();
            match secret {
                None => {
                    self.q("INSERT INTO stubs (project_id, blind_index, service_id, hint, attempts, first_at, last_at) \
                            VALUES ($1, $2, $3, $4, 1, $5, $5) \
                            ON CONFLICT (project_id, blind_index, service_id) DO UPDATE \
                            SET attempts = stubs.attempts + 1, last_at = $5, \
                                hint = COALESCE(excluded.hint, stubs.hint)")
                        .bind(&p)
                        .bind(bidx.to_string())
                        .bind(&sid)
                        .bind(hint)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                Some(secret) => {
                    // Not granted now: a request still marked granted lost
                    // its grant (revoked, rotated) and is pending again.
                    let row = self
                        .q("INSERT INTO access_requests (service_id, project_id, secret_id, status, hint, \
                            attempts, first_at, last_at, decided_at) \
                            VALUES ($1, $2, $3, 'pending', $4, 1, $5, $5, NULL) \
                            ON CONFLICT (service_id, secret_id) DO UPDATE \
                            SET attempts = access_requests.attempts + 1, last_at = $5, \
                                hint = COALESCE(excluded.hint, access_requests.hint), \
                                status = CASE access_requests.status \
                                    WHEN 'granted' THEN 'pending' ELSE access_requests.status END, \
                                decided_at = CASE access_requests.status \
                                    WHEN 'granted' THEN NULL ELSE access_requests.decided_at END \
                            RETURNING status")
                        .bind(&sid)
                        .bind(&p)
                        .bind(&secret)
                        .bind(hint)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?;
                    let status = RequestStatus::parse(&row.try_get::<String, _>(0)?)
                        .ok_or(StoreError::Corrupt("request status"))?;
                    if let Some(slot) = out.get_mut(i) {
                        *slot = FetchOutcome::NotGranted {
                            secret: parse_id(&secret, "secret id")?,
                            status,
                        };
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    pub(crate) async fn list_granted_secrets(
        &self,
        service: ServiceId,
        project: VaultId,
        access: ServiceAccess,
        after: Option<SecretId>,
        limit: usize,
    ) -> Result<Vec<GrantedSecret>> {
        if limit == 0 || limit > MAX_BATCH {
            return Err(StoreError::Invalid("list 1 to 200 secrets at once"));
        }
        if access == ServiceAccess::None {
            return Err(StoreError::Forbidden("the service has no access"));
        }
        let limit = i64::try_from(limit).map_err(|_| StoreError::Invalid("page size"))?;
        let scope = Scope::Service { service, project };
        // The grant test is fetch_secrets' (a grant of the secret, or of
        // the vault key generation that wraps it), so a listing hands out
        // exactly what reading each blind index would. Ids compare as
        // text (COLLATE "C" on Postgres, binary on SQLite): one order on
        // both backends.
        let sql = "SELECT s.secret_id, s.record, v.blob \
             FROM secrets s \
             JOIN secret_versions v ON v.project_id = s.project_id AND v.secret_id = s.secret_id \
                  AND v.version = s.current_version \
             WHERE s.project_id = $1 AND s.secret_id > $3 \
               AND EXISTS (SELECT 1 FROM service_grants g WHERE g.service_id = $2 \
                           AND (g.secret_id = s.secret_id \
                                OR g.scope = 'project:' || CAST(s.key_version AS TEXT))) \
             ORDER BY s.secret_id \
             LIMIT $4";
        let mut tx = self.tx(&scope, Mode::Read).await?;
        let rows = self
            .q(sql)
            .bind(project.to_string())
            .bind(service.to_string())
            .bind(after.map(|a| a.to_string()).unwrap_or_default())
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(GrantedSecret {
                    secret: parse_id(&r.try_get::<String, _>(0)?, "secret id")?,
                    secret_json: r.try_get(1)?,
                    version_json: r.try_get(2)?,
                })
            })
            .collect()
    }

    pub(crate) async fn record_usage(&self, batch: &UsageBatch) -> Result<()> {
        if batch.services.is_empty() && batch.secrets.is_empty() {
            return Ok(());
        }
        // A counter of a service or secret deleted since it was counted
        // fails its foreign key. (Checking with `EXISTS` first cannot work
        // on Postgres: row-level security hides `services` and `secrets`
        // from the flush scope, while foreign-key checks see past it.) The
        // whole batch in one transaction first; only if a key is gone,
        // again with a savepoint per counter, skipping the missing ones.
        if !self.add_usage(batch, false).await? {
            self.add_usage(batch, true).await?;
        }
        Ok(())
    }

    /// Adds the counters in one transaction. `Ok(false)` (nothing written)
    /// if a counter's service or secret is gone and `skip_missing` is off.
    async fn add_usage(&self, batch: &UsageBatch, skip_missing: bool) -> Result<bool> {
        let missing = |e: &sqlx::Error| {
            matches!(e, sqlx::Error::Database(db)
                if db.kind() == sqlx::error::ErrorKind::ForeignKeyViolation)
        };
        let mut tx = self.tx(&Scope::Usage, Mode::Write).await?;
        let services = batch.services.iter().map(|(service, project, uses, at)| {
            self.q("INSERT INTO service_usage (service_id, project_id, uses, last_used_at) \
                    VALUES ($1, $2, $3, $4) \
                    ON CONFLICT (service_id) DO UPDATE SET uses = service_usage.uses + excluded.uses, \
                    last_used_at = CASE WHEN excluded.last_used_at > service_usage.last_used_at \
                                   THEN excluded.last_used_at ELSE service_usage.last_used_at END")
                .bind(service.to_string())
                .bind(project.to_string())
                .bind(i64::try_from(*uses).unwrap_or(i64::MAX))
                .bind(*at)
        });
        let secrets = batch.secrets.iter().map(|(project, secret, uses, at)| {
            self.q("INSERT INTO secret_usage (project_id, secret_id, uses, last_used_at) \
                    VALUES ($1, $2, $3, $4) \
                    ON CONFLICT (project_id, secret_id) DO UPDATE SET uses = secret_usage.uses + excluded.uses, \
                    last_used_at = CASE WHEN excluded.last_used_at > secret_usage.last_used_at \
                                   THEN excluded.last_used_at ELSE secret_usage.last_used_at END")
                .bind(project.to_string())
                .bind(secret.to_string())
                .bind(i64::try_from(*uses).unwrap_or(i64::MAX))
                .bind(*at)
        });
        for q in services.chain(secrets) {
            if skip_missing {
                self.q("SAVEPOINT usage_row").execute(&mut *tx).await?;
            }
            match q.execute(&mut *tx).await {
                Ok(_) => {}
                Err(e) if missing(&e) && skip_missing => {
                    self.q("ROLLBACK TO SAVEPOINT usage_row")
                        .execute(&mut *tx)
                        .await?;
                }
                // Dropping the transaction rolls it back.
                Err(e) if missing(&e) => return Ok(false),
                Err(e) => return Err(e.into()),
            }
            if skip_missing {
                self.q("RELEASE SAVEPOINT usage_row")
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn audit_append_batch(&self, events: &[AuditEvent]) -> Result<Vec<i64>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        if events.len() > MAX_AUDIT_BATCH {
            return Err(StoreError::Invalid("at most 500 audit events per batch"));
        }
        for ev in events {
            if !matches!(ev.actor, Some(AuditParty::Service(_))) {
                return Err(StoreError::Invalid("a batch holds service events only"));
            }
            check_remote(ev.remote.as_deref())?;
        }
        let n = i64::try_from(events.len()).map_err(|_| StoreError::Invalid("batch size"))?;
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::AuditBatch, Mode::Write).await?;
        let head = self
            .q("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
            .bind(n)
            .fetch_one(&mut *tx)
            .await?;
        let last: i64 = head.try_get(0)?;
        let mut prev_hex: String = head.try_get(1)?;
        let mut prev = parse_hash(&prev_hex)?;
        let mut rows = Vec::with_capacity(events.len());
        for (i, ev) in (0i64..).zip(events) {
            let row = AuditRow {
                seq: last - n + 1 + i,
                at_ms: now,
                actor: ev.actor.map(|a| a.to_string()),
                action: ev.action.as_str().to_owned(),
                vault: ev.vault.map(|v| v.to_string()),
                subject: ev.subject.map(|s| s.to_string()),
                remote: ev.remote.clone(),
                outcome: ev.outcome.as_str().to_owned(),
            };
            let hash = row.chain_hash(&prev);
            let hash_hex = hex::encode(hash);
            rows.push((row, prev_hex.clone(), hash_hex.clone()));
            prev = hash;
            prev_hex = hash_hex;
        }
        // One INSERT for the batch (10 parameters a row, well under both
        // backends' limits at 500 rows).
        let values: Vec<String> = (0..rows.len())
            .map(|r| {
                let b = r * 10;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9,
                    b + 10
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_log (seq, at_ms, actor, action, vault_id, subject, remote, outcome, \
             prev_hash, hash) VALUES {}",
            values.join(", ")
        );
        let mut q = self.q(&sql);
        for (row, p, h) in &rows {
            q = q
                .bind(row.seq)
                .bind(row.at_ms)
                .bind(row.actor.clone())
                .bind(row.action.clone())
                .bind(row.vault.clone())
                .bind(row.subject.clone())
                .bind(row.remote.clone())
                .bind(row.outcome.clone())
                .bind(p.clone())
                .bind(h.clone());
        }
        q.execute(&mut *tx).await?;
        self.q("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(prev_hex)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rows.iter().map(|(r, _, _)| r.seq).collect())
    }
}
