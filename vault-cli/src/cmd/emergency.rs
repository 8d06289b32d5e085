//! `vault emergency …`: name a trusted contact who may ask for chosen
//! vaults after a waiting period you can cancel, and, as a contact, ask and
//! claim (see docs/cli.md "Emergency access").

use crate::ctx::Ctx;
use crate::error::{CliError, CliResult, exit};
use crate::term;
use clap::Subcommand;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use vault_core::VaultId;
use vault_sync::client::{ClientError, EmergencyAccess, EmergencyState, ErrorCode, UnlockedDevice};

/// `vault emergency <command>`.
#[derive(Debug, Subcommand)]
pub enum EmergencyCommand {
    /// Name (or change) an emergency contact for some of your vaults.
    Add {
        /// The contact's identifier.
        contact: String,
        /// A vault of yours they may ask for (name or id; repeat for several).
        #[arg(long = "vault", required = true)]
        vaults: Vec<String>,
        /// How long you have to cancel a request: 7d, 48h, 90m, 3600s
        /// (the server's minimum is usually 24h; at most 90d).
        #[arg(long, default_value = "7d")]
        wait: String,
        /// The fingerprint they read out to you (`vault fingerprint` on their
        /// side); refused if the directory's differs.
        #[arg(long)]
        fingerprint: Option<String>,
        /// Skip the fingerprint comparison (not recommended).
        #[arg(long)]
        yes: bool,
    },
    /// Show your emergency contacts, and who named you.
    Ls,
    /// Remove an emergency contact (vaults already released stay shared:
    /// `vault unshare` them).
    Rm {
        /// The contact's identifier or account id.
        contact: String,
    },
    /// As a contact: ask for an owner's vaults (the waiting period starts;
    /// the owner is told and may cancel).
    Request {
        /// The owner's identifier or account id.
        owner: String,
    },
    /// Cancel a contact's pending request (nothing is released).
    Cancel {
        /// The contact's identifier or account id.
        contact: String,
    },
    /// As a contact: claim an owner's vaults once the waiting period has
    /// passed, and sync them to this device.
    Claim {
        /// The owner's identifier or account id.
        owner: String,
    },
}

/// Parses `7d`, `48h`, `90m`, `3600s` or `3600` (seconds).
fn parse_wait(s: &str) -> CliResult<Duration> {
    crate::term::parse_duration("--wait", s)
}

/// `7d 2h`, `3h 5m`, `40s`.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (days, hours, mins, secs) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (mins, "m"), (secs, "s")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .take(2)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if parts.is_empty() {
        "0s".into()
    } else {
        parts.join(" ")
    }
}

/// Unix ms as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc(ms: i64) -> String {
    let (y, mo, d, h, mi, sec) = crate::term::utc_civil(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{sec:02} UTC")
}

/// "at … (in …)" for a release time, seen at `now_ms`.
fn release_text(ms: i64, now_ms: i64) -> String {
    let left = ms.saturating_sub(now_ms);
    if left <= 0 {
        format!("{} (now)", utc(ms))
    } else {
        format!(
            "{} (in {})",
            utc(ms),
            human(
                Duration::from_millis(u64::try_from(left).unwrap_or(0)).max(Duration::from_secs(1))
            )
        )
    }
}

fn state_name(s: EmergencyState) -> &'static str {
    s.as_str()
}

/// The other party, for people.
fn who(e: &EmergencyAccess, other: vault_core::AccountId) -> String {
    e.identifier.clone().unwrap_or_else(|| other.to_string())
}

/// Vault names this device can show (its own vaults; a contact sees ids).
fn vault_names(d: &UnlockedDevice) -> BTreeMap<VaultId, String> {
    d.vaults().into_iter().map(|v| (v.vault, v.name)).collect()
}

fn entry_json(e: &EmergencyAccess, names: &BTreeMap<VaultId, String>) -> serde_json::Value {
    json!({
        "owner": e.owner.to_string(),
        "contact": e.contact.to_string(),
        "identifier": e.identifier,
        "fingerprint": e.fingerprint,
        "verified": e.verified,
        "state": state_name(e.state),
        "wait_secs": e.wait.as_secs(),
        "requested_at_ms": e.requested_at_ms,
        "release_at_ms": e.release_at_ms,
        "vaults": e.vaults.iter().map(|(v, kv)| json!({
            "vault": v.to_string(),
            "name": names.get(v),
            "key_version": kv,
            "stale": e.stale.contains(v),
        })).collect::<Vec<_>>(),
    })
}

/// Runs one `vault emergency` command.
pub async fn run(ctx: &mut Ctx, command: EmergencyCommand) -> CliResult<()> {
    match command {
        EmergencyCommand::Add {
            contact,
            vaults,
            wait,
            fingerprint,
            yes,
        } => {
            let wait = parse_wait(&wait)?;
            let mut d = ctx.unlocked().await?;
            let mut ids = Vec::with_capacity(vaults.len());
            for q in &vaults {
                ids.push(d.find_vault(q)?);
            }
            let found = d.lookup_user(&contact).await?;
            let fp = found.fingerprint();
            ctx.progress(format!("{contact}'s fingerprint: {fp}"));
            let expected = if let Some(expected) = fingerprint {
                // Checked before any grant is made, by the one rule every
                // front end uses.
                d.verify_fingerprint(&found, &expected).await?;
                Some(expected)
            } else if found.verified {
                ctx.progress("(verified before)");
                None
            } else if yes {
                ctx.progress(
                    "Warning: naming an emergency contact without comparing fingerprints.",
                );
                None
            } else if term::can_ask() {
                if !term::confirm(&format!(
                    "Does {contact} see the same fingerprint with `vault fingerprint`?"
                ))? {
                    return Err(CliError::new(exit::SECURITY, "not_verified", "not named"));
                }
                Some(fp.clone())
            } else {
                return Err(CliError::new(
                    exit::SECURITY,
                    "not_verified",
                    "compare fingerprints before naming an emergency contact",
                )
                .hint(format!(
                    "ask {contact} to run `vault fingerprint`, then pass --fingerprint \"<their digits>\" (or --yes to skip the check)"
                )));
            };
            let e = d
                .set_emergency_contact(&contact, &ids, wait, expected.as_deref())
                .await
                .map_err(|e| {
                    let hint = (e.server_code() == Some(vault_sync::api::ErrorCode::BadRequest))
                        .then_some("the server sets the shortest waiting period (24h unless configured otherwise)");
                    let mut c = CliError::from(e);
                    if let Some(h) = hint {
                        c = c.hint(h);
                    }
                    c
                })?;
            let names = vault_names(&d);
            if ctx.json {
                ctx.print_json(&entry_json(&e, &names));
            }
            let list: Vec<String> = e
                .vaults
                .iter()
                .map(|(v, _)| names.get(v).cloned().unwrap_or_else(|| v.to_string()))
                .collect();
            ctx.progress(format!(
                "{contact} is your emergency contact for {}: they can ask for access, and get it {} after asking unless you cancel (`vault emergency cancel {contact}`).",
                list.join(", "),
                human(e.wait)
            ));
            Ok(())
        }
        EmergencyCommand::Ls => {
            let d = ctx.unlocked().await?;
            let s = d.emergency_status().await?;
            let names = vault_names(&d);
            if ctx.json {
                ctx.print_json(&json!({
                    "as_owner": s.as_owner.iter().map(|e| entry_json(e, &names)).collect::<Vec<_>>(),
                    "as_contact": s.as_contact.iter().map(|e| entry_json(e, &names)).collect::<Vec<_>>(),
                }));
                return Ok(());
            }
            let release = |e: &EmergencyAccess| match (e.state, e.release_at_ms) {
                (EmergencyState::Requested, Some(ms)) => {
                    release_text(ms, ctx.options.clock.now_ms())
                }
                _ => String::new(),
            };
            if s.as_owner.is_empty() && s.as_contact.is_empty() {
                ctx.progress("No emergency contacts, and nobody named you as one.");
                return Ok(());
            }
            if !s.as_owner.is_empty() {
                println!("Your emergency contacts:");
                let rows: Vec<Vec<String>> = s
                    .as_owner
                    .iter()
                    .map(|e| {
                        let vaults: Vec<String> = e
                            .vaults
                            .iter()
                            .map(|(v, _)| {
                                let n = names.get(v).cloned().unwrap_or_else(|| v.to_string());
                                if e.stale.contains(v) {
                                    format!("{n} (stale)")
                                } else {
                                    n
                                }
                            })
                            .collect();
                        vec![
                            who(e, e.contact),
                            state_name(e.state).into(),
                            human(e.wait),
                            release(e),
                            vaults.join(", "),
                            if e.verified { "yes" } else { "no" }.into(),
                        ]
                    })
                    .collect();
                term::table(
                    &["CONTACT", "STATE", "WAIT", "RELEASE", "VAULTS", "VERIFIED"],
                    &rows,
                );
                if s.as_owner.iter().any(|e| !e.stale.is_empty()) {
                    ctx.progress("(stale: a grant of an older vault key, which a claim would not release; `vault emergency add` again re-issues it)");
                }
            }
            if !s.as_contact.is_empty() {
                if !s.as_owner.is_empty() {
                    println!();
                }
                println!("You are the emergency contact of:");
                let rows: Vec<Vec<String>> = s
                    .as_contact
                    .iter()
                    .map(|e| {
                        vec![
                            who(e, e.owner),
                            state_name(e.state).into(),
                            human(e.wait),
                            release(e),
                            e.vaults.len().to_string(),
                            e.fingerprint.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                term::table(
                    &["OWNER", "STATE", "WAIT", "RELEASE", "VAULTS", "FINGERPRINT"],
                    &rows,
                );
            }
            Ok(())
        }
        EmergencyCommand::Rm { contact } => {
            let d = ctx.unlocked().await?;
            d.remove_emergency_contact(&contact).await?;
            if ctx.json {
                ctx.print_json(&json!({ "removed": contact }));
            }
            ctx.progress(format!(
                "{contact} is no longer your emergency contact (vaults already released to them stay shared: `vault unshare` them)."
            ));
            Ok(())
        }
        EmergencyCommand::Request { owner } => {
            let d = ctx.unlocked().await?;
            let e = d.request_emergency_access(&owner).await?;
            let names = vault_names(&d);
            if ctx.json {
                ctx.print_json(&entry_json(&e, &names));
            }
            let now = ctx.options.clock.now_ms();
            let at = e
                .release_at_ms
                .map(|ms| release_text(ms, now))
                .unwrap_or_default();
            ctx.progress(format!(
                "Asked {owner} for access to {} vault(s). Unless they cancel, claim them from {at} with `vault emergency claim {owner}`.",
                e.vaults.len()
            ));
            Ok(())
        }
        EmergencyCommand::Cancel { contact } => {
            let d = ctx.unlocked().await?;
            let e = d.cancel_emergency_request(&contact).await?;
            let names = vault_names(&d);
            if ctx.json {
                ctx.print_json(&entry_json(&e, &names));
            }
            ctx.progress(format!(
                "Cancelled {contact}'s request: nothing was released."
            ));
            Ok(())
        }
        EmergencyCommand::Claim { owner } => {
            let mut d = ctx.unlocked().await?;
            let out = match d.claim_emergency_access(&owner).await {
                Ok(out) => out,
                Err(ClientError::Rejected {
                    code:
                        code @ (ErrorCode::EmergencyWaiting
                        | ErrorCode::EmergencyNotRequested
                        | ErrorCode::EmergencyReleased),
                    message,
                    retry_after,
                    ..
                }) => {
                    let hint = match (code, retry_after) {
                        (ErrorCode::EmergencyWaiting, Some(s)) => format!(
                            "the waiting period ends in {}: claim again then",
                            human(Duration::from_secs(s))
                        ),
                        (ErrorCode::EmergencyNotRequested, _) => {
                            format!("ask first: `vault emergency request {owner}`")
                        }
                        _ => "nothing to do: the vaults are on your devices after `vault sync`"
                            .into(),
                    };
                    return Err(CliError::new(exit::REFUSED, code.as_str(), message).hint(hint));
                }
                Err(e) => return Err(e.into()),
            };
            let names = vault_names(&d);
            if ctx.json {
                ctx.print_json(&json!({
                    "released": out.released.iter().map(|v| json!({
                        "vault": v.to_string(),
                        "name": names.get(v),
                    })).collect::<Vec<_>>(),
                    "stale": out.stale.iter().map(ToString::to_string).collect::<Vec<_>>(),
                }));
            } else {
                for v in &out.released {
                    println!("{}", names.get(v).cloned().unwrap_or_else(|| v.to_string()));
                }
            }
            ctx.progress(format!(
                "Released {} vault(s) of {owner} to you (read-only); they are on this device now.",
                out.released.len()
            ));
            if !out.stale.is_empty() {
                ctx.progress(format!(
                    "{} vault(s) were not released: {owner} rotated their key after naming you and the grant was not renewed.",
                    out.stale.len()
                ));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn waits_parse_and_print() {
        assert_eq!(parse_wait("7d").unwrap(), Duration::from_secs(7 * 86_400));
        assert_eq!(parse_wait("48h").unwrap(), Duration::from_secs(48 * 3600));
        assert_eq!(parse_wait("90m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_wait("3600").unwrap(), Duration::from_secs(3600));
        for bad in ["", "0", "7w", "d", "-1d", "1.5d"] {
            assert!(parse_wait(bad).is_err(), "{bad}");
        }
        assert_eq!(human(Duration::from_secs(7 * 86_400 + 7200 + 5)), "7d 2h");
        assert_eq!(human(Duration::from_secs(40)), "40s");
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
    }
}
