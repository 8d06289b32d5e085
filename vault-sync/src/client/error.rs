//! The client's one error type, grouped by whose fault it was.
//!
//! No variant carries a secret: server messages are the server's fixed,
//! secret-free texts ([`ErrorBody`](crate::api::ErrorBody)), network errors
//! are reduced to their kind (no URL, no header), database errors to
//! sqlx's description (no bound values), and core errors are
//! [`vault_core::Error`], which never holds key material.

pub use crate::api::ErrorCode;
use thiserror::Error;

/// Whose fault an error was: what a UI or a script needs to decide whether
/// to retry, fix its input, or report a bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The network or the server's availability: retry later.
    Network,
    /// The server failed (5xx, or an answer that does not parse).
    Server,
    /// The server refused the request (4xx): the request, the credentials
    /// or the session need fixing.
    Rejected,
    /// Something on this device: the local replica, local crypto (a wrong
    /// password, a record that does not open), or a bad argument.
    Local,
}

/// Everything that can go wrong in the client.
///
/// ```
/// use vault_sync::client::{ClientError, Fault};
/// use vault_sync::api::ErrorCode;
/// let e = ClientError::Rejected { status: 409, code: ErrorCode::Conflict, message: "the item changed".into(), retry_after: None };
/// assert_eq!(e.fault(), Fault::Rejected);
/// assert_eq!(e.code(), "conflict");
/// assert_eq!(e.server_code(), Some(ErrorCode::Conflict));
/// assert_eq!(e.to_string(), "the server refused the request: the item changed (conflict)");
/// ```
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server could not be reached or the connection broke.
    #[error("network error: {0}")]
    Network(String),
    /// The server answered 5xx.
    #[error("server error {status}: {message} ({code})")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's stable error code (`internal`, `unavailable`, …).
        code: ErrorCode,
        /// The server's message.
        message: String,
    },
    /// The server refused the request (4xx) with a stable error code.
    #[error("the server refused the request: {message} ({code})")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The server's stable error code: `bad_request`, `unauthorized`,
        /// `authentication_failed`, `forbidden`, `not_found`, `conflict`,
        /// `stale_key`, `rate_limited`, …
        code: ErrorCode,
        /// The server's message.
        message: String,
        /// On `rate_limited`: seconds to wait.
        retry_after: Option<u64>,
    },
    /// The server's answer did not have the expected shape (a bug, a proxy in
    /// the way, or a hostile server).
    #[error("the server's answer was not understood: {0}")]
    Protocol(String),
    /// The server could not prove it holds this account's login record
    /// (SRP `M2` did not verify): it may be an impostor. Nothing was sent
    /// that helps it; the tokens it handed out were discarded.
    #[error("the server failed to authenticate itself: it may not be the real server")]
    ServerNotAuthenticated,
    /// Local cryptography failed: a wrong password, a record or grant that
    /// does not open or verify, KDF parameters outside the policy.
    #[error("{0}")]
    Crypto(#[from] vault_core::Error),
    /// The local replica (SQLite file or device directory) failed.
    #[error("local replica: {0}")]
    Replica(String),
    /// Another process changed this device's replica during the operation;
    /// nothing was lost, run it again.
    #[error("the local replica was changed by another process: try again")]
    Busy,
    /// This device has no account: register or log in first.
    #[error("this device is not logged in: run login first")]
    NotLoggedIn,
    /// The session ended (logged out elsewhere, expired, or revoked):
    /// log in again. Local data stays readable offline.
    #[error("the session has ended: log in again")]
    SessionExpired,
    /// This device directory belongs to another account or server.
    #[error("{0}")]
    WrongDevice(String),
    /// A public identity differs from the one this device pinned for that
    /// account: the server (or someone) substituted keys. Compare
    /// fingerprints out of band before trusting it.
    #[error(
        "the public identity of {account} changed since this device first saw it: refusing to use it"
    )]
    IdentityChanged {
        /// The account whose identity changed.
        account: String,
    },
    /// A fingerprint given to check did not match.
    #[error("fingerprint mismatch: expected {expected}, the directory has {actual}")]
    FingerprintMismatch {
        /// What the caller expected.
        expected: String,
        /// What the directory's identity has.
        actual: String,
    },
    /// No such item, vault or user here.
    #[error("{0}")]
    NotFound(String),
    /// More than one item or vault matches the name given.
    #[error("{0}")]
    Ambiguous(String),
    /// A bad argument from the caller.
    #[error("{0}")]
    Invalid(String),
}

impl ClientError {
    /// Whose fault it was.
    pub fn fault(&self) -> Fault {
        match self {
            ClientError::Network(_) => Fault::Network,
            ClientError::Server { .. } | ClientError::Protocol(_) => Fault::Server,
            ClientError::Rejected { .. }
            | ClientError::ServerNotAuthenticated
            | ClientError::SessionExpired => Fault::Rejected,
            ClientError::Crypto(_)
            | ClientError::Replica(_)
            | ClientError::Busy
            | ClientError::NotLoggedIn
            | ClientError::WrongDevice(_)
            | ClientError::IdentityChanged { .. }
            | ClientError::FingerprintMismatch { .. }
            | ClientError::NotFound(_)
            | ClientError::Ambiguous(_)
            | ClientError::Invalid(_) => Fault::Local,
        }
    }

    /// A stable machine-readable code: the server's code for server
    /// answers, the core's code for crypto errors, a fixed name otherwise.
    pub fn code(&self) -> &str {
        match self {
            ClientError::Network(_) => "network",
            ClientError::Server { code, .. } | ClientError::Rejected { code, .. } => code.as_str(),
            ClientError::Protocol(_) => "protocol",
            ClientError::ServerNotAuthenticated => "server_not_authenticated",
            ClientError::Crypto(e) => e.code(),
            ClientError::Replica(_) => "replica",
            ClientError::Busy => "busy",
            ClientError::NotLoggedIn => "not_logged_in",
            ClientError::SessionExpired => "session_expired",
            ClientError::WrongDevice(_) => "wrong_device",
            ClientError::IdentityChanged { .. } => "identity_changed",
            ClientError::FingerprintMismatch { .. } => "fingerprint_mismatch",
            ClientError::NotFound(_) => "not_found",
            ClientError::Ambiguous(_) => "ambiguous",
            ClientError::Invalid(_) => "invalid",
        }
    }

    /// The server's code, for an error the server answered with.
    pub fn server_code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Server { code, .. } | ClientError::Rejected { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// True for a wrong password or unknown account: the server's
    /// `authentication_failed`, or a local record that did not open.
    pub fn is_authentication_failure(&self) -> bool {
        matches!(
            self,
            ClientError::Rejected {
                code: ErrorCode::AuthenticationFailed,
                ..
            }
        ) || matches!(
            self,
            ClientError::Crypto(vault_core::Error::Decrypt)
                | ClientError::Crypto(vault_core::Error::AuthenticationFailed)
        )
    }

    /// True if the server could not be reached (worth retrying later; local
    /// edits stay queued).
    pub fn is_offline(&self) -> bool {
        matches!(self, ClientError::Network(_))
            || matches!(
                self,
                ClientError::Server {
                    status: 502..=504,
                    ..
                }
            )
    }
}

impl From<sqlx::Error> for ClientError {
    fn from(e: sqlx::Error) -> Self {
        // sqlx's messages name the failing operation, never bound values.
        ClientError::Replica(e.to_string())
    }
}

impl From<reqwest::Error> for ClientError {
    fn from(e: reqwest::Error) -> Self {
        // Without the URL (it carries ids and cursors; never a token, but
        // there is no need for it), reduced to what happened.
        let kind = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "could not connect"
        } else if e.is_body() || e.is_decode() {
            "the connection broke while reading the answer"
        } else if e.is_request() {
            "the request could not be sent"
        } else if e.is_redirect() {
            "too many redirects"
        } else {
            "transport error"
        };
        ClientError::Network(kind.to_owned())
    }
}

/// Result of a client call.
pub type ClientResult<T> = Result<T, ClientError>;
