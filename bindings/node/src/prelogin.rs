//! Pre-login: the client's question ("which KDF params and salts?") and the
//! server's answer, which must not reveal whether an account exists.

use crate::convert::{from_js, message, to_js};
use crate::error::{OrThrow, Result};
use crate::keys::SymmetricKey;
use crate::rng::{Rng, with_rng};
use crate::srp::{group, hello, registration, server_start};
use napi::bindgen_prelude::Object;
use napi::{Env, Unknown};
use napi_derive::napi;
use vault_core::prelogin::{PreloginRequest, PreloginResponse, SrpPrelogin};
use vault_core::{KdfConfig, KdfParams, KdfPolicy};

/// A pre-login request for `identifier`: `{ v: 1, identifier }`.
#[napi(ts_return_type = "PreloginRequest")]
pub fn prelogin_request(env: &Env, identifier: String) -> Result<Unknown<'_>> {
    to_js(env, &PreloginRequest::new(identifier).or_throw()?)
}

/// Server side: validates a pre-login request (object or JSON text) and
/// returns the identifier it asks about.
#[napi]
pub fn prelogin_request_identifier(
    env: &Env,
    #[napi(ts_arg_type = "PreloginRequest | string")] request: Unknown<'_>,
) -> Result<String> {
    let r = message(
        env,
        request,
        "pre-login request",
        PreloginRequest::from_json,
    )?;
    Ok(r.identifier().to_owned())
}

#[derive(serde::Serialize)]
struct CheckedPrelogin<'a> {
    kdf: KdfConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    srp: Option<&'a SrpPrelogin>,
}

/// Client side: parses the server's answer and checks its KDF params against
/// `policy` (default `kdfPolicy()`): a hostile server can neither downgrade
/// nor inflate them (`kdf_policy`). Returns `{ kdf, srp? }` to use.
#[napi(ts_return_type = "{ kdf: KdfConfig, srp?: SrpPrelogin }")]
pub fn check_prelogin_response<'e>(
    env: &'e Env,
    #[napi(ts_arg_type = "PreloginResponse | string")] response: Unknown<'_>,
    #[napi(ts_arg_type = "KdfPolicy")] policy: Option<Unknown<'_>>,
) -> Result<Unknown<'e>> {
    let r = message(
        env,
        response,
        "pre-login response",
        PreloginResponse::from_json,
    )?;
    let policy = match policy {
        Some(p) => from_js::<KdfPolicy>(env, p, "KDF policy")?,
        None => KdfPolicy::default(),
    };
    let kdf = r.checked_kdf(&policy).or_throw()?;
    to_js(env, &CheckedPrelogin { kdf, srp: r.srp() })
}

/// The server half of pre-login, and of SRP's first step for identifiers
/// that have no account. Keep `serverSecret` stable across restarts and
/// nodes; give it the KDF params and SRP group new accounts get.
#[napi]
pub struct PreloginServer {
    inner: vault_core::prelogin::PreloginServer,
}

#[napi]
impl PreloginServer {
    /// `kdfParams` default to `kdfPreset('default')`, `srpGroup` to `'rfc5054-3072'`.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        server_secret: &SymmetricKey,
        #[napi(ts_arg_type = "KdfParams")] kdf_params: Option<Unknown<'_>>,
        #[napi(ts_arg_type = "SrpGroup")] srp_group: Option<String>,
    ) -> Result<Self> {
        let params: KdfParams = match kdf_params {
            Some(p) => from_js(&env, p, "KDF params")?,
            None => KdfParams::DEFAULT,
        };
        Ok(PreloginServer {
            inner: vault_core::prelogin::PreloginServer::new(
                server_secret.inner.clone(),
                params,
                group(srp_group)?,
            ),
        })
    }

    /// The answer for `identifier`: the real one when `account` (its KDF
    /// config and SRP record) is given, else the deterministic fake.
    #[napi(ts_return_type = "PreloginResponse")]
    pub fn respond<'e>(
        &self,
        env: &'e Env,
        identifier: String,
        #[napi(ts_arg_type = "{ kdf: KdfConfig, srp: SrpRegistration | string } | null")]
        account: Option<Object<'_>>,
    ) -> Result<Unknown<'e>> {
        let r = match account {
            Some(a) => {
                let kdf_v: Unknown<'_> = a
                    .get("kdf")
                    .map_err(crate::error::napi_failure)?
                    .ok_or_else(|| crate::error::malformed("KDF config"))?;
                let srp_v: Unknown<'_> = a
                    .get("srp")
                    .map_err(crate::error::napi_failure)?
                    .ok_or_else(|| crate::error::malformed("SRP registration"))?;
                let kdf: KdfConfig = from_js(env, kdf_v, "KDF config")?;
                let rec = registration(env, srp_v)?;
                self.inner.respond(&identifier, Some((&kdf, &rec)))
            }
            None => self.inner.respond(&identifier, None),
        }
        .or_throw()?;
        to_js(env, &r)
    }

    /// Pre-login for OPAQUE accounts: the real KDF config, or the same
    /// deterministic fake as `fakeResponse` without an `srp` part.
    #[napi(ts_return_type = "PreloginResponse")]
    pub fn respond_opaque<'e>(
        &self,
        env: &'e Env,
        identifier: String,
        #[napi(ts_arg_type = "KdfConfig | null")] kdf: Option<Unknown<'_>>,
    ) -> Result<Unknown<'e>> {
        let kdf: Option<KdfConfig> = match kdf {
            Some(k) => Some(from_js(env, k, "KDF config")?),
            None => None,
        };
        to_js(
            env,
            &self
                .inner
                .respond_opaque(&identifier, kdf.as_ref())
                .or_throw()?,
        )
    }

    /// The fake answer for an identifier with no account.
    #[napi(ts_return_type = "PreloginResponse")]
    pub fn fake_response<'e>(&self, env: &'e Env, identifier: String) -> Result<Unknown<'e>> {
        to_js(env, &self.inner.fake_response(&identifier).or_throw()?)
    }

    /// The fake SRP record for an identifier with no account (never store it).
    #[napi(ts_return_type = "SrpRegistration")]
    pub fn fake_srp_record<'e>(&self, env: &'e Env, identifier: String) -> Result<Unknown<'e>> {
        to_js(env, &self.inner.fake_srp_record(&identifier).or_throw()?)
    }

    /// SRP step 2 for `hello.identifier`: with the stored record when the
    /// account exists, else with the fake record; the same code runs either
    /// way. Returns `{ server, challenge }`.
    #[napi(ts_return_type = "{ server: SrpServerLogin, challenge: SrpServerChallenge }")]
    pub fn srp_start<'e>(
        &self,
        env: &'e Env,
        #[napi(ts_arg_type = "SrpRegistration | string | null")] record: Option<Unknown<'_>>,
        #[napi(ts_arg_type = "SrpClientHello | string")] client_hello: Unknown<'_>,
        rng: Option<&mut Rng>,
    ) -> Result<Object<'e>> {
        let rec = match record {
            Some(r) => Some(registration(env, r)?),
            None => None,
        };
        let h = hello(env, client_hello)?;
        let (state, challenge) = with_rng(rng, |r| {
            self.inner.srp_start(rec.as_ref(), &h, r).or_throw()
        })?;
        server_start(env, state, &challenge)
    }
}
