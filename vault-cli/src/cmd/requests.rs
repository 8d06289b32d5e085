//! `vault requests …` (services asking for secrets they are not granted)
//! and `vault stubs …` (services asking for names that do not exist).
//! What services say (names, reasons) is sealed to the project and opened
//! here; it is their word, shown escaped.

use super::projects::{
    cell, check_description, check_stdin_free, normalize_id, project_id, read_value, secret_name,
    utc,
};
use crate::ctx::*;
use clap::Subcommand;
use vault_core::machine::SecretName;
use vault_sync::client::{AccessRequestInfo, RequestStatus, StubInfo};

/// `vault requests <command>`.
#[derive(Debug, Subcommand)]
pub enum RequestsCommand {
    /// List a project's access requests, newest first.
    Ls {
        /// Project name, id or `vpr1.…` reference.
        #[arg(long)]
        project: String,
        /// Only those waiting for a decision.
        #[arg(long)]
        pending: bool,
    },
    /// Grant a request: the secret's key is sealed to the service here.
    Grant {
        /// Project name, id or `vpr1.…` reference.
        #[arg(long)]
        project: String,
        /// The request (`SERVICE:SECRET` ids, or unique prefixes of both, as
        /// `vault requests ls` shows them).
        request: String,
    },
    /// Refuse a request (the service's later asks are only counted).
    Deny {
        /// Project name, id or `vpr1.…` reference.
        #[arg(long)]
        project: String,
        /// The request (`SERVICE:SECRET`, as `vault requests ls` shows it).
        request: String,
    },
}

/// `vault stubs <command>`.
#[derive(Debug, Subcommand)]
pub enum StubsCommand {
    /// List the names services asked for that do not exist.
    Ls {
        /// Project name, id or `vpr1.…` reference.
        #[arg(long)]
        project: String,
    },
    /// Create the missing secret and grant it to the services that asked.
    /// The value comes from standard input when it is not a terminal,
    /// else it is asked without echo; never from the command line.
    Fill {
        /// Project name, id or `vpr1.…` reference.
        #[arg(long)]
        project: String,
        /// The stub (its id or a unique prefix, as `vault stubs ls` shows
        /// it, or the name asked for).
        stub: String,
        /// The name, when the services' hints did not say it.
        #[arg(long)]
        name: Option<String>,
        /// What it is for (default: what the asking service said).
        #[arg(long)]
        description: Option<String>,
        /// Take the value from this environment variable instead.
        #[arg(long, value_name = "VAR")]
        value_from_env: Option<String>,
    },
}

/// `SERVICE:SECRET` (full ids).
fn request_id(r: &AccessRequestInfo) -> String {
    format!("{}:{}", r.service, r.secret)
}

fn request_short(r: &AccessRequestInfo) -> String {
    format!("{}:{}", short(&r.service), short(&r.secret))
}

/// A request by `SERVICE:SECRET`, each side a full id or a prefix of 4+
/// characters; it must be unique.
fn find_request<'a>(list: &'a [AccessRequestInfo], q: &str) -> CliResult<&'a AccessRequestInfo> {
    let (svc, sec) = q.trim().split_once(':').ok_or_else(|| {
        CliError::usage(format!(
            "bad request id {}: use SERVICE:SECRET as `vault requests ls` shows it",
            cell(q)
        ))
    })?;
    if svc.len() < 4 || sec.len() < 4 {
        return Err(CliError::usage(
            "a request id is SERVICE:SECRET, each at least 4 characters",
        ));
    }
    let (svc, sec) = (normalize_id(svc), normalize_id(sec));
    let matches: Vec<&AccessRequestInfo> = list
        .iter()
        .filter(|r| {
            normalize_id(&r.service.to_string()).starts_with(&svc)
                && normalize_id(&r.secret.to_string()).starts_with(&sec)
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(CliError::new(
            exit::NOT_FOUND,
            "not_found",
            format!("no access request {}", cell(q)),
        )
        .hint("`vault requests ls --project PROJECT` lists them")),
        many => Err(CliError::new(
            exit::NOT_FOUND,
            "ambiguous",
            format!(
                "{} requests match {}: use full ids ({})",
                many.len(),
                cell(q),
                many.iter()
                    .map(|r| request_id(r))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

fn request_json(r: &AccessRequestInfo) -> serde_json::Value {
    json!({
        "id": request_id(r),
        "service": r.service.to_string(),
        "service_name": r.service_name,
        "secret": r.secret.to_string(),
        "secret_name": r.secret_name.as_ref().map(|n| n.as_str()),
        "reason": r.hint.as_ref().map(|h| h.description.as_str()),
        "status": r.status.as_str(),
        "attempts": r.attempts,
        "first_at_ms": r.first_at_ms,
        "last_at_ms": r.last_at_ms,
        "decided_at_ms": r.decided_at_ms,
    })
}

fn service_label(name: Option<&String>, id: &impl ToString) -> String {
    name.map_or_else(|| id.to_string(), |n| cell(n))
}

/// Runs one `vault requests` command.
pub(crate) async fn run_requests(ctx: &mut Ctx, command: RequestsCommand) -> CliResult<()> {
    match command {
        RequestsCommand::Ls { project, pending } => {
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let list: Vec<AccessRequestInfo> = d
                .requests(id)
                .await?
                .into_iter()
                .filter(|r| !pending || r.status == RequestStatus::Pending)
                .collect();
            if ctx.json {
                ctx.print_json(&json!(list.iter().map(request_json).collect::<Vec<_>>()));
                return Ok(());
            }
            if list.is_empty() {
                ctx.progress("No access requests.");
                return Ok(());
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|r| {
                    vec![
                        request_short(r),
                        service_label(r.service_name.as_ref(), &r.service),
                        r.secret_name
                            .as_ref()
                            .map_or_else(|| r.secret.to_string(), ToString::to_string),
                        r.status.as_str().into(),
                        r.attempts.to_string(),
                        utc(r.last_at_ms),
                        r.hint
                            .as_ref()
                            .map(|h| cell(&h.description))
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            term::table(
                &[
                    "ID", "SERVICE", "SECRET", "STATUS", "ASKS", "LAST ASK", "REASON",
                ],
                &rows,
            );
            Ok(())
        }
        RequestsCommand::Grant { project, request } => {
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let list = d.requests(id).await?;
            let r = find_request(&list, &request)?;
            d.grant_request(id, r.service, r.secret).await?;
            let (who, what) = (
                service_label(r.service_name.as_ref(), &r.service),
                r.secret_name
                    .as_ref()
                    .map_or_else(|| r.secret.to_string(), ToString::to_string),
            );
            if ctx.json {
                ctx.print_json(&json!({ "id": request_id(r), "status": "granted" }));
            }
            ctx.progress(format!("Granted {what} to {who}."));
            Ok(())
        }
        RequestsCommand::Deny { project, request } => {
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let list = d.requests(id).await?;
            let r = find_request(&list, &request)?;
            d.deny_request(id, r.service, r.secret).await?;
            let (who, what) = (
                service_label(r.service_name.as_ref(), &r.service),
                r.secret_name
                    .as_ref()
                    .map_or_else(|| r.secret.to_string(), ToString::to_string),
            );
            if ctx.json {
                ctx.print_json(&json!({ "id": request_id(r), "status": "denied" }));
            }
            ctx.progress(format!("Denied {who} access to {what}."));
            Ok(())
        }
    }
}

/// A stub's id: its blind index (unpadded base64url).
fn stub_id(s: &StubInfo) -> String {
    s.blind_index.to_string()
}

/// A stub by id, unique id prefix (4+ characters, case-sensitive) or the
/// name asked for.
fn find_stub<'a>(list: &'a [StubInfo], q: &str) -> CliResult<&'a StubInfo> {
    let q = q.trim();
    let mut matches: Vec<&StubInfo> = list
        .iter()
        .filter(|s| {
            s.name
                .as_ref()
                .is_some_and(|n| SecretName::new(q).is_ok_and(|q| *n == q))
        })
        .collect();
    if matches.is_empty() && q.len() >= 4 {
        matches = list.iter().filter(|s| stub_id(s).starts_with(q)).collect();
    }
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(
            CliError::new(exit::NOT_FOUND, "not_found", format!("no stub {}", cell(q)))
                .hint("`vault stubs ls --project PROJECT` lists them"),
        ),
        many => Err(CliError::new(
            exit::NOT_FOUND,
            "ambiguous",
            format!(
                "{} stubs match {}: use a longer id ({})",
                many.len(),
                cell(q),
                many.iter()
                    .map(|s| stub_id(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

fn stub_json(s: &StubInfo) -> serde_json::Value {
    json!({
        "id": stub_id(s),
        "name": s.name.as_ref().map(|n| n.as_str()),
        "attempts": s.askers.iter().map(|a| a.attempts).sum::<u64>(),
        "askers": s.askers.iter().map(|a| json!({
            "service": a.service.to_string(),
            "service_name": a.service_name,
            "description": a.description,
            "attempts": a.attempts,
            "first_at_ms": a.first_at_ms,
            "last_at_ms": a.last_at_ms,
        })).collect::<Vec<_>>(),
    })
}

/// Runs one `vault stubs` command.
pub(crate) async fn run_stubs(ctx: &mut Ctx, command: StubsCommand) -> CliResult<()> {
    match command {
        StubsCommand::Ls { project } => {
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let list = d.stubs(id).await?;
            if ctx.json {
                ctx.print_json(&json!(list.iter().map(stub_json).collect::<Vec<_>>()));
                return Ok(());
            }
            if list.is_empty() {
                ctx.progress("No stubs: no service asked for a missing name.");
                return Ok(());
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|s| {
                    let askers: Vec<String> = s
                        .askers
                        .iter()
                        .map(|a| service_label(a.service_name.as_ref(), &short(&a.service)))
                        .collect();
                    let description = s
                        .askers
                        .iter()
                        .find_map(|a| a.description.as_deref().filter(|d| !d.is_empty()))
                        .map(cell)
                        .unwrap_or_default();
                    vec![
                        stub_id(s).chars().take(8).collect(),
                        s.name
                            .as_ref()
                            .map_or_else(|| "(not said)".to_owned(), ToString::to_string),
                        askers.join(", "),
                        s.askers.iter().map(|a| a.attempts).sum::<u64>().to_string(),
                        s.askers
                            .iter()
                            .map(|a| a.last_at_ms)
                            .max()
                            .map(utc)
                            .unwrap_or_default(),
                        description,
                    ]
                })
                .collect();
            term::table(
                &["ID", "NAME", "ASKED BY", "ASKS", "LAST ASK", "DESCRIPTION"],
                &rows,
            );
            Ok(())
        }
        StubsCommand::Fill {
            project,
            stub,
            name,
            description,
            value_from_env,
        } => {
            let given = name.as_deref().map(secret_name).transpose()?;
            if let Some(desc) = &description {
                check_description(desc)?;
            }
            check_stdin_free(ctx, value_from_env.as_deref())?;
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let list = d.stubs(id).await?;
            let s = find_stub(&list, &stub)?;
            let stub_key = s.blind_index;
            let name_was_said = s.name.is_some();
            let name = match (&s.name, given) {
                (Some(n), Some(g)) if *n != g => {
                    return Err(CliError::usage(format!(
                        "the services asked for {n}, not {g}"
                    )));
                }
                (Some(n), _) => n.clone(),
                (None, Some(g)) => g,
                (None, None) => {
                    return Err(CliError::usage(
                        "the services did not say which name they asked for",
                    )
                    .hint("pass --name NAME (it must be the name they asked for)"));
                }
            };
            let description = match description {
                Some(desc) => desc,
                None => s
                    .askers
                    .iter()
                    .find_map(|a| a.description.clone().filter(|d| !d.is_empty()))
                    .filter(|d| check_description(d).is_ok())
                    .unwrap_or_default(),
            };
            let value = read_value(ctx, value_from_env.as_deref(), &name)?;
            let filled = d.fill_stub(id, name.as_str(), &value, &description).await?;
            if !name_was_said && d.stubs(id).await?.iter().any(|s| s.blind_index == stub_key) {
                ctx.progress(format!(
                    "Note: stub {} is still open: the services behind it asked for another name than {name}.",
                    stub_key.to_string().chars().take(8).collect::<String>()
                ));
            }
            if ctx.json {
                ctx.print_json(&json!({
                    "secret": filled.secret.to_string(),
                    "name": name.as_str(),
                    "granted": filled.granted.iter().map(ToString::to_string).collect::<Vec<_>>(),
                }));
            }
            ctx.progress(format!(
                "Created {name}; granted it to {} service(s) that asked (whole-project services read it anyway).",
                filled.granted.len()
            ));
            Ok(())
        }
    }
}
