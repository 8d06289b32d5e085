//! Password stretching (Argon2id) and the subkeys derived from it.
//!
//! ```text
//! password ──NFKD──▶ Argon2id(params, salt) ──▶ stretched (32 B)
//!                     [⊕ HKDF(Secret Key, salt, "VLT1 secret-key")]   (2SKD, optional)
//! stretched ──HKDF-Extract(salt "VLT1 stretched")──▶ PRK
//!     ├─ HKDF-Expand(PRK, "VLT1 auth") ──▶ auth key   (password input of SRP / OPAQUE)
//!     └─ HKDF-Expand(PRK, "VLT1 kek")  ──▶ master KEK (wraps the account key)
//! ```
//!
//! Parameters that arrive from a server go through [`KdfPolicy::check`] first:
//! a hostile server can neither downgrade the work factor below the floor nor
//! push the client past the ceiling of memory, time or threads.

use crate::error::{Error, Result};
use crate::secret::SymmetricKey;
use crate::secret_key::SecretKey;
use hkdf::Hkdf;
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

/// Argon2id parameters (version 0x13 always). Plain data: serialisable, comparable.
///
/// ```
/// use vault_core::KdfParams;
/// let p = KdfParams::DEFAULT;
/// assert_eq!((p.memory_kib, p.iterations, p.parallelism), (65536, 3, 4));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KdfParams {
    /// Memory in KiB (`m`).
    pub memory_kib: u32,
    /// Passes over memory (`t`).
    pub iterations: u32,
    /// Lanes (`p`); computed in parallel where the platform allows.
    pub parallelism: u32,
}

impl KdfParams {
    /// 64 MiB, t=3, p=4: the default for new accounts on every platform.
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 4,
    };
    /// 32 MiB, t=4, p=2: constrained devices (old phones, browser extensions
    /// under memory pressure). Similar cost in time, half the memory.
    pub const CONSTRAINED: KdfParams = KdfParams {
        memory_kib: 32 * 1024,
        iterations: 4,
        parallelism: 2,
    };
    /// 256 MiB, t=4, p=4: high-value accounts on desktops and servers.
    pub const SENSITIVE: KdfParams = KdfParams {
        memory_kib: 256 * 1024,
        iterations: 4,
        parallelism: 4,
    };
    /// Tiny parameters for tests and test vectors only. Rejected by the default policy.
    pub const INSECURE_TEST_ONLY: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    /// The names [`preset`](Self::preset) knows, in the order of the constants above.
    pub const PRESET_NAMES: [&'static str; 3] = ["default", "constrained", "sensitive"];

    /// Looks a preset up by name: `default` ([`DEFAULT`](Self::DEFAULT)),
    /// `constrained` ([`CONSTRAINED`](Self::CONSTRAINED)), `sensitive`
    /// ([`SENSITIVE`](Self::SENSITIVE)). The names are the ones bindings and
    /// configuration files use; anything else is `invalid_argument`. The
    /// test-only parameters have no name on purpose.
    ///
    /// ```
    /// use vault_core::KdfParams;
    /// assert_eq!(KdfParams::preset("constrained")?, KdfParams::CONSTRAINED);
    /// assert_eq!(KdfParams::preset("Default").unwrap_err().code(), "invalid_argument");
    /// assert!(KdfParams::preset("insecure_test_only").is_err());
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn preset(name: &str) -> Result<KdfParams> {
        match name {
            "default" => Ok(Self::DEFAULT),
            "constrained" => Ok(Self::CONSTRAINED),
            "sensitive" => Ok(Self::SENSITIVE),
            _ => Err(Error::InvalidArgument("unknown KDF preset")),
        }
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Floor and ceiling for KDF parameters received from elsewhere.
///
/// ```
/// use vault_core::{KdfParams, KdfPolicy};
/// let policy = KdfPolicy::default();
/// assert!(policy.check(&KdfParams::DEFAULT).is_ok());
/// // A server asking for 16 KiB is downgrading us.
/// assert!(policy.check(&KdfParams { memory_kib: 16, iterations: 3, parallelism: 1 }).is_err());
/// // A server asking for 64 GiB wants to burn the device.
/// assert!(policy.check(&KdfParams { memory_kib: 64 << 20, iterations: 3, parallelism: 4 }).is_err());
/// ```
///
/// A policy is local configuration, never sent to a server; its JSON form
/// (what the JS bindings take and return) is the five fields in snake_case,
/// all required, nothing else:
///
/// ```
/// use vault_core::KdfPolicy;
/// let json = serde_json::to_string(&KdfPolicy::default())?;
/// assert_eq!(json, r#"{"min_memory_kib":19456,"max_memory_kib":1048576,"min_iterations":2,"max_iterations":10,"max_parallelism":16}"#);
/// assert_eq!(serde_json::from_str::<KdfPolicy>(&json)?, KdfPolicy::default());
/// assert!(serde_json::from_str::<KdfPolicy>(r#"{"min_memory_kib":8}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KdfPolicy {
    /// Least memory accepted (KiB).
    pub min_memory_kib: u32,
    /// Most memory accepted (KiB).
    pub max_memory_kib: u32,
    /// Fewest passes accepted.
    pub min_iterations: u32,
    /// Most passes accepted.
    pub max_iterations: u32,
    /// Most lanes accepted.
    pub max_parallelism: u32,
}

impl Default for KdfPolicy {
    /// Floor: OWASP's Argon2id minimum (19 MiB, t=2). Ceiling: 1 GiB, t=10,
    /// p=16 (a few seconds on a phone at worst).
    fn default() -> Self {
        KdfPolicy {
            min_memory_kib: 19 * 1024,
            max_memory_kib: 1024 * 1024,
            min_iterations: 2,
            max_iterations: 10,
            max_parallelism: 16,
        }
    }
}

impl KdfPolicy {
    /// A policy that accepts anything Argon2 itself accepts. For tests and vectors only.
    pub const PERMISSIVE_TEST_ONLY: KdfPolicy = KdfPolicy {
        min_memory_kib: 8,
        max_memory_kib: u32::MAX,
        min_iterations: 1,
        max_iterations: u32::MAX,
        max_parallelism: 255,
    };

    /// The names [`named`](Self::named) knows.
    pub const NAMES: [&'static str; 2] = ["default", "permissive_test_only"];

    /// Looks a policy up by name: `default` ([`KdfPolicy::default`], what
    /// clients use for parameters from a server) or `permissive_test_only`
    /// ([`PERMISSIVE_TEST_ONLY`](Self::PERMISSIVE_TEST_ONLY)). Anything else
    /// is `invalid_argument`.
    ///
    /// ```
    /// use vault_core::KdfPolicy;
    /// assert_eq!(KdfPolicy::named("default")?, KdfPolicy::default());
    /// assert_eq!(KdfPolicy::named("permissive_test_only")?, KdfPolicy::PERMISSIVE_TEST_ONLY);
    /// assert_eq!(KdfPolicy::named("lenient").unwrap_err().code(), "invalid_argument");
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn named(name: &str) -> Result<KdfPolicy> {
        match name {
            "default" => Ok(KdfPolicy::default()),
            "permissive_test_only" => Ok(Self::PERMISSIVE_TEST_ONLY),
            _ => Err(Error::InvalidArgument("unknown KDF policy")),
        }
    }

    /// Rejects parameters outside the floor and ceiling, and ones Argon2 cannot run.
    pub fn check(&self, p: &KdfParams) -> Result<()> {
        if p.parallelism == 0 || p.parallelism > 0xff_ffff {
            return Err(Error::KdfPolicy("parallelism out of range"));
        }
        if u64::from(p.memory_kib) < 8 * u64::from(p.parallelism) {
            return Err(Error::KdfPolicy("memory below 8 KiB per lane"));
        }
        if p.memory_kib < self.min_memory_kib {
            return Err(Error::KdfPolicy("memory below the floor"));
        }
        if p.memory_kib > self.max_memory_kib {
            return Err(Error::KdfPolicy("memory above the ceiling"));
        }
        if p.iterations < self.min_iterations {
            return Err(Error::KdfPolicy("iterations below the floor"));
        }
        if p.iterations > self.max_iterations {
            return Err(Error::KdfPolicy("iterations above the ceiling"));
        }
        if p.parallelism > self.max_parallelism {
            return Err(Error::KdfPolicy("parallelism above the ceiling"));
        }
        Ok(())
    }
}

/// The salt of an account's password KDF: 16 random bytes, public, stored by the server.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(rename = "Base64Url", type = "string")
)]
pub struct KdfSalt(pub [u8; 16]);

impl KdfSalt {
    /// A fresh random salt.
    pub fn generate(rng: &mut impl rand_core::CryptoRng) -> Self {
        let mut s = [0u8; 16];
        rng.fill_bytes(&mut s);
        KdfSalt(s)
    }
}

impl serde::Serialize for KdfSalt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        crate::encoding::serialize_b64(&self.0, s)
    }
}
impl<'de> serde::Deserialize<'de> for KdfSalt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        crate::encoding::deserialize_b64_array(d).map(KdfSalt)
    }
}

/// Everything public a client needs to re-derive its keys: params and salt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KdfConfig {
    /// Argon2id parameters.
    pub params: KdfParams,
    /// Per-account salt.
    pub salt: KdfSalt,
}

/// The two keys derived from a password: the auth key (sent into SRP/OPAQUE,
/// never to the server in the clear) and the master KEK (never leaves the device).
#[derive(Debug, Clone)]
pub struct MasterKeys {
    /// Password input of SRP-6a / OPAQUE.
    pub auth_key: SymmetricKey,
    /// Wraps the account key.
    pub kek: SymmetricKey,
}

/// A password as the KDF takes it: something that yields its NFKD form
/// (Unicode normalization form KD, `docs/format.md` §1.2), the exact bytes
/// Argon2id hashes.
///
/// Every string type is a `Password` (`&str`, `String`, `Zeroizing<String>`,
/// anything `AsRef<str>`) and is normalised here with the
/// `unicode-normalization` tables. [`NfkdPassword`] is a password whose NFKD
/// form was computed by another normaliser (a JavaScript engine's
/// `String.prototype.normalize`) and checked here to be exactly what the
/// tables would give. Everything that takes a password
/// ([`stretch`], [`derive_master_keys`],
/// [`UnlockedAccount::create`](crate::UnlockedAccount::create),
/// [`EncryptedAccount::unlock`](crate::EncryptedAccount::unlock),
/// [`UnlockedAccount::change_password`](crate::UnlockedAccount::change_password))
/// is generic over this trait, so a build that only ever passes
/// [`NfkdPassword`] (the WebAssembly binding) does not link the
/// decomposition tables (about 100 KB of wasm).
///
/// ```
/// use vault_core::kdf::Password;
/// // "Å" as U+212B ANGSTROM SIGN becomes "A" + U+030A COMBINING RING ABOVE.
/// assert_eq!(*"\u{212B}".to_nfkd(), "A\u{030A}");
/// assert_eq!(*String::from("plain ascii").to_nfkd(), "plain ascii");
/// ```
pub trait Password {
    /// The password's NFKD form, as UTF-8 (wiped on drop).
    fn to_nfkd(&self) -> Zeroizing<String>;
}

impl<T: AsRef<str> + ?Sized> Password for T {
    fn to_nfkd(&self) -> Zeroizing<String> {
        let s = self.as_ref();
        let mut out = Zeroizing::new(String::with_capacity(s.len().saturating_mul(2)));
        out.extend(s.nfkd());
        out
    }
}

/// A password in NFKD form, computed with an outside normaliser's character
/// decompositions and checked here, so the KDF gets exactly the bytes the
/// built-in normaliser would give (the same key on every platform) without
/// linking the decomposition tables.
///
/// [`from_normalizer`](Self::from_normalizer) takes the password and an NFKD
/// implementation (in the WebAssembly binding: the JS engine's
/// `String.prototype.normalize("NFKD")`). Engines implement other Unicode
/// versions than this crate's tables, so their answers can differ, but only
/// on characters one side does not know yet: Unicode's normalization
/// stability policy fixes the decomposition and the canonical combining
/// class of every *assigned* character forever. The construction:
///
/// 1. An ASCII password is its own NFKD form; the normaliser is not called.
/// 2. Otherwise the normaliser is called once, on a known-answer test
///    (compatibility, canonical and Hangul decompositions, mark reordering)
///    followed by each distinct non-ASCII character of the password on its
///    own line. A wrong known answer (an identity stub, a broken polyfill)
///    refuses the password. The password itself is never passed as a whole.
/// 3. Each character's decomposition is checked against this crate's
///    quick-check table: a character the tables do not decompose must come
///    back unchanged (catches an engine newer than the tables decomposing a
///    character they do not know), and one they do decompose must come back
///    changed and in NFKD (catches an engine older than the tables).
/// 4. The decompositions are concatenated in password order and put in
///    canonical order with this crate's combining classes (a stable sort of
///    each run of combining marks), which is NFKD's definition; the result is
///    checked to be NFKD.
///
/// What remains trusted is that a conforming normaliser decomposes a
/// character that both sides know the way Unicode specifies (which the
/// stability policy then makes equal to the tables). When a check fails the
/// password is refused with `invalid_argument`, never hashed differently.
///
/// ```
/// use vault_core::kdf::{NfkdPassword, Password};
/// // A stand-in for the JS engine: here, the crate's own normaliser.
/// let engine = |s: &str| -> String { s.to_nfkd().to_string() };
/// let pw = NfkdPassword::from_normalizer("pässwörd \u{212B}", engine)?;
/// assert_eq!(*pw.to_nfkd(), *"pässwörd \u{212B}".to_nfkd());
/// // A normaliser that does nothing is refused (it fails the known answers).
/// assert!(NfkdPassword::from_normalizer("pässwörd", |s: &str| s.to_owned()).is_err());
/// // ASCII needs no normaliser at all.
/// assert!(NfkdPassword::from_normalizer("hunter2", |_: &str| -> String { unreachable!() }).is_ok());
/// # Ok::<(), vault_core::Error>(())
/// ```
#[derive(Clone)]
pub struct NfkdPassword(Zeroizing<String>);

impl core::fmt::Debug for NfkdPassword {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("NfkdPassword(<redacted>)")
    }
}

/// Known answers every conforming NFKD normaliser (any Unicode version since
/// 3.2) gives: é (canonical), ﬁ (compatibility), 한 (Hangul), Å as U+212B
/// (canonical singleton), ² (compatibility), and two combining marks of
/// classes 240 and 1 that must swap.
const NFKD_KNOWN_ANSWER: (&str, &str) = (
    "\u{E9}\u{FB01}\u{D55C}\u{212B}\u{B2}a\u{345}\u{334}\n",
    "e\u{301}fi\u{1112}\u{1161}\u{11AB}A\u{30A}2a\u{334}\u{345}\n",
);

fn not_verified() -> Error {
    Error::InvalidArgument("password normalisation could not be verified")
}

/// Whether this crate's tables decompose `c` (NFKD quick check: No). Not
/// inlined: the quick-check table is one large match, compiled once.
#[inline(never)]
fn has_decomposition(c: char) -> bool {
    use unicode_normalization::{IsNormalized, is_nfkd_quick};
    !c.is_ascii() && is_nfkd_quick(core::iter::once(c)) != IsNormalized::Yes
}

/// Whether `s` is in NFKD by this crate's tables: no character decomposes
/// and combining marks are in canonical order (the quick check, which for
/// NFKD never answers "maybe").
fn is_nfkd(s: &str) -> bool {
    use unicode_normalization::char::canonical_combining_class as ccc;
    let mut last = 0;
    for c in s.chars() {
        let class = if c.is_ascii() { 0 } else { ccc(c) };
        if (class != 0 && last > class) || has_decomposition(c) {
            return false;
        }
        last = class;
    }
    true
}

impl NfkdPassword {
    /// Normalises `password` with the decompositions `normalize` (an NFKD
    /// implementation, e.g. a JS engine's `String.prototype.normalize("NFKD")`)
    /// gives for its characters, checked and reordered as described on the
    /// [type](Self); `invalid_argument` if the answer cannot be shown equal to
    /// this crate's NFKD. Calls `normalize` once, and not at all for an ASCII
    /// password.
    pub fn from_normalizer(
        password: &str,
        mut normalize: impl FnMut(&str) -> String,
    ) -> Result<Self> {
        use unicode_normalization::char::canonical_combining_class as ccc;
        if password.is_ascii() {
            return Ok(NfkdPassword(Zeroizing::new(password.to_owned())));
        }
        let mut chars: Zeroizing<Vec<char>> =
            Zeroizing::new(password.chars().filter(|c| !c.is_ascii()).collect());
        chars.sort_unstable();
        chars.dedup();
        let (kat_in, kat_out) = NFKD_KNOWN_ANSWER;
        let mut query = Zeroizing::new(String::with_capacity(kat_in.len() + chars.len() * 5));
        query.push_str(kat_in);
        for &c in chars.iter() {
            query.push(c);
            query.push('\n');
        }
        let answer = Zeroizing::new(normalize(&query));
        let rest = answer.strip_prefix(kat_out).ok_or_else(not_verified)?;
        let decompositions: Vec<&str> = rest.split_terminator('\n').collect();
        if decompositions.len() != chars.len() || !rest.ends_with('\n') {
            return Err(not_verified());
        }
        for (&c, d) in chars.iter().zip(&decompositions) {
            let unchanged = d.len() == c.len_utf8() && d.starts_with(c);
            let ok = if has_decomposition(c) {
                !unchanged && !d.is_empty() && is_nfkd(d)
            } else {
                unchanged
            };
            if !ok {
                return Err(not_verified());
            }
        }
        // Full decomposition in password order, then canonical ordering.
        let mut out: Zeroizing<Vec<char>> = Zeroizing::new(Vec::with_capacity(password.len()));
        for c in password.chars() {
            if c.is_ascii() {
                out.push(c);
            } else {
                let i = chars.binary_search(&c).map_err(|_| not_verified())?;
                let d = decompositions.get(i).ok_or_else(not_verified)?;
                out.extend(d.chars());
            }
        }
        let mut start = 0;
        while start < out.len() {
            let end = out
                .get(start..)
                .and_then(|rest| rest.iter().position(|&c| ccc(c) == 0))
                .map_or(out.len(), |n| start + n);
            if let Some(run) = out.get_mut(start..end) {
                run.sort_by_key(|&c| ccc(c)); // stable: equal classes keep their order
            }
            start = end + 1;
        }
        let normalized: Zeroizing<String> = Zeroizing::new(out.iter().collect());
        if !is_nfkd(&normalized) {
            return Err(not_verified());
        }
        Ok(NfkdPassword(normalized))
    }
}

impl Password for NfkdPassword {
    fn to_nfkd(&self) -> Zeroizing<String> {
        self.0.clone()
    }
}

/// Argon2id alone: `password` (its NFKD form, as UTF-8) stretched to 32 bytes.
///
/// ```
/// use vault_core::{kdf, KdfParams, KdfSalt};
/// let k = kdf::stretch("pw", &KdfSalt([0; 16]), &KdfParams::INSECURE_TEST_ONLY).unwrap();
/// assert_eq!(k.expose_secret().len(), 32);
/// ```
pub fn stretch(
    password: &(impl Password + ?Sized),
    salt: &KdfSalt,
    params: &KdfParams,
) -> Result<SymmetricKey> {
    let normalized = password.to_nfkd();
    argon2id_raw(normalized.as_bytes(), &salt.0, params)
}

/// Raw Argon2id (v0x13) with a 32-byte output; inputs used as given. Exposed
/// for the RFC 9106 vector suite and for PIN wraps.
pub fn argon2id_raw(password: &[u8], salt: &[u8], params: &KdfParams) -> Result<SymmetricKey> {
    argon2id_full(password, salt, &[], &[], params, 32).and_then(|v| SymmetricKey::from_slice(&v))
}

/// Argon2id with every RFC 9106 input (secret `K`, associated data `X`, any tag length).
pub fn argon2id_full(
    password: &[u8],
    salt: &[u8],
    secret: &[u8],
    ad: &[u8],
    params: &KdfParams,
    out_len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut pb = argon2::ParamsBuilder::new();
    pb.m_cost(params.memory_kib)
        .t_cost(params.iterations)
        .p_cost(params.parallelism)
        .output_len(out_len);
    if !ad.is_empty() {
        pb.data(
            argon2::AssociatedData::new(ad)
                .map_err(|_| Error::InvalidArgument("argon2 associated data too long"))?,
        );
    }
    let p = pb
        .build()
        .map_err(|_| Error::KdfPolicy("parameters Argon2 cannot run"))?;
    let a = if secret.is_empty() {
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p)
    } else {
        argon2::Argon2::new_with_secret(
            secret,
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            p,
        )
        .map_err(|_| Error::InvalidArgument("argon2 secret too long"))?
    };
    let mut out = Zeroizing::new(vec![0u8; out_len]);
    a.hash_password_into(password, salt, &mut out)
        .map_err(|_| Error::InvalidArgument("argon2 rejected the inputs (salt 8..=2^32 bytes)"))?;
    Ok(out)
}

/// Derives the auth key and master KEK from a password, optional Secret Key
/// (two-secret key derivation) and the account's KDF config, after checking
/// the params against `policy`.
///
/// ```
/// use vault_core::{kdf, KdfConfig, KdfParams, KdfPolicy, KdfSalt};
/// let cfg = KdfConfig { params: KdfParams::INSECURE_TEST_ONLY, salt: KdfSalt([1; 16]) };
/// let keys = kdf::derive_master_keys("hunter2", None, &cfg, &KdfPolicy::PERMISSIVE_TEST_ONLY).unwrap();
/// assert_ne!(keys.auth_key, keys.kek);
/// ```
pub fn derive_master_keys(
    password: &(impl Password + ?Sized),
    secret_key: Option<&SecretKey>,
    config: &KdfConfig,
    policy: &KdfPolicy,
) -> Result<MasterKeys> {
    policy.check(&config.params)?;
    let stretched = stretch(password, &config.salt, &config.params)?;
    Ok(master_keys_from_stretched(
        &stretched,
        secret_key,
        &config.salt,
    ))
}

/// The HKDF half of [`derive_master_keys`], for callers that already ran Argon2id.
pub fn master_keys_from_stretched(
    stretched: &SymmetricKey,
    secret_key: Option<&SecretKey>,
    salt: &KdfSalt,
) -> MasterKeys {
    let mut ikm = Zeroizing::new(*stretched.expose_secret());
    if let Some(sk) = secret_key {
        let sk_part = hkdf_sha256(Some(&salt.0), sk.expose_secret(), b"VLT1 secret-key");
        for (a, b) in ikm.iter_mut().zip(sk_part.expose_secret()) {
            *a ^= b;
        }
    }
    let hk = Hkdf::<Sha256>::new(Some(b"VLT1 stretched"), &ikm[..]);
    MasterKeys {
        auth_key: expand(&hk, b"VLT1 auth"),
        kek: expand(&hk, b"VLT1 kek"),
    }
}

fn expand(hk: &Hkdf<Sha256>, info: &[u8]) -> SymmetricKey {
    let mut out = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
    let _ = hk.expand(info, &mut out[..]);
    SymmetricKey::from_bytes(*out)
}

/// HKDF-SHA256 (extract then expand) to a 32-byte key.
pub fn hkdf_sha256(salt: Option<&[u8]>, ikm: &[u8], info: &[u8]) -> SymmetricKey {
    expand(&Hkdf::<Sha256>::new(salt, ikm), info)
}

/// HKDF-SHA256 to any length up to 8160 bytes (the Wycheproof suite uses this).
pub fn hkdf_sha256_len(
    salt: Option<&[u8]>,
    ikm: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    Hkdf::<Sha256>::new(salt, ikm)
        .expand(info, &mut out)
        .map_err(|_| Error::InvalidArgument("HKDF output too long"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This crate's own normaliser, standing in for a JS engine that
    /// implements the same Unicode version.
    fn same_version(s: &str) -> String {
        s.nfkd().collect()
    }

    #[test]
    fn policy_names_and_json() {
        for name in KdfPolicy::NAMES {
            let p = KdfPolicy::named(name).unwrap();
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<KdfPolicy>(&json).unwrap(), p);
        }
        assert_eq!(KdfPolicy::named("").unwrap_err().code(), "invalid_argument");
        assert!(
            serde_json::from_str::<KdfPolicy>(
                r#"{"min_memory_kib":1,"max_memory_kib":2,"min_iterations":1,"max_iterations":2,"max_parallelism":1,"extra":0}"#
            )
            .is_err()
        );
        for name in KdfParams::PRESET_NAMES {
            assert!(KdfParams::preset(name).is_ok(), "{name}");
        }
        assert_eq!(
            KdfParams::PRESET_NAMES.map(|n| KdfParams::preset(n).unwrap()),
            [
                KdfParams::DEFAULT,
                KdfParams::CONSTRAINED,
                KdfParams::SENSITIVE
            ]
        );
    }

    #[test]
    fn verified_nfkd_equals_the_tables() {
        for pw in [
            "",
            "hunter2",
            "pässwörd \u{212B}",
            "e\u{301}\u{323}",           // marks out of canonical order
            "\u{FDFA}",                  // expands to 18 characters
            "\u{D55C}\u{AD6D}\u{C5B4}",  // Hangul syllables
            "日本語のパスワード",        // inert CJK and kana
            "\u{1F600} emoji \u{1FAE8}", // inert symbols
            "\u{E000} private use",      // private use: inert
            "\u{378} unassigned",        // unassigned everywhere: inert
        ] {
            let v = NfkdPassword::from_normalizer(pw, same_version).unwrap();
            assert_eq!(*v.to_nfkd(), *pw.to_nfkd(), "{pw:?}");
            let k1 = stretch(&v, &KdfSalt([7; 16]), &KdfParams::INSECURE_TEST_ONLY).unwrap();
            let k2 = stretch(pw, &KdfSalt([7; 16]), &KdfParams::INSECURE_TEST_ONLY).unwrap();
            assert_eq!(k1, k2);
        }
    }

    #[test]
    fn is_nfkd_matches_the_crate() {
        use unicode_normalization::is_nfkd as crate_is_nfkd;
        for s in [
            "",
            "abc",
            "e\u{301}",
            "\u{E9}",
            "a\u{323}\u{301}",
            "a\u{301}\u{323}",
            "\u{FB01}",
            "日本",
            "\u{345}\u{334}",
        ] {
            assert_eq!(is_nfkd(s), crate_is_nfkd(s), "{s:?}");
        }
        // Every code point on its own.
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let mut b = [0u8; 4];
            let s = c.encode_utf8(&mut b);
            assert_eq!(is_nfkd(s), crate_is_nfkd(s), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn ascii_skips_the_normaliser() {
        let mut calls = 0;
        let v = NfkdPassword::from_normalizer("correct horse", |s: &str| {
            calls += 1;
            s.to_owned()
        })
        .unwrap();
        assert_eq!(calls, 0);
        assert_eq!(*v.to_nfkd(), "correct horse");
    }

    #[test]
    fn normalisers_that_differ_are_refused() {
        // Identity stub (or a polyfill that does nothing).
        assert!(NfkdPassword::from_normalizer("é", |s: &str| s.to_owned()).is_err());
        // Passes the known answers but garbles the rest of its answer.
        let garbles = |s: &str| -> String {
            let (kat_in, kat_out) = NFKD_KNOWN_ANSWER;
            format!(
                "{kat_out}{}",
                same_version(&s[kat_in.len()..]).replace('\n', "")
            )
        };
        assert!(NfkdPassword::from_normalizer("日本", garbles).is_err());
        // An older engine that does not know U+212B (leaves it alone).
        let older = |s: &str| -> String {
            s.split('\u{212B}')
                .map(same_version)
                .collect::<Vec<_>>()
                .join("\u{212B}")
        };
        assert!(NfkdPassword::from_normalizer("Å \u{212B}", older).is_err());
        // A newer engine that decomposes a character the tables leave alone
        // (simulated: U+E000 → "x").
        let newer = |s: &str| same_version(s).replace('\u{E000}', "x");
        assert!(NfkdPassword::from_normalizer("ä\u{E000}", newer).is_err());
        // Every refusal is the same opaque error, without the password in it.
        let e = NfkdPassword::from_normalizer("ä\u{E000}", newer).unwrap_err();
        assert_eq!(e.code(), "invalid_argument");
        assert!(!e.to_string().contains('ä'));
    }

    #[test]
    fn the_normaliser_sees_characters_not_the_password() {
        let mut seen = String::new();
        NfkdPassword::from_normalizer("zürich zürich ß", |s: &str| {
            seen = s.to_owned();
            same_version(s)
        })
        .unwrap();
        let (kat_in, _) = NFKD_KNOWN_ANSWER;
        assert_eq!(&seen[kat_in.len()..], "ß\nü\n");
    }

    #[test]
    fn marks_are_reordered_across_characters() {
        // Each character is decomposed on its own; the combining marks of
        // neighbouring characters must still end up in canonical order.
        for pw in [
            "\u{1E0B}\u{323}",
            "a\u{301}\u{323}\u{1EA5}",
            "\u{344}\u{345}x",
        ] {
            let v = NfkdPassword::from_normalizer(pw, same_version).unwrap();
            assert_eq!(*v.to_nfkd(), *pw.to_nfkd(), "{pw:?}");
        }
    }

    #[test]
    fn debug_is_redacted() {
        let v = NfkdPassword::from_normalizer("sëcret", same_version).unwrap();
        assert_eq!(format!("{v:?}"), "NfkdPassword(<redacted>)");
    }
}
