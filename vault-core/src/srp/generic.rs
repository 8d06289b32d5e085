//! The SRP-6a state machines, generic over the hash.
//!
//! Applications use the SHA-256 aliases in [`crate::srp`] ([`crate::srp::SrpClient`]
//! and friends). The generic forms exist so the RFC 5054 Appendix B vectors
//! (SHA-1) run through exactly the same code; wire version 1 is SHA-256 only,
//! and the JSON decoders of the proofs insist on 32-byte values.
//!
//! Each transition consumes `self`, so a state cannot be used twice:
//!
//! ```compile_fail,E0382
//! use vault_core::srp::*;
//! # fn f(state: ServerAwaitingClientProof, p: ClientProof) {
//! let _ = state.finish(&p);
//! let _ = state.finish(&p); // error[E0382]: use of moved value
//! # }
//! ```

use super::groups::SrpGroup;
use super::math;
use super::messages::{
    ClientHello, ClientProof, EPHEMERAL_LEN, SALT_LEN, SRP_WIRE_VERSION, ServerChallenge,
    ServerProof, SrpRegistration, check_identifier, check_version, parse_json,
};
use crate::encoding::b64_vec;
use crate::error::{Error, Result};
use crate::secret::{SecretBytes, SecretString, SymmetricKey};
use core::fmt;
use core::marker::PhantomData;
use sha2::digest::Digest;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// `P`, the SRP password for an auth key: its 64-character lowercase hex
/// encoding, as ASCII bytes. Give this string to any standard RFC 5054 client
/// to interoperate with Vault.
///
/// ```
/// use vault_core::{srp, SymmetricKey};
/// let p = srp::generic::password_for_auth_key(&SymmetricKey::from_bytes([0xab; 32]));
/// assert_eq!(p.expose_secret(), "ab".repeat(32).as_bytes());
/// ```
pub fn password_for_auth_key(auth_key: &SymmetricKey) -> SecretBytes {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(64);
    for &b in auth_key.expose_secret() {
        out.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
        out.push(HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0'));
    }
    SecretBytes::from(out)
}

/// `k = H(N | PAD(g))`, the SRP-6a multiplier.
pub fn compute_k<D: Digest>(group: SrpGroup) -> Result<Vec<u8>> {
    Ok(math::k::<D>(group.params()?).to_vec())
}

/// `u = H(PAD(A) | PAD(B))`. `a_pub` and `b_pub` must be `len(N)` bytes and
/// in `[1, N)`; a zero `u` is an error.
pub fn compute_u<D: Digest>(group: SrpGroup, a_pub: &[u8], b_pub: &[u8]) -> Result<Vec<u8>> {
    let gp = group.params()?;
    math::check_public(a_pub, gp, "SRP A")?;
    math::check_public(b_pub, gp, "SRP B")?;
    Ok(math::u::<D>(a_pub, b_pub)?.to_vec())
}

/// `x = H(s | H(I | ":" | P))` (big-endian; secret).
pub fn compute_x<D: Digest>(salt: &[u8], identifier: &str, password: &[u8]) -> SecretBytes {
    let ih = math::identity_hash::<D>(identifier.as_bytes(), password);
    SecretBytes::from(math::x::<D>(salt, &ih))
}

fn draw_ephemeral(rng: &mut impl rand_core::CryptoRng) -> Result<Zeroizing<[u8; EPHEMERAL_LEN]>> {
    let mut e = Zeroizing::new([0u8; EPHEMERAL_LEN]);
    rng.fill_bytes(&mut e[..]);
    // Only a broken RNG returns 384 zero bits; an exponent of 0 would make A or B public knowledge.
    if e.iter().all(|&b| b == 0) {
        return Err(Error::InvalidArgument("the RNG returned all zeros"));
    }
    Ok(e)
}

// ---------------------------------------------------------------------------
// Client

/// The client half: registration and the start of a login. Not constructed;
/// its functions are the entry points.
pub struct SrpClient<D>(PhantomData<fn() -> D>);

impl<D: Digest> SrpClient<D> {
    /// Registration (and password change): draws a fresh 16-byte salt and
    /// computes the verifier for `identifier` and the auth key. Send the
    /// result to the server over an authenticated channel; it replaces any
    /// previous verifier.
    ///
    /// RNG use: one `fill_bytes` of 16 bytes (the salt), then, while the
    /// salt's first byte is 0, one more byte to replace it. A salt never
    /// starts with a zero byte: some SRP clients (OpenSSL-backed ones among
    /// them) pass the salt through a big integer, which drops a leading
    /// zero and changes `x`, so about 1 account in 256 could not log in
    /// from them. The fake salts of pre-login follow the same rule
    /// ([`crate::prelogin`]), so the two stay indistinguishable.
    ///
    /// ```
    /// use vault_core::{srp::{SrpClient, SrpGroup}, SymmetricKey};
    /// let mut rng = vault_core::rng::os_rng();
    /// let auth_key = SymmetricKey::generate(&mut rng);
    /// let reg = SrpClient::register("alice@example.com", &auth_key, SrpGroup::default(), &mut rng)?;
    /// assert_eq!(reg.verifier().len(), 384);
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn register(
        identifier: &str,
        auth_key: &SymmetricKey,
        group: SrpGroup,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<SrpRegistration> {
        Self::register_password(
            identifier,
            password_for_auth_key(auth_key).expose_secret(),
            group,
            rng,
        )
    }

    /// [`SrpClient::register`] with a raw password `P` instead of an auth key
    /// (the RFC 5054 vectors and bridging other SRP deployments).
    #[cfg(feature = "hazmat")]
    pub fn register_with_password(
        identifier: &str,
        password: &[u8],
        group: SrpGroup,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<SrpRegistration> {
        Self::register_password(identifier, password, group, rng)
    }

    fn register_password(
        identifier: &str,
        password: &[u8],
        group: SrpGroup,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<SrpRegistration> {
        check_identifier(identifier, "SRP identifier").map_err(as_argument)?;
        let gp = group.params()?;
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        while salt[0] == 0 {
            let mut b = [0u8; 1];
            rng.fill_bytes(&mut b);
            salt[0] = b[0];
        }
        let ih = math::identity_hash::<D>(identifier.as_bytes(), password);
        let x = math::x::<D>(&salt, &ih);
        SrpRegistration::new(group, salt, math::verifier(&x, gp)?)
    }

    /// Login step 1: draws `a`, computes `A = g^a`, and returns the state to
    /// keep plus the [`ClientHello`] to send. `group` comes from pre-login.
    ///
    /// RNG use: one `fill_bytes` of 48 bytes (`a`, big-endian).
    ///
    /// ```
    /// use vault_core::{srp::*, SymmetricKey};
    /// let mut rng = vault_core::rng::os_rng();
    /// let auth_key = SymmetricKey::generate(&mut rng);
    /// let record = SrpClient::register("alice", &auth_key, SrpGroup::default(), &mut rng)?;
    ///
    /// let (client, hello) = SrpClient::start("alice", &auth_key, record.group(), &mut rng)?;
    /// let (server, challenge) = SrpServer::start(&record, &hello, &mut rng)?;
    /// let server = ServerAwaitingClientProof::from_json(server.to_json().expose_secret())?; // persisted between requests
    /// let (client, proof) = client.process_challenge(&challenge)?;
    /// let (server_proof, server_key) = server.finish(&proof)?;
    /// let client_key = client.verify_server(&server_proof)?;
    /// assert_eq!(client_key, server_key);
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn start(
        identifier: &str,
        auth_key: &SymmetricKey,
        group: SrpGroup,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(ClientAwaitingChallenge<D>, ClientHello)> {
        Self::start_password(
            identifier,
            password_for_auth_key(auth_key).expose_secret(),
            group,
            rng,
        )
    }

    /// [`SrpClient::start`] with a raw password `P` instead of an auth key.
    #[cfg(feature = "hazmat")]
    pub fn start_with_password(
        identifier: &str,
        password: &[u8],
        group: SrpGroup,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(ClientAwaitingChallenge<D>, ClientHello)> {
        Self::start_password(identifier, password, group, rng)
    }

    fn start_password(
        identifier: &str,
        password: &[u8],
        group: SrpGroup,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(ClientAwaitingChallenge<D>, ClientHello)> {
        check_identifier(identifier, "SRP identifier").map_err(as_argument)?;
        let gp = group.params()?;
        let a = draw_ephemeral(rng)?;
        let a_pub = math::pad(&gp.g.pow(&*math::exponent(&a[..])?)).to_vec();
        let hello = ClientHello::new(group, identifier.to_owned(), a_pub.clone())?;
        let state = ClientAwaitingChallenge {
            group,
            identifier: identifier.to_owned(),
            identity_hash: math::identity_hash::<D>(identifier.as_bytes(), password).to_vec(),
            a: a.to_vec(),
            a_pub,
            _hash: PhantomData,
        };
        Ok((state, hello))
    }
}

fn as_argument(_: Error) -> Error {
    Error::InvalidArgument("SRP identifier must be 1 to 256 bytes of UTF-8")
}

/// Client state after [`SrpClient::start`]: waiting for the [`ServerChallenge`].
/// Holds `a` and `H(I | ":" | P)`; zeroized on drop, redacted in `Debug`.
pub struct ClientAwaitingChallenge<D> {
    group: SrpGroup,
    identifier: String,
    identity_hash: Vec<u8>,
    a: Vec<u8>,
    a_pub: Vec<u8>,
    _hash: PhantomData<fn() -> D>,
}

impl<D> Drop for ClientAwaitingChallenge<D> {
    fn drop(&mut self) {
        self.identity_hash.zeroize();
        self.a.zeroize();
    }
}

impl<D> fmt::Debug for ClientAwaitingChallenge<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAwaitingChallenge")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl<D: Digest> ClientAwaitingChallenge<D> {
    /// Login step 3: checks `B` (and `u`), computes `S`, `K` and `M1`, and
    /// returns the state that waits for `M2` plus the [`ClientProof`] to send.
    ///
    /// Errors: [`Error::InvalidPeerValue`] for a group other than the one the
    /// login started with, `B mod N == 0`, or `u == 0`.
    pub fn process_challenge(
        self,
        challenge: &ServerChallenge,
    ) -> Result<(ClientAwaitingServerProof<D>, ClientProof)> {
        if challenge.group() != self.group {
            return Err(Error::InvalidPeerValue(
                "SRP group differs from the one the login started with",
            ));
        }
        let gp = self.group.params()?;
        // ServerChallenge guarantees this already; checked again because the
        // whole protocol's security rests on it.
        math::check_public(challenge.b_pub(), gp, "SRP B")?;
        let u = math::u::<D>(&self.a_pub, challenge.b_pub())?;
        let x = math::x::<D>(challenge.salt(), &self.identity_hash);
        let k = math::k::<D>(gp);
        let premaster = math::client_premaster(gp, &k, challenge.b_pub(), &x, &self.a, &u)?;
        let key = math::session_key::<D>(&premaster);
        let m1 = math::m1::<D>(
            gp,
            self.identifier.as_bytes(),
            challenge.salt(),
            &self.a_pub,
            challenge.b_pub(),
            &key,
        );
        let m2 = math::m2::<D>(&self.a_pub, &m1, &key);
        let next = ClientAwaitingServerProof {
            m2: m2.to_vec(),
            key: SecretBytes::from(key),
            #[cfg(feature = "hazmat")]
            premaster: SecretBytes::from(premaster),
            _hash: PhantomData,
        };
        Ok((next, ClientProof::unchecked(m1.to_vec())))
    }
}

/// Client state after sending `M1`: waiting for the [`ServerProof`].
/// Holds the session key; zeroized on drop, redacted in `Debug`.
pub struct ClientAwaitingServerProof<D> {
    m2: Vec<u8>,
    key: SecretBytes,
    #[cfg(feature = "hazmat")]
    premaster: SecretBytes,
    _hash: PhantomData<fn() -> D>,
}

impl<D> Drop for ClientAwaitingServerProof<D> {
    fn drop(&mut self) {
        self.m2.zeroize();
    }
}

impl<D> fmt::Debug for ClientAwaitingServerProof<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientAwaitingServerProof(<redacted>)")
    }
}

impl<D: Digest> ClientAwaitingServerProof<D> {
    /// Login step 5: checks `M2` in constant time and returns the session key
    /// `K = H(S)`. The key is released only here, once the server has proved
    /// it knows the verifier.
    ///
    /// Errors: [`Error::AuthenticationFailed`] if `M2` does not match.
    pub fn verify_server(self, proof: &ServerProof) -> Result<SecretBytes> {
        if bool::from(self.m2.as_slice().ct_eq(proof.m2())) {
            Ok(self.key.clone())
        } else {
            Err(Error::AuthenticationFailed)
        }
    }

    /// The premaster secret `S` (`PAD(S)`, `len(N)` bytes), for vector tests.
    #[cfg(feature = "hazmat")]
    pub fn premaster_secret(&self) -> &SecretBytes {
        &self.premaster
    }
}

// ---------------------------------------------------------------------------
// Server

/// The server half's entry point. Not constructed.
pub struct SrpServer<D>(PhantomData<fn() -> D>);

impl<D: Digest> SrpServer<D> {
    /// Login step 2: from the stored record and the client's hello, draws `b`,
    /// computes `B = k*v + g^b`, and returns the state to persist until the
    /// client's proof arrives plus the [`ServerChallenge`] to send.
    ///
    /// The record must be the one stored for `hello.identifier()`. For an
    /// unknown identifier use [`crate::prelogin::PreloginServer::srp_start`],
    /// which runs this same function on a deterministic fake record.
    ///
    /// RNG use: one `fill_bytes` of 48 bytes (`b`, big-endian).
    ///
    /// Errors: [`Error::InvalidPeerValue`] if the hello's group is not the
    /// record's, or `u == 0`.
    pub fn start(
        record: &SrpRegistration,
        hello: &ClientHello,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(ServerAwaitingClientProof<D>, ServerChallenge)> {
        let group = record.group();
        if hello.group() != group {
            return Err(Error::InvalidPeerValue(
                "SRP group does not match the account",
            ));
        }
        let gp = group.params()?;
        math::check_public(hello.a_pub(), gp, "SRP A")?;
        let b = draw_ephemeral(rng)?;
        let k = math::k::<D>(gp);
        let b_pub = math::server_public(gp, &k, record.verifier(), &b[..])?;
        // B == 0 needs g^b == -k*v: a discrete logarithm. Checked anyway.
        math::check_public(&b_pub, gp, "SRP B")?;
        math::u::<D>(hello.a_pub(), &b_pub)?;
        let challenge = ServerChallenge::new(group, *record.salt(), b_pub.clone())?;
        let state = ServerAwaitingClientProof {
            group,
            identifier: hello.identifier().to_owned(),
            salt: *record.salt(),
            verifier: record.verifier().to_vec(),
            a_pub: hello.a_pub().to_vec(),
            b_pub,
            b: b.to_vec(),
            _hash: PhantomData,
        };
        Ok((state, challenge))
    }
}

/// Server state between login steps 2 and 4. Persist it with
/// [`ServerAwaitingClientProof::to_json`] between the two HTTP requests.
///
/// It contains the secret ephemeral `b`: keep it server-side (never send it to
/// the client), give it a short lifetime, and delete it when you load it, so
/// it can be finished at most once (the core cannot see your storage; in
/// memory, `finish` consuming `self` enforces this). Zeroized on drop,
/// redacted in `Debug`.
pub struct ServerAwaitingClientProof<D> {
    group: SrpGroup,
    identifier: String,
    salt: [u8; SALT_LEN],
    verifier: Vec<u8>,
    a_pub: Vec<u8>,
    b_pub: Vec<u8>,
    b: Vec<u8>,
    _hash: PhantomData<fn() -> D>,
}

impl<D> Drop for ServerAwaitingClientProof<D> {
    fn drop(&mut self) {
        self.b.zeroize();
        self.verifier.zeroize();
    }
}

impl<D> fmt::Debug for ServerAwaitingClientProof<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerAwaitingClientProof")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Serialize)]
struct ServerStateRef<'a> {
    v: u8,
    group: SrpGroup,
    identifier: &'a str,
    #[serde(with = "b64_vec")]
    salt: &'a [u8],
    #[serde(with = "b64_vec")]
    verifier: &'a [u8],
    #[serde(with = "b64_vec")]
    a_pub: &'a [u8],
    #[serde(with = "b64_vec")]
    b_pub: &'a [u8],
    #[serde(with = "b64_vec")]
    b: &'a [u8],
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerStateWire {
    v: u8,
    group: SrpGroup,
    identifier: String,
    #[serde(with = "b64_vec")]
    salt: Vec<u8>,
    #[serde(with = "b64_vec")]
    verifier: Vec<u8>,
    #[serde(with = "b64_vec")]
    a_pub: Vec<u8>,
    #[serde(with = "b64_vec")]
    b_pub: Vec<u8>,
    #[serde(with = "b64_vec")]
    b: Vec<u8>,
}

impl Drop for ServerStateWire {
    fn drop(&mut self) {
        self.b.zeroize();
    }
}

impl<D: Digest> ServerAwaitingClientProof<D> {
    /// Login step 4: computes `S = (A * v^u)^b`, `K` and the expected `M1`,
    /// compares it with the client's in constant time, and on success returns
    /// the [`ServerProof`] (`M2`) to send and the session key `K = H(S)`, which
    /// the server may bind a session token to.
    ///
    /// Errors: [`Error::AuthenticationFailed`] for a wrong password, an
    /// unknown account (fake record), or an `M1` from another session.
    pub fn finish(self, proof: &ClientProof) -> Result<(ServerProof, SecretBytes)> {
        let gp = self.group.params()?;
        let u = math::u::<D>(&self.a_pub, &self.b_pub)?;
        let premaster = math::server_premaster(gp, &self.a_pub, &self.verifier, &u, &self.b)?;
        let key = math::session_key::<D>(&premaster);
        let m1 = math::m1::<D>(
            gp,
            self.identifier.as_bytes(),
            &self.salt,
            &self.a_pub,
            &self.b_pub,
            &key,
        );
        if !bool::from(m1.as_slice().ct_eq(proof.m1())) {
            return Err(Error::AuthenticationFailed);
        }
        let m2 = math::m2::<D>(&self.a_pub, &m1, &key);
        Ok((ServerProof::unchecked(m2.to_vec()), SecretBytes::from(key)))
    }

    /// The identifier this login is for (e.g. to key the persisted state).
    pub fn identifier(&self) -> &str {
        &self.identifier
    }

    /// The group of this login.
    pub fn group(&self) -> SrpGroup {
        self.group
    }

    /// The persisted form, secret because it contains `b`:
    /// `{"v":1,"group":..,"identifier":..,"salt":<16 B>,"verifier":<len(N) B>,"a_pub":<len(N) B>,"b_pub":<len(N) B>,"b":<48 B>}`
    /// (binary fields unpadded base64url).
    pub fn to_json(&self) -> SecretString {
        let r = ServerStateRef {
            v: SRP_WIRE_VERSION,
            group: self.group,
            identifier: &self.identifier,
            salt: &self.salt,
            verifier: &self.verifier,
            a_pub: &self.a_pub,
            b_pub: &self.b_pub,
            b: &self.b,
        };
        // Sized up front so the buffer holding `b` is never reallocated (and
        // an unzeroized copy left behind).
        let cap = 256 + self.identifier.len() * 6 + (3 * self.verifier.len() + 64) * 4 / 3;
        let mut buf = Zeroizing::new(Vec::with_capacity(cap));
        // Writing plain strings into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *buf, &r);
        SecretString::from(String::from_utf8(core::mem::take(&mut *buf)).unwrap_or_default())
    }

    /// Parses and validates a persisted state. Never panics.
    pub fn from_json(json: &str) -> Result<Self> {
        const WHAT: &str = "SRP server state";
        let w: ServerStateWire = parse_json(json, WHAT)?;
        check_version(w.v, WHAT)?;
        check_identifier(&w.identifier, WHAT)?;
        let gp = w.group.params()?;
        let salt: [u8; SALT_LEN] = w
            .salt
            .as_slice()
            .try_into()
            .map_err(|_| Error::malformed(WHAT, "salt must be 16 bytes"))?;
        math::check_public(&w.verifier, gp, "SRP verifier")?;
        math::check_public(&w.a_pub, gp, "SRP A")?;
        math::check_public(&w.b_pub, gp, "SRP B")?;
        if w.b.len() != EPHEMERAL_LEN {
            return Err(Error::malformed(WHAT, "b must be 48 bytes"));
        }
        Ok(ServerAwaitingClientProof {
            group: w.group,
            identifier: w.identifier.clone(),
            salt,
            verifier: w.verifier.clone(),
            a_pub: w.a_pub.clone(),
            b_pub: w.b_pub.clone(),
            b: w.b.clone(),
            _hash: PhantomData,
        })
    }
}
