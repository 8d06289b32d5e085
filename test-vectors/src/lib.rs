//! Generator of the JSON test vectors in `test-vectors/*.json`.
//!
//! Every vector is produced by vault-core itself with randomness from
//! [`vault_core::hazmat::seeded_rng`] (seed in the vector) or an explicit nonce,
//! so any binding can reproduce it byte for byte through the same deterministic
//! entry points. Failure vectors are named `fail_*` and carry the stable error
//! code ([`vault_core::Error::code`]) that decoding must produce.
//!
//! `cargo run -p vault-test-vectors` rewrites the files; the `drift` test fails
//! when the committed files differ from what this generator produces.

// A developer tool over JSON values it builds itself: indexing a `Value` it
// just constructed cannot meet outside input.
#![allow(clippy::indexing_slicing)]

mod lifecycle;

use serde_json::{Value, json};
use vault_core::hazmat::{export_identity_secrets, seal_with_nonce, seeded_rng};
use vault_core::*;

/// One vector file: its name (without `.json`) and its content.
pub struct VectorFile {
    /// File stem, e.g. `envelope`.
    pub name: &'static str,
    /// The JSON document.
    pub doc: Value,
}

/// A 32-byte seed made from a label, so vectors are stable and distinct.
pub fn seed(label: &str) -> [u8; 32] {
    let mut s = [0u8; 32];
    for (i, b) in label.bytes().enumerate() {
        if let Some(slot) = s.get_mut(i % 32) {
            *slot ^= b.rotate_left((i / 32) as u32);
        }
    }
    s
}

fn hx(b: &[u8]) -> String {
    hex::encode(b)
}

fn err_code<T>(r: Result<T>) -> String {
    match r {
        Ok(_) => "NO ERROR".to_owned(),
        Err(e) => e.code().to_owned(),
    }
}

fn file(name: &'static str, description: &str, vectors: Vec<Value>) -> VectorFile {
    VectorFile {
        name,
        doc: json!({
            "operation": name,
            "format_version": 1,
            "description": description,
            "vectors": vectors,
        }),
    }
}

/// Small but non-trivial Argon2id parameters so vectors compute quickly everywhere.
pub const VECTOR_PARAMS: KdfParams = KdfParams {
    memory_kib: 256,
    iterations: 2,
    parallelism: 2,
};

/// Every vector file.
pub fn generate_all() -> Result<Vec<VectorFile>> {
    Ok(vec![
        kdf_vectors()?,
        hkdf_vectors(),
        envelope_vectors()?,
        secret_key_vectors(),
        account_vectors()?,
        vault_vectors()?,
        item_vectors()?,
        list_vectors()?,
        grant_vectors()?,
        fingerprint_vectors()?,
        shamir_vectors()?,
        srp_vectors()?,
        opaque_vectors()?,
        prelogin_vectors()?,
        lifecycle::lifecycle_vectors()?,
    ])
}

fn kdf_vectors() -> Result<VectorFile> {
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

fn hkdf_vectors() -> VectorFile {
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
fn ctx_json(ctx: &Context) -> Value {
    serde_json::to_value(ctx).unwrap_or_default()
}

fn sample_contexts() -> Vec<Context> {
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

fn envelope_vectors() -> Result<VectorFile> {
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
                "aad_hex": hx(&ctx.aad_bytes(1, alg)),
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

fn secret_key_vectors() -> VectorFile {
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

fn account_vectors() -> Result<VectorFile> {
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

fn vault_key_json(vk: &VaultKey) -> Value {
    json!({"vault": vk.vault_id(), "key_version": vk.key_version(), "key_hex": hx(vk.key().expose_secret())})
}

fn sample_items() -> Vec<Item> {
    let base = |title: &str, data: ItemData| Item {
        title: title.into(),
        data,
        notes: SecretString::default(),
        tags: vec![],
        favorite: false,
        custom_fields: vec![],
    };
    let mut login = base(
        "Bank",
        ItemData::Login {
            username: "alice@example.com".into(),
            password: "p@ssw0rd!".into(),
            uris: vec!["https://bank.example".into(), "android://com.bank".into()],
            totp: "otpauth://totp/Bank:alice?secret=JBSWY3DPEHPK3PXP".into(),
        },
    );
    login.tags = vec!["finance".into()];
    login.favorite = true;
    login.custom_fields = vec![
        CustomField {
            name: "PIN".into(),
            value: "1234".into(),
            kind: FieldKind::Hidden,
        },
        CustomField {
            name: "Branch".into(),
            value: "Main St".into(),
            kind: FieldKind::Text,
        },
    ];
    let mut note = base("Wi-Fi", ItemData::SecureNote);
    note.notes = "SSID home / pass hunter2".into();
    vec![
        login,
        note,
        base(
            "Prod env",
            ItemData::ApiKey {
                entries: vec![
                    EnvEntry {
                        key: "DATABASE_URL".into(),
                        value: "postgres://u:p@db/prod".into(),
                    },
                    EnvEntry {
                        key: "API_TOKEN".into(),
                        value: "tok_123".into(),
                    },
                ],
            },
        ),
        base(
            "Visa",
            ItemData::Card {
                cardholder: "Alice A".into(),
                brand: "Visa".into(),
                number: "4111 1111 1111 1111".into(),
                exp_month: "12".into(),
                exp_year: "2030".into(),
                code: "123".into(),
            },
        ),
        base(
            "Passport",
            ItemData::Identity {
                full_name: "Alice Example".into(),
                email: "alice@example.com".into(),
                phone: "+1 555 0100".into(),
                address: "1 Main St".into(),
                document_number: "X1234567".into(),
            },
        ),
        base(
            "Deploy key",
            ItemData::SshKey {
                private_key:
                    "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----"
                        .into(),
                public_key: "ssh-ed25519 AAAAC3Nza alice@host".into(),
                fingerprint: "SHA256:abc".into(),
            },
        ),
    ]
}

fn fixed_vault_key() -> VaultKey {
    VaultKey::from_parts(VaultId([0x22; 16]), 1, SymmetricKey::from_bytes([0x77; 32]))
}

fn vault_vectors() -> Result<VectorFile> {
    let s = seed("vault/create");
    let (acct, _) = UnlockedAccount::create(
        "pw",
        None,
        KdfParams::INSECURE_TEST_ONLY,
        &mut seeded_rng(seed("vault/owner")),
    )?;
    let meta = VaultMeta {
        name: "Personal".into(),
        description: "my things".into(),
    };
    let (vk, enc_vault, wrapped) = acct.create_vault(&meta, &mut seeded_rng(s))?;
    let items: Vec<EncryptedItem> = sample_items()
        .iter()
        .take(2)
        .enumerate()
        .map(|(i, it)| {
            vk.encrypt_item(
                ItemId([i as u8 + 1; 16]),
                1,
                it,
                &mut seeded_rng(seed(&format!("vault/item/{i}"))),
            )
        })
        .collect::<Result<_>>()?;
    let rs = seed("vault/rotate");
    let (next, next_meta, next_items) = vk.rotate(&enc_vault, &items, &mut seeded_rng(rs))?;
    let ws = seed("vault/rotate/wrap");
    let next_wrapped = acct.wrap_vault_key(&next, &mut seeded_rng(ws))?;
    Ok(file(
        "vault",
        "Vault creation by the owner account (created with seeded_rng(owner_seed_hex), password 'pw', INSECURE_TEST_ONLY params): create_vault(meta) with seeded_rng(seed_hex). Rotation: VaultKey::rotate(vault, items) with seeded_rng(rotate.seed_hex) re-wraps item keys only; old key no longer opens the rotated items (rotate.fail_old_key_on_rotated_item is that error code); the owner then wraps the new key with seeded_rng(rotate.wrap_seed_hex). owner_account_key_hex is given for independent decoders.",
        vec![json!({
            "name": "create_and_rotate",
            "owner_seed_hex": hx(&seed("vault/owner")),
            "owner_account": acct.account_id(),
            "owner_account_key_hex": hx(acct.account_key().expose_secret()),
            "seed_hex": hx(&s),
            "meta": meta,
            "vault_key": vault_key_json(&vk),
            "encrypted_vault": enc_vault,
            "wrapped_key": wrapped,
            "items": items,
            "items_plaintext": sample_items().into_iter().take(2).collect::<Vec<_>>(),
            "rotate": {
                "wrap_seed_hex": hx(&ws),
                "wrapped_key": next_wrapped,
                "seed_hex": hx(&rs),
                "vault_key": vault_key_json(&next),
                "encrypted_vault": next_meta,
                "items": next_items,
                "fail_old_key_on_rotated_item": err_code(vk.decrypt_item(next_items.first().ok_or(Error::InvalidArgument("no items"))?)),
            },
        })],
    ))
}

fn item_vectors() -> Result<VectorFile> {
    let vk = fixed_vault_key();
    let mut v = Vec::new();
    for (i, item) in sample_items().iter().enumerate() {
        for alg in [Algorithm::XChaCha20Poly1305, Algorithm::Aes256Gcm] {
            let s = seed(&format!("item/{i}/{}", alg.id()));
            let id = ItemId([0x30 + i as u8; 16]);
            let enc = vk.encrypt_item_with(id, 3, item, alg, &mut seeded_rng(s))?;
            v.push(json!({
                "name": format!("{:?}_{}", item.data.kind(), alg.id()).to_lowercase(),
                "vault_key": vault_key_json(&vk),
                "seed_hex": hx(&s),
                "item_id": id,
                "revision": 3,
                "algorithm": alg,
                "item": item,
                "overview": item.overview(),
                "encrypted": enc,
            }));
        }
    }
    // Failure: blobs moved between items or revisions.
    let a = vk.encrypt_item(
        ItemId([0x41; 16]),
        1,
        sample_items()
            .first()
            .ok_or(Error::InvalidArgument("items"))?,
        &mut seeded_rng(seed("item/fail/a")),
    )?;
    let b = vk.encrypt_item(
        ItemId([0x42; 16]),
        1,
        sample_items()
            .get(1)
            .ok_or(Error::InvalidArgument("items"))?,
        &mut seeded_rng(seed("item/fail/b")),
    )?;
    let mut swapped_details = a.clone();
    swapped_details.details = b.details.clone();
    let mut swapped_key = a.clone();
    swapped_key.item_key = b.item_key.clone();
    let mut bumped = a.clone();
    bumped.revision = 2;
    let mut overview_as_details = a.clone();
    overview_as_details.details = a.overview.clone();
    for (name, enc) in [
        ("fail_details_from_other_item", swapped_details),
        ("fail_item_key_from_other_item", swapped_key),
        ("fail_revision_changed", bumped),
        ("fail_overview_as_details", overview_as_details),
    ] {
        v.push(json!({
            "name": name,
            "vault_key": vault_key_json(&vk),
            "encrypted": enc,
            "error": err_code(vk.decrypt_item(&enc)),
        }));
    }
    Ok(file(
        "item",
        "Item encryption: VaultKey (vault_key) .encrypt_item_with(item_id, revision, item, algorithm, seeded_rng(seed_hex)) gives `encrypted`; decrypt_item gives `item`, decrypt_overview gives `overview`. fail_*: decrypt_item(encrypted) fails with `error`.",
        v,
    ))
}

fn list_vectors() -> Result<VectorFile> {
    let vk = fixed_vault_key();
    let mut items: Vec<EncryptedItem> = sample_items()
        .iter()
        .enumerate()
        .map(|(i, it)| {
            vk.encrypt_item(
                ItemId([0x50 + i as u8; 16]),
                1,
                it,
                &mut seeded_rng(seed(&format!("list/{i}"))),
            )
        })
        .collect::<Result<_>>()?;
    if let Some(bad) = items.get_mut(2) {
        bad.revision = 9; // corrupt one slot: its overview no longer opens
    }
    let other = VaultKey::from_parts(VaultId([0x23; 16]), 1, SymmetricKey::from_bytes([0x78; 32]));
    items.push(
        other.encrypt_item(
            ItemId([0x5f; 16]),
            1,
            sample_items()
                .first()
                .ok_or(Error::InvalidArgument("items"))?,
            &mut seeded_rng(seed("list/foreign")),
        )?,
    );
    let results: Vec<Value> = vk
        .decrypt_list(&items)
        .into_iter()
        .map(|r| match r {
            Ok(row) => json!({"ok": {"item": row.item, "revision": row.revision, "overview": row.overview}}),
            Err(e) => json!({"error": e.code()}),
        })
        .collect();
    Ok(file(
        "list",
        "List-screen decryption with partial failure: decrypt_list(items) under vault_key yields one result per item; item 2 has a tampered revision and the last belongs to another vault.",
        vec![
            json!({"name": "partial_failure", "vault_key": vault_key_json(&vk), "items": items, "results": results}),
        ],
    ))
}

fn grant_vectors() -> Result<VectorFile> {
    let p = KdfParams::INSECURE_TEST_ONLY;
    let (alice, _) =
        UnlockedAccount::create("alice", None, p, &mut seeded_rng(seed("grant/alice")))?;
    let (bob, _) = UnlockedAccount::create("bob", None, p, &mut seeded_rng(seed("grant/bob")))?;
    let (mallory, _) =
        UnlockedAccount::create("mallory", None, p, &mut seeded_rng(seed("grant/mallory")))?;
    let vk = fixed_vault_key();
    let s = seed("grant/seal");
    let grant = alice.grant_vault(&vk, bob.public_identity(), Role::Editor, &mut seeded_rng(s))?;
    let mut v = vec![json!({
        "name": "alice_to_bob_editor",
        "sender_seed_hex": hx(&seed("grant/alice")),
        "recipient_seed_hex": hx(&seed("grant/bob")),
        "sender_identity": alice.public_identity(),
        "recipient_identity": bob.public_identity(),
        "vault_key": vault_key_json(&vk),
        "role": Role::Editor,
        "seed_hex": hx(&s),
        "recipient_x25519_secret_hex": hx(export_identity_secrets(&bob).get(..32).unwrap_or_default()),
        "hpke_info_hex": hx(&VaultGrant::hpke_info(&vk.vault_id(), vk.key_version(), alice.public_identity(), bob.public_identity())),
        "grant": grant,
    })];
    let mut tampered_role = grant.clone();
    tampered_role.role = Role::Owner;
    let mut tampered_ct = grant.clone();
    if let Some(b) = tampered_ct.ciphertext.first_mut() {
        *b ^= 1;
    }
    let mut resigned = tampered_ct.clone();
    // Even a correctly signed grant with a bad ciphertext must not open.
    resigned.signature = [0; 64];
    let mut future = grant.clone();
    future.v = 2;
    let mut short_ct = grant.clone();
    short_ct.ciphertext.truncate(47);
    let cases: [(&str, VaultGrant, &UnlockedAccount, &PublicIdentity); 6] = [
        (
            "fail_unknown_grant_version",
            future,
            &bob,
            alice.public_identity(),
        ),
        (
            "fail_ciphertext_wrong_length",
            short_ct,
            &bob,
            alice.public_identity(),
        ),
        (
            "fail_role_escalated",
            tampered_role,
            &bob,
            alice.public_identity(),
        ),
        (
            "fail_ciphertext_tampered",
            tampered_ct,
            &bob,
            alice.public_identity(),
        ),
        (
            "fail_wrong_sender_identity",
            grant.clone(),
            &bob,
            mallory.public_identity(),
        ),
        (
            "fail_wrong_recipient",
            grant.clone(),
            &mallory,
            alice.public_identity(),
        ),
    ];
    for (name, g, who, sender) in cases {
        v.push(json!({
            "name": name,
            "recipient_seed_hex": hx(&seed(match who.account_id() == mallory.account_id() { true => "grant/mallory", false => "grant/bob" })),
            "recipient_account": who.account_id(),
            "recipient_x25519_secret_hex": hx(export_identity_secrets(who).get(..32).unwrap_or_default()),
            "sender_identity": sender,
            "grant": g,
            "error": err_code(who.open_grant(&g, sender)),
        }));
    }
    Ok(file(
        "grant",
        "Vault sharing: accounts are created with seeded_rng(<who>_seed_hex), password = their name, INSECURE_TEST_ONLY params. sender.grant_vault(vault_key, recipient_identity, role, seeded_rng(seed_hex)) gives `grant`; recipient.open_grant(grant, sender_identity) gives the vault key. fail_*: open_grant fails with `error`.",
        v,
    ))
}

fn fingerprint_vectors() -> Result<VectorFile> {
    let mut v = Vec::new();
    for name in ["alice", "bob"] {
        let (acct, _) = UnlockedAccount::create(
            name,
            None,
            KdfParams::INSECURE_TEST_ONLY,
            &mut seeded_rng(seed(&format!("grant/{name}"))),
        )?;
        v.push(json!({"name": name, "identity": acct.public_identity(), "fingerprint": acct.fingerprint()}));
    }
    let mut forged = v.first().cloned().unwrap_or_default();
    if let Some(id) = forged.get_mut("identity") {
        id["x25519"] = json!(encoding::b64_encode(&[9u8; 32]));
    }
    let forged_id: PublicIdentity = serde_json::from_value(forged["identity"].clone())
        .map_err(|_| Error::InvalidArgument("json"))?;
    v.push(json!({"name": "fail_identity_key_substituted", "identity": forged_id, "error": err_code(forged_id.verify())}));
    Ok(file(
        "fingerprint",
        "Identity fingerprints: SHA-256('VLT1 fingerprint' || account || ed25519 || x25519), first 30 bytes as six 5-byte big-endian integers mod 100000, zero-padded, space-separated. fail_*: PublicIdentity::verify fails.",
        v,
    ))
}

fn shamir_vectors() -> Result<VectorFile> {
    let mut v = Vec::new();
    for (name, secret, k, n) in [
        (
            "two_of_three",
            b"0123456789abcdef0123456789abcdef".to_vec(),
            2u8,
            3u8,
        ),
        ("three_of_five", b"recovery".to_vec(), 3, 5),
    ] {
        let s = seed(&format!("shamir/{name}"));
        let shares = shamir::split(&secret, k, n, &mut seeded_rng(s))?;
        v.push(json!({
            "name": name,
            "seed_hex": hx(&s),
            "secret_hex": hx(&secret),
            "threshold": k,
            "shares": n,
            "share_texts": shares.iter().map(Share::to_text).collect::<Vec<_>>(),
            "share_bytes_hex": shares.iter().map(|s| hx(&s.to_bytes())).collect::<Vec<_>>(),
        }));
    }
    let s = seed("shamir/two_of_three");
    let shares = shamir::split(
        b"0123456789abcdef0123456789abcdef",
        2,
        3,
        &mut seeded_rng(s),
    )?;
    let other = shamir::split(
        b"0123456789abcdef0123456789abcdef",
        2,
        3,
        &mut seeded_rng(seed("shamir/other")),
    )?;
    let texts: Vec<String> = shares.iter().map(Share::to_text).collect();
    let mut tampered = shares
        .first()
        .map(|s| s.to_bytes().to_vec())
        .unwrap_or_default();
    if let Some(b) = tampered.last_mut() {
        *b ^= 1;
    }
    let tampered_share = Share::from_bytes(&tampered)?;
    let combine = |list: Vec<Share>| err_code(shamir::combine(&list));
    let first = shares
        .first()
        .cloned()
        .ok_or(Error::InvalidArgument("shares"))?;
    let second = shares
        .get(1)
        .cloned()
        .ok_or(Error::InvalidArgument("shares"))?;
    v.push(json!({"name": "fail_tampered_share", "share_bytes_hex": [hx(&tampered), hx(&second.to_bytes())], "error": combine(vec![tampered_share, second.clone()])}));
    v.push(json!({"name": "fail_mixed_splits", "share_bytes_hex": [hx(&first.to_bytes()), hx(&other.get(1).map(|s| s.to_bytes().to_vec()).unwrap_or_default())], "error": combine(vec![first.clone(), other.get(1).cloned().ok_or(Error::InvalidArgument("shares"))?])}));
    let mut zero_x = first.to_bytes().to_vec();
    if let Some(b) = zero_x.get_mut(2) {
        *b = 0;
    }
    let mut k1 = first.to_bytes().to_vec();
    if let Some(b) = k1.get_mut(1) {
        *b = 1;
    }
    let mut v2 = first.to_bytes().to_vec();
    if let Some(b) = v2.get_mut(0) {
        *b = 2;
    }
    for (name, bytes) in [
        ("fail_share_x_zero", zero_x),
        ("fail_share_threshold_one", k1),
        ("fail_share_unknown_version", v2),
        (
            "fail_share_too_short",
            first.to_bytes().get(..20).unwrap_or_default().to_vec(),
        ),
    ] {
        v.push(json!({"name": name, "share_bytes_hex": [hx(&bytes)], "error": err_code(Share::from_bytes(&bytes))}));
    }
    v.push(json!({"name": "fail_too_few", "share_bytes_hex": [hx(&first.to_bytes())], "error": combine(vec![first.clone()])}));
    v.push(json!({"name": "fail_duplicate", "share_bytes_hex": [hx(&first.to_bytes()), hx(&first.to_bytes())], "error": combine(vec![first.clone(), first.clone()])}));
    let mut typo = texts.first().cloned().unwrap_or_default().into_bytes();
    if let Some(c) = typo.get_mut(8) {
        *c = if *c == b'A' { b'B' } else { b'A' };
    }
    let typo = String::from_utf8(typo).unwrap_or_default();
    v.push(json!({"name": "fail_text_typo", "share_text": typo, "error": err_code(Share::from_text(&typo))}));
    Ok(file(
        "shamir",
        "Shamir over GF(2^8) (AES polynomial 0x11b) with a 16-byte SHA-256 integrity tag appended to the secret before splitting. split(secret, threshold, shares, seeded_rng(seed_hex)) gives the shares; any `threshold` of them combine to the secret. fail_*: combining share_bytes_hex (or parsing share_text) fails with `error`.",
        v,
    ))
}

fn from_json_str(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::Null)
}

fn srp_vectors() -> Result<VectorFile> {
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

fn opaque_vectors() -> Result<VectorFile> {
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

fn prelogin_vectors() -> Result<VectorFile> {
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
