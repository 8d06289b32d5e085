//! Pre-login, client side: ask which KDF config (and SRP group and salt) an
//! identifier uses, and check the answer against the client's policy.

use crate::error::Result;
use crate::kdf::{KdfConfig, KdfPolicy};
use crate::srp::SrpGroup;
use std::sync::Arc;

/// Pre-login request, client → server: `{"v":1,"identifier":"..."}`.
#[derive(uniffi::Object, Debug, Clone, PartialEq, Eq)]
#[uniffi::export(Eq, Debug)]
pub struct PreloginRequest(pub(crate) vault_core::prelogin::PreloginRequest);

#[uniffi::export]
impl PreloginRequest {
    /// A request for `identifier` (1 to 256 bytes of UTF-8).
    #[uniffi::constructor]
    pub fn new(identifier: String) -> Result<Arc<Self>> {
        Ok(Arc::new(PreloginRequest(
            vault_core::prelogin::PreloginRequest::new(identifier)?,
        )))
    }

    /// Parses and validates the JSON form.
    #[uniffi::constructor]
    pub fn from_json(json: &str) -> Result<Arc<Self>> {
        Ok(Arc::new(PreloginRequest(
            vault_core::prelogin::PreloginRequest::from_json(json)?,
        )))
    }

    /// The identifier asked about.
    pub fn identifier(&self) -> String {
        self.0.identifier().to_owned()
    }

    /// The JSON form to send.
    pub fn to_json(&self) -> String {
        self.0.to_json()
    }
}

/// The SRP part of a pre-login answer.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct SrpPrelogin {
    /// The group to start the SRP login in.
    pub group: SrpGroup,
    /// The SRP salt (16 bytes).
    pub salt: Vec<u8>,
}

/// Pre-login answer, server → client. The KDF params in it come from the
/// server: use [`PreloginResponse::checked_kdf`], never the raw ones.
#[derive(uniffi::Object, Debug, Clone, PartialEq, Eq)]
#[uniffi::export(Eq, Debug)]
pub struct PreloginResponse(pub(crate) vault_core::prelogin::PreloginResponse);

#[uniffi::export]
impl PreloginResponse {
    /// Parses and validates the JSON form.
    #[uniffi::constructor]
    pub fn from_json(json: &str) -> Result<Arc<Self>> {
        Ok(Arc::new(PreloginResponse(
            vault_core::prelogin::PreloginResponse::from_json(json)?,
        )))
    }

    /// The KDF config as sent, unchecked.
    pub fn kdf(&self) -> KdfConfig {
        (*self.0.kdf()).into()
    }

    /// The KDF config after checking its params against `policy` (error code
    /// `kdf_policy` if a hostile server asks for too little or too much work).
    pub fn checked_kdf(&self, policy: KdfPolicy) -> Result<KdfConfig> {
        Ok(self.0.checked_kdf(&policy.into())?.into())
    }

    /// The SRP group and salt, if the account uses SRP.
    pub fn srp(&self) -> Result<Option<SrpPrelogin>> {
        self.0
            .srp()
            .map(|s| {
                Ok(SrpPrelogin {
                    group: s.group().try_into()?,
                    salt: s.salt().to_vec(),
                })
            })
            .transpose()
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        self.0.to_json()
    }
}
