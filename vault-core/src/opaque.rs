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

use crate::encoding::{b64_decode, b64_encode};
use crate::error::{Error, Result};
use crate::secret::{SecretBytes, SecretString, SymmetricKey};
use core::fmt;
use core::marker::PhantomData;
use opaque_ke::errors::ProtocolError;
use opaque_ke::{
    ClientLoginFinishParameters, ClientRegistrationFinishParameters, Identifiers,
    ServerLoginParameters,
};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

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

// ---------------------------------------------------------------------------
// Wire encoding shared by every message type
// ---------------------------------------------------------------------------

/// One message type's RFC 9807 bytes and its JSON member name.
trait Wire: Sized {
    /// Name in errors, e.g. "OPAQUE KE1".
    const WHAT: &'static str;
    /// The JSON member that carries the bytes.
    const FIELD: &'static str;
    /// Exact length of the raw encoding.
    const LEN: usize;
    fn raw(&self) -> Zeroizing<Vec<u8>>;
    /// Parses exactly `LEN` bytes (the caller checked the length).
    fn parse(bytes: &[u8]) -> core::result::Result<Self, ProtocolError>;
}

fn from_raw<T: Wire>(bytes: &[u8]) -> Result<T> {
    if bytes.len() != T::LEN {
        return Err(Error::malformed(T::WHAT, "wrong length"));
    }
    T::parse(bytes).map_err(|_| Error::malformed(T::WHAT, "invalid encoding or group element"))
}

fn json_of<T: Wire>(t: &T) -> Zeroizing<String> {
    // Hand-built so it is infallible; base64url and the member names need no escaping.
    let b64 = Zeroizing::new(b64_encode(&t.raw()));
    Zeroizing::new(format!(
        "{{\"v\":{OPAQUE_WIRE_VERSION},\"{}\":\"{}\"}}",
        T::FIELD,
        b64.as_str()
    ))
}

/// What a JSON object held, before any meaning is checked.
struct Parts {
    v: Option<u8>,
    payload: Option<Zeroizing<String>>,
    stray: bool,
}

struct PartsVisitor<T>(PhantomData<T>);

impl<'de, T: Wire> serde::de::Visitor<'de> for PartsVisitor<T> {
    type Value = Parts;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object {{\"v\": 1, \"{}\": base64url}}", T::FIELD)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> core::result::Result<Parts, A::Error> {
        use serde::de::Error as _;
        let mut parts = Parts {
            v: None,
            payload: None,
            stray: false,
        };
        while let Some(key) = map.next_key::<String>()? {
            if key.as_str() == "v" {
                if parts.v.is_some() {
                    return Err(A::Error::duplicate_field("v"));
                }
                parts.v = Some(map.next_value()?);
            } else if key.as_str() == T::FIELD {
                if parts.payload.is_some() {
                    return Err(A::Error::duplicate_field(T::FIELD));
                }
                parts.payload = Some(Zeroizing::new(map.next_value::<String>()?));
            } else {
                // Remembered, not failed on yet: a newer version may name its
                // members differently and deserves UnsupportedVersion.
                parts.stray = true;
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(parts)
    }
}

fn from_parts<T: Wire>(parts: Parts) -> Result<T> {
    let v = parts
        .v
        .ok_or_else(|| Error::malformed(T::WHAT, "missing version"))?;
    if v != OPAQUE_WIRE_VERSION {
        return Err(Error::UnsupportedVersion {
            what: T::WHAT,
            version: v,
        });
    }
    if parts.stray {
        return Err(Error::malformed(T::WHAT, "unknown member"));
    }
    let text = parts
        .payload
        .ok_or_else(|| Error::malformed(T::WHAT, "missing payload"))?;
    let bytes = Zeroizing::new(b64_decode(&text, T::WHAT)?);
    from_raw(&bytes)
}

fn from_json<T: Wire>(json: &str) -> Result<T> {
    use serde::Deserializer as _;
    let mut de = serde_json::Deserializer::from_slice(json.as_bytes());
    let parts = (&mut de)
        .deserialize_map(PartsVisitor::<T>(PhantomData))
        .map_err(|_| Error::malformed(T::WHAT, "invalid JSON"))?;
    de.end()
        .map_err(|_| Error::malformed(T::WHAT, "trailing characters after JSON"))?;
    from_parts(parts)
}

fn serialize_wire<T: Wire, S: serde::Serializer>(
    t: &T,
    s: S,
) -> core::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct as _;
    let b64 = Zeroizing::new(b64_encode(&t.raw()));
    let mut st = s.serialize_struct(T::WHAT, 2)?;
    st.serialize_field("v", &OPAQUE_WIRE_VERSION)?;
    st.serialize_field(T::FIELD, b64.as_str())?;
    st.end()
}

fn deserialize_wire<'de, T: Wire, D: serde::Deserializer<'de>>(
    d: D,
) -> core::result::Result<T, D::Error> {
    let parts = d.deserialize_map(PartsVisitor::<T>(PhantomData))?;
    from_parts(parts).map_err(serde::de::Error::custom)
}

/// Implements serde, JSON and raw-byte conversions for a wire type. Public
/// messages get `to_json() -> String`; secrets get `to_json() -> SecretString`.
macro_rules! wire_impls {
    ($ty:ident, public) => {
        wire_impls!(@common $ty);
        impl $ty {
            /// The versioned JSON encoding (see the module docs for the shape).
            pub fn to_json(&self) -> String {
                String::clone(&json_of(self))
            }
            /// The raw RFC 9807 encoding, without the version wrapper.
            pub fn to_bytes(&self) -> Vec<u8> {
                Vec::clone(&self.raw())
            }
        }
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                *self.raw() == *other.raw()
            }
        }
        impl Eq for $ty {}
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($ty), b64_encode(&self.raw()))
            }
        }
    };
    ($ty:ident, secret) => {
        wire_impls!(@common $ty);
        impl $ty {
            /// The versioned JSON encoding (see the module docs for the
            /// shape). It contains secrets: store it as one.
            pub fn to_json(&self) -> SecretString {
                SecretString::from(String::clone(&json_of(self)))
            }
            /// The raw encoding, without the version wrapper. Secret.
            pub fn to_bytes(&self) -> SecretBytes {
                SecretBytes::from(self.raw())
            }
        }
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(<redacted>)", stringify!($ty))
            }
        }
    };
    (@common $ty:ident) => {
        impl $ty {
            /// Parses the versioned JSON encoding. Never panics: bad input
            /// is [`Error::Malformed`], a newer version [`Error::UnsupportedVersion`].
            pub fn from_json(json: &str) -> Result<Self> {
                from_json(json)
            }
            /// Parses the raw RFC 9807 encoding (exact length, valid group elements).
            pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
                from_raw(bytes)
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> core::result::Result<S::Ok, S::Error> {
                serialize_wire(self, s)
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(
                d: D,
            ) -> core::result::Result<Self, D::Error> {
                deserialize_wire(d)
            }
        }
    };
}

// ---------------------------------------------------------------------------
// Server setup
// ---------------------------------------------------------------------------

/// The server's long-term OPAQUE secrets: the OPRF seed (64 bytes), the 3DH
/// private key (32 bytes) and the public key opaque-ke uses for fake records
/// (32 bytes). Generate once per deployment and persist it as a secret;
/// every record depends on it.
///
/// Zeroized on drop (by opaque-ke), redacted in `Debug`.
///
/// ```
/// use vault_core::opaque::ServerSetup;
/// let setup = ServerSetup::generate(&mut vault_core::rng::os_rng());
/// let saved = setup.to_json(); // a SecretString: keep it like a key
/// let again = ServerSetup::from_json(saved.expose_secret())?;
/// assert_eq!(again.public_key(), setup.public_key());
/// assert_eq!(format!("{setup:?}"), "ServerSetup(<redacted>)");
/// # Ok::<(), vault_core::Error>(())
/// ```
#[derive(Clone)]
pub struct ServerSetup(opaque_ke::ServerSetup<Suite>);

impl Wire for ServerSetup {
    const WHAT: &'static str = "OPAQUE server setup";
    const FIELD: &'static str = "server_setup";
    const LEN: usize = 128;
    fn raw(&self) -> Zeroizing<Vec<u8>> {
        let mut a = self.0.serialize();
        let v = Zeroizing::new(a.to_vec());
        a.as_mut_slice().zeroize();
        v
    }
    fn parse(bytes: &[u8]) -> core::result::Result<Self, ProtocolError> {
        opaque_ke::ServerSetup::deserialize(bytes).map(ServerSetup)
    }
}
wire_impls!(ServerSetup, secret);

impl ServerSetup {
    /// Draws a fresh OPRF seed and key pair.
    pub fn generate(rng: &mut impl rand_core::CryptoRng) -> Self {
        ServerSetup(opaque_ke::ServerSetup::new(&mut RngAdapter::new(rng)))
    }

    /// The server's long-term public key (ristretto255). Clients learn it
    /// from their envelope at login; publishing it lets them pin it.
    pub fn public_key(&self) -> [u8; 32] {
        public_key_bytes(self.0.keypair().public())
    }

    /// Registration, server side: evaluates the OPRF on the client's blinded
    /// auth key under the key derived for `identifier`. Stateless: the server
    /// keeps nothing until the [`RegistrationRecord`] arrives.
    ///
    /// Registration is not authenticated by OPAQUE itself; run it only over
    /// a channel where the server knows who is registering (sign-up, or a
    /// logged-in session for a password change).
    pub fn registration_response(
        &self,
        identifier: &str,
        request: &RegistrationRequest,
    ) -> Result<RegistrationResponse> {
        let id = check_identifier(identifier)?;
        let res = opaque_ke::ServerRegistration::<Suite>::start(&self.0, request.0.clone(), id)
            .map_err(protocol_err)?;
        Ok(RegistrationResponse(res.message))
    }
}

// ---------------------------------------------------------------------------
// Registration messages
// ---------------------------------------------------------------------------

/// Registration message 1, client → server: the blinded auth key (32 bytes).
#[derive(Clone)]
pub struct RegistrationRequest(opaque_ke::RegistrationRequest<Suite>);

impl Wire for RegistrationRequest {
    const WHAT: &'static str = "OPAQUE registration request";
    const FIELD: &'static str = "registration_request";
    const LEN: usize = 32;
    fn raw(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.serialize().to_vec())
    }
    fn parse(bytes: &[u8]) -> core::result::Result<Self, ProtocolError> {
        opaque_ke::RegistrationRequest::deserialize(bytes).map(RegistrationRequest)
    }
}
wire_impls!(RegistrationRequest, public);

/// Registration message 2, server → client: the OPRF evaluation and the
/// server's public key (64 bytes).
#[derive(Clone)]
pub struct RegistrationResponse(opaque_ke::RegistrationResponse<Suite>);

impl Wire for RegistrationResponse {
    const WHAT: &'static str = "OPAQUE registration response";
    const FIELD: &'static str = "registration_response";
    const LEN: usize = 64;
    fn raw(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.serialize().to_vec())
    }
    fn parse(bytes: &[u8]) -> core::result::Result<Self, ProtocolError> {
        opaque_ke::RegistrationResponse::deserialize(bytes).map(RegistrationResponse)
    }
}
wire_impls!(RegistrationResponse, public);

/// Registration message 3, client → server, and what the server stores per
/// account (RFC 9807's registration record / password file): the client's
/// public key, the masking key and the envelope (192 bytes).
///
/// Not a password equivalent, but together with the [`ServerSetup`] it allows
/// offline guessing, so it is redacted in `Debug` and compared in constant
/// time. A password change replaces it.
#[derive(Clone)]
pub struct RegistrationRecord(opaque_ke::ServerRegistration<Suite>);

impl Wire for RegistrationRecord {
    const WHAT: &'static str = "OPAQUE registration record";
    const FIELD: &'static str = "registration_record";
    const LEN: usize = 192;
    fn raw(&self) -> Zeroizing<Vec<u8>> {
        let mut a = self.0.serialize();
        let v = Zeroizing::new(a.to_vec());
        a.as_mut_slice().zeroize();
        v
    }
    fn parse(bytes: &[u8]) -> core::result::Result<Self, ProtocolError> {
        opaque_ke::ServerRegistration::deserialize(bytes).map(RegistrationRecord)
    }
}
wire_impls!(@common RegistrationRecord);

impl RegistrationRecord {
    /// The versioned JSON encoding (see the module docs for the shape).
    pub fn to_json(&self) -> String {
        String::clone(&json_of(self))
    }
    /// The raw RFC 9807 encoding, without the version wrapper.
    pub fn to_bytes(&self) -> Vec<u8> {
        Vec::clone(&self.raw())
    }
}

impl PartialEq for RegistrationRecord {
    fn eq(&self, other: &Self) -> bool {
        self.raw().ct_eq(&other.raw()).into()
    }
}
impl Eq for RegistrationRecord {}

impl fmt::Debug for RegistrationRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RegistrationRecord(<redacted>)")
    }
}

// ---------------------------------------------------------------------------
// Registration, client side
// ---------------------------------------------------------------------------

/// Client registration state between [`ClientRegistration::start`] and
/// [`ClientRegistration::finish`]. Holds the blind and a copy of the auth key;
/// zeroized on drop, redacted in `Debug`, single use.
pub struct ClientRegistration {
    state: opaque_ke::ClientRegistration<Suite>,
    identifier: String,
    auth_key: SymmetricKey,
}

impl fmt::Debug for ClientRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientRegistration(<redacted>)")
    }
}

/// What a finished client registration yields.
#[derive(Debug)]
pub struct ClientRegistrationResult {
    /// Upload this; the server stores it for the account.
    pub record: RegistrationRecord,
    /// RFC 9807 export key (64 bytes): a key only this password and this
    /// record can reproduce at login. Not used by Vault yet (the account key is
    /// wrapped under the master KEK instead); exposed so a later version can
    /// bind data to the OPAQUE registration.
    pub export_key: SecretBytes,
    /// The server's long-term public key from the response, now sealed into
    /// the envelope. A client that knows the server's key can compare it.
    pub server_public_key: [u8; 32],
}

impl ClientRegistration {
    /// Starts registration (or a password change) for `identifier` with
    /// `auth_key` ([`MasterKeys::auth_key`](crate::kdf::MasterKeys)).
    pub fn start(
        identifier: &str,
        auth_key: &SymmetricKey,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(Self, RegistrationRequest)> {
        check_identifier(identifier)?;
        let res = opaque_ke::ClientRegistration::<Suite>::start(
            &mut RngAdapter::new(rng),
            auth_key.expose_secret(),
        )
        .map_err(protocol_err)?;
        Ok((
            ClientRegistration {
                state: res.state,
                identifier: identifier.to_owned(),
                auth_key: auth_key.clone(),
            },
            RegistrationRequest(res.message),
        ))
    }

    /// Finishes registration with the server's response: seals the envelope
    /// and returns the record to upload. Consumes the state.
    pub fn finish(
        self,
        response: &RegistrationResponse,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<ClientRegistrationResult> {
        let ClientRegistration {
            state,
            identifier,
            auth_key,
        } = self;
        let params =
            ClientRegistrationFinishParameters::new(identifiers(identifier.as_bytes()), None);
        let res = state
            .finish(
                &mut RngAdapter::new(rng),
                auth_key.expose_secret(),
                response.0.clone(),
                params,
            )
            .map_err(protocol_err)?;
        Ok(ClientRegistrationResult {
            record: RegistrationRecord(opaque_ke::ServerRegistration::finish(res.message)),
            export_key: take_secret(res.export_key),
            server_public_key: public_key_bytes(&res.server_s_pk),
        })
    }
}

// ---------------------------------------------------------------------------
// Login messages
// ---------------------------------------------------------------------------

/// Login message 1, client → server (RFC 9807 KE1: blinded auth key, client
/// nonce, client ephemeral key; 96 bytes).
///
/// ```
/// use vault_core::opaque::{ClientLogin, Ke1};
/// let key = vault_core::SymmetricKey::from_bytes([1; 32]);
/// let (_state, ke1) = ClientLogin::start("alice", &key, &mut vault_core::rng::os_rng())?;
/// let json = ke1.to_json(); // {"v":1,"ke1":"<128 base64url characters>"}
/// assert!(json.starts_with(r#"{"v":1,"ke1":""#) && json.len() == 144);
/// assert_eq!(Ke1::from_json(&json)?, ke1);
/// assert!(Ke1::from_json(r#"{"v":1,"ke1":"AAAA"}"#).is_err());
/// # Ok::<(), vault_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Ke1(opaque_ke::CredentialRequest<Suite>);

impl Wire for Ke1 {
    const WHAT: &'static str = "OPAQUE KE1";
    const FIELD: &'static str = "ke1";
    const LEN: usize = 96;
    fn raw(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.serialize().to_vec())
    }
    fn parse(bytes: &[u8]) -> core::result::Result<Self, ProtocolError> {
        opaque_ke::CredentialRequest::deserialize(bytes).map(Ke1)
    }
}
wire_impls!(Ke1, public);

/// Login message 2, server → client (RFC 9807 KE2: OPRF evaluation, masked
/// envelope, server nonce, server ephemeral key, server MAC; 320 bytes).
/// Real and fake records give the same size and shape.
#[derive(Clone)]
pub struct Ke2(opaque_ke::CredentialResponse<Suite>);

impl Wire for Ke2 {
    const WHAT: &'static str = "OPAQUE KE2";
    const FIELD: &'static str = "ke2";
    const LEN: usize = 320;
    fn raw(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.serialize().to_vec())
    }
    fn parse(bytes: &[u8]) -> core::result::Result<Self, ProtocolError> {
        opaque_ke::CredentialResponse::deserialize(bytes).map(Ke2)
    }
}
wire_impls!(Ke2, public);

/// Login message 3, client → server (RFC 9807 KE3: the client MAC; 64 bytes).
#[derive(Clone)]
pub struct Ke3(opaque_ke::CredentialFinalization<Suite>);

impl Wire for Ke3 {
    const WHAT: &'static str = "OPAQUE KE3";
    const FIELD: &'static str = "ke3";
    const LEN: usize = 64;
    fn raw(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.serialize().to_vec())
    }
    fn parse(bytes: &[u8]) -> core::result::Result<Self, ProtocolError> {
        opaque_ke::CredentialFinalization::deserialize(bytes).map(Ke3)
    }
}
wire_impls!(Ke3, public);

// ---------------------------------------------------------------------------
// Login, client side
// ---------------------------------------------------------------------------

/// Client login state between [`ClientLogin::start`] and
/// [`ClientLogin::finish`]. Zeroized on drop, redacted in `Debug`, single use.
pub struct ClientLogin {
    state: opaque_ke::ClientLogin<Suite>,
    identifier: String,
    auth_key: SymmetricKey,
}

impl fmt::Debug for ClientLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientLogin(<redacted>)")
    }
}

/// What a successful client login yields.
#[derive(Debug)]
pub struct ClientLoginResult {
    /// Send this to the server to finish.
    pub ke3: Ke3,
    /// The session key (64 bytes), equal to what [`ServerLogin::finish`]
    /// returns. The server binds its token to it.
    pub session_key: SecretBytes,
    /// RFC 9807 export key (64 bytes), the same as at registration. Not used
    /// by Vault yet.
    pub export_key: SecretBytes,
    /// The server's long-term public key, authenticated by the envelope (so
    /// by the password). A client may pin it.
    pub server_public_key: [u8; 32],
}

impl ClientLogin {
    /// Starts a login for `identifier` with `auth_key`.
    pub fn start(
        identifier: &str,
        auth_key: &SymmetricKey,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(Self, Ke1)> {
        check_identifier(identifier)?;
        let res = opaque_ke::ClientLogin::<Suite>::start(
            &mut RngAdapter::new(rng),
            auth_key.expose_secret(),
        )
        .map_err(protocol_err)?;
        Ok((
            ClientLogin {
                state: res.state,
                identifier: identifier.to_owned(),
                auth_key: auth_key.clone(),
            },
            Ke1(res.message),
        ))
    }

    /// Finishes the login with the server's KE2: opens the envelope,
    /// authenticates the server and returns KE3 plus the keys. A wrong
    /// password, an unknown account (fake record) and a tampered KE2 all give
    /// [`Error::AuthenticationFailed`]. Consumes the state.
    ///
    /// opaque-ke's API takes an RNG here; the 3DH suite draws nothing from it.
    pub fn finish(
        self,
        ke2: &Ke2,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<ClientLoginResult> {
        let ClientLogin {
            state,
            identifier,
            auth_key,
        } = self;
        let params = ClientLoginFinishParameters::new(
            Some(CONTEXT),
            identifiers(identifier.as_bytes()),
            None,
        );
        let res = state
            .finish(
                &mut RngAdapter::new(rng),
                auth_key.expose_secret(),
                ke2.0.clone(),
                params,
            )
            .map_err(protocol_err)?;
        Ok(ClientLoginResult {
            ke3: Ke3(res.message),
            session_key: take_secret(res.session_key),
            export_key: take_secret(res.export_key),
            server_public_key: public_key_bytes(&res.server_s_pk),
        })
    }
}

// ---------------------------------------------------------------------------
// Login, server side
// ---------------------------------------------------------------------------

/// Server login state between [`ServerLogin::start`] (KE2 sent) and
/// [`ServerLogin::finish`] (KE3 received): the session key and the MAC the
/// client must send. Serialisable so the server can persist it between the
/// two requests; secret (zeroized on drop, redacted in `Debug`).
///
/// `finish` consumes it, so in memory it cannot be finished twice:
///
/// ```compile_fail,E0382
/// # use vault_core::opaque::*;
/// # fn f(server: ServerLogin, ke3: &Ke3) {
/// let _ = server.finish(ke3);
/// let _ = server.finish(ke3); // error: use of moved value
/// # }
/// ```
///
/// A persisted copy can be, though: the server must delete the stored state
/// when it loads it for `finish` (one atomic take), and expire it quickly.
///
/// ```
/// use vault_core::opaque::*;
/// # let mut rng = vault_core::rng::os_rng();
/// # let setup = ServerSetup::generate(&mut rng);
/// # let key = vault_core::SymmetricKey::from_bytes([1; 32]);
/// # let (c, req) = ClientRegistration::start("alice", &key, &mut rng)?;
/// # let record = c.finish(&setup.registration_response("alice", &req)?, &mut rng)?.record;
/// # let (client, ke1) = ClientLogin::start("alice", &key, &mut rng)?;
/// // Request 1: answer KE1, keep the state until KE3 arrives.
/// let (state, ke2) = ServerLogin::start(&setup, "alice", Some(&record), &ke1, &mut rng)?;
/// let stored = state.to_json(); // a SecretString, e.g. into a short-lived row
/// # let ke3 = client.finish(&ke2, &mut rng)?.ke3;
/// // Request 2: take the state out of storage and finish.
/// let session_key = ServerLogin::from_json(stored.expose_secret())?.finish(&ke3)?;
/// assert_eq!(session_key.len(), 64);
/// # Ok::<(), vault_core::Error>(())
/// ```
#[derive(Clone)]
pub struct ServerLogin(opaque_ke::ServerLogin<Suite>);

impl Wire for ServerLogin {
    const WHAT: &'static str = "OPAQUE server login state";
    const FIELD: &'static str = "server_login";
    const LEN: usize = 128;
    fn raw(&self) -> Zeroizing<Vec<u8>> {
        let mut a = self.0.serialize();
        let v = Zeroizing::new(a.to_vec());
        a.as_mut_slice().zeroize();
        v
    }
    fn parse(bytes: &[u8]) -> core::result::Result<Self, ProtocolError> {
        opaque_ke::ServerLogin::deserialize(bytes).map(ServerLogin)
    }
}
wire_impls!(ServerLogin, secret);

impl ServerLogin {
    /// Answers KE1 for `identifier`. Pass the stored record, or `None` when
    /// the account does not exist: opaque-ke then answers from a fake record,
    /// indistinguishable from a real one, and the login fails later exactly
    /// like a wrong password.
    pub fn start(
        setup: &ServerSetup,
        identifier: &str,
        record: Option<&RegistrationRecord>,
        ke1: &Ke1,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(Self, Ke2)> {
        let id = check_identifier(identifier)?;
        let params = ServerLoginParameters {
            context: Some(CONTEXT),
            identifiers: identifiers(id),
        };
        let res = opaque_ke::ServerLogin::start(
            &mut RngAdapter::new(rng),
            &setup.0,
            record.map(|r| r.0.clone()),
            ke1.0.clone(),
            id,
            params,
        )
        .map_err(protocol_err)?;
        Ok((ServerLogin(res.state), Ke2(res.message)))
    }

    /// Checks the client's KE3 and returns the session key (64 bytes).
    /// A wrong MAC (wrong password, unknown account, tampering, a KE3 from
    /// another session) is [`Error::AuthenticationFailed`].
    pub fn finish(self, ke3: &Ke3) -> Result<SecretBytes> {
        let res = self
            .0
            .finish(ke3.0.clone(), ServerLoginParameters::default())
            .map_err(protocol_err)?;
        Ok(take_secret(res.session_key))
    }
}
