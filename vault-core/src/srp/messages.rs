//! The SRP wire messages: versioned serde structs with unpadded base64url
//! binary fields. Every constructor and decoder validates, so a value of one of
//! these types is always well formed (lengths, ranges, version), whichever way
//! it was made: `new`, `from_json`, or serde inside a larger JSON document.

use super::groups::SrpGroup;
use super::math;
use crate::encoding::b64_vec;
use crate::error::{Error, Result};
use core::fmt;

/// Version of every SRP wire message and of the persisted server state.
/// Version 1 means SHA-256 and the encodings documented in [`crate::srp`].
pub const SRP_WIRE_VERSION: u8 = 1;
/// Length of the SRP salt `s` in bytes.
pub const SALT_LEN: usize = 16;
/// Length of the secret ephemerals `a` and `b` in bytes (384 bits).
pub const EPHEMERAL_LEN: usize = 48;
/// Length of `M1`, `M2` and the session key `K` in wire version 1 (SHA-256).
pub const PROOF_LEN: usize = 32;
/// Longest identifier `I` accepted, in UTF-8 bytes.
pub const MAX_IDENTIFIER_LEN: usize = 256;

pub(crate) fn check_version(v: u8, what: &'static str) -> Result<()> {
    if v != SRP_WIRE_VERSION {
        return Err(Error::UnsupportedVersion { what, version: v });
    }
    Ok(())
}

pub(crate) fn check_identifier(identifier: &str, what: &'static str) -> Result<()> {
    if identifier.is_empty() || identifier.len() > MAX_IDENTIFIER_LEN {
        return Err(Error::malformed(what, "identifier must be 1 to 256 bytes"));
    }
    Ok(())
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    json: &str,
    what: &'static str,
) -> Result<T> {
    crate::encoding::json_from_str(json).map_err(|_| Error::malformed(what, "invalid JSON"))
}

pub(crate) fn write_json<T: serde::Serialize>(value: &T) -> String {
    // Serialising these structs (strings, integers, enums) cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

macro_rules! json_methods {
    ($ty:ident, $wire:ident, $what:literal) => {
        impl $ty {
            /// The JSON form (see the module docs for the exact shape).
            pub fn to_json(&self) -> String {
                write_json(self)
            }

            /// Parses and validates the JSON form. Never panics; rejects unknown
            /// fields, other versions, wrong lengths and out-of-range values.
            pub fn from_json(json: &str) -> Result<Self> {
                let wire: $wire = parse_json(json, $what)?;
                Self::try_from(wire)
            }
        }
    };
}

// ---------------------------------------------------------------------------

/// What the server stores per account after SRP registration (and again after
/// every password change): the group, the salt `s` and the verifier `v`.
///
/// JSON: `{"v":1,"group":"rfc5054-3072","salt":"<16 B>","verifier":"<len(N) B>"}`.
/// The verifier is `PAD(v)`, exactly `len(N)` bytes. `Debug` omits it: it is
/// not secret from the server, but it allows offline guessing, so keep it out
/// of logs.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RegistrationWire")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SrpRegistration {
    v: u8,
    group: SrpGroup,
    #[serde(with = "crate::encoding::b64_array")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    salt: [u8; SALT_LEN],
    #[serde(with = "b64_vec")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    verifier: Vec<u8>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistrationWire {
    v: u8,
    group: SrpGroup,
    #[serde(with = "b64_vec")]
    salt: Vec<u8>,
    #[serde(with = "b64_vec")]
    verifier: Vec<u8>,
}

impl TryFrom<RegistrationWire> for SrpRegistration {
    type Error = Error;
    fn try_from(w: RegistrationWire) -> Result<Self> {
        const WHAT: &str = "SRP registration";
        check_version(w.v, WHAT)?;
        let salt: [u8; SALT_LEN] = w
            .salt
            .as_slice()
            .try_into()
            .map_err(|_| Error::malformed(WHAT, "salt must be 16 bytes"))?;
        SrpRegistration::new(w.group, salt, w.verifier)
    }
}

json_methods!(SrpRegistration, RegistrationWire, "SRP registration");

impl SrpRegistration {
    /// Builds a record from its parts, checking `verifier` is `len(N)` bytes
    /// and in `[1, N)` (for importing verifiers made by another SRP client).
    pub fn new(group: SrpGroup, salt: [u8; SALT_LEN], verifier: Vec<u8>) -> Result<Self> {
        let gp = group.params()?;
        math::check_public(&verifier, gp, "SRP verifier")?;
        Ok(SrpRegistration {
            v: SRP_WIRE_VERSION,
            group,
            salt,
            verifier,
        })
    }
    /// The group the verifier lives in.
    pub fn group(&self) -> SrpGroup {
        self.group
    }
    /// The salt `s`.
    pub fn salt(&self) -> &[u8; SALT_LEN] {
        &self.salt
    }
    /// `PAD(v)`, `len(N)` bytes.
    pub fn verifier(&self) -> &[u8] {
        &self.verifier
    }
}

impl fmt::Debug for SrpRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrpRegistration")
            .field("group", &self.group)
            .field("salt", &crate::encoding::b64_encode(&self.salt))
            .field("verifier", &"<omitted>")
            .finish()
    }
}

// ---------------------------------------------------------------------------

/// Login step 1, client → server: who is logging in, and `A`.
///
/// JSON: `{"v":1,"group":"rfc5054-3072","identifier":"alice@example.com","a_pub":"<len(N) B>"}`.
/// `a_pub` is `PAD(A)`: exactly `len(N)` bytes, `0 < A < N`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "ClientHelloWire")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "SrpClientHello"))]
pub struct ClientHello {
    v: u8,
    group: SrpGroup,
    identifier: String,
    #[serde(with = "b64_vec")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    a_pub: Vec<u8>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientHelloWire {
    v: u8,
    group: SrpGroup,
    identifier: String,
    #[serde(with = "b64_vec")]
    a_pub: Vec<u8>,
}

impl TryFrom<ClientHelloWire> for ClientHello {
    type Error = Error;
    fn try_from(w: ClientHelloWire) -> Result<Self> {
        check_version(w.v, "SRP client hello")?;
        ClientHello::new(w.group, w.identifier, w.a_pub)
    }
}

json_methods!(ClientHello, ClientHelloWire, "SRP client hello");

impl ClientHello {
    /// Builds the message from parts (for bridging another SRP client),
    /// checking the identifier length and that `a_pub` is `PAD(A)` with
    /// `0 < A < N`. Left-pad a minimal `A` to `len(N)` bytes first.
    pub fn new(group: SrpGroup, identifier: String, a_pub: Vec<u8>) -> Result<Self> {
        check_identifier(&identifier, "SRP client hello")?;
        math::check_public(&a_pub, group.params()?, "SRP A")?;
        Ok(ClientHello {
            v: SRP_WIRE_VERSION,
            group,
            identifier,
            a_pub,
        })
    }
    /// The group the client computed `A` in.
    pub fn group(&self) -> SrpGroup {
        self.group
    }
    /// The identifier `I` (look the account up by it).
    pub fn identifier(&self) -> &str {
        &self.identifier
    }
    /// `PAD(A)`, `len(N)` bytes.
    pub fn a_pub(&self) -> &[u8] {
        &self.a_pub
    }
}

// ---------------------------------------------------------------------------

/// Login step 2, server → client: the salt and `B`.
///
/// JSON: `{"v":1,"group":"rfc5054-3072","salt":"<16 B>","b_pub":"<len(N) B>"}`.
/// `b_pub` is `PAD(B)`: exactly `len(N)` bytes, `0 < B < N`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "ServerChallengeWire")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "SrpServerChallenge"))]
pub struct ServerChallenge {
    v: u8,
    group: SrpGroup,
    #[serde(with = "crate::encoding::b64_array")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    salt: [u8; SALT_LEN],
    #[serde(with = "b64_vec")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    b_pub: Vec<u8>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerChallengeWire {
    v: u8,
    group: SrpGroup,
    #[serde(with = "b64_vec")]
    salt: Vec<u8>,
    #[serde(with = "b64_vec")]
    b_pub: Vec<u8>,
}

impl TryFrom<ServerChallengeWire> for ServerChallenge {
    type Error = Error;
    fn try_from(w: ServerChallengeWire) -> Result<Self> {
        const WHAT: &str = "SRP server challenge";
        check_version(w.v, WHAT)?;
        let salt: [u8; SALT_LEN] = w
            .salt
            .as_slice()
            .try_into()
            .map_err(|_| Error::malformed(WHAT, "salt must be 16 bytes"))?;
        ServerChallenge::new(w.group, salt, w.b_pub)
    }
}

json_methods!(ServerChallenge, ServerChallengeWire, "SRP server challenge");

impl ServerChallenge {
    /// Builds the message from parts (for bridging another SRP server),
    /// checking that `b_pub` is `PAD(B)` with `0 < B < N`.
    pub fn new(group: SrpGroup, salt: [u8; SALT_LEN], b_pub: Vec<u8>) -> Result<Self> {
        math::check_public(&b_pub, group.params()?, "SRP B")?;
        Ok(ServerChallenge {
            v: SRP_WIRE_VERSION,
            group,
            salt,
            b_pub,
        })
    }
    /// The account's group.
    pub fn group(&self) -> SrpGroup {
        self.group
    }
    /// The salt `s`.
    pub fn salt(&self) -> &[u8; SALT_LEN] {
        &self.salt
    }
    /// `PAD(B)`, `len(N)` bytes.
    pub fn b_pub(&self) -> &[u8] {
        &self.b_pub
    }
}

// ---------------------------------------------------------------------------

/// Login step 3, client → server: the client's proof `M1`.
///
/// JSON: `{"v":1,"m1":"<32 B>"}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "ClientProofWire")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "SrpClientProof"))]
pub struct ClientProof {
    v: u8,
    #[serde(with = "b64_vec")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    m1: Vec<u8>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientProofWire {
    v: u8,
    #[serde(with = "b64_vec")]
    m1: Vec<u8>,
}

impl TryFrom<ClientProofWire> for ClientProof {
    type Error = Error;
    fn try_from(w: ClientProofWire) -> Result<Self> {
        check_version(w.v, "SRP client proof")?;
        ClientProof::new(w.m1)
    }
}

json_methods!(ClientProof, ClientProofWire, "SRP client proof");

impl ClientProof {
    /// Wraps an `M1` of [`PROOF_LEN`] bytes (from another SHA-256 SRP client).
    pub fn new(m1: Vec<u8>) -> Result<Self> {
        if m1.len() != PROOF_LEN {
            return Err(Error::malformed("SRP client proof", "M1 must be 32 bytes"));
        }
        Ok(Self::unchecked(m1))
    }
    /// Any digest length: the state machines build proofs for their own hash.
    pub(crate) fn unchecked(m1: Vec<u8>) -> Self {
        ClientProof {
            v: SRP_WIRE_VERSION,
            m1,
        }
    }
    /// `M1`.
    pub fn m1(&self) -> &[u8] {
        &self.m1
    }
}

/// Login step 4, server → client: the server's proof `M2`.
///
/// JSON: `{"v":1,"m2":"<32 B>"}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "ServerProofWire")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "SrpServerProof"))]
pub struct ServerProof {
    v: u8,
    #[serde(with = "b64_vec")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    m2: Vec<u8>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerProofWire {
    v: u8,
    #[serde(with = "b64_vec")]
    m2: Vec<u8>,
}

impl TryFrom<ServerProofWire> for ServerProof {
    type Error = Error;
    fn try_from(w: ServerProofWire) -> Result<Self> {
        check_version(w.v, "SRP server proof")?;
        ServerProof::new(w.m2)
    }
}

json_methods!(ServerProof, ServerProofWire, "SRP server proof");

impl ServerProof {
    /// Wraps an `M2` of [`PROOF_LEN`] bytes (from another SHA-256 SRP server).
    pub fn new(m2: Vec<u8>) -> Result<Self> {
        if m2.len() != PROOF_LEN {
            return Err(Error::malformed("SRP server proof", "M2 must be 32 bytes"));
        }
        Ok(Self::unchecked(m2))
    }
    pub(crate) fn unchecked(m2: Vec<u8>) -> Self {
        ServerProof {
            v: SRP_WIRE_VERSION,
            m2,
        }
    }
    /// `M2`.
    pub fn m2(&self) -> &[u8] {
        &self.m2
    }
}
