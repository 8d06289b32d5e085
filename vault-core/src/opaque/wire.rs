//! The encoding every OPAQUE wire type shares: the versioned JSON object
//! (`{"v":1,"<member>":"<base64url>"}`, see the [module docs](super)), the raw
//! RFC 9807 bytes, and the serde and `Debug` impls generated from them.

use super::OPAQUE_WIRE_VERSION;
use crate::encoding::{b64_decode, b64_encode};
use crate::error::{Error, Result};
use core::fmt;
use core::marker::PhantomData;
use opaque_ke::errors::ProtocolError;
use zeroize::Zeroizing;

/// One message type's RFC 9807 bytes and its JSON member name.
pub(super) trait Wire: Sized {
    /// Name in errors, e.g. "OPAQUE KE1".
    const WHAT: &'static str;
    /// The JSON member that carries the bytes.
    const FIELD: &'static str;
    /// Exact length of the raw encoding.
    const LEN: usize;
    fn raw(&self) -> Zeroizing<Vec<u8>>;
    /// Parses exactly `LEN` bytes (the caller checked the length).
    fn parse(bytes: &[u8]) -> core::result::Result<Self, ProtocolError>;
}

pub(super) fn from_raw<T: Wire>(bytes: &[u8]) -> Result<T> {
    if bytes.len() != T::LEN {
        return Err(Error::malformed(T::WHAT, "wrong length"));
    }
    T::parse(bytes).map_err(|_| Error::malformed(T::WHAT, "invalid encoding or group element"))
}

pub(super) fn json_of<T: Wire>(t: &T) -> Zeroizing<String> {
    // Hand-built so it is infallible; base64url and the member names need no escaping.
    let b64 = Zeroizing::new(b64_encode(&t.raw()));
    Zeroizing::new(format!(
        "{{\"v\":{OPAQUE_WIRE_VERSION},\"{}\":\"{}\"}}",
        T::FIELD,
        b64.as_str()
    ))
}

/// What a JSON object held, before any meaning is checked.
struct Parts {
    v: Option<u8>,
    payload: Option<Zeroizing<String>>,
    stray: bool,
}

struct PartsVisitor<T>(PhantomData<T>);

impl<'de, T: Wire> serde::de::Visitor<'de> for PartsVisitor<T> {
    type Value = Parts;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object {{\"v\": 1, \"{}\": base64url}}", T::FIELD)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> core::result::Result<Parts, A::Error> {
        use serde::de::Error as _;
        let mut parts = Parts {
            v: None,
            payload: None,
            stray: false,
        };
        while let Some(key) = map.next_key::<String>()? {
            if key.as_str() == "v" {
                if parts.v.is_some() {
                    return Err(A::Error::duplicate_field("v"));
                }
                parts.v = Some(map.next_value()?);
            } else if key.as_str() == T::FIELD {
                if parts.payload.is_some() {
                    return Err(A::Error::duplicate_field(T::FIELD));
                }
                parts.payload = Some(Zeroizing::new(map.next_value::<String>()?));
            } else {
                // Remembered, not failed on yet: a newer version may name its
                // members differently and deserves UnsupportedVersion.
                parts.stray = true;
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(parts)
    }
}

fn from_parts<T: Wire>(parts: Parts) -> Result<T> {
    let v = parts
        .v
        .ok_or_else(|| Error::malformed(T::WHAT, "missing version"))?;
    if v != OPAQUE_WIRE_VERSION {
        return Err(Error::UnsupportedVersion {
            what: T::WHAT,
            version: v,
        });
    }
    if parts.stray {
        return Err(Error::malformed(T::WHAT, "unknown member"));
    }
    let text = parts
        .payload
        .ok_or_else(|| Error::malformed(T::WHAT, "missing payload"))?;
    let bytes = Zeroizing::new(b64_decode(&text, T::WHAT)?);
    from_raw(&bytes)
}

pub(super) fn from_json<T: Wire>(json: &str) -> Result<T> {
    use serde::Deserializer as _;
    let mut de = serde_json::Deserializer::from_slice(json.as_bytes());
    let parts = (&mut de)
        .deserialize_map(PartsVisitor::<T>(PhantomData))
        .map_err(|_| Error::malformed(T::WHAT, "invalid JSON"))?;
    de.end()
        .map_err(|_| Error::malformed(T::WHAT, "trailing characters after JSON"))?;
    from_parts(parts)
}

pub(super) fn serialize_wire<T: Wire, S: serde::Serializer>(
    t: &T,
    s: S,
) -> core::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct as _;
    let b64 = Zeroizing::new(b64_encode(&t.raw()));
    let mut st = s.serialize_struct(T::WHAT, 2)?;
    st.serialize_field("v", &OPAQUE_WIRE_VERSION)?;
    st.serialize_field(T::FIELD, b64.as_str())?;
    st.end()
}

pub(super) fn deserialize_wire<'de, T: Wire, D: serde::Deserializer<'de>>(
    d: D,
) -> core::result::Result<T, D::Error> {
    let parts = d.deserialize_map(PartsVisitor::<T>(PhantomData))?;
    from_parts(parts).map_err(serde::de::Error::custom)
}

/// Implements serde, JSON and raw-byte conversions for a wire type. Public
/// messages get `to_json() -> String`; secrets get `to_json() -> SecretString`.
macro_rules! wire_impls {
    ($ty:ident, public) => {
        wire_impls!(@common $ty);
        impl $ty {
            /// The versioned JSON encoding (see the module docs for the shape).
            pub fn to_json(&self) -> String {
                String::clone(&json_of(self))
            }
            /// The raw RFC 9807 encoding, without the version wrapper.
            pub fn to_bytes(&self) -> Vec<u8> {
                Vec::clone(&self.raw())
            }
        }
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                *self.raw() == *other.raw()
            }
        }
        impl Eq for $ty {}
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($ty), b64_encode(&self.raw()))
            }
        }
    };
    ($ty:ident, secret) => {
        wire_impls!(@common $ty);
        impl $ty {
            /// The versioned JSON encoding (see the module docs for the
            /// shape). It contains secrets: store it as one.
            pub fn to_json(&self) -> SecretString {
                SecretString::from(String::clone(&json_of(self)))
            }
            /// The raw encoding, without the version wrapper. Secret.
            pub fn to_bytes(&self) -> SecretBytes {
                SecretBytes::from(self.raw())
            }
        }
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(<redacted>)", stringify!($ty))
            }
        }
    };
    (@common $ty:ident) => {
        impl $ty {
            /// Parses the versioned JSON encoding. Never panics: bad input
            /// is [`Error::Malformed`](crate::Error::Malformed), a newer version
            /// [`Error::UnsupportedVersion`](crate::Error::UnsupportedVersion).
            pub fn from_json(json: &str) -> Result<Self> {
                from_json(json)
            }
            /// Parses the raw RFC 9807 encoding (exact length, valid group elements).
            pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
                from_raw(bytes)
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> core::result::Result<S::Ok, S::Error> {
                serialize_wire(self, s)
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(
                d: D,
            ) -> core::result::Result<Self, D::Error> {
                deserialize_wire(d)
            }
        }
    };
}
pub(super) use wire_impls;
