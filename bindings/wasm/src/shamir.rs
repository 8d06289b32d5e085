//! Shamir secret sharing for recovery kits.

use crate::convert::bytes_to_js;
use crate::error::{Result, VaultError};
use crate::rng::{JsRng, with_rng};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// One share of a split, as an opaque handle (its `y` values are secret).
#[wasm_bindgen(js_name = Share)]
pub struct JsShare(pub(crate) vault_core::Share);

#[wasm_bindgen(js_class = Share)]
impl JsShare {
    /// Parses the printable `VS1-…` form (case and separators forgiven; a
    /// typo fails with `checksum`).
    #[wasm_bindgen(js_name = fromText)]
    pub fn from_text(text: String) -> Result<JsShare> {
        let text = Zeroizing::new(text);
        Ok(JsShare(vault_core::Share::from_text(&text)?))
    }

    /// Parses the binary form.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<JsShare> {
        let bytes = Zeroizing::new(bytes);
        Ok(JsShare(vault_core::Share::from_bytes(&bytes)?))
    }

    /// The printable form, `VS1-XXXXX-…`.
    #[wasm_bindgen(js_name = toText)]
    pub fn to_text(&self) -> String {
        self.0.to_text()
    }

    /// The binary form: `version || threshold || x || set id (4) || y`.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> js_sys::Uint8Array {
        bytes_to_js(&self.0.to_bytes())
    }

    /// The share's x coordinate (1..=255); not secret.
    #[wasm_bindgen(getter)]
    pub fn index(&self) -> u8 {
        self.0.index()
    }

    /// How many shares recover the secret.
    #[wasm_bindgen(getter)]
    pub fn threshold(&self) -> u8 {
        self.0.threshold()
    }
}

/// Splits `secret` (1..=1024 bytes) into `shares` shares, any `threshold` of
/// which recover it.
#[wasm_bindgen(js_name = shamirSplit)]
pub fn shamir_split(
    secret: Vec<u8>,
    threshold: u8,
    shares: u8,
    #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
) -> Result<Vec<JsShare>> {
    let secret = Zeroizing::new(secret);
    let out = with_rng(rng, |r| {
        vault_core::shamir::split(&secret, threshold, shares, r)
    })?;
    Ok(out.into_iter().map(JsShare).collect())
}

/// Recovers the secret from at least `threshold` shares of one split, each
/// given as its text form (`"VS1-…"`) or its binary form (`Uint8Array`).
/// Every share given is used, so one wrong or tampered share is reported
/// (`shamir`) instead of yielding garbage. Returns the secret bytes.
#[wasm_bindgen(js_name = shamirCombine)]
pub fn shamir_combine(
    #[wasm_bindgen(unchecked_param_type = "Array<string | Uint8Array>")] shares: js_sys::Array,
) -> Result<js_sys::Uint8Array> {
    let parsed = parse_shares(&shares)?;
    let secret = vault_core::shamir::combine(&parsed)?;
    Ok(bytes_to_js(secret.expose_secret()))
}

/// Shares given as their text (`"VS1-…"`) or binary (`Uint8Array`) forms.
pub(crate) fn parse_shares(shares: &js_sys::Array) -> Result<Vec<vault_core::Share>> {
    shares
        .iter()
        .map(|v| {
            if let Some(text) = v.as_string() {
                let text = Zeroizing::new(text);
                Ok(vault_core::Share::from_text(&text)?)
            } else if let Some(bytes) = v.dyn_ref::<js_sys::Uint8Array>() {
                let bytes = Zeroizing::new(bytes.to_vec());
                Ok(vault_core::Share::from_bytes(&bytes)?)
            } else {
                Err(VaultError::invalid_argument(
                    "each share is a string or a Uint8Array",
                ))
            }
        })
        .collect::<Result<Vec<_>>>()
}
