#!/usr/bin/env python3
"""Independent Python check of Vault's test vectors, written from the docs only.

Every format, derivation and decoding rule below was taken from docs/format.md
(section numbers in comments) and, for the SRP transcripts and the pre-login
fakes, docs/protocol.md §2-§3 (§9.4 for the sync wire messages) (RFC 5054 groups rebuilt from RFC 3526's
formula).  No Rust source was consulted.  Where the spec is silent and a
choice had to be made, the comment says GUESS (none is left).

Usage:  python verify_vectors.py [--rng] [--vectors DIR] [--hpke-kat FILE] [--format-doc FILE]

  --rng           (alias: --inferred-rng) additionally reproduce every randomised
                  operation byte for byte from its `seed_hex`, using the RNG and
                  the per-operation draw order documented in format.md §13
                  (ChaCha20Rng::from_seed, 4-byte little-endian words).  Without
                  the flag those reproductions are reported as SKIPPED; every
                  other check needs no RNG (§13: the vectors carry the derived
                  secrets an independent decoder needs).
  --vectors DIR   directory holding the *.json vectors (default: the parent of
                  this script's directory, i.e. test-vectors/).
  --hpke-kat FILE RFC 9180 Appendix A vectors for the HPKE self-test (default:
                  $VAULT_TEST_DATA/hpke-rfc9180/rfc9180_appendix_a.json, else
                  ../../../shared/test-data/hpke-rfc9180/rfc9180_appendix_a.json
                  relative to this script).
  --format-doc FILE  docs/format.md (default: ../../docs/format.md from this
                  script); every member of every vector file must be listed in
                  its §13.3 tables, and every listed member must occur.

Output: one line per vector file, NOTE / SKIPPED lines, and a final line
`N passed, M failed`.  Exit status is non-zero if any check failed.  With
CI=true in the environment a missing data set (the RFC 9180 KAT, the
format.md) is a failed check instead of a SKIPPED line.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import itertools
import json
import os
import re
import sys
import traceback
import unicodedata
import uuid as uuidlib

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization
import nacl.bindings
import nacl.exceptions
import regex
import regex._regex_core as _regex_core
from precis_i18n.baseclass import IdentifierClass
from precis_i18n.bidi import bidi_rule, has_rtl
from precis_i18n.unicode import UnicodeData

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VECTORS = os.path.normpath(os.path.join(HERE, ".."))
HPKE_KAT_REL = os.path.join("hpke-rfc9180", "rfc9180_appendix_a.json")


def default_hpke_kat() -> str:
    """$VAULT_TEST_DATA/<rel> if the variable is set, else ../../../shared/test-data/<rel> from this script."""
    base = os.environ.get("VAULT_TEST_DATA")
    if not base:
        base = os.path.join(HERE, "..", "..", "..", "shared", "test-data")
    return os.path.normpath(os.path.join(base, HPKE_KAT_REL))


# --------------------------------------------------------------------------
# Errors (§11)
# --------------------------------------------------------------------------
class VErr(Exception):
    """A decoding failure carrying a §11 error code."""

    def __init__(self, code: str, msg: str = ""):
        super().__init__(f"{code}: {msg}" if msg else code)
        self.code = code


def expect_error(code: str, fn, *a, **kw) -> str | None:
    """Run fn; return None if it raised VErr(code), else a description."""
    try:
        r = fn(*a, **kw)
    except VErr as e:
        if e.code == code:
            return None
        return f"expected error {code!r}, got {e.code!r} ({e})"
    return f"expected error {code!r}, but it succeeded ({r!r:.80})"


# --------------------------------------------------------------------------
# §0 Conventions
# --------------------------------------------------------------------------
B64_ALPHABET = re.compile(r"^[A-Za-z0-9_-]*$")


def b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def b64d(s) -> bytes:
    """§0 unpadded base64url: reject padding, characters outside the alphabet,
    length ≡ 1 (mod 4) and non-canonical final characters."""
    if not isinstance(s, str):
        raise VErr("malformed", "base64 value is not a string")
    if not B64_ALPHABET.match(s):
        raise VErr("malformed", "base64url: padding or character outside the alphabet")
    if len(s) % 4 == 1:
        raise VErr("malformed", "base64url: impossible length")
    raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    if b64e(raw) != s:
        raise VErr("malformed", "base64url: non-canonical final character")
    return raw


def b64d_len(s, n: int, what: str) -> bytes:
    b = b64d(s)
    if len(b) != n:
        raise VErr("malformed", f"{what}: {len(b)} bytes, need {n}")
    return b


UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def parse_id(s) -> bytes:
    """§0: ids are hyphenated 8-4-4-4-12 hex in JSON, upper-case accepted; any 16 bytes."""
    if not isinstance(s, str) or not UUID_RE.match(s):
        raise VErr("malformed", f"bad id {s!r}")
    return bytes.fromhex(s.replace("-", ""))


def fmt_id(b: bytes) -> str:
    return str(uuidlib.UUID(bytes=b))  # lowercase, hyphenated (§0)


def uuid_v4_from(b16: bytes) -> bytes:
    """§0: new ids are random with the UUID v4 version/variant bits set."""
    b = bytearray(b16)
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return bytes(b)


def be32(n: int) -> bytes:
    return n.to_bytes(4, "big")


def be64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def _no_dup_pairs(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            # §0: duplicate members are an error (malformed).
            raise VErr("malformed", f"duplicate JSON member {k!r}")
        d[k] = v
    return d


def json_loads_strict(data: bytes | str):
    """UTF-8 JSON text → value; invalid JSON is `malformed` (§6.3, §11)."""
    try:
        if isinstance(data, bytes):
            data = data.decode("utf-8")
        return json.loads(data, object_pairs_hook=_no_dup_pairs)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise VErr("malformed", f"invalid JSON: {e}")


def json_compact(o) -> bytes:
    """§0 writer: compact JSON, members in the order given (dicts keep insertion order),
    raw UTF-8 for non-ASCII, a backslash-u escape (lowercase hex) only for the controls without a
    short escape: §0 names json.dumps(ensure_ascii=False, separators=(",", ":"))."""
    return json.dumps(o, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def strict_obj(o, required, optional=(), what: str = "object") -> dict:
    """§0: JSON objects are parsed strictly; unknown fields are `malformed`."""
    if not isinstance(o, dict):
        raise VErr("malformed", f"{what}: not an object")
    unknown = set(o) - set(required) - set(optional)
    if unknown:
        raise VErr("malformed", f"{what}: unknown field(s) {sorted(unknown)}")
    missing = set(required) - set(o)
    if missing:
        raise VErr("malformed", f"{what}: missing field(s) {sorted(missing)}")
    return o


def get_uint(o: dict, k: str, bits: int) -> int:
    v = o[k]
    if not isinstance(v, int) or isinstance(v, bool) or v < 0 or v >= (1 << bits):
        raise VErr("malformed", f"{k}: not a u{bits}")
    return v


def get_str(o: dict, k: str, default=None) -> str:
    v = o.get(k, default)
    if not isinstance(v, str):
        raise VErr("malformed", f"{k}: not a string")
    return v


def get_version(o: dict, what: str) -> int:
    """A structure's `v` (§0): a JSON integer 0-255, else malformed; != 1 is
    unsupported_version (§11), checked by the caller after the rest parsed."""
    v = o["v"]
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 255:
        raise VErr("malformed", f"{what}: v is not an integer 0-255")
    return v


def check_version(v: int, what: str) -> None:
    if v != 1:
        raise VErr("unsupported_version", f"{what} v={v}")


# --------------------------------------------------------------------------
# HKDF-SHA256 (RFC 5869), on HMAC
# --------------------------------------------------------------------------
def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    if not salt:
        salt = b"\0" * 32
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return hkdf_expand(hkdf_extract(salt, ikm), info, length)


def sha256(*parts: bytes) -> bytes:
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


# --------------------------------------------------------------------------
# §1 Key derivation
# --------------------------------------------------------------------------
def parse_kdf_params(o) -> tuple[int, int, int]:
    strict_obj(o, {"memory_kib", "iterations", "parallelism"}, what="KdfParams")
    return get_uint(o, "memory_kib", 32), get_uint(o, "iterations", 32), get_uint(o, "parallelism", 32)


def parse_kdf_config(o) -> tuple[tuple[int, int, int], bytes]:
    strict_obj(o, {"params", "salt"}, what="KdfConfig")
    params = parse_kdf_params(o["params"])
    return params, b64d_len(o["salt"], 16, "kdf salt")


def kdf_params_json(params) -> dict:
    m, t, p = params
    return {"memory_kib": m, "iterations": t, "parallelism": p}


def check_policy(params: tuple[int, int, int], policy: str) -> None:
    """§1.1: `default` policy, or the `permissive` one the vectors are checked with."""
    m, t, p = params
    if policy == "default":
        if m < 19456 or m > 1048576:
            raise VErr("kdf_policy", f"memory_kib {m} outside [19456, 1048576]")
        if t < 2 or t > 10:
            raise VErr("kdf_policy", f"iterations {t} outside [2, 10]")
        if p == 0 or p > 16:
            raise VErr("kdf_policy", f"parallelism {p} outside [1, 16]")
        if m < 8 * p:
            raise VErr("kdf_policy", "memory_kib < 8 x parallelism")
    elif policy == "permissive":
        if m < 8 * p or t < 1 or not 1 <= p <= 255:
            raise VErr("kdf_policy", "params not acceptable to Argon2")
    else:
        raise VErr("invalid_argument", f"unknown policy {policy}")


def argon2id(password: str, salt: bytes, params) -> bytes:
    m, t, p = params
    pw = unicodedata.normalize("NFKD", password).encode("utf-8")
    return hash_secret_raw(secret=pw, salt=salt, time_cost=t, memory_cost=m, parallelism=p,
                           hash_len=32, type=Type.ID, version=19)


def mix_secret_key(stretched: bytes, salt: bytes, sk: bytes | None) -> bytes:
    """§1.2: ikm = stretched XOR HKDF(salt = kdf salt, IKM = SK, info "VLT1 secret-key")."""
    if sk is None:
        return stretched
    if len(sk) != 16:
        raise VErr("invalid_argument", "secret key must be 16 bytes")
    mix = hkdf(salt, sk, b"VLT1 secret-key", 32)
    return bytes(a ^ b for a, b in zip(stretched, mix))


def subkeys(ikm: bytes) -> tuple[bytes, bytes]:
    prk = hkdf_extract(b"VLT1 stretched", ikm)
    return hkdf_expand(prk, b"VLT1 auth", 32), hkdf_expand(prk, b"VLT1 kek", 32)


def derive(password: str, kdf_cfg, sk: bytes | None, policy: str = "permissive"):
    """§1: KdfConfig JSON → (stretched = Argon2id output, auth_key, kek)."""
    params, salt = parse_kdf_config(kdf_cfg)
    check_policy(params, policy)
    stretched = argon2id(password, salt, params)
    auth, kek = subkeys(mix_secret_key(stretched, salt, sk))
    return stretched, auth, kek


# --------------------------------------------------------------------------
# §2 Envelope, §3 contexts
# --------------------------------------------------------------------------
NONCE_LEN = {1: 24, 2: 12}
ALG_NAMES = {"x-cha-cha20-poly1305": 1, "aes256-gcm": 2}  # §13
KINDS = {
    "account_key": (1, ["account"]),
    "identity_keys": (2, ["account"]),
    "vault_key": (3, ["account", "vault", "key_version"]),
    "vault_meta": (4, ["vault", "key_version"]),
    "item_key": (5, ["vault", "item", "key_version"]),
    "item_overview": (6, ["vault", "item", "revision"]),
    "item_details": (7, ["vault", "item", "revision"]),
    "account_key_generation": (8, ["account", "generation"]),
    "device_unlock": (9, ["account", "device", "generation"]),
    "pin_unlock": (10, ["account", "device", "generation"]),
    "recovery_key": (11, ["account", "generation"]),
}


def ctx(kind: str, **f) -> bytes:
    """kind byte || fields (§3)."""
    code, names = KINDS[kind]
    out = bytes([code])
    for n in names:
        v = f[n]
        if n in ("account", "vault", "item", "device"):
            out += v if isinstance(v, bytes) else parse_id(v)
        elif n in ("key_version", "generation"):
            out += be32(v)
        elif n == "revision":
            out += be64(v)
    return out


def ctx_from_json(c: dict) -> bytes:
    kind = c["kind"]
    names = KINDS[kind][1]
    strict_obj(c, {"kind", *names}, what="context")
    return ctx(kind, **{n: c[n] for n in names})


def aad_for(alg: int, context: bytes) -> bytes:
    return b"VLT1" + bytes([1, alg]) + context


def parse_envelope(env: bytes) -> tuple[int, bytes, bytes]:
    """§2 decoding order; returns (alg, nonce, ciphertext||tag)."""
    if len(env) < 1:
        raise VErr("malformed", "empty envelope")
    if env[0] != 1:
        raise VErr("unsupported_version", f"envelope version {env[0]}")
    if len(env) < 2:
        raise VErr("malformed", "no algorithm byte")
    alg = env[1]
    if alg not in NONCE_LEN:
        raise VErr("unsupported_algorithm", f"algorithm {alg}")
    n = NONCE_LEN[alg]
    if len(env) < 2 + n + 16:
        raise VErr("malformed", "envelope too short")
    return alg, env[2:2 + n], env[2 + n:]


def aead_decrypt(alg: int, key: bytes, nonce: bytes, ct: bytes, aad: bytes) -> bytes:
    try:
        if alg == 1:
            return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ct, aad, nonce, key)
        return AESGCM(key).decrypt(nonce, ct, aad)
    except (InvalidTag, nacl.exceptions.CryptoError):
        raise VErr("decrypt", "authentication failed")


def aead_encrypt(alg: int, key: bytes, nonce: bytes, pt: bytes, aad: bytes) -> bytes:
    if alg == 1:
        return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(pt, aad, nonce, key)
    return AESGCM(key).encrypt(nonce, pt, aad)


def open_envelope(env: bytes | str, key: bytes, context: bytes, expect_len: int | None = None) -> bytes:
    if isinstance(env, str):
        env = b64d(env)  # text form (§2)
    alg, nonce, ct = parse_envelope(env)
    pt = aead_decrypt(alg, key, nonce, ct, aad_for(alg, context))
    if expect_len is not None and len(pt) != expect_len:
        raise VErr("decrypt", f"plaintext is {len(pt)} bytes, expected {expect_len}")  # §2
    return pt


def seal_envelope(alg: int, key: bytes, nonce: bytes, context: bytes, pt: bytes) -> bytes:
    return bytes([1, alg]) + nonce + aead_encrypt(alg, key, nonce, pt, aad_for(alg, context))


def seal_text(alg: int, key: bytes, nonce: bytes, context: bytes, pt: bytes) -> str:
    return b64e(seal_envelope(alg, key, nonce, context, pt))


# --------------------------------------------------------------------------
# Ed25519 strict verification (§12) and X25519 (§4, §12)
# --------------------------------------------------------------------------
P = 2**255 - 19
L_ORDER = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _ed_decode(b: bytes):
    """§12 step 1: bit 255 is the sign, bits 0-254 are y, reduced mod p (so y >= p
    is accepted); x^2 = (y^2-1)/(d y^2+1); no root: None.  The even root, negated
    if the sign bit is set, so x = 0 with the sign bit ("-0") is accepted.
    Returns extended coordinates (X, Y, Z, T)."""
    v = int.from_bytes(b, "little")
    sign, y = v >> 255, (v & ((1 << 255) - 1)) % P
    u, w = (y * y - 1) % P, (D * y * y + 1) % P
    x = (u * pow(w, 3, P) * pow(u * pow(w, 7, P), (P - 5) // 8, P)) % P
    if (w * x * x - u) % P:
        if (w * x * x + u) % P:
            return None
        x = x * SQRT_M1 % P
    if x & 1:
        x = P - x
    if sign:
        x = (P - x) % P
    return (x, y, 1, x * y % P)


def _ed_add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * D * t1 * t2 % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _ed_mul(k: int, pt):
    r = (0, 1, 1, 0)
    while k:
        if k & 1:
            r = _ed_add(r, pt)
        pt = _ed_add(pt, pt)
        k >>= 1
    return r


def _ed_is_identity(pt) -> bool:
    x, y, z, _ = pt
    return x % P == 0 and (y - z) % P == 0


def _ed_encode(pt) -> bytes:
    """Canonical encoding: y < p, bit 255 = x mod 2."""
    x, y, z, _ = pt
    zi = pow(z, P - 2, P)
    x, y = x * zi % P, y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


ED_BASE = _ed_decode((4 * pow(5, P - 2, P) % P).to_bytes(32, "little"))


def ed25519_verify_strict(pub: bytes, msg: bytes, sig: bytes) -> None:
    """§12, steps 1-5 in order: A decodes (else invalid_peer_value), S < l, R decodes,
    neither [8]R nor [8]A is the identity, and the canonical encoding of
    [S]B - [k]A equals R's bytes, k = SHA-512(R || A || M) mod l over the bytes as
    received.  Lengths (raw check): a public key of another length than 32 is
    invalid_peer_value, a signature of another length than 64 bad_signature."""
    if len(pub) != 32:
        raise VErr("invalid_peer_value", "public key length")
    if len(sig) != 64:
        raise VErr("bad_signature", "signature length")
    a_pt = _ed_decode(pub)
    if a_pt is None:
        raise VErr("invalid_peer_value", "public key is not a point encoding")
    s = int.from_bytes(sig[32:], "little")
    if s >= L_ORDER:
        raise VErr("bad_signature", "S >= l")
    r_pt = _ed_decode(sig[:32])
    if r_pt is None:
        raise VErr("bad_signature", "R is not a point encoding")
    if _ed_is_identity(_ed_mul(8, r_pt)) or _ed_is_identity(_ed_mul(8, a_pt)):
        raise VErr("bad_signature", "small-order A or R")
    k = int.from_bytes(hashlib.sha512(sig[:32] + pub + msg).digest(), "little") % L_ORDER
    minus_ka = _ed_mul(k, a_pt)
    minus_ka = ((P - minus_ka[0]) % P, minus_ka[1], minus_ka[2], (P - minus_ka[3]) % P)
    if _ed_encode(_ed_add(_ed_mul(s, ED_BASE), minus_ka)) != sig[:32]:
        raise VErr("bad_signature", "signature does not verify")


def x25519_scalarmult(k: bytes, u: bytes) -> bytes:
    """RFC 7748 X25519 (pure Python; masks the top bit of u, clamps k)."""
    kn = bytearray(k)
    kn[0] &= 248
    kn[31] &= 127
    kn[31] |= 64
    kk = int.from_bytes(kn, "little")
    x1 = int.from_bytes(u, "little") & ((1 << 255) - 1)
    x2, z2, x3, z3, swap = 1, 0, x1, 1, 0
    a24 = 121665
    for t in reversed(range(255)):
        kt = (kk >> t) & 1
        swap ^= kt
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = kt
        A = (x2 + z2) % P
        AA = A * A % P
        B = (x2 - z2) % P
        BB = B * B % P
        E = (AA - BB) % P
        C = (x3 + z3) % P
        Dd = (x3 - z3) % P
        DA = Dd * A % P
        CB = C * B % P
        x3 = (DA + CB) ** 2 % P
        z3 = x1 * (DA - CB) ** 2 % P
        x2 = AA * BB % P
        z2 = E * (AA + a24 * E) % P
    if swap:
        x2, x3, z2, z3 = x3, x2, z3, z2
    return (x2 * pow(z2, P - 2, P) % P).to_bytes(32, "little")


def x25519_is_small_order(pub: bytes) -> bool:
    """§4: small order = X25519 with any scalar yields all zeros.  A clamped
    scalar is a multiple of 8, so for a small-order point (order 1, 2, 4 or 8)
    the output is zero for every scalar; one fixed scalar suffices."""
    return x25519_scalarmult(b"\x42" * 32, pub) == b"\0" * 32


def x25519_public(secret: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def ed25519_public(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# --------------------------------------------------------------------------
# RFC 9180 HPKE base mode, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305
# --------------------------------------------------------------------------
KEM_ID, KDF_ID, AEAD_ID = 0x0020, 0x0001, 0x0003
KEM_SUITE = b"KEM" + KEM_ID.to_bytes(2, "big")
HPKE_SUITE = b"HPKE" + KEM_ID.to_bytes(2, "big") + KDF_ID.to_bytes(2, "big") + AEAD_ID.to_bytes(2, "big")


def labeled_extract(suite: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return hkdf_extract(salt, b"HPKE-v1" + suite + label + ikm)


def labeled_expand(suite: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return hkdf_expand(prk, length.to_bytes(2, "big") + b"HPKE-v1" + suite + label + info, length)


def dh(sk: bytes, pk: bytes) -> bytes:
    try:
        out = X25519PrivateKey.from_private_bytes(sk).exchange(X25519PublicKey.from_public_bytes(pk))
    except ValueError:
        raise VErr("invalid_peer_value", "X25519 output is all zeros")
    if out == b"\0" * 32:
        raise VErr("invalid_peer_value", "X25519 output is all zeros")
    return out


def derive_key_pair(ikm: bytes) -> tuple[bytes, bytes]:
    prk = labeled_extract(KEM_SUITE, b"", b"dkp_prk", ikm)
    sk = labeled_expand(KEM_SUITE, prk, b"sk", b"", 32)
    return sk, x25519_public(sk)


def extract_and_expand(dhv: bytes, kem_context: bytes) -> bytes:
    prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dhv)
    return labeled_expand(KEM_SUITE, prk, b"shared_secret", kem_context, 32)


def encap_with(skE: bytes, pkR: bytes) -> tuple[bytes, bytes]:
    enc = x25519_public(skE)
    return extract_and_expand(dh(skE, pkR), enc + pkR), enc


def decap(enc: bytes, skR: bytes) -> bytes:
    return extract_and_expand(dh(skR, enc), enc + x25519_public(skR))


def key_schedule_base(shared_secret: bytes, info: bytes) -> dict:
    psk_id_hash = labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(HPKE_SUITE, b"", b"info_hash", info)
    ctx = b"\x00" + psk_id_hash + info_hash
    secret = labeled_extract(HPKE_SUITE, shared_secret, b"secret", b"")
    return {"key_schedule_context": ctx, "secret": secret,
            "key": labeled_expand(HPKE_SUITE, secret, b"key", ctx, 32),
            "base_nonce": labeled_expand(HPKE_SUITE, secret, b"base_nonce", ctx, 12),
            "exporter_secret": labeled_expand(HPKE_SUITE, secret, b"exp", ctx, 32)}


def hpke_nonce(base: bytes, seq: int) -> bytes:
    return bytes(a ^ b for a, b in zip(base, seq.to_bytes(12, "big")))


def hpke_seal_base(pkR: bytes, info: bytes, aad: bytes, pt: bytes, skE: bytes) -> tuple[bytes, bytes]:
    ss, enc = encap_with(skE, pkR)
    ks = key_schedule_base(ss, info)
    return enc, ChaCha20Poly1305(ks["key"]).encrypt(hpke_nonce(ks["base_nonce"], 0), pt, aad)


def hpke_open_base(enc: bytes, skR: bytes, info: bytes, aad: bytes, ct: bytes) -> bytes:
    ks = key_schedule_base(decap(enc, skR), info)
    try:
        return ChaCha20Poly1305(ks["key"]).decrypt(hpke_nonce(ks["base_nonce"], 0), ct, aad)
    except InvalidTag:
        raise VErr("decrypt", "HPKE open failed")


def hpke_selftest(path: str) -> list[str]:
    """Check this HPKE against RFC 9180 Appendix A for the suite (0, 0x20, 1, 3)."""
    data = json.load(open(path))
    tv = [t for t in data if t["mode"] == 0 and t["kem_id"] == 0x20 and t["kdf_id"] == 1 and t["aead_id"] == 3]
    if not tv:
        return ["no RFC 9180 vector for mode 0 / 0x20 / 1 / 3 in file"]
    errs = []
    for t in tv:
        h = {k: bytes.fromhex(v) for k, v in t.items() if isinstance(v, str)}
        skE, pkE = derive_key_pair(h["ikmE"])
        skR, pkR = derive_key_pair(h["ikmR"])
        for name, got in (("skEm", skE), ("pkEm", pkE), ("skRm", skR), ("pkRm", pkR)):
            if got != h[name]:
                errs.append(f"DeriveKeyPair {name} mismatch")
        ss, enc = encap_with(skE, pkR)
        if enc != h["enc"] or ss != h["shared_secret"]:
            errs.append("Encap mismatch")
        if decap(h["enc"], skR) != h["shared_secret"]:
            errs.append("Decap mismatch")
        ks = key_schedule_base(ss, h["info"])
        for k in ("key_schedule_context", "secret", "key", "base_nonce", "exporter_secret"):
            if ks[k] != h[k]:
                errs.append(f"key schedule {k} mismatch")
        for e in t["encryptions"]:
            pt, aad, ct = bytes.fromhex(e["pt"]), bytes.fromhex(e["aad"]), bytes.fromhex(e["ct"])
            n = hpke_nonce(ks["base_nonce"], e["seq"])
            if n.hex() != e["nonce"] or ChaCha20Poly1305(ks["key"]).encrypt(n, pt, aad) != ct:
                errs.append(f"encryption seq {e['seq']} mismatch")
        for x in t["exports"]:
            v = labeled_expand(HPKE_SUITE, ks["exporter_secret"], b"sec", bytes.fromhex(x["exporter_context"]),
                               x["L"])
            if v.hex() != x["exported_value"]:
                errs.append("export mismatch")
        # single-shot API
        enc2, ct2 = hpke_seal_base(pkR, h["info"], b"Count-0", bytes.fromhex(t["encryptions"][0]["pt"]), skE)
        if ct2.hex() != t["encryptions"][0]["ct"] or hpke_open_base(enc2, skR, h["info"], b"Count-0", ct2) != \
                bytes.fromhex(t["encryptions"][0]["pt"]):
            errs.append("single-shot seal/open mismatch")
    return errs


# --------------------------------------------------------------------------
# §4 public identity, §8 fingerprint
# --------------------------------------------------------------------------
def parse_public_identity(o) -> dict:
    strict_obj(o, {"account", "x25519", "ed25519", "signature"}, what="PublicIdentity")
    return {"account": parse_id(o["account"]), "x25519": b64d_len(o["x25519"], 32, "x25519"),
            "ed25519": b64d_len(o["ed25519"], 32, "ed25519"),
            "signature": b64d_len(o["signature"], 64, "signature")}


def identity_signed_bytes(account: bytes, x: bytes, ed: bytes) -> bytes:
    return b"VLT1 identity" + account + x + ed


def verify_public_identity(pi: dict) -> None:
    """§4: the signature (§12 rules; an Ed25519 key that does not decode is
    invalid_peer_value), then the small-order X25519 test."""
    ed25519_verify_strict(pi["ed25519"], identity_signed_bytes(pi["account"], pi["x25519"], pi["ed25519"]),
                          pi["signature"])
    if x25519_is_small_order(pi["x25519"]):
        raise VErr("invalid_peer_value", "small-order X25519 key")


def make_public_identity(account: bytes, x_secret: bytes, ed_seed: bytes) -> dict:
    """Writer side of §4 (JSON object, members in §4 order)."""
    x, ed = x25519_public(x_secret), ed25519_public(ed_seed)
    sig = Ed25519PrivateKey.from_private_bytes(ed_seed).sign(identity_signed_bytes(account, x, ed))
    return {"account": fmt_id(account), "x25519": b64e(x), "ed25519": b64e(ed), "signature": b64e(sig)}


def fingerprint(pi: dict) -> str:
    d = sha256(b"VLT1 fingerprint", pi["account"], pi["ed25519"], pi["x25519"])
    return " ".join("%05d" % (int.from_bytes(d[5 * i:5 * i + 5], "big") % 100000) for i in range(6))


# --------------------------------------------------------------------------
# §9 Secret Key text, Crockford base32
# --------------------------------------------------------------------------
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CROCK_DEC = {c: i for i, c in enumerate(CROCKFORD)}
CROCK_DEC.update({"O": 0, "I": 1, "L": 1})
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def crockford_encode(b: bytes) -> str:
    nbits = len(b) * 8
    nchars = -(-nbits // 5)
    v = int.from_bytes(b, "big") << (nchars * 5 - nbits)
    return "".join(CROCKFORD[(v >> (5 * (nchars - 1 - i))) & 31] for i in range(nchars))


def crockford_decode(s: str, expect_chars: int | None = None) -> bytes:
    """§9/§10: the length is checked first, then characters, then zero pad bits."""
    nbytes = 5 * len(s) // 8
    if expect_chars is not None and len(s) != expect_chars:
        raise VErr("malformed", f"{len(s)} characters, need {expect_chars}")
    if len(s) != -(-8 * nbytes // 5):  # §10: chars must be ceil(8 * length / 5)
        raise VErr("malformed", "impossible length")
    v = 0
    for c in s:
        if c not in CROCK_DEC:
            raise VErr("malformed", f"bad character {c!r}")
        v = (v << 5) | CROCK_DEC[c]
    pad = 5 * len(s) - 8 * nbytes
    if v & ((1 << pad) - 1):
        raise VErr("malformed", "non-zero pad bits")
    return (v >> pad).to_bytes(nbytes, "big")


def group5(s: str) -> str:
    return "-".join(s[i:i + 5] for i in range(0, len(s), 5))


def normalize_prefixed(text, prefix: str) -> str:
    """§9: remove '-', spaces, tabs, \\n and \\r; upper-case (ASCII only, §9); prefix with I/L
    accepted for 1."""
    if not isinstance(text, str):
        raise VErr("malformed", "not a string")
    s = re.sub(r"[- \t\n\r]", "", text).translate(_ASCII_UPPER)
    if s[:3].replace("I", "1").replace("L", "1") != prefix:
        raise VErr("malformed", f"prefix {s[:3]!r} is not {prefix}")
    return s[3:]


def secret_key_to_text(key: bytes) -> str:
    raw = key + sha256(b"VLT1 secret-key checksum", key)[:2]
    return "VK1-" + group5(crockford_encode(raw))


def parse_secret_key(text: str) -> bytes:
    raw = crockford_decode(normalize_prefixed(text, "VK1"), expect_chars=29)
    key, c = raw[:16], raw[16:]
    if not hmac.compare_digest(sha256(b"VLT1 secret-key checksum", key)[:2], c):
        raise VErr("checksum", "secret key checksum mismatch")
    return key


# --------------------------------------------------------------------------
# §10 Shamir
# --------------------------------------------------------------------------
def _gf_mul(a: int, b: int) -> int:
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11B
        b >>= 1
    return r


GF_MUL = [[_gf_mul(a, b) for b in range(256)] for a in range(256)]
GF_INV = [0] * 256
for _a in range(1, 256):
    for _b in range(1, 256):
        if GF_MUL[_a][_b] == 1:
            GF_INV[_a] = _b
            break


def parse_share_binary(b: bytes) -> dict:
    """§10 binary share decoding order."""
    if len(b) < 1:
        raise VErr("malformed", "empty share")
    if b[0] != 1:
        raise VErr("unsupported_version", f"share version {b[0]}")
    if len(b) < 24:
        raise VErr("malformed", "share shorter than 24 bytes")
    k, x, set_id, y = b[1], b[2], b[3:7], b[7:]
    if k < 2:
        raise VErr("malformed", "k < 2")
    if x == 0:
        raise VErr("malformed", "x = 0")
    return {"k": k, "x": x, "set_id": set_id, "y": y}


def share_binary_to_text(b: bytes) -> str:
    c = sha256(b"VLT1 share checksum", b)[:2]
    return "VS1-" + group5(crockford_encode(b[1:] + c))


def parse_share_text(text: str) -> bytes:
    raw = crockford_decode(normalize_prefixed(text, "VS1"))
    if len(raw) < 3:
        raise VErr("malformed", "share text decodes to fewer than 3 bytes")  # §10
    binary = b"\x01" + raw[:-2]
    if not hmac.compare_digest(sha256(b"VLT1 share checksum", binary)[:2], raw[-2:]):
        raise VErr("checksum", "share checksum mismatch")
    parse_share_binary(binary)
    return binary


def shamir_combine(shares_bin: list[bytes]) -> bytes:
    shares = [parse_share_binary(b) for b in shares_bin]
    if not shares:
        raise VErr("shamir", "no shares")
    k, sid, ln = shares[0]["k"], shares[0]["set_id"], len(shares[0]["y"])
    for s in shares:
        if s["k"] != k or s["set_id"] != sid or len(s["y"]) != ln:
            raise VErr("shamir", "shares disagree on k, set_id or length")
    xs = [s["x"] for s in shares]
    if len(set(xs)) != len(xs):
        raise VErr("shamir", "duplicate x")
    if len(shares) < k:
        raise VErr("shamir", f"{len(shares)} shares < k = {k}")
    coeffs = []
    for i, xi in enumerate(xs):  # Lagrange basis at 0: prod_{j!=i} x_j / (x_j ^ x_i)
        num, den = 1, 1
        for j, xj in enumerate(xs):
            if j != i:
                num = GF_MUL[num][xj]
                den = GF_MUL[den][xj ^ xi]
        coeffs.append(GF_MUL[num][GF_INV[den]])
    ext = bytearray(ln)
    for c, s in zip(coeffs, shares):
        row = GF_MUL[c]
        for j, yj in enumerate(s["y"]):
            ext[j] ^= row[yj]
    secret, tag = bytes(ext[:-16]), bytes(ext[-16:])
    if not hmac.compare_digest(sha256(b"VLT1 shamir", secret)[:16], tag):
        raise VErr("shamir", "integrity tag mismatch")
    return secret


def shamir_split(secret: bytes, k: int, n: int, rng: "SeededRng") -> list[bytes]:
    """§10 split with the §13 draw order: set_id (4), then k bytes per position of ext."""
    ext = secret + sha256(b"VLT1 shamir", secret)[:16]
    set_id = rng.draw(4)
    ys = [bytearray() for _ in range(n)]
    for e in ext:
        coef = bytearray(rng.draw(k))
        coef[0] = e
        for i in range(n):
            x, acc = i + 1, 0
            for c in reversed(coef):  # Horner
                acc = GF_MUL[acc][x] ^ c
            ys[i].append(acc)
    return [bytes([1, k, i + 1]) + set_id + bytes(ys[i]) for i in range(n)]


# --------------------------------------------------------------------------
# §4 account
# --------------------------------------------------------------------------
ACCOUNT_FIELDS = {"v", "account", "kdf", "wrapped_account_key", "wrapped_identity", "public_identity"}


def account_key_ctx(account: bytes, generation: int) -> bytes:
    """§4: generation 1 is wrapped with kind 1, later generations with kind 8."""
    if generation == 1:
        return ctx("account_key", account=account)
    return ctx("account_key_generation", account=account, generation=generation)


def parse_encrypted_account(o) -> dict:
    """§4 / §0: strict parse, then the version, then public_identity.account == account."""
    strict_obj(o, ACCOUNT_FIELDS, {"key_generation"}, what="EncryptedAccount")
    v = get_version(o, "account")
    rec = {"account": parse_id(o["account"]), "kdf": parse_kdf_config(o["kdf"]),
           "key_generation": get_uint(o, "key_generation", 32) if "key_generation" in o else 1,
           "wrapped_account_key": b64d(o["wrapped_account_key"]),
           "wrapped_identity": b64d(o["wrapped_identity"]),
           "public_identity": parse_public_identity(o["public_identity"])}
    check_version(v, "account")
    if rec["public_identity"]["account"] != rec["account"]:
        raise VErr("malformed", "public_identity.account differs from account")
    return rec


def check_generation(rec: dict) -> None:
    if rec["key_generation"] == 0:
        raise VErr("malformed", "key_generation starts at 1")  # §4


def unlock_account(o, password: str, sk: bytes | None, policy: str = "permissive") -> dict:
    rec = parse_encrypted_account(o)
    params, salt = rec["kdf"]
    check_policy(params, policy)
    auth, kek = subkeys(mix_secret_key(argon2id(password, salt, params), salt, sk))
    check_generation(rec)
    aid = rec["account"]
    ak = open_envelope(rec["wrapped_account_key"], kek, account_key_ctx(aid, rec["key_generation"]), expect_len=32)
    return dict(unlock_with_account_key(rec, ak), auth_key=auth, kek=kek)


def unlock_with_account_key(rec: dict, ak: bytes) -> dict:
    """§4 unlock from the account key on: the identity keys and their public halves."""
    check_generation(rec)
    aid = rec["account"]
    ident = open_envelope(rec["wrapped_identity"], ak, ctx("identity_keys", account=aid))
    if len(ident) != 64:
        raise VErr("malformed", "identity plaintext must be 64 bytes")  # §4
    xs, seed = ident[:32], ident[32:]
    pi = rec["public_identity"]
    if x25519_public(xs) != pi["x25519"] or ed25519_public(seed) != pi["ed25519"]:
        raise VErr("decrypt", "derived public keys differ from public_identity")
    return {"account_key": ak, "x25519_secret": xs, "ed25519_seed": seed, "record": rec}


def create_account(rng: "SeededRng", password: str, sk: bytes | None, params) -> tuple[dict, bytes, bytes]:
    """§4 writer with the §13 draw order.  Returns (EncryptedAccount JSON, account key, auth key)."""
    aid = uuid_v4_from(rng.draw(16))
    ak, xs, eds = rng.draw(32), rng.draw(32), rng.draw(32)
    wrapped_identity = seal_text(1, ak, rng.draw(24), ctx("identity_keys", account=aid), xs + eds)
    salt = rng.draw(16)
    kdf = {"params": kdf_params_json(params), "salt": b64e(salt)}
    _, auth, kek = derive(password, kdf, sk)
    wrapped_ak = seal_text(1, kek, rng.draw(24), ctx("account_key", account=aid), ak)
    rec = {"v": 1, "account": fmt_id(aid), "kdf": kdf, "wrapped_account_key": wrapped_ak,
           "wrapped_identity": wrapped_identity, "public_identity": make_public_identity(aid, xs, eds)}
    return rec, ak, auth


def identity_from_seed(seed: bytes) -> dict:
    """The first four account-creation draws (§13): id, account key, X25519 secret, Ed25519 seed."""
    rng = SeededRng(seed)
    aid = uuid_v4_from(rng.draw(16))
    ak, xs, eds = rng.draw(32), rng.draw(32), rng.draw(32)
    return {"account": aid, "account_key": ak, "x25519_secret": xs, "ed25519_seed": eds,
            "public_identity": make_public_identity(aid, xs, eds)}


def change_password(o, old: dict, new_password: str, sk: bytes | None, rng: "SeededRng") -> dict:
    """§4 password change with the §13 draw order: new salt, then the account-key-wrap nonce."""
    salt = rng.draw(16)
    kdf = {"params": o["kdf"]["params"], "salt": b64e(salt)}
    _, _, kek = derive(new_password, kdf, sk)
    aid, gen = old["record"]["account"], old["record"]["key_generation"]
    return dict(o, kdf=kdf, wrapped_account_key=seal_text(1, kek, rng.draw(24), account_key_ctx(aid, gen),
                                                            old["account_key"]))


# --------------------------------------------------------------------------
# §5 vaults
# --------------------------------------------------------------------------
def parse_vault_key_json(o) -> dict:
    """A vault key as the vectors give it (not a format of the spec)."""
    strict_obj(o, {"key_hex", "key_version", "vault"}, what="vault_key (vector)")
    return {"key": bytes.fromhex(o["key_hex"]), "key_version": o["key_version"], "vault": parse_id(o["vault"])}


def open_wrapped_vault_key(o, account: bytes, account_key: bytes) -> dict:
    """§5 WrappedVaultKey, opened by `account` (kind 3 context uses the opener's id)."""
    strict_obj(o, {"vault", "account", "key_version", "envelope"}, what="WrappedVaultKey")
    vault, kv = parse_id(o["vault"]), get_uint(o, "key_version", 32)
    parse_id(o["account"])
    key = open_envelope(o["envelope"], account_key, ctx("vault_key", account=account, vault=vault, key_version=kv),
                        expect_len=32)
    return {"key": key, "vault": vault, "key_version": kv}


def parse_vault_meta(pt: bytes) -> dict:
    meta = json_loads_strict(pt)
    strict_obj(meta, {"name"}, {"description"}, what="vault metadata")
    get_str(meta, "name")
    get_str(meta, "description", "")
    return meta


def write_vault_meta(meta: dict) -> bytes:
    out = {"name": meta["name"]}
    if meta.get("description"):
        out["description"] = meta["description"]
    return json_compact(out)


def open_vault_meta(o, vk: dict) -> tuple[dict, bytes]:
    strict_obj(o, {"vault", "key_version", "meta"}, what="EncryptedVault")
    vault, kv = parse_id(o["vault"]), get_uint(o, "key_version", 32)
    if vault != vk["vault"] or kv != vk["key_version"]:
        raise VErr("decrypt", "vault/key_version mismatch")  # §5
    pt = open_envelope(o["meta"], vk["key"], ctx("vault_meta", vault=vault, key_version=kv))
    return parse_vault_meta(pt), pt


# --------------------------------------------------------------------------
# §6 items
# --------------------------------------------------------------------------
OVERVIEW_KINDS = ("login", "secure_note", "api_key", "card", "identity", "ssh_key")
DATA_FIELDS = {  # §6.3 table, in writer order
    "login": ["username", "password", "uris", "totp"],
    "secure_note": [],
    "api_key": ["entries"],
    "card": ["cardholder", "brand", "number", "exp_month", "exp_year", "code"],
    "identity": ["full_name", "email", "phone", "address", "document_number"],
    "ssh_key": ["private_key", "public_key", "fingerprint"],
}
LIST_FIELDS = {"uris", "entries"}
CUSTOM_KINDS = ("text", "hidden", "url", "boolean")


def _str_list(v, what):
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise VErr("malformed", f"{what}: not an array of strings")
    return v


def _bool(v, what):
    if not isinstance(v, bool):
        raise VErr("malformed", f"{what}: not a boolean")
    return v


def parse_overview(pt: bytes) -> dict:
    """§6.2 (strict parse, then the version, §0)."""
    o = json_loads_strict(pt)
    strict_obj(o, {"v", "kind", "title"}, {"subtitle", "icon_url", "tags", "favorite"}, what="overview")
    v = get_version(o, "overview")
    if o["kind"] not in OVERVIEW_KINDS:
        raise VErr("malformed", f"overview kind {o['kind']!r}")
    get_str(o, "title"), get_str(o, "subtitle", ""), get_str(o, "icon_url", "")
    _str_list(o.get("tags", []), "tags")
    _bool(o.get("favorite", False), "favorite")
    check_version(v, "overview")
    return o


def normalize_item(it) -> dict:
    """§6.3: validate an Item strictly; return it with every default filled in."""
    strict_obj(it, {"title", "data"}, {"notes", "tags", "favorite", "custom_fields"}, what="Item")
    out = {"title": get_str(it, "title"), "notes": get_str(it, "notes", ""),
           "tags": _str_list(it.get("tags", []), "tags"), "favorite": _bool(it.get("favorite", False), "favorite"),
           "custom_fields": it.get("custom_fields", [])}
    if not isinstance(out["custom_fields"], list):
        raise VErr("malformed", "custom_fields")
    fields = []
    for cf in out["custom_fields"]:
        strict_obj(cf, {"name", "value"}, {"kind"}, what="custom field")
        get_str(cf, "name"), get_str(cf, "value")
        cf = {"name": cf["name"], "value": cf["value"], "kind": cf.get("kind", "text")}  # §6.3: omitted = text
        if cf["kind"] not in CUSTOM_KINDS:
            raise VErr("malformed", f"custom field kind {cf['kind']!r}")
        fields.append(cf)
    out["custom_fields"] = fields
    data = it["data"]
    if not isinstance(data, dict) or "type" not in data:
        raise VErr("malformed", "data without type")
    typ = data["type"]
    if typ not in DATA_FIELDS:
        raise VErr("malformed", f"data type {typ!r}")
    strict_obj(data, {"type"}, DATA_FIELDS[typ], what=f"data({typ})")
    nd = {"type": typ}
    for k in DATA_FIELDS[typ]:
        if k == "uris":
            nd[k] = _str_list(data.get(k, []), "uris")
        elif k == "entries":
            nd[k] = data.get(k, [])
            if not isinstance(nd[k], list):
                raise VErr("malformed", "entries")
            for e in nd[k]:
                strict_obj(e, {"key", "value"}, what="api_key entry")
                get_str(e, "key"), get_str(e, "value")
        else:
            nd[k] = get_str(data, k, "")
    out["data"] = nd
    return out


def parse_details(pt: bytes) -> dict:
    d = json_loads_strict(pt)
    strict_obj(d, {"v", "item"}, what="details")
    v = get_version(d, "details")
    normalize_item(d["item"])
    check_version(v, "details")
    return d


def write_item(item: dict) -> dict:
    """§6.3 writer: member order as listed, optional members omitted when empty/false."""
    n = normalize_item(item)
    d = n["data"]
    data = {"type": d["type"]}
    for k in DATA_FIELDS[d["type"]]:
        if k in ("uris", "totp") and not d[k]:
            continue
        data[k] = ([{"key": e["key"], "value": e["value"]} for e in d[k]] if k == "entries" else d[k])
    out = {"title": n["title"], "data": data}
    if n["notes"]:
        out["notes"] = n["notes"]
    if n["tags"]:
        out["tags"] = n["tags"]
    if n["favorite"]:
        out["favorite"] = True
    if n["custom_fields"]:
        out["custom_fields"] = [{"name": c["name"], "value": c["value"], "kind": c["kind"]}
                                for c in n["custom_fields"]]
    return out


def write_details(item: dict) -> bytes:
    return json_compact({"v": 1, "item": write_item(item)})


def derive_overview(item: dict) -> dict:
    """§6.2: the overview a writer derives from an item, in writer order."""
    n = normalize_item(item)
    d, t = n["data"], n["data"]["type"]
    if t == "login":
        sub = d["username"]
    elif t == "card":
        digits = "".join(c for c in d["number"] if c in "0123456789")  # ASCII digits only
        l4 = digits[-4:]
        if not digits:
            sub = d["brand"]
        elif not d["brand"]:
            sub = f"\u2022\u2022\u2022\u2022 {l4}"
        else:
            sub = f"{d['brand']} \u2022\u2022\u2022\u2022 {l4}"
    elif t == "identity":
        sub = d["full_name"]
    elif t == "api_key":
        sub = ", ".join(e["key"] for e in d["entries"])
    elif t == "ssh_key":
        sub = d["fingerprint"]
    else:
        sub = ""
    ov = {"v": 1, "kind": t, "title": n["title"]}
    if sub:
        ov["subtitle"] = sub
    if t == "login" and d["uris"]:
        ov["icon_url"] = d["uris"][0]  # §6.2: the first URI as is, even "" (absent only without URIs)
    if n["tags"]:
        ov["tags"] = n["tags"]
    if n["favorite"]:
        ov["favorite"] = True
    return ov


def write_overview(ov: dict) -> bytes:
    out = {"v": ov["v"], "kind": ov["kind"], "title": ov["title"]}
    if ov.get("subtitle"):
        out["subtitle"] = ov["subtitle"]
    if "icon_url" in ov:  # §6.2: present (even "") or absent, never decided by emptiness
        out["icon_url"] = ov["icon_url"]
    if ov.get("tags"):
        out["tags"] = ov["tags"]
    if ov.get("favorite"):
        out["favorite"] = True
    return json_compact(out)


def parse_encrypted_item(o) -> dict:
    strict_obj(o, {"vault", "item", "revision", "key_version", "item_key", "overview", "details"},
               what="EncryptedItem")
    return {"vault": parse_id(o["vault"]), "item": parse_id(o["item"]),
            "revision": get_uint(o, "revision", 64), "key_version": get_uint(o, "key_version", 32),
            "item_key": b64d(o["item_key"]), "overview": b64d(o["overview"]), "details": b64d(o["details"])}


def open_item_key(o, vk: dict) -> tuple[dict, bytes]:
    r = parse_encrypted_item(o)
    if r["vault"] != vk["vault"] or r["key_version"] != vk["key_version"]:
        raise VErr("decrypt", "item belongs to another vault / key generation")  # §5, §6.1
    ik = open_envelope(r["item_key"], vk["key"], ctx("item_key", vault=r["vault"], item=r["item"],
                                                     key_version=r["key_version"]), expect_len=32)
    return r, ik


def item_ctx(kind: str, r: dict) -> bytes:
    return ctx(kind, vault=r["vault"], item=r["item"], revision=r["revision"])


def decrypt_item(o, vk) -> dict:
    r, ik = open_item_key(o, vk)
    ov_pt = open_envelope(r["overview"], ik, item_ctx("item_overview", r))
    de_pt = open_envelope(r["details"], ik, item_ctx("item_details", r))
    return {"overview": parse_overview(ov_pt), "details": parse_details(de_pt), "overview_pt": ov_pt,
            "details_pt": de_pt, "item_key": ik, "rec": r}


def encrypt_item(vk: dict, item_id: bytes, revision: int, item: dict, alg: int, rng: "SeededRng") -> dict:
    """§6 writer with the §13 draw order: item key, item-key-wrap nonce, overview nonce, details nonce."""
    ik = rng.draw(32)
    r = {"vault": vk["vault"], "item": item_id, "revision": revision}
    wrapped = seal_text(1, vk["key"], rng.draw(24), ctx("item_key", vault=vk["vault"], item=item_id,
                                                         key_version=vk["key_version"]), ik)
    ov = seal_text(alg, ik, rng.draw(NONCE_LEN[alg]), item_ctx("item_overview", r),
                   write_overview(derive_overview(item)))
    de = seal_text(alg, ik, rng.draw(NONCE_LEN[alg]), item_ctx("item_details", r), write_details(item))
    return {"vault": fmt_id(vk["vault"]), "item": fmt_id(item_id), "revision": revision,
            "key_version": vk["key_version"], "item_key": wrapped, "overview": ov, "details": de}


# --------------------------------------------------------------------------
# §7 grants
# --------------------------------------------------------------------------
ROLES = {"owner": 1, "editor": 2, "viewer": 3}
GRANT_FIELDS = ("v", "vault", "key_version", "sender", "recipient", "role", "enc", "ciphertext", "signature")


def parse_grant(o) -> dict:
    """§7 VaultGrant JSON: strict parse (unknown role = malformed), then `v` (§0);
    enc (32) and signature (64) lengths are parse errors (`malformed`, §7)."""
    strict_obj(o, GRANT_FIELDS, what="VaultGrant")
    v = get_version(o, "grant")
    if o["role"] not in ROLES:
        raise VErr("malformed", f"role {o['role']!r}")
    g = {"v": v, "vault": parse_id(o["vault"]), "key_version": get_uint(o, "key_version", 32),
         "sender": parse_id(o["sender"]), "recipient": parse_id(o["recipient"]), "role": ROLES[o["role"]],
         "enc": b64d_len(o["enc"], 32, "enc"), "ciphertext": b64d(o["ciphertext"]),
         "signature": b64d_len(o["signature"], 64, "grant signature")}
    check_version(v, "grant")
    return g


def grant_info(vault: bytes, kv: int, sender: dict, recipient: dict) -> bytes:
    return (b"VLT1 grant" + vault + be32(kv) + sender["account"] + recipient["account"] + sender["ed25519"]
            + recipient["x25519"])


def grant_signed_bytes(g: dict) -> bytes:
    return (b"VLT1 grant-sig" + bytes([g["v"]]) + g["vault"] + be32(g["key_version"]) + g["sender"]
            + g["recipient"] + bytes([g["role"]]) + g["enc"] + g["ciphertext"])


def open_grant(o, sender_identity: dict, opener: dict, opener_x25519_secret: bytes) -> bytes:
    """§7 opening order.  opener = {"account", "x25519"} of the recipient opening the grant."""
    g = parse_grant(o)
    if g["sender"] != sender_identity["account"]:
        raise VErr("bad_signature", "grant sender differs from sender identity")
    if len(g["ciphertext"]) != 48:
        raise VErr("malformed", "ciphertext must be 48 bytes")
    ed25519_verify_strict(sender_identity["ed25519"], grant_signed_bytes(g), g["signature"])
    if g["recipient"] != opener["account"]:
        raise VErr("invalid_argument", "grant is for another account")
    info = grant_info(g["vault"], g["key_version"], sender_identity, opener)
    return hpke_open_base(g["enc"], opener_x25519_secret, info, bytes([1, g["role"]]), g["ciphertext"])


def make_grant(vk: dict, sender: dict, sender_ed_seed: bytes, recipient: dict, role: str,
               rng: "SeededRng") -> dict:
    """§7 writer with the §13 draw: HPKE ephemeral ikm (32) → DeriveKeyPair."""
    skE, _ = derive_key_pair(rng.draw(32))
    info = grant_info(vk["vault"], vk["key_version"], sender, recipient)
    enc, ct = hpke_seal_base(recipient["x25519"], info, bytes([1, ROLES[role]]), vk["key"], skE)
    g = {"v": 1, "vault": vk["vault"], "key_version": vk["key_version"], "sender": sender["account"],
         "recipient": recipient["account"], "role": ROLES[role], "enc": enc, "ciphertext": ct}
    sig = Ed25519PrivateKey.from_private_bytes(sender_ed_seed).sign(grant_signed_bytes(g))
    return {"v": 1, "vault": fmt_id(vk["vault"]), "key_version": vk["key_version"],
            "sender": fmt_id(sender["account"]), "recipient": fmt_id(recipient["account"]), "role": role,
            "enc": b64e(enc), "ciphertext": b64e(ct), "signature": b64e(sig)}


# --------------------------------------------------------------------------
# §14 account lifecycle: device and PIN unlock, recovery kit, key rotation
# --------------------------------------------------------------------------
def _bip39_wordlist() -> list[str]:
    """The BIP-39 English list (2048 words), from the `mnemonic` package's data file."""
    import mnemonic  # noqa: PLC0415 (only the lifecycle checks need it)
    words = mnemonic.Mnemonic("english").wordlist
    if len(words) != 2048 or sha256("\n".join(words).encode() + b"\n").hex() != \
            "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda":
        raise RuntimeError("the mnemonic package's English list is not the BIP-39 list")
    return words


BIP39 = None
BIP39_INDEX: dict[str, int] = {}


def bip39() -> list[str]:
    global BIP39
    if BIP39 is None:
        BIP39 = _bip39_wordlist()
        BIP39_INDEX.update({w: i for i, w in enumerate(BIP39)})
    return BIP39


def recovery_words(key: bytes) -> str:
    """§14.3: BIP-39 of 32 bytes: key || SHA-256(key)[0], cut into 24 big-endian 11-bit indices."""
    if len(key) != 32:
        raise VErr("invalid_argument", "a recovery key is 32 bytes")
    n = int.from_bytes(key + sha256(key)[:1], "big")
    return " ".join(bip39()[(n >> (11 * (23 - i))) & 0x7FF] for i in range(24))


WHITE_SPACE_RUN = re.compile("[\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def parse_recovery_words(text: str) -> bytes:
    """§14.3 parsing order: exactly 24 words, every word in the list, then the checksum."""
    bip39()
    # §14.3: words are separated by runs of Unicode White_Space, the 25 code points
    # listed there (not U+001C..U+001F, which Python's \s and str.split() include).
    ascii_lower = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
    words = [w.translate(ascii_lower) for w in re.split(WHITE_SPACE_RUN, text) if w]
    if len(words) != 24:
        raise VErr("malformed", f"{len(words)} words")
    idx = []
    for w in words:
        if w not in BIP39_INDEX:
            raise VErr("malformed", "a word is not in the BIP-39 English list")
        idx.append(BIP39_INDEX[w])
    n = 0
    for i in idx:
        n = (n << 11) | i
    cs_bits = len(words) // 3
    ent_bytes = len(words) * 4 // 3
    entropy = (n >> cs_bits).to_bytes(ent_bytes, "big")
    if n & ((1 << cs_bits) - 1) != sha256(entropy)[0] >> (8 - cs_bits):
        raise VErr("checksum", "recovery words checksum")
    return entropy


def recovery_subkeys(key: bytes) -> tuple[bytes, bytes]:
    """§14.3: (wrap key, auth token): HKDF-SHA256 without salt, info "VLT1 recovery-wrap" / "-auth"."""
    return hkdf(b"", key, b"VLT1 recovery-wrap", 32), hkdf(b"", key, b"VLT1 recovery-auth", 32)


def check_local_wrap(w: dict, rec: dict) -> None:
    """§14: the wrap's account must be the record's, and its generation the record's."""
    if w["account"] != rec["account"]:
        raise VErr("invalid_argument", "the wrap belongs to another account")
    if w["generation"] != rec["key_generation"]:
        raise VErr("stale_wrap", "the wrap holds an older account key")


def parse_device_unlock(o) -> dict:
    strict_obj(o, {"v", "account", "device", "generation", "wrapped"}, what="DeviceUnlock")
    v = get_version(o, "device unlock")
    w = {"v": v, "account": parse_id(o["account"]), "device": parse_id(o["device"]),
         "generation": get_uint(o, "generation", 32), "wrapped": b64d(o["wrapped"])}
    check_version(v, "device unlock")
    return w


def device_unlock(o, device_key: bytes, record) -> dict:
    """§14.1 opening order."""
    w = parse_device_unlock(o)
    rec = parse_encrypted_account(record)
    check_local_wrap(w, rec)
    ak = open_envelope(w["wrapped"], device_key, ctx("device_unlock", account=w["account"], device=w["device"],
                                                     generation=w["generation"]), expect_len=32)
    return unlock_with_account_key(rec, ak)


PIN_FIELDS = {"v", "account", "device", "generation", "kdf", "device_bound", "max_attempts", "failed_attempts",
              "wrapped"}


def parse_pin_unlock(o) -> dict:
    strict_obj(o, PIN_FIELDS, what="PinUnlock")
    v = get_version(o, "PIN unlock")
    w = {"v": v, "account": parse_id(o["account"]), "device": parse_id(o["device"]),
         "generation": get_uint(o, "generation", 32), "kdf": parse_kdf_config(o["kdf"]),
         "device_bound": _bool(o["device_bound"], "device_bound"), "max_attempts": get_uint(o, "max_attempts", 8),
         "failed_attempts": get_uint(o, "failed_attempts", 8),
         "wrapped": None if o["wrapped"] is None else b64d(o["wrapped"])}
    check_version(v, "PIN unlock")
    return w


def pin_key(pin: str, salt: bytes, params, device_secret: bytes | None) -> tuple[bytes, bytes]:
    """§14.2: (stretched, key) = (Argon2id(NFKD(pin)), HKDF(salt = device secret or none, stretched, "VLT1 pin-unlock"))."""
    stretched = argon2id(pin, salt, params)
    return stretched, hkdf(device_secret or b"", stretched, b"VLT1 pin-unlock", 32)


def pin_attempt(state: dict, pin: str, device_secret: bytes | None, record) -> tuple[dict, dict | VErr]:
    """§14.2 one attempt on a PinUnlock JSON object: (the object to persist, unlocked account or the error)."""
    w = parse_pin_unlock(state)
    rec = parse_encrypted_account(record)
    new = dict(state)
    try:
        check_local_wrap(w, rec)
        if w["wrapped"] is None:
            raise VErr("locked_out", "the PIN wrap was erased")
        if w["device_bound"] != (device_secret is not None):
            raise VErr("invalid_argument", "device secret expected" if w["device_bound"] else "no device secret")
        params, salt = w["kdf"]
        check_policy(params, "permissive")
        _, key = pin_key(pin, salt, params, device_secret)
        context = ctx("pin_unlock", account=w["account"], device=w["device"], generation=w["generation"])
        try:
            ak = open_envelope(w["wrapped"], key, context, expect_len=32)
        except VErr:
            new["failed_attempts"] = min(w["failed_attempts"] + 1, 255)
            if new["failed_attempts"] >= w["max_attempts"]:
                new["wrapped"] = None
                raise VErr("locked_out", "too many wrong PINs")
            raise VErr("authentication_failed", "wrong PIN")
        new["failed_attempts"] = 0
        return new, unlock_with_account_key(rec, ak)
    except VErr as e:
        return new, e


def parse_recovery_wrap(o) -> dict:
    strict_obj(o, {"v", "account", "generation", "wrapped", "verifier"}, what="RecoveryWrap")
    v = get_version(o, "recovery wrap")
    w = {"v": v, "account": parse_id(o["account"]), "generation": get_uint(o, "generation", 32),
         "wrapped": b64d(o["wrapped"]), "verifier": b64d_len(o["verifier"], 32, "verifier")}
    check_version(v, "recovery wrap")
    return w


def recover(o, words: str, record) -> dict:
    """§14.3: words → key, then the wrap's checks and the kind-11 open."""
    key = parse_recovery_words(words)
    w = parse_recovery_wrap(o)
    rec = parse_encrypted_account(record)
    check_local_wrap(w, rec)
    wrap_key, _ = recovery_subkeys(key)
    ak = open_envelope(w["wrapped"], wrap_key, ctx("recovery_key", account=w["account"], generation=w["generation"]),
                       expect_len=32)
    return unlock_with_account_key(rec, ak)


def parse_rotation(o) -> dict:
    strict_obj(o, {"from_generation", "record", "vault_keys"}, what="AccountKeyRotation")
    if not isinstance(o["vault_keys"], list):
        raise VErr("malformed", "vault_keys")
    for w in o["vault_keys"]:
        strict_obj(w, {"vault", "account", "key_version", "envelope"}, what="WrappedVaultKey")
        parse_id(w["vault"]), parse_id(w["account"]), get_uint(w, "key_version", 32), b64d(w["envelope"])
    return {"from_generation": get_uint(o, "from_generation", 32), "record": parse_encrypted_account(o["record"])}


def rotate_account_key(record, password: str, old: dict, own_wraps: list, rng: "SeededRng") -> tuple[dict, bytes]:
    """§14.4 writer with the §13 draw order: new key, one nonce per own wrap, identity nonce, account-key nonce."""
    rec = parse_encrypted_account(record)
    aid, gen = rec["account"], rec["key_generation"]
    params, salt = rec["kdf"]
    _, kek = subkeys(argon2id(password, salt, params))
    new_key = rng.draw(32)
    vault_keys = []
    for w in own_wraps:
        k = open_wrapped_vault_key(w, aid, old["account_key"])
        env = seal_text(1, new_key, rng.draw(24), ctx("vault_key", account=aid, vault=k["vault"],
                                                      key_version=k["key_version"]), k["key"])
        vault_keys.append({"vault": w["vault"], "account": fmt_id(aid), "key_version": k["key_version"],
                           "envelope": env})
    wrapped_identity = seal_text(1, new_key, rng.draw(24), ctx("identity_keys", account=aid),
                                 old["x25519_secret"] + old["ed25519_seed"])
    new_record = {"v": 1, "account": record["account"], "kdf": record["kdf"], "key_generation": gen + 1,
                  "wrapped_account_key": seal_text(1, kek, rng.draw(24), account_key_ctx(aid, gen + 1), new_key),
                  "wrapped_identity": wrapped_identity, "public_identity": record["public_identity"]}
    return {"from_generation": gen, "record": new_record, "vault_keys": vault_keys}, new_key


# --------------------------------------------------------------------------
# §13 seeded RNG: ChaCha20Rng::from_seed, consumed in 4-byte little-endian words
# --------------------------------------------------------------------------
class SeededRng:
    """rand_chacha ChaCha20Rng::from_seed(seed): the ChaCha20 keystream with key = seed,
    block counter 0, stream 0 (cryptography's 16-byte nonce is counter || nonce).  A draw
    of n bytes takes ceil(n/4) words and discards the unused bytes of the last word."""

    def __init__(self, seed: bytes):
        if len(seed) != 32:
            raise ValueError("seed must be 32 bytes")
        self._enc = Cipher(algorithms.ChaCha20(seed, b"\0" * 16), None).encryptor()

    def draw(self, n: int) -> bytes:
        return self._enc.update(b"\0" * (4 * -(-n // 4)))[:n]


def rng_of(hexseed: str) -> SeededRng:
    return SeededRng(bytes.fromhex(hexseed))


# --------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------
class Report:
    def __init__(self, rng: bool):
        self.rng = rng
        self.passed = 0
        self.failed = 0
        self.skipped: list[str] = []
        self.notes: list[str] = []

    def section(self, name: str):
        return Section(self, name)


class Section:
    def __init__(self, rep: Report, name: str):
        self.rep, self.name = rep, name
        self.ok = self.fail_ok = self.rng_ok = self.rng_total = 0
        self.failures: list[str] = []
        self.rng_skipped: list[str] = []

    def check(self, label: str, fn, is_fail_vector: bool = False, rng: bool = False):
        """fn returns None/[] on success or a str / list of str describing problems.
        rng=True: a byte-for-byte reproduction from seed_hex, run only with --rng."""
        if rng:
            self.rng_total += 1
            if not self.rep.rng:
                self.rng_skipped.append(label)
                return
        try:
            r = fn()
        except VErr as e:
            r = f"unexpected error {e.code}: {e}"
        except Exception as e:  # noqa: BLE001
            r = f"exception {type(e).__name__}: {e}\n{traceback.format_exc()}"
        if isinstance(r, list):
            r = "; ".join(r) if r else None
        if r:
            self.failures.append(f"{label}: {r}")
            self.rep.failed += 1
            return
        self.rep.passed += 1
        if rng:
            self.rng_ok += 1
        elif is_fail_vector:
            self.fail_ok += 1
        else:
            self.ok += 1

    def skip(self, what: str, why: str):
        self.rep.skipped.append(f"SKIPPED: {self.name}: {what} ({why})")

    def done(self, extra: str = ""):
        line = f"{self.name}: {self.ok} ok, {self.fail_ok} fail-vectors ok"
        if self.rep.rng and self.rng_total:
            line += f", {self.rng_ok} seed reproductions ok"
        if self.failures:
            line += f", {len(self.failures)} FAILED"
        if extra:
            line += f" {extra}"
        print(line)
        for f in self.failures:
            print(f"  FAIL {f}")
        if self.rng_skipped:
            kinds = sorted({lab.rsplit("/", 1)[-1] for lab in self.rng_skipped})
            self.skip(f"{len(self.rng_skipped)} byte-for-byte reproduction(s) from seed_hex ({', '.join(kinds)})",
                      "need the §13 RNG; run with --rng")


def load(vdir: str, name: str) -> dict:
    with open(os.path.join(vdir, name + ".json"), encoding="utf-8") as f:
        d = json.load(f)
    assert d["operation"] == name and d["format_version"] == 1, name
    return d


def sk_of(v) -> bytes | None:
    return bytes.fromhex(v["secret_key_hex"]) if v.get("secret_key_hex") else None


def diff_json(got, want, what: str) -> list[str]:
    if got == want:
        return []
    if isinstance(got, dict) and isinstance(want, dict):
        keys = sorted(set(got) | set(want))
        return [f"{what}.{k}: {str(got.get(k))[:60]!s} != {str(want.get(k))[:60]!s}"
                for k in keys if got.get(k) != want.get(k)]
    return [f"{what}: {str(got)[:80]} != {str(want)[:80]}"]


# ---- per-file checks -----------------------------------------------------
def run_kdf(rep: Report, vdir: str):
    s = rep.section("kdf")
    for v in load(vdir, "kdf")["vectors"]:
        policy = v.get("policy", "permissive")
        if "error" in v:
            s.check(v["name"], lambda v=v, policy=policy: expect_error(
                v["error"], derive, v["password"], v["kdf"], sk_of(v), policy), True)
            continue

        def ok(v=v, policy=policy):
            errs = []
            stretched, auth, kek = derive(v["password"], v["kdf"], sk_of(v), policy)
            if stretched.hex() != v["stretched_hex"]:
                errs.append("Argon2id output != stretched_hex")
            if auth.hex() != v["auth_key_hex"]:
                errs.append("auth_key mismatch")
            if kek.hex() != v["kek_hex"]:
                errs.append("kek mismatch")
            return errs
        s.check(v["name"], ok)
    s.done()


def run_hkdf(rep: Report, vdir: str):
    s = rep.section("hkdf")
    for v in load(vdir, "hkdf")["vectors"]:
        def ok(v=v):
            errs = []
            st = bytes.fromhex(v["stretched_hex"])
            auth, kek = subkeys(st)
            if auth.hex() != v["auth_key_hex"] or kek.hex() != v["kek_hex"]:
                errs.append("subkeys without secret key mismatch")
            if "with_secret_key" in v:
                auth, kek = subkeys(mix_secret_key(st, b64d(v["salt"]), bytes.fromhex(v["secret_key_hex"])))
                w = v["with_secret_key"]
                if auth.hex() != w["auth_key_hex"] or kek.hex() != w["kek_hex"]:
                    errs.append("subkeys with secret key mismatch")
            return errs
        s.check(v["name"], ok)
    s.done()


def run_envelope(rep: Report, vdir: str):
    s = rep.section("envelope")
    vecs = load(vdir, "envelope")["vectors"]
    for v in vecs:
        context = ctx_from_json(v["context"])
        key = bytes.fromhex(v["key_hex"])
        if "error" in v:
            def f(v=v, context=context, key=key):
                env = bytes.fromhex(v["envelope_hex"]) if "envelope_hex" in v else v["envelope_text"]
                return expect_error(v["error"], open_envelope, env, key, context)
            s.check(v["name"], f, True)
            continue

        def ok(v=v, context=context, key=key):
            errs = []
            alg = ALG_NAMES[v["algorithm"]]
            if aad_for(alg, context).hex() != v["aad_hex"]:
                errs.append(f"aad {aad_for(alg, context).hex()} != aad_hex")
            env = bytes.fromhex(v["envelope_hex"])
            if b64d(v["envelope_text"]) != env or b64e(env) != v["envelope_text"]:
                errs.append("envelope_text is not the text form of envelope_hex")
            a2, nonce, _ = parse_envelope(env)
            if a2 != alg or nonce.hex() != v["nonce_hex"]:
                errs.append("parsed header/nonce mismatch")
            for form in (env, v["envelope_text"]):
                if open_envelope(form, key, context).hex() != v["plaintext_hex"]:
                    errs.append("decrypted plaintext mismatch")
            if seal_envelope(alg, key, bytes.fromhex(v["nonce_hex"]), context,
                             bytes.fromhex(v["plaintext_hex"])) != env:
                errs.append("re-encryption differs")
            e = expect_error("decrypt", open_envelope, bytes([1, 3 - alg]) + env[2:], key, context)  # §3
            if e and "malformed" not in e:
                errs.append(f"algorithm-swapped envelope: {e}")
            return errs
        s.check(v["name"], ok)

    # the tamper vectors are single changes of one valid envelope (revision 5)
    base = [v for v in vecs if v["name"] == "fail_wrong_aad_revision"]
    if base:
        v = base[0]
        s.check("fail_* tamper base opens under revision 5", lambda v=v: (open_envelope(
            bytes.fromhex(v["envelope_hex"]), bytes.fromhex(v["key_hex"]),
            ctx_from_json(dict(v["context"], revision=5))), None)[1])
    s.done()


def run_secret_key(rep: Report, vdir: str):
    s = rep.section("secret_key")
    for v in load(vdir, "secret_key")["vectors"]:
        if "error" in v:
            s.check(v["name"], lambda v=v: expect_error(v["error"], parse_secret_key, v["text"]), True)
            continue

        def ok(v=v):
            errs = []
            key = bytes.fromhex(v["bytes_hex"])
            if secret_key_to_text(key) != v["text"]:
                errs.append(f"encode gives {secret_key_to_text(key)}")
            for t in [v["text"]] + v.get("also_parses", []):
                if parse_secret_key(t) != key:
                    errs.append(f"{t!r} parses differently")
            return errs
        s.check(v["name"], ok)
    s.done()


def run_fingerprint(rep: Report, vdir: str):
    s = rep.section("fingerprint")
    for v in load(vdir, "fingerprint")["vectors"]:
        if "error" in v:
            s.check(v["name"], lambda v=v: expect_error(
                v["error"], lambda: verify_public_identity(parse_public_identity(v["identity"]))), True)
            continue

        def ok(v=v):
            pi = parse_public_identity(v["identity"])
            verify_public_identity(pi)
            fp = fingerprint(pi)
            return None if fp == v["fingerprint"] else f"fingerprint {fp}"
        s.check(v["name"], ok)
    s.done()


def run_shamir(rep: Report, vdir: str):
    s = rep.section("shamir")
    subsets_checked = 0
    for v in load(vdir, "shamir")["vectors"]:
        if "error" in v:
            def f(v=v):
                if "share_text" in v:
                    return expect_error(v["error"], parse_share_text, v["share_text"])
                shares = [bytes.fromhex(h) for h in v["share_bytes_hex"]]
                if v["name"].startswith("fail_share_"):
                    # a single malformed binary share: the binary parse itself must fail (§10) ...
                    e = expect_error(v["error"], parse_share_binary, shares[0])
                    if e:
                        return f"parse: {e}"
                # ... and so must combining (parse errors come before the combine rules)
                return expect_error(v["error"], shamir_combine, shares)
            s.check(v["name"], f, True)
            continue

        def ok(v=v):
            nonlocal subsets_checked
            errs = []
            secret = bytes.fromhex(v["secret_hex"])
            bins = [bytes.fromhex(h) for h in v["share_bytes_hex"]]
            if len(bins) != v["shares"]:
                errs.append("share count")
            for b, t in zip(bins, v["share_texts"]):
                if parse_share_text(t) != b:
                    errs.append(f"text {t[:14]}... does not parse to its binary share")
                if share_binary_to_text(b) != t:
                    errs.append(f"binary share does not encode to {t[:14]}...")
                for variant in (t.lower(), t.replace("-", " "), t.replace("0", "O").replace("1", "l")):
                    if parse_share_text(variant) != b:
                        errs.append(f"§9 lenient form of {t[:14]}... does not parse")
                        break
                sh = parse_share_binary(b)
                if sh["k"] != v["threshold"] or len(sh["y"]) != len(secret) + 16:
                    errs.append("k or y length unexpected")
            for r in range(v["threshold"], v["shares"] + 1):
                for sub in itertools.combinations(bins, r):
                    for order in (sub, tuple(reversed(sub))):
                        subsets_checked += 1
                        if shamir_combine(list(order)) != secret:
                            msg = f"a subset of {r} shares gives a different secret"
                            if msg not in errs:
                                errs.append(msg)
            for sub in itertools.combinations(bins, v["threshold"] - 1):
                if sub:
                    e = expect_error("shamir", shamir_combine, list(sub))
                    if e:
                        errs.append(f"k-1 shares: {e}")
            return errs
        s.check(v["name"], ok)

        def rng_split(v=v):
            got = shamir_split(bytes.fromhex(v["secret_hex"]), v["threshold"], v["shares"], rng_of(v["seed_hex"]))
            return None if [g.hex() for g in got] == v["share_bytes_hex"] else "split(seed_hex) gives other shares"
        s.check(f"{v['name']}/split", rng_split, rng=True)
    s.done(f"({subsets_checked} share subsets combined)")


def run_account(rep: Report, vdir: str):
    s = rep.section("account")
    for v in load(vdir, "account")["vectors"]:
        name = v["name"]
        if "error" in v:
            # a record given as JSON text: parse it as an EncryptedAccount (§4, §0)
            s.check(name, lambda v=v: expect_error(v["error"], lambda: parse_encrypted_account(
                json_loads_strict(v["record_json"]))), True)
            continue
        sk = sk_of(v)

        def ok(v=v, sk=sk):
            errs = []
            a = unlock_account(v["encrypted"], v["password"], sk)
            if a["account_key"].hex() != v["account_key_hex"]:
                errs.append("account key mismatch")
            if a["auth_key"].hex() != v["auth_key_hex"]:
                errs.append("auth_key mismatch")
            pi = a["record"]["public_identity"]
            verify_public_identity(pi)
            if fingerprint(pi) != v["fingerprint"]:
                errs.append(f"fingerprint {fingerprint(pi)}")
            if a["record"]["kdf"][0] != parse_kdf_params(v["params"]):
                errs.append("record kdf params differ from vector params")
            return errs
        s.check(f"{name}/unlock", ok)
        s.check(f"{name}/fail_wrong_password", lambda v=v, sk=sk: expect_error(
            v["fail_wrong_password"]["error"], unlock_account, v["encrypted"], v["fail_wrong_password"]["password"],
            sk), True)
        cp = v["change_password"]

        def ok_cp(v=v, sk=sk, cp=cp):
            errs = []
            a = unlock_account(cp["encrypted"], cp["new_password"], sk)  # the Secret Key survives (§1.2)
            if a["account_key"].hex() != v["account_key_hex"]:
                errs.append("account key after password change differs")
            if a["auth_key"].hex() != cp["auth_key_hex"]:
                errs.append("auth_key after change mismatch")
            old, new = v["encrypted"], cp["encrypted"]
            if new["kdf"]["salt"] == old["kdf"]["salt"]:
                errs.append("salt not renewed")
            for k in ("wrapped_identity", "public_identity", "account", "v"):
                if new[k] != old[k]:
                    errs.append(f"{k} changed by password change")
            if new["wrapped_account_key"] == old["wrapped_account_key"]:
                errs.append("wrapped_account_key not re-wrapped")
            return errs
        s.check(f"{name}/change_password", ok_cp)
        s.check(f"{name}/fail_old_password_after_change", lambda v=v, sk=sk, cp=cp: expect_error(
            v["fail_old_password_after_change"]["error"], unlock_account, cp["encrypted"],
            v["fail_old_password_after_change"]["password"], sk), True)
        s.check(f"{name}/default_policy_rejects_test_params", lambda v=v, sk=sk: expect_error(
            "kdf_policy", unlock_account, v["encrypted"], v["password"], sk, "default"), True)

        def rng_create(v=v, sk=sk):
            rec, ak, auth = create_account(rng_of(v["seed_hex"]), v["password"], sk, parse_kdf_params(v["params"]))
            errs = diff_json(rec, v["encrypted"], "encrypted")
            if ak.hex() != v["account_key_hex"] or auth.hex() != v["auth_key_hex"]:
                errs.append("account key / auth key differ")
            return errs
        s.check(f"{name}/create", rng_create, rng=True)

        def rng_cp(v=v, sk=sk, cp=cp):
            old = unlock_account(v["encrypted"], v["password"], sk)
            new = change_password(v["encrypted"], old, cp["new_password"], sk, rng_of(cp["seed_hex"]))
            return diff_json(new, cp["encrypted"], "change_password.encrypted")
        s.check(f"{name}/change_password", rng_cp, rng=True)
    s.done()


def run_vault(rep: Report, vdir: str):
    s = rep.section("vault")
    for v in load(vdir, "vault")["vectors"]:
        vk1 = parse_vault_key_json(v["vault_key"])
        rot = v["rotate"]
        vk2 = parse_vault_key_json(rot["vault_key"])
        name = v["name"]
        owner = parse_id(v["owner_account"])
        owner_ak = bytes.fromhex(v["owner_account_key_hex"])

        def meta_ok(enc, vk, label):
            def f():
                meta, pt = open_vault_meta(enc, vk)
                errs = diff_json(meta, v["meta"], label)
                if pt != write_vault_meta(v["meta"]):
                    errs.append(f"{label} plaintext is not the §0/§5 compact writer form: {pt!r}")
                return errs
            return f
        s.check(f"{name}/meta", meta_ok(v["encrypted_vault"], vk1, "meta"))
        s.check(f"{name}/rotate/meta", meta_ok(rot["encrypted_vault"], vk2, "rotated meta"))
        if rot["encrypted_vault"]["meta"] == v["encrypted_vault"]["meta"]:
            s.check(f"{name}/rotate/meta re-sealed", lambda: "rotation did not re-seal the metadata")

        for label, wk, vk in (("wrapped_key", v["wrapped_key"], vk1), ("rotate/wrapped_key", rot["wrapped_key"], vk2)):
            def f(wk=wk, vk=vk):
                errs = []
                if parse_id(wk["account"]) != owner:
                    errs.append("wrapped key is not for owner_account")
                k = open_wrapped_vault_key(wk, owner, owner_ak)
                if (k["key"], k["vault"], k["key_version"]) != (vk["key"], vk["vault"], vk["key_version"]):
                    errs.append("opened vault key / vault / key_version differ from the vault key")
                return errs
            s.check(f"{name}/{label} opens under owner_account_key", f)
        s.check(f"{name}/rotate/wrapped_key is not a generation-1 key", lambda: expect_error(
            "decrypt", open_wrapped_vault_key, dict(rot["wrapped_key"], key_version=1), owner, owner_ak), True)

        old_keys = {}
        if len(v["items"]) != len(v["items_plaintext"]):
            s.check(f"{name}/items_plaintext", lambda: "items / items_plaintext length differ")
        for it, plain in zip(v["items"], v["items_plaintext"]):
            def f(it=it, plain=plain):
                d = decrypt_item(it, vk1)
                old_keys[it["item"]] = d["item_key"]
                errs = diff_json(d["details"]["item"], plain, "item")
                if d["details_pt"] != write_details(plain):
                    errs.append("details plaintext is not the §6.3 writer form")
                if d["overview_pt"] != write_overview(derive_overview(plain)):
                    errs.append(f"overview {d['overview']} is not the §6.2 derivation")
                return errs
            s.check(f"{name}/item {it['item'][:8]}", f)
        for it in rot["items"]:
            def f(it=it):
                d = decrypt_item(it, vk2)
                errs = []
                if old_keys.get(it["item"]) != d["item_key"]:
                    errs.append("rotation changed the item key (spec: re-wrap)")
                orig = [o for o in v["items"] if o["item"] == it["item"]][0]
                if orig["overview"] != it["overview"] or orig["details"] != it["details"]:
                    errs.append("rotation changed overview/details envelopes")
                if orig["item_key"] == it["item_key"]:
                    errs.append("item key not re-wrapped")
                return errs
            s.check(f"{name}/rotate/item {it['item'][:8]}", f)
            s.check(f"{name}/rotate/fail_old_key_on_rotated_item {it['item'][:8]}",
                    lambda it=it: expect_error(rot["fail_old_key_on_rotated_item"], decrypt_item, it, vk1), True)
            # the old key bytes fail in the AEAD too, not only in the key_version check
            s.check(f"{name}/rotate/old key bytes on {it['item'][:8]} item_key", lambda it=it: expect_error(
                "decrypt", decrypt_item, it, dict(vk1, key_version=2)), True)

        def rng_owner(v=v):
            ident = identity_from_seed(bytes.fromhex(v["owner_seed_hex"]))
            if ident["account"] != owner or ident["account_key"] != owner_ak:
                return "owner account id / account key from owner_seed_hex differ"
        s.check(f"{name}/owner account", rng_owner, rng=True)

        def rng_create(v=v):
            rng = rng_of(v["seed_hex"])
            vid, key = uuid_v4_from(rng.draw(16)), rng.draw(32)
            errs = []
            if (vid, key, 1) != (vk1["vault"], vk1["key"], vk1["key_version"]):
                errs.append("vault id / vault key differ")
            meta = seal_text(1, key, rng.draw(24), ctx("vault_meta", vault=vid, key_version=1),
                             write_vault_meta(v["meta"]))
            errs += diff_json({"vault": fmt_id(vid), "key_version": 1, "meta": meta}, v["encrypted_vault"],
                              "encrypted_vault")
            env = seal_text(1, owner_ak, rng.draw(24), ctx("vault_key", account=owner, vault=vid, key_version=1), key)
            errs += diff_json({"vault": fmt_id(vid), "account": fmt_id(owner), "key_version": 1, "envelope": env},
                              v["wrapped_key"], "wrapped_key")
            return errs
        s.check(f"{name}/create", rng_create, rng=True)

        def rng_rotate(v=v):
            rng = rng_of(rot["seed_hex"])
            key, kv = rng.draw(32), vk1["key_version"] + 1
            errs = []
            if (key, kv) != (vk2["key"], vk2["key_version"]):
                errs.append("new vault key / key_version differ")
            vid = vk1["vault"]
            meta = seal_text(1, key, rng.draw(24), ctx("vault_meta", vault=vid, key_version=kv),
                             write_vault_meta(v["meta"]))
            errs += diff_json({"vault": fmt_id(vid), "key_version": kv, "meta": meta}, rot["encrypted_vault"],
                              "rotate.encrypted_vault")
            for old, new in zip(v["items"], rot["items"]):
                r, ik = open_item_key(old, vk1)
                wrapped = seal_text(1, key, rng.draw(24), ctx("item_key", vault=vid, item=r["item"], key_version=kv),
                                    ik)
                errs += diff_json(dict(old, key_version=kv, item_key=wrapped), new, f"rotate.items[{old['item'][:8]}]")
            wrng = rng_of(rot["wrap_seed_hex"])
            env = seal_text(1, owner_ak, wrng.draw(24), ctx("vault_key", account=owner, vault=vid, key_version=kv), key)
            errs += diff_json({"vault": fmt_id(vid), "account": fmt_id(owner), "key_version": kv, "envelope": env},
                              rot["wrapped_key"], "rotate.wrapped_key")
            return errs
        s.check(f"{name}/rotate", rng_rotate, rng=True)
    s.done()


def run_item(rep: Report, vdir: str):
    s = rep.section("item")
    for v in load(vdir, "item")["vectors"]:
        vk = parse_vault_key_json(v["vault_key"])
        if "error" in v:
            s.check(v["name"], lambda v=v, vk=vk: expect_error(v["error"], decrypt_item, v["encrypted"], vk), True)
            continue

        def ok(v=v, vk=vk):
            errs = []
            enc = v["encrypted"]
            if enc["item"] != v["item_id"] or enc["revision"] != v["revision"]:
                errs.append("item id / revision mismatch")
            d = decrypt_item(enc, vk)
            alg = ALG_NAMES[v["algorithm"]]
            for f in ("overview", "details"):
                if b64d(enc[f])[1] != alg:
                    errs.append(f"{f} algorithm byte {b64d(enc[f])[1]} != {alg}")
            if b64d(enc["item_key"])[1] != 1:
                errs.append("item_key (kind 5) not sealed with XChaCha20-Poly1305 (§2 writers)")
            errs += diff_json(d["details"]["item"], v["item"], "item")
            errs += diff_json(d["overview"], v["overview"], "overview")
            errs += diff_json(derive_overview(v["item"]), v["overview"], "§6.2 derived overview")
            if d["details_pt"] != write_details(v["item"]):
                errs.append("details plaintext is not the §6.3 writer form")
            if d["overview_pt"] != write_overview(v["overview"]):
                errs.append("overview plaintext is not the §6.2 writer form")
            return errs
        s.check(v["name"], ok)

        def rng_enc(v=v, vk=vk):
            got = encrypt_item(vk, parse_id(v["item_id"]), v["revision"], v["item"], ALG_NAMES[v["algorithm"]],
                               rng_of(v["seed_hex"]))
            return diff_json(got, v["encrypted"], "encrypted")
        s.check(f"{v['name']}/encrypt", rng_enc, rng=True)
    s.done()


def run_list(rep: Report, vdir: str):
    s = rep.section("list")
    for v in load(vdir, "list")["vectors"]:
        vk = parse_vault_key_json(v["vault_key"])
        if len(v["items"]) != len(v["results"]):
            s.check(v["name"], lambda: "items/results length differ")
            continue
        for i, (it, res) in enumerate(zip(v["items"], v["results"])):
            def f(it=it, res=res):
                try:
                    r, ik = open_item_key(it, vk)
                    ov = parse_overview(open_envelope(r["overview"], ik, item_ctx("item_overview", r)))
                    got = {"ok": {"item": fmt_id(r["item"]), "overview": ov, "revision": r["revision"]}}
                except VErr as e:
                    got = {"error": e.code}
                return None if got == res else f"got {got}, expected {res}"
            s.check(f"{v['name']}[{i}]", f, "error" in res)
        for i, (it, res) in enumerate(zip(v["items"], v["results"])):
            if "error" in res and parse_id(it["vault"]) != vk["vault"]:
                s.check(f"{v['name']}[{i}] other-vault slot fails in the AEAD too", lambda it=it: expect_error(
                    "decrypt", decrypt_item, it, dict(vk, vault=parse_id(it["vault"]))), True)
    s.done()


def run_grant(rep: Report, vdir: str):
    s = rep.section("grant")
    for v in load(vdir, "grant")["vectors"]:
        sender = parse_public_identity(v["sender_identity"])
        xsec = bytes.fromhex(v["recipient_x25519_secret_hex"])
        if "error" in v:
            opener = {"account": parse_id(v["recipient_account"]), "x25519": x25519_public(xsec)}
            s.check(v["name"], lambda v=v, sender=sender, opener=opener, xsec=xsec: expect_error(
                v["error"], open_grant, v["grant"], sender, opener, xsec), True)

            def rng_recipient(v=v, opener=opener):
                ident = identity_from_seed(bytes.fromhex(v["recipient_seed_hex"]))
                if ident["account"] != opener["account"] or ident["x25519_secret"] != xsec:
                    return "recipient account / X25519 secret from recipient_seed_hex differ"
            s.check(f"{v['name']}/recipient account", rng_recipient, rng=True)
            continue

        recip = parse_public_identity(v["recipient_identity"])
        vk = parse_vault_key_json(v["vault_key"])

        def ok(v=v, sender=sender, recip=recip, vk=vk, xsec=xsec):
            errs = []
            verify_public_identity(sender)
            verify_public_identity(recip)
            if x25519_public(xsec) != recip["x25519"]:
                errs.append("recipient_x25519_secret_hex does not match recipient_identity.x25519")
            g = parse_grant(v["grant"])
            if ROLES[v["role"]] != g["role"]:
                errs.append("role")
            if (g["vault"], g["key_version"]) != (vk["vault"], vk["key_version"]):
                errs.append("grant vault/key_version differ from vault_key")
            info = grant_info(g["vault"], g["key_version"], sender, recip)
            if info.hex() != v["hpke_info_hex"]:
                errs.append(f"hpke info {info.hex()} != hpke_info_hex")
            if open_grant(v["grant"], sender, recip, xsec) != vk["key"]:
                errs.append("HPKE-opened vault key != vault_key")
            return errs
        s.check(f"{v['name']} (signature, info, HPKE open)", ok)

        def rng_ids(v=v, sender=sender, recip=recip):
            errs = []
            for who, seed, pi in (("sender", v["sender_seed_hex"], v["sender_identity"]),
                                  ("recipient", v["recipient_seed_hex"], v["recipient_identity"])):
                errs += diff_json(identity_from_seed(bytes.fromhex(seed))["public_identity"], pi, f"{who}_identity")
            if identity_from_seed(bytes.fromhex(v["recipient_seed_hex"]))["x25519_secret"] != xsec:
                errs.append("recipient X25519 secret differs")
            return errs
        s.check(f"{v['name']}/identities", rng_ids, rng=True)

        def rng_seal(v=v, sender=sender, recip=recip, vk=vk):
            sid = identity_from_seed(bytes.fromhex(v["sender_seed_hex"]))
            got = make_grant(vk, sender, sid["ed25519_seed"], recip, v["role"], rng_of(v["seed_hex"]))
            return diff_json(got, v["grant"], "grant")
        s.check(f"{v['name']}/grant", rng_seal, rng=True)
    s.done()


def run_lifecycle(rep: Report, vdir: str):
    s = rep.section("lifecycle")
    vecs = load(vdir, "lifecycle")["vectors"]

    def ak_of(a) -> str:
        return a["account_key"].hex()

    def outcome(v, fn, *args):
        """A fail_* vector: fn(*args) must raise VErr(v["error"])."""
        return expect_error(v["error"], fn, *args)

    for v in vecs:
        name, case = v["name"], v["case"]
        is_fail = name.startswith("fail_")
        if case == "context":
            def f(v=v):
                errs = []
                c = ctx_from_json(v["context"])
                alg = ALG_NAMES[v["algorithm"]]
                if c[0] != v["kind"]:
                    errs.append(f"kind byte {c[0]} != {v['kind']}")
                if aad_for(alg, c).hex() != v["aad_hex"]:
                    errs.append(f"aad {aad_for(alg, c).hex()} != aad_hex")
                key, nonce, pt = (bytes.fromhex(v[k]) for k in ("key_hex", "nonce_hex", "plaintext_hex"))
                env = seal_envelope(alg, key, nonce, c, pt)
                if env.hex() != v["envelope_hex"] or b64e(env) != v["envelope_text"]:
                    errs.append("sealed envelope differs")
                if open_envelope(v["envelope_text"], key, c) != pt:
                    errs.append("opened plaintext differs")
                return errs
            s.check(name, f)
        elif case == "device_unlock":
            def f(v=v):
                errs = []
                w = parse_device_unlock(v["wrap"])
                rec = parse_encrypted_account(v["record"])
                if (w["account"], w["device"], w["generation"]) != (rec["account"], parse_id(v["device"]),
                                                                    rec["key_generation"]):
                    errs.append("wrap account / device / generation differ from the record's")
                a = device_unlock(v["wrap"], bytes.fromhex(v["device_key_hex"]), v["record"])
                if ak_of(a) != v["account_key_hex"]:
                    errs.append("device unlock gives another account key")
                return errs
            s.check(f"{name}/unlock", f)

            def rng_wrap(v=v):
                rng = rng_of(v["seed_hex"])
                key = rng.draw(32) if v["generate_key"] else bytes.fromhex(v["device_key_hex"])
                errs = [] if key.hex() == v["device_key_hex"] else ["device key differs"]
                rec = parse_encrypted_account(v["record"])
                dev = parse_id(v["device"])
                env = seal_text(1, key, rng.draw(24), ctx("device_unlock", account=rec["account"], device=dev,
                                                          generation=rec["key_generation"]),
                                bytes.fromhex(v["account_key_hex"]))
                want = {"v": 1, "account": fmt_id(rec["account"]), "device": fmt_id(dev),
                        "generation": rec["key_generation"], "wrapped": env}
                return errs + diff_json(want, v["wrap"], "wrap")
            s.check(f"{name}/wrap", rng_wrap, rng=True)
        elif case == "pin_unlock":
            secret = bytes.fromhex(v["device_secret_hex"]) if v["device_secret_hex"] else None

            def f(v=v, secret=secret):
                errs = []
                w = parse_pin_unlock(v["wrap"])
                params, salt = w["kdf"]
                if params != parse_kdf_params(v["params"]):
                    errs.append("wrap params differ from params")
                if w["device_bound"] != (secret is not None) or w["max_attempts"] != v["max_attempts"] \
                        or w["failed_attempts"] != 0:
                    errs.append("device_bound / max_attempts / failed_attempts")
                stretched, key = pin_key(v["pin"], salt, params, secret)
                if stretched.hex() != v["stretched_hex"] or key.hex() != v["pin_key_hex"]:
                    errs.append("Argon2id(PIN) or the PIN key differ")
                rec = parse_encrypted_account(v["record"])
                pt = open_envelope(w["wrapped"], key, ctx("pin_unlock", account=w["account"], device=w["device"],
                                                          generation=rec["key_generation"]), 32)
                if pt.hex() != v["account_key_hex"]:
                    errs.append("the PIN wrap holds another key")
                state = v["wrap"]
                for i, a in enumerate(v["attempts"]):
                    sec = bytes.fromhex(a["device_secret_hex"]) if a["device_secret_hex"] else None
                    state, r = pin_attempt(state, a["pin"], sec, v["record"])
                    if isinstance(r, VErr):
                        if r.code != a["error"]:
                            errs.append(f"attempt {i}: error {r.code}, expected {a['error']}")
                    elif a["error"] is not None:
                        errs.append(f"attempt {i}: succeeded, expected {a['error']}")
                    elif ak_of(r) != v["account_key_hex"]:
                        errs.append(f"attempt {i}: another account key")
                    errs += diff_json(state, a["state"], f"attempt {i} state")
                    state = a["state"]
                return errs
            s.check(f"{name}/attempts", f)

            def rng_wrap(v=v, secret=secret):
                rng = rng_of(v["seed_hex"])
                rec = parse_encrypted_account(v["record"])
                dev = parse_id(v["device"])
                params = parse_kdf_params(v["params"])
                salt = rng.draw(16)
                _, key = pin_key(v["pin"], salt, params, secret)
                env = seal_text(1, key, rng.draw(24), ctx("pin_unlock", account=rec["account"], device=dev,
                                                          generation=rec["key_generation"]),
                                bytes.fromhex(v["account_key_hex"]))
                want = {"v": 1, "account": fmt_id(rec["account"]), "device": fmt_id(dev),
                        "generation": rec["key_generation"], "kdf": {"params": kdf_params_json(params),
                                                                     "salt": b64e(salt)},
                        "device_bound": secret is not None, "max_attempts": v["max_attempts"],
                        "failed_attempts": 0, "wrapped": env}
                return diff_json(want, v["wrap"], "wrap")
            s.check(f"{name}/wrap", rng_wrap, rng=True)
        elif case == "recovery_kit":
            def f(v=v):
                errs = []
                key = bytes.fromhex(v["recovery_key_hex"])
                if recovery_words(key) != v["words"]:
                    errs.append(f"words of the key: {recovery_words(key)}")
                for t in [v["words"]] + v["also_parses"]:
                    if parse_recovery_words(t) != key:
                        errs.append(f"{t[:20]!r}... parses to another key")
                wk, token = recovery_subkeys(key)
                if wk.hex() != v["wrap_key_hex"] or token.hex() != v["auth_token_hex"]:
                    errs.append("wrap key / auth token differ")
                w = parse_recovery_wrap(v["wrap"])
                if not hmac.compare_digest(sha256(token), w["verifier"]):
                    errs.append("verifier is not SHA-256(auth token)")
                if ak_of(recover(v["wrap"], v["words"], v["record"])) != v["account_key_hex"]:
                    errs.append("recovery gives another account key")
                return errs
            s.check(f"{name}/recover", f)

            def rng_kit(v=v):
                rng = rng_of(v["seed_hex"])
                key = rng.draw(32)
                rec = parse_encrypted_account(v["record"])
                wk, token = recovery_subkeys(key)
                env = seal_text(1, wk, rng.draw(24), ctx("recovery_key", account=rec["account"],
                                                         generation=rec["key_generation"]),
                                bytes.fromhex(v["account_key_hex"]))
                want = {"v": 1, "account": fmt_id(rec["account"]), "generation": rec["key_generation"],
                        "wrapped": env, "verifier": b64e(sha256(token))}
                errs = [] if key.hex() == v["recovery_key_hex"] else ["recovery key differs"]
                return errs + diff_json(want, v["wrap"], "wrap")
            s.check(f"{name}/kit", rng_kit, rng=True)
        elif case == "recovery_words":
            if is_fail:
                s.check(name, lambda v=v: outcome(v, parse_recovery_words, v["words"]), True)
                continue

            def f(v=v):
                key = bytes.fromhex(v["recovery_key_hex"])
                errs = [] if recovery_words(key) == v["words"] else [f"words {recovery_words(key)}"]
                import mnemonic  # noqa: PLC0415: the reference implementation agrees too
                if mnemonic.Mnemonic("english").to_mnemonic(key) != v["words"]:
                    errs.append("the mnemonic package encodes the key differently")
                if parse_recovery_words(v["words"]) != key:
                    errs.append("words parse to another key")
                return errs
            s.check(name, f)
        elif case == "recovery_split":
            def f(v=v):
                errs = []
                key = bytes.fromhex(v["recovery_key_hex"])
                if recovery_words(key) != v["words"]:
                    errs.append("words")
                bins = [bytes.fromhex(h) for h in v["share_bytes_hex"]]
                for b, t in zip(bins, v["share_texts"]):
                    if parse_share_text(t) != b:
                        errs.append("share text / binary differ")
                for sub in itertools.combinations(bins, v["threshold"]):
                    if shamir_combine(list(sub)) != key:
                        errs.append("a subset combines to another key")
                return errs
            s.check(name, f)
            s.check(f"{name}/split", lambda v=v: None if [b.hex() for b in shamir_split(
                bytes.fromhex(v["recovery_key_hex"]), v["threshold"], v["shares"], rng_of(v["seed_hex"]))] == \
                v["share_bytes_hex"] else "split(seed_hex) gives other shares", rng=True)
        elif case == "rotation":
            def f(v=v):
                errs = []
                old = unlock_account(v["record"], v["password"], None)
                if ak_of(old) != v["account_key_hex"]:
                    errs.append("old account key")
                ch = parse_rotation(v["change"])
                rec1 = parse_encrypted_account(v["record"])
                new_rec = v["change"]["record"]
                if ch["from_generation"] != rec1["key_generation"] or \
                        ch["record"]["key_generation"] != rec1["key_generation"] + 1:
                    errs.append("generations")
                for k in ("v", "account", "kdf", "public_identity"):
                    if new_rec[k] != v["record"][k]:
                        errs.append(f"rotation changed {k}")
                new = unlock_account(new_rec, v["password"], None)
                if ak_of(new) != v["new_account_key_hex"]:
                    errs.append("the new record holds another account key")
                if (new["x25519_secret"], new["ed25519_seed"]) != (old["x25519_secret"], old["ed25519_seed"]):
                    errs.append("identity keys changed")
                aid = rec1["account"]
                if len(v["change"]["vault_keys"]) != len(v["own_wraps"]):
                    errs.append("vault key count")
                for w_old, w_new, vk in zip(v["own_wraps"], v["change"]["vault_keys"], v["vault_keys"]):
                    want = parse_vault_key_json(vk)
                    for label, w, key in (("old", w_old, old["account_key"]), ("new", w_new, new["account_key"])):
                        k = open_wrapped_vault_key(w, aid, key)
                        if (k["key"], k["vault"], k["key_version"]) != (want["key"], want["vault"],
                                                                         want["key_version"]):
                            errs.append(f"{label} wrap of {vk['vault'][:8]} holds another key")
                    e = expect_error("decrypt", open_wrapped_vault_key, w_new, aid, old["account_key"])
                    if e:
                        errs.append(f"old account key on a new wrap: {e}")
                e = expect_error(v["fail_old_account_key_on_new_record"], unlock_with_account_key,
                                 parse_encrypted_account(new_rec), old["account_key"])
                if e:
                    errs.append(f"old account key on the new record: {e}")
                return errs
            s.check(f"{name}/change", f)

            def rng_rotate(v=v):
                old = unlock_account(v["record"], v["password"], None)
                got, key = rotate_account_key(v["record"], v["password"], old, v["own_wraps"], rng_of(v["seed_hex"]))
                errs = [] if key.hex() == v["new_account_key_hex"] else ["new account key differs"]
                errs += diff_json(got["record"], v["change"]["record"], "change.record")
                return errs + diff_json(got, v["change"], "change")
            s.check(f"{name}/change", rng_rotate, rng=True)

            def rng_account(v=v):
                rec, ak, _ = create_account(rng_of(v["account_seed_hex"]), v["password"], None,
                                            parse_kdf_params(v["record"]["kdf"]["params"]))
                errs = diff_json(rec, v["record"], "record")
                return errs + ([] if ak.hex() == v["account_key_hex"] else ["account key differs"])
            s.check(f"{name}/account", rng_account, rng=True)
        elif case == "device_open":
            s.check(name, lambda v=v: outcome(v, device_unlock, v["wrap"], bytes.fromhex(v["device_key_hex"]),
                                              v["record"]), True)
        elif case == "pin_attempt":
            def f(v=v):
                sec = bytes.fromhex(v["device_secret_hex"]) if v["device_secret_hex"] else None
                state, r = pin_attempt(v["before"], v["pin"], sec, v["record"])
                errs = diff_json(state, v["state"], "state")
                if not isinstance(r, VErr) or r.code != v["error"]:
                    errs.append(f"got {getattr(r, 'code', 'NO ERROR')}, expected {v['error']}")
                return errs
            s.check(name, f, True)
        elif case == "recovery_open":
            s.check(name, lambda v=v: outcome(v, recover, v["wrap"], v["words"], v["record"]), True)
        elif case == "record_unlock":
            s.check(name, lambda v=v: outcome(v, unlock_account, v["record"], v["password"], None), True)
        elif case == "rotate":
            def f(v=v):
                rec = parse_encrypted_account(v["unlock_record"])
                me = unlock_with_account_key(rec, bytes.fromhex(v["account_key_hex"]))
                cur = parse_encrypted_account(v["record"])
                # §14.4: the current record must be of the generation in memory, then the password must
                # open it to the account key in memory (else authentication_failed).
                if cur["key_generation"] != rec["key_generation"]:
                    raise VErr("stale_wrap", "rotating from another generation")
                params, salt = cur["kdf"]
                _, kek = subkeys(argon2id(v["password"], salt, params))
                try:
                    stored = open_envelope(cur["wrapped_account_key"], kek,
                                           account_key_ctx(cur["account"], cur["key_generation"]), 32)
                except VErr:
                    raise VErr("authentication_failed", "wrong password")
                if stored != me["account_key"]:
                    raise VErr("stale_wrap", "another account key")
                return "rotation succeeded"
            s.check(name, lambda v=v, f=f: outcome(v, f), True)
        elif case == "parse":
            parsers = {"device_unlock": parse_device_unlock, "pin_unlock": parse_pin_unlock,
                       "recovery_wrap": parse_recovery_wrap, "account_key_rotation": parse_rotation}
            s.check(name, lambda v=v: outcome(v, lambda: parsers[v["type"]](json_loads_strict(v["json"]))), True)
        else:
            s.check(name, lambda case=case: f"unknown case {case!r}")
    s.done()


def run_ed25519(rep: Report, vdir: str):
    """§12 rules on ed25519.json: case "verify" is the raw check, case "identity"
    is §4's PublicIdentity verification."""
    s = rep.section("ed25519")
    for v in load(vdir, "ed25519")["vectors"]:
        if v["case"] == "verify":
            def f(v=v):
                return ed25519_verify_strict(bytes.fromhex(v["public_key_hex"]), bytes.fromhex(v["message_hex"]),
                                             bytes.fromhex(v["signature_hex"]))
        elif v["case"] == "identity":
            def f(v=v):
                return verify_public_identity(parse_public_identity(v["identity"]))
        else:
            s.check(v["name"], lambda v=v: f"unknown case {v['case']!r}")
            continue
        if "error" in v:
            s.check(v["name"], lambda v=v, f=f: expect_error(v["error"], f), True)
        else:
            s.check(v["name"], lambda f=f: f())
    s.done()


# --------------------------------------------------------------------------
# §15 account identifiers
# --------------------------------------------------------------------------
MAX_IDENTIFIER_BYTES = 256
_PRECIS_UCD = UnicodeData()          # the interpreter's UCD (format.md §15 names Unicode 6.3.0)
_IDENTIFIER_CLASS = IdentifierClass(_PRECIS_UCD)
# Script_Extensions values, under whichever alias the `regex` module lists them.
_SCRIPT_NAMES = sorted({n for _i, (p, vals) in _regex_core.PROPERTY_NAMES.items() if p == "SCRIPTEXTENSIONS"
                        for n in vals.values()} - {"UNKNOWN"})
_SCX = {n: regex.compile(r"\p{scx=%s}" % n) for n in _SCRIPT_NAMES}
_SC_IS = {n: regex.compile(r"\p{scx=%s}" % n) for n in ("Common", "Inherited", "Latin", "Han", "Hiragana",
                                                         "Katakana", "Hangul", "Bopomofo")}
_AUG_CACHE: dict[str, frozenset | None] = {}


def augmented_scripts(c: str) -> frozenset | None:
    """§15 step 9: the augmented script set of one code point (UTS #39 §5.1): its Script_Extensions plus
    Hanb, Jpan, Kore for Han, Jpan for Hiragana and Katakana, Kore for Hangul, Hanb for Bopomofo; None
    ("every script") when Script_Extensions is Common or Inherited."""
    if c not in _AUG_CACHE:
        if _SC_IS["Common"].match(c) or _SC_IS["Inherited"].match(c):
            _AUG_CACHE[c] = None
        else:
            aug: set = {("script", n) for n, r in _SCX.items() if r.match(c)}
            if _SC_IS["Han"].match(c):
                aug |= {"Hanb", "Jpan", "Kore"}
            if _SC_IS["Hiragana"].match(c) or _SC_IS["Katakana"].match(c):
                aug.add("Jpan")
            if _SC_IS["Hangul"].match(c):
                aug.add("Kore")
            if _SC_IS["Bopomofo"].match(c):
                aug.add("Hanb")
            _AUG_CACHE[c] = frozenset(aug)
    return _AUG_CACHE[c]


def _meet(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def one_script_label(label: str) -> bool:
    """§15 step 9: the label's augmented script sets have a common member, or those of its code points
    outside Latin share Jpan, Kore or Hanb (Latin with Japanese, Korean or Chinese)."""
    every = rest = None
    for c in label:
        aug = augmented_scripts(c)
        every = _meet(every, aug)
        if aug is not None and not _SC_IS["Latin"].match(c):
            rest = _meet(rest, aug)
    if every is None or every:
        return True
    return rest is None or bool(rest & {"Jpan", "Kore", "Hanb"})


def normalize_identifier(s: str) -> str:
    """format.md §15, steps 1-9, in order; every refusal is `malformed`."""
    if not isinstance(s, str) or not s:
        raise VErr("malformed", "identifier: empty")
    if len(s.encode("utf-8")) > 4 * MAX_IDENTIFIER_BYTES:
        raise VErr("malformed", "identifier: input over 1024 bytes")
    t = _PRECIS_UCD.width_map(s)                                     # 2. width mapping
    try:
        _IDENTIFIER_CLASS.enforce(t)                                 # 3. IdentifierClass, on the width-mapped text
    except UnicodeEncodeError as e:
        raise VErr("malformed", f"identifier: {e.reason}")
    t = "".join(c if c.islower() else c.lower() for c in t)          # 4. lower case, code point by code point
    t = unicodedata.normalize("NFC", t)                              # 5. NFC
    if not t:
        raise VErr("malformed", "identifier: empty after mapping")   # 6.
    if has_rtl(t, _PRECIS_UCD) and not bidi_rule(t, _PRECIS_UCD):    # 7. bidi rule
        raise VErr("malformed", "identifier: bidi rule")
    if len(t.encode("utf-8")) > MAX_IDENTIFIER_BYTES:                # 8. length
        raise VErr("malformed", "identifier: over 256 bytes")
    if not all(one_script_label(lab) for lab in re.split(r"[@.]", t)):  # 9. one script per label
        raise VErr("malformed", "identifier: mixed scripts in a label")
    return t


def _assigned_after_6_3_only(s: str) -> list[str]:
    """For a vector refused only by §15's Unicode 6.3.0 rule: every other step must accept it, so the
    interpreter's newer UCD normalises it (the version itself cannot be checked without 6.3.0 data)."""
    try:
        normalize_identifier(s)
    except VErr as e:
        return [f"refused for another reason than the Unicode version: {e}"]
    return []


def run_identifiers(rep: Report, vdir: str):
    s = rep.section("identifiers")
    for v in load(vdir, "identifiers")["vectors"]:
        if "error" in v:
            if v["name"] == "fail_assigned_after_unicode_6_3":
                rep.notes.append(f"identifiers/{v['name']}: checked that only the Unicode 6.3.0 rule of §15 refuses "
                                 f"it (this Python has Unicode {unicodedata.unidata_version}, which assigns it)")
                s.check(v["name"], lambda v=v: _assigned_after_6_3_only(v["input"]), True)
                continue
            s.check(v["name"], lambda v=v: expect_error(v["error"], normalize_identifier, v["input"]), True)
            continue

        def accepted(v=v):
            got = normalize_identifier(v["input"])
            errs = diff_json(got, v["canonical"], "canonical")
            if normalize_identifier(v["canonical"]) != v["canonical"]:
                errs.append("canonical form is not a fixed point")
            return errs
        s.check(v["name"], accepted)
    s.done()


# --------------------------------------------------------------------------
# protocol.md §9.4: sync wire messages
# --------------------------------------------------------------------------
MAX_CURSOR_LEN = 512
REJECT_REASONS = ("forbidden", "not_found", "invalid", "too_large", "stale_key", "other")


def _cursor(x) -> str:
    """§9.4: 0-512 bytes, each printable ASCII 0x21-0x7E."""
    if not isinstance(x, str) or len(x) > MAX_CURSOR_LEN or not all("\x21" <= c <= "\x7e" for c in x):
        raise VErr("malformed", "cursor")
    return x


def _opt_cursor(o: dict, k: str):
    return None if o.get(k) is None else _cursor(o[k])


def _envelope_text(x) -> str:
    """format.md §2 decoding order up to the decryption; inside a wire message every error is malformed."""
    b = b64d(x)
    if len(b) < 2 or b[0] != 1 or b[1] not in NONCE_LEN or len(b) < 2 + NONCE_LEN[b[1]] + 16:
        raise VErr("malformed", "envelope")
    return b64e(b)


def _tagged(o, tag: str, variants: dict[str, tuple[tuple, tuple]], what: str) -> tuple[str, dict]:
    """A tagged object: `tag` names the variant; its required and optional members only."""
    if not isinstance(o, dict) or not isinstance(o.get(tag), str) or o[tag] not in variants:
        raise VErr("malformed", f"{what}: missing or unknown {tag}")
    required, optional = variants[o[tag]]
    strict_obj(o, (tag,) + required, optional, what=f"{what} {o[tag]}")
    return o[tag], o


def w_encrypted_vault(o) -> dict:
    strict_obj(o, ("vault", "key_version", "meta"), what="EncryptedVault")
    return {"vault": fmt_id(parse_id(o["vault"])), "key_version": get_uint(o, "key_version", 32),
            "meta": _envelope_text(o["meta"])}


def w_wrapped_vault_key(o) -> dict:
    strict_obj(o, ("vault", "account", "key_version", "envelope"), what="WrappedVaultKey")
    return {"vault": fmt_id(parse_id(o["vault"])), "account": fmt_id(parse_id(o["account"])),
            "key_version": get_uint(o, "key_version", 32), "envelope": _envelope_text(o["envelope"])}


def w_grant(o) -> dict:
    """§7 VaultGrant as a record inside a message: its `v` is checked when the grant is opened, not here."""
    strict_obj(o, GRANT_FIELDS, what="VaultGrant")
    v = get_version(o, "grant")
    if o["role"] not in ROLES:
        raise VErr("malformed", "role")
    return {"v": v, "vault": fmt_id(parse_id(o["vault"])), "key_version": get_uint(o, "key_version", 32),
            "sender": fmt_id(parse_id(o["sender"])), "recipient": fmt_id(parse_id(o["recipient"])),
            "role": o["role"], "enc": b64e(b64d_len(o["enc"], 32, "enc")), "ciphertext": b64e(b64d(o["ciphertext"])),
            "signature": b64e(b64d_len(o["signature"], 64, "signature"))}


def w_item(o) -> dict:
    strict_obj(o, ("vault", "item", "revision", "key_version", "item_key", "overview", "details"),
               what="EncryptedItem")
    return {"vault": fmt_id(parse_id(o["vault"])), "item": fmt_id(parse_id(o["item"])),
            "revision": get_uint(o, "revision", 64), "key_version": get_uint(o, "key_version", 32),
            "item_key": _envelope_text(o["item_key"]), "overview": _envelope_text(o["overview"]),
            "details": _envelope_text(o["details"])}


def w_member_key(o) -> dict:
    if not isinstance(o, dict) or len(o) != 1 or next(iter(o)) not in ("wrapped", "grant"):
        raise VErr("malformed", "member key: one of wrapped / grant")
    if "wrapped" in o:
        return {"wrapped": w_wrapped_vault_key(o["wrapped"])}
    return {"grant": w_grant(o["grant"])}


def _list(o: dict, k: str) -> list:
    if not isinstance(o[k], list):
        raise VErr("malformed", f"{k}: not a list")
    return o[k]


def w_change(o) -> dict:
    kind, o = _tagged(o, "type", {"vault": (("vault", "role", "keys"), ("meta",)),
                                  "vault_removed": (("vault",), ()),
                                  "item": (("item",), ()),
                                  "tombstone": (("vault", "item", "revision"), ())}, "change")
    if kind == "vault":
        if o["role"] not in ROLES:
            raise VErr("malformed", "role")
        meta = o.get("meta")
        return {"type": kind, "vault": fmt_id(parse_id(o["vault"])), "role": o["role"],
                "meta": None if meta is None else w_encrypted_vault(meta),
                "keys": [w_member_key(k) for k in _list(o, "keys")]}
    if kind == "vault_removed":
        return {"type": kind, "vault": fmt_id(parse_id(o["vault"]))}
    if kind == "item":
        return {"type": kind, "item": w_item(o["item"])}
    return {"type": kind, "vault": fmt_id(parse_id(o["vault"])), "item": fmt_id(parse_id(o["item"])),
            "revision": get_uint(o, "revision", 64)}


def w_item_state(o) -> dict:
    kind, o = _tagged(o, "state", {"live": (("item",), ()), "deleted": (("vault", "item", "revision"), ())},
                      "item state")
    if kind == "live":
        return {"state": kind, "item": w_item(o["item"])}
    return {"state": kind, "vault": fmt_id(parse_id(o["vault"])), "item": fmt_id(parse_id(o["item"])),
            "revision": get_uint(o, "revision", 64)}


def w_write(o) -> dict:
    kind, o = _tagged(o, "action", {"upsert": (("op", "base", "item"), ()),
                                    "delete": (("op", "vault", "item", "base"), ())}, "push write")
    if kind == "upsert":
        return {"action": kind, "op": get_uint(o, "op", 64), "base": get_uint(o, "base", 64),
                "item": w_item(o["item"])}
    return {"action": kind, "op": get_uint(o, "op", 64), "vault": fmt_id(parse_id(o["vault"])),
            "item": fmt_id(parse_id(o["item"])), "base": get_uint(o, "base", 64)}


def w_result(o) -> dict:
    kind, o = _tagged(o, "status", {"ok": (("op", "revision"), ()), "conflict": (("op", "current"), ()),
                                    "rejected": (("op", "reason"), ())}, "push result")
    out = {"status": kind, "op": get_uint(o, "op", 64)}
    if kind == "ok":
        out["revision"] = get_uint(o, "revision", 64)
    elif kind == "conflict":
        out["current"] = w_item_state(o["current"])
    else:
        reason = get_str(o, "reason")
        out["reason"] = reason if reason in REJECT_REASONS else "other"
    return out


def sync_canonical(kind: str, text: str) -> str:
    """protocol.md §9.4: parse strictly (any error `malformed`), then the message's own `v`
    (not 1: `unsupported_version`), then write the canonical form."""
    o = json_loads_strict(text)
    if kind == "pull_request":
        strict_obj(o, ("v",), ("since",), what=kind)
        out = {"v": get_version(o, kind)}
        since = _opt_cursor(o, "since")
        if since is not None:
            out["since"] = since
    elif kind == "pull_page":
        strict_obj(o, ("v", "next", "has_more", "changes"), ("since",), what=kind)
        if not isinstance(o["has_more"], bool):
            raise VErr("malformed", "has_more")
        out = {"v": get_version(o, kind), "since": _opt_cursor(o, "since"), "next": _cursor(o["next"]),
               "has_more": o["has_more"], "changes": [w_change(c) for c in _list(o, "changes")]}
    elif kind == "push_request":
        strict_obj(o, ("v", "writes"), what=kind)
        out = {"v": get_version(o, kind), "writes": [w_write(w) for w in _list(o, "writes")]}
    elif kind == "push_response":
        strict_obj(o, ("v", "results"), what=kind)
        out = {"v": get_version(o, kind), "results": [w_result(r) for r in _list(o, "results")]}
    else:
        raise ValueError(f"unknown message type {kind!r}")
    check_version(out["v"], kind)
    return json_compact(out).decode("utf-8")


def run_sync(rep: Report, vdir: str):
    s = rep.section("sync")
    for v in load(vdir, "sync")["vectors"]:
        if "error" in v:
            s.check(v["name"], lambda v=v: expect_error(v["error"], sync_canonical, v["type"], v["json"]), True)
            continue

        def valid(v=v):
            errs = diff_json(sync_canonical(v["type"], v["json"]), v["canonical"], "canonical")
            if sync_canonical(v["type"], v["canonical"]) != v["canonical"]:
                errs.append("canonical form is not a fixed point")
            return errs
        s.check(v["name"], valid)
    s.done()


# --------------------------------------------------------------------------
# protocol.md §2, §3: SRP-6a groups, the fake pre-login answers, transcripts
# --------------------------------------------------------------------------
def _pi_times_2_pow(bits: int) -> int:
    """floor(pi * 2^bits) (Machin's formula in fixed point, 64 guard bits)."""
    guard = 64
    one = 1 << (bits + guard)

    def arctan_inv(x: int) -> int:
        total, term, n, sign = 0, one // x, 1, 1
        while term:
            total += sign * (term // n)
            term //= x * x
            n += 2
            sign = -sign
        return total

    return (16 * arctan_inv(5) - 4 * arctan_inv(239)) >> guard


def _rfc3526_prime(bits: int, pi_bits: int, offset: int) -> int:
    """RFC 3526: p = 2^bits - 2^(bits-64) - 1 + 2^64 * (floor(2^pi_bits * pi) + offset)."""
    return 2**bits - 2**(bits - 64) - 1 + 2**64 * (_pi_times_2_pow(pi_bits) + offset)


_SRP_GROUPS: dict = {}


def srp_group(name: str) -> tuple[int, int, int]:
    """RFC 5054 Appendix A groups (the RFC 3526 primes, generator 5): (N, g, len(N))."""
    if not _SRP_GROUPS:
        _SRP_GROUPS["rfc5054-3072"] = (_rfc3526_prime(3072, 2942, 1690314), 5, 384)
        _SRP_GROUPS["rfc5054-4096"] = (_rfc3526_prime(4096, 3966, 240904), 5, 512)
    if name not in _SRP_GROUPS:
        raise VErr("malformed", f"unknown SRP group {name!r}")
    return _SRP_GROUPS[name]


def _i2b(n: int, length: int | None = None) -> bytes:
    """Big-endian; length None = the implicit (minimal) conversion of RFC 5054 §2.1."""
    if length is None:
        length = max(1, (n.bit_length() + 7) // 8)
        return n.to_bytes(length, "big").lstrip(b"\0") or b""
    return n.to_bytes(length, "big")


def prelogin_salt(secret: bytes, label: bytes, ident: str) -> bytes:
    """protocol.md §2: HMAC-SHA256(server_secret, label || 0x00 || I)[0..16]."""
    return hmac.new(secret, label + b"\0" + ident.encode("utf-8"), hashlib.sha256).digest()[:16]


def prelogin_srp_salt(secret: bytes, ident: str) -> bytes:
    """protocol.md §2: T[0..16] of the srp-salt HMAC, a zero first byte replaced by the
    first non-zero byte of T[16..32] (1 if none)."""
    t = hmac.new(secret, b"VLT1 prelogin fake srp-salt" + b"\0" + ident.encode("utf-8"), hashlib.sha256).digest()
    out = bytearray(t[:16])
    if out[0] == 0:
        out[0] = next((b for b in t[16:] if b), 1)
    return bytes(out)


def srp_draw_salt(rng: "SeededRng") -> bytes:
    """protocol.md §3 / format.md §13.2: 16 bytes, then 1-byte draws while the first byte is 0."""
    salt = bytearray(rng.draw(16))
    while salt[0] == 0:
        salt[0] = rng.draw(1)[0]
    return bytes(salt)


def fake_srp_verifier(secret: bytes, group: str, ident: str) -> bytes:
    """protocol.md §2: T_i = HMAC(secret, label || 0 || G || 0 || byte(i) || I), i = 1.., one byte;
    (len(N) + 32) bytes of T_1 || T_2 || ... as a big-endian integer mod N, PAD'ded; 0 -> last byte 1."""
    n, _, ln = srp_group(group)
    want, blocks, i = ln + 32, b"", 1
    while len(blocks) < want:
        blocks += hmac.new(secret, b"VLT1 prelogin fake srp-verifier" + b"\0" + group.encode() + b"\0"
                           + bytes([i]) + ident.encode("utf-8"), hashlib.sha256).digest()
        i += 1
    v = int.from_bytes(blocks[:want], "big") % n
    out = bytearray(_i2b(v, ln))
    if not any(out):
        out[-1] = 1
    return bytes(out)


def run_prelogin(rep: Report, vdir: str):
    s = rep.section("prelogin")
    for v in load(vdir, "prelogin")["vectors"]:
        def ok(v=v):
            secret, ident, group = bytes.fromhex(v["server_secret_hex"]), v["identifier"], v["srp_group"]
            kdf = {"params": v["kdf_params"], "salt": b64e(prelogin_salt(secret, b"VLT1 prelogin fake kdf-salt", ident))}
            srp_salt = b64e(prelogin_srp_salt(secret, ident))
            errs = diff_json({"v": 1, "kdf": kdf, "srp": {"group": group, "salt": srp_salt}}, v["srp_response"],
                             "srp_response")
            errs += diff_json({"v": 1, "kdf": kdf}, v["opaque_response"], "opaque_response")
            rec = {"v": 1, "group": group, "salt": srp_salt,
                   "verifier": b64e(fake_srp_verifier(secret, group, ident))}
            return errs + diff_json(rec, v["fake_srp_record"], "fake_srp_record")
        s.check(v["name"], ok)
    s.done()


def _h(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def srp_transcript(group: str, ident: str, p: bytes, salt: bytes, a: int, b: int) -> dict:
    """protocol.md §3.2 (both halves): the messages of one login, JSON-shaped (§3.3)."""
    n, g, ln = srp_group(group)
    pad = lambda x: _i2b(x, ln)  # noqa: E731
    k = int.from_bytes(_h(pad(n), pad(g)), "big")
    x = int.from_bytes(_h(salt, _h(ident.encode(), b":", p)), "big")
    v = pow(g, x, n)
    big_a, big_b = pow(g, a, n), (k * v + pow(g, b, n)) % n
    u = int.from_bytes(_h(pad(big_a), pad(big_b)), "big")
    s_client = pow((big_b - k * pow(g, x, n)) % n, a + u * x, n)
    s_server = pow(big_a * pow(v, u, n) % n, b, n)
    if s_client != s_server:
        raise VErr("authentication_failed", "S differs")
    key = _h(_i2b(s_client))
    hn, hg = _h(pad(n)), _h(pad(g))
    m1 = _h(bytes(p_ ^ q_ for p_, q_ in zip(hn, hg)), _h(ident.encode()), salt, _i2b(big_a), _i2b(big_b), key)
    m2 = _h(_i2b(big_a), m1, key)
    return {"registration": {"v": 1, "group": group, "salt": b64e(salt), "verifier": b64e(pad(v))},
            "client_hello": {"v": 1, "group": group, "identifier": ident, "a_pub": b64e(pad(big_a))},
            "server_challenge": {"v": 1, "group": group, "salt": b64e(salt), "b_pub": b64e(pad(big_b))},
            "client_proof": {"v": 1, "m1": b64e(m1)}, "server_proof": {"v": 1, "m2": b64e(m2)},
            "session_key_hex": key.hex()}


def run_srp(rep: Report, vdir: str):
    """srp.json: the verifier from its salt (no RNG); with --rng the whole transcript
    from the three seeds (§13.2: salt 16, a 48, b 48, big-endian, unreduced)."""
    s = rep.section("srp")
    for v in load(vdir, "srp")["vectors"]:
        name = v["name"]

        def verifier(v=v):
            n, g, ln = srp_group(v["group"])
            salt = b64d_len(v["registration"]["salt"], 16, "salt")
            if v["password_p"] != v["auth_key_hex"]:
                return "password_p is not the auth key's lowercase hex"
            x = int.from_bytes(_h(salt, _h(v["identifier"].encode(), b":", v["password_p"].encode())), "big")
            want = b64e(_i2b(pow(g, x, n), ln))
            return None if want == v["registration"]["verifier"] else "verifier differs"
        s.check(f"{name}/verifier", verifier)

        def transcript(v=v):
            salt = srp_draw_salt(rng_of(v["register_seed_hex"]))
            a = int.from_bytes(rng_of(v["client_seed_hex"]).draw(48), "big")
            b = int.from_bytes(rng_of(v["server_seed_hex"]).draw(48), "big")
            got = srp_transcript(v["group"], v["identifier"], v["password_p"].encode(), salt, a, b)
            errs = []
            for k, want in got.items():
                errs += diff_json(want, v[k], k)
            # fail_wrong_password: the same a and b with another auth key; the server's M1 check fails.
            fw = v["fail_wrong_password"]
            n, g, ln = srp_group(v["group"])
            # The client derives x from the wrong P but B from the real verifier: recompute its M1.
            k_ = int.from_bytes(_h(_i2b(n, ln), _i2b(g, ln)), "big")
            big_b = int.from_bytes(b64d(v["server_challenge"]["b_pub"]), "big")
            big_a = pow(g, a, n)
            u = int.from_bytes(_h(_i2b(big_a, ln), _i2b(big_b, ln)), "big")
            x = int.from_bytes(_h(salt, _h(v["identifier"].encode(), b":", fw["auth_key_hex"].encode())), "big")
            key = _h(_i2b(pow((big_b - k_ * pow(g, x, n)) % n, a + u * x, n)))
            hn, hg = _h(_i2b(n, ln)), _h(_i2b(g, ln))
            m1 = _h(bytes(p_ ^ q_ for p_, q_ in zip(hn, hg)), _h(v["identifier"].encode()), salt, _i2b(big_a),
                    _i2b(big_b), key)
            errs += diff_json({"v": 1, "m1": b64e(m1)}, fw["client_proof"], "fail_wrong_password.client_proof")
            if b64e(m1) == v["client_proof"]["m1"] or fw["error"] != "authentication_failed":
                errs.append("the wrong password's M1 must differ and fail with authentication_failed")
            return errs
        s.check(f"{name}/transcript", transcript, rng=True)
    s.done()


def run_opaque(rep: Report, vdir: str):
    """opaque.json, without an OPAQUE implementation: the message lengths and layouts
    of protocol.md §4.4, and with --rng every drawn value that appears verbatim in a
    message (the §13.2 OPAQUE rows): the setup's private key (64 bytes -> LE mod l)
    and OPRF seed, the envelope nonce, the client nonce, the masking and server
    nonces (after the fake-record masking key that is drawn first, always)."""
    s = rep.section("opaque (layouts and drawn values only)")
    d = load(vdir, "opaque")
    lens = {"server_setup": 128, "registration_request": 32, "registration_response": 64,
            "registration_record": 192, "ke1": 96, "ke2": 320, "ke3": 64}
    main = [v for v in d["vectors"] if "seeds" in v]
    for v in d["vectors"]:
        def shapes(v=v):
            errs = []
            for k, n in lens.items():
                if k in v:
                    o = v[k]
                    if set(o) != {"v", k} or o["v"] != 1:
                        errs.append(f"{k}: members {sorted(o)}")
                    elif len(b64d(o[k])) != n:
                        errs.append(f"{k}: {len(b64d(o[k]))} bytes, not {n}")
            return errs
        s.check(f"{v['name']}/layout", shapes, "error" in v)
    if not main:
        s.check("register_and_login present", lambda: "no vector with seeds")
        s.done()
        return
    v = main[0]
    seeds = v["seeds"]

    def msg(o, k):
        return b64d(o[k][k])

    def drawn(v=v):
        errs = []
        setup = msg(v, "server_setup")
        r = rng_of(seeds["setup"])
        sk = int.from_bytes(r.draw(64), "little") % L_ORDER
        if sk.to_bytes(32, "little") != setup[64:96]:
            errs.append("server private key")
        if r.draw(64) != setup[:64]:
            errs.append("OPRF seed")
        if rng_of(seeds["registration_finish"]).draw(32) != msg(v, "registration_record")[96:128]:
            errs.append("envelope nonce")
        r = rng_of(seeds["login_start"])
        r.draw(64), r.draw(32)  # blind, ephemeral key seed
        if r.draw(32) != msg(v, "ke1")[32:64]:
            errs.append("client nonce")
        for vec, seed in [(v, "login_server")] + [(f, "fake_server") for f in d["vectors"]
                                                  if f["name"] == "fail_unknown_account_fake_record"]:
            r = rng_of(seeds[seed])
            r.draw(64)  # the fake-record masking key, drawn even for a real record
            ke2 = msg(vec, "ke2")
            if r.draw(32) != ke2[32:64]:
                errs.append(f"{vec['name']}: masking nonce")
            r.draw(32)  # server ephemeral key seed
            if r.draw(32) != ke2[192:224]:
                errs.append(f"{vec['name']}: server nonce")
        for f in d["vectors"]:
            if "seeds" not in f and msg(f, "ke1")[32:64] != msg(v, "ke1")[32:64]:
                errs.append(f"{f['name']}: KE1 does not reuse seeds.login_start")
        return errs
    s.check(f"{v['name']}/drawn values", drawn, rng=True)
    s.done()


# --------------------------------------------------------------------------
# §13.3: every member of every vector file is documented, and nothing else
# --------------------------------------------------------------------------
def documented_members(doc_path: str) -> dict[str, dict[str, str]]:
    """The §13.3 tables: {file or "*" or "/": {path: type}}, from the
    `<!-- members: X -->` markers that precede each table."""
    with open(doc_path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    tables: dict[str, dict[str, str]] = {}
    cur = None
    for line in lines:
        m = re.match(r"<!-- members: (\S+) -->", line)
        if m:
            cur = tables.setdefault(m.group(1), {})
            continue
        if cur is None:
            continue
        if not line.startswith("|"):
            if line.strip() and cur:
                cur = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or cells[0] in ("member", "---") or set(cells[0]) <= {"-"}:
            continue
        for path in re.findall(r"`([^`]+)`", cells[0]):
            cur[path] = cells[1]
    return tables


def _walk_members(o, prefix: str, types: dict[str, str], out: set[str]):
    """Paths of members under `o`; does not descend into a member whose documented
    type is a structure defined elsewhere (it contains a § reference)."""
    if isinstance(o, dict):
        for k, val in o.items():
            path = f"{prefix}.{k}" if prefix else k
            out.add(path)
            if "§" not in types.get(path, ""):
                _walk_members(val, path, types, out)
    elif isinstance(o, list):
        for val in o:
            _walk_members(val, prefix + "[]", types, out)


def list_members(vdir: str, doc_path: str) -> int:
    """--list-members: one line per (file, path); `UNDOCUMENTED` where §13.3 lacks it."""
    tables = documented_members(doc_path) if os.path.exists(doc_path) else {}
    missing = 0
    for fn in sorted(f for f in os.listdir(vdir) if f.endswith(".json")):
        name = fn[:-5]
        with open(os.path.join(vdir, fn), encoding="utf-8") as f:
            d = json.load(f)
        types = {**tables.get("*", {}), **tables.get(name, {})}
        seen: set[str] = set()
        for vec in d.get("vectors", []):
            _walk_members(vec, "", types, seen)
        for path in sorted(seen):
            known = path in types
            missing += not known
            print(f"{name}.json\t{path}\t{types[path] if known else 'UNDOCUMENTED'}")
    print(f"{missing} undocumented", file=sys.stderr)
    return 1 if missing else 0


def run_members(rep: Report, vdir: str, doc_path: str):
    s = rep.section("members (format.md §13.3)")
    if not os.path.exists(doc_path):
        missing_data(s, "member coverage", f"{doc_path} not present")
        s.done()
        return
    tables = documented_members(doc_path)
    common, top = tables.get("*", {}), tables.get("/", {})
    for fn in sorted(f for f in os.listdir(vdir) if f.endswith(".json")):
        name = fn[:-5]

        def check(name=name):
            with open(os.path.join(vdir, name + ".json"), encoding="utf-8") as f:
                d = json.load(f)
            own = tables.get(name)
            if own is None:
                return f"format.md §13.3 has no table for {name}.json"
            types = {**common, **own}
            errs = [f"top-level member {k!r} not in the file table" for k in d if k not in top]
            seen: set[str] = set()
            for vec in d.get("vectors", []):
                _walk_members(vec, "", types, seen)
            errs += [f"member {p!r} is not documented" for p in sorted(seen - set(types))]
            errs += [f"documented member {p!r} does not occur" for p in sorted(set(own) - seen)]
            return errs
        s.check(f"{name}.json", check)
    s.done()


def under_ci() -> bool:
    """CI=true (what the CI runner sets): a data set this checker would use must be there."""
    return os.environ.get("CI", "").lower() == "true"


def missing_data(s: "Section", what: str, why: str):
    """A standard data set or document is absent: SKIPPED on a developer's machine, a failure under CI."""
    if under_ci():
        s.check(what, lambda: f"{why} (CI=true: a missing data set fails the run)")
    else:
        s.skip(what, why)


def run_hpke_selftest(rep: Report, path: str):
    s = rep.section("hpke-rfc9180-selftest")
    if not os.path.exists(path):
        missing_data(s, "RFC 9180 Appendix A self-test", f"{path} not present; set VAULT_TEST_DATA or --hpke-kat")
    else:
        s.check("RFC 9180 A.1 (base, X25519, HKDF-SHA256, ChaCha20-Poly1305)", lambda: hpke_selftest(path))
    s.done()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vectors", default=DEFAULT_VECTORS, help="directory of the *.json vectors")
    ap.add_argument("--hpke-kat", default=None, help="RFC 9180 Appendix A JSON (default: $VAULT_TEST_DATA/" + HPKE_KAT_REL
                    + ", else ../../../shared/test-data/" + HPKE_KAT_REL + " relative to this script)")
    ap.add_argument("--format-doc", default=os.path.normpath(os.path.join(HERE, "..", "..", "docs", "format.md")),
                    help="docs/format.md, whose §13.3 tables the vector members are checked against")
    ap.add_argument("--rng", "--inferred-rng", dest="rng", action="store_true",
                    help="also reproduce randomised operations from seed_hex with the §13 draw order")
    ap.add_argument("--list-members", action="store_true",
                    help="print every member path of every vector file (relative to a vector, not descending "
                         "into structures §13.3 documents elsewhere), marking those §13.3 lacks, and exit")
    args = ap.parse_args()
    if args.list_members:
        return list_members(args.vectors, args.format_doc)
    rep = Report(args.rng)
    if args.rng:
        print("rng: reproducing seed_hex operations with ChaCha20Rng::from_seed and the draw order of format.md §13")

    run_hpke_selftest(rep, args.hpke_kat or default_hpke_kat())
    run_kdf(rep, args.vectors)
    run_hkdf(rep, args.vectors)
    run_envelope(rep, args.vectors)
    run_secret_key(rep, args.vectors)
    run_shamir(rep, args.vectors)
    run_fingerprint(rep, args.vectors)
    run_account(rep, args.vectors)
    run_vault(rep, args.vectors)
    run_item(rep, args.vectors)
    run_list(rep, args.vectors)
    run_grant(rep, args.vectors)
    run_lifecycle(rep, args.vectors)
    run_ed25519(rep, args.vectors)
    run_identifiers(rep, args.vectors)
    run_sync(rep, args.vectors)
    run_prelogin(rep, args.vectors)
    run_srp(rep, args.vectors)
    run_opaque(rep, args.vectors)
    run_members(rep, args.vectors, args.format_doc)

    known = {"kdf", "hkdf", "envelope", "secret_key", "shamir", "fingerprint", "account", "vault", "item", "list",
             "grant", "lifecycle", "ed25519", "identifiers", "sync", "prelogin", "srp", "opaque"}
    for e in sorted(f[:-5] for f in os.listdir(args.vectors) if f.endswith(".json") and f[:-5] not in known):
        rep.skipped.append(f"SKIPPED: {e}.json (no checker for this operation)")

    for n in rep.notes:
        print(f"NOTE: {n}")
    for sk in rep.skipped:
        print(sk)
    print(f"{rep.passed} passed, {rep.failed} failed")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
