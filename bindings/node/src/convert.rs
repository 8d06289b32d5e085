//! Conversions between JS values and core types.
//!
//! Data objects (records, items, grants, wire messages) cross the boundary as
//! plain JS objects with exactly the JSON shape `docs/format.md` and
//! `docs/protocol.md` specify (snake_case members, binary as unpadded
//! base64url text), converted by the core's own serde definitions, so a
//! `JSON.stringify` of anything this addon returns is what the server stores.

use crate::error::{OrNapi, OrThrow, Result, malformed};
use napi::bindgen_prelude::{FromNapiValue, Function, JsObjectValue, Object};
use napi::{Env, Unknown, ValueType};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A JS object → a core type through its serde definition (strict: unknown
/// members are rejected). Failures are `malformed` and never quote the value.
pub(crate) fn from_js<T: DeserializeOwned>(
    env: &Env,
    value: Unknown<'_>,
    what: &'static str,
) -> Result<T> {
    env.from_js_value(value).map_err(|_| malformed(what))
}

/// A core type → a JS object (members in the order the format lists them).
pub(crate) fn to_js<'e, T: Serialize>(env: &'e Env, value: &T) -> Result<Unknown<'e>> {
    env.to_js_value(value).or_napi()
}

/// A wire message given either as JSON text or as the parsed object, as JSON
/// text, so it can go through the core's own `from_json` (which checks the
/// version first and reports `unsupported_version` exactly as the core does).
pub(crate) fn json_text(env: &Env, value: Unknown<'_>, what: &'static str) -> Result<String> {
    match value.get_type().or_napi()? {
        ValueType::String => env.from_js_value(value).map_err(|_| malformed(what)),
        ValueType::Object => {
            let v: serde_json::Value = env.from_js_value(value).map_err(|_| malformed(what))?;
            serde_json::to_string(&v).map_err(|_| malformed(what))
        }
        _ => Err(malformed(what)),
    }
}

/// Parses a wire message (text or object) with the core's `from_json`.
pub(crate) fn message<T>(
    env: &Env,
    value: Unknown<'_>,
    what: &'static str,
    parse: impl FnOnce(&str) -> vault_core::Result<T>,
) -> Result<T> {
    let text = zeroize::Zeroizing::new(json_text(env, value, what)?);
    parse(&text).or_throw()
}

/// An optional options object (`{ rng, secretKey, policy, signal, … }`).
pub(crate) struct Opts<'e>(Option<Object<'e>>);

impl<'e> Opts<'e> {
    pub(crate) fn new(obj: Option<Object<'e>>) -> Self {
        Opts(obj)
    }

    /// The member `key`, absent when the object or the member is missing,
    /// `undefined` or `null`.
    pub(crate) fn get<T: FromNapiValue>(&self, key: &str) -> Result<Option<T>> {
        let Some(obj) = &self.0 else {
            return Ok(None);
        };
        let raw: Option<Unknown<'_>> = obj.get(key).or_napi()?;
        match raw {
            None => Ok(None),
            Some(u) if u.get_type().or_napi()? == ValueType::Null => Ok(None),
            Some(_) => obj.get::<T>(key).or_napi(),
        }
    }

    /// The member `key` as a core type via serde.
    pub(crate) fn get_de<T: DeserializeOwned>(
        &self,
        env: &Env,
        key: &str,
        what: &'static str,
    ) -> Result<Option<T>> {
        match self.get::<Unknown<'_>>(key)? {
            None => Ok(None),
            Some(u) => from_js(env, u, what).map(Some),
        }
    }
}

/// Parses an id (account, vault, item) from its UUID text.
pub(crate) fn parse_id<T: std::str::FromStr<Err = vault_core::Error>>(s: &str) -> Result<T> {
    s.parse().or_throw()
}

/// `JSON.stringify(value)` by V8: for large inputs far cheaper than reading
/// an object graph property by property through N-API. `None` when it
/// throws (a `BigInt` inside) or yields no string; callers then fall back to
/// [`from_js`].
pub(crate) fn v8_stringify(env: &Env, value: Unknown<'_>) -> Option<String> {
    let global = env.get_global().ok()?;
    let json: Object<'_> = global.get_named_property("JSON").ok()?;
    let stringify: Function<'_, Unknown<'_>, Unknown<'_>> =
        json.get_named_property("stringify").ok()?;
    let out = stringify.call(value).ok()?;
    if out.get_type().ok()? != ValueType::String {
        return None;
    }
    env.from_js_value::<String, _>(out).ok()
}

/// `JSON.parse(text)` by V8: builds a large result (thousands of list rows)
/// far faster than setting properties one by one through N-API.
pub(crate) fn v8_parse<'e>(env: &'e Env, text: String) -> Result<Unknown<'e>> {
    let global = env.get_global().or_napi()?;
    let json: Object<'_> = global.get_named_property("JSON").or_napi()?;
    let parse: Function<'_, String, Unknown<'e>> = json.get_named_property("parse").or_napi()?;
    parse.call(text).or_napi()
}
