//! The OPAQUE messages that travel between client and server: registration
//! request, response and record, and login KE1, KE2 and KE3.

use super::Suite;
use super::wire::{
    Wire, deserialize_wire, from_json, from_raw, json_of, serialize_wire, wire_impls,
};
use crate::encoding::b64_encode;
use crate::error::Result;
use core::fmt;
use opaque_ke::errors::ProtocolError;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

// ---------------------------------------------------------------------------
// Registration messages
// ---------------------------------------------------------------------------

/// Registration message 1, client → server: the blinded auth key (32 bytes).
#[derive(Clone)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(
        rename = "OpaqueRegistrationRequest",
        type = "{ v: number, registration_request: Base64Url }"
    )
)]
pub struct RegistrationRequest(pub(super) opaque_ke::RegistrationRequest<Suite>);

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
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(
        rename = "OpaqueRegistrationResponse",
        type = "{ v: number, registration_response: Base64Url }"
    )
)]
pub struct RegistrationResponse(pub(super) opaque_ke::RegistrationResponse<Suite>);

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
/// Not a password equivalent, but together with the [`ServerSetup`](super::ServerSetup) it allows
/// offline guessing, so it is redacted in `Debug` and compared in constant
/// time. A password change replaces it.
#[derive(Clone)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(
        rename = "OpaqueRegistrationRecord",
        type = "{ v: number, registration_record: Base64Url }"
    )
)]
pub struct RegistrationRecord(pub(super) opaque_ke::ServerRegistration<Suite>);

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
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(rename = "OpaqueKe1", type = "{ v: number, ke1: Base64Url }")
)]
pub struct Ke1(pub(super) opaque_ke::CredentialRequest<Suite>);

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
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(rename = "OpaqueKe2", type = "{ v: number, ke2: Base64Url }")
)]
pub struct Ke2(pub(super) opaque_ke::CredentialResponse<Suite>);

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
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(rename = "OpaqueKe3", type = "{ v: number, ke3: Base64Url }")
)]
pub struct Ke3(pub(super) opaque_ke::CredentialFinalization<Suite>);

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
