//! The service-facing gRPC interface of machine secrets
//! (`proto/vault/secrets/v1/secrets.proto`, service
//! `vault.secrets.v1.Secrets`), served by the same axum router, so the
//! same listener and port as the HTTP API: HTTP/2 cleartext (prior
//! knowledge) on a plain listener, HTTP/2 by ALPN under TLS.
//!
//! Mounting: tonic's generated `SecretsServer` is a tower service; it is
//! routed at `/vault.secrets.v1.Secrets/{*rest}` with
//! `Router::route_service` (what tonic 0.14's `Routes` does internally,
//! minus its catch-all fallback, which would clash with the HTTP API's).
//! The router's layers apply to it too: tracing (route template only),
//! metrics, and run-to-completion (a call whose client hangs up still
//! finishes its audit and store work).
//!
//! What every call does is in [`service`]; the stream of changes is in
//! [`watch`]; errors are [`status::GrpcError`].

pub mod service;
pub mod status;
pub mod watch;

use crate::server::AppState;
use axum::Router;
use std::sync::Arc;

pub use crate::grpc::proto;

/// Largest request message, in bytes (1 MiB): a `GetSecrets` of 200
/// items with their sealed hints fits; anything larger is refused by
/// tonic's decoder before it reaches a handler (`OUT_OF_RANGE`, without a
/// `vault-error-code`).
pub const MAX_REQUEST_BYTES: usize = 1 << 20;

/// The `Secrets` service as a route of the HTTP router.
pub fn routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    let svc = proto::secrets_server::SecretsServer::new(service::SecretsService::new(state))
        .max_decoding_message_size(MAX_REQUEST_BYTES);
    Router::new().route_service(
        &format!("/{}/{{*rest}}", proto::secrets_server::SERVICE_NAME),
        svc,
    )
}
