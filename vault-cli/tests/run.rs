//! The service side of the `vault` binary against the real server in
//! process: `vault service register` (a token generated and saved 0600,
//! then pending until an admin approves), `vault run` (secrets in a
//! child's environment: the project's, and `vault://` references in the
//! environment and in an --env-file), and `vault inject` (a file template
//! rendered 0600 with an atomic rename). The admin acts through
//! vault-sync's client in this process (as `vault service approve` does).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use vault_core::{KdfParams, KdfPolicy, ServiceId, VaultId};
use vault_sync::client::{AccessSpec, Device, RequestStatus, UnlockedDevice};
use vault_sync::server::ServerConfig;
use vault_sync::server::ratelimit::LimitConfig;
use vault_testkit::{Db, TempDir, TestServer};

const DB_URL: &str = "postgres://run-db-Qa1";
const STRIPE: &str = "sk_live_run-stripe-Wb2";

struct Env {
    root: PathBuf,
    url: String,
    server: TestServer,
    admin: UnlockedDevice,
    project: VaultId,
    reference: String,
    runtime: tokio::runtime::Runtime,
    _dir: TempDir,
}

/// A registered service: its id, fingerprint and token file.
struct Svc {
    id: ServiceId,
    fingerprint: String,
    token_file: PathBuf,
}

impl Env {
    fn new(label: &str) -> Env {
        let dir = TempDir::new(label);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let config = ServerConfig {
            fake_kdf: KdfParams::INSECURE_TEST_ONLY,
            limits: LimitConfig {
                starts_per_minute: 10_000,
                ..LimitConfig::default()
            },
            ..ServerConfig::default()
        };
        let server = runtime.block_on(TestServer::start(
            Db::Sqlite(dir.join("server").join("server.db")),
            config,
        ));
        let options = vault_sync::client::ClientOptions {
            kdf_policy: KdfPolicy::PERMISSIVE_TEST_ONLY,
            ..Default::default()
        };
        let mut admin = runtime.block_on(async {
            Device::open(dir.join("admin"), options)
                .await
                .unwrap()
                .register(
                    &server.url,
                    &format!("{label}@example.test"),
                    "correct horse battery staple",
                    KdfParams::INSECURE_TEST_ONLY,
                )
                .await
                .unwrap()
        });
        let created = runtime.block_on(admin.create_project("billing")).unwrap();
        std::fs::create_dir_all(dir.join("svc")).unwrap();
        Env {
            root: dir.to_path_buf(),
            url: server.url.clone(),
            server,
            admin,
            project: created.project,
            reference: created.reference,
            runtime,
            _dir: dir,
        }
    }

    fn set(&mut self, name: &str, value: &str) {
        self.runtime
            .block_on(self.admin.set_secret(self.project, name, value, ""))
            .unwrap();
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join("svc").join(name)
    }

    /// Runs `vault` in a clean environment (PATH, HOME, VAULT_SERVER and
    /// `vars`), in the service's directory.
    fn vault(&self, vars: &[(&str, &str)], args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vault"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.root)
            .env("VAULT_SERVER", &self.url)
            .current_dir(self.root.join("svc"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    fn ok(&self, vars: &[(&str, &str)], args: &[&str]) -> String {
        let out = self.vault(vars, args);
        assert!(
            out.status.success(),
            "vault {args:?} failed ({:?}):\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Expects exit `code`, nothing on stdout; returns stderr.
    fn fails(&self, vars: &[(&str, &str)], args: &[&str], code: i32) -> String {
        let out = self.vault(vars, args);
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

    /// `vault service register … --json` into `file`.
    fn register(&self, file: &str) -> Svc {
        let token_file = self.path(file);
        let out = self.ok(
            &[],
            &[
                "service",
                "register",
                "--project",
                &self.reference,
                "--name",
                "billing-api",
                "--version",
                "1.4.2",
                "--token-file",
                token_file.to_str().unwrap(),
                "--json",
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["status"], "pending_approval");
        assert_eq!(v["project"], self.project.to_string());
        assert_eq!(v["name"], "billing-api");
        Svc {
            id: v["service"].as_str().unwrap().parse().unwrap(),
            fingerprint: v["fingerprint"].as_str().unwrap().to_owned(),
            token_file,
        }
    }

    fn approve(&mut self, svc: &Svc, access: AccessSpec) {
        self.runtime
            .block_on(self.admin.approve_service(
                self.project,
                svc.id,
                Some(&svc.fingerprint),
                &access,
            ))
            .unwrap();
    }

    /// A service registered through the CLI and approved.
    fn approved(&mut self, file: &str, access: AccessSpec) -> Svc {
        let svc = self.register(file);
        self.approve(&svc, access);
        svc
    }

    /// Neither `needles` appear in the server's database files.
    fn assert_server_blind(&self, needles: &[&str]) {
        for f in self.server.files() {
            let bytes = std::fs::read(&f).unwrap_or_default();
            for n in needles {
                assert!(
                    !bytes.windows(n.len()).any(|w| w == n.as_bytes()),
                    "{n:?} found in {}",
                    f.display()
                );
            }
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        self.runtime.block_on(self.server.stop());
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn write_mode(path: &Path, text: &str, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap();
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Register through the CLI → pending → an admin approves after comparing
/// the fingerprint → `vault run --project` hands the child the value.
/// The token file is 0600 and never overwritten by accident; registering
/// it again is refused by the server with a clear message; --force makes a
/// new identity. The server's database never holds the value or the name.
#[test]
fn register_approve_then_run() {
    let mut env = Env::new("cli-run-register");
    env.set("DATABASE_URL", DB_URL);

    let svc = env.register("token");
    assert_eq!(mode(&svc.token_file), 0o600);
    let text = std::fs::read_to_string(&svc.token_file).unwrap();
    assert!(text.starts_with("vst1."), "{text}");
    assert_eq!(names_in(&env.root.join("svc")), ["token"]);
    let tf = svc.token_file.to_str().unwrap().to_owned();
    let print_db = ["sh", "-c", "printf %s \"$DATABASE_URL\""];
    let run = |project: &str| -> Vec<String> {
        let mut a: Vec<String> = ["run", "--project", project, "--token-file", &tf, "--"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        a.extend(print_db.iter().map(|s| (*s).to_owned()));
        a
    };

    // Pending: refused, with the next step.
    let err = env.fails(&[], &strs(&run("billing")), 6);
    assert!(err.contains("approval"), "{err}");
    assert!(err.contains("vault service approve"), "{err}");

    // Without --json it says "pending approval" and the digits on stderr.
    let out = env.vault(
        &[],
        &[
            "service",
            "register",
            "--project",
            &env.reference,
            "--name",
            "other-api",
            "--token-file",
            env.path("token2").to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("pending approval"), "{stderr}");
    let fp_line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("Fingerprint: "))
        .unwrap();
    assert!(
        fp_line.chars().filter(char::is_ascii_digit).count() >= 30,
        "{fp_line}"
    );

    env.approve(&svc, AccessSpec::Secrets(vec!["DATABASE_URL".into()]));
    // By name, by id and by reference.
    for p in ["billing", &env.project.to_string(), &env.reference] {
        assert_eq!(env.ok(&[], &strs(&run(p))), DB_URL, "--project {p}");
    }
    // Another project's id is refused before anything is asked.
    let err = env.fails(&[], &strs(&run(&VaultId([7; 16]).to_string())), 2);
    assert!(err.contains("belongs to project"), "{err}");

    // Registering the same token again: the server refuses, clearly.
    let err = env.fails(
        &[],
        &[
            "service",
            "register",
            "--project",
            &env.reference,
            "--name",
            "billing-api",
            "--token-file",
            &tf,
        ],
        6,
    );
    assert!(err.contains("registered already"), "{err}");
    assert!(err.contains(&svc.fingerprint), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&svc.token_file).unwrap(), text);

    // A file that holds no token is not overwritten.
    let junk = env.path("junk");
    write_mode(&junk, "not a token\n", 0o600);
    let err = env.fails(
        &[],
        &[
            "service",
            "register",
            "--project",
            &env.reference,
            "--name",
            "x",
            "--token-file",
            junk.to_str().unwrap(),
        ],
        2,
    );
    assert!(err.contains("not overwritten"), "{err}");
    assert_eq!(std::fs::read_to_string(&junk).unwrap(), "not a token\n");

    // --force: a new identity, pending again; the old one keeps working.
    let out = env.ok(
        &[],
        &[
            "service",
            "register",
            "--project",
            &env.reference,
            "--name",
            "billing-api",
            "--token-file",
            &tf,
            "--force",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_ne!(v["service"], svc.id.to_string());
    let new_text = std::fs::read_to_string(&svc.token_file).unwrap();
    assert_ne!(new_text, text);
    assert_eq!(mode(&svc.token_file), 0o600);
    env.fails(&[], &strs(&run("billing")), 6);
    let mut a2 = vec!["run", "--project", "billing", "--"];
    a2.extend(print_db);
    assert_eq!(env.ok(&[("VAULT_SERVICE_TOKEN", text.trim())], &a2), DB_URL);

    // Not a reference, a bad server, an unknown token.
    let err = env.fails(
        &[],
        &[
            "service",
            "register",
            "--project",
            "billing",
            "--name",
            "x",
            "--token-file",
            env.path("t3").to_str().unwrap(),
        ],
        2,
    );
    assert!(err.contains("vpr1."), "{err}");
    assert!(!env.path("t3").exists());
    let unknown = vault_secrets::new_token(&env.reference).unwrap();
    let unknown = unknown.to_text();
    let err = env.fails(&[("VAULT_SERVICE_TOKEN", unknown.expose_secret())], &a2, 3);
    assert!(err.contains("unknown, revoked or expired"), "{err}");

    env.assert_server_blind(&[DB_URL, "DATABASE_URL", text.trim()]);
}

/// `vault://` references in the environment and in an --env-file resolve
/// (by project name or id); the variables keep their names; only what is
/// referenced is passed without --project; the token variables never
/// reach the child; its exit code and signals pass straight through.
#[test]
fn references_exit_codes_and_a_clean_environment() {
    let mut env = Env::new("cli-run-refs");
    env.set("DATABASE_URL", DB_URL);
    env.set("STRIPE_KEY", STRIPE);
    let svc = env.approved("token", AccessSpec::WholeProject);
    let tf = svc.token_file.to_str().unwrap().to_owned();
    let tpl = env.path(".env.tpl");
    std::fs::write(
        &tpl,
        format!(
            "# the service's variables\nexport STRIPE=vault://{}/STRIPE_KEY\nMODE='production'\n",
            env.project
        ),
    )
    .unwrap();
    let show = "printf '%s|%s|%s|%s' \"$DB\" \"$STRIPE\" \"$MODE\" \"${DATABASE_URL-unset}\"";
    let out = env.ok(
        &[("DB", "vault://billing/DATABASE_URL")],
        &[
            "run",
            "--env-file",
            tpl.to_str().unwrap(),
            "--token-file",
            &tf,
            "--",
            "sh",
            "-c",
            show,
        ],
    );
    assert_eq!(out, format!("{DB_URL}|{STRIPE}|production|unset"));

    // With --project: every secret too (and the template still applies).
    let out = env.ok(
        &[("DB", "vault://billing/DATABASE_URL")],
        &[
            "run",
            "--project",
            "billing",
            "--env-file",
            tpl.to_str().unwrap(),
            "--token-file",
            &tf,
            "--",
            "sh",
            "-c",
            "printf '%s|%s|%s' \"$DB\" \"$DATABASE_URL\" \"$STRIPE_KEY\"",
        ],
    );
    assert_eq!(out, format!("{DB_URL}|{DB_URL}|{STRIPE}"));

    // The token never reaches the child, however it was given.
    let token_text = std::fs::read_to_string(&svc.token_file).unwrap();
    let probe = "printf %s \"${VAULT_SERVICE_TOKEN-unset}/${VAULT_SERVICE_TOKEN_FILE-unset}/${VAULT_SERVER:+server}\"";
    for vars in [
        vec![("VAULT_SERVICE_TOKEN", token_text.trim())],
        vec![("VAULT_SERVICE_TOKEN_FILE", tf.as_str())],
    ] {
        let out = env.ok(
            &vars,
            &["run", "--project", "billing", "--", "sh", "-c", probe],
        );
        assert_eq!(out, "unset/unset/server");
    }

    // Exit codes and signals are the child's own (the CLI exec'd it).
    let out = env.vault(
        &[],
        &[
            "run",
            "--project",
            "billing",
            "--token-file",
            &tf,
            "--",
            "sh",
            "-c",
            "exit 7",
        ],
    );
    assert_eq!(out.status.code(), Some(7));
    let out = env.vault(
        &[],
        &[
            "run",
            "--project",
            "billing",
            "--token-file",
            &tf,
            "--",
            "sh",
            "-c",
            "kill -TERM $$",
        ],
    );
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(15), "{:?}", out.status);
    }
    let err = env.fails(
        &[],
        &[
            "run",
            "--project",
            "billing",
            "--token-file",
            &tf,
            "--",
            "./no-such-program",
        ],
        127,
    );
    assert!(err.contains("cannot run"), "{err}");

    // References must all mean the token's project.
    let run_with = |vars: &[(&str, &str)], extra: &[&str]| {
        let mut a = vec!["run", "--token-file", tf.as_str()];
        a.extend_from_slice(extra);
        a.extend(["--", "true"]);
        env.fails(vars, &a, 2)
    };
    let err = run_with(
        &[
            ("A", "vault://billing/DATABASE_URL"),
            ("B", "vault://payroll/STRIPE_KEY"),
        ],
        &[],
    );
    assert!(err.contains("one project"), "{err}");
    let err = run_with(
        &[("A", "vault://payroll/DATABASE_URL")],
        &["--project", "billing"],
    );
    assert!(err.contains("payroll"), "{err}");
    let other = format!("vault://{}/DATABASE_URL", VaultId([9; 16]));
    let err = run_with(&[("A", other.as_str())], &[]);
    assert!(err.contains("belongs to project"), "{err}");
    let err = run_with(&[("A", "vault://billing")], &[]);
    assert!(err.contains("bad vault:// reference"), "{err}");
    let bad = env.path("bad.tpl");
    std::fs::write(&bad, "OK=1\nthis line has no equals sign\n").unwrap();
    let err = run_with(&[], &["--env-file", bad.to_str().unwrap()]);
    assert!(err.contains("line 2"), "{err}");
    let err = run_with(&[], &[]);
    assert!(err.contains("nothing to resolve"), "{err}");

    env.assert_server_blind(&[DB_URL, STRIPE, "DATABASE_URL", "STRIPE_KEY"]);
}

/// A name that does not exist, or is not granted, fails the run before the
/// program starts, naming each with what was filed (a stub, an access
/// request), unless --allow-missing; admins then see the stub and the
/// request.
#[test]
fn missing_and_ungranted_names_fail_clearly() {
    let mut env = Env::new("cli-run-missing");
    env.set("DATABASE_URL", DB_URL);
    env.set("STRIPE_KEY", STRIPE);
    let svc = env.approved("token", AccessSpec::Secrets(vec!["DATABASE_URL".into()]));
    let tf = svc.token_file.to_str().unwrap().to_owned();
    let tpl = env.path(".env.tpl");
    std::fs::write(
        &tpl,
        "DB=vault://billing/DATABASE_URL\nDSN=vault://billing/SENTRY_DSN\nPAY=vault://billing/STRIPE_KEY\n",
    )
    .unwrap();
    let show = "echo ran; printf '%s|%s|%s' \"$DB\" \"${DSN-unset}\" \"${PAY-unset}\"";
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "run".to_owned(),
            "--env-file".into(),
            tpl.to_str().unwrap().into(),
            "--token-file".into(),
            tf.clone(),
        ];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a.extend(["--".into(), "sh".into(), "-c".into(), show.into()]);
        a
    };
    let err = env.fails(&[], &strs(&args(&[])), 8);
    assert!(err.contains("2 secret(s) could not be read"), "{err}");
    assert!(
        err.contains("SENTRY_DSN: no such secret (a stub is filed"),
        "{err}"
    );
    assert!(
        err.contains("STRIPE_KEY: not granted to this service (an access request is filed"),
        "{err}"
    );
    assert!(err.contains("--allow-missing"), "{err}");
    assert!(!err.contains(DB_URL) && !err.contains(STRIPE), "{err}");

    let stubs = env.runtime.block_on(env.admin.stubs(env.project)).unwrap();
    assert!(
        stubs
            .iter()
            .any(|s| s.name.as_ref().is_some_and(|n| n.as_str() == "SENTRY_DSN")),
        "{stubs:?}"
    );
    let requests = env
        .runtime
        .block_on(env.admin.requests(env.project))
        .unwrap();
    assert!(
        requests.iter().any(|r| r.service == svc.id
            && r.status == RequestStatus::Pending
            && r.secret_name
                .as_ref()
                .is_some_and(|n| n.as_str() == "STRIPE_KEY")),
        "{requests:?}"
    );

    // --allow-missing: the program runs without those variables.
    let out = env.vault(&[], &strs(&args(&["--allow-missing"])));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("ran\n{DB_URL}|unset|unset")
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("warning: SENTRY_DSN"), "{stderr}");

    // --project lists only what is granted (no request filed for a listing).
    let out = env.ok(
        &[],
        &[
            "run",
            "--project",
            "billing",
            "--token-file",
            &tf,
            "--",
            "sh",
            "-c",
            "printf '%s|%s' \"$DATABASE_URL\" \"${STRIPE_KEY-unset}\"",
        ],
    );
    assert_eq!(out, format!("{DB_URL}|unset"));
}

/// `vault inject` renders a file template into a 0600 file, replacing an
/// existing one atomically, leaving no temporary file; a placeholder that
/// does not resolve writes nothing.
#[test]
fn inject_writes_a_private_file_atomically() {
    let mut env = Env::new("cli-run-inject");
    env.set("DATABASE_URL", DB_URL);
    env.set("STRIPE_KEY", STRIPE);
    let svc = env.approved("token", AccessSpec::WholeProject);
    let tf = svc.token_file.to_str().unwrap().to_owned();
    let out_dir = env.root.join("conf");
    std::fs::create_dir_all(&out_dir).unwrap();
    let tpl = out_dir.join("config.tpl");
    std::fs::write(
        &tpl,
        "[db]\nurl = \"{{ vault://billing/DATABASE_URL }}\"\nkey = {{vault://billing/STRIPE_KEY}}\nkeep = {{ other }}\n",
    )
    .unwrap();
    let conf = out_dir.join("config.toml");
    write_mode(&conf, "old\n", 0o644);
    let out = env.ok(
        &[],
        &[
            "inject",
            "-i",
            tpl.to_str().unwrap(),
            "-o",
            conf.to_str().unwrap(),
            "--token-file",
            &tf,
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["secrets"], 2);
    assert_eq!(
        std::fs::read_to_string(&conf).unwrap(),
        format!("[db]\nurl = \"{DB_URL}\"\nkey = {STRIPE}\nkeep = {{{{ other }}}}\n")
    );
    assert_eq!(mode(&conf), 0o600);
    assert_eq!(names_in(&out_dir), ["config.toml", "config.tpl"]);

    // A new file, relative to the working directory, with --project.
    env.ok(
        &[("VAULT_SERVICE_TOKEN_FILE", tf.as_str())],
        &[
            "inject",
            "--in-file",
            tpl.to_str().unwrap(),
            "--out-file",
            "fresh.toml",
            "--project",
            "billing",
        ],
    );
    assert_eq!(mode(&env.path("fresh.toml")), 0o600);

    // A missing name: nothing written, nothing left behind.
    let bad = out_dir.join("bad.tpl");
    std::fs::write(
        &bad,
        "a = {{ vault://billing/DATABASE_URL }}\nb = {{ vault://billing/NOPE }}\n",
    )
    .unwrap();
    let err = env.fails(
        &[],
        &[
            "inject",
            "-i",
            bad.to_str().unwrap(),
            "-o",
            conf.to_str().unwrap(),
            "--token-file",
            &tf,
        ],
        8,
    );
    assert!(err.contains("NOPE: no such secret"), "{err}");
    assert!(std::fs::read_to_string(&conf).unwrap().contains(DB_URL));
    assert_eq!(names_in(&out_dir), ["bad.tpl", "config.toml", "config.tpl"]);
    // A template error names the line.
    std::fs::write(&bad, "a\n{{ vault://billing/X").unwrap();
    let err = env.fails(
        &[],
        &[
            "inject",
            "-i",
            bad.to_str().unwrap(),
            "-o",
            conf.to_str().unwrap(),
            "--token-file",
            &tf,
        ],
        2,
    );
    assert!(err.contains("line 2"), "{err}");
    // An output directory that does not exist.
    let err = env.fails(
        &[],
        &[
            "inject",
            "-i",
            tpl.to_str().unwrap(),
            "-o",
            out_dir.join("nope").join("x").to_str().unwrap(),
            "--token-file",
            &tf,
        ],
        1,
    );
    assert!(err.contains("cannot write"), "{err}");
}

/// A malformed, unreadable, loosely protected, doubly given or absent
/// token fails before anything is sent, with a clear message and no trace
/// of the token text.
#[test]
fn bad_tokens_are_clear_errors() {
    let dir = TempDir::new("cli-run-tokens");
    let vault = |vars: &[(&str, &str)], args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vault"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            // Nothing listens here: these fail before connecting.
            .env("VAULT_SERVER", "http://127.0.0.1:9")
            .stdin(Stdio::null());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let run = ["run", "--project", "billing", "--", "true"];

    let (code, stdout, err) = vault(&[("VAULT_SERVICE_TOKEN", "vst1.garbage-Zq9")], &run);
    assert_eq!(code, Some(2), "{err}");
    assert!(stdout.is_empty());
    assert!(err.contains("not a valid vst1. token"), "{err}");
    assert!(!err.contains("garbage-Zq9"), "{err}");

    let (code, _, err) = vault(&[("VAULT_SERVICE_TOKEN", "hello")], &run);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a valid vst1. token"), "{err}");

    let loose = dir.join("loose");
    let token = vault_core::machine::ServiceToken::generate(
        VaultId([1; 16]),
        [2; 32],
        &mut vault_core::rng::os_rng(),
    );
    write_mode(&loose, token.to_text().expose_secret(), 0o644);
    let (code, _, err) = vault(
        &[],
        &[
            "run",
            "--token-file",
            loose.to_str().unwrap(),
            "--project",
            "x",
            "--",
            "true",
        ],
    );
    assert_eq!(code, Some(9), "{err}");
    assert!(err.contains("chmod 600"), "{err}");

    let (code, _, err) = vault(
        &[],
        &[
            "run",
            "--token-file",
            dir.join("absent").to_str().unwrap(),
            "--project",
            "x",
            "--",
            "true",
        ],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("cannot read token file"), "{err}");

    let (code, _, err) = vault(
        &[
            ("VAULT_SERVICE_TOKEN", "vst1.x"),
            ("VAULT_SERVICE_TOKEN_FILE", "/nonexistent"),
        ],
        &run,
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not both"), "{err}");

    let (code, _, err) = vault(&[], &run);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no service token"), "{err}");

    let (code, _, err) = vault(&[], &["inject", "-i", "x", "-o", "y"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no service token"), "{err}");

    // `--` and a program are required.
    let (code, _, _) = vault(&[], &["run", "--project", "billing"]);
    assert_eq!(code, Some(2));
}
