//! # vault-core
//!
//! The pure core of Vault, a zero-knowledge secrets manager: everything that
//! touches a secret lives here, and nothing here does IO. There is no network,
//! file system, clock or global RNG: randomness is injected
//! (`&mut impl CryptoRng`, normally [`rng::os_rng`]), and every output is data
//! the caller stores or sends.
//!
//! ```text
//! password (+ Secret Key) ─Argon2id─▶ stretched ─HKDF─┬▶ auth key (SRP/OPAQUE input)
//!                                                     └▶ master KEK
//! master KEK ─wraps─▶ account key ─wraps─▶ vault keys, identity keys
//! vault key ─wraps─▶ item keys ─seal─▶ item overview | item details
//! vault key ─HPKE to recipient's X25519, Ed25519-signed─▶ grant
//! ```
//!
//! Every sealed blob is an [`Envelope`] whose associated data binds a
//! [`Context`] (what it is, its ids, its revision), so a server cannot swap
//! blobs around. The byte formats are specified in `docs/format.md`.
//!
//! ## Example
//!
//! ```
//! use vault_core::*;
//! let mut rng = rng::os_rng();
//! // Two users (real apps use KdfParams::DEFAULT).
//! let p = KdfParams::INSECURE_TEST_ONLY;
//! let (alice, alice_rec) = UnlockedAccount::create("alice pw", None, p, &mut rng)?;
//! let (bob, _) = UnlockedAccount::create("bob pw", None, p, &mut rng)?;
//!
//! // Alice makes a vault and adds a login.
//! let (vk, _vault, _wrapped) = alice.create_vault(&VaultMeta { name: "Team".into(), ..Default::default() }, &mut rng)?;
//! let item = Item {
//!     title: "Database".into(),
//!     data: ItemData::Login { username: "admin".into(), password: "s3cret".into(), uris: vec!["https://db.example".into()], totp: Default::default() },
//!     notes: Default::default(), tags: vec![], favorite: false, custom_fields: vec![],
//! };
//! let enc = vk.encrypt_item(ItemId::generate(&mut rng), 1, &item, &mut rng)?;
//!
//! // She shares the vault with Bob, who opens the grant and reads the item.
//! let grant = alice.grant_vault(&vk, bob.public_identity(), Role::Viewer, &mut rng)?;
//! let bobs_key = bob.open_grant(&grant, alice.public_identity())?;
//! assert_eq!(bobs_key.decrypt_item(&enc)?.title, "Database");
//!
//! // Offline unlock later: only the password and the stored record are needed.
//! let again = alice_rec.encrypted.unlock("alice pw", None, &KdfPolicy::PERMISSIVE_TEST_ONLY)?;
//! assert_eq!(again.account_id(), alice.account_id());
//! # Ok::<(), vault_core::Error>(())
//! ```

pub mod account;
pub mod context;
pub mod encoding;
pub mod envelope;
pub mod error;
#[cfg(feature = "hazmat")]
pub mod hazmat;
pub mod identifier;
pub mod identity;
pub mod ids;
pub mod item;
pub mod kdf;
pub mod machine;
pub mod opaque;
pub mod prelogin;
// Raw AEADs with caller-chosen nonces: crate-private; the Wycheproof suites
// reach them through `hazmat::primitives`.
mod primitives;
pub mod quick_unlock;
pub mod recovery;
pub mod rng;
pub mod rotation;
pub mod secret;
pub mod secret_key;
pub mod server_keyring;
pub mod shamir;
pub mod sharing;
pub mod srp;
pub mod sync;
mod tagged;
pub mod vault;

pub use account::{EncryptedAccount, NewCredentials, UnlockedAccount};
pub use context::Context;
pub use envelope::{Algorithm, Envelope};
pub use error::{Error, Result};
pub use identity::{IdentityKeys, PublicIdentity};
pub use ids::{AccountId, DeviceId, ItemId, SecretId, ServiceId, VaultId};
pub use item::{
    CustomField, EncryptedItem, EnvEntry, FieldKind, Item, ItemData, ItemKind, ListRow,
    NoPrimarySecret, Overview,
};
pub use kdf::{KdfConfig, KdfParams, KdfPolicy, KdfSalt, MasterKeys};
pub use quick_unlock::{DeviceUnlock, PinUnlock};
pub use recovery::{RecoveryKey, RecoveryWrap};
pub use rotation::AccountKeyRotation;
pub use secret::{SecretBytes, SecretString, SymmetricKey};
pub use secret_key::SecretKey;
pub use shamir::Share;
pub use sharing::{Role, UnknownRole, VaultGrant};
pub use vault::{EncryptedVault, VaultKey, VaultMeta, WrappedVaultKey};

/// The README's example, compiled and run as a doc test so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
