//! Identities, fingerprints and grant checks (granting and opening live on
//! `UnlockedAccount`).

use crate::account::identity;
use crate::convert::{from_js, message, parse_id};
use crate::error::{OrThrow, Result};
use napi::bindgen_prelude::Buffer;
use napi::{Env, Unknown};
use napi_derive::napi;
use vault_core::{VaultGrant, VaultId};

/// Checks a public identity's self-signature (and that its X25519 key is not
/// low-order). Throws `bad_signature` for a forged or altered identity.
#[napi]
pub fn verify_identity(
    env: &Env,
    #[napi(ts_arg_type = "PublicIdentity")] identity_value: Unknown<'_>,
) -> Result<()> {
    identity(env, identity_value)?.verify().or_throw()
}

/// The fingerprint of a public identity: six groups of five digits that two
/// people compare out of band. (Verify the identity first.)
#[napi]
pub fn identity_fingerprint(
    env: &Env,
    #[napi(ts_arg_type = "PublicIdentity")] identity_value: Unknown<'_>,
) -> Result<String> {
    Ok(identity(env, identity_value)?.fingerprint())
}

/// Checks that a grant is well formed and signed by `sender` (e.g. a server
/// auditing a member list), without opening it.
#[napi]
pub fn verify_grant(
    env: &Env,
    #[napi(ts_arg_type = "VaultGrant | string")] grant: Unknown<'_>,
    #[napi(ts_arg_type = "PublicIdentity")] sender: Unknown<'_>,
) -> Result<()> {
    let grant = message(env, grant, "grant", VaultGrant::from_json)?;
    grant.verify(&identity(env, sender)?).or_throw()
}

/// The HPKE `info` a grant binds: `"VLT1 grant" || vault || key_version ||
/// sender || recipient || sender Ed25519 || recipient X25519` (for
/// independent implementations and tests).
#[napi]
pub fn grant_hpke_info(
    env: &Env,
    vault_id: String,
    key_version: u32,
    #[napi(ts_arg_type = "PublicIdentity")] sender: Unknown<'_>,
    #[napi(ts_arg_type = "PublicIdentity")] recipient: Unknown<'_>,
) -> Result<Buffer> {
    let vault: VaultId = parse_id(&vault_id)?;
    let s = identity(env, sender)?;
    let r = from_js(env, recipient, "public identity")?;
    Ok(Buffer::from(VaultGrant::hpke_info(
        &vault,
        key_version,
        &s,
        &r,
    )))
}
