//! Passwords: NFKD by the JavaScript engine, verified by vault-core.
//!
//! The KDF hashes a password's NFKD form (`docs/format.md` §1.2). Instead of
//! shipping Unicode's decomposition tables in the module (about 100 KB), the
//! binding asks the engine (`String.prototype.normalize("NFKD")`) and
//! vault-core's [`NfkdPassword::from_normalizer`] proves the answer equal to
//! what its own tables would give (ASCII passwords skip the engine; a
//! password whose characters the engine's and the tables' Unicode versions
//! treat differently is refused with `invalid_argument`, never hashed
//! differently). Every export that takes a password goes through [`password`],
//! so the module links only vault-core's small quick-check tables.

use crate::error::Result;
use vault_core::kdf::NfkdPassword;
use zeroize::Zeroizing;

/// NFKD by the JS engine.
fn js_nfkd(s: &str) -> String {
    String::from(js_sys::JsString::from(s).normalize("NFKD"))
}

/// A password from JS, normalised and verified (the Rust copy is wiped).
pub(crate) fn password(password: String) -> Result<NfkdPassword> {
    let password = Zeroizing::new(password);
    Ok(NfkdPassword::from_normalizer(&password, js_nfkd)?)
}
