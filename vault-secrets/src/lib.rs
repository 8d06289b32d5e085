//! The service-side client of Vault's machine secrets
//! (`docs/secrets.md`): a Rust service reads the secrets its project
//! grants it, over gRPC, and decrypts them **in its own process**. The
//! server hands out ciphertext by grant and never sees a value or a name;
//! names travel as blind indexes.
//!
//! ```no_run
//! # async fn f() -> Result<(), vault_secrets::SecretsError> {
//! use vault_secrets::SecretsClient;
//!
//! // VAULT_SERVER=https://vault.example.com
//! // VAULT_SERVICE_TOKEN_FILE=/etc/billing/vault-token (mode 0600)
//! let client = SecretsClient::from_env().await?;
//! client.watch().await?; // changes on the server drop cached values at once
//!
//! let url = client.get("DATABASE_URL").await?;
//! println!("{} bytes", url.expose_secret().len());
//!
//! #[derive(serde::Deserialize)]
//! struct Secrets {
//!     database_url: vault_secrets::SecretString, // the secret DATABASE_URL
//!     stripe_key: Option<String>,                // STRIPE_KEY, if present and granted
//! }
//! let all: Secrets = client.get_all().await?;
//! # Ok(()) }
//! ```
//!
//! What happens underneath:
//!
//! 1. `GetAccess` returns the service's grants, which open into a
//!    [`ServiceKeyring`](vault_core::machine::ServiceKeyring) (each grant's
//!    signature checked against the project key the token pinned; a
//!    server cannot hand out keys of its own making). Cached until the
//!    grants change.
//! 2. `GetSecret` / `GetSecrets` by blind index, with the name (and an
//!    optional description) sealed to the project as a hint: a missing
//!    name files a stub ([`SecretsError::NotFound`]), an ungranted one an
//!    access request ([`SecretsError::AccessRequested`]), and the
//!    project's members see which name was asked for and why.
//!    `ListSecrets` hands out everything granted without names.
//! 3. Opened values are cached for a TTL ([`ClientOptions::cache_ttl`],
//!    60 s by default); [`SecretsClient::watch`] follows `WatchSecrets` and
//!    drops what changed at once, and everything on revocation.
//!
//! Registering a new service (self-registration; an admin approves):
//!
//! ```no_run
//! # async fn f() -> Result<(), vault_secrets::SecretsError> {
//! // The `vpr1.` reference an admin's `vault project create` printed.
//! let token = vault_secrets::new_token("vpr1.…")?;
//! // …save token.to_text() where only this service can read it…
//! let client = vault_secrets::SecretsClient::connect("https://vault.example.com", token).await?;
//! let reg = client.register("billing-api", "1.4.2").await?;
//! eprintln!("ask an admin to approve fingerprint {}", reg.fingerprint);
//! while let Err(vault_secrets::SecretsError::PendingApproval) = client.access().await {
//!     tokio::time::sleep(std::time::Duration::from_secs(5)).await;
//! }
//! # Ok(()) }
//! ```
//!
//! Errors ([`SecretsError`]) map the server's stable codes one to one and
//! never carry a value, a name, or the token; `Debug` of everything that
//! holds a secret is redacted ([`SecretString`], the token, the client).
//!
//! Transport: HTTP/2 (tonic). `https://` verifies the server with rustls
//! against the Mozilla roots compiled in plus an optional extra CA
//! (`VAULT_CA_FILE`, [`ClientOptions::ca_pem`]); plain `http://` only to
//! this machine unless allowed explicitly ([`check_server_url`]).

mod client;
mod config;
mod error;
mod fields;
mod watch;

pub use client::{Access, Registration, SecretsClient, new_token};
pub use config::{
    ClientOptions, DEFAULT_CACHE_TTL, ENV_ALLOW_HTTP, ENV_CA_FILE, ENV_CACHE_TTL, ENV_SERVER,
    ENV_TOKEN, ENV_TOKEN_FILE, EnvConfig, check_server_url, parse_token, read_token_file,
};
pub use error::{ConfigError, SecretsError};
pub use vault_core::SecretString;
/// `secrets.schema.json` (vault-core's): what a service declares it needs.
pub use vault_core::machine::schema;
pub use vault_core::machine::{ProjectPublic, SecretName, ServiceToken};
