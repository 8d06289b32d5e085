//! The command's errors and exit codes.

use vault_sync::client::{ClientError, Fault};

/// Exit codes (also listed in `vault --help`).
pub mod exit {
    /// Something else went wrong.
    pub const GENERAL: i32 = 1;
    /// Bad usage (clap's own code).
    pub const USAGE: i32 = 2;
    /// Not logged in, locked, or the session ended: log in or unlock.
    pub const NEEDS_LOGIN: i32 = 3;
    /// Wrong password (or unknown account).
    pub const AUTH: i32 = 4;
    /// The server could not be reached.
    pub const NETWORK: i32 = 5;
    /// The server refused the request.
    pub const REFUSED: i32 = 6;
    /// The server failed, or answered something unexpected.
    pub const SERVER: i32 = 7;
    /// No such item, vault or user (or the name is ambiguous).
    pub const NOT_FOUND: i32 = 8;
    /// A security check failed: fingerprint mismatch, changed identity,
    /// a server that did not authenticate itself.
    pub const SECURITY: i32 = 9;
}

/// An error with its exit code and a stable machine code.
#[derive(Debug)]
pub struct CliError {
    /// Process exit code.
    pub exit: i32,
    /// Stable code (for `--json`).
    pub code: String,
    /// For people.
    pub message: String,
    /// What to do about it, if there is a next step.
    pub hint: Option<String>,
}

impl CliError {
    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            exit: exit::USAGE,
            code: "usage".into(),
            message: message.into(),
            hint: None,
        }
    }

    /// An error with this exit code.
    pub fn new(exit: i32, code: &str, message: impl Into<String>) -> Self {
        CliError {
            exit,
            code: code.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The vault is locked and no password is available.
    pub fn locked() -> Self {
        CliError::new(exit::NEEDS_LOGIN, "locked", "the vault is locked").hint(
            "run `eval \"$(vault unlock)\"`, or set VAULT_SESSION, or give the password (terminal, --password-stdin or VAULT_PASSWORD)",
        )
    }
}

impl From<ClientError> for CliError {
    fn from(e: ClientError) -> Self {
        let message = e.to_string();
        let code = e.code().to_owned();
        let (exit, hint) = match &e {
            ClientError::NotLoggedIn => (exit::NEEDS_LOGIN, Some("run `vault login <identifier>`")),
            ClientError::SessionExpired => (
                exit::NEEDS_LOGIN,
                Some("run `vault login <identifier>` again"),
            ),
            _ if e.is_authentication_failure() => (exit::AUTH, None),
            ClientError::ServerNotAuthenticated
            | ClientError::IdentityChanged { .. }
            | ClientError::FingerprintMismatch { .. } => (exit::SECURITY, None),
            ClientError::Crypto(vault_core::Error::KdfPolicy(_)) => (
                exit::SECURITY,
                Some("KDF parameters outside this client's policy (floor and ceiling)"),
            ),
            ClientError::Crypto(vault_core::Error::BadSignature(_)) => (exit::SECURITY, None),
            ClientError::NotFound(_) | ClientError::Ambiguous(_) => (exit::NOT_FOUND, None),
            ClientError::Rejected { status: 404, .. } => (exit::NOT_FOUND, None),
            ClientError::Busy => (exit::GENERAL, Some("run the command again")),
            ClientError::Invalid(_) => (exit::USAGE, None),
            _ => match e.fault() {
                Fault::Network => (
                    exit::NETWORK,
                    Some("check the server address and your connection; local edits stay queued"),
                ),
                Fault::Server => (exit::SERVER, None),
                Fault::Rejected => (exit::REFUSED, None),
                Fault::Local => (exit::GENERAL, None),
            },
        };
        CliError {
            exit,
            code,
            message,
            hint: hint.map(str::to_owned),
        }
    }
}

impl From<vault_core::Error> for CliError {
    fn from(e: vault_core::Error) -> Self {
        ClientError::from(e).into()
    }
}

/// Result of a command.
pub type CliResult<T> = Result<T, CliError>;
