//! Command-line syntax (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Environment:
  VAULT_SERVER      server URL (as --server)
  VAULT_DIR         device directory (as --dir)
  VAULT_SESSION     session key printed by `vault unlock` (unlocks without the password)
  VAULT_PASSWORD    the account password, for scripts (prefer --password-stdin)
  VAULT_NEW_PASSWORD  the new password for `change-password`, for scripts
  VAULT_KDF_POLICY  KDF parameter policy: default | permissive_test_only (tests only)
  VAULT_SERVICE_TOKEN, VAULT_SERVICE_TOKEN_FILE
                    a service's token (or a 0600 file holding it), for
                    `vault run` and `vault inject`

Secret values (--password, --number, --code, --document-number, --private-key,
--notes, --env VALUE, --field VALUE) given as `-` are read from standard input,
so they stay out of the process list and shell history. `vault secret set` and
`vault stubs fill` read the value from standard input (or ask without echo on a
terminal), or from the variable named by --value-from-env; never from argv.

Exit codes:
  0 ok, 1 error, 2 usage, 3 not logged in / locked / session ended,
  4 wrong password, 5 server unreachable, 6 refused by the server,
  7 server error, 8 not found or ambiguous, 9 security check failed.
  `vault run` exits with the program's own code (126/127: it could not start).";

/// `vault`: a zero-knowledge secrets manager for the terminal and scripts.
#[derive(Debug, Parser)]
#[command(name = "vault", version, about, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// Server URL (https://…; plain http only to localhost unless --allow-http).
    #[arg(long, env = "VAULT_SERVER", global = true, value_name = "URL")]
    pub server: Option<String>,
    /// This device's directory (its local encrypted replica).
    #[arg(long, env = "VAULT_DIR", global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Machine-readable output on stdout (errors as JSON on stderr).
    #[arg(long, global = true)]
    pub json: bool,
    /// Read the account password from the first line of standard input.
    #[arg(long, global = true)]
    pub password_stdin: bool,
    /// No progress messages on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// KDF policy (floor and ceiling of the server's parameters).
    #[arg(
        long,
        env = "VAULT_KDF_POLICY",
        global = true,
        default_value = "default",
        hide = true
    )]
    pub kdf_policy: String,
    /// Allow plain http:// to a remote server (tokens would travel in clear).
    #[arg(long, global = true)]
    pub allow_http: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Command {
    /// Create an account, log this device in and create a "Personal" vault.
    Register {
        /// The account identifier (e.g. an email address).
        identifier: String,
        /// KDF strength: default, constrained, sensitive (insecure-test-only for tests).
        #[arg(long, default_value = "default")]
        kdf: String,
    },
    /// Log this device in (and unlock it; prints `export VAULT_SESSION=…`).
    Login {
        /// The account identifier.
        identifier: String,
    },
    /// Unlock with the password (offline) and print `export VAULT_SESSION=…`.
    Unlock {
        /// Print only the session key.
        #[arg(long)]
        raw: bool,
    },
    /// Forget the session key: VAULT_SESSION stops working.
    Lock,
    /// Log this device out and wipe its local data.
    Logout {
        /// End every session of the account, on every device.
        #[arg(long)]
        all: bool,
    },
    /// Show the account, server, lock state and queued edits.
    Status,
    /// Pull changes, resolve conflicts (keeping both versions), push edits.
    Sync,
    /// Stay connected and sync whenever something changes (Ctrl-C to stop).
    Watch,
    /// List vaults.
    Vaults,
    /// Create a vault.
    CreateVault {
        /// Its name.
        name: String,
        /// A description.
        #[arg(long)]
        description: Option<String>,
    },
    /// List items.
    Ls {
        /// Only this vault (name or id).
        #[arg(long)]
        vault: Option<String>,
        /// Only this kind.
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
        /// Only titles or subtitles containing this text.
        search: Option<String>,
    },
    /// Show an item, or one field of it (`--field password`) for scripts.
    Get {
        /// Item title, id or id prefix.
        item: String,
        /// Print only this field's value (password, username, uri, totp,
        /// notes, number, code, private_key, an API key's variable name, a
        /// custom field's name, …).
        #[arg(long, short)]
        field: Option<String>,
        /// Look only in this vault.
        #[arg(long)]
        vault: Option<String>,
        /// Show secret fields in the human-readable view.
        #[arg(long)]
        reveal: bool,
    },
    /// Add an item.
    Add {
        /// The item type and its fields.
        #[command(subcommand)]
        kind: AddKind,
    },
    /// Change fields of an item (only the fields given change).
    Edit {
        /// Item title, id or id prefix.
        item: String,
        /// Look only in this vault.
        #[arg(long)]
        vault: Option<String>,
        /// New title.
        #[arg(long)]
        title: Option<String>,
        /// The fields to change.
        #[command(flatten)]
        fields: EditFields,
    },
    /// Delete an item.
    Rm {
        /// Item title, id or id prefix.
        item: String,
        /// Look only in this vault.
        #[arg(long)]
        vault: Option<String>,
    },
    /// Share a vault with another user (after comparing their fingerprint).
    Share {
        /// Vault name or id.
        vault: String,
        /// The user's identifier.
        identifier: String,
        /// Their role.
        #[arg(long, value_enum, default_value = "viewer")]
        role: RoleArg,
        /// The fingerprint they read out to you (`vault fingerprint` on their
        /// side); the share is refused if the directory's differs.
        #[arg(long)]
        fingerprint: Option<String>,
        /// Share without comparing fingerprints (not recommended).
        #[arg(long)]
        yes: bool,
    },
    /// Remove a user from a vault and rotate the vault key.
    Unshare {
        /// Vault name or id.
        vault: String,
        /// The user's identifier.
        identifier: String,
    },
    /// Rotate a vault's key (after removing a member, if `unshare` could not).
    RotateKey {
        /// Vault name or id.
        vault: String,
    },
    /// List a vault's members.
    Members {
        /// Vault name or id.
        vault: String,
    },
    /// Show your identity fingerprint, or another user's.
    Fingerprint {
        /// Another user's identifier.
        identifier: Option<String>,
    },
    /// Machine secrets: projects (vaults whose items are named secrets that
    /// services read).
    Project {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd::projects::ProjectCommand,
    },
    /// Machine secrets: a project's secrets (set, get, ls, history, rm).
    Secret {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd::secrets::SecretCommand,
    },
    /// Machine secrets: the services of a project (issue tokens, approve,
    /// deny, revoke, allowlists).
    Service {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd::services::ServiceCommand,
    },
    /// Machine secrets, as a service: run a program with secrets in its
    /// environment (`vault run --project P -- CMD ARGS…`), resolving
    /// `vault://PROJECT/NAME` references in the environment and in
    /// --env-file. Authenticates with the service token
    /// (VAULT_SERVICE_TOKEN, VAULT_SERVICE_TOKEN_FILE or --token-file);
    /// nothing is written to disk.
    Run {
        /// What to resolve, and the program.
        #[command(flatten)]
        args: crate::cmd::run::RunArgs,
    },
    /// Machine secrets, as a service: render a file template's
    /// `{{ vault://PROJECT/NAME }}` placeholders into a file written 0600
    /// with an atomic rename.
    Inject {
        /// The template and the output.
        #[command(flatten)]
        args: crate::cmd::run::InjectArgs,
    },
    /// Machine secrets: services asking for secrets they are not granted.
    Requests {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd::requests::RequestsCommand,
    },
    /// Machine secrets: names services asked for that do not exist.
    Stubs {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd::requests::StubsCommand,
    },
    /// Machine secrets tooling: `secrets.schema.json` files.
    Secrets {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd::schema::SecretsCommand,
    },
    /// Emergency access: a trusted contact who may ask for chosen vaults,
    /// released after a waiting period unless you cancel.
    Emergency {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd::emergency::EmergencyCommand,
    },
    /// Change the account password (other devices must log in again).
    ChangePassword {
        /// New KDF strength (default: keep the current parameters).
        #[arg(long)]
        kdf: Option<String>,
    },
    /// Make a recovery kit: 24 words that reset a forgotten password
    /// (shown once). Replaces any older kit.
    RecoveryKit {
        /// Split the kit into Shamir shares, e.g. 2/3 (any 2 of 3 recover it).
        #[arg(long, value_name = "THRESHOLD/SHARES")]
        split: Option<String>,
        /// Remove the kit instead (its words stop working).
        #[arg(long, conflicts_with_all = ["split", "status"])]
        remove: bool,
        /// Only say whether a kit is set up.
        #[arg(long, conflicts_with = "split")]
        status: bool,
    },
    /// Reset a forgotten password with the recovery kit (words or shares
    /// from VAULT_RECOVERY, standard input or the terminal; the new
    /// password from VAULT_NEW_PASSWORD or the terminal).
    Recover {
        /// The account identifier.
        identifier: String,
        /// New KDF strength (default: keep the current parameters).
        #[arg(long)]
        kdf: Option<String>,
    },
    /// Replace the account key after a suspected compromise: every vault key
    /// is re-wrapped, other sessions end, a recovery kit is renewed.
    RotateAccountKey {
        /// Make a new recovery kit even if there was none.
        #[arg(long)]
        recovery_kit: bool,
    },
    /// Print a random password.
    Generate {
        /// Length.
        #[arg(long, default_value_t = 24)]
        length: usize,
        /// Letters and digits only.
        #[arg(long)]
        no_symbols: bool,
    },
}

/// Item kinds for filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Logins.
    Login,
    /// Secure notes.
    Note,
    /// API keys.
    ApiKey,
    /// Payment cards.
    Card,
    /// Identities.
    Identity,
    /// SSH keys.
    SshKey,
}

/// Roles a vault can be shared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Read only.
    Viewer,
    /// Read and write items.
    Editor,
}

/// `vault add <type>`.
#[derive(Debug, Subcommand)]
pub enum AddKind {
    /// A website or app login.
    Login {
        /// Fields every item has.
        #[command(flatten)]
        common: AddCommon,
        /// Login fields.
        #[command(flatten)]
        login: LoginArgs,
    },
    /// A secure note (the text goes in --notes).
    Note {
        /// Fields every item has.
        #[command(flatten)]
        common: AddCommon,
    },
    /// An API key or a set of KEY=VALUE secrets.
    ApiKey {
        /// Fields every item has.
        #[command(flatten)]
        common: AddCommon,
        /// The variables.
        #[command(flatten)]
        env: ApiKeyArgs,
    },
    /// A payment card.
    Card {
        /// Fields every item has.
        #[command(flatten)]
        common: AddCommon,
        /// Card fields.
        #[command(flatten)]
        card: CardArgs,
    },
    /// A person's identity details.
    Identity {
        /// Fields every item has.
        #[command(flatten)]
        common: AddCommon,
        /// Identity fields.
        #[command(flatten)]
        identity: IdentityArgs,
    },
    /// An SSH key pair.
    SshKey {
        /// Fields every item has.
        #[command(flatten)]
        common: AddCommon,
        /// Key fields.
        #[command(flatten)]
        ssh: SshArgs,
    },
}

/// Title, vault and the fields every item has (for `add`).
#[derive(Debug, Args)]
pub struct AddCommon {
    /// The item's title.
    #[arg(long)]
    pub title: String,
    /// The vault (name or id; default: your "Personal" vault).
    #[arg(long)]
    pub vault: Option<String>,
    /// Fields every item has.
    #[command(flatten)]
    pub meta: MetaArgs,
}

/// Fields every item has.
#[derive(Debug, Args, Default)]
pub struct MetaArgs {
    /// Notes (`-` reads them from stdin).
    #[arg(long, allow_hyphen_values = true)]
    pub notes: Option<String>,
    /// A tag (repeat for several; replaces the tags on edit).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Pin it (true/false).
    #[arg(long)]
    pub favorite: Option<bool>,
    /// A custom field NAME=VALUE (repeat; sets or replaces on edit).
    #[arg(long = "field", value_name = "NAME=VALUE", allow_hyphen_values = true)]
    pub fields: Vec<String>,
    /// A hidden custom field NAME=VALUE (masked in apps).
    #[arg(
        long = "hidden-field",
        value_name = "NAME=VALUE",
        allow_hyphen_values = true
    )]
    pub hidden_fields: Vec<String>,
    /// Remove a custom field (edit).
    #[arg(long = "remove-field", value_name = "NAME")]
    pub remove_fields: Vec<String>,
}

/// Login fields.
#[derive(Debug, Args, Default)]
pub struct LoginArgs {
    /// User name or email.
    #[arg(long)]
    pub username: Option<String>,
    /// The password (`-` reads it from stdin).
    #[arg(long, conflicts_with = "generate_password", allow_hyphen_values = true)]
    pub password: Option<String>,
    /// Generate a random password of this length.
    #[arg(long, value_name = "LENGTH", num_args = 0..=1, default_missing_value = "24")]
    pub generate_password: Option<usize>,
    /// A URI (repeat; replaces the URIs on edit).
    #[arg(long = "uri")]
    pub uris: Vec<String>,
    /// TOTP secret (otpauth:// URI or base32; `-` reads stdin).
    #[arg(long, allow_hyphen_values = true)]
    pub totp: Option<String>,
}

/// API-key fields.
#[derive(Debug, Args, Default)]
pub struct ApiKeyArgs {
    /// A variable KEY=VALUE (repeat; sets or replaces on edit; VALUE `-` reads stdin).
    #[arg(long = "env", value_name = "KEY=VALUE", allow_hyphen_values = true)]
    pub env: Vec<String>,
    /// Read variables from a .env file (`-`: stdin).
    #[arg(long, value_name = "FILE")]
    pub dotenv: Option<PathBuf>,
    /// Remove a variable (edit).
    #[arg(long = "unset-env", value_name = "KEY")]
    pub unset_env: Vec<String>,
}

/// Card fields.
#[derive(Debug, Args, Default)]
pub struct CardArgs {
    /// Name on the card.
    #[arg(long)]
    pub cardholder: Option<String>,
    /// Brand.
    #[arg(long)]
    pub brand: Option<String>,
    /// Card number (`-` reads stdin).
    #[arg(long, allow_hyphen_values = true)]
    pub number: Option<String>,
    /// Expiry month.
    #[arg(long)]
    pub exp_month: Option<String>,
    /// Expiry year.
    #[arg(long)]
    pub exp_year: Option<String>,
    /// Security code (`-` reads stdin).
    #[arg(long, allow_hyphen_values = true)]
    pub code: Option<String>,
}

/// Identity fields.
#[derive(Debug, Args, Default)]
pub struct IdentityArgs {
    /// Full name.
    #[arg(long)]
    pub full_name: Option<String>,
    /// Email.
    #[arg(long)]
    pub email: Option<String>,
    /// Phone.
    #[arg(long)]
    pub phone: Option<String>,
    /// Postal address.
    #[arg(long)]
    pub address: Option<String>,
    /// Passport, ID card or licence number (`-` reads stdin).
    #[arg(long, allow_hyphen_values = true)]
    pub document_number: Option<String>,
}

/// SSH-key fields.
#[derive(Debug, Args, Default)]
pub struct SshArgs {
    /// Private key text (`-` reads stdin).
    #[arg(long, conflicts_with = "private_key_file", allow_hyphen_values = true)]
    pub private_key: Option<String>,
    /// Read the private key from a file.
    #[arg(long, value_name = "FILE")]
    pub private_key_file: Option<PathBuf>,
    /// Public key (authorized_keys line).
    #[arg(long)]
    pub public_key: Option<String>,
    /// Key fingerprint as ssh-keygen shows it.
    #[arg(long)]
    pub key_fingerprint: Option<String>,
}

/// Every field `edit` can change.
#[derive(Debug, Args, Default)]
pub struct EditFields {
    /// Fields every item has.
    #[command(flatten)]
    pub meta: MetaArgs,
    /// Login fields.
    #[command(flatten)]
    pub login: LoginArgs,
    /// API-key fields.
    #[command(flatten)]
    pub api_key: ApiKeyArgs,
    /// Card fields.
    #[command(flatten)]
    pub card: CardArgs,
    /// Identity fields.
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// SSH-key fields.
    #[command(flatten)]
    pub ssh: SshArgs,
}
