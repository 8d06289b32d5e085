//! Accounts, logins and sessions.
//!
//! Unknown identifiers take the same path as real ones everywhere before
//! the final check: pre-login answers with the deterministic fake, SRP runs
//! against the fake verifier, OPAQUE against opaque-ke's fake record, the
//! throttle counts them alike, and the login fails with the same
//! `authentication_failed` as a wrong password.

use crate::api::*;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Auth, JsonBody, Remote, canonical_identifier};
use crate::server::login::{
    internal, login_failed, login_succeeded, ms, park_login, registration_refused,
    require_fresh_login, take_login, throttle, throttle_registration, tokens_for,
};
use crate::server::notify::Event;
use crate::server::tokens::is_refresh_token;
use crate::server::{AppState, Protocol};
use crate::store::{
    AccountRecord, AuditAction, AuditEvent, AuditOutcome, AuthProtocol, AuthRecord, NewAccount,
    RefreshOutcome, TokenHash,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use std::sync::Arc;
use vault_core::opaque::ServerLogin;
use vault_core::prelogin::{PreloginRequest, PreloginResponse};
use vault_core::rng;
use vault_core::srp::ServerAwaitingClientProof;
use zeroize::Zeroizing;

/// Pre-login: the account's KDF config (and SRP salt), or the deterministic
/// fake for an unknown identifier.
#[utoipa::path(post, path = "/v1/prelogin", tag = "auth",
    request_body = crate::server::openapi_schemas::PreloginRequest,
    responses((status = 200, body = crate::server::openapi_schemas::PreloginResponse), (status = 400, body = ErrorBody)))]
pub async fn prelogin(
    State(st): State<Arc<AppState>>,
    JsonBody(req): JsonBody<PreloginRequest>,
) -> ApiResult<Json<PreloginResponse>> {
    let id = canonical_identifier(req.identifier())?;
    let found = st.store.account_by_identifier(&id).await?;
    // Known and unknown identifiers do the same work (one query, one parsed
    // record, the fake computed), so timing does not tell them apart.
    let fake = match st.config.protocol {
        Protocol::Srp => st.prelogin().respond(&id, None)?,
        Protocol::Opaque => st.prelogin().respond_opaque(&id, None)?,
    };
    let resp = match &found {
        Some(a) => {
            let real = match &a.auth {
                AuthRecord::Srp(r) => st.prelogin().respond(&id, Some((&a.record.kdf, r)))?,
                AuthRecord::Opaque(_) => st.prelogin().respond_opaque(&id, Some(&a.record.kdf))?,
            };
            match &a.pake_identifier {
                Some(legacy) => real.with_pake_identifier(legacy.clone()),
                None => real,
            }
        }
        None => {
            st.decoy_record();
            fake
        }
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
    // The OPRF key is derived from the identifier as sent (a password change
    // of an account from before normalisation sends its old spelling), but
    // it must be a valid identifier, and the throttle keys on its canonical
    // form. An OPRF evaluation for any identifier is throttled like a login
    // start, or a database thief could use it to test guesses against a
    // record.
    let canonical = canonical_identifier(&req.identifier)?;
    throttle(&st, &canonical, remote.as_deref()).await?;
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
    // New accounts are made with the canonical identifier (the login record
    // is bound to it): a client must normalise before it registers.
    if canonical_identifier(&req.identifier)? != req.identifier {
        return Err(ApiError::bad(
            "the identifier is not in canonical form: normalise it (lower case, NFC) before registering",
        ));
    }
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
    // Registration says whether an identifier is taken (docs/protocol.md
    // §11), so it is throttled like a login: attempts per address, and a
    // refused (taken) identifier counts as a failure for the identifier's
    // registrations and the address (never for the identifier's logins).
    throttle_registration(&st, &req.identifier, remote.as_deref()).await?;
    let account = req.record.account;
    let new = NewAccount {
        identifier: req.identifier,
        record: req.record,
        auth,
    };
    match st.store.create_account(&new, remote.as_deref()).await {
        Ok(()) => Ok((StatusCode::CREATED, Json(Registered { account }))),
        Err(crate::store::StoreError::Conflict(m)) => {
            registration_refused(&st, &new.identifier, remote.as_deref()).await?;
            Err(ApiError::Conflict(m, None))
        }
        Err(e) => Err(e.into()),
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
    // Looked up by the canonical form; the PAKE runs on the spelling sent
    // (it only succeeds with the one the login record was made with).
    let identifier = canonical_identifier(req.hello.identifier())?;
    throttle(&st, &identifier, remote.as_deref()).await?;
    let found: Option<AccountRecord> = st.store.account_by_identifier(&identifier).await?;
    // The fake record is always made (same work either way) and derived
    // from the canonical form, as the pre-login fakes are.
    let fake = st.prelogin().fake_srp_record(&identifier)?;
    let (account, record) = match &found {
        Some(AccountRecord {
            account,
            auth: AuthRecord::Srp(r),
            ..
        }) => (Some(*account), r),
        _ => (None, &fake),
    };
    let (state, challenge) =
        st.prelogin()
            .srp_start(Some(record), &req.hello, &mut rng::os_rng())?;
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
    let identifier = canonical_identifier(&req.identifier)?;
    throttle(&st, &identifier, remote.as_deref()).await?;
    let found = st.store.account_by_identifier(&identifier).await?;
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
        &identifier,
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
    let next = Zeroizing::new(
        st.tokens
            .next_refresh_token(&req.refresh_token)
            .ok_or_else(|| ApiError::Internal("refresh token derivation".into()))?,
    );
    let now = st.clock.now_ms();
    let outcome = st
        .store
        .rotate_refresh(
            &presented,
            &TokenHash::of(next.as_bytes()),
            now,
            now.saturating_add(ms(st.config.refresh_ttl)),
            ms(st.config.refresh_grace),
        )
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound(_) | crate::store::StoreError::Forbidden(_) => {
                ApiError::Unauthorized("the refresh token is not valid")
            }
            other => other.into(),
        })?;
    match outcome {
        RefreshOutcome::Rotated(session) | RefreshOutcome::Repeated(session) => Ok(Json(
            tokens_for(&st, session.account, &session, String::clone(&next)),
        )),
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
        .revoke_session(
            auth.account,
            auth.session,
            st.clock.now_ms(),
            remote.as_deref(),
        )
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
        .revoke_all_sessions(auth.account, keep, st.clock.now_ms(), remote.as_deref())
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
