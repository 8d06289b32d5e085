//! Realtime fan-out across nodes: two `vault-server` processes on one
//! Postgres database (sharing one secrets file, as a deployment must)
//! deliver each other's change notifications through Postgres
//! `LISTEN`/`NOTIFY`.
//!
//! * A user's event stream on node B says `changed` soon after the user
//!   writes an item through node A, and the other way round.
//! * Another user's stream stays quiet (notifications follow vault
//!   memberships), and their own writes reach their own stream only.
//! * A logout on one node ends the session on the other at once: its
//!   cached session is evicted and its event stream closes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::*;
use std::time::{Duration, Instant};
use vault_core::{ItemId, rng};
use vault_sync::api::paths;
use vault_testkit::{PgEnv, TempDir};

/// How long a notification may take to cross nodes.
const DELIVERY: Duration = Duration::from_secs(5);
/// How long a stream that should stay quiet is watched.
const QUIET: Duration = Duration::from_millis(1500);

async fn write_one(api: &Api, user: &User, vault: &TestVault, n: u64) {
    let id = ItemId::generate(&mut rng::os_rng());
    let r = put_item(api, user.token(), 0, &seal(vault, id, 1, n))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "put: {}", r.text());
}

async fn expect_ready(ev: &mut Events, who: &str) {
    assert_eq!(
        ev.next(DELIVERY).await.as_deref(),
        Some("ready"),
        "{who}: no ready event"
    );
}

/// Waits for `changed`.
async fn expect_changed(ev: &mut Events, who: &str) {
    assert_eq!(
        ev.next(DELIVERY).await.as_deref(),
        Some("changed"),
        "{who}: no changed event within {DELIVERY:?}"
    );
}

async fn expect_quiet(ev: &mut Events, who: &str) {
    let got = ev.next(QUIET).await;
    assert_eq!(got, None, "{who}: got an event meant for someone else");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_each_others_notifications() {
    let pg = PgEnv::setup("fanout").await;
    let dir = TempDir::new("fanout");
    let secrets = dir.path().join("server-secrets.json");
    let bin = env!("CARGO_BIN_EXE_vault-server");
    let node = |name: &str, migrate: bool| {
        let data = dir.path().join(name);
        let mut args = base_args(&data);
        args.extend(["--secrets-file".into(), secrets.display().to_string()]);
        args.extend(pg.server_args(migrate));
        (args, dir.path().join(format!("{name}.log")))
    };
    // A migrates and creates the secrets file; B starts after it.
    let (args_a, log_a) = node("a", true);
    let node_a = Server::start(bin, &args_a, &log_a);
    let (args_b, log_b) = node("b", false);
    let node_b = Server::start(bin, &args_b, &log_b);
    let (a, b) = (node_a.api(), node_b.api());

    // Two users, each signed in on both nodes.
    let u_a = new_user(&a, "fan-u").await;
    let v_a = new_user(&a, "fan-v").await;
    let u_b = User {
        session: login_opaque(&b, &u_a.identifier, &u_a.auth_key).await,
        identifier: u_a.identifier.clone(),
        account: u_a.account.clone(),
        auth_key: u_a.auth_key.clone(),
    };
    let v_b_session = login_opaque(&b, &v_a.identifier, &v_a.auth_key).await;
    let u_vault = create_vault(&a, &u_a, "U's").await;
    let v_vault = create_vault(&a, &v_a, "V's").await;

    // Streams on B for both users, and one on A for U.
    let mut u_on_b = Events::open(&b, u_b.token()).await;
    let mut v_on_b = Events::open(&b, &v_b_session.access_token).await;
    let mut u_on_a = Events::open(&a, u_a.token()).await;
    expect_ready(&mut u_on_b, "U on B").await;
    expect_ready(&mut v_on_b, "V on B").await;
    expect_ready(&mut u_on_a, "U on A").await;

    // U writes through A: U's streams on B and A hear it, V's does not.
    let t = Instant::now();
    write_one(&a, &u_a, &u_vault, 1).await;
    expect_changed(&mut u_on_b, "U on B after a write on A").await;
    let a_to_b = t.elapsed();
    expect_changed(&mut u_on_a, "U on A after a write on A").await;
    expect_quiet(&mut v_on_b, "V on B after U's write").await;

    // U writes through B: U's stream on A hears it.
    let t = Instant::now();
    write_one(&b, &u_b, &u_vault, 2).await;
    expect_changed(&mut u_on_a, "U on A after a write on B").await;
    let b_to_a = t.elapsed();
    expect_changed(&mut u_on_b, "U on B after a write on B").await;
    expect_quiet(&mut v_on_b, "V on B after U's second write").await;

    // V writes through A: V's stream on B hears it, U's do not.
    write_one(&a, &v_a, &v_vault, 3).await;
    expect_changed(&mut v_on_b, "V on B after V's write on A").await;
    expect_quiet(&mut u_on_b, "U on B after V's write").await;
    expect_quiet(&mut u_on_a, "U on A after V's write").await;

    // Revocation crosses nodes: A has U's B-session cached (it just served
    // it); a logout on B must end it on A at once, and end its stream.
    let r = a.get(paths::ACCOUNT, Some(u_b.token())).await;
    assert_eq!(r.status, 200);
    let r = b.post(paths::LOGOUT, Some(u_b.token()), &()).await;
    assert_eq!(r.status, 204, "logout: {}", r.text());
    let t = Instant::now();
    loop {
        let r = a.get(paths::ACCOUNT, Some(u_b.token())).await;
        if r.status == 401 {
            break;
        }
        assert_eq!(r.status, 200);
        assert!(
            t.elapsed() < DELIVERY,
            "A still accepts a session logged out on B after {DELIVERY:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let revoked_in = t.elapsed();
    let t = Instant::now();
    assert_eq!(
        u_on_b.next(DELIVERY).await,
        None,
        "U's stream on B outlived its session"
    );
    assert!(
        t.elapsed() < DELIVERY,
        "U's stream on B stayed open after logout"
    );
    // U's other session (on A) is untouched.
    assert_eq!(a.get(paths::ACCOUNT, Some(u_a.token())).await.status, 200);

    eprintln!(
        "fanout: write on A to event on B {a_to_b:.1?}, B to A {b_to_a:.1?} (including the write); other user's streams quiet; \
         logout on B refused on A after {revoked_in:.1?}"
    );
}
