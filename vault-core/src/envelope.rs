//! The one versioned envelope format for everything sealed.
//!
//! Binary layout (version 1), normative in `docs/format.md` §2:
//!
//! ```text
//! +---------+-----+------------------+-------------------------+
//! | version | alg | nonce (24 or 12) | ciphertext || tag (16)  |
//! |  0x01   | u8  |                  |                         |
//! +---------+-----+------------------+-------------------------+
//! ```
//!
//! The text form (for JSON) is the binary form in unpadded base64url.
//! Associated data is `"VLT1" || version || alg || context`, so the header and
//! what the blob is are both authenticated.

use crate::context::{AAD_MAGIC, Context};
use crate::error::{Error, Result};
use crate::primitives;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use core::fmt;
use zeroize::Zeroizing;

/// Current envelope format version.
pub const ENVELOPE_VERSION: u8 = 1;
/// Length of the authentication tag of every supported AEAD.
pub const TAG_LEN: usize = 16;

/// The AEAD that sealed an envelope.
///
/// ```
/// use vault_core::Algorithm;
/// assert_eq!(Algorithm::default(), Algorithm::XChaCha20Poly1305);
/// assert_eq!(Algorithm::from_id(2).unwrap(), Algorithm::Aes256Gcm);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Algorithm {
    /// XChaCha20-Poly1305, 192-bit random nonce (id 1). The default.
    #[default]
    XChaCha20Poly1305,
    /// AES-256-GCM, 96-bit random nonce (id 2). Used only under keys that seal
    /// few messages (item keys), where random 96-bit nonces are safe.
    Aes256Gcm,
}

impl Algorithm {
    /// The one-byte identifier in the envelope header.
    pub fn id(self) -> u8 {
        match self {
            Algorithm::XChaCha20Poly1305 => 1,
            Algorithm::Aes256Gcm => 2,
        }
    }
    /// Parses a header identifier.
    pub fn from_id(id: u8) -> Result<Self> {
        match id {
            1 => Ok(Algorithm::XChaCha20Poly1305),
            2 => Ok(Algorithm::Aes256Gcm),
            other => Err(Error::UnsupportedAlgorithm(other)),
        }
    }
    /// Nonce length in bytes.
    pub fn nonce_len(self) -> usize {
        match self {
            Algorithm::XChaCha20Poly1305 => 24,
            Algorithm::Aes256Gcm => 12,
        }
    }
}

/// A sealed blob in the versioned envelope format. Holds only ciphertext, so
/// `Debug` may show its size and header.
///
/// ```
/// use vault_core::{Envelope, SymmetricKey, Context, AccountId};
/// let mut rng = vault_core::rng::os_rng();
/// let key = SymmetricKey::generate(&mut rng);
/// let ctx = Context::AccountKey { account: AccountId([9; 16]) };
/// let env = Envelope::seal(&key, &ctx, b"secret", &mut rng).unwrap();
/// let text = env.to_text();
/// let back = Envelope::from_text(&text).unwrap();
/// assert_eq!(&back.open(&key, &ctx).unwrap()[..], b"secret");
/// ```
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(rename = "EnvelopeText", type = "string")
)]
pub struct Envelope {
    /// Whole binary form; invariants checked by `from_bytes`.
    bytes: Vec<u8>,
    alg: Algorithm,
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("version", &self.version())
            .field("alg", &self.alg)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Envelope {
    /// Seals `plaintext` under `key` with the default algorithm, binding `ctx`.
    pub fn seal(
        key: &crate::SymmetricKey,
        ctx: &Context,
        plaintext: &[u8],
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<Self> {
        Self::seal_with(key, Algorithm::default(), ctx, plaintext, rng)
    }

    /// Seals with an explicit algorithm.
    pub fn seal_with(
        key: &crate::SymmetricKey,
        alg: Algorithm,
        ctx: &Context,
        plaintext: &[u8],
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<Self> {
        let mut nonce = [0u8; 24];
        let nonce = random_nonce(&mut nonce, alg, rng)?;
        seal_raw(key, alg, nonce, &ctx_bytes(ctx)?, plaintext)
    }

    /// Opens the envelope, checking that it was sealed for `ctx`.
    /// Any failure is the single opaque [`Error::Decrypt`].
    pub fn open(&self, key: &crate::SymmetricKey, ctx: &Context) -> Result<Zeroizing<Vec<u8>>> {
        let aad = ctx.aad(self.version(), self.alg.id())?;
        let mut out = Zeroizing::new(vec![0u8; self.ciphertext()?.len()]);
        self.open_into(key, aad.as_slice(), &mut out)?;
        Ok(out)
    }

    /// Opens an envelope that holds exactly a 32-byte key, without heap allocation.
    pub(crate) fn open_key(
        &self,
        key: &crate::SymmetricKey,
        ctx: &Context,
    ) -> Result<crate::SymmetricKey> {
        let aad = ctx.aad(self.version(), self.alg.id())?;
        let mut out = Zeroizing::new([0u8; 32]);
        if self.ciphertext()?.len() != 32 {
            return Err(Error::Decrypt);
        }
        self.open_into(key, aad.as_slice(), &mut out[..])?;
        Ok(crate::SymmetricKey::from_bytes(*out))
    }

    fn open_into(&self, key: &crate::SymmetricKey, aad: &[u8], out: &mut [u8]) -> Result<()> {
        let (n, ct, tag) = self.parts()?;
        let k = key.expose_secret();
        match self.alg {
            Algorithm::XChaCha20Poly1305 => {
                primitives::xchacha20poly1305_open(k, n, aad, ct, tag, out)
            }
            Algorithm::Aes256Gcm => primitives::aes256gcm_open(k, n, aad, ct, tag, out),
        }
    }

    /// Parses the binary form. Checks the header and lengths, not the tag.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        let (&version, rest) = bytes
            .split_first()
            .ok_or_else(|| Error::malformed("envelope", "empty"))?;
        if version != ENVELOPE_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "envelope",
                version,
            });
        }
        let &alg_id = rest
            .first()
            .ok_or_else(|| Error::malformed("envelope", "truncated header"))?;
        let alg = Algorithm::from_id(alg_id)?;
        if bytes.len() < 2 + alg.nonce_len() + TAG_LEN {
            return Err(Error::malformed("envelope", "truncated"));
        }
        Ok(Envelope { bytes, alg })
    }

    /// Parses the text form (unpadded base64url of the binary form).
    pub fn from_text(text: &str) -> Result<Self> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| Error::malformed("envelope", "not unpadded base64url"))?;
        Self::from_bytes(bytes)
    }

    /// The binary form.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// The text form.
    pub fn to_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.bytes)
    }
    /// Format version (always [`ENVELOPE_VERSION`] for a parsed envelope).
    pub fn version(&self) -> u8 {
        ENVELOPE_VERSION
    }
    /// The sealing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }
    /// `(nonce, ciphertext, tag)`. Every constructor checks the lengths, so
    /// this cannot fail for an `Envelope` that exists; if that invariant is
    /// ever broken, opening fails with a typed error instead of reading an
    /// empty slice.
    fn parts(&self) -> Result<(&[u8], &[u8], &[u8; TAG_LEN])> {
        let truncated = || Error::malformed("envelope", "truncated");
        let body = self.bytes.get(2..).ok_or_else(truncated)?;
        let (nonce, rest) = body
            .split_at_checked(self.alg.nonce_len())
            .ok_or_else(truncated)?;
        let (ct, tag) = rest.split_last_chunk::<TAG_LEN>().ok_or_else(truncated)?;
        Ok((nonce, ct, tag))
    }
    fn ciphertext(&self) -> Result<&[u8]> {
        self.parts().map(|(_, ct, _)| ct)
    }
    /// Length of the plaintext inside (the layout was checked on parsing).
    pub fn plaintext_len(&self) -> usize {
        self.bytes.len() - (2 + self.alg.nonce_len() + TAG_LEN)
    }
}

/// The context part of the associated data (kind and fields, without the
/// `"VLT1" || version || alg` prefix).
pub(crate) fn ctx_bytes(ctx: &Context) -> Result<Vec<u8>> {
    let aad = ctx.aad(ENVELOPE_VERSION, 0)?;
    let (_, context) =
        aad.as_slice()
            .split_at_checked(AAD_MAGIC.len() + 2)
            .ok_or(Error::InvalidArgument(
                "associated data shorter than its prefix",
            ))?;
    Ok(context.to_vec())
}

/// Fills the first `alg.nonce_len()` bytes of `buf` from `rng`.
fn random_nonce<'b>(
    buf: &'b mut [u8; 24],
    alg: Algorithm,
    rng: &mut impl rand_core::CryptoRng,
) -> Result<&'b [u8]> {
    let nonce = buf
        .get_mut(..alg.nonce_len())
        .ok_or(Error::InvalidArgument("nonce longer than 24 bytes"))?;
    rng.fill_bytes(nonce);
    Ok(nonce)
}

/// Seals with an explicit nonce and raw context bytes. The nonce must never
/// repeat under one key: only the test-vector generator and
/// [`crate::hazmat`] call this with a chosen nonce.
pub(crate) fn seal_raw(
    key: &crate::SymmetricKey,
    alg: Algorithm,
    nonce: &[u8],
    context: &[u8],
    plaintext: &[u8],
) -> Result<Envelope> {
    if nonce.len() != alg.nonce_len() {
        return Err(Error::InvalidArgument(
            "nonce length does not match algorithm",
        ));
    }
    let mut aad = Vec::with_capacity(6 + context.len());
    aad.extend_from_slice(AAD_MAGIC);
    aad.extend_from_slice(&[ENVELOPE_VERSION, alg.id()]);
    aad.extend_from_slice(context);

    let mut bytes = Vec::with_capacity(2 + nonce.len() + plaintext.len() + TAG_LEN);
    bytes.extend_from_slice(&[ENVELOPE_VERSION, alg.id()]);
    bytes.extend_from_slice(nonce);
    let header = bytes.len();
    bytes.resize(header + plaintext.len(), 0);
    let (_, body) = bytes.split_at_mut(header);
    let k = key.expose_secret();
    let tag = match alg {
        Algorithm::XChaCha20Poly1305 => {
            primitives::xchacha20poly1305_seal(k, nonce, &aad, plaintext, body)?
        }
        Algorithm::Aes256Gcm => primitives::aes256gcm_seal(k, nonce, &aad, plaintext, body)?,
    };
    bytes.extend_from_slice(&tag);
    Ok(Envelope { bytes, alg })
}

/// Opens with raw context bytes (for contexts defined outside [`Context`]).
pub fn open_raw(
    env: &Envelope,
    key: &crate::SymmetricKey,
    context: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let mut aad = Vec::with_capacity(6 + context.len());
    aad.extend_from_slice(AAD_MAGIC);
    aad.extend_from_slice(&[env.version(), env.alg.id()]);
    aad.extend_from_slice(context);
    let mut out = Zeroizing::new(vec![0u8; env.ciphertext()?.len()]);
    env.open_into(key, &aad, &mut out)?;
    Ok(out)
}

/// Seals with raw context bytes (the associated data after `"VLT1" || version
/// || alg`) and a random nonce: for contexts defined outside [`Context`].
pub fn seal_raw_context(
    key: &crate::SymmetricKey,
    alg: Algorithm,
    context: &[u8],
    plaintext: &[u8],
    rng: &mut impl rand_core::CryptoRng,
) -> Result<Envelope> {
    let mut nonce = [0u8; 24];
    let nonce = random_nonce(&mut nonce, alg, rng)?;
    seal_raw(key, alg, nonce, context, plaintext)
}

impl serde::Serialize for Envelope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_text())
    }
}

impl<'de> serde::Deserialize<'de> for Envelope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Envelope::from_text(&s).map_err(serde::de::Error::custom)
    }
}
