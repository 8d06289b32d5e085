//! Shamir secret sharing over GF(2^8) with integrity, for recovery kits (and
//! later the server's unseal keys).
//!
//! Hand-written (about 60 lines of arithmetic) rather than a crate: the
//! byte-oriented crates (`sharks`, `shamirsecretsharing`) are unmaintained or
//! use table lookups indexed by secret bytes; `vsss-rs` works over prime
//! fields. Here every field operation is branch- and table-free, so timing
//! does not depend on the secret.
//!
//! Integrity: before splitting, the secret is extended with a 16-byte tag
//! `SHA-256("VLT1 shamir" || secret)[0..16]`; combining recomputes it, so a
//! wrong, mixed or tampered share is reported instead of yielding garbage.
//! Every share also carries a 2-byte checksum that catches typos in its text form.

use crate::encoding::{base32_decode, base32_encode, group, strip_separators};
use crate::error::{Error, Result};
use crate::secret::SecretBytes;
use core::fmt;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Share format version.
pub const SHARE_VERSION: u8 = 1;
const TAG_LEN: usize = 16;
const PREFIX: &str = "VS1";

/// One share. Zeroized on drop; `Debug` shows only the public header.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Share {
    threshold: u8,
    x: u8,
    set_id: [u8; 4],
    y: Vec<u8>,
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Share {{ x: {}, threshold: {}, set: {:02x?}, y: <redacted> }}",
            self.x, self.threshold, self.set_id
        )
    }
}

fn gf_mul(a: u8, b: u8) -> u8 {
    let (mut a, mut b, mut p) = (a, b, 0u8);
    for _ in 0..8 {
        p ^= a & (b & 1).wrapping_neg();
        let carry = (a >> 7).wrapping_neg();
        a = (a << 1) ^ (0x1b & carry);
        b >>= 1;
    }
    p
}

/// a^254 = a^-1 in GF(2^8) (and 0 for 0), by square-and-multiply with a fixed schedule.
fn gf_inv(a: u8) -> u8 {
    let mut r = 1u8;
    let mut base = a;
    let mut e = 254u8;
    for _ in 0..8 {
        let m = (e & 1).wrapping_neg();
        r = (gf_mul(r, base) & m) | (r & !m);
        base = gf_mul(base, base);
        e >>= 1;
    }
    r
}

fn integrity_tag(secret: &[u8]) -> [u8; TAG_LEN] {
    let d = Sha256::new()
        .chain_update(b"VLT1 shamir")
        .chain_update(secret)
        .finalize();
    // The first TAG_LEN bytes of the digest (zip stops at the shorter side).
    let mut out = [0u8; TAG_LEN];
    out.iter_mut().zip(d).for_each(|(o, b)| *o = b);
    out
}

/// Splits `secret` into `shares` shares, any `threshold` of which recover it.
///
/// ```
/// use vault_core::shamir;
/// let mut rng = vault_core::rng::os_rng();
/// let shares = shamir::split(b"recovery key bytes", 2, 3, &mut rng).unwrap();
/// let back = shamir::combine(&shares[1..]).unwrap();
/// assert_eq!(back.expose_secret(), b"recovery key bytes");
/// ```
pub fn split(
    secret: &[u8],
    threshold: u8,
    shares: u8,
    rng: &mut impl rand_core::CryptoRng,
) -> Result<Vec<Share>> {
    if threshold < 2 || shares < threshold {
        return Err(Error::InvalidArgument(
            "need 2 <= threshold <= shares <= 255",
        ));
    }
    if secret.is_empty() || secret.len() > 1024 {
        return Err(Error::InvalidArgument("secret must be 1..=1024 bytes"));
    }
    let mut ext = Zeroizing::new(secret.to_vec());
    ext.extend_from_slice(&integrity_tag(secret));
    let mut set_id = [0u8; 4];
    rng.fill_bytes(&mut set_id);
    let mut out: Vec<Share> = (1..=shares)
        .map(|x| Share {
            threshold,
            x,
            set_id,
            y: vec![0u8; ext.len()],
        })
        .collect();
    // One random polynomial of degree threshold-1 per byte; coefficient 0 is the byte.
    let mut coeffs = Zeroizing::new(vec![0u8; usize::from(threshold)]);
    for (i, &byte) in ext.iter().enumerate() {
        rng.fill_bytes(&mut coeffs[..]);
        if let Some(c0) = coeffs.first_mut() {
            *c0 = byte;
        }
        for share in out.iter_mut() {
            // Horner's rule.
            let y = coeffs
                .iter()
                .rev()
                .fold(0u8, |acc, &c| gf_mul(acc, share.x) ^ c);
            if let Some(slot) = share.y.get_mut(i) {
                *slot = y;
            }
        }
    }
    Ok(out)
}

/// Recovers the secret from at least `threshold` shares of one split. Every
/// share given is used, so a single tampered share is detected.
pub fn combine(shares: &[Share]) -> Result<SecretBytes> {
    let first = shares.first().ok_or(Error::Shamir("no shares"))?;
    if shares.len() < usize::from(first.threshold) {
        return Err(Error::Shamir("fewer shares than the threshold"));
    }
    for (i, s) in shares.iter().enumerate() {
        if s.threshold != first.threshold || s.set_id != first.set_id || s.y.len() != first.y.len()
        {
            return Err(Error::Shamir("shares come from different splits"));
        }
        if shares.iter().skip(i + 1).any(|t| t.x == s.x) {
            return Err(Error::Shamir("duplicate share"));
        }
    }
    // Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i); in GF(2^8) minus is xor.
    let basis: Vec<u8> = shares
        .iter()
        .map(|si| {
            shares
                .iter()
                .filter(|sj| sj.x != si.x)
                .fold(1u8, |acc, sj| {
                    gf_mul(acc, gf_mul(sj.x, gf_inv(sj.x ^ si.x)))
                })
        })
        .collect();
    let mut ext = Zeroizing::new(vec![0u8; first.y.len()]);
    for (s, &l) in shares.iter().zip(&basis) {
        for (o, &y) in ext.iter_mut().zip(&s.y) {
            *o ^= gf_mul(y, l);
        }
    }
    let split_at = ext.len().saturating_sub(TAG_LEN);
    let (secret, tag) = ext.split_at(split_at);
    if !bool::from(integrity_tag(secret).ct_eq(tag)) {
        return Err(Error::Shamir(
            "integrity check failed: a share is wrong or tampered",
        ));
    }
    Ok(SecretBytes::from(secret.to_vec()))
}

impl Share {
    /// The share's x coordinate (1..=255); not secret.
    pub fn index(&self) -> u8 {
        self.x
    }
    /// How many shares recover the secret.
    pub fn threshold(&self) -> u8 {
        self.threshold
    }

    /// Binary form: `version || threshold || x || set_id (4) || y`.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut v = Zeroizing::new(Vec::with_capacity(7 + self.y.len()));
        v.push(SHARE_VERSION);
        self.write_body(&mut v);
        v
    }

    /// The binary form after its version byte.
    fn write_body(&self, v: &mut Vec<u8>) {
        v.extend_from_slice(&[self.threshold, self.x]);
        v.extend_from_slice(&self.set_id);
        v.extend_from_slice(&self.y);
    }

    /// Parses the binary form.
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        let (&version, rest) = b.split_first().ok_or(Error::malformed("share", "empty"))?;
        if version != SHARE_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "share",
                version,
            });
        }
        if rest.len() < 2 + 4 + TAG_LEN + 1 {
            return Err(Error::malformed("share", "truncated"));
        }
        let (hdr, y) = rest.split_at(6);
        let [threshold, x, a, b2, c, d] =
            <[u8; 6]>::try_from(hdr).map_err(|_| Error::malformed("share", "truncated"))?;
        if threshold < 2 || x == 0 {
            return Err(Error::malformed("share", "threshold or index out of range"));
        }
        Ok(Share {
            threshold,
            x,
            set_id: [a, b2, c, d],
            y: y.to_vec(),
        })
    }

    fn checksum(bytes: &[u8]) -> [u8; 2] {
        let d = Sha256::new()
            .chain_update(b"VLT1 share checksum")
            .chain_update(bytes)
            .finalize();
        let d: [u8; 32] = d.into();
        let [a, b, ..] = d;
        [a, b]
    }

    /// Printable form: `VS1-` then Crockford base32 of the binary form without
    /// its version byte, plus a 2-byte checksum, in groups of five.
    pub fn to_text(&self) -> String {
        let sum = Self::checksum(&self.to_bytes());
        let mut b = Zeroizing::new(Vec::with_capacity(8 + self.y.len()));
        self.write_body(&mut b);
        b.extend_from_slice(&sum);
        let body = Zeroizing::new(base32_encode(&b));
        format!("{PREFIX}-{}", group(&body, 5))
    }

    /// Parses the printable form (case and separators forgiven; typos caught
    /// by the checksum).
    pub fn from_text(text: &str) -> Result<Self> {
        let compact = Zeroizing::new(strip_separators(text).to_ascii_uppercase());
        let body = crate::encoding::strip_code_prefix(&compact, PREFIX)
            .ok_or(Error::malformed("share", "must start with VS1"))?;
        let len = body.len() * 5 / 8;
        let raw = Zeroizing::new(base32_decode(body, len, "share")?);
        if raw.len() < 3 {
            return Err(Error::malformed("share", "truncated"));
        }
        let split = raw.len().saturating_sub(2);
        let (payload, sum) = raw.split_at(split);
        let mut full = Zeroizing::new(Vec::with_capacity(payload.len() + 1));
        full.push(SHARE_VERSION);
        full.extend_from_slice(payload);
        if Self::checksum(&full) != sum {
            return Err(Error::Checksum("share"));
        }
        Self::from_bytes(&full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_inverse_is_inverse() {
        assert_eq!(gf_inv(0), 0);
        for a in 1..=255u8 {
            assert_eq!(gf_mul(a, gf_inv(a)), 1, "a={a}");
        }
        // AES field test value (FIPS-197 §4.2): {57} • {83} = {c1}.
        assert_eq!(gf_mul(0x57, 0x83), 0xc1);
    }
}
