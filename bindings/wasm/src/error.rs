//! The one error type every export throws.
//!
//! Every fallible export returns `Result<_, VaultError>`; wasm-bindgen turns the
//! error into a thrown JS `Error` whose `name` is `"VaultError"` and whose
//! `code` property is the stable [`vault_core::Error::code`] (plus the two
//! binding-level codes below). Messages come from vault-core's `Display`,
//! which never includes secret material, or are fixed strings written here.

use wasm_bindgen::JsValue;

/// A flat, secret-free error: a stable machine-readable code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultError {
    code: &'static str,
    message: String,
}

impl VaultError {
    /// The stable code (`"decrypt"`, `"malformed"`, `"kdf_policy"`, …).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The human-readable message (never contains secrets).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The caller passed something unusable (wrong length, unknown name, a
    /// state machine step out of order): code `invalid_argument`.
    pub(crate) fn invalid_argument(why: &'static str) -> Self {
        vault_core::Error::InvalidArgument(why).into()
    }

    /// A value from JS is not what was expected: code `malformed`. The message
    /// names what was being read, never the offending value.
    pub(crate) fn malformed(what: &'static str, reason: &'static str) -> Self {
        vault_core::Error::Malformed { what, reason }.into()
    }
}

impl From<vault_core::Error> for VaultError {
    fn from(e: vault_core::Error) -> Self {
        VaultError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl From<VaultError> for JsValue {
    fn from(e: VaultError) -> JsValue {
        let err = js_sys::Error::new(&e.message);
        err.set_name("VaultError");
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.code));
        err.into()
    }
}

/// Result alias of every export.
pub type Result<T> = core::result::Result<T, VaultError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_the_core() {
        let e: VaultError = vault_core::Error::Decrypt.into();
        assert_eq!(e.code(), "decrypt");
        assert_eq!(e.message(), "decryption failed");
        assert_eq!(VaultError::invalid_argument("x").code(), "invalid_argument");
        assert_eq!(VaultError::malformed("item", "bad").code(), "malformed");
        assert_eq!(
            VaultError::malformed("item", "bad").message(),
            "malformed item: bad"
        );
    }
}
