//! Machine secrets: projects whose items are named secrets, read by
//! services with their own keys (`docs/secrets.md`, `docs/format.md` §16).
//!
//! A **project** is a vault. Beside its vault key it has [`ProjectKeys`]:
//! a blind-index key (lookups by name without showing the name to the
//! server), an X25519 key pair (anyone may seal *to* the project: stub names,
//! access-request reasons) and an Ed25519 key pair (every grant to a service
//! is signed with it, so a server cannot hand a service keys of its own
//! making). Every secret has its own key and numbered versions.
//!
//! A **service** holds a [`ServiceToken`] it generated itself (or an admin
//! generated for it). An admin's client approves it cryptographically: it
//! seals the index key and either the project's vault key (whole-project
//! access) or single secrets' keys to the service's X25519 key, as signed
//! [`ServiceGrant`]s. The service's [`ServiceKeyring`] opens them and
//! decrypts what the server hands out.
//!
//! ```
//! use vault_core::machine::*;
//! use vault_core::{VaultKey, VaultId, rng};
//! let mut rng = rng::os_rng();
//! // An admin's client makes a project (a vault) and its keys...
//! let vault_key = VaultKey::generate(VaultId::generate(&mut rng), &mut rng);
//! let project = ProjectKeys::generate(vault_key.vault_id(), &mut rng);
//! // ...and a secret.
//! let entry = SecretEntry::new("DATABASE_URL", "postgres://db/prod", "primary database")?;
//! let (secret, version) = project.create_secret(&vault_key, &entry, &mut rng)?;
//!
//! // A service generates its token and registers the public part.
//! let token = ServiceToken::generate(project.project(), project.public().ed25519, &mut rng);
//! let public = token.public();
//!
//! // The admin approves it for this one secret.
//! let key = project.unwrap_secret_key(&vault_key, &secret)?;
//! let grants = vec![
//!     project.grant_index(&public, &mut rng)?,
//!     project.grant_secret(&key, &public, &mut rng)?,
//! ];
//!
//! // The service finds the secret by blind index and decrypts it.
//! let keyring = ServiceKeyring::open(&token, &grants)?;
//! let name = SecretName::new("DATABASE_URL")?;
//! assert_eq!(keyring.blind_index(&name)?, secret.blind_index);
//! let opened = keyring.open_secret(&secret, &version)?;
//! assert_eq!(opened.value.expose_secret(), "postgres://db/prod");
//! # Ok::<(), vault_core::Error>(())
//! ```

mod grant;
mod keyring;
mod name;
mod project;
pub mod schema;
mod seal;
mod secret;
pub mod template;
mod token;

pub use grant::{GrantScope, GrantedKey, ServiceGrant};
pub use keyring::ServiceKeyring;
pub use name::{BlindIndex, MAX_SECRET_NAME_BYTES, SecretName};
pub use project::{EncryptedProjectKeys, ProjectKeys, ProjectPublic, ProjectRef};
pub use seal::{SealPurpose, SealedToProject, StubHint};
pub use secret::{
    EncryptedSecret, EncryptedSecretVersion, MAX_SECRET_VALUE_BYTES, SecretEntry, SecretValueKey,
};
pub use token::{ServicePublic, ServiceToken, parse_auth_header};

/// Format version of every machine-secrets record (`v` in the JSON forms).
pub const MACHINE_FORMAT_VERSION: u8 = 1;

/// Verifies an Ed25519 signature strictly (no malleable or small-order
/// keys); any failure is [`Error::BadSignature`] naming `what`.
fn ed25519_verify(
    public: &[u8; 32],
    msg: &[u8],
    signature: &[u8; 64],
    what: &'static str,
) -> crate::Result<()> {
    let vk = ed25519_dalek::VerifyingKey::from_bytes(public)
        .map_err(|_| crate::Error::InvalidPeerValue("Ed25519 public key"))?;
    vk.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(signature))
        .map_err(|_| crate::Error::BadSignature(what))
}

/// Refuses a low-order X25519 public key: anything sealed to it would be
/// readable by anyone.
fn check_contributory(public: &[u8; 32], what: &'static str) -> crate::Result<()> {
    let probe = x25519_dalek::StaticSecret::from([0x42u8; 32]);
    if probe
        .diffie_hellman(&x25519_dalek::PublicKey::from(*public))
        .was_contributory()
    {
        Ok(())
    } else {
        Err(crate::Error::InvalidPeerValue(what))
    }
}
