//! SRP-6a (RFC 5054) client state machine. The app carries the JSON messages
//! over HTTP; every step consumes its state.

use crate::convert::{Consumable, json_message};
use crate::error::{Result, VaultError};
use crate::keys::{SecretBytes, SymmetricKey};
use crate::rng::Rng;
use std::sync::Arc;

/// The SRP group (RFC 5054 Appendix A), SHA-256.
#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SrpGroup {
    /// 3072-bit group, `g = 5`. The default for new accounts.
    #[default]
    Rfc5054Group3072,
    /// 4096-bit group, `g = 5`.
    Rfc5054Group4096,
}

impl From<SrpGroup> for vault_core::srp::SrpGroup {
    fn from(g: SrpGroup) -> Self {
        match g {
            SrpGroup::Rfc5054Group3072 => vault_core::srp::SrpGroup::Rfc5054_3072,
            SrpGroup::Rfc5054Group4096 => vault_core::srp::SrpGroup::Rfc5054_4096,
        }
    }
}

impl TryFrom<vault_core::srp::SrpGroup> for SrpGroup {
    type Error = VaultError;
    fn try_from(g: vault_core::srp::SrpGroup) -> Result<Self> {
        match g {
            vault_core::srp::SrpGroup::Rfc5054_3072 => Ok(SrpGroup::Rfc5054Group3072),
            vault_core::srp::SrpGroup::Rfc5054_4096 => Ok(SrpGroup::Rfc5054Group4096),
            _ => Err(
                vault_core::Error::InvalidPeerValue("SRP group not offered by this binding").into(),
            ),
        }
    }
}

#[uniffi::export]
impl SrpGroup {
    /// The JSON name (`rfc5054-3072`, `rfc5054-4096`).
    pub fn wire_name(&self) -> String {
        vault_core::srp::SrpGroup::from(*self).name().to_owned()
    }

    /// `len(N)` in bytes (384 or 512).
    pub fn modulus_len(&self) -> u32 {
        u32::try_from(vault_core::srp::SrpGroup::from(*self).modulus_len()).unwrap_or(u32::MAX)
    }
}

json_message!(
    /// What the server stores per account after SRP registration: group,
    /// salt and verifier. Upload it at sign-up and with every password change.
    SrpRegistration,
    vault_core::srp::SrpRegistration
);

#[uniffi::export]
impl SrpRegistration {
    /// The group.
    pub fn group(&self) -> Result<SrpGroup> {
        self.0.group().try_into()
    }
    /// The 16-byte salt.
    pub fn salt(&self) -> Vec<u8> {
        self.0.salt().to_vec()
    }
    /// The verifier, `PAD(v)`.
    pub fn verifier(&self) -> Vec<u8> {
        self.0.verifier().to_vec()
    }
}

json_message!(
    /// Login message 1, client → server: group, identifier and `A`.
    SrpClientHello,
    vault_core::srp::ClientHello
);

#[uniffi::export]
impl SrpClientHello {
    /// The group.
    pub fn group(&self) -> Result<SrpGroup> {
        self.0.group().try_into()
    }
    /// The identifier `I`.
    pub fn identifier(&self) -> String {
        self.0.identifier().to_owned()
    }
    /// `PAD(A)`.
    pub fn a_pub(&self) -> Vec<u8> {
        self.0.a_pub().to_vec()
    }
}

json_message!(
    /// Login message 2, server → client: group, salt and `B`.
    SrpServerChallenge,
    vault_core::srp::ServerChallenge
);

#[uniffi::export]
impl SrpServerChallenge {
    /// The group.
    pub fn group(&self) -> Result<SrpGroup> {
        self.0.group().try_into()
    }
    /// The 16-byte salt.
    pub fn salt(&self) -> Vec<u8> {
        self.0.salt().to_vec()
    }
    /// `PAD(B)`.
    pub fn b_pub(&self) -> Vec<u8> {
        self.0.b_pub().to_vec()
    }
}

json_message!(
    /// Login message 3, client → server: `M1`.
    SrpClientProof,
    vault_core::srp::ClientProof
);

#[uniffi::export]
impl SrpClientProof {
    /// `M1` (32 bytes).
    pub fn m1(&self) -> Vec<u8> {
        self.0.m1().to_vec()
    }
}

json_message!(
    /// Login message 4, server → client: `M2`.
    SrpServerProof,
    vault_core::srp::ServerProof
);

#[uniffi::export]
impl SrpServerProof {
    /// `M2` (32 bytes).
    pub fn m2(&self) -> Vec<u8> {
        self.0.m2().to_vec()
    }
}

/// Registration (and password change): a fresh salt and the verifier for
/// `identifier` and the auth key. Send it over an authenticated channel.
#[uniffi::export]
pub fn srp_register(
    identifier: &str,
    auth_key: &SymmetricKey,
    group: SrpGroup,
    rng: &Rng,
) -> Result<Arc<SrpRegistration>> {
    let reg = rng
        .with(|r| vault_core::srp::SrpClient::register(identifier, &auth_key.0, group.into(), r))?;
    Ok(SrpRegistration::wrap(reg))
}

/// A started SRP login: the state to keep and the hello to send.
#[derive(uniffi::Record, Clone, Debug)]
pub struct SrpLoginStarted {
    /// Keep until the server's challenge arrives.
    pub state: Arc<SrpClientAwaitingChallenge>,
    /// Send to the server.
    pub hello: Arc<SrpClientHello>,
}

/// Starts a login for `identifier` with the auth key, in the group that
/// pre-login reported.
#[uniffi::export]
pub fn srp_login_start(
    identifier: &str,
    auth_key: &SymmetricKey,
    group: SrpGroup,
    rng: &Rng,
) -> Result<SrpLoginStarted> {
    let (state, hello) =
        rng.with(|r| vault_core::srp::SrpClient::start(identifier, &auth_key.0, group.into(), r))?;
    Ok(SrpLoginStarted {
        state: Arc::new(SrpClientAwaitingChallenge(Consumable::new(state))),
        hello: SrpClientHello::wrap(hello),
    })
}

/// Client state waiting for the server's challenge. Single use; secret.
#[derive(uniffi::Object, Debug)]
pub struct SrpClientAwaitingChallenge(Consumable<vault_core::srp::ClientAwaitingChallenge>);

/// The proof to send and the state that waits for the server's proof.
#[derive(uniffi::Record, Clone, Debug)]
pub struct SrpChallengeAnswered {
    /// Keep until the server's proof arrives.
    pub state: Arc<SrpClientAwaitingServerProof>,
    /// Send to the server.
    pub proof: Arc<SrpClientProof>,
}

#[uniffi::export]
impl SrpClientAwaitingChallenge {
    /// Checks `B`, computes the session key and `M1`. Consumes this state.
    pub fn process_challenge(
        &self,
        challenge: &SrpServerChallenge,
    ) -> Result<SrpChallengeAnswered> {
        let (next, proof) = self.0.take()?.process_challenge(&challenge.0)?;
        Ok(SrpChallengeAnswered {
            state: Arc::new(SrpClientAwaitingServerProof(Consumable::new(next))),
            proof: SrpClientProof::wrap(proof),
        })
    }
}

/// Client state waiting for the server's proof. Single use; holds the session key.
#[derive(uniffi::Object, Debug)]
pub struct SrpClientAwaitingServerProof(Consumable<vault_core::srp::ClientAwaitingServerProof>);

#[uniffi::export]
impl SrpClientAwaitingServerProof {
    /// Checks `M2` and releases the session key `K` (32 bytes). A wrong `M2`
    /// is error code `authentication_failed`. Consumes this state.
    pub fn verify_server(&self, proof: &SrpServerProof) -> Result<Arc<SecretBytes>> {
        Ok(SecretBytes::wrap(self.0.take()?.verify_server(&proof.0)?))
    }
}
