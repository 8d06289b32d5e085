//! Pre-login, client side: the request, and the answer checked against the
//! client's KDF policy (a hostile server must not pick the work factor).

use crate::convert::{json_to_js, parse_with, to_js};
use crate::error::Result;
use crate::kdf::policy;
use vault_core::prelogin::{PreloginRequest, PreloginResponse};
use wasm_bindgen::prelude::*;

/// The pre-login request for `identifier`: `{v: 1, identifier}`.
#[wasm_bindgen(js_name = preloginRequest, unchecked_return_type = "PreloginRequest")]
pub fn prelogin_request(identifier: String) -> Result<JsValue> {
    json_to_js(&PreloginRequest::new(identifier)?.to_json())
}

/// A parsed, validated pre-login answer.
#[wasm_bindgen(js_name = PreloginResponse)]
pub struct JsPreloginResponse(PreloginResponse);

#[wasm_bindgen(js_class = PreloginResponse)]
impl JsPreloginResponse {
    /// Parses the server's answer (object or JSON text) strictly.
    pub fn parse(
        #[wasm_bindgen(unchecked_param_type = "PreloginResponseJson | string")] response: JsValue,
    ) -> Result<JsPreloginResponse> {
        Ok(JsPreloginResponse(parse_with(
            &response,
            "pre-login response",
            PreloginResponse::from_json,
        )?))
    }

    /// The KDF config after checking its params against `policy` (default
    /// policy if omitted): what to derive keys with. Throws `kdf_policy`.
    #[wasm_bindgen(js_name = checkedKdf, unchecked_return_type = "KdfConfig")]
    pub fn checked_kdf(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "KdfPolicy")] policy: Option<JsValue>,
    ) -> Result<JsValue> {
        to_js(&self.0.checked_kdf(&self::policy(&policy)?)?)
    }

    /// The KDF config as sent, unchecked (prefer `checkedKdf`).
    #[wasm_bindgen(getter, unchecked_return_type = "KdfConfig")]
    pub fn kdf(&self) -> Result<JsValue> {
        to_js(self.0.kdf())
    }

    /// The SRP group and salt, or `undefined` for OPAQUE accounts.
    #[wasm_bindgen(getter, unchecked_return_type = "SrpPrelogin | undefined")]
    pub fn srp(&self) -> Result<JsValue> {
        match self.0.srp() {
            Some(s) => to_js(s),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// The answer in its JSON wire shape.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "PreloginResponseJson")]
    pub fn to_json(&self) -> Result<JsValue> {
        json_to_js(&self.0.to_json())
    }
}
