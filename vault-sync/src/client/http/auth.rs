//! [`ApiClient`]'s pre-login, registration, login, token refresh and
//! logout calls.

use super::{ApiClient, Body, json_body, parse};
use crate::api::{self, paths};
use crate::client::error::{ClientError, ClientResult};
use reqwest::Method;
use vault_core::prelogin::{PreloginRequest, PreloginResponse};

impl ApiClient {
    /// `POST /v1/prelogin`: the account's KDF config (and SRP group and
    /// salt for SRP accounts). Check it with
    /// [`PreloginResponse::checked_kdf`] before using it.
    pub async fn prelogin(&self, identifier: &str) -> ClientResult<PreloginResponse> {
        let req = PreloginRequest::new(identifier.to_owned())?;
        let b = self
            .send_public(Method::POST, paths::PRELOGIN, json_body(&req)?)
            .await?;
        let text = std::str::from_utf8(&b)
            .map_err(|_| ClientError::Protocol("pre-login: not UTF-8".into()))?;
        PreloginResponse::from_json(text)
            .map_err(|_| ClientError::Protocol("pre-login: unexpected answer".into()))
    }

    /// `POST /v1/register/opaque/start`.
    pub async fn register_opaque_start(
        &self,
        req: &api::OpaqueRegisterStart,
    ) -> ClientResult<api::OpaqueRegisterStarted> {
        let b = self
            .send_public(Method::POST, paths::REGISTER_OPAQUE_START, json_body(req)?)
            .await?;
        parse(&b, "OPAQUE registration")
    }

    /// `POST /v1/register`.
    pub async fn register(&self, req: &api::RegisterRequest) -> ClientResult<api::Registered> {
        let b = self
            .send_public(Method::POST, paths::REGISTER, json_body(req)?)
            .await?;
        parse(&b, "registration")
    }

    /// `POST /v1/login/srp/start`.
    pub async fn login_srp_start(
        &self,
        req: &api::SrpLoginStart,
    ) -> ClientResult<api::SrpLoginChallenge> {
        let b = self
            .send_public(Method::POST, paths::LOGIN_SRP_START, json_body(req)?)
            .await?;
        parse(&b, "SRP login")
    }

    /// `POST /v1/login/srp/finish`. Verify `server_proof` before using the
    /// tokens.
    pub async fn login_srp_finish(
        &self,
        req: &api::SrpLoginFinish,
    ) -> ClientResult<api::SrpLoginDone> {
        let b = self
            .send_public(Method::POST, paths::LOGIN_SRP_FINISH, json_body(req)?)
            .await?;
        parse(&b, "SRP login")
    }

    /// `POST /v1/login/opaque/start`.
    pub async fn login_opaque_start(
        &self,
        req: &api::OpaqueLoginStart,
    ) -> ClientResult<api::OpaqueLoginChallenge> {
        let b = self
            .send_public(Method::POST, paths::LOGIN_OPAQUE_START, json_body(req)?)
            .await?;
        parse(&b, "OPAQUE login")
    }

    /// `POST /v1/login/opaque/finish`.
    pub async fn login_opaque_finish(
        &self,
        req: &api::OpaqueLoginFinish,
    ) -> ClientResult<api::OpaqueLoginDone> {
        let b = self
            .send_public(Method::POST, paths::LOGIN_OPAQUE_FINISH, json_body(req)?)
            .await?;
        parse(&b, "OPAQUE login")
    }

    /// `POST /v1/recovery/login`: log in with the recovery kit's token.
    pub async fn recovery_login(
        &self,
        req: &api::RecoveryLoginRequest,
    ) -> ClientResult<api::RecoveryLoginDone> {
        let b = self
            .send_public(Method::POST, paths::RECOVERY_LOGIN, json_body(req)?)
            .await?;
        parse(&b, "recovery login")
    }

    /// `POST /v1/token/refresh` now, whatever the access token's age.
    /// Returns the new tokens (also kept, and persisted with a replica).
    pub async fn refresh(&self) -> ClientResult<api::SessionTokens> {
        let stale = self
            .inner
            .tokens
            .lock()
            .await
            .as_ref()
            .map(|t| t.access_token.clone());
        self.refresh_after(stale.as_deref()).await?;
        self.session().await.ok_or(ClientError::NotLoggedIn)
    }

    /// `POST /v1/logout`: ends this session.
    pub async fn logout(&self) -> ClientResult<()> {
        self.send_authed(Method::POST, paths::LOGOUT, &[], Body::None)
            .await
            .map(drop)
    }

    /// `POST /v1/logout/all`: ends every session of the account (but this
    /// one with `keep_current`).
    pub async fn logout_all(&self, keep_current: bool) -> ClientResult<api::LoggedOut> {
        let b = self
            .send_authed(
                Method::POST,
                paths::LOGOUT_ALL,
                &[],
                json_body(&api::LogoutAllRequest { keep_current })?,
            )
            .await?;
        parse(&b, "logout")
    }
}
