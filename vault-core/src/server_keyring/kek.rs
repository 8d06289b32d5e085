//! Key-encryption keys: what wraps the DEKs, and the ids that name them.

use super::dek::{Dek, WrappedDek};
use super::error::{KeyringError, Result};
use crate::encoding::{base32_decode, base32_encode};
use crate::kdf::hkdf_sha256;
use crate::secret::SymmetricKey;
use core::fmt;
use core::str::FromStr;

/// HKDF-SHA256 `info` of a bare KEK's derived id (`docs/format.md` §17.1).
const DERIVED_ID_LABEL: &[u8] = b"VLT1 server kek id";

/// Names a KEK: 16 bytes, random for the KEKs of a [`Keyring`](super::Keyring),
/// derived from the key for a bare [`Kek`]. Not secret: it is stored in the
/// clear in every [`WrappedDek`] and safe to log. Displays as 32 lowercase
/// hex digits; [`KekId::to_base32`] gives the shorter Crockford form.
///
/// ```
/// use vault_core::server_keyring::KekId;
/// let id = KekId::from_bytes([0xab; 16]);
/// assert_eq!(id.to_string(), "abababababababababababababababab");
/// assert_eq!(id.to_string().parse::<KekId>()?, id);
/// assert_eq!(KekId::from_base32(&id.to_base32())?, id);
/// # Ok::<(), vault_core::server_keyring::KeyringError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KekId([u8; 16]);

impl KekId {
    /// A fresh random id.
    pub fn generate(rng: &mut impl rand_core::CryptoRng) -> Self {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        KekId(b)
    }

    /// An id from its 16 bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        KekId(bytes)
    }

    /// The 16 bytes, as stored in records and bound into associated data.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// 32 lowercase hex digits (the `Display` form).
    pub fn to_hex(&self) -> String {
        super::to_hex(&self.0)
    }

    /// 26 characters of Crockford base32 (upper case, no padding).
    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }

    /// Parses [`KekId::to_base32`]'s form (case-insensitive, Crockford's
    /// `O`/`I`/`L` aliases accepted).
    pub fn from_base32(text: &str) -> Result<Self> {
        let v = base32_decode(text, 16, "KEK id").map_err(|_| {
            KeyringError::malformed("KEK id", "expected 26 Crockford base32 characters")
        })?;
        <[u8; 16]>::try_from(v.as_slice())
            .map(KekId)
            .map_err(|_| KeyringError::malformed("KEK id", "expected 16 bytes"))
    }
}

impl fmt::Display for KekId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for KekId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KekId({self})")
    }
}

impl FromStr for KekId {
    type Err = KeyringError;
    /// Parses the hex form (32 digits, either case).
    fn from_str(s: &str) -> Result<Self> {
        super::from_hex::<16>(s, "KEK id").map(KekId)
    }
}

/// A key-encryption key: 32 bytes that wrap DEKs. Zeroized on drop; `Debug`
/// prints no key material, and the bytes never leave the type (a KEK is only
/// ever used to wrap and unwrap).
///
/// A bare `Kek` is also a single-KEK [`KekProvider`] for deployments without
/// a sealed keyring (an env var, a file, a KMS data key). Its id is then
/// derived from the key ([`Kek::derived_id`]): there is nowhere to store a
/// random one beside an env var, the id must stay the same across restarts,
/// and a server started with another KEK reports
/// [`KeyringError::UnknownKek`] instead of a puzzling decryption failure.
///
/// ```
/// use vault_core::server_keyring::{Dek, Kek, KekProvider, KeyringError};
/// let mut rng = vault_core::rng::os_rng();
/// let kek = Kek::from_bytes(&[0x5a; 32])?;
/// let dek = Dek::generate(&mut rng);
/// let wrapped = kek.wrap_dek(&dek, b"object-1", &mut rng)?;
/// assert_eq!(wrapped.kek_id(), kek.derived_id());
/// assert!(kek.unwrap_dek(&wrapped, b"object-1")? == dek);
/// assert_eq!(Kek::from_bytes(&[0; 32]).unwrap_err(), KeyringError::ZeroKey("KEK"));
/// # Ok::<(), KeyringError>(())
/// ```
pub struct Kek(SymmetricKey);

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Kek(<redacted>)")
    }
}

impl Kek {
    /// Draws a fresh random KEK.
    pub fn generate(rng: &mut impl rand_core::CryptoRng) -> Self {
        Kek(SymmetricKey::generate(rng))
    }

    /// Takes KEK bytes from outside (`VAULT_KEK`, a key file, a KMS
    /// `GenerateDataKey` plaintext). Refuses anything but 32 bytes
    /// ([`KeyringError::KeyLength`]) and all zero bytes
    /// ([`KeyringError::ZeroKey`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let wrong_length = || KeyringError::KeyLength {
            what: "KEK",
            expected: 32,
            found: bytes.len(),
        };
        let arr: &[u8; 32] = bytes.try_into().map_err(|_| wrong_length())?;
        if super::is_all_zero(arr) {
            return Err(KeyringError::ZeroKey("KEK"));
        }
        SymmetricKey::from_slice(arr)
            .map(Kek)
            .map_err(|_| wrong_length())
    }

    /// The id this KEK goes by as a bare provider: the first 16 bytes of
    /// HKDF-SHA256 (no salt) of the key with `info` = `"VLT1 server kek id"`.
    /// A pseudorandom function of the key, so it names the key without
    /// revealing anything about it.
    pub fn derived_id(&self) -> KekId {
        let okm = hkdf_sha256(None, self.0.expose_secret(), DERIVED_ID_LABEL);
        let mut id = [0u8; 16];
        if let Some(head) = okm.expose_secret().first_chunk::<16>() {
            id = *head;
        }
        KekId(id)
    }

    /// The key, for the wrap and seal functions of this module.
    pub(super) fn key(&self) -> &SymmetricKey {
        &self.0
    }

    /// A KEK from bytes already known to be a valid key (parsed from an
    /// authenticated keyring).
    pub(super) fn from_key(key: SymmetricKey) -> Self {
        Kek(key)
    }
}

mod sealed {
    /// Keeps [`super::KekProvider`] implemented only by this module's types.
    pub trait Sealed {}
    impl Sealed for super::Kek {}
    impl Sealed for super::super::Keyring {}
}

/// Something that holds KEKs: a [`Keyring`](super::Keyring) (one active KEK
/// and the older ones it keeps for unwrapping) or a bare [`Kek`]. Sealed:
/// implemented only here, so the wrap functions cannot be overridden.
pub trait KekProvider: sealed::Sealed {
    /// The KEK new wraps go under, with its id.
    fn active_kek(&self) -> (KekId, &Kek);

    /// The KEK with this id, if held.
    fn find_kek(&self, id: &KekId) -> Option<&Kek>;

    /// Wraps `dek` under the active KEK for the object `object_id` (1 to
    /// [`MAX_OBJECT_ID_BYTES`](super::MAX_OBJECT_ID_BYTES) bytes, chosen
    /// by the server: a row id, a path). The associated data binds the format
    /// version, the KEK id and the object id, so the wrapped DEK cannot be
    /// moved to another object.
    fn wrap_dek(
        &self,
        dek: &Dek,
        object_id: &[u8],
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<WrappedDek> {
        let (id, kek) = self.active_kek();
        super::dek::wrap_under(id, kek, dek, object_id, rng)
    }

    /// Unwraps a DEK wrapped for `object_id`, under whichever held KEK its
    /// id names: [`KeyringError::UnknownKek`] if none,
    /// [`KeyringError::Decrypt`] for a wrong object id or altered bytes.
    fn unwrap_dek(&self, wrapped: &WrappedDek, object_id: &[u8]) -> Result<Dek> {
        let kek = self
            .find_kek(&wrapped.kek_id())
            .ok_or(KeyringError::UnknownKek(wrapped.kek_id()))?;
        super::dek::unwrap_under(kek, wrapped, object_id)
    }

    /// Re-wraps a DEK under the active KEK (after a rotation), leaving the
    /// payload it protects untouched. `None` when it already is under the
    /// active KEK (nothing to write). The old wrap is authenticated first, so
    /// a tampered row is an error, not silently re-wrapped.
    fn rewrap(
        &self,
        wrapped: &WrappedDek,
        object_id: &[u8],
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<Option<WrappedDek>> {
        let dek = self.unwrap_dek(wrapped, object_id)?;
        let (active, _) = self.active_kek();
        if wrapped.kek_id() == active {
            return Ok(None);
        }
        self.wrap_dek(&dek, object_id, rng).map(Some)
    }
}

impl KekProvider for Kek {
    fn active_kek(&self) -> (KekId, &Kek) {
        (self.derived_id(), self)
    }

    fn find_kek(&self, id: &KekId) -> Option<&Kek> {
        (*id == self.derived_id()).then_some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::os_rng;

    #[test]
    fn from_bytes_refuses_wrong_lengths_and_all_zero() {
        for len in [0usize, 1, 24, 31, 33, 48, 64] {
            assert_eq!(
                Kek::from_bytes(&vec![3u8; len]).unwrap_err(),
                KeyringError::KeyLength {
                    what: "KEK",
                    expected: 32,
                    found: len
                }
            );
        }
        assert_eq!(
            Kek::from_bytes(&[0; 32]).unwrap_err(),
            KeyringError::ZeroKey("KEK")
        );
        let mut one_bit = [0u8; 32];
        one_bit[17] = 0x80;
        assert!(Kek::from_bytes(&one_bit).is_ok());
    }

    #[test]
    fn derived_id_is_a_stable_function_of_the_key() {
        let a = Kek::from_bytes(&[1; 32]).unwrap();
        let a2 = Kek::from_bytes(&[1; 32]).unwrap();
        let b = Kek::from_bytes(&[2; 32]).unwrap();
        assert_eq!(a.derived_id(), a2.derived_id());
        assert_ne!(a.derived_id(), b.derived_id());
        assert_ne!(a.derived_id().as_bytes(), &[1u8; 16]);
        // Pinned against Python's hmac/hashlib: HKDF-SHA256(salt = none,
        // ikm = 0x01 * 32, info = "VLT1 server kek id")[0..16].
        assert_eq!(a.derived_id().to_hex(), "dcf21e6d948f572b02eabdc8ee5879eb");
    }

    #[test]
    fn bare_kek_is_a_single_kek_provider() {
        let mut rng = os_rng();
        let kek = Kek::generate(&mut rng);
        let (id, k) = kek.active_kek();
        assert_eq!(id, kek.derived_id());
        assert!(core::ptr::eq(k, &kek));
        assert!(kek.find_kek(&id).is_some());
        assert!(kek.find_kek(&KekId::generate(&mut rng)).is_none());

        // Another KEK's wraps are reported as such, not as a decrypt failure.
        let other = Kek::generate(&mut rng);
        let dek = Dek::generate(&mut rng);
        let w = other.wrap_dek(&dek, b"o", &mut rng).unwrap();
        assert_eq!(
            kek.unwrap_dek(&w, b"o").unwrap_err(),
            KeyringError::UnknownKek(other.derived_id())
        );
        // Its own wraps are already on the active KEK.
        let mine = kek.wrap_dek(&dek, b"o", &mut rng).unwrap();
        assert_eq!(kek.rewrap(&mine, b"o", &mut rng).unwrap(), None);
    }

    #[test]
    fn kek_id_text_forms() {
        let id = KekId::from_bytes([
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ]);
        assert_eq!(id.to_string(), "00112233445566778899aabbccddeeff");
        assert_eq!(format!("{id:?}"), "KekId(00112233445566778899aabbccddeeff)");
        assert_eq!("00112233445566778899AABBCCDDEEFF".parse::<KekId>(), Ok(id));
        let b32 = id.to_base32();
        assert_eq!(b32.len(), 26);
        assert_eq!(KekId::from_base32(&b32), Ok(id));
        assert_eq!(KekId::from_base32(&b32.to_lowercase()), Ok(id));
        for bad in [
            "",
            "0011",
            "00112233445566778899aabbccddeeff00",
            "zz112233445566778899aabbccddeeff",
        ] {
            assert!(matches!(
                bad.parse::<KekId>(),
                Err(KeyringError::Malformed { what: "KEK id", .. })
            ));
        }
        assert!(KekId::from_base32("0123").is_err());
        assert!(KekId::from_base32(&format!("{}U", &b32[..25])).is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let kek = Kek::from_bytes(&[0xc3; 32]).unwrap();
        let dbg = format!("{kek:?} {kek:#?}");
        assert_eq!(format!("{kek:?}"), "Kek(<redacted>)");
        assert!(!dbg.contains(&hex::encode([0xc3u8; 32])));
        assert!(!dbg.to_lowercase().contains("c3c3"));
        assert!(!dbg.contains("195, 195"));
    }
}
