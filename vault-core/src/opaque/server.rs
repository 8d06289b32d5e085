//! The server half: its long-term secrets and registration answer
//! ([`ServerSetup`]) and the login state machine ([`ServerLogin`]).

use super::messages::{
    Ke1, Ke2, Ke3, RegistrationRecord, RegistrationRequest, RegistrationResponse,
};
use super::wire::{
    Wire, deserialize_wire, from_json, from_raw, json_of, serialize_wire, wire_impls,
};
use super::{
    CONTEXT, RngAdapter, Suite, check_identifier, identifiers, protocol_err, public_key_bytes,
    take_secret,
};
use crate::error::Result;
use crate::secret::{SecretBytes, SecretString};
use core::fmt;
use opaque_ke::ServerLoginParameters;
use opaque_ke::errors::ProtocolError;
use zeroize::{Zeroize, Zeroizing};

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
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(
        rename = "OpaqueServerSetupJson",
        type = "{ v: number, server_setup: Base64Url }"
    )
)]
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
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(
        rename = "OpaqueServerLoginJson",
        type = "{ v: number, server_login: Base64Url }"
    )
)]
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
    /// another session) is [`Error::AuthenticationFailed`](crate::Error::AuthenticationFailed).
    pub fn finish(self, ke3: &Ke3) -> Result<SecretBytes> {
        let res = self
            .0
            .finish(ke3.0.clone(), ServerLoginParameters::default())
            .map_err(protocol_err)?;
        Ok(take_secret(res.session_key))
    }
}
