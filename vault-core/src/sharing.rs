//! Sharing a vault: the vault key sealed to the recipient's X25519 identity
//! key with HPKE (RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! ChaCha20-Poly1305), bound by `info` to vault, key generation, sender and
//! recipient, and signed with the sender's Ed25519 key.
//!
//! A blind server could hand out a substituted public key; users defeat that
//! by comparing [`PublicIdentity::fingerprint`]s out of band.

use crate::account::UnlockedAccount;
use crate::encoding::{b64_array, b64_vec};
use crate::error::{Error, Result};
use crate::identity::PublicIdentity;
use crate::ids::{AccountId, VaultId};
use crate::secret::SymmetricKey;
use crate::vault::VaultKey;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};

type Kem = hpke::kem::X25519HkdfSha256;
type Kdf = hpke::kdf::HkdfSha256;
type Aead = hpke::aead::ChaCha20Poly1305;

/// Current grant format version.
pub const GRANT_VERSION: u8 = 1;

/// What a member may do with a vault. Signed into the grant; the server
/// enforces it for writes, the signature lets members audit it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Role {
    /// Full control, including sharing.
    Owner,
    /// Read and write items.
    Editor,
    /// Read only.
    Viewer,
}

impl Role {
    /// One-byte encoding inside signed data.
    pub fn id(self) -> u8 {
        match self {
            Role::Owner => 1,
            Role::Editor => 2,
            Role::Viewer => 3,
        }
    }

    /// The role's text form, as in JSON, the database and the CLI:
    /// `owner`, `editor` or `viewer`.
    ///
    /// ```
    /// use vault_core::Role;
    /// assert_eq!(Role::Editor.as_str(), "editor");
    /// assert_eq!("viewer".parse::<Role>(), Ok(Role::Viewer));
    /// assert!("admin".parse::<Role>().is_err());
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }
}

impl core::fmt::Display for Role {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not `owner`, `editor` or `viewer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown role: expected owner, editor or viewer")]
pub struct UnknownRole;

impl core::str::FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, UnknownRole> {
        match s {
            "owner" => Ok(Role::Owner),
            "editor" => Ok(Role::Editor),
            "viewer" => Ok(Role::Viewer),
            _ => Err(UnknownRole),
        }
    }
}

/// A signed, sealed grant of one vault key generation to one recipient.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VaultGrant {
    /// Format version ([`GRANT_VERSION`]).
    pub v: u8,
    /// The vault.
    pub vault: VaultId,
    /// Vault key generation.
    pub key_version: u32,
    /// Who grants.
    pub sender: AccountId,
    /// Who receives.
    pub recipient: AccountId,
    /// Granted role.
    pub role: Role,
    /// HPKE encapsulated key (32 bytes).
    #[serde(with = "b64_array")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    pub enc: [u8; 32],
    /// HPKE ciphertext of the 32-byte vault key (48 bytes with the tag).
    #[serde(with = "b64_vec")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    pub ciphertext: Vec<u8>,
    /// Sender's Ed25519 signature over [`VaultGrant::signed_bytes`].
    #[serde(with = "b64_array")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    pub signature: [u8; 64],
}

impl VaultGrant {
    /// HPKE `info`: `"VLT1 grant" || vault || key_version (BE32) || sender ||
    /// recipient || sender Ed25519 key || recipient X25519 key`.
    pub fn hpke_info(
        vault: &VaultId,
        key_version: u32,
        sender: &PublicIdentity,
        recipient: &PublicIdentity,
    ) -> Vec<u8> {
        let mut info = Vec::with_capacity(10 + 16 + 4 + 32 + 64);
        info.extend_from_slice(b"VLT1 grant");
        info.extend_from_slice(vault.as_bytes());
        info.extend_from_slice(&key_version.to_be_bytes());
        info.extend_from_slice(sender.account.as_bytes());
        info.extend_from_slice(recipient.account.as_bytes());
        info.extend_from_slice(&sender.ed25519);
        info.extend_from_slice(&recipient.x25519);
        info
    }

    /// HPKE associated data: the version and role bytes.
    fn hpke_aad(v: u8, role: Role) -> [u8; 2] {
        [v, role.id()]
    }

    /// The bytes the sender signs: `"VLT1 grant-sig" || v || vault ||
    /// key_version (BE32) || sender || recipient || role || enc || ciphertext`.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut m = Vec::with_capacity(14 + 1 + 16 + 4 + 32 + 1 + 32 + self.ciphertext.len());
        m.extend_from_slice(b"VLT1 grant-sig");
        m.push(self.v);
        m.extend_from_slice(self.vault.as_bytes());
        m.extend_from_slice(&self.key_version.to_be_bytes());
        m.extend_from_slice(self.sender.as_bytes());
        m.extend_from_slice(self.recipient.as_bytes());
        m.push(self.role.id());
        m.extend_from_slice(&self.enc);
        m.extend_from_slice(&self.ciphertext);
        m
    }

    /// Checks the grant is well formed and signed by `sender`'s identity.
    pub fn verify(&self, sender: &PublicIdentity) -> Result<()> {
        if self.v != GRANT_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "grant",
                version: self.v,
            });
        }
        if sender.account != self.sender {
            return Err(Error::BadSignature("grant (sender mismatch)"));
        }
        if self.ciphertext.len() != 48 {
            return Err(Error::malformed("grant", "ciphertext must be 48 bytes"));
        }
        let sig = ed25519_dalek::Signature::from_bytes(&self.signature);
        sender
            .verifying_key()?
            .verify_strict(&self.signed_bytes(), &sig)
            .map_err(|_| Error::BadSignature("grant"))
    }

    /// Parses a grant from JSON.
    pub fn from_json(json: &str) -> Result<Self> {
        crate::encoding::json_from_str(json).map_err(|_| Error::malformed("grant", "invalid JSON"))
    }
}

impl UnlockedAccount {
    /// Grants `key` to `recipient` with `role`. Verify the recipient's
    /// fingerprint out of band before calling this for a new contact.
    ///
    /// ```
    /// use vault_core::*;
    /// let mut rng = vault_core::rng::os_rng();
    /// let (alice, _) = UnlockedAccount::create("a", None, KdfParams::INSECURE_TEST_ONLY, &mut rng).unwrap();
    /// let (bob, _) = UnlockedAccount::create("b", None, KdfParams::INSECURE_TEST_ONLY, &mut rng).unwrap();
    /// let (vk, _, _) = alice.create_vault(&VaultMeta::default(), &mut rng).unwrap();
    /// let grant = alice.grant_vault(&vk, bob.public_identity(), Role::Editor, &mut rng).unwrap();
    /// let opened = bob.open_grant(&grant, alice.public_identity()).unwrap();
    /// assert_eq!(opened, vk);
    /// ```
    pub fn grant_vault(
        &self,
        key: &VaultKey,
        recipient: &PublicIdentity,
        role: Role,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<VaultGrant> {
        recipient.verify()?;
        let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(&recipient.x25519)
            .map_err(|_| Error::InvalidPeerValue("recipient X25519 key"))?;
        let info = VaultGrant::hpke_info(&key.vault, key.key_version, &self.public, recipient);
        let aad = VaultGrant::hpke_aad(GRANT_VERSION, role);
        let (enc, ciphertext) = hpke::single_shot_seal_with_rng::<Aead, Kdf, Kem>(
            &OpModeS::Base,
            &pk,
            &info,
            key.key.expose_secret(),
            &aad,
            rng,
        )
        .map_err(|_| Error::InvalidPeerValue("recipient X25519 key"))?;
        let mut enc_bytes = [0u8; 32];
        enc_bytes.copy_from_slice(&enc.to_bytes());
        let mut grant = VaultGrant {
            v: GRANT_VERSION,
            vault: key.vault,
            key_version: key.key_version,
            sender: self.account,
            recipient: recipient.account,
            role,
            enc: enc_bytes,
            ciphertext,
            signature: [0u8; 64],
        };
        grant.signature = self.identity.sign(&grant.signed_bytes());
        Ok(grant)
    }

    /// Verifies a grant addressed to this account against the sender's
    /// identity, then opens it.
    pub fn open_grant(&self, grant: &VaultGrant, sender: &PublicIdentity) -> Result<VaultKey> {
        grant.verify(sender)?;
        if grant.recipient != self.account {
            return Err(Error::InvalidArgument(
                "grant is addressed to another account",
            ));
        }
        let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(self.identity.x25519.as_bytes())
            .map_err(|_| Error::Decrypt)?;
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&grant.enc)
            .map_err(|_| Error::InvalidPeerValue("grant encapsulated key"))?;
        let info = VaultGrant::hpke_info(&grant.vault, grant.key_version, sender, &self.public);
        let aad = VaultGrant::hpke_aad(grant.v, grant.role);
        let pt = zeroize::Zeroizing::new(
            hpke::single_shot_open::<Aead, Kdf, Kem>(
                &OpModeR::Base,
                &sk,
                &enc,
                &info,
                &grant.ciphertext,
                &aad,
            )
            .map_err(|_| Error::Decrypt)?,
        );
        Ok(VaultKey {
            vault: grant.vault,
            key_version: grant.key_version,
            key: SymmetricKey::from_slice(&pt)?,
        })
    }
}

/// Raw HPKE base-mode seal/open for our suite, exposed for the RFC 9180 vector suite.
pub mod raw {
    use super::*;

    /// Derives an X25519 key pair from `ikm` (RFC 9180 `DeriveKeyPair`); returns (sk, pk).
    pub fn derive_keypair(ikm: &[u8]) -> ([u8; 32], [u8; 32]) {
        let (sk, pk) = Kem::derive_keypair(ikm);
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        a.copy_from_slice(&sk.to_bytes());
        b.copy_from_slice(&pk.to_bytes());
        (a, b)
    }

    /// Base-mode single-shot seal with the ephemeral key drawn from `rng`.
    pub fn seal(
        pk_r: &[u8],
        info: &[u8],
        aad: &[u8],
        pt: &[u8],
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(pk_r)
            .map_err(|_| Error::InvalidPeerValue("X25519 public key"))?;
        let (enc, ct) = hpke::single_shot_seal_with_rng::<Aead, Kdf, Kem>(
            &OpModeS::Base,
            &pk,
            info,
            pt,
            aad,
            rng,
        )
        .map_err(|_| Error::InvalidPeerValue("X25519 public key"))?;
        Ok((enc.to_bytes().to_vec(), ct))
    }

    /// Base-mode single-shot open.
    pub fn open(sk_r: &[u8], enc: &[u8], info: &[u8], aad: &[u8], ct: &[u8]) -> Result<Vec<u8>> {
        let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(sk_r)
            .map_err(|_| Error::InvalidArgument("X25519 private key"))?;
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc)
            .map_err(|_| Error::InvalidPeerValue("encapsulated key"))?;
        hpke::single_shot_open::<Aead, Kdf, Kem>(&OpModeR::Base, &sk, &enc, info, ct, aad)
            .map_err(|_| Error::Decrypt)
    }
}
