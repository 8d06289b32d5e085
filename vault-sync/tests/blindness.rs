//! Blindness: after a whole machine-secrets session (an admin creates a
//! project and secrets, issues a token, approves a service that registered
//! itself; services read by name, ask for a missing name with a sealed
//! hint and for an ungranted secret; the admin reads the requests and
//! stubs, fills the stub, grants the request, reads the history), no
//! secret's value or name, no description, no hint text, no project name
//! and no password is anywhere the server keeps or says anything: every
//! column of every table (SQLite, and the raw bytes of its database and
//! WAL files; Postgres, every row as text read by the superuser) and
//! every log event the process emitted at TRACE (a capturing `tracing`
//! subscriber installed for the run).
//!
//! Each run draws fresh random markers, so nothing from another run (or
//! the other backend's test, running alongside in this process and
//! sharing the log capture) can match. Each text is looked for raw
//! (ASCII case-insensitive), hex-encoded, as UTF-16LE (raw files), and
//! inside base64/base64url of any blob it might be part of.
//!
//! The scan proves it can fail: the same scan must find what is stored in
//! the clear by design (the service's self-chosen name and software
//! version, an issued token's name, the project's allowlist CIDR) and,
//! in the logs, the server's own debug events of this session's flows.
//!
//! The server is vault-sync's router over a real store (`vault_testkit::
//! TestServer`); the admin is `vault_sync::client::UnlockedDevice` over the
//! HTTP API, as the CLI does it; services speak gRPC with tonic's generated
//! client and decrypt with their own `ServiceKeyring`.
#![cfg(all(feature = "server", feature = "grpc-client"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use base64::Engine as _;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use vault_core::machine::{
    EncryptedSecret, EncryptedSecretVersion, ProjectPublic, SealPurpose, SecretEntry, SecretName,
    ServiceGrant, ServiceKeyring, ServiceToken,
};
use vault_core::{KdfParams, KdfPolicy, VaultId, rng};
use vault_sync::client::{AccessSpec, ClientOptions, Device, RequestStatus, UnlockedDevice};
use vault_sync::grpc::proto;
use vault_sync::grpc::proto::secrets_client::SecretsClient;
use vault_sync::server::ServerConfig;
use vault_sync::server::ratelimit::LimitConfig;
use vault_testkit::{Db, PgEnv, TempDir, TestServer};

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

// ============================================================ log capture

/// Every span and event of the process, formatted (target, name or
/// message, every field), in order.
struct Capture {
    lines: Mutex<Vec<String>>,
    next_span: AtomicU64,
}

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Capture {
    fn push(&self, line: String) {
        self.lines.lock().unwrap().push(line);
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, attrs: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let m = attrs.metadata();
        let mut line = format!("{} span {} {}:", m.level(), m.target(), m.name());
        attrs.record(&mut Fields(&mut line));
        self.push(line);
        tracing::span::Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut line = "span record:".to_owned();
        values.record(&mut Fields(&mut line));
        self.push(line);
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let m = event.metadata();
        let mut line = format!("{} {}:", m.level(), m.target());
        event.record(&mut Fields(&mut line));
        self.push(line);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

/// The process-wide capture, installed (once) before anything logs.
fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<Arc<Capture>> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let c = Arc::new(Capture {
            lines: Mutex::new(Vec::new()),
            next_span: AtomicU64::new(1),
        });
        tracing::subscriber::set_global_default(c.clone())
            .expect("no other subscriber in this test binary");
        c
    })
}

// ============================================================ the scan

/// Where a text was found, and in which encoding.
#[derive(Debug, PartialEq, Eq)]
struct Hit {
    what: String,
    encoding: &'static str,
}

/// The base64 (standard and URL alphabets, unpadded) of `needle` as it
/// would appear inside the encoding of any longer blob, whatever its
/// alignment: each of the three offsets, without the characters the
/// neighbouring bytes change.
fn base64_cores(needle: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for engine in [
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        for k in 0..3usize {
            let mut bytes = vec![0u8; k];
            bytes.extend_from_slice(needle);
            let enc = engine.encode(&bytes);
            // Without the leading characters that hold bits of the k
            // prefix bytes and the last one if it holds bits of whatever
            // follows.
            let skip = (k * 8).div_ceil(6);
            let full = bytes.len() * 8 / 6;
            out.push(enc[skip..full].to_owned());
        }
    }
    out
}

/// Every encoding of `needle` found in `hay`.
fn find(hay: &str, hay_lower: &str, needle: &str) -> Vec<&'static str> {
    let lower = needle.to_ascii_lowercase();
    let mut found = Vec::new();
    if hay_lower.contains(&lower) {
        found.push("text");
    }
    if hay_lower.contains(&hex::encode(needle.as_bytes())) {
        found.push("hex");
    }
    let utf16: String = lower.chars().flat_map(|c| [c, '\0']).collect();
    if hay_lower.contains(&utf16) {
        found.push("utf-16le");
    }
    if base64_cores(needle.as_bytes())
        .iter()
        .any(|core| hay.contains(core.as_str()))
    {
        found.push("base64");
    }
    found
}

/// A place the server keeps or says things, as text (raw bytes decoded
/// lossily: every ASCII run survives).
struct Haystack {
    name: String,
    text: String,
    lower: String,
}

impl Haystack {
    fn new(name: impl Into<String>, text: String) -> Haystack {
        let lower = text.to_ascii_lowercase();
        Haystack {
            name: name.into(),
            text,
            lower,
        }
    }

    fn bytes(name: impl Into<String>, bytes: &[u8]) -> Haystack {
        Haystack::new(name, String::from_utf8_lossy(bytes).into_owned())
    }

    fn hits(&self, needles: &[String]) -> Vec<Hit> {
        let mut out = Vec::new();
        for n in needles {
            for encoding in find(&self.text, &self.lower, n) {
                out.push(Hit {
                    what: n.clone(),
                    encoding,
                });
            }
        }
        out
    }

    /// Asserts no needle is in it.
    fn assert_blind(&self, secrets: &[String]) {
        let hits = self.hits(secrets);
        assert!(
            hits.is_empty(),
            "{} holds plaintext: {hits:?} (in {} bytes)",
            self.name,
            self.text.len()
        );
    }

    /// Asserts every marker is in it (raw): the scan sees the data.
    fn assert_sees(&self, markers: &[String]) {
        for m in markers {
            assert!(
                find(&self.text, &self.lower, m).contains(&"text"),
                "{} should hold the clear-text marker {m:?}: the scan is blind itself",
                self.name
            );
        }
    }
}

/// Every row of every table, as text, read by the superuser (Postgres) or
/// a second connection on the file (SQLite: every column, blobs as hex).
async fn dump(db: &Db, pg: Option<&PgEnv>) -> String {
    let mut out = String::new();
    match (db, pg) {
        (Db::Postgres(_), Some(pg)) => {
            let sup = pg.super_pool().await;
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            )
            .fetch_all(&sup)
            .await
            .unwrap();
            assert!(tables.len() > 20, "{tables:?}");
            for t in tables {
                let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT x::text FROM {t} x"))
                    .fetch_all(&sup)
                    .await
                    .unwrap();
                let _ = writeln!(out, "== {t} ({} rows)", rows.len());
                for r in rows {
                    out.push_str(&r);
                    out.push('\n');
                }
            }
            sup.close().await;
        }
        (Db::Sqlite(path), _) => {
            let opts = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(path)
                .read_only(true);
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(opts)
                .await
                .unwrap();
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            assert!(tables.len() > 20, "{tables:?}");
            for t in tables {
                let cols: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{t}')"))
                        .fetch_all(&pool)
                        .await
                        .unwrap();
                let expr = cols
                    .iter()
                    .map(|c| {
                        format!(
                            "coalesce(CASE WHEN typeof(\"{c}\") = 'blob' THEN hex(\"{c}\") \
                             ELSE CAST(\"{c}\" AS TEXT) END, '')"
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT {expr} FROM \"{t}\""))
                    .fetch_all(&pool)
                    .await
                    .unwrap();
                let _ = writeln!(out, "== {t} ({} rows)", rows.len());
                for r in rows {
                    out.push_str(&r);
                    out.push('\n');
                }
            }
            pool.close().await;
        }
        (Db::Postgres(_), None) => unreachable!(),
    }
    out
}

/// The SQLite files' raw bytes (main file, WAL, shared memory), each if
/// present.
fn raw_files(db: &Db) -> Vec<Haystack> {
    let Db::Sqlite(path) = db else {
        return Vec::new();
    };
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .filter_map(|suffix| {
            let p = format!("{}{suffix}", path.display());
            std::fs::read(&p)
                .ok()
                .map(|b| Haystack::bytes(format!("raw file {p}"), &b))
        })
        .collect()
}

// ============================================================ service side

fn authed<T>(token: &ServiceToken, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", token.auth_header().expose_secret())
            .parse()
            .unwrap(),
    );
    r
}

fn code(s: &Status) -> (Code, String) {
    (
        s.code(),
        s.metadata()
            .get("vault-error-code")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
    )
}

/// GetAccess, opened into the service's keyring.
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

/// GetSecret by name (with an optional sealed hint), decrypted.
async fn get(
    c: &mut SecretsClient<Channel>,
    token: &ServiceToken,
    ring: &ServiceKeyring,
    name: &str,
    hint: Option<(SealPurpose, &str)>,
) -> Result<SecretEntry, (Code, String)> {
    let name = SecretName::new(name).unwrap();
    let hint = match hint {
        Some((purpose, text)) => serde_json::to_string(
            &ring
                .seal_hint(purpose, &name, text, &mut rng::os_rng())
                .unwrap(),
        )
        .unwrap(),
        None => String::new(),
    };
    let r = c
        .get_secret(authed(
            token,
            proto::GetSecretRequest {
                blind_index: ring.blind_index(&name).unwrap().to_string(),
                hint,
            },
        ))
        .await
        .map_err(|s| code(&s))?
        .into_inner();
    let secret: EncryptedSecret = serde_json::from_str(&r.secret).unwrap();
    let version: EncryptedSecretVersion = serde_json::from_str(&r.version).unwrap();
    Ok(ring.open_named(&name, &secret, &version).unwrap())
}

fn value(e: &SecretEntry) -> &str {
    e.value.expose_secret()
}

// ============================================================ the session

/// Random per run: a lowercase hex tag.
fn tag() -> String {
    let id = VaultId::generate(&mut rng::os_rng()).to_string();
    id.replace('-', "")[..16].to_owned()
}

async fn blind_server(backend: Backend) {
    let logs = capture();
    let first_line = logs.lines.lock().unwrap().len();
    let root = TempDir::new("blindness");
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(PgEnv::migrated("blindness").await),
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
        ..ServerConfig::default()
    };
    let mut server = TestServer::start(db.clone(), config).await;

    // ---- What must never reach the server, random per run.
    let t = tag();
    let up = t.to_ascii_uppercase();
    let password = format!("blind-password-{t}");
    let project_name = format!("BLIND_PROJECT_{up}");
    let names: Vec<String> = (0..4).map(|i| format!("BLIND_NAME_{i}_{up}")).collect();
    let values: Vec<String> = (0..4).map(|i| format!("blind-value-{i}-{t}")).collect();
    let descriptions: Vec<String> = (0..4).map(|i| format!("blind-desc-{i}-{t}")).collect();
    let second_value = format!("blind-value-second-{t}");
    let second_description = format!("blind-desc-second-{t}");
    let missing = format!("BLIND_MISSING_{up}");
    let stub_hint = format!("blind-hint-stub-{t}");
    let request_hint = format!("blind-hint-request-{t}");
    let filled_value = format!("blind-value-filled-{t}");
    let filled_description = format!("blind-desc-filled-{t}");
    let mut secrets: Vec<String> = vec![
        password.clone(),
        project_name.clone(),
        second_value.clone(),
        second_description.clone(),
        missing.clone(),
        stub_hint.clone(),
        request_hint.clone(),
        filled_value.clone(),
        filled_description.clone(),
    ];
    secrets.extend(names.iter().cloned());
    secrets.extend(values.iter().cloned());
    secrets.extend(descriptions.iter().cloned());
    // What is stored in the clear by design (docs/secrets.md).
    let service_name = format!("blind-svc-{t}");
    let service_version = format!("blind-ver-{t}");
    let ci_name = format!("blind-ci-{t}");

    // ---- The admin: a project, its allowlist, secrets (one with two versions).
    let options = ClientOptions {
        kdf_policy: KdfPolicy::PERMISSIVE_TEST_ONLY,
        ..ClientOptions::default()
    };
    let mut admin: UnlockedDevice = Device::open(root.join("admin"), options)
        .await
        .unwrap()
        .register(
            &server.url,
            &format!("admin-{t}@example.test"),
            &password,
            KdfParams::INSECURE_TEST_ONLY,
        )
        .await
        .unwrap();
    let created = admin.create_project(&project_name).await.unwrap();
    let project = created.project;
    let cidr = format!("2001:db8:{}:{}::/64", &t[..4], &t[4..8]);
    let allowlist = admin
        .set_project_allowlist(project, &["127.0.0.0/8".to_owned(), cidr])
        .await
        .unwrap();
    assert_eq!(allowlist.len(), 2);
    let cidr = allowlist[1].clone();
    for i in 0..4 {
        admin
            .set_secret(project, &names[i], &values[i], &descriptions[i])
            .await
            .unwrap();
    }
    let w = admin
        .set_secret(project, &names[0], &second_value, &second_description)
        .await
        .unwrap();
    assert_eq!(w.version, 2);

    // ---- A service registers itself (gRPC), the admin checks its
    // fingerprint and approves it for names 0 and 1.
    let ch = Channel::from_shared(server.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut c = SecretsClient::new(ch);
    let public: ProjectPublic = serde_json::from_str(
        &c.get_project(proto::GetProjectRequest {
            project: project.to_string(),
        })
        .await
        .unwrap()
        .into_inner()
        .project,
    )
    .unwrap();
    public.verify(None).unwrap();
    assert_eq!(public.fingerprint(), created.fingerprint);
    let token = ServiceToken::generate(project, public.ed25519, &mut rng::os_rng());
    let reg = c
        .register_token(proto::RegisterTokenRequest {
            service: serde_json::to_string(&token.public()).unwrap(),
            service_name: service_name.clone(),
            service_version: service_version.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reg.status, "pending_approval");
    admin
        .approve_service(
            project,
            token.service(),
            Some(&reg.fingerprint),
            &AccessSpec::Secrets(vec![names[0].clone(), names[1].clone()]),
        )
        .await
        .unwrap();

    // ---- It reads by name: one at a time, and a batch.
    let ring = keyring(&mut c, &token).await;
    let e = get(&mut c, &token, &ring, &names[0], None).await.unwrap();
    assert_eq!(value(&e), second_value);
    assert_eq!(e.description, second_description);
    let e = get(&mut c, &token, &ring, &names[1], None).await.unwrap();
    assert_eq!(value(&e), values[1]);
    let items: Vec<proto::SecretRequest> = [&names[0], &names[1], &names[2]]
        .iter()
        .map(|n| proto::SecretRequest {
            blind_index: ring
                .blind_index(&SecretName::new(n).unwrap())
                .unwrap()
                .to_string(),
            hint: String::new(),
        })
        .collect();
    let res = c
        .get_secrets(authed(&token, proto::GetSecretsRequest { items }))
        .await
        .unwrap()
        .into_inner()
        .results;
    assert_eq!(res.len(), 3);
    for (r, want) in res.iter().zip([&second_value, &values[1]]) {
        assert_eq!(r.outcome(), proto::Outcome::Found);
        let e = ring
            .open_secret(
                &serde_json::from_str(&r.secret).unwrap(),
                &serde_json::from_str(&r.version).unwrap(),
            )
            .unwrap();
        assert_eq!(value(&e), want.as_str());
    }
    assert_eq!(res[2].outcome(), proto::Outcome::PermissionDenied);
    let listed = c
        .list_secrets(authed(
            &token,
            proto::ListSecretsRequest {
                page_size: 0,
                page_token: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.secrets.len(), 2);

    // A missing name, with its hint sealed to the project: a stub.
    assert_eq!(
        get(
            &mut c,
            &token,
            &ring,
            &missing,
            Some((SealPurpose::Stub, &stub_hint))
        )
        .await
        .unwrap_err(),
        (Code::NotFound, "secret_not_found".into())
    );
    // An existing one not granted, with a reason: an access request.
    assert_eq!(
        get(
            &mut c,
            &token,
            &ring,
            &names[2],
            Some((SealPurpose::Request, &request_hint))
        )
        .await
        .unwrap_err(),
        (Code::PermissionDenied, "access_requested".into())
    );

    // ---- An issued token (CI) reads name 3.
    let issued = admin
        .issue_service_token(
            project,
            &ci_name,
            &AccessSpec::Secrets(vec![names[3].clone()]),
            Some(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    let ci = ServiceToken::parse(issued.token.expose_secret()).unwrap();
    let ci_ring = keyring(&mut c, &ci).await;
    let e = get(&mut c, &ci, &ci_ring, &names[3], None).await.unwrap();
    assert_eq!(value(&e), values[3]);

    // ---- The admin: requests and stubs (hints opened), fills the stub,
    // grants the request, lists, reads the history.
    let requests = admin.requests(project).await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].status, RequestStatus::Pending);
    assert_eq!(
        requests[0].secret_name.as_ref().map(SecretName::as_str),
        Some(names[2].as_str())
    );
    assert_eq!(
        requests[0].hint.as_ref().map(|h| h.description.as_str()),
        Some(request_hint.as_str())
    );
    assert_eq!(
        requests[0].service_name.as_deref(),
        Some(service_name.as_str())
    );
    let stubs = admin.stubs(project).await.unwrap();
    assert_eq!(stubs.len(), 1);
    assert_eq!(
        stubs[0].name.as_ref().map(SecretName::as_str),
        Some(missing.as_str())
    );
    assert_eq!(
        stubs[0].askers[0].description.as_deref(),
        Some(stub_hint.as_str())
    );
    let filled = admin
        .fill_stub(project, &missing, &filled_value, &filled_description)
        .await
        .unwrap();
    assert_eq!(filled.granted, vec![token.service()]);
    admin
        .grant_request(project, token.service(), requests[0].secret)
        .await
        .unwrap();
    assert!(admin.stubs(project).await.unwrap().is_empty());
    let all = admin.list_secrets(project).await.unwrap();
    assert_eq!(all.len(), 5);
    let history = admin.secret_history(project, &names[0]).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|v| v.value.expose_secret().to_owned())
            .collect::<Vec<_>>(),
        vec![values[0].clone(), second_value.clone()]
    );
    assert_eq!(history[0].description, descriptions[0]);
    let services = admin.services(project).await.unwrap();
    assert_eq!(services.len(), 2);

    // The service now reads the filled stub and the granted request.
    let ring = keyring(&mut c, &token).await;
    let e = get(&mut c, &token, &ring, &missing, None).await.unwrap();
    assert_eq!(value(&e), filled_value);
    let e = get(&mut c, &token, &ring, &names[2], None).await.unwrap();
    assert_eq!(value(&e), values[2]);
    // Counters reach the store.
    server.state.flush_usage().await;
    assert!(
        admin
            .list_secrets(project)
            .await
            .unwrap()
            .iter()
            .any(|s| s.uses > 0)
    );

    // The services' credentials: the auth header is sent with every call
    // (the server keeps a SHA-256 of its secret), the token text never.
    for tok in [&token, &ci] {
        let header = tok.auth_header().expose_secret().to_owned();
        let secret = header.rsplit('.').next().unwrap().to_owned();
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&secret)
            .unwrap();
        assert_eq!(raw.len(), 32);
        secrets.extend([
            header,
            secret,
            hex::encode(raw),
            tok.to_text().expose_secret().to_owned(),
        ]);
    }

    // ---- The scan: the database (and its files), then the logs.
    let markers = vec![
        service_name.clone(),
        service_version.clone(),
        ci_name.clone(),
        cidr.clone(),
    ];
    let tables = Haystack::new(format!("{backend:?} tables"), dump(&db, pg.as_ref()).await);
    tables.assert_sees(&markers);
    tables.assert_blind(&secrets);
    // Sanity: the scan would catch an encoded copy too.
    let planted = Haystack::new(
        "planted",
        format!(
            "{}|{}|{}",
            hex::encode(values[0].as_bytes()),
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!("{{\"v\":\"{}\"}}", names[1]).as_bytes()),
            names[2].to_ascii_lowercase()
        ),
    );
    assert_eq!(
        planted.hits(&secrets),
        vec![
            Hit {
                what: names[1].clone(),
                encoding: "base64"
            },
            Hit {
                what: names[2].clone(),
                encoding: "text"
            },
            Hit {
                what: values[0].clone(),
                encoding: "hex"
            },
        ]
    );
    let files = raw_files(&db);
    if let Backend::Sqlite = backend {
        assert!(!files.is_empty());
        let all: String = files.iter().map(|f| f.text.as_str()).collect();
        Haystack::new("raw files", all).assert_sees(std::slice::from_ref(&service_name));
    }
    for f in &files {
        f.assert_blind(&secrets);
    }
    server.stop().await;
    server.state.store.close().await;
    // Checkpointed and closed: the files once more.
    for f in raw_files(&db) {
        f.assert_blind(&secrets);
    }

    // The logs: every event and span at TRACE (the other backend's test
    // shares the capture; its markers are its own).
    let lines = logs.lines.lock().unwrap();
    let this_run = lines[first_line..].join("\n");
    let log = Haystack::new("the captured logs", lines.join("\n"));
    drop(lines);
    // The server's own events of this session are in them: its debug
    // events of the refusals, the store's statements, the request spans,
    // the HTTP/2 frames.
    for want in [
        "gRPC call refused code=secret_not_found",
        "gRPC call refused code=access_requested",
        "INSERT INTO stubs",
        "INSERT INTO access_requests",
        "route=/v1/projects/{project}/stubs/{blind_index}/fill",
        "route=/vault.secrets.v1.Secrets/",
        "h2::codec::framed_read",
    ] {
        assert!(this_run.contains(want), "the logs lack {want:?}");
    }
    log.assert_blind(&secrets);
    drop(pg);
}

// ============================================================ harness

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_server_sees_no_name_value_or_hint() {
    blind_server(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_server_sees_no_name_value_or_hint() {
    blind_server(Backend::Postgres).await;
}
