//! The client halves: registration ([`ClientRegistration`]) and login
//! ([`ClientLogin`]).

use super::messages::{
    Ke1, Ke2, Ke3, RegistrationRecord, RegistrationRequest, RegistrationResponse,
};
use super::{
    CONTEXT, RngAdapter, Suite, check_identifier, identifiers, protocol_err, public_key_bytes,
    take_secret,
};
use crate::error::Result;
use crate::secret::{SecretBytes, SymmetricKey};
use core::fmt;
use opaque_ke::{ClientLoginFinishParameters, ClientRegistrationFinishParameters};

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
    /// The session key (64 bytes), equal to what
    /// [`ServerLogin::finish`](super::ServerLogin::finish) returns. The server
    /// binds its token to it.
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
    /// [`Error::AuthenticationFailed`](crate::Error::AuthenticationFailed). Consumes the state.
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
