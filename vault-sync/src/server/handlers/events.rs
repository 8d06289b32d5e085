//! `GET /v1/events`: a server-sent event stream telling this device that
//! the account's feed moved, so it syncs now instead of at its next poll.
//!
//! Events carry no content and no ids: `event: changed` with data `{}`
//! (plus `event: ready` once subscribed, and comments as keep-alives). The
//! stream follows the caller's vault memberships (refreshed when they
//! change) and ends when the server shuts down or the session is revoked;
//! the client reconnects and syncs on reconnect, so a missed event delays,
//! never loses, a change.

use crate::server::AppState;
use crate::server::error::ApiResult;
use crate::server::extract::Auth;
use crate::server::notify::Event;
use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use vault_core::VaultId;

/// Decrements the open-stream gauge when the stream is dropped.
struct StreamGuard(Arc<AppState>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.metrics.event_streams.dec();
    }
}

/// The event stream.
#[utoipa::path(get, path = "/v1/events", tag = "sync", security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", description = "`event: ready`, then `event: changed` whenever the feed moved"),
              (status = 401, body = crate::api::ErrorBody)))]
pub async fn events(
    State(st): State<Arc<AppState>>,
    auth: Auth,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    // Subscribe before reading the memberships, so nothing slips between.
    let mut rx = st.notifier.subscribe();
    let mut vaults: HashSet<VaultId> = st
        .store
        .my_vaults(auth.account)
        .await?
        .into_iter()
        .collect();
    let mut shutdown = st.shutdown.clone();
    st.metrics.event_streams.inc();
    let guard = StreamGuard(st.clone());
    let me = auth.account;
    let session = auth.session;
    let stream = async_stream(move |tx| async move {
        let _guard = guard;
        if tx
            .send(SseEvent::default().event("ready").data("{}"))
            .await
            .is_err()
        {
            return;
        }
        loop {
            let changed = tokio::select! {
                _ = shutdown.changed() => return,
                r = rx.recv() => match r {
                    Ok(Event::Vault(v)) => vaults.contains(&v),
                    Ok(Event::Account(a)) if a == me => {
                        // Memberships (or sessions) changed: re-read both.
                        if st.sessions.check_active(&st.store, me, session).await.is_err() {
                            return;
                        }
                        match st.store.my_vaults(me).await {
                            Ok(v) => vaults = v.into_iter().collect(),
                            Err(_) => return,
                        }
                        true
                    }
                    Ok(Event::SessionRevoked(s)) if s == session => return,
                    Ok(Event::Resync) | Err(RecvError::Lagged(_)) => true,
                    Ok(_) => false,
                    Err(RecvError::Closed) => return,
                },
            };
            if changed
                && tx
                    .send(SseEvent::default().event("changed").data("{}"))
                    .await
                    .is_err()
            {
                return;
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(25))))
}

/// A stream fed by a task through a small channel (ends when the task does
/// or the client goes away).
fn async_stream<F, Fut>(f: F) -> impl Stream<Item = Result<SseEvent, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<SseEvent>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(f(tx));
    futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) },
    )
}
