//! The change feed: one statement per page (see the store's module docs).
//!
//! Part of the SQL written once for both backends (see `mod.rs`).

use super::*;

impl Ops {
    /// The rows of one feed page (at most `limit` + 1), in order.
    pub(super) async fn feed_rows(
        &self,
        me: AccountId,
        since: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<<Db as sqlx::Database>::Row>> {
        let from = match since {
            Some(c) => Pos::from_cursor(c)?,
            None => Pos::start(),
        };
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let mut tx = self.tx(&Scope::Account(me), Mode::HotRead).await?;
        let rows = self
            .q(FEED_SQL)
            .bind(me.to_string())
            .bind(from.eff)
            .bind(from.kind)
            .bind(&from.vault)
            .bind(&from.item)
            .bind(fetch)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    pub(super) fn page_limit(&self, limit: usize) -> usize {
        limit.clamp(1, self.cfg.max_page_size.max(1))
    }

    pub(super) fn row_pos(row: &<Db as sqlx::Database>::Row) -> Result<Pos> {
        Ok(Pos {
            eff: row.try_get(0)?,
            kind: row.try_get(1)?,
            vault: row.try_get(2)?,
            item: row.try_get(3)?,
        })
    }

    pub(super) fn next_cursor(last: Option<Pos>, since: Option<&Cursor>) -> Result<Cursor> {
        match (last, since) {
            (Some(p), _) => p.to_cursor(),
            (None, Some(c)) => Ok(c.clone()),
            (None, None) => Pos::start().to_cursor(),
        }
    }

    pub(crate) async fn pull(
        &self,
        me: AccountId,
        since: Option<&Cursor>,
        limit: usize,
    ) -> Result<PullPage> {
        let limit = self.page_limit(limit);
        let rows = self.feed_rows(me, since, limit).await?;
        let mut changes = Vec::with_capacity(rows.len().min(limit));
        let mut last = None;
        for row in rows.iter().take(limit) {
            let pos = Self::row_pos(row)?;
            changes.push(Self::change_from_row(row, &pos)?);
            last = Some(pos);
        }
        Ok(PullPage {
            v: WIRE_VERSION,
            since: since.cloned(),
            next: Self::next_cursor(last, since)?,
            has_more: rows.len() > limit,
            changes,
        })
    }

    /// The same page as [`pull`](Self::pull), as its wire JSON, with each
    /// item's stored JSON copied in verbatim instead of parsed and
    /// re-serialised: the fast path for large initial syncs.
    pub(crate) async fn pull_json(
        &self,
        me: AccountId,
        since: Option<&Cursor>,
        limit: usize,
    ) -> Result<String> {
        let limit = self.page_limit(limit);
        let rows = self.feed_rows(me, since, limit).await?;
        let mut changes = String::with_capacity(rows.len().saturating_mul(800));
        let mut last = None;
        for (n, row) in rows.iter().take(limit).enumerate() {
            if n > 0 {
                changes.push(',');
            }
            let pos = Self::row_pos(row)?;
            let live_blob: Option<String> = if pos.kind == 1 && !row.try_get::<bool, _>(9)? {
                row.try_get(10)?
            } else {
                None
            };
            match live_blob {
                Some(blob) => {
                    changes.push_str(r#"{"type":"item","item":"#);
                    changes.push_str(&blob);
                    changes.push('}');
                }
                None => changes.push_str(&to_json(&Self::change_from_row(row, &pos)?)?),
            }
            last = Some(pos);
        }
        Ok(format!(
            r#"{{"v":{WIRE_VERSION},"since":{},"next":{},"has_more":{},"changes":[{changes}]}}"#,
            to_json(&since)?,
            to_json(&Self::next_cursor(last, since)?)?,
            rows.len() > limit,
        ))
    }

    pub(super) fn change_from_row(row: &<Db as sqlx::Database>::Row, pos: &Pos) -> Result<Change> {
        let vault: VaultId = parse_id(&pos.vault, "vault id")?;
        if pos.kind == 0 {
            if !row.try_get::<Option<bool>, _>(5)?.unwrap_or(false) {
                return Ok(Change::VaultRemoved { vault });
            }
            let role: Option<String> = row.try_get(4)?;
            let keys: Option<String> = row.try_get(6)?;
            let meta: Option<String> = row.try_get(7)?;
            return Ok(Change::Vault {
                vault,
                role: parse_role(role.as_deref().unwrap_or_default())?,
                meta: meta
                    .map(|m| parse::<EncryptedVault>(&m, "vault meta"))
                    .transpose()?,
                keys: parse(keys.as_deref().unwrap_or("[]"), "member keys")?,
            });
        }
        let revision = rev_from_db(row.try_get(8)?)?;
        if row.try_get::<bool, _>(9)? {
            return Ok(Change::Tombstone {
                vault,
                item: parse_id(&pos.item, "item id")?,
                revision,
            });
        }
        let blob: Option<String> = row.try_get(10)?;
        let item: EncryptedItem = parse(
            &blob.ok_or(StoreError::Corrupt("live item without a blob"))?,
            "item blob",
        )?;
        if item.revision != revision || item.vault != vault {
            return Err(StoreError::Corrupt("item blob does not match its row"));
        }
        Ok(Change::Item { item })
    }
}
