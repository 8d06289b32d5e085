//! Items: list, read (`get --field` for scripts), add, edit, delete, and password generation.

use crate::ctx::*;

/// `vault ls`.
pub(crate) async fn ls(
    ctx: &mut Ctx,
    vault: Option<String>,
    kind: Option<KindArg>,
    search: Option<String>,
) -> CliResult<()> {
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

/// `vault get`.
pub(crate) async fn get(
    ctx: &mut Ctx,
    item: String,
    field: Option<String>,
    vault: Option<String>,
    reveal: bool,
) -> CliResult<()> {
    let d = ctx.unlocked().await?;
    let v = resolve_vault(&d, vault.as_deref())?;
    if let Some(f) = field {
        // The one lookup every front end shares (the Node client's readSecret too).
        let value = d.read_secret(&item, v, Some(&f))?;
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
    let (vault_id, item_id) = d.find_item(&item, v)?;
    let it = d.get_item(vault_id, item_id)?;
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
            ctx.progress("(secret fields hidden: --reveal shows them, --field NAME prints one)");
        }
    }
    Ok(())
}

/// `vault add`.
pub(crate) async fn add(ctx: &mut Ctx, kind: AddKind) -> CliResult<()> {
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
    push_after_edit(ctx, &mut d).await
}

/// `vault edit`.
pub(crate) async fn edit(
    ctx: &mut Ctx,
    item: String,
    vault: Option<String>,
    title: Option<String>,
    fields: EditFields,
) -> CliResult<()> {
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
        ctx.print_json(&json!({ "id": item_id.to_string(), "vault": vault_id.to_string() }));
    }
    ctx.progress(format!("Updated \"{}\".", it.title));
    push_after_edit(ctx, &mut d).await
}

/// `vault rm`.
pub(crate) async fn rm(ctx: &mut Ctx, item: String, vault: Option<String>) -> CliResult<()> {
    let mut d = ctx.unlocked().await?;
    let v = resolve_vault(&d, vault.as_deref())?;
    let (vault_id, item_id) = d.find_item(&item, v)?;
    let title = d.get_item(vault_id, item_id)?.title.clone();
    d.delete_item(vault_id, item_id).await?;
    if ctx.json {
        ctx.print_json(&json!({ "deleted": item_id.to_string() }));
    }
    ctx.progress(format!("Deleted \"{title}\"."));
    push_after_edit(ctx, &mut d).await
}

/// `vault generate`.
pub(crate) async fn generate(ctx: &mut Ctx, length: usize, no_symbols: bool) -> CliResult<()> {
    let p = Zeroizing::new(items::generate_password(length, !no_symbols)?);
    if ctx.json {
        ctx.print_json(&json!({ "password": p.as_str() }));
    } else {
        println!("{}", p.as_str());
    }
    Ok(())
}
