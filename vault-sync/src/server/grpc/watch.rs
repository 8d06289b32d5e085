//! `WatchSecrets`: a server stream of what changed for the caller, fed by
//! the notifier (so changes made on any node reach every node's streams).
//!
//! - `KIND_SECRETS_CHANGED` for a secret the caller may read (whole-project
//!   access: any secret of the project; secret access: the granted ones),
//!   with its id, or without one when the project changed as a whole;
//! - `KIND_ACCESS_CHANGED` when the caller's grants or status changed and it
//!   is approved (a pending service watches to learn it was approved);
//! - `KIND_RESYNC` when notifications may have been lost;
//! - `KIND_REVOKED` when the caller was revoked (or its project removed):
//!   the stream ends after it.
//!
//! Events carry ids only, never content: the caller refetches. On every
//! change to the service or project the stream re-reads the caller's
//! record from the store (not the cache) and ends with a status when the
//! caller may no longer call: `denied`, `unauthenticated` (expired),
//! `not_allowed_from_address` (allowlist); when the token expires it ends
//! with `unauthenticated`, and when the server shuts down it ends (OK).
//! Each service holds at
//! most [`ServerConfig::max_watch_streams_per_service`] streams per node.
//!
//! [`ServerConfig::max_watch_streams_per_service`]: crate::server::ServerConfig::max_watch_streams_per_service

use super::proto::{SecretEvent, secret_event::Kind};
use super::service::event;
use super::status::GrpcError;
use crate::server::AppState;
use crate::server::machine::auth::Caller;
use crate::server::notify::Event;
use crate::store::{ServiceAccess, ServiceStatus};
use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use vault_core::machine::GrantScope;
use vault_core::{SecretId, ServiceId};

/// The stream `WatchSecrets` answers with.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<SecretEvent, Status>> + Send + 'static>>;

/// Events queued for a slow reader before the watcher waits for it.
const BUFFER: usize = 16;

/// Which secrets' changes the caller hears of.
#[derive(Debug)]
enum Visible {
    /// Every secret of the project.
    All,
    /// These.
    Only(HashSet<SecretId>),
    /// None (not approved yet).
    Nothing,
}

impl Visible {
    fn secret(&self, s: SecretId) -> bool {
        match self {
            Visible::All => true,
            Visible::Only(set) => set.contains(&s),
            Visible::Nothing => false,
        }
    }

    fn any(&self) -> bool {
        !matches!(self, Visible::Nothing)
    }
}

/// A stream's place under the per-service cap, given back on drop.
struct Slot {
    state: Arc<AppState>,
    service: ServiceId,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.state.machine.watches.give_back(self.service);
    }
}

/// How a stream ends early.
enum End {
    /// Revoked (or its project removed): `KIND_REVOKED`, then the end.
    Revoked,
    /// With this status.
    Status(GrpcError),
}

/// Opens a watch for an authenticated caller.
pub(crate) async fn open(state: &Arc<AppState>, caller: Caller) -> Result<EventStream, GrpcError> {
    let service = caller.service();
    if !state
        .machine
        .watches
        .take(service, state.config.max_watch_streams_per_service)
    {
        return Err(GrpcError::TooManyStreams);
    }
    let slot = Slot {
        state: state.clone(),
        service,
    };
    // Subscribed before the answer's headers go out: nothing that happens
    // after the caller sees the stream open is missed.
    let rx = state.notifier.subscribe();
    let visible = visible(state, &caller).await?;
    let (tx, out) = mpsc::channel(BUFFER);
    tokio::spawn(run(state.clone(), caller, visible, slot, rx, tx));
    Ok(Box::pin(ReceiverStream::new(out)))
}

/// What `caller` hears of.
async fn visible(state: &AppState, caller: &Caller) -> Result<Visible, GrpcError> {
    let a = &caller.auth.auth;
    Ok(match (a.status, a.access) {
        (ServiceStatus::Approved, ServiceAccess::Project) => Visible::All,
        (ServiceStatus::Approved, ServiceAccess::Secrets) => Visible::Only(
            state
                .store
                .my_grants(caller.service(), caller.project())
                .await?
                .iter()
                .filter_map(|g| match g.scope {
                    GrantScope::Secret { secret, .. } => Some(secret),
                    _ => None,
                })
                .collect(),
        ),
        _ => Visible::Nothing,
    })
}

/// Re-reads the caller from the store: may it still call?
async fn recheck(state: &AppState, caller: &Caller) -> Result<(Caller, Visible), End> {
    let fresh = state
        .machine
        .auth
        .fresh(&state.store, caller.service())
        .await
        .map_err(|e| End::Status(e.into()))?;
    let Some(auth) = fresh else {
        return Err(End::Revoked);
    };
    let a = &auth.auth;
    if a.status == ServiceStatus::Revoked {
        return Err(End::Revoked);
    }
    if a.status == ServiceStatus::Denied {
        return Err(End::Status(GrpcError::Denied));
    }
    if a.expires_at.is_some_and(|t| t <= state.clock.now_ms()) {
        return Err(End::Status(GrpcError::Unauthenticated));
    }
    if !auth.allowlists.allows(caller.addr) {
        return Err(End::Status(GrpcError::NotAllowedFromAddress));
    }
    let caller = Caller {
        auth,
        addr: caller.addr,
    };
    let visible = visible(state, &caller).await.map_err(End::Status)?;
    Ok((caller, visible))
}

/// Time left until `expires_at` (ms since the epoch), if it is set.
fn until(state: &AppState, expires_at: Option<i64>) -> Option<Duration> {
    expires_at.map(|t| {
        Duration::from_millis(u64::try_from(t.saturating_sub(state.clock.now_ms())).unwrap_or(0))
    })
}

async fn run(
    state: Arc<AppState>,
    mut caller: Caller,
    mut visible: Visible,
    _slot: Slot,
    mut rx: tokio::sync::broadcast::Receiver<Event>,
    tx: mpsc::Sender<Result<SecretEvent, Status>>,
) {
    let mut shutdown = state.shutdown.clone();
    if *shutdown.borrow() {
        return;
    }
    let me = caller.service();
    let project = caller.project();
    loop {
        let left = until(&state, caller.auth.auth.expires_at);
        let received = tokio::select! {
            _ = shutdown.changed() => return,
            () = tx.closed() => return,
            () = tokio::time::sleep(left.unwrap_or(Duration::MAX)), if left.is_some() => {
                let _ = tx.send(Err(GrpcError::Unauthenticated.into())).await;
                return;
            }
            r = rx.recv() => r,
        };
        // What to tell, after re-reading the caller when it may have changed.
        let (refresh, kind, secret) = match received {
            Ok(Event::Project(p, Some(s))) if p == project => {
                if !visible.secret(s) {
                    continue;
                }
                (false, Kind::SecretsChanged, Some(s))
            }
            Ok(Event::Project(p, None)) if p == project => (true, Kind::SecretsChanged, None),
            Ok(Event::Service(s)) if s == me => (true, Kind::AccessChanged, None),
            Ok(Event::Resync) | Err(RecvError::Lagged(_)) => (true, Kind::Resync, None),
            Ok(_) => continue,
            Err(RecvError::Closed) => return,
        };
        if refresh {
            match recheck(&state, &caller).await {
                Ok((c, v)) => {
                    caller = c;
                    visible = v;
                }
                Err(End::Revoked) => {
                    let _ = tx.send(Ok(event(Kind::Revoked, None))).await;
                    return;
                }
                Err(End::Status(e)) => {
                    let _ = tx.send(Err(e.into())).await;
                    return;
                }
            }
        }
        // A pending service hears of its approval and of resyncs only.
        let tell = match kind {
            Kind::SecretsChanged => visible.any(),
            Kind::AccessChanged => caller.auth.auth.status == ServiceStatus::Approved,
            _ => true,
        };
        if tell && tx.send(Ok(event(kind, secret))).await.is_err() {
            return;
        }
    }
}
