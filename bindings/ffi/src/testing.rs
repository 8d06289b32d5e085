//! TEST ONLY: compiled only with the `test-vectors` feature (which enables
//! vault-core's `hazmat`). Deterministic sealing and the server halves of the
//! login protocols, so the binding vector suites can replay every committed
//! transcript and answer. Never ship a build with this feature.

use crate::convert::Consumable;
use crate::envelope::{Algorithm, Envelope, EnvelopeContext};
use crate::error::Result;
use crate::kdf::{KdfConfig, KdfParams};
use crate::keys::{SecretBytes, SymmetricKey};
use crate::opaque::{
    OpaqueKe1, OpaqueKe2, OpaqueKe3, OpaqueRegistrationRecord, OpaqueRegistrationRequest,
    OpaqueRegistrationResponse,
};
use crate::prelogin::PreloginResponse;
use crate::rng::Rng;
use crate::srp::{
    SrpClientHello, SrpClientProof, SrpGroup, SrpRegistration, SrpServerChallenge, SrpServerProof,
};
use std::sync::Arc;

/// TEST ONLY: seals with a caller-chosen nonce. A repeated nonce under one
/// key destroys confidentiality and authenticity.
#[uniffi::export]
pub fn hazmat_seal_with_nonce(
    key: &SymmetricKey,
    algorithm: Algorithm,
    context: &EnvelopeContext,
    nonce: Vec<u8>,
    plaintext: Vec<u8>,
) -> Result<Arc<Envelope>> {
    let ctx = vault_core::Context::try_from(context)?;
    Ok(Envelope::wrap(vault_core::hazmat::seal_with_nonce(
        &key.0,
        algorithm.into(),
        &ctx,
        &nonce,
        &plaintext,
    )?))
}

// ---------------------------------------------------------------------------
// SRP server half

/// TEST ONLY: the SRP server's first step.
#[derive(uniffi::Record, Clone, Debug)]
pub struct SrpServerStarted {
    /// The server's secret state until the client's proof arrives.
    pub state: Arc<SrpServerAwaitingClientProof>,
    /// Send to the client.
    pub challenge: Arc<SrpServerChallenge>,
}

/// TEST ONLY: the SRP server's state between challenge and proof.
#[derive(uniffi::Object, Debug)]
pub struct SrpServerAwaitingClientProof(Consumable<vault_core::srp::ServerAwaitingClientProof>);

/// TEST ONLY: the SRP server's result.
#[derive(uniffi::Record, Clone, Debug)]
pub struct SrpServerFinished {
    /// Send to the client.
    pub proof: Arc<SrpServerProof>,
    /// The session key `K`.
    pub session_key: Arc<SecretBytes>,
}

/// TEST ONLY: answers a client hello from the stored registration.
#[uniffi::export]
pub fn srp_server_start(
    record: &SrpRegistration,
    hello: &SrpClientHello,
    rng: &Rng,
) -> Result<SrpServerStarted> {
    let (state, challenge) =
        rng.with(|r| vault_core::srp::SrpServer::start(&record.0, &hello.0, r))?;
    Ok(SrpServerStarted {
        state: Arc::new(SrpServerAwaitingClientProof(Consumable::new(state))),
        challenge: SrpServerChallenge::wrap(challenge),
    })
}

#[uniffi::export]
impl SrpServerAwaitingClientProof {
    /// TEST ONLY: checks `M1`; a wrong one is `authentication_failed`.
    pub fn finish(&self, proof: &SrpClientProof) -> Result<SrpServerFinished> {
        let (p, key) = self.0.take()?.finish(&proof.0)?;
        Ok(SrpServerFinished {
            proof: SrpServerProof::wrap(p),
            session_key: SecretBytes::wrap(key),
        })
    }
}

// ---------------------------------------------------------------------------
// OPAQUE server half

/// TEST ONLY: a server's OPAQUE setup (OPRF seed and key pair). Secret.
#[derive(uniffi::Object, Debug)]
pub struct OpaqueServerSetup(vault_core::opaque::ServerSetup);

#[uniffi::export]
impl OpaqueServerSetup {
    /// TEST ONLY: a fresh setup.
    #[uniffi::constructor]
    pub fn generate(rng: &Rng) -> Arc<Self> {
        Arc::new(OpaqueServerSetup(
            rng.with(vault_core::opaque::ServerSetup::generate),
        ))
    }

    /// TEST ONLY: parses the JSON form.
    #[uniffi::constructor]
    pub fn from_json(json: &str) -> Result<Arc<Self>> {
        Ok(Arc::new(OpaqueServerSetup(
            vault_core::opaque::ServerSetup::from_json(json)?,
        )))
    }

    /// TEST ONLY: the JSON form (secret).
    pub fn to_json(&self) -> String {
        self.0.to_json().expose_secret().to_owned()
    }

    /// The server's long-term public key (32 bytes).
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public_key().to_vec()
    }

    /// TEST ONLY: registration, server side.
    pub fn registration_response(
        &self,
        identifier: &str,
        request: &OpaqueRegistrationRequest,
    ) -> Result<Arc<OpaqueRegistrationResponse>> {
        Ok(OpaqueRegistrationResponse::wrap(
            self.0.registration_response(identifier, &request.0)?,
        ))
    }
}

/// TEST ONLY: the OPAQUE server's first login step.
#[derive(uniffi::Record, Clone, Debug)]
pub struct OpaqueServerLoginStarted {
    /// The server's secret state until KE3 arrives.
    pub state: Arc<OpaqueServerLogin>,
    /// Send to the client.
    pub ke2: Arc<OpaqueKe2>,
}

/// TEST ONLY: the OPAQUE server's state between KE2 and KE3.
#[derive(uniffi::Object, Debug)]
pub struct OpaqueServerLogin(Consumable<vault_core::opaque::ServerLogin>);

/// TEST ONLY: answers KE1 (with the stored record, or `None` for an unknown
/// account: a fake record).
#[uniffi::export]
pub fn opaque_server_login_start(
    setup: &OpaqueServerSetup,
    identifier: &str,
    record: Option<Arc<OpaqueRegistrationRecord>>,
    ke1: &OpaqueKe1,
    rng: &Rng,
) -> Result<OpaqueServerLoginStarted> {
    let (state, ke2) = rng.with(|r| {
        vault_core::opaque::ServerLogin::start(
            &setup.0,
            identifier,
            record.as_deref().map(|rec| &rec.0),
            &ke1.0,
            r,
        )
    })?;
    Ok(OpaqueServerLoginStarted {
        state: Arc::new(OpaqueServerLogin(Consumable::new(state))),
        ke2: OpaqueKe2::wrap(ke2),
    })
}

#[uniffi::export]
impl OpaqueServerLogin {
    /// TEST ONLY: checks KE3 and returns the session key.
    pub fn finish(&self, ke3: &OpaqueKe3) -> Result<Arc<SecretBytes>> {
        Ok(SecretBytes::wrap(self.0.take()?.finish(&ke3.0)?))
    }
}

// ---------------------------------------------------------------------------
// Pre-login server half

/// TEST ONLY: the pre-login server (deterministic fake answers).
#[derive(uniffi::Object, Debug)]
pub struct PreloginServer(vault_core::prelogin::PreloginServer);

#[uniffi::export]
impl PreloginServer {
    /// TEST ONLY: a server with its secret and the defaults fakes imitate.
    #[uniffi::constructor]
    pub fn new(
        server_secret: &SymmetricKey,
        kdf_params: KdfParams,
        srp_group: SrpGroup,
    ) -> Arc<Self> {
        Arc::new(PreloginServer(vault_core::prelogin::PreloginServer::new(
            server_secret.0.clone(),
            kdf_params.into(),
            srp_group.into(),
        )))
    }

    /// TEST ONLY: the fake answer for an identifier with no account.
    pub fn fake_response(&self, identifier: &str) -> Result<Arc<PreloginResponse>> {
        Ok(Arc::new(PreloginResponse(
            self.0.fake_response(identifier)?,
        )))
    }

    /// TEST ONLY: the OPAQUE-server answer (the real `kdf`, or a fake).
    pub fn respond_opaque(
        &self,
        identifier: &str,
        kdf: Option<KdfConfig>,
    ) -> Result<Arc<PreloginResponse>> {
        let kdf = kdf
            .as_ref()
            .map(vault_core::KdfConfig::try_from)
            .transpose()?;
        Ok(Arc::new(PreloginResponse(
            self.0.respond_opaque(identifier, kdf.as_ref())?,
        )))
    }

    /// TEST ONLY: the fake SRP record for an identifier with no account.
    pub fn fake_srp_record(&self, identifier: &str) -> Result<Arc<SrpRegistration>> {
        Ok(SrpRegistration::wrap(self.0.fake_srp_record(identifier)?))
    }
}

// ---------------------------------------------------------------------------
// Raw checks the vector suites replay (`ed25519.json`, `sync.json`)

/// TEST ONLY: the raw Ed25519 check of format.md §12 (`invalid_peer_value`
/// when the public key does not decode, `bad_signature` for every other
/// failure). Apps verify identities and grants, never raw signatures.
#[uniffi::export]
pub fn hazmat_ed25519_verify(
    public_key: Vec<u8>,
    message: Vec<u8>,
    signature: Vec<u8>,
) -> Result<()> {
    Ok(vault_core::hazmat::primitives::ed25519_verify(
        &public_key,
        &message,
        &signature,
    )?)
}

/// TEST ONLY: parses a sync wire message (`message_type`: `pull_request`,
/// `pull_page`, `push_request` or `push_response`) strictly, as the engine
/// does, and returns its canonical JSON text (protocol.md §9.4).
#[uniffi::export]
pub fn hazmat_sync_wire_canonical(message_type: &str, json: &str) -> Result<String> {
    use vault_core::sync::wire;
    Ok(match message_type {
        "pull_request" => wire::PullRequest::from_json(json)?.to_json(),
        "pull_page" => wire::PullPage::from_json(json)?.to_json(),
        "push_request" => wire::PushRequest::from_json(json)?.to_json(),
        "push_response" => wire::PushResponse::from_json(json)?.to_json(),
        _ => {
            return Err(
                vault_core::Error::InvalidArgument("unknown sync wire message type").into(),
            );
        }
    })
}
