//! The store suite: every shared test runs against SQLite (a temporary file)
//! and Postgres (a fresh database created for this run, migrated by a fresh
//! owner role, used through a fresh app role, dropped at the end), plus the
//! Postgres-only proofs: row-level security with raw SQL, the startup check,
//! and the two backends' schemas in lockstep.
//!
//! Postgres: `vault_testkit::PgEnv` (`127.0.0.1:5432`, trust auth, superuser
//! `postgres`; override with `VAULT_TEST_PG_HOST`, `VAULT_TEST_PG_PORT`,
//! `VAULT_TEST_PG_USER`). If it is not reachable the Postgres tests fail and
//! the SQLite ones still run (`bash scripts/services.sh` starts it).
//!
//! A custom harness (libtest-mimic) so the database is set up once before
//! and dropped once after all tests; filters and `--list` work as usual.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use libtest_mimic::{Arguments, Failed, Trial};
use sqlx::postgres::{PgConnection, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Connection, Executor, Row};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::result::Result;
use std::sync::Arc;
use std::time::Instant;
use vault_core::machine::{
    BlindIndex, EncryptedSecret, ProjectKeys, SealPurpose, SealedToProject, SecretEntry,
    SecretName, ServiceToken, StubHint,
};
use vault_core::opaque::{ClientRegistration, RegistrationRecord, ServerSetup};
use vault_core::sync::wire::*;
use vault_core::sync::{AutoAction, SyncEngine};
use vault_core::*;
use vault_sync::store::*;
use vault_testkit::{PgEnv, TempDir};

// ============================================================ environment

#[derive(Clone)]
enum Backend {
    Sqlite,
    Postgres(Arc<PgEnv>),
}

/// Raw access for inspection and tampering: a second pool on the SQLite
/// file, or the superuser on the Postgres database.
enum Raw {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

impl Raw {
    async fn exec(&self, sql: &str) -> u64 {
        match self {
            Raw::Sqlite(p) => p.execute(sql).await.unwrap().rows_affected(),
            Raw::Pg(p) => p.execute(sql).await.unwrap().rows_affected(),
        }
    }

    async fn count(&self, sql: &str) -> i64 {
        match self {
            Raw::Sqlite(p) => sqlx::query(sql).fetch_one(p).await.unwrap().get(0),
            Raw::Pg(p) => sqlx::query(sql).fetch_one(p).await.unwrap().get(0),
        }
    }

    /// Every table's every value, as text.
    async fn dump(&self) -> String {
        let mut out = String::new();
        match self {
            Raw::Pg(p) => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'",
                )
                .fetch_all(p)
                .await
                .unwrap();
                for t in tables {
                    let rows: Vec<String> =
                        sqlx::query_scalar(&format!("SELECT t::text FROM {t} t"))
                            .fetch_all(p)
                            .await
                            .unwrap();
                    out.push_str(&rows.join("\n"));
                }
            }
            Raw::Sqlite(p) => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(p)
                .await
                .unwrap();
                for t in tables {
                    let cols: Vec<String> =
                        sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{t}')"))
                            .fetch_all(p)
                            .await
                            .unwrap();
                    let expr = cols
                        .iter()
                        .map(|c| format!(
                            "coalesce(CASE WHEN typeof({c}) = 'blob' THEN hex({c}) ELSE CAST({c} AS TEXT) END, '')"
                        ))
                        .collect::<Vec<_>>()
                        .join(" || '|' || ");
                    let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT {expr} FROM {t}"))
                        .fetch_all(p)
                        .await
                        .unwrap();
                    out.push_str(&rows.join("\n"));
                }
            }
        }
        out
    }

    async fn close(&self) {
        match self {
            Raw::Sqlite(p) => p.close().await,
            Raw::Pg(p) => p.close().await,
        }
    }
}

/// What every test gets: a store on a fresh (SQLite) or shared (Postgres)
/// database, raw access, an RNG and an OPAQUE server setup.
struct Ctx {
    backend: Backend,
    store: Arc<Store>,
    raw: Raw,
    rng: rng::OsRng,
    setup: ServerSetup,
    state_key: SymmetricKey,
    dir: Option<TempDir>,
}

impl Ctx {
    async fn new(backend: Backend) -> Ctx {
        let mut rng = rng::os_rng();
        let state_key = SymmetricKey::generate(&mut rng);
        let setup = ServerSetup::generate(&mut rng);
        let (store, raw, dir) = match &backend {
            Backend::Sqlite => {
                let dir = TempDir::new("sync-store");
                let store = Store::open_sqlite(dir.join("vault.db"), config(&state_key))
                    .await
                    .unwrap();
                let raw = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(SqliteConnectOptions::new().filename(dir.join("vault.db")))
                    .await
                    .unwrap();
                (store, Raw::Sqlite(raw), Some(dir))
            }
            Backend::Postgres(pg) => {
                let store = Store::connect_postgres(&pg.app_url(), config(&state_key))
                    .await
                    .unwrap();
                (store, Raw::Pg(pg.super_pool().await), None)
            }
        };
        Ctx {
            backend,
            store: Arc::new(store),
            raw,
            rng,
            setup,
            state_key,
            dir,
        }
    }

    /// Another store on the same database, with other settings.
    async fn store_with(&self, cfg: StoreConfig) -> Store {
        match (&self.backend, &self.dir) {
            (Backend::Sqlite, Some(dir)) => Store::open_sqlite(dir.0.join("vault.db"), cfg)
                .await
                .unwrap(),
            (Backend::Postgres(pg), _) => {
                Store::connect_postgres(&pg.app_url(), cfg).await.unwrap()
            }
            _ => unreachable!(),
        }
    }

    fn pg(&self) -> &PgEnv {
        match &self.backend {
            Backend::Postgres(pg) => pg,
            Backend::Sqlite => panic!("a Postgres-only test ran on SQLite"),
        }
    }

    async fn finish(self) {
        self.store.close().await;
        self.raw.close().await;
    }
}

fn config(key: &SymmetricKey) -> StoreConfig {
    let mut cfg = StoreConfig::new(key.clone());
    cfg.max_connections = 4;
    cfg.max_page_size = 20_000;
    cfg
}

// ============================================================ fixtures

struct User {
    acct: UnlockedAccount,
    id: AccountId,
    identifier: String,
    record: RegistrationRecord,
}

fn opaque_record(
    setup: &ServerSetup,
    identifier: &str,
    auth_key: &SymmetricKey,
) -> RegistrationRecord {
    let mut rng = rng::os_rng();
    let (client, req) = ClientRegistration::start(identifier, auth_key, &mut rng).unwrap();
    let resp = setup.registration_response(identifier, &req).unwrap();
    client.finish(&resp, &mut rng).unwrap().record
}

async fn user(ctx: &mut Ctx, name: &str) -> User {
    let (acct, creds) =
        UnlockedAccount::create("pw", None, KdfParams::INSECURE_TEST_ONLY, &mut ctx.rng).unwrap();
    let identifier = format!("{name}-{}@example.test", SessionId::generate(&mut ctx.rng));
    let record = opaque_record(&ctx.setup, &identifier, &creds.auth_key);
    ctx.store
        .create_account(
            &NewAccount {
                identifier: identifier.clone(),
                record: creds.encrypted,
                auth: AuthRecord::Opaque(Box::new(record.clone())),
            },
            Some("192.0.2.1"),
        )
        .await
        .unwrap();
    User {
        id: acct.account_id(),
        acct,
        identifier,
        record,
    }
}

async fn vault(ctx: &mut Ctx, owner: &User, name: &str) -> VaultKey {
    let (vk, meta, wrapped) = owner
        .acct
        .create_vault(
            &VaultMeta {
                name: name.into(),
                ..Default::default()
            },
            &mut ctx.rng,
        )
        .unwrap();
    ctx.store
        .create_vault(owner.id, &meta, &wrapped, None)
        .await
        .unwrap();
    vk
}

fn note(title: &str) -> Item {
    Item {
        title: title.into(),
        data: ItemData::SecureNote,
        notes: Default::default(),
        tags: vec![],
        favorite: false,
        custom_fields: vec![],
    }
}

fn blob(ctx: &mut Ctx, vk: &VaultKey, id: ItemId, rev: u64, title: &str) -> EncryptedItem {
    vk.encrypt_item(id, rev, &note(title), &mut ctx.rng)
        .unwrap()
}

/// A blob of a new item.
fn fresh(ctx: &mut Ctx, vk: &VaultKey, rev: u64, title: &str) -> EncryptedItem {
    let id = ItemId::generate(&mut ctx.rng);
    blob(ctx, vk, id, rev, title)
}

fn upsert(op: u64, base: u64, item: EncryptedItem) -> PushWrite {
    PushWrite::Upsert {
        op: OpId(op),
        base,
        item,
    }
}

fn delete(op: u64, vk: &VaultKey, item: ItemId, base: u64) -> PushWrite {
    PushWrite::Delete {
        op: OpId(op),
        vault: vk.vault_id(),
        item,
        base,
    }
}

async fn put(
    ctx: &mut Ctx,
    u: &User,
    vk: &VaultKey,
    id: ItemId,
    base: u64,
    title: &str,
) -> PushResult {
    let b = blob(ctx, vk, id, base + 1, title);
    let mut r = ctx.store.push(u.id, &[upsert(1, base, b)]).await.unwrap();
    r.pop().unwrap()
}

/// Pulls pages until `has_more` is false; checks every page makes progress.
async fn pull_all(
    store: &Store,
    me: AccountId,
    since: Option<Cursor>,
    page: usize,
) -> (Vec<Change>, Cursor) {
    let mut since = since;
    let mut all = Vec::new();
    for _ in 0..100_000 {
        let p = store.pull(me, since.as_ref(), page).await.unwrap();
        assert_eq!(p.since, since);
        assert!(p.changes.len() <= page);
        if p.has_more {
            assert!(!p.changes.is_empty() && Some(&p.next) != since.as_ref());
        }
        all.extend(p.changes);
        since = Some(p.next);
        if !p.has_more {
            return (all, since.unwrap());
        }
    }
    panic!("the feed never ended");
}

/// `pull_json` gives the same page as `pull`, through the wire parser.
async fn check_json(store: &Store, me: AccountId, since: Option<&Cursor>, limit: usize) {
    let typed = store.pull(me, since, limit).await.unwrap();
    let json = store.pull_json(me, since, limit).await.unwrap();
    assert_eq!(PullPage::from_json(&json).unwrap(), typed);
}

fn titles(vk: &VaultKey, changes: &[Change]) -> Vec<String> {
    let mut t: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Item { item } if item.vault == vk.vault_id() => {
                Some(vk.decrypt_item(item).unwrap().title.clone())
            }
            _ => None,
        })
        .collect();
    t.sort();
    t
}

fn item_ids(changes: &[Change]) -> Vec<(ItemId, u64, bool)> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Item { item } => Some((item.item, item.revision, false)),
            Change::Tombstone { item, revision, .. } => Some((*item, *revision, true)),
            _ => None,
        })
        .collect()
}

async fn verify_audit(ctx: &Ctx) -> Result<AuditSummary, StoreError> {
    match &ctx.backend {
        Backend::Sqlite => ctx.store.audit_verify().await,
        Backend::Postgres(pg) => {
            assert!(matches!(
                ctx.store.audit_verify().await,
                Err(StoreError::Forbidden(_))
            ));
            let admin = PgAdmin::connect(&pg.owner_url()).await.unwrap();
            let r = admin.verify_audit().await;
            admin.close().await;
            r
        }
    }
}

// ============================================================ shared tests

async fn accounts_register_look_up_and_refuse_duplicates(mut ctx: Ctx) {
    let alice = user(&mut ctx, "alice").await;
    let got = ctx
        .store
        .account_by_identifier(&alice.identifier)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.account, alice.id);
    assert_eq!(got.identifier, alice.identifier);
    assert_eq!(got.auth, AuthRecord::Opaque(Box::new(alice.record.clone())));
    assert_eq!(got.credentials_version, 1);
    // The stored record unlocks with the password (offline unlock works).
    let unlocked = got
        .record
        .unlock("pw", None, &KdfPolicy::PERMISSIVE_TEST_ONLY)
        .unwrap();
    assert_eq!(unlocked.account_id(), alice.id);
    assert_eq!(
        ctx.store.account(alice.id).await.unwrap().record,
        got.record
    );
    assert!(
        ctx.store
            .account_by_identifier("nobody@example.test")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        ctx.store.account_by_identifier("").await,
        Err(StoreError::Invalid(_))
    ));

    // An SRP account.
    let (bob, creds) =
        UnlockedAccount::create("pw2", None, KdfParams::INSECURE_TEST_ONLY, &mut ctx.rng).unwrap();
    let bob_ident = format!("bob-{}@example.test", SessionId::generate(&mut ctx.rng));
    let verifier = srp::SrpClient::register(
        &bob_ident,
        &creds.auth_key,
        srp::SrpGroup::default(),
        &mut ctx.rng,
    )
    .unwrap();
    let new = NewAccount {
        identifier: bob_ident.clone(),
        record: creds.encrypted.clone(),
        auth: AuthRecord::Srp(verifier.clone()),
    };
    ctx.store.create_account(&new, None).await.unwrap();
    let got = ctx
        .store
        .account_by_identifier(&bob_ident)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.auth, AuthRecord::Srp(verifier));
    assert_eq!(got.account, bob.account_id());

    // Same id again, same identifier again: conflicts, nothing changes.
    assert!(matches!(
        ctx.store.create_account(&new, None).await,
        Err(StoreError::Conflict(_))
    ));
    let (_, other) =
        UnlockedAccount::create("pw3", None, KdfParams::INSECURE_TEST_ONLY, &mut ctx.rng).unwrap();
    let dup_ident = NewAccount {
        identifier: alice.identifier.clone(),
        record: other.encrypted.clone(),
        auth: new.auth.clone(),
    };
    assert!(matches!(
        ctx.store.create_account(&dup_ident, None).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        ctx.store
            .account_by_identifier(&alice.identifier)
            .await
            .unwrap()
            .unwrap()
            .account,
        alice.id
    );

    // A record whose public identity belongs to someone else is refused.
    let mut forged = other.encrypted.clone();
    forged.public_identity = alice.acct.public_identity().clone();
    let bad = NewAccount {
        identifier: format!("mallory-{}@example.test", SessionId::generate(&mut ctx.rng)),
        record: forged,
        auth: new.auth.clone(),
    };
    assert!(matches!(
        ctx.store.create_account(&bad, None).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(
        ctx.store
            .account_by_identifier(&bad.identifier)
            .await
            .unwrap()
            .is_none()
    );

    // The directory: exact lookups only.
    let e = ctx
        .store
        .lookup_identity(bob.account_id(), Lookup::Identifier(&alice.identifier))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.account, alice.id);
    assert_eq!(&e.identity, alice.acct.public_identity());
    let e2 = ctx
        .store
        .lookup_identity(bob.account_id(), Lookup::Account(alice.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e, e2);
    assert!(
        ctx.store
            .lookup_identity(bob.account_id(), Lookup::Identifier("nobody@example.test"))
            .await
            .unwrap()
            .is_none()
    );
    ctx.finish().await;
}

async fn credentials_replace_atomically_and_revoke_other_sessions(mut ctx: Ctx) {
    let alice = user(&mut ctx, "alice").await;
    let now = 1_000;
    let mut sessions = Vec::new();
    for i in 0..3u8 {
        let id = SessionId::generate(&mut ctx.rng);
        let s = ctx
            .store
            .create_session(
                alice.id,
                &NewSession {
                    id,
                    refresh: TokenHash::of(&[i; 32]),
                    expires_at: i64::MAX,
                },
            )
            .await
            .unwrap();
        assert_eq!(s.credentials_version, 1);
        sessions.push(id);
    }
    let stored = ctx.store.account(alice.id).await.unwrap();
    let new = alice
        .acct
        .change_password(
            &stored.record,
            "new pw",
            None,
            KdfParams::INSECURE_TEST_ONLY,
            &mut ctx.rng,
        )
        .unwrap();
    let new_record = opaque_record(&ctx.setup, &alice.identifier, &new.auth_key);

    // An identity swap is refused and changes nothing.
    let mut swapped = new.encrypted.clone();
    let (eve, _) =
        UnlockedAccount::create("e", None, KdfParams::INSECURE_TEST_ONLY, &mut ctx.rng).unwrap();
    swapped.public_identity = eve.public_identity().clone();
    let auth = AuthRecord::Opaque(Box::new(new_record.clone()));
    assert!(matches!(
        ctx.store
            .replace_credentials(alice.id, &swapped, &auth, Some(sessions[0]), None)
            .await,
        Err(StoreError::Invalid(_))
    ));
    // Someone else's record: forbidden.
    assert!(matches!(
        ctx.store
            .replace_credentials(eve.account_id(), &new.encrypted, &auth, None, None)
            .await,
        Err(StoreError::Forbidden(_))
    ));
    for s in &sessions {
        let s = ctx.store.session(alice.id, *s).await.unwrap().unwrap();
        assert!(s.is_active(now));
    }
    assert_eq!(
        ctx.store.account(alice.id).await.unwrap().record,
        stored.record
    );

    let v = ctx
        .store
        .replace_credentials(
            alice.id,
            &new.encrypted,
            &auth,
            Some(sessions[0]),
            Some("192.0.2.7"),
        )
        .await
        .unwrap();
    assert_eq!(v, 2);
    let got = ctx.store.account(alice.id).await.unwrap();
    assert_eq!(got.record, new.encrypted);
    assert_eq!(got.auth, auth);
    assert_eq!(got.credentials_version, 2);
    assert!(
        got.record
            .unlock("pw", None, &KdfPolicy::PERMISSIVE_TEST_ONLY)
            .is_err()
    );
    assert!(
        got.record
            .unlock("new pw", None, &KdfPolicy::PERMISSIVE_TEST_ONLY)
            .is_ok()
    );
    let kept = ctx
        .store
        .session(alice.id, sessions[0])
        .await
        .unwrap()
        .unwrap();
    assert!(kept.is_active(now));
    for s in &sessions[1..] {
        let s = ctx.store.session(alice.id, *s).await.unwrap().unwrap();
        assert!(!s.is_active(now) && s.revoked_at.is_some());
    }
    ctx.finish().await;
}

async fn vaults_and_members(mut ctx: Ctx) {
    let alice = user(&mut ctx, "alice").await;
    let bob = user(&mut ctx, "bob").await;
    let carol = user(&mut ctx, "carol").await;
    let vk = vault(&mut ctx, &alice, "Team").await;
    let v = vk.vault_id();

    // Creating it again conflicts.
    let (_, meta, wrapped) = {
        let wrapped = alice.acct.wrap_vault_key(&vk, &mut ctx.rng).unwrap();
        let meta = vk.seal_meta(&VaultMeta::default(), &mut ctx.rng).unwrap();
        ((), meta, wrapped)
    };
    assert!(matches!(
        ctx.store
            .create_vault(alice.id, &meta, &wrapped, None)
            .await,
        Err(StoreError::Conflict(_))
    ));
    // A key wrapped for someone else is refused.
    assert!(matches!(
        ctx.store.create_vault(bob.id, &meta, &wrapped, None).await,
        Err(StoreError::Invalid(_))
    ));

    let grant = alice
        .acct
        .grant_vault(&vk, bob.acct.public_identity(), Role::Editor, &mut ctx.rng)
        .unwrap();
    // Only the owner shares; grants must match member and role.
    assert!(matches!(
        ctx.store
            .add_member(
                bob.id,
                v,
                carol.id,
                Role::Editor,
                &[MemberKey::Grant(grant.clone())],
                None
            )
            .await,
        Err(StoreError::Invalid(_) | StoreError::Forbidden(_))
    ));
    assert!(matches!(
        ctx.store
            .add_member(
                alice.id,
                v,
                carol.id,
                Role::Editor,
                &[MemberKey::Grant(grant.clone())],
                None
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        ctx.store
            .add_member(
                alice.id,
                v,
                bob.id,
                Role::Viewer,
                &[MemberKey::Grant(grant.clone())],
                None
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        ctx.store
            .add_member(alice.id, v, bob.id, Role::Editor, &[], None)
            .await,
        Err(StoreError::Invalid(_))
    ));
    // A grant to an account that does not exist.
    let (ghost, _) =
        UnlockedAccount::create("g", None, KdfParams::INSECURE_TEST_ONLY, &mut ctx.rng).unwrap();
    let ghost_grant = alice
        .acct
        .grant_vault(&vk, ghost.public_identity(), Role::Viewer, &mut ctx.rng)
        .unwrap();
    assert!(matches!(
        ctx.store
            .add_member(
                alice.id,
                v,
                ghost.account_id(),
                Role::Viewer,
                &[MemberKey::Grant(ghost_grant)],
                None
            )
            .await,
        Err(StoreError::NotFound(_))
    ));

    ctx.store
        .add_member(
            alice.id,
            v,
            bob.id,
            Role::Editor,
            &[MemberKey::Grant(grant.clone())],
            None,
        )
        .await
        .unwrap();
    // Bob cannot share Alice's vault onwards.
    let carol_grant = bob
        .acct
        .grant_vault(
            &vk,
            carol.acct.public_identity(),
            Role::Viewer,
            &mut ctx.rng,
        )
        .unwrap();
    assert!(matches!(
        ctx.store
            .add_member(
                bob.id,
                v,
                carol.id,
                Role::Viewer,
                &[MemberKey::Grant(carol_grant)],
                None
            )
            .await,
        Err(StoreError::Forbidden(_))
    ));

    let mut members = ctx.store.members(alice.id, v).await.unwrap();
    members.sort_by_key(|m| m.account);
    let mut want = vec![
        Member {
            account: alice.id,
            role: Role::Owner,
            key_version: 1,
        },
        Member {
            account: bob.id,
            role: Role::Editor,
            key_version: 1,
        },
    ];
    want.sort_by_key(|m| m.account);
    assert_eq!(members, want);
    assert_eq!(
        ctx.store.members(bob.id, v).await.unwrap(),
        vec![Member {
            account: bob.id,
            role: Role::Editor,
            key_version: 1
        }]
    );
    // A non-member gets the refusal it gets for the vault's items.
    assert!(matches!(
        ctx.store.members(carol.id, v).await,
        Err(StoreError::Forbidden(_))
    ));

    // Bob's feed has the vault, with the grant; he opens it.
    let (changes, _) = pull_all(&ctx.store, bob.id, None, 100).await;
    let Some(Change::Vault {
        role, keys, meta, ..
    }) = changes.first()
    else {
        panic!("no vault entry")
    };
    assert_eq!(*role, Role::Editor);
    assert_eq!(vk.open_meta(meta.as_ref().unwrap()).unwrap().name, "Team");
    let MemberKey::Grant(g) = &keys[0] else {
        panic!()
    };
    assert_eq!(
        bob.acct
            .open_grant(g, alice.acct.public_identity())
            .unwrap(),
        vk
    );

    // Owner's own membership is fixed; removing works once.
    assert!(matches!(
        ctx.store.remove_member(alice.id, v, alice.id, None).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        ctx.store.remove_member(bob.id, v, alice.id, None).await,
        Err(StoreError::Forbidden(_) | StoreError::Invalid(_))
    ));
    ctx.store
        .remove_member(alice.id, v, bob.id, None)
        .await
        .unwrap();
    assert!(matches!(
        ctx.store.remove_member(alice.id, v, bob.id, None).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(ctx.store.members(alice.id, v).await.unwrap().len(), 1);
    // Removed, Bob is a non-member now: refused like any other.
    assert!(matches!(
        ctx.store.members(bob.id, v).await,
        Err(StoreError::Forbidden(_))
    ));
    ctx.finish().await;
}

async fn cas_writes_follow_the_revision_rules(mut ctx: Ctx) {
    let alice = user(&mut ctx, "alice").await;
    let viewer = user(&mut ctx, "viewer").await;
    let stranger = user(&mut ctx, "stranger").await;
    let vk = vault(&mut ctx, &alice, "V").await;
    let grant = alice
        .acct
        .grant_vault(
            &vk,
            viewer.acct.public_identity(),
            Role::Viewer,
            &mut ctx.rng,
        )
        .unwrap();
    ctx.store
        .add_member(
            alice.id,
            vk.vault_id(),
            viewer.id,
            Role::Viewer,
            &[MemberKey::Grant(grant)],
            None,
        )
        .await
        .unwrap();
    let id = ItemId::generate(&mut ctx.rng);
    let ok = |rev| PushResult::Ok {
        op: OpId(1),
        revision: rev,
    };

    // Create, then a second create conflicts with the live state.
    assert_eq!(put(&mut ctx, &alice, &vk, id, 0, "one").await, ok(1));
    let PushResult::Conflict {
        current: ItemState::Live { item },
        ..
    } = put(&mut ctx, &alice, &vk, id, 0, "other").await
    else {
        panic!("expected a conflict")
    };
    assert_eq!(item.revision, 1);
    assert_eq!(vk.decrypt_item(&item).unwrap().title, "one");
    // Update, then a stale update conflicts with the newer state.
    assert_eq!(put(&mut ctx, &alice, &vk, id, 1, "two").await, ok(2));
    let PushResult::Conflict { current, .. } = put(&mut ctx, &alice, &vk, id, 1, "stale").await
    else {
        panic!()
    };
    assert_eq!(current.revision(), 2);
    // Delete leaves a tombstone at base + 1; writes on the old base conflict with it.
    let r = ctx
        .store
        .push(alice.id, &[delete(2, &vk, id, 2)])
        .await
        .unwrap();
    assert_eq!(
        r,
        vec![PushResult::Ok {
            op: OpId(2),
            revision: 3
        }]
    );
    let PushResult::Conflict { current, .. } = put(&mut ctx, &alice, &vk, id, 2, "late").await
    else {
        panic!()
    };
    assert_eq!(
        current,
        ItemState::Deleted {
            vault: vk.vault_id(),
            item: id,
            revision: 3
        }
    );
    assert_eq!(
        ctx.store.item(alice.id, vk.vault_id(), id).await.unwrap(),
        Some(current)
    );
    // Recreate on top of the tombstone.
    assert_eq!(put(&mut ctx, &alice, &vk, id, 3, "again").await, ok(4));

    // base > 0 for an item that never existed: not found.
    let missing = ItemId::generate(&mut ctx.rng);
    assert_eq!(
        put(&mut ctx, &alice, &vk, missing, 5, "x").await,
        PushResult::Rejected {
            op: OpId(1),
            reason: RejectReason::NotFound
        }
    );
    // Revision not base + 1: invalid.
    let b = blob(&mut ctx, &vk, missing, 7, "x");
    assert_eq!(
        ctx.store.push(alice.id, &[upsert(9, 0, b)]).await.unwrap(),
        vec![PushResult::Rejected {
            op: OpId(9),
            reason: RejectReason::Invalid
        }]
    );
    // Viewers and strangers: forbidden.
    for who in [&viewer, &stranger] {
        let b = fresh(&mut ctx, &vk, 1, "x");
        assert_eq!(
            ctx.store.push(who.id, &[upsert(3, 0, b)]).await.unwrap(),
            vec![PushResult::Rejected {
                op: OpId(3),
                reason: RejectReason::Forbidden
            }]
        );
    }
    assert!(matches!(
        ctx.store.item(stranger.id, vk.vault_id(), id).await,
        Err(StoreError::Forbidden(_))
    ));
    // Sealed under another key generation: stale.
    let old = VaultKey::from_parts(vk.vault_id(), 2, SymmetricKey::generate(&mut ctx.rng));
    let b = fresh(&mut ctx, &old, 1, "x");
    assert_eq!(
        ctx.store.push(alice.id, &[upsert(4, 0, b)]).await.unwrap(),
        vec![PushResult::Rejected {
            op: OpId(4),
            reason: RejectReason::StaleKey
        }]
    );
    // Too large, per the store's limit.
    let mut cfg = config(&ctx.state_key);
    cfg.max_blob_bytes = 600;
    let small = ctx.store_with(cfg).await;
    let big = vk
        .encrypt_item(
            ItemId::generate(&mut ctx.rng),
            1,
            &note(&"x".repeat(2000)),
            &mut ctx.rng,
        )
        .unwrap();
    assert_eq!(
        small.push(alice.id, &[upsert(5, 0, big)]).await.unwrap(),
        vec![PushResult::Rejected {
            op: OpId(5),
            reason: RejectReason::TooLarge
        }]
    );
    small.close().await;
    // Too many writes in one push.
    let many: Vec<PushWrite> = (0..=MAX_WRITES_PER_PUSH as u64)
        .map(|i| delete(i, &vk, ItemId::generate(&mut ctx.rng), 0))
        .collect();
    assert!(matches!(
        ctx.store.push(alice.id, &many).await,
        Err(StoreError::Invalid(_))
    ));

    // A mixed batch: every write independent, applied in order.
    let (a, b2) = (
        ItemId::generate(&mut ctx.rng),
        ItemId::generate(&mut ctx.rng),
    );
    let w = vec![
        upsert(10, 0, blob(&mut ctx, &vk, a, 1, "a1")),
        upsert(11, 1, blob(&mut ctx, &vk, a, 2, "a2")),
        upsert(12, 0, blob(&mut ctx, &vk, id, 1, "dup")),
        delete(13, &vk, b2, 0),
    ];
    let r = ctx.store.push(alice.id, &w).await.unwrap();
    assert_eq!(
        r[0],
        PushResult::Ok {
            op: OpId(10),
            revision: 1
        }
    );
    assert_eq!(
        r[1],
        PushResult::Ok {
            op: OpId(11),
            revision: 2
        }
    );
    assert!(
        matches!(&r[2], PushResult::Conflict { op: OpId(12), current } if current.revision() == 4)
    );
    assert_eq!(
        r[3],
        PushResult::Ok {
            op: OpId(13),
            revision: 1
        }
    );
    ctx.finish().await;
}

async fn cas_concurrent_writers_exactly_one_wins(mut ctx: Ctx) {
    let alice = user(&mut ctx, "alice").await;
    let vk = vault(&mut ctx, &alice, "V").await;
    for round in 0..3u64 {
        let id = ItemId::generate(&mut ctx.rng);
        // Everyone starts from the same base.
        let base = if round == 0 {
            0
        } else {
            assert!(matches!(
                put(&mut ctx, &alice, &vk, id, 0, "seed").await,
                PushResult::Ok { .. }
            ));
            1
        };
        let mut tasks = Vec::new();
        for n in 0..8u64 {
            let b = blob(&mut ctx, &vk, id, base + 1, &format!("writer {n}"));
            let store = ctx.store.clone();
            let me = alice.id;
            tasks.push(tokio::spawn(async move {
                store.push(me, &[upsert(n, base, b)]).await.unwrap()
            }));
        }
        let mut ok = 0;
        let mut conflicts = 0;
        for t in tasks {
            match t.await.unwrap().pop().unwrap() {
                PushResult::Ok { revision, .. } => {
                    assert_eq!(revision, base + 1);
                    ok += 1;
                }
                PushResult::Conflict { current, .. } => {
                    assert_eq!(current.revision(), base + 1);
                    conflicts += 1;
                }
                r => panic!("unexpected {r:?}"),
            }
        }
        assert_eq!((ok, conflicts), (1, 7));
    }
    ctx.finish().await;
}

async fn feed_pages_and_deltas(mut ctx: Ctx) {
    let alice = user(&mut ctx, "alice").await;
    let vk = vault(&mut ctx, &alice, "V").await;
    let ids: Vec<ItemId> = (0..25).map(|_| ItemId::generate(&mut ctx.rng)).collect();
    let writes: Vec<PushWrite> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            upsert(
                n as u64,
                0,
                blob(&mut ctx, &vk, *id, 1, &format!("item {n:02}")),
            )
        })
        .collect();
    assert!(
        ctx.store
            .push(alice.id, &writes)
            .await
            .unwrap()
            .iter()
            .all(|r| matches!(r, PushResult::Ok { .. }))
    );

    // Full sync in pages of 7: the vault entry first, every item once.
    let (changes, cursor) = pull_all(&ctx.store, alice.id, None, 7).await;
    assert_eq!(changes.len(), 26);
    assert!(matches!(changes[0], Change::Vault { .. }));
    let seen: BTreeSet<ItemId> = item_ids(&changes).iter().map(|x| x.0).collect();
    assert_eq!(seen, ids.iter().copied().collect());
    check_json(&ctx.store, alice.id, None, 7).await;
    check_json(&ctx.store, alice.id, None, 100).await;
    // Page boundaries inside one write transaction (all 25 share a seq) work:
    // the same again with other page sizes gives the same list.
    for size in [1, 2, 25, 26, 1000] {
        let (again, c2) = pull_all(&ctx.store, alice.id, None, size).await;
        assert_eq!(again, changes);
        assert_eq!(c2, cursor);
    }

    // Nothing new: an empty page that leaves the cursor where it is.
    let p = ctx.store.pull(alice.id, Some(&cursor), 7).await.unwrap();
    assert!(p.changes.is_empty() && !p.has_more);
    assert_eq!(p.next, cursor);

    // Three edits of one item, one edit of another, one deletion.
    for (base, t) in [(1, "a"), (2, "b"), (3, "c")] {
        assert!(matches!(
            put(&mut ctx, &alice, &vk, ids[0], base, t).await,
            PushResult::Ok { .. }
        ));
    }
    assert!(matches!(
        put(&mut ctx, &alice, &vk, ids[1], 1, "z").await,
        PushResult::Ok { .. }
    ));
    ctx.store
        .push(alice.id, &[delete(1, &vk, ids[2], 1)])
        .await
        .unwrap();
    let (delta, c2) = pull_all(&ctx.store, alice.id, Some(cursor.clone()), 2).await;
    // Each changed item once, in its current state, in the order of last change.
    assert_eq!(
        item_ids(&delta),
        vec![(ids[0], 4, false), (ids[1], 2, false), (ids[2], 2, true)]
    );
    assert_eq!(titles(&vk, &delta), ["c", "z"]);
    check_json(&ctx.store, alice.id, Some(&cursor), 100).await;
    // A replayed cursor gives the same page; an unknown cursor is refused.
    let (again, _) = pull_all(&ctx.store, alice.id, Some(cursor), 2).await;
    assert_eq!(again, delta);
    for bad in ["c:42", "f1.x.0..", "f1.1.0.not-a-uuid."] {
        assert!(matches!(
            ctx.store
                .pull(alice.id, Some(&Cursor::new(bad).unwrap()), 5)
                .await,
            Err(StoreError::Invalid(_))
        ));
    }

    // Paging while writes keep landing still delivers the final state of everything.
    let mut since = Some(c2);
    let mut last: HashMap<ItemId, u64> = HashMap::new();
    for round in 0..10u64 {
        let id = ids[3 + (round as usize % 5)];
        let base = ctx
            .store
            .item(alice.id, vk.vault_id(), id)
            .await
            .unwrap()
            .unwrap()
            .revision();
        assert!(matches!(
            put(&mut ctx, &alice, &vk, id, base, "w").await,
            PushResult::Ok { .. }
        ));
        let p = ctx.store.pull(alice.id, since.as_ref(), 1).await.unwrap();
        for (i, rev, _) in item_ids(&p.changes) {
            let e = last.entry(i).or_default();
            assert!(rev > *e, "a page went backwards");
            *e = rev;
        }
        since = Some(p.next);
    }
    let (rest, _) = pull_all(&ctx.store, alice.id, since, 3).await;
    for (i, rev, _) in item_ids(&rest) {
        last.insert(i, rev);
    }
    for id in &ids[3..8] {
        let server = ctx
            .store
            .item(alice.id, vk.vault_id(), *id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last[id], server.revision());
    }
    ctx.finish().await;
}

async fn feed_follows_sharing_and_revocation(mut ctx: Ctx) {
    let alice = user(&mut ctx, "alice").await;
    let bob = user(&mut ctx, "bob").await;
    let bob_own = vault(&mut ctx, &bob, "Bob's").await;
    let vk = vault(&mut ctx, &alice, "Shared").await;
    let v = vk.vault_id();
    let old = ItemId::generate(&mut ctx.rng);
    put(&mut ctx, &alice, &vk, old, 0, "old").await;
    let (first, bob_cursor) = pull_all(&ctx.store, bob.id, None, 10).await;
    assert_eq!(first.len(), 1, "Bob sees only his own vault");
    assert!(matches!(&first[0], Change::Vault { vault, .. } if *vault == bob_own.vault_id()));

    // Shared: Bob's delta carries the vault and its old items too.
    let grant = alice
        .acct
        .grant_vault(&vk, bob.acct.public_identity(), Role::Editor, &mut ctx.rng)
        .unwrap();
    ctx.store
        .add_member(
            alice.id,
            v,
            bob.id,
            Role::Editor,
            &[MemberKey::Grant(grant.clone())],
            None,
        )
        .await
        .unwrap();
    let (delta, bob_cursor) = pull_all(&ctx.store, bob.id, Some(bob_cursor), 10).await;
    assert!(matches!(&delta[0], Change::Vault { vault, role: Role::Editor, .. } if *vault == v));
    assert_eq!(titles(&vk, &delta), ["old"]);

    // Bob writes, Alice sees it; Alice writes, Bob sees it.
    let (_, alice_cursor) = pull_all(&ctx.store, alice.id, None, 100).await;
    let bobs = ItemId::generate(&mut ctx.rng);
    assert!(matches!(
        put(&mut ctx, &bob, &vk, bobs, 0, "from bob").await,
        PushResult::Ok { .. }
    ));
    let (d, _) = pull_all(&ctx.store, alice.id, Some(alice_cursor), 10).await;
    assert_eq!(titles(&vk, &d), ["from bob"]);
    put(&mut ctx, &alice, &vk, old, 1, "old, edited").await;
    // (Bob's own write comes back to him too: that is how devices learn it landed.)
    let (d, bob_cursor) = pull_all(&ctx.store, bob.id, Some(bob_cursor), 10).await;
    assert_eq!(titles(&vk, &d), ["from bob", "old, edited"]);

    // A role change re-sends the vault entry, not the items.
    let viewer_grant = alice
        .acct
        .grant_vault(&vk, bob.acct.public_identity(), Role::Viewer, &mut ctx.rng)
        .unwrap();
    ctx.store
        .add_member(
            alice.id,
            v,
            bob.id,
            Role::Viewer,
            &[MemberKey::Grant(viewer_grant.clone())],
            None,
        )
        .await
        .unwrap();
    let (d, bob_cursor) = pull_all(&ctx.store, bob.id, Some(bob_cursor), 10).await;
    assert_eq!(d.len(), 1);
    assert!(matches!(
        &d[0],
        Change::Vault {
            role: Role::Viewer,
            ..
        }
    ));

    // Revoked: Bob's feed says so, and stops carrying the vault's changes.
    ctx.store
        .remove_member(alice.id, v, bob.id, None)
        .await
        .unwrap();
    put(&mut ctx, &alice, &vk, old, 2, "after revocation").await;
    check_json(&ctx.store, bob.id, Some(&bob_cursor), 10).await;
    let (d, bob_cursor) = pull_all(&ctx.store, bob.id, Some(bob_cursor), 10).await;
    assert_eq!(d, vec![Change::VaultRemoved { vault: v }]);
    assert!(matches!(
        ctx.store.item(bob.id, v, old).await,
        Err(StoreError::Forbidden(_))
    ));
    let b = fresh(&mut ctx, &vk, 1, "x");
    assert_eq!(
        ctx.store.push(bob.id, &[upsert(1, 0, b)]).await.unwrap(),
        vec![PushResult::Rejected {
            op: OpId(1),
            reason: RejectReason::Forbidden
        }]
    );
    // From scratch, Bob's feed has the removal but none of the vault's items.
    let (fresh, _) = pull_all(&ctx.store, bob.id, None, 10).await;
    assert!(fresh.contains(&Change::VaultRemoved { vault: v }));
    assert!(titles(&vk, &fresh).is_empty());

    // Shared again: everything live is sent again.
    ctx.store
        .add_member(
            alice.id,
            v,
            bob.id,
            Role::Viewer,
            &[MemberKey::Grant(viewer_grant)],
            None,
        )
        .await
        .unwrap();
    let (d, _) = pull_all(&ctx.store, bob.id, Some(bob_cursor), 10).await;
    assert!(matches!(
        &d[0],
        Change::Vault {
            role: Role::Viewer,
            ..
        }
    ));
    assert_eq!(titles(&vk, &d), ["after revocation", "from bob"]);
    ctx.finish().await;
}

async fn key_rotation_rewraps_everything_atomically(mut ctx: Ctx) {
    let alice = user(&mut ctx, "alice").await;
    let bob = user(&mut ctx, "bob").await;
    let carol = user(&mut ctx, "carol").await;
    let vk = vault(&mut ctx, &alice, "Team").await;
    let v = vk.vault_id();
    for m in [&bob, &carol] {
        let g = alice
            .acct
            .grant_vault(&vk, m.acct.public_identity(), Role::Editor, &mut ctx.rng)
            .unwrap();
        ctx.store
            .add_member(
                alice.id,
                v,
                m.id,
                Role::Editor,
                &[MemberKey::Grant(g)],
                None,
            )
            .await
            .unwrap();
    }
    let ids: Vec<ItemId> = (0..3).map(|_| ItemId::generate(&mut ctx.rng)).collect();
    for (n, id) in ids.iter().enumerate() {
        put(&mut ctx, &alice, &vk, *id, 0, &format!("item {n}")).await;
    }
    ctx.store
        .push(alice.id, &[delete(1, &vk, ids[2], 1)])
        .await
        .unwrap();
    let (_, carol_cursor) = pull_all(&ctx.store, carol.id, None, 100).await;
    ctx.store
        .remove_member(alice.id, v, bob.id, None)
        .await
        .unwrap();

    // What the owner's client does: fetch the vault's live items, rotate.
    let snapshot = |changes: Vec<Change>| {
        let meta = changes
            .iter()
            .find_map(|c| match c {
                Change::Vault { vault, meta, .. } if *vault == v => meta.clone(),
                _ => None,
            })
            .unwrap();
        let live: Vec<EncryptedItem> = changes
            .into_iter()
            .filter_map(|c| match c {
                Change::Item { item } if item.vault == v => Some(item),
                _ => None,
            })
            .collect();
        (meta, live)
    };
    let (meta, live) = snapshot(pull_all(&ctx.store, alice.id, None, 100).await.0);
    assert_eq!(live.len(), 2);
    let (vk2, meta2, items2) = vk.rotate(&meta, &live, &mut ctx.rng).unwrap();
    let keys_for = |ctx: &mut Ctx, vk2: &VaultKey| {
        vec![
            (
                alice.id,
                vec![MemberKey::Wrapped(
                    alice.acct.wrap_vault_key(vk2, &mut ctx.rng).unwrap(),
                )],
            ),
            (
                carol.id,
                vec![MemberKey::Grant(
                    alice
                        .acct
                        .grant_vault(
                            vk2,
                            carol.acct.public_identity(),
                            Role::Editor,
                            &mut ctx.rng,
                        )
                        .unwrap(),
                )],
            ),
        ]
    };
    let keys = keys_for(&mut ctx, &vk2);

    // Refused, changing nothing: not the owner; a member left out; an item left out.
    assert!(matches!(
        ctx.store
            .rotate_vault_key(carol.id, &meta2, &items2, &keys, None)
            .await,
        Err(StoreError::Forbidden(_) | StoreError::Invalid(_))
    ));
    assert!(matches!(
        ctx.store
            .rotate_vault_key(alice.id, &meta2, &items2, &keys[..1], None)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        ctx.store
            .rotate_vault_key(alice.id, &meta2, &items2[..1], &keys, None)
            .await,
        Err(StoreError::Conflict(_))
    ));
    // An edit lands first: the rotation conflicts, as a whole.
    assert!(matches!(
        put(&mut ctx, &carol, &vk, ids[0], 1, "carol's edit").await,
        PushResult::Ok { .. }
    ));
    assert!(matches!(
        ctx.store
            .rotate_vault_key(alice.id, &meta2, &items2, &keys, None)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        ctx.store
            .members(alice.id, v)
            .await
            .unwrap()
            .iter()
            .all(|m| m.key_version == 1)
    );
    assert!(matches!(
        put(&mut ctx, &carol, &vk, ids[1], 1, "still gen 1").await,
        PushResult::Ok { .. }
    ));

    // Fetch again and rotate.
    let (meta, live) = snapshot(pull_all(&ctx.store, alice.id, None, 100).await.0);
    let (vk2, meta2, items2) = vk.rotate(&meta, &live, &mut ctx.rng).unwrap();
    let keys = keys_for(&mut ctx, &vk2);
    ctx.store
        .rotate_vault_key(alice.id, &meta2, &items2, &keys, Some("192.0.2.1"))
        .await
        .unwrap();
    assert!(matches!(
        ctx.store
            .rotate_vault_key(alice.id, &meta2, &items2, &keys, None)
            .await,
        Err(StoreError::Conflict(_))
    ));

    // Carol's delta: the new key, then every live item re-wrapped at its revision.
    let (d, _) = pull_all(&ctx.store, carol.id, Some(carol_cursor), 100).await;
    let Change::Vault { keys, meta, .. } = &d[0] else {
        panic!("{d:?}")
    };
    let MemberKey::Grant(g) = &keys[0] else {
        panic!()
    };
    let opened = carol
        .acct
        .open_grant(g, alice.acct.public_identity())
        .unwrap();
    assert_eq!(opened, vk2);
    assert_eq!(
        opened.open_meta(meta.as_ref().unwrap()).unwrap().name,
        "Team"
    );
    let mut got: Vec<(String, u64, u32)> = d
        .iter()
        .filter_map(|c| match c {
            Change::Item { item } => Some((
                opened.decrypt_item(item).unwrap().title.clone(),
                item.revision,
                item.key_version,
            )),
            _ => None,
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![("carol's edit".into(), 2, 2), ("still gen 1".into(), 2, 2)]
    );
    // Old-generation writes are stale now; new ones go through.
    let stale = blob(&mut ctx, &vk, ids[0], 3, "old key");
    assert_eq!(
        ctx.store
            .push(carol.id, &[upsert(7, 2, stale)])
            .await
            .unwrap(),
        vec![PushResult::Rejected {
            op: OpId(7),
            reason: RejectReason::StaleKey
        }]
    );
    let fresh_write = blob(&mut ctx, &vk2, ids[0], 3, "new key");
    assert_eq!(
        ctx.store
            .push(carol.id, &[upsert(8, 2, fresh_write)])
            .await
            .unwrap(),
        vec![PushResult::Ok {
            op: OpId(8),
            revision: 3
        }]
    );
    // Bob, removed before the rotation, has no part in any of it.
    let (bobs, _) = pull_all(&ctx.store, bob.id, None, 100).await;
    assert_eq!(bobs, vec![Change::VaultRemoved { vault: v }]);
    verify_audit(&ctx).await.unwrap();
    ctx.finish().await;
}

/// A push sealed under the old key generation racing a key rotation: one of
/// them wins, never both (no blob of a retired generation survives).
async fn rotation_and_old_key_pushes_never_both_win(mut ctx: Ctx) {
    let alice = user(&mut ctx, "alice").await;
    let mut vk = vault(&mut ctx, &alice, "V").await;
    let id = ItemId::generate(&mut ctx.rng);
    put(&mut ctx, &alice, &vk, id, 0, "start").await;
    let (mut rotations, mut pushes) = (0, 0);
    for round in 0..12 {
        let (changes, _) = pull_all(&ctx.store, alice.id, None, 100).await;
        let meta = changes
            .iter()
            .find_map(|c| match c {
                Change::Vault { meta, .. } => meta.clone(),
                _ => None,
            })
            .unwrap();
        let live: Vec<EncryptedItem> = changes
            .into_iter()
            .filter_map(|c| match c {
                Change::Item { item } => Some(item),
                _ => None,
            })
            .collect();
        let base = live[0].revision;
        let (vk2, meta2, items2) = vk.rotate(&meta, &live, &mut ctx.rng).unwrap();
        let keys = vec![(
            alice.id,
            vec![MemberKey::Wrapped(
                alice.acct.wrap_vault_key(&vk2, &mut ctx.rng).unwrap(),
            )],
        )];
        let edit = blob(&mut ctx, &vk, id, base + 1, &format!("edit {round}"));
        let (s1, s2) = (ctx.store.clone(), ctx.store.clone());
        let me = alice.id;
        let push =
            tokio::spawn(async move { s1.push(me, &[upsert(1, base, edit)]).await.unwrap() });
        let rotate =
            tokio::spawn(
                async move { s2.rotate_vault_key(me, &meta2, &items2, &keys, None).await },
            );
        let pushed = matches!(push.await.unwrap()[0], PushResult::Ok { .. });
        let rotated = rotate.await.unwrap().is_ok();
        assert!(
            pushed != rotated,
            "round {round}: push {pushed}, rotation {rotated}"
        );
        if rotated {
            vk = vk2;
            rotations += 1;
        } else {
            pushes += 1;
        }
        // Whatever won, the live item is sealed under the vault's current key.
        let Some(ItemState::Live { item }) =
            ctx.store.item(alice.id, vk.vault_id(), id).await.unwrap()
        else {
            panic!()
        };
        assert_eq!(item.key_version, vk.key_version());
        vk.decrypt_item(&item).unwrap();
    }
    eprintln!(
        "    [{}] rotation won {rotations}, push won {pushes}",
        ctx.store.backend_name()
    );
    ctx.finish().await;
}

/// Pull until done, push until nothing progresses, three times over, every
/// message through its JSON form.
async fn engine_sync(store: &Store, me: AccountId, mut engine: SyncEngine) -> SyncEngine {
    for _ in 0..3 {
        loop {
            let req = PullRequest::from_json(&engine.plan_pull().to_json()).unwrap();
            let page = store.pull(me, req.since.as_ref(), 7).await.unwrap();
            let out = engine
                .apply_pull(PullPage::from_json(&page.to_json()).unwrap())
                .unwrap();
            assert!(out.applied);
            if !out.has_more {
                break;
            }
        }
        while let Some(req) = engine.plan_push() {
            let req = PushRequest::from_json(&req.to_json()).unwrap();
            let results = store.push(me, &req.writes).await.unwrap();
            let resp = PushResponse {
                v: WIRE_VERSION,
                results,
            };
            let out = engine
                .apply_push(PushResponse::from_json(&resp.to_json()).unwrap())
                .unwrap();
            if !out.progressed() {
                break;
            }
        }
    }
    engine
}

/// vault-core's sync engine, two devices, through the wire JSON, against the store.
async fn sync_engine_devices_converge(mut ctx: Ctx) {
    let alice = user(&mut ctx, "alice").await;
    let vk = vault(&mut ctx, &alice, "V").await;
    let store = ctx.store.clone();
    let me = alice.id;
    let sync = |e: &mut SyncEngine| engine_sync(&store, me, std::mem::take(e));
    let mut a = SyncEngine::new();
    let mut b = SyncEngine::new();
    let ids: Vec<ItemId> = (0..30).map(|_| ItemId::generate(&mut ctx.rng)).collect();
    for (n, id) in ids.iter().enumerate() {
        let rev = a.next_revision(vk.vault_id(), *id);
        a.local_upsert(blob(&mut ctx, &vk, *id, rev, &format!("item {n}")))
            .unwrap();
    }
    a = sync(&mut a).await;
    assert_eq!(a.pending_count(), 0);
    b = sync(&mut b).await;
    assert_eq!(b.items(vk.vault_id()).count(), 30);

    // Both edit the same item offline, and B deletes another; A syncs first.
    let rev = a.next_revision(vk.vault_id(), ids[0]);
    a.local_upsert(blob(&mut ctx, &vk, ids[0], rev, "from A"))
        .unwrap();
    let rev = b.next_revision(vk.vault_id(), ids[0]);
    b.local_upsert(blob(&mut ctx, &vk, ids[0], rev, "from B"))
        .unwrap();
    b.local_delete(vk.vault_id(), ids[1]).unwrap();
    a = sync(&mut a).await;
    b = sync(&mut b).await;
    assert_eq!(b.conflicts().len(), 1);
    let done = b.resolve_default(std::slice::from_ref(&vk), " (conflict)", &mut ctx.rng);
    assert!(matches!(done[0].action, AutoAction::KeptBoth { .. }));
    b = sync(&mut b).await;
    a = sync(&mut a).await;

    let list = |e: &SyncEngine| {
        let mut t: Vec<String> = e
            .items(vk.vault_id())
            .map(|i| vk.decrypt_item(i).unwrap().title.clone())
            .collect();
        t.sort();
        t
    };
    assert_eq!(list(&a), list(&b));
    assert!(list(&a).contains(&"from A".to_owned()));
    assert!(list(&a).contains(&"from B (conflict)".to_owned()));
    assert!(!list(&a).contains(&"item 1".to_owned()));
    assert_eq!(list(&a).len(), 30);
    // The server agrees with both devices.
    let (all, _) = pull_all(&ctx.store, me, None, 1000).await;
    let mut server = titles(&vk, &all);
    server.sort();
    assert_eq!(server, list(&a));
    ctx.finish().await;
}

async fn initial_sync_of_10000_items_is_one_query_per_page(mut ctx: Ctx) {
    const N: usize = 10_000;
    let alice = user(&mut ctx, "alice").await;
    let vk = vault(&mut ctx, &alice, "Big").await;
    let t0 = Instant::now();
    let mut n = 0u64;
    for _ in 0..N / MAX_WRITES_PER_PUSH {
        let writes: Vec<PushWrite> = (0..MAX_WRITES_PER_PUSH)
            .map(|_| {
                n += 1;
                upsert(n, 0, fresh(&mut ctx, &vk, 1, &format!("item {n}")))
            })
            .collect();
        let r = ctx.store.push(alice.id, &writes).await.unwrap();
        assert!(r.iter().all(|r| matches!(r, PushResult::Ok { .. })));
    }
    let write_time = t0.elapsed();

    // One page of everything: one statement.
    let before = ctx.store.statements();
    let t = Instant::now();
    let page = ctx.store.pull(alice.id, None, N + 1).await.unwrap();
    let one_page = t.elapsed();
    assert_eq!(ctx.store.statements() - before, 1);
    assert_eq!(page.changes.len(), N + 1);
    assert!(!page.has_more);
    // The same as wire JSON, blobs copied verbatim: one statement, same page.
    let before = ctx.store.statements();
    let t = Instant::now();
    let json = ctx.store.pull_json(alice.id, None, N + 1).await.unwrap();
    let one_page_json = t.elapsed();
    assert_eq!(ctx.store.statements() - before, 1);
    let t = Instant::now();
    let typed_json = page.to_json();
    let serialise = t.elapsed();
    assert_eq!(PullPage::from_json(&json).unwrap(), page);

    // Pages of 1,000: one statement each.
    let before = ctx.store.statements();
    let t = Instant::now();
    let (all, cursor) = pull_all(&ctx.store, alice.id, None, 1000).await;
    let paged = t.elapsed();
    let pages = (N + 1).div_ceil(1000) as u64;
    assert_eq!(ctx.store.statements() - before, pages);
    assert_eq!(all, page.changes);

    // An unchanged delta: one statement, nothing returned.
    let before = ctx.store.statements();
    let mut times = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let empty = ctx.store.pull(alice.id, Some(&cursor), 1000).await.unwrap();
        times.push(t.elapsed());
        assert!(empty.changes.is_empty());
    }
    times.sort();
    let delta = times[100];
    assert_eq!(ctx.store.statements() - before, 200);

    eprintln!(
        "    [{}] {N} items: written in {:.0?} (100 per push); initial sync as 1 page: \
         {:.1?} typed (+{:.1?} to serialise), {:.1?} as JSON ({} KiB); as {pages} pages {:.1?}; \
         unchanged delta {:.2?} (median of 200)",
        ctx.store.backend_name(),
        write_time,
        one_page,
        serialise,
        one_page_json,
        json.len() / 1024,
        paged,
        delta
    );
    assert_eq!(typed_json.len(), json.len());
    // Generous bounds for an unoptimised test build on a busy 2-core machine.
    assert!(
        one_page.as_millis() < 3000,
        "initial sync too slow: {one_page:?}"
    );
    assert!(delta.as_millis() < 200, "empty delta too slow: {delta:?}");
    ctx.finish().await;
}

async fn sessions_rotate_refresh_tokens_and_catch_reuse(mut ctx: Ctx) {
    let alice = user(&mut ctx, "alice").await;
    let bob = user(&mut ctx, "bob").await;
    let now = 1_000_000;
    let id = SessionId::generate(&mut ctx.rng);
    let t1 = TokenHash::of(b"refresh token 1");
    let t2 = TokenHash::of(b"refresh token 2");
    let t3 = TokenHash::of(b"refresh token 3");
    let s = ctx
        .store
        .create_session(
            alice.id,
            &NewSession {
                id,
                refresh: t1,
                expires_at: now + 1000,
            },
        )
        .await
        .unwrap();
    assert_eq!((s.account, s.id, s.revoked_at), (alice.id, id, None));
    assert!(matches!(
        ctx.store
            .create_session(
                alice.id,
                &NewSession {
                    id,
                    refresh: t3,
                    expires_at: now
                }
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    // Nobody else sees it.
    assert_eq!(ctx.store.session(bob.id, id).await.unwrap(), None);

    let RefreshOutcome::Rotated(s) = ctx
        .store
        .rotate_refresh(&t1, &t2, now, now + 2000, GRACE)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!((s.id, s.expires_at), (id, now + 2000));
    // Unknown token.
    assert!(matches!(
        ctx.store.rotate_refresh(&t3, &t3, now, now, GRACE).await,
        Err(StoreError::NotFound(_))
    ));
    // The rotated-out token again with the same next token (the client
    // retrying, or racing itself), within the grace window: the same
    // session, nothing changes.
    assert!(matches!(
        ctx.store
            .rotate_refresh(&t1, &t2, now + 5, now + 2000, GRACE)
            .await
            .unwrap(),
        RefreshOutcome::Repeated(s) if s.id == id
    ));
    // ... but after the window it is reuse.
    assert!(matches!(
        ctx.store
            .rotate_refresh(&t1, &t2, now + GRACE + 1, now + 2000, GRACE)
            .await
            .unwrap(),
        RefreshOutcome::Reused { .. }
    ));
    // (The session is revoked now; a fresh one shows a different next
    // token is theft at once.)
    let (id_b, t1b, t2b) = (
        SessionId::generate(&mut ctx.rng),
        TokenHash::of(b"refresh token 1b"),
        TokenHash::of(b"refresh token 2b"),
    );
    ctx.store
        .create_session(
            alice.id,
            &NewSession {
                id: id_b,
                refresh: t1b,
                expires_at: now + 1000,
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        ctx.store
            .rotate_refresh(&t1b, &t2b, now, now + 2000, GRACE)
            .await
            .unwrap(),
        RefreshOutcome::Rotated(_)
    ));
    assert_eq!(
        ctx.store
            .rotate_refresh(&t1b, &t3, now, now + 2000, GRACE)
            .await
            .unwrap(),
        RefreshOutcome::Reused {
            session: id_b,
            account: alice.id
        }
    );
    // The first session stays revoked for good.
    assert_eq!(
        ctx.store
            .rotate_refresh(&t1, &t3, now, now + 2000, GRACE)
            .await
            .unwrap(),
        RefreshOutcome::Reused {
            session: id,
            account: alice.id
        }
    );
    assert!(
        !ctx.store
            .session(alice.id, id)
            .await
            .unwrap()
            .unwrap()
            .is_active(now)
    );
    assert!(matches!(
        ctx.store
            .rotate_refresh(&t2, &t3, now, now + 2000, GRACE)
            .await,
        Err(StoreError::Forbidden(_))
    ));

    // Expiry.
    let id2 = SessionId::generate(&mut ctx.rng);
    let t4 = TokenHash::of(b"refresh token 4");
    ctx.store
        .create_session(
            alice.id,
            &NewSession {
                id: id2,
                refresh: t4,
                expires_at: now,
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        ctx.store
            .rotate_refresh(&t4, &t3, now, now + 10, GRACE)
            .await,
        Err(StoreError::Forbidden(_))
    ));

    // Logout and "log out all devices".
    let ids: Vec<SessionId> = (0..3).map(|_| SessionId::generate(&mut ctx.rng)).collect();
    for (n, sid) in ids.iter().enumerate() {
        ctx.store
            .create_session(
                alice.id,
                &NewSession {
                    id: *sid,
                    refresh: TokenHash::of(format!("t{n}").as_bytes()),
                    expires_at: i64::MAX,
                },
            )
            .await
            .unwrap();
    }
    assert!(
        ctx.store
            .revoke_session(alice.id, ids[0], now, None)
            .await
            .unwrap()
    );
    assert!(
        !ctx.store
            .revoke_session(alice.id, ids[0], now, None)
            .await
            .unwrap()
    );
    assert!(
        !ctx.store
            .revoke_session(bob.id, ids[1], now, None)
            .await
            .unwrap()
    );
    // ids[1], and the expired (not revoked) id2.
    assert_eq!(
        ctx.store
            .revoke_all_sessions(alice.id, Some(ids[2]), now, None)
            .await
            .unwrap(),
        2
    );
    assert!(
        ctx.store
            .session(alice.id, ids[2])
            .await
            .unwrap()
            .unwrap()
            .is_active(now)
    );
    assert!(
        !ctx.store
            .session(alice.id, ids[1])
            .await
            .unwrap()
            .unwrap()
            .is_active(now)
    );
    ctx.finish().await;
}

async fn login_states_are_sealed_single_use_and_expire(mut ctx: Ctx) {
    let alice = user(&mut ctx, "alice").await;
    let now = 5_000;
    let secret = format!("SECRET-STATE-{}", SessionId::generate(&mut ctx.rng));
    let id = LoginId::generate(&mut ctx.rng);
    let new = NewLoginState {
        id,
        account: Some(alice.id),
        protocol: AuthProtocol::Opaque,
        state: SecretString::from(secret.clone()),
        expires_at: now + 60_000,
    };
    ctx.store.put_login_state(&new).await.unwrap();
    assert!(matches!(
        ctx.store.put_login_state(&new).await,
        Err(StoreError::Conflict(_))
    ));
    // Sealed at rest.
    assert!(!ctx.raw.dump().await.contains(&secret));

    let got = ctx.store.take_login_state(&id, now).await.unwrap().unwrap();
    assert_eq!(got.state.expose_secret(), secret);
    assert_eq!(
        (got.account, got.protocol),
        (Some(alice.id), AuthProtocol::Opaque)
    );
    // Single use.
    assert!(
        ctx.store
            .take_login_state(&id, now)
            .await
            .unwrap()
            .is_none()
    );

    // Unknown accounts (fake records) have no account; expired states are gone.
    let id2 = LoginId::generate(&mut ctx.rng);
    ctx.store
        .put_login_state(&NewLoginState {
            id: id2,
            account: None,
            protocol: AuthProtocol::Srp,
            state: SecretString::from("s"),
            expires_at: now,
        })
        .await
        .unwrap();
    assert!(
        ctx.store
            .take_login_state(&id2, now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        ctx.store
            .take_login_state(&id2, now - 10)
            .await
            .unwrap()
            .is_none()
    );

    // Another store with another state key cannot open them.
    let id3 = LoginId::generate(&mut ctx.rng);
    ctx.store
        .put_login_state(&NewLoginState {
            id: id3,
            expires_at: now + 10,
            ..new.clone()
        })
        .await
        .unwrap();
    let other_key = SymmetricKey::generate(&mut ctx.rng);
    let other = ctx.store_with(config(&other_key)).await;
    assert!(matches!(
        other.take_login_state(&id3, now).await,
        Err(StoreError::Corrupt(_))
    ));
    other.close().await;

    // Purge drops what expired.
    let id4 = LoginId::generate(&mut ctx.rng);
    ctx.store
        .put_login_state(&NewLoginState {
            id: id4,
            expires_at: now,
            ..new.clone()
        })
        .await
        .unwrap();
    let (states, _) = ctx.store.purge_expired(now + 1).await.unwrap();
    assert!(states >= 1);
    assert_eq!(
        ctx.raw
            .count(&format!(
                "SELECT count(*) FROM login_states WHERE login_id = '{id4}'"
            ))
            .await,
        0
    );
    ctx.finish().await;
}

async fn audit_chain_verifies_and_detects_tampering(mut ctx: Ctx) {
    let alice = user(&mut ctx, "alice").await;
    let bob = user(&mut ctx, "bob").await;
    let vk = vault(&mut ctx, &alice, "V").await;
    let grant = alice
        .acct
        .grant_vault(&vk, bob.acct.public_identity(), Role::Viewer, &mut ctx.rng)
        .unwrap();
    ctx.store
        .add_member(
            alice.id,
            vk.vault_id(),
            bob.id,
            Role::Viewer,
            &[MemberKey::Grant(grant)],
            Some("198.51.100.4"),
        )
        .await
        .unwrap();
    let mut failed = AuditEvent::new(None, AuditAction::Login);
    failed.subject = Some(bob.id.into());
    failed.outcome = AuditOutcome::Denied;
    failed.remote = Some("203.0.113.9".into());
    let s1 = ctx.store.audit_append(&failed).await.unwrap();
    let s2 = ctx
        .store
        .audit_append(&AuditEvent::new(Some(bob.id), AuditAction::Login))
        .await
        .unwrap();
    assert!(s2 > s1);
    // Remote addresses are checked, like every input.
    let mut bad = failed.clone();
    bad.remote = Some("bad\naddress".into());
    assert!(matches!(
        ctx.store.audit_append(&bad).await,
        Err(StoreError::Invalid(_))
    ));
    let ok = verify_audit(&ctx).await.unwrap();
    assert!(ok.rows >= 6 && ok.head_seq >= s2);

    if let Raw::Sqlite(p) = &ctx.raw {
        // SQLite refuses edits through SQL; an attacker with the file drops the triggers.
        for sql in [
            "UPDATE audit_log SET outcome = 'success'",
            "DELETE FROM audit_log",
        ] {
            assert!(sqlx::query(sql).execute(p).await.is_err());
        }
        ctx.raw.exec("DROP TRIGGER audit_log_no_update").await;
        ctx.raw.exec("DROP TRIGGER audit_log_no_delete").await;
    }
    // Edit a row: detected at that row.
    assert_eq!(
        ctx.raw
            .exec(&format!(
                "UPDATE audit_log SET outcome = 'success' WHERE seq = {s1}"
            ))
            .await,
        1
    );
    assert!(matches!(
        verify_audit(&ctx).await,
        Err(StoreError::AuditTampered { seq, .. }) if seq == s1
    ));
    ctx.raw
        .exec(&format!(
            "UPDATE audit_log SET outcome = 'denied' WHERE seq = {s1}"
        ))
        .await;
    verify_audit(&ctx).await.unwrap();

    // Remove a row: detected (a gap, or the head no longer matching).
    // (A temporary table: the raw pool is one connection.)
    let saved = "INSERT INTO audit_log SELECT * FROM audit_log_saved".to_owned();
    ctx.raw
        .exec(&format!(
            "CREATE TEMP TABLE audit_log_saved AS SELECT * FROM audit_log WHERE seq = {s1}"
        ))
        .await;
    ctx.raw
        .exec(&format!("DELETE FROM audit_log WHERE seq = {s1}"))
        .await;
    assert!(matches!(
        verify_audit(&ctx).await,
        Err(StoreError::AuditTampered { seq, .. }) if seq > s1
    ));
    ctx.raw.exec(&saved).await;
    ctx.raw.exec("DROP TABLE audit_log_saved").await;
    verify_audit(&ctx).await.unwrap();

    // Rewrite a row and its hash consistently: the next row's prev_hash breaks.
    let row = audit::AuditRow {
        seq: s1,
        at_ms: 0,
        actor: None,
        action: "session.login".into(),
        vault: None,
        subject: Some(bob.id.to_string()),
        remote: Some("203.0.113.9".into()),
        outcome: "success".into(),
    };
    let prev: String = match &ctx.raw {
        Raw::Sqlite(p) => {
            sqlx::query_scalar(&format!("SELECT prev_hash FROM audit_log WHERE seq = {s1}"))
                .fetch_one(p)
                .await
                .unwrap()
        }
        Raw::Pg(p) => {
            sqlx::query_scalar(&format!("SELECT prev_hash FROM audit_log WHERE seq = {s1}"))
                .fetch_one(p)
                .await
                .unwrap()
        }
    };
    let (old_at, old_hash): (i64, String) = match &ctx.raw {
        Raw::Sqlite(p) => sqlx::query_as(&format!(
            "SELECT at_ms, hash FROM audit_log WHERE seq = {s1}"
        ))
        .fetch_one(p)
        .await
        .unwrap(),
        Raw::Pg(p) => sqlx::query_as(&format!(
            "SELECT at_ms, hash FROM audit_log WHERE seq = {s1}"
        ))
        .fetch_one(p)
        .await
        .unwrap(),
    };
    let mut prev_bytes = [0u8; 32];
    hex::decode_to_slice(&prev, &mut prev_bytes).unwrap();
    let forged = hex::encode(
        audit::AuditRow {
            at_ms: old_at,
            ..row
        }
        .chain_hash(&prev_bytes),
    );
    ctx.raw
        .exec(&format!(
            "UPDATE audit_log SET outcome = 'success', hash = '{forged}' WHERE seq = {s1}"
        ))
        .await;
    assert!(matches!(
        verify_audit(&ctx).await,
        Err(StoreError::AuditTampered { seq, .. }) if seq == s1 + 1
    ));
    ctx.raw
        .exec(&format!(
            "UPDATE audit_log SET outcome = 'denied', hash = '{old_hash}' WHERE seq = {s1}"
        ))
        .await;
    verify_audit(&ctx).await.unwrap();
    ctx.finish().await;
}

async fn nothing_plaintext_is_stored(mut ctx: Ctx) {
    let marker = format!("PLAINTEXT{}", SessionId::generate(&mut ctx.rng));
    let (acct, creds) = UnlockedAccount::create(
        &format!("{marker}-password"),
        None,
        KdfParams::INSECURE_TEST_ONLY,
        &mut ctx.rng,
    )
    .unwrap();
    let identifier = format!("owner-{}@example.test", SessionId::generate(&mut ctx.rng));
    let record = opaque_record(&ctx.setup, &identifier, &creds.auth_key);
    ctx.store
        .create_account(
            &NewAccount {
                identifier: identifier.clone(),
                record: creds.encrypted,
                auth: AuthRecord::Opaque(Box::new(record.clone())),
            },
            None,
        )
        .await
        .unwrap();
    let owner = User {
        id: acct.account_id(),
        acct,
        identifier,
        record,
    };
    let vk = vault(&mut ctx, &owner, &format!("{marker}-vault")).await;
    let mut item = note(&format!("{marker}-title"));
    item.notes = SecretString::from(format!("{marker}-notes"));
    item.data = ItemData::Login {
        username: format!("{marker}-user"),
        password: SecretString::from(format!("{marker}-pass")),
        uris: vec![format!("https://{marker}.example")],
        totp: SecretString::from(format!("{marker}-totp")),
    };
    let b = vk
        .encrypt_item(ItemId::generate(&mut ctx.rng), 1, &item, &mut ctx.rng)
        .unwrap();
    ctx.store.push(owner.id, &[upsert(1, 0, b)]).await.unwrap();
    let dump = ctx.raw.dump().await;
    assert!(
        dump.contains(&owner.id.to_string()),
        "the dump reads the tables"
    );
    assert!(!dump.contains(&marker), "plaintext found in the database");
    ctx.finish().await;
}

// ============================================================ Postgres only

/// Connects as the app role and proves with raw SQL that, with no scope or
/// with user A's scope, nothing of user B's can be read, changed or deleted,
/// in any table of the schema.
async fn account_rotation_and_recovery_kits(mut ctx: Ctx) {
    let alice = user(&mut ctx, "alice").await;
    let bob = user(&mut ctx, "bob").await;
    let own = vault(&mut ctx, &alice, "Own").await;
    // Bob shares a vault with Alice: her row holds his grant, which a
    // rotation of her account key leaves alone (it is sealed to her
    // identity, which is kept).
    let shared = vault(&mut ctx, &bob, "Bob's").await;
    let grant = bob
        .acct
        .grant_vault(
            &shared,
            alice.acct.public_identity(),
            Role::Viewer,
            &mut ctx.rng,
        )
        .unwrap();
    ctx.store
        .add_member(
            bob.id,
            shared.vault_id(),
            alice.id,
            Role::Viewer,
            &[MemberKey::Grant(grant.clone())],
            None,
        )
        .await
        .unwrap();
    let policy = KdfPolicy::PERMISSIVE_TEST_ONLY;

    // A recovery kit must name the account and hold its current generation.
    let (kit_key, kit) = alice.acct.create_recovery_kit(&mut ctx.rng).unwrap();
    let mut wrong_gen = kit.clone();
    wrong_gen.generation = 2;
    assert!(matches!(
        ctx.store.set_recovery(alice.id, &wrong_gen, None).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        ctx.store.set_recovery(bob.id, &kit, None).await,
        Err(StoreError::Forbidden(_))
    ));
    assert!(ctx.store.recovery(alice.id).await.unwrap().is_none());
    ctx.store.set_recovery(alice.id, &kit, None).await.unwrap();
    let (id, found) = ctx
        .store
        .recovery_by_identifier(&alice.identifier)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(id, alice.id);
    assert!(found.check_auth_token(&kit_key.auth_token()));
    assert!(
        ctx.store
            .recovery_by_identifier(&bob.identifier)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        ctx.store
            .recovery_by_identifier("nobody@example.test")
            .await
            .unwrap()
            .is_none()
    );

    let mut sessions = Vec::new();
    for i in 0..2u8 {
        let id = SessionId::generate(&mut ctx.rng);
        ctx.store
            .create_session(
                alice.id,
                &NewSession {
                    id,
                    refresh: TokenHash::of(&[i + 40; 32]),
                    expires_at: i64::MAX,
                },
            )
            .await
            .unwrap();
        sessions.push(id);
    }
    let keep = sessions[0];
    let stored = ctx.store.account(alice.id).await.unwrap().record;
    let (own_feed, _) = pull_all(&ctx.store, alice.id, None, 100).await;
    let own_wraps: Vec<WrappedVaultKey> = own_feed
        .iter()
        .flat_map(|c| match c {
            Change::Vault { keys, .. } => keys.clone(),
            _ => vec![],
        })
        .filter_map(|k| match k {
            MemberKey::Wrapped(w) => Some(w),
            MemberKey::Grant(_) => None,
        })
        .collect();
    assert_eq!(own_wraps.len(), 1);
    let (new, change) = alice
        .acct
        .rotate_account_key(&stored, "pw", None, &policy, &own_wraps, &mut ctx.rng)
        .unwrap();

    // Bad change sets are refused and change nothing.
    let mut missing = change.clone();
    missing.vault_keys.clear();
    assert!(matches!(
        ctx.store
            .rotate_account_key(alice.id, &missing, None, Some(keep), None)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let mut extra = change.clone();
    extra
        .vault_keys
        .push(new.wrap_vault_key(&shared, &mut ctx.rng).unwrap());
    assert!(matches!(
        ctx.store
            .rotate_account_key(alice.id, &extra, None, Some(keep), None)
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        ctx.store
            .rotate_account_key(alice.id, &change, Some(&kit), Some(keep), None)
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        ctx.store
            .rotate_account_key(bob.id, &change, None, None, None)
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(ctx.store.account(alice.id).await.unwrap().record, stored);
    assert_eq!(
        ctx.store.recovery(alice.id).await.unwrap(),
        Some(kit.clone())
    );
    for s in &sessions {
        assert!(
            ctx.store
                .session(alice.id, *s)
                .await
                .unwrap()
                .unwrap()
                .is_active(1)
        );
    }

    // Applied: the record, the vault key wraps and the kit in one step.
    let (kit2_key, kit2) = new.create_recovery_kit(&mut ctx.rng).unwrap();
    ctx.store
        .rotate_account_key(alice.id, &change, Some(&kit2), Some(keep), None)
        .await
        .unwrap();
    let record = ctx.store.account(alice.id).await.unwrap().record;
    assert_eq!(record, change.record);
    assert_eq!(record.key_generation, 2);
    let (feed, _) = pull_all(&ctx.store, alice.id, None, 100).await;
    let mut opened = 0;
    for c in &feed {
        let Change::Vault { vault, keys, .. } = c else {
            continue;
        };
        for k in keys {
            match k {
                MemberKey::Wrapped(w) => {
                    assert_eq!(new.unwrap_vault_key(w).unwrap(), own);
                    // The old account key opens none of the new wraps.
                    assert!(alice.acct.unwrap_vault_key(w).is_err());
                    opened += 1;
                }
                MemberKey::Grant(g) => {
                    assert_eq!(*vault, shared.vault_id());
                    assert_eq!(g, &grant);
                    assert_eq!(
                        new.open_grant(g, bob.acct.public_identity()).unwrap(),
                        shared
                    );
                }
            }
        }
    }
    assert_eq!(opened, 1);
    assert!(record.unlock("pw", None, &policy).is_ok());
    assert!(
        record
            .unlock_with_account_key(alice.acct.account_key().clone())
            .is_err()
    );
    // The old kit is gone, the new one is in place; the other session ended.
    assert_eq!(
        ctx.store.recovery(alice.id).await.unwrap(),
        Some(kit2.clone())
    );
    assert!(kit2.recover(&kit2_key, &record).is_ok());
    assert!(matches!(
        kit.recover(&kit_key, &record),
        Err(vault_core::Error::StaleWrap(_))
    ));
    assert!(
        ctx.store
            .session(alice.id, keep)
            .await
            .unwrap()
            .unwrap()
            .is_active(1)
    );
    assert!(
        !ctx.store
            .session(alice.id, sessions[1])
            .await
            .unwrap()
            .unwrap()
            .is_active(1)
    );

    // A replayed change set is a conflict; so is a password change made
    // from the old record (it would roll the rotation back).
    assert!(matches!(
        ctx.store
            .rotate_account_key(alice.id, &change, None, Some(keep), None)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let old_pw = alice
        .acct
        .change_password(
            &stored,
            "pw2",
            None,
            KdfParams::INSECURE_TEST_ONLY,
            &mut ctx.rng,
        )
        .unwrap();
    let auth = AuthRecord::Opaque(Box::new(opaque_record(
        &ctx.setup,
        &alice.identifier,
        &old_pw.auth_key,
    )));
    assert!(matches!(
        ctx.store
            .replace_credentials(alice.id, &old_pw.encrypted, &auth, Some(keep), None)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(ctx.store.account(alice.id).await.unwrap().record, record);
    // Removing the kit works once.
    assert!(ctx.store.remove_recovery(alice.id, None).await.unwrap());
    assert!(!ctx.store.remove_recovery(alice.id, None).await.unwrap());
}

// ------------------------------------------------------------ machine fixtures

/// A vault of `owner` made into a project, as a member's client does it
/// (`client/machine/projects.rs`): fresh `ProjectKeys` sealed under the
/// vault key, attached on the store.
async fn project(ctx: &mut Ctx, owner: &User, name: &str) -> (VaultKey, ProjectKeys) {
    let vk = vault(ctx, owner, name).await;
    let keys = ProjectKeys::generate(vk.vault_id(), &mut ctx.rng);
    let sealed = keys.seal(&vk, &mut ctx.rng).unwrap();
    ctx.store
        .create_project(owner.id, &keys.public(), &sealed, None)
        .await
        .unwrap();
    (vk, keys)
}

/// A new secret of the project (version 1), written by `owner`.
async fn new_secret(
    ctx: &mut Ctx,
    owner: &User,
    (vk, keys): &(VaultKey, ProjectKeys),
    name: &str,
) -> EncryptedSecret {
    let entry = SecretEntry::new(name, "value 1", "").unwrap();
    let (s, v) = keys.create_secret(vk, &entry, &mut ctx.rng).unwrap();
    ctx.store
        .put_secret(owner.id, &s, &v, 0, None)
        .await
        .unwrap();
    s
}

/// A service token `owner` issues (approved at once) to read `secrets`.
async fn issue(
    ctx: &mut Ctx,
    owner: &User,
    (vk, keys): &(VaultKey, ProjectKeys),
    secrets: &[&EncryptedSecret],
) -> ServiceToken {
    let token = ServiceToken::generate(keys.project(), keys.public().ed25519, &mut ctx.rng);
    let public = token.public();
    let mut grants = vec![keys.grant_index(&public, &mut ctx.rng).unwrap()];
    for s in secrets {
        let key = keys.unwrap_secret_key(vk, s).unwrap();
        grants.push(keys.grant_secret(&key, &public, &mut ctx.rng).unwrap());
    }
    let issued = IssuedService {
        public,
        name: "ci".into(),
        approval: Approval {
            access: ServiceAccess::Secrets,
            grants,
        },
        expires_at: None,
    };
    ctx.store
        .issue_service(owner.id, &issued, None)
        .await
        .unwrap();
    token
}

/// A hint sealed to the project, as a service sends it with a read.
fn sealed_hint(
    ctx: &mut Ctx,
    keys: &ProjectKeys,
    purpose: SealPurpose,
    name: &str,
) -> SealedToProject {
    let hint = StubHint::new(SecretName::new(name).unwrap(), "needed by the test").unwrap();
    SealedToProject::seal(&keys.public(), purpose, &hint, &mut ctx.rng).unwrap()
}

fn blind(keys: &ProjectKeys, name: &str) -> BlindIndex {
    keys.blind_index(&SecretName::new(name).unwrap()).unwrap()
}

/// A statement's result under row security: `Ok(rows)` (counted or
/// affected) or `Err(SQLSTATE)`.
type Outcome = Result<i64, String>;

/// Runs `stmt` in its own transaction as the app role under `scope`;
/// commits it if `commit` and it succeeded, rolls it back otherwise.
async fn scoped(
    app: &mut PgConnection,
    scope: &[(&str, String)],
    stmt: &str,
    count: bool,
    commit: bool,
) -> Outcome {
    let mut tx = app.begin().await.unwrap();
    for (k, v) in scope {
        sqlx::query("SELECT set_config($1, $2, true)")
            .bind(k)
            .bind(v)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    let r = if count {
        sqlx::query(stmt)
            .fetch_one(&mut *tx)
            .await
            .map(|r| r.get::<i64, _>(0))
    } else {
        sqlx::query(stmt)
            .execute(&mut *tx)
            .await
            .map(|r| r.rows_affected() as i64)
    };
    let r = r.map_err(|e| match e {
        sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()).unwrap_or_default(),
        e => panic!("{e}"),
    });
    if r.is_ok() && commit {
        tx.commit().await.unwrap();
    }
    r
}

/// Runs `stmt` under `scope` and commits it if it succeeded (see [`scoped`]).
async fn run(app: &mut PgConnection, scope: &[(&str, String)], stmt: &str, count: bool) -> Outcome {
    scoped(app, scope, stmt, count, true).await
}

/// Runs `stmt` under `scope` and rolls it back: for trials that may
/// succeed, to show what a scope allows.
async fn probe(
    app: &mut PgConnection,
    scope: &[(&str, String)],
    stmt: &str,
    count: bool,
) -> Outcome {
    scoped(app, scope, stmt, count, false).await
}

/// The rows of `t` matching `pred`, as text, seen by the superuser.
async fn snapshot(raw: &Raw, t: &str, pred: &str) -> Vec<String> {
    match raw {
        Raw::Pg(p) => sqlx::query_scalar(&format!(
            "SELECT x::text FROM {t} x WHERE {pred} ORDER BY 1"
        ))
        .fetch_all(p)
        .await
        .unwrap(),
        Raw::Sqlite(_) => unreachable!(),
    }
}

/// Row-level security with raw SQL as the app role: under every scope the
/// store sets (`Scope::settings`), pointed at user A, A's project or A's
/// services, no row of user B's (accounts, vaults, items, sessions, …, and
/// B's project: its secrets and versions, services, grants, access
/// requests, stubs, counters, audit rows) can be read, changed or deleted,
/// and nothing can be filed into B's tenancy. Then the narrow scopes that
/// reach across tenants (a project's public key, a registration, the
/// counter flush) pointed at B's project: what each exposes, and that it
/// is only that.
async fn rls_user_a_cannot_touch_user_b(mut ctx: Ctx) {
    let a = user(&mut ctx, "a").await;
    let b = user(&mut ctx, "b").await;
    let va = vault(&mut ctx, &a, "A's").await;
    let vb = vault(&mut ctx, &b, "B's").await;
    let shared = vault(&mut ctx, &b, "B shares with A").await;
    for (vk, u) in [(&va, &a), (&vb, &b), (&vb, &b), (&shared, &b)] {
        let id = ItemId::generate(&mut ctx.rng);
        put(&mut ctx, u, vk, id, 0, "x").await;
    }
    let gone = ItemId::generate(&mut ctx.rng);
    put(&mut ctx, &b, &vb, gone, 0, "x").await;
    ctx.store
        .push(b.id, &[delete(1, &vb, gone, 1)])
        .await
        .unwrap();
    let grant = b
        .acct
        .grant_vault(
            &shared,
            a.acct.public_identity(),
            Role::Viewer,
            &mut ctx.rng,
        )
        .unwrap();
    ctx.store
        .add_member(
            b.id,
            shared.vault_id(),
            a.id,
            Role::Viewer,
            &[MemberKey::Grant(grant)],
            None,
        )
        .await
        .unwrap();
    let (sa, sb) = (
        SessionId::generate(&mut ctx.rng),
        SessionId::generate(&mut ctx.rng),
    );
    ctx.store
        .create_session(
            a.id,
            &NewSession {
                id: sa,
                refresh: TokenHash::of(b"a"),
                expires_at: i64::MAX,
            },
        )
        .await
        .unwrap();
    ctx.store
        .create_session(
            b.id,
            &NewSession {
                id: sb,
                refresh: TokenHash::of(b"b"),
                expires_at: i64::MAX,
            },
        )
        .await
        .unwrap();
    let (la, lb) = (
        LoginId::generate(&mut ctx.rng),
        LoginId::generate(&mut ctx.rng),
    );
    for (l, u) in [(la, &a), (lb, &b)] {
        ctx.store
            .put_login_state(&NewLoginState {
                id: l,
                account: Some(u.id),
                protocol: AuthProtocol::Opaque,
                state: SecretString::from("state"),
                expires_at: i64::MAX,
            })
            .await
            .unwrap();
    }
    ctx.store
        .audit_append(&AuditEvent::new(Some(b.id), AuditAction::Login))
        .await
        .unwrap();
    let (_, b_kit) = b.acct.create_recovery_kit(&mut ctx.rng).unwrap();
    ctx.store.set_recovery(b.id, &b_kit, None).await.unwrap();
    // B names a third user (not A) as its emergency contact.
    let c = user(&mut ctx, "c").await;
    let c_grant = b
        .acct
        .grant_vault(&vb, c.acct.public_identity(), Role::Viewer, &mut ctx.rng)
        .unwrap();
    ctx.store
        .set_emergency_contact(b.id, c.id, 1000, &[c_grant], None)
        .await
        .unwrap();

    // ---- Machine secrets: B's project, with a row in every machine table.
    let bpk = project(&mut ctx, &b, "B's project").await;
    let bp = bpk.1.project();
    // A secret with two versions, and one no service is granted.
    let b_one = new_secret(&mut ctx, &b, &bpk, "B_ONE").await;
    let entry = SecretEntry::new("B_ONE", "value 2", "").unwrap();
    let (b_one2, v2) = bpk
        .1
        .write_version(&bpk.0, &b_one, 2, &entry, &mut ctx.rng)
        .unwrap();
    ctx.store
        .put_secret(b.id, &b_one2, &v2, 1, None)
        .await
        .unwrap();
    let b_two = new_secret(&mut ctx, &b, &bpk, "B_TWO").await;
    // An issued service reading B_ONE…
    let b_ci = issue(&mut ctx, &b, &bpk, &[&b_one]).await;
    // …and one that registered itself, approved for the whole project.
    let b_reg = ServiceToken::generate(bp, bpk.1.public().ed25519, &mut ctx.rng);
    ctx.store
        .register_service(&b_reg.public(), "b-worker", "1.0", Some("192.0.2.9"))
        .await
        .unwrap();
    let approval = Approval {
        access: ServiceAccess::Project,
        grants: vec![
            bpk.1.grant_index(&b_reg.public(), &mut ctx.rng).unwrap(),
            bpk.1
                .grant_project(&bpk.0, &b_reg.public(), &mut ctx.rng)
                .unwrap(),
        ],
    };
    ctx.store
        .approve_service(b.id, bp, b_reg.service(), &approval, None)
        .await
        .unwrap();
    // The issued service asks for B_TWO (exists, not granted: an access
    // request) and for a missing name (a stub), as a service's read does.
    let wanted = vec![
        (
            blind(&bpk.1, "B_TWO"),
            Some(sealed_hint(&mut ctx, &bpk.1, SealPurpose::Request, "B_TWO")),
        ),
        (
            blind(&bpk.1, "B_MISSING"),
            Some(sealed_hint(
                &mut ctx,
                &bpk.1,
                SealPurpose::Stub,
                "B_MISSING",
            )),
        ),
    ];
    let out = ctx
        .store
        .fetch_secrets(b_ci.service(), bp, ServiceAccess::Secrets, &wanted)
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![
            FetchOutcome::NotGranted {
                secret: b_two.secret,
                status: RequestStatus::Pending
            },
            FetchOutcome::NotFound
        ]
    );
    // Counters, and a service access in the audit log.
    ctx.store
        .record_usage(&UsageBatch {
            services: vec![(b_ci.service(), bp, 2, 1)],
            secrets: vec![(bp, b_one.secret, 2, 1)],
        })
        .await
        .unwrap();
    let mut access = AuditEvent::by(
        Some(AuditParty::Service(b_ci.service())),
        AuditAction::SecretAccess,
    );
    access.vault = Some(bp);
    access.subject = Some(AuditParty::Secret(b_one.secret));
    ctx.store.audit_append_batch(&[access]).await.unwrap();

    // A's project: an issued service reading A_ONE, which asked for A_TWO
    // (a pending request of its own).
    let apk = project(&mut ctx, &a, "A's project").await;
    let ap = apk.1.project();
    let a_one = new_secret(&mut ctx, &a, &apk, "A_ONE").await;
    new_secret(&mut ctx, &a, &apk, "A_TWO").await;
    let a_ci = issue(&mut ctx, &a, &apk, &[&a_one]).await;
    let out = ctx
        .store
        .fetch_secrets(
            a_ci.service(),
            ap,
            ServiceAccess::Secrets,
            &[(blind(&apk.1, "A_TWO"), None)],
        )
        .await
        .unwrap();
    assert!(matches!(out[0], FetchOutcome::NotGranted { .. }));

    let (bid, vbid, shid, bp, ap) = (
        b.id.to_string(),
        vb.vault_id().to_string(),
        shared.vault_id().to_string(),
        bp.to_string(),
        ap.to_string(),
    );
    let (b_ci, b_reg, a_ci) = (
        b_ci.service().to_string(),
        b_reg.service().to_string(),
        a_ci.service().to_string(),
    );
    let in_bp = format!("project_id = '{bp}'");
    // Each table, and which of its rows are B's alone.
    let b_rows: Vec<(&str, String, &str)> = vec![
        (
            "accounts",
            format!("account_id = '{bid}'"),
            "updated_at = updated_at",
        ),
        (
            "identities",
            format!("account_id = '{bid}'"),
            "created_at = created_at",
        ),
        (
            "vaults",
            format!("vault_id IN ('{vbid}', '{bp}')"),
            "meta_seq = meta_seq",
        ),
        (
            "memberships",
            format!("vault_id IN ('{vbid}', '{bp}')"),
            "seq = seq",
        ),
        ("items", format!("vault_id = '{vbid}'"), "seq = seq"),
        (
            "sessions",
            format!("account_id = '{bid}'"),
            "expires_at = expires_at",
        ),
        (
            "login_states",
            format!("login_id = '{lb}'"),
            "expires_at = expires_at",
        ),
        (
            "recovery_wraps",
            format!("account_id = '{bid}'"),
            "created_at = created_at",
        ),
        (
            "emergency_access",
            format!("owner_id = '{bid}'"),
            "updated_at = updated_at",
        ),
        (
            "audit_log",
            format!("actor = '{bid}' AND subject IS NULL"),
            "at_ms = at_ms",
        ),
        // B's project's trail: B's decisions and its services' own rows.
        (
            "audit_log",
            format!(
                "actor IN ('service:{b_ci}', 'service:{b_reg}') \
                 OR (actor = '{bid}' AND vault_id = '{bp}')"
            ),
            "at_ms = at_ms",
        ),
        ("projects", in_bp.clone(), "updated_at = updated_at"),
        ("secrets", in_bp.clone(), "updated_at = updated_at"),
        ("secret_versions", in_bp.clone(), "created_at = created_at"),
        ("services", in_bp.clone(), "created_at = created_at"),
        ("service_grants", in_bp.clone(), "created_at = created_at"),
        ("access_requests", in_bp.clone(), "last_at = last_at"),
        ("stubs", in_bp.clone(), "last_at = last_at"),
        ("secret_usage", in_bp.clone(), "uses = uses"),
        ("service_usage", in_bp.clone(), "uses = uses"),
        ("feed_clock", "TRUE".to_owned(), "seq = seq"),
        ("audit_head", "TRUE".to_owned(), "seq = seq"),
        ("account_kinds", "TRUE".to_owned(), "accounts = accounts"),
        ("_sqlx_migrations", "TRUE".to_owned(), "version = version"),
    ];
    // Every table of the schema is covered.
    let tables: BTreeSet<String> = match &ctx.raw {
        Raw::Pg(p) => {
            sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                .fetch_all(p)
                .await
                .unwrap()
                .into_iter()
                .collect()
        }
        Raw::Sqlite(_) => unreachable!(),
    };
    assert_eq!(tables, b_rows.iter().map(|t| t.0.to_owned()).collect());
    // B's rows exist (seen by the superuser) and what they hold, to compare after.
    let mut before = Vec::new();
    for (t, pred, _) in &b_rows {
        let rows = snapshot(&ctx.raw, t, pred).await;
        assert!(!rows.is_empty(), "{t} has no row of B's to protect");
        before.push(rows);
    }
    // Every service and grant kind is there: issued and registered, index,
    // project and secret grants; both versions; request and stub filed.
    for (sql, n) in [
        (format!("SELECT count(*) FROM services WHERE {in_bp}"), 2),
        (
            format!("SELECT count(*) FROM service_grants WHERE {in_bp}"),
            4,
        ),
        (
            format!("SELECT count(*) FROM secret_versions WHERE {in_bp}"),
            3,
        ),
        (
            format!("SELECT count(*) FROM access_requests WHERE {in_bp} AND hint IS NOT NULL"),
            1,
        ),
        (
            format!("SELECT count(*) FROM stubs WHERE {in_bp} AND hint IS NOT NULL"),
            1,
        ),
    ] {
        assert_eq!(ctx.raw.count(&sql).await, n, "{sql}");
    }

    let mut app = PgConnection::connect(&ctx.pg().app_url()).await.unwrap();
    let denied = |r: Outcome| matches!(r.as_ref().map_err(String::as_str), Ok(0) | Err("42501"));
    let fresh_id = || ServiceId::generate(&mut rng::os_rng()).to_string();
    let none: Vec<(&str, String)> = vec![];
    let empty: Vec<(&str, String)> = vec![("vault.account", String::new())];
    let as_a: Vec<(&str, String)> = vec![("vault.account", a.id.to_string())];
    // The machine scopes, as `Scope::settings` (store/mod.rs) sets them.
    let a_service: Vec<(&str, String)> = vec![
        ("vault.service", a_ci.clone()),
        ("vault.project", ap.clone()),
    ];
    let a_lookup: Vec<(&str, String)> = vec![("vault.service", a_ci.clone())];
    let a_register: Vec<(&str, String)> = vec![
        ("vault.register", fresh_id()),
        ("vault.project_public", ap.clone()),
    ];
    let a_public: Vec<(&str, String)> = vec![("vault.project_public", ap.clone())];
    let flush: Vec<(&str, String)> = vec![("vault.usage", "flush".into())];
    let batch: Vec<(&str, String)> = vec![("vault.audit", "batch".into())];
    let scopes: Vec<(&str, &Vec<(&str, String)>)> = vec![
        ("no scope", &none),
        ("an empty account", &empty),
        ("A", &as_a),
        ("a service of A's project", &a_service),
        ("A's service being looked up", &a_lookup),
        ("a registration with A's project", &a_register),
        ("A's project's public key", &a_public),
        ("the counter flush", &flush),
        ("the audit batch", &batch),
    ];
    let mut checks = 0;
    for (label, scope) in &scopes {
        // No scope at all (or an empty one): nothing is visible.
        let strict = scope.iter().all(|(_, v)| v.is_empty());
        for (t, pred, set) in &b_rows {
            // The clocks and the account-kind counts hold no tenant data: a
            // signed-in session or a service may use them.
            let global = matches!(*t, "feed_clock" | "audit_head" | "account_kinds");
            // The flush adds to every project's counters (below).
            let counters =
                *label == "the counter flush" && matches!(*t, "service_usage" | "secret_usage");
            if !strict && (global || counters) {
                continue;
            }
            let read = scoped(
                &mut app,
                scope,
                &format!("SELECT count(*) FROM {t} WHERE {pred}"),
                true,
                true,
            )
            .await;
            assert!(denied(read.clone()), "{t}: read {read:?} as {label}");
            let upd = scoped(
                &mut app,
                scope,
                &format!("UPDATE {t} SET {set} WHERE {pred}"),
                false,
                true,
            )
            .await;
            assert!(denied(upd.clone()), "{t}: update {upd:?} as {label}");
            let del = scoped(
                &mut app,
                scope,
                &format!("DELETE FROM {t} WHERE {pred}"),
                false,
                true,
            )
            .await;
            assert!(denied(del.clone()), "{t}: delete {del:?} as {label}");
            if strict {
                let all = scoped(
                    &mut app,
                    scope,
                    &format!("SELECT count(*) FROM {t}"),
                    true,
                    true,
                )
                .await;
                assert!(denied(all.clone()), "{t}: {all:?} rows visible as {label}");
            }
            checks += 1;
        }
    }
    // Every table with no scope (twice); all but the global three under
    // the seven others, less the flush's two counter tables.
    assert_eq!(checks, b_rows.len() * 2 + (b_rows.len() - 3) * 7 - 2);

    // A cannot put rows into B's tenancy either.
    let now = 1;
    let b_item = format!(
        "INSERT INTO items (vault_id, item_id, revision, key_version, deleted, blob, seq, updated_at) \
         VALUES ('{vbid}', '{}', 1, 1, TRUE, NULL, 1, {now})",
        ItemId::generate(&mut ctx.rng)
    );
    assert_eq!(
        run(&mut app, &as_a, &b_item, false).await,
        Err("42501".into())
    );
    let join_b = format!(
        "INSERT INTO memberships (vault_id, vault_owner, account_id, role, keys, key_version, active, seq, access_seq, created_at, updated_at) \
         VALUES ('{vbid}', '{bid}', '{}', 'owner', '[]', 1, TRUE, 1, 1, 1, 1)",
        a.id
    );
    assert_eq!(
        run(&mut app, &as_a, &join_b, false).await,
        Err("42501".into())
    );
    // Claiming to own B's vault: the composite foreign key (vault, owner) refuses.
    let claim = join_b.replace(
        &format!("'{bid}', '{}'", a.id),
        &format!("'{}', '{}'", a.id, a.id),
    );
    assert_eq!(
        run(&mut app, &as_a, &claim, false).await,
        Err("23503".into())
    );
    let forged_audit = format!(
        "INSERT INTO audit_log (seq, at_ms, actor, action, outcome, prev_hash, hash) \
         VALUES (999999999, 1, '{bid}', 'x', 'success', '', '')"
    );
    assert_eq!(
        run(&mut app, &as_a, &forged_audit, false).await,
        Err("42501".into())
    );
    // What A may read of B's shared vault, A still may not change.
    assert_eq!(
        run(
            &mut app,
            &as_a,
            &format!("SELECT count(*) FROM vaults WHERE vault_id = '{shid}'"),
            true
        )
        .await,
        Ok(1)
    );
    assert_eq!(
        run(
            &mut app,
            &as_a,
            &format!("UPDATE vaults SET meta = 'x' WHERE vault_id = '{shid}'"),
            false
        )
        .await,
        Ok(0)
    );
    assert_eq!(
        run(
            &mut app,
            &as_a,
            &format!("UPDATE items SET blob = 'x' WHERE vault_id = '{shid}'"),
            false
        )
        .await,
        Ok(0)
    );
    // Nor promote itself in it (the membership guard).
    assert_eq!(
        run(&mut app, &as_a, &format!("UPDATE memberships SET role = 'owner' WHERE vault_id = '{shid}' AND account_id = '{}'", a.id), false).await,
        Err("42501".into())
    );
    // The audit log is append-only even for one's own rows.
    assert_eq!(
        run(
            &mut app,
            &as_a,
            &format!("DELETE FROM audit_log WHERE actor = '{}'", a.id),
            false
        )
        .await,
        Err("42501".into())
    );

    // ---- Nothing filed into B's project, as A or as A's service.
    let b_secret_row = format!(
        "INSERT INTO secrets (project_id, secret_id, blind_index, record, key_version, \
         secret_key_version, current_version, rotate_pending, created_at, updated_at) \
         VALUES ('{bp}', '{}', 'x', '{{}}', 1, 1, 1, FALSE, 1, 1)",
        SecretId::generate(&mut ctx.rng)
    );
    let b_version_row = format!(
        "INSERT INTO secret_versions (project_id, secret_id, version, secret_key_version, blob, created_at) \
         VALUES ('{bp}', '{}', 3, 1, '{{}}', 1)",
        b_one.secret
    );
    let b_service_row = |id: &str, status: &str, origin: &str, access: &str| {
        format!(
            "INSERT INTO services (service_id, project_id, name, software_version, public_key, status, \
             origin, access, allowlist, created_at) \
             VALUES ('{id}', '{bp}', 'x', '1', '{{}}', '{status}', '{origin}', '{access}', '[]', 1)"
        )
    };
    let grant_row = |service: &str, project: &str, scope: &str| {
        format!(
            "INSERT INTO service_grants (service_id, project_id, scope, secret_id, grant_json, created_at) \
             VALUES ('{service}', '{project}', '{scope}', NULL, '{{}}', 1)"
        )
    };
    let request_row = |service: &str, project: &str, secret: &str, status: &str| {
        format!(
            "INSERT INTO access_requests (service_id, project_id, secret_id, status, hint, attempts, first_at, last_at) \
             VALUES ('{service}', '{project}', '{secret}', '{status}', NULL, 1, 1, 1)"
        )
    };
    let stub_row = |service: &str, project: &str| {
        format!(
            "INSERT INTO stubs (project_id, blind_index, service_id, hint, attempts, first_at, last_at) \
             VALUES ('{project}', 'forged', '{service}', NULL, 1, 1, 1)"
        )
    };
    let a_project_row = format!(
        "INSERT INTO projects (project_id, public_key, project_keys, key_version, allowlist, created_at, updated_at) \
         VALUES ('{vbid}', '{{}}', '{{}}', 1, '[]', 1, 1)"
    );
    for (label, scope) in [("A", &as_a), ("A's service", &a_service)] {
        for stmt in [
            b_secret_row.clone(),
            b_version_row.clone(),
            b_service_row(&fresh_id(), "approved", "issued", "project"),
            grant_row(&b_ci, &bp, "project:1"),
            grant_row(&a_ci, &bp, "project:1"),
            request_row(&b_ci, &bp, &b_one.secret.to_string(), "pending"),
            stub_row(&b_ci, &bp),
            // Making B's plain vault a project.
            a_project_row.clone(),
        ] {
            assert_eq!(
                probe(&mut app, scope, &stmt, false).await,
                Err("42501".into()),
                "as {label}: {stmt}"
            );
        }
    }
    // A's service files under its own id and project only; a request for
    // B's secret under A's project has no such secret (the composite key).
    assert_eq!(
        probe(
            &mut app,
            &a_service,
            &request_row(&a_ci, &ap, &b_one.secret.to_string(), "pending"),
            false
        )
        .await,
        Err("23503".into())
    );
    assert_eq!(
        probe(&mut app, &a_service, &stub_row(&a_ci, &ap), false).await,
        Ok(1)
    );
    // It cannot approve, widen or grant itself, nor decide its own request.
    assert_eq!(
        run(
            &mut app,
            &a_service,
            &format!(
                "UPDATE services SET status = 'approved', access = 'project' WHERE service_id = '{a_ci}'"
            ),
            false
        )
        .await,
        Ok(0)
    );
    assert_eq!(
        probe(
            &mut app,
            &a_service,
            &grant_row(&a_ci, &ap, "project:1"),
            false
        )
        .await,
        Err("42501".into())
    );
    assert_eq!(
        probe(
            &mut app,
            &a_service,
            &format!("UPDATE access_requests SET status = 'granted' WHERE service_id = '{a_ci}'"),
            false
        )
        .await,
        Err("42501".into())
    );
    assert_eq!(
        probe(
            &mut app,
            &a_service,
            &format!("DELETE FROM access_requests WHERE service_id = '{a_ci}'"),
            false
        )
        .await,
        Ok(0)
    );
    // What it reads of its own project: its own service row and grants,
    // the project's secrets (which it may open is the grants' business).
    for (t, n) in [
        ("services", 1),
        ("service_grants", 2),
        ("secrets", 2),
        ("access_requests", 1),
    ] {
        assert_eq!(
            run(
                &mut app,
                &a_service,
                &format!("SELECT count(*) FROM {t}"),
                true
            )
            .await,
            Ok(n),
            "{t} as A's service"
        );
    }

    // ---- The cross-tenant scopes pointed at B's project.
    let b_public: Vec<(&str, String)> = vec![("vault.project_public", bp.clone())];
    let registering = fresh_id();
    let b_register: Vec<(&str, String)> = vec![
        ("vault.register", registering.clone()),
        ("vault.project_public", bp.clone()),
    ];
    let machine_tables = [
        ("secrets", "updated_at = updated_at"),
        ("secret_versions", "created_at = created_at"),
        ("service_grants", "created_at = created_at"),
        ("access_requests", "last_at = last_at"),
        ("stubs", "last_at = last_at"),
        ("secret_usage", "uses = uses"),
        ("service_usage", "uses = uses"),
    ];
    for (label, scope) in [
        ("B's public key", &b_public),
        ("a registration", &b_register),
    ] {
        // B's project's row, and only that project's: what a registering
        // service needs (its public key).
        assert_eq!(
            run(&mut app, scope, "SELECT count(*) FROM projects", true).await,
            Ok(1),
            "{label}"
        );
        assert_eq!(
            run(
                &mut app,
                scope,
                &format!("SELECT count(*) FROM projects WHERE {in_bp}"),
                true
            )
            .await,
            Ok(1),
            "{label}"
        );
        // Never changed or removed.
        for stmt in [
            format!("UPDATE projects SET allowlist = '[]' WHERE {in_bp}"),
            format!("DELETE FROM projects WHERE {in_bp}"),
            format!("UPDATE services SET status = 'approved' WHERE {in_bp}"),
            format!("DELETE FROM services WHERE {in_bp}"),
        ] {
            assert_eq!(
                run(&mut app, scope, &stmt, false).await,
                Ok(0),
                "{label}: {stmt}"
            );
        }
        // None of its secrets, versions, grants, requests, stubs, counters,
        // members, vault, items or trail.
        for (t, set) in machine_tables {
            for stmt in [
                format!("SELECT count(*) FROM {t}"),
                format!("UPDATE {t} SET {set} WHERE {in_bp}"),
                format!("DELETE FROM {t} WHERE {in_bp}"),
            ] {
                let r = run(&mut app, scope, &stmt, stmt.starts_with("SELECT")).await;
                assert!(denied(r.clone()), "{label}: {stmt}: {r:?}");
            }
        }
        for t in ["vaults", "memberships", "items", "audit_log", "accounts"] {
            assert_eq!(
                run(&mut app, scope, &format!("SELECT count(*) FROM {t}"), true).await,
                Ok(0),
                "{label}: {t}"
            );
        }
    }
    // Reading a public key shows no service; a registration counts the
    // project's pending ones (the cap): it sees the project's service rows.
    assert_eq!(
        run(&mut app, &b_public, "SELECT count(*) FROM services", true).await,
        Ok(0)
    );
    assert_eq!(
        run(
            &mut app,
            &b_register,
            &format!("SELECT count(*) FROM services WHERE {in_bp}"),
            true
        )
        .await,
        Ok(2)
    );
    assert_eq!(
        run(&mut app, &b_register, "SELECT count(*) FROM services", true).await,
        Ok(2)
    );
    // A registration files its own pending row, and nothing else: not
    // approved, issued or with access, not under another id, and a
    // public-key read files nothing.
    assert_eq!(
        probe(
            &mut app,
            &b_register,
            &b_service_row(&registering, "pending", "registered", "none"),
            false
        )
        .await,
        Ok(1)
    );
    for stmt in [
        b_service_row(&registering, "approved", "registered", "none"),
        b_service_row(&registering, "pending", "issued", "none"),
        b_service_row(&registering, "pending", "registered", "project"),
        b_service_row(&fresh_id(), "pending", "registered", "none"),
        grant_row(&registering, &bp, "index"),
    ] {
        assert_eq!(
            probe(&mut app, &b_register, &stmt, false).await,
            Err("42501".into()),
            "{stmt}"
        );
    }
    assert_eq!(
        probe(
            &mut app,
            &b_public,
            &b_service_row(&registering, "pending", "registered", "none"),
            false
        )
        .await,
        Err("42501".into())
    );
    // KNOWN GAP (reported): row security works on rows, not columns, so
    // both scopes read the whole `projects` row (the sealed project keys,
    // the allowlist), though they need `public_key` only; the registration
    // scope reads every column of the project's services too (names,
    // public keys, allowlists, addresses registered from), though the cap
    // needs a count of pending ones. The sealed keys are ciphertext under
    // the vault key. If this starts failing, the exposure was narrowed:
    // turn these into denials.
    for (scope, stmt) in [
        (
            &b_public,
            format!(
                "SELECT count(*) FROM projects WHERE {in_bp} AND project_keys <> '' AND allowlist <> ''"
            ),
        ),
        (
            &b_register,
            format!("SELECT count(*) FROM projects WHERE {in_bp} AND project_keys <> ''"),
        ),
        (
            &b_register,
            format!(
                "SELECT count(*) FROM services WHERE {in_bp} AND status = 'approved' \
                 AND name <> '' AND public_key <> ''"
            ),
        ),
    ] {
        assert!(
            matches!(run(&mut app, scope, &stmt, true).await, Ok(n) if n > 0),
            "{stmt}"
        );
    }

    // The flush: every project's counters (it upserts them), nothing else
    // (the loop above).
    for t in ["service_usage", "secret_usage"] {
        assert_eq!(
            run(
                &mut app,
                &flush,
                &format!("SELECT count(*) FROM {t} WHERE {in_bp}"),
                true
            )
            .await,
            Ok(1)
        );
        assert_eq!(
            probe(
                &mut app,
                &flush,
                &format!("UPDATE {t} SET uses = uses + 1 WHERE {in_bp}"),
                false
            )
            .await,
            Ok(1)
        );
    }
    // A secret's counter must name a secret of that project (composite key).
    assert_eq!(
        probe(
            &mut app,
            &flush,
            &format!(
                "INSERT INTO secret_usage (project_id, secret_id, uses, last_used_at) \
                 VALUES ('{bp}', '{}', 1, 1)",
                a_one.secret
            ),
            false
        )
        .await,
        Err("23503".into())
    );
    // The flush only upserts: it deletes no project's counters, and a
    // service's counter must name the service's own project (composite key).
    for stmt in [
        format!("DELETE FROM service_usage WHERE {in_bp}"),
        format!("DELETE FROM secret_usage WHERE {in_bp}"),
    ] {
        assert_eq!(probe(&mut app, &flush, &stmt, false).await, Ok(0), "{stmt}");
    }
    assert_eq!(
        probe(
            &mut app,
            &flush,
            &format!(
                "INSERT INTO service_usage (service_id, project_id, uses, last_used_at) \
                 VALUES ('{a_ci}', '{bp}', 1, 1)"
            ),
            false
        )
        .await,
        Err("23503".into())
    );

    // The audit chain: a service appends rows as itself only; the batch
    // writer appends any service's rows (it writes them for every service)
    // but never a person's. Neither reads the log.
    let audit_row = |actor: &str| {
        format!(
            "INSERT INTO audit_log (seq, at_ms, actor, action, outcome, prev_hash, hash) \
             VALUES (999999998, 1, '{actor}', 'secret.access', 'success', '', '')"
        )
    };
    for (scope, actor, want) in [
        (&a_service, format!("service:{a_ci}"), Ok(1)),
        (
            &a_service,
            format!("service:{b_ci}"),
            Err("42501".to_owned()),
        ),
        (&a_service, bid.clone(), Err("42501".to_owned())),
        (
            &a_register,
            format!("service:{b_reg}"),
            Err("42501".to_owned()),
        ),
        (&batch, format!("service:{b_ci}"), Ok(1)),
        (&batch, bid.clone(), Err("42501".to_owned())),
        (&flush, format!("service:{b_ci}"), Err("42501".to_owned())),
    ] {
        assert_eq!(
            probe(&mut app, scope, &audit_row(&actor), false).await,
            want,
            "{actor} under {scope:?}"
        );
    }

    // The service policies believe `vault.project` only together with the
    // service whose row names it: a scope pairing A's service with B's
    // project (which the store never sets) reads nothing of B's project,
    // and files nothing there (the composite keys).
    let crossed: Vec<(&str, String)> = vec![
        ("vault.service", a_ci.clone()),
        ("vault.project", bp.clone()),
    ];
    for t in ["secrets", "secret_versions", "projects"] {
        assert_eq!(
            run(
                &mut app,
                &crossed,
                &format!("SELECT count(*) FROM {t} WHERE {in_bp}"),
                true
            )
            .await,
            Ok(0),
            "{t}"
        );
    }
    for t in ["services", "service_grants", "access_requests", "stubs"] {
        assert_eq!(
            run(
                &mut app,
                &crossed,
                &format!("SELECT count(*) FROM {t} WHERE {in_bp}"),
                true
            )
            .await,
            Ok(0),
            "{t}"
        );
    }
    for stmt in [
        stub_row(&a_ci, &bp),
        request_row(&a_ci, &bp, &b_two.secret.to_string(), "pending"),
    ] {
        assert_eq!(
            probe(&mut app, &crossed, &stmt, false).await,
            Err("23503".into()),
            "{stmt}"
        );
    }

    // The directory: one exact lookup reads B's public identity, and only that.
    let lookup = vec![
        ("vault.account", a.id.to_string()),
        ("vault.lookup_identifier", b.identifier.clone()),
    ];
    assert_eq!(
        run(&mut app, &lookup, "SELECT count(*) FROM identities", true).await,
        Ok(2)
    );
    assert_eq!(
        run(
            &mut app,
            &lookup,
            &format!("UPDATE identities SET created_at = 0 WHERE account_id = '{bid}'"),
            false
        )
        .await,
        Ok(0)
    );
    assert_eq!(
        run(&mut app, &lookup, "SELECT count(*) FROM accounts", true).await,
        Ok(1)
    );
    // TRUNCATE, which ignores RLS, is not granted.
    for t in ["items", "secrets", "services", "service_usage"] {
        assert_eq!(
            run(&mut app, &as_a, &format!("TRUNCATE {t}"), false).await,
            Err("42501".into())
        );
    }
    app.close().await.unwrap();

    // And B's rows are exactly as they were.
    for ((t, pred, _), before) in b_rows.iter().zip(&before) {
        let after = snapshot(&ctx.raw, t, pred).await;
        if !matches!(*t, "feed_clock" | "audit_head" | "audit_log") {
            assert_eq!(before, &after, "{t} changed");
        }
    }
    ctx.finish().await;
}

/// The store refuses to run as a role that could bypass RLS.
async fn startup_check_refuses_privileged_roles(ctx: Ctx) {
    let Backend::Postgres(pg) = ctx.backend.clone() else {
        unreachable!()
    };
    let key = SymmetricKey::generate(&mut rng::os_rng());
    let refused = |r: Result<Store, StoreError>, why: &str| match r {
        Err(StoreError::Misconfigured(m)) => assert!(m.contains(why), "{m}"),
        Err(e) => panic!("expected a refusal ({why}), got {e}"),
        Ok(_) => panic!("a store ran as a role that {why}"),
    };
    refused(
        Store::connect_postgres(&pg.super_url(), config(&key)).await,
        "superuser",
    );
    refused(
        Store::connect_postgres(&pg.owner_url(), config(&key)).await,
        "owns tables",
    );

    let suffix = SessionId::generate(&mut rng::os_rng()).to_string()[..12].to_owned();
    let bypass = format!("vault_bypass_{suffix}");
    let member = format!("vault_member_{suffix}");
    let trunc = format!("vault_trunc_{suffix}");
    let admin = PgAdmin::connect(&pg.owner_url()).await.unwrap();
    for sql in [
        format!("CREATE ROLE {bypass} LOGIN BYPASSRLS"),
        format!("CREATE ROLE {member} LOGIN IN ROLE {}", pg.owner),
        format!("CREATE ROLE {trunc} LOGIN"),
    ] {
        ctx.raw.exec(&sql).await;
    }
    for r in [&bypass, &member, &trunc] {
        admin.grant_app_role(r).await.unwrap();
    }
    ctx.raw
        .exec(&format!("GRANT TRUNCATE ON items TO {trunc}"))
        .await;
    refused(
        Store::connect_postgres(&pg.url(&bypass, &pg.db), config(&key)).await,
        "BYPASSRLS",
    );
    refused(
        Store::connect_postgres(&pg.url(&member, &pg.db), config(&key)).await,
        "owns tables",
    );
    refused(
        Store::connect_postgres(&pg.url(&trunc, &pg.db), config(&key)).await,
        "TRUNCATE",
    );
    // A schema with a table not FORCEing RLS is refused too (shown on a
    // scratch database: other tests are using this one).
    let scratch = format!("{}_scratch", pg.db);
    ctx.raw
        .exec(&format!("CREATE DATABASE {scratch} OWNER {}", pg.owner))
        .await;
    let scratch_admin = PgAdmin::connect(&pg.url(&pg.owner, &scratch))
        .await
        .unwrap();
    scratch_admin.migrate().await.unwrap();
    scratch_admin.grant_app_role(&pg.app).await.unwrap();
    scratch_admin.close().await;
    let ok = Store::connect_postgres(&pg.url(&pg.app, &scratch), config(&key))
        .await
        .unwrap();
    ok.close().await;
    let mut sup = PgConnection::connect(&pg.url(&pg.superuser, &scratch))
        .await
        .unwrap();
    sup.execute("ALTER TABLE items NO FORCE ROW LEVEL SECURITY")
        .await
        .unwrap();
    sup.close().await.unwrap();
    refused(
        Store::connect_postgres(&pg.url(&pg.app, &scratch), config(&key)).await,
        "RLS ENABLE + FORCE",
    );
    ctx.raw
        .exec(&format!("DROP DATABASE {scratch} WITH (FORCE)"))
        .await;
    // The app role passes.
    let ok = Store::connect_postgres(&pg.app_url(), config(&key))
        .await
        .unwrap();
    ok.close().await;
    admin.close().await;
    for r in [&bypass, &member, &trunc] {
        ctx.raw.exec(&format!("DROP OWNED BY {r}")).await;
        ctx.raw.exec(&format!("DROP ROLE {r}")).await;
    }
    // A bad URL is refused without echoing it.
    match Store::connect_postgres("postgres://user:hunter2@[bad", config(&key)).await {
        Err(e) => assert!(!e.to_string().contains("hunter2")),
        Ok(_) => panic!(),
    }
    ctx.finish().await;
}

/// The SQLite and Postgres schemas have the same migrations, tables,
/// columns, types, nullability and indexes.
async fn schemas_are_in_lockstep(ctx: Ctx) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |d: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir.join(d))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));

    let lite = Ctx::new(Backend::Sqlite).await;
    let Raw::Sqlite(sp) = &lite.raw else {
        unreachable!()
    };
    let Raw::Pg(pp) = &ctx.raw else {
        unreachable!()
    };
    let lite_cols: BTreeSet<(String, String, String, bool)> = sqlx::query(
        "SELECT m.name, p.name, lower(p.type), p.\"notnull\" FROM sqlite_master m \
         JOIN pragma_table_info(m.name) p WHERE m.type = 'table' \
         AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
    )
    .fetch_all(sp)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get::<i64, _>(3) == 1))
    .collect();
    let pg_cols: BTreeSet<(String, String, String, bool)> = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'NO' \
         FROM information_schema.columns WHERE table_schema = 'public' \
         AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pp)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect();
    assert!(lite_cols.len() > 50);
    assert_eq!(lite_cols, pg_cols);

    let lite_idx: BTreeSet<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(sp)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let pg_idx: BTreeSet<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public' \
         AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'",
    )
    .fetch_all(pp)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(lite_idx, pg_idx);
    lite.finish().await;
    ctx.finish().await;
}

/// The refresh grace window the session tests use (ms).
const GRACE: i64 = 10_000;

// ============================================================ harness

type TestFn = fn(Ctx) -> Pin<Box<dyn Future<Output = ()> + Send>>;

macro_rules! tests {
    ($($name:ident),* $(,)?) => {
        vec![$((stringify!($name), (|ctx| Box::pin($name(ctx))) as TestFn)),*]
    };
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn main() {
    let args = Arguments::from_args();
    let shared = tests![
        accounts_register_look_up_and_refuse_duplicates,
        credentials_replace_atomically_and_revoke_other_sessions,
        account_rotation_and_recovery_kits,
        vaults_and_members,
        cas_writes_follow_the_revision_rules,
        cas_concurrent_writers_exactly_one_wins,
        feed_pages_and_deltas,
        feed_follows_sharing_and_revocation,
        key_rotation_rewraps_everything_atomically,
        rotation_and_old_key_pushes_never_both_win,
        sync_engine_devices_converge,
        initial_sync_of_10000_items_is_one_query_per_page,
        sessions_rotate_refresh_tokens_and_catch_reuse,
        login_states_are_sealed_single_use_and_expire,
        audit_chain_verifies_and_detects_tampering,
        nothing_plaintext_is_stored,
    ];
    let pg_only = tests![
        rls_user_a_cannot_touch_user_b,
        startup_check_refuses_privileged_roles,
        schemas_are_in_lockstep,
    ];

    let pg: Result<Arc<PgEnv>, String> = if args.list {
        Err("listing".into())
    } else {
        runtime()
            .block_on(PgEnv::try_migrated("store"))
            .map(Arc::new)
    };
    let trial = |name: String, backend: Result<Backend, String>, f: TestFn| {
        Trial::test(name, move || {
            let backend = backend.map_err(Failed::from)?;
            runtime().block_on(async move { f(Ctx::new(backend).await).await });
            Ok(())
        })
    };
    let mut trials = Vec::new();
    for (name, f) in &shared {
        trials.push(trial(format!("sqlite::{name}"), Ok(Backend::Sqlite), *f));
    }
    for (name, f) in shared.iter().chain(&pg_only) {
        let backend = pg.clone().map(Backend::Postgres);
        trials.push(trial(format!("postgres::{name}"), backend, *f));
    }
    let conclusion = libtest_mimic::run(&args, trials);
    // The database and roles go with the last reference (`exit` would skip
    // the drop).
    drop(pg);
    conclusion.exit();
}
