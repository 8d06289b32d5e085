//! Machine secrets, the service side (`docs/secrets.md`): a service's token,
//! its keyring of opened grants, blind indexes and hints. Records travel as
//! the JSON the gRPC interface carries; the app does the gRPC calls.

use crate::error::{Result, VaultError};
use crate::rng::Rng;
use std::sync::Arc;
use vault_core::machine as m;

/// A service's credential (`vst1.…`). Secret: its text leaves Rust only
/// through [`ServiceToken::to_text`]; `Debug` shows ids only.
#[derive(uniffi::Object, Debug)]
pub struct ServiceToken(m::ServiceToken);

#[uniffi::export]
impl ServiceToken {
    /// Parses token text (surrounding whitespace ignored). A typo is
    /// `checksum`, another format version `unsupported_version`.
    #[uniffi::constructor]
    pub fn parse(text: &str) -> Result<Arc<Self>> {
        Ok(Arc::new(ServiceToken(m::ServiceToken::parse(text)?)))
    }

    /// A fresh token for the project named by `project_ref` (the `vpr1.…`
    /// text a project member gives out): a new service id, auth secret and
    /// key pair, pinned to the project's signing key.
    #[uniffi::constructor]
    pub fn generate(project_ref: &str, rng: &Rng) -> Result<Arc<Self>> {
        let r: m::ProjectRef = project_ref.parse()?;
        Ok(Arc::new(ServiceToken(rng.with(|rng| {
            m::ServiceToken::generate(r.project, r.ed25519, rng)
        }))))
    }

    /// The token text. Secret: store it like a password.
    pub fn to_text(&self) -> String {
        self.0.to_text().expose_secret().to_owned()
    }

    /// The service id (UUID text).
    pub fn service_id(&self) -> String {
        self.0.service().to_string()
    }

    /// The project id (UUID text).
    pub fn project_id(&self) -> String {
        self.0.project().to_string()
    }

    /// `ServicePublic` JSON: what `RegisterToken` sends.
    pub fn public_json(&self) -> Result<String> {
        crate::convert::to_json(&self.0.public())
    }

    /// The fingerprint to read to the approving member.
    pub fn fingerprint(&self) -> String {
        self.0.public().fingerprint()
    }

    /// The value of the `authorization` metadata: `Bearer vsa1.<id>.<auth
    /// secret>`. Secret (it authenticates the service).
    pub fn authorization(&self) -> String {
        format!("Bearer {}", self.0.auth_header().expose_secret())
    }
}

/// A decrypted secret. `Debug` shows neither name nor value.
#[derive(uniffi::Record, Clone, PartialEq, Eq)]
pub struct SecretEntry {
    /// The name.
    pub name: String,
    /// The value.
    pub value: String,
    /// The description (may be empty).
    pub description: String,
}

impl core::fmt::Debug for SecretEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretEntry(<redacted>)")
    }
}

/// Why a hint is sealed to the project.
#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealPurpose {
    /// The name does not exist.
    Stub,
    /// The secret is not granted.
    Request,
}

/// A service's opened grants. `Debug` shows counts only.
#[derive(uniffi::Object, Debug)]
pub struct ServiceKeyring(m::ServiceKeyring);

#[uniffi::export]
impl ServiceKeyring {
    /// Opens the grants `GetAccess` returned (`ServiceGrant` JSON each) and
    /// the project's public key (`ProjectPublic` JSON), each checked
    /// against the project key the token pinned.
    #[uniffi::constructor]
    pub fn open(token: &ServiceToken, grants: Vec<String>, project: &str) -> Result<Arc<Self>> {
        let grants = grants
            .iter()
            .map(|g| crate::convert::from_json::<m::ServiceGrant>(g, "service grant"))
            .collect::<Result<Vec<_>>>()?;
        let mut ring = m::ServiceKeyring::open(&token.0, &grants)?;
        ring.set_project_public(crate::convert::from_json(project, "project public key")?)?;
        Ok(Arc::new(ServiceKeyring(ring)))
    }

    /// The blind index of `name` (what `GetSecret` asks for), after
    /// normalising the name (`malformed` for an invalid one).
    pub fn blind_index(&self, name: &str) -> Result<String> {
        Ok(self.0.blind_index(&m::SecretName::new(name)?)?.to_string())
    }

    /// Decrypts what `GetSecret` returned for `name`, checking that it is
    /// the secret asked for (a server could answer a lookup with another
    /// secret the service may read: that fails as `decrypt`).
    pub fn open_named(&self, name: &str, secret: &str, version: &str) -> Result<SecretEntry> {
        let name = m::SecretName::new(name)?;
        let (secret, version) = parse_secret(secret, version)?;
        Ok(entry(self.0.open_named(&name, &secret, &version)?))
    }

    /// Decrypts a secret whose name the caller does not know yet (a
    /// listing): the name comes out of the ciphertext. Reading by name, use
    /// `open_named`.
    pub fn open_secret(&self, secret: &str, version: &str) -> Result<SecretEntry> {
        let (secret, version) = parse_secret(secret, version)?;
        Ok(entry(self.0.open_secret(&secret, &version)?))
    }

    /// A hint for `GetSecret` (`SealedToProject` JSON): the name and why the
    /// service needs it, readable by project members only.
    pub fn seal_hint(
        &self,
        purpose: SealPurpose,
        name: &str,
        description: &str,
        rng: &Rng,
    ) -> Result<String> {
        let purpose = match purpose {
            SealPurpose::Stub => m::SealPurpose::Stub,
            SealPurpose::Request => m::SealPurpose::Request,
        };
        let name = m::SecretName::new(name)?;
        let sealed = rng.with(|rng| self.0.seal_hint(purpose, &name, description, rng))?;
        crate::convert::to_json(&sealed)
    }
}

/// The normal form of a secret name (`docs/format.md` §16.1), or
/// `malformed`.
#[uniffi::export]
pub fn normalize_secret_name(name: &str) -> Result<String> {
    Ok(m::SecretName::new(name)?.as_str().to_owned())
}

/// One secret a schema declares.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct SchemaSecret {
    /// The name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Whether the service needs it to start.
    pub required: bool,
}

/// Parses `secrets.schema.json` (`docs/secrets.md`): the secrets it
/// declares, by name. `malformed` (with the reason) for anything else.
#[uniffi::export]
pub fn parse_secrets_schema(json: &str) -> Result<Vec<SchemaSecret>> {
    // The reason names the place in the file (`/properties/X/type`): the
    // schema is the developer's own file, nothing secret.
    let s = m::schema::SecretsSchema::parse(json).map_err(|e| VaultError::Malformed {
        reason: e.to_string(),
    })?;
    Ok(s.secrets
        .iter()
        .map(|(name, e)| SchemaSecret {
            name: name.clone(),
            description: e.description.clone(),
            required: e.required,
        })
        .collect())
}

fn parse_secret(
    secret: &str,
    version: &str,
) -> Result<(m::EncryptedSecret, m::EncryptedSecretVersion)> {
    Ok((
        crate::convert::from_json(secret, "secret")?,
        crate::convert::from_json(version, "secret version")?,
    ))
}

fn entry(e: m::SecretEntry) -> SecretEntry {
    SecretEntry {
        name: e.name.as_str().to_owned(),
        value: e.value.expose_secret().to_owned(),
        description: e.description.clone(),
    }
}
