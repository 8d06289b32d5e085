//! Account key rotation, after a suspected compromise of the account key (a
//! stolen unlocked device, a leaked export).
//!
//! A fresh account key replaces the old one; the identity private keys and
//! every vault key this account holds under its account key are re-wrapped
//! under the new one, and the account key itself is wrapped under the same
//! password KEK with the next generation bound in
//! ([`Context::AccountKeyGeneration`]). The password, the KDF salt and the
//! SRP verifier / OPAQUE record do not change. The result is one change set,
//! [`AccountKeyRotation`], that the server applies all-or-nothing, and only
//! on top of the generation it was made from (so a replayed change set is
//! refused).
//!
//! What it does not do: vault keys and item keys stay the same, so someone
//! who already extracted *vault* keys keeps them; rotate those vaults too
//! ([`VaultKey::rotate`](crate::VaultKey::rotate)) when that is the fear.
//! Grants received from others are sealed to the identity key, which is
//! kept, so they stay valid. Device, PIN and recovery wraps of the old
//! generation stop working ([`Error::StaleWrap`]): make new ones.

use crate::account::{EncryptedAccount, UnlockedAccount, account_key_context};
use crate::context::Context;
use crate::envelope::Envelope;
use crate::error::{Error, Result};
use crate::kdf::{self, KdfPolicy};
use crate::secret::SymmetricKey;
use crate::secret_key::SecretKey;
use crate::vault::WrappedVaultKey;

/// The change set of one account key rotation: upload it in one request.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AccountKeyRotation {
    /// The generation it replaces: the server applies the change set only
    /// if this is still the current one.
    pub from_generation: u32,
    /// The new record: next generation, the new account key under the same
    /// KEK, the identity keys under the new account key.
    pub record: EncryptedAccount,
    /// Every vault key wrap of this account, re-wrapped under the new key
    /// (the same vaults and key versions as before).
    pub vault_keys: Vec<WrappedVaultKey>,
}

impl UnlockedAccount {
    /// Rotates the account key. `current` is the account record the server
    /// holds; `password` (and the Secret Key, if the account has one) proves
    /// the caller knows the password and gives the KEK that wraps the new
    /// key; `own_wraps` are all of this account's [`WrappedVaultKey`]s (every
    /// vault and key version). Returns the account unlocked under the new key
    /// and the change set to upload.
    ///
    /// ```
    /// use vault_core::{KdfParams, KdfPolicy, UnlockedAccount, VaultMeta};
    /// let mut rng = vault_core::rng::os_rng();
    /// let (acct, creds) = UnlockedAccount::create("pw", None, KdfParams::INSECURE_TEST_ONLY, &mut rng)?;
    /// let (key, _vault, wrapped) = acct.create_vault(&VaultMeta { name: "V".into(), ..Default::default() }, &mut rng)?;
    /// let policy = KdfPolicy::PERMISSIVE_TEST_ONLY;
    /// let (rotated, change) = acct.rotate_account_key(&creds.encrypted, "pw", None, &policy, &[wrapped.clone()], &mut rng)?;
    /// assert_eq!(change.record.key_generation, 2);
    /// // The same password opens the new record; the vault key survives.
    /// let again = change.record.unlock("pw", None, &policy)?;
    /// assert_eq!(again.unwrap_vault_key(&change.vault_keys[0])?, key);
    /// // The old account key opens none of the new wraps.
    /// assert!(acct.unwrap_vault_key(&change.vault_keys[0]).is_err());
    /// assert!(change.record.unlock_with_account_key(acct.account_key().clone()).is_err());
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn rotate_account_key(
        &self,
        current: &EncryptedAccount,
        password: &(impl kdf::Password + ?Sized),
        secret_key: Option<&SecretKey>,
        policy: &KdfPolicy,
        own_wraps: &[WrappedVaultKey],
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(UnlockedAccount, AccountKeyRotation)> {
        if current.account != self.account {
            return Err(Error::InvalidArgument("record belongs to another account"));
        }
        if current.key_generation != self.generation {
            return Err(Error::StaleWrap("account record"));
        }
        let next = self
            .generation
            .checked_add(1)
            .ok_or(Error::InvalidArgument("account key generation exhausted"))?;
        // The password must open the current record to the key in memory.
        let keys = kdf::derive_master_keys(password, secret_key, &current.kdf, policy)?;
        let stored = current
            .wrapped_account_key
            .open_key(
                &keys.kek,
                &account_key_context(self.account, self.generation),
            )
            .map_err(|_| Error::AuthenticationFailed)?;
        if stored != self.account_key {
            return Err(Error::StaleWrap("account record"));
        }

        let new = UnlockedAccount {
            account: self.account,
            generation: next,
            account_key: SymmetricKey::generate(rng),
            identity: self.identity.clone(),
            public: self.public.clone(),
        };
        let mut seen = std::collections::BTreeSet::new();
        let mut vault_keys = Vec::with_capacity(own_wraps.len());
        for w in own_wraps {
            if !seen.insert((w.vault, w.key_version)) {
                return Err(Error::InvalidArgument("a vault key wrap is listed twice"));
            }
            let key = self.unwrap_vault_key(w)?;
            vault_keys.push(new.wrap_vault_key(&key, rng)?);
        }
        let wrapped_identity = Envelope::seal(
            &new.account_key,
            &Context::IdentityKeys {
                account: self.account,
            },
            &new.identity.to_secret_bytes()[..],
            rng,
        )?;
        let record = EncryptedAccount {
            v: current.v,
            account: self.account,
            kdf: current.kdf,
            key_generation: next,
            wrapped_account_key: Envelope::seal(
                &keys.kek,
                &account_key_context(self.account, next),
                new.account_key.expose_secret(),
                rng,
            )?,
            wrapped_identity,
            public_identity: self.public.clone(),
        };
        Ok((
            new,
            AccountKeyRotation {
                from_generation: self.generation,
                record,
                vault_keys,
            },
        ))
    }
}

impl AccountKeyRotation {
    /// Parses a change set from JSON, rejecting unknown fields.
    pub fn from_json(json: &str) -> Result<Self> {
        crate::encoding::json_from_str(json)
            .map_err(|_| Error::malformed("account key rotation", "invalid JSON"))
    }

    /// The structural checks a server makes before applying the change set
    /// (it cannot check the cryptography, and need not: a wrong wrap only
    /// locks out the account's own owner). `current` is the stored record.
    pub fn check_against(&self, current: &EncryptedAccount) -> Result<()> {
        let r = &self.record;
        if r.account != current.account
            || self.vault_keys.iter().any(|w| w.account != current.account)
        {
            return Err(Error::InvalidArgument(
                "the change set names another account",
            ));
        }
        if self.from_generation != current.key_generation {
            return Err(Error::StaleWrap("account key rotation"));
        }
        if Some(r.key_generation) != current.key_generation.checked_add(1) {
            return Err(Error::InvalidArgument(
                "the new record must be the next generation",
            ));
        }
        if r.v != current.v || r.kdf != current.kdf || r.public_identity != current.public_identity
        {
            return Err(Error::InvalidArgument(
                "a rotation keeps the KDF settings and the public identity",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::os_rng;
    use crate::{DeviceId, KdfParams, VaultMeta};

    #[test]
    fn rotation_needs_the_password_and_outdates_every_old_wrap() -> Result<()> {
        let mut rng = os_rng();
        let policy = KdfPolicy::PERMISSIVE_TEST_ONLY;
        let (acct, creds) =
            UnlockedAccount::create("pw", None, KdfParams::INSECURE_TEST_ONLY, &mut rng)?;
        let record = creds.encrypted;
        let (_, _, wrapped) = acct.create_vault(&VaultMeta::default(), &mut rng)?;
        assert!(matches!(
            acct.rotate_account_key(&record, "nope", None, &policy, &[], &mut rng),
            Err(Error::AuthenticationFailed)
        ));
        assert!(matches!(
            acct.rotate_account_key(
                &record,
                "pw",
                None,
                &policy,
                &[wrapped.clone(), wrapped.clone()],
                &mut rng
            ),
            Err(Error::InvalidArgument(_))
        ));
        let (device_key, device) =
            acct.enable_device_unlock(DeviceId::generate(&mut rng), &mut rng)?;
        let (rk, recovery) = acct.create_recovery_kit(&mut rng)?;
        let (new, change) =
            acct.rotate_account_key(&record, "pw", None, &policy, &[wrapped], &mut rng)?;
        change.check_against(&record)?;
        assert_eq!(new.key_generation(), 2);
        assert_ne!(new.account_key(), acct.account_key());
        assert!(matches!(
            device.unlock(&device_key, &change.record),
            Err(Error::StaleWrap(_))
        ));
        assert!(matches!(
            recovery.recover(&rk, &change.record),
            Err(Error::StaleWrap(_))
        ));
        // Applying the same change set again (a replay) is refused.
        assert!(matches!(
            change.check_against(&change.record),
            Err(Error::StaleWrap(_))
        ));
        // The new generation's wrap cannot be relabelled as generation 1.
        let mut relabelled = change.record.clone();
        relabelled.key_generation = 1;
        assert!(matches!(
            relabelled.unlock("pw", None, &policy),
            Err(Error::Decrypt)
        ));
        // And it rotates again, to generation 3; password change keeps it.
        let (newer, change2) = new.rotate_account_key(
            &change.record,
            "pw",
            None,
            &policy,
            &change.vault_keys,
            &mut rng,
        )?;
        assert_eq!(newer.key_generation(), 3);
        let pw = newer.change_password(
            &change2.record,
            "pw2",
            None,
            KdfParams::INSECURE_TEST_ONLY,
            &mut rng,
        )?;
        assert_eq!(pw.encrypted.key_generation, 3);
        assert_eq!(
            pw.encrypted.unlock("pw2", None, &policy)?.account_key(),
            newer.account_key()
        );
        Ok(())
    }
}
