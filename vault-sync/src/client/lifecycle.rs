//! Account lifecycle on the client: the recovery kit (make it, recover a
//! forgotten password with it) and account key rotation.
//!
//! ```text
//! recovery kit:  fresh login(password) ─▶ UnlockedAccount::create_recovery_kit ─▶ PUT /v1/account/recovery
//!                (the words are shown once; the server keeps the wrap and the token's hash)
//! recover:       prelogin(I) ─▶ POST /v1/recovery/login {I, token} ─▶ session + record + wrap
//!                ─▶ RecoveryWrap::recover ─▶ new password: re-wrap, new verifier / OPAQUE record
//!                ─▶ PUT /v1/account/credentials (the server ends every other session)
//! rotate:        fresh login(password) ─▶ sync ─▶ UnlockedAccount::rotate_account_key(own wraps)
//!                ─▶ POST /v1/account/rotate {change set, new kit?} ─▶ sync (new wraps arrive)
//! ```

use super::auth::{check_account_body, fresh_device_info};
use super::device::{Device, UnlockedDevice};
use super::error::{ClientError, ClientResult};
use super::http::{ApiClient, normalize_server_url};
use super::replica::LoginProtocol;
use crate::api;
use vault_core::sync::wire::MemberKey;
use vault_core::{KdfParams, RecoveryKey, WrappedVaultKey, rng};
use zeroize::Zeroizing;

impl UnlockedDevice {
    /// Makes a new recovery kit and stores its wrap on the server
    /// (replacing any older kit, whose words then stop working). Logs in
    /// again with `password` first: the server wants a recent login before
    /// anything that could reset the password. Show the returned key's
    /// words ([`RecoveryKey::to_words`]) once; never store them.
    pub async fn create_recovery_kit(&mut self, password: &str) -> ClientResult<RecoveryKey> {
        self.fresh_login(password).await?;
        let account = self.account.clone();
        let (key, wrap) =
            super::blocking(move || account.create_recovery_kit(&mut rng::os_rng())).await??;
        self.api
            .put_recovery_kit(&api::RecoveryKitBody { wrap })
            .await?;
        Ok(key)
    }

    /// Whether the server holds a recovery kit for this account's current
    /// key generation.
    pub async fn has_recovery_kit(&self) -> ClientResult<bool> {
        let status = self.api.recovery_kit().await?;
        Ok(status
            .wrap
            .is_some_and(|w| w.generation == self.account.key_generation()))
    }

    /// Deletes the recovery kit (after a fresh login with `password`).
    /// Returns whether there was one.
    pub async fn remove_recovery_kit(&mut self, password: &str) -> ClientResult<bool> {
        self.fresh_login(password).await?;
        match self.api.delete_recovery_kit().await {
            Ok(()) => Ok(true),
            Err(ClientError::Rejected { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Rotates the account key after a suspected compromise (see
    /// [`vault_core::rotation`]): logs in again with `password`, syncs so
    /// every vault key wrap is known, re-wraps them and the identity keys
    /// under a fresh account key, and has the server apply the change set
    /// atomically (it ends every other session: other devices log in
    /// again). Old recovery kits stop working; with `new_recovery_kit` a
    /// new one is made in the same step and returned (show its words once).
    pub async fn rotate_account_key(
        &mut self,
        password: &str,
        new_recovery_kit: bool,
    ) -> ClientResult<Option<RecoveryKey>> {
        let (_, body) = self.fresh_login(password).await?;
        self.sync().await?;
        let me = self.account.account_id();
        let own: Vec<WrappedVaultKey> = self
            .engine
            .vaults()
            .flat_map(|(_, m)| m.keys.iter())
            .filter_map(|k| match k {
                MemberKey::Wrapped(w) if w.account == me => Some(w.clone()),
                _ => None,
            })
            .collect();
        let account = self.account.clone();
        let record = body.record;
        let password = Zeroizing::new(password.to_owned());
        let secret_key = self.options.secret_key.clone();
        let policy = self.options.kdf_policy;
        let (new, change, kit) = super::blocking(move || {
            let mut rng = rng::os_rng();
            let (new, change) = account.rotate_account_key(
                &record,
                password.as_str(),
                secret_key.as_ref(),
                &policy,
                &own,
                &mut rng,
            )?;
            let kit = if new_recovery_kit {
                Some(new.create_recovery_kit(&mut rng)?)
            } else {
                None
            };
            Ok::<_, vault_core::Error>((new, change, kit))
        })
        .await??;
        let (key, recovery) = match kit {
            Some((k, w)) => (Some(k), Some(w)),
            None => (None, None),
        };
        self.api
            .rotate_account(&api::AccountRotateRequest {
                change: change.clone(),
                recovery,
            })
            .await?;
        self.account = new;
        self.info.record = change.record;
        self.replica.set_device(&self.info).await?;
        // The re-wrapped vault keys arrive with the vault entries.
        self.sync().await?;
        Ok(key)
    }
}

impl Device {
    /// Recovers an account whose password is forgotten, with its recovery
    /// key: logs in with the kit's token, opens the account key from the
    /// kit, sets `new_password` (with `params`, or the old KDF params) and
    /// returns this device unlocked. The server ends every other session.
    /// The kit stays valid (it wraps the account key, not the password).
    pub async fn recover(
        self,
        server_url: &str,
        identifier: &str,
        key: &RecoveryKey,
        new_password: &str,
        params: Option<KdfParams>,
    ) -> ClientResult<UnlockedDevice> {
        let server = normalize_server_url(server_url, self.options.http.allow_insecure_http)?;
        let identifier = &super::auth::canonical_identifier(identifier)?;
        self.check_fresh_device(&server, identifier)?;
        if let Some(p) = &params {
            self.options.kdf_policy.check(p)?;
        }
        let api = ApiClient::build(
            &server,
            &self.options.http,
            Some(self.replica.clone()),
            self.options.clock.clone(),
        )?;
        let pre = api.prelogin(identifier).await?;
        let token = key.auth_token();
        let done = api
            .recovery_login(&api::RecoveryLoginRequest {
                identifier: identifier.to_owned(),
                token: vault_core::encoding::b64_encode(token.expose_secret()),
            })
            .await?;
        let body = done.account;
        check_account_body(&body, &done.session, identifier)?;
        self.check_same_account(&body)?;
        // The protocol the server reports must match what pre-login implied.
        let protocol = LoginProtocol::parse(&body.protocol)?;
        if (protocol == LoginProtocol::Srp) != pre.srp().is_some() {
            return Err(ClientError::Protocol(
                "the server reports another login protocol".into(),
            ));
        }
        let wrap = done.wrap;
        let record = body.record.clone();
        let key = key.clone();
        let account = super::blocking(move || wrap.recover(&key, &record)).await??;
        api.set_session(Some(done.session.clone())).await;
        let info = fresh_device_info(server, identifier, &body, protocol);
        self.replica.set_device(&info).await?;
        self.replica.set_session(Some(&done.session)).await?;
        let params = params.unwrap_or(body.record.kdf.params);
        let mut device = UnlockedDevice::new(self.replica, info, account, self.options).await?;
        device
            .set_new_password(pre, body.record, new_password, params)
            .await?;
        Ok(device)
    }
}
