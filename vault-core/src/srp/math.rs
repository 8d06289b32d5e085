//! The SRP-6a arithmetic and hashes, shared by both halves so client and
//! server cannot drift apart. Everything here works on fixed-precision
//! integers (constant-time Montgomery exponentiation from `crypto-bigint`);
//! only public values are ever handled in variable time.

use super::groups::GroupParams;
use crate::error::{Error, Result};
use crypto_bigint::modular::BoxedMontyForm;
use crypto_bigint::{BoxedUint, Choice, ConcatenatingMul, CtAssign};
use sha2::digest::{Digest, Output};
use zeroize::Zeroizing;

/// `H(p0 | p1 | ...)`.
pub(crate) fn hash<D: Digest>(parts: &[&[u8]]) -> Output<D> {
    let mut d = D::new();
    for p in parts {
        d.update(p);
    }
    d.finalize()
}

/// RFC 5054 §2.1 implicit integer-to-bytes conversion: leading zero bytes
/// stripped. Variable time in the number of leading zeros, which is inherent:
/// the hash input length depends on it.
pub(crate) fn trim(mut bytes: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = bytes {
        bytes = rest;
    }
    bytes
}

/// Big-endian bytes to an integer of exactly `bits` precision (constant time).
pub(crate) fn uint(bytes: &[u8], bits: u32) -> Result<BoxedUint> {
    BoxedUint::from_be_slice(bytes, bits)
        .map_err(|_| Error::InvalidArgument("SRP integer wider than its precision"))
}

/// Big-endian bytes (at most `len(N)`, value below `N`) into Montgomery form.
pub(crate) fn monty(bytes: &[u8], gp: &GroupParams) -> Result<BoxedMontyForm> {
    Ok(BoxedMontyForm::new(uint(bytes, gp.bits)?, &gp.monty))
}

/// Big-endian bytes to an exponent whose precision depends only on the
/// length of `bytes`, so exponentiation time does not depend on its value.
pub(crate) fn exponent(bytes: &[u8]) -> Result<Zeroizing<BoxedUint>> {
    let bits = u32::try_from(bytes.len().saturating_mul(8))
        .map_err(|_| Error::InvalidArgument("SRP exponent too long"))?;
    Ok(Zeroizing::new(uint(bytes, bits.max(64))?))
}

/// `PAD(x)`: a reduced value back to `len(N)` big-endian bytes.
pub(crate) fn pad(x: &BoxedMontyForm) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(x.retrieve().to_be_bytes().into_vec())
}

/// Checks a public value is exactly `len(N)` bytes and in `[1, N)`.
/// (`x mod N == 0` is the RFC's abort condition; with `x < N` it means `x == 0`.)
pub(crate) fn check_public(bytes: &[u8], gp: &GroupParams, what: &'static str) -> Result<()> {
    if bytes.len() != gp.n_bytes.len() {
        return Err(Error::malformed(what, "must be exactly len(N) bytes"));
    }
    // Public values: a variable-time comparison leaks nothing.
    if bytes.iter().all(|&b| b == 0) || bytes >= gp.n_bytes.as_slice() {
        return Err(Error::InvalidPeerValue(what));
    }
    Ok(())
}

/// `k = H(N | PAD(g))`.
pub(crate) fn k<D: Digest>(gp: &GroupParams) -> Output<D> {
    hash::<D>(&[&gp.n_bytes, &gp.g_padded])
}

/// `u = H(PAD(A) | PAD(B))`; both inputs are already `len(N)` bytes.
pub(crate) fn u<D: Digest>(a_pub: &[u8], b_pub: &[u8]) -> Result<Output<D>> {
    let u = hash::<D>(&[a_pub, b_pub]);
    // RFC 5054 / SRP-6a: abort if u == 0 (it would take the password out of S).
    if u.iter().all(|&b| b == 0) {
        return Err(Error::InvalidPeerValue(
            "SRP scrambling parameter u is zero",
        ));
    }
    Ok(u)
}

/// `H(I | ":" | P)`: the password-dependent half of `x`, kept by the client
/// between its two steps instead of the password itself.
pub(crate) fn identity_hash<D: Digest>(identifier: &[u8], password: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(hash::<D>(&[identifier, b":", password]).to_vec())
}

/// `x = H(s | H(I | ":" | P))`.
pub(crate) fn x<D: Digest>(salt: &[u8], identity_hash: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(hash::<D>(&[salt, identity_hash]).to_vec())
}

/// `v = g^x mod N`, `len(N)` bytes.
pub(crate) fn verifier(x: &[u8], gp: &GroupParams) -> Result<Vec<u8>> {
    let x = exponent(x)?;
    Ok(pad(&gp.g.pow(&x)).to_vec())
}

/// `M1 = H(H(N) xor H(PAD(g)) | H(I) | s | A | B | K)`, with `A` and `B` in
/// their minimal encodings (RFC 5054 §2.1 implicit conversion).
pub(crate) fn m1<D: Digest>(
    gp: &GroupParams,
    identifier: &[u8],
    salt: &[u8],
    a_pub: &[u8],
    b_pub: &[u8],
    key: &[u8],
) -> Output<D> {
    let hn = hash::<D>(&[&gp.n_bytes]);
    let hg = hash::<D>(&[&gp.g_padded]);
    let xor: Vec<u8> = hn.iter().zip(hg.iter()).map(|(a, b)| a ^ b).collect();
    let hi = hash::<D>(&[identifier]);
    hash::<D>(&[&xor, &hi, salt, trim(a_pub), trim(b_pub), key])
}

/// `M2 = H(A | M1 | K)`, `A` minimal.
pub(crate) fn m2<D: Digest>(a_pub: &[u8], m1: &[u8], key: &[u8]) -> Output<D> {
    hash::<D>(&[trim(a_pub), m1, key])
}

/// `K = H(S)`, `S` minimal.
pub(crate) fn session_key<D: Digest>(premaster: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(hash::<D>(&[trim(premaster)]).to_vec())
}

/// Client: `S = (B - k * g^x) ^ (a + u * x) mod N`, `len(N)` bytes.
pub(crate) fn client_premaster(
    gp: &GroupParams,
    k: &[u8],
    b_pub: &[u8],
    x: &[u8],
    a: &[u8],
    u: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let x = exponent(x)?;
    let a = exponent(a)?;
    let u = exponent(u)?;
    let kgx = Zeroizing::new(&monty(k, gp)? * &gp.g.pow(&x));
    let base = Zeroizing::new(&monty(b_pub, gp)? - &*kgx);
    // a + u*x as a plain integer (not reduced): its precision, and so the
    // exponentiation time, depends only on the hash and ephemeral lengths.
    let e = Zeroizing::new(u.concatenating_mul(&*x).concatenating_add(&*a));
    Ok(pad(&base.pow(&e)))
}

/// Windows of the fixed-base table: enough for the 48-byte ephemerals.
const WINDOWS: usize = 2 * super::EPHEMERAL_LEN;

/// The table behind [`g_pow_fixed`]: `g^(j * 16^i)` for window `i` and
/// `j = 1..=15`, window-major. About 1,400 multiplications, once per group
/// and process; 550 KiB (3072-bit) or 740 KiB (4096-bit).
pub(crate) fn fixed_base_table(g: &BoxedMontyForm) -> Vec<BoxedUint> {
    let mut table = Vec::with_capacity(WINDOWS * 15);
    let mut base = g.clone(); // g^(16^i)
    for _ in 0..WINDOWS {
        let mut power = base.clone(); // g^(j * 16^i)
        for j in 1..=15 {
            table.push(power.as_montgomery().clone());
            if j < 15 {
                power = &power * &base;
            }
        }
        base = &power * &base;
    }
    table
}

/// `g^e mod N` for a secret `e` of at most 48 bytes using the fixed-base
/// table: one multiplication per 4-bit window and no squarings, about 3x
/// faster than a generic exponentiation. Each window's table entry is picked
/// by a constant-time scan of all 15 candidates, and every window costs the
/// same, so the time depends only on `e.len()`. Used for the server's `g^b`,
/// the one exponentiation per login with a fixed base on the busy side.
pub(crate) fn g_pow_fixed(gp: &GroupParams, e: &[u8]) -> Result<BoxedMontyForm> {
    if e.len() * 2 > WINDOWS {
        return Ok(gp.g.pow(&*exponent(e)?));
    }
    let one = BoxedMontyForm::one(&gp.monty);
    let mut acc = Zeroizing::new(one.clone());
    let mut pick = Zeroizing::new(one.as_montgomery().clone());
    // Window i covers bits 4i..4i+4, counting from the least significant.
    let nibbles = e.iter().rev().flat_map(|&byte| [byte & 15, byte >> 4]);
    for (i, nibble) in nibbles.enumerate() {
        pick.ct_assign(one.as_montgomery(), Choice::TRUE);
        for j in 1..=15u8 {
            let entry = gp
                .g_table
                .get(i * 15 + usize::from(j) - 1)
                .ok_or(Error::InvalidArgument("SRP fixed-base table too small"))?;
            pick.ct_assign(entry, Choice::from_u8_eq(nibble, j));
        }
        let factor = Zeroizing::new(BoxedMontyForm::from_montgomery((*pick).clone(), &gp.monty));
        *acc = &*acc * &*factor;
    }
    Ok((*acc).clone())
}

/// Server: `B = (k * v + g^b) mod N`, `len(N)` bytes.
pub(crate) fn server_public(
    gp: &GroupParams,
    k: &[u8],
    verifier: &[u8],
    b: &[u8],
) -> Result<Vec<u8>> {
    let kv = Zeroizing::new(&monty(k, gp)? * &monty(verifier, gp)?);
    let gb = Zeroizing::new(g_pow_fixed(gp, b)?);
    Ok(pad(&(&*kv + &*gb)).to_vec())
}

/// Server: `S = (A * v^u) ^ b mod N`, `len(N)` bytes.
pub(crate) fn server_premaster(
    gp: &GroupParams,
    a_pub: &[u8],
    verifier: &[u8],
    u: &[u8],
    b: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let b = exponent(b)?;
    let u = exponent(u)?;
    let vu = Zeroizing::new(monty(verifier, gp)?.pow(&u));
    let base = Zeroizing::new(&monty(a_pub, gp)? * &*vu);
    Ok(pad(&base.pow(&b)))
}

/// Deterministic element of `[0, N)` from `len(N) + 32` uniform bytes
/// (the extra 256 bits make the bias of the reduction negligible).
pub(crate) fn reduce_wide(bytes: &[u8], gp: &GroupParams) -> Result<Vec<u8>> {
    let bits = gp.bits.saturating_add(256);
    let wide = Zeroizing::new(uint(bytes, bits)?);
    let n_wide = uint(&gp.n_bytes, bits)?;
    let nz = n_wide
        .to_nz()
        .into_option()
        .ok_or(Error::InvalidArgument("SRP modulus is zero"))?;
    let r = Zeroizing::new(wide.rem(&nz));
    let full = Zeroizing::new(r.to_be_bytes().into_vec());
    // `r < N` fits in the low len(N) bytes.
    let skip = full.len().saturating_sub(gp.n_bytes.len());
    let (_, low) = full.split_at_checked(skip).ok_or(Error::InvalidArgument(
        "SRP reduction wider than its buffer",
    ))?;
    Ok(low.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::srp::SrpGroup;

    #[test]
    fn fixed_base_matches_generic_pow() {
        let gp = SrpGroup::Rfc5054_3072.params().unwrap();
        let mut cases: Vec<Vec<u8>> = vec![
            vec![0; 48],
            vec![0xFF; 48],
            vec![0x0F; 48],
            vec![0xF0; 48],
            vec![1],
            vec![],
            vec![0x80; 32],
        ];
        let mut e = [0u8; 48];
        for i in 0..48u8 {
            e[usize::from(i)] = i.wrapping_mul(37).wrapping_add(11);
        }
        cases.push(e.to_vec());
        // Longer than the table: the generic fallback.
        cases.push(vec![0xAB; 60]);
        for c in cases {
            let expected = gp.g.pow(&exponent(&c).unwrap());
            assert_eq!(g_pow_fixed(gp, &c).unwrap(), expected, "{c:02x?}");
        }
    }
}
