//! Password KDF: presets, the floor/ceiling policy, Argon2id and the HKDF subkeys.
//!
//! Argon2id at real parameters takes hundreds of milliseconds: call these
//! from a Web Worker in pages (see `worker.js` / `worker-client.js`).

use crate::convert::{from_js, from_js_opt, from_str, to_js};
use crate::error::Result;
use crate::keys::{JsSecretKey, JsSymmetricKey};
use vault_core::{KdfConfig, KdfParams, KdfPolicy, KdfSalt};
use wasm_bindgen::prelude::*;

/// The policy argument of an export: given, or [`KdfPolicy::default`].
pub(crate) fn policy(value: &Option<JsValue>) -> Result<KdfPolicy> {
    Ok(from_js_opt::<KdfPolicy>(value, "KDF policy")?.unwrap_or_default())
}

/// KDF parameters from a JS object.
pub(crate) fn params(value: &JsValue) -> Result<KdfParams> {
    from_js(value, "KDF params")
}

/// The Argon2id parameters of a named preset: `"default"` (64 MiB, t=3, p=4),
/// `"constrained"` (32 MiB, t=4, p=2) or `"sensitive"` (256 MiB, t=4, p=4).
#[wasm_bindgen(js_name = kdfPreset, unchecked_return_type = "KdfParams")]
pub fn kdf_preset(
    #[wasm_bindgen(unchecked_param_type = "KdfPreset")] name: &str,
) -> Result<JsValue> {
    to_js(&KdfParams::preset(name)?)
}

/// A named KDF policy: `"default"` (also when `name` is omitted) or
/// `"permissive_test_only"` (anything Argon2 can run; tests only). Any other
/// name throws `invalid_argument`.
#[wasm_bindgen(js_name = kdfPolicy, unchecked_return_type = "KdfPolicy")]
pub fn kdf_policy(
    #[wasm_bindgen(unchecked_optional_param_type = "KdfPolicyName")] name: Option<String>,
) -> Result<JsValue> {
    match name {
        None => to_js(&KdfPolicy::default()),
        Some(n) => to_js(&KdfPolicy::named(&n)?),
    }
}

/// The default policy (floor: 19 MiB, t=2; ceiling: 1 GiB, t=10, p=16) that
/// every export uses when no policy is passed.
#[wasm_bindgen(js_name = defaultKdfPolicy, unchecked_return_type = "KdfPolicy")]
pub fn default_kdf_policy() -> Result<JsValue> {
    to_js(&KdfPolicy::default())
}

/// A policy that accepts anything Argon2 can run. Tests and vectors only.
#[wasm_bindgen(js_name = permissiveKdfPolicyTestOnly, unchecked_return_type = "KdfPolicy")]
pub fn permissive_kdf_policy_test_only() -> Result<JsValue> {
    to_js(&KdfPolicy::PERMISSIVE_TEST_ONLY)
}

/// Checks parameters (e.g. from a server) against `policy` (default policy if
/// omitted). Throws `kdf_policy` if they fall outside it.
#[wasm_bindgen(js_name = checkKdfParams)]
pub fn check_kdf_params(
    #[wasm_bindgen(unchecked_param_type = "KdfParams")] params: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "KdfPolicy")] policy: Option<JsValue>,
) -> Result<()> {
    Ok(self::policy(&policy)?.check(&self::params(&params)?)?)
}

/// Argon2id alone: the NFKD-normalised password stretched with `salt`
/// (base64url, 16 bytes) and `params`, as a key handle. Params are not
/// policy-checked here; use `checkKdfParams` for values from a server.
#[wasm_bindgen]
pub fn stretch(
    password: String,
    #[wasm_bindgen(unchecked_param_type = "Base64Url")] salt: &str,
    #[wasm_bindgen(unchecked_param_type = "KdfParams")] params: JsValue,
) -> Result<JsSymmetricKey> {
    let password = crate::password::password(password)?;
    let salt: KdfSalt = from_str(salt, "KDF salt")?;
    Ok(JsSymmetricKey(vault_core::kdf::stretch(
        &password,
        &salt,
        &self::params(&params)?,
    )?))
}

/// The auth key and master KEK derived from a password.
#[wasm_bindgen]
pub struct MasterKeys(pub(crate) vault_core::MasterKeys);

#[wasm_bindgen]
impl MasterKeys {
    /// The auth key: the password input of SRP / OPAQUE. Never store it.
    #[wasm_bindgen(getter, js_name = authKey)]
    pub fn auth_key(&self) -> JsSymmetricKey {
        JsSymmetricKey(self.0.auth_key.clone())
    }

    /// The master KEK: unlocks the account (`Account.unlockWithKek`).
    #[wasm_bindgen(getter)]
    pub fn kek(&self) -> JsSymmetricKey {
        JsSymmetricKey(self.0.kek.clone())
    }
}

fn derive(
    password: String,
    secret_key: Option<&vault_core::SecretKey>,
    config: &JsValue,
    policy: &Option<JsValue>,
) -> Result<MasterKeys> {
    let password = crate::password::password(password)?;
    let config: KdfConfig = from_js(config, "KDF config")?;
    Ok(MasterKeys(vault_core::kdf::derive_master_keys(
        &password,
        secret_key,
        &config,
        &self::policy(policy)?,
    )?))
}

/// Derives the auth key and master KEK from a password and the account's KDF
/// config, after checking the params against `policy` (default policy if
/// omitted; `kdf_policy` if outside it). Slow (Argon2id).
#[wasm_bindgen(js_name = deriveMasterKeys)]
pub fn derive_master_keys(
    password: String,
    #[wasm_bindgen(unchecked_param_type = "KdfConfig")] config: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "KdfPolicy")] policy: Option<JsValue>,
) -> Result<MasterKeys> {
    derive(password, None, &config, &policy)
}

/// `deriveMasterKeys` with a Secret Key mixed in (two-secret key derivation).
#[wasm_bindgen(js_name = deriveMasterKeysWithSecretKey)]
pub fn derive_master_keys_with_secret_key(
    password: String,
    #[wasm_bindgen(js_name = "secretKey")] secret_key: &JsSecretKey,
    #[wasm_bindgen(unchecked_param_type = "KdfConfig")] config: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "KdfPolicy")] policy: Option<JsValue>,
) -> Result<MasterKeys> {
    derive(password, Some(&secret_key.0), &config, &policy)
}

/// The HKDF half of `deriveMasterKeys`, for a key already stretched (e.g. by
/// `stretch` in a worker) with the account's `salt`. Fast.
#[wasm_bindgen(js_name = masterKeysFromStretched)]
pub fn master_keys_from_stretched(
    stretched: &JsSymmetricKey,
    #[wasm_bindgen(unchecked_param_type = "Base64Url")] salt: &str,
) -> Result<MasterKeys> {
    let salt: KdfSalt = from_str(salt, "KDF salt")?;
    Ok(MasterKeys(vault_core::kdf::master_keys_from_stretched(
        &stretched.0,
        None,
        &salt,
    )))
}

/// `masterKeysFromStretched` with a Secret Key mixed in.
#[wasm_bindgen(js_name = masterKeysFromStretchedWithSecretKey)]
pub fn master_keys_from_stretched_with_secret_key(
    stretched: &JsSymmetricKey,
    #[wasm_bindgen(js_name = "secretKey")] secret_key: &JsSecretKey,
    #[wasm_bindgen(unchecked_param_type = "Base64Url")] salt: &str,
) -> Result<MasterKeys> {
    let salt: KdfSalt = from_str(salt, "KDF salt")?;
    Ok(MasterKeys(vault_core::kdf::master_keys_from_stretched(
        &stretched.0,
        Some(&secret_key.0),
        &salt,
    )))
}
