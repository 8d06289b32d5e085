//! The server keyring's error type, grouped by whose fault it was.
//!
//! A module error rather than new variants of [`crate::Error`]: these errors
//! only ever reach the server (vault-sync), never an app or a binding, and
//! several of them name things (a KEK id, a share index, a threshold) that the
//! operator needs to act on. No variant carries key material, a token or a
//! secret value; every payload is an id, a count or a fixed string.

use super::kek::KekId;
use thiserror::Error;

/// Everything the server keyring can fail with.
///
/// ```
/// use vault_core::server_keyring::{Kek, KeyringError};
/// let err = Kek::from_bytes(&[1; 16]).unwrap_err();
/// assert_eq!(err, KeyringError::KeyLength { what: "KEK", expected: 32, found: 16 });
/// assert_eq!(err.code(), "key_length");
/// ```
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyringError {
    // ----------------------------------------------------------------------
    // The operator's configuration or input (fix the config, the env var, the
    // shares).
    /// Key material of the wrong length: an env var, a file or a KMS answer
    /// that is not a 32-byte key.
    #[error("{what} must be {expected} bytes, got {found}")]
    KeyLength {
        /// Which key ("KEK", "root key").
        what: &'static str,
        /// The required length.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A key of all zero bytes: a placeholder or an unset buffer, never a real
    /// key. Refused so that no provider silently runs on a default key.
    #[error("{0} is all zero bytes: refusing a placeholder key")]
    ZeroKey(&'static str),
    /// The shares do not recover a root key: a wrong, mixed or tampered share
    /// (the Shamir integrity check failed), or shares of another secret. The
    /// unseal attempt was reset; start again with the right shares.
    #[error("bad share set: {0}")]
    BadShareSet(&'static str),
    /// A share made for another threshold than the one this server unseals
    /// with: it comes from another split.
    #[error("share is from a {found}-of-n split, this server needs {expected}")]
    ThresholdMismatch {
        /// The threshold the server was configured with.
        expected: u8,
        /// The threshold the share carries.
        found: u8,
    },
    /// The share with this index was already given in this unseal attempt.
    #[error("share {index} was already given in this unseal attempt")]
    DuplicateShare {
        /// The share's index (x coordinate, not secret).
        index: u8,
    },
    /// The share was sent with another attempt nonce than the unseal in
    /// progress: two operators must not mix their attempts. Reset first, or
    /// use the nonce of the attempt in progress.
    #[error("share belongs to another unseal attempt")]
    AttemptMismatch,
    /// The keyring already holds [`MAX_KEKS`](super::MAX_KEKS) KEKs: retire
    /// inactive ones (after rewrapping their DEKs) before rotating again.
    #[error("keyring already holds {max} KEKs: retire old ones first")]
    TooManyKeks {
        /// The limit.
        max: usize,
    },

    // ----------------------------------------------------------------------
    // Stored data (wrong key, or storage altered it).
    /// Authenticated decryption failed: the wrong root key or KEK, the wrong
    /// name, version or object id, or altered bytes. Deliberately says no more
    /// than what was being opened.
    #[error("cannot open {0}: wrong key or context, or the data was altered")]
    Decrypt(&'static str),
    /// Stored bytes or presented text that are not well formed.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being parsed.
        what: &'static str,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A format version this build does not know (written by a newer server).
    #[error("unsupported {what} version {version}")]
    UnsupportedVersion {
        /// What carried the version.
        what: &'static str,
        /// The version found.
        version: u8,
    },
    /// An envelope algorithm these formats do not allow: the server keyring
    /// is XChaCha20-Poly1305 only (`docs/format.md` §17).
    #[error("unsupported algorithm id {0} in a server keyring record")]
    UnsupportedAlgorithm(u8),
    /// The DEK was wrapped under a KEK this keyring (or bare KEK) does not
    /// hold: it was retired, or the server runs with another KEK. The id is
    /// safe to log.
    #[error("KEK {0} is not in this keyring")]
    UnknownKek(KekId),

    // ----------------------------------------------------------------------
    // The caller (server code) used the API wrongly.
    /// A managed value larger than [`MAX_MANAGED_VALUE_BYTES`](super::MAX_MANAGED_VALUE_BYTES).
    #[error("value of {len} bytes exceeds the {max}-byte limit")]
    ValueTooLarge {
        /// The value's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A bad argument (an empty object id, a threshold out of range, retiring
    /// the active KEK).
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),

    // ----------------------------------------------------------------------
    // A client presented something that is not an admin token or scope.
    /// The text does not start with `vat1.`.
    #[error("admin token must start with \"vat1.\"")]
    TokenPrefix,
    /// The body after `vat1.` is not 43 characters (32 bytes in base64url).
    #[error("admin token body must be 43 base64url characters")]
    TokenLength,
    /// The body is not canonical unpadded base64url.
    #[error("admin token body is not unpadded base64url")]
    TokenEncoding,
    /// A scope name that is not one of [`AdminScope`](super::AdminScope)'s.
    #[error("unknown admin scope")]
    UnknownScope,
}

impl KeyringError {
    /// A stable, machine-readable code for logs and the server's API errors.
    ///
    /// ```
    /// use vault_core::server_keyring::KeyringError;
    /// assert_eq!(KeyringError::AttemptMismatch.code(), "attempt_mismatch");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            KeyringError::KeyLength { .. } => "key_length",
            KeyringError::ZeroKey(_) => "zero_key",
            KeyringError::BadShareSet(_) => "bad_share_set",
            KeyringError::ThresholdMismatch { .. } => "threshold_mismatch",
            KeyringError::DuplicateShare { .. } => "duplicate_share",
            KeyringError::AttemptMismatch => "attempt_mismatch",
            KeyringError::TooManyKeks { .. } => "too_many_keks",
            KeyringError::Decrypt(_) => "decrypt",
            KeyringError::Malformed { .. } => "malformed",
            KeyringError::UnsupportedVersion { .. } => "unsupported_version",
            KeyringError::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            KeyringError::UnknownKek(_) => "unknown_kek",
            KeyringError::ValueTooLarge { .. } => "value_too_large",
            KeyringError::InvalidArgument(_) => "invalid_argument",
            KeyringError::TokenPrefix => "token_prefix",
            KeyringError::TokenLength => "token_length",
            KeyringError::TokenEncoding => "token_encoding",
            KeyringError::UnknownScope => "unknown_scope",
        }
    }

    pub(crate) fn malformed(what: &'static str, reason: &'static str) -> Self {
        KeyringError::Malformed { what, reason }
    }
}

/// Result alias of this module.
pub(crate) type Result<T, E = KeyringError> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_snake_case() {
        let all = [
            KeyringError::KeyLength {
                what: "KEK",
                expected: 32,
                found: 1,
            },
            KeyringError::ZeroKey("KEK"),
            KeyringError::BadShareSet("x"),
            KeyringError::ThresholdMismatch {
                expected: 3,
                found: 2,
            },
            KeyringError::DuplicateShare { index: 1 },
            KeyringError::AttemptMismatch,
            KeyringError::TooManyKeks { max: 1 },
            KeyringError::Decrypt("x"),
            KeyringError::malformed("x", "y"),
            KeyringError::UnsupportedVersion {
                what: "x",
                version: 2,
            },
            KeyringError::UnsupportedAlgorithm(2),
            KeyringError::UnknownKek(KekId::from_bytes([0; 16])),
            KeyringError::ValueTooLarge { len: 2, max: 1 },
            KeyringError::InvalidArgument("x"),
            KeyringError::TokenPrefix,
            KeyringError::TokenLength,
            KeyringError::TokenEncoding,
            KeyringError::UnknownScope,
        ];
        let mut codes: Vec<&str> = all.iter().map(KeyringError::code).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn messages_name_the_problem() {
        let e = KeyringError::UnknownKek(KekId::from_bytes([0xab; 16]));
        assert_eq!(
            e.to_string(),
            "KEK abababababababababababababababab is not in this keyring"
        );
        assert_eq!(
            KeyringError::ThresholdMismatch {
                expected: 3,
                found: 2
            }
            .to_string(),
            "share is from a 2-of-n split, this server needs 3"
        );
    }
}
