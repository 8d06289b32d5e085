//! Sharing a vault: HPKE-sealed, Ed25519-signed grants of a vault key.

use crate::account::UnlockedAccount;
use crate::convert;
use crate::error::Result;
use crate::identity::PublicIdentity;
use crate::rng::Rng;
use crate::vault::VaultKey;
use std::sync::Arc;

/// What a member may do with a vault; signed into the grant.
#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Full control, including sharing.
    Owner,
    /// Read and write items.
    Editor,
    /// Read only.
    Viewer,
}

impl From<Role> for vault_core::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Owner => vault_core::Role::Owner,
            Role::Editor => vault_core::Role::Editor,
            Role::Viewer => vault_core::Role::Viewer,
        }
    }
}

impl From<vault_core::Role> for Role {
    fn from(r: vault_core::Role) -> Self {
        match r {
            vault_core::Role::Owner => Role::Owner,
            vault_core::Role::Editor => Role::Editor,
            vault_core::Role::Viewer => Role::Viewer,
        }
    }
}

/// A signed, sealed grant of one vault key generation to one recipient.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct VaultGrant {
    /// Format version (1).
    pub v: u8,
    /// The vault (UUID text).
    pub vault: String,
    /// Vault key generation.
    pub key_version: u32,
    /// Who grants (account id).
    pub sender: String,
    /// Who receives (account id).
    pub recipient: String,
    /// Granted role.
    pub role: Role,
    /// HPKE encapsulated key (32 bytes).
    pub enc: Vec<u8>,
    /// HPKE ciphertext of the vault key (48 bytes).
    pub ciphertext: Vec<u8>,
    /// The sender's Ed25519 signature (64 bytes).
    pub signature: Vec<u8>,
}

impl From<&vault_core::VaultGrant> for VaultGrant {
    fn from(g: &vault_core::VaultGrant) -> Self {
        VaultGrant {
            v: g.v,
            vault: g.vault.to_string(),
            key_version: g.key_version,
            sender: g.sender.to_string(),
            recipient: g.recipient.to_string(),
            role: g.role.into(),
            enc: g.enc.to_vec(),
            ciphertext: g.ciphertext.clone(),
            signature: g.signature.to_vec(),
        }
    }
}

impl TryFrom<&VaultGrant> for vault_core::VaultGrant {
    type Error = crate::error::VaultError;
    fn try_from(g: &VaultGrant) -> Result<Self> {
        Ok(vault_core::VaultGrant {
            v: g.v,
            vault: convert::id(&g.vault)?,
            key_version: g.key_version,
            sender: convert::id(&g.sender)?,
            recipient: convert::id(&g.recipient)?,
            role: g.role.into(),
            enc: convert::array(&g.enc, "grant", "enc is 32 bytes")?,
            ciphertext: g.ciphertext.clone(),
            signature: convert::array(&g.signature, "grant", "signature is 64 bytes")?,
        })
    }
}

#[uniffi::export]
impl VaultGrant {
    /// Checks the grant is well formed and signed by `sender`'s identity.
    pub fn verify(&self, sender: &PublicIdentity) -> Result<()> {
        let g = vault_core::VaultGrant::try_from(self)?;
        Ok(g.verify(&sender.try_into()?)?)
    }

    /// The canonical JSON form.
    pub fn to_json(&self) -> Result<String> {
        convert::to_json(&vault_core::VaultGrant::try_from(self)?)
    }
}

/// Parses a grant from JSON.
#[uniffi::export]
pub fn vault_grant_from_json(json: &str) -> Result<VaultGrant> {
    Ok((&vault_core::VaultGrant::from_json(json)?).into())
}

/// The HPKE `info` a grant binds (`docs/format.md` §7), for other
/// implementations and test vectors.
#[uniffi::export]
pub fn vault_grant_hpke_info(
    vault_id: &str,
    key_version: u32,
    sender: &PublicIdentity,
    recipient: &PublicIdentity,
) -> Result<Vec<u8>> {
    Ok(vault_core::VaultGrant::hpke_info(
        &convert::id(vault_id)?,
        key_version,
        &sender.try_into()?,
        &recipient.try_into()?,
    ))
}

#[uniffi::export]
impl UnlockedAccount {
    /// Grants `key` to `recipient` with `role`. Compare the recipient's
    /// fingerprint out of band before granting to a new contact.
    pub fn grant_vault(
        &self,
        key: &VaultKey,
        recipient: &PublicIdentity,
        role: Role,
        rng: &Rng,
    ) -> Result<VaultGrant> {
        let recipient = vault_core::PublicIdentity::try_from(recipient)?;
        let g = rng.with(|r| self.0.grant_vault(&key.0, &recipient, role.into(), r))?;
        Ok((&g).into())
    }

    /// Verifies a grant addressed to this account against the sender's
    /// identity, then opens it.
    pub fn open_grant(&self, grant: &VaultGrant, sender: &PublicIdentity) -> Result<Arc<VaultKey>> {
        let g = vault_core::VaultGrant::try_from(grant)?;
        let sender = vault_core::PublicIdentity::try_from(sender)?;
        Ok(VaultKey::wrap(self.0.open_grant(&g, &sender)?))
    }
}
