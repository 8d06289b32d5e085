//! Creating vaults and sharing them: directory look-ups, members, roles.

use super::{VaultClient, id, run, run_json, run_unit};
use crate::error::{Failure, Result};
use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Unknown};
use napi_derive::napi;
use serde::Serialize;
use vault_core::{AccountId, Role, VaultId, VaultMeta};
use vault_sync::client::{ClientError, Contact, MemberInfo};

#[derive(Serialize)]
struct ContactJs {
    account: AccountId,
    identifier: Option<String>,
    fingerprint: String,
    verified: bool,
}

impl From<&Contact> for ContactJs {
    fn from(c: &Contact) -> Self {
        ContactJs {
            account: c.account,
            identifier: c.identifier.clone(),
            fingerprint: c.fingerprint(),
            verified: c.verified,
        }
    }
}

#[derive(Serialize)]
struct MemberJs {
    account: AccountId,
    identifier: Option<String>,
    role: Role,
    key_version: u32,
    fingerprint: Option<String>,
    verified: bool,
    you: bool,
}

impl From<MemberInfo> for MemberJs {
    fn from(m: MemberInfo) -> Self {
        MemberJs {
            account: m.account,
            identifier: m.identifier,
            role: m.role,
            key_version: m.key_version,
            fingerprint: m.fingerprint,
            verified: m.verified,
            you: m.you,
        }
    }
}

fn role_of(s: &str) -> std::result::Result<Role, Failure> {
    s.parse::<Role>()
        .map_err(|_| ClientError::Invalid("role must be 'editor' or 'viewer'".into()).into())
}

#[napi]
impl VaultClient {
    /// Creates a vault owned by the user (online). Resolves with its id.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn create_vault<'e>(
        &self,
        env: &'e Env,
        name: String,
        description: Option<String>,
    ) -> Result<PromiseRaw<'e, String>> {
        let inner = self.inner.clone();
        let meta = VaultMeta {
            name,
            description: description.unwrap_or_default(),
        };
        run(
            env,
            async move {
                let mut st = inner.state.lock().await;
                let id = st.unlocked()?.create_vault(&meta).await?;
                Ok(id.to_string())
            },
            |_, s| Ok(s),
        )
    }

    /// Looks a user up in the directory (online), checks the identity's
    /// signature and pins it: `{ account, identifier, fingerprint, verified }`.
    /// Compare `fingerprint` with theirs out of band before sharing.
    #[napi(ts_return_type = "Promise<Contact>")]
    pub fn lookup_user<'e>(
        &self,
        env: &'e Env,
        identifier: String,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let mut st = inner.state.lock().await;
            let contact = st.unlocked()?.lookup_user(&identifier).await?;
            Ok(ContactJs::from(&contact))
        })
    }

    /// Shares a vault the user owns with `identifier` as `'editor'` or
    /// `'viewer'` (online; also changes an existing member's role). With
    /// `expectedFingerprint` (the digits they read out; spacing ignored) a
    /// different identity rejects with `fingerprint_mismatch` and a match
    /// marks them verified; without it the identity pinned on first sight
    /// is trusted.
    #[napi(
        ts_args_type = "vaultId: string, identifier: string, role: 'editor' | 'viewer', expectedFingerprint?: string",
        ts_return_type = "Promise<void>"
    )]
    pub fn share<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
        identifier: String,
        role: String,
        expected_fingerprint: Option<String>,
    ) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        run_unit(env, async move {
            let vault = id::<VaultId>(&vault_id)?;
            let role = role_of(&role)?;
            let mut st = inner.state.lock().await;
            let d = st.unlocked()?;
            d.share_with(vault, &identifier, role, expected_fingerprint.as_deref())
                .await?;
            Ok(())
        })
    }

    /// Ends a member's access to a vault the user owns (online), then
    /// rotates the vault key. Resolves with the new key generation.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn unshare<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
        account_id: String,
    ) -> Result<PromiseRaw<'e, u32>> {
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let (vault, member) = (id::<VaultId>(&vault_id)?, id::<AccountId>(&account_id)?);
                let mut st = inner.state.lock().await;
                Ok(st.unlocked()?.unshare(vault, member).await?)
            },
            |_, v| Ok(v),
        )
    }

    /// The members of a vault (online): `{ account, identifier, role,
    /// key_version, fingerprint, verified, you }`.
    #[napi(ts_return_type = "Promise<Member[]>")]
    pub fn members<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let vault = id::<VaultId>(&vault_id)?;
            let mut st = inner.state.lock().await;
            let members = st.unlocked()?.members(vault).await?;
            Ok(members.into_iter().map(MemberJs::from).collect::<Vec<_>>())
        })
    }
}
