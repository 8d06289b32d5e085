//! Items: reads and compare-and-swap writes (pushes).
//!
//! Part of the SQL written once for both backends (see `mod.rs`).

use super::*;

impl Ops {
    /// `me`'s role in `vault` and the vault's key generation, if a member.
    pub(super) async fn vault_access(
        &self,
        tx: &mut Tx,
        me: &str,
        vault: VaultId,
    ) -> Result<Option<(Role, u32)>> {
        let row = self
            .q("SELECT m.role, v.key_version FROM memberships m \
                 JOIN vaults v ON v.vault_id = m.vault_id \
                 WHERE m.vault_id = $1 AND m.account_id = $2 AND m.active")
            .bind(vault.to_string())
            .bind(me)
            .fetch_optional(&mut **tx)
            .await?;
        row.map(|r| {
            Ok((
                parse_role(&r.try_get::<String, _>(0)?)?,
                kv_from_db(r.try_get(1)?)?,
            ))
        })
        .transpose()
    }

    pub(super) async fn item_state(
        &self,
        tx: &mut Tx,
        vault: VaultId,
        item: ItemId,
    ) -> Result<Option<ItemState>> {
        let row = self
            .q("SELECT revision, deleted, blob FROM items WHERE vault_id = $1 AND item_id = $2")
            .bind(vault.to_string())
            .bind(item.to_string())
            .fetch_optional(&mut **tx)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let revision = rev_from_db(row.try_get(0)?)?;
        if row.try_get::<bool, _>(1)? {
            return Ok(Some(ItemState::Deleted {
                vault,
                item,
                revision,
            }));
        }
        let blob: Option<String> = row.try_get(2)?;
        let blob = blob.ok_or(StoreError::Corrupt("live item without a blob"))?;
        Ok(Some(ItemState::Live {
            item: parse(&blob, "item blob")?,
        }))
    }

    pub(crate) async fn item(
        &self,
        me: AccountId,
        vault: VaultId,
        item: ItemId,
    ) -> Result<Option<ItemState>> {
        let me_s = me.to_string();
        let mut tx = self.tx(&Scope::Account(me), Mode::Read).await?;
        if self.vault_access(&mut tx, &me_s, vault).await?.is_none() {
            return Err(StoreError::Forbidden(NOT_A_MEMBER));
        }
        let state = self.item_state(&mut tx, vault, item).await?;
        tx.commit().await?;
        Ok(state)
    }

    pub(crate) async fn push(
        &self,
        me: AccountId,
        writes: &[PushWrite],
    ) -> Result<Vec<PushResult>> {
        if writes.len() > self.cfg.max_writes_per_push {
            return Err(StoreError::Invalid("too many writes in one push"));
        }
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let me_s = me.to_string();
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        // The clock first: from here until this push commits, no other feed
        // writer (a revocation, a key rotation, another push) can commit, so
        // what is read below stays true until the writes land.
        let seq = self.tick(&mut tx).await?;
        let mut access = HashMap::new();
        let mut results = Vec::with_capacity(writes.len());
        for w in writes {
            results.push(
                self.write_one(&mut tx, &me_s, w, now, &mut access, seq)
                    .await?,
            );
        }
        // Durable before anyone is told "ok".
        tx.commit().await?;
        Ok(results)
    }

    pub(super) async fn write_one(
        &self,
        tx: &mut Tx,
        me: &str,
        w: &PushWrite,
        now: Millis,
        access: &mut HashMap<VaultId, Option<(Role, u32)>>,
        seq: i64,
    ) -> Result<PushResult> {
        let op = w.op();
        let rejected = |reason| Ok(PushResult::Rejected { op, reason });
        let vault = w.vault();
        let item = w.item_id();
        let acc = match access.get(&vault) {
            Some(a) => *a,
            None => {
                let a = self.vault_access(tx, me, vault).await?;
                access.insert(vault, a);
                a
            }
        };
        let Some((role, vault_kv)) = acc else {
            return rejected(RejectReason::Forbidden);
        };
        if role == Role::Viewer {
            return rejected(RejectReason::Forbidden);
        }
        if w.validate().is_err() {
            return rejected(RejectReason::Invalid);
        }
        let (Ok(base), Ok(revision)) = (rev_to_db(w.base()), rev_to_db(w.revision())) else {
            return rejected(RejectReason::Invalid);
        };
        let blob = match w {
            PushWrite::Upsert { item: blob, .. } => {
                if blob.key_version != vault_kv {
                    return rejected(RejectReason::StaleKey);
                }
                let json = to_json(blob)?;
                if json.len() > self.cfg.max_blob_bytes {
                    return rejected(RejectReason::TooLarge);
                }
                Some(json)
            }
            PushWrite::Delete { .. } => None,
        };
        let (vault_s, item_s) = (vault.to_string(), item.to_string());
        let deleted = blob.is_none();
        let affected = if base == 0 {
            self.q(
                "INSERT INTO items (vault_id, item_id, revision, key_version, deleted, blob, seq, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (vault_id, item_id) DO NOTHING",
            )
            .bind(&vault_s)
            .bind(&item_s)
            .bind(revision)
            .bind(i64::from(vault_kv))
            .bind(deleted)
            .bind(blob)
            .bind(seq)
            .bind(now)
            .execute(&mut **tx)
            .await?
        } else if deleted {
            self.q(
                "UPDATE items SET revision = $3, deleted = TRUE, blob = NULL, seq = $4, updated_at = $5 \
                 WHERE vault_id = $1 AND item_id = $2 AND revision = $6",
            )
            .bind(&vault_s)
            .bind(&item_s)
            .bind(revision)
            .bind(seq)
            .bind(now)
            .bind(base)
            .execute(&mut **tx)
            .await?
        } else {
            self.q(
                "UPDATE items SET revision = $3, key_version = $4, deleted = FALSE, blob = $5, \
                 seq = $6, updated_at = $7 WHERE vault_id = $1 AND item_id = $2 AND revision = $8",
            )
            .bind(&vault_s)
            .bind(&item_s)
            .bind(revision)
            .bind(i64::from(vault_kv))
            .bind(blob)
            .bind(seq)
            .bind(now)
            .bind(base)
            .execute(&mut **tx)
            .await?
        };
        if affected.rows_affected() == 1 {
            return Ok(PushResult::Ok {
                op,
                revision: w.revision(),
            });
        }
        match self.item_state(tx, vault, item).await? {
            Some(current) => Ok(PushResult::Conflict { op, current }),
            None => rejected(RejectReason::NotFound),
        }
    }
}
