//! `vault recovery-kit`, `vault recover`, `vault rotate-account-key`.

use crate::ctx::{Ctx, kdf_params};
use crate::error::{CliError, CliResult};
use crate::term;
use serde_json::json;
use vault_core::{RecoveryKey, Share};
use zeroize::Zeroizing;

/// `vault recovery-kit [--split T/N] [--remove] [--status]`.
pub async fn recovery_kit(
    ctx: &mut Ctx,
    split: Option<String>,
    remove: bool,
    status: bool,
) -> CliResult<()> {
    let split = split.as_deref().map(parse_split).transpose()?;
    let mut d = ctx.unlocked().await?;
    if status {
        let has = d.has_recovery_kit().await?;
        if ctx.json {
            ctx.print_json(&json!({ "recovery_kit": has }));
        } else {
            println!(
                "{}",
                if has {
                    "A recovery kit is set up."
                } else {
                    "No recovery kit is set up: run `vault recovery-kit`."
                }
            );
        }
        return Ok(());
    }
    let pw = ctx.password("Master password: ")?;
    if remove {
        let had = d.remove_recovery_kit(&pw).await?;
        if ctx.json {
            ctx.print_json(&json!({ "removed": had }));
        } else {
            ctx.progress(if had {
                "Recovery kit removed: its words no longer work."
            } else {
                "There was no recovery kit."
            });
        }
        return Ok(());
    }
    ctx.progress("Making a recovery kit…");
    let key = d.create_recovery_kit(&pw).await?;
    print_kit(ctx, &key, split)
}

/// Prints a kit's words, or its shares, once.
fn print_kit(ctx: &Ctx, key: &RecoveryKey, split: Option<(u8, u8)>) -> CliResult<()> {
    let words = key.to_words();
    let shares = match split {
        Some((t, n)) => Some(
            key.split(t, n, &mut vault_core::rng::os_rng())?
                .iter()
                .map(|s| Zeroizing::new(s.to_text()))
                .collect::<Vec<_>>(),
        ),
        None => None,
    };
    if ctx.json {
        let mut v = json!({ "words": words.expose_secret() });
        if let Some(s) = &shares {
            v = json!({ "shares": s.iter().map(|s| s.as_str()).collect::<Vec<_>>() });
        }
        ctx.print_json(&v);
        return Ok(());
    }
    match &shares {
        None => {
            ctx.progress(
                "Your recovery kit. Write these 24 words down and keep them offline; they are \
                 shown only this once. With them you can reset a forgotten password \
                 (`vault recover`).",
            );
            println!("{}", words.expose_secret());
        }
        Some(shares) => {
            ctx.progress(format!(
                "Your recovery kit, split: any {} of these {} shares recover it. Give each to \
                 a different place or person; they are shown only this once.",
                split.map_or(0, |s| s.0),
                shares.len()
            ));
            for s in shares {
                println!("{}", s.as_str());
            }
        }
    }
    Ok(())
}

fn parse_split(s: &str) -> CliResult<(u8, u8)> {
    let bad = || CliError::usage("--split takes THRESHOLD/SHARES, e.g. 2/3");
    let (t, n) = s.split_once('/').ok_or_else(bad)?;
    let t: u8 = t.trim().parse().map_err(|_| bad())?;
    let n: u8 = n.trim().parse().map_err(|_| bad())?;
    if t < 2 || n < t {
        return Err(CliError::usage(
            "--split needs 2 <= THRESHOLD <= SHARES, e.g. 2/3",
        ));
    }
    Ok((t, n))
}

/// The recovery key from words or `VS1-…` shares: `VAULT_RECOVERY`, else
/// standard input (one share per line, or the words), else the terminal.
fn read_recovery_key(ctx: &mut Ctx) -> CliResult<RecoveryKey> {
    let text = match std::env::var("VAULT_RECOVERY")
        .ok()
        .filter(|v| !v.is_empty())
    {
        Some(v) => Zeroizing::new(v),
        None if !term::can_ask() => {
            ctx.input.take_for_password()?;
            let mut all = Zeroizing::new(String::new());
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut all)
                .map_err(|e| CliError::usage(format!("cannot read standard input: {e}")))?;
            all
        }
        None => term::prompt_password("Recovery words (or shares, separated by spaces): ")?,
    };
    let tokens: Vec<&str> = text.split_whitespace().collect();
    if tokens.iter().any(|t| t.starts_with("VS1-")) {
        let shares = tokens
            .iter()
            .map(|t| Share::from_text(t))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RecoveryKey::combine(&shares)?)
    } else {
        Ok(RecoveryKey::from_words(&text)?)
    }
}

/// `vault recover IDENTIFIER [--kdf]`.
pub async fn recover(ctx: &mut Ctx, identifier: String, kdf: Option<String>) -> CliResult<()> {
    let params = kdf.as_deref().map(kdf_params).transpose()?;
    let device = ctx.open().await?;
    let server = ctx.server(Some(&device))?;
    let key = read_recovery_key(ctx)?;
    let new = ctx.new_password(Some("VAULT_NEW_PASSWORD"))?;
    ctx.progress(format!("Recovering {identifier} at {server}…"));
    let mut d = device
        .recover(&server, &identifier, &key, &new, params)
        .await?;
    let r = d.sync().await?;
    crate::ctx::report_sync(ctx, &d, &r, true);
    ctx.progress(
        "Password reset. Every other session has ended: your other devices log in again with \
         the new password. The recovery kit still works; make a new one if it may be exposed.",
    );
    crate::ctx::print_session(ctx, &d, false).await
}

/// `vault rotate-account-key [--recovery-kit]`.
pub async fn rotate_account_key(ctx: &mut Ctx, recovery_kit: bool) -> CliResult<()> {
    let mut d = ctx.unlocked().await?;
    let pw = ctx.password("Master password: ")?;
    // A kit holds the old key and stops working: replace it if there was one.
    let new_kit = recovery_kit || d.has_recovery_kit().await?;
    ctx.progress("Rotating the account key…");
    let key = d.rotate_account_key(&pw, new_kit).await?;
    let generation = d.account().key_generation();
    if ctx.json {
        let words = key.as_ref().map(|k| k.to_words());
        ctx.print_json(&json!({
            "rotated": true,
            "key_generation": generation,
            "recovery_words": words.as_ref().map(|w| w.expose_secret()),
        }));
        return Ok(());
    }
    ctx.progress(format!(
        "Account key rotated (generation {generation}). Every other session has ended; other \
         devices log in again, and their quick-unlock setups must be made again."
    ));
    if let Some(k) = &key {
        print_kit(ctx, k, None)?;
    }
    Ok(())
}
