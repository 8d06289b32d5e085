//! The code generated from `proto/vault/secrets/v1/secrets.proto`
//! (build.rs, package `vault.secrets.v1`): the messages, the server stubs
//! with the `server` feature and the client stubs with the
//! `grpc-client` feature. Shared by the server ([`crate::server::grpc`]) and the
//! service-side clients. Not hand-written: regenerate by editing the
//! `.proto`.

/// The generated messages and stubs.
#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/vault.secrets.v1.rs"));
}

/// The metadata key that carries a failed call's stable error code
/// (`docs/secrets.md`, the comment at the top of `secrets.proto`).
pub const ERROR_CODE_KEY: &str = "vault-error-code";
/// The metadata key of the seconds to wait (with `rate_limited`).
pub const RETRY_AFTER_KEY: &str = "vault-retry-after";

stable_codes! {
    /// The stable code a failed gRPC call carries in
    /// [`ERROR_CODE_KEY`] (and a `GetSecrets` result in its `code`):
    /// one vocabulary for the server that writes it and the clients
    /// that read it, so neither compares text.
    ///
    /// A code this build does not know (from a newer server) parses as
    /// [`GrpcCode::Unknown`].
    ///
    /// ```
    /// use vault_sync::grpc::GrpcCode;
    /// assert_eq!(GrpcCode::AccessDenied.as_str(), "access_denied");
    /// assert_eq!("pending_approval".parse(), Ok(GrpcCode::PendingApproval));
    /// assert_eq!("from_the_future".parse(), Ok(GrpcCode::Unknown));
    /// ```
    GrpcCode;
    /// UNAUTHENTICATED: unknown service, wrong secret, revoked or expired.
    Unauthenticated = "unauthenticated",
    /// FAILED_PRECONDITION: registered, waits for approval.
    PendingApproval = "pending_approval",
    /// FAILED_PRECONDITION: a member denied the registration.
    Denied = "denied",
    /// PERMISSION_DENIED: the address is outside an allowlist.
    NotAllowedFromAddress = "not_allowed_from_address",
    /// PERMISSION_DENIED: not granted; an access request is filed.
    AccessRequested = "access_requested",
    /// PERMISSION_DENIED: not granted; the request was denied.
    AccessDenied = "access_denied",
    /// NOT_FOUND: no secret has this name; a stub is filed.
    SecretNotFound = "secret_not_found",
    /// NOT_FOUND: no such project.
    ProjectNotFound = "project_not_found",
    /// ALREADY_EXISTS: the service id is registered already.
    AlreadyRegistered = "already_registered",
    /// INVALID_ARGUMENT: the input is malformed.
    Malformed = "malformed",
    /// INVALID_ARGUMENT: a format version this server does not know.
    UnsupportedVersion = "unsupported_version",
    /// INVALID_ARGUMENT: a key that must not be used.
    InvalidPeerValue = "invalid_peer_value",
    /// RESOURCE_EXHAUSTED: wait [`RETRY_AFTER_KEY`] seconds.
    RateLimited = "rate_limited",
    /// RESOURCE_EXHAUSTED: too many services wait for approval.
    TooManyPending = "too_many_pending",
    /// RESOURCE_EXHAUSTED: the service holds the most watch streams allowed.
    TooManyStreams = "too_many_streams",
    /// UNAVAILABLE: the access could not be audited, so it was refused.
    AuditUnavailable = "audit_unavailable",
    /// UNAVAILABLE: a dependency is down.
    Unavailable = "unavailable",
    /// INTERNAL: the detail is in the server's log only.
    Internal = "internal",
}
