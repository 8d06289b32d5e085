//! Randomness, injected like in vault-core.
//!
//! Every export that draws random bytes takes an optional last argument
//! `rng?: Rng`. Left out, it is the operating system's CSPRNG (getrandom's
//! `wasm_js` backend: `crypto.getRandomValues`). An `Rng` handle is consumed
//! by the call it is passed to (wasm-bindgen cannot lend an optional handle),
//! so make one per call. The only other source is
//! `Rng.seeded(seed)`, a ChaCha20 stream for replaying test vectors, which
//! exists only in modules built with the `test-vectors` cargo feature.

use wasm_bindgen::prelude::*;

/// A source of random bytes for the exports that need one.
///
/// Production modules only have `Rng.os()` (the same as passing nothing).
/// Test builds (`test-vectors` feature) add `Rng.seeded(seed)`.
#[wasm_bindgen(js_name = Rng)]
pub struct JsRng {
    source: Source,
}

/// The generator itself: vault-core's [`AppRng`](vault_core::rng::AppRng)
/// (the OS CSPRNG, or with vault-core's `hazmat` feature a seeded ChaCha20),
/// the one type all three bindings wrap.
pub(crate) type Source = vault_core::rng::AppRng;

#[wasm_bindgen(js_class = Rng)]
impl JsRng {
    /// The operating system's CSPRNG (`crypto.getRandomValues`), which every
    /// export uses when no `rng` is passed.
    pub fn os() -> JsRng {
        JsRng {
            source: Source::os(),
        }
    }
}

#[cfg(feature = "test-vectors")]
#[wasm_bindgen(js_class = Rng)]
impl JsRng {
    /// TEST BUILDS ONLY: a deterministic ChaCha20 stream keyed by a 32-byte
    /// seed, as vault-core's `hazmat::seeded_rng`. Reproduces test vectors byte
    /// for byte; never use it for real keys.
    pub fn seeded(seed: &[u8]) -> crate::error::Result<JsRng> {
        let seed = crate::convert::fixed::<32>(seed, "a seed is 32 bytes")?;
        Ok(JsRng {
            source: Source::seeded(seed),
        })
    }
}

/// Runs `f` with the caller's RNG (consumed), or the OS RNG when none was passed.
pub(crate) fn with_rng<T>(rng: Option<JsRng>, f: impl FnOnce(&mut Source) -> T) -> T {
    match rng {
        Some(mut r) => f(&mut r.source),
        None => f(&mut Source::os()),
    }
}
