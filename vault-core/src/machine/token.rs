//! Service tokens: what a service holds to fetch its secrets.
//!
//! A token is made on the service's side (or by an admin's client for CI)
//! and never leaves it whole. It holds the service's id, an auth secret,
//! the service's X25519 private key (grants are sealed to its public key),
//! the project it belongs to, and the project's Ed25519 public key (the
//! service checks that every grant it receives was signed by a project
//! member, so a server cannot hand it keys of its own making). The server
//! keeps only [`ServicePublic`]: the id, the public key and a SHA-256
//! fingerprint of the auth secret.
//!
//! # Text form
//!
//! `vst1.` + base64url(payload) + `.` + base64url(check), unpadded, where
//! `payload` = project (16) ‖ service (16) ‖ auth secret (32) ‖ X25519
//! secret (32) ‖ project Ed25519 key (32) = 128 bytes and `check` = the
//! first 4 bytes of `SHA-256("VLT1 service token" ‖ payload)`. A typo (or a
//! truncated copy) fails the check with [`Error::Checksum`] instead of
//! becoming a different token.
//!
//! A service authenticates with [`ServiceToken::auth_header`]
//! (`vsa1.<service>.<auth secret>`): the id and the auth secret, never the
//! private key.
//!
//! ```
//! use vault_core::machine::ServiceToken;
//! use vault_core::{VaultId, rng};
//! let mut rng = rng::os_rng();
//! let project = VaultId::generate(&mut rng);
//! let token = ServiceToken::generate(project, [7; 32], &mut rng);
//! let text = token.to_text();
//! assert!(text.expose_secret().starts_with("vst1."));
//! let again = ServiceToken::parse(text.expose_secret())?;
//! assert_eq!(again.service(), token.service());
//! // One character off: refused, not another token.
//! let mut typo = text.expose_secret().to_owned();
//! typo.replace_range(10..11, if &typo[10..11] == "A" { "B" } else { "A" });
//! assert!(ServiceToken::parse(&typo).is_err());
//! // What the server stores verifies the auth header the token makes.
//! let public = token.public();
//! assert!(public.check_auth(token.auth_header().expose_secret()).is_ok());
//! # Ok::<(), vault_core::Error>(())
//! ```

use super::MACHINE_FORMAT_VERSION;
use crate::encoding::b64_array;
use crate::error::{Error, Result};
use crate::identity::{digit_fingerprint, digits_match};
use crate::ids::{ServiceId, VaultId};
use crate::secret::SecretString;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const TOKEN_PREFIX: &str = "vst1.";
const AUTH_PREFIX: &str = "vsa1.";
const PAYLOAD_LEN: usize = 128;
const CHECK_LEN: usize = 4;
/// Longest token text accepted (the real one is 5 + 171 + 1 + 6 characters).
const MAX_TEXT: usize = 256;

/// A service's credential (secret: zeroized on drop, `Debug` redacted).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ServiceToken {
    project: [u8; 16],
    service: [u8; 16],
    auth: [u8; 32],
    x25519: [u8; 32],
    project_signing_key: [u8; 32],
}

impl core::fmt::Debug for ServiceToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServiceToken")
            .field("project", &VaultId(self.project))
            .field("service", &ServiceId(self.service))
            .finish_non_exhaustive()
    }
}

/// What the server stores about a service (public).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicePublic {
    /// Format version: 1.
    pub v: u8,
    /// The project it reads from.
    pub project: VaultId,
    /// The service.
    pub service: ServiceId,
    /// Grants are sealed to this X25519 key.
    #[serde(with = "b64_array")]
    pub x25519: [u8; 32],
    /// The project Ed25519 key the service pinned: an approving admin's
    /// client checks it is the project's real key (a service that pinned a
    /// key of the server's making would trust forged grants).
    #[serde(with = "b64_array")]
    pub project_signing_key: [u8; 32],
    /// `SHA-256("VLT1 service auth" ‖ auth secret)`: what the auth header
    /// is checked against (in constant time).
    #[serde(with = "b64_array")]
    pub auth_fingerprint: [u8; 32],
}

fn auth_fingerprint(auth: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"VLT1 service auth")
        .chain_update(auth)
        .finalize()
        .into()
}

fn checksum(payload: &[u8]) -> [u8; CHECK_LEN] {
    let d: [u8; 32] = Sha256::new()
        .chain_update(b"VLT1 service token")
        .chain_update(payload)
        .finalize()
        .into();
    let [a, b, c, e, ..] = d;
    [a, b, c, e]
}

impl ServiceToken {
    /// A new token for `project` (whose Ed25519 key, from its
    /// [`ProjectPublic`](super::ProjectPublic), grants must be signed
    /// with), with a fresh id, auth secret and key pair.
    pub fn generate(
        project: VaultId,
        project_signing_key: [u8; 32],
        rng: &mut impl rand_core::CryptoRng,
    ) -> Self {
        let mut t = ServiceToken {
            project: project.0,
            service: ServiceId::generate(rng).0,
            auth: [0; 32],
            x25519: [0; 32],
            project_signing_key,
        };
        rng.fill_bytes(&mut t.auth);
        rng.fill_bytes(&mut t.x25519);
        t
    }

    /// The project.
    pub fn project(&self) -> VaultId {
        VaultId(self.project)
    }

    /// The service.
    pub fn service(&self) -> ServiceId {
        ServiceId(self.service)
    }

    /// The project's Ed25519 key every grant must be signed with.
    pub fn project_signing_key(&self) -> &[u8; 32] {
        &self.project_signing_key
    }

    /// The service's X25519 private key (opens its grants).
    pub(crate) fn x25519_secret(&self) -> &[u8; 32] {
        &self.x25519
    }

    /// The X25519 public key.
    pub fn x25519_public(&self) -> [u8; 32] {
        x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(self.x25519)).to_bytes()
    }

    /// What the server stores (sent when the service registers).
    pub fn public(&self) -> ServicePublic {
        ServicePublic {
            v: MACHINE_FORMAT_VERSION,
            project: self.project(),
            service: self.service(),
            x25519: self.x25519_public(),
            project_signing_key: self.project_signing_key,
            auth_fingerprint: auth_fingerprint(&self.auth),
        }
    }

    /// The credential the service sends with every request:
    /// `vsa1.<service id>.<auth secret base64url>` (secret).
    pub fn auth_header(&self) -> SecretString {
        SecretString::from(format!(
            "{AUTH_PREFIX}{}.{}",
            self.service(),
            B64.encode(self.auth)
        ))
    }

    /// The token's text form (secret: show it once, store it like a
    /// password).
    pub fn to_text(&self) -> SecretString {
        let mut payload = Zeroizing::new([0u8; PAYLOAD_LEN]);
        let parts: [&[u8]; 5] = [
            &self.project,
            &self.service,
            &self.auth,
            &self.x25519,
            &self.project_signing_key,
        ];
        let mut at = 0;
        for p in parts {
            if let Some(dst) = payload.get_mut(at..at + p.len()) {
                dst.copy_from_slice(p);
            }
            at += p.len();
        }
        let check = checksum(&payload[..]);
        SecretString::from(format!(
            "{TOKEN_PREFIX}{}.{}",
            Zeroizing::new(B64.encode(&payload[..])).as_str(),
            B64.encode(check)
        ))
    }

    /// Parses the text form: [`Error::Malformed`] for something that is not
    /// a token, [`Error::UnsupportedVersion`] for a newer format,
    /// [`Error::Checksum`] for a typo. Surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.len() > MAX_TEXT {
            return Err(Error::malformed("service token", "too long"));
        }
        let rest = match text.strip_prefix(TOKEN_PREFIX) {
            Some(r) => r,
            None if text.starts_with("vst") && text.contains('.') => {
                return Err(Error::UnsupportedVersion {
                    what: "service token",
                    version: 0,
                });
            }
            None => return Err(Error::malformed("service token", "must start with vst1.")),
        };
        let (body, check) = rest
            .split_once('.')
            .ok_or_else(|| Error::malformed("service token", "missing its checksum"))?;
        let payload = Zeroizing::new(
            B64.decode(body)
                .map_err(|_| Error::malformed("service token", "not base64url"))?,
        );
        let check = B64
            .decode(check)
            .map_err(|_| Error::malformed("service token", "checksum is not base64url"))?;
        let payload: &[u8; PAYLOAD_LEN] = payload
            .as_slice()
            .try_into()
            .map_err(|_| Error::Checksum("service token"))?;
        if !bool::from(checksum(payload).ct_eq(&check)) {
            return Err(Error::Checksum("service token"));
        }
        let (project, rest) = payload
            .split_first_chunk::<16>()
            .ok_or(Error::Checksum("service token"))?;
        let (service, rest) = rest
            .split_first_chunk::<16>()
            .ok_or(Error::Checksum("service token"))?;
        let (auth, rest) = rest
            .split_first_chunk::<32>()
            .ok_or(Error::Checksum("service token"))?;
        let (x25519, rest) = rest
            .split_first_chunk::<32>()
            .ok_or(Error::Checksum("service token"))?;
        let (signing, _) = rest
            .split_first_chunk::<32>()
            .ok_or(Error::Checksum("service token"))?;
        Ok(ServiceToken {
            project: *project,
            service: *service,
            auth: *auth,
            x25519: *x25519,
            project_signing_key: *signing,
        })
    }
}

impl ServicePublic {
    /// Checks the format version and refuses a low-order X25519 key (grants
    /// sealed to it would be readable by anyone).
    pub fn verify(&self) -> Result<()> {
        if self.v != MACHINE_FORMAT_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "service public key",
                version: self.v,
            });
        }
        super::check_contributory(&self.x25519, "low-order service X25519 key")
    }

    /// The fingerprint the service prints when it registers and an admin
    /// compares before approving: six groups of five digits over the
    /// project, the service id and its X25519 key.
    pub fn fingerprint(&self) -> String {
        digit_fingerprint(
            b"VLT1 service fingerprint",
            &[
                self.project.as_bytes(),
                self.service.as_bytes(),
                &self.x25519,
            ],
        )
    }

    /// Whether `expected` is this service's fingerprint (digits only,
    /// constant time).
    pub fn fingerprint_matches(&self, expected: &str) -> bool {
        digits_match(&self.fingerprint(), expected)
    }

    /// Checks an auth header (`vsa1.<service>.<secret>`) against this
    /// service: the id must be this one and the secret's fingerprint equal
    /// the stored one (compared in constant time). One error for every
    /// failure: [`Error::AuthenticationFailed`].
    pub fn check_auth(&self, header: &str) -> Result<()> {
        let (service, secret) = parse_auth_header(header)?;
        let fp = auth_fingerprint(&secret);
        let same_fp: bool = fp.ct_eq(&self.auth_fingerprint).into();
        if service == self.service && same_fp {
            Ok(())
        } else {
            Err(Error::AuthenticationFailed)
        }
    }
}

/// Splits an auth header into the service id it names and its secret
/// (for the server to look the service up before [`ServicePublic::check_auth`]).
/// [`Error::AuthenticationFailed`] for anything malformed.
pub fn parse_auth_header(header: &str) -> Result<(ServiceId, Zeroizing<[u8; 32]>)> {
    let fail = || Error::AuthenticationFailed;
    let rest = header.trim().strip_prefix(AUTH_PREFIX).ok_or_else(fail)?;
    let (id, secret) = rest.split_once('.').ok_or_else(fail)?;
    let service: ServiceId = id.parse().map_err(|_| fail())?;
    let bytes = Zeroizing::new(B64.decode(secret).map_err(|_| fail())?);
    let secret: [u8; 32] = bytes.as_slice().try_into().map_err(|_| fail())?;
    Ok((service, Zeroizing::new(secret)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn token() -> ServiceToken {
        ServiceToken::generate(VaultId([1; 16]), [2; 32], &mut crate::rng::os_rng())
    }

    #[test]
    fn text_round_trips_and_catches_typos() {
        let t = token();
        let text = t.to_text();
        let s = text.expose_secret();
        assert_eq!(s.len(), 5 + 171 + 1 + 6);
        let back = ServiceToken::parse(&format!("  {s}\n")).unwrap();
        assert_eq!(back.to_text().expose_secret(), s);
        // Every single-character change is caught.
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for i in 5..s.len() {
            if s.as_bytes()[i] == b'.' {
                continue;
            }
            let mut b = s.as_bytes().to_vec();
            b[i] = if b[i] == alphabet[0] {
                alphabet[1]
            } else {
                alphabet[0]
            };
            let typo = String::from_utf8(b).unwrap();
            assert!(ServiceToken::parse(&typo).is_err(), "position {i}");
        }
        assert!(matches!(
            ServiceToken::parse(&s[..s.len() - 3]),
            Err(Error::Checksum(_) | Error::Malformed { .. })
        ));
        assert!(matches!(
            ServiceToken::parse("vst2.abc.def"),
            Err(Error::UnsupportedVersion { .. })
        ));
        assert!(matches!(
            ServiceToken::parse("hello"),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            ServiceToken::parse(""),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn auth_header_checks_in_constant_time_and_says_nothing() {
        let t = token();
        let public = t.public();
        assert!(public.check_auth(t.auth_header().expose_secret()).is_ok());
        let other = token();
        for bad in [
            other.auth_header().expose_secret().to_owned(),
            format!("vsa1.{}.{}", t.service(), B64.encode([0u8; 32])),
            format!("vsa1.{}", t.service()),
            "Bearer x".to_owned(),
            String::new(),
        ] {
            assert!(
                matches!(public.check_auth(&bad), Err(Error::AuthenticationFailed)),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let t = token();
        let dbg = format!("{t:?} {t:#?}");
        assert!(!dbg.contains(&B64.encode(t.auth)));
        assert!(!dbg.contains(&B64.encode(t.x25519)));
        assert!(!dbg.contains(t.to_text().expose_secret()));
    }
}
