//! The root key: the one secret the server cannot store. It seals the keyring
//! and exists only in memory, after an unseal (Shamir shares) or a KMS
//! decrypt.

use super::error::{KeyringError, Result};
use crate::kdf::hkdf_sha256;
use crate::secret::SymmetricKey;
use crate::shamir::{self, Share};
use core::fmt;

/// HKDF-SHA256 `info` of the key that seals the keyring (`docs/format.md`
/// §17.2). The root key is never used as an AEAD key itself, so a later use
/// (another label) can never collide with the keyring's.
pub(super) const SEAL_KEY_LABEL: &[u8] = b"VLT1 server keyring seal";

/// The server's root key: 32 random bytes. Zeroized on drop; `Debug` prints
/// no key material; compared in constant time.
///
/// ```
/// use vault_core::server_keyring::RootKey;
/// let mut rng = vault_core::rng::os_rng();
/// let root = RootKey::generate(&mut rng);
/// let shares = root.split(3, 5, &mut rng)?;
/// let back = RootKey::combine(&shares[1..4])?;
/// assert!(back == root);
/// assert_eq!(format!("{root:?}"), "RootKey(<redacted>)");
/// # Ok::<(), vault_core::server_keyring::KeyringError>(())
/// ```
#[derive(PartialEq, Eq)]
pub struct RootKey(SymmetricKey);

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKey(<redacted>)")
    }
}

impl RootKey {
    /// Draws a fresh root key (first start of a server).
    pub fn generate(rng: &mut impl rand_core::CryptoRng) -> Self {
        RootKey(SymmetricKey::generate(rng))
    }

    /// Takes root key bytes from outside (a KMS decrypt for auto-unseal).
    /// Refuses anything but 32 bytes ([`KeyringError::KeyLength`]) and all
    /// zero bytes ([`KeyringError::ZeroKey`]).
    ///
    /// ```
    /// use vault_core::server_keyring::{KeyringError, RootKey};
    /// assert!(RootKey::from_bytes(&[7; 32]).is_ok());
    /// assert_eq!(RootKey::from_bytes(&[0; 32]).unwrap_err(), KeyringError::ZeroKey("root key"));
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let arr: &[u8; 32] = bytes.try_into().map_err(|_| KeyringError::KeyLength {
            what: "root key",
            expected: 32,
            found: bytes.len(),
        })?;
        if super::is_all_zero(arr) {
            return Err(KeyringError::ZeroKey("root key"));
        }
        SymmetricKey::from_slice(arr)
            .map(RootKey)
            .map_err(|_| KeyringError::KeyLength {
                what: "root key",
                expected: 32,
                found: bytes.len(),
            })
    }

    /// The raw bytes, to hand to a KMS for encryption at rest. Exposing them is
    /// explicit and greppable.
    pub fn expose_secret(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    /// Splits the root key into `shares` Shamir shares, any `threshold` of
    /// which recover it (`crate::shamir`, with its integrity tag). Needs
    /// `2 <= threshold <= shares`.
    pub fn split(
        &self,
        threshold: u8,
        shares: u8,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<Vec<Share>> {
        shamir::split(self.expose_secret(), threshold, shares, rng).map_err(|e| match e {
            crate::Error::InvalidArgument(reason) => KeyringError::InvalidArgument(reason),
            _ => KeyringError::InvalidArgument("shares could not be made"),
        })
    }

    /// Recovers the root key from at least the threshold of shares of one
    /// split. Every share given is used, so one wrong, mixed or tampered share
    /// fails the integrity check: [`KeyringError::BadShareSet`].
    pub fn combine(shares: &[Share]) -> Result<Self> {
        let secret = shamir::combine(shares).map_err(|e| match e {
            crate::Error::Shamir(reason) => KeyringError::BadShareSet(reason),
            _ => KeyringError::BadShareSet("the shares could not be combined"),
        })?;
        let bytes: &[u8; 32] = secret
            .expose_secret()
            .try_into()
            .map_err(|_| KeyringError::BadShareSet("these shares do not hold a root key"))?;
        if super::is_all_zero(bytes) {
            return Err(KeyringError::BadShareSet(
                "these shares hold an all-zero key, not a root key",
            ));
        }
        SymmetricKey::from_slice(bytes)
            .map(RootKey)
            .map_err(|_| KeyringError::BadShareSet("these shares do not hold a root key"))
    }

    /// The key that seals the keyring: HKDF-SHA256 (no salt) of the root key
    /// with `info` = [`SEAL_KEY_LABEL`].
    pub(super) fn keyring_seal_key(&self) -> SymmetricKey {
        hkdf_sha256(None, self.expose_secret(), SEAL_KEY_LABEL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::os_rng;

    #[test]
    fn from_bytes_refuses_wrong_lengths_and_zero() {
        for len in [0usize, 1, 16, 31, 33, 64] {
            assert_eq!(
                RootKey::from_bytes(&vec![9u8; len]).unwrap_err(),
                KeyringError::KeyLength {
                    what: "root key",
                    expected: 32,
                    found: len
                }
            );
        }
        assert_eq!(
            RootKey::from_bytes(&[0; 32]).unwrap_err(),
            KeyringError::ZeroKey("root key")
        );
        let mut almost = [0u8; 32];
        almost[0] = 1;
        assert_eq!(
            RootKey::from_bytes(&almost).unwrap().expose_secret(),
            &almost
        );
    }

    #[test]
    fn every_threshold_subset_recovers_the_key() {
        let mut rng = os_rng();
        let root = RootKey::generate(&mut rng);
        let shares = root.split(2, 3, &mut rng).unwrap();
        assert_eq!(shares.len(), 3);
        for (a, b) in [(0, 1), (0, 2), (1, 2), (2, 0)] {
            let pick = [shares[a].clone(), shares[b].clone()];
            assert!(RootKey::combine(&pick).unwrap() == root);
        }
        // All three at once also work (every share is used).
        assert!(RootKey::combine(&shares).unwrap() == root);
    }

    #[test]
    fn too_few_mixed_or_tampered_shares_are_a_bad_share_set() {
        let mut rng = os_rng();
        let root = RootKey::generate(&mut rng);
        let shares = root.split(3, 5, &mut rng).unwrap();
        assert!(matches!(
            RootKey::combine(&shares[..2]),
            Err(KeyringError::BadShareSet(_))
        ));
        assert!(matches!(
            RootKey::combine(&[]),
            Err(KeyringError::BadShareSet(_))
        ));

        // One share from another split of the same key.
        let other = root.split(3, 5, &mut rng).unwrap();
        let mixed = [shares[0].clone(), shares[1].clone(), other[2].clone()];
        assert!(matches!(
            RootKey::combine(&mixed),
            Err(KeyringError::BadShareSet(_))
        ));

        // One flipped bit in one share's y: the integrity tag catches it.
        let mut bytes = shares[2].to_bytes();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = Share::from_bytes(&bytes).unwrap();
        let set = [shares[0].clone(), shares[1].clone(), tampered];
        let err = RootKey::combine(&set).unwrap_err();
        assert_eq!(
            err,
            KeyringError::BadShareSet("integrity check failed: a share is wrong or tampered")
        );
        assert!(err.to_string().starts_with("bad share set"));
    }

    #[test]
    fn shares_of_another_secret_are_not_a_root_key() {
        let mut rng = os_rng();
        let shares = shamir::split(&[5u8; 16], 2, 2, &mut rng).unwrap();
        assert_eq!(
            RootKey::combine(&shares).unwrap_err(),
            KeyringError::BadShareSet("these shares do not hold a root key")
        );
        let zero = shamir::split(&[0u8; 32], 2, 2, &mut rng).unwrap();
        assert!(matches!(
            RootKey::combine(&zero),
            Err(KeyringError::BadShareSet(_))
        ));
    }

    #[test]
    fn split_arguments_are_checked() {
        let mut rng = os_rng();
        let root = RootKey::generate(&mut rng);
        assert!(matches!(
            root.split(1, 3, &mut rng),
            Err(KeyringError::InvalidArgument(_))
        ));
        assert!(matches!(
            root.split(4, 3, &mut rng),
            Err(KeyringError::InvalidArgument(_))
        ));
    }

    #[test]
    fn debug_is_redacted() {
        let root = RootKey::from_bytes(&[0xa7; 32]).unwrap();
        let dbg = format!("{root:?} {root:#?}");
        assert!(!dbg.contains(&hex::encode(root.expose_secret())));
        assert!(!dbg.to_lowercase().contains("a7a7"));
        assert!(!dbg.contains("167, 167"));
        assert_eq!(format!("{root:?}"), "RootKey(<redacted>)");
    }

    #[test]
    fn seal_key_is_derived_not_the_root_key() {
        let root = RootKey::from_bytes(&[0x11; 32]).unwrap();
        let k = root.keyring_seal_key();
        assert_ne!(k.expose_secret(), root.expose_secret());
        assert_eq!(
            k,
            RootKey::from_bytes(&[0x11; 32]).unwrap().keyring_seal_key()
        );
        assert_ne!(
            k,
            RootKey::from_bytes(&[0x12; 32]).unwrap().keyring_seal_key()
        );
        // Pinned against Python's hmac/hashlib: HKDF-SHA256(salt = none,
        // ikm = 0x11 * 32, info = "VLT1 server keyring seal").
        assert_eq!(
            hex::encode(k.expose_secret()),
            "2182c4ada4b3fcb6f97c0508d2f1f51d79cc146fea352dfb439e3a2ea663b4f2"
        );
    }
}
