//! The versioned envelope and the contexts bound into its associated data.

use crate::convert;
use crate::error::Result;
use crate::keys::{SymmetricKey, zeroizing};
use crate::rng::Rng;
use std::sync::Arc;

/// The AEAD that seals an envelope.
#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// XChaCha20-Poly1305 with a 192-bit random nonce (id 1). The default.
    #[default]
    XChaCha20Poly1305,
    /// AES-256-GCM with a 96-bit random nonce (id 2), for per-item keys.
    Aes256Gcm,
}

impl From<Algorithm> for vault_core::Algorithm {
    fn from(a: Algorithm) -> Self {
        match a {
            Algorithm::XChaCha20Poly1305 => vault_core::Algorithm::XChaCha20Poly1305,
            Algorithm::Aes256Gcm => vault_core::Algorithm::Aes256Gcm,
        }
    }
}

impl From<vault_core::Algorithm> for Algorithm {
    fn from(a: vault_core::Algorithm) -> Self {
        match a {
            vault_core::Algorithm::XChaCha20Poly1305 => Algorithm::XChaCha20Poly1305,
            vault_core::Algorithm::Aes256Gcm => Algorithm::Aes256Gcm,
        }
    }
}

/// What a sealed blob is: bound into every envelope's associated data, so a
/// server cannot move a blob to another item, vault, field, revision or key
/// version. Ids are UUID text.
#[derive(uniffi::Enum, Clone, Debug, PartialEq, Eq)]
pub enum EnvelopeContext {
    /// The account key under the password-derived KEK.
    AccountKey {
        /// Owner.
        account: String,
    },
    /// The identity private keys under the account key.
    IdentityKeys {
        /// Owner.
        account: String,
    },
    /// A vault key under a member's account key.
    VaultKey {
        /// The member.
        account: String,
        /// The vault.
        vault: String,
        /// Vault key generation.
        key_version: u32,
    },
    /// Vault metadata under the vault key.
    VaultMeta {
        /// The vault.
        vault: String,
        /// Vault key generation.
        key_version: u32,
    },
    /// An item key under the vault key.
    ItemKey {
        /// The vault.
        vault: String,
        /// The item.
        item: String,
        /// Vault key generation.
        key_version: u32,
    },
    /// An item's overview under the item key.
    ItemOverview {
        /// The vault.
        vault: String,
        /// The item.
        item: String,
        /// Item revision.
        revision: u64,
    },
    /// An item's details under the item key.
    ItemDetails {
        /// The vault.
        vault: String,
        /// The item.
        item: String,
        /// Item revision.
        revision: u64,
    },
    /// The account key of generation 2 or later under the KEK.
    AccountKeyGeneration {
        /// Owner.
        account: String,
        /// Account key generation.
        generation: u32,
    },
    /// The account key under a device key (quick unlock).
    DeviceUnlock {
        /// Owner.
        account: String,
        /// The device holding the wrap.
        device: String,
        /// Account key generation.
        generation: u32,
    },
    /// The account key under a PIN-derived key.
    PinUnlock {
        /// Owner.
        account: String,
        /// The device holding the wrap.
        device: String,
        /// Account key generation.
        generation: u32,
    },
    /// The account key under the recovery key.
    RecoveryKey {
        /// Owner.
        account: String,
        /// Account key generation.
        generation: u32,
    },
}

impl TryFrom<&EnvelopeContext> for vault_core::Context {
    type Error = crate::error::VaultError;
    fn try_from(c: &EnvelopeContext) -> Result<Self> {
        use convert::id;
        Ok(match c {
            EnvelopeContext::AccountKey { account } => vault_core::Context::AccountKey {
                account: id(account)?,
            },
            EnvelopeContext::IdentityKeys { account } => vault_core::Context::IdentityKeys {
                account: id(account)?,
            },
            EnvelopeContext::VaultKey {
                account,
                vault,
                key_version,
            } => vault_core::Context::VaultKey {
                account: id(account)?,
                vault: id(vault)?,
                key_version: *key_version,
            },
            EnvelopeContext::VaultMeta { vault, key_version } => vault_core::Context::VaultMeta {
                vault: id(vault)?,
                key_version: *key_version,
            },
            EnvelopeContext::ItemKey {
                vault,
                item,
                key_version,
            } => vault_core::Context::ItemKey {
                vault: id(vault)?,
                item: id(item)?,
                key_version: *key_version,
            },
            EnvelopeContext::ItemOverview {
                vault,
                item,
                revision,
            } => vault_core::Context::ItemOverview {
                vault: id(vault)?,
                item: id(item)?,
                revision: *revision,
            },
            EnvelopeContext::ItemDetails {
                vault,
                item,
                revision,
            } => vault_core::Context::ItemDetails {
                vault: id(vault)?,
                item: id(item)?,
                revision: *revision,
            },
            EnvelopeContext::AccountKeyGeneration {
                account,
                generation,
            } => vault_core::Context::AccountKeyGeneration {
                account: id(account)?,
                generation: *generation,
            },
            EnvelopeContext::DeviceUnlock {
                account,
                device,
                generation,
            } => vault_core::Context::DeviceUnlock {
                account: id(account)?,
                device: id(device)?,
                generation: *generation,
            },
            EnvelopeContext::PinUnlock {
                account,
                device,
                generation,
            } => vault_core::Context::PinUnlock {
                account: id(account)?,
                device: id(device)?,
                generation: *generation,
            },
            EnvelopeContext::RecoveryKey {
                account,
                generation,
            } => vault_core::Context::RecoveryKey {
                account: id(account)?,
                generation: *generation,
            },
        })
    }
}

#[uniffi::export]
impl EnvelopeContext {
    /// The one-byte kind tag of this context (`docs/format.md` §3).
    pub fn kind(&self) -> Result<u8> {
        Ok(vault_core::Context::try_from(self)?.kind())
    }

    /// The full associated data `"VLT1" || version || alg || context` under
    /// an envelope header (for other implementations and test vectors).
    pub fn aad_bytes(&self, version: u8, algorithm: Algorithm) -> Result<Vec<u8>> {
        Ok(vault_core::Context::try_from(self)?.aad_bytes(version, algorithm.into())?)
    }
}

/// A sealed blob in the versioned envelope format. Holds only ciphertext.
#[derive(uniffi::Object, Debug, Clone, PartialEq, Eq)]
#[uniffi::export(Eq, Debug)]
pub struct Envelope(pub(crate) vault_core::Envelope);

impl Envelope {
    pub(crate) fn wrap(e: vault_core::Envelope) -> Arc<Self> {
        Arc::new(Envelope(e))
    }
}

#[uniffi::export]
impl Envelope {
    /// Parses the text form (unpadded base64url), checking header and lengths.
    #[uniffi::constructor]
    pub fn from_text(text: &str) -> Result<Arc<Self>> {
        Ok(Self::wrap(convert::envelope(text)?))
    }

    /// Parses the binary form, checking header and lengths (not the tag).
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>> {
        Ok(Self::wrap(vault_core::Envelope::from_bytes(bytes)?))
    }

    /// Seals `plaintext` under `key` with the default algorithm, binding `context`.
    #[uniffi::constructor]
    pub fn seal(
        key: &SymmetricKey,
        context: &EnvelopeContext,
        plaintext: Vec<u8>,
        rng: &Rng,
    ) -> Result<Arc<Self>> {
        Self::seal_with(key, Algorithm::default(), context, plaintext, rng)
    }

    /// Seals with an explicit algorithm.
    #[uniffi::constructor]
    pub fn seal_with(
        key: &SymmetricKey,
        algorithm: Algorithm,
        context: &EnvelopeContext,
        plaintext: Vec<u8>,
        rng: &Rng,
    ) -> Result<Arc<Self>> {
        let ctx = vault_core::Context::try_from(context)?;
        let pt = zeroizing(plaintext);
        let env =
            rng.with(|r| vault_core::Envelope::seal_with(&key.0, algorithm.into(), &ctx, &pt, r))?;
        Ok(Self::wrap(env))
    }

    /// Seals with raw context bytes (the associated data after
    /// `"VLT1" || version || alg`), for contexts defined outside [`EnvelopeContext`].
    #[uniffi::constructor]
    pub fn seal_raw_context(
        key: &SymmetricKey,
        algorithm: Algorithm,
        context: Vec<u8>,
        plaintext: Vec<u8>,
        rng: &Rng,
    ) -> Result<Arc<Self>> {
        let pt = zeroizing(plaintext);
        let env = rng.with(|r| {
            vault_core::envelope::seal_raw_context(&key.0, algorithm.into(), &context, &pt, r)
        })?;
        Ok(Self::wrap(env))
    }

    /// Opens the envelope, checking it was sealed for `context`. Any failure
    /// is the single opaque error code `decrypt`.
    pub fn open(&self, key: &SymmetricKey, context: &EnvelopeContext) -> Result<Vec<u8>> {
        let ctx = vault_core::Context::try_from(context)?;
        Ok(self.0.open(&key.0, &ctx)?.to_vec())
    }

    /// Opens an envelope sealed with raw context bytes.
    pub fn open_raw(&self, key: &SymmetricKey, context: Vec<u8>) -> Result<Vec<u8>> {
        Ok(vault_core::envelope::open_raw(&self.0, &key.0, &context)?.to_vec())
    }

    /// The text form (unpadded base64url), as used in JSON.
    pub fn to_text(&self) -> String {
        self.0.to_text()
    }

    /// The binary form.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.as_bytes().to_vec()
    }

    /// Format version (1).
    pub fn version(&self) -> u8 {
        self.0.version()
    }

    /// The sealing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.0.algorithm().into()
    }

    /// Length of the plaintext inside.
    pub fn plaintext_len(&self) -> u64 {
        self.0.plaintext_len() as u64
    }
}
