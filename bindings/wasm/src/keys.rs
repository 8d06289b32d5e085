//! Opaque key handles: symmetric keys, the Secret Key, secret byte strings.
//!
//! Key material stays inside the module (zeroized when the handle is freed);
//! JS holds a handle. Bytes leave only through a method named `export…`.
//! Call `free()` on a handle when done with it to wipe it at once rather than
//! at garbage collection.

use crate::convert::{bytes_to_js, fixed};
use crate::error::Result;
use crate::rng::{JsRng, with_rng};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// A 256-bit symmetric key (auth key, master KEK, account key, stretched
/// password) as an opaque handle.
#[wasm_bindgen(js_name = SymmetricKey)]
pub struct JsSymmetricKey(pub(crate) vault_core::SymmetricKey);

#[wasm_bindgen(js_class = SymmetricKey)]
impl JsSymmetricKey {
    /// Imports 32 raw key bytes (e.g. a key the user exported). The copy
    /// passed in is wiped inside the module; wipe your own with `fill(0)`.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<JsSymmetricKey> {
        let bytes = Zeroizing::new(bytes);
        Ok(JsSymmetricKey(vault_core::SymmetricKey::from_slice(
            &bytes,
        )?))
    }

    /// A fresh random key.
    pub fn generate(
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> JsSymmetricKey {
        JsSymmetricKey(with_rng(rng, vault_core::SymmetricKey::generate))
    }

    /// Explicit export: the 32 raw key bytes.
    #[wasm_bindgen(js_name = exportBytes)]
    pub fn export_bytes(&self) -> js_sys::Uint8Array {
        bytes_to_js(self.0.expose_secret())
    }

    /// Constant-time comparison with another key.
    pub fn equals(&self, other: &JsSymmetricKey) -> bool {
        self.0 == other.0
    }
}

/// The device-held 128-bit Secret Key of two-secret key derivation.
#[wasm_bindgen(js_name = SecretKey)]
pub struct JsSecretKey(pub(crate) vault_core::SecretKey);

#[wasm_bindgen(js_class = SecretKey)]
impl JsSecretKey {
    /// A fresh random Secret Key.
    pub fn generate(
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> JsSecretKey {
        JsSecretKey(with_rng(rng, vault_core::SecretKey::generate))
    }

    /// Parses the printable `VK1-…` form, forgiving case, separators and
    /// look-alike characters. A typo fails with code `checksum`.
    pub fn parse(text: String) -> Result<JsSecretKey> {
        let text = Zeroizing::new(text);
        Ok(JsSecretKey(vault_core::SecretKey::parse(&text)?))
    }

    /// Imports the 16 raw bytes (e.g. from the platform keystore).
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<JsSecretKey> {
        let bytes = Zeroizing::new(bytes);
        let raw = Zeroizing::new(fixed::<16>(&bytes, "a Secret Key is 16 bytes")?);
        Ok(JsSecretKey(vault_core::SecretKey::from_bytes(*raw)))
    }

    /// The printable form, `VK1-XXXXX-…` (for the Emergency Kit).
    #[wasm_bindgen(js_name = toDisplayString)]
    pub fn to_display_string(&self) -> String {
        self.0.to_display_string()
    }

    /// Explicit export: the 16 raw bytes.
    #[wasm_bindgen(js_name = exportBytes)]
    pub fn export_bytes(&self) -> js_sys::Uint8Array {
        bytes_to_js(self.0.expose_secret())
    }

    /// Constant-time comparison.
    pub fn equals(&self, other: &JsSecretKey) -> bool {
        self.0 == other.0
    }
}

/// Secret bytes of any length (an SRP or OPAQUE session key, an OPAQUE export key).
#[wasm_bindgen(js_name = SecretBytes)]
pub struct JsSecretBytes(pub(crate) vault_core::SecretBytes);

#[wasm_bindgen(js_class = SecretBytes)]
impl JsSecretBytes {
    /// Number of bytes.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.0.len()
    }

    /// Explicit export: the raw bytes.
    #[wasm_bindgen(js_name = exportBytes)]
    pub fn export_bytes(&self) -> js_sys::Uint8Array {
        bytes_to_js(self.0.expose_secret())
    }

    /// Constant-time comparison.
    pub fn equals(&self, other: &JsSecretBytes) -> bool {
        self.0 == other.0
    }
}
