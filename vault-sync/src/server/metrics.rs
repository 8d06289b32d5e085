//! Prometheus metrics (`GET /metrics`, text exposition format).
//!
//! Labels are the route template (`/v1/vaults/{vault}/items/{item}`), never
//! the concrete path, so no id lands in a metric and cardinality is fixed.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoginLabels {
    protocol: &'static str,
    outcome: &'static str,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    logins: Family<LoginLabels, Counter>,
    /// Open event streams.
    pub event_streams: Gauge,
    /// Store statements run (sampled at scrape time).
    statements: Counter,
}

impl core::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Metrics")
    }
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    ])
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("vault");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let logins = Family::<LoginLabels, Counter>::default();
        let event_streams = Gauge::default();
        let statements = Counter::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route",
            latency.clone(),
        );
        registry.register(
            "logins",
            "Login attempts finished, by outcome",
            logins.clone(),
        );
        registry.register("event_streams", "Open event streams", event_streams.clone());
        registry.register(
            "store_statements",
            "Database statements run by the store",
            statements.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            logins,
            event_streams,
            statements,
        }
    }
}

impl Metrics {
    /// Counts a finished login.
    pub fn login(&self, protocol: &'static str, ok: bool) {
        self.logins
            .get_or_create(&LoginLabels {
                protocol,
                outcome: if ok { "success" } else { "failure" },
            })
            .inc();
    }

    /// The exposition text; `statements` is the store's running count.
    pub fn render(&self, statements: u64) -> String {
        let seen = self.statements.get();
        if statements > seen {
            self.statements.inc_by(statements - seen);
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Middleware: counts and times every request by route template.
pub async fn track(State(st): State<Arc<super::AppState>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let resp = next.run(req).await;
    let m = &st.metrics;
    m.requests
        .get_or_create(&RequestLabels {
            method,
            route: route.clone(),
            status: resp.status().as_u16(),
        })
        .inc();
    m.latency
        .get_or_create(&RouteLabels { route })
        .observe(start.elapsed().as_secs_f64());
    resp
}
