//! Generator of the JSON test vectors in `test-vectors/*.json`.
//!
//! Every vector is produced by vault-core itself with randomness from
//! [`vault_core::hazmat::seeded_rng`] (seed in the vector) or an explicit nonce,
//! so any binding can reproduce it byte for byte through the same deterministic
//! entry points. Failure vectors are named `fail_*` and carry the stable error
//! code ([`vault_core::Error::code`]) that decoding must produce.
//!
//! `cargo run -p vault-test-vectors` rewrites the files; the `drift` test fails
//! when the committed files differ from what this generator produces.

// A developer tool over JSON values it builds itself: indexing a `Value` it
// just constructed cannot meet outside input.
#![allow(clippy::indexing_slicing)]

mod ed25519;
mod identifiers;
mod keys;
mod lifecycle;
mod login;
mod sync;
mod vaults;

use keys::*;
use login::*;
use vaults::*;

use serde_json::{Value, json};
use vault_core::*;

/// One vector file: its name (without `.json`) and its content.
pub struct VectorFile {
    /// File stem, e.g. `envelope`.
    pub name: &'static str,
    /// The JSON document.
    pub doc: Value,
}

/// A 32-byte seed made from a label, so vectors are stable and distinct.
pub fn seed(label: &str) -> [u8; 32] {
    let mut s = [0u8; 32];
    for (i, b) in label.bytes().enumerate() {
        if let Some(slot) = s.get_mut(i % 32) {
            *slot ^= b.rotate_left((i / 32) as u32);
        }
    }
    s
}

fn hx(b: &[u8]) -> String {
    hex::encode(b)
}

fn err_code<T>(r: Result<T>) -> String {
    match r {
        Ok(_) => "NO ERROR".to_owned(),
        Err(e) => e.code().to_owned(),
    }
}

fn file(name: &'static str, description: &str, vectors: Vec<Value>) -> VectorFile {
    VectorFile {
        name,
        doc: json!({
            "operation": name,
            "format_version": 1,
            "description": description,
            "vectors": vectors,
        }),
    }
}

/// Small but non-trivial Argon2id parameters so vectors compute quickly everywhere.
pub const VECTOR_PARAMS: KdfParams = KdfParams {
    memory_kib: 256,
    iterations: 2,
    parallelism: 2,
};

/// Every vector file.
pub fn generate_all() -> Result<Vec<VectorFile>> {
    Ok(vec![
        kdf_vectors()?,
        hkdf_vectors(),
        envelope_vectors()?,
        secret_key_vectors(),
        account_vectors()?,
        vault_vectors()?,
        item_vectors()?,
        list_vectors()?,
        grant_vectors()?,
        fingerprint_vectors()?,
        shamir_vectors()?,
        srp_vectors()?,
        opaque_vectors()?,
        prelogin_vectors()?,
        lifecycle::lifecycle_vectors()?,
        ed25519::ed25519_vectors()?,
        identifiers::identifier_vectors()?,
        sync::sync_vectors()?,
    ])
}
