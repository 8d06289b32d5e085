//! Per-user identity: an X25519 key to receive grants and an Ed25519 key to
//! sign them, published as a self-signed [`PublicIdentity`], plus the
//! fingerprint two people compare out of band.

use crate::encoding::b64_array;
use crate::error::{Error, Result};
use crate::ids::AccountId;
use core::fmt;
use ed25519_dalek::Signer;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The private half of an identity. Zeroized on drop; `Debug` is redacted.
pub struct IdentityKeys {
    pub(crate) x25519: x25519_dalek::StaticSecret,
    pub(crate) ed25519: ed25519_dalek::SigningKey,
}

impl fmt::Debug for IdentityKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityKeys(<redacted>)")
    }
}

impl Clone for IdentityKeys {
    fn clone(&self) -> Self {
        IdentityKeys {
            x25519: self.x25519.clone(),
            ed25519: self.ed25519.clone(),
        }
    }
}

impl IdentityKeys {
    /// Fresh X25519 and Ed25519 keys.
    pub fn generate(rng: &mut impl rand_core::CryptoRng) -> Self {
        let mut x = Zeroizing::new([0u8; 32]);
        let mut e = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut x[..]);
        rng.fill_bytes(&mut e[..]);
        Self::from_secret_bytes(&x, &e)
    }

    pub(crate) fn from_secret_bytes(x25519: &[u8; 32], ed25519_seed: &[u8; 32]) -> Self {
        IdentityKeys {
            x25519: x25519_dalek::StaticSecret::from(*x25519),
            ed25519: ed25519_dalek::SigningKey::from_bytes(ed25519_seed),
        }
    }

    /// `x25519 secret || ed25519 seed`, the plaintext of the identity wrap.
    pub(crate) fn to_secret_bytes(&self) -> Zeroizing<[u8; 64]> {
        let mut out = Zeroizing::new([0u8; 64]);
        let (x, e) = out.split_at_mut(32);
        x.copy_from_slice(self.x25519.as_bytes());
        e.copy_from_slice(self.ed25519.as_bytes());
        out
    }

    pub(crate) fn parse_secret_bytes(bytes: &[u8]) -> Result<Self> {
        let arr: &[u8; 64] = bytes
            .try_into()
            .map_err(|_| Error::malformed("identity keys", "expected 64 bytes"))?;
        let (x, e) = arr
            .split_first_chunk::<32>()
            .ok_or_else(|| Error::malformed("identity keys", "expected 64 bytes"))?;
        let x: Zeroizing<[u8; 32]> = Zeroizing::new(*x);
        let e: &[u8; 32] = e
            .try_into()
            .map_err(|_| Error::malformed("identity keys", "expected 64 bytes"))?;
        let e: Zeroizing<[u8; 32]> = Zeroizing::new(*e);
        Ok(Self::from_secret_bytes(&x, &e))
    }

    /// Publishes the public halves, self-signed, for `account`.
    pub fn public_identity(&self, account: AccountId) -> PublicIdentity {
        let x25519 = x25519_dalek::PublicKey::from(&self.x25519).to_bytes();
        let ed25519 = self.ed25519.verifying_key().to_bytes();
        let msg = PublicIdentity::signed_bytes(&account, &x25519, &ed25519);
        PublicIdentity {
            account,
            x25519,
            ed25519,
            signature: self.ed25519.sign(&msg).to_bytes(),
        }
    }

    pub(crate) fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.ed25519.sign(msg).to_bytes()
    }
}

/// The public identity the server's directory hands out. Self-signed, so the
/// two keys cannot be mixed and matched; whether they belong to the person you
/// think is what the [`fingerprint`](PublicIdentity::fingerprint) is for.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PublicIdentity {
    /// Whose identity.
    pub account: AccountId,
    /// Receives grants.
    #[serde(with = "b64_array")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    pub x25519: [u8; 32],
    /// Signs grants.
    #[serde(with = "b64_array")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    pub ed25519: [u8; 32],
    /// Ed25519 signature over `"VLT1 identity" || account || x25519 || ed25519`.
    #[serde(with = "b64_array")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    pub signature: [u8; 64],
}

impl PublicIdentity {
    fn signed_bytes(account: &AccountId, x: &[u8; 32], e: &[u8; 32]) -> Vec<u8> {
        let mut m = Vec::with_capacity(13 + 16 + 64);
        m.extend_from_slice(b"VLT1 identity");
        m.extend_from_slice(account.as_bytes());
        m.extend_from_slice(x);
        m.extend_from_slice(e);
        m
    }

    /// Checks the self-signature and rejects low-order X25519 keys.
    pub fn verify(&self) -> Result<()> {
        let vk = self.verifying_key()?;
        let msg = Self::signed_bytes(&self.account, &self.x25519, &self.ed25519);
        let sig = ed25519_dalek::Signature::from_bytes(&self.signature);
        vk.verify_strict(&msg, &sig)
            .map_err(|_| Error::BadSignature("public identity"))?;
        // A low-order X25519 key would make every grant to it readable by anyone.
        let probe = x25519_dalek::StaticSecret::from([0x42u8; 32]);
        if !probe
            .diffie_hellman(&x25519_dalek::PublicKey::from(self.x25519))
            .was_contributory()
        {
            return Err(Error::InvalidPeerValue("low-order X25519 identity key"));
        }
        Ok(())
    }

    pub(crate) fn verifying_key(&self) -> Result<ed25519_dalek::VerifyingKey> {
        ed25519_dalek::VerifyingKey::from_bytes(&self.ed25519)
            .map_err(|_| Error::InvalidPeerValue("Ed25519 public key"))
    }

    /// The fingerprint people compare out of band, e.g. on a call:
    /// `SHA-256("VLT1 fingerprint" || account || ed25519 || x25519)`, the first
    /// 30 bytes read as six 5-byte big-endian numbers, each mod 100000, printed
    /// as six groups of five digits (about 100 bits; Signal's safety-number scheme).
    ///
    /// ```
    /// let mut rng = vault_core::rng::os_rng();
    /// let keys = vault_core::IdentityKeys::generate(&mut rng);
    /// let id = keys.public_identity(vault_core::AccountId([1; 16]));
    /// let fp = id.fingerprint();
    /// assert_eq!(fp.len(), 6 * 5 + 5);
    /// ```
    pub fn fingerprint(&self) -> String {
        digit_fingerprint(
            b"VLT1 fingerprint",
            &[self.account.as_bytes(), &self.ed25519, &self.x25519],
        )
    }

    /// Whether `expected` (the fingerprint someone read out, in any
    /// spacing or punctuation) is this identity's fingerprint. Only the
    /// digits count, and they are compared in constant time: `"12345 67890
    /// …"`, `"1234567890…"` and `"12345-67890-…"` are the same. Text with no
    /// digits, or the wrong number of them, never matches.
    ///
    /// ```
    /// let mut rng = vault_core::rng::os_rng();
    /// let id = vault_core::IdentityKeys::generate(&mut rng).public_identity(vault_core::AccountId([1; 16]));
    /// let fp = id.fingerprint();
    /// assert!(id.fingerprint_matches(&fp));
    /// assert!(id.fingerprint_matches(&fp.replace(' ', "-")));
    /// assert!(!id.fingerprint_matches(&fp[..fp.len() - 1]));
    /// assert!(!id.fingerprint_matches(""));
    /// ```
    pub fn fingerprint_matches(&self, expected: &str) -> bool {
        digits_match(&self.fingerprint(), expected)
    }
}

/// `SHA-256(label || parts...)`, the first 30 bytes read as six 5-byte
/// big-endian numbers, each mod 100000, printed as six groups of five
/// digits: the fingerprint format of identities, services and projects.
pub(crate) fn digit_fingerprint(label: &[u8], parts: &[&[u8]]) -> String {
    let mut h = Sha256::new().chain_update(label);
    for p in parts {
        h.update(p);
    }
    let d = h.finalize();
    let groups: Vec<String> = d
        .chunks_exact(5)
        .take(6)
        .map(|c| {
            let n = c.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            format!("{:05}", n % 100_000)
        })
        .collect();
    groups.join(" ")
}

/// Whether two fingerprints have the same digits (any spacing or
/// punctuation), compared in constant time.
pub(crate) fn digits_match(actual: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    let digits = |s: &str| -> Vec<u8> { s.bytes().filter(u8::is_ascii_digit).collect() };
    let actual = digits(actual);
    let expected = digits(expected);
    // Lengths are public (always 30 for a real fingerprint).
    !actual.is_empty() && actual.len() == expected.len() && bool::from(actual.ct_eq(&expected))
}
