//! Authenticating a service's call: `authorization: Bearer vsa1.<service
//! id>.<auth secret>` ([`ServiceToken::auth_header`]).
//!
//! 1. The header is split ([`parse_auth_header`]); the service is looked up
//!    ([`Store::service_auth`]) through [`AuthCache`], a short-lived cache
//!    (a few seconds; evicted at once when this node changes a service or
//!    project, or hears of a change on another node through the notifier).
//! 2. The auth secret's fingerprint is compared with the stored one in
//!    constant time ([`ServicePublic::check_auth`]).
//! 3. Unknown service, wrong secret, revoked, expired: **one** answer,
//!    [`AuthError::Unauthenticated`], so a caller without the secret
//!    learns nothing about the service. Each of these with a service id is
//!    audited (`service.auth_fail`, never the header). Only then, with the
//!    secret checked: the address allowlists (refusal audited as
//!    `service.address_denied`), and pending or denied.
//!
//! A client address that keeps failing (more than [`FAILURES_PER_MINUTE`]
//! a minute) is refused without a lookup or an audit row for the rest of
//! the minute, so guessing cannot flood the database or the audit log.
//!
//! [`ServiceToken::auth_header`]: vault_core::machine::ServiceToken::auth_header
//! [`ServicePublic::check_auth`]: vault_core::machine::ServicePublic::check_auth
//! [`Store::service_auth`]: crate::store::Store::service_auth

use super::allowlist::Allowlists;
use super::audit_batch::AuditError;
use crate::server::AppState;
use crate::server::extract::bearer_token;
use crate::store::{
    AuditAction, AuditEvent, AuditOutcome, AuditParty, ServiceAuth, ServiceStatus, Store,
    StoreError,
};
use axum::http::HeaderMap;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vault_core::machine::parse_auth_header;
use vault_core::{ServiceId, VaultId};

/// Failed authentications per client address per minute before it is
/// refused outright until the minute is over.
pub const FAILURES_PER_MINUTE: u32 = 30;
/// Most cached services (the cache is emptied when it would grow past it).
const CACHE_MAX: usize = 100_000;
/// Most addresses tracked by the failure throttle.
const THROTTLE_MAX: usize = 100_000;

/// A service's authentication record with its allowlists parsed.
#[derive(Debug)]
pub struct CachedAuth {
    /// As stored.
    pub auth: ServiceAuth,
    /// The service's and its project's allowlists.
    pub allowlists: Allowlists,
}

impl CachedAuth {
    fn new(auth: ServiceAuth) -> Self {
        CachedAuth {
            allowlists: Allowlists::parse(&auth.allowlist, &auth.project_allowlist),
            auth,
        }
    }

    /// The service.
    pub fn service(&self) -> ServiceId {
        self.auth.public.service
    }

    /// Its project.
    pub fn project(&self) -> VaultId {
        self.auth.public.project
    }
}

/// Services this node has looked up recently (positive answers only: an
/// unknown id is asked again, so a service that just registered on another
/// node is known at once).
pub struct AuthCache {
    ttl: Duration,
    map: Mutex<HashMap<ServiceId, (Arc<CachedAuth>, Instant)>>,
}

impl core::fmt::Debug for AuthCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl AuthCache {
    /// A cache keeping answers for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        AuthCache {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ServiceId, (Arc<CachedAuth>, Instant)>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The service's record, cached or looked up. `None` if unknown (or its
    /// project is gone).
    pub async fn get(
        &self,
        store: &Store,
        service: ServiceId,
    ) -> Result<Option<Arc<CachedAuth>>, StoreError> {
        if let Some((a, at)) = self.lock().get(&service)
            && at.elapsed() < self.ttl
        {
            return Ok(Some(a.clone()));
        }
        self.fresh(store, service).await
    }

    /// The service's record from the store (refreshing the cache).
    pub async fn fresh(
        &self,
        store: &Store,
        service: ServiceId,
    ) -> Result<Option<Arc<CachedAuth>>, StoreError> {
        let found = store
            .service_auth(service)
            .await?
            .map(|a| Arc::new(CachedAuth::new(a)));
        let mut m = self.lock();
        match &found {
            Some(a) => {
                if m.len() >= CACHE_MAX {
                    m.clear();
                }
                m.insert(service, (a.clone(), Instant::now()));
            }
            None => {
                m.remove(&service);
            }
        }
        Ok(found)
    }

    /// Forgets one service (its status, grants or allowlist changed).
    pub fn evict_service(&self, service: ServiceId) {
        self.lock().remove(&service);
    }

    /// Forgets every service of a project (its allowlist changed, or it
    /// was removed).
    pub fn evict_project(&self, project: VaultId) {
        self.lock().retain(|_, (a, _)| a.project() != project);
    }

    /// Forgets everything (notifications may have been missed).
    pub fn clear(&self) {
        self.lock().clear();
    }
}

/// Failed authentications per client address (one node's view).
#[derive(Default)]
pub struct FailureThrottle {
    map: Mutex<HashMap<Option<IpAddr>, (Instant, u32)>>,
}

impl core::fmt::Debug for FailureThrottle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FailureThrottle")
    }
}

const MINUTE: Duration = Duration::from_secs(60);

impl FailureThrottle {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Option<IpAddr>, (Instant, u32)>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Seconds to wait if `addr` has failed too often this minute.
    pub fn locked(&self, addr: Option<IpAddr>) -> Option<u64> {
        let m = self.lock();
        let (start, n) = m.get(&addr)?;
        let age = start.elapsed();
        (age < MINUTE && *n >= FAILURES_PER_MINUTE)
            .then(|| MINUTE.saturating_sub(age).as_secs().max(1))
    }

    /// Counts a failure of `addr`.
    pub fn failed(&self, addr: Option<IpAddr>) {
        let mut m = self.lock();
        if m.len() >= THROTTLE_MAX {
            m.retain(|_, (start, _)| start.elapsed() < MINUTE);
            if m.len() >= THROTTLE_MAX {
                m.clear();
            }
        }
        let e = m.entry(addr).or_insert((Instant::now(), 0));
        if e.0.elapsed() >= MINUTE {
            *e = (Instant::now(), 0);
        }
        e.1 = e.1.saturating_add(1);
    }
}

/// Which services a call accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Approved only (reads).
    Approved,
    /// Pending or approved (waiting for the approval, e.g. a watch).
    Registered,
}

/// Why a call was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown service, wrong secret, revoked or expired (one answer).
    #[error("unauthenticated")]
    Unauthenticated,
    /// Too many failures from this address: wait this many seconds.
    #[error("too many failed authentications")]
    RateLimited(u64),
    /// Registered, not yet approved.
    #[error("the service waits for approval")]
    PendingApproval,
    /// A member refused the registration.
    #[error("the registration was denied")]
    Denied,
    /// The client address is outside an allowlist.
    #[error("not allowed from this address")]
    NotAllowedFromAddress,
    /// The refusal could not be audited.
    #[error("audit: {0}")]
    Audit(#[from] AuditError),
    /// The lookup failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Its record (status, access, allowlists).
    pub auth: Arc<CachedAuth>,
    /// Its client address.
    pub addr: Option<IpAddr>,
}

impl Caller {
    /// The service.
    pub fn service(&self) -> ServiceId {
        self.auth.service()
    }

    /// Its project.
    pub fn project(&self) -> VaultId {
        self.auth.project()
    }

    /// An audit event by this service, from its address, in its project.
    pub fn event(&self, action: AuditAction, outcome: AuditOutcome) -> AuditEvent {
        service_event(
            self.service(),
            Some(self.project()),
            self.addr,
            action,
            outcome,
        )
    }
}

/// An audit event acted by `service`.
pub fn service_event(
    service: ServiceId,
    project: Option<VaultId>,
    addr: Option<IpAddr>,
    action: AuditAction,
    outcome: AuditOutcome,
) -> AuditEvent {
    let mut ev = AuditEvent::by(Some(AuditParty::Service(service)), action);
    ev.vault = project;
    ev.remote = addr.map(|a| a.to_string());
    ev.outcome = outcome;
    ev
}

/// Authenticates a call (see the module docs) from `addr` with these
/// request headers.
pub async fn authenticate(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    addr: Option<IpAddr>,
    need: Need,
) -> Result<Caller, AuthError> {
    let m = &state.machine;
    if let Some(secs) = m.failures.locked(addr) {
        return Err(AuthError::RateLimited(secs));
    }
    let Some(header) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .map(str::trim)
    else {
        m.failures.failed(addr);
        return Err(AuthError::Unauthenticated);
    };
    let Ok((service, _)) = parse_auth_header(header) else {
        // Nothing names a service: nothing to attribute an audit row to.
        m.failures.failed(addr);
        return Err(AuthError::Unauthenticated);
    };
    let found = m.auth.get(&state.store, service).await?;
    let now = state.clock.now_ms();
    let refused = match &found {
        None => true,
        Some(a) => {
            a.auth.public.check_auth(header).is_err()
                || a.auth.status == ServiceStatus::Revoked
                || a.auth.expires_at.is_some_and(|t| t <= now)
        }
    };
    let project = found.as_ref().map(|a| a.project());
    let Some(auth) = found.filter(|_| !refused) else {
        m.failures.failed(addr);
        let ev = service_event(
            service,
            project,
            addr,
            AuditAction::ServiceAuthFail,
            AuditOutcome::Denied,
        );
        // The call is refused whatever the audit says; a failed write is
        // logged by the writer.
        let _ = m.audit.record(state, vec![ev]).await;
        return Err(AuthError::Unauthenticated);
    };
    let caller = Caller { auth, addr };
    if !caller.auth.allowlists.allows(addr) {
        m.audit
            .record(
                state,
                vec![caller.event(AuditAction::AddressDenied, AuditOutcome::Denied)],
            )
            .await?;
        return Err(AuthError::NotAllowedFromAddress);
    }
    match (caller.auth.auth.status, need) {
        (ServiceStatus::Approved, _) | (ServiceStatus::Pending, Need::Registered) => Ok(caller),
        (ServiceStatus::Pending, Need::Approved) => Err(AuthError::PendingApproval),
        (ServiceStatus::Denied, _) => Err(AuthError::Denied),
        (ServiceStatus::Revoked, _) => Err(AuthError::Unauthenticated),
    }
}
