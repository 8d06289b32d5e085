//! Type conversion between JS values and vault-core types.
//!
//! Records and messages cross the boundary as JSON: a JS object is turned into
//! text with `JSON.stringify` and parsed by vault-core's own serde types (or
//! its `from_json`, which also checks versions), so the binding accepts exactly
//! what the format spec allows (unknown fields rejected, versions checked).
//! A JS string is taken as JSON text, so a server's response body can be
//! passed as is. Outputs are built with serde_json and handed to `JSON.parse`,
//! so JS sees the documented wire shape (snake_case fields, base64url bytes).
//! Intermediate texts that may hold secrets (items) are zeroized.

use crate::error::{Result, VaultError};
use serde::Serialize;
use serde::de::{DeserializeOwned, IntoDeserializer};
use wasm_bindgen::JsValue;
use zeroize::Zeroizing;

/// The JSON text of a JS value: the string itself, or `JSON.stringify(value)`.
pub(crate) fn json_text(value: &JsValue, what: &'static str) -> Result<Zeroizing<String>> {
    if let Some(s) = value.as_string() {
        return Ok(Zeroizing::new(s));
    }
    if value.is_undefined() || value.is_null() {
        return Err(VaultError::malformed(what, "missing"));
    }
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .map(Zeroizing::new)
        .ok_or_else(|| VaultError::malformed(what, "cannot be converted to JSON"))
}

/// Parses a JS value (object or JSON text) into a vault-core serde type,
/// with vault-core's own JSON reader (`encoding::json_from_str`), so each
/// type's deserializer is compiled once for the whole module.
pub(crate) fn from_js<T: DeserializeOwned>(value: &JsValue, what: &'static str) -> Result<T> {
    let text = json_text(value, what)?;
    vault_core::encoding::json_from_str(&text)
        .map_err(|_| VaultError::malformed(what, "invalid JSON or unexpected shape"))
}

/// Parses a JS value with a vault-core `from_json` (which checks versions too).
pub(crate) fn parse_with<T>(
    value: &JsValue,
    what: &'static str,
    parse: impl FnOnce(&str) -> vault_core::Result<T>,
) -> Result<T> {
    let text = json_text(value, what)?;
    Ok(parse(&text)?)
}

/// Parses an optional JS value; `undefined` and `null` give `None`.
pub(crate) fn from_js_opt<T: DeserializeOwned>(
    value: &Option<JsValue>,
    what: &'static str,
) -> Result<Option<T>> {
    match value {
        Some(v) if !v.is_undefined() && !v.is_null() => from_js(v, what).map(Some),
        _ => Ok(None),
    }
}

/// Serialises a vault-core value to a plain JS object (through JSON).
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue> {
    let text = Zeroizing::new(
        serde_json::to_string(value)
            .map_err(|_| VaultError::invalid_argument("value cannot be represented as JSON"))?,
    );
    js_sys::JSON::parse(&text)
        .map_err(|_| VaultError::invalid_argument("value cannot be represented as JSON"))
}

/// Parses a JSON text that vault-core produced (e.g. an SRP message's
/// `to_json`) into a JS object.
pub(crate) fn json_to_js(text: &str) -> Result<JsValue> {
    js_sys::JSON::parse(text)
        .map_err(|_| VaultError::invalid_argument("value cannot be represented as JSON"))
}

/// A string enum or newtype (`"editor"`, `"rfc5054-3072"`, a base64url salt,
/// a UUID) parsed with its serde implementation.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str, what: &'static str) -> Result<T> {
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        text.into_deserializer();
    T::deserialize(de).map_err(|_| VaultError::malformed(what, "unknown or invalid value"))
}

/// Largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE: u64 = 9_007_199_254_740_991;

/// A counter from JS (revision, conflict id): a non-negative safe integer,
/// else `invalid_argument` with `why`.
pub(crate) fn safe_integer(value: f64, why: &'static str) -> Result<u64> {
    #[allow(clippy::cast_precision_loss)] // 2^53 - 1 is exact in an f64
    let max = MAX_SAFE as f64;
    if (0.0..=max).contains(&value) && value.fract() == 0.0 {
        // Exact: an integral f64 within the safe range.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(value as u64)
    } else {
        Err(VaultError::invalid_argument(why))
    }
}

/// A revision number from JS: a non-negative safe integer.
pub(crate) fn revision(value: f64) -> Result<u64> {
    safe_integer(value, "revision must be a non-negative safe integer")
}

/// A revision for JS: exact as a number up to 2^53 - 1, else `invalid_argument`.
pub(crate) fn revision_to_js(value: u64) -> Result<f64> {
    if value <= MAX_SAFE {
        #[allow(clippy::cast_precision_loss)] // exact below 2^53
        Ok(value as f64)
    } else {
        Err(VaultError::invalid_argument(
            "revision beyond Number.MAX_SAFE_INTEGER",
        ))
    }
}

/// Copies bytes into a fresh JS `Uint8Array` (the source stays in Rust and is
/// zeroized by its owner).
pub(crate) fn bytes_to_js(bytes: &[u8]) -> js_sys::Uint8Array {
    js_sys::Uint8Array::from(bytes)
}

/// Exactly `N` bytes from a slice, or `invalid_argument`.
pub(crate) fn fixed<const N: usize>(bytes: &[u8], why: &'static str) -> Result<[u8; N]> {
    <[u8; N]>::try_from(bytes).map_err(|_| VaultError::invalid_argument(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_must_be_safe_integers() {
        assert_eq!(revision(0.0), Ok(0));
        assert_eq!(revision(42.0), Ok(42));
        assert_eq!(revision(9_007_199_254_740_991.0), Ok(9_007_199_254_740_991));
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY, 9_007_199_254_740_992.0] {
            assert!(revision(bad).is_err(), "{bad}");
        }
        assert_eq!(revision_to_js(7), Ok(7.0));
        assert_eq!(revision_to_js(MAX_SAFE), Ok(9_007_199_254_740_991.0));
        assert!(revision_to_js(MAX_SAFE + 1).is_err());
    }

    #[test]
    fn string_enums_parse_with_serde() {
        let r: vault_core::Role = from_str("editor", "role").unwrap();
        assert_eq!(r, vault_core::Role::Editor);
        assert!(from_str::<vault_core::Role>("admin", "role").is_err());
        let id: vault_core::ItemId =
            from_str("6f1c2e1e-8d7a-4b4c-9a53-1f5e9c0b7a10", "item id").unwrap();
        assert_eq!(id.to_string(), "6f1c2e1e-8d7a-4b4c-9a53-1f5e9c0b7a10");
    }

    #[test]
    fn fixed_lengths() {
        assert_eq!(fixed::<2>(&[1, 2], "x"), Ok([1, 2]));
        assert_eq!(
            fixed::<2>(&[1], "x").unwrap_err().code(),
            "invalid_argument"
        );
    }
}
