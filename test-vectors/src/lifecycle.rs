//! `lifecycle.json`: quick unlock (device key, PIN), the recovery kit (words,
//! wrap, Shamir split) and account key rotation, with their failure cases.
//!
//! Every vector carries a `case` naming the operation it replays; all use one
//! account (seeded, password `LIFECYCLE_PASSWORD`) and, after its rotation,
//! the generation-2 record of that same account.

use serde_json::{Value, json};
use vault_core::hazmat::{seal_with_nonce, seeded_rng};
use vault_core::*;

use super::{VECTOR_PARAMS, ctx_json, err_code, file, hx, seed, vault_key_json};

/// The password of the lifecycle account.
const LIFECYCLE_PASSWORD: &str = "correct horse battery staple";
/// The PIN of the PIN vectors.
const PIN: &str = "482913";
/// Argon2id params of the PIN wraps (their own, not the password's).
const PIN_PARAMS: KdfParams = KdfParams::INSECURE_TEST_ONLY;

fn device(tag: u8) -> DeviceId {
    DeviceId(core::array::from_fn(|i| tag ^ (i as u8)))
}

fn js<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or_default()
}

fn words_of(key: &RecoveryKey) -> String {
    key.to_words().expose_secret().to_owned()
}

/// The PIN-derived wrapping key, recomputed here for independent decoders
/// (docs/format.md §14.2): HKDF(salt = device secret, ikm = Argon2id(PIN)).
fn pin_key(
    pin: &str,
    secret: Option<&SymmetricKey>,
    kdf: &KdfConfig,
) -> Result<(SymmetricKey, SymmetricKey)> {
    let stretched = kdf::stretch(pin, &kdf.salt, &kdf.params)?;
    let key = kdf::hkdf_sha256(
        secret.map(|s| &s.expose_secret()[..]),
        stretched.expose_secret(),
        b"VLT1 pin-unlock",
    );
    Ok((stretched, key))
}

/// One PIN attempt: its inputs, the error code (or null) and the record after it.
fn attempt(
    state: &mut PinUnlock,
    pin: &str,
    secret: Option<&SymmetricKey>,
    record: &EncryptedAccount,
) -> Value {
    let r = state.unlock(pin, secret, record, &KdfPolicy::PERMISSIVE_TEST_ONLY);
    json!({
        "pin": pin,
        "device_secret_hex": secret.map(|s| hx(s.expose_secret())),
        "error": r.err().map(|e| e.code()),
        "state": js(state),
    })
}

/// Every lifecycle vector.
pub(crate) fn lifecycle_vectors() -> Result<super::VectorFile> {
    let mut v = Vec::new();
    let policy = KdfPolicy::PERMISSIVE_TEST_ONLY;
    let account_seed = seed("lifecycle/account");
    let (acct, creds) = UnlockedAccount::create(
        LIFECYCLE_PASSWORD,
        None,
        VECTOR_PARAMS,
        &mut seeded_rng(account_seed),
    )?;
    let record = creds.encrypted;
    let account_key_hex = hx(acct.account_key().expose_secret());

    // ---- the four new contexts, both algorithms ---------------------------
    let ctx_key = SymmetricKey::from_bytes(core::array::from_fn(|i| 0x60 + i as u8));
    let account = acct.account_id();
    let contexts = [
        Context::AccountKeyGeneration {
            account,
            generation: 2,
        },
        Context::DeviceUnlock {
            account,
            device: device(0xd1),
            generation: 1,
        },
        Context::PinUnlock {
            account,
            device: device(0xd1),
            generation: 0x0102_0304,
        },
        Context::RecoveryKey {
            account,
            generation: 7,
        },
    ];
    for (i, ctx) in contexts.iter().enumerate() {
        for alg in [Algorithm::XChaCha20Poly1305, Algorithm::Aes256Gcm] {
            let nonce: Vec<u8> = (0..alg.nonce_len())
                .map(|j| (0x80 + i * 16 + j) as u8)
                .collect();
            let pt = [0x42u8; 32];
            let env = seal_with_nonce(&ctx_key, alg, ctx, &nonce, &pt)?;
            v.push(json!({
                "name": format!("context_{}_{}", ctx_json(ctx)["kind"].as_str().unwrap_or(""), alg.id()),
                "case": "context",
                "key_hex": hx(ctx_key.expose_secret()),
                "algorithm": alg,
                "context": ctx_json(ctx),
                "kind": ctx.kind(),
                "aad_hex": hx(&ctx.aad_bytes(1, alg)?),
                "nonce_hex": hx(&nonce),
                "plaintext_hex": hx(&pt),
                "envelope_hex": hx(env.as_bytes()),
                "envelope_text": env.to_text(),
            }));
        }
    }

    // ---- device unlock -----------------------------------------------------
    let dev = device(0xd1);
    let s = seed("lifecycle/device/enable");
    let (device_key, device_wrap) = acct.enable_device_unlock(dev, &mut seeded_rng(s))?;
    let unlocked = device_wrap.unlock(&device_key, &record)?;
    if unlocked.account_key() != acct.account_key() {
        return Err(Error::Decrypt);
    }
    v.push(json!({
        "name": "device_unlock_enable",
        "case": "device_unlock",
        "generate_key": true,
        "record": record,
        "account_key_hex": account_key_hex,
        "device": dev,
        "seed_hex": hx(&s),
        "device_key_hex": hx(device_key.expose_secret()),
        "wrap": device_wrap,
    }));
    let fixed_device_key = SymmetricKey::from_bytes([0x5d; 32]);
    let s = seed("lifecycle/device/with_key");
    let dev2 = device(0xd2);
    let wrap2 = acct.device_unlock_with_key(dev2, &fixed_device_key, &mut seeded_rng(s))?;
    v.push(json!({
        "name": "device_unlock_with_key",
        "case": "device_unlock",
        "generate_key": false,
        "record": record,
        "account_key_hex": account_key_hex,
        "device": dev2,
        "seed_hex": hx(&s),
        "device_key_hex": hx(fixed_device_key.expose_secret()),
        "wrap": wrap2,
    }));

    // ---- PIN unlock --------------------------------------------------------
    let device_secret = SymmetricKey::from_bytes(core::array::from_fn(|i| 0xa0 ^ i as u8));
    let other_secret = SymmetricKey::from_bytes([0x0b; 32]);
    let mut pin_gen1: Option<PinUnlock> = None;
    for (name, secret) in [
        ("pin_unlock", None),
        ("pin_unlock_device_bound", Some(&device_secret)),
    ] {
        let s = seed(&format!("lifecycle/{name}"));
        let wrap = acct.enable_pin_unlock(dev, PIN, PIN_PARAMS, secret, 3, &mut seeded_rng(s))?;
        let (stretched, key) = pin_key(PIN, secret, &wrap.kdf)?;
        let mut state = wrap.clone();
        let attempts: Vec<Value> = match secret {
            None => vec![
                attempt(&mut state, "000000", None, &record),
                attempt(&mut state, PIN, None, &record),
                attempt(&mut state, "111111", None, &record),
                attempt(&mut state, "222222", None, &record),
                attempt(&mut state, "333333", None, &record),
                attempt(&mut state, PIN, None, &record),
            ],
            Some(sec) => vec![
                attempt(&mut state, PIN, None, &record),
                attempt(&mut state, PIN, Some(&other_secret), &record),
                attempt(&mut state, PIN, Some(sec), &record),
            ],
        };
        if secret.is_none() {
            pin_gen1 = Some(wrap.clone());
        }
        v.push(json!({
            "name": name,
            "case": "pin_unlock",
            "record": record,
            "account_key_hex": account_key_hex,
            "device": dev,
            "pin": PIN,
            "params": PIN_PARAMS,
            "device_secret_hex": secret.map(|k| hx(k.expose_secret())),
            "max_attempts": 3,
            "seed_hex": hx(&s),
            "stretched_hex": hx(stretched.expose_secret()),
            "pin_key_hex": hx(key.expose_secret()),
            "wrap": wrap,
            "attempts": attempts,
        }));
    }
    let pin_gen1 = pin_gen1.ok_or(Error::InvalidArgument("no PIN wrap"))?;

    // ---- recovery kit ------------------------------------------------------
    let s = seed("lifecycle/recovery");
    let (rk, recovery_wrap) = acct.create_recovery_kit(&mut seeded_rng(s))?;
    let words = words_of(&rk);
    let wrap_key = kdf::hkdf_sha256(None, rk.expose_secret(), b"VLT1 recovery-wrap");
    v.push(json!({
        "name": "recovery_kit",
        "case": "recovery_kit",
        "record": record,
        "account_key_hex": account_key_hex,
        "seed_hex": hx(&s),
        "recovery_key_hex": hx(rk.expose_secret()),
        "words": words,
        "also_parses": [
            words.to_uppercase(),
            format!("  {}\n", words.replace(' ', " \t\n ")),
        ],
        "wrap_key_hex": hx(wrap_key.expose_secret()),
        "auth_token_hex": hx(rk.auth_token().expose_secret()),
        "wrap": recovery_wrap,
    }));
    for (name, bytes) in [
        ("recovery_words_zeros", [0u8; 32]),
        ("recovery_words_ones", [0xff; 32]),
        (
            "recovery_words_pattern",
            core::array::from_fn(|i| (i * 8) as u8),
        ),
    ] {
        let k = RecoveryKey::from_bytes(bytes);
        v.push(json!({
            "name": name,
            "case": "recovery_words",
            "recovery_key_hex": hx(&bytes),
            "words": words_of(&k),
        }));
    }
    let s = seed("lifecycle/recovery/split");
    let shares = rk.split(2, 3, &mut seeded_rng(s))?;
    v.push(json!({
        "name": "recovery_split",
        "case": "recovery_split",
        "recovery_key_hex": hx(rk.expose_secret()),
        "words": words,
        "threshold": 2,
        "shares": 3,
        "seed_hex": hx(&s),
        "share_texts": shares.iter().map(Share::to_text).collect::<Vec<_>>(),
        "share_bytes_hex": shares.iter().map(|s| hx(&s.to_bytes())).collect::<Vec<_>>(),
    }));

    // ---- account key rotation ----------------------------------------------
    let mut vault_keys = Vec::new();
    let mut own_wraps = Vec::new();
    for i in 0..2 {
        let meta = VaultMeta {
            name: format!("Vault {i}"),
            description: String::new(),
        };
        let (vk, _, wrapped) = acct.create_vault(
            &meta,
            &mut seeded_rng(seed(&format!("lifecycle/vault/{i}"))),
        )?;
        vault_keys.push(vault_key_json(&vk));
        own_wraps.push(wrapped);
    }
    let s = seed("lifecycle/rotate");
    let (rotated, change) = acct.rotate_account_key(
        &record,
        LIFECYCLE_PASSWORD,
        None,
        &policy,
        &own_wraps,
        &mut seeded_rng(s),
    )?;
    change.check_against(&record)?;
    let record2 = change.record.clone();
    let new_key_hex = hx(rotated.account_key().expose_secret());
    v.push(json!({
        "name": "rotate_account_key",
        "case": "rotation",
        "record": record,
        "password": LIFECYCLE_PASSWORD,
        "account_seed_hex": hx(&account_seed),
        "account_key_hex": account_key_hex,
        "own_wraps": own_wraps,
        "vault_keys": vault_keys,
        "seed_hex": hx(&s),
        "new_account_key_hex": new_key_hex,
        "change": change,
        "fail_old_account_key_on_new_record": err_code(record2.unlock_with_account_key(acct.account_key().clone())),
    }));
    let s = seed("lifecycle/device/after_rotation");
    let wrap_gen2 = rotated.device_unlock_with_key(dev, &fixed_device_key, &mut seeded_rng(s))?;
    v.push(json!({
        "name": "device_unlock_after_rotation",
        "case": "device_unlock",
        "generate_key": false,
        "record": record2,
        "account_key_hex": new_key_hex,
        "device": dev,
        "seed_hex": hx(&s),
        "device_key_hex": hx(fixed_device_key.expose_secret()),
        "wrap": wrap_gen2,
    }));

    // ---- failures: device wraps --------------------------------------------
    let device_open =
        |name: &str, wrap: &DeviceUnlock, key: &SymmetricKey, rec: &EncryptedAccount| {
            json!({
                "name": name,
                "case": "device_open",
                "record": rec,
                "wrap": wrap,
                "device_key_hex": hx(key.expose_secret()),
                "error": err_code(wrap.unlock(key, rec)),
            })
        };
    let mut moved = device_wrap.clone();
    moved.device = device(0xd9);
    v.push(device_open(
        "fail_wrong_device_id",
        &moved,
        &device_key,
        &record,
    ));
    v.push(device_open(
        "fail_wrong_device_key",
        &device_wrap,
        &fixed_device_key,
        &record,
    ));
    v.push(device_open(
        "fail_stale_device_wrap",
        &device_wrap,
        &device_key,
        &record2,
    ));
    let mut relabelled = device_wrap.clone();
    relabelled.generation = 2;
    v.push(device_open(
        "fail_relabelled_device_wrap",
        &relabelled,
        &device_key,
        &record2,
    ));

    // ---- failures: PIN -----------------------------------------------------
    let pin_attempt = |name: &str,
                       state: &PinUnlock,
                       pin: &str,
                       secret: Option<&SymmetricKey>,
                       rec: &EncryptedAccount| {
        let mut after = state.clone();
        let mut a = attempt(&mut after, pin, secret, rec);
        a["name"] = json!(name);
        a["case"] = json!("pin_attempt");
        a["record"] = js(rec);
        a["before"] = js(state);
        a
    };
    v.push(pin_attempt(
        "fail_wrong_pin",
        &pin_gen1,
        "000000",
        None,
        &record,
    ));
    let mut last_chance = pin_gen1.clone();
    last_chance.failed_attempts = 2;
    v.push(pin_attempt(
        "fail_pin_locked_out",
        &last_chance,
        "000000",
        None,
        &record,
    ));
    v.push(pin_attempt(
        "fail_pin_unexpected_device_secret",
        &pin_gen1,
        PIN,
        Some(&device_secret),
        &record,
    ));
    v.push(pin_attempt(
        "fail_stale_pin_wrap",
        &pin_gen1,
        PIN,
        None,
        &record2,
    ));
    let mut relabelled = pin_gen1.clone();
    relabelled.generation = 2;
    v.push(pin_attempt(
        "fail_relabelled_pin_wrap",
        &relabelled,
        PIN,
        None,
        &record2,
    ));

    // ---- failures: recovery ------------------------------------------------
    let recovery_open = |name: &str, wrap: &RecoveryWrap, words: &str, rec: &EncryptedAccount| {
        json!({
            "name": name,
            "case": "recovery_open",
            "record": rec,
            "wrap": wrap,
            "words": words,
            "error": err_code(RecoveryKey::from_words(words).and_then(|k| wrap.recover(&k, rec))),
        })
    };
    let other_words = words_of(&RecoveryKey::from_bytes([0x33; 32]));
    v.push(recovery_open(
        "fail_wrong_recovery_key",
        &recovery_wrap,
        &other_words,
        &record,
    ));
    v.push(recovery_open(
        "fail_stale_recovery_wrap",
        &recovery_wrap,
        &words,
        &record2,
    ));
    let mut relabelled = recovery_wrap.clone();
    relabelled.generation = 2;
    v.push(recovery_open(
        "fail_relabelled_recovery_wrap",
        &relabelled,
        &words,
        &record2,
    ));
    let mut w: Vec<&str> = words.split(' ').collect();
    let swap = if w.get(5) == Some(&"abandon") {
        "ability"
    } else {
        "abandon"
    };
    if let Some(slot) = w.get_mut(5) {
        *slot = swap;
    }
    let typo = w.join(" ");
    if let Some(slot) = w.get_mut(5) {
        *slot = "vaultx";
    }
    let unknown = w.join(" ");
    let twelve = words.split(' ').take(12).collect::<Vec<_>>().join(" ");
    for (name, text) in [
        ("fail_bad_recovery_checksum", typo),
        ("fail_recovery_unknown_word", unknown),
        ("fail_recovery_twelve_words", twelve),
        (
            "fail_recovery_bip39_twelve_word_phrase",
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about".to_owned(),
        ),
    ] {
        v.push(json!({
            "name": name,
            "case": "recovery_words",
            "words": text,
            "error": err_code(RecoveryKey::from_words(&text)),
        }));
    }

    // ---- failures: account records and rotation ----------------------------
    let record_unlock = |name: &str, rec: Value| -> Value {
        let parsed: Result<EncryptedAccount> = EncryptedAccount::from_json(&rec.to_string());
        let error = err_code(parsed.and_then(|r| r.unlock(LIFECYCLE_PASSWORD, None, &policy)));
        json!({"name": name, "case": "record_unlock", "record": rec, "password": LIFECYCLE_PASSWORD, "error": error})
    };
    let mut down = js(&record2);
    if let Some(o) = down.as_object_mut() {
        o.remove("key_generation");
    }
    v.push(record_unlock("fail_relabelled_record_generation", down));
    let mut up = js(&record2);
    up["key_generation"] = json!(3);
    v.push(record_unlock("fail_relabelled_record_generation_up", up));
    let mut gen2_as_1 = js(&record);
    gen2_as_1["key_generation"] = json!(2);
    v.push(record_unlock(
        "fail_generation_one_record_relabelled",
        gen2_as_1,
    ));
    let mut zero = js(&record);
    zero["key_generation"] = json!(0);
    v.push(record_unlock("fail_record_generation_zero", zero));

    let rotate = |name: &str,
                  unlocked: &UnlockedAccount,
                  unlock_record: &EncryptedAccount,
                  current: &EncryptedAccount,
                  password: &str| {
        json!({
            "name": name,
            "case": "rotate",
            "unlock_record": unlock_record,
            "account_key_hex": hx(unlocked.account_key().expose_secret()),
            "record": current,
            "password": password,
            "error": err_code(unlocked.rotate_account_key(current, password, None, &policy, &[], &mut seeded_rng([0; 32]))),
        })
    };
    v.push(rotate(
        "fail_rotate_from_stale_record",
        &rotated,
        &record2,
        &record,
        LIFECYCLE_PASSWORD,
    ));
    v.push(rotate(
        "fail_rotate_wrong_password",
        &acct,
        &record,
        &record,
        "wrong password",
    ));

    // ---- failures: parsing the stored records ------------------------------
    let parse = |name: &str, what: &str, doc: Value| -> Value {
        let text = doc.to_string();
        let error = match what {
            "device_unlock" => err_code(DeviceUnlock::from_json(&text)),
            "pin_unlock" => err_code(PinUnlock::from_json(&text)),
            "recovery_wrap" => err_code(RecoveryWrap::from_json(&text)),
            _ => err_code(AccountKeyRotation::from_json(&text)),
        };
        json!({"name": name, "case": "parse", "type": what, "json": text, "error": error})
    };
    let mut d = js(&device_wrap);
    d["v"] = json!(2);
    v.push(parse(
        "fail_device_unlock_unknown_version",
        "device_unlock",
        d,
    ));
    let mut p = js(&pin_gen1);
    p["attempts_left"] = json!(3);
    v.push(parse("fail_pin_unlock_unknown_field", "pin_unlock", p));
    let mut p = js(&pin_gen1);
    p["v"] = json!(0);
    v.push(parse("fail_pin_unlock_unknown_version", "pin_unlock", p));
    let mut r = js(&recovery_wrap);
    r["v"] = json!(2);
    v.push(parse(
        "fail_recovery_wrap_unknown_version",
        "recovery_wrap",
        r,
    ));
    let mut r = js(&recovery_wrap);
    r["verifier"] = json!(encoding::b64_encode(&[1u8; 31]));
    v.push(parse(
        "fail_recovery_wrap_short_verifier",
        "recovery_wrap",
        r,
    ));
    let mut c = js(&change);
    c["record"]["surprise"] = json!(true);
    v.push(parse(
        "fail_rotation_unknown_field",
        "account_key_rotation",
        c,
    ));

    Ok(file(
        "lifecycle",
        "Account lifecycle (docs/format.md §14). One account: UnlockedAccount::create(password, no Secret Key, params 256/2/2) with seeded_rng(seed('lifecycle/account')); `record` is its record and account_key_hex its account key (vectors unlock `record` with it). Every vector has a `case`. context: sealing plaintext_hex under key_hex with the context and nonce gives envelope_hex (aad_hex is the associated data). device_unlock: enable_device_unlock(device, seeded_rng(seed_hex)) if generate_key (the key is then device_key_hex), else device_unlock_with_key(device, device_key_hex, seeded_rng(seed_hex)), gives `wrap`; wrap.unlock(device key, record) gives account_key_hex. pin_unlock: enable_pin_unlock(device, pin, params, device secret, max_attempts, seeded_rng(seed_hex)) gives `wrap` (stretched_hex = Argon2id(pin), pin_key_hex = the wrapping key); then each of `attempts` in order calls unlock(pin, device secret, record) on the same record, which fails with `error` (null: succeeds, giving account_key_hex) and leaves `state`. recovery_kit: create_recovery_kit(seeded_rng(seed_hex)) gives the key, its `words` and `wrap`; every `also_parses` text parses to the key; wrap.recover gives account_key_hex; SHA-256(auth token) is wrap.verifier. recovery_words: the key's 24 BIP-39 words (or, for fail_*, parsing `words` fails with `error`). recovery_split: RecoveryKey::split(threshold, shares, seeded_rng(seed_hex)). rotation: rotate_account_key(record, password, no Secret Key, permissive policy, own_wraps, seeded_rng(seed_hex)) on the account unlocked from `record` gives `change` and new_account_key_hex; vault_keys are what the re-wrapped own_wraps hold. fail_* cases: device_open (wrap.unlock(device key, record)), pin_attempt (unlock on `before`, leaving `state`), recovery_open (RecoveryKey::from_words(words) then wrap.recover(record)), record_unlock (parse `record`, unlock with the password), rotate (the account unlocked from unlock_record with account_key_hex rotates `record`), parse (from_json of `json` as `type`) fail with `error`. Unlocks use a permissive KDF policy.",
        v,
    ))
}
