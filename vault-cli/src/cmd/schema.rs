//! `vault secrets schema …`: the `secrets.schema.json` files services
//! declare their secrets in (docs/secrets.md). Local only: no server, no
//! account.

use crate::ctx::Ctx;
use crate::error::{CliError, CliResult, exit};
use clap::Subcommand;
use std::path::PathBuf;
use vault_core::machine::schema::SecretsSchema;

/// `vault secrets …`
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Secrets schema files: check, combine, generate TypeScript.
    Schema {
        /// What to do.
        #[command(subcommand)]
        command: SchemaCommand,
    },
}

/// `vault secrets schema …`
#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Check a schema file; print its secrets.
    Check {
        /// The schema file.
        file: PathBuf,
    },
    /// Combine the schemas of a service and its dependencies into one
    /// (printed on stdout): every name, required if any requires it.
    Combine {
        /// Schema files, in order (descriptions are joined in this order).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Title of the combined schema.
        #[arg(long)]
        title: Option<String>,
    },
    /// TypeScript declarations for a schema-typed Node client (stdout).
    Typescript {
        /// The schema file.
        file: PathBuf,
        /// The interface name.
        #[arg(long, default_value = "Secrets")]
        name: String,
    },
}

fn load(path: &PathBuf) -> CliResult<SecretsSchema> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(
            exit::NOT_FOUND,
            "not_found",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    SecretsSchema::parse(&text)
        .map_err(|e| CliError::new(exit::USAGE, "malformed", format!("{}: {e}", path.display())))
}

/// Runs one `vault secrets` command.
pub async fn run(ctx: &mut Ctx, command: SecretsCommand) -> CliResult<()> {
    let SecretsCommand::Schema { command } = command;
    match command {
        SchemaCommand::Check { file } => {
            let s = load(&file)?;
            if ctx.json {
                let list: Vec<_> = s
                    .secrets
                    .iter()
                    .map(|(n, e)| serde_json::json!({"name": n, "description": e.description, "required": e.required}))
                    .collect();
                ctx.print_json(&serde_json::json!({ "title": s.title, "secrets": list }));
            } else {
                let rows: Vec<Vec<String>> = s
                    .secrets
                    .iter()
                    .map(|(n, e)| {
                        vec![
                            n.clone(),
                            if e.required { "required" } else { "optional" }.to_owned(),
                            e.description.clone(),
                        ]
                    })
                    .collect();
                crate::term::table(&["NAME", "", "DESCRIPTION"], &rows);
            }
        }
        SchemaCommand::Combine { files, title } => {
            let schemas = files.iter().map(load).collect::<CliResult<Vec<_>>>()?;
            print!("{}", SecretsSchema::combine(title, &schemas).to_json());
        }
        SchemaCommand::Typescript { file, name } => {
            print!("{}", load(&file)?.to_typescript(&name));
        }
    }
    Ok(())
}
