//! The `vault` command: a zero-knowledge secrets manager for the terminal
//! and scripts, modeled on the Bitwarden (`bw`) and 1Password (`op`) CLIs.
//!
//! ```text
//! vault --server https://vault.example.com register alice@example.com
//! eval "$(vault unlock)"                       # VAULT_SESSION for this shell
//! vault add login --title GitHub --username alice --generate-password --uri https://github.com
//! vault get GitHub --field password            # one value, for scripts
//! vault share Team bob@example.com --role editor --fingerprint "12345 67890 …"
//! vault --dir ~/.vault-laptop login alice@example.com && vault --dir ~/.vault-laptop sync
//! ```
//!
//! Every device is a directory (`--dir`/`VAULT_DIR`) holding an encrypted
//! replica; everything works offline except what needs the server (login,
//! sync, sharing). Passwords come from the terminal (no echo),
//! `--password-stdin`, or `VAULT_PASSWORD`; messages go to stderr, results
//! to stdout (`--json` for machines). Exit codes: see `vault --help`.

mod args;
mod cmd;
mod ctx;
mod error;
mod items;
mod term;

use args::{Cli, Command};
use clap::Parser;
use ctx::{Ctx, default_dir};
use error::{CliError, CliResult, exit};
use items::Input;
use serde_json::json;
use vault_core::KdfPolicy;
use vault_sync::client::{ClientOptions, HttpOptions};

/// Builds the context from the global flags and runs one command.
async fn run(cli: Cli) -> CliResult<()> {
    let kdf_policy = KdfPolicy::named(&cli.kdf_policy).map_err(|_| {
        CliError::usage(format!(
            "unknown KDF policy {} (use {})",
            cli.kdf_policy,
            KdfPolicy::NAMES.join(", ")
        ))
    })?;
    let mut ctx = Ctx {
        server: cli.server,
        dir: cli.dir.unwrap_or_else(default_dir),
        json: cli.json,
        quiet: cli.quiet,
        password_stdin: cli.password_stdin,
        options: ClientOptions {
            kdf_policy,
            http: HttpOptions {
                allow_insecure_http: cli.allow_http,
                ..HttpOptions::default()
            },
            ..ClientOptions::default()
        },
        input: Input::default(),
        password: None,
    };
    match cli.command {
        Command::Register { identifier, kdf } => {
            cmd::account::register(&mut ctx, identifier, kdf).await
        }
        Command::Login { identifier } => cmd::account::login(&mut ctx, identifier).await,
        Command::Unlock { raw } => cmd::account::unlock(&mut ctx, raw).await,
        Command::Lock => cmd::account::lock(&mut ctx).await,
        Command::Logout { all } => cmd::account::logout(&mut ctx, all).await,
        Command::Status => cmd::account::status(&mut ctx).await,
        Command::Sync => cmd::sync::sync(&mut ctx).await,
        Command::Watch => cmd::sync::watch(&mut ctx).await,
        Command::Vaults => cmd::vaults::vaults(&mut ctx).await,
        Command::CreateVault { name, description } => {
            cmd::vaults::create_vault(&mut ctx, name, description).await
        }
        Command::Ls {
            vault,
            kind,
            search,
        } => cmd::items::ls(&mut ctx, vault, kind, search).await,
        Command::Get {
            item,
            field,
            vault,
            reveal,
        } => cmd::items::get(&mut ctx, item, field, vault, reveal).await,
        Command::Add { kind } => cmd::items::add(&mut ctx, kind).await,
        Command::Edit {
            item,
            vault,
            title,
            fields,
        } => cmd::items::edit(&mut ctx, item, vault, title, fields).await,
        Command::Rm { item, vault } => cmd::items::rm(&mut ctx, item, vault).await,
        Command::Share {
            vault,
            identifier,
            role,
            fingerprint,
            yes,
        } => cmd::vaults::share(&mut ctx, vault, identifier, role, fingerprint, yes).await,
        Command::Unshare { vault, identifier } => {
            cmd::vaults::unshare(&mut ctx, vault, identifier).await
        }
        Command::RotateKey { vault } => cmd::vaults::rotate_key(&mut ctx, vault).await,
        Command::Members { vault } => cmd::vaults::members(&mut ctx, vault).await,
        Command::Fingerprint { identifier } => {
            cmd::account::fingerprint(&mut ctx, identifier).await
        }
        Command::ChangePassword { kdf } => cmd::account::change_password(&mut ctx, kdf).await,
        Command::Generate { length, no_symbols } => {
            cmd::items::generate(&mut ctx, length, no_symbols).await
        }
        Command::Emergency { command } => cmd::emergency::run(&mut ctx, command).await,
        Command::Secrets { command } => cmd::schema::run(&mut ctx, command).await,
        Command::Project { command } => cmd::projects::run(&mut ctx, command).await,
        Command::Secret { command } => cmd::secrets::run(&mut ctx, command).await,
        Command::Service { command } => cmd::services::run(&mut ctx, command).await,
        Command::Run { args } => cmd::run::run(&ctx, args).await,
        Command::Inject { args } => cmd::run::inject(&ctx, args).await,
        Command::Requests { command } => cmd::requests::run_requests(&mut ctx, command).await,
        Command::Stubs { command } => cmd::requests::run_stubs(&mut ctx, command).await,
        Command::RecoveryKit {
            split,
            remove,
            status,
        } => cmd::lifecycle::recovery_kit(&mut ctx, split, remove, status).await,
        Command::Recover { identifier, kdf } => {
            cmd::lifecycle::recover(&mut ctx, identifier, kdf).await
        }
        Command::RotateAccountKey { recovery_kit } => {
            cmd::lifecycle::rotate_account_key(&mut ctx, recovery_kit).await
        }
    }
}

fn main() {
    let cli = Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            std::process::exit(exit::GENERAL);
        }
    };
    let result = runtime.block_on(run(cli));
    drop(runtime);
    if let Err(e) = result {
        if json {
            eprintln!(
                "{}",
                json!({ "error": e.code, "message": e.message, "hint": e.hint, "exit": e.exit })
            );
        } else {
            eprintln!("error: {}", e.message);
            if let Some(h) = &e.hint {
                eprintln!("hint: {h}");
            }
        }
        std::process::exit(e.exit);
    }
}
