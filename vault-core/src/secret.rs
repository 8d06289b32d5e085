//! Secret-holding newtypes: zeroized on drop, redacted in `Debug`, compared in
//! constant time. Keys live in a `Box` so moving the owner copies a pointer,
//! not the key bytes.

use core::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// A 256-bit symmetric key. Zeroized on drop; `Debug` prints no key material.
///
/// ```
/// use vault_core::SymmetricKey;
/// let k = SymmetricKey::from_bytes([7u8; 32]);
/// assert_eq!(format!("{k:?}"), "SymmetricKey(<redacted>)");
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SymmetricKey(Box<[u8; 32]>);

impl SymmetricKey {
    /// Wraps raw key bytes (e.g. a key the user explicitly exported).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut b = Box::new([0u8; 32]);
        *b = bytes;
        let mut bytes = bytes;
        bytes.zeroize();
        SymmetricKey(b)
    }

    /// Copies key bytes out of a slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> crate::Result<Self> {
        let arr: &[u8; 32] = bytes
            .try_into()
            .map_err(|_| crate::Error::malformed("key", "a key is 32 bytes"))?;
        let mut b = Box::new([0u8; 32]);
        b.copy_from_slice(arr);
        Ok(SymmetricKey(b))
    }

    /// Draws a fresh random key.
    pub fn generate(rng: &mut impl rand_core::CryptoRng) -> Self {
        let mut b = Box::new([0u8; 32]);
        rng.fill_bytes(&mut b[..]);
        SymmetricKey(b)
    }

    /// The raw key bytes. Exposing them is explicit and greppable.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SymmetricKey(<redacted>)")
    }
}

impl ConstantTimeEq for SymmetricKey {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.ct_eq(&*other.0)
    }
}

impl PartialEq for SymmetricKey {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}
impl Eq for SymmetricKey {}

/// Variable-length secret bytes (a password, a recovered secret, a PIN).
/// Zeroized on drop; `Debug` shows only the length.
///
/// ```
/// use vault_core::SecretBytes;
/// let s = SecretBytes::from(b"hunter2".to_vec());
/// assert_eq!(format!("{s:?}"), "SecretBytes(<7 bytes redacted>)");
/// ```
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// The secret bytes.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }
    /// Length in bytes (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(v: Vec<u8>) -> Self {
        SecretBytes(v)
    }
}

impl From<Zeroizing<Vec<u8>>> for SecretBytes {
    fn from(mut v: Zeroizing<Vec<u8>>) -> Self {
        SecretBytes(core::mem::take(&mut *v))
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<{} bytes redacted>)", self.0.len())
    }
}

impl ConstantTimeEq for SecretBytes {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.ct_eq(&other.0)
    }
}
impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}
impl Eq for SecretBytes {}

/// A secret string inside an item (a password, a card number, a private key).
/// Zeroized on drop, redacted in `Debug`, serialised as a plain JSON string
/// (it only ever exists in plaintext inside an envelope).
///
/// ```
/// use vault_core::SecretString;
/// let s = SecretString::from("correct horse");
/// assert_eq!(format!("{s:?}"), "SecretString(<redacted>)");
/// assert_eq!(s.expose_secret(), "correct horse");
/// ```
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(rename = "string", type = "string")
)]
pub struct SecretString(String);

impl SecretString {
    /// The secret text.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
    /// True when empty (length is not secret here).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        SecretString(s.to_owned())
    }
}
impl From<String> for SecretString {
    fn from(s: String) -> Self {
        SecretString(s)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}
impl Eq for SecretString {}
