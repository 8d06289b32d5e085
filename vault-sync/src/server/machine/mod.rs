//! The server's side of machine secrets as services see it: who is calling
//! ([`auth`], [`client_addr`]), from where ([`allowlist`]), what gets
//! recorded ([`audit_batch`], [`usage`]). The gRPC interface
//! ([`super::grpc`]) is built on these; the HTTP admin API (people) tells
//! them about its changes through [`AppState::notify_project_changed`] and
//! [`AppState::notify_service_changed`].

pub mod allowlist;
pub mod audit_batch;
pub mod auth;
pub mod client_addr;
pub mod usage;

use super::notify::Event;
use super::{AppState, ServerConfig};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use vault_core::{SecretId, ServiceId, VaultId};

/// What the service-facing side keeps in memory, one per [`AppState`].
#[derive(Debug)]
pub struct MachineState {
    /// Group commit of service audit events.
    pub audit: audit_batch::AuditBatcher,
    /// Recently authenticated services.
    pub auth: auth::AuthCache,
    /// Failed authentications per address.
    pub failures: auth::FailureThrottle,
    /// Access counters waiting for their flush.
    pub usage: usage::UsageTally,
    /// Open watch streams per service.
    pub(crate) watches: StreamSlots,
}

impl MachineState {
    /// Empty state with `config`'s timeouts.
    pub fn new(config: &ServerConfig) -> Self {
        MachineState {
            audit: audit_batch::AuditBatcher::new(config.audit_timeout),
            auth: auth::AuthCache::new(config.service_auth_cache_ttl),
            failures: auth::FailureThrottle::default(),
            usage: usage::UsageTally::default(),
            watches: StreamSlots::default(),
        }
    }

    /// Applies a change notification to the caches.
    pub(crate) fn apply(&self, event: &Event) {
        match event {
            Event::Service(s) => self.auth.evict_service(*s),
            Event::Project(p, None) => self.auth.evict_project(*p),
            Event::Resync => self.auth.clear(),
            Event::Project(_, Some(_))
            | Event::Vault(_)
            | Event::Account(_)
            | Event::SessionRevoked(_) => {}
        }
    }
}

/// Open streams per service, with a cap (one node's count: each node caps
/// what it serves).
#[derive(Debug, Default)]
pub(crate) struct StreamSlots {
    open: Mutex<HashMap<ServiceId, usize>>,
}

impl StreamSlots {
    /// Takes a slot for `service` if it holds fewer than `cap`.
    pub(crate) fn take(&self, service: ServiceId, cap: usize) -> bool {
        let mut m = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = m.entry(service).or_insert(0);
        if *n >= cap {
            return false;
        }
        *n += 1;
        true
    }

    /// Gives one back.
    pub(crate) fn give_back(&self, service: ServiceId) {
        let mut m = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = m.get_mut(&service) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&service);
            }
        }
    }
}

impl AppState {
    /// Tells this node's caches and every node's watch streams that a
    /// project's machine side changed: `Some(secret)` for one secret (a new
    /// version, a key rotation, a deletion), `None` for the project as a
    /// whole (its allowlist, several secrets at once, its removal). Call
    /// after the change has committed.
    pub async fn notify_project_changed(&self, project: VaultId, secret: Option<SecretId>) {
        self.publish(&[Event::Project(project, secret)]).await;
    }

    /// Tells this node's caches and every node's watch streams that a
    /// service identity changed (approved, denied, revoked, granted more,
    /// its allowlist). Call after the change has committed.
    pub async fn notify_service_changed(&self, service: ServiceId) {
        self.publish(&[Event::Service(service)]).await;
    }

    /// Adds the access counters counted so far to the store (they are also
    /// flushed every second once services call): call before closing the
    /// store on shutdown.
    pub async fn flush_usage(&self) {
        if let Err(e) = self.machine.usage.flush(&self.store).await {
            tracing::warn!(error = %e, "flushing access counters failed");
        }
    }

    /// The client's address of a request: its socket peer, or with
    /// [`ServerConfig::trusted_proxies`] the address its proxies forwarded
    /// ([`client_addr`]).
    pub fn client_ip(
        &self,
        peer: Option<IpAddr>,
        headers: &axum::http::HeaderMap,
    ) -> Option<IpAddr> {
        client_addr::client_ip(peer, headers, (&self.config.trusted_proxies).into())
    }
}
