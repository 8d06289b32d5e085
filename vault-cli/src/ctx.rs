//! What every command shares: the [`Ctx`] (options, device directory,
//! passwords, output mode) and the output helpers. Command modules
//! `use crate::ctx::*` for these and the common imports.

pub(crate) use crate::args::{AddKind, EditFields, KindArg, RoleArg};
pub(crate) use crate::error::{CliError, CliResult, exit};
pub(crate) use crate::items::{self, Input};
pub(crate) use crate::term;
pub(crate) use serde_json::json;
pub(crate) use std::collections::BTreeMap;
pub(crate) use std::io::{IsTerminal, Write};
pub(crate) use std::ops::ControlFlow;
pub(crate) use std::path::PathBuf;
pub(crate) use vault_core::{AccountId, ItemKind, KdfParams, Role, VaultId, VaultMeta};
pub(crate) use vault_sync::client::{
    ApiClient, ClientError, ClientOptions, Device, SyncReport, UnlockedDevice, encode_session_key,
    parse_session_key,
};
pub(crate) use zeroize::Zeroizing;

/// Shortest master password `register` and `change-password` accept.
pub(crate) const MIN_PASSWORD_LEN: usize = 8;

/// What every command needs.
pub(crate) struct Ctx {
    pub(crate) server: Option<String>,
    pub(crate) dir: PathBuf,
    pub(crate) json: bool,
    pub(crate) quiet: bool,
    pub(crate) password_stdin: bool,
    pub(crate) options: ClientOptions,
    pub(crate) input: Input,
    pub(crate) password: Option<Zeroizing<String>>,
}

pub(crate) fn default_dir() -> PathBuf {
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
    pub(crate) fn progress(&self, msg: impl AsRef<str>) {
        if !self.quiet && !self.json {
            eprintln!("{}", msg.as_ref());
        }
    }

    /// The server URL, checked (before any password is asked for).
    pub(crate) fn server(&self, device: Option<&Device>) -> CliResult<String> {
        let url = self
            .server
            .clone()
            .or_else(|| device.and_then(|d| d.info()).map(|i| i.server_url.clone()))
            .ok_or_else(|| CliError::usage("no server: pass --server URL or set VAULT_SERVER"))?;
        ApiClient::new(&url, &self.options.http)?;
        Ok(url)
    }

    pub(crate) async fn open(&self) -> CliResult<Device> {
        Ok(Device::open(&self.dir, self.options.clone()).await?)
    }

    pub(crate) async fn open_logged_in(&self) -> CliResult<Device> {
        let d = self.open().await?;
        if d.info().is_none() {
            return Err(ClientError::NotLoggedIn.into());
        }
        Ok(d)
    }

    /// The password from `--password-stdin` or `VAULT_PASSWORD`, if given.
    pub(crate) fn scripted_password(&mut self) -> CliResult<Option<Zeroizing<String>>> {
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
    pub(crate) fn password(&mut self, prompt: &str) -> CliResult<Zeroizing<String>> {
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
    pub(crate) fn new_password(&mut self, env: Option<&str>) -> CliResult<Zeroizing<String>> {
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
    pub(crate) async fn unlocked(&mut self) -> CliResult<UnlockedDevice> {
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

    pub(crate) fn print_json(&self, v: &serde_json::Value) {
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
    }
}

pub(crate) fn kdf_params(name: &str) -> CliResult<KdfParams> {
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

pub(crate) fn short(id: &impl ToString) -> String {
    id.to_string().chars().take(8).collect()
}

/// Prints the session key the way `bw unlock` does (the export line on
/// stdout, for `eval "$(vault unlock)"`).
pub(crate) async fn print_session(ctx: &Ctx, d: &UnlockedDevice, raw: bool) -> CliResult<()> {
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
pub(crate) async fn push_after_edit(ctx: &Ctx, d: &mut UnlockedDevice) -> CliResult<()> {
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

pub(crate) fn report_sync(ctx: &Ctx, d: &UnlockedDevice, r: &SyncReport, full: bool) {
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

pub(crate) fn sync_json(r: &SyncReport) -> serde_json::Value {
    json!({
        "pulled": r.pulled,
        "pushed": r.pushed,
        "pages": r.pages,
        "resolved": r.resolved.len(),
        "pending": r.pending,
        "conflicts_left": r.conflicts_left,
    })
}

pub(crate) fn resolve_vault(d: &UnlockedDevice, q: Option<&str>) -> CliResult<Option<VaultId>> {
    q.map(|q| d.find_vault(q))
        .transpose()
        .map_err(CliError::from)
}

pub(crate) fn kind_matches(k: ItemKind, f: KindArg) -> bool {
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
