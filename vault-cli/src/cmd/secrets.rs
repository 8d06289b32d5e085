//! `vault secret …`: a project's secrets (`NAME` → value, with versions).
//! Values never come from the command line: standard input, a prompt
//! without echo, or `--value-from-env VAR`. Names and values are sealed
//! and opened on this device; the server sees blind indexes and
//! ciphertext. (`vault secrets schema …`, plural, is cmd/schema.rs.)

use super::projects::{
    cell, check_description, check_stdin_free, project_id, project_name, read_value, secret_name,
    utc, utc_or_dash,
};
use crate::ctx::*;
use clap::Subcommand;
use vault_core::machine::SecretName;

/// `vault secret <command>`.
#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Create a secret, or write its next version. The value comes from
    /// standard input when it is not a terminal (final newline dropped),
    /// else it is asked without echo; never from the command line.
    Set {
        /// Project name, id or `vpr1.…` reference.
        project: String,
        /// The secret's name (e.g. DATABASE_URL).
        name: String,
        /// What it is for (default: keep the current description).
        #[arg(long)]
        description: Option<String>,
        /// Take the value from this environment variable instead.
        #[arg(long, value_name = "VAR")]
        value_from_env: Option<String>,
    },
    /// Print a secret's current value alone (for scripts).
    Get {
        /// Project name, id or `vpr1.…` reference.
        project: String,
        /// The secret's name.
        name: String,
    },
    /// List a project's secrets: names (decrypted here), versions, last
    /// update. No values.
    Ls {
        /// Project name, id or `vpr1.…` reference.
        project: String,
    },
    /// Delete a secret: every version, its grants and requests.
    Rm {
        /// Project name, id or `vpr1.…` reference.
        project: String,
        /// The secret's name.
        name: String,
    },
    /// List a secret's versions, oldest first.
    History {
        /// Project name, id or `vpr1.…` reference.
        project: String,
        /// The secret's name.
        name: String,
        /// Print every version's value too.
        #[arg(long)]
        show_values: bool,
    },
}

/// Runs one `vault secret` command.
pub(crate) async fn run(ctx: &mut Ctx, command: SecretCommand) -> CliResult<()> {
    match command {
        SecretCommand::Set {
            project,
            name,
            description,
            value_from_env,
        } => {
            let name = secret_name(&name)?;
            if let Some(desc) = &description {
                check_description(desc)?;
            }
            check_stdin_free(ctx, value_from_env.as_deref())?;
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let value = read_value(ctx, value_from_env.as_deref(), &name)?;
            // An update keeps the description unless a new one is given.
            let description = match description {
                Some(desc) => desc,
                None => match d.get_secret(id, name.as_str()).await {
                    Ok(current) => current.description,
                    Err(ClientError::NotFound(_)) => String::new(),
                    Err(e) => return Err(e.into()),
                },
            };
            let w = d
                .set_secret(id, name.as_str(), &value, &description)
                .await?;
            if ctx.json {
                ctx.print_json(&json!({
                    "project": id.to_string(),
                    "secret": w.secret.to_string(),
                    "name": name.as_str(),
                    "version": w.version,
                }));
            }
            let pname = project_name(&mut d, id).await;
            ctx.progress(if w.version == 1 {
                format!("Created {name} in {pname}.")
            } else {
                format!("Set {name} in {pname} (version {}).", w.version)
            });
            Ok(())
        }
        SecretCommand::Get { project, name } => {
            let name = secret_name(&name)?;
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let s = d
                .get_secret(id, name.as_str())
                .await
                .map_err(|e| not_found(e, &name, &project))?;
            if ctx.json {
                ctx.print_json(&json!({
                    "project": id.to_string(),
                    "secret": s.secret.to_string(),
                    "name": s.name.as_str(),
                    "value": s.value.expose_secret(),
                    "description": s.description,
                    "version": s.version,
                    "updated_at_ms": s.updated_at_ms,
                }));
            } else {
                let mut out = std::io::stdout().lock();
                let nl = if std::io::stdout().is_terminal() {
                    "\n"
                } else {
                    ""
                };
                write!(out, "{}{nl}", s.value.expose_secret())
                    .and_then(|()| out.flush())
                    .map_err(|e| CliError::new(exit::GENERAL, "io", e.to_string()))?;
            }
            Ok(())
        }
        SecretCommand::Ls { project } => {
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let list = d.list_secrets(id).await?;
            if ctx.json {
                ctx.print_json(&json!(
                    list.iter()
                        .map(|s| json!({
                            "secret": s.secret.to_string(),
                            "name": s.name.as_str(),
                            "description": s.description,
                            "version": s.version,
                            "rotate_pending": s.rotate_pending,
                            "created_at_ms": s.created_at_ms,
                            "updated_at_ms": s.updated_at_ms,
                            "uses": s.uses,
                            "last_used_at_ms": s.last_used_at_ms,
                        }))
                        .collect::<Vec<_>>()
                ));
                return Ok(());
            }
            if list.is_empty() {
                ctx.progress("No secrets yet: `vault secret set PROJECT NAME` adds one.");
                return Ok(());
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|s| {
                    vec![
                        s.name.to_string(),
                        format!("{}{}", s.version, if s.rotate_pending { "*" } else { "" }),
                        utc(s.updated_at_ms),
                        s.uses.to_string(),
                        utc_or_dash(s.last_used_at_ms),
                        cell(&s.description),
                    ]
                })
                .collect();
            term::table(
                &[
                    "NAME",
                    "VERSION",
                    "UPDATED",
                    "READS",
                    "LAST READ",
                    "DESCRIPTION",
                ],
                &rows,
            );
            if list.iter().any(|s| s.rotate_pending) {
                ctx.progress(format!(
                    "* its key awaits rotation (a service that could read it was revoked): run `vault project rotate {project}`"
                ));
            }
            Ok(())
        }
        SecretCommand::Rm { project, name } => {
            let name = secret_name(&name)?;
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let secret = d
                .delete_secret(id, name.as_str())
                .await
                .map_err(|e| not_found(e, &name, &project))?;
            if ctx.json {
                ctx.print_json(&json!({
                    "project": id.to_string(),
                    "secret": secret.to_string(),
                    "name": name.as_str(),
                    "deleted": true,
                }));
            }
            let pname = project_name(&mut d, id).await;
            ctx.progress(format!(
                "Deleted {name} from {pname} (every version, its grants and requests)."
            ));
            Ok(())
        }
        SecretCommand::History {
            project,
            name,
            show_values,
        } => {
            let name = secret_name(&name)?;
            let mut d = ctx.unlocked().await?;
            let id = project_id(&mut d, &project).await?;
            let versions = d
                .secret_history(id, name.as_str())
                .await
                .map_err(|e| not_found(e, &name, &project))?;
            if ctx.json {
                ctx.print_json(&json!(
                    versions
                        .iter()
                        .map(|v| {
                            let mut o = serde_json::Map::new();
                            o.insert("version".into(), json!(v.version));
                            o.insert("name".into(), json!(v.name.as_str()));
                            o.insert("description".into(), json!(v.description));
                            o.insert("created_at_ms".into(), json!(v.created_at_ms));
                            if show_values {
                                o.insert("value".into(), json!(v.value.expose_secret()));
                            }
                            serde_json::Value::Object(o)
                        })
                        .collect::<Vec<_>>()
                ));
                return Ok(());
            }
            let mut headers = vec!["VERSION", "WRITTEN", "DESCRIPTION"];
            if show_values {
                headers.push("VALUE");
            }
            let rows: Vec<Vec<String>> = versions
                .iter()
                .map(|v| {
                    let mut r = vec![
                        v.version.to_string(),
                        utc(v.created_at_ms),
                        cell(&v.description),
                    ];
                    if show_values {
                        r.push(cell(v.value.expose_secret()));
                    }
                    r
                })
                .collect();
            term::table(&headers, &rows);
            Ok(())
        }
    }
}

/// A missing secret, said with its name, and the next step.
fn not_found(e: ClientError, name: &SecretName, project: &str) -> CliError {
    let project = cell(project);
    if matches!(e, ClientError::NotFound(_)) {
        return CliError::new(
            exit::NOT_FOUND,
            "not_found",
            format!("no secret {name} in project {project}"),
        )
        .hint(format!(
            "`vault secret ls {project}` lists the project's secrets"
        ));
    }
    CliError::from(e)
}
