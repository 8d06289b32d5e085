//! Vault's network protocol: the blind sync server's **store** ([`store`],
//! SQLite or Postgres with row-level security) and **HTTP API** ([`server`],
//! axum), the request and response bodies both sides share ([`api`]), and the
//! Rust **client** ([`client`]: reqwest plus a local encrypted replica,
//! driving vault-core's sans-IO sync engine).
//!
//! The server only ever holds what `vault-core` produces for it: encrypted
//! account records, SRP verifiers or OPAQUE records, public identities,
//! sealed vault metadata, wrapped vault keys and grants, and encrypted items,
//! each as vault-core's JSON form. It can see ids, sizes, revisions and
//! times, nothing more.
//!
//! Where IO happens: every [`Store`](store::Store) method is one database
//! transaction (async, on tokio), committed before it returns; the server's
//! notifier and throttle talk to Postgres and Redis; the client does HTTP and
//! writes its replica. The crypto and the sync decisions all happen in
//! vault-core.
//!
//! # Example
//!
//! One user, one vault, one item, synced from the start of the feed, on the
//! embedded SQLite backend:
//!
//! ```
//! use vault_core::sync::wire::{Change, OpId, PushResult, PushWrite};
//! use vault_core::*;
//! use vault_sync::store::{AuthRecord, NewAccount, Store, StoreConfig};
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let mut rng = rng::os_rng();
//! # let dir = std::env::temp_dir().join(format!("vault-sync-doc-{}", AccountId::generate(&mut rng)));
//! # std::fs::create_dir_all(&dir).unwrap();
//! let store = Store::open_sqlite(dir.join("vault.db"), StoreConfig::new(SymmetricKey::generate(&mut rng))).await?;
//!
//! // Registration: the client made these from the password.
//! let (alice, creds) = UnlockedAccount::create("pw", None, KdfParams::INSECURE_TEST_ONLY, &mut rng)?;
//! let verifier = srp::SrpClient::register("alice", &creds.auth_key, srp::SrpGroup::default(), &mut rng)?;
//! let new = NewAccount { identifier: "alice".into(), record: creds.encrypted, auth: AuthRecord::Srp(verifier) };
//! store.create_account(&new, Some("127.0.0.1")).await?;
//! let me = alice.account_id();
//!
//! // A vault and an item (compare-and-swap from revision 0).
//! let (vk, meta, wrapped) = alice.create_vault(&VaultMeta { name: "Personal".into(), ..Default::default() }, &mut rng)?;
//! store.create_vault(me, &meta, &wrapped, None).await?;
//! let item = Item { title: "Router".into(), data: ItemData::SecureNote, notes: Default::default(),
//!                   tags: vec![], favorite: false, custom_fields: vec![] };
//! let blob = vk.encrypt_item(ItemId::generate(&mut rng), 1, &item, &mut rng)?;
//! let results = store.push(me, &[PushWrite::Upsert { op: OpId(1), base: 0, item: blob }]).await?;
//! assert_eq!(results, vec![PushResult::Ok { op: OpId(1), revision: 1 }]);
//!
//! // Another device pulls the feed: the vault (with its key), then the item.
//! let page = store.pull(me, None, 100).await?;
//! assert!(matches!(page.changes[0], Change::Vault { .. }));
//! let Change::Item { item: got } = &page.changes[1] else { panic!() };
//! assert_eq!(vk.decrypt_item(got)?.title, "Router");
//!
//! // Nothing new since.
//! assert!(store.pull(me, Some(&page.next), 100).await?.changes.is_empty());
//! # store.close().await;
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

#[macro_use]
mod codes;
pub mod api;
#[cfg(feature = "client")]
pub mod client;
pub mod clock;
#[cfg(feature = "grpc")]
pub mod grpc;
pub mod private_files;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod store;
