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
use vault_core::{AccountId, Algorithm, Context, Envelope, ItemId, VaultId};

/// A context as a JS object: `{ kind: 'item_details', vault, item, revision }`…
#[derive(serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum ContextJs {
    AccountKey {
        account: AccountId,
    },
    IdentityKeys {
        account: AccountId,
    },
    VaultKey {
        account: AccountId,
        vault: VaultId,
        key_version: u32,
    },
    VaultMeta {
        vault: VaultId,
        key_version: u32,
    },
    ItemKey {
        vault: VaultId,
        item: ItemId,
        key_version: u32,
    },
    ItemOverview {
        vault: VaultId,
        item: ItemId,
        revision: u64,
    },
    ItemDetails {
        vault: VaultId,
        item: ItemId,
        revision: u64,
    },
}

impl From<ContextJs> for Context {
    fn from(c: ContextJs) -> Self {
        match c {
            ContextJs::AccountKey { account } => Context::AccountKey { account },
            ContextJs::IdentityKeys { account } => Context::IdentityKeys { account },
            ContextJs::VaultKey {
                account,
                vault,
                key_version,
            } => Context::VaultKey {
                account,
                vault,
                key_version,
            },
            ContextJs::VaultMeta { vault, key_version } => {
                Context::VaultMeta { vault, key_version }
            }
            ContextJs::ItemKey {
                vault,
                item,
                key_version,
            } => Context::ItemKey {
                vault,
                item,
                key_version,
            },
            ContextJs::ItemOverview {
                vault,
                item,
                revision,
            } => Context::ItemOverview {
                vault,
                item,
                revision,
            },
            ContextJs::ItemDetails {
                vault,
                item,
                revision,
            } => Context::ItemDetails {
                vault,
                item,
                revision,
            },
        }
    }
}

pub(crate) fn context(env: &Env, v: Unknown<'_>) -> Result<Context> {
    from_js::<ContextJs>(env, v, "context").map(Context::from)
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
        ctx.aad_bytes(vault_core::envelope::ENVELOPE_VERSION, alg),
    ))
}
