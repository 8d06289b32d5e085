//! Access counters of services and secrets, counted in memory and added to
//! the store once a second ([`Store::record_usage`]), and on shutdown.
//!
//! Writing a counter row on every read would put a write (and a row lock on
//! the hottest secret) on the read path; the counters are for people
//! ("used 1,204 times, last 2 minutes ago"), so a second's lag is fine. A
//! failed flush puts its counts back to be added next time, so a database
//! hiccup loses nothing (past [`MAX_KEYS`] distinct keys, new ones are
//! dropped instead of growing without bound). Counters of a node that dies
//! are lost: the audit log, not these, is the record of accesses.
//!
//! [`Store::record_usage`]: crate::store::Store::record_usage

use crate::server::AppState;
use crate::store::{Millis, Store, StoreError, UsageBatch};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use vault_core::{SecretId, ServiceId, VaultId};

/// How often counters are flushed.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Most distinct services plus secrets held between flushes.
pub const MAX_KEYS: usize = 100_000;

#[derive(Default)]
struct Tally {
    services: HashMap<ServiceId, (VaultId, u64, Millis)>,
    secrets: HashMap<(VaultId, SecretId), (u64, Millis)>,
}

impl Tally {
    fn len(&self) -> usize {
        self.services.len() + self.secrets.len()
    }

    fn is_empty(&self) -> bool {
        self.services.is_empty() && self.secrets.is_empty()
    }

    fn add_service(&mut self, service: ServiceId, project: VaultId, uses: u64, at: Millis) {
        let full = self.len() >= MAX_KEYS;
        match self.services.get_mut(&service) {
            Some(e) => {
                e.1 = e.1.saturating_add(uses);
                e.2 = e.2.max(at);
            }
            None if !full => {
                self.services.insert(service, (project, uses, at));
            }
            None => {}
        }
    }

    fn add_secret(&mut self, project: VaultId, secret: SecretId, uses: u64, at: Millis) {
        let full = self.len() >= MAX_KEYS;
        match self.secrets.get_mut(&(project, secret)) {
            Some(e) => {
                e.0 = e.0.saturating_add(uses);
                e.1 = e.1.max(at);
            }
            None if !full => {
                self.secrets.insert((project, secret), (uses, at));
            }
            None => {}
        }
    }
}

/// The in-memory counters of one node.
#[derive(Default)]
pub struct UsageTally {
    tally: Mutex<Tally>,
    started: AtomicBool,
}

impl core::fmt::Debug for UsageTally {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("UsageTally")
    }
}

impl UsageTally {
    /// Counts a call by `service` at `at` that was handed `secrets` (empty
    /// for a call that read none: it still counts as "last used").
    pub fn count(&self, service: ServiceId, project: VaultId, secrets: &[SecretId], at: Millis) {
        let mut t = match self.tally.lock() {
            Ok(t) => t,
            Err(poisoned) => poisoned.into_inner(),
        };
        let uses = u64::try_from(secrets.len()).unwrap_or(u64::MAX);
        t.add_service(service, project, uses, at);
        for s in secrets {
            t.add_secret(project, *s, 1, at);
        }
    }

    /// Adds what was counted since the last flush to the store now.
    pub async fn flush(&self, store: &Store) -> Result<(), StoreError> {
        let taken = match self.tally.lock() {
            Ok(mut t) => std::mem::take(&mut *t),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        if taken.is_empty() {
            return Ok(());
        }
        let batch = UsageBatch {
            services: taken
                .services
                .iter()
                .map(|(s, (p, n, at))| (*s, *p, *n, *at))
                .collect(),
            secrets: taken
                .secrets
                .iter()
                .map(|((p, s), (n, at))| (*p, *s, *n, *at))
                .collect(),
        };
        let result = store.record_usage(&batch).await;
        if result.is_err() {
            // Put the counts back for the next flush.
            let mut t = match self.tally.lock() {
                Ok(t) => t,
                Err(poisoned) => poisoned.into_inner(),
            };
            for (s, (p, n, at)) in taken.services {
                t.add_service(s, p, n, at);
            }
            for ((p, s), (n, at)) in taken.secrets {
                t.add_secret(p, s, n, at);
            }
        }
        result
    }

    /// Starts the flusher if it is not running yet: every [`FLUSH_EVERY`],
    /// and once more when the server begins shutting down, until the state
    /// is dropped.
    pub(crate) fn start(&self, state: &Arc<AppState>) {
        if self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        tokio::spawn(flusher(Arc::downgrade(state), state.shutdown.clone()));
    }
}

async fn flusher(state: Weak<AppState>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutting_down = *shutdown.borrow();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            r = shutdown.changed(), if !shutting_down => {
                // A dropped sender (the state is going) or the flip: flush
                // now either way, then keep ticking for stragglers.
                shutting_down = r.is_err() || *shutdown.borrow();
            }
        }
        let Some(st) = state.upgrade() else { return };
        if let Err(e) = st.machine.usage.flush(&st.store).await {
            tracing::warn!(error = %e, "flushing access counters failed; retrying");
        }
    }
}
