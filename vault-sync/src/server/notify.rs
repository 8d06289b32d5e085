//! Change notifications across server nodes.
//!
//! A write publishes *what* moved (a vault, an account's memberships, a
//! revoked session, a project's secrets, a service identity), never
//! content. Every node hears every event and tells its own event-stream
//! subscribers "sync now" ([`super::handlers::events`]) and its services'
//! gRPC watch streams what changed (`WatchSecrets`), and drops revoked
//! sessions and changed services from its caches.
//!
//! **Fan-out: Postgres `LISTEN`/`NOTIFY`**, not Redis pub/sub. The nodes
//! already share the database, so it adds no moving part and no second
//! failure domain; a notification is published only after the write has
//! committed (we `NOTIFY` after the store's transaction returns), and
//! Postgres delivers it to every listening node in commit order. Payloads
//! are tiny (an id), well under NOTIFY's 8000-byte limit. Redis pub/sub
//! would add fire-and-forget delivery with no relation to commits. If a
//! listener's connection drops, events in between are lost; sqlx's
//! `PgListener` reconnects, and we then broadcast [`Event::Resync`] so every
//! subscriber syncs once. Notifications are hints: clients also sync on
//! start and on reconnect, so a lost one delays, never loses, data.
//!
//! On SQLite (one node) events go through an in-process channel only.

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use std::str::FromStr;
use tokio::sync::broadcast;
use vault_core::{AccountId, SecretId, ServiceId, VaultId};

use crate::store::SessionId;

const CHANNEL: &str = "vault_changes";

/// Something changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A vault's items, metadata or members changed.
    Vault(VaultId),
    /// An account's memberships changed (added to, removed from a vault).
    Account(AccountId),
    /// A session was revoked.
    SessionRevoked(SessionId),
    /// A project's machine side changed: one secret (new version, key
    /// rotation, deletion) when the id is given; otherwise the project as a
    /// whole (its allowlist, several secrets, its removal).
    Project(VaultId, Option<SecretId>),
    /// A service identity changed: approved, denied, revoked, its grants
    /// or its allowlist.
    Service(ServiceId),
    /// Events may have been missed: everyone should sync.
    Resync,
}

impl Event {
    fn encode(&self) -> String {
        match self {
            Event::Vault(v) => format!("v:{v}"),
            Event::Account(a) => format!("a:{a}"),
            Event::SessionRevoked(s) => format!("s:{s}"),
            Event::Project(p, None) => format!("p:{p}"),
            Event::Project(p, Some(s)) => format!("p:{p}:{s}"),
            Event::Service(s) => format!("sv:{s}"),
            Event::Resync => "r".into(),
        }
    }

    fn decode(s: &str) -> Option<Event> {
        match s.split_once(':') {
            Some(("v", id)) => VaultId::from_str(id).ok().map(Event::Vault),
            Some(("a", id)) => AccountId::from_str(id).ok().map(Event::Account),
            Some(("s", id)) => SessionId::from_str(id).ok().map(Event::SessionRevoked),
            Some(("p", rest)) => match rest.split_once(':') {
                None => VaultId::from_str(rest)
                    .ok()
                    .map(|p| Event::Project(p, None)),
                Some((p, s)) => Some(Event::Project(
                    VaultId::from_str(p).ok()?,
                    Some(SecretId::from_str(s).ok()?),
                )),
            },
            Some(("sv", id)) => ServiceId::from_str(id).ok().map(Event::Service),
            _ if s == "r" => Some(Event::Resync),
            _ => None,
        }
    }
}

/// Publishes and delivers events.
#[derive(Clone)]
pub struct Notifier {
    local: broadcast::Sender<Event>,
    pg: Option<PgPool>,
}

impl core::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Notifier")
            .field("postgres", &self.pg.is_some())
            .finish()
    }
}

impl Notifier {
    /// In-process only (one node).
    pub fn local() -> Self {
        let (local, _) = broadcast::channel(1024);
        Notifier { local, pg: None }
    }

    /// Across nodes through Postgres `LISTEN`/`NOTIFY` on `url` (the app
    /// role is enough). Spawns the listener task; it runs until the process
    /// ends.
    pub async fn postgres(url: &str) -> Result<Self, sqlx::Error> {
        let (local, _) = broadcast::channel(1024);
        let pool = PgPoolOptions::new().max_connections(2).connect(url).await?;
        let mut listener = PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        let tx = local.clone();
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => {
                        if let Some(e) = Event::decode(n.payload()) {
                            let _ = tx.send(e);
                        }
                    }
                    // The connection was lost and re-established: anything
                    // sent meanwhile is gone.
                    Ok(None) => {
                        let _ = tx.send(Event::Resync);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "notification listener failed; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        let _ = tx.send(Event::Resync);
                    }
                }
            }
        });
        Ok(Notifier {
            local,
            pg: Some(pool),
        })
    }

    /// Publishes events (after the write they describe has committed).
    /// Failure to publish is logged, not returned: the write stands, and
    /// clients catch up at their next sync.
    pub async fn publish(&self, events: &[Event]) {
        match &self.pg {
            None => {
                for e in events {
                    let _ = self.local.send(*e);
                }
            }
            Some(pool) => {
                for e in events {
                    if let Err(err) = sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(CHANNEL)
                        .bind(e.encode())
                        .execute(pool)
                        .await
                    {
                        tracing::warn!(error = %err, "could not publish a change notification");
                    }
                }
            }
        }
    }

    /// A receiver of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn events_round_trip() {
        for e in [
            Event::Vault(VaultId([1; 16])),
            Event::Account(AccountId([2; 16])),
            Event::SessionRevoked(SessionId([3; 16])),
            Event::Project(VaultId([4; 16]), None),
            Event::Project(VaultId([4; 16]), Some(SecretId([5; 16]))),
            Event::Service(ServiceId([6; 16])),
            Event::Resync,
        ] {
            assert_eq!(Event::decode(&e.encode()), Some(e));
        }
        assert_eq!(Event::decode("v:zz"), None);
        assert_eq!(Event::decode("p:zz"), None);
        assert_eq!(Event::decode(&format!("p:{}:zz", VaultId([4; 16]))), None);
        assert_eq!(Event::decode("sv:"), None);
        assert_eq!(Event::decode(""), None);
    }
}
