//! [`ApiClient`]'s sync calls: the change feed and the batch push
//! (`/v1/sync…`).

use super::{ApiClient, Body, json_body};
use crate::api::paths;
use crate::client::error::{ClientError, ClientResult};
use reqwest::Method;
use vault_core::sync::wire::{Cursor, PullPage, PushRequest, PushResponse};

impl ApiClient {
    /// `GET /v1/sync/changes?since=…`: one page of the feed.
    pub async fn changes(
        &self,
        since: Option<&Cursor>,
        limit: Option<usize>,
    ) -> ClientResult<PullPage> {
        let mut q = Vec::new();
        if let Some(c) = since {
            q.push(("since", c.as_str().to_owned()));
        }
        if let Some(l) = limit {
            q.push(("limit", l.to_string()));
        }
        let b = self
            .send_authed(Method::GET, paths::CHANGES, &q, Body::None)
            .await?;
        let text = std::str::from_utf8(&b)
            .map_err(|_| ClientError::Protocol("feed page: not UTF-8".into()))?;
        PullPage::from_json(text)
            .map_err(|_| ClientError::Protocol("feed page: unexpected answer".into()))
    }

    /// `POST /v1/sync/push`.
    pub async fn push(&self, req: &PushRequest) -> ClientResult<PushResponse> {
        let b = self
            .send_authed(Method::POST, paths::PUSH, &[], json_body(req)?)
            .await?;
        let text =
            std::str::from_utf8(&b).map_err(|_| ClientError::Protocol("push: not UTF-8".into()))?;
        PushResponse::from_json(text)
            .map_err(|_| ClientError::Protocol("push: unexpected answer".into()))
    }
}
