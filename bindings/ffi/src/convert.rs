//! Small conversions shared by the modules: ids as UUID text, envelopes as
//! their text form, fixed-length byte arrays, JSON through the core's serde.

use crate::error::{Result, VaultError, malformed};

/// Parses a hyphenated UUID into one of the core's id types.
pub(crate) fn id<T>(text: &str) -> Result<T>
where
    T: core::str::FromStr<Err = vault_core::Error>,
{
    Ok(text.parse::<T>()?)
}

/// Parses an envelope's text form (unpadded base64url).
pub(crate) fn envelope(text: &str) -> Result<vault_core::Envelope> {
    Ok(vault_core::Envelope::from_text(text)?)
}

/// Copies exactly `N` bytes.
pub(crate) fn array<const N: usize>(
    bytes: &[u8],
    what: &'static str,
    reason: &'static str,
) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| malformed(what, reason))
}

/// Serialises a core value to its canonical JSON (the server's wire form).
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|_| VaultError::from(vault_core::Error::InvalidArgument("not serialisable")))
}

/// Parses a core value from JSON; any JSON error is `malformed`.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    json: &str,
    what: &'static str,
) -> Result<T> {
    serde_json::from_str(json).map_err(|_| malformed(what, "invalid JSON"))
}

/// A protocol state that a transition consumes: foreign objects are shared
/// handles, so the core's move semantics become "take once, then
/// `invalid_argument`".
pub(crate) struct Consumable<T>(std::sync::Mutex<Option<T>>);

impl<T> Consumable<T> {
    pub(crate) fn new(state: T) -> Self {
        Consumable(std::sync::Mutex::new(Some(state)))
    }

    pub(crate) fn take(&self) -> Result<T> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .ok_or_else(crate::error::state_used)
    }
}

impl<T> core::fmt::Debug for Consumable<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("<protocol state, redacted>")
    }
}

/// Declares an exported wrapper object around a public protocol message with
/// `from_json` / `to_json`.
macro_rules! json_message {
    ($(#[$doc:meta])* $name:ident, $core:ty) => {
        $(#[$doc])*
        #[derive(uniffi::Object, Debug, Clone, PartialEq, Eq)]
        #[uniffi::export(Eq, Debug)]
        pub struct $name(pub(crate) $core);

        impl $name {
            #[allow(dead_code)]
            pub(crate) fn wrap(m: $core) -> std::sync::Arc<Self> {
                std::sync::Arc::new($name(m))
            }
        }

        #[uniffi::export]
        impl $name {
            /// Parses and validates the versioned JSON form (unknown fields,
            /// other versions and bad lengths are rejected).
            #[uniffi::constructor]
            pub fn from_json(json: &str) -> crate::error::Result<std::sync::Arc<Self>> {
                Ok(std::sync::Arc::new($name(<$core>::from_json(json)?)))
            }

            /// The versioned JSON form to send.
            pub fn to_json(&self) -> String {
                String::from(self.0.to_json())
            }
        }
    };
}
pub(crate) use json_message;
