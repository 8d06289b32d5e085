//! Account flows: register, log in (SRP-6a or OPAQUE, whichever the
//! server's pre-login shows), change the password, log out.
//!
//! ```text
//! register:  prelogin(I) ─ srp part? ─▶ UnlockedAccount::create(params) ─▶ SRP verifier
//!                                                                         | OPAQUE register/opaque/start + finish
//!            POST /v1/register {identifier, record, auth} ─▶ log in with the same auth key
//! login:     prelogin(I) ─▶ checked_kdf(policy) ─▶ Argon2id ─▶ {auth key, KEK}
//!            SRP: start ─ finish ─ verify M2        OPAQUE: start ─ finish (KE2 authenticates the server)
//!            ─▶ tokens ─▶ GET /v1/account ─▶ unlock the record with the KEK
//! ```

use super::device::{ClientOptions, Device, UnlockedDevice};
use super::error::{ClientError, ClientResult};
use super::http::{ApiClient, normalize_server_url};
use super::replica::{DeviceInfo, LoginProtocol};
use crate::api::{self, AuthRecordBody};
use vault_core::kdf::{self, MasterKeys};
use vault_core::opaque::{ClientLogin, ClientRegistration};
use vault_core::prelogin::{PreloginResponse, SrpPrelogin};
use vault_core::srp::SrpClient;
use vault_core::{KdfConfig, KdfParams, SymmetricKey, UnlockedAccount, rng};
use zeroize::Zeroizing;

/// Runs the login protocol the pre-login answer implies with `auth_key`.
/// SRP: the server must prove knowledge of the verifier (`M2`) or the tokens
/// are discarded. OPAQUE: KE2 authenticates the server inside the protocol.
async fn pake(
    api: &ApiClient,
    identifier: &str,
    auth_key: &SymmetricKey,
    srp: Option<&SrpPrelogin>,
) -> ClientResult<(api::SessionTokens, LoginProtocol)> {
    let mut rng = rng::os_rng();
    match srp {
        Some(srp) => {
            let (client, hello) = SrpClient::start(identifier, auth_key, srp.group(), &mut rng)?;
            let challenge = api.login_srp_start(&api::SrpLoginStart { hello }).await?;
            let (client, proof) = client.process_challenge(&challenge.challenge)?;
            let done = api
                .login_srp_finish(&api::SrpLoginFinish {
                    login_id: challenge.login_id,
                    proof,
                })
                .await?;
            // The server must prove it holds the verifier before we trust
            // anything it sends.
            client
                .verify_server(&done.server_proof)
                .map_err(|_| ClientError::ServerNotAuthenticated)?;
            Ok((done.session, LoginProtocol::Srp))
        }
        None => {
            let (client, ke1) = ClientLogin::start(identifier, auth_key, &mut rng)?;
            let challenge = api
                .login_opaque_start(&api::OpaqueLoginStart {
                    identifier: identifier.to_owned(),
                    ke1,
                })
                .await?;
            // A wrong password and an impostor server look the same here.
            let result =
                client
                    .finish(&challenge.ke2, &mut rng)
                    .map_err(|_| ClientError::Rejected {
                        status: 401,
                        code: crate::api::ErrorCode::AuthenticationFailed,
                        message: "wrong identifier or password".into(),
                        retry_after: None,
                    })?;
            let done = api
                .login_opaque_finish(&api::OpaqueLoginFinish {
                    login_id: challenge.login_id,
                    ke3: result.ke3,
                })
                .await?;
            Ok((done.session, LoginProtocol::Opaque))
        }
    }
}

/// A new login record (SRP verifier or OPAQUE record) for `auth_key`.
pub(super) async fn auth_record(
    api: &ApiClient,
    identifier: &str,
    auth_key: &SymmetricKey,
    srp: Option<&SrpPrelogin>,
) -> ClientResult<AuthRecordBody> {
    let mut rng = rng::os_rng();
    match srp {
        Some(srp) => Ok(AuthRecordBody::Srp(SrpClient::register(
            identifier,
            auth_key,
            srp.group(),
            &mut rng,
        )?)),
        None => {
            let (client, request) = ClientRegistration::start(identifier, auth_key, &mut rng)?;
            let started = api
                .register_opaque_start(&api::OpaqueRegisterStart {
                    identifier: identifier.to_owned(),
                    request,
                })
                .await?;
            let done = client.finish(&started.response, &mut rng)?;
            Ok(AuthRecordBody::Opaque(Box::new(done.record)))
        }
    }
}

/// The canonical form of an identifier the user typed
/// ([`vault_core::identifier::normalize_identifier`]): what the client sends,
/// stores and derives from.
pub(crate) fn canonical_identifier(typed: &str) -> ClientResult<String> {
    vault_core::identifier::normalize_identifier(typed)
        .map_err(|e| ClientError::Invalid(format!("not a valid account identifier: {e}")))
}

/// Pre-login, the policy check, and Argon2id (on a blocking thread).
async fn derive(
    api: &ApiClient,
    identifier: &str,
    password: &str,
    options: &ClientOptions,
) -> ClientResult<(PreloginResponse, KdfConfig, MasterKeys)> {
    let pre = api.prelogin(identifier).await?;
    let kdf = pre.checked_kdf(&options.kdf_policy)?;
    let password = Zeroizing::new(password.to_owned());
    let secret_key = options.secret_key.clone();
    let policy = options.kdf_policy;
    let keys = super::blocking(move || {
        kdf::derive_master_keys(password.as_str(), secret_key.as_ref(), &kdf, &policy)
    })
    .await??;
    Ok((pre, kdf, keys))
}

/// Refuses a record of an older account key generation than one this
/// device has seen: a server replaying the record from before an account
/// key rotation would otherwise bring the old (possibly compromised) key
/// back into use.
pub(super) fn check_not_older(
    known: &vault_core::EncryptedAccount,
    fetched: &vault_core::EncryptedAccount,
) -> ClientResult<()> {
    if fetched.key_generation < known.key_generation {
        return Err(ClientError::Crypto(vault_core::Error::StaleWrap(
            "account record from the server",
        )));
    }
    Ok(())
}

/// This device's record of the account it is now signed in to.
pub(super) fn fresh_device_info(
    server_url: String,
    identifier: &str,
    body: &api::AccountBody,
    protocol: LoginProtocol,
) -> DeviceInfo {
    DeviceInfo {
        server_url,
        identifier: identifier.to_owned(),
        account: body.account,
        protocol,
        record: body.record.clone(),
    }
}

/// Fetches the account record and checks it belongs to the session.
pub(super) async fn fetch_account(
    api: &ApiClient,
    tokens: &api::SessionTokens,
    identifier: &str,
) -> ClientResult<api::AccountBody> {
    let body = api.account().await?;
    check_account_body(&body, tokens, identifier)?;
    Ok(body)
}

/// Checks that an account record from the server belongs to the session
/// and the identifier, and that its public identity is self-signed.
pub(super) fn check_account_body(
    body: &api::AccountBody,
    tokens: &api::SessionTokens,
    identifier: &str,
) -> ClientResult<()> {
    if body.account != tokens.account
        || body.record.account != body.account
        || body.identifier != identifier
    {
        return Err(ClientError::Protocol(
            "the account record belongs to another account".into(),
        ));
    }
    body.record.public_identity.verify()?;
    Ok(())
}

impl Device {
    /// Refuses a record of another account than this directory's, or of an
    /// older account key generation than it has seen.
    pub(super) fn check_same_account(&self, body: &api::AccountBody) -> ClientResult<()> {
        if let Some(i) = &self.info {
            if i.account != body.account {
                return Err(ClientError::WrongDevice(
                    "this device directory belongs to another account: log out first".into(),
                ));
            }
            check_not_older(&i.record, &body.record)?;
        }
        Ok(())
    }

    pub(super) fn check_fresh_device(&self, server: &str, identifier: &str) -> ClientResult<()> {
        match &self.info {
            // A device from before identifiers were normalised may hold
            // another spelling of the same identifier.
            Some(i)
                if i.server_url != server
                    || !vault_core::identifier::same_identifier(&i.identifier, identifier) =>
            {
                Err(ClientError::WrongDevice(format!(
                    "this device directory belongs to {} at {}: log out first or use another directory",
                    i.identifier, i.server_url
                )))
            }
            _ => Ok(()),
        }
    }

    /// Creates an account on `server_url` and logs this device in.
    ///
    /// The KDF `params` must pass the client's policy. Which login protocol
    /// the account gets is the server's choice, visible at pre-login: an
    /// `srp` part means SRP-6a, none means OPAQUE. Registration sends only
    /// the encrypted account record and the login record; the password
    /// never leaves the device.
    pub async fn register(
        self,
        server_url: &str,
        identifier: &str,
        password: &str,
        params: KdfParams,
    ) -> ClientResult<UnlockedDevice> {
        let server = normalize_server_url(server_url, self.options.http.allow_insecure_http)?;
        let identifier = &canonical_identifier(identifier)?;
        if self.info.is_some() {
            return Err(ClientError::WrongDevice(
                "this device directory already has an account: log out first or use another directory"
                    .into(),
            ));
        }
        self.options.kdf_policy.check(&params)?;
        let api = ApiClient::build(
            &server,
            &self.options.http,
            Some(self.replica.clone()),
            self.options.clock.clone(),
        )?;
        let pre = api.prelogin(identifier).await?;
        let password = Zeroizing::new(password.to_owned());
        let secret_key = self.options.secret_key.clone();
        let (account, creds) = super::blocking(move || {
            UnlockedAccount::create(
                password.as_str(),
                secret_key.as_ref(),
                params,
                &mut rng::os_rng(),
            )
        })
        .await??;
        // A new account's login record is made with the canonical identifier.
        let auth = auth_record(&api, identifier, &creds.auth_key, pre.srp()).await?;
        let registered = match api
            .register(&api::RegisterRequest {
                identifier: identifier.to_owned(),
                record: creds.encrypted.clone(),
                auth,
            })
            .await
        {
            Err(ClientError::Rejected { status: 409, .. }) => {
                return Err(ClientError::Rejected {
                    status: 409,
                    code: crate::api::ErrorCode::Conflict,
                    message: format!("{identifier} is already registered"),
                    retry_after: None,
                });
            }
            other => other?,
        };
        if registered.account != account.account_id() {
            return Err(ClientError::Protocol(
                "the server registered another account id".into(),
            ));
        }
        let (tokens, protocol) = pake(&api, identifier, &creds.auth_key, pre.srp()).await?;
        api.set_session(Some(tokens.clone())).await;
        let body = fetch_account(&api, &tokens, identifier).await?;
        if body.record != creds.encrypted {
            return Err(ClientError::Protocol(
                "the server stored another account record".into(),
            ));
        }
        let info = fresh_device_info(server, identifier, &body, protocol);
        self.replica.set_device(&info).await?;
        self.replica.set_session(Some(&tokens)).await?;
        UnlockedDevice::new(self.replica, info, account, self.options).await
    }

    /// Logs this device in: pre-login, the KDF policy check, Argon2id, the
    /// login protocol (SRP with the server's `M2` verified, or OPAQUE), then
    /// fetches the encrypted account record and unlocks it with the KEK.
    ///
    /// A device directory belongs to one account on one server; logging in
    /// again as the same account refreshes its session and record and keeps
    /// its replica (queued offline edits included).
    pub async fn login(
        self,
        server_url: &str,
        identifier: &str,
        password: &str,
    ) -> ClientResult<UnlockedDevice> {
        let server = normalize_server_url(server_url, self.options.http.allow_insecure_http)?;
        let identifier = &canonical_identifier(identifier)?;
        self.check_fresh_device(&server, identifier)?;
        let api = ApiClient::build(
            &server,
            &self.options.http,
            Some(self.replica.clone()),
            self.options.clock.clone(),
        )?;
        let (pre, _kdf, keys) = derive(&api, identifier, password, &self.options).await?;
        let (tokens, protocol) = pake(
            &api,
            pre.pake_identifier(identifier),
            &keys.auth_key,
            pre.srp(),
        )
        .await?;
        api.set_session(Some(tokens.clone())).await;
        let body = fetch_account(&api, &tokens, identifier).await?;
        self.check_same_account(&body)?;
        if LoginProtocol::parse(&body.protocol)? != protocol {
            return Err(ClientError::Protocol(
                "the server reports another login protocol".into(),
            ));
        }
        let account = body.record.unlock_with_kek(&keys.kek)?;
        let info = fresh_device_info(server, identifier, &body, protocol);
        self.replica.set_device(&info).await?;
        self.replica.set_session(Some(&tokens)).await?;
        UnlockedDevice::new(self.replica, info, account, self.options).await
    }

    /// Ends this device's session on the server (if it still can) and
    /// wipes the replica: account record, sync state, session, contacts.
    /// Returns whether the server confirmed; a device that is offline is
    /// wiped anyway (its session then lives until it expires or a
    /// "log out all devices").
    pub async fn logout(self) -> ClientResult<bool> {
        let confirmed = match self.api().await {
            Ok(api) => match api.logout().await {
                Ok(()) => true,
                Err(ClientError::SessionExpired | ClientError::NotLoggedIn) => true,
                Err(e) if e.is_offline() => false,
                Err(e) => return Err(e),
            },
            Err(ClientError::NotLoggedIn) => true,
            Err(e) => return Err(e),
        };
        self.replica.wipe().await?;
        Ok(confirmed)
    }
}

impl UnlockedDevice {
    /// Changes the password: logs in afresh with `current` (the server
    /// wants a recent login and this proves the password), re-wraps the
    /// account key under the new password (optionally with new KDF
    /// `params`), makes a new SRP verifier or OPAQUE record, and replaces
    /// both on the server in one request. The server ends every other
    /// session; no item is re-encrypted.
    pub async fn change_password(
        &mut self,
        current: &str,
        new_password: &str,
        params: Option<KdfParams>,
    ) -> ClientResult<()> {
        let params = params.unwrap_or(self.info.record.kdf.params);
        self.options.kdf_policy.check(&params)?;
        let (pre, body) = self.fresh_login(current).await?;
        self.set_new_password(pre, body.record, new_password, params)
            .await
    }

    /// Logs in again with the password (the server wants a recent login
    /// before credentials or keys change, and this proves the password),
    /// and returns the pre-login answer and the current account record,
    /// checked to open with the password and to hold the account key in
    /// memory (so a server cannot slip in an older or foreign record).
    pub(super) async fn fresh_login(
        &mut self,
        password: &str,
    ) -> ClientResult<(PreloginResponse, api::AccountBody)> {
        let identifier = self.info.identifier.clone();
        let (pre, _kdf, keys) = derive(&self.api, &identifier, password, &self.options).await?;
        let (tokens, protocol) = pake(
            &self.api,
            pre.pake_identifier(&identifier),
            &keys.auth_key,
            pre.srp(),
        )
        .await?;
        if tokens.account != self.info.account || protocol != self.info.protocol {
            return Err(ClientError::Protocol(
                "the fresh login is for another account".into(),
            ));
        }
        self.api.set_session(Some(tokens.clone())).await;
        self.replica.set_session(Some(&tokens)).await?;
        let body = fetch_account(&self.api, &tokens, &identifier).await?;
        check_not_older(&self.info.record, &body.record)?;
        // The current record must open with the password, to our key.
        let opened = body.record.unlock_with_kek(&keys.kek)?;
        if opened.account_key() != self.account.account_key() {
            return Err(ClientError::Protocol(
                "the account key changed on another device: log in again".into(),
            ));
        }
        Ok((pre, body))
    }

    /// Re-wraps the account key under `new_password` and replaces the
    /// record and login record on the server (password change, recovery).
    pub(super) async fn set_new_password(
        &mut self,
        pre: PreloginResponse,
        record: vault_core::EncryptedAccount,
        new_password: &str,
        params: KdfParams,
    ) -> ClientResult<()> {
        let identifier = self.info.identifier.clone();
        let account = self.account.clone();
        let new_password = Zeroizing::new(new_password.to_owned());
        let secret_key = self.options.secret_key.clone();
        let creds = super::blocking(move || {
            account.change_password(
                &record,
                new_password.as_str(),
                secret_key.as_ref(),
                params,
                &mut rng::os_rng(),
            )
        })
        .await??;
        // The same PAKE identity the account has always used (a spelling from
        // before identifiers were normalised, if the server says so).
        let auth = auth_record(
            &self.api,
            pre.pake_identifier(&identifier),
            &creds.auth_key,
            pre.srp(),
        )
        .await?;
        self.api
            .put_credentials(&api::CredentialsRequest {
                record: creds.encrypted.clone(),
                auth,
            })
            .await?;
        self.info.record = creds.encrypted;
        self.replica.set_device(&self.info).await?;
        Ok(())
    }

    /// Logs this device out (see [`Device::logout`]).
    pub async fn logout(self) -> ClientResult<bool> {
        self.lock().logout().await
    }

    /// Ends every session of the account on the server (all devices), then
    /// wipes this device's replica unless `keep_this_device`. Returns how
    /// many sessions ended.
    pub async fn logout_all(self, keep_this_device: bool) -> ClientResult<u64> {
        let out = self.api.logout_all(keep_this_device).await?;
        if !keep_this_device {
            self.replica.wipe().await?;
        }
        Ok(out.revoked)
    }
}
