//! What a service holds after opening its grants.

use super::grant::{GrantedKey, ServiceGrant};
use super::name::{BlindIndex, SecretName};
use super::project::ProjectPublic;
use super::seal::{SealPurpose, SealedToProject, StubHint};
use super::secret::{EncryptedSecret, EncryptedSecretVersion, SecretEntry, SecretValueKey};
use super::token::ServiceToken;
use crate::error::{Error, Result};
use crate::ids::{SecretId, ServiceId, VaultId};
use crate::secret::SymmetricKey;
use crate::vault::VaultKey;
use std::collections::BTreeMap;

/// A service's opened grants: the index key, vault key generations and
/// secret keys it was given, checked against the project key its token
/// pinned. Keys are zeroized on drop; `Debug` shows counts only.
///
/// See the [module example](super) for the whole flow.
pub struct ServiceKeyring {
    project: VaultId,
    service: ServiceId,
    pinned: [u8; 32],
    index_key: Option<SymmetricKey>,
    vault_keys: BTreeMap<u32, VaultKey>,
    secret_keys: BTreeMap<(SecretId, u32), SecretValueKey>,
    project_public: Option<ProjectPublic>,
}

impl core::fmt::Debug for ServiceKeyring {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServiceKeyring")
            .field("project", &self.project)
            .field("service", &self.service)
            .field("index_key", &self.index_key.is_some())
            .field("vault_keys", &self.vault_keys.len())
            .field("secret_keys", &self.secret_keys.len())
            .finish()
    }
}

impl ServiceKeyring {
    /// Opens every grant (all must verify: a forged or misaddressed grant is
    /// an error, not something to skip).
    pub fn open(token: &ServiceToken, grants: &[ServiceGrant]) -> Result<Self> {
        let mut ring = ServiceKeyring {
            project: token.project(),
            service: token.service(),
            pinned: *token.project_signing_key(),
            index_key: None,
            vault_keys: BTreeMap::new(),
            secret_keys: BTreeMap::new(),
            project_public: None,
        };
        ring.add_grants(token, grants)?;
        Ok(ring)
    }

    /// Opens more grants into this keyring (after an approval changed).
    pub fn add_grants(&mut self, token: &ServiceToken, grants: &[ServiceGrant]) -> Result<()> {
        if token.service() != self.service {
            return Err(Error::InvalidArgument("token of another service"));
        }
        for g in grants {
            match token.open_grant(g)? {
                GrantedKey::Index(k) => self.index_key = Some(k),
                GrantedKey::Project(k) => {
                    self.vault_keys.insert(k.key_version(), k);
                }
                GrantedKey::Secret(k) => {
                    self.secret_keys
                        .insert((k.secret(), k.secret_key_version()), k);
                }
            }
        }
        Ok(())
    }

    /// Sets the project's public key (needed to seal hints), checking it
    /// against the pinned signing key.
    pub fn set_project_public(&mut self, public: ProjectPublic) -> Result<()> {
        if public.project != self.project {
            return Err(Error::InvalidArgument("public key of another project"));
        }
        public.verify(Some(&self.pinned))?;
        self.project_public = Some(public);
        Ok(())
    }

    /// The project.
    pub fn project(&self) -> VaultId {
        self.project
    }

    /// The service.
    pub fn service(&self) -> ServiceId {
        self.service
    }

    /// Whether the service holds any key beyond the index key.
    pub fn has_access(&self) -> bool {
        !self.vault_keys.is_empty() || !self.secret_keys.is_empty()
    }

    /// The blind index of `name` ([`Error::NotGranted`] before approval).
    pub fn blind_index(&self, name: &SecretName) -> Result<BlindIndex> {
        let key = self.index_key.as_ref().ok_or(Error::NotGranted(
            "the project's index key (is the service approved?)",
        ))?;
        BlindIndex::compute(key, name)
    }

    /// Decrypts a secret version handed out by the server, with a secret
    /// grant for its key generation or a project grant for the vault key
    /// generation that wraps it.
    pub fn open_secret(
        &self,
        secret: &EncryptedSecret,
        version: &EncryptedSecretVersion,
    ) -> Result<SecretEntry> {
        if secret.project != self.project || version.secret != secret.secret {
            return Err(Error::Decrypt);
        }
        if let Some(k) = self
            .secret_keys
            .get(&(secret.secret, version.secret_key_version))
        {
            return k.open_version(version);
        }
        let vk = self
            .vault_keys
            .get(&secret.key_version)
            .ok_or(Error::NotGranted("this secret's key"))?;
        SecretValueKey::unwrap(vk, secret)?.open_version(version)
    }

    /// Decrypts the secret the server answered for `name`, and checks that it
    /// *is* that secret. The blind index a service asks by is not
    /// authenticated: a server could answer with another secret the service
    /// may read. The name sealed inside the version is, so a different name
    /// fails like a tampered ciphertext ([`Error::Decrypt`]). Services should
    /// read by name through this, not [`ServiceKeyring::open_secret`].
    ///
    /// ```
    /// # use vault_core::machine::*;
    /// # use vault_core::{VaultKey, VaultId, rng};
    /// # let mut rng = rng::os_rng();
    /// # let vault_key = VaultKey::generate(VaultId::generate(&mut rng), &mut rng);
    /// # let project = ProjectKeys::generate(vault_key.vault_id(), &mut rng);
    /// # let token = ServiceToken::generate(project.project(), project.public().ed25519, &mut rng);
    /// # let grants = vec![
    /// #     project.grant_index(&token.public(), &mut rng)?,
    /// #     project.grant_project(&vault_key, &token.public(), &mut rng)?,
    /// # ];
    /// # let keyring = ServiceKeyring::open(&token, &grants)?;
    /// let a = SecretEntry::new("API_KEY", "k-1", "")?;
    /// let b = SecretEntry::new("DB_URL", "postgres://", "")?;
    /// let (sa, va) = project.create_secret(&vault_key, &a, &mut rng)?;
    /// let (sb, vb) = project.create_secret(&vault_key, &b, &mut rng)?;
    /// let api_key = SecretName::new("API_KEY")?;
    /// assert_eq!(keyring.open_named(&api_key, &sa, &va)?.value.expose_secret(), "k-1");
    /// // A server answering API_KEY's lookup with DB_URL is caught.
    /// assert!(keyring.open_named(&api_key, &sb, &vb).is_err());
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn open_named(
        &self,
        name: &SecretName,
        secret: &EncryptedSecret,
        version: &EncryptedSecretVersion,
    ) -> Result<SecretEntry> {
        let entry = self.open_secret(secret, version)?;
        if &entry.name != name {
            return Err(Error::Decrypt);
        }
        Ok(entry)
    }

    /// Seals a hint (the name asked for and why) to the project, for a stub
    /// or an access request. Needs [`ServiceKeyring::set_project_public`].
    pub fn seal_hint(
        &self,
        purpose: SealPurpose,
        name: &SecretName,
        description: &str,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<SealedToProject> {
        let public = self
            .project_public
            .as_ref()
            .ok_or(Error::InvalidArgument("project public key not set"))?;
        SealedToProject::seal(
            public,
            purpose,
            &StubHint::new(name.clone(), description)?,
            rng,
        )
    }
}
