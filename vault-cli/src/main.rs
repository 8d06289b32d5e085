//! The `vault` command: a zero-knowledge secrets manager for the terminal
//! and scripts, modeled on the Bitwarden (`bw`) and 1Password (`op`) CLIs.
//!
//! ```text
//! vault --server https://vault.example.com register alice@example.com
//! eval "$(vault unlock)"                       # VAULT_SESSION for this shell
//! vault add login --title GitHub --username alice --generate-password --uri https://github.com
//! vault get GitHub --field password            # one value, for scripts
//! vault share Team bob@example.com --role editor --fingerprint "12345 67890 …"
//! vault --dir ~/.vault-laptop login alice@example.com && vault --dir ~/.vault-laptop sync
//! ```
//!
//! Every device is a directory (`--dir`/`VAULT_DIR`) holding an encrypted
//! replica; everything works offline except what needs the server (login,
//! sync, sharing). Passwords come from the terminal (no echo),
//! `--password-stdin`, or `VAULT_PASSWORD`; messages go to stderr, results
//! to stdout (`--json` for machines). Exit codes: see `vault --help`.

mod args;
mod emergency;
mod error;
mod items;
mod lifecycle;
mod term;

use args::{Cli, Command, KindArg, RoleArg};
use clap::Parser;
use error::{CliError, CliResult, exit};
use items::Input;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use vault_core::{AccountId, ItemKind, KdfParams, KdfPolicy, Role, VaultId, VaultMeta};
use vault_sync::client::{
    ApiClient, ClientError, ClientOptions, Device, HttpOptions, SyncReport, UnlockedDevice,
    encode_session_key, parse_session_key,
};
use zeroize::Zeroizing;

/// Shortest master password `register` and `change-password` accept.
const MIN_PASSWORD_LEN: usize = 8;

/// What every command needs.
struct Ctx {
    server: Option<String>,
    dir: PathBuf,
    json: bool,
    quiet: bool,
    password_stdin: bool,
    options: ClientOptions,
    input: Input,
    password: Option<Zeroizing<String>>,
}

fn default_dir() -> PathBuf {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = env("XDG_DATA_HOME") {
        return d.join("vault");
    }
    if let Some(h) = env("HOME") {
        return h.join(".local").join("share").join("vault");
    }
    if let Some(a) = env("APPDATA") {
        return a.join("vault");
    }
    PathBuf::from(".vault")
}

impl Ctx {
    fn progress(&self, msg: impl AsRef<str>) {
        if !self.quiet && !self.json {
            eprintln!("{}", msg.as_ref());
        }
    }

    /// The server URL, checked (before any password is asked for).
    fn server(&self, device: Option<&Device>) -> CliResult<String> {
        let url = self
            .server
            .clone()
            .or_else(|| device.and_then(|d| d.info()).map(|i| i.server_url.clone()))
            .ok_or_else(|| CliError::usage("no server: pass --server URL or set VAULT_SERVER"))?;
        ApiClient::new(&url, &self.options.http)?;
        Ok(url)
    }

    async fn open(&self) -> CliResult<Device> {
        Ok(Device::open(&self.dir, self.options.clone()).await?)
    }

    async fn open_logged_in(&self) -> CliResult<Device> {
        let d = self.open().await?;
        if d.info().is_none() {
            return Err(ClientError::NotLoggedIn.into());
        }
        Ok(d)
    }

    /// The password from `--password-stdin` or `VAULT_PASSWORD`, if given.
    fn scripted_password(&mut self) -> CliResult<Option<Zeroizing<String>>> {
        if let Some(p) = &self.password {
            return Ok(Some(p.clone()));
        }
        let p = if self.password_stdin {
            self.input.take_for_password()?;
            Some(term::stdin_line()?)
        } else {
            std::env::var("VAULT_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty())
                .map(Zeroizing::new)
        };
        self.password.clone_from(&p);
        Ok(p)
    }

    /// The account password: scripted, or asked on the terminal.
    fn password(&mut self, prompt: &str) -> CliResult<Zeroizing<String>> {
        if let Some(p) = self.scripted_password()? {
            return Ok(p);
        }
        if !term::interactive() {
            return Err(CliError::usage(
                "no password: run in a terminal, or use --password-stdin or VAULT_PASSWORD",
            ));
        }
        let p = term::prompt_password(prompt)?;
        self.password = Some(p.clone());
        Ok(p)
    }

    /// A new password (asked twice on a terminal).
    fn new_password(&mut self, env: Option<&str>) -> CliResult<Zeroizing<String>> {
        let scripted = match env {
            Some(var) => std::env::var(var)
                .ok()
                .filter(|p| !p.is_empty())
                .map(Zeroizing::new),
            None => self.scripted_password()?,
        };
        let p = match scripted {
            Some(p) => p,
            None => {
                if !term::interactive() {
                    return Err(CliError::usage(format!(
                        "no password: run in a terminal, or use {}",
                        env.unwrap_or("--password-stdin or VAULT_PASSWORD")
                    )));
                }
                let p = term::prompt_password("Choose a master password: ")?;
                let again = term::prompt_password("Type it again: ")?;
                if p != again {
                    return Err(CliError::usage("the passwords differ"));
                }
                p
            }
        };
        if p.chars().count() < MIN_PASSWORD_LEN {
            return Err(CliError::usage(format!(
                "the master password must have at least {MIN_PASSWORD_LEN} characters"
            )));
        }
        Ok(p)
    }

    /// This device, unlocked: by `VAULT_SESSION`, else by the password.
    async fn unlocked(&mut self) -> CliResult<UnlockedDevice> {
        let device = self.open_logged_in().await?;
        if let Some(s) = std::env::var("VAULT_SESSION")
            .ok()
            .filter(|s| !s.is_empty())
        {
            let attempt = match parse_session_key(&s) {
                Ok(key) => device.unlock_with_session_key(&key).await,
                Err(e) => Err(e),
            };
            match attempt {
                Ok(d) => return Ok(d),
                Err(_) if self.scripted_password()?.is_some() => {}
                Err(_) => {
                    return Err(CliError::new(
                        exit::NEEDS_LOGIN,
                        "locked",
                        "VAULT_SESSION does not unlock this device (it was locked, or belongs to another one)",
                    )
                    .hint("run `eval \"$(vault unlock)\"` again"));
                }
            }
        }
        let device = self.open_logged_in().await?;
        let pw = match self.scripted_password()? {
            Some(p) => p,
            None if term::interactive() => term::prompt_password("Master password: ")?,
            None => return Err(CliError::locked()),
        };
        self.progress("Unlocking…");
        Ok(device.unlock(&pw).await?)
    }

    fn print_json(&self, v: &serde_json::Value) {
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
    }
}

fn kdf_params(name: &str) -> CliResult<KdfParams> {
    match name {
        "insecure-test-only" | "insecure_test_only" => Ok(KdfParams::INSECURE_TEST_ONLY),
        other => KdfParams::preset(other).map_err(|_| {
            CliError::usage(format!(
                "unknown KDF preset {other} (use {})",
                KdfParams::PRESET_NAMES.join(", ")
            ))
        }),
    }
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Owner => "owner",
        Role::Editor => "editor",
        Role::Viewer => "viewer",
    }
}

fn short(id: &impl ToString) -> String {
    id.to_string().chars().take(8).collect()
}

/// Prints the session key the way `bw unlock` does (the export line on
/// stdout, for `eval "$(vault unlock)"`).
async fn print_session(ctx: &Ctx, d: &UnlockedDevice, raw: bool) -> CliResult<()> {
    let key = d.create_session_key().await?;
    let text = encode_session_key(&key);
    if ctx.json {
        ctx.print_json(&json!({ "session": text.expose_secret() }));
    } else if raw {
        print!("{}", text.expose_secret());
    } else {
        ctx.progress("Unlocked. To use this session in your shell:  eval \"$(vault unlock)\"  (or copy the line below)");
        println!("export VAULT_SESSION=\"{}\"", text.expose_secret());
    }
    Ok(())
}

/// Pushes after an edit: offline is fine (the edit stays queued).
async fn push_after_edit(ctx: &Ctx, d: &mut UnlockedDevice) -> CliResult<()> {
    match d.sync().await {
        Ok(r) => {
            report_sync(ctx, d, &r, false);
            Ok(())
        }
        Err(e) if e.is_offline() => {
            ctx.progress(format!(
                "Saved on this device; not synced ({e}). It will be pushed by the next `vault sync`."
            ));
            Ok(())
        }
        Err(e) => {
            ctx.progress("Saved on this device, but the sync failed:");
            Err(e.into())
        }
    }
}

fn report_sync(ctx: &Ctx, d: &UnlockedDevice, r: &SyncReport, full: bool) {
    use vault_core::sync::AutoAction;
    let title = |v: VaultId, i| {
        d.get_item(v, i)
            .map(|it| it.title.clone())
            .unwrap_or_else(|_| i.to_string())
    };
    if full {
        ctx.progress(format!(
            "Synced: {} change(s) received, {} edit(s) sent.",
            r.pulled, r.pushed
        ));
    }
    for c in &r.resolved {
        let what = match &c.action {
            AutoAction::KeptBoth { copy } => format!(
                "edited on another device too: kept both (your version is now \"{}\")",
                title(c.vault, *copy)
            ),
            AutoAction::KeptServerIdentical => {
                "edited the same way elsewhere: nothing to merge".into()
            }
            AutoAction::Recreated => "deleted elsewhere, edited here: kept your edit".into(),
            AutoAction::KeptServerEdit => "deleted here, edited elsewhere: kept the edit".into(),
            AutoAction::BothDeleted => "deleted on both sides".into(),
            AutoAction::Resealed => "re-sealed under the vault's new key".into(),
            other => format!("{other:?}"),
        };
        ctx.progress(format!("Conflict: {}: {what}", title(c.vault, c.item)));
    }
    if r.pending > 0 {
        ctx.progress(format!("{} edit(s) still waiting to be sent.", r.pending));
    }
    if r.conflicts_left > 0 {
        ctx.progress(format!(
            "{} edit(s) could not be applied (a vault you lost access to, or a refused write); they are kept on this device.",
            r.conflicts_left
        ));
    }
}

fn sync_json(r: &SyncReport) -> serde_json::Value {
    json!({
        "pulled": r.pulled,
        "pushed": r.pushed,
        "pages": r.pages,
        "resolved": r.resolved.len(),
        "pending": r.pending,
        "conflicts_left": r.conflicts_left,
    })
}

fn resolve_vault(d: &UnlockedDevice, q: Option<&str>) -> CliResult<Option<VaultId>> {
    q.map(|q| d.find_vault(q))
        .transpose()
        .map_err(CliError::from)
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn kind_matches(k: ItemKind, f: KindArg) -> bool {
    matches!(
        (k, f),
        (ItemKind::Login, KindArg::Login)
            | (ItemKind::SecureNote, KindArg::Note)
            | (ItemKind::ApiKey, KindArg::ApiKey)
            | (ItemKind::Card, KindArg::Card)
            | (ItemKind::Identity, KindArg::Identity)
            | (ItemKind::SshKey, KindArg::SshKey)
    )
}

async fn run(cli: Cli) -> CliResult<()> {
    let kdf_policy = KdfPolicy::named(&cli.kdf_policy).map_err(|_| {
        CliError::usage(format!(
            "unknown KDF policy {} (use {})",
            cli.kdf_policy,
            KdfPolicy::NAMES.join(", ")
        ))
    })?;
    let mut ctx = Ctx {
        server: cli.server,
        dir: cli.dir.unwrap_or_else(default_dir),
        json: cli.json,
        quiet: cli.quiet,
        password_stdin: cli.password_stdin,
        options: ClientOptions {
            kdf_policy,
            http: HttpOptions {
                allow_insecure_http: cli.allow_http,
                ..HttpOptions::default()
            },
            ..ClientOptions::default()
        },
        input: Input::default(),
        password: None,
    };
    match cli.command {
        Command::Register { identifier, kdf } => {
            let params = kdf_params(&kdf)?;
            let device = ctx.open().await?;
            let server = ctx.server(Some(&device))?;
            let pw = ctx.new_password(None)?;
            ctx.progress(format!("Creating the account {identifier} on {server}…"));
            let mut d = device.register(&server, &identifier, &pw, params).await?;
            d.create_vault(&VaultMeta {
                name: "Personal".into(),
                ..VaultMeta::default()
            })
            .await?;
            ctx.progress(format!(
                "Registered and logged in. Your vault \"Personal\" is ready.\nYour fingerprint (read it to people who share with you): {}",
                d.fingerprint()
            ));
            print_session(&ctx, &d, false).await
        }
        Command::Login { identifier } => {
            let device = ctx.open().await?;
            let server = ctx.server(Some(&device))?;
            let pw = ctx.password(&format!("Master password for {identifier}: "))?;
            ctx.progress(format!("Logging in to {server}…"));
            let mut d = device.login(&server, &identifier, &pw).await?;
            let r = d.sync().await?;
            report_sync(&ctx, &d, &r, true);
            print_session(&ctx, &d, false).await
        }
        Command::Unlock { raw } => {
            let device = ctx.open_logged_in().await?;
            let pw = ctx.password("Master password: ")?;
            let d = device.unlock(&pw).await?;
            print_session(&ctx, &d, raw).await
        }
        Command::Lock => {
            let device = ctx.open_logged_in().await?;
            let had = device.clear_session_key().await?;
            if ctx.json {
                ctx.print_json(&json!({ "locked": true, "had_session": had }));
            } else {
                ctx.progress("Locked: VAULT_SESSION no longer unlocks this device.");
            }
            Ok(())
        }
        Command::Logout { all } => {
            let device = ctx.open_logged_in().await?;
            if all {
                let api = device.api().await?;
                let out = api.logout_all(false).await?;
                device.replica().wipe().await?;
                ctx.progress(format!(
                    "Logged out everywhere ({} session(s) ended); this device's data is wiped.",
                    out.revoked
                ));
            } else {
                let confirmed = device.logout().await?;
                ctx.progress(if confirmed {
                    "Logged out; this device's data is wiped."
                } else {
                    "The server could not be reached; this device's data is wiped anyway (its session ends when it expires, or with `logout --all` from another device)."
                });
            }
            if ctx.json {
                ctx.print_json(&json!({ "logged_out": true }));
            }
            Ok(())
        }
        Command::Status => {
            let device = ctx.open().await?;
            let Some(info) = device.info().cloned() else {
                if ctx.json {
                    ctx.print_json(&json!({ "logged_in": false }));
                }
                return Err(ClientError::NotLoggedIn.into());
            };
            let (engine, _) = device.replica().engine().await?;
            let has_session_key = device.replica().local_unlock().await?.is_some();
            let unlocked = match std::env::var("VAULT_SESSION")
                .ok()
                .filter(|s| !s.is_empty())
            {
                Some(s) => match parse_session_key(&s) {
                    Ok(k) => ctx.open().await?.unlock_with_session_key(&k).await.is_ok(),
                    Err(_) => false,
                },
                None => false,
            };
            if ctx.json {
                ctx.print_json(&json!({
                    "logged_in": true,
                    "server": info.server_url,
                    "identifier": info.identifier,
                    "account": info.account.to_string(),
                    "protocol": info.protocol.as_str(),
                    "unlocked": unlocked,
                    "session_key_stored": has_session_key,
                    "pending": engine.pending_count(),
                    "conflicts": engine.conflicts().len(),
                    "vaults": engine.vaults().count(),
                    "fingerprint": info.record.public_identity.fingerprint(),
                }));
            } else {
                println!("Server:      {}", info.server_url);
                println!("Account:     {} ({})", info.identifier, info.account);
                println!("Login:       {}", info.protocol.as_str());
                println!(
                    "State:       {}",
                    if unlocked {
                        "unlocked (VAULT_SESSION)"
                    } else {
                        "locked"
                    }
                );
                println!("Vaults:      {}", engine.vaults().count());
                println!("Unsynced:    {} edit(s)", engine.pending_count());
                if !engine.conflicts().is_empty() {
                    println!("Conflicts:   {}", engine.conflicts().len());
                }
                println!("Fingerprint: {}", info.record.public_identity.fingerprint());
            }
            Ok(())
        }
        Command::Sync => {
            let mut d = ctx.unlocked().await?;
            ctx.progress("Syncing…");
            let r = d.sync().await?;
            if ctx.json {
                ctx.print_json(&sync_json(&r));
            }
            report_sync(&ctx, &d, &r, true);
            Ok(())
        }
        Command::Watch => {
            let mut d = ctx.unlocked().await?;
            ctx.progress("Watching for changes (Ctrl-C to stop)…");
            let quiet = ctx.quiet || ctx.json;
            let json_out = ctx.json;
            let watch = d.watch(|r| {
                match r {
                    Ok(r) if json_out => println!("{}", sync_json(r)),
                    Ok(r) if !quiet && (r.pulled > 0 || r.pushed > 0) => eprintln!(
                        "Synced: {} change(s) received, {} edit(s) sent.",
                        r.pulled, r.pushed
                    ),
                    Err(e) if !quiet => eprintln!("Sync failed ({e}); retrying…"),
                    _ => {}
                }
                ControlFlow::Continue(())
            });
            tokio::select! {
                r = watch => r?,
                _ = tokio::signal::ctrl_c() => ctx.progress("Stopped."),
            }
            Ok(())
        }
        Command::Vaults => {
            let d = ctx.unlocked().await?;
            let vaults = d.vaults();
            let mut sharers = BTreeMap::new();
            for v in &vaults {
                if let Some(a) = v.shared_by {
                    let name = d
                        .replica()
                        .contact(a)
                        .await?
                        .and_then(|c| c.identifier)
                        .unwrap_or_else(|| a.to_string());
                    sharers.insert(a, name);
                }
            }
            let sharer = |a: Option<AccountId>| a.and_then(|a| sharers.get(&a).cloned());
            if ctx.json {
                ctx.print_json(&json!(
                    vaults
                        .iter()
                        .map(|v| json!({
                            "id": v.vault.to_string(),
                            "name": v.name,
                            "description": v.description,
                            "role": role_name(v.role),
                            "items": v.items,
                            "key_version": v.key_version,
                            "shared_by": sharer(v.shared_by),
                        }))
                        .collect::<Vec<_>>()
                ));
            } else {
                let rows: Vec<Vec<String>> = vaults
                    .iter()
                    .map(|v| {
                        vec![
                            short(&v.vault),
                            v.name.clone(),
                            role_name(v.role).into(),
                            v.items.to_string(),
                            sharer(v.shared_by).unwrap_or_default(),
                        ]
                    })
                    .collect();
                term::table(&["ID", "NAME", "ROLE", "ITEMS", "SHARED BY"], &rows);
            }
            Ok(())
        }
        Command::CreateVault { name, description } => {
            let mut d = ctx.unlocked().await?;
            let id = d
                .create_vault(&VaultMeta {
                    name: name.clone(),
                    description: description.unwrap_or_default(),
                })
                .await?;
            if ctx.json {
                ctx.print_json(&json!({ "id": id.to_string(), "name": name }));
            } else {
                println!("{id}");
                ctx.progress(format!("Created the vault \"{name}\"."));
            }
            Ok(())
        }
        Command::Ls {
            vault,
            kind,
            search,
        } => {
            let d = ctx.unlocked().await?;
            let v = resolve_vault(&d, vault.as_deref())?;
            let names: BTreeMap<VaultId, String> =
                d.vaults().into_iter().map(|v| (v.vault, v.name)).collect();
            let needle = search.as_deref().map(str::to_lowercase);
            let rows: Vec<_> = d
                .list_items(v)?
                .into_iter()
                .filter(|i| kind.is_none_or(|k| kind_matches(i.overview.kind, k)))
                .filter(|i| {
                    needle.as_ref().is_none_or(|n| {
                        i.overview.title.to_lowercase().contains(n)
                            || i.overview.subtitle.to_lowercase().contains(n)
                    })
                })
                .collect();
            if ctx.json {
                ctx.print_json(&json!(
                    rows.iter()
                        .map(|i| json!({
                            "id": i.item.to_string(),
                            "vault": i.vault.to_string(),
                            "vault_name": names.get(&i.vault),
                            "kind": items::kind_name(i.overview.kind),
                            "title": i.overview.title,
                            "subtitle": i.overview.subtitle,
                            "tags": i.overview.tags,
                            "favorite": i.overview.favorite,
                            "revision": i.revision,
                            "unsynced": i.pending,
                        }))
                        .collect::<Vec<_>>()
                ));
            } else {
                let table: Vec<Vec<String>> = rows
                    .iter()
                    .map(|i| {
                        vec![
                            format!("{}{}", short(&i.item), if i.pending { "*" } else { "" }),
                            names.get(&i.vault).cloned().unwrap_or_default(),
                            items::kind_name(i.overview.kind).into(),
                            i.overview.title.clone(),
                            i.overview.subtitle.clone(),
                        ]
                    })
                    .collect();
                term::table(&["ID", "VAULT", "TYPE", "TITLE", "DETAIL"], &table);
                if rows.iter().any(|i| i.pending) {
                    ctx.progress("* not synced yet");
                }
            }
            Ok(())
        }
        Command::Get {
            item,
            field,
            vault,
            reveal,
        } => {
            let d = ctx.unlocked().await?;
            let v = resolve_vault(&d, vault.as_deref())?;
            let (vault_id, item_id) = d.find_item(&item, v)?;
            let it = d.get_item(vault_id, item_id)?;
            if let Some(f) = field {
                let value = it.field(&f).ok_or_else(|| {
                    CliError::new(
                        exit::NOT_FOUND,
                        "no_field",
                        format!("the item \"{}\" has no field {f}", it.title),
                    )
                })?;
                if ctx.json {
                    ctx.print_json(&json!({ "field": f, "value": value.expose_secret() }));
                } else {
                    let mut out = std::io::stdout().lock();
                    let nl = if std::io::stdout().is_terminal() {
                        "\n"
                    } else {
                        ""
                    };
                    write!(out, "{}{nl}", value.expose_secret())
                        .and_then(|()| out.flush())
                        .map_err(|e| CliError::new(exit::GENERAL, "io", e.to_string()))?;
                }
                return Ok(());
            }
            let vault_name = d
                .vaults()
                .into_iter()
                .find(|x| x.vault == vault_id)
                .map(|x| x.name)
                .unwrap_or_default();
            if ctx.json {
                ctx.print_json(&json!({
                    "id": item_id.to_string(),
                    "vault": vault_id.to_string(),
                    "vault_name": vault_name,
                    "kind": items::kind_name(it.data.kind()),
                    "item": serde_json::to_value(&it).unwrap_or_default(),
                }));
            } else {
                println!("{}", it.title);
                let mut rows = vec![
                    (
                        "type".to_owned(),
                        items::kind_name(it.data.kind()).to_owned(),
                        false,
                    ),
                    ("vault".to_owned(), vault_name, false),
                    ("id".to_owned(), item_id.to_string(), false),
                ];
                rows.extend(items::display_fields(&it));
                let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
                for (label, value, secret) in rows {
                    let shown = if secret && !reveal {
                        "••••••••".to_owned()
                    } else {
                        value
                    };
                    let mut lines = shown.lines();
                    println!("  {label:<width$}  {}", lines.next().unwrap_or(""));
                    for more in lines {
                        println!("  {:<width$}  {more}", "");
                    }
                }
                if !reveal {
                    ctx.progress(
                        "(secret fields hidden: --reveal shows them, --field NAME prints one)",
                    );
                }
            }
            Ok(())
        }
        Command::Add { kind } => {
            let (vault_q, item) = items::from_add(kind, &mut ctx.input)?;
            let mut d = ctx.unlocked().await?;
            let vault = match vault_q {
                Some(q) => d.find_vault(&q)?,
                None => d.default_vault().ok_or_else(|| {
                    CliError::new(exit::NOT_FOUND, "no_vault", "you have no vault of your own")
                        .hint("create one with `vault create-vault NAME`, or pass --vault")
                })?,
            };
            let id = d.add_item(vault, &item).await?;
            if ctx.json {
                ctx.print_json(&json!({ "id": id.to_string(), "vault": vault.to_string() }));
            } else {
                println!("{id}");
            }
            ctx.progress(format!("Added \"{}\".", item.title));
            push_after_edit(&ctx, &mut d).await
        }
        Command::Edit {
            item,
            vault,
            title,
            fields,
        } => {
            let mut d = ctx.unlocked().await?;
            let v = resolve_vault(&d, vault.as_deref())?;
            let (vault_id, item_id) = d.find_item(&item, v)?;
            let mut it = d.get_item(vault_id, item_id)?;
            let before = it.clone();
            if let Some(t) = title {
                if t.trim().is_empty() {
                    return Err(CliError::usage("--title must not be empty"));
                }
                it.title = t;
            }
            items::apply(&mut it, &fields, &mut ctx.input)?;
            if it == before {
                return Err(CliError::usage(
                    "nothing to change: give the fields to set (see `vault edit --help`)",
                ));
            }
            d.edit_item(vault_id, item_id, &it).await?;
            if ctx.json {
                ctx.print_json(
                    &json!({ "id": item_id.to_string(), "vault": vault_id.to_string() }),
                );
            }
            ctx.progress(format!("Updated \"{}\".", it.title));
            push_after_edit(&ctx, &mut d).await
        }
        Command::Rm { item, vault } => {
            let mut d = ctx.unlocked().await?;
            let v = resolve_vault(&d, vault.as_deref())?;
            let (vault_id, item_id) = d.find_item(&item, v)?;
            let title = d.get_item(vault_id, item_id)?.title.clone();
            d.delete_item(vault_id, item_id).await?;
            if ctx.json {
                ctx.print_json(&json!({ "deleted": item_id.to_string() }));
            }
            ctx.progress(format!("Deleted \"{title}\"."));
            push_after_edit(&ctx, &mut d).await
        }
        Command::Share {
            vault,
            identifier,
            role,
            fingerprint,
            yes,
        } => {
            let mut d = ctx.unlocked().await?;
            let vault_id = d.find_vault(&vault)?;
            let contact = d.lookup_user(&identifier).await?;
            let fp = contact.fingerprint();
            ctx.progress(format!("{identifier}'s fingerprint: {fp}"));
            let contact = if let Some(expected) = fingerprint {
                if digits(&expected) != digits(&fp) {
                    return Err(ClientError::FingerprintMismatch {
                        expected,
                        actual: fp,
                    }
                    .into());
                }
                d.mark_verified(&contact).await?
            } else if contact.verified {
                ctx.progress("(verified before)");
                contact
            } else if yes {
                ctx.progress("Warning: sharing without comparing fingerprints.");
                contact
            } else if term::can_ask() {
                if !term::confirm(&format!(
                    "Does {identifier} see the same fingerprint with `vault fingerprint`?"
                ))? {
                    return Err(CliError::new(exit::SECURITY, "not_verified", "not shared"));
                }
                d.mark_verified(&contact).await?
            } else {
                return Err(CliError::new(
                    exit::SECURITY,
                    "not_verified",
                    "compare fingerprints before sharing",
                )
                .hint(format!(
                    "ask {identifier} to run `vault fingerprint`, then pass --fingerprint \"<their digits>\" (or --yes to skip the check)"
                )));
            };
            let role = match role {
                RoleArg::Viewer => Role::Viewer,
                RoleArg::Editor => Role::Editor,
            };
            d.share(vault_id, &contact, role).await?;
            if ctx.json {
                ctx.print_json(&json!({
                    "vault": vault_id.to_string(),
                    "account": contact.account.to_string(),
                    "identifier": identifier,
                    "role": role_name(role),
                    "fingerprint": fp,
                }));
            }
            ctx.progress(format!("Shared with {identifier} as {}.", role_name(role)));
            Ok(())
        }
        Command::Unshare { vault, identifier } => {
            let mut d = ctx.unlocked().await?;
            let vault_id = d.find_vault(&vault)?;
            let account = match identifier.parse::<AccountId>() {
                Ok(a) => a,
                Err(_) => d.lookup_user(&identifier).await?.account,
            };
            ctx.progress(format!("Removing {identifier} and rotating the vault key…"));
            let generation = d.unshare(vault_id, account).await.map_err(|e| {
                CliError::from(e).hint(format!(
                    "if {identifier} was removed but the key was not rotated, run `vault rotate-key {vault}`"
                ))
            })?;
            if ctx.json {
                ctx.print_json(&json!({ "vault": vault_id.to_string(), "removed": account.to_string(), "key_version": generation }));
            }
            ctx.progress(format!(
                "Removed {identifier}; the vault key was rotated (generation {generation})."
            ));
            Ok(())
        }
        Command::RotateKey { vault } => {
            let mut d = ctx.unlocked().await?;
            let vault_id = d.find_vault(&vault)?;
            ctx.progress("Rotating the vault key…");
            let generation = d.rotate_vault_key(vault_id).await?;
            if ctx.json {
                ctx.print_json(
                    &json!({ "vault": vault_id.to_string(), "key_version": generation }),
                );
            }
            ctx.progress(format!(
                "The vault key was rotated (generation {generation})."
            ));
            Ok(())
        }
        Command::Members { vault } => {
            let d = ctx.unlocked().await?;
            let vault_id = d.find_vault(&vault)?;
            let members = d.members(vault_id).await?;
            if ctx.json {
                ctx.print_json(&json!(
                    members
                        .iter()
                        .map(|m| json!({
                            "account": m.account.to_string(),
                            "identifier": m.identifier,
                            "role": role_name(m.role),
                            "key_version": m.key_version,
                            "fingerprint": m.fingerprint,
                            "verified": m.verified,
                            "you": m.you,
                        }))
                        .collect::<Vec<_>>()
                ));
            } else {
                let rows: Vec<Vec<String>> = members
                    .iter()
                    .map(|m| {
                        vec![
                            format!(
                                "{}{}",
                                m.identifier
                                    .clone()
                                    .unwrap_or_else(|| m.account.to_string()),
                                if m.you { " (you)" } else { "" }
                            ),
                            role_name(m.role).into(),
                            m.key_version.to_string(),
                            m.fingerprint.clone().unwrap_or_default(),
                            if m.verified { "yes" } else { "no" }.into(),
                        ]
                    })
                    .collect();
                term::table(&["MEMBER", "ROLE", "KEY", "FINGERPRINT", "VERIFIED"], &rows);
            }
            Ok(())
        }
        Command::Emergency { command } => emergency::run(&mut ctx, command).await,
        Command::Fingerprint { identifier } => {
            let device = ctx.open_logged_in().await?;
            let (who, fp) = match identifier {
                None => {
                    let info = device.info().ok_or(ClientError::NotLoggedIn)?;
                    (
                        info.identifier.clone(),
                        info.record.public_identity.fingerprint(),
                    )
                }
                Some(id) => {
                    let api = device.api().await?;
                    let body = match api.directory_by_identifier(&id).await {
                        Err(ClientError::Rejected { status: 404, .. }) => {
                            return Err(ClientError::NotFound(format!("no user {id}")).into());
                        }
                        other => other?,
                    };
                    body.identity.verify()?;
                    if body.identity.account != body.account {
                        return Err(ClientError::Protocol(
                            "a directory identity names another account".into(),
                        )
                        .into());
                    }
                    if let Some(pinned) = device.replica().contact(body.account).await?
                        && pinned.identity != body.identity
                    {
                        return Err(ClientError::IdentityChanged { account: id }.into());
                    }
                    (id, body.identity.fingerprint())
                }
            };
            if ctx.json {
                ctx.print_json(&json!({ "identifier": who, "fingerprint": fp }));
            } else {
                println!("{fp}");
            }
            Ok(())
        }
        Command::ChangePassword { kdf } => {
            let params = kdf.as_deref().map(kdf_params).transpose()?;
            let mut d = ctx.unlocked().await?;
            let current = ctx.password("Current master password: ")?;
            let new = ctx.new_password(Some("VAULT_NEW_PASSWORD"))?;
            ctx.progress("Changing the password…");
            d.change_password(&current, &new, params).await?;
            if ctx.json {
                ctx.print_json(&json!({ "changed": true }));
            }
            ctx.progress("Password changed. Your other devices must log in again.");
            Ok(())
        }
        Command::RecoveryKit {
            split,
            remove,
            status,
        } => lifecycle::recovery_kit(&mut ctx, split, remove, status).await,
        Command::Recover { identifier, kdf } => lifecycle::recover(&mut ctx, identifier, kdf).await,
        Command::RotateAccountKey { recovery_kit } => {
            lifecycle::rotate_account_key(&mut ctx, recovery_kit).await
        }
        Command::Generate { length, no_symbols } => {
            let p = Zeroizing::new(items::generate_password(length, !no_symbols)?);
            if ctx.json {
                ctx.print_json(&json!({ "password": p.as_str() }));
            } else {
                println!("{}", p.as_str());
            }
            Ok(())
        }
    }
}

fn main() {
    let cli = Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            std::process::exit(exit::GENERAL);
        }
    };
    let result = runtime.block_on(run(cli));
    drop(runtime);
    if let Err(e) = result {
        if json {
            eprintln!(
                "{}",
                json!({ "error": e.code, "message": e.message, "hint": e.hint, "exit": e.exit })
            );
        } else {
            eprintln!("error: {}", e.message);
            if let Some(h) = &e.hint {
                eprintln!("hint: {h}");
            }
        }
        std::process::exit(e.exit);
    }
}
