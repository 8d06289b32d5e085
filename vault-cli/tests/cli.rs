//! End to end: the built `vault` binary against an in-process server.
//! Two users register, one adds items of every type and shares a vault,
//! the other reads it on a second device directory; scripts read single
//! fields; the session key, edits, deletes, revocation, exit codes and
//! `--password-stdin` work as documented; no file ever holds a plaintext.
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
use vault_core::KdfParams;
use vault_sync::server::{Protocol, ServerConfig};
use vault_testkit::{Db, TempDir, TestServer};

const ALICE_PW: &str = "alice-cli-password-Pk3";
const BOB_PW: &str = "bob-cli-password-Ty8";

const PLAINTEXTS: &[&str] = &[
    ALICE_PW,
    BOB_PW,
    "Prod Database Login",
    "s3cret-cli-XYZ",
    "rotated-cli-pw-Mn4",
    "Door Code Note",
    "door-code-9911",
    "tok-live-ABC123",
    "5500000000000004",
    "doc-no-P99887",
    "PRIVATE KEY cli Ab1",
    "Team Shared Login",
    "team-shared-secret-Wq2",
    "Team Vault Cli",
    "stdin-secret-Zx0",
];

struct Env {
    root: PathBuf,
    url: String,
    _server: TestServer,
    /// The server's runtime: its worker threads serve while the test runs
    /// the binary.
    _runtime: tokio::runtime::Runtime,
    /// Removed last, after the server is gone.
    _dir: TempDir,
}

impl Env {
    /// A temporary directory (the devices' and the server's) and the
    /// server (SQLite in `server/`, OPAQUE) on a runtime of its own.
    fn new() -> Env {
        let dir = TempDir::new("cli");
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
        Env {
            root: dir.to_path_buf(),
            url: server.url.clone(),
            _server: server,
            _runtime: runtime,
            _dir: dir,
        }
    }

    /// Runs `vault` with device directory `dev`; `password` goes into
    /// VAULT_PASSWORD; `extra` sets more variables; `stdin` is piped in.
    fn run(
        &self,
        dev: &str,
        password: Option<&str>,
        extra: &[(&str, &str)],
        stdin: Option<&str>,
        args: &[&str],
    ) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vault"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.root)
            .env("VAULT_SERVER", &self.url)
            .env("VAULT_DIR", self.root.join(dev))
            .env("VAULT_KDF_POLICY", "permissive_test_only")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(p) = password {
            cmd.env("VAULT_PASSWORD", p);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        if let Some(s) = stdin {
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    fn ok(&self, dev: &str, password: Option<&str>, args: &[&str]) -> String {
        let out = self.run(dev, password, &[], None, args);
        assert!(
            out.status.success(),
            "vault {args:?} failed ({:?}):\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, dev: &str, password: Option<&str>, args: &[&str], code: i32) -> String {
        let out = self.run(dev, password, &[], None, args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "vault {args:?}: expected exit {code}; stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
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

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[test]
fn register_add_share_sync_get() {
    let e = Env::new();
    let a = Some(ALICE_PW);
    let b = Some(BOB_PW);

    // Register two users (device 1 each).
    let out = e.ok(
        "alice1",
        a,
        &[
            "register",
            "alice@example.com",
            "--kdf",
            "insecure-test-only",
        ],
    );
    assert!(out.starts_with("export VAULT_SESSION=\""), "{out}");
    e.ok(
        "bob1",
        b,
        &["register", "bob@example.com", "--kdf", "insecure-test-only"],
    );
    // Weak KDF presets are refused under the default policy.
    let out = e.run(
        "weak",
        Some("weak-password-123"),
        &[("VAULT_KDF_POLICY", "default")],
        None,
        &[
            "register",
            "carol@example.com",
            "--kdf",
            "insecure-test-only",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(9),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A taken identifier is refused by the server.
    e.fails(
        "dup",
        a,
        &[
            "register",
            "alice@example.com",
            "--kdf",
            "insecure-test-only",
        ],
        6,
    );

    // Alice adds one item of every type to her Personal vault.
    e.ok(
        "alice1",
        a,
        &[
            "add",
            "login",
            "--title",
            "Prod Database Login",
            "--username",
            "admin",
            "--password",
            "s3cret-cli-XYZ",
            "--uri",
            "https://db.example",
        ],
    );
    e.ok(
        "alice1",
        a,
        &[
            "add",
            "note",
            "--title",
            "Door Code Note",
            "--notes",
            "door-code-9911",
        ],
    );
    e.ok(
        "alice1",
        a,
        &[
            "add",
            "api-key",
            "--title",
            "Payments API",
            "--env",
            "API_TOKEN=tok-live-ABC123",
        ],
    );
    e.ok(
        "alice1",
        a,
        &[
            "add",
            "card",
            "--title",
            "Card",
            "--number",
            "5500000000000004",
            "--code",
            "321",
            "--exp-month",
            "01",
            "--exp-year",
            "2031",
        ],
    );
    e.ok(
        "alice1",
        a,
        &[
            "add",
            "identity",
            "--title",
            "ID",
            "--full-name",
            "Alice Example",
            "--document-number",
            "doc-no-P99887",
        ],
    );
    e.ok(
        "alice1",
        a,
        &[
            "add",
            "ssh-key",
            "--title",
            "Deploy",
            "--private-key",
            "-----BEGIN PRIVATE KEY cli Ab1-----",
            "--public-key",
            "ssh-ed25519 AAAA",
        ],
    );
    // A secret value from stdin (`-`).
    let out = e.run(
        "alice1",
        a,
        &[],
        Some("stdin-secret-Zx0\n"),
        &["add", "login", "--title", "From Stdin", "--password", "-"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = json(&e.ok("alice1", a, &["ls", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 7, "{listed}");
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["unsynced"] == false)
    );
    e.assert_no_plaintext("adding items");

    // Single fields for scripts.
    assert_eq!(
        e.ok(
            "alice1",
            a,
            &["get", "Prod Database Login", "--field", "password"]
        ),
        "s3cret-cli-XYZ"
    );
    assert_eq!(
        e.ok(
            "alice1",
            a,
            &["get", "prod database login", "-f", "username"]
        ),
        "admin"
    );
    assert_eq!(
        e.ok(
            "alice1",
            a,
            &["get", "Payments API", "--field", "API_TOKEN"]
        ),
        "tok-live-ABC123"
    );
    assert_eq!(
        e.ok("alice1", a, &["get", "Card", "--field", "number"]),
        "5500000000000004"
    );
    assert_eq!(
        e.ok("alice1", a, &["get", "From Stdin", "--field", "password"]),
        "stdin-secret-Zx0"
    );
    // The human view hides secrets unless asked.
    let shown = e.ok("alice1", a, &["get", "Prod Database Login"]);
    assert!(
        shown.contains("admin") && !shown.contains("s3cret-cli-XYZ"),
        "{shown}"
    );
    assert!(
        e.ok("alice1", a, &["get", "Prod Database Login", "--reveal"])
            .contains("s3cret-cli-XYZ")
    );
    let full = json(&e.ok("alice1", a, &["get", "Door Code Note", "--json"]));
    assert_eq!(full["item"]["notes"], "door-code-9911");
    e.fails("alice1", a, &["get", "No Such Item"], 8);
    e.fails(
        "alice1",
        a,
        &["get", "Prod Database Login", "--field", "nope"],
        8,
    );
    // Flags of another type are a usage error.
    e.fails(
        "alice1",
        a,
        &["edit", "Door Code Note", "--username", "x"],
        2,
    );

    // Wrong password: exit 4.
    e.fails("alice1", Some("wrong password!"), &["ls"], 4);
    e.fails(
        "alice-x",
        Some("wrong password!"),
        &["login", "alice@example.com"],
        4,
    );

    // A team vault, shared with Bob after checking his fingerprint.
    e.ok("alice1", a, &["create-vault", "Team Vault Cli"]);
    e.ok(
        "alice1",
        a,
        &[
            "add",
            "login",
            "--vault",
            "Team Vault Cli",
            "--title",
            "Team Shared Login",
            "--username",
            "team",
            "--password",
            "team-shared-secret-Wq2",
        ],
    );
    let bob_fp = e.ok("bob1", b, &["fingerprint"]);
    let bob_fp = bob_fp.trim();
    assert_eq!(bob_fp.len(), 35, "{bob_fp}");
    // Alice sees the same fingerprint in the directory (no unlock needed).
    assert_eq!(
        e.ok("alice1", None, &["fingerprint", "bob@example.com"])
            .trim(),
        bob_fp
    );
    // Without a check, non-interactively, sharing is refused.
    e.fails(
        "alice1",
        a,
        &["share", "Team Vault Cli", "bob@example.com"],
        9,
    );
    e.fails(
        "alice1",
        a,
        &[
            "share",
            "Team Vault Cli",
            "bob@example.com",
            "--fingerprint",
            "00000 00000 00000 00000 00000 00000",
        ],
        9,
    );
    e.ok(
        "alice1",
        a,
        &[
            "share",
            "Team Vault Cli",
            "bob@example.com",
            "--role",
            "viewer",
            "--fingerprint",
            bob_fp,
        ],
    );
    let members = json(&e.ok("alice1", a, &["members", "Team Vault Cli", "--json"]));
    assert_eq!(members.as_array().unwrap().len(), 2, "{members}");
    e.assert_no_plaintext("sharing");

    // Bob, on a second device directory, logs in, syncs and reads it.
    let out = e.ok("bob2", b, &["login", "bob@example.com"]);
    assert!(out.contains("VAULT_SESSION"));
    e.ok("bob2", b, &["sync"]);
    let vaults = json(&e.ok("bob2", b, &["vaults", "--json"]));
    let team = vaults
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "Team Vault Cli")
        .unwrap();
    assert_eq!(team["role"], "viewer");
    assert_eq!(team["shared_by"], "alice@example.com");
    assert_eq!(
        e.ok(
            "bob2",
            b,
            &["get", "Team Shared Login", "--field", "password"]
        ),
        "team-shared-secret-Wq2"
    );
    // A viewer cannot write.
    e.fails(
        "bob2",
        b,
        &["edit", "Team Shared Login", "--password", "x"],
        2,
    );
    // Bob does not see Alice's personal items.
    e.fails("bob2", b, &["get", "Prod Database Login"], 8);

    // Session key: unlock once, then no password needed; lock revokes it.
    let out = e.ok("alice1", a, &["unlock", "--raw"]);
    let session = out.trim().to_owned();
    let with_session =
        |args: &[&str]| e.run("alice1", None, &[("VAULT_SESSION", &session)], None, args);
    let out = with_session(&["get", "Door Code Note", "--field", "notes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "door-code-9911");
    let status = json(&String::from_utf8(with_session(&["status", "--json"]).stdout).unwrap());
    assert_eq!(status["unlocked"], true);
    e.ok("alice1", None, &["lock"]);
    assert_eq!(with_session(&["ls"]).status.code(), Some(3));
    // No password and no session: locked (exit 3).
    e.fails("alice1", None, &["ls"], 3);

    // Edit on device 1; a second device of Alice sees it (password from stdin).
    e.ok(
        "alice1",
        a,
        &[
            "edit",
            "Prod Database Login",
            "--password",
            "rotated-cli-pw-Mn4",
        ],
    );
    let out = e.run(
        "alice2",
        None,
        &[],
        Some(&format!("{ALICE_PW}\n")),
        &["login", "alice@example.com", "--password-stdin"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        e.ok(
            "alice2",
            a,
            &["get", "Prod Database Login", "--field", "password"]
        ),
        "rotated-cli-pw-Mn4"
    );
    // Delete on device 2; gone on device 1 after a sync.
    e.ok("alice2", a, &["rm", "Door Code Note"]);
    e.ok("alice1", a, &["sync"]);
    e.fails("alice1", a, &["get", "Door Code Note"], 8);
    e.assert_no_plaintext("editing and deleting");

    // Revoke: Bob loses the vault; Alice's key is rotated.
    e.ok(
        "alice1",
        a,
        &["unshare", "Team Vault Cli", "bob@example.com"],
    );
    e.ok("bob2", b, &["sync"]);
    e.fails("bob2", b, &["get", "Team Shared Login"], 8);
    assert_eq!(
        e.ok(
            "alice1",
            a,
            &["get", "Team Shared Login", "--field", "password"]
        ),
        "team-shared-secret-Wq2"
    );
    let vaults = json(&e.ok("alice1", a, &["vaults", "--json"]));
    let team = vaults
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "Team Vault Cli")
        .unwrap();
    assert_eq!(team["key_version"], 2);

    // Logout wipes the device; it is then not logged in (exit 3).
    e.ok("bob2", b, &["logout"]);
    e.fails("bob2", b, &["status"], 3);
    e.assert_no_plaintext("the end");
}

#[test]
fn recovery_kit_recover_and_rotate_account_key() {
    let e = Env::new();
    let a = Some(ALICE_PW);
    e.ok(
        "d1",
        a,
        &[
            "register",
            "dora@example.com",
            "--kdf",
            "insecure-test-only",
        ],
    );
    e.ok(
        "d1",
        a,
        &[
            "add",
            "note",
            "--title",
            "Dora Note",
            "--notes",
            "dora-note-secret-Pa5",
        ],
    );
    assert_eq!(
        json(&e.ok("d1", a, &["recovery-kit", "--status", "--json"]))["recovery_kit"],
        false
    );
    let kit = json(&e.ok("d1", a, &["recovery-kit", "--json"]));
    let words = kit["words"].as_str().unwrap().to_owned();
    assert_eq!(words.split(' ').count(), 24);
    assert_eq!(
        json(&e.ok("d1", a, &["recovery-kit", "--status", "--json"]))["recovery_kit"],
        true
    );

    // A mistyped word is caught locally (usage-level error, nothing sent).
    let mut typo: Vec<&str> = words.split(' ').collect();
    typo[0] = if typo[0] == "zoo" { "zebra" } else { "zoo" };
    let out = e.run(
        "d2",
        None,
        &[
            ("VAULT_RECOVERY", typo.join(" ").as_str()),
            ("VAULT_NEW_PASSWORD", "dora-new-password-Lk8"),
        ],
        None,
        &["recover", "dora@example.com"],
    );
    assert!(!out.status.success());
    // The right words on a new device, the words read from stdin.
    let new_pw = "dora-new-password-Lk8";
    let out = e.run(
        "d2",
        None,
        &[("VAULT_NEW_PASSWORD", new_pw)],
        Some(&format!("{words}\n")),
        &["recover", "dora@example.com"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n = Some(new_pw);
    assert_eq!(
        e.ok("d2", n, &["get", "Dora Note", "--field", "notes"]),
        "dora-note-secret-Pa5"
    );
    // The old password no longer logs in (exit 4).
    e.fails("d3", a, &["login", "dora@example.com"], 4);

    // Rotation renews the kit; the item stays readable on a fresh login.
    let rotated = json(&e.ok("d2", n, &["rotate-account-key", "--json"]));
    assert_eq!(rotated["key_generation"], 2);
    let new_words = rotated["recovery_words"].as_str().unwrap().to_owned();
    assert_ne!(new_words, words);
    e.ok("d3", n, &["login", "dora@example.com"]);
    assert_eq!(
        e.ok("d3", n, &["get", "Dora Note", "--field", "notes"]),
        "dora-note-secret-Pa5"
    );
    // The old kit is refused by the server (exit 4: authentication failed).
    let out = e.run(
        "d4",
        None,
        &[
            ("VAULT_RECOVERY", words.as_str()),
            ("VAULT_NEW_PASSWORD", "x-password-Zz9"),
        ],
        None,
        &["recover", "dora@example.com"],
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Shares: split 2/3, any two recover.
    let split = json(&e.ok("d3", n, &["recovery-kit", "--split", "2/3", "--json"]));
    let shares: Vec<String> = split["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(shares.len(), 3);
    let two = format!("{} {}", shares[0], shares[2]);
    let out = e.run(
        "d5",
        None,
        &[
            ("VAULT_RECOVERY", two.as_str()),
            ("VAULT_NEW_PASSWORD", "dora-third-pw-Qe2"),
        ],
        None,
        &["recover", "dora@example.com"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        e.ok(
            "d5",
            Some("dora-third-pw-Qe2"),
            &["get", "Dora Note", "--field", "notes"]
        ),
        "dora-note-secret-Pa5"
    );
}

/// `vault emergency`: name a contact (fingerprint checked), ask, the early
/// claim refused with its code, cancel, remove; bad waits are refused.
/// (The server's minimum wait is the default 24 h here, so nothing is
/// released: the release itself is tested in vault-sync/tests/emergency.rs.)
#[test]
fn emergency_add_request_cancel_claim() {
    let e = Env::new();
    let (a, b) = (Some(ALICE_PW), Some(BOB_PW));
    for (dev, pw, id) in [("ea", a, "erin@example.com"), ("eb", b, "finn@example.com")] {
        e.ok(dev, pw, &["register", id, "--kdf", "insecure-test-only"]);
    }
    let fp = e.ok("eb", b, &["fingerprint"]).trim().to_owned();
    // A wrong fingerprint, a bad or too short wait: refused, nothing named.
    e.fails(
        "ea",
        a,
        &[
            "emergency",
            "add",
            "finn@example.com",
            "--vault",
            "Personal",
            "--fingerprint",
            "1234",
        ],
        9,
    );
    e.fails(
        "ea",
        a,
        &[
            "emergency",
            "add",
            "finn@example.com",
            "--vault",
            "Personal",
            "--wait",
            "7w",
            "--yes",
        ],
        2,
    );
    e.fails(
        "ea",
        a,
        &[
            "emergency",
            "add",
            "finn@example.com",
            "--vault",
            "Personal",
            "--wait",
            "1h",
            "--yes",
        ],
        6,
    );
    let ls = json(&e.ok("ea", a, &["emergency", "ls", "--json"]));
    assert_eq!(ls["as_owner"].as_array().unwrap().len(), 0, "{ls}");

    let added = json(&e.ok(
        "ea",
        a,
        &[
            "emergency",
            "add",
            "finn@example.com",
            "--vault",
            "Personal",
            "--wait",
            "2d",
            "--fingerprint",
            &fp,
            "--json",
        ],
    ));
    assert_eq!(added["state"], "idle");
    assert_eq!(added["wait_secs"], 2 * 86_400);
    assert_eq!(added["verified"], true);
    assert_eq!(added["vaults"][0]["name"], "Personal");
    let ls = json(&e.ok("eb", b, &["emergency", "ls", "--json"]));
    assert_eq!(ls["as_contact"][0]["identifier"], "erin@example.com");

    let asked = json(&e.ok(
        "eb",
        b,
        &["emergency", "request", "erin@example.com", "--json"],
    ));
    assert_eq!(asked["state"], "requested");
    let out = e.run(
        "eb",
        b,
        &[],
        None,
        &["emergency", "claim", "erin@example.com", "--json"],
    );
    assert_eq!(out.status.code(), Some(6));
    let err = json(String::from_utf8_lossy(&out.stderr).trim());
    assert_eq!(err["error"], "emergency_waiting", "{err}");
    assert!(e.ok("ea", a, &["emergency", "ls"]).contains("requested"));

    e.ok("ea", a, &["emergency", "cancel", "finn@example.com"]);
    let out = e.run(
        "eb",
        b,
        &[],
        None,
        &["emergency", "claim", "erin@example.com", "--json"],
    );
    assert_eq!(out.status.code(), Some(6));
    let err = json(String::from_utf8_lossy(&out.stderr).trim());
    assert_eq!(err["error"], "emergency_not_requested", "{err}");
    // Bob cannot remove Alice's contact (it is not his); Alice can, once.
    e.fails("eb", b, &["emergency", "rm", "erin@example.com"], 8);
    e.ok("ea", a, &["emergency", "rm", "finn@example.com"]);
    e.fails("ea", a, &["emergency", "rm", "finn@example.com"], 8);
    let ls = json(&e.ok("eb", b, &["emergency", "ls", "--json"]));
    assert_eq!(ls["as_contact"].as_array().unwrap().len(), 0, "{ls}");
}
