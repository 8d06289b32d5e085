//! The recovery kit: a random 256-bit **recovery key**, shown once as 24
//! BIP-39 words (the last word carries an 8-bit checksum), that wraps the
//! account key. The wrap is stored on the server; the key is not.
//!
//! ```text
//! recovery key (32 random bytes, printed as 24 words, optionally Shamir-split)
//!   ├─ HKDF "VLT1 recovery-wrap" → wraps the account key: Context::RecoveryKey{account, generation}
//!   └─ HKDF "VLT1 recovery-auth" → auth token; the server keeps only SHA-256(token)
//! ```
//!
//! Recovering after a forgotten password: the client derives the auth token
//! from the words and presents it (the server compares hashes in constant
//! time, and throttles like a login); the server answers with a session, the
//! account record and the recovery wrap; the client opens the wrap, unlocks
//! the account and sets a new password with
//! [`UnlockedAccount::change_password`] (new salt, new SRP verifier / OPAQUE
//! record, the same account key re-wrapped), after which the server revokes
//! every other session. The server learns nothing it could decrypt with: the
//! token is a one-way function of a 256-bit key, so its hash cannot be
//! guessed back either.
//!
//! A recovery key can be split with [`RecoveryKey::split`] (e.g. 2 of 3:
//! paper, a trusted person, a second device) and joined with
//! [`RecoveryKey::combine`].

use core::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::account::{EncryptedAccount, UnlockedAccount};
use crate::context::Context;
use crate::envelope::Envelope;
use crate::error::{Error, Result};
use crate::ids::AccountId;
use crate::kdf::hkdf_sha256;
use crate::secret::{SecretString, SymmetricKey};
use crate::shamir::{self, Share};

/// Layout version of [`RecoveryWrap`].
pub const RECOVERY_VERSION: u8 = 1;

/// Words in a recovery kit.
pub const RECOVERY_WORDS: usize = 24;

/// The recovery key. Zeroized on drop; `Debug` prints nothing of it.
///
/// ```
/// use vault_core::recovery::RecoveryKey;
/// let key = RecoveryKey::generate(&mut vault_core::rng::os_rng());
/// let words = key.to_words();
/// assert_eq!(words.expose_secret().split(' ').count(), 24);
/// assert_eq!(RecoveryKey::from_words(words.expose_secret())?, key);
/// assert_eq!(format!("{key:?}"), "RecoveryKey(<redacted>)");
/// # Ok::<(), vault_core::Error>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RecoveryKey(Box<[u8; 32]>);

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(<redacted>)")
    }
}
impl PartialEq for RecoveryKey {
    fn eq(&self, other: &Self) -> bool {
        self.0[..].ct_eq(&other.0[..]).into()
    }
}
impl Eq for RecoveryKey {}

impl RecoveryKey {
    /// A fresh random recovery key.
    pub fn generate(rng: &mut impl rand_core::CryptoRng) -> Self {
        let mut b = Box::new([0u8; 32]);
        rng.fill_bytes(&mut b[..]);
        RecoveryKey(b)
    }

    /// From raw bytes (test vectors, a combined split).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut bytes = Zeroizing::new(bytes);
        let mut b = Box::new([0u8; 32]);
        b.copy_from_slice(&bytes[..]);
        bytes.zeroize();
        RecoveryKey(b)
    }

    /// The raw bytes. Exposing them is explicit and greppable.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 24 BIP-39 English words, separated by single spaces.
    pub fn to_words(&self) -> SecretString {
        match bip39::Mnemonic::from_entropy_in(bip39::Language::English, &self.0[..]) {
            Ok(m) => {
                let mut out = String::with_capacity(24 * 9);
                for (i, w) in m.words().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(w);
                }
                SecretString::from(out)
            }
            // 32 bytes is a valid BIP-39 entropy length, so this cannot happen.
            Err(_) => SecretString::from(String::new()),
        }
    }

    /// Parses the words back. Case and runs of whitespace do not matter. A
    /// word outside the list or a wrong count is [`Error::Malformed`]; a
    /// checksum mismatch (a typo that swapped one valid word for another)
    /// is [`Error::Checksum`].
    pub fn from_words(text: &str) -> Result<Self> {
        // The count first: a kit cut short is a wrong count, not a typo.
        if text.split_whitespace().count() != RECOVERY_WORDS {
            return Err(Error::malformed(
                "recovery words",
                "a recovery kit has 24 words",
            ));
        }
        let norm = Zeroizing::new(
            text.split_whitespace()
                .map(str::to_ascii_lowercase)
                .collect::<Vec<_>>()
                .join(" "),
        );
        let m =
            bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &norm).map_err(|e| {
                match e {
                    bip39::Error::InvalidChecksum => Error::Checksum("recovery words"),
                    bip39::Error::BadWordCount(_) => {
                        Error::malformed("recovery words", "a recovery kit has 24 words")
                    }
                    _ => Error::malformed(
                        "recovery words",
                        "a word is not in the BIP-39 English list",
                    ),
                }
            })?;
        if m.word_count() != RECOVERY_WORDS {
            return Err(Error::malformed(
                "recovery words",
                "a recovery kit has 24 words",
            ));
        }
        let (entropy, len) = m.to_entropy_array();
        let entropy = Zeroizing::new(entropy);
        let bytes: [u8; 32] = entropy
            .get(..len)
            .and_then(|e| e.try_into().ok())
            .ok_or(Error::malformed("recovery words", "wrong length"))?;
        Ok(RecoveryKey::from_bytes(bytes))
    }

    /// Splits the key into `shares` Shamir shares, any `threshold` of which
    /// recover it (text form: [`Share::to_text`]).
    pub fn split(
        &self,
        threshold: u8,
        shares: u8,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<Vec<Share>> {
        shamir::split(&self.0[..], threshold, shares, rng)
    }

    /// Joins shares made by [`RecoveryKey::split`].
    pub fn combine(shares: &[Share]) -> Result<Self> {
        let secret = shamir::combine(shares)?;
        let bytes: [u8; 32] = secret
            .expose_secret()
            .try_into()
            .map_err(|_| Error::Shamir("the shares do not hold a recovery key"))?;
        Ok(RecoveryKey::from_bytes(bytes))
    }

    /// The token that proves knowledge of the key to the server.
    pub fn auth_token(&self) -> SymmetricKey {
        hkdf_sha256(None, &self.0[..], b"VLT1 recovery-auth")
    }

    fn wrap_key(&self) -> SymmetricKey {
        hkdf_sha256(None, &self.0[..], b"VLT1 recovery-wrap")
    }
}

/// What the server stores for a recovery kit: the account key under the
/// recovery key, and the hash of the auth token.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecoveryWrap {
    /// Layout version ([`RECOVERY_VERSION`]).
    pub v: u8,
    /// The account.
    pub account: AccountId,
    /// Account key generation it holds.
    pub generation: u32,
    /// The account key, sealed with [`Context::RecoveryKey`].
    pub wrapped: Envelope,
    /// SHA-256 of [`RecoveryKey::auth_token`].
    #[serde(with = "crate::encoding::b64_array")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    pub verifier: [u8; 32],
}

impl UnlockedAccount {
    /// Makes a recovery kit: a fresh key (show its words once, never store
    /// them) and the wrap to upload. A new kit replaces the old one on the
    /// server, which makes the old words useless.
    ///
    /// ```
    /// use vault_core::{KdfParams, UnlockedAccount};
    /// use vault_core::recovery::RecoveryKey;
    /// let mut rng = vault_core::rng::os_rng();
    /// let (acct, creds) = UnlockedAccount::create("forgotten", None, KdfParams::INSECURE_TEST_ONLY, &mut rng)?;
    /// let (key, wrap) = acct.create_recovery_kit(&mut rng)?;
    /// let words = key.to_words(); // printed once
    ///
    /// // Later, password forgotten:
    /// let key = RecoveryKey::from_words(words.expose_secret())?;
    /// assert!(wrap.check_auth_token(&key.auth_token()));        // what the server checks
    /// let acct = wrap.recover(&key, &creds.encrypted)?;
    /// let new = acct.change_password(&creds.encrypted, "remembered", None, KdfParams::INSECURE_TEST_ONLY, &mut rng)?;
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn create_recovery_kit(
        &self,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(RecoveryKey, RecoveryWrap)> {
        let key = RecoveryKey::generate(rng);
        let wrap = self.recovery_wrap(&key, rng)?;
        Ok((key, wrap))
    }

    /// Wraps this account key under an existing recovery key.
    pub fn recovery_wrap(
        &self,
        key: &RecoveryKey,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<RecoveryWrap> {
        let ctx = Context::RecoveryKey {
            account: self.account,
            generation: self.generation,
        };
        Ok(RecoveryWrap {
            v: RECOVERY_VERSION,
            account: self.account,
            generation: self.generation,
            wrapped: Envelope::seal(&key.wrap_key(), &ctx, self.account_key.expose_secret(), rng)?,
            verifier: verifier_of(&key.auth_token()),
        })
    }
}

fn verifier_of(token: &SymmetricKey) -> [u8; 32] {
    Sha256::digest(token.expose_secret()).into()
}

impl RecoveryWrap {
    /// Server side: whether `token` is the auth token of this kit's key
    /// (compared in constant time).
    pub fn check_auth_token(&self, token: &SymmetricKey) -> bool {
        verifier_of(token).ct_eq(&self.verifier).into()
    }

    /// Opens the wrap and unlocks `record` with the account key inside.
    /// A wrap of an older account key generation (a replay) is
    /// [`Error::StaleWrap`]; the wrong key is [`Error::Decrypt`].
    pub fn recover(&self, key: &RecoveryKey, record: &EncryptedAccount) -> Result<UnlockedAccount> {
        if self.v != RECOVERY_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "recovery wrap",
                version: self.v,
            });
        }
        if self.account != record.account {
            return Err(Error::InvalidArgument(
                "the recovery wrap belongs to another account",
            ));
        }
        if self.generation != record.key_generation {
            return Err(Error::StaleWrap("recovery kit"));
        }
        let ctx = Context::RecoveryKey {
            account: self.account,
            generation: self.generation,
        };
        let account_key = self.wrapped.open_key(&key.wrap_key(), &ctx)?;
        record.unlock_with_account_key(account_key)
    }

    /// Parses a wrap from JSON, rejecting unknown fields and versions.
    pub fn from_json(json: &str) -> Result<Self> {
        let w: RecoveryWrap = crate::encoding::json_from_str(json)
            .map_err(|_| Error::malformed("recovery wrap", "invalid JSON"))?;
        if w.v != RECOVERY_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "recovery wrap",
                version: w.v,
            });
        }
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KdfParams;
    use crate::rng::os_rng;

    #[test]
    fn words_reject_typos_and_garbage() -> Result<()> {
        let key = RecoveryKey::from_bytes([7; 32]);
        let words = key.to_words();
        let text = words.expose_secret();
        // Tolerant of case and spacing.
        let shouty = text.to_uppercase().replace(' ', "  \n");
        assert_eq!(RecoveryKey::from_words(&shouty)?, key);
        // One valid word swapped for another: the checksum catches it.
        let mut w: Vec<&str> = text.split(' ').collect();
        w[3] = if w[3] == "abandon" {
            "ability"
        } else {
            "abandon"
        };
        assert_eq!(
            RecoveryKey::from_words(&w.join(" ")),
            Err(Error::Checksum("recovery words"))
        );
        assert!(matches!(
            RecoveryKey::from_words("abandon abandon"),
            Err(Error::Malformed { .. })
        ));
        w[3] = "notaword";
        assert!(matches!(
            RecoveryKey::from_words(&w.join(" ")),
            Err(Error::Malformed { .. })
        ));
        // A valid 12-word BIP-39 phrase is not a recovery kit.
        let twelve = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
        assert!(matches!(
            RecoveryKey::from_words(twelve),
            Err(Error::Malformed { .. })
        ));
        Ok(())
    }

    #[test]
    fn split_kit_recovers_and_wrong_key_fails() -> Result<()> {
        let mut rng = os_rng();
        let (acct, creds) =
            UnlockedAccount::create("pw", None, KdfParams::INSECURE_TEST_ONLY, &mut rng)?;
        let (key, wrap) = acct.create_recovery_kit(&mut rng)?;
        let shares = key.split(2, 3, &mut rng)?;
        let back = RecoveryKey::combine(&[shares[0].clone(), shares[2].clone()])?;
        assert_eq!(back, key);
        let again = wrap.recover(&back, &creds.encrypted)?;
        assert_eq!(again.account_key(), acct.account_key());
        let other = RecoveryKey::generate(&mut rng);
        assert!(!wrap.check_auth_token(&other.auth_token()));
        assert!(matches!(
            wrap.recover(&other, &creds.encrypted),
            Err(Error::Decrypt)
        ));
        Ok(())
    }
}
