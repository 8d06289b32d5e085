//! Identities, fingerprints and grant checks that need no account.

use crate::account::identity;
use crate::convert::{bytes_to_js, from_str, parse_with};
use crate::error::Result;
use vault_core::{VaultGrant, VaultId};
use wasm_bindgen::prelude::*;

/// Checks a public identity's self-signature and rejects low-order X25519
/// keys. Throws `bad_signature` or `invalid_peer_value`.
#[wasm_bindgen(js_name = verifyIdentity)]
pub fn verify_identity(
    #[wasm_bindgen(unchecked_param_type = "PublicIdentity | string")] identity: JsValue,
) -> Result<()> {
    Ok(self::identity(&identity, "public identity")?.verify()?)
}

/// The fingerprint of a public identity (six groups of five digits) that two
/// people compare out of band. Verify the identity first (`verifyIdentity`).
#[wasm_bindgen(js_name = identityFingerprint)]
pub fn identity_fingerprint(
    #[wasm_bindgen(unchecked_param_type = "PublicIdentity | string")] identity: JsValue,
) -> Result<String> {
    Ok(self::identity(&identity, "public identity")?.fingerprint())
}

/// Checks a grant is well formed and signed by `sender` (without opening it).
#[wasm_bindgen(js_name = verifyGrant)]
pub fn verify_grant(
    #[wasm_bindgen(unchecked_param_type = "VaultGrant | string")] grant: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PublicIdentity | string")] sender: JsValue,
) -> Result<()> {
    let grant = parse_with(&grant, "grant", VaultGrant::from_json)?;
    Ok(grant.verify(&identity(&sender, "sender identity")?)?)
}

/// The HPKE `info` a grant binds (vault, generation, sender, recipient and
/// their keys), for independent implementations and audits.
#[wasm_bindgen(js_name = grantHpkeInfo)]
pub fn grant_hpke_info(
    #[wasm_bindgen(js_name = "vaultId")] vault_id: &str,
    #[wasm_bindgen(js_name = "keyVersion")] key_version: u32,
    #[wasm_bindgen(unchecked_param_type = "PublicIdentity | string")] sender: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PublicIdentity | string")] recipient: JsValue,
) -> Result<js_sys::Uint8Array> {
    let vault: VaultId = from_str(vault_id, "vault id")?;
    let info = VaultGrant::hpke_info(
        &vault,
        key_version,
        &identity(&sender, "sender identity")?,
        &identity(&recipient, "recipient identity")?,
    );
    Ok(bytes_to_js(&info))
}
