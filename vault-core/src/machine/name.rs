//! Secret names and their blind index.
//!
//! A name is what a program asks for (`DATABASE_URL`). It is sealed inside
//! every version; the server sees only its blind index, an HMAC-SHA256 under
//! the project's index key of the normalised name, so it can answer "give me
//! DATABASE_URL" and deduplicate stubs without learning the name.

use crate::error::{Error, Result};
use crate::secret::SymmetricKey;
use hmac::{KeyInit, Mac};
use precis_core::profile::PrecisFastInvocation;

/// Longest secret name, in UTF-8 bytes, after normalising.
pub const MAX_SECRET_NAME_BYTES: usize = 256;

/// A normalised secret name.
///
/// The rule: PRECIS **UsernameCasePreserved** (RFC 8265 §3.4: width mapping,
/// NFC, the bidi rule and the IdentifierClass, which refuses spaces, control
/// characters, invisible format characters such as bidi overrides and
/// zero-width joiners, and unassigned code points), case kept (environment
/// variable names are case-sensitive), plus two characters refused because
/// they mean something around names: `=` (environment assignment) and `/`
/// (the separator in `vault://project/NAME`). At most
/// [`MAX_SECRET_NAME_BYTES`] bytes. Surrounding whitespace is trimmed.
///
/// ```
/// use vault_core::machine::SecretName;
/// assert_eq!(SecretName::new(" DATABASE_URL\n")?.as_str(), "DATABASE_URL");
/// assert_eq!(SecretName::new("ＡＰＩ_KEY")?.as_str(), "API_KEY"); // fullwidth → ASCII
/// assert!(SecretName::new("API\u{202e}KEY").is_err()); // bidi override
/// assert!(SecretName::new("A=B").is_err());
/// assert!(SecretName::new("").is_err());
/// # Ok::<(), vault_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct SecretName(String);

// Names are not secret values, but they are kept from the server; keep them
// out of logs too by printing only their length.
impl core::fmt::Debug for SecretName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SecretName({} bytes)", self.0.len())
    }
}

impl core::fmt::Display for SecretName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SecretName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        SecretName::new(&s).map_err(serde::de::Error::custom)
    }
}

impl SecretName {
    /// Normalises and checks a name (see the type docs).
    pub fn new(input: &str) -> Result<Self> {
        let input = input.trim();
        if input.is_empty() {
            return Err(Error::malformed("secret name", "empty"));
        }
        if input.len() > 4 * MAX_SECRET_NAME_BYTES {
            return Err(Error::malformed("secret name", "longer than 256 bytes"));
        }
        let name = precis_profiles::UsernameCasePreserved::enforce(input)
            .map_err(|_| {
                Error::malformed(
                    "secret name",
                    "contains spaces, control, invisible or unassigned characters",
                )
            })?
            .into_owned();
        if name.len() > MAX_SECRET_NAME_BYTES {
            return Err(Error::malformed("secret name", "longer than 256 bytes"));
        }
        if name.contains(['=', '/']) {
            return Err(Error::malformed("secret name", "contains = or /"));
        }
        Ok(SecretName(name))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the name can be an environment variable name in a POSIX shell
    /// (`[A-Za-z_][A-Za-z0-9_]*`); `vault run` exports only those.
    ///
    /// ```
    /// use vault_core::machine::SecretName;
    /// assert!(SecretName::new("DATABASE_URL")?.is_env_name());
    /// assert!(!SecretName::new("db.url")?.is_env_name());
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn is_env_name(&self) -> bool {
        let mut chars = self.0.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    }
}

impl core::str::FromStr for SecretName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        SecretName::new(s)
    }
}

/// The blind index of a name: `HMAC-SHA256(index key, "VLT1 secret name" ||
/// 0x00 || name)` (`docs/format.md` §16.1). Not secret (the server stores
/// it), but only holders of the index key can compute it.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct BlindIndex(#[serde(with = "crate::encoding::b64_array")] pub [u8; 32]);

impl core::fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "BlindIndex({})", crate::encoding::b64_encode(&self.0))
    }
}

impl core::fmt::Display for BlindIndex {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&crate::encoding::b64_encode(&self.0))
    }
}

impl core::str::FromStr for BlindIndex {
    type Err = Error;
    /// Parses the unpadded base64url text form.
    fn from_str(s: &str) -> Result<Self> {
        let bytes = crate::encoding::b64_decode(s, "blind index")?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::malformed("blind index", "must be 32 bytes"))?;
        Ok(BlindIndex(arr))
    }
}

impl BlindIndex {
    /// The blind index of `name` under `index_key`.
    pub(crate) fn compute(index_key: &SymmetricKey, name: &SecretName) -> Result<Self> {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(index_key.expose_secret())
            .map_err(|_| Error::InvalidArgument("index key"))?;
        mac.update(b"VLT1 secret name\0");
        mac.update(name.as_str().as_bytes());
        Ok(BlindIndex(mac.finalize().into_bytes().into()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn refuses_what_could_mislead_or_break_an_environment() {
        for bad in [
            "",
            "   ",
            "A B",
            "A\u{0}B",
            "A\u{7}B",
            "A\u{200b}B",
            "A\u{200d}B",
            "A\u{202e}B",
            "A\u{2066}B",
            "A=B",
            "a/b",
            "\u{fffe}",
        ] {
            assert!(SecretName::new(bad).is_err(), "{bad:?}");
        }
        assert!(SecretName::new(&"A".repeat(257)).is_err());
        assert!(SecretName::new(&"A".repeat(256)).is_ok());
    }

    #[test]
    fn keeps_case_and_normalises_width_and_composition() {
        assert_eq!(SecretName::new("api_key").unwrap().as_str(), "api_key");
        assert_ne!(
            SecretName::new("api_key").unwrap(),
            SecretName::new("API_KEY").unwrap()
        );
        assert_eq!(
            SecretName::new("cafe\u{301}").unwrap().as_str(),
            "caf\u{e9}"
        );
        let n = SecretName::new("DATABASE_URL").unwrap();
        assert_eq!(SecretName::new(n.as_str()).unwrap(), n);
    }

    #[test]
    fn blind_index_depends_on_key_and_normalised_name() {
        let k1 = SymmetricKey::from_bytes([1; 32]);
        let k2 = SymmetricKey::from_bytes([2; 32]);
        let a = SecretName::new("ＡＰＩ").unwrap();
        let b = SecretName::new("API").unwrap();
        assert_eq!(
            BlindIndex::compute(&k1, &a).unwrap(),
            BlindIndex::compute(&k1, &b).unwrap()
        );
        assert_ne!(
            BlindIndex::compute(&k1, &b).unwrap(),
            BlindIndex::compute(&k2, &b).unwrap()
        );
        let text = BlindIndex::compute(&k1, &b).unwrap().to_string();
        assert_eq!(
            text.parse::<BlindIndex>().unwrap(),
            BlindIndex::compute(&k1, &b).unwrap()
        );
        assert!(format!("{:?}", a).contains("3 bytes"));
    }
}
