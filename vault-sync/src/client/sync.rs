//! The sync driver: runs vault-core's sans-IO [`SyncEngine`] against the
//! server, persisting after every step, and the optional `watch` loop that
//! follows the server's event stream.
//!
//! ```text
//! sync():
//!   pull:    plan_pull ─▶ GET /v1/sync/changes?since=… ─▶ apply_pull ─▶ persist   (until !has_more)
//!            memberships changed → open the new vault keys (Wrapped: unwrap; Grant: sender's pinned identity)
//!   resolve: resolve_default(keys, " (conflict)")  (keep both; never drop an edit) ─▶ persist
//!   push:    plan_push ─▶ persist ─▶ POST /v1/sync/push ─▶ apply_push ─▶ persist   (while progressed)
//!            new conflicts → resolve again, and push what that queued
//! ```

use super::device::UnlockedDevice;
use super::error::{ClientError, ClientResult};
use std::ops::ControlFlow;
use std::time::Duration;
use vault_core::sync::AutoAction;
use vault_core::{ItemId, VaultId, rng};

/// Most feed pages one sync reads (a guard against a server that never
/// says `has_more: false`).
const MAX_PAGES: usize = 100_000;
/// Most push rounds one sync makes.
const MAX_PUSH_ROUNDS: usize = 10_000;

/// A conflict the default policy resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedConflict {
    /// The vault.
    pub vault: VaultId,
    /// The item.
    pub item: ItemId,
    /// What was done (e.g. [`AutoAction::KeptBoth`] with the copy's id).
    pub action: AutoAction,
}

/// What one [`UnlockedDevice::sync`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Feed pages applied.
    pub pages: usize,
    /// Feed entries received.
    pub pulled: usize,
    /// Local edits the server stored.
    pub pushed: usize,
    /// Vaults whose membership, keys or metadata changed (or that went away).
    pub vaults_changed: Vec<VaultId>,
    /// Items whose visible state changed through the feed.
    pub items_changed: usize,
    /// Conflicts resolved by the default policy.
    pub resolved: Vec<ResolvedConflict>,
    /// Local edits still queued (e.g. a rejected write).
    pub pending: usize,
    /// Conflicts left for the user (a lost vault, a refused write).
    pub conflicts_left: usize,
}

impl UnlockedDevice {
    /// One sync round: pull the feed to its end, resolve conflicts with the
    /// default policy (keep both versions), push the queue. Every step is
    /// persisted, so an interrupted sync resumes where it stopped; offline
    /// it fails with a network error and the queue stays.
    ///
    /// ```no_run
    /// # async fn f(device: &mut vault_sync::client::UnlockedDevice) -> Result<(), vault_sync::client::ClientError> {
    /// match device.sync().await {
    ///     Ok(report) => println!("{} received, {} sent, {} conflicts resolved",
    ///                            report.pulled, report.pushed, report.resolved.len()),
    ///     Err(e) if e.is_offline() => println!("offline: {} edits wait", device.pending_count()),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn sync(&mut self) -> ClientResult<SyncReport> {
        self.reload_if_changed().await?;
        let mut report = SyncReport::default();
        self.pull(&mut report).await?;
        self.resolve(&mut report).await?;
        self.push(&mut report).await?;
        report.pending = self.engine.pending_count();
        report.conflicts_left = self.engine.conflicts().len();
        report.vaults_changed.sort_unstable();
        report.vaults_changed.dedup();
        Ok(report)
    }

    /// Pulls the feed until the server has no more.
    pub(super) async fn pull(&mut self, report: &mut SyncReport) -> ClientResult<()> {
        for _ in 0..MAX_PAGES {
            let req = self.engine.plan_pull();
            let page = self.api.changes(req.since.as_ref(), None).await?;
            let entries = page.changes.len();
            let out = self.engine.apply_pull(page)?;
            if !out.applied {
                return Err(ClientError::Protocol(
                    "the feed page answers another cursor".into(),
                ));
            }
            self.persist().await?;
            report.pages += 1;
            report.pulled += entries;
            report.items_changed += out.changed.len();
            if !out.vaults_changed.is_empty() {
                report.vaults_changed.extend(out.vaults_changed);
                self.refresh_keys().await;
            }
            if !out.has_more {
                return Ok(());
            }
        }
        Err(ClientError::Protocol("the feed does not end".into()))
    }

    /// Resolves what the default policy can, with every key this device holds.
    async fn resolve(&mut self, report: &mut SyncReport) -> ClientResult<()> {
        if self.engine.conflicts().is_empty() {
            return Ok(());
        }
        let keys = self.all_keys();
        let suffix = self.options.conflict_suffix.clone();
        let done = self
            .engine
            .resolve_default(&keys, &suffix, &mut rng::os_rng());
        self.persist().await?;
        for r in done {
            if matches!(r.action, AutoAction::Left(_)) {
                if let AutoAction::Left(Some(e)) = &r.action {
                    tracing::warn!(vault = %r.conflict.vault, item = %r.conflict.item, error = e.code(), "conflict left unresolved");
                }
                continue;
            }
            report.resolved.push(ResolvedConflict {
                vault: r.conflict.vault,
                item: r.conflict.item,
                action: r.action,
            });
        }
        Ok(())
    }

    /// Pushes the queue while rounds make progress.
    async fn push(&mut self, report: &mut SyncReport) -> ClientResult<()> {
        for _ in 0..MAX_PUSH_ROUNDS {
            let Some(req) = self.engine.plan_push() else {
                return Ok(());
            };
            // The edits are now marked sent: persist that before sending, so
            // a crash cannot let a later edit replace one the server may hold.
            self.persist().await?;
            let resp = self.api.push(&req).await?;
            let out = self.engine.apply_push(resp)?;
            self.persist().await?;
            report.pushed += out.acknowledged.len();
            if !out.conflicts.is_empty() {
                self.resolve(report).await?;
            }
            if !out.progressed() {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Follows `GET /v1/events` and syncs once the stream is up and on every
    /// `changed` event, reconnecting with backoff when the stream ends or the
    /// network fails. `on_sync` sees every round's outcome and stops the
    /// loop with [`ControlFlow::Break`]. Returns early on errors a retry
    /// cannot fix (the session ended, a local failure).
    ///
    /// To stop from outside, drop the future (e.g. in `tokio::select!`
    /// against Ctrl-C); every step is persisted, so that is safe.
    ///
    /// ```no_run
    /// use std::ops::ControlFlow;
    /// # async fn f(device: &mut vault_sync::client::UnlockedDevice) -> Result<(), vault_sync::client::ClientError> {
    /// device.watch(|round| {
    ///     match round {
    ///         Ok(r) if r.items_changed > 0 => println!("{} items changed", r.items_changed),
    ///         Ok(_) => {}
    ///         Err(e) => eprintln!("sync failed, retrying: {e}"),
    ///     }
    ///     ControlFlow::Continue(())
    /// }).await
    /// # }
    /// ```
    pub async fn watch<F>(&mut self, mut on_sync: F) -> ClientResult<()>
    where
        F: FnMut(&ClientResult<SyncReport>) -> ControlFlow<()>,
    {
        let mut backoff = Duration::from_secs(1);
        loop {
            match self.api.events().await {
                Ok(mut stream) => loop {
                    match stream.next_event().await {
                        Ok(Some(ev)) if ev.event == "ready" || ev.event == "changed" => {
                            backoff = Duration::from_secs(1);
                            let r = self.sync().await;
                            let stop = on_sync(&r).is_break();
                            if let Err(e) = &r
                                && !retryable(e)
                            {
                                return r.map(drop);
                            }
                            if stop {
                                return Ok(());
                            }
                        }
                        Ok(Some(_)) => {}
                        Ok(None) | Err(_) => break,
                    }
                },
                Err(e) if retryable(&e) => {
                    let r = Err(e);
                    if on_sync(&r).is_break() {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(60));
        }
    }

    /// The engine's queue: how many local edits wait for the server.
    pub fn pending_count(&self) -> usize {
        self.engine.pending_count()
    }
}

fn retryable(e: &ClientError) -> bool {
    e.is_offline()
        || matches!(e, ClientError::Server { .. } | ClientError::Busy)
        || matches!(
            e,
            ClientError::Rejected {
                code: crate::api::ErrorCode::RateLimited,
                ..
            }
        )
}
