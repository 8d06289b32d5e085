//! [`SecretsError`]: every way a call can fail, one variant per stable
//! server code (the table at the top of `secrets.proto`), plus local
//! failures ([`ConfigError`], transport, cryptography).
//!
//! No message holds a secret value, the token or its auth header, or a
//! secret name: names are the caller's own input or were decrypted here,
//! and neither is repeated in an error that may end up in a log. What the
//! server said is kept only as its stable code; what the transport said
//! is kept with control characters removed and its length capped.

use std::path::PathBuf;
use std::time::Duration;
use tonic::{Code, Status};
use vault_sync::grpc::{ERROR_CODE_KEY, GrpcCode, RETRY_AFTER_KEY};

/// Longest transport detail kept, in characters.
const MAX_DETAIL: usize = 300;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretsError {
    /// The token is unknown, wrong, revoked or expired (the server gives
    /// one answer for all four). A revoked service needs a new token.
    #[error("the service token is unknown, revoked or expired")]
    Unauthenticated,
    /// The service registered and waits for a project member's approval.
    #[error("the service waits for a project member's approval")]
    PendingApproval,
    /// A project member refused the registration.
    #[error("a project member denied this service's registration")]
    Denied,
    /// The client's address is outside the service's or the project's
    /// allowlist.
    #[error("this address is outside the service's or the project's allowlist")]
    NotAllowedFromAddress,
    /// No secret has this name. The server filed a stub, so the project's
    /// members see the name as missing (with its description, if the call
    /// sent one).
    #[error("no secret has this name: the project's members see it as missing")]
    NotFound,
    /// The secret exists and is not granted to this service: an access
    /// request is filed for the project's members.
    #[error("the secret is not granted to this service: an access request is filed")]
    AccessRequested,
    /// The secret exists, is not granted, and a member refused the access
    /// request.
    #[error("the secret is not granted to this service and the request was denied")]
    AccessDenied,
    /// Too many attempts from this address.
    #[error("rate limited by the server")]
    RateLimited {
        /// How long the server asks to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// The project has too many services waiting for approval.
    #[error("too many services wait for approval in this project")]
    TooManyPending,
    /// This service id is registered already (a repeated registration).
    #[error("this service is registered already")]
    AlreadyRegistered,
    /// The project the token names does not exist on this server.
    #[error("the project does not exist on this server")]
    ProjectNotFound,
    /// The server cannot serve the call now; try again later. `detail`
    /// says why in fixed words (`audit_unavailable`: the access could not
    /// be recorded, so it was refused) or is what the transport said.
    #[error("the server is unavailable: {detail}")]
    Unavailable {
        /// Why.
        detail: String,
    },
    /// The server refused the call with a stable code this client does
    /// not map to a variant of its own (`malformed`,
    /// `unsupported_version`, `too_many_streams`, `internal`…).
    #[error("the server refused the call: {code}")]
    Rejected {
        /// The stable snake_case code.
        code: String,
    },
    /// The call did not complete in time.
    #[error("the call timed out")]
    Timeout,
    /// Connecting or talking to the server failed (no stable code).
    #[error("transport: {detail}")]
    Transport {
        /// What the transport said (no secret: the client never puts one
        /// in a request line or a header it would echo).
        detail: String,
    },
    /// The configuration is unusable.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// The caller's input is not usable (in fixed words): a name that is
    /// not a valid secret name (the rule is
    /// [`SecretName::new`](vault_core::machine::SecretName::new)'s; the
    /// name is not repeated), a description over 1024 bytes, a project
    /// reference that is not one.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// A grant, key or secret did not verify or open (vault-core's opaque
    /// error: a forged grant, a key this service was not given, tampering).
    #[error("cryptography: {0}")]
    Crypto(#[from] vault_core::Error),
    /// The server's answer does not check out (in fixed words).
    #[error("the server's answer is invalid: {0}")]
    Protocol(&'static str),
    /// [`get_all`](crate::SecretsClient::get_all): the secrets do not fit
    /// the target type (serde's own message is not kept: it may quote a
    /// value).
    #[error("the secrets do not fit the target type")]
    Deserialize,
}

/// Why a configuration is unusable. Paths and variable names are shown;
/// tokens never are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required environment variable is not set (or empty).
    #[error("{0} is not set")]
    Missing(&'static str),
    /// Both `VAULT_SERVICE_TOKEN` and `VAULT_SERVICE_TOKEN_FILE` are set.
    #[error("set VAULT_SERVICE_TOKEN or VAULT_SERVICE_TOKEN_FILE, not both")]
    AmbiguousToken,
    /// A variable's value is not usable.
    #[error("{var}: {reason}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// What is wrong, in fixed words.
        reason: &'static str,
    },
    /// The token is not a `vst1.` service token (checksum, length, prefix).
    #[error("the service token is not a valid vst1. token")]
    InvalidToken,
    /// A file could not be read.
    #[error("cannot read {what} {}: {kind}", path.display())]
    Read {
        /// What the file is (`token file`, `CA file`).
        what: &'static str,
        /// Its path.
        path: PathBuf,
        /// Why.
        kind: std::io::ErrorKind,
    },
    /// A file is larger than anything it should hold.
    #[error("{what} {} is larger than {max} bytes", path.display())]
    TooLarge {
        /// What the file is.
        what: &'static str,
        /// Its path.
        path: PathBuf,
        /// The limit.
        max: usize,
    },
    /// The token file may be read or written by its group or others
    /// (unix): `chmod 600` it.
    #[error("the token file {} is open to group or others (mode {mode:04o}): chmod 600 it", path.display())]
    TokenFilePermissions {
        /// Its path.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The server URL is not usable.
    #[error("the server URL is not valid: {0}")]
    InvalidUrl(&'static str),
    /// Plain `http://` to a host that is not this machine: the auth header
    /// would cross the network in clear. Use `https://`, or allow it
    /// explicitly ([`ClientOptions::allow_http`](crate::ClientOptions::allow_http),
    /// `VAULT_ALLOW_HTTP=1`) behind a trusted network only.
    #[error(
        "refusing plain http:// to a server that is not on this host (the auth header would travel in clear): use https://"
    )]
    InsecureHttp,
    /// The extra CA certificate is not usable PEM.
    #[error("the CA certificate is not usable PEM")]
    InvalidCa,
    /// No tokio runtime to run the watcher on.
    #[error("watch() needs a tokio runtime")]
    NoRuntime,
    /// [`get_all`](crate::SecretsClient::get_all) needs a struct with
    /// named fields (or use [`get_all_with_schema`](crate::SecretsClient::get_all_with_schema)).
    #[error("get_all needs a struct with named fields")]
    NotAStruct,
}

/// `text` without control characters, at most [`MAX_DETAIL`] characters.
pub(crate) fn sanitize(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_DETAIL)
        .collect()
}

/// A stable code as sent (snake_case ASCII, at most 64 bytes), or `unknown`.
fn stable_code(code: &str) -> String {
    if !code.is_empty()
        && code.len() <= 64
        && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    {
        code.to_owned()
    } else {
        "unknown".to_owned()
    }
}

impl SecretsError {
    /// The server's stable code when the call was
    /// [`Rejected`](SecretsError::Rejected) with one this server knows
    /// (`None` for every other variant, and for a code newer than this
    /// client), so callers match on the enum, never on a string.
    ///
    /// ```
    /// use vault_secrets::SecretsError;
    /// use vault_sync::grpc::GrpcCode;
    /// let e = SecretsError::Rejected { code: "malformed".into() };
    /// assert_eq!(e.rejected_code(), Some(GrpcCode::Malformed));
    /// assert_eq!(SecretsError::Timeout.rejected_code(), None);
    /// ```
    pub fn rejected_code(&self) -> Option<GrpcCode> {
        match self {
            SecretsError::Rejected { code } => code.parse().ok(),
            _ => None,
        }
    }

    /// Maps a failed call's status: its `vault-error-code` when it has one,
    /// its gRPC code otherwise.
    pub(crate) fn from_status(status: &Status) -> Self {
        let md = status.metadata();
        let raw = md.get(ERROR_CODE_KEY).and_then(|v| v.to_str().ok());
        match raw.map(|r| r.parse::<GrpcCode>().unwrap_or(GrpcCode::Unknown)) {
            Some(GrpcCode::Unauthenticated) => SecretsError::Unauthenticated,
            Some(GrpcCode::PendingApproval) => SecretsError::PendingApproval,
            Some(GrpcCode::Denied) => SecretsError::Denied,
            Some(GrpcCode::NotAllowedFromAddress) => SecretsError::NotAllowedFromAddress,
            Some(GrpcCode::SecretNotFound) => SecretsError::NotFound,
            Some(GrpcCode::AccessRequested) => SecretsError::AccessRequested,
            Some(GrpcCode::AccessDenied) => SecretsError::AccessDenied,
            Some(GrpcCode::ProjectNotFound) => SecretsError::ProjectNotFound,
            Some(GrpcCode::AlreadyRegistered) => SecretsError::AlreadyRegistered,
            Some(GrpcCode::TooManyPending) => SecretsError::TooManyPending,
            Some(GrpcCode::RateLimited) => SecretsError::RateLimited {
                retry_after: md
                    .get(RETRY_AFTER_KEY)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|s| s.parse::<u64>().ok())
                    .map(Duration::from_secs),
            },
            Some(GrpcCode::AuditUnavailable) => SecretsError::Unavailable {
                detail: "audit_unavailable: the server could not record the access".into(),
            },
            Some(GrpcCode::Unavailable) => SecretsError::Unavailable {
                detail: "unavailable".into(),
            },
            Some(_) => SecretsError::Rejected {
                code: stable_code(raw.unwrap_or_default()),
            },
            None => match status.code() {
                Code::Unavailable => SecretsError::Unavailable {
                    detail: sanitize(status.message()),
                },
                Code::DeadlineExceeded => SecretsError::Timeout,
                c => SecretsError::Transport {
                    detail: sanitize(&format!("{c:?}: {}", status.message())),
                },
            },
        }
    }

    /// A transport error with its causes (connecting, TLS).
    pub(crate) fn transport(e: &(dyn std::error::Error + 'static)) -> Self {
        let mut detail = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            source = s.source();
        }
        SecretsError::Transport {
            detail: sanitize(&detail),
        }
    }

    /// Whether the server filed something for a name (a stub or an access
    /// request) or refused it: the per-name outcomes of a batch.
    pub fn is_per_name(&self) -> bool {
        matches!(
            self,
            SecretsError::NotFound | SecretsError::AccessRequested | SecretsError::AccessDenied
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tonic::metadata::MetadataValue;

    fn status(code: Code, vault: Option<&'static str>) -> Status {
        let mut s = Status::new(code, "fixed text");
        if let Some(v) = vault {
            s.metadata_mut()
                .insert(ERROR_CODE_KEY, MetadataValue::from_static(v));
        }
        s
    }

    #[test]
    fn stable_codes_map_to_variants() {
        type Check = fn(&SecretsError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("unauthenticated", |e| {
                matches!(e, SecretsError::Unauthenticated)
            }),
            ("pending_approval", |e| {
                matches!(e, SecretsError::PendingApproval)
            }),
            ("denied", |e| matches!(e, SecretsError::Denied)),
            ("not_allowed_from_address", |e| {
                matches!(e, SecretsError::NotAllowedFromAddress)
            }),
            ("secret_not_found", |e| matches!(e, SecretsError::NotFound)),
            ("access_requested", |e| {
                matches!(e, SecretsError::AccessRequested)
            }),
            ("access_denied", |e| matches!(e, SecretsError::AccessDenied)),
            ("project_not_found", |e| {
                matches!(e, SecretsError::ProjectNotFound)
            }),
            ("already_registered", |e| {
                matches!(e, SecretsError::AlreadyRegistered)
            }),
            ("too_many_pending", |e| {
                matches!(e, SecretsError::TooManyPending)
            }),
            ("audit_unavailable", |e| {
                matches!(e, SecretsError::Unavailable { .. })
            }),
            ("malformed", |e| {
                e.rejected_code() == Some(GrpcCode::Malformed)
            }),
            (
                "Robert'); DROP",
                |e| matches!(e, SecretsError::Rejected { code } if code.as_str() == "unknown"),
            ),
        ];
        for (code, check) in cases {
            let mut s = Status::new(Code::Unknown, "x");
            s.metadata_mut()
                .insert(ERROR_CODE_KEY, code.parse().unwrap());
            let e = SecretsError::from_status(&s);
            assert!(check(&e), "{code}: {e:?}");
        }
    }

    #[test]
    fn rate_limits_carry_the_wait() {
        let mut s = status(Code::ResourceExhausted, Some("rate_limited"));
        s.metadata_mut()
            .insert(RETRY_AFTER_KEY, MetadataValue::from(7u64));
        assert!(matches!(
            SecretsError::from_status(&s),
            SecretsError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(7)
        ));
        let s = status(Code::ResourceExhausted, Some("rate_limited"));
        assert!(matches!(
            SecretsError::from_status(&s),
            SecretsError::RateLimited { retry_after: None }
        ));
    }

    #[test]
    fn statuses_without_a_code_are_transport_faults() {
        assert!(matches!(
            SecretsError::from_status(&status(Code::Unavailable, None)),
            SecretsError::Unavailable { .. }
        ));
        assert!(matches!(
            SecretsError::from_status(&status(Code::DeadlineExceeded, None)),
            SecretsError::Timeout
        ));
        let e = SecretsError::from_status(&Status::new(
            Code::Internal,
            format!("line\nbreak{}", "x".repeat(1000)),
        ));
        let SecretsError::Transport { detail } = e else {
            unreachable!("{e:?}")
        };
        assert!(!detail.contains('\n'));
        assert!(detail.chars().count() <= MAX_DETAIL);
    }
}
