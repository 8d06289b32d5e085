//! An account's key material: creation, password unlock (offline), password
//! change by re-wrapping only.
//!
//! ```text
//! EncryptedAccount (server-storable, all public or wrapped)
//!   kdf: params + salt
//!   key_generation      = 1, +1 per account key rotation
//!   wrapped_account_key = Envelope(KEK,         Context::AccountKey (generation 1)
//!                                               or ::AccountKeyGeneration, account key)
//!   wrapped_identity    = Envelope(account key, Context::IdentityKeys, x25519 sk || ed25519 seed)
//!   public_identity     = self-signed public keys
//! ```

use crate::context::Context;
use crate::envelope::Envelope;
use crate::error::{Error, Result};
use crate::identity::{IdentityKeys, PublicIdentity};
use crate::ids::AccountId;
use crate::kdf::{self, KdfConfig, KdfParams, KdfPolicy, KdfSalt, MasterKeys};
use crate::secret::SymmetricKey;
use crate::secret_key::SecretKey;

/// Current version of the account record layout.
pub const ACCOUNT_VERSION: u8 = 1;

/// What the server stores for an account: public data and wrapped keys only.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EncryptedAccount {
    /// Record version ([`ACCOUNT_VERSION`]).
    pub v: u8,
    /// The account.
    pub account: AccountId,
    /// KDF params and salt for the password.
    pub kdf: KdfConfig,
    /// Generation of the account key: 1 at creation, +1 per rotation
    /// ([`UnlockedAccount::rotate_account_key`]). Bound into the wrap of the
    /// account key, so a record cannot be relabelled. Absent in JSON when 1.
    #[serde(
        default = "first_generation",
        skip_serializing_if = "is_first_generation"
    )]
    pub key_generation: u32,
    /// Account key under the master KEK.
    pub wrapped_account_key: Envelope,
    /// Identity private keys under the account key.
    pub wrapped_identity: Envelope,
    /// The self-signed public identity.
    pub public_identity: PublicIdentity,
}

fn first_generation() -> u32 {
    1
}
fn is_first_generation(g: &u32) -> bool {
    *g == 1
}

/// The context that wraps an account key of `generation` under the master
/// KEK: generation 1 keeps the original kind so older records stay readable.
pub(crate) fn account_key_context(account: AccountId, generation: u32) -> Context {
    if generation == 1 {
        Context::AccountKey { account }
    } else {
        Context::AccountKeyGeneration {
            account,
            generation,
        }
    }
}

/// An unlocked account: the account key and identity in memory.
#[derive(Clone, Debug)]
pub struct UnlockedAccount {
    pub(crate) account: AccountId,
    pub(crate) generation: u32,
    pub(crate) account_key: SymmetricKey,
    pub(crate) identity: IdentityKeys,
    pub(crate) public: PublicIdentity,
}

/// The result of creating an account or changing its password.
#[derive(Debug)]
pub struct NewCredentials {
    /// The record to upload.
    pub encrypted: EncryptedAccount,
    /// The auth key: feed it to the SRP / OPAQUE registration; never store it.
    pub auth_key: SymmetricKey,
}

impl UnlockedAccount {
    /// Creates a new account with fresh keys, wrapped under `password` (and the
    /// optional Secret Key) with `params`. Returns the unlocked account and the
    /// record for the server.
    ///
    /// ```
    /// use vault_core::{UnlockedAccount, KdfParams, KdfPolicy};
    /// let mut rng = vault_core::rng::os_rng();
    /// let (acct, creds) = UnlockedAccount::create("pw", None, KdfParams::INSECURE_TEST_ONLY, &mut rng).unwrap();
    /// let again = creds.encrypted.unlock("pw", None, &KdfPolicy::PERMISSIVE_TEST_ONLY).unwrap();
    /// assert_eq!(again.account_id(), acct.account_id());
    /// assert!(creds.encrypted.unlock("wrong", None, &KdfPolicy::PERMISSIVE_TEST_ONLY).is_err());
    /// ```
    pub fn create(
        password: &(impl kdf::Password + ?Sized),
        secret_key: Option<&SecretKey>,
        params: KdfParams,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(UnlockedAccount, NewCredentials)> {
        let account = AccountId::generate(rng);
        let account_key = SymmetricKey::generate(rng);
        let identity = IdentityKeys::generate(rng);
        let public = identity.public_identity(account);
        let acct = UnlockedAccount {
            account,
            generation: 1,
            account_key,
            identity,
            public,
        };
        let wrapped_identity = Envelope::seal(
            &acct.account_key,
            &Context::IdentityKeys { account },
            &acct.identity.to_secret_bytes()[..],
            rng,
        )?;
        let creds = acct.wrap_for_password(password, secret_key, params, wrapped_identity, rng)?;
        Ok((acct, creds))
    }

    pub(crate) fn wrap_for_password(
        &self,
        password: &(impl kdf::Password + ?Sized),
        secret_key: Option<&SecretKey>,
        params: KdfParams,
        wrapped_identity: Envelope,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<NewCredentials> {
        let kdf = KdfConfig {
            params,
            salt: KdfSalt::generate(rng),
        };
        // Our own choice of params is checked only against what Argon2 can run.
        let MasterKeys { auth_key, kek } =
            kdf::derive_master_keys(password, secret_key, &kdf, &KdfPolicy::PERMISSIVE_TEST_ONLY)?;
        let wrapped_account_key = Envelope::seal(
            &kek,
            &account_key_context(self.account, self.generation),
            self.account_key.expose_secret(),
            rng,
        )?;
        Ok(NewCredentials {
            encrypted: EncryptedAccount {
                v: ACCOUNT_VERSION,
                account: self.account,
                kdf,
                key_generation: self.generation,
                wrapped_account_key,
                wrapped_identity,
                public_identity: self.public.clone(),
            },
            auth_key,
        })
    }

    /// Changes the password: new salt (and params), the same account key
    /// re-wrapped. No vault or item is touched. Upload the new record together
    /// with the new SRP verifier / OPAQUE record in one request.
    pub fn change_password(
        &self,
        current: &EncryptedAccount,
        new_password: &(impl kdf::Password + ?Sized),
        secret_key: Option<&SecretKey>,
        params: KdfParams,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<NewCredentials> {
        if current.account != self.account {
            return Err(Error::InvalidArgument("record belongs to another account"));
        }
        if current.key_generation != self.generation {
            return Err(Error::StaleWrap("account record"));
        }
        self.wrap_for_password(
            new_password,
            secret_key,
            params,
            current.wrapped_identity.clone(),
            rng,
        )
    }

    /// This account's id.
    pub fn account_id(&self) -> AccountId {
        self.account
    }
    /// Generation of the account key in memory (1 until the first rotation).
    pub fn key_generation(&self) -> u32 {
        self.generation
    }
    /// This account's public identity (publish it in the directory).
    pub fn public_identity(&self) -> &PublicIdentity {
        &self.public
    }
    /// The identity fingerprint to read out to people you share with.
    pub fn fingerprint(&self) -> String {
        self.public.fingerprint()
    }
    /// The account key (explicit export, e.g. for a recovery kit).
    pub fn account_key(&self) -> &SymmetricKey {
        &self.account_key
    }
}

impl EncryptedAccount {
    /// Unlocks with the password (offline: no server needed). Checks the
    /// stored KDF params against `policy` first, since the record came from a server.
    pub fn unlock(
        &self,
        password: &(impl kdf::Password + ?Sized),
        secret_key: Option<&SecretKey>,
        policy: &KdfPolicy,
    ) -> Result<UnlockedAccount> {
        let keys = kdf::derive_master_keys(password, secret_key, &self.kdf, policy)?;
        self.unlock_with_kek(&keys.kek)
    }

    /// Unlocks with an already-derived master KEK.
    pub fn unlock_with_kek(&self, kek: &SymmetricKey) -> Result<UnlockedAccount> {
        self.check_generation()?;
        let account_key = self
            .wrapped_account_key
            .open_key(kek, &account_key_context(self.account, self.key_generation))?;
        self.unlock_with_account_key(account_key)
    }

    fn check_generation(&self) -> Result<()> {
        if self.key_generation == 0 {
            return Err(Error::malformed(
                "account record",
                "key generation starts at 1",
            ));
        }
        Ok(())
    }

    /// Unlocks with the account key itself (quick unlock, recovery). Fails
    /// with [`Error::Decrypt`] when the key is not this record's (for
    /// instance a key from before a rotation).
    pub fn unlock_with_account_key(&self, account_key: SymmetricKey) -> Result<UnlockedAccount> {
        self.check_generation()?;
        if self.v != ACCOUNT_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "account",
                version: self.v,
            });
        }
        if self.public_identity.account != self.account {
            return Err(Error::malformed(
                "account record",
                "public identity belongs to another account",
            ));
        }
        let raw = self.wrapped_identity.open(
            &account_key,
            &Context::IdentityKeys {
                account: self.account,
            },
        )?;
        let identity = IdentityKeys::parse_secret_bytes(&raw)?;
        let public = identity.public_identity(self.account);
        // The stored public identity must be the one these private keys make.
        if public.x25519 != self.public_identity.x25519
            || public.ed25519 != self.public_identity.ed25519
        {
            return Err(Error::Decrypt);
        }
        Ok(UnlockedAccount {
            account: self.account,
            generation: self.key_generation,
            account_key,
            identity,
            public: self.public_identity.clone(),
        })
    }

    /// Parses a record from JSON, rejecting unknown fields and versions.
    pub fn from_json(json: &str) -> Result<Self> {
        let a: EncryptedAccount = crate::encoding::json_from_str(json)
            .map_err(|_| Error::malformed("account record", "invalid JSON"))?;
        if a.v != ACCOUNT_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "account",
                version: a.v,
            });
        }
        Ok(a)
    }
}
