//! The HTTP layer in process (tower `oneshot`, no sockets): both PAKEs end
//! to end through the router, sessions (refresh rotation and reuse
//! detection, logout, log out everywhere, password change), compare-and-swap
//! answers, and the event stream's delivery.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use tower::ServiceExt;
use vault_core::opaque::{ClientLogin, ClientRegistration};
use vault_core::srp::SrpClient;
use vault_core::sync::wire::{ItemState, PullPage};
use vault_core::*;
use vault_sync::api::*;
use vault_sync::clock::{self, ManualClock};
use vault_sync::server::{AppState, Protocol, ServerConfig, ServerSecrets, router};
use vault_sync::store::{Store, StoreConfig};
use vault_testkit::{TempDir, redis_url};

struct Srv {
    app: Router,
    state: Arc<AppState>,
    _dir: TempDir,
}

async fn server(protocol: Protocol) -> Srv {
    server_with(protocol, None).await
}

async fn server_with(
    protocol: Protocol,
    limiter: Option<vault_sync::server::ratelimit::Limiter>,
) -> Srv {
    server_full(protocol, limiter, |_| {}, clock::system()).await
}

/// A server with a changed config and this clock (tests of expiry and
/// throttling move a `ManualClock` instead of sleeping).
async fn server_full(
    protocol: Protocol,
    limiter: Option<vault_sync::server::ratelimit::Limiter>,
    change: impl FnOnce(&mut ServerConfig),
    clock: clock::SharedClock,
) -> Srv {
    let mut rng = rng::os_rng();
    let dir = TempDir::new("http");
    let secrets = ServerSecrets::generate(&mut rng);
    let mut store_config = StoreConfig::new(secrets.state_key());
    store_config.clock = clock;
    let store = Store::open_sqlite(dir.join("v.db"), store_config)
        .await
        .unwrap();
    let mut config = ServerConfig {
        protocol,
        fake_kdf: KdfParams::INSECURE_TEST_ONLY,
        ..ServerConfig::default()
    };
    change(&mut config);
    let mut state = AppState::new(store, config, secrets);
    if let Some(l) = limiter {
        state = state.with_limiter(l);
    }
    let state = Arc::new(state);
    Srv {
        app: router(state.clone()),
        state,
        _dir: dir,
    }
}

impl Srv {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> (StatusCode, Vec<u8>) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, bytes)
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &impl Serialize,
    ) -> T {
        let (s, b) = self
            .call(
                method,
                path,
                token,
                Some(serde_json::to_string(body).unwrap()),
            )
            .await;
        assert!(
            s.is_success(),
            "{method} {path}: {s} {}",
            String::from_utf8_lossy(&b)
        );
        serde_json::from_slice(&b).unwrap()
    }

    async fn error(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> (StatusCode, ErrorBody) {
        let (s, b) = self.call(method, path, token, body).await;
        assert!(!s.is_success(), "{method} {path} succeeded");
        (s, serde_json::from_slice(&b).unwrap())
    }
}

struct User {
    id: String,
    pw: String,
    account: UnlockedAccount,
    record: EncryptedAccount,
}

async fn register(srv: &Srv, id: &str, pw: &str) -> User {
    let mut rng = rng::os_rng();
    let (account, creds) =
        UnlockedAccount::create(pw, None, KdfParams::INSECURE_TEST_ONLY, &mut rng).unwrap();
    let auth = match srv.state.config.protocol {
        Protocol::Srp => AuthRecordBody::Srp(
            SrpClient::register(id, &creds.auth_key, Default::default(), &mut rng).unwrap(),
        ),
        Protocol::Opaque => {
            let (client, request) =
                ClientRegistration::start(id, &creds.auth_key, &mut rng).unwrap();
            let started: OpaqueRegisterStarted = srv
                .json(
                    "POST",
                    paths::REGISTER_OPAQUE_START,
                    None,
                    &OpaqueRegisterStart {
                        identifier: id.into(),
                        request,
                    },
                )
                .await;
            let done = client.finish(&started.response, &mut rng).unwrap();
            AuthRecordBody::Opaque(Box::new(done.record))
        }
    };
    let _: Registered = srv
        .json(
            "POST",
            paths::REGISTER,
            None,
            &RegisterRequest {
                identifier: id.into(),
                record: creds.encrypted.clone(),
                auth,
            },
        )
        .await;
    User {
        id: id.into(),
        pw: pw.into(),
        account,
        record: creds.encrypted,
    }
}

/// Logs in with the server's protocol; `Err` carries the error answer.
async fn login(srv: &Srv, id: &str, pw: &str) -> Result<SessionTokens, (StatusCode, ErrorBody)> {
    let mut rng = rng::os_rng();
    let pre: serde_json::Value = srv
        .json(
            "POST",
            paths::PRELOGIN,
            None,
            &serde_json::json!({"v": 1, "identifier": id}),
        )
        .await;
    let pre = prelogin::PreloginResponse::from_json(&pre.to_string()).unwrap();
    let kdf = pre.checked_kdf(&KdfPolicy::PERMISSIVE_TEST_ONLY).unwrap();
    let keys = kdf::derive_master_keys(pw, None, &kdf, &KdfPolicy::PERMISSIVE_TEST_ONLY).unwrap();
    if pre.srp().is_some() {
        let (client, hello) =
            SrpClient::start(id, &keys.auth_key, pre.srp().unwrap().group(), &mut rng).unwrap();
        let (s, b) = srv
            .call(
                "POST",
                paths::LOGIN_SRP_START,
                None,
                Some(serde_json::to_string(&SrpLoginStart { hello }).unwrap()),
            )
            .await;
        if !s.is_success() {
            return Err((s, serde_json::from_slice(&b).unwrap()));
        }
        let ch: SrpLoginChallenge = serde_json::from_slice(&b).unwrap();
        let (client, proof) = client.process_challenge(&ch.challenge).unwrap();
        let (s, b) = srv
            .call(
                "POST",
                paths::LOGIN_SRP_FINISH,
                None,
                Some(
                    serde_json::to_string(&SrpLoginFinish {
                        login_id: ch.login_id,
                        proof,
                    })
                    .unwrap(),
                ),
            )
            .await;
        if !s.is_success() {
            return Err((s, serde_json::from_slice(&b).unwrap()));
        }
        let done: SrpLoginDone = serde_json::from_slice(&b).unwrap();
        client.verify_server(&done.server_proof).unwrap();
        Ok(done.session)
    } else {
        let (client, ke1) = ClientLogin::start(id, &keys.auth_key, &mut rng).unwrap();
        let (s, b) = srv
            .call(
                "POST",
                paths::LOGIN_OPAQUE_START,
                None,
                Some(
                    serde_json::to_string(&OpaqueLoginStart {
                        identifier: id.into(),
                        ke1,
                    })
                    .unwrap(),
                ),
            )
            .await;
        if !s.is_success() {
            return Err((s, serde_json::from_slice(&b).unwrap()));
        }
        let ch: OpaqueLoginChallenge = serde_json::from_slice(&b).unwrap();
        // A wrong password fails here on the client already; send a KE3
        // anyway (from a fresh login of the same shape) so the server
        // counts the failure.
        let ke3 = match client.finish(&ch.ke2, &mut rng) {
            Ok(r) => r.ke3,
            Err(_) => vault_core::opaque::Ke3::from_bytes(&[0u8; 64]).unwrap(),
        };
        let (s, b) = srv
            .call(
                "POST",
                paths::LOGIN_OPAQUE_FINISH,
                None,
                Some(
                    serde_json::to_string(&OpaqueLoginFinish {
                        login_id: ch.login_id,
                        ke3,
                    })
                    .unwrap(),
                ),
            )
            .await;
        if !s.is_success() {
            return Err((s, serde_json::from_slice(&b).unwrap()));
        }
        Ok(serde_json::from_slice::<OpaqueLoginDone>(&b)
            .unwrap()
            .session)
    }
}

fn note(t: &str) -> Item {
    Item {
        title: t.into(),
        data: ItemData::SecureNote,
        notes: Default::default(),
        tags: vec![],
        favorite: false,
        custom_fields: vec![],
    }
}

async fn both_protocols(f: impl AsyncFn(Srv)) {
    f(server(Protocol::Opaque).await).await;
    f(server(Protocol::Srp).await).await;
}

#[tokio::test]
async fn login_unknown_and_wrong_password_look_alike() {
    both_protocols(async |srv| {
        let u = register(&srv, "alice@example.com", "correct horse").await;
        let s = login(&srv, &u.id, &u.pw).await.unwrap();
        assert_eq!(s.account, u.account.account_id());
        let (st1, e1) = login(&srv, &u.id, "wrong").await.unwrap_err();
        let (st2, e2) = login(&srv, "nobody@example.com", "wrong")
            .await
            .unwrap_err();
        assert_eq!(
            (st1, e1.error.as_str()),
            (StatusCode::UNAUTHORIZED, "authentication_failed")
        );
        assert_eq!((st1, e1), (st2, e2));
        // Registration of a taken identifier is a conflict.
        let (s, _) = srv
            .call("POST", paths::REGISTER, None, Some("{}".into()))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn brute_force_is_throttled_with_backoff() {
    let srv = server(Protocol::Opaque).await;
    let u = register(&srv, "bob", "pw").await;
    let free = srv.state.config.limits.free_failures;
    for _ in 0..free {
        let (s, _) = login(&srv, &u.id, "guess").await.unwrap_err();
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, e) = login(&srv, &u.id, "guess").await.unwrap_err();
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(e.retry_after.unwrap() >= 1);
    // Even the right password waits out the lockout.
    let (s, _) = login(&srv, &u.id, &u.pw).await.unwrap_err();
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    let clock = Arc::new(ManualClock::starting_now());
    let srv = server_full(Protocol::Opaque, None, |_| {}, clock.clone()).await;
    let u = register(&srv, "carol", "pw").await;
    let s1 = login(&srv, &u.id, &u.pw).await.unwrap();
    let s2: SessionTokens = srv
        .json(
            "POST",
            paths::REFRESH,
            None,
            &RefreshRequest {
                refresh_token: s1.refresh_token.clone(),
            },
        )
        .await;
    assert_ne!(s1.refresh_token, s2.refresh_token);
    let (st, _) = srv
        .call("GET", paths::ACCOUNT, Some(&s2.access_token), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    // The spent token again, after the grace window: refused, and the
    // whole session ends.
    clock.advance(srv.state.config.refresh_grace + std::time::Duration::from_secs(1));
    let body = serde_json::to_string(&RefreshRequest {
        refresh_token: s1.refresh_token.clone(),
    })
    .unwrap();
    let (st, e) = srv.error("POST", paths::REFRESH, None, Some(body)).await;
    assert_eq!(
        (st, e.error.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let (st, _) = srv
        .call("GET", paths::ACCOUNT, Some(&s2.access_token), None)
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Debug never shows a token.
    assert!(!format!("{s2:?}").contains(&s2.access_token));
}

#[tokio::test]
async fn logout_and_logout_everywhere_take_effect_at_once() {
    let srv = server(Protocol::Opaque).await;
    let u = register(&srv, "dave", "pw").await;
    let a = login(&srv, &u.id, &u.pw).await.unwrap();
    let b = login(&srv, &u.id, &u.pw).await.unwrap();
    let c = login(&srv, &u.id, &u.pw).await.unwrap();
    for s in [&a, &b, &c] {
        assert_eq!(
            srv.call("GET", paths::ACCOUNT, Some(&s.access_token), None)
                .await
                .0,
            StatusCode::OK
        );
    }
    let (st, _) = srv
        .call("POST", paths::LOGOUT, Some(&a.access_token), None)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(
        srv.call("GET", paths::ACCOUNT, Some(&a.access_token), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let out: LoggedOut = srv
        .json(
            "POST",
            paths::LOGOUT_ALL,
            Some(&b.access_token),
            &LogoutAllRequest { keep_current: true },
        )
        .await;
    assert_eq!(out.revoked, 1);
    assert_eq!(
        srv.call("GET", paths::ACCOUNT, Some(&b.access_token), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        srv.call("GET", paths::ACCOUNT, Some(&c.access_token), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn password_change_replaces_both_records() {
    both_protocols(async |srv| {
        let mut rng = rng::os_rng();
        let u = register(&srv, "erin", "old password").await;
        let other = login(&srv, &u.id, &u.pw).await.unwrap();
        let s = login(&srv, &u.id, &u.pw).await.unwrap();
        let creds = u
            .account
            .change_password(
                &u.record,
                "new password",
                None,
                KdfParams::INSECURE_TEST_ONLY,
                &mut rng,
            )
            .unwrap();
        let auth = match srv.state.config.protocol {
            Protocol::Srp => AuthRecordBody::Srp(
                SrpClient::register(&u.id, &creds.auth_key, Default::default(), &mut rng).unwrap(),
            ),
            Protocol::Opaque => {
                let (client, request) =
                    ClientRegistration::start(&u.id, &creds.auth_key, &mut rng).unwrap();
                let started: OpaqueRegisterStarted = srv
                    .json(
                        "POST",
                        paths::REGISTER_OPAQUE_START,
                        None,
                        &OpaqueRegisterStart {
                            identifier: u.id.clone(),
                            request,
                        },
                    )
                    .await;
                AuthRecordBody::Opaque(Box::new(
                    client.finish(&started.response, &mut rng).unwrap().record,
                ))
            }
        };
        let changed: CredentialsChanged = srv
            .json(
                "PUT",
                paths::CREDENTIALS,
                Some(&s.access_token),
                &CredentialsRequest {
                    record: creds.encrypted,
                    auth,
                },
            )
            .await;
        assert!(changed.credentials_version > 1);
        assert!(login(&srv, &u.id, "old password").await.is_err());
        let again = login(&srv, &u.id, "new password").await.unwrap();
        // Other sessions ended; this one kept.
        assert_eq!(
            srv.call("GET", paths::ACCOUNT, Some(&other.access_token), None)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            srv.call("GET", paths::ACCOUNT, Some(&s.access_token), None)
                .await
                .0,
            StatusCode::OK
        );
        // The new record unlocks with the new password, offline.
        let acct: AccountBody = serde_json::from_slice(
            &srv.call("GET", paths::ACCOUNT, Some(&again.access_token), None)
                .await
                .1,
        )
        .unwrap();
        let policy = KdfPolicy::PERMISSIVE_TEST_ONLY;
        assert!(acct.record.unlock("new password", None, &policy).is_ok());
        assert!(acct.record.unlock("old password", None, &policy).is_err());
    })
    .await;
}

#[tokio::test]
async fn item_writes_are_compare_and_swap_with_409_and_current() {
    let srv = server(Protocol::Opaque).await;
    let mut rng = rng::os_rng();
    let u = register(&srv, "frank", "pw").await;
    let s = login(&srv, &u.id, &u.pw).await.unwrap();
    let t = Some(s.access_token.as_str());
    let (vk, meta, key) = u
        .account
        .create_vault(
            &VaultMeta {
                name: "Personal".into(),
                ..Default::default()
            },
            &mut rng,
        )
        .unwrap();
    let _: VaultCreated = srv
        .json("POST", paths::VAULTS, t, &CreateVaultRequest { meta, key })
        .await;
    let item = ItemId::generate(&mut rng);
    let path = format!("/v1/vaults/{}/items/{item}", vk.vault_id());
    let v1 = vk.encrypt_item(item, 1, &note("one"), &mut rng).unwrap();
    let w: ItemWritten = srv
        .json(
            "PUT",
            &path,
            t,
            &PutItemRequest {
                base: 0,
                item: v1.clone(),
            },
        )
        .await;
    assert_eq!(w.revision, 1);
    // A second writer that also thinks the item is new loses, and gets the current state.
    let other = vk.encrypt_item(item, 1, &note("other"), &mut rng).unwrap();
    let body = serde_json::to_string(&PutItemRequest {
        base: 0,
        item: other,
    })
    .unwrap();
    let (st, e) = srv.error("PUT", &path, t, Some(body)).await;
    assert_eq!((st, e.error.as_str()), (StatusCode::CONFLICT, "conflict"));
    assert_eq!(e.current, Some(ItemState::Live { item: v1 }));
    // A blob for another item id is refused before the store.
    let wrong = vk
        .encrypt_item(ItemId::generate(&mut rng), 2, &note("x"), &mut rng)
        .unwrap();
    let body = serde_json::to_string(&PutItemRequest {
        base: 1,
        item: wrong,
    })
    .unwrap();
    assert_eq!(
        srv.error("PUT", &path, t, Some(body)).await.0,
        StatusCode::BAD_REQUEST
    );
    // Delete at the right base; then the feed shows the tombstone.
    let (st, _) = srv.call("DELETE", &format!("{path}?base=1"), t, None).await;
    assert_eq!(st, StatusCode::OK);
    let (st, b) = srv.call("GET", paths::CHANGES, t, None).await;
    assert_eq!(st, StatusCode::OK);
    let page = PullPage::from_json(std::str::from_utf8(&b).unwrap()).unwrap();
    assert!(page.changes.iter().any(|c| matches!(
        c,
        vault_core::sync::wire::Change::Tombstone { revision: 2, .. }
    )));
    // Another user sees none of it.
    let v = register(&srv, "grace", "pw").await;
    let sv = login(&srv, &v.id, &v.pw).await.unwrap();
    // Not a member: the same answer whether the vault exists or not.
    let (st, b) = srv.call("GET", &path, Some(&sv.access_token), None).await;
    let nowhere = format!("/v1/vaults/{}/items/{item}", VaultId::generate(&mut rng));
    let (st2, b2) = srv
        .call("GET", &nowhere, Some(&sv.access_token), None)
        .await;
    assert!(st.is_client_error());
    assert_eq!((st, b), (st2, b2));
    let (_, b) = srv
        .call("GET", paths::CHANGES, Some(&sv.access_token), None)
        .await;
    assert!(
        PullPage::from_json(std::str::from_utf8(&b).unwrap())
            .unwrap()
            .changes
            .is_empty()
    );
}

#[tokio::test]
async fn event_stream_tells_other_devices_and_no_one_else() {
    let srv = server(Protocol::Opaque).await;
    let mut rng = rng::os_rng();
    let u = register(&srv, "heidi", "pw").await;
    let dev1 = login(&srv, &u.id, &u.pw).await.unwrap();
    let dev2 = login(&srv, &u.id, &u.pw).await.unwrap();
    let stranger = register(&srv, "ivan", "pw").await;
    let st_s = login(&srv, &stranger.id, &stranger.pw).await.unwrap();
    let (vk, meta, key) = u
        .account
        .create_vault(
            &VaultMeta {
                name: "P".into(),
                ..Default::default()
            },
            &mut rng,
        )
        .unwrap();
    let _: VaultCreated = srv
        .json(
            "POST",
            paths::VAULTS,
            Some(&dev1.access_token),
            &CreateVaultRequest { meta, key },
        )
        .await;

    let open = |token: String| {
        let app = srv.app.clone();
        async move {
            let req = Request::builder()
                .uri(paths::EVENTS)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap();
            let resp = app.oneshot(req).await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            resp.into_body().into_data_stream()
        }
    };
    use futures_util::StreamExt;
    let mut mine = open(dev2.access_token.clone()).await;
    let mut theirs = open(st_s.access_token.clone()).await;
    let next = async |s: &mut (
                               dyn futures_util::Stream<
        Item = Result<axum::body::Bytes, axum::Error>,
    > + Unpin
                           )| {
        tokio::time::timeout(std::time::Duration::from_secs(5), s.next())
            .await
            .ok()
            .flatten()
            .map(|b| String::from_utf8(b.unwrap().to_vec()).unwrap())
    };
    assert!(next(&mut mine).await.unwrap().contains("event: ready"));
    assert!(next(&mut theirs).await.unwrap().contains("event: ready"));

    let item = vk
        .encrypt_item(ItemId::generate(&mut rng), 1, &note("n"), &mut rng)
        .unwrap();
    let path = format!("/v1/vaults/{}/items/{}", vk.vault_id(), item.item);
    let _: ItemWritten = srv
        .json(
            "PUT",
            &path,
            Some(&dev1.access_token),
            &PutItemRequest { base: 0, item },
        )
        .await;
    let got = next(&mut mine).await.unwrap();
    assert!(got.contains("event: changed"), "{got}");
    assert!(
        !got.contains(&vk.vault_id().to_string()),
        "events carry no ids"
    );
    // The stranger hears nothing (within a short wait).
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(300), theirs.next()).await;
    assert!(quiet.is_err(), "a stranger's stream got an event");
    // Logging out ends the stream.
    let _ = srv
        .call("POST", paths::LOGOUT, Some(&dev2.access_token), None)
        .await;
    let end = tokio::time::timeout(std::time::Duration::from_secs(5), mine.next())
        .await
        .unwrap();
    assert!(
        end.is_none(),
        "the stream should end when its session is revoked"
    );
}

#[tokio::test]
async fn redis_throttle_is_shared_by_every_node() {
    use vault_sync::server::ratelimit::Limiter;
    // Two nodes with their own stores but one Redis (a fresh key prefix per
    // run): failures counted on node A lock the identifier on node B.
    let prefix = format!("vault-test:{}:", AccountId::generate(&mut rng::os_rng()));
    let mut nodes = vec![];
    for _ in 0..2 {
        let limiter = Limiter::redis(&redis_url(), Default::default())
            .await
            .expect("Redis must be running (see DEVELOPERS.md)")
            .with_prefix(&prefix);
        nodes.push(server_with(Protocol::Opaque, Some(limiter)).await);
    }
    let (a, b) = (&nodes[0], &nodes[1]);
    let ua = register(a, "judy", "pw").await;
    register(b, "judy", "pw").await;
    for _ in 0..a.state.config.limits.free_failures {
        assert_eq!(
            login(a, &ua.id, "guess").await.unwrap_err().0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (s, e) = login(b, &ua.id, "pw").await.unwrap_err();
    assert_eq!(
        (s, e.error.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
}

// ====================================================================
// Hardening (outside review): each test below failed before its fix.

/// A vault of `u`'s, created over the API; its id.
async fn create_vault_for(srv: &Srv, u: &User, token: &str) -> VaultId {
    let (_, meta, key) = u
        .account
        .create_vault(
            &VaultMeta {
                name: "V".into(),
                ..Default::default()
            },
            &mut rng::os_rng(),
        )
        .unwrap();
    let made: VaultCreated = srv
        .json(
            "POST",
            paths::VAULTS,
            Some(token),
            &CreateVaultRequest { meta, key },
        )
        .await;
    made.vault
}

async fn call_with(
    srv: &Srv,
    req: axum::http::request::Builder,
    body: Body,
) -> (StatusCode, Vec<u8>) {
    let resp = srv
        .app
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let b = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, b)
}

/// Item 9: a client that refreshes the same token several times at once
/// (or retries after a lost answer) keeps its session: every call within
/// the grace window gets the same new pair; after it, reuse still revokes.
#[tokio::test]
async fn concurrent_refreshes_of_one_token_keep_the_session() {
    let clock = Arc::new(ManualClock::starting_now());
    let srv = server_full(Protocol::Opaque, None, |_| {}, clock.clone()).await;
    let u = register(&srv, "race@example.com", "pw").await;
    let s1 = login(&srv, &u.id, &u.pw).await.unwrap();
    let body = serde_json::to_string(&RefreshRequest {
        refresh_token: s1.refresh_token.clone(),
    })
    .unwrap();
    let calls = (0..8).map(|_| srv.call("POST", paths::REFRESH, None, Some(body.clone())));
    let answers = futures_util::future::join_all(calls).await;
    let mut fresh = Vec::new();
    for (st, b) in &answers {
        assert_eq!(*st, StatusCode::OK, "{}", String::from_utf8_lossy(b));
        let t: SessionTokens = serde_json::from_slice(b).unwrap();
        fresh.push(t);
    }
    assert!(
        fresh
            .iter()
            .all(|t| t.refresh_token == fresh[0].refresh_token)
    );
    assert_ne!(fresh[0].refresh_token, s1.refresh_token);
    // The session is alive, and the new refresh token rotates normally.
    for t in &fresh {
        let (st, _) = srv
            .call("GET", paths::ACCOUNT, Some(&t.access_token), None)
            .await;
        assert_eq!(st, StatusCode::OK);
    }
    // Past the grace window, the old token is reuse: the session ends.
    clock.advance(srv.state.config.refresh_grace + std::time::Duration::from_secs(1));
    let (st, e) = srv.error("POST", paths::REFRESH, None, Some(body)).await;
    assert_eq!(
        (st, e.error),
        (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized)
    );
    let (st, _) = srv
        .call("GET", paths::ACCOUNT, Some(&fresh[0].access_token), None)
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

/// Item 8: a non-member gets the same 403 from every part of a vault,
/// whatever it sends, whether the vault exists or not.
#[tokio::test]
async fn non_members_get_the_same_refusal_everywhere() {
    let srv = server(Protocol::Opaque).await;
    let a = register(&srv, "owner@example.com", "pw").await;
    let sa = login(&srv, &a.id, &a.pw).await.unwrap();
    let vault = create_vault_for(&srv, &a, &sa.access_token).await;
    let b = register(&srv, "outsider@example.com", "pw").await;
    let sb = login(&srv, &b.id, &b.pw).await.unwrap();
    let other = AccountId::generate(&mut rng::os_rng());
    let nowhere = VaultId::generate(&mut rng::os_rng());
    let mut answers = Vec::new();
    for v in [vault, nowhere] {
        for (method, path, body) in [
            ("GET", format!("/v1/vaults/{v}/members"), None),
            (
                "PUT",
                format!("/v1/vaults/{v}/members/{other}"),
                Some("{\"junk\":1}".to_owned()),
            ),
            (
                "PUT",
                format!("/v1/vaults/{v}/members/{other}"),
                Some("{\"role\":\"editor\",\"keys\":[]}".to_owned()),
            ),
            ("DELETE", format!("/v1/vaults/{v}/members/{other}"), None),
            (
                "POST",
                format!("/v1/vaults/{v}/rotate"),
                Some("[]".to_owned()),
            ),
            (
                "GET",
                format!(
                    "/v1/vaults/{v}/items/{}",
                    ItemId::generate(&mut rng::os_rng())
                ),
                None,
            ),
        ] {
            let (st, e) = srv.error(method, &path, Some(&sb.access_token), body).await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{method} {path}");
            assert_eq!(e.error, ErrorCode::Forbidden, "{method} {path}");
            answers.push(e.message);
        }
    }
    assert!(answers.iter().all(|m| m == &answers[0]), "{answers:?}");
}

/// Item 7: with a trusted proxy, forwarded addresses are parsed and
/// canonical: spellings of one address share a throttle bucket, and junk
/// falls back to the peer instead of getting a fresh bucket.
#[test]
fn forwarded_addresses_are_parsed_and_canonical() {
    use vault_sync::server::extract::remote_addr;
    let parts = |xff: &str| {
        let (mut parts, ()) = Request::builder()
            .header("x-forwarded-for", xff)
            .body(())
            .unwrap()
            .into_parts();
        parts
            .extensions
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [192, 0, 2, 9],
                4000,
            ))));
        parts
    };
    let peer = Some("192.0.2.9".to_owned());
    assert_eq!(
        remote_addr(&parts("10.4.0.1"), true),
        Some("10.4.0.1".into())
    );
    assert_eq!(
        remote_addr(&parts("::ffff:10.4.0.1"), true),
        Some("10.4.0.1".into())
    );
    assert_eq!(
        remote_addr(&parts(" 10.4.0.1 , 1.2.3.4"), true),
        Some("10.4.0.1".into())
    );
    assert_eq!(
        remote_addr(&parts("2001:DB8::1"), true),
        Some("2001:db8::1".into())
    );
    for junk in [
        "010.004.000.001",
        "<script>",
        &"9".repeat(300),
        "",
        "10.4.0.1:80",
    ] {
        assert_eq!(remote_addr(&parts(junk), true), peer, "{junk:?}");
    }
    // Without trust, the header is ignored.
    assert_eq!(remote_addr(&parts("10.4.0.1"), false), peer);
}

/// Item 12: JSON bodies must be UTF-8; the bearer scheme is case-insensitive.
#[tokio::test]
async fn content_type_charset_and_bearer_scheme() {
    let srv = server(Protocol::Opaque).await;
    let u = register(&srv, "scheme@example.com", "pw").await;
    let s = login(&srv, &u.id, &u.pw).await.unwrap();
    let body = r#"{"v":1,"identifier":"x@example.com"}"#;
    for (ct, want) in [
        (
            "application/json; charset=utf-16",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "application/json;charset=latin1",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        ("application/json; charset=UTF-8", StatusCode::OK),
        ("application/json; charset=\"utf-8\"", StatusCode::OK),
        ("Application/JSON", StatusCode::OK),
    ] {
        let (st, _) = call_with(
            &srv,
            Request::builder()
                .method("POST")
                .uri(paths::PRELOGIN)
                .header("content-type", ct),
            Body::from(body),
        )
        .await;
        assert_eq!(st, want, "{ct}");
    }
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let (st, _) = call_with(
            &srv,
            Request::builder()
                .uri(paths::ACCOUNT)
                .header("authorization", format!("{scheme} {}", s.access_token)),
            Body::empty(),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{scheme}");
    }
}

/// Item 6: event streams are capped per session and per account.
#[tokio::test]
async fn event_streams_are_capped_per_session_and_account() {
    let srv = server_full(
        Protocol::Opaque,
        None,
        |c| {
            c.max_event_streams_per_session = 2;
            c.max_event_streams_per_account = 3;
        },
        clock::system(),
    )
    .await;
    let u = register(&srv, "streams@example.com", "pw").await;
    let s1 = login(&srv, &u.id, &u.pw).await.unwrap();
    let s2 = login(&srv, &u.id, &u.pw).await.unwrap();
    let open = |token: &str| {
        srv.app.clone().oneshot(
            Request::builder()
                .uri(paths::EVENTS)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
    };
    let a = open(&s1.access_token).await.unwrap();
    let b = open(&s1.access_token).await.unwrap();
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    let c = open(&s1.access_token).await.unwrap();
    assert_eq!(c.status(), StatusCode::TOO_MANY_REQUESTS);
    let e: ErrorBody =
        serde_json::from_slice(&c.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(e.error, ErrorCode::TooManyStreams);
    // Another session of the account: one more, then the account cap.
    let d = open(&s2.access_token).await.unwrap();
    assert_eq!(d.status(), StatusCode::OK);
    let f = open(&s2.access_token).await.unwrap();
    assert_eq!(f.status(), StatusCode::TOO_MANY_REQUESTS);
    // Closing a stream frees its place.
    drop(a);
    let mut freed = false;
    for _ in 0..50 {
        let g = open(&s1.access_token).await.unwrap();
        if g.status() == StatusCode::OK {
            freed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(freed, "a closed stream must free its place");
}

/// Item 2: registration says an identifier is taken (documented), so it is
/// throttled like a login; the probing never locks the owner's logins.
#[tokio::test]
async fn registration_is_throttled_without_locking_the_owner_out() {
    let srv = server(Protocol::Srp).await;
    let owner = register(&srv, "taken@example.com", "pw").await;
    let free = srv.state.config.limits.free_failures;
    let probe = |_n: u32| {
        let (_, creds) =
            UnlockedAccount::create("x", None, KdfParams::INSECURE_TEST_ONLY, &mut rng::os_rng())
                .unwrap();
        serde_json::to_string(&RegisterRequest {
            identifier: "taken@example.com".into(),
            record: creds.encrypted,
            auth: AuthRecordBody::Srp(
                SrpClient::register(
                    "taken@example.com",
                    &creds.auth_key,
                    Default::default(),
                    &mut rng::os_rng(),
                )
                .unwrap(),
            ),
        })
        .unwrap()
    };
    let mut statuses = Vec::new();
    for n in 0..free + 2 {
        let (st, _) = srv
            .call("POST", paths::REGISTER, None, Some(probe(n)))
            .await;
        statuses.push(st);
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // The owner's logins are not locked: registration counts against its
    // own identifier key (and the prober's address), never the login key.
    use vault_sync::server::ratelimit::LimitKey;
    let elsewhere = LimitKey::address("198.51.100.7");
    assert_eq!(
        srv.state
            .limiter
            .check_start(&[LimitKey::identifier(&owner.id)], &elsewhere)
            .await
            .unwrap(),
        None
    );
    assert!(
        srv.state
            .limiter
            .check_start(&[LimitKey::registration(&owner.id)], &elsewhere)
            .await
            .unwrap()
            .is_some(),
        "the identifier's registrations are throttled"
    );
}

/// Item 3: look-alike identifiers are one account or none.
#[tokio::test]
async fn look_alike_identifiers_are_one_account_or_none() {
    let srv = server(Protocol::Srp).await;
    let alice = register(&srv, "alice@example.com", "pw").await;
    let pre = |id: &str| {
        let body = serde_json::json!({"v": 1, "identifier": id}).to_string();
        srv.call("POST", paths::PRELOGIN, None, Some(body))
    };
    let (_, canonical) = pre("alice@example.com").await;
    // Case and width variants are the same account: the same answer.
    for same in [
        "ALICE@example.com",
        "Alice@Example.COM",
        "\u{ff41}\u{ff4c}\u{ff49}\u{ff43}\u{ff45}@example.com",
    ] {
        let (st, b) = pre(same).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(b, canonical, "{same}");
    }
    // Refused outright: mixed scripts, invisible and bidi characters.
    for refused in [
        "\u{430}lice@example.com",
        "alice\u{200b}@example.com",
        "alice\u{202e}@example.com",
    ] {
        let (st, e) = srv
            .error(
                "POST",
                paths::PRELOGIN,
                None,
                Some(serde_json::json!({"v": 1, "identifier": refused}).to_string()),
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{refused:?}");
        assert!(
            matches!(e.error, ErrorCode::Malformed | ErrorCode::BadRequest),
            "{refused:?}"
        );
    }
    // Registering a variant: not canonical (400); its canonical form is taken (409).
    let (st, _) = srv
        .call(
            "POST",
            paths::REGISTER,
            None,
            Some(
                serde_json::json!({"identifier": "ALICE@example.com", "record": alice.record, "auth": {"srp": {}}})
                    .to_string(),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (_, other) =
        UnlockedAccount::create("x", None, KdfParams::INSECURE_TEST_ONLY, &mut rng::os_rng())
            .unwrap();
    let (st, e) = srv
        .error(
            "POST",
            paths::REGISTER,
            None,
            Some(
                serde_json::to_string(&RegisterRequest {
                    identifier: "alice@example.com".into(),
                    record: other.encrypted,
                    auth: AuthRecordBody::Srp(
                        SrpClient::register(
                            "alice@example.com",
                            &other.auth_key,
                            Default::default(),
                            &mut rng::os_rng(),
                        )
                        .unwrap(),
                    ),
                })
                .unwrap(),
            ),
        )
        .await;
    assert_eq!((st, e.error), (StatusCode::CONFLICT, ErrorCode::Conflict));
}

/// Item 15: PAKE and format failures answer with the documented codes.
#[tokio::test]
async fn protocol_failures_answer_with_their_codes() {
    let srv = server(Protocol::Srp).await;
    // A pre-login of an unknown version.
    let (st, e) = srv
        .error(
            "POST",
            paths::PRELOGIN,
            None,
            Some(r#"{"v":9,"identifier":"x@example.com"}"#.into()),
        )
        .await;
    assert_eq!(
        (st, e.error),
        (StatusCode::BAD_REQUEST, ErrorCode::UnsupportedVersion)
    );
    // An SRP hello whose A is 0 mod N.
    let zero = vault_core::encoding::b64_encode(&vec![0u8; 384]);
    let body = format!(
        r#"{{"hello":{{"v":1,"group":"rfc5054-3072","identifier":"x@example.com","a_pub":"{zero}"}}}}"#
    );
    let (st, e) = srv
        .error("POST", paths::LOGIN_SRP_START, None, Some(body))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        matches!(e.error, ErrorCode::InvalidPeerValue | ErrorCode::Malformed),
        "{:?}",
        e.error
    );
}

/// Item 12: query parameters are declared as query parameters.
#[tokio::test]
async fn openapi_declares_query_parameters_in_the_query() {
    let srv = server(Protocol::Opaque).await;
    let (st, b) = srv.call("GET", paths::OPENAPI, None, None).await;
    assert_eq!(st, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_slice(&b).unwrap();
    for (path, method, names) in [
        ("/v1/directory", "get", &["identifier", "account"][..]),
        ("/v1/sync/changes", "get", &["since", "limit"][..]),
        ("/v1/vaults/{vault}/items/{item}", "delete", &["base"][..]),
    ] {
        let params = doc["paths"][path][method]["parameters"].as_array().unwrap();
        for n in names {
            let p = params
                .iter()
                .find(|p| p["name"] == *n)
                .unwrap_or_else(|| panic!("{path} {n}"));
            assert_eq!(p["in"], "query", "{path} {n}");
        }
    }
}

/// Item 4: pre-login does the same work for known and unknown identifiers
/// (before the fix the known path was 20-28 µs slower, on ~100 µs). The
/// statistic is robust to a busy machine: the median of the differences of
/// back-to-back pairs (order alternating), which cancels drift.
#[tokio::test]
async fn prelogin_timing_does_not_tell_accounts_apart() {
    let srv = server(Protocol::Opaque).await;
    let _ = register(&srv, "timing@example.com", "pw").await;
    let body = |id: &str| serde_json::json!({"v": 1, "identifier": id}).to_string();
    let (known, unknown) = (body("timing@example.com"), body("nobody-here@example.com"));
    let once = async |b: &String| {
        let t = std::time::Instant::now();
        let (st, _) = srv
            .call("POST", paths::PRELOGIN, None, Some(b.clone()))
            .await;
        assert_eq!(st, StatusCode::OK);
        t.elapsed().as_nanos() as f64
    };
    for _ in 0..100 {
        once(&known).await;
        once(&unknown).await;
    }
    let (mut diffs, mut all) = (Vec::new(), Vec::new());
    for i in 0..1500 {
        let (k, u) = if i % 2 == 0 {
            let k = once(&known).await;
            (k, once(&unknown).await)
        } else {
            let u = once(&unknown).await;
            (once(&known).await, u)
        };
        diffs.push(k - u);
        all.push(k.min(u));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let (d, base) = (median(&mut diffs), median(&mut all));
    // The bound: 8% of a request or 8 µs, whichever is larger. The gap the
    // review found was 20-28 µs on ~100 µs; what remains (~4 µs here) is
    // reading the row the database returns for a real account.
    let bound = (0.08 * base).max(8_000.0);
    eprintln!("pre-login: median paired difference {d:.0} ns, request {base:.0} ns");
    assert!(
        d.abs() < bound,
        "median paired difference {d:.0} ns (known - unknown) on requests of {base:.0} ns; bound {bound:.0}"
    );
}
