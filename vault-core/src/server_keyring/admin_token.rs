//! Admin tokens: bearer credentials of operators on the server's admin API.
//!
//! Text form: `vat1.` followed by the 32 random bytes in unpadded base64url
//! (43 characters, 48 in all). Base64url rather than base32: admin tokens are
//! pasted into config files, env vars and `Authorization` headers, never
//! typed or read aloud, so the shorter form wins and the house's other token
//! formats (`vst1.`, `vsa1.`) already use it; its alphabet needs no escaping
//! in a header, a URL or a shell word. No checksum: a mistyped token simply
//! fails to match a fingerprint.
//!
//! The server stores only [`AdminToken::fingerprint`] and compares
//! fingerprints in constant time ([`fingerprint_matches`]).

use super::error::{KeyringError, Result};
use crate::secret::SecretString;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use core::fmt;
use core::str::FromStr;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The prefix of an admin token's text form (the `1` is the format version).
pub const ADMIN_TOKEN_PREFIX: &str = "vat1.";
/// Characters of the base64url body: 32 bytes, unpadded.
const BODY_LEN: usize = 43;
/// SHA-256 domain label of the fingerprint.
const FINGERPRINT_LABEL: &[u8] = b"VLT1 admin token";

/// An operator's admin token: 32 random bytes. Zeroized on drop; `Debug`
/// prints no token material.
///
/// ```
/// use vault_core::server_keyring::{AdminToken, fingerprint_matches};
/// let token = AdminToken::generate(&mut vault_core::rng::os_rng());
/// let text = token.to_text();                    // shown once to the operator
/// let stored = token.fingerprint();              // what the server keeps
/// let presented = AdminToken::parse(text.expose_secret())?;
/// assert!(fingerprint_matches(&presented.fingerprint(), &stored));
/// assert_eq!(format!("{token:?}"), "AdminToken(<redacted>)");
/// # Ok::<(), vault_core::server_keyring::KeyringError>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AdminToken([u8; 32]);

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

impl AdminToken {
    /// Draws a fresh token.
    pub fn generate(rng: &mut impl rand_core::CryptoRng) -> Self {
        let mut t = AdminToken([0; 32]);
        rng.fill_bytes(&mut t.0);
        t
    }

    /// Parses `vat1.<43 base64url characters>`; surrounding whitespace (a
    /// trailing newline from a file) is ignored. Errors:
    /// [`KeyringError::TokenPrefix`], [`KeyringError::TokenLength`],
    /// [`KeyringError::TokenEncoding`] (not canonical unpadded base64url).
    ///
    /// ```
    /// use vault_core::server_keyring::{AdminToken, KeyringError};
    /// assert_eq!(AdminToken::parse("vst1.abc").unwrap_err(), KeyringError::TokenPrefix);
    /// assert_eq!(AdminToken::parse("vat1.abc").unwrap_err(), KeyringError::TokenLength);
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        let body = text
            .trim()
            .strip_prefix(ADMIN_TOKEN_PREFIX)
            .ok_or(KeyringError::TokenPrefix)?;
        if body.len() != BODY_LEN {
            return Err(KeyringError::TokenLength);
        }
        // The base64 engine rejects padding, other alphabets and non-zero
        // trailing bits, so each token has exactly one text form.
        let bytes = Zeroizing::new(B64.decode(body).map_err(|_| KeyringError::TokenEncoding)?);
        let arr: &[u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyringError::TokenLength)?;
        Ok(AdminToken(*arr))
    }

    /// The text form (secret: show it once, store it like a password).
    pub fn to_text(&self) -> SecretString {
        // A slice, not the array by value: no unzeroized copy of the token.
        let body = Zeroizing::new(B64.encode(self.0.as_slice()));
        SecretString::from(format!("{ADMIN_TOKEN_PREFIX}{}", body.as_str()))
    }

    /// What the server stores: `SHA-256("VLT1 admin token" ‖ 32 token
    /// bytes)`. Unsalted on purpose: the token is 256 random bits, so there
    /// is nothing to guess, and the server finds a token by its fingerprint.
    pub fn fingerprint(&self) -> [u8; 32] {
        Sha256::new()
            .chain_update(FINGERPRINT_LABEL)
            .chain_update(self.0.as_slice())
            .finalize()
            .into()
    }

    /// Whether this token's fingerprint is `stored`, in constant time.
    pub fn matches(&self, stored: &[u8; 32]) -> bool {
        fingerprint_matches(&self.fingerprint(), stored)
    }
}

/// Compares two fingerprints in constant time (`subtle`).
///
/// ```
/// use vault_core::server_keyring::fingerprint_matches;
/// assert!(fingerprint_matches(&[1; 32], &[1; 32]));
/// assert!(!fingerprint_matches(&[1; 32], &[2; 32]));
/// ```
pub fn fingerprint_matches(a: &[u8; 32], b: &[u8; 32]) -> bool {
    bool::from(a.ct_eq(b))
}

/// What an admin token may do on the admin API.
///
/// ```
/// use vault_core::server_keyring::AdminScope;
/// assert_eq!(AdminScope::SecretsAdmin.as_str(), "secrets_admin");
/// assert_eq!("audit_reader".parse::<AdminScope>()?, AdminScope::AuditReader);
/// # Ok::<(), vault_core::server_keyring::KeyringError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AdminScope {
    /// Runs the server: unseal, seal, KEK rotation, retiring KEKs.
    Operator,
    /// Manages managed (server custody) secrets.
    SecretsAdmin,
    /// Reads the audit log.
    AuditReader,
}

impl AdminScope {
    /// Every scope.
    pub const ALL: [AdminScope; 3] = [
        AdminScope::Operator,
        AdminScope::SecretsAdmin,
        AdminScope::AuditReader,
    ];

    /// The scope's stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminScope::Operator => "operator",
            AdminScope::SecretsAdmin => "secrets_admin",
            AdminScope::AuditReader => "audit_reader",
        }
    }
}

impl fmt::Display for AdminScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AdminScope {
    type Err = KeyringError;
    /// Parses exactly a name [`AdminScope::as_str`] gives (case-sensitive).
    fn from_str(s: &str) -> Result<Self> {
        AdminScope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or(KeyringError::UnknownScope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::os_rng;

    #[test]
    fn text_round_trip() {
        let t = AdminToken::generate(&mut os_rng());
        let text = t.to_text();
        let s = text.expose_secret();
        assert!(s.starts_with("vat1."));
        assert_eq!(s.len(), 5 + 43);
        let back = AdminToken::parse(s).unwrap();
        assert_eq!(back.0, t.0);
        assert_eq!(AdminToken::parse(&format!("  {s}\n")).unwrap().0, t.0);
    }

    #[test]
    fn known_answer() {
        let t = AdminToken([0x01; 32]);
        assert_eq!(
            t.to_text().expose_secret(),
            "vat1.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"
        );
        // Pinned against Python: sha256(b"VLT1 admin token" + b"\x01" * 32).
        assert_eq!(
            hex::encode(t.fingerprint()),
            "3ca2b17e26c9c1f3425d4f196e8cc8db10a78058440bfb3260c179b43279a686"
        );
    }

    #[test]
    fn parse_errors_are_typed() {
        let good = AdminToken::generate(&mut os_rng()).to_text();
        let good = good.expose_secret();
        let body = &good[5..];
        assert_eq!(
            AdminToken::parse("").unwrap_err(),
            KeyringError::TokenPrefix
        );
        assert_eq!(
            AdminToken::parse(&format!("vat2.{body}")).unwrap_err(),
            KeyringError::TokenPrefix
        );
        assert_eq!(
            AdminToken::parse(&format!("VAT1.{body}")).unwrap_err(),
            KeyringError::TokenPrefix
        );
        assert_eq!(
            AdminToken::parse(body).unwrap_err(),
            KeyringError::TokenPrefix
        );
        assert_eq!(
            AdminToken::parse("vat1.").unwrap_err(),
            KeyringError::TokenLength
        );
        assert_eq!(
            AdminToken::parse(&good[..good.len() - 1]).unwrap_err(),
            KeyringError::TokenLength
        );
        assert_eq!(
            AdminToken::parse(&format!("{good}A")).unwrap_err(),
            KeyringError::TokenLength
        );
        assert_eq!(
            AdminToken::parse(&format!("{good}=")).unwrap_err(),
            KeyringError::TokenLength
        );
        // Right length, wrong alphabet (standard base64's '+' and '/').
        let plus = format!("vat1.+{}", &body[1..]);
        assert_eq!(
            AdminToken::parse(&plus).unwrap_err(),
            KeyringError::TokenEncoding
        );
        let slash = format!("vat1.{}/", &body[..42]);
        assert_eq!(
            AdminToken::parse(&slash).unwrap_err(),
            KeyringError::TokenEncoding
        );
        // Non-canonical: the last character of 43 carries 2 unused bits.
        let canonical = "vat1.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";
        assert!(AdminToken::parse(canonical).is_ok());
        let loose = "vat1.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQF";
        assert_eq!(
            AdminToken::parse(loose).unwrap_err(),
            KeyringError::TokenEncoding
        );
        // Whitespace inside is not forgiven.
        let spaced = format!("vat1.{} {}", &body[..20], &body[21..]);
        assert_eq!(
            AdminToken::parse(&spaced).unwrap_err(),
            KeyringError::TokenEncoding
        );
    }

    #[test]
    fn fingerprints_match_only_their_token() {
        let mut rng = os_rng();
        let a = AdminToken::generate(&mut rng);
        let b = AdminToken::generate(&mut rng);
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert!(a.matches(&a.fingerprint()));
        assert!(!a.matches(&b.fingerprint()));
        assert!(fingerprint_matches(
            &a.fingerprint(),
            &a.clone().fingerprint()
        ));
        let mut near = a.fingerprint();
        near[31] ^= 1;
        assert!(!fingerprint_matches(&a.fingerprint(), &near));
        // The fingerprint is not the token.
        assert_ne!(&a.fingerprint(), &a.0);
    }

    #[test]
    fn debug_is_redacted() {
        let t = AdminToken([0x9e; 32]);
        let text = t.to_text();
        let dbg = format!("{t:?} {t:#?} {text:?}");
        assert!(!dbg.contains(&hex::encode(t.0)));
        assert!(!dbg.contains(&text.expose_secret()[5..]));
        assert!(!dbg.contains("158, 158"));
        assert_eq!(format!("{t:?}"), "AdminToken(<redacted>)");
    }

    #[test]
    fn scopes_round_trip() {
        for s in AdminScope::ALL {
            assert_eq!(s.as_str().parse::<AdminScope>(), Ok(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(
            ["operator", "secrets_admin", "audit_reader"],
            AdminScope::ALL.map(AdminScope::as_str)
        );
        for bad in ["", "Operator", "admin", "secrets-admin", " operator"] {
            assert_eq!(bad.parse::<AdminScope>(), Err(KeyringError::UnknownScope));
        }
    }
}
