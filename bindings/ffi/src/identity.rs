//! Public identities (X25519 to receive grants, Ed25519 to sign them) and the
//! fingerprints people compare out of band.

use crate::convert;
use crate::error::Result;

/// A user's self-signed public identity, as the server's directory hands it out.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct PublicIdentity {
    /// Whose identity (account id, UUID text).
    pub account: String,
    /// X25519 public key (32 bytes): receives grants.
    pub x25519: Vec<u8>,
    /// Ed25519 public key (32 bytes): signs grants.
    pub ed25519: Vec<u8>,
    /// Ed25519 self-signature (64 bytes).
    pub signature: Vec<u8>,
}

impl From<&vault_core::PublicIdentity> for PublicIdentity {
    fn from(p: &vault_core::PublicIdentity) -> Self {
        PublicIdentity {
            account: p.account.to_string(),
            x25519: p.x25519.to_vec(),
            ed25519: p.ed25519.to_vec(),
            signature: p.signature.to_vec(),
        }
    }
}

impl TryFrom<&PublicIdentity> for vault_core::PublicIdentity {
    type Error = crate::error::VaultError;
    fn try_from(p: &PublicIdentity) -> Result<Self> {
        Ok(vault_core::PublicIdentity {
            account: convert::id(&p.account)?,
            x25519: convert::array(&p.x25519, "public identity", "x25519 is 32 bytes")?,
            ed25519: convert::array(&p.ed25519, "public identity", "ed25519 is 32 bytes")?,
            signature: convert::array(&p.signature, "public identity", "signature is 64 bytes")?,
        })
    }
}

#[uniffi::export]
impl PublicIdentity {
    /// Checks the self-signature and rejects low-order X25519 keys
    /// (error code `bad_signature` / `invalid_peer_value`).
    pub fn verify(&self) -> Result<()> {
        Ok(vault_core::PublicIdentity::try_from(self)?.verify()?)
    }

    /// The fingerprint to read out to the people you share with
    /// (six groups of five digits).
    pub fn fingerprint(&self) -> Result<String> {
        Ok(vault_core::PublicIdentity::try_from(self)?.fingerprint())
    }

    /// The canonical JSON form.
    pub fn to_json(&self) -> Result<String> {
        convert::to_json(&vault_core::PublicIdentity::try_from(self)?)
    }
}

/// Parses a public identity from its JSON form.
#[uniffi::export]
pub fn public_identity_from_json(json: &str) -> Result<PublicIdentity> {
    let p: vault_core::PublicIdentity = convert::from_json(json, "public identity")?;
    Ok((&p).into())
}
