//! `ed25519.json`: the Ed25519 verification rules of docs/format.md §12,
//! one vector per rule and edge case, through the raw check
//! (`hazmat::primitives::ed25519_verify`) and through
//! `PublicIdentity::verify`.
//!
//! Most inputs are made here from a signature vault-core computes (`S + ℓ`,
//! a flipped bit, fixed small-order encodings). The few that need curve or
//! scalar arithmetic (a signature under a mixed-order key, equations that
//! hold with a small-order `R` or `A`) are constants from
//! `test-vectors/python/craft_ed25519.py`, which documents how each was
//! built; generation fails if a crafted valid case does not verify.

use serde_json::{Value, json};
use vault_core::hazmat::primitives::{ed25519_sign, ed25519_verify};
use vault_core::hazmat::seeded_rng;
use vault_core::*;

use super::{err_code, file, hx, seed};

/// RFC 8032 §7.1 TEST 1: secret key, public key, signature of the empty message.
const RFC_TEST1_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC_TEST1_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const RFC_TEST1_SIGNATURE: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
/// RFC 8032 §7.1 TEST 2: message 0x72.
const RFC_TEST2_SEED: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
const RFC_TEST2_PUBLIC: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
const RFC_TEST2_SIGNATURE: &str = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

/// The message of every vector that is not an RFC test.
const MESSAGE: &[u8] = b"VLT1 ed25519 vector";

// Crafted by craft_ed25519.py (signer: RFC 8032 TEST 1's key, message MESSAGE).
/// `[a]B + T2` with `T2 = (0, -1)` of order 2: a mixed-order public key.
const MIXED_ORDER_PUBLIC_KEY: &str =
    "16a567fe7d4ef5482ab4012c369bf8c5f11e8d0c2559dcda50fde59708f8aee5";
/// A signature under it whose `k` is even: valid for the cofactorless equation.
const MIXED_ORDER_EVEN_K_SIGNATURE: &str = "9718ca1876fb6d3a434f0e473f7fed49e4ece03b9e254853852b5886ddfbf509cc713e4db857d88d8f3b0a01fbcf7b5b443f904190f9b4b76bbb5388d864be03";
/// The same construction with `k` odd: only a cofactored verifier accepts it.
const MIXED_ORDER_ODD_K_SIGNATURE: &str = "9b7db0b8c43b0a7d1ce613b723600605e7b050847cab2d2770b43d56d8522abee6e3edfdf641fb4d45d73d4a354944623bd142d05fb89882b9a2cd77422b620e";
/// `R` = the identity, `S = k·a`: the equation holds under TEST 1's key.
const IDENTITY_R_SIGNATURE: &str = "0100000000000000000000000000000000000000000000000000000000000000e1e3c965297676c5feeb0c33212bd58022bacb9ccf146fde17c681900ecb7807";
/// A point of order 8 (canonical encoding).
const ORDER_8_PUBLIC_KEY: &str = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a";
/// `R = [r]B`, `S = r`, with `k ≡ 0 (mod 8)`: the equation holds under that key.
const ORDER_8_KEY_SIGNATURE: &str = "ea213f584812e38b2b2f0d99ea018d6eac7ed33d028b63e7ccbdf55465e24e2c0912ee03e98b50c78ca9b0eefeeba2074c966ff1dc0e533e4a98d211d90ba804";
/// `y = 3 + p`: a non-canonical encoding of a point on the curve, not of small order.
const NONCANONICAL_Y_ON_CURVE: &str =
    "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
/// `y = 2 + p`: non-canonical, and `y = 2` is not on the curve.
const NONCANONICAL_Y_OFF_CURVE: &str =
    "efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
/// `y = 2`: canonical, not on the curve.
const Y_OFF_CURVE: &str = "0200000000000000000000000000000000000000000000000000000000000000";

/// ℓ, the order of the base point, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
];

/// The identity point (0, 1), canonical.
fn identity_point() -> [u8; 32] {
    let mut b = [0u8; 32];
    b[0] = 1;
    b
}

/// The identity with the sign bit set ("−0").
fn identity_negative_zero() -> [u8; 32] {
    let mut b = identity_point();
    b[31] = 0x80;
    b
}

/// The identity as `y = 1 + p` (non-canonical).
fn identity_noncanonical() -> [u8; 32] {
    let mut b = [0xffu8; 32];
    b[0] = 0xee;
    b[31] = 0x7f;
    b
}

fn unhex<const N: usize>(h: &str) -> Result<[u8; N]> {
    hex::decode(h)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(Error::InvalidArgument("bad hex constant"))
}

/// `S + ℓ` for a signature (a non-canonical S of the same value mod ℓ).
fn s_plus_ell(sig: &[u8; 64]) -> [u8; 64] {
    let mut out = *sig;
    let mut carry = 0u16;
    for (o, l) in out[32..].iter_mut().zip(ELL) {
        let sum = u16::from(*o) + u16::from(l) + carry;
        *o = sum as u8;
        carry = sum >> 8;
    }
    out
}

fn with_r(r: &[u8; 32], sig: &[u8; 64]) -> [u8; 64] {
    let mut out = *sig;
    out[..32].copy_from_slice(r);
    out
}

fn r_identity_s_zero() -> [u8; 64] {
    with_r(&identity_point(), &[0u8; 64])
}

fn verify_case(name: &str, public: &[u8], message: &[u8], signature: &[u8]) -> Value {
    let mut v = json!({
        "name": name,
        "case": "verify",
        "public_key_hex": hx(public),
        "message_hex": hx(message),
        "signature_hex": hx(signature),
    });
    if name.starts_with("fail_") {
        v["error"] = json!(err_code(ed25519_verify(public, message, signature)));
    }
    v
}

fn identity_case(name: &str, identity: &PublicIdentity) -> Value {
    let mut v = json!({"name": name, "case": "identity", "identity": identity});
    if name.starts_with("fail_") {
        v["error"] = json!(err_code(identity.verify()));
    }
    v
}

/// Every vector of `ed25519.json`.
pub(crate) fn ed25519_vectors() -> Result<super::VectorFile> {
    let seed1: [u8; 32] = unhex(RFC_TEST1_SEED)?;
    let pk1: [u8; 32] = unhex(RFC_TEST1_PUBLIC)?;
    let seed2: [u8; 32] = unhex(RFC_TEST2_SEED)?;
    let pk2: [u8; 32] = unhex(RFC_TEST2_PUBLIC)?;
    let rfc1 = ed25519_sign(&seed1, b"");
    let rfc2 = ed25519_sign(&seed2, &[0x72]);
    if rfc1 != unhex::<64>(RFC_TEST1_SIGNATURE)? || rfc2 != unhex::<64>(RFC_TEST2_SIGNATURE)? {
        return Err(Error::InvalidArgument("RFC 8032 signatures differ"));
    }
    let sig = ed25519_sign(&seed1, MESSAGE);
    let mixed: [u8; 32] = unhex(MIXED_ORDER_PUBLIC_KEY)?;
    let mixed_even: [u8; 64] = unhex(MIXED_ORDER_EVEN_K_SIGNATURE)?;
    let mixed_odd: [u8; 64] = unhex(MIXED_ORDER_ODD_K_SIGNATURE)?;
    let order8: [u8; 32] = unhex(ORDER_8_PUBLIC_KEY)?;
    let noncanonical_on: [u8; 32] = unhex(NONCANONICAL_Y_ON_CURVE)?;
    let noncanonical_off: [u8; 32] = unhex(NONCANONICAL_Y_OFF_CURVE)?;
    let off_curve: [u8; 32] = unhex(Y_OFF_CURVE)?;
    // The crafted valid case must verify, or a constant is wrong.
    ed25519_verify(&mixed, MESSAGE, &mixed_even)?;

    let mut top_bit = sig;
    top_bit[63] |= 0x80;
    let mut flipped = pk1;
    flipped[31] ^= 0x80;
    let mut other_message = MESSAGE.to_vec();
    other_message.push(b'!');

    let mut v = vec![
        verify_case("rfc8032_test1", &pk1, b"", &rfc1),
        verify_case("rfc8032_test2", &pk2, &[0x72], &rfc2),
        verify_case("signed_message", &pk1, MESSAGE, &sig),
        verify_case(
            "mixed_order_public_key_even_k",
            &mixed,
            MESSAGE,
            &mixed_even,
        ),
        verify_case("fail_wrong_message", &pk1, &other_message, &sig),
        verify_case("fail_public_key_sign_flipped", &flipped, MESSAGE, &sig),
        verify_case("fail_s_plus_ell", &pk1, MESSAGE, &s_plus_ell(&sig)),
        verify_case("fail_s_top_bit_set", &pk1, MESSAGE, &top_bit),
        verify_case(
            "fail_r_noncanonical",
            &pk1,
            MESSAGE,
            &with_r(&noncanonical_on, &sig),
        ),
        verify_case(
            "fail_r_not_a_point",
            &pk1,
            MESSAGE,
            &with_r(&off_curve, &sig),
        ),
        verify_case(
            "fail_r_small_order_equation_holds",
            &pk1,
            MESSAGE,
            &unhex::<64>(IDENTITY_R_SIGNATURE)?,
        ),
        verify_case(
            "fail_public_key_small_order_equation_holds",
            &order8,
            MESSAGE,
            &unhex::<64>(ORDER_8_KEY_SIGNATURE)?,
        ),
        verify_case(
            "fail_public_key_identity",
            &identity_point(),
            MESSAGE,
            &r_identity_s_zero(),
        ),
        verify_case(
            "fail_public_key_identity_negative_zero",
            &identity_negative_zero(),
            MESSAGE,
            &r_identity_s_zero(),
        ),
        verify_case(
            "fail_public_key_identity_noncanonical",
            &identity_noncanonical(),
            MESSAGE,
            &r_identity_s_zero(),
        ),
        verify_case(
            "fail_public_key_noncanonical_y",
            &noncanonical_on,
            MESSAGE,
            &sig,
        ),
        verify_case("fail_public_key_not_a_point", &off_curve, MESSAGE, &sig),
        verify_case(
            "fail_public_key_noncanonical_not_a_point",
            &noncanonical_off,
            MESSAGE,
            &sig,
        ),
        verify_case(
            "fail_public_key_not_a_point_before_s",
            &off_curve,
            MESSAGE,
            &s_plus_ell(&sig),
        ),
        verify_case(
            "fail_mixed_order_public_key_odd_k",
            &mixed,
            MESSAGE,
            &mixed_odd,
        ),
    ];

    // The same rules where they are used: an account's self-signed identity.
    let (acct, _) = UnlockedAccount::create(
        "ed25519",
        None,
        KdfParams::INSECURE_TEST_ONLY,
        &mut seeded_rng(seed("ed25519/identity")),
    )?;
    let id = acct.public_identity().clone();
    let mut s_big = id.clone();
    s_big.signature = s_plus_ell(&id.signature);
    let mut not_point = id.clone();
    not_point.ed25519 = off_curve;
    let mut small = id.clone();
    small.ed25519 = identity_point();
    small.signature = r_identity_s_zero();
    let mut noncanonical = id.clone();
    noncanonical.ed25519 = noncanonical_on;
    v.extend([
        identity_case("identity", &id),
        identity_case("fail_identity_s_plus_ell", &s_big),
        identity_case("fail_identity_key_not_a_point", &not_point),
        identity_case("fail_identity_key_identity_point", &small),
        identity_case("fail_identity_key_noncanonical_y", &noncanonical),
    ]);
    if acct.public_identity().verify().is_err() {
        return Err(Error::InvalidArgument("identity does not verify"));
    }

    Ok(file(
        "ed25519",
        "Ed25519 verification as docs/format.md §12 specifies it (ed25519-dalek 3 VerifyingKey::from_bytes then verify_strict). case 'verify': hazmat::primitives::ed25519_verify(public_key_hex, message_hex, signature_hex) succeeds, or for fail_* fails with `error` (invalid_peer_value: the public key does not decode, checked first; bad_signature: every other rule). case 'identity': PublicIdentity::verify(identity), the identity of UnlockedAccount::create('ed25519', no Secret Key, INSECURE_TEST_ONLY, seeded_rng(seed('ed25519/identity'))), altered in the fail_* vectors. The RFC 8032 vectors are §7.1 TEST 1 and 2; the other valid and crafted vectors sign the message 'VLT1 ed25519 vector' (hex in message_hex) with TEST 1's key. Crafted cases (test-vectors/python/craft_ed25519.py): a mixed-order key [a]B + (0,-1) with even k (valid: no subgroup check, cofactorless equation) and odd k (invalid); small-order R or A with the equation holding (invalid); S + l and S with its top bit set; non-canonical (y >= p) and -0 encodings of R and A.",
        v,
    ))
}
