//! SRP-6a and pre-login: the RFC 5054 Appendix B vectors through the real code
//! paths, in-memory client/server pairs (success, wrong password, tampering,
//! replay, fake accounts, password change, zero-leading values), decoder
//! robustness, and interop with the RustCrypto `srp` 0.7 crate both ways.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::missing_test_data;
use rand_chacha::ChaCha20Rng;
use rand_core::{Infallible, SeedableRng, TryCryptoRng, TryRng};
use sha1::Sha1;
use sha2::Digest;
use sha2::Sha256;
use vault_core::prelogin::{PreloginResponse, PreloginServer};
use vault_core::srp::generic;
use vault_core::srp::*;
use vault_core::{Error, KdfParams, KdfPolicy, SecretBytes, SymmetricKey, UnlockedAccount, kdf};

// ---------------------------------------------------------------------------
// Helpers

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// The 48 bytes `SrpClient::start` / `SrpServer::start` draw from `rng(seed)`.
fn ephemeral(seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; EPHEMERAL_LEN];
    rand_core::Rng::fill_bytes(&mut rng(seed), &mut out);
    out
}

fn key(seed: u8) -> SymmetricKey {
    SymmetricKey::from_bytes([seed; 32])
}

/// An RNG that hands out exactly the bytes queued, to inject RFC values.
struct QueueRng(Vec<u8>);

impl TryRng for QueueRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        assert!(self.0.len() >= dst.len(), "QueueRng exhausted");
        let rest = self.0.split_off(dst.len());
        dst.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}
impl TryCryptoRng for QueueRng {}

fn pad(bytes: &[u8], len: usize) -> Vec<u8> {
    assert!(bytes.len() <= len);
    let mut out = vec![0u8; len - bytes.len()];
    out.extend_from_slice(bytes);
    out
}

fn trim(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn flip(bytes: &[u8], i: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v[i] ^= 1;
    v
}

/// Modulus plus/minus a small delta, `len(N)` bytes (for range tests).
fn n_plus(group: SrpGroup, delta: i8) -> Vec<u8> {
    let mut n = group.modulus().unwrap().to_vec();
    let last = n.len() - 1;
    n[last] = (i16::from(n[last]) + i16::from(delta)) as u8; // N ends in 0xFF / 0xE3: no carry
    n
}

/// Full login through the JSON encodings, server state persisted in between.
/// Returns (client key, server key) or the first error.
fn login(
    identifier: &str,
    login_key: &SymmetricKey,
    record: &SrpRegistration,
    client_seed: u64,
    server_seed: u64,
) -> Result<(SecretBytes, SecretBytes), Error> {
    let (client, hello) =
        SrpClient::start(identifier, login_key, record.group(), &mut rng(client_seed))?;
    let hello = ClientHello::from_json(&hello.to_json())?;
    let (server, challenge) = SrpServer::start(record, &hello, &mut rng(server_seed))?;
    let stored = server.to_json();
    let challenge = ServerChallenge::from_json(&challenge.to_json())?;
    let (client, proof) = client.process_challenge(&challenge)?;
    let server = ServerAwaitingClientProof::from_json(stored.expose_secret())?;
    let (server_proof, server_key) = server.finish(&ClientProof::from_json(&proof.to_json())?)?;
    let client_key = client.verify_server(&ServerProof::from_json(&server_proof.to_json())?)?;
    Ok((client_key, server_key))
}

fn register(identifier: &str, k: &SymmetricKey, group: SrpGroup, seed: u64) -> SrpRegistration {
    let r = SrpClient::register(identifier, k, group, &mut rng(seed)).unwrap();
    SrpRegistration::from_json(&r.to_json()).unwrap()
}

// ---------------------------------------------------------------------------
// RFC 5054 Appendix B (SHA-1, 1024-bit group) through the real code paths

#[test]
#[allow(deprecated)] // srp's 1024-bit group, for the M1/M2 cross-check only
fn rfc5054_appendix_b() {
    let path = common::test_data_dir()
        .join("srp-rfc5054/rfc5054_appendix_b.json")
        .display()
        .to_string();
    let Ok(text) = std::fs::read_to_string(&path) else {
        missing_test_data(&format!(
            "RFC 5054 Appendix B vectors not found at {path} (set VAULT_TEST_DATA)"
        ));
        return;
    };
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let h = |name: &str| hex::decode(j[name].as_str().unwrap()).unwrap();
    let (i, p) = (
        j["I"].as_str().unwrap(),
        j["P"].as_str().unwrap().as_bytes(),
    );
    let (s, a, b) = (h("s"), h("a"), h("b"));
    let group = SrpGroup::Rfc5054_1024InsecureTestOnly;
    let n_len = group.modulus_len();
    assert_eq!(n_len, 128);

    assert_eq!(generic::compute_k::<Sha1>(group).unwrap(), h("k"), "k");
    assert_eq!(
        generic::compute_x::<Sha1>(&s, i, p).expose_secret(),
        &h("x")[..],
        "x"
    );

    // Registration draws the salt: inject the RFC's.
    let record =
        generic::SrpClient::<Sha1>::register_with_password(i, p, group, &mut QueueRng(s.clone()))
            .unwrap();
    assert_eq!(record.salt().as_slice(), &s[..]);
    assert_eq!(record.verifier(), &pad(&h("v"), n_len)[..], "v");

    // a and b are 256-bit; the state machines draw 384 bits, so prefix zeros.
    let (client, hello) = generic::SrpClient::<Sha1>::start_with_password(
        i,
        p,
        group,
        &mut QueueRng(pad(&a, EPHEMERAL_LEN)),
    )
    .unwrap();
    assert_eq!(hello.a_pub(), &pad(&h("A"), n_len)[..], "A");
    let (server, challenge) =
        generic::SrpServer::<Sha1>::start(&record, &hello, &mut QueueRng(pad(&b, EPHEMERAL_LEN)))
            .unwrap();
    assert_eq!(challenge.b_pub(), &pad(&h("B"), n_len)[..], "B");
    assert_eq!(
        generic::compute_u::<Sha1>(group, hello.a_pub(), challenge.b_pub()).unwrap(),
        h("u"),
        "u"
    );

    let (client, proof) = client.process_challenge(&challenge).unwrap();
    assert_eq!(
        client.premaster_secret().expose_secret(),
        &pad(&h("S"), n_len)[..],
        "S"
    );
    let k_expected = Sha1::digest(trim(&h("S"))).to_vec();

    // M1/M2 have no RFC vectors: cross-check with the RustCrypto implementation.
    let reference = srp::Client::<srp::groups::G1024, Sha1>::new()
        .process_reply(&a, i.as_bytes(), p, &s, &h("B"))
        .unwrap();
    assert_eq!(proof.m1(), reference.proof(), "M1");

    let (server_proof, server_key) = server.finish(&proof).unwrap();
    assert_eq!(server_key.expose_secret(), &k_expected[..], "K (server)");
    assert_eq!(
        reference.verify_server(server_proof.m2()).unwrap(),
        &k_expected[..],
        "M2"
    );
    let client_key = client.verify_server(&server_proof).unwrap();
    assert_eq!(client_key, server_key);
}

// ---------------------------------------------------------------------------
// In-memory pairs

#[test]
fn success_3072_and_4096() {
    for group in [SrpGroup::Rfc5054_3072, SrpGroup::Rfc5054_4096] {
        let k = key(1);
        let record = register("alice@example.com", &k, group, 1);
        assert_eq!(record.verifier().len(), group.modulus_len());
        let (ck, sk) = login("alice@example.com", &k, &record, 2, 3).unwrap();
        assert_eq!(ck, sk);
        assert_eq!(ck.len(), 32);
        // Fresh ephemerals give a fresh key.
        let (ck2, _) = login("alice@example.com", &k, &record, 4, 5).unwrap();
        assert_ne!(ck, ck2);
    }
    assert_eq!(SrpGroup::default(), SrpGroup::Rfc5054_3072);
}

#[test]
fn deterministic_given_the_rng() {
    let k = key(1);
    let r1 = register("alice", &k, SrpGroup::default(), 7);
    let r2 = register("alice", &k, SrpGroup::default(), 7);
    assert_eq!(r1, r2);
    let (_, h1) = SrpClient::start("alice", &k, r1.group(), &mut rng(8)).unwrap();
    let (_, h2) = SrpClient::start("alice", &k, r1.group(), &mut rng(8)).unwrap();
    assert_eq!(h1, h2);
    let (s1, c1) = SrpServer::start(&r1, &h1, &mut rng(9)).unwrap();
    let (s2, c2) = SrpServer::start(&r1, &h1, &mut rng(9)).unwrap();
    assert_eq!(c1, c2);
    assert_eq!(s1.to_json(), s2.to_json());
}

#[test]
fn wrong_password_fails_at_m1() {
    let record = register("alice", &key(1), SrpGroup::default(), 1);
    assert_eq!(
        login("alice", &key(2), &record, 2, 3).unwrap_err(),
        Error::AuthenticationFailed
    );
}

#[test]
fn wrong_identifier_fails_at_m1() {
    // The record of "alice" used for a hello claiming "bob" (x and M1 bind I).
    let k = key(1);
    let record = register("alice", &k, SrpGroup::default(), 1);
    assert_eq!(
        login("bob", &k, &record, 2, 3).unwrap_err(),
        Error::AuthenticationFailed
    );
}

#[test]
fn group_mismatch_is_rejected() {
    let k = key(1);
    let record = register("alice", &k, SrpGroup::Rfc5054_3072, 1);
    let (_, hello) = SrpClient::start("alice", &k, SrpGroup::Rfc5054_4096, &mut rng(2)).unwrap();
    assert!(matches!(
        SrpServer::start(&record, &hello, &mut rng(3)).unwrap_err(),
        Error::InvalidPeerValue(_)
    ));
    // Client side: a challenge in another group than the login started with.
    let (client, hello) =
        SrpClient::start("alice", &k, SrpGroup::Rfc5054_3072, &mut rng(2)).unwrap();
    let (_, challenge) = SrpServer::start(&record, &hello, &mut rng(3)).unwrap();
    let other = ServerChallenge::new(
        SrpGroup::Rfc5054_4096,
        *challenge.salt(),
        pad(&challenge.b_pub()[1..], 512),
    )
    .unwrap();
    assert!(matches!(
        client.process_challenge(&other).unwrap_err(),
        Error::InvalidPeerValue(_)
    ));
}

/// Runs one login, letting `tamper` rewrite one message; returns the outcome.
#[derive(Clone, Copy, Debug)]
enum Step {
    HelloA,
    HelloIdentifier,
    ChallengeB,
    ChallengeSalt,
    ProofM1,
    ServerProofM2,
}

fn login_tampered(step: Step) -> Result<(), Error> {
    let k = key(1);
    let group = SrpGroup::default();
    let record = register("alice", &k, group, 1);
    let (client, mut hello) = SrpClient::start("alice", &k, group, &mut rng(2)).unwrap();
    match step {
        Step::HelloA => {
            hello = ClientHello::new(group, "alice".into(), flip(hello.a_pub(), 200))?;
        }
        Step::HelloIdentifier => {
            hello = ClientHello::new(group, "alicf".into(), hello.a_pub().to_vec())?;
        }
        _ => {}
    }
    let (server, mut challenge) = SrpServer::start(&record, &hello, &mut rng(3))?;
    match step {
        Step::ChallengeB => {
            challenge =
                ServerChallenge::new(group, *challenge.salt(), flip(challenge.b_pub(), 100))?;
        }
        Step::ChallengeSalt => {
            let salt: [u8; SALT_LEN] = flip(challenge.salt(), 0).try_into().unwrap();
            challenge = ServerChallenge::new(group, salt, challenge.b_pub().to_vec())?;
        }
        _ => {}
    }
    let (client, mut proof) = client.process_challenge(&challenge)?;
    if let Step::ProofM1 = step {
        proof = ClientProof::new(flip(proof.m1(), 31))?;
    }
    let (mut server_proof, _) = server.finish(&proof)?;
    if let Step::ServerProofM2 = step {
        server_proof = ServerProof::new(flip(server_proof.m2(), 0))?;
    }
    client.verify_server(&server_proof)?;
    Ok(())
}

#[test]
fn tampering_at_each_step_fails() {
    for step in [
        Step::HelloA,
        Step::HelloIdentifier,
        Step::ChallengeB,
        Step::ChallengeSalt,
        Step::ProofM1,
        Step::ServerProofM2,
    ] {
        assert_eq!(
            login_tampered(step).unwrap_err(),
            Error::AuthenticationFailed,
            "{step:?}"
        );
    }
}

#[test]
fn tampered_json_never_authenticates() {
    // Flip characters through each message's JSON: every variant either fails
    // to decode or fails authentication; none succeeds, none panics.
    let k = key(1);
    let group = SrpGroup::default();
    let record = register("alice", &k, group, 1);
    let hello_json = SrpClient::start("alice", &k, group, &mut rng(2))
        .unwrap()
        .1
        .to_json();
    let mut positions = 0;
    for i in (0..hello_json.len()).step_by(37) {
        let mut bytes = hello_json.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if text == hello_json {
            continue;
        }
        positions += 1;
        let Ok(hello) = ClientHello::from_json(&text) else {
            continue;
        };
        let (client, _) = SrpClient::start("alice", &k, group, &mut rng(2)).unwrap();
        let Ok((server, challenge)) = SrpServer::start(&record, &hello, &mut rng(3)) else {
            continue;
        };
        let (_, proof) = client.process_challenge(&challenge).unwrap();
        assert_eq!(
            server.finish(&proof).unwrap_err(),
            Error::AuthenticationFailed
        );
    }
    assert!(positions > 10);
}

#[test]
fn replayed_messages_fail() {
    let k = key(1);
    let group = SrpGroup::default();
    let record = register("alice", &k, group, 1);

    // Session 1 runs to completion; its messages are recorded.
    let (c1, hello1) = SrpClient::start("alice", &k, group, &mut rng(10)).unwrap();
    let (s1, ch1) = SrpServer::start(&record, &hello1, &mut rng(11)).unwrap();
    let (c1, proof1) = c1.process_challenge(&ch1).unwrap();
    let (m2_1, _) = s1.finish(&proof1).unwrap();
    c1.verify_server(&m2_1).unwrap();

    // Replaying hello1 gets a fresh B, and the recorded M1 does not fit it.
    let (s2, _) = SrpServer::start(&record, &hello1, &mut rng(12)).unwrap();
    assert_eq!(s2.finish(&proof1).unwrap_err(), Error::AuthenticationFailed);

    // An M1 from session 1 against an honest session 2.
    let (c2, hello2) = SrpClient::start("alice", &k, group, &mut rng(20)).unwrap();
    let (s2, ch2) = SrpServer::start(&record, &hello2, &mut rng(21)).unwrap();
    let s2_json = s2.to_json();
    assert_eq!(s2.finish(&proof1).unwrap_err(), Error::AuthenticationFailed);

    // An M2 from session 1 to a client in session 2.
    let s2 = ServerAwaitingClientProof::from_json(s2_json.expose_secret()).unwrap();
    let (c2, proof2) = c2.process_challenge(&ch2).unwrap();
    let (m2_2, _) = s2.finish(&proof2).unwrap();
    assert_ne!(m2_1, m2_2);
    assert_eq!(
        c2.verify_server(&m2_1).unwrap_err(),
        Error::AuthenticationFailed
    );

    // A challenge from session 1 replayed into session 2's client.
    let (c3, _) = SrpClient::start("alice", &k, group, &mut rng(30)).unwrap();
    let (_c3, proof3) = c3.process_challenge(&ch1).unwrap();
    assert_ne!(proof3, proof1);

    // Finishing a state twice does not compile (see the compile_fail doctest in
    // vault_core::srp::generic); a persisted state must be deleted when loaded.
}

#[test]
fn password_change_old_fails_new_succeeds() {
    let id = "carol@example.com";
    let mut r = rng(40);
    let policy = KdfPolicy::PERMISSIVE_TEST_ONLY;
    let (acct, creds) =
        UnlockedAccount::create("old password", None, KdfParams::INSECURE_TEST_ONLY, &mut r)
            .unwrap();
    let mut srp_record =
        SrpClient::register(id, &creds.auth_key, SrpGroup::default(), &mut r).unwrap();
    let mut account = creds.encrypted;

    // A client logs in the way an app does: pre-login, derive, SRP.
    let client_login = |password: &str,
                        account: &vault_core::EncryptedAccount,
                        record: &SrpRegistration,
                        seed: u64| {
        let pre = PreloginResponse::from_json(
            &PreloginResponse::for_srp_account(account.kdf, record).to_json(),
        )
        .unwrap();
        let keys =
            kdf::derive_master_keys(password, None, &pre.checked_kdf(&policy).unwrap(), &policy)
                .unwrap();
        login(id, &keys.auth_key, record, seed, seed + 1)
    };
    client_login("old password", &account, &srp_record, 50).unwrap();

    // Password change: re-wrapped account key + new verifier, replaced together.
    let new = acct
        .change_password(
            &account,
            "new password",
            None,
            KdfParams::INSECURE_TEST_ONLY,
            &mut r,
        )
        .unwrap();
    let new_record = SrpClient::register(id, &new.auth_key, SrpGroup::default(), &mut r).unwrap();
    assert_ne!(new_record.salt(), srp_record.salt());
    account = new.encrypted;
    srp_record = new_record;

    assert_eq!(
        client_login("old password", &account, &srp_record, 60).unwrap_err(),
        Error::AuthenticationFailed
    );
    let (ck, sk) = client_login("new password", &account, &srp_record, 70).unwrap();
    assert_eq!(ck, sk);
}

// ---------------------------------------------------------------------------
// Zero-leading A, B, S (found by a deterministic search over RNG seeds)

fn find_seed(mut pred: impl FnMut(u64) -> bool) -> u64 {
    (0..5000)
        .find(|&s| pred(s))
        .expect("no seed found in 5000 tries")
}

#[test]
fn zero_leading_a_b_s_work_and_interoperate() {
    let group = SrpGroup::Rfc5054_3072;
    let id = "zero@example.com";
    let k = key(9);
    let record = register(id, &k, group, 1);

    // A starting with a zero byte.
    let a_seed = find_seed(|s| {
        SrpClient::start(id, &k, group, &mut rng(s))
            .unwrap()
            .1
            .a_pub()[0]
            == 0
    });
    // B starting with a zero byte (for the hello of client seed 0).
    let (_, hello0) = SrpClient::start(id, &k, group, &mut rng(0)).unwrap();
    let b_seed = find_seed(|s| {
        SrpServer::start(&record, &hello0, &mut rng(s))
            .unwrap()
            .1
            .b_pub()[0]
            == 0
    });
    // S starting with a zero byte (server seed 0 fixed, client seeds searched).
    let s_seed = find_seed(|s| {
        let (c, hello) = SrpClient::start(id, &k, group, &mut rng(s)).unwrap();
        let (_, ch) = SrpServer::start(&record, &hello, &mut rng(0)).unwrap();
        let (c, _) = c.process_challenge(&ch).unwrap();
        c.premaster_secret().expose_secret()[0] == 0
    });
    println!("zero-leading seeds: A {a_seed}, B {b_seed}, S {s_seed}");

    for (client_seed, server_seed, what) in [(a_seed, 0, "A"), (0, b_seed, "B"), (s_seed, 0, "S")] {
        let (ck, sk) = login(id, &k, &record, client_seed, server_seed).unwrap();
        assert_eq!(ck, sk, "{what}");
        interop_their_client_our_server(group, id, &k, &record, client_seed, server_seed);
        interop_our_client_their_server(group, id, &k, &record, client_seed, server_seed);
    }
}

// ---------------------------------------------------------------------------
// Interop with RustCrypto srp 0.7.0-rc.3 (RFC 5054 M1/M2)

fn srp_client_verifier(
    group: SrpGroup,
    a: &[u8],
    id: &str,
    p: &[u8],
    salt: &[u8],
    b_pub: &[u8],
) -> (Vec<u8>, srp::ClientVerifier<Sha256>) {
    match group {
        SrpGroup::Rfc5054_3072 => {
            let c = srp::ClientG3072::<Sha256>::new();
            (
                c.compute_public_ephemeral(a),
                c.process_reply(a, id.as_bytes(), p, salt, b_pub).unwrap(),
            )
        }
        SrpGroup::Rfc5054_4096 => {
            let c = srp::ClientG4096::<Sha256>::new();
            (
                c.compute_public_ephemeral(a),
                c.process_reply(a, id.as_bytes(), p, salt, b_pub).unwrap(),
            )
        }
        _ => unreachable!(),
    }
}

/// Their client (a from `client_seed`) against our server (b from `server_seed`).
fn interop_their_client_our_server(
    group: SrpGroup,
    id: &str,
    k: &SymmetricKey,
    record: &SrpRegistration,
    client_seed: u64,
    server_seed: u64,
) {
    let n_len = group.modulus_len();
    let p = generic::password_for_auth_key(k);
    let a = ephemeral(client_seed);
    // Their A is minimal; our wire wants PAD(A).
    let (their_a, _) = srp_client_verifier(group, &a, id, p.expose_secret(), &[0; 16], &[1]);
    let hello = ClientHello::new(group, id.into(), pad(&their_a, n_len)).unwrap();
    let (server, challenge) = SrpServer::start(record, &hello, &mut rng(server_seed)).unwrap();
    // Their client hashes B as given: hand it the minimal encoding (RFC 5054 §2.1).
    let (_, theirs) = srp_client_verifier(
        group,
        &a,
        id,
        p.expose_secret(),
        challenge.salt(),
        trim(challenge.b_pub()),
    );
    let (m2, server_key) = server
        .finish(&ClientProof::new(theirs.proof().to_vec()).unwrap())
        .unwrap();
    let their_key = theirs.verify_server(m2.m2()).unwrap();
    assert_eq!(their_key, server_key.expose_secret());
}

/// Our client (a from `client_seed`) against their server (b from `server_seed`).
fn interop_our_client_their_server(
    group: SrpGroup,
    id: &str,
    k: &SymmetricKey,
    record: &SrpRegistration,
    client_seed: u64,
    server_seed: u64,
) {
    let n_len = group.modulus_len();
    let b = ephemeral(server_seed);
    let (client, hello) = SrpClient::start(id, k, group, &mut rng(client_seed)).unwrap();
    let a_min = trim(hello.a_pub());
    let (b_pub, verifier) = match group {
        SrpGroup::Rfc5054_3072 => {
            let s = srp::ServerG3072::<Sha256>::new();
            (
                s.compute_public_ephemeral(&b, record.verifier()),
                s.process_reply(id.as_bytes(), record.salt(), &b, record.verifier(), a_min)
                    .unwrap(),
            )
        }
        SrpGroup::Rfc5054_4096 => {
            let s = srp::ServerG4096::<Sha256>::new();
            (
                s.compute_public_ephemeral(&b, record.verifier()),
                s.process_reply(id.as_bytes(), record.salt(), &b, record.verifier(), a_min)
                    .unwrap(),
            )
        }
        _ => unreachable!(),
    };
    let challenge = ServerChallenge::new(group, *record.salt(), pad(&b_pub, n_len)).unwrap();
    let (client, proof) = client.process_challenge(&challenge).unwrap();
    let their_key = verifier.verify_client(proof.m1()).unwrap().to_vec();
    let our_key = client
        .verify_server(&ServerProof::new(verifier.proof().to_vec()).unwrap())
        .unwrap();
    assert_eq!(our_key.expose_secret(), &their_key[..]);
}

#[test]
fn interop_with_rustcrypto_srp() {
    for group in [SrpGroup::Rfc5054_3072, SrpGroup::Rfc5054_4096] {
        let id = "dave@example.com";
        let k = key(3);
        let record = register(id, &k, group, 100);
        // Registration: their verifier for the same I, P, s is ours.
        let p = generic::password_for_auth_key(&k);
        let theirs = match group {
            SrpGroup::Rfc5054_3072 => srp::ClientG3072::<Sha256>::new().compute_verifier(
                id.as_bytes(),
                p.expose_secret(),
                record.salt(),
            ),
            _ => srp::ClientG4096::<Sha256>::new().compute_verifier(
                id.as_bytes(),
                p.expose_secret(),
                record.salt(),
            ),
        };
        assert_eq!(record.verifier(), &pad(&theirs, group.modulus_len())[..]);
        for (c, s) in [(101, 102), (103, 104)] {
            interop_their_client_our_server(group, id, &k, &record, c, s);
            interop_our_client_their_server(group, id, &k, &record, c, s);
        }
    }
}

#[test]
fn p_is_the_lowercase_hex_of_the_auth_key() {
    let k = SymmetricKey::from_bytes(core::array::from_fn(|i| i as u8 * 8));
    let p = generic::password_for_auth_key(&k);
    assert_eq!(p.expose_secret(), hex::encode(k.expose_secret()).as_bytes());
    // x is computed over exactly that string.
    let salt = [7u8; 16];
    let x_direct =
        generic::compute_x::<Sha256>(&salt, "eve", hex::encode(k.expose_secret()).as_bytes());
    let inner = Sha256::digest(format!("eve:{}", hex::encode(k.expose_secret())));
    let mut outer = Sha256::new();
    outer.update(salt);
    outer.update(inner);
    assert_eq!(x_direct.expose_secret(), &outer.finalize()[..]);
}

// ---------------------------------------------------------------------------
// u == 0 (forced with a hash that outputs zeros)

#[derive(Clone, Default)]
struct ZeroHash;
impl sha2::digest::HashMarker for ZeroHash {}
impl sha2::digest::OutputSizeUser for ZeroHash {
    type OutputSize = sha2::digest::consts::U32;
}
impl sha2::digest::Update for ZeroHash {
    fn update(&mut self, _data: &[u8]) {}
}
impl sha2::digest::FixedOutput for ZeroHash {
    fn finalize_into(self, out: &mut sha2::digest::Output<Self>) {
        out.fill(0);
    }
}

#[test]
fn u_zero_is_rejected_by_both_sides() {
    let group = SrpGroup::Rfc5054_3072;
    let record =
        generic::SrpClient::<ZeroHash>::register("z", &key(1), group, &mut rng(1)).unwrap();
    let (client, hello) =
        generic::SrpClient::<ZeroHash>::start("z", &key(1), group, &mut rng(2)).unwrap();
    assert_eq!(
        generic::SrpServer::<ZeroHash>::start(&record, &hello, &mut rng(3)).unwrap_err(),
        Error::InvalidPeerValue("SRP scrambling parameter u is zero")
    );
    // A valid challenge from a SHA-256 server, processed by the zero-hash client.
    let (_, challenge) = SrpServer::start(&record, &hello, &mut rng(3)).unwrap();
    assert_eq!(
        client.process_challenge(&challenge).unwrap_err(),
        Error::InvalidPeerValue("SRP scrambling parameter u is zero")
    );
    assert!(generic::compute_u::<ZeroHash>(group, hello.a_pub(), challenge.b_pub()).is_err());
}

// ---------------------------------------------------------------------------
// Decoders

#[test]
fn public_values_out_of_range_or_wrong_length_are_rejected() {
    for group in [SrpGroup::Rfc5054_3072, SrpGroup::Rfc5054_4096] {
        let n_len = group.modulus_len();
        let bad: Vec<(Vec<u8>, &str)> = vec![
            (vec![0; n_len], "zero"),
            (n_plus(group, 0), "N"),
            (vec![0xFF; n_len], "2^bits - 1"),
            (vec![1; n_len - 1], "short"),
            (vec![1; n_len + 1], "long"),
            (vec![], "empty"),
        ];
        for (v, what) in &bad {
            assert!(
                ClientHello::new(group, "a".into(), v.clone()).is_err(),
                "A {what}"
            );
            assert!(
                ServerChallenge::new(group, [0; 16], v.clone()).is_err(),
                "B {what}"
            );
            assert!(
                SrpRegistration::new(group, [0; 16], v.clone()).is_err(),
                "v {what}"
            );
        }
        // N - 1 and 1 are in range.
        assert!(ClientHello::new(group, "a".into(), n_plus(group, -1)).is_ok());
        assert!(ServerChallenge::new(group, [0; 16], pad(&[1], n_len)).is_ok());
    }
    // A mod N == 0 specifically is an invalid peer value, not just malformed.
    assert!(matches!(
        ClientHello::new(SrpGroup::default(), "a".into(), vec![0; 384]).unwrap_err(),
        Error::InvalidPeerValue(_)
    ));
    assert!(ClientHello::new(SrpGroup::default(), String::new(), pad(&[2], 384)).is_err());
    assert!(ClientHello::new(SrpGroup::default(), "x".repeat(257), pad(&[2], 384)).is_err());
    assert!(ClientProof::new(vec![0; 31]).is_err());
    assert!(ServerProof::new(vec![0; 33]).is_err());
}

#[test]
fn json_shapes_versions_and_unknown_fields() {
    let k = key(1);
    let record = register("alice", &k, SrpGroup::default(), 1);
    let (client, hello) = SrpClient::start("alice", &k, record.group(), &mut rng(2)).unwrap();
    let (server, challenge) = SrpServer::start(&record, &hello, &mut rng(3)).unwrap();
    let state = server.to_json();
    let (_, proof) = client.process_challenge(&challenge).unwrap();
    let (m2, _) = ServerAwaitingClientProof::from_json(state.expose_secret())
        .unwrap()
        .finish(&proof)
        .unwrap();

    let b64len = |n: usize| (n * 4).div_ceil(3);
    let check = |json: &str, keys: &[&str], lens: &[(&str, usize)]| {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let obj = v.as_object().unwrap();
        let mut got: Vec<&str> = obj.keys().map(String::as_str).collect();
        got.sort_unstable();
        let mut want = keys.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "{json}");
        assert_eq!(obj["v"], 1);
        for (field, n) in lens {
            assert_eq!(obj[*field].as_str().unwrap().len(), b64len(*n), "{field}");
        }
    };
    check(
        &record.to_json(),
        &["v", "group", "salt", "verifier"],
        &[("salt", 16), ("verifier", 384)],
    );
    check(
        &hello.to_json(),
        &["v", "group", "identifier", "a_pub"],
        &[("a_pub", 384)],
    );
    check(
        &challenge.to_json(),
        &["v", "group", "salt", "b_pub"],
        &[("salt", 16), ("b_pub", 384)],
    );
    check(&proof.to_json(), &["v", "m1"], &[("m1", 32)]);
    check(&m2.to_json(), &["v", "m2"], &[("m2", 32)]);
    check(
        state.expose_secret(),
        &[
            "v",
            "group",
            "identifier",
            "salt",
            "verifier",
            "a_pub",
            "b_pub",
            "b",
        ],
        &[
            ("salt", 16),
            ("verifier", 384),
            ("a_pub", 384),
            ("b_pub", 384),
            ("b", 48),
        ],
    );
    assert!(hello.to_json().contains("\"group\":\"rfc5054-3072\""));

    // Version 2 is unsupported, an unknown field is malformed, for every type.
    let bump = |json: &str| json.replacen("\"v\":1", "\"v\":2", 1);
    let extra = |json: &str| json.replacen('{', "{\"x\":0,", 1);
    let unsupported =
        |r: Result<(), Error>| matches!(r, Err(Error::UnsupportedVersion { version: 2, .. }));
    let malformed = |r: Result<(), Error>| matches!(r, Err(Error::Malformed { .. }));
    macro_rules! both {
        ($ty:ty, $json:expr) => {{
            let j: String = $json;
            assert!(<$ty>::from_json(&j).is_ok());
            assert!(
                unsupported(<$ty>::from_json(&bump(&j)).map(|_| ())),
                "{}",
                stringify!($ty)
            );
            assert!(
                malformed(<$ty>::from_json(&extra(&j)).map(|_| ())),
                "{}",
                stringify!($ty)
            );
        }};
        ($ty:ty, $json:expr, serde) => {{
            both!($ty, $json);
            // serde inside a larger document validates too.
            let j: String = $json;
            let ok = format!("{{\"inner\":{}}}", j);
            assert!(serde_json::from_str::<std::collections::HashMap<String, $ty>>(&ok).is_ok());
            let wrapped = format!("{{\"inner\":{}}}", bump(&j));
            assert!(
                serde_json::from_str::<std::collections::HashMap<String, $ty>>(&wrapped).is_err()
            );
        }};
    }
    both!(SrpRegistration, record.to_json(), serde);
    both!(ClientHello, hello.to_json(), serde);
    both!(ServerChallenge, challenge.to_json(), serde);
    both!(ClientProof, proof.to_json(), serde);
    both!(ServerProof, m2.to_json(), serde);
    both!(ServerAwaitingClientProof, state.expose_secret().to_owned());
    both!(
        PreloginResponse,
        PreloginResponse::for_srp_account(
            vault_core::KdfConfig {
                params: KdfParams::DEFAULT,
                salt: vault_core::KdfSalt([3; 16])
            },
            &record,
        )
        .to_json()
    );
    // An unknown group name.
    assert!(
        ClientHello::from_json(&hello.to_json().replace("rfc5054-3072", "rfc5054-2048")).is_err()
    );
    // Padded base64 is not accepted.
    assert!(ClientProof::from_json(&proof.to_json().replace("\"}", "=\"}")).is_err());
}

#[test]
fn decoders_survive_mutations() {
    // A cheap deterministic fuzz pass (the real fuzzing lives in fuzz/).
    let k = key(1);
    let record = register("alice", &k, SrpGroup::default(), 1);
    let (client, hello) = SrpClient::start("alice", &k, record.group(), &mut rng(2)).unwrap();
    let (server, challenge) = SrpServer::start(&record, &hello, &mut rng(3)).unwrap();
    let (_, proof) = client.process_challenge(&challenge).unwrap();
    let seeds = [
        record.to_json(),
        hello.to_json(),
        challenge.to_json(),
        proof.to_json(),
        server.to_json().expose_secret().to_owned(),
    ];
    let mut r = rng(77);
    for seed in &seeds {
        for _ in 0..300 {
            let mut bytes = seed.clone().into_bytes();
            for _ in 0..1 + (rand_core::Rng::next_u32(&mut r) % 4) {
                if bytes.is_empty() {
                    break;
                }
                let i = rand_core::Rng::next_u32(&mut r) as usize % bytes.len();
                match rand_core::Rng::next_u32(&mut r) % 3 {
                    0 => bytes[i] = rand_core::Rng::next_u32(&mut r) as u8,
                    1 => {
                        bytes.remove(i);
                    }
                    _ => bytes.truncate(i),
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = SrpRegistration::from_json(&text);
            let _ = ClientHello::from_json(&text);
            let _ = ServerChallenge::from_json(&text);
            let _ = ClientProof::from_json(&text);
            let _ = ServerProof::from_json(&text);
            let _ = ServerAwaitingClientProof::from_json(&text);
            let _ = PreloginResponse::from_json(&text);
        }
    }
}

#[test]
fn secrets_are_redacted_in_debug() {
    let k = key(1);
    let record = register("alice", &k, SrpGroup::default(), 1);
    let (client, hello) = SrpClient::start("alice", &k, record.group(), &mut rng(2)).unwrap();
    let (server, challenge) = SrpServer::start(&record, &hello, &mut rng(3)).unwrap();
    let state: serde_json::Value = serde_json::from_str(server.to_json().expose_secret()).unwrap();
    let b = state["b"].as_str().unwrap().to_owned();
    let verifier = state["verifier"].as_str().unwrap().to_owned();
    let dbg = format!("{server:?} {client:?} {record:?} {:?}", server.to_json());
    assert!(!dbg.contains(&b) && !dbg.contains(&verifier), "{dbg}");
    let (client, _) = client.process_challenge(&challenge).unwrap();
    assert_eq!(
        format!("{client:?}"),
        "ClientAwaitingServerProof(<redacted>)"
    );
}

// ---------------------------------------------------------------------------
// Pre-login and fake records

fn prelogin_server(secret: u8, group: SrpGroup) -> PreloginServer {
    PreloginServer::new(key(secret), KdfParams::DEFAULT, group)
}

#[test]
fn fake_prelogin_looks_real() {
    let server = prelogin_server(42, SrpGroup::default());
    let mut r = rng(5);
    // A real account registered with the defaults.
    let (_, creds) =
        UnlockedAccount::create("pw", None, KdfParams::INSECURE_TEST_ONLY, &mut r).unwrap();
    let kdf_cfg = vault_core::KdfConfig {
        params: KdfParams::DEFAULT,
        ..creds.encrypted.kdf
    };
    let record = SrpClient::register(
        "real@example.com",
        &creds.auth_key,
        SrpGroup::default(),
        &mut r,
    )
    .unwrap();
    let real = server
        .respond("real@example.com", Some((&kdf_cfg, &record)))
        .unwrap();
    let fake = server.respond("ghost@example.com", None).unwrap();

    // Same shape: same keys, same lengths, same params and group.
    let shape = |resp: &PreloginResponse| {
        let v: serde_json::Value = serde_json::from_str(&resp.to_json()).unwrap();
        let mut keys = vec![];
        fn walk(v: &serde_json::Value, path: String, out: &mut Vec<(String, String)>) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, v) in m {
                        walk(v, format!("{path}.{k}"), out);
                    }
                }
                serde_json::Value::String(s) => out.push((path, format!("str{}", s.len()))),
                other => out.push((path, format!("{other}"))),
            }
        }
        walk(&v, String::new(), &mut keys);
        keys.sort();
        keys
    };
    assert_eq!(shape(&real), shape(&fake));
    assert_eq!(
        PreloginResponse::from_json(&fake.to_json()).unwrap(),
        fake,
        "fake round-trips like a real answer"
    );

    // Deterministic per identifier, different across identifiers and secrets.
    assert_eq!(fake, server.respond("ghost@example.com", None).unwrap());
    let other = server.respond("ghost2@example.com", None).unwrap();
    assert_ne!(fake.kdf().salt, other.kdf().salt);
    assert_ne!(fake.srp().unwrap().salt(), other.srp().unwrap().salt());
    let other_secret = prelogin_server(43, SrpGroup::default())
        .respond("ghost@example.com", None)
        .unwrap();
    assert_ne!(fake.kdf().salt, other_secret.kdf().salt);
    // KDF salt and SRP salt are independent.
    assert_ne!(&fake.kdf().salt.0, fake.srp().unwrap().salt());
    // The fake record is deterministic, well formed, and carries the fake salt.
    let fr = server.fake_srp_record("ghost@example.com").unwrap();
    assert_eq!(fr, server.fake_srp_record("ghost@example.com").unwrap());
    assert_ne!(
        fr.verifier(),
        server
            .fake_srp_record("ghost2@example.com")
            .unwrap()
            .verifier()
    );
    assert_eq!(fr.salt(), fake.srp().unwrap().salt());
    assert_eq!(SrpRegistration::from_json(&fr.to_json()).unwrap(), fr);
    // The client's policy check applies to fake answers as to real ones.
    assert!(fake.checked_kdf(&KdfPolicy::default()).is_ok());
}

#[test]
fn fake_login_is_indistinguishable_from_a_wrong_password() {
    for group in [SrpGroup::Rfc5054_3072, SrpGroup::Rfc5054_4096] {
        let server = prelogin_server(42, group);
        let real_key = key(1);
        let record = register("real@example.com", &real_key, group, 1);

        let attempt = |id: &str, record: Option<&SrpRegistration>, seed: u64| {
            let pre = match record {
                Some(r) => PreloginResponse::for_srp_account(
                    vault_core::KdfConfig {
                        params: KdfParams::DEFAULT,
                        salt: vault_core::KdfSalt([1; 16]),
                    },
                    r,
                ),
                None => server.respond(id, None).unwrap(),
            };
            let srp = pre.srp().unwrap();
            let (client, hello) =
                SrpClient::start(id, &key(99), srp.group(), &mut rng(seed)).unwrap();
            let (state, challenge) = server
                .srp_start(record, &hello, &mut rng(seed + 1))
                .unwrap();
            assert_eq!(
                challenge.salt(),
                srp.salt(),
                "challenge salt = pre-login salt"
            );
            assert_eq!(challenge.b_pub().len(), group.modulus_len());
            let state_json = state.to_json();
            let (_, proof) = client.process_challenge(&challenge).unwrap();
            let err = ServerAwaitingClientProof::from_json(state_json.expose_secret())
                .unwrap()
                .finish(&proof)
                .unwrap_err();
            (
                challenge.to_json().len(),
                state_json.expose_secret().len() - id.len(),
                err,
            )
        };
        let wrong_password = attempt("real@example.com", Some(&record), 10);
        let unknown = attempt("ghost@example.com", None, 10);
        assert_eq!(wrong_password.2, Error::AuthenticationFailed);
        assert_eq!(unknown.2, Error::AuthenticationFailed);
        assert_eq!(wrong_password.0, unknown.0);
        assert_eq!(wrong_password.1, unknown.1);

        // And the real account still logs in through the same entry point.
        let (client, hello) =
            SrpClient::start("real@example.com", &real_key, group, &mut rng(20)).unwrap();
        let (state, challenge) = server
            .srp_start(Some(&record), &hello, &mut rng(21))
            .unwrap();
        let (client, proof) = client.process_challenge(&challenge).unwrap();
        let (m2, sk) = state.finish(&proof).unwrap();
        assert_eq!(client.verify_server(&m2).unwrap(), sk);
    }
}

#[test]
fn prelogin_request_round_trip() {
    use vault_core::prelogin::PreloginRequest;
    let r = PreloginRequest::new("alice@example.com".into()).unwrap();
    assert_eq!(r.to_json(), r#"{"v":1,"identifier":"alice@example.com"}"#);
    assert_eq!(PreloginRequest::from_json(&r.to_json()).unwrap(), r);
    assert!(PreloginRequest::from_json(r#"{"v":1,"identifier":""}"#).is_err());
    assert!(matches!(
        PreloginRequest::from_json(r#"{"v":9,"identifier":"a"}"#),
        Err(Error::UnsupportedVersion { version: 9, .. })
    ));
}

/// An RNG that hands out fixed bytes first, then ChaCha20.
struct Leading(Vec<u8>, ChaCha20Rng);

impl TryRng for Leading {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.1.try_next_u32()
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.1.try_next_u64()
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for d in dst.iter_mut() {
            *d = if self.0.is_empty() {
                let mut b = [0u8; 1];
                self.1.try_fill_bytes(&mut b)?;
                b[0]
            } else {
                self.0.remove(0)
            };
        }
        Ok(())
    }
}
impl TryCryptoRng for Leading {}

/// Salts never start with a zero byte: clients that pass the salt through a
/// big integer (OpenSSL-backed ones) would drop it and compute another `x`,
/// about 1 account in 256. Real salts redraw the byte; fakes follow the
/// same distribution (first byte uniform over 1..=255).
#[test]
fn srp_salts_never_start_with_zero() {
    // The RNG draws 0 for the salt's first byte, and 0 again for the
    // first redraw: the salt still starts non-zero, the rest untouched.
    let mut r = Leading(
        vec![0, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 9],
        rng(1),
    );
    let reg = SrpClient::register("z@example.com", &key(1), SrpGroup::default(), &mut r).unwrap();
    assert_eq!(reg.salt()[0], 9);
    assert_eq!(&reg.salt()[1..], &[7u8; 15]);
    // Ordinary salts are unchanged by the rule (vectors stay valid).
    let mut r = Leading(vec![5; 16], rng(1));
    let reg = SrpClient::register("z@example.com", &key(1), SrpGroup::default(), &mut r).unwrap();
    assert_eq!(reg.salt(), &[5u8; 16]);
    // Fakes: no zero first byte over many identifiers, and every other
    // value turns up (a uniform 1..=255 draw, like the real ones).
    let server = PreloginServer::new(key(9), KdfParams::INSECURE_TEST_ONLY, SrpGroup::default());
    let mut seen = [0usize; 256];
    for i in 0..20_000 {
        let pre = server
            .fake_response(&format!("user{i}@example.com"))
            .unwrap();
        let salt = pre.srp().unwrap().salt();
        seen[usize::from(salt[0])] += 1;
        let rec = server
            .fake_srp_record(&format!("user{i}@example.com"))
            .unwrap();
        assert_eq!(rec.salt(), salt, "the fake record and pre-login agree");
    }
    assert_eq!(seen[0], 0, "a fake salt started with a zero byte");
    assert!(
        seen[1..].iter().all(|&n| n > 30),
        "first bytes not spread over 1..=255"
    );
}

/// Fakes drawn from the deployment's mix of account kinds: a 4096-bit SRP
/// account or an OPAQUE one does not stand out, the draw is stable per
/// identifier, and an unknown identifier's SRP record is in the group its
/// pre-login answer names (so a hello in that group works, as for a real
/// account).
#[test]
fn fakes_follow_the_mix_of_account_kinds() {
    use vault_core::prelogin::FakeProfile;
    let strong = KdfParams {
        memory_kib: 128 * 1024,
        iterations: 3,
        parallelism: 4,
    };
    let mix = [
        FakeProfile {
            srp_group: Some(SrpGroup::Rfc5054_3072),
            kdf_params: KdfParams::DEFAULT,
            weight: 6,
        },
        FakeProfile {
            srp_group: Some(SrpGroup::Rfc5054_4096),
            kdf_params: strong,
            weight: 3,
        },
        FakeProfile {
            srp_group: None,
            kdf_params: KdfParams::DEFAULT,
            weight: 1,
        },
    ];
    let server =
        PreloginServer::new(key(9), KdfParams::DEFAULT, SrpGroup::default()).with_mix(&mix);
    let (mut g3072, mut g4096, mut opaque) = (0, 0, 0);
    for i in 0..3000 {
        let id = format!("someone{i}@example.com");
        let pre = server.fake_response(&id).unwrap();
        assert_eq!(
            pre,
            server.fake_response(&id).unwrap(),
            "stable per identifier"
        );
        match pre.srp().map(|s| s.group()) {
            Some(SrpGroup::Rfc5054_3072) => {
                g3072 += 1;
                assert_eq!(pre.kdf().params, KdfParams::DEFAULT);
            }
            Some(SrpGroup::Rfc5054_4096) => {
                g4096 += 1;
                assert_eq!(pre.kdf().params, strong);
                assert_eq!(
                    server.fake_srp_record(&id).unwrap().group(),
                    SrpGroup::Rfc5054_4096
                );
            }
            None => opaque += 1,
            Some(_) => unreachable!(),
        }
    }
    // Roughly 60/30/10 (binomial, n = 3000: well within ±5 points).
    assert!((1650..=1950).contains(&g3072), "{g3072}");
    assert!((750..=1050).contains(&g4096), "{g4096}");
    assert!((200..=400).contains(&opaque), "{opaque}");
    // No mix: the fakes are exactly what they were (the vectors' fakes).
    let plain = PreloginServer::new(key(9), KdfParams::DEFAULT, SrpGroup::default());
    let one = PreloginServer::new(key(9), KdfParams::DEFAULT, SrpGroup::default()).with_mix(&[
        FakeProfile {
            srp_group: Some(SrpGroup::default()),
            kdf_params: KdfParams::DEFAULT,
            weight: 1,
        },
    ]);
    assert_eq!(
        plain.fake_response("x@example.com").unwrap(),
        one.fake_response("x@example.com").unwrap()
    );
}
