//! The service side of machine secrets (docs/secrets.md "Registering a
//! service" and "Running programs"): `vault service register`, `vault run`
//! and `vault inject`. They act as a *service*, with its `vst1.…` token,
//! through vault-secrets: the secrets are decrypted in this process, and
//! there is no account, no password, no Argon2 and no device directory on
//! this path.
//!
//! The project part of a `vault://PROJECT/NAME` reference is the project's
//! id (or `vpr1.…` reference), or its name. A service token belongs to one
//! project, which the token knows by id only (names are sealed: the server
//! cannot tell them), so: an id must be the token's project; a name is
//! taken to be the token's project, and must be the `--project` name when
//! one is given; without one, every reference must use the same name.

use super::projects::cell;
use crate::ctx::*;
use clap::Args;
use std::ffi::{OsStr, OsString};
use std::path::Path;
use vault_core::SecretString;
use vault_core::machine::template::{self, EnvTemplate, EnvValue, SecretRef};
use vault_core::machine::{ProjectRef, SecretName, ServiceToken};
use vault_secrets::{ConfigError, SecretsClient, SecretsError};
use vault_sync::grpc::GrpcCode;

/// Largest template read (`--env-file`, `vault inject -i`).
const MAX_TEMPLATE: u64 = 4 << 20;
/// Exit code when the program cannot be started (as shells use).
const EXIT_NOT_FOUND: i32 = 127;
/// Exit code when the program exists but cannot be run.
const EXIT_CANNOT_RUN: i32 = 126;

/// Where the service token comes from.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// A file holding the service token (mode 0600). Default: the token in
    /// VAULT_SERVICE_TOKEN, or the file VAULT_SERVICE_TOKEN_FILE names.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
}

/// `vault run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Also put every secret the token may read in the environment (those
    /// whose names are variable names); and the project that `vault://`
    /// references name. Its id, `vpr1.…` reference, or name: an id must be
    /// the token's project.
    #[arg(long)]
    pub project: Option<String>,
    /// A .env template: NAME=value lines whose `vault://PROJECT/NAME`
    /// values are resolved (the others are copied).
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// The service token.
    #[command(flatten)]
    pub token: TokenArgs,
    /// Start the program even if some secrets cannot be read (their
    /// variables are left out).
    #[arg(long)]
    pub allow_missing: bool,
    /// The program and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// `vault inject`.
#[derive(Debug, Args)]
pub struct InjectArgs {
    /// The template: text with `{{ vault://PROJECT/NAME }}` placeholders.
    #[arg(short = 'i', long = "in-file", value_name = "TEMPLATE")]
    pub input: PathBuf,
    /// The file to write (mode 0600, replaced atomically).
    #[arg(short = 'o', long = "out-file", value_name = "FILE")]
    pub output: PathBuf,
    /// The project the placeholders name (id, `vpr1.…` reference or
    /// name), checked against the token's.
    #[arg(long)]
    pub project: Option<String>,
    /// The service token.
    #[command(flatten)]
    pub token: TokenArgs,
}

/// `vault service register` (its arguments; the name is checked by the
/// caller).
pub(crate) struct Register {
    pub(crate) project: String,
    pub(crate) name: String,
    pub(crate) version: Option<String>,
    pub(crate) token_file: PathBuf,
    pub(crate) force: bool,
}

// ------------------------------------------------------------ errors

/// A vault-secrets error as the CLI reports it (the messages hold no
/// value, name or token).
fn secrets_error(e: SecretsError) -> CliError {
    let message = e.to_string();
    let (exit, code, hint) = match &e {
        SecretsError::Unauthenticated => (
            exit::NEEDS_LOGIN,
            "unauthenticated",
            Some(
                "the token is unknown, revoked or expired: register a new one (`vault service register --force`) or ask an admin for one",
            ),
        ),
        SecretsError::PendingApproval => (
            exit::REFUSED,
            "pending_approval",
            Some(
                "a project admin compares the fingerprint `vault service register` printed, then runs `vault service approve`",
            ),
        ),
        SecretsError::Denied => (exit::REFUSED, "denied", None),
        SecretsError::NotAllowedFromAddress => (
            exit::REFUSED,
            "not_allowed_from_address",
            Some(
                "`vault service allowlist` and `vault project allowlist` decide where it may connect from",
            ),
        ),
        SecretsError::NotFound => (exit::NOT_FOUND, "secret_not_found", None),
        SecretsError::AccessRequested => (exit::REFUSED, "access_requested", None),
        SecretsError::AccessDenied => (exit::REFUSED, "access_denied", None),
        SecretsError::RateLimited { .. } => (exit::REFUSED, "rate_limited", None),
        SecretsError::TooManyPending => (exit::REFUSED, "too_many_pending", None),
        SecretsError::AlreadyRegistered => (exit::REFUSED, "already_registered", None),
        SecretsError::ProjectNotFound => (
            exit::NOT_FOUND,
            "project_not_found",
            Some("is this the server the project was created on?"),
        ),
        SecretsError::Unavailable { .. } => (exit::SERVER, "unavailable", None),
        e @ SecretsError::Rejected { .. } if e.rejected_code() == Some(GrpcCode::Internal) => {
            (exit::SERVER, "internal", None)
        }
        SecretsError::Rejected { .. } => (exit::REFUSED, "rejected", None),
        SecretsError::Timeout | SecretsError::Transport { .. } => (
            exit::NETWORK,
            "network",
            Some("check the server address (--server / VAULT_SERVER) and your connection"),
        ),
        SecretsError::Config(c) => return config_error(c),
        SecretsError::InvalidArgument(_) => (exit::USAGE, "usage", None),
        SecretsError::Crypto(_) => (exit::SECURITY, "crypto", None),
        SecretsError::Protocol(_) => (exit::SERVER, "protocol", None),
        _ => (exit::GENERAL, "error", None),
    };
    let err = CliError::new(exit, code, message);
    match hint {
        Some(h) => err.hint(h),
        None => err,
    }
}

fn config_error(e: &ConfigError) -> CliError {
    let message = e.to_string();
    match e {
        ConfigError::Read { .. } => CliError::new(exit::GENERAL, "io", message),
        ConfigError::InvalidToken => CliError::new(exit::USAGE, "invalid_token", message).hint(
            "a service token is one line starting with vst1. (from `vault service register` or `vault service create-token`)",
        ),
        ConfigError::TokenFilePermissions { .. } => {
            CliError::new(exit::SECURITY, "token_file_permissions", message)
        }
        ConfigError::InsecureHttp => {
            CliError::new(exit::USAGE, "insecure_http", message).hint(
                "--allow-http (or VAULT_ALLOW_HTTP=1) allows it behind a network you trust",
            )
        }
        _ => CliError::usage(message),
    }
}

/// Adds `more` to the error's hint.
fn add_hint(e: CliError, more: String) -> CliError {
    let hint = match &e.hint {
        Some(h) => format!("{h}; {more}"),
        None => more,
    };
    e.hint(hint)
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> CliError {
    CliError::new(
        exit::GENERAL,
        "io",
        format!("{what} {}: {e}", path.display()),
    )
}

// ------------------------------------------------------------ connecting

/// The service token: `--token-file`, else `VAULT_SERVICE_TOKEN` or
/// `VAULT_SERVICE_TOKEN_FILE` (not both).
fn load_token(args: &TokenArgs) -> CliResult<ServiceToken> {
    if let Some(path) = &args.token_file {
        return vault_secrets::read_token_file(path).map_err(|e| config_error(&e));
    }
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let token = match (
        get(vault_secrets::ENV_TOKEN).map(Zeroizing::new),
        get(vault_secrets::ENV_TOKEN_FILE),
    ) {
        (Some(_), Some(_)) => Err(ConfigError::AmbiguousToken),
        (Some(text), None) => vault_secrets::parse_token(&text),
        (None, Some(path)) => vault_secrets::read_token_file(Path::new(&path)),
        (None, None) => {
            return Err(CliError::usage(
                "no service token: set VAULT_SERVICE_TOKEN or VAULT_SERVICE_TOKEN_FILE, or pass --token-file PATH",
            )
            .hint("a service gets one with `vault service register` (or from an admin's `vault service create-token`)"));
        }
    };
    token.map_err(|e| config_error(&e))
}

/// The server URL (checked) and the client's options: `--allow-http` or
/// `VAULT_ALLOW_HTTP=1`, extra CAs from `VAULT_CA_FILE`.
fn client_options(ctx: &Ctx) -> CliResult<(String, vault_secrets::ClientOptions)> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let allow_http = ctx.options.http.allow_insecure_http
        || env(vault_secrets::ENV_ALLOW_HTTP)
            .is_some_and(|v| matches!(v.trim(), "1" | "true" | "yes" | "on"));
    let url = ctx
        .server
        .as_deref()
        .ok_or_else(|| CliError::usage("no server: pass --server URL or set VAULT_SERVER"))?;
    let url = vault_secrets::check_server_url(url, allow_http).map_err(|e| config_error(&e))?;
    let mut options = vault_secrets::ClientOptions {
        allow_http,
        ..vault_secrets::ClientOptions::default()
    };
    if let Some(path) = env(vault_secrets::ENV_CA_FILE) {
        let path = PathBuf::from(path);
        options.ca_pem =
            Some(std::fs::read(&path).map_err(|e| io_error("cannot read the CA file", &path, &e))?);
    }
    Ok((url, options))
}

async fn connect(ctx: &Ctx, token: ServiceToken) -> CliResult<SecretsClient> {
    let (url, options) = client_options(ctx)?;
    SecretsClient::connect_with(&url, token, options)
        .await
        .map_err(secrets_error)
}

// ------------------------------------------------------------ projects

/// Which project the references mean: the token's, known by id, and by
/// the one name they (or `--project`) use for it.
struct Scope {
    project: VaultId,
    signing_key: [u8; 32],
    /// The name the project goes by here, and where it came from.
    name: Option<(String, String)>,
}

impl Scope {
    fn new(token: &ServiceToken, flag: Option<&str>) -> CliResult<Scope> {
        let mut scope = Scope {
            project: token.project(),
            signing_key: *token.project_signing_key(),
            name: None,
        };
        if let Some(p) = flag {
            scope.check(p, "--project")?;
        }
        Ok(scope)
    }

    /// Checks that `segment` (an id, `vpr1.` reference or name) is the
    /// token's project; `place` says where it was written.
    fn check(&mut self, segment: &str, place: &str) -> CliResult<()> {
        let s = segment.trim();
        let other = |what: String| {
            CliError::new(
                exit::USAGE,
                "project_mismatch",
                format!(
                    "{place} names project {what}, but the service token belongs to project {}",
                    self.project
                ),
            )
            .hint("a service token reads one project: use its id or one name for it")
        };
        if s.is_empty() {
            return Err(CliError::usage(format!("{place}: empty project")));
        }
        if s.starts_with("vpr1.") {
            let r: ProjectRef = s.parse().map_err(|e: vault_core::Error| {
                CliError::usage(format!("{place}: bad project reference: {e}"))
            })?;
            if r.project != self.project {
                return Err(other(r.project.to_string()));
            }
            if r.ed25519 != self.signing_key {
                return Err(CliError::new(
                    exit::SECURITY,
                    "reference_mismatch",
                    format!(
                        "{place}: this reference pins another signing key than the service token"
                    ),
                ));
            }
            return Ok(());
        }
        if let Ok(id) = s.parse::<VaultId>() {
            return if id == self.project {
                Ok(())
            } else {
                Err(other(id.to_string()))
            };
        }
        match &self.name {
            None => {
                self.name = Some((s.to_owned(), place.to_owned()));
                Ok(())
            }
            Some((n, _)) if n.eq_ignore_ascii_case(s) => Ok(()),
            Some((n, from)) => Err(CliError::new(
                exit::USAGE,
                "project_mismatch",
                format!(
                    "{place} names project {}, but {from} names {}: a service token reads one project",
                    cell(s),
                    cell(n)
                ),
            )
            .hint("use one name (or the project's id) in every reference")),
        }
    }
}

// ------------------------------------------------------------ resolving

/// Why a name was not served, for people.
fn why_missing(e: &SecretsError) -> String {
    match e {
        SecretsError::NotFound => {
            "no such secret (a stub is filed: the project's admins see it as missing)".into()
        }
        SecretsError::AccessRequested => {
            "not granted to this service (an access request is filed for the project's admins)"
                .into()
        }
        SecretsError::AccessDenied => {
            "not granted to this service (an admin denied the access request)".into()
        }
        e => e.to_string(),
    }
}

/// The values of `names` (one `GetSecrets` round trip), and the names
/// that were not served with why.
async fn fetch(
    client: &SecretsClient,
    names: &[SecretName],
) -> CliResult<(BTreeMap<String, SecretString>, Vec<(String, SecretsError)>)> {
    let mut found = BTreeMap::new();
    let mut missing = Vec::new();
    if names.is_empty() {
        return Ok((found, missing));
    }
    let asked: Vec<&str> = names.iter().map(SecretName::as_str).collect();
    let results = client.get_many(&asked).await.map_err(secrets_error)?;
    for (name, r) in names.iter().zip(results) {
        match r {
            Ok(v) => {
                found.insert(name.as_str().to_owned(), v);
            }
            Err(e) if e.is_per_name() => missing.push((name.as_str().to_owned(), e)),
            Err(e) => return Err(secrets_error(e)),
        }
    }
    Ok((found, missing))
}

/// The error for names that were not served.
fn missing_error(missing: &[(String, SecretsError)], allow_flag: bool) -> CliError {
    let mut msg = format!("{} secret(s) could not be read:", missing.len());
    for (name, e) in missing {
        msg.push_str(&format!("\n  {}: {}", cell(name), why_missing(e)));
    }
    let only_access = missing
        .iter()
        .all(|(_, e)| !matches!(e, SecretsError::NotFound));
    let mut hint = String::from(
        "an admin adds missing ones (`vault stubs ls`, `vault stubs fill`) and grants requested ones (`vault requests grant`)",
    );
    if allow_flag {
        hint.push_str("; or pass --allow-missing to run without them");
    }
    CliError::new(
        if only_access {
            exit::REFUSED
        } else {
            exit::NOT_FOUND
        },
        "secrets_missing",
        msg,
    )
    .hint(hint)
}

/// Reads a template file (UTF-8, capped).
fn read_template(path: &Path) -> CliResult<String> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| io_error("cannot read", path, &e))?;
    let mut text = String::new();
    f.take(MAX_TEMPLATE + 1)
        .read_to_string(&mut text)
        .map_err(|e| io_error("cannot read", path, &e))?;
    if text.len() as u64 > MAX_TEMPLATE {
        return Err(CliError::usage(format!(
            "{} is larger than {MAX_TEMPLATE} bytes",
            path.display()
        )));
    }
    Ok(text)
}

fn template_error(path: &Path, e: &template::TemplateError) -> CliError {
    CliError::usage(format!("{}: {e}", path.display()))
}

// ------------------------------------------------------------ vault run

/// `vault run`: resolves the secrets, then replaces this process with the
/// program (unix `exec`: its signals and exit code are the program's own).
pub(crate) async fn run(ctx: &Ctx, args: RunArgs) -> CliResult<()> {
    let token = load_token(&args.token)?;
    let mut scope = Scope::new(&token, args.project.as_deref())?;

    // The environment's `vault://` references (the variable keeps its name).
    let mut env_refs: Vec<(OsString, SecretRef)> = Vec::new();
    for (k, v) in std::env::vars_os() {
        let Some(value) = v.to_str().filter(|v| v.starts_with("vault://")) else {
            continue;
        };
        let var = k.to_string_lossy().into_owned();
        let r: SecretRef = value.parse().map_err(|e: vault_core::Error| {
            CliError::usage(format!(
                "the variable {} holds a bad vault:// reference: {e}",
                cell(&var)
            ))
        })?;
        scope.check(&r.project, &format!("the variable {}", cell(&var)))?;
        env_refs.push((k, r));
    }

    // The template's entries, in file order.
    let template = match &args.env_file {
        Some(path) => {
            let t =
                EnvTemplate::parse(&read_template(path)?).map_err(|e| template_error(path, &e))?;
            for (var, v) in &t.entries {
                if let EnvValue::Reference(r) = v {
                    scope.check(&r.project, &format!("{} ({})", path.display(), cell(var)))?;
                }
            }
            Some(t)
        }
        None => None,
    };
    if args.project.is_none() && env_refs.is_empty() && template.is_none() {
        return Err(CliError::usage(
            "nothing to resolve: no --project, no --env-file, and no vault:// reference in the environment",
        )
        .hint("`vault run --project PROJECT -- CMD` passes every secret the token may read"));
    }
    let Some((program, program_args)) = args.command.split_first() else {
        return Err(CliError::usage("no program to run (put it after --)"));
    };

    let client = connect(ctx, token).await?;
    let mut values: BTreeMap<String, SecretString> = BTreeMap::new();
    let mut listed: Vec<(String, SecretString)> = Vec::new();
    let mut skipped = 0usize;
    if args.project.is_some() {
        for (name, value) in client.list().await.map_err(secrets_error)? {
            if name.is_env_name() {
                listed.push((name.as_str().to_owned(), value.clone()));
            } else {
                skipped += 1;
            }
            values.insert(name.as_str().to_owned(), value);
        }
    }
    let mut wanted: Vec<SecretName> = env_refs
        .iter()
        .map(|(_, r)| r.name.clone())
        .chain(template.iter().flat_map(|t| {
            t.references()
                .into_iter()
                .map(|r| r.name)
                .collect::<Vec<_>>()
        }))
        .filter(|n| !values.contains_key(n.as_str()))
        .collect();
    wanted.sort();
    wanted.dedup();
    let (found, missing) = fetch(&client, &wanted).await?;
    values.extend(found);
    drop(client);
    if !missing.is_empty() {
        if !args.allow_missing {
            return Err(missing_error(&missing, true));
        }
        for (name, e) in &missing {
            eprintln!(
                "vault run: warning: {}: {} (left out)",
                cell(name),
                why_missing(e)
            );
        }
    }
    if skipped > 0 {
        ctx.progress(format!(
            "vault run: {skipped} secret(s) whose names are not variable names were left out (use an --env-file to name them)"
        ));
    }

    // The child's environment: this one without the token, references
    // resolved in place; then the project's secrets; then the template.
    let mut env: BTreeMap<OsString, OsString> = std::env::vars_os()
        .filter(|(k, _)| k != vault_secrets::ENV_TOKEN && k != vault_secrets::ENV_TOKEN_FILE)
        .collect();
    for (k, r) in &env_refs {
        match values.get(r.name.as_str()) {
            Some(v) => env.insert(k.clone(), v.expose_secret().into()),
            None => env.remove(k),
        };
    }
    for (name, value) in &listed {
        env.insert(name.into(), value.expose_secret().into());
    }
    if let Some(t) = &template {
        for (var, v) in &t.entries {
            match v {
                EnvValue::Literal(l) => {
                    env.insert(var.into(), l.into());
                }
                EnvValue::Reference(r) => match values.get(r.name.as_str()) {
                    Some(v) => {
                        env.insert(var.into(), v.expose_secret().into());
                    }
                    None => {
                        env.remove(&OsString::from(var));
                    }
                },
            }
        }
    }
    drop(values);
    drop(listed);
    exec(program, program_args, env)
}

/// Runs the program with exactly `env`: on unix by replacing this process
/// (returns only if that failed); elsewhere as a child whose exit code
/// becomes ours.
fn exec(program: &OsStr, args: &[OsString], env: BTreeMap<OsString, OsString>) -> CliResult<()> {
    let mut cmd = std::process::Command::new(program);
    cmd.args(args).env_clear().envs(env);
    let failed = |e: std::io::Error| {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            EXIT_NOT_FOUND
        } else {
            EXIT_CANNOT_RUN
        };
        CliError::new(
            code,
            "exec_failed",
            format!("cannot run {}: {e}", cell(&program.to_string_lossy())),
        )
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        Err(failed(cmd.exec()))
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status().map_err(failed)?;
        std::process::exit(status.code().unwrap_or(exit::GENERAL));
    }
}

// ------------------------------------------------------------ vault inject

/// `vault inject`: renders a file template and writes it 0600 with an
/// atomic rename (all placeholders resolve, or nothing is written).
pub(crate) async fn inject(ctx: &Ctx, args: InjectArgs) -> CliResult<()> {
    let token = load_token(&args.token)?;
    let mut scope = Scope::new(&token, args.project.as_deref())?;
    let text = read_template(&args.input)?;
    let refs = template::references(&text).map_err(|e| template_error(&args.input, &e))?;
    for r in &refs {
        scope.check(&r.project, &format!("{} ({r})", args.input.display()))?;
    }
    let mut names: Vec<SecretName> = refs.iter().map(|r| r.name.clone()).collect();
    names.sort();
    names.dedup();
    let client = connect(ctx, token).await?;
    let (values, missing) = fetch(&client, &names).await?;
    drop(client);
    if !missing.is_empty() {
        return Err(missing_error(&missing, false));
    }
    let out = template::render(&text, |r| {
        values
            .get(r.name.as_str())
            .map(|v| v.expose_secret().to_owned())
    })
    .map_err(|e| template_error(&args.input, &e))?;
    write_private(&args.output, out.as_bytes(), true)
        .map_err(|e| io_error("cannot write", &args.output, &e))?;
    if ctx.json {
        ctx.print_json(&json!({
            "output": args.output.display().to_string(),
            "secrets": names.len(),
        }));
    }
    ctx.progress(format!(
        "Wrote {} (mode 0600) with {} secret(s).",
        args.output.display(),
        names.len()
    ));
    Ok(())
}

// ------------------------------------------------------------ files

/// Writes `data` to `path` through a temporary file in the same directory
/// (created 0600, written, fsynced), then moves it in place: `replace`
/// renames over an existing file; otherwise it is hard-linked, which
/// fails if `path` exists. Nobody ever sees a partial file, and on error
/// the temporary file is removed.
pub(crate) fn write_private(path: &Path, data: &[u8], replace: bool) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    let name = path
        .file_name()
        .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "not a file name"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tag = VaultId::generate(&mut vault_core::rng::os_rng()).to_string();
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        tag.get(..8).unwrap_or(&tag)
    ));
    let result = write_then_move(&tmp, path, data, replace);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    if result.is_ok() {
        sync_dir(dir);
    }
    result
}

fn write_then_move(tmp: &Path, path: &Path, data: &[u8], replace: bool) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(tmp)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(data)?;
    f.sync_all()?;
    drop(f);
    if replace {
        return std::fs::rename(tmp, path);
    }
    match std::fs::hard_link(tmp, path) {
        Ok(()) => std::fs::remove_file(tmp),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        // A file system without hard links: check, then rename.
        Err(_) if std::fs::symlink_metadata(path).is_err() => std::fs::rename(tmp, path),
        Err(e) => Err(e),
    }
}

/// Makes a rename durable (best effort; unix only).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

// ------------------------------------------------------------ register

/// `service_version` as the server takes it: 1 to 128 bytes, nothing
/// misleading.
fn check_version(v: &str) -> CliResult<()> {
    if v.trim().is_empty() || v.len() > 128 || v.chars().any(super::projects::is_deceptive) {
        return Err(CliError::usage(
            "--version is 1 to 128 bytes without control or invisible characters",
        ));
    }
    Ok(())
}

/// `vault service register`: a new token generated here (its private key
/// never leaves this host), saved 0600, then registered (`RegisterToken`);
/// the service waits for an admin's approval. A token already in the file
/// for the same project is registered instead of a new one (a retry).
pub(crate) async fn register(ctx: &Ctx, args: Register) -> CliResult<()> {
    let version = args.version.as_deref().unwrap_or("-");
    check_version(version)?;
    let reference = args.project.trim();
    let pinned: ProjectRef = if reference.starts_with("vpr1.") {
        reference.parse().map_err(|e: vault_core::Error| {
            CliError::usage(format!("bad project reference: {e}"))
        })?
    } else {
        return Err(CliError::usage(
            "--project takes the project's vpr1.… reference (it pins the key the project signs grants with)",
        )
        .hint("an admin finds it with `vault project show PROJECT`"));
    };
    // Before anything is written: a server URL that will be accepted.
    client_options(ctx)?;
    let path = &args.token_file;
    let exists = match std::fs::symlink_metadata(path) {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_error("cannot use", path, &e)),
    };
    let (token, reused) = if exists && !args.force {
        let old = vault_secrets::read_token_file(path).map_err(|e| {
            CliError::usage(format!(
                "{} exists and holds no usable token ({e}); not overwritten",
                path.display()
            ))
            .hint("pass --force to replace it with a new token")
        })?;
        if old.project() != pinned.project || *old.project_signing_key() != pinned.ed25519 {
            return Err(CliError::usage(format!(
                "{} holds the token of another project ({}); not overwritten",
                path.display(),
                old.project()
            ))
            .hint("pass --force to replace it (the old service stays registered until an admin revokes it)"));
        }
        ctx.progress(format!(
            "{} already holds a token for this project: registering it.",
            path.display()
        ));
        (old, true)
    } else {
        let token = vault_secrets::new_token(reference).map_err(secrets_error)?;
        let text = token.to_text();
        let mut line = Zeroizing::new(text.expose_secret().to_owned());
        line.push('\n');
        write_private(path, line.as_bytes(), args.force).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                CliError::usage(format!(
                    "{} appeared meanwhile; not overwritten",
                    path.display()
                ))
            } else {
                io_error("cannot write the token to", path, &e)
            }
        })?;
        (token, false)
    };
    let service = token.service();
    let fingerprint = token.public().fingerprint();
    let client = connect(ctx, token).await.map_err(|e| {
        add_hint(
            e,
            format!(
                "the token is saved in {}: run the same command again to register it",
                path.display()
            ),
        )
    })?;
    match client.register(&args.name, version).await {
        Ok(reg) => {
            if reg.fingerprint != fingerprint {
                return Err(CliError::new(
                    exit::SECURITY,
                    "fingerprint_mismatch",
                    "the server answered another fingerprint than the token's",
                ));
            }
        }
        Err(SecretsError::AlreadyRegistered) if reused => {
            return Err(CliError::new(
                exit::REFUSED,
                "already_registered",
                format!(
                    "the token in {} is registered already (service {service}, fingerprint {fingerprint}): the server refused to register it again",
                    path.display()
                ),
            )
            .hint(format!(
                "if it waits for approval, an admin runs `vault service approve --project {} {service} --fingerprint \"{fingerprint}\" --secrets …`; to register a new identity instead, pass --force",
                pinned.project
            )));
        }
        Err(e) => {
            let bad_key = e.rejected_code() == Some(GrpcCode::Malformed)
                || matches!(&e, SecretsError::Crypto(_));
            let c = secrets_error(e);
            return Err(if bad_key {
                c.hint("is --project the reference `vault project show` prints for this server's project?")
            } else if !reused {
                add_hint(
                    c,
                    format!(
                        "the token is saved in {}: run the same command again to retry",
                        path.display()
                    ),
                )
            } else {
                c
            });
        }
    }
    if ctx.json {
        ctx.print_json(&json!({
            "status": "pending_approval",
            "service": service.to_string(),
            "project": pinned.project.to_string(),
            "name": args.name,
            "version": version,
            "fingerprint": fingerprint,
            "token_file": path.display().to_string(),
        }));
    }
    if !ctx.json {
        // The result (what the approver compares), even with --quiet.
        eprintln!(
            "Registered service {} ({service}) with project {}: pending approval.\nFingerprint: {fingerprint}",
            cell(&args.name),
            pinned.project,
        );
    }
    ctx.progress(format!(
        "The token is in {} (mode 0600). It reads nothing until a project admin compares these digits and approves:\n  vault service approve --project {} {service} --fingerprint \"{fingerprint}\" --secrets NAME,…",
        path.display(),
        pinned.project,
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn token() -> ServiceToken {
        let keys = vault_core::machine::ProjectKeys::generate(
            VaultId([3; 16]),
            &mut vault_core::rng::os_rng(),
        );
        ServiceToken::generate(
            keys.project(),
            keys.public().ed25519,
            &mut vault_core::rng::os_rng(),
        )
    }

    #[test]
    fn references_must_name_the_tokens_project() {
        let t = token();
        let id = t.project().to_string();
        let reference = ProjectRef {
            project: t.project(),
            ed25519: *t.project_signing_key(),
        }
        .to_string();
        // An id or reference of the token's project, and one name.
        let mut s = Scope::new(&t, None).unwrap();
        for seg in [id.as_str(), reference.as_str(), "billing", "Billing"] {
            s.check(seg, "here").unwrap();
        }
        assert_eq!(s.check("payroll", "there").unwrap_err().exit, exit::USAGE);
        // Another project's id or reference; a reference with another key.
        let other = VaultId([4; 16]).to_string();
        assert_eq!(s.check(&other, "x").unwrap_err().code, "project_mismatch");
        let forged = ProjectRef {
            project: t.project(),
            ed25519: [5; 32],
        }
        .to_string();
        assert_eq!(s.check(&forged, "x").unwrap_err().exit, exit::SECURITY);
        // --project fixes the name.
        let mut s = Scope::new(&t, Some("billing")).unwrap();
        assert!(s.check("payroll", "x").is_err());
        assert!(Scope::new(&t, Some(&other)).is_err());
        assert!(Scope::new(&t, Some(" ")).is_err());
    }

    #[test]
    fn private_files_are_written_whole_and_0600() {
        let dir = std::env::temp_dir().join(format!(
            "vault-cli-write-{}",
            VaultId::generate(&mut vault_core::rng::os_rng())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("token");
        write_private(&f, b"one\n", false).unwrap();
        let e = write_private(&f, b"two\n", false).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&f).unwrap(), b"one\n");
        write_private(&f, b"three\n", true).unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"three\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(names.len(), 1, "a temporary file was left behind");
        assert!(write_private(&dir.join("no/such/dir"), b"x", true).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
