//! Vectors of the login protocols (SRP-6a, OPAQUE) and pre-login fakes.

use super::*;
use serde_json::{Value, json};
use vault_core::hazmat::seeded_rng;
use vault_core::*;

pub(crate) fn from_json_str(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::Null)
}

pub(crate) fn srp_vectors() -> Result<VectorFile> {
    use vault_core::srp::{SrpClient, SrpGroup, SrpServer};
    let mut v = Vec::new();
    let auth = SymmetricKey::from_bytes(core::array::from_fn(|i| 0xa0 ^ i as u8));
    let wrong = SymmetricKey::from_bytes([0x55; 32]);
    for group in [SrpGroup::Rfc5054_3072, SrpGroup::Rfc5054_4096] {
        let id = "alice@example.com";
        let (rs, cs, ss) = (
            seed(&format!("srp/{}/register", group.name())),
            seed(&format!("srp/{}/client", group.name())),
            seed(&format!("srp/{}/server", group.name())),
        );
        let record = SrpClient::register(id, &auth, group, &mut seeded_rng(rs))?;
        let (client, hello) = SrpClient::start(id, &auth, group, &mut seeded_rng(cs))?;
        let (server, challenge) = SrpServer::start(&record, &hello, &mut seeded_rng(ss))?;
        let (client, proof) = client.process_challenge(&challenge)?;
        let (server_proof, server_key) = server.finish(&proof)?;
        let client_key = client.verify_server(&server_proof)?;
        // The same session with the wrong auth key: the server rejects M1.
        let (bad_client, bad_hello) = SrpClient::start(id, &wrong, group, &mut seeded_rng(cs))?;
        let (bad_server, bad_challenge) =
            SrpServer::start(&record, &bad_hello, &mut seeded_rng(ss))?;
        let (_, bad_proof) = bad_client.process_challenge(&bad_challenge)?;
        v.push(json!({
            "name": format!("login_{}", group.name()),
            "identifier": id,
            "auth_key_hex": hx(auth.expose_secret()),
            "password_p": hx(auth.expose_secret()),
            "group": group.name(),
            "register_seed_hex": hx(&rs),
            "client_seed_hex": hx(&cs),
            "server_seed_hex": hx(&ss),
            "registration": from_json_str(&record.to_json()),
            "client_hello": from_json_str(&hello.to_json()),
            "server_challenge": from_json_str(&challenge.to_json()),
            "client_proof": from_json_str(&proof.to_json()),
            "server_proof": from_json_str(&server_proof.to_json()),
            "session_key_hex": hx(client_key.expose_secret()),
            "fail_wrong_password": {
                "auth_key_hex": hx(wrong.expose_secret()),
                "client_proof": from_json_str(&bad_proof.to_json()),
                "error": err_code(bad_server.finish(&bad_proof)),
            },
        }));
        if client_key != server_key {
            return Err(Error::AuthenticationFailed);
        }
    }
    Ok(file(
        "srp",
        "SRP-6a (RFC 5054, SHA-256) transcripts. The password P is the lowercase hex of the auth key. SrpClient::register with seeded_rng(register_seed_hex) gives `registration`; SrpClient::start with seeded_rng(client_seed_hex) gives `client_hello` (a = 48 bytes drawn); SrpServer::start(registration, client_hello, seeded_rng(server_seed_hex)) gives `server_challenge` (b = 48 bytes drawn); then client_proof (M1), server_proof (M2) and the session key K. fail_wrong_password: the same seeds with another auth key; the server's finish fails with `error`.",
        v,
    ))
}

pub(crate) fn opaque_vectors() -> Result<VectorFile> {
    use vault_core::opaque::{ClientLogin, ClientRegistration, ServerLogin, ServerSetup};
    let id = "alice@example.com";
    let auth = SymmetricKey::from_bytes(core::array::from_fn(|i| 0xb0 ^ i as u8));
    let wrong = SymmetricKey::from_bytes([0x66; 32]);
    let seeds: Vec<[u8; 32]> = [
        "setup",
        "reg/client",
        "reg/finish",
        "login/client",
        "login/server",
        "login/finish",
        "fake/server",
    ]
    .iter()
    .map(|l| seed(&format!("opaque/{l}")))
    .collect();
    let sd = |i: usize| seeds.get(i).copied().unwrap_or_default();
    let setup = ServerSetup::generate(&mut seeded_rng(sd(0)));
    let (reg, request) = ClientRegistration::start(id, &auth, &mut seeded_rng(sd(1)))?;
    let response = setup.registration_response(id, &request)?;
    let registered = reg.finish(&response, &mut seeded_rng(sd(2)))?;
    let (login, ke1) = ClientLogin::start(id, &auth, &mut seeded_rng(sd(3)))?;
    let (server, ke2) = ServerLogin::start(
        &setup,
        id,
        Some(&registered.record),
        &ke1,
        &mut seeded_rng(sd(4)),
    )?;
    let done = login.finish(&ke2, &mut seeded_rng(sd(5)))?;
    let server_key = server.finish(&done.ke3)?;
    if server_key != done.session_key {
        return Err(Error::AuthenticationFailed);
    }
    let (bad_login, bad_ke1) = ClientLogin::start(id, &wrong, &mut seeded_rng(sd(3)))?;
    let (_, bad_ke2) = ServerLogin::start(
        &setup,
        id,
        Some(&registered.record),
        &bad_ke1,
        &mut seeded_rng(sd(4)),
    )?;
    let wrong_pw = err_code(bad_login.finish(&bad_ke2, &mut seeded_rng(sd(5))));
    let unknown = "nobody@example.com";
    let (fake_login, fake_ke1) = ClientLogin::start(unknown, &auth, &mut seeded_rng(sd(3)))?;
    let (_, fake_ke2) =
        ServerLogin::start(&setup, unknown, None, &fake_ke1, &mut seeded_rng(sd(6)))?;
    let fake = err_code(fake_login.finish(&fake_ke2, &mut seeded_rng(sd(5))));
    let labels = [
        "setup",
        "registration_start",
        "registration_finish",
        "login_start",
        "login_server",
        "login_finish",
        "fake_server",
    ];
    let seed_map: serde_json::Map<String, Value> = labels
        .iter()
        .zip(&seeds)
        .map(|(l, s)| ((*l).to_owned(), json!(hx(s))))
        .collect();
    Ok(file(
        "opaque",
        "OPAQUE (RFC 9807, opaque-ke 4: ristretto255, SHA-512, 3DH, KSF = identity) transcript; the password input is the auth key, the context 'VLT1 OPAQUE', client identity and credential identifier the identifier. ServerSetup::generate(seeded_rng(seeds.setup)); ClientRegistration::start(seeds.registration_start); ServerSetup::registration_response; finish(seeds.registration_finish) gives the record; ClientLogin::start(seeds.login_start) gives KE1; ServerLogin::start(record, seeds.login_server) gives KE2; ClientLogin::finish(seeds.login_finish) gives KE3 and the keys. fail_*: the same with the wrong auth key, or an unknown identifier answered from a fake record (seeds.fake_server); the client's finish fails with `error`.",
        vec![
            json!({
                "name": "register_and_login",
                "identifier": id,
                "auth_key_hex": hx(auth.expose_secret()),
                "seeds": seed_map,
                "server_setup": from_json_str(setup.to_json().expose_secret()),
                "server_public_key_hex": hx(&setup.public_key()),
                "registration_request": from_json_str(&request.to_json()),
                "registration_response": from_json_str(&response.to_json()),
                "registration_record": from_json_str(&registered.record.to_json()),
                "export_key_hex": hx(registered.export_key.expose_secret()),
                "ke1": from_json_str(&ke1.to_json()),
                "ke2": from_json_str(&ke2.to_json()),
                "ke3": from_json_str(&done.ke3.to_json()),
                "session_key_hex": hx(done.session_key.expose_secret()),
            }),
            json!({"name": "fail_wrong_password", "identifier": id, "auth_key_hex": hx(wrong.expose_secret()), "ke1": from_json_str(&bad_ke1.to_json()), "ke2": from_json_str(&bad_ke2.to_json()), "error": wrong_pw}),
            json!({"name": "fail_unknown_account_fake_record", "identifier": unknown, "auth_key_hex": hx(auth.expose_secret()), "ke1": from_json_str(&fake_ke1.to_json()), "ke2": from_json_str(&fake_ke2.to_json()), "error": fake}),
        ],
    ))
}

pub(crate) fn prelogin_vectors() -> Result<VectorFile> {
    use vault_core::prelogin::PreloginServer;
    use vault_core::srp::SrpGroup;
    let secret = SymmetricKey::from_bytes([0x99; 32]);
    let server = PreloginServer::new(secret.clone(), KdfParams::DEFAULT, SrpGroup::Rfc5054_3072);
    let mut v = Vec::new();
    for id in ["nobody@example.com", "someone.else@example.com"] {
        v.push(json!({
            "name": format!("fake_{id}"),
            "server_secret_hex": hx(secret.expose_secret()),
            "kdf_params": KdfParams::DEFAULT,
            "srp_group": SrpGroup::Rfc5054_3072.name(),
            "identifier": id,
            "srp_response": from_json_str(&server.fake_response(id)?.to_json()),
            "opaque_response": from_json_str(&server.respond_opaque(id, None)?.to_json()),
            "fake_srp_record": from_json_str(&server.fake_srp_record(id)?.to_json()),
        }));
    }
    Ok(file(
        "prelogin",
        "Pre-login fakes for unknown identifiers: PreloginServer::new(server secret, kdf_params, srp_group).fake_response(identifier) (SRP servers), .respond_opaque(identifier, None) (OPAQUE servers) and .fake_srp_record(identifier). Deterministic per (secret, identifier), shaped exactly like a real answer.",
        v,
    ))
}
