//! SRP-6a (RFC 5054, SHA-256) client: registration and the login state machine.
//!
//! Messages are JS objects in the documented wire shape (`{"v":1,…}`); send
//! them with `JSON.stringify` and pass the server's answers back as objects
//! or JSON text.

use crate::convert::{from_str, json_to_js, parse_with};
use crate::error::{Result, VaultError};
use crate::keys::{JsSecretBytes, JsSymmetricKey};
use crate::rng::{JsRng, with_rng};
use vault_core::srp::{
    ClientAwaitingChallenge, ClientAwaitingServerProof, ServerChallenge, ServerProof, SrpClient,
    SrpGroup,
};
use wasm_bindgen::prelude::*;

pub(crate) fn group(name: Option<String>) -> Result<SrpGroup> {
    match name {
        Some(n) => from_str(&n, "SRP group"),
        None => Ok(SrpGroup::default()),
    }
}

/// Registration and password change: a fresh salt and the verifier for
/// `identifier` and the auth key, in `group` (default `"rfc5054-3072"`).
/// Send the result to the server over an authenticated channel.
#[wasm_bindgen(js_name = srpRegister, unchecked_return_type = "SrpRegistration")]
pub fn srp_register(
    identifier: &str,
    #[wasm_bindgen(js_name = "authKey")] auth_key: &JsSymmetricKey,
    #[wasm_bindgen(unchecked_optional_param_type = "SrpGroup")] group: Option<String>,
    #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
) -> Result<JsValue> {
    let group = self::group(group)?;
    let reg = with_rng(rng, |r| {
        SrpClient::register(identifier, &auth_key.0, group, r)
    })?;
    json_to_js(&reg.to_json())
}

enum State {
    AwaitingChallenge(Box<ClientAwaitingChallenge>),
    AwaitingServerProof(Box<ClientAwaitingServerProof>),
    Done,
}

/// One SRP-6a login, client side: `start` → send `hello` → `processChallenge`
/// → send the proof → `verifyServer` gives the session key. Each step can run
/// once, in order; a step out of order throws `invalid_argument` and leaves
/// the login where it was. A step that fails on the peer's message ends the
/// login (start a new one).
#[wasm_bindgen]
pub struct SrpLogin {
    state: State,
    hello: String,
}

#[wasm_bindgen]
impl SrpLogin {
    /// Starts a login for `identifier` with the auth key, in the `group` the
    /// pre-login answer named.
    pub fn start(
        identifier: &str,
        #[wasm_bindgen(js_name = "authKey")] auth_key: &JsSymmetricKey,
        #[wasm_bindgen(unchecked_param_type = "SrpGroup")] group: String,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<SrpLogin> {
        let group = self::group(Some(group))?;
        let (state, hello) =
            with_rng(rng, |r| SrpClient::start(identifier, &auth_key.0, group, r))?;
        Ok(SrpLogin {
            state: State::AwaitingChallenge(Box::new(state)),
            hello: hello.to_json(),
        })
    }

    /// Message 1 to send: `{v, group, identifier, a_pub}`.
    #[wasm_bindgen(getter, unchecked_return_type = "SrpClientHello")]
    pub fn hello(&self) -> Result<JsValue> {
        json_to_js(&self.hello)
    }

    /// Takes the server's challenge `{v, group, salt, b_pub}` and returns
    /// message 3, the client proof `{v, m1}`.
    #[wasm_bindgen(js_name = processChallenge, unchecked_return_type = "SrpClientProof")]
    pub fn process_challenge(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "SrpServerChallenge | string")] challenge: JsValue,
    ) -> Result<JsValue> {
        let challenge = parse_with(
            &challenge,
            "SRP server challenge",
            ServerChallenge::from_json,
        )?;
        let state = match core::mem::replace(&mut self.state, State::Done) {
            State::AwaitingChallenge(state) => state,
            other => {
                self.state = other;
                return Err(out_of_order());
            }
        };
        let (next, proof) = state.process_challenge(&challenge)?;
        self.state = State::AwaitingServerProof(Box::new(next));
        json_to_js(&proof.to_json())
    }

    /// Checks the server's proof `{v, m2}` and returns the session key `K`.
    /// A server that does not know the verifier fails with `authentication_failed`.
    #[wasm_bindgen(js_name = verifyServer)]
    pub fn verify_server(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "SrpServerProof | string")] proof: JsValue,
    ) -> Result<JsSecretBytes> {
        let proof = parse_with(&proof, "SRP server proof", ServerProof::from_json)?;
        let state = match core::mem::replace(&mut self.state, State::Done) {
            State::AwaitingServerProof(state) => state,
            other => {
                self.state = other;
                return Err(out_of_order());
            }
        };
        Ok(JsSecretBytes(state.verify_server(&proof)?))
    }
}

fn out_of_order() -> VaultError {
    VaultError::invalid_argument("login step called out of order or twice")
}
