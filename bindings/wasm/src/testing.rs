//! TEST BUILDS ONLY (`test-vectors` feature): what the binding's vector suite
//! needs beyond the client surface, so it can replay every field of every
//! vector: sealing with a chosen nonce, raw envelopes under an explicit
//! context, and the server halves of pre-login, SRP and OPAQUE. Never part of
//! a shipped module.

use crate::account::JsAccount;
use crate::convert::{bytes_to_js, from_js, from_str, json_to_js, parse_with};
use crate::error::{Result, VaultError};
use crate::kdf::params;
use crate::keys::{JsSecretBytes, JsSymmetricKey};
use crate::rng::{JsRng, with_rng};
use crate::srp::group;
use vault_core::opaque::{
    Ke1, Ke3, RegistrationRecord, RegistrationRequest, ServerLogin, ServerSetup,
};
use vault_core::prelogin::PreloginServer;
use vault_core::srp::{
    ClientHello, ClientProof, ServerAwaitingClientProof, SrpRegistration, SrpServer,
};
use vault_core::{Algorithm, Context, Envelope};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// A context in its JSON form (`vault_core::Context`'s serde: `{kind, …fields}`).
fn context(value: &JsValue) -> Result<Context> {
    from_js(value, "context")
}

fn envelope(value: &JsValue) -> Result<Envelope> {
    if let Some(text) = value.as_string() {
        Ok(Envelope::from_text(&text)?)
    } else if let Some(bytes) = value.dyn_ref::<js_sys::Uint8Array>() {
        Ok(Envelope::from_bytes(bytes.to_vec())?)
    } else {
        Err(VaultError::invalid_argument(
            "an envelope is a base64url string or a Uint8Array",
        ))
    }
}

fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in entries {
        // Setting a property on a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// TEST BUILDS ONLY: deterministic and raw helpers for the vector suite.
#[wasm_bindgen]
pub struct Testing;

#[wasm_bindgen]
impl Testing {
    /// Seals `plaintext` with a caller-chosen nonce (hazmat), returning the
    /// envelope's binary form.
    #[wasm_bindgen(js_name = sealWithNonce)]
    pub fn seal_with_nonce(
        key: &JsSymmetricKey,
        #[wasm_bindgen(unchecked_param_type = "Algorithm")] algorithm: &str,
        #[wasm_bindgen(unchecked_param_type = "Context")] context: JsValue,
        nonce: &[u8],
        plaintext: &[u8],
    ) -> Result<js_sys::Uint8Array> {
        let alg: Algorithm = from_str(algorithm, "algorithm")?;
        let env = vault_core::hazmat::seal_with_nonce(
            &key.0,
            alg,
            &self::context(&context)?,
            nonce,
            plaintext,
        )?;
        Ok(bytes_to_js(env.as_bytes()))
    }

    /// The text form (unpadded base64url) of an envelope's binary form.
    #[wasm_bindgen(js_name = envelopeText)]
    pub fn envelope_text(bytes: &[u8]) -> Result<String> {
        Ok(Envelope::from_bytes(bytes.to_vec())?.to_text())
    }

    /// Parses an envelope (text or binary form) and opens it under `context`.
    #[wasm_bindgen(js_name = openEnvelope)]
    pub fn open_envelope(
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] envelope: JsValue,
        key: &JsSymmetricKey,
        #[wasm_bindgen(unchecked_param_type = "Context")] context: JsValue,
    ) -> Result<js_sys::Uint8Array> {
        let pt = self::envelope(&envelope)?.open(&key.0, &self::context(&context)?)?;
        Ok(bytes_to_js(&pt))
    }

    /// The associated data bytes of `context` under envelope version 1.
    #[wasm_bindgen(js_name = contextAad)]
    pub fn context_aad(
        #[wasm_bindgen(unchecked_param_type = "Context")] context: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Algorithm")] algorithm: &str,
    ) -> Result<js_sys::Uint8Array> {
        let alg: Algorithm = from_str(algorithm, "algorithm")?;
        Ok(bytes_to_js(&self::context(&context)?.aad_bytes(1, alg)?))
    }

    /// The raw Ed25519 check of format.md §12 (`invalid_peer_value` when the
    /// public key does not decode, `bad_signature` for every other failure).
    #[wasm_bindgen(js_name = ed25519Verify)]
    pub fn ed25519_verify(
        #[wasm_bindgen(js_name = "publicKey")] public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        Ok(vault_core::hazmat::primitives::ed25519_verify(
            public_key, message, signature,
        )?)
    }

    /// Parses a sync wire message (`pull_request`, `pull_page`,
    /// `push_request` or `push_response`) strictly, as the engine does, and
    /// returns its canonical JSON text (protocol.md §9.4).
    #[wasm_bindgen(js_name = syncWireCanonical)]
    pub fn sync_wire_canonical(
        #[wasm_bindgen(js_name = "messageType")] message_type: &str,
        json: &str,
    ) -> Result<String> {
        use vault_core::sync::wire;
        Ok(match message_type {
            "pull_request" => wire::PullRequest::from_json(json)?.to_json(),
            "pull_page" => wire::PullPage::from_json(json)?.to_json(),
            "push_request" => wire::PushRequest::from_json(json)?.to_json(),
            "push_response" => wire::PushResponse::from_json(json)?.to_json(),
            _ => {
                return Err(VaultError::invalid_argument(
                    "unknown sync wire message type",
                ));
            }
        })
    }

    /// The identity private keys (`x25519 secret || ed25519 seed`) of an account.
    #[wasm_bindgen(js_name = exportIdentitySecrets)]
    pub fn export_identity_secrets(account: &JsAccount) -> js_sys::Uint8Array {
        bytes_to_js(&vault_core::hazmat::export_identity_secrets(&account.0)[..])
    }
}

/// TEST BUILDS ONLY: the SRP server half, between challenge and proof.
#[wasm_bindgen]
pub struct TestSrpServer {
    state: Option<Box<ServerAwaitingClientProof>>,
    challenge: String,
}

#[wasm_bindgen]
impl TestSrpServer {
    /// Answers a client hello for a stored registration.
    pub fn start(
        #[wasm_bindgen(unchecked_param_type = "SrpRegistration | string")] record: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SrpClientHello | string")] hello: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<TestSrpServer> {
        let record = parse_with(&record, "SRP registration", SrpRegistration::from_json)?;
        let hello = parse_with(&hello, "SRP client hello", ClientHello::from_json)?;
        let (state, challenge) = with_rng(rng, |r| SrpServer::start(&record, &hello, r))?;
        Ok(TestSrpServer {
            state: Some(Box::new(state)),
            challenge: challenge.to_json(),
        })
    }

    /// The server challenge `{v, group, salt, b_pub}`.
    #[wasm_bindgen(getter)]
    pub fn challenge(&self) -> Result<JsValue> {
        json_to_js(&self.challenge)
    }

    /// Checks the client proof; returns `{serverProof, sessionKey}`.
    pub fn finish(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "SrpClientProof | string")] proof: JsValue,
    ) -> Result<JsValue> {
        let proof = parse_with(&proof, "SRP client proof", ClientProof::from_json)?;
        let state = self
            .state
            .take()
            .ok_or_else(|| VaultError::invalid_argument("finish called twice"))?;
        let (server_proof, key) = state.finish(&proof)?;
        Ok(object(&[
            ("serverProof", json_to_js(&server_proof.to_json())?),
            ("sessionKey", JsSecretBytes(key).into()),
        ]))
    }
}

/// TEST BUILDS ONLY: the OPAQUE server half.
#[wasm_bindgen]
pub struct TestOpaqueServer(ServerSetup);

#[wasm_bindgen]
impl TestOpaqueServer {
    /// A fresh server setup (OPRF seed and key pair).
    pub fn generate(
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> TestOpaqueServer {
        TestOpaqueServer(with_rng(rng, ServerSetup::generate))
    }

    /// The setup's JSON form `{v, server_setup}` (secret).
    #[wasm_bindgen(js_name = setupJson)]
    pub fn setup_json(&self) -> Result<JsValue> {
        json_to_js(self.0.to_json().expose_secret())
    }

    /// The server's long-term public key.
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> js_sys::Uint8Array {
        bytes_to_js(&self.0.public_key())
    }

    /// Registration, server side.
    #[wasm_bindgen(js_name = registrationResponse)]
    pub fn registration_response(&self, identifier: &str, request: JsValue) -> Result<JsValue> {
        let request = parse_with(
            &request,
            "OPAQUE registration request",
            RegistrationRequest::from_json,
        )?;
        json_to_js(
            &self
                .0
                .registration_response(identifier, &request)?
                .to_json(),
        )
    }

    /// Answers KE1 with the stored record (or a fake one for `undefined`).
    #[wasm_bindgen(js_name = loginStart)]
    pub fn login_start(
        &self,
        identifier: &str,
        record: Option<JsValue>,
        ke1: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<TestOpaqueServerLogin> {
        let record = match record {
            Some(r) if !r.is_undefined() && !r.is_null() => Some(parse_with(
                &r,
                "OPAQUE registration record",
                RegistrationRecord::from_json,
            )?),
            _ => None,
        };
        let ke1 = parse_with(&ke1, "OPAQUE KE1", Ke1::from_json)?;
        let (state, ke2) = with_rng(rng, |r| {
            ServerLogin::start(&self.0, identifier, record.as_ref(), &ke1, r)
        })?;
        Ok(TestOpaqueServerLogin {
            state: Some(Box::new(state)),
            ke2: ke2.to_json(),
        })
    }
}

/// TEST BUILDS ONLY: an OPAQUE server login between KE2 and KE3.
#[wasm_bindgen]
pub struct TestOpaqueServerLogin {
    state: Option<Box<ServerLogin>>,
    ke2: String,
}

#[wasm_bindgen]
impl TestOpaqueServerLogin {
    /// KE2 to send `{v, ke2}`.
    #[wasm_bindgen(getter)]
    pub fn ke2(&self) -> Result<JsValue> {
        json_to_js(&self.ke2)
    }

    /// Checks KE3; returns the session key.
    pub fn finish(&mut self, ke3: JsValue) -> Result<JsSecretBytes> {
        let ke3 = parse_with(&ke3, "OPAQUE KE3", Ke3::from_json)?;
        let state = self
            .state
            .take()
            .ok_or_else(|| VaultError::invalid_argument("finish called twice"))?;
        Ok(JsSecretBytes(state.finish(&ke3)?))
    }
}

/// TEST BUILDS ONLY: the pre-login server half (fake answers).
#[wasm_bindgen]
pub struct TestPreloginServer(PreloginServer);

#[wasm_bindgen]
impl TestPreloginServer {
    /// A server with its secret, default KDF params and SRP group.
    #[wasm_bindgen(constructor)]
    pub fn new(
        secret: &JsSymmetricKey,
        params: JsValue,
        group: Option<String>,
    ) -> Result<TestPreloginServer> {
        Ok(TestPreloginServer(PreloginServer::new(
            secret.0.clone(),
            self::params(&params)?,
            self::group(group)?,
        )))
    }

    /// The fake answer for an unknown identifier (SRP servers).
    #[wasm_bindgen(js_name = fakeResponse)]
    pub fn fake_response(&self, identifier: &str) -> Result<JsValue> {
        json_to_js(&self.0.fake_response(identifier)?.to_json())
    }

    /// The fake answer for an unknown identifier (OPAQUE servers).
    #[wasm_bindgen(js_name = respondOpaque)]
    pub fn respond_opaque(&self, identifier: &str) -> Result<JsValue> {
        json_to_js(&self.0.respond_opaque(identifier, None)?.to_json())
    }

    /// The fake SRP record for an unknown identifier.
    #[wasm_bindgen(js_name = fakeSrpRecord)]
    pub fn fake_srp_record(&self, identifier: &str) -> Result<JsValue> {
        json_to_js(&self.0.fake_srp_record(identifier)?.to_json())
    }
}
