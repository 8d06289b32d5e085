//! Machine secrets end to end, as an admin drives them with the built
//! `vault` binary against an in-process server: projects, secrets
//! (values through stdin, never argv), issued tokens, a self-registered
//! service approved after a fingerprint check, access requests, stubs,
//! revocation, allowlists, removal; and bad input that fails clearly and
//! changes nothing.
//!
//! The service side (registering, reading with its own keyring) acts
//! through the server's store here, as the gRPC handlers do: the CLI's
//! service commands (`vault service register`, `vault run`) live
//! elsewhere.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use vault_core::machine::{
    EncryptedSecret, EncryptedSecretVersion, ProjectRef, SealPurpose, SecretName, ServiceKeyring,
    ServiceToken,
};
use vault_core::{KdfParams, VaultId};
use vault_sync::server::{Protocol, ServerConfig};
use vault_sync::store::{FetchOutcome, RequestStatus, ServiceAccess, Store};
use vault_testkit::{Db, TempDir, TestServer};

const PW: &str = "alice-machine-password-Qw7";

/// Values and names that must never reach a file in plaintext (the
/// server's database, the device's replica).
const PLAINTEXTS: &[&str] = &[
    PW,
    "postgres://db-one-Xk1",
    "postgres://db-two-Yl2",
    "sk_live_stripe-Zm3",
    "https://sentry-dsn-Wn4",
    "DATABASE_URL",
    "STRIPE_KEY",
    "SENTRY_DSN",
    "primary database Vb5",
    "payments please Cd6",
    "error reporting Ef7",
];

struct Env {
    root: PathBuf,
    url: String,
    server: TestServer,
    /// The server's runtime: its worker threads serve while the test runs
    /// the binary.
    runtime: tokio::runtime::Runtime,
    /// Removed last, after the server is gone.
    _dir: TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = TempDir::new("cli-machine");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let config = ServerConfig {
            fake_kdf: KdfParams::INSECURE_TEST_ONLY,
            protocol: Protocol::Opaque,
            ..ServerConfig::default()
        };
        let db = Db::Sqlite(dir.join("server").join("server.db"));
        let server = runtime.block_on(TestServer::start(db, config));
        let e = Env {
            root: dir.to_path_buf(),
            url: server.url.clone(),
            server,
            runtime,
            _dir: dir,
        };
        let out = e.ok(&[
            "register",
            "alice@example.com",
            "--kdf",
            "insecure-test-only",
        ]);
        assert!(out.starts_with("export VAULT_SESSION=\""), "{out}");
        e
    }

    fn store(&self) -> &Store {
        &self.server.state.store
    }

    /// Runs `vault` as Alice (password in VAULT_PASSWORD); `extra` sets
    /// more variables; `stdin` is piped in (else /dev/null).
    fn run(&self, extra: &[(&str, &str)], stdin: Option<&str>, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vault"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.root)
            .env("VAULT_SERVER", &self.url)
            .env("VAULT_DIR", self.root.join("alice"))
            .env("VAULT_KDF_POLICY", "permissive_test_only")
            .env("VAULT_PASSWORD", PW)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        if let Some(s) = stdin {
            // A command that fails before reading may have closed it.
            let _ = child.stdin.take().unwrap().write_all(s.as_bytes());
        }
        child.wait_with_output().unwrap()
    }

    fn ok_with(&self, extra: &[(&str, &str)], stdin: Option<&str>, args: &[&str]) -> String {
        let out = self.run(extra, stdin, args);
        assert!(
            out.status.success(),
            "vault {args:?} failed ({:?}):\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        self.ok_with(&[], None, args)
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.push("--json");
        let out = self.ok(&a);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }

    /// Runs and expects exit `code` with nothing on stdout; returns stderr.
    fn fails_with(
        &self,
        extra: &[(&str, &str)],
        stdin: Option<&str>,
        args: &[&str],
        code: i32,
    ) -> String {
        let out = self.run(extra, stdin, args);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "vault {args:?}: expected exit {code}; stderr:\n{stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "vault {args:?} printed on stdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(stderr.contains("error: "), "{stderr}");
        stderr
    }

    fn fails(&self, args: &[&str], code: i32) -> String {
        self.fails_with(&[], None, args, code)
    }

    fn assert_no_plaintext(&self, step: &str) {
        let mut stack = vec![self.root.clone()];
        while let Some(p) = stack.pop() {
            for entry in std::fs::read_dir(&p).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let bytes = std::fs::read(&path).unwrap_or_default();
                for s in PLAINTEXTS {
                    assert!(
                        !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                        "after {step}: {s:?} found in {}",
                        path.display()
                    );
                }
            }
        }
    }
}

/// A service's side, through the store: its token and keyring.
struct Service {
    token: ServiceToken,
    access: ServiceAccess,
}

impl Service {
    fn keyring(&self, e: &Env) -> ServiceKeyring {
        let (project, service) = (self.token.project(), self.token.service());
        let grants = e
            .runtime
            .block_on(e.store().my_grants(service, project))
            .unwrap();
        let mut ring = ServiceKeyring::open(&self.token, &grants).unwrap();
        let public = e
            .runtime
            .block_on(e.store().project_public(project))
            .unwrap()
            .unwrap();
        ring.set_project_public(public).unwrap();
        ring
    }

    /// Asks for `name` (with a hint sealed to the project): its value if
    /// granted, else the outcome.
    fn read(&self, e: &Env, name: &str, reason: &str) -> Result<String, FetchOutcome> {
        let ring = self.keyring(e);
        let name = SecretName::new(name).unwrap();
        let bidx = ring.blind_index(&name).unwrap();
        let hint = ring
            .seal_hint(
                SealPurpose::Stub,
                &name,
                reason,
                &mut vault_core::rng::os_rng(),
            )
            .unwrap();
        let outcome = e
            .runtime
            .block_on(e.store().fetch_secrets(
                self.token.service(),
                self.token.project(),
                self.access,
                &[(bidx, Some(hint))],
            ))
            .unwrap()
            .remove(0);
        match outcome {
            FetchOutcome::Found {
                secret_json,
                version_json,
                ..
            } => {
                let s: EncryptedSecret = serde_json::from_str(&secret_json).unwrap();
                let v: EncryptedSecretVersion = serde_json::from_str(&version_json).unwrap();
                let entry = ring.open_secret(&s, &v).unwrap();
                assert_eq!(entry.name, name);
                Ok(entry.value.expose_secret().to_owned())
            }
            other => Err(other),
        }
    }
}

fn find<'a>(list: &'a serde_json::Value, key: &str, value: &str) -> &'a serde_json::Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|x| x[key] == value)
        .unwrap_or_else(|| panic!("no {key} = {value} in {list:#}"))
}

/// Another fingerprint: the same shape, one digit changed.
fn wrong_fingerprint(fp: &str) -> String {
    let mut chars: Vec<char> = fp.chars().collect();
    let i = chars.iter().position(char::is_ascii_digit).unwrap();
    chars[i] = if chars[i] == '1' { '2' } else { '1' };
    chars.into_iter().collect()
}

#[test]
fn projects_secrets_services_requests_stubs() {
    let e = Env::new();

    // ------------------------------------------------------------ project
    let out = e.ok(&["project", "create", "billing"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let project: VaultId = lines[0].parse().unwrap();
    assert!(lines[1].starts_with("vpr1."), "{out}");
    let reference: ProjectRef = lines[1].parse().unwrap();
    assert_eq!(reference.project, project);
    let pid = project.to_string();
    let ls = e.ok(&["project", "ls"]);
    assert!(ls.starts_with("ID"), "{ls}");
    assert!(ls.contains("billing"), "{ls}");
    let list = e.json(&["project", "ls"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["reference"], lines[1]);
    assert_eq!(list[0]["role"], "owner");
    let show = e.ok(&["project", "show", lines[1]]);
    assert!(show.contains(&pid) && show.contains(lines[1]), "{show}");
    // A second project of the same name would make names ambiguous.
    e.fails(&["project", "create", "Billing"], 2);

    // ------------------------------------------------------------ secrets
    // The value from stdin (final newline dropped), never argv.
    e.ok_with(
        &[],
        Some("postgres://db-one-Xk1\n"),
        &[
            "secret",
            "set",
            "billing",
            "DATABASE_URL",
            "--description",
            "primary database Vb5",
        ],
    );
    // `get` prints the value alone; by name, id or reference.
    for p in ["billing", pid.as_str(), lines[1]] {
        assert_eq!(
            e.ok(&["secret", "get", p, "DATABASE_URL"]),
            "postgres://db-one-Xk1"
        );
    }
    let ls = e.ok(&["secret", "ls", "billing"]);
    assert!(ls.contains("DATABASE_URL"), "{ls}");
    assert!(ls.contains("primary database Vb5"), "{ls}");
    assert!(!ls.contains("postgres://"), "ls shows no value: {ls}");
    // A second version keeps the description.
    e.ok_with(
        &[],
        Some("postgres://db-two-Yl2"),
        &["secret", "set", "billing", "DATABASE_URL"],
    );
    assert_eq!(
        e.ok(&["secret", "get", "billing", "DATABASE_URL"]),
        "postgres://db-two-Yl2"
    );
    let history = e.json(&["secret", "history", "billing", "DATABASE_URL"]);
    let versions = history.as_array().unwrap();
    assert_eq!(versions.len(), 2, "{history:#}");
    assert_eq!(versions[0]["version"], 1);
    assert_eq!(versions[1]["version"], 2);
    assert_eq!(versions[1]["description"], "primary database Vb5");
    assert!(versions[0].get("value").is_none(), "no values by default");
    let human = e.ok(&["secret", "history", "billing", "DATABASE_URL"]);
    assert_eq!(human.lines().count(), 3, "{human}");
    assert!(!human.contains("postgres://"), "{human}");
    let shown = e.ok(&[
        "secret",
        "history",
        "billing",
        "DATABASE_URL",
        "--show-values",
    ]);
    assert!(
        shown.contains("postgres://db-one-Xk1") && shown.contains("postgres://db-two-Yl2"),
        "{shown}"
    );
    let ls = e.json(&["secret", "ls", "billing"]);
    assert_eq!(find(&ls, "name", "DATABASE_URL")["version"], 2);
    // --value-from-env.
    e.ok_with(
        &[("STRIPE_VALUE", "sk_live_stripe-Zm3")],
        None,
        &[
            "secret",
            "set",
            "billing",
            "STRIPE_KEY",
            "--value-from-env",
            "STRIPE_VALUE",
        ],
    );
    assert_eq!(
        e.ok(&["secret", "get", "billing", "STRIPE_KEY"]),
        "sk_live_stripe-Zm3"
    );

    // ------------------------------------------------------------ issued token
    let out = e.ok(&[
        "service",
        "create-token",
        "--project",
        "billing",
        "--name",
        "ci-deploy",
        "--secrets",
        "DATABASE_URL",
        "--expires-in",
        "30d",
    ]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("vst1.") && out.ends_with('\n'), "{out}");
    let ci = Service {
        token: ServiceToken::parse(out.trim()).unwrap(),
        access: ServiceAccess::Secrets,
    };
    assert_eq!(ci.token.project(), project);
    let services = e.json(&["service", "ls", "--project", "billing"]);
    let s = find(&services, "name", "ci-deploy");
    assert_eq!(s["status"], "approved");
    assert_eq!(s["access"], "secrets");
    assert_eq!(s["origin"], "issued");
    assert_eq!(s["id"], ci.token.service().to_string());
    assert_eq!(s["fingerprint"], ci.token.public().fingerprint());
    assert!(s["expires_at_ms"].as_i64().is_some());
    let human = e.ok(&["service", "ls", "--project", "billing"]);
    assert!(
        human.contains("ci-deploy") && human.contains("approved"),
        "{human}"
    );
    // The token reads what it was granted, and only that.
    assert_eq!(
        ci.read(&e, "DATABASE_URL", "").unwrap(),
        "postgres://db-two-Yl2"
    );

    // ------------------------------------------------------------ self-registered
    let api = Service {
        token: ServiceToken::generate(project, reference.ed25519, &mut vault_core::rng::os_rng()),
        access: ServiceAccess::Secrets,
    };
    e.runtime
        .block_on(e.store().register_service(
            &api.token.public(),
            "billing-api",
            "1.4.2",
            Some("127.0.0.1"),
        ))
        .unwrap();
    let api_id = api.token.service().to_string();
    let fp = api.token.public().fingerprint();
    let services = e.json(&["service", "ls", "--project", "billing"]);
    let s = find(&services, "id", &api_id);
    assert_eq!(s["status"], "pending");
    assert_eq!(s["fingerprint"], fp);
    // A wrong fingerprint is refused, and nothing changes.
    let wrong = wrong_fingerprint(&fp);
    let err = e.fails(
        &[
            "service",
            "approve",
            "--project",
            "billing",
            &api_id,
            "--fingerprint",
            &wrong,
            "--secrets",
            "DATABASE_URL",
        ],
        9,
    );
    assert!(err.contains("fingerprint mismatch"), "{err}");
    assert!(err.contains(&fp), "{err}");
    // Without a fingerprint, and nobody to ask: refused too.
    let err = e.fails(
        &[
            "service",
            "approve",
            "--project",
            "billing",
            &api_id,
            "--whole-project",
        ],
        9,
    );
    assert!(err.contains("compare fingerprints"), "{err}");
    let services = e.json(&["service", "ls", "--project", "billing"]);
    let s = find(&services, "id", &api_id);
    assert_eq!(s["status"], "pending");
    assert_eq!(s["access"], "none");
    assert!(
        e.runtime
            .block_on(e.store().my_grants(api.token.service(), project))
            .unwrap()
            .is_empty()
    );
    // The right digits (spacing ignored), by an id prefix.
    e.ok(&[
        "service",
        "approve",
        "--project",
        "billing",
        &api_id[..8],
        "--fingerprint",
        &fp.replace(' ', "-"),
        "--secrets",
        "DATABASE_URL",
    ]);
    let services = e.json(&["service", "ls", "--project", "billing"]);
    assert_eq!(find(&services, "id", &api_id)["status"], "approved");
    assert_eq!(
        api.read(&e, "DATABASE_URL", "").unwrap(),
        "postgres://db-two-Yl2"
    );

    // ------------------------------------------------------------ access requests
    // billing-api asks for STRIPE_KEY (exists, not granted): a request.
    assert!(matches!(
        api.read(&e, "STRIPE_KEY", "payments please Cd6"),
        Err(FetchOutcome::NotGranted {
            status: RequestStatus::Pending,
            ..
        })
    ));
    // ci-deploy too.
    assert!(ci.read(&e, "STRIPE_KEY", "").is_err());
    let requests = e.json(&["requests", "ls", "--project", "billing"]);
    assert_eq!(requests.as_array().unwrap().len(), 2, "{requests:#}");
    let r = find(&requests, "service", &api_id);
    assert_eq!(r["secret_name"], "STRIPE_KEY");
    assert_eq!(r["service_name"], "billing-api");
    assert_eq!(r["reason"], "payments please Cd6");
    assert_eq!(r["status"], "pending");
    let human = e.ok(&["requests", "ls", "--project", "billing"]);
    assert!(
        human.contains("STRIPE_KEY") && human.contains("payments please Cd6"),
        "{human}"
    );
    // Grant billing-api's (by short ids, as the listing shows them).
    let short_id = format!("{}:{}", &api_id[..8], &r["secret"].as_str().unwrap()[..8]);
    assert!(human.contains(&short_id), "{human}");
    e.ok(&["requests", "grant", "--project", "billing", &short_id]);
    assert_eq!(
        api.read(&e, "STRIPE_KEY", "").unwrap(),
        "sk_live_stripe-Zm3"
    );
    // Deny ci-deploy's (by full ids).
    let ci_request = find(&requests, "service", &ci.token.service().to_string())["id"]
        .as_str()
        .unwrap()
        .to_owned();
    e.ok(&["requests", "deny", "--project", "billing", &ci_request]);
    assert!(matches!(
        ci.read(&e, "STRIPE_KEY", ""),
        Err(FetchOutcome::NotGranted {
            status: RequestStatus::Denied,
            ..
        })
    ));
    let pending = e.json(&["requests", "ls", "--project", "billing", "--pending"]);
    assert!(pending.as_array().unwrap().is_empty(), "{pending:#}");

    // ------------------------------------------------------------ stubs
    assert!(matches!(
        api.read(&e, "SENTRY_DSN", "error reporting Ef7"),
        Err(FetchOutcome::NotFound)
    ));
    let stubs = e.json(&["stubs", "ls", "--project", "billing"]);
    assert_eq!(stubs.as_array().unwrap().len(), 1, "{stubs:#}");
    assert_eq!(stubs[0]["name"], "SENTRY_DSN");
    assert_eq!(stubs[0]["askers"][0]["service_name"], "billing-api");
    assert_eq!(stubs[0]["askers"][0]["description"], "error reporting Ef7");
    let human = e.ok(&["stubs", "ls", "--project", "billing"]);
    assert!(human.contains("SENTRY_DSN") && human.contains("billing-api"));
    let stub_prefix: String = stubs[0]["id"].as_str().unwrap().chars().take(8).collect();
    e.ok_with(
        &[],
        Some("https://sentry-dsn-Wn4\n"),
        &["stubs", "fill", "--project", "billing", &stub_prefix],
    );
    assert_eq!(
        api.read(&e, "SENTRY_DSN", "").unwrap(),
        "https://sentry-dsn-Wn4"
    );
    let stubs = e.json(&["stubs", "ls", "--project", "billing"]);
    assert!(stubs.as_array().unwrap().is_empty(), "{stubs:#}");
    let ls = e.json(&["secret", "ls", "billing"]);
    assert_eq!(
        find(&ls, "name", "SENTRY_DSN")["description"],
        "error reporting Ef7"
    );

    // ------------------------------------------------------------ allowlists
    let out = e.ok(&[
        "project",
        "allowlist",
        "billing",
        "10.1.2.3/8",
        "2001:db8::/32",
    ]);
    assert_eq!(out, "10.0.0.0/8\n2001:db8::/32\n");
    assert_eq!(
        e.ok(&["project", "allowlist", "billing"]),
        "10.0.0.0/8\n2001:db8::/32\n"
    );
    e.fails(&["project", "allowlist", "billing", "not-a-cidr"], 2);
    e.fails(&["project", "allowlist", "billing", "10.0.0.0/33"], 2);
    assert_eq!(
        e.ok(&["project", "allowlist", "billing"]),
        "10.0.0.0/8\n2001:db8::/32\n"
    );
    assert_eq!(e.ok(&["project", "allowlist", "billing", "--clear"]), "");
    let out = e.ok(&[
        "service",
        "allowlist",
        "--project",
        "billing",
        "billing-api",
        "192.168.0.0/16",
    ]);
    assert_eq!(out, "192.168.0.0/16\n");
    let services = e.json(&["service", "ls", "--project", "billing"]);
    assert_eq!(
        find(&services, "id", &api_id)["allowlist"][0],
        "192.168.0.0/16"
    );

    // ------------------------------------------------------------ revoke
    e.ok(&["service", "revoke", "--project", "billing", "ci-deploy"]);
    let services = e.json(&["service", "ls", "--project", "billing"]);
    assert_eq!(find(&services, "name", "ci-deploy")["status"], "revoked");
    let human = e.ok(&["service", "ls", "--project", "billing"]);
    assert!(human.contains("revoked"), "{human}");
    assert!(
        e.runtime
            .block_on(e.store().my_grants(ci.token.service(), project))
            .unwrap()
            .is_empty()
    );
    // What it could read was rotated; billing-api still reads it.
    let ls = e.json(&["secret", "ls", "billing"]);
    assert_eq!(find(&ls, "name", "DATABASE_URL")["rotate_pending"], false);
    assert_eq!(
        api.read(&e, "DATABASE_URL", "").unwrap(),
        "postgres://db-two-Yl2"
    );
    assert_eq!(
        e.ok(&["secret", "get", "billing", "DATABASE_URL"]),
        "postgres://db-two-Yl2"
    );
    // Deny a second registration.
    let other = ServiceToken::generate(project, reference.ed25519, &mut vault_core::rng::os_rng());
    e.runtime
        .block_on(
            e.store()
                .register_service(&other.public(), "stranger", "0.1", None),
        )
        .unwrap();
    e.ok(&["service", "deny", "--project", "billing", "stranger"]);
    let services = e.json(&["service", "ls", "--project", "billing"]);
    assert_eq!(find(&services, "name", "stranger")["status"], "denied");

    // ------------------------------------------------------------ rm
    e.ok(&["secret", "rm", "billing", "STRIPE_KEY"]);
    e.fails(&["secret", "get", "billing", "STRIPE_KEY"], 8);
    e.assert_no_plaintext("the machine flow");
    // Removing a project needs a confirmation (nobody to ask here).
    let err = e.fails(&["project", "rm", "billing"], 2);
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(e.json(&["project", "ls"]).as_array().unwrap().len(), 1);
    e.ok(&["project", "rm", "billing", "--yes"]);
    assert!(e.json(&["project", "ls"]).as_array().unwrap().is_empty());
    e.fails(&["secret", "get", "billing", "DATABASE_URL"], 8);
    // The vault stays.
    assert!(e.ok(&["vaults"]).contains("billing"));
}

#[test]
fn bad_input_fails_clearly_and_changes_nothing() {
    let e = Env::new();
    e.ok(&["project", "create", "billing"]);
    e.ok_with(
        &[],
        Some("postgres://db-one-Xk1"),
        &["secret", "set", "billing", "DATABASE_URL"],
    );
    let value = Some("postgres://db-two-Yl2");

    // Unknown project.
    let err = e.fails(&["secret", "get", "nope", "DATABASE_URL"], 8);
    assert!(err.contains("no project nope"), "{err}");
    e.fails_with(&[], value, &["secret", "set", "nope", "DATABASE_URL"], 8);
    e.fails(&["secret", "ls", "nope"], 8);
    e.fails(&["service", "ls", "--project", "nope"], 8);
    e.fails(&["project", "rm", "nope", "--yes"], 8);
    e.fails(
        &[
            "service",
            "create-token",
            "--project",
            "nope",
            "--name",
            "ci",
        ],
        8,
    );
    e.fails(&["requests", "ls", "--project", "nope"], 8);
    e.fails(&["stubs", "ls", "--project", "nope"], 8);
    // A reference with another key is not this project's.
    let mut r: ProjectRef = e.json(&["project", "ls"])[0]["reference"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    r.ed25519[0] ^= 1;
    e.fails(&["secret", "ls", &r.to_string()], 9);

    // Bad names: empty, a space, a control character, `=` and `/`.
    for bad in [
        "",
        "  ",
        "DATABASE URL",
        "DB\u{7}URL",
        "DB\u{1b}[2J",
        "A=B",
        "a/b",
    ] {
        let err = e.fails_with(&[], value, &["secret", "set", "billing", bad], 2);
        assert!(err.contains("bad secret name"), "{bad:?}: {err}");
        assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
        e.fails(&["secret", "get", "billing", bad], 2);
    }
    for bad in ["", "my project", "bill\u{7}ing", "bill\u{1b}ing", "a/b"] {
        e.fails(&["project", "create", bad], 2);
    }
    for bad in ["", "ci\u{7}", "ci\u{202e}yolper"] {
        e.fails(
            &[
                "service",
                "create-token",
                "--project",
                "billing",
                "--name",
                bad,
            ],
            2,
        );
    }
    // Values: empty stdin, an unset variable, stdin that is also the password.
    let err = e.fails(&["secret", "set", "billing", "EMPTY"], 2);
    assert!(err.contains("empty"), "{err}");
    e.fails(
        &[
            "secret",
            "set",
            "billing",
            "X",
            "--value-from-env",
            "UNSET_VARIABLE",
        ],
        2,
    );
    e.fails_with(
        &[],
        Some("alice-machine-password-Qw7\nvalue"),
        &["--password-stdin", "secret", "set", "billing", "X"],
        2,
    );
    e.fails_with(
        &[],
        value,
        &[
            "secret",
            "set",
            "billing",
            "X",
            "--description",
            "bell\u{7}",
        ],
        2,
    );
    // Unknown secrets and services, bad ids, missing choices.
    e.fails(&["secret", "get", "billing", "MISSING"], 8);
    e.fails(&["secret", "rm", "billing", "MISSING"], 8);
    e.fails(&["secret", "history", "billing", "MISSING"], 8);
    e.fails(
        &[
            "service",
            "create-token",
            "--project",
            "billing",
            "--name",
            "ci",
            "--secrets",
            "MISSING",
        ],
        8,
    );
    e.fails(
        &[
            "service",
            "create-token",
            "--project",
            "billing",
            "--name",
            "ci",
            "--secrets",
            "DATABASE_URL",
            "--whole-project",
        ],
        2,
    );
    e.fails(
        &[
            "service",
            "create-token",
            "--project",
            "billing",
            "--name",
            "ci",
            "--expires-in",
            "soon",
        ],
        2,
    );
    e.fails(
        &[
            "service",
            "approve",
            "--project",
            "billing",
            "0000",
            "--whole-project",
        ],
        8,
    );
    e.fails(&["service", "approve", "--project", "billing", "0000"], 2);
    e.fails(&["service", "revoke", "--project", "billing", "nobody"], 8);
    e.fails(
        &["requests", "grant", "--project", "billing", "nonsense"],
        2,
    );
    e.fails(
        &[
            "requests",
            "grant",
            "--project",
            "billing",
            "00000000:00000000",
        ],
        8,
    );
    e.fails(&["stubs", "fill", "--project", "billing", "NOPE"], 8);

    // Nothing changed.
    let projects = e.json(&["project", "ls"]);
    assert_eq!(projects.as_array().unwrap().len(), 1, "{projects:#}");
    let secrets = e.json(&["secret", "ls", "billing"]);
    assert_eq!(secrets.as_array().unwrap().len(), 1, "{secrets:#}");
    assert_eq!(secrets[0]["name"], "DATABASE_URL");
    assert_eq!(secrets[0]["version"], 1);
    assert_eq!(
        e.ok(&["secret", "get", "billing", "DATABASE_URL"]),
        "postgres://db-one-Xk1"
    );
    assert!(
        e.json(&["service", "ls", "--project", "billing"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    // `vault secrets schema` (plural) still works beside `vault secret`.
    let schema = e.root.join("secrets.schema.json");
    std::fs::write(
        &schema,
        r#"{"type":"object","properties":{"DATABASE_URL":{"type":"string"}}}"#,
    )
    .unwrap();
    let out = e.ok(&["secrets", "schema", "check", schema.to_str().unwrap()]);
    assert!(out.contains("DATABASE_URL"), "{out}");
}
