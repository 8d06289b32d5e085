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

    /// Looks a preset up by name: `default`, `constrained`, `sensitive`.
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// Argon2id alone: `password` (NFKD-normalised UTF-8) stretched to 32 bytes.
///
/// ```
/// use vault_core::{kdf, KdfParams, KdfSalt};
/// let k = kdf::stretch("pw", &KdfSalt([0; 16]), &KdfParams::INSECURE_TEST_ONLY).unwrap();
/// assert_eq!(k.expose_secret().len(), 32);
/// ```
pub fn stretch(password: &str, salt: &KdfSalt, params: &KdfParams) -> Result<SymmetricKey> {
    let normalized: Zeroizing<String> = Zeroizing::new(password.nfkd().collect());
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
    password: &str,
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
