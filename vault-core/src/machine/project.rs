//! A project's own keys, beside its vault key.

use super::MACHINE_FORMAT_VERSION;
use super::name::{BlindIndex, SecretName};
use crate::context::Context;
use crate::encoding::b64_array;
use crate::envelope::Envelope;
use crate::error::{Error, Result};
use crate::identity::{digit_fingerprint, digits_match};
use crate::ids::VaultId;
use crate::secret::SymmetricKey;
use crate::vault::VaultKey;
use ed25519_dalek::Signer;
use zeroize::Zeroizing;

/// The private keys of a project (`docs/format.md` §16.2): the blind-index
/// key, an X25519 key that parties without read access seal to, and an
/// Ed25519 key that signs every grant to a service. Random at creation,
/// sealed under the project's vault key for its members; the server keeps
/// only [`ProjectPublic`]. Zeroized on drop; `Debug` is redacted.
pub struct ProjectKeys {
    project: VaultId,
    pub(crate) index_key: SymmetricKey,
    pub(crate) x25519: x25519_dalek::StaticSecret,
    ed25519: ed25519_dalek::SigningKey,
}

impl core::fmt::Debug for ProjectKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProjectKeys")
            .field("project", &self.project)
            .finish_non_exhaustive()
    }
}

/// [`ProjectKeys`] sealed under one generation of the project's vault key
/// (`Context::ProjectKeys`), as the server stores it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedProjectKeys {
    /// Format version (1).
    pub v: u8,
    /// The project.
    pub project: VaultId,
    /// Vault key generation that seals them.
    pub key_version: u32,
    /// `index key || X25519 secret || Ed25519 seed` (96 bytes), sealed.
    pub envelope: Envelope,
}

/// The public half of a project's keys, self-signed with its Ed25519 key so
/// the X25519 key cannot be swapped by whoever relays it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectPublic {
    /// Format version (1).
    pub v: u8,
    /// The project.
    pub project: VaultId,
    /// Seal stubs and access-request reasons to this key.
    #[serde(with = "b64_array")]
    pub x25519: [u8; 32],
    /// Grants to services are signed with this key; services pin it.
    #[serde(with = "b64_array")]
    pub ed25519: [u8; 32],
    /// Ed25519 over `"VLT1 project" || v || project || x25519 || ed25519`.
    #[serde(with = "b64_array")]
    pub signature: [u8; 64],
}

/// A short text that tells a service which project to register with and
/// which key to trust: `vpr1.<project uuid>.<Ed25519 key, base64url>`.
/// `vault project create` prints it; `vault service register --project`
/// accepts it (or a bare project id, trusting the server for the key).
///
/// ```
/// use vault_core::machine::{ProjectKeys, ProjectRef};
/// use vault_core::VaultId;
/// let keys = ProjectKeys::generate(VaultId([1; 16]), &mut vault_core::rng::os_rng());
/// let text = keys.public().reference().to_string();
/// let parsed: ProjectRef = text.parse()?;
/// assert_eq!(parsed.project, VaultId([1; 16]));
/// assert_eq!(parsed.ed25519, keys.public().ed25519);
/// # Ok::<(), vault_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProjectRef {
    /// The project.
    pub project: VaultId,
    /// Its Ed25519 grant-signing key.
    pub ed25519: [u8; 32],
}

impl core::fmt::Display for ProjectRef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "vpr1.{}.{}",
            self.project,
            crate::encoding::b64_encode(&self.ed25519)
        )
    }
}

impl core::str::FromStr for ProjectRef {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let rest = s.trim().strip_prefix("vpr1.").ok_or(Error::malformed(
            "project reference",
            "must start with vpr1.",
        ))?;
        let (id, key) = rest
            .split_once('.')
            .ok_or(Error::malformed("project reference", "missing the key"))?;
        let key = crate::encoding::b64_decode(key, "project reference")?;
        Ok(ProjectRef {
            project: id.parse()?,
            ed25519: key
                .try_into()
                .map_err(|_| Error::malformed("project reference", "key must be 32 bytes"))?,
        })
    }
}

impl ProjectPublic {
    fn signed_bytes(v: u8, project: &VaultId, x: &[u8; 32], e: &[u8; 32]) -> Vec<u8> {
        let mut m = Vec::with_capacity(12 + 1 + 16 + 64);
        m.extend_from_slice(b"VLT1 project");
        m.push(v);
        m.extend_from_slice(project.as_bytes());
        m.extend_from_slice(x);
        m.extend_from_slice(e);
        m
    }

    /// Checks the self-signature (and, when `pinned` is given, that the
    /// signing key is the one pinned) and rejects a low-order X25519 key.
    pub fn verify(&self, pinned: Option<&[u8; 32]>) -> Result<()> {
        if self.v != MACHINE_FORMAT_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "project public key",
                version: self.v,
            });
        }
        if let Some(pinned) = pinned
            && pinned != &self.ed25519
        {
            return Err(Error::BadSignature(
                "project public key (not the pinned key)",
            ));
        }
        super::ed25519_verify(
            &self.ed25519,
            &Self::signed_bytes(self.v, &self.project, &self.x25519, &self.ed25519),
            &self.signature,
            "project public key",
        )?;
        super::check_contributory(&self.x25519, "low-order project X25519 key")
    }

    /// The fingerprint an admin and a service operator compare:
    /// six groups of five digits over the project id and both keys.
    pub fn fingerprint(&self) -> String {
        digit_fingerprint(
            b"VLT1 project fingerprint",
            &[self.project.as_bytes(), &self.ed25519, &self.x25519],
        )
    }

    /// Whether `expected` is this project's fingerprint (digits only,
    /// constant time).
    pub fn fingerprint_matches(&self, expected: &str) -> bool {
        digits_match(&self.fingerprint(), expected)
    }

    /// The reference services register with.
    pub fn reference(&self) -> ProjectRef {
        ProjectRef {
            project: self.project,
            ed25519: self.ed25519,
        }
    }
}

impl ProjectKeys {
    /// Fresh keys for `project`.
    pub fn generate(project: VaultId, rng: &mut impl rand_core::CryptoRng) -> Self {
        let mut bytes = Zeroizing::new([0u8; 96]);
        rng.fill_bytes(&mut bytes[..]);
        Self::from_bytes(project, &bytes)
    }

    fn from_bytes(project: VaultId, bytes: &[u8; 96]) -> Self {
        let (index, rest) = bytes.split_at(32);
        let (x, e) = rest.split_at(32);
        let mut x_arr = Zeroizing::new([0u8; 32]);
        let mut e_arr = Zeroizing::new([0u8; 32]);
        x_arr.copy_from_slice(x);
        e_arr.copy_from_slice(e);
        let mut i_arr = Zeroizing::new([0u8; 32]);
        i_arr.copy_from_slice(index);
        ProjectKeys {
            project,
            index_key: SymmetricKey::from_bytes(*i_arr),
            x25519: x25519_dalek::StaticSecret::from(*x_arr),
            ed25519: ed25519_dalek::SigningKey::from_bytes(&e_arr),
        }
    }

    fn to_bytes(&self) -> Zeroizing<[u8; 96]> {
        let mut out = Zeroizing::new([0u8; 96]);
        let (i, rest) = out.split_at_mut(32);
        let (x, e) = rest.split_at_mut(32);
        i.copy_from_slice(self.index_key.expose_secret());
        x.copy_from_slice(self.x25519.as_bytes());
        e.copy_from_slice(self.ed25519.as_bytes());
        out
    }

    /// The project.
    pub fn project(&self) -> VaultId {
        self.project
    }

    /// The public half, self-signed.
    pub fn public(&self) -> ProjectPublic {
        let x25519 = x25519_dalek::PublicKey::from(&self.x25519).to_bytes();
        let ed25519 = self.ed25519.verifying_key().to_bytes();
        let msg =
            ProjectPublic::signed_bytes(MACHINE_FORMAT_VERSION, &self.project, &x25519, &ed25519);
        ProjectPublic {
            v: MACHINE_FORMAT_VERSION,
            project: self.project,
            x25519,
            ed25519,
            signature: self.ed25519.sign(&msg).to_bytes(),
        }
    }

    /// The blind index of `name` in this project.
    pub fn blind_index(&self, name: &SecretName) -> Result<BlindIndex> {
        BlindIndex::compute(&self.index_key, name)
    }

    pub(crate) fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.ed25519.sign(msg).to_bytes()
    }

    fn ctx(vault_key: &VaultKey) -> Context {
        Context::ProjectKeys {
            project: vault_key.vault_id(),
            key_version: vault_key.key_version(),
        }
    }

    /// Seals these keys under the project's vault key (any generation: after
    /// a rotation, seal them again under the new one).
    pub fn seal(
        &self,
        vault_key: &VaultKey,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<EncryptedProjectKeys> {
        if vault_key.vault_id() != self.project {
            return Err(Error::InvalidArgument("vault key of another project"));
        }
        Ok(EncryptedProjectKeys {
            v: MACHINE_FORMAT_VERSION,
            project: self.project,
            key_version: vault_key.key_version(),
            envelope: Envelope::seal(
                vault_key.key(),
                &Self::ctx(vault_key),
                &self.to_bytes()[..],
                rng,
            )?,
        })
    }

    /// Opens sealed project keys with the vault key of the generation that
    /// sealed them. Any mismatch is [`Error::Decrypt`].
    pub fn open(vault_key: &VaultKey, sealed: &EncryptedProjectKeys) -> Result<Self> {
        if sealed.v != MACHINE_FORMAT_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "project keys",
                version: sealed.v,
            });
        }
        if sealed.project != vault_key.vault_id() || sealed.key_version != vault_key.key_version() {
            return Err(Error::Decrypt);
        }
        let pt = sealed
            .envelope
            .open(vault_key.key(), &Self::ctx(vault_key))?;
        let arr: &[u8; 96] = pt.as_slice().try_into().map_err(|_| Error::Decrypt)?;
        Ok(Self::from_bytes(sealed.project, arr))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn seal_open_and_public_key_checks() {
        let mut rng = crate::rng::os_rng();
        let vk = VaultKey::generate(VaultId([3; 16]), &mut rng);
        let keys = ProjectKeys::generate(vk.vault_id(), &mut rng);
        let sealed = keys.seal(&vk, &mut rng).unwrap();
        let again = ProjectKeys::open(&vk, &sealed).unwrap();
        assert_eq!(again.public(), keys.public());
        // Another generation or project does not open it.
        let other = VaultKey::from_parts(vk.vault_id(), 2, vk.key().clone());
        assert_eq!(
            ProjectKeys::open(&other, &sealed).unwrap_err(),
            Error::Decrypt
        );

        let public = keys.public();
        public.verify(None).unwrap();
        public.verify(Some(&public.ed25519)).unwrap();
        assert!(public.verify(Some(&[9; 32])).is_err());
        let mut swapped = public.clone();
        swapped.x25519 = ProjectKeys::generate(vk.vault_id(), &mut rng)
            .public()
            .x25519;
        assert!(swapped.verify(None).is_err());
        assert!(public.fingerprint_matches(&public.fingerprint()));
        assert!(
            !format!("{keys:?}")
                .contains(&crate::encoding::b64_encode(keys.index_key.expose_secret()))
        );
    }
}
