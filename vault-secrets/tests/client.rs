//! `vault-secrets` against the real server in process: vault-sync's router
//! over a SQLite store (`vault_testkit::TestServer`) on 127.0.0.1, an admin
//! acting through vault-sync's own client (`UnlockedDevice`: projects,
//! secrets, approvals, stubs, requests, revocation over the HTTP API, as
//! the CLI does), and services acting only through `SecretsClient`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::future::Future;
use std::time::{Duration, Instant};
use vault_core::{KdfParams, KdfPolicy, VaultId};
use vault_secrets::{
    Access, ClientOptions, SecretString, SecretsClient, SecretsError, parse_token,
};
use vault_sync::client::{AccessSpec, Device, RequestStatus, UnlockedDevice};
use vault_sync::server::ServerConfig;
use vault_sync::server::ratelimit::LimitConfig;
use vault_testkit::{Db, TempDir, TestServer};

struct Env {
    server: TestServer,
    admin: UnlockedDevice,
    project: VaultId,
    reference: String,
    _root: TempDir,
}

impl Env {
    async fn start(label: &str) -> Env {
        let root = TempDir::new(label);
        let config = ServerConfig {
            fake_kdf: KdfParams::INSECURE_TEST_ONLY,
            limits: LimitConfig {
                starts_per_minute: 10_000,
                ..LimitConfig::default()
            },
            ..ServerConfig::default()
        };
        let server =
            TestServer::start(Db::Sqlite(root.join("server").join("server.db")), config).await;
        let options = vault_sync::client::ClientOptions {
            kdf_policy: KdfPolicy::PERMISSIVE_TEST_ONLY,
            ..Default::default()
        };
        let mut admin = Device::open(root.join("admin"), options)
            .await
            .unwrap()
            .register(
                &server.url,
                &format!("{label}@example.test"),
                "correct horse battery staple",
                KdfParams::INSECURE_TEST_ONLY,
            )
            .await
            .unwrap();
        let created = admin.create_project("billing").await.unwrap();
        Env {
            server,
            admin,
            project: created.project,
            reference: created.reference,
            _root: root,
        }
    }

    async fn set(&mut self, name: &str, value: &str) {
        self.admin
            .set_secret(self.project, name, value, "")
            .await
            .unwrap();
    }

    /// A client for a token an admin issued (approved from the start).
    async fn issued(&mut self, access: AccessSpec, ttl: Duration) -> SecretsClient {
        let issued = self
            .admin
            .issue_service_token(self.project, "ci", &access, None)
            .await
            .unwrap();
        let token = parse_token(issued.token.expose_secret()).unwrap();
        SecretsClient::connect_with(&self.server.url, token, options(ttl))
            .await
            .unwrap()
    }

    /// Rows in the server's audit log (every read appends one per secret
    /// before it is answered).
    async fn audit_rows(&self) -> u64 {
        self.server.state.store.audit_verify().await.unwrap().rows
    }

    async fn finish(mut self) {
        self.server.stop().await;
        self.server.state.store.close().await;
    }
}

fn options(ttl: Duration) -> ClientOptions {
    ClientOptions {
        cache_ttl: ttl,
        ..ClientOptions::default()
    }
}

/// Polls `f` until it returns `Some` (10 s at most).
async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn text(v: &SecretString) -> &str {
    v.expose_secret()
}

/// Self-registration: register → reads wait for approval → an admin
/// compares the fingerprint and approves → reads work; a replayed
/// registration is refused; an unknown token is unauthenticated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_wait_for_approval_then_read() {
    let mut env = Env::start("register").await;
    env.set("DATABASE_URL", "postgres://db/prod").await;

    let token = vault_secrets::new_token(&env.reference).unwrap();
    assert_eq!(token.project(), env.project);
    let client = SecretsClient::connect(&env.server.url, token.clone())
        .await
        .unwrap();
    let reg = client.register("billing-api", "1.4.2").await.unwrap();
    assert_eq!(reg.project.project, env.project);
    assert_eq!(reg.fingerprint, client.fingerprint());

    assert!(matches!(
        client.get("DATABASE_URL").await,
        Err(SecretsError::PendingApproval)
    ));
    assert!(matches!(
        client.access().await,
        Err(SecretsError::PendingApproval)
    ));
    assert!(matches!(
        client.register("billing-api", "1.4.2").await,
        Err(SecretsError::AlreadyRegistered)
    ));

    // The admin sees the same digits and approves.
    let services = env.admin.services(env.project).await.unwrap();
    let s = services
        .iter()
        .find(|s| s.service == client.service())
        .unwrap();
    assert_eq!(s.fingerprint, reg.fingerprint);
    assert_eq!(s.name, "billing-api");
    env.admin
        .approve_service(
            env.project,
            client.service(),
            Some(&reg.fingerprint),
            &AccessSpec::WholeProject,
        )
        .await
        .unwrap();

    assert_eq!(client.access().await.unwrap(), Access::WholeProject);
    let url = client.get("DATABASE_URL").await.unwrap();
    assert_eq!(text(&url), "postgres://db/prod");
    // Names are normalised as the admin's client does (fullwidth → ASCII).
    assert_eq!(
        text(&client.get("ＤＡＴＡＢＡＳＥ_ＵＲＬ").await.unwrap()),
        "postgres://db/prod"
    );
    assert!(matches!(
        client.get("BAD=NAME").await,
        Err(SecretsError::InvalidArgument(_))
    ));

    // Nothing secret in Debug or in errors.
    let dbg = format!("{client:?}");
    assert!(!dbg.contains("postgres://"));
    assert!(!dbg.contains(&token.to_text().expose_secret()[5..30]));
    assert_eq!(format!("{url:?}"), "SecretString(<redacted>)");

    // A token the server never saw.
    let stranger = vault_secrets::new_token(&env.reference).unwrap();
    let stranger = SecretsClient::connect(&env.server.url, stranger)
        .await
        .unwrap();
    let e = stranger.get("DATABASE_URL").await.unwrap_err();
    assert!(matches!(e, SecretsError::Unauthenticated), "{e:?}");
    env.finish().await;
}

/// A missing name files a stub carrying the name and description; an
/// ungranted secret files an access request (then `AccessDenied` once an
/// admin refuses); batches, listings and `get_all` see only what is
/// granted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stubs_requests_batches_and_listings() {
    let mut env = Env::start("stubs").await;
    env.set("DATABASE_URL", "postgres://db/prod").await;
    env.set("ADMIN_PASSWORD", "hunter2").await;
    let client = env
        .issued(
            AccessSpec::Secrets(vec!["DATABASE_URL".into()]),
            Duration::from_secs(60),
        )
        .await;
    assert_eq!(client.access().await.unwrap(), Access::Secrets);

    // Missing: a stub with the name and the description.
    let e = client
        .get_with_description("STRIPE_KEY", "charges customers")
        .await
        .unwrap_err();
    assert!(matches!(e, SecretsError::NotFound), "{e:?}");
    assert!(!e.to_string().contains("STRIPE_KEY"));
    let stubs = env.admin.stubs(env.project).await.unwrap();
    assert_eq!(stubs.len(), 1);
    assert_eq!(stubs[0].name.as_ref().unwrap().as_str(), "STRIPE_KEY");
    assert_eq!(stubs[0].askers[0].service, client.service());
    assert_eq!(
        stubs[0].askers[0].description.as_deref(),
        Some("charges customers")
    );

    // Not granted: an access request naming the secret.
    let e = client.get("ADMIN_PASSWORD").await.unwrap_err();
    assert!(matches!(e, SecretsError::AccessRequested), "{e:?}");
    let requests = env.admin.requests(env.project).await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].service, client.service());
    assert_eq!(
        requests[0].secret_name.as_ref().unwrap().as_str(),
        "ADMIN_PASSWORD"
    );
    assert_eq!(
        requests[0].hint.as_ref().unwrap().name.as_str(),
        "ADMIN_PASSWORD"
    );
    assert_eq!(requests[0].status, RequestStatus::Pending);
    env.admin
        .deny_request(env.project, client.service(), requests[0].secret)
        .await
        .unwrap();
    assert!(matches!(
        client.get("ADMIN_PASSWORD").await,
        Err(SecretsError::AccessDenied)
    ));

    // One round trip, per-name outcomes in order.
    let got = client
        .get_many(&["DATABASE_URL", "STRIPE_KEY", "ADMIN_PASSWORD"])
        .await
        .unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(text(got[0].as_ref().unwrap()), "postgres://db/prod");
    assert!(matches!(got[1], Err(SecretsError::NotFound)));
    assert!(matches!(got[2], Err(SecretsError::AccessDenied)));

    // The listing has the granted secret only.
    let listed = client.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0.as_str(), "DATABASE_URL");
    assert_eq!(text(&listed[0].1), "postgres://db/prod");

    // A struct: required fields must be there, optional ones may not be.
    #[derive(serde::Deserialize)]
    struct Needs {
        database_url: SecretString,
        stripe_key: Option<String>,
        #[serde(rename = "ADMIN_PASSWORD")]
        admin: Option<SecretString>,
    }
    let n: Needs = client.get_all().await.unwrap();
    assert_eq!(text(&n.database_url), "postgres://db/prod");
    assert!(n.stripe_key.is_none() && n.admin.is_none());
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct NeedsStripe {
        stripe_key: String,
    }
    assert!(matches!(
        client.get_all::<NeedsStripe>().await,
        Err(SecretsError::NotFound)
    ));
    assert!(matches!(
        client.get_all::<String>().await,
        Err(SecretsError::Config(_))
    ));

    // By schema: descriptions go into the stubs; required ones must exist.
    let schema = vault_secrets::schema::SecretsSchema::parse(
        r#"{"type":"object","properties":{
            "DATABASE_URL":{"type":"string","description":"primary database"},
            "REDIS_URL":{"type":"string","description":"job queue"}},
            "required":["DATABASE_URL"]}"#,
    )
    .unwrap();
    #[derive(serde::Deserialize)]
    struct BySchema {
        database_url: String,
        redis_url: Option<String>,
    }
    let s: BySchema = client.get_all_with_schema(&schema).await.unwrap();
    assert_eq!(s.database_url, "postgres://db/prod");
    assert!(s.redis_url.is_none());
    let stubs = env.admin.stubs(env.project).await.unwrap();
    let redis = stubs
        .iter()
        .find(|s| s.name.as_ref().is_some_and(|n| n.as_str() == "REDIS_URL"))
        .unwrap();
    assert_eq!(redis.askers[0].description.as_deref(), Some("job queue"));
    let strict = vault_secrets::schema::SecretsSchema::parse(
        r#"{"properties":{"REDIS_URL":{"type":"string"}},"required":["REDIS_URL"]}"#,
    )
    .unwrap();
    assert!(matches!(
        client.get_all_with_schema::<BySchema>(&strict).await,
        Err(SecretsError::NotFound)
    ));

    // Once filled and granted, the service reads it.
    env.admin
        .fill_stub(env.project, "STRIPE_KEY", "sk_live_x", "")
        .await
        .unwrap();
    assert_eq!(text(&client.get("STRIPE_KEY").await.unwrap()), "sk_live_x");
    env.finish().await;
}

/// Whole-project access lists everything; values are served from the
/// cache within the TTL (no server call: no audit row) and fetched again
/// after it; a watcher drops a changed value at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_ttl_and_watch_invalidation() {
    let mut env = Env::start("cache").await;
    env.set("API_KEY", "one").await;
    env.set("DATABASE_URL", "postgres://db/prod").await;
    let ttl = Duration::from_millis(1500);
    let client = env.issued(AccessSpec::WholeProject, ttl).await;

    let names: Vec<String> = client
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|(n, _)| n.as_str().to_owned())
        .collect();
    assert_eq!(names, ["API_KEY", "DATABASE_URL"]);

    // Within the TTL: from memory (the listing cached it; no audit row),
    // even after the value changed on the server.
    let rows = env.audit_rows().await;
    let started = Instant::now();
    assert_eq!(text(&client.get("API_KEY").await.unwrap()), "one");
    env.set("API_KEY", "two").await;
    let after_write = env.audit_rows().await;
    if started.elapsed() < ttl {
        assert_eq!(text(&client.get("API_KEY").await.unwrap()), "one");
        assert_eq!(env.audit_rows().await, after_write);
    }
    assert!(after_write > rows, "the admin's write is audited");
    // After the TTL: from the server.
    tokio::time::sleep(ttl).await;
    assert_eq!(text(&client.get("API_KEY").await.unwrap()), "two");
    assert_eq!(env.audit_rows().await, after_write + 1);

    // With a long TTL, only the watcher makes a change visible.
    let watched = env
        .issued(AccessSpec::WholeProject, Duration::from_secs(3600))
        .await;
    let unwatched = env
        .issued(AccessSpec::WholeProject, Duration::from_secs(3600))
        .await;
    watched.watch().await.unwrap();
    assert!(watched.is_watching());
    watched.watch().await.unwrap(); // idempotent
    assert_eq!(text(&watched.get("API_KEY").await.unwrap()), "two");
    assert_eq!(
        text(&watched.get("DATABASE_URL").await.unwrap()),
        "postgres://db/prod"
    );
    assert_eq!(text(&unwatched.get("API_KEY").await.unwrap()), "two");
    env.set("API_KEY", "three").await;
    eventually("the watcher to drop the changed value", || async {
        (text(&watched.get("API_KEY").await.unwrap()) == "three").then_some(())
    })
    .await;
    assert_eq!(text(&unwatched.get("API_KEY").await.unwrap()), "two");
    // The event named one secret: the other one's value stays cached.
    let rows = env.audit_rows().await;
    assert_eq!(
        text(&watched.get("DATABASE_URL").await.unwrap()),
        "postgres://db/prod"
    );
    assert_eq!(env.audit_rows().await, rows);

    // Caching off: every read asks.
    let uncached = env.issued(AccessSpec::WholeProject, Duration::ZERO).await;
    let before = env.audit_rows().await;
    uncached.get("API_KEY").await.unwrap();
    uncached.get("API_KEY").await.unwrap();
    assert_eq!(env.audit_rows().await, before + 2);
    watched.unwatch();
    assert!(!watched.is_watching());
    env.finish().await;
}

/// Revocation: the watcher drops everything on REVOKED and reads fail
/// from then on; a service that keeps access follows the rotation that
/// revocation triggers (its cached keyring is stale, it fetches fresh
/// grants once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_and_rotation() {
    let mut env = Env::start("revoke").await;
    env.set("API_KEY", "one").await;
    let victim = env
        .issued(AccessSpec::WholeProject, Duration::from_secs(3600))
        .await;
    let survivor = env.issued(AccessSpec::WholeProject, Duration::ZERO).await;
    victim.watch().await.unwrap();
    assert_eq!(text(&victim.get("API_KEY").await.unwrap()), "one");
    assert_eq!(text(&survivor.get("API_KEY").await.unwrap()), "one");

    let report = env
        .admin
        .revoke_service(env.project, victim.service())
        .await
        .unwrap();
    assert!(report.vault_key_version.is_some(), "the vault key rotated");
    // The cached value is gone with the REVOKED event; the server refuses.
    let e = eventually("the revocation to reach the client", || async {
        victim.get("API_KEY").await.err()
    })
    .await;
    assert!(matches!(e, SecretsError::Unauthenticated), "{e:?}");
    assert!(matches!(
        victim.list().await,
        Err(SecretsError::Unauthenticated)
    ));
    eventually("the watcher to stop", || async {
        (!victim.is_watching()).then_some(())
    })
    .await;

    // The survivor's keyring predates the rotation: it fetches new grants.
    assert_eq!(text(&survivor.get("API_KEY").await.unwrap()), "one");
    env.set("API_KEY", "two").await;
    assert_eq!(text(&survivor.get("API_KEY").await.unwrap()), "two");
    assert_eq!(survivor.list().await.unwrap().len(), 1);

    // Without a watcher, a revoked client is refused once its cache
    // expires (here: no cache).
    let revoked_quietly = env.issued(AccessSpec::WholeProject, Duration::ZERO).await;
    assert!(revoked_quietly.get("API_KEY").await.is_ok());
    env.admin
        .revoke_service(env.project, revoked_quietly.service())
        .await
        .unwrap();
    assert!(matches!(
        revoked_quietly.get("API_KEY").await,
        Err(SecretsError::Unauthenticated)
    ));
    env.finish().await;
}

/// Connecting refuses plain HTTP beyond this host and reports a server
/// that is not there as a transport error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting() {
    let token = vault_secrets::new_token(
        "vpr1.11111111-1111-4111-8111-111111111111.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    .unwrap();
    let e = SecretsClient::connect("http://vault.example.com", token.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            SecretsError::Config(vault_secrets::ConfigError::InsecureHttp)
        ),
        "{e:?}"
    );
    // A closed port on loopback.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let e = SecretsClient::connect(&format!("http://127.0.0.1:{port}"), token.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            SecretsError::Transport { .. } | SecretsError::Unavailable { .. }
        ),
        "{e:?}"
    );
    assert!(matches!(
        vault_secrets::new_token("vpr1.nope"),
        Err(SecretsError::InvalidArgument(_))
    ));
}
