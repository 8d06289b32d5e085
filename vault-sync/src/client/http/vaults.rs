//! [`ApiClient`]'s vault and membership calls (`/v1/vaults…`).

use super::{ApiClient, Body, fill, json_body, parse};
use crate::api::{self, paths};
use crate::client::error::ClientResult;
use reqwest::Method;
use vault_core::{AccountId, VaultId};

impl ApiClient {
    /// `POST /v1/vaults`.
    pub async fn create_vault(
        &self,
        req: &api::CreateVaultRequest,
    ) -> ClientResult<api::VaultCreated> {
        let b = self
            .send_authed(Method::POST, paths::VAULTS, &[], json_body(req)?)
            .await?;
        parse(&b, "vault creation")
    }

    /// `GET /v1/vaults/{vault}/members`.
    pub async fn members(&self, vault: VaultId) -> ClientResult<api::MembersBody> {
        let path = fill(paths::MEMBERS, &[("vault", vault.to_string())]);
        let b = self
            .send_authed(Method::GET, &path, &[], Body::None)
            .await?;
        parse(&b, "members")
    }

    /// `PUT /v1/vaults/{vault}/members/{account}`.
    pub async fn put_member(
        &self,
        vault: VaultId,
        account: AccountId,
        req: &api::PutMemberRequest,
    ) -> ClientResult<()> {
        let path = fill(
            paths::MEMBER,
            &[
                ("vault", vault.to_string()),
                ("account", account.to_string()),
            ],
        );
        self.send_authed(Method::PUT, &path, &[], json_body(req)?)
            .await
            .map(drop)
    }

    /// `DELETE /v1/vaults/{vault}/members/{account}`. Rotate the key after.
    pub async fn remove_member(&self, vault: VaultId, account: AccountId) -> ClientResult<()> {
        let path = fill(
            paths::MEMBER,
            &[
                ("vault", vault.to_string()),
                ("account", account.to_string()),
            ],
        );
        self.send_authed(Method::DELETE, &path, &[], Body::None)
            .await
            .map(drop)
    }

    /// `POST /v1/vaults/{vault}/rotate`.
    pub async fn rotate(&self, vault: VaultId, req: &api::RotateRequest) -> ClientResult<()> {
        let path = fill(paths::ROTATE, &[("vault", vault.to_string())]);
        self.send_authed(Method::POST, &path, &[], json_body(req)?)
            .await
            .map(drop)
    }
}
