//! Operations endpoints: health, readiness, metrics, the OpenAPI document,
//! and the JSON answers for unknown routes and methods.

use crate::api::{ErrorBody, HealthBody};
use crate::server::AppState;
use crate::server::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = HealthBody)))]
pub async fn healthz() -> Json<HealthBody> {
    Json(HealthBody {
        status: "ok".into(),
    })
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, body = HealthBody), (status = 503, body = ErrorBody)))]
pub async fn readyz(State(st): State<Arc<AppState>>) -> Result<Json<HealthBody>, ApiError> {
    st.store
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(Json(HealthBody {
        status: "ok".into(),
    }))
}

/// Prometheus metrics, text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, content_type = "text/plain", description = "Prometheus text format")))]
pub async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(st.store.statements()),
    )
        .into_response()
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/openapi.json", tag = "ops",
    responses((status = 200, content_type = "application/json", description = "OpenAPI document")))]
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::server::openapi::document_json(),
    )
        .into_response()
}

/// 404 for unknown routes, as JSON.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint")
}

/// 405 for a known route with the wrong method, as JSON.
pub async fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(ErrorBody {
            error: crate::api::ErrorCode::MethodNotAllowed,
            message: "this endpoint does not take that method".into(),
            current: None,
            retry_after: None,
        }),
    )
        .into_response()
}
