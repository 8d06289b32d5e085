//! [`ApiClient`]'s emergency-access calls (`/v1/emergency…`).

use super::{ApiClient, Body, fill, json_body, parse};
use crate::api::{self, paths};
use crate::client::error::ClientResult;
use reqwest::Method;
use vault_core::AccountId;

impl ApiClient {
    /// `GET /v1/emergency`: this account's emergency access, as owner and
    /// as contact.
    pub async fn emergency(&self) -> ClientResult<api::EmergencyListBody> {
        let b = self
            .send_authed(Method::GET, paths::EMERGENCY, &[], Body::None)
            .await?;
        parse(&b, "emergency access")
    }

    /// `PUT /v1/emergency/contacts/{contact}`: names (or replaces) an
    /// emergency contact with its grants.
    pub async fn put_emergency_contact(
        &self,
        contact: AccountId,
        req: &api::PutEmergencyContactRequest,
    ) -> ClientResult<api::EmergencyEntryBody> {
        let path = fill(
            paths::EMERGENCY_CONTACT,
            &[("contact", contact.to_string())],
        );
        let b = self
            .send_authed(Method::PUT, &path, &[], json_body(req)?)
            .await?;
        parse(&b, "emergency contact")
    }

    /// `DELETE /v1/emergency/contacts/{contact}`.
    pub async fn remove_emergency_contact(&self, contact: AccountId) -> ClientResult<()> {
        let path = fill(
            paths::EMERGENCY_CONTACT,
            &[("contact", contact.to_string())],
        );
        self.send_authed(Method::DELETE, &path, &[], Body::None)
            .await
            .map(drop)
    }

    /// `POST /v1/emergency/contacts/{contact}/cancel` (the owner).
    pub async fn cancel_emergency_request(
        &self,
        contact: AccountId,
    ) -> ClientResult<api::EmergencyEntryBody> {
        let path = fill(paths::EMERGENCY_CANCEL, &[("contact", contact.to_string())]);
        let b = self
            .send_authed(Method::POST, &path, &[], Body::None)
            .await?;
        parse(&b, "emergency cancel")
    }

    /// `POST /v1/emergency/grantors/{owner}/request` (the contact).
    pub async fn request_emergency_access(
        &self,
        owner: AccountId,
    ) -> ClientResult<api::EmergencyEntryBody> {
        let path = fill(paths::EMERGENCY_REQUEST, &[("owner", owner.to_string())]);
        let b = self
            .send_authed(Method::POST, &path, &[], Body::None)
            .await?;
        parse(&b, "emergency request")
    }

    /// `POST /v1/emergency/grantors/{owner}/claim` (the contact). A refusal
    /// is [`ClientError::Rejected`](crate::client::ClientError::Rejected)
    /// with code `emergency_waiting` (and `retry_after`),
    /// `emergency_not_requested` or `emergency_released`.
    pub async fn claim_emergency_access(
        &self,
        owner: AccountId,
    ) -> ClientResult<api::EmergencyClaimed> {
        let path = fill(paths::EMERGENCY_CLAIM, &[("owner", owner.to_string())]);
        let b = self
            .send_authed(Method::POST, &path, &[], Body::None)
            .await?;
        parse(&b, "emergency claim")
    }
}
