//! OPAQUE (RFC 9807): in-memory client/server pairs, tampering, replay, fake
//! records, password change, encodings, and the RFC 9807 Appendix C vectors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::missing_test_data;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::collections::VecDeque;
use vault_core::opaque::*;
use vault_core::{Error, SecretBytes, SymmetricKey};

const ALICE: &str = "alice@example.com";

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

fn key(b: u8) -> SymmetricKey {
    SymmetricKey::from_bytes([b; 32])
}

fn register(
    setup: &ServerSetup,
    id: &str,
    k: &SymmetricKey,
    rng: &mut ChaCha20Rng,
) -> ClientRegistrationResult {
    let (client, req) = ClientRegistration::start(id, k, rng).unwrap();
    let resp = setup.registration_response(id, &req).unwrap();
    client.finish(&resp, rng).unwrap()
}

/// A full login; returns (client session key, export key) on success.
fn login(
    setup: &ServerSetup,
    id: &str,
    record: Option<&RegistrationRecord>,
    k: &SymmetricKey,
    rng: &mut ChaCha20Rng,
) -> Result<(SecretBytes, SecretBytes), Error> {
    let (client, ke1) = ClientLogin::start(id, k, rng)?;
    let (server, ke2) = ServerLogin::start(setup, id, record, &ke1, rng)?;
    let done = client.finish(&ke2, rng)?;
    let server_key = server.finish(&done.ke3)?;
    assert_eq!(done.session_key, server_key);
    Ok((done.session_key, done.export_key))
}

#[test]
fn register_and_login() {
    let mut r = rng(1);
    let setup = ServerSetup::generate(&mut r);
    let reg = register(&setup, ALICE, &key(1), &mut r);
    let (sk, export) = login(&setup, ALICE, Some(&reg.record), &key(1), &mut r).unwrap();
    assert_eq!(sk.len(), 64);
    assert_eq!(export, reg.export_key, "export key is stable across login");
    assert_eq!(reg.server_public_key, setup.public_key());
    let (client, ke1) = ClientLogin::start(ALICE, &key(1), &mut r).unwrap();
    let (_, ke2) = ServerLogin::start(&setup, ALICE, Some(&reg.record), &ke1, &mut r).unwrap();
    assert_eq!(
        client.finish(&ke2, &mut r).unwrap().server_public_key,
        setup.public_key()
    );
    // Each login gets a fresh session key.
    let (sk2, _) = login(&setup, ALICE, Some(&reg.record), &key(1), &mut r).unwrap();
    assert_ne!(sk, sk2);
}

#[test]
fn os_rng_works_too() {
    let mut r = vault_core::rng::os_rng();
    let setup = ServerSetup::generate(&mut r);
    let (c, req) = ClientRegistration::start(ALICE, &key(3), &mut r).unwrap();
    let rec = c
        .finish(&setup.registration_response(ALICE, &req).unwrap(), &mut r)
        .unwrap()
        .record;
    let (c, ke1) = ClientLogin::start(ALICE, &key(3), &mut r).unwrap();
    let (s, ke2) = ServerLogin::start(&setup, ALICE, Some(&rec), &ke1, &mut r).unwrap();
    let done = c.finish(&ke2, &mut r).unwrap();
    assert_eq!(s.finish(&done.ke3).unwrap(), done.session_key);
}

#[test]
fn wrong_password_fails_cleanly() {
    let mut r = rng(2);
    let setup = ServerSetup::generate(&mut r);
    let reg = register(&setup, ALICE, &key(1), &mut r);
    let (client, ke1) = ClientLogin::start(ALICE, &key(2), &mut r).unwrap();
    let (server, ke2) = ServerLogin::start(&setup, ALICE, Some(&reg.record), &ke1, &mut r).unwrap();
    assert_eq!(
        client.finish(&ke2, &mut r).unwrap_err(),
        Error::AuthenticationFailed
    );
    // A client that cannot open the envelope has no valid KE3 to send; any
    // KE3 it makes up is rejected.
    let forged = Ke3::from_bytes(&[0x42; 64]).unwrap();
    assert_eq!(
        server.finish(&forged).unwrap_err(),
        Error::AuthenticationFailed
    );
}

#[test]
fn identifier_is_bound() {
    let mut r = rng(3);
    let setup = ServerSetup::generate(&mut r);
    let reg = register(&setup, ALICE, &key(1), &mut r);
    // Alice's record served under another name: another OPRF key and identity.
    assert_eq!(
        login(
            &setup,
            "bob@example.com",
            Some(&reg.record),
            &key(1),
            &mut r
        )
        .unwrap_err(),
        Error::AuthenticationFailed
    );
    // Client and server disagree on the identifier.
    let (client, ke1) = ClientLogin::start("ALICE@example.com", &key(1), &mut r).unwrap();
    let (_, ke2) = ServerLogin::start(&setup, ALICE, Some(&reg.record), &ke1, &mut r).unwrap();
    assert_eq!(
        client.finish(&ke2, &mut r).unwrap_err(),
        Error::AuthenticationFailed
    );
    // A different server setup cannot use the record.
    let other = ServerSetup::generate(&mut r);
    assert_eq!(
        login(&other, ALICE, Some(&reg.record), &key(1), &mut r).unwrap_err(),
        Error::AuthenticationFailed
    );
}

#[test]
fn identifier_limits() {
    let mut r = rng(4);
    let setup = ServerSetup::generate(&mut r);
    assert!(matches!(
        ClientLogin::start("", &key(1), &mut r),
        Err(Error::InvalidArgument(_))
    ));
    let long = "x".repeat(MAX_IDENTIFIER_LEN + 1);
    assert!(matches!(
        ClientRegistration::start(&long, &key(1), &mut r),
        Err(Error::InvalidArgument(_))
    ));
    let (_, req) = ClientRegistration::start(ALICE, &key(1), &mut r).unwrap();
    assert!(matches!(
        setup.registration_response(&long, &req),
        Err(Error::InvalidArgument(_))
    ));
    let max = "y".repeat(MAX_IDENTIFIER_LEN);
    let reg = register(&setup, &max, &key(1), &mut r);
    login(&setup, &max, Some(&reg.record), &key(1), &mut r).unwrap();
}

/// Flips one bit of byte `i` (a different bit for different bytes).
fn flip(bytes: &[u8], i: usize) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[i] ^= 1 << (i % 8);
    b
}

fn is_clean_failure(e: &Error) -> bool {
    matches!(
        e,
        Error::AuthenticationFailed | Error::Malformed { .. } | Error::InvalidPeerValue(_)
    )
}

#[test]
fn tampered_login_messages_fail_cleanly() {
    let mut r = rng(5);
    let setup = ServerSetup::generate(&mut r);
    let reg = register(&setup, ALICE, &key(1), &mut r);

    // KE1: either undecodable, or the client rejects the KE2 built on it.
    let mut exercised = 0;
    for i in 0..96 {
        let mut r2 = rng(50);
        let (client, ke1) = ClientLogin::start(ALICE, &key(1), &mut r2).unwrap();
        let bad = match Ke1::from_bytes(&flip(&ke1.to_bytes(), i)) {
            Ok(m) => m,
            Err(e) => {
                assert!(matches!(e, Error::Malformed { .. }), "{e:?}");
                continue;
            }
        };
        let result = ServerLogin::start(&setup, ALICE, Some(&reg.record), &bad, &mut r2)
            .and_then(|(_, ke2)| client.finish(&ke2, &mut r2));
        let e = result.expect_err("tampered KE1 must not log in");
        assert!(is_clean_failure(&e), "byte {i}: {e:?}");
        exercised += 1;
    }
    assert!(
        exercised >= 32,
        "the nonce bytes at least decode: {exercised}"
    );

    // KE2 and KE3 of one session, tampered byte by byte.
    let (client, ke1) = ClientLogin::start(ALICE, &key(1), &mut r).unwrap();
    let (server, ke2) = ServerLogin::start(&setup, ALICE, Some(&reg.record), &ke1, &mut r).unwrap();
    let state = server.to_json();
    // The client state is single use, so each case restarts from one seed.
    let mut exercised = 0;
    for i in 0..320 {
        let mut r2 = rng(51);
        let (client, ke1) = ClientLogin::start(ALICE, &key(1), &mut r2).unwrap();
        let (_, ke2) = ServerLogin::start(&setup, ALICE, Some(&reg.record), &ke1, &mut r2).unwrap();
        match Ke2::from_bytes(&flip(&ke2.to_bytes(), i)) {
            Ok(bad) => {
                let e = client.finish(&bad, &mut r2).unwrap_err();
                assert!(is_clean_failure(&e), "byte {i}: {e:?}");
                exercised += 1;
            }
            Err(e) => assert!(matches!(e, Error::Malformed { .. }), "{e:?}"),
        }
    }
    assert!(exercised >= 256, "{exercised}");
    let done = client.finish(&ke2, &mut r).unwrap();
    let ke3_raw = done.ke3.to_bytes();
    for i in 0..ke3_raw.len() {
        let server = ServerLogin::from_json(state.expose_secret()).unwrap();
        let bad = Ke3::from_bytes(&flip(&ke3_raw, i)).unwrap();
        assert_eq!(
            server.finish(&bad).unwrap_err(),
            Error::AuthenticationFailed,
            "byte {i}"
        );
    }
    // The untampered KE3 still works against the persisted state.
    let server = ServerLogin::from_json(state.expose_secret()).unwrap();
    assert_eq!(server.finish(&done.ke3).unwrap(), done.session_key);
}

#[test]
fn tampered_registration_never_yields_a_working_record() {
    let mut r = rng(6);
    let setup = ServerSetup::generate(&mut r);

    // Registration request.
    let (_, req) = ClientRegistration::start(ALICE, &key(1), &mut rng(60)).unwrap();
    let mut exercised = 0;
    for i in 0..req.to_bytes().len() {
        let mut r2 = rng(60);
        let (client, req) = ClientRegistration::start(ALICE, &key(1), &mut r2).unwrap();
        let Ok(bad) = RegistrationRequest::from_bytes(&flip(&req.to_bytes(), i)) else {
            continue;
        };
        let resp = setup.registration_response(ALICE, &bad).unwrap();
        let Ok(reg) = client.finish(&resp, &mut r2) else {
            continue;
        };
        let e = login(&setup, ALICE, Some(&reg.record), &key(1), &mut r2).unwrap_err();
        assert_eq!(e, Error::AuthenticationFailed, "byte {i}");
        exercised += 1;
    }
    assert!(exercised > 0);

    // Registration response.
    let mut exercised = 0;
    for i in 0..64 {
        let mut r2 = rng(61);
        let (client, req) = ClientRegistration::start(ALICE, &key(1), &mut r2).unwrap();
        let resp = setup.registration_response(ALICE, &req).unwrap();
        let Ok(bad) = RegistrationResponse::from_bytes(&flip(&resp.to_bytes(), i)) else {
            continue;
        };
        let reg = match client.finish(&bad, &mut r2) {
            Ok(reg) => reg,
            Err(e) => {
                assert!(is_clean_failure(&e), "{e:?}");
                continue;
            }
        };
        let e = login(&setup, ALICE, Some(&reg.record), &key(1), &mut r2).unwrap_err();
        assert_eq!(e, Error::AuthenticationFailed, "byte {i}");
        exercised += 1;
    }
    assert!(exercised > 0);

    // The stored record.
    let mut exercised = 0;
    let reg = register(&setup, ALICE, &key(1), &mut r);
    let raw = reg.record.to_bytes();
    for i in 0..raw.len() {
        match RegistrationRecord::from_bytes(&flip(&raw, i)) {
            Ok(bad) => {
                let e = login(&setup, ALICE, Some(&bad), &key(1), &mut r).unwrap_err();
                assert_eq!(e, Error::AuthenticationFailed, "byte {i}");
                exercised += 1;
            }
            Err(e) => assert!(matches!(e, Error::Malformed { .. })),
        }
    }
    assert!(exercised >= 160, "{exercised}");
    login(&setup, ALICE, Some(&reg.record), &key(1), &mut r).unwrap();
}

#[test]
fn replayed_messages_fail() {
    let mut r = rng(7);
    let setup = ServerSetup::generate(&mut r);
    let reg = register(&setup, ALICE, &key(1), &mut r);

    // Session A completes; its KE3 is replayed against session B's state.
    let (ca, ke1a) = ClientLogin::start(ALICE, &key(1), &mut r).unwrap();
    let (sa, ke2a) = ServerLogin::start(&setup, ALICE, Some(&reg.record), &ke1a, &mut r).unwrap();
    let done_a = ca.finish(&ke2a, &mut r).unwrap();
    sa.finish(&done_a.ke3).unwrap();

    let (_cb, ke1b) = ClientLogin::start(ALICE, &key(1), &mut r).unwrap();
    let (sb, _) = ServerLogin::start(&setup, ALICE, Some(&reg.record), &ke1b, &mut r).unwrap();
    assert_eq!(
        sb.finish(&done_a.ke3).unwrap_err(),
        Error::AuthenticationFailed
    );

    // KE1 replayed: the server answers with fresh randomness, so the old KE3
    // does not fit the new state either.
    let (sa2, ke2a2) = ServerLogin::start(&setup, ALICE, Some(&reg.record), &ke1a, &mut r).unwrap();
    assert_ne!(ke2a, ke2a2);
    assert_eq!(
        sa2.finish(&done_a.ke3).unwrap_err(),
        Error::AuthenticationFailed
    );

    // KE2 of session A replayed to a new client session.
    let (cc, _) = ClientLogin::start(ALICE, &key(1), &mut r).unwrap();
    assert_eq!(
        cc.finish(&ke2a, &mut r).unwrap_err(),
        Error::AuthenticationFailed
    );
    // (A finished state cannot be finished twice: `finish(self)` consumes it;
    // see the compile_fail doctest on `ServerLogin`.)
}

#[test]
fn unknown_user_gets_a_fake_record_indistinguishable_from_a_wrong_password() {
    let mut r = rng(8);
    let setup = ServerSetup::generate(&mut r);
    let reg = register(&setup, ALICE, &key(1), &mut r);

    let (c_real, ke1_real) = ClientLogin::start(ALICE, &key(9), &mut r).unwrap();
    let (_, ke2_real) =
        ServerLogin::start(&setup, ALICE, Some(&reg.record), &ke1_real, &mut r).unwrap();
    let (c_fake, ke1_fake) = ClientLogin::start("nobody@example.com", &key(9), &mut r).unwrap();
    let (s_fake, ke2_fake) =
        ServerLogin::start(&setup, "nobody@example.com", None, &ke1_fake, &mut r).unwrap();

    // Same size and shape on the wire.
    assert_eq!(ke2_real.to_bytes().len(), ke2_fake.to_bytes().len());
    assert_eq!(ke2_real.to_json().len(), ke2_fake.to_json().len());
    assert_eq!(
        s_fake.to_json().expose_secret().len(),
        ServerLogin::start(&setup, ALICE, Some(&reg.record), &ke1_real, &mut r)
            .unwrap()
            .0
            .to_json()
            .expose_secret()
            .len()
    );
    Ke2::from_json(&ke2_fake.to_json()).unwrap();

    // Same error as a wrong password for a real account.
    let e_real = c_real.finish(&ke2_real, &mut r).unwrap_err();
    let e_fake = c_fake.finish(&ke2_fake, &mut r).unwrap_err();
    assert_eq!(e_real, Error::AuthenticationFailed);
    assert_eq!(e_fake, e_real);
    assert_eq!(
        s_fake
            .finish(&Ke3::from_bytes(&[1; 64]).unwrap())
            .unwrap_err(),
        Error::AuthenticationFailed
    );

    // Fresh randomness each time: two fake answers for one name differ.
    let (_, ke1) = ClientLogin::start("nobody@example.com", &key(9), &mut r).unwrap();
    let (_, a) = ServerLogin::start(&setup, "nobody@example.com", None, &ke1, &mut r).unwrap();
    let (_, b) = ServerLogin::start(&setup, "nobody@example.com", None, &ke1, &mut r).unwrap();
    assert_ne!(a, b);
    // The OPRF evaluation (first 32 bytes) is per identifier, as for a real one.
    assert_eq!(a.to_bytes()[..32], b.to_bytes()[..32]);
}

#[test]
fn password_change_replaces_the_record() {
    let mut r = rng(9);
    let setup = ServerSetup::generate(&mut r);
    let old = register(&setup, ALICE, &key(1), &mut r);
    login(&setup, ALICE, Some(&old.record), &key(1), &mut r).unwrap();

    // The server overwrites the stored record with the new one.
    let new = register(&setup, ALICE, &key(2), &mut r);
    let stored = new.record.clone();
    assert_ne!(stored, old.record);

    assert_eq!(
        login(&setup, ALICE, Some(&stored), &key(1), &mut r).unwrap_err(),
        Error::AuthenticationFailed
    );
    let (_, export) = login(&setup, ALICE, Some(&stored), &key(2), &mut r).unwrap();
    assert_eq!(export, new.export_key);
    assert_ne!(new.export_key, old.export_key);
}

#[test]
fn server_setup_round_trips() {
    let mut r = rng(10);
    let setup = ServerSetup::generate(&mut r);
    let reg = register(&setup, ALICE, &key(1), &mut r);

    let json = setup.to_json();
    let restored = ServerSetup::from_json(json.expose_secret()).unwrap();
    assert_eq!(restored.public_key(), setup.public_key());
    assert_eq!(
        restored.to_json().expose_secret(),
        json.expose_secret(),
        "stable encoding"
    );
    assert_eq!(
        ServerSetup::from_bytes(setup.to_bytes().expose_secret())
            .unwrap()
            .public_key(),
        setup.public_key()
    );
    // The restored setup serves records made under the original.
    login(&restored, ALICE, Some(&reg.record), &key(1), &mut r).unwrap();
    // Also through serde, embedded in a server's own config.
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Config {
        opaque: ServerSetup,
    }
    let cfg = serde_json::to_string(&Config { opaque: setup }).unwrap();
    let back: Config = serde_json::from_str(&cfg).unwrap();
    assert_eq!(back.opaque.public_key(), restored.public_key());
    assert_eq!(
        cfg,
        format!("{{\"opaque\":{}}}", json.expose_secret()),
        "serde and to_json agree"
    );
}

#[test]
fn server_login_state_round_trips() {
    let mut r = rng(11);
    let setup = ServerSetup::generate(&mut r);
    let reg = register(&setup, ALICE, &key(1), &mut r);
    let (client, ke1) = ClientLogin::start(ALICE, &key(1), &mut r).unwrap();
    let (server, ke2) = ServerLogin::start(&setup, ALICE, Some(&reg.record), &ke1, &mut r).unwrap();
    // Between the two HTTP requests the state lives in the server's store.
    let stored = server.to_json();
    drop(server);
    // The client's messages travel as JSON too.
    let ke2 = Ke2::from_json(&ke2.to_json()).unwrap();
    let done = client.finish(&ke2, &mut r).unwrap();
    let ke3 = Ke3::from_json(&done.ke3.to_json()).unwrap();
    let server = ServerLogin::from_json(stored.expose_secret()).unwrap();
    assert_eq!(server.finish(&ke3).unwrap(), done.session_key);
    assert_eq!(
        ServerLogin::from_bytes(&[0; 128]).map(|_| ()),
        Ok(()),
        "any 128 bytes are a (useless) state"
    );
}

#[test]
fn secrets_are_redacted() {
    let mut r = rng(12);
    let setup = ServerSetup::generate(&mut r);
    let (creg, req) = ClientRegistration::start(ALICE, &key(1), &mut r).unwrap();
    assert_eq!(format!("{creg:?}"), "ClientRegistration(<redacted>)");
    let reg = creg
        .finish(&setup.registration_response(ALICE, &req).unwrap(), &mut r)
        .unwrap();
    let (client, ke1) = ClientLogin::start(ALICE, &key(1), &mut r).unwrap();
    assert_eq!(format!("{client:?}"), "ClientLogin(<redacted>)");
    let (server, ke2) = ServerLogin::start(&setup, ALICE, Some(&reg.record), &ke1, &mut r).unwrap();
    assert_eq!(format!("{setup:?}"), "ServerSetup(<redacted>)");
    assert_eq!(format!("{server:?}"), "ServerLogin(<redacted>)");
    assert_eq!(
        format!("{:?}", reg.record),
        "RegistrationRecord(<redacted>)"
    );
    let done = client.finish(&ke2, &mut r).unwrap();
    let dbg = format!("{done:?}");
    assert!(dbg.contains("<64 bytes redacted>"), "{dbg}");
    assert!(format!("{reg:?}").contains("<redacted>"));
    // Public messages print their bytes (useful when debugging a server).
    assert!(format!("{ke1:?}").starts_with("Ke1("));
}

#[test]
fn wire_encodings_are_exact_and_strict() {
    let mut r = rng(13);
    let setup = ServerSetup::generate(&mut r);
    let (client, req) = ClientRegistration::start(ALICE, &key(1), &mut r).unwrap();
    let resp = setup.registration_response(ALICE, &req).unwrap();
    let reg = client.finish(&resp, &mut r).unwrap();
    let (client, ke1) = ClientLogin::start(ALICE, &key(1), &mut r).unwrap();
    let (server, ke2) = ServerLogin::start(&setup, ALICE, Some(&reg.record), &ke1, &mut r).unwrap();
    let done = client.finish(&ke2, &mut r).unwrap();

    fn shape(json: &str, field: &str, len: usize) {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let o = v.as_object().unwrap();
        assert_eq!(o.len(), 2, "{json}");
        assert_eq!(o["v"], 1);
        let b = o[field].as_str().unwrap();
        assert_eq!(vault_core::encoding::b64_decode(b, "t").unwrap().len(), len);
        assert!(json.starts_with("{\"v\":1,"), "{json}");
    }
    shape(&req.to_json(), "registration_request", 32);
    shape(&resp.to_json(), "registration_response", 64);
    shape(&reg.record.to_json(), "registration_record", 192);
    shape(&ke1.to_json(), "ke1", 96);
    shape(&ke2.to_json(), "ke2", 320);
    shape(&done.ke3.to_json(), "ke3", 64);
    shape(setup.to_json().expose_secret(), "server_setup", 128);
    shape(server.to_json().expose_secret(), "server_login", 128);

    // Round trips, JSON and raw, and serde agrees with to_json.
    assert_eq!(RegistrationRequest::from_json(&req.to_json()).unwrap(), req);
    assert_eq!(
        RegistrationResponse::from_json(&resp.to_json()).unwrap(),
        resp
    );
    assert_eq!(
        RegistrationRecord::from_json(&reg.record.to_json()).unwrap(),
        reg.record
    );
    assert_eq!(Ke1::from_json(&ke1.to_json()).unwrap(), ke1);
    assert_eq!(Ke2::from_bytes(&ke2.to_bytes()).unwrap(), ke2);
    assert_eq!(Ke3::from_json(&done.ke3.to_json()).unwrap(), done.ke3);
    assert_eq!(serde_json::to_string(&ke2).unwrap(), ke2.to_json());
    assert_eq!(
        serde_json::from_str::<Ke1>(&ke1.to_json()).unwrap(),
        ke1,
        "serde Deserialize"
    );
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Body {
        identifier: String,
        ke1: Ke1,
    }
    let body = serde_json::to_string(&Body {
        identifier: ALICE.into(),
        ke1: ke1.clone(),
    })
    .unwrap();
    assert_eq!(serde_json::from_str::<Body>(&body).unwrap().ke1, ke1);

    let ke3 = done.ke3.to_json();
    let b64 = &ke3["{\"v\":1,\"ke3\":\"".len()..ke3.len() - 2];
    let malformed = |r: Result<Ke3, Error>| matches!(r, Err(Error::Malformed { .. }));
    // Member order does not matter.
    assert_eq!(
        Ke3::from_json(&format!("{{\"ke3\":\"{b64}\",\"v\":1}}")).unwrap(),
        done.ke3
    );
    // Another version is reported as such, even with other members.
    assert_eq!(
        Ke3::from_json(&format!("{{\"v\":2,\"mac\":\"{b64}\"}}")).unwrap_err(),
        Error::UnsupportedVersion {
            what: "OPAQUE KE3",
            version: 2
        }
    );
    for bad in [
        String::new(),
        "null".into(),
        "[]".into(),
        "{}".into(),
        format!("{{\"ke3\":\"{b64}\"}}"),
        "{\"v\":1}".into(),
        format!("{{\"v\":1,\"ke3\":\"{b64}\",\"x\":0}}"),
        format!("{{\"v\":1,\"ke3\":\"{b64}\",\"v\":1}}"),
        format!("{{\"v\":1,\"ke3\":\"{b64}\",\"ke3\":\"{b64}\"}}"),
        format!("{{\"v\":256,\"ke3\":\"{b64}\"}}"),
        format!("{{\"v\":-1,\"ke3\":\"{b64}\"}}"),
        format!("{{\"v\":\"1\",\"ke3\":\"{b64}\"}}"),
        format!("{{\"v\":1,\"ke3\":\"{b64}==\"}}"),
        format!("{{\"v\":1,\"ke3\":\"{b64}AA\"}}"),
        format!("{{\"v\":1,\"ke3\":\"{}\"}}", &b64[4..]),
        format!("{{\"v\":1,\"ke3\":\"{}\"}}", b64.replace('A', "+")),
        "{\"v\":1,\"ke3\":5}".into(),
        format!("{{\"v\":1,\"ke3\":\"{b64}\"}} trailing"),
        format!("{{\"v\":1,\"ke3\":\"{b64}\""),
    ] {
        let res = Ke3::from_json(&bad);
        assert!(malformed(res.clone()), "{bad:?} gave {res:?}");
        assert!(serde_json::from_str::<Ke3>(&bad).is_err(), "{bad:?}");
    }
    // A message of one type is never accepted as another, even at equal length.
    assert!(RegistrationResponse::from_json(&done.ke3.to_json()).is_err());
    assert!(ServerLogin::from_json(setup.to_json().expose_secret()).is_err());
    // Invalid group elements and wrong lengths.
    assert!(matches!(
        RegistrationRequest::from_bytes(&[0xff; 32]),
        Err(Error::Malformed { .. })
    ));
    assert!(matches!(
        RegistrationRequest::from_bytes(&[0; 32]),
        Err(Error::Malformed { .. })
    ));
    assert!(Ke1::from_bytes(&ke1.to_bytes()[..95]).is_err());
    assert!(ServerSetup::from_bytes(&[0xff; 128]).is_err());
    // Layout: OPRF seed (64) || private key (32) || fake-record public key
    // (32). This one is the fixed setup of the fuzz targets.
    let mut fixed = vec![7u8; 64];
    fixed.extend_from_slice(&[1; 32]);
    fixed.extend(
        hex::decode("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76").unwrap(),
    );
    let fixed = ServerSetup::from_bytes(&fixed).unwrap();
    assert_eq!(&fixed.to_bytes().expose_secret()[..64], &[7; 64]);
    assert!(ServerLogin::from_bytes(&[3; 128]).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), text in ".{0,200}") {
        let _ = RegistrationRequest::from_bytes(&bytes);
        let _ = RegistrationResponse::from_bytes(&bytes);
        let _ = RegistrationRecord::from_bytes(&bytes);
        let _ = Ke1::from_bytes(&bytes);
        let _ = Ke2::from_bytes(&bytes);
        let _ = Ke3::from_bytes(&bytes);
        let _ = ServerSetup::from_bytes(&bytes);
        let _ = ServerLogin::from_bytes(&bytes);
        let _ = Ke1::from_json(&text);
        let _ = ServerSetup::from_json(&text);
        let b64 = vault_core::encoding::b64_encode(&bytes);
        for json in [format!("{{\"v\":1,\"ke2\":\"{b64}\"}}"), format!("{{\"v\":1,\"registration_record\":\"{b64}\"}}")] {
            let _ = Ke2::from_json(&json);
            let _ = RegistrationRecord::from_json(&json);
        }
    }
}

/// Everything a full registration + login emits, as bytes.
fn transcript(seed: u8) -> Vec<String> {
    let mut r = rng(seed);
    let setup = ServerSetup::generate(&mut r);
    let (client, req) = ClientRegistration::start(ALICE, &key(1), &mut r).unwrap();
    let resp = setup.registration_response(ALICE, &req).unwrap();
    let reg = client.finish(&resp, &mut r).unwrap();
    let (client, ke1) = ClientLogin::start(ALICE, &key(1), &mut r).unwrap();
    let (server, ke2) = ServerLogin::start(&setup, ALICE, Some(&reg.record), &ke1, &mut r).unwrap();
    let state = server.to_json().expose_secret().to_owned();
    let done = client.finish(&ke2, &mut r).unwrap();
    let server_key = server.finish(&done.ke3).unwrap();
    assert_eq!(server_key, done.session_key);
    vec![
        setup.to_json().expose_secret().to_owned(),
        req.to_json(),
        resp.to_json(),
        reg.record.to_json(),
        hex::encode(reg.export_key.expose_secret()),
        ke1.to_json(),
        ke2.to_json(),
        state,
        done.ke3.to_json(),
        hex::encode(done.session_key.expose_secret()),
        hex::encode(done.export_key.expose_secret()),
    ]
}

#[test]
fn deterministic_transcript() {
    let a = transcript(42);
    let b = transcript(42);
    assert_eq!(a, b);
    let c = transcript(43);
    for (x, y) in a.iter().zip(&c) {
        assert_ne!(x, y);
    }
}

/// The documented binding (suite, context, client identity = identifier,
/// server identity = default) is what the state machines do: a plain
/// opaque-ke peer configured from the docs interoperates with them.
#[test]
fn documented_binding_interoperates_with_plain_opaque_ke() {
    use opaque_ke::{
        ClientLoginFinishParameters, ClientRegistrationFinishParameters, Identifiers,
        ServerLoginParameters,
    };
    let mut r = rng(14);
    let setup = ServerSetup::generate(&mut r);
    let raw_setup =
        opaque_ke::ServerSetup::<Suite>::deserialize(setup.to_bytes().expose_secret()).unwrap();
    let id = ALICE.as_bytes();
    let ids = Identifiers {
        client: Some(id),
        server: None,
    };
    let pw = key(1);

    // A plain opaque-ke client registers and logs in against our server half.
    let mut a = RngAdapter::new(&mut r);
    let start = opaque_ke::ClientRegistration::<Suite>::start(&mut a, pw.expose_secret()).unwrap();
    let req = RegistrationRequest::from_bytes(&start.message.serialize()).unwrap();
    let resp = setup.registration_response(ALICE, &req).unwrap();
    let resp = opaque_ke::RegistrationResponse::<Suite>::deserialize(&resp.to_bytes()).unwrap();
    let fin = start
        .state
        .finish(
            &mut a,
            pw.expose_secret(),
            resp,
            ClientRegistrationFinishParameters::new(ids, None),
        )
        .unwrap();
    let record = RegistrationRecord::from_bytes(&fin.message.serialize()).unwrap();
    let cstart = opaque_ke::ClientLogin::<Suite>::start(&mut a, pw.expose_secret()).unwrap();
    let ke1 = Ke1::from_bytes(&cstart.message.serialize()).unwrap();
    let (server, ke2) = ServerLogin::start(&setup, ALICE, Some(&record), &ke1, &mut r).unwrap();
    let cfin = cstart
        .state
        .finish(
            &mut RngAdapter::new(&mut r),
            pw.expose_secret(),
            opaque_ke::CredentialResponse::deserialize(&ke2.to_bytes()).unwrap(),
            ClientLoginFinishParameters::new(Some(CONTEXT), ids, None),
        )
        .unwrap();
    let key_ours = server
        .finish(&Ke3::from_bytes(&cfin.message.serialize()).unwrap())
        .unwrap();
    assert_eq!(key_ours.expose_secret(), cfin.session_key.as_slice());
    assert_eq!(
        cfin.server_s_pk.serialize().to_vec(),
        setup.public_key().to_vec()
    );

    // Our client against a plain opaque-ke server half.
    let (client, ke1) = ClientLogin::start(ALICE, &pw, &mut r).unwrap();
    let sstart = opaque_ke::ServerLogin::start(
        &mut RngAdapter::new(&mut r),
        &raw_setup,
        Some(opaque_ke::ServerRegistration::deserialize(&record.to_bytes()).unwrap()),
        opaque_ke::CredentialRequest::deserialize(&ke1.to_bytes()).unwrap(),
        id,
        ServerLoginParameters {
            context: Some(CONTEXT),
            identifiers: ids,
        },
    )
    .unwrap();
    let done = client
        .finish(
            &Ke2::from_bytes(&sstart.message.serialize()).unwrap(),
            &mut r,
        )
        .unwrap();
    let sfin = sstart
        .state
        .finish(
            opaque_ke::CredentialFinalization::deserialize(&done.ke3.to_bytes()).unwrap(),
            ServerLoginParameters::default(),
        )
        .unwrap();
    assert_eq!(
        done.session_key.expose_secret(),
        sfin.session_key.as_slice()
    );
}

// ---------------------------------------------------------------------------
// RFC 9807 Appendix C
// ---------------------------------------------------------------------------

/// An RNG that hands out a scripted list of byte strings, one per draw, and
/// fails the test if opaque-ke asks for anything else (another size, another
/// method, more draws). Going through [`RngAdapter`] like the real code.
struct Script(VecDeque<Vec<u8>>);

impl Script {
    fn new(draws: &[Vec<u8>]) -> Self {
        Script(draws.iter().cloned().collect())
    }
    fn assert_done(&self) {
        assert!(self.0.is_empty(), "{} scripted draws unused", self.0.len());
    }
}

impl rand_core::TryRng for Script {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        panic!("unexpected next_u32")
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        panic!("unexpected next_u64")
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        let next = self.0.pop_front().expect("more draws than the vector has");
        assert_eq!(next.len(), dst.len(), "draw size");
        dst.copy_from_slice(&next);
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Script {}

fn vectors_path() -> std::path::PathBuf {
    common::test_data_dir().join("opaque-rfc9807/vectors.json")
}

struct Vector<'a>(&'a serde_json::Value);

impl Vector<'_> {
    fn get(&self, section: &str, name: &str) -> Option<Vec<u8>> {
        self.0[section][name]
            .as_str()
            .map(|h| hex::decode(h).unwrap())
    }
    fn input(&self, name: &str) -> Vec<u8> {
        self.get("inputs", name).unwrap()
    }
    fn output(&self, name: &str) -> Vec<u8> {
        self.get("outputs", name).unwrap()
    }
}

/// A voprf/dalek scalar draw is 64 bytes reduced mod ℓ; a canonical scalar
/// followed by 32 zero bytes reduces to itself, so this yields exactly the
/// vector's blind.
fn scalar_draw(scalar: &[u8]) -> Vec<u8> {
    let mut v = scalar.to_vec();
    v.extend_from_slice(&[0; 32]);
    v
}

fn run_real_vector(v: &Vector<'_>) {
    use opaque_ke::{
        ClientLoginFinishParameters, ClientRegistrationFinishParameters, Identifiers,
        ServerLoginParameters,
    };
    let context = hex::decode(v.0["config"]["Context"].as_str().unwrap()).unwrap();
    let password = v.input("password");
    let cred_id = v.input("credential_identifier");
    let client_identity = v.get("inputs", "client_identity");
    let server_identity = v.get("inputs", "server_identity");
    let ids = Identifiers {
        client: client_identity.as_deref(),
        server: server_identity.as_deref(),
    };

    // Server setup: oprf_seed || server_private_key || fake-record public key
    // (unused for real records), through our own decoder.
    let mut setup_bytes = v.input("oprf_seed");
    setup_bytes.extend(v.input("server_private_key"));
    setup_bytes.extend(v.input("server_public_key"));
    let ours = ServerSetup::from_bytes(&setup_bytes).unwrap();
    assert_eq!(ours.public_key().to_vec(), v.input("server_public_key"));
    let setup = opaque_ke::ServerSetup::<Suite>::deserialize(&setup_bytes).unwrap();

    // Registration.
    let mut s = Script::new(&[scalar_draw(&v.input("blind_registration"))]);
    let reg =
        opaque_ke::ClientRegistration::<Suite>::start(&mut RngAdapter::new(&mut s), &password)
            .unwrap();
    s.assert_done();
    assert_eq!(
        reg.message.serialize().to_vec(),
        v.output("registration_request")
    );

    let resp = opaque_ke::ServerRegistration::<Suite>::start(&setup, reg.message.clone(), &cred_id)
        .unwrap();
    assert_eq!(
        resp.message.serialize().to_vec(),
        v.output("registration_response")
    );
    // Our server half computes the same response (it binds nothing else here).
    let our_req = RegistrationRequest::from_bytes(&v.output("registration_request")).unwrap();
    let our_resp = ours
        .registration_response(std::str::from_utf8(&cred_id).unwrap(), &our_req)
        .unwrap();
    assert_eq!(our_resp.to_bytes(), v.output("registration_response"));

    let mut s = Script::new(&[v.input("envelope_nonce")]);
    let fin = reg
        .state
        .finish(
            &mut RngAdapter::new(&mut s),
            &password,
            resp.message,
            ClientRegistrationFinishParameters::new(ids, None),
        )
        .unwrap();
    s.assert_done();
    assert_eq!(
        fin.message.serialize().to_vec(),
        v.output("registration_upload")
    );
    assert_eq!(fin.export_key.to_vec(), v.output("export_key"));

    // Login.
    let mut s = Script::new(&[
        scalar_draw(&v.input("blind_login")),
        v.input("client_keyshare_seed"),
        v.input("client_nonce"),
    ]);
    let cl =
        opaque_ke::ClientLogin::<Suite>::start(&mut RngAdapter::new(&mut s), &password).unwrap();
    s.assert_done();
    assert_eq!(cl.message.serialize().to_vec(), v.output("KE1"));

    let record = opaque_ke::ServerRegistration::<Suite>::finish(fin.message);
    let params = ServerLoginParameters {
        context: Some(&context),
        identifiers: ids,
    };
    // opaque-ke always draws a fake record's masking key first (constant
    // time); for a real record it is discarded.
    let mut s = Script::new(&[
        vec![0xee; 64],
        v.input("masking_nonce"),
        v.input("server_keyshare_seed"),
        v.input("server_nonce"),
    ]);
    let sl = opaque_ke::ServerLogin::start(
        &mut RngAdapter::new(&mut s),
        &setup,
        Some(record),
        cl.message.clone(),
        &cred_id,
        params.clone(),
    )
    .unwrap();
    s.assert_done();
    assert_eq!(sl.message.serialize().to_vec(), v.output("KE2"));

    let mut s = Script::new(&[]);
    let cf = cl
        .state
        .finish(
            &mut RngAdapter::new(&mut s),
            &password,
            sl.message,
            ClientLoginFinishParameters::new(Some(&context), ids, None),
        )
        .unwrap();
    assert_eq!(cf.message.serialize().to_vec(), v.output("KE3"));
    assert_eq!(cf.session_key.to_vec(), v.output("session_key"));
    assert_eq!(cf.export_key.to_vec(), v.output("export_key"));

    let sf = sl.state.finish(cf.message, params).unwrap();
    assert_eq!(sf.session_key.to_vec(), v.output("session_key"));

    // Our wire types carry the RFC bytes unchanged.
    for (name, bytes) in [
        (
            "registration_request",
            RegistrationRequest::from_bytes(&v.output("registration_request"))
                .unwrap()
                .to_bytes(),
        ),
        (
            "registration_response",
            RegistrationResponse::from_bytes(&v.output("registration_response"))
                .unwrap()
                .to_bytes(),
        ),
        (
            "registration_upload",
            RegistrationRecord::from_bytes(&v.output("registration_upload"))
                .unwrap()
                .to_bytes(),
        ),
        (
            "KE1",
            Ke1::from_json(&Ke1::from_bytes(&v.output("KE1")).unwrap().to_json())
                .unwrap()
                .to_bytes(),
        ),
        (
            "KE2",
            Ke2::from_json(&Ke2::from_bytes(&v.output("KE2")).unwrap().to_json())
                .unwrap()
                .to_bytes(),
        ),
        (
            "KE3",
            Ke3::from_json(&Ke3::from_bytes(&v.output("KE3")).unwrap().to_json())
                .unwrap()
                .to_bytes(),
        ),
    ] {
        assert_eq!(bytes, v.output(name), "{name}");
    }
}

fn run_fake_vector(v: &Vector<'_>) {
    use opaque_ke::{Identifiers, ServerLoginParameters};
    let context = hex::decode(v.0["config"]["Context"].as_str().unwrap()).unwrap();
    let client_identity = v.get("inputs", "client_identity");
    let server_identity = v.get("inputs", "server_identity");
    // The fake record's public key is the setup's third part.
    let mut setup_bytes = v.input("oprf_seed");
    setup_bytes.extend(v.input("server_private_key"));
    setup_bytes.extend(v.input("client_public_key"));
    let setup = opaque_ke::ServerSetup::<Suite>::deserialize(&setup_bytes).unwrap();
    let ours = ServerSetup::from_bytes(&setup_bytes).unwrap();
    assert_eq!(ours.public_key().to_vec(), v.input("server_public_key"));

    let ke1 = Ke1::from_bytes(&v.input("KE1")).unwrap();
    let ke1 = opaque_ke::CredentialRequest::<Suite>::deserialize(&ke1.to_bytes()).unwrap();
    let mut s = Script::new(&[
        v.input("masking_key"),
        v.input("masking_nonce"),
        v.input("server_keyshare_seed"),
        v.input("server_nonce"),
    ]);
    let sl = opaque_ke::ServerLogin::start(
        &mut RngAdapter::new(&mut s),
        &setup,
        None,
        ke1,
        &v.input("credential_identifier"),
        ServerLoginParameters {
            context: Some(&context),
            identifiers: Identifiers {
                client: client_identity.as_deref(),
                server: server_identity.as_deref(),
            },
        },
    )
    .unwrap();
    s.assert_done();
    assert_eq!(sl.message.serialize().to_vec(), v.output("KE2"));
    assert_eq!(
        Ke2::from_bytes(&v.output("KE2")).unwrap().to_bytes(),
        v.output("KE2")
    );
}

#[test]
fn rfc9807_appendix_c_vectors() {
    let path = vectors_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        missing_test_data(&format!("RFC 9807 vectors not found at {}", path.display()));
        return;
    };
    let all: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let (mut real, mut fake, mut skipped) = (0, 0, 0);
    for raw in &all {
        let c = &raw["config"];
        let ours = c["OPRF"] == "ristretto255-SHA512"
            && c["Group"] == "ristretto255"
            && c["Hash"] == "SHA512"
            && c["KSF"] == "Identity"
            && c["Name"] == "3DH";
        if !ours {
            skipped += 1;
            continue;
        }
        let v = Vector(raw);
        if c["Fake"] == "True" {
            run_fake_vector(&v);
            fake += 1;
        } else {
            run_real_vector(&v);
            real += 1;
        }
    }
    println!(
        "RFC 9807: {real} real + {fake} fake ristretto255 vectors verified, {skipped} other suites skipped"
    );
    assert_eq!(
        (real, fake),
        (2, 1),
        "expected the two real and one fake ristretto255 vectors"
    );
}
