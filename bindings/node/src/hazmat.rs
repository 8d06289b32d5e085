//! Deterministic entry points for replaying `test-vectors/`, compiled only
//! with the `test-vectors` cargo feature (which enables `vault-core/hazmat`).
//! Exported as the `hazmat` namespace. **Never ship a build with this**: a
//! repeated nonce or a predictable RNG destroys confidentiality.

use crate::account::UnlockedAccount;
use crate::envelope::{algorithm, context};
use crate::error::{OrNapi, OrThrow, Result, invalid};
use crate::keys::SymmetricKey;
use crate::rng::{Rng, Source};
use napi::bindgen_prelude::{Buffer, Object};
use napi::{Env, Unknown};
use napi_derive::napi;

/// A ChaCha20 RNG keyed by a 32-byte seed: given a vector's seed, every
/// randomised function reproduces the vector byte for byte.
#[napi(namespace = "hazmat")]
pub fn seeded_rng(seed: Buffer) -> Result<Rng> {
    let seed: [u8; 32] = seed
        .as_ref()
        .try_into()
        .map_err(|_| invalid("a seed is 32 bytes"))?;
    Ok(Rng::from_source(Source::seeded(seed)))
}

/// Seals with a caller-chosen nonce: `{ bytes, text }` (binary and text form).
#[napi(
    namespace = "hazmat",
    ts_return_type = "{ bytes: Buffer, text: string }"
)]
pub fn seal_envelope_with_nonce<'e>(
    env: &'e Env,
    key: &SymmetricKey,
    #[napi(ts_arg_type = "EnvelopeContext")] ctx: Unknown<'_>,
    #[napi(ts_arg_type = "Algorithm")] alg: Unknown<'_>,
    nonce: Buffer,
    plaintext: Buffer,
) -> Result<Object<'e>> {
    let ctx = context(env, ctx)?;
    let alg = algorithm(env, alg)?;
    let e = vault_core::hazmat::seal_with_nonce(&key.inner, alg, &ctx, &nonce, &plaintext)
        .or_throw()?;
    let mut o = Object::new(env).or_napi()?;
    o.set("bytes", Buffer::from(e.as_bytes().to_vec()))
        .or_napi()?;
    o.set("text", e.to_text()).or_napi()?;
    Ok(o)
}

/// The identity private keys (`x25519 secret || ed25519 seed`, 64 bytes) of
/// an unlocked account, so tests can check them with `node:crypto`.
#[napi(namespace = "hazmat")]
pub fn export_identity_secrets(account: &UnlockedAccount) -> Buffer {
    Buffer::from(vault_core::hazmat::export_identity_secrets(&account.inner).to_vec())
}

/// The raw Ed25519 check of format.md §12: throws `invalid_peer_value` when
/// the public key does not decode, `bad_signature` for every other failure.
#[napi(namespace = "hazmat")]
pub fn ed25519_verify(public_key: Buffer, message: Buffer, signature: Buffer) -> Result<()> {
    vault_core::hazmat::primitives::ed25519_verify(&public_key, &message, &signature).or_throw()
}

/// Parses a sync wire message (`pull_request`, `pull_page`, `push_request`
/// or `push_response`) strictly, as the engine does, and returns its
/// canonical JSON text (protocol.md §9.4).
#[napi(namespace = "hazmat")]
pub fn sync_wire_canonical(message_type: String, json: String) -> Result<String> {
    use vault_core::sync::wire;
    match message_type.as_str() {
        "pull_request" => wire::PullRequest::from_json(&json).map(|m| m.to_json()),
        "pull_page" => wire::PullPage::from_json(&json).map(|m| m.to_json()),
        "push_request" => wire::PushRequest::from_json(&json).map(|m| m.to_json()),
        "push_response" => wire::PushResponse::from_json(&json).map(|m| m.to_json()),
        _ => return Err(invalid("unknown sync wire message type")),
    }
    .or_throw()
}
