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
