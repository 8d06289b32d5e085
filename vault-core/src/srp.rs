//! SRP-6a exactly as RFC 5054 specifies it, client and server halves, as
//! sans-IO message-in / message-out state machines.
//!
//! The password input `P` is the account's auth key (see [`crate::kdf`]),
//! already stretched by Argon2id, encoded as **64 lowercase hex characters**
//! ([`generic::password_for_auth_key`]), so any standard RFC 5054 SHA-256
//! client given that string interoperates. Only wire version 1 exists:
//! SHA-256, the RFC 5054 3072-bit group by default (4096 available).
//!
//! # Flow
//!
//! ```text
//! client                                              server
//!   pre-login(I) ───────────────────────────────────▶ PreloginServer (real or fake answer)
//!             ◀─────────── {kdf: {params, salt}, srp: {group, salt}}
//!   auth key = HKDF(Argon2id(password, kdf)); P = hex(auth key)
//!   SrpClient::start ── ClientHello {group, I, A} ──▶ SrpServer::start(record(I), hello)
//!                                                        persist state (to_json; secret)
//!             ◀──────── ServerChallenge {group, s, B} ─
//!   process_challenge ── ClientProof {M1} ──────────▶ state.finish(proof) → K
//!             ◀──────────── ServerProof {M2} ────────
//!   verify_server(M2) → K
//! ```
//!
//! Registration and password change are one client step,
//! [`SrpClient::register`], whose [`SrpRegistration`] `{group, salt, verifier}`
//! the server stores (replacing the old one, together with the re-wrapped
//! account key, in one transaction).
//!
//! # Math
//!
//! `H` = SHA-256, `|` = concatenation, `N`, `g` from RFC 5054 Appendix A.
//! Integers convert to bytes as RFC 5054 §2.1 says: big-endian; **implicit**
//! conversion has no leading zero bytes; `PAD(x)` left-pads with zeros to
//! `len(N)` bytes (384 for the 3072-bit group, 512 for 4096).
//!
//! | value | definition | encoding of its inputs |
//! |---|---|---|
//! | `k` | `H(N \| PAD(g))` | `N` is `len(N)` bytes (its top byte is non-zero) |
//! | `x` | `H(s \| H(I \| ":" \| P))` | `s`: the 16 salt bytes; `I`: the identifier's UTF-8 bytes; `P`: 64 ASCII hex chars |
//! | `v` | `g^x mod N` | `x` read as a big-endian integer |
//! | `A` | `g^a mod N` | `a`: 48 random bytes, big-endian |
//! | `B` | `(k*v + g^b) mod N` | `b`: 48 random bytes, big-endian |
//! | `u` | `H(PAD(A) \| PAD(B))` | **padded** |
//! | `S` (client) | `(B - k*g^x)^(a + u*x) mod N` | |
//! | `S` (server) | `(A * v^u)^b mod N` | |
//! | `K` | `H(S)` | `S` **minimal** (leading zero bytes stripped) |
//! | `M1` | `H(H(N) xor H(PAD(g)) \| H(I) \| s \| A \| B \| K)` | `A`, `B` **minimal**; `PAD(g)` padded; `K` 32 bytes |
//! | `M2` | `H(A \| M1 \| K)` | `A` **minimal** |
//!
//! Only `u`, `k` and `H(PAD(g))` use `PAD`: that is RFC 5054's notation read
//! literally (everything not written `PAD(..)` is an implicit conversion), and
//! it is what the RustCrypto `srp` 0.7 line computes (its client and server
//! hash `A`, `B` and `S` with leading zeros trimmed). Padding `A`, `B` or `S`
//! inside `M1`/`M2`/`K` would silently break interoperability in the roughly
//! 3 sessions in 256 where one of them starts with a zero byte. Both halves
//! here derive every encoding from the integer value, never from how a peer
//! happened to send it, so such sessions work; the tests force them.
//!
//! Checks: `A` and `B` must be `len(N)` bytes with `0 < value < N` (so
//! `A mod N == 0` and `B mod N == 0` are rejected), `u == 0` aborts on both
//! sides, `M1` and `M2` are compared in constant time, and every transition
//! consumes its state. Exponentiation is constant-time Montgomery
//! (`crypto-bigint`); exponent precisions depend only on lengths, not values.
//! Stripping the leading zeros of `S` before hashing is variable-time by
//! nature (the hash input length depends on it); every RFC 5054 implementation
//! shares that.
//!
//! # Wire encodings (version 1)
//!
//! JSON objects, unknown fields rejected, binary fields unpadded base64url,
//! `group` one of `"rfc5054-3072"`, `"rfc5054-4096"`:
//!
//! | message | JSON |
//! |---|---|
//! | [`SrpRegistration`] | `{"v":1,"group":G,"salt":<16 B>,"verifier":<PAD(v), len(N) B>}` |
//! | [`ClientHello`] | `{"v":1,"group":G,"identifier":"<1..=256 UTF-8 bytes>","a_pub":<PAD(A), len(N) B>}` |
//! | [`ServerChallenge`] | `{"v":1,"group":G,"salt":<16 B>,"b_pub":<PAD(B), len(N) B>}` |
//! | [`ClientProof`] | `{"v":1,"m1":<32 B>}` |
//! | [`ServerProof`] | `{"v":1,"m2":<32 B>}` |
//! | [`ServerAwaitingClientProof`] (server-private, **secret**) | `{"v":1,"group":G,"identifier":..,"salt":<16 B>,"verifier":<len(N) B>,"a_pub":<len(N) B>,"b_pub":<len(N) B>,"b":<48 B>}` |
//!
//! On the wire `A`, `B` and `v` are always `PAD`ded to exactly `len(N)` bytes;
//! a bridge to an implementation that sends or hashes minimal encodings pads
//! what it receives from it and strips leading zeros from what it passes in.
//! A `v` other than 1 is [`Error::UnsupportedVersion`](crate::Error).
//!
//! # Determinism (test vectors)
//!
//! All randomness comes from the injected RNG, one `fill_bytes` call per step:
//! [`SrpClient::register`] draws the 16-byte salt, [`SrpClient::start`] draws
//! the 48 bytes of `a`, [`SrpServer::start`] draws the 48 bytes of `b`. With a
//! seeded RNG a whole transcript is reproducible. With the `hazmat` feature,
//! `generic::SrpClient::register_with_password` and
//! `generic::SrpClient::start_with_password` take a raw `P`,
//! `generic::ClientAwaitingServerProof::premaster_secret` exposes `PAD(S)`, and
//! `SrpGroup::Rfc5054_1024InsecureTestOnly` exists, for the RFC 5054 vectors.
//!
//! # Example
//!
//! ```
//! use vault_core::{srp::*, SymmetricKey};
//! let mut rng = vault_core::rng::os_rng();
//! let auth_key = SymmetricKey::generate(&mut rng); // really MasterKeys::auth_key
//! let record = SrpClient::register("alice", &auth_key, SrpGroup::default(), &mut rng)?;
//!
//! // Request 1.
//! let (client, hello) = SrpClient::start("alice", &auth_key, record.group(), &mut rng)?;
//! let hello = ClientHello::from_json(&hello.to_json())?;
//! let (server, challenge) = SrpServer::start(&record, &hello, &mut rng)?;
//! let stored = server.to_json(); // keep server-side until request 2
//!
//! // Request 2.
//! let (client, proof) = client.process_challenge(&ServerChallenge::from_json(&challenge.to_json())?)?;
//! let server = ServerAwaitingClientProof::from_json(stored.expose_secret())?;
//! let (server_proof, server_key) = server.finish(&ClientProof::from_json(&proof.to_json())?)?;
//! let client_key = client.verify_server(&ServerProof::from_json(&server_proof.to_json())?)?;
//! assert_eq!(client_key, server_key);
//! # Ok::<(), vault_core::Error>(())
//! ```

pub mod generic;
mod groups;
mod math;
mod messages;

pub use groups::SrpGroup;
pub use messages::{
    ClientHello, ClientProof, EPHEMERAL_LEN, MAX_IDENTIFIER_LEN, PROOF_LEN, SALT_LEN,
    SRP_WIRE_VERSION, ServerChallenge, ServerProof, SrpRegistration,
};

use sha2::Sha256;

/// The client half with SHA-256: [`generic::SrpClient`]`<Sha256>`.
pub type SrpClient = generic::SrpClient<Sha256>;
/// Client state waiting for the server's challenge (SHA-256).
pub type ClientAwaitingChallenge = generic::ClientAwaitingChallenge<Sha256>;
/// Client state waiting for the server's proof (SHA-256).
pub type ClientAwaitingServerProof = generic::ClientAwaitingServerProof<Sha256>;
/// The server half with SHA-256: [`generic::SrpServer`]`<Sha256>`.
pub type SrpServer = generic::SrpServer<Sha256>;
/// Server state between the challenge and the client's proof (SHA-256).
pub type ServerAwaitingClientProof = generic::ServerAwaitingClientProof<Sha256>;

pub(crate) use math::reduce_wide;
