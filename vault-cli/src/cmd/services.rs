//! `vault service …` for admins: issue tokens (CI), list, approve after a
//! fingerprint check, deny, revoke (with the rotation that follows), and
//! address allowlists. Grants are sealed to the service's key on this
//! device (docs/secrets.md "Registering a service").

use super::projects::{
    cell, check_cidrs, is_deceptive, normalize_id, parse_duration, project_id, secret_name,
    utc_or_dash,
};
use crate::ctx::*;
use clap::{Args, Subcommand};
use vault_core::ServiceId;
use vault_sync::client::{AccessSpec, ServiceInfo, ServiceStatus};

/// What a service may read.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct AccessArgs {
    /// These secrets, by name (comma-separated, or repeat the flag).
    #[arg(long, value_delimiter = ',', value_name = "NAME,…")]
    pub secrets: Vec<String>,
    /// Every secret of the project, present and future.
    #[arg(long)]
    pub whole_project: bool,
}

/// `vault service <command>`.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// On the service's host: generate a service token (its private key
    /// never leaves this host), save it 0600, and register it with the
    /// project. Prints the fingerprint a project admin compares before
    /// approving (`vault service approve`). No account needed.
    #[command(disable_version_flag = true)]
    Register {
        /// The project's `vpr1.…` reference (`vault project create` and
        /// `vault project show` print it).
        #[arg(long, value_name = "vpr1.…")]
        project: String,
        /// A name for people (e.g. billing-api).
        #[arg(long)]
        name: String,
        /// The service's software version, shown to admins.
        #[arg(long)]
        version: Option<String>,
        /// Where to save the token (created 0600). An existing file is not
        /// overwritten; if it holds this project's token, that token is
        /// registered (a retry).
        #[arg(long, value_name = "PATH")]
        token_file: PathBuf,
        /// Replace an existing token file with a new token.
        #[arg(long)]
        force: bool,
    },
    /// Issue a service token (for CI): generated here, approved at once,
    /// printed alone on stdout (shown once: store it like a password).
    /// Without --secrets or --whole-project it reads nothing until you
    /// grant its access requests (`vault requests`).
    CreateToken {
        /// Project name, id or `vpr1.…` reference.
        #[arg(long)]
        project: String,
        /// A name for people (e.g. ci-deploy).
        #[arg(long)]
        name: String,
        /// What it may read.
        #[command(flatten)]
        access: AccessArgs,
        /// The token stops working after this long: 30d, 12h, 90m, 3600s.
        #[arg(long, value_name = "DURATION")]
        expires_in: Option<String>,
    },
    /// List a project's services: status, fingerprint, last use, reads.
    Ls {
        /// Project name, id or `vpr1.…` reference.
        #[arg(long)]
        project: String,
    },
    /// Approve a service that registered itself (or widen an approved
    /// one's access), after comparing the fingerprint it printed.
    Approve {
        /// Project name, id or `vpr1.…` reference.
        #[arg(long)]
        project: String,
        /// Service id (or a unique prefix of it, or its unique name).
        service: String,
        /// The digits the service printed when it registered; refused if
        /// its key has another fingerprint.
        #[arg(long)]
        fingerprint: Option<String>,
        /// What it may read (one is required).
        #[command(flatten)]
        access: AccessArgs,
        /// Approve without comparing fingerprints (not recommended).
        #[arg(long)]
        yes: bool,
    },
    /// Refuse a pending service.
    Deny {
        /// Project name, id or `vpr1.…` reference.
        #[arg(long)]
        project: String,
        /// Service id (or a unique prefix of it, or its unique name).
        service: String,
    },
    /// Revoke a service at once, then rotate the keys of what it could read.
    Revoke {
        /// Project name, id or `vpr1.…` reference.
        #[arg(long)]
        project: String,
        /// Service id (or a unique prefix of it, or its unique name).
        service: String,
    },
    /// Show, or replace, the addresses a service may connect from
    /// (IPv4/IPv6 CIDRs; the project's list must allow them too).
    Allowlist {
        /// Project name, id or `vpr1.…` reference.
        #[arg(long)]
        project: String,
        /// Service id (or a unique prefix of it, or its unique name).
        service: String,
        /// The new list (replaces the old one); none given: show the list.
        #[arg(value_name = "CIDR")]
        cidrs: Vec<String>,
        /// Empty the list: any address (that the project allows).
        #[arg(long, conflicts_with = "cidrs")]
        clear: bool,
    },
}

/// What `--secrets`/`--whole-project` ask for; `None` if neither.
fn access_spec(a: &AccessArgs) -> CliResult<Option<AccessSpec>> {
    if a.whole_project {
        return Ok(Some(AccessSpec::WholeProject));
    }
    if a.secrets.is_empty() {
        return Ok(None);
    }
    let mut names: Vec<String> = Vec::with_capacity(a.secrets.len());
    for n in &a.secrets {
        let n = secret_name(n)?.as_str().to_owned();
        if !names.contains(&n) {
            names.push(n);
        }
    }
    Ok(Some(AccessSpec::Secrets(names)))
}

fn access_text(spec: &AccessSpec) -> String {
    match spec {
        AccessSpec::WholeProject => "every secret of the project".into(),
        AccessSpec::Secrets(names) if names.is_empty() => "no secret yet".into(),
        AccessSpec::Secrets(names) => names.join(", "),
    }
}

/// A service name: 1 to 128 bytes, nothing that would mislead a reader.
fn check_service_name(name: &str) -> CliResult<()> {
    if name.trim().is_empty() {
        return Err(CliError::usage("empty service name"));
    }
    if name.len() > 128 {
        return Err(CliError::usage("a service name is at most 128 bytes"));
    }
    if name.chars().any(is_deceptive) {
        return Err(CliError::usage(format!(
            "bad service name {name:?}: no control or invisible characters"
        )));
    }
    Ok(())
}

/// A service of the list by id, unique id prefix (4+ characters) or
/// unique name.
pub(crate) fn find_service<'a>(list: &'a [ServiceInfo], q: &str) -> CliResult<&'a ServiceInfo> {
    let q = q.trim();
    if let Ok(id) = q.parse::<ServiceId>()
        && let Some(s) = list.iter().find(|s| s.service == id)
    {
        return Ok(s);
    }
    let mut matches: Vec<&ServiceInfo> = if q.len() >= 4 {
        let n = normalize_id(q);
        list.iter()
            .filter(|s| normalize_id(&s.service.to_string()).starts_with(&n))
            .collect()
    } else {
        Vec::new()
    };
    if matches.is_empty() {
        matches = list.iter().filter(|s| s.name == q).collect();
    }
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(CliError::new(
            exit::NOT_FOUND,
            "not_found",
            format!("no service {} in this project", cell(q)),
        )
        .hint("`vault service ls --project PROJECT` lists them")),
        many => Err(CliError::new(
            exit::NOT_FOUND,
            "ambiguous",
            format!(
                "{} services match {}: use an id ({})",
                many.len(),
                cell(q),
                many.iter()
                    .map(|s| s.service.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

fn status_text(s: &ServiceInfo, now_ms: i64) -> String {
    let mut t = s.status.as_str().to_owned();
    if !s.pins_project_key {
        t.push_str(" (wrong project key)");
    } else if s.status == ServiceStatus::Approved && s.expires_at_ms.is_some_and(|e| e <= now_ms) {
        t.push_str(" (expired)");
    }
    t
}

fn service_json(s: &ServiceInfo) -> serde_json::Value {
    json!({
        "id": s.service.to_string(),
        "name": s.name,
        "software_version": s.software_version,
        "status": s.status.as_str(),
        "access": s.access.as_str(),
        "origin": s.origin.as_str(),
        "fingerprint": s.fingerprint,
        "pins_project_key": s.pins_project_key,
        "allowlist": s.allowlist,
        "created_at_ms": s.created_at_ms,
        "decided_at_ms": s.decided_at_ms,
        "expires_at_ms": s.expires_at_ms,
        "uses": s.uses,
        "last_used_at_ms": s.last_used_at_ms,
    })
}

/// Runs one `vault service` command.
pub(crate) async fn run(ctx: &mut Ctx, command: ServiceCommand) -> CliResult<()> {
    match command {
        ServiceCommand::Register {
            project,
            name,
            version,
            token_file,
            force,
        } => {
            check_service_name(&name)?;
            super::run::register(
                ctx,
                super::run::Register {
                    project,
                    name,
                    version,
                    token_file,
                    force,
                },
            )
            .await
        }
        ServiceCommand::CreateToken {
            project,
            name,
            access,
            expires_in,
        } => {
            check_service_name(&name)?;
            let spec = access_spec(&access)?.unwrap_or(AccessSpec::Secrets(Vec::new()));
            let expires = expires_in
                .as_deref()
                .map(|s| parse_duration("--expires-in", s))
                .transpose()?;
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let issued = d
                .issue_service_token(id, &name, &spec, expires)
                .await
                .map_err(|e| {
                    let missing = matches!(e, ClientError::NotFound(_));
                    let c = CliError::from(e);
                    if missing {
                        c.hint("every name in --secrets must exist: `vault secret ls PROJECT`")
                    } else {
                        c
                    }
                })?;
            if ctx.json {
                ctx.print_json(&json!({
                    "service": issued.service.to_string(),
                    "name": name,
                    "token": issued.token.expose_secret(),
                    "fingerprint": issued.fingerprint,
                }));
            } else {
                println!("{}", issued.token.expose_secret());
            }
            ctx.progress(format!(
                "Issued service {} ({}), approved; it may read: {}.{}\nThe token above is shown once: store it like a password (e.g. as a CI secret).",
                cell(&name),
                issued.service,
                access_text(&spec),
                expires_in
                    .as_deref()
                    .map(|e| format!(" It expires in {}.", e.trim()))
                    .unwrap_or_default(),
            ));
            if matches!(&spec, AccessSpec::Secrets(n) if n.is_empty()) {
                ctx.progress("It reads nothing yet: its reads file access requests (`vault requests ls`); or issue it with --secrets or --whole-project.");
            }
            Ok(())
        }
        ServiceCommand::Ls { project } => {
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let list = d.services(id).await?;
            if ctx.json {
                ctx.print_json(&json!(list.iter().map(service_json).collect::<Vec<_>>()));
                return Ok(());
            }
            if list.is_empty() {
                ctx.progress("No services yet.");
                return Ok(());
            }
            let now = ctx.options.clock.now_ms();
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|s| {
                    vec![
                        short(&s.service),
                        cell(&s.name),
                        cell(&s.software_version),
                        status_text(s, now),
                        s.access.as_str().into(),
                        s.fingerprint.clone(),
                        utc_or_dash(s.last_used_at_ms),
                        s.uses.to_string(),
                        utc_or_dash(s.expires_at_ms),
                    ]
                })
                .collect();
            term::table(
                &[
                    "ID",
                    "NAME",
                    "VERSION",
                    "STATUS",
                    "ACCESS",
                    "FINGERPRINT",
                    "LAST USED",
                    "READS",
                    "EXPIRES",
                ],
                &rows,
            );
            Ok(())
        }
        ServiceCommand::Approve {
            project,
            service,
            fingerprint,
            access,
            yes,
        } => {
            let spec = access_spec(&access)?.ok_or_else(|| {
                CliError::usage("say what it may read: --secrets NAME,… or --whole-project")
            })?;
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let list = d.services(id).await?;
            let s = find_service(&list, &service)?;
            let (sid, sname) = (s.service, cell(&s.name));
            if !s.pins_project_key {
                return Err(CliError::new(
                    exit::SECURITY,
                    "wrong_project_key",
                    format!(
                        "service {sname} ({sid}) pinned another project key: it was given a wrong project reference, and cannot be approved"
                    ),
                )
                .hint("have it register again with this project's reference (`vault project show PROJECT`)"));
            }
            ctx.progress(format!("{sname}'s fingerprint: {}", s.fingerprint));
            let expected = if let Some(expected) = fingerprint {
                // The core's comparison (digits only, constant time), as the
                // client does again before sending anything.
                if !s.public.fingerprint_matches(&expected) {
                    return Err(mismatch(&sname, sid, &expected, &s.fingerprint));
                }
                Some(expected)
            } else if yes {
                ctx.progress("Warning: approving without comparing fingerprints.");
                None
            } else if term::can_ask() {
                if !term::confirm(&format!(
                    "Did {sname} print the same fingerprint when it registered?"
                ))? {
                    return Err(CliError::new(
                        exit::SECURITY,
                        "not_verified",
                        "not approved",
                    ));
                }
                Some(s.fingerprint.clone())
            } else {
                return Err(CliError::new(
                    exit::SECURITY,
                    "not_verified",
                    "compare fingerprints before approving a service",
                )
                .hint("pass --fingerprint \"<the digits the service printed>\" (or --yes to skip the check)"));
            };
            d.approve_service(id, sid, expected.as_deref(), &spec)
                .await
                .map_err(|e| match e {
                    ClientError::FingerprintMismatch { expected, actual } => {
                        mismatch(&sname, sid, &expected, &actual)
                    }
                    ClientError::NotFound(_) => CliError::from(e)
                        .hint("every name in --secrets must exist: `vault secret ls PROJECT`"),
                    e => CliError::from(e),
                })?;
            if ctx.json {
                ctx.print_json(&json!({
                    "service": sid.to_string(),
                    "name": s.name,
                    "status": "approved",
                    "access": match &spec {
                        AccessSpec::WholeProject => json!("project"),
                        AccessSpec::Secrets(n) => json!(n),
                    },
                }));
            }
            ctx.progress(format!(
                "Approved {sname}; it may read: {}.",
                access_text(&spec)
            ));
            Ok(())
        }
        ServiceCommand::Deny { project, service } => {
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let list = d.services(id).await?;
            let s = find_service(&list, &service)?;
            d.deny_service(id, s.service).await?;
            if ctx.json {
                ctx.print_json(&json!({ "service": s.service.to_string(), "status": "denied" }));
            }
            ctx.progress(format!("Denied {}.", cell(&s.name)));
            Ok(())
        }
        ServiceCommand::Revoke { project, service } => {
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let list = d.services(id).await?;
            let s = find_service(&list, &service)?;
            let (sid, sname) = (s.service, cell(&s.name));
            ctx.progress(format!(
                "Revoking {sname} and rotating the keys of what it could read…"
            ));
            let r = d.revoke_service(id, sid).await.map_err(|e| {
                let refused_first = matches!(e, ClientError::Invalid(_) | ClientError::NotFound(_));
                let c = CliError::from(e);
                if refused_first {
                    c
                } else {
                    c.hint(format!(
                        "if `vault service ls` shows it revoked, finish the rotation with `vault project rotate {}`",
                        cell(&project)
                    ))
                }
            })?;
            if ctx.json {
                ctx.print_json(&json!({
                    "service": sid.to_string(),
                    "status": "revoked",
                    "vault_key_version": r.vault_key_version,
                    "rotated": r.rotation.rotated.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "regranted": r.rotation.regranted.iter().map(ToString::to_string).collect::<Vec<_>>(),
                }));
            }
            let mut msg = format!(
                "Revoked {sname}: it no longer authenticates. Rotated {} secret(s); {} other service(s) got new grants.",
                r.rotation.rotated.len(),
                r.rotation.regranted.len()
            );
            if let Some(v) = r.vault_key_version {
                msg.push_str(&format!(" The vault key was rotated (generation {v})."));
            }
            ctx.progress(msg);
            Ok(())
        }
        ServiceCommand::Allowlist {
            project,
            service,
            cidrs,
            clear,
        } => {
            check_cidrs(&cidrs)?;
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let list = d.services(id).await?;
            let s = find_service(&list, &service)?;
            let cidrs = if cidrs.is_empty() && !clear {
                s.allowlist.clone()
            } else {
                let new = d.set_service_allowlist(id, s.service, &cidrs).await?;
                ctx.progress(format!(
                    "{} may connect from: {}.",
                    cell(&s.name),
                    if new.is_empty() {
                        "any address the project allows".to_owned()
                    } else {
                        new.join(", ")
                    }
                ));
                new
            };
            if ctx.json {
                ctx.print_json(&json!({ "service": s.service.to_string(), "allowlist": cidrs }));
            } else if cidrs.is_empty() {
                ctx.progress("(empty: any address the project allows)");
            } else {
                for c in &cidrs {
                    println!("{c}");
                }
            }
            Ok(())
        }
    }
}

fn mismatch(name: &str, id: ServiceId, expected: &str, actual: &str) -> CliError {
    CliError::new(
        exit::SECURITY,
        "fingerprint_mismatch",
        format!(
            "fingerprint mismatch: you gave {}, but service {name} ({id}) has {actual}; not approved",
            cell(expected)
        ),
    )
    .hint("compare with the digits the service printed when it registered; a different key means another party registered it")
}
