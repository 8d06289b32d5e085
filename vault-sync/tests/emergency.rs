//! Emergency access end to end: the real router on 127.0.0.1, driven
//! through the client (`vault_sync::client`), on SQLite (a temporary file)
//! and on Postgres (a fresh database, owner role and app role per test,
//! dropped at the end), with a one-second minimum wait.
//!
//! The acceptance tests of issue 6: a cancelled request releases nothing;
//! an expired one releases exactly the granted vaults; a claim before the
//! wait is over is refused; a grant a key rotation left stale releases
//! nothing until the owner's client re-issues it; a stranger can neither
//! see, request nor claim, and bad input changes nothing (on Postgres the
//! row-level policies and the guard trigger are also probed with raw SQL
//! as the app role).
//!
//! Postgres and the in-process server come from `vault-testkit` (`PgEnv`:
//! `127.0.0.1:5432`, trust auth, superuser `postgres`; override with
//! `VAULT_TEST_PG_HOST`, `VAULT_TEST_PG_PORT`, `VAULT_TEST_PG_USER`).
#![cfg(all(feature = "server", feature = "client"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use sqlx::{Connection, Row};
use std::time::Duration;
use vault_core::sync::wire::MemberKey;
use vault_core::*;
use vault_sync::api::{self, RotateRequest, RotationMemberKeys};
use vault_sync::client::*;
use vault_sync::server::ServerConfig;
use vault_sync::server::ratelimit::LimitConfig;
use vault_testkit::{Db, PgEnv, TempDir, TestServer};

mod common;
use common::options;

const PW: &str = "emergency-test-password-Tq4";

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

// ============================================================ server

struct Env {
    root: TempDir,
    url: String,
    server: TestServer,
    pg: Option<PgEnv>,
}

impl Env {
    async fn start(backend: Backend) -> Env {
        let root = TempDir::new("emergency");
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgEnv::migrated("emergency").await),
        };
        let db = match &pg {
            None => Db::Sqlite(root.join("server").join("server.db")),
            Some(pg) => Db::Postgres(pg.app_url()),
        };
        let config = ServerConfig {
            fake_kdf: KdfParams::INSECURE_TEST_ONLY,
            limits: LimitConfig {
                starts_per_minute: 10_000,
                ..LimitConfig::default()
            },
            emergency_min_wait: Duration::from_secs(1),
            ..ServerConfig::default()
        };
        let server = TestServer::start(db, config).await;
        Env {
            url: server.url.clone(),
            root,
            server,
            pg,
        }
    }

    /// Stops the server; the directory and the database go with `self`.
    async fn finish(mut self) {
        self.server.stop().await;
        self.server.state.store.close().await;
    }

    /// The audit log as (action, actor, subject, vault, outcome), in order,
    /// read with a connection that sees every row.
    async fn audit(
        &self,
    ) -> Vec<(
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    )> {
        let sql = "SELECT action, actor, subject, vault_id, outcome FROM audit_log ORDER BY seq";
        let map =
            |r: &dyn Fn(usize) -> Option<String>| (r(0).unwrap(), r(1), r(2), r(3), r(4).unwrap());
        match &self.pg {
            None => {
                let pool = sqlx::SqlitePool::connect(&format!(
                    "sqlite://{}",
                    self.server.sqlite_file().display()
                ))
                .await
                .unwrap();
                let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
                pool.close().await;
                rows.iter().map(|row| map(&|i| row.get(i))).collect()
            }
            Some(pg) => {
                let sup = pg.super_pool().await;
                let rows = sqlx::query(sql).fetch_all(&sup).await.unwrap();
                sup.close().await;
                rows.iter().map(|row| map(&|i| row.get(i))).collect()
            }
        }
    }

    /// The audit actions with this outcome, in order.
    async fn actions(&self, outcome: &str) -> Vec<String> {
        self.audit()
            .await
            .into_iter()
            .filter(|a| a.0.starts_with("emergency.") && a.4 == outcome)
            .map(|a| a.0)
            .collect()
    }
}

// ============================================================ helpers

fn ident(name: &str) -> String {
    format!("{name}@example.com")
}

async fn user(env: &Env, name: &str) -> UnlockedDevice {
    Device::open(env.root.join(name), options())
        .await
        .unwrap()
        .register(&env.url, &ident(name), PW, KdfParams::INSECURE_TEST_ONLY)
        .await
        .unwrap()
}

fn note(title: &str) -> Item {
    Item {
        title: title.into(),
        data: ItemData::SecureNote,
        notes: format!("the secret body of {title}").into(),
        tags: vec![],
        favorite: false,
        custom_fields: vec![],
    }
}

/// A vault of `d` holding notes with these titles (pushed).
async fn vault_with(d: &mut UnlockedDevice, name: &str, titles: &[&str]) -> (VaultId, Vec<ItemId>) {
    let v = d
        .create_vault(&VaultMeta {
            name: name.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for t in titles {
        ids.push(d.add_item(v, &note(t)).await.unwrap());
    }
    d.sync().await.unwrap();
    (v, ids)
}

fn titles(d: &UnlockedDevice, v: VaultId) -> Vec<String> {
    d.list_items(Some(v))
        .unwrap()
        .into_iter()
        .map(|r| r.overview.title)
        .collect()
}

fn code(r: Result<impl core::fmt::Debug, ClientError>) -> String {
    r.unwrap_err().code().to_owned()
}

async fn wait_ms(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// Rotates `v` the way a client that knows nothing of emergency access
/// would: the new key to the members only, the emergency grants left as
/// they were (stale).
async fn rotate_without_reissue(d: &mut UnlockedDevice, v: VaultId) {
    d.sync().await.unwrap();
    let mut rng = rng::os_rng();
    let old = d.vault_key(v).unwrap().clone();
    let m = d.engine().membership(v).unwrap().clone();
    let live: Vec<EncryptedItem> = d.engine().items(v).cloned().collect();
    let (next, meta, items) = old
        .rotate(m.meta.as_ref().unwrap(), &live, &mut rng)
        .unwrap();
    let mut members = Vec::new();
    for member in d.api().members(v).await.unwrap().members {
        let keys = if member.account == d.account_id() {
            let mut k = m.keys.clone();
            k.push(MemberKey::Wrapped(
                d.account().wrap_vault_key(&next, &mut rng).unwrap(),
            ));
            k
        } else {
            let identity = d.identity_of(member.account).await.unwrap();
            vec![MemberKey::Grant(
                d.account()
                    .grant_vault(&next, &identity, member.role, &mut rng)
                    .unwrap(),
            )]
        };
        members.push(RotationMemberKeys {
            account: member.account,
            keys,
        });
    }
    d.api()
        .rotate(
            v,
            &RotateRequest {
                meta,
                items,
                members,
            },
        )
        .await
        .unwrap();
    d.sync().await.unwrap();
    assert_eq!(d.vault_key(v).unwrap().key_version(), next.key_version());
}

/// A raw request with `d`'s bearer token (or none): (status, JSON body).
async fn raw(
    env: &Env,
    d: Option<&UnlockedDevice>,
    method: reqwest::Method,
    path: &str,
    body: Option<String>,
) -> (u16, serde_json::Value) {
    let mut rb = reqwest::Client::new().request(method, format!("{}{path}", env.url));
    if let Some(d) = d {
        let token = d.api().session().await.unwrap().access_token;
        rb = rb.bearer_auth(token);
    }
    if let Some(b) = body {
        rb = rb.header("content-type", "application/json").body(b);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

fn contact_path(a: AccountId) -> String {
    api::paths::EMERGENCY_CONTACT.replace("{contact}", &a.to_string())
}

// ============================================================ (1) cancel

/// A cancelled request releases nothing: the claim is refused, even after
/// the wait, and the contact's sync shows no vault of the owner's.
async fn cancelled_request_releases_nothing(backend: Backend) {
    let env = Env::start(backend).await;
    let mut alice = user(&env, "alice").await;
    let mut bob = user(&env, "bob").await;
    let (v, ids) = vault_with(&mut alice, "Alice Vault", &["A1", "A2"]).await;
    let bob_fp = bob.fingerprint();
    let e = alice
        .set_emergency_contact(&ident("bob"), &[v], Duration::from_secs(1), Some(&bob_fp))
        .await
        .unwrap();
    assert_eq!(
        (e.state, e.owner, e.contact, e.vaults.clone()),
        (
            EmergencyState::Idle,
            alice.account_id(),
            bob.account_id(),
            vec![(v, 1)]
        )
    );
    assert!(e.verified && e.stale.is_empty());
    assert_eq!(e.identifier.as_deref(), Some(ident("bob").as_str()));
    // Bob sees who named him, and for what (no grant).
    let s = bob.emergency_status().await.unwrap();
    assert!(s.as_owner.is_empty());
    assert_eq!(s.as_contact.len(), 1);
    assert_eq!(s.as_contact[0].owner, alice.account_id());
    assert_eq!(
        s.as_contact[0].identifier.as_deref(),
        Some(ident("alice").as_str())
    );
    assert_eq!(s.as_contact[0].fingerprint, Some(alice.fingerprint()));
    // Nothing to claim before asking.
    assert_eq!(
        code(bob.claim_emergency_access(&ident("alice")).await),
        "emergency_not_requested"
    );

    let r = bob.request_emergency_access(&ident("alice")).await.unwrap();
    assert_eq!(r.state, EmergencyState::Requested);
    assert_eq!(r.release_at_ms, r.requested_at_ms.map(|t| t + 1000));
    let c = alice.cancel_emergency_request(&ident("bob")).await.unwrap();
    assert_eq!((c.state, c.requested_at_ms), (EmergencyState::Idle, None));
    // Cancelling twice is a conflict, and changes nothing.
    assert_eq!(
        code(alice.cancel_emergency_request(&ident("bob")).await),
        "conflict"
    );

    wait_ms(1300).await;
    assert_eq!(
        code(bob.claim_emergency_access(&ident("alice")).await),
        "emergency_not_requested"
    );
    bob.sync().await.unwrap();
    assert!(bob.vaults().is_empty());
    let e = bob.api().get_item(v, ids[0]).await.unwrap_err();
    assert_eq!(e.code(), "forbidden", "{e}");
    for d in [&alice, &bob] {
        let s = d.emergency_status().await.unwrap();
        let all: Vec<_> = s.as_owner.iter().chain(&s.as_contact).collect();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].state, EmergencyState::Idle);
    }
    assert_eq!(
        env.actions("success").await,
        ["emergency.set", "emergency.request", "emergency.cancel"]
    );
    // The two refused claims are on record too (the owner may read them).
    assert_eq!(
        env.actions("denied").await,
        ["emergency.release", "emergency.release"]
    );
    env.finish().await;
}

// ============================================================ (2) expiry

/// An expired request releases exactly the granted vaults: the contact
/// syncs and reads their items, and nothing of the vault not granted.
async fn expired_request_releases_exactly_the_granted_vaults(backend: Backend) {
    let env = Env::start(backend).await;
    let mut alice = user(&env, "alice").await;
    let mut bob = user(&env, "bob").await;
    let (granted, g_ids) = vault_with(&mut alice, "Granted", &["G1", "G2"]).await;
    let (kept, k_ids) = vault_with(&mut alice, "Not Granted", &["N1"]).await;
    let bob_fp = bob.fingerprint();
    alice
        .set_emergency_contact(
            &bob.account_id().to_string(),
            &[granted],
            Duration::from_secs(1),
            Some(&bob_fp),
        )
        .await
        .unwrap();

    // The owner's devices hear of the request at once.
    let mut events = alice.api().events().await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), events.next_event())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.event, "ready");
    let r = bob.request_emergency_access(&ident("alice")).await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(10), events.next_event())
        .await
        .expect("the owner is told of the request")
        .unwrap()
        .unwrap();
    assert_eq!(next.event, "changed");
    drop(events);
    // Asking again changes nothing (the timer does not restart).
    let again = bob.request_emergency_access(&ident("alice")).await.unwrap();
    assert_eq!(again.requested_at_ms, r.requested_at_ms);
    let seen = alice.emergency_status().await.unwrap().as_owner;
    assert_eq!(seen[0].state, EmergencyState::Requested);
    assert_eq!(seen[0].release_at_ms, r.release_at_ms);

    wait_ms(1200).await;
    let out = bob.claim_emergency_access(&ident("alice")).await.unwrap();
    assert_eq!(
        (out.released.clone(), out.stale.clone()),
        (vec![granted], vec![])
    );
    // Bob's device holds the granted vault, read-only, and its items.
    let vaults = bob.vaults();
    assert_eq!(vaults.len(), 1, "{vaults:?}");
    assert_eq!(
        (vaults[0].vault, vaults[0].name.as_str(), vaults[0].role),
        (granted, "Granted", Role::Viewer)
    );
    assert_eq!(vaults[0].shared_by, Some(alice.account_id()));
    let mut t = titles(&bob, granted);
    t.sort();
    assert_eq!(t, ["G1", "G2"]);
    for id in &g_ids {
        assert_eq!(
            bob.get_item(granted, *id).unwrap(),
            alice.get_item(granted, *id).unwrap()
        );
    }
    assert_eq!(code(bob.add_item(granted, &note("x")).await), "invalid");
    // Nothing of the other vault.
    assert_eq!(code(bob.list_items(Some(kept))), "not_found");
    assert_eq!(code(bob.api().get_item(kept, k_ids[0]).await), "forbidden");
    // A second claim changes nothing.
    assert_eq!(
        code(bob.claim_emergency_access(&ident("alice")).await),
        "emergency_released"
    );
    // Alice sees it released, and Bob as a viewer of the vault.
    let seen = alice.emergency_status().await.unwrap().as_owner;
    assert_eq!(seen[0].state, EmergencyState::Released);
    let members = alice.members(granted).await.unwrap();
    assert!(
        members
            .iter()
            .any(|m| m.account == bob.account_id() && m.role == Role::Viewer)
    );
    assert_eq!(alice.members(kept).await.unwrap().len(), 1);
    // Removing the contact leaves what was released; she revokes that like
    // any share.
    alice.remove_emergency_contact(&ident("bob")).await.unwrap();
    assert_eq!(
        code(alice.remove_emergency_contact(&ident("bob")).await),
        "not_found"
    );
    bob.sync().await.unwrap();
    assert_eq!(titles(&bob, granted).len(), 2);
    alice.unshare(granted, bob.account_id()).await.unwrap();
    bob.sync().await.unwrap();
    assert!(bob.vaults().is_empty());
    assert!(bob.emergency_status().await.unwrap().as_contact.is_empty());

    let audit = env.audit().await;
    let release: Vec<_> = audit
        .iter()
        .filter(|a| a.0 == "emergency.release" && a.4 == "success")
        .collect();
    assert_eq!(release.len(), 1);
    assert_eq!(release[0].1, Some(bob.account_id().to_string()));
    assert_eq!(release[0].2, Some(alice.account_id().to_string()));
    assert_eq!(release[0].3, Some(granted.to_string()));
    assert_eq!(
        env.actions("success").await,
        [
            "emergency.set",
            "emergency.request",
            "emergency.release",
            "emergency.remove"
        ]
    );
    if matches!(backend, Backend::Sqlite) {
        env.server.state.store.audit_verify().await.unwrap();
    }
    env.finish().await;
}

// ============================================================ (3) early

/// A claim before the wait is over is refused with the time left, and
/// releases nothing.
async fn claim_before_expiry_is_refused(backend: Backend) {
    let env = Env::start(backend).await;
    let mut alice = user(&env, "alice").await;
    let mut bob = user(&env, "bob").await;
    let (v, _) = vault_with(&mut alice, "Alice Vault", &["A1"]).await;
    alice
        .set_emergency_contact(&ident("bob"), &[v], Duration::from_secs(30), None)
        .await
        .unwrap();
    let r = bob.request_emergency_access(&ident("alice")).await.unwrap();
    assert_eq!(r.wait, Duration::from_secs(30));
    match bob
        .claim_emergency_access(&ident("alice"))
        .await
        .unwrap_err()
    {
        ClientError::Rejected {
            status: 409,
            code,
            retry_after: Some(secs),
            message,
        } => {
            assert_eq!(code, vault_sync::api::ErrorCode::EmergencyWaiting);
            assert!((1..=30).contains(&secs), "{secs}");
            assert!(
                message.contains(&r.release_at_ms.unwrap().to_string()),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    bob.sync().await.unwrap();
    assert!(bob.vaults().is_empty());
    let s = bob.emergency_status().await.unwrap();
    assert_eq!(s.as_contact[0].state, EmergencyState::Requested);
    assert!(alice.members(v).await.unwrap().len() == 1);
    env.finish().await;
}

// ============================================================ (4) stale

/// A grant a key rotation left stale releases nothing; once the owner's
/// client re-issues it, it does. The client re-issues by itself after its
/// own rotations, and a pending request keeps its timer across that.
async fn stale_grant_is_not_released_until_reissued(backend: Backend) {
    let env = Env::start(backend).await;
    let mut alice = user(&env, "alice").await;
    let mut bob = user(&env, "bob").await;
    let (v, ids) = vault_with(&mut alice, "Rotated", &["R1"]).await;
    alice
        .set_emergency_contact(&ident("bob"), &[v], Duration::from_secs(1), None)
        .await
        .unwrap();
    rotate_without_reissue(&mut alice, v).await;
    let seen = alice.emergency_status().await.unwrap().as_owner;
    assert_eq!(
        (seen[0].vaults.clone(), seen[0].stale.clone()),
        (vec![(v, 1)], vec![v])
    );

    bob.request_emergency_access(&ident("alice")).await.unwrap();
    wait_ms(1200).await;
    let out = bob.claim_emergency_access(&ident("alice")).await.unwrap();
    assert_eq!((out.released.clone(), out.stale.clone()), (vec![], vec![v]));
    assert!(bob.vaults().is_empty());
    assert_eq!(code(bob.api().get_item(v, ids[0]).await), "forbidden");

    // The owner's client re-issues (same vault, same wait); the released
    // state starts over, so Bob asks again.
    assert_eq!(alice.reissue_emergency_grants(None).await.unwrap(), 1);
    assert_eq!(alice.reissue_emergency_grants(None).await.unwrap(), 0);
    let seen = alice.emergency_status().await.unwrap().as_owner;
    assert_eq!(
        (seen[0].state, seen[0].vaults.clone(), seen[0].stale.clone()),
        (EmergencyState::Idle, vec![(v, 2)], vec![])
    );
    bob.request_emergency_access(&ident("alice")).await.unwrap();
    wait_ms(1200).await;
    let out = bob.claim_emergency_access(&ident("alice")).await.unwrap();
    assert_eq!((out.released.clone(), out.stale.clone()), (vec![v], vec![]));
    assert_eq!(titles(&bob, v), ["R1"]);

    // The client's own rotation re-issues: a pending request on another
    // vault keeps its timer and releases the vault under its new key.
    let (w, _) = vault_with(&mut alice, "Second", &["S1"]).await;
    alice
        .set_emergency_contact(&ident("bob"), &[w], Duration::from_secs(2), None)
        .await
        .unwrap();
    let r = bob.request_emergency_access(&ident("alice")).await.unwrap();
    assert_eq!(alice.rotate_vault_key(w).await.unwrap(), 2);
    let seen = alice.emergency_status().await.unwrap().as_owner;
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (
            seen[0].state,
            seen[0].vaults.clone(),
            seen[0].requested_at_ms
        ),
        (EmergencyState::Requested, vec![(w, 2)], r.requested_at_ms)
    );
    wait_ms(2200).await;
    let out = bob.claim_emergency_access(&ident("alice")).await.unwrap();
    assert_eq!((out.released.clone(), out.stale.clone()), (vec![w], vec![]));
    assert_eq!(titles(&bob, w), ["S1"]);
    assert_eq!(bob.vault_key(w).unwrap().key_version(), 2);
    env.finish().await;
}

// ============================================================ (5) strangers

/// A stranger can neither see, request nor claim; the contact cannot act
/// as the owner; bad input is a 4xx and changes nothing.
async fn strangers_and_bad_input_change_nothing(backend: Backend) {
    let env = Env::start(backend).await;
    let mut alice = user(&env, "alice").await;
    let mut bob = user(&env, "bob").await;
    let carol = user(&env, "carol").await;
    let (v, _) = vault_with(&mut alice, "Alice Vault", &["A1"]).await;
    let (bv, _) = vault_with(&mut bob, "Bob Shares", &["B1"]).await;
    let alice_contact = bob.lookup_user(&ident("alice")).await.unwrap();
    bob.share(bv, &alice_contact, Role::Editor).await.unwrap();
    alice.sync().await.unwrap();

    let mut rng = rng::os_rng();
    let key = alice.vault_key(v).unwrap().clone();
    let bob_id = alice.lookup_user(&ident("bob")).await.unwrap().identity;
    let carol_id = alice.lookup_user(&ident("carol")).await.unwrap().identity;
    let grant = |key: &VaultKey, to: &PublicIdentity, role: Role, rng: &mut rng::OsRng| {
        alice.account().grant_vault(key, to, role, rng).unwrap()
    };
    let good = grant(&key, &bob_id, Role::Viewer, &mut rng);
    let body = |wait: u64, grants: Vec<VaultGrant>| {
        serde_json::to_string(&api::PutEmergencyContactRequest {
            wait_secs: wait,
            grants,
        })
        .unwrap()
    };
    let put = reqwest::Method::PUT;
    let bob_path = contact_path(bob.account_id());
    let (ghost, _) =
        UnlockedAccount::create("ghost", None, KdfParams::INSECURE_TEST_ONLY, &mut rng).unwrap();
    let mut forged = good.clone();
    forged.signature[0] ^= 1;
    let shared_key = alice.vault_key(bv).unwrap().clone();
    let cases: Vec<(String, Option<String>, u16, &str)> = vec![
        (
            bob_path.clone(),
            Some(body(0, vec![good.clone()])),
            400,
            "bad_request",
        ),
        (
            bob_path.clone(),
            Some(body(91 * 86400, vec![good.clone()])),
            400,
            "bad_request",
        ),
        (bob_path.clone(), Some(body(60, vec![])), 400, "bad_request"),
        (
            bob_path.clone(),
            Some(body(60, vec![good.clone(), good.clone()])),
            400,
            "bad_request",
        ),
        (
            bob_path.clone(),
            Some(body(60, vec![grant(&key, &bob_id, Role::Editor, &mut rng)])),
            400,
            "bad_request",
        ),
        (
            bob_path.clone(),
            Some(body(
                60,
                vec![grant(&key, &carol_id, Role::Viewer, &mut rng)],
            )),
            400,
            "bad_request",
        ),
        (
            bob_path.clone(),
            Some(body(60, vec![forged])),
            400,
            "bad_request",
        ),
        (
            contact_path(alice.account_id()),
            Some(body(
                60,
                vec![grant(
                    &key,
                    alice.account().public_identity(),
                    Role::Viewer,
                    &mut rng,
                )],
            )),
            400,
            "bad_request",
        ),
        (
            contact_path(ghost.account_id()),
            Some(body(
                60,
                vec![grant(&key, ghost.public_identity(), Role::Viewer, &mut rng)],
            )),
            404,
            "not_found",
        ),
        (
            bob_path.clone(),
            Some(body(
                60,
                vec![grant(&shared_key, &bob_id, Role::Viewer, &mut rng)],
            )),
            403,
            "forbidden",
        ),
        (
            "/v1/emergency/contacts/not-an-account".into(),
            Some(body(60, vec![good.clone()])),
            400,
            "bad_request",
        ),
        (
            bob_path.clone(),
            Some(r#"{"wait_secs":60,"grants":[],"extra":1}"#.into()),
            400,
            "bad_request",
        ),
        (
            bob_path.clone(),
            Some(r#"{"wait_secs":"60","grants":[]}"#.into()),
            400,
            "bad_request",
        ),
        (bob_path.clone(), None, 415, "unsupported_media_type"),
    ];
    for (path, b, status, want) in cases {
        let (s, j) = raw(&env, Some(&alice), put.clone(), &path, b).await;
        assert_eq!(
            (s, j["error"].as_str()),
            (status, Some(want)),
            "{path}: {j}"
        );
    }
    let (s, _) = raw(
        &env,
        None,
        put.clone(),
        &bob_path,
        Some(body(60, vec![good.clone()])),
    )
    .await;
    assert_eq!(s, 401);
    // A grant of an older key generation is a conflict.
    alice.rotate_vault_key(v).await.unwrap();
    let (s, j) = raw(
        &env,
        Some(&alice),
        put.clone(),
        &bob_path,
        Some(body(60, vec![good])),
    )
    .await;
    assert_eq!((s, j["error"].as_str()), (409, Some("conflict")), "{j}");
    // None of it stored anything.
    assert!(alice.emergency_status().await.unwrap().as_owner.is_empty());
    assert!(bob.emergency_status().await.unwrap().as_contact.is_empty());
    assert!(env.actions("success").await.is_empty());

    // Now a real one, to probe from the other sides. Bob already edits one
    // of its vaults (shared with him before): a release keeps that role.
    let (team, _) = vault_with(&mut alice, "Team", &["T1"]).await;
    let bob_contact = alice.lookup_user(&ident("bob")).await.unwrap();
    alice.share(team, &bob_contact, Role::Editor).await.unwrap();
    alice
        .set_emergency_contact(&ident("bob"), &[v, team], Duration::from_secs(1), None)
        .await
        .unwrap();
    let before = alice.emergency_status().await.unwrap();
    // Carol sees nothing and can do nothing.
    let s = carol.emergency_status().await.unwrap();
    assert!(s.as_owner.is_empty() && s.as_contact.is_empty());
    assert_eq!(
        code(carol.request_emergency_access(&ident("alice")).await),
        "not_found"
    );
    assert_eq!(
        code(carol.api().claim_emergency_access(alice.account_id()).await),
        "not_found"
    );
    assert_eq!(
        code(carol.cancel_emergency_request(&ident("bob")).await),
        "not_found"
    );
    assert_eq!(
        code(carol.remove_emergency_contact(&ident("bob")).await),
        "not_found"
    );
    // Bob cannot act as the owner of Alice's entry (those paths name his own).
    assert_eq!(
        code(bob.remove_emergency_contact(&ident("alice")).await),
        "not_found"
    );
    assert_eq!(
        code(bob.cancel_emergency_request(&ident("alice")).await),
        "not_found"
    );
    // Nor Alice as the contact.
    assert_eq!(
        code(alice.request_emergency_access(&ident("bob")).await),
        "not_found"
    );
    let (s, j) = raw(
        &env,
        Some(&bob),
        reqwest::Method::POST,
        &api::paths::EMERGENCY_CLAIM.replace("{owner}", "nope"),
        None,
    )
    .await;
    assert_eq!((s, j["error"].as_str()), (400, Some("bad_request")));
    assert_eq!(alice.emergency_status().await.unwrap(), before);

    if let Some(pg) = &env.pg {
        rls_probe(pg, &before.as_owner[0], carol.account_id()).await;
        assert_eq!(alice.emergency_status().await.unwrap(), before);
    }

    // After the wait, Carol still cannot claim; Bob's request and claim work.
    bob.request_emergency_access(&ident("alice")).await.unwrap();
    wait_ms(1200).await;
    assert_eq!(
        code(carol.api().claim_emergency_access(alice.account_id()).await),
        "not_found"
    );
    let mut released = bob
        .claim_emergency_access(&ident("alice"))
        .await
        .unwrap()
        .released;
    released.sort();
    let mut want = vec![v, team];
    want.sort();
    assert_eq!(released, want);
    let role = |id: VaultId| {
        bob.vaults()
            .into_iter()
            .find(|x| x.vault == id)
            .unwrap()
            .role
    };
    assert_eq!((role(v), role(team)), (Role::Viewer, Role::Editor));
    let mut c = carol;
    c.sync().await.unwrap();
    assert!(c.vaults().is_empty());
    env.finish().await;
}

/// Raw SQL as the app role: the contact may only take its two steps, a
/// stranger sees and changes nothing, nobody but the owner inserts.
async fn rls_probe(pg: &PgEnv, entry: &EmergencyAccess, stranger: AccountId) {
    let mut app = sqlx::PgConnection::connect(&pg.app_url()).await.unwrap();
    async fn run(app: &mut sqlx::PgConnection, who: AccountId, stmt: &str) -> Result<i64, String> {
        let mut tx = app.begin().await.unwrap();
        sqlx::query("SELECT set_config('vault.account', $1, true)")
            .bind(who.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        let r = if stmt.starts_with("SELECT") {
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
        // Never commit: a probe that got through must not change the row.
        tx.rollback().await.unwrap();
        r.map_err(|e| match e {
            sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()).unwrap_or_default(),
            e => panic!("{e}"),
        })
    }
    let (owner, contact) = (entry.owner, entry.contact);
    let denied = Err("42501".to_owned());
    assert_eq!(
        run(&mut app, contact, "SELECT count(*) FROM emergency_access").await,
        Ok(1)
    );
    for stmt in [
        "UPDATE emergency_access SET grants = '[]'",
        "UPDATE emergency_access SET wait_ms = 1",
        "UPDATE emergency_access SET state = 'released', requested_at = 1",
        "UPDATE emergency_access SET state = 'requested', requested_at = 1, updated_at = 1",
    ] {
        assert_eq!(run(&mut app, contact, stmt).await, denied, "{stmt}");
    }
    // Its own step, stamped now, passes the guard (rolled back).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    assert_eq!(
        run(
            &mut app,
            contact,
            &format!(
                "UPDATE emergency_access SET state = 'requested', requested_at = {now}, updated_at = {now}"
            )
        )
        .await,
        Ok(1)
    );
    assert_eq!(
        run(&mut app, contact, "DELETE FROM emergency_access").await,
        Ok(0)
    );
    let forge = format!(
        "INSERT INTO emergency_access (owner_id, contact_id, wait_ms, state, requested_at, grants, \
         created_at, updated_at) VALUES ('{owner}', '{stranger}', 1, 'idle', NULL, '[]', 1, 1)"
    );
    assert_eq!(run(&mut app, contact, &forge).await, denied);
    assert_eq!(run(&mut app, stranger, &forge).await, denied);
    assert_eq!(
        run(&mut app, stranger, "SELECT count(*) FROM emergency_access").await,
        Ok(0)
    );
    assert_eq!(
        run(
            &mut app,
            stranger,
            "UPDATE emergency_access SET wait_ms = 1"
        )
        .await,
        Ok(0)
    );
    assert_eq!(
        run(&mut app, stranger, "DELETE FROM emergency_access").await,
        Ok(0)
    );
    app.close().await.ok();
}

// ============================================================ harness

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Backend::Postgres).await;
            }
        }
    )*};
}

on_both_backends!(
    cancelled_request_releases_nothing,
    expired_request_releases_exactly_the_granted_vaults,
    claim_before_expiry_is_refused,
    stale_grant_is_not_released_until_reissued,
    strangers_and_bad_input_change_nothing,
);
