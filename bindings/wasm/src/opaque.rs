//! OPAQUE (RFC 9807, ristretto255) client: registration and login.
//!
//! Messages are JS objects `{"v":1,"<name>":"<base64url>"}`; send them with
//! `JSON.stringify`, pass the server's answers back as objects or JSON text.

use crate::convert::{bytes_to_js, json_to_js, parse_with};
use crate::error::{Result, VaultError};
use crate::keys::{JsSecretBytes, JsSymmetricKey};
use crate::rng::{JsRng, with_rng};
use vault_core::opaque::{
    ClientLogin, ClientLoginResult, ClientRegistration, ClientRegistrationResult, Ke2,
    RegistrationResponse,
};
use wasm_bindgen::prelude::*;

fn out_of_order() -> VaultError {
    VaultError::invalid_argument("OPAQUE step called out of order or twice")
}

/// One OPAQUE registration (sign-up or password change), client side:
/// `start` → send `request` → `finish(response)` gives the record to upload.
#[wasm_bindgen]
pub struct OpaqueRegistration {
    state: Option<Box<ClientRegistration>>,
    request: String,
}

#[wasm_bindgen]
impl OpaqueRegistration {
    /// Starts registration for `identifier` with the auth key.
    pub fn start(
        identifier: &str,
        #[wasm_bindgen(js_name = "authKey")] auth_key: &JsSymmetricKey,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<OpaqueRegistration> {
        let (state, request) = with_rng(rng, |r| {
            ClientRegistration::start(identifier, &auth_key.0, r)
        })?;
        Ok(OpaqueRegistration {
            state: Some(Box::new(state)),
            request: request.to_json(),
        })
    }

    /// Message 1 to send: `{v, registration_request}`.
    #[wasm_bindgen(getter, unchecked_return_type = "OpaqueRegistrationRequest")]
    pub fn request(&self) -> Result<JsValue> {
        json_to_js(&self.request)
    }

    /// Takes the server's `{v, registration_response}` and seals the envelope.
    pub fn finish(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "OpaqueRegistrationResponse | string")]
        response: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<OpaqueRegistrationResult> {
        let response = parse_with(
            &response,
            "OPAQUE registration response",
            RegistrationResponse::from_json,
        )?;
        let state = self.state.take().ok_or_else(out_of_order)?;
        Ok(OpaqueRegistrationResult(with_rng(rng, |r| {
            state.finish(&response, r)
        })?))
    }
}

/// A finished OPAQUE registration.
#[wasm_bindgen]
pub struct OpaqueRegistrationResult(ClientRegistrationResult);

#[wasm_bindgen]
impl OpaqueRegistrationResult {
    /// Upload this: `{v, registration_record}` (the server stores it).
    #[wasm_bindgen(getter, unchecked_return_type = "OpaqueRegistrationRecord")]
    pub fn record(&self) -> Result<JsValue> {
        json_to_js(&self.0.record.to_json())
    }

    /// The RFC 9807 export key (64 bytes).
    #[wasm_bindgen(getter, js_name = exportKey)]
    pub fn export_key(&self) -> JsSecretBytes {
        JsSecretBytes(self.0.export_key.clone())
    }

    /// The server's long-term public key (32 bytes), now sealed in the envelope.
    #[wasm_bindgen(getter, js_name = serverPublicKey)]
    pub fn server_public_key(&self) -> js_sys::Uint8Array {
        bytes_to_js(&self.0.server_public_key)
    }
}

/// One OPAQUE login, client side: `start` → send `ke1` → `finish(ke2)` gives
/// `ke3` to send plus the session key.
#[wasm_bindgen]
pub struct OpaqueLogin {
    state: Option<Box<ClientLogin>>,
    ke1: String,
}

#[wasm_bindgen]
impl OpaqueLogin {
    /// Starts a login for `identifier` with the auth key.
    pub fn start(
        identifier: &str,
        #[wasm_bindgen(js_name = "authKey")] auth_key: &JsSymmetricKey,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<OpaqueLogin> {
        let (state, ke1) = with_rng(rng, |r| ClientLogin::start(identifier, &auth_key.0, r))?;
        Ok(OpaqueLogin {
            state: Some(Box::new(state)),
            ke1: ke1.to_json(),
        })
    }

    /// Message 1 to send: `{v, ke1}`.
    #[wasm_bindgen(getter, unchecked_return_type = "OpaqueKe1")]
    pub fn ke1(&self) -> Result<JsValue> {
        json_to_js(&self.ke1)
    }

    /// Takes the server's `{v, ke2}`: opens the envelope and authenticates the
    /// server. A wrong password, an unknown account and a tampered KE2 all
    /// fail with `authentication_failed`.
    pub fn finish(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "OpaqueKe2 | string")] ke2: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<OpaqueLoginResult> {
        let ke2 = parse_with(&ke2, "OPAQUE KE2", Ke2::from_json)?;
        let state = self.state.take().ok_or_else(out_of_order)?;
        Ok(OpaqueLoginResult(with_rng(rng, |r| state.finish(&ke2, r))?))
    }
}

/// A successful OPAQUE login.
#[wasm_bindgen]
pub struct OpaqueLoginResult(ClientLoginResult);

#[wasm_bindgen]
impl OpaqueLoginResult {
    /// Send this to finish: `{v, ke3}`.
    #[wasm_bindgen(getter, unchecked_return_type = "OpaqueKe3")]
    pub fn ke3(&self) -> Result<JsValue> {
        json_to_js(&self.0.ke3.to_json())
    }

    /// The session key (64 bytes), equal to the server's.
    #[wasm_bindgen(getter, js_name = sessionKey)]
    pub fn session_key(&self) -> JsSecretBytes {
        JsSecretBytes(self.0.session_key.clone())
    }

    /// The RFC 9807 export key (64 bytes), the same as at registration.
    #[wasm_bindgen(getter, js_name = exportKey)]
    pub fn export_key(&self) -> JsSecretBytes {
        JsSecretBytes(self.0.export_key.clone())
    }

    /// The server's long-term public key, authenticated by the password.
    #[wasm_bindgen(getter, js_name = serverPublicKey)]
    pub fn server_public_key(&self) -> js_sys::Uint8Array {
        bytes_to_js(&self.0.server_public_key)
    }
}
