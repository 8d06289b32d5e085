//! Vectors of key derivation, envelopes, Secret Keys and accounts.

use super::*;
use serde_json::{Value, json};
use vault_core::hazmat::{seal_with_nonce, seeded_rng};
use vault_core::*;

pub(crate) fn kdf_vectors() -> Result<VectorFile> {
    let mut v = Vec::new();
    let cases: [(&str, &str, Option<[u8; 16]>, KdfParams); 4] = [
        ("ascii", "correct horse battery staple", None, VECTOR_PARAMS),
        (
            "unicode_nfkd",
            "p\u{00e4}ssw\u{00f6}rd \u{212b}",
            None,
            VECTOR_PARAMS,
        ),
        (
            "with_secret_key",
            "hunter2",
            Some([0x5a; 16]),
            VECTOR_PARAMS,
        ),
        ("min_params", "", None, KdfParams::INSECURE_TEST_ONLY),
    ];
    for (i, (name, pw, sk, params)) in cases.into_iter().enumerate() {
        let salt = KdfSalt([i as u8 + 1; 16]);
        let cfg = KdfConfig { params, salt };
        let sk = sk.map(SecretKey::from_bytes);
        let stretched = kdf::stretch(pw, &salt, &params)?;
        let keys =
            kdf::derive_master_keys(pw, sk.as_ref(), &cfg, &KdfPolicy::PERMISSIVE_TEST_ONLY)?;
        v.push(json!({
            "name": name,
            "password": pw,
            "secret_key_hex": sk.as_ref().map(|s| hx(s.expose_secret())),
            "kdf": cfg,
            "stretched_hex": hx(stretched.expose_secret()),
            "auth_key_hex": hx(keys.auth_key.expose_secret()),
            "kek_hex": hx(keys.kek.expose_secret()),
        }));
    }
    // A server offering parameters below the default policy's floor.
    let weak = KdfConfig {
        params: KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        },
        salt: KdfSalt([9; 16]),
    };
    v.push(json!({
        "name": "fail_below_policy_floor",
        "password": "x",
        "kdf": weak,
        "policy": "default",
        "error": err_code(kdf::derive_master_keys("x", None, &weak, &KdfPolicy::default())),
    }));
    let huge = KdfConfig {
        params: KdfParams {
            memory_kib: 4 << 20,
            iterations: 3,
            parallelism: 4,
        },
        salt: KdfSalt([9; 16]),
    };
    v.push(json!({
        "name": "fail_above_policy_ceiling",
        "password": "x",
        "kdf": huge,
        "policy": "default",
        "error": err_code(kdf::derive_master_keys("x", None, &huge, &KdfPolicy::default())),
    }));
    Ok(file(
        "kdf",
        "Password KDF: NFKD(password) -> Argon2id v0x13 (32-byte output) -> optional Secret Key mix -> HKDF subkeys. policy 'default' means KdfPolicy::default(); vectors without a policy use a permissive one.",
        v,
    ))
}

pub(crate) fn hkdf_vectors() -> VectorFile {
    let mut v = Vec::new();
    for (name, stretched) in [
        ("zeros", [0u8; 32]),
        ("pattern", core::array::from_fn(|i| i as u8)),
    ] {
        let salt = KdfSalt([0xa5; 16]);
        let st = SymmetricKey::from_bytes(stretched);
        let plain = kdf::master_keys_from_stretched(&st, None, &salt);
        let sk = SecretKey::from_bytes([0x11; 16]);
        let mixed = kdf::master_keys_from_stretched(&st, Some(&sk), &salt);
        v.push(json!({
            "name": name,
            "stretched_hex": hx(&stretched),
            "salt": salt,
            "secret_key_hex": hx(sk.expose_secret()),
            "auth_key_hex": hx(plain.auth_key.expose_secret()),
            "kek_hex": hx(plain.kek.expose_secret()),
            "with_secret_key": {
                "auth_key_hex": hx(mixed.auth_key.expose_secret()),
                "kek_hex": hx(mixed.kek.expose_secret()),
            }
        }));
    }
    file(
        "hkdf",
        "Subkeys from the stretched key (see docs/format.md §1): HKDF-SHA256 with salt 'VLT1 stretched', info 'VLT1 auth' / 'VLT1 kek'; with a Secret Key, stretched ^= HKDF-SHA256(salt=kdf salt, ikm=secret key, info='VLT1 secret-key') first.",
        v,
    )
}

/// A context in its JSON form: vault-core's own serde (`{"kind": …, fields}`).
pub(crate) fn ctx_json(ctx: &Context) -> Value {
    serde_json::to_value(ctx).unwrap_or_default()
}

pub(crate) fn sample_contexts() -> Vec<Context> {
    let account = AccountId([0x11; 16]);
    let vault = VaultId([0x22; 16]);
    let item = ItemId([0x33; 16]);
    vec![
        Context::AccountKey { account },
        Context::IdentityKeys { account },
        Context::VaultKey {
            account,
            vault,
            key_version: 1,
        },
        Context::VaultMeta {
            vault,
            key_version: 7,
        },
        Context::ItemKey {
            vault,
            item,
            key_version: 2,
        },
        Context::ItemOverview {
            vault,
            item,
            revision: 1,
        },
        Context::ItemDetails {
            vault,
            item,
            revision: 0x0102_0304_0506_0708,
        },
    ]
}

pub(crate) fn envelope_vectors() -> Result<VectorFile> {
    let key = SymmetricKey::from_bytes(core::array::from_fn(|i| 0x40 + i as u8));
    let mut v = Vec::new();
    let plaintexts: [&[u8]; 3] = [b"", b"hello, vault", &[0xff; 100]];
    for (i, ctx) in sample_contexts().iter().enumerate() {
        for alg in [Algorithm::XChaCha20Poly1305, Algorithm::Aes256Gcm] {
            let nonce: Vec<u8> = (0..alg.nonce_len()).map(|j| (i * 16 + j) as u8).collect();
            let pt = plaintexts.get(i % 3).copied().unwrap_or_default();
            let env = seal_with_nonce(&key, alg, ctx, &nonce, pt)?;
            v.push(json!({
                "name": format!("{}_{}", ctx_json(ctx)["kind"].as_str().unwrap_or(""), alg.id()),
                "key_hex": hx(key.expose_secret()),
                "algorithm": alg,
                "context": ctx_json(ctx),
                "aad_hex": hx(&ctx.aad_bytes(1, alg)?),
                "nonce_hex": hx(&nonce),
                "plaintext_hex": hx(pt),
                "envelope_hex": hx(env.as_bytes()),
                "envelope_text": env.to_text(),
            }));
        }
    }
    // Failure cases, all derived from one good envelope.
    let ctx = Context::ItemDetails {
        vault: VaultId([0x22; 16]),
        item: ItemId([0x33; 16]),
        revision: 5,
    };
    let good = seal_with_nonce(
        &key,
        Algorithm::XChaCha20Poly1305,
        &ctx,
        &[7u8; 24],
        b"secret",
    )?;
    let open = |bytes: &[u8], c: &Context| -> String {
        err_code(Envelope::from_bytes(bytes.to_vec()).and_then(|e| e.open(&key, c)))
    };
    let mut fail = |name: &str, bytes: Vec<u8>, c: &Context| {
        v.push(json!({
            "name": name,
            "key_hex": hx(key.expose_secret()),
            "context": ctx_json(c),
            "envelope_hex": hx(&bytes),
            "error": open(&bytes, c),
        }));
    };
    let mut tampered_tag = good.as_bytes().to_vec();
    if let Some(last) = tampered_tag.last_mut() {
        *last ^= 1;
    }
    fail("fail_tampered_tag", tampered_tag, &ctx);
    let mut tampered_ct = good.as_bytes().to_vec();
    if let Some(b) = tampered_ct.get_mut(26) {
        *b ^= 0x80;
    }
    fail("fail_tampered_ciphertext", tampered_ct, &ctx);
    let mut tampered_nonce = good.as_bytes().to_vec();
    if let Some(b) = tampered_nonce.get_mut(2) {
        *b ^= 1;
    }
    fail("fail_tampered_nonce", tampered_nonce, &ctx);
    let wrong_ctx = Context::ItemDetails {
        vault: VaultId([0x22; 16]),
        item: ItemId([0x33; 16]),
        revision: 6,
    };
    fail(
        "fail_wrong_aad_revision",
        good.as_bytes().to_vec(),
        &wrong_ctx,
    );
    let wrong_kind = Context::ItemOverview {
        vault: VaultId([0x22; 16]),
        item: ItemId([0x33; 16]),
        revision: 5,
    };
    fail("fail_wrong_aad_kind", good.as_bytes().to_vec(), &wrong_kind);
    let mut alg_swapped = good.as_bytes().to_vec();
    if let Some(b) = alg_swapped.get_mut(1) {
        *b = 2;
    }
    fail("fail_algorithm_swapped", alg_swapped, &ctx);
    fail(
        "fail_truncated",
        good.as_bytes().get(..20).unwrap_or_default().to_vec(),
        &ctx,
    );
    fail("fail_empty", Vec::new(), &ctx);
    fail("fail_header_only_version", vec![1], &ctx);
    let mut unknown_version = good.as_bytes().to_vec();
    if let Some(b) = unknown_version.get_mut(0) {
        *b = 2;
    }
    fail("fail_unknown_version", unknown_version, &ctx);
    let mut unknown_alg = good.as_bytes().to_vec();
    if let Some(b) = unknown_alg.get_mut(1) {
        *b = 9;
    }
    fail("fail_unknown_algorithm", unknown_alg, &ctx);
    // A text one character longer than a whole quantum is invalid, and one whose
    // last character has non-zero unused bits is non-canonical.
    let text = good.to_text();
    // A 49-byte envelope leaves 4 unused bits in its last character; set one.
    let odd = seal_with_nonce(
        &key,
        Algorithm::XChaCha20Poly1305,
        &ctx,
        &[7u8; 24],
        b"secret!",
    )?
    .to_text();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = odd
        .chars()
        .last()
        .and_then(|c| alphabet.find(c))
        .unwrap_or(0);
    let mut noncanonical = odd
        .get(..odd.len().saturating_sub(1))
        .unwrap_or_default()
        .to_owned();
    noncanonical.push(alphabet.chars().nth(last + 1).unwrap_or('B'));
    for (name, text) in [
        ("fail_text_padded", format!("{text}=")),
        ("fail_text_bad_alphabet", format!("{text}+/")),
        ("fail_text_truncated_quantum", format!("{text}A")),
        ("fail_text_noncanonical", noncanonical),
    ] {
        v.push(json!({
            "name": name,
            "key_hex": hx(key.expose_secret()),
            "context": ctx_json(&ctx),
            "envelope_text": text,
            "error": err_code(Envelope::from_text(&text)),
        }));
    }
    Ok(file(
        "envelope",
        "Envelope v1 seal/open with explicit nonces. Valid vectors: sealing (key, algorithm, context, nonce, plaintext) gives envelope_hex / envelope_text; opening gives the plaintext. fail_* vectors: parsing envelope_hex (or envelope_text) and opening it under `context` fails with `error`.",
        v,
    ))
}

pub(crate) fn secret_key_vectors() -> VectorFile {
    let mut v = Vec::new();
    for (name, bytes) in [
        ("zeros", [0u8; 16]),
        ("ones", [0xff; 16]),
        ("pattern", core::array::from_fn(|i| (i * 17) as u8)),
    ] {
        let sk = SecretKey::from_bytes(bytes);
        let text = sk.to_display_string();
        v.push(json!({
            "name": name,
            "bytes_hex": hx(&bytes),
            "text": text,
            "also_parses": [text.to_lowercase(), text.replace('-', " "), text.replace('0', "O").replace('1', "l")],
        }));
    }
    let good = SecretKey::from_bytes(core::array::from_fn(|i| (i * 17) as u8)).to_display_string();
    let mut typo = good.clone().into_bytes();
    if let Some(c) = typo.get_mut(6) {
        *c = if *c == b'A' { b'B' } else { b'A' };
    }
    let typo = String::from_utf8(typo).unwrap_or_default();
    for (name, text) in [
        ("fail_typo", typo),
        ("fail_wrong_prefix", good.replacen("VK1", "VK2", 1)),
        (
            "fail_too_short",
            good.get(..good.len() - 1).unwrap_or_default().to_owned(),
        ),
        (
            "fail_bad_character",
            good.replacen('-', "-U", 1)
                .get(..good.len())
                .unwrap_or_default()
                .to_owned(),
        ),
    ] {
        let error = err_code(SecretKey::parse(&text));
        v.push(json!({ "name": name, "text": text, "error": error }));
    }
    file(
        "secret_key",
        "Secret Key (2SKD) printable form: 'VK1-' + Crockford base32 of key (16 B) || SHA-256('VLT1 secret-key checksum' || key)[0..2], groups of 5. Parsing ignores case, hyphens and spaces and maps O->0, I/L->1.",
        v,
    )
}

pub(crate) fn account_vectors() -> Result<VectorFile> {
    let mut v = Vec::new();
    for (name, pw, sk) in [
        ("basic", "correct horse", None),
        (
            "with_secret_key",
            "tr0ub4dor&3",
            Some(SecretKey::from_bytes([0x42; 16])),
        ),
    ] {
        let s = seed(&format!("account/{name}"));
        let (acct, creds) =
            UnlockedAccount::create(pw, sk.as_ref(), VECTOR_PARAMS, &mut seeded_rng(s))?;
        let s2 = seed(&format!("account/{name}/change"));
        let changed = acct.change_password(
            &creds.encrypted,
            "new password",
            sk.as_ref(),
            VECTOR_PARAMS,
            &mut seeded_rng(s2),
        )?;
        v.push(json!({
            "name": name,
            "seed_hex": hx(&s),
            "password": pw,
            "secret_key_hex": sk.as_ref().map(|k| hx(k.expose_secret())),
            "params": VECTOR_PARAMS,
            "encrypted": creds.encrypted,
            "auth_key_hex": hx(creds.auth_key.expose_secret()),
            "account_key_hex": hx(acct.account_key().expose_secret()),
            "fingerprint": acct.fingerprint(),
            "change_password": {
                "seed_hex": hx(&s2),
                "new_password": "new password",
                "encrypted": changed.encrypted,
                "auth_key_hex": hx(changed.auth_key.expose_secret()),
            },
            "fail_wrong_password": {
                "password": "wrong",
                "error": err_code(creds.encrypted.unlock("wrong", sk.as_ref(), &KdfPolicy::PERMISSIVE_TEST_ONLY)),
            },
            "fail_old_password_after_change": {
                "password": pw,
                "error": err_code(changed.encrypted.unlock(pw, sk.as_ref(), &KdfPolicy::PERMISSIVE_TEST_ONLY)),
            },
        }));
    }
    if let Some(first) = v.first().cloned() {
        let mut future = first["encrypted"].clone();
        future["v"] = json!(2);
        v.push(json!({"name": "fail_unknown_record_version", "record_json": future.to_string(), "error": err_code(EncryptedAccount::from_json(&future.to_string()))}));
        let mut extra = first["encrypted"].clone();
        extra["surprise"] = json!(true);
        v.push(json!({"name": "fail_unknown_field", "record_json": extra.to_string(), "error": err_code(EncryptedAccount::from_json(&extra.to_string()))}));
    }
    Ok(file(
        "account",
        "Account creation with seeded_rng(seed_hex): UnlockedAccount::create(password, secret key, params) gives `encrypted` and `auth_key`; unlocking `encrypted` with the password gives account_key. change_password with seeded_rng(change_password.seed_hex) re-wraps only. Unlock uses a permissive KDF policy.",
        v,
    ))
}
