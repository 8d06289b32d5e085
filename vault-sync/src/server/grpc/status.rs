//! The gRPC interface's one error type and its mapping to a status: a
//! gRPC code plus the metadata `vault-error-code` with a stable snake_case
//! code (the table in `secrets.proto`). Messages are fixed texts: never a
//! token, a blind index, a hint or a piece of the request. Server faults
//! are logged here (sanitised store errors) and answered generically.

use crate::server::machine::audit_batch::AuditError;
use crate::server::machine::auth::AuthError;
use crate::store::StoreError;
use tonic::metadata::MetadataValue;
use tonic::{Code, Status};

pub use crate::grpc::{ERROR_CODE_KEY, GrpcCode, RETRY_AFTER_KEY};

/// Why a call was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum GrpcError {
    /// Unknown service, wrong secret, revoked or expired (one answer).
    #[error("unauthenticated")]
    Unauthenticated,
    /// Registered, not approved yet.
    #[error("the service waits for approval")]
    PendingApproval,
    /// A member refused the registration.
    #[error("the registration was denied")]
    Denied,
    /// The client address is outside the service's or project's allowlist.
    #[error("not allowed from this address")]
    NotAllowedFromAddress,
    /// The secret exists and is not granted: an access request is filed.
    #[error("access requested")]
    AccessRequested,
    /// The secret exists; a member refused the access request.
    #[error("access denied")]
    AccessDenied,
    /// No secret has this name: a stub is filed.
    #[error("secret not found")]
    SecretNotFound,
    /// No such project.
    #[error("project not found")]
    ProjectNotFound,
    /// The service id is registered already (a replay).
    #[error("already registered")]
    AlreadyRegistered,
    /// The input is malformed (what, in fixed words).
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// A format version this server does not know.
    #[error("unsupported version")]
    UnsupportedVersion,
    /// A key that must not be used (a low-order point).
    #[error("invalid peer value")]
    InvalidPeerValue,
    /// Too many attempts from this address: wait this many seconds.
    #[error("rate limited")]
    RateLimited(u64),
    /// The project has too many services waiting for approval.
    #[error("too many pending registrations")]
    TooManyPending,
    /// The service holds the most watch streams allowed.
    #[error("too many watch streams")]
    TooManyStreams,
    /// The access could not be audited: refused.
    #[error("audit unavailable")]
    AuditUnavailable,
    /// A dependency is down (detail logged, never sent).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A server fault (detail logged, never sent).
    #[error("internal: {0}")]
    Internal(String),
}

impl GrpcError {
    /// The gRPC code, the stable code and the message.
    fn parts(&self) -> (Code, GrpcCode, &'static str) {
        match self {
            GrpcError::Unauthenticated => (
                Code::Unauthenticated,
                GrpcCode::Unauthenticated,
                "unknown, revoked or expired service token",
            ),
            GrpcError::PendingApproval => (
                Code::FailedPrecondition,
                GrpcCode::PendingApproval,
                "the service is registered and waits for a project member's approval",
            ),
            GrpcError::Denied => (
                Code::FailedPrecondition,
                GrpcCode::Denied,
                "a project member denied this registration",
            ),
            GrpcError::NotAllowedFromAddress => (
                Code::PermissionDenied,
                GrpcCode::NotAllowedFromAddress,
                "this address is outside the service's or project's allowlist",
            ),
            GrpcError::AccessRequested => (
                Code::PermissionDenied,
                GrpcCode::AccessRequested,
                "the secret is not granted to this service: an access request is filed",
            ),
            GrpcError::AccessDenied => (
                Code::PermissionDenied,
                GrpcCode::AccessDenied,
                "the secret is not granted to this service and the request was denied",
            ),
            GrpcError::SecretNotFound => (
                Code::NotFound,
                GrpcCode::SecretNotFound,
                "no secret has this name: the project's members see it as missing",
            ),
            GrpcError::ProjectNotFound => {
                (Code::NotFound, GrpcCode::ProjectNotFound, "no such project")
            }
            GrpcError::AlreadyRegistered => (
                Code::AlreadyExists,
                GrpcCode::AlreadyRegistered,
                "this service is registered already",
            ),
            GrpcError::Malformed(what) => (Code::InvalidArgument, GrpcCode::Malformed, what),
            GrpcError::UnsupportedVersion => (
                Code::InvalidArgument,
                GrpcCode::UnsupportedVersion,
                "unsupported format version",
            ),
            GrpcError::InvalidPeerValue => (
                Code::InvalidArgument,
                GrpcCode::InvalidPeerValue,
                "a public key is not usable",
            ),
            GrpcError::RateLimited(_) => (
                Code::ResourceExhausted,
                GrpcCode::RateLimited,
                "too many attempts: wait and try again",
            ),
            GrpcError::TooManyPending => (
                Code::ResourceExhausted,
                GrpcCode::TooManyPending,
                "too many services wait for approval in this project",
            ),
            GrpcError::TooManyStreams => (
                Code::ResourceExhausted,
                GrpcCode::TooManyStreams,
                "this service already holds the most watch streams allowed",
            ),
            GrpcError::AuditUnavailable => (
                Code::Unavailable,
                GrpcCode::AuditUnavailable,
                "the access could not be recorded in the audit log, so it is refused",
            ),
            GrpcError::Unavailable(_) => (
                Code::Unavailable,
                GrpcCode::Unavailable,
                "the service is temporarily unavailable",
            ),
            GrpcError::Internal(_) => (Code::Internal, GrpcCode::Internal, "internal server error"),
        }
    }

    /// Maps a store error of a service-side call (the specific cases are
    /// mapped by the caller first).
    pub fn store(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) => GrpcError::Malformed(m),
            StoreError::Backend(b) if b.is_transient() => GrpcError::Unavailable(b.to_string()),
            other => GrpcError::Internal(other.to_string()),
        }
    }

    /// Maps a vault-core error from checking client input.
    pub fn core(e: &vault_core::Error, what: &'static str) -> Self {
        match e {
            vault_core::Error::UnsupportedVersion { .. } => GrpcError::UnsupportedVersion,
            vault_core::Error::InvalidPeerValue(_) => GrpcError::InvalidPeerValue,
            _ => GrpcError::Malformed(what),
        }
    }
}

impl From<StoreError> for GrpcError {
    fn from(e: StoreError) -> Self {
        GrpcError::store(e)
    }
}

impl From<AuditError> for GrpcError {
    fn from(_: AuditError) -> Self {
        GrpcError::AuditUnavailable
    }
}

impl From<AuthError> for GrpcError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unauthenticated => GrpcError::Unauthenticated,
            AuthError::RateLimited(s) => GrpcError::RateLimited(s),
            AuthError::PendingApproval => GrpcError::PendingApproval,
            AuthError::Denied => GrpcError::Denied,
            AuthError::NotAllowedFromAddress => GrpcError::NotAllowedFromAddress,
            AuthError::Audit(a) => a.into(),
            AuthError::Store(s) => s.into(),
        }
    }
}

impl From<GrpcError> for Status {
    fn from(e: GrpcError) -> Self {
        let (code, error_code, message) = e.parts();
        match &e {
            GrpcError::Internal(detail) => tracing::error!(%detail, "gRPC call failed"),
            GrpcError::Unavailable(detail) => {
                tracing::warn!(%detail, "gRPC dependency unavailable")
            }
            _ => tracing::debug!(code = error_code.as_str(), "gRPC call refused"),
        }
        let mut status = Status::new(code, message);
        let md = status.metadata_mut();
        md.insert(
            ERROR_CODE_KEY,
            MetadataValue::from_static(error_code.as_str()),
        );
        if let GrpcError::RateLimited(secs) = e {
            md.insert(RETRY_AFTER_KEY, MetadataValue::from(secs));
        }
        status
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn statuses_carry_the_stable_code_and_no_detail() {
        let s = Status::from(GrpcError::Internal("SQLSTATE 42501 on audit_log".into()));
        assert_eq!(s.code(), Code::Internal);
        assert_eq!(s.metadata().get(ERROR_CODE_KEY).unwrap(), "internal");
        assert!(!s.message().contains("42501"));
        let s = Status::from(GrpcError::RateLimited(7));
        assert_eq!(s.code(), Code::ResourceExhausted);
        assert_eq!(s.metadata().get(RETRY_AFTER_KEY).unwrap(), "7");
        let s = Status::from(GrpcError::AccessRequested);
        assert_eq!(s.code(), Code::PermissionDenied);
        assert_eq!(
            s.metadata().get(ERROR_CODE_KEY).unwrap(),
            "access_requested"
        );
    }
}
