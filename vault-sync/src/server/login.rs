//! The login service the auth handlers share: parks a PAKE server state
//! between a login's two messages (sealed by the store), applies the login
//! throttle, records outcomes (throttle, audit, metrics), starts sessions
//! and issues tokens. Handlers stay thin: parse, call this, answer.

use crate::api::SessionTokens;
use crate::server::AppState;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::Auth;
use crate::server::ratelimit::LimitKey;
use crate::server::tokens::{Claims, new_refresh_token};
use crate::store::{
    AuditAction, AuditEvent, AuditOutcome, AuditParty, AuthProtocol, LoginId, NewLoginState,
    NewSession, TokenHash,
};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use vault_core::{AccountId, SecretString, rng};
use zeroize::Zeroizing;

pub(crate) fn internal(what: &str) -> impl FnOnce(vault_core::Error) -> ApiError + '_ {
    move |e| ApiError::Internal(format!("{what}: {}", e.code()))
}

pub(crate) fn ms(d: std::time::Duration) -> i64 {
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
    if st.clock.now_ms().saturating_sub(session.created_at) > ms(st.config.fresh_login) {
        return Err(ApiError::Forbidden(
            "changing credentials or keys needs a fresh login: log in again",
        ));
    }
    Ok(())
}

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

pub(crate) async fn park_login(
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
            expires_at: st.clock.now_ms().saturating_add(ms(st.config.login_ttl)),
        })
        .await?;
    Ok(id)
}

pub(crate) async fn take_login(
    st: &AppState,
    login_id: &str,
    protocol: AuthProtocol,
) -> ApiResult<(Option<AccountId>, String, SecretString)> {
    let id = LoginId::from_str(login_id).map_err(|_| ApiError::bad("login_id is malformed"))?;
    let state = st
        .store
        .take_login_state(&id, st.clock.now_ms())
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

/// Throttles a registration attempt: the address's budget of starts (shared
/// with logins) and the identifier's registration lockout (its own key, so
/// probing someone's identifier never locks their logins).
pub(crate) async fn throttle_registration(
    st: &AppState,
    identifier: &str,
    remote: Option<&str>,
) -> ApiResult<()> {
    let ip = LimitKey::address(remote.unwrap_or("unknown"));
    let keys = [LimitKey::registration(identifier), ip.clone()];
    match st.limiter.check_start(&keys, &ip).await {
        Ok(None) => Ok(()),
        Ok(Some(secs)) => Err(ApiError::RateLimited(secs)),
        Err(e) => Err(ApiError::Unavailable(e.to_string())),
    }
}

/// A registration was refused because the identifier is taken: counts as a
/// failure for the identifier's registrations and for the address.
pub(crate) async fn registration_refused(
    st: &AppState,
    identifier: &str,
    remote: Option<&str>,
) -> ApiResult<()> {
    let ip = LimitKey::address(remote.unwrap_or("unknown"));
    st.limiter
        .failed(&[LimitKey::registration(identifier), ip])
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))
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
    ev.subject = account.map(AuditParty::Account);
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
    let now = st.clock.now_ms();
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

pub(crate) fn tokens_for(
    st: &AppState,
    account: AccountId,
    session: &crate::store::Session,
    refresh_token: String,
) -> SessionTokens {
    let now = st.clock.now_secs();
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
