//! What a sealed blob *is*: the context bound into every envelope as AEAD
//! associated data. A server that moves a blob to another item, vault, field,
//! revision or key version makes decryption fail.
//!
//! The byte layout is normative; see `docs/format.md` §3.

use crate::error::{Error, Result};
use crate::ids::{AccountId, DeviceId, ItemId, SecretId, VaultId};

/// The context of a sealed blob. Each variant has a fixed one-byte kind and a
/// fixed field layout, so the encoding is unambiguous without length prefixes.
///
/// ```
/// use vault_core::{Context, VaultId, ItemId};
/// let ctx = Context::ItemDetails { vault: VaultId([1; 16]), item: ItemId([2; 16]), revision: 3 };
/// assert_eq!(ctx.kind(), 7);
/// ```
///
/// # JSON form
///
/// Contexts also have a JSON form (`docs/format.md` §13: the test vectors
/// and the JS bindings use it): an object whose `kind` is the snake_case
/// variant name, with the variant's fields beside it. Ids are UUID text,
/// `key_version` and `revision` numbers; unknown kinds and unknown or missing
/// fields are rejected.
///
/// | `kind` | fields |
/// |---|---|
/// | `account_key`, `identity_keys` | `account` |
/// | `vault_key` | `account`, `vault`, `key_version` |
/// | `vault_meta` | `vault`, `key_version` |
/// | `item_key` | `vault`, `item`, `key_version` |
/// | `item_overview`, `item_details` | `vault`, `item`, `revision` |
/// | `account_key_generation`, `recovery_key` | `account`, `generation` |
/// | `device_unlock`, `pin_unlock` | `account`, `device`, `generation` |
/// | `project_keys` | `project`, `key_version` |
/// | `secret_key` | `project`, `secret`, `key_version`, `secret_key_version` |
/// | `secret_version` | `project`, `secret`, `version`, `secret_key_version` |
///
/// ```
/// use vault_core::{Context, ItemId, VaultId};
/// let ctx = Context::ItemKey { vault: VaultId([1; 16]), item: ItemId([2; 16]), key_version: 1 };
/// let json = serde_json::to_string(&ctx)?;
/// assert_eq!(json, r#"{"kind":"item_key","vault":"01010101-0101-0101-0101-010101010101","item":"02020202-0202-0202-0202-020202020202","key_version":1}"#);
/// assert_eq!(serde_json::from_str::<Context>(&json)?, ctx);
/// assert!(serde_json::from_str::<Context>(r#"{"kind":"item_key","vault":"01010101-0101-0101-0101-010101010101"}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "EnvelopeContext"))]
pub enum Context {
    /// The account key, wrapped under the password-derived KEK.
    AccountKey {
        /// Owner.
        account: AccountId,
    },
    /// The identity private keys (X25519 + Ed25519 seed), under the account key.
    IdentityKeys {
        /// Owner.
        account: AccountId,
    },
    /// A vault key wrapped under a member's account key.
    VaultKey {
        /// The member whose account key wraps it.
        account: AccountId,
        /// The vault.
        vault: VaultId,
        /// Vault key generation (incremented on rotation).
        key_version: u32,
    },
    /// Vault metadata (name, description) under the vault key.
    VaultMeta {
        /// The vault.
        vault: VaultId,
        /// Vault key generation that sealed it.
        key_version: u32,
    },
    /// An item key wrapped under the vault key.
    ItemKey {
        /// The vault.
        vault: VaultId,
        /// The item.
        item: ItemId,
        /// Vault key generation that wraps it.
        key_version: u32,
    },
    /// An item's overview (list-row fields) under the item key.
    ItemOverview {
        /// The vault.
        vault: VaultId,
        /// The item.
        item: ItemId,
        /// Item revision this blob belongs to.
        revision: u64,
    },
    /// An item's details (every field) under the item key.
    ItemDetails {
        /// The vault.
        vault: VaultId,
        /// The item.
        item: ItemId,
        /// Item revision this blob belongs to.
        revision: u64,
    },
    /// The account key of generation 2 or later (after an account key
    /// rotation), wrapped under the password-derived KEK. Generation 1 uses
    /// [`Context::AccountKey`], so records made before rotation existed stay
    /// readable.
    AccountKeyGeneration {
        /// Owner.
        account: AccountId,
        /// Account key generation (≥ 2).
        generation: u32,
    },
    /// The account key wrapped under a device key kept in the platform
    /// keystore (quick unlock; never leaves the device).
    DeviceUnlock {
        /// Owner.
        account: AccountId,
        /// The device holding the wrap.
        device: DeviceId,
        /// Account key generation the wrap holds.
        generation: u32,
    },
    /// The account key wrapped under a PIN-derived key (never leaves the device).
    PinUnlock {
        /// Owner.
        account: AccountId,
        /// The device holding the wrap.
        device: DeviceId,
        /// Account key generation the wrap holds.
        generation: u32,
    },
    /// The account key wrapped under the recovery key (the recovery kit).
    RecoveryKey {
        /// Owner.
        account: AccountId,
        /// Account key generation the wrap holds.
        generation: u32,
    },
    /// A project's own keys (blind-index key, X25519 and Ed25519 private
    /// keys) under the project's vault key (`docs/format.md` §16).
    ProjectKeys {
        /// The project (a vault).
        project: VaultId,
        /// Vault key generation that seals them.
        key_version: u32,
    },
    /// A secret's own key wrapped under the project's vault key.
    SecretKey {
        /// The project.
        project: VaultId,
        /// The secret.
        secret: SecretId,
        /// Vault key generation that wraps it.
        key_version: u32,
        /// Generation of the secret's key (bumped when a service that could
        /// read it is revoked).
        secret_key_version: u32,
    },
    /// One version of a secret (name, value, description) under the
    /// secret's key.
    SecretVersion {
        /// The project.
        project: VaultId,
        /// The secret.
        secret: SecretId,
        /// Version number (1, 2, ...: each write is a new version).
        version: u32,
        /// Generation of the secret key that seals it.
        secret_key_version: u32,
    },
}

/// Domain-separation prefix of every associated-data string.
pub(crate) const AAD_MAGIC: &[u8; 4] = b"VLT1";
/// Longest encoded context: magic + version + alg + kind + 16 + 16 + 8.
pub(crate) const MAX_AAD: usize = 4 + 3 + 16 + 16 + 8;

/// Associated data on the stack (no allocation on the decrypt hot path).
pub(crate) struct Aad(arrayvec::ArrayVec<u8, MAX_AAD>);

impl Aad {
    pub(crate) fn as_slice(&self) -> &[u8] {
        self.0.as_slice()
    }
    /// Appends; a context that does not fit is a bug in this file, reported
    /// as an error rather than a silently shortened binding.
    fn push(&mut self, bytes: &[u8]) -> Result<()> {
        self.0
            .try_extend_from_slice(bytes)
            .map_err(|_| Error::InvalidArgument("associated data longer than MAX_AAD"))
    }
}

impl Context {
    /// The one-byte kind tag of this context.
    pub fn kind(&self) -> u8 {
        match self {
            Context::AccountKey { .. } => 1,
            Context::IdentityKeys { .. } => 2,
            Context::VaultKey { .. } => 3,
            Context::VaultMeta { .. } => 4,
            Context::ItemKey { .. } => 5,
            Context::ItemOverview { .. } => 6,
            Context::ItemDetails { .. } => 7,
            Context::AccountKeyGeneration { .. } => 8,
            Context::DeviceUnlock { .. } => 9,
            Context::PinUnlock { .. } => 10,
            Context::RecoveryKey { .. } => 11,
            Context::ProjectKeys { .. } => 12,
            Context::SecretKey { .. } => 13,
            Context::SecretVersion { .. } => 14,
        }
    }

    /// The associated data for this context under an envelope header.
    pub(crate) fn aad(&self, version: u8, alg: u8) -> Result<Aad> {
        let mut a = Aad(arrayvec::ArrayVec::new());
        a.push(AAD_MAGIC)?;
        a.push(&[version, alg, self.kind()])?;
        match self {
            Context::AccountKey { account } | Context::IdentityKeys { account } => {
                a.push(account.as_bytes())?;
            }
            Context::VaultKey {
                account,
                vault,
                key_version,
            } => {
                a.push(account.as_bytes())?;
                a.push(vault.as_bytes())?;
                a.push(&key_version.to_be_bytes())?;
            }
            Context::VaultMeta { vault, key_version } => {
                a.push(vault.as_bytes())?;
                a.push(&key_version.to_be_bytes())?;
            }
            Context::ItemKey {
                vault,
                item,
                key_version,
            } => {
                a.push(vault.as_bytes())?;
                a.push(item.as_bytes())?;
                a.push(&key_version.to_be_bytes())?;
            }
            Context::ItemOverview {
                vault,
                item,
                revision,
            }
            | Context::ItemDetails {
                vault,
                item,
                revision,
            } => {
                a.push(vault.as_bytes())?;
                a.push(item.as_bytes())?;
                a.push(&revision.to_be_bytes())?;
            }
            Context::AccountKeyGeneration {
                account,
                generation,
            }
            | Context::RecoveryKey {
                account,
                generation,
            } => {
                a.push(account.as_bytes())?;
                a.push(&generation.to_be_bytes())?;
            }
            Context::DeviceUnlock {
                account,
                device,
                generation,
            }
            | Context::PinUnlock {
                account,
                device,
                generation,
            } => {
                a.push(account.as_bytes())?;
                a.push(device.as_bytes())?;
                a.push(&generation.to_be_bytes())?;
            }
            Context::ProjectKeys {
                project,
                key_version,
            } => {
                a.push(project.as_bytes())?;
                a.push(&key_version.to_be_bytes())?;
            }
            Context::SecretKey {
                project,
                secret,
                key_version: first,
                secret_key_version: second,
            }
            | Context::SecretVersion {
                project,
                secret,
                version: first,
                secret_key_version: second,
            } => {
                a.push(project.as_bytes())?;
                a.push(secret.as_bytes())?;
                a.push(&first.to_be_bytes())?;
                a.push(&second.to_be_bytes())?;
            }
        }
        Ok(a)
    }

    /// The associated-data bytes for this context (for other-language
    /// implementations and test vectors).
    pub fn aad_bytes(&self, version: u8, alg: crate::Algorithm) -> Result<Vec<u8>> {
        Ok(self.aad(version, alg.id())?.as_slice().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Context> {
        let account = AccountId([0x11; 16]);
        let vault = VaultId([0x22; 16]);
        let item = ItemId([0x33; 16]);
        vec![
            Context::AccountKey { account },
            Context::IdentityKeys { account },
            Context::VaultKey {
                account,
                vault,
                key_version: 1,
            },
            Context::VaultMeta {
                vault,
                key_version: 7,
            },
            Context::ItemKey {
                vault,
                item,
                key_version: 2,
            },
            Context::ItemOverview {
                vault,
                item,
                revision: 1,
            },
            Context::ItemDetails {
                vault,
                item,
                revision: u64::MAX,
            },
            Context::AccountKeyGeneration {
                account,
                generation: 2,
            },
            Context::DeviceUnlock {
                account,
                device: DeviceId([0x44; 16]),
                generation: u32::MAX,
            },
            Context::PinUnlock {
                account,
                device: DeviceId([0x44; 16]),
                generation: 1,
            },
            Context::RecoveryKey {
                account,
                generation: 7,
            },
            Context::ProjectKeys {
                project: vault,
                key_version: 3,
            },
            Context::SecretKey {
                project: vault,
                secret: SecretId([0x55; 16]),
                key_version: 1,
                secret_key_version: 2,
            },
            Context::SecretVersion {
                project: vault,
                secret: SecretId([0x55; 16]),
                version: u32::MAX,
                secret_key_version: 1,
            },
        ]
    }

    #[test]
    fn json_round_trips_every_kind() {
        let names = [
            "account_key",
            "identity_keys",
            "vault_key",
            "vault_meta",
            "item_key",
            "item_overview",
            "item_details",
            "account_key_generation",
            "device_unlock",
            "pin_unlock",
            "recovery_key",
            "project_keys",
            "secret_key",
            "secret_version",
        ];
        assert_eq!(all().len(), names.len());
        for (ctx, name) in all().into_iter().zip(names) {
            let v = serde_json::to_value(ctx).unwrap();
            assert_eq!(v["kind"], name);
            assert_eq!(serde_json::from_value::<Context>(v).unwrap(), ctx);
        }
    }

    #[test]
    fn json_is_strict() {
        let a = "11111111-1111-1111-1111-111111111111";
        let ok = format!(r#"{{"kind":"account_key","account":"{a}"}}"#);
        assert!(serde_json::from_str::<Context>(&ok).is_ok());
        for bad in [
            format!(r#"{{"kind":"account_key","account":"{a}","vault":"{a}"}}"#),
            format!(r#"{{"kind":"device_key","account":"{a}"}}"#),
            format!(r#"{{"account":"{a}"}}"#),
            r#"{"kind":"vault_meta","vault":"11111111-1111-1111-1111-111111111111","key_version":-1}"#.to_owned(),
            r#"{"kind":"account_key","account":"not a uuid"}"#.to_owned(),
        ] {
            assert!(serde_json::from_str::<Context>(&bad).is_err(), "{bad}");
        }
    }
}
