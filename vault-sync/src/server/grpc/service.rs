//! The `Secrets` service: what each call checks, stores, audits and answers.
//!
//! | call | caller | what happens |
//! |---|---|---|
//! | `RegisterToken` | anyone (throttled per address) | checks the `ServicePublic` and labels, files a pending service (the store audits it) |
//! | `GetProject` | anyone (throttled per address) | the project's public keys |
//! | `GetAccess` | approved service | its grants and the project's public keys |
//! | `GetSecret`, `GetSecrets` | approved service | one batch read; stubs and access requests filed for the rest; **every** outcome audited (group commit) before the answer; counters |
//! | `ListSecrets` | approved service | one page of what it may read (no names needed, nothing filed); every secret handed out audited (group commit) before the answer; counters |
//! | `WatchSecrets` | pending or approved service | a stream of changes ([`super::watch`]) |
//!
//! Input is checked before anything is stored: sizes, JSON shape (objects
//! only, unknown fields refused by the core types), format versions, key
//! validity, and no control or bidi characters in what people will read.
//! Authentication comes first, so an unauthenticated caller learns nothing
//! from an input error.

use super::proto::secrets_server::Secrets;
use super::proto::{self, secret_event};
use super::status::{GrpcCode, GrpcError};
use super::watch;
use crate::server::AppState;
use crate::server::machine::auth::{self, Caller, Need};
use crate::server::ratelimit::LimitKey;
use crate::store::machine::{GrantedSecret, MAX_BATCH};
use crate::store::{
    AuditAction, AuditEvent, AuditOutcome, AuditParty, FetchOutcome, RequestStatus, StoreError,
};
use axum::extract::ConnectInfo;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tonic::{Request, Response, Status};
use vault_core::machine::{BlindIndex, SealedToProject, ServicePublic};
use vault_core::{SecretId, VaultId};

/// Longest `ServicePublic` JSON accepted (the real one is about 300 bytes).
const MAX_SERVICE_JSON: usize = 2048;
/// Longest sealed hint JSON accepted (the store keeps at most 4 KiB of it).
const MAX_HINT_JSON: usize = 8192;
/// Longest service name or version, in bytes.
const MAX_LABEL: usize = crate::store::machine::MAX_SERVICE_LABEL;

/// The service, over the server's state.
#[derive(Debug)]
pub struct SecretsService {
    state: Arc<AppState>,
}

impl SecretsService {
    /// The service for `state`.
    pub fn new(state: Arc<AppState>) -> Self {
        SecretsService { state }
    }

    /// The client's address: the connection's peer, or what trusted
    /// proxies forwarded.
    fn addr<T>(&self, req: &Request<T>) -> Option<IpAddr> {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        self.state.client_ip(peer, req.metadata().as_ref())
    }

    async fn caller<T>(&self, req: &Request<T>, need: Need) -> Result<Caller, GrpcError> {
        let addr = self.addr(req);
        Ok(auth::authenticate(&self.state, req.metadata().as_ref(), addr, need).await?)
    }

    /// Unauthenticated calls: at most the login throttle's starts per
    /// minute from one address (in Redis when several nodes share it),
    /// counted apart from logins.
    async fn throttle(&self, what: &str, addr: Option<IpAddr>) -> Result<(), GrpcError> {
        let addr = addr.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        let key = LimitKey::address(&format!("grpc-{what}:{addr}"));
        match self.state.limiter.check_start(&[], &key).await {
            Ok(None) => Ok(()),
            Ok(Some(secs)) => Err(GrpcError::RateLimited(secs)),
            Err(e) => Err(GrpcError::Unavailable(e.to_string())),
        }
    }

    /// Reads `wanted` for `caller` (one batch read, stubs and requests
    /// filed), audits every outcome, and counts what was handed out.
    async fn read(
        &self,
        caller: &Caller,
        wanted: &[(BlindIndex, Option<SealedToProject>)],
    ) -> Result<Vec<FetchOutcome>, GrpcError> {
        let st = &self.state;
        let outcomes = st
            .store
            .fetch_secrets(
                caller.service(),
                caller.project(),
                caller.auth.auth.access,
                wanted,
            )
            .await
            .map_err(|e| match e {
                StoreError::Forbidden(_) => GrpcError::AccessDenied,
                e => e.into(),
            })?;
        let events: Vec<AuditEvent> = outcomes.iter().map(|o| outcome_event(caller, o)).collect();
        st.machine.audit.record(st, events).await?;
        let served: Vec<SecretId> = outcomes
            .iter()
            .filter_map(|o| match o {
                FetchOutcome::Found { secret, .. } => Some(*secret),
                _ => None,
            })
            .collect();
        self.count(caller, &served);
        Ok(outcomes)
    }

    /// One page of what `caller` may read (see [`Store::list_granted_secrets`]),
    /// each secret handed out audited as a read (`secret.access`) and
    /// counted, as [`Self::read`] does.
    ///
    /// [`Store::list_granted_secrets`]: crate::store::Store::list_granted_secrets
    async fn list(
        &self,
        caller: &Caller,
        after: Option<SecretId>,
        limit: usize,
    ) -> Result<Vec<GrantedSecret>, GrpcError> {
        let st = &self.state;
        let listed = st
            .store
            .list_granted_secrets(
                caller.service(),
                caller.project(),
                caller.auth.auth.access,
                after,
                limit,
            )
            .await
            .map_err(|e| match e {
                StoreError::Forbidden(_) => GrpcError::AccessDenied,
                e => e.into(),
            })?;
        let events: Vec<AuditEvent> = listed
            .iter()
            .map(|g| {
                // What outcome_event makes of a found secret.
                let mut ev = caller.event(AuditAction::SecretAccess, AuditOutcome::Success);
                ev.subject = Some(AuditParty::Secret(g.secret));
                ev
            })
            .collect();
        st.machine.audit.record(st, events).await?;
        let served: Vec<SecretId> = listed.iter().map(|g| g.secret).collect();
        self.count(caller, &served);
        Ok(listed)
    }

    fn count(&self, caller: &Caller, served: &[SecretId]) {
        let st = &self.state;
        st.machine.usage.count(
            caller.service(),
            caller.project(),
            served,
            st.clock.now_ms(),
        );
        st.machine.usage.start(st);
    }
}

/// The audit event of one read's outcome (outcome `denied` for anything
/// not handed out; the stub or request it filed is in the action).
fn outcome_event(caller: &Caller, outcome: &FetchOutcome) -> AuditEvent {
    let (action, result, secret) = match outcome {
        FetchOutcome::Found { secret, .. } => (
            AuditAction::SecretAccess,
            AuditOutcome::Success,
            Some(*secret),
        ),
        FetchOutcome::NotFound => (AuditAction::SecretStub, AuditOutcome::Denied, None),
        FetchOutcome::NotGranted {
            secret,
            status: RequestStatus::Denied,
        } => (
            AuditAction::SecretAccess,
            AuditOutcome::Denied,
            Some(*secret),
        ),
        FetchOutcome::NotGranted { secret, .. } => (
            AuditAction::AccessRequest,
            AuditOutcome::Denied,
            Some(*secret),
        ),
    };
    let mut ev = caller.event(action, result);
    ev.subject = secret.map(AuditParty::Secret);
    ev
}

/// Parses a JSON document of a core type: an object, at most `max` bytes;
/// errors say `what` only (serde's messages may quote the input).
fn parse_json<T: DeserializeOwned>(
    text: &str,
    max: usize,
    what: &'static str,
) -> Result<T, GrpcError> {
    if text.len() > max || text.trim_start().as_bytes().first() != Some(&b'{') {
        return Err(GrpcError::Malformed(what));
    }
    serde_json::from_str(text).map_err(|_| GrpcError::Malformed(what))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, GrpcError> {
    serde_json::to_string(v).map_err(|_| GrpcError::Internal("serialising a stored record".into()))
}

/// A service name or software version: 1 to 128 bytes, nothing deceptive.
fn check_label(s: &str, what: &'static str) -> Result<(), GrpcError> {
    if s.is_empty()
        || s.len() > MAX_LABEL
        || s.chars().any(vault_core::identifier::is_deceptive_char)
    {
        return Err(GrpcError::Malformed(what));
    }
    Ok(())
}

/// One requested secret: its blind index and optional hint, checked.
fn parse_item(
    blind_index: &str,
    hint: &str,
    project: VaultId,
) -> Result<(BlindIndex, Option<SealedToProject>), GrpcError> {
    // 32 bytes in unpadded base64url.
    if blind_index.len() != 43 {
        return Err(GrpcError::Malformed(
            "blind_index must be 32 bytes in unpadded base64url",
        ));
    }
    let bidx: BlindIndex = blind_index
        .parse()
        .map_err(|_| GrpcError::Malformed("blind_index must be 32 bytes in unpadded base64url"))?;
    if hint.is_empty() {
        return Ok((bidx, None));
    }
    let sealed: SealedToProject = parse_json(
        hint,
        MAX_HINT_JSON,
        "hint is not a SealedToProject document",
    )?;
    sealed
        .check_shape()
        .map_err(|e| GrpcError::core(&e, "hint has the wrong size"))?;
    if sealed.project != project {
        return Err(GrpcError::Malformed("hint is sealed to another project"));
    }
    Ok((bidx, Some(sealed)))
}

/// A `ListSecrets` page token: empty (the first page) or the last secret
/// id of the previous page.
fn parse_page_token(token: &str) -> Result<Option<SecretId>, GrpcError> {
    if token.is_empty() {
        return Ok(None);
    }
    if token.len() > 64 {
        return Err(GrpcError::Malformed(
            "page_token is not one this server made",
        ));
    }
    token
        .parse()
        .map(Some)
        .map_err(|_| GrpcError::Malformed("page_token is not one this server made"))
}

#[tonic::async_trait]
impl Secrets for SecretsService {
    async fn register_token(
        &self,
        request: Request<proto::RegisterTokenRequest>,
    ) -> Result<Response<proto::RegisterTokenResponse>, Status> {
        let addr = self.addr(&request);
        self.throttle("register", addr).await?;
        let r = request.into_inner();
        let public: ServicePublic = parse_json(
            &r.service,
            MAX_SERVICE_JSON,
            "service is not a ServicePublic document",
        )?;
        public
            .verify()
            .map_err(|e| GrpcError::core(&e, "service is not a valid ServicePublic"))?;
        check_label(
            &r.service_name,
            "service_name must be 1 to 128 bytes without control or bidi characters",
        )?;
        check_label(
            &r.service_version,
            "service_version must be 1 to 128 bytes without control or bidi characters",
        )?;
        let st = &self.state;
        // The key the token pinned must be the project's: a token made
        // with a wrong reference could never be approved.
        let project = st
            .store
            .project_public(public.project)
            .await
            .map_err(GrpcError::from)?
            .ok_or(GrpcError::ProjectNotFound)?;
        if project.ed25519 != public.project_signing_key {
            return Err(
                GrpcError::Malformed("the token pins another key than the project's").into(),
            );
        }
        let remote = addr.map(|a| a.to_string());
        st.store
            .register_service(
                &public,
                &r.service_name,
                &r.service_version,
                remote.as_deref(),
            )
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => GrpcError::ProjectNotFound,
                StoreError::Conflict(_) => GrpcError::AlreadyRegistered,
                StoreError::Forbidden(_) => GrpcError::TooManyPending,
                e => e.into(),
            })?;
        st.notify_service_changed(public.service).await;
        Ok(Response::new(proto::RegisterTokenResponse {
            status: "pending_approval".into(),
            project: to_json(&project)?,
            fingerprint: public.fingerprint(),
        }))
    }

    async fn get_project(
        &self,
        request: Request<proto::GetProjectRequest>,
    ) -> Result<Response<proto::GetProjectResponse>, Status> {
        let addr = self.addr(&request);
        self.throttle("project", addr).await?;
        let r = request.into_inner();
        if r.project.len() > 64 {
            return Err(GrpcError::Malformed("project must be a UUID").into());
        }
        let project: VaultId = r
            .project
            .parse()
            .map_err(|_| GrpcError::Malformed("project must be a UUID"))?;
        let public = self
            .state
            .store
            .project_public(project)
            .await
            .map_err(GrpcError::from)?
            .ok_or(GrpcError::ProjectNotFound)?;
        Ok(Response::new(proto::GetProjectResponse {
            project: to_json(&public)?,
        }))
    }

    async fn get_access(
        &self,
        request: Request<proto::GetAccessRequest>,
    ) -> Result<Response<proto::GetAccessResponse>, Status> {
        let caller = self.caller(&request, Need::Approved).await?;
        let st = &self.state;
        let grants = st
            .store
            .my_grants(caller.service(), caller.project())
            .await
            .map_err(GrpcError::from)?;
        // The project is there: the service's lookup found it.
        let project = st
            .store
            .project_public(caller.project())
            .await
            .map_err(GrpcError::from)?
            .ok_or(GrpcError::Unauthenticated)?;
        self.count(&caller, &[]);
        Ok(Response::new(proto::GetAccessResponse {
            status: "approved".into(),
            access: caller.auth.auth.access.as_str().into(),
            grants: grants.iter().map(to_json).collect::<Result<_, _>>()?,
            project: to_json(&project)?,
        }))
    }

    async fn get_secret(
        &self,
        request: Request<proto::GetSecretRequest>,
    ) -> Result<Response<proto::GetSecretResponse>, Status> {
        let caller = self.caller(&request, Need::Approved).await?;
        let r = request.into_inner();
        let item = parse_item(&r.blind_index, &r.hint, caller.project())?;
        let outcome = self.read(&caller, &[item]).await?.into_iter().next();
        match outcome {
            Some(FetchOutcome::Found {
                secret_json,
                version_json,
                ..
            }) => Ok(Response::new(proto::GetSecretResponse {
                secret: secret_json,
                version: version_json,
            })),
            Some(FetchOutcome::NotFound) => Err(GrpcError::SecretNotFound.into()),
            Some(FetchOutcome::NotGranted {
                status: RequestStatus::Denied,
                ..
            }) => Err(GrpcError::AccessDenied.into()),
            Some(FetchOutcome::NotGranted { .. }) => Err(GrpcError::AccessRequested.into()),
            None => Err(GrpcError::Internal("the store answered no outcome".into()).into()),
        }
    }

    async fn get_secrets(
        &self,
        request: Request<proto::GetSecretsRequest>,
    ) -> Result<Response<proto::GetSecretsResponse>, Status> {
        let caller = self.caller(&request, Need::Approved).await?;
        let r = request.into_inner();
        if r.items.is_empty() || r.items.len() > MAX_BATCH {
            return Err(GrpcError::Malformed("ask for 1 to 200 secrets at once").into());
        }
        let wanted = r
            .items
            .iter()
            .map(|i| parse_item(&i.blind_index, &i.hint, caller.project()))
            .collect::<Result<Vec<_>, _>>()?;
        let outcomes = self.read(&caller, &wanted).await?;
        let results = r
            .items
            .into_iter()
            .zip(outcomes)
            .map(|(item, o)| {
                let mut res = proto::SecretResult {
                    blind_index: item.blind_index,
                    ..Default::default()
                };
                match o {
                    FetchOutcome::Found {
                        secret_json,
                        version_json,
                        ..
                    } => {
                        res.outcome = proto::Outcome::Found.into();
                        res.secret = secret_json;
                        res.version = version_json;
                    }
                    FetchOutcome::NotFound => res.outcome = proto::Outcome::NotFound.into(),
                    FetchOutcome::NotGranted { status, .. } => {
                        res.outcome = proto::Outcome::PermissionDenied.into();
                        res.code = if status == RequestStatus::Denied {
                            GrpcCode::AccessDenied.as_str().into()
                        } else {
                            GrpcCode::AccessRequested.as_str().into()
                        };
                    }
                }
                res
            })
            .collect();
        Ok(Response::new(proto::GetSecretsResponse { results }))
    }

    async fn list_secrets(
        &self,
        request: Request<proto::ListSecretsRequest>,
    ) -> Result<Response<proto::ListSecretsResponse>, Status> {
        let caller = self.caller(&request, Need::Approved).await?;
        let r = request.into_inner();
        let limit = match usize::try_from(r.page_size) {
            Ok(0) => MAX_BATCH,
            Ok(n) if n <= MAX_BATCH => n,
            _ => return Err(GrpcError::Malformed("page_size must be 0 to 200").into()),
        };
        let after = parse_page_token(&r.page_token)?;
        let listed = self.list(&caller, after, limit).await?;
        // A full page may have a successor; the next call answers an
        // empty page if not.
        let next_page_token = match listed.last() {
            Some(last) if listed.len() == limit => last.secret.to_string(),
            _ => String::new(),
        };
        Ok(Response::new(proto::ListSecretsResponse {
            secrets: listed
                .into_iter()
                .map(|g| proto::ListedSecret {
                    secret: g.secret_json,
                    version: g.version_json,
                })
                .collect(),
            next_page_token,
        }))
    }

    type WatchSecretsStream = watch::EventStream;

    async fn watch_secrets(
        &self,
        request: Request<proto::WatchSecretsRequest>,
    ) -> Result<Response<Self::WatchSecretsStream>, Status> {
        let caller = self.caller(&request, Need::Registered).await?;
        Ok(Response::new(watch::open(&self.state, caller).await?))
    }
}

/// A change event of kind `kind` about `secret`.
pub(crate) fn event(kind: secret_event::Kind, secret: Option<SecretId>) -> proto::SecretEvent {
    proto::SecretEvent {
        kind: kind.into(),
        secret: secret.map(|s| s.to_string()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn labels_refuse_what_would_mislead_an_approver() {
        assert!(check_label("billing-api", "x").is_ok());
        assert!(check_label("Zahlungsdienst ü", "x").is_ok());
        for bad in [
            "",
            "a\u{202e}b",
            "a\nb",
            "a\u{200b}b",
            "a\u{2066}b",
            &"x".repeat(129),
        ] {
            assert!(check_label(bad, "x").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn page_tokens_are_ids_or_nothing() {
        assert_eq!(parse_page_token("").unwrap(), None);
        let id = SecretId([3; 16]);
        assert_eq!(parse_page_token(&id.to_string()).unwrap(), Some(id));
        for bad in ["x", "AAAA", &"0".repeat(65), "' OR 1=1 --"] {
            assert!(parse_page_token(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn items_are_checked_before_anything_is_stored() {
        let p = VaultId([1; 16]);
        let good = BlindIndex([7; 32]).to_string();
        assert!(parse_item(&good, "", p).unwrap().1.is_none());
        for (b, h) in [
            ("", ""),
            ("AAAA", ""),
            (&good[..42], ""),
            (&format!("{good}A"), ""),
            (good.as_str(), "[]"),
            (good.as_str(), "{\"v\":1}"),
            (good.as_str(), "not json"),
        ] {
            assert!(parse_item(b, h, p).is_err(), "{b:?} {h:?}");
        }
    }
}
