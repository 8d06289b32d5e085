//! Sealing to a project: what a party without read access (a service
//! asking for a missing or forbidden secret) tells the project's members.

use super::MACHINE_FORMAT_VERSION;
use super::name::{BlindIndex, SecretName};
use super::project::{ProjectKeys, ProjectPublic};
use crate::encoding::{b64_array, b64_vec};
use crate::error::{Error, Result};
use crate::ids::VaultId;
use crate::sharing::raw as hpke_raw;

/// Why something was sealed to the project (bound into the HPKE `info`, so
/// a blob cannot be replayed for another purpose).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SealPurpose {
    /// A service asked for a name that does not exist.
    Stub,
    /// A service asked for a secret it is not granted.
    Request,
}

impl SealPurpose {
    fn id(self) -> u8 {
        match self {
            SealPurpose::Stub => 1,
            SealPurpose::Request => 2,
        }
    }
}

/// What a service says about a name it asked for: the name and why it
/// needs it (the description from its schema). `Debug` shows no text.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StubHint {
    /// The name asked for.
    pub name: SecretName,
    /// What the service says it is for (may be empty, at most 1024 bytes).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl core::fmt::Debug for StubHint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StubHint")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

const MAX_HINT_DESCRIPTION: usize = 1024;

impl StubHint {
    /// A checked hint.
    pub fn new(name: SecretName, description: &str) -> Result<Self> {
        let hint = StubHint {
            name,
            description: description.to_owned(),
        };
        hint.check()?;
        Ok(hint)
    }

    fn check(&self) -> Result<()> {
        if self.description.len() > MAX_HINT_DESCRIPTION {
            return Err(Error::malformed(
                "stub hint",
                "description longer than 1024 bytes",
            ));
        }
        if self
            .description
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(Error::malformed(
                "stub hint",
                "description contains control characters",
            ));
        }
        Ok(())
    }
}

/// A [`StubHint`] sealed to a project's X25519 key (`docs/format.md` §16.6).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedToProject {
    /// Format version (1).
    pub v: u8,
    /// The project.
    pub project: VaultId,
    /// Why it was sealed.
    pub purpose: SealPurpose,
    /// HPKE encapsulated key.
    #[serde(with = "b64_array")]
    pub enc: [u8; 32],
    /// HPKE ciphertext of the hint's JSON.
    #[serde(with = "b64_vec")]
    pub ciphertext: Vec<u8>,
}

/// Longest sealed hint ciphertext accepted (name + description + JSON + tag).
pub(crate) const MAX_SEALED_HINT: usize = 2048;

fn info(v: u8, project: &VaultId, purpose: SealPurpose, pk: &[u8; 32]) -> Vec<u8> {
    let mut i = Vec::with_capacity(22 + 1 + 16 + 1 + 32);
    i.extend_from_slice(b"VLT1 sealed to project");
    i.push(v);
    i.extend_from_slice(project.as_bytes());
    i.push(purpose.id());
    i.extend_from_slice(pk);
    i
}

impl SealedToProject {
    /// Seals `hint` to `project` (whose public key the caller has verified,
    /// e.g. with [`ProjectPublic::verify`]).
    pub fn seal(
        project: &ProjectPublic,
        purpose: SealPurpose,
        hint: &StubHint,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<Self> {
        hint.check()?;
        let json = zeroize::Zeroizing::new(
            serde_json::to_vec(hint).map_err(|_| Error::InvalidArgument("stub hint"))?,
        );
        // JSON escapes can grow a description within its own limit past
        // what a server accepts: refuse here, not after a round trip.
        if json.len() + 16 > MAX_SEALED_HINT {
            return Err(Error::InvalidArgument(
                "stub hint too long once encoded (shorten the description)",
            ));
        }
        let info = info(
            MACHINE_FORMAT_VERSION,
            &project.project,
            purpose,
            &project.x25519,
        );
        let (enc, ciphertext) = hpke_raw::seal(
            &project.x25519,
            &info,
            &[MACHINE_FORMAT_VERSION],
            &json,
            rng,
        )?;
        Ok(SealedToProject {
            v: MACHINE_FORMAT_VERSION,
            project: project.project,
            purpose,
            enc: enc
                .try_into()
                .map_err(|_| Error::InvalidArgument("HPKE encapsulated key length"))?,
            ciphertext,
        })
    }

    /// Checks what a server can check without the key: version and size.
    pub fn check_shape(&self) -> Result<()> {
        if self.v != MACHINE_FORMAT_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "sealed hint",
                version: self.v,
            });
        }
        if self.ciphertext.len() < 16 || self.ciphertext.len() > MAX_SEALED_HINT {
            return Err(Error::malformed(
                "sealed hint",
                "ciphertext size out of range",
            ));
        }
        Ok(())
    }
}

impl ProjectKeys {
    /// Opens a hint sealed to this project and checks that its name has
    /// the blind index it was filed under (a server cannot move a hint to
    /// another stub).
    pub fn open_hint(
        &self,
        sealed: &SealedToProject,
        filed_under: &BlindIndex,
    ) -> Result<StubHint> {
        sealed.check_shape()?;
        if sealed.project != self.project() {
            return Err(Error::Decrypt);
        }
        let pk = x25519_dalek::PublicKey::from(&self.x25519).to_bytes();
        let info = info(sealed.v, &sealed.project, sealed.purpose, &pk);
        let pt = zeroize::Zeroizing::new(hpke_raw::open(
            self.x25519.as_bytes(),
            &sealed.enc,
            &info,
            &[sealed.v],
            &sealed.ciphertext,
        )?);
        let hint: StubHint = serde_json::from_slice(&pt)
            .map_err(|_| Error::malformed("sealed hint", "invalid JSON"))?;
        hint.check()?;
        if &self.blind_index(&hint.name)? != filed_under {
            return Err(Error::Decrypt);
        }
        Ok(hint)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hints_open_for_the_project_only_under_their_index() {
        let mut rng = crate::rng::os_rng();
        let pk = ProjectKeys::generate(VaultId([7; 16]), &mut rng);
        let name = SecretName::new("STRIPE_KEY").unwrap();
        let hint = StubHint::new(name.clone(), "payments").unwrap();
        let sealed =
            SealedToProject::seal(&pk.public(), SealPurpose::Stub, &hint, &mut rng).unwrap();
        let bidx = pk.blind_index(&name).unwrap();
        assert_eq!(pk.open_hint(&sealed, &bidx).unwrap(), hint);
        let other = pk.blind_index(&SecretName::new("OTHER").unwrap()).unwrap();
        assert!(pk.open_hint(&sealed, &other).is_err());
        let mut repurposed = sealed.clone();
        repurposed.purpose = SealPurpose::Request;
        assert!(pk.open_hint(&repurposed, &bidx).is_err());
        let stranger = ProjectKeys::generate(VaultId([7; 16]), &mut rng);
        assert!(stranger.open_hint(&sealed, &bidx).is_err());
        assert!(!format!("{hint:?}").contains("payments"));
    }

    #[test]
    fn a_hint_that_escapes_past_the_cap_is_refused_when_sealing() {
        let mut rng = crate::rng::os_rng();
        let pk = ProjectKeys::generate(VaultId([7; 16]), &mut rng);
        let name = SecretName::new("STRIPE_KEY").unwrap();
        // Within the description limit, but every quote becomes `\"`.
        let desc = "\"".repeat(MAX_HINT_DESCRIPTION);
        let hint = StubHint::new(name, &desc).unwrap();
        let err = SealedToProject::seal(&pk.public(), SealPurpose::Stub, &hint, &mut rng);
        assert!(matches!(err, Err(Error::InvalidArgument(_))), "{err:?}");
    }
}
