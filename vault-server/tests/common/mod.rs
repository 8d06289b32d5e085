//! Shared by the vault-server tests and examples: start the built binary
//! and speak the HTTP API as a client would (accounts, OPAQUE / SRP logins,
//! vaults and items made with vault-core, the change feed, the event
//! stream, `/metrics`).
//!
//! Postgres databases and temporary directories come from `vault-testkit`
//! (`PgEnv::setup`: a fresh database, owner role and app role, dropped when
//! it is dropped; the server binary runs the migrations itself with
//! `--migrate-url` as the owner role, see `PgEnv::server_args`).
//!
//! Server logs go to a file in the test's temporary directory (printed when
//! a start fails); `VAULT_TEST_SERVER_LOG` sets their filter (default
//! `warn`), `VAULT_TEST_KEEP=1` keeps the directories.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use vault_core::opaque::{ClientLogin, ClientRegistration};
use vault_core::srp::{SrpClient, SrpGroup};
use vault_core::sync::wire::{Change, Cursor, ItemState, PullPage};
use vault_core::*;
use vault_sync::api::*;

// ============================================================ server process

/// A running `vault-server` process, killed (SIGKILL) on drop.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Its stderr.
    pub log: PathBuf,
}

impl Server {
    /// Starts `bin` with `args` (add `--listen 127.0.0.1:0` yourself) and
    /// waits for its "listening on" line.
    pub fn start(bin: &str, args: &[String], log: &Path) -> Server {
        let filter = std::env::var("VAULT_TEST_SERVER_LOG").unwrap_or_else(|_| "warn".into());
        Server::start_with_log(bin, args, log, &filter)
    }

    /// As [`start`](Self::start) with this `VAULT_LOG` filter.
    pub fn start_with_log(bin: &str, args: &[String], log: &Path, filter: &str) -> Server {
        let logf = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(logf));
        for (k, _) in std::env::vars() {
            if k.starts_with("VAULT_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("VAULT_LOG", filter);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        // Keeps draining stdout for the process's whole life.
        std::thread::spawn(move || {
            let mut r = std::io::BufReader::new(stdout);
            let mut line = String::new();
            loop {
                line.clear();
                match r.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let _ = tx.send(line.trim().to_owned());
                    }
                }
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix("vault-server listening on ") {
                        return Server {
                            child: Some(child),
                            base: addr.to_owned(),
                            log: log.to_owned(),
                        };
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "vault-server exited ({status}) before listening; log:\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "vault-server did not print its address in 60 s; log:\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
        }
    }

    /// `kill -9`: no shutdown hook, no flush, no goodbye.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            // `Child::kill` is SIGKILL on Unix.
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The process id (while running).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn api(&self) -> Api {
        Api::new(&self.base)
    }

    /// The server log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The arguments every test server gets: a free port on loopback and its
/// data directory (SQLite file and secrets file).
pub fn base_args(data_dir: &Path) -> Vec<String> {
    vec![
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--data-dir".into(),
        data_dir.display().to_string(),
    ]
}

// ============================================================ HTTP client

/// A client of one server.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("status {}: {e}: {}", self.status, self.text()))
    }
    /// The `error` code of an [`ErrorBody`] as it is on the wire, if the
    /// body is one.
    pub fn error_code(&self) -> Option<String> {
        serde_json::from_slice::<ErrorBody>(&self.body).ok()?;
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()?
            .get("error")?
            .as_str()
            .map(str::to_owned)
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
    /// Panics unless 2xx; parses the body.
    pub fn ok<T: DeserializeOwned>(&self) -> T {
        assert!(self.is_success(), "status {}: {}", self.status, self.text());
        self.json()
    }
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request and reads the whole answer (transport errors are `Err`).
    pub async fn send(&self, req: reqwest::RequestBuilder) -> reqwest::Result<Reply> {
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await?.to_vec();
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    pub fn req(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(self.req(reqwest::Method::GET, path, token))
            .await
            .unwrap()
    }

    pub async fn json<B: Serialize + ?Sized>(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &B,
    ) -> reqwest::Result<Reply> {
        self.send(self.req(method, path, token).json(body)).await
    }

    pub async fn post<B: Serialize + ?Sized>(
        &self,
        path: &str,
        token: Option<&str>,
        body: &B,
    ) -> Reply {
        self.json(reqwest::Method::POST, path, token, body)
            .await
            .unwrap()
    }
}

// ============================================================ accounts

/// A registered, signed-in user.
pub struct User {
    pub identifier: String,
    pub account: UnlockedAccount,
    pub auth_key: SymmetricKey,
    pub session: SessionTokens,
}

impl User {
    pub fn token(&self) -> &str {
        &self.session.access_token
    }
}

/// A unique identifier for this run.
pub fn unique_identifier(prefix: &str) -> String {
    let mut rng = rng::os_rng();
    let id = AccountId::generate(&mut rng).to_string();
    format!("{prefix}-{}@example.test", &id[..13])
}

/// A new account record (tiny KDF: tests only) and its auth key.
pub fn new_account() -> (UnlockedAccount, NewCredentials) {
    let mut rng = rng::os_rng();
    UnlockedAccount::create(
        "correct horse",
        None,
        KdfParams::INSECURE_TEST_ONLY,
        &mut rng,
    )
    .unwrap()
}

/// Registers `identifier` with OPAQUE.
pub async fn register_opaque(api: &Api, identifier: &str) -> (UnlockedAccount, SymmetricKey) {
    let mut rng = rng::os_rng();
    let (account, creds) = new_account();
    let (client, request) =
        ClientRegistration::start(identifier, &creds.auth_key, &mut rng).unwrap();
    let started: OpaqueRegisterStarted = api
        .post(
            paths::REGISTER_OPAQUE_START,
            None,
            &OpaqueRegisterStart {
                identifier: identifier.into(),
                request,
            },
        )
        .await
        .ok();
    let record = client.finish(&started.response, &mut rng).unwrap().record;
    let r = api
        .post(
            paths::REGISTER,
            None,
            &RegisterRequest {
                identifier: identifier.into(),
                record: creds.encrypted.clone(),
                auth: AuthRecordBody::Opaque(Box::new(record)),
            },
        )
        .await;
    assert_eq!(r.status, 201, "register: {}", r.text());
    (account, creds.auth_key)
}

/// Registers `identifier` with SRP (the server must run `--protocol srp`).
pub async fn register_srp(api: &Api, identifier: &str) -> (UnlockedAccount, SymmetricKey) {
    let mut rng = rng::os_rng();
    let (account, creds) = new_account();
    let record =
        SrpClient::register(identifier, &creds.auth_key, SrpGroup::default(), &mut rng).unwrap();
    let r = api
        .post(
            paths::REGISTER,
            None,
            &RegisterRequest {
                identifier: identifier.into(),
                record: creds.encrypted.clone(),
                auth: AuthRecordBody::Srp(record),
            },
        )
        .await;
    assert_eq!(r.status, 201, "register: {}", r.text());
    (account, creds.auth_key)
}

/// Why a login did not succeed.
#[derive(Debug)]
pub struct LoginFailure {
    /// `start` or `finish`.
    pub step: &'static str,
    pub status: u16,
    pub error: Option<String>,
    /// The `Retry-After` header.
    pub retry_after: Option<u64>,
}

fn failure(step: &'static str, r: &Reply) -> LoginFailure {
    LoginFailure {
        step,
        status: r.status,
        error: r.error_code(),
        retry_after: r.header("retry-after").and_then(|v| v.parse().ok()),
    }
}

fn with_headers(
    mut rb: reqwest::RequestBuilder,
    headers: &[(&str, String)],
) -> reqwest::RequestBuilder {
    for (k, v) in headers {
        rb = rb.header(*k, v);
    }
    rb
}

/// A full OPAQUE login (both steps) with extra request headers.
pub async fn login_opaque_with(
    api: &Api,
    identifier: &str,
    auth_key: &SymmetricKey,
    headers: &[(&str, String)],
) -> reqwest::Result<Result<SessionTokens, LoginFailure>> {
    let mut rng = rng::os_rng();
    let (client, ke1) = ClientLogin::start(identifier, auth_key, &mut rng).unwrap();
    let start = OpaqueLoginStart {
        identifier: identifier.into(),
        ke1,
    };
    let r = api
        .send(with_headers(
            api.req(reqwest::Method::POST, paths::LOGIN_OPAQUE_START, None)
                .json(&start),
            headers,
        ))
        .await?;
    if r.status != 200 {
        return Ok(Err(failure("start", &r)));
    }
    let challenge: OpaqueLoginChallenge = r.json();
    // A wrong password fails here, on the client: it cannot open the
    // envelope. Send a well-formed KE3 anyway (from a fresh login against
    // the same KE2 that cannot succeed) so the server records the failure,
    // as a real attacker without the password would.
    let ke3 = match client.finish(&challenge.ke2, &mut rng) {
        Ok(done) => done.ke3,
        Err(_) => {
            return Ok(Err(wrong_password_finish(
                api,
                &challenge.login_id,
                headers,
            )
            .await?));
        }
    };
    let r = api
        .send(with_headers(
            api.req(reqwest::Method::POST, paths::LOGIN_OPAQUE_FINISH, None)
                .json(&OpaqueLoginFinish {
                    login_id: challenge.login_id,
                    ke3,
                }),
            headers,
        ))
        .await?;
    if r.status != 200 {
        return Ok(Err(failure("finish", &r)));
    }
    Ok(Ok(r.json::<OpaqueLoginDone>().session))
}

/// Finishes a login whose envelope would not open with a KE3 that will not
/// verify: a real KE3 from an unrelated OPAQUE exchange.
async fn wrong_password_finish(
    api: &Api,
    login_id: &str,
    headers: &[(&str, String)],
) -> reqwest::Result<LoginFailure> {
    let ke3 = unrelated_ke3();
    let r = api
        .send(with_headers(
            api.req(reqwest::Method::POST, paths::LOGIN_OPAQUE_FINISH, None)
                .json(&OpaqueLoginFinish {
                    login_id: login_id.into(),
                    ke3,
                }),
            headers,
        ))
        .await?;
    Ok(failure("finish", &r))
}

/// A syntactically valid KE3 from a local OPAQUE exchange with a throwaway
/// server setup.
pub fn unrelated_ke3() -> vault_core::opaque::Ke3 {
    use vault_core::opaque::{ServerLogin, ServerSetup};
    let mut rng = rng::os_rng();
    let setup = ServerSetup::generate(&mut rng);
    let key = SymmetricKey::generate(&mut rng);
    let (c, req) = ClientRegistration::start("x", &key, &mut rng).unwrap();
    let record = c
        .finish(&setup.registration_response("x", &req).unwrap(), &mut rng)
        .unwrap()
        .record;
    let (client, ke1) = ClientLogin::start("x", &key, &mut rng).unwrap();
    let (_s, ke2) = ServerLogin::start(&setup, "x", Some(&record), &ke1, &mut rng).unwrap();
    client.finish(&ke2, &mut rng).unwrap().ke3
}

/// A full OPAQUE login that must succeed.
pub async fn login_opaque(api: &Api, identifier: &str, auth_key: &SymmetricKey) -> SessionTokens {
    login_opaque_with(api, identifier, auth_key, &[])
        .await
        .unwrap()
        .unwrap_or_else(|f| panic!("login failed: {f:?}"))
}

/// A full SRP login (both steps; checks the server's proof).
pub async fn login_srp(
    api: &Api,
    identifier: &str,
    auth_key: &SymmetricKey,
) -> reqwest::Result<Result<SessionTokens, LoginFailure>> {
    let mut rng = rng::os_rng();
    let (client, hello) =
        SrpClient::start(identifier, auth_key, SrpGroup::default(), &mut rng).unwrap();
    let r = api
        .json(
            reqwest::Method::POST,
            paths::LOGIN_SRP_START,
            None,
            &SrpLoginStart { hello },
        )
        .await?;
    if r.status != 200 {
        return Ok(Err(failure("start", &r)));
    }
    let ch: SrpLoginChallenge = r.json();
    let (client, proof) = client.process_challenge(&ch.challenge).unwrap();
    let r = api
        .json(
            reqwest::Method::POST,
            paths::LOGIN_SRP_FINISH,
            None,
            &SrpLoginFinish {
                login_id: ch.login_id,
                proof,
            },
        )
        .await?;
    if r.status != 200 {
        return Ok(Err(failure("finish", &r)));
    }
    let done: SrpLoginDone = r.json();
    client
        .verify_server(&done.server_proof)
        .expect("server proof");
    Ok(Ok(done.session))
}

/// Registers and signs in a new OPAQUE user.
pub async fn new_user(api: &Api, prefix: &str) -> User {
    let identifier = unique_identifier(prefix);
    let (account, auth_key) = register_opaque(api, &identifier).await;
    let session = login_opaque(api, &identifier, &auth_key).await;
    User {
        identifier,
        account,
        auth_key,
        session,
    }
}

// ============================================================ vaults and items

/// A vault and its key.
#[derive(Clone)]
pub struct TestVault {
    pub id: VaultId,
    pub key: VaultKey,
}

/// Creates a vault owned by `user`.
pub async fn create_vault(api: &Api, user: &User, name: &str) -> TestVault {
    let mut rng = rng::os_rng();
    let (key, meta, wrapped) = user
        .account
        .create_vault(
            &VaultMeta {
                name: name.into(),
                ..Default::default()
            },
            &mut rng,
        )
        .unwrap();
    let id = meta.vault;
    let r = api
        .post(
            paths::VAULTS,
            Some(user.token()),
            &CreateVaultRequest { meta, key: wrapped },
        )
        .await;
    assert_eq!(r.status, 201, "create vault: {}", r.text());
    TestVault { id, key }
}

/// A login item, different for each `n`.
pub fn sample_item(n: u64) -> Item {
    Item {
        title: format!("Site {n}"),
        data: ItemData::Login {
            username: format!("user{n}@example.test"),
            password: format!("pw-{n}-Tr0ub4dor&3").into(),
            uris: vec![format!("https://site{n}.example.test/login")],
            totp: Default::default(),
        },
        notes: format!("notes for item {n}").into(),
        tags: vec!["bench".into()],
        favorite: false,
        custom_fields: vec![],
    }
}

/// `sample_item(n)` sealed as `revision` of `item`.
pub fn seal(vault: &TestVault, item: ItemId, revision: u64, n: u64) -> EncryptedItem {
    let mut rng = rng::os_rng();
    vault
        .key
        .encrypt_item(item, revision, &sample_item(n), &mut rng)
        .unwrap()
}

pub fn item_path(vault: VaultId, item: ItemId) -> String {
    format!("/v1/vaults/{vault}/items/{item}")
}

/// `PUT` an item (compare-and-swap on `base`).
pub async fn put_item(
    api: &Api,
    token: &str,
    base: u64,
    item: &EncryptedItem,
) -> reqwest::Result<Reply> {
    api.json(
        reqwest::Method::PUT,
        &item_path(item.vault, item.item),
        Some(token),
        &PutItemRequest {
            base,
            item: item.clone(),
        },
    )
    .await
}

/// `GET` an item's state (`None` on 404).
pub async fn get_item(api: &Api, token: &str, vault: VaultId, item: ItemId) -> Option<ItemState> {
    let r = api.get(&item_path(vault, item), Some(token)).await;
    match r.status {
        200 => Some(r.json()),
        404 => None,
        s => panic!("get item: {s}: {}", r.text()),
    }
}

pub fn changes_path(since: Option<&Cursor>, limit: Option<usize>) -> String {
    let mut p = String::from(paths::CHANGES);
    let mut sep = '?';
    if let Some(c) = since {
        p.push(sep);
        p.push_str("since=");
        p.push_str(&urlencode(c.as_str()));
        sep = '&';
    }
    if let Some(l) = limit {
        p.push(sep);
        p.push_str(&format!("limit={l}"));
    }
    p
}

/// Percent-encodes everything but unreserved characters.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One page of the feed.
pub async fn pull(
    api: &Api,
    token: &str,
    since: Option<&Cursor>,
    limit: Option<usize>,
) -> PullPage {
    api.get(&changes_path(since, limit), Some(token)).await.ok()
}

/// The whole feed from `since` (paging until `has_more` is false), and the
/// final cursor.
pub async fn pull_all(api: &Api, token: &str, since: Option<&Cursor>) -> (Vec<Change>, Cursor) {
    let mut changes = Vec::new();
    let mut since = since.cloned();
    loop {
        let page = pull(api, token, since.as_ref(), Some(1000)).await;
        changes.extend(page.changes);
        since = Some(page.next.clone());
        if !page.has_more {
            return (changes, page.next);
        }
    }
}

// ============================================================ events

/// An open `GET /v1/events` stream.
pub struct Events {
    resp: reqwest::Response,
    buf: String,
}

impl Events {
    /// Opens the stream (must answer 200 `text/event-stream`).
    pub async fn open(api: &Api, token: &str) -> Events {
        // No overall timeout on this request: it is meant to stay open.
        let http = reqwest::Client::new();
        let resp = http
            .get(api.url(paths::EVENTS))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "events");
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(ct.starts_with("text/event-stream"), "content-type {ct}");
        Events {
            resp,
            buf: String::new(),
        }
    }

    /// The next event's name, or `None` if none came within `timeout` (or
    /// the stream ended). Comments (keep-alives) are skipped.
    pub async fn next(&mut self, timeout: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let name = block
                    .lines()
                    .find_map(|l| l.strip_prefix("event:"))
                    .map(|n| n.trim().to_owned());
                if let Some(n) = name {
                    return Some(n);
                }
            }
            match tokio::time::timeout_at(deadline, self.resp.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(Ok(None)) | Ok(Err(_)) | Err(_) => return None,
            }
        }
    }
}

// ============================================================ metrics

/// Sum of the samples of `metric` whose label set contains every
/// `key="value"` in `labels` (Prometheus text format).
pub fn metric_value(text: &str, metric: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name_labels, value) = l.rsplit_once(' ')?;
            let (name, lbls) = match name_labels.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (name_labels, ""),
            };
            if name != metric {
                return None;
            }
            let all = labels
                .iter()
                .all(|(k, v)| lbls.split(',').any(|kv| kv == format!("{k}=\"{v}\"")));
            if !all {
                return None;
            }
            value.parse::<f64>().ok()
        })
        .sum()
}

/// Reads a whole secrets file's token key (tests forge tokens with it).
pub fn token_key_from_secrets(path: &Path) -> SymmetricKey {
    use base64::Engine;
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let b = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(v["token"].as_str().unwrap())
        .unwrap();
    SymmetricKey::from_slice(&b).unwrap()
}
