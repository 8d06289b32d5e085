//! [`ApiClient`]'s single-item calls (`/v1/vaults/{vault}/items/{item}`):
//! read, and compare-and-swap writes.

use super::{ApiClient, Body, error_of, fill, json_body, parse, read_capped};
use crate::api::{self, paths};
use crate::client::error::{ClientError, ClientResult};
use reqwest::Method;
use vault_core::sync::wire::ItemState;
use vault_core::{ItemId, VaultId};

/// The outcome of a single-item compare-and-swap write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemWrite {
    /// Stored at this revision.
    Written(u64),
    /// The server holds another version (409): here it is.
    Conflict(Option<Box<ItemState>>),
}

impl ApiClient {
    fn item_path(vault: VaultId, item: ItemId) -> String {
        fill(
            paths::ITEM,
            &[("vault", vault.to_string()), ("item", item.to_string())],
        )
    }

    /// `GET /v1/vaults/{vault}/items/{item}`: the item's server state.
    pub async fn get_item(&self, vault: VaultId, item: ItemId) -> ClientResult<ItemState> {
        let b = self
            .send_authed(Method::GET, &Self::item_path(vault, item), &[], Body::None)
            .await?;
        parse(&b, "item")
    }

    async fn item_write(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
    ) -> ClientResult<ItemWrite> {
        let resp = self
            .send_authed_raw(method, path, query, body, true)
            .await?;
        if resp.status().is_success() {
            let w: api::ItemWritten = parse(&read_capped(resp).await?, "item write")?;
            return Ok(ItemWrite::Written(w.revision));
        }
        match error_of(resp).await {
            (
                ClientError::Rejected {
                    status: 409,
                    code: crate::api::ErrorCode::Conflict,
                    ..
                },
                body,
            ) => Ok(ItemWrite::Conflict(
                body.and_then(|b| b.current).map(Box::new),
            )),
            (e, _) => Err(e),
        }
    }

    /// `PUT /v1/vaults/{vault}/items/{item}`: compare-and-swap from `base`.
    pub async fn put_item(&self, req: &api::PutItemRequest) -> ClientResult<ItemWrite> {
        let path = Self::item_path(req.item.vault, req.item.item);
        self.item_write(Method::PUT, &path, &[], json_body(req)?)
            .await
    }

    /// `DELETE /v1/vaults/{vault}/items/{item}?base=N`.
    pub async fn delete_item(
        &self,
        vault: VaultId,
        item: ItemId,
        base: u64,
    ) -> ClientResult<ItemWrite> {
        let path = Self::item_path(vault, item);
        self.item_write(
            Method::DELETE,
            &path,
            &[("base", base.to_string())],
            Body::None,
        )
        .await
    }
}
