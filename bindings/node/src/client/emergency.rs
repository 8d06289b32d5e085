//! Emergency access: naming contacts, asking for, cancelling and claiming
//! access, and re-issuing grants.

use super::{VaultClient, id, run, run_json, run_unit};
use crate::error::Result;
use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Unknown};
use napi_derive::napi;
use serde::Serialize;
use std::time::Duration;
use vault_core::{AccountId, VaultId};
use vault_sync::client::EmergencyAccess;

#[derive(Serialize)]
struct GrantedVaultJs {
    vault: VaultId,
    key_version: u32,
}

#[derive(Serialize)]
struct EmergencyAccessJs {
    owner: AccountId,
    contact: AccountId,
    identifier: Option<String>,
    fingerprint: Option<String>,
    verified: bool,
    state: &'static str,
    wait_secs: u64,
    requested_at_ms: Option<i64>,
    release_at_ms: Option<i64>,
    vaults: Vec<GrantedVaultJs>,
    stale: Vec<VaultId>,
}

impl From<EmergencyAccess> for EmergencyAccessJs {
    fn from(e: EmergencyAccess) -> Self {
        EmergencyAccessJs {
            owner: e.owner,
            contact: e.contact,
            identifier: e.identifier,
            fingerprint: e.fingerprint,
            verified: e.verified,
            state: e.state.as_str(),
            wait_secs: e.wait.as_secs(),
            requested_at_ms: e.requested_at_ms,
            release_at_ms: e.release_at_ms,
            vaults: e
                .vaults
                .into_iter()
                .map(|(vault, key_version)| GrantedVaultJs { vault, key_version })
                .collect(),
            stale: e.stale,
        }
    }
}

#[derive(Serialize)]
struct EmergencyOverviewJs {
    as_owner: Vec<EmergencyAccessJs>,
    as_contact: Vec<EmergencyAccessJs>,
}

#[derive(Serialize)]
struct EmergencyReleaseJs {
    released: Vec<VaultId>,
    stale: Vec<VaultId>,
}

#[napi]
impl VaultClient {
    /// Names `identifier` (an identifier or account id) as your emergency
    /// contact for `vaultIds` (your own vaults), who may claim them
    /// `waitSeconds` after asking unless you cancel; replaces what you named
    /// for them before. With `expectedFingerprint` (the digits they read out;
    /// spacing ignored) a different identity rejects with
    /// `fingerprint_mismatch` and a match marks them verified; without it,
    /// compare the result's `fingerprint` out of band yourself (online).
    #[napi(
        ts_args_type = "identifier: string, vaultIds: string[], waitSeconds: number, expectedFingerprint?: string",
        ts_return_type = "Promise<EmergencyAccess>"
    )]
    pub fn set_emergency_contact<'e>(
        &self,
        env: &'e Env,
        identifier: String,
        vault_ids: Vec<String>,
        wait_seconds: u32,
        expected_fingerprint: Option<String>,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let vaults = vault_ids
                .iter()
                .map(|v| id::<VaultId>(v))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let mut st = inner.state.lock().await;
            let access = st
                .unlocked()?
                .set_emergency_contact(
                    &identifier,
                    &vaults,
                    Duration::from_secs(u64::from(wait_seconds)),
                    expected_fingerprint.as_deref(),
                )
                .await?;
            Ok(EmergencyAccessJs::from(access))
        })
    }

    /// Removes your emergency contact `contact` (identifier or account id;
    /// `not_found` if they are not one). Vaults they already claimed stay
    /// shared: `unshare` them to revoke.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn remove_emergency_contact<'e>(
        &self,
        env: &'e Env,
        contact: String,
    ) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        run_unit(env, async move {
            let mut st = inner.state.lock().await;
            Ok(st.unlocked()?.remove_emergency_contact(&contact).await?)
        })
    }

    /// Your emergency access both ways (online): `{ as_owner, as_contact }`,
    /// each entry with the other party's identifier and fingerprint.
    #[napi(ts_return_type = "Promise<EmergencyOverview>")]
    pub fn emergency_status<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let mut st = inner.state.lock().await;
            let o = st.unlocked()?.emergency_status().await?;
            Ok(EmergencyOverviewJs {
                as_owner: o.as_owner.into_iter().map(Into::into).collect(),
                as_contact: o.as_contact.into_iter().map(Into::into).collect(),
            })
        })
    }

    /// As an emergency contact, asks for `owner`'s vaults (identifier or
    /// account id): the wait starts and the owner's devices are told.
    #[napi(ts_return_type = "Promise<EmergencyAccess>")]
    pub fn request_emergency_access<'e>(
        &self,
        env: &'e Env,
        owner: String,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let mut st = inner.state.lock().await;
            let access = st.unlocked()?.request_emergency_access(&owner).await?;
            Ok(EmergencyAccessJs::from(access))
        })
    }

    /// As an owner, cancels `contact`'s pending request: nothing is released.
    #[napi(ts_return_type = "Promise<EmergencyAccess>")]
    pub fn cancel_emergency_request<'e>(
        &self,
        env: &'e Env,
        contact: String,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let mut st = inner.state.lock().await;
            let access = st.unlocked()?.cancel_emergency_request(&contact).await?;
            Ok(EmergencyAccessJs::from(access))
        })
    }

    /// As an emergency contact, claims `owner`'s vaults once the wait has
    /// passed, then syncs so this device holds them: `{ released, stale }`
    /// (vault ids; stale ones the owner's key rotation left behind). Too
    /// early rejects with `emergency_waiting` (`retryAfter`: seconds left);
    /// also `emergency_not_requested`, `emergency_released`.
    #[napi(ts_return_type = "Promise<EmergencyRelease>")]
    pub fn claim_emergency_access<'e>(
        &self,
        env: &'e Env,
        owner: String,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let mut st = inner.state.lock().await;
            let out = st.unlocked()?.claim_emergency_access(&owner).await?;
            Ok(EmergencyReleaseJs {
                released: out.released,
                stale: out.stale,
            })
        })
    }

    /// Re-issues your emergency grants that are older than your newest key
    /// of their vault (after a vault key rotation elsewhere), for every
    /// contact or only those covering `vaultId`. Resolves with how many
    /// contacts were updated.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn reissue_emergency_grants<'e>(
        &self,
        env: &'e Env,
        vault_id: Option<String>,
    ) -> Result<PromiseRaw<'e, u32>> {
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let vault = vault_id.as_deref().map(id::<VaultId>).transpose()?;
                let mut st = inner.state.lock().await;
                let n = st.unlocked()?.reissue_emergency_grants(vault).await?;
                Ok(u32::try_from(n).unwrap_or(u32::MAX))
            },
            |_, n| Ok(n),
        )
    }
}
