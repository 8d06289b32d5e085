//! Accounts, logins and sessions.
//!
//! Unknown identifiers take the same path as real ones everywhere before
//! the final check: pre-login answers with the deterministic fake, SRP runs
//! against the fake verifier, OPAQUE against opaque-ke's fake record, the
//! throttle counts them alike, and the login fails with the same
//! `authentication_failed` as a wrong password.

use crate::api::*;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Auth, JsonBody, Remote, check_identifier};
use crate::server::notify::Event;
use crate::server::ratelimit::LimitKey;
use crate::server::tokens::{Claims, is_refresh_token, new_refresh_token};
use crate::server::{AppState, Protocol, now_ms, now_secs};
use crate::store::{
    AccountRecord, AuditAction, AuditEvent, AuditOutcome, AuthProtocol, AuthRecord, LoginId,
    NewAccount, NewLoginState, NewSession, RefreshOutcome, TokenHash,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::sync::Arc;
use vault_core::opaque::ServerLogin;
use vault_core::prelogin::{PreloginRequest, PreloginResponse};
use vault_core::srp::ServerAwaitingClientProof;
use vault_core::{AccountId, SecretString, rng};
use zeroize::Zeroizing;

fn internal(what: &str) -> impl FnOnce(vault_core::Error) -> ApiError + '_ {
    move |e| ApiError::Internal(format!("{what}: {}", e.code()))
}

fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Refuses unless the session logged in (with the password or the
/// recovery kit) within `fresh_login`: changing credentials or keys must
/// not be possible with a stolen long-lived refresh token alone.
pub(crate) async fn require_fresh_login(st: &AppState, auth: &Auth) -> ApiResult<()> {
    let session = st
        .store
        .session(auth.account, auth.session)
        .await?
        .ok_or(ApiError::Unauthorized("the session has ended"))?;
    if now_ms().saturating_sub(session.created_at) > ms(st.config.fresh_login) {
        return Err(ApiError::Forbidden(
            "changing credentials or keys needs a fresh login: log in again",
        ));
    }
    Ok(())
}

/// Pre-login: the account's KDF config (and SRP salt), or the deterministic
/// fake for an unknown identifier.
#[utoipa::path(post, path = "/v1/prelogin", tag = "auth",
    request_body(content = Object, description = "PreloginRequest {\"v\":1,\"identifier\":…}"),
    responses((status = 200, body = Object, description = "PreloginResponse"), (status = 400, body = ErrorBody)))]
pub async fn prelogin(
    State(st): State<Arc<AppState>>,
    JsonBody(req): JsonBody<PreloginRequest>,
) -> ApiResult<Json<PreloginResponse>> {
    let id = req.identifier();
    check_identifier(id)?;
    let found = st.store.account_by_identifier(id).await?;
    let resp = match (&found, st.config.protocol) {
        (Some(a), _) => match &a.auth {
            AuthRecord::Srp(r) => st.prelogin.respond(id, Some((&a.record.kdf, r)))?,
            AuthRecord::Opaque(_) => st.prelogin.respond_opaque(id, Some(&a.record.kdf))?,
        },
        (None, Protocol::Srp) => st.prelogin.respond(id, None)?,
        (None, Protocol::Opaque) => st.prelogin.respond_opaque(id, None)?,
    };
    Ok(Json(resp))
}

/// OPAQUE registration, step 1: evaluate the client's blinded request.
/// Stateless; the account is created by `POST /v1/register`.
#[utoipa::path(post, path = "/v1/register/opaque/start", tag = "auth",
    request_body = OpaqueRegisterStart,
    responses((status = 200, body = OpaqueRegisterStarted), (status = 400, body = ErrorBody)))]
pub async fn register_opaque_start(
    State(st): State<Arc<AppState>>,
    Remote(remote): Remote,
    JsonBody(req): JsonBody<OpaqueRegisterStart>,
) -> ApiResult<Json<OpaqueRegisterStarted>> {
    check_identifier(&req.identifier)?;
    // An OPRF evaluation for any identifier: throttled like a login start,
    // or a database thief could use it to test guesses against a record.
    throttle(&st, &req.identifier, remote.as_deref()).await?;
    let response = st
        .opaque
        .registration_response(&req.identifier, &req.request)?;
    Ok(Json(OpaqueRegisterStarted { response }))
}

/// Creates an account from its encrypted record and login record.
#[utoipa::path(post, path = "/v1/register", tag = "auth",
    request_body = RegisterRequest,
    responses((status = 201, body = Registered), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn register(
    State(st): State<Arc<AppState>>,
    Remote(remote): Remote,
    JsonBody(req): JsonBody<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<Registered>)> {
    check_identifier(&req.identifier)?;
    let auth = match (req.auth, st.config.protocol) {
        (AuthRecordBody::Srp(r), Protocol::Srp) => AuthRecord::Srp(r),
        (AuthRecordBody::Opaque(r), Protocol::Opaque) => AuthRecord::Opaque(r),
        _ => {
            return Err(ApiError::bad(format!(
                "this server registers accounts with {}",
                match st.config.protocol {
                    Protocol::Srp => "srp",
                    Protocol::Opaque => "opaque",
                }
            )));
        }
    };
    if let AuthRecord::Srp(r) = &auth {
        // A verifier must be for a group this server speaks (the record
        // parsed, so its shape is right).
        let _ = r.group();
    }
    let account = req.record.account;
    let new = NewAccount {
        identifier: req.identifier,
        record: req.record,
        auth,
    };
    st.store.create_account(&new, remote.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(Registered { account })))
}

/// What a parked login state holds besides the PAKE's own state: the
/// identifier (for throttling at the second step).
#[derive(Serialize, Deserialize)]
struct Parked {
    i: String,
    s: String,
}

fn park(identifier: &str, state: &SecretString) -> SecretString {
    let p = Parked {
        i: identifier.to_owned(),
        s: state.expose_secret().to_owned(),
    };
    let json = Zeroizing::new(serde_json::to_string(&p).unwrap_or_default());
    let mut p = p;
    zeroize::Zeroize::zeroize(&mut p.s);
    SecretString::from(String::clone(&json))
}

fn unpark(state: &SecretString) -> ApiResult<(String, SecretString)> {
    let mut p: Parked = serde_json::from_str(state.expose_secret())
        .map_err(|_| ApiError::Internal("parked login state does not parse".into()))?;
    let s = SecretString::from(core::mem::take(&mut p.s));
    Ok((p.i, s))
}

pub(crate) async fn throttle(
    st: &AppState,
    identifier: &str,
    remote: Option<&str>,
) -> ApiResult<()> {
    let ip = LimitKey::address(remote.unwrap_or("unknown"));
    let keys = [LimitKey::identifier(identifier), ip.clone()];
    match st.limiter.check_start(&keys, &ip).await {
        Ok(None) => Ok(()),
        Ok(Some(secs)) => Err(ApiError::RateLimited(secs)),
        Err(e) => Err(ApiError::Unavailable(e.to_string())),
    }
}

async fn park_login(
    st: &AppState,
    account: Option<AccountId>,
    protocol: AuthProtocol,
    identifier: &str,
    state: &SecretString,
) -> ApiResult<LoginId> {
    let id = LoginId::generate(&mut rng::os_rng());
    st.store
        .put_login_state(&NewLoginState {
            id,
            account,
            protocol,
            state: park(identifier, state),
            expires_at: now_ms().saturating_add(ms(st.config.login_ttl)),
        })
        .await?;
    Ok(id)
}

async fn take_login(
    st: &AppState,
    login_id: &str,
    protocol: AuthProtocol,
) -> ApiResult<(Option<AccountId>, String, SecretString)> {
    let id = LoginId::from_str(login_id).map_err(|_| ApiError::bad("login_id is malformed"))?;
    let state = st
        .store
        .take_login_state(&id, now_ms())
        .await?
        .ok_or(ApiError::Unauthorized(
            "unknown or expired login: start again",
        ))?;
    if state.protocol != protocol {
        return Err(ApiError::Unauthorized(
            "unknown or expired login: start again",
        ));
    }
    let (identifier, inner) = unpark(&state.state)?;
    Ok((state.account, identifier, inner))
}

/// Records a failed login: throttle, audit (`action`: a password or a
/// recovery login), metrics.
pub(crate) async fn login_failed(
    st: &AppState,
    action: AuditAction,
    protocol: &'static str,
    account: Option<AccountId>,
    identifier: &str,
    remote: Option<&str>,
) -> ApiError {
    st.metrics.login(protocol, false);
    let ip = LimitKey::address(remote.unwrap_or("unknown"));
    if let Err(e) = st
        .limiter
        .failed(&[LimitKey::identifier(identifier), ip])
        .await
    {
        return ApiError::Unavailable(e.to_string());
    }
    let mut ev = AuditEvent::new(None, action);
    ev.subject = account;
    ev.remote = remote.map(str::to_owned);
    ev.outcome = AuditOutcome::Denied;
    if let Err(e) = st.store.audit_append(&ev).await {
        return e.into();
    }
    ApiError::AuthenticationFailed
}

/// Starts a session after a successful login (`action`: a password or a
/// recovery login).
pub(crate) async fn login_succeeded(
    st: &AppState,
    action: AuditAction,
    protocol: &'static str,
    account: AccountId,
    identifier: &str,
    remote: Option<&str>,
) -> ApiResult<SessionTokens> {
    st.metrics.login(protocol, true);
    if let Err(e) = st
        .limiter
        .succeeded(&LimitKey::identifier(identifier))
        .await
    {
        return Err(ApiError::Unavailable(e.to_string()));
    }
    let mut rng = rng::os_rng();
    let session_id = crate::store::SessionId::generate(&mut rng);
    let refresh = Zeroizing::new(new_refresh_token(&mut rng));
    let now = now_ms();
    let session = st
        .store
        .create_session(
            account,
            &NewSession {
                id: session_id,
                refresh: TokenHash::of(refresh.as_bytes()),
                expires_at: now.saturating_add(ms(st.config.refresh_ttl)),
            },
        )
        .await?;
    let mut ev = AuditEvent::new(Some(account), action);
    ev.remote = remote.map(str::to_owned);
    st.store.audit_append(&ev).await?;
    Ok(tokens_for(st, account, &session, String::clone(&refresh)))
}

fn tokens_for(
    st: &AppState,
    account: AccountId,
    session: &crate::store::Session,
    refresh_token: String,
) -> SessionTokens {
    let now = now_secs();
    let exp = now.saturating_add(i64::try_from(st.config.access_ttl.as_secs()).unwrap_or(900));
    let access_token = st.tokens.issue(&Claims {
        account,
        session: session.id,
        credentials_version: session.credentials_version,
        issued_at: now,
        expires_at: exp,
    });
    SessionTokens {
        account,
        session_id: session.id.to_string(),
        access_token,
        access_expires_at: exp,
        refresh_token,
        refresh_expires_at: session.expires_at / 1000,
    }
}

/// SRP login, step 1: `{hello}` → `{login_id, challenge}`.
#[utoipa::path(post, path = "/v1/login/srp/start", tag = "auth",
    request_body = SrpLoginStart,
    responses((status = 200, body = SrpLoginChallenge), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn srp_start(
    State(st): State<Arc<AppState>>,
    Remote(remote): Remote,
    JsonBody(req): JsonBody<SrpLoginStart>,
) -> ApiResult<Json<SrpLoginChallenge>> {
    let identifier = req.hello.identifier().to_owned();
    check_identifier(&identifier)?;
    throttle(&st, &identifier, remote.as_deref()).await?;
    let found: Option<AccountRecord> = st.store.account_by_identifier(&identifier).await?;
    let (account, record) = match &found {
        Some(AccountRecord {
            account,
            auth: AuthRecord::Srp(r),
            ..
        }) => (Some(*account), Some(r)),
        _ => (None, None),
    };
    let (state, challenge) = st
        .prelogin
        .srp_start(record, &req.hello, &mut rng::os_rng())?;
    let login_id = park_login(
        &st,
        account,
        AuthProtocol::Srp,
        &identifier,
        &state.to_json(),
    )
    .await?;
    Ok(Json(SrpLoginChallenge {
        login_id: login_id.to_string(),
        challenge,
    }))
}

/// SRP login, step 2: `{login_id, proof}` → `{server_proof, session}`.
#[utoipa::path(post, path = "/v1/login/srp/finish", tag = "auth",
    request_body = SrpLoginFinish,
    responses((status = 200, body = SrpLoginDone), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn srp_finish(
    State(st): State<Arc<AppState>>,
    Remote(remote): Remote,
    JsonBody(req): JsonBody<SrpLoginFinish>,
) -> ApiResult<Json<SrpLoginDone>> {
    let (account, identifier, state) = take_login(&st, &req.login_id, AuthProtocol::Srp).await?;
    let server = ServerAwaitingClientProof::from_json(state.expose_secret())
        .map_err(internal("parked SRP state"))?;
    let (server_proof, _key) = match (server.finish(&req.proof), account) {
        (Ok(done), Some(_)) => done,
        _ => {
            return Err(login_failed(
                &st,
                AuditAction::Login,
                "srp",
                account,
                &identifier,
                remote.as_deref(),
            )
            .await);
        }
    };
    let account = account.ok_or(ApiError::AuthenticationFailed)?;
    let session = login_succeeded(
        &st,
        AuditAction::Login,
        "srp",
        account,
        &identifier,
        remote.as_deref(),
    )
    .await?;
    Ok(Json(SrpLoginDone {
        server_proof,
        session,
    }))
}

/// OPAQUE login, step 1: `{identifier, ke1}` → `{login_id, ke2}`.
#[utoipa::path(post, path = "/v1/login/opaque/start", tag = "auth",
    request_body = OpaqueLoginStart,
    responses((status = 200, body = OpaqueLoginChallenge), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn opaque_start(
    State(st): State<Arc<AppState>>,
    Remote(remote): Remote,
    JsonBody(req): JsonBody<OpaqueLoginStart>,
) -> ApiResult<Json<OpaqueLoginChallenge>> {
    check_identifier(&req.identifier)?;
    throttle(&st, &req.identifier, remote.as_deref()).await?;
    let found = st.store.account_by_identifier(&req.identifier).await?;
    let (account, record) = match &found {
        Some(AccountRecord {
            account,
            auth: AuthRecord::Opaque(r),
            ..
        }) => (Some(*account), Some(r.as_ref())),
        _ => (None, None),
    };
    let (state, ke2) = ServerLogin::start(
        &st.opaque,
        &req.identifier,
        record,
        &req.ke1,
        &mut rng::os_rng(),
    )?;
    let login_id = park_login(
        &st,
        account,
        AuthProtocol::Opaque,
        &req.identifier,
        &state.to_json(),
    )
    .await?;
    Ok(Json(OpaqueLoginChallenge {
        login_id: login_id.to_string(),
        ke2,
    }))
}

/// OPAQUE login, step 2: `{login_id, ke3}` → `{session}`.
#[utoipa::path(post, path = "/v1/login/opaque/finish", tag = "auth",
    request_body = OpaqueLoginFinish,
    responses((status = 200, body = OpaqueLoginDone), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn opaque_finish(
    State(st): State<Arc<AppState>>,
    Remote(remote): Remote,
    JsonBody(req): JsonBody<OpaqueLoginFinish>,
) -> ApiResult<Json<OpaqueLoginDone>> {
    let (account, identifier, state) = take_login(&st, &req.login_id, AuthProtocol::Opaque).await?;
    let server =
        ServerLogin::from_json(state.expose_secret()).map_err(internal("parked OPAQUE state"))?;
    let account = match (server.finish(&req.ke3), account) {
        (Ok(_key), Some(a)) => a,
        _ => {
            return Err(login_failed(
                &st,
                AuditAction::Login,
                "opaque",
                account,
                &identifier,
                remote.as_deref(),
            )
            .await);
        }
    };
    let session = login_succeeded(
        &st,
        AuditAction::Login,
        "opaque",
        account,
        &identifier,
        remote.as_deref(),
    )
    .await?;
    Ok(Json(OpaqueLoginDone { session }))
}

/// Trades a refresh token for a new pair. A token presented twice revokes
/// its session (someone copied it).
#[utoipa::path(post, path = "/v1/token/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, body = SessionTokens), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn refresh(
    State(st): State<Arc<AppState>>,
    Remote(remote): Remote,
    JsonBody(req): JsonBody<RefreshRequest>,
) -> ApiResult<Json<SessionTokens>> {
    if !is_refresh_token(&req.refresh_token) {
        return Err(ApiError::bad("refresh_token is malformed"));
    }
    let presented = TokenHash::of(req.refresh_token.as_bytes());
    let next = Zeroizing::new(new_refresh_token(&mut rng::os_rng()));
    let now = now_ms();
    let outcome = st
        .store
        .rotate_refresh(
            &presented,
            &TokenHash::of(next.as_bytes()),
            now,
            now.saturating_add(ms(st.config.refresh_ttl)),
        )
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound(_) | crate::store::StoreError::Forbidden(_) => {
                ApiError::Unauthorized("the refresh token is not valid")
            }
            other => other.into(),
        })?;
    match outcome {
        RefreshOutcome::Rotated(session) => Ok(Json(tokens_for(
            &st,
            session.account,
            &session,
            String::clone(&next),
        ))),
        RefreshOutcome::Reused { session, account } => {
            tracing::warn!(%account, "a rotated-out refresh token was presented: session revoked");
            let mut ev = AuditEvent::new(Some(account), AuditAction::RefreshReuse);
            ev.remote = remote;
            ev.outcome = AuditOutcome::Denied;
            st.store.audit_append(&ev).await?;
            st.publish(&[Event::SessionRevoked(session)]).await;
            Err(ApiError::Unauthorized("the refresh token is not valid"))
        }
    }
}

/// Ends the caller's session.
#[utoipa::path(post, path = "/v1/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
) -> ApiResult<StatusCode> {
    st.store
        .revoke_session(auth.account, auth.session, now_ms(), remote.as_deref())
        .await?;
    st.publish(&[Event::SessionRevoked(auth.session)]).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of the account ("log out all devices"), optionally
/// keeping the caller's.
#[utoipa::path(post, path = "/v1/logout/all", tag = "auth", security(("bearer" = [])),
    request_body = LogoutAllRequest,
    responses((status = 200, body = LoggedOut), (status = 401, body = ErrorBody)))]
pub async fn logout_all(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    JsonBody(req): JsonBody<LogoutAllRequest>,
) -> ApiResult<Json<LoggedOut>> {
    let keep = req.keep_current.then_some(auth.session);
    let revoked = st
        .store
        .revoke_all_sessions(auth.account, keep, now_ms(), remote.as_deref())
        .await?;
    st.publish(&[Event::Account(auth.account)]).await;
    Ok(Json(LoggedOut { revoked }))
}

/// The caller's account record (to unlock on a new device).
#[utoipa::path(get, path = "/v1/account", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = AccountBody), (status = 401, body = ErrorBody)))]
pub async fn account(State(st): State<Arc<AppState>>, auth: Auth) -> ApiResult<Json<AccountBody>> {
    Ok(Json(account_body(st.store.account(auth.account).await?)))
}

pub(crate) fn account_body(a: AccountRecord) -> AccountBody {
    AccountBody {
        account: a.account,
        identifier: a.identifier,
        record: a.record,
        protocol: a.auth.protocol().as_str().into(),
        credentials_version: a.credentials_version,
    }
}

/// Replaces the account record and login record together (password
/// change). Needs a recent login; ends every other session.
#[utoipa::path(put, path = "/v1/account/credentials", tag = "account", security(("bearer" = [])),
    request_body = CredentialsRequest,
    responses((status = 200, body = CredentialsChanged), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn credentials(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    JsonBody(req): JsonBody<CredentialsRequest>,
) -> ApiResult<Json<CredentialsChanged>> {
    require_fresh_login(&st, &auth).await?;
    let auth_record = match req.auth {
        AuthRecordBody::Srp(r) => AuthRecord::Srp(r),
        AuthRecordBody::Opaque(r) => AuthRecord::Opaque(r),
    };
    let v = st
        .store
        .replace_credentials(
            auth.account,
            &req.record,
            &auth_record,
            Some(auth.session),
            remote.as_deref(),
        )
        .await?;
    st.publish(&[Event::Account(auth.account)]).await;
    Ok(Json(CredentialsChanged {
        credentials_version: v,
    }))
}
