//! Managed (server custody) secrets: what the server itself must read, such
//! as the admin credentials of a rotation target or a value `/verify`
//! compares against. Each version gets a fresh DEK, wrapped under the active
//! KEK; the value is sealed under the DEK.

use super::dek::{Dek, WRAPPED_DEK_LEN, WrappedDek};
use super::error::{KeyringError, Result};
use super::kek::{KekId, KekProvider};
use super::{KIND_MANAGED_VALUE, SERVER_KEYRING_FORMAT_VERSION};
use crate::envelope::Envelope;
use crate::secret::SecretBytes;
use core::fmt;
use subtle::ConstantTimeEq;

/// Largest managed value: 64 KiB. Managed secrets are credentials and keys,
/// not files; the cap bounds what one row makes the server decrypt.
pub const MAX_MANAGED_VALUE_BYTES: usize = 64 * 1024;

/// Longest managed secret name, in UTF-8 bytes.
pub const MAX_MANAGED_NAME_BYTES: usize = 1024;

/// Prefix of a managed secret's object id: it keeps these ids apart from any
/// other object id the server binds DEKs to.
const OBJECT_LABEL: &[u8] = b"VLT1 managed secret";

/// The object id a managed secret version's DEK is wrapped for:
/// `"VLT1 managed secret" ‖ version BE64 ‖ name` (UTF-8 bytes, exactly as
/// given: names are not normalised). The version has a fixed width, so no two
/// (name, version) pairs share an id.
///
/// ```
/// use vault_core::server_keyring::managed_object_id;
/// let id = managed_object_id("db", 2);
/// assert_eq!(id, b"VLT1 managed secret\0\0\0\0\0\0\0\x02db");
/// ```
pub fn managed_object_id(name: &str, version: u64) -> Vec<u8> {
    let mut id = Vec::with_capacity(OBJECT_LABEL.len() + 8 + name.len());
    id.extend_from_slice(OBJECT_LABEL);
    id.extend_from_slice(&version.to_be_bytes());
    id.extend_from_slice(name.as_bytes());
    id
}

/// A sealed managed secret version: its wrapped DEK and the value sealed
/// under the DEK (`docs/format.md` §17.4). Holds only ciphertext; `Debug`
/// shows the KEK id and the value's length.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedManaged {
    wrapped: WrappedDek,
    /// XChaCha20-Poly1305 envelope of the value (checked on parsing).
    envelope: Envelope,
}

impl fmt::Debug for SealedManaged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedManaged")
            .field("version", &self.version())
            .field("kek_id", &self.kek_id())
            .field("value_len", &self.value_len())
            .finish()
    }
}

impl SealedManaged {
    /// The format version ([`SERVER_KEYRING_FORMAT_VERSION`] for a parsed one).
    pub fn version(&self) -> u8 {
        SERVER_KEYRING_FORMAT_VERSION
    }

    /// The KEK its DEK is wrapped under (safe to log; a rotation job selects
    /// rows to rewrap by it).
    pub fn kek_id(&self) -> KekId {
        self.wrapped.kek_id()
    }

    /// The wrapped DEK.
    pub fn wrapped_dek(&self) -> &WrappedDek {
        &self.wrapped
    }

    /// The value's length in bytes (not secret: the ciphertext shows it).
    pub fn value_len(&self) -> usize {
        self.envelope.plaintext_len()
    }

    /// The binary form: version (1) ‖ wrapped DEK ([`WRAPPED_DEK_LEN`]) ‖
    /// envelope.
    pub fn to_bytes(&self) -> Vec<u8> {
        let env = self.envelope.as_bytes();
        let mut out = Vec::with_capacity(1 + WRAPPED_DEK_LEN + env.len());
        out.push(SERVER_KEYRING_FORMAT_VERSION);
        self.wrapped.write(&mut out);
        out.extend_from_slice(env);
        out
    }

    /// Parses the binary form (layout only; [`open_managed`] authenticates).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "sealed managed secret";
        let rest = super::strip_version(bytes, WHAT)?;
        let (wrapped, env) = rest
            .split_first_chunk::<WRAPPED_DEK_LEN>()
            .ok_or(KeyringError::malformed(WHAT, "truncated"))?;
        let wrapped = WrappedDek::from_bytes(wrapped)?;
        let envelope = super::parse_envelope(env, WHAT)?;
        if envelope.plaintext_len() > MAX_MANAGED_VALUE_BYTES {
            return Err(KeyringError::malformed(
                WHAT,
                "value longer than MAX_MANAGED_VALUE_BYTES",
            ));
        }
        Ok(SealedManaged { wrapped, envelope })
    }
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(KeyringError::InvalidArgument(
            "a managed secret name must not be empty",
        ));
    }
    if name.len() > MAX_MANAGED_NAME_BYTES {
        return Err(KeyringError::InvalidArgument(
            "managed secret name longer than MAX_MANAGED_NAME_BYTES",
        ));
    }
    Ok(())
}

/// The value envelope's context: kind 17 ‖ format version ‖ version BE64 ‖
/// name (runs to the end). The KEK id is deliberately not in it: the DEK's
/// wrap binds the KEK id, and leaving it out here lets a rewrap move the DEK
/// to a new KEK without re-sealing the value.
fn value_context(name: &str, version: u64) -> Vec<u8> {
    let mut c = Vec::with_capacity(2 + 8 + name.len());
    c.extend_from_slice(&[KIND_MANAGED_VALUE, SERVER_KEYRING_FORMAT_VERSION]);
    c.extend_from_slice(&version.to_be_bytes());
    c.extend_from_slice(name.as_bytes());
    c
}

/// Seals `value` as version `version` of the managed secret `name`: a fresh
/// DEK, wrapped under the active KEK for [`managed_object_id`]`(name,
/// version)`, and the value sealed under it with XChaCha20-Poly1305 (random
/// 192-bit nonce), binding the format version, the name and the version.
/// [`KeyringError::ValueTooLarge`] above [`MAX_MANAGED_VALUE_BYTES`].
///
/// ```
/// use vault_core::server_keyring::*;
/// let mut rng = vault_core::rng::os_rng();
/// let keyring = Keyring::new(0, &mut rng);
/// let row = seal_managed(&keyring, "smtp", 3, b"pa55", &mut rng)?;
/// let back = SealedManaged::from_bytes(&row.to_bytes())?;
/// assert_eq!(open_managed(&keyring, "smtp", 3, &back)?.expose_secret(), b"pa55");
/// // Moved to another name or version, the row does not open.
/// assert!(open_managed(&keyring, "imap", 3, &back).is_err());
/// assert!(open_managed(&keyring, "smtp", 4, &back).is_err());
/// # Ok::<(), KeyringError>(())
/// ```
pub fn seal_managed(
    keys: &impl KekProvider,
    name: &str,
    version: u64,
    value: &[u8],
    rng: &mut impl rand_core::CryptoRng,
) -> Result<SealedManaged> {
    check_name(name)?;
    if value.len() > MAX_MANAGED_VALUE_BYTES {
        return Err(KeyringError::ValueTooLarge {
            len: value.len(),
            max: MAX_MANAGED_VALUE_BYTES,
        });
    }
    let dek = Dek::generate(rng);
    let wrapped = keys.wrap_dek(&dek, &managed_object_id(name, version), rng)?;
    let envelope = super::seal_envelope(dek.key(), &value_context(name, version), value, rng)?;
    Ok(SealedManaged { wrapped, envelope })
}

/// Opens version `version` of the managed secret `name`. A row of another
/// name or version, a wrong KEK or altered bytes fail with
/// [`KeyringError::Decrypt`]`("managed secret")`; a DEK under a KEK the
/// provider does not hold with [`KeyringError::UnknownKek`].
pub fn open_managed(
    keys: &impl KekProvider,
    name: &str,
    version: u64,
    sealed: &SealedManaged,
) -> Result<SecretBytes> {
    check_name(name)?;
    let dek = keys
        .unwrap_dek(&sealed.wrapped, &managed_object_id(name, version))
        .map_err(|e| match e {
            KeyringError::Decrypt(_) => KeyringError::Decrypt("managed secret"),
            other => other,
        })?;
    let plain = super::open_envelope(
        &sealed.envelope,
        dek.key(),
        &value_context(name, version),
        "managed secret",
    )?;
    Ok(SecretBytes::from(plain))
}

/// Whether `presented` equals the stored value, compared in constant time
/// (`subtle`). Errors are those of [`open_managed`]: a row that does not open
/// is an error, not a mismatch. The comparison hides where the values differ,
/// not their lengths (decryption time shows the stored length anyway).
///
/// ```
/// use vault_core::server_keyring::*;
/// let mut rng = vault_core::rng::os_rng();
/// let kek = Kek::generate(&mut rng);
/// let row = seal_managed(&kek, "api-key", 1, b"k-123", &mut rng)?;
/// assert!(verify_managed(&kek, "api-key", 1, &row, b"k-123")?);
/// assert!(!verify_managed(&kek, "api-key", 1, &row, b"k-124")?);
/// # Ok::<(), KeyringError>(())
/// ```
pub fn verify_managed(
    keys: &impl KekProvider,
    name: &str,
    version: u64,
    sealed: &SealedManaged,
    presented: &[u8],
) -> Result<bool> {
    let stored = open_managed(keys, name, version, sealed)?;
    Ok(bool::from(stored.expose_secret().ct_eq(presented)))
}

/// Moves a managed secret version's DEK to the active KEK (after a rotation)
/// without touching the sealed value: `None` when it already is under the
/// active KEK. The old wrap is authenticated (for this name and version)
/// before anything is re-wrapped.
pub fn rewrap_managed(
    keys: &impl KekProvider,
    name: &str,
    version: u64,
    sealed: &SealedManaged,
    rng: &mut impl rand_core::CryptoRng,
) -> Result<Option<SealedManaged>> {
    check_name(name)?;
    let moved = keys
        .rewrap(&sealed.wrapped, &managed_object_id(name, version), rng)
        .map_err(|e| match e {
            KeyringError::Decrypt(_) => KeyringError::Decrypt("managed secret"),
            other => other,
        })?;
    Ok(moved.map(|wrapped| SealedManaged {
        wrapped,
        envelope: sealed.envelope.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::os_rng;
    use crate::server_keyring::{Kek, Keyring};

    #[test]
    fn round_trips_at_every_size_under_a_keyring_and_a_bare_kek() {
        let mut rng = os_rng();
        let keyring = Keyring::new(1, &mut rng);
        let kek = Kek::generate(&mut rng);
        for len in [0usize, 1, 31, 32, 33, 1000, MAX_MANAGED_VALUE_BYTES] {
            let value: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let a = seal_managed(&keyring, "n", 1, &value, &mut rng).unwrap();
            let b = seal_managed(&kek, "n", 1, &value, &mut rng).unwrap();
            for (row, opened) in [
                (&a, open_managed(&keyring, "n", 1, &a)),
                (&b, open_managed(&kek, "n", 1, &b)),
            ] {
                assert_eq!(opened.unwrap().expose_secret(), &value[..]);
                assert_eq!(row.value_len(), len);
                let bytes = row.to_bytes();
                assert_eq!(bytes.len(), 1 + WRAPPED_DEK_LEN + 2 + 24 + len + 16);
                assert_eq!(&SealedManaged::from_bytes(&bytes).unwrap(), row);
            }
        }
    }

    #[test]
    fn value_cap_is_enforced() {
        let mut rng = os_rng();
        let kek = Kek::generate(&mut rng);
        let big = vec![1u8; MAX_MANAGED_VALUE_BYTES + 1];
        assert_eq!(
            seal_managed(&kek, "n", 1, &big, &mut rng).unwrap_err(),
            KeyringError::ValueTooLarge {
                len: MAX_MANAGED_VALUE_BYTES + 1,
                max: MAX_MANAGED_VALUE_BYTES
            }
        );
        // A stored row above the cap is refused before anything is decrypted.
        let ok = seal_managed(&kek, "n", 1, b"x", &mut rng).unwrap();
        let mut bytes = ok.to_bytes();
        bytes.extend_from_slice(&big);
        assert!(matches!(
            SealedManaged::from_bytes(&bytes),
            Err(KeyringError::Malformed { .. })
        ));
    }

    #[test]
    fn names_must_be_non_empty_and_bounded() {
        let mut rng = os_rng();
        let kek = Kek::generate(&mut rng);
        let row = seal_managed(&kek, "n", 1, b"v", &mut rng).unwrap();
        let long = "x".repeat(MAX_MANAGED_NAME_BYTES + 1);
        assert!(matches!(
            seal_managed(&kek, "", 1, b"v", &mut rng),
            Err(KeyringError::InvalidArgument(_))
        ));
        assert!(matches!(
            seal_managed(&kek, &long, 1, b"v", &mut rng),
            Err(KeyringError::InvalidArgument(_))
        ));
        assert!(matches!(
            open_managed(&kek, "", 1, &row),
            Err(KeyringError::InvalidArgument(_))
        ));
        let max = "é".repeat(MAX_MANAGED_NAME_BYTES / 2);
        let row = seal_managed(&kek, &max, u64::MAX, b"v", &mut rng).unwrap();
        assert_eq!(
            open_managed(&kek, &max, u64::MAX, &row)
                .unwrap()
                .expose_secret(),
            b"v"
        );
    }

    #[test]
    fn rows_swapped_between_names_or_versions_do_not_open() {
        let mut rng = os_rng();
        let keyring = Keyring::new(1, &mut rng);
        let a1 = seal_managed(&keyring, "alpha", 1, b"same", &mut rng).unwrap();
        let a2 = seal_managed(&keyring, "alpha", 2, b"same", &mut rng).unwrap();
        let b1 = seal_managed(&keyring, "beta", 1, b"same", &mut rng).unwrap();
        let decrypt = Err(KeyringError::Decrypt("managed secret"));

        // Whole rows presented as another name or version.
        assert_eq!(open_managed(&keyring, "beta", 1, &a1).map(|_| ()), decrypt);
        assert_eq!(open_managed(&keyring, "alpha", 2, &a1).map(|_| ()), decrypt);
        assert_eq!(open_managed(&keyring, "alpha", 1, &a2).map(|_| ()), decrypt);
        assert_eq!(open_managed(&keyring, "alpha", 1, &b1).map(|_| ()), decrypt);
        assert_eq!(open_managed(&keyring, "alpha", 0, &a1).map(|_| ()), decrypt);
        assert_eq!(open_managed(&keyring, "Alpha", 1, &a1).map(|_| ()), decrypt);
        assert_eq!(
            open_managed(&keyring, "alpha ", 1, &a1).map(|_| ()),
            decrypt
        );
        assert!(verify_managed(&keyring, "beta", 1, &a1, b"same").is_err());

        // Halves spliced: a1's value under b1's DEK, and the other way round.
        let splice = |dek_of: &SealedManaged, value_of: &SealedManaged| {
            let mut b = dek_of.to_bytes()[..1 + WRAPPED_DEK_LEN].to_vec();
            b.extend_from_slice(&value_of.to_bytes()[1 + WRAPPED_DEK_LEN..]);
            SealedManaged::from_bytes(&b).unwrap()
        };
        for (name, version, row) in [
            ("alpha", 1, splice(&a1, &b1)),
            ("beta", 1, splice(&a1, &b1)),
            ("alpha", 1, splice(&a1, &a2)),
            ("alpha", 2, splice(&a1, &a2)),
        ] {
            assert_eq!(
                open_managed(&keyring, name, version, &row).map(|_| ()),
                decrypt,
                "{name} v{version}"
            );
        }
        // The honest rows still open.
        for (name, version, row) in [("alpha", 1, &a1), ("alpha", 2, &a2), ("beta", 1, &b1)] {
            assert_eq!(
                open_managed(&keyring, name, version, row)
                    .unwrap()
                    .expose_secret(),
                b"same"
            );
        }
    }

    #[test]
    fn every_tampered_byte_is_refused() {
        let mut rng = os_rng();
        let keyring = Keyring::new(1, &mut rng);
        let row = seal_managed(&keyring, "svc", 7, b"value", &mut rng).unwrap();
        let bytes = row.to_bytes();
        for i in 0..bytes.len() {
            let mut t = bytes.clone();
            t[i] ^= 0x04;
            let err = SealedManaged::from_bytes(&t)
                .and_then(|r| open_managed(&keyring, "svc", 7, &r))
                .unwrap_err();
            match i {
                0 => assert!(matches!(
                    err,
                    KeyringError::UnsupportedVersion {
                        what: "sealed managed secret",
                        version: 5
                    }
                )),
                1 => assert!(matches!(
                    err,
                    KeyringError::UnsupportedVersion {
                        what: "wrapped DEK",
                        ..
                    }
                )),
                2..=17 => assert!(matches!(err, KeyringError::UnknownKek(_)), "{i}"),
                18 | 92 => assert!(
                    matches!(err, KeyringError::UnsupportedVersion { .. }),
                    "{i}"
                ),
                19 | 93 => assert_eq!(err, KeyringError::UnsupportedAlgorithm(5), "{i}"),
                _ => assert_eq!(err, KeyringError::Decrypt("managed secret"), "byte {i}"),
            }
        }
    }

    #[test]
    fn parse_rejects_truncation_and_versions() {
        let mut rng = os_rng();
        let kek = Kek::generate(&mut rng);
        let bytes = seal_managed(&kek, "n", 1, b"v", &mut rng)
            .unwrap()
            .to_bytes();
        assert!(matches!(
            SealedManaged::from_bytes(&[]),
            Err(KeyringError::Malformed { .. })
        ));
        for len in [1, 50, 1 + WRAPPED_DEK_LEN, 1 + WRAPPED_DEK_LEN + 41] {
            assert!(
                matches!(
                    SealedManaged::from_bytes(&bytes[..len]),
                    Err(KeyringError::Malformed { .. })
                ),
                "{len}"
            );
        }
        let mut v9 = bytes.clone();
        v9[0] = 9;
        assert_eq!(
            SealedManaged::from_bytes(&v9).unwrap_err(),
            KeyringError::UnsupportedVersion {
                what: "sealed managed secret",
                version: 9
            }
        );
    }

    #[test]
    fn a_fresh_dek_per_version() {
        let mut rng = os_rng();
        let kek = Kek::generate(&mut rng);
        let a = seal_managed(&kek, "n", 1, b"v", &mut rng).unwrap();
        let b = seal_managed(&kek, "n", 1, b"v", &mut rng).unwrap();
        let c = seal_managed(&kek, "n", 2, b"v", &mut rng).unwrap();
        let id1 = managed_object_id("n", 1);
        let da = kek.unwrap_dek(a.wrapped_dek(), &id1).unwrap();
        let db = kek.unwrap_dek(b.wrapped_dek(), &id1).unwrap();
        let dc = kek
            .unwrap_dek(c.wrapped_dek(), &managed_object_id("n", 2))
            .unwrap();
        assert!(da != db && da != dc && db != dc);
    }

    #[test]
    fn rotation_then_rewrap_moves_only_the_dek() {
        let mut rng = os_rng();
        let mut keyring = Keyring::new(1, &mut rng);
        let first = keyring.active_id();
        let row = seal_managed(&keyring, "db", 4, b"secret", &mut rng).unwrap();
        assert_eq!(row.kek_id(), first);
        let second = keyring.rotate(2, &mut rng).unwrap();

        // Still opens under the retained KEK.
        assert_eq!(
            open_managed(&keyring, "db", 4, &row)
                .unwrap()
                .expose_secret(),
            b"secret"
        );
        let moved = rewrap_managed(&keyring, "db", 4, &row, &mut rng)
            .unwrap()
            .unwrap();
        assert_eq!(moved.kek_id(), second);
        // The sealed value is byte for byte the same: payloads are untouched.
        assert_eq!(
            moved.to_bytes()[1 + WRAPPED_DEK_LEN..],
            row.to_bytes()[1 + WRAPPED_DEK_LEN..]
        );
        assert_eq!(
            open_managed(&keyring, "db", 4, &moved)
                .unwrap()
                .expose_secret(),
            b"secret"
        );
        assert_eq!(
            rewrap_managed(&keyring, "db", 4, &moved, &mut rng).unwrap(),
            None
        );
        // Rewrap authenticates for the name and version first.
        assert_eq!(
            rewrap_managed(&keyring, "db", 5, &row, &mut rng).unwrap_err(),
            KeyringError::Decrypt("managed secret")
        );
        // Once the old KEK is retired, only the moved row opens.
        keyring.retire(&first).unwrap();
        assert_eq!(
            open_managed(&keyring, "db", 4, &row).unwrap_err(),
            KeyringError::UnknownKek(first)
        );
        assert!(open_managed(&keyring, "db", 4, &moved).is_ok());
    }

    #[test]
    fn verify_compares_the_opened_value() {
        let mut rng = os_rng();
        let kek = Kek::generate(&mut rng);
        let row = seal_managed(&kek, "pin", 1, b"123456", &mut rng).unwrap();
        assert!(verify_managed(&kek, "pin", 1, &row, b"123456").unwrap());
        assert!(!verify_managed(&kek, "pin", 1, &row, b"123457").unwrap());
        assert!(!verify_managed(&kek, "pin", 1, &row, b"12345").unwrap());
        assert!(!verify_managed(&kek, "pin", 1, &row, b"1234567").unwrap());
        assert!(!verify_managed(&kek, "pin", 1, &row, b"").unwrap());
        let empty = seal_managed(&kek, "pin", 2, b"", &mut rng).unwrap();
        assert!(verify_managed(&kek, "pin", 2, &empty, b"").unwrap());
        assert!(!verify_managed(&kek, "pin", 2, &empty, b"x").unwrap());
        let other = Kek::generate(&mut rng);
        assert!(matches!(
            verify_managed(&other, "pin", 1, &row, b"123456"),
            Err(KeyringError::UnknownKek(_))
        ));
    }

    /// The layout and both associated data strings of `docs/format.md`
    /// §17.4, rebuilt by hand and opened with the raw AEAD.
    #[test]
    fn layout_matches_the_format_document() {
        let mut rng = os_rng();
        let kek = Kek::from_bytes(&[0x44; 32]).unwrap();
        let row = seal_managed(&kek, "db", 0x0102, b"hunter2", &mut rng).unwrap();
        let b = row.to_bytes();
        assert_eq!(b[0], 1);
        let (w, env) = b[1..].split_at(WRAPPED_DEK_LEN);

        // The DEK: AAD = "VLT1" 01 01 || 16 || 01 || kek_id || object id.
        let mut aad = b"VLT1\x01\x01\x10\x01".to_vec();
        aad.extend_from_slice(kek.derived_id().as_bytes());
        aad.extend_from_slice(b"VLT1 managed secret\0\0\0\0\0\0\x01\x02db");
        let mut dek = [0u8; 32];
        crate::primitives::xchacha20poly1305_open(
            &[0x44; 32],
            &w[19..43],
            &aad,
            &w[43..75],
            &w[75..91],
            &mut dek,
        )
        .unwrap();

        // The value: AAD = "VLT1" 01 01 || 17 || 01 || version BE64 || name.
        assert_eq!(&env[..2], &[1, 1]);
        let (nonce, rest) = env[2..].split_at(24);
        let (ct, tag) = rest.split_at(rest.len() - 16);
        let mut value = vec![0u8; ct.len()];
        crate::primitives::xchacha20poly1305_open(
            &dek,
            nonce,
            b"VLT1\x01\x01\x11\x01\0\0\0\0\0\0\x01\x02db",
            ct,
            tag,
            &mut value,
        )
        .unwrap();
        assert_eq!(value, b"hunter2");
    }

    #[test]
    fn debug_shows_no_value_or_key() {
        let mut rng = os_rng();
        let kek = Kek::generate(&mut rng);
        let row = seal_managed(&kek, "n", 1, b"topsecretvalue", &mut rng).unwrap();
        let opened = open_managed(&kek, "n", 1, &row).unwrap();
        let dbg = format!("{row:?} {opened:?}");
        assert!(!dbg.contains("topsecretvalue"));
        assert!(!dbg.contains(&hex::encode(b"topsecretvalue")));
        assert!(dbg.contains("value_len: 14"));
        assert!(dbg.contains(&kek.derived_id().to_hex()));
    }
}
