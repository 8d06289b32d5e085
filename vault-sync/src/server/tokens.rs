//! Session tokens.
//!
//! * **Access token**: `va1.<payload>.<tag>`, both parts unpadded base64url;
//!   the payload is JSON `{"sub","sid","cv","iat","exp"}` and the tag is
//!   HMAC-SHA256 under the server's token key over `"VLT1 access token" ||
//!   0x00 || payload`. Short-lived (default 15 min). Self-contained so most
//!   requests need no token lookup, but it carries its session id, and the
//!   session is checked to be active (revocable: logout takes effect at once
//!   on every node, see [`super::SessionCache`]).
//! * **Refresh token**: `vr1_` + 32 random bytes (base64url). Opaque; the
//!   store keeps only its SHA-256 and rotates it on every use (a reused one
//!   revokes the session).
//!
//! Tokens are bearer secrets: they never go into a log line or a `Debug`.

use crate::store::SessionId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use vault_core::{AccountId, SymmetricKey};

const ACCESS_PREFIX: &str = "va1.";
const REFRESH_PREFIX: &str = "vr1_";
const MAC_LABEL: &[u8] = b"VLT1 access token\x00";
/// Longest token accepted (a guard before any work).
const MAX_TOKEN_LEN: usize = 512;

/// What an access token says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claims {
    /// The account.
    pub account: AccountId,
    /// The session (revocable).
    pub session: SessionId,
    /// The account's credentials version when the session began.
    pub credentials_version: i64,
    /// Issued at (Unix seconds).
    pub issued_at: i64,
    /// Expires at (Unix seconds).
    pub expires_at: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    sub: String,
    sid: String,
    cv: i64,
    iat: i64,
    exp: i64,
}

/// Signs and checks access tokens under one key.
pub struct TokenSigner {
    key: SymmetricKey,
}

impl core::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("TokenSigner(<redacted>)")
    }
}

impl TokenSigner {
    /// A signer with this key.
    pub fn new(key: SymmetricKey) -> Self {
        TokenSigner { key }
    }

    // HMAC takes keys of any length, so this is always `Some`.
    fn mac(&self) -> Option<Hmac<Sha256>> {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(self.key.expose_secret()).ok()?;
        m.update(MAC_LABEL);
        Some(m)
    }

    /// Issues an access token for these claims.
    pub fn issue(&self, c: &Claims) -> String {
        let payload = Payload {
            sub: c.account.to_string(),
            sid: c.session.to_string(),
            cv: c.credentials_version,
            iat: c.issued_at,
            exp: c.expires_at,
        };
        let json = serde_json::to_vec(&payload).unwrap_or_default();
        let tag = self
            .mac()
            .map(|mut m| {
                m.update(&json);
                m.finalize().into_bytes().to_vec()
            })
            .unwrap_or_default();
        format!("{ACCESS_PREFIX}{}.{}", B64.encode(&json), B64.encode(tag))
    }

    /// Checks a token's form, tag (constant time) and expiry at `now`
    /// (Unix seconds). `None` for anything wrong: the caller answers 401
    /// without saying which part failed.
    pub fn verify(&self, token: &str, now: i64) -> Option<Claims> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let rest = token.strip_prefix(ACCESS_PREFIX)?;
        let (p, t) = rest.split_once('.')?;
        let json = B64.decode(p).ok()?;
        let tag = B64.decode(t).ok()?;
        let mut m = self.mac()?;
        m.update(&json);
        m.verify_slice(&tag).ok()?;
        let payload: Payload = serde_json::from_slice(&json).ok()?;
        if payload.exp <= now {
            return None;
        }
        Some(Claims {
            account: payload.sub.parse().ok()?,
            session: payload.sid.parse().ok()?,
            credentials_version: payload.cv,
            issued_at: payload.iat,
            expires_at: payload.exp,
        })
    }
}

impl TokenSigner {
    /// The refresh token that replaces `presented`: `HMAC-SHA256(token key,
    /// "vault-sync next refresh" || presented)`, in the refresh token form.
    /// Deterministic, so a client that repeats a refresh (its answer was
    /// lost, or two tabs raced) can be given the same new token again within
    /// the grace window, while only hashes are ever stored. Unguessable
    /// without the key and the presented token.
    pub fn next_refresh_token(&self, presented: &str) -> Option<String> {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(self.key.expose_secret()).ok()?;
        m.update(b"vault-sync next refresh\0");
        m.update(presented.as_bytes());
        let out = m.finalize().into_bytes();
        Some(format!("{REFRESH_PREFIX}{}", B64.encode(out)))
    }
}

/// A fresh refresh token.
pub fn new_refresh_token(rng: &mut impl vault_core::rng::CryptoRng) -> String {
    let mut b = [0u8; 32];
    rng.fill_bytes(&mut b);
    format!("{REFRESH_PREFIX}{}", B64.encode(b))
}

/// Whether a string has the form of a refresh token (checked before hashing
/// it, so junk is a 400 rather than a lookup).
pub fn is_refresh_token(t: &str) -> bool {
    t.len() == REFRESH_PREFIX.len() + 43
        && t.starts_with(REFRESH_PREFIX)
        && t.bytes()
            .skip(REFRESH_PREFIX.len())
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn claims() -> Claims {
        Claims {
            account: AccountId([7; 16]),
            session: SessionId([9; 16]),
            credentials_version: 1,
            issued_at: 1000,
            expires_at: 2000,
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let s = TokenSigner::new(SymmetricKey::from_bytes([1; 32]));
        let t = s.issue(&claims());
        assert_eq!(s.verify(&t, 1500), Some(claims()));
        // Expired.
        assert_eq!(s.verify(&t, 2000), None);
        // Another key.
        let other = TokenSigner::new(SymmetricKey::from_bytes([2; 32]));
        assert_eq!(other.verify(&t, 1500), None);
        // Any flipped character fails.
        for i in 0..t.len() {
            let mut b = t.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let forged = String::from_utf8(b).unwrap();
            if forged != t {
                assert_eq!(s.verify(&forged, 1500), None, "position {i}");
            }
        }
        assert_eq!(s.verify("", 0), None);
        assert_eq!(s.verify(&"x".repeat(10_000), 0), None);
    }

    #[test]
    fn refresh_tokens_have_their_form() {
        let mut rng = vault_core::rng::os_rng();
        let t = new_refresh_token(&mut rng);
        assert!(is_refresh_token(&t));
        assert!(!is_refresh_token("vr1_short"));
        assert_ne!(t, new_refresh_token(&mut rng));
    }
}
