//! Quick unlock without the master password: the account key wrapped under a
//! **device key** that the platform keystore guards (Face ID / fingerprint,
//! Android Keystore with BiometricPrompt, the OS keychain), or under a
//! **PIN**-derived key. Both wraps stay on the device that made them: they are
//! never uploaded, deleting one is always possible, and the password path
//! keeps working whatever happens to them.
//!
//! ```text
//! DeviceUnlock  = Envelope(device key,                  Context::DeviceUnlock{account, device, generation}, account key)
//! PinUnlock     = Envelope(HKDF(Argon2id(PIN) [, device secret]), Context::PinUnlock{…},            account key)
//!                 + its own KDF params and salt, an attempt limit and counter
//! ```
//!
//! Each wrap names the account key generation it holds: after an account
//! key rotation (or if a server replays an older account record) it fails
//! with [`Error::StaleWrap`] and the app falls back to the password.
//!
//! # What a PIN is worth
//!
//! A 6-digit PIN has 10⁶ values. Anyone who copies the PIN wrap off the
//! device can try them all offline at the cost of one Argon2id per guess:
//! with the default PIN params (64 MiB, t=3) about 0.15 s per core, so the
//! whole space in about 42 core-hours. The attempt counter ([`PinUnlock`])
//! stops guessing through the app, not a copy of its storage. Pass a
//! **device secret** held by the hardware keystore (Secure Enclave,
//! StrongBox/TEE, TPM) to [`UnlockedAccount::enable_pin_unlock`]: the
//! guessing then has to happen on the device, at the keystore's pace, and a
//! copy of the storage alone is useless. `docs/protocol.md` §12 has the numbers.

use crate::account::{EncryptedAccount, UnlockedAccount};
use crate::context::Context;
use crate::envelope::Envelope;
use crate::error::{Error, Result};
use crate::ids::{AccountId, DeviceId};
use crate::kdf::{self, KdfConfig, KdfParams, KdfPolicy, KdfSalt};
use crate::secret::SymmetricKey;

/// Layout version of [`DeviceUnlock`] and [`PinUnlock`].
pub const QUICK_UNLOCK_VERSION: u8 = 1;

/// Fewest characters a PIN may have.
pub const MIN_PIN_LEN: usize = 4;

/// The account key wrapped under a device key. Keep it on the device (it is
/// not secret, but it is useless anywhere else); keep the device key in the
/// platform keystore behind biometry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeviceUnlock {
    /// Layout version ([`QUICK_UNLOCK_VERSION`]).
    pub v: u8,
    /// The account.
    pub account: AccountId,
    /// The device that holds it.
    pub device: DeviceId,
    /// Account key generation it holds.
    pub generation: u32,
    /// The account key, sealed with [`Context::DeviceUnlock`].
    pub wrapped: Envelope,
}

/// The account key wrapped under a PIN-derived key, with the PIN's own
/// Argon2id params and an attempt limit. Stored on the device only.
///
/// The counter is part of the record: persist the record after every
/// [`PinUnlock::unlock`], whatever it returned. After `max_attempts` wrong
/// PINs in a row the wrap is erased, so only the password (or another
/// unlocked session) can set a PIN again.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "PinUnlockRecord"))]
pub struct PinUnlock {
    /// Layout version ([`QUICK_UNLOCK_VERSION`]).
    pub v: u8,
    /// The account.
    pub account: AccountId,
    /// The device that holds it.
    pub device: DeviceId,
    /// Account key generation it holds.
    pub generation: u32,
    /// Argon2id params and salt for the PIN.
    pub kdf: KdfConfig,
    /// Whether a device secret from the keystore is mixed into the key.
    pub device_bound: bool,
    /// Wrong PINs allowed in a row before the wrap is erased (1..=100).
    pub max_attempts: u8,
    /// Wrong PINs so far (reset by a right one).
    pub failed_attempts: u8,
    /// The account key, sealed with [`Context::PinUnlock`]; `None` once erased.
    pub wrapped: Option<Envelope>,
}

impl UnlockedAccount {
    /// Sets up device quick unlock with a fresh random device key. Store the
    /// key in the platform keystore (behind biometry) and the returned record
    /// beside the app's data; nothing goes to the server.
    ///
    /// ```
    /// use vault_core::{DeviceId, KdfParams, UnlockedAccount};
    /// let mut rng = vault_core::rng::os_rng();
    /// let (acct, creds) = UnlockedAccount::create("pw", None, KdfParams::INSECURE_TEST_ONLY, &mut rng)?;
    /// let (device_key, wrap) = acct.enable_device_unlock(DeviceId::generate(&mut rng), &mut rng)?;
    /// let again = wrap.unlock(&device_key, &creds.encrypted)?;
    /// assert_eq!(again.account_id(), acct.account_id());
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn enable_device_unlock(
        &self,
        device: DeviceId,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(SymmetricKey, DeviceUnlock)> {
        let device_key = SymmetricKey::generate(rng);
        let wrap = self.device_unlock_with_key(device, &device_key, rng)?;
        Ok((device_key, wrap))
    }

    /// Sets up device quick unlock under a device key the app already has.
    pub fn device_unlock_with_key(
        &self,
        device: DeviceId,
        device_key: &SymmetricKey,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<DeviceUnlock> {
        let ctx = Context::DeviceUnlock {
            account: self.account,
            device,
            generation: self.generation,
        };
        Ok(DeviceUnlock {
            v: QUICK_UNLOCK_VERSION,
            account: self.account,
            device,
            generation: self.generation,
            wrapped: Envelope::seal(device_key, &ctx, self.account_key.expose_secret(), rng)?,
        })
    }

    /// Sets up PIN unlock: Argon2id over the PIN with `params` (their own,
    /// not the password's) and a fresh salt, optionally mixed with a
    /// `device_secret` the hardware keystore holds (strongly advised, see the
    /// module docs). `max_attempts` wrong PINs in a row erase the wrap.
    ///
    /// ```
    /// use vault_core::{DeviceId, KdfParams, KdfPolicy, UnlockedAccount};
    /// let mut rng = vault_core::rng::os_rng();
    /// let (acct, creds) = UnlockedAccount::create("pw", None, KdfParams::INSECURE_TEST_ONLY, &mut rng)?;
    /// let device = DeviceId::generate(&mut rng);
    /// let mut pin = acct.enable_pin_unlock(device, "482913", KdfParams::INSECURE_TEST_ONLY, None, 2, &mut rng)?;
    /// let policy = KdfPolicy::PERMISSIVE_TEST_ONLY;
    /// assert_eq!(pin.unlock("000000", None, &creds.encrypted, &policy).unwrap_err().code(), "authentication_failed");
    /// assert!(pin.unlock("482913", None, &creds.encrypted, &policy).is_ok()); // resets the counter
    /// pin.unlock("111111", None, &creds.encrypted, &policy).unwrap_err();
    /// let e = pin.unlock("222222", None, &creds.encrypted, &policy).unwrap_err();
    /// assert_eq!(e.code(), "locked_out"); // the wrap is gone: password only
    /// assert!(pin.unlock("482913", None, &creds.encrypted, &policy).is_err());
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn enable_pin_unlock(
        &self,
        device: DeviceId,
        pin: &(impl kdf::Password + ?Sized),
        params: KdfParams,
        device_secret: Option<&SymmetricKey>,
        max_attempts: u8,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<PinUnlock> {
        if pin.to_nfkd().chars().count() < MIN_PIN_LEN {
            return Err(Error::InvalidArgument("a PIN has at least 4 characters"));
        }
        if !(1..=100).contains(&max_attempts) {
            return Err(Error::InvalidArgument("max_attempts is 1..=100"));
        }
        let kdf = KdfConfig {
            params,
            salt: KdfSalt::generate(rng),
        };
        // Our own params are checked only against what Argon2 can run.
        let key = pin_key(pin, device_secret, &kdf, &KdfPolicy::PERMISSIVE_TEST_ONLY)?;
        let ctx = Context::PinUnlock {
            account: self.account,
            device,
            generation: self.generation,
        };
        Ok(PinUnlock {
            v: QUICK_UNLOCK_VERSION,
            account: self.account,
            device,
            generation: self.generation,
            kdf,
            device_bound: device_secret.is_some(),
            max_attempts,
            failed_attempts: 0,
            wrapped: Some(Envelope::seal(
                &key,
                &ctx,
                self.account_key.expose_secret(),
                rng,
            )?),
        })
    }
}

/// Argon2id over the PIN, then HKDF with the device secret (if any) as salt.
fn pin_key(
    pin: &(impl kdf::Password + ?Sized),
    device_secret: Option<&SymmetricKey>,
    kdf: &KdfConfig,
    policy: &KdfPolicy,
) -> Result<SymmetricKey> {
    policy.check(&kdf.params)?;
    let stretched = kdf::stretch(pin, &kdf.salt, &kdf.params)?;
    let salt = device_secret.map(|s| &s.expose_secret()[..]);
    Ok(kdf::hkdf_sha256(
        salt,
        stretched.expose_secret(),
        b"VLT1 pin-unlock",
    ))
}

/// Checks that a local wrap belongs to `record` and holds its current key.
fn check_wrap(
    what: &'static str,
    v: u8,
    account: AccountId,
    generation: u32,
    record: &EncryptedAccount,
) -> Result<()> {
    if v != QUICK_UNLOCK_VERSION {
        return Err(Error::UnsupportedVersion { what, version: v });
    }
    if account != record.account {
        return Err(Error::InvalidArgument(
            "the wrap belongs to another account",
        ));
    }
    if generation != record.key_generation {
        return Err(Error::StaleWrap(what));
    }
    Ok(())
}

impl DeviceUnlock {
    /// Unlocks `record` with the device key from the keystore.
    pub fn unlock(
        &self,
        device_key: &SymmetricKey,
        record: &EncryptedAccount,
    ) -> Result<UnlockedAccount> {
        check_wrap(
            "device unlock",
            self.v,
            self.account,
            self.generation,
            record,
        )?;
        let ctx = Context::DeviceUnlock {
            account: self.account,
            device: self.device,
            generation: self.generation,
        };
        let account_key = self.wrapped.open_key(device_key, &ctx)?;
        record.unlock_with_account_key(account_key)
    }

    /// Parses a stored record, rejecting unknown fields and versions.
    pub fn from_json(json: &str) -> Result<Self> {
        let w: DeviceUnlock = crate::encoding::json_from_str(json)
            .map_err(|_| Error::malformed("device unlock", "invalid JSON"))?;
        if w.v != QUICK_UNLOCK_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "device unlock",
                version: w.v,
            });
        }
        Ok(w)
    }
}

impl PinUnlock {
    /// Unlocks `record` with the PIN (and the device secret if the wrap was
    /// made with one). Counts the attempt first; a right PIN resets the
    /// count, the `max_attempts`-th wrong one in a row erases the wrap and
    /// returns [`Error::LockedOut`]. Persist `self` after every call.
    ///
    /// The stored PIN params are checked against `policy` (a ceiling: a
    /// tampered record must not make the app burn minutes or gigabytes).
    pub fn unlock(
        &mut self,
        pin: &(impl kdf::Password + ?Sized),
        device_secret: Option<&SymmetricKey>,
        record: &EncryptedAccount,
        policy: &KdfPolicy,
    ) -> Result<UnlockedAccount> {
        check_wrap("PIN unlock", self.v, self.account, self.generation, record)?;
        let Some(wrapped) = self.wrapped.as_ref() else {
            return Err(Error::LockedOut);
        };
        if self.device_bound != device_secret.is_some() {
            return Err(Error::InvalidArgument(if self.device_bound {
                "this PIN unlock needs its device secret"
            } else {
                "this PIN unlock takes no device secret"
            }));
        }
        let key = pin_key(pin, device_secret, &self.kdf, policy)?;
        let ctx = Context::PinUnlock {
            account: self.account,
            device: self.device,
            generation: self.generation,
        };
        match wrapped.open_key(&key, &ctx) {
            Ok(account_key) => {
                self.failed_attempts = 0;
                record.unlock_with_account_key(account_key)
            }
            Err(_) => {
                self.failed_attempts = self.failed_attempts.saturating_add(1);
                if self.failed_attempts >= self.max_attempts {
                    self.wrapped = None;
                    Err(Error::LockedOut)
                } else {
                    Err(Error::AuthenticationFailed)
                }
            }
        }
    }

    /// Wrong PINs left before the wrap is erased (0 once it is).
    pub fn remaining_attempts(&self) -> u8 {
        if self.wrapped.is_none() {
            0
        } else {
            self.max_attempts.saturating_sub(self.failed_attempts)
        }
    }

    /// Parses a stored record, rejecting unknown fields and versions.
    pub fn from_json(json: &str) -> Result<Self> {
        let w: PinUnlock = crate::encoding::json_from_str(json)
            .map_err(|_| Error::malformed("PIN unlock", "invalid JSON"))?;
        if w.v != QUICK_UNLOCK_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "PIN unlock",
                version: w.v,
            });
        }
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::os_rng;

    fn account() -> (UnlockedAccount, EncryptedAccount) {
        let mut rng = os_rng();
        let (a, c) = UnlockedAccount::create("pw", None, KdfParams::INSECURE_TEST_ONLY, &mut rng)
            .unwrap_or_else(|_| unreachable!());
        (a, c.encrypted)
    }

    #[test]
    fn device_wrap_needs_its_key_and_device() -> Result<()> {
        let mut rng = os_rng();
        let (acct, record) = account();
        let device = DeviceId::generate(&mut rng);
        let (key, wrap) = acct.enable_device_unlock(device, &mut rng)?;
        assert_eq!(
            wrap.unlock(&key, &record)?.account_key(),
            acct.account_key()
        );
        assert!(matches!(
            wrap.unlock(&SymmetricKey::generate(&mut rng), &record),
            Err(Error::Decrypt)
        ));
        // Moved to another device id: the bound context no longer matches.
        let mut moved = wrap.clone();
        moved.device = DeviceId::generate(&mut rng);
        assert!(matches!(moved.unlock(&key, &record), Err(Error::Decrypt)));
        // Relabelled to another generation: refused before decrypting.
        let mut relabelled = wrap.clone();
        relabelled.generation = 2;
        assert!(matches!(
            relabelled.unlock(&key, &record),
            Err(Error::StaleWrap(_))
        ));
        let json = serde_json::to_string(&wrap).map_err(|_| Error::Decrypt)?;
        assert_eq!(DeviceUnlock::from_json(&json)?, wrap);
        Ok(())
    }

    #[test]
    fn pin_device_binding_is_required() -> Result<()> {
        let mut rng = os_rng();
        let (acct, record) = account();
        let secret = SymmetricKey::generate(&mut rng);
        let device = DeviceId::generate(&mut rng);
        let policy = KdfPolicy::PERMISSIVE_TEST_ONLY;
        let mut pin = acct.enable_pin_unlock(
            device,
            "1234",
            KdfParams::INSECURE_TEST_ONLY,
            Some(&secret),
            5,
            &mut rng,
        )?;
        assert!(matches!(
            pin.unlock("1234", None, &record, &policy),
            Err(Error::InvalidArgument(_))
        ));
        let other = SymmetricKey::generate(&mut rng);
        assert!(matches!(
            pin.unlock("1234", Some(&other), &record, &policy),
            Err(Error::AuthenticationFailed)
        ));
        assert_eq!(pin.remaining_attempts(), 4);
        pin.unlock("1234", Some(&secret), &record, &policy)?;
        assert_eq!(pin.remaining_attempts(), 5);
        assert!(
            acct.enable_pin_unlock(
                device,
                "123",
                KdfParams::INSECURE_TEST_ONLY,
                None,
                5,
                &mut rng
            )
            .is_err()
        );
        Ok(())
    }
}
