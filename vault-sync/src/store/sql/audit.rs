//! The audit chain: appends (in the caller's transaction) and the verifier.
//!
//! Part of the SQL written once for both backends (see `mod.rs`).

use super::*;

impl Ops {
    /// Appends `ev` inside `tx`: bump the head (locking it), hash, insert,
    /// store the new head hash. The event commits with the action it records.
    pub(super) async fn audit_in(&self, tx: &mut Tx, ev: &AuditEvent, now: Millis) -> Result<i64> {
        check_remote(ev.remote.as_deref())?;
        let head = self
            .q("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut **tx)
            .await?;
        let seq: i64 = head.try_get(0)?;
        let prev_hex: String = head.try_get(1)?;
        let prev = parse_hash(&prev_hex)?;
        let row = AuditRow {
            seq,
            at_ms: now,
            actor: ev.actor.map(|a| a.to_string()),
            action: ev.action.as_str().to_owned(),
            vault: ev.vault.map(|v| v.to_string()),
            subject: ev.subject.map(|s| s.to_string()),
            remote: ev.remote.clone(),
            outcome: ev.outcome.as_str().to_owned(),
        };
        let hash = hex::encode(row.chain_hash(&prev));
        self.q(
            "INSERT INTO audit_log (seq, at_ms, actor, action, vault_id, subject, remote, outcome, \
             prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(seq)
        .bind(row.at_ms)
        .bind(row.actor)
        .bind(row.action)
        .bind(row.vault)
        .bind(row.subject)
        .bind(row.remote)
        .bind(row.outcome)
        .bind(prev_hex)
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
        self.q("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(hash)
            .execute(&mut **tx)
            .await?;
        Ok(seq)
    }

    pub(crate) async fn audit_append(&self, ev: &AuditEvent) -> Result<i64> {
        let scope = match ev.actor {
            Some(AuditParty::Account(a)) => Scope::Account(a),
            None => Scope::Anonymous,
            Some(_) => {
                return Err(StoreError::Invalid(
                    "service events go through the machine audit path",
                ));
            }
        };
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&scope, Mode::Write).await?;
        let seq = self.audit_in(&mut tx, ev, now).await?;
        tx.commit().await?;
        Ok(seq)
    }
}

/// Verifies the whole audit chain in one consistent snapshot, a page of rows
/// at a time. Needs a connection that can read every row (SQLite; the owner
/// role on Postgres).
pub(crate) async fn verify_audit(pool: &sqlx::Pool<Db>) -> Result<AuditSummary> {
    const PAGE: i64 = 1000;
    let mut tx = begin(pool, &Scope::None, Mode::Snapshot).await?;
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::AuditTampered {
            seq: 0,
            reason: "audit head missing or not readable",
        })?;
    let head_seq: i64 = head.try_get(0)?;
    let head_hash: String = head.try_get(1)?;
    let mut v = ChainVerifier::new();
    let mut after = 0i64;
    loop {
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor, action, vault_id, subject, remote, outcome, prev_hash, hash \
             FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(PAGE)
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            let row = AuditRow {
                seq: r.try_get(0)?,
                at_ms: r.try_get(1)?,
                actor: r.try_get(2)?,
                action: r.try_get(3)?,
                vault: r.try_get(4)?,
                subject: r.try_get(5)?,
                remote: r.try_get(6)?,
                outcome: r.try_get(7)?,
            };
            v.push(
                &row,
                &r.try_get::<String, _>(8)?,
                &r.try_get::<String, _>(9)?,
            )?;
            after = row.seq;
        }
        if i64::try_from(rows.len()).unwrap_or(i64::MAX) < PAGE {
            break;
        }
    }
    tx.commit().await?;
    v.finish(head_seq, &head_hash)
}
