//! The Rust client: an HTTP client for every endpoint ([`ApiClient`]), a
//! local encrypted replica in SQLite ([`Replica`]), and the driver that runs
//! vault-core's sans-IO [`SyncEngine`](vault_core::sync::SyncEngine) against
//! the server ([`UnlockedDevice::sync`], [`UnlockedDevice::watch`]).
//!
//! A **device** is a directory holding one replica (`replica.db`) for one
//! account on one server. [`Device::open`] opens it locked;
//! [`Device::register`], [`Device::login`] or, offline, [`Device::unlock`]
//! give an [`UnlockedDevice`], which reads and edits items (offline too:
//! edits queue in the sync engine), syncs, and shares vaults.
//!
//! ```text
//!  Device (locked)                         UnlockedDevice (account key in memory)
//!  ───────────────                         ─────────────────────────────────────
//!  open(dir) ──register/login (online)──▶  vaults · list_items · get_item         (offline)
//!            ──unlock(password) (offline)▶ add_item · edit_item · delete_item      (offline, queued)
//!            ◀──────────── lock() ───────  sync · watch                            (online)
//!                                          create_vault · share · unshare · members (online)
//!                                          change_password · logout · logout_all    (online)
//!                                          create_recovery_kit · rotate_account_key (online)
//!            ──recover(words, new password)▶ (forgotten password, online)
//! ```
//!
//! What is stored where: the server and the replica hold only ciphertext,
//! wrapped keys and public keys. The replica also holds this device's
//! **session tokens, which are bearer secrets** (see [`replica`]): a copy of
//! `replica.db` can call the API as this device until it logs out, though it
//! can read nothing without the password. The password, the master KEK and
//! the account key exist only in memory while unlocked.
//!
//! Trust: the client checks the server's KDF parameters against a floor and
//! a ceiling ([`ClientOptions::kdf_policy`]), verifies SRP's `M2` (OPAQUE
//! authenticates the server by construction), verifies every public identity
//! and grant signature, and pins identities on first use (a later
//! substitution by the server is refused with
//! [`ClientError::IdentityChanged`]). Compare fingerprints out of band
//! before sharing ([`UnlockedDevice::lookup_user`]).
//!
//! # Example
//!
//! Register, add an item offline, sync it to a second device, share it:
//!
//! ```no_run
//! use vault_core::{Item, ItemData, KdfParams, Role, VaultMeta};
//! use vault_sync::client::{ClientOptions, Device};
//! # async fn run() -> Result<(), vault_sync::client::ClientError> {
//! let server = "https://vault.example.com";
//! let alice = Device::open("/home/alice/.vault", ClientOptions::default()).await?;
//! let mut alice = alice.register(server, "alice@example.com", "correct horse", KdfParams::DEFAULT).await?;
//! let vault = alice.create_vault(&VaultMeta { name: "Personal".into(), ..Default::default() }).await?;
//!
//! let item = Item {
//!     title: "Router".into(),
//!     data: ItemData::Login { username: "admin".into(), password: "hunter2".into(), uris: vec![], totp: Default::default() },
//!     notes: Default::default(), tags: vec![], favorite: false, custom_fields: vec![],
//! };
//! let id = alice.add_item(vault, &item).await?; // works offline: queued
//! alice.sync().await?;                           // pushed
//!
//! // Her laptop.
//! let laptop = Device::open("/home/alice/laptop", ClientOptions::default()).await?;
//! let mut laptop = laptop.login(server, "alice@example.com", "correct horse").await?;
//! laptop.sync().await?;
//! assert_eq!(laptop.get_item(vault, id)?.title, "Router");
//!
//! // Share with Bob after comparing his fingerprint on a call.
//! let bob = alice.lookup_user("bob@example.com").await?;
//! println!("Bob's fingerprint: {}", bob.fingerprint());
//! alice.share(vault, &bob, Role::Viewer).await?;
//! # Ok(()) }
//! ```

mod auth;
mod device;
mod emergency;
mod error;
mod http;
mod items;
mod lifecycle;
mod machine;
pub mod replica;
mod sync;
mod vaults;

pub use device::{ClientOptions, Device, UnlockedDevice, encode_session_key, parse_session_key};
pub use emergency::{EmergencyAccess, EmergencyOverview, EmergencyRelease, EmergencyState};
pub use error::{ClientError, ClientResult, ErrorCode, Fault};
pub use http::{ApiClient, EventStream, HttpOptions, ItemWrite, ServerEvent};
pub use items::ItemSummary;
pub use machine::{
    AccessRequestInfo, AccessSpec, CreatedProject, FilledStub, IssuedToken, ProjectCounts,
    ProjectInfo, RequestStatus, RevokeReport, RotationReport, SecretInfo, SecretVersionInfo,
    SecretWrite, ServiceAccess, ServiceInfo, ServiceOrigin, ServiceStatus, StubAsker, StubInfo,
};
pub use replica::{Contact, DeviceInfo, LoginProtocol, Replica};
pub use sync::{ResolvedConflict, SyncReport};
pub use vaults::{MemberInfo, VaultSummary};

/// Runs CPU-heavy work (Argon2id) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> ClientResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ClientError::Invalid("a background task failed".into()))
}
