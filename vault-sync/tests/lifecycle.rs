//! Account lifecycle through the client against the real router (SQLite):
//! a recovery kit gives back every item after the password is lost; an
//! account key rotation leaves every item readable and the old key useless;
//! a server that rolls its database back to before the rotation is refused
//! by a device that saw the rotation; an old kit stops working.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use vault_core::*;
use vault_sync::client::*;
use vault_sync::server::Protocol;

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";
const PW: &str = "alice-first-password-Tq4";
const PW2: &str = "alice-after-recovery-Hn8";
const BOB_PW: &str = "bob-password-Zk1";

mod common;
use common::*;
use vault_testkit::TempDir;

fn note(title: &str, secret: &str) -> Item {
    Item {
        title: title.into(),
        data: ItemData::SecureNote,
        notes: secret.into(),
        tags: vec![],
        favorite: false,
        custom_fields: vec![],
    }
}

/// Every item the device can read, as (title, notes), sorted.
fn readable(d: &UnlockedDevice) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for row in d.list_items(None).unwrap() {
        let item = d.get_item(row.vault, row.item).unwrap();
        out.push((item.title.clone(), item.notes.expose_secret().to_owned()));
    }
    out.sort();
    out
}

fn code(e: &ClientError) -> String {
    e.code().to_owned()
}

async fn scenario(protocol: Protocol) {
    let root = TempDir::new("lifecycle");
    let mut server = start_server(&root, protocol).await;
    let url = server.url.clone();
    let p = KdfParams::INSECURE_TEST_ONLY;

    // Alice has two vaults of her own; Bob shares his team vault with her.
    let mut a1 = device(&root, "a1")
        .await
        .register(&url, ALICE, PW, p)
        .await
        .unwrap();
    let mut bob = device(&root, "bob")
        .await
        .register(&url, BOB, BOB_PW, p)
        .await
        .unwrap();
    let personal = a1
        .create_vault(&VaultMeta {
            name: "Personal".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let work = a1
        .create_vault(&VaultMeta {
            name: "Work".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    for (v, t) in [(personal, "p1"), (personal, "p2"), (work, "w1")] {
        a1.add_item(v, &note(t, &format!("secret of {t}")))
            .await
            .unwrap();
    }
    let team = bob
        .create_vault(&VaultMeta {
            name: "Team".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    bob.add_item(team, &note("t1", "secret of t1"))
        .await
        .unwrap();
    bob.sync().await.unwrap();
    let alice_contact = bob.lookup_user(ALICE).await.unwrap();
    bob.share(team, &alice_contact, Role::Viewer).await.unwrap();
    a1.sync().await.unwrap();
    let everything = readable(&a1);
    assert_eq!(everything.len(), 4, "{everything:?}");

    // The recovery kit: 24 words, shown once.
    let kit = a1.create_recovery_kit(PW).await.unwrap();
    assert!(a1.has_recovery_kit().await.unwrap());
    let words = kit.to_words();
    assert_eq!(words.expose_secret().split(' ').count(), 24);

    // Password lost. A wrong kit is refused like a wrong password.
    let stranger = RecoveryKey::generate(&mut rng::os_rng());
    let e = device(&root, "x")
        .await
        .recover(&url, ALICE, &stranger, PW2, None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), "authentication_failed", "{e}");
    // An unknown account is refused the same way.
    let e = device(&root, "y")
        .await
        .recover(&url, "nobody@example.com", &kit, PW2, None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), "authentication_failed", "{e}");
    // A typo in the words is caught before anything is sent.
    let mut typo: Vec<&str> = words.expose_secret().split(' ').collect();
    typo[5] = if typo[5] == "zoo" { "zebra" } else { "zoo" };
    assert!(RecoveryKey::from_words(&typo.join(" ")).is_err());

    // Recovery on a new device gives back every item, and sets a new password.
    let key = RecoveryKey::from_words(words.expose_secret()).unwrap();
    let mut a2 = device(&root, "a2")
        .await
        .recover(&url, ALICE, &key, PW2, None)
        .await
        .unwrap();
    a2.sync().await.unwrap();
    assert_eq!(readable(&a2), everything);
    // The old password no longer logs in; the new one does; the first
    // device's session ended.
    let e = device(&root, "a3")
        .await
        .login(&url, ALICE, PW)
        .await
        .unwrap_err();
    assert_eq!(code(&e), "authentication_failed", "{e}");
    let mut a3 = device(&root, "a3")
        .await
        .login(&url, ALICE, PW2)
        .await
        .unwrap();
    a3.sync().await.unwrap();
    assert_eq!(readable(&a3), everything);
    assert!(a1.sync().await.is_err(), "the old session still works");
    // The kit survives the password change (it wraps the account key).
    assert!(a2.has_recovery_kit().await.unwrap());

    // Keep a consistent copy of the server's database from before the
    // rotation (what a restored backup, or a malicious operator, would serve).
    let backup = root.join("backup.db");
    {
        use sqlx::ConnectOptions;
        let mut c = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(server.sqlite_file())
            .connect()
            .await
            .unwrap();
        sqlx::query(&format!("VACUUM INTO '{}'", backup.display()))
            .execute(&mut c)
            .await
            .unwrap();
    }

    // Rotation: every item stays readable, the old key opens nothing.
    let old_key = a2.account().account_key().clone();
    let new_kit = a2.rotate_account_key(PW2, true).await.unwrap().unwrap();
    assert_eq!(a2.account().key_generation(), 2);
    assert_ne!(a2.account().account_key(), &old_key);
    assert_eq!(readable(&a2), everything);
    let mut a4 = device(&root, "a4")
        .await
        .login(&url, ALICE, PW2)
        .await
        .unwrap();
    a4.sync().await.unwrap();
    assert_eq!(readable(&a4), everything);
    let record = a4.api().account().await.unwrap().record;
    assert_eq!(record.key_generation, 2);
    assert!(record.unlock_with_account_key(old_key.clone()).is_err());
    // The other devices' sessions ended with the rotation.
    assert!(a3.sync().await.is_err());
    // The old kit no longer logs in; the new one does.
    let e = device(&root, "a5")
        .await
        .recover(&url, ALICE, &key, PW2, None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), "authentication_failed", "{e}");
    assert!(a4.has_recovery_kit().await.unwrap());
    // Bob's share still opens (the grant is sealed to her identity key).
    assert!(readable(&a4).iter().any(|(t, _)| t == "t1"));
    // Edits after the rotation sync to the other devices.
    a4.add_item(work, &note("w2", "secret of w2"))
        .await
        .unwrap();
    a4.sync().await.unwrap();
    a2.sync().await.unwrap();
    assert_eq!(readable(&a2).len(), 5);

    // A server rolled back to before the rotation: a device that saw the
    // new generation refuses the old record instead of using the old key.
    server.stop().await;
    for f in server.files() {
        if f.exists() {
            std::fs::remove_file(&f).unwrap();
        }
    }
    std::fs::copy(&backup, server.sqlite_file()).unwrap();
    server.restart().await;
    let e = a2.lock().login(&url, ALICE, PW2).await.unwrap_err();
    assert_eq!(code(&e), "stale_wrap", "{e}");
    // The new kit (gen 2) against the rolled-back server: the server has the
    // old kit, so the new token is refused; the old words log in, but the
    // device that saw gen 2 refuses the old record.
    let e = device(&root, "a4")
        .await
        .recover(&url, ALICE, &new_kit, PW2, None)
        .await
        .unwrap_err();
    assert!(
        ["authentication_failed", "stale_wrap"].contains(&code(&e).as_str()),
        "{e}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_and_rotation_opaque() {
    scenario(Protocol::Opaque).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_and_rotation_srp() {
    scenario(Protocol::Srp).await;
}
