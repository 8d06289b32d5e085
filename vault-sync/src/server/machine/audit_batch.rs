//! Group commit of the audit events of service calls.
//!
//! Every secret a service reads, every stub or access request it files,
//! every refusal (address, authentication) is an audit event, and an access
//! whose event is not committed must fail (DESIGN: "an access whose audit
//! write fails, fails"). One transaction per call would cap reads at the
//! database's commit rate; instead requests hand their events to one writer
//! task through a bounded queue and wait for a confirmation:
//!
//! - the writer takes whatever is queued (up to [`MAX_BATCH`] events, never
//!   splitting one request's events) and appends it in **one** transaction
//!   ([`Store::audit_append_batch`]): while it commits, the next batch
//!   queues up, so batches grow with the load and no timer adds latency;
//! - each request waits at most [`ServerConfig::audit_timeout`] for its
//!   confirmation, queueing included: a full queue, a slow or failing
//!   database, or a stopped writer all end in [`AuditError`], and the
//!   caller refuses the access (gRPC `UNAVAILABLE`, `audit_unavailable`).
//!
//! Events are written even when their request has given up waiting: the
//! log then holds an attempt whose answer was a refusal, never the reverse.
//!
//! [`Store::audit_append_batch`]: crate::store::Store::audit_append_batch
//! [`ServerConfig::audit_timeout`]: crate::server::ServerConfig::audit_timeout

use crate::server::AppState;
use crate::store::AuditEvent;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most events in one transaction (the store's cap per batch).
pub const MAX_BATCH: usize = 500;
/// Requests that may wait in the queue (beyond it, callers wait for room,
/// within their timeout).
const QUEUE: usize = 4096;

/// Why a request's events were not confirmed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuditError {
    /// No confirmation within the timeout (queue full, database slow).
    #[error("the audit log did not confirm the events in time")]
    Timeout,
    /// The batch's transaction failed.
    #[error("the audit log refused the events")]
    Failed,
    /// More events than one batch holds.
    #[error("too many audit events in one request")]
    TooMany,
    /// The writer has stopped (the server is going away).
    #[error("the audit writer has stopped")]
    Closed,
}

/// One request's events and where to confirm them.
struct Pending {
    events: Vec<AuditEvent>,
    done: oneshot::Sender<bool>,
}

/// The queue in front of the writer task (one per [`AppState`]).
pub struct AuditBatcher {
    tx: mpsc::Sender<Pending>,
    /// Taken by the writer when it starts (on first use: it needs the
    /// state's `Arc`, and a runtime).
    rx: Mutex<Option<mpsc::Receiver<Pending>>>,
    timeout: Duration,
}

impl core::fmt::Debug for AuditBatcher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuditBatcher")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl AuditBatcher {
    /// A batcher whose callers wait at most `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        AuditBatcher {
            tx,
            rx: Mutex::new(Some(rx)),
            timeout,
        }
    }

    /// Appends `events` (all with a service as actor) and waits until they
    /// are committed. `Ok` means every one of them is in the chain.
    pub async fn record(
        &self,
        state: &Arc<AppState>,
        events: Vec<AuditEvent>,
    ) -> Result<(), AuditError> {
        if events.is_empty() {
            return Ok(());
        }
        if events.len() > MAX_BATCH {
            return Err(AuditError::TooMany);
        }
        self.start(state);
        let (done, confirmed) = oneshot::channel();
        let wait = async {
            self.tx
                .send(Pending { events, done })
                .await
                .map_err(|_| AuditError::Closed)?;
            match confirmed.await {
                Ok(true) => Ok(()),
                Ok(false) => Err(AuditError::Failed),
                Err(_) => Err(AuditError::Closed),
            }
        };
        tokio::time::timeout(self.timeout, wait)
            .await
            .unwrap_or(Err(AuditError::Timeout))
    }

    /// Starts the writer if it is not running yet.
    fn start(&self, state: &Arc<AppState>) {
        let rx = match self.rx.lock() {
            Ok(mut slot) => slot.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(rx) = rx {
            tokio::spawn(writer(Arc::downgrade(state), rx));
        }
    }
}

/// The writer: one transaction per batch until the state is dropped (its
/// sender goes with it and the queue closes).
async fn writer(state: Weak<AppState>, mut rx: mpsc::Receiver<Pending>) {
    let mut carry: Option<Pending> = None;
    loop {
        let first = match carry.take() {
            Some(p) => p,
            None => match rx.recv().await {
                Some(p) => p,
                None => return,
            },
        };
        let mut count = first.events.len();
        let mut batch = vec![first];
        while count < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) if count + p.events.len() > MAX_BATCH => {
                    carry = Some(p);
                    break;
                }
                Ok(p) => {
                    count += p.events.len();
                    batch.push(p);
                }
                Err(_) => break,
            }
        }
        let events: Vec<AuditEvent> = batch
            .iter()
            .flat_map(|p| p.events.iter().cloned())
            .collect();
        // Hold the state only while writing, so dropping the last other
        // handle ends this task.
        let ok = match state.upgrade() {
            Some(st) => match st.store.audit_append_batch(&events).await {
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!(error = %e, events = events.len(), "audit batch failed: its accesses are refused");
                    false
                }
            },
            None => false,
        };
        for p in batch {
            // A caller that gave up waiting is gone; nothing to tell it.
            let _ = p.done.send(ok);
        }
    }
}
