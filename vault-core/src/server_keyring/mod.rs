//! The server keyring: what the server itself holds for *managed* (server
//! custody) secrets, as pure types and crypto. The server (vault-sync) does the
//! IO: it stores the blobs this module makes, reads shares and KMS answers,
//! and keeps the unsealed keyring in memory.
//!
//! ```text
//! root key (32 random bytes; Shamir-split, or unsealed by a KMS)
//!   └─ HKDF "VLT1 server keyring seal" ─seals─▶ SealedKeyring (the KEKs, at rest)
//! KEK (kek_id; one active, older ones kept for unwrapping)
//!   └─ wraps ─▶ DEK (fresh per object version; AAD binds kek_id and the object id)
//!                 └─ seals ─▶ managed value (AAD binds name and version)
//! ```
//!
//! The server starts sealed: it holds only the [`SealedKeyring`] bytes. Operators
//! hand in Shamir shares one at a time ([`UnsealProgress`]) until the
//! threshold recovers the [`RootKey`], which opens the [`Keyring`]. A KMS
//! deployment instead decrypts the root key bytes and calls
//! [`RootKey::from_bytes`]; a deployment without a keyring can run on one bare
//! [`Kek`] (an env var, a file, a KMS data key). No path falls back to a
//! default key: all-zero and wrong-length keys are refused.
//!
//! Admin tokens ([`AdminToken`]) authenticate operators to the server's admin
//! API; the server stores only their fingerprints.
//!
//! Every byte format is specified in `docs/format.md` §17.
//!
//! ```
//! use vault_core::server_keyring::*;
//! let mut rng = vault_core::rng::os_rng();
//! let now_ms = 1_700_000_000_000;
//!
//! // First start: a root key split 2-of-3 for the operators, and a keyring
//! // sealed under it. Only `stored` is written to disk.
//! let root = RootKey::generate(&mut rng);
//! let shares = root.split(2, 3, &mut rng)?;
//! let stored = Keyring::new(now_ms, &mut rng).seal(&root, &mut rng)?.to_bytes();
//! drop(root);
//!
//! // Next start: sealed until two operators hand in their shares.
//! let mut unseal = UnsealProgress::new(2)?;
//! let attempt = AttemptNonce::generate(&mut rng);
//! assert!(unseal.submit(&attempt, shares[0].clone())?.is_none());
//! assert_eq!(unseal.progress(), (1, 2));
//! let root = unseal.submit(&attempt, shares[2].clone())?.ok_or("still sealed")?;
//! let mut keyring = SealedKeyring::from_bytes(&stored)?.open(&root)?;
//!
//! // A managed secret: a fresh DEK per version, wrapped under the active KEK.
//! let row = seal_managed(&keyring, "pg-admin", 1, b"hunter2", &mut rng)?;
//! assert_eq!(open_managed(&keyring, "pg-admin", 1, &row)?.expose_secret(), b"hunter2");
//! assert!(verify_managed(&keyring, "pg-admin", 1, &row, b"hunter2")?);
//! // The row belongs to pg-admin version 1 and nothing else.
//! assert!(open_managed(&keyring, "pg-admin", 2, &row).is_err());
//!
//! // Rotation: a new active KEK; old rows still open, and rewrap moves them.
//! let new_kek = keyring.rotate(now_ms + 1, &mut rng)?;
//! let moved = rewrap_managed(&keyring, "pg-admin", 1, &row, &mut rng)?.ok_or("already moved")?;
//! assert_eq!(moved.kek_id(), new_kek);
//! assert_eq!(open_managed(&keyring, "pg-admin", 1, &moved)?.expose_secret(), b"hunter2");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod admin_token;
mod dek;
mod error;
mod kek;
mod keyring;
mod managed;
mod root_key;
mod unseal;

pub use admin_token::{ADMIN_TOKEN_PREFIX, AdminScope, AdminToken, fingerprint_matches};
pub use dek::{Dek, MAX_OBJECT_ID_BYTES, WRAPPED_DEK_LEN, WrappedDek};
pub use error::KeyringError;
pub use kek::{Kek, KekId, KekProvider};
pub use keyring::{KekRecord, Keyring, MAX_KEKS, SealedKeyring};
pub use managed::{
    MAX_MANAGED_NAME_BYTES, MAX_MANAGED_VALUE_BYTES, SealedManaged, managed_object_id,
    open_managed, rewrap_managed, seal_managed, verify_managed,
};
pub use root_key::RootKey;
pub use unseal::{AttemptNonce, UnsealProgress};

/// Format version of every server keyring record (the first byte of a
/// [`SealedKeyring`], a [`WrappedDek`] and a [`SealedManaged`], and bound into
/// each one's associated data).
pub const SERVER_KEYRING_FORMAT_VERSION: u8 = 1;

use crate::envelope::{self, Algorithm, Envelope};
use crate::secret::SymmetricKey;
use error::Result;
use zeroize::Zeroizing;

/// Envelope context kinds (`docs/format.md` §3) of the three sealed records.
/// Kinds 1–14 belong to the client formats; 15–17 are reserved here.
const KIND_SEALED_KEYRING: u8 = 15;
const KIND_WRAPPED_DEK: u8 = 16;
const KIND_MANAGED_VALUE: u8 = 17;

/// Seals with XChaCha20-Poly1305 and a random 192-bit nonce, always: a KEK
/// wraps an unbounded number of DEKs over its life, where AES-256-GCM's
/// random 96-bit nonces would approach their collision bound.
fn seal_envelope(
    key: &SymmetricKey,
    context: &[u8],
    plaintext: &[u8],
    rng: &mut impl rand_core::CryptoRng,
) -> Result<Envelope> {
    envelope::seal_raw_context(key, Algorithm::XChaCha20Poly1305, context, plaintext, rng)
        .map_err(|e| from_core(e, "envelope"))
}

/// Opens an envelope parsed by [`parse_envelope`]; any failure is
/// [`KeyringError::Decrypt`] naming `what`.
fn open_envelope(
    env: &Envelope,
    key: &SymmetricKey,
    context: &[u8],
    what: &'static str,
) -> Result<Zeroizing<Vec<u8>>> {
    envelope::open_raw(env, key, context).map_err(|_| KeyringError::Decrypt(what))
}

/// Strips the leading format-version byte every record of this module
/// starts with: `malformed` when empty, `unsupported_version` when it is
/// not [`SERVER_KEYRING_FORMAT_VERSION`].
fn strip_version<'a>(bytes: &'a [u8], what: &'static str) -> Result<&'a [u8]> {
    let (&version, rest) = bytes
        .split_first()
        .ok_or(KeyringError::malformed(what, "empty"))?;
    if version != SERVER_KEYRING_FORMAT_VERSION {
        return Err(KeyringError::UnsupportedVersion { what, version });
    }
    Ok(rest)
}

/// Parses the envelope inside a record, refusing every algorithm but
/// XChaCha20-Poly1305 (see [`seal_envelope`] for why).
fn parse_envelope(bytes: &[u8], what: &'static str) -> Result<Envelope> {
    // The envelope checks its own version (`unsupported_version`) and length.
    let env = Envelope::from_bytes(bytes.to_vec()).map_err(|e| from_core(e, what))?;
    if env.algorithm() != Algorithm::XChaCha20Poly1305 {
        return Err(KeyringError::UnsupportedAlgorithm(env.algorithm().id()));
    }
    Ok(env)
}

/// Translates an error of the envelope layer into this module's vocabulary.
fn from_core(e: crate::Error, what: &'static str) -> KeyringError {
    match e {
        crate::Error::Decrypt => KeyringError::Decrypt(what),
        crate::Error::Malformed { reason, .. } => KeyringError::Malformed { what, reason },
        crate::Error::UnsupportedVersion {
            what: inner,
            version,
        } => KeyringError::UnsupportedVersion {
            what: inner,
            version,
        },
        crate::Error::UnsupportedAlgorithm(id) => KeyringError::UnsupportedAlgorithm(id),
        crate::Error::InvalidArgument(reason) => KeyringError::InvalidArgument(reason),
        // The envelope layer returns nothing else; should it ever, the
        // caller still gets a typed error about `what` rather than a panic.
        _ => KeyringError::malformed(what, "unexpected envelope error"),
    }
}

/// Whether 32 key bytes are all zero, in constant time (the bytes are key
/// material even when they are about to be refused).
fn is_all_zero(key: &[u8; 32]) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(key.ct_eq(&[0u8; 32]))
}

/// Lowercase hex of `bytes` (ids and nonces; never key material).
fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            // A nibble is below 16, so the fallback is unreachable.
            out.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

/// Parses exactly `2 * N` hex digits (either case).
fn from_hex<const N: usize>(text: &str, what: &'static str) -> Result<[u8; N]> {
    fn val(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bad = || KeyringError::malformed(what, "expected hex digits of the right length");
    if text.len() != 2 * N {
        return Err(bad());
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        let &[hi, lo] = pair else { return Err(bad()) };
        *o = (val(hi).ok_or_else(bad)? << 4) | val(lo).ok_or_else(bad)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects() {
        let b = [0x00, 0x7f, 0xa5, 0xff];
        assert_eq!(to_hex(&b), "007fa5ff");
        assert_eq!(from_hex::<4>("007fa5ff", "x"), Ok(b));
        assert_eq!(from_hex::<4>("007FA5FF", "x"), Ok(b));
        assert!(from_hex::<4>("007fa5f", "x").is_err());
        assert!(from_hex::<4>("007fa5ff00", "x").is_err());
        assert!(from_hex::<4>("007fa5fg", "x").is_err());
        assert!(from_hex::<4>("+07fa5ff", "x").is_err());
    }

    #[test]
    fn zero_check() {
        assert!(is_all_zero(&[0; 32]));
        let mut k = [0u8; 32];
        k[31] = 1;
        assert!(!is_all_zero(&k));
    }

    #[test]
    fn records_refuse_aes_gcm_envelopes() {
        let key = SymmetricKey::from_bytes([3; 32]);
        let mut rng = crate::rng::os_rng();
        let gcm =
            envelope::seal_raw_context(&key, Algorithm::Aes256Gcm, b"c", b"p", &mut rng).unwrap();
        assert_eq!(
            parse_envelope(gcm.as_bytes(), "x").unwrap_err(),
            KeyringError::UnsupportedAlgorithm(2)
        );
        let ok = seal_envelope(&key, b"c", b"p", &mut rng).unwrap();
        let parsed = parse_envelope(ok.as_bytes(), "x").unwrap();
        assert_eq!(&open_envelope(&parsed, &key, b"c", "x").unwrap()[..], b"p");
        assert_eq!(
            open_envelope(&parsed, &key, b"d", "x").unwrap_err(),
            KeyringError::Decrypt("x")
        );
    }
}
