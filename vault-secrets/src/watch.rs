//! The background watcher: `WatchSecrets` events invalidate the cache.
//!
//! The task holds the client only weakly (it upgrades for each event), so
//! dropping the last [`SecretsClient`](crate::SecretsClient) clone ends it
//! (the client also aborts it on drop).

use crate::client::Inner;
use crate::error::SecretsError;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tonic::Streaming;
use vault_core::SecretId;
use vault_sync::grpc::proto::{SecretEvent, WatchSecretsRequest, secret_event::Kind};

/// First wait before reconnecting; doubled on each failure.
const MIN_BACKOFF: Duration = Duration::from_millis(500);
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Opens a `WatchSecrets` stream.
pub(crate) async fn open(inner: &Inner) -> Result<Streaming<SecretEvent>, SecretsError> {
    let mut rpc = inner.rpc.clone();
    inner
        .call(rpc.watch_secrets(inner.authed(WatchSecretsRequest {})?))
        .await
}

/// Whether the watcher goes on after an event.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// Applies one event to the cache.
fn apply(inner: &Inner, ev: &SecretEvent) -> Flow {
    match ev.kind() {
        Kind::SecretsChanged => {
            // One secret when the server names it, else all of them.
            let one = (!ev.secret.is_empty())
                .then(|| ev.secret.parse::<SecretId>().ok())
                .flatten();
            inner.drop_values(one);
            Flow::Continue
        }
        Kind::Revoked => {
            inner.revoke();
            Flow::Stop
        }
        // Grants changed, events were missed, or a kind this client does
        // not know: nothing cached can be trusted.
        Kind::AccessChanged | Kind::Resync | Kind::Unspecified => {
            inner.drop_all();
            Flow::Continue
        }
    }
}

/// Whether a refusal is for good (the token will not work again).
fn permanent(e: &SecretsError) -> bool {
    matches!(e, SecretsError::Unauthenticated | SecretsError::Denied)
}

/// Reads `stream` until it ends, then reconnects (with backoff) until the
/// client is gone or the token is refused for good.
pub(crate) async fn run(client: Weak<Inner>, mut stream: Streaming<SecretEvent>) {
    loop {
        let ended = loop {
            match stream.message().await {
                Ok(Some(ev)) => {
                    let Some(inner) = client.upgrade() else {
                        return;
                    };
                    if apply(&inner, &ev) == Flow::Stop {
                        return;
                    }
                }
                Ok(None) => break None,
                Err(status) => break Some(SecretsError::from_status(&status)),
            }
        };
        if ended.as_ref().is_some_and(permanent) {
            if let Some(inner) = client.upgrade() {
                inner.drop_all();
            }
            return;
        }
        match reconnect(&client).await {
            Some(s) => stream = s,
            None => return,
        }
    }
}

/// A new stream, or `None` when the client is gone or the token is
/// refused for good. Events may have been missed while disconnected: the
/// cache is emptied once the new stream is open.
async fn reconnect(client: &Weak<Inner>) -> Option<Streaming<SecretEvent>> {
    let mut backoff = MIN_BACKOFF;
    loop {
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
        let inner: Arc<Inner> = client.upgrade()?;
        match open(&inner).await {
            Ok(s) => {
                inner.drop_all();
                return Some(s);
            }
            Err(e) if permanent(&e) => {
                inner.drop_all();
                return None;
            }
            Err(_) => {}
        }
    }
}
