//! [`ApiClient`]'s calls about the signed-in account (`/v1/account…`) and
//! the directory of other accounts (`/v1/directory`).

use super::{ApiClient, Body, json_body, parse};
use crate::api::{self, paths};
use crate::client::error::ClientResult;
use reqwest::Method;
use vault_core::AccountId;

impl ApiClient {
    /// `GET /v1/account`: the signed-in account's encrypted record.
    pub async fn account(&self) -> ClientResult<api::AccountBody> {
        let b = self
            .send_authed(Method::GET, paths::ACCOUNT, &[], Body::None)
            .await?;
        parse(&b, "account")
    }

    /// `PUT /v1/account/credentials`: a password change.
    pub async fn put_credentials(
        &self,
        req: &api::CredentialsRequest,
    ) -> ClientResult<api::CredentialsChanged> {
        let b = self
            .send_authed(Method::PUT, paths::CREDENTIALS, &[], json_body(req)?)
            .await?;
        parse(&b, "credentials")
    }

    /// `GET /v1/account/recovery`: the stored recovery kit wrap, if any.
    pub async fn recovery_kit(&self) -> ClientResult<api::RecoveryKitStatus> {
        let b = self
            .send_authed(Method::GET, paths::RECOVERY_KIT, &[], Body::None)
            .await?;
        parse(&b, "recovery kit")
    }

    /// `PUT /v1/account/recovery`: set up or replace the recovery kit.
    pub async fn put_recovery_kit(&self, req: &api::RecoveryKitBody) -> ClientResult<()> {
        self.send_authed(Method::PUT, paths::RECOVERY_KIT, &[], json_body(req)?)
            .await
            .map(drop)
    }

    /// `DELETE /v1/account/recovery`.
    pub async fn delete_recovery_kit(&self) -> ClientResult<()> {
        self.send_authed(Method::DELETE, paths::RECOVERY_KIT, &[], Body::None)
            .await
            .map(drop)
    }

    /// `POST /v1/account/rotate`: apply an account key rotation.
    pub async fn rotate_account(&self, req: &api::AccountRotateRequest) -> ClientResult<()> {
        self.send_authed(Method::POST, paths::ACCOUNT_ROTATE, &[], json_body(req)?)
            .await
            .map(drop)
    }

    /// `GET /v1/directory?identifier=…`.
    pub async fn directory_by_identifier(
        &self,
        identifier: &str,
    ) -> ClientResult<api::DirectoryBody> {
        let b = self
            .send_authed(
                Method::GET,
                paths::DIRECTORY,
                &[("identifier", identifier.to_owned())],
                Body::None,
            )
            .await?;
        parse(&b, "directory")
    }

    /// `GET /v1/directory?account=…`.
    pub async fn directory_by_account(
        &self,
        account: AccountId,
    ) -> ClientResult<api::DirectoryBody> {
        let b = self
            .send_authed(
                Method::GET,
                paths::DIRECTORY,
                &[("account", account.to_string())],
                Body::None,
            )
            .await?;
        parse(&b, "directory")
    }
}
