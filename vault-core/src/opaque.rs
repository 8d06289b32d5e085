//! OPAQUE (RFC 9807) client and server halves as sans-IO state machines.
//!
//! Every step takes a message in and gives a message out; nothing here does
//! IO or keeps time, and randomness is injected. The server crate only stores
//! what these functions return.
//!
//! ## Ciphersuite
//!
//! [`Suite`]: OPRF ristretto255-SHA512, key exchange 3DH over ristretto255
//! with SHA-512 (HKDF-SHA512, HMAC-SHA512), KSF = Identity. This is the first
//! RFC 9807 Appendix C suite, and `tests/opaque.rs` checks it against those
//! vectors.
//!
//! ### Why the KSF is the identity
//!
//! The OPAQUE password input is not the password. It is the **auth key**
//! ([`MasterKeys::auth_key`](crate::kdf::MasterKeys)): HKDF of the Argon2id
//! output under the account's salt and KDF params. The client has already paid
//! for one memory-hard function before OPAQUE starts, so a second one inside
//! OPAQUE (applied to the OPRF output) would double the login cost on the
//! device. It would not make an attacker who steals the server database pay
//! more per guess, because the database also holds the account key wrapped
//! under the master KEK, which comes from the same Argon2id output. Testing a
//! guess against that wrapped key costs one Argon2id plus an HKDF and an AEAD
//! open, whatever KSF OPAQUE uses. For the same reason, an inner KSF would not
//! bring back OPAQUE's resistance to precomputation: pre-login hands out the
//! Argon2id salt, and the wrapped key is a test that does not need the OPRF
//! key. Identity it is. OPAQUE still adds what SRP lacks: nothing the server
//! receives can be tested against a guess without the server's OPRF seed, so a
//! record stolen without the seed cannot be attacked at all.
//!
//! ## Flow
//!
//! ```text
//! Registration (over an authenticated channel, e.g. at sign-up or password change)
//!   client                                             server
//!   ClientRegistration::start(id, auth_key) ── RegistrationRequest ─▶
//!                          ◀─ RegistrationResponse ── ServerSetup::registration_response(id, req)
//!   ClientRegistration::finish(resp) ────────── RegistrationRecord ─▶ store (replaces any old record)
//!
//! Login
//!   ClientLogin::start(id, auth_key) ─────────────────────── Ke1 ─▶
//!                          ◀─ Ke2 ── ServerLogin::start(setup, id, record or None, ke1)
//!                                    persist ServerLogin (secret, single use)
//!   ClientLogin::finish(ke2) ──────────────────────────────── Ke3 ─▶ ServerLogin::finish(ke3)
//!   → session key, export key                                        → session key
//! ```
//!
//! ## Identities and binding
//!
//! - **Credential identifier** (which OPRF key the server derives from its
//!   seed): the account identifier's UTF-8 bytes, used exactly as given. Both
//!   sides must pass the same canonical form; the core does not normalise it.
//! - **Client identity** (bound into the envelope and the 3DH transcript): the
//!   same identifier bytes. The envelope opens, and the 3DH MACs verify, only
//!   if both sides used the same name, so they agree explicitly on the account
//!   and the session key is bound to it. Changing the identifier therefore
//!   means registering again, which a new credential identifier needs anyway.
//! - **Server identity**: RFC 9807's default, the server's long-term public
//!   key. The envelope authenticates that key under the password, so a
//!   client cannot be fooled into talking to another key. A server name is not
//!   bound: renaming a deployment would otherwise invalidate every record.
//! - **Context**: [`CONTEXT`] (`"VLT1 OPAQUE"`) goes into the 3DH transcript,
//!   separating these sessions from any other OPAQUE deployment with the same
//!   suite.
//!
//! ## Wire encodings
//!
//! Each message is a JSON object with exactly two members: `"v"` (the format
//! version, [`OPAQUE_WIRE_VERSION`] = 1) and one member named after the
//! message whose value is the RFC 9807 serialisation as unpadded base64url:
//!
//! | type | JSON | raw bytes |
//! |---|---|---|
//! | [`RegistrationRequest`] | `{"v":1,"registration_request":"…"}` | 32 |
//! | [`RegistrationResponse`] | `{"v":1,"registration_response":"…"}` | 64 |
//! | [`RegistrationRecord`] | `{"v":1,"registration_record":"…"}` | 192 |
//! | [`Ke1`] | `{"v":1,"ke1":"…"}` | 96 |
//! | [`Ke2`] | `{"v":1,"ke2":"…"}` | 320 |
//! | [`Ke3`] | `{"v":1,"ke3":"…"}` | 64 |
//! | [`ServerSetup`] (secret) | `{"v":1,"server_setup":"…"}` | 128 |
//! | [`ServerLogin`] (secret) | `{"v":1,"server_login":"…"}` | 128 |
//!
//! The member name differs per type, so one message can never be parsed as
//! another of the same length. Decoders check the version first (an unknown
//! one is [`Error::UnsupportedVersion`]), then reject unknown or duplicate
//! members, bad base64url, a wrong length and invalid group elements with
//! [`Error::Malformed`]. They never panic. The types implement serde with the
//! same shape, so the server crate can embed them in its own JSON bodies.
//!
//! ## What the server stores
//!
//! - One [`ServerSetup`] per deployment: the OPRF seed and the long-term
//!   key pair. **Secret.** Losing it invalidates every record; leaking it,
//!   together with the records, allows offline guessing at Argon2id cost.
//! - One [`RegistrationRecord`] per account. A password change replaces it.
//! - Between KE2 and KE3, one [`ServerLogin`] per login attempt. It holds the
//!   session key: keep it secret, give it a short lifetime, and take it out
//!   of storage atomically when KE3 arrives so it is finished at most once.
//!
//! Unknown identifiers get a KE2 from opaque-ke's fake-record mechanism
//! (`record = None`): same size and shape as a real one, and the login then
//! fails exactly like a wrong password.
//!
//! ## Example
//!
//! ```
//! use vault_core::opaque::*;
//! use vault_core::SymmetricKey;
//! let mut rng = vault_core::rng::os_rng();
//! let setup = ServerSetup::generate(&mut rng);
//! let auth_key = SymmetricKey::from_bytes([7; 32]); // really MasterKeys::auth_key
//!
//! // Registration.
//! let (client, request) = ClientRegistration::start("alice@example.com", &auth_key, &mut rng)?;
//! let response = setup.registration_response("alice@example.com", &request)?;
//! let registered = client.finish(&response, &mut rng)?;
//! let record = registered.record; // the server stores this
//!
//! // Login.
//! let (client, ke1) = ClientLogin::start("alice@example.com", &auth_key, &mut rng)?;
//! let (server, ke2) = ServerLogin::start(&setup, "alice@example.com", Some(&record), &ke1, &mut rng)?;
//! let done = client.finish(&ke2, &mut rng)?;
//! let server_key = server.finish(&done.ke3)?;
//! assert_eq!(done.session_key, server_key);
//! # Ok::<(), vault_core::Error>(())
//! ```

mod client;
mod messages;
mod server;
mod wire;

pub use client::{ClientLogin, ClientLoginResult, ClientRegistration, ClientRegistrationResult};
pub use messages::{Ke1, Ke2, Ke3, RegistrationRecord, RegistrationRequest, RegistrationResponse};
pub use server::{ServerLogin, ServerSetup};

use crate::error::{Error, Result};
use crate::secret::SecretBytes;
use core::fmt;
use opaque_ke::Identifiers;
use opaque_ke::errors::ProtocolError;
use zeroize::Zeroize;

/// Version of every OPAQUE wire encoding in this module (the `"v"` member).
pub const OPAQUE_WIRE_VERSION: u8 = 1;

/// The RFC 9807 `context` both sides put into the 3DH transcript.
pub const CONTEXT: &[u8] = b"VLT1 OPAQUE";

/// Longest account identifier accepted, in bytes. Identifiers are emails or
/// similar; the cap keeps hostile inputs cheap to reject.
pub const MAX_IDENTIFIER_LEN: usize = 1024;

/// The ciphersuite: OPRF ristretto255-SHA512, 3DH over ristretto255 with
/// SHA-512, KSF = Identity (see the module docs for why).
///
/// Exposed so other opaque-ke users (a third-party server, the vector tests)
/// can name exactly the suite Vault speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Suite;

impl opaque_ke::CipherSuite for Suite {
    type OprfCs = opaque_ke::Ristretto255;
    type KeyExchange = opaque_ke::TripleDh<opaque_ke::Ristretto255, sha2_010::Sha512>;
    type Ksf = opaque_ke::ksf::Identity;
}

/// Adapts an injected `rand_core` 0.10 [`CryptoRng`](rand_core::CryptoRng) to
/// the `rand_core` 0.6 traits opaque-ke 4 expects, so opaque-ke draws every
/// random byte from the caller's RNG (seeded RNGs give reproducible transcripts).
///
/// ```
/// use rand_core_06::RngCore as _;
/// let mut rng = vault_core::rng::os_rng();
/// let mut buf = [0u8; 16];
/// vault_core::opaque::RngAdapter::new(&mut rng).fill_bytes(&mut buf);
/// ```
pub struct RngAdapter<'a, R: rand_core::CryptoRng + ?Sized>(&'a mut R);

impl<'a, R: rand_core::CryptoRng + ?Sized> RngAdapter<'a, R> {
    /// Wraps `rng`; every byte opaque-ke asks for comes from it, in order.
    pub fn new(rng: &'a mut R) -> Self {
        RngAdapter(rng)
    }
}

impl<R: rand_core::CryptoRng + ?Sized> fmt::Debug for RngAdapter<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RngAdapter")
    }
}

impl<R: rand_core::CryptoRng + ?Sized> rand_core_06::RngCore for RngAdapter<'_, R> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> core::result::Result<(), rand_core_06::Error> {
        // The 0.10 `CryptoRng` is infallible by type.
        self.0.fill_bytes(dest);
        Ok(())
    }
}

impl<R: rand_core::CryptoRng + ?Sized> rand_core_06::CryptoRng for RngAdapter<'_, R> {}

// ---------------------------------------------------------------------------
// Errors and identifiers
// ---------------------------------------------------------------------------

/// Maps opaque-ke's errors onto ours. A failed MAC or envelope is a wrong
/// password (or a peer that does not know it), nothing more specific.
fn protocol_err(e: ProtocolError) -> Error {
    match e {
        ProtocolError::InvalidLoginError => Error::AuthenticationFailed,
        ProtocolError::ReflectedValueError => {
            Error::InvalidPeerValue("OPAQUE: server reflected the blinded element")
        }
        ProtocolError::SerializationError | ProtocolError::SizeError { .. } => {
            Error::malformed("OPAQUE message", "invalid encoding or group element")
        }
        ProtocolError::LibraryError(_) => Error::InvalidPeerValue("OPAQUE protocol value"),
        ProtocolError::Custom(never) => match never {},
    }
}

fn check_identifier(identifier: &str) -> Result<&[u8]> {
    let b = identifier.as_bytes();
    if b.is_empty() {
        return Err(Error::InvalidArgument("OPAQUE identifier is empty"));
    }
    if b.len() > MAX_IDENTIFIER_LEN {
        return Err(Error::InvalidArgument("OPAQUE identifier is too long"));
    }
    Ok(b)
}

fn identifiers(id: &[u8]) -> Identifiers<'_> {
    Identifiers {
        client: Some(id),
        // None: RFC 9807 then uses the server's public key as its identity.
        server: None,
    }
}

fn public_key_bytes(pk: &opaque_ke::keypair::PublicKey<opaque_ke::Ristretto255>) -> [u8; 32] {
    pk.serialize().into()
}

/// Copies an opaque-ke output (session or export key) into a zeroized secret
/// and wipes the source.
fn take_secret(mut bytes: impl AsMut<[u8]>) -> SecretBytes {
    let out = SecretBytes::from(bytes.as_mut().to_vec());
    bytes.as_mut().zeroize();
    out
}
