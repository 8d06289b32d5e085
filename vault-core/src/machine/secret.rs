//! Secrets: a key per secret, numbered versions sealed under it.

use super::MACHINE_FORMAT_VERSION;
use super::name::{BlindIndex, SecretName};
use super::project::ProjectKeys;
use crate::context::Context;
use crate::envelope::Envelope;
use crate::error::{Error, Result};
use crate::ids::{SecretId, VaultId};
use crate::secret::{SecretString, SymmetricKey};
use crate::vault::VaultKey;

/// Largest secret value, in bytes (64 KiB: certificates and private keys
/// fit; bulk data belongs elsewhere). The server caps sealed versions to
/// match.
pub const MAX_SECRET_VALUE_BYTES: usize = 64 * 1024;
/// Largest description, in bytes.
const MAX_DESCRIPTION_BYTES: usize = 4096;

/// A secret in plaintext: what one version holds. `Debug` shows the name's
/// length only and never the value.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretEntry {
    /// The name programs ask for.
    pub name: SecretName,
    /// The value (zeroized on drop).
    pub value: SecretString,
    /// What it is for (shown to admins; may be empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl core::fmt::Debug for SecretEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SecretEntry")
            .field("name", &self.name)
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}

impl SecretEntry {
    /// A checked entry: the name normalised ([`SecretName::new`]), the value
    /// at most [`MAX_SECRET_VALUE_BYTES`], the description at most 4096 bytes.
    pub fn new(name: &str, value: &str, description: &str) -> Result<Self> {
        let entry = SecretEntry {
            name: SecretName::new(name)?,
            value: SecretString::from(value),
            description: description.to_owned(),
        };
        entry.check()?;
        Ok(entry)
    }

    fn check(&self) -> Result<()> {
        if self.value.expose_secret().len() > MAX_SECRET_VALUE_BYTES {
            return Err(Error::malformed("secret", "value longer than 64 KiB"));
        }
        if self.description.len() > MAX_DESCRIPTION_BYTES {
            return Err(Error::malformed(
                "secret",
                "description longer than 4096 bytes",
            ));
        }
        if self
            .description
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(Error::malformed(
                "secret",
                "description contains control characters",
            ));
        }
        Ok(())
    }
}

/// A secret as the server stores it: its key wrapped under the project's
/// vault key and its blind index.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedSecret {
    /// Format version (1).
    pub v: u8,
    /// The project.
    pub project: VaultId,
    /// The secret.
    pub secret: SecretId,
    /// Vault key generation that wraps the key.
    pub key_version: u32,
    /// Generation of the secret's own key.
    pub secret_key_version: u32,
    /// The secret key, sealed with `Context::SecretKey`.
    pub wrapped_key: Envelope,
    /// Blind index of the current version's name.
    pub blind_index: BlindIndex,
}

/// One version of a secret as the server stores it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedSecretVersion {
    /// Format version (1).
    pub v: u8,
    /// The project.
    pub project: VaultId,
    /// The secret.
    pub secret: SecretId,
    /// Version number, from 1.
    pub version: u32,
    /// Generation of the secret key that seals it.
    pub secret_key_version: u32,
    /// The [`SecretEntry`] as JSON, sealed with `Context::SecretVersion`.
    pub blob: Envelope,
}

/// The key of one secret at one generation. Zeroized on drop; `Debug` is
/// redacted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretValueKey {
    pub(crate) project: VaultId,
    pub(crate) secret: SecretId,
    pub(crate) secret_key_version: u32,
    pub(crate) key: SymmetricKey,
}

impl SecretValueKey {
    /// The secret.
    pub fn secret(&self) -> SecretId {
        self.secret
    }

    /// The key's generation.
    pub fn secret_key_version(&self) -> u32 {
        self.secret_key_version
    }

    fn version_ctx(&self, version: u32) -> Context {
        Context::SecretVersion {
            project: self.project,
            secret: self.secret,
            version,
            secret_key_version: self.secret_key_version,
        }
    }

    /// Seals `entry` as `version` of this secret.
    pub fn seal_version(
        &self,
        version: u32,
        entry: &SecretEntry,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<EncryptedSecretVersion> {
        if version == 0 {
            return Err(Error::InvalidArgument("secret versions start at 1"));
        }
        entry.check()?;
        let json = zeroize::Zeroizing::new(
            serde_json::to_vec(entry).map_err(|_| Error::InvalidArgument("secret entry"))?,
        );
        Ok(EncryptedSecretVersion {
            v: MACHINE_FORMAT_VERSION,
            project: self.project,
            secret: self.secret,
            version,
            secret_key_version: self.secret_key_version,
            blob: Envelope::seal(&self.key, &self.version_ctx(version), &json, rng)?,
        })
    }

    /// Opens a version of this secret. A version of another secret, key
    /// generation or number (a server swapping blobs) is [`Error::Decrypt`].
    pub fn open_version(&self, sealed: &EncryptedSecretVersion) -> Result<SecretEntry> {
        if sealed.v != MACHINE_FORMAT_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "secret version",
                version: sealed.v,
            });
        }
        if sealed.project != self.project
            || sealed.secret != self.secret
            || sealed.secret_key_version != self.secret_key_version
        {
            return Err(Error::Decrypt);
        }
        let pt = sealed
            .blob
            .open(&self.key, &self.version_ctx(sealed.version))?;
        let entry: SecretEntry = serde_json::from_slice(&pt)
            .map_err(|_| Error::malformed("secret version", "invalid JSON"))?;
        Ok(entry)
    }

    /// Unwraps the key of `secret` with the project's vault key.
    pub fn unwrap(vault_key: &VaultKey, secret: &EncryptedSecret) -> Result<Self> {
        if secret.v != MACHINE_FORMAT_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "secret",
                version: secret.v,
            });
        }
        if secret.project != vault_key.vault_id() || secret.key_version != vault_key.key_version() {
            return Err(Error::Decrypt);
        }
        let ctx = wrap_ctx(vault_key, secret.secret, secret.secret_key_version);
        Ok(SecretValueKey {
            project: secret.project,
            secret: secret.secret,
            secret_key_version: secret.secret_key_version,
            key: secret.wrapped_key.open_key(vault_key.key(), &ctx)?,
        })
    }

    fn wrap(&self, vault_key: &VaultKey, rng: &mut impl rand_core::CryptoRng) -> Result<Envelope> {
        if vault_key.vault_id() != self.project {
            return Err(Error::InvalidArgument("vault key of another project"));
        }
        let ctx = wrap_ctx(vault_key, self.secret, self.secret_key_version);
        Envelope::seal(vault_key.key(), &ctx, self.key.expose_secret(), rng)
    }
}

fn wrap_ctx(vault_key: &VaultKey, secret: SecretId, secret_key_version: u32) -> Context {
    Context::SecretKey {
        project: vault_key.vault_id(),
        secret,
        key_version: vault_key.key_version(),
        secret_key_version,
    }
}

impl ProjectKeys {
    /// A new secret: a fresh id and key, `entry` sealed as version 1.
    pub fn create_secret(
        &self,
        vault_key: &VaultKey,
        entry: &SecretEntry,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(EncryptedSecret, EncryptedSecretVersion)> {
        let key = SecretValueKey {
            project: self.project(),
            secret: SecretId::generate(rng),
            secret_key_version: 1,
            key: SymmetricKey::generate(rng),
        };
        let version = key.seal_version(1, entry, rng)?;
        let secret = EncryptedSecret {
            v: MACHINE_FORMAT_VERSION,
            project: self.project(),
            secret: key.secret,
            key_version: vault_key.key_version(),
            secret_key_version: 1,
            wrapped_key: key.wrap(vault_key, rng)?,
            blind_index: self.blind_index(&entry.name)?,
        };
        Ok((secret, version))
    }

    /// A new version of an existing secret; returns the record with the
    /// blind index of the (possibly renamed) entry.
    pub fn write_version(
        &self,
        vault_key: &VaultKey,
        secret: &EncryptedSecret,
        version: u32,
        entry: &SecretEntry,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(EncryptedSecret, EncryptedSecretVersion)> {
        let key = SecretValueKey::unwrap(vault_key, secret)?;
        let sealed = key.seal_version(version, entry, rng)?;
        let mut record = secret.clone();
        record.blind_index = self.blind_index(&entry.name)?;
        Ok((record, sealed))
    }

    /// Unwraps a secret's key (see [`SecretValueKey::unwrap`]).
    pub fn unwrap_secret_key(
        &self,
        vault_key: &VaultKey,
        secret: &EncryptedSecret,
    ) -> Result<SecretValueKey> {
        SecretValueKey::unwrap(vault_key, secret)
    }

    /// Rotates a secret's key after revoking a service that could read it:
    /// a new key generation, every given version re-sealed under it, the key
    /// wrapped under `new_vault_key` (the same generation as `vault_key`, or
    /// the next one when the project's vault key rotates too). All or
    /// nothing: one version that fails to open fails the rotation.
    pub fn rotate_secret(
        &self,
        vault_key: &VaultKey,
        new_vault_key: &VaultKey,
        secret: &EncryptedSecret,
        versions: &[EncryptedSecretVersion],
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(SecretValueKey, EncryptedSecret, Vec<EncryptedSecretVersion>)> {
        let old = SecretValueKey::unwrap(vault_key, secret)?;
        let next = SecretValueKey {
            project: old.project,
            secret: old.secret,
            secret_key_version: old
                .secret_key_version
                .checked_add(1)
                .ok_or(Error::InvalidArgument("secret key version exhausted"))?,
            key: SymmetricKey::generate(rng),
        };
        let resealed = versions
            .iter()
            .map(|v| next.seal_version(v.version, &old.open_version(v)?, rng))
            .collect::<Result<Vec<_>>>()?;
        let record = EncryptedSecret {
            v: MACHINE_FORMAT_VERSION,
            project: self.project(),
            secret: old.secret,
            key_version: new_vault_key.key_version(),
            secret_key_version: next.secret_key_version,
            wrapped_key: next.wrap(new_vault_key, rng)?,
            blind_index: secret.blind_index,
        };
        Ok((next, record, resealed))
    }

    /// Re-wraps a secret's key (unchanged) under the next vault key
    /// generation, when people (not services) lose access to the project.
    pub fn rewrap_secret(
        &self,
        vault_key: &VaultKey,
        new_vault_key: &VaultKey,
        secret: &EncryptedSecret,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<EncryptedSecret> {
        let key = SecretValueKey::unwrap(vault_key, secret)?;
        let mut record = secret.clone();
        record.key_version = new_vault_key.key_version();
        record.wrapped_key = key.wrap(new_vault_key, rng)?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn setup() -> (VaultKey, ProjectKeys) {
        let mut rng = crate::rng::os_rng();
        let vk = VaultKey::generate(VaultId([5; 16]), &mut rng);
        let pk = ProjectKeys::generate(vk.vault_id(), &mut rng);
        (vk, pk)
    }

    #[test]
    fn versions_are_bound_to_secret_number_and_key_generation() {
        let mut rng = crate::rng::os_rng();
        let (vk, pk) = setup();
        let e1 = SecretEntry::new("API_KEY", "one", "").unwrap();
        let e2 = SecretEntry::new("API_KEY", "two", "rotated").unwrap();
        let (rec, v1) = pk.create_secret(&vk, &e1, &mut rng).unwrap();
        let (rec, v2) = pk.write_version(&vk, &rec, 2, &e2, &mut rng).unwrap();
        let key = pk.unwrap_secret_key(&vk, &rec).unwrap();
        assert_eq!(key.open_version(&v1).unwrap(), e1);
        assert_eq!(key.open_version(&v2).unwrap(), e2);
        // A server relabelling version 1 as version 2 is caught.
        let mut swapped = v1.clone();
        swapped.version = 2;
        assert_eq!(key.open_version(&swapped).unwrap_err(), Error::Decrypt);
        // Another secret's version is caught.
        let (other, ov) = pk.create_secret(&vk, &e1, &mut rng).unwrap();
        let mut moved = ov.clone();
        moved.secret = rec.secret;
        assert_eq!(key.open_version(&moved).unwrap_err(), Error::Decrypt);
        assert_ne!(other.secret, rec.secret);

        // Rotation: a new generation; the old key opens none of the new blobs.
        let (next, rec2, resealed) = pk
            .rotate_secret(&vk, &vk, &rec, &[v1, v2], &mut rng)
            .unwrap();
        assert_eq!(rec2.secret_key_version, 2);
        assert_eq!(next.open_version(&resealed[1]).unwrap(), e2);
        assert!(key.open_version(&resealed[1]).is_err());
        assert_eq!(pk.unwrap_secret_key(&vk, &rec2).unwrap(), next);
    }

    #[test]
    fn bad_entries_and_redacted_debug() {
        assert!(SecretEntry::new("A", &"x".repeat(MAX_SECRET_VALUE_BYTES + 1), "").is_err());
        assert!(SecretEntry::new("A", "v", &"d".repeat(4097)).is_err());
        assert!(SecretEntry::new("A", "v", "bell\u{7}").is_err());
        let e = SecretEntry::new("TOKEN", "hunter2-value", "the description").unwrap();
        let dbg = format!("{e:?}");
        assert!(!dbg.contains("hunter2") && !dbg.contains("TOKEN"), "{dbg}");
        let (vk, pk) = setup();
        let (rec, _) = pk
            .create_secret(&vk, &e, &mut crate::rng::os_rng())
            .unwrap();
        let key = pk.unwrap_secret_key(&vk, &rec).unwrap();
        assert!(
            !format!("{key:?}").contains(&crate::encoding::b64_encode(key.key.expose_secret()))
        );
    }
}
