//! OPAQUE (RFC 9807, ristretto255/SHA-512) client state machines. The app
//! carries the JSON messages over HTTP; every step consumes its state.

use crate::convert::{Consumable, json_message};
use crate::error::Result;
use crate::keys::{SecretBytes, SymmetricKey, zeroizing};
use crate::rng::Rng;
use std::sync::Arc;

macro_rules! raw_bytes {
    ($name:ident, $core:ty) => {
        #[uniffi::export]
        impl $name {
            /// Parses the raw RFC 9807 encoding (exact length, valid group elements).
            #[uniffi::constructor]
            pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>> {
                Ok(Arc::new($name(<$core>::from_bytes(&zeroizing(bytes))?)))
            }

            /// The raw RFC 9807 encoding, without the version wrapper.
            pub fn to_bytes(&self) -> Vec<u8> {
                self.0.to_bytes()
            }
        }
    };
}

json_message!(
    /// Registration message 1, client → server (32 bytes raw).
    OpaqueRegistrationRequest,
    vault_core::opaque::RegistrationRequest
);
raw_bytes!(
    OpaqueRegistrationRequest,
    vault_core::opaque::RegistrationRequest
);

json_message!(
    /// Registration message 2, server → client (64 bytes raw).
    OpaqueRegistrationResponse,
    vault_core::opaque::RegistrationResponse
);
raw_bytes!(
    OpaqueRegistrationResponse,
    vault_core::opaque::RegistrationResponse
);

json_message!(
    /// Registration message 3, client → server, and what the server stores
    /// per account (192 bytes raw). Keep it out of logs.
    OpaqueRegistrationRecord,
    vault_core::opaque::RegistrationRecord
);
raw_bytes!(
    OpaqueRegistrationRecord,
    vault_core::opaque::RegistrationRecord
);

json_message!(
    /// Login message 1, client → server (96 bytes raw).
    OpaqueKe1,
    vault_core::opaque::Ke1
);
raw_bytes!(OpaqueKe1, vault_core::opaque::Ke1);

json_message!(
    /// Login message 2, server → client (320 bytes raw).
    OpaqueKe2,
    vault_core::opaque::Ke2
);
raw_bytes!(OpaqueKe2, vault_core::opaque::Ke2);

json_message!(
    /// Login message 3, client → server (64 bytes raw).
    OpaqueKe3,
    vault_core::opaque::Ke3
);
raw_bytes!(OpaqueKe3, vault_core::opaque::Ke3);

/// A started registration: the state to keep and the request to send.
#[derive(uniffi::Record, Clone, Debug)]
pub struct OpaqueRegistrationStarted {
    /// Keep until the server's response arrives.
    pub state: Arc<OpaqueClientRegistration>,
    /// Send to the server.
    pub request: Arc<OpaqueRegistrationRequest>,
}

/// Starts registration (or a password change) for `identifier` with the
/// auth key.
#[uniffi::export]
pub fn opaque_registration_start(
    identifier: &str,
    auth_key: &SymmetricKey,
    rng: &Rng,
) -> Result<OpaqueRegistrationStarted> {
    let (state, request) =
        rng.with(|r| vault_core::opaque::ClientRegistration::start(identifier, &auth_key.0, r))?;
    Ok(OpaqueRegistrationStarted {
        state: Arc::new(OpaqueClientRegistration(Consumable::new(state))),
        request: OpaqueRegistrationRequest::wrap(request),
    })
}

/// Client registration state. Single use; secret.
#[derive(uniffi::Object, Debug)]
pub struct OpaqueClientRegistration(Consumable<vault_core::opaque::ClientRegistration>);

/// A finished registration.
#[derive(uniffi::Record, Clone, Debug)]
pub struct OpaqueRegistrationFinished {
    /// Upload this; the server stores it for the account.
    pub record: Arc<OpaqueRegistrationRecord>,
    /// RFC 9807 export key (64 bytes). Not used by Vault yet.
    pub export_key: Arc<SecretBytes>,
    /// The server's long-term public key (32 bytes), now sealed in the envelope.
    pub server_public_key: Vec<u8>,
}

#[uniffi::export]
impl OpaqueClientRegistration {
    /// Finishes registration with the server's response. Consumes this state.
    pub fn finish(
        &self,
        response: &OpaqueRegistrationResponse,
        rng: &Rng,
    ) -> Result<OpaqueRegistrationFinished> {
        let state = self.0.take()?;
        let res = rng.with(|r| state.finish(&response.0, r))?;
        Ok(OpaqueRegistrationFinished {
            record: OpaqueRegistrationRecord::wrap(res.record),
            export_key: SecretBytes::wrap(res.export_key),
            server_public_key: res.server_public_key.to_vec(),
        })
    }
}

/// A started login: the state to keep and KE1 to send.
#[derive(uniffi::Record, Clone, Debug)]
pub struct OpaqueLoginStarted {
    /// Keep until KE2 arrives.
    pub state: Arc<OpaqueClientLogin>,
    /// Send to the server.
    pub ke1: Arc<OpaqueKe1>,
}

/// Starts a login for `identifier` with the auth key.
#[uniffi::export]
pub fn opaque_login_start(
    identifier: &str,
    auth_key: &SymmetricKey,
    rng: &Rng,
) -> Result<OpaqueLoginStarted> {
    let (state, ke1) =
        rng.with(|r| vault_core::opaque::ClientLogin::start(identifier, &auth_key.0, r))?;
    Ok(OpaqueLoginStarted {
        state: Arc::new(OpaqueClientLogin(Consumable::new(state))),
        ke1: OpaqueKe1::wrap(ke1),
    })
}

/// Client login state. Single use; secret.
#[derive(uniffi::Object, Debug)]
pub struct OpaqueClientLogin(Consumable<vault_core::opaque::ClientLogin>);

/// A successful client login.
#[derive(uniffi::Record, Clone, Debug)]
pub struct OpaqueLoginFinished {
    /// Send this to the server to finish.
    pub ke3: Arc<OpaqueKe3>,
    /// The session key (64 bytes), equal to the server's.
    pub session_key: Arc<SecretBytes>,
    /// RFC 9807 export key (64 bytes), as at registration.
    pub export_key: Arc<SecretBytes>,
    /// The server's long-term public key (32 bytes), authenticated by the password.
    pub server_public_key: Vec<u8>,
}

#[uniffi::export]
impl OpaqueClientLogin {
    /// Finishes with the server's KE2: a wrong password, an unknown account
    /// and a tampered KE2 all give error code `authentication_failed`.
    /// Consumes this state.
    pub fn finish(&self, ke2: &OpaqueKe2, rng: &Rng) -> Result<OpaqueLoginFinished> {
        let state = self.0.take()?;
        let res = rng.with(|r| state.finish(&ke2.0, r))?;
        Ok(OpaqueLoginFinished {
            ke3: OpaqueKe3::wrap(res.ke3),
            session_key: SecretBytes::wrap(res.session_key),
            export_key: SecretBytes::wrap(res.export_key),
            server_public_key: res.server_public_key.to_vec(),
        })
    }
}
