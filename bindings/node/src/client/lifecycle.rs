//! Account lifecycle: the recovery kit, account key rotation, and recovering
//! an account whose password is forgotten.

use super::{Entry, VaultClient, enter, kdf_arg, run, run_json};
use crate::convert::Opts;
use crate::error::{Failure, OrNapi, OrThrow, Result};
use crate::shamir::Share;
use napi::bindgen_prelude::{ClassInstance, Either, Object, PromiseRaw};
use napi::{Env, JsString, Unknown, ValueType};
use napi_derive::napi;
use vault_core::{KdfParams, RecoveryKey, SecretString};
use zeroize::Zeroizing;

/// `recover`'s `kdf`: absent keeps the account's KDF params.
fn kdf_opt(env: &Env, kdf: Option<Unknown<'_>>) -> Result<Option<KdfParams>> {
    match kdf {
        Some(v)
            if !matches!(
                v.get_type().or_napi()?,
                ValueType::Undefined | ValueType::Null
            ) =>
        {
            kdf_arg(env, Some(v)).map(Some)
        }
        _ => Ok(None),
    }
}

/// A recovery key as the user holds it: the kit's 24 words, or shares of a
/// split kit (`Share` handles or their `VS1-…` text). Copied out of the JS
/// values at once; parsed by vault-core on the runtime.
enum KitInput {
    Words(Zeroizing<String>),
    Shares(Vec<ShareInput>),
}

enum ShareInput {
    Text(Zeroizing<String>),
    Parsed(vault_core::Share),
}

impl KitInput {
    fn read(v: Either<String, Vec<Either<String, ClassInstance<'_, Share>>>>) -> Self {
        match v {
            Either::A(words) => KitInput::Words(Zeroizing::new(words)),
            Either::B(shares) => KitInput::Shares(
                shares
                    .into_iter()
                    .map(|s| match s {
                        Either::A(text) => ShareInput::Text(Zeroizing::new(text)),
                        Either::B(share) => ShareInput::Parsed(share.inner.clone()),
                    })
                    .collect(),
            ),
        }
    }

    /// The recovery key (`malformed` / `checksum` for words that do not
    /// parse, `shamir` for shares that do not join).
    fn key(self) -> std::result::Result<RecoveryKey, Failure> {
        let key = match self {
            KitInput::Words(w) => RecoveryKey::from_words(&w),
            KitInput::Shares(shares) => shares
                .into_iter()
                .map(|s| match s {
                    ShareInput::Text(t) => vault_core::Share::from_text(&t),
                    ShareInput::Parsed(s) => Ok(s),
                })
                .collect::<vault_core::Result<Vec<_>>>()
                .and_then(|shares| RecoveryKey::combine(&shares)),
        };
        Ok(key.or_throw()?)
    }
}

#[napi]
impl VaultClient {
    /// Makes a new recovery kit and stores its wrap on the server (any older
    /// kit's words stop working). Logs in again with `password` first (the
    /// server wants a recent login before anything that could reset the
    /// password). Resolves with the kit's 24 words: show them to the user
    /// once, never store them. They let `recover` set a new password on a
    /// forgotten one.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn create_recovery_kit<'e>(
        &self,
        env: &'e Env,
        password: String,
    ) -> Result<PromiseRaw<'e, JsString<'e>>> {
        let password = Zeroizing::new(password);
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let mut st = inner.state.lock().await;
                let key = st.unlocked()?.create_recovery_kit(&password).await?;
                Ok(key.to_words())
            },
            |env, words: SecretString| env.create_string(words.expose_secret()).or_napi(),
        )
    }

    /// Whether the server holds a recovery kit for the account's current
    /// key generation (online).
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn has_recovery_kit<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, bool>> {
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let mut st = inner.state.lock().await;
                Ok(st.unlocked()?.has_recovery_kit().await?)
            },
            |_, b| Ok(b),
        )
    }

    /// Deletes the recovery kit on the server (after a fresh login with
    /// `password`). Resolves with whether there was one.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn remove_recovery_kit<'e>(
        &self,
        env: &'e Env,
        password: String,
    ) -> Result<PromiseRaw<'e, bool>> {
        let password = Zeroizing::new(password);
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let mut st = inner.state.lock().await;
                Ok(st.unlocked()?.remove_recovery_kit(&password).await?)
            },
            |_, b| Ok(b),
        )
    }

    /// Rotates the account key after a suspected compromise: logs in again
    /// with `password`, syncs, re-wraps every vault key and the identity
    /// keys under a fresh account key, and has the server apply the change
    /// in one step (it ends every other session: other devices log in
    /// again). Items are not re-encrypted. Old recovery kits (and device or
    /// PIN wraps) stop working; with `newRecoveryKit: true` a new kit is
    /// made in the same step and its 24 words are the result (show them
    /// once), otherwise `null`.
    #[napi(
        ts_args_type = "password: string, options?: { newRecoveryKit?: boolean }",
        ts_return_type = "Promise<string | null>"
    )]
    pub fn rotate_account_key<'e>(
        &self,
        env: &'e Env,
        password: String,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'e, Option<JsString<'e>>>> {
        let password = Zeroizing::new(password);
        let new_kit = Opts::new(options)
            .get::<bool>("newRecoveryKit")?
            .unwrap_or(false);
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let mut st = inner.state.lock().await;
                let kit = st
                    .unlocked()?
                    .rotate_account_key(&password, new_kit)
                    .await?;
                Ok(kit.map(|k| k.to_words()))
            },
            |env, words: Option<SecretString>| {
                words
                    .map(|w| env.create_string(w.expose_secret()).or_napi())
                    .transpose()
            },
        )
    }

    /// Recovers an account whose password is forgotten, on this device
    /// (new or logged out, or already this account's): logs in with the
    /// recovery kit (`wordsOrShares`: its 24 words, or shares of a split kit
    /// as `Share` handles or `VS1-…` text), opens the account key from it,
    /// sets `newPassword` (with `kdf`, a preset name or `KdfParams`; absent
    /// keeps the account's) and unlocks. The server ends every other
    /// session. The kit stays valid. Words that do not parse reject with
    /// `malformed` / `checksum`, shares that do not join with `shamir`, a
    /// kit the server does not hold with `authentication_failed`.
    #[napi(
        ts_args_type = "server: string, identifier: string, wordsOrShares: string | Array<string | Share>, newPassword: string, kdf?: KdfParams | 'default' | 'constrained' | 'sensitive'",
        ts_return_type = "Promise<ClientStatus>"
    )]
    pub fn recover<'e>(
        &self,
        env: &'e Env,
        server: String,
        identifier: String,
        words_or_shares: Either<String, Vec<Either<String, ClassInstance<'_, Share>>>>,
        new_password: String,
        kdf: Option<Unknown<'_>>,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let kit = KitInput::read(words_or_shares);
        let new_password = Zeroizing::new(new_password);
        let params = kdf_opt(env, kdf)?;
        let inner = self.inner.clone();
        run_json(env, async move {
            let entry = Entry::Recover {
                server,
                identifier,
                key: kit.key()?,
                new_password,
                params,
            };
            enter(inner, entry).await
        })
    }
}
