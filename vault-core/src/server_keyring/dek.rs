//! Data-encryption keys and their wraps under a KEK.

use super::error::{KeyringError, Result};
use super::kek::{Kek, KekId};
use super::{KIND_WRAPPED_DEK, SERVER_KEYRING_FORMAT_VERSION};
use crate::envelope::Envelope;
use crate::secret::SymmetricKey;
use core::fmt;

/// Length of a [`WrappedDek`]'s binary form: version (1) ‖ kek_id (16) ‖
/// envelope (2 + 24 nonce + 32 + 16 tag).
pub const WRAPPED_DEK_LEN: usize = 1 + 16 + 2 + 24 + 32 + 16;

/// Longest object id a DEK can be bound to (long enough for
/// [`managed_object_id`](super::managed_object_id) of the longest name).
pub const MAX_OBJECT_ID_BYTES: usize = 2048;

/// A data-encryption key: 32 random bytes, fresh per object version.
/// Zeroized on drop; `Debug` prints no key material; compared in constant
/// time.
///
/// ```
/// use vault_core::server_keyring::Dek;
/// let dek = Dek::generate(&mut vault_core::rng::os_rng());
/// assert_eq!(format!("{dek:?}"), "Dek(<redacted>)");
/// ```
#[derive(PartialEq, Eq)]
pub struct Dek(SymmetricKey);

impl fmt::Debug for Dek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Dek(<redacted>)")
    }
}

impl Dek {
    /// Draws a fresh random DEK.
    pub fn generate(rng: &mut impl rand_core::CryptoRng) -> Self {
        Dek(SymmetricKey::generate(rng))
    }

    /// The raw key bytes, for a caller that encrypts its own payload under
    /// the DEK. Exposing them is explicit and greppable.
    pub fn expose_secret(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    /// The key, for the managed-secret seal.
    pub(super) fn key(&self) -> &SymmetricKey {
        &self.0
    }
}

/// A DEK wrapped under a KEK, bound to one object id (`docs/format.md`
/// §17.3). Holds only ciphertext and the (public) KEK id, so `Debug` shows
/// those.
///
/// ```
/// use vault_core::server_keyring::{Dek, Keyring, KekProvider, WrappedDek, WRAPPED_DEK_LEN};
/// let mut rng = vault_core::rng::os_rng();
/// let keyring = Keyring::new(0, &mut rng);
/// let dek = Dek::generate(&mut rng);
/// let wrapped = keyring.wrap_dek(&dek, b"row-42", &mut rng)?;
/// let bytes = wrapped.to_bytes();
/// assert_eq!(bytes.len(), WRAPPED_DEK_LEN);
/// let back = WrappedDek::from_bytes(&bytes)?;
/// assert!(keyring.unwrap_dek(&back, b"row-42")? == dek);
/// // Bound to its object: another row id does not open it.
/// assert!(keyring.unwrap_dek(&back, b"row-43").is_err());
/// # Ok::<(), vault_core::server_keyring::KeyringError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedDek {
    kek_id: KekId,
    /// XChaCha20-Poly1305 envelope of the 32 DEK bytes (checked on parsing).
    envelope: Envelope,
}

impl fmt::Debug for WrappedDek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappedDek")
            .field("version", &self.version())
            .field("kek_id", &self.kek_id)
            .finish_non_exhaustive()
    }
}

impl WrappedDek {
    /// The KEK it is wrapped under (safe to log).
    pub fn kek_id(&self) -> KekId {
        self.kek_id
    }

    /// The format version ([`SERVER_KEYRING_FORMAT_VERSION`] for a parsed one).
    pub fn version(&self) -> u8 {
        SERVER_KEYRING_FORMAT_VERSION
    }

    /// The binary form, [`WRAPPED_DEK_LEN`] bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(WRAPPED_DEK_LEN);
        self.write(&mut out);
        out
    }

    /// Appends the binary form (a [`SealedManaged`](super::SealedManaged)
    /// embeds it).
    pub(super) fn write(&self, out: &mut Vec<u8>) {
        out.push(SERVER_KEYRING_FORMAT_VERSION);
        out.extend_from_slice(self.kek_id.as_bytes());
        out.extend_from_slice(self.envelope.as_bytes());
    }

    /// Parses the binary form. Checks the layout, not the tag: decoding order
    /// and errors as `docs/format.md` §17.3 lists them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "wrapped DEK";
        let rest = super::strip_version(bytes, WHAT)?;
        let (kek_id, env) = rest
            .split_first_chunk::<16>()
            .ok_or(KeyringError::malformed(WHAT, "truncated"))?;
        let envelope = super::parse_envelope(env, WHAT)?;
        if envelope.plaintext_len() != 32 {
            return Err(KeyringError::malformed(
                WHAT,
                "must be 91 bytes (a 32-byte key in an XChaCha20-Poly1305 envelope)",
            ));
        }
        Ok(WrappedDek {
            kek_id: KekId::from_bytes(*kek_id),
            envelope,
        })
    }
}

/// The envelope context: kind 16 ‖ format version ‖ kek_id ‖ object_id (the
/// object id runs to the end, so no length prefix is needed).
fn context(kek_id: &KekId, object_id: &[u8]) -> Result<Vec<u8>> {
    if object_id.is_empty() {
        return Err(KeyringError::InvalidArgument(
            "a DEK must be bound to a non-empty object id",
        ));
    }
    if object_id.len() > MAX_OBJECT_ID_BYTES {
        return Err(KeyringError::InvalidArgument(
            "object id longer than MAX_OBJECT_ID_BYTES",
        ));
    }
    let mut c = Vec::with_capacity(2 + 16 + object_id.len());
    c.extend_from_slice(&[KIND_WRAPPED_DEK, SERVER_KEYRING_FORMAT_VERSION]);
    c.extend_from_slice(kek_id.as_bytes());
    c.extend_from_slice(object_id);
    Ok(c)
}

/// Wraps `dek` under `kek`, named `kek_id`, for `object_id`.
pub(super) fn wrap_under(
    kek_id: KekId,
    kek: &Kek,
    dek: &Dek,
    object_id: &[u8],
    rng: &mut impl rand_core::CryptoRng,
) -> Result<WrappedDek> {
    let ctx = context(&kek_id, object_id)?;
    let envelope = super::seal_envelope(kek.key(), &ctx, dek.expose_secret(), rng)?;
    Ok(WrappedDek { kek_id, envelope })
}

/// Unwraps with the KEK its id named.
pub(super) fn unwrap_under(kek: &Kek, wrapped: &WrappedDek, object_id: &[u8]) -> Result<Dek> {
    let ctx = context(&wrapped.kek_id, object_id)?;
    let plain = super::open_envelope(&wrapped.envelope, kek.key(), &ctx, "wrapped DEK")?;
    SymmetricKey::from_slice(&plain)
        .map(Dek)
        .map_err(|_| KeyringError::Decrypt("wrapped DEK"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::os_rng;
    use crate::server_keyring::{KekProvider, Keyring};

    fn dek(byte: u8) -> Dek {
        Dek(SymmetricKey::from_bytes([byte; 32]))
    }

    #[test]
    fn round_trip_under_a_keyring_and_a_bare_kek() {
        let mut rng = os_rng();
        let keyring = Keyring::new(1, &mut rng);
        let kek = Kek::generate(&mut rng);
        let d = dek(0x42);
        for (w, provider_id) in [
            (
                keyring.wrap_dek(&d, b"obj", &mut rng).unwrap(),
                keyring.active_id(),
            ),
            (
                kek.wrap_dek(&d, b"obj", &mut rng).unwrap(),
                kek.derived_id(),
            ),
        ] {
            assert_eq!(w.kek_id(), provider_id);
            assert_eq!(w.version(), 1);
            let bytes = w.to_bytes();
            assert_eq!(bytes.len(), WRAPPED_DEK_LEN);
            let back = WrappedDek::from_bytes(&bytes).unwrap();
            assert_eq!(back, w);
        }
        let w = keyring.wrap_dek(&d, b"obj", &mut rng).unwrap();
        assert!(keyring.unwrap_dek(&w, b"obj").unwrap() == d);
        let w = kek.wrap_dek(&d, b"obj", &mut rng).unwrap();
        assert!(kek.unwrap_dek(&w, b"obj").unwrap() == d);
    }

    #[test]
    fn nonces_are_fresh() {
        let mut rng = os_rng();
        let kek = Kek::generate(&mut rng);
        let a = kek.wrap_dek(&dek(1), b"o", &mut rng).unwrap();
        let b = kek.wrap_dek(&dek(1), b"o", &mut rng).unwrap();
        assert_ne!(a.to_bytes(), b.to_bytes());
    }

    #[test]
    fn bound_to_its_object_id() {
        let mut rng = os_rng();
        let keyring = Keyring::new(1, &mut rng);
        let w = keyring.wrap_dek(&dek(7), b"object-a", &mut rng).unwrap();
        for other in [&b"object-b"[..], b"object-a\0", b"object-", b"OBJECT-A"] {
            assert_eq!(
                keyring.unwrap_dek(&w, other).unwrap_err(),
                KeyringError::Decrypt("wrapped DEK")
            );
        }
    }

    #[test]
    fn object_ids_must_be_non_empty_and_bounded() {
        let mut rng = os_rng();
        let kek = Kek::generate(&mut rng);
        assert!(matches!(
            kek.wrap_dek(&dek(1), b"", &mut rng),
            Err(KeyringError::InvalidArgument(_))
        ));
        let long = vec![b'x'; MAX_OBJECT_ID_BYTES + 1];
        assert!(matches!(
            kek.wrap_dek(&dek(1), &long, &mut rng),
            Err(KeyringError::InvalidArgument(_))
        ));
        let max = vec![b'x'; MAX_OBJECT_ID_BYTES];
        let w = kek.wrap_dek(&dek(1), &max, &mut rng).unwrap();
        assert!(kek.unwrap_dek(&w, &max).unwrap() == dek(1));
        assert!(matches!(
            kek.unwrap_dek(&w, b""),
            Err(KeyringError::InvalidArgument(_))
        ));
    }

    #[test]
    fn every_tampered_byte_is_refused() {
        let mut rng = os_rng();
        let keyring = Keyring::new(1, &mut rng);
        let w = keyring.wrap_dek(&dek(9), b"obj", &mut rng).unwrap();
        let bytes = w.to_bytes();
        for i in 0..bytes.len() {
            let mut t = bytes.clone();
            t[i] ^= 0x01;
            let res = WrappedDek::from_bytes(&t).and_then(|p| keyring.unwrap_dek(&p, b"obj"));
            let err = res.unwrap_err();
            match i {
                0 => assert_eq!(
                    err,
                    KeyringError::UnsupportedVersion {
                        what: "wrapped DEK",
                        version: 0
                    }
                ),
                1..=16 => assert!(matches!(err, KeyringError::UnknownKek(_)), "{i}: {err:?}"),
                17 => assert!(
                    matches!(err, KeyringError::UnsupportedVersion { .. }),
                    "{i}: {err:?}"
                ),
                // 0x01 ^ 0x01 = 0: not an algorithm.
                18 => assert!(
                    matches!(err, KeyringError::UnsupportedAlgorithm(0)),
                    "{i}: {err:?}"
                ),
                _ => assert_eq!(err, KeyringError::Decrypt("wrapped DEK"), "byte {i}"),
            }
        }
    }

    #[test]
    fn kek_id_swapped_to_another_held_kek_fails_to_open() {
        let mut rng = os_rng();
        let mut keyring = Keyring::new(1, &mut rng);
        let old = keyring.active_id();
        let w = keyring.wrap_dek(&dek(3), b"obj", &mut rng).unwrap();
        let new = keyring.rotate(2, &mut rng).unwrap();
        // Claim the new (held) KEK wrapped it: the id is in the AAD and the
        // key differs, so this is a decryption failure, not a silent success.
        let mut bytes = w.to_bytes();
        bytes[1..17].copy_from_slice(new.as_bytes());
        let forged = WrappedDek::from_bytes(&bytes).unwrap();
        assert_eq!(forged.kek_id(), new);
        assert_eq!(
            keyring.unwrap_dek(&forged, b"obj").unwrap_err(),
            KeyringError::Decrypt("wrapped DEK")
        );
        assert!(keyring.unwrap_dek(&w, b"obj").unwrap() == dek(3));
        assert_eq!(w.kek_id(), old);
    }

    #[test]
    fn another_keyring_does_not_hold_the_kek() {
        let mut rng = os_rng();
        let a = Keyring::new(1, &mut rng);
        let b = Keyring::new(1, &mut rng);
        let w = a.wrap_dek(&dek(3), b"obj", &mut rng).unwrap();
        assert_eq!(
            b.unwrap_dek(&w, b"obj").unwrap_err(),
            KeyringError::UnknownKek(a.active_id())
        );
    }

    #[test]
    fn parse_rejects_bad_lengths_and_versions() {
        let mut rng = os_rng();
        let kek = Kek::generate(&mut rng);
        let bytes = kek.wrap_dek(&dek(1), b"o", &mut rng).unwrap().to_bytes();
        assert!(matches!(
            WrappedDek::from_bytes(&[]),
            Err(KeyringError::Malformed { .. })
        ));
        for len in [1, 16, 17, 18, 19, 50, WRAPPED_DEK_LEN - 1] {
            assert!(
                matches!(
                    WrappedDek::from_bytes(&bytes[..len]),
                    Err(KeyringError::Malformed { .. })
                ),
                "{len}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            WrappedDek::from_bytes(&longer),
            Err(KeyringError::Malformed { .. })
        ));
        let mut v2 = bytes.clone();
        v2[0] = 2;
        assert_eq!(
            WrappedDek::from_bytes(&v2).unwrap_err(),
            KeyringError::UnsupportedVersion {
                what: "wrapped DEK",
                version: 2
            }
        );
        let mut gcm = bytes;
        gcm[18] = 2;
        assert_eq!(
            WrappedDek::from_bytes(&gcm).unwrap_err(),
            KeyringError::UnsupportedAlgorithm(2)
        );
    }

    /// The layout and associated data of `docs/format.md` §17.3, rebuilt by
    /// hand and opened with the raw AEAD: the document and the code agree.
    #[test]
    fn layout_matches_the_format_document() {
        let mut rng = os_rng();
        let kek = Kek::from_bytes(&[0x21; 32]).unwrap();
        let id = kek.derived_id();
        let w = kek.wrap_dek(&dek(0x5c), b"row-1", &mut rng).unwrap();
        let b = w.to_bytes();
        assert_eq!(b[0], 1);
        assert_eq!(&b[1..17], id.as_bytes());
        assert_eq!(&b[17..19], &[1, 1]);
        let (nonce, ct, tag) = (&b[19..43], &b[43..75], &b[75..91]);
        let mut aad = b"VLT1\x01\x01\x10\x01".to_vec();
        aad.extend_from_slice(id.as_bytes());
        aad.extend_from_slice(b"row-1");
        let mut out = [0u8; 32];
        crate::primitives::xchacha20poly1305_open(&[0x21; 32], nonce, &aad, ct, tag, &mut out)
            .unwrap();
        assert_eq!(out, [0x5c; 32]);
    }

    #[test]
    fn debug_shows_no_key_bytes() {
        let d = dek(0xd4);
        assert_eq!(format!("{d:?}"), "Dek(<redacted>)");
        let mut rng = os_rng();
        let kek = Kek::generate(&mut rng);
        let w = kek.wrap_dek(&d, b"o", &mut rng).unwrap();
        let dbg = format!("{w:?}");
        assert!(dbg.contains(&kek.derived_id().to_hex()));
        assert!(!dbg.contains(&hex::encode(d.expose_secret())));
        assert!(!dbg.contains("212, 212"));
    }
}
