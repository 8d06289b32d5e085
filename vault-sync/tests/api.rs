//! API integration tests: the real router over a SQLite store, served on
//! 127.0.0.1, driven through the client (`vault_sync::client`), with two
//! users and two devices each, on an OPAQUE server and on an SRP server.
//!
//! After every step the raw bytes of every file (the server's database and
//! WAL, every device's replica) are scanned for the test plaintexts: none
//! may appear.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::ops::ControlFlow;
use std::path::Path;
use std::time::Duration;
use vault_core::*;
use vault_sync::client::*;
use vault_sync::server::Protocol;

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";
const ALICE_PW: &str = "alice-account-password-Qz7";
const ALICE_PW2: &str = "alice-new-password-Vb3";
const BOB_PW: &str = "bob-account-password-Lx2";

/// Every plaintext the test writes; none may ever reach a file.
const PLAINTEXTS: &[&str] = &[
    ALICE_PW,
    ALICE_PW2,
    BOB_PW,
    "Alice Personal Vault Name",
    "Team Vault Name Kp4",
    "Router Admin Panel",
    "router-admin-user",
    "router-password-Hq9",
    "edit-from-device-one-Mw2",
    "edit-from-device-two-Rt5",
    "Alarm Code Note",
    "alarm-code-4471-secret",
    "Stripe Live Key",
    "sk_live_51Hx-secret-value",
    "Company Visa Card",
    "4111111111111111",
    "passport-X1234567",
    "Deploy SSH Key",
    "OPENSSH PRIVATE KEY body Zr8",
    "Team Database Password",
    "team-db-password-Jn6",
    "Bob Team Note Title",
    "bob-wrote-this-secret-Ue1",
    "Post Rotation Item Title",
    "post-rotation-secret-Cc0",
    "Offline Queued Item",
    "offline-secret-Ww9",
];

fn temp_dir(tag: &str) -> TempDir {
    TempDir::new(&format!("api-{tag}"))
}

/// Scans every file under `root` for every plaintext.
fn assert_no_plaintext(root: &Path, step: &str) {
    let mut stack = vec![root.to_path_buf()];
    let mut files = 0;
    while let Some(p) = stack.pop() {
        for entry in std::fs::read_dir(&p).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            files += 1;
            for s in PLAINTEXTS {
                assert!(
                    !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                    "after {step}: {s:?} found in {}",
                    path.display()
                );
            }
        }
    }
    assert!(files > 0, "nothing to scan under {}", root.display());
}

/// Whether `needle` appears in any file under `root` (the scan's control:
/// identifiers are stored in clear, so the scan must find them).
fn found_anywhere(root: &Path, needle: &str) -> bool {
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        for entry in std::fs::read_dir(&p).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path)
                .is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
            {
                return true;
            }
        }
    }
    false
}

mod common;
use common::*;
use vault_testkit::TempDir;

fn login_item(title: &str, user: &str, pw: &str) -> Item {
    Item {
        title: title.into(),
        data: ItemData::Login {
            username: user.into(),
            password: pw.into(),
            uris: vec!["https://router.local".into()],
            totp: Default::default(),
        },
        notes: Default::default(),
        tags: vec!["net".into()],
        favorite: false,
        custom_fields: vec![],
    }
}

fn item(title: &str, data: ItemData, notes: &str) -> Item {
    Item {
        title: title.into(),
        data,
        notes: notes.into(),
        tags: vec![],
        favorite: false,
        custom_fields: vec![],
    }
}

fn password_of(i: &Item) -> String {
    match &i.data {
        ItemData::Login { password, .. } => password.expose_secret().to_owned(),
        other => panic!("not a login: {other:?}"),
    }
}

fn titles(d: &UnlockedDevice, vault: Option<VaultId>) -> Vec<String> {
    d.list_items(vault)
        .unwrap()
        .into_iter()
        .map(|r| r.overview.title)
        .collect()
}

async fn scenario(protocol: Protocol) {
    let root = temp_dir(match protocol {
        Protocol::Srp => "srp",
        Protocol::Opaque => "opaque",
    });
    let mut server = start_server(&root, protocol).await;
    let url = server.url.clone();
    let p = KdfParams::INSECURE_TEST_ONLY;

    // ---- register two users (device 1 each), log in device 2 each.
    let mut alice1 = device(&root, "alice-1")
        .await
        .register(&url, ALICE, ALICE_PW, p)
        .await
        .unwrap();
    let mut bob1 = device(&root, "bob-1")
        .await
        .register(&url, BOB, BOB_PW, p)
        .await
        .unwrap();
    let expected = match protocol {
        Protocol::Srp => LoginProtocol::Srp,
        Protocol::Opaque => LoginProtocol::Opaque,
    };
    assert_eq!(alice1.info().protocol, expected);
    // The identifier is taken now.
    let dup = device(&root, "dup")
        .await
        .register(&url, ALICE, "x", p)
        .await
        .unwrap_err();
    assert_eq!(dup.code(), "conflict", "{dup}");
    let mut alice2 = device(&root, "alice-2")
        .await
        .login(&url, ALICE, ALICE_PW)
        .await
        .unwrap();
    let mut bob2 = device(&root, "bob-2")
        .await
        .login(&url, BOB, BOB_PW)
        .await
        .unwrap();
    assert_eq!(alice1.account_id(), alice2.account_id());
    assert_eq!(alice1.fingerprint(), alice2.fingerprint());
    // Wrong password and unknown account fail alike.
    let wrong = device(&root, "wrong")
        .await
        .login(&url, ALICE, "not it")
        .await
        .unwrap_err();
    assert!(wrong.is_authentication_failure(), "{wrong:?}");
    let unknown = device(&root, "unknown")
        .await
        .login(&url, "nobody@example.com", "pw")
        .await
        .unwrap_err();
    assert!(unknown.is_authentication_failure(), "{unknown:?}");
    // The default policy refuses the server's (insecure test) KDF params.
    let strict = Device::open(root.join("strict"), ClientOptions::default())
        .await
        .unwrap();
    let e = strict.login(&url, ALICE, ALICE_PW).await.unwrap_err();
    assert_eq!(e.code(), "kdf_policy", "{e}");
    assert_no_plaintext(&root, "registration and login");
    // The scan works: what is meant to be in clear (the identifier, in the
    // server's table and the replicas) is found.
    assert!(found_anywhere(&root.join("server"), BOB));
    assert!(found_anywhere(&root.join("alice-2"), ALICE));

    // ---- device 1 adds items of every type; they sync to device 2.
    let personal = alice1
        .create_vault(&VaultMeta {
            name: "Alice Personal Vault Name".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let router_id = alice1
        .add_item(
            personal,
            &login_item(
                "Router Admin Panel",
                "router-admin-user",
                "router-password-Hq9",
            ),
        )
        .await
        .unwrap();
    let others = [
        item(
            "Alarm Code Note",
            ItemData::SecureNote,
            "alarm-code-4471-secret",
        ),
        item(
            "Stripe Live Key",
            ItemData::ApiKey {
                entries: EnvEntry::parse_dotenv("STRIPE_KEY=sk_live_51Hx-secret-value\n").unwrap(),
            },
            "",
        ),
        item(
            "Company Visa Card",
            ItemData::Card {
                cardholder: "A. Example".into(),
                brand: "Visa".into(),
                number: "4111111111111111".into(),
                exp_month: "12".into(),
                exp_year: "2030".into(),
                code: "123".into(),
            },
            "",
        ),
        item(
            "Passport",
            ItemData::Identity {
                full_name: "Alice Example".into(),
                email: "alice@example.com".into(),
                phone: String::new(),
                address: String::new(),
                document_number: "passport-X1234567".into(),
            },
            "",
        ),
        item(
            "Deploy SSH Key",
            ItemData::SshKey {
                private_key: "-----BEGIN OPENSSH PRIVATE KEY body Zr8-----".into(),
                public_key: "ssh-ed25519 AAAA deploy".into(),
                fingerprint: "SHA256:abc".into(),
            },
            "",
        ),
    ];
    for it in &others {
        alice1.add_item(personal, it).await.unwrap();
    }
    assert_eq!(alice1.pending_count(), 6);
    assert_no_plaintext(&root, "queueing items");
    let r = alice1.sync().await.unwrap();
    assert_eq!((r.pushed, r.pending), (6, 0), "{r:?}");
    assert_no_plaintext(&root, "pushing items");

    let r = alice2.sync().await.unwrap();
    assert!(r.pulled >= 7, "{r:?}");
    assert_eq!(alice2.vaults().len(), 1);
    assert_eq!(alice2.vaults()[0].name, "Alice Personal Vault Name");
    assert_eq!(titles(&alice2, None), titles(&alice1, None));
    assert_eq!(
        alice2.get_item(personal, router_id).unwrap(),
        alice1.get_item(personal, router_id).unwrap()
    );
    for it in &others {
        let (v, id) = alice2.find_item(&it.title, None).unwrap();
        assert_eq!(&alice2.get_item(v, id).unwrap(), it);
    }
    // Bob sees none of it.
    bob1.sync().await.unwrap();
    assert!(bob1.vaults().is_empty());
    assert_no_plaintext(&root, "syncing to device 2");

    // ---- the same item edited on both devices offline, then reconciled.
    let mut one = alice1.get_item(personal, router_id).unwrap();
    let ItemData::Login { password, .. } = &mut one.data else {
        panic!()
    };
    *password = "edit-from-device-one-Mw2".into();
    alice1.edit_item(personal, router_id, &one).await.unwrap();
    let mut two = alice2.get_item(personal, router_id).unwrap();
    let ItemData::Login { password, .. } = &mut two.data else {
        panic!()
    };
    *password = "edit-from-device-two-Rt5".into();
    alice2.edit_item(personal, router_id, &two).await.unwrap();
    assert_no_plaintext(&root, "offline edits");
    assert_eq!(alice1.sync().await.unwrap().pushed, 1);
    let r = alice2.sync().await.unwrap();
    assert_eq!(r.resolved.len(), 1, "{r:?}");
    let vault_core::sync::AutoAction::KeptBoth { copy } = r.resolved[0].action else {
        panic!("{:?}", r.resolved[0].action)
    };
    assert_eq!((r.pending, r.conflicts_left), (0, 0), "{r:?}");
    alice1.sync().await.unwrap();
    // Both versions are kept, on both devices: the first to reach the
    // server keeps the item, the other becomes a copy.
    for d in [&alice1, &alice2] {
        assert_eq!(
            password_of(&d.get_item(personal, router_id).unwrap()),
            "edit-from-device-one-Mw2"
        );
        let copy_item = d.get_item(personal, copy).unwrap();
        assert_eq!(copy_item.title, "Router Admin Panel (conflict)");
        assert_eq!(password_of(&copy_item), "edit-from-device-two-Rt5");
        assert_eq!(d.list_items(Some(personal)).unwrap().len(), 7);
    }
    assert_no_plaintext(&root, "reconciling");

    // ---- a vault shared with user 2, who reads it (and writes: editor).
    let team = alice1
        .create_vault(&VaultMeta {
            name: "Team Vault Name Kp4".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let db_item = alice1
        .add_item(
            team,
            &login_item("Team Database Password", "dbadmin", "team-db-password-Jn6"),
        )
        .await
        .unwrap();
    alice1.sync().await.unwrap();
    let bob_contact = alice1.lookup_user(BOB).await.unwrap();
    assert_eq!(bob_contact.account, bob1.account_id());
    // The fingerprint Bob reads out matches the directory's.
    assert_eq!(bob_contact.fingerprint(), bob1.fingerprint());
    let bob_contact = alice1.mark_verified(&bob_contact).await.unwrap();
    assert!(bob_contact.verified);
    alice1
        .share(team, &bob_contact, Role::Editor)
        .await
        .unwrap();
    let r = bob2.sync().await.unwrap();
    assert!(r.vaults_changed.contains(&team), "{r:?}");
    let shared = bob2.vaults();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].name, "Team Vault Name Kp4");
    assert_eq!(shared[0].role, Role::Editor);
    assert_eq!(shared[0].shared_by, Some(alice1.account_id()));
    assert_eq!(
        password_of(&bob2.get_item(team, db_item).unwrap()),
        "team-db-password-Jn6"
    );
    // Bob cannot see Alice's personal vault.
    assert!(bob2.list_items(Some(personal)).is_err());
    // Bob writes into the shared vault; Alice reads it.
    let bob_note = bob2
        .add_item(
            team,
            &item(
                "Bob Team Note Title",
                ItemData::SecureNote,
                "bob-wrote-this-secret-Ue1",
            ),
        )
        .await
        .unwrap();
    assert_eq!(bob2.sync().await.unwrap().pushed, 1);
    alice1.sync().await.unwrap();
    assert_eq!(
        alice1
            .get_item(team, bob_note)
            .unwrap()
            .notes
            .expose_secret(),
        "bob-wrote-this-secret-Ue1"
    );
    bob1.sync().await.unwrap();
    assert_eq!(titles(&bob1, None), titles(&bob2, None));
    // Members: the owner sees both, the member only itself.
    let members = alice1.members(team).await.unwrap();
    assert_eq!(members.len(), 2);
    let bm = members.iter().find(|m| !m.you).unwrap();
    assert_eq!(
        (bm.identifier.as_deref(), bm.role),
        (Some(BOB), Role::Editor)
    );
    assert_eq!(bm.fingerprint.as_deref(), Some(bob1.fingerprint().as_str()));
    assert!(bm.verified);
    let seen_by_bob = bob1.members(team).await.unwrap();
    assert_eq!(seen_by_bob.len(), 1);
    assert!(seen_by_bob[0].you);
    // Only the owner shares.
    let alice_contact = bob1.lookup_user(ALICE).await.unwrap();
    assert_eq!(alice_contact.fingerprint(), alice1.fingerprint());
    assert!(
        bob1.share(team, &alice_contact, Role::Viewer)
            .await
            .is_err()
    );
    assert_no_plaintext(&root, "sharing");

    // ---- revoke: user 2 loses the vault, the key is rotated.
    let bobs_old_key = bob2.vault_key(team).unwrap().clone();
    assert_eq!(bobs_old_key.key_version(), 1);
    let generation = alice1.unshare(team, bob_contact.account).await.unwrap();
    assert_eq!(generation, 2);
    assert_eq!(alice1.vault_key(team).unwrap().key_version(), 2);
    for b in [&mut bob1, &mut bob2] {
        let r = b.sync().await.unwrap();
        assert!(r.vaults_changed.contains(&team), "{r:?}");
        assert!(b.vaults().is_empty());
        assert!(b.list_items(None).unwrap().is_empty());
        assert!(b.find_item("Team Database Password", None).is_err());
    }
    // The server refuses Bob the items.
    let e = bob2.api().get_item(team, db_item).await.unwrap_err();
    assert!(
        matches!(
            e,
            ClientError::Rejected {
                status: 403 | 404,
                ..
            }
        ),
        "{e:?}"
    );
    // Alice's other device follows the rotation and reads everything.
    alice2.sync().await.unwrap();
    assert_eq!(alice2.vault_key(team).unwrap().key_version(), 2);
    assert_eq!(
        password_of(&alice2.get_item(team, db_item).unwrap()),
        "team-db-password-Jn6"
    );
    // What is written now is out of reach of Bob's old key.
    let post = alice1
        .add_item(
            team,
            &item(
                "Post Rotation Item Title",
                ItemData::SecureNote,
                "post-rotation-secret-Cc0",
            ),
        )
        .await
        .unwrap();
    alice1.sync().await.unwrap();
    alice2.sync().await.unwrap();
    let blob = alice2.engine().item(team, post).unwrap();
    assert_eq!(blob.key_version, 2);
    assert_eq!(bobs_old_key.decrypt_item(blob).unwrap_err(), Error::Decrypt);
    // Every item of the vault is re-wrapped under generation 2.
    for it in alice2.engine().items(team) {
        assert_eq!(it.key_version, 2);
    }
    assert_no_plaintext(&root, "revoking");

    // ---- realtime: device 2 follows the event stream and syncs on change.
    let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel::<usize>();
    let watcher = tokio::spawn(async move {
        let mut subscribed_tx = Some(subscribed_tx);
        let (mut rounds, mut seen) = (0usize, 0usize);
        let r = alice2
            .watch(|r| {
                rounds += 1;
                if let Ok(rep) = r {
                    seen += rep.items_changed;
                }
                // The first round runs once the stream is up (`ready`).
                if let Some(tx) = subscribed_tx.take() {
                    let _ = tx.send(seen);
                }
                if seen > 0 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .await;
        (alice2, r, rounds)
    });
    let before = tokio::time::timeout(Duration::from_secs(20), subscribed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before, 0, "nothing changed before the edit");
    let mut note = alice1.get_item(personal, router_id).unwrap();
    note.favorite = true;
    alice1.edit_item(personal, router_id, &note).await.unwrap();
    alice1.sync().await.unwrap();
    let (alice2_back, r, rounds) = tokio::time::timeout(Duration::from_secs(20), watcher)
        .await
        .expect("watch saw the change")
        .unwrap();
    r.unwrap();
    // Synced on the `changed` event, not on the first round.
    assert!(rounds >= 2, "{rounds}");
    let alice2 = alice2_back;
    assert!(alice2.get_item(personal, router_id).unwrap().favorite);

    // ---- offline: the server goes away; unlock, read and queue edits offline.
    server.stop().await;
    let offline = device(&root, "alice-2").await;
    drop(alice2);
    let mut offline = offline.unlock(ALICE_PW).await.unwrap();
    assert_eq!(
        offline.get_item(team, post).unwrap().notes.expose_secret(),
        "post-rotation-secret-Cc0"
    );
    let queued = offline
        .add_item(
            personal,
            &item(
                "Offline Queued Item",
                ItemData::SecureNote,
                "offline-secret-Ww9",
            ),
        )
        .await
        .unwrap();
    let e = offline.sync().await.unwrap_err();
    assert!(e.is_offline(), "{e:?}");
    assert_eq!(offline.pending_count(), 1);
    // The queue survives a restart of the device.
    let mut alice2 = offline.lock().unlock(ALICE_PW).await.unwrap();
    assert_eq!(alice2.pending_count(), 1);
    assert_no_plaintext(&root, "offline edits queued");
    server.restart().await;
    assert_eq!(alice2.sync().await.unwrap().pushed, 1);
    alice1.sync().await.unwrap();
    assert_eq!(
        alice1
            .get_item(personal, queued)
            .unwrap()
            .notes
            .expose_secret(),
        "offline-secret-Ww9"
    );

    // ---- password change: other sessions end, the old password stops working.
    alice1
        .change_password(ALICE_PW, ALICE_PW2, None)
        .await
        .unwrap();
    let e = alice2.sync().await.unwrap_err();
    assert_eq!(e.code(), "session_expired", "{e:?}");
    let mut alice2 = alice2.lock().login(&url, ALICE, ALICE_PW2).await.unwrap();
    alice2.sync().await.unwrap();
    assert_eq!(alice2.pending_count(), 0);
    let e = device(&root, "alice-3")
        .await
        .login(&url, ALICE, ALICE_PW)
        .await
        .unwrap_err();
    assert!(e.is_authentication_failure(), "{e:?}");
    let locked = alice1.lock();
    let alice1 = locked.unlock(ALICE_PW2).await.unwrap();
    let e = alice1.lock().unlock(ALICE_PW).await.unwrap_err();
    assert!(e.is_authentication_failure(), "{e:?}");
    assert_no_plaintext(&root, "password change");

    // ---- session key (what the CLI's VAULT_SESSION holds).
    let key = alice2.create_session_key().await.unwrap();
    let again = alice2.lock().unlock_with_session_key(&key).await.unwrap();
    assert_eq!(
        again.get_item(team, post).unwrap().title,
        "Post Rotation Item Title"
    );
    let wrong = SymmetricKey::generate(&mut rng::os_rng());
    let locked = again.lock();
    assert!(
        device(&root, "alice-2")
            .await
            .unlock_with_session_key(&wrong)
            .await
            .is_err()
    );
    assert!(locked.clear_session_key().await.unwrap());
    assert!(locked.unlock_with_session_key(&key).await.is_err());

    // ---- logout wipes the device and ends its session.
    let tokens = bob2.api().session().await.unwrap();
    assert!(bob2.logout().await.unwrap());
    assert!(device(&root, "bob-2").await.info().is_none());
    let stale = ApiClient::new(&url, &HttpOptions::default()).unwrap();
    stale.set_session(Some(tokens)).await;
    assert_eq!(stale.account().await.unwrap_err().code(), "session_expired");
    // Log out everywhere from device 1.
    assert!(bob1.logout_all(false).await.unwrap() >= 1);
    assert!(device(&root, "bob-1").await.info().is_none());
    assert_no_plaintext(&root, "logout");

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_two_devices_opaque() {
    scenario(Protocol::Opaque).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_two_devices_srp() {
    scenario(Protocol::Srp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_and_reuse_revokes() {
    let root = temp_dir("refresh");
    let mut server = start_server(&root, Protocol::Opaque).await;
    let url = server.url.clone();
    let mut d = device(&root, "d")
        .await
        .register(
            &url,
            "carol@example.com",
            "carol pw",
            KdfParams::INSECURE_TEST_ONLY,
        )
        .await
        .unwrap();
    let original = d.replica().session().await.unwrap().unwrap();

    // A rejected access token is refreshed once, transparently, and the
    // rotated refresh token is persisted.
    let mut broken = original.clone();
    broken.access_token = "va1.e30.AAAA".into();
    d.api().set_session(Some(broken.clone())).await;
    d.replica().set_session(Some(&broken)).await.unwrap();
    d.sync().await.unwrap();
    let rotated = d.replica().session().await.unwrap().unwrap();
    assert_ne!(rotated.refresh_token, original.refresh_token);
    assert_ne!(rotated.access_token, broken.access_token);
    assert_eq!(
        rotated.refresh_token,
        d.api().session().await.unwrap().refresh_token
    );
    // Debug output never shows a token.
    let dbg = format!("{rotated:?} {:?} {d:?}", d.api());
    assert!(!dbg.contains(&rotated.refresh_token) && !dbg.contains(&rotated.access_token));

    // Presenting the spent refresh token again (a stolen copy) revokes the
    // session: both holders must log in again.
    let thief = ApiClient::new(&url, &HttpOptions::default()).unwrap();
    thief.set_session(Some(broken)).await;
    assert_eq!(thief.refresh().await.unwrap_err().code(), "session_expired");
    let mut expired = rotated.clone();
    expired.access_token = "va1.e30.AAAA".into();
    d.api().set_session(Some(expired)).await;
    let e = d.sync().await.unwrap_err();
    assert_eq!(e.code(), "session_expired");
    assert_eq!(e.fault(), Fault::Rejected);
    // Everything is still readable offline, and a new login works.
    let d = d
        .lock()
        .login(&url, "carol@example.com", "carol pw")
        .await
        .unwrap();
    assert!(d.api().account().await.is_ok());

    // An unreachable server is a network error.
    server.stop().await;
    let e = d.api().account().await.unwrap_err();
    assert!(e.is_offline() && e.fault() == Fault::Network, "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_through_the_client() {
    let root = temp_dir("endpoints");
    let mut server = start_server(&root, Protocol::Opaque).await;
    let api = ApiClient::new(&server.url, &HttpOptions::default()).unwrap();
    assert_eq!(api.healthz().await.unwrap().status, "ok");
    assert_eq!(api.readyz().await.unwrap().status, "ok");
    assert!(api.metrics().await.unwrap().contains("# "));
    assert!(api.openapi().await.unwrap().get("paths").is_some());
    // Pre-login for an unknown identifier on an OPAQUE server has no srp part
    // and the server's fake params.
    let pre = api.prelogin("nobody@example.com").await.unwrap();
    assert!(pre.srp().is_none());
    assert_eq!(pre.kdf().params, KdfParams::INSECURE_TEST_ONLY);
    // Authenticated calls without a session fail locally.
    assert_eq!(api.account().await.unwrap_err().code(), "not_logged_in");

    // Direct single-item writes: compare-and-swap with typed conflicts.
    let mut d = device(&root, "d")
        .await
        .register(
            &server.url,
            "dave@example.com",
            "dave pw",
            KdfParams::INSECURE_TEST_ONLY,
        )
        .await
        .unwrap();
    let v = d
        .create_vault(&VaultMeta {
            name: "V".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let key = d.vault_key(v).unwrap().clone();
    let id = ItemId::generate(&mut rng::os_rng());
    let note = item("n", ItemData::SecureNote, "");
    let blob = key.encrypt_item(id, 1, &note, &mut rng::os_rng()).unwrap();
    let api = d.api().clone();
    let put = vault_sync::api::PutItemRequest {
        base: 0,
        item: blob.clone(),
    };
    assert_eq!(api.put_item(&put).await.unwrap(), ItemWrite::Written(1));
    match api.put_item(&put).await.unwrap() {
        ItemWrite::Conflict(Some(state)) => assert_eq!(state.revision(), 1),
        other => panic!("{other:?}"),
    }
    assert_eq!(api.get_item(v, id).await.unwrap().revision(), 1);
    assert_eq!(
        api.delete_item(v, id, 1).await.unwrap(),
        ItemWrite::Written(2)
    );
    assert!(matches!(
        api.delete_item(v, id, 1).await.unwrap(),
        ItemWrite::Conflict(_)
    ));
    // The feed shows the tombstone.
    d.sync().await.unwrap();
    assert!(d.list_items(Some(v)).unwrap().is_empty());
    // Bad input is the caller's fault, with the server's code.
    let e = api.members(VaultId::generate(&mut rng::os_rng())).await;
    assert!(
        matches!(e, Ok(ref m) if m.members.is_empty())
            || matches!(e, Err(ClientError::Rejected { .. })),
        "{e:?}"
    );
    let e = api
        .directory_by_identifier("nobody@example.com")
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.fault()), ("not_found", Fault::Rejected));
    // The event stream opens with `ready`.
    let mut events = api.events().await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), events.next_event())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.event, "ready");
    drop(events);
    server.stop().await;
}
