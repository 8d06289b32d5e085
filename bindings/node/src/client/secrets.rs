//! `readSecret`: one secret by item name and field, offline.

use super::{VaultClient, run};
use crate::convert::Opts;
use crate::error::{OrNapi, Result};
use napi::bindgen_prelude::{Object, PromiseRaw};
use napi::{Env, JsString};
use napi_derive::napi;
use vault_core::SecretString;

#[napi]
impl VaultClient {
    /// Reads a secret offline from the replica (`sync()` first for the
    /// newest): the item is found by id, title (any case) or id prefix, as
    /// `vault get` finds it; `vault` (a vault id or name) narrows the
    /// search. Rejects with `not_found` when nothing matches and
    /// `ambiguous` when several items do. Without `field`: a login's
    /// password, an API-key item's value (when it has one entry;
    /// `ambiguous` with several), a secure note's text, a card's number, an
    /// SSH key's private key. With `field` (the names `vault get --field`
    /// takes: case, surrounding space and `-`/`_` do not matter): a field
    /// of the item's type by its JSON name or alias (`username`, `password`,
    /// `url`, `totp`, `code`, `private_key`, …), `title`, `notes`, `tags`,
    /// an API-key entry by its key (`env`: all of them as `KEY=VALUE`
    /// lines), or a custom field by name. The secret becomes a JS string.
    #[napi(
        ts_args_type = "title: string, options?: { vault?: string, field?: string }",
        ts_return_type = "Promise<string>"
    )]
    pub fn read_secret<'e>(
        &self,
        env: &'e Env,
        title: String,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'e, JsString<'e>>> {
        let opts = Opts::new(options);
        let vault_q: Option<String> = opts.get("vault")?;
        let field: Option<String> = opts.get("field")?;
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let mut st = inner.state.lock().await;
                let d = st.unlocked()?;
                let vault = vault_q.as_deref().map(|q| d.find_vault(q)).transpose()?;
                Ok(d.read_secret(&title, vault, field.as_deref())?)
            },
            |env, s: SecretString| env.create_string(s.expose_secret()).or_napi(),
        )
    }
}
