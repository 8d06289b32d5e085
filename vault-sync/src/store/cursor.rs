//! Feed positions and their cursor tokens.
//!
//! Every entry of a user's feed has a position `(eff, kind, vault, item)`:
//! `eff` is the feed sequence number at which the entry last changed *for
//! this user* (for an item: the later of its own last write and the moment
//! the user's access to its vault began; for a vault entry: the later of the
//! membership's and the vault metadata's last change), `kind` is 0 for vault
//! entries and 1 for items (so a vault's keys come before its items at the
//! same `eff`), and the ids break ties. Positions are totally ordered, so
//! "everything after this position, in order, N at a time" pages without
//! gaps or repeats even when many entries share one `eff`.
//!
//! The token is `f1.<eff>.<kind>.<vault>.<item>` (ids as UUID text, empty
//! for "none"): about 90 printable ASCII bytes, well under the wire limit.
//! Clients echo it and never read it.

use super::error::{Result, StoreError};
use vault_core::sync::wire::Cursor;
use vault_core::{ItemId, VaultId};

/// A position in a user's feed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pos {
    pub(crate) eff: i64,
    pub(crate) kind: i64,
    pub(crate) vault: String,
    pub(crate) item: String,
}

impl Pos {
    /// Before every entry (all real entries have `eff >= 1`).
    pub(crate) fn start() -> Self {
        Pos {
            eff: 0,
            kind: 0,
            vault: String::new(),
            item: String::new(),
        }
    }

    pub(crate) fn to_cursor(&self) -> Result<Cursor> {
        Cursor::new(format!(
            "f1.{}.{}.{}.{}",
            self.eff, self.kind, self.vault, self.item
        ))
        .map_err(|_| StoreError::Corrupt("feed position"))
    }

    pub(crate) fn from_cursor(c: &Cursor) -> Result<Self> {
        let bad = || StoreError::Invalid("unknown sync cursor");
        let mut parts = c.as_str().split('.');
        if parts.next() != Some("f1") {
            return Err(bad());
        }
        let eff: i64 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let kind: i64 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let vault = parts.next().ok_or_else(bad)?;
        let item = parts.next().ok_or_else(bad)?;
        if parts.next().is_some() || eff < 0 || !(0..=1).contains(&kind) {
            return Err(bad());
        }
        // Ids must be canonical UUID text (what the database stores), or empty.
        let canonical_vault = vault.is_empty()
            || vault
                .parse::<VaultId>()
                .is_ok_and(|v| v.to_string() == vault);
        let canonical_item =
            item.is_empty() || item.parse::<ItemId>().is_ok_and(|i| i.to_string() == item);
        if !canonical_vault || !canonical_item {
            return Err(bad());
        }
        Ok(Pos {
            eff,
            kind,
            vault: vault.to_owned(),
            item: item.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let p = Pos {
            eff: 42,
            kind: 1,
            vault: "6f1c2e1e-8d7a-4b4c-9a53-1f5e9c0b7a10".into(),
            item: "00000000-0000-4000-8000-000000000001".into(),
        };
        let c = p.to_cursor().unwrap();
        assert!(c.as_str().len() < 100);
        assert_eq!(Pos::from_cursor(&c).unwrap(), p);
        assert_eq!(
            Pos::from_cursor(&Pos::start().to_cursor().unwrap()).unwrap(),
            Pos::start()
        );
        for bad in [
            "c:42",
            "f1.1.0..",
            "f1.-1.0..",
            "f1.1.2..",
            "f1.1.0.x.",
            "f1.1.0.6F1C2E1E-8D7A-4B4C-9A53-1F5E9C0B7A10.",
            "f1.1.0...",
            "f2.1.0..",
        ] {
            let c = Cursor::new(bad).unwrap();
            if bad == "f1.1.0.." {
                assert!(Pos::from_cursor(&c).is_ok());
            } else {
                assert!(Pos::from_cursor(&c).is_err(), "{bad}");
            }
        }
    }
}
