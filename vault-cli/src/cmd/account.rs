//! Account and device: register, log in and out, lock and unlock, status, fingerprints, password change.

use crate::ctx::*;

/// `vault register`.
pub(crate) async fn register(ctx: &mut Ctx, identifier: String, kdf: String) -> CliResult<()> {
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
    print_session(ctx, &d, false).await
}

/// `vault login`.
pub(crate) async fn login(ctx: &mut Ctx, identifier: String) -> CliResult<()> {
    let device = ctx.open().await?;
    let server = ctx.server(Some(&device))?;
    let pw = ctx.password(&format!("Master password for {identifier}: "))?;
    ctx.progress(format!("Logging in to {server}…"));
    let mut d = device.login(&server, &identifier, &pw).await?;
    let r = d.sync().await?;
    report_sync(ctx, &d, &r, true);
    print_session(ctx, &d, false).await
}

/// `vault unlock`.
pub(crate) async fn unlock(ctx: &mut Ctx, raw: bool) -> CliResult<()> {
    let device = ctx.open_logged_in().await?;
    let pw = ctx.password("Master password: ")?;
    let d = device.unlock(&pw).await?;
    print_session(ctx, &d, raw).await
}

/// `vault lock`.
pub(crate) async fn lock(ctx: &mut Ctx) -> CliResult<()> {
    let device = ctx.open_logged_in().await?;
    let had = device.clear_session_key().await?;
    if ctx.json {
        ctx.print_json(&json!({ "locked": true, "had_session": had }));
    } else {
        ctx.progress("Locked: VAULT_SESSION no longer unlocks this device.");
    }
    Ok(())
}

/// `vault logout`.
pub(crate) async fn logout(ctx: &mut Ctx, all: bool) -> CliResult<()> {
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

/// `vault status`.
pub(crate) async fn status(ctx: &mut Ctx) -> CliResult<()> {
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

/// `vault fingerprint`.
pub(crate) async fn fingerprint(ctx: &mut Ctx, identifier: Option<String>) -> CliResult<()> {
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

/// `vault change-password`.
pub(crate) async fn change_password(ctx: &mut Ctx, kdf: Option<String>) -> CliResult<()> {
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
