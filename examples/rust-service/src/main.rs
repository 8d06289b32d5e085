//! An example service reading its secrets from Vault, two ways:
//!
//! - **with its own token** (`VAULT_SERVER` and `VAULT_SERVICE_TOKEN_FILE`
//!   or `VAULT_SERVICE_TOKEN` set): `SecretsClient::from_env()` and
//!   `get_all()` into a struct, decrypted in this process;
//! - **under `vault run`** (no token in its environment: `vault run`
//!   removes it): the secrets are environment variables, checked against
//!   `secrets.schema.json`.
//!
//! It prints what it got without ever printing a value. See README.md.

use serde::Deserialize;
use std::process::ExitCode;
use vault_secrets::schema::SecretsSchema;
use vault_secrets::{ENV_TOKEN, ENV_TOKEN_FILE, SecretString, SecretsClient};

/// What this service declares it needs (also used by `vault secrets schema`).
const SCHEMA: &str = include_str!("../secrets.schema.json");

/// The secrets, one field per name: `database_url` is the secret
/// `DATABASE_URL`; an `Option` may be missing (or not granted).
#[derive(Deserialize)]
struct Secrets {
    database_url: SecretString,
    stripe_key: Option<String>,
}

/// From the server, with this service's own token.
async fn from_vault() -> Result<Secrets, String> {
    let client = SecretsClient::from_env().await.map_err(|e| e.to_string())?;
    client.get_all().await.map_err(|e| e.to_string())
}

/// From the environment `vault run` prepared.
fn from_environment() -> Result<Secrets, String> {
    let schema = SecretsSchema::parse(SCHEMA).map_err(|e| e.to_string())?;
    for (name, entry) in &schema.secrets {
        if entry.required && std::env::var_os(name).is_none() {
            return Err(format!(
                "{name} is not set ({}): run me with `vault run --project PROJECT -- …`, or set VAULT_SERVICE_TOKEN_FILE",
                entry.description
            ));
        }
    }
    let var = |k: &str| std::env::var(k).ok();
    Ok(Secrets {
        database_url: SecretString::from(var("DATABASE_URL").unwrap_or_default()),
        stripe_key: var("STRIPE_KEY"),
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let own_token = [ENV_TOKEN, ENV_TOKEN_FILE]
        .iter()
        .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()));
    let (how, loaded) = if own_token {
        ("its own token", from_vault().await)
    } else {
        ("the environment (vault run)", from_environment())
    };
    let secrets = match loaded {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rust-service: cannot read my secrets: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("rust-service: secrets from {how}");
    println!(
        "  DATABASE_URL: {} bytes (not shown)",
        secrets.database_url.expose_secret().len()
    );
    match &secrets.stripe_key {
        Some(k) => println!("  STRIPE_KEY: {} bytes (not shown)", k.len()),
        None => println!("  STRIPE_KEY: missing (payments off)"),
    }
    ExitCode::SUCCESS
}
