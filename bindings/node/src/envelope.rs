//! The envelope format directly: seal and open under a key with an explicit
//! context (the key hierarchy uses these internally; apps with their own
//! data can too), and the associated-data bytes for independent decoders.

use crate::convert::{Opts, from_js};
use crate::error::{OrThrow, Result, malformed};
use crate::keys::SymmetricKey;
use crate::rng::{Rng, with_rng};
use napi::bindgen_prelude::{Buffer, ClassInstance, Either, Object};
use napi::{Env, Unknown};
use napi_derive::napi;
use vault_core::{Algorithm, Context, Envelope};

/// A context as a JS object in `vault_core::Context`'s JSON form:
/// `{ kind: 'item_details', vault, item, revision }`…
pub(crate) fn context(env: &Env, v: Unknown<'_>) -> Result<Context> {
    from_js(env, v, "context")
}

pub(crate) fn algorithm(env: &Env, v: Unknown<'_>) -> Result<Algorithm> {
    from_js(env, v, "algorithm")
}

/// Seals `plaintext` under `key`, binding `context`; returns the text form
/// (unpadded base64url). Options: `algorithm` (default
/// `'x-cha-cha20-poly1305'`), `rng`.
#[napi(
    ts_args_type = "key: SymmetricKey, context: EnvelopeContext, plaintext: Buffer, options?: { algorithm?: Algorithm, rng?: Rng }"
)]
pub fn seal_envelope(
    env: &Env,
    key: &SymmetricKey,
    ctx: Unknown<'_>,
    plaintext: Buffer,
    options: Option<Object<'_>>,
) -> Result<String> {
    let opts = Opts::new(options);
    let ctx = context(env, ctx)?;
    let alg: Algorithm = opts
        .get_de(env, "algorithm", "algorithm")?
        .unwrap_or_default();
    let mut rng = opts.get::<ClassInstance<'_, Rng>>("rng")?;
    let e = with_rng(rng.as_deref_mut(), |r| {
        Envelope::seal_with(&key.inner, alg, &ctx, &plaintext, r).or_throw()
    })?;
    Ok(e.to_text())
}

/// Parses an envelope (text form or binary) and opens it under `key` and
/// `context`. Any failure to authenticate is the single `decrypt` error.
#[napi]
pub fn open_envelope(
    env: &Env,
    key: &SymmetricKey,
    #[napi(ts_arg_type = "EnvelopeContext")] ctx: Unknown<'_>,
    envelope: Either<String, Buffer>,
) -> Result<Buffer> {
    let ctx = context(env, ctx)?;
    let e = parse(envelope)?;
    Ok(Buffer::from(e.open(&key.inner, &ctx).or_throw()?.to_vec()))
}

pub(crate) fn parse(envelope: Either<String, Buffer>) -> Result<Envelope> {
    match envelope {
        Either::A(text) => Envelope::from_text(&text).or_throw(),
        Either::B(bytes) => Envelope::from_bytes(bytes.to_vec()).or_throw(),
    }
}

/// The associated data an envelope of `algorithm` binds for `context`:
/// `"VLT1" || version || alg || kind || fields` (for independent decoders).
#[napi]
pub fn envelope_aad(
    env: &Env,
    #[napi(ts_arg_type = "EnvelopeContext")] ctx: Unknown<'_>,
    #[napi(ts_arg_type = "Algorithm")] alg: Unknown<'_>,
) -> Result<Buffer> {
    let ctx = context(env, ctx)?;
    let alg = algorithm(env, alg).map_err(|_| malformed("algorithm"))?;
    Ok(Buffer::from(
        ctx.aad_bytes(vault_core::envelope::ENVELOPE_VERSION, alg)
            .map_err(crate::error::throw)?,
    ))
}
