//! Typed OpenAPI schemas for vault-core's wire types, so that a client can
//! be written from `/openapi.json` alone. Documentation only: the server
//! never (de)serialises these structs; the real types (in vault-core)
//! validate themselves, and these mirror their JSON exactly (pinned by a
//! test that checks each schema's property names against a real message).
//!
//! Binary members are unpadded base64url (RFC 4648 §5). SRP values `A`,
//! `B` and `v` are padded to exactly `len(N)` bytes (384 for
//! `rfc5054-3072`, 512 for `rfc5054-4096`).
#![allow(dead_code)] // fields are read by the schema derive only

use utoipa::ToSchema;

/// Argon2id parameters (version 0x13, 32-byte output).
#[derive(ToSchema)]
pub struct KdfParams {
    /// Memory in KiB (`m`).
    pub memory_kib: u32,
    /// Passes (`t`).
    pub iterations: u32,
    /// Lanes (`p`).
    pub parallelism: u32,
}

/// KDF parameters and the account's 16-byte salt.
#[derive(ToSchema)]
pub struct KdfConfig {
    /// The Argon2id parameters.
    pub params: KdfParams,
    /// 16 bytes, base64url.
    #[schema(min_length = 22, max_length = 22)]
    pub salt: String,
}

/// The SRP group names.
#[derive(ToSchema)]
pub enum SrpGroupName {
    /// RFC 5054 3072-bit group, SHA-256.
    #[schema(rename = "rfc5054-3072")]
    Rfc5054_3072,
    /// RFC 5054 4096-bit group, SHA-256.
    #[schema(rename = "rfc5054-4096")]
    Rfc5054_4096,
}

/// `POST /v1/prelogin` body.
#[derive(ToSchema)]
pub struct PreloginRequest {
    /// Format version: 1.
    pub v: u8,
    /// The account identifier (1-256 UTF-8 bytes; the server normalises it).
    pub identifier: String,
}

/// The SRP part of a pre-login answer.
#[derive(ToSchema)]
pub struct SrpPrelogin {
    /// The account's SRP group.
    pub group: SrpGroupName,
    /// 16-byte SRP salt, base64url (never starts with a zero byte).
    pub salt: String,
}

/// `POST /v1/prelogin` answer: real for an account, a deterministic fake
/// otherwise (indistinguishable).
#[derive(ToSchema)]
pub struct PreloginResponse {
    /// Format version: 1.
    pub v: u8,
    /// The KDF to run on the password.
    pub kdf: KdfConfig,
    /// Present for SRP accounts; absent for OPAQUE.
    pub srp: Option<SrpPrelogin>,
    /// The identifier to use inside the PAKE when it is not the canonical
    /// form asked about (accounts from before normalisation).
    pub identifier: Option<String>,
}

/// An SRP-6a login record (registration and password change).
#[derive(ToSchema)]
pub struct SrpRegistration {
    /// Format version: 1.
    pub v: u8,
    /// The group.
    pub group: SrpGroupName,
    /// 16-byte salt, base64url, first byte non-zero.
    pub salt: String,
    /// The verifier `v = g^x mod N`, padded to len(N) bytes, base64url.
    pub verifier: String,
}

/// SRP login, the client's first message.
#[derive(ToSchema)]
pub struct ClientHello {
    /// Format version: 1.
    pub v: u8,
    /// The group (the account's, from pre-login).
    pub group: SrpGroupName,
    /// The identifier `I` (the PAKE identifier from pre-login).
    pub identifier: String,
    /// `A = g^a mod N`, padded to len(N) bytes, base64url; `A mod N != 0`.
    pub a_pub: String,
}

/// SRP login, the server's challenge.
#[derive(ToSchema)]
pub struct ServerChallenge {
    /// Format version: 1.
    pub v: u8,
    /// The group.
    pub group: SrpGroupName,
    /// 16-byte salt, base64url.
    pub salt: String,
    /// `B = (k*v + g^b) mod N`, padded to len(N) bytes, base64url.
    pub b_pub: String,
}

/// SRP login, the client's proof.
#[derive(ToSchema)]
pub struct ClientProof {
    /// Format version: 1.
    pub v: u8,
    /// `M1`, 32 bytes (SHA-256), base64url.
    #[schema(min_length = 43, max_length = 43)]
    pub m1: String,
}

/// SRP login, the server's proof (verify it before trusting the session).
#[derive(ToSchema)]
pub struct ServerProof {
    /// Format version: 1.
    pub v: u8,
    /// `M2`, 32 bytes, base64url.
    #[schema(min_length = 43, max_length = 43)]
    pub m2: String,
}

macro_rules! opaque_schema {
    ($name:ident, $member:ident, $bytes:literal, $doc:literal) => {
        #[doc = concat!("OPAQUE (RFC 9807) ", $doc, ": `{\"v\":1,\"", stringify!($member), "\":…}`, the RFC serialisation (", stringify!($bytes), " bytes) as base64url.")]
        #[derive(ToSchema)]
        pub struct $name {
            /// Format version: 1.
            pub v: u8,
            #[doc = concat!(stringify!($bytes), " bytes, base64url.")]
            pub $member: String,
        }
    };
}

opaque_schema!(
    RegistrationRequest,
    registration_request,
    32,
    "registration request"
);
opaque_schema!(
    RegistrationResponse,
    registration_response,
    64,
    "registration response"
);
opaque_schema!(
    RegistrationRecord,
    registration_record,
    192,
    "registration record"
);
opaque_schema!(Ke1, ke1, 96, "KE1");
opaque_schema!(Ke2, ke2, 320, "KE2");
opaque_schema!(Ke3, ke3, 64, "KE3");

/// A public identity: X25519 and Ed25519 keys, self-signed.
#[derive(ToSchema)]
pub struct PublicIdentity {
    /// The account id (UUID text).
    pub account: String,
    /// X25519 public key, 32 bytes, base64url.
    pub x25519: String,
    /// Ed25519 public key, 32 bytes, base64url.
    pub ed25519: String,
    /// Ed25519 signature over `"VLT1 identity" || account || x25519 || ed25519`, base64url.
    pub signature: String,
}

/// The encrypted account record a registration sends (docs/format.md §4):
/// the server verifies the identity's self-signature and that it names the
/// account.
#[derive(ToSchema)]
pub struct EncryptedAccount {
    /// Record version: 1.
    pub v: u8,
    /// The account id (UUID text, chosen by the client).
    pub account: String,
    /// KDF parameters and salt.
    pub kdf: KdfConfig,
    /// The account key generation (absent when 1).
    pub key_generation: Option<u32>,
    /// The account key sealed under the master KEK (envelope text).
    pub wrapped_account_key: String,
    /// The identity private keys sealed under the account key (envelope text).
    pub wrapped_identity: String,
    /// The self-signed public identity.
    pub public_identity: PublicIdentity,
}

// ------------------------------------------------------------ machine secrets
// (`docs/format.md` §16): typed so that schemathesis generates bodies of
// the right shape for the `/v1/projects` paths.

/// A project's public keys, self-signed (`vault_core::machine::ProjectPublic`).
#[derive(ToSchema)]
pub struct ProjectPublic {
    /// Format version: 1.
    pub v: u8,
    /// The project (its vault's UUID).
    pub project: String,
    /// X25519 public key, 32 bytes, base64url.
    #[schema(min_length = 43, max_length = 43)]
    pub x25519: String,
    /// Ed25519 public key, 32 bytes, base64url (grants are signed with it).
    #[schema(min_length = 43, max_length = 43)]
    pub ed25519: String,
    /// Ed25519 signature, 64 bytes, base64url.
    #[schema(min_length = 86, max_length = 86)]
    pub signature: String,
}

/// A project's private keys sealed under a vault key generation.
#[derive(ToSchema)]
pub struct EncryptedProjectKeys {
    /// Format version: 1.
    pub v: u8,
    /// The project.
    pub project: String,
    /// The vault key generation that seals them.
    pub key_version: u32,
    /// The sealed keys (envelope text).
    pub envelope: String,
}

/// A secret's record: its key wrapped under the vault key, its blind index.
#[derive(ToSchema)]
pub struct EncryptedSecret {
    /// Format version: 1.
    pub v: u8,
    /// The project.
    pub project: String,
    /// The secret (UUID).
    pub secret: String,
    /// The vault key generation that wraps the key.
    pub key_version: u32,
    /// The secret key's own generation.
    pub secret_key_version: u32,
    /// The wrapped secret key (envelope text).
    pub wrapped_key: String,
    /// HMAC of the name under the project's index key, 32 bytes, base64url.
    #[schema(min_length = 43, max_length = 43)]
    pub blind_index: String,
}

/// One sealed version of a secret (its name, value and description inside).
#[derive(ToSchema)]
pub struct EncryptedSecretVersion {
    /// Format version: 1.
    pub v: u8,
    /// The project.
    pub project: String,
    /// The secret.
    pub secret: String,
    /// Version number, from 1.
    pub version: u32,
    /// The secret key generation that seals it.
    pub secret_key_version: u32,
    /// The sealed entry (envelope text).
    pub blob: String,
}

/// A service token's public half.
#[derive(ToSchema)]
pub struct ServicePublic {
    /// Format version: 1.
    pub v: u8,
    /// The project it reads from.
    pub project: String,
    /// The service (UUID).
    pub service: String,
    /// X25519 public key (grants are sealed to it), base64url.
    #[schema(min_length = 43, max_length = 43)]
    pub x25519: String,
    /// The project Ed25519 key the service pinned, base64url.
    #[schema(min_length = 43, max_length = 43)]
    pub project_signing_key: String,
    /// SHA-256 fingerprint of the auth secret, base64url.
    #[schema(min_length = 43, max_length = 43)]
    pub auth_fingerprint: String,
}

/// What a grant gives.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum GrantScopeKind {
    /// The blind-index key.
    Index,
    /// A vault key generation (whole project).
    Project,
    /// One secret's key generation.
    Secret,
}

/// A grant's scope: `{"kind":"index"}`, `{"kind":"project","key_version":N}`
/// or `{"kind":"secret","secret":UUID,"secret_key_version":N}`.
#[derive(ToSchema)]
pub struct GrantScope {
    /// Which kind.
    pub kind: GrantScopeKind,
    /// `project`: the vault key generation.
    pub key_version: Option<u32>,
    /// `secret`: the secret.
    pub secret: Option<String>,
    /// `secret`: its key generation.
    pub secret_key_version: Option<u32>,
}

/// A key sealed to a service with HPKE, signed with the project's key.
#[derive(ToSchema)]
pub struct ServiceGrant {
    /// Format version: 1.
    pub v: u8,
    /// The project.
    pub project: String,
    /// The service.
    pub service: String,
    /// What is granted.
    pub scope: GrantScope,
    /// HPKE encapsulated key, 32 bytes, base64url.
    #[schema(min_length = 43, max_length = 43)]
    pub enc: String,
    /// HPKE ciphertext, 48 bytes, base64url.
    #[schema(min_length = 64, max_length = 64)]
    pub ciphertext: String,
    /// Project Ed25519 signature, 64 bytes, base64url.
    #[schema(min_length = 86, max_length = 86)]
    pub signature: String,
}

/// Why a hint was sealed to the project.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum SealPurpose {
    /// A missing name (stub).
    Stub,
    /// A forbidden secret (access request).
    Request,
}

/// A name and description a service sealed to the project's X25519 key.
#[derive(ToSchema)]
pub struct SealedToProject {
    /// Format version: 1.
    pub v: u8,
    /// The project.
    pub project: String,
    /// Why.
    pub purpose: SealPurpose,
    /// HPKE encapsulated key, base64url.
    pub enc: String,
    /// HPKE ciphertext, base64url.
    pub ciphertext: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use utoipa::PartialSchema;

    /// Each schema's property names are exactly the members of a real
    /// message's JSON.
    fn properties<T: PartialSchema>() -> Vec<String> {
        let v = serde_json::to_value(T::schema()).unwrap();
        let mut names: Vec<String> = v["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    }

    fn members(json: &str) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let mut names: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        names.sort();
        names
    }

    #[test]
    fn schemas_match_real_messages() {
        use vault_core::*;
        let mut rng = rng::os_rng();
        let key = SymmetricKey::generate(&mut rng);
        let reg =
            srp::SrpClient::register("a@example.com", &key, srp::SrpGroup::default(), &mut rng)
                .unwrap();
        assert_eq!(
            properties::<super::SrpRegistration>(),
            members(&reg.to_json())
        );
        let (_, hello) =
            srp::SrpClient::start("a@example.com", &key, srp::SrpGroup::default(), &mut rng)
                .unwrap();
        assert_eq!(
            properties::<super::ClientHello>(),
            members(&hello.to_json())
        );
        let (_, ke1) = opaque::ClientLogin::start("a@example.com", &key, &mut rng).unwrap();
        assert_eq!(properties::<super::Ke1>(), members(&ke1.to_json()));
        let (_, creds) =
            UnlockedAccount::create("pw", None, KdfParams::INSECURE_TEST_ONLY, &mut rng).unwrap();
        let json = serde_json::to_string(&creds.encrypted).unwrap();
        let mut want = members(&json);
        want.push("key_generation".into());
        want.sort();
        assert_eq!(properties::<super::EncryptedAccount>(), want);
    }

    #[test]
    fn machine_schemas_match_real_records() {
        use vault_core::machine::*;
        use vault_core::*;
        fn json<T: serde::Serialize>(v: &T) -> String {
            serde_json::to_string(v).unwrap()
        }
        let mut rng = rng::os_rng();
        let vk = VaultKey::generate(VaultId::generate(&mut rng), &mut rng);
        let pk = ProjectKeys::generate(vk.vault_id(), &mut rng);
        assert_eq!(
            properties::<super::ProjectPublic>(),
            members(&json(&pk.public()))
        );
        assert_eq!(
            properties::<super::EncryptedProjectKeys>(),
            members(&json(&pk.seal(&vk, &mut rng).unwrap()))
        );
        let entry = SecretEntry::new("A", "b", "").unwrap();
        let (secret, version) = pk.create_secret(&vk, &entry, &mut rng).unwrap();
        assert_eq!(
            properties::<super::EncryptedSecret>(),
            members(&json(&secret))
        );
        assert_eq!(
            properties::<super::EncryptedSecretVersion>(),
            members(&json(&version))
        );
        let token = ServiceToken::generate(pk.project(), pk.public().ed25519, &mut rng);
        assert_eq!(
            properties::<super::ServicePublic>(),
            members(&json(&token.public()))
        );
        let grant = pk.grant_index(&token.public(), &mut rng).unwrap();
        assert_eq!(properties::<super::ServiceGrant>(), members(&json(&grant)));
        let hint = StubHint::new(SecretName::new("A").unwrap(), "").unwrap();
        let sealed =
            SealedToProject::seal(&pk.public(), SealPurpose::Stub, &hint, &mut rng).unwrap();
        assert_eq!(
            properties::<super::SealedToProject>(),
            members(&json(&sealed))
        );
    }
}
