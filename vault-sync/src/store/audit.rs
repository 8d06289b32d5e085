//! The audit log's hash chain.
//!
//! Every row stores `prev_hash` (the previous row's `hash`, 32 zero bytes
//! before the first row) and
//!
//! ```text
//! hash = SHA-256(prev_hash || canonical(row))
//! canonical(row) = "VLT1 audit v1" 0x00
//!                  || seq (i64, big-endian) || at_ms (i64, big-endian)
//!                  || field(actor) || field(action) || field(vault)
//!                  || field(subject) || field(remote) || field(outcome)
//! field(None)    = 0xFFFFFFFF
//! field(Some(s)) = len(s) (u32, big-endian) || UTF-8 bytes of s
//! ```
//!
//! over the stored text of each column, so the verifier needs no knowledge
//! of event kinds. The `audit_head` row holds the last `seq` and `hash`, so
//! cutting rows off the end is detected too. Rewriting the whole chain from
//! some row on is not detectable from inside the database: anchor the head
//! hash elsewhere (a log line, another system) for that.

use super::error::{Result, StoreError};
use sha2::{Digest, Sha256};

/// The hash before the first row.
pub const GENESIS: [u8; 32] = [0; 32];

/// One row as stored (the columns the hash covers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// When (Unix ms).
    pub at_ms: i64,
    /// Who (account id), if signed in.
    pub actor: Option<String>,
    /// What (`AuditAction::as_str`).
    pub action: String,
    /// Which vault, if any.
    pub vault: Option<String>,
    /// To whom (account id), if any.
    pub subject: Option<String>,
    /// From where.
    pub remote: Option<String>,
    /// How it ended (`AuditOutcome::as_str`).
    pub outcome: String,
}

fn field(buf: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => buf.extend_from_slice(&u32::MAX.to_be_bytes()),
        Some(s) => {
            // Lengths are bounded by the store's input checks; saturate anyway.
            let len = u32::try_from(s.len()).unwrap_or(u32::MAX - 1);
            buf.extend_from_slice(&len.to_be_bytes());
            buf.extend_from_slice(s.as_bytes());
        }
    }
}

impl AuditRow {
    /// The canonical encoding the hash covers.
    pub fn canonical(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(b"VLT1 audit v1\0");
        buf.extend_from_slice(&self.seq.to_be_bytes());
        buf.extend_from_slice(&self.at_ms.to_be_bytes());
        field(&mut buf, self.actor.as_deref());
        field(&mut buf, Some(&self.action));
        field(&mut buf, self.vault.as_deref());
        field(&mut buf, self.subject.as_deref());
        field(&mut buf, self.remote.as_deref());
        field(&mut buf, Some(&self.outcome));
        buf
    }

    /// `SHA-256(prev || canonical(self))`.
    pub fn chain_hash(&self, prev: &[u8; 32]) -> [u8; 32] {
        Sha256::new()
            .chain_update(prev)
            .chain_update(self.canonical())
            .finalize()
            .into()
    }
}

pub(crate) fn parse_hash(hex_text: &str) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut out).map_err(|_| StoreError::Corrupt("audit hash"))?;
    Ok(out)
}

/// Checks rows one by one, in `seq` order.
#[derive(Debug)]
pub(crate) struct ChainVerifier {
    prev: [u8; 32],
    next_seq: i64,
    rows: u64,
}

impl ChainVerifier {
    pub(crate) fn new() -> Self {
        ChainVerifier {
            prev: GENESIS,
            next_seq: 1,
            rows: 0,
        }
    }

    /// Feeds the next row with its stored `prev_hash` and `hash` (hex).
    pub(crate) fn push(&mut self, row: &AuditRow, prev_hex: &str, hash_hex: &str) -> Result<()> {
        let broken = |reason| StoreError::AuditTampered {
            seq: row.seq,
            reason,
        };
        if row.seq != self.next_seq {
            return Err(broken("sequence gap (a row was removed or inserted)"));
        }
        let prev = parse_hash(prev_hex).map_err(|_| broken("unreadable prev_hash"))?;
        if prev != self.prev {
            return Err(broken("prev_hash does not match the previous row"));
        }
        let hash = parse_hash(hash_hex).map_err(|_| broken("unreadable hash"))?;
        if row.chain_hash(&prev) != hash {
            return Err(broken("row content does not match its hash"));
        }
        self.prev = hash;
        self.next_seq = self.next_seq.saturating_add(1);
        self.rows = self.rows.saturating_add(1);
        Ok(())
    }

    /// Checks the head against the last row.
    pub(crate) fn finish(self, head_seq: i64, head_hash_hex: &str) -> Result<super::AuditSummary> {
        let broken = |reason| StoreError::AuditTampered {
            seq: head_seq,
            reason,
        };
        let head_hash = parse_hash(head_hash_hex).map_err(|_| broken("unreadable head hash"))?;
        if head_seq != self.next_seq.saturating_sub(1) {
            return Err(broken(
                "head does not point at the last row (rows removed at the end)",
            ));
        }
        if head_hash != self.prev {
            return Err(broken("head hash does not match the last row"));
        }
        Ok(super::AuditSummary {
            rows: self.rows,
            head_seq,
            head_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64) -> AuditRow {
        AuditRow {
            seq,
            at_ms: 1_700_000_000_000 + seq,
            actor: Some("6f1c2e1e-8d7a-4b4c-9a53-1f5e9c0b7a10".into()),
            action: "vault.create".into(),
            vault: None,
            subject: None,
            remote: Some("127.0.0.1".into()),
            outcome: "success".into(),
        }
    }

    #[test]
    fn fields_are_unambiguous() {
        let mut a = row(1);
        let mut b = row(1);
        a.remote = None;
        b.remote = Some(String::new());
        assert_ne!(a.canonical(), b.canonical());
        a.actor = Some("ab".into());
        a.action = "c".into();
        b.actor = Some("a".into());
        b.action = "bc".into();
        assert_ne!(a.canonical(), b.canonical());
    }

    #[test]
    fn a_chain_verifies_and_any_change_breaks_it() {
        let mut rows = Vec::new();
        let mut prev = GENESIS;
        for seq in 1..=3 {
            let r = row(seq);
            let h = r.chain_hash(&prev);
            rows.push((r, hex::encode(prev), hex::encode(h)));
            prev = h;
        }
        let verify = |rows: &[(AuditRow, String, String)], head: (i64, String)| {
            let mut v = ChainVerifier::new();
            for (r, p, h) in rows {
                v.push(r, p, h)?;
            }
            v.finish(head.0, &head.1)
        };
        let head = (3, hex::encode(prev));
        assert_eq!(verify(&rows, head.clone()).unwrap().rows, 3);

        let mut edited = rows.clone();
        edited[1].0.outcome = "denied".into();
        assert!(matches!(
            verify(&edited, head.clone()),
            Err(StoreError::AuditTampered { seq: 2, .. })
        ));
        let mut dropped = rows.clone();
        dropped.remove(1);
        assert!(matches!(
            verify(&dropped, head.clone()),
            Err(StoreError::AuditTampered { seq: 3, .. })
        ));
        assert!(verify(&rows[..2], head).is_err());
    }
}
