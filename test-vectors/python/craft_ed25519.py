#!/usr/bin/env python3
"""Builds the crafted inputs that test-vectors/src/ed25519.rs hard-codes.

Not part of the independent check (verify_vectors.py): this is a generator
aid. The Rust generator cannot do curve or scalar arithmetic itself (it
depends only on vault-core), so the few Ed25519 edge cases that need it are
computed here once, printed as Rust constants, and pasted into
`test-vectors/src/ed25519.rs`; the generator then runs every case through
vault-core to record the outcome, and refuses to write a file if a crafted
case does not behave as constructed. Run it to re-derive the constants:

    python3 test-vectors/python/craft_ed25519.py

Everything is deterministic (no randomness): nonces come from SHA-512 of a
label and a counter. Standard library only.
"""
from __future__ import annotations

import hashlib

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

# RFC 8032 §7.1 TEST 1: the signer of every crafted case.
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
MESSAGE = b"VLT1 ed25519 vector"

IDENTITY = (0, 1, 1, 0)  # extended coordinates (X, Y, Z, T)


def add(p, q):
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * D * t1 * t2 % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def mul(k: int, p):
    r = IDENTITY
    while k:
        if k & 1:
            r = add(r, p)
        p = add(p, p)
        k >>= 1
    return r


def encode(p) -> bytes:
    x, y, z, _ = p
    zi = pow(z, P - 2, P)
    x, y = x * zi % P, y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def decode(b: bytes):
    """Decoding as docs/format.md §12 states it (y reduced mod p, x = 0 with the sign bit allowed)."""
    v = int.from_bytes(b, "little")
    sign, y = v >> 255, (v & ((1 << 255) - 1)) % P
    u, w = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(w, 3, P) * pow(u * pow(w, 7, P), (P - 5) // 8, P) % P
    if (w * x * x - u) % P:
        if (w * x * x + u) % P:
            return None
        x = x * SQRT_M1 % P
    if x & 1:
        x = P - x
    if sign:
        x = (P - x) % P
    return (x, y, 1, x * y % P)


def is_identity(p) -> bool:
    x, y, z, _ = p
    return x % P == 0 and (y - z) % P == 0


def small_order(p) -> bool:
    return is_identity(mul(8, p))


def h_int(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


BY = 4 * pow(5, P - 2, P) % P
B = decode(BY.to_bytes(32, "little"))
digest = hashlib.sha512(SEED).digest()
a = int.from_bytes(digest[:32], "little")
a &= (1 << 254) - 8
a |= 1 << 254
assert encode(mul(a, B)) == PUBLIC, "RFC 8032 TEST 1 key"


def nonce(label: str, i: int) -> int:
    return h_int(label.encode(), i.to_bytes(4, "little")) % L


def search(label: str, a_bytes: bytes, want):
    """First r = nonce(label, i) whose k = H(R || A || M) mod L satisfies `want`."""
    for i in range(10_000):
        r = nonce(label, i)
        rb = encode(mul(r, B))
        k = h_int(rb, a_bytes, MESSAGE) % L
        if want(k):
            return r, rb, k
    raise SystemExit(f"{label}: no nonce found")


def sig(rb: bytes, s: int) -> str:
    return (rb + s.to_bytes(32, "little")).hex()


out = {}

# 1. Mixed-order public key A = [a]B + T2 with T2 = (0, -1) of order 2, so
#    A = (-x, -y) of [a]B. Not of small order, not in the prime-order subgroup.
T2 = (0, P - 1, 1, 0)
assert small_order(T2) and not is_identity(T2)
A_mixed = add(mul(a, B), T2)
assert not small_order(A_mixed) and not is_identity(mul(L, A_mixed))
a_mixed = encode(A_mixed)
out["MIXED_ORDER_PUBLIC_KEY"] = a_mixed.hex()
#    k even: [k]T2 is the identity, so the cofactorless equation holds.
r, rb, k = search("mixed/even", a_mixed, lambda k: k % 2 == 0)
out["MIXED_ORDER_EVEN_K_SIGNATURE"] = sig(rb, (r + k * a) % L)
#    k odd: off by T2; only a cofactored verifier ([8] on both sides) accepts.
r, rb, k = search("mixed/odd", a_mixed, lambda k: k % 2 == 1)
out["MIXED_ORDER_ODD_K_SIGNATURE"] = sig(rb, (r + k * a) % L)

# 2. Small-order R (the identity) under the real key, equation holding:
#    S = k a, so [S]B = [k]A = R + [k]A.
R_id = encode(IDENTITY)
k = h_int(R_id, PUBLIC, MESSAGE) % L
out["IDENTITY_R_SIGNATURE"] = sig(R_id, k * a % L)

# 3. Public key of order 8 with a prime-order R, equation holding:
#    A = T8, R = [r]B, S = r, and k ≡ 0 (mod 8) so [k]T8 is the identity.
T8 = None
for y in range(2, 1000):
    q = decode(y.to_bytes(32, "little"))
    if q is None:
        continue
    t = mul(L, q)  # the torsion component of q
    if not is_identity(mul(4, t)):
        T8 = t
        break
assert T8 is not None and small_order(T8) and not is_identity(mul(4, T8))
t8 = encode(T8)
out["ORDER_8_PUBLIC_KEY"] = t8.hex()
r, rb, k = search("order8", t8, lambda k: k % 8 == 0)
out["ORDER_8_KEY_SIGNATURE"] = sig(rb, r)

# 4. A non-canonical encoding (y + p, y < 19) of a point that is on the curve
#    and not of small order, and one whose y is not on the curve.
on, off = None, None
for y in range(2, 19):
    q = decode(y.to_bytes(32, "little"))
    if q is not None and not small_order(q) and on is None:
        on = (y + P).to_bytes(32, "little")
    if q is None and off is None:
        off = (y + P).to_bytes(32, "little")
assert on is not None and off is not None
assert decode(on) is not None and encode(decode(on)) != on
out["NONCANONICAL_Y_ON_CURVE"] = on.hex()
out["NONCANONICAL_Y_OFF_CURVE"] = off.hex()

# 5. A canonical y that is not on the curve.
for y in range(2, 1000):
    if decode(y.to_bytes(32, "little")) is None:
        out["Y_OFF_CURVE"] = y.to_bytes(32, "little").hex()
        break

for name, value in out.items():
    print(f'const {name}: &str = "{value}";')
