//! The one error type every exported function throws.
//!
//! Each variant mirrors a `vault_core::Error` kind; [`VaultError::code`] is
//! the stable machine-readable code (`vault_core::Error::code()`, listed in
//! `docs/format.md` §11) and `reason` is the core's message. Neither ever
//! contains secret material: the core's messages are fixed strings.

/// Everything an exported function can fail with (Kotlin `VaultException`,
/// Swift `VaultError`, Python `VaultError`). Match on the variant, or read the
/// stable [`code`](VaultError::code) for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum VaultError {
    /// Authenticated decryption failed: wrong key, wrong context or tampered
    /// data. Deliberately uninformative. Code `decrypt`.
    #[error("{reason}")]
    Decrypt {
        /// What went wrong, without secrets.
        reason: String,
    },
    /// Bytes or text not well formed (length, encoding, JSON). Code `malformed`.
    #[error("{reason}")]
    Malformed {
        /// What went wrong, without secrets.
        reason: String,
    },
    /// A version this build does not know (data from a newer client). Code
    /// `unsupported_version`.
    #[error("{reason}")]
    UnsupportedVersion {
        /// What went wrong, without secrets.
        reason: String,
    },
    /// An unknown envelope algorithm id. Code `unsupported_algorithm`.
    #[error("{reason}")]
    UnsupportedAlgorithm {
        /// What went wrong, without secrets.
        reason: String,
    },
    /// KDF parameters outside the client's floor/ceiling policy. Code `kdf_policy`.
    #[error("{reason}")]
    KdfPolicy {
        /// What went wrong, without secrets.
        reason: String,
    },
    /// A Secret Key or share text failed its checksum (most likely a typo).
    /// Code `checksum`.
    #[error("{reason}")]
    Checksum {
        /// What went wrong, without secrets.
        reason: String,
    },
    /// A grant or identity signature does not verify. Code `bad_signature`.
    #[error("{reason}")]
    BadSignature {
        /// What went wrong, without secrets.
        reason: String,
    },
    /// Shamir shares inconsistent, too few, duplicated or tampered. Code `shamir`.
    #[error("{reason}")]
    Shamir {
        /// What went wrong, without secrets.
        reason: String,
    },
    /// A peer's key or protocol value is invalid. Code `invalid_peer_value`.
    #[error("{reason}")]
    InvalidPeerValue {
        /// What went wrong, without secrets.
        reason: String,
    },
    /// The caller misused the API (bad argument, a protocol state used twice).
    /// Code `invalid_argument`.
    #[error("{reason}")]
    InvalidArgument {
        /// What went wrong, without secrets.
        reason: String,
    },
    /// Login failed: wrong password, or a peer that does not know it. Code
    /// `authentication_failed`.
    #[error("{reason}")]
    AuthenticationFailed {
        /// What went wrong, without secrets.
        reason: String,
    },
    /// A device, PIN or recovery wrap (or a rotation) of an older account key
    /// generation than the record: unlock with the password and set the
    /// method up again. Code `stale_wrap`.
    #[error("{reason}")]
    StaleWrap {
        /// What went wrong, without secrets.
        reason: String,
    },
    /// Too many wrong PINs: the PIN wrap was erased; unlock with the password.
    /// Code `locked_out`.
    #[error("{reason}")]
    LockedOut {
        /// What went wrong, without secrets.
        reason: String,
    },
    /// A service holds no grant for what it tried to open (not approved yet,
    /// or not for this secret or key generation). Code `not_granted`.
    #[error("{reason}")]
    NotGranted {
        /// What went wrong, without secrets.
        reason: String,
    },
    /// A kind of error this binding does not know yet (a newer vault-core);
    /// `code` carries the core's code as is.
    #[error("{reason}")]
    Other {
        /// The core's stable error code.
        code: String,
        /// What went wrong, without secrets.
        reason: String,
    },
}

#[uniffi::export]
impl VaultError {
    /// The stable machine-readable code, equal to `vault_core::Error::code()`
    /// (`decrypt`, `malformed`, `unsupported_version`, …).
    pub fn code(&self) -> String {
        match self {
            VaultError::Decrypt { .. } => "decrypt".into(),
            VaultError::Malformed { .. } => "malformed".into(),
            VaultError::UnsupportedVersion { .. } => "unsupported_version".into(),
            VaultError::UnsupportedAlgorithm { .. } => "unsupported_algorithm".into(),
            VaultError::KdfPolicy { .. } => "kdf_policy".into(),
            VaultError::Checksum { .. } => "checksum".into(),
            VaultError::BadSignature { .. } => "bad_signature".into(),
            VaultError::Shamir { .. } => "shamir".into(),
            VaultError::InvalidPeerValue { .. } => "invalid_peer_value".into(),
            VaultError::InvalidArgument { .. } => "invalid_argument".into(),
            VaultError::AuthenticationFailed { .. } => "authentication_failed".into(),
            VaultError::StaleWrap { .. } => "stale_wrap".into(),
            VaultError::LockedOut { .. } => "locked_out".into(),
            VaultError::NotGranted { .. } => "not_granted".into(),
            VaultError::Other { code, .. } => code.clone(),
        }
    }

    /// The message without secrets (the same text as the exception message).
    pub fn reason(&self) -> String {
        self.to_string()
    }
}

impl From<vault_core::Error> for VaultError {
    fn from(e: vault_core::Error) -> Self {
        use vault_core::Error as E;
        let reason = e.to_string();
        match e {
            E::Decrypt => VaultError::Decrypt { reason },
            E::Malformed { .. } => VaultError::Malformed { reason },
            E::UnsupportedVersion { .. } => VaultError::UnsupportedVersion { reason },
            E::UnsupportedAlgorithm(_) => VaultError::UnsupportedAlgorithm { reason },
            E::KdfPolicy(_) => VaultError::KdfPolicy { reason },
            E::Checksum(_) => VaultError::Checksum { reason },
            E::BadSignature(_) => VaultError::BadSignature { reason },
            E::Shamir(_) => VaultError::Shamir { reason },
            E::InvalidPeerValue(_) => VaultError::InvalidPeerValue { reason },
            E::InvalidArgument(_) => VaultError::InvalidArgument { reason },
            E::AuthenticationFailed => VaultError::AuthenticationFailed { reason },
            E::StaleWrap(_) => VaultError::StaleWrap { reason },
            E::LockedOut => VaultError::LockedOut { reason },
            E::NotGranted(_) => VaultError::NotGranted { reason },
            other => VaultError::Other {
                code: other.code().to_owned(),
                reason,
            },
        }
    }
}

/// Result alias for exported functions.
pub type Result<T, E = VaultError> = core::result::Result<T, E>;

/// A malformed-input error raised while converting a foreign value (wrong
/// length, bad id text) into a core type.
pub(crate) fn malformed(what: &'static str, reason: &'static str) -> VaultError {
    vault_core::Error::Malformed { what, reason }.into()
}

/// The error for a protocol state object used a second time.
pub(crate) fn state_used() -> VaultError {
    vault_core::Error::InvalidArgument("protocol state already used: start a new exchange").into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_core() {
        let all = [
            vault_core::Error::Decrypt,
            vault_core::Error::Malformed {
                what: "x",
                reason: "y",
            },
            vault_core::Error::UnsupportedVersion {
                what: "x",
                version: 9,
            },
            vault_core::Error::UnsupportedAlgorithm(9),
            vault_core::Error::KdfPolicy("x"),
            vault_core::Error::Checksum("x"),
            vault_core::Error::BadSignature("x"),
            vault_core::Error::Shamir("x"),
            vault_core::Error::InvalidPeerValue("x"),
            vault_core::Error::InvalidArgument("x"),
            vault_core::Error::AuthenticationFailed,
            vault_core::Error::StaleWrap("x"),
            vault_core::Error::LockedOut,
            vault_core::Error::NotGranted("x"),
        ];
        for e in all {
            let code = e.code();
            let reason = e.to_string();
            let ffi = VaultError::from(e);
            assert_eq!(ffi.code(), code);
            assert_eq!(ffi.reason(), reason);
            assert!(!matches!(ffi, VaultError::Other { .. }), "{code}");
        }
    }
}
