//! Thin, allocation-free wrappers over the RustCrypto and dalek primitives.
//! Everything above (envelopes, grants, PAKEs) goes through these, and the
//! Wycheproof suites test exactly these functions.
//!
//! Failures are opaque: an AEAD open returns only [`Error::Decrypt`].

use crate::error::{Error, Result};
use aead::{AeadInOut, KeyInit, inout::InOutBuf};

/// Tag length of every AEAD here.
pub const TAG_LEN: usize = 16;

macro_rules! aead_pair {
    ($seal:ident, $open:ident, $ty:ty, $nlen:expr, $doc:literal) => {
        #[doc = concat!("Encrypts `input` into `output` (same length) with ", $doc, "; returns the tag.")]
        pub fn $seal(
            key: &[u8; 32],
            nonce: &[u8],
            aad: &[u8],
            input: &[u8],
            output: &mut [u8],
        ) -> Result<[u8; TAG_LEN]> {
            let n = nonce
                .try_into()
                .map_err(|_| Error::InvalidArgument(concat!("nonce must be ", $nlen, " bytes")))?;
            let buf = InOutBuf::new(input, output)
                .map_err(|_| Error::InvalidArgument("output length must equal input length"))?;
            let tag = <$ty>::new(key.into())
                .encrypt_inout_detached(n, aad, buf)
                .map_err(|_| Error::InvalidArgument("message too long"))?;
            let mut t = [0u8; TAG_LEN];
            t.copy_from_slice(&tag);
            Ok(t)
        }

        #[doc = concat!("Decrypts and authenticates with ", $doc, ". Any failure is [`Error::Decrypt`]; `output` is then unspecified.")]
        pub fn $open(
            key: &[u8; 32],
            nonce: &[u8],
            aad: &[u8],
            input: &[u8],
            tag: &[u8],
            output: &mut [u8],
        ) -> Result<()> {
            let n = nonce.try_into().map_err(|_| Error::Decrypt)?;
            let t = tag.try_into().map_err(|_| Error::Decrypt)?;
            let buf = InOutBuf::new(input, output).map_err(|_| Error::Decrypt)?;
            <$ty>::new(key.into())
                .decrypt_inout_detached(n, aad, buf, t)
                .map_err(|_| Error::Decrypt)
        }
    };
}

aead_pair!(
    xchacha20poly1305_seal,
    xchacha20poly1305_open,
    chacha20poly1305::XChaCha20Poly1305,
    "24",
    "XChaCha20-Poly1305 (24-byte nonce)"
);
// ChaCha20-Poly1305 (IETF) is reached through HPKE in application code;
// this pair exists for the Wycheproof suites (hazmat builds only).
#[cfg(feature = "hazmat")]
aead_pair!(
    chacha20poly1305_seal,
    chacha20poly1305_open,
    chacha20poly1305::ChaCha20Poly1305,
    "12",
    "ChaCha20-Poly1305 (RFC 8439, 12-byte nonce; the AEAD inside our HPKE suite)"
);
aead_pair!(
    aes256gcm_seal,
    aes256gcm_open,
    aes_gcm::Aes256Gcm,
    "12",
    "AES-256-GCM (12-byte nonce)"
);

/// X25519 Diffie-Hellman (the policy the Wycheproof suite checks; hazmat
/// builds only, as the key exchange itself happens inside HPKE). Rejects a non-contributory result (the all-zero
/// shared secret from a low-order peer key): Wycheproof marks those
/// "acceptable"; our policy is to refuse them, see `docs/format.md`.
#[cfg(feature = "hazmat")]
pub fn x25519(secret: &[u8; 32], peer_public: &[u8; 32]) -> Result<[u8; 32]> {
    let sk = x25519_dalek::StaticSecret::from(*secret);
    let shared = sk.diffie_hellman(&x25519_dalek::PublicKey::from(*peer_public));
    if !shared.was_contributory() {
        return Err(Error::InvalidPeerValue("low-order X25519 public key"));
    }
    Ok(*shared.as_bytes())
}

/// Ed25519 signature check with `verify_strict` semantics (rejects small-order
/// keys and non-canonical encodings, so signatures are not malleable).
#[cfg(feature = "hazmat")]
pub fn ed25519_verify(public: &[u8], msg: &[u8], signature: &[u8]) -> Result<()> {
    let pk: &[u8; 32] = public
        .try_into()
        .map_err(|_| Error::InvalidPeerValue("Ed25519 public key length"))?;
    let sig: &[u8; 64] = signature
        .try_into()
        .map_err(|_| Error::BadSignature("signature length"))?;
    let vk = ed25519_dalek::VerifyingKey::from_bytes(pk)
        .map_err(|_| Error::InvalidPeerValue("Ed25519 public key"))?;
    vk.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(sig))
        .map_err(|_| Error::BadSignature("Ed25519"))
}

/// Ed25519 signature with a 32-byte seed (vector generation; hazmat builds).
#[cfg(feature = "hazmat")]
pub fn ed25519_sign(seed: &[u8; 32], msg: &[u8]) -> [u8; 64] {
    use ed25519_dalek::Signer;
    ed25519_dalek::SigningKey::from_bytes(seed)
        .sign(msg)
        .to_bytes()
}
