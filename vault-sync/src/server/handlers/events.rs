//! `GET /v1/events`: a server-sent event stream telling this device that
//! the account's feed moved, so it syncs now instead of at its next poll.
//!
//! Events carry no content and no ids: `event: changed` with data `{}`
//! (plus `event: ready` once subscribed, and comments as keep-alives). The
//! stream follows the caller's vault memberships (refreshed when they
//! change) and ends when the server shuts down or the session is revoked;
//! the client reconnects and syncs on reconnect, so a missed event delays,
//! never loses, a change.

use crate::api::ErrorCode;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::Auth;
use crate::server::notify::Event;
use crate::server::{AppState, ServerConfig};
use crate::store::SessionId;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use std::collections::HashMap;
use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use vault_core::AccountId;
use vault_core::VaultId;

/// Open event streams per session and per account (one node's count: each
/// node caps what it serves).
#[derive(Default)]
pub struct StreamCounts {
    counts: std::sync::Mutex<(HashMap<SessionId, usize>, HashMap<AccountId, usize>)>,
}

impl StreamCounts {
    /// Counts a new stream, or says which cap it would break.
    fn open(&self, cfg: &ServerConfig, account: AccountId, session: SessionId) -> ApiResult<()> {
        let mut c = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (by_session, by_account) = &mut *c;
        let s = by_session.get(&session).copied().unwrap_or(0);
        let a = by_account.get(&account).copied().unwrap_or(0);
        if s >= cfg.max_event_streams_per_session || a >= cfg.max_event_streams_per_account {
            return Err(ApiError::Coded {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: ErrorCode::TooManyStreams,
                message: if s >= cfg.max_event_streams_per_session {
                    "this session already has the most event streams allowed: close one".into()
                } else {
                    "this account already has the most event streams allowed: close one".into()
                },
                retry_after: None,
            });
        }
        by_session.insert(session, s + 1);
        by_account.insert(account, a + 1);
        Ok(())
    }

    fn close(&self, account: AccountId, session: SessionId) {
        let mut c = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (by_session, by_account) = &mut *c;
        decrement(by_session, &session);
        decrement(by_account, &account);
    }
}

fn decrement<K: Eq + std::hash::Hash>(map: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = map.get_mut(key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(key);
        }
    }
}

/// Uncounts the stream (and the open-stream gauge) when it is dropped.
struct StreamGuard {
    st: Arc<AppState>,
    account: AccountId,
    session: SessionId,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.st.metrics.event_streams.dec();
        self.st.streams.close(self.account, self.session);
    }
}

/// The event stream.
#[utoipa::path(get, path = "/v1/events", tag = "sync", security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", description = "`event: ready`, then `event: changed` whenever the feed moved"),
              (status = 401, body = crate::api::ErrorBody),
              (status = 429, body = crate::api::ErrorBody, description = "`too_many_streams`: the session or account holds the most streams allowed")))]
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
    st.streams.open(&st.config, auth.account, auth.session)?;
    st.metrics.event_streams.inc();
    let guard = StreamGuard {
        st: st.clone(),
        account: auth.account,
        session: auth.session,
    };
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
                // The client went away: end now, not at the next event (the
                // guard frees the stream's place under the caps).
                () = tx.closed() => return,
                r = rx.recv() => match r {
                    Ok(Event::Vault(v)) => vaults.contains(&v),
                    Ok(Event::Account(a)) if a == me => {
                        // Memberships (or sessions) changed: re-read both.
                        if st.sessions.check_active(&st.store, st.clock.now_ms(), me, session).await.is_err() {
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
