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
use vault_sync::server::{AppState, Protocol, ServerConfig, ServerSecrets, router};
use vault_sync::store::{Store, StoreConfig};

struct Srv {
    app: Router,
    state: Arc<AppState>,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

async fn server(protocol: Protocol) -> Srv {
    server_with(protocol, None).await
}

async fn server_with(
    protocol: Protocol,
    limiter: Option<vault_sync::server::ratelimit::Limiter>,
) -> Srv {
    let mut rng = rng::os_rng();
    let dir = std::env::temp_dir().join(format!("vault-http-{}", AccountId::generate(&mut rng)));
    std::fs::create_dir_all(&dir).unwrap();
    let secrets = ServerSecrets::generate(&mut rng);
    let store = Store::open_sqlite(dir.join("v.db"), StoreConfig::new(secrets.state_key()))
        .await
        .unwrap();
    let config = ServerConfig {
        protocol,
        fake_kdf: KdfParams::INSECURE_TEST_ONLY,
        ..ServerConfig::default()
    };
    let mut state = AppState::new(store, config, secrets);
    if let Some(l) = limiter {
        state = state.with_limiter(l);
    }
    let state = Arc::new(state);
    Srv {
        app: router(state.clone()),
        state,
        _dir: TempDir(dir),
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
    let srv = server(Protocol::Opaque).await;
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
    // The spent token again: refused, and the whole session ends.
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

/// Redis at `VAULT_TEST_REDIS_URL` (default `redis://127.0.0.1:6379/`).
fn redis_url() -> String {
    std::env::var("VAULT_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
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
