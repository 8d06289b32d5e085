//! OPAQUE (RFC 9807, ristretto255, 3DH, KSF = identity), both halves, as
//! message-in / message-out state objects. Messages are `{ v: 1, <name>:
//! base64url }` objects (or their JSON text); the server's setup and its
//! per-login state serialise with `toJson()` (both secret).

use crate::convert::{message, to_js};
use crate::error::{OrNapi, OrThrow, Result, invalid};
use crate::keys::{SecretBytes, SymmetricKey};
use crate::rng::{Rng, with_rng};
use napi::bindgen_prelude::{Buffer, Object};
use napi::{Env, Unknown};
use napi_derive::napi;
use vault_core::opaque::{
    ClientLogin, ClientRegistration, Ke1, Ke2, Ke3, RegistrationRecord, RegistrationRequest,
    RegistrationResponse, ServerLogin, ServerSetup,
};

/// The server's long-term OPAQUE secrets (OPRF seed and key pair). Generate
/// once per deployment, persist `toJson()` as a secret; every record depends
/// on it.
#[napi]
pub struct OpaqueServerSetup {
    inner: ServerSetup,
}

#[napi]
impl OpaqueServerSetup {
    /// A fresh OPRF seed and key pair.
    #[napi(factory)]
    pub fn generate(rng: Option<&mut Rng>) -> Result<Self> {
        with_rng(rng, |r| {
            Ok(OpaqueServerSetup {
                inner: ServerSetup::generate(r),
            })
        })
    }

    /// Restores a persisted setup (object or JSON text).
    #[napi(factory)]
    pub fn from_json(
        env: Env,
        #[napi(ts_arg_type = "OpaqueServerSetupJson | string")] json: Unknown<'_>,
    ) -> Result<Self> {
        Ok(OpaqueServerSetup {
            inner: message(&env, json, "OPAQUE server setup", ServerSetup::from_json)?,
        })
    }

    /// The persisted form (JSON text). Secret.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json().expose_secret().to_owned()
    }

    /// The server's long-term public key (32 bytes); clients may pin it.
    #[napi(getter)]
    pub fn public_key(&self) -> Buffer {
        Buffer::from(self.inner.public_key().to_vec())
    }

    /// Registration, server side (stateless): the response to a client's
    /// registration request for `identifier`. Run it only where the server
    /// knows who is registering (sign-up, or a logged-in password change).
    #[napi(ts_return_type = "OpaqueRegistrationResponse")]
    pub fn registration_response<'e>(
        &self,
        env: &'e Env,
        identifier: String,
        #[napi(ts_arg_type = "OpaqueRegistrationRequest | string")] request: Unknown<'_>,
    ) -> Result<Unknown<'e>> {
        let req = message(
            env,
            request,
            "OPAQUE registration request",
            RegistrationRequest::from_json,
        )?;
        to_js(
            env,
            &self
                .inner
                .registration_response(&identifier, &req)
                .or_throw()?,
        )
    }
}

/// The client half of an OPAQUE registration (sign-up or password change).
#[napi]
pub struct OpaqueClientRegistration {
    state: Option<ClientRegistration>,
}

#[napi]
impl OpaqueClientRegistration {
    /// Starts registration for `identifier` with the auth key: `{ client,
    /// request }`; send `request`.
    #[napi(
        ts_return_type = "{ client: OpaqueClientRegistration, request: OpaqueRegistrationRequest }"
    )]
    pub fn start<'e>(
        env: &'e Env,
        identifier: String,
        auth_key: &SymmetricKey,
        rng: Option<&mut Rng>,
    ) -> Result<Object<'e>> {
        let (state, request) = with_rng(rng, |r| {
            ClientRegistration::start(&identifier, &auth_key.inner, r).or_throw()
        })?;
        let mut o = Object::new(env).or_napi()?;
        o.set("client", OpaqueClientRegistration { state: Some(state) })
            .or_napi()?;
        o.set("request", to_js(env, &request)?).or_napi()?;
        Ok(o)
    }

    /// Finishes with the server's response: `{ record, exportKey,
    /// serverPublicKey }`; upload `record`. Runs once.
    #[napi(
        ts_return_type = "{ record: OpaqueRegistrationRecord, exportKey: SecretBytes, serverPublicKey: Buffer }"
    )]
    pub fn finish<'e>(
        &mut self,
        env: &'e Env,
        #[napi(ts_arg_type = "OpaqueRegistrationResponse | string")] response: Unknown<'_>,
        rng: Option<&mut Rng>,
    ) -> Result<Object<'e>> {
        let resp = message(
            env,
            response,
            "OPAQUE registration response",
            RegistrationResponse::from_json,
        )?;
        let state = self
            .state
            .take()
            .ok_or_else(|| invalid("this OPAQUE registration has finished"))?;
        let done = with_rng(rng, |r| state.finish(&resp, r).or_throw())?;
        let mut o = Object::new(env).or_napi()?;
        o.set("record", to_js(env, &done.record)?).or_napi()?;
        o.set("exportKey", SecretBytes::from(done.export_key))
            .or_napi()?;
        o.set(
            "serverPublicKey",
            Buffer::from(done.server_public_key.to_vec()),
        )
        .or_napi()?;
        Ok(o)
    }
}

/// The client half of one OPAQUE login.
#[napi]
pub struct OpaqueClientLogin {
    state: Option<ClientLogin>,
}

#[napi]
impl OpaqueClientLogin {
    /// Starts a login: `{ client, ke1 }`; send `ke1`.
    #[napi(ts_return_type = "{ client: OpaqueClientLogin, ke1: OpaqueKe1 }")]
    pub fn start<'e>(
        env: &'e Env,
        identifier: String,
        auth_key: &SymmetricKey,
        rng: Option<&mut Rng>,
    ) -> Result<Object<'e>> {
        let (state, ke1) = with_rng(rng, |r| {
            ClientLogin::start(&identifier, &auth_key.inner, r).or_throw()
        })?;
        let mut o = Object::new(env).or_napi()?;
        o.set("client", OpaqueClientLogin { state: Some(state) })
            .or_napi()?;
        o.set("ke1", to_js(env, &ke1)?).or_napi()?;
        Ok(o)
    }

    /// Finishes with the server's KE2: `{ ke3, sessionKey, exportKey,
    /// serverPublicKey }`; send `ke3`. A wrong password, an unknown account
    /// and a tampered KE2 all throw `authentication_failed`. Runs once.
    #[napi(
        ts_return_type = "{ ke3: OpaqueKe3, sessionKey: SecretBytes, exportKey: SecretBytes, serverPublicKey: Buffer }"
    )]
    pub fn finish<'e>(
        &mut self,
        env: &'e Env,
        #[napi(ts_arg_type = "OpaqueKe2 | string")] ke2: Unknown<'_>,
        rng: Option<&mut Rng>,
    ) -> Result<Object<'e>> {
        let ke2 = message(env, ke2, "OPAQUE KE2", Ke2::from_json)?;
        let state = self
            .state
            .take()
            .ok_or_else(|| invalid("this OPAQUE login has finished"))?;
        let done = with_rng(rng, |r| state.finish(&ke2, r).or_throw())?;
        let mut o = Object::new(env).or_napi()?;
        o.set("ke3", to_js(env, &done.ke3)?).or_napi()?;
        o.set("sessionKey", SecretBytes::from(done.session_key))
            .or_napi()?;
        o.set("exportKey", SecretBytes::from(done.export_key))
            .or_napi()?;
        o.set(
            "serverPublicKey",
            Buffer::from(done.server_public_key.to_vec()),
        )
        .or_napi()?;
        Ok(o)
    }
}

/// The server half of one OPAQUE login, between KE2 and KE3. Persist it with
/// `toJson()` (secret, short-lived, deleted when loaded: finish it once).
#[napi]
pub struct OpaqueServerLogin {
    state: Option<ServerLogin>,
}

#[napi]
impl OpaqueServerLogin {
    /// Answers KE1 for `identifier`: `{ server, ke2 }`. Pass the stored
    /// record, or `null` for an unknown identifier (a fake record answers,
    /// and the login later fails like a wrong password).
    #[napi(ts_return_type = "{ server: OpaqueServerLogin, ke2: OpaqueKe2 }")]
    pub fn start<'e>(
        env: &'e Env,
        setup: &OpaqueServerSetup,
        identifier: String,
        #[napi(ts_arg_type = "OpaqueRegistrationRecord | string | null")] record: Option<
            Unknown<'_>,
        >,
        #[napi(ts_arg_type = "OpaqueKe1 | string")] ke1: Unknown<'_>,
        rng: Option<&mut Rng>,
    ) -> Result<Object<'e>> {
        let record = match record {
            Some(r) => Some(message(
                env,
                r,
                "OPAQUE registration record",
                RegistrationRecord::from_json,
            )?),
            None => None,
        };
        let ke1 = message(env, ke1, "OPAQUE KE1", Ke1::from_json)?;
        let (state, ke2) = with_rng(rng, |r| {
            ServerLogin::start(&setup.inner, &identifier, record.as_ref(), &ke1, r).or_throw()
        })?;
        let mut o = Object::new(env).or_napi()?;
        o.set("server", OpaqueServerLogin { state: Some(state) })
            .or_napi()?;
        o.set("ke2", to_js(env, &ke2)?).or_napi()?;
        Ok(o)
    }

    /// Restores a persisted state (object or JSON text).
    #[napi(factory)]
    pub fn from_json(
        env: Env,
        #[napi(ts_arg_type = "OpaqueServerLoginJson | string")] json: Unknown<'_>,
    ) -> Result<Self> {
        Ok(OpaqueServerLogin {
            state: Some(message(
                &env,
                json,
                "OPAQUE server login state",
                ServerLogin::from_json,
            )?),
        })
    }

    /// The persisted form (JSON text). Secret.
    #[napi]
    pub fn to_json(&self) -> Result<String> {
        let state = self
            .state
            .as_ref()
            .ok_or_else(|| invalid("this OPAQUE login has finished"))?;
        Ok(state.to_json().expose_secret().to_owned())
    }

    /// Checks the client's KE3 and returns the session key (64 bytes). A
    /// wrong MAC throws `authentication_failed`. Runs once.
    #[napi]
    pub fn finish(
        &mut self,
        env: &Env,
        #[napi(ts_arg_type = "OpaqueKe3 | string")] ke3: Unknown<'_>,
    ) -> Result<SecretBytes> {
        let ke3 = message(env, ke3, "OPAQUE KE3", Ke3::from_json)?;
        let state = self
            .state
            .take()
            .ok_or_else(|| invalid("this OPAQUE login has finished"))?;
        Ok(SecretBytes::from(state.finish(&ke3).or_throw()?))
    }
}
