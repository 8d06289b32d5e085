//! Replays every file in `test-vectors/` through vault-core's public API:
//! deterministic operations must reproduce the committed bytes exactly, and
//! every `fail_*` vector must fail with its recorded error code. The binding
//! suites replay the same files the same way.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use vault_core::hazmat::{seal_with_nonce, seeded_rng};
use vault_core::*;

fn load(name: &str) -> Vec<Value> {
    let path = format!("{}/../test-vectors/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(doc["operation"], name);
    assert_eq!(doc["format_version"], 1);
    let v = doc["vectors"].as_array().unwrap().clone();
    assert!(!v.is_empty(), "{name}: no vectors");
    v
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}
fn arr32(v: &Value) -> [u8; 32] {
    unhex(v).try_into().unwrap()
}
fn de<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap()
}
fn ser<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap()
}
fn is_fail(v: &Value) -> bool {
    v["name"].as_str().unwrap().starts_with("fail_")
}
fn code<T>(r: Result<T>) -> String {
    match r {
        Ok(_) => "NO ERROR".into(),
        Err(e) => e.code().into(),
    }
}
fn vault_key(v: &Value) -> VaultKey {
    VaultKey::from_parts(
        de(&v["vault"]),
        v["key_version"].as_u64().unwrap() as u32,
        SymmetricKey::from_bytes(arr32(&v["key_hex"])),
    )
}
fn context(v: &Value) -> Context {
    let id = |k: &str| v[k].as_str().unwrap().to_owned();
    let kv = || v["key_version"].as_u64().unwrap() as u32;
    let rev = || v["revision"].as_u64().unwrap();
    match v["kind"].as_str().unwrap() {
        "account_key" => Context::AccountKey {
            account: id("account").parse().unwrap(),
        },
        "identity_keys" => Context::IdentityKeys {
            account: id("account").parse().unwrap(),
        },
        "vault_key" => Context::VaultKey {
            account: id("account").parse().unwrap(),
            vault: id("vault").parse().unwrap(),
            key_version: kv(),
        },
        "vault_meta" => Context::VaultMeta {
            vault: id("vault").parse().unwrap(),
            key_version: kv(),
        },
        "item_key" => Context::ItemKey {
            vault: id("vault").parse().unwrap(),
            item: id("item").parse().unwrap(),
            key_version: kv(),
        },
        "item_overview" => Context::ItemOverview {
            vault: id("vault").parse().unwrap(),
            item: id("item").parse().unwrap(),
            revision: rev(),
        },
        "item_details" => Context::ItemDetails {
            vault: id("vault").parse().unwrap(),
            item: id("item").parse().unwrap(),
            revision: rev(),
        },
        other => panic!("unknown context kind {other}"),
    }
}

#[test]
fn kdf() {
    for v in load("kdf") {
        let cfg: KdfConfig = de(&v["kdf"]);
        let pw = v["password"].as_str().unwrap();
        if is_fail(&v) {
            assert_eq!(v["policy"], "default");
            let r = kdf::derive_master_keys(pw, None, &cfg, &KdfPolicy::default());
            assert_eq!(code(r), v["error"], "{}", v["name"]);
            continue;
        }
        let sk = v["secret_key_hex"]
            .as_str()
            .map(|h| SecretKey::from_bytes(hex::decode(h).unwrap().try_into().unwrap()));
        let st = kdf::stretch(pw, &cfg.salt, &cfg.params).unwrap();
        assert_eq!(
            hex::encode(st.expose_secret()),
            v["stretched_hex"],
            "{}",
            v["name"]
        );
        let keys = kdf::derive_master_keys(pw, sk.as_ref(), &cfg, &KdfPolicy::PERMISSIVE_TEST_ONLY)
            .unwrap();
        assert_eq!(
            hex::encode(keys.auth_key.expose_secret()),
            v["auth_key_hex"]
        );
        assert_eq!(hex::encode(keys.kek.expose_secret()), v["kek_hex"]);
    }
}

#[test]
fn hkdf() {
    for v in load("hkdf") {
        let st = SymmetricKey::from_bytes(arr32(&v["stretched_hex"]));
        let salt: KdfSalt = de(&v["salt"]);
        let plain = kdf::master_keys_from_stretched(&st, None, &salt);
        assert_eq!(
            hex::encode(plain.auth_key.expose_secret()),
            v["auth_key_hex"]
        );
        assert_eq!(hex::encode(plain.kek.expose_secret()), v["kek_hex"]);
        let sk = SecretKey::from_bytes(unhex(&v["secret_key_hex"]).try_into().unwrap());
        let mixed = kdf::master_keys_from_stretched(&st, Some(&sk), &salt);
        assert_eq!(
            hex::encode(mixed.auth_key.expose_secret()),
            v["with_secret_key"]["auth_key_hex"]
        );
        assert_eq!(
            hex::encode(mixed.kek.expose_secret()),
            v["with_secret_key"]["kek_hex"]
        );
    }
}

#[test]
fn envelope() {
    let (mut ok, mut fail) = (0, 0);
    for v in load("envelope") {
        let key = SymmetricKey::from_bytes(arr32(&v["key_hex"]));
        let ctx = context(&v["context"]);
        if is_fail(&v) {
            let r = match v.get("envelope_text") {
                Some(t) => {
                    Envelope::from_text(t.as_str().unwrap()).and_then(|e| e.open(&key, &ctx))
                }
                None => {
                    Envelope::from_bytes(unhex(&v["envelope_hex"])).and_then(|e| e.open(&key, &ctx))
                }
            };
            assert_eq!(code(r), v["error"], "{}", v["name"]);
            fail += 1;
            continue;
        }
        let alg: Algorithm = de(&v["algorithm"]);
        assert_eq!(
            hex::encode(ctx.aad_bytes(1, alg).unwrap()),
            v["aad_hex"],
            "{}",
            v["name"]
        );
        let pt = unhex(&v["plaintext_hex"]);
        let env = seal_with_nonce(&key, alg, &ctx, &unhex(&v["nonce_hex"]), &pt).unwrap();
        assert_eq!(
            hex::encode(env.as_bytes()),
            v["envelope_hex"],
            "{}",
            v["name"]
        );
        assert_eq!(env.to_text(), v["envelope_text"]);
        let parsed = Envelope::from_text(v["envelope_text"].as_str().unwrap()).unwrap();
        assert_eq!(&parsed.open(&key, &ctx).unwrap()[..], &pt[..]);
        ok += 1;
    }
    assert!(ok >= 14 && fail >= 10, "ok={ok} fail={fail}");
}

#[test]
fn secret_key() {
    for v in load("secret_key") {
        if is_fail(&v) {
            assert_eq!(
                code(SecretKey::parse(v["text"].as_str().unwrap())),
                v["error"],
                "{}",
                v["name"]
            );
            continue;
        }
        let sk = SecretKey::from_bytes(unhex(&v["bytes_hex"]).try_into().unwrap());
        assert_eq!(sk.to_display_string(), v["text"]);
        for t in v["also_parses"].as_array().unwrap() {
            assert_eq!(SecretKey::parse(t.as_str().unwrap()).unwrap(), sk);
        }
    }
}

#[test]
fn account() {
    for v in load("account") {
        if is_fail(&v) {
            let r = EncryptedAccount::from_json(v["record_json"].as_str().unwrap());
            assert_eq!(code(r), v["error"], "{}", v["name"]);
            continue;
        }
        let pw = v["password"].as_str().unwrap();
        let sk = v["secret_key_hex"]
            .as_str()
            .map(|h| SecretKey::from_bytes(hex::decode(h).unwrap().try_into().unwrap()));
        let params: KdfParams = de(&v["params"]);
        let (acct, creds) = UnlockedAccount::create(
            pw,
            sk.as_ref(),
            params,
            &mut seeded_rng(arr32(&v["seed_hex"])),
        )
        .unwrap();
        assert_eq!(ser(&creds.encrypted), v["encrypted"]);
        assert_eq!(
            hex::encode(creds.auth_key.expose_secret()),
            v["auth_key_hex"]
        );
        assert_eq!(acct.fingerprint(), v["fingerprint"]);

        let stored: EncryptedAccount = de(&v["encrypted"]);
        let p = KdfPolicy::PERMISSIVE_TEST_ONLY;
        let unlocked = stored.unlock(pw, sk.as_ref(), &p).unwrap();
        assert_eq!(
            hex::encode(unlocked.account_key().expose_secret()),
            v["account_key_hex"]
        );
        assert_eq!(
            code(stored.unlock(
                v["fail_wrong_password"]["password"].as_str().unwrap(),
                sk.as_ref(),
                &p
            )),
            v["fail_wrong_password"]["error"]
        );

        let c = &v["change_password"];
        let new_pw = c["new_password"].as_str().unwrap();
        let changed = unlocked
            .change_password(
                &stored,
                new_pw,
                sk.as_ref(),
                params,
                &mut seeded_rng(arr32(&c["seed_hex"])),
            )
            .unwrap();
        assert_eq!(ser(&changed.encrypted), c["encrypted"]);
        assert_eq!(
            hex::encode(changed.auth_key.expose_secret()),
            c["auth_key_hex"]
        );
        let after: EncryptedAccount = de(&c["encrypted"]);
        assert_eq!(
            hex::encode(
                after
                    .unlock(new_pw, sk.as_ref(), &p)
                    .unwrap()
                    .account_key()
                    .expose_secret()
            ),
            v["account_key_hex"]
        );
        assert_eq!(
            code(after.unlock(pw, sk.as_ref(), &p)),
            v["fail_old_password_after_change"]["error"]
        );
    }
}

#[test]
fn vault() {
    for v in load("vault") {
        let (owner, _) = UnlockedAccount::create(
            "pw",
            None,
            KdfParams::INSECURE_TEST_ONLY,
            &mut seeded_rng(arr32(&v["owner_seed_hex"])),
        )
        .unwrap();
        let meta: VaultMeta = de(&v["meta"]);
        let (vk, enc, wrapped) = owner
            .create_vault(&meta, &mut seeded_rng(arr32(&v["seed_hex"])))
            .unwrap();
        assert_eq!(vk, vault_key(&v["vault_key"]));
        assert_eq!(ser(&enc), v["encrypted_vault"]);
        assert_eq!(ser(&wrapped), v["wrapped_key"]);
        assert_eq!(owner.unwrap_vault_key(&de(&v["wrapped_key"])).unwrap(), vk);
        assert_eq!(vk.open_meta(&de(&v["encrypted_vault"])).unwrap(), meta);

        let items: Vec<EncryptedItem> = de(&v["items"]);
        let r = &v["rotate"];
        let (next, next_meta, next_items) = vk
            .rotate(&enc, &items, &mut seeded_rng(arr32(&r["seed_hex"])))
            .unwrap();
        assert_eq!(next, vault_key(&r["vault_key"]));
        assert_eq!(ser(&next_meta), r["encrypted_vault"]);
        assert_eq!(ser(&next_items), r["items"]);
        let next_wrapped = owner
            .wrap_vault_key(&next, &mut seeded_rng(arr32(&r["wrap_seed_hex"])))
            .unwrap();
        assert_eq!(ser(&next_wrapped), r["wrapped_key"]);
        assert_eq!(
            hex::encode(owner.account_key().expose_secret()),
            v["owner_account_key_hex"]
        );
        let plain: Vec<Item> = de(&v["items_plaintext"]);
        for (p, it) in plain.iter().zip(&next_items) {
            assert_eq!(&next.decrypt_item(it).unwrap(), p);
        }
        for (old, new) in items.iter().zip(&next_items) {
            assert_eq!(
                vk.decrypt_item(old).unwrap(),
                next.decrypt_item(new).unwrap()
            );
            assert_eq!(
                old.details, new.details,
                "rotation must not re-encrypt contents"
            );
            assert_eq!(
                code(vk.decrypt_item(new)),
                r["fail_old_key_on_rotated_item"]
            );
        }
    }
}

#[test]
fn item() {
    for v in load("item") {
        let vk = vault_key(&v["vault_key"]);
        let enc: EncryptedItem = de(&v["encrypted"]);
        if is_fail(&v) {
            assert_eq!(code(vk.decrypt_item(&enc)), v["error"], "{}", v["name"]);
            continue;
        }
        let item: Item = de(&v["item"]);
        let alg: Algorithm = de(&v["algorithm"]);
        let again = vk
            .encrypt_item_with(
                de(&v["item_id"]),
                v["revision"].as_u64().unwrap(),
                &item,
                alg,
                &mut seeded_rng(arr32(&v["seed_hex"])),
            )
            .unwrap();
        assert_eq!(ser(&again), v["encrypted"], "{}", v["name"]);
        assert_eq!(vk.decrypt_item(&enc).unwrap(), item);
        assert_eq!(
            ser(&vk.decrypt_overview(&enc).unwrap().overview),
            v["overview"]
        );
    }
}

#[test]
fn list() {
    for v in load("list") {
        let vk = vault_key(&v["vault_key"]);
        let items: Vec<EncryptedItem> = de(&v["items"]);
        let results = vk.decrypt_list(&items);
        let expected = v["results"].as_array().unwrap();
        assert_eq!(results.len(), expected.len());
        assert!(results.iter().any(|r| r.is_err()) && results.iter().any(|r| r.is_ok()));
        for (got, want) in results.iter().zip(expected) {
            match got {
                Ok(row) => {
                    assert_eq!(ser(&row.overview), want["ok"]["overview"]);
                    assert_eq!(ser(&row.item), want["ok"]["item"]);
                }
                Err(e) => assert_eq!(e.code(), want["error"]),
            }
        }
    }
}

fn account_from_seed(name: &str, seed: &Value) -> UnlockedAccount {
    UnlockedAccount::create(
        name,
        None,
        KdfParams::INSECURE_TEST_ONLY,
        &mut seeded_rng(arr32(seed)),
    )
    .unwrap()
    .0
}

#[test]
fn grant() {
    for v in load("grant") {
        let sender_id: PublicIdentity = de(&v["sender_identity"]);
        let grant: VaultGrant = de(&v["grant"]);
        if is_fail(&v) {
            // The recipient account is rebuilt from its seed; the password is irrelevant to keys.
            let who = account_from_seed("x", &v["recipient_seed_hex"]);
            assert_eq!(
                code(who.open_grant(&grant, &sender_id)),
                v["error"],
                "{}",
                v["name"]
            );
            continue;
        }
        let sender = account_from_seed("alice", &v["sender_seed_hex"]);
        let recipient = account_from_seed("bob", &v["recipient_seed_hex"]);
        assert_eq!(ser(sender.public_identity()), v["sender_identity"]);
        assert_eq!(ser(recipient.public_identity()), v["recipient_identity"]);
        let vk = vault_key(&v["vault_key"]);
        let role: Role = de(&v["role"]);
        let again = sender
            .grant_vault(
                &vk,
                recipient.public_identity(),
                role,
                &mut seeded_rng(arr32(&v["seed_hex"])),
            )
            .unwrap();
        assert_eq!(ser(&again), v["grant"]);
        assert_eq!(
            hex::encode(VaultGrant::hpke_info(
                &vk.vault_id(),
                vk.key_version(),
                &sender_id,
                recipient.public_identity()
            )),
            v["hpke_info_hex"]
        );
        assert_eq!(recipient.open_grant(&grant, &sender_id).unwrap(), vk);
    }
}

#[test]
fn fingerprint() {
    for v in load("fingerprint") {
        let id: PublicIdentity = de(&v["identity"]);
        if is_fail(&v) {
            assert_eq!(code(id.verify()), v["error"]);
            continue;
        }
        id.verify().unwrap();
        assert_eq!(id.fingerprint(), v["fingerprint"]);
    }
}

#[test]
fn shamir() {
    for v in load("shamir") {
        if is_fail(&v) {
            let r = match v.get("share_text") {
                Some(t) => Share::from_text(t.as_str().unwrap()).map(|_| ()),
                None => v["share_bytes_hex"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| Share::from_bytes(&unhex(h)))
                    .collect::<Result<Vec<Share>>>()
                    .and_then(|shares| shamir::combine(&shares).map(|_| ())),
            };
            assert_eq!(code(r), v["error"], "{}", v["name"]);
            continue;
        }
        let secret = unhex(&v["secret_hex"]);
        let k = v["threshold"].as_u64().unwrap() as u8;
        let shares = shamir::split(
            &secret,
            k,
            v["shares"].as_u64().unwrap() as u8,
            &mut seeded_rng(arr32(&v["seed_hex"])),
        )
        .unwrap();
        let texts: Vec<String> = shares.iter().map(Share::to_text).collect();
        assert_eq!(ser(&texts), v["share_texts"]);
        let parsed: Vec<Share> = v["share_texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| Share::from_text(t.as_str().unwrap()).unwrap())
            .collect();
        // Every window of `threshold` consecutive shares recovers the secret.
        for w in parsed.windows(usize::from(k)) {
            assert_eq!(shamir::combine(w).unwrap().expose_secret(), &secret[..]);
        }
        for (s, h) in shares.iter().zip(v["share_bytes_hex"].as_array().unwrap()) {
            assert_eq!(hex::encode(&s.to_bytes()[..]), h.as_str().unwrap());
        }
    }
}

fn js(v: &Value) -> String {
    v.to_string()
}

#[test]
fn srp() {
    use vault_core::srp::{
        ClientHello, ClientProof, ServerChallenge, SrpClient, SrpGroup, SrpRegistration, SrpServer,
    };
    for v in load("srp") {
        let id = v["identifier"].as_str().unwrap();
        let auth = SymmetricKey::from_bytes(arr32(&v["auth_key_hex"]));
        let group = [SrpGroup::Rfc5054_3072, SrpGroup::Rfc5054_4096]
            .into_iter()
            .find(|g| g.name() == v["group"])
            .unwrap();
        let record = SrpClient::register(
            id,
            &auth,
            group,
            &mut seeded_rng(arr32(&v["register_seed_hex"])),
        )
        .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&record.to_json()).unwrap(),
            v["registration"]
        );
        let (client, hello) = SrpClient::start(
            id,
            &auth,
            group,
            &mut seeded_rng(arr32(&v["client_seed_hex"])),
        )
        .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&hello.to_json()).unwrap(),
            v["client_hello"]
        );
        // The server side is driven from the committed messages, as a server would.
        let stored = SrpRegistration::from_json(&js(&v["registration"])).unwrap();
        let hello_in = ClientHello::from_json(&js(&v["client_hello"])).unwrap();
        let (server, challenge) = SrpServer::start(
            &stored,
            &hello_in,
            &mut seeded_rng(arr32(&v["server_seed_hex"])),
        )
        .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&challenge.to_json()).unwrap(),
            v["server_challenge"]
        );
        let (client, proof) = client
            .process_challenge(&ServerChallenge::from_json(&js(&v["server_challenge"])).unwrap())
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&proof.to_json()).unwrap(),
            v["client_proof"]
        );
        let (server_proof, server_key) = server
            .finish(&ClientProof::from_json(&js(&v["client_proof"])).unwrap())
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&server_proof.to_json()).unwrap(),
            v["server_proof"]
        );
        let key = client.verify_server(&server_proof).unwrap();
        assert_eq!(hex::encode(key.expose_secret()), v["session_key_hex"]);
        assert_eq!(key, server_key);

        let f = &v["fail_wrong_password"];
        let (server, _) = SrpServer::start(
            &stored,
            &hello_in,
            &mut seeded_rng(arr32(&v["server_seed_hex"])),
        )
        .unwrap();
        let bad = ClientProof::from_json(&js(&f["client_proof"])).unwrap();
        assert_eq!(code(server.finish(&bad)), f["error"]);
    }
}

#[test]
fn opaque() {
    use vault_core::opaque::*;
    for v in load("opaque") {
        let id = v["identifier"].as_str().unwrap();
        let auth = SymmetricKey::from_bytes(arr32(&v["auth_key_hex"]));
        if is_fail(&v) {
            let ke2 = Ke2::from_json(&js(&v["ke2"])).unwrap();
            let (login, ke1) = ClientLogin::start(id, &auth, &mut seeded_rng([0; 32])).unwrap();
            let _ = ke1;
            // The client's ephemeral state differs from the vector's, so any KE2
            // fails for it; the check that matters is the error code.
            assert_eq!(
                code(login.finish(&ke2, &mut seeded_rng([0; 32]))),
                v["error"],
                "{}",
                v["name"]
            );
            continue;
        }
        let s = |k: &str| seeded_rng(arr32(&v["seeds"][k]));
        let setup = ServerSetup::generate(&mut s("setup"));
        assert_eq!(
            serde_json::from_str::<Value>(setup.to_json().expose_secret()).unwrap(),
            v["server_setup"]
        );
        assert_eq!(hex::encode(setup.public_key()), v["server_public_key_hex"]);
        let (reg, request) =
            ClientRegistration::start(id, &auth, &mut s("registration_start")).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&request.to_json()).unwrap(),
            v["registration_request"]
        );
        let response = setup
            .registration_response(
                id,
                &RegistrationRequest::from_json(&js(&v["registration_request"])).unwrap(),
            )
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&response.to_json()).unwrap(),
            v["registration_response"]
        );
        let registered = reg
            .finish(&response, &mut s("registration_finish"))
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&registered.record.to_json()).unwrap(),
            v["registration_record"]
        );
        assert_eq!(
            hex::encode(registered.export_key.expose_secret()),
            v["export_key_hex"]
        );
        let record = RegistrationRecord::from_json(&js(&v["registration_record"])).unwrap();
        let (login, ke1) = ClientLogin::start(id, &auth, &mut s("login_start")).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&ke1.to_json()).unwrap(),
            v["ke1"]
        );
        let (server, ke2) = ServerLogin::start(
            &setup,
            id,
            Some(&record),
            &Ke1::from_json(&js(&v["ke1"])).unwrap(),
            &mut s("login_server"),
        )
        .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&ke2.to_json()).unwrap(),
            v["ke2"]
        );
        let done = login.finish(&ke2, &mut s("login_finish")).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&done.ke3.to_json()).unwrap(),
            v["ke3"]
        );
        assert_eq!(
            hex::encode(done.session_key.expose_secret()),
            v["session_key_hex"]
        );
        let server_key = server
            .finish(&Ke3::from_json(&js(&v["ke3"])).unwrap())
            .unwrap();
        assert_eq!(server_key, done.session_key);
    }
}

#[test]
fn prelogin() {
    use vault_core::prelogin::PreloginServer;
    use vault_core::srp::SrpGroup;
    for v in load("prelogin") {
        let server = PreloginServer::new(
            SymmetricKey::from_bytes(arr32(&v["server_secret_hex"])),
            de(&v["kdf_params"]),
            SrpGroup::Rfc5054_3072,
        );
        let id = v["identifier"].as_str().unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&server.fake_response(id).unwrap().to_json()).unwrap(),
            v["srp_response"]
        );
        assert_eq!(
            serde_json::from_str::<Value>(&server.respond_opaque(id, None).unwrap().to_json())
                .unwrap(),
            v["opaque_response"]
        );
        assert_eq!(
            serde_json::from_str::<Value>(&server.fake_srp_record(id).unwrap().to_json()).unwrap(),
            v["fake_srp_record"]
        );
    }
}

fn policy() -> KdfPolicy {
    KdfPolicy::PERMISSIVE_TEST_ONLY
}

/// The account a lifecycle vector works on: its record unlocked with the
/// account key the vector gives.
fn unlocked(record: &Value, account_key: &Value) -> (EncryptedAccount, UnlockedAccount) {
    let rec: EncryptedAccount = de(record);
    let acct = rec
        .unlock_with_account_key(SymmetricKey::from_bytes(arr32(account_key)))
        .unwrap();
    (rec, acct)
}

fn opt_key(v: &Value) -> Option<SymmetricKey> {
    v.as_str()
        .map(|h| SymmetricKey::from_bytes(hex::decode(h).unwrap().try_into().unwrap()))
}

fn key_hex(a: &UnlockedAccount) -> String {
    hex::encode(a.account_key().expose_secret())
}

#[test]
fn lifecycle() {
    let mut cases = std::collections::BTreeMap::<String, usize>::new();
    for v in load("lifecycle") {
        let name = v["name"].as_str().unwrap();
        let case = v["case"].as_str().unwrap();
        *cases.entry(case.to_owned()).or_default() += 1;
        assert_eq!(is_fail(&v), v.get("error").is_some(), "{name}");
        match case {
            "context" => {
                let ctx: Context = de(&v["context"]);
                let alg: Algorithm = de(&v["algorithm"]);
                assert_eq!(u64::from(ctx.kind()), v["kind"].as_u64().unwrap());
                assert_eq!(
                    hex::encode(ctx.aad_bytes(1, alg).unwrap()),
                    v["aad_hex"],
                    "{name}"
                );
                let key = SymmetricKey::from_bytes(arr32(&v["key_hex"]));
                let pt = unhex(&v["plaintext_hex"]);
                let env = seal_with_nonce(&key, alg, &ctx, &unhex(&v["nonce_hex"]), &pt).unwrap();
                assert_eq!(hex::encode(env.as_bytes()), v["envelope_hex"], "{name}");
                assert_eq!(env.to_text(), v["envelope_text"]);
                assert_eq!(&env.open(&key, &ctx).unwrap()[..], &pt[..]);
            }
            "device_unlock" => {
                let (rec, acct) = unlocked(&v["record"], &v["account_key_hex"]);
                let device: DeviceId = de(&v["device"]);
                let mut rng = seeded_rng(arr32(&v["seed_hex"]));
                let (key, wrap) = if v["generate_key"].as_bool().unwrap() {
                    acct.enable_device_unlock(device, &mut rng).unwrap()
                } else {
                    let key = SymmetricKey::from_bytes(arr32(&v["device_key_hex"]));
                    let wrap = acct.device_unlock_with_key(device, &key, &mut rng).unwrap();
                    (key, wrap)
                };
                assert_eq!(hex::encode(key.expose_secret()), v["device_key_hex"]);
                assert_eq!(ser(&wrap), v["wrap"], "{name}");
                assert_eq!(wrap.generation, rec.key_generation);
                let stored = DeviceUnlock::from_json(&js(&v["wrap"])).unwrap();
                assert_eq!(
                    key_hex(&stored.unlock(&key, &rec).unwrap()),
                    v["account_key_hex"]
                );
            }
            "pin_unlock" => {
                let (rec, acct) = unlocked(&v["record"], &v["account_key_hex"]);
                let secret = opt_key(&v["device_secret_hex"]);
                let wrap = acct
                    .enable_pin_unlock(
                        de(&v["device"]),
                        v["pin"].as_str().unwrap(),
                        de(&v["params"]),
                        secret.as_ref(),
                        v["max_attempts"].as_u64().unwrap() as u8,
                        &mut seeded_rng(arr32(&v["seed_hex"])),
                    )
                    .unwrap();
                assert_eq!(ser(&wrap), v["wrap"], "{name}");
                let st = kdf::stretch(v["pin"].as_str().unwrap(), &wrap.kdf.salt, &wrap.kdf.params)
                    .unwrap();
                assert_eq!(hex::encode(st.expose_secret()), v["stretched_hex"]);
                let mut state = PinUnlock::from_json(&js(&v["wrap"])).unwrap();
                for (i, a) in v["attempts"].as_array().unwrap().iter().enumerate() {
                    let r = state.unlock(
                        a["pin"].as_str().unwrap(),
                        opt_key(&a["device_secret_hex"]).as_ref(),
                        &rec,
                        &policy(),
                    );
                    match a["error"].as_str() {
                        None => assert_eq!(key_hex(&r.unwrap()), v["account_key_hex"]),
                        Some(c) => assert_eq!(code(r), c, "{name} attempt {i}"),
                    }
                    assert_eq!(ser(&state), a["state"], "{name} attempt {i}");
                    // What an app persists after each attempt reads back the same.
                    state = PinUnlock::from_json(&js(&a["state"])).unwrap();
                }
            }
            "recovery_kit" => {
                let (rec, acct) = unlocked(&v["record"], &v["account_key_hex"]);
                let (key, wrap) = acct
                    .create_recovery_kit(&mut seeded_rng(arr32(&v["seed_hex"])))
                    .unwrap();
                assert_eq!(hex::encode(key.expose_secret()), v["recovery_key_hex"]);
                assert_eq!(key.to_words().expose_secret(), v["words"]);
                assert_eq!(ser(&wrap), v["wrap"], "{name}");
                assert_eq!(
                    hex::encode(key.auth_token().expose_secret()),
                    v["auth_token_hex"]
                );
                for t in v["also_parses"].as_array().unwrap() {
                    assert_eq!(RecoveryKey::from_words(t.as_str().unwrap()).unwrap(), key);
                }
                let stored = RecoveryWrap::from_json(&js(&v["wrap"])).unwrap();
                assert!(stored.check_auth_token(&key.auth_token()));
                assert!(!stored.check_auth_token(&acct.account_key().clone()));
                let from_words = RecoveryKey::from_words(v["words"].as_str().unwrap()).unwrap();
                assert_eq!(
                    key_hex(&stored.recover(&from_words, &rec).unwrap()),
                    v["account_key_hex"]
                );
            }
            "recovery_words" => {
                let text = v["words"].as_str().unwrap();
                if is_fail(&v) {
                    assert_eq!(code(RecoveryKey::from_words(text)), v["error"], "{name}");
                    continue;
                }
                let key = RecoveryKey::from_bytes(arr32(&v["recovery_key_hex"]));
                assert_eq!(key.to_words().expose_secret(), text, "{name}");
                assert_eq!(RecoveryKey::from_words(text).unwrap(), key);
            }
            "recovery_split" => {
                let key = RecoveryKey::from_bytes(arr32(&v["recovery_key_hex"]));
                assert_eq!(key.to_words().expose_secret(), v["words"]);
                let k = v["threshold"].as_u64().unwrap() as u8;
                let shares = key
                    .split(
                        k,
                        v["shares"].as_u64().unwrap() as u8,
                        &mut seeded_rng(arr32(&v["seed_hex"])),
                    )
                    .unwrap();
                let texts: Vec<String> = shares.iter().map(Share::to_text).collect();
                assert_eq!(ser(&texts), v["share_texts"]);
                for (s, h) in shares.iter().zip(v["share_bytes_hex"].as_array().unwrap()) {
                    assert_eq!(hex::encode(&s.to_bytes()[..]), h.as_str().unwrap());
                }
                let parsed: Vec<Share> = v["share_texts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| Share::from_text(t.as_str().unwrap()).unwrap())
                    .collect();
                for w in parsed.windows(usize::from(k)) {
                    assert_eq!(RecoveryKey::combine(w).unwrap(), key);
                }
            }
            "rotation" => {
                let (rec, acct) = unlocked(&v["record"], &v["account_key_hex"]);
                let own: Vec<WrappedVaultKey> = de(&v["own_wraps"]);
                let password = v["password"].as_str().unwrap();
                let (new, change) = acct
                    .rotate_account_key(
                        &rec,
                        password,
                        None,
                        &policy(),
                        &own,
                        &mut seeded_rng(arr32(&v["seed_hex"])),
                    )
                    .unwrap();
                assert_eq!(key_hex(&new), v["new_account_key_hex"]);
                assert_eq!(ser(&change), v["change"], "{name}");
                let stored = AccountKeyRotation::from_json(&js(&v["change"])).unwrap();
                stored.check_against(&rec).unwrap();
                assert_eq!(stored.record.key_generation, rec.key_generation + 1);
                let again = stored.record.unlock(password, None, &policy()).unwrap();
                assert_eq!(key_hex(&again), v["new_account_key_hex"]);
                assert_eq!(again.key_generation(), stored.record.key_generation);
                let want = v["vault_keys"].as_array().unwrap();
                assert_eq!(stored.vault_keys.len(), want.len());
                for (w, k) in stored.vault_keys.iter().zip(want) {
                    assert_eq!(again.unwrap_vault_key(w).unwrap(), vault_key(k));
                    assert!(acct.unwrap_vault_key(w).is_err());
                }
                assert_eq!(
                    code(
                        stored
                            .record
                            .unlock_with_account_key(acct.account_key().clone())
                    ),
                    v["fail_old_account_key_on_new_record"]
                );
            }
            "device_open" => {
                let rec: EncryptedAccount = de(&v["record"]);
                let wrap = DeviceUnlock::from_json(&js(&v["wrap"])).unwrap();
                let key = SymmetricKey::from_bytes(arr32(&v["device_key_hex"]));
                assert_eq!(code(wrap.unlock(&key, &rec)), v["error"], "{name}");
            }
            "pin_attempt" => {
                let rec: EncryptedAccount = de(&v["record"]);
                let mut state = PinUnlock::from_json(&js(&v["before"])).unwrap();
                let r = state.unlock(
                    v["pin"].as_str().unwrap(),
                    opt_key(&v["device_secret_hex"]).as_ref(),
                    &rec,
                    &policy(),
                );
                assert_eq!(code(r), v["error"], "{name}");
                assert_eq!(ser(&state), v["state"], "{name}");
            }
            "recovery_open" => {
                let rec: EncryptedAccount = de(&v["record"]);
                let wrap = RecoveryWrap::from_json(&js(&v["wrap"])).unwrap();
                let r = RecoveryKey::from_words(v["words"].as_str().unwrap())
                    .and_then(|k| wrap.recover(&k, &rec));
                assert_eq!(code(r), v["error"], "{name}");
            }
            "record_unlock" => {
                let r = EncryptedAccount::from_json(&js(&v["record"]))
                    .and_then(|rec| rec.unlock(v["password"].as_str().unwrap(), None, &policy()));
                assert_eq!(code(r), v["error"], "{name}");
            }
            "rotate" => {
                let (_, acct) = unlocked(&v["unlock_record"], &v["account_key_hex"]);
                let current: EncryptedAccount = de(&v["record"]);
                let r = acct.rotate_account_key(
                    &current,
                    v["password"].as_str().unwrap(),
                    None,
                    &policy(),
                    &[],
                    &mut seeded_rng([0; 32]),
                );
                assert_eq!(code(r), v["error"], "{name}");
            }
            "parse" => {
                let text = v["json"].as_str().unwrap();
                let got = match v["type"].as_str().unwrap() {
                    "device_unlock" => code(DeviceUnlock::from_json(text)),
                    "pin_unlock" => code(PinUnlock::from_json(text)),
                    "recovery_wrap" => code(RecoveryWrap::from_json(text)),
                    "account_key_rotation" => code(AccountKeyRotation::from_json(text)),
                    other => panic!("unknown type {other}"),
                };
                assert_eq!(got, v["error"], "{name}");
            }
            other => panic!("{name}: unknown case {other}"),
        }
    }
    for (case, min) in [
        ("context", 8),
        ("device_unlock", 3),
        ("pin_unlock", 2),
        ("recovery_kit", 1),
        ("recovery_words", 4),
        ("recovery_split", 1),
        ("rotation", 1),
        ("device_open", 3),
        ("pin_attempt", 3),
        ("recovery_open", 2),
        ("record_unlock", 2),
        ("rotate", 2),
        ("parse", 4),
    ] {
        assert!(
            cases.get(case).copied().unwrap_or(0) >= min,
            "{case}: {cases:?}"
        );
    }
}

#[test]
fn ed25519() {
    use vault_core::hazmat::primitives::{ed25519_sign, ed25519_verify};
    let (mut passed, mut failed, mut identities) = (0, 0, 0);
    for v in load("ed25519") {
        let name = v["name"].as_str().unwrap();
        let got = match v["case"].as_str().unwrap() {
            "verify" => {
                let (pk, msg, sig) = (
                    unhex(&v["public_key_hex"]),
                    unhex(&v["message_hex"]),
                    unhex(&v["signature_hex"]),
                );
                code(ed25519_verify(&pk, &msg, &sig))
            }
            "identity" => {
                identities += 1;
                let id: PublicIdentity = de(&v["identity"]);
                assert_eq!(ser(&id), v["identity"], "{name}");
                code(id.verify())
            }
            other => panic!("{name}: unknown case {other}"),
        };
        if is_fail(&v) {
            failed += 1;
            assert_eq!(got, v["error"], "{name}");
        } else {
            passed += 1;
            assert_eq!(got, "NO ERROR", "{name}");
        }
    }
    assert!(passed >= 4 && failed >= 15 && identities >= 4);
    // The RFC 8032 vectors are also reproduced by signing.
    for v in load("ed25519") {
        let name = v["name"].as_str().unwrap();
        let seed = match name {
            "rfc8032_test1" | "signed_message" => {
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
            }
            "rfc8032_test2" => "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            _ => continue,
        };
        let seed: [u8; 32] = hex::decode(seed).unwrap().try_into().unwrap();
        assert_eq!(
            hex::encode(ed25519_sign(&seed, &unhex(&v["message_hex"]))),
            v["signature_hex"],
            "{name}"
        );
    }
}

#[test]
fn identifiers() {
    use vault_core::identifier::normalize_identifier;
    let (mut accepted, mut refused) = (0, 0);
    for v in load("identifiers") {
        let name = v["name"].as_str().unwrap();
        let input = v["input"].as_str().unwrap();
        if is_fail(&v) {
            refused += 1;
            assert_eq!(code(normalize_identifier(input)), v["error"], "{name}");
            continue;
        }
        accepted += 1;
        let canonical = v["canonical"].as_str().unwrap();
        assert_eq!(normalize_identifier(input).unwrap(), canonical, "{name}");
        assert_eq!(
            normalize_identifier(canonical).unwrap(),
            canonical,
            "{name}: idempotent"
        );
        assert!(
            vault_core::identifier::same_identifier(input, canonical),
            "{name}"
        );
    }
    assert!(
        accepted >= 20 && refused >= 15,
        "{accepted} accepted, {refused} refused"
    );
}

#[test]
fn sync() {
    use vault_core::sync::wire::{PullPage, PullRequest, PushRequest, PushResponse};
    fn canonical(kind: &str, json: &str) -> Result<String> {
        match kind {
            "pull_request" => PullRequest::from_json(json).map(|m| m.to_json()),
            "pull_page" => PullPage::from_json(json).map(|m| m.to_json()),
            "push_request" => PushRequest::from_json(json).map(|m| m.to_json()),
            "push_response" => PushResponse::from_json(json).map(|m| m.to_json()),
            other => panic!("unknown wire message type {other}"),
        }
    }
    let mut kinds = std::collections::BTreeMap::<String, (u32, u32)>::new();
    for v in load("sync") {
        let name = v["name"].as_str().unwrap();
        let kind = v["type"].as_str().unwrap();
        let json = v["json"].as_str().unwrap();
        let counts = kinds.entry(kind.to_owned()).or_default();
        if is_fail(&v) {
            counts.1 += 1;
            assert_eq!(code(canonical(kind, json)), v["error"], "{name}");
            continue;
        }
        counts.0 += 1;
        let want = v["canonical"].as_str().unwrap();
        assert_eq!(canonical(kind, json).unwrap(), want, "{name}");
        assert_eq!(
            canonical(kind, want).unwrap(),
            want,
            "{name}: canonical is a fixed point"
        );
    }
    for kind in ["pull_request", "pull_page", "push_request", "push_response"] {
        let (ok, fail) = kinds.get(kind).copied().unwrap_or_default();
        assert!(
            ok >= 2 && fail >= 1,
            "{kind}: {ok} valid, {fail} failure vectors"
        );
    }
}
