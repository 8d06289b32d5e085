//! Vaults and sharing: list, create, share after a fingerprint check, unshare, rotate keys, members.

use crate::ctx::*;

/// `vault vaults`.
pub(crate) async fn vaults(ctx: &mut Ctx) -> CliResult<()> {
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
                    "role": v.role.as_str(),
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
                    v.role.as_str().into(),
                    v.items.to_string(),
                    sharer(v.shared_by).unwrap_or_default(),
                ]
            })
            .collect();
        term::table(&["ID", "NAME", "ROLE", "ITEMS", "SHARED BY"], &rows);
    }
    Ok(())
}

/// `vault create-vault`.
pub(crate) async fn create_vault(
    ctx: &mut Ctx,
    name: String,
    description: Option<String>,
) -> CliResult<()> {
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

/// `vault share`.
pub(crate) async fn share(
    ctx: &mut Ctx,
    vault: String,
    identifier: String,
    role: RoleArg,
    fingerprint: Option<String>,
    yes: bool,
) -> CliResult<()> {
    let mut d = ctx.unlocked().await?;
    let vault_id = d.find_vault(&vault)?;
    let contact = d.lookup_user(&identifier).await?;
    let fp = contact.fingerprint();
    ctx.progress(format!("{identifier}'s fingerprint: {fp}"));
    let contact = if let Some(expected) = fingerprint {
        d.verify_fingerprint(&contact, &expected).await?
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
            "role": role.as_str(),
            "fingerprint": fp,
        }));
    }
    ctx.progress(format!("Shared with {identifier} as {}.", role.as_str()));
    Ok(())
}

/// `vault unshare`.
pub(crate) async fn unshare(ctx: &mut Ctx, vault: String, identifier: String) -> CliResult<()> {
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

/// `vault rotate-key`.
pub(crate) async fn rotate_key(ctx: &mut Ctx, vault: String) -> CliResult<()> {
    let mut d = ctx.unlocked().await?;
    let vault_id = d.find_vault(&vault)?;
    ctx.progress("Rotating the vault key…");
    let generation = d.rotate_vault_key(vault_id).await?;
    if ctx.json {
        ctx.print_json(&json!({ "vault": vault_id.to_string(), "key_version": generation }));
    }
    ctx.progress(format!(
        "The vault key was rotated (generation {generation})."
    ));
    Ok(())
}

/// `vault members`.
pub(crate) async fn members(ctx: &mut Ctx, vault: String) -> CliResult<()> {
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
                    "role": m.role.as_str(),
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
                    m.role.as_str().into(),
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
