//! Wycheproof vectors run through vault-core's own primitive wrappers
//! (`vault_core::hazmat::primitives`, `vault_core::kdf::hkdf_sha256_len`), not through
//! the underlying crates, so the tests cover exactly the code the rest of the
//! core calls.
//!
//! # What is run, what is skipped
//!
//! * AEADs (XChaCha20-Poly1305, ChaCha20-Poly1305, AES-256-GCM). Our wrappers
//!   take a 256-bit key (`&[u8; 32]`), exactly one nonce length (24 bytes for
//!   XChaCha20, 12 for ChaCha20 and AES-GCM) and produce/verify 128-bit tags.
//!   Groups with another key size (AES-128/192-GCM) cannot be expressed and are
//!   skipped and counted. Groups with another nonce or tag length are run when
//!   their cases are `invalid` (the wrapper must refuse them: open fails and
//!   seal returns an error) and skipped when they are `valid` (AES-GCM with
//!   non-96-bit IVs is legal GCM, but our format never produces it).
//!   - `valid`: seal reproduces `ct || tag` byte for byte and open returns `msg`.
//!   - `invalid`: open fails.
//!   - `acceptable`: none occur in these files; if one appears it must behave
//!     like `valid` (the test fails loudly so the policy gets revisited).
//! * HKDF-SHA256: `valid` → the exact OKM (with an empty salt, passing `None`
//!   gives the same OKM as `Some(&[])`, RFC 5869 §2.2); `invalid` (output longer
//!   than 255·32 bytes) → an error.
//!
//! # Policy for X25519 (`primitives::x25519`)
//!
//! `primitives::x25519` implements RFC 7748 X25519 (the scalar is clamped, the
//! top bit of the peer's u-coordinate is masked, non-canonical u ≥ 2^255−19 are
//! reduced) and additionally **rejects a non-contributory result**: if the
//! shared secret is all zero (the peer sent a low-order point, Wycheproof flag
//! `ZeroSharedSecret`, usually with `LowOrderPublic`), it returns
//! `Error::InvalidPeerValue` (RFC 7748 §6.1 "MAY check", RFC 9180 §7.1.4
//! "MUST check" for DHKEM). Concretely, per Wycheproof result and flag:
//!
//! * `valid` → the expected shared secret.
//! * `acceptable` with `ZeroSharedSecret` (expected secret all zero) → rejected
//!   with `InvalidPeerValue`. Whatever other flags it carries
//!   (`LowOrderPublic`, `SmallPublicKey`, `NonCanonicalPublic`,
//!   `SpecialPublicKey`, `Twist`, `EdgeCaseMultiplication`), an all-zero
//!   result is never used as a key.
//! * every other `acceptable` case (`Twist`: public keys on the quadratic
//!   twist; `NonCanonicalPublic`: u-coordinates ≥ p or with the top bit set;
//!   `SpecialPublicKey`, `EdgeCaseShared`, `EdgeCaseMultiplication`) → accepted,
//!   with exactly Wycheproof's expected shared secret. Twist points and
//!   non-canonical encodings are harmless for X25519 with clamped scalars
//!   (the twist's small subgroups are cleared by clamping and the secret key is
//!   never reused across curves), and rejecting them would break interoperability.
//! * `invalid` → an error (the current file has none).
//!
//! # Policy for Ed25519 (`primitives::ed25519_verify`)
//!
//! We verify with ed25519-dalek's `verify_strict`: the public key must
//! decompress and must not be of small order, `R` must not be of small order,
//! `S` must be canonical (`S < ℓ`), and the check is the cofactorless
//! `[S]B = R + [k]A` (RFC 8032 §5.1.7 with the strictness of "Taming the many
//! EdDSAs"). Every Wycheproof `valid` case verifies and every `invalid` case
//! (malleated `S`, wrong lengths, bad encodings, truncations, appended
//! garbage) is rejected. There are no `acceptable` Ed25519 cases; if one
//! appeared, the test would fail and make us decide. No Wycheproof `valid`
//! case is rejected by `verify_strict` (asserted below, not skipped): the
//! only inputs `verify_strict` refuses beyond RFC 8032 are small-order public
//! keys and small-order `R`, and Wycheproof's valid set contains neither.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use vault_core::{Error, hazmat::primitives, kdf};
use wycheproof::TestResult;

/// Run/skip counts for one Wycheproof file, with skip reasons per group.
struct Tally {
    file: &'static str,
    run: usize,
    skipped: usize,
    skip_reasons: BTreeMap<String, usize>,
    by_outcome: BTreeMap<String, usize>,
}

impl Tally {
    fn new(file: &'static str) -> Self {
        Tally {
            file,
            run: 0,
            skipped: 0,
            skip_reasons: BTreeMap::new(),
            by_outcome: BTreeMap::new(),
        }
    }
    fn skip_group(&mut self, reason: String, n: usize) {
        self.skipped += n;
        *self.skip_reasons.entry(reason).or_default() += n;
    }
    fn ran(&mut self, outcome: impl Into<String>) {
        self.run += 1;
        *self.by_outcome.entry(outcome.into()).or_default() += 1;
    }
    fn finish(self, total: usize) {
        println!(
            "wycheproof {}: {} run, {} skipped (of {total})",
            self.file, self.run, self.skipped
        );
        for (outcome, n) in &self.by_outcome {
            println!("  ran {n:>4}: {outcome}");
        }
        for (reason, n) in &self.skip_reasons {
            println!("  skipped {n:>4}: {reason}");
        }
        assert_eq!(
            self.run + self.skipped,
            total,
            "{}: every case counted",
            self.file
        );
        assert!(self.run > 0, "{}: no Wycheproof case ran", self.file);
    }
}

type SealFn = fn(&[u8; 32], &[u8], &[u8], &[u8], &mut [u8]) -> vault_core::Result<[u8; 16]>;
type OpenFn = fn(&[u8; 32], &[u8], &[u8], &[u8], &[u8], &mut [u8]) -> vault_core::Result<()>;

fn run_aead(
    name: wycheproof::aead::TestName,
    file: &'static str,
    nonce_len: usize,
    seal: SealFn,
    open: OpenFn,
) {
    let set = wycheproof::aead::TestSet::load(name).unwrap();
    let mut tally = Tally::new(file);
    for group in &set.test_groups {
        let (ks, ns, ts) = (group.key_size, group.nonce_size, group.tag_size);
        if ks != 256 {
            tally.skip_group(
                format!("keySize={ks} (wrapper takes 256-bit keys only)"),
                group.tests.len(),
            );
            continue;
        }
        let shape_ok = ns == nonce_len * 8 && ts == 128;
        for t in &group.tests {
            let key: &[u8; 32] = t.key.as_slice().try_into().unwrap();
            let id = t.tc_id;
            if !shape_ok {
                // Not expressible: run only if Wycheproof says it must fail,
                // and then our wrapper must refuse it outright.
                if t.result == TestResult::Invalid {
                    let mut out = vec![0u8; t.ct.len()];
                    assert!(
                        open(key, &t.nonce, &t.aad, &t.ct, &t.tag, &mut out).is_err(),
                        "{file} tc {id}: open accepted ivSize={ns} tagSize={ts}"
                    );
                    if ns != nonce_len * 8 {
                        let mut out = vec![0u8; t.pt.len()];
                        assert!(
                            matches!(
                                seal(key, &t.nonce, &t.aad, &t.pt, &mut out),
                                Err(Error::InvalidArgument(_))
                            ),
                            "{file} tc {id}: seal accepted ivSize={ns}"
                        );
                    }
                    tally.ran(format!(
                        "invalid, ivSize={ns} tagSize={ts}: refused by the wrapper"
                    ));
                } else {
                    tally.skip_group(
                        format!(
                            "{:?} with ivSize={ns} tagSize={ts} (wrapper: {}-bit nonce, 128-bit tag)",
                            t.result,
                            nonce_len * 8
                        ),
                        1,
                    );
                }
                continue;
            }
            let mut opened = vec![0u8; t.ct.len()];
            let open_res = open(key, &t.nonce, &t.aad, &t.ct, &t.tag, &mut opened);
            match t.result {
                TestResult::Valid => {
                    let mut ct = vec![0u8; t.pt.len()];
                    let tag = seal(key, &t.nonce, &t.aad, &t.pt, &mut ct)
                        .unwrap_or_else(|e| panic!("{file} tc {id}: seal failed: {e}"));
                    assert_eq!(ct, *t.ct, "{file} tc {id}: ciphertext differs");
                    assert_eq!(&tag[..], &t.tag[..], "{file} tc {id}: tag differs");
                    assert_eq!(
                        open_res,
                        Ok(()),
                        "{file} tc {id}: open rejected a valid case"
                    );
                    assert_eq!(
                        opened, *t.pt,
                        "{file} tc {id}: open returned wrong plaintext"
                    );
                    tally.ran("valid: seal exact, open ok");
                }
                TestResult::Invalid => {
                    assert_eq!(
                        open_res,
                        Err(Error::Decrypt),
                        "{file} tc {id} ({:?}, {}): open accepted an invalid case",
                        t.flags,
                        t.comment
                    );
                    tally.ran("invalid: open fails with Error::Decrypt");
                }
                TestResult::Acceptable => {
                    panic!(
                        "{file} tc {id}: an `acceptable` AEAD case appeared ({:?}); decide a policy",
                        t.flags
                    );
                }
            }
        }
    }
    tally.finish(set.number_of_tests);
}

#[test]
fn xchacha20poly1305() {
    run_aead(
        wycheproof::aead::TestName::XChaCha20Poly1305,
        "xchacha20_poly1305_test.json",
        24,
        primitives::xchacha20poly1305_seal,
        primitives::xchacha20poly1305_open,
    );
}

#[test]
fn chacha20poly1305() {
    run_aead(
        wycheproof::aead::TestName::ChaCha20Poly1305,
        "chacha20_poly1305_test.json",
        12,
        primitives::chacha20poly1305_seal,
        primitives::chacha20poly1305_open,
    );
}

#[test]
fn aes256gcm() {
    run_aead(
        wycheproof::aead::TestName::AesGcm,
        "aes_gcm_test.json",
        12,
        primitives::aes256gcm_seal,
        primitives::aes256gcm_open,
    );
}

#[test]
fn x25519() {
    use wycheproof::xdh::{TestFlag, TestName, TestSet};
    let set = TestSet::load(TestName::X25519).unwrap();
    let mut tally = Tally::new("x25519_test.json");
    for group in &set.test_groups {
        for t in &group.tests {
            let id = t.tc_id;
            let (Ok(sk), Ok(pk)) = (
                <[u8; 32]>::try_from(t.private_key.as_slice()),
                <[u8; 32]>::try_from(t.public_key.as_slice()),
            ) else {
                // A 32-byte array type cannot carry other lengths.
                tally.skip_group("key not 32 bytes (wrapper takes [u8; 32])".into(), 1);
                continue;
            };
            let zero = t.shared_secret.iter().all(|&b| b == 0);
            let flagged_zero = t.flags.contains(&TestFlag::ZeroSharedSecret);
            assert_eq!(
                zero, flagged_zero,
                "tc {id}: ZeroSharedSecret flag disagrees with the expected secret"
            );
            let res = primitives::x25519(&sk, &pk);
            let flags = format!("{:?}", t.flags);
            match (t.result, zero) {
                (TestResult::Valid, false) | (TestResult::Acceptable, false) => {
                    assert_eq!(
                        res.as_ref().map(|s| &s[..]),
                        Ok(&t.shared_secret[..]),
                        "tc {id} {flags}: expected the Wycheproof shared secret"
                    );
                    tally.ran(format!("{:?} {flags}: accepted, exact secret", t.result));
                }
                (TestResult::Acceptable, true) => {
                    assert_eq!(
                        res,
                        Err(Error::InvalidPeerValue("low-order X25519 public key")),
                        "tc {id} {flags}: an all-zero shared secret must be rejected"
                    );
                    tally.ran(format!("Acceptable {flags}: rejected (all-zero secret)"));
                }
                (TestResult::Valid, true) => {
                    panic!("tc {id}: a `valid` case with an all-zero secret contradicts our policy")
                }
                (TestResult::Invalid, _) => {
                    assert!(res.is_err(), "tc {id} {flags}: invalid case accepted");
                    tally.ran(format!("Invalid {flags}: rejected"));
                }
            }
        }
    }
    tally.finish(set.number_of_tests);
}

#[test]
fn hkdf_sha256() {
    use wycheproof::hkdf::{TestName, TestSet};
    let set = TestSet::load(TestName::HkdfSha256).unwrap();
    let mut tally = Tally::new("hkdf_sha256_test.json");
    for group in &set.test_groups {
        for t in &group.tests {
            let id = t.tc_id;
            let res = kdf::hkdf_sha256_len(Some(&t.salt), &t.ikm, &t.info, t.size);
            match t.result {
                TestResult::Valid | TestResult::Acceptable => {
                    let okm = res.unwrap_or_else(|e| panic!("tc {id}: {e}"));
                    assert_eq!(&okm[..], &t.okm[..], "tc {id}: OKM differs");
                    if t.salt.is_empty() {
                        let none = kdf::hkdf_sha256_len(None, &t.ikm, &t.info, t.size).unwrap();
                        assert_eq!(&none[..], &t.okm[..], "tc {id}: salt None != empty salt");
                    }
                    tally.ran(format!("{:?}: exact OKM", t.result));
                }
                TestResult::Invalid => {
                    assert!(
                        matches!(res, Err(Error::InvalidArgument(_))),
                        "tc {id} ({:?}): invalid case accepted",
                        t.flags
                    );
                    tally.ran(format!("Invalid {:?}: rejected", t.flags));
                }
            }
        }
    }
    tally.finish(set.number_of_tests);
}

#[test]
fn ed25519() {
    use wycheproof::eddsa::{TestName, TestSet};
    let set = TestSet::load(TestName::Ed25519).unwrap();
    let mut tally = Tally::new("ed25519_test.json");
    for group in &set.test_groups {
        let pk = &group.key.pk;
        for t in &group.tests {
            let id = t.tc_id;
            let res = primitives::ed25519_verify(pk, &t.msg, &t.sig);
            let flags = format!("{:?}", t.flags);
            match t.result {
                TestResult::Valid => {
                    assert_eq!(
                        res,
                        Ok(()),
                        "tc {id} {flags} ({}): verify_strict rejected a valid signature",
                        t.comment
                    );
                    tally.ran(format!("Valid {flags}: verifies"));
                }
                TestResult::Invalid => {
                    assert!(
                        res.is_err(),
                        "tc {id} {flags} ({}): invalid signature accepted",
                        t.comment
                    );
                    tally.ran(format!("Invalid {flags}: rejected"));
                }
                TestResult::Acceptable => {
                    panic!(
                        "tc {id} {flags}: an `acceptable` Ed25519 case appeared; decide a policy"
                    )
                }
            }
        }
    }
    tally.finish(set.number_of_tests);
}
