//! Pre-login: "which KDF params and salts does this identifier use?", asked
//! before the client can derive its auth key, and the server half's answer,
//! which must not reveal whether the account exists.
//!
//! For an unknown identifier the server answers with a deterministic fake
//! keyed by a server secret: the same answer every time for the same
//! identifier (as a real account would give), different for different ones,
//! and the same shape and lengths as a real answer. The fake SRP salt is also
//! the salt of a fake SRP verifier record, so the server can run the first
//! login step for an unknown identifier exactly as for a real one
//! ([`PreloginServer::srp_start`]); the login then fails at `M1` with the same
//! [`Error::AuthenticationFailed`] as a wrong password.
//!
//! ```text
//! kdf salt   = HMAC-SHA256(secret, "VLT1 prelogin fake kdf-salt" || 0x00 || I)[..16]
//! srp salt   = HMAC-SHA256(secret, "VLT1 prelogin fake srp-salt" || 0x00 || I)[..16]
//! srp verifier (not a group element on purpose, see below):
//!   T_i      = HMAC-SHA256(secret, "VLT1 prelogin fake srp-verifier" || 0x00 || group || 0x00 || i || I)
//!   v        = (T_1 || T_2 || ...)[..len(N) + 32] as a big-endian integer, mod N
//! ```
//!
//! The fake verifier is a uniform value mod `N`, not `g^x`: it never leaves
//! the server, `B = k*v + g^b` hides it completely, and deriving it costs a
//! few HMACs instead of a modular exponentiation, so a fake first step takes
//! the time of a real one. Nobody knows a password for it (that would take a
//! discrete logarithm), so its `M1` check always fails.
//!
//! What still differs, and is the server's to manage: the time of its own
//! database lookup; an answer changes when the identifier later registers
//! (inherent); real accounts registered with non-default KDF params or group
//! stand out against fakes, which always use the server's defaults (keep the
//! defaults equal to what new accounts get, and migrate old accounts).
//!
//! JSON:
//! ```text
//! PreloginRequest  {"v":1,"identifier":"alice@example.com"}
//! PreloginResponse {"v":1,
//!                   "kdf":{"params":{"memory_kib":65536,"iterations":3,"parallelism":4},"salt":<16 B>},
//!                   "srp":{"group":"rfc5054-3072","salt":<16 B>}}
//! ```
//! (binary fields unpadded base64url; `srp` is omitted for accounts without an
//! SRP verifier.)
//!
//! ```
//! use vault_core::{prelogin::*, srp::*, KdfParams, SymmetricKey};
//! let mut rng = vault_core::rng::os_rng();
//! let server = PreloginServer::new(SymmetricKey::generate(&mut rng), KdfParams::DEFAULT, SrpGroup::default());
//! let fake = server.respond("nobody@example.com", None)?;
//! assert_eq!(fake, server.respond("nobody@example.com", None)?); // deterministic
//! assert_eq!(fake.kdf().params, KdfParams::DEFAULT);
//!
//! // Someone tries to log in as the unknown user: the first step looks real...
//! let srp = fake.srp().expect("fake answers carry SRP");
//! let (client, hello) = SrpClient::start("nobody@example.com", &SymmetricKey::generate(&mut rng), srp.group(), &mut rng)?;
//! let (state, challenge) = server.srp_start(None, &hello, &mut rng)?;
//! assert_eq!(challenge.salt(), srp.salt());
//! // ...and the proof fails like a wrong password.
//! let (_client, proof) = client.process_challenge(&challenge)?;
//! assert_eq!(state.finish(&proof).unwrap_err(), vault_core::Error::AuthenticationFailed);
//! # Ok::<(), vault_core::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::kdf::{KdfConfig, KdfParams, KdfPolicy, KdfSalt};
use crate::secret::SymmetricKey;
use crate::srp::{
    ClientHello, SALT_LEN, ServerAwaitingClientProof, ServerChallenge, SrpGroup, SrpRegistration,
    SrpServer,
};
use core::fmt;
use hmac::{KeyInit, Mac};
use zeroize::Zeroizing;

/// Version of the pre-login messages.
pub const PRELOGIN_VERSION: u8 = 1;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

fn check_version(v: u8, what: &'static str) -> Result<()> {
    if v != PRELOGIN_VERSION {
        return Err(Error::UnsupportedVersion { what, version: v });
    }
    Ok(())
}

fn check_identifier(identifier: &str, what: &'static str) -> Result<()> {
    if identifier.is_empty() || identifier.len() > crate::srp::MAX_IDENTIFIER_LEN {
        return Err(Error::malformed(what, "identifier must be 1 to 256 bytes"));
    }
    Ok(())
}

/// Pre-login request, client → server: `{"v":1,"identifier":"..."}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "PreloginRequestWire")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PreloginRequest {
    v: u8,
    identifier: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PreloginRequestWire {
    v: u8,
    identifier: String,
}

impl TryFrom<PreloginRequestWire> for PreloginRequest {
    type Error = Error;
    fn try_from(w: PreloginRequestWire) -> Result<Self> {
        check_version(w.v, "pre-login request")?;
        PreloginRequest::new(w.identifier)
    }
}

impl PreloginRequest {
    /// A request for `identifier` (1 to 256 bytes of UTF-8).
    pub fn new(identifier: String) -> Result<Self> {
        check_identifier(&identifier, "pre-login request")?;
        Ok(PreloginRequest {
            v: PRELOGIN_VERSION,
            identifier,
        })
    }
    /// The identifier asked about.
    pub fn identifier(&self) -> &str {
        &self.identifier
    }
    /// The JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    /// Parses and validates the JSON form. Never panics.
    pub fn from_json(json: &str) -> Result<Self> {
        let w: PreloginRequestWire = crate::encoding::json_from_str(json)
            .map_err(|_| Error::malformed("pre-login request", "invalid JSON"))?;
        Self::try_from(w)
    }
}

/// The SRP part of a pre-login answer: the account's group and SRP salt.
/// JSON: `{"group":"rfc5054-3072","salt":<16 B>}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SrpPrelogin {
    group: SrpGroup,
    #[serde(with = "crate::encoding::b64_array")]
    #[cfg_attr(feature = "ts", ts(type = "Base64Url"))]
    salt: [u8; SALT_LEN],
}

impl SrpPrelogin {
    /// The group to start the SRP login in.
    pub fn group(&self) -> SrpGroup {
        self.group
    }
    /// The SRP salt (also sent again in the server's challenge).
    pub fn salt(&self) -> &[u8; SALT_LEN] {
        &self.salt
    }
}

impl From<&SrpRegistration> for SrpPrelogin {
    fn from(r: &SrpRegistration) -> Self {
        SrpPrelogin {
            group: r.group(),
            salt: *r.salt(),
        }
    }
}

/// Pre-login answer, server → client (see the module docs for the JSON).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "PreloginResponseWire")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "PreloginResponseJson"))]
pub struct PreloginResponse {
    v: u8,
    kdf: KdfConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    srp: Option<SrpPrelogin>,
    /// The identifier to use inside the PAKE, when it is not the canonical
    /// form of the one asked about: only accounts created before
    /// identifiers were normalised, until their next password change.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    identifier: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PreloginResponseWire {
    v: u8,
    kdf: KdfConfig,
    #[serde(default)]
    srp: Option<SrpPrelogin>,
    #[serde(default)]
    identifier: Option<String>,
}

impl TryFrom<PreloginResponseWire> for PreloginResponse {
    type Error = Error;
    fn try_from(w: PreloginResponseWire) -> Result<Self> {
        check_version(w.v, "pre-login response")?;
        if let Some(i) = &w.identifier {
            check_identifier(i, "pre-login PAKE identifier")?;
        }
        Ok(PreloginResponse {
            identifier: w.identifier,
            ..PreloginResponse::new(w.kdf, w.srp)
        })
    }
}

impl PreloginResponse {
    /// An answer from its parts.
    pub fn new(kdf: KdfConfig, srp: Option<SrpPrelogin>) -> Self {
        PreloginResponse {
            v: PRELOGIN_VERSION,
            kdf,
            srp,
            identifier: None,
        }
    }

    /// The same answer, telling the client to run the PAKE with
    /// `identifier` (an account whose login record predates identifier
    /// normalisation and was made with that exact spelling).
    pub fn with_pake_identifier(mut self, identifier: String) -> Self {
        self.identifier = Some(identifier);
        self
    }

    /// The identifier the PAKE (SRP's `I`, OPAQUE's credential identifier)
    /// must use, given the canonical one the client asked about: the
    /// server's legacy spelling if it sent one, else `canonical`.
    pub fn pake_identifier<'a>(&'a self, canonical: &'a str) -> &'a str {
        self.identifier.as_deref().unwrap_or(canonical)
    }
    /// The real answer for an existing SRP account.
    pub fn for_srp_account(kdf: KdfConfig, record: &SrpRegistration) -> Self {
        Self::new(kdf, Some(SrpPrelogin::from(record)))
    }
    /// The KDF config as sent, unchecked.
    pub fn kdf(&self) -> &KdfConfig {
        &self.kdf
    }
    /// The KDF config after checking its params against the client's policy:
    /// what a client should use, since a hostile server picks these values.
    pub fn checked_kdf(&self, policy: &KdfPolicy) -> Result<KdfConfig> {
        policy.check(&self.kdf.params)?;
        Ok(self.kdf)
    }
    /// The SRP group and salt, if the account uses SRP.
    pub fn srp(&self) -> Option<&SrpPrelogin> {
        self.srp.as_ref()
    }
    /// The JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    /// Parses and validates the JSON form. Never panics.
    pub fn from_json(json: &str) -> Result<Self> {
        let w: PreloginResponseWire = crate::encoding::json_from_str(json)
            .map_err(|_| Error::malformed("pre-login response", "invalid JSON"))?;
        Self::try_from(w)
    }
}

/// The server half of pre-login and of SRP's first step for unknown accounts.
///
/// Keep `server_secret` stable across restarts and nodes (from the server's
/// config or KMS): rotating it changes every fake answer, which an observer
/// could notice. `Debug` is redacted.
pub struct PreloginServer {
    secret: SymmetricKey,
    kdf_params: KdfParams,
    srp_group: SrpGroup,
    /// The deployment's kinds of accounts, with weights ([`FakeProfile`]).
    mix: Vec<FakeProfile>,
}

/// What one kind of account of a deployment looks like at pre-login: its
/// login protocol (and SRP group) and KDF params. A server hands unknown
/// identifiers fakes drawn from its accounts' mix of these, so an account
/// of a rarer kind (a 4096-bit SRP group, stronger KDF params, SRP on an
/// OPAQUE server) does not stand out as real.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FakeProfile {
    /// `Some(group)` for SRP accounts, `None` for OPAQUE.
    pub srp_group: Option<SrpGroup>,
    /// The KDF params.
    pub kdf_params: KdfParams,
    /// How many accounts are of this kind (relative weight).
    pub weight: u64,
}

impl fmt::Debug for PreloginServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreloginServer")
            .field("kdf_params", &self.kdf_params)
            .field("srp_group", &self.srp_group)
            .finish_non_exhaustive()
    }
}

impl PreloginServer {
    /// `kdf_params` and `srp_group` should be what new accounts get, so fakes
    /// blend in with recent real accounts.
    pub fn new(server_secret: SymmetricKey, kdf_params: KdfParams, srp_group: SrpGroup) -> Self {
        PreloginServer {
            secret: server_secret,
            kdf_params,
            srp_group,
            mix: Vec::new(),
        }
    }

    /// Fakes drawn from this mix of account kinds (zero weights ignored;
    /// an empty mix means the kind given to [`new`](Self::new), with the
    /// protocol chosen by which `respond*` method is called). Each unknown
    /// identifier gets one kind, picked by `HMAC(secret, "VLT1 prelogin fake
    /// profile" || 0x00 || identifier)` read as a big-endian u64 modulo the
    /// total weight, walking the profiles in order.
    pub fn with_mix(mut self, mix: &[FakeProfile]) -> Self {
        self.mix = mix.iter().copied().filter(|p| p.weight > 0).collect();
        self
    }

    /// The kind an unknown identifier pretends to be, if a mix is set.
    pub fn fake_profile(&self, identifier: &str) -> Result<Option<FakeProfile>> {
        let total: u64 = self
            .mix
            .iter()
            .fold(0u64, |t, p| t.saturating_add(p.weight));
        if total == 0 {
            return Ok(None);
        }
        let t = self.mac(&[b"VLT1 prelogin fake profile", &[0], identifier.as_bytes()])?;
        let mut first = [0u8; 8];
        first.iter_mut().zip(t.iter()).for_each(|(o, b)| *o = *b);
        let mut pick = u64::from_be_bytes(first) % total;
        for p in &self.mix {
            if pick < p.weight {
                return Ok(Some(*p));
            }
            pick -= p.weight;
        }
        Ok(self.mix.last().copied())
    }

    fn mac(&self, parts: &[&[u8]]) -> Result<Zeroizing<[u8; 32]>> {
        let mut m = <HmacSha256 as KeyInit>::new_from_slice(self.secret.expose_secret())
            .map_err(|_| Error::InvalidArgument("HMAC key"))?;
        for p in parts {
            m.update(p);
        }
        Ok(Zeroizing::new(m.finalize().into_bytes().into()))
    }

    fn salt16(&self, label: &[u8], identifier: &str) -> Result<[u8; 16]> {
        let t = self.mac(&[label, &[0], identifier.as_bytes()])?;
        // The first 16 bytes of the 32-byte MAC.
        let mut out = [0u8; 16];
        out.iter_mut().zip(t.iter()).for_each(|(o, b)| *o = *b);
        Ok(out)
    }

    /// A fake SRP salt: [`Self::salt16`], except that a zero first byte is
    /// replaced by the first non-zero byte of the MAC's second half (1 if
    /// all are zero, probability 2^-128). Real salts never start with 0
    /// (see `SrpClient::register`), and the first non-zero byte of uniform
    /// bytes is uniform over 1..=255, as a redrawn real one is.
    fn srp_salt16(&self, identifier: &str) -> Result<[u8; 16]> {
        let label: &[u8] = b"VLT1 prelogin fake srp-salt";
        let t = self.mac(&[label, &[0], identifier.as_bytes()])?;
        let mut out = [0u8; 16];
        out.iter_mut().zip(t.iter()).for_each(|(o, b)| *o = *b);
        if out[0] == 0 {
            out[0] = t.iter().skip(16).copied().find(|b| *b != 0).unwrap_or(1);
        }
        Ok(out)
    }

    /// Answers for an identifier: the real answer if `account` is given
    /// (its KDF config and SRP record), else the deterministic fake.
    pub fn respond(
        &self,
        identifier: &str,
        account: Option<(&KdfConfig, &SrpRegistration)>,
    ) -> Result<PreloginResponse> {
        match account {
            Some((kdf, record)) => Ok(PreloginResponse::for_srp_account(*kdf, record)),
            None => self.fake_response(identifier),
        }
    }

    /// The fake answer for an unknown identifier on a server whose new
    /// accounts use `opaque` (or SRP): [`respond_opaque`](Self::respond_opaque)
    /// or [`respond`](Self::respond) with no account.
    pub fn respond_unknown(&self, identifier: &str, opaque: bool) -> Result<PreloginResponse> {
        if opaque {
            self.respond_opaque(identifier, None)
        } else {
            self.respond(identifier, None)
        }
    }

    /// Pre-login for a server whose accounts use OPAQUE: the real KDF config,
    /// or for an unknown identifier the same deterministic fake KDF config as
    /// [`fake_response`](Self::fake_response), without an `srp` part. The
    /// login that follows uses OPAQUE's own fake record
    /// (`opaque::ServerLogin::start` with no record), so unknown accounts stay
    /// indistinguishable from wrong passwords end to end.
    pub fn respond_opaque(
        &self,
        identifier: &str,
        kdf: Option<&KdfConfig>,
    ) -> Result<PreloginResponse> {
        match kdf {
            Some(kdf) => Ok(PreloginResponse::new(*kdf, None)),
            // With a mix, the fake is whatever kind the identifier draws.
            None if !self.mix.is_empty() => self.fake_response(identifier),
            None => Ok(PreloginResponse::new(
                *self.fake_response(identifier)?.kdf(),
                None,
            )),
        }
    }

    /// The fake answer for an identifier with no account, as an SRP account
    /// (or, with a mix set, as whichever kind [`fake_profile`](Self::fake_profile)
    /// picks for it: OPAQUE kinds have no `srp` part).
    pub fn fake_response(&self, identifier: &str) -> Result<PreloginResponse> {
        check_identifier(identifier, "pre-login identifier")?;
        let profile = self.fake_profile(identifier)?;
        let kdf = KdfConfig {
            params: profile.map_or(self.kdf_params, |p| p.kdf_params),
            salt: KdfSalt(self.salt16(b"VLT1 prelogin fake kdf-salt", identifier)?),
        };
        let group = match profile {
            None => Some(self.srp_group),
            Some(p) => p.srp_group,
        };
        let srp = match group {
            Some(group) => Some(SrpPrelogin {
                group,
                salt: self.srp_salt16(identifier)?,
            }),
            None => None,
        };
        Ok(PreloginResponse::new(kdf, srp))
    }

    /// The SRP group of an unknown identifier's fake record: its profile's,
    /// if it pretends to be an SRP account, else the default group (what a
    /// real OPAQUE account's fake SRP answer uses too).
    fn fake_group(&self, identifier: &str) -> Result<SrpGroup> {
        Ok(self
            .fake_profile(identifier)?
            .and_then(|p| p.srp_group)
            .unwrap_or(self.srp_group))
    }

    /// The fake SRP record for an identifier with no account: the fake SRP
    /// salt of [`PreloginServer::fake_response`] and a verifier nobody can log
    /// in against. Never store it.
    pub fn fake_srp_record(&self, identifier: &str) -> Result<SrpRegistration> {
        check_identifier(identifier, "pre-login identifier")?;
        let group = self.fake_group(identifier)?;
        let gp = group.params()?;
        let want = gp.n_bytes.len().saturating_add(32);
        let mut wide = Zeroizing::new(Vec::with_capacity(want + 32));
        let mut i: u8 = 1;
        while wide.len() < want {
            let t = self.mac(&[
                b"VLT1 prelogin fake srp-verifier",
                &[0],
                group.name().as_bytes(),
                &[0, i],
                identifier.as_bytes(),
            ])?;
            wide.extend_from_slice(&t[..]);
            i = i.wrapping_add(1);
        }
        wide.truncate(want);
        let mut verifier = crate::srp::reduce_wide(&wide, gp)?;
        // v == 0 has probability 2^-3072; 1 keeps the record well formed.
        if verifier.iter().all(|&b| b == 0)
            && let Some(last) = verifier.last_mut()
        {
            *last = 1;
        }
        let salt = self.srp_salt16(identifier)?;
        SrpRegistration::new(group, salt, verifier)
    }

    /// SRP login step 2 for `hello.identifier()`: with the stored record if the
    /// account exists (`Some`), else with [`PreloginServer::fake_srp_record`].
    /// Either way the same code runs and the answer has the same shape.
    pub fn srp_start(
        &self,
        record: Option<&SrpRegistration>,
        hello: &ClientHello,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(ServerAwaitingClientProof, ServerChallenge)> {
        match record {
            Some(r) => SrpServer::start(r, hello, rng),
            None => SrpServer::start(&self.fake_srp_record(hello.identifier())?, hello, rng),
        }
    }
}
