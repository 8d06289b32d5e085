//! The service-facing gRPC interface end to end: the real router (HTTP and
//! gRPC on one port) over a real store, on SQLite (a temporary file) and
//! on Postgres (a fresh database, owner role and app role per test), with
//! tonic's client over HTTP/2 cleartext, as a service would call it.
//!
//! Members act through the store API (`Store::approve_service` with grants
//! made by `vault_core::machine::ProjectKeys`, as their client would) and
//! tell the server with `AppState::notify_*_changed`, as the HTTP admin
//! handlers do; services act only through gRPC and decrypt with their own
//! `ServiceKeyring`.
//!
//! One server per test listens three times: on 127.0.0.1 (an IPv4 peer),
//! on [::1] (an IPv6 peer, configured as the trusted proxy) and on
//! [::ffff:127.0.0.1] (IPv4 clients arriving as IPv4-mapped IPv6 peers),
//! so allowlists and forwarded addresses are tested with real sockets.
//! Forwarded addresses are only header text (documentation ranges); no
//! traffic leaves the loopback.
//!
//! Postgres comes from `vault-testkit` (`PgEnv`: `127.0.0.1:5432`, trust
//! auth, superuser `postgres`; override with `VAULT_TEST_PG_HOST`,
//! `VAULT_TEST_PG_PORT`, `VAULT_TEST_PG_USER`).
#![cfg(all(feature = "server", feature = "client"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use sqlx::Row;
use std::net::SocketAddr;
use std::result::Result;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use vault_core::machine::*;
use vault_core::opaque::{ClientRegistration, ServerSetup};
use vault_core::*;
use vault_sync::server::grpc::proto::secrets_client::SecretsClient;
use vault_sync::server::grpc::proto::{self, secret_event::Kind};
use vault_sync::server::ratelimit::LimitConfig;
use vault_sync::server::{AppState, ServerConfig, ServerSecrets, router};
use vault_sync::store::*;
use vault_testkit::{PgEnv, TempDir};

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

// ============================================================ server

struct Env {
    _root: TempDir,
    pg: Option<PgEnv>,
    sqlite: Option<std::path::PathBuf>,
    state: Arc<AppState>,
    /// `http://127.0.0.1:PORT`: an IPv4 peer (not a trusted proxy).
    v4: String,
    /// `http://[::1]:PORT`: an IPv6 peer, the trusted proxy.
    v6: String,
    /// `http://127.0.0.1:PORT` of the listener on `::ffff:127.0.0.1`:
    /// IPv4 clients seen as IPv4-mapped IPv6 peers.
    mapped: String,
    tasks: Vec<JoinHandle<()>>,
    rng: vault_core::rng::OsRng,
}

fn base_config() -> ServerConfig {
    ServerConfig {
        fake_kdf: KdfParams::INSECURE_TEST_ONLY,
        limits: LimitConfig {
            starts_per_minute: 10_000,
            ..LimitConfig::default()
        },
        trusted_proxies: vec!["::1/128".parse().unwrap()],
        ..ServerConfig::default()
    }
}

async fn listen(addr: &str) -> (tokio::net::TcpListener, u16) {
    let l = tokio::net::TcpListener::bind(addr).await.unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

impl Env {
    async fn start(backend: Backend, config: ServerConfig) -> Env {
        let root = TempDir::new("grpc");
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgEnv::migrated("grpc").await),
        };
        let secrets = ServerSecrets::generate(&mut rng::os_rng());
        let store_config = StoreConfig::new(secrets.state_key());
        let (store, sqlite) = match &pg {
            None => {
                let path = root.join("server.db");
                (
                    Store::open_sqlite(&path, store_config).await.unwrap(),
                    Some(path),
                )
            }
            Some(pg) => (
                Store::connect_postgres(&pg.app_url(), store_config)
                    .await
                    .unwrap(),
                None,
            ),
        };
        let state = Arc::new(AppState::new(store, config, secrets));
        let app = router(state.clone());
        let (l4, p4) = listen("127.0.0.1:0").await;
        let (l6, p6) = listen("[::1]:0").await;
        let (lm, pm) = listen("[::ffff:127.0.0.1]:0").await;
        // An IPv6 socket: IPv4 clients arrive as ::ffff:127.0.0.1.
        assert!(lm.local_addr().unwrap().is_ipv6());
        let tasks = [l4, l6, lm]
            .into_iter()
            .map(|l| {
                let app = app.clone();
                tokio::spawn(async move {
                    let _ = axum::serve(l, app.into_make_service_with_connect_info::<SocketAddr>())
                        .await;
                })
            })
            .collect();
        Env {
            _root: root,
            pg,
            sqlite,
            state,
            v4: format!("http://127.0.0.1:{p4}"),
            v6: format!("http://[::1]:{p6}"),
            mapped: format!("http://127.0.0.1:{pm}"),
            tasks,
            rng: rng::os_rng(),
        }
    }

    async fn finish(self) {
        self.state.begin_shutdown();
        for t in &self.tasks {
            t.abort();
        }
        self.state.store.close().await;
    }

    fn store(&self) -> &Store {
        &self.state.store
    }

    async fn client(&self, url: &str) -> SecretsClient<Channel> {
        let ch = Channel::from_shared(url.to_owned())
            .unwrap()
            .connect()
            .await
            .unwrap();
        SecretsClient::new(ch)
    }

    /// A member with a vault made into a project.
    async fn owner(&mut self, name: &str) -> Owner {
        let (acct, creds) =
            UnlockedAccount::create("pw", None, KdfParams::INSECURE_TEST_ONLY, &mut self.rng)
                .unwrap();
        let identifier = format!("{name}-{}@example.test", AccountId::generate(&mut self.rng));
        let setup = ServerSetup::generate(&mut self.rng);
        let (client, req) =
            ClientRegistration::start(&identifier, &creds.auth_key, &mut self.rng).unwrap();
        let resp = setup.registration_response(&identifier, &req).unwrap();
        let record = client.finish(&resp, &mut self.rng).unwrap().record;
        self.store()
            .create_account(
                &NewAccount {
                    identifier,
                    record: creds.encrypted,
                    auth: AuthRecord::Opaque(Box::new(record)),
                },
                None,
            )
            .await
            .unwrap();
        let (vk, meta, wrapped) = acct
            .create_vault(
                &VaultMeta {
                    name: "payments".into(),
                    ..Default::default()
                },
                &mut self.rng,
            )
            .unwrap();
        let id = acct.account_id();
        self.store()
            .create_vault(id, &meta, &wrapped, None)
            .await
            .unwrap();
        let keys = ProjectKeys::generate(vk.vault_id(), &mut self.rng);
        let sealed = keys.seal(&vk, &mut self.rng).unwrap();
        self.store()
            .create_project(id, &keys.public(), &sealed, None)
            .await
            .unwrap();
        Owner {
            id,
            project: vk.vault_id(),
            vk,
            keys,
        }
    }

    /// A new secret (version 1), written by the owner.
    async fn secret(&mut self, o: &Owner, name: &str, value: &str) -> EncryptedSecret {
        let entry = SecretEntry::new(name, value, "").unwrap();
        let (s, v) = o.keys.create_secret(&o.vk, &entry, &mut self.rng).unwrap();
        self.store()
            .put_secret(o.id, &s, &v, 0, None)
            .await
            .unwrap();
        s
    }

    /// A new service token of `o`'s project, registered over gRPC.
    async fn register(&mut self, o: &Owner, name: &str) -> ServiceToken {
        let token = ServiceToken::generate(o.project, o.keys.public().ed25519, &mut self.rng);
        let mut c = self.client(&self.v4).await;
        let r = c
            .register_token(register_request(&token, name))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.status, "pending_approval");
        token
    }

    /// Approves `token` for the named secrets (or the whole project with
    /// `None`), as a member's client does, and tells the server.
    async fn approve(
        &mut self,
        o: &Owner,
        token: &ServiceToken,
        secrets: Option<&[&EncryptedSecret]>,
    ) {
        let public = token.public();
        let mut grants = vec![o.keys.grant_index(&public, &mut self.rng).unwrap()];
        let access = match secrets {
            None => {
                grants.push(o.keys.grant_project(&o.vk, &public, &mut self.rng).unwrap());
                ServiceAccess::Project
            }
            Some(list) => {
                for s in list {
                    let key = o.keys.unwrap_secret_key(&o.vk, s).unwrap();
                    grants.push(o.keys.grant_secret(&key, &public, &mut self.rng).unwrap());
                }
                ServiceAccess::Secrets
            }
        };
        self.store()
            .approve_service(
                o.id,
                o.project,
                token.service(),
                &Approval { access, grants },
                None,
            )
            .await
            .unwrap();
        self.state.notify_service_changed(token.service()).await;
    }

    /// The audit log: (action, actor, subject, remote, outcome), in order,
    /// read with a connection that sees every row.
    async fn audit(&self) -> Vec<AuditLine> {
        let sql = "SELECT action, actor, subject, remote, outcome FROM audit_log ORDER BY seq";
        let rows: Vec<AuditLine> = match (&self.pg, &self.sqlite) {
            (Some(pg), _) => {
                let sup = pg.super_pool().await;
                let rows = sqlx::query(sql).fetch_all(&sup).await.unwrap();
                sup.close().await;
                rows.iter()
                    .map(|r| AuditLine {
                        action: r.get(0),
                        actor: r.get(1),
                        subject: r.get(2),
                        remote: r.get(3),
                        outcome: r.get(4),
                    })
                    .collect()
            }
            (None, Some(path)) => {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .unwrap();
                let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
                pool.close().await;
                rows.iter()
                    .map(|r| AuditLine {
                        action: r.get(0),
                        actor: r.get(1),
                        subject: r.get(2),
                        remote: r.get(3),
                        outcome: r.get(4),
                    })
                    .collect()
            }
            (None, None) => unreachable!(),
        };
        rows
    }

    /// The audit chain verifies.
    async fn verify_audit(&self) -> AuditSummary {
        match &self.pg {
            None => self.store().audit_verify().await.unwrap(),
            Some(pg) => {
                let admin = PgAdmin::connect(&pg.owner_url()).await.unwrap();
                let s = admin.verify_audit().await.unwrap();
                admin.close().await;
                s
            }
        }
    }

    /// Runs raw SQL with a connection that may do anything (the superuser
    /// on Postgres, a second connection on the SQLite file).
    async fn raw(&self, sql: &str) {
        match (&self.pg, &self.sqlite) {
            (Some(pg), _) => {
                let sup = pg.super_pool().await;
                sqlx::query(sql).execute(&sup).await.unwrap();
                sup.close().await;
            }
            (None, Some(path)) => {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .unwrap();
                sqlx::query(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
            (None, None) => unreachable!(),
        }
    }
}

#[derive(Debug, Clone)]
struct AuditLine {
    action: String,
    actor: Option<String>,
    subject: Option<String>,
    remote: Option<String>,
    outcome: String,
}

struct Owner {
    id: AccountId,
    project: VaultId,
    vk: VaultKey,
    keys: ProjectKeys,
}

impl Owner {
    fn bidx(&self, name: &str) -> String {
        self.keys
            .blind_index(&SecretName::new(name).unwrap())
            .unwrap()
            .to_string()
    }
}

fn register_request(token: &ServiceToken, name: &str) -> proto::RegisterTokenRequest {
    proto::RegisterTokenRequest {
        service: serde_json::to_string(&token.public()).unwrap(),
        service_name: name.into(),
        service_version: "1.4.2".into(),
    }
}

/// `msg` with the token's auth header.
fn authed<T>(token: &ServiceToken, msg: T) -> Request<T> {
    with_header(token.auth_header().expose_secret(), msg)
}

fn with_header<T>(auth: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {auth}").parse().unwrap());
    r
}

fn get(bidx: &str) -> proto::GetSecretRequest {
    proto::GetSecretRequest {
        blind_index: bidx.into(),
        hint: String::new(),
    }
}

/// The status's gRPC code and `vault-error-code`.
fn code(s: &Status) -> (Code, String) {
    (
        s.code(),
        s.metadata()
            .get("vault-error-code")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
    )
}

fn err<T: std::fmt::Debug>(r: Result<tonic::Response<T>, Status>) -> (Code, String) {
    code(&r.expect_err("the call must fail"))
}

/// The next message of a watch (within 10 s).
async fn next(
    w: &mut tonic::Streaming<proto::SecretEvent>,
) -> Result<Option<proto::SecretEvent>, Status> {
    tokio::time::timeout(Duration::from_secs(10), w.message())
        .await
        .expect("an event in time")
}

/// Opens the service's keyring from GetAccess.
async fn keyring(c: &mut SecretsClient<Channel>, token: &ServiceToken) -> ServiceKeyring {
    let access = c
        .get_access(authed(token, proto::GetAccessRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(access.status, "approved");
    let grants: Vec<ServiceGrant> = access
        .grants
        .iter()
        .map(|g| serde_json::from_str(g).unwrap())
        .collect();
    let mut ring = ServiceKeyring::open(token, &grants).unwrap();
    ring.set_project_public(serde_json::from_str(&access.project).unwrap())
        .unwrap();
    ring
}

/// Fetches and decrypts one secret by name.
async fn read(
    c: &mut SecretsClient<Channel>,
    token: &ServiceToken,
    ring: &ServiceKeyring,
    name: &str,
) -> Result<SecretEntry, (Code, String)> {
    let bidx = ring.blind_index(&SecretName::new(name).unwrap()).unwrap();
    let r = c
        .get_secret(authed(token, get(&bidx.to_string())))
        .await
        .map_err(|s| code(&s))?
        .into_inner();
    let secret: EncryptedSecret = serde_json::from_str(&r.secret).unwrap();
    let version: EncryptedSecretVersion = serde_json::from_str(&r.version).unwrap();
    Ok(ring.open_secret(&secret, &version).unwrap())
}

// ============================================================ tests

/// Register → pending → approved → GetAccess → GetSecret decrypts; the
/// project's public keys by id; usage counters; the audit trail.
async fn register_approve_and_read(backend: Backend) {
    let mut env = Env::start(backend, base_config()).await;
    let o = env.owner("alice").await;
    let db = env.secret(&o, "DATABASE_URL", "postgres://db/prod").await;
    let mut c = env.client(&env.v4).await;

    // A service that knows only the project id fetches its public keys.
    let p = c
        .get_project(proto::GetProjectRequest {
            project: o.project.to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    let public: ProjectPublic = serde_json::from_str(&p.project).unwrap();
    assert_eq!(public, o.keys.public());

    let token = ServiceToken::generate(o.project, public.ed25519, &mut env.rng);
    let r = c
        .register_token(register_request(&token, "billing-api"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status, "pending_approval");
    assert_eq!(r.fingerprint, token.public().fingerprint());
    let pinned: ProjectPublic = serde_json::from_str(&r.project).unwrap();
    pinned.verify(Some(token.project_signing_key())).unwrap();
    let services = env.store().services(o.id, o.project).await.unwrap();
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].status, ServiceStatus::Pending);
    assert_eq!(services[0].name, "billing-api");
    assert_eq!(services[0].registered_from.as_deref(), Some("127.0.0.1"));

    // Pending: the secret checks out, nothing is served.
    assert_eq!(
        err(c
            .get_access(authed(&token, proto::GetAccessRequest {}))
            .await),
        (Code::FailedPrecondition, "pending_approval".into())
    );
    assert_eq!(
        err(c
            .get_secret(authed(&token, get(&o.bidx("DATABASE_URL"))))
            .await),
        (Code::FailedPrecondition, "pending_approval".into())
    );

    env.approve(&o, &token, Some(&[&db])).await;
    let ring = keyring(&mut c, &token).await;
    let entry = read(&mut c, &token, &ring, "DATABASE_URL").await.unwrap();
    assert_eq!(entry.value.expose_secret(), "postgres://db/prod");
    // Spelled another way (full-width), the same name.
    let entry = read(&mut c, &token, &ring, "ＤＡＴＡＢＡＳＥ_ＵＲＬ")
        .await
        .unwrap();
    assert_eq!(entry.name.as_str(), "DATABASE_URL");

    // Counters reach the store (flushed every second, or now).
    env.state.flush_usage().await;
    let rows = env.store().secrets(o.id, o.project).await.unwrap();
    assert_eq!(rows[0].uses, 2);
    assert!(rows[0].last_used_at.is_some());
    let services = env.store().services(o.id, o.project).await.unwrap();
    assert_eq!(services[0].uses, 2);
    // Counters of a secret deleted meanwhile are dropped, the rest kept.
    let gone = SecretId::generate(&mut env.rng);
    let batch = UsageBatch {
        services: vec![(token.service(), o.project, 1, 1)],
        secrets: vec![(o.project, gone, 1, 1), (o.project, db.secret, 1, 1)],
    };
    env.store().record_usage(&batch).await.unwrap();
    assert_eq!(
        env.store().secrets(o.id, o.project).await.unwrap()[0].uses,
        3
    );
    assert_eq!(
        env.store().services(o.id, o.project).await.unwrap()[0].uses,
        3
    );

    // The trail: registration, approval, two reads, by the right parties.
    let me = format!("service:{}", token.service());
    let audit = env.audit().await;
    let of = |action: &str| {
        audit
            .iter()
            .filter(|l| l.action == action)
            .cloned()
            .collect::<Vec<_>>()
    };
    let reg = of("service.register");
    assert_eq!(reg.len(), 1);
    assert_eq!(reg[0].actor.as_deref(), Some(me.as_str()));
    assert_eq!(reg[0].remote.as_deref(), Some("127.0.0.1"));
    assert_eq!(of("service.approve").len(), 1);
    let reads = of("secret.access");
    assert_eq!(reads.len(), 2);
    for l in &reads {
        assert_eq!(l.actor.as_deref(), Some(me.as_str()));
        assert_eq!(l.subject, Some(format!("secret:{}", db.secret)));
        assert_eq!(l.outcome, "success");
        assert_eq!(l.remote.as_deref(), Some("127.0.0.1"));
    }
    let summary = env.verify_audit().await;
    assert_eq!(summary.rows as usize, audit.len());
    env.finish().await;
}

/// A missing name files a stub (sealed hint included) and answers
/// `secret_not_found`; an existing, ungranted one files an access request
/// (`access_requested`, then `access_denied` once a member refuses); the
/// batch call gives per-item outcomes; a filled stub is served.
async fn stubs_requests_and_batches(backend: Backend) {
    let mut env = Env::start(backend, base_config()).await;
    let o = env.owner("bob").await;
    let a = env.secret(&o, "API_KEY", "sk_live_a").await;
    let b = env.secret(&o, "ADMIN_PASSWORD", "hunter2-admin").await;
    let token = env.register(&o, "worker").await;
    env.approve(&o, &token, Some(&[&a])).await;
    let mut c = env.client(&env.v4).await;
    let ring = keyring(&mut c, &token).await;

    // Missing: a stub with the name sealed to the project.
    let missing = SecretName::new("STRIPE_WEBHOOK_SECRET").unwrap();
    let hint = ring
        .seal_hint(
            SealPurpose::Stub,
            &missing,
            "verifies webhooks",
            &mut env.rng,
        )
        .unwrap();
    let missing_bidx = ring.blind_index(&missing).unwrap();
    let req = proto::GetSecretRequest {
        blind_index: missing_bidx.to_string(),
        hint: serde_json::to_string(&hint).unwrap(),
    };
    assert_eq!(
        err(c.get_secret(authed(&token, req.clone())).await),
        (Code::NotFound, "secret_not_found".into())
    );
    let stubs = env.store().stubs(o.id, o.project).await.unwrap();
    assert_eq!(stubs.len(), 1);
    assert_eq!(stubs[0].blind_index, missing_bidx);
    assert_eq!(stubs[0].service, token.service());
    let opened = o
        .keys
        .open_hint(stubs[0].hint.as_ref().unwrap(), &stubs[0].blind_index)
        .unwrap();
    assert_eq!(opened.name, missing);
    assert_eq!(opened.description, "verifies webhooks");

    // Exists, not granted: an access request, counted on each attempt.
    assert_eq!(
        read(&mut c, &token, &ring, "ADMIN_PASSWORD")
            .await
            .unwrap_err(),
        (Code::PermissionDenied, "access_requested".into())
    );
    assert_eq!(
        read(&mut c, &token, &ring, "ADMIN_PASSWORD")
            .await
            .unwrap_err()
            .1,
        "access_requested"
    );
    let requests = env.store().access_requests(o.id, o.project).await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].secret, requests[0].status, requests[0].attempts),
        (b.secret, RequestStatus::Pending, 2)
    );
    env.store()
        .decide_request(o.id, o.project, token.service(), b.secret, None, None)
        .await
        .unwrap();
    env.state.notify_service_changed(token.service()).await;
    assert_eq!(
        read(&mut c, &token, &ring, "ADMIN_PASSWORD")
            .await
            .unwrap_err(),
        (Code::PermissionDenied, "access_denied".into())
    );

    // A request granted with the secret's key is served; "denying" it
    // afterwards is refused (it would relabel it while the grant stays:
    // revoking is how access is taken back) and changes nothing.
    let d = env.secret(&o, "DEPLOY_KEY", "deploy-key-value").await;
    assert_eq!(
        read(&mut c, &token, &ring, "DEPLOY_KEY")
            .await
            .unwrap_err()
            .1,
        "access_requested"
    );
    let key = o.keys.unwrap_secret_key(&o.vk, &d).unwrap();
    let grant = o
        .keys
        .grant_secret(&key, &token.public(), &mut env.rng)
        .unwrap();
    env.store()
        .decide_request(
            o.id,
            o.project,
            token.service(),
            d.secret,
            Some(&[grant]),
            None,
        )
        .await
        .unwrap();
    env.state.notify_service_changed(token.service()).await;
    let ring = keyring(&mut c, &token).await;
    assert_eq!(
        read(&mut c, &token, &ring, "DEPLOY_KEY")
            .await
            .unwrap()
            .value
            .expose_secret(),
        "deploy-key-value"
    );
    assert!(matches!(
        env.store()
            .decide_request(o.id, o.project, token.service(), d.secret, None, None)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let requests = env.store().access_requests(o.id, o.project).await.unwrap();
    let r = requests.iter().find(|r| r.secret == d.secret).unwrap();
    assert_eq!(r.status, RequestStatus::Granted);
    assert_eq!(
        read(&mut c, &token, &ring, "DEPLOY_KEY")
            .await
            .unwrap()
            .value
            .expose_secret(),
        "deploy-key-value"
    );

    // One round trip for several names: results in request order.
    let items: Vec<proto::SecretRequest> = ["API_KEY", "STRIPE_WEBHOOK_SECRET", "ADMIN_PASSWORD"]
        .iter()
        .map(|n| proto::SecretRequest {
            blind_index: o.bidx(n),
            hint: String::new(),
        })
        .collect();
    let res = c
        .get_secrets(authed(
            &token,
            proto::GetSecretsRequest {
                items: items.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .results;
    assert_eq!(res.len(), 3);
    for (r, i) in res.iter().zip(&items) {
        assert_eq!(r.blind_index, i.blind_index);
    }
    assert_eq!(res[0].outcome(), proto::Outcome::Found);
    let opened = ring
        .open_secret(
            &serde_json::from_str(&res[0].secret).unwrap(),
            &serde_json::from_str(&res[0].version).unwrap(),
        )
        .unwrap();
    assert_eq!(opened.value.expose_secret(), "sk_live_a");
    assert_eq!(res[1].outcome(), proto::Outcome::NotFound);
    assert!(res[1].secret.is_empty());
    assert_eq!(
        (res[2].outcome(), res[2].code.as_str()),
        (proto::Outcome::PermissionDenied, "access_denied")
    );
    // 0 or 201 items: malformed, nothing filed.
    for n in [0usize, 201] {
        let items = (0..n)
            .map(|i| proto::SecretRequest {
                blind_index: o.bidx(&format!("N{i}")),
                hint: String::new(),
            })
            .collect();
        assert_eq!(
            err(c
                .get_secrets(authed(&token, proto::GetSecretsRequest { items }))
                .await),
            (Code::InvalidArgument, "malformed".into())
        );
    }
    assert_eq!(
        env.store().stubs(o.id, o.project).await.unwrap()[0].attempts,
        2
    );

    // A member fills the stub (granting it to the service that asked).
    let entry =
        SecretEntry::new("STRIPE_WEBHOOK_SECRET", "whsec_123", "verifies webhooks").unwrap();
    let (s, v) = o.keys.create_secret(&o.vk, &entry, &mut env.rng).unwrap();
    let key = o.keys.unwrap_secret_key(&o.vk, &s).unwrap();
    let grant = o
        .keys
        .grant_secret(&key, &token.public(), &mut env.rng)
        .unwrap();
    env.store()
        .fill_stub(o.id, &s, &v, &[grant], None)
        .await
        .unwrap();
    env.state
        .notify_project_changed(o.project, Some(s.secret))
        .await;
    env.state.notify_service_changed(token.service()).await;
    assert!(env.store().stubs(o.id, o.project).await.unwrap().is_empty());
    let ring = keyring(&mut c, &token).await;
    let got = read(&mut c, &token, &ring, "STRIPE_WEBHOOK_SECRET")
        .await
        .unwrap();
    assert_eq!(got.value.expose_secret(), "whsec_123");

    // Every outcome is in the trail, the name nowhere.
    let audit = env.audit().await;
    let count = |action: &str, outcome: &str| {
        audit
            .iter()
            .filter(|l| l.action == action && l.outcome == outcome)
            .count()
    };
    assert_eq!(count("secret.stub", "denied"), 2);
    assert_eq!(count("access.request", "denied"), 3);
    assert_eq!(count("secret.access", "denied"), 2);
    assert_eq!(count("secret.access", "success"), 4);
    assert_eq!(count("access.grant", "success"), 1);
    assert_eq!(count("access.deny", "success"), 1);
    assert_eq!(count("stub.fill", "success"), 1);
    let text = format!("{audit:?}");
    assert!(!text.contains("STRIPE") && !text.contains(&missing_bidx.to_string()));
    env.verify_audit().await;
    env.finish().await;
}

/// A watch hears of the approval and of changes to readable secrets, and
/// of the revocation, after which the stream ends and every call is
/// `unauthenticated`. Streams per service are capped.
async fn watch_and_revocation(backend: Backend) {
    let mut config = base_config();
    config.max_watch_streams_per_service = 2;
    let mut env = Env::start(backend, config).await;
    let o = env.owner("carol").await;
    let a = env.secret(&o, "API_KEY", "one").await;
    let token = env.register(&o, "watcher").await;
    let mut c = env.client(&env.v4).await;

    // A pending service may watch for its approval.
    let mut watch = c
        .watch_secrets(authed(&token, proto::WatchSecretsRequest {}))
        .await
        .unwrap()
        .into_inner();
    let mut second = c
        .watch_secrets(authed(&token, proto::WatchSecretsRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        err(c
            .watch_secrets(authed(&token, proto::WatchSecretsRequest {}))
            .await),
        (Code::ResourceExhausted, "too_many_streams".into())
    );

    env.approve(&o, &token, None).await;
    let ev = next(&mut watch).await.unwrap().unwrap();
    assert_eq!(ev.kind(), Kind::AccessChanged);
    let ev = next(&mut second).await.unwrap().unwrap();
    assert_eq!(ev.kind(), Kind::AccessChanged);
    // Closing one frees its place (once the server notices).
    drop(second);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut third = loop {
        match c
            .watch_secrets(authed(&token, proto::WatchSecretsRequest {}))
            .await
        {
            Ok(s) => break s.into_inner(),
            Err(s) if Instant::now() < deadline && code(&s).1 == "too_many_streams" => {
                // The server learns of the closed stream at its next event.
                env.state
                    .notify_project_changed(o.project, Some(a.secret))
                    .await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(s) => panic!("{s:?}"),
        }
    };

    // A new version: the secret's id, then the service reads version 2.
    let ring = keyring(&mut c, &token).await;
    let entry = SecretEntry::new("API_KEY", "two", "").unwrap();
    let (rec, v2) = o
        .keys
        .write_version(&o.vk, &a, 2, &entry, &mut env.rng)
        .unwrap();
    env.store()
        .put_secret(o.id, &rec, &v2, 1, None)
        .await
        .unwrap();
    env.state
        .notify_project_changed(o.project, Some(a.secret))
        .await;
    loop {
        let ev = next(&mut watch).await.unwrap().unwrap();
        if ev.kind() == Kind::SecretsChanged && ev.secret == a.secret.to_string() {
            break;
        }
    }
    assert_eq!(
        read(&mut c, &token, &ring, "API_KEY")
            .await
            .unwrap()
            .value
            .expose_secret(),
        "two"
    );

    // Revoked: the stream says so and ends; calls are refused.
    let readable = env
        .store()
        .revoke_service(o.id, o.project, token.service(), None)
        .await
        .unwrap();
    assert_eq!(readable, vec![a.secret]);
    env.state.notify_service_changed(token.service()).await;
    for w in [&mut watch, &mut third] {
        loop {
            match next(w).await {
                Ok(Some(ev)) if ev.kind() == Kind::Revoked => break,
                Ok(Some(_)) => continue,
                other => panic!("expected REVOKED, got {other:?}"),
            }
        }
        assert!(
            matches!(next(w).await, Ok(None)),
            "the stream ends after REVOKED"
        );
    }
    let bidx = o.bidx("API_KEY");
    assert_eq!(
        err(c.get_secret(authed(&token, get(&bidx))).await),
        (Code::Unauthenticated, "unauthenticated".into())
    );
    assert_eq!(
        err(c
            .get_access(authed(&token, proto::GetAccessRequest {}))
            .await),
        (Code::Unauthenticated, "unauthenticated".into())
    );
    assert_eq!(
        err(c
            .watch_secrets(authed(&token, proto::WatchSecretsRequest {}))
            .await),
        (Code::Unauthenticated, "unauthenticated".into())
    );
    let audit = env.audit().await;
    let me = format!("service:{}", token.service());
    assert!(
        audit
            .iter()
            .any(|l| l.action == "service.revoke" && l.subject.as_deref() == Some(me.as_str()))
    );
    assert_eq!(
        audit
            .iter()
            .filter(|l| l.action == "service.auth_fail" && l.actor.as_deref() == Some(me.as_str()))
            .count(),
        3
    );
    env.verify_audit().await;
    env.finish().await;
}

/// Allowlists of the service and the project, over real IPv4, IPv6 and
/// IPv4-mapped peers; forwarded addresses believed from the trusted proxy
/// (`::1`) only, walked from the right; stored junk fails closed.
async fn allowlists_and_client_addresses(backend: Backend) {
    let mut env = Env::start(backend, base_config()).await;
    let o = env.owner("dave").await;
    env.secret(&o, "API_KEY", "v").await;
    let token = env.register(&o, "edge").await;
    env.approve(&o, &token, None).await;
    let mut v4 = env.client(&env.v4).await;
    let mut v6 = env.client(&env.v6).await;
    let mut mapped = env.client(&env.mapped).await;
    let bidx = o.bidx("API_KEY");
    let sid = token.service();

    async fn try_get(
        c: &mut SecretsClient<Channel>,
        token: &ServiceToken,
        bidx: &str,
        headers: &[(&'static str, &str)],
    ) -> Result<(), String> {
        let mut r = authed(token, get(bidx));
        for (k, v) in headers {
            r.metadata_mut().append(*k, v.parse().unwrap());
        }
        c.get_secret(r).await.map(|_| ()).map_err(|s| code(&s).1)
    }
    let set_service = |list: &[&str]| {
        let list: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
        let state = env.state.clone();
        let (owner, project) = (o.id, o.project);
        async move {
            let stored = state
                .store
                .set_service_allowlist(owner, project, sid, &list, None)
                .await
                .unwrap();
            state.notify_service_changed(sid).await;
            stored
        }
    };
    let set_project = |list: &[&str]| {
        let list: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
        let state = env.state.clone();
        let (owner, project) = (o.id, o.project);
        async move {
            state
                .store
                .set_project_allowlist(owner, project, &list, None)
                .await
                .unwrap();
            state.notify_project_changed(project, None).await;
        }
    };
    let denied = Err("not_allowed_from_address".to_owned());

    // No lists: any address.
    for c in [&mut v4, &mut v6, &mut mapped] {
        assert_eq!(try_get(c, &token, &bidx, &[]).await, Ok(()));
    }
    // IPv4: the plain and the mapped peer are one address.
    set_service(&["127.0.0.1"]).await;
    assert_eq!(try_get(&mut v4, &token, &bidx, &[]).await, Ok(()));
    assert_eq!(try_get(&mut mapped, &token, &bidx, &[]).await, Ok(()));
    assert_eq!(try_get(&mut v6, &token, &bidx, &[]).await, denied);
    // A list written as mapped IPv6 is stored as IPv4 and matches both.
    assert_eq!(
        set_service(&["::ffff:127.0.0.0/104"]).await,
        vec!["127.0.0.0/8".to_owned()]
    );
    assert_eq!(try_get(&mut v4, &token, &bidx, &[]).await, Ok(()));
    assert_eq!(try_get(&mut mapped, &token, &bidx, &[]).await, Ok(()));
    // IPv6.
    set_service(&["::1/128"]).await;
    assert_eq!(try_get(&mut v6, &token, &bidx, &[]).await, Ok(()));
    assert_eq!(try_get(&mut v4, &token, &bidx, &[]).await, denied);
    assert_eq!(try_get(&mut mapped, &token, &bidx, &[]).await, denied);

    // Behind the trusted proxy (::1): the forwarded client counts,
    // walked from the right (what the client prepends is ignored).
    set_service(&["203.0.113.0/24", "2001:db8::/32"]).await;
    let xff = |v: &'static str| [("x-forwarded-for", v)];
    assert_eq!(
        try_get(&mut v6, &token, &bidx, &xff("198.51.100.1, 203.0.113.9")).await,
        Ok(())
    );
    assert_eq!(
        try_get(&mut v6, &token, &bidx, &xff("203.0.113.9, 198.51.100.1")).await,
        denied
    );
    assert_eq!(
        try_get(&mut v6, &token, &bidx, &xff("203.0.113.9, ::1")).await,
        Ok(())
    );
    assert_eq!(
        try_get(
            &mut v6,
            &token,
            &bidx,
            &[("forwarded", "for=\"[2001:db8::7]:443\";proto=https")]
        )
        .await,
        Ok(())
    );
    assert_eq!(
        try_get(&mut v6, &token, &bidx, &[("forwarded", "for=unknown")]).await,
        denied
    );
    // Both headers disagreeing: neither is believed.
    assert_eq!(
        try_get(
            &mut v6,
            &token,
            &bidx,
            &[
                ("x-forwarded-for", "203.0.113.9"),
                ("forwarded", "for=198.51.100.1")
            ]
        )
        .await,
        denied
    );
    // The same headers from peers that are not the proxy: ignored.
    assert_eq!(
        try_get(&mut v4, &token, &bidx, &xff("203.0.113.9")).await,
        denied
    );
    assert_eq!(
        try_get(&mut mapped, &token, &bidx, &xff("203.0.113.9")).await,
        denied
    );
    assert_eq!(
        try_get(&mut v4, &token, &bidx, &[("forwarded", "for=203.0.113.9")]).await,
        denied
    );

    // The project's list must allow too.
    set_service(&["127.0.0.0/8"]).await;
    set_project(&["10.0.0.0/8"]).await;
    assert_eq!(try_get(&mut v4, &token, &bidx, &[]).await, denied);
    set_project(&["127.0.0.1/32", "::1"]).await;
    assert_eq!(try_get(&mut v4, &token, &bidx, &[]).await, Ok(()));
    assert_eq!(
        try_get(&mut v6, &token, &bidx, &[]).await,
        denied,
        "the service's list still refuses ::1"
    );

    // A stored entry that does not parse refuses everything.
    env.raw(&format!(
        "UPDATE services SET allowlist = '[\"127.0.0.0/8\",\"bogus\"]' WHERE service_id = '{sid}'"
    ))
    .await;
    env.state.notify_service_changed(sid).await;
    assert_eq!(try_get(&mut v4, &token, &bidx, &[]).await, denied);
    set_service(&[]).await;
    env.raw(&format!(
        "UPDATE projects SET allowlist = '[\"::1\",\"10.0.0.0/33\"]' WHERE project_id = '{}'",
        o.project
    ))
    .await;
    env.state.notify_project_changed(o.project, None).await;
    assert_eq!(try_get(&mut v6, &token, &bidx, &[]).await, denied);
    set_project(&[]).await;
    assert_eq!(try_get(&mut v4, &token, &bidx, &[]).await, Ok(()));

    // Refusals are audited with the address that was refused.
    let audit = env.audit().await;
    let refused: Vec<String> = audit
        .iter()
        .filter(|l| l.action == "service.address_denied")
        .map(|l| l.remote.clone().unwrap_or_default())
        .collect();
    for addr in ["::1", "127.0.0.1", "198.51.100.1"] {
        assert!(refused.iter().any(|r| r == addr), "{addr} in {refused:?}");
    }
    assert!(
        audit
            .iter()
            .any(|l| l.action == "secret.access" && l.remote.as_deref() == Some("203.0.113.9"))
    );
    assert!(
        audit
            .iter()
            .any(|l| l.action == "secret.access" && l.remote.as_deref() == Some("2001:db8::7"))
    );
    env.verify_audit().await;
    env.finish().await;
}

/// Malformed tokens, wrong secrets, replayed registrations, bad JSON and
/// labels, bad blind indexes and hints, oversized requests: clear codes,
/// no secret in the answer, nothing stored.
async fn bad_input_changes_nothing(backend: Backend) {
    let mut env = Env::start(backend, base_config()).await;
    let o = env.owner("erin").await;
    env.secret(&o, "API_KEY", "v").await;
    let token = env.register(&o, "svc").await;
    env.approve(&o, &token, None).await;
    let mut c = env.client(&env.v4).await;
    let header = token.auth_header().expose_secret().to_owned();
    let (id_part, secret_part) = header.rsplit_once('.').unwrap();

    // The token text catches typos before it is ever sent.
    let text = token.to_text().expose_secret().to_owned();
    let mut typo = text.clone().into_bytes();
    typo[20] = if typo[20] == b'A' { b'B' } else { b'A' };
    assert!(matches!(
        ServiceToken::parse(std::str::from_utf8(&typo).unwrap()),
        Err(vault_core::Error::Checksum(_))
    ));

    // Anything but the right auth header: one answer.
    let mut flipped = secret_part.to_owned().into_bytes();
    flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
    let wrong_secret = format!("{id_part}.{}", String::from_utf8(flipped).unwrap());
    let unknown = ServiceToken::generate(o.project, o.keys.public().ed25519, &mut env.rng);
    for auth in [
        text.clone(),
        wrong_secret.clone(),
        unknown.auth_header().expose_secret().to_owned(),
        "vsa1.nope.nope".into(),
        format!("{id_part}."),
        String::new(),
    ] {
        let s = c
            .get_access(with_header(&auth, proto::GetAccessRequest {}))
            .await
            .unwrap_err();
        assert_eq!(
            code(&s),
            (Code::Unauthenticated, "unauthenticated".into()),
            "{auth:?}"
        );
        assert!(!s.message().contains(secret_part));
    }
    let s = c
        .get_access(Request::new(proto::GetAccessRequest {}))
        .await
        .unwrap_err();
    assert_eq!(code(&s).1, "unauthenticated");
    let mut basic = Request::new(proto::GetAccessRequest {});
    basic
        .metadata_mut()
        .insert("authorization", "Basic dXNlcjpwdw==".parse().unwrap());
    assert_eq!(err(c.get_access(basic).await).1, "unauthenticated");
    // The wrong secret of a known service is audited (never the header).
    let audit = env.audit().await;
    let fails: Vec<_> = audit
        .iter()
        .filter(|l| l.action == "service.auth_fail")
        .collect();
    assert_eq!(fails.len(), 2, "{fails:?}");
    assert!(!format!("{audit:?}").contains(secret_part));

    // Registration: replay, unknown project, bad documents and labels.
    assert_eq!(
        err(c.register_token(register_request(&token, "svc")).await),
        (Code::AlreadyExists, "already_registered".into())
    );
    let elsewhere = ServiceToken::generate(VaultId::generate(&mut env.rng), [1; 32], &mut env.rng);
    assert_eq!(
        err(c.register_token(register_request(&elsewhere, "svc")).await),
        (Code::NotFound, "project_not_found".into())
    );
    let other_pin = ServiceToken::generate(o.project, [9; 32], &mut env.rng);
    assert_eq!(
        err(c.register_token(register_request(&other_pin, "svc")).await).1,
        "malformed"
    );
    let fresh = ServiceToken::generate(o.project, o.keys.public().ed25519, &mut env.rng);
    let good = serde_json::to_value(fresh.public()).unwrap();
    let mut bad_docs: Vec<(String, &str)> = vec![
        ("not json".into(), "malformed"),
        ("[]".into(), "malformed"),
        (String::new(), "malformed"),
        (format!("{} ", "x".repeat(3000)), "malformed"),
    ];
    let mut extra = good.clone();
    extra["extra"] = serde_json::json!(1);
    bad_docs.push((extra.to_string(), "malformed"));
    let mut short = good.clone();
    short["x25519"] = serde_json::json!("AAAA");
    bad_docs.push((short.to_string(), "malformed"));
    let mut v2 = good.clone();
    v2["v"] = serde_json::json!(2);
    bad_docs.push((v2.to_string(), "unsupported_version"));
    let mut low = good.clone();
    low["x25519"] = serde_json::json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    bad_docs.push((low.to_string(), "invalid_peer_value"));
    for (doc, want) in bad_docs {
        let r = proto::RegisterTokenRequest {
            service: doc.clone(),
            service_name: "svc".into(),
            service_version: "1".into(),
        };
        assert_eq!(
            err(c.register_token(r).await),
            (Code::InvalidArgument, want.into()),
            "{doc}"
        );
    }
    for (name, version) in [
        ("", "1"),
        ("evil\u{202e}gnp", "1"),
        ("line\nbreak", "1"),
        ("zero\u{200b}width", "1"),
        ("svc", ""),
        ("svc", "1\u{7}"),
        (&"n".repeat(129) as &str, "1"),
    ] {
        let mut r = register_request(&fresh, name);
        r.service_version = version.into();
        assert_eq!(
            err(c.register_token(r).await),
            (Code::InvalidArgument, "malformed".into()),
            "{name:?} {version:?}"
        );
    }
    assert_eq!(
        env.store().services(o.id, o.project).await.unwrap().len(),
        1
    );

    // GetProject: unknown and malformed.
    let gp = |p: String| proto::GetProjectRequest { project: p };
    assert_eq!(
        err(c
            .get_project(gp(VaultId::generate(&mut env.rng).to_string()))
            .await),
        (Code::NotFound, "project_not_found".into())
    );
    assert_eq!(
        err(c.get_project(gp("../../etc".into())).await),
        (Code::InvalidArgument, "malformed".into())
    );

    // Reads: bad blind indexes and hints; nothing filed.
    let good_bidx = o.bidx("NOPE");
    let other_project = ProjectKeys::generate(VaultId::generate(&mut env.rng), &mut env.rng);
    let foreign_hint = SealedToProject::seal(
        &other_project.public(),
        SealPurpose::Stub,
        &StubHint::new(SecretName::new("NOPE").unwrap(), "").unwrap(),
        &mut env.rng,
    )
    .unwrap();
    let mut huge_hint = serde_json::to_value(&foreign_hint).unwrap();
    huge_hint["project"] = serde_json::json!(o.project.to_string());
    huge_hint["ciphertext"] = serde_json::json!("A".repeat(4000));
    for (bidx, hint) in [
        ("".to_owned(), String::new()),
        ("AAAA".to_owned(), String::new()),
        (format!("{good_bidx}A"), String::new()),
        (good_bidx[..42].to_owned(), String::new()),
        ("!".repeat(43), String::new()),
        (good_bidx.clone(), "{}".to_owned()),
        (good_bidx.clone(), "{\"v\":1,\"unknown\":2}".to_owned()),
        (
            good_bidx.clone(),
            serde_json::to_string(&foreign_hint).unwrap(),
        ),
        (good_bidx.clone(), huge_hint.to_string()),
    ] {
        let r = proto::GetSecretRequest {
            blind_index: bidx.clone(),
            hint,
        };
        assert_eq!(
            err(c.get_secret(authed(&token, r)).await),
            (Code::InvalidArgument, "malformed".into()),
            "{bidx}"
        );
    }
    // One bad item spoils the batch: nothing filed for the good ones.
    let items = vec![
        proto::SecretRequest {
            blind_index: o.bidx("ALSO_MISSING"),
            hint: String::new(),
        },
        proto::SecretRequest {
            blind_index: "AAAA".into(),
            hint: String::new(),
        },
    ];
    assert_eq!(
        err(c
            .get_secrets(authed(&token, proto::GetSecretsRequest { items }))
            .await)
        .1,
        "malformed"
    );
    // Over the request cap: refused by the decoder.
    let big = proto::GetSecretRequest {
        blind_index: good_bidx.clone(),
        hint: "x".repeat(2 << 20),
    };
    assert_eq!(
        c.get_secret(authed(&token, big)).await.unwrap_err().code(),
        Code::OutOfRange
    );
    assert!(env.store().stubs(o.id, o.project).await.unwrap().is_empty());
    assert!(
        env.store()
            .access_requests(o.id, o.project)
            .await
            .unwrap()
            .is_empty()
    );

    // The server still works for the good token.
    let ring = keyring(&mut c, &token).await;
    assert!(read(&mut c, &token, &ring, "API_KEY").await.is_ok());

    // An address that keeps failing is refused outright for a while,
    // even with the right token (no lookups, no audit rows).
    let mut v6 = env.client(&env.v6).await;
    let mut last = String::new();
    for _ in 0..40 {
        let r = v6
            .get_access(with_header("vsa1.x.y", proto::GetAccessRequest {}))
            .await;
        last = err(r).1;
        if last == "rate_limited" {
            break;
        }
    }
    assert_eq!(last, "rate_limited");
    let s = v6
        .get_access(authed(&token, proto::GetAccessRequest {}))
        .await
        .unwrap_err();
    assert_eq!(code(&s), (Code::ResourceExhausted, "rate_limited".into()));
    assert!(s.metadata().get("vault-retry-after").is_some());
    // Other addresses are not affected.
    assert!(read(&mut c, &token, &ring, "API_KEY").await.is_ok());
    env.verify_audit().await;
    env.finish().await;
}

/// An access whose audit event cannot be written is refused, whether the
/// write fails or hangs (bounded by `audit_timeout`); nothing is served.
async fn audit_failure_refuses_access(backend: Backend) {
    let mut config = base_config();
    config.audit_timeout = Duration::from_millis(1000);
    let mut env = Env::start(backend, config).await;
    let o = env.owner("frank").await;
    env.secret(&o, "API_KEY", "v").await;
    let token = env.register(&o, "svc").await;
    env.approve(&o, &token, None).await;
    let mut c = env.client(&env.v4).await;
    let ring = keyring(&mut c, &token).await;
    assert!(read(&mut c, &token, &ring, "API_KEY").await.is_ok());
    let before = env.audit().await.len();

    // The write fails.
    let (block, unblock) = match &env.pg {
        Some(pg) => (
            format!("REVOKE INSERT ON audit_log FROM {}", pg.app),
            format!("GRANT INSERT ON audit_log TO {}", pg.app),
        ),
        None => (
            "CREATE TRIGGER block_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'blocked'); END"
                .to_owned(),
            "DROP TRIGGER block_audit".to_owned(),
        ),
    };
    env.raw(&block).await;
    assert_eq!(
        read(&mut c, &token, &ring, "API_KEY").await.unwrap_err(),
        (Code::Unavailable, "audit_unavailable".into())
    );
    let r = c
        .get_secrets(authed(
            &token,
            proto::GetSecretsRequest {
                items: vec![proto::SecretRequest {
                    blind_index: o.bidx("API_KEY"),
                    hint: String::new(),
                }],
            },
        ))
        .await;
    assert_eq!(err(r), (Code::Unavailable, "audit_unavailable".into()));
    env.raw(&unblock).await;
    assert!(read(&mut c, &token, &ring, "API_KEY").await.is_ok());

    // The write hangs: another transaction holds the chain's head.
    let started = Instant::now();
    match (&env.pg, &env.sqlite) {
        (Some(pg), _) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&pg.super_url()).await.unwrap();
            sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
            sqlx::query("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
                .execute(&mut conn)
                .await
                .unwrap();
            assert_eq!(
                read(&mut c, &token, &ring, "API_KEY").await.unwrap_err(),
                (Code::Unavailable, "audit_unavailable".into())
            );
            sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
        }
        (None, Some(path)) => {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut conn)
                .await
                .unwrap();
            assert_eq!(
                read(&mut c, &token, &ring, "API_KEY").await.unwrap_err(),
                (Code::Unavailable, "audit_unavailable".into())
            );
            sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
        }
        (None, None) => unreachable!(),
    }
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "refused within the audit timeout"
    );
    // Once the database answers again, reads are served and audited.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match read(&mut c, &token, &ring, "API_KEY").await {
            Ok(_) => break,
            Err(e) if Instant::now() < deadline => {
                assert_eq!(e.1, "audit_unavailable");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    let audit = env.audit().await;
    // The failed batch left nothing; the hung one may have committed
    // after its caller gave up (an attempt refused, never the reverse).
    assert!(audit.len() > before);
    assert!(audit.last().unwrap().action == "secret.access");
    env.verify_audit().await;
    env.finish().await;
}

/// Lists one `ListSecrets` page (the caller's names and values, decrypted)
/// and its next page token.
async fn list_page(
    c: &mut SecretsClient<Channel>,
    token: &ServiceToken,
    ring: &ServiceKeyring,
    page_size: u32,
    page_token: &str,
) -> Result<(Vec<(String, String)>, String), (Code, String)> {
    let r = c
        .list_secrets(authed(
            token,
            proto::ListSecretsRequest {
                page_size,
                page_token: page_token.into(),
            },
        ))
        .await
        .map_err(|s| code(&s))?
        .into_inner();
    let entries = r
        .secrets
        .iter()
        .map(|l| {
            let secret: EncryptedSecret = serde_json::from_str(&l.secret).unwrap();
            let version: EncryptedSecretVersion = serde_json::from_str(&l.version).unwrap();
            let e = ring.open_secret(&secret, &version).unwrap();
            (
                e.name.as_str().to_owned(),
                e.value.expose_secret().to_owned(),
            )
        })
        .collect();
    Ok((entries, r.next_page_token))
}

/// Every page of `ListSecrets`, sorted by name.
async fn list_all(
    c: &mut SecretsClient<Channel>,
    token: &ServiceToken,
    ring: &ServiceKeyring,
    page_size: u32,
) -> Result<Vec<(String, String)>, (Code, String)> {
    let mut all = Vec::new();
    let mut next = String::new();
    loop {
        let (page, token_) = list_page(c, token, ring, page_size, &next).await?;
        assert!(page.len() <= page_size.max(1) as usize || page_size == 0);
        all.extend(page);
        if token_.is_empty() {
            break;
        }
        next = token_;
    }
    all.sort();
    Ok(all)
}

/// `ListSecrets`: whole-project access lists every secret (in pages),
/// per-secret access only the granted ones; nothing is filed; each secret
/// handed out is audited as a read; pending, revoked and bad input are
/// refused.
async fn list_secrets(backend: Backend) {
    let mut env = Env::start(backend, base_config()).await;
    let o = env.owner("hana").await;
    let a = env.secret(&o, "API_KEY", "sk_live_list_a").await;
    env.secret(&o, "ADMIN_PASSWORD", "hunter2-list").await;
    let c_ = env.secret(&o, "DATABASE_URL", "postgres://list/db").await;
    let whole = env.register(&o, "lister").await;
    let some = env.register(&o, "picky").await;
    let mut c = env.client(&env.v4).await;

    // Pending: refused like every read.
    assert_eq!(
        err(c
            .list_secrets(authed(&whole, proto::ListSecretsRequest::default()))
            .await),
        (Code::FailedPrecondition, "pending_approval".into())
    );
    // No token: refused before anything else.
    assert_eq!(
        err(c.list_secrets(proto::ListSecretsRequest::default()).await),
        (Code::Unauthenticated, "unauthenticated".into())
    );

    env.approve(&o, &whole, None).await;
    env.approve(&o, &some, Some(&[&a, &c_])).await;
    let ring = keyring(&mut c, &whole).await;
    let everything = vec![
        ("ADMIN_PASSWORD".to_owned(), "hunter2-list".to_owned()),
        ("API_KEY".to_owned(), "sk_live_list_a".to_owned()),
        ("DATABASE_URL".to_owned(), "postgres://list/db".to_owned()),
    ];
    assert_eq!(
        list_all(&mut c, &whole, &ring, 0).await.unwrap(),
        everything
    );
    // In pages of two: a full page carries a token, the last one none.
    let (first, next) = list_page(&mut c, &whole, &ring, 2, "").await.unwrap();
    assert_eq!(first.len(), 2);
    assert!(!next.is_empty());
    let (second, last) = list_page(&mut c, &whole, &ring, 2, &next).await.unwrap();
    assert_eq!(second.len(), 1);
    assert!(last.is_empty());
    assert_eq!(
        list_all(&mut c, &whole, &ring, 1).await.unwrap(),
        everything
    );

    // Per-secret access: the granted ones only.
    let ring_some = keyring(&mut c, &some).await;
    assert_eq!(
        list_all(&mut c, &some, &ring_some, 0).await.unwrap(),
        vec![
            ("API_KEY".to_owned(), "sk_live_list_a".to_owned()),
            ("DATABASE_URL".to_owned(), "postgres://list/db".to_owned()),
        ]
    );
    // A new secret shows up for the whole-project service only.
    env.secret(&o, "NEW_ONE", "fresh").await;
    assert_eq!(list_all(&mut c, &whole, &ring, 0).await.unwrap().len(), 4);
    assert_eq!(
        list_all(&mut c, &some, &ring_some, 0).await.unwrap().len(),
        2
    );
    // Listing files no stub and no access request.
    assert!(env.store().stubs(o.id, o.project).await.unwrap().is_empty());
    assert!(
        env.store()
            .access_requests(o.id, o.project)
            .await
            .unwrap()
            .is_empty()
    );

    // Bad input.
    for (size, tok) in [
        (201, String::new()),
        (u32::MAX, String::new()),
        (0, "not-a-token".to_owned()),
        (0, "A".repeat(100)),
    ] {
        assert_eq!(
            list_page(&mut c, &whole, &ring, size, &tok)
                .await
                .unwrap_err(),
            (Code::InvalidArgument, "malformed".into()),
            "{size} {tok}"
        );
    }
    // A token past the last id: an empty page.
    let (empty, none) = list_page(
        &mut c,
        &whole,
        &ring,
        0,
        "ffffffff-ffff-4fff-bfff-ffffffffffff",
    )
    .await
    .unwrap();
    assert!(empty.is_empty() && none.is_empty());

    // Each secret handed out is a `secret.access` of that secret, by the
    // service that listed it.
    let audit = env.audit().await;
    let me = format!("service:{}", some.service());
    let mut read_by_some: Vec<String> = audit
        .iter()
        .filter(|l| {
            l.action == "secret.access"
                && l.outcome == "success"
                && l.actor.as_deref() == Some(me.as_str())
        })
        .map(|l| l.subject.clone().unwrap())
        .collect();
    read_by_some.sort();
    read_by_some.dedup();
    let mut granted = vec![
        format!("secret:{}", a.secret),
        format!("secret:{}", c_.secret),
    ];
    granted.sort();
    assert_eq!(read_by_some, granted);
    assert!(
        audit
            .iter()
            .filter(|l| l.actor.as_deref() == Some(me.as_str()) && l.action == "secret.access")
            .all(|l| l.remote.as_deref() == Some("127.0.0.1"))
    );

    // Revoked: unauthenticated, nothing listed.
    env.store()
        .revoke_service(o.id, o.project, some.service(), None)
        .await
        .unwrap();
    env.state.notify_service_changed(some.service()).await;
    assert_eq!(
        list_page(&mut c, &some, &ring_some, 0, "")
            .await
            .unwrap_err(),
        (Code::Unauthenticated, "unauthenticated".into())
    );
    // The other service is not affected.
    assert_eq!(list_all(&mut c, &whole, &ring, 0).await.unwrap().len(), 4);
    env.verify_audit().await;
    env.finish().await;
}

/// Registrations are throttled per address and capped per project.
async fn registration_limits(backend: Backend) {
    let mut config = base_config();
    config.limits.starts_per_minute = 104;
    let mut env = Env::start(backend, config).await;
    let o = env.owner("gina").await;
    let mut c = env.client(&env.v4).await;
    for i in 0..100 {
        let t = ServiceToken::generate(o.project, o.keys.public().ed25519, &mut env.rng);
        c.register_token(register_request(&t, &format!("svc-{i}")))
            .await
            .unwrap();
    }
    let mut codes = Vec::new();
    for _ in 0..6 {
        let t = ServiceToken::generate(o.project, o.keys.public().ed25519, &mut env.rng);
        codes.push(err(c
            .register_token(register_request(&t, "one-too-many"))
            .await));
    }
    let too_many = (Code::ResourceExhausted, "too_many_pending".to_owned());
    let limited = (Code::ResourceExhausted, "rate_limited".to_owned());
    assert_eq!(
        codes,
        vec![
            too_many.clone(),
            too_many.clone(),
            too_many.clone(),
            too_many,
            limited.clone(),
            limited
        ]
    );
    // Another address is not throttled (it still meets the cap).
    let mut v6 = env.client(&env.v6).await;
    let t = ServiceToken::generate(o.project, o.keys.public().ed25519, &mut env.rng);
    assert_eq!(
        err(v6.register_token(register_request(&t, "x")).await).1,
        "too_many_pending"
    );
    assert_eq!(
        env.store().services(o.id, o.project).await.unwrap().len(),
        100
    );
    env.finish().await;
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
    register_approve_and_read,
    stubs_requests_and_batches,
    watch_and_revocation,
    allowlists_and_client_addresses,
    bad_input_changes_nothing,
    audit_failure_refuses_access,
    registration_limits,
    list_secrets,
);
