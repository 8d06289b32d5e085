//! `vault project …`: machine-secrets projects (vaults whose items are
//! named secrets that services read; see docs/secrets.md), and what the
//! other machine-secrets command groups (`secret`, `service`, `requests`,
//! `stubs`) share: finding a project, reading a value without argv,
//! checking names, printing times and untrusted text.

use crate::ctx::*;
use clap::Subcommand;
use std::time::Duration;
use vault_core::machine::{MAX_SECRET_VALUE_BYTES, ProjectRef, SecretName};
use vault_sync::client::ProjectInfo;

/// `vault project <command>`.
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project (a new vault you own) and print its id and the
    /// `vpr1.…` reference services register with.
    Create {
        /// Its name (no spaces, control characters or `/`: it is used in
        /// `vault://NAME/SECRET` references).
        name: String,
    },
    /// List the projects you are a member of.
    Ls,
    /// Show one project: id, reference, fingerprint, allowlist, counters.
    Show {
        /// Project name, id or `vpr1.…` reference.
        project: String,
    },
    /// Remove a project's machine side: every secret (all versions),
    /// service, grant, request and stub. The vault itself stays. Owner only.
    Rm {
        /// Project name, id or `vpr1.…` reference.
        project: String,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// Show, or replace, the addresses the project's services may connect
    /// from (IPv4/IPv6 CIDRs; both this and a service's own list must allow
    /// the address).
    Allowlist {
        /// Project name, id or `vpr1.…` reference.
        project: String,
        /// The new list (replaces the old one); none given: show the list.
        #[arg(value_name = "CIDR")]
        cidrs: Vec<String>,
        /// Empty the list: services may connect from any address.
        #[arg(long, conflicts_with = "cidrs")]
        clear: bool,
    },
    /// Finish rotating secret keys (after a revocation whose rotation was
    /// interrupted): every secret marked for rotation gets a new key
    /// generation, and the services that keep access get new grants.
    Rotate {
        /// Project name, id or `vpr1.…` reference.
        project: String,
    },
}

// ------------------------------------------------------------ shared helpers

/// A project by name, id or `vpr1.` reference (whose key must be the
/// project's: a reference with another key was not made by this project).
pub(crate) async fn project_id(d: &mut UnlockedDevice, query: &str) -> CliResult<VaultId> {
    let q = query.trim();
    if q.starts_with("vpr1.") {
        let r: ProjectRef = q.parse().map_err(|e: vault_core::Error| {
            CliError::usage(format!("bad project reference: {e}"))
        })?;
        let projects = d.projects().await?;
        let p = projects
            .iter()
            .find(|p| p.project == r.project)
            .ok_or_else(|| {
                CliError::new(
                    exit::NOT_FOUND,
                    "not_found",
                    format!("no project {} (or you are not a member of it)", r.project),
                )
            })?;
        if p.reference != r.to_string() {
            return Err(CliError::new(
                exit::SECURITY,
                "reference_mismatch",
                "this reference names the project with another signing key: it was not made by this project",
            ));
        }
        return Ok(p.project);
    }
    if q.is_empty() {
        return Err(CliError::usage("empty project name"));
    }
    d.find_project(q).await.map_err(|e| {
        let not_found = matches!(e, ClientError::NotFound(_));
        let c = CliError::from(e);
        if not_found {
            c.hint("`vault project ls` lists your projects")
        } else {
            c
        }
    })
}

/// A project's name, for messages (its id if it is not listed).
pub(crate) async fn project_name(d: &mut UnlockedDevice, id: VaultId) -> String {
    d.projects()
        .await
        .ok()
        .and_then(|ps| ps.into_iter().find(|p| p.project == id))
        .map_or_else(|| id.to_string(), |p| cell(&p.name))
}

/// Checks a secret name by the core's rule (before anything is asked or
/// sent), and returns it normalised.
pub(crate) fn secret_name(name: &str) -> CliResult<SecretName> {
    SecretName::new(name).map_err(|e| {
        let reason = match e {
            vault_core::Error::Malformed { reason, .. } => reason.to_owned(),
            other => other.to_string(),
        };
        CliError::usage(format!("bad secret name {name:?}: {reason}")).hint(
            "a name is like DATABASE_URL: no spaces, control or invisible characters, `=` or `/`; at most 256 bytes",
        )
    })
}

/// Checks a description the way the core will (at most 4096 bytes; no
/// control characters but newlines and tabs).
pub(crate) fn check_description(d: &str) -> CliResult<()> {
    if d.len() > 4096 {
        return Err(CliError::usage("the description is longer than 4096 bytes"));
    }
    if d.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(CliError::usage(
            "the description contains control characters",
        ));
    }
    Ok(())
}

/// Refuses `--password-stdin` when standard input is also the value.
pub(crate) fn check_stdin_free(ctx: &Ctx, value_from_env: Option<&str>) -> CliResult<()> {
    if value_from_env.is_none() && !std::io::stdin().is_terminal() && ctx.password_stdin {
        return Err(CliError::usage(
            "standard input holds the value: it cannot also hold the password",
        )
        .hint("unlock with VAULT_SESSION or VAULT_PASSWORD, or pass the value with --value-from-env VAR"));
    }
    Ok(())
}

/// A secret value, never from the command line: from the variable named
/// by `--value-from-env`, else all of standard input (without its final
/// newline) when it is not a terminal, else asked without echo.
pub(crate) fn read_value(
    ctx: &mut Ctx,
    value_from_env: Option<&str>,
    name: &SecretName,
) -> CliResult<Zeroizing<String>> {
    let value = if let Some(var) = value_from_env {
        match std::env::var(var) {
            Ok(v) => Zeroizing::new(v),
            Err(std::env::VarError::NotPresent) => {
                return Err(CliError::usage(format!(
                    "--value-from-env: the variable {var} is not set"
                )));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(CliError::usage(format!(
                    "--value-from-env: the variable {var} is not UTF-8"
                )));
            }
        }
    } else if !std::io::stdin().is_terminal() {
        Zeroizing::new(ctx.input.value("-")?)
    } else {
        term::prompt_password(&format!("Value of {name} (hidden): "))?
    };
    if value.is_empty() {
        return Err(CliError::usage(format!("the value of {name} is empty"))
            .hint("pipe it in (`… < file`), type it at the prompt, or use --value-from-env VAR"));
    }
    if value.len() > MAX_SECRET_VALUE_BYTES {
        return Err(CliError::usage(format!(
            "the value of {name} is longer than 64 KiB"
        )));
    }
    Ok(value)
}

/// Parses `30d`, `12h`, `90m`, `3600s` or `3600` (seconds).
pub(crate) fn parse_duration(flag: &str, s: &str) -> CliResult<Duration> {
    crate::term::parse_duration(flag, s)
}

/// Unix ms as `YYYY-MM-DD HH:MM UTC`.
pub(crate) fn utc(ms: i64) -> String {
    let (y, mo, d, h, mi, _) = crate::term::utc_civil(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02} UTC")
}

/// An optional time, or `-`.
pub(crate) fn utc_or_dash(ms: Option<i64>) -> String {
    ms.map_or_else(|| "-".to_owned(), utc)
}

/// Text from elsewhere (names, descriptions, a service's word) made safe
/// for one table cell: control characters escaped, so nothing can move
/// the cursor or forge lines.
pub(crate) fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_deceptive(c) => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// A control character, or an invisible direction or joiner mark (what
/// would mislead a person reading a name).
pub(crate) fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Ids without hyphens, lowercase (for prefix matches).
pub(crate) fn normalize_id(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Checks allowlist entries (an address, or an address and a prefix
/// length) before they are sent; the server normalises them.
pub(crate) fn check_cidrs(cidrs: &[String]) -> CliResult<()> {
    for c in cidrs {
        let (addr, len) = match c.trim().split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (c.trim(), None),
        };
        let max = match addr.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(_)) => 32,
            Ok(std::net::IpAddr::V6(_)) => 128,
            Err(_) => {
                return Err(CliError::usage(format!(
                    "{}: not an IPv4/IPv6 address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)",
                    cell(c)
                )));
            }
        };
        if let Some(l) = len
            && !l.parse::<u8>().is_ok_and(|l| l <= max)
        {
            return Err(CliError::usage(format!(
                "{}: the prefix length must be 0 to {max}",
                cell(c)
            )));
        }
    }
    Ok(())
}

/// Checks a project name: it appears in `vault://NAME/SECRET` references.
fn check_project_name(name: &str) -> CliResult<()> {
    if name.trim().is_empty() {
        return Err(CliError::usage("empty project name"));
    }
    if name.len() > 128 {
        return Err(CliError::usage("a project name is at most 128 bytes"));
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c == '/' || is_deceptive(c))
    {
        return Err(CliError::usage(format!(
            "bad project name {name:?}: no spaces, control or invisible characters, or `/`"
        ))
        .hint("it is used in `vault://NAME/SECRET` references: e.g. billing, billing-prod"));
    }
    if name.starts_with("vpr1.") {
        return Err(CliError::usage("a project name cannot start with vpr1."));
    }
    Ok(())
}

fn project_json(p: &ProjectInfo) -> serde_json::Value {
    json!({
        "id": p.project.to_string(),
        "name": p.name,
        "role": p.role.map(Role::as_str),
        "reference": p.reference,
        "fingerprint": p.fingerprint,
        "key_version": p.key_version,
        "allowlist": p.allowlist,
        "secrets": p.counts.secrets,
        "pending_services": p.counts.pending_services,
        "pending_requests": p.counts.pending_requests,
        "open_stubs": p.counts.open_stubs,
        "created_at_ms": p.created_at_ms,
    })
}

fn allowlist_text(list: &[String]) -> String {
    if list.is_empty() {
        "any address".into()
    } else {
        list.join(", ")
    }
}

/// Runs one `vault project` command.
pub(crate) async fn run(ctx: &mut Ctx, command: ProjectCommand) -> CliResult<()> {
    match command {
        ProjectCommand::Create { name } => {
            check_project_name(&name)?;
            let mut d = ctx.unlocked().await?;
            if d.projects()
                .await?
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case(&name))
            {
                return Err(
                    CliError::usage(format!("you already have a project named {name}"))
                        .hint("choose another name: projects are found by name"),
                );
            }
            let created = d.create_project(&name).await?;
            if ctx.json {
                ctx.print_json(&json!({
                    "id": created.project.to_string(),
                    "name": name,
                    "reference": created.reference,
                    "fingerprint": created.fingerprint,
                }));
            } else {
                println!("{}", created.project);
                println!("{}", created.reference);
                ctx.progress(format!(
                    "Created the project \"{name}\" (fingerprint {}).\nServices register with: vault service register --project {} --name NAME",
                    created.fingerprint, created.reference
                ));
            }
            Ok(())
        }
        ProjectCommand::Ls => {
            let mut d = ctx.unlocked().await?;
            let projects = d.projects().await?;
            if ctx.json {
                ctx.print_json(&json!(
                    projects.iter().map(project_json).collect::<Vec<_>>()
                ));
                return Ok(());
            }
            if projects.is_empty() {
                ctx.progress("No projects: `vault project create NAME` makes one.");
                return Ok(());
            }
            let rows: Vec<Vec<String>> = projects
                .iter()
                .map(|p| {
                    vec![
                        short(&p.project),
                        cell(&p.name),
                        p.role.map_or("-", Role::as_str).into(),
                        p.counts.secrets.to_string(),
                        p.counts.pending_services.to_string(),
                        p.counts.pending_requests.to_string(),
                        p.counts.open_stubs.to_string(),
                    ]
                })
                .collect();
            term::table(
                &[
                    "ID", "NAME", "ROLE", "SECRETS", "PENDING", "REQUESTS", "STUBS",
                ],
                &rows,
            );
            Ok(())
        }
        ProjectCommand::Show { project } => {
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let p = d
                .projects()
                .await?
                .into_iter()
                .find(|p| p.project == id)
                .ok_or_else(|| CliError::new(exit::NOT_FOUND, "not_found", "no such project"))?;
            if ctx.json {
                ctx.print_json(&project_json(&p));
                return Ok(());
            }
            let rows: [(&str, String); 12] = [
                ("name", cell(&p.name)),
                ("id", p.project.to_string()),
                ("reference", p.reference.clone()),
                ("fingerprint", p.fingerprint.clone()),
                ("role", p.role.map_or("-", Role::as_str).into()),
                ("key version", p.key_version.to_string()),
                ("allowlist", allowlist_text(&p.allowlist)),
                ("secrets", p.counts.secrets.to_string()),
                ("pending services", p.counts.pending_services.to_string()),
                ("pending requests", p.counts.pending_requests.to_string()),
                ("open stubs", p.counts.open_stubs.to_string()),
                ("created", utc(p.created_at_ms)),
            ];
            for (k, v) in rows {
                println!("{:<17} {v}", format!("{k}:"));
            }
            Ok(())
        }
        ProjectCommand::Rm { project, yes } => {
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let name = project_name(&mut d, id).await;
            if !yes {
                if !term::can_ask() {
                    return Err(CliError::usage(format!(
                        "removing project {name} needs a confirmation"
                    ))
                    .hint("pass --yes to remove it without asking"));
                }
                if !term::confirm(&format!(
                    "Remove project \"{name}\": every secret and version, service, grant, request and stub? (the vault stays)"
                ))? {
                    return Err(CliError::new(exit::GENERAL, "cancelled", "not removed"));
                }
            }
            d.remove_project(id).await?;
            if ctx.json {
                ctx.print_json(&json!({ "removed": id.to_string(), "name": name }));
            }
            ctx.progress(format!(
                "Removed project \"{name}\": its secrets, services and grants are gone; its services read nothing any more. The vault \"{name}\" stays."
            ));
            Ok(())
        }
        ProjectCommand::Allowlist {
            project,
            cidrs,
            clear,
        } => {
            check_cidrs(&cidrs)?;
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let list = if cidrs.is_empty() && !clear {
                d.projects()
                    .await?
                    .into_iter()
                    .find(|p| p.project == id)
                    .map(|p| p.allowlist)
                    .unwrap_or_default()
            } else {
                let list = d.set_project_allowlist(id, &cidrs).await?;
                ctx.progress(format!(
                    "The project's services may connect from: {}.",
                    allowlist_text(&list)
                ));
                list
            };
            if ctx.json {
                ctx.print_json(&json!({ "project": id.to_string(), "allowlist": list }));
            } else if list.is_empty() {
                ctx.progress("(empty: any address)");
            } else {
                for c in &list {
                    println!("{c}");
                }
            }
            Ok(())
        }
        ProjectCommand::Rotate { project } => {
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let r = d.rotate_pending_secrets(id).await?;
            if ctx.json {
                ctx.print_json(&json!({
                    "project": id.to_string(),
                    "rotated": r.rotated.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "regranted": r.regranted.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "project_keys_resealed": r.project_keys_resealed,
                }));
            }
            ctx.progress(format!(
                "Rotated {} secret(s); {} service(s) got new grants.",
                r.rotated.len(),
                r.regranted.len()
            ));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(
            parse_duration("--expires-in", "30d").unwrap(),
            Duration::from_secs(30 * 86_400)
        );
        assert_eq!(
            parse_duration("--expires-in", "90m").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(
            parse_duration("--expires-in", "10").unwrap(),
            Duration::from_secs(10)
        );
        for bad in ["", "0", "1w", "h", "-1d", "1.5h"] {
            assert!(parse_duration("--expires-in", bad).is_err(), "{bad}");
        }
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_700_000_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(cell("a\nb\u{1b}[2J\u{202e}"), "a\\nb\\u{1b}[2J\\u{202e}");
        assert_eq!(cell("billing DB"), "billing DB");
        assert!(check_project_name("billing-prod").is_ok());
        for bad in ["", " ", "a b", "a/b", "a\u{7}", "a\u{202e}b", "vpr1.x"] {
            assert!(check_project_name(bad).is_err(), "{bad:?}");
        }
        assert!(secret_name("DATABASE_URL").is_ok());
        for bad in ["", "A B", "A\u{1}", "A=B", "A/B"] {
            assert!(secret_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_description("line\nline\ttab").is_ok());
        assert!(check_description("bell\u{7}").is_err());
        assert!(check_cidrs(&["10.0.0.0/8".into(), "::1".into(), "2001:db8::/32".into()]).is_ok());
        for bad in ["x", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0/8"] {
            assert!(check_cidrs(&[bad.into()]).is_err(), "{bad}");
        }
    }
}
