//! [`ApiClient`]'s system calls (operations, not data): health, readiness, metrics and the
//! OpenAPI document.

use super::{ApiClient, Body, parse};
use crate::api::{self, paths};
use crate::client::error::{ClientError, ClientResult};
use reqwest::Method;

impl ApiClient {
    /// `GET /healthz`.
    pub async fn healthz(&self) -> ClientResult<api::HealthBody> {
        let b = self
            .send_public(Method::GET, paths::HEALTHZ, Body::None)
            .await?;
        parse(&b, "health")
    }

    /// `GET /readyz`.
    pub async fn readyz(&self) -> ClientResult<api::HealthBody> {
        let b = self
            .send_public(Method::GET, paths::READYZ, Body::None)
            .await?;
        parse(&b, "readiness")
    }

    /// `GET /metrics` (Prometheus text).
    pub async fn metrics(&self) -> ClientResult<String> {
        let b = self
            .send_public(Method::GET, paths::METRICS, Body::None)
            .await?;
        String::from_utf8(b).map_err(|_| ClientError::Protocol("metrics: not UTF-8".into()))
    }

    /// `GET /openapi.json`.
    pub async fn openapi(&self) -> ClientResult<serde_json::Value> {
        let b = self
            .send_public(Method::GET, paths::OPENAPI, Body::None)
            .await?;
        parse(&b, "OpenAPI document")
    }
}
