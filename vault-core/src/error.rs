//! One error type for the whole core, grouped by whose fault it was.
//!
//! Variants never carry secret material. Decryption failure is a single unit
//! variant on purpose: which check failed (tag, key, associated data) would only
//! help an attacker.

use thiserror::Error;

/// Everything that can go wrong in `vault-core`.
///
/// Each variant has a stable machine-readable [`Error::code`] that bindings
/// surface to apps; messages contain no secret.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Authenticated decryption failed: wrong key, wrong context, or tampered data.
    #[error("decryption failed")]
    Decrypt,
    /// Input bytes or text are not well formed (the caller or the peer sent garbage).
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being parsed, e.g. "envelope".
        what: &'static str,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A format version this build does not know (data from a newer client).
    #[error("unsupported {what} version {version}")]
    UnsupportedVersion {
        /// What carried the version.
        what: &'static str,
        /// The version found.
        version: u8,
    },
    /// An algorithm identifier this build does not know.
    #[error("unsupported algorithm id {0}")]
    UnsupportedAlgorithm(u8),
    /// KDF parameters from elsewhere (the server) fall outside the client's policy.
    #[error("KDF parameters rejected: {0}")]
    KdfPolicy(&'static str),
    /// A Secret Key or recovery text failed its checksum (most likely a typo).
    #[error("checksum mismatch in {0}: check for a typo")]
    Checksum(&'static str),
    /// A signature did not verify (a grant or identity was forged or altered).
    #[error("signature verification failed for {0}")]
    BadSignature(&'static str),
    /// Shares that do not belong together, too few shares, or a tampered share.
    #[error("secret sharing: {0}")]
    Shamir(&'static str),
    /// A peer's public key or protocol value is invalid (e.g. a low-order point).
    #[error("invalid peer value: {0}")]
    InvalidPeerValue(&'static str),
    /// The caller used the API wrongly (bad argument, state reused); a bug in the app.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// Authentication failed (wrong password or a peer that does not know it).
    #[error("authentication failed")]
    AuthenticationFailed,
    /// A quick-unlock or recovery wrap holds an older account key than the
    /// account record (the key was rotated since, or a server replayed an old
    /// record or wrap). Unlock with the password and set the method up again.
    #[error("this {0} belongs to an older account key")]
    StaleWrap(&'static str),
    /// A PIN unlock used up its attempts and erased its wrap: unlock with the
    /// password (and set a new PIN).
    #[error("too many wrong PIN attempts: unlock with the password")]
    LockedOut,
    /// A service holds no grant for what it tried to open (not approved
    /// yet, or not for this secret or key generation).
    #[error("not granted: {0}")]
    NotGranted(&'static str),
}

impl Error {
    /// A stable, machine-readable code for bindings and logs (never changes meaning).
    ///
    /// ```
    /// assert_eq!(vault_core::Error::Decrypt.code(), "decrypt");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Error::Decrypt => "decrypt",
            Error::Malformed { .. } => "malformed",
            Error::UnsupportedVersion { .. } => "unsupported_version",
            Error::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Error::KdfPolicy(_) => "kdf_policy",
            Error::Checksum(_) => "checksum",
            Error::BadSignature(_) => "bad_signature",
            Error::Shamir(_) => "shamir",
            Error::InvalidPeerValue(_) => "invalid_peer_value",
            Error::InvalidArgument(_) => "invalid_argument",
            Error::AuthenticationFailed => "authentication_failed",
            Error::StaleWrap(_) => "stale_wrap",
            Error::LockedOut => "locked_out",
            Error::NotGranted(_) => "not_granted",
        }
    }

    pub(crate) fn malformed(what: &'static str, reason: &'static str) -> Self {
        Error::Malformed { what, reason }
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;
