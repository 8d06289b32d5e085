//! Grants to a service: keys sealed to the service's X25519 key with HPKE
//! and signed with the project's Ed25519 key.

use super::MACHINE_FORMAT_VERSION;
use super::project::ProjectKeys;
use super::secret::SecretValueKey;
use super::token::{ServicePublic, ServiceToken};
use crate::encoding::{b64_array, b64_vec};
use crate::error::{Error, Result};
use crate::ids::{SecretId, ServiceId, VaultId};
use crate::secret::SymmetricKey;
use crate::sharing::raw as hpke_raw;
use crate::vault::VaultKey;

/// What a grant gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum GrantScope {
    /// The project's blind-index key: lets the service compute the index
    /// of the names it asks for. Every approved service has one.
    Index,
    /// One generation of the project's vault key: every secret, present
    /// and future, until that generation is rotated away.
    Project {
        /// Vault key generation.
        key_version: u32,
    },
    /// One secret's key at one generation.
    Secret {
        /// The secret.
        secret: SecretId,
        /// Its key generation.
        secret_key_version: u32,
    },
}

impl GrantScope {
    /// `kind byte || fields`, as bound into `info` and the signature.
    fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(21);
        match self {
            GrantScope::Index => b.push(1),
            GrantScope::Project { key_version } => {
                b.push(2);
                b.extend_from_slice(&key_version.to_be_bytes());
            }
            GrantScope::Secret {
                secret,
                secret_key_version,
            } => {
                b.push(3);
                b.extend_from_slice(secret.as_bytes());
                b.extend_from_slice(&secret_key_version.to_be_bytes());
            }
        }
        b
    }
}

/// A key granted to one service (`docs/format.md` §16.5).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceGrant {
    /// Format version (1).
    pub v: u8,
    /// The project.
    pub project: VaultId,
    /// The service.
    pub service: ServiceId,
    /// What is granted.
    pub scope: GrantScope,
    /// HPKE encapsulated key.
    #[serde(with = "b64_array")]
    pub enc: [u8; 32],
    /// HPKE ciphertext of the 32-byte key (48 bytes with the tag).
    #[serde(with = "b64_vec")]
    pub ciphertext: Vec<u8>,
    /// Project Ed25519 signature over [`ServiceGrant::signed_bytes`].
    #[serde(with = "b64_array")]
    pub signature: [u8; 64],
}

/// A key a grant opened to.
#[derive(Debug)]
pub enum GrantedKey {
    /// The blind-index key.
    Index(SymmetricKey),
    /// The project's vault key of one generation.
    Project(VaultKey),
    /// One secret's key.
    Secret(SecretValueKey),
}

impl ServiceGrant {
    /// HPKE `info`: `"VLT1 service grant" || v || project || service ||
    /// scope || service X25519 key`.
    fn hpke_info(
        v: u8,
        project: &VaultId,
        service: &ServiceId,
        scope: &GrantScope,
        pk: &[u8; 32],
    ) -> Vec<u8> {
        let mut info = Vec::with_capacity(18 + 1 + 32 + 21 + 32);
        info.extend_from_slice(b"VLT1 service grant");
        info.push(v);
        info.extend_from_slice(project.as_bytes());
        info.extend_from_slice(service.as_bytes());
        info.extend_from_slice(&scope.bytes());
        info.extend_from_slice(pk);
        info
    }

    /// The bytes the project key signs: `"VLT1 service-grant-sig" || v ||
    /// project || service || scope || enc || ciphertext`.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut m = Vec::with_capacity(22 + 1 + 32 + 21 + 32 + self.ciphertext.len());
        m.extend_from_slice(b"VLT1 service-grant-sig");
        m.push(self.v);
        m.extend_from_slice(self.project.as_bytes());
        m.extend_from_slice(self.service.as_bytes());
        m.extend_from_slice(&self.scope.bytes());
        m.extend_from_slice(&self.enc);
        m.extend_from_slice(&self.ciphertext);
        m
    }

    /// Checks the version, shape and the project's signature.
    pub fn verify(&self, project_signing_key: &[u8; 32]) -> Result<()> {
        if self.v != MACHINE_FORMAT_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "service grant",
                version: self.v,
            });
        }
        if self.ciphertext.len() != 48 {
            return Err(Error::malformed(
                "service grant",
                "ciphertext must be 48 bytes",
            ));
        }
        super::ed25519_verify(
            project_signing_key,
            &self.signed_bytes(),
            &self.signature,
            "service grant",
        )
    }
}

impl ProjectKeys {
    fn grant(
        &self,
        scope: GrantScope,
        key: &[u8; 32],
        to: &ServicePublic,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<ServiceGrant> {
        to.verify()?;
        if to.project != self.project() {
            return Err(Error::InvalidArgument("service belongs to another project"));
        }
        // A service that pinned another key would trust grants signed by
        // whoever made that key: refuse to approve it (the server, or
        // someone, gave it the wrong project reference).
        if to.project_signing_key != self.public().ed25519 {
            return Err(Error::BadSignature("service pinned another project key"));
        }
        let info = ServiceGrant::hpke_info(
            MACHINE_FORMAT_VERSION,
            &to.project,
            &to.service,
            &scope,
            &to.x25519,
        );
        let (enc, ciphertext) =
            hpke_raw::seal(&to.x25519, &info, &[MACHINE_FORMAT_VERSION], key, rng)?;
        let mut grant = ServiceGrant {
            v: MACHINE_FORMAT_VERSION,
            project: to.project,
            service: to.service,
            scope,
            enc: enc
                .try_into()
                .map_err(|_| Error::InvalidArgument("HPKE encapsulated key length"))?,
            ciphertext,
            signature: [0; 64],
        };
        grant.signature = self.sign(&grant.signed_bytes());
        Ok(grant)
    }

    /// Grants the blind-index key (every approval includes it).
    pub fn grant_index(
        &self,
        to: &ServicePublic,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<ServiceGrant> {
        let key = self.index_key.clone();
        self.grant(GrantScope::Index, key.expose_secret(), to, rng)
    }

    /// Grants a generation of the project's vault key (whole-project access).
    pub fn grant_project(
        &self,
        vault_key: &VaultKey,
        to: &ServicePublic,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<ServiceGrant> {
        if vault_key.vault_id() != self.project() {
            return Err(Error::InvalidArgument("vault key of another project"));
        }
        let scope = GrantScope::Project {
            key_version: vault_key.key_version(),
        };
        self.grant(scope, vault_key.key().expose_secret(), to, rng)
    }

    /// Grants one secret's key.
    pub fn grant_secret(
        &self,
        key: &SecretValueKey,
        to: &ServicePublic,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<ServiceGrant> {
        if key.project != self.project() {
            return Err(Error::InvalidArgument("secret of another project"));
        }
        let scope = GrantScope::Secret {
            secret: key.secret,
            secret_key_version: key.secret_key_version,
        };
        self.grant(scope, key.key.expose_secret(), to, rng)
    }
}

impl ServiceToken {
    /// Verifies a grant against the project key this token pinned, checks
    /// it is addressed to this service, and opens it.
    pub fn open_grant(&self, grant: &ServiceGrant) -> Result<GrantedKey> {
        grant.verify(self.project_signing_key())?;
        if grant.project != self.project() || grant.service != self.service() {
            return Err(Error::InvalidArgument(
                "grant is addressed to another service",
            ));
        }
        let info = ServiceGrant::hpke_info(
            grant.v,
            &grant.project,
            &grant.service,
            &grant.scope,
            &self.x25519_public(),
        );
        let pt = zeroize::Zeroizing::new(hpke_raw::open(
            self.x25519_secret(),
            &grant.enc,
            &info,
            &[grant.v],
            &grant.ciphertext,
        )?);
        let key = SymmetricKey::from_slice(&pt)?;
        Ok(match grant.scope {
            GrantScope::Index => GrantedKey::Index(key),
            GrantScope::Project { key_version } => {
                GrantedKey::Project(VaultKey::from_parts(grant.project, key_version, key))
            }
            GrantScope::Secret {
                secret,
                secret_key_version,
            } => GrantedKey::Secret(SecretValueKey {
                project: grant.project,
                secret,
                secret_key_version,
                key,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn grants_open_only_for_their_service_and_only_if_signed_by_the_project() {
        let mut rng = crate::rng::os_rng();
        let vk = VaultKey::generate(VaultId([6; 16]), &mut rng);
        let pk = ProjectKeys::generate(vk.vault_id(), &mut rng);
        let token = ServiceToken::generate(pk.project(), pk.public().ed25519, &mut rng);
        let g = pk.grant_project(&vk, &token.public(), &mut rng).unwrap();
        match token.open_grant(&g).unwrap() {
            GrantedKey::Project(k) => assert_eq!(k, vk),
            other => panic!("{other:?}"),
        }
        // Another service cannot open it.
        let other = ServiceToken::generate(pk.project(), pk.public().ed25519, &mut rng);
        assert!(other.open_grant(&g).is_err());
        // A grant signed by another project key (a server's forgery) is refused.
        let forger = ProjectKeys::generate(pk.project(), &mut rng);
        let mut pinned_forger = token.public();
        pinned_forger.project_signing_key = forger.public().ed25519;
        let forged = forger.grant_index(&pinned_forger, &mut rng).unwrap();
        assert!(matches!(
            token.open_grant(&forged),
            Err(Error::BadSignature(_))
        ));
        // Changing the scope after signing breaks the signature.
        let mut moved = g.clone();
        moved.scope = GrantScope::Project { key_version: 2 };
        assert!(token.open_grant(&moved).is_err());
        // An admin refuses to approve a service that pinned another key.
        let wrong = ServiceToken::generate(pk.project(), [9; 32], &mut rng);
        assert!(pk.grant_index(&wrong.public(), &mut rng).is_err());
    }
}
